/*
 * engine_overhead: the engine's own cost per job. RandomController on two workers (env
 * WORKERS sets another workers string), an executor that returns a score at once, no
 * handlers, the 5-param space of Optuna's anchor. Each size runs in a fresh child
 * process so its peak RSS is its own. Prints one JSON object:
 *   {"jobs", "us_per_job", "peak_rss_kb", "sizes": [{"jobs", "us_per_job", "peak_rss_kb"}]}
 * where the top-level figures are those of the largest size.
 *
 * With SHOWN=1 in the environment the controller shows every recommendation at once
 * (TestController with one batch of all the jobs, as ReinforcementController does with an
 * enum-only space) and a handler reads the list in each job's start_job: what each job is
 * given of the list shown must not grow with its length.
 *
 * Usage: engine_overhead [largest_jobs]   (default 100000; sizes are largest/10 and largest)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mmarml.h>

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    int rc;

    (void)self, (void)ctx, (void)ud;
    /* the 5-param space of Optuna's anchor (bench/optuna_random.py) */
    if ((rc = mmarml_search_space_new(out, "bench")) == MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "a.float.$0:u1", "a", -5, 5, 0)) ==
            MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "a.float.$0:u2", "a", 0, 1, 0)) == MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "a.float.$0:lg", "a", 1e-5, 1,
                                            MMARML_PARAM_F_LOG)) == MMARML_OK &&
        (rc = mmarml_search_space_add_int(*out, "a.int.$0:n", "a", 1, 10, 0)) == MMARML_OK) {
        json_t *cats = json_pack("[s, s, s, s]", "a", "b", "c", "d");
        rc = mmarml_search_space_add_enum(*out, "a.enum.$0:c", "a", cats);
        json_decref(cats);
    }
    return rc;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job_ctx, void *ud)
{
    (void)self, (void)job_ctx, (void)ud;
    *score = mmarml_recommendation_values(rec)[0];
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

/* SHOWN=1: a handler that looks at the list each job was shown. */
static unsigned long jobs_looked, jobs_not_shown; /* the latter lacked the list: an error */
static size_t plan_size; /* every job is shown the whole plan */

static int look_at_shown(mmarml_handler *self, mmarml_context *job_ctx, void *ud)
{
    void *list = NULL;

    (void)self, (void)ud;
    __atomic_add_fetch(&jobs_looked, 1, __ATOMIC_RELAXED);
    if (mmarml_context_get_pointer(job_ctx, MMARML_KEY_RECOMMENDATIONS, &list) != MMARML_OK ||
        mmarml_recommendation_list_count(list) != plan_size)
        __atomic_add_fetch(&jobs_not_shown, 1, __ATOMIC_RELAXED);
    return MMARML_OK;
}

static int shown_handler(mmarml_handler **h)
{
    static const mmarml_handler_vtable hvt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_job = look_at_shown,
    };

    return mmarml_handler_new(h, &hvt, NULL);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Child: run `jobs` jobs, write "us_per_job peak_rss_kb" to fd. */
static int measure(uint64_t jobs, int fd)
{
    const mmarml_executor_vtable vt = {
        .struct_size = sizeof(vt),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine,
        .execute = execute,
    };
    mmarml_engine_options opts = MMARML_ENGINE_OPTIONS_INIT;
    mmarml_controller *ctl = NULL;
    mmarml_handler *handler = NULL;
    mmarml_executor *exe = NULL;
    mmarml_engine *engine = NULL;
    mmarml_context *ctx = NULL;
    struct rusage ru;
    double t0, t1;
    char line[128];
    int shown = getenv("SHOWN") != NULL && strcmp(getenv("SHOWN"), "1") == 0;
    int rc, n;

    opts.workers = getenv("WORKERS") ? getenv("WORKERS") : "0:1";
    /* SHOWN: TestController with one batch of every job, the whole plan shown at once */
    plan_size = (size_t)jobs;
    if ((rc = shown ? mmarml_controller_new_test(&ctl, jobs, jobs, 1)
                    : mmarml_controller_new_random(&ctl, jobs, 1)) != MMARML_OK ||
        (shown && (rc = shown_handler(&handler)) != MMARML_OK) ||
        (rc = mmarml_executor_new(&exe, &vt, NULL)) != MMARML_OK ||
        (rc = mmarml_engine_new(&engine, ctl, exe, &opts)) != MMARML_OK ||
        (handler != NULL && (rc = mmarml_engine_add_handler(engine, handler)) != MMARML_OK) ||
        (rc = mmarml_context_new(&ctx, NULL)) != MMARML_OK) {
        fprintf(stderr, "engine_overhead: %s\n", mmarml_error_message());
        return 1;
    }
    t0 = now();
    rc = mmarml_engine_run(engine, ctx);
    t1 = now();
    if (rc != MMARML_OK) {
        fprintf(stderr, "engine_overhead: %s\n", mmarml_error_message());
        return 1;
    }
    if (shown && (jobs_looked != jobs || jobs_not_shown > 0)) {
        fprintf(stderr, "engine_overhead: of %lu jobs started, %lu were not given the list "
                "shown\n", jobs_looked, jobs_not_shown);
        return 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    n = snprintf(line, sizeof(line), "%.3f %ld", (t1 - t0) * 1e6 / (double)jobs, ru.ru_maxrss);
    if (write(fd, line, (size_t)n) != n)
        return 1;
    mmarml_context_unref(ctx);
    mmarml_engine_unref(engine);
    mmarml_executor_unref(exe);
    mmarml_handler_unref(handler);
    mmarml_controller_unref(ctl);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t largest = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    uint64_t sizes[2] = {largest / 10, largest};
    double us[2];
    long rss[2];
    int i;

    if (largest < 10) {
        fprintf(stderr, "engine_overhead: largest_jobs must be at least 10\n");
        return 2;
    }
    for (i = 0; i < 2; i++) {
        int fds[2], status;
        char buf[128] = {0};
        pid_t pid;

        if (pipe(fds) != 0 || (pid = fork()) < 0)
            return 1;
        if (pid == 0) {
            close(fds[0]);
            _exit(measure(sizes[i], fds[1]));
        }
        close(fds[1]);
        if (read(fds[0], buf, sizeof(buf) - 1) <= 0 || waitpid(pid, &status, 0) != pid ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
            sscanf(buf, "%lf %ld", &us[i], &rss[i]) != 2)
            return 1;
        close(fds[0]);
    }
    printf("{\"jobs\": %llu, \"us_per_job\": %.3f, \"peak_rss_kb\": %ld, \"sizes\": ["
           "{\"jobs\": %llu, \"us_per_job\": %.3f, \"peak_rss_kb\": %ld}, "
           "{\"jobs\": %llu, \"us_per_job\": %.3f, \"peak_rss_kb\": %ld}]}\n",
           (unsigned long long)sizes[1], us[1], rss[1], (unsigned long long)sizes[0], us[0],
           rss[0], (unsigned long long)sizes[1], us[1], rss[1]);
    return 0;
}
