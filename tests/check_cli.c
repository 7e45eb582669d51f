/* The mmarml command: space and apply on an MMAR made of a corpus config, help, and errors
 * (exit 2, a message on stderr, nothing on stdout). Runs the real binary. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#ifndef MMARML_BIN
#define MMARML_BIN "tools/mmarml"
#endif

typedef struct {
    int status;
    char *out, *err;
} result;

static char *slurp(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n;

    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    return buf;
}

/* Run mmarml with args (NULL-terminated); stdout and stderr captured through temp files. */
static result run(const char *const *args)
{
    char out_path[] = "/tmp/mmarml-out-XXXXXX", err_path[] = "/tmp/mmarml-err-XXXXXX";
    int out = mkstemp(out_path), err = mkstemp(err_path), status;
    const char *argv[16] = {MMARML_BIN};
    result r;
    size_t i;
    pid_t pid;

    ck_assert(out >= 0 && err >= 0);
    for (i = 0; args[i] != NULL && i < 14; i++)
        argv[i + 1] = args[i];
    pid = fork();
    if (pid == 0) {
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        execv(MMARML_BIN, (char *const *)argv);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    close(out);
    close(err);
    unlink(out_path);
    unlink(err_path);
    return r;
}

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* A throw-away MMAR: <dir>/config/config_train.json copied from tests/data/<file>. */
static char mmar[64];

static void make_mmar(const char *file)
{
    char cmd[1024];

    snprintf(mmar, sizeof(mmar), "/tmp/mmarml-mmar-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(mmar));
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/config' && cp '%s/%s' '%s/config/config_train.json'",
             mmar, TEST_DATA_DIR, file, mmar);
    ck_assert_int_eq(system(cmd), 0);
}

static void remove_mmar(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", mmar);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(space_prints_the_space)
{
    const char *args[] = {"space", "-m", mmar, NULL};
    json_t *j, *p;
    result r;

    make_mmar("trn_autoML_Enum.json");
    r = run(args);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    j = json_loads(r.out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "config_train.json");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "params")), 3);
    p = json_array_get(json_object_get(j, "params"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(p, "prl")),
                     "net.enum.train.model$0:channels");
    ck_assert_str_eq(json_string_value(json_object_get(p, "type")), "enum");
    ck_assert_int_eq(json_integer_value(json_array_get(
                         json_array_get(json_array_get(json_object_get(p, "choices"), 1), 0),
                         0)),
                     8);
    json_decref(j);
    result_free(&r);
    remove_mmar();
}
END_TEST

START_TEST(space_with_trainconf)
{
    char conf[512];
    const char *args[] = {"space", "-m", mmar, "--trainconf", conf, NULL};
    json_t *j, *p;
    result r;

    make_mmar("trn_autoML_Enum.json");
    snprintf(conf, sizeof(conf), "%s/trn_autoML_LR_LP.json", TEST_DATA_DIR); /* absolute */
    r = run(args);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    j = json_loads(r.out, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "trn_autoML_LR_LP.json");
    p = json_array_get(json_object_get(j, "params"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "scale")), "linear");
    ck_assert_double_eq(json_number_value(json_object_get(p, "min")), 0.0001);
    json_decref(j);
    result_free(&r);
    remove_mmar();
}
END_TEST

START_TEST(apply_prints_the_job_config)
{
    const char *args[] = {"apply", "-m", mmar, "--values",
                          "{\"transform.float.train.pre_transforms.7$0:prob\": 0.3}",
                          "--remove-search-augs", NULL};
    json_t *j, *t;
    result r;

    make_mmar("trn_autoML_TransformProb.json");
    r = run(args);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    j = json_loads(r.out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    t = json_array_get(json_object_get(json_object_get(j, "train"), "pre_transforms"), 8);
    ck_assert_double_eq(json_real_value(json_object_get(json_object_get(t, "args"), "prob")),
                        0.3);
    ck_assert_ptr_null(json_object_get(t, "apply"));
    ck_assert_ptr_null(strstr(r.out, "\"search\""));
    json_decref(j);
    result_free(&r);
    remove_mmar();
}
END_TEST

static void expect_failure(const char *const *args, const char *fragment)
{
    result r = run(args);

    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strstr(r.err, fragment) != NULL, "stderr '%s' lacks '%s'", r.err, fragment);
    result_free(&r);
}

START_TEST(errors_exit_2_with_nothing_on_stdout)
{
    make_mmar("trn_autoML_TransformProb.json");
    {
        const char *a[] = {"space", NULL};
        expect_failure(a, "-m <mmar> is required");
    }
    {
        const char *a[] = {"space", "-m", "/nonexistent", NULL};
        expect_failure(a, "/nonexistent/config/config_train.json");
    }
    {
        const char *a[] = {"space", "-m", mmar, "--bogus", NULL};
        expect_failure(a, "unknown or incomplete option '--bogus'");
    }
    {
        const char *a[] = {"apply", "-m", mmar, NULL};
        expect_failure(a, "--values is required");
    }
    {
        const char *a[] = {"apply", "-m", mmar, "--values", "{not json", NULL};
        expect_failure(a, "--values is not valid JSON");
    }
    {
        const char *a[] = {"apply", "-m", mmar, "--values", "[1]", NULL};
        expect_failure(a, "--values must be a JSON object");
    }
    {
        const char *a[] = {"apply", "-m", mmar, "--values", "{\"no.such.prl\": 1}", NULL};
        expect_failure(a, "values.no.such.prl: no such param");
    }
    {
        const char *a[] = {"apply", "-m", mmar, "--values",
                           "{\"transform.float.train.pre_transforms.7$0:prob\": 0.9}", NULL};
        expect_failure(a, "outside [0, 0.8]");
    }
    {
        const char *a[] = {"frobnicate", NULL};
        expect_failure(a, "unknown command 'frobnicate'");
    }
    remove_mmar();
    /* a malformed training config names the file and the line */
    make_mmar("trn_autoML_TransformProb.json");
    {
        char cmd[256];
        const char *a[] = {"space", "-m", mmar, NULL};
        snprintf(cmd, sizeof(cmd), "printf '{\\n\"a\": [1,\\n' > '%s/config/config_train.json'",
                 mmar);
        ck_assert_int_eq(system(cmd), 0);
        expect_failure(a, "config_train.json:3:");
    }
    remove_mmar();
}
END_TEST

START_TEST(help)
{
    const char *a[] = {"--help", NULL}, *b[] = {"space", "--help", NULL},
               *c[] = {"apply", "-h", NULL};
    result r = run(a);

    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: mmarml <command>"));
    result_free(&r);
    r = run(b);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: mmarml space -m <mmar>"));
    result_free(&r);
    r = run(c);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--remove-search-augs"));
    result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, space_prints_the_space);
    tcase_add_test(tc, space_with_trainconf);
    tcase_add_test(tc, apply_prints_the_job_config);
    tcase_add_test(tc, errors_exit_2_with_nothing_on_stdout);
    tcase_add_test(tc, help);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
