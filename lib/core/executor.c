/* Executor handles around a user vtable. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>

#include "internal.h"

struct mmarml_executor {
    uint32_t kind; /* first: MMARML__KIND_TAG(MMARML_COMPONENT_EXECUTOR), see internal.h */
    mmarml__refcount ref;
    mmarml_executor_vtable vt;
    void *user_data;
};

#define EXECUTOR_V1_SIZE (offsetof(mmarml_executor_vtable, destroy) + sizeof(void (*)(void)))

int mmarml_executor_vtable_init(mmarml_executor_vtable *vt, uint32_t version)
{
    mmarml_executor_vtable init = MMARML_EXECUTOR_VTABLE_INIT;

    if (vt == NULL)
        return MMARML__NULLARG("vt");
    if (version == 0 || version > MMARML_EXECUTOR_VTABLE_VERSION)
        return mmarml_error_set(MMARML_EVERSION, "executor vtable version %u is not supported",
                                version);
    *vt = init;
    vt->version = version;
    return MMARML_OK;
}

int mmarml_executor_new(mmarml_executor **out, const mmarml_executor_vtable *vtable,
                        void *user_data)
{
    mmarml_executor_vtable vt;
    mmarml_executor *exe;
    int rc;

    if (out == NULL)
        return MMARML__NULLARG("out");
    *out = NULL;
    rc = mmarml__vtable_copy(&vt, sizeof(vt), vtable, EXECUTOR_V1_SIZE,
                             MMARML_EXECUTOR_VTABLE_VERSION, "executor");
    if (rc != MMARML_OK)
        return rc;
    if (vt.determine_search_space == NULL)
        return mmarml_error_set(MMARML_EINVAL, "executor vtable: required method "
                                "'determine_search_space' is NULL");
    if (vt.execute == NULL)
        return mmarml_error_set(MMARML_EINVAL,
                                "executor vtable: required method 'execute' is NULL");
    exe = calloc(1, sizeof(*exe));
    if (exe == NULL)
        return MMARML__NOMEM();
    exe->kind = MMARML__KIND_TAG(MMARML_COMPONENT_EXECUTOR);
    mmarml__ref_init(&exe->ref);
    exe->vt = vt;
    exe->user_data = user_data;
    *out = exe;
    return MMARML_OK;
}

mmarml_executor *mmarml_executor_ref(mmarml_executor *exe)
{
    if (exe != NULL)
        mmarml__ref_inc(&exe->ref);
    return exe;
}

mmarml_executor *mmarml_executor_unref(mmarml_executor *exe)
{
    if (exe != NULL && mmarml__ref_dec(&exe->ref)) {
        if (exe->vt.destroy != NULL)
            exe->vt.destroy(exe->user_data);
        free(exe);
    }
    return NULL;
}

void *mmarml_executor_get_user_data(const mmarml_executor *exe)
{
    return exe != NULL ? exe->user_data : NULL;
}

int mmarml_executor_determine_search_space(mmarml_search_space **out, mmarml_executor *exe,
                                           mmarml_context *ctx)
{
    int rc;

    if (out == NULL || exe == NULL)
        return MMARML__NULLARG(out == NULL ? "out" : "exe");
    *out = NULL;
    mmarml_error_clear();
    rc = mmarml__method_result(exe->vt.determine_search_space(out, exe, ctx, exe->user_data),
                               "the executor's determine_search_space");
    if (rc == MMARML_OK && *out == NULL)
        rc = mmarml_error_set(MMARML_EUSER, "executor's determine_search_space returned no "
                              "search space");
    if (rc != MMARML_OK && *out != NULL)
        *out = mmarml_search_space_unref(*out);
    return rc;
}

int mmarml_executor_execute(int *status_out, double *score_out, mmarml_executor *exe,
                            const mmarml_recommendation *rec, mmarml_context *job_ctx)
{
    int status = INT_MIN; /* unset: an OK without a status is the executor's error */
    double score = NAN;
    int rc;

    if (status_out == NULL || score_out == NULL || exe == NULL)
        return MMARML__NULLARG(exe == NULL ? "exe" : "out");
    mmarml_error_clear();
    rc = mmarml__method_result(exe->vt.execute(&status, &score, exe, rec, job_ctx,
                                               exe->user_data),
                               "the executor's execute");
    if (rc < 0) {
        status = MMARML_JOB_ERROR;
    } else if (status == INT_MIN) {
        rc = mmarml_error_set(MMARML_EUSER, "the executor's execute returned MMARML_OK "
                              "without a job status");
        status = MMARML_JOB_ERROR;
    } else if (status < MMARML_JOB_OK || status > MMARML_JOB_ERROR) {
        rc = mmarml_error_set(MMARML_EUSER, "executor returned unknown job status %d", status);
        status = MMARML_JOB_ERROR;
    } else if (status == MMARML_JOB_OK && !isfinite(score)) {
        status = MMARML_JOB_NO_SCORE;
    }
    *status_out = status;
    *score_out = status == MMARML_JOB_OK ? score : NAN;
    return rc < 0 ? rc : MMARML_OK;
}

void mmarml_executor_abort(mmarml_executor *exe, mmarml_context *job_ctx)
{
    if (exe != NULL && exe->vt.abort != NULL)
        exe->vt.abort(exe, job_ctx, exe->user_data);
}

void mmarml_executor_shutdown(mmarml_executor *exe, mmarml_context *ctx)
{
    if (exe != NULL && exe->vt.shutdown != NULL)
        exe->vt.shutdown(exe, ctx, exe->user_data);
}
