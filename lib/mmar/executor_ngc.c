/* NGCExecutor (D10): each job is an NGC batch job (`ngc batch run`), polled with
 * `ngc batch get` and killed with `ngc batch kill`, all through argv. The run root must be
 * the local mount of the NGC workspace: the job MMAR is written there and its score read
 * there. Only ever tested against a stand-in `ngc` program (tests/fake-cluster/ngc). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmarml.h"
#include "command.h"
#include "executor_base.h"
#include "mmar_util.h"

#define COMMAND_TIMEOUT_S 120.0

typedef struct {
    char *image, *dataset_id, *dataset_path, *workspace_id, *workspace_path;
    char *org, *team, *ace, *instance, *result_dir;
} ngc_backend;

typedef struct {
    char id[64];
    char status[48];
    double unreachable; /* when NGC first failed to answer in a row; 0 when it answers */
} ngc_run;

static const char *const me = "NGCExecutor";

/* Append `s` to the command line in single quotes ('\'' for a quote inside). */
static int shell_quote(char **line, const char *s)
{
    size_t len = *line ? strlen(*line) : 0, n = 3, i;
    char *t, *p;

    for (i = 0; s[i] != '\0'; i++)
        n += s[i] == '\'' ? 4 : 1;
    t = realloc(*line, len + n + 2);
    if (t == NULL)
        return -1;
    p = t + len;
    if (len > 0)
        *p++ = ' ';
    *p++ = '\'';
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = s[i];
        }
    }
    *p++ = '\'';
    *p = '\0';
    *line = t;
    return 0;
}

/* The command the container runs. NGC takes one string and runs it with a shell there, so
 * every value in it is quoted: cd <job>/commands && env MMAR_ROOT=... ... <script>. */
static char *remote_command(const ngc_backend *b, mmarml_context *job)
{
    char *run_id = NULL, *name = NULL, *root = NULL, *line = NULL, *v = NULL;
    int failed = 0;

    mmarml_context_get_string(job, MMARML_KEY_RUN_ID, &run_id);
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    if (asprintf(&root, "%s/%s/%s", b->workspace_path, run_id ? run_id : "",
                 name ? name : "") < 0)
        root = NULL;
    /* in the job's commands/, as the local executor runs it (Clara's set_env.sh) */
    failed = root == NULL || (line = strdup("cd")) == NULL;
    if (!failed && asprintf(&v, "%s/" MMARML_MMAR_COMMAND_DIR, root) >= 0) {
        char *more;
        failed |= shell_quote(&line, v);
        free(v);
        v = NULL;
        if (!failed && asprintf(&more, "%s && env", line) >= 0) {
            free(line);
            line = more;
        } else {
            failed = 1;
        }
    }
    if (!failed && asprintf(&v, "MMAR_ROOT=%s", root) >= 0) {
        failed |= shell_quote(&line, v);
        free(v);
        v = NULL;
    }
    if (!failed && asprintf(&v, "MMARML_JOB_NAME=%s", name ? name : "") >= 0) {
        failed |= shell_quote(&line, v);
        free(v);
        v = NULL;
    }
    if (!failed && asprintf(&v, "MMARML_RUN_ROOT=%s/%s", b->workspace_path,
                            run_id ? run_id : "") >= 0) {
        failed |= shell_quote(&line, v);
        free(v);
        v = NULL;
    }
    if (!failed && asprintf(&v, "%s/commands/automl_train_round.sh", root) >= 0) {
        failed |= shell_quote(&line, v);
        free(v);
    }
    mmarml_free(run_id);
    mmarml_free(name);
    free(root);
    if (failed) {
        free(line);
        return NULL;
    }
    return line;
}

/* The job id in `ngc batch run` / `ngc batch get` JSON: "id" (number or string). */
static int json_job_id(const json_t *j, char *buf, size_t n)
{
    const json_t *id = json_object_get(j, "id");

    if (json_is_object(json_object_get(j, "job")))
        id = json_object_get(json_object_get(j, "job"), "id");
    if (json_is_integer(id))
        snprintf(buf, n, "%lld", (long long)json_integer_value(id));
    else if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) < n &&
             strspn(json_string_value(id), "0123456789abcdefABCDEF-") ==
                 json_string_length(id))
        snprintf(buf, n, "%s", json_string_value(id));
    else
        return 0;
    return 1;
}

/* "jobStatus": {"status": "...", "exitCode": n}, or "status" at the top. */
static const char *json_job_status(const json_t *j, int *exit_code)
{
    const json_t *st = json_object_get(j, "jobStatus");
    const json_t *code = json_object_get(st, "exitCode");

    *exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
    if (json_is_object(st))
        return json_string_value(json_object_get(st, "status"));
    if (json_is_string(st))
        return json_string_value(st);
    return json_string_value(json_object_get(j, "status"));
}

static int ngc_submit(void **out, void *data, mmarml_context *job, const char *job_root,
                      char *const env[])
{
    ngc_backend *b = data;
    char *name = NULL, *command = NULL, *dataset = NULL, *workspace = NULL;
    mmar_command_result res;
    json_t *reply = NULL;
    ngc_run *r;
    int rc;

    (void)job_root, (void)env;
    *out = NULL;
    r = calloc(1, sizeof(*r));
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    command = remote_command(b, job);
    if (r == NULL || name == NULL || command == NULL ||
        (b->dataset_id != NULL &&
         asprintf(&dataset, "%s:%s", b->dataset_id, b->dataset_path) < 0) ||
        asprintf(&workspace, "%s:%s:RW", b->workspace_id, b->workspace_path) < 0) {
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        goto done;
    }
    {
        char *argv[32];
        size_t n = 0;
#define OPT(flag, value)                                                                    \
    do {                                                                                    \
        argv[n++] = (flag);                                                                 \
        argv[n++] = (value);                                                                \
    } while (0)
        argv[n++] = "ngc";
        argv[n++] = "batch";
        argv[n++] = "run";
        OPT("--name", name);
        OPT("--image", b->image);
        OPT("--ace", b->ace);
        OPT("--instance", b->instance);
        OPT("--org", b->org);
        if (b->team != NULL && b->team[0] != '\0')
            OPT("--team", b->team);
        OPT("--result", b->result_dir);
        if (b->dataset_id != NULL)
            OPT("--datasetid", dataset);
        OPT("--workspace", workspace);
        OPT("--commandline", command);
        OPT("--format_type", "json");
        argv[n] = NULL;
#undef OPT
        rc = mmar_command_run(&res, argv, NULL, COMMAND_TIMEOUT_S);
        if (rc != MMARML_OK)
            goto done;
        reply = res.exit_code == 0 ? json_loads(res.out, 0, NULL) : NULL;
        if (reply == NULL || !json_job_id(reply, r->id, sizeof(r->id)))
            rc = mmar_command_error(me, argv, &res);
        mmar_command_result_free(&res);
    }
    if (rc == MMARML_OK) {
        mmarml_context_set_string(job, MMARML_KEY_CLUSTER_JOB_ID, r->id);
        mmarml_context_trace(job, me, "submitted as NGC job %s", r->id);
        *out = r;
        r = NULL;
    }
done:
    json_decref(reply);
    mmarml_free(name);
    free(command);
    free(dataset);
    free(workspace);
    free(r);
    return rc;
}

/* NGC's status onto our end; 0 while it is not finished (CREATED, QUEUED, STARTING,
 * RUNNING, PENDING_TERMINATION, ...). */
static int map_status(const char *status, int exit_code, mmar_job_end *end)
{
    static const struct {
        const char *name;
        int status;
    } ends[] = {{"FINISHED_SUCCESS", MMARML_JOB_OK},
                {"FAILED", MMARML_JOB_FAILED},
                {"FAILED_RUN_LIMIT_EXCEEDED", MMARML_JOB_TIMEOUT},
                {"TASK_LOST", MMARML_JOB_FAILED},
                {"KILLED_BY_SYSTEM", MMARML_JOB_FAILED},
                {"KILLED_BY_USER", MMARML_JOB_ABORTED},
                {"KILLED_BY_ADMIN", MMARML_JOB_ABORTED},
                {"CANCELED", MMARML_JOB_ABORTED}};
    size_t i;

    for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (strcmp(status, ends[i].name) == 0) {
            end->status = ends[i].status;
            end->exit_code = exit_code;
            end->signal = 0;
            return 1;
        }
    return 0;
}

static int ngc_check(void *data, void *run, mmarml_context *job, int wake_fd,
                     double timeout_s, mmar_job_end *end)
{
    ngc_run *r = run;
    char *argv[] = {"ngc", "batch", "get", r->id, "--format_type", "json", NULL};
    mmar_command_result res;
    const char *status = NULL;
    json_t *reply = NULL;
    int exit_code = -1, rc;

    (void)data;
    rc = mmar_command_run(&res, argv, NULL, COMMAND_TIMEOUT_S);
    if (rc != MMARML_OK)
        return rc;
    if (res.exit_code == 0 && (reply = json_loads(res.out, 0, NULL)) != NULL)
        status = json_job_status(reply, &exit_code);
    if (status == NULL) {
        /* NGC did not answer or answered nonsense: ask again at the next poll, up to a limit */
        double t = mmar_monotonic_time();
        if (r->unreachable == 0) {
            r->unreachable = t;
            mmarml_context_trace(job, me, "no status for NGC job %s (exit %d); asking again",
                                 r->id, res.exit_code);
        } else if (t - r->unreachable > MMAR_UNREACHABLE_LIMIT_S) {
            rc = mmar_command_error(me, argv, &res);
            json_decref(reply);
            mmar_command_result_free(&res);
            return rc;
        }
    } else {
        r->unreachable = 0;
        if (strcmp(status, r->status) != 0) {
            mmarml_context_set_string(job, MMARML_KEY_CLUSTER_JOB_STATE, status);
            snprintf(r->status, sizeof(r->status), "%s", status);
        }
        if (map_status(status, exit_code, end)) {
            json_decref(reply);
            mmar_command_result_free(&res);
            return 1;
        }
    }
    json_decref(reply);
    mmar_command_result_free(&res);
    mmar_executor_nap(wake_fd, timeout_s);
    return 0;
}

static int ngc_stop(void *data, void *run, mmarml_context *job, double grace_s)
{
    ngc_run *r = run;
    char *argv[] = {"ngc", "batch", "kill", r->id, NULL};
    mmar_command_result res;
    int rc;

    (void)data, (void)grace_s;
    rc = mmar_command_run(&res, argv, NULL, COMMAND_TIMEOUT_S);
    if (rc != MMARML_OK)
        return rc;
    if (res.exit_code != 0)
        rc = mmar_command_error(me, argv, &res);
    else
        mmarml_context_trace(job, me, "killed NGC job %s", r->id);
    mmar_command_result_free(&res);
    return rc;
}

/* A job an earlier part of the run submitted: follow it as if just submitted. */
static int ngc_adopt(void **out, void *data, mmarml_context *job, const char *job_root,
                     const char *cluster_id)
{
    ngc_run *r = calloc(1, sizeof(*r));

    (void)data;
    (void)job_root;
    *out = NULL;
    if (r == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (strlen(cluster_id) == 0 || strlen(cluster_id) >= sizeof(r->id)) {
        free(r);
        return mmarml_error_set(MMARML_EINVAL, "%s: the journal's NGC job id '%s' is not a "
                                "job id", me, cluster_id);
    }
    snprintf(r->id, sizeof(r->id), "%s", cluster_id);
    mmarml_context_set_string(job, MMARML_KEY_CLUSTER_JOB_ID, r->id);
    *out = r;
    return MMARML_OK;
}

static void ngc_release(void *data, void *run)
{
    (void)data;
    free(run);
}

/* The string args, where each lives in ngc_backend, whether it may be left out, and its
 * default: the seed's NGCExecutor(image, dataset_id, dataset_path, workspace_id,
 * workspace_path, org='nvidian', team='dlmed', ace='nv-us-west-2',
 * instance='dgx1v.16g.1.norm', result_dir='/results', poll_interval=30). A dataset is
 * optional here (a job may read its data from the workspace); both its args or neither. */
static const struct {
    const char *name;
    size_t offset;
    int optional;
    const char *fallback;
} ngc_args[] = {
    {"image", offsetof(ngc_backend, image), 0, NULL},
    {"dataset_id", offsetof(ngc_backend, dataset_id), 1, NULL},
    {"dataset_path", offsetof(ngc_backend, dataset_path), 1, NULL},
    {"workspace_id", offsetof(ngc_backend, workspace_id), 0, NULL},
    {"workspace_path", offsetof(ngc_backend, workspace_path), 0, NULL},
    {"org", offsetof(ngc_backend, org), 0, "nvidian"},
    {"team", offsetof(ngc_backend, team), 0, "dlmed"},
    {"ace", offsetof(ngc_backend, ace), 0, "nv-us-west-2"},
    {"instance", offsetof(ngc_backend, instance), 0, "dgx1v.16g.1.norm"},
    {"result_dir", offsetof(ngc_backend, result_dir), 0, "/results"},
};
#define NGC_ARGS (sizeof(ngc_args) / sizeof(ngc_args[0]))

static char **ngc_field(ngc_backend *b, size_t i)
{
    return (char **)(void *)((char *)b + ngc_args[i].offset);
}

static void ngc_destroy(void *data)
{
    size_t i;

    if (data == NULL)
        return;
    for (i = 0; i < NGC_ARGS; i++)
        free(*ngc_field(data, i));
    free(data);
}

int mmarml_executor_new_ngc(mmarml_executor **out, const json_t *args)
{
    const char *own[NGC_ARGS + 1];
    mmar_backend be = {0};
    ngc_backend *b;
    size_t i;
    int rc = MMARML_OK;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    for (i = 0; i < NGC_ARGS; i++)
        own[i] = ngc_args[i].name;
    own[NGC_ARGS] = NULL;
    if ((rc = mmar_executor_args_check(args, me, own)) != MMARML_OK)
        return rc;
    if ((b = calloc(1, sizeof(*b))) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    for (i = 0; rc == MMARML_OK && i < NGC_ARGS; i++) {
        const char *v = NULL;
        rc = mmarml_args_get_string(args, me, own[i], ngc_args[i].fallback, &v);
        if (rc != MMARML_OK || (v == NULL && ngc_args[i].optional))
            continue;
        if (v == NULL)
            rc = mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' is required", me, own[i]);
        else if (v[0] == '\0' && strcmp(own[i], "team") != 0) /* team "": no --team */
            rc = mmarml_error_set(MMARML_EINVAL, "%s: arg '%s' must not be empty", me, own[i]);
        else if ((*ngc_field(b, i) = strdup(v)) == NULL)
            rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    if (rc == MMARML_OK && (b->dataset_id == NULL) != (b->dataset_path == NULL))
        rc = mmarml_error_set(MMARML_EINVAL, "%s: args 'dataset_id' and 'dataset_path' go "
                              "together", me);
    if (rc != MMARML_OK) {
        ngc_destroy(b);
        return rc;
    }
    be.name = me;
    be.poll_interval = 30.0;
    be.data = b;
    be.submit = ngc_submit;
    be.adopt = ngc_adopt;
    be.check = ngc_check;
    be.stop = ngc_stop;
    be.release = ngc_release;
    be.destroy = ngc_destroy;
    return mmar_executor_base_new(out, args, &be);
}
