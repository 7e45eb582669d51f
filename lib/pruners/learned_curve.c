/*
 * LearnedCurvePruner (mmarml/pruner.h, docs/early-stopping.md; ours). Where learning curves
 * cross, they cross because configs learn at different speeds, and a config's speed belongs
 * to the config. So this pruner learns, from the jobs that ended ok, what share of its final
 * value (the mean of its last three reports) a job has reached at each step, as a function of
 * its config: per step, ridge least squares of the share on the config's place in the unit
 * cube (linear; quadratic once there are enough jobs and few params). A running job's final
 * value is then estimated from its own reports and the shares predicted for its config, and
 * the job stops when that estimate, raised by `std_errors` standard errors, is below the best
 * ended job's final value estimated the same way, from its reports up to the same step. The
 * standard error counts the reports' noise (from second differences of the ended jobs' last
 * reports) and the fitted share's own error at the job's config. The config is the job
 * context's `_recommendation`, which a resume's replay gives too, so a resumed run decides as
 * the first one did.
 *
 * It models values that grow towards a positive final value (accuracy, Dice): ended jobs whose
 * final value is not above 0 are not learned from. Steps are matched exactly, as
 * MedianPruner's: a step no ended job reported is not judged. A job's steps must go up: a
 * report at a step not above its last one is not taken (the engine drops those already; a
 * journal replayed or a caller of mmarml_pruner_report() may not have).
 * bench/pruning's `learned` variant measures it (bench/README.md, "A pruner that learns the
 * curves' shares from the configs").
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmarml.h"

#include "arrays.h"

#define TAIL 3              /* reports whose mean is a job's final value */
#define NOISE_TAIL 10       /* last reports whose second differences measure the noise */
#define MAX_QUADRATIC_DIMS 8 /* more params: linear fits only (the model's size) */
#define RIDGE 1e-3          /* keeps the normal matrix invertible when configs line up */

typedef struct {
    double *pairs; /* step, value */
    size_t n, cap;
    double *x; /* the config in the unit cube; NULL: unknown, the job is not judged */
} series;

typedef struct {
    size_t job; /* index into ended */
    double value;
} step_value;

typedef struct {
    double step;    /* first: pruner_step_item() reads it */
    step_value *at; /* the ended jobs that reported at this step */
    size_t n, cap;
    /* the normal equations' sums over `at`, kept as jobs end so that a refit does not sum
     * the products of every ended job's features again: features x features, and features
     * times share, for the most features a fit can have (a linear fit's come first) */
    double *sum_pp, *sum_ps;
    int k;        /* features of the fit; 0: too few jobs here */
    double *coef; /* k */
    double *inv;  /* k x k: the normal matrix's inverse */
    double share_var;
    double bar; /* the best ended job's final value, estimated from its reports up to this
                 * step: what a running job's estimate here is held to */
} step_fit;

typedef struct {
    series reports; /* its reports and config, kept: the bar is re-estimated at each refit */
    double final;   /* the mean of its last TAIL reports */
} ended_job;

typedef struct {
    uint64_t n_startup;
    double z;
    size_t dims; /* params of the space, from the first config seen; 0: none yet */
    json_t *running; /* job name -> index into jobs */
    series *jobs;    /* slots; not reused */
    size_t njobs, capjobs;
    ended_job *ended;
    size_t nended, capended;
    step_fit *steps; /* ascending by step */
    size_t nsteps, capsteps;
    double noise_sum; /* squared second differences, and how many */
    size_t noise_n;
    size_t most; /* the most features a fit can have: 1 + 2 dims (quadratic), 1 + dims past
                  * MAX_QUADRATIC_DIMS; what the sums, fits and scratch are sized for */
    double *a, *b, *phi; /* scratch for the fits */
    int dirty;  /* an ok job ended since the fits were made */
} learned;

static const char *const me = "LearnedCurvePruner";

static step_fit *find_step(learned *l, double step, int create)
{
    return pruner_step_item((void **)&l->steps, &l->nsteps, &l->capsteps, sizeof(*l->steps),
                            step, create, NULL);
}

/* 1, x_i, and x_i^2 when k says so. */
static void features(const learned *l, const double *x, int k, double *phi)
{
    size_t i;

    phi[0] = 1;
    for (i = 0; i < l->dims; i++) {
        phi[1 + i] = x[i];
        if ((size_t)k > 1 + l->dims)
            phi[1 + l->dims + i] = x[i] * x[i];
    }
}

/* Gauss-Jordan with partial pivoting: a (k x k, spent) inverted into inv. -1 if singular. */
static int invert(double *a, double *inv, int k)
{
    int i, j, c;

    for (i = 0; i < k; i++)
        for (j = 0; j < k; j++)
            inv[i * k + j] = i == j;
    for (c = 0; c < k; c++) {
        int pivot = c;
        double d;

        for (i = c + 1; i < k; i++)
            if (fabs(a[i * k + c]) > fabs(a[pivot * k + c]))
                pivot = i;
        if (fabs(a[pivot * k + c]) < 1e-12)
            return -1;
        for (j = 0; j < k; j++) {
            double t = a[c * k + j];
            a[c * k + j] = a[pivot * k + j], a[pivot * k + j] = t;
            t = inv[c * k + j];
            inv[c * k + j] = inv[pivot * k + j], inv[pivot * k + j] = t;
        }
        d = a[c * k + c];
        for (j = 0; j < k; j++)
            a[c * k + j] /= d, inv[c * k + j] /= d;
        for (i = 0; i < k; i++) {
            double f = a[i * k + c];
            if (i == c || f == 0)
                continue;
            for (j = 0; j < k; j++)
                a[i * k + j] -= f * a[c * k + j], inv[i * k + j] -= f * inv[c * k + j];
        }
    }
    return 0;
}

/* The share's fit at one step, over the ended jobs that reported there. */
static int fit_step(learned *l, step_fit *s)
{
    double *a = l->a, *b = l->b, *phi = l->phi;
    size_t linear = 1 + l->dims, j;
    int k, i, c;
    double residuals = 0;

    s->k = 0;
    if (l->most > linear && s->n >= l->most + 3)
        k = (int)l->most; /* quadratic */
    else if (s->n >= linear + 1)
        k = (int)linear;
    else
        return 0; /* too few jobs here: the step is not judged */
    for (i = 0; i < k; i++) {
        for (c = 0; c < k; c++)
            a[i * k + c] = s->sum_pp[(size_t)i * l->most + (size_t)c];
        a[i * k + i] += RIDGE;
        b[i] = s->sum_ps[i];
    }
    if (s->coef == NULL) /* once, for the most features a fit can have */
        s->coef = malloc(l->most * sizeof(*s->coef));
    if (s->inv == NULL)
        s->inv = malloc(l->most * l->most * sizeof(*s->inv));
    if (s->coef == NULL || s->inv == NULL)
        return -1;
    if (invert(a, s->inv, k) != 0)
        return 0; /* degenerate configs: the step is not judged */
    for (i = 0; i < k; i++) {
        s->coef[i] = 0;
        for (c = 0; c < k; c++)
            s->coef[i] += s->inv[i * k + c] * b[c];
    }
    for (j = 0; j < s->n; j++) {
        const ended_job *e = &l->ended[s->at[j].job];
        double e_share, pred = 0;

        features(l, e->reports.x, k, phi);
        for (i = 0; i < k; i++)
            pred += s->coef[i] * phi[i];
        e_share = s->at[j].value / e->final - pred;
        residuals += e_share * e_share;
    }
    s->share_var = residuals / (double)(s->n - (size_t)k);
    s->k = k;
    return 0;
}

static double predict(const learned *l, const step_fit *s, const double *x)
{
    double *phi = l->phi;
    double share = 0;
    int i;

    features(l, x, s->k, phi);
    for (i = 0; i < s->k; i++)
        share += s->coef[i] * phi[i];
    return share;
}

/* Report `i` of job `j` into an estimate's least-squares sums, through the share predicted
 * for its config at that step. @return the step's fit, or NULL where the step has none. */
static const step_fit *add_report(learned *l, const series *j, size_t i, double *num,
                                  double *den)
{
    const step_fit *s = find_step(l, j->pairs[2 * i], 0);
    double share;

    if (s == NULL || s->k == 0)
        return NULL;
    share = predict(l, s, j->x);
    *num += j->pairs[2 * i + 1] * share;
    *den += share * share;
    return s;
}

/* A job's final value from its reports through step `upto`, with the shares predicted for
 * its config; *sum_sq: the sum of the shares squared (the estimate's precision), *last: the
 * fit of the last step used. -INFINITY where no step could be used. */
static double estimate(learned *l, const series *j, double upto, double *sum_sq,
                       const step_fit **last)
{
    double num = 0, den = 0;
    size_t i;

    *last = NULL;
    for (i = 0; i < j->n && j->pairs[2 * i] <= upto; i++) {
        const step_fit *s = add_report(l, j, i, &num, &den);

        if (s != NULL)
            *last = s;
    }
    *sum_sq = den;
    return den > 0 ? num / den : -INFINITY;
}

/* Each step's bar: the final value of `best` (NULL: none) estimated as estimate() would from
 * its reports up to that step, in one pass over both, which are in ascending step order. */
static void bars(learned *l, const series *best)
{
    double num = 0, den = 0;
    size_t i, r = 0;

    for (i = 0; i < l->nsteps; i++) {
        for (; best != NULL && r < best->n && best->pairs[2 * r] <= l->steps[i].step; r++)
            add_report(l, best, r, &num, &den);
        l->steps[i].bar = den > 0 ? num / den : -INFINITY;
    }
}

/* Refit every step, then the bars. The best ended job is the one whose final value,
 * estimated from all its reports, is highest; the bar at a step is that job's final value
 * estimated as a running job's would be there, from its reports up to that step. A running
 * job is so held to what the best ended one looked like at the same point, and a bias the
 * shares have there touches both alike: a job that repeats the best one is never stopped. */
static int refit(learned *l)
{
    const series *best = NULL;
    double best_final = -INFINITY, sum_sq;
    const step_fit *last;
    size_t i;

    for (i = 0; i < l->nsteps; i++)
        if (fit_step(l, &l->steps[i]) != 0)
            return -1; /* still dirty: tried again at the next report */
    for (i = 0; i < l->nended; i++) {
        double f = estimate(l, &l->ended[i].reports, INFINITY, &sum_sq, &last);

        if (f > best_final) {
            best_final = f;
            best = &l->ended[i].reports;
        }
    }
    bars(l, best);
    l->dirty = 0;
    return 0;
}

static series *job_series(learned *l, const char *job)
{
    int created = 0;

    return pruner_job_slot(l->running, (void **)&l->jobs, &l->njobs, &l->capjobs,
                           sizeof(*l->jobs), job, &created);
}

/* The job's config in the unit cube, from the context's `_recommendation`; NULL (not an
 * error) when there is none or its space is not the first one's size. */
static double *config_of(learned *l, mmarml_context *ctx, int *oom)
{
    mmarml_recommendation *rec = NULL;
    mmarml_search_space *space;
    const double *values;
    double *x;
    size_t i, n;

    *oom = 0;
    if (ctx == NULL ||
        mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATION, (void **)&rec) != MMARML_OK ||
        rec == NULL)
        return NULL;
    space = mmarml_recommendation_space(rec);
    n = mmarml_search_space_count(space);
    values = mmarml_recommendation_values(rec);
    if (n == 0 || (l->dims != 0 && n != l->dims))
        return NULL;
    if (l->dims == 0) { /* the first config: the model's size, and the fits' scratch */
        size_t most = n <= MAX_QUADRATIC_DIMS ? 1 + 2 * n : 1 + n;

        l->a = malloc(most * most * sizeof(*l->a));
        l->b = malloc(most * sizeof(*l->b));
        l->phi = malloc(most * sizeof(*l->phi));
        if (l->a == NULL || l->b == NULL || l->phi == NULL) {
            free(l->a), free(l->b), free(l->phi);
            l->a = l->b = l->phi = NULL;
            *oom = 1;
            return NULL;
        }
        l->dims = n;
        l->most = most;
    }
    x = malloc(n * sizeof(double));
    if (x == NULL) {
        *oom = 1;
        return NULL;
    }
    for (i = 0; i < n; i++)
        if (isnan(values[i]) ||
            mmarml_param_to_unit(mmarml_search_space_param(space, i), values[i], &x[i]) !=
                MMARML_OK)
            x[i] = 0.5; /* unset: the middle */
    return x;
}

static int learned_report(int *stop_out, mmarml_pruner *self, const char *job,
                          uint64_t job_number, double step, double value, mmarml_context *ctx,
                          void *ud)
{
    learned *l = ud;
    series *s = job_series(l, job);
    const step_fit *last;
    double final, sum_sq, se, share;
    int oom = 0;

    (void)self, (void)job_number;
    if (s != NULL && s->n > 0 && !(step > s->pairs[2 * (s->n - 1)]))
        return MMARML_OK; /* a curve goes forward: a step again, or back, is not taken */
    if (s == NULL || pruner_grow((void **)&s->pairs, &s->cap, 2 * (s->n + 1), sizeof(double)))
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (s->n == 0 && (s->x = config_of(l, ctx, &oom)) == NULL && oom)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    s->pairs[2 * s->n] = step;
    s->pairs[2 * s->n + 1] = value;
    s->n++;
    if (s->x == NULL || l->nended < l->n_startup || l->nended == 0)
        return MMARML_OK; /* no config, or too few jobs to learn from */
    if (l->dirty && refit(l) != 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    final = estimate(l, s, step, &sum_sq, &last);
    if (last == NULL || last->step != step || !isfinite(last->bar) || l->noise_n == 0)
        return MMARML_OK; /* this step is not judged */
    se = sqrt(l->noise_sum / (double)l->noise_n / 6) / sqrt(sum_sq);
    share = predict(l, last, s->x); /* leaves the config's features in l->phi */
    if (share > 0) {
        double spread = 0, relative;
        int i, c;

        for (i = 0; i < last->k; i++)
            for (c = 0; c < last->k; c++)
                spread += l->phi[i] * last->inv[i * last->k + c] * l->phi[c];
        relative = sqrt(last->share_var * (spread > 0 ? spread : 0)) / share;
        se = sqrt(se * se + final * relative * final * relative);
    }
    if (final + l->z * se < last->bar) {
        mmarml_context_trace(ctx, me, "job %s stopped at step %g: its final value, estimated "
                             "%g (standard error %g), is below the best ended job's, %g, "
                             "estimated at that step", job, step, final, se, last->bar);
        *stop_out = 1;
    }
    return MMARML_OK;
}

/* An ok job's reports become what the model learns from: its final value, its value at each
 * step, its last reports' second differences (the noise). */
static int learn_from(learned *l, series *s)
{
    ended_job *e;
    double final = 0;
    size_t i;

    if (s->x == NULL || s->n < TAIL)
        return 0; /* no config, or too short to have a final value */
    for (i = s->n - TAIL; i < s->n; i++)
        final += s->pairs[2 * i + 1] / TAIL;
    if (!(final > 0))
        return 0; /* not a value that grows to a positive end: not learned from */
    if (pruner_grow((void **)&l->ended, &l->capended, l->nended + 1, sizeof(*l->ended)))
        return -1;
    for (i = 0; i < s->n; i++) { /* room first: a failure leaves no half-learned job */
        step_fit *at = find_step(l, s->pairs[2 * i], 1);

        if (at == NULL || pruner_grow((void **)&at->at, &at->cap, at->n + 1, sizeof(*at->at)))
            return -1;
        if (at->sum_pp == NULL)
            at->sum_pp = calloc(l->most * l->most, sizeof(*at->sum_pp));
        if (at->sum_ps == NULL)
            at->sum_ps = calloc(l->most, sizeof(*at->sum_ps));
        if (at->sum_pp == NULL || at->sum_ps == NULL)
            return -1;
    }
    features(l, s->x, (int)l->most, l->phi);
    for (i = 0; i < s->n; i++) {
        step_fit *at = find_step(l, s->pairs[2 * i], 0);
        double share = s->pairs[2 * i + 1] / final;
        size_t r, c;

        at->at[at->n].job = l->nended;
        at->at[at->n].value = s->pairs[2 * i + 1];
        at->n++;
        for (r = 0; r < l->most; r++) {
            for (c = 0; c < l->most; c++)
                at->sum_pp[r * l->most + c] += l->phi[r] * l->phi[c];
            at->sum_ps[r] += l->phi[r] * share;
        }
    }
    for (i = s->n > NOISE_TAIL ? s->n - NOISE_TAIL : 0; i + 2 < s->n; i++) {
        double d = s->pairs[2 * (i + 2) + 1] - 2 * s->pairs[2 * (i + 1) + 1] + s->pairs[2 * i + 1];

        l->noise_sum += d * d;
        l->noise_n++;
    }
    e = &l->ended[l->nended++];
    e->reports = *s; /* the series moves: its slot is emptied by the caller */
    e->final = final;
    l->dirty = 1;
    return 1;
}

static void learned_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                              int status, void *ud)
{
    learned *l = ud;
    json_t *idx = json_object_get(l->running, job);
    series *s;
    int kept = 0;

    (void)self, (void)job_number;
    if (idx == NULL)
        return;
    s = &l->jobs[json_integer_value(idx)];
    if (status == MMARML_JOB_OK)
        kept = learn_from(l, s); /* out of memory (-1): the job is not learned from */
    if (kept != 1) {
        free(s->pairs);
        free(s->x);
    }
    memset(s, 0, sizeof(*s));
    /* the slot is not reused: indices in `running` stay valid */
    json_object_del(l->running, job);
}

static void learned_destroy(void *ud)
{
    learned *l = ud;
    size_t i;

    for (i = 0; i < l->njobs; i++) {
        free(l->jobs[i].pairs);
        free(l->jobs[i].x);
    }
    for (i = 0; i < l->nended; i++) {
        free(l->ended[i].reports.pairs);
        free(l->ended[i].reports.x);
    }
    for (i = 0; i < l->nsteps; i++) {
        free(l->steps[i].at);
        free(l->steps[i].sum_pp);
        free(l->steps[i].sum_ps);
        free(l->steps[i].coef);
        free(l->steps[i].inv);
    }
    free(l->a);
    free(l->b);
    free(l->phi);
    free(l->jobs);
    free(l->ended);
    free(l->steps);
    json_decref(l->running);
    free(l);
}

int mmarml_pruner_new_learned_curve(mmarml_pruner **out, uint64_t n_startup_trials,
                                    double std_errors)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = learned_report,
        .job_ended = learned_job_ended,
        .destroy = learned_destroy,
    };
    learned *l;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if (!(std_errors >= 0 && std_errors <= 10))
        return mmarml_error_set(MMARML_EINVAL, "%s: std_errors must be in [0, 10]", me);
    l = calloc(1, sizeof(*l));
    if (l == NULL || (l->running = json_object()) == NULL) {
        free(l);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    l->n_startup = n_startup_trials;
    l->z = std_errors;
    rc = mmarml_pruner_new(out, &vt, l);
    if (rc != MMARML_OK)
        learned_destroy(l);
    return rc;
}
