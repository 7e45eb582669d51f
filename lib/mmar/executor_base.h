/* The skeleton every MMAR executor shares (Clara's BaseMMARExecutor): make the job MMAR and
 * its config, submit the round script, check it until it ends (stopping it when the engine
 * aborts the job), then read the score. A backend says only how to submit, check and stop:
 * local processes (MMARExecutor), Slurm (SlurmExecutor) and NGC (NGCExecutor). */
#ifndef MMARML_MMAR_EXECUTOR_BASE_H
#define MMARML_MMAR_EXECUTOR_BASE_H

#include "mmarml.h"

/* How a job ended, as a backend's check reports it. */
typedef struct mmar_job_end {
    int status;    /* MMARML_JOB_OK: ended normally, the score file decides (ok or no_score);
                    * or MMARML_JOB_FAILED, _ABORTED, _TIMEOUT, _NO_SCORE */
    int exit_code; /* exit status, -1 when unknown or killed */
    int signal;    /* terminating signal, 0 when none or unknown */
} mmar_job_end;

typedef struct mmar_backend {
    const char *name;      /* the registered name, for messages */
    double poll_interval;  /* default seconds between checks (arg poll_interval) */
    int event_driven;      /* check waits for the end by itself: no polling */
    int gpus_in_env;       /* set CUDA_VISIBLE_DEVICES to the worker's GPUs */
    int64_t max_concurrent; /* jobs submitted at once, over all workers; 0: no limit */
    void *data;
    /* Start the job whose MMAR is `job_root`, with environment `env`. *run is the backend's
     * per-job state, given back to check, stop and release. */
    int (*submit)(void **run, void *data, mmarml_context *job, const char *job_root,
                  char *const env[]);
    /* Wait at most `timeout_s` (< 0: no limit) or until `wake_fd` is readable, then report:
     * 1 and *end when the job has ended, 0 when not yet, < 0 (message set) when it cannot be
     * known any more. */
    int (*check)(void *data, void *run, mmarml_context *job, int wake_fd, double timeout_s,
                 mmar_job_end *end);
    /* Ask the job to end, forcefully after `grace_s`; check then reports the end. Called on
     * the job's thread. */
    int (*stop)(void *data, void *run, mmarml_context *job, double grace_s);
    void (*release)(void *data, void *run);
    /* Optional: follow a job the cluster already runs (`cluster_id`, recorded by an earlier
     * part of a resumed run) instead of submitting it; *run as submit makes it. */
    int (*adopt)(void **run, void *data, mmarml_context *job, const char *job_root,
                 const char *cluster_id);
    /* Optional: run the job in process instead of submit/check (Clara's MMARTrainer). */
    int (*run_inline)(int *status, double *score, void *data, mmarml_context *job);
    void (*destroy)(void *data);
} mmar_backend;

/* A file in the job MMAR where the local guard writes the round script's wait status when
 * it ends: a resumed run takes that outcome instead of training again. */
#define MMAR_EXIT_RECORD ".mmarml_exit_status"

/* Seconds a polled scheduler may fail to answer about a job before the job is given up as
 * lost (status `error`): long enough for a controller restart or failover. */
#define MMAR_UNREACHABLE_LIMIT_S 600.0

/* For polling backends: wait `timeout_s` or until `wake_fd` is readable (not read). */
void mmar_executor_nap(int wake_fd, double timeout_s);

/* Check `args` against the shared arg names plus `own` (NULL-terminated). */
int mmar_executor_args_check(const json_t *args, const char *who, const char *const own[]);
/* Make the executor. Parses the shared args (remove_search_augs, key_mmar_content_only,
 * data_list_file_name, poll_interval, abort_grace_period); `*backend` is copied and its data
 * is owned from here on, also on failure. */
int mmar_executor_base_new(mmarml_executor **out, const json_t *args,
                           const mmar_backend *backend);

#endif
