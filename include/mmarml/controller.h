/**
 * @file mmarml/controller.h
 * @brief Controller: proposes recommendations and learns from outcomes (Clara's Controller).
 *
 * Implementing: fill a mmarml_controller_vtable (designated initialisers, `.struct_size`
 * and `.version` first) and call mmarml_controller_new(). The table is copied.
 *
 * @par Thread-safety
 * The engine calls the methods one at a time, each call seeing what the one before did:
 * controllers need no locks. The calls come from the engine thread, or from a job thread
 * standing in for it while it sleeps (engine option engine_thread_calls keeps them on the
 * engine thread).
 * A controller handle is for one thread at a time.
 */
#ifndef MMARML_CONTROLLER_H
#define MMARML_CONTROLLER_H

#include "common.h"
#include "context.h"
#include "recommendation.h"
#include "search_space.h"

/** A controller (Clara's Controller): proposes recommendations, learns from outcomes. */
typedef struct mmarml_controller mmarml_controller;

/** Method table of a controller. Members are only ever appended. */
typedef struct mmarml_controller_vtable {
    uint32_t struct_size; /**< sizeof(mmarml_controller_vtable) as the implementer compiled it */
    uint32_t version;     /**< MMARML_CONTROLLER_VTABLE_VERSION */
    /* --- version 1 --- */
    /** Optional. Keep and validate the space (take a reference to keep it). A negative
     *  return, or a stop asked on ctx, ends the run before any job. */
    int MMARML_CALLBACK(set_search_space)(mmarml_controller *self, mmarml_search_space *space,
                                          mmarml_context *ctx, void *user_data);
    /** Required. Append the first recommendations to `out`; none stops the run at once. */
    int MMARML_CALLBACK(initial_recommendation)(mmarml_recommendation_list *out,
                                                mmarml_controller *self, mmarml_context *ctx,
                                                void *user_data);
    /** Required. Called once per finished job, in completion order; append 0..n. */
    int MMARML_CALLBACK(refine_recommendation)(mmarml_recommendation_list *out,
                                               mmarml_controller *self,
                                               const mmarml_outcome *outcome,
                                               mmarml_context *ctx, void *user_data);
    /** Optional. End of the run. */
    void MMARML_CALLBACK(shutdown)(mmarml_controller *self, mmarml_context *ctx,
                                   void *user_data);
    /** Optional. Release user_data; called exactly once, on the last unref. */
    void MMARML_CALLBACK(destroy)(void *user_data);
    /* --- version 2 members are appended here --- */
} mmarml_controller_vtable;

#define MMARML_CONTROLLER_VTABLE_VERSION 1 /**< The vtable version this header describes */
/** A static initialiser: struct_size and version set, every method NULL. */
#define MMARML_CONTROLLER_VTABLE_INIT \
    { sizeof(mmarml_controller_vtable), MMARML_CONTROLLER_VTABLE_VERSION, 0, 0, 0, 0, 0 }

MMARML_BEGIN_DECLS

/** Zero `vt` and set struct_size and version (libgit2's *_init pattern).
 *  @return MMARML_OK, or MMARML_EVERSION for an unknown version. */
MMARML_API int mmarml_controller_vtable_init(mmarml_controller_vtable *vt, uint32_t version);

/**
 * Create a controller driven by a user method table.
 *
 * @param[out] out        New controller (refcount 1); NULL on failure.
 * @param      vtable     Copied (min(struct_size, sizeof) bytes into a zeroed table).
 * @param      user_data  Passed to every method; released through vtable->destroy.
 * @return MMARML_OK; MMARML_EVERSION for version 0 or newer than this library;
 *         MMARML_EINVAL for a short struct_size or a missing required method.
 * @par Ownership  On failure nothing is called and the caller still owns user_data.
 */
MMARML_API int mmarml_controller_new(mmarml_controller **out,
                                     const mmarml_controller_vtable *vtable, void *user_data);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_controller *mmarml_controller_ref(mmarml_controller *ctl);
/** Drop a reference; the last one frees it (and calls the vtable's destroy, if any). NULL-safe.
 *  @return NULL. @par Thread-safety Any thread (atomic count). */
MMARML_API mmarml_controller *mmarml_controller_unref(mmarml_controller *ctl);
/** @return The user_data given at creation (borrowed). @par Thread-safety Any thread. */
MMARML_API void *mmarml_controller_get_user_data(const mmarml_controller *ctl);

/** @name Calling a controller (what the engine does; useful to drive one by hand)
 * @{ */
/** Give the controller the run's space (its set_search_space). */
MMARML_API int mmarml_controller_set_search_space(mmarml_controller *ctl,
                                                  mmarml_search_space *space,
                                                  mmarml_context *ctx);
/** Call the controller's initial_recommendation; `out` receives new references.
 *  @par Thread-safety The controller's thread (one at a time). */
MMARML_API int mmarml_controller_initial_recommendation(mmarml_recommendation_list *out,
                                                        mmarml_controller *ctl,
                                                        mmarml_context *ctx);
/** Call the controller's refine_recommendation with `outcome` (borrowed). */
MMARML_API int mmarml_controller_refine_recommendation(mmarml_recommendation_list *out,
                                                       mmarml_controller *ctl,
                                                       const mmarml_outcome *outcome,
                                                       mmarml_context *ctx);
/** Call the controller's shutdown, if it has one. */
MMARML_API void mmarml_controller_shutdown(mmarml_controller *ctl, mmarml_context *ctx);
/** @} */

MMARML_END_DECLS

#endif
