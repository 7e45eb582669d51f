/* MMARExecutor (D7): clone the MMAR, write the job config, run the round script (or an
 * in-process train function), read the score. Public API only. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmarml.h"
#include "clone.h"
#include "mmar_util.h"
#include "process.h"

extern char **environ;

typedef struct {
    int output;
    int remove_search_augs;
    double grace;
    int content_only; /* -1: take MMARHandler's */
    char *data_list;  /* NULL: take MMARHandler's */
    mmarml_space_manager *manager;
    mmarml_train_fn train;
    void *train_data;
    pthread_mutex_t lock; /* guards `_execSubprocess` between execute and abort */
} mmar_executor;

static const char *const me = "MMARExecutor";

static int determine_search_space(mmarml_search_space **out, mmarml_executor *self,
                                  mmarml_context *ctx, void *ud)
{
    mmar_executor *x = ud;
    char *path = NULL;
    int rc;

    (void)self;
    rc = mmar_train_config_path(&path, ctx);
    if (rc != MMARML_OK)
        return rc;
    mmarml_space_manager_unref(x->manager);
    x->manager = NULL;
    rc = mmarml_space_manager_load(&x->manager, path);
    free(path);
    if (rc != MMARML_OK)
        return rc;
    *out = mmarml_search_space_ref(mmarml_space_manager_space(x->manager));
    return MMARML_OK;
}

/* Clone the MMAR and write the job config; sets `_jobMmarRoot` and `_concreteSearchValue`. */
static int prepare_job(mmar_executor *x, const mmarml_recommendation *rec, mmarml_context *job,
                       char **job_root_out)
{
    char *mmar = NULL, *run_root = NULL, *name = NULL, *automl = NULL, *data_list = NULL;
    char *job_root = NULL, *config_path = NULL;
    json_t *config = NULL, *concrete = NULL;
    int content_only = 0, rc;

    *job_root_out = NULL;
    if ((rc = mmar_get_string(job, MMARML_KEY_MMAR_ROOT, me, &mmar)) != MMARML_OK ||
        (rc = mmar_get_string(job, MMARML_KEY_RUN_ROOT, me, &run_root)) != MMARML_OK ||
        (rc = mmar_get_string(job, MMARML_KEY_JOB_NAME, me, &name)) != MMARML_OK)
        goto done;
    if (!mmarml_mmar_name_ok(name)) {
        rc = mmarml_error_set(MMARML_EINVAL, "%s: job name '%s' is not a single path component",
                              me, name);
        goto done;
    }
    if (asprintf(&job_root, "%s/%s", run_root, name) < 0 ||
        asprintf(&config_path, "%s/config/config_train.json", job_root) < 0) {
        job_root = config_path = NULL;
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        goto done;
    }
    mmarml_context_get_string(job, MMARML_KEY_AUTOML_ROOT, &automl);
    if (x->content_only >= 0)
        content_only = x->content_only;
    else
        mmarml_context_get_bool(job, MMARML_KEY_KEY_MMAR_CONTENT_ONLY, &content_only);
    if (x->data_list == NULL)
        mmarml_context_get_string(job, MMARML_KEY_DATA_LIST_FILE_NAME, &data_list);
    if ((rc = mmarml_context_set_string(job, MMARML_KEY_JOB_MMAR_ROOT, job_root)) != MMARML_OK ||
        (rc = mmar_clone(mmar, job_root, automl, content_only,
                         x->data_list != NULL ? x->data_list : data_list)) != MMARML_OK)
        goto done;
    rc = mmarml_space_manager_apply(&config, &concrete, x->manager, rec,
                                    x->remove_search_augs ? MMARML_APPLY_F_REMOVE_SEARCH_AUGS
                                                          : 0);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_json(job, MMARML_KEY_CONCRETE_SEARCH_VALUE, concrete);
    if (rc == MMARML_OK)
        rc = mmar_write_json_atomic(config_path, config, 0);
done:
    json_decref(config);
    json_decref(concrete);
    mmarml_free(mmar);
    mmarml_free(run_root);
    mmarml_free(name);
    mmarml_free(automl);
    mmarml_free(data_list);
    free(config_path);
    if (rc == MMARML_OK)
        *job_root_out = job_root;
    else
        free(job_root);
    return rc;
}

/* The environment of a trainer: ours, with the job's variables set (replacing any). */
static char **job_environment(mmarml_context *job, const char *job_root)
{
    static const char *const names[] = {"MMAR_ROOT=", "CUDA_VISIBLE_DEVICES=",
                                        "MMARML_JOB_NAME=", "MMARML_RUN_ROOT="};
    char *gpus = NULL, *name = NULL, *run_root = NULL;
    size_t n = 0, i, k, j;
    char **env;

    for (; environ[n] != NULL; n++)
        ;
    env = calloc(n + 5, sizeof(char *));
    if (env == NULL)
        return NULL;
    for (i = 0, k = 0; i < n; i++) {
        int ours = 0;
        for (j = 0; j < 4; j++)
            ours |= strncmp(environ[i], names[j], strlen(names[j])) == 0;
        if (!ours)
            env[k++] = strdup(environ[i]);
    }
    mmarml_context_get_string(job, MMARML_KEY_GPUS, &gpus);
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(job, MMARML_KEY_RUN_ROOT, &run_root);
    if (asprintf(&env[k++], "MMAR_ROOT=%s", job_root) < 0 ||
        asprintf(&env[k++], "CUDA_VISIBLE_DEVICES=%s", gpus ? gpus : "") < 0 ||
        asprintf(&env[k++], "MMARML_JOB_NAME=%s", name ? name : "") < 0 ||
        asprintf(&env[k++], "MMARML_RUN_ROOT=%s", run_root ? run_root : "") < 0)
        env[--k] = NULL;
    mmarml_free(gpus);
    mmarml_free(name);
    mmarml_free(run_root);
    return env;
}

static void free_environment(char **env)
{
    size_t i;

    for (i = 0; env != NULL && env[i] != NULL; i++)
        free(env[i]);
    free(env);
}

static int run_round_script(mmar_executor *x, mmarml_context *job, const char *job_root,
                            int *exit_code, int *sig, int *aborted)
{
    char *script = NULL, *log = NULL, *name = NULL, **env;
    char *argv[2] = {NULL, NULL};
    mmar_process *p = NULL;
    int flag = 0, rc;

    if (asprintf(&script, "%s/commands/automl_train_round.sh", job_root) < 0 ||
        asprintf(&log, "%s/log.txt", job_root) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    env = job_environment(job, job_root);
    argv[0] = script;
    if (env == NULL)
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    else if (access(script, X_OK) != 0)
        rc = mmarml_error_set(MMARML_ENOTFOUND, "%s: round script '%s' is missing or not "
                              "executable: %s", me, script, strerror(errno));
    else
        rc = mmar_process_spawn(&p, argv, env, job_root, x->output, log, name);
    free_environment(env);
    free(script);
    free(log);
    mmarml_free(name);
    if (rc != MMARML_OK)
        return rc;

    /* publish the process for abort, then look for an abort that came before */
    pthread_mutex_lock(&x->lock);
    mmarml_context_set_pointer(job, MMARML_KEY_EXEC_SUBPROCESS, p, NULL);
    pthread_mutex_unlock(&x->lock);
    if (mmarml_context_get_bool(job, MMARML_KEY_JOB_ABORTED, &flag) == MMARML_OK && flag)
        mmar_process_abort(p);
    mmar_process_wait(p, x->grace, exit_code, sig);
    pthread_mutex_lock(&x->lock);
    mmarml_context_remove(job, MMARML_KEY_EXEC_SUBPROCESS);
    pthread_mutex_unlock(&x->lock);
    *aborted = mmar_process_aborted(p);
    mmar_process_free(p);
    return MMARML_OK;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    mmar_executor *x = ud;
    char *job_root = NULL;
    int exit_code = 0, sig = 0, aborted = 0, rc;

    (void)self;
    if (x->manager == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "%s: execute before determine_search_space", me);
    rc = prepare_job(x, rec, job, &job_root);
    if (rc != MMARML_OK)
        return rc;
    if (x->train != NULL) {
        rc = x->train(status, score, job, x->train_data);
        free(job_root);
        return rc;
    }
    rc = run_round_script(x, job, job_root, &exit_code, &sig, &aborted);
    if (rc == MMARML_OK) {
        mmarml_context_set_int(job, MMARML_KEY_PROCESS_EXIT_STATUS,
                               sig != 0 ? -sig : exit_code);
        if (aborted)
            *status = MMARML_JOB_ABORTED;
        else if (sig != 0 || exit_code != 0)
            *status = MMARML_JOB_FAILED;
        else
            *status = mmar_read_score(job_root, score) == MMARML_OK ? MMARML_JOB_OK
                                                                    : MMARML_JOB_NO_SCORE;
    }
    free(job_root);
    return rc;
}

static void abort_job(mmarml_executor *self, mmarml_context *job, void *ud)
{
    mmar_executor *x = ud;
    void *p = NULL;

    (void)self;
    pthread_mutex_lock(&x->lock);
    if (mmarml_context_get_pointer(job, MMARML_KEY_EXEC_SUBPROCESS, &p) == MMARML_OK &&
        p != NULL)
        mmar_process_abort(p);
    pthread_mutex_unlock(&x->lock);
}

static void destroy(void *ud)
{
    mmar_executor *x = ud;

    mmarml_space_manager_unref(x->manager);
    free(x->data_list);
    pthread_mutex_destroy(&x->lock);
    free(x);
}

static int parse_output(const char *dest, int *out)
{
    static const struct {
        const char *name;
        int value;
    } dests[] = {{"file", MMAR_OUT_FILE},
                 {"console", MMAR_OUT_CONSOLE},
                 {"both", MMAR_OUT_BOTH},
                 {"none", MMAR_OUT_NONE}};
    size_t i;

    for (i = 0; i < sizeof(dests) / sizeof(dests[0]); i++)
        if (strcmp(dest, dests[i].name) == 0) {
            *out = dests[i].value;
            return MMARML_OK;
        }
    return mmarml_error_set(MMARML_EINVAL, "%s: arg 'msg_destination' must be file, console, "
                            "both or none (got '%s')", me, dest);
}

int mmarml_executor_new_mmar_trainer(mmarml_executor **out, const json_t *args,
                                     mmarml_train_fn train, void *user_data)
{
    static const char *const allowed[] = {"msg_destination", "remove_search_augs",
                                          "poll_interval", "abort_grace_period",
                                          "key_mmar_content_only", "data_list_file_name", NULL};
    static const mmarml_executor_vtable vt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine_search_space,
        .execute = execute,
        .abort = abort_job,
        .destroy = destroy,
    };
    const char *dest, *data_list;
    double poll;
    mmar_executor *x;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    x->content_only = -1;
    x->train = train;
    x->train_data = user_data;
    pthread_mutex_init(&x->lock, NULL);
    if ((rc = mmarml_args_check(args, me, allowed)) == MMARML_OK &&
        (rc = mmarml_args_get_string(args, me, "msg_destination", "file", &dest)) == MMARML_OK &&
        (rc = parse_output(dest, &x->output)) == MMARML_OK &&
        (rc = mmarml_args_get_bool(args, me, "remove_search_augs", 0,
                                   &x->remove_search_augs)) == MMARML_OK &&
        (rc = mmarml_args_get_double(args, me, "poll_interval", 1.0, &poll)) == MMARML_OK &&
        (rc = mmarml_args_get_double(args, me, "abort_grace_period", 10.0, &x->grace)) ==
            MMARML_OK &&
        (rc = mmarml_args_get_string(args, me, "data_list_file_name", NULL, &data_list)) ==
            MMARML_OK) {
        if (!(x->grace >= 0) || !isfinite(x->grace) || !(poll > 0) || !isfinite(poll))
            rc = mmarml_error_set(MMARML_EINVAL, "%s: 'poll_interval' must be > 0 and "
                                  "'abort_grace_period' >= 0", me);
        if (rc == MMARML_OK && json_object_get(args, "key_mmar_content_only") != NULL)
            rc = mmarml_args_get_bool(args, me, "key_mmar_content_only", 0, &x->content_only);
        if (rc == MMARML_OK && data_list != NULL && (x->data_list = strdup(data_list)) == NULL)
            rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    if (rc == MMARML_OK)
        rc = mmarml_executor_new(out, &vt, x);
    if (rc != MMARML_OK)
        destroy(x);
    return rc;
}

int mmarml_executor_new_mmar(mmarml_executor **out, const json_t *args)
{
    return mmarml_executor_new_mmar_trainer(out, args, NULL, NULL);
}
