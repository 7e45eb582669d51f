/* What the API promises a component writer, held against components that break it: each
 * case is a defect found by writing controllers, handlers and executors against the
 * installed header (issue 12), with a test that failed before its fix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- a controller whose behaviour each test picks ---- */
enum { CTL_OK, CTL_POSITIVE, CTL_OTHER_SPACE };

typedef struct {
    int mode;
    int rounds, made;
    mmarml_search_space *space;
} ctl_state;

static int ctl_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                   void *ud)
{
    (void)self, (void)ctx;
    ((ctl_state *)ud)->space = mmarml_search_space_ref(space);
    return MMARML_OK;
}

static int one_rec(mmarml_recommendation_list *out, ctl_state *c, double first)
{
    mmarml_search_space *space = c->space;
    mmarml_recommendation *rec = NULL;
    double v[3] = {first, 0, 1};
    int rc;

    if (c->mode == CTL_OTHER_SPACE) { /* a space of one param: executors read 3 values */
        ck_ok(mmarml_search_space_new(&space, "other"));
        ck_ok(mmarml_search_space_add_float(space, "x.float.$0:x", "x", 0, 1, 0));
    }
    rc = mmarml_recommendation_new(&rec, c->made++, space, v,
                                   mmarml_search_space_count(space));
    if (rc == MMARML_OK)
        rc = mmarml_recommendation_list_append(out, rec);
    mmarml_recommendation_unref(rec);
    if (space != c->space)
        mmarml_search_space_unref(space);
    return rc;
}

static int ctl_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                       mmarml_context *ctx, void *ud)
{
    ctl_state *c = ud;

    (void)self, (void)ctx;
    if (c->mode == CTL_POSITIVE)
        return 7;
    return one_rec(out, c, 0.01);
}

static int ctl_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                      const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    ctl_state *c = ud;

    (void)self, (void)o, (void)ctx;
    return c->made < c->rounds ? one_rec(out, c, 0.01 * (c->made + 1)) : MMARML_OK;
}

static void ctl_destroy(void *ud)
{
    mmarml_search_space_unref(((ctl_state *)ud)->space);
}

static mmarml_controller *controller(ctl_state *c, int mode, int rounds)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = ctl_set,
        .initial_recommendation = ctl_initial,
        .refine_recommendation = ctl_refine,
        .destroy = ctl_destroy,
    };
    mmarml_controller *ctl = NULL;

    memset(c, 0, sizeof(*c));
    c->mode = mode;
    c->rounds = rounds;
    ck_ok(mmarml_controller_new(&ctl, &vt, c));
    return ctl;
}

/* ---- an executor whose behaviour each test picks ---- */
enum { EXE_SCORE, EXE_SILENT_FAILURE, EXE_NO_STATUS };

static int exe_space(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                     void *ud)
{
    (void)self, (void)ctx, (void)ud;
    *out = tu_space();
    return MMARML_OK;
}

/* score = the first value; reads every value by position, as examples/custom_executor.c */
static int exe_execute(int *status, double *score, mmarml_executor *self,
                       const mmarml_recommendation *rec, mmarml_context *job, void *ud)
{
    const double *v = mmarml_recommendation_values(rec);
    int mode = *(int *)ud;

    (void)self, (void)job;
    if (mode == EXE_SILENT_FAILURE)
        return MMARML_ERROR; /* and no mmarml_error_set */
    if (mode == EXE_NO_STATUS)
        return MMARML_OK; /* and no *status */
    *score = v[0] + v[1] * 0 + v[2] * 0;
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

static mmarml_executor *executor(int *mode)
{
    static const mmarml_executor_vtable vt = {
        .struct_size = sizeof(mmarml_executor_vtable),
        .version = MMARML_EXECUTOR_VTABLE_VERSION,
        .determine_search_space = exe_space,
        .execute = exe_execute,
    };
    mmarml_executor *exe = NULL;

    ck_ok(mmarml_executor_new(&exe, &vt, mode));
    return exe;
}

/* ---- a handler that records round_ended and may clear the recommendations ---- */
typedef struct {
    int clear_recs;
    char rounds[512];
} hnd_state;

static int hnd_recs(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    void *list = NULL;

    (void)self;
    if (((hnd_state *)ud)->clear_recs &&
        mmarml_context_get_pointer(ctx, MMARML_KEY_RECOMMENDATIONS, &list) == MMARML_OK)
        mmarml_recommendation_list_clear(list);
    return MMARML_OK;
}

static int hnd_round(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    hnd_state *h = ud;
    char *name = NULL, *status = NULL, line[128];
    double score = NAN;

    (void)self;
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &name);
    mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    mmarml_context_get_double(ctx, MMARML_KEY_SCORE, &score);
    snprintf(line, sizeof(line), "%s:%s:%g;", name ? name : "-", status ? status : "-", score);
    strncat(h->rounds, line, sizeof(h->rounds) - strlen(h->rounds) - 1);
    mmarml_free(name);
    mmarml_free(status);
    return MMARML_OK;
}

static mmarml_handler *handler(hnd_state *h)
{
    static const mmarml_handler_vtable vt = {
        .struct_size = sizeof(mmarml_handler_vtable),
        .version = MMARML_HANDLER_VTABLE_VERSION,
        .recommendations_available = hnd_recs,
        .round_ended = hnd_round,
    };
    mmarml_handler *hnd = NULL;

    ck_ok(mmarml_handler_new(&hnd, &vt, h));
    return hnd;
}

typedef struct {
    int rc;
    char message[512];
    char last_exception[512];
    int reason;
    double best;
    char best_job[32];
} run_result;

static run_result run(mmarml_controller *ctl, mmarml_executor *exe, mmarml_handler *hnd)
{
    mmarml_engine_options o = tu_options(NULL);
    mmarml_engine *e = NULL;
    mmarml_context *ctx = NULL;
    mmarml_outcome *best = NULL;
    run_result r;
    char *last = NULL;

    memset(&r, 0, sizeof(r));
    r.best = NAN;
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_engine_new(&e, ctl, exe, &o));
    if (hnd != NULL)
        ck_ok(mmarml_engine_add_handler(e, hnd));
    ck_assert_int_eq(mmarml_engine_best(&best, e), MMARML_ENOTFOUND);
    r.rc = mmarml_engine_run(e, ctx);
    snprintf(r.message, sizeof(r.message), "%s", mmarml_error_message());
    r.reason = mmarml_engine_end_reason(e);
    if (mmarml_context_get_last_exception(ctx, &last) == MMARML_OK)
        snprintf(r.last_exception, sizeof(r.last_exception), "%s", last);
    mmarml_free(last);
    if (mmarml_engine_best(&best, e) == MMARML_OK) {
        ck_ok(mmarml_outcome_score(best, &r.best));
        snprintf(r.best_job, sizeof(r.best_job), "%s", mmarml_outcome_job_name(best));
        mmarml_outcome_unref(best);
    }
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    return r;
}

/* round_ended named no job: a handler could not tell which round ended. */
START_TEST(round_ended_carries_the_job)
{
    ctl_state c;
    hnd_state h;
    int mode = EXE_SCORE;
    mmarml_controller *ctl = controller(&c, CTL_OK, 2);
    mmarml_executor *exe = executor(&mode);
    mmarml_handler *hnd;
    run_result r;

    memset(&h, 0, sizeof(h));
    hnd = handler(&h);
    r = run(ctl, exe, hnd);
    ck_ok(r.rc);
    ck_assert_str_eq(h.rounds, "W1_1_J1:ok:0.01;W1_2_J2:ok:0.02;");
    /* and the best outcome so far is the engine's to tell */
    ck_assert_double_eq(r.best, 0.02);
    ck_assert_str_eq(r.best_job, "W1_2_J2");
    mmarml_handler_unref(hnd);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
}
END_TEST

/* initial_recommendation returning 7 made run return OK after 0 jobs ("not_ended"). */
START_TEST(a_positive_code_is_refused)
{
    ctl_state c;
    int mode = EXE_SCORE;
    mmarml_controller *ctl = controller(&c, CTL_POSITIVE, 1);
    mmarml_executor *exe = executor(&mode);
    run_result r = run(ctl, exe, NULL);

    ck_assert_int_eq(r.rc, MMARML_EUSER);
    ck_assert_msg(strstr(r.message, "initial_recommendation returned 7") != NULL, "%s",
                  r.message);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
}
END_TEST

/* An execute failing without a message got the stale message of an earlier failure; one
 * returning OK without a status became `error` with no exception. */
START_TEST(executor_failures_say_what_they_are)
{
    static const char *const said[] = {"the executor's execute failed (MMARML_ERROR) without "
                                       "saying why",
                                       "execute returned MMARML_OK without a job status"};
    int modes[] = {EXE_SILENT_FAILURE, EXE_NO_STATUS}, i;

    for (i = 0; i < 2; i++) {
        ctl_state c;
        mmarml_controller *ctl = controller(&c, CTL_OK, 1);
        mmarml_executor *exe = executor(&modes[i]);
        run_result r;
        /* an unrelated failure just before, on this thread */
        mmarml_error_set(MMARML_EINVAL, "an unrelated earlier failure");
        r = run(ctl, exe, NULL);
        ck_ok(r.rc);
        ck_assert_msg(strstr(r.last_exception, said[i]) != NULL, "%d: %s", i,
                      r.last_exception);
        ck_assert_ptr_null(strstr(r.last_exception, "unrelated"));
        mmarml_controller_unref(ctl);
        mmarml_executor_unref(exe);
    }
}
END_TEST

/* A recommendation over another space was dispatched, and an executor reading values by
 * position read past its array (valgrind: invalid read). */
START_TEST(a_recommendation_of_another_space_is_refused)
{
    ctl_state c;
    int mode = EXE_SCORE;
    mmarml_controller *ctl = controller(&c, CTL_OTHER_SPACE, 1);
    mmarml_executor *exe = executor(&mode);
    run_result r = run(ctl, exe, NULL);

    ck_assert_int_eq(r.rc, MMARML_EINVAL);
    ck_assert_msg(strstr(r.message, "recommended over another search space") != NULL, "%s",
                  r.message);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
}
END_TEST

/* A handler clearing the list it got in recommendations_available made execute receive a
 * NULL recommendation (segfault). */
START_TEST(handlers_cannot_change_what_is_dispatched)
{
    ctl_state c;
    hnd_state h;
    int mode = EXE_SCORE;
    mmarml_controller *ctl = controller(&c, CTL_OK, 3);
    mmarml_executor *exe = executor(&mode);
    mmarml_handler *hnd;
    run_result r;

    memset(&h, 0, sizeof(h));
    h.clear_recs = 1;
    hnd = handler(&h);
    r = run(ctl, exe, hnd);
    ck_ok(r.rc);
    ck_assert_str_eq(h.rounds, "W1_1_J1:ok:0.01;W1_2_J2:ok:0.02;W1_3_J3:ok:0.03;");
    mmarml_handler_unref(hnd);
    mmarml_controller_unref(ctl);
    mmarml_executor_unref(exe);
}
END_TEST

/* Every controller needs the unit-interval mapping; exp(log(max)) landed an ulp above max
 * and was then refused. */
START_TEST(unit_interval_mapping)
{
    mmarml_search_space *s = NULL;
    const char *choices[] = {"a", "b", "c"};
    const mmarml_param *f, *lg, *in, *en;
    json_t *ch = json_pack("[s,s,s]", choices[0], choices[1], choices[2]);
    double v, u;
    int i;

    ck_ok(mmarml_search_space_new(&s, "unit"));
    ck_ok(mmarml_search_space_add_float(s, "f.float.$0:f", "f", -1, 3, 0));
    ck_ok(mmarml_search_space_add_float(s, "l.float.$0:l", "l", 1e-5, 0.1, MMARML_PARAM_F_LOG));
    ck_ok(mmarml_search_space_add_int(s, "i.int.$0:i", "i", 1, 8, 0));
    ck_ok(mmarml_search_space_add_enum(s, "e.enum.$0:e", "e", ch));
    f = mmarml_search_space_param(s, 0);
    lg = mmarml_search_space_param(s, 1);
    in = mmarml_search_space_param(s, 2);
    en = mmarml_search_space_param(s, 3);
    ck_ok(mmarml_param_from_unit(f, 0.25, &v));
    ck_assert_double_eq(v, 0);
    ck_ok(mmarml_param_from_unit(lg, 1, &v)); /* exactly max, never an ulp above */
    ck_assert(v == 0.1);
    ck_ok(mmarml_param_check_value(lg, v));
    ck_ok(mmarml_param_from_unit(lg, 0.5, &v));
    ck_assert_double_eq_tol(v, 1e-3, 1e-12);
    ck_ok(mmarml_param_from_unit(in, 2.0, &v)); /* clipped */
    ck_assert_double_eq(v, 8);
    ck_ok(mmarml_param_from_unit(en, 1.0, &v));
    ck_assert_double_eq(v, 2);
    for (i = 0; i < 3; i++) { /* enum round trip through the middle of each cell */
        ck_ok(mmarml_param_to_unit(en, i, &u));
        ck_ok(mmarml_param_from_unit(en, u, &v));
        ck_assert_double_eq(v, i);
    }
    for (u = 0; u <= 1.0; u += 0.125) { /* float and log round trips */
        double back;
        ck_ok(mmarml_param_from_unit(f, u, &v));
        ck_ok(mmarml_param_to_unit(f, v, &back));
        ck_assert_double_eq_tol(back, u, 1e-12);
        ck_ok(mmarml_param_from_unit(lg, u, &v));
        ck_ok(mmarml_param_check_value(lg, v));
        ck_ok(mmarml_param_to_unit(lg, v, &back));
        ck_assert_double_eq_tol(back, u, 1e-9);
    }
    ck_assert_int_eq(mmarml_param_to_unit(in, 9, &u), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_param_from_unit(f, NAN, &v), MMARML_EINVAL);
    json_decref(ch);
    mmarml_search_space_unref(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, round_ended_carries_the_job);
    tcase_add_test(tc, a_positive_code_is_refused);
    tcase_add_test(tc, executor_failures_say_what_they_are);
    tcase_add_test(tc, a_recommendation_of_another_space_is_refused);
    tcase_add_test(tc, handlers_cannot_change_what_is_dispatched);
    tcase_add_test(tc, unit_interval_mapping);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
