/* Context: typed properties, the parent chain, stop_work, exceptions, trace and log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

START_TEST(lifecycle_and_null_safety)
{
    mmarml_context *ctx = NULL;

    ck_assert_ptr_null(mmarml_context_unref(NULL));
    ck_assert_ptr_null(mmarml_context_ref(NULL));
    ck_assert_int_eq(mmarml_context_new(NULL, NULL), MMARML_EINVAL);
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_assert_ptr_eq(mmarml_context_ref(ctx), ctx);
    ck_assert_ptr_null(mmarml_context_unref(ctx));
    ck_assert_ptr_null(mmarml_context_get_parent(ctx));
    mmarml_context_set_user_data(ctx, &ctx);
    ck_assert_ptr_eq(mmarml_context_get_user_data(ctx), &ctx);
    ck_assert_int_eq(mmarml_context_set_int(NULL, "k", 1), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_context_set_int(ctx, NULL, 1), MMARML_EINVAL);
    mmarml_context_unref(ctx);
}
END_TEST

START_TEST(typed_properties)
{
    mmarml_context *ctx = NULL;
    int64_t i;
    double d;
    int b;
    char *s;
    json_t *j, *in = json_pack("{s:[i,i]}", "a", 1, 2);
    void *p;

    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_context_set_int(ctx, "i", -42));
    ck_ok(mmarml_context_set_double(ctx, "d", 0.5));
    ck_ok(mmarml_context_set_bool(ctx, "b", 7));
    ck_ok(mmarml_context_set_string(ctx, "s", "hello"));
    ck_ok(mmarml_context_set_json(ctx, "j", in));
    ck_ok(mmarml_context_set_pointer(ctx, "p", &ctx, NULL));

    ck_ok(mmarml_context_get_int(ctx, "i", &i));
    ck_assert_int_eq(i, -42);
    ck_ok(mmarml_context_get_double(ctx, "d", &d));
    ck_assert_double_eq(d, 0.5);
    ck_ok(mmarml_context_get_double(ctx, "i", &d)); /* ints convert */
    ck_assert_double_eq(d, -42.0);
    ck_ok(mmarml_context_get_bool(ctx, "b", &b));
    ck_assert_int_eq(b, 1);
    ck_ok(mmarml_context_get_string(ctx, "s", &s));
    ck_assert_str_eq(s, "hello");
    mmarml_free(s);
    /* the context kept a deep copy: changing ours does not change its value */
    json_array_append_new(json_object_get(in, "a"), json_integer(3));
    ck_ok(mmarml_context_get_json(ctx, "j", &j));
    ck_assert_int_eq(json_array_size(json_object_get(j, "a")), 2);
    json_decref(j);
    ck_ok(mmarml_context_get_pointer(ctx, "p", &p));
    ck_assert_ptr_eq(p, &ctx);

    ck_assert_int_eq(mmarml_context_get_type(ctx, "s"), MMARML_PROP_STRING);
    ck_assert_int_eq(mmarml_context_get_type(ctx, "nope"), MMARML_PROP_NONE);
    ck_assert_int_eq(mmarml_context_get_int(ctx, "s", &i), MMARML_ETYPE);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "'s'"));
    ck_assert_int_eq(mmarml_context_get_int(ctx, "nope", &i), MMARML_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "'nope'"));

    /* replacing changes the type */
    ck_ok(mmarml_context_set_string(ctx, "i", "now a string"));
    ck_assert_int_eq(mmarml_context_get_type(ctx, "i"), MMARML_PROP_STRING);
    ck_ok(mmarml_context_remove(ctx, "i"));
    ck_assert_int_eq(mmarml_context_remove(ctx, "i"), MMARML_ENOTFOUND);
    json_decref(in);
    mmarml_context_unref(ctx);
}
END_TEST

static int destroyed;
static void count_destroy(void *p)
{
    (void)p;
    destroyed++;
}

START_TEST(pointer_destructor_runs_once_per_value)
{
    mmarml_context *ctx = NULL;
    int a, b;

    destroyed = 0;
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_context_set_pointer(ctx, "p", &a, count_destroy));
    ck_ok(mmarml_context_set_pointer(ctx, "p", &b, count_destroy)); /* replaces a */
    ck_assert_int_eq(destroyed, 1);
    ck_ok(mmarml_context_set_pointer(ctx, "q", &a, count_destroy));
    ck_ok(mmarml_context_remove(ctx, "q"));
    ck_assert_int_eq(destroyed, 2);
    mmarml_context_unref(ctx); /* releases b */
    ck_assert_int_eq(destroyed, 3);
}
END_TEST

START_TEST(parent_chain)
{
    mmarml_context *root = NULL, *child = NULL, *grandchild = NULL;
    int64_t v;

    ck_ok(mmarml_context_new(&root, NULL));
    ck_ok(mmarml_context_new(&child, root));
    ck_ok(mmarml_context_new(&grandchild, child));
    ck_assert_ptr_eq(mmarml_context_get_parent(child), root);
    ck_ok(mmarml_context_set_int(root, "x", 1));
    ck_ok(mmarml_context_get_int(grandchild, "x", &v));
    ck_assert_int_eq(v, 1);
    ck_ok(mmarml_context_set_int(child, "x", 2)); /* set writes locally */
    ck_ok(mmarml_context_get_int(grandchild, "x", &v));
    ck_assert_int_eq(v, 2);
    ck_ok(mmarml_context_get_int(root, "x", &v));
    ck_assert_int_eq(v, 1);
    /* the child keeps its parent alive */
    mmarml_context_unref(root);
    ck_ok(mmarml_context_get_int(mmarml_context_get_parent(child), "x", &v));
    ck_assert_int_eq(v, 1);
    mmarml_context_unref(child);
    mmarml_context_unref(grandchild);
}
END_TEST

START_TEST(stop_work_is_run_wide_and_keeps_first_message)
{
    mmarml_context *root = NULL, *a = NULL, *b = NULL;
    char *msg;

    ck_ok(mmarml_context_new(&root, NULL));
    ck_ok(mmarml_context_new(&a, root));
    ck_ok(mmarml_context_new(&b, root));
    ck_assert_int_eq(mmarml_context_stop_work_asked(b), 0);
    ck_assert_int_eq(mmarml_context_get_stop_message(b, &msg), MMARML_ENOTFOUND);
    ck_ok(mmarml_context_stop_work(a, "ctl", "first"));
    ck_ok(mmarml_context_stop_work(b, "other", "second"));
    ck_assert_int_eq(mmarml_context_stop_work_asked(root), 1);
    ck_assert_int_eq(mmarml_context_stop_work_asked(b), 1);
    ck_ok(mmarml_context_get_stop_message(b, &msg));
    ck_assert_str_eq(msg, "first");
    mmarml_free(msg);
    mmarml_context_unref(a);
    mmarml_context_unref(b);
    mmarml_context_unref(root);
}
END_TEST

typedef struct {
    int count;
    int last_level;
    char last[256];
} log_sink;

static void sink_fn(void *ud, int level, const char *message)
{
    log_sink *s = ud;

    s->count++;
    s->last_level = level;
    snprintf(s->last, sizeof(s->last), "%s", message);
}

START_TEST(exceptions_are_counted_and_logged)
{
    mmarml_context *root = NULL, *job = NULL;
    log_sink sink = {0};
    char *msg;

    ck_ok(mmarml_context_new(&root, NULL));
    ck_ok(mmarml_context_new(&job, root));
    ck_assert_int_eq(mmarml_context_get_last_exception(root, &msg), MMARML_ENOTFOUND);
    mmarml_context_set_log_fn(root, sink_fn, &sink, MMARML_LOG_INFO);
    ck_ok(mmarml_context_exception_occurred(job, "MyHandler", "disk full"));
    ck_assert_uint_eq(mmarml_context_exception_count(root), 1);
    ck_ok(mmarml_context_get_last_exception(root, &msg));
    ck_assert_str_eq(msg, "[MyHandler] disk full");
    mmarml_free(msg);
    ck_assert_int_eq(sink.count, 1);
    ck_assert_int_eq(sink.last_level, MMARML_LOG_ERROR);
    ck_assert_ptr_nonnull(strstr(sink.last, "disk full"));
    /* level filter */
    mmarml_context_log(job, MMARML_LOG_DEBUG, "hidden %d", 1);
    ck_assert_int_eq(sink.count, 1);
    mmarml_context_log(job, MMARML_LOG_INFO, "shown %d", 2);
    ck_assert_int_eq(sink.count, 2);
    ck_assert_str_eq(sink.last, "shown 2");
    /* silencing */
    mmarml_context_set_log_fn(root, NULL, NULL, MMARML_LOG_DEBUG);
    mmarml_context_log(job, MMARML_LOG_ERROR, "nobody hears");
    ck_assert_int_eq(sink.count, 2);
    mmarml_context_unref(job);
    mmarml_context_unref(root);
}
END_TEST

START_TEST(trace_to_file)
{
    char path[] = "/tmp/mmarml-trace-XXXXXX", line[512], *s;
    mmarml_context *root = NULL, *job = NULL;
    FILE *f;
    int fd = mkstemp(path), lines = 0, seen = 0;

    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_ok(mmarml_context_new(&root, NULL));
    ck_ok(mmarml_context_new(&job, root));
    ck_ok(mmarml_context_trace(job, "x", "goes nowhere")); /* no sink yet */
    ck_ok(mmarml_context_set_trace(root, MMARML_TRACE_FILE, path));
    ck_ok(mmarml_context_get_string(job, MMARML_KEY_TRACE_DEST_TYPE, &s));
    ck_assert_str_eq(s, "file");
    mmarml_free(s);
    ck_ok(mmarml_context_get_string(job, MMARML_KEY_TRACE_DEST_FILE, &s));
    ck_assert_str_eq(s, path);
    mmarml_free(s);
    ck_ok(mmarml_context_trace(job, "Engine", "job %s started", "W1_1_J1"));
    mmarml_context_close_trace(root);
    ck_ok(mmarml_context_trace(job, "Engine", "after close"));

    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        lines++;
        seen += strstr(line, "[Engine] job W1_1_J1 started") != NULL;
    }
    fclose(f);
    ck_assert_int_eq(lines, 1);
    ck_assert_int_eq(seen, 1);
    unlink(path);
    mmarml_context_unref(job);
    mmarml_context_unref(root);
}
END_TEST

/* The console sink writes to the host's stderr: capture it through a temporary file. */
START_TEST(trace_to_console)
{
    char path[] = "/tmp/mmarml-stderr-XXXXXX", buf[512] = {0};
    mmarml_context *ctx = NULL;
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    FILE *f;

    ck_assert_int_ge(fd, 0);
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_context_set_trace(ctx, MMARML_TRACE_CONSOLE, NULL));
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    ck_ok(mmarml_context_trace(ctx, "Handler", "hello %d", 42));
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    unlink(path);
    ck_assert_ptr_nonnull(strstr(buf, "[Handler] hello 42"));
    mmarml_context_unref(ctx);
}
END_TEST

START_TEST(trace_errors_name_the_file)
{
    mmarml_context *ctx = NULL;

    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_assert_int_eq(mmarml_context_set_trace(ctx, MMARML_TRACE_FILE, "/nonexistent/dir/t.txt"),
                     MMARML_EIO);
    ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "/nonexistent/dir/t.txt"));
    ck_assert_int_eq(mmarml_context_set_trace(ctx, MMARML_TRACE_BOTH, NULL), MMARML_EINVAL);
    ck_assert_int_eq(mmarml_context_set_trace(ctx, 17, NULL), MMARML_EINVAL);
    ck_ok(mmarml_context_set_trace(ctx, MMARML_TRACE_NONE, NULL));
    mmarml_context_unref(ctx);
}
END_TEST

/* Many threads on one shared context: for ThreadSanitizer, and a check of the final state. */
static void *hammer(void *arg)
{
    mmarml_context *ctx = arg;
    char key[32];
    int64_t v;
    int i;

    for (i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "k%d", i % 16);
        mmarml_context_set_int(ctx, key, i);
        mmarml_context_get_int(ctx, key, &v);
        mmarml_context_set_string(ctx, "shared", "value");
        mmarml_context_trace(ctx, "t", "line %d", i);
    }
    mmarml_context_stop_work(ctx, "t", "done");
    return NULL;
}

START_TEST(shared_context_across_threads)
{
    mmarml_context *ctx = NULL;
    pthread_t t[4];
    int i;
    char *s;

    ck_ok(mmarml_context_new(&ctx, NULL));
    for (i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, ctx);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_ok(mmarml_context_get_string(ctx, "shared", &s));
    ck_assert_str_eq(s, "value");
    mmarml_free(s);
    ck_assert_int_eq(mmarml_context_stop_work_asked(ctx), 1);
    mmarml_context_unref(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("context");
    TCase *tc = tcase_create("core");
    TCase *tt = tcase_create("threads");

    tcase_add_test(tc, lifecycle_and_null_safety);
    tcase_add_test(tc, typed_properties);
    tcase_add_test(tc, pointer_destructor_runs_once_per_value);
    tcase_add_test(tc, parent_chain);
    tcase_add_test(tc, stop_work_is_run_wide_and_keeps_first_message);
    tcase_add_test(tc, exceptions_are_counted_and_logged);
    tcase_add_test(tc, trace_to_file);
    tcase_add_test(tc, trace_to_console);
    tcase_add_test(tc, trace_errors_name_the_file);
    tcase_add_test(tt, shared_context_across_threads);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tt);
    return tu_run(s);
}
