/* Reading a run's journal into report_run (report_model.h). */
#include "report_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmarml.h>

#include "run_savings.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot of `name`: where it is, or the empty slot where it would go. */
static size_t find_slot(const report_run *run, const char *name)
{
    size_t i = (size_t)(hash_name(name) & (run->nslots - 1));

    while (run->slots[i] != 0 && strcmp(run->jobs[run->slots[i] - 1].name, name) != 0)
        i = (i + 1) & (run->nslots - 1);
    return i;
}

static report_job *find_job(const report_run *run, const char *name)
{
    size_t i;

    if (run->nslots == 0)
        return NULL;
    i = find_slot(run, name);
    return run->slots[i] ? &run->jobs[run->slots[i] - 1] : NULL;
}

/* Keep the table at most half full (it holds indexes + 1; 0 is empty). */
static int grow_slots(report_run *run)
{
    size_t old = run->nslots, i, *was = run->slots;

    if (run->njobs + 1 <= run->nslots / 2)
        return MMARML_OK;
    run->nslots = old ? old * 2 : 1024;
    if ((run->slots = calloc(run->nslots, sizeof(size_t))) == NULL) {
        run->slots = was;
        run->nslots = old;
        return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
    }
    for (i = 0; i < old; i++)
        if (was[i] != 0)
            run->slots[find_slot(run, run->jobs[was[i] - 1].name)] = was[i];
    free(was);
    return MMARML_OK;
}

static int load_space(report_run *run, const json_t *space, const char *where)
{
    const json_t *params = json_object_get(space, "params"), *p;
    size_t i;

    if (!json_is_array(params))
        return mmarml_error_set(MMARML_EINVAL, "%s: header: no space.params", where);
    if ((run->space_name = dup_str(json_string_value(json_object_get(space, "name")) != NULL
                                       ? json_string_value(json_object_get(space, "name"))
                                       : "")) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
    run->nparams = json_array_size(params);
    run->params = calloc(run->nparams + 1, sizeof(report_param));
    if (run->params == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
    json_array_foreach(params, i, p)
    {
        report_param *rp = &run->params[i];
        const char *type = json_string_value(json_object_get(p, "type"));
        const char *prl = json_string_value(json_object_get(p, "prl"));
        const char *scale = json_string_value(json_object_get(p, "scale"));

        if (type == NULL || prl == NULL)
            return mmarml_error_set(MMARML_EINVAL, "%s: header: space.params[%zu] has no "
                                                   "prl or type", where, i);
        if ((rp->prl = dup_str(prl)) == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
        if (strcmp(type, "enum") == 0) {
            rp->type = PARAM_ENUM;
            rp->choices = json_incref(json_object_get(p, "choices"));
            if (!json_is_array(rp->choices) || json_array_size(rp->choices) == 0)
                return mmarml_error_set(MMARML_EINVAL, "%s: header: space.params[%zu]: an "
                                                       "enum without choices", where, i);
            rp->min = 0;
            rp->max = (double)json_array_size(rp->choices) - 1;
        } else {
            rp->type = strcmp(type, "int") == 0 ? PARAM_INT : PARAM_FLOAT;
            rp->min = json_number_value(json_object_get(p, "min"));
            rp->max = json_number_value(json_object_get(p, "max"));
            rp->log = scale != NULL && strcmp(scale, "log") == 0 && rp->min > 0;
        }
    }
    return MMARML_OK;
}

static int add_job(report_run *run, const json_t *r, const char *where, size_t at)
{
    const char *name = json_string_value(json_object_get(r, "job"));
    const char *worker = json_string_value(json_object_get(r, "worker"));
    const json_t *values = json_object_get(json_object_get(r, "rec"), "values");
    report_job *j;
    size_t k;
    int rc;

    if (name == NULL || worker == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: record %zu: a start without job or "
                                               "worker", where, at);
    if (find_job(run, name) != NULL) /* a resumed run starts an interrupted job again */
        return MMARML_OK;
    if ((rc = grow_slots(run)) != MMARML_OK)
        return rc;
    if (run->njobs == run->cap_jobs) {
        size_t cap = run->cap_jobs ? run->cap_jobs * 2 : 256;
        report_job *jobs = realloc(run->jobs, cap * sizeof(*jobs));
        if (jobs == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
        run->jobs = jobs;
        run->cap_jobs = cap;
    }
    j = &run->jobs[run->njobs];
    memset(j, 0, sizeof(*j));
    j->name = dup_str(name);
    j->worker = dup_str(worker);
    j->values = malloc((run->nparams + 1) * sizeof(double));
    if (j->name == NULL || j->worker == NULL || j->values == NULL) {
        free(j->name), free(j->worker), free(j->values);
        return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
    }
    j->n = (uint64_t)json_integer_value(json_object_get(r, "n"));
    j->attempt = (int)json_integer_value(json_object_get(r, "attempt"));
    j->status = "running";
    j->score = NAN;
    j->start = json_number_value(json_object_get(r, "time"));
    j->end = NAN;
    j->gpus = worker_gpu_count(json_string_value(json_object_get(r, "gpus")));
    j->first_time = j->last_time = NAN;
    for (k = 0; k < run->nparams; k++) {
        const json_t *v = json_object_get(values, run->params[k].prl);
        j->values[k] = json_is_number(v) ? json_number_value(v) : NAN;
    }
    run->njobs++;
    run->slots[find_slot(run, name)] = run->njobs;
    for (k = 0; k < run->nworkers && strcmp(run->workers[k], worker) != 0; k++)
        ;
    if (k == run->nworkers) {
        char **w = realloc(run->workers, (run->nworkers + 1) * sizeof(char *));
        if (w == NULL || (w[run->nworkers] = dup_str(worker)) == NULL) {
            if (w != NULL)
                run->workers = w;
            return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
        }
        run->workers = w;
        run->nworkers++;
    }
    return MMARML_OK;
}

/* The static name of a status from the journal (so jobs need not own it); one this build
 * does not know (a newer writer's) is shown as an error. */
static const char *known_status(const char *s)
{
    int status = mmarml_job_status_from_name(s);

    return status >= 0 ? mmarml_job_status_name(status) : "error";
}

static void end_job(report_run *run, const json_t *r)
{
    const char *name = json_string_value(json_object_get(r, "job"));
    const json_t *score = json_object_get(r, "score");
    report_job *j = name != NULL ? find_job(run, name) : NULL;

    if (j == NULL)
        return; /* its start was lost with a machine (docs/resume.md): nothing to show */
    j->status = known_status(json_string_value(json_object_get(r, "status")));
    j->score = json_is_number(score) ? json_number_value(score) : NAN;
    j->start = json_number_value(json_object_get(r, "start"));
    j->end = json_number_value(json_object_get(r, "end"));
}

static int add_report(report_run *run, const json_t *r)
{
    const char *name = json_string_value(json_object_get(r, "job"));
    report_job *j = name != NULL ? find_job(run, name) : NULL;
    const json_t *time;

    if (j == NULL)
        return MMARML_OK;
    if (j->nreports == j->cap_reports) {
        size_t cap = j->cap_reports ? j->cap_reports * 2 : 8;
        double *steps = realloc(j->steps, cap * sizeof(double));
        double *reports = steps != NULL ? realloc(j->reports, cap * sizeof(double)) : NULL;
        if (steps != NULL)
            j->steps = steps;
        if (reports == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
        j->reports = reports;
        j->cap_reports = cap;
    }
    j->steps[j->nreports] = json_number_value(json_object_get(r, "step"));
    j->reports[j->nreports++] = json_number_value(json_object_get(r, "value"));
    time = json_object_get(r, "time"); /* older journals: none */
    j->last_time = json_is_number(time) ? json_number_value(time) : NAN;
    if (j->nreports == 1)
        j->first_time = j->last_time;
    return MMARML_OK;
}

static int apply_record(report_run *run, const json_t *r, size_t at, const char *where)
{
    const char *t = json_string_value(json_object_get(r, "t"));
    double time = json_number_value(json_object_get(r, "time"));

    if (t == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: record %zu has no type", where, at);
    /* a report's time is the trainer's clock (another machine's, or a hostile line's):
     * only the engine's own records move the run's time on */
    if (time > run->now && strcmp(t, "report") != 0)
        run->now = time;
    if (strcmp(t, "header") == 0) {
        if (run->params != NULL)
            return MMARML_OK;
        run->t0 = time;
        return load_space(run, json_object_get(r, "space"), where);
    }
    if (run->params == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: record %zu comes before the header",
                                where, at);
    if (strcmp(t, "start") == 0)
        return add_job(run, r, where, at);
    if (strcmp(t, "end") == 0) {
        end_job(run, r);
        if (json_number_value(json_object_get(r, "end")) > run->now)
            run->now = json_number_value(json_object_get(r, "end"));
    } else if (strcmp(t, "report") == 0) {
        return add_report(run, r);
    } else if (strcmp(t, "resume") == 0) {
        run->parts++;
        run->state = "live or interrupted";
        free(run->end_reason);
        run->end_reason = NULL;
    } else if (strcmp(t, "end_run") == 0) {
        const char *reason = json_string_value(json_object_get(r, "reason"));
        run->state = json_is_true(json_object_get(r, "resumable")) ? "stopped" : "finished";
        free(run->end_reason);
        run->end_reason = reason != NULL ? dup_str(reason) : NULL;
    }
    return MMARML_OK;
}

typedef struct {
    report_run *run;
    size_t at; /* the record's index */
} loading;

static int load_record(const json_t *r, void *ud)
{
    loading *l = ud;

    return apply_record(l->run, r, l->at++, l->run->journal);
}

int report_run_load(report_run *run, const char *run_root, const char *journal)
{
    loading l = {run, 0};
    size_t k;
    int rc;

    memset(run, 0, sizeof(*run));
    run->parts = 1;
    run->state = "live or interrupted";
    run->run_root = dup_str(run_root);
    if (journal != NULL) {
        run->journal = dup_str(journal);
    } else if ((run->journal = malloc(strlen(run_root) + sizeof("/journal.mmarml"))) != NULL) {
        strcpy(run->journal, run_root);
        strcat(run->journal, "/journal.mmarml");
    }
    if (run->run_root == NULL || run->journal == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
    /* a record at a time: a long run's reports need not fit in memory at once */
    if ((rc = mmarml_journal_foreach(run->journal, load_record, &l, &run->torn_bytes)) !=
        MMARML_OK)
        return rc;
    if (run->params == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: no header record: the run had not "
                                               "started", run->journal);
    if (strcmp(run->state, "live or interrupted") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts); /* a live run's jobs run until now */
        if ((double)ts.tv_sec + ts.tv_nsec / 1e9 > run->now)
            run->now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    }
    for (k = 0; k < run->njobs; k++) {
        report_job *j = &run->jobs[k];
        if (!isnan(j->end))
            continue;
        if (strcmp(run->state, "live or interrupted") == 0) {
            j->end = run->now;
        } else { /* started in a part that died, never run again (docs/resume.md) */
            j->end = j->start;
            j->status = "interrupted";
        }
    }
    return MMARML_OK;
}

void report_run_free(report_run *run)
{
    size_t i;

    for (i = 0; i < run->njobs; i++) {
        free(run->jobs[i].name);
        free(run->jobs[i].worker);
        free(run->jobs[i].values);
        free(run->jobs[i].steps);
        free(run->jobs[i].reports);
    }
    for (i = 0; i < run->nparams && run->params != NULL; i++) {
        free(run->params[i].prl);
        json_decref(run->params[i].choices);
    }
    for (i = 0; i < run->nworkers; i++)
        free(run->workers[i]);
    free(run->workers);
    free(run->params);
    free(run->jobs);
    free(run->slots);
    free(run->run_root);
    free(run->journal);
    free(run->space_name);
    free(run->end_reason);
    memset(run, 0, sizeof(*run));
}

const report_job *report_best(const report_run *run)
{
    const report_job *best = NULL;
    size_t i;

    for (i = 0; i < run->njobs; i++)
        if (strcmp(run->jobs[i].status, "ok") == 0 && isfinite(run->jobs[i].score) &&
            (best == NULL || run->jobs[i].score > best->score))
            best = &run->jobs[i];
    return best;
}

size_t report_count(const report_run *run, const char *status)
{
    size_t i, n = 0;

    for (i = 0; i < run->njobs; i++)
        n += strcmp(run->jobs[i].status, status) == 0;
    return n;
}
