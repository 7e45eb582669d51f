/*
 * What pruning saved (run_savings.h). A pruned job's pace is taken from its own reports'
 * times where it has two, because its wall time also holds what a job spends before its
 * first step (cloning the MMAR, loading data) and after its stop (the grace period): spread
 * over the steps, that would overstate a job stopped early.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run_savings.h"

unsigned worker_gpu_count(const char *gpus)
{
    unsigned n = 1;

    if (gpus == NULL || *gpus == '\0')
        return 0;
    for (; *gpus; gpus++)
        n += *gpus == ',';
    return n;
}

/* A job that ended ok at `last_step`: how far a job goes. */
static void savings_ended_ok(prune_savings *s, double last_step)
{
    if (isfinite(last_step) && last_step > s->full_steps)
        s->full_steps = last_step;
}

double savings_pace(double first_step, double first_time, double last_step, double last_time,
                    double took)
{
    if (!(last_step > first_step) || !isfinite(first_time) || !isfinite(last_time) ||
        !(last_time >= first_time) || !(last_time - first_time <= took))
        return NAN;
    return (last_time - first_time) / (last_step - first_step);
}

/* A pruned job, `took` seconds on a worker with `gpus` GPUs, stopped at `last_step`, going
 * at `pace` seconds per step (savings_pace(); NAN: took / last_step, which counts its
 * start-up as training). Out of memory: not counted. */
static void savings_pruned(prune_savings *s, double pace, double took, double last_step,
                           unsigned gpus)
{
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

void worker_time_add(worker_time *w, double took, unsigned gpus, const char *status,
                     double last_step, double pace)
{
    int pruned = status != NULL && strcmp(status, "pruned") == 0;

    if (!(took >= 0))
        took = 0; /* no start or end known */
    if (gpus > 0) {
        w->gpu_s += took * gpus;
        w->gpu_s_pruned += pruned ? took * gpus : 0;
        w->gpu_pruned += pruned;
    } else {
        w->cpu_s += took;
        w->cpu_s_pruned += pruned ? took : 0;
        w->cpu_pruned += pruned;
    }
    if (pruned)
        savings_pruned(&w->savings, pace, took, last_step, gpus);
    else if (status != NULL && strcmp(status, "ok") == 0 && last_step > 0)
        savings_ended_ok(&w->savings, last_step);
}

void worker_time_free(worker_time *w)
{
    free(w->savings.jobs);
    w->savings.jobs = NULL;
    w->savings.n = w->savings.cap = 0;
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

