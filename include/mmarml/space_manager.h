/**
 * @file mmarml/space_manager.h
 * @brief SearchSpaceManager: the search space of a Clara training config
 * (`config_train.json`), and the job config for a recommendation.
 *
 * Extraction finds every `search` list: the first-level one, the legacy first-level
 * `lr_search`, and those of components at any depth (objects inside objects and lists). Each
 * item becomes a param whose PRL is `<domain>.<type>.<path>$<index>:<args>`; params come in
 * the order lr_search, first-level items, component items in document order (depth first).
 * Invalid definitions are refused here, each message naming the file and the JSON path.
 *
 * Applying a recommendation copies the config and writes, in order: first-level items (they
 * set first-level keys and define variables), component items (`arg` sets `args.arg`,
 * `@attr` the component's own key, `arg#alias` also defines variable `alias`), then every
 * `apply` object (`{"prob": "myProb", "@disabled": "v"}` copies variables in). Everything
 * not targeted is left as it was, key order included. Floats are written rounded to 15
 * significant digits, so a job config dumped with JSON_REAL_PRECISION(15) holds exactly the
 * values the job ran with.
 *
 * @par Thread-safety
 * A manager is immutable once made: any thread may apply with it at the same time.
 */
#ifndef MMARML_SPACE_MANAGER_H
#define MMARML_SPACE_MANAGER_H

#include <jansson.h>
#include "common.h"
#include "recommendation.h"
#include "search_space.h"

/** Clara's SearchSpaceManager: a training config's space, and job configs from it. */
typedef struct mmarml_space_manager mmarml_space_manager;

/** Flags of mmarml_space_manager_apply(). */
#define MMARML_APPLY_F_REMOVE_SEARCH_AUGS 0x1u /**< drop every search, apply and lr_search */

MMARML_BEGIN_DECLS

/**
 * Extract the search space of a training config.
 *
 * @param[out] out     New manager (refcount 1); NULL on failure.
 * @param      config  The training config; borrowed, deep-copied.
 * @param      name    File name for messages and the space's name (e.g. "config_train.json").
 * @return MMARML_OK, or MMARML_EINVAL with "<name>: <JSON path>: <what is wrong>".
 * @par Thread-safety  Any thread.
 */
MMARML_API int mmarml_space_manager_new(mmarml_space_manager **out, const json_t *config,
                                        const char *name);
/**
 * Load a training config file and extract its space. The space is named after the file's
 * base name.
 * @return As mmarml_space_manager_new(); MMARML_EIO when the file cannot be read and
 *         MMARML_EINVAL for malformed JSON (the message gives file, line and column).
 */
MMARML_API int mmarml_space_manager_load(mmarml_space_manager **out, const char *path);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread. */
MMARML_API mmarml_space_manager *mmarml_space_manager_ref(mmarml_space_manager *m);
/** Drop a reference. NULL-safe. @return NULL. @par Thread-safety Any thread. */
MMARML_API mmarml_space_manager *mmarml_space_manager_unref(mmarml_space_manager *m);

/** @return The extracted space (borrowed, frozen; take a reference to keep it). */
MMARML_API mmarml_search_space *mmarml_space_manager_space(const mmarml_space_manager *m);
/** @return The training config as given (borrowed, read-only). */
MMARML_API const json_t *mmarml_space_manager_config(const mmarml_space_manager *m);

/**
 * Make the job config for a recommendation (Clara's ParamApplicator).
 *
 * Values are looked up by PRL, so `rec` may come from another space with the same PRLs;
 * params the recommendation leaves unset are not applied (and variables they would define
 * stay undefined, so `apply` entries naming them are skipped).
 *
 * @param[out] job_config  New reference: the config with the values written.
 * @param[out] concrete    New reference or NULL: `{PRL: [value written per arg]}` in param
 *                         order (Clara's `_concreteSearchValue`). May be NULL.
 * @param      m           The space manager.
 * @param      rec         A recommendation over the manager's space.
 * @param      flags       0 or MMARML_APPLY_F_REMOVE_SEARCH_AUGS.
 * @return MMARML_OK; MMARML_EINVAL naming the PRL and value when a value is outside the
 *         space.
 */
MMARML_API int mmarml_space_manager_apply(json_t **job_config, json_t **concrete,
                                          const mmarml_space_manager *m,
                                          const mmarml_recommendation *rec, uint32_t flags);

/**
 * A digest of concrete values: 16 lowercase hex digits (64-bit FNV-1a over the canonical
 * JSON: sorted keys, compact, 17 significant digits). Equal concrete values give equal
 * digests on every run and machine.
 * @param[out] out  Release with mmarml_free().
 * @param concrete  The concrete values (mmarml_space_manager_apply()).
 */
MMARML_API int mmarml_concrete_digest(char **out, const json_t *concrete);
/**
 * A readable dump of concrete values, one line per PRL:
 * `net.enum.train.model$1:if_use_psp,final_activation => if_use_psp=true, final_activation="sigmoid"`.
 * @param[out] out  Release with mmarml_free().
 * @param concrete  The concrete values.
 */
MMARML_API int mmarml_concrete_dump(char **out, const json_t *concrete);

MMARML_END_DECLS

#endif
