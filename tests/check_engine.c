/* The engine: event order, job naming and dispatch, statuses, stop conditions. */
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "testutil.h"

/* ---- a controller that records its calls into a recorder and follows a script ---- */
typedef struct {
    tu_recorder *rec;
    mmarml_search_space *space;
    int initial;         /* how many recommendations initial_recommendation returns */
    int per_outcome;     /* how many each refine returns ... */
    int total;           /* ... until this many were issued */
    int issued;
    int outcomes_by_status[6];
    pthread_t engine_thread;
    int wrong_thread;
    int in_call, overlapped; /* calls in progress; calls that began during another */
    int fail_set_space;
} script_ctl;

static int sc_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                  void *ud)
{
    script_ctl *c = ud;

    (void)self, (void)ctx;
    tu_record(c->rec, "ctl:set_search_space");
    if (c->fail_set_space)
        return mmarml_error_set(MMARML_EUSER, "space not acceptable");
    c->space = mmarml_search_space_ref(space);
    return MMARML_OK;
}

static int sc_issue(mmarml_recommendation_list *out, script_ctl *c, int n)
{
    const double values[3] = {0.05, 1, 4};
    mmarml_recommendation *r;

    for (; n > 0 && c->issued < c->total; n--) {
        ck_ok(mmarml_recommendation_new(&r, c->issued++, c->space, values, 3));
        ck_ok(mmarml_recommendation_list_append(out, r));
        mmarml_recommendation_unref(r);
    }
    return MMARML_OK;
}

static int sc_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                      mmarml_context *ctx, void *ud)
{
    script_ctl *c = ud;

    (void)self, (void)ctx;
    tu_record(c->rec, "ctl:initial_recommendation");
    c->wrong_thread += !pthread_equal(pthread_self(), c->engine_thread);
    return sc_issue(out, c, c->initial);
}

static int sc_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                     const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    script_ctl *c = ud;

    int rc;

    (void)self, (void)ctx;
    if (__atomic_add_fetch(&c->in_call, 1, __ATOMIC_SEQ_CST) > 1)
        __atomic_add_fetch(&c->overlapped, 1, __ATOMIC_SEQ_CST);
    c->outcomes_by_status[mmarml_outcome_status(o)]++;
    c->wrong_thread += !pthread_equal(pthread_self(), c->engine_thread);
    rc = sc_issue(out, c, c->per_outcome);
    __atomic_sub_fetch(&c->in_call, 1, __ATOMIC_SEQ_CST);
    return rc;
}

static void sc_shutdown(mmarml_controller *self, mmarml_context *ctx, void *ud)
{
    (void)self, (void)ctx;
    tu_record(((script_ctl *)ud)->rec, "ctl:shutdown");
}

static void sc_destroy(void *ud)
{
    script_ctl *c = ud;

    mmarml_search_space_unref(c->space);
    c->space = NULL;
}

static mmarml_controller *script_controller(script_ctl *c, tu_recorder *r, int initial,
                                            int per_outcome, int total)
{
    mmarml_controller_vtable vt = MMARML_CONTROLLER_VTABLE_INIT;
    mmarml_controller *ctl = NULL;

    memset(c, 0, sizeof(*c));
    c->rec = r;
    c->initial = initial;
    c->per_outcome = per_outcome;
    c->total = total;
    c->engine_thread = pthread_self();
    vt.set_search_space = sc_set;
    vt.initial_recommendation = sc_initial;
    vt.refine_recommendation = sc_refine;
    vt.shutdown = sc_shutdown;
    vt.destroy = sc_destroy;
    ck_ok(mmarml_controller_new(&ctl, &vt, c));
    return ctl;
}

/* Run one engine to its end; returns mmarml_engine_run's result and the end reason. */
typedef struct {
    int rc;
    int reason;
    uint64_t exceptions;
    char message[512];
} run_result;

static run_result run(mmarml_controller *ctl, mmarml_executor *exe,
                      const mmarml_engine_options *o, tu_recorder *r, tu_recorder *r2)
{
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    run_result res;

    ck_ok(mmarml_engine_new(&e, ctl, exe, o));
    if (r != NULL) {
        mmarml_handler *h = tu_recording_handler(r);
        ck_ok(mmarml_engine_add_handler(e, h));
        mmarml_handler_unref(h);
    }
    if (r2 != NULL) {
        mmarml_handler *h = tu_recording_handler(r2);
        ck_ok(mmarml_engine_add_handler(e, h));
        mmarml_handler_unref(h);
    }
    ck_ok(mmarml_context_new(&ctx, NULL));
    res.rc = mmarml_engine_run(e, ctx);
    res.reason = mmarml_engine_end_reason(e);
    res.exceptions = mmarml_context_exception_count(ctx);
    snprintf(res.message, sizeof(res.message), "%s", mmarml_error_message());
    ck_assert_int_eq(mmarml_engine_run(e, ctx), MMARML_EMISUSE); /* an engine runs once */
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    return res;
}

/* Every start_job:X is followed by exactly one end_job:X:..., and nothing else ends. */
static void assert_jobs_paired(tu_recorder *r, size_t expected_jobs)
{
    size_t i, starts = 0, ends = 0;
    char want[128];

    for (i = 0; i < r->count; i++) {
        if (strncmp(r->events[i], "start_job:", 10) == 0) {
            size_t j, found = 0;
            starts++;
            snprintf(want, sizeof(want), "end_job:%s:", r->events[i] + 10);
            for (j = i + 1; j < r->count; j++)
                found += strncmp(r->events[j], want, strlen(want)) == 0;
            ck_assert_msg(found == 1, "%s has %zu end_job", r->events[i], found);
        }
        ends += strncmp(r->events[i], "end_job:", 8) == 0;
    }
    ck_assert_uint_eq(starts, expected_jobs);
    ck_assert_uint_eq(ends, expected_jobs);
}

/* _i == 1: engine_thread_calls, every call on the engine thread; 0: job threads may stand
 * in for it. The order of events is the same either way, and calls never overlap. */
START_TEST(event_order)
{
    tu_recorder r, r2;
    script_ctl c;
    tu_executor_state st;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    mmarml_engine_options o = tu_options(NULL);
    run_result res;
    const char *expected[] = {
        "startup", "start_automl", "search_space_available", "ctl:set_search_space",
        "ctl:initial_recommendation", "recommendations_available", "start_job:W1_1_J1",
        "end_job:W1_1_J1:ok", "recommendations_available", "round_ended", "start_job:W1_2_J2",
        "end_job:W1_2_J2:ok", "round_ended", "end_automl", "ctl:shutdown", "shutdown"};
    size_t i;

    tu_recorder_init(&r);
    tu_recorder_init(&r2);
    tu_executor_init(&st, TU_EXEC_SCORE);
    ctl = script_controller(&c, &r, 1, 1, 2);
    exe = tu_executor(&st);
    o.engine_thread_calls = _i;
    res = run(ctl, exe, &o, &r, &r2);
    ck_ok(res.rc);
    ck_assert_int_eq(res.reason, MMARML_END_EXHAUSTED);
    ck_assert_uint_eq(r.count, sizeof(expected) / sizeof(expected[0]));
    for (i = 0; i < r.count; i++)
        ck_assert_str_eq(r.events[i], expected[i]);
    /* the second handler saw the same events, and shutdown in reverse chain order: its
     * shutdown came before the first handler's (recorded after ctl:shutdown in r). */
    ck_assert_uint_eq(r2.count, r.count - 3);
    if (_i)
        ck_assert_int_eq(c.wrong_thread, 0);
    ck_assert_int_eq(c.overlapped, 0);
    ck_assert_int_eq(c.outcomes_by_status[MMARML_JOB_OK], 2);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    ck_assert_int_eq(st.destroyed, 1);
    ck_assert_int_eq(r.destroyed, 1);
    tu_recorder_free(&r);
    tu_recorder_free(&r2);
    tu_executor_free(&st);
}
END_TEST

/* Handlers shut down in reverse chain order: both record into one recorder. */
START_TEST(shutdown_in_reverse_order)
{
    tu_recorder r;
    tu_executor_state st;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_handler *h1, *h2;
    script_ctl c;
    long first, second;

    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_SCORE);
    ctl = script_controller(&c, &r, 0, 0, 0);
    exe = tu_executor(&st);
    ck_ok(mmarml_engine_new(&e, ctl, exe, NULL));
    h1 = tu_recording_handler(&r);
    h2 = tu_recording_handler(&r);
    ck_ok(mmarml_engine_add_handler(e, h1));
    ck_ok(mmarml_engine_add_handler(e, h2));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    /* with both recording into r we see each event twice in a row; the controller and
     * executor shut down before the handlers */
    first = tu_find_event(&r, "shutdown", 0);
    second = tu_find_event(&r, "shutdown", (size_t)first + 1);
    ck_assert_int_eq(second, first + 1);
    ck_assert_int_lt(tu_find_event(&r, "ctl:shutdown", 0), first);
    ck_assert_int_eq(mmarml_engine_add_handler(e, h1), MMARML_EMISUSE);
    mmarml_handler_unref(h1);
    mmarml_handler_unref(h2);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

START_TEST(controller_with_nothing_at_start)
{
    tu_recorder r;
    script_ctl c;
    tu_executor_state st;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    run_result res;

    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_SCORE);
    ctl = script_controller(&c, &r, 0, 1, 10);
    exe = tu_executor(&st);
    res = run(ctl, exe, NULL, &r, NULL);
    ck_ok(res.rc);
    ck_assert_int_eq(res.reason, MMARML_END_EXHAUSTED);
    ck_assert_uint_eq(tu_count_prefix(&r, "start_job"), 0);
    ck_assert_int_ge(tu_find_event(&r, "end_automl", 0), 0);
    ck_assert_int_lt(tu_find_event(&r, "recommendations_available", 0), 0);
    ck_assert_uint_eq(st.executed, 0);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

/* Job names and the dispatch rule: FIFO to the idle worker with the fewest jobs. */
START_TEST(dispatch_and_job_names)
{
    tu_recorder r;
    script_ctl c;
    tu_executor_state st;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    mmarml_engine_options o = tu_options("0:0:1");
    run_result res;

    /* one recommendation at a time, 3 workers: jobs go round the workers */
    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_SCORE);
    ctl = script_controller(&c, &r, 1, 1, 5);
    exe = tu_executor(&st);
    res = run(ctl, exe, &o, &r, NULL);
    ck_ok(res.rc);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W1_1_J1", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W2_1_J2", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W3_1_J3", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W1_2_J4", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W2_2_J5", 0), 0);
    assert_jobs_paired(&r, 5);
    mmarml_controller_unref(ctl);
    tu_recorder_free(&r);

    /* a batch of 6 on 3 workers: the first three start on W1, W2, W3 at once; the rest go
     * to whichever worker is idle first */
    tu_recorder_init(&r);
    ctl = script_controller(&c, &r, 6, 0, 6);
    res = run(ctl, exe, &o, &r, NULL);
    ck_ok(res.rc);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W1_1_J1", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W2_1_J2", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "start_job:W3_1_J3", 0), 0);
    assert_jobs_paired(&r, 6);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

/* Each job context names its worker and that worker's GPUs. */
static int check_gpus(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    char *worker = NULL, *gpus = NULL;
    int *bad = ud;
    const char *want;

    (void)self;
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_WORKER_NAME, &worker));
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_GPUS, &gpus));
    want = strcmp(worker, "W1") == 0 ? "0,1" : "2,3";
    if (strcmp(gpus, want) != 0)
        __atomic_add_fetch(bad, 1, __ATOMIC_RELAXED); /* job threads run at once */
    mmarml_free(worker);
    mmarml_free(gpus);
    return MMARML_OK;
}

START_TEST(workers_and_gpus)
{
    mmarml_engine_options o = tu_options("0,1:2,3");
    mmarml_handler_vtable hv = MMARML_HANDLER_VTABLE_INIT;
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_handler *h = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    json_t *list = NULL;
    int bad = 0;
    int64_t n;

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_test(&ctl, 8, 2, 1));
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    ck_assert_uint_eq(mmarml_engine_worker_count(e), 2);
    ck_ok(mmarml_engine_list_workers(&list, e));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "name")), "W2");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "gpus")), "2,3");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "state")),
                     "idle");
    json_decref(list);
    hv.start_job = check_gpus;
    ck_ok(mmarml_handler_new(&h, &hv, &bad));
    ck_ok(mmarml_engine_add_handler(e, h));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_ok(mmarml_context_get_int(ctx, MMARML_KEY_NUM_WORKERS, &n));
    ck_assert_int_eq(n, 2);
    ck_assert_uint_eq(st.executed, 8);
    ck_assert_int_eq(bad, 0);
    mmarml_handler_unref(h);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
}
END_TEST

static void count_job_logs(void *ud, int level, const char *message)
{
    (void)level;
    if (strncmp(message, "job W", 5) == 0)
        (*(int *)ud)++;
}

/* The engine is silent unless the host installs a log function; then it logs each job. */
START_TEST(engine_logs_through_the_host)
{
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    int lines = 0;

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_dummy(&ctl, 4));
    ck_ok(mmarml_engine_new(&e, ctl, exe, NULL));
    ck_ok(mmarml_context_new(&ctx, NULL));
    mmarml_context_set_log_fn(ctx, count_job_logs, &lines, MMARML_LOG_INFO);
    ck_ok(mmarml_engine_run(e, ctx));
    ck_assert_int_eq(lines, 4);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
}
END_TEST

START_TEST(bad_worker_strings)
{
    const char *bad[] = {"0::1", "a", "0,", ":", "0:1:", ",1", "0;1", "0 1"};
    mmarml_engine_options o;
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_engine *e = NULL;
    size_t i;

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_dummy(&ctl, 1));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = tu_options(bad[i]);
        ck_assert_int_eq(mmarml_engine_new(&e, ctl, exe, &o), MMARML_EINVAL);
        ck_assert_msg(strstr(mmarml_error_message(), bad[i]) != NULL, "%s",
                      mmarml_error_message());
    }
    o = tu_options("0:0:1:1");
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    ck_assert_uint_eq(mmarml_engine_worker_count(e), 4);
    mmarml_engine_unref(e);
    o = tu_options(NULL);
    o.max_job_run_time = -1;
    ck_assert_int_eq(mmarml_engine_new(&e, ctl, exe, &o), MMARML_EINVAL);
    o.max_job_run_time = 0;
    o.version = MMARML_ENGINE_OPTIONS_VERSION + 1;
    ck_assert_int_eq(mmarml_engine_new(&e, ctl, exe, &o), MMARML_EVERSION);
    /* a caller compiled against version 1 (no journal members) still works */
    o = tu_options("0:1");
    o.version = 1;
    o.struct_size = (uint32_t)offsetof(mmarml_engine_options, journal);
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    ck_assert_uint_eq(mmarml_engine_worker_count(e), 2);
    mmarml_engine_unref(e);
    o = tu_options(NULL);
    o.resume = 1;
    ck_assert_int_eq(mmarml_engine_new(&e, ctl, exe, &o), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "resume needs a journal"));
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
}
END_TEST

/* Statuses reach end_job and the controller: failed, error (with an exception), no_score. */
static int mode_by_id(const mmarml_recommendation *rec, mmarml_context *ctx)
{
    (void)ctx;
    switch (mmarml_recommendation_id(rec) % 4) {
    case 0:
        return TU_EXEC_SCORE;
    case 1:
        return TU_EXEC_FAIL;
    case 2:
        return TU_EXEC_ERROR;
    default:
        return TU_EXEC_NO_SCORE;
    }
}

START_TEST(job_statuses)
{
    tu_recorder r;
    script_ctl c;
    tu_executor_state st;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    mmarml_engine_options o = tu_options("0:1");
    run_result res;

    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_SCORE);
    st.mode_for = mode_by_id;
    ctl = script_controller(&c, &r, 2, 1, 8);
    exe = tu_executor(&st);
    res = run(ctl, exe, &o, &r, NULL);
    ck_ok(res.rc);
    assert_jobs_paired(&r, 8);
    ck_assert_int_eq(c.outcomes_by_status[MMARML_JOB_OK], 2);
    ck_assert_int_eq(c.outcomes_by_status[MMARML_JOB_FAILED], 2);
    ck_assert_int_eq(c.outcomes_by_status[MMARML_JOB_ERROR], 2);
    ck_assert_int_eq(c.outcomes_by_status[MMARML_JOB_NO_SCORE], 2);
    ck_assert_uint_eq(res.exceptions, 2); /* each executor error is reported */
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

START_TEST(max_jobs)
{
    tu_recorder r;
    tu_executor_state st;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe;
    mmarml_engine_options o = tu_options("0:1");
    run_result res;

    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_random(&ctl, 100, 3));
    o.max_jobs = 5;
    res = run(ctl, exe, &o, &r, NULL);
    ck_ok(res.rc);
    ck_assert_int_eq(res.reason, MMARML_END_MAX_JOBS);
    assert_jobs_paired(&r, 5);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

START_TEST(max_job_run_time_aborts_with_timeout)
{
    tu_recorder r;
    tu_executor_state st;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe;
    mmarml_engine_options o = tu_options("0:1");
    run_result res;

    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_BLOCK);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_test(&ctl, 3, 3, 0));
    o.max_job_run_time = 0.1;
    res = run(ctl, exe, &o, &r, NULL);
    ck_ok(res.rc);
    ck_assert_int_eq(res.reason, MMARML_END_EXHAUSTED);
    assert_jobs_paired(&r, 3);
    ck_assert_uint_eq(tu_count_substr(&r, ":timeout"), 3);
    ck_assert_uint_ge(st.aborts, 3);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

START_TEST(max_sys_run_time_aborts_running_jobs)
{
    tu_recorder r;
    tu_executor_state st;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe;
    mmarml_engine_options o = tu_options("0:1");
    run_result res;

    tu_recorder_init(&r);
    tu_executor_init(&st, TU_EXEC_BLOCK);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_random(&ctl, 100, 3));
    o.max_sys_run_time = 0.2;
    res = run(ctl, exe, &o, &r, NULL);
    ck_ok(res.rc);
    ck_assert_int_eq(res.reason, MMARML_END_MAX_SYS_RUN_TIME);
    assert_jobs_paired(&r, 2);
    ck_assert_uint_eq(tu_count_prefix(&r, "end_job:W1_1_J1:aborted"), 1);
    ck_assert_uint_eq(tu_count_prefix(&r, "end_job:W2_1_J2:aborted"), 1);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

/* A handler asks to stop at the third end_job: the run stops, every started job ends. */
static int stop_on_third(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    int *ends = ud;

    (void)self;
    if (__atomic_add_fetch(ends, 1, __ATOMIC_SEQ_CST) == 3)
        mmarml_context_stop_work(ctx, "test", "enough");
    return MMARML_OK;
}

START_TEST(stop_work_from_a_handler)
{
    mmarml_handler_vtable hv = MMARML_HANDLER_VTABLE_INIT;
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_handler *h = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    char *msg;
    int ends = 0;

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_dummy(&ctl, 1000));
    ck_ok(mmarml_engine_new(&e, ctl, exe, NULL));
    hv.end_job = stop_on_third;
    ck_ok(mmarml_handler_new(&h, &hv, &ends));
    ck_ok(mmarml_engine_add_handler(e, h));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_assert_int_eq(mmarml_engine_end_reason(e), MMARML_END_STOP_ASKED);
    ck_assert_int_eq(ends, 3);
    ck_ok(mmarml_context_get_stop_message(ctx, &msg));
    ck_assert_str_eq(msg, "enough");
    mmarml_free(msg);
    mmarml_handler_unref(h);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
}
END_TEST

/* A failing startup or start_automl stops the run before any job; shutdown still runs. */
START_TEST(failing_start_automl)
{
    tu_recorder r;
    script_ctl c;
    tu_executor_state st;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    run_result res;

    tu_recorder_init(&r);
    r.fail_event = 2; /* start_automl */
    tu_executor_init(&st, TU_EXEC_SCORE);
    ctl = script_controller(&c, &r, 1, 1, 5);
    exe = tu_executor(&st);
    res = run(ctl, exe, NULL, &r, NULL);
    ck_assert_int_eq(res.rc, MMARML_EUSER);
    ck_assert_ptr_nonnull(strstr(res.message, "start_automl"));
    ck_assert_int_lt(tu_find_event(&r, "ctl:set_search_space", 0), 0);
    ck_assert_int_lt(tu_find_event(&r, "end_automl", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "ctl:shutdown", 0), 0);
    ck_assert_int_ge(tu_find_event(&r, "shutdown", 0), 0);
    ck_assert_uint_eq(st.executed, 0);
    mmarml_controller_unref(ctl);
    tu_recorder_free(&r);

    /* a controller refusing the space: the run never starts a job either */
    tu_recorder_init(&r);
    ctl = script_controller(&c, &r, 1, 1, 5);
    c.fail_set_space = 1;
    res = run(ctl, exe, NULL, &r, NULL);
    ck_assert_int_eq(res.rc, MMARML_EUSER);
    ck_assert_ptr_nonnull(strstr(res.message, "space not acceptable"));
    ck_assert_int_ge(tu_find_event(&r, "end_automl", 0), 0);
    ck_assert_uint_eq(st.executed, 0);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

/* Errors of other events are reported as exceptions and the run goes on. */
START_TEST(failing_end_job_does_not_stop_the_run)
{
    tu_recorder r;
    tu_executor_state st;
    mmarml_controller *ctl = NULL;
    mmarml_executor *exe;
    run_result res;

    tu_recorder_init(&r);
    r.fail_event = 7; /* end_job */
    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_test(&ctl, 4, 2, 0));
    res = run(ctl, exe, NULL, &r, NULL);
    ck_ok(res.rc);
    assert_jobs_paired(&r, 4);
    ck_assert_uint_eq(res.exceptions, 4);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_executor_free(&st);
}
END_TEST

/* start_job and end_job see, in `_recommendations`, the list handlers were last shown when
 * the job began, as in Clara, whose job context inherits its main context's (Clara's own
 * MyHandler reads it in start_job). One worker: J1 begins after [0, 1] were shown, J2 and
 * J3 after J1's refine showed [2]; J2's refine adds nothing, so J3 sees [2] too. The jobs
 * share the engine's list (a run that shows 30,000 recommendations at once must not copy
 * them per job), so it is read-only: start_job's append is refused and its clear changes
 * nothing, for this job or the next. */
static int shown_event(mmarml_handler *self, const char *event, mmarml_context *ctx, void *ud)
{
    mmarml_recommendation_list *list = NULL;
    char *job = NULL, text[256];
    size_t i, used;

    (void)self;
    if (strcmp(event, MMARML_EVENT_START_JOB) != 0 && strcmp(event, MMARML_EVENT_END_JOB) != 0)
        return MMARML_OK;
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &job);
    mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATIONS, (void **)&list);
    used = (size_t)snprintf(text, sizeof(text), "%s:%s:", event, job != NULL ? job : "?");
    if (strcmp(event, MMARML_EVENT_START_JOB) == 0 && list != NULL) {
        int rc = mmarml_recommendation_list_append(list, mmarml_recommendation_list_get(list, 0));
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s:",
                                 rc == MMARML_EINVAL ? "read-only" : "changed");
        mmarml_recommendation_list_clear(list);
    }
    for (i = 0; list != NULL && i < mmarml_recommendation_list_count(list); i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%lld,",
                                 (long long)mmarml_recommendation_id(
                                     mmarml_recommendation_list_get(list, i)));
    mmarml_free(job);
    tu_record(ud, text);
    return MMARML_OK;
}

START_TEST(job_context_holds_the_last_recommendations_shown)
{
    const char *expected[] = {"start_job:W1_1_J1:read-only:0,1,", "end_job:W1_1_J1:0,1,",
                              "start_job:W1_2_J2:read-only:2,", "end_job:W1_2_J2:2,",
                              "start_job:W1_3_J3:read-only:2,", "end_job:W1_3_J3:2,"};
    mmarml_handler_vtable vt;
    mmarml_handler *h = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_controller *ctl;
    mmarml_executor *exe;
    tu_executor_state st;
    tu_recorder r, calls;
    script_ctl c;
    size_t i;

    tu_recorder_init(&r);
    tu_recorder_init(&calls);
    tu_executor_init(&st, TU_EXEC_SCORE);
    ctl = script_controller(&c, &calls, 2, 1, 3);
    exe = tu_executor(&st);
    ck_ok(mmarml_handler_vtable_init(&vt, MMARML_HANDLER_VTABLE_VERSION));
    vt.handle_event = shown_event;
    ck_ok(mmarml_handler_new(&h, &vt, &r));
    ck_ok(mmarml_engine_new(&e, ctl, exe, NULL));
    ck_ok(mmarml_engine_add_handler(e, h));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_assert_uint_eq(r.count, sizeof(expected) / sizeof(expected[0]));
    for (i = 0; i < r.count; i++)
        ck_assert_str_eq(r.events[i], expected[i]);
    /* the main context holds the list only during recommendations_available */
    ck_assert_int_eq(mmarml_context_get_type(ctx, MMARML_KEY_RECOMMENDATIONS),
                     MMARML_PROP_NONE);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_handler_unref(h);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&r);
    tu_recorder_free(&calls);
    tu_executor_free(&st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("core");
    TCase *te = tcase_create("errors");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, event_order, 0, 2);
    tcase_add_test(tc, shutdown_in_reverse_order);
    tcase_add_test(tc, controller_with_nothing_at_start);
    tcase_add_test(tc, dispatch_and_job_names);
    tcase_add_test(tc, workers_and_gpus);
    tcase_add_test(tc, job_statuses);
    tcase_add_test(tc, max_jobs);
    tcase_add_test(tc, max_job_run_time_aborts_with_timeout);
    tcase_add_test(tc, max_sys_run_time_aborts_running_jobs);
    tcase_add_test(tc, stop_work_from_a_handler);
    tcase_add_test(tc, engine_logs_through_the_host);
    tcase_add_test(tc, job_context_holds_the_last_recommendations_shown);
    tcase_add_test(te, bad_worker_strings);
    tcase_add_test(te, failing_start_automl);
    tcase_add_test(te, failing_end_job_does_not_stop_the_run);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, te);
    return tu_run(s);
}
