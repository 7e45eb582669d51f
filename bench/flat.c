/*
 * flat: the cost per job must not grow with the number of jobs. Two runs with the journal,
 * MMARHandler (keeps 5 job MMARs) and MMARStatsHandler on, two workers, RandomController:
 *   inprocess  N jobs (default 20,000) of MMARExecutor with an in-process trainer (each job
 *              still gets its job MMAR, config, journal records, stats entry);
 *   script     M jobs (default 2,000) of a trivial round script (fork, exec, wait).
 * The time of every job's end is recorded; the cost per job over the first 1,000 ends and
 * over the last 1,000 is their span / 999. Prints one JSON line per run:
 *   {"run", "jobs", "first_us_per_job", "last_us_per_job", "ratio", "wall_s",
 *    "peak_rss_kb", "stats_file_kb"}
 * Each run is in a child process of its own, so its peak RSS is its own.
 *
 * Usage: flat [inprocess_jobs [script_jobs]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_mmar.h"

#define WINDOW 1000

typedef struct {
    double *ends;
    size_t count, cap;
    pthread_mutex_t lock;
} end_times;

static int on_end(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    end_times *t = ud;

    (void)self, (void)ctx;
    pthread_mutex_lock(&t->lock);
    if (t->count < t->cap)
        t->ends[t->count++] = bench_now();
    pthread_mutex_unlock(&t->lock);
    return MMARML_OK;
}

static int train(int *status, double *score, mmarml_context *job, void *ud)
{
    (void)job, (void)ud;
    *score = 0.5;
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

static mmarml_handler *timing_handler(end_times *t)
{
    mmarml_handler_vtable vt = MMARML_HANDLER_VTABLE_INIT;
    mmarml_handler *h = NULL;

    vt.end_job = on_end;
    return mmarml_handler_new(&h, &vt, t) == MMARML_OK ? h : NULL;
}

static const char *automl(unsigned long jobs)
{
    static char text[1024];

    snprintf(text, sizeof(text),
             "{\"engine\": {\"workers\": \"0:1\"},"
             " \"handlers\": [{\"name\": \"MMARHandler\", \"args\": {\"num_mmars_to_keep\": 5}},"
             "                {\"name\": \"MMARStatsHandler\"}],"
             " \"executor\": {\"name\": \"MMARExecutor\", \"args\": {\"msg_destination\": \"none\"}},"
             " \"controller\": {\"name\": \"RandomController\","
             "                  \"args\": {\"max_rounds\": %lu, \"seed\": 1}}}",
             jobs);
    return text;
}

/* The in-process run: the engine built by hand, as an embedder would. */
static int run_inprocess(const char *dir, unsigned long jobs, mmarml_handler *timer,
                         double *wall)
{
    mmarml_engine_options o = MMARML_ENGINE_OPTIONS_INIT;
    json_t *keep = json_pack("{s:i}", "num_mmars_to_keep", 5);
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_handler *mmar = NULL, *stats = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    double t0;
    int rc;

    o.workers = "0:1";
    o.journal = "journal.mmarml";
    if ((rc = mmarml_controller_new_random(&ctl, jobs, 1)) == MMARML_OK &&
        (rc = mmarml_executor_new_mmar_trainer(&exe, NULL, train, NULL)) == MMARML_OK &&
        (rc = mmarml_handler_new_mmar(&mmar, keep)) == MMARML_OK &&
        (rc = mmarml_handler_new_mmar_stats(&stats, NULL)) == MMARML_OK &&
        (rc = mmarml_engine_new(&e, ctl, exe, &o)) == MMARML_OK &&
        (rc = mmarml_engine_add_handler(e, mmar)) == MMARML_OK &&
        (rc = mmarml_engine_add_handler(e, stats)) == MMARML_OK &&
        (rc = mmarml_engine_add_handler(e, timer)) == MMARML_OK &&
        (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK &&
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_MMAR_ROOT, dir)) == MMARML_OK &&
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_RUN_ID, "flat")) == MMARML_OK) {
        t0 = bench_now();
        rc = mmarml_engine_run(e, ctx);
        *wall = bench_now() - t0;
    }
    if (rc != MMARML_OK)
        fprintf(stderr, "flat: %s\n", mmarml_error_message());
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_handler_unref(mmar);
    mmarml_handler_unref(stats);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    json_decref(keep);
    return rc == MMARML_OK ? 0 : 1;
}

/* Child: one run; its JSON line on fd. */
static int measure(const char *which, unsigned long jobs, int fd)
{
    end_times t = {calloc(jobs, sizeof(double)), 0, jobs, PTHREAD_MUTEX_INITIALIZER};
    mmarml_handler *timer = timing_handler(&t);
    char dir[64], line[512], stats[128];
    struct rusage ru;
    struct stat st;
    double wall = 0, first, last;
    int rc, n;

    if (t.ends == NULL || timer == NULL ||
        bench_make_mmar(dir, "printf '{\"best_validation_metric\": 0.5}' > "
                             "models/train_stats.json",
                        automl(jobs)) != 0)
        return 1;
    if (strcmp(which, "inprocess") == 0)
        rc = run_inprocess(dir, jobs, timer, &wall);
    else
        rc = bench_run(dir, "flat", timer, &wall);
    if (rc != 0 || t.count < 2 * WINDOW) {
        fprintf(stderr, "flat: %s: the run failed or ended %zu jobs\n", which, t.count);
        return 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    snprintf(stats, sizeof(stats), "%s/automl/flat/automl_stats_log.json", dir);
    first = (t.ends[WINDOW - 1] - t.ends[0]) * 1e6 / (WINDOW - 1);
    last = (t.ends[t.count - 1] - t.ends[t.count - WINDOW]) * 1e6 / (WINDOW - 1);
    n = snprintf(line, sizeof(line),
                 "{\"run\": \"%s\", \"jobs\": %zu, \"first_us_per_job\": %.1f, "
                 "\"last_us_per_job\": %.1f, \"ratio\": %.3f, \"wall_s\": %.1f, "
                 "\"peak_rss_kb\": %ld, \"stats_file_kb\": %lld}\n",
                 which, t.count, first, last, last / first, wall, ru.ru_maxrss,
                 stat(stats, &st) == 0 ? (long long)st.st_size / 1024 : -1LL);
    bench_remove(dir);
    mmarml_handler_unref(timer);
    free(t.ends);
    return write(fd, line, (size_t)n) == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    unsigned long sizes[2] = {argc > 1 ? strtoul(argv[1], NULL, 10) : 20000,
                              argc > 2 ? strtoul(argv[2], NULL, 10) : 2000};
    const char *runs[2] = {"inprocess", "script"};
    int i;

    for (i = 0; i < 2; i++) {
        int fds[2], status;
        char buf[512] = {0};
        pid_t pid;

        if (sizes[i] < 2 * WINDOW) {
            fprintf(stderr, "flat: at least %d jobs per run\n", 2 * WINDOW);
            return 2;
        }
        if (pipe(fds) != 0 || (pid = fork()) < 0)
            return 1;
        if (pid == 0) {
            close(fds[0]);
            _exit(measure(runs[i], sizes[i], fds[1]));
        }
        close(fds[1]);
        if (read(fds[0], buf, sizeof(buf) - 1) <= 0 || waitpid(pid, &status, 0) != pid ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return 1;
        close(fds[0]);
        fputs(buf, stdout);
        fflush(stdout);
    }
    return 0;
}
