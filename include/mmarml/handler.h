/**
 * @file mmarml/handler.h
 * @brief Handler: observes the run's events (Clara's Handler). Every method is optional.
 *
 * Events reach handlers in chain order; shutdown runs in reverse chain order. A member left
 * NULL falls back to `handle_event(name, ...)` when that is set.
 *
 * Errors: a negative return from `startup` or `start_automl` stops the run before any job
 * and is returned by mmarml_engine_run(). From any other event it is recorded with
 * mmarml_context_exception_occurred() and the run goes on.
 *
 * @par Thread-safety
 * `start_job` and `end_job` run on job threads, possibly several at once: they must be
 * thread-safe. Every other event runs one at a time, on the engine thread or on a job
 * thread standing in for it while it sleeps (engine option engine_thread_calls keeps them
 * on the engine thread).
 */
#ifndef MMARML_HANDLER_H
#define MMARML_HANDLER_H

#include "common.h"
#include "context.h"

/** A handler (Clara's Handler): observes the run's events. */
typedef struct mmarml_handler mmarml_handler;

/** One event method. `ctx` is the main context, or the job context for start_job/end_job. */
typedef int (*mmarml_handler_event_fn)(mmarml_handler *self, mmarml_context *ctx,
                                       void *user_data);

/** @name Event names passed to handle_event
 * @{ */
#define MMARML_EVENT_STARTUP "startup" /**< vtable member startup */
#define MMARML_EVENT_SHUTDOWN "shutdown" /**< vtable member shutdown */
#define MMARML_EVENT_START_AUTOML "start_automl" /**< vtable member start_automl */
#define MMARML_EVENT_END_AUTOML "end_automl" /**< vtable member end_automl */
#define MMARML_EVENT_SEARCH_SPACE_AVAILABLE "search_space_available" /**< vtable member search_space_available */
#define MMARML_EVENT_RECOMMENDATIONS_AVAILABLE "recommendations_available" /**< vtable member recommendations_available */
#define MMARML_EVENT_START_JOB "start_job" /**< vtable member start_job */
#define MMARML_EVENT_END_JOB "end_job" /**< vtable member end_job */
#define MMARML_EVENT_ROUND_ENDED "round_ended" /**< vtable member round_ended */
/** @} */

/** Method table of a handler. Members are only ever appended. */
typedef struct mmarml_handler_vtable {
    uint32_t struct_size; /**< sizeof(mmarml_handler_vtable) as the implementer compiled it */
    uint32_t version; /**< MMARML_HANDLER_VTABLE_VERSION */
    /* --- version 1 --- */
    mmarml_handler_event_fn startup;      /**< the engine starts, before anything else */
    mmarml_handler_event_fn shutdown;     /**< the engine ends, after everything else */
    mmarml_handler_event_fn start_automl; /**< the AutoML starts (run root, journal next) */
    mmarml_handler_event_fn end_automl;   /**< every job has ended */
    /** `_searchSpace` holds the space (pointer property). */
    mmarml_handler_event_fn search_space_available;
    /** `_recommendations` holds the new mmarml_recommendation_list (pointer, this event
     *  only), to read: the engine has queued them already, so changing the list changes
     *  nothing it dispatches. */
    mmarml_handler_event_fn recommendations_available;
    /** Job thread; job context with `_jobName`, `_workerName`, `_gpus`, `_recommendation`,
     *  and `_recommendations`: the list last shown when the job began, if one was
     *  (read-only: the jobs share it). */
    mmarml_handler_event_fn start_job;
    /** Job thread; adds `_jobStatus` (status name) and `_score` (only when ok). Always called
     *  once start_job was called. */
    mmarml_handler_event_fn end_job;
    /** After each refine_recommendation, on a child of the main context holding the round's
     *  job: `_jobName`, `_jobStatus` (status name) and `_score` (only when ok). */
    mmarml_handler_event_fn round_ended;
    /** Generic fallback for any event whose member above is NULL. */
    int MMARML_CALLBACK(handle_event)(mmarml_handler *self, const char *event,
                                      mmarml_context *ctx, void *user_data);
    /** Release user_data; called exactly once, on the last unref. */
    void MMARML_CALLBACK(destroy)(void *user_data);
    /* --- version 2 members are appended here --- */
} mmarml_handler_vtable;

#define MMARML_HANDLER_VTABLE_VERSION 1 /**< The vtable version this header describes */
/** A static initialiser: struct_size and version set, every method NULL. */
#define MMARML_HANDLER_VTABLE_INIT \
    { sizeof(mmarml_handler_vtable), MMARML_HANDLER_VTABLE_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

MMARML_BEGIN_DECLS

/** Zero `vt` and set struct_size and version. @return MMARML_OK or MMARML_EVERSION.
 *  @par Thread-safety Any thread; `vt` is the caller's. */
MMARML_API int mmarml_handler_vtable_init(mmarml_handler_vtable *vt, uint32_t version);
/**
 * Create a handler. Same version, size and ownership rules as mmarml_controller_new(); a
 * table with no event method at all (and no handle_event) is MMARML_EINVAL.
 */
MMARML_API int mmarml_handler_new(mmarml_handler **out, const mmarml_handler_vtable *vtable,
                                  void *user_data);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_handler *mmarml_handler_ref(mmarml_handler *handler);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_handler *mmarml_handler_unref(mmarml_handler *handler);
/** @return The user_data given at creation (borrowed). @par Thread-safety Any thread. */
MMARML_API void *mmarml_handler_get_user_data(const mmarml_handler *handler);
/**
 * Deliver an event by name (what the engine does).
 * @return The method's result; MMARML_OK when the handler does not handle it;
 *         MMARML_EINVAL for an unknown event name.
 */
MMARML_API int mmarml_handler_fire(mmarml_handler *handler, const char *event,
                                   mmarml_context *ctx);

MMARML_END_DECLS

#endif
