/*
 * Fuzz target for resuming a run (lib/core/engine_resume.c) from a journal whose records are
 * well framed but may say anything. Each line of the input becomes one record, framed with
 * its length and CRC-32C as the journal writes them (docs/resume.md), so that mutations
 * reach past the checksums into what the records hold. The run resumed is small: a
 * TPEController of 4 jobs, one worker, a MedianPruner, an executor that reports three steps
 * per job. Any crash, sanitizer report or leak is a finding, and so are a resume that fails
 * without saying why and one that loses a record: afterwards the journal must begin with
 * every byte it had. Before the resume, `mmarml prune-replay` (tools/prune_replay.c) replays
 * the same journal through MedianPruner and LearnedCurvePruner (which reads each job's
 * recommendation): it must say what it did or why not, never fail on its usage.
 *
 * The seeds (tests/fuzz/resume-corpus) are journals of this very run, whole and cut short;
 * built with -DFUZZ_RESUME_MAKE_SEED this file is a program that writes such a journal's
 * records, one per line, to stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mmarml.h>

#include "../../tools/cli.h"
#include "../crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int space(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                 void *ud)
{
    (void)self, (void)ctx, (void)ud;
    if (mmarml_search_space_new(out, "fuzz") != MMARML_OK ||
        mmarml_search_space_add_float(*out, "a.float.$0:a", "x", 0, 1, 0) != MMARML_OK)
        return MMARML_ENOMEM;
    return mmarml_search_space_add_float(*out, "b.float.$0:b", "x", -1, 1, 0);
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    const double *x = mmarml_recommendation_values(rec);
    int t, stop = 0;

    (void)self, (void)ud;
    for (t = 1; t <= 3 && !stop; t++)
        if (mmarml_job_report(job, t, x[0] * t / 3 - x[1] * x[1], &stop) != MMARML_OK)
            return MMARML_EINVAL;
    *status = stop ? MMARML_JOB_ABORTED : MMARML_JOB_OK;
    *score = x[0] - x[1] * x[1];
    return MMARML_OK;
}

/* The run, fresh or resumed, with its journal at `path`. */
static int run(const char *path, int resume)
{
    static const mmarml_executor_vtable vt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = space,
        .execute = execute,
    };
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *pruner = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine_options o;
    int rc;

    mmarml_engine_options_init(&o, MMARML_ENGINE_OPTIONS_VERSION);
    o.workers = "-";
    o.journal = path;
    o.resume = resume;
    if (mmarml_controller_new_tpe(&ctl, 4, 0, 2) != MMARML_OK ||
        mmarml_executor_new(&exe, &vt, NULL) != MMARML_OK ||
        mmarml_pruner_new_median(&pruner, 1, 0, 1) != MMARML_OK ||
        mmarml_engine_new(&e, ctl, exe, &o) != MMARML_OK ||
        mmarml_engine_set_pruner(e, pruner, MMARML_PRUNED_SCORE_BEST) != MMARML_OK ||
        mmarml_context_new(&ctx, NULL) != MMARML_OK)
        abort(); /* the harness itself is broken */
    rc = mmarml_engine_run(e, ctx);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_pruner_unref(pruner);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    return rc;
}

/* Frame each line of `data` as a record; the journal's bytes (malloc'd) and their size. */
static char *frame_lines(const uint8_t *data, size_t size, size_t *out_size)
{
    size_t lines = 1, from = 0, i;
    char *out, *p;

    for (i = 0; i < size; i++)
        lines += data[i] == '\n';
    /* "J1 <length> <crc> " is at most 33 bytes, the newline one more */
    if ((out = p = malloc(size + lines * 34)) == NULL)
        abort();
    for (i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        if (i > from) {
            size_t n = i - from;
            p += sprintf(p, "J1 %zu %08x ", n, test_crc32c(data + from, n));
            memcpy(p, data + from, n);
            p[n] = '\n';
            p += n + 1;
        }
        from = i + 1;
    }
    *out_size = (size_t)(p - out);
    return out;
}

static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
        fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* `mmarml prune-replay` on the journal at `path` with the pruner `spec`, as lines and as
 * JSON; what it prints goes to /dev/null (it is not the finding). */
static void prune_replay(const char *path, const char *spec)
{
    char *lines[] = {"prune-replay", "-p", (char *)spec, "--journal", (char *)path, "/", NULL};
    char *json[] = {"prune-replay", "--json", "-p", (char *)spec, "--journal", (char *)path,
                    "/", NULL};
    int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), status, k;

    if (out < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
        abort();
    for (k = 0; k < 2; k++) {
        mmarml_error_clear();
        status = k == 0 ? cli_prune_replay(6, lines) : cli_prune_replay(7, json);
        if (status == 2 || (status == 1 && mmarml_error_message()[0] == '\0'))
            abort(); /* its own usage refused, or a refusal without a word */
    }
    fflush(stdout);
    if (dup2(out, STDOUT_FILENO) < 0)
        abort();
    close(out);
    close(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[] = "/tmp/mmarml-fuzz-resume-XXXXXX", path[64], *journal, *after;
    size_t journal_size, after_size;
    FILE *f;
    int rc;

    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/journal.mmarml", dir);
    journal = frame_lines(data, size, &journal_size);
    if ((f = fopen(path, "wb")) == NULL || fwrite(journal, 1, journal_size, f) != journal_size ||
        fclose(f) != 0)
        abort();
    prune_replay(path, "{\"name\": \"MedianPruner\", \"args\": {\"n_startup_trials\": 1}}");
    prune_replay(path, "{\"name\": \"LearnedCurvePruner\", \"args\": {\"n_startup_trials\": 1}}");
    rc = run(path, 1);
    if (rc != MMARML_OK && mmarml_error_message()[0] == '\0')
        abort(); /* refused without a word */
    after = slurp(path, &after_size);
    if (after_size < journal_size || memcmp(after, journal, journal_size) != 0)
        abort(); /* a record that was there is gone or changed */
    free(journal);
    free(after);
    if (unlink(path) != 0 || rmdir(dir) != 0)
        abort(); /* the run left something beside its journal */
    return 0;
}

#ifdef FUZZ_RESUME_MAKE_SEED
int main(void)
{
    char dir[] = "/tmp/mmarml-fuzz-resume-XXXXXX", path[64];
    json_t *records, *r;
    size_t i;

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/journal.mmarml", dir);
    if (run(path, 0) != MMARML_OK || mmarml_journal_read(&records, path, NULL) != MMARML_OK)
        return 1;
    json_array_foreach(records, i, r) {
        char *line = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(17));
        puts(line);
        free(line);
    }
    json_decref(records);
    unlink(path);
    rmdir(dir);
    return 0;
}
#endif
