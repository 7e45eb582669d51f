/* SlurmExecutor: each job's round script is submitted with sbatch (argv only), followed with
 * scontrol (sacct once Slurm has forgotten the job, when accounting exists; else what the job
 * left in its MMAR), and cancelled with scancel. Public API plus the shared skeleton. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmarml.h"
#include "command.h"
#include "executor_base.h"
#include "mmar_util.h"

/* Seconds one client command may take (slurmctld down: sbatch gives up after ~9 s, squeue
 * and scontrol after ~18 s). */
#define COMMAND_TIMEOUT_S 60.0

typedef struct {
    char *partition, *account, *time_limit, *mem;
    int64_t gpus, cpus;
    char **extra; /* NULL-terminated */
    int accounting; /* 1 until sacct says accounting storage is disabled */
} slurm_backend;

typedef struct {
    char id[64];
    char *job_root;
    char state[64];     /* last state seen, for the trace */
    double unreachable; /* when Slurm first failed to answer in a row; 0 when it answers */
} slurm_run;

static const char *const me = "SlurmExecutor";

/* Run a client command; MMARML_OK and *res filled when it ran, whatever its exit. */
static int client(mmar_command_result *res, char *const argv[], char *const env[])
{
    return mmar_command_run(res, argv, env, COMMAND_TIMEOUT_S);
}

static char *arg_opt(const char *name, const char *value)
{
    char *s = NULL;

    return asprintf(&s, "--%s=%s", name, value) < 0 ? NULL : s;
}

static char *arg_int(const char *name, int64_t value)
{
    char *s = NULL;

    return asprintf(&s, "--%s=%lld", name, (long long)value) < 0 ? NULL : s;
}

static void free_argv(char **argv)
{
    size_t i;

    for (i = 0; argv != NULL && argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
}

/* sbatch --parsable --job-name=... --output=<job>/log.txt --chdir=<job>/commands [options]
 * --wrap=<run the round script by its path> */
static char **sbatch_argv(const slurm_backend *b, mmarml_context *job, const char *job_root)
{
    char *run_id = NULL, *name = NULL, *job_name = NULL, *cwd = NULL;
    size_t n = 0, i, extra = 0;
    char **argv;
    int failed = 0;

    while (b->extra != NULL && b->extra[extra] != NULL)
        extra++;
    argv = calloc(16 + extra, sizeof(char *));
    if (argv == NULL)
        return NULL;
    mmarml_context_get_string(job, MMARML_KEY_RUN_ID, &run_id);
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    if (asprintf(&job_name, "mmarml.%s.%s", run_id ? run_id : "run", name ? name : "job") < 0)
        job_name = NULL;
#define PUSH(expr)                                                                          \
    do {                                                                                    \
        if ((argv[n++] = (expr)) == NULL)                                                   \
            failed = 1;                                                                     \
    } while (0)
    PUSH(strdup("sbatch"));
    PUSH(strdup("--parsable"));
    PUSH(arg_opt("job-name", job_name ? job_name : ""));
    if (asprintf(&argv[n++], "--output=%s/" MMARML_MMAR_LOG_FILE, job_root) < 0) {
        argv[n - 1] = NULL;
        failed = 1;
    }
    PUSH(strdup("--open-mode=append"));
    if ((cwd = mmar_round_script_cwd(job_root)) != NULL)
        PUSH(arg_opt("chdir", cwd));
    else
        failed = 1;
    PUSH(strdup("--export=ALL"));
    if (b->partition != NULL)
        PUSH(arg_opt("partition", b->partition));
    if (b->account != NULL)
        PUSH(arg_opt("account", b->account));
    if (b->time_limit != NULL)
        PUSH(arg_opt("time", b->time_limit));
    if (b->gpus > 0)
        PUSH(arg_int("gpus", b->gpus));
    if (b->cpus > 0)
        PUSH(arg_int("cpus-per-task", b->cpus));
    if (b->mem != NULL)
        PUSH(arg_opt("mem", b->mem));
    for (i = 0; i < extra; i++)
        PUSH(strdup(b->extra[i]));
    /* sbatch would run a copy of the script from its spool directory: Clara's round script
     * finds set_env.sh through dirname "$0". A fixed wrapper (no value in it: MMAR_ROOT
     * comes through the exported environment) runs the script as itself. */
    PUSH(strdup("--wrap=exec \"$MMAR_ROOT/" MMARML_MMAR_COMMAND_DIR "/"
                MMARML_MMAR_TRAIN_ROUND_CMD "\""));
#undef PUSH
    free(cwd);
    mmarml_free(run_id);
    mmarml_free(name);
    free(job_name);
    if (failed) {
        /* compact out the NULL holes before freeing */
        size_t k = 0;
        for (i = 0; i < n; i++)
            if (argv[i] != NULL)
                argv[k++] = argv[i];
        argv[k] = NULL;
        free_argv(argv);
        return NULL;
    }
    return argv;
}

static void write_job_id(const char *job_root, const char *id)
{
    char *path = NULL, text[80];

    if (asprintf(&path, "%s/slurm_job_id", job_root) < 0)
        return;
    snprintf(text, sizeof(text), "%s\n", id);
    mmar_write_text_atomic(path, text, 0); /* a note for people: the run goes on without it */
    free(path);
}

static int slurm_submit(void **out, void *data, mmarml_context *job, const char *job_root,
                        char *const env[])
{
    slurm_backend *b = data;
    mmar_command_result res;
    char **argv, *script = NULL;
    slurm_run *r;
    size_t len;
    int rc;

    *out = NULL;
    if (asprintf(&script, "%s/commands/automl_train_round.sh", job_root) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (access(script, X_OK) != 0) {
        rc = mmarml_error_set(MMARML_ENOTFOUND, "%s: round script '%s' is missing or not "
                              "executable: %s", me, script, strerror(errno));
        free(script);
        return rc;
    }
    free(script);
    r = calloc(1, sizeof(*r));
    argv = sbatch_argv(b, job, job_root);
    if (r == NULL || argv == NULL || (r->job_root = strdup(job_root)) == NULL) {
        free_argv(argv);
        free(r);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    rc = client(&res, argv, env);
    if (rc == MMARML_OK) {
        /* "<id>" or "<id>;<cluster>" */
        len = strspn(res.out, "0123456789");
        if (res.exit_code != 0 || len == 0 || len >= sizeof(r->id))
            rc = mmar_command_error(me, argv, &res);
        else
            memcpy(r->id, res.out, len);
        mmar_command_result_free(&res);
    }
    free_argv(argv);
    if (rc != MMARML_OK) {
        free(r->job_root);
        free(r);
        return rc;
    }
    mmarml_context_set_string(job, MMARML_KEY_CLUSTER_JOB_ID, r->id);
    mmarml_context_trace(job, me, "submitted as Slurm job %s", r->id);
    write_job_id(job_root, r->id);
    *out = r;
    return MMARML_OK;
}

/* A job an earlier part of the run submitted: follow it as if just submitted. */
static int slurm_adopt(void **out, void *data, mmarml_context *job, const char *job_root,
                       const char *cluster_id)
{
    slurm_run *r = calloc(1, sizeof(*r));

    (void)data;
    *out = NULL;
    if (r == NULL || (r->job_root = strdup(job_root)) == NULL) {
        free(r);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    if (strlen(cluster_id) == 0 || strlen(cluster_id) >= sizeof(r->id) ||
        strspn(cluster_id, "0123456789") != strlen(cluster_id)) {
        free(r->job_root);
        free(r);
        return mmarml_error_set(MMARML_EINVAL, "%s: the journal's Slurm job id '%s' is not a "
                                "job id", me, cluster_id);
    }
    snprintf(r->id, sizeof(r->id), "%s", cluster_id);
    mmarml_context_set_string(job, MMARML_KEY_CLUSTER_JOB_ID, r->id);
    *out = r;
    return MMARML_OK;
}

/* Slurm's job state onto our end; 0 while it is not finished (PENDING, RUNNING,
 * COMPLETING, CONFIGURING, SUSPENDED, REQUEUED, ...). `exit` is Slurm's "code:signal". */
static int map_state(const char *state, const char *exit, mmar_job_end *end)
{
    static const struct {
        const char *prefix;
        int status;
    } ends[] = {{"COMPLETED", MMARML_JOB_OK},        {"FAILED", MMARML_JOB_FAILED},
                {"CANCELLED", MMARML_JOB_ABORTED},   {"TIMEOUT", MMARML_JOB_TIMEOUT},
                {"NODE_FAIL", MMARML_JOB_FAILED},    {"OUT_OF_MEMORY", MMARML_JOB_FAILED},
                {"BOOT_FAIL", MMARML_JOB_FAILED},    {"DEADLINE", MMARML_JOB_FAILED},
                {"PREEMPTED", MMARML_JOB_FAILED}};
    size_t i;
    int code = -1, sig = 0;

    for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (strncmp(state, ends[i].prefix, strlen(ends[i].prefix)) == 0)
            break;
    if (i == sizeof(ends) / sizeof(ends[0]))
        return 0;
    if (exit == NULL || sscanf(exit, "%d:%d", &code, &sig) != 2)
        code = -1, sig = 0;
    end->status = ends[i].status;
    end->exit_code = sig != 0 ? -1 : code;
    end->signal = sig;
    /* COMPLETED means exit 0; anything else that ended cleanly is a failure of its own */
    if (end->status == MMARML_JOB_OK && code > 0)
        end->status = MMARML_JOB_FAILED;
    return 1;
}

/* The value of "Key=" in scontrol's one-line output (copied to buf), or NULL. */
static const char *field(const char *text, const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    const char *p = text;

    while ((p = strstr(p, key)) != NULL) {
        if ((p == text || p[-1] == ' ' || p[-1] == '\n') && p[klen] == '=') {
            size_t len = strcspn(p + klen + 1, " \n");
            snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), p + klen + 1);
            return buf;
        }
        p += klen;
    }
    return NULL;
}

/* Slurm no longer knows the job: ask sacct, else read what the job left in its MMAR. */
static int forgotten(slurm_backend *b, slurm_run *r, mmarml_context *job, mmar_job_end *end)
{
    char *argv[] = {"sacct", "-n", "-X", "-P", "-o", "State,ExitCode", "-j", r->id, NULL};
    mmar_command_result res;
    double score;

    if (__atomic_load_n(&b->accounting, __ATOMIC_RELAXED) &&
        client(&res, argv, NULL) == MMARML_OK) {
        char state[64] = "", exit[32] = "";
        int found = res.exit_code == 0 &&
                    sscanf(res.out, "%63[^|\n]|%31[^|\n]", state, exit) == 2;
        if (res.exit_code != 0 && strstr(res.err, "disabled") != NULL)
            __atomic_store_n(&b->accounting, 0, __ATOMIC_RELAXED);
        mmar_command_result_free(&res);
        if (found && map_state(state, exit, end)) {
            mmarml_context_trace(job, me, "Slurm job %s: %s (%s) from sacct", r->id, state,
                                 exit);
            return 1;
        }
    }
    /* no record: the job ended while nobody looked. Its MMAR says how far it got. */
    end->exit_code = -1;
    end->signal = 0;
    end->status = mmar_read_score(r->job_root, &score, NULL) == MMARML_OK ? MMARML_JOB_OK
                                                                   : MMARML_JOB_NO_SCORE;
    mmarml_context_trace(job, me, "Slurm job %s has left the controller's memory and there is "
                         "no accounting record; judged by its MMAR: %s", r->id,
                         end->status == MMARML_JOB_OK ? "it has a score" : "no score");
    return 1;
}

static int slurm_check(void *data, void *run, mmarml_context *job, int wake_fd,
                       double timeout_s, mmar_job_end *end)
{
    slurm_backend *b = data;
    slurm_run *r = run;
    char *argv[] = {"scontrol", "-o", "show", "job", r->id, NULL};
    char state[64], exit[32];
    mmar_command_result res;
    int rc;

    rc = client(&res, argv, NULL);
    if (rc != MMARML_OK)
        return rc; /* scontrol cannot even start: nothing will get better */
    if (res.exit_code == 0 && field(res.out, "JobState", state, sizeof(state)) != NULL) {
        r->unreachable = 0;
        if (strcmp(state, r->state) != 0) {
            mmarml_context_set_string(job, MMARML_KEY_CLUSTER_JOB_STATE, state);
            snprintf(r->state, sizeof(r->state), "%s", state);
        }
        if (map_state(state, field(res.out, "ExitCode", exit, sizeof(exit)), end)) {
            mmar_command_result_free(&res);
            return 1;
        }
    } else if (strstr(res.err, "Invalid job id") != NULL) {
        mmar_command_result_free(&res);
        return forgotten(b, r, job, end);
    } else {
        /* slurmctld down or busy: keep the job, ask again later, up to a limit */
        double t = mmar_monotonic_time();
        if (r->unreachable == 0) {
            r->unreachable = t;
            mmarml_context_trace(job, me, "Slurm does not answer about job %s; asking again",
                                 r->id);
        } else if (t - r->unreachable > MMAR_UNREACHABLE_LIMIT_S) {
            rc = mmar_command_error(me, argv, &res);
            mmar_command_result_free(&res);
            return rc;
        }
    }
    mmar_command_result_free(&res);
    mmar_executor_nap(wake_fd, timeout_s);
    return 0;
}

static int slurm_stop(void *data, void *run, mmarml_context *job, double grace_s)
{
    slurm_run *r = run;
    char *argv[] = {"scancel", r->id, NULL};
    mmar_command_result res;
    int rc;

    (void)data, (void)grace_s; /* Slurm's own KillWait sits between SIGTERM and SIGKILL */
    rc = client(&res, argv, NULL);
    if (rc != MMARML_OK)
        return rc;
    /* a job that is ending or gone needs no cancel */
    if (res.exit_code != 0 && strstr(res.err, "Invalid job id") == NULL &&
        strstr(res.err, "completed") == NULL)
        rc = mmar_command_error(me, argv, &res);
    else
        mmarml_context_trace(job, me, "cancelled Slurm job %s", r->id);
    mmar_command_result_free(&res);
    return rc;
}

static void slurm_release(void *data, void *run)
{
    slurm_run *r = run;

    (void)data;
    if (r != NULL)
        free(r->job_root);
    free(r);
}

static void slurm_destroy(void *data)
{
    slurm_backend *b = data;

    if (b == NULL)
        return;
    free(b->partition);
    free(b->account);
    free(b->time_limit);
    free(b->mem);
    free_argv(b->extra);
    free(b);
}

/* A string arg copied, or NULL when absent. */
static int opt_string(const json_t *args, const char *key, char **out)
{
    const char *v = NULL;
    int rc = mmarml_args_get_string(args, me, key, NULL, &v);

    *out = NULL;
    if (rc == MMARML_OK && v != NULL && (*out = strdup(v)) == NULL)
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    return rc;
}

/* time_limit: Slurm's own string ("1:30:00", "2-0") or a number of minutes. */
static int parse_time_limit(const json_t *args, char **out)
{
    const json_t *v = json_object_get(args, "time_limit");

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return MMARML_OK;
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return asprintf(out, "%lld", (long long)json_integer_value(v)) < 0
                   ? mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me)
                   : MMARML_OK;
    if (json_is_string(v) && json_string_length(v) > 0)
        return opt_string(args, "time_limit", out);
    return mmarml_error_set(MMARML_EINVAL, "%s: arg 'time_limit' must be minutes (an integer "
                            "> 0) or a Slurm time string such as \"1:30:00\"", me);
}

static int parse_extra(const json_t *args, char ***out)
{
    const json_t *list = json_object_get(args, "extra_args"), *v;
    size_t i;

    *out = NULL;
    if (list == NULL)
        return MMARML_OK;
    if (!json_is_array(list))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'extra_args' must be a list of sbatch "
                                "options", me);
    if ((*out = calloc(json_array_size(list) + 1, sizeof(char *))) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        /* an option, never a word sbatch would take for the script to run */
        if (s == NULL || s[0] != '-' || s[1] == '\0')
            return mmarml_error_set(MMARML_EINVAL, "%s: extra_args[%zu] must be an sbatch "
                                    "option string starting with '-'", me, i);
        if (((*out)[i] = strdup(s)) == NULL)
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    return MMARML_OK;
}

int mmarml_executor_new_slurm(mmarml_executor **out, const json_t *args)
{
    static const char *const own[] = {"partition", "account", "time_limit", "gpus_per_job",
                                      "cpus_per_job", "mem", "extra_args", "max_concurrent",
                                      NULL};
    mmar_backend be = {0};
    slurm_backend *b;
    int64_t max_concurrent = 0;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    if ((rc = mmar_executor_args_check(args, me, own)) != MMARML_OK)
        return rc;
    if ((b = calloc(1, sizeof(*b))) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    b->accounting = 1;
    if ((rc = opt_string(args, "partition", &b->partition)) == MMARML_OK &&
        (rc = opt_string(args, "account", &b->account)) == MMARML_OK &&
        (rc = opt_string(args, "mem", &b->mem)) == MMARML_OK &&
        (rc = parse_time_limit(args, &b->time_limit)) == MMARML_OK &&
        (rc = parse_extra(args, &b->extra)) == MMARML_OK &&
        (rc = mmarml_args_get_int(args, me, "gpus_per_job", 0, &b->gpus)) == MMARML_OK &&
        (rc = mmarml_args_get_int(args, me, "cpus_per_job", 0, &b->cpus)) == MMARML_OK &&
        (rc = mmarml_args_get_int(args, me, "max_concurrent", 0, &max_concurrent)) ==
            MMARML_OK &&
        (b->gpus < 0 || b->cpus < 0 || max_concurrent < 0))
        rc = mmarml_error_set(MMARML_EINVAL, "%s: 'gpus_per_job', 'cpus_per_job' and "
                              "'max_concurrent' must be >= 0", me);
    if (rc != MMARML_OK) {
        slurm_destroy(b);
        return rc;
    }
    be.name = me;
    be.poll_interval = 5.0;
    be.max_concurrent = max_concurrent;
    be.data = b;
    be.submit = slurm_submit;
    be.adopt = slurm_adopt;
    be.check = slurm_check;
    be.stop = slurm_stop;
    be.release = slurm_release;
    be.destroy = slurm_destroy;
    return mmar_executor_base_new(out, args, &be);
}
