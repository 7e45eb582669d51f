/*
 * ThresholdPruner (mmarml/pruner.h, docs/components.md): Optuna's rule. A job is stopped
 * when its latest value is below `lower` or above `upper`; from step n_warmup_steps on, and
 * only at a job's first report in each interval of `interval` steps after the warm-up. It
 * needs no other job: it stops a diverged job from the very first job of a run on, where
 * the pruners that compare jobs wait for their start-up jobs.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "mmarml.h"

typedef struct {
    double lower, upper, warmup;
    uint64_t interval;
    json_t *last_step; /* job name -> the step of its previous report */
} threshold;

static const char *const me = "ThresholdPruner";

/* Optuna's _is_first_in_interval_step: the job's previous report came before the start of
 * the interval this step is in. */
static int first_in_interval(const threshold *t, double step, double previous)
{
    double start = floor((step - t->warmup) / (double)t->interval) * (double)t->interval +
                   t->warmup;

    return previous < start;
}

static int threshold_report(int *stop_out, mmarml_pruner *self, const char *job,
                            uint64_t job_number, double step, double value, mmarml_context *ctx,
                            void *ud)
{
    threshold *t = ud;
    json_t *seen = json_object_get(t->last_step, job);
    double previous = seen ? json_real_value(seen) : -INFINITY;

    (void)self, (void)job_number;
    if (seen != NULL ? json_real_set(seen, step) != 0
                     : json_object_set_new(t->last_step, job, json_real(step)) != 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (step < t->warmup || !first_in_interval(t, step, previous))
        return MMARML_OK;
    if (value < t->lower || value > t->upper) {
        mmarml_context_trace(ctx, me, "job %s stopped at step %g: value %g is %s %g", job,
                             step, value, value < t->lower ? "below lower" : "above upper",
                             value < t->lower ? t->lower : t->upper);
        *stop_out = 1;
    }
    return MMARML_OK;
}

static void threshold_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                                int status, void *ud)
{
    threshold *t = ud;

    (void)self, (void)job_number, (void)status;
    json_object_del(t->last_step, job);
}

static void threshold_destroy(void *ud)
{
    threshold *t = ud;

    json_decref(t->last_step);
    free(t);
}

int mmarml_pruner_new_threshold(mmarml_pruner **out, double lower, double upper,
                                double n_warmup_steps, uint64_t interval)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = threshold_report,
        .job_ended = threshold_job_ended,
        .destroy = threshold_destroy,
    };
    threshold *t;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if (isnan(lower) || isnan(upper) || lower == INFINITY || upper == -INFINITY)
        return mmarml_error_set(MMARML_EINVAL, "%s: lower and upper must be numbers (-inf and "
                                "inf for none)", me);
    if (lower == -INFINITY && upper == INFINITY)
        return mmarml_error_set(MMARML_EINVAL, "%s: lower or upper must be given", me);
    if (lower > upper)
        return mmarml_error_set(MMARML_EINVAL, "%s: lower %g is above upper %g", me, lower,
                                upper);
    if (!(n_warmup_steps >= 0) || !isfinite(n_warmup_steps))
        return mmarml_error_set(MMARML_EINVAL, "%s: n_warmup_steps must be >= 0", me);
    if (interval < 1)
        return mmarml_error_set(MMARML_EINVAL, "%s: interval_steps must be >= 1", me);
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->last_step = json_object()) == NULL) {
        free(t);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    t->lower = lower;
    t->upper = upper;
    t->warmup = n_warmup_steps;
    t->interval = interval;
    rc = mmarml_pruner_new(out, &vt, t);
    if (rc != MMARML_OK)
        threshold_destroy(t);
    return rc;
}
