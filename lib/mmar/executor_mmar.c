/* MMARExecutor (D7): the round script as a local process (or an in-process train function)
 * on the shared executor skeleton. Completion is event-driven: no polling. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmarml.h"
#include "executor_base.h"
#include "mmar_util.h"
#include "process.h"

typedef struct {
    int output;
    mmarml_train_fn train;
    void *train_data;
} local_backend;

static const char *const me = "MMARExecutor";

static int local_submit(void **run, void *data, mmarml_context *job, const char *job_root,
                        char *const env[])
{
    local_backend *b = data;
    char *script = NULL, *log = NULL, *name = NULL, *exit_record = NULL, *cwd = NULL;
    char *argv[2] = {NULL, NULL};
    mmar_process *p = NULL;
    int rc;

    if (asprintf(&script, "%s/" MMARML_MMAR_COMMAND_DIR "/" MMARML_MMAR_TRAIN_ROUND_CMD,
                 job_root) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (asprintf(&log, "%s/" MMARML_MMAR_LOG_FILE, job_root) < 0 ||
        asprintf(&exit_record, "%s/%s", job_root, MMAR_EXIT_RECORD) < 0) {
        free(script);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    argv[0] = script;
    if (access(script, X_OK) != 0)
        rc = mmarml_error_set(MMARML_ENOTFOUND, "%s: round script '%s' is missing or not "
                              "executable: %s", me, script, strerror(errno));
    else if ((cwd = mmar_round_script_cwd(job_root)) == NULL)
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    else
        rc = mmar_process_spawn(&p, argv, env, cwd, b->output, log, name, exit_record);
    free(cwd);
    free(script);
    free(log);
    free(exit_record);
    mmarml_free(name);
    *run = p;
    return rc;
}

static int local_check(void *data, void *run, mmarml_context *job, int wake_fd,
                       double timeout_s, mmar_job_end *end)
{
    (void)data, (void)job;
    if (!mmar_process_check(run, wake_fd, timeout_s, &end->exit_code, &end->signal))
        return 0;
    end->status = end->signal != 0 || end->exit_code != 0 ? MMARML_JOB_FAILED : MMARML_JOB_OK;
    return 1;
}

static int local_stop(void *data, void *run, mmarml_context *job, double grace_s)
{
    (void)data, (void)job;
    mmar_process_stop(run, grace_s);
    return MMARML_OK;
}

static void local_release(void *data, void *run)
{
    (void)data;
    mmar_process_free(run);
}

static int local_run_inline(int *status, double *score, void *data, mmarml_context *job)
{
    local_backend *b = data;

    return b->train(status, score, job, b->train_data);
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
    static const char *const own[] = {"msg_destination", NULL};
    mmar_backend be = {0};
    local_backend *b;
    const char *dest;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if ((rc = mmar_executor_args_check(args, me, own)) != MMARML_OK)
        return rc;
    if ((b = calloc(1, sizeof(*b))) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    b->train = train;
    b->train_data = user_data;
    if ((rc = mmarml_args_get_string(args, me, "msg_destination", "file", &dest)) !=
            MMARML_OK ||
        (rc = parse_output(dest, &b->output)) != MMARML_OK) {
        free(b);
        return rc;
    }
    be.name = me;
    be.poll_interval = 1.0; /* accepted for Clara's configs; completion is event-driven */
    be.event_driven = 1;
    be.gpus_in_env = 1;
    be.data = b;
    be.submit = local_submit;
    be.check = local_check;
    be.stop = local_stop;
    be.release = local_release;
    be.run_inline = train != NULL ? local_run_inline : NULL;
    be.destroy = free;
    return mmar_executor_base_new(out, args, &be);
}

int mmarml_executor_new_mmar(mmarml_executor **out, const json_t *args)
{
    return mmarml_executor_new_mmar_trainer(out, args, NULL, NULL);
}
