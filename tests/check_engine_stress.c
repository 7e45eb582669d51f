/* Many jobs on many workers: every job runs once, start_job/end_job pair up, and (under
 * ThreadSanitizer, see .ci/run) no data race. MMARML_STRESS_JOBS overrides the job count
 * (valgrind runs use fewer). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    uint64_t starts, ends, ok;
    pthread_mutex_t lock;
    uint64_t per_worker[8];
} counters;

static int on_start(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    counters *c = ud;

    (void)self, (void)ctx;
    __atomic_add_fetch(&c->starts, 1, __ATOMIC_RELAXED);
    return MMARML_OK;
}

static int on_end(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    counters *c = ud;
    char *worker = NULL, *status = NULL;

    (void)self;
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_WORKER_NAME, &worker));
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status));
    pthread_mutex_lock(&c->lock);
    c->ends++;
    c->ok += strcmp(status, "ok") == 0;
    c->per_worker[atoi(worker + 1) - 1]++;
    pthread_mutex_unlock(&c->lock);
    mmarml_free(worker);
    mmarml_free(status);
    return MMARML_OK;
}

START_TEST(eight_workers_many_jobs)
{
    const char *env = getenv("MMARML_STRESS_JOBS");
    uint64_t jobs = env != NULL ? strtoull(env, NULL, 10) : 10000, sum = 0;
    mmarml_engine_options o = tu_options("0:0:0:0:1:1:1:1");
    mmarml_handler_vtable hv = MMARML_HANDLER_VTABLE_INIT;
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *ctl = NULL;
    mmarml_handler *h = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    counters c;
    int i;

    memset(&c, 0, sizeof(c));
    pthread_mutex_init(&c.lock, NULL);
    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_random(&ctl, jobs, 42));
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    hv.start_job = on_start;
    hv.end_job = on_end;
    ck_ok(mmarml_handler_new(&h, &hv, &c));
    ck_ok(mmarml_engine_add_handler(e, h));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_assert_uint_eq(st.executed, jobs);
    ck_assert_uint_eq(c.starts, jobs);
    ck_assert_uint_eq(c.ends, jobs);
    ck_assert_uint_eq(c.ok, jobs);
    for (i = 0; i < 8; i++)
        sum += c.per_worker[i];
    ck_assert_uint_eq(sum, jobs);
    ck_assert_uint_le(st.max_executing, 8);
    mmarml_handler_unref(h);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
    pthread_mutex_destroy(&c.lock);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_stress");
    TCase *tc = tcase_create("threads");

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, eight_workers_many_jobs);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
