/*
 * mmarml run: a whole AutoML on an MMAR, as Clara's `train` entry point does.
 * The command, not the library, handles signals: SIGINT and SIGTERM are blocked in every
 * thread and read from a signalfd by a watcher thread, which asks the engine to stop (every
 * trainer's process group is terminated, every started job still gets end_job).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <mmarml.h>

#include "cli.h"
#include "report.h"
#include "run_savings.h"

static const char *const usage_run =
    "usage: mmarml run -m <mmar> [--automlconf <file>] [--resume] [--set key=value ...]\n"
    "\n"
    "Runs the AutoML that <mmar>/config/config_automl.json describes.\n"
    "\n"
    "  -m, --mmar <dir>          the MMAR\n"
    "  -a, --automlconf <file>   AutoML config in <mmar>/config/ or absolute\n"
    "                            (default config_automl.json)\n"
    "  -s, --set key=value ...   variables; every key=value word after --set (other\n"
    "                            words there are ignored with a warning, as Clara's\n"
    "                            automl.sh passes them):\n"
    "                            run_id (default run_<UTC time>), trainconf\n"
    "                            (config_train.json), workers (\"0:0:1:1\", \"0,1:2,3\"),\n"
    "                            traceout (file, console, both, none), and any {key}\n"
    "                            the AutoML config uses\n"
    "  -r, --resume              continue the run --set run_id=... names (it died, or\n"
    "                            was stopped) from its journal: ended jobs are not run\n"
    "                            again, the controller goes on where it was\n"
    "  -h, --help                this text\n"
    "\n"
    "Exit status: 0 the run completed (or, resuming, had completed already), 1 it could\n"
    "not start or its journal could not be written, 2 bad usage, 3 the file system failed\n"
    "under it (full, quota, read-only, I/O error: it stopped dispatching, aborted its jobs,\n"
    "and every job that ended is in the stats file and the journal; make room, then\n"
    "--resume), 4 the run completed but no job ended ok (or it ran no job at all),\n"
    "130 after SIGINT, 143 after SIGTERM.\n"
    "\n"
    "The run root is <mmar>/automl/<run_id> unless MMARHandler's work_dir says otherwise;\n"
    "its journal is journal.mmarml there (docs/resume.md); its admin socket serves\n"
    "'mmarml admin <run_root> <command>'.\n";

typedef struct {
    mmarml_engine *engine;
    int tty;
    double started;
    pthread_mutex_t lock;
    unsigned done, failed, ok, pruned;
    double steps; /* the steps (epochs) jobs reported, summed: what the run spent */
    worker_time held; /* what the jobs held their workers for, and what pruning saved */
    double best;
    int have_best;
    char best_job[80];
    mmarml_admin_server *admin;
    char *run_root;
    /* signal watcher */
    int sigfd, quitfd;
    int signal; /* the signal that stopped the run, 0 if none */
    int resuming;
} run_state;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The live status line (terminal only); lock held. */
static void status_line(run_state *r)
{
    json_t *st = NULL;
    long long running = 0, max_jobs = 0;
    char best[128] = "-";

    if (!r->tty)
        return;
    if (mmarml_engine_status(&st, r->engine) == MMARML_OK) {
        running = json_integer_value(json_object_get(st, "running"));
        max_jobs = json_integer_value(json_object_get(st, "max_jobs"));
    }
    json_decref(st);
    if (r->have_best)
        snprintf(best, sizeof(best), "%.6g (%s)", r->best, r->best_job);
    if (max_jobs > 0)
        fprintf(stdout, "\r\033[Kjobs done %u/%lld, running %lld, pruned %u, failed %u, "
                "best %s, %.0f s", r->done, max_jobs, running, r->pruned, r->failed, best,
                now_s() - r->started);
    else
        fprintf(stdout, "\r\033[Kjobs done %u, running %lld, pruned %u, failed %u, best %s, "
                "%.0f s", r->done, running, r->pruned, r->failed, best, now_s() - r->started);
    fflush(stdout);
}

static int on_start_automl(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_state *r = ud;
    int rc;

    (void)self;
    if ((rc = mmarml_context_get_string(ctx, MMARML_KEY_RUN_ROOT, &r->run_root)) != MMARML_OK)
        return mmarml_error_set(rc, "no run root: config_automl.json needs MMARHandler");
    return MMARML_OK;
}

/* The admin socket opens once the journal is ours (a second run on the same root is
 * refused by the journal's lock, naming its holder, before it touches the socket). */
static int on_space(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_state *r = ud;
    char *sock = NULL, *summary = NULL;
    int rc;

    (void)self;
    (void)ctx;
    if (r->admin != NULL || r->run_root == NULL)
        return MMARML_OK;
    if (asprintf(&sock, "%s/admin.sock", r->run_root) < 0 ||
        asprintf(&summary, "%s/summary.txt", r->run_root) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    rc = mmarml_admin_server_start(&r->admin, r->engine, sock, summary);
    free(sock);
    free(summary);
    if (rc == MMARML_OK)
        printf("mmarml run: run root %s%s\n", r->run_root, r->resuming ? " (resumed)" : "");
    fflush(stdout);
    return rc;
}

/* A pruned job's seconds per step from its reports' times (savings_pace()); NAN where the
 * engine keeps none for it (a job restored from the journal) or they say nothing. */
static double report_pace(const mmarml_context *ctx, double took)
{
    double *pairs = NULL, *times = NULL, pace = NAN;
    size_t n = 0, ntimes = 0;

    if (mmarml_job_reports(ctx, &pairs, &n) == MMARML_OK &&
        mmarml_job_report_times(ctx, &times, &ntimes) == MMARML_OK && n == ntimes && n >= 2)
        pace = savings_pace(pairs[0], times[0], pairs[2 * (n - 1)], times[n - 1], took);
    mmarml_error_clear();
    mmarml_free(pairs);
    mmarml_free(times);
    return pace;
}

static int on_end_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_state *r = ud;
    char *name = NULL, *status = NULL, *gpus = NULL;
    double score = 0, start = 0, end = 0, took = 0, value = 0, step = 0, pace;
    unsigned ngpus;
    const char *from = "";
    int ok, pruned, restored = 0;

    (void)self;
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    mmarml_context_get_string(ctx, MMARML_KEY_GPUS, &gpus);
    ngpus = worker_gpu_count(gpus);
    ok = mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &score) == MMARML_OK;
    pruned = status != NULL && strcmp(status, "pruned") == 0;
    if (pruned)
        mmarml_context_get_double(ctx, MMARML_KEY_PRUNED_VALUE, &value);
    mmarml_context_get_double(ctx, MMARML_KEY_JOB_LAST_STEP, &step);
    if (mmarml_context_get_bool(ctx, MMARML_KEY_JOB_RESTORED, &restored) == MMARML_OK &&
        restored)
        from = ", from the journal";
    if (mmarml_context_get_double(ctx, MMARML_KEY_MMAR_JOB_START, &start) == MMARML_OK) {
        if (mmarml_context_get_double(ctx, MMARML_KEY_JOB_END_TIME, &end) != MMARML_OK) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            end = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
        }
        took = end - start;
    }
    pace = pruned ? report_pace(ctx, took) : NAN;
    pthread_mutex_lock(&r->lock);
    r->done++;
    r->pruned += pruned;
    r->steps += step;
    worker_time_add(&r->held, took, ngpus, status, step, pace);
    r->failed += !ok && !pruned; /* a pruned job was stopped on purpose: not a failure */
    r->ok += ok && status != NULL && strcmp(status, "ok") == 0;
    if (ok && (!r->have_best || score > r->best)) {
        r->have_best = 1;
        r->best = score;
        snprintf(r->best_job, sizeof(r->best_job), "%s", name ? name : "?");
    }
    if (r->tty) {
        status_line(r);
    } else {
        if (ok)
            printf("%s %s score %.6g (%.1f s%s)\n", name ? name : "?", status, score, took,
                   from);
        else if (pruned)
            printf("%s pruned at step %g, value %.6g (%.1f s%s)\n", name ? name : "?", step,
                   value, took, from);
        else
            printf("%s %s (%.1f s%s)\n", name ? name : "?", status ? status : "?", took,
                   from);
        fflush(stdout);
    }
    pthread_mutex_unlock(&r->lock);
    mmarml_free(name);
    mmarml_free(status);
    mmarml_free(gpus);
    return MMARML_OK;
}

/* What the jobs held their workers for, for those who pay by the GPU-hour, and what pruning
 * saved them. */
static void print_worker_time(const run_state *r)
{
    unsigned counted;
    double saved;

    const worker_time *w = &r->held;

    if (w->gpu_s > 0) {
        printf("mmarml run: the jobs held their GPUs for %.2f GPU-hours (%.0f GPU-seconds)",
               w->gpu_s / 3600, w->gpu_s);
        if (w->gpu_pruned > 0)
            printf(", %.0f of them in the %u pruned jobs", w->gpu_s_pruned, w->gpu_pruned);
        printf("\n");
    }
    if ((saved = savings_estimate(&w->savings, 1, &counted)) > 0)
        printf("mmarml run: pruning saved about %.2f GPU-hours (%.0f GPU-seconds), the %u "
               "pruned jobs' remaining steps to step %g (the longest ok job's) at their own "
               "pace\n", saved / 3600, saved, counted, w->savings.full_steps);
    if (w->cpu_s > 0) {
        printf("mmarml run: jobs on workers without GPUs ran %.0f s", w->cpu_s);
        if (w->cpu_s_pruned > 0)
            printf(", %.0f of them in pruned jobs", w->cpu_s_pruned);
        printf("\n");
    }
    if ((saved = savings_estimate(&w->savings, 0, &counted)) > 0)
        printf("mmarml run: pruning saved about %.0f s on workers without GPUs, the %u "
               "pruned jobs' remaining steps to step %g (the longest ok job's) at their own "
               "pace\n", saved, counted, w->savings.full_steps);
}

static int on_end_automl(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_state *r = ud;

    (void)self;
    (void)ctx;
    mmarml_admin_server_stop(r->admin);
    r->admin = NULL;
    if (r->tty) { /* the final line: no job is running any more */
        pthread_mutex_lock(&r->lock);
        status_line(r);
        pthread_mutex_unlock(&r->lock);
        fputc('\n', stdout);
        fflush(stdout);
    }
    return MMARML_OK;
}

/* Watch for SIGINT/SIGTERM (and refresh the status line once a second on a terminal). */
static void *watch(void *arg)
{
    run_state *r = arg;
    struct pollfd fds[2] = {{r->sigfd, POLLIN, 0}, {r->quitfd, POLLIN, 0}};

    for (;;) {
        int n = poll(fds, 2, r->tty ? 1000 : -1);
        if (n < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(r->sigfd, &si, sizeof(si)) == sizeof(si) && r->signal == 0) {
                char msg[64];
                r->signal = (int)si.ssi_signo;
                snprintf(msg, sizeof(msg), "interrupted by %s",
                         si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
                fprintf(stderr, "\nmmarml run: %s: stopping every job\n", msg);
                mmarml_engine_stop(r->engine, msg);
            }
        } else if (n == 0) {
            pthread_mutex_lock(&r->lock);
            status_line(r);
            pthread_mutex_unlock(&r->lock);
        }
    }
    return NULL;
}

static const char *end_reason_text(int reason)
{
    switch (reason) {
    case MMARML_END_EXHAUSTED:
        return "the controller recommended nothing";
    case MMARML_END_STOP_ASKED:
        return "a component asked to stop";
    case MMARML_END_MAX_JOBS:
        return "max_jobs reached";
    case MMARML_END_MAX_SYS_RUN_TIME:
        return "max_sys_run_time reached";
    default:
        return "no reason given";
    }
}

static void log_to_stderr(void *ud, int level, const char *message)
{
    (void)ud;
    if (level <= MMARML_LOG_WARNING)
        fprintf(stderr, "mmarml run: %s\n", message);
}

/* --set key=value ...: every following word with a '=' that is not an option. */
static int parse_run(int argc, char **argv, const char **mmar, const char **automlconf,
                     json_t *vars)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_run, stdout);
            return 0;
        } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--mmar") == 0) && i + 1 < argc) {
            *mmar = argv[++i];
        } else if ((strcmp(a, "-a") == 0 || strcmp(a, "--automlconf") == 0) && i + 1 < argc) {
            *automlconf = argv[++i];
        } else if (strcmp(a, "-r") == 0 || strcmp(a, "--resume") == 0) {
            json_object_set_new(vars, "resume", json_string("1"));
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--set") == 0) {
            int any = 0;
            /* Clara's automl.sh and automlBYOC.sh pass their own positional words after the
             * key=value ones ("... traceout=console trn_autoML_Enum"): Clara ignored them,
             * and so do we, saying so */
            while (i + 1 < argc && argv[i + 1][0] != '-') {
                char *eq = strchr(argv[++i], '=');
                if (eq == NULL || eq == argv[i]) {
                    fprintf(stderr, "mmarml run: ignoring '%s' after --set: not a key=value "
                            "word\n", argv[i]);
                    continue;
                }
                *eq = '\0';
                json_object_set_new(vars, argv[i], json_string(eq + 1));
                *eq = '=';
                any = 1;
            }
            if (!any) {
                fprintf(stderr, "mmarml run: --set needs key=value words\n\n%s", usage_run);
                return 1;
            }
        } else {
            fprintf(stderr, "mmarml run: unknown or incomplete option '%s'\n\n%s", a, usage_run);
            return 1;
        }
    }
    if (*mmar == NULL) {
        fprintf(stderr, "mmarml run: -m <mmar> is required\n\n%s", usage_run);
        return 1;
    }
    if (json_object_get(vars, "resume") != NULL && json_object_get(vars, "run_id") == NULL) {
        fprintf(stderr, "mmarml run: --resume needs the run_id of the run to resume "
                "(--set run_id=...; it is the last part of the run root)\n");
        return 1;
    }
    return -1;
}

/* The run's page (mmarml report, report.c): say where it is, or why there is none. It never
 * changes the run's exit status. */
static void write_report(const char *run_root)
{
    char *path = NULL;

    if (run_root == NULL || asprintf(&path, "%s/report.html", run_root) < 0)
        return;
    if (report_write_file(run_root, NULL, path) == MMARML_OK)
        printf("mmarml run: report %s\n", path);
    else
        fprintf(stderr, "mmarml run: no report: %s\n", mmarml_error_message());
    free(path);
}

static void print_summary(const char *run_root)
{
    char path[4096], line[1024];
    FILE *f;

    if (run_root == NULL)
        return;
    snprintf(path, sizeof(path), "%s/summary.txt", run_root);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL)
        fputs(line, stdout);
    fclose(f);
}

int cli_run(int argc, char **argv)
{
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_automl = on_start_automl,
        .search_space_available = on_space,
        .end_job = on_end_job,
        .end_automl = on_end_automl,
    };
    const char *mmar = NULL, *automlconf = NULL;
    json_t *vars = json_object();
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_handler *h = NULL;
    run_state r;
    pthread_t watcher;
    sigset_t mask;
    int rc, status = 1, watching = 0;
    uint64_t one = 1;

    memset(&r, 0, sizeof(r));
    pthread_mutex_init(&r.lock, NULL);
    r.sigfd = r.quitfd = -1;
    rc = parse_run(argc, argv, &mmar, &automlconf, vars);
    if (rc >= 0) {
        json_decref(vars);
        return rc == 0 ? 0 : 2;
    }
    r.resuming = json_object_get(vars, "resume") != NULL;
    /* block the signals in every thread to come; the watcher reads them */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    r.quitfd = eventfd(0, EFD_CLOEXEC);
    r.tty = isatty(STDOUT_FILENO);
    r.started = now_s();

    if ((rc = mmarml_registry_new(&reg)) == MMARML_OK &&
        (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK) {
        mmarml_context_set_log_fn(ctx, log_to_stderr, NULL, MMARML_LOG_WARNING);
        rc = mmarml_automl_engine_new(&r.engine, ctx, reg, mmar, automlconf, vars);
    }
    if (rc == MMARML_OK && (rc = mmarml_handler_new(&h, &vt, &r)) == MMARML_OK)
        rc = mmarml_engine_add_handler(r.engine, h);
    if (rc == MMARML_OK && r.sigfd >= 0 && r.quitfd >= 0 &&
        pthread_create(&watcher, NULL, watch, &r) == 0)
        watching = 1;
    if (rc == MMARML_OK)
        rc = mmarml_engine_run(r.engine, ctx);
    if (watching) {
        if (write(r.quitfd, &one, sizeof(one)) == sizeof(one))
            pthread_join(watcher, NULL);
    }
    if (rc == MMARML_ESTORAGE) {
        fprintf(stderr, "mmarml run: %s\n", mmarml_error_message());
        print_summary(r.run_root);
        print_worker_time(&r);
        status = 3;
    } else if (rc != MMARML_OK) {
        fprintf(stderr, "mmarml run: %s\n", mmarml_error_message());
        status = 1;
    } else {
        if (mmarml_engine_end_reason(r.engine) == MMARML_END_ALREADY_FINISHED)
            printf("mmarml run: the run %s has ended already; nothing to resume\n",
                   r.run_root ? r.run_root : "");
        print_summary(r.run_root);
        if (r.steps > 0) /* trainers reported progress: what the search spent, in steps */
            printf("mmarml run: %u jobs (%u pruned) trained %.0f steps in all\n", r.done,
                   r.pruned, r.steps);
        print_worker_time(&r);
        if (mmarml_engine_end_reason(r.engine) != MMARML_END_ALREADY_FINISHED)
            write_report(r.run_root); /* a finished run resumed again writes nothing */
        status = r.signal == SIGINT ? 130 : r.signal == SIGTERM ? 143 : 0;
        /* a run with nothing to show is not a success a script should take for one */
        if (status == 0 && r.ok == 0 &&
            mmarml_engine_end_reason(r.engine) != MMARML_END_ALREADY_FINISHED) {
            if (r.done == 0)
                fprintf(stderr, "mmarml run: the run ended without running any job (%s)\n",
                        end_reason_text(mmarml_engine_end_reason(r.engine)));
            else
                fprintf(stderr, "mmarml run: no job ended ok (%u ended)\n", r.done);
            status = 4;
        }
    }
    mmarml_admin_server_stop(r.admin); /* when end_automl did not come */
    r.admin = NULL;
    mmarml_handler_unref(h);
    mmarml_engine_unref(r.engine);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    json_decref(vars);
    mmarml_free(r.run_root);
    worker_time_free(&r.held);
    if (r.sigfd >= 0)
        close(r.sigfd);
    if (r.quitfd >= 0)
        close(r.quitfd);
    pthread_mutex_destroy(&r.lock);
    return status;
}

static const char *const usage_admin =
    "usage: mmarml admin <run_root> <command> [worker]\n"
    "\n"
    "Talks to a live run through <run_root>/admin.sock. Commands: list_workers,\n"
    "show_worker W, suspend_worker W, resume_worker W, abort_worker W, stop, status, summary.\n"
    "\n"
    "  -h, --help  this text\n"
    "\n"
    "Exit status: 0 the run answered ok, 1 it answered with an error, 2 bad usage or\n"
    "nothing answered.\n";

int cli_admin(int argc, char **argv)
{
    char *sock = NULL, *reply = NULL, command[256];
    json_t *j, *result;
    int status;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage_admin, stdout);
        return 0;
    }
    if (argc < 3 || argc > 4) {
        fputs(usage_admin, stderr);
        return 2;
    }
    snprintf(command, sizeof(command), "%s%s%s", argv[2], argc == 4 ? " " : "",
             argc == 4 ? argv[3] : "");
    if (asprintf(&sock, "%s/admin.sock", argv[1]) < 0)
        return 2;
    if (mmarml_admin_request(&reply, sock, command) != MMARML_OK) {
        fprintf(stderr, "mmarml admin: %s\n", mmarml_error_message());
        free(sock);
        return 2;
    }
    free(sock);
    j = json_loads(reply, 0, NULL);
    result = json_object_get(j, "result");
    if (json_is_true(json_object_get(j, "ok"))) {
        if (json_is_string(result))
            fputs(json_string_value(result), stdout);
        else if (!json_is_null(result) && result != NULL)
            json_dumpf(result, stdout, JSON_INDENT(2)), fputc('\n', stdout);
        else
            printf("ok\n");
        status = 0;
    } else {
        fprintf(stderr, "mmarml admin: %s\n",
                json_string_value(json_object_get(j, "error")) ? json_string_value(
                                                                    json_object_get(j, "error"))
                                                              : reply);
        status = 1;
    }
    json_decref(j);
    mmarml_free(reply);
    return status;
}
