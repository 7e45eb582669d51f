/*
 * custom_executor: an in-process objective as an executor, searched by the bundled
 * RandomController on two workers. The objective is the Branin function (minimum 0.397887),
 * scored as -branin so that higher is better, as Clara's validation metrics are.
 *
 * Build: cc custom_executor.c $(pkg-config --cflags --libs libmmarml) -lm
 * Run:   ./custom_executor [jobs] [workers]      (exit 0 when the best score is close)
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <mmarml.h>

typedef struct {
    pthread_mutex_t lock;
    double best;
    char best_job[64];
    int finished;
} tally;

static int determine_search_space(mmarml_search_space **out, mmarml_executor *self,
                                  mmarml_context *ctx, void *ud)
{
    int rc;

    (void)self, (void)ctx, (void)ud;
    if ((rc = mmarml_search_space_new(out, "branin")) == MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "x.float.$0:x", "x", -5, 10, 0)) == MMARML_OK)
        rc = mmarml_search_space_add_float(*out, "y.float.$0:y", "y", 0, 15, 0);
    return rc;
}

static double branin(double x, double y)
{
    const double pi = 3.14159265358979323846;
    double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);

    return pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * cos(x) + 10;
}

/* Runs on a job thread; nothing shared is written, so no lock is needed. */
static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job_ctx, void *ud)
{
    const double *v = mmarml_recommendation_values(rec);

    (void)self, (void)job_ctx, (void)ud;
    *score = -branin(v[0], v[1]);
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

/* end_job runs on job threads, possibly at once: the tally has a lock. */
static int end_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    tally *t = ud;
    char *job = NULL;
    double score;

    (void)self;
    if (mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &score) != MMARML_OK)
        return MMARML_OK; /* no score: the job failed */
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &job);
    pthread_mutex_lock(&t->lock);
    t->finished++;
    if (score > t->best) {
        t->best = score;
        snprintf(t->best_job, sizeof(t->best_job), "%s", job != NULL ? job : "?");
    }
    pthread_mutex_unlock(&t->lock);
    mmarml_free(job);
    return MMARML_OK;
}

int main(int argc, char **argv)
{
    const mmarml_executor_vtable evt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine_search_space,
        .execute = execute,
    };
    const mmarml_handler_vtable hvt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .end_job = end_job,
    };
    uint64_t jobs = argc > 1 ? strtoull(argv[1], NULL, 10) : 300;
    mmarml_engine_options opts = MMARML_ENGINE_OPTIONS_INIT;
    tally t = {PTHREAD_MUTEX_INITIALIZER, -INFINITY, "", 0};
    mmarml_controller *controller = NULL;
    mmarml_executor *executor = NULL;
    mmarml_handler *handler = NULL;
    mmarml_engine *engine = NULL;
    mmarml_context *ctx = NULL;
    int rc;

    opts.workers = argc > 2 ? argv[2] : "0:1";
    if ((rc = mmarml_controller_new_random(&controller, jobs, 1)) != MMARML_OK ||
        (rc = mmarml_executor_new(&executor, &evt, NULL)) != MMARML_OK ||
        (rc = mmarml_handler_new(&handler, &hvt, &t)) != MMARML_OK ||
        (rc = mmarml_engine_new(&engine, controller, executor, &opts)) != MMARML_OK ||
        (rc = mmarml_engine_add_handler(engine, handler)) != MMARML_OK ||
        (rc = mmarml_context_new(&ctx, NULL)) != MMARML_OK ||
        (rc = mmarml_engine_run(engine, ctx)) != MMARML_OK) {
        fprintf(stderr, "custom_executor: %s: %s\n", mmarml_error_name(rc),
                mmarml_error_message());
    } else {
        printf("custom_executor: %d jobs on workers %s, best score %.4f (%s); "
               "the optimum is %.4f\n",
               t.finished, opts.workers, t.best, t.best_job, -0.397887);
    }
    mmarml_context_unref(ctx);
    mmarml_engine_unref(engine);
    mmarml_handler_unref(handler);
    mmarml_executor_unref(executor);
    mmarml_controller_unref(controller);
    /* random search with 300 jobs gets within 1.0 of the optimum on Branin */
    return rc == MMARML_OK && (uint64_t)t.finished == jobs && t.best > -0.397887 - 1.0 ? 0 : 1;
}
