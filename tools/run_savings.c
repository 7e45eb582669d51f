/*
 * What pruning saved (run_savings.h). A pruned job's pace is taken from its own reports'
 * times where it has two, because its wall time also holds what a job spends before its
 * first step (cloning the MMAR, loading data) and after its stop (the grace period): spread
 * over the steps, that would overstate a job stopped early.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "run_savings.h"

void savings_ended_ok(prune_savings *s, double last_step)
{
    if (isfinite(last_step) && last_step > s->full_steps)
        s->full_steps = last_step;
}

/* Seconds per step between the job's first and last timed reports; NAN without two, or
 * where the times cannot be the job's: a trainer's clock is trusted for its own pace only
 * as far as the job's wall time, `took`, bounds it. */
static double report_pace(const mmarml_context *job_ctx, double took)
{
    double *pairs = NULL, *times = NULL, pace = NAN;
    size_t n = 0, ntimes = 0;

    if (mmarml_job_reports(job_ctx, &pairs, &n) == MMARML_OK &&
        mmarml_job_report_times(job_ctx, &times, &ntimes) == MMARML_OK && n == ntimes &&
        n >= 2 && isfinite(times[0]) && isfinite(times[n - 1]) && times[n - 1] >= times[0] &&
        times[n - 1] - times[0] <= took)
        pace = (times[n - 1] - times[0]) / (pairs[2 * (n - 1)] - pairs[0]);
    mmarml_free(pairs);
    mmarml_free(times);
    return pace;
}

void savings_pruned(prune_savings *s, const mmarml_context *job_ctx, double took,
                    double last_step, unsigned gpus)
{
    double pace = report_pace(job_ctx, took);

    if (!isfinite(pace) && last_step > 0 && took >= 0)
        pace = took / last_step; /* a job restored from the journal, or one timed report */
    if (!isfinite(pace))
        return; /* stopped before its first step: nothing to go on */
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        stopped_job *more = realloc(s->jobs, cap * sizeof(*more));
        if (more == NULL)
            return;
        s->jobs = more;
        s->cap = cap;
    }
    s->jobs[s->n].per_step = pace * (gpus > 0 ? gpus : 1);
    s->jobs[s->n].last_step = last_step;
    s->jobs[s->n].gpus = gpus;
    s->n++;
}

double savings_estimate(const prune_savings *s, int with_gpus, unsigned *jobs_out)
{
    double saved = 0;
    size_t i;

    *jobs_out = 0;
    for (i = 0; i < s->n; i++) {
        const stopped_job *j = &s->jobs[i];
        if ((j->gpus > 0) != (with_gpus != 0) || !(s->full_steps > j->last_step))
            continue; /* another kind of worker, or stopped at the end anyway */
        saved += j->per_step * (s->full_steps - j->last_step);
        (*jobs_out)++;
    }
    return saved;
}

void savings_free(prune_savings *s)
{
    free(s->jobs);
    s->jobs = NULL;
    s->n = s->cap = 0;
}
