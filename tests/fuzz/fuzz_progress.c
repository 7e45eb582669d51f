/*
 * Fuzz target for following a job's progress (lib/mmar/progress.c): the input is what a
 * trainer wrote, split at the first line "%%" into its progress file and its log (without
 * it, all of it is the progress file). Two jobs of an engine with a MedianPruner (one
 * start-up job, pruned values counted) and a WilcoxonPruner (its pairs' differences and
 * means may overflow) follow the same files as the MMAR executors do, so that the second
 * job's reports are judged and may be stopped, and the log goes through a
 * progress_regex (with an optional time group) and a progress_metric. An input of odd
 * length runs with steps taken once each in any order (MMARML_REPORT_STEPS_UNIQUE), an even
 * one with increasing steps. Any crash, sanitizer report or leak is a finding, and so is a
 * report the engine took that the files did not hold (more reports than lines).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mmarml.h>

#include "../../lib/mmar/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *file, *log;
    size_t file_size, log_size;
    const mmar_progress_config *cfg;
    char root[64];
    int failed;
} fuzz_job;

/* The pruner: MedianPruner or WilcoxonPruner, both told everything, and a count of the
 * reports the engine gave it. */
typedef struct {
    mmarml_pruner *median, *wilcoxon;
    size_t reports;
} counting;

static int count_report(int *stop_out, mmarml_pruner *self, const char *job,
                        uint64_t job_number, double step, double value, mmarml_context *ctx,
                        void *ud)
{
    counting *c = ud;
    int by_median = 0, by_wilcoxon = 0, rc, rc_wilcoxon;

    (void)self;
    c->reports++;
    rc = mmarml_pruner_report(&by_median, c->median, job, job_number, step, value, ctx);
    rc_wilcoxon =
        mmarml_pruner_report(&by_wilcoxon, c->wilcoxon, job, job_number, step, value, ctx);
    *stop_out = by_median || by_wilcoxon;
    return rc != MMARML_OK ? rc : rc_wilcoxon;
}

static void count_job_ended(mmarml_pruner *self, const char *job, uint64_t job_number,
                            int status, void *ud)
{
    counting *c = ud;

    (void)self;
    mmarml_pruner_job_ended(c->median, job, job_number, status);
    mmarml_pruner_job_ended(c->wilcoxon, job, job_number, status);
}

static int write_file(const char *root, const char *name, const uint8_t *data, size_t size)
{
    char path[128];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", root, name);
    if ((f = fopen(path, "wb")) == NULL)
        return -1;
    ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int space(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                 void *ud)
{
    (void)self, (void)ctx, (void)ud;
    if (mmarml_search_space_new(out, "fuzz") != MMARML_OK)
        return MMARML_ENOMEM;
    return mmarml_search_space_add_float(*out, "x.float.$0:x", "x", 0, 1, 0);
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    fuzz_job *f = ud;
    mmar_progress *p = NULL;

    (void)self, (void)rec;
    if (write_file(f->root, MMAR_PROGRESS_FILE, f->file, f->file_size) != 0 ||
        write_file(f->root, MMARML_MMAR_LOG_FILE, f->log, f->log_size) != 0 ||
        mmar_progress_start(&p, f->cfg, job, f->root) != MMARML_OK) {
        f->failed = 1;
        *status = MMARML_JOB_FAILED;
        return MMARML_OK;
    }
    mmar_progress_finish(p); /* reads every line, as after a trainer that ended */
    *status = MMARML_JOB_OK;
    *score = 0;
    return MMARML_OK;
}

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 0, i;

    for (i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mmarml_executor_vtable vt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = space,
        .execute = execute,
    };
    static const mmarml_pruner_vtable counting_vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = count_report,
        .job_ended = count_job_ended,
    };
    static const char split[] = "\n%%\n";
    const uint8_t *at = memmem(data, size, split, sizeof(split) - 1);
    json_t *args = json_pack("{s:s, s:[n,s,s,s], s:s}", "progress_regex",
                             "^(([-0-9T:.,+Z ]+) )?step ([0-9]+) [a-z_]*: ?([-+0-9.eE]+)",
                             "progress_regex_groups", "time", "step", "value",
                             "progress_metric", "acc");
    mmar_progress_config cfg;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *pruner = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine_options o;
    fuzz_job f;
    counting c = {NULL, NULL, 0};
    char path[128];

    memset(&f, 0, sizeof(f));
    f.file = data;
    f.file_size = at != NULL ? (size_t)(at - data) + 1 : size; /* the line ends before %% */
    f.log = at != NULL ? at + sizeof(split) - 1 : data + size;
    f.log_size = at != NULL ? size - (size_t)(f.log - data) : 0;
    f.cfg = &cfg;
    snprintf(f.root, sizeof(f.root), "/tmp/mmarml-fuzz-progress-XXXXXX");
    if (args == NULL || mkdtemp(f.root) == NULL ||
        mmar_progress_config_parse(&cfg, args, "fuzz", 0.1) != MMARML_OK)
        abort(); /* the harness itself is broken */
    json_decref(args);
    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    o.workers = "-";
    if (mmarml_controller_new_random(&ctl, 2, 0) != MMARML_OK ||
        mmarml_executor_new(&exe, &vt, &f) != MMARML_OK ||
        mmarml_pruner_new_median_ex(&c.median, 1, 0, 1, -1, MMARML_MEDIAN_INCLUDE_PRUNED) !=
            MMARML_OK ||
        mmarml_pruner_new_wilcoxon(&c.wilcoxon, 0.2, 2) != MMARML_OK ||
        mmarml_pruner_new(&pruner, &counting_vt, &c) != MMARML_OK ||
        mmarml_engine_new(&e, ctl, exe, &o) != MMARML_OK ||
        mmarml_engine_set_pruner(e, pruner, MMARML_PRUNED_SCORE_BEST) != MMARML_OK ||
        mmarml_engine_set_report_steps(e, size % 2 ? MMARML_REPORT_STEPS_UNIQUE
                                                   : MMARML_REPORT_STEPS_INCREASING) !=
            MMARML_OK ||
        mmarml_context_new(&ctx, NULL) != MMARML_OK || mmarml_engine_run(e, ctx) != MMARML_OK)
        abort(); /* bad progress lines must never fail a run */
    /* each of the two jobs reads each line once at most */
    if (f.failed || c.reports > 2 * (count_lines(f.file, f.file_size) +
                                     count_lines(f.log, f.log_size)))
        abort();
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_pruner_unref(pruner);
    mmarml_pruner_unref(c.median);
    mmarml_pruner_unref(c.wilcoxon);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    mmar_progress_config_free(&cfg);
    /* the two files are all the job root holds */
    snprintf(path, sizeof(path), "%s/%s", f.root, MMAR_PROGRESS_FILE);
    if (unlink(path) != 0)
        abort();
    snprintf(path, sizeof(path), "%s/%s", f.root, MMARML_MMAR_LOG_FILE);
    if (unlink(path) != 0 || rmdir(f.root) != 0)
        abort();
    return 0;
}
