/* Progress of real round scripts under MMARExecutor: the progress file protocol (also with
 * hostile lines and 100,000 of them), the log collector (progress_regex), ASHA stopping real
 * trainers that read the stop marker, and a trainer that ignores it (killed after the grace
 * period, still `pruned`). Fixture: tests/data/mmar-progress. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "../lib/mmar/time_text.h"

static char mmar[128];

static void make_mmar(void)
{
    tu_fixture_copy(mmar, sizeof(mmar), TEST_DATA_DIR, "mmar-progress");
}

static void remove_mmar(void)
{
    tu_remove_tree(mmar);
}

/* A pruner that stops every job at its first report at step 3 or later. */
static int stop3_report(int *stop_out, mmarml_pruner *self, const char *job, uint64_t n,
                        double step, double value, mmarml_context *ctx, void *ud)
{
    (void)self, (void)job, (void)n, (void)value, (void)ctx, (void)ud;
    *stop_out = step >= 3;
    return MMARML_OK;
}

static int stop3_factory(void **out, const json_t *args, void *ud)
{
    static const mmarml_pruner_vtable vt = {
        .struct_size = sizeof(mmarml_pruner_vtable),
        .version = MMARML_PRUNER_VTABLE_VERSION,
        .report = stop3_report,
    };

    (void)args, (void)ud;
    return mmarml_pruner_new((mmarml_pruner **)out, &vt, NULL);
}

/* Run the fixture with the AutoML config `conf` and trainer mode `mode`; its run root. */
static void run_fixture(const char *conf, const char *mode, char *run_root, size_t size)
{
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars = json_pack("{s:s}", "run_id", "r");
    char *root = NULL, path[256];

    snprintf(path, sizeof(path), "%s/config/%s", mmar, conf);
    setenv("MMARML_TEST_PROGRESS", mode, 1);
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_PRUNER, "StopAtStep3Pruner",
                                   stop3_factory, NULL));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, mmar, path, vars));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_RUN_ROOT, &root));
    snprintf(run_root, size, "%s", root);
    mmarml_free(root);
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    json_decref(vars);
    unsetenv("MMARML_TEST_PROGRESS");
}

static json_t *stats_jobs(const char *run_root)
{
    char path[1024];
    json_error_t err;
    json_t *stats, *jobs;

    snprintf(path, sizeof(path), "%s/automl_stats_log.json", run_root);
    stats = json_load_file(path, 0, &err);
    ck_assert_msg(stats != NULL, "%s: %s", path, err.text);
    jobs = json_incref(json_object_get(stats, "jobs"));
    json_decref(stats);
    ck_assert_uint_gt(json_array_size(jobs), 0);
    return jobs;
}

/* Report records of job `name` in the run's journal. */
static size_t journal_reports(const char *run_root, const char *name)
{
    char path[1024];
    json_t *recs = NULL, *r;
    size_t i, n = 0;

    snprintf(path, sizeof(path), "%s/journal.mmarml", run_root);
    ck_ok(mmarml_journal_read(&recs, path, NULL));
    json_array_foreach(recs, i, r)
    n += strcmp(json_string_value(json_object_get(r, "t")), "report") == 0 &&
         strcmp(json_string_value(json_object_get(r, "job")), name) == 0;
    json_decref(recs);
    return n;
}

/* The times of job `name`'s report records: the trainer's, t0 + step, but for the steps up
 * to `read_to`: with the progress file (read_to 4), step 2, whose line's time is not a
 * time, and step 3, whose time is the year 2100 (a clock far ahead), have the time the line
 * was read, within the run, and step 4 is 250 s ahead of the run (within the clocks'
 * slack); with the log (read_to 2), step 2's time is not a time. */
static void check_report_times(const char *run_root, const char *name, double t0,
                               double run_start, int read_to)
{
    char path[1024];
    json_t *recs = NULL, *r;
    size_t i;

    snprintf(path, sizeof(path), "%s/journal.mmarml", run_root);
    ck_ok(mmarml_journal_read(&recs, path, NULL));
    json_array_foreach(recs, i, r)
    {
        double step = json_number_value(json_object_get(r, "step"));
        double when = json_number_value(json_object_get(r, "time"));

        if (strcmp(json_string_value(json_object_get(r, "t")), "report") != 0 ||
            strcmp(json_string_value(json_object_get(r, "job")), name) != 0)
            continue;
        if (step == 2 || (step == 3 && read_to >= 3)) {
            ck_assert_double_ge(when, run_start);
            ck_assert_double_le(when, (double)time(NULL) + 1);
        } else if (step == 4 && read_to >= 4) {
            ck_assert_double_ge(when, run_start + 250);
            ck_assert_double_le(when, (double)time(NULL) + 251);
        } else {
            ck_assert_double_eq(when, t0 + step);
        }
    }
    json_decref(recs);
}

static size_t file_count(const char *run_root, const char *file, const char *needle)
{
    char path[1024], line[4096];
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", run_root, file);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

#define JOB_STR(job, key) json_string_value(json_object_get(job, key))
#define JOB_NUM(job, key) json_number_value(json_object_get(job, key))

/* Run the fixture in a new MMAR with trainers whose clock is a minute behind the run's,
 * which started at *start: their time for epoch e is *t0 + e. */
static void run_with_clock_behind(const char *conf, const char *mode, char *run_root,
                                  size_t size, double *start, double *t0)
{
    char t0_text[32];

    *start = (double)time(NULL);
    *t0 = *start - 60;
    snprintf(t0_text, sizeof(t0_text), "%.0f", *t0);
    setenv("MMARML_TEST_T0", t0_text, 1);
    make_mmar();
    run_fixture(conf, mode, run_root, size);
    unsetenv("MMARML_TEST_T0");
}

START_TEST(progress_file_reports_reach_the_run)
{
    char run_root[512];
    json_t *jobs, *job;
    size_t i;
    double start, t0;

    run_with_clock_behind("config_automl.json", "curve", run_root, sizeof(run_root), &start,
                          &t0);
    jobs = stats_jobs(run_root);
    ck_assert_uint_eq(json_array_size(jobs), 4);
    json_array_foreach(jobs, i, job)
    {
        ck_assert_str_eq(JOB_STR(job, "status"), "ok");
        ck_assert_int_eq(json_integer_value(json_object_get(job, "reports")), 10);
        ck_assert_double_eq(JOB_NUM(job, "last_step"), 10);
        ck_assert_uint_eq(journal_reports(run_root, JOB_STR(job, "job")), 10);
        check_report_times(run_root, JOB_STR(job, "job"), t0, start, 4);
    }
    /* the lines whose time was not a number, or not while the job ran, were kept, and said */
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "\"time\" is not seconds since"), 4);
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "is not while the job ran"), 4);
    json_decref(jobs);
    remove_mmar();
}
END_TEST

START_TEST(asha_stops_real_trainers_through_the_stop_marker)
{
    char run_root[512], path[768];
    json_t *jobs, *job;
    size_t i, pruned = 0, ok = 0;
    struct stat st;

    make_mmar();
    run_fixture("config_automl_asha.json", "curve", run_root, sizeof(run_root));
    jobs = stats_jobs(run_root);
    ck_assert_uint_eq(json_array_size(jobs), 9);
    json_array_foreach(jobs, i, job)
    {
        const char *name = JOB_STR(job, "job");
        double q = json_number_value(json_object_get(json_object_get(job, "concrete"),
                                                     "score"));
        snprintf(path, sizeof(path), "%s/%s/.mmarml_stop", run_root, name);
        if (strcmp(JOB_STR(job, "status"), "ok") == 0) {
            ok++;
            ck_assert_int_ne(stat(path, &st), 0);
            continue;
        }
        ck_assert_str_eq(JOB_STR(job, "status"), "pruned");
        pruned++;
        ck_assert_double_lt(JOB_NUM(job, "last_step"), 10);
        /* its score: the best value it reported (values rise: the last) */
        if (q > 0)
            ck_assert_double_eq_tol(JOB_NUM(job, "score"),
                                    q * (1 - exp(-JOB_NUM(job, "last_step") / 3)), 1e-9);
        /* the marker was written, and the trainer saw it and left on its own */
        ck_assert_int_eq(stat(path, &st), 0);
        snprintf(path, sizeof(path), "%s/%s", run_root, name);
        ck_assert_uint_eq(file_count(path, "log.txt", "stop marker seen"), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(job, "exit_code")), 0);
    }
    ck_assert_uint_gt(pruned, 0);
    ck_assert_uint_gt(ok, 0);
    json_decref(jobs);
    remove_mmar();
}
END_TEST

START_TEST(hostile_progress_lines_are_skipped_and_said)
{
    char run_root[512];
    json_t *jobs, *job;
    size_t i;

    make_mmar();
    run_fixture("config_automl.json", "hostile", run_root, sizeof(run_root));
    jobs = stats_jobs(run_root);
    json_array_foreach(jobs, i, job)
    {
        ck_assert_str_eq(JOB_STR(job, "status"), "ok");
        /* steps 1 and 2, then 3..100002; everything else skipped or dropped */
        ck_assert_int_eq(json_integer_value(json_object_get(job, "reports")), 100002);
        ck_assert_double_eq(JOB_NUM(job, "last_step"), 100002);
    }
    /* the first five per job said, then a count; the torn last line said too */
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "progress file line skipped"), 5);
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "malformed progress lines skipped"),
                      json_array_size(jobs));
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "steps must increase"), 1);
    json_decref(jobs);
    remove_mmar();
}
END_TEST

/* The times a trainer may write, as numbers and as ISO 8601 dates and times, and what is not
 * one. 2026-12-08T00:49:19Z is 1796690959 s after the epoch. */
START_TEST(trainer_times_are_numbers_or_iso_dates)
{
    static const struct {
        const char *text;
        double seconds;
    } good[] = {
        {"1796441338.55", 1796441338.55},
        {"0", 0},
        {"1.7e9", 1.7e9},
        {"2026-12-08T00:49:19Z", 1796690959},
        {"2026-12-08T00:49:19.25Z", 1796690959.25},
        {"2026-12-08t02:49:19,5+02:00", 1796690959.5},
        {"2026-12-08 01:49:19,250 +0100", 1796690959.25},
        {"2026-12-07T19:49:19-05", 1796690959},
        {"2026-12-07T19:19:19-05:30", 1796690959},
        {"2026-12-08T00:49:19.000000000001z", 1796690959},
        {"2028-02-29T00:00:00Z", 1835395200},
        {"1970-01-01T00:00:00Z", 0},
        /* no offset: local time, here UTC+5:30 (TZ below), as Python's logging prints it */
        {"2026-12-08 06:19:19,250", 1796690959.25},
        {"2026-12-08T06:19:19", 1796690959},
    };
    static const char *const bad[] = {
        "", "yesterday", "-5", "+5", "inf", "nan", "0x10", " 12", "12 ", "1e999", "1-2",
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
        "2026-12-32T00:00:00Z", "2026-12-08T24:00:00Z", "2026-12-08T00:60:00Z",
        "2026-12-08T00:00:61Z", "2026-12-08", "2026-12-08T00:49", "2026-12-08T00:49:19.",
        "2026-12-08T00:49:19+2", "2026-12-08T00:49:19+02:", "2026-12-08T00:49:19+24:00",
        "2026-12-08T00:49:19+01:60", "2026-12-08T00:49:19Zjunk", "2026-12-08T00:49:19 ",
        "2026-12-08X00:49:19Z", "1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
        "2026-1-08T00:49:19Z", "2026-12-08T00:49:19 Z junk",
    };
    const char *tz = getenv("TZ");
    char *saved = tz != NULL ? strdup(tz) : NULL;
    double out;
    size_t i;

    setenv("TZ", "IST-5:30", 1); /* POSIX: 5 h 30 min east of UTC, no tzdata needed */
    tzset();
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        out = -1;
        ck_assert_msg(mmar_time_parse(good[i].text, &out) == 0, "refused '%s'", good[i].text);
        ck_assert_msg(fabs(out - good[i].seconds) < 1e-6, "'%s': %.6f, not %.6f",
                      good[i].text, out, good[i].seconds);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mmar_time_parse(bad[i], &out) != 0, "took '%s'", bad[i]);
    ck_assert_int_ne(mmar_time_parse(NULL, &out), 0);
    if (saved != NULL)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
}
END_TEST

START_TEST(regex_collects_progress_from_the_log)
{
    char run_root[512];
    json_t *jobs, *job;
    size_t i;

    make_mmar();
    run_fixture("config_automl_regex.json", "regex", run_root, sizeof(run_root));
    jobs = stats_jobs(run_root);
    ck_assert_uint_eq(json_array_size(jobs), 2);
    json_array_foreach(jobs, i, job)
    {
        ck_assert_str_eq(JOB_STR(job, "status"), "ok");
        ck_assert_int_eq(json_integer_value(json_object_get(job, "reports")), 10);
    }
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "group is not a number"), 2);
    json_decref(jobs);
    remove_mmar();
}
END_TEST

/* A log whose lines begin with the time the logger printed (Python logging's asctime, local
 * time): progress_regex_groups takes it as the report's time. Epoch 2's time is not a date;
 * its line is kept, with the time it was read. */
START_TEST(regex_takes_the_log_lines_time)
{
    char run_root[512];
    json_t *jobs, *job;
    size_t i;
    double start, t0;

    run_with_clock_behind("config_automl_regex_time.json", "regex_time", run_root,
                          sizeof(run_root), &start, &t0);
    jobs = stats_jobs(run_root);
    ck_assert_uint_eq(json_array_size(jobs), 2);
    json_array_foreach(jobs, i, job)
    {
        ck_assert_str_eq(JOB_STR(job, "status"), "ok");
        ck_assert_int_eq(json_integer_value(json_object_get(job, "reports")), 10);
        check_report_times(run_root, JOB_STR(job, "job"), t0, start, 2);
    }
    ck_assert_uint_ge(file_count(run_root, "trace.txt", "time group is not seconds since"), 2);
    json_decref(jobs);
    remove_mmar();
}
END_TEST

START_TEST(a_trainer_ignoring_the_stop_is_killed_and_still_pruned)
{
    char run_root[512];
    json_t *jobs, *job;
    struct timespec t0, t1;

    make_mmar();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_fixture("config_automl_stop.json", "ignore", run_root, sizeof(run_root));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    jobs = stats_jobs(run_root);
    job = json_array_get(jobs, 0);
    ck_assert_str_eq(JOB_STR(job, "status"), "pruned");
    ck_assert_int_eq(json_integer_value(json_object_get(job, "signal")), 9);
    /* reports after the stop were not taken: it was judged at step 3 */
    ck_assert_double_eq(JOB_NUM(job, "last_step"), 3);
    /* 600 steps would take 30 s: SIGTERM (ignored) after the 1 s grace period, SIGKILL 1 s
     * later */
    ck_assert_double_lt((double)(t1.tv_sec - t0.tv_sec), 15);
    json_decref(jobs);
    remove_mmar();
}
END_TEST

static Suite *progress_suite(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, progress_file_reports_reach_the_run);
    tcase_add_test(tc, asha_stops_real_trainers_through_the_stop_marker);
    tcase_add_test(tc, hostile_progress_lines_are_skipped_and_said);
    tcase_add_test(tc, trainer_times_are_numbers_or_iso_dates);
    tcase_add_test(tc, regex_collects_progress_from_the_log);
    tcase_add_test(tc, regex_takes_the_log_lines_time);
    tcase_add_test(tc, a_trainer_ignoring_the_stop_is_killed_and_still_pruned);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(progress_suite());
}
