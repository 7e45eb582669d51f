/**
 * @file mmarml/search_space.h
 * @brief SearchSpace: a named, ordered list of params, each a PRL with its ranges.
 *
 * A space is built by adding params, then frozen (explicitly, or implicitly the first time a
 * recommendation or the engine uses it). A frozen space is immutable and may be shared
 * read-only across threads. Float: one range [min, max], both finite, min <= max, optional
 * log scale (min > 0). Int: [min, max] integers. Enum: one range per choice, range i has
 * min = max = i; the choices themselves (the `targets` as written) are kept as JSON.
 */
#ifndef MMARML_SEARCH_SPACE_H
#define MMARML_SEARCH_SPACE_H

#include <jansson.h>
#include "common.h"

/** Param types. */
enum mmarml_param_type {
    MMARML_PARAM_FLOAT = 1,
    MMARML_PARAM_INT = 2,
    MMARML_PARAM_ENUM = 3
};

/** Flags for float and int params. */
#define MMARML_PARAM_F_LOG 0x1u /**< sample on a log scale; requires min > 0 */

/** A search space: named params (float, int, enum) found by their PRL. */
typedef struct mmarml_search_space mmarml_search_space;
/** One param of a space; borrowed from and as long-lived as its space. */
typedef struct mmarml_param mmarml_param;

MMARML_BEGIN_DECLS

/**
 * Create an empty, unfrozen space.
 * @param[out] out   New space (refcount 1).
 * @param      name  Name (e.g. the train config file name); copied; may be NULL ("").
 * @par Thread-safety  An unfrozen space is for one thread at a time.
 */
MMARML_API int mmarml_search_space_new(mmarml_search_space **out, const char *name);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_search_space *mmarml_search_space_ref(mmarml_search_space *space);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_search_space *mmarml_search_space_unref(mmarml_search_space *space);

/**
 * Add a float param.
 * @param space   An unfrozen space.
 * @param prl     Unique PRL (`<domain>.float.<...>`); copied.
 * @param domain  Search domain ("lr", "net", "transform", ...); copied.
 * @param min     The lower bound (finite; > 0 on a log scale).
 * @param max     The upper bound (finite, >= min).
 * @param flags   0 or MMARML_PARAM_F_LOG.
 * @return MMARML_OK; MMARML_EINVAL for a bad range or a duplicate PRL; MMARML_EMISUSE once
 *         frozen.
 */
MMARML_API int mmarml_search_space_add_float(mmarml_search_space *space, const char *prl,
                                             const char *domain, double min, double max,
                                             uint32_t flags);
/** Add an int param with integer bounds [min, max]. Same rules as add_float. */
MMARML_API int mmarml_search_space_add_int(mmarml_search_space *space, const char *prl,
                                           const char *domain, int64_t min, int64_t max,
                                           uint32_t flags);
/**
 * Add an enum param.
 * @param space    An unfrozen space.
 * @param prl      Unique PRL (`<domain>.enum.<...>`); copied.
 * @param domain   Search domain; copied.
 * @param choices  Non-empty JSON array, one element per choice (the `targets` as written);
 *                 borrowed, deep-copied.
 */
MMARML_API int mmarml_search_space_add_enum(mmarml_search_space *space, const char *prl,
                                            const char *domain, const json_t *choices);
/** Make the space immutable and index it by PRL. Idempotent. */
MMARML_API int mmarml_search_space_freeze(mmarml_search_space *space);
/** @return 1 when frozen. */
MMARML_API int mmarml_search_space_is_frozen(const mmarml_search_space *space);

/** @return The name (borrowed). */
MMARML_API const char *mmarml_search_space_name(const mmarml_search_space *space);
/** @return Number of params. */
MMARML_API size_t mmarml_search_space_count(const mmarml_search_space *space);
/** @return Param `index` (borrowed), or NULL when out of range. */
MMARML_API const mmarml_param *mmarml_search_space_param(const mmarml_search_space *space,
                                                         size_t index);
/**
 * Look a param up by PRL (constant time once frozen).
 * @param space  The space.
 * @param prl    The PRL.
 * @param[out] index_out  Position of the param; may be NULL.
 * @return The param (borrowed) or NULL (mmarml_error_message() names the PRL).
 */
MMARML_API const mmarml_param *mmarml_search_space_find(const mmarml_search_space *space,
                                                        const char *prl, size_t *index_out);

/** @name Param accessors; all results borrowed from the space.
 * @{ */
/** @return The param's PRL (`lr.float.$0:lr`). */
MMARML_API const char *mmarml_param_prl(const mmarml_param *param);
/** @return The param's domain (`lr`, `net`, ...). */
MMARML_API const char *mmarml_param_domain(const mmarml_param *param);
/** @return enum mmarml_param_type. */
MMARML_API int mmarml_param_type(const mmarml_param *param);
/** @return "float", "int" or "enum". */
MMARML_API const char *mmarml_param_type_name(const mmarml_param *param);
/** @return MMARML_PARAM_F_* flags. */
MMARML_API uint32_t mmarml_param_flags(const mmarml_param *param);
/** Float and int: the lower bound. Enum: 0. */
MMARML_API double mmarml_param_min(const mmarml_param *param);
/** Float and int: the upper bound. Enum: the number of choices - 1. */
MMARML_API double mmarml_param_max(const mmarml_param *param);
/** Number of ranges: 1 for float and int, one per choice for enum (Clara's SearchRange list). */
MMARML_API size_t mmarml_param_range_count(const mmarml_param *param);
/** Range i: [min, max]; for enums min = max = i. @return MMARML_OK or MMARML_EINVAL. */
MMARML_API int mmarml_param_range(const mmarml_param *param, size_t i, double *min_out,
                                  double *max_out);
/** Enum: the choices array (borrowed, read-only); NULL for other types. */
MMARML_API const json_t *mmarml_param_choices(const mmarml_param *param);
/**
 * Check a value against the param: float in [min, max]; int and enum integral and in range.
 * @return MMARML_OK or MMARML_EINVAL with a message naming the PRL and the value.
 */
MMARML_API int mmarml_param_check_value(const mmarml_param *param, double value);
/**
 * A point `u` of [0, 1] as a value of `param`, what a controller searching the unit cube
 * needs. Float: min + u (max - min), geometric between min and max on a log scale; int: the
 * same, rounded to the nearest integer; enum: the choice index of cell floor(u * choices)
 * (the last choice for u = 1). `u` is clipped to [0, 1] and the value to [min, max]
 * (exp(log(max)) can land an ulp above max), so it always passes mmarml_param_check_value.
 * @return MMARML_OK, or MMARML_EINVAL for a NULL argument or a `u` that is NaN.
 * @since 0.2
 */
MMARML_API int mmarml_param_from_unit(const mmarml_param *param, double u, double *value);
/**
 * The inverse of mmarml_param_from_unit: a float or int value to its place in [0, 1]
 * (logarithmic on a log scale; 0.5 when min = max); an enum index i to the middle of its cell,
 * (i + 0.5) / choices, so the round trip gives i back.
 * @return MMARML_OK, or MMARML_EINVAL (naming the PRL) for a value the param does not hold.
 * @since 0.2
 */
MMARML_API int mmarml_param_to_unit(const mmarml_param *param, double value, double *u);
/** @} */

/**
 * Serialise: `{"name": s, "params": [{"prl", "domain", "type", "min", "max", "scale"} |
 * {"prl", "domain", "type": "enum", "choices": [...]}]}`.
 * @param[out] out  New reference.
 * @param space     The space.
 */
MMARML_API int mmarml_search_space_to_json(json_t **out, const mmarml_search_space *space);
/**
 * Build a frozen space from the mmarml_search_space_to_json() format. Errors name the JSON
 * path (`params[3].max`) and what is wrong.
 * @param[out] out  The new space (refcount 1).
 * @param json  Borrowed.
 */
MMARML_API int mmarml_search_space_from_json(mmarml_search_space **out, const json_t *json);

MMARML_END_DECLS

#endif
