#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmarml.h"
#include "clone.h"
#include "executor_base.h"
#include "progress.h"
#include "mmar_util.h"

extern char **environ;

/* How long a polled job may take to show its end after it was stopped before it is
 * reported aborted anyway (the cluster may have lost it), on top of the grace period. */
#define STOP_WAIT_S 60.0

typedef struct {
    mmar_backend be;
    int remove_search_augs;
    int content_only; /* -1: take MMARHandler's */
    char *data_list;  /* NULL: take MMARHandler's */
    double poll, grace;
    mmar_progress_config progress;
    mmarml_space_manager *manager;
    pthread_mutex_t lock; /* guards the published job handles, `running` */
    pthread_cond_t slot_freed;
    int64_t running;      /* jobs submitted and not ended, for max_concurrent */
} base_executor;

/* What execute publishes on the job context (`_execSubprocess`) for abort. */
typedef struct {
    int wake_fd; /* eventfd: abort writes, the job thread wakes */
} job_handle;

static const char *const shared_args[] = {"remove_search_augs", "key_mmar_content_only",
                                          "data_list_file_name", "poll_interval",
                                          "abort_grace_period", "progress_regex",
                                          "progress_metric", "progress_regex_groups", NULL};

int mmar_executor_args_check(const json_t *args, const char *who, const char *const own[])
{
    const char *all[64];
    size_t n = 0, i;

    for (i = 0; shared_args[i] != NULL; i++)
        all[n++] = shared_args[i];
    for (i = 0; own != NULL && own[i] != NULL && n < 63; i++)
        all[n++] = own[i];
    all[n] = NULL;
    return mmarml_args_check(args, who, all);
}

static int determine_search_space(mmarml_search_space **out, mmarml_executor *self,
                                  mmarml_context *ctx, void *ud)
{
    base_executor *x = ud;
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

/* A job that ran when the run died runs again from scratch: its half-made job MMAR goes,
 * its log stays beside it as <job>.interrupted<k>.log. */
static int clear_interrupted(const char *me, const char *run_root, const char *name,
                             const char *job_root, mmarml_context *job)
{
    char *log = NULL, *kept = NULL;
    struct stat st;
    int k, rc = MMARML_OK;

    if (lstat(job_root, &st) != 0)
        return MMARML_OK; /* it died before the clone */
    if (!mmar_job_root_is_ours(job_root, run_root, name))
        return mmarml_error_set(MMARML_EEXISTS, "%s: '%s' is not the job MMAR this run made: "
                                "it is left as it is, and the job fails", me, job_root);
    if (asprintf(&log, "%s/" MMARML_MMAR_LOG_FILE, job_root) < 0)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    for (k = 1; k < 1000; k++) {
        free(kept);
        if (asprintf(&kept, "%s.interrupted%d.log", job_root, k) < 0) {
            kept = NULL;
            break;
        }
        if (lstat(kept, &st) != 0)
            break;
    }
    if (kept != NULL && lstat(log, &st) == 0 && rename(log, kept) != 0)
        rc = mmarml_error_set(mmar_io_code(errno), "%s: cannot keep the log of the interrupted job as "
                              "'%s': %s", me, kept, strerror(errno));
    if (rc == MMARML_OK)
        rc = mmar_remove_job_root(run_root, name);
    if (rc == MMARML_OK)
        mmarml_context_trace(job, me, "the job ran when the run ended: it runs again from "
                             "scratch (its earlier log is %s)", kept ? kept : "gone");
    free(log);
    free(kept);
    return rc;
}

/* Clone the MMAR and write the job config; sets `_jobMmarRoot` and `_concreteSearchValue`. */
static int prepare_job(base_executor *x, const mmarml_recommendation *rec, mmarml_context *job,
                       char **job_root_out)
{
    const char *me = x->be.name;
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
    /* a resumed run also meets job MMARs whose start its journal lost (a machine crash
     * before the start record reached the disk): they are made anew the same way */
    if ((mmarml_context_get_type(job, MMARML_KEY_RESUMED_JOB) != MMARML_PROP_NONE ||
         mmarml_context_get_type(job, MMARML_KEY_RESUMING) != MMARML_PROP_NONE) &&
        (rc = clear_interrupted(me, run_root, name, job_root, job)) != MMARML_OK)
        goto done;
    /* without MMARHandler's `_automlRoot`, at least never copy the run root into itself */
    mmarml_context_get_string(job, MMARML_KEY_AUTOML_ROOT, &automl);
    if (x->content_only >= 0)
        content_only = x->content_only;
    else
        mmarml_context_get_bool(job, MMARML_KEY_KEY_MMAR_CONTENT_ONLY, &content_only);
    if (x->data_list == NULL)
        mmarml_context_get_string(job, MMARML_KEY_DATA_LIST_FILE_NAME, &data_list);
    if ((rc = mmarml_context_set_string(job, MMARML_KEY_JOB_MMAR_ROOT, job_root)) != MMARML_OK ||
        (rc = mmar_clone(mmar, job_root, automl != NULL ? automl : run_root, content_only,
                         x->data_list != NULL ? x->data_list : data_list, run_root,
                         name)) != MMARML_OK)
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

/* The environment of a job: ours, with the job's variables set (replacing any). Without
 * `with_gpus` CUDA_VISIBLE_DEVICES is left out altogether: the cluster sets it. A worker
 * with no GPU list (no `workers` given) leaves it as the user had it: an empty value would
 * hide every GPU from the trainer. */
static char **job_environment(mmarml_context *job, const char *job_root, int with_gpus)
{
    static const char *const names[] = {"MMAR_ROOT=", "CUDA_VISIBLE_DEVICES=",
                                        "MMARML_JOB_NAME=", "MMARML_RUN_ROOT=",
                                        MMARML_PROGRESS_FILE_ENV "=", MMARML_STOP_FILE_ENV "="};
    char *gpus = NULL, *name = NULL, *run_root = NULL;
    size_t n = 0, i, k, j;
    int failed = 0;
    char **env;

    for (; environ[n] != NULL; n++)
        ;
    env = calloc(n + 7, sizeof(char *));
    if (env == NULL)
        return NULL;
    mmarml_context_get_string(job, MMARML_KEY_GPUS, &gpus);
    if (with_gpus && (gpus == NULL || gpus[0] == '\0'))
        with_gpus = -1; /* the user's CUDA_VISIBLE_DEVICES stays */
    for (i = 0, k = 0; i < n; i++) {
        int ours = 0;
        for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
            ours |= (j != 1 || with_gpus >= 0) &&
                    strncmp(environ[i], names[j], strlen(names[j])) == 0;
        if (!ours && (env[k++] = strdup(environ[i])) == NULL)
            failed = 1;
    }
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(job, MMARML_KEY_RUN_ROOT, &run_root);
    if (asprintf(&env[k++], "MMAR_ROOT=%s", job_root) < 0 ||
        asprintf(&env[k++], "MMARML_JOB_NAME=%s", name ? name : "") < 0 ||
        asprintf(&env[k++], "MMARML_RUN_ROOT=%s", run_root ? run_root : "") < 0 ||
        asprintf(&env[k++], MMARML_PROGRESS_FILE_ENV "=%s/" MMAR_PROGRESS_FILE, job_root) < 0 ||
        asprintf(&env[k++], MMARML_STOP_FILE_ENV "=%s/" MMAR_STOP_FILE, job_root) < 0 ||
        (with_gpus > 0 && asprintf(&env[k++], "CUDA_VISIBLE_DEVICES=%s", gpus) < 0)) {
        env[--k] = NULL;
        failed = 1;
    }
    mmarml_free(gpus);
    mmarml_free(name);
    mmarml_free(run_root);
    if (failed) {
        for (i = 0; env[i] != NULL || i < k; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

static void free_environment(char **env)
{
    size_t i;

    for (i = 0; env != NULL && env[i] != NULL; i++)
        free(env[i]);
    free(env);
}

static int job_aborted(mmarml_context *job)
{
    int flag = 0;

    return mmarml_context_get_bool(job, MMARML_KEY_JOB_ABORTED, &flag) == MMARML_OK && flag;
}

/* Wait for a free slot under max_concurrent. 0 when taken, 1 when the job was aborted. */
static int take_slot(base_executor *x, mmarml_context *job)
{
    int aborted;

    if (x->be.max_concurrent <= 0)
        return 0;
    pthread_mutex_lock(&x->lock);
    while (!(aborted = job_aborted(job)) && x->running >= x->be.max_concurrent)
        pthread_cond_wait(&x->slot_freed, &x->lock);
    if (!aborted)
        x->running++;
    pthread_mutex_unlock(&x->lock);
    return aborted;
}

static void give_slot(base_executor *x)
{
    if (x->be.max_concurrent <= 0)
        return;
    pthread_mutex_lock(&x->lock);
    x->running--;
    pthread_cond_broadcast(&x->slot_freed);
    pthread_mutex_unlock(&x->lock);
}

void mmar_executor_nap(int wake_fd, double timeout_s)
{
    struct pollfd pfd = {wake_fd, POLLIN, 0};

    if (poll(&pfd, 1, timeout_s > 0 ? (int)(timeout_s * 1000) : 0) < 0) {
        /* EINTR: the caller checks again anyway */
    }
}

static void drain_wake(int fd)
{
    uint64_t v;

    if (read(fd, &v, sizeof(v)) < 0) {
        /* nothing there: a wake that was already consumed */
    }
}

/* The cluster job id an earlier part of a resumed run noted for this job, or NULL. */
static char *noted_cluster_id(mmarml_context *job)
{
    json_t *resumed = NULL;
    const char *id;
    char *copy = NULL;

    if (mmarml_context_get_json(job, MMARML_KEY_RESUMED_JOB, &resumed) != MMARML_OK)
        return NULL;
    id = json_string_value(json_object_get(json_object_get(resumed, "notes"),
                                           "cluster_job_id"));
    if (id != NULL)
        copy = strdup(id);
    json_decref(resumed);
    return copy;
}

/* Submit the job, or follow the one the cluster still has for it; then note its id in the
 * journal, so that a run that dies from here on adopts it rather than submitting again. */
static int start_or_adopt(base_executor *x, void **run, mmarml_context *job,
                          const char *job_root, char *const env[])
{
    char *id = x->be.adopt != NULL ? noted_cluster_id(job) : NULL, *now = NULL;
    int rc;

    if (id != NULL) {
        rc = x->be.adopt(run, x->be.data, job, job_root, id);
        if (rc == MMARML_OK)
            mmarml_context_trace(job, x->be.name, "adopted cluster job %s of the earlier "
                                 "part of the run", id);
        free(id);
        return rc;
    }
    rc = x->be.submit(run, x->be.data, job, job_root, env);
    if (rc == MMARML_OK &&
        mmarml_context_get_string(job, MMARML_KEY_CLUSTER_JOB_ID, &now) == MMARML_OK &&
        mmarml_job_note(job, "cluster_job_id", now) != MMARML_OK)
        mmarml_context_exception_occurred(job, x->be.name, mmarml_error_message());
    mmarml_free(now);
    return rc;
}

/* Before the signal: a file a trainer may look for to save and leave within the grace
 * period. A marker that cannot be written is said, and the job is stopped all the same. */
static void write_stop_marker(mmarml_context *job, const char *job_root)
{
    char *path = NULL;
    int fd = -1;

    if (asprintf(&path, "%s/" MMAR_STOP_FILE, job_root) >= 0)
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        mmarml_context_trace(job, "executor", "cannot write the stop marker '%s': %s",
                             path ? path : job_root, strerror(errno));
    else
        close(fd);
    free(path);
}

static int job_pruned(mmarml_context *job)
{
    int pruned = 0;

    mmarml_context_get_bool(job, MMARML_KEY_JOB_PRUNED, &pruned);
    return pruned;
}

/* Submit, then check until the end; stop once when the job is aborted. The stop marker comes
 * first; a job the pruner stopped then has the grace period to save and leave by itself
 * before the signal (which is followed by SIGKILL another grace period later), any other
 * abort is signalled at once. */
static int submit_and_follow(base_executor *x, mmarml_context *job, const char *job_root,
                             char *const env[], job_handle *h, mmar_job_end *end, int *stopped)
{
    double timeout = x->be.event_driven ? -1 : x->poll, stop_at = 0, marked_at = -1;
    void *run = NULL;
    int rc, r;

    rc = start_or_adopt(x, &run, job, job_root, env);
    if (rc != MMARML_OK)
        return rc;
    for (;;) {
        double wait = timeout;
        /* also an abort that came before the job was published: nothing woke us for it */
        if (!*stopped && job_aborted(job)) {
            double now = mmar_monotonic_time();
            if (marked_at < 0) {
                write_stop_marker(job, job_root);
                marked_at = now;
            }
            if (job_pruned(job) && now - marked_at < x->grace) {
                double left = marked_at + x->grace - now;
                wait = wait < 0 || wait > left ? left : wait;
            } else if (x->be.stop(x->be.data, run, job, x->grace) == MMARML_OK) {
                /* (a failed stop is tried again after the next check) */
                *stopped = 1;
                stop_at = now;
                /* a stopped job ends soon: look more often than the poll interval */
                if (timeout > 1.0)
                    timeout = 1.0;
                wait = timeout;
            }
        }
        if (*stopped && !x->be.event_driven &&
            mmar_monotonic_time() - stop_at > x->grace + STOP_WAIT_S) {
            mmarml_context_trace(job, x->be.name, "the job did not show its end %.0f s after "
                                 "it was stopped; reported aborted", x->grace + STOP_WAIT_S);
            end->status = MMARML_JOB_ABORTED;
            end->exit_code = -1;
            end->signal = 0;
            break;
        }
        r = x->be.check(x->be.data, run, job, h->wake_fd, wait, end);
        if (r < 0) {
            char saved[1024];
            snprintf(saved, sizeof(saved), "%s", mmarml_error_message());
            x->be.stop(x->be.data, run, job, x->grace); /* best effort: it is not ours now */
            rc = mmarml_error_set(r, "%s", saved);
            break;
        }
        if (r == 1)
            break;
        drain_wake(h->wake_fd);
    }
    x->be.release(x->be.data, run);
    return rc;
}

static int run_job(base_executor *x, mmarml_context *job, const char *job_root,
                   mmar_job_end *end, int *aborted)
{
    job_handle h;
    char **env, message[1024];
    int stopped = 0, rc;

    env = job_environment(job, job_root, x->be.gpus_in_env);
    if (env == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", x->be.name);
    h.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h.wake_fd < 0) {
        free_environment(env);
        return mmarml_error_set(MMARML_EIO, "%s: eventfd: %s", x->be.name, strerror(errno));
    }
    if (take_slot(x, job)) {
        *aborted = 1; /* never submitted */
        end->status = MMARML_JOB_ABORTED;
        close(h.wake_fd);
        free_environment(env);
        return MMARML_OK;
    }
    /* publish the handle for abort, then look for an abort that came before */
    pthread_mutex_lock(&x->lock);
    rc = mmarml_context_set_pointer(job, MMARML_KEY_EXEC_SUBPROCESS, &h, NULL);
    pthread_mutex_unlock(&x->lock);
    if (rc == MMARML_OK) {
        mmar_progress *progress = NULL;
        /* a job whose progress cannot be followed still trains: said, not fatal */
        if (mmar_progress_start(&progress, &x->progress, job, job_root) != MMARML_OK)
            mmarml_context_exception_occurred(job, x->be.name, mmarml_error_message());
        rc = submit_and_follow(x, job, job_root, env, &h, end, &stopped);
        mmar_progress_finish(progress); /* its last lines, before the job's end is told */
    }
    if (rc != MMARML_OK) /* keep the message: the lookups below may set their own */
        snprintf(message, sizeof(message), "%s", mmarml_error_message());
    pthread_mutex_lock(&x->lock);
    mmarml_context_remove(job, MMARML_KEY_EXEC_SUBPROCESS);
    pthread_mutex_unlock(&x->lock);
    give_slot(x);
    *aborted = stopped || job_aborted(job);
    close(h.wake_fd);
    free_environment(env);
    return rc == MMARML_OK ? rc : mmarml_error_set(rc, "%s", message);
}

/* A job that ran when the run died, whose round script ended before the run did: the local
 * guard wrote its wait status into the job MMAR. 1 with *end (and *job_root) when so; a
 * death by SIGTERM or SIGKILL is taken for our own stop, and the job runs again. */
static int ended_meanwhile(base_executor *x, mmarml_context *job, char **job_root,
                           mmar_job_end *end)
{
    char *run_root = NULL, *name = NULL, *path = NULL;
    FILE *f = NULL;
    int status = 0, found = 0;

    *job_root = NULL;
    if (mmarml_context_get_type(job, MMARML_KEY_RESUMED_JOB) == MMARML_PROP_NONE ||
        mmarml_context_get_string(job, MMARML_KEY_RUN_ROOT, &run_root) != MMARML_OK ||
        mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name) != MMARML_OK)
        goto done;
    if (asprintf(job_root, "%s/%s", run_root, name) < 0 ||
        asprintf(&path, "%s/%s", *job_root, MMAR_EXIT_RECORD) < 0) {
        path = NULL;
        goto done;
    }
    f = fopen(path, "re");
    if (f != NULL && fscanf(f, "%d", &status) == 1 &&
        !(WIFSIGNALED(status) && (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL))) {
        found = 1;
        end->status = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? MMARML_JOB_OK
                                                                     : MMARML_JOB_FAILED;
        end->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        end->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        mmarml_context_set_string(job, MMARML_KEY_JOB_MMAR_ROOT, *job_root);
        mmarml_context_trace(job, x->be.name, "the round script had ended (%s %d) when the "
                             "run died: its outcome is taken, it does not run again",
                             end->signal ? "signal" : "exit", end->signal ? end->signal
                                                                           : end->exit_code);
    }
done:
    if (f != NULL)
        fclose(f);
    if (!found) {
        free(*job_root);
        *job_root = NULL;
    }
    free(path);
    mmarml_free(run_root);
    mmarml_free(name);
    return found;
}

/* A resumed job the cluster may still run: its job MMAR is in use there, leave it be. */
static int adoptable(base_executor *x, mmarml_context *job)
{
    char *id = x->be.adopt != NULL ? noted_cluster_id(job) : NULL;

    free(id);
    return id != NULL;
}

static int adopted_job_root(base_executor *x, mmarml_context *job, char **out)
{
    char *run_root = NULL, *name = NULL;
    int rc;

    *out = NULL;
    if ((rc = mmar_get_string(job, MMARML_KEY_RUN_ROOT, x->be.name, &run_root)) == MMARML_OK &&
        (rc = mmar_get_string(job, MMARML_KEY_JOB_NAME, x->be.name, &name)) == MMARML_OK &&
        asprintf(out, "%s/%s", run_root, name) < 0) {
        *out = NULL;
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", x->be.name);
    }
    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(job, MMARML_KEY_JOB_MMAR_ROOT, *out);
    mmarml_free(run_root);
    mmarml_free(name);
    return rc;
}

static int execute(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    base_executor *x = ud;
    mmar_job_end end = {MMARML_JOB_FAILED, -1, 0};
    char *job_root = NULL;
    json_t *stats = NULL;
    int aborted = 0, rc;

    (void)self;
    if (x->manager == NULL)
        return mmarml_error_set(MMARML_EMISUSE, "%s: execute before determine_search_space",
                                x->be.name);
    if (adoptable(x, job))
        rc = adopted_job_root(x, job, &job_root);
    else if ((rc = ended_meanwhile(x, job, &job_root, &end)) == 1)
        goto scored; /* the trainer ended after the run died: its outcome, not a rerun */
    else
        rc = prepare_job(x, rec, job, &job_root);
    if (rc != MMARML_OK)
        return rc;
    if (x->be.run_inline != NULL) {
        rc = x->be.run_inline(status, score, x->be.data, job);
        free(job_root);
        return rc;
    }
    rc = run_job(x, job, job_root, &end, &aborted);
scored:
    if (rc == MMARML_OK || rc == 1) {
        rc = MMARML_OK;
        if (end.exit_code >= 0 || end.signal != 0)
            mmarml_context_set_int(job, MMARML_KEY_PROCESS_EXIT_STATUS,
                                   end.signal != 0 ? -end.signal : end.exit_code);
        if (aborted)
            *status = MMARML_JOB_ABORTED;
        else if (end.status != MMARML_JOB_OK)
            *status = end.status;
        else
            *status = mmar_read_score(job_root, score, &stats) == MMARML_OK
                          ? MMARML_JOB_OK
                          : MMARML_JOB_NO_SCORE;
        /* Clara's MMARPropKey.MMAR_TRAIN_STATS: what the trainer reported, for handlers */
        if (stats != NULL)
            mmarml_context_set_json(job, MMARML_KEY_MMAR_TRAIN_STATS, stats);
    }
    json_decref(stats);
    free(job_root);
    return rc;
}

static void abort_job(mmarml_executor *self, mmarml_context *job, void *ud)
{
    base_executor *x = ud;
    uint64_t one = 1;
    void *p = NULL;

    (void)self;
    pthread_mutex_lock(&x->lock);
    if (mmarml_context_get_pointer(job, MMARML_KEY_EXEC_SUBPROCESS, &p) == MMARML_OK &&
        p != NULL && write(((job_handle *)p)->wake_fd, &one, sizeof(one)) < 0) {
        /* the counter is full only after 2^64 aborts: it is awake anyway */
    }
    pthread_cond_broadcast(&x->slot_freed); /* a job waiting for a slot sees `_jobAborted` */
    pthread_mutex_unlock(&x->lock);
}

static void destroy(void *ud)
{
    base_executor *x = ud;

    if (x->be.destroy != NULL)
        x->be.destroy(x->be.data);
    mmarml_space_manager_unref(x->manager);
    free(x->data_list);
    mmar_progress_config_free(&x->progress);
    pthread_cond_destroy(&x->slot_freed);
    pthread_mutex_destroy(&x->lock);
    free(x);
}

static int parse_shared(base_executor *x, const json_t *args)
{
    const char *me = x->be.name, *data_list;
    int rc;

    if ((rc = mmarml_args_get_bool(args, me, "remove_search_augs", 0,
                                   &x->remove_search_augs)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "poll_interval", x->be.poll_interval,
                                     &x->poll)) != MMARML_OK ||
        (rc = mmarml_args_get_double(args, me, "abort_grace_period", 10.0, &x->grace)) !=
            MMARML_OK ||
        (rc = mmarml_args_get_string(args, me, "data_list_file_name", NULL, &data_list)) !=
            MMARML_OK)
        return rc;
    if (!(x->poll > 0) || !isfinite(x->poll))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'poll_interval' must be a number of "
                                "seconds > 0", me);
    if (!(x->grace >= 0) || !isfinite(x->grace))
        return mmarml_error_set(MMARML_EINVAL, "%s: arg 'abort_grace_period' must be a number "
                                "of seconds >= 0", me);
    if (json_object_get(args, "key_mmar_content_only") != NULL &&
        (rc = mmarml_args_get_bool(args, me, "key_mmar_content_only", 0, &x->content_only)) !=
            MMARML_OK)
        return rc;
    if (data_list != NULL && (x->data_list = strdup(data_list)) == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    /* a local trainer's files wake us through inotify; a cluster node's are read at the
     * poll interval */
    return mmar_progress_config_parse(&x->progress, args, me, x->poll);
}

int mmar_executor_base_new(mmarml_executor **out, const json_t *args,
                           const mmar_backend *backend)
{
    static const mmarml_executor_vtable vt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = determine_search_space,
        .execute = execute,
        .abort = abort_job,
        .destroy = destroy,
    };
    base_executor *x;
    int rc;

    *out = NULL;
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        if (backend->destroy != NULL)
            backend->destroy(backend->data);
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", backend->name);
    }
    x->be = *backend;
    x->content_only = -1;
    pthread_mutex_init(&x->lock, NULL);
    pthread_cond_init(&x->slot_freed, NULL);
    rc = parse_shared(x, args);
    if (rc == MMARML_OK)
        rc = mmarml_executor_new(out, &vt, x);
    if (rc != MMARML_OK)
        destroy(x);
    return rc;
}
