/* Controller handles around a user vtable. */
#include "config.h"

#include <stddef.h>

#include "internal.h"

struct mmarml_controller {
    uint32_t kind; /* first: MMARML__KIND_TAG(MMARML_COMPONENT_CONTROLLER), see internal.h */
    mmarml__refcount ref;
    mmarml_controller_vtable vt;
    void *user_data;
};

#define CONTROLLER_V1_SIZE (offsetof(mmarml_controller_vtable, destroy) + sizeof(void (*)(void)))

int mmarml_controller_vtable_init(mmarml_controller_vtable *vt, uint32_t version)
{
    mmarml_controller_vtable init = MMARML_CONTROLLER_VTABLE_INIT;

    if (vt == NULL)
        return MMARML__NULLARG("vt");
    if (version == 0 || version > MMARML_CONTROLLER_VTABLE_VERSION)
        return mmarml_error_set(MMARML_EVERSION, "controller vtable version %u is not "
                                "supported", version);
    *vt = init;
    vt->version = version;
    return MMARML_OK;
}

int mmarml_controller_new(mmarml_controller **out, const mmarml_controller_vtable *vtable,
                          void *user_data)
{
    mmarml_controller_vtable vt;
    mmarml_controller *ctl;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    rc = mmarml__vtable_copy(&vt, sizeof(vt), vtable, CONTROLLER_V1_SIZE,
                             MMARML_CONTROLLER_VTABLE_VERSION, "controller");
    if (rc != MMARML_OK)
        return rc;
    if (vt.initial_recommendation == NULL)
        return mmarml_error_set(MMARML_EINVAL, "controller vtable: required method "
                                "'initial_recommendation' is NULL");
    if (vt.refine_recommendation == NULL)
        return mmarml_error_set(MMARML_EINVAL, "controller vtable: required method "
                                "'refine_recommendation' is NULL");
    ctl = calloc(1, sizeof(*ctl));
    if (ctl == NULL)
        return MMARML__NOMEM();
    ctl->kind = MMARML__KIND_TAG(MMARML_COMPONENT_CONTROLLER);
    mmarml__ref_init(&ctl->ref);
    ctl->vt = vt;
    ctl->user_data = user_data;
    *out = ctl;
    return MMARML_OK;
}

mmarml_controller *mmarml_controller_ref(mmarml_controller *ctl)
{
    if (ctl != NULL)
        mmarml__ref_inc(&ctl->ref);
    return ctl;
}

mmarml_controller *mmarml_controller_unref(mmarml_controller *ctl)
{
    if (ctl != NULL && mmarml__ref_dec(&ctl->ref)) {
        if (ctl->vt.destroy != NULL)
            ctl->vt.destroy(ctl->user_data);
        free(ctl);
    }
    return NULL;
}

void *mmarml_controller_get_user_data(const mmarml_controller *ctl)
{
    return ctl != NULL ? ctl->user_data : NULL;
}

int mmarml_controller_set_search_space(mmarml_controller *ctl, mmarml_search_space *space,
                                       mmarml_context *ctx)
{
    if (ctl == NULL || space == NULL)
        return MMARML__NULLARG(ctl == NULL ? "ctl" : "space");
    mmarml_search_space_freeze(space);
    if (ctl->vt.set_search_space == NULL)
        return MMARML_OK;
    mmarml_error_clear();
    return mmarml__method_result(ctl->vt.set_search_space(ctl, space, ctx, ctl->user_data),
                                 "the controller's set_search_space");
}

int mmarml_controller_initial_recommendation(mmarml_recommendation_list *out,
                                             mmarml_controller *ctl, mmarml_context *ctx)
{
    if (ctl == NULL || out == NULL)
        return MMARML__NULLARG(ctl == NULL ? "ctl" : "out");
    mmarml_error_clear();
    return mmarml__method_result(ctl->vt.initial_recommendation(out, ctl, ctx, ctl->user_data),
                                 "the controller's initial_recommendation");
}

int mmarml_controller_refine_recommendation(mmarml_recommendation_list *out,
                                            mmarml_controller *ctl,
                                            const mmarml_outcome *outcome, mmarml_context *ctx)
{
    if (ctl == NULL || out == NULL || outcome == NULL)
        return MMARML__NULLARG(ctl == NULL ? "ctl" : out == NULL ? "out" : "outcome");
    mmarml_error_clear();
    return mmarml__method_result(
        ctl->vt.refine_recommendation(out, ctl, outcome, ctx, ctl->user_data),
        "the controller's refine_recommendation");
}

void mmarml_controller_shutdown(mmarml_controller *ctl, mmarml_context *ctx)
{
    if (ctl != NULL && ctl->vt.shutdown != NULL)
        ctl->vt.shutdown(ctl, ctx, ctl->user_data);
}
