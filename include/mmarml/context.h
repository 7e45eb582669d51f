/**
 * @file mmarml/context.h
 * @brief Context: the typed, thread-safe property bag every component sees (Clara's Context).
 *
 * A job context is a child of the run's main context: getters fall through to the parent,
 * setters write locally. A stop request, the trace sink and the log function belong to the
 * root of the chain, so they are shared by every context of a run.
 *
 * @par Thread-safety
 * A Context is internally locked: every function here may be called from any thread on a
 * shared context. The library never holds a context lock while calling user code (log
 * functions and pointer destructors run unlocked).
 */
#ifndef MMARML_CONTEXT_H
#define MMARML_CONTEXT_H

#include <jansson.h>
#include "common.h"

/** @name Standard property keys (Clara's exact strings)
 * @{ */
#define MMARML_KEY_CONCRETE_SEARCH_VALUE "_concreteSearchValue" /**< Job context, JSON: the concrete values of the job's search items */
#define MMARML_KEY_GPUS "_gpus" /**< Job context, string: the worker's GPU list ("0,1"; "" for none) */
#define MMARML_KEY_JOB_NAME "_jobName" /**< Job context, string: the job's name (`W1_1_J1`) */
#define MMARML_KEY_JOB_STATUS "_jobStatus" /**< Job context, int: the job's status (enum mmarml_job_status) */
#define MMARML_KEY_NUM_WORKERS "_numWorkers" /**< Main context, int: how many workers the run has */
#define MMARML_KEY_PROCESS_EXIT_STATUS "_processExitStatus" /**< Job context, int: the exit status of the job's process */
#define MMARML_KEY_RECOMMENDATION "_recommendation" /**< Job context, pointer: the job's mmarml_recommendation */
#define MMARML_KEY_RECOMMENDATIONS "_recommendations" /**< Pointer: the latest mmarml_recommendation_list (main context: during recommendations_available; job context: the one last shown when it began, read-only as the jobs share it) */
#define MMARML_KEY_SCORE "_score" /**< Job context, double: the score of a job that ended ok */
#define MMARML_KEY_SEARCH_SPACE "_searchSpace" /**< Main context, pointer: the run's mmarml_search_space */
#define MMARML_KEY_TRACE_DEST_FILE "_traceDestFile" /**< Main context, string: the trace file, when there is one */
#define MMARML_KEY_TRACE_DEST_TYPE "_traceDestType" /**< Main context, int: the trace sink (enum mmarml_trace_dest) */
/** libmmarml addition: name of the worker running the job ("W1"). */
#define MMARML_KEY_WORKER_NAME "_workerName"
/** libmmarml addition: set (bool true) on a job context when the engine aborts the job,
 *  before the executor's abort is called; an executor checks it after registering a job. */
#define MMARML_KEY_JOB_ABORTED "_jobAborted"
/** @} */

/** @name MMAR property keys (Clara's MMARPropKey)
 * @{ */
#define MMARML_KEY_AUTOML_ROOT "_automlRoot" /**< Main context, string: the folder AutoML runs are made in */
#define MMARML_KEY_EXEC_SUBPROCESS "_execSubprocess" /**< Job context, pointer: the job's running process (executor-owned) */
#define MMARML_KEY_JOB_MMAR_ROOT "_jobMmarRoot" /**< Job context, string: the job's own MMAR in the run root */
#define MMARML_KEY_MMAR_JOB_START "_mmarJobStart" /**< Job context, double: when the job started (seconds, wall clock) */
#define MMARML_KEY_MMAR_ROOT "_mmarRoot" /**< Main context, string: the MMAR the run searches */
/** Main context, string: the trace file (`<run_root>/trace.txt`), set by MMARHandler when
 *  `traceout` is `file` or `both`. */
#define MMARML_KEY_MMAR_TRACE "_mmarTrace"
/** Job context, JSON object: the job's `train_stats.json` as the trainer wrote it, set by
 *  the MMAR executors once the job ended (absent when there is no such file). */
#define MMARML_KEY_MMAR_TRAIN_STATS "_mmarTrainStats"
#define MMARML_KEY_RUN_ID "_runId" /**< Main context, string: the run's id (`run_id`) */
#define MMARML_KEY_RUN_ROOT "_runRoot" /**< Main context, string: the run root (`<automl root>/<run_id>`) */
/** Never set: a job MMAR is made in place, in the run root (`_jobMmarRoot`), not in a
 *  temporary MMAR first, so there is nothing for it to name. Kept for Clara's key list. */
#define MMARML_KEY_TEMP_MMAR_ROOT "_tempMmarRoot"
#define MMARML_KEY_TRAIN_CONFIG_FILE "_trainConfigFile" /**< Main context, string: the training config, relative to the MMAR's config folder */
/** @} */

/** Type of a stored property. */
enum mmarml_prop_type {
    MMARML_PROP_NONE = 0, /**< absent */
    MMARML_PROP_INT = 1,
    MMARML_PROP_DOUBLE = 2,
    MMARML_PROP_BOOL = 3,
    MMARML_PROP_STRING = 4,
    MMARML_PROP_JSON = 5,
    MMARML_PROP_POINTER = 6
};

/** Log priorities, syslog-like: lower is more severe. */
enum mmarml_log_level {
    MMARML_LOG_ERROR = 3,
    MMARML_LOG_WARNING = 4,
    MMARML_LOG_INFO = 6,
    MMARML_LOG_DEBUG = 7
};

/** Trace destinations (Clara's trace dest types). */
enum mmarml_trace_dest {
    MMARML_TRACE_NONE = 0,
    MMARML_TRACE_FILE = 1,    /**< append to a file */
    MMARML_TRACE_CONSOLE = 2, /**< the host process's stderr */
    MMARML_TRACE_BOTH = 3
};

/** A property store with a parent chain: a run's main context, each job's context. */
typedef struct mmarml_context mmarml_context;

/** Receives log lines; `message` is borrowed for the call. May be called from any thread. */
typedef void (*mmarml_log_fn)(void *user_data, int level, const char *message);
/** Releases a pointer property when it is replaced, removed or its context freed. */
typedef void (*mmarml_destroy_fn)(void *ptr);

MMARML_BEGIN_DECLS

/**
 * Create a context.
 *
 * @param[out] out     New context (refcount 1); NULL on failure.
 * @param      parent  Parent for look-ups, or NULL for a root; the child takes a reference.
 * @return MMARML_OK or MMARML_EINVAL / MMARML_ENOMEM.
 * @par Ownership  Caller owns *out (mmarml_context_unref()).
 */
MMARML_API int mmarml_context_new(mmarml_context **out, mmarml_context *parent);
/** Take a reference. NULL-safe. @return ctx. @par Thread-safety Any thread (atomic). */
MMARML_API mmarml_context *mmarml_context_ref(mmarml_context *ctx);
/** Drop a reference; frees on the last one. NULL-safe. @return NULL. */
MMARML_API mmarml_context *mmarml_context_unref(mmarml_context *ctx);
/** @return The parent (borrowed), or NULL for a root. */
MMARML_API mmarml_context *mmarml_context_get_parent(const mmarml_context *ctx);

/** Attach an opaque pointer for the host; the library never touches it. */
MMARML_API void mmarml_context_set_user_data(mmarml_context *ctx, void *user_data);
/** @return The pointer given to mmarml_context_set_user_data(), or NULL. */
MMARML_API void *mmarml_context_get_user_data(const mmarml_context *ctx);

/** @name Setters: write into this context (never the parent). Keys and strings are copied.
 * @return MMARML_OK, MMARML_EINVAL (NULL key) or MMARML_ENOMEM.
 * @{ */
/** Store an int. */
MMARML_API int mmarml_context_set_int(mmarml_context *ctx, const char *key, int64_t value);
/** Store a double. */
MMARML_API int mmarml_context_set_double(mmarml_context *ctx, const char *key, double value);
/** Store a bool (any non-zero `value` is true). */
MMARML_API int mmarml_context_set_bool(mmarml_context *ctx, const char *key, int value);
/** Store a copy of a string. */
MMARML_API int mmarml_context_set_string(mmarml_context *ctx, const char *key, const char *value);
/** JSON: borrowed for the call; the context keeps its own deep copy. */
MMARML_API int mmarml_context_set_json(mmarml_context *ctx, const char *key, const json_t *value);
/** Pointer: stored as is; `destroy` (may be NULL) runs when the value is dropped. On failure
 *  `destroy` is not called: the caller still owns `ptr`. */
MMARML_API int mmarml_context_set_pointer(mmarml_context *ctx, const char *key, void *ptr,
                                          mmarml_destroy_fn destroy);
/** Remove a local property. @return MMARML_OK or MMARML_ENOTFOUND. */
MMARML_API int mmarml_context_remove(mmarml_context *ctx, const char *key);
/** @} */

/** @name Getters: look in this context, then up the parent chain.
 * @return MMARML_OK, MMARML_ENOTFOUND (absent), MMARML_ETYPE (stored with another type).
 * @{ */
/** @return The type of `key` as found through the chain, MMARML_PROP_NONE if absent. */
MMARML_API int mmarml_context_get_type(const mmarml_context *ctx, const char *key);
/** Read an int. */
MMARML_API int mmarml_context_get_int(const mmarml_context *ctx, const char *key, int64_t *out);
/** Ints are converted to double. */
MMARML_API int mmarml_context_get_double(const mmarml_context *ctx, const char *key, double *out);
/** Read a bool (1 or 0). */
MMARML_API int mmarml_context_get_bool(const mmarml_context *ctx, const char *key, int *out);
/** `*out` is a copy; release it with mmarml_free(). */
MMARML_API int mmarml_context_get_string(const mmarml_context *ctx, const char *key, char **out);
/** `*out` is a new reference to the stored value, which is shared: do not modify it. */
MMARML_API int mmarml_context_get_json(const mmarml_context *ctx, const char *key, json_t **out);
/** `*out` is borrowed: valid while the property is not replaced or removed. */
MMARML_API int mmarml_context_get_pointer(const mmarml_context *ctx, const char *key, void **out);
/** @} */

/**
 * Ask the run to stop (Clara's stop_work). Visible from every context of the chain; only
 * the first message is kept. Whether and when it is honoured is up to the engine.
 *
 * @param ctx      Any context of the run.
 * @param issuer   Who asks (for the trace/log), may be NULL.
 * @param message  Why, may be NULL.
 */
MMARML_API int mmarml_context_stop_work(mmarml_context *ctx, const char *issuer,
                                        const char *message);
/** @return 1 if a stop was asked anywhere on the chain, else 0. */
MMARML_API int mmarml_context_stop_work_asked(const mmarml_context *ctx);
/** `*out` is a copy of the first stop message ("" if none given); MMARML_ENOTFOUND if no
 *  stop was asked. Release with mmarml_free(). */
MMARML_API int mmarml_context_get_stop_message(const mmarml_context *ctx, char **out);

/** Report that a component hit an error; counted and logged at MMARML_LOG_ERROR. */
MMARML_API int mmarml_context_exception_occurred(mmarml_context *ctx, const char *issuer,
                                                 const char *message);
/** @return How many exceptions were reported on this run (the root of the chain). */
MMARML_API uint64_t mmarml_context_exception_count(const mmarml_context *ctx);
/** `*out` is a copy of the last exception message; MMARML_ENOTFOUND if none. */
MMARML_API int mmarml_context_get_last_exception(const mmarml_context *ctx, char **out);

/**
 * Configure the run's trace sink (on the root). Also sets the `_traceDestType` and
 * `_traceDestFile` properties.
 *
 * @param ctx        Any context of the run.
 * @param dest       One of enum mmarml_trace_dest.
 * @param file_name  Required for FILE and BOTH; opened for append (close-on-exec).
 * @return MMARML_OK, MMARML_EINVAL, or MMARML_EIO naming the file and errno text.
 */
MMARML_API int mmarml_context_set_trace(mmarml_context *ctx, int dest, const char *file_name);
/** Write one timestamped line "<time> [<issuer>] <message>" to the trace sink. */
MMARML_API int mmarml_context_trace(mmarml_context *ctx, const char *issuer, const char *fmt,
                                    ...) MMARML_PRINTF(3, 4);
/** Flush and close the trace file; further traces go nowhere until set again. */
MMARML_API void mmarml_context_close_trace(mmarml_context *ctx);

/**
 * Install the log function of the run (on the root). Default: none, the library is silent.
 *
 * @param ctx        Any context of the run.
 * @param fn         Log receiver, or NULL to silence.
 * @param user_data  Passed to `fn`.
 * @param max_level  Lines with a level above it are dropped (e.g. MMARML_LOG_INFO).
 */
MMARML_API void mmarml_context_set_log_fn(mmarml_context *ctx, mmarml_log_fn fn,
                                          void *user_data, int max_level);
/** Send a line to the run's log function, if any and if `level` passes. */
MMARML_API void mmarml_context_log(const mmarml_context *ctx, int level, const char *fmt, ...)
    MMARML_PRINTF(3, 4);

MMARML_END_DECLS

#endif
