/* Recommendation, recommendation lists and outcomes. */
#include <math.h>
#include <string.h>

#include "testutil.h"

START_TEST(create_and_read)
{
    mmarml_search_space *s = tu_space();
    mmarml_recommendation *r = NULL;
    const double values[3] = {0.01, 2, 5};
    double v;
    json_t *j = NULL;

    ck_assert(!mmarml_search_space_is_frozen(s));
    ck_ok(mmarml_recommendation_new(&r, 7, s, values, 3));
    ck_assert(mmarml_search_space_is_frozen(s)); /* shared now, so immutable */
    ck_assert_int_eq(mmarml_recommendation_id(r), 7);
    ck_assert_ptr_eq(mmarml_recommendation_space(r), s);
    ck_ok(mmarml_recommendation_get(r, "net.enum.train.model$0:act", &v));
    ck_assert_double_eq(v, 2);
    ck_assert_int_eq(mmarml_recommendation_get(r, "nope", &v), MMARML_ENOTFOUND);
    ck_ok(mmarml_recommendation_to_json(&j, r));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "rec_id")), 7);
    ck_assert(json_is_real(json_object_get(json_object_get(j, "values"),
                                           "lr.float.$0:learning_rate")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "values"),
                                                        "net.int.train.model$1:width")),
                     5);
    json_decref(j);
    /* the recommendation keeps the space alive */
    mmarml_search_space_unref(s);
    ck_assert_uint_eq(mmarml_search_space_count(mmarml_recommendation_space(r)), 3);
    mmarml_recommendation_unref(r);
    ck_assert_ptr_null(mmarml_recommendation_unref(NULL));
}
END_TEST

START_TEST(values_outside_the_space_are_refused)
{
    mmarml_search_space *s = tu_space();
    mmarml_recommendation *r = NULL;
    double values[3] = {0.01, 3, 5};

    ck_assert_int_eq(mmarml_recommendation_new(&r, 1, s, values, 3), MMARML_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "net.enum.train.model$0:act"));
    ck_assert_int_eq(mmarml_recommendation_new(&r, 1, s, values, 2), MMARML_EINVAL);
    values[1] = NAN; /* unset params are allowed */
    ck_ok(mmarml_recommendation_new(&r, 1, s, values, 3));
    ck_assert_int_eq(mmarml_recommendation_get(r, "net.enum.train.model$0:act", values),
                     MMARML_ENOTFOUND);
    mmarml_recommendation_unref(r);
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(from_json)
{
    mmarml_search_space *s = tu_space();
    mmarml_recommendation *r = NULL;
    json_t *full = json_pack("{s:i, s:{s:f, s:i}}", "rec_id", 3, "values",
                             "lr.float.$0:learning_rate", 0.02, "net.int.train.model$1:width", 4);
    json_t *bare = json_pack("{s:i}", "net.enum.train.model$0:act", 1);
    json_t *unknown = json_pack("{s:i}", "bogus.prl", 1);
    json_t *outside = json_pack("{s:f}", "lr.float.$0:learning_rate", 7.0);
    json_t *back = NULL;
    double v;

    ck_ok(mmarml_recommendation_from_json(&r, s, full));
    ck_assert_int_eq(mmarml_recommendation_id(r), 3);
    ck_ok(mmarml_recommendation_to_json(&back, r));
    ck_assert(json_equal(back, full));
    json_decref(back);
    mmarml_recommendation_unref(r);

    ck_ok(mmarml_recommendation_from_json(&r, s, bare));
    ck_assert_int_eq(mmarml_recommendation_id(r), 0);
    ck_ok(mmarml_recommendation_get(r, "net.enum.train.model$0:act", &v));
    ck_assert_double_eq(v, 1);
    mmarml_recommendation_unref(r);

    ck_assert_int_eq(mmarml_recommendation_from_json(&r, s, unknown), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "values.bogus.prl"));
    ck_assert_int_eq(mmarml_recommendation_from_json(&r, s, outside), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "values.lr.float.$0:learning_rate"));
    ck_assert_ptr_null(r);
    json_decref(full);
    json_decref(bare);
    json_decref(unknown);
    json_decref(outside);
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(lists_hold_their_own_references)
{
    mmarml_search_space *s = tu_space();
    mmarml_recommendation_list *l = NULL;
    mmarml_recommendation *r = NULL;
    const double values[3] = {0.01, 0, 1};

    ck_ok(mmarml_recommendation_list_new(&l));
    ck_ok(mmarml_recommendation_new(&r, 1, s, values, 3));
    ck_ok(mmarml_recommendation_list_append(l, r));
    mmarml_recommendation_unref(r); /* the list still has it */
    ck_assert_uint_eq(mmarml_recommendation_list_count(l), 1);
    ck_assert_int_eq(mmarml_recommendation_id(mmarml_recommendation_list_get(l, 0)), 1);
    ck_assert_ptr_null(mmarml_recommendation_list_get(l, 1));
    ck_assert_int_eq(mmarml_recommendation_list_append(l, NULL), MMARML_EINVAL);
    mmarml_recommendation_list_clear(l);
    ck_assert_uint_eq(mmarml_recommendation_list_count(l), 0);
    mmarml_recommendation_list_free(l);
    mmarml_recommendation_list_free(NULL);
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(outcomes_carry_a_score_only_when_ok)
{
    mmarml_search_space *s = tu_space();
    mmarml_recommendation *r = NULL;
    mmarml_outcome *o = NULL;
    const double values[3] = {0.01, 0, 1};
    double score;

    ck_ok(mmarml_recommendation_new(&r, 1, s, values, 3));
    ck_ok(mmarml_outcome_new(&o, r, MMARML_JOB_OK, 0.75, "W1_1_J1"));
    ck_ok(mmarml_outcome_score(o, &score));
    ck_assert_double_eq(score, 0.75);
    ck_assert_str_eq(mmarml_outcome_job_name(o), "W1_1_J1");
    ck_assert_ptr_eq(mmarml_outcome_recommendation(o), r);
    mmarml_outcome_unref(o);

    ck_ok(mmarml_outcome_new(&o, r, MMARML_JOB_FAILED, 0.75, NULL));
    ck_assert_int_eq(mmarml_outcome_status(o), MMARML_JOB_FAILED);
    ck_assert_int_eq(mmarml_outcome_score(o, &score), MMARML_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "failed"));
    ck_assert_str_eq(mmarml_outcome_job_name(o), "");
    mmarml_outcome_unref(o);

    ck_assert_int_eq(mmarml_outcome_new(&o, r, MMARML_JOB_OK, NAN, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_outcome_new(&o, r, 42, 0, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_outcome_new(&o, NULL, MMARML_JOB_OK, 1, NULL), MMARML_EINVAL);
    mmarml_recommendation_unref(r);
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(status_names)
{
    int st;

    for (st = MMARML_JOB_OK; st <= MMARML_JOB_ERROR; st++)
        ck_assert_int_eq(mmarml_job_status_from_name(mmarml_job_status_name(st)), st);
    ck_assert_str_eq(mmarml_job_status_name(MMARML_JOB_NO_SCORE), "no_score");
    ck_assert_str_eq(mmarml_job_status_name(99), "unknown");
    ck_assert_int_eq(mmarml_job_status_from_name("great"), MMARML_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recommendation");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, create_and_read);
    tcase_add_test(tc, values_outside_the_space_are_refused);
    tcase_add_test(tc, from_json);
    tcase_add_test(tc, lists_hold_their_own_references);
    tcase_add_test(tc, outcomes_carry_a_score_only_when_ok);
    tcase_add_test(tc, status_names);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
