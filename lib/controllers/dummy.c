/* DummyController: the midpoint of the space, one job at a time, max_rounds times. */
#include "config.h"

#include <stdlib.h>

#include "sample.h"

typedef struct {
    uint64_t max_rounds;
    uint64_t outcomes;
    int64_t next_id;
    mmarml_search_space *space;
    double *values;
} dummy;

static int dummy_set_search_space(mmarml_controller *self, mmarml_search_space *space,
                                  mmarml_context *ctx, void *ud)
{
    dummy *d = ud;
    size_t i;
    int rc;

    (void)self;
    (void)ctx;
    rc = ctl_keep_space(&d->space, &d->values, space, "DummyController");
    for (i = 0; rc == MMARML_OK && i < mmarml_search_space_count(space); i++)
        d->values[i] = ctl_midpoint(mmarml_search_space_param(space, i));
    return rc;
}

static int dummy_next(mmarml_recommendation_list *out, dummy *d)
{
    if (d->space == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "DummyController: no search space was set");
    return ctl_append(out, d->next_id++, d->space, d->values);
}

static int dummy_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                         mmarml_context *ctx, void *ud)
{
    dummy *d = ud;

    (void)self;
    (void)ctx;
    return d->max_rounds == 0 ? MMARML_OK : dummy_next(out, d);
}

static int dummy_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                        const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    dummy *d = ud;

    (void)self;
    (void)outcome;
    if (++d->outcomes >= d->max_rounds) {
        mmarml_context_stop_work(ctx, "DummyController", "max_rounds reached");
        return MMARML_OK;
    }
    return dummy_next(out, d);
}

static void dummy_destroy(void *ud)
{
    dummy *d = ud;

    mmarml_search_space_unref(d->space);
    free(d->values);
    free(d);
}

int mmarml_controller_new_dummy(mmarml_controller **out, uint64_t max_rounds)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = dummy_set_search_space,
        .initial_recommendation = dummy_initial,
        .refine_recommendation = dummy_refine,
        .destroy = dummy_destroy,
    };
    dummy *d = calloc(1, sizeof(*d));
    int rc;

    if (out != NULL)
        *out = NULL;
    if (d == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "DummyController: out of memory");
    d->max_rounds = max_rounds;
    rc = mmarml_controller_new(out, &vt, d);
    if (rc != MMARML_OK)
        free(d);
    return rc;
}
