/* Factories of the bundled components: JSON args -> the public constructors. */
#include "config.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"

static int check_count(const char *component, const char *key, int64_t v, int64_t min)
{
    if (v < min)
        return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be at least %lld (got %lld)",
                                component, key, (long long)min, (long long)v);
    return MMARML_OK;
}

static int dummy_controller_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"max_rounds", NULL};
    const char *me = "DummyController";
    int64_t max_rounds;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "max_rounds", 1000, &max_rounds)) != MMARML_OK ||
        (rc = check_count(me, "max_rounds", max_rounds, 1)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_dummy((mmarml_controller **)out, (uint64_t)max_rounds);
}

static int test_controller_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"total_recs", "max_recs_each_time", "seed", NULL};
    const char *me = "TestController";
    int64_t total, each, seed;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "total_recs", 10, &total)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "max_recs_each_time", 1, &each)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "seed", 0, &seed)) != MMARML_OK ||
        (rc = check_count(me, "total_recs", total, 0)) != MMARML_OK ||
        (rc = check_count(me, "max_recs_each_time", each, 1)) != MMARML_OK ||
        (rc = check_count(me, "seed", seed, 0)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_test((mmarml_controller **)out, (uint64_t)total,
                                      (uint64_t)each, (uint64_t)seed);
}

static int random_controller_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"max_rounds", "seed", NULL};
    const char *me = "RandomController";
    int64_t max_rounds, seed;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "max_rounds", 1000, &max_rounds)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "seed", 0, &seed)) != MMARML_OK ||
        (rc = check_count(me, "max_rounds", max_rounds, 1)) != MMARML_OK ||
        (rc = check_count(me, "seed", seed, 0)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_random((mmarml_controller **)out, (uint64_t)max_rounds,
                                        (uint64_t)seed);
}

static int grid_controller_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"points_per_float", "max_rounds", NULL};
    const char *me = "GridController";
    int64_t points, max_rounds;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "points_per_float", 5, &points)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "max_rounds", 0, &max_rounds)) != MMARML_OK ||
        (rc = check_count(me, "points_per_float", points, 1)) != MMARML_OK ||
        (rc = check_count(me, "max_rounds", max_rounds, 0)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_grid((mmarml_controller **)out, points, (uint64_t)max_rounds);
}

static int reinforce_controller_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"max_rounds", "seed", "learning_rate", NULL};
    const char *me = "ReinforcementController";
    int64_t max_rounds, seed;
    double lr;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "max_rounds", 1000, &max_rounds)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "seed", 0, &seed)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "learning_rate", 0.1, &lr)) != MMARML_OK ||
        (rc = check_count(me, "max_rounds", max_rounds, 1)) != MMARML_OK ||
        (rc = check_count(me, "seed", seed, 0)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_reinforce((mmarml_controller **)out, (uint64_t)max_rounds,
                                           (uint64_t)seed, lr);
}

static int tpe_controller_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"max_rounds", "seed", "n_startup", NULL};
    const char *me = "TPEController";
    int64_t max_rounds, seed, startup;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "max_rounds", 1000, &max_rounds)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "seed", 0, &seed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "n_startup", 10, &startup)) != MMARML_OK ||
        (rc = check_count(me, "max_rounds", max_rounds, 1)) != MMARML_OK ||
        (rc = check_count(me, "seed", seed, 0)) != MMARML_OK ||
        (rc = check_count(me, "n_startup", startup, 0)) != MMARML_OK)
        return rc;
    return mmarml_controller_new_tpe((mmarml_controller **)out, (uint64_t)max_rounds,
                                     (uint64_t)seed, (uint64_t)startup);
}

/* MedianPruner and PercentilePruner take the same args; PercentilePruner needs its
 * percentile (Optuna's names, and ours: min_rank_correlation, include_pruned). */
static int percentile_pruner_args(void **out, const json_t *args, const char *me,
                                  double percentile_default)
{
    static const char *const allowed[] = {"percentile", "n_startup_trials", "n_warmup_steps",
                                          "interval_steps", "n_min_trials",
                                          "min_rank_correlation", "include_pruned", NULL};
    int64_t startup, interval, n_min;
    double percentile, warmup, min_rho;
    int include_pruned, rc;

    /* MedianPruner's percentile is not an arg: skip the first allowed name */
    if ((rc = mmarml_args_check(args, me, percentile_default < 0 ? allowed : allowed + 1)) !=
        MMARML_OK)
        return rc;
    if (percentile_default < 0 && json_object_get(args, "percentile") == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'percentile' is required (the top "
                                "percent of jobs kept at each step, 0-100)", me);
    if ((rc = mmarml_args_get_double(args, me, "percentile", percentile_default,
                                     &percentile)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "n_startup_trials", 5, &startup)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "n_warmup_steps", 0, &warmup)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "interval_steps", 1, &interval)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "n_min_trials", 1, &n_min)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "min_rank_correlation", -1, &min_rho)) !=
            MMARML_OK ||
        (rc = mmarml_args_get_bool(args, me, "include_pruned", 0, &include_pruned)) !=
            MMARML_OK ||
        (rc = check_count(me, "n_startup_trials", startup, 0)) != MMARML_OK ||
        (rc = check_count(me, "interval_steps", interval, 1)) != MMARML_OK ||
        (rc = check_count(me, "n_min_trials", n_min, 1)) != MMARML_OK)
        return rc;
    return mmarml_pruner_new_percentile((mmarml_pruner **)out, percentile, (uint64_t)startup,
                                        warmup, (uint64_t)interval, (uint64_t)n_min, min_rho,
                                        include_pruned ? MMARML_MEDIAN_INCLUDE_PRUNED : 0);
}

static int median_pruner_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return percentile_pruner_args(out, args, "MedianPruner", 50);
}

static int percentile_pruner_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return percentile_pruner_args(out, args, "PercentilePruner", -1);
}

static int threshold_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"lower", "upper", "n_warmup_steps",
                                          "interval_steps", NULL};
    const char *me = "ThresholdPruner";
    double lower, upper, warmup;
    int64_t interval;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "lower", -INFINITY, &lower)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "upper", INFINITY, &upper)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "n_warmup_steps", 0, &warmup)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "interval_steps", 1, &interval)) != MMARML_OK ||
        (rc = check_count(me, "interval_steps", interval, 1)) != MMARML_OK)
        return rc;
    return mmarml_pruner_new_threshold((mmarml_pruner **)out, lower, upper, warmup,
                                       (uint64_t)interval);
}

/* PatientPruner's wrapped_pruner is a pruner spec of its own, made by the same registry
 * (user_data): built-ins, registered names and paths alike. */
static int patient_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"patience", "min_delta", "wrapped_pruner", NULL};
    const char *me = "PatientPruner";
    json_t *spec = json_object_get(args, "wrapped_pruner");
    mmarml_pruner *wrapped = NULL;
    int64_t patience;
    double min_delta;
    int rc;

    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "patience", -1, &patience)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "min_delta", 0, &min_delta)) != MMARML_OK)
        return rc;
    if (json_object_get(args, "patience") == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'patience' is required (reports "
                                "without improvement before a job may stop)", me);
    if ((rc = check_count(me, "patience", patience, 0)) != MMARML_OK)
        return rc;
    if (spec != NULL && !json_is_null(spec) &&
        (rc = mmarml_registry_create_pruner(&wrapped, ud, spec,
                                            "PatientPruner: arg 'wrapped_pruner'")) != MMARML_OK)
        return rc;
    rc = mmarml_pruner_new_patient((mmarml_pruner **)out, wrapped, (uint64_t)patience,
                                   min_delta);
    mmarml_pruner_unref(wrapped);
    return rc;
}

static int wilcoxon_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"p_threshold", "n_startup_steps", NULL};
    const char *me = "WilcoxonPruner";
    double p_threshold;
    int64_t startup;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "p_threshold", 0.1, &p_threshold)) !=
            MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "n_startup_steps", 2, &startup)) != MMARML_OK ||
        (rc = check_count(me, "n_startup_steps", startup, 0)) != MMARML_OK)
        return rc;
    return mmarml_pruner_new_wilcoxon((mmarml_pruner **)out, p_threshold, (uint64_t)startup);
}

/* NopPruner (Optuna's): never stops a job. So an Optuna spec naming it, alone or wrapped by
 * PatientPruner (which then never stops either), means here what it meant there. */
static int nop_report(int *stop_out, mmarml_pruner *self, const char *job, uint64_t job_number,
                      double step, double value, mmarml_context *ctx, void *ud)
{
    (void)stop_out, (void)self, (void)job, (void)job_number, (void)step, (void)value;
    (void)ctx, (void)ud;
    return MMARML_OK;
}

static int nop_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {NULL};
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = nop_report,
    };
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, "NopPruner", allowed)) != MMARML_OK)
        return rc;
    return mmarml_pruner_new((mmarml_pruner **)out, &vt, NULL);
}

static int learned_curve_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {"n_startup_trials", "std_errors", NULL};
    const char *me = "LearnedCurvePruner";
    int64_t startup;
    double std_errors;
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, me, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_int(args, me, "n_startup_trials", 5, &startup)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "std_errors", 2, &std_errors)) != MMARML_OK ||
        (rc = check_count(me, "n_startup_trials", startup, 0)) != MMARML_OK)
        return rc;
    return mmarml_pruner_new_learned_curve((mmarml_pruner **)out, (uint64_t)startup,
                                           std_errors);
}

/* A resource arg: a number, or "auto" (MMARML_PRUNER_RESOURCE_AUTO). */
static int resource_arg(const json_t *args, const char *me, const char *key, double def,
                        double *out)
{
    const json_t *v = json_object_get(args, key);
    int rc;

    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "auto") != 0)
            return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be a number or \"auto\" "
                                    "(got \"%s\")", me, key, json_string_value(v));
        *out = MMARML_PRUNER_RESOURCE_AUTO;
        return MMARML_OK;
    }
    if ((rc = mmarml_args_get_double(args, me, key, def, out)) != MMARML_OK)
        return rc;
    if (v != NULL && !(*out >= 0)) /* a negative number is not "auto" */
        return mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must be a number >= 0 or \"auto\" "
                                "(got %g)", me, key, *out);
    return MMARML_OK;
}

/* The successive-halving pruners: Optuna's arg names, and its defaults where the name is
 * Optuna's own (SuccessiveHalvingPruner, HyperbandPruner). */
typedef struct {
    const char *name;
    double min_default, eta_default, max_default;
    int hyperband; /* no min_early_stopping_rate: a bracket's rate is its index */
} halving_kind;

static int halving_pruner_factory(void **out, const json_t *args, const halving_kind *kind)
{
    static const char *const asha_allowed[] = {"min_resource", "reduction_factor",
                                               "max_resource", "min_early_stopping_rate",
                                               "bootstrap_count", NULL};
    static const char *const hyperband_allowed[] = {"min_resource", "reduction_factor",
                                                    "max_resource", "bootstrap_count", NULL};
    const char *me = kind->name;
    double min_r, eta, max_r;
    int64_t rate = 0, bootstrap;
    int rc;

    if ((rc = mmarml_args_check(args, me, kind->hyperband ? hyperband_allowed
                                                          : asha_allowed)) != MMARML_OK ||
        (rc = resource_arg(args, me, "min_resource", kind->min_default, &min_r)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "reduction_factor", kind->eta_default, &eta)) !=
            MMARML_OK ||
        (rc = resource_arg(args, me, "max_resource", kind->max_default, &max_r)) != MMARML_OK ||
        (!kind->hyperband &&
         (rc = mmarml_args_get_int(args, me, "min_early_stopping_rate", 0, &rate)) !=
             MMARML_OK) ||
        (rc = mmarml_args_get_int(args, me, "bootstrap_count", 0, &bootstrap)) != MMARML_OK ||
        (rc = check_count(me, "min_early_stopping_rate", rate, 0)) != MMARML_OK ||
        (rc = check_count(me, "bootstrap_count", bootstrap, 0)) != MMARML_OK)
        return rc;
    if (kind->hyperband)
        return mmarml_pruner_new_hyperband_ex((mmarml_pruner **)out, min_r, eta, max_r,
                                              (uint64_t)bootstrap);
    rc = mmarml_pruner_new_asha_ex((mmarml_pruner **)out, min_r, eta, max_r, (uint64_t)rate,
                                   (uint64_t)bootstrap);
    if (rc != MMARML_OK && strcmp(me, "ASHAPruner") != 0) {
        /* the message names ASHAPruner: say that it is the one the user named */
        char why[512];
        snprintf(why, sizeof(why), "%s", mmarml_error_message());
        return mmarml_error_set(rc, "%s, ours %s", me, why);
    }
    return rc;
}

static int asha_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const halving_kind kind = {"ASHAPruner", 1, 3, 0, 0};

    (void)ud;
    return halving_pruner_factory(out, args, &kind);
}

/* ASHAPruner under Optuna's name, with Optuna's defaults: an auto min_resource, eta 4. */
static int successive_halving_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const halving_kind kind = {"SuccessiveHalvingPruner", MMARML_PRUNER_RESOURCE_AUTO, 4,
                                      0, 0};

    (void)ud;
    return halving_pruner_factory(out, args, &kind);
}

static int hyperband_pruner_factory(void **out, const json_t *args, void *ud)
{
    static const halving_kind kind = {"HyperbandPruner", 1, 3, MMARML_PRUNER_RESOURCE_AUTO, 1};

    (void)ud;
    return halving_pruner_factory(out, args, &kind);
}

static int dummy_handler_factory(void **out, const json_t *args, void *ud)
{
    static const char *const allowed[] = {NULL};
    int rc;

    (void)ud;
    if ((rc = mmarml_args_check(args, "DummyHandler", allowed)) != MMARML_OK)
        return rc;
    return mmarml_handler_new_dummy((mmarml_handler **)out);
}

/* The MMAR components validate their own args. */
static int mmar_executor_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_executor_new_mmar((mmarml_executor **)out, args);
}

static int slurm_executor_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_executor_new_slurm((mmarml_executor **)out, args);
}

static int ngc_executor_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_executor_new_ngc((mmarml_executor **)out, args);
}

static int mmar_handler_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_handler_new_mmar((mmarml_handler **)out, args);
}

static int mmar_stats_handler_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_handler_new_mmar_stats((mmarml_handler **)out, args);
}

static int stats_handler_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_handler_new_stats((mmarml_handler **)out, args);
}

#ifndef MMARML_PKGLIBDIR
#define MMARML_PKGLIBDIR "/usr/local/lib/libmmarml"
#endif

/*
 * MMARTensorboardHandler lives in a module of its own, mmarml-tensorboard.so, because it
 * needs libprotobuf-c, which libmmarml never depends on. It is loaded on first use from
 * $MMARML_MODULE_DIR, else from the installed module directory; where it was not built
 * (no protobuf-c at build time) the config is refused saying so.
 */
static int tensorboard_handler_factory(void **out, const json_t *args, void *ud)
{
    typedef int (*make_fn)(mmarml_handler **, const json_t *);
    const char *dir = getenv("MMARML_MODULE_DIR");
    char path[4096];
    void *module, *sym;
    make_fn make;

    (void)ud;
    snprintf(path, sizeof(path), "%s/mmarml-tensorboard.so",
             dir != NULL && dir[0] != '\0' ? dir : MMARML_PKGLIBDIR);
    dlerror();
    module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (module == NULL)
        return mmarml_error_set(MMARML_ENOTSUP, "MMARTensorboardHandler is not available here: "
                                "%s (it is built when libprotobuf-c-dev, protobuf-c-compiler "
                                "and libprotobuf-dev are installed at build time)", dlerror());
    sym = dlsym(module, "mmarml_tensorboard_handler_new");
    if (sym == NULL)
        return mmarml_error_set(MMARML_ENOTFOUND, "MMARTensorboardHandler: '%s' has no "
                                "factory", path);
    memcpy(&make, &sym, sizeof(make)); /* POSIX: dlsym's pointer converts to a function */
    return make((mmarml_handler **)out, args);
}

int mmarml__register_builtins(mmarml_registry *reg)
{
    int rc;

    if ((rc = mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "DummyController",
                                       dummy_controller_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "TestController",
                                       test_controller_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "RandomController",
                                       random_controller_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "GridController",
                                       grid_controller_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER,
                                       "ReinforcementController", reinforce_controller_factory,
                                       NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "TPEController",
                                       tpe_controller_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "DummyHandler",
                                       dummy_handler_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_EXECUTOR, "MMARExecutor",
                                       mmar_executor_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_EXECUTOR, "SlurmExecutor",
                                       slurm_executor_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_EXECUTOR, "NGCExecutor",
                                       ngc_executor_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "MMARHandler",
                                       mmar_handler_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "MMARStatsHandler",
                                       mmar_stats_handler_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "StatsHandler",
                                       stats_handler_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_HANDLER, "MMARTensorboardHandler",
                                       tensorboard_handler_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "MedianPruner",
                                       median_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "PercentilePruner",
                                       percentile_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "ThresholdPruner",
                                       threshold_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "PatientPruner",
                                       patient_pruner_factory, reg)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "WilcoxonPruner",
                                       wilcoxon_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "ASHAPruner",
                                       asha_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "SuccessiveHalvingPruner",
                                       successive_halving_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "HyperbandPruner",
                                       hyperband_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "LearnedCurvePruner",
                                       learned_curve_pruner_factory, NULL)) != MMARML_OK ||
        (rc = mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "NopPruner",
                                       nop_pruner_factory, NULL)) != MMARML_OK)
        return rc;
    return MMARML_OK;
}
