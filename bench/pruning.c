/*
 * Early stopping on a learning-curve workload (bench/README.md, "Pruning"): TPEController
 * (or RandomController) alone, and with ASHAPruner, HyperbandPruner, MedianPruner and
 * MedianPruner with min_rank_correlation 0.8 and MedianPruner counting pruned jobs (both
 * ours only), through the engine and the
 * in-process report API (mmarml_job_report), seeds 0..19. Prints one JSON line per run and
 * one summary line per variant. bench/pruning_optuna.py measures Optuna on the same curves.
 *
 * Two workloads (the same formulas in bench/pruning_optuna.py), x = (a, b, c) in [0, 1]^3,
 * d2 = (a - 0.65)^2 + (b - 0.35)^2, t = 1 .. T = 27 epochs:
 *   partial:     F(x) = 0.9 - d2 - 0.5 max(0, c - 0.7)^2,   k(x) = 0.08 + 0.4 c
 *   adversarial: F(x) = 0.9 - d2 - 0.2 c^2,                 k(x) = 0.2 + 0.2 c
 *   true(x, t) = F(x) (1 - exp(-k(x) t))                   (shape "exp", the default)
 *             or F(x) (1 - (1 + k(x) t)^-2), F(x) (1 - (1 + k(x) t)^-1)
 *                                                          (shapes "power2", "power1")
 *             or -(L(x) + (2.3 - L(x)) exp(-k(x) t)), L(x) = 1 - F(x)
 *                                                          (shape "loss": a loss falling
 *                                                          from 2.3, reported negated)
 *   reported(x, t) = true(x, t) + 0.02 noise(seed, job, t), noise uniform-sum in [-1, 1]
 * c is how fast a config learns. In "partial" the fastest learners (c > 0.7) lead early and
 * end a little worse, so only some curves cross; in "adversarial" every faster learner ends
 * worse, so the early ranking is the opposite of the final one. A job that runs to T scores
 * its last report, noise included, as a real trainer's final validation would; regret =
 * f* - the best true(x, T) among the jobs that ran to the end (f* found numerically).
 * `regret_started` is the same over every job started, pruned ones too: what the sampler
 * found, before the pruner chose among it. `regret_picked` is f* - the true final value of
 * the job that ran to the end with the highest score, the one the search hands its user:
 * it pays for the noise in the scores, which `regret` does not.
 *
 * `clairvoyant` is a bound, not a pruner anyone could have: it knows every job's true final
 * value and, once 5 jobs ended, stops each job after its first epoch unless it will end in
 * the top tenth of the jobs that ended (CLAIRVOYANT_TOP). It shows what the sampler can
 * reach in the budget when the stopping is perfect and nearly free.
 *
 * `oracle` is a tighter bound: it too knows every job's true final value, and stops each job
 * after its first epoch unless that value will be above the best of the jobs that ended
 * less ORACLE_MARGIN (environment, default 0). With 0, a job runs to the end only when it
 * improves on the best found; with a margin m it also lets through every job that ends
 * within m of the best, as a pruner that cannot tell apart final values closer than m
 * would at the least.
 *
 * `known` is a bound that reads reports, as a real pruner does, but knows what no pruner
 * knows: the bench's formula, each job's learning speed k(x) and the noise's spread. Only
 * F(x) it must estimate, by least squares from the job's reports so far. At every report it
 * stops the job when that estimate's final value, raised by KNOWN_Z (environment, default
 * 1) standard errors, is below the best true final value of the jobs that ended. What it
 * spends is what the noise alone costs a pruner that has seen through the crossing. With
 * KNOWN_EI (environment, above 0) it weighs cost instead: it stops the job when the expected
 * improvement of that estimate on the best ended, per epoch the job has left, is below
 * KNOWN_EI (ours only; bench/pruning_optuna.py has the z rule alone).
 *
 * `learned` is LearnedCurvePruner (ours; mmarml/pruner.h), a real pruner, not a bound: from
 * the jobs that ended it learns what share of its final value a job has reached at each
 * step, as a function of the config, estimates each running job's final value from its
 * reports and those shares, and stops it as `known` does (LEARNED_Z standard errors,
 * default 2), against the best ended job's final value estimated the same way, from its
 * reports up to the same step.
 *
 * TELL_SAMPLER (environment) bounds the sampler's side instead. With "true" the controller
 * is told each pruned job's true final value, as if the job had ended; with "estimate" it is
 * told the final value the known bound estimates from the job's reports and the formula's
 * shares. A wrapper hands TPEController (or RandomController) a pruned job's outcome as an ok
 * one with that score; the pruner and the regrets are unchanged. No real search knows either:
 * they show how much of the goal is out of a pruner's reach whatever it feeds the sampler.
 *
 * The power-law shapes are there to check that a pruner's gain is not a result about the
 * exponential formula alone: same F, same k, curves that flatten later. The loss shape has
 * the same optimum and speeds, with values below 0 that do not start at 0, as a loss
 * reported negated; the known bound and TELL_SAMPLER=estimate, which read the formula's
 * shares, are not run on it (ours only: bench/pruning_optuna.py has no loss shape).
 *
 * With EPOCH_CURVE=1 in the environment every variant runs to the unpruned search's epochs
 * (1,620) instead of a third of them, and one line per variant gives the curve,
 * total epochs spent against the best final value found: the median regret after a sixth,
 * a third, a half, two thirds and all of those epochs, and the epochs each seed needed to
 * reach the regret its own unpruned search ended with (`epochs_to_unpruned`, the median
 * over the seeds; null when the median seed never got there), with the count of seeds that
 * got there within a third. With one worker the regret at 540 is the default mode's to the
 * digit: a run with a larger budget proposes the same jobs, in the same order.
 *
 * Usage: bench/pruning [workers] [seeds] [workload] [controller] [shape] [min_resource]
 *        (defaults 1, 20, partial, tpe, exp, 1; the controller: tpe or random; the shape:
 *        exp, power2, power1 or loss;
 *        min_resource: ASHA's and Hyperband's first rung, in epochs, 1..9).
 *        VARIANT=name in the environment runs the unpruned search, whose results are the
 *        targets, and that variant alone.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#include "bench_hash.h"

#define T 27
#define UNPRUNED_TRIALS 60
#define BUDGET (UNPRUNED_TRIALS * T / 3) /* a third of the unpruned search's epochs */
#define MAX_SEEDS 1000
#define MAX_JOBS 1024 /* at the budget each job costs an epoch or more: at most 540 */
#define CLAIRVOYANT_STARTUP 5
#define CLAIRVOYANT_TOP 0.9 /* the quantile of the ended jobs' true final values to reach */
#define CURVE_POINTS 5        /* EPOCH_CURVE: the budgets, in sixths of the unpruned epochs */
static const int curve_sixths[CURVE_POINTS] = {1, 2, 3, 4, 6};

static int adversarial; /* the workload: 0 partial, 1 adversarial */
static int use_random;  /* the controller: 0 TPEController, 1 RandomController */
static int power;       /* the curves' shape: 0 exponential, else (1 + k t)^-power */
static int loss;        /* shape "loss": a loss falling from LOSS_START, reported negated */
#define LOSS_START 2.3
static int min_resource = 1; /* ASHA's and Hyperband's first rung */
static double oracle_margin;  /* ORACLE_MARGIN: final values the oracle does not tell apart */
static double known_z;        /* KNOWN_Z: the known bound's standard errors of benefit of doubt */
static double known_ei;       /* KNOWN_EI: if above 0, the known bound's gain per epoch to go on */
static double learned_z;      /* LEARNED_Z: the learned pruner's benefit of doubt, as known_z */
enum { TELL_NOTHING, TELL_TRUE, TELL_ESTIMATE };
static int tell_sampler; /* TELL_SAMPLER ("true", "estimate"): what a pruned job tells TPE */

static double F(const double *x)
{
    double d2 = (x[0] - 0.65) * (x[0] - 0.65) + (x[1] - 0.35) * (x[1] - 0.35);
    double over = x[2] > 0.7 ? x[2] - 0.7 : 0;

    return adversarial ? 0.9 - d2 - 0.2 * x[2] * x[2] : 0.9 - d2 - 0.5 * over * over;
}

/* How fast a config learns. */
static double speed(const double *x)
{
    return adversarial ? 0.2 + 0.2 * x[2] : 0.08 + 0.4 * x[2];
}

/* The share of F(x) a config has reached after t epochs. */
static double progress(const double *x, double t)
{
    double k = speed(x);

    return 1 - (power ? pow(1 + k * t, -power) : exp(-k * t));
}

static double curve(const double *x, double t)
{
    if (loss) {
        double end = 1 - F(x);
        return -(end + (LOSS_START - end) * exp(-speed(x) * t));
    }
    return F(x) * progress(x, t);
}

/* In [-1, 1]: the mean of three uniforms, centred and scaled. */
static double noise(uint64_t seed, uint64_t job, int t)
{
    uint64_t h = seed * 1000003u + job * 1009u + (uint64_t)t;
    double s = 0;
    int i;

    for (i = 0; i < 3; i++) {
        h = bench_splitmix(h);
        s += bench_unit(h);
    }
    return (s / 3 - 0.5) * 2;
}

static double f_star(void)
{
    double x[3] = {0.65, 0.35, 0}, best = -INFINITY;
    int i;

    for (i = 0; i <= 100000; i++) {
        x[2] = i / 100000.0;
        if (curve(x, T) > best)
            best = curve(x, T);
    }
    return best;
}

typedef struct run_state {
    uint64_t seed;
    long budget; /* epochs, 0: none */
    pthread_mutex_t lock;
    long epochs;
    double best_true;    /* over the jobs that ran to the end */
    double best_started; /* over every job started */
    double best_score;   /* the highest final score of the jobs that ran to the end ... */
    double picked_true;  /* ... and that job's true final value: the job the search picks */
    double finals[MAX_JOBS]; /* true final values of the jobs that ran to the end */
    unsigned ok, pruned;
    uint64_t jobs;
    /* each rise of best_true: the epochs spent when that job ended, and the new best */
    long gain_epochs[MAX_JOBS];
    double gain_best[MAX_JOBS];
    unsigned ngains;
    /* a bound's decision, or NULL: set with the pruner */
    int (*bound_stops)(struct run_state *r, double step, double value);
} run_state;

/* The true final value of the job this thread runs, for the clairvoyant bound: its report
 * callback runs inside mmarml_job_report, on the job's thread. */
static _Thread_local double job_true_final;

/* For the known bound, on the same thread: the job's config and its least-squares sums
 * (reports times progress, progress squared). */
static _Thread_local double job_x[3], job_sum_vp, job_sum_pp;

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    (void)self, (void)ctx, (void)ud;
    if (mmarml_search_space_new(out, "curves") != MMARML_OK ||
        mmarml_search_space_add_float(*out, "a.float.$0:a", "x", 0, 1, 0) != MMARML_OK ||
        mmarml_search_space_add_float(*out, "b.float.$0:b", "x", 0, 1, 0) != MMARML_OK ||
        mmarml_search_space_add_float(*out, "c.float.$0:c", "x", 0, 1, 0) != MMARML_OK)
        return MMARML_ENOMEM;
    return MMARML_OK;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    run_state *r = ud;
    const double *x = mmarml_recommendation_values(rec);
    uint64_t id;
    double reported = 0;
    int t, stop = 0, out_of_budget = 0;

    (void)self;
    pthread_mutex_lock(&r->lock);
    id = r->jobs++;
    if (curve(x, T) > r->best_started)
        r->best_started = curve(x, T);
    pthread_mutex_unlock(&r->lock);
    job_true_final = curve(x, T);
    memcpy(job_x, x, sizeof(job_x));
    job_sum_vp = job_sum_pp = 0;
    for (t = 1; t <= T; t++) {
        pthread_mutex_lock(&r->lock);
        out_of_budget = r->budget > 0 && r->epochs >= r->budget;
        r->epochs += !out_of_budget;
        pthread_mutex_unlock(&r->lock);
        if (out_of_budget) {
            mmarml_context_stop_work(job, "bench", "epoch budget spent");
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
        reported = curve(x, t) + 0.02 * noise(r->seed, id, t);
        mmarml_job_report(job, t, reported, &stop);
        if (stop) {
            pthread_mutex_lock(&r->lock);
            r->pruned++;
            pthread_mutex_unlock(&r->lock);
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
    }
    pthread_mutex_lock(&r->lock);
    if (r->ok < MAX_JOBS)
        r->finals[r->ok] = curve(x, T);
    r->ok++;
    if (reported > r->best_score) {
        r->best_score = reported;
        r->picked_true = curve(x, T);
    }
    if (curve(x, T) > r->best_true) {
        r->best_true = curve(x, T);
        if (r->ngains < MAX_JOBS) {
            r->gain_epochs[r->ngains] = r->epochs;
            r->gain_best[r->ngains++] = r->best_true;
        }
    }
    pthread_mutex_unlock(&r->lock);
    *status = MMARML_JOB_OK;
    *score = reported;
    return MMARML_OK;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The bounds: each says whether the job this thread runs stops at this report. */

static int clairvoyant_stops(run_state *r, double step, double value)
{
    double sorted[MAX_JOBS];
    unsigned n;

    (void)value;
    if (step != 1)
        return 0;
    pthread_mutex_lock(&r->lock);
    n = r->ok < MAX_JOBS ? r->ok : MAX_JOBS;
    memcpy(sorted, r->finals, n * sizeof(double));
    pthread_mutex_unlock(&r->lock);
    if (n < CLAIRVOYANT_STARTUP)
        return 0;
    qsort(sorted, n, sizeof(double), by_value);
    return job_true_final < sorted[(unsigned)(CLAIRVOYANT_TOP * (n - 1) + 0.5)];
}

static double best_ended(run_state *r)
{
    double best;

    pthread_mutex_lock(&r->lock);
    best = r->best_true;
    pthread_mutex_unlock(&r->lock);
    return best;
}

static int oracle_stops(run_state *r, double step, double value)
{
    (void)value;
    return step == 1 && job_true_final <= best_ended(r) - oracle_margin;
}

/* The noise's standard deviation: 0.02 times that of the centred, doubled mean of three
 * uniforms, 2 sqrt(1/36). */
#define NOISE_SD (0.02 / 3)
#define PI 3.14159265358979323846 /* M_PI is not C11 */

/* KNOWN_EI's rule: the expected improvement of the job's final value (`mean`, `sd`: its
 * estimate, taken as normal) on the best ended, per epoch the job has left to train. It weighs
 * what the job may gain against what it costs, where KNOWN_Z asks only whether it may gain. */
static double gain_per_epoch(double mean, double sd, double step, double best)
{
    double u = (mean - best) / sd;

    if (!isfinite(best) || step >= T)
        return INFINITY;
    return sd * (u * 0.5 * erfc(-u / sqrt(2)) + exp(-0.5 * u * u) / sqrt(2 * PI)) /
           (T - step);
}

static int known_stops(run_state *r, double step, double value)
{
    double p = progress(job_x, step), final, final_se;

    job_sum_vp += value * p;
    job_sum_pp += p * p;
    final = job_sum_vp / job_sum_pp * progress(job_x, T);
    final_se = NOISE_SD / sqrt(job_sum_pp) * progress(job_x, T);
    if (known_ei > 0)
        return gain_per_epoch(final, final_se, step, best_ended(r)) < known_ei;
    return final + known_z * final_se < best_ended(r);
}

/* Runs inside mmarml_job_report, on the job's thread (the bounds' thread-locals are its). */
static int bound_report(int *stop_out, mmarml_pruner *self, const char *job,
                        uint64_t job_number, double step, double value, mmarml_context *ctx,
                        void *ud)
{
    run_state *r = ud;

    (void)self, (void)job, (void)job_number, (void)ctx;
    *stop_out = r->bound_stops(r, step, value);
    return MMARML_OK;
}

static int make_pruner(mmarml_pruner **p, const char *variant, run_state *r)
{
    static const mmarml_pruner_vtable bound = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = bound_report,
    };

    *p = NULL;
    r->bound_stops = strcmp(variant, "clairvoyant") == 0 ? clairvoyant_stops
                     : strcmp(variant, "oracle") == 0    ? oracle_stops
                     : strcmp(variant, "known") == 0     ? known_stops
                                                         : NULL;
    if (r->bound_stops != NULL)
        return mmarml_pruner_new(p, &bound, r);
    if (strcmp(variant, "asha") == 0)
        return mmarml_pruner_new_asha(p, min_resource, 3, T);
    if (strcmp(variant, "hyperband") == 0)
        return mmarml_pruner_new_hyperband(p, min_resource, 3, T);
    if (strcmp(variant, "median") == 0)
        return mmarml_pruner_new_median(p, 5, 0, 1);
    if (strcmp(variant, "median_ranked") == 0) /* ours: only steps that rank like the end */
        return mmarml_pruner_new_median_ex(p, 5, 0, 1, 0.8, 0);
    if (strcmp(variant, "median_all") == 0) /* ours: pruned jobs' values in the medians */
        return mmarml_pruner_new_median_ex(p, 5, 0, 1, -1, MMARML_MEDIAN_INCLUDE_PRUNED);
    if (strcmp(variant, "learned") == 0) /* ours: each step's share of the final value */
        return mmarml_pruner_new_learned_curve(p, 5, learned_z);
    return MMARML_OK;
}

/* TELL_SAMPLER: the controller, told a pruned job's final value as if the job had ended.
 * "estimate": the known bound's least-squares estimate from the job's reports. */
static double estimated_final(const double *x, const mmarml_outcome *outcome)
{
    double step, value, num = 0, den = 0;
    size_t i;

    for (i = 0; mmarml_outcome_report(outcome, i, &step, &value) == MMARML_OK; i++) {
        num += value * progress(x, step);
        den += progress(x, step) * progress(x, step);
    }
    return den > 0 ? num / den * progress(x, T) : NAN;
}

static int teller_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                      void *ud)
{
    (void)self;
    return mmarml_controller_set_search_space(ud, space, ctx);
}

static int teller_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                          mmarml_context *ctx, void *ud)
{
    (void)self;
    return mmarml_controller_initial_recommendation(out, ud, ctx);
}

static int teller_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                         const mmarml_outcome *outcome, mmarml_context *ctx, void *ud)
{
    mmarml_recommendation *rec = mmarml_outcome_recommendation(outcome);
    const double *x = mmarml_recommendation_values(rec);
    mmarml_outcome *told;
    double final;
    int rc;

    (void)self;
    if (mmarml_outcome_status(outcome) != MMARML_JOB_PRUNED)
        return mmarml_controller_refine_recommendation(out, ud, outcome, ctx);
    final = tell_sampler == TELL_TRUE ? curve(x, T) : estimated_final(x, outcome);
    if (!isfinite(final))
        return mmarml_controller_refine_recommendation(out, ud, outcome, ctx);
    rc = mmarml_outcome_new(&told, rec, MMARML_JOB_OK, final, mmarml_outcome_job_name(outcome));
    if (rc != MMARML_OK)
        return rc;
    rc = mmarml_controller_refine_recommendation(out, ud, told, ctx);
    mmarml_outcome_unref(told);
    return rc;
}

static void teller_shutdown(mmarml_controller *self, mmarml_context *ctx, void *ud)
{
    (void)self;
    mmarml_controller_shutdown(ud, ctx);
}

static void teller_destroy(void *ud)
{
    mmarml_controller_unref(ud);
}

/* Wrap *ctl in a controller that tells it pruned jobs' final values. On success *ctl is the
 * wrapper, which holds the reference to the inner controller; on failure *ctl is unchanged. */
static int tell_finals(mmarml_controller **ctl)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = teller_set,
        .initial_recommendation = teller_initial,
        .refine_recommendation = teller_refine,
        .shutdown = teller_shutdown,
        .destroy = teller_destroy,
    };
    mmarml_controller *wrapper;

    if (mmarml_controller_new(&wrapper, &vt, *ctl) != MMARML_OK)
        return -1;
    *ctl = wrapper; /* it owns the reference to the inner controller */
    return 0;
}

/* One search; what it spent and found is left in *r. */
static void run(run_state *r, const char *variant, const char *workers, uint64_t seed,
                long budget, uint64_t max_trials)
{
    static const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine,
        .execute = execute,
    };
    mmarml_engine_options o;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *p = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;

    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->seed = seed;
    r->budget = budget;
    r->best_true = -INFINITY;
    r->best_started = -INFINITY;
    r->best_score = r->picked_true = -INFINITY;
    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    o.workers = workers;
    if ((use_random ? mmarml_controller_new_random(&ctl, max_trials, seed)
                    : mmarml_controller_new_tpe(&ctl, max_trials, seed, 10)) != MMARML_OK ||
        (tell_sampler != TELL_NOTHING && tell_finals(&ctl) != 0) ||
        mmarml_executor_new(&exe, &evt, r) != MMARML_OK || make_pruner(&p, variant, r) ||
        mmarml_engine_new(&e, ctl, exe, &o) != MMARML_OK ||
        (p != NULL && mmarml_engine_set_pruner(e, p, MMARML_PRUNED_SCORE_BEST)) ||
        mmarml_context_new(&ctx, NULL) != MMARML_OK || mmarml_engine_run(e, ctx) != MMARML_OK) {
        fprintf(stderr, "pruning: %s\n", mmarml_error_message());
        exit(1);
    }
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_pruner_unref(p);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    pthread_mutex_destroy(&r->lock);
}

/* The best true final value found within `epochs`: of the jobs that had ended by then. */
static double best_within(const run_state *r, long epochs)
{
    double best = -INFINITY;
    unsigned i;

    for (i = 0; i < r->ngains && r->gain_epochs[i] <= epochs; i++)
        best = r->gain_best[i];
    return best;
}

/* The epochs spent when the best true final value first reached `target`, -1 never. */
static long epochs_to_reach(const run_state *r, double target)
{
    unsigned i;

    for (i = 0; i < r->ngains; i++)
        if (r->gain_best[i] >= target)
            return r->gain_epochs[i];
    return -1;
}

/* A JSON number, or null where the median seed found nothing (regret) or never got there. */
static void print_number(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        printf("null");
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    static const char *const variants[] = {"none",          "none",       "asha",
                                           "hyperband",     "median",     "median_ranked",
                                           "median_all",    "clairvoyant", "oracle",
                                           "known",         "learned"};
    enum { NVARIANTS = sizeof(variants) / sizeof(variants[0]) };
    int nworkers = argc > 1 ? atoi(argv[1]) : 1, seeds = argc > 2 ? atoi(argv[2]) : 20;
    const char *workload = argc > 3 ? argv[3] : "partial";
    const char *controller = argc > 4 ? argv[4] : "tpe";
    const char *shape = argc > 5 ? argv[5] : "exp";
    char workers[64] = "";
    double fs, regret[MAX_SEEDS], started[MAX_SEEDS], picked[MAX_SEEDS], epochs[MAX_SEEDS];
    /* EPOCH_CURVE: each seed's unpruned final best, the regret at each budget, the epochs
     * to reach the former (INFINITY: never) */
    double target[MAX_SEEDS], at[CURVE_POINTS][MAX_SEEDS], to_target[MAX_SEEDS];
    static run_state r;
    const char *only; /* VARIANT */
    const char *tell; /* TELL_SAMPLER */
    int only_v;       /* its index in variants */
    int epoch_curve = getenv("EPOCH_CURVE") != NULL && strcmp(getenv("EPOCH_CURVE"), "1") == 0;
    int v, s, i;

    adversarial = strcmp(workload, "adversarial") == 0;
    power = strcmp(shape, "power2") == 0 ? 2 : strcmp(shape, "power1") == 0 ? 1 : 0;
    loss = strcmp(shape, "loss") == 0;
    fs = f_star(); /* after the workload and the shape are known: each has its own optimum */
    use_random = strcmp(controller, "random") == 0;
    min_resource = argc > 6 ? atoi(argv[6]) : 1;
    oracle_margin = getenv("ORACLE_MARGIN") != NULL ? atof(getenv("ORACLE_MARGIN")) : 0;
    known_z = getenv("KNOWN_Z") != NULL ? atof(getenv("KNOWN_Z")) : 1;
    known_ei = getenv("KNOWN_EI") != NULL ? atof(getenv("KNOWN_EI")) : 0;
    learned_z = getenv("LEARNED_Z") != NULL ? atof(getenv("LEARNED_Z")) : 2;
    tell = getenv("TELL_SAMPLER");
    tell_sampler = tell == NULL                   ? TELL_NOTHING
                   : strcmp(tell, "true") == 0     ? TELL_TRUE
                   : strcmp(tell, "estimate") == 0 ? TELL_ESTIMATE
                                                   : -1;
    only = getenv("VARIANT");
    for (only_v = 1; only != NULL && only_v < NVARIANTS && strcmp(only, variants[only_v]); only_v++)
        ;
    if (!(oracle_margin >= 0 && oracle_margin <= 1) || !(known_z >= -5 && known_z <= 5) ||
        !(known_ei >= 0 && known_ei <= 1) ||
        !(learned_z >= 0 && learned_z <= 10) || tell_sampler < 0 ||
        (only != NULL && only_v == NVARIANTS) ||
        min_resource < 1 || min_resource > 9 ||
        nworkers < 1 || nworkers > 16 || seeds < 1 || seeds > MAX_SEEDS ||
        (!adversarial && strcmp(workload, "partial") != 0) ||
        (!use_random && strcmp(controller, "tpe") != 0) ||
        (!power && !loss && strcmp(shape, "exp") != 0) ||
        (loss && tell_sampler == TELL_ESTIMATE)) {
        fprintf(stderr, "usage: pruning [workers 1..16] [seeds 1..1000] [partial|adversarial] "
                        "[tpe|random] [exp|power2|power1|loss] [min_resource 1..9] "
                        "(ORACLE_MARGIN 0..1, KNOWN_Z -5..5, KNOWN_EI 0..1, LEARNED_Z 0..10, "
                        "TELL_SAMPLER true|estimate, VARIANT one of the variants)\n");
        return 2;
    }
    for (i = 0; i < nworkers; i++) /* workers without GPUs: "-:-:-:-" */
        strcat(workers, i ? ":-" : "-");
    for (v = 0; v < NVARIANTS; v++) {
        /* "none" twice: the whole unpruned search (60 trials), then at the pruned budget */
        long budget = v == 0 ? 0 : epoch_curve ? UNPRUNED_TRIALS * T : BUDGET;
        uint64_t trials = v == 0 ? UNPRUNED_TRIALS : 100000;
        const char *name = v == 0 ? "unpruned" : v == 1 ? "unpruned_at_budget" : variants[v];
        int within_third = 0;

        if (only != NULL && v > 0 && v != only_v)
            continue; /* VARIANT: the unpruned search, for the targets, and that variant */
        if (loss && strcmp(variants[v], "known") == 0)
            continue; /* it reads the formula's shares, which a loss does not have */
        for (s = 0; s < seeds; s++) {
            run(&r, variants[v], workers, (uint64_t)s, budget, trials);
            regret[s] = fs - r.best_true;
            started[s] = fs - r.best_started;
            picked[s] = fs - r.picked_true;
            epochs[s] = (double)r.epochs;
            if (v == 0)
                target[s] = r.best_true;
            for (i = 0; i < CURVE_POINTS; i++)
                at[i][s] = fs - best_within(&r, UNPRUNED_TRIALS * T * curve_sixths[i] / 6);
            to_target[s] = epochs_to_reach(&r, target[s]) < 0
                               ? INFINITY : (double)epochs_to_reach(&r, target[s]);
            within_third += to_target[s] <= BUDGET;
            printf("{\"workload\": \"%s\", \"shape\": \"%s\", \"controller\": \"%s\", "
                   "\"variant\": \"%s\", \"workers\": %d, \"seed\": %d, \"epochs\": %ld, "
                   "\"pruned\": %u, \"regret\": %.6g, \"regret_started\": %.6g, "
                   "\"regret_picked\": %.6g}\n",
                   workload, shape, controller, name, nworkers, s, r.epochs, r.pruned,
                   regret[s], started[s], picked[s]);
        }
        if (epoch_curve) {
            double to = median(to_target, seeds);
            printf("{\"workload\": \"%s\", \"shape\": \"%s\", \"controller\": \"%s\", "
                   "\"curve\": \"%s\", \"workers\": %d, \"seeds\": %d, \"min_resource\": %d, "
                   "\"median_regret_at\": {", workload, shape, controller, name, nworkers,
                   seeds, min_resource);
            for (i = 0; i < CURVE_POINTS; i++) {
                printf("%s\"%d\": ", i ? ", " : "", UNPRUNED_TRIALS * T * curve_sixths[i] / 6);
                print_number(median(at[i], seeds));
            }
            printf("}, \"epochs_to_unpruned\": ");
            print_number(to);
            printf(", \"seeds_within_third\": %d}\n", within_third);
        }
        printf("{\"workload\": \"%s\", \"shape\": \"%s\", \"controller\": \"%s\", "
               "\"summary\": \"%s\", \"workers\": %d, \"seeds\": %d, \"min_resource\": %d, "
               "\"f_star\": %.6f, \"median_epochs\": %g, \"median_regret\": %.6g, "
               "\"median_regret_started\": %.6g, \"median_regret_picked\": %.6g}\n", workload,
               shape, controller, name, nworkers, seeds, min_resource, fs,
               median(epochs, seeds), median(regret, seeds), median(started, seeds),
               median(picked, seeds));
        fflush(stdout);
    }
    return 0;
}
