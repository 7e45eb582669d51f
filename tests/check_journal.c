/* The run journal and resume through the public API: records, torn and corrupt journals, the
 * single-writer lock, identity checks, finished runs, retries, outcomes while stopping, notes
 * and resumed jobs, and runs killed (SIGKILL, in a child) at random moments and resumed,
 * which must make exactly the recommendations of the run left alone. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---- fixtures ---- */

/* A forked child ends through exec: its exit status, and no leak report of the parent's
 * memory when the suite runs under valgrind. */
static void child_exit(int code)
{
    execl("/bin/sh", "sh", "-c", code ? "exit 1" : "exit 0", (char *)NULL);
    _exit(code);
}

static char *tmp_journal(void)
{
    char dir[] = "/tmp/mmarml-journal-XXXXXX", *path = NULL;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_ge(asprintf(&path, "%s/journal.mmarml", dir), 0);
    return path;
}

static void remove_journal(char *path)
{
    char *slash = strrchr(path, '/');

    unlink(path);
    *slash = '\0';
    rmdir(path);
    free(path);
}

static off_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* An executor whose score is a function of the values alone (a deterministic trainer),
 * optionally slow, failing a given number of first attempts, stopping the run, noting a
 * cluster id, or blocking until aborted. */
typedef struct {
    useconds_t delay_us;
    int fail_attempts;   /* attempts below this fail */
    int stop_at_job;     /* job number whose execute asks the run to stop (then ends ok) */
    int note_and_block;  /* note cluster_job_id = "<job name>" and block until aborted */
    pthread_mutex_t lock;
    unsigned executed;
    char resumed_seen[256]; /* "<job>:<cluster_job_id>" of a resumed job it got */
    char resumed_reports[256]; /* "<step>@<time> ..." a resumed job had when it began */
    double report_base; /* a job that blocks reports steps 1 and 2 first, measured at
                         * report_base + 10 step (a trainer's clock a little behind) */
} det_exec;

static void note_resumed_reports(det_exec *d, mmarml_context *job)
{
    double *pairs = NULL, *times = NULL;
    size_t n = 0, ntimes = 0, i, len = 0;

    ck_ok(mmarml_job_reports(job, &pairs, &n));
    ck_ok(mmarml_job_report_times(job, &times, &ntimes));
    ck_assert_uint_eq(n, ntimes);
    d->resumed_reports[0] = '\0';
    for (i = 0; i < n && len < sizeof(d->resumed_reports); i++)
        len += (size_t)snprintf(d->resumed_reports + len, sizeof(d->resumed_reports) - len,
                                "%g@%.0f ", pairs[2 * i], times[i]);
    mmarml_free(pairs);
    mmarml_free(times);
}

static int det_determine(mmarml_search_space **out, mmarml_executor *self,
                         mmarml_context *ctx, void *ud)
{
    (void)self, (void)ctx, (void)ud;
    *out = tu_space();
    return MMARML_OK;
}

static double det_score(const mmarml_recommendation *rec)
{
    const double *v = mmarml_recommendation_values(rec);

    return -fabs(log10(v[0]) + 2) - 0.1 * fabs(v[2] - 5) + 0.05 * v[1];
}

static int det_execute(int *status, double *score, mmarml_executor *self,
                       const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    det_exec *d = ud;
    int64_t attempt = 1;
    char *name = NULL;
    json_t *resumed = NULL;

    (void)self;
    mmarml_context_get_int(job, MMARML_KEY_JOB_ATTEMPT, &attempt);
    mmarml_context_get_string(job, MMARML_KEY_JOB_NAME, &name);
    pthread_mutex_lock(&d->lock);
    d->executed++;
    if (mmarml_context_get_json(job, MMARML_KEY_RESUMED_JOB, &resumed) == MMARML_OK) {
        const char *id = json_string_value(
            json_object_get(json_object_get(resumed, "notes"), "cluster_job_id"));
        snprintf(d->resumed_seen, sizeof(d->resumed_seen), "%s:%s", name, id ? id : "");
        json_decref(resumed);
        note_resumed_reports(d, job);
    }
    pthread_mutex_unlock(&d->lock);
    if (d->note_and_block && name != NULL) {
        int aborted = 0;
        ck_ok(mmarml_job_report_at(job, 1, 0.25, d->report_base + 10, NULL));
        ck_ok(mmarml_job_report_at(job, 2, 0.5, d->report_base + 20, NULL));
        ck_ok(mmarml_job_note(job, "cluster_job_id", name));
        while (!aborted) {
            usleep(1000);
            mmarml_context_get_bool(job, MMARML_KEY_JOB_ABORTED, &aborted);
        }
        mmarml_free(name);
        *status = MMARML_JOB_ABORTED;
        return MMARML_OK;
    }
    if (d->stop_at_job > 0 && name != NULL &&
        strstr(name, "_J") != NULL && atoi(strstr(name, "_J") + 2) == d->stop_at_job)
        mmarml_context_stop_work(job, "test", "stop while this job ends ok");
    mmarml_free(name);
    if (d->delay_us)
        usleep(d->delay_us);
    if (attempt <= d->fail_attempts) {
        *status = MMARML_JOB_FAILED;
        return MMARML_OK;
    }
    *score = det_score(rec);
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

static mmarml_executor *det_executor(det_exec *d)
{
    mmarml_executor_vtable vt = MMARML_EXECUTOR_VTABLE_INIT;
    mmarml_executor *exe = NULL;

    vt.determine_search_space = det_determine;
    vt.execute = det_execute;
    ck_ok(mmarml_executor_new(&exe, &vt, d));
    return exe;
}

static void det_init(det_exec *d)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->report_base = (double)time(NULL) - 60;
}

enum { CTL_RANDOM, CTL_GRID, CTL_REINFORCE, CTL_TPE, CTL_COUNT };

static mmarml_controller *make_controller(int kind, uint64_t rounds)
{
    mmarml_controller *ctl = NULL;

    switch (kind) {
    case CTL_RANDOM:
        ck_ok(mmarml_controller_new_random(&ctl, rounds, 11));
        break;
    case CTL_GRID:
        ck_ok(mmarml_controller_new_grid(&ctl, 3, rounds));
        break;
    case CTL_REINFORCE:
        ck_ok(mmarml_controller_new_reinforce(&ctl, rounds, 11, 0.1));
        break;
    default:
        ck_ok(mmarml_controller_new_tpe(&ctl, rounds, 11, 5));
        break;
    }
    return ctl;
}

typedef struct {
    const char *journal;
    const char *workers;
    int resume;
    uint32_t max_retries;
    uint64_t max_jobs;
    json_t *identity; /* borrowed; NULL: none */
    double max_sys_run_time;
} run_opts;

/* Run an engine with `ctl` (its reference is taken over); returns its code; *reason the end
 * reason. */
static int run_engine(const run_opts *ro, mmarml_controller *ctl, det_exec *d, tu_recorder *rec,
                      int *reason)
{
    mmarml_engine_options o = tu_options(ro->workers);
    mmarml_executor *exe = det_executor(d);
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_handler *h = rec != NULL ? tu_recording_handler(rec) : NULL;
    int rc;

    o.journal = ro->journal;
    o.resume = ro->resume;
    o.max_retries = ro->max_retries;
    o.max_jobs = ro->max_jobs;
    o.max_sys_run_time = ro->max_sys_run_time;
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    if (h != NULL)
        ck_ok(mmarml_engine_add_handler(e, h));
    ck_ok(mmarml_context_new(&ctx, NULL));
    if (ro->identity != NULL)
        ck_ok(mmarml_context_set_json(ctx, MMARML_KEY_RUN_IDENTITY, ro->identity));
    rc = mmarml_engine_run(e, ctx);
    if (reason != NULL)
        *reason = mmarml_engine_end_reason(e);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_handler_unref(h);
    mmarml_executor_unref(exe);
    mmarml_controller_unref(ctl);
    return rc;
}

static json_t *read_journal(const char *path)
{
    json_t *recs = NULL;

    ck_ok(mmarml_journal_read(&recs, path, NULL));
    return recs;
}

static size_t count_type(const json_t *recs, const char *type)
{
    const json_t *r;
    size_t i, n = 0;

    json_array_foreach(recs, i, r) n +=
        strcmp(json_string_value(json_object_get(r, "t")), type) == 0;
    return n;
}

/* The final outcomes in completion order as text: "job=<values> score" lines. */
static char *outcome_sequence(const json_t *recs)
{
    json_t *starts = json_object();
    const json_t *r;
    size_t i, len = 0;
    char *out = calloc(1, 1);

    json_array_foreach(recs, i, r)
    {
        const char *t = json_string_value(json_object_get(r, "t"));
        const char *job = json_string_value(json_object_get(r, "job"));
        if (strcmp(t, "start") == 0) {
            json_object_set(starts, job, json_object_get(r, "rec"));
        } else if (strcmp(t, "end") == 0 && !json_is_true(json_object_get(r, "retry"))) {
            char *values = json_dumps(json_object_get(json_object_get(starts, job), "values"),
                                      JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
            char *line = NULL;
            ck_assert_int_ge(asprintf(&line, "%s %s %.17g\n", values,
                                      json_string_value(json_object_get(r, "status")),
                                      json_number_value(json_object_get(r, "score"))),
                             0);
            out = realloc(out, len + strlen(line) + 1);
            memcpy(out + len, line, strlen(line) + 1);
            len += strlen(line);
            free(line);
            free(values);
        }
    }
    json_decref(starts);
    return out;
}

/* ---- the format ---- */

START_TEST(records_of_a_run)
{
    char *path = tmp_journal();
    run_opts ro = {path, "0:1", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs;
    size_t torn = 1;
    int reason;

    det_init(&d);
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 12), &d, NULL, &reason));
    ck_ok(mmarml_journal_read(&recs, path, &torn));
    ck_assert_uint_eq(torn, 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "t")),
                     "header");
    ck_assert_ptr_nonnull(json_object_get(json_array_get(recs, 0), "space"));
    ck_assert_uint_eq(count_type(recs, "start"), 12);
    ck_assert_uint_eq(count_type(recs, "end"), 12);
    ck_assert_uint_eq(count_type(recs, "end_run"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(recs, json_array_size(recs) - 1), "t")),
                     "end_run");
    json_decref(recs);
    remove_journal(path);
}
END_TEST

/* A record cut short: what a writer killed in the middle leaves. */
static const char cut_short[] = "J1 120 0badf00d {\"t\":\"end\",\"job\":\"W";

/* The journal at `path` of a run of 4 jobs on one worker, then `cut_short` appended; its
 * records before that, and in *size its size before that. */
static json_t *journal_with_torn_tail(const char *path, off_t *size)
{
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs;
    FILE *f;

    det_init(&d);
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL));
    recs = read_journal(path);
    *size = file_size(path);
    f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    fputs(cut_short, f);
    fclose(f);
    return recs;
}

START_TEST(torn_tail_ignored_damage_refused)
{
    char *path = tmp_journal();
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs, *again;
    size_t torn = 0;
    off_t size;
    int fd;

    det_init(&d);
    recs = journal_with_torn_tail(path, &size);
    ck_ok(mmarml_journal_read(&again, path, &torn));
    ck_assert_uint_eq(torn, strlen(cut_short));
    ck_assert(json_equal(recs, again));
    json_decref(again);
    /* one flipped byte inside an earlier record, with whole records after it */
    ck_assert_int_eq(truncate(path, size), 0);
    fd = open(path, O_RDWR);
    ck_assert_int_eq(pwrite(fd, "#", 1, size / 2), 1);
    close(fd);
    ck_assert_int_eq(mmarml_journal_read(&again, path, NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "corrupt"));
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "byte"));
    /* and a resume of it changes nothing */
    ro.resume = 1;
    ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL),
                     MMARML_EINVAL);
    ck_assert_int_eq(file_size(path), size);
    json_decref(recs);
    remove_journal(path);
}
END_TEST

/* What mmarml_journal_foreach() gives a callback: a copy of each record, and how many to
 * give before it stops with MMARML_ECANCELED (0: never). */
typedef struct {
    json_t *seen;
    size_t stop_after;
} foreach_seen;

static int see_record(const json_t *record, void *ud)
{
    foreach_seen *f = ud;

    json_array_append_new(f->seen, json_deep_copy(record));
    if (f->stop_after > 0 && json_array_size(f->seen) == f->stop_after)
        return mmarml_error_set(MMARML_ECANCELED, "seen enough");
    return MMARML_OK;
}

/* mmarml_journal_foreach() gives the records mmarml_journal_read() returns, in order, and
 * the same torn bytes; a callback's code stops it; a damaged record stops it after the
 * records before it; a file that is not a journal gives nothing. */
START_TEST(foreach_gives_each_record_in_order)
{
    char *path = tmp_journal();
    json_t *recs;
    foreach_seen f = {NULL, 0};
    size_t torn = 0, at;
    FILE *file;
    off_t size;
    int fd;

    recs = journal_with_torn_tail(path, &size);
    f.seen = json_array();
    ck_ok(mmarml_journal_foreach(path, see_record, &f, &torn));
    ck_assert(json_equal(f.seen, recs));
    ck_assert_uint_eq(torn, strlen(cut_short));
    /* the callback stops it with its own code */
    json_array_clear(f.seen);
    f.stop_after = 3;
    ck_assert_int_eq(mmarml_journal_foreach(path, see_record, &f, NULL), MMARML_ECANCELED);
    ck_assert_str_eq(mmarml_error_message(), "seen enough");
    ck_assert_uint_eq(json_array_size(f.seen), 3);
    /* damage in the middle: the records before it were given, then the error */
    ck_assert_int_eq(truncate(path, size), 0);
    fd = open(path, O_RDWR);
    ck_assert_int_eq(pwrite(fd, "#", 1, size / 2), 1);
    close(fd);
    json_array_clear(f.seen);
    f.stop_after = 0;
    ck_assert_int_eq(mmarml_journal_foreach(path, see_record, &f, NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "corrupt"));
    at = json_array_size(f.seen);
    ck_assert_uint_gt(at, 0);
    ck_assert_uint_lt(at, json_array_size(recs));
    while (at-- > 0)
        ck_assert(json_equal(json_array_get(f.seen, at), json_array_get(recs, at)));
    /* a file of records that does not begin with our header gives nothing */
    file = fopen(path, "w");
    fputs("J1 11 58dd397c {\"t\":\"end\"}\n", file);
    fclose(file);
    json_array_clear(f.seen);
    ck_assert_int_eq(mmarml_journal_foreach(path, see_record, &f, NULL), MMARML_EINVAL);
    ck_assert_uint_eq(json_array_size(f.seen), 0);
    ck_assert_int_eq(mmarml_journal_foreach(NULL, see_record, &f, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_journal_foreach(path, NULL, &f, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_journal_foreach("/nonexistent/journal", see_record, &f, NULL),
                     MMARML_ENOTFOUND);
    json_decref(f.seen);
    json_decref(recs);
    remove_journal(path);
}
END_TEST

/* ---- a journal longer than the reader's window ---- */

/* Append one framed record holding {"t":"note","i":i,"pad":"<pad bytes>"}; its file offset. */
static long put_padded(FILE *f, unsigned i, size_t pad)
{
    char *text = malloc(pad + 64);
    long at = ftell(f);
    int n;

    ck_assert_ptr_nonnull(text);
    n = sprintf(text, "{\"t\":\"note\",\"i\":%u,\"pad\":\"", i);
    memset(text + n, 'x', pad);
    strcpy(text + n + pad, "\"}");
    tu_put_record(f, text);
    free(text);
    return at;
}

typedef struct {
    unsigned next; /* the i the next record must have */
    int in_order;
} long_walk;

static int count_in_order(const json_t *record, void *ud)
{
    long_walk *w = ud;
    const json_t *i = json_object_get(record, "i");

    if (w->next == 0) /* the header */
        w->in_order &= i == NULL;
    else
        w->in_order &= json_integer_value(i) == (json_int_t)w->next;
    w->next++;
    return MMARML_OK;
}

/*
 * The reader holds a window of the file, not the file: records that straddle its reads, a
 * record several times longer than one read, a torn long last record, and damage whose
 * next whole record lies reads away are found as in a journal read whole. The file is 5.8
 * MB of records from 0 to 2.5 MB long.
 */
START_TEST(a_journal_longer_than_a_read)
{
    static const char header[] = "{\"t\":\"header\",\"format\":\"mmarml-journal\","
                                 "\"version\":1}";
    char *path = tmp_journal();
    const unsigned longest = 1800; /* the record of 2.5 MB: the others are 700 KB or less */
    long long_at = 0;
    unsigned i, records = 1, seed = 7;
    long_walk w = {0, 1};
    size_t torn = 1;
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    tu_put_record(f, header);
    for (i = 1; i <= 2400; i++, records++) {
        seed = seed * 1103515245u + 12345u;
        if (i == longest)
            long_at = put_padded(f, i, 2500000);
        else
            put_padded(f, i, i % 600 == 0 ? 700000 : (seed >> 16) % 1500);
    }
    fclose(f);
    ck_assert_int_gt(file_size(path), 5000000);
    ck_ok(mmarml_journal_foreach(path, count_in_order, &w, &torn));
    ck_assert_uint_eq(w.next, records);
    ck_assert(w.in_order);
    ck_assert_uint_eq(torn, 0);

    /* a long last record cut short: torn, the records before it all given */
    f = fopen(path, "a");
    put_padded(f, records, 650000);
    fclose(f);
    ck_assert_int_eq(truncate(path, file_size(path) - 300000), 0);
    w = (long_walk){0, 1};
    ck_ok(mmarml_journal_foreach(path, count_in_order, &w, &torn));
    ck_assert_uint_eq(w.next, records);
    ck_assert(w.in_order);
    ck_assert_uint_gt(torn, 300000);

    /* damage in the magic of the longest record, so that the scan for a whole record after
     * it reads 2.5 MB on, more than the window held: the records before it, then the error */
    {
        int fd = open(path, O_RDWR);
        ck_assert_int_eq(pwrite(fd, "#", 1, long_at + 1), 1);
        close(fd);
    }
    w = (long_walk){0, 1};
    ck_assert_int_eq(mmarml_journal_foreach(path, count_in_order, &w, NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "damaged and whole records follow"));
    ck_assert_uint_eq(w.next, longest);
    ck_assert(w.in_order);

    /* the same record damaged with only the torn one after it: a torn end, not corruption */
    ck_assert_int_eq(truncate(path, long_at + 2500100), 0);
    w = (long_walk){0, 1};
    ck_ok(mmarml_journal_foreach(path, count_in_order, &w, &torn));
    ck_assert_uint_eq(w.next, longest);
    ck_assert_uint_eq(torn, (size_t)(file_size(path) - long_at));
    remove_journal(path);
}
END_TEST

/* A last record that is whole and checksummed but holds no JSON object is no torn write: a
 * crash leaves a prefix or zeros, which fail the checksum (found by tests/fuzz/fuzz_resume.c,
 * where a resume cut such a record off). Refused, and a resume changes nothing. */
START_TEST(whole_last_record_without_an_object_refused)
{
    static const char *const bad[] = {
        "J1 5 5d9c1c85 [1,2]\n",              /* JSON, not an object */
        "J1 12 b644906e {\"t\":\"alive\"\n", /* not JSON */
    };
    size_t k;

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char *path = tmp_journal();
        run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
        det_exec d;
        json_t *recs = NULL;
        off_t size;
        FILE *f;

        det_init(&d);
        ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL));
        f = fopen(path, "a");
        fputs(bad[k], f);
        fclose(f);
        size = file_size(path);
        ck_assert_int_eq(mmarml_journal_read(&recs, path, NULL), MMARML_EINVAL);
        ck_assert_ptr_null(recs);
        ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "checksum matches"));
        ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "not a JSON object"));
        ro.resume = 1;
        ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL),
                         MMARML_EINVAL);
        ck_assert_int_eq(file_size(path), size);
        remove_journal(path);
    }
}
END_TEST

START_TEST(foreign_missing_existing_and_live)
{
    char *path = tmp_journal(), host[256] = "", pid[32];
    run_opts ro = {path, "0", 1, 0, 0, NULL, 0};
    det_exec d;
    FILE *f;

    det_init(&d);
    /* nothing to resume */
    ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 2), &d, NULL, NULL),
                     MMARML_ENOTFOUND);
    ck_assert_int_eq(file_size(path), -1);
    /* not ours */
    f = fopen(path, "w");
    fputs("hello, this is somebody's file\n", f);
    fclose(f);
    ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 2), &d, NULL, NULL),
                     MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "not an mmarml journal"));
    ck_assert_int_eq(file_size(path), 31);
    /* a new run does not overwrite a journal */
    ro.resume = 0;
    ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 2), &d, NULL, NULL),
                     MMARML_EEXISTS);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "resume"));
    ck_assert_int_eq(file_size(path), 31);
    unlink(path);
    /* a live writer: a run that blocks, and a resume of it from another engine */
    d.note_and_block = 1;
    {
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
            run_engine(&ro, make_controller(CTL_RANDOM, 2), &d, NULL, NULL);
            child_exit(0);
        }
        while (file_size(path) <= 0)
            usleep(1000);
        usleep(50000);
        ro.resume = 1;
        ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 2), &d, NULL, NULL),
                         MMARML_EBUSY);
        gethostname(host, sizeof(host) - 1);
        snprintf(pid, sizeof(pid), "pid %d", (int)child);
        ck_assert_msg(strstr(mmarml_error_message(), pid) != NULL &&
                          strstr(mmarml_error_message(), host) != NULL,
                      "%s", mmarml_error_message());
        /* the holder dies: its lock is stale, and a resume goes on */
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        d.note_and_block = 0;
        ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 2), &d, NULL, NULL));
    }
    remove_journal(path);
}
END_TEST

/* Start a run in a child that notes its first job and blocks; kill it once the note is in
 * the journal: a run that died with a job running. */
static void run_and_kill(run_opts *ro, int kind, uint64_t rounds, det_exec *d)
{
    pid_t child;
    json_t *recs;

    d->note_and_block = 1;
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        run_engine(ro, make_controller(kind, rounds), d, NULL, NULL);
        child_exit(0);
    }
    for (;;) {
        usleep(2000);
        recs = NULL;
        if (mmarml_journal_read(&recs, ro->journal, NULL) == MMARML_OK &&
            count_type(recs, "note") >= 1) {
            json_decref(recs);
            break;
        }
        json_decref(recs);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    d->note_and_block = 0;
}

START_TEST(identity_and_space_checked)
{
    char *path = tmp_journal();
    json_t *was = json_pack("{s:s, s:s}", "config_train.json", "a", "config_automl.json", "b");
    json_t *now = json_pack("{s:s, s:s}", "config_train.json", "a", "config_automl.json", "c");
    run_opts ro = {path, "0", 0, 0, 0, was, 0};
    det_exec d;
    off_t size;
    int reason;

    det_init(&d);
    run_and_kill(&ro, CTL_RANDOM, 5, &d);
    size = file_size(path);
    ro.resume = 1;
    ro.identity = now;
    ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 5), &d, NULL, NULL),
                     MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "config_automl.json changed"));
    ck_assert_ptr_null(strstr(mmarml_error_message(), "config_train.json"));
    ck_assert_int_eq(file_size(path), size);
    ro.identity = was;
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 5), &d, NULL, &reason));
    ck_assert_int_eq(reason, MMARML_END_STOP_ASKED); /* the controller's max_rounds */
    /* that stop came from the run itself: it has ended, and a resume says so */
    size = file_size(path);
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 5), &d, NULL, &reason));
    ck_assert_int_eq(reason, MMARML_END_ALREADY_FINISHED);
    ck_assert_int_eq(file_size(path), size);
    json_decref(was);
    json_decref(now);
    remove_journal(path);
}
END_TEST

START_TEST(a_journal_that_cannot_be_written_stops_the_run)
{
    char *path = tmp_journal(), *expected, *got;
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs;
    pid_t child;
    int status = -1;

    det_init(&d);
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 12), &d, NULL, NULL));
    recs = read_journal(path);
    expected = outcome_sequence(recs);
    json_decref(recs);
    unlink(path);
    /* the file may not grow past 3 KB: appends fail (EFBIG) a few jobs in */
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        struct rlimit lim = {3000, 3000};
        int rc;
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &lim);
        rc = run_engine(&ro, make_controller(CTL_RANDOM, 12), &d, NULL, NULL);
        /* a file system limit: the run stops as for a full disk */
        child_exit(rc == MMARML_ESTORAGE &&
                           strstr(mmarml_error_message(), "cannot write the journal")
                       ? 0
                       : 1);
    }
    waitpid(child, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the run did not fail with the journal's error");
    recs = read_journal(path); /* what it holds is whole */
    ck_assert_uint_gt(count_type(recs, "end"), 0);
    ck_assert_uint_lt(count_type(recs, "end"), 12);
    json_decref(recs);
    /* with room again, the run resumes into the one left alone */
    ro.resume = 1;
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 12), &d, NULL, NULL));
    recs = read_journal(path);
    got = outcome_sequence(recs);
    ck_assert_msg(strcmp(got, expected) == 0, "the resumed run differs from the one left alone");
    free(got);
    free(expected);
    json_decref(recs);
    remove_journal(path);
}
END_TEST

/* max_sys_run_time counts every part: a run that lived past it resumes into its end. */
START_TEST(max_sys_run_time_counts_every_part)
{
    char *path = tmp_journal();
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs;
    pid_t child;
    size_t starts;
    int reason;

    det_init(&d);
    d.delay_us = 20000;
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        run_engine(&ro, make_controller(CTL_RANDOM, 100), &d, NULL, NULL);
        child_exit(0);
    }
    usleep(600000); /* about 25 jobs */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    recs = read_journal(path);
    ck_assert_uint_gt(count_type(recs, "end"), 5);
    starts = count_type(recs, "start");
    json_decref(recs);
    /* the earlier part took more than 0.3 s: with that limit, the resume ends at once */
    ro.resume = 1;
    ro.max_sys_run_time = 0.3;
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 100), &d, NULL, &reason));
    ck_assert_int_eq(reason, MMARML_END_MAX_SYS_RUN_TIME);
    recs = read_journal(path);
    ck_assert_uint_eq(count_type(recs, "start"), starts); /* no job started */
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(recs, json_array_size(recs) - 1), "reason")),
                     "max_sys_run_time");
    json_decref(recs);
    remove_journal(path);
}
END_TEST

/* ---- retries and stops ---- */

typedef struct {
    unsigned outcomes;
    int statuses[64];
    mmarml_controller *inner;
    const char *cut_journal; /* cut this file to cut_to bytes in initial_recommendation */
    off_t cut_to;
} counting_ctl;

static int cc_space(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                    void *ud)
{
    (void)self;
    return mmarml_controller_set_search_space(((counting_ctl *)ud)->inner, space, ctx);
}

static int cc_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                      mmarml_context *ctx, void *ud)
{
    counting_ctl *c = ud;

    (void)self;
    if (c->cut_journal != NULL)
        ck_assert_int_eq(truncate(c->cut_journal, c->cut_to), 0);
    return mmarml_controller_initial_recommendation(out, c->inner, ctx);
}

static int cc_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                     const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    counting_ctl *c = ud;

    (void)self;
    if (c->outcomes < 64)
        c->statuses[c->outcomes] = mmarml_outcome_status(o);
    c->outcomes++;
    return mmarml_controller_refine_recommendation(out, c->inner, o, ctx);
}

static void cc_destroy(void *ud)
{
    mmarml_controller_unref(((counting_ctl *)ud)->inner);
}

static mmarml_controller *counting(counting_ctl *c, mmarml_controller *inner)
{
    mmarml_controller_vtable vt = MMARML_CONTROLLER_VTABLE_INIT;
    mmarml_controller *ctl = NULL;

    memset(c, 0, sizeof(*c));
    c->inner = inner;
    vt.set_search_space = cc_space;
    vt.initial_recommendation = cc_initial;
    vt.refine_recommendation = cc_refine;
    vt.destroy = cc_destroy;
    ck_ok(mmarml_controller_new(&ctl, &vt, c));
    return ctl;
}

/* Append `text` to the journal at `path` as one whole, checksummed record. */
static void append_record_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");

    ck_assert_ptr_nonnull(f);
    tu_put_record(f, text);
    fclose(f);
}

/* Whole, checksummed records that contradict the ones before them: the resume refuses the
 * journal, names the record, and leaves every byte as it was (the jobs are indexed before
 * anything is written). */
START_TEST(inconsistent_journal_refused_unchanged)
{
    static const char *const bad[][2] = {
        {"{\"t\":\"end\",\"job\":\"nobody\",\"attempt\":1,\"status\":\"ok\"}",
         "ends a job that never started"},
        {NULL /* the first job's end again */, "ends a job a second time"},
        {"{\"t\":\"report\",\"job\":\"W1_x\",\"step\":\"one\",\"value\":1}",
         "is a report without step or value"},
        {"{\"t\":\"start\",\"job\":\"W1_y\",\"n\":0,\"attempt\":1,\"rec\":{}}",
         "is a start without job"},
        {"{\"t\":\"start\",\"job\":\"W1_9_J9\",\"n\":9,\"attempt\":1,\"rec\":{}}\n"
         "{\"t\":\"end\",\"job\":\"W1_9_J9\",\"attempt\":1,\"status\":\"exploded\"}",
         "ends a job with a status this library does not know"},
    };
    size_t k;

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char *path = tmp_journal(), *before, *after, *first_end = NULL, want[96];
        run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
        det_exec d;
        json_t *recs;
        const json_t *r;
        size_t i;

        det_init(&d);
        ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL));
        recs = read_journal(path);
        json_array_foreach(recs, i, r)
        if (first_end == NULL && strcmp(json_string_value(json_object_get(r, "t")), "end") == 0)
            first_end = json_dumps(r, JSON_COMPACT);
        {
            /* one record per line */
            char *lines = strdup(bad[k][0] != NULL ? bad[k][0] : first_end), *line, *save;
            size_t added = 0;
            for (line = strtok_r(lines, "\n", &save); line != NULL;
                 line = strtok_r(NULL, "\n", &save), added++)
                append_record_text(path, line);
            free(lines);
            snprintf(want, sizeof(want), "record %zu %s", json_array_size(recs) + added,
                     bad[k][1]);
        }
        before = tu_read_file(path);
        ro.resume = 1;
        ck_assert_int_eq(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL),
                         MMARML_EINVAL);
        ck_assert_msg(strstr(mmarml_error_message(), want) != NULL, "'%s' not in '%s'", want,
                      mmarml_error_message());
        ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "nothing was changed"));
        after = tu_read_file(path);
        ck_assert_str_eq(after, before);
        free(before);
        free(after);
        free(first_end);
        json_decref(recs);
        remove_journal(path);
    }
}
END_TEST

/* The journal is read twice on resume, the jobs indexed, then replayed: a file cut between
 * the readings (here by the controller's initial_recommendation, which runs between them)
 * is found, not half replayed. */
START_TEST(journal_cut_between_readings_refused)
{
    char *path = tmp_journal(), *text;
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    counting_ctl c;
    det_exec d;
    json_t *recs;
    size_t ends_before_cut;
    off_t size;

    det_init(&d);
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 4), &d, NULL, NULL));
    /* without its end_run record: a run that died, resumable */
    text = tu_read_file(path);
    size = file_size(path);
    ck_assert_int_ge(size, 2);
    text[size - 1] = '\0';
    ck_assert_int_eq(truncate(path, strrchr(text, '\n') + 1 - text), 0);
    free(text);
    size = file_size(path);
    recs = read_journal(path);
    ends_before_cut = count_type(recs, "end") -
                      (strcmp(json_string_value(json_object_get(
                                  json_array_get(recs, json_array_size(recs) - 1), "t")),
                              "end") == 0);
    json_decref(recs);
    ro.resume = 1;
    c.cut_journal = NULL;
    {
        mmarml_controller *ctl = counting(&c, make_controller(CTL_RANDOM, 4));
        c.cut_journal = path;
        c.cut_to = size - 5; /* into its last end record */
        ck_assert_int_eq(run_engine(&ro, ctl, &d, NULL, NULL), MMARML_EINVAL);
    }
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "changed while it was read"));
    ck_assert_uint_eq(c.outcomes, ends_before_cut); /* the replay went as far as the cut */
    remove_journal(path);
}
END_TEST

START_TEST(retries_then_outcome)
{
    char *path = tmp_journal();
    run_opts ro = {path, "0", 0, 2, 0, NULL, 0};
    counting_ctl c;
    tu_recorder rec;
    det_exec d;
    json_t *recs;
    size_t i, starts_by_attempt[4] = {0};
    const json_t *r;

    det_init(&d);
    tu_recorder_init(&rec);
    d.fail_attempts = 2; /* two failures, then ok: within max_retries 2 */
    ck_ok(run_engine(&ro, counting(&c, make_controller(CTL_RANDOM, 3)), &d, &rec, NULL));
    ck_assert_uint_eq(c.outcomes, 3);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(c.statuses[i], MMARML_JOB_OK);
    ck_assert_uint_eq(tu_count_prefix(&rec, "end_job"), 9); /* every attempt is a job */
    recs = read_journal(path);
    json_array_foreach(recs, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "t")), "start") == 0)
            starts_by_attempt[json_integer_value(json_object_get(r, "attempt"))]++;
    }
    ck_assert_uint_eq(starts_by_attempt[1], 3);
    ck_assert_uint_eq(starts_by_attempt[2], 3);
    ck_assert_uint_eq(starts_by_attempt[3], 3);
    json_decref(recs);
    unlink(path);
    /* out of retries: the failure itself reaches the controller */
    ro.max_retries = 1;
    ck_ok(run_engine(&ro, counting(&c, make_controller(CTL_RANDOM, 3)), &d, NULL, NULL));
    ck_assert_uint_eq(c.outcomes, 3);
    ck_assert_int_eq(c.statuses[0], MMARML_JOB_FAILED);
    tu_recorder_free(&rec);
    remove_journal(path);
}
END_TEST

/* A run that died right after a failed job's end asked for a retry (`cut_after_start` 0), or
 * right after that retry started (1): the resume runs the retry once, as a new job in the
 * first case and under its own name in the second, and every job's last attempt reaches
 * the controller. */
START_TEST(a_retry_cut_off_by_a_crash_runs_once_on_resume)
{
    int cut_after_start;

    for (cut_after_start = 0; cut_after_start < 2; cut_after_start++) {
        char *path = tmp_journal(), *text, *at;
        run_opts ro = {path, "0", 0, 2, 0, NULL, 0};
        counting_ctl c;
        det_exec d;
        json_t *recs, *seconds = json_object(), *names;
        const char *key;
        size_t i, keep = 0;
        int found = 0;
        const json_t *r;

        det_init(&d);
        d.fail_attempts = 1; /* every first attempt fails, its retry ends ok */
        ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 3), &d, NULL, NULL));
        recs = read_journal(path);
        /* the records to keep: up to the first retrying end, or the start after it */
        json_array_foreach(recs, i, r)
        {
            const char *t = json_string_value(json_object_get(r, "t"));
            if (!found && strcmp(t, "end") == 0 && json_is_true(json_object_get(r, "retry"))) {
                found = 1;
                keep = i + 1;
                if (!cut_after_start)
                    break;
            } else if (found && strcmp(t, "start") == 0) { /* the retry: first in line */
                keep = i + 1;
                break;
            }
        }
        ck_assert_uint_gt(keep, 0);
        json_decref(recs);
        text = tu_read_file(path);
        for (at = text, i = 0; i < keep; i++)
            at = strchr(at, '\n') + 1; /* a record is a line */
        ck_assert_int_eq(truncate(path, at - text), 0);
        free(text);

        ro.resume = 1;
        ck_ok(run_engine(&ro, counting(&c, make_controller(CTL_RANDOM, 3)), &d, NULL, NULL));
        ck_assert_uint_eq(c.outcomes, 3);
        for (i = 0; i < 3; i++)
            ck_assert_int_eq(c.statuses[i], MMARML_JOB_OK);
        /* one second attempt of each job (by its first): not two of the one cut off */
        recs = read_journal(path);
        json_array_foreach(recs, i, r)
        {
            char first[32];
            if (strcmp(json_string_value(json_object_get(r, "t")), "start") != 0 ||
                json_integer_value(json_object_get(r, "attempt")) != 2)
                continue;
            snprintf(first, sizeof(first), "%lld",
                     (long long)json_integer_value(json_object_get(r, "first")));
            if (json_object_get(seconds, first) == NULL)
                json_object_set_new(seconds, first, json_object());
            json_object_set_new(json_object_get(seconds, first),
                                json_string_value(json_object_get(r, "job")), json_true());
        }
        ck_assert_uint_eq(json_object_size(seconds), 3);
        json_object_foreach(seconds, key, names) ck_assert_uint_eq(json_object_size(names), 1);
        json_decref(seconds);
        json_decref(recs);
        remove_journal(path);
    }
}
END_TEST

START_TEST(outcomes_while_stopping_reach_the_controller)
{
    char *path = tmp_journal();
    run_opts ro = {path, "0:1", 0, 0, 0, NULL, 0};
    counting_ctl c;
    tu_recorder rec;
    det_exec d;

    det_init(&d);
    tu_recorder_init(&rec);
    d.stop_at_job = 3;
    d.delay_us = 20000;
    ck_ok(run_engine(&ro, counting(&c, make_controller(CTL_RANDOM, 50)), &d, &rec, NULL));
    /* every job that ended, also those ending after the stop, was an outcome */
    ck_assert_uint_eq(c.outcomes, tu_count_prefix(&rec, "end_job"));
    ck_assert_uint_ge(c.outcomes, 3);
    tu_recorder_free(&rec);
    remove_journal(path);
}
END_TEST

START_TEST(noted_job_resumed_under_its_name)
{
    char *path = tmp_journal();
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs;
    char want[128];

    det_init(&d);
    run_and_kill(&ro, CTL_RANDOM, 3, &d);
    ro.resume = 1;
    ck_ok(run_engine(&ro, make_controller(CTL_RANDOM, 3), &d, NULL, NULL));
    ck_assert_str_eq(d.resumed_seen, "W1_1_J1:W1_1_J1");
    /* what it reported before the run died came back, with when it was measured */
    snprintf(want, sizeof(want), "1@%.0f 2@%.0f ", d.report_base + 10, d.report_base + 20);
    ck_assert_str_eq(d.resumed_reports, want);
    recs = read_journal(path);
    ck_assert_uint_eq(count_type(recs, "end"), 3);
    ck_assert_uint_eq(count_type(recs, "resume"), 1);
    json_decref(recs);
    remove_journal(path);
}
END_TEST

/* ---- killed at a random moment, resumed: the same run ---- */

static size_t line_of(const char *text, size_t at)
{
    size_t i, n = 1;

    for (i = 0; i < at; i++)
        n += text[i] == '\n';
    return n;
}

/* Has the journal recorded a job's end yet? (Records are compact JSON, `{"t":"end",...`.) */
static int journal_has_end(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "\"t\":\"end\"") != NULL;
}

static size_t ends_before_resume(const json_t *recs)
{
    const json_t *r;
    size_t i, n = 0;

    json_array_foreach(recs, i, r)
    {
        const char *t = json_string_value(json_object_get(r, "t"));
        if (strcmp(t, "resume") == 0)
            return n;
        n += strcmp(t, "end") == 0;
    }
    return 0;
}

START_TEST(killed_and_resumed_runs_match_the_uninterrupted_one)
{
    static const char *const names[CTL_COUNT] = {"Random", "Grid", "Reinforce", "TPE"};
    const uint64_t rounds = 24;
    int kind = _i, k, interrupted = 0;
    char *path = tmp_journal(), *expected, *got;
    run_opts ro = {path, "0", 0, 0, 0, NULL, 0};
    det_exec d;
    json_t *recs;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

    struct timespec t0, t1;
    long whole_us;

    det_init(&d);
    d.delay_us = 2000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_ok(run_engine(&ro, make_controller(kind, rounds), &d, NULL, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* kills land between a fifth and four fifths of an uninterrupted run, however slow
     * this machine (or a sanitizer) makes it: a fixed window missed the runs under load */
    whole_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    recs = read_journal(path);
    expected = outcome_sequence(recs);
    json_decref(recs);
    for (k = 0; k < 5; k++) {
        int parts = 0, reason = 0;
        unlink(path);
        ro.resume = 0;
        /* die at a random moment, possibly several times, then run to the end */
        do {
            pid_t child = fork();
            ck_assert_int_ge(child, 0);
            if (child == 0)
                child_exit(run_engine(&ro, make_controller(kind, rounds), &d, NULL, NULL) !=
                           MMARML_OK);
            if (k % 2 == 0 && parts == 0) {
                /* three of the five runs are cut after their first job ended, however
                 * much slower than the measured run the child is (TSan on a busy machine
                 * cut 4 of 5 runs before any end when every kill was timed blindly) */
                int waited_ms = 0;
                while (!journal_has_end(path) && waited_ms++ < 60000)
                    usleep(1000);
                usleep((useconds_t)(rand_r(&seed) % (whole_us / 2 + 1)));
            } else {
                usleep((useconds_t)(whole_us / 5 + rand_r(&seed) % (3 * whole_us / 5 + 1)));
            }
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
            if (file_size(path) > 0)
                ro.resume = 1;
            parts++;
        } while (parts < 2);
        ck_ok(run_engine(&ro, make_controller(kind, rounds), &d, NULL, &reason));
        recs = read_journal(path);
        interrupted += count_type(recs, "resume") > 0 && ends_before_resume(recs) > 0;
        got = outcome_sequence(recs);
        if (strcmp(got, expected) != 0) {
            size_t at = 0;
            while (got[at] == expected[at])
                at++;
            while (at > 0 && expected[at - 1] != '\n')
                at--;
            /* (Check loses a failure whose message is too long: say only where) */
            ck_abort_msg("%s: the resumed run differs from outcome line %zu on:\n%.200s\n"
                         "got:\n%.200s", names[kind], line_of(expected, at), expected + at,
                         got + at);
        }
        free(got);
        json_decref(recs);
    }
    /* the kills did land inside runs, after some jobs had ended */
    ck_assert_msg(interrupted >= 2, "%s: only %d of 5 runs were cut after a job ended",
                  names[kind], interrupted);
    free(expected);
    remove_journal(path);
}
END_TEST

static Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, records_of_a_run);
    tcase_add_test(tc, torn_tail_ignored_damage_refused);
    tcase_add_test(tc, foreach_gives_each_record_in_order);
    tcase_add_test(tc, a_journal_longer_than_a_read);
    tcase_add_test(tc, whole_last_record_without_an_object_refused);
    tcase_add_test(tc, foreign_missing_existing_and_live);
    tcase_add_test(tc, identity_and_space_checked);
    tcase_add_test(tc, a_journal_that_cannot_be_written_stops_the_run);
    tcase_add_test(tc, max_sys_run_time_counts_every_part);
    tcase_add_test(tc, inconsistent_journal_refused_unchanged);
    tcase_add_test(tc, journal_cut_between_readings_refused);
    tcase_add_test(tc, retries_then_outcome);
    tcase_add_test(tc, a_retry_cut_off_by_a_crash_runs_once_on_resume);
    tcase_add_test(tc, outcomes_while_stopping_reach_the_controller);
    tcase_add_test(tc, noted_job_resumed_under_its_name);
    tcase_add_loop_test(tc, killed_and_resumed_runs_match_the_uninterrupted_one, 0, CTL_COUNT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(journal_suite());
}
