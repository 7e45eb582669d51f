/*
 * `mmarml prune-replay` (prune_replay_cli.c): a run's reports, as its journal holds them in
 * the order its engine took them, given to a pruner as the engine gives them: each report
 * with the job's context (`_jobName`, `_recommendation`), each end with its status, and a
 * job the pruner stops told ended `pruned` at once, its later reports left out. Then what
 * that comes to: the jobs stopped, the steps and worker time saved, the best jobs' fate.
 *
 * An estimate, and said as one: the jobs are the run's. With the pruner, the controller
 * would have seen pruned outcomes and proposed other jobs, and a worker freed early would
 * have started its next job sooner. With one worker and a controller that does not learn
 * from outcomes (random search), the replay is the pruned run (tests/check_prune_replay).
 */
#ifndef MMARML_TOOLS_PRUNE_REPLAY_H
#define MMARML_TOOLS_PRUNE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <mmarml.h>

/* The best ok jobs whose fate the summary tells. */
#define TOP_JOBS 5

typedef struct {
    char *name;
    uint64_t first;          /* job number of its first attempt: what the pruner is told */
    json_t *rec;             /* its start record's "rec" */
    mmarml_context *ctx;     /* `_jobName`, `_recommendation`: as the engine gives them */
    unsigned gpus;
    const char *status;      /* its end record's; NULL: it has none */
    double score;            /* ok jobs; else NAN */
    double took;             /* wall seconds from its end record; NAN: unknown */
    size_t nreports;
    double first_step, first_time, last_step, last_time; /* its reports in the run */
    double stop_step;        /* where the pruner stops it; NAN: it goes on */
    int ended;               /* the pruner was told it ended */
} replay_job;

typedef struct {
    mmarml_pruner *pruner;      /* borrowed */
    mmarml_context *main_ctx;
    mmarml_search_space *space; /* from the header; NULL: jobs get no `_recommendation` */
    replay_job *jobs;           /* in start order */
    size_t njobs, cap;
    json_t *index;              /* job name -> index in jobs */
    size_t reports, skipped;    /* reports given to the pruner, and those after a stop */
    size_t unknown;             /* records of jobs with no start record */
} replay;

typedef struct {
    size_t stopped;                     /* jobs the pruner stops */
    double steps_run, steps_replayed;   /* the last steps the jobs reached, summed */
    double gpu_s, gpu_s_saved;          /* worker time on workers with GPUs (GPU-seconds) */
    double cpu_s, cpu_s_saved;          /* and on workers without (seconds) */
    size_t unpaced;                     /* stopped jobs whose pace is unknown: not counted */
    const replay_job *top[TOP_JOBS];    /* the run's best ok jobs, best first */
    size_t ntop;
    const replay_job *best_kept;        /* the best ok job the pruner lets go on */
} replay_summary;

/* Replay the journal at `journal` through `pruner` into r (free it with replay_free(), also
 * on failure). Returns MMARML_OK, or an error with mmarml_error_message() saying why: the
 * journal cannot be read, the pruner failed. */
int replay_journal(replay *r, mmarml_pruner *pruner, const char *journal);
void replay_free(replay *r);
/* What the replay comes to. */
void replay_summarize(const replay *r, replay_summary *s);

#endif
