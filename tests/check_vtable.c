/* Vtable rules for controllers, handlers and executors: versions, sizes, required methods,
 * copying, and destroy exactly once (never after a failed creation). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "testutil.h"

/* The version-1 layouts are frozen: members are only ever appended. */
#define FNPTR sizeof(void (*)(void))
_Static_assert(offsetof(mmarml_controller_vtable, struct_size) == 0, "controller layout");
_Static_assert(offsetof(mmarml_controller_vtable, version) == 4, "controller layout");
_Static_assert(offsetof(mmarml_controller_vtable, set_search_space) == 8, "controller layout");
_Static_assert(offsetof(mmarml_controller_vtable, destroy) == 8 + 4 * FNPTR, "controller");
_Static_assert(sizeof(mmarml_controller_vtable) == 8 + 5 * FNPTR, "controller v1 size");
_Static_assert(offsetof(mmarml_handler_vtable, startup) == 8, "handler layout");
_Static_assert(offsetof(mmarml_handler_vtable, round_ended) == 8 + 8 * FNPTR, "handler");
_Static_assert(offsetof(mmarml_handler_vtable, destroy) == 8 + 10 * FNPTR, "handler");
_Static_assert(sizeof(mmarml_handler_vtable) == 8 + 11 * FNPTR, "handler v1 size");
_Static_assert(offsetof(mmarml_executor_vtable, determine_search_space) == 8, "executor");
_Static_assert(offsetof(mmarml_executor_vtable, abort) == 8 + 2 * FNPTR, "executor layout");
_Static_assert(sizeof(mmarml_executor_vtable) == 8 + 5 * FNPTR, "executor v1 size");
_Static_assert(offsetof(mmarml_engine_options, workers) == 8, "options layout");
_Static_assert(offsetof(mmarml_engine_options, max_sys_run_time) == 8 + sizeof(char *) + 16,
               "options layout");

static int destroy_calls;
static void count_destroy(void *ud)
{
    (void)ud;
    destroy_calls++;
}

static int ctl_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                       mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)ctx, (void)ud;
    return MMARML_OK;
}

static int ctl_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                      const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)o, (void)ctx, (void)ud;
    return MMARML_OK;
}

static mmarml_controller_vtable good_controller(void)
{
    mmarml_controller_vtable vt = MMARML_CONTROLLER_VTABLE_INIT;

    vt.initial_recommendation = ctl_initial;
    vt.refine_recommendation = ctl_refine;
    vt.destroy = count_destroy;
    return vt;
}

START_TEST(controller_versions_and_sizes)
{
    mmarml_controller_vtable vt = good_controller();
    mmarml_controller *c = (mmarml_controller *)&vt; /* must be reset to NULL on failure */

    destroy_calls = 0;
    vt.version = 0;
    ck_assert_int_eq(mmarml_controller_new(&c, &vt, NULL), MMARML_EVERSION);
    ck_assert_ptr_null(c);
    vt.version = MMARML_CONTROLLER_VTABLE_VERSION + 1;
    ck_assert_int_eq(mmarml_controller_new(&c, &vt, NULL), MMARML_EVERSION);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "version 2"));
    vt.version = MMARML_CONTROLLER_VTABLE_VERSION;
    vt.struct_size = 8;
    ck_assert_int_eq(mmarml_controller_new(&c, &vt, NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "struct_size"));
    ck_assert_int_eq(mmarml_controller_new(&c, NULL, NULL), MMARML_EINVAL);
    ck_assert_int_eq(destroy_calls, 0); /* a failed creation calls nothing */
}
END_TEST

START_TEST(controller_required_methods)
{
    mmarml_controller_vtable vt = good_controller();
    mmarml_controller *c = NULL;

    destroy_calls = 0;
    vt.initial_recommendation = NULL;
    ck_assert_int_eq(mmarml_controller_new(&c, &vt, NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "initial_recommendation"));
    vt = good_controller();
    vt.refine_recommendation = NULL;
    ck_assert_int_eq(mmarml_controller_new(&c, &vt, NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "refine_recommendation"));
    ck_assert_int_eq(destroy_calls, 0);
}
END_TEST

START_TEST(controller_table_is_copied_and_destroy_runs_once)
{
    mmarml_controller_vtable vt = good_controller();
    mmarml_controller *c = NULL;
    mmarml_recommendation_list *l = NULL;
    int marker;

    destroy_calls = 0;
    ck_ok(mmarml_controller_new(&c, &vt, &marker));
    memset(&vt, 0, sizeof(vt)); /* the library kept its own copy */
    ck_ok(mmarml_recommendation_list_new(&l));
    ck_ok(mmarml_controller_initial_recommendation(l, c, NULL));
    ck_assert_ptr_eq(mmarml_controller_get_user_data(c), &marker);
    mmarml_controller_ref(c);
    mmarml_controller_unref(c);
    ck_assert_int_eq(destroy_calls, 0);
    mmarml_controller_unref(c);
    ck_assert_int_eq(destroy_calls, 1);
    ck_assert_ptr_null(mmarml_controller_unref(NULL));
    mmarml_recommendation_list_free(l);
}
END_TEST

/* A table compiled against a future header (bigger, same version) is accepted; members past
 * what this library knows are ignored. */
START_TEST(controller_bigger_struct_size)
{
    struct {
        mmarml_controller_vtable v1;
        void *future_member;
    } big;
    mmarml_controller *c = NULL;

    memset(&big, 0, sizeof(big));
    big.v1 = good_controller();
    big.v1.struct_size = sizeof(big);
    big.future_member = &big;
    ck_ok(mmarml_controller_new(&c, &big.v1, NULL));
    mmarml_controller_unref(c);
}
END_TEST

START_TEST(vtable_init_functions)
{
    mmarml_controller_vtable cv;
    mmarml_handler_vtable hv;
    mmarml_executor_vtable ev;
    mmarml_engine_options eo;

    ck_ok(mmarml_controller_vtable_init(&cv, 1));
    ck_assert_uint_eq(cv.struct_size, sizeof(cv));
    ck_assert_ptr_null(cv.refine_recommendation);
    ck_ok(mmarml_handler_vtable_init(&hv, 1));
    ck_assert_uint_eq(hv.struct_size, sizeof(hv));
    ck_ok(mmarml_executor_vtable_init(&ev, 1));
    ck_assert_uint_eq(ev.version, MMARML_EXECUTOR_VTABLE_VERSION);
    ck_ok(mmarml_engine_options_init(&eo, 1));
    ck_assert_int_eq(mmarml_controller_vtable_init(&cv, 0), MMARML_EVERSION);
    ck_assert_int_eq(mmarml_handler_vtable_init(&hv, 9), MMARML_EVERSION);
    ck_assert_int_eq(mmarml_executor_vtable_init(&ev, 9), MMARML_EVERSION);
    ck_assert_int_eq(mmarml_engine_options_init(&eo, 0), MMARML_EVERSION);
}
END_TEST

static int on_start_job(mmarml_handler *self, mmarml_context *ctx, void *ud)
{
    (void)self, (void)ctx;
    (*(int *)ud)++;
    return MMARML_OK;
}

START_TEST(handler_rules)
{
    mmarml_handler_vtable vt = MMARML_HANDLER_VTABLE_INIT;
    mmarml_handler *h = NULL;
    int calls = 0;

    destroy_calls = 0;
    vt.destroy = count_destroy;
    ck_assert_int_eq(mmarml_handler_new(&h, &vt, NULL), MMARML_EINVAL); /* no method at all */
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "no event method"));
    vt.start_job = on_start_job;
    vt.version = 0;
    ck_assert_int_eq(mmarml_handler_new(&h, &vt, &calls), MMARML_EVERSION);
    vt.version = 2;
    ck_assert_int_eq(mmarml_handler_new(&h, &vt, &calls), MMARML_EVERSION);
    vt.version = 1;
    vt.struct_size = 4;
    ck_assert_int_eq(mmarml_handler_new(&h, &vt, &calls), MMARML_EINVAL);
    ck_assert_int_eq(destroy_calls, 0);
    vt.struct_size = sizeof(vt);
    ck_ok(mmarml_handler_new(&h, &vt, &calls));
    ck_ok(mmarml_handler_fire(h, MMARML_EVENT_START_JOB, NULL));
    ck_ok(mmarml_handler_fire(h, MMARML_EVENT_END_JOB, NULL)); /* not handled: fine */
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(mmarml_handler_fire(h, "no_such_event", NULL), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "no_such_event"));
    mmarml_handler_unref(h);
    ck_assert_int_eq(destroy_calls, 1);
}
END_TEST

static int exe_determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                         void *ud)
{
    (void)self, (void)ctx, (void)ud;
    *out = NULL;
    return MMARML_OK; /* OK without a space: the library must catch it */
}

static int exe_nan(int *status, double *score, mmarml_executor *self,
                   const mmarml_recommendation *rec, mmarml_context *ctx, void *ud)
{
    (void)self, (void)rec, (void)ctx;
    *status = *(int *)ud;
    *score = NAN;
    return MMARML_OK;
}

START_TEST(executor_rules_and_normalisation)
{
    mmarml_executor_vtable vt = MMARML_EXECUTOR_VTABLE_INIT;
    mmarml_executor *x = NULL;
    mmarml_search_space *s = NULL;
    int mode = MMARML_JOB_OK, status;
    double score;

    destroy_calls = 0;
    vt.destroy = count_destroy;
    vt.execute = exe_nan;
    ck_assert_int_eq(mmarml_executor_new(&x, &vt, &mode), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "determine_search_space"));
    vt.determine_search_space = exe_determine;
    vt.execute = NULL;
    ck_assert_int_eq(mmarml_executor_new(&x, &vt, &mode), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "'execute'"));
    vt.version = 3;
    vt.execute = exe_nan;
    ck_assert_int_eq(mmarml_executor_new(&x, &vt, &mode), MMARML_EVERSION);
    ck_assert_int_eq(destroy_calls, 0);
    vt.version = 1;
    ck_ok(mmarml_executor_new(&x, &vt, &mode));
    ck_assert_int_eq(mmarml_executor_determine_search_space(&s, x, NULL), MMARML_EUSER);
    ck_assert_ptr_null(s);
    /* ok with a NaN score is no_score */
    ck_ok(mmarml_executor_execute(&status, &score, x, NULL, NULL));
    ck_assert_int_eq(status, MMARML_JOB_NO_SCORE);
    mode = 77; /* unknown status */
    ck_assert_int_eq(mmarml_executor_execute(&status, &score, x, NULL, NULL), MMARML_EUSER);
    ck_assert_int_eq(status, MMARML_JOB_ERROR);
    mmarml_executor_abort(x, NULL); /* no abort method: a no-op */
    mmarml_executor_unref(x);
    ck_assert_int_eq(destroy_calls, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vtable");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, controller_versions_and_sizes);
    tcase_add_test(tc, controller_required_methods);
    tcase_add_test(tc, controller_table_is_copied_and_destroy_runs_once);
    tcase_add_test(tc, controller_bigger_struct_size);
    tcase_add_test(tc, vtable_init_functions);
    tcase_add_test(tc, handler_rules);
    tcase_add_test(tc, executor_rules_and_normalisation);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
