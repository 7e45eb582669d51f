/*
 * The engine's journal: what it records while a run goes on, and how a run continues from
 * it (docs/resume.md).
 *
 * Resuming replays rather than restores: the controller is given the same calls it had
 * (set_search_space, initial_recommendation, then refine_recommendation with each ended
 * job's outcome, in the journal's completion order), so any controller, also a user's,
 * ends up where it was without a way to save its state. Its k-th recommendation is matched
 * with the k-th job that was started; where they differ (a controller that is not
 * deterministic), the journal's values win and the trace says so. Each ended job's end_job
 * is replayed too (`_jobRestored`), so handlers rebuild their tables (stats file, kept
 * MMARs, summary). Jobs that were running are queued first, under their own names.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"

/* The job a job context belongs to, for mmarml_job_note() and mmarml_job_report(). */
#define KEY_ENGINE_JOB MMARML__KEY_ENGINE_JOB

double mmarml__wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double mmarml__run_elapsed(const mmarml_engine *e)
{
    return e->prior_elapsed + (mmarml__now() - e->run_start);
}

static const char *rec_type(const json_t *rec)
{
    const char *t = json_string_value(json_object_get(rec, "t"));
    return t != NULL ? t : "";
}

/* A journal write failed: no more records, and the run stops. */
static void journal_failed(mmarml_engine *e, int code)
{
    pthread_mutex_lock(&e->lock);
    e->journal_failed = 1;
    pthread_mutex_unlock(&e->lock);
    mmarml__engine_fail(e, code, mmarml_error_message());
}

/* The journal's reserve could not be renewed: stop while the records of the end still fit. */
static void check_space(mmarml_engine *e)
{
    int err = mmarml__journal_low_space(e->journal);
    char msg[512];

    if (err == 0)
        return; /* (mmarml__engine_fail keeps the first cause: no need to look first) */
    snprintf(msg, sizeof(msg), "the file system of the journal is nearly full: %s",
             strerror(err));
    mmarml__engine_fail(e, mmarml__errno_code(err), msg);
}

static int append(mmarml_engine *e, json_t *record, int durable)
{
    int rc;

    if (record == NULL)
        return MMARML__NOMEM();
    rc = mmarml__journal_append(e->journal, record, durable);
    json_decref(record);
    if (rc != MMARML_OK)
        journal_failed(e, rc);
    else
        check_space(e);
    return rc;
}

int mmarml__journal_record(mmarml_engine *e, json_t *record, int durable)
{
    return append(e, record, durable);
}

static json_t *who_am_i(const char *type)
{
    char host[256] = "";

    gethostname(host, sizeof(host) - 1);
    return json_pack("{s:s, s:f, s:s, s:I}", "t", type, "time", mmarml__wall_now(), "host",
                     host, "pid", (json_int_t)getpid());
}

/* ---- opening ---- */

/* The journal's path: a bare name lives in the run root. */
static int journal_path(mmarml_engine *e, char **out)
{
    char *root = NULL;
    int rc;

    *out = NULL;
    if (strchr(e->opts.journal, '/') != NULL) {
        *out = mmarml__strdup(e->opts.journal);
        return *out != NULL ? MMARML_OK : MMARML__NOMEM();
    }
    rc = mmarml_context_get_string(e->ctx, MMARML_KEY_RUN_ROOT, &root);
    if (rc != MMARML_OK)
        return mmarml_error_set(MMARML_EINVAL, "journal '%s' is a file of the run root, but "
                                "no component set %s by start_automl (add MMARHandler, or "
                                "give the journal a path)", e->opts.journal,
                                MMARML_KEY_RUN_ROOT);
    *out = mmarml__asprintf("%s/%s", root, e->opts.journal);
    mmarml_free(root);
    return *out != NULL ? MMARML_OK : MMARML__NOMEM();
}

/*
 * What a resumed run takes from its journal. The journal is read twice, a record at a time,
 * so that a long run's millions of reports are never all in memory: the first reading, when
 * it is opened, indexes the jobs (index_record) and checks that the records agree; the
 * second, after initial_recommendation, replays them (replay_record), keeping a job's
 * reports only until its end.
 */
struct mmarml__resume {
    char *path;              /* the journal's, for messages */
    size_t end;              /* where the first reading's records end: the replay's end */
    size_t nrecords;         /* records of the reading under way */
    json_t *header;          /* the first record */
    json_t *last_part;       /* the last end_run or resume record */
    double max_elapsed;
    size_t resumes;          /* resume records */
    json_t *starts;          /* job name -> its (last) start record */
    json_t *attempts;        /* "<first>:<attempt>" of every start: was a retry started? */
    json_t *ended;           /* job name -> its end record */
    json_t *notes;           /* job name -> {key: value} */
    uint64_t *firsts;        /* job numbers of first attempts, ascending once read */
    size_t nfirsts, firsts_cap;
    /* the replay */
    mmarml_engine *engine;
    mmarml_search_space *space;
    json_t *reports;         /* job name -> [[step, value[, time]], ...], until its end */
    size_t ends;
    int diverged;     /* the controller did not recommend what the journal says: said once */
    mmarml_context *report_ctx; /* what the pruner is given with report_job's reports */
    char *report_job;           /* the job report_ctx was made for */
};

void mmarml__resume_free(mmarml__resume *st)
{
    if (st == NULL)
        return;
    free(st->path);
    free(st->firsts);
    free(st->report_job);
    mmarml_context_unref(st->report_ctx);
    json_decref(st->header);
    json_decref(st->last_part);
    json_decref(st->starts);
    json_decref(st->attempts);
    json_decref(st->ended);
    json_decref(st->notes);
    json_decref(st->reports);
    free(st);
}

static mmarml__resume *resume_new(const char *path)
{
    mmarml__resume *st = calloc(1, sizeof(*st));

    if (st == NULL)
        return NULL;
    st->path = mmarml__strdup(path);
    st->starts = json_object();
    st->attempts = json_object();
    st->ended = json_object();
    st->notes = json_object();
    st->reports = json_object();
    if (st->path == NULL || st->starts == NULL || st->attempts == NULL || st->ended == NULL ||
        st->notes == NULL || st->reports == NULL) {
        mmarml__resume_free(st);
        return NULL;
    }
    return st;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int corrupt(const mmarml__resume *st, const char *what)
{
    return mmarml_error_set(MMARML_EINVAL, "journal '%s' is inconsistent: record %zu %s; "
                            "nothing was changed", st->path, st->nrecords, what);
}

/* "<first>:<attempt>" of the attempt `plus` after the one `start` records. */
static void attempt_key(char *key, size_t size, const json_t *start, json_int_t plus)
{
    snprintf(key, size, "%lld:%lld",
             (long long)json_integer_value(json_object_get(start, "first")),
             (long long)(json_integer_value(json_object_get(start, "attempt")) + plus));
}

static int add_first(mmarml__resume *st, uint64_t n)
{
    if (st->nfirsts == st->firsts_cap) {
        size_t cap = st->firsts_cap ? 2 * st->firsts_cap : 64;
        uint64_t *more = realloc(st->firsts, cap * sizeof(*more));
        if (more == NULL)
            return MMARML__NOMEM();
        st->firsts = more;
        st->firsts_cap = cap;
    }
    st->firsts[st->nfirsts++] = n;
    return MMARML_OK;
}

/* The first reading: one record into the index. */
static int index_record(const json_t *r, void *ud)
{
    mmarml__resume *st = ud;
    const char *t = rec_type(r), *name = json_string_value(json_object_get(r, "job"));
    double elapsed = json_number_value(json_object_get(r, "elapsed"));

    if (st->nrecords++ == 0)
        st->header = json_incref((json_t *)r);
    if (elapsed > st->max_elapsed)
        st->max_elapsed = elapsed;
    if (strcmp(t, "start") == 0) {
        json_int_t n = json_integer_value(json_object_get(r, "n"));
        json_int_t attempt = json_integer_value(json_object_get(r, "attempt"));
        char key[48];
        int rc;
        if (name == NULL || n <= 0 || attempt <= 0 || !json_is_object(json_object_get(r, "rec")))
            return corrupt(st, "is a start without job, n, attempt or rec");
        if (attempt == 1 && json_object_get(st->starts, name) == NULL &&
            (rc = add_first(st, (uint64_t)n)) != MMARML_OK)
            return rc;
        attempt_key(key, sizeof(key), r, 0);
        if (json_object_set_new(st->attempts, key, json_true()) != 0)
            return MMARML__NOMEM();
        return json_object_set(st->starts, name, (json_t *)r) == 0 ? MMARML_OK
                                                                   : MMARML__NOMEM();
    }
    if (strcmp(t, "end") == 0) {
        if (name == NULL || json_object_get(st->starts, name) == NULL)
            return corrupt(st, "ends a job that never started");
        if (json_object_get(st->ended, name) != NULL)
            return corrupt(st, "ends a job a second time");
        if (json_string_value(json_object_get(r, "status")) == NULL ||
            mmarml_job_status_from_name(json_string_value(json_object_get(r, "status"))) < 0)
            return corrupt(st, "ends a job with a status this library does not know");
        return json_object_set(st->ended, name, (json_t *)r) == 0 ? MMARML_OK
                                                                  : MMARML__NOMEM();
    }
    if (strcmp(t, "report") == 0 && name != NULL) {
        if (!json_is_number(json_object_get(r, "step")) ||
            !json_is_number(json_object_get(r, "value")))
            return corrupt(st, "is a report without step or value");
        return MMARML_OK; /* the replay takes it */
    }
    if (strcmp(t, "note") == 0 && name != NULL && json_object_get(r, "value") != NULL) {
        json_t *n = json_object_get(st->notes, name);
        const char *key = json_string_value(json_object_get(r, "key"));
        if (n == NULL && json_object_set_new(st->notes, name, n = json_object()) != 0)
            return MMARML__NOMEM();
        return json_object_set(n, key != NULL ? key : "?", json_object_get(r, "value")) == 0
                   ? MMARML_OK
                   : MMARML__NOMEM();
    }
    if (strcmp(t, "end_run") == 0 || strcmp(t, "resume") == 0) {
        st->resumes += strcmp(t, "resume") == 0;
        json_decref(st->last_part);
        st->last_part = json_incref((json_t *)r);
    }
    return MMARML_OK;
}

/* Has the journaled run ended, other than by an operator's stop (SIGINT, `mmarml admin stop`,
 * mmarml_engine_stop(): a resume continues such a run)? A stop that a component asked for
 * (a controller out of rounds, stop_threshold) ends the run for good. */
static const json_t *finished_record(const mmarml__resume *st)
{
    const json_t *last = st->last_part;

    if (last == NULL || strcmp(rec_type(last), "end_run") != 0 ||
        json_is_true(json_object_get(last, "resumable")))
        return NULL;
    return last;
}

int mmarml__journal_begin(mmarml_engine *e, mmarml__resume **out)
{
    const json_t *finished;
    mmarml__resume *st;
    char *path = NULL;
    int rc;

    *out = NULL;
    if (e->opts.journal == NULL)
        return MMARML_OK;
    if ((rc = journal_path(e, &path)) != MMARML_OK)
        return rc;
    if (!e->opts.resume) {
        rc = mmarml__journal_open(&e->journal, path, 0, NULL, NULL);
        free(path);
        return rc;
    }
    st = resume_new(path);
    rc = st != NULL ? mmarml__journal_open(&e->journal, path, 1, index_record, st)
                    : MMARML__NOMEM();
    free(path);
    if (rc != MMARML_OK) {
        mmarml__resume_free(st);
        return rc;
    }
    if ((finished = finished_record(st)) != NULL) {
        mmarml_context_log(e->ctx, MMARML_LOG_INFO, "the journaled run ended already (%s): "
                           "nothing to resume",
                           json_string_value(json_object_get(finished, "reason")));
        mmarml__resume_free(st);
        return 1;
    }
    st->end = mmarml__journal_end(e->journal);
    if (st->nfirsts > 0)
        qsort(st->firsts, st->nfirsts, sizeof(*st->firsts), cmp_u64);
    if (st->max_elapsed > e->prior_elapsed)
        e->prior_elapsed = st->max_elapsed;
    *out = st;
    return MMARML_OK;
}

/* ---- the header, or the check of a resumed run against it ---- */

/* Names of the identity entries that differ, as "a, b"; NULL when all agree. */
static char *identity_changes(const json_t *was, const json_t *now)
{
    const char *key;
    const json_t *v;
    char *list = NULL;

    json_object_foreach((json_t *)was, key, v)
    {
        const json_t *n = json_object_get(now, key);
        if (n == NULL || !json_equal(v, n)) {
            char *more = mmarml__asprintf("%s%s%s", list ? list : "", list ? ", " : "", key);
            free(list);
            list = more;
        }
    }
    json_object_foreach((json_t *)now, key, v)
    {
        if (json_object_get(was, key) == NULL) {
            char *more = mmarml__asprintf("%s%s%s (new)", list ? list : "", list ? ", " : "",
                                          key);
            free(list);
            list = more;
        }
    }
    return list;
}

int mmarml__journal_space(mmarml_engine *e, const mmarml__resume *resume,
                          mmarml_search_space *space)
{
    json_t *space_json = NULL, *identity = NULL, *rec;
    int rc;

    if (e->journal == NULL)
        return MMARML_OK;
    if ((rc = mmarml_search_space_to_json(&space_json, space)) != MMARML_OK)
        return rc;
    if (mmarml_context_get_json(e->ctx, MMARML_KEY_RUN_IDENTITY, &identity) != MMARML_OK ||
        !json_is_object(identity)) {
        json_decref(identity);
        identity = json_object();
    }
    if (resume == NULL) {
        rec = who_am_i("header");
        json_object_set_new(rec, "format", json_string("mmarml-journal"));
        json_object_set_new(rec, "version", json_integer(MMARML_JOURNAL_FORMAT_VERSION));
        json_object_set_new(rec, "workers", json_string(e->opts.workers ? e->opts.workers : ""));
        json_object_set_new(rec, "max_jobs", json_integer((json_int_t)e->opts.max_jobs));
        json_object_set_new(rec, "max_retries", json_integer(e->opts.max_retries));
        json_object_set(rec, "identity", identity);
        json_object_set(rec, "space", space_json);
        rc = append(e, rec, 1);
    } else {
        const json_t *header = resume->header;
        char *changed = identity_changes(json_object_get(header, "identity"), identity);
        if (changed != NULL) {
            rc = mmarml_error_set(MMARML_EINVAL, "cannot resume: %s changed since the run "
                                  "started (the journal '%s' has other digests); put back "
                                  "what the run started with, or start a new run", changed,
                                  mmarml__journal_path(e->journal));
            free(changed);
        } else if (!json_equal(json_object_get(header, "space"), space_json)) {
            rc = mmarml_error_set(MMARML_EINVAL, "cannot resume: the search space differs "
                                  "from the one the journal '%s' recorded",
                                  mmarml__journal_path(e->journal));
        } else {
            /* part 1 is the first run; each resume record starts one more */
            rec = who_am_i("resume");
            json_object_set_new(rec, "part", json_integer((json_int_t)resume->resumes + 2));
            rc = append(e, rec, 1);
        }
    }
    json_decref(identity);
    json_decref(space_json);
    return rc;
}

/* ---- job records ---- */

static void destroy_rec(void *p)
{
    mmarml_recommendation_unref(p);
}

static void destroy_list(void *p)
{
    mmarml_recommendation_list_free(p);
}

/* What handlers were last shown, for the job: the engine's list, shared (read-only), so
 * that a run that shows thousands of recommendations at once does not copy them per job. */
static int set_last_shown(mmarml_engine *e, mmarml_context *ctx)
{
    mmarml_recommendation_list *shown;
    int rc;

    if (e->nhandlers == 0)
        return MMARML_OK;
    pthread_mutex_lock(&e->lock);
    shown = mmarml__recommendation_list_share(e->last_shown);
    pthread_mutex_unlock(&e->lock);
    if (mmarml_recommendation_list_count(shown) == 0) {
        mmarml_recommendation_list_free(shown);
        return MMARML_OK;
    }
    rc = mmarml_context_set_pointer(ctx, MMARML_KEY_RECOMMENDATIONS, shown, destroy_list);
    if (rc != MMARML_OK)
        mmarml_recommendation_list_free(shown);
    return rc;
}

int mmarml__job_context(mmarml_engine *e, job *j, mmarml_context **out)
{
    mmarml_context *ctx = NULL;
    int rc = mmarml_context_new(&ctx, e->ctx);

    *out = NULL;
    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(ctx, MMARML_KEY_JOB_NAME, j->name);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(ctx, MMARML_KEY_WORKER_NAME, j->w->name);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_string(ctx, MMARML_KEY_GPUS, j->w->gpus);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_int(ctx, MMARML_KEY_JOB_ATTEMPT, j->attempt);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_double(ctx, MMARML_KEY_JOB_START_TIME, j->wall_start);
    if (rc == MMARML_OK && j->resumed != NULL)
        rc = mmarml_context_set_json(ctx, MMARML_KEY_RESUMED_JOB, j->resumed);
    if (rc == MMARML_OK)
        rc = mmarml_context_set_pointer(ctx, KEY_ENGINE_JOB, j, NULL);
    if (rc == MMARML_OK) {
        rc = mmarml_context_set_pointer(ctx, MMARML_KEY_RECOMMENDATION, j->rec, destroy_rec);
        if (rc == MMARML_OK)
            mmarml_recommendation_ref(j->rec);
    }
    if (rc == MMARML_OK)
        rc = set_last_shown(e, ctx);
    if (rc != MMARML_OK) {
        mmarml_context_unref(ctx);
        return rc;
    }
    *out = ctx;
    return MMARML_OK;
}

int mmarml__journal_job_start(mmarml_engine *e, job *j)
{
    json_t *rec = NULL, *r;

    if (e->journal == NULL)
        return MMARML_OK;
    if (mmarml_recommendation_to_json(&rec, j->rec) != MMARML_OK)
        return MMARML__NOMEM();
    r = json_pack("{s:s, s:s, s:I, s:I, s:i, s:s, s:s, s:o, s:f, s:f}", "t", "start", "job",
                  j->name, "n", (json_int_t)j->number, "first", (json_int_t)j->first,
                  "attempt", j->attempt, "worker", j->w->name, "gpus", j->w->gpus, "rec", rec,
                  "time", j->wall_start, "elapsed", mmarml__run_elapsed(e));
    /* not fsynced: a start lost with the machine is a job that never started, and runs */
    return append(e, r, 0);
}

/* Under the journal's lock, right after the end record: the completion order. */
static void take_end_seq(void *arg)
{
    job *j = arg;

    j->end_seq = ++j->w->engine->end_seq;
}

void mmarml__journal_job_end(mmarml_engine *e, job *j)
{
    int64_t exit_status = 0;
    int have_exit = 0;
    json_t *r;
    int rc;

    if (e->journal == NULL)
        return;
    if (j->ctx != NULL)
        have_exit = mmarml_context_get_int(j->ctx, MMARML_KEY_PROCESS_EXIT_STATUS,
                                           &exit_status) == MMARML_OK;
    r = json_pack("{s:s, s:s, s:i, s:s, s:o, s:o, s:f, s:f, s:b, s:f}", "t", "end", "job",
                  j->name, "attempt", j->attempt, "status", mmarml_job_status_name(j->status),
                  "score", j->status == MMARML_JOB_OK ||
                               (j->status == MMARML_JOB_PRUNED && isfinite(j->score))
                           ? json_real(j->score)
                           : json_null(),
                  "exit_status", have_exit ? json_integer(exit_status) : json_null(), "start",
                  j->wall_start, "end", j->wall_end, "retry", j->retry, "elapsed",
                  mmarml__run_elapsed(e));
    if (r == NULL ||
        (rc = mmarml__journal_append_then(e->journal, r, 1, take_end_seq, j)) != MMARML_OK) {
        if (r == NULL)
            rc = MMARML__NOMEM();
        journal_failed(e, rc);
        /* not recorded: it goes to the controller after every recorded one */
        pthread_mutex_lock(&e->lock);
        j->end_seq = 0;
        pthread_mutex_unlock(&e->lock);
    } else {
        check_space(e);
    }
    json_decref(r);
}

void mmarml__journal_stop(mmarml_engine *e, int reason, const char *message)
{
    char *msg = NULL;
    json_t *r;

    if (e->journal == NULL || e->journal_failed)
        return;
    if (message == NULL)
        mmarml_context_get_stop_message(e->ctx, &msg);
    r = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:f}", "t", "stop", "reason",
                  mmarml__end_reason_name(reason), "by",
                  __atomic_load_n(&e->stop_requested, __ATOMIC_ACQUIRE) ? "operator" : "run",
                  "message", message ? message : msg, "time", mmarml__wall_now(), "elapsed", mmarml__run_elapsed(e));
    mmarml_free(msg);
    append(e, r, 1);
}

void mmarml__journal_end_run(mmarml_engine *e)
{
    if (e->journal == NULL || e->journal_failed)
        return;
    append(e, json_pack("{s:s, s:s, s:I, s:b, s:f, s:f}", "t", "end_run", "reason",
                        mmarml__end_reason_name(e->end_reason), "jobs",
                        (json_int_t)e->jobs_finished, "resumable",
                        (e->end_reason == MMARML_END_STOP_ASKED &&
                         __atomic_load_n(&e->stop_requested, __ATOMIC_ACQUIRE)) ||
                            e->end_reason == MMARML_END_STORAGE_FAILED,
                        "time",
                        mmarml__wall_now(), "elapsed", mmarml__run_elapsed(e)),
           1);
}

void mmarml__journal_alive(mmarml_engine *e)
{
    if (e->journal == NULL || e->journal_failed)
        return;
    append(e, json_pack("{s:s, s:f, s:f}", "t", "alive", "time", mmarml__wall_now(), "elapsed",
                        mmarml__run_elapsed(e)),
           0);
}

int mmarml_job_note(mmarml_context *job_ctx, const char *key, const char *value)
{
    void *p = NULL;
    job *j;
    int rc;

    if (job_ctx == NULL || key == NULL || value == NULL)
        return MMARML__NULLARG(job_ctx == NULL ? "job_ctx" : key == NULL ? "key" : "value");
    if (mmarml_context_get_pointer(job_ctx, KEY_ENGINE_JOB, &p) != MMARML_OK || p == NULL) {
        mmarml_error_clear(); /* an executor driven by hand: nothing to record */
        return MMARML_OK;
    }
    j = p;
    if (j->w->engine->journal == NULL)
        return MMARML_OK;
    rc = append(j->w->engine, json_pack("{s:s, s:s, s:i, s:s, s:s, s:f}", "t", "note", "job",
                                        j->name, "attempt", j->attempt, "key", key, "value",
                                        value, "elapsed", mmarml__run_elapsed(j->w->engine)),
                1);
    return rc;
}

/* ---- replay ---- */

static size_t first_rank(const mmarml__resume *st, uint64_t n)
{
    uint64_t *at = st->nfirsts > 0 ? bsearch(&n, st->firsts, st->nfirsts, sizeof(n), cmp_u64)
                                   : NULL;
    return at != NULL ? (size_t)(at - st->firsts) : (size_t)-1;
}

static int same_values(const mmarml_recommendation *a, const mmarml_recommendation *b)
{
    size_t i, n = mmarml_search_space_count(mmarml_recommendation_space(a));
    const double *x = mmarml_recommendation_values(a), *y = mmarml_recommendation_values(b);

    if (n != mmarml_search_space_count(mmarml_recommendation_space(b)))
        return 0;
    for (i = 0; i < n; i++)
        if (!(x[i] == y[i] || (isnan(x[i]) && isnan(y[i]))))
            return 0;
    return 1;
}

/* The recommendation of the job that `start` records: the controller's own when it made
 * the same again, else the journal's. New reference. */
static int job_recommendation(mmarml_engine *e, mmarml__resume *st, const json_t *start,
                              mmarml_search_space *space, mmarml_recommendation **out)
{
    json_int_t first = json_integer_value(json_object_get(start, "first"));
    size_t k = first_rank(st, (uint64_t)(first > 0 ? first : 0));
    mmarml_recommendation *logged = NULL;
    int rc = mmarml_recommendation_from_json(&logged, space, json_object_get(start, "rec"));

    *out = NULL;
    if (rc != MMARML_OK)
        return mmarml_error_set(rc, "journal '%s': the recommendation of job %s does not fit "
                                "the search space: %s", mmarml__journal_path(e->journal),
                                json_string_value(json_object_get(start, "job")),
                                mmarml_error_message());
    if (k < mmarml_recommendation_list_count(e->replayed)) {
        mmarml_recommendation *mine = mmarml_recommendation_list_get(e->replayed, k);
        if (same_values(mine, logged)) {
            mmarml_recommendation_unref(logged);
            *out = mmarml_recommendation_ref(mine);
            return MMARML_OK;
        }
    }
    if (!st->diverged) {
        st->diverged = 1;
        mmarml_context_trace(e->ctx, "engine", "resume: the controller's recommendation for "
                             "job %s differs from the journal's (is it seeded?); the "
                             "journal's values are used for every job it records",
                             json_string_value(json_object_get(start, "job")));
    }
    *out = logged;
    return MMARML_OK;
}

static worker *worker_named(mmarml_engine *e, const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < e->nworkers; i++)
        if (strcmp(e->workers[i].name, name) == 0)
            return &e->workers[i];
    return &e->workers[0];
}

/* end_job of an ended job, from its records; then its outcome to the controller. */
static int replay_end(mmarml_engine *e, mmarml__resume *st, const json_t *start,
                      const json_t *end, mmarml_search_space *space)
{
    const char *name = json_string_value(json_object_get(end, "job"));
    const char *status_name = json_string_value(json_object_get(end, "status"));
    const json_t *exit_status = json_object_get(end, "exit_status");
    const json_t *cluster = json_object_get(json_object_get(st->notes, name), "cluster_job_id");
    mmarml_outcome *outcome = NULL;
    job j;
    int rc;

    memset(&j, 0, sizeof(j));
    snprintf(j.name, sizeof(j.name), "%s", name);
    j.w = worker_named(e, json_string_value(json_object_get(start, "worker")));
    j.attempt = (int)json_integer_value(json_object_get(end, "attempt"));
    j.wall_start = json_number_value(json_object_get(end, "start"));
    j.status = status_name != NULL ? mmarml_job_status_from_name(status_name) : -1;
    j.score = json_is_number(json_object_get(end, "score"))
                  ? json_number_value(json_object_get(end, "score"))
                  : NAN;
    if (j.status < 0)
        return mmarml_error_set(MMARML_EINVAL, "journal '%s': job %s ended with an unknown "
                                "status", mmarml__journal_path(e->journal), name);
    if ((rc = job_recommendation(e, st, start, space, &j.rec)) != MMARML_OK)
        return rc;
    rc = mmarml__job_context(e, &j, &j.ctx);
    if (rc == MMARML_OK) {
        mmarml_context_remove(j.ctx, KEY_ENGINE_JOB); /* nothing runs: no notes */
        mmarml_context_set_bool(j.ctx, MMARML_KEY_JOB_RESTORED, 1);
        mmarml_context_set_double(j.ctx, MMARML_KEY_MMAR_JOB_START, j.wall_start);
        mmarml_context_set_double(j.ctx, MMARML_KEY_JOB_END_TIME,
                                  json_number_value(json_object_get(end, "end")));
        mmarml_context_set_string(j.ctx, MMARML_KEY_JOB_STATUS, status_name);
        if (j.status == MMARML_JOB_OK)
            mmarml_context_set_double(j.ctx, MMARML_KEY_SCORE, j.score);
        {
            const json_t *reports = json_object_get(st->reports, name), *last;
            if (j.status == MMARML_JOB_PRUNED && isfinite(j.score))
                mmarml_context_set_double(j.ctx, MMARML_KEY_PRUNED_VALUE, j.score);
            if (json_array_size(reports) > 0) {
                last = json_array_get(reports, json_array_size(reports) - 1);
                mmarml_context_set_int(j.ctx, MMARML_KEY_JOB_REPORTS,
                                       (int64_t)json_array_size(reports));
                mmarml_context_set_double(j.ctx, MMARML_KEY_JOB_LAST_STEP,
                                          json_number_value(json_array_get(last, 0)));
            }
        }
        if (json_is_integer(exit_status))
            mmarml_context_set_int(j.ctx, MMARML_KEY_PROCESS_EXIT_STATUS,
                                   json_integer_value(exit_status));
        if (json_is_string(cluster))
            mmarml_context_set_string(j.ctx, MMARML_KEY_CLUSTER_JOB_ID,
                                      json_string_value(cluster));
        mmarml__engine_fire(e, MMARML__EV_END_JOB, j.ctx, 0, 0);
    }
    if (rc == MMARML_OK && !json_is_true(json_object_get(end, "retry")) &&
        (rc = mmarml_outcome_new(&outcome, j.rec, j.status, j.score, j.name)) == MMARML_OK) {
        const json_t *r;
        size_t i;
        json_array_foreach(json_object_get(st->reports, name), i, r)
        mmarml_outcome_add_report(outcome, json_number_value(json_array_get(r, 0)),
                                  json_number_value(json_array_get(r, 1)));
        mmarml__engine_refine(e, outcome);
    }
    mmarml_outcome_unref(outcome);
    mmarml_context_unref(j.ctx);
    mmarml_recommendation_unref(j.rec);
    e->jobs_finished++;
    return rc;
}

/* Queue a job the journal started and did not end (front of the queue, in job order by the
 * caller), or the next attempt of one that asked for a retry. */
static int queue_unfinished(mmarml_engine *e, mmarml__resume *st, const json_t *start,
                            mmarml_search_space *space, int retry_of_end)
{
    const char *name = json_string_value(json_object_get(start, "job"));
    const json_t *notes = json_object_get(st->notes, name);
    pending_job p;
    int rc, w = 0;

    memset(&p, 0, sizeof(p));
    if ((rc = job_recommendation(e, st, start, space, &p.rec)) != MMARML_OK)
        return rc;
    p.first = (uint64_t)json_integer_value(json_object_get(start, "first"));
    p.attempt = (int)json_integer_value(json_object_get(start, "attempt"));
    if (retry_of_end) {
        p.attempt++; /* a new job, named when dispatched */
    } else {
        snprintf(p.name, sizeof(p.name), "%s", name);
        p.number = (uint64_t)json_integer_value(json_object_get(start, "n"));
        if (sscanf(name, "W%d_", &w) == 1)
            p.worker = w;
        p.resumed = json_pack("{s:i, s:o}", "attempt", p.attempt, "notes",
                              notes != NULL ? json_deep_copy(notes) : json_object());
        /* what it reported before: the pruner knew it; its steps go on from there */
        if (p.resumed != NULL && json_object_get(st->reports, name) != NULL)
            json_object_set(p.resumed, "reports", json_object_get(st->reports, name));
        mmarml_context_trace(e->ctx, "engine", "resume: job %s was running when the run "
                             "ended; it runs again%s", name,
                             notes != NULL ? " (or is adopted: it has notes)" : "");
    }
    pthread_mutex_lock(&e->lock);
    rc = mmarml__engine_pending_push(e, &p, 1);
    pthread_mutex_unlock(&e->lock);
    mmarml_recommendation_unref(p.rec);
    json_decref(p.resumed);
    return rc;
}

/* Drop the first `n` queued recommendations: their jobs are in the journal already. */
static void drop_started(mmarml_engine *e, size_t n)
{
    pthread_mutex_lock(&e->lock);
    while (n-- > 0 && e->pending_count > 0) {
        pending_job *p = &e->pending[e->pending_head];
        mmarml_recommendation_unref(p->rec);
        json_decref(p->resumed);
        e->pending_head = (e->pending_head + 1) % e->pending_cap;
        e->pending_count--;
    }
    pthread_mutex_unlock(&e->lock);
}

/* Counters continue where the journal leaves them: job numbers, each worker's count. */
static void restore_counters(mmarml_engine *e, mmarml__resume *st)
{
    const char *name;
    const json_t *start;

    json_object_foreach(st->starts, name, start)
    {
        uint64_t n = (uint64_t)json_integer_value(json_object_get(start, "n"));
        unsigned long long k = 0;
        int w = 0;
        if (n > e->jobs_started)
            e->jobs_started = n;
        if (sscanf(name, "W%d_%llu_J", &w, &k) == 2 && w >= 1 && (size_t)w <= e->nworkers &&
            k > e->workers[w - 1].jobs)
            e->workers[w - 1].jobs = k;
    }
    e->first_attempts = st->nfirsts;
}

/* Job names of `obj` in ascending job number, for a queue in job order. */
static int by_number(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    json_int_t m = json_integer_value(json_object_get(x, "n"));
    json_int_t n = json_integer_value(json_object_get(y, "n"));
    return (m > n) - (m < n);
}

/* The context a replayed report is given to the pruner with: as the job's own had it,
 * `_jobName` and `_recommendation` (the journal's values), on a child of the main context;
 * a pruner that decides by the job's params then decides on resume as it did. Kept while
 * the same job reports. NULL when it cannot be made: the pruner gets the main context. */
static mmarml_context *replay_report_context(mmarml_engine *e, mmarml__resume *st,
                                             const json_t *record, mmarml_search_space *space)
{
    const char *name = json_string_value(json_object_get(record, "job"));
    const json_t *start = json_object_get(st->starts, name != NULL ? name : "");
    mmarml_recommendation *rec = NULL;
    mmarml_context *ctx = NULL;

    if (e->pruner == NULL || name == NULL || start == NULL)
        return NULL;
    if (st->report_job != NULL && strcmp(st->report_job, name) == 0)
        return st->report_ctx;
    mmarml_context_unref(st->report_ctx);
    free(st->report_job);
    st->report_ctx = NULL;
    st->report_job = NULL;
    if (mmarml_recommendation_from_json(&rec, space, json_object_get(start, "rec")) != MMARML_OK)
        return NULL;
    if (mmarml_context_new(&ctx, e->ctx) != MMARML_OK ||
        mmarml_context_set_pointer(ctx, MMARML_KEY_RECOMMENDATION, rec, destroy_rec) !=
            MMARML_OK) {
        mmarml_recommendation_unref(rec); /* the context did not take it */
        mmarml_context_unref(ctx);
        return NULL;
    }
    if (mmarml_context_set_string(ctx, MMARML_KEY_JOB_NAME, name) != MMARML_OK ||
        (st->report_job = mmarml__strdup(name)) == NULL) {
        mmarml_context_unref(ctx);
        return NULL;
    }
    st->report_ctx = ctx;
    return ctx;
}

/* The second reading: each report to the pruner (and the job's list), each end through
 * end_job and the controller, in journal order. */
static int replay_record(const json_t *r, void *ud)
{
    mmarml__resume *st = ud;
    mmarml_engine *e = st->engine;
    const char *t = rec_type(r), *name = json_string_value(json_object_get(r, "job"));
    int rc;

    st->nrecords++;
    if (strcmp(t, "report") == 0) {
        if (name != NULL) {
            json_t *list = json_object_get(st->reports, name);
            json_t *pair = json_pack("[O, O]", json_object_get(r, "step"),
                                     json_object_get(r, "value"));
            if (pair == NULL)
                return MMARML__NOMEM();
            if (json_is_number(json_object_get(r, "time"))) /* older journals: none */
                json_array_append(pair, json_object_get(r, "time"));
            if (list == NULL)
                json_object_set_new(st->reports, name, list = json_array());
            if (json_array_append_new(list, pair) != 0)
                return MMARML__NOMEM();
        }
        mmarml__replay_report(e, r, replay_report_context(e, st, r, st->space));
        return MMARML_OK;
    }
    if (strcmp(t, "end") != 0)
        return MMARML_OK;
    if (name == NULL || json_object_get(st->ended, name) == NULL)
        return mmarml_error_set(MMARML_EINVAL, "journal '%s' changed while the run resumed: "
                                "record %zu ends a job it did not end before", st->path,
                                st->nrecords);
    if (e->pruner != NULL) {
        const char *status = json_string_value(json_object_get(r, "status"));
        mmarml_pruner_job_ended(
            e->pruner, name,
            (uint64_t)json_integer_value(
                json_object_get(json_object_get(st->starts, name), "first")),
            status != NULL ? mmarml_job_status_from_name(status) : MMARML_JOB_ERROR);
    }
    rc = replay_end(e, st, json_object_get(st->starts, name), r, st->space);
    json_object_del(st->reports, name); /* its outcome has them: kept no longer */
    st->ends++;
    return rc;
}

int mmarml__journal_replay(mmarml_engine *e, mmarml__resume *st, mmarml_search_space *space)
{
    const json_t *r, **todo = NULL;
    const char *name;
    size_t i, ntodo = 0;
    int rc;

    st->engine = e;
    st->space = space;
    st->nrecords = 0;
    /* every ended job, in the order its end was recorded */
    rc = mmarml__journal_walk(e->journal, st->end, replay_record, st);
    if (rc == MMARML_OK) {
        drop_started(e, st->nfirsts);
        restore_counters(e, st);
        e->end_seq = st->ends;
        e->next_end_seq = st->ends + 1;
        todo = calloc(json_object_size(st->starts) + 1, sizeof(*todo));
        if (todo == NULL)
            rc = MMARML__NOMEM();
    }
    if (rc == MMARML_OK) {
        json_object_foreach(st->starts, name, r)
        {
            const json_t *end = json_object_get(st->ended, name);
            if (end == NULL) {
                todo[ntodo++] = r;
            } else if (json_is_true(json_object_get(end, "retry"))) {
                /* was its next attempt started? then that start is in the journal too */
                char next[48];
                attempt_key(next, sizeof(next), r, 1);
                if (json_object_get(st->attempts, next) == NULL &&
                    (rc = queue_unfinished(e, st, r, space, 1)) != MMARML_OK)
                    break;
            }
        }
    }
    if (rc == MMARML_OK) {
        /* pushed to the front in descending order: they run in ascending job order */
        qsort(todo, ntodo, sizeof(*todo), by_number);
        for (i = ntodo; rc == MMARML_OK && i-- > 0;)
            rc = queue_unfinished(e, st, todo[i], space, 0);
    }
    if (rc == MMARML_OK)
        mmarml_context_trace(e->ctx, "engine", "resumed from %s: %zu jobs had ended, %zu ran "
                             "when the run ended and run again",
                             mmarml__journal_path(e->journal), st->ends, ntodo);
    free(todo);
    return rc;
}
