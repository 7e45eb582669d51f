/*
 * launch: the cost of running jobs through MMARExecutor. 200 jobs of a trivial round script
 * (sleep 50 ms, write a score) on two workers, RandomController, MMARHandler, file output.
 * First the round script runs 20 times by itself (fork, exec, wait: what any launcher pays),
 * which gives job_ms; the ideal is jobs x job_ms / workers, and the overhead per job is what
 * the AutoML's wall time exceeds it by, per job and worker: clone, job config, spawn, wait,
 * score, handlers. Prints
 *   {"jobs", "workers", "job_ms", "wall_s", "ideal_s", "overhead_ms_per_job",
 *    "utilisation"}
 * where utilisation is the time workers were busy with a job (start_job to end_job) over
 * workers x wall.
 *
 * Usage: launch [jobs]     (default 200)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_mmar.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double busy;

static int on_start(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    (void)self, (void)ud;
    return mmarml_context_set_double(ctx, "_benchStart", bench_now());
}

static int on_end(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    double t0;

    (void)self, (void)ud;
    if (mmarml_context_get_double(ctx, "_benchStart", &t0) == MMARML_OK) {
        pthread_mutex_lock(&lock);
        busy += bench_now() - t0;
        pthread_mutex_unlock(&lock);
    }
    return MMARML_OK;
}

/* Mean seconds of the round script run directly, `n` times in a row. */
static double standalone(const char *dir, int n)
{
    char script[128];
    double t0 = bench_now();
    int i, status;

    snprintf(script, sizeof(script), "%s/commands/automl_train_round.sh", dir);
    for (i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            setenv("MMAR_ROOT", dir, 1);
            execl(script, script, (char *)NULL);
            _exit(127);
        }
        waitpid(pid, &status, 0);
    }
    return (bench_now() - t0) / n;
}

int main(int argc, char **argv)
{
    const mmarml_handler_vtable vt = {
        .struct_size = sizeof(vt),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_job = on_start,
        .end_job = on_end,
    };
    int jobs = argc > 1 ? atoi(argv[1]) : 200, workers = 2;
    double job_s;
    char dir[64], automl[512];
    mmarml_handler *h = NULL;
    double wall, ideal;

    if (jobs < 1)
        return 2;
    snprintf(automl, sizeof(automl),
             "{\"engine\": {\"workers\": \"0:1\"}, \"handlers\": [{\"name\": \"MMARHandler\"}],"
             " \"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
             "\"RandomController\", \"args\": {\"max_rounds\": %d}}}",
             jobs);
    if (bench_make_mmar(dir, "sleep 0.05\n"
                             "echo '{\"best_validation_metric\": 0.5}' > models/train_stats.json",
                        automl) != 0)
        return 1;
    job_s = standalone(dir, 20);
    if (mmarml_handler_new(&h, &vt, NULL) != MMARML_OK || bench_run(dir, "launch", h, &wall) != 0)
        return 1;
    ideal = jobs * job_s / workers;
    printf("{\"jobs\": %d, \"workers\": %d, \"job_ms\": %.2f, \"wall_s\": %.3f, "
           "\"ideal_s\": %.3f, \"overhead_ms_per_job\": %.2f, \"utilisation\": %.3f}\n",
           jobs, workers, job_s * 1e3, wall, ideal, (wall - ideal) * workers / jobs * 1e3,
           busy / (workers * wall));
    mmarml_handler_unref(h);
    bench_remove(dir);
    return 0;
}
