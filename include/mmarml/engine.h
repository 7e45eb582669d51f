/**
 * @file mmarml/engine.h
 * @brief Engine: runs jobs on workers and feeds outcomes back to the controller (Clara's
 * workflow Engine).
 *
 * Event order: startup (handlers in chain order) -> start_automl -> determine_search_space ->
 * search_space_available -> set_search_space -> initial_recommendation ->
 * recommendations_available -> jobs -> end_automl -> shutdown of controller, executor, then
 * handlers in reverse chain order.
 *
 * Jobs: pending recommendations form a FIFO; a job goes to the idle, non-suspended worker
 * with the fewest jobs done (ties: lowest number) and runs on that worker's job thread as
 * start_job -> execute -> end_job. Job names are `W<w>_<k>_J<n>` (worker number, that
 * worker's 1-based job count, global 1-based job number). Completions wake the engine
 * thread (no polling), which calls refine_recommendation in completion order, then fires
 * round_ended.
 *
 * The run ends when the controller has nothing more and nothing is pending or running, when
 * a stop is asked (context stop_work or mmarml_engine_stop(): running jobs are aborted),
 * when max_jobs jobs have finished, or when max_sys_run_time has passed (running jobs are
 * aborted). A job running longer than max_job_run_time is aborted with status `timeout`.
 * Every ended job's outcome reaches the controller, also while the run is stopping (what
 * it recommends then is dropped).
 *
 * With a journal (option `journal`) everything the run learns is recorded before it is
 * acted on, and a run that died can be resumed (option `resume`): <mmarml/journal.h>.
 *
 * @par Thread-safety
 * mmarml_engine_run() blocks the calling thread, which becomes the engine thread. The admin
 * functions and mmarml_engine_stop() may be called from any thread while it runs. Controller
 * methods and engine events are called one at a time (see engine_thread_calls for which
 * thread makes them).
 */
#ifndef MMARML_ENGINE_H
#define MMARML_ENGINE_H

#include <jansson.h>
#include "common.h"
#include "context.h"
#include "controller.h"
#include "executor.h"
#include "handler.h"
#include "pruner.h"

/** The workflow engine: runs jobs on workers and feeds outcomes to the controller. */
typedef struct mmarml_engine mmarml_engine;

/** Engine options; versioned like a vtable. Zero means "no limit" for the limits. */
typedef struct mmarml_engine_options {
    uint32_t struct_size; /**< sizeof(mmarml_engine_options) as the caller compiled it */
    uint32_t version; /**< MMARML_ENGINE_OPTIONS_VERSION */
    /* --- version 1 --- */
    /** Clara's workers string: `0:0:1:1`, `0,1:2,3`; `-` is a worker without GPUs (`-:-:-`
     *  is three, e.g. for a cluster executor); NULL or "" gives one worker without GPUs.
     *  Copied. */
    const char *workers;
    /** Stop dispatching after this many jobs; the run ends when they have finished. */
    uint64_t max_jobs;
    /** Seconds a job may run before it is aborted with status `timeout`. */
    double max_job_run_time;
    /** Seconds the whole run may take; running jobs are then aborted. */
    double max_sys_run_time;
    /* --- version 2 --- */
    /** The run's journal (<mmarml/journal.h>, docs/resume.md); NULL: none. A name without
     *  '/' is a file in the run root (`_runRoot`, which MMARHandler's start_automl sets),
     *  opened after start_automl; any other path is used as it is. Copied. */
    const char *journal;
    /** Non-zero: continue the run that `journal` records instead of starting one (refused
     *  when there is none). Ended jobs are replayed to the handlers and the controller, in
     *  their completion order, before any job starts; jobs that were running run again. */
    int resume;
    /** A job that ends failed, error or timeout runs again, with the same recommendation
     *  and a new job name, up to this many times before its outcome reaches the controller.
     *  Every attempt gets start_job/end_job (`_jobAttempt`). */
    uint32_t max_retries;
    /** Non-zero: every controller method and every event other than start_job/end_job is
     *  called on the engine thread (the caller of mmarml_engine_run), as version 1 did. By
     *  default a job thread whose job ended while the engine thread sleeps makes those calls
     *  itself (still one at a time, in the same order, each call seeing what the one before
     *  did): on a machine whose CPUs are saturated that saves two thread switches per job.
     *  Set it for components bound to one thread. */
    int engine_thread_calls;
} mmarml_engine_options;

#define MMARML_ENGINE_OPTIONS_VERSION 2 /**< The options version this header describes */
/** A static initialiser: struct_size and version set, everything else zero. */
#define MMARML_ENGINE_OPTIONS_INIT \
    { sizeof(mmarml_engine_options), MMARML_ENGINE_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Why a run ended (mmarml_engine_end_reason()). */
enum mmarml_end_reason {
    MMARML_END_NOT_ENDED = 0,
    MMARML_END_EXHAUSTED = 1,     /**< the controller had nothing more */
    MMARML_END_STOP_ASKED = 2,    /**< stop_work or mmarml_engine_stop() */
    MMARML_END_MAX_JOBS = 3,
    MMARML_END_MAX_SYS_RUN_TIME = 4,
    /** resuming a run whose journal says it ended (not by a stop): nothing was done */
    MMARML_END_ALREADY_FINISHED = 5,
    /** the file system under the run failed (full, quota, read-only, I/O error): a job's
     *  execute or the journal said MMARML_ESTORAGE; the run stopped and can be resumed */
    MMARML_END_STORAGE_FAILED = 6
};

MMARML_BEGIN_DECLS

/** Zero `opts` and set struct_size and version (all limits off, one worker).
 *  @return MMARML_OK or MMARML_EVERSION. */
MMARML_API int mmarml_engine_options_init(mmarml_engine_options *opts, uint32_t version);

/**
 * Create an engine.
 * @param[out] out    The new engine (refcount 1).
 * @param controller  Referenced.
 * @param executor    Referenced.
 * @param opts        Copied; NULL for defaults.
 * @return MMARML_OK, MMARML_EINVAL (bad workers string: the message quotes it and the
 *         position), MMARML_EVERSION (options version).
 */
MMARML_API int mmarml_engine_new(mmarml_engine **out, mmarml_controller *controller,
                                 mmarml_executor *executor, const mmarml_engine_options *opts);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_engine *mmarml_engine_ref(mmarml_engine *engine);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_engine *mmarml_engine_unref(mmarml_engine *engine);
/** What a pruned job's score is (mmarml_engine_set_pruner()). */
enum mmarml_pruned_score {
    MMARML_PRUNED_SCORE_BEST = 0, /**< its best reported value (the default) */
    MMARML_PRUNED_SCORE_LAST = 1, /**< its last reported value */
    /** the mean of its reports: for values per instance (WilcoxonPruner). @since 0.3 */
    MMARML_PRUNED_SCORE_MEAN = 2
};

/**
 * Set the run's pruner (referenced; NULL: none, today's behaviour) and what a pruned job's
 * score is (enum mmarml_pruned_score). MMARML_EMISUSE once the run started. See
 * <mmarml/pruner.h>.
 */
MMARML_API int mmarml_engine_set_pruner(mmarml_engine *engine, mmarml_pruner *pruner,
                                        int pruned_score);
/** Which progress reports of a job the engine accepts (mmarml_engine_set_report_steps()).
 *  @since 0.3 */
enum mmarml_report_steps {
    /** each step above the job's last one (the default): epochs, iterations */
    MMARML_REPORT_STEPS_INCREASING = 0,
    /** each step once, in any order: instance ids for WilcoxonPruner, which a job may
     *  visit in an order of its own (Optuna's example shuffles them per trial) */
    MMARML_REPORT_STEPS_UNIQUE = 1
};
/**
 * Set which reports the engine accepts (enum mmarml_report_steps); others are dropped and
 * said in the trace. With MMARML_REPORT_STEPS_UNIQUE a job's reports keep the order they
 * were made in (mmarml_job_reports(), the journal, outcomes), and "last" means the last
 * made. WilcoxonPruner pairs steps in any order; the other built-in pruners read steps as
 * progress and are meant for increasing ones.
 * @return MMARML_OK; MMARML_EINVAL (NULL, an unknown rule); MMARML_EMISUSE once the run
 *         started.
 * @since 0.3
 */
MMARML_API int mmarml_engine_set_report_steps(mmarml_engine *engine, int rule);
/** Append a handler to the chain (referenced). MMARML_EMISUSE once the run started. */
MMARML_API int mmarml_engine_add_handler(mmarml_engine *engine, mmarml_handler *handler);

/**
 * Run the whole workflow on the calling thread; returns when it has ended and every
 * component was shut down. An engine runs once.
 *
 * @param engine  The engine (runs once).
 * @param ctx  The main context (referenced for the run). Every job context is its child.
 * @return MMARML_OK when the run completed (see mmarml_engine_end_reason()); the negative
 *         code of a startup/start_automl handler, determine_search_space, set_search_space,
 *         or initial_recommendation that failed (nothing was run then, and
 *         `_runStartFailed` is set for end_automl/shutdown); journal errors (a journal that
 *         exists for a new run: MMARML_EEXISTS; a live writer: MMARML_EBUSY; nothing to
 *         resume: MMARML_ENOTFOUND; a corrupt journal or one whose config digests or search
 *         space differ: MMARML_EINVAL, nothing changed); MMARML_ESTORAGE when the file system
 *         failed under the run (the journal could not be written, or a job's execute returned
 *         MMARML_ESTORAGE): it stopped dispatching, aborted its jobs and ended them, with
 *         end reason MMARML_END_STORAGE_FAILED; MMARML_EIO when the journal could not be
 *         written for another reason; MMARML_EMISUSE on a second call.
 */
MMARML_API int mmarml_engine_run(mmarml_engine *engine, mmarml_context *ctx);
/** Ask a running engine to stop (as stop_work does); `message` copied. Any thread. Asked
 *  before mmarml_engine_run(), the run then ends at once (MMARML_END_STOP_ASKED) without
 *  calling any component or making anything. */
MMARML_API int mmarml_engine_stop(mmarml_engine *engine, const char *message);
/** @return enum mmarml_end_reason. */
MMARML_API int mmarml_engine_end_reason(const mmarml_engine *engine);
/** @return The number of workers. */
MMARML_API size_t mmarml_engine_worker_count(const mmarml_engine *engine);

/** @name Admin operations (any thread, also while running)
 * Workers are named "W1".."Wn". A worker's JSON: `{"name", "gpus", "state"
 * ("idle"|"busy"|"suspended"|"busy,suspended"), "jobs", "current_job" (or null)}`.
 * @{ */
/** `*out`: new reference to an array of worker objects. */
MMARML_API int mmarml_engine_list_workers(json_t **out, mmarml_engine *engine);
/** `*out`: new reference to one worker object. MMARML_ENOTFOUND for an unknown name. */
MMARML_API int mmarml_engine_show_worker(json_t **out, mmarml_engine *engine, const char *name);
/** The worker gets no new job; its running job goes on. */
MMARML_API int mmarml_engine_suspend_worker(mmarml_engine *engine, const char *name);
/** The worker takes jobs again. MMARML_ENOTFOUND for an unknown name. Any thread. */
MMARML_API int mmarml_engine_resume_worker(mmarml_engine *engine, const char *name);
/** Abort the worker's running job (status `aborted`). MMARML_ENOTFOUND if it runs none. */
MMARML_API int mmarml_engine_abort_worker(mmarml_engine *engine, const char *name);
/** `*out`: `{"state", "jobs_started", "jobs_finished", "pending", "running", "end_reason",
 *  "max_jobs"}` (max_jobs 0: no limit). A resumed run counts its earlier parts too. */
MMARML_API int mmarml_engine_status(json_t **out, mmarml_engine *engine);
/**
 * The best outcome so far: of the jobs that ended `ok`, the one with the highest score (the
 * earliest of equal ones), jobs replayed from a journal included; its job name, status,
 * score and recommendation through the mmarml_outcome_* getters. Any thread, during and
 * after the run.
 * @param[out] out  New reference (mmarml_outcome_unref()); NULL when there is none.
 * @param engine    The engine.
 * @return MMARML_OK, or MMARML_ENOTFOUND while no job has ended ok.
 * @since 0.2
 */
MMARML_API int mmarml_engine_best(mmarml_outcome **out, mmarml_engine *engine);
/** @} */

MMARML_END_DECLS

#endif
