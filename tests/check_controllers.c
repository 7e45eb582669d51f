/* The bundled controllers, driven by hand through the public calls. */
#include <math.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    mmarml_controller *ctl;
    mmarml_context *ctx;
    mmarml_search_space *space;
    mmarml_recommendation_list *list;
} harness;

static void harness_init(harness *h, mmarml_controller *ctl, int64_t workers)
{
    h->ctl = ctl;
    ck_ok(mmarml_context_new(&h->ctx, NULL));
    ck_ok(mmarml_context_set_int(h->ctx, MMARML_KEY_NUM_WORKERS, workers));
    h->space = tu_space();
    ck_ok(mmarml_search_space_add_float(h->space, "lr.float.$1:wd", "lr", 1e-6, 1e-1,
                                        MMARML_PARAM_F_LOG));
    ck_ok(mmarml_controller_set_search_space(ctl, h->space, h->ctx));
    ck_ok(mmarml_recommendation_list_new(&h->list));
}

static void harness_free(harness *h)
{
    mmarml_recommendation_list_free(h->list);
    mmarml_search_space_unref(h->space);
    mmarml_context_unref(h->ctx);
    mmarml_controller_unref(h->ctl);
}

/* Feed an outcome for recommendation `rec` and return how many new ones came back. */
static size_t feed(harness *h, mmarml_recommendation *rec, int status, double score)
{
    mmarml_outcome *o = NULL;

    mmarml_recommendation_list_clear(h->list);
    ck_ok(mmarml_outcome_new(&o, rec, status, score, "J"));
    ck_ok(mmarml_controller_refine_recommendation(h->list, h->ctl, o, h->ctx));
    mmarml_outcome_unref(o);
    return mmarml_recommendation_list_count(h->list);
}

START_TEST(dummy_is_the_midpoint_one_at_a_time)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    const double *v;
    harness h;
    int i;

    ck_ok(mmarml_controller_new_dummy(&c, 3));
    harness_init(&h, c, 4);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(h.list), 1);
    r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, 0));
    v = mmarml_recommendation_values(r);
    ck_assert_double_eq_tol(v[0], 0.0505, 1e-12); /* float midpoint */
    ck_assert_double_eq(v[1], 0);                 /* enum: first choice */
    ck_assert_double_eq(v[2], 5);                 /* int midpoint of 1..8, rounded */
    ck_assert_double_eq_tol(v[3], sqrt(1e-6 * 1e-1), 1e-12); /* log: geometric */
    for (i = 0; i < 2; i++)
        ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 0.5), 1);
    ck_assert_int_eq(mmarml_context_stop_work_asked(h.ctx), 0);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 0.5), 0); /* third outcome: done */
    ck_assert_int_eq(mmarml_context_stop_work_asked(h.ctx), 1);
    mmarml_recommendation_unref(r);
    harness_free(&h);
}
END_TEST

START_TEST(test_controller_batches)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    harness h;

    ck_ok(mmarml_controller_new_test(&c, 5, 2, 1));
    harness_init(&h, c, 1);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(h.list), 2);
    r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, 0));
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0); /* one of the batch is still out */
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_FAILED, 0), 2);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 1); /* the last one of five */
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0);
    mmarml_recommendation_unref(r);
    harness_free(&h);
    ck_assert_int_eq(mmarml_controller_new_test(&c, 5, 0, 1), MMARML_EINVAL);
}
END_TEST

/* Collect `n` recommendations' values from a random controller with `seed`. */
static void random_values(uint64_t seed, double *out, size_t n)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    size_t i, k, got = 0;
    harness h;

    ck_ok(mmarml_controller_new_random(&c, n, seed));
    harness_init(&h, c, 2);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    while (got < n) {
        size_t count = mmarml_recommendation_list_count(h.list);
        ck_assert_uint_gt(count, 0);
        r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, count - 1));
        for (i = 0; i < count && got < n; i++) {
            const double *v =
                mmarml_recommendation_values(mmarml_recommendation_list_get(h.list, i));
            for (k = 0; k < 4; k++)
                out[got * 4 + k] = v[k];
            got++;
        }
        if (got < n)
            feed(&h, r, MMARML_JOB_OK, 0.1);
        mmarml_recommendation_unref(r);
    }
    harness_free(&h);
}

START_TEST(random_is_seeded_and_in_range)
{
    enum { N = 500 };
    static double a[N * 4], b[N * 4], c[N * 4];
    int seen_choice[3] = {0}, seen_int[8] = {0};
    size_t i;

    random_values(7, a, N);
    random_values(7, b, N);
    random_values(8, c, N);
    ck_assert(memcmp(a, b, sizeof(a)) == 0);
    ck_assert(memcmp(a, c, sizeof(a)) != 0);
    for (i = 0; i < N; i++) {
        const double *v = &a[i * 4];
        ck_assert(v[0] >= 0.001 && v[0] <= 0.1);
        ck_assert(v[1] == floor(v[1]) && v[1] >= 0 && v[1] <= 2);
        ck_assert(v[2] == floor(v[2]) && v[2] >= 1 && v[2] <= 8);
        ck_assert(v[3] >= 1e-6 && v[3] <= 1e-1);
        seen_choice[(int)v[1]]++;
        seen_int[(int)v[2] - 1]++;
    }
    for (i = 0; i < 3; i++)
        ck_assert_int_gt(seen_choice[i], N / 6);
    for (i = 0; i < 8; i++)
        ck_assert_int_gt(seen_int[i], N / 32);
}
END_TEST

START_TEST(random_keeps_every_worker_busy)
{
    mmarml_controller *c = NULL;
    mmarml_recommendation *r;
    harness h;
    char *msg;
    int i;

    ck_ok(mmarml_controller_new_random(&c, 6, 0));
    harness_init(&h, c, 4);
    ck_ok(mmarml_controller_initial_recommendation(h.list, c, h.ctx));
    ck_assert_uint_eq(mmarml_recommendation_list_count(h.list), 4); /* one per worker */
    r = mmarml_recommendation_ref(mmarml_recommendation_list_get(h.list, 0));
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 1);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_NO_SCORE, 0), 1);
    for (i = 0; i < 3; i++) /* six issued: no more */
        ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0);
    ck_assert_int_eq(mmarml_context_stop_work_asked(h.ctx), 0);
    ck_assert_uint_eq(feed(&h, r, MMARML_JOB_OK, 1), 0); /* sixth outcome */
    ck_ok(mmarml_context_get_stop_message(h.ctx, &msg));
    ck_assert_str_eq(msg, "Number of runs reached 6. Requesting stop.");
    mmarml_free(msg);
    mmarml_recommendation_unref(r);
    harness_free(&h);
}
END_TEST

/* Tiny spaces: an enum of two with max_rounds 2 runs two jobs and ends cleanly. */
START_TEST(controllers_through_the_engine)
{
    tu_executor_state st;
    mmarml_executor *exe;
    mmarml_controller *c = NULL;
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine_options o = tu_options("0:1");

    tu_executor_init(&st, TU_EXEC_SCORE);
    exe = tu_executor(&st);
    ck_ok(mmarml_controller_new_random(&c, 7, 5));
    ck_ok(mmarml_engine_new(&e, c, exe, &o));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_assert_uint_eq(st.executed, 7);
    ck_assert_int_eq(mmarml_engine_end_reason(e), MMARML_END_STOP_ASKED);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(e);
    mmarml_controller_unref(c);
    mmarml_executor_unref(exe);
    tu_executor_free(&st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("controllers");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, dummy_is_the_midpoint_one_at_a_time);
    tcase_add_test(tc, test_controller_batches);
    tcase_add_test(tc, random_is_seeded_and_in_range);
    tcase_add_test(tc, random_keeps_every_worker_busy);
    tcase_add_test(tc, controllers_through_the_engine);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
