/* MMARStatsHandler (D9): <run_root>/automl_stats_log.json, the search space, every
 * recommendation and every finished job, replaced atomically (write, fsync, rename). It is
 * rewritten at most once a second while the run goes on, by a thread of its own (each
 * rewrite costs O(jobs), so doing it per job made a run quadratic), and at the end. Each
 * entry is serialised once, when it arrives, and a rewrite only joins the texts: the file
 * keeps Clara's layout at a fraction of a JSON tree's memory and time. A resumed run
 * rebuilds it from the journal's replayed end_job events: every job once.
 * A reserve file beside it keeps twice its size allocated; the end frees it first, so the
 * final file lists every ended job even when the run stopped because the disk was full.
 * StatsHandler: counts per status, the best job and job times, reported at the end. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmarml.h"
#include "mmar_util.h"

/* Entries serialised once (compact JSON), in order; never changed or freed while running. */
typedef struct {
    char **items;
    size_t count, cap;
} fragments;

typedef struct {
    char *file_name;
    char *path;
    char *space; /* compact JSON of the search space, NULL until it is known */
    fragments recs, jobs;
    pthread_mutex_t lock; /* end_job runs on job threads */
    pthread_cond_t changed;
    pthread_t writer;
    int writer_started, quit;
    uint64_t version, written; /* changes made / the last change on disk */
    int write_error;           /* reported once */
    /* blocks kept for the final write on a full file system: see keep_reserve() */
    char *reserve_path;
    int reserve_fd;
    off_t reserved;
} stats_handler;

/* The file is rewritten at most this often while the run goes on. */
#define STATS_PERIOD_S 1.0

static const char *const me = "MMARStatsHandler";

/* reals as the job configs have them: the shortest form of the exact double */
#define ENTRY_FLAGS JSON_COMPACT

/* Append `entry` (stolen) serialised. Lock held. */
static int fragments_add(fragments *f, json_t *entry)
{
    char *text = entry != NULL ? mmar_json_dumps(entry, ENTRY_FLAGS) : NULL;

    json_decref(entry);
    if (text == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        char **items = realloc(f->items, cap * sizeof(*items));
        if (items == NULL) {
            free(text);
            return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        }
        f->items = items;
        f->cap = cap;
    }
    f->items[f->count++] = text;
    return MMARML_OK;
}

static void fragments_free(fragments *f)
{
    size_t i;

    for (i = 0; i < f->count; i++)
        free(f->items[i]);
    free(f->items);
}

/* The pointers of `f` now (the texts stay valid: they are freed only at destroy). */
static char **snapshot(const fragments *f)
{
    char **copy = malloc((f->count ? f->count : 1) * sizeof(*copy));

    if (copy != NULL && f->count > 0)
        memcpy(copy, f->items, f->count * sizeof(*copy));
    return copy;
}

/* Append "\n    item," lines. */
static char *put_list(char *p, char **items, size_t n)
{
    size_t i, len;

    for (i = 0; i < n; i++) {
        memcpy(p, "\n    ", 5);
        p += 5;
        len = strlen(items[i]);
        memcpy(p, items[i], len);
        p += len;
        if (i + 1 < n)
            *p++ = ',';
    }
    return p;
}

static size_t list_size(char **items, size_t n)
{
    size_t i, size = 0;

    for (i = 0; i < n; i++)
        size += strlen(items[i]) + 6;
    return size;
}

/* Keep twice the file's size (and 64 KB) allocated in the reserve file. Best effort: when
 * the disk is full already, the jobs' failures stop the run. Lock not held. */
static void keep_reserve(stats_handler *s, size_t file_size)
{
    off_t want = 2 * (off_t)file_size + 65536;

    if (s->reserve_fd < 0 && s->reserve_path != NULL) /* opened with the first write: a
                                                        * refused resume touches nothing */
        s->reserve_fd = open(s->reserve_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->reserve_fd >= 0 && want > s->reserved &&
        posix_fallocate(s->reserve_fd, 0, want) == 0)
        s->reserved = want;
}

/* Free the reserve (if this run holds one), just before the final write. */
static void release_reserve(stats_handler *s)
{
    if (s->reserve_fd >= 0) {
        close(s->reserve_fd);
        if (s->reserve_path != NULL)
            unlink(s->reserve_path);
    }
    s->reserve_fd = -1;
    free(s->reserve_path);
    s->reserve_path = NULL;
}

/* Write what is there now (lock held on entry and exit; released while writing):
 * {"search_space": ..., "recommendations": [...], "jobs": [...]}, one entry per line. */
static int rewrite(stats_handler *s)
{
    static const char head[] = "{\n  \"search_space\": ", mid[] = ",\n  \"recommendations\": [",
                      jobs_head[] = "\n  ],\n  \"jobs\": [", tail[] = "\n  ]\n}\n";
    uint64_t version = s->version;
    size_t nrecs = s->recs.count, njobs = s->jobs.count, size;
    char **recs = snapshot(&s->recs), **jobs = snapshot(&s->jobs), *text, *p;
    char *space = strdup(s->space != NULL ? s->space : "null");
    int rc;

    if (s->path == NULL || version == s->written || recs == NULL || jobs == NULL ||
        space == NULL) {
        rc = s->path == NULL || version == s->written
                 ? MMARML_OK
                 : mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
        free(recs);
        free(jobs);
        free(space);
        return rc;
    }
    pthread_mutex_unlock(&s->lock);
    size = sizeof(head) + strlen(space) + sizeof(mid) + list_size(recs, nrecs) +
           sizeof(jobs_head) + list_size(jobs, njobs) + sizeof(tail);
    text = malloc(size);
    if (text == NULL) {
        rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    } else {
        p = text;
        p = stpcpy(p, head);
        p = stpcpy(p, space);
        p = stpcpy(p, mid);
        p = put_list(p, recs, nrecs);
        p = stpcpy(p, jobs_head);
        p = put_list(p, jobs, njobs);
        stpcpy(p, tail);
        rc = mmar_write_text_atomic(s->path, text, 1);
        if (rc == MMARML_OK)
            keep_reserve(s, (size_t)(p - text) + sizeof(tail));
    }
    free(text);
    free(recs);
    free(jobs);
    free(space);
    pthread_mutex_lock(&s->lock);
    if (rc == MMARML_OK && version > s->written)
        s->written = version;
    return rc;
}

/* Lock held. Only the first change after a write wakes the writer: later ones find it
 * waiting out its period already (a wake-up per job would be a thread switch per job). */
static void changed(stats_handler *s)
{
    if (s->version++ == s->written)
        pthread_cond_signal(&s->changed);
}

/* The writer: after a change, wait out the period since the last write, then write. */
static void *writer_main(void *arg)
{
    stats_handler *s = arg;
    struct timespec next;

    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&s->lock);
    while (!s->quit) {
        if (s->version == s->written) {
            pthread_cond_wait(&s->changed, &s->lock);
            continue;
        }
        if (pthread_cond_timedwait(&s->changed, &s->lock, &next) != ETIMEDOUT && !s->quit)
            continue;
        if (s->quit)
            break;
        if (rewrite(s) != MMARML_OK && !s->write_error)
            s->write_error = 1; /* end_automl writes again and reports it */
        clock_gettime(CLOCK_MONOTONIC, &next);
        next.tv_sec += (time_t)STATS_PERIOD_S;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void stop_writer(stats_handler *s)
{
    pthread_mutex_lock(&s->lock);
    s->quit = 1;
    pthread_cond_signal(&s->changed);
    pthread_mutex_unlock(&s->lock);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
    s->writer_started = 0;
}

static int start_failed(mmarml_context *ctx)
{
    int failed = 0;

    return mmarml_context_get_bool(ctx, MMARML_KEY_RUN_START_FAILED, &failed) == MMARML_OK &&
           failed;
}

static int stats_start(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    stats_handler *s = ud;
    char *run_root = NULL;
    int rc, resuming = 0;

    (void)self;
    if ((rc = mmar_get_string(ctx, MMARML_KEY_RUN_ROOT, me, &run_root)) != MMARML_OK)
        return rc;
    release_reserve(s);
    free(s->path);
    if (asprintf(&s->path, "%s/%s", run_root, s->file_name) < 0)
        s->path = NULL;
    if (asprintf(&s->reserve_path, "%s/.%s.reserve", run_root, s->file_name) < 0)
        s->reserve_path = NULL;
    mmarml_free(run_root);
    if (s->path == NULL || s->reserve_path == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    /* a resumed run's file is rewritten once the journal is replayed, not before: a resume
     * that is refused leaves it as it was */
    if (mmarml_context_get_bool(ctx, MMARML_KEY_RESUMING, &resuming) != MMARML_OK ||
        !resuming) {
        pthread_mutex_lock(&s->lock);
        s->version++;
        rc = rewrite(s);
        pthread_mutex_unlock(&s->lock);
    }
    if (rc == MMARML_OK && !s->writer_started) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_destroy(&s->changed);
        pthread_cond_init(&s->changed, &attr);
        pthread_condattr_destroy(&attr);
        s->quit = 0;
        if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
            return mmarml_error_set(MMARML_ERROR, "%s: cannot start its writer thread", me);
        s->writer_started = 1;
    }
    return rc;
}

static int stats_space(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    stats_handler *s = ud;
    void *space = NULL;
    json_t *j = NULL;
    int rc;

    (void)self;
    if ((rc = mmarml_context_get_pointer(ctx, MMARML_KEY_SEARCH_SPACE, &space)) != MMARML_OK ||
        (rc = mmarml_search_space_to_json(&j, space)) != MMARML_OK)
        return rc;
    pthread_mutex_lock(&s->lock);
    free(s->space);
    s->space = mmar_json_dumps(j, ENTRY_FLAGS);
    json_decref(j);
    changed(s);
    pthread_mutex_unlock(&s->lock);
    return s->space != NULL ? MMARML_OK : mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
}

static int stats_recs(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    stats_handler *s = ud;
    void *list = NULL;
    size_t i;
    int rc;

    (void)self;
    if ((rc = mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATIONS, &list)) != MMARML_OK)
        return rc;
    pthread_mutex_lock(&s->lock);
    for (i = 0; i < mmarml_recommendation_list_count(list); i++) {
        json_t *r = NULL;
        if (mmarml_recommendation_to_json(&r, mmarml_recommendation_list_get(list, i)) ==
            MMARML_OK)
            rc = fragments_add(&s->recs, r);
    }
    changed(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int stats_end_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    stats_handler *s = ud;
    char *name = NULL, *worker = NULL, *status = NULL, start[40], end[40];
    void *rec = NULL;
    json_t *concrete = NULL, *job;
    double score = MMARML_NO_SCORE_SENTINEL, t0 = 0, t1 = 0;
    char *cluster = NULL;
    int64_t exit_status = 0, attempt = 1;
    int have_exit, rc;

    (void)self;
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(ctx, MMARML_KEY_WORKER_NAME, &worker);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATION, &rec);
    mmarml_context_get_json(ctx, MMARML_KEY_CONCRETE_SEARCH_VALUE, &concrete);
    if (mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &score) != MMARML_OK)
        mmarml_context_get_double(ctx, MMARML_KEY_PRUNED_VALUE, &score); /* pruned */
    if (mmarml_context_get_double(ctx, MMARML_KEY_MMAR_JOB_START, &t0) != MMARML_OK)
        t0 = mmar_wall_time();
    have_exit = mmarml_context_get_int(ctx, MMARML_KEY_PROCESS_EXIT_STATUS, &exit_status) ==
                MMARML_OK;
    mmar_format_time(start, sizeof(start), t0);
    if (mmarml_context_get_double(ctx, MMARML_KEY_JOB_END_TIME, &t1) != MMARML_OK)
        t1 = mmar_wall_time();
    mmar_format_time(end, sizeof(end), t1);
    mmarml_context_get_int(ctx, MMARML_KEY_JOB_ATTEMPT, &attempt);
    job = json_pack("{s:s?, s:s?, s:I, s:O?, s:s?, s:f, s:s, s:s}", "job", name, "worker",
                    worker, "rec_id", (json_int_t)mmarml_recommendation_id(rec), "concrete",
                    concrete, "status", status, "score", score, "start", start, "end", end);
    if (job != NULL) {
        int64_t reports = 0;
        double last_step = 0;
        json_object_set_new(job, "attempt", json_integer(attempt));
        /* early stopping: how far the job got (mmarml/pruner.h) */
        if (mmarml_context_get_int(ctx, MMARML_KEY_JOB_REPORTS, &reports) == MMARML_OK &&
            mmarml_context_get_double(ctx, MMARML_KEY_JOB_LAST_STEP, &last_step) == MMARML_OK) {
            json_object_set_new(job, "reports", json_integer(reports));
            json_object_set_new(job, "last_step", json_real(last_step));
        }
        json_object_set_new(job, "exit_code",
                            have_exit && exit_status >= 0 ? json_integer(exit_status)
                                                          : json_null());
        json_object_set_new(job, "signal",
                            have_exit && exit_status < 0 ? json_integer(-exit_status)
                                                         : json_null());
        /* cluster executors: the scheduler's id and last state, to find the job there */
        if (mmarml_context_get_string(ctx, MMARML_KEY_CLUSTER_JOB_ID, &cluster) == MMARML_OK)
            json_object_set_new(job, "cluster_job_id", json_string(cluster));
        mmarml_free(cluster);
        cluster = NULL;
        if (mmarml_context_get_string(ctx, MMARML_KEY_CLUSTER_JOB_STATE, &cluster) ==
            MMARML_OK)
            json_object_set_new(job, "cluster_state", json_string(cluster));
        mmarml_free(cluster);
    }
    json_decref(concrete);
    mmarml_free(name);
    mmarml_free(worker);
    mmarml_free(status);
    if (job == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    pthread_mutex_lock(&s->lock);
    rc = fragments_add(&s->jobs, job);
    changed(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int stats_end(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    stats_handler *s = ud;
    int rc;

    (void)self;
    stop_writer(s);
    release_reserve(s);
    if (start_failed(ctx))
        return MMARML_OK; /* a refused resume changes nothing; a new run's root goes */
    pthread_mutex_lock(&s->lock);
    s->version++; /* the final file is written whatever the writer managed */
    rc = rewrite(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void stats_destroy(void *ud)
{
    stats_handler *s = ud;

    stop_writer(s);
    release_reserve(s);
    free(s->file_name);
    free(s->path);
    free(s->space);
    fragments_free(&s->recs);
    fragments_free(&s->jobs);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int mmarml_handler_new_mmar_stats(mmarml_handler **out, const json_t *args)
{
    static const char *const allowed[] = {"stats_file_name", NULL};
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_automl = stats_start,
        .search_space_available = stats_space,
        .recommendations_available = stats_recs,
        .end_job = stats_end_job,
        .end_automl = stats_end,
        .destroy = stats_destroy,
    };
    stats_handler *s;
    const char *file = NULL;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "%s: out is NULL", me);
    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    s->reserve_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    if ((rc = mmarml_args_check(args, me, allowed)) == MMARML_OK &&
        (rc = mmarml_args_get_string(args, me, "stats_file_name", MMARML_MMAR_AUTOML_STATS_FILE,
                                     &file)) == MMARML_OK) {
        if (!mmarml_mmar_name_ok(file))
            rc = mmarml_error_set(MMARML_EINVAL, "%s: arg 'stats_file_name' must be a file "
                                  "name (got '%s')", me, file);
        else if ((s->file_name = strdup(file)) == NULL)
            rc = mmarml_error_set(MMARML_ENOMEM, "%s: out of memory", me);
    }
    if (rc == MMARML_OK)
        rc = mmarml_handler_new(out, &vt, s);
    if (rc != MMARML_OK)
        stats_destroy(s);
    return rc;
}

/* ---- StatsHandler ---- */

typedef struct {
    pthread_mutex_t lock;
    uint64_t by_status[MMARML_JOB_PRUNED + 1];
    double best;
    char best_job[80];
    double total_time, started;
} run_stats;

static int rs_start(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    (void)self;
    (void)ctx;
    ((run_stats *)ud)->started = mmar_wall_time();
    return MMARML_OK;
}

static int rs_end_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_stats *r = ud;
    char *status = NULL, *name = NULL;
    double score, t0;
    int st;

    (void)self;
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    st = status != NULL ? mmarml_job_status_from_name(status) : MMARML_JOB_ERROR;
    pthread_mutex_lock(&r->lock);
    r->by_status[st >= 0 && st <= MMARML_JOB_PRUNED ? st : MMARML_JOB_ERROR]++;
    if (mmarml_context_get_double(ctx, MMARML_KEY_MMAR_JOB_START, &t0) == MMARML_OK)
        r->total_time += mmar_wall_time() - t0;
    if (mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &score) == MMARML_OK &&
        (r->best_job[0] == '\0' || score > r->best)) {
        r->best = score;
        mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
        snprintf(r->best_job, sizeof(r->best_job), "%s", name ? name : "?");
    }
    pthread_mutex_unlock(&r->lock);
    mmarml_free(status);
    mmarml_free(name);
    return MMARML_OK;
}

static int rs_end(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    run_stats *r = ud;
    uint64_t n = 0;
    char line[512];
    int i;

    (void)self;
    for (i = 0; i <= MMARML_JOB_PRUNED; i++)
        n += r->by_status[i];
    snprintf(line, sizeof(line),
             "%llu jobs in %.1f s: %llu ok, %llu failed, %llu no_score, %llu aborted, %llu "
             "timeout, %llu error, %llu pruned; mean job time %.2f s; best %s (%g)",
             (unsigned long long)n, mmar_wall_time() - r->started,
             (unsigned long long)r->by_status[0], (unsigned long long)r->by_status[1],
             (unsigned long long)r->by_status[2], (unsigned long long)r->by_status[3],
             (unsigned long long)r->by_status[4], (unsigned long long)r->by_status[5],
             (unsigned long long)r->by_status[MMARML_JOB_PRUNED],
             n ? r->total_time / (double)n : 0.0, r->best_job[0] ? r->best_job : "none",
             r->best_job[0] ? r->best : MMARML_NO_SCORE_SENTINEL);
    mmarml_context_log(ctx, MMARML_LOG_INFO, "StatsHandler: %s", line);
    mmarml_context_trace(ctx, "StatsHandler", "%s", line);
    return MMARML_OK;
}

static void rs_destroy(void *ud)
{
    run_stats *r = ud;

    pthread_mutex_destroy(&r->lock);
    free(r);
}

int mmarml_handler_new_stats(mmarml_handler **out, const json_t *args)
{
    static const char *const allowed[] = {NULL};
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .start_automl = rs_start,
        .end_job = rs_end_job,
        .end_automl = rs_end,
        .destroy = rs_destroy,
    };
    run_stats *r;
    int rc;

    if (out == NULL)
        return mmarml_error_set(MMARML_EINVAL, "StatsHandler: out is NULL");
    *out = NULL;
    if ((rc = mmarml_args_check(args, "StatsHandler", allowed)) != MMARML_OK)
        return rc;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return mmarml_error_set(MMARML_ENOMEM, "StatsHandler: out of memory");
    pthread_mutex_init(&r->lock, NULL);
    rc = mmarml_handler_new(out, &vt, r);
    if (rc != MMARML_OK)
        rs_destroy(r);
    return rc;
}
