/* Admin operations during a live run: list/show, suspend/resume/abort a worker, stop. */
#include <string.h>
#include <unistd.h>

#include "testutil.h"

typedef struct {
    mmarml_engine *engine;
    mmarml_context *ctx;
    int rc;
} runner;

static void *run_thread(void *arg)
{
    runner *r = arg;

    r->rc = mmarml_engine_run(r->engine, r->ctx);
    return NULL;
}

static const char *worker_state(mmarml_engine *e, const char *name, char *buf, size_t n)
{
    json_t *w = NULL;

    ck_ok(mmarml_engine_show_worker(&w, e, name));
    snprintf(buf, n, "%s", json_string_value(json_object_get(w, "state")));
    json_decref(w);
    return buf;
}

START_TEST(suspend_resume_abort_stop)
{
    tu_recorder rec;
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_handler *h;
    mmarml_engine_options o = tu_options("0:1");
    runner r = {0};
    pthread_t t;
    json_t *list = NULL, *status = NULL;
    char buf[32];

    tu_recorder_init(&rec);
    tu_executor_init(&st, TU_EXEC_BLOCK);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_random(&ctl, 50, 1));
    ck_ok(mmarml_engine_new(&r.engine, ctl, exe, &o));
    h = tu_recording_handler(&rec);
    ck_ok(mmarml_engine_add_handler(r.engine, h));
    ck_ok(mmarml_context_new(&r.ctx, NULL));
    pthread_create(&t, NULL, run_thread, &r);

    /* both workers are busy with blocked jobs */
    ck_assert(tu_wait_executing(&st, 2));
    ck_ok(mmarml_engine_list_workers(&list, r.engine));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "state")),
                     "busy");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "current_job")),
                     "W1_1_J1");
    json_decref(list);

    /* suspend W2, abort its job: it ends aborted and W2 takes nothing new */
    ck_ok(mmarml_engine_suspend_worker(r.engine, "W2"));
    ck_assert_str_eq(worker_state(r.engine, "W2", buf, sizeof(buf)), "busy,suspended");
    ck_ok(mmarml_engine_abort_worker(r.engine, "W2"));
    while (strcmp(worker_state(r.engine, "W2", buf, sizeof(buf)), "suspended") != 0)
        usleep(1000);
    ck_assert_int_eq(mmarml_engine_abort_worker(r.engine, "W2"), MMARML_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "runs no job"));
    usleep(50000);
    ck_assert_str_eq(worker_state(r.engine, "W2", buf, sizeof(buf)), "suspended");
    ck_assert_uint_eq(st.executing, 1);

    /* resume: W2 gets the next pending job */
    ck_ok(mmarml_engine_resume_worker(r.engine, "W2"));
    ck_assert(tu_wait_executing(&st, 2));
    ck_assert_str_eq(worker_state(r.engine, "W2", buf, sizeof(buf)), "busy");

    ck_assert_int_eq(mmarml_engine_suspend_worker(r.engine, "W9"), MMARML_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "W9"));
    ck_ok(mmarml_engine_status(&status, r.engine));
    ck_assert_str_eq(json_string_value(json_object_get(status, "state")), "running");
    ck_assert_int_eq(json_integer_value(json_object_get(status, "running")), 2);
    json_decref(status);

    /* stop: running jobs are aborted and still get end_job */
    ck_ok(mmarml_engine_stop(r.engine, "admin says stop"));
    pthread_join(t, NULL);
    ck_ok(r.rc);
    ck_assert_int_eq(mmarml_engine_end_reason(r.engine), MMARML_END_STOP_ASKED);
    ck_assert_uint_eq(tu_count_prefix(&rec, "start_job"), 3);
    ck_assert_uint_eq(tu_count_prefix(&rec, "end_job"), 3);
    ck_assert_uint_eq(tu_count_substr(&rec, ":aborted"), 3);
    ck_assert_int_ge(tu_find_event(&rec, "end_job:W2_1_J2:aborted", 0), 0);
    ck_assert_int_ge(tu_find_event(&rec, "start_job:W2_2_J3", 0), 0);
    ck_assert_int_eq(mmarml_context_stop_work_asked(r.ctx), 1);

    mmarml_handler_unref(h);
    mmarml_context_unref(r.ctx);
    mmarml_engine_unref(r.engine);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_recorder_free(&rec);
    tu_executor_free(&st);
}
END_TEST

START_TEST(admin_before_and_after_a_run)
{
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_engine *e = NULL;
    json_t *status = NULL, *w = NULL;

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_dummy(&ctl, 2));
    ck_ok(mmarml_engine_new(&e, ctl, exe, NULL));
    ck_ok(mmarml_engine_status(&status, e));
    ck_assert_str_eq(json_string_value(json_object_get(status, "state")), "new");
    json_decref(status);
    ck_ok(mmarml_engine_show_worker(&w, e, "W1"));
    ck_assert_str_eq(json_string_value(json_object_get(w, "gpus")), "");
    ck_assert(json_is_null(json_object_get(w, "current_job")));
    json_decref(w);
    ck_assert_int_eq(mmarml_engine_show_worker(&w, e, "W2"), MMARML_ENOTFOUND);
    ck_assert_int_eq(mmarml_engine_abort_worker(e, "W1"), MMARML_ENOTFOUND);
    /* a suspended-only pool gets no job: resume before running */
    ck_ok(mmarml_engine_suspend_worker(e, "W1"));
    ck_ok(mmarml_engine_resume_worker(e, "W1"));
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_admin");
    TCase *tc = tcase_create("threads");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, suspend_resume_abort_stop);
    tcase_add_test(tc, admin_before_and_after_a_run);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
