/* The engine's state, shared by engine.c (running jobs), engine_admin.c (the admin calls)
 * and engine_resume.c (journal records and resuming from them). */
#ifndef MMARML_CORE_ENGINE_INTERNAL_H
#define MMARML_CORE_ENGINE_INTERNAL_H

#include <pthread.h>

#include "internal.h"
#include "journal.h"
#include "step_set.h"

typedef struct worker worker;
typedef struct job job;

struct job {
    worker *w;
    mmarml_recommendation *rec;
    mmarml_context *ctx;
    char name[80];
    uint64_t number;  /* J<n> */
    uint64_t first;   /* the job number of the first attempt (== number for a first one) */
    int attempt;      /* 1 for a first run */
    json_t *resumed;  /* `_resumedJob` of a job that runs again after a resume, or NULL */
    double start_time; /* monotonic, for max_job_run_time */
    double wall_start, wall_end;
    /* Set by the engine (0, MMARML_JOB_ABORTED or MMARML_JOB_TIMEOUT) and `executing`, set
     * by the job thread around execute(), are both seq_cst atomics: the job thread stores
     * `executing` then reads `abort_reason`, the aborter stores `abort_reason` then reads
     * `executing`, so at least one of them sees the other and a job is never left running
     * unaborted. */
    int abort_reason;
    int executing;
    int status;
    double score;
    int retry;         /* ended failed/error/timeout with attempts left: run it again */
    uint64_t end_seq;  /* 1-based order of its end record in the journal (0: no journal) */
    /* progress reports, step and value pairs, and when each value was measured (seconds
     * since the epoch; NaN: a journal older than report times) (under the engine's
     * prune_lock) */
    double *reports;
    double *report_times;
    size_t nreports, report_cap;
    step_set steps_seen; /* with MMARML_REPORT_STEPS_UNIQUE: the steps reported */
    unsigned dropped_reports; /* steps that did not increase */
    unsigned bad_times;       /* reports whose time could not be while the job ran (atomic) */
    int prune_stop;           /* the pruner stopped it */
    job *next;         /* completion queue */
};

struct worker {
    mmarml_engine *engine;
    int number; /* 1-based */
    char name[24];
    char *gpus;
    pthread_t thread;
    pthread_cond_t cond;
    int started;
    job *job; /* assigned and not yet completed */
    uint64_t jobs;
    int suspended;
    int quit;
};

/* A job waiting for a worker: a controller's recommendation (name empty: named at
 * dispatch), a retry, or a job that was running when the run died (named, `resumed`). */
typedef struct pending_job {
    mmarml_recommendation *rec;
    char name[80];
    uint64_t number, first;
    int attempt;
    int worker; /* preferred worker number, 0: any */
    json_t *resumed;
} pending_job;

enum { ENGINE_NEW, ENGINE_RUNNING, ENGINE_ENDED };

struct mmarml_engine {
    mmarml__refcount ref;
    mmarml_controller *controller;
    mmarml_executor *executor;
    mmarml_handler **handlers;
    size_t nhandlers;
    mmarml_engine_options opts;
    char *workers_spec, *journal_spec;

    worker *workers;
    size_t nworkers;

    pthread_mutex_t lock;
    pthread_cond_t cond; /* the engine thread waits here */
    uint64_t wakeups;    /* bumped (under lock) by everything that signals `cond` */
    unsigned spin_budget, spin_probe; /* the engine thread's adaptive spin */
    int engine_sleeping;      /* the engine thread waits on `cond` (not spinning) */
    int helper_active;        /* a job thread does the engine's work (help_engine) */
    int engine_awaits_helper; /* the engine thread woke and waits for that helper */
    int state;
    int stop_requested;
    int stopping;
    int end_reason;
    mmarml_context *ctx;

    /* pending jobs (ring buffer): retries and resumed jobs go in front */
    pending_job *pending;
    size_t pending_head, pending_count, pending_cap;

    job *done_head; /* completions, in end-record order */
    mmarml_recommendation_list *refined; /* reused for every refine_recommendation */
    /* what handlers were last shown, frozen (engine lock; NULL before the first list): a
     * new job's `_recommendations`, as a Clara job context inherits its main context's */
    mmarml_recommendation_list *last_shown;
    uint64_t jobs_started;   /* the highest job number given */
    uint64_t first_attempts; /* recommendations started: what max_jobs counts */
    uint64_t jobs_finished;
    size_t running;

    /* the journal (NULL without one) */
    mmarml__journal *journal;
    uint64_t end_seq;      /* end records written (under the journal's lock) */
    uint64_t next_end_seq; /* the next completion the engine thread may process */
    double prior_elapsed;  /* run time of the earlier parts of a resumed run */
    double run_start;      /* monotonic start of this part */
    int journal_failed;    /* the journal cannot be written any more */
    /* the run must stop: the journal failed, or the file system under it did (first cause) */
    int run_failed;        /* its MMARML_E* code, 0 while it goes on */
    char *run_failed_message;
    mmarml_search_space *space; /* the run's, borrowed from the main context (`_searchSpace`) */
    mmarml_outcome *best;       /* the best ok outcome so far (engine lock) */
    /* early stopping (engine_prune.c): reports are journaled and given to the pruner under
     * prune_lock, so that the journal holds them in the order the pruner saw them */
    mmarml_pruner *pruner;
    int pruned_score; /* enum mmarml_pruned_score */
    int report_steps; /* enum mmarml_report_steps */
    pthread_mutex_t prune_lock;
    /* while replaying a journal: every recommendation the controller made, in order */
    mmarml_recommendation_list *replayed;
};

/* engine.c */
void mmarml__engine_wake(mmarml_engine *e); /* engine lock held */
/* Stop the run for `code` (MMARML_ESTORAGE, MMARML_EIO) saying `message`; the first cause
 * is kept. Engine lock not held. */
void mmarml__engine_fail(mmarml_engine *e, int code, const char *message);
job *mmarml__worker_job(const worker *w);
void mmarml__engine_mark_abort(mmarml_engine *e, job *j, int reason, mmarml_context **ctxs,
                               size_t *count);
void mmarml__engine_run_aborts(mmarml_engine *e, mmarml_context **ctxs, size_t *count);
int mmarml__engine_pending_push(mmarml_engine *e, const pending_job *p, int front);
const char *mmarml__end_reason_name(int reason);
/* The outcome to refine_recommendation, what it returns queued, round_ended. */
void mmarml__engine_refine(mmarml_engine *e, const mmarml_outcome *outcome);
/* Announce and queue what a controller returned (dropped while stopping). */
void mmarml__engine_accept(mmarml_engine *e, mmarml_recommendation_list *list);
/* Fire an event on every handler; see engine.c. */
int mmarml__engine_fire(mmarml_engine *e, int event, mmarml_context *ctx, int reverse,
                        int fatal);

/* engine_resume.c: the journal's records */
/* What a resumed run has read of its journal (engine_resume.c). */
typedef struct mmarml__resume mmarml__resume;
void mmarml__resume_free(mmarml__resume *resume);
/* After start_automl: open the journal, or, resuming, open it and index its jobs into
 * *resume (NULL when not resuming). 1 when a resumed run had finished already (nothing is to
 * be done), MMARML_OK, or a negative code (the journal is as it was). */
int mmarml__journal_begin(mmarml_engine *e, mmarml__resume **resume);
/* The header (new run: `resume` NULL) or the identity and space check plus a resume
 * record. */
int mmarml__journal_space(mmarml_engine *e, const mmarml__resume *resume,
                          mmarml_search_space *space);
/* Replay the ended jobs of the journal through end_job and the controller (reading it
 * again), then queue what was running. After initial_recommendation. */
int mmarml__journal_replay(mmarml_engine *e, mmarml__resume *resume, mmarml_search_space *space);
int mmarml__journal_job_start(mmarml_engine *e, job *j);
/* The end record (durable), then j->end_seq; never fails the job (a failed write stops the
 * run). */
void mmarml__journal_job_end(mmarml_engine *e, job *j);
void mmarml__journal_stop(mmarml_engine *e, int reason, const char *message);
void mmarml__journal_end_run(mmarml_engine *e);
/* An `alive` record with the run's elapsed time, every MMARML__HEARTBEAT_S while jobs run:
 * a resumed run's max_sys_run_time counts the time a part lived, not only its last job's
 * start. Not fsynced. */
#define MMARML__HEARTBEAT_S 60.0
void mmarml__journal_alive(mmarml_engine *e);
double mmarml__run_elapsed(const mmarml_engine *e);
double mmarml__wall_now(void);
/* engine_prune.c */
/* The value a pruned job is judged by (best or last report; NaN without reports). */
double mmarml__prune_score(const mmarml_engine *e, const job *j);
/* Load the reports a resumed job made before the run died (`resumed`'s "reports"). */
void mmarml__job_restore_reports(job *j);
/* The end record, then the pruner's job_ended, in one step under prune_lock. */
void mmarml__job_end_record(mmarml_engine *e, job *j);
/* `_prunedValue`, `_jobReports`, `_jobLastStep` on the job's context at its end. */
void mmarml__job_report_keys(mmarml_engine *e, job *j, mmarml_context *ctx, double score);
/* Copy a job's reports onto its outcome. */
void mmarml__outcome_reports(mmarml_outcome *outcome, const double *reports, size_t n);
/* Resume: a journaled report record to the pruner (the decision was acted on before), with
 * `job_ctx` as its context (NULL: the main context). */
void mmarml__replay_report(mmarml_engine *e, const json_t *record, mmarml_context *job_ctx);
void mmarml__job_free_reports(job *j);
/* The job a job context belongs to (the engine's key on it). */
#define MMARML__KEY_ENGINE_JOB "__mmarmlEngineJob"
/* engine_resume.c: append a journal record (durable: fdatasync). */
int mmarml__journal_record(mmarml_engine *e, json_t *record, int durable);

/* Build a job context (job thread, or the engine thread for a restored job). */
int mmarml__job_context(mmarml_engine *e, job *j, mmarml_context **out);

#endif
