/* config_automl.json (D11): handlers, executor, controller by name or path, {var} filled
 * from --set variables; the engine it describes. Public API only. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmarml.h"
#include "mmar_util.h"

/* Replace every "{name}" in `text` by vars[name]; names without a variable are an error. */
static int fill_string(json_t **out, const char *text, const json_t *vars, const char *file,
                       const char *where)
{
    size_t cap = strlen(text) + 64, len = 0;
    char *buf = malloc(cap);
    const char *p = text;

    if (buf == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    while (*p) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL, *piece = p;
        size_t n = 1;
        if (close != NULL && close > p + 1 && strcspn(p + 1, "{} \"") == (size_t)(close - p - 1)) {
            char name[128];
            const json_t *v;
            snprintf(name, sizeof(name), "%.*s", (int)(close - p - 1), p + 1);
            v = json_object_get(vars, name);
            if (!json_is_string(v)) {
                free(buf);
                return mmarml_error_set(MMARML_EINVAL, "%s: %s: '{%s}' names no --set "
                                        "variable (give --set %s=...)", file, where, name,
                                        name);
            }
            piece = json_string_value(v);
            n = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (len + n + 1 > cap) {
            char *bigger = realloc(buf, cap = (len + n + 1) * 2);
            if (bigger == NULL) {
                free(buf);
                return mmarml_error_set(MMARML_ENOMEM, "out of memory");
            }
            buf = bigger;
        }
        memcpy(buf + len, piece, n);
        len += n;
    }
    buf[len] = '\0';
    *out = json_string(buf);
    free(buf);
    return *out != NULL ? MMARML_OK : mmarml_error_set(MMARML_ENOMEM, "out of memory");
}

/* Fill every string in `node` (in place). `where` is the JSON path for messages. */
static int fill(json_t *node, const json_t *vars, const char *file, const char *where)
{
    char sub[512];
    const char *key;
    json_t *value;
    size_t i;
    int rc;

    if (json_is_object(node)) {
        json_object_foreach(node, key, value)
        {
            snprintf(sub, sizeof(sub), "%s%s%s", where, *where ? "." : "", key);
            if (json_is_string(value)) {
                json_t *filled = NULL;
                if ((rc = fill_string(&filled, json_string_value(value), vars, file, sub)) !=
                    MMARML_OK)
                    return rc;
                json_object_set_new(node, key, filled);
            } else if ((rc = fill(value, vars, file, sub)) != MMARML_OK) {
                return rc;
            }
        }
    } else if (json_is_array(node)) {
        for (i = 0; i < json_array_size(node); i++) {
            value = json_array_get(node, i);
            snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
            if (json_is_string(value)) {
                json_t *filled = NULL;
                if ((rc = fill_string(&filled, json_string_value(value), vars, file, sub)) !=
                    MMARML_OK)
                    return rc;
                json_array_set_new(node, i, filled);
            } else if ((rc = fill(value, vars, file, sub)) != MMARML_OK) {
                return rc;
            }
        }
    }
    return MMARML_OK;
}

/* --set variables with Clara's defaults. */
static json_t *variables(const json_t *given)
{
    json_t *vars = json_object();
    char run_id[64];
    time_t t = time(NULL);
    struct tm tm;

    if (vars == NULL)
        return NULL;
    gmtime_r(&t, &tm);
    strftime(run_id, sizeof(run_id), "run_%Y%m%d_%H%M%S", &tm);
    json_object_set_new(vars, "run_id", json_string(run_id));
    json_object_set_new(vars, "trainconf", json_string("config_train.json"));
    json_object_set_new(vars, "traceout", json_string("file"));
    if (json_is_object(given))
        json_object_update(vars, (json_t *)given);
    return vars;
}

/* engine.pruned_score: "best" (also when absent), "last" or "mean"; -1 for anything else. */
static int pruned_score(const json_t *engine)
{
    static const struct {
        const char *name;
        int score;
    } scores[] = {{"best", MMARML_PRUNED_SCORE_BEST},
                  {"last", MMARML_PRUNED_SCORE_LAST},
                  {"mean", MMARML_PRUNED_SCORE_MEAN}};
    const json_t *v = json_object_get(engine, "pruned_score");
    size_t i;

    if (v == NULL)
        return MMARML_PRUNED_SCORE_BEST;
    for (i = 0; i < sizeof(scores) / sizeof(*scores) && json_is_string(v); i++)
        if (strcmp(json_string_value(v), scores[i].name) == 0)
            return scores[i].score;
    return -1;
}

/* engine.report_steps: "increasing" (also when absent) or "unique"; -1 for anything else. */
static int report_steps(const json_t *engine)
{
    const json_t *v = json_object_get(engine, "report_steps");

    if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), "increasing") == 0))
        return MMARML_REPORT_STEPS_INCREASING;
    if (json_is_string(v) && strcmp(json_string_value(v), "unique") == 0)
        return MMARML_REPORT_STEPS_UNIQUE;
    return -1;
}

static int engine_options(mmarml_engine_options *o, const json_t *engine, const json_t *vars,
                          const char *file)
{
    static const char *const allowed[] = {"workers", "max_jobs", "max_job_run_time",
                                          "max_sys_run_time", "max_retries", "journal",
                                          "pruned_score", "report_steps", NULL};
    const char *resume = json_string_value(json_object_get(vars, "resume"));
    char what[PATH_MAX + 16];
    int64_t max_jobs, max_retries;
    int rc;

    snprintf(what, sizeof(what), "%s: engine", file);
    mmarml_engine_options_init(o, MMARML_ENGINE_OPTIONS_VERSION);
    if ((rc = mmarml_args_check(engine, what, allowed)) != MMARML_OK ||
        (rc = mmarml_args_get_string(engine, what, "workers", NULL, &o->workers)) != MMARML_OK ||
        (rc = mmarml_args_get_int(engine, what, "max_jobs", 0, &max_jobs)) != MMARML_OK ||
        (rc = mmarml_args_get_double(engine, what, "max_job_run_time", 0,
                                     &o->max_job_run_time)) != MMARML_OK ||
        (rc = mmarml_args_get_double(engine, what, "max_sys_run_time", 0,
                                     &o->max_sys_run_time)) != MMARML_OK ||
        (rc = mmarml_args_get_int(engine, what, "max_retries", 0, &max_retries)) != MMARML_OK)
        return rc;
    if (max_jobs < 0)
        return mmarml_error_set(MMARML_EINVAL, "%s.max_jobs: must be >= 0", what);
    if (!(o->max_job_run_time >= 0) || isinf(o->max_job_run_time))
        return mmarml_error_set(MMARML_EINVAL, "%s.max_job_run_time: must be a finite number "
                                "of seconds >= 0 (0: no limit)", what);
    if (!(o->max_sys_run_time >= 0) || isinf(o->max_sys_run_time))
        return mmarml_error_set(MMARML_EINVAL, "%s.max_sys_run_time: must be a finite number "
                                "of seconds >= 0 (0: no limit)", what);
    if (pruned_score(engine) < 0)
        return mmarml_error_set(MMARML_EINVAL, "%s.pruned_score: must be \"best\", \"last\" "
                                "or \"mean\"", what);
    if (report_steps(engine) < 0)
        return mmarml_error_set(MMARML_EINVAL, "%s.report_steps: must be \"increasing\" or "
                                "\"unique\" (each step once, in any order)", what);
    if (max_retries < 0 || max_retries > 1000)
        return mmarml_error_set(MMARML_EINVAL, "%s.max_retries: must be 0..1000", what);
    o->max_jobs = (uint64_t)max_jobs;
    o->max_retries = (uint32_t)max_retries;
    /* the journal: a file of the run root unless the config says otherwise or "" (none) */
    o->journal = "journal.mmarml";
    if (json_object_get(engine, "journal") != NULL) {
        if ((rc = mmarml_args_get_string(engine, what, "journal", NULL, &o->journal)) !=
            MMARML_OK)
            return rc;
        if (o->journal != NULL && o->journal[0] == '\0')
            o->journal = NULL;
    }
    if (resume != NULL && strcmp(resume, "0") != 0 && strcmp(resume, "false") != 0) {
        if (o->journal == NULL)
            return mmarml_error_set(MMARML_EINVAL, "%s: resume needs a journal (\"journal\" "
                                    "is off)", what);
        o->resume = 1;
    }
    if (json_is_string(json_object_get(vars, "workers")))
        o->workers = json_string_value(json_object_get(vars, "workers"));
    return MMARML_OK;
}

static int set_context(mmarml_context *ctx, const char *mmar, const json_t *vars)
{
    const char *run_id = json_string_value(json_object_get(vars, "run_id"));
    const char *trace = json_string_value(json_object_get(vars, "traceout"));
    int rc;

    if (run_id == NULL || !mmarml_mmar_name_ok(run_id))
        return mmarml_error_set(MMARML_EINVAL, "run_id '%s' must be a single path component "
                                "(no '/', not '..', no control characters)",
                                run_id ? run_id : "");
    if (trace == NULL || (strcmp(trace, "file") != 0 && strcmp(trace, "console") != 0 &&
                          strcmp(trace, "both") != 0 && strcmp(trace, "none") != 0))
        return mmarml_error_set(MMARML_EINVAL, "traceout '%s' must be file, console, both or "
                                "none", trace ? trace : "");
    if ((rc = mmarml_context_set_string(ctx, MMARML_KEY_MMAR_ROOT, mmar)) != MMARML_OK ||
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_RUN_ID, run_id)) != MMARML_OK ||
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_TRAIN_CONFIG_FILE,
                                        json_string_value(json_object_get(vars, "trainconf")))) !=
            MMARML_OK ||
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_TRACE_DEST_TYPE, trace)) != MMARML_OK)
        return rc;
    /* console goes to stderr now; file and both open <run_root>/trace.txt in MMARHandler */
    if (strcmp(trace, "console") == 0)
        rc = mmarml_context_set_trace(ctx, MMARML_TRACE_CONSOLE, NULL);
    return rc;
}

/* The AutoML config is part of what the run is: a resume checks that it did not change. */
static int add_identity(mmarml_context *ctx, const char *path)
{
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;

    return mmar_identity_add(ctx, base, path);
}

/* With no workers given, an executor's max_concurrent (SlurmExecutor) decides how many jobs
 * run at once: that many workers without GPUs ("-:-:-"). NULL when it does not say. */
static char *cluster_slots(const json_t *executor)
{
    json_t *n = json_object_get(json_object_get(executor, "args"), "max_concurrent");
    json_int_t i, count = json_is_integer(n) ? json_integer_value(n) : 0;
    char *spec;

    if (count <= 0 || count > 4096)
        return NULL;
    spec = malloc((size_t)count * 2);
    if (spec == NULL)
        return NULL;
    for (i = 0; i < count; i++) {
        spec[2 * i] = '-';
        spec[2 * i + 1] = i + 1 < count ? ':' : '\0';
    }
    return spec;
}

/*
 * A component spec with its `path` resolved against the MMAR (a new reference). Clara's own
 * configs write both keys (config_automl_BYO_RandomController.json): `path` says what is
 * loaded, `name` is then only a label. The library part of "library.so:factory" is taken
 * as it is when absolute; relative to the MMAR when it has a '/' ("plugins/libmine.so");
 * a bare "libmine.so" from the MMAR's root when it is there, else from the dynamic loader's
 * search path (LD_LIBRARY_PATH, the system's directories).
 */
static json_t *resolved_spec(const json_t *spec, const char *mmar)
{
    const char *path = json_string_value(json_object_get(spec, "path")), *colon;
    char lib[PATH_MAX];
    json_t *copy;

    if (path == NULL || path[0] == '/' || (colon = strrchr(path, ':')) == NULL ||
        colon == path || (size_t)(colon - path) >= sizeof(lib))
        return json_incref((json_t *)spec);
    snprintf(lib, sizeof(lib), "%s/%.*s", mmar, (int)(colon - path), path);
    if (memchr(path, '/', (size_t)(colon - path)) == NULL && access(lib, F_OK) != 0)
        return json_incref((json_t *)spec); /* a bare name the MMAR does not hold */
    copy = json_copy((json_t *)spec);
    if (copy == NULL)
        return NULL;
    strncat(lib, colon, sizeof(lib) - strlen(lib) - 1);
    json_object_set_new(copy, "path", json_string(lib));
    return copy;
}

static int build(mmarml_engine **out, mmarml_registry *reg, const json_t *conf, const json_t *vars,
                 const char *file, const char *mmar)
{
    static const char *const top[] = {"handlers", "executor", "controller", "engine", "pruner",
                                      NULL};
    const json_t *handlers = json_object_get(conf, "handlers");
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe = NULL;
    mmarml_pruner *pruner = NULL;
    mmarml_handler **hs;
    char *slots = NULL;
    mmarml_engine_options o;
    char where[PATH_MAX + 32];
    size_t i;
    int rc;

    if ((rc = mmarml_args_check(conf, file, top)) != MMARML_OK)
        return rc;
    if (json_object_get(conf, "controller") == NULL || json_object_get(conf, "executor") == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: needs \"controller\" and \"executor\"",
                                file);
    if (handlers != NULL && !json_is_array(handlers))
        return mmarml_error_set(MMARML_EINVAL, "%s: handlers: must be a list", file);
    if ((rc = engine_options(&o, json_object_get(conf, "engine"), vars, file)) != MMARML_OK)
        return rc;
    /* handlers first: a bring-your-own (Python) handler is then refused before anything else
     * is said about the file */
    hs = calloc(json_array_size(handlers) + 1, sizeof(*hs));
    if (hs == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    for (i = 0; rc == MMARML_OK && i < json_array_size(handlers); i++) {
        json_t *spec = resolved_spec(json_array_get(handlers, i), mmar);
        snprintf(where, sizeof(where), "%s: handlers[%zu]", file, i);
        rc = mmarml_registry_create_handler(&hs[i], reg, spec, where);
        json_decref(spec);
    }
    if (rc == MMARML_OK) {
        json_t *spec = resolved_spec(json_object_get(conf, "executor"), mmar);
        snprintf(where, sizeof(where), "%s: executor", file);
        rc = mmarml_registry_create_executor(&exe, reg, spec, where);
        json_decref(spec);
    }
    if (rc == MMARML_OK) {
        json_t *spec = resolved_spec(json_object_get(conf, "controller"), mmar);
        snprintf(where, sizeof(where), "%s: controller", file);
        rc = mmarml_registry_create_controller(&ctl, reg, spec, where);
        json_decref(spec);
    }
    if (rc == MMARML_OK && json_object_get(conf, "pruner") != NULL) {
        json_t *spec = resolved_spec(json_object_get(conf, "pruner"), mmar);
        snprintf(where, sizeof(where), "%s: pruner", file);
        rc = mmarml_registry_create_pruner(&pruner, reg, spec, where);
        json_decref(spec);
    }
    if (rc == MMARML_OK && o.workers == NULL &&
        (slots = cluster_slots(json_object_get(conf, "executor"))) != NULL)
        o.workers = slots;
    if (rc == MMARML_OK && (rc = mmarml_engine_new(out, ctl, exe, &o)) != MMARML_OK) {
        /* a bad workers string: say where it came from */
        char *msg = strdup(mmarml_error_message());
        rc = mmarml_error_set(rc, "%s: %s: %s", file,
                              json_is_string(json_object_get(vars, "workers"))
                                  ? "--set workers"
                                  : "engine.workers",
                              msg != NULL ? msg : mmarml_strerror(rc));
        free(msg);
    }
    free(slots);
    for (i = 0; rc == MMARML_OK && i < json_array_size(handlers); i++)
        rc = mmarml_engine_add_handler(*out, hs[i]);
    if (rc == MMARML_OK && pruner != NULL)
        rc = mmarml_engine_set_pruner(*out, pruner, pruned_score(json_object_get(conf, "engine")));
    if (rc == MMARML_OK)
        rc = mmarml_engine_set_report_steps(*out,
                                            report_steps(json_object_get(conf, "engine")));
    mmarml_pruner_unref(pruner);
    for (i = 0; i < json_array_size(handlers); i++)
        mmarml_handler_unref(hs[i]);
    free(hs);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    if (rc != MMARML_OK)
        *out = mmarml_engine_unref(*out);
    return rc;
}

/* Python components ("path": "module.Class") import from the MMAR's BYOC folder, as
 * Clara's set_env.sh puts it first on PYTHONPATH. */
static int add_byoc_path(mmarml_registry *reg, const char *mmar)
{
    char byoc[PATH_MAX + 8];

    snprintf(byoc, sizeof(byoc), "%s/BYOC", mmar);
    return mmarml_registry_add_python_path(reg, byoc);
}

int mmarml_automl_engine_new(mmarml_engine **out, mmarml_context *ctx, mmarml_registry *reg,
                             const char *mmar_root, const char *automlconf, const json_t *vars)
{
    char mmar[PATH_MAX], *path = NULL;
    const char *file = automlconf != NULL ? automlconf : "config_automl.json";
    json_t *conf = NULL, *all = NULL;
    int rc;

    if (out == NULL || ctx == NULL || reg == NULL || mmar_root == NULL)
        return mmarml_error_set(MMARML_EINVAL, "mmarml_automl_engine_new: NULL argument");
    *out = NULL;
    if (vars != NULL && !json_is_object(vars))
        return mmarml_error_set(MMARML_EINVAL, "--set variables must be a JSON object");
    if (realpath(mmar_root, mmar) == NULL)
        return mmarml_error_set(MMARML_ENOTFOUND, "MMAR '%s': %s", mmar_root, strerror(errno));
    if ((file[0] == '/' ? asprintf(&path, "%s", file)
                        : asprintf(&path, "%s/config/%s", mmar, file)) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "out of memory");
    all = variables(vars);
    rc = mmar_load_json_file(&conf, path, "AutoML config");
    if (all == NULL)
        rc = mmarml_error_set(MMARML_ENOMEM, "out of memory");
    else if (rc != MMARML_OK)
        ; /* the message names the file and what was wrong */
    else if (!json_is_object(conf))
        rc = mmarml_error_set(MMARML_EINVAL, "%s: must be a JSON object", path);
    else if ((rc = fill(conf, all, path, "")) == MMARML_OK &&
             (rc = set_context(ctx, mmar, all)) == MMARML_OK &&
             (rc = add_identity(ctx, path)) == MMARML_OK &&
             (rc = add_byoc_path(reg, mmar)) == MMARML_OK)
        rc = build(out, reg, conf, all, path, mmar);
    json_decref(conf);
    json_decref(all);
    free(path);
    return rc;
}
