/*
 * Fuzz target for the command, not only the parser: the input is a config_automl.json and a
 * config_train.json (separated by a line "%%"; without it, the input is the AutoML config
 * and the training config is the seed's). Both are written into a real MMAR whose round
 * script trains nothing (it reports three epochs of progress and a score at once, so a
 * configured pruner has something to judge), and `mmarml run` runs on it in this
 * process, as the command does. Any crash, sanitizer report or leak is a finding, and so is
 * a run that outlives its max_sys_run_time (libFuzzer's -timeout).
 *
 * Two things are fixed before the run, so that a mutation cannot make the fuzzer wait or
 * write outside its MMAR: engine.max_sys_run_time is at most 3 s, and handlers' `work_dir`
 * args are dropped (the run root stays <mmar>/automl). A config that is not JSON is written
 * as it came.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mmarml.h>

#include "../../tools/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Three epochs of progress, in the progress file and in the log, for a pruner to judge:
 * each job a little worse than the one before (the job number ends its MMAR's name), so
 * that pruners stop some. */
static const char round_script[] =
    "#!/bin/sh\n"
    "cd \"$MMAR_ROOT\" || exit 99\n"
    "mkdir -p models\n"
    "n=${MMAR_ROOT##*J}; d=$((9 - ${n:-0} % 10))\n"
    "for step in 1 2 3; do\n"
    "  echo \"{\\\"step\\\": $step, \\\"value\\\": 0.$step$d, \\\"metric\\\": \\\"acc\\\"}\" "
    ">> \"${MMARML_PROGRESS_FILE:-/dev/null}\"\n"
    "  echo \"step $step acc: 0.$step$d\"\n"
    "done\n"
    "echo '{\"best_validation_metric\": 0.5}' > models/train_stats.json\n";

static const char default_train[] =
    "{\"epochs\": 1, \"learning_rate\": 0.001,\n"
    " \"search\": [{\"domain\": \"lr\", \"type\": \"float\", \"args\": [\"learning_rate\"],\n"
    "             \"targets\": [0.0001, 0.01]}]}\n";

static char mmar[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path); /* what cannot go stays: the next run says so */
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_mmar(void)
{
    remove_tree(mmar);
}

static int write_file(const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    const char *p = data;

    if (fd < 0)
        return -1;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0)
            break;
        p += n;
        size -= (size_t)n;
    }
    close(fd);
    return size == 0 ? 0 : -1;
}

/* The MMAR, once: on tmpfs where there is one (the run fsyncs its journal and stats). */
static int make_mmar(void)
{
    char path[128];
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    if (mmar[0] != '\0')
        return 0;
    snprintf(mmar, sizeof(mmar), "%s/mmarml-fuzz-run-XXXXXX", base);
    if (mkdtemp(mmar) == NULL)
        return -1;
    atexit(remove_mmar);
    snprintf(path, sizeof(path), "%s/config", mmar);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/commands", mmar);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/commands/automl_train_round.sh", mmar);
    return write_file(path, round_script, sizeof(round_script) - 1, 0755);
}

/* The AutoML config as the run will see it: see the top of the file. */
static char *tame(const char *text, size_t size, size_t *out_size)
{
    json_t *j = json_loadb(text, size, 0, NULL), *engine, *handlers, *h, *limit;
    char *out;
    size_t i;

    if (!json_is_object(j)) {
        json_decref(j);
        out = malloc(size + 1);
        if (out != NULL)
            memcpy(out, text, size);
        *out_size = size;
        return out;
    }
    engine = json_object_get(j, "engine");
    if (json_is_object(engine)) {
        limit = json_object_get(engine, "max_sys_run_time");
        if (limit == NULL || (json_is_number(limit) && json_number_value(limit) > 3))
            json_object_set_new(engine, "max_sys_run_time", json_integer(3));
    } else if (engine == NULL) {
        json_object_set_new(j, "engine", json_pack("{s:i}", "max_sys_run_time", 3));
    }
    handlers = json_object_get(j, "handlers");
    json_array_foreach(handlers, i, h)
        if (json_is_object(json_object_get(h, "args")))
            json_object_del(json_object_get(h, "args"), "work_dir");
    out = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(j);
    *out_size = out != NULL ? strlen(out) : 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n%%\n";
    const char *text = (const char *)data, *train = default_train;
    size_t automl_size = size, train_size = sizeof(default_train) - 1, tamed_size = 0;
    char path[160], *automl, run[] = "run", m[] = "-m", set[] = "--set", id[] = "run_id=f";
    char *argv[] = {run, m, mmar, set, id, NULL};
    const char *at;

    if (make_mmar() != 0)
        return 0;
    at = memmem(text, size, sep, sizeof(sep) - 1);
    if (at != NULL) {
        automl_size = (size_t)(at - text);
        train = at + sizeof(sep) - 1;
        train_size = size - automl_size - (sizeof(sep) - 1);
    }
    automl = tame(text, automl_size, &tamed_size);
    if (automl == NULL)
        return 0;
    snprintf(path, sizeof(path), "%s/config/config_automl.json", mmar);
    write_file(path, automl, tamed_size, 0644);
    free(automl);
    snprintf(path, sizeof(path), "%s/config/config_train.json", mmar);
    write_file(path, train, train_size, 0644);
    cli_run(5, argv);
    snprintf(path, sizeof(path), "%s/automl", mmar);
    remove_tree(path);
    return 0;
}
