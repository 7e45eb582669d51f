/*
 * custom_controller: a user controller written against the vtable, a (1+1) evolution
 * strategy: keep the best point, propose a Gaussian step around it, widen the step after a
 * success and narrow it after a failure (the 1/5th rule). The executor scores the point in
 * process with -sum((x_i - 0.3)^2) over four floats in [-1, 1].
 *
 * Build: cc custom_controller.c $(pkg-config --cflags --libs libmmarml) -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#define DIM 4

typedef struct {
    mmarml_search_space *space;
    double best[DIM], best_score, sigma;
    int64_t next_id, rounds, max_rounds;
    unsigned seed;
} es_controller;

static double gaussian(unsigned *seed)
{
    double u1 = (rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);
    double u2 = (rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);

    return sqrt(-2 * log(u1)) * cos(2 * 3.14159265358979323846 * u2);
}

static int propose(mmarml_recommendation_list *out, es_controller *es)
{
    double x[DIM];
    mmarml_recommendation *rec;
    int i, rc;

    for (i = 0; i < DIM; i++) {
        const mmarml_param *p = mmarml_search_space_param(es->space, (size_t)i);
        x[i] = es->best[i] + es->sigma * gaussian(&es->seed);
        x[i] = fmin(fmax(x[i], mmarml_param_min(p)), mmarml_param_max(p));
    }
    rc = mmarml_recommendation_new(&rec, es->next_id++, es->space, x, DIM);
    if (rc == MMARML_OK) {
        rc = mmarml_recommendation_list_append(out, rec);
        mmarml_recommendation_unref(rec);
    }
    return rc;
}

static int set_search_space(mmarml_controller *self, mmarml_search_space *space,
                            mmarml_context *ctx, void *ud)
{
    es_controller *es = ud;
    size_t i;

    (void)self, (void)ctx;
    if (mmarml_search_space_count(space) != DIM)
        return mmarml_error_set(MMARML_EINVAL, "ES controller: expected %d params", DIM);
    for (i = 0; i < DIM; i++)
        if (mmarml_param_type(mmarml_search_space_param(space, i)) != MMARML_PARAM_FLOAT)
            return mmarml_error_set(MMARML_EINVAL, "ES controller: floats only");
    es->space = mmarml_search_space_ref(space);
    return MMARML_OK;
}

static int initial_recommendation(mmarml_recommendation_list *out, mmarml_controller *self,
                                  mmarml_context *ctx, void *ud)
{
    es_controller *es = ud;
    mmarml_recommendation *rec;
    int rc;

    (void)self, (void)ctx;
    /* start at the corner, far from the optimum */
    rc = mmarml_recommendation_new(&rec, es->next_id++, es->space, es->best, DIM);
    if (rc == MMARML_OK) {
        rc = mmarml_recommendation_list_append(out, rec);
        mmarml_recommendation_unref(rec);
    }
    return rc;
}

/* Called on the engine thread, one outcome at a time: no locks needed. */
static int refine_recommendation(mmarml_recommendation_list *out, mmarml_controller *self,
                                 const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    es_controller *es = ud;
    double score;

    (void)self, (void)ctx;
    if (mmarml_outcome_score(outcome, &score) == MMARML_OK && score > es->best_score) {
        memcpy(es->best, mmarml_recommendation_values(mmarml_outcome_recommendation(outcome)),
               sizeof(es->best));
        es->best_score = score;
        es->sigma *= 1.5;
    } else {
        es->sigma *= pow(1.5, -0.25);
    }
    if (++es->rounds >= es->max_rounds)
        return MMARML_OK; /* nothing more: the run ends when the last job is back */
    return propose(out, es);
}

static void destroy(void *ud)
{
    es_controller *es = ud;

    mmarml_search_space_unref(es->space);
    free(es);
}

static int determine_search_space(mmarml_search_space **out, mmarml_executor *self,
                                  mmarml_context *ctx, void *ud)
{
    char prl[64];
    int i, rc;

    (void)self, (void)ctx, (void)ud;
    rc = mmarml_search_space_new(out, "sphere");
    for (i = 0; rc == MMARML_OK && i < DIM; i++) {
        snprintf(prl, sizeof(prl), "net.float.model$%d:w%d", i, i);
        rc = mmarml_search_space_add_float(*out, prl, "net", -1, 1, 0);
    }
    return rc;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job_ctx, void *ud)
{
    const double *x = mmarml_recommendation_values(rec);
    double s = 0;
    int i;

    (void)self, (void)job_ctx, (void)ud;
    for (i = 0; i < DIM; i++)
        s += (x[i] - 0.3) * (x[i] - 0.3);
    *score = -s;
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

int main(void)
{
    const mmarml_controller_vtable cvt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = set_search_space,
        .initial_recommendation = initial_recommendation,
        .refine_recommendation = refine_recommendation,
        .destroy = destroy,
    };
    const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine_search_space,
        .execute = execute,
    };
    es_controller *es = calloc(1, sizeof(*es));
    mmarml_controller *controller = NULL;
    mmarml_executor *executor = NULL;
    mmarml_engine *engine = NULL;
    mmarml_context *ctx = NULL;
    double start_score = -DIM * 1.3 * 1.3, best = -INFINITY;
    int i, rc;

    if (es == NULL)
        return 1;
    for (i = 0; i < DIM; i++)
        es->best[i] = -1;
    es->best_score = -INFINITY;
    es->sigma = 0.3;
    es->max_rounds = 200;
    es->seed = 7;
    rc = mmarml_controller_new(&controller, &cvt, es);
    if (rc != MMARML_OK) {
        free(es); /* creation failed: we still own it */
    } else if ((rc = mmarml_executor_new(&executor, &evt, NULL)) == MMARML_OK &&
               (rc = mmarml_engine_new(&engine, controller, executor, NULL)) == MMARML_OK &&
               (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK) {
        rc = mmarml_engine_run(engine, ctx);
        best = es->best_score; /* es is alive while the controller is */
    }
    if (rc != MMARML_OK)
        fprintf(stderr, "custom_controller: %s\n", mmarml_error_message());
    else
        printf("custom_controller: (1+1)-ES from score %.4f to %.6f in %lld jobs\n",
               start_score, best, (long long)es->rounds);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(engine);
    mmarml_executor_unref(executor);
    mmarml_controller_unref(controller);
    return rc == MMARML_OK && best > -0.01 ? 0 : 1;
}
