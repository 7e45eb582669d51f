#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_mmar.h"

double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    fputs(text, f);
    fclose(f);
    return chmod(path, mode);
}

int bench_make_mmar(char *dir, const char *script_body, const char *automl)
{
    char sub[512], script[2048];
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, 64, "%s/mmarml-bench-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(sub, sizeof(sub), "%s/config", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof(sub), "%s/commands", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof(sub), "%s/models", dir);
    mkdir(sub, 0755);
    snprintf(script, sizeof(script), "#!/bin/sh\ncd \"$MMAR_ROOT\" || exit 1\n%s\n",
             script_body);
    if (write_file(dir, "config/config_train.json",
                   "{\"learning_rate\": 0.001, \"search\": [{\"domain\": \"lr\", \"type\": "
                   "\"float\", \"args\": [\"learning_rate\"], \"targets\": [0.0001, 0.01]}]}\n",
                   0644) != 0 ||
        write_file(dir, "config/config_automl.json", automl, 0644) != 0 ||
        write_file(dir, "commands/automl_train_round.sh", script, 0755) != 0)
        return -1;
    return 0;
}

void bench_remove(const char *dir)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: cannot remove %s\n", dir);
}

int bench_run(const char *dir, const char *run_id, mmarml_handler *handler, double *seconds)
{
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *engine = NULL;
    json_t *vars = json_pack("{s:s, s:s}", "run_id", run_id, "traceout", "none");
    double t0;
    int rc;

    if ((rc = mmarml_registry_new(&reg)) == MMARML_OK &&
        (rc = mmarml_context_new(&ctx, NULL)) == MMARML_OK &&
        (rc = mmarml_automl_engine_new(&engine, ctx, reg, dir, NULL, vars)) == MMARML_OK &&
        (handler == NULL || (rc = mmarml_engine_add_handler(engine, handler)) == MMARML_OK)) {
        t0 = bench_now();
        rc = mmarml_engine_run(engine, ctx);
        *seconds = bench_now() - t0;
    }
    if (rc != MMARML_OK)
        fprintf(stderr, "bench: %s\n", mmarml_error_message());
    mmarml_engine_unref(engine);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    json_decref(vars);
    return rc == MMARML_OK ? 0 : -1;
}
