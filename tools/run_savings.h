/*
 * What pruning saved, for `mmarml run`'s last lines and `mmarml report`'s page: the worker
 * time the pruned jobs would have gone on to use had they trained to the end, each at its
 * own pace. An estimate, and said as one: "the end" is the last step of the longest job
 * that ended ok.
 */
#ifndef MMARML_TOOLS_RUN_SAVINGS_H
#define MMARML_TOOLS_RUN_SAVINGS_H

#include <stddef.h>

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

/* What the jobs held their workers for, and what pruning saved. */
typedef struct {
    /* seconds times GPUs on workers with GPUs, seconds on workers without; in all and in
     * the pruned jobs */
    double gpu_s, gpu_s_pruned, cpu_s, cpu_s_pruned;
    unsigned gpu_pruned, cpu_pruned; /* pruned jobs on each kind of worker */
    prune_savings savings;
} worker_time;

/* A job that ended: `took` seconds on a worker with `gpus` GPUs, its status ("ok",
 * "pruned", ...), its last step (0: it reported nothing) and, for a pruned one, its pace
 * (savings_pace(); NAN: unknown). */
void worker_time_add(worker_time *w, double took, unsigned gpus, const char *status,
                     double last_step, double pace);
void worker_time_free(worker_time *w);

/* The GPUs of a worker's list ("0,1": 2; "" or NULL: 0, a worker without GPUs). */
unsigned worker_gpu_count(const char *gpus);
/* Seconds per step between a job's first and last timed reports (steps and times of each),
 * or NAN: fewer than two, or times that span more than the job's wall time `took` (a
 * trainer's clock that cannot be right). */
double savings_pace(double first_step, double first_time, double last_step, double last_time,
                    double took);
/* The estimate: GPU-seconds on workers with GPUs (`with_gpus` 1) or seconds on workers
 * without (0); *jobs_out: how many pruned jobs it counts. */
double savings_estimate(const prune_savings *s, int with_gpus, unsigned *jobs_out);

#endif
