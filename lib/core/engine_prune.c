/*
 * Early stopping in the engine: progress reports of running jobs (mmarml_job_report), their
 * journal records, the pruner's decisions and the abort of a job it stops (status `pruned`).
 *
 * Every report is appended to the journal and given to the pruner under prune_lock, and a
 * job's end record is written together with the pruner's job_ended under the same lock: the
 * journal holds exactly the sequence the pruner saw, which a resume replays to it.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "engine_internal.h"

/* Reports dropped (a step not above the last, or reported already) and report times not
 * kept, each said in the trace this many times per job; the rest are only counted. */
#define DROPS_TRACED 3
/* How far a report's time may lie before its job started or after now: a cluster node's
 * clock off the engine's. Further out, it cannot be when the value was measured. */
#define CLOCK_SLACK 300.0

int mmarml_engine_set_pruner(mmarml_engine *e, mmarml_pruner *pruner, int pruned_score)
{
    int rc = MMARML_OK;

    if (e == NULL)
        return MMARML__NULLARG("engine");
    if (pruned_score != MMARML_PRUNED_SCORE_BEST && pruned_score != MMARML_PRUNED_SCORE_LAST &&
        pruned_score != MMARML_PRUNED_SCORE_MEAN)
        return mmarml_error_set(MMARML_EINVAL, "pruned_score must be MMARML_PRUNED_SCORE_BEST, "
                                "_LAST or _MEAN, not %d", pruned_score);
    pthread_mutex_lock(&e->lock);
    if (e->state != ENGINE_NEW) {
        rc = mmarml_error_set(MMARML_EMISUSE, "a pruner is set before the run starts");
    } else {
        mmarml_pruner_unref(e->pruner);
        e->pruner = mmarml_pruner_ref(pruner);
        e->pruned_score = pruned_score;
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int mmarml_engine_set_report_steps(mmarml_engine *e, int rule)
{
    int rc = MMARML_OK;

    if (e == NULL)
        return MMARML__NULLARG("engine");
    if (rule != MMARML_REPORT_STEPS_INCREASING && rule != MMARML_REPORT_STEPS_UNIQUE)
        return mmarml_error_set(MMARML_EINVAL, "report_steps must be "
                                "MMARML_REPORT_STEPS_INCREASING or _UNIQUE, not %d", rule);
    pthread_mutex_lock(&e->lock);
    if (e->state != ENGINE_NEW)
        rc = mmarml_error_set(MMARML_EMISUSE, "report_steps is set before the run starts");
    else
        e->report_steps = rule;
    pthread_mutex_unlock(&e->lock);
    return rc;
}

double mmarml__prune_score(const mmarml_engine *e, const job *j)
{
    double best = NAN, sum = 0;
    size_t i;

    if (j->nreports == 0)
        return NAN;
    if (e->pruned_score == MMARML_PRUNED_SCORE_LAST)
        return j->reports[2 * (j->nreports - 1) + 1];
    if (e->pruned_score == MMARML_PRUNED_SCORE_MEAN) {
        for (i = 0; i < j->nreports; i++)
            sum += j->reports[2 * i + 1];
        return sum / (double)j->nreports;
    }
    for (i = 0; i < j->nreports; i++)
        if (isnan(best) || j->reports[2 * i + 1] > best)
            best = j->reports[2 * i + 1];
    return best;
}

static int push_report(job *j, double step, double value, double time)
{
    if (j->nreports == j->report_cap) {
        size_t cap = j->report_cap ? 2 * j->report_cap : 16;
        double *more = realloc(j->reports, 2 * cap * sizeof(*more));
        if (more == NULL)
            return MMARML__NOMEM();
        j->reports = more;
        more = realloc(j->report_times, cap * sizeof(*more));
        if (more == NULL)
            return MMARML__NOMEM(); /* the larger reports array is kept: still consistent */
        j->report_times = more;
        j->report_cap = cap;
    }
    if (j->w->engine->report_steps == MMARML_REPORT_STEPS_UNIQUE &&
        step_set_add(&j->steps_seen, step) != 0)
        return MMARML__NOMEM(); /* nothing kept: the step may come again */
    j->reports[2 * j->nreports] = step;
    j->reports[2 * j->nreports + 1] = value;
    j->report_times[j->nreports] = time;
    j->nreports++;
    return MMARML_OK;
}

void mmarml__job_free_reports(job *j)
{
    free(j->reports);
    free(j->report_times);
    step_set_free(&j->steps_seen);
    j->reports = NULL;
    j->report_times = NULL;
    j->nreports = j->report_cap = 0;
}

void mmarml__job_restore_reports(job *j)
{
    const json_t *list = json_object_get(j->resumed, "reports"), *r;
    size_t i;

    json_array_foreach(list, i, r)
    {
        const json_t *time = json_array_get(r, 2); /* absent in older journals */

        if (push_report(j, json_number_value(json_array_get(r, 0)),
                        json_number_value(json_array_get(r, 1)),
                        json_is_number(time) ? json_number_value(time) : NAN) != MMARML_OK)
            break;
    }
}

void mmarml__job_report_keys(mmarml_engine *e, job *j, mmarml_context *ctx, double score)
{
    pthread_mutex_lock(&e->prune_lock);
    if (j->status == MMARML_JOB_PRUNED && isfinite(score))
        mmarml_context_set_double(ctx, MMARML_KEY_PRUNED_VALUE, score);
    if (j->nreports > 0) {
        mmarml_context_set_int(ctx, MMARML_KEY_JOB_REPORTS, (int64_t)j->nreports);
        mmarml_context_set_double(ctx, MMARML_KEY_JOB_LAST_STEP,
                                  j->reports[2 * (j->nreports - 1)]);
    }
    pthread_mutex_unlock(&e->prune_lock);
}

void mmarml__outcome_reports(mmarml_outcome *outcome, const double *reports, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (mmarml_outcome_add_report(outcome, reports[2 * i], reports[2 * i + 1]) != MMARML_OK)
            break;
}

/* The pruner stopped `j`: abort it as a stop would, with status `pruned`. */
static void stop_pruned_job(mmarml_engine *e, job *j)
{
    mmarml_context *ctxs[1];
    size_t count = 0;

    pthread_mutex_lock(&e->lock);
    mmarml__engine_mark_abort(e, j, MMARML_JOB_PRUNED, ctxs, &count);
    pthread_mutex_unlock(&e->lock);
    mmarml__engine_run_aborts(e, ctxs, &count);
}

/* The time a report is kept with: `time` (NAN: now) when it could be while the job ran, give
 * or take CLOCK_SLACK; else now, said in the trace (a trainer's clock far off, a hostile
 * line), since TensorBoard's axes and the pace of `mmarml run`'s savings read it. */
static double report_time(mmarml_context *job_ctx, job *j, double step, double time)
{
    double now = mmarml__wall_now();

    if (isnan(time))
        return now;
    if (time >= j->wall_start - CLOCK_SLACK && time <= now + CLOCK_SLACK)
        return time;
    if (__atomic_fetch_add(&j->bad_times, 1, __ATOMIC_RELAXED) < DROPS_TRACED)
        mmarml_context_trace(job_ctx, "engine", "job %s: report at step %g: its time %.3f is "
                             "not while the job ran (from %.3f to now, %.3f, give or take "
                             "%g s): kept with the time it was reported", j->name, step, time,
                             j->wall_start, now, CLOCK_SLACK);
    return now;
}

int mmarml_job_report(mmarml_context *job_ctx, double step, double value, int *stop_out)
{
    return mmarml_job_report_at(job_ctx, step, value, NAN, stop_out);
}

int mmarml_job_report_at(mmarml_context *job_ctx, double step, double value, double time,
                         int *stop_out)
{
    mmarml_engine *e;
    void *p = NULL;
    job *j;
    int rc = MMARML_OK, stop = 0, newly = 0;

    if (stop_out != NULL)
        *stop_out = 0;
    if (job_ctx == NULL)
        return MMARML__NULLARG("job_ctx");
    if (!isfinite(step) || step < 0 || !isfinite(value))
        return mmarml_error_set(MMARML_EINVAL, "a report needs a finite step >= 0 and a finite "
                                "value (got step %g, value %g)", step, value);
    if (!isnan(time) && !(isfinite(time) && time >= 0))
        return mmarml_error_set(MMARML_EINVAL, "a report's time must be seconds since the "
                                "epoch (>= 0), or NaN for now (got %g)", time);
    if (mmarml_context_get_pointer(job_ctx, MMARML__KEY_ENGINE_JOB, &p) != MMARML_OK ||
        p == NULL) {
        mmarml_error_clear(); /* an executor driven by hand: nobody to tell */
        return MMARML_OK;
    }
    j = p;
    e = j->w->engine;
    time = report_time(job_ctx, j, step, time);
    pthread_mutex_lock(&e->prune_lock);
    if (j->prune_stop) {
        stop = 1; /* reports after the stop: the decision stands, nothing is recorded */
    } else if (e->report_steps == MMARML_REPORT_STEPS_UNIQUE
                   ? step_set_has(&j->steps_seen, step)
                   : j->nreports > 0 && !(step > j->reports[2 * (j->nreports - 1)])) {
        if (j->dropped_reports++ < DROPS_TRACED) {
            char why[64];

            if (e->report_steps == MMARML_REPORT_STEPS_UNIQUE)
                snprintf(why, sizeof(why), "it was reported already");
            else
                snprintf(why, sizeof(why), "steps must increase (last %g)",
                         j->reports[2 * (j->nreports - 1)]);
            mmarml_context_trace(job_ctx, "engine", "job %s: report at step %g dropped: %s%s",
                                 j->name, step, why, j->dropped_reports == DROPS_TRACED
                                 ? "; further drops are not said" : "");
        }
    } else if ((rc = push_report(j, step, value, time)) == MMARML_OK) {
        if (e->journal != NULL)
            rc = mmarml__journal_record(e, json_pack("{s:s, s:s, s:i, s:I, s:f, s:f, s:f}",
                                                     "t", "report", "job", j->name, "attempt",
                                                     j->attempt, "first", (json_int_t)j->first,
                                                     "step", step, "value", value, "time",
                                                     time), 0);
        if (rc == MMARML_OK && e->pruner != NULL &&
            mmarml_pruner_report(&stop, e->pruner, j->name, j->first, step, value, job_ctx) !=
                MMARML_OK) {
            mmarml_context_exception_occurred(job_ctx, "pruner", mmarml_error_message());
            stop = 0;
        }
        if (stop) {
            j->prune_stop = newly = 1;
            mmarml_context_trace(job_ctx, "engine", "job %s pruned at step %g (value %g)",
                                 j->name, step, value);
        }
    }
    pthread_mutex_unlock(&e->prune_lock);
    if (newly)
        stop_pruned_job(e, j);
    if (stop_out != NULL)
        *stop_out = stop;
    return rc;
}

int mmarml_job_should_stop(const mmarml_context *job_ctx)
{
    void *p = NULL;
    job *j;
    int stop;

    if (job_ctx == NULL ||
        mmarml_context_get_pointer(job_ctx, MMARML__KEY_ENGINE_JOB, &p) != MMARML_OK ||
        p == NULL) {
        mmarml_error_clear();
        return 0;
    }
    j = p;
    pthread_mutex_lock(&j->w->engine->prune_lock);
    stop = j->prune_stop;
    pthread_mutex_unlock(&j->w->engine->prune_lock);
    return stop;
}

/* A copy of a job's reports (`times` 0: step, value pairs) or of their times (1). */
static int copy_reports(const mmarml_context *job_ctx, const char *fn, int times, double **out,
                        size_t *n)
{
    size_t per = times ? 1 : 2;
    void *p = NULL;
    job *j;
    int rc = MMARML_OK;

    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (job_ctx == NULL || out == NULL || n == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: argument '%s' is NULL", fn,
                                job_ctx == NULL ? "job_ctx"
                                : n == NULL     ? "n"
                                : times         ? "times"
                                                : "pairs");
    if (mmarml_context_get_pointer(job_ctx, MMARML__KEY_ENGINE_JOB, &p) != MMARML_OK ||
        p == NULL)
        return mmarml_error_set(MMARML_ENOTFOUND, "%s: not the context of a job the engine "
                                "runs", fn);
    j = p;
    pthread_mutex_lock(&j->w->engine->prune_lock);
    if (j->nreports > 0) {
        *out = malloc(per * j->nreports * sizeof(double));
        if (*out == NULL) {
            rc = MMARML__NOMEM();
        } else {
            memcpy(*out, times ? j->report_times : j->reports,
                   per * j->nreports * sizeof(double));
            *n = j->nreports;
        }
    }
    pthread_mutex_unlock(&j->w->engine->prune_lock);
    return rc;
}

int mmarml_job_reports(const mmarml_context *job_ctx, double **pairs, size_t *n)
{
    return copy_reports(job_ctx, "mmarml_job_reports", 0, pairs, n);
}

int mmarml_job_report_times(const mmarml_context *job_ctx, double **times, size_t *n)
{
    return copy_reports(job_ctx, "mmarml_job_report_times", 1, times, n);
}

void mmarml__job_end_record(mmarml_engine *e, job *j)
{
    if (e->pruner == NULL) {
        mmarml__journal_job_end(e, j);
        return;
    }
    pthread_mutex_lock(&e->prune_lock);
    mmarml__journal_job_end(e, j);
    mmarml_pruner_job_ended(e->pruner, j->name, j->first, j->status);
    pthread_mutex_unlock(&e->prune_lock);
}

void mmarml__replay_report(mmarml_engine *e, const json_t *record, mmarml_context *job_ctx)
{
    const char *name = json_string_value(json_object_get(record, "job"));
    double step = json_number_value(json_object_get(record, "step"));
    double value = json_number_value(json_object_get(record, "value"));
    int stop = 0;

    if (e->pruner == NULL || name == NULL)
        return;
    pthread_mutex_lock(&e->prune_lock);
    if (mmarml_pruner_report(&stop, e->pruner, name,
                             (uint64_t)json_integer_value(json_object_get(record, "first")),
                             step, value, job_ctx != NULL ? job_ctx : e->ctx) != MMARML_OK)
        mmarml_context_exception_occurred(e->ctx, "pruner", mmarml_error_message());
    pthread_mutex_unlock(&e->prune_lock);
}
