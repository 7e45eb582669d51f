/* mmarml prune-replay: a run's reports replayed through a pruner say what a pruned run
 * does (one worker, random search: exactly), and bad input is refused saying what was
 * wrong. Fixture: tests/data/mmar-progress (its trainer's "curve" mode). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char mmar[128];

static void make_mmar(void)
{
    tu_fixture_copy(mmar, sizeof(mmar), TEST_DATA_DIR, "mmar-progress");
}

static void remove_mmar(void)
{
    tu_remove_tree(mmar);
}

/* `mmarml run` on the fixture with the AutoML config `conf`, as run `run_id`, started in
 * the MMAR. */
static void run(const char *conf, const char *run_id)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "cd '%s' && MMARML_TEST_PROGRESS=curve '%s' run -m . -a "
             "'%s' --set run_id=%s >/dev/null 2>&1", mmar, MMARML_BIN, conf, run_id);
    ck_assert_int_eq(system(cmd), 0);
}

/* Run `mmarml prune-replay <args>`; its exit status, its stdout and stderr in out. */
static int replay(const char *args, char *out, size_t size)
{
    char cmd[2048], path[256];
    FILE *f;
    size_t n;
    int status;

    snprintf(path, sizeof(path), "%s/replay.out", mmar);
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' prune-replay %s >'%s' 2>&1", mmar, MMARML_BIN,
             args, path);
    status = system(cmd);
    ck_assert(WIFEXITED(status));
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
    return WEXITSTATUS(status);
}

static json_t *stats_jobs(const char *run_id)
{
    char path[512];
    json_error_t err;
    json_t *stats, *jobs;

    snprintf(path, sizeof(path), "%s/automl/%s/automl_stats_log.json", mmar, run_id);
    stats = json_load_file(path, 0, &err);
    ck_assert_msg(stats != NULL, "%s: %s", path, err.text);
    jobs = json_incref(json_object_get(stats, "jobs"));
    json_decref(stats);
    return jobs;
}

static const json_t *job_named(const json_t *jobs, const char *name)
{
    const json_t *j;
    size_t i;

    json_array_foreach(jobs, i, j)
    if (strcmp(json_string_value(json_object_get(j, "job")), name) == 0)
        return j;
    return NULL;
}

/* The replay of run "plain" through the pruner of config_automl_replay_<pruner>.json
 * against the run with that pruner; the jobs it stopped, and their steps summed in *steps. */
static size_t check_replay_against_run(const char *pruner, double *steps)
{
    static char out[1 << 16];
    char conf[128], args[256];
    json_t *replayed, *pruned_jobs;
    const json_t *rj, *summary;
    json_error_t err;
    size_t i, stopped = 0;

    snprintf(conf, sizeof(conf), "config_automl_replay_%s.json", pruner);
    run(conf, pruner);
    snprintf(args, sizeof(args), "--json -a config/%s automl/plain", conf);
    ck_assert_int_eq(replay(args, out, sizeof(out)), 0);
    replayed = json_loads(out, 0, &err);
    ck_assert_msg(replayed != NULL, "%s: %s", err.text, out);
    pruned_jobs = stats_jobs(pruner);
    ck_assert_uint_eq(json_array_size(json_object_get(replayed, "jobs")), 10);
    ck_assert_uint_eq(json_array_size(pruned_jobs), 10);
    *steps = 0;
    json_array_foreach(json_object_get(replayed, "jobs"), i, rj)
    {
        const char *name = json_string_value(json_object_get(rj, "job"));
        const json_t *pj = job_named(pruned_jobs, name);
        const json_t *at = json_object_get(rj, "stopped_at");
        double last = json_number_value(json_object_get(pj, "last_step"));

        ck_assert_msg(pj != NULL, "%s: %s is not in the pruned run", pruner, name);
        ck_assert_str_eq(json_string_value(json_object_get(rj, "status")), "ok");
        if (strcmp(json_string_value(json_object_get(pj, "status")), "pruned") == 0) {
            ck_assert_msg(json_is_number(at), "%s: %s pruned in the run, not in the replay",
                          pruner, name);
            ck_assert_double_eq(json_number_value(at), last);
            stopped++;
        } else {
            ck_assert_msg(json_is_null(at), "%s: %s stopped in the replay only", pruner, name);
            ck_assert_double_eq(last, 10);
        }
        *steps += last;
    }
    /* the check means something only when the pruner stopped some jobs and not all */
    ck_assert_uint_gt(stopped, 0);
    ck_assert_uint_lt(stopped, 10);
    summary = json_object_get(replayed, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "stopped")), (int)stopped);
    ck_assert_double_eq(json_number_value(json_object_get(summary, "steps_run")), 100);
    ck_assert_double_eq(json_number_value(json_object_get(summary, "steps_replayed")), *steps);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "reports")), 100);
    ck_assert_double_gt(json_number_value(json_object_get(summary, "gpu_seconds_saved")), 0);
    ck_assert_double_lt(json_number_value(json_object_get(summary, "gpu_seconds_saved")),
                        json_number_value(json_object_get(summary, "gpu_seconds")));
    json_decref(pruned_jobs);
    json_decref(replayed);
    return stopped;
}

/* The run without a pruner, replayed through a pruner, stops the jobs the run with it
 * stopped, at the steps it stopped them: with one worker the jobs end in the same order,
 * and random search proposes the same jobs whatever their outcomes. Three pruners: one
 * that compares with the jobs that ended ok, one with every job at a rung, one with the
 * pruned jobs too. */
START_TEST(the_replay_is_what_the_pruned_run_did)
{
    static char out[1 << 16];
    char line[64];
    size_t stopped;
    double steps;

    make_mmar();
    run("config_automl_replay.json", "plain");
    check_replay_against_run("asha", &steps);
    check_replay_against_run("percentile", &steps);
    stopped = check_replay_against_run("median", &steps);
    /* the lines say the same */
    ck_assert_int_eq(replay("-p '{\"name\": \"MedianPruner\", \"args\": {\"n_startup_trials\": "
                            "2, \"n_warmup_steps\": 2}}' automl/plain", out, sizeof(out)), 0);
    snprintf(line, sizeof(line), "stopped %zu of 10 jobs; steps 100 -> %.0f", stopped, steps);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in: %s", line, out);
    ck_assert_ptr_nonnull(strstr(out, "the run's best job W1_"));
    /* several pruners: one line each, in the order given, and a JSON array of the same */
    ck_assert_int_eq(replay("-a config/config_automl_replay_median.json -p '{\"name\": "
                            "\"NopPruner\"}' automl/plain", out, sizeof(out)), 0);
    snprintf(line, sizeof(line), "%-10zu %-9.0f", stopped, steps);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in: %s", line, out);
    ck_assert_ptr_nonnull(strstr(out, "0          100"));
    {
        const char *median = strstr(out, "MedianPruner {\"n_startup_trials\":2,"
                                         "\"n_warmup_steps\":2}");
        const char *nop = strstr(out, "NopPruner");
        ck_assert_msg(median != NULL && nop != NULL && median < nop, "%s", out);
    }
    ck_assert_int_eq(replay("--json -a config/config_automl_replay_median.json -p "
                            "'{\"name\": \"NopPruner\"}' automl/plain", out, sizeof(out)), 0);
    {
        json_error_t err;
        json_t *both = json_loads(out, 0, &err);
        ck_assert_msg(json_is_array(both) && json_array_size(both) == 2, "%s", out);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
                             json_array_get(both, 0), "summary"), "stopped")), (int)stopped);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
                             json_array_get(both, 1), "summary"), "stopped")), 0);
        json_decref(both);
    }
    remove_mmar();
}
END_TEST

/* A pruner that writes down every call is told, in a run and in the replay of a run without
 * a pruner, the same reports, job contexts (`_jobName`, `_recommendation`) and ends, with
 * the same statuses, in the same order, and says the same. */
START_TEST(the_pruner_is_told_what_the_run_told_it)
{
    static char out[1 << 16];
    char path[512], args[1200], *spec_text;
    json_t *conf, *spec;
    json_error_t err;
    char *in_run, *in_replay;

    make_mmar();
    run("config_automl_replay.json", "plain");
    snprintf(path, sizeof(path), "%s/config/config_automl_replay.json", mmar);
    conf = json_load_file(path, 0, &err);
    ck_assert_ptr_nonnull(conf);
    snprintf(path, sizeof(path), "%s/libtestplugin.so:test_plugin_logging_pruner",
             TEST_PLUGIN_DIR);
    spec = json_pack("{s:s, s:{s:s, s:{s:s, s:{s:i, s:i}}}}", "path", path, "args", "log",
                     "run.log", "wrapped", "name", "MedianPruner", "args", "n_startup_trials",
                     2, "n_warmup_steps", 2);
    ck_assert_ptr_nonnull(spec);
    json_object_set(conf, "pruner", spec); /* its log: <mmar>/run.log */
    snprintf(path, sizeof(path), "%s/config/config_automl_replay_logging.json", mmar);
    ck_assert_int_eq(json_dump_file(conf, path, 0), 0);
    run("config_automl_replay_logging.json", "logging");
    json_object_set_new(json_object_get(spec, "args"), "log", json_string("replay.log"));
    spec_text = json_dumps(spec, 0);
    ck_assert_ptr_nonnull(spec_text);
    snprintf(args, sizeof(args), "-p '%s' automl/plain", spec_text);
    free(spec_text);
    ck_assert_int_eq(replay(args, out, sizeof(out)), 0);
    snprintf(path, sizeof(path), "%s/run.log", mmar);
    in_run = tu_read_file(path);
    snprintf(path, sizeof(path), "%s/replay.log", mmar);
    in_replay = tu_read_file(path);
    ck_assert_str_eq(in_replay, in_run);
    /* what makes the comparison mean something */
    ck_assert_ptr_nonnull(strstr(in_run, "ctx W1_5_J5 rec yes -> stop"));
    ck_assert_ptr_nonnull(strstr(in_run, "ended W1_5_J5 5 pruned"));
    ck_assert_ptr_nonnull(strstr(in_run, "ended W1_1_J1 1 ok"));
    free(in_run);
    free(in_replay);
    json_decref(spec);
    json_decref(conf);
    remove_mmar();
}
END_TEST

/* Write `records` as a journal at `path`, each framed as the journal frames it. */
static void write_journal(const char *path, const json_t *records)
{
    FILE *f = fopen(path, "w");
    const json_t *r;
    size_t i;

    ck_assert_ptr_nonnull(f);
    json_array_foreach(records, i, r)
    {
        char *text = json_dumps(r, JSON_COMPACT);
        ck_assert_ptr_nonnull(text);
        tu_put_record(f, text);
        free(text);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* A journal whose job name holds escape sequences (damaged, or made to harm): the lines show
 * its control bytes as '?', the JSON escapes them, and the replay is the same. */
START_TEST(hostile_job_names_reach_no_terminal)
{
    static char out[1 << 16];
    static const char hostile[] = "W1\x1b[2J\x07_J1\r";
    char path[512];
    json_t *recs = NULL, *r, *replayed;
    json_error_t err;
    size_t i;

    make_mmar();
    run("config_automl_replay.json", "plain");
    snprintf(path, sizeof(path), "%s/automl/plain/journal.mmarml", mmar);
    ck_ok(mmarml_journal_read(&recs, path, NULL));
    json_array_foreach(recs, i, r)
    {
        const char *job = json_string_value(json_object_get(r, "job"));
        if (job != NULL && strcmp(job, "W1_1_J1") == 0)
            json_object_set_new(r, "job", json_string(hostile));
    }
    snprintf(path, sizeof(path), "%s/hostile.mmarml", mmar);
    write_journal(path, recs);
    ck_assert_int_eq(replay("-p '{\"name\": \"MedianPruner\"}' --journal hostile.mmarml "
                            "automl/plain", out, sizeof(out)), 0);
    ck_assert_ptr_null(strchr(out, '\x1b'));
    ck_assert_ptr_null(strchr(out, '\x07'));
    ck_assert_ptr_null(strchr(out, '\r'));
    ck_assert_msg(strstr(out, "W1?[2J?_J1?") != NULL, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "10 jobs, 100 reports"));
    ck_assert_int_eq(replay("--json -p '{\"name\": \"MedianPruner\"}' --journal "
                            "hostile.mmarml automl/plain", out, sizeof(out)), 0);
    replayed = json_loads(out, 0, &err);
    ck_assert_msg(replayed != NULL, "%s: %s", err.text, out);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(replayed, "jobs"), 0), "job")),
                     hostile);
    json_decref(replayed);
    json_decref(recs);
    remove_mmar();
}
END_TEST

START_TEST(bad_input_is_refused_saying_what)
{
    static char out[1 << 16];
    static const struct {
        const char *args;
        int status;
        const char *says;
    } cases[] = {
        {"-p '{\"name\": \"MedianPruner\"}' automl/none", 1, "automl/none/journal.mmarml"},
        {"-p '{\"name\": \"MedianPruner\"' automl/r", 1, "--pruner: not JSON"},
        {"-p '{\"name\": \"MedianPrunr\"}' automl/r", 1, "MedianPrunr"},
        {"-p '{\"name\": \"ASHAPruner\", \"args\": {\"reduction_factor\": 1}}' automl/r", 1,
         "reduction_factor"},
        {"-a config/config_automl_replay.json automl/r", 1,
         "config/config_automl_replay.json: has no \"pruner\""},
        {"-a config/nowhere.json automl/r", 1, "config/nowhere.json"},
        {"automl/r", 2, "give a pruner with -p or -a"},
        /* of several pruners, one that cannot be made fails the command, saying which */
        {"-p '{\"name\": \"MedianPruner\"}' -a config/config_automl_replay.json automl/r", 1,
         "config/config_automl_replay.json: has no \"pruner\""},
        {"-p '{\"name\": \"MedianPruner\"}'", 2, "give one run root"},
        {"-p '{\"name\": \"MedianPruner\"}' --journal config/config_train.json automl/r", 1,
         "config/config_train.json"},
        {"--bogus automl/r", 2, "bad option '--bogus'"},
    };
    char cmd[512];
    size_t i;

    make_mmar();
    run("config_automl.json", "r");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = replay(cases[i].args, out, sizeof(out));
        ck_assert_msg(status == cases[i].status, "%s: exit %d, not %d: %s", cases[i].args,
                      status, cases[i].status, out);
        ck_assert_msg(strstr(out, cases[i].says) != NULL, "%s: no '%s' in: %s", cases[i].args,
                      cases[i].says, out);
        /* refused before anything is replayed: no half a table */
        ck_assert_msg(strstr(out, " jobs, ") == NULL, "%s: printed: %s", cases[i].args, out);
    }
    /* a journal torn in its last record (a run killed mid-write) is replayed up to it */
    snprintf(cmd, sizeof(cmd), "cd '%s' && cp automl/r/journal.mmarml torn && truncate -s -7 "
             "torn", mmar);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(replay("-p '{\"name\": \"MedianPruner\"}' --journal torn automl/r", out,
                            sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "4 jobs"));
    remove_mmar();
}
END_TEST

static Suite *prune_replay_suite(void)
{
    Suite *s = suite_create("prune_replay");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_replay_is_what_the_pruned_run_did);
    tcase_add_test(tc, the_pruner_is_told_what_the_run_told_it);
    tcase_add_test(tc, hostile_job_names_reach_no_terminal);
    tcase_add_test(tc, bad_input_is_refused_saying_what);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(prune_replay_suite());
}
