/* SearchSpace: building, look-up, validation, freezing and the JSON round trip. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

START_TEST(build_and_inspect)
{
    mmarml_search_space *s = tu_space();
    const mmarml_param *p;
    size_t idx;
    double lo, hi;

    ck_assert_str_eq(mmarml_search_space_name(s), "config_train.json");
    ck_assert_uint_eq(mmarml_search_space_count(s), 3);
    p = mmarml_search_space_param(s, 0);
    ck_assert_str_eq(mmarml_param_prl(p), "lr.float.$0:learning_rate");
    ck_assert_str_eq(mmarml_param_domain(p), "lr");
    ck_assert_str_eq(mmarml_param_type_name(p), "float");
    ck_assert_double_eq(mmarml_param_min(p), 0.001);
    ck_assert_double_eq(mmarml_param_max(p), 0.1);
    ck_assert_uint_eq(mmarml_param_range_count(p), 1);

    p = mmarml_search_space_find(s, "net.enum.train.model$0:act", &idx);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(mmarml_param_type(p), MMARML_PARAM_ENUM);
    ck_assert_uint_eq(mmarml_param_range_count(p), 3);
    ck_ok(mmarml_param_range(p, 2, &lo, &hi)); /* enum range i is [i, i] */
    ck_assert_double_eq(lo, 2);
    ck_assert_double_eq(hi, 2);
    ck_assert_int_eq(mmarml_param_range(p, 3, &lo, &hi), MMARML_EINVAL);
    ck_assert_str_eq(json_string_value(json_array_get(json_array_get(mmarml_param_choices(p),
                                                                     1), 0)), "tanh");

    ck_assert_ptr_null(mmarml_search_space_find(s, "no.such$0:prl", NULL));
    ck_assert_int_eq(mmarml_error_code(), MMARML_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "no.such$0:prl"));
    ck_assert_ptr_null(mmarml_search_space_param(s, 3));
    mmarml_search_space_unref(s);
    ck_assert_ptr_null(mmarml_search_space_unref(NULL));
}
END_TEST

START_TEST(values_are_checked)
{
    mmarml_search_space *s = tu_space();
    const mmarml_param *f = mmarml_search_space_param(s, 0), *e = mmarml_search_space_param(s, 1),
                       *i = mmarml_search_space_param(s, 2);

    ck_ok(mmarml_param_check_value(f, 0.05));
    ck_assert_int_eq(mmarml_param_check_value(f, 0.5), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "lr.float.$0:learning_rate"));
    ck_assert_int_eq(mmarml_param_check_value(f, NAN), MMARML_EINVAL);
    ck_ok(mmarml_param_check_value(e, 2));
    ck_assert_int_eq(mmarml_param_check_value(e, 3), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_param_check_value(e, 0.5), MMARML_EINVAL);
    ck_ok(mmarml_param_check_value(i, 8));
    ck_assert_int_eq(mmarml_param_check_value(i, 2.5), MMARML_EINVAL);
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(invalid_params_are_refused)
{
    mmarml_search_space *s = NULL;
    json_t *empty = json_array(), *notarray = json_string("x"), *one = json_loads("[[1]]", 0, NULL);

    ck_ok(mmarml_search_space_new(&s, "c.json"));
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "lr", 1, 0, 0), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "min 1 is greater than max 0"));
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "lr", NAN, 1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "lr", 0, INFINITY, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "lr", 0, 1, MMARML_PARAM_F_LOG),
                     MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "log scale"));
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "lr", 0, 1, 0x80), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_float(s, "", "lr", 0, 1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "", 0, 1, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_int(s, "a", "net", 5, 4, 0), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_enum(s, "a", "net", empty), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_enum(s, "a", "net", notarray), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_search_space_add_enum(s, "a", "net", NULL), MMARML_EINVAL);
    ck_assert_uint_eq(mmarml_search_space_count(s), 0); /* nothing half-added */

    ck_ok(mmarml_search_space_add_enum(s, "a", "net", one));
    ck_assert_int_eq(mmarml_search_space_add_float(s, "a", "lr", 0, 1, 0), MMARML_EINVAL);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "duplicate PRL 'a'"));
    ck_ok(mmarml_search_space_freeze(s));
    ck_assert_int_eq(mmarml_search_space_add_float(s, "b", "lr", 0, 1, 0), MMARML_EMISUSE);
    ck_assert_uint_eq(mmarml_search_space_count(s), 1);
    json_decref(empty);
    json_decref(notarray);
    json_decref(one);
    mmarml_search_space_unref(s);
}
END_TEST

START_TEST(json_round_trip)
{
    mmarml_search_space *s = tu_space(), *back = NULL;
    json_t *j = NULL, *j2 = NULL;

    ck_ok(mmarml_search_space_add_float(s, "lr.float.$1:wd", "lr", 1e-6, 1e-2,
                                        MMARML_PARAM_F_LOG));
    ck_ok(mmarml_search_space_to_json(&j, s));
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "config_train.json");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j,
                                                                                      "params"),
                                                                      3),
                                                       "scale")),
                     "log");
    ck_assert(json_is_integer(json_object_get(json_array_get(json_object_get(j, "params"), 2),
                                              "min")));
    ck_ok(mmarml_search_space_from_json(&back, j));
    ck_assert(mmarml_search_space_is_frozen(back));
    ck_ok(mmarml_search_space_to_json(&j2, back));
    ck_assert(json_equal(j, j2));
    ck_assert_uint_eq(mmarml_param_flags(mmarml_search_space_param(back, 3)),
                      MMARML_PARAM_F_LOG);
    json_decref(j);
    json_decref(j2);
    mmarml_search_space_unref(s);
    mmarml_search_space_unref(back);
}
END_TEST

static void expect_json_error(const char *text, const char *fragment)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    mmarml_search_space *s = NULL;

    ck_assert_msg(j != NULL, "bad test JSON: %s", jerr.text);
    ck_assert_int_eq(mmarml_search_space_from_json(&s, j), MMARML_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(mmarml_error_message(), fragment) != NULL,
                  "message '%s' lacks '%s'", mmarml_error_message(), fragment);
    json_decref(j);
}

START_TEST(json_errors_name_the_path)
{
    expect_json_error("[]", "must be an object");
    expect_json_error("{\"name\": 3, \"params\": []}", "name: must be a string");
    expect_json_error("{\"params\": 3}", "params: must be an array");
    expect_json_error("{\"params\": [{\"prl\": \"a\", \"domain\": \"lr\", \"type\": \"float\", "
                      "\"min\": 0}]}",
                      "params[0].max: missing");
    expect_json_error("{\"params\": [{\"prl\": \"a\", \"domain\": \"lr\", \"type\": \"float\", "
                      "\"min\": 0, \"max\": 1}, {\"prl\": \"b\", \"domain\": \"lr\", "
                      "\"type\": \"bool\"}]}",
                      "params[1].type: unknown type 'bool'");
    expect_json_error("{\"params\": [{\"prl\": \"a\", \"domain\": \"lr\", \"type\": \"int\", "
                      "\"min\": 0.5, \"max\": 1}]}",
                      "params[0]: int bounds must be integers");
    expect_json_error("{\"params\": [{\"prl\": \"a\", \"domain\": \"net\", \"type\": \"enum\", "
                      "\"choices\": []}]}",
                      "params[0]: param 'a': enum choices must be a non-empty array");
    expect_json_error("{\"params\": [{\"prl\": \"a\", \"domain\": \"lr\", \"type\": \"float\", "
                      "\"min\": 0, \"max\": 1, \"scale\": \"cubic\"}]}",
                      "params[0].scale: unknown scale 'cubic'");
}
END_TEST

START_TEST(large_space_lookup)
{
    mmarml_search_space *s = NULL;
    char prl[64];
    size_t i, idx;

    ck_ok(mmarml_search_space_new(&s, "big"));
    for (i = 0; i < 5000; i++) {
        snprintf(prl, sizeof(prl), "net.float.train.layers.%zu$0:w", i);
        ck_ok(mmarml_search_space_add_float(s, prl, "net", 0, (double)i + 1, 0));
    }
    ck_ok(mmarml_search_space_freeze(s));
    for (i = 0; i < 5000; i += 7) {
        snprintf(prl, sizeof(prl), "net.float.train.layers.%zu$0:w", i);
        ck_assert_ptr_nonnull(mmarml_search_space_find(s, prl, &idx));
        ck_assert_uint_eq(idx, i);
    }
    mmarml_search_space_unref(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search_space");
    TCase *tc = tcase_create("core");
    TCase *te = tcase_create("errors");

    tcase_add_test(tc, build_and_inspect);
    tcase_add_test(tc, values_are_checked);
    tcase_add_test(tc, json_round_trip);
    tcase_add_test(tc, large_space_lookup);
    tcase_add_test(te, invalid_params_are_refused);
    tcase_add_test(te, json_errors_name_the_path);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, te);
    return tu_run(s);
}
