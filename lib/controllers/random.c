/* RandomController: uniform random search that keeps every worker busy. */
#include "config.h"

#include <stdlib.h>

#include "sample.h"

typedef struct {
    uint64_t max_rounds, issued, outcomes;
    ctl_rng rng;
    mmarml_search_space *space;
    double *values;
} randomctl;

static int random_set_search_space(mmarml_controller *self, mmarml_search_space *space,
                                   mmarml_context *ctx, void *ud)
{
    randomctl *r = ud;

    (void)self;
    (void)ctx;
    return ctl_keep_space(&r->space, &r->values, space, "RandomController");
}

static int random_issue(mmarml_recommendation_list *out, randomctl *r, uint64_t count)
{
    size_t i, n = mmarml_search_space_count(r->space);
    int rc = MMARML_OK;

    if (r->space == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "RandomController: no search space was set");
    for (; rc == MMARML_OK && count > 0 && r->issued < r->max_rounds; count--) {
        for (i = 0; i < n; i++)
            r->values[i] = ctl_sample_param(mmarml_search_space_param(r->space, i), &r->rng);
        rc = ctl_append(out, (int64_t)r->issued++, r->space, r->values);
    }
    return rc;
}

static int random_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                          mmarml_context *ctx, void *ud)
{
    (void)self;
    return random_issue(out, ud, ctl_num_workers(ctx));
}

static int random_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                         const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    randomctl *r = ud;

    (void)self;
    (void)outcome;
    if (ctl_count_outcome(&r->outcomes, r->max_rounds, ctx, "RandomController"))
        return MMARML_OK;
    return random_issue(out, r, 1);
}

static void random_destroy(void *ud)
{
    randomctl *r = ud;

    mmarml_search_space_unref(r->space);
    free(r->values);
    free(r);
}

int mmarml_controller_new_random(mmarml_controller **out, uint64_t max_rounds, uint64_t seed)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = random_set_search_space,
        .initial_recommendation = random_initial,
        .refine_recommendation = random_refine,
        .destroy = random_destroy,
    };
    randomctl *r = calloc(1, sizeof(*r));
    int rc;

    if (out != NULL)
        *out = NULL;
    if (r == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "RandomController: out of memory");
    r->max_rounds = max_rounds;
    ctl_rng_seed(&r->rng, seed);
    rc = mmarml_controller_new(out, &vt, r);
    if (rc != MMARML_OK)
        free(r);
    return rc;
}
