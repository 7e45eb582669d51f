/**
 * @file mmarml/recommendation.h
 * @brief Recommendation (an id plus PRL -> value over a space), its list, and Outcome.
 *
 * A recommendation is immutable once created and may be shared read-only across threads.
 * Values are doubles: floats as is, ints and enum choice indices as integral doubles. A
 * recommendation may leave params unset (NaN in the values array): those are not applied.
 */
#ifndef MMARML_RECOMMENDATION_H
#define MMARML_RECOMMENDATION_H

#include <jansson.h>
#include "common.h"
#include "search_space.h"

/** Job statuses (D5). Only MMARML_JOB_OK carries a score. */
enum mmarml_job_status {
    MMARML_JOB_OK = 0,       /**< finished with a score */
    MMARML_JOB_FAILED = 1,   /**< non-zero exit or killed by a signal */
    MMARML_JOB_NO_SCORE = 2, /**< exited 0 without a valid score */
    MMARML_JOB_ABORTED = 3,  /**< stopped by us (stop, abort_worker) */
    MMARML_JOB_TIMEOUT = 4,  /**< max_job_run_time exceeded */
    MMARML_JOB_ERROR = 5,    /**< the executor itself failed */
    /** stopped by the pruner (mmarml/pruner.h); its score is a reported value, not an ok
     *  score: mmarml_outcome_value() */
    MMARML_JOB_PRUNED = 6
};

/** Score written where Clara's files expect a number but the job has none. */
#define MMARML_NO_SCORE_SENTINEL (-1000000.0)

/** Values for every param of a space, with an id: what a job trains with. */
typedef struct mmarml_recommendation mmarml_recommendation;
/** A list of recommendations: what controllers return. */
typedef struct mmarml_recommendation_list mmarml_recommendation_list;
/** How a job ended: its recommendation, status, score, job name and reports. */
typedef struct mmarml_outcome mmarml_outcome;

MMARML_BEGIN_DECLS

/**
 * Create a recommendation.
 *
 * @param[out] out     New recommendation (refcount 1).
 * @param      id      Controller-chosen id.
 * @param      space   The space; frozen by this call if it was not; the recommendation
 *                     takes a reference.
 * @param      values  One value per param of `space`, in its order; NaN leaves a param unset.
 *                     Copied.
 * @param      count   Must equal mmarml_search_space_count(space).
 * @return MMARML_OK, or MMARML_EINVAL naming the first PRL whose value is out of range.
 */
MMARML_API int mmarml_recommendation_new(mmarml_recommendation **out, int64_t id,
                                         mmarml_search_space *space, const double *values,
                                         size_t count);
/**
 * Create a recommendation from `{"rec_id": n, "values": {PRL: value}}` (or a bare values
 * object, with id 0). Unknown PRLs and out-of-range values are errors naming them.
 * @param[out] out  The new recommendation (refcount 1).
 * @param space  The space the values belong to; referenced.
 * @param json  Borrowed.
 */
MMARML_API int mmarml_recommendation_from_json(mmarml_recommendation **out,
                                               mmarml_search_space *space, const json_t *json);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_recommendation *mmarml_recommendation_ref(mmarml_recommendation *rec);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_recommendation *mmarml_recommendation_unref(mmarml_recommendation *rec);

/** @return The controller-chosen id. Any thread. */
MMARML_API int64_t mmarml_recommendation_id(const mmarml_recommendation *rec);
/** @return The space (borrowed). */
MMARML_API mmarml_search_space *mmarml_recommendation_space(const mmarml_recommendation *rec);
/** @return The values array (borrowed), one per param; NaN for unset. */
MMARML_API const double *mmarml_recommendation_values(const mmarml_recommendation *rec);
/** Value by PRL. @return MMARML_OK, MMARML_ENOTFOUND (unknown PRL or unset). */
MMARML_API int mmarml_recommendation_get(const mmarml_recommendation *rec, const char *prl,
                                         double *out);
/** `{"rec_id": n, "values": {PRL: value}}`; ints and enums as JSON integers. New reference. */
MMARML_API int mmarml_recommendation_to_json(json_t **out, const mmarml_recommendation *rec);

/** @name Recommendation lists: what controllers return. The list holds its own references.
 * @{ */
/** Create an empty list; free it with mmarml_recommendation_list_free(). */
MMARML_API int mmarml_recommendation_list_new(mmarml_recommendation_list **out);
/** Free the list and drop its references. NULL-safe. */
MMARML_API void mmarml_recommendation_list_free(mmarml_recommendation_list *list);
/** Append; the list takes its own reference (the caller keeps and releases its own).
 *  @return MMARML_OK, or MMARML_EINVAL for a read-only list: a job context's
 *          `_recommendations`, which the run's jobs share. */
MMARML_API int mmarml_recommendation_list_append(mmarml_recommendation_list *list,
                                                 mmarml_recommendation *rec);
/** @return Number of items. */
MMARML_API size_t mmarml_recommendation_list_count(const mmarml_recommendation_list *list);
/** @return Item `i` (borrowed) or NULL. */
MMARML_API mmarml_recommendation *
mmarml_recommendation_list_get(const mmarml_recommendation_list *list, size_t i);
/** Drop every item; a read-only list (see append) is left as it is. */
MMARML_API void mmarml_recommendation_list_clear(mmarml_recommendation_list *list);
/** @} */

/**
 * Create an outcome (what refine_recommendation receives).
 * @param[out] out  The new outcome (refcount 1).
 * @param rec       Referenced.
 * @param status    enum mmarml_job_status.
 * @param score     Used only when status is MMARML_JOB_OK (must then be finite) or
 *                  MMARML_JOB_PRUNED (the reported value it is judged by; may be NaN when
 *                  the job reported nothing).
 * @param job_name  Copied; may be NULL.
 */
MMARML_API int mmarml_outcome_new(mmarml_outcome **out, mmarml_recommendation *rec, int status,
                                  double score, const char *job_name);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_outcome *mmarml_outcome_ref(mmarml_outcome *outcome);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_outcome *mmarml_outcome_unref(mmarml_outcome *outcome);
/** @return The recommendation (borrowed). */
MMARML_API mmarml_recommendation *mmarml_outcome_recommendation(const mmarml_outcome *outcome);
/** @return enum mmarml_job_status. */
MMARML_API int mmarml_outcome_status(const mmarml_outcome *outcome);
/** @return MMARML_OK with the score, or MMARML_ENOTFOUND when the status is not ok. */
MMARML_API int mmarml_outcome_score(const mmarml_outcome *outcome, double *out);
/** @return The job name (borrowed), "" if none. */
MMARML_API const char *mmarml_outcome_job_name(const mmarml_outcome *outcome);
/** The score of an ok job or the value a pruned job is judged by (its best or last report).
 *  @return MMARML_OK, or MMARML_ENOTFOUND (another status, or a pruned job without reports). */
MMARML_API int mmarml_outcome_value(const mmarml_outcome *outcome, double *out);
/** Append an intermediate report (what the engine does before the controller sees it).
 *  MMARML_EINVAL for a non-finite step or value. Not thread-safe: before sharing. */
MMARML_API int mmarml_outcome_add_report(mmarml_outcome *outcome, double step, double value);
/** @return The number of intermediate reports the job made (steps strictly increasing, or
 *  each once in any order in a run that takes them so: mmarml_engine_set_report_steps()). */
MMARML_API size_t mmarml_outcome_report_count(const mmarml_outcome *outcome);
/** Report `i` (0-based, in the order they were made). @return MMARML_OK or
 *  MMARML_ENOTFOUND. */
MMARML_API int mmarml_outcome_report(const mmarml_outcome *outcome, size_t i, double *step,
                                     double *value);

/** @return "ok", "failed", "no_score", "aborted", "timeout", "error", "pruned", or
 *  "unknown". */
MMARML_API const char *mmarml_job_status_name(int status);
/** @return The status named `name`, or MMARML_EINVAL. */
MMARML_API int mmarml_job_status_from_name(const char *name);

MMARML_END_DECLS

#endif
