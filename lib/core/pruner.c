/* Pruner handles around a user vtable (mmarml/pruner.h). */
#include "config.h"

#include <math.h>
#include <stddef.h>

#include "internal.h"

struct mmarml_pruner {
    uint32_t kind; /* first: MMARML__KIND_TAG(MMARML_COMPONENT_PRUNER), see internal.h */
    mmarml__refcount ref;
    mmarml_pruner_vtable vt;
    void *user_data;
};

#define PRUNER_V1_SIZE (offsetof(mmarml_pruner_vtable, destroy) + sizeof(void (*)(void)))

int mmarml_pruner_vtable_init(mmarml_pruner_vtable *vt, uint32_t version)
{
    mmarml_pruner_vtable init = MMARML_PRUNER_VTABLE_INIT;

    if (vt == NULL)
        return MMARML__NULLARG("vt");
    if (version == 0 || version > MMARML_PRUNER_VTABLE_VERSION)
        return mmarml_error_set(MMARML_EVERSION, "pruner vtable version %u is not supported",
                                version);
    *vt = init;
    vt->version = version;
    return MMARML_OK;
}

int mmarml_pruner_new(mmarml_pruner **out, const mmarml_pruner_vtable *vtable, void *user_data)
{
    mmarml_pruner_vtable vt;
    mmarml_pruner *p;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    rc = mmarml__vtable_copy(&vt, sizeof(vt), vtable, PRUNER_V1_SIZE,
                             MMARML_PRUNER_VTABLE_VERSION, "pruner");
    if (rc != MMARML_OK)
        return rc;
    if (vt.report == NULL)
        return mmarml_error_set(MMARML_EINVAL, "pruner vtable: required method 'report' is "
                                "NULL");
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return MMARML__NOMEM();
    p->kind = MMARML__KIND_TAG(MMARML_COMPONENT_PRUNER);
    mmarml__ref_init(&p->ref);
    p->vt = vt;
    p->user_data = user_data;
    *out = p;
    return MMARML_OK;
}

mmarml_pruner *mmarml_pruner_ref(mmarml_pruner *p)
{
    if (p != NULL)
        mmarml__ref_inc(&p->ref);
    return p;
}

mmarml_pruner *mmarml_pruner_unref(mmarml_pruner *p)
{
    if (p != NULL && mmarml__ref_dec(&p->ref)) {
        if (p->vt.destroy != NULL)
            p->vt.destroy(p->user_data);
        free(p);
    }
    return NULL;
}

void *mmarml_pruner_get_user_data(const mmarml_pruner *p)
{
    return p != NULL ? p->user_data : NULL;
}

int mmarml_pruner_report(int *stop_out, mmarml_pruner *p, const char *job, uint64_t job_number,
                         double step, double value, mmarml_context *ctx)
{
    int stop = 0, rc;

    if (stop_out != NULL)
        *stop_out = 0;
    if (stop_out == NULL || p == NULL || job == NULL)
        return MMARML__NULLARG(stop_out == NULL ? "stop_out" : p == NULL ? "pruner" : "job");
    if (!isfinite(step) || !isfinite(value))
        return mmarml_error_set(MMARML_EINVAL, "pruner report of job %s: step and value must "
                                "be finite", job);
    mmarml_error_clear();
    rc = mmarml__method_result(p->vt.report(&stop, p, job, job_number, step, value, ctx,
                                            p->user_data),
                               "the pruner's report");
    *stop_out = rc == MMARML_OK && stop != 0;
    return rc;
}

void mmarml_pruner_job_ended(mmarml_pruner *p, const char *job, uint64_t job_number,
                             int status)
{
    if (p != NULL && job != NULL && p->vt.job_ended != NULL)
        p->vt.job_ended(p, job, job_number, status, p->user_data);
}
