/*
 * A long run's journal at scale (bench/README.md, "Report"): a journaled run of N in-process
 * jobs (RandomController, a log float, an int and an enum, 10 progress reports per job,
 * MedianPruner, every 20th job failing), then the time to read its journal
 * (mmarml_journal_read, the floor any report pays), the time `mmarml report` takes to write
 * the page, its peak memory (the largest resident set of its process, from GNU time, Debian's
 * `time`; -1 without it: a child forked from this process would count this one's pages),
 * and the page's size; then the time and peak memory of resuming the run when it died
 * right after its last job (the journal without its end_run record: every job is replayed,
 * none is left to run), in a process of its own. Medians of 3. One JSON line per size.
 *
 * Usage: bench/report [mmarml binary] [jobs ...]   (defaults ./tools/mmarml, 1000 10000;
 *        run from the build directory). REPORTS=n: n reports per job instead of 10;
 *        PRUNE=0: no pruner, so that every job reports them all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mmarml.h>

/* Progress reports per job (REPORTS), and whether a MedianPruner stops jobs (PRUNE). */
static int steps_per_job = 10, prune = 1;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    json_t *choices = json_pack("[s,s,s,s]", "resnet", "unet", "segresnet", "vnet");
    int rc;

    (void)self, (void)ctx, (void)ud;
    if ((rc = mmarml_search_space_new(out, "config_train.json")) == MMARML_OK &&
        (rc = mmarml_search_space_add_float(*out, "lr.float.$0:learning_rate", "lr", 1e-5, 1e-1,
                                            MMARML_PARAM_F_LOG)) == MMARML_OK &&
        (rc = mmarml_search_space_add_int(*out, "net.int.$0:depth", "net", 2, 9, 0)) ==
            MMARML_OK)
        rc = mmarml_search_space_add_enum(*out, "net.enum.$0:model", "net", choices);
    json_decref(choices);
    return rc;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    const double *x = mmarml_recommendation_values(rec);
    double q = 0.9 - 0.02 * fabs(log10(x[0]) + 3) - 0.01 * fabs(x[1] - 5) - 0.02 * x[2], v = 0;
    int t, stop = 0;
    static unsigned n;

    (void)self, (void)ud;
    if (__atomic_add_fetch(&n, 1, __ATOMIC_RELAXED) % 20 == 0) {
        *status = MMARML_JOB_FAILED;
        return MMARML_OK;
    }
    for (t = 1; t <= steps_per_job && !stop; t++) {
        v = q * (1 - exp(-0.4 * t));
        mmarml_job_report(job, t, v, &stop);
    }
    *status = stop ? MMARML_JOB_ABORTED : MMARML_JOB_OK;
    *score = v;
    return MMARML_OK;
}

/* Run (or, `resume`, resume) the journaled run of `jobs` jobs. */
static int make_run(const char *journal, unsigned jobs, int resume)
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
    int rc;

    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    o.workers = "-:-";
    o.journal = journal;
    o.resume = resume;
    if ((rc = mmarml_controller_new_random(&ctl, jobs, 1)) == MMARML_OK &&
        (rc = mmarml_executor_new(&exe, &evt, NULL)) == MMARML_OK &&
        (rc = mmarml_pruner_new_median(&p, 5, 3, 1)) == MMARML_OK &&
        (rc = mmarml_engine_new(&e, ctl, exe, &o)) == MMARML_OK &&
        (!prune || (rc = mmarml_engine_set_pruner(e, p, MMARML_PRUNED_SCORE_BEST)) ==
                       MMARML_OK) &&
        (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK)
        rc = mmarml_engine_run(e, ctx);
    if (rc != MMARML_OK)
        fprintf(stderr, "report bench: %s\n", mmarml_error_message());
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_pruner_unref(p);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    return rc;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* A copy of `journal` at `copy` without its last record (end_run): a run that died there. */
static int copy_without_end(const char *journal, const char *copy)
{
    FILE *in = fopen(journal, "rb"), *out = fopen(copy, "wb");
    char *line = NULL, *held = NULL;
    size_t cap = 0, held_cap = 0;
    ssize_t n, held_len = -1;
    int rc = in != NULL && out != NULL ? 0 : -1;

    while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
        /* write each line once the next one is read: the last is never written */
        if (held_len >= 0 && fwrite(held, 1, (size_t)held_len, out) != (size_t)held_len)
            rc = -1;
        if ((size_t)n + 1 > held_cap) {
            char *more = realloc(held, held_cap = (size_t)n + 1);
            if (more == NULL) {
                rc = -1;
                break;
            }
            held = more;
        }
        memcpy(held, line, (size_t)n);
        held_len = n;
    }
    free(line);
    free(held);
    if (in != NULL)
        fclose(in);
    if (out != NULL && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* The kilobytes GNU time wrote to `path` (-1: none). */
static double read_peak_kb(const char *path)
{
    FILE *f = fopen(path, "r");
    double kb = -1;

    if (f != NULL) {
        if (fscanf(f, "%lf", &kb) != 1)
            kb = -1;
        fclose(f);
    }
    return kb;
}

/* Run `cmd` in a process of its own: its wall time and (with GNU time, written to
 * `peak_file`) its peak resident set in KB, else -1. */
static int measure(const char *cmd, const char *peak_file, double *secs, double *peak_kb)
{
    static char line[1600];
    int gnu_time = access("/usr/bin/time", X_OK) == 0;
    double t;

    snprintf(line, sizeof(line), "%s%s %s", gnu_time ? "/usr/bin/time -f %M -o " : "",
             gnu_time ? peak_file : "", cmd);
    t = now();
    if (system(line) != 0) {
        fprintf(stderr, "report bench: %s failed\n", line);
        return -1;
    }
    *secs = now() - t;
    *peak_kb = gnu_time ? read_peak_kb(peak_file) : -1;
    return 0;
}

static double median3(double *v)
{
    qsort(v, 3, sizeof(double), by_value);
    return v[1];
}

int main(int argc, char **argv)
{
    const char *mmarml = argc > 1 ? argv[1] : "./tools/mmarml";
    unsigned sizes[8] = {1000, 10000}, nsizes = 2, s, k;
    char dir[] = "/tmp/mmarml-report-bench-XXXXXX", journal[256], page[256], cmd[1400];

    if (getenv("REPORTS") != NULL && atoi(getenv("REPORTS")) > 0)
        steps_per_job = atoi(getenv("REPORTS"));
    if (getenv("PRUNE") != NULL)
        prune = atoi(getenv("PRUNE")) != 0;
    if (argc == 4 && strcmp(argv[1], "--resume") == 0) /* the resuming process */
        return make_run(argv[2], (unsigned)atoi(argv[3]), 1) == MMARML_OK ? 0 : 1;
    if (argc > 2)
        for (nsizes = 0; nsizes < 8 && (int)nsizes + 2 < argc; nsizes++)
            sizes[nsizes] = (unsigned)atoi(argv[nsizes + 2]);
    if (access(mmarml, X_OK) != 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "usage: report [mmarml binary] [jobs ...] (no %s?)\n", mmarml);
        return 2;
    }
    for (s = 0; s < nsizes; s++) {
        double read_s[3], report_s[3], peak_kb[3], resume_s[3], resume_kb[3], t;
        char peak_file[300], resumed[300];
        struct stat st;
        snprintf(journal, sizeof(journal), "%s/journal-%u.mmarml", dir, sizes[s]);
        snprintf(page, sizeof(page), "%s/report-%u.html", dir, sizes[s]);
        snprintf(resumed, sizeof(resumed), "%s/resumed-%u.mmarml", dir, sizes[s]);
        if (make_run(journal, sizes[s], 0) != MMARML_OK)
            return 1;
        for (k = 0; k < 3; k++) {
            json_t *records = NULL;
            t = now();
            if (mmarml_journal_read(&records, journal, NULL) != MMARML_OK)
                return 1;
            read_s[k] = now() - t;
            json_decref(records);
            snprintf(peak_file, sizeof(peak_file), "%s/peak", dir);
            snprintf(cmd, sizeof(cmd), "%s report %s --journal %s -o %s 2>/dev/null", mmarml,
                     dir, journal, page);
            if (measure(cmd, peak_file, &report_s[k], &peak_kb[k]) != 0)
                return 1;
            if (copy_without_end(journal, resumed) != 0) {
                fprintf(stderr, "report bench: cannot write %s\n", resumed);
                return 1;
            }
            snprintf(cmd, sizeof(cmd), "/proc/%d/exe --resume %s %u", (int)getpid(), resumed,
                     sizes[s]);
            if (measure(cmd, peak_file, &resume_s[k], &resume_kb[k]) != 0)
                return 1;
        }
        stat(journal, &st);
        printf("{\"jobs\": %u, \"reports_per_job\": %d, \"pruner\": %s, "
               "\"journal_bytes\": %lld, ", sizes[s], steps_per_job, prune ? "true" : "false",
               (long long)st.st_size);
        stat(page, &st);
        printf("\"page_bytes\": %lld, \"journal_read_s\": %.4f, \"report_s\": %.4f, "
               "\"report_over_read\": %.2f, \"report_peak_kb\": %.0f, \"resume_s\": %.4f, "
               "\"resume_peak_kb\": %.0f}\n",
               (long long)st.st_size, median3(read_s), median3(report_s),
               median3(report_s) / median3(read_s), median3(peak_kb), median3(resume_s),
               median3(resume_kb));
        fflush(stdout);
        if (getenv("KEEP") == NULL) {
            unlink(journal);
            unlink(resumed);
            unlink(page);
            unlink(peak_file);
        }
    }
    if (getenv("KEEP") == NULL)
        rmdir(dir);
    else
        fprintf(stderr, "kept in %s\n", dir);
    return 0;
}
