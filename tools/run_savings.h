/*
 * What pruning saved, for `mmarml run`'s last lines: the worker time the pruned jobs would
 * have gone on to use had they trained to the end, each at its own pace. An estimate, and
 * said as one: "the end" is the last step of the longest job that ended ok.
 */
#ifndef MMARML_TOOLS_RUN_SAVINGS_H
#define MMARML_TOOLS_RUN_SAVINGS_H

#include <stddef.h>

#include "mmarml.h"

typedef struct {
    double per_step;  /* worker time per step: seconds times its GPUs (1 without GPUs) */
    double last_step; /* where it was stopped */
    unsigned gpus;
} stopped_job;

typedef struct {
    stopped_job *jobs; /* the pruned jobs whose pace is known */
    size_t n, cap;
    double full_steps; /* the last step of the longest job that ended ok; 0: none yet */
} prune_savings;

/* A job that ended ok at `last_step`: how far a job goes. */
void savings_ended_ok(prune_savings *s, double last_step);
/* A pruned job, `took` seconds on a worker with `gpus` GPUs, stopped at `last_step`. Its
 * pace is read from its reports' times (job_ctx: an engine's end_job context), from the
 * first to the last; without two timed reports, or where they span more than `took` (a
 * trainer's clock that cannot be right), took / last_step. Out of memory: not counted. */
void savings_pruned(prune_savings *s, const mmarml_context *job_ctx, double took,
                    double last_step, unsigned gpus);
/* The estimate: GPU-seconds on workers with GPUs (`with_gpus` 1) or seconds on workers
 * without (0); *jobs_out: how many pruned jobs it counts. */
double savings_estimate(const prune_savings *s, int with_gpus, unsigned *jobs_out);
void savings_free(prune_savings *s);

#endif
