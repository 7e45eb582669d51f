/**
 * @file mmarml/executor.h
 * @brief Executor: turns a recommendation into a scored job (Clara's Executor).
 *
 * @par Thread-safety
 * `determine_search_space`, `shutdown` run on the engine thread. `execute` runs on a job
 * thread, several at once (one per busy worker). `abort` runs on the engine thread or on the
 * thread of an admin call while `execute` of that job is running on its job thread: it must
 * make that `execute` return soon, and be safe against it.
 */
#ifndef MMARML_EXECUTOR_H
#define MMARML_EXECUTOR_H

#include "common.h"
#include "context.h"
#include "recommendation.h"
#include "search_space.h"

/** An executor (Clara's Executor): determines the search space and runs jobs. */
typedef struct mmarml_executor mmarml_executor;

/** Method table of an executor. Members are only ever appended. */
typedef struct mmarml_executor_vtable {
    uint32_t struct_size; /**< sizeof(mmarml_executor_vtable) as the implementer compiled it */
    uint32_t version; /**< MMARML_EXECUTOR_VTABLE_VERSION */
    /* --- version 1 --- */
    /** Required. Build the space (new reference in *out). */
    int MMARML_CALLBACK(determine_search_space)(mmarml_search_space **out,
                                                mmarml_executor *self, mmarml_context *ctx,
                                                void *user_data);
    /**
     * Required. Run one job. Return MMARML_OK with *status_out one of MMARML_JOB_OK (then
     * *score_out is the finite score), MMARML_JOB_FAILED, MMARML_JOB_NO_SCORE or
     * MMARML_JOB_ABORTED. A negative return means the executor itself failed: status
     * `error`, message kept. MMARML_ESTORAGE says the file system failed (full, quota,
     * read-only, I/O error): the engine stops the run, since every next job would fail the
     * same way. An ok status with a non-finite score becomes `no_score`.
     */
    int MMARML_CALLBACK(execute)(int *status_out, double *score_out, mmarml_executor *self,
                                 const mmarml_recommendation *rec, mmarml_context *job_ctx,
                                 void *user_data);
    /** Optional (but without it a job cannot be stopped early). Make the `execute` running
     *  with `job_ctx` return soon. */
    void MMARML_CALLBACK(abort)(mmarml_executor *self, mmarml_context *job_ctx,
                                void *user_data);
    /** Optional. End of the run. */
    void MMARML_CALLBACK(shutdown)(mmarml_executor *self, mmarml_context *ctx,
                                   void *user_data);
    /** Optional. Release user_data; called exactly once, on the last unref. */
    void MMARML_CALLBACK(destroy)(void *user_data);
    /* --- version 2 members are appended here --- */
} mmarml_executor_vtable;

#define MMARML_EXECUTOR_VTABLE_VERSION 1 /**< The vtable version this header describes */
/** A static initialiser: struct_size and version set, every method NULL. */
#define MMARML_EXECUTOR_VTABLE_INIT \
    { sizeof(mmarml_executor_vtable), MMARML_EXECUTOR_VTABLE_VERSION, 0, 0, 0, 0, 0 }

MMARML_BEGIN_DECLS

/** Zero `vt` and set struct_size and version. @return MMARML_OK or MMARML_EVERSION.
 *  @par Thread-safety Any thread; `vt` is the caller's. */
MMARML_API int mmarml_executor_vtable_init(mmarml_executor_vtable *vt, uint32_t version);
/** Create an executor. Same rules as mmarml_controller_new(). */
MMARML_API int mmarml_executor_new(mmarml_executor **out, const mmarml_executor_vtable *vtable,
                                   void *user_data);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_executor *mmarml_executor_ref(mmarml_executor *exe);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_executor *mmarml_executor_unref(mmarml_executor *exe);
/** @return The user_data given at creation (borrowed). @par Thread-safety Any thread. */
MMARML_API void *mmarml_executor_get_user_data(const mmarml_executor *exe);

/** @name Calling an executor (what the engine does)
 * @{ */
/** Ask the executor for the run's space (its determine_search_space). */
MMARML_API int mmarml_executor_determine_search_space(mmarml_search_space **out,
                                                      mmarml_executor *exe,
                                                      mmarml_context *ctx);
/** Runs execute and normalises the result as the engine does (status, finite score). */
MMARML_API int mmarml_executor_execute(int *status_out, double *score_out, mmarml_executor *exe,
                                       const mmarml_recommendation *rec,
                                       mmarml_context *job_ctx);
/** Call the executor's abort for the job of `job_ctx`, if it has one. Any thread. */
MMARML_API void mmarml_executor_abort(mmarml_executor *exe, mmarml_context *job_ctx);
/** Call the executor's shutdown, if it has one. */
MMARML_API void mmarml_executor_shutdown(mmarml_executor *exe, mmarml_context *ctx);
/** @} */

MMARML_END_DECLS

#endif
