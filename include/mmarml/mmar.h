/**
 * @file mmarml/mmar.h
 * @brief AutoML over MMARs (Medical Model ARchives): MMARExecutor, MMARHandler,
 * MMARStatsHandler, StatsHandler, config_automl.json, and the admin socket. Built on the
 * public API only; also reachable by name through the registry.
 *
 * A run: `_mmarRoot` (the MMAR), `_runId` and `_trainConfigFile` are set on the main context
 * (mmarml_automl_engine_new() does it). MMARHandler's start_automl makes the run root
 * `<work_dir>/<run_id>` (work_dir defaults to `<mmar>/automl`) and publishes `_runRoot`,
 * `_automlRoot` and the clone settings. For each job the executor clones the MMAR to
 * `<run_root>/<job_name>`, writes the job config to `config/config_train.json`, and runs
 * `commands/automl_train_round.sh` there (argv only, no shell string, own process group) with
 * `MMAR_ROOT`, `CUDA_VISIBLE_DEVICES`, `MMARML_JOB_NAME` and `MMARML_RUN_ROOT`; the score is
 * `best_validation_metric` of `models/train_stats.json` (else `train_stats.json`).
 *
 * @par Thread-safety
 * As for any component: the engine calls them as `threading.md` describes.
 */
#ifndef MMARML_MMAR_H
#define MMARML_MMAR_H

#include <jansson.h>
#include "common.h"
#include "context.h"
#include "engine.h"
#include "executor.h"
#include "handler.h"
#include "registry.h"

/** libmmarml additions to Clara's MMARPropKey, published by MMARHandler. @{ */
#define MMARML_KEY_KEY_MMAR_CONTENT_ONLY "_keyMmarContentOnly"
#define MMARML_KEY_DATA_LIST_FILE_NAME "_dataListFileName" /**< Main context, string: the data list file that job MMARs get (copied into each) */
/** Job context: the id a cluster executor's scheduler gave the job (Slurm job id, NGC
 *  job id), and its latest state in the scheduler's words (RUNNING, FINISHED_SUCCESS...). */
#define MMARML_KEY_CLUSTER_JOB_ID "_clusterJobId"
#define MMARML_KEY_CLUSTER_JOB_STATE "_clusterJobState" /**< Job context, string: the job's latest state in the scheduler's words */
/** @} */

/**
 * In-process training (Clara's MMARTrainer): called on the job thread instead of running the
 * round script, after the job MMAR and its config are written (`_jobMmarRoot`). Report like
 * an executor's execute. It should return soon once `_jobAborted` is set on `job_ctx`.
 */
typedef int (*mmarml_train_fn)(int *status_out, double *score_out, mmarml_context *job_ctx,
                               void *user_data);

MMARML_BEGIN_DECLS

/**
 * MMARExecutor. Args (all optional): `msg_destination` ("file" (`<job>/log.txt`), "console"
 * (the host's stderr, lines prefixed with the job name), "both", "none"),
 * `remove_search_augs` (false), `poll_interval` (accepted for Clara configs; completion is
 * event-driven), `abort_grace_period` (10 s between SIGTERM and SIGKILL),
 * `key_mmar_content_only` and `data_list_file_name` (override MMARHandler's).
 * @param[out] out  The new executor.
 * @param args  Borrowed; NULL for defaults. Unknown args are MMARML_EINVAL naming them.
 */
MMARML_API int mmarml_executor_new_mmar(mmarml_executor **out, const json_t *args);
/** MMARExecutor that calls `train` in process instead of the round script. */
MMARML_API int mmarml_executor_new_mmar_trainer(mmarml_executor **out, const json_t *args,
                                                mmarml_train_fn train, void *user_data);
/**
 * SlurmExecutor: each job's round script is submitted with `sbatch` (argv only: job name
 * `mmarml.<run_id>.<job>`, output `<job>/log.txt`, working directory `<job>`), followed with
 * `scontrol show job` every `poll_interval` (5 s), then with `sacct` or the job MMAR once
 * Slurm has forgotten it, and cancelled with `scancel`. The run root must be on a file
 * system the compute nodes share. Args (all optional): `partition`, `account`,
 * `time_limit` (minutes, or a Slurm time string), `gpus_per_job` (`--gpus`),
 * `cpus_per_job` (`--cpus-per-task`), `mem`, `extra_args` (a list of sbatch options),
 * `poll_interval`, `max_concurrent` (jobs queued or running at once; 0: one per worker),
 * `remove_search_augs`, `key_mmar_content_only`, `data_list_file_name`. The client
 * commands are found on PATH and inherit the environment (SLURM_CONF).
 */
MMARML_API int mmarml_executor_new_slurm(mmarml_executor **out, const json_t *args);
/**
 * NGCExecutor (D10): each job is `ngc batch run ... --commandline <round script>
 * --format_type json`, polled with `ngc batch get` every `poll_interval` (30 s), killed
 * with `ngc batch kill`. Required args: `image`, `workspace_id`, `workspace_path` (where
 * the workspace is mounted in the container), `org`, `ace`, `instance`, `result_dir`;
 * optional: `team`, `dataset_id` with `dataset_path`, `poll_interval`,
 * `remove_search_augs`. MMARHandler's work_dir must be the local mount of the same
 * workspace: the job MMAR is written there and its score read there. Tested only against a
 * stand-in `ngc` program.
 */
MMARML_API int mmarml_executor_new_ngc(mmarml_executor **out, const json_t *args);
/**
 * MMARHandler. Args: `work_dir`, `train_config_file`, `num_mmars_to_keep` (all),
 * `keep_bad_mmars` (false), `stop_threshold` (none), `key_mmar_content_only` (false),
 * `data_list_file_name`. Refuses to start when the run root exists.
 */
MMARML_API int mmarml_handler_new_mmar(mmarml_handler **out, const json_t *args);
/** MMARStatsHandler: `<run_root>/<stats_file_name>` (default automl_stats_log.json),
 *  rewritten atomically after every event. Must come after MMARHandler. */
MMARML_API int mmarml_handler_new_mmar_stats(mmarml_handler **out, const json_t *args);
/** StatsHandler: counts per status, best score, job times; logged and traced at the end. */
MMARML_API int mmarml_handler_new_stats(mmarml_handler **out, const json_t *args);

/**
 * Load `config_automl.json` and make the engine it describes.
 *
 * @param[out] out    The engine, its controller, executor, handlers and pruner set.
 * @param ctx         Main context of the run: receives `_mmarRoot`, `_runId`,
 *                    `_trainConfigFile` and the trace destination.
 * @param reg         Registry to create components from.
 * @param mmar_root   The MMAR directory.
 * @param automlconf  File in `<mmar>/config/`, or an absolute path; NULL for
 *                    config_automl.json.
 * @param vars        `--set` variables, a JSON object of strings (borrowed; may be NULL):
 *                    `run_id` (default `run_<UTC time>`), `trainconf` (config_train.json),
 *                    `workers`, `traceout` (file, console, both, none), and any `{name}` the
 *                    config uses.
 * @return MMARML_OK; MMARML_EINVAL naming the file and JSON path of what is wrong;
 *         MMARML_ENOTSUP for a Python component; MMARML_ENOTFOUND for missing files.
 */
MMARML_API int mmarml_automl_engine_new(mmarml_engine **out, mmarml_context *ctx,
                                        mmarml_registry *reg, const char *mmar_root,
                                        const char *automlconf, const json_t *vars);

/** @name Clara's MMARStd: the standard folder and file names of an MMAR
 * @{ */
#define MMARML_MMAR_AUTOML_CONFIG "config_automl.json" /**< the AutoML config, in the config folder */
#define MMARML_MMAR_AUTOML_DIR "automl" /**< the default folder for run roots, in the MMAR */
#define MMARML_MMAR_AUTOML_STATS_FILE "automl_stats_log.json" /**< MMARStatsHandler's default file, in the run root */
#define MMARML_MMAR_COMMAND_DIR "commands" /**< the scripts folder */
#define MMARML_MMAR_CONFIG_DIR "config" /**< the configs folder */
#define MMARML_MMAR_ENV_CONFIG "environment.json" /**< the environment config, in the config folder */
#define MMARML_MMAR_EVAL_DIR "eval" /**< the evaluation output folder */
#define MMARML_MMAR_LOG_CONFIG "resources/log.config" /**< the logging config */
#define MMARML_MMAR_LOG_FILE "log.txt" /**< a job's log, in its MMAR */
#define MMARML_MMAR_MODELS_DIR "models" /**< the models folder */
#define MMARML_MMAR_SCORE_KEY "best_validation_metric" /**< the key of the score in train_stats.json */
#define MMARML_MMAR_TRACE_FILE "trace.txt" /**< the run's trace, in the run root */
#define MMARML_MMAR_TRAIN_CONFIG "config_train.json" /**< the default training config */
#define MMARML_MMAR_TRAIN_ROUND_CMD "automl_train_round.sh" /**< the round script, in the scripts folder */
#define MMARML_MMAR_TRAIN_STATS "train_stats.json" /**< what a trainer writes at its end, in the models folder */
/** @} */

/** The admin control socket of a live run. */
typedef struct mmarml_admin_server mmarml_admin_server;

/**
 * Serve admin commands for `engine` on a Unix socket at `socket_path` (mode 0600) from a
 * thread of its own. Protocol: one line `<command> [worker]`, one reply line
 * `{"ok": true, "result": ...}` or `{"ok": false, "error": "..."}`. Commands: list_workers,
 * show_worker, suspend_worker, resume_worker, abort_worker, stop, status, and summary (the
 * text of `summary_path`, may be NULL). One poll loop serves up to 64 clients at once, each
 * with 2 s in all to send its line (at most 511 bytes) and take its reply; a client cannot
 * stall the server or kill the process (no SIGPIPE).
 * @param[out] out      The running server; stop it with mmarml_admin_server_stop().
 * @param engine  Not referenced: stop the server before the engine goes away.
 * @param socket_path  Where the socket is made (a stale socket there is replaced).
 * @param summary_path What `summary` replies with; may be NULL.
 */
MMARML_API int mmarml_admin_server_start(mmarml_admin_server **out, mmarml_engine *engine,
                                         const char *socket_path, const char *summary_path);
/** Stop serving, join the thread, remove the socket. NULL-safe. */
MMARML_API void mmarml_admin_server_stop(mmarml_admin_server *server);
/**
 * Client side: send one command line to the socket and return the reply line.
 * @param[out] reply  Release with mmarml_free().
 * @param socket_path  The run's admin socket (`<run_root>/admin.sock`).
 * @param command      One command line, without its newline.
 * @return MMARML_OK, or MMARML_EIO when nothing listens there or no reply came (within 10 s).
 */
MMARML_API int mmarml_admin_request(char **reply, const char *socket_path, const char *command);

/**
 * @return 1 when `name` may be a run id or job name: a single path component, not "." or
 *         "..", without '/' or control characters.
 */
MMARML_API int mmarml_mmar_name_ok(const char *name);

MMARML_END_DECLS

#endif
