/* TestController: total_recs random recommendations in batches of at most
 * max_recs_each_time; the next batch once the previous one is all back. */
#include "config.h"

#include <stdlib.h>

#include "sample.h"

typedef struct {
    uint64_t total, batch, issued, outstanding;
    ctl_rng rng;
    mmarml_search_space *space;
    double *values;
} testctl;

static int test_set_search_space(mmarml_controller *self, mmarml_search_space *space,
                                 mmarml_context *ctx, void *ud)
{
    testctl *t = ud;

    (void)self;
    (void)ctx;
    return ctl_keep_space(&t->space, &t->values, space, "TestController");
}

static int test_batch(mmarml_recommendation_list *out, testctl *t)
{
    size_t i, n = mmarml_search_space_count(t->space);
    int rc = MMARML_OK;

    if (t->space == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "TestController: no search space was set");
    while (rc == MMARML_OK && t->issued < t->total && t->outstanding < t->batch) {
        for (i = 0; i < n; i++)
            t->values[i] = ctl_sample_param(mmarml_search_space_param(t->space, i), &t->rng);
        rc = ctl_append(out, (int64_t)t->issued, t->space, t->values);
        t->issued++;
        t->outstanding++;
    }
    return rc;
}

static int test_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                        mmarml_context *ctx, void *ud)
{
    (void)self;
    (void)ctx;
    return test_batch(out, ud);
}

static int test_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                       const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    testctl *t = ud;

    (void)self;
    (void)outcome;
    (void)ctx;
    if (t->outstanding > 0)
        t->outstanding--;
    return t->outstanding == 0 ? test_batch(out, t) : MMARML_OK;
}

static void test_destroy(void *ud)
{
    testctl *t = ud;

    mmarml_search_space_unref(t->space);
    free(t->values);
    free(t);
}

int mmarml_controller_new_test(mmarml_controller **out, uint64_t total_recs,
                               uint64_t max_recs_each_time, uint64_t seed)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = test_set_search_space,
        .initial_recommendation = test_initial,
        .refine_recommendation = test_refine,
        .destroy = test_destroy,
    };
    testctl *t;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (max_recs_each_time == 0)
        return mmarml_error_set(MMARML_EINVAL, "TestController: max_recs_each_time must be at "
                                "least 1");
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "TestController: out of memory");
    t->total = total_recs;
    t->batch = max_recs_each_time;
    ctl_rng_seed(&t->rng, seed);
    rc = mmarml_controller_new(out, &vt, t);
    if (rc != MMARML_OK)
        free(t);
    return rc;
}
