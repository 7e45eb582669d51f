/* MMARHandler (D8): the run root, keeping the best job MMARs, the `best` symlink,
 * stop_threshold, and the summary (summary.txt, rewritten after every job). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmarml.h"
#include "mmar_util.h"

typedef struct {
    char name[80];
    char worker[24];
    double start, end;
    int status;
    double score;
    int kept; /* its job MMAR is still on disk */
} job_record;

typedef struct {
    /* args */
    char *work_dir, *train_config_file, *data_list;
    int64_t keep;
    int keep_bad, content_only, has_threshold;
    double threshold;
    /* run */
    pthread_mutex_t lock; /* end_job runs on job threads */
    pthread_mutex_t summary_lock; /* held while summary.txt is written */
    char *run_root;
    job_record *jobs;
    size_t njobs, cap;
    double summary_written; /* when summary.txt was last rewritten (wall clock) */
    int made_root;          /* this run created run_root (a failed start removes it) */
    char *made_work_top;    /* the shallowest directory of work_dir this run created */
    char *work;             /* the work dir (_automlRoot) */
    char best_link[80];     /* where <run_root>/best points now */
    size_t *kept_ok, nkept, kept_cap; /* indexes of the kept ok jobs (keep >= 0): <= keep + 1 */
} mmar_handler;

/* The live summary is rewritten at most this often (it lists every job, so rewriting it
 * after each would cost O(jobs) per job); end_automl always writes the final one. */
#define SUMMARY_PERIOD_S 1.0

static const char *const me = "MMARHandler";

/* Make <work_dir>/<run_id>; refuse an existing one, unless resuming, which needs it. */
/* The work dir's directories this run made, deepest first; rmdir leaves any that are not
 * empty (another run's root in them). */
static void remove_made_work(mmar_handler *h, const char *work)
{
    char *dir;

    if (h->made_work_top == NULL || work == NULL || (dir = strdup(work)) == NULL)
        return;
    while (strlen(dir) >= strlen(h->made_work_top) && rmdir(dir) == 0) {
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            break;
        *slash = '\0';
    }
    free(dir);
    free(h->made_work_top);
    h->made_work_top = NULL;
}

static int make_run_root(mmar_handler *h, mmarml_context *ctx, int resuming,
                         char **work_dir_out)
{
    struct stat st;
    char *mmar = NULL, *run_id = NULL, *work = NULL;
    int rc;

    *work_dir_out = NULL;
    if ((rc = mmar_get_string(ctx, MMARML_KEY_MMAR_ROOT, me, &mmar)) != MMARML_OK ||
        (rc = mmar_get_string(ctx, MMARML_KEY_RUN_ID, me, &run_id)) != MMARML_OK)
        goto done;
    if (!mmarml_mmar_name_ok(run_id)) {
        rc = mmarml_error_set(MMARML_EINVAL, "%s: run_id '%s' must be a single path component "
                              "(no '/', not '..', no control characters)", me, run_id);
        goto done;
    }
    if (h->work_dir != NULL && h->work_dir[0] == '/')
        work = strdup(h->work_dir);
    else if (asprintf(&work, "%s/%s", mmar, h->work_dir != NULL ? h->work_dir : MMARML_MMAR_AUTOML_DIR) < 0)
        work = NULL;
    if (work == NULL || asprintf(&h->run_root, "%s/%s", work, run_id) < 0) {
        h->run_root = NULL;
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        goto done;
    }
    if (resuming) {
        if (stat(h->run_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = mmarml_error_set(MMARML_ENOTFOUND, "%s: nothing to resume: the run root '%s' "
                                  "%s", me, h->run_root,
                                  errno == ENOENT ? "does not exist" : "is not a directory");
            free(h->run_root);
            h->run_root = NULL;
            goto done;
        }
        *work_dir_out = work;
        work = NULL;
        goto done;
    }
    /* with its parents, as Clara's os.makedirs did; what it made goes if the start fails */
    if ((rc = mmar_make_dirs(work, &h->made_work_top)) != MMARML_OK) {
        char why[1024];
        snprintf(why, sizeof(why), "%s", mmarml_error_message());
        rc = mmarml_error_set(rc, "%s: cannot create the work dir: %s", me, why);
        remove_made_work(h, work);
        goto done;
    }
    if (mkdir(h->run_root, 0755) != 0) {
        rc = errno == EEXIST
                 ? mmarml_error_set(MMARML_EEXISTS, "%s: the run root '%s' already exists: "
                                    "resume that run (mmarml run --resume with the same "
                                    "run_id), choose another run_id (--set run_id=...), or "
                                    "remove it", me, h->run_root)
                 : mmarml_error_set(mmar_io_code(errno), "%s: cannot create the run root '%s': %s", me,
                                    h->run_root, strerror(errno));
        free(h->run_root);
        h->run_root = NULL;
        remove_made_work(h, work);
        goto done;
    }
    h->made_root = 1;
    *work_dir_out = work;
    work = NULL;
done:
    mmarml_free(mmar);
    mmarml_free(run_id);
    free(work);
    return rc;
}

/* Copy the base training config into the run root, for the record. */
static int copy_base_config(mmar_handler *h, mmarml_context *ctx)
{
    char *src = NULL, *dst = NULL;
    const char *base;
    json_t *config;
    int rc = mmar_train_config_path(&src, ctx);

    if (rc != MMARML_OK)
        return rc;
    rc = mmar_load_json_file(&config, src, "training config");
    base = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
    if (rc != MMARML_OK)
        rc = mmarml_error_set(rc, "%s: %s", me, mmarml_error_message());
    else if (asprintf(&dst, "%s/%s", h->run_root, base) < 0)
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    else
        rc = mmar_write_json_atomic(dst, config, 1);
    json_decref(config);
    free(src);
    free(dst);
    return rc;
}

/* A trace that goes to a file goes to <run_root>/trace.txt. */
static int open_trace(mmar_handler *h, mmarml_context *ctx, const char *how)
{
    char *dest = NULL, *trace = NULL;
    int rc = MMARML_OK;

    if (mmarml_context_get_string(ctx, MMARML_KEY_TRACE_DEST_TYPE, &dest) == MMARML_OK &&
        (strcmp(dest, "file") == 0 || strcmp(dest, "both") == 0)) {
        if (asprintf(&trace, "%s/" MMARML_MMAR_TRACE_FILE, h->run_root) < 0)
            trace = NULL;
        rc = trace == NULL ? mmarml_error_set(MMARML_ENOMEM, "out of memory")
                           : mmarml_context_set_trace(ctx,
                                                      dest[0] == 'f' ? MMARML_TRACE_FILE
                                                                     : MMARML_TRACE_BOTH,
                                                      trace);
        if (rc == MMARML_OK) /* Clara's MMARPropKey.MMAR_TRACE: where the trace goes */
            rc = mmarml_context_set_string(ctx, MMARML_KEY_MMAR_TRACE, trace);
    }
    if (rc == MMARML_OK)
        mmarml_context_trace(ctx, me, "AutoML %s, run root %s", how, h->run_root);
    free(trace);
    mmarml_free(dest);
    return rc;
}

/* A start that failed leaves nothing behind: the run root goes if this run made it. */
static void remove_made_root(mmar_handler *h)
{
    if (h->made_root && h->run_root != NULL && mmar_remove_tree(h->run_root) == MMARML_OK) {
        h->made_root = 0;
        remove_made_work(h, h->work);
    }
}

static int shutdown_handler(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    mmar_handler *h = ud;
    int failed = 0;

    (void)self;
    if (mmarml_context_get_bool(ctx, MMARML_KEY_RUN_START_FAILED, &failed) == MMARML_OK &&
        failed) {
        mmarml_context_close_trace(ctx); /* its file is in the run root */
        remove_made_root(h);
    }
    return MMARML_OK;
}

static int start_automl(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    mmar_handler *h = ud;
    char *work = NULL, *train = NULL;
    int rc, resuming = 0;

    (void)self;
    mmarml_context_get_bool(ctx, MMARML_KEY_RESUMING, &resuming);
    if (h->train_config_file != NULL &&
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_TRAIN_CONFIG_FILE,
                                        h->train_config_file)) != MMARML_OK)
        return rc;
    /* the training config is part of what the run is: a resume checks it did not change */
    if ((rc = mmar_train_config_path(&train, ctx)) == MMARML_OK) {
        const char *base = strrchr(train, '/') != NULL ? strrchr(train, '/') + 1 : train;
        rc = mmar_identity_add(ctx, base, train);
        free(train);
    }
    if (rc != MMARML_OK || (rc = make_run_root(h, ctx, resuming, &work)) != MMARML_OK)
        return rc;
    free(h->work);
    h->work = strdup(work);
    if ((rc = mmarml_context_set_string(ctx, MMARML_KEY_RUN_ROOT, h->run_root)) == MMARML_OK &&
        (rc = mmarml_context_set_string(ctx, MMARML_KEY_AUTOML_ROOT, work)) == MMARML_OK &&
        (rc = mmarml_context_set_bool(ctx, MMARML_KEY_KEY_MMAR_CONTENT_ONLY, h->content_only)) ==
            MMARML_OK &&
        (h->data_list == NULL ||
         (rc = mmarml_context_set_string(ctx, MMARML_KEY_DATA_LIST_FILE_NAME, h->data_list)) ==
             MMARML_OK) &&
        !resuming) /* a resumed run keeps the copy it started with */
        rc = copy_base_config(h, ctx);
    /* a resumed run opens its trace once the journal accepted it (search_space_available):
     * a refused resume adds nothing to the run root */
    if (rc == MMARML_OK && !resuming)
        rc = open_trace(h, ctx, "started");
    if (rc != MMARML_OK)
        remove_made_root(h);
    free(work);
    return rc;
}

static int space_available(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    int resuming = 0;

    (void)self;
    if (mmarml_context_get_bool(ctx, MMARML_KEY_RESUMING, &resuming) == MMARML_OK && resuming) {
        mmar_handler *h = ud;
        /* the journal's lock is ours now: no other run writes here */
        int left = h->run_root != NULL ? mmar_remove_left_temps(h->run_root) : 0;
        int rc = open_trace(h, ctx, "resumed");

        if (left > 0)
            mmarml_context_trace(ctx, me, "removed %d temporary file(s) the killed run left",
                                 left);
        return rc;
    }
    return MMARML_OK;
}

static int start_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    (void)self;
    (void)ud;
    return mmarml_context_set_double(ctx, MMARML_KEY_MMAR_JOB_START, mmar_wall_time());
}

/* Best first: ok jobs by score (descending), then pruned ones by the value they were judged
 * by, then the rest by end time. */
static int rank_class(int status)
{
    return status == MMARML_JOB_OK ? 0 : status == MMARML_JOB_PRUNED ? 1 : 2;
}

static int by_rank(const void *a, const void *b)
{
    const job_record *x = a, *y = b;

    if (rank_class(x->status) != rank_class(y->status))
        return rank_class(x->status) - rank_class(y->status);
    if (rank_class(x->status) < 2 && x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

static char *summary_text(mmar_handler *h)
{
    job_record *sorted = malloc((h->njobs ? h->njobs : 1) * sizeof(*sorted));
    size_t i, len = 0, cap = 256 + h->njobs * 160;
    char *text = malloc(cap);

    if (sorted == NULL || text == NULL) {
        free(sorted);
        free(text);
        return NULL;
    }
    if (h->njobs > 0) { /* (h->jobs is NULL before the first job) */
        memcpy(sorted, h->jobs, h->njobs * sizeof(*sorted));
        qsort(sorted, h->njobs, sizeof(*sorted), by_rank);
    }
    len += (size_t)snprintf(text + len, cap - len,
                            "AutoML summary\nTop MMARs to keep: %lld\n"
                            "| START | END | ROOT | SCORE | WORKER | STATUS |\n",
                            (long long)h->keep);
    for (i = 0; i < h->njobs; i++) {
        char start[40], end[40], score[40];
        mmar_format_time(start, sizeof(start), sorted[i].start);
        mmar_format_time(end, sizeof(end), sorted[i].end);
        mmar_format_score(score, sizeof(score), rank_class(sorted[i].status) < 2
                                                    ? sorted[i].score
                                                    : MMARML_NO_SCORE_SENTINEL);
        len += (size_t)snprintf(text + len, cap - len, "| %s | %s | %s | %s | %s | %s |\n",
                                start, end, sorted[i].name, score, sorted[i].worker,
                                mmarml_job_status_name(sorted[i].status));
    }
    free(sorted);
    return text;
}

/* Only a job MMAR this run made goes: an entry that appeared under its name stays. */
static void remove_job_mmar(mmar_handler *h, mmarml_context *ctx, job_record *job)
{
    if (mmar_remove_job_root(h->run_root, job->name) != MMARML_OK)
        mmarml_context_exception_occurred(ctx, me, mmarml_error_message());
    job->kept = 0;
}

static void point_best_at(mmar_handler *h, mmarml_context *ctx, const job_record *best)
{
    char *link = NULL, *tmp = NULL;

    if (best == NULL || strcmp(best->name, h->best_link) == 0)
        return;
    /* <run_root>/best -> <job>, replaced atomically, only when the best changed */
    if (asprintf(&link, "%s/best", h->run_root) >= 0 &&
        asprintf(&tmp, "%s/.best.tmp", h->run_root) >= 0) {
        struct stat st;
        unlink(tmp);
        if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) /* not ours: left as it is */
            mmarml_context_exception_occurred(ctx, me, "'best' in the run root is not a "
                                              "symlink this run made: left as it is");
        else if (symlink(best->name, tmp) != 0 || rename(tmp, link) != 0)
            mmarml_context_exception_occurred(ctx, me, "cannot update the best symlink");
        else
            snprintf(h->best_link, sizeof(h->best_link), "%s", best->name);
    }
    free(link);
    free(tmp);
}

/* No job MMAR is kept (num_mmars_to_keep 0): a `best` link would name a removed one. */
static void drop_best_link(mmar_handler *h)
{
    char *link = NULL;
    struct stat st;

    if (h->best_link[0] == '\0' || asprintf(&link, "%s/best", h->run_root) < 0)
        return;
    if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode))
        unlink(link);
    h->best_link[0] = '\0';
    free(link);
}

/* Keep the `keep` best successful job MMARs (and failed ones iff keep_bad); point `best` at
 * the best kept one. The kept successful jobs are a list of at most keep + 1, so the policy
 * costs the same at the 20,000th job as at the first. Ties go to the earlier job: of equal
 * worst scores the latest goes, of equal best the earliest is `best`, so `best` always names
 * a kept job MMAR. Lock held; `job` is h->jobs[h->njobs - 1]. */
static void apply_keep_policy(mmar_handler *h, mmarml_context *ctx, job_record *job)
{
    size_t i, index = h->njobs - 1, worst = 0, best = 0;

    if (job->status != MMARML_JOB_OK) {
        if (!h->keep_bad)
            remove_job_mmar(h, ctx, job);
        return;
    }
    if (h->nkept == h->kept_cap) { /* grows to keep + 1 at most */
        size_t cap = h->kept_cap ? 2 * h->kept_cap : 8;
        size_t *more = realloc(h->kept_ok, cap * sizeof(*more));
        if (more == NULL) {
            mmarml_context_exception_occurred(ctx, me, "out of memory: job MMAR kept");
            return;
        }
        h->kept_ok = more;
        h->kept_cap = cap;
    }
    h->kept_ok[h->nkept++] = index;
    if ((int64_t)h->nkept > h->keep) {
        for (i = 1; i < h->nkept; i++)
            if (h->jobs[h->kept_ok[i]].score <= h->jobs[h->kept_ok[worst]].score)
                worst = i;
        remove_job_mmar(h, ctx, &h->jobs[h->kept_ok[worst]]);
        memmove(&h->kept_ok[worst], &h->kept_ok[worst + 1],
                (h->nkept - worst - 1) * sizeof(*h->kept_ok));
        h->nkept--;
    }
    for (i = 1; i < h->nkept; i++)
        if (h->jobs[h->kept_ok[i]].score > h->jobs[h->kept_ok[best]].score)
            best = i;
    if (h->nkept > 0)
        point_best_at(h, ctx, &h->jobs[h->kept_ok[best]]);
    else
        drop_best_link(h);
}

static int end_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    mmar_handler *h = ud;
    char *name = NULL, *worker = NULL, *status = NULL, *summary, *path = NULL;
    job_record job;
    int rc = MMARML_OK, stop = 0;

    (void)self;
    memset(&job, 0, sizeof(job));
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(ctx, MMARML_KEY_WORKER_NAME, &worker);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    snprintf(job.name, sizeof(job.name), "%s", name ? name : "?");
    snprintf(job.worker, sizeof(job.worker), "%s", worker ? worker : "?");
    job.status = status ? mmarml_job_status_from_name(status) : MMARML_JOB_ERROR;
    if (job.status < 0)
        job.status = MMARML_JOB_ERROR;
    if (mmarml_context_get_double(ctx, MMARML_KEY_MMAR_JOB_START, &job.start) != MMARML_OK)
        job.start = mmar_wall_time();
    if (mmarml_context_get_double(ctx, MMARML_KEY_JOB_END_TIME, &job.end) != MMARML_OK)
        job.end = mmar_wall_time();
    if (mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &job.score) != MMARML_OK &&
        mmarml_context_get_double(ctx, MMARML_KEY_PRUNED_VALUE, &job.score) != MMARML_OK)
        job.score = MMARML_NO_SCORE_SENTINEL;
    job.kept = 1;
    mmarml_free(name);
    mmarml_free(worker);
    mmarml_free(status);

    pthread_mutex_lock(&h->lock);
    if (h->njobs == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        job_record *jobs = realloc(h->jobs, cap * sizeof(*jobs));
        if (jobs == NULL) {
            pthread_mutex_unlock(&h->lock);
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        }
        h->jobs = jobs;
        h->cap = cap;
    }
    h->jobs[h->njobs++] = job; /* counted before the policy looks at the jobs */
    apply_keep_policy(h, ctx, &h->jobs[h->njobs - 1]);
    summary = NULL;
    if (mmar_wall_time() - h->summary_written >= SUMMARY_PERIOD_S) {
        h->summary_written = mmar_wall_time();
        summary = summary_text(h);
    }
    pthread_mutex_unlock(&h->lock);
    /* written outside the lock: other jobs' end_job need not wait for the disk (one
     * writer at a time: they share the temporary file name) */
    if (summary != NULL && asprintf(&path, "%s/summary.txt", h->run_root) >= 0) {
        pthread_mutex_lock(&h->summary_lock);
        rc = mmar_write_text_atomic(path, summary, 1);
        pthread_mutex_unlock(&h->summary_lock);
    }
    free(summary);
    free(path);
    mmarml_context_trace(ctx, me, "job %s ended: %s, score %g", job.name,
                         mmarml_job_status_name(job.status), job.score);
    stop = h->has_threshold && job.status == MMARML_JOB_OK && job.score >= h->threshold;
    if (stop) {
        char msg[160];
        snprintf(msg, sizeof(msg), "job %s reached score %g >= stop_threshold %g", job.name,
                 job.score, h->threshold);
        mmarml_context_stop_work(ctx, me, msg);
    }
    return rc;
}

static int end_automl(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    mmar_handler *h = ud;
    char *summary, *path = NULL;
    int rc = MMARML_OK, failed = 0;

    (void)self;
    if (h->run_root == NULL ||
        (mmarml_context_get_bool(ctx, MMARML_KEY_RUN_START_FAILED, &failed) == MMARML_OK &&
         failed))
        return MMARML_OK; /* a refused resume changes nothing */
    pthread_mutex_lock(&h->lock);
    summary = summary_text(h);
    pthread_mutex_unlock(&h->lock);
    if (summary != NULL && asprintf(&path, "%s/summary.txt", h->run_root) >= 0)
        rc = mmar_write_text_atomic(path, summary, 1);
    mmarml_context_trace(ctx, me, "AutoML ended after %zu jobs", h->njobs);
    free(summary);
    free(path);
    return rc;
}

static void destroy(void *ud)
{
    mmar_handler *h = ud;

    free(h->work_dir);
    free(h->train_config_file);
    free(h->data_list);
    free(h->run_root);
    free(h->work);
    free(h->made_work_top);
    free(h->jobs);
    free(h->kept_ok);
    pthread_mutex_destroy(&h->summary_lock);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int dup_arg(const json_t *args, const char *key, char **out)
{
    const char *v = NULL;
    int rc = mmarml_args_get_string(args, me, key, NULL, &v);

    if (rc == MMARML_OK && v != NULL && (*out = strdup(v)) == NULL)
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    return rc;
}

int mmarml_handler_new_mmar(mmarml_handler **out, const json_t *args)
{
    static const char *const allowed[] = {"work_dir", "train_config_file", "num_mmars_to_keep",
                                          "keep_bad_mmars", "stop_threshold",
                                          "key_mmar_content_only", "data_list_file_name", NULL};
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_automl = start_automl,
        .search_space_available = space_available,
        .start_job = start_job,
        .end_job = end_job,
        .end_automl = end_automl,
        .shutdown = shutdown_handler,
        .destroy = destroy,
    };
    mmar_handler *h;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    h = calloc(1, sizeof(*h));
    if (h == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->summary_lock, NULL);
    if ((rc = mmarml_args_check(args, me, allowed)) == MMARML_OK &&
        (rc = dup_arg(args, "work_dir", &h->work_dir)) == MMARML_OK &&
        (rc = dup_arg(args, "train_config_file", &h->train_config_file)) == MMARML_OK &&
        (rc = dup_arg(args, "data_list_file_name", &h->data_list)) == MMARML_OK &&
        /* the seed's defaults: MMARHandler(num_mmars_to_keep=1, ..., keep_bad_mmars=True) */
        (rc = mmarml_args_get_int(args, me, "num_mmars_to_keep", 1, &h->keep)) == MMARML_OK &&
        (rc = mmarml_args_get_bool(args, me, "keep_bad_mmars", 1, &h->keep_bad)) == MMARML_OK &&
        (rc = mmarml_args_get_bool(args, me, "key_mmar_content_only", 0, &h->content_only)) ==
            MMARML_OK) {
        h->has_threshold = json_object_get(args, "stop_threshold") != NULL;
        rc = mmarml_args_get_double(args, me, "stop_threshold", 0, &h->threshold);
        if (rc == MMARML_OK && h->keep < 0)
            rc = mmarml_error_set(MMARML_EINVAL, "%s: arg 'num_mmars_to_keep' must be >= 0",
                                  me);
        if (rc == MMARML_OK && h->train_config_file != NULL &&
            (strstr(h->train_config_file, "..") != NULL || h->train_config_file[0] == '\0'))
            rc = mmarml_error_set(MMARML_EINVAL, "%s: arg 'train_config_file' must name a file "
                                  "in the MMAR's config/ or be absolute (got '%s')",
                                  me, h->train_config_file);
    }
    if (rc == MMARML_OK)
        rc = mmarml_handler_new(out, &vt, h);
    if (rc != MMARML_OK)
        destroy(h);
    return rc;
}
