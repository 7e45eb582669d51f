/*
 * controllers: sample efficiency and suggestion cost of the bundled controllers, on the
 * workloads of ../shared/bench/optuna/optuna_anchor.py (same functions, bounds and f*).
 *
 * 1. Branin (2-D), Hartmann6 (6-D), Rosenbrock (10-D), Levy (10-D), all params continuous,
 *    through the engine with an in-process executor (one worker, score = -f). For the
 *    controllers random and tpe and seeds 0..19, one 100-job run each; the regret at
 *    budget b is the best f among the first b jobs minus f*. Median, Q1, Q3 over seeds
 *    (linear interpolation, as numpy.percentile).
 * 2. suggest_us: the mean time of one TPE suggestion (refine_recommendation with its
 *    proposal) after 100, 1,000 and 10,000 completed trials on the anchor's 5-param space
 *    (u1 float [-5, 5], u2 float [0, 1], lg log-float [1e-5, 1], n int [1, 10], c enum of 4).
 *
 * Prints one JSON object: {"results": [{"function", "controller", "budget", "median_regret",
 * "q1", "q3"}], "suggest_us": {"100": x, "1000": y, "10000": z}}.
 *
 * With WORKERS=n (n > 1) in the environment the runs use n workers and every job sleeps 10 ms
 * (JOB_MS=t: t ms) so that jobs overlap and proposals are made while others run (the
 * constant liar's case);
 * budget b is then the first b jobs to complete, and suggest_us is skipped (null).
 * bench/optuna_tpe_parallel.py measures Optuna's TPE with constant_liar on n threads.
 * Which job ends first then depends on the machine's load, and so do the figures. With
 * ORDER=fifo as well, there is no engine and no sleep: the bench calls the controller itself
 * with n recommendations in flight, each ending in the order it was issued (as jobs of
 * equal length would), so the figures are the same on every machine: the way to compare
 * two versions of a controller.
 *
 * Usage: [WORKERS=n [ORDER=fifo | JOB_MS=t]] controllers [seeds] [first_seed]   (default 20 0)
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmarml.h>

#define PI 3.14159265358979323846
#define BUDGET 100

typedef struct {
    const char *name;
    int d;
    double lo, hi; /* the same bounds for every dim, except Branin */
    double fstar;
    double (*f)(const double *x);
} function;

static double branin(const double *x)
{
    double b = 5.1 / (4 * PI * PI), c = 5 / PI, t = 1 / (8 * PI);

    return pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) + 10 * (1 - t) * cos(x[0]) + 10;
}

static double hartmann6(const double *x)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double f = 0;
    int i, j;

    for (i = 0; i < 4; i++) {
        double e = 0;
        for (j = 0; j < 6; j++)
            e += A[i][j] * pow(x[j] - 1e-4 * P[i][j], 2);
        f -= alpha[i] * exp(-e);
    }
    return f;
}

static double rosenbrock(const double *x)
{
    double f = 0;
    int i;

    for (i = 0; i < 9; i++)
        f += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(x[i] - 1, 2);
    return f;
}

static double levy(const double *x)
{
    double w[10], f;
    int i;

    for (i = 0; i < 10; i++)
        w[i] = 1 + (x[i] - 1) / 4;
    f = pow(sin(PI * w[0]), 2);
    for (i = 0; i < 9; i++)
        f += pow(w[i] - 1, 2) * (1 + 10 * pow(sin(PI * w[i] + 1), 2));
    f += pow(w[9] - 1, 2) * (1 + pow(sin(2 * PI * w[9]), 2));
    return f;
}

static const function functions[] = {
    {"branin_2d", 2, 0, 0, 0.397887357729738, branin},
    {"hartmann6_6d", 6, 0, 1, -3.32236801141551, hartmann6},
    {"rosenbrock_10d", 10, -5, 10, 0, rosenbrock},
    {"levy_10d", 10, -10, 10, 0, levy},
};

/* ---- one run ---- */

typedef struct {
    const function *fn;
    double values[BUDGET]; /* f of each job, in completion order */
    int n;
    pthread_mutex_t lock;  /* several workers */
    int running;           /* jobs executing now */
} run_state;

/* Several workers: how many other jobs were running when a job started, summed over every
 * job of every run, as bench/optuna_tpe_parallel.py counts Optuna's trials. */
static double in_flight_sum;
static long in_flight_n;

static int workers = 1; /* $WORKERS */
static int job_ms = 10; /* $JOB_MS: how long a job takes with several workers */

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    const function *fn = ((run_state *)ud)->fn;
    char prl[48];
    int i, rc;

    (void)self, (void)ctx;
    rc = mmarml_search_space_new(out, fn->name);
    for (i = 0; rc == MMARML_OK && i < fn->d; i++) {
        double lo = fn->lo, hi = fn->hi;
        if (fn->f == branin) {
            lo = i == 0 ? -5 : 0;
            hi = i == 0 ? 10 : 15;
        }
        snprintf(prl, sizeof(prl), "x.float.$%d:x%d", i, i);
        rc = mmarml_search_space_add_float(*out, prl, "x", lo, hi, 0);
    }
    return rc;
}

/* One worker: jobs run one after another, so job order is recommendation order. Several:
 * each job takes job_ms, and the values are kept in completion order. */
static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    run_state *r = ud;
    double f = r->fn->f(mmarml_recommendation_values(rec));

    (void)self, (void)job;
    pthread_mutex_lock(&r->lock);
    in_flight_sum += r->running++;
    in_flight_n++;
    pthread_mutex_unlock(&r->lock);
    if (workers > 1)
        nanosleep(&(struct timespec){job_ms / 1000, job_ms % 1000 * 1000000L}, NULL);
    pthread_mutex_lock(&r->lock);
    if (r->n < BUDGET)
        r->values[r->n++] = f;
    r->running--;
    pthread_mutex_unlock(&r->lock);
    *score = -f;
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

/* The controller a run measures: "tpe" (n_startup 10, as Optuna's default) or "random". */
static int new_controller(mmarml_controller **out, const char *controller, uint64_t seed)
{
    return strcmp(controller, "tpe") == 0 ? mmarml_controller_new_tpe(out, BUDGET, seed, 10)
                                          : mmarml_controller_new_random(out, BUDGET, seed);
}

static int run_one(const function *fn, const char *controller, uint64_t seed, run_state *r)
{
    const mmarml_executor_vtable vt = {
        .struct_size = sizeof(vt),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine,
        .execute = execute,
    };
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_engine *engine = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine_options o;
    char spec[64] = "";
    int rc, i;

    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->fn = fn;
    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    for (i = 0; i < workers; i++) /* workers without GPUs */
        strcat(spec, i ? ":-" : "-");
    o.workers = spec;
    rc = new_controller(&ctl, controller, seed);
    if (rc == MMARML_OK && (rc = mmarml_executor_new(&exe, &vt, r)) == MMARML_OK &&
        (rc = mmarml_engine_new(&engine, ctl, exe, &o)) == MMARML_OK &&
        (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK)
        rc = mmarml_engine_run(engine, ctx);
    if (rc != MMARML_OK)
        fprintf(stderr, "controllers: %s\n", mmarml_error_message());
    mmarml_context_unref(ctx);
    mmarml_engine_unref(engine);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    pthread_mutex_destroy(&r->lock);
    return rc == MMARML_OK && r->n == BUDGET ? 0 : -1;
}

/* ORDER=fifo: the controller's calls as the engine makes them, `workers` recommendations
 * in flight, the oldest ending first. */
static int run_fifo(const function *fn, const char *controller, uint64_t seed, run_state *r)
{
    mmarml_controller *ctl = NULL;
    mmarml_context *ctx = NULL;
    mmarml_search_space *space = NULL;
    mmarml_recommendation_list *list = NULL, *queue = NULL;
    size_t next = 0; /* the oldest in `queue` still in flight */
    int rc;

    memset(r, 0, sizeof(*r));
    r->fn = fn;
    rc = new_controller(&ctl, controller, seed);
    if (rc == MMARML_OK && (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK &&
        (rc = mmarml_context_set_int(ctx, MMARML_KEY_NUM_WORKERS, workers)) == MMARML_OK &&
        (rc = determine(&space, NULL, ctx, r)) == MMARML_OK &&
        (rc = mmarml_controller_set_search_space(ctl, space, ctx)) == MMARML_OK &&
        (rc = mmarml_recommendation_list_new(&list)) == MMARML_OK &&
        (rc = mmarml_recommendation_list_new(&queue)) == MMARML_OK)
        rc = mmarml_controller_initial_recommendation(list, ctl, ctx);
    while (rc == MMARML_OK) {
        mmarml_recommendation *rec;
        mmarml_outcome *o = NULL;
        size_t i;
        double f;
        for (i = 0; rc == MMARML_OK && i < mmarml_recommendation_list_count(list); i++)
            rc = mmarml_recommendation_list_append(queue, mmarml_recommendation_list_get(list, i));
        mmarml_recommendation_list_clear(list);
        if (rc != MMARML_OK || next == mmarml_recommendation_list_count(queue) || r->n == BUDGET)
            break;
        rec = mmarml_recommendation_list_get(queue, next++);
        f = fn->f(mmarml_recommendation_values(rec));
        r->values[r->n++] = f;
        if ((rc = mmarml_outcome_new(&o, rec, MMARML_JOB_OK, -f, NULL)) == MMARML_OK)
            rc = mmarml_controller_refine_recommendation(list, ctl, o, ctx);
        mmarml_outcome_unref(o);
    }
    if (rc != MMARML_OK)
        fprintf(stderr, "controllers: %s\n", mmarml_error_message());
    mmarml_recommendation_list_free(queue);
    mmarml_recommendation_list_free(list);
    mmarml_search_space_unref(space);
    mmarml_context_unref(ctx);
    mmarml_controller_unref(ctl);
    return rc == MMARML_OK && r->n == BUDGET ? 0 : -1;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* numpy.percentile's default (linear interpolation) on sorted v. */
static double percentile(const double *v, int n, double q)
{
    double pos = q / 100 * (n - 1);
    int i = (int)floor(pos);

    return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* ---- suggestion cost ---- */

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static void suggest_cost(double out[3])
{
    static const int marks[3] = {100, 1000, 10000};
    json_t *cats = json_loads("[[\"a\"], [\"b\"], [\"c\"], [\"d\"]]", 0, NULL);
    mmarml_search_space *s = NULL;
    mmarml_controller *c = NULL;
    mmarml_context *ctx = NULL;
    mmarml_recommendation_list *list = NULL;
    mmarml_recommendation *rec;
    int done = 0, m = 0;
    double t0 = 0;

    mmarml_search_space_new(&s, "anchor5");
    mmarml_search_space_add_float(s, "u.float.$0:u1", "u", -5, 5, 0);
    mmarml_search_space_add_float(s, "u.float.$1:u2", "u", 0, 1, 0);
    mmarml_search_space_add_float(s, "u.float.$2:lg", "u", 1e-5, 1, MMARML_PARAM_F_LOG);
    mmarml_search_space_add_int(s, "u.int.$3:n", "u", 1, 10, 0);
    mmarml_search_space_add_enum(s, "u.enum.$4:c", "u", cats);
    mmarml_controller_new_tpe(&c, 1000000, 0, 10);
    mmarml_context_new(&ctx, NULL);
    mmarml_controller_set_search_space(c, s, ctx);
    mmarml_recommendation_list_new(&list);
    mmarml_controller_initial_recommendation(list, c, ctx);
    rec = mmarml_recommendation_ref(mmarml_recommendation_list_get(list, 0));
    while (m < 3) {
        const double *v = mmarml_recommendation_values(rec);
        mmarml_outcome *o = NULL;
        mmarml_outcome_new(&o, rec, MMARML_JOB_OK, v[0] + v[1] - v[3] / 10 + v[4], "J");
        mmarml_recommendation_list_clear(list);
        if (done == marks[m])
            t0 = now_us();
        mmarml_controller_refine_recommendation(list, c, o, ctx);
        done++;
        if (done == marks[m] + 100) { /* the mean over the 100 suggestions after the mark */
            out[m++] = (now_us() - t0) / 100;
        }
        mmarml_outcome_unref(o);
        mmarml_recommendation_unref(rec);
        rec = mmarml_recommendation_ref(mmarml_recommendation_list_get(list, 0));
    }
    mmarml_recommendation_unref(rec);
    mmarml_recommendation_list_free(list);
    mmarml_context_unref(ctx);
    mmarml_controller_unref(c);
    mmarml_search_space_unref(s);
    json_decref(cats);
}

int main(int argc, char **argv)
{
    static const char *const controllers[] = {"random", "tpe"};
    static const int budgets[] = {50, 100};
    int seeds = argc > 1 ? atoi(argv[1]) : 20, f, c, b, s, first = 1, i;
    int first_seed = argc > 2 ? atoi(argv[2]) : 0, fifo;
    double *regret = malloc(sizeof(double) * (size_t)seeds * 2), cost[3];
    run_state r;

    if (getenv("WORKERS") != NULL)
        workers = atoi(getenv("WORKERS"));
    if (getenv("JOB_MS") != NULL)
        job_ms = atoi(getenv("JOB_MS"));
    fifo = getenv("ORDER") != NULL && strcmp(getenv("ORDER"), "fifo") == 0;
    if (seeds < 1 || first_seed < 0 || regret == NULL || workers < 1 || workers > 16 ||
        job_ms < 0 || job_ms > 60000)
        return 2;
    printf("{\"workers\": %d, \"order\": \"%s\", \"results\": [", workers,
           fifo ? "fifo" : workers > 1 ? "completion" : "issue");
    for (f = 0; f < 4; f++) {
        for (c = 0; c < 2; c++) {
            for (s = 0; s < seeds; s++) {
                if ((fifo ? run_fifo : run_one)(&functions[f], controllers[c],
                                                (uint64_t)(first_seed + s), &r) != 0)
                    return 1;
                for (b = 0; b < 2; b++) {
                    double best = INFINITY;
                    for (i = 0; i < budgets[b]; i++)
                        best = r.values[i] < best ? r.values[i] : best;
                    regret[b * seeds + s] = best - functions[f].fstar;
                }
            }
            for (b = 0; b < 2; b++) {
                double *v = regret + b * seeds;
                qsort(v, (size_t)seeds, sizeof(double), cmp);
                printf("%s\n  {\"function\": \"%s\", \"controller\": \"%s\", \"budget\": %d, "
                       "\"median_regret\": %.6g, \"q1\": %.6g, \"q3\": %.6g}",
                       first ? "" : ",", functions[f].name, controllers[c], budgets[b],
                       percentile(v, seeds, 50), percentile(v, seeds, 25),
                       percentile(v, seeds, 75));
                first = 0;
            }
            fflush(stdout);
        }
    }
    if (workers > 1) { /* the suggestion cost is a one-worker figure */
        if (fifo)
            printf("\n], \"suggest_us\": null}\n");
        else
            printf("\n], \"job_ms\": %d, \"mean_in_flight\": %.3g, \"suggest_us\": null}\n",
                   job_ms, in_flight_n ? in_flight_sum / (double)in_flight_n : 0.0);
        free(regret);
        return 0;
    }
    suggest_cost(cost);
    printf("\n], \"suggest_us\": {\"100\": %.1f, \"1000\": %.1f, \"10000\": %.1f}}\n", cost[0],
           cost[1], cost[2]);
    free(regret);
    return 0;
}
