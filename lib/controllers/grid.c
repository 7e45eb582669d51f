/* GridController: the Cartesian product of enum choices and evenly spaced float/int points,
 * enumerated lazily (an odometer over per-param point counts, last param fastest), one
 * recommendation per free worker until the grid is exhausted. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "sample.h"

typedef struct {
    int64_t points_per_float;
    uint64_t max_rounds; /* 0: the whole grid */
    mmarml_search_space *space;
    double *values;
    uint64_t *counts; /* points per param */
    uint64_t total, next;
} grid;

static const char *const me = "GridController";

/* Point k of `count` on param p. */
static double grid_point(const mmarml_param *p, uint64_t k, uint64_t count)
{
    double lo = mmarml_param_min(p), hi = mmarml_param_max(p), t, v;

    if (mmarml_param_type(p) == MMARML_PARAM_ENUM)
        return (double)k;
    t = count > 1 ? (double)k / (double)(count - 1) : 0.5;
    if (mmarml_param_flags(p) & MMARML_PARAM_F_LOG)
        v = exp(log(lo) + t * (log(hi) - log(lo)));
    else
        v = lo + t * (hi - lo);
    if (mmarml_param_type(p) == MMARML_PARAM_INT)
        v = floor(v + 0.5);
    return v < lo ? lo : v > hi ? hi : v;
}

static int grid_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                    void *ud)
{
    grid *g = ud;
    size_t i, n = mmarml_search_space_count(space);
    int rc;

    (void)self;
    (void)ctx;
    if ((rc = ctl_keep_space(&g->space, &g->values, space, me)) != MMARML_OK)
        return rc;
    free(g->counts);
    g->counts = calloc(n ? n : 1, sizeof(*g->counts));
    if (g->counts == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    g->total = 1;
    for (i = 0; i < n; i++) {
        const mmarml_param *p = mmarml_search_space_param(space, i);
        uint64_t c = (uint64_t)g->points_per_float;
        if (mmarml_param_type(p) == MMARML_PARAM_ENUM) {
            c = (uint64_t)mmarml_param_range_count(p);
        } else if (mmarml_param_type(p) == MMARML_PARAM_INT) {
            double span = mmarml_param_max(p) - mmarml_param_min(p) + 1;
            if ((double)c > span) /* no repeated integers */
                c = (uint64_t)span;
        }
        if (mmarml_param_min(p) == mmarml_param_max(p))
            c = 1;
        g->counts[i] = c;
        if (c != 0 && g->total > UINT64_MAX / c)
            return mmarml_error_set(MMARML_EINVAL, "%s: the grid of search space '%s' has more "
                                    "than 2^64 points", me, mmarml_search_space_name(space));
        g->total *= c;
    }
    g->next = 0;
    mmarml_context_log(ctx, MMARML_LOG_INFO, "%s: %llu grid points", me,
                       (unsigned long long)g->total);
    return MMARML_OK;
}

static int grid_issue(mmarml_recommendation_list *out, grid *g, uint64_t count)
{
    size_t i, n = mmarml_search_space_count(g->space);
    uint64_t limit = g->max_rounds > 0 && g->max_rounds < g->total ? g->max_rounds : g->total;
    int rc = MMARML_OK;

    if (g->space == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "%s: no search space was set", me);
    for (; rc == MMARML_OK && count > 0 && g->next < limit; count--) {
        uint64_t k = g->next;
        for (i = n; i-- > 0;) { /* the odometer: the last param turns fastest */
            g->values[i] = grid_point(mmarml_search_space_param(g->space, i),
                                      k % g->counts[i], g->counts[i]);
            k /= g->counts[i];
        }
        rc = ctl_append(out, (int64_t)g->next++, g->space, g->values);
    }
    return rc;
}

static int grid_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                        mmarml_context *ctx, void *ud)
{
    (void)self;
    return grid_issue(out, ud, ctl_num_workers(ctx));
}

static int grid_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                       const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    (void)self;
    (void)outcome;
    (void)ctx;
    return grid_issue(out, ud, 1);
}

static void grid_destroy(void *ud)
{
    grid *g = ud;

    mmarml_search_space_unref(g->space);
    free(g->values);
    free(g->counts);
    free(g);
}

int mmarml_controller_new_grid(mmarml_controller **out, int64_t points_per_float,
                               uint64_t max_rounds)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = grid_set,
        .initial_recommendation = grid_initial,
        .refine_recommendation = grid_refine,
        .destroy = grid_destroy,
    };
    grid *g;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (points_per_float < 1)
        return mmarml_error_set(MMARML_EINVAL, "%s: points_per_float must be at least 1", me);
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    g->points_per_float = points_per_float;
    g->max_rounds = max_rounds;
    rc = mmarml_controller_new(out, &vt, g);
    if (rc != MMARML_OK)
        free(g);
    return rc;
}
