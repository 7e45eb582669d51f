/* Component libraries loaded by path ("libtestplugin.so:factory"): controllers in check_registry
 * and check_run_cli, a pruner that writes down its calls in check_prune_replay. */
#include <stdio.h>
#include <stdlib.h>

#include <mmarml.h>

int test_plugin_controller(void **out, const json_t *args, void *user_data);

int test_plugin_controller(void **out, const json_t *args, void *user_data)
{
    static const char *const allowed[] = {"rounds", NULL};
    int64_t rounds;
    int rc;

    (void)user_data;
    if ((rc = mmarml_args_check(args, "PluginController", allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, "PluginController", "rounds", 3, &rounds)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_dummy((mmarml_controller **)out, (uint64_t)rounds);
}

/* A controller that never recommends anything, as a plugin built wrong behaves (one whose
 * factory had the wrong signature ran 0 jobs, and mmarml run exited 0). */
int test_plugin_idle_controller(void **out, const json_t *args, void *user_data);

static int idle_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                        mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)ctx, (void)ud;
    return MMARML_OK;
}

static int idle_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                       const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)o, (void)ctx, (void)ud;
    return MMARML_OK;
}

int test_plugin_idle_controller(void **out, const json_t *args, void *user_data)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .initial_recommendation = idle_initial,
        .refine_recommendation = idle_refine,
    };

    (void)args, (void)user_data;
    return mmarml_controller_new((mmarml_controller **)out, &vt, NULL);
}

/* A pruner that writes down everything it is told, and what it says, to the file `log`,
 * and decides as its `wrapped` pruner (a spec) does: the same spec in a run and in
 * `mmarml prune-replay` must write the same file (check_prune_replay). */
int test_plugin_logging_pruner(void **out, const json_t *args, void *user_data);

typedef struct {
    FILE *log;
    mmarml_pruner *wrapped;
} logging_pruner;

static int logging_report(int *stop_out, mmarml_pruner *self, const char *job, uint64_t n,
                          double step, double value, mmarml_context *ctx, void *ud)
{
    logging_pruner *lp = ud;
    char *name = NULL;
    void *rec = NULL;
    int rc = mmarml_pruner_report(stop_out, lp->wrapped, job, n, step, value, ctx);

    (void)self;
    (void)mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
    (void)mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATION, &rec);
    fprintf(lp->log, "report %s %llu %.17g %.17g ctx %s rec %s -> %s\n", job,
            (unsigned long long)n, step, value, name != NULL ? name : "-",
            rec != NULL ? "yes" : "no", *stop_out ? "stop" : "go on");
    fflush(lp->log);
    mmarml_free(name);
    return rc;
}

static void logging_job_ended(mmarml_pruner *self, const char *job, uint64_t n, int status,
                              void *ud)
{
    logging_pruner *lp = ud;

    (void)self;
    mmarml_pruner_job_ended(lp->wrapped, job, n, status);
    fprintf(lp->log, "ended %s %llu %s\n", job, (unsigned long long)n,
            mmarml_job_status_name(status));
    fflush(lp->log);
}

static void logging_destroy(void *ud)
{
    logging_pruner *lp = ud;

    fclose(lp->log);
    mmarml_pruner_unref(lp->wrapped);
    free(lp);
}

int test_plugin_logging_pruner(void **out, const json_t *args, void *user_data)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = logging_report,
        .job_ended = logging_job_ended,
        .destroy = logging_destroy,
    };
    static const char *const allowed[] = {"log", "wrapped", NULL};
    const char *path = NULL;
    mmarml_registry *reg = NULL;
    logging_pruner *lp;
    int rc;

    (void)user_data;
    if ((rc = mmarml_args_check(args, "LoggingPruner", allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_string(args, "LoggingPruner", "log", NULL, &path)) != MMARML_OK)
        return rc;
    if (path == NULL || (lp = calloc(1, sizeof(*lp))) == NULL)
        return mmarml_error_set(MMARML_EINVAL, "LoggingPruner: needs 'log'");
    if ((rc = mmarml_registry_new(&reg)) == MMARML_OK)
        rc = mmarml_registry_create_pruner(&lp->wrapped, reg, json_object_get(args, "wrapped"),
                                           "LoggingPruner: wrapped");
    mmarml_registry_unref(reg);
    if (rc == MMARML_OK && (lp->log = fopen(path, "w")) == NULL)
        rc = mmarml_error_set(MMARML_EIO, "LoggingPruner: cannot write '%s'", path);
    if (rc == MMARML_OK)
        rc = mmarml_pruner_new((mmarml_pruner **)out, &vt, lp);
    if (rc != MMARML_OK) {
        if (lp->log != NULL)
            fclose(lp->log);
        mmarml_pruner_unref(lp->wrapped);
        free(lp);
    }
    return rc;
}
