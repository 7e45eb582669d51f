/*
 * custom_pruner: a pruner of your own that decides by the jobs' params. It compares a job
 * with the job nearest to it in the search space that ran to the end: configs close
 * together learn at about the same speed, so the gap between the two curves at a step says
 * more about where the job will end than a gap to the median of all jobs does (curves of
 * configs that learn at different speeds cross). It predicts the job's final value as its
 * neighbour's plus that gap, and stops the job when the prediction is clearly below the
 * best job that ended. Measured against the bundled pruners in bench/README.md ("A pruner
 * that compares a job with its neighbour").
 *
 * The objective: learning curves over x = (a, b, c) in the unit cube, the partial
 * workload of bench/pruning.c; TPEController proposes, one worker, 540 epochs for each
 * search. The example runs 11 seeds with and without the pruner and exits 0 when the
 * pruned searches found the better configs (median over the seeds).
 *
 * Build: cc custom_pruner.c $(pkg-config --cflags --libs libmmarml) -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#define EPOCHS 27
#define BUDGET 540 /* epochs per search */
#define MAX_JOBS 1024 /* more than BUDGET epochs can start: each job costs one or more */
#define SEEDS 11
#define RADIUS 0.4  /* neighbours farther than this are not compared */
#define MARGIN 0.02 /* how far below the best a prediction must be to stop a job */

/* ---- the pruner ---- */
typedef struct {
    double x[3];
    double value[EPOCHS + 1]; /* by step */
    int last_step;
    int ended_ok;
} job_curve;

typedef struct {
    job_curve jobs[MAX_JOBS]; /* by job number */
    double best;              /* the best ended job's final value */
} neighbour_pruner;

/* The mean of a curve's values over the `width` steps up to `step`. */
static double mean_up_to(const job_curve *j, int step, int width)
{
    double sum = 0;
    int s, n = 0;

    for (s = step - width + 1; s <= step; s++)
        if (s >= 1 && s <= j->last_step) {
            sum += j->value[s];
            n++;
        }
    return n > 0 ? sum / n : NAN;
}

static int neighbour_report(int *stop_out, mmarml_pruner *self, const char *job,
                            uint64_t job_number, double step, double value,
                            mmarml_context *ctx, void *ud)
{
    neighbour_pruner *p = ud;
    job_curve *j = &p->jobs[job_number % MAX_JOBS];
    const job_curve *nearest = NULL;
    mmarml_recommendation *rec = NULL;
    double nearest_d2 = RADIUS * RADIUS;
    int s = (int)step, i, k;

    (void)self, (void)job;
    if (s < 1 || s > EPOCHS)
        return MMARML_OK;
    /* the job's params: its context holds them, also while a resume replays the journal */
    if (mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATION, (void **)&rec) != MMARML_OK)
        return MMARML_ENOTFOUND; /* logged as the pruner's exception; the job goes on */
    memcpy(j->x, mmarml_recommendation_values(rec), sizeof(j->x));
    j->value[s] = value;
    j->last_step = s;
    if (s < 2 || isinf(p->best))
        return MMARML_OK;
    for (i = 0; i < MAX_JOBS; i++) {
        double d2 = 0;
        if (!p->jobs[i].ended_ok)
            continue;
        for (k = 0; k < 3; k++) /* the unit cube: in another space, scale by each range */
            d2 += (p->jobs[i].x[k] - j->x[k]) * (p->jobs[i].x[k] - j->x[k]);
        if (d2 < nearest_d2) {
            nearest_d2 = d2;
            nearest = &p->jobs[i];
        }
    }
    if (nearest != NULL) {
        double predicted = mean_up_to(nearest, EPOCHS, 3) + mean_up_to(j, s, 2) -
                           mean_up_to(nearest, s, 2);
        *stop_out = predicted < p->best - MARGIN;
    }
    return MMARML_OK;
}

static void neighbour_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                                int status, void *ud)
{
    neighbour_pruner *p = ud;
    job_curve *j = &p->jobs[job_number % MAX_JOBS];

    (void)self, (void)job;
    if (status != MMARML_JOB_OK || j->last_step != EPOCHS)
        return;
    j->ended_ok = 1;
    if (isinf(p->best) || mean_up_to(j, EPOCHS, 3) > p->best)
        p->best = mean_up_to(j, EPOCHS, 3);
}

/* ---- the objective: an in-process trainer with learning curves ---- */
typedef struct {
    long epochs;      /* spent so far */
    double best_true; /* the best true final value of the jobs that ran to the end */
    uint64_t seed, jobs;
} search;

static double final_value(const double *x)
{
    double d2 = (x[0] - 0.65) * (x[0] - 0.65) + (x[1] - 0.35) * (x[1] - 0.35);
    double over = x[2] > 0.7 ? x[2] - 0.7 : 0;

    return 0.9 - d2 - 0.5 * over * over;
}

/* c is how fast a config learns; the fastest (c > 0.7) end a little worse */
static double curve(const double *x, int t)
{
    return final_value(x) * (1 - exp(-(0.08 + 0.4 * x[2]) * t));
}

static double noise(uint64_t seed, uint64_t job, int t)
{
    uint64_t z = seed * 1000003u + job * 1009u + (uint64_t)t + 0x9e3779b97f4a7c15ull;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return 0.02 * ((double)(z >> 11) / 9007199254740992.0 - 0.5); /* within +-0.01 */
}

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    int rc;

    (void)self, (void)ctx, (void)ud;
    if ((rc = mmarml_search_space_new(out, "curves")) == MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "a.float.$0:a", "x", 0, 1, 0)) == MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "b.float.$0:b", "x", 0, 1, 0)) == MMARML_OK)
        rc = mmarml_search_space_add_float(*out, "c.float.$0:c", "x", 0, 1, 0);
    return rc;
}

static int train(int *status, double *score, mmarml_executor *self,
                 const mmarml_recommendation *rec, mmarml_context *job_ctx, void *ud)
{
    search *run = ud;
    const double *x = mmarml_recommendation_values(rec);
    uint64_t id = run->jobs++;
    double value = 0;
    int t, stop = 0;

    (void)self;
    for (t = 1; t <= EPOCHS; t++) {
        if (run->epochs >= BUDGET) { /* the search's GPU time is spent */
            mmarml_context_stop_work(job_ctx, "custom_pruner", "epoch budget spent");
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
        run->epochs++;
        value = curve(x, t) + noise(run->seed, id, t);
        mmarml_job_report(job_ctx, t, value, &stop);
        if (stop) { /* the pruner said so: leave, the engine records the job as pruned */
            *status = MMARML_JOB_ABORTED;
            return MMARML_OK;
        }
    }
    if (curve(x, EPOCHS) > run->best_true)
        run->best_true = curve(x, EPOCHS);
    *status = MMARML_JOB_OK;
    *score = value;
    return MMARML_OK;
}

/* One search of BUDGET epochs; the true final value of the best job that ran to the end. */
static double best_of_search(uint64_t seed, int with_pruner)
{
    static const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine,
        .execute = train,
    };
    static const mmarml_pruner_vtable pvt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = neighbour_report,
        .job_ended = neighbour_job_ended,
    };
    static neighbour_pruner state;
    search run = {0, -INFINITY, seed, 0};
    mmarml_engine_options o = MMARML_ENGINE_OPTIONS_INIT;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *pruner = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    int rc;

    memset(&state, 0, sizeof(state));
    state.best = -INFINITY;
    o.workers = "-"; /* one worker, no GPU */
    if ((rc = mmarml_controller_new_tpe(&ctl, 100000, seed, 10)) != MMARML_OK ||
        (rc = mmarml_executor_new(&exe, &evt, &run)) != MMARML_OK ||
        (rc = mmarml_engine_new(&e, ctl, exe, &o)) != MMARML_OK ||
        (with_pruner &&
         ((rc = mmarml_pruner_new(&pruner, &pvt, &state)) != MMARML_OK ||
          (rc = mmarml_engine_set_pruner(e, pruner, MMARML_PRUNED_SCORE_BEST)) != MMARML_OK)) ||
        (rc = mmarml_context_new(&ctx, NULL)) != MMARML_OK ||
        (rc = mmarml_engine_run(e, ctx)) != MMARML_OK) {
        fprintf(stderr, "custom_pruner: %s\n", mmarml_error_message());
        exit(1);
    }
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_pruner_unref(pruner);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    return run.best_true;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(void)
{
    double plain[SEEDS], pruned[SEEDS];
    int s;

    for (s = 0; s < SEEDS; s++) {
        plain[s] = best_of_search((uint64_t)s, 0);
        pruned[s] = best_of_search((uint64_t)s, 1);
    }
    qsort(plain, SEEDS, sizeof(double), by_value);
    qsort(pruned, SEEDS, sizeof(double), by_value);
    printf("best final value after %d epochs, median of %d seeds: %.4f without a pruner, "
           "%.4f with the neighbour pruner (the optimum: 0.8999)\n", BUDGET, SEEDS,
           plain[SEEDS / 2], pruned[SEEDS / 2]);
    return pruned[SEEDS / 2] > plain[SEEDS / 2] ? 0 : 1;
}
