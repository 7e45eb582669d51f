/* Error codes, names, the per-thread message, and the version functions. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

START_TEST(codes_have_names_and_texts)
{
    ck_assert_str_eq(mmarml_error_name(MMARML_OK), "MMARML_OK");
    ck_assert_str_eq(mmarml_error_name(MMARML_EINVAL), "MMARML_EINVAL");
    ck_assert_str_eq(mmarml_error_name(MMARML_ITEROVER), "MMARML_ITEROVER");
    ck_assert_str_eq(mmarml_strerror(MMARML_ENOMEM), "out of memory");
    ck_assert_str_eq(mmarml_strerror(-9999), "unknown error");
    ck_assert_str_eq(mmarml_error_name(12345), "MMARML_UNKNOWN");
    ck_assert_int_lt(MMARML_EEXISTS, 0);
}
END_TEST

START_TEST(set_returns_code_and_formats)
{
    mmarml_error_clear();
    ck_assert_int_eq(mmarml_error_code(), MMARML_OK);
    ck_assert_str_eq(mmarml_error_message(), "");
    ck_assert_int_eq(mmarml_error_set(MMARML_EINVAL, "bad %s at %d", "key", 7), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_error_code(), MMARML_EINVAL);
    ck_assert_str_eq(mmarml_error_message(), "bad key at 7");
    mmarml_error_clear();
    ck_assert_str_eq(mmarml_error_message(), "");
}
END_TEST

static void *set_in_thread(void *arg)
{
    (void)arg;
    mmarml_error_set(MMARML_EIO, "from the other thread");
    return strdup(mmarml_error_message());
}

START_TEST(messages_are_per_thread)
{
    pthread_t t;
    void *other;

    mmarml_error_set(MMARML_EINVAL, "main thread");
    pthread_create(&t, NULL, set_in_thread, NULL);
    pthread_join(t, &other);
    ck_assert_str_eq(other, "from the other thread");
    ck_assert_str_eq(mmarml_error_message(), "main thread");
    ck_assert_int_eq(mmarml_error_code(), MMARML_EINVAL);
    free(other);
}
END_TEST

START_TEST(failing_calls_say_what_and_where)
{
    mmarml_engine *e = NULL;
    mmarml_controller *c = NULL;
    tu_executor_state st;
    mmarml_executor *x;
    mmarml_engine_options o = tu_options("0:1:x");

    tu_executor_init(&st, TU_EXEC_SCORE);
    x = tu_executor(&st);
    ck_ok(mmarml_controller_new_dummy(&c, 1));
    ck_assert_int_eq(mmarml_engine_new(&e, c, x, &o), MMARML_EINVAL);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "'0:1:x'"));
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "position 5"));
    mmarml_controller_unref(c);
    mmarml_executor_unref(x);
    tu_executor_free(&st);
}
END_TEST

START_TEST(runtime_version_matches_header)
{
    ck_assert_uint_eq(mmarml_version(), MMARML_VERSION_NUMBER);
    ck_assert_str_eq(mmarml_version_string(), MMARML_VERSION_STRING);
    ck_assert(MMARML_VERSION_CHECK(0, 0, 1));
    ck_assert(!MMARML_VERSION_CHECK(255, 0, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, codes_have_names_and_texts);
    tcase_add_test(tc, set_returns_code_and_formats);
    tcase_add_test(tc, messages_are_per_thread);
    tcase_add_test(tc, failing_calls_say_what_and_where);
    tcase_add_test(tc, runtime_version_matches_header);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
