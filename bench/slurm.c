/*
 * slurm: jobs through a live Slurm with the SlurmExecutor (run it with bench/slurm.sh, which
 * starts a single-node cluster). A trivial round script records, in its job MMAR, the
 * CLOCK_REALTIME nanoseconds of its first and last lines; a handler records when the engine
 * started each job (start_job: just before clone + sbatch) and when it saw the end (end_job).
 * Prints one JSON object:
 *   {"jobs", "ok", "max_concurrent", "poll_interval_s",
 *    "submit_to_start_ms": {"median", "max"}, "end_to_seen_ms": {"median", "max"},
 *    "target_end_to_seen_ms", "target_met", "wall_s"}
 * where the target is one poll interval plus 100 ms, on the max.
 *
 * Usage: slurm [jobs] [poll_interval_s] [max_concurrent]    (default 50 1.0 2)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_mmar.h"

#define MAX_JOBS 10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    double started, seen; /* CLOCK_REALTIME seconds */
    char root[256];
    int ok;
} jobs[MAX_JOBS];
static size_t njobs;

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int on_start(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    (void)self, (void)ud;
    return mmarml_context_set_double(ctx, "_benchStarted", wall_now());
}

static int on_end(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    double seen = wall_now(), started = 0;
    char *root = NULL, *status = NULL;

    (void)self, (void)ud;
    mmarml_context_get_double(ctx, "_benchStarted", &started);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_MMAR_ROOT, &root);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    pthread_mutex_lock(&lock);
    if (njobs < MAX_JOBS) {
        jobs[njobs].started = started;
        jobs[njobs].seen = seen;
        snprintf(jobs[njobs].root, sizeof(jobs[njobs].root), "%s", root ? root : "");
        jobs[njobs].ok = status != NULL && strcmp(status, "ok") == 0;
        njobs++;
    }
    pthread_mutex_unlock(&lock);
    mmarml_free(root);
    mmarml_free(status);
    return MMARML_OK;
}

/* Nanoseconds since the epoch written by the job in <root>/<file>, as seconds; 0 if none. */
static double read_stamp(const char *root, const char *file)
{
    char path[300];
    long long ns = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, file);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fscanf(f, "%lld", &ns) != 1)
        ns = 0;
    fclose(f);
    return (double)ns * 1e-9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void print_stat(const char *name, double *v, size_t n)
{
    qsort(v, n, sizeof(*v), by_value);
    printf("\"%s\": {\"median\": %.1f, \"max\": %.1f}", name,
           n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) * 1e3 : 0,
           n ? v[n - 1] * 1e3 : 0);
}

int main(int argc, char **argv)
{
    const mmarml_handler_vtable vt = {
        .struct_size = sizeof(vt),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_job = on_start,
        .end_job = on_end,
    };
    int n = argc > 1 ? atoi(argv[1]) : 50, concurrent = argc > 3 ? atoi(argv[3]) : 2;
    double poll = argc > 2 ? atof(argv[2]) : 1.0, wall, *to_start, *to_seen, max_seen = 0;
    char dir[64], automl[512];
    mmarml_handler *h = NULL;
    size_t i, m = 0, ok = 0;

    if (n < 1 || n > MAX_JOBS || !(poll > 0) || concurrent < 1)
        return 2;
    if (getenv("SLURM_CONF") == NULL) {
        fprintf(stderr, "slurm: SLURM_CONF is not set: run bench/slurm.sh\n");
        return 2;
    }
    snprintf(automl, sizeof(automl),
             "{\"handlers\": [{\"name\": \"MMARHandler\"}], \"executor\": {\"name\": "
             "\"SlurmExecutor\", \"args\": {\"max_concurrent\": %d, \"poll_interval\": %g, "
             "\"cpus_per_job\": 1}}, \"controller\": {\"name\": \"RandomController\", "
             "\"args\": {\"max_rounds\": %d}}}",
             concurrent, poll, n);
    if (bench_make_mmar(dir, "date +%s%N > started_ns\n"
                             "echo '{\"best_validation_metric\": 0.5}' > models/train_stats.json\n"
                             "date +%s%N > ended_ns",
                        automl) != 0)
        return 1;
    if (mmarml_handler_new(&h, &vt, NULL) != MMARML_OK || bench_run(dir, "slurm", h, &wall) != 0)
        return 1;
    to_start = calloc(njobs + 1, sizeof(double));
    to_seen = calloc(njobs + 1, sizeof(double));
    for (i = 0; i < njobs; i++) {
        double s = read_stamp(jobs[i].root, "started_ns"), e = read_stamp(jobs[i].root, "ended_ns");
        ok += jobs[i].ok;
        if (s == 0 || e == 0)
            continue;
        to_start[m] = s - jobs[i].started;
        to_seen[m] = jobs[i].seen - e;
        if (to_seen[m] > max_seen)
            max_seen = to_seen[m];
        m++;
    }
    printf("{\"jobs\": %zu, \"ok\": %zu, \"max_concurrent\": %d, \"poll_interval_s\": %g, ",
           njobs, ok, concurrent, poll);
    print_stat("submit_to_start_ms", to_start, m);
    printf(", ");
    print_stat("end_to_seen_ms", to_seen, m);
    printf(", \"target_end_to_seen_ms\": %.0f, \"target_met\": %s, \"wall_s\": %.1f}\n",
           (poll + 0.1) * 1e3, m == njobs && max_seen <= poll + 0.1 ? "true" : "false", wall);
    free(to_start);
    free(to_seen);
    mmarml_handler_unref(h);
    bench_remove(dir);
    return ok == njobs ? 0 : 1;
}
