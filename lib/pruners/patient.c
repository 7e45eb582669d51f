/*
 * PatientPruner (mmarml/pruner.h, docs/components.md): Optuna's rule. A job may be stopped
 * only once it stopped improving: the best of its last patience + 1 reports is below the
 * best of its reports before them by more than min_delta. Then the wrapped pruner decides,
 * or, with none, the job stops.
 *
 * Unlike Optuna's, whose pruners read the study's storage, ours keep state from the reports
 * they are told (ASHA's rungs, the medians' series): the wrapped pruner is told every
 * report and every end, and only its "stop" waits for the patience to run out.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "mmarml.h"

#include "arrays.h"

typedef struct {
    double *values; /* the job's reports in order; only the last patience + 1 are read */
    size_t n, cap;
    double best_before; /* the best of the reports before the last patience + 1 */
} history;

typedef struct {
    mmarml_pruner *wrapped; /* NULL: stop on the patience alone */
    uint64_t patience;
    double min_delta;
    json_t *jobs; /* job name -> index into slots */
    history *slots; /* a slot is not reused: indices in `jobs` stay valid */
    size_t nslots, capslots;
} patient;

static const char *const me = "PatientPruner";

static history *job_history(patient *p, const char *job)
{
    int created = 0;
    history *h = pruner_job_slot(p->jobs, (void **)&p->slots, &p->nslots, &p->capslots,
                                 sizeof(*p->slots), job, &created);

    if (created)
        h->best_before = -INFINITY;
    return h;
}

/* Add a report; 1 when the job has stopped improving. The window is kept in a ring of
 * patience + 1 values: what leaves it goes into best_before. */
static int add_and_judge(patient *p, history *h, double value)
{
    size_t window = (size_t)p->patience + 1, i;
    double best_after = -INFINITY;

    if (h->n >= window) {
        double leaving = h->values[h->n % window];
        if (leaving > h->best_before)
            h->best_before = leaving;
    }
    h->values[h->n % window] = value;
    h->n++;
    if (h->n <= window)
        return 0; /* no report before the window yet */
    if (value >= h->best_before - p->min_delta)
        return 0; /* the window's best is at least this: an improving job costs no scan */
    for (i = 0; i < window; i++)
        if (h->values[i] > best_after)
            best_after = h->values[i];
    return h->best_before - p->min_delta > best_after;
}

static int patient_report(int *stop_out, mmarml_pruner *self, const char *job,
                          uint64_t job_number, double step, double value, mmarml_context *ctx,
                          void *ud)
{
    patient *p = ud;
    history *h = job_history(p, job);
    size_t window = (size_t)p->patience + 1;
    int wrapped_stop = 1, stalled, rc = MMARML_OK;

    (void)self;
    /* the ring grows with the reports, up to patience + 1: a long patience costs only the
     * reports a job made */
    if (h == NULL || pruner_grow((void **)&h->values, &h->cap,
                                 h->n < window ? h->n + 1 : window, sizeof(double)))
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    stalled = add_and_judge(p, h, value);
    if (p->wrapped != NULL)
        rc = mmarml_pruner_report(&wrapped_stop, p->wrapped, job, job_number, step, value, ctx);
    if (stalled && wrapped_stop) {
        mmarml_context_trace(ctx, me, "job %s stopped at step %g: its best of the last %llu "
                             "reports is below its best before them by more than %g%s", job,
                             step, (unsigned long long)p->patience + 1, p->min_delta,
                             p->wrapped ? ", and the wrapped pruner stops it" : "");
        *stop_out = 1;
    }
    return rc;
}

static void patient_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                              int status, void *ud)
{
    patient *p = ud;
    json_t *idx = json_object_get(p->jobs, job);

    (void)self;
    if (idx != NULL) {
        history *h = &p->slots[json_integer_value(idx)];
        free(h->values);
        h->values = NULL;
        h->n = h->cap = 0;
        json_object_del(p->jobs, job);
    }
    if (p->wrapped != NULL)
        mmarml_pruner_job_ended(p->wrapped, job, job_number, status);
}

static void patient_destroy(void *ud)
{
    patient *p = ud;
    size_t i;

    for (i = 0; i < p->nslots; i++)
        free(p->slots[i].values);
    free(p->slots);
    json_decref(p->jobs);
    mmarml_pruner_unref(p->wrapped);
    free(p);
}

int mmarml_pruner_new_patient(mmarml_pruner **out, mmarml_pruner *wrapped, uint64_t patience,
                              double min_delta)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = patient_report,
        .job_ended = patient_job_ended,
        .destroy = patient_destroy,
    };
    patient *p;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if (patience > 1000000)
        return mmarml_error_set(MMARML_EINVAL, "%s: patience must be at most 1000000 (it was "
                                "%llu)", me, (unsigned long long)patience);
    if (!(min_delta >= 0) || !isfinite(min_delta))
        return mmarml_error_set(MMARML_EINVAL, "%s: min_delta must be >= 0", me);
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->jobs = json_object()) == NULL) {
        free(p);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    p->wrapped = mmarml_pruner_ref(wrapped);
    p->patience = patience;
    p->min_delta = min_delta;
    rc = mmarml_pruner_new(out, &vt, p);
    if (rc != MMARML_OK)
        patient_destroy(p);
    return rc;
}
