/*
 * ASHAPruner, SuccessiveHalvingPruner and HyperbandPruner (mmarml/pruner.h,
 * docs/components.md).
 *
 * A bracket is asynchronous successive halving: rungs at min_resource * eta^(s + k), s the
 * bracket's early-stopping rate. A job's value at a rung is its first report at a step at or
 * past the rung; it goes on when that value is at least the k-th best value of the rung so
 * far (itself included), with k = max(1, floor(n / eta)) (Optuna's SuccessiveHalvingPruner
 * rule), and the rung holds more than bootstrap_count values. Hyperband runs several
 * brackets, s = 0, 1, ..., and puts each job in one of them.
 *
 * A resource given as MMARML_PRUNER_RESOURCE_AUTO is learned from the first jobs that end ok,
 * as Optuna's "auto" is: nothing is judged (nor counted at a rung) until one has; at the
 * next report, min_resource becomes max(1, floor(L / 100)) and max_resource L, L being the
 * largest last step of the jobs that ended ok so far. Optuna's Hyperband takes L + 1: here
 * max_resource is the step no rung reaches, and a rung at the last step would stop jobs
 * that have already trained to the end.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmarml.h"

typedef struct {
    double *values; /* descending */
    size_t n, cap;
} rung;

typedef struct {
    double min_resource;
    rung *rungs;
    size_t nrungs;
} bracket;

typedef struct {
    const char *who;
    int hyperband;
    double min_resource, eta, max_resource; /* either may be MMARML_PRUNER_RESOURCE_AUTO */
    double early_stopping_rate; /* s of the first bracket */
    uint64_t bootstrap_count;   /* the first this many values at a rung do not go on */
    bracket *brackets; /* NULL until both resources are known */
    size_t nbrackets;
    uint64_t *budget; /* Hyperband: cumulative weights of the brackets */
    json_t *next_rung; /* job name -> [bracket, next rung index] */
    /* until both resources are known ("auto"): each running job's last step, and the
     * largest last step of the jobs that ended ok (-1: none has; steps are >= 0) */
    json_t *last_step;
    double ok_last_step;
} asha;

#define AUTO MMARML_PRUNER_RESOURCE_AUTO

static double rung_step(const asha *a, const bracket *b, size_t k)
{
    return b->min_resource * pow(a->eta, (double)k);
}

/* Insert `v` into the descending values of `r`; the 0-based rank it got (ties: the best). */
static int rung_insert(rung *r, double v, size_t *rank)
{
    size_t lo = 0, hi = r->n;

    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        double *more = realloc(r->values, cap * sizeof(*more));
        if (more == NULL)
            return MMARML_ENOMEM;
        r->values = more;
        r->cap = cap;
    }
    while (lo < hi) { /* first position whose value is < v... of ties, v goes first */
        size_t mid = lo + (hi - lo) / 2;
        if (r->values[mid] > v)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(r->values + lo + 1, r->values + lo, (r->n - lo) * sizeof(*r->values));
    r->values[lo] = v;
    r->n++;
    *rank = lo;
    return MMARML_OK;
}

static rung *bracket_rung(bracket *b, size_t k)
{
    if (k >= b->nrungs) {
        rung *more = realloc(b->rungs, (k + 1) * sizeof(*more));
        if (more == NULL)
            return NULL;
        memset(more + b->nrungs, 0, (k + 1 - b->nrungs) * sizeof(*more));
        b->rungs = more;
        b->nrungs = k + 1;
    }
    return &b->rungs[k];
}

/* The bracket of a job: Hyperband's budgets, by a hash of its job number. */
static size_t bracket_of(const asha *a, uint64_t job_number)
{
    uint64_t h = (job_number + 1) * 0x9e3779b97f4a7c15ull, pick;
    size_t i;

    if (a->nbrackets == 1)
        return 0;
    h ^= h >> 31;
    pick = h % a->budget[a->nbrackets - 1];
    for (i = 0; i < a->nbrackets && pick >= a->budget[i]; i++)
        ;
    return i;
}

/* The brackets, once min_resource and max_resource are known. */
static int build_brackets(asha *a)
{
    size_t i, n = 1;

    if (a->hyperband && a->max_resource > a->min_resource)
        /* 1e-9: eta^k == max/min must count that bracket despite rounding */
        n = (size_t)floor(log(a->max_resource / a->min_resource) / log(a->eta) + 1e-9) + 1;
    if ((a->brackets = calloc(n, sizeof(*a->brackets))) == NULL ||
        (a->budget = calloc(n, sizeof(*a->budget))) == NULL) {
        free(a->brackets);
        a->brackets = NULL;
        return MMARML_ENOMEM;
    }
    a->nbrackets = n;
    for (i = 0; i < n; i++) {
        /* Hyperband's budget of bracket i: ceil(n * eta^s / (s + 1)), s = n - 1 - i */
        double s = (double)(n - 1 - i);
        a->brackets[i].min_resource =
            a->min_resource * pow(a->eta, a->early_stopping_rate + (double)i);
        a->budget[i] = (uint64_t)ceil((double)n * pow(a->eta, s) / (s + 1)) +
                       (i > 0 ? a->budget[i - 1] : 0);
    }
    return MMARML_OK;
}

/* "auto" resources from the jobs that ended ok, then the brackets. */
static int settle(asha *a, mmarml_context *ctx)
{
    if (a->min_resource == AUTO)
        a->min_resource = fmax(floor(a->ok_last_step / 100), 1);
    if (a->max_resource == AUTO) /* at or below min_resource: no rung, nothing stopped */
        a->max_resource = fmax(a->ok_last_step, a->min_resource);
    if (build_brackets(a) != MMARML_OK)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", a->who);
    json_object_clear(a->last_step);
    mmarml_context_trace(ctx, a->who, "resources learned from the jobs that ended ok (last "
                         "step %g): min_resource %g, max_resource %g, %zu bracket(s)",
                         a->ok_last_step, a->min_resource, a->max_resource, a->nbrackets);
    return MMARML_OK;
}

static int asha_report(int *stop_out, mmarml_pruner *self, const char *job, uint64_t job_number,
                       double step, double value, mmarml_context *ctx, void *ud)
{
    asha *a = ud;
    json_t *state;
    bracket *b;
    size_t k;

    (void)self;
    if (a->brackets == NULL && a->ok_last_step < 0) { /* "auto": no job ended ok yet */
        json_t *last = json_real(step);

        if (last == NULL || json_object_set_new(a->last_step, job, last) != 0)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", a->who);
        return MMARML_OK;
    }
    if (a->brackets == NULL && settle(a, ctx) != MMARML_OK)
        return MMARML_ENOMEM;
    state = json_object_get(a->next_rung, job);
    if (state == NULL) {
        state = json_pack("[I, I]", (json_int_t)bracket_of(a, job_number), (json_int_t)0);
        if (state == NULL || json_object_set_new(a->next_rung, job, state) != 0)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", a->who);
    }
    b = &a->brackets[json_integer_value(json_array_get(state, 0))];
    k = (size_t)json_integer_value(json_array_get(state, 1));
    /* every rung this report passes: the job is judged at each */
    while (step >= rung_step(a, b, k) &&
           (a->max_resource <= 0 || rung_step(a, b, k) < a->max_resource)) {
        rung *r = bracket_rung(b, k);
        size_t rank, keep;
        if (r == NULL || rung_insert(r, value, &rank) != MMARML_OK)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", a->who);
        keep = (size_t)floor((double)r->n / a->eta);
        if (keep < 1)
            keep = 1;
        json_array_set_new(state, 1, json_integer((json_int_t)++k));
        if (r->n <= a->bootstrap_count) {
            mmarml_context_trace(ctx, a->who, "job %s stopped at rung %zu (step %g): %zu of "
                                 "the %" PRIu64 " values the rung needs (bootstrap_count) "
                                 "before a job goes on", job, k - 1, rung_step(a, b, k - 1),
                                 r->n, a->bootstrap_count);
            *stop_out = 1;
            return MMARML_OK;
        }
        if (rank >= keep) {
            mmarml_context_trace(ctx, a->who, "job %s stopped at rung %zu (step %g): value %g "
                                 "ranks %zu of %zu, the top %zu go on", job, k - 1,
                                 rung_step(a, b, k - 1), value, rank + 1, r->n, keep);
            *stop_out = 1;
            return MMARML_OK;
        }
    }
    return MMARML_OK;
}

static void asha_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                           int status, void *ud)
{
    asha *a = ud;
    json_t *last;

    (void)self, (void)job_number;
    if (a->brackets == NULL && (last = json_object_get(a->last_step, job)) != NULL) {
        if (status == MMARML_JOB_OK && json_real_value(last) > a->ok_last_step)
            a->ok_last_step = json_real_value(last);
        json_object_del(a->last_step, job);
    }
    json_object_del(a->next_rung, job); /* its rung values stay: later jobs meet them */
}

static void asha_destroy(void *ud)
{
    asha *a = ud;
    size_t i, k;

    for (i = 0; i < a->nbrackets; i++) {
        for (k = 0; k < a->brackets[i].nrungs; k++)
            free(a->brackets[i].rungs[k].values);
        free(a->brackets[i].rungs);
    }
    free(a->brackets);
    free(a->budget);
    json_decref(a->next_rung);
    json_decref(a->last_step);
    free(a);
}

static int make(mmarml_pruner **out, const char *who, double min_resource, double eta,
                double max_resource, uint64_t early_stopping_rate, uint64_t bootstrap_count,
                int hyperband)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = asha_report,
        .job_ended = asha_job_ended,
        .destroy = asha_destroy,
    };
    asha *a;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", who);
    *out = NULL;
    if (min_resource != AUTO && (!(min_resource > 0) || !isfinite(min_resource)))
        return mmarml_error_set(MMARML_EINVAL, "%s: min_resource must be > 0 or auto (got %g)",
                                who, min_resource);
    if (!(eta >= 2) || !isfinite(eta))
        return mmarml_error_set(MMARML_EINVAL, "%s: reduction_factor must be >= 2 (got %g)",
                                who, eta);
    if (max_resource != AUTO &&
        (!(max_resource >= 0) || !isfinite(max_resource) ||
         (max_resource > 0 && min_resource != AUTO && max_resource < min_resource)))
        return mmarml_error_set(MMARML_EINVAL, "%s: max_resource must be 0 (none), auto or >= "
                                "min_resource (got %g)", who, max_resource);
    if (hyperband && max_resource == 0)
        return mmarml_error_set(MMARML_EINVAL, "%s: needs max_resource > 0 or auto", who);
    a = calloc(1, sizeof(*a));
    if (a == NULL || (a->next_rung = json_object()) == NULL ||
        (a->last_step = json_object()) == NULL) {
        if (a != NULL)
            asha_destroy(a);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", who);
    }
    a->who = who;
    a->hyperband = hyperband;
    a->min_resource = min_resource;
    a->eta = eta;
    a->max_resource = max_resource;
    a->early_stopping_rate = (double)early_stopping_rate;
    a->bootstrap_count = bootstrap_count;
    a->ok_last_step = -1;
    if (min_resource != AUTO && max_resource != AUTO && build_brackets(a) != MMARML_OK) {
        asha_destroy(a);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", who);
    }
    rc = mmarml_pruner_new(out, &vt, a);
    if (rc != MMARML_OK)
        asha_destroy(a);
    return rc;
}

int mmarml_pruner_new_asha(mmarml_pruner **out, double min_resource, double reduction_factor,
                           double max_resource)
{
    return make(out, "ASHAPruner", min_resource, reduction_factor, max_resource, 0, 0, 0);
}

int mmarml_pruner_new_asha_ex(mmarml_pruner **out, double min_resource,
                              double reduction_factor, double max_resource,
                              uint64_t min_early_stopping_rate, uint64_t bootstrap_count)
{
    return make(out, "ASHAPruner", min_resource, reduction_factor, max_resource,
                min_early_stopping_rate, bootstrap_count, 0);
}

int mmarml_pruner_new_hyperband(mmarml_pruner **out, double min_resource,
                                double reduction_factor, double max_resource)
{
    return make(out, "HyperbandPruner", min_resource, reduction_factor, max_resource, 0, 0, 1);
}

int mmarml_pruner_new_hyperband_ex(mmarml_pruner **out, double min_resource,
                                   double reduction_factor, double max_resource,
                                   uint64_t bootstrap_count)
{
    return make(out, "HyperbandPruner", min_resource, reduction_factor, max_resource, 0,
                bootstrap_count, 1);
}
