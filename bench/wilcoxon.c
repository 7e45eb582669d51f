/*
 * WilcoxonPruner on a workload of values per instance (bench/README.md, "Values per
 * instance"): a config is scored by its mean over N_INSTANCES problem instances, evaluated
 * one at a time, as a cross-validation or a benchmark over validation cases is. Through the
 * engine and the in-process report API (mmarml_job_report), one worker, seeds 0..19.
 *
 * The workload, x = (a, b) in [0, 1]^2, instance i = 0 .. N_INSTANCES - 1:
 *   F(x)    = 0.9 - (a - 0.65)^2 - (b - 0.35)^2       the config's quality
 *   v(x, i) = F(x) - 0.4 h_i + 0.1 e(x, i)             what instance i scores
 * h_i in [0, 1] is the instance's difficulty (drawn once per seed: easy and hard instances,
 * the same for every config), e(x, i) in [-1, 1] the config's luck on it (drawn per job and
 * instance). The instances are evaluated in one order per seed, the same for every job (a
 * job's step is the position in that order: docs/early-stopping.md). A job that evaluates
 * every instance scores its mean. regret = F* - F(x) of the best config evaluated on every
 * instance; regret_picked = F* - F(x) of the one the search hands its user, the complete
 * job with the highest mean.
 *
 * Variants: `none` (no pruner), `wilcoxon` (p_threshold 0.1, Optuna's default), `wilcoxon_05`
 * and `wilcoxon_20` (0.05, 0.2), and `median_of_means`: MedianPruner (5 start-up jobs) on
 * the running mean of the values so far, what Optuna's documentation says other pruners
 * need in this setting. Each is run twice: for UNPRUNED_TRIALS jobs (what the pruner saves)
 * and for as many evaluations as those jobs cost without a pruner (what it buys).
 *
 * Usage: bench/wilcoxon [seeds] [controller]   (defaults 20, random; controller: random or
 * tpe). One JSON line per variant and budget, medians over the seeds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#include "bench_hash.h"

#define N_INSTANCES 40
#define UNPRUNED_TRIALS 60
#define EVALUATIONS (UNPRUNED_TRIALS * N_INSTANCES)
#define MAX_SEEDS 200
#define F_STAR 0.9

static int use_tpe;

typedef struct {
    uint64_t seed;
    long budget; /* evaluations; 0: none */
    int running_mean; /* report the running mean instead of the instance's value */
    double difficulty[N_INSTANCES];
    int order[N_INSTANCES];
    long evaluations;
    uint64_t jobs;
    unsigned ok, pruned;
    double best_true, best_mean, picked_true;
} run_state;

static double quality(const double *x)
{
    return F_STAR - (x[0] - 0.65) * (x[0] - 0.65) - (x[1] - 0.35) * (x[1] - 0.35);
}

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    (void)self, (void)ctx, (void)ud;
    if (mmarml_search_space_new(out, "instances") != MMARML_OK ||
        mmarml_search_space_add_float(*out, "a.float.$0:a", "x", 0, 1, 0) != MMARML_OK ||
        mmarml_search_space_add_float(*out, "b.float.$0:b", "x", 0, 1, 0) != MMARML_OK)
        return MMARML_ENOMEM;
    return MMARML_OK;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    run_state *r = ud;
    const double *x = mmarml_recommendation_values(rec);
    uint64_t id = r->jobs++;
    double sum = 0;
    int k, stop = 0;

    (void)self;
    for (k = 0; k < N_INSTANCES; k++) {
        int i = r->order[k];
        double luck = 2 * bench_unit(r->seed * 7919u + id * 131u + (uint64_t)i) - 1;
        double v = quality(x) - 0.4 * r->difficulty[i] + 0.1 * luck;

        if (r->budget > 0 && r->evaluations >= r->budget) {
            mmarml_context_stop_work(job, "bench", "evaluation budget spent");
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
        r->evaluations++;
        sum += v;
        mmarml_job_report(job, k, r->running_mean ? sum / (k + 1) : v, &stop);
        if (stop) {
            r->pruned++;
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
    }
    r->ok++;
    if (quality(x) > r->best_true)
        r->best_true = quality(x);
    if (sum / N_INSTANCES > r->best_mean) {
        r->best_mean = sum / N_INSTANCES;
        r->picked_true = quality(x);
    }
    *status = MMARML_JOB_OK;
    *score = sum / N_INSTANCES;
    return MMARML_OK;
}

static int make_pruner(mmarml_pruner **p, const char *variant)
{
    *p = NULL;
    if (strcmp(variant, "none") == 0)
        return 0;
    if (strcmp(variant, "median_of_means") == 0)
        return mmarml_pruner_new_median(p, 5, 0, 1) != MMARML_OK;
    return mmarml_pruner_new_wilcoxon(p, strcmp(variant, "wilcoxon_05") == 0   ? 0.05
                                         : strcmp(variant, "wilcoxon_20") == 0 ? 0.2
                                                                               : 0.1,
                                      2) != MMARML_OK;
}

static void run(run_state *r, const char *variant, uint64_t seed, long budget)
{
    static const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine,
        .execute = execute,
    };
    uint64_t trials = budget > 0 ? EVALUATIONS : UNPRUNED_TRIALS;
    mmarml_engine_options o;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *p = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    int i;

    memset(r, 0, sizeof(*r));
    r->seed = seed;
    r->budget = budget;
    r->running_mean = strcmp(variant, "median_of_means") == 0;
    r->best_true = r->best_mean = r->picked_true = -INFINITY;
    for (i = 0; i < N_INSTANCES; i++) {
        int j = (int)(bench_unit(seed * 104729u + 17u * (uint64_t)i) * (i + 1)); /* Fisher-Yates */

        r->difficulty[i] = bench_unit(seed * 15485863u + (uint64_t)i);
        r->order[i] = r->order[j];
        r->order[j] = i;
    }
    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    o.workers = "-";
    if ((use_tpe ? mmarml_controller_new_tpe(&ctl, trials, seed, 10)
                 : mmarml_controller_new_random(&ctl, trials, seed)) != MMARML_OK ||
        mmarml_executor_new(&exe, &evt, r) != MMARML_OK || make_pruner(&p, variant) ||
        mmarml_engine_new(&e, ctl, exe, &o) != MMARML_OK ||
        (p != NULL && mmarml_engine_set_pruner(e, p, MMARML_PRUNED_SCORE_MEAN)) ||
        mmarml_context_new(&ctx, NULL) != MMARML_OK || mmarml_engine_run(e, ctx) != MMARML_OK) {
        fprintf(stderr, "wilcoxon: %s\n", mmarml_error_message());
        exit(1);
    }
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_pruner_unref(p);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    static const char *const variants[] = {"none", "wilcoxon", "wilcoxon_05", "wilcoxon_20",
                                           "median_of_means"};
    static double evals[MAX_SEEDS], regret[MAX_SEEDS], picked[MAX_SEEDS], pruned[MAX_SEEDS],
        jobs[MAX_SEEDS];
    int seeds = argc > 1 ? atoi(argv[1]) : 20, v, budgeted, s;

    use_tpe = argc > 2 && strcmp(argv[2], "tpe") == 0;
    if (seeds < 1 || seeds > MAX_SEEDS) {
        fprintf(stderr, "usage: wilcoxon [seeds 1..%d] [random|tpe]\n", MAX_SEEDS);
        return 2;
    }
    for (budgeted = 0; budgeted < 2; budgeted++)
        for (v = 0; v < (int)(sizeof(variants) / sizeof(*variants)); v++) {
            if (budgeted && v == 0)
                continue; /* without a pruner both budgets are the same run */
            for (s = 0; s < seeds; s++) {
                run_state r;

                run(&r, variants[v], (uint64_t)s, budgeted ? EVALUATIONS : 0);
                evals[s] = (double)r.evaluations;
                regret[s] = F_STAR - r.best_true;
                picked[s] = F_STAR - r.picked_true;
                pruned[s] = r.pruned;
                jobs[s] = (double)r.jobs;
            }
            printf("{\"bench\": \"wilcoxon\", \"controller\": \"%s\", \"variant\": \"%s\", "
                   "\"budget\": \"%s\", \"seeds\": %d, \"evaluations\": %g, \"jobs\": %g, "
                   "\"pruned\": %g, \"regret\": %.3g, \"regret_picked\": %.3g}\n",
                   use_tpe ? "tpe" : "random", variants[v],
                   budgeted ? "equal_evaluations" : "60_jobs", seeds, median(evals, seeds),
                   median(jobs, seeds), median(pruned, seeds), median(regret, seeds),
                   median(picked, seeds));
            fflush(stdout);
        }
    return 0;
}
