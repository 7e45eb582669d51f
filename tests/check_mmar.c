/* MMAR AutoML through the library: the executor, the handlers and config_automl.json on
 * real round scripts (tests/data/mmar-faults), with every kind of trainer fault, hostile
 * input, descriptor leaks, the keep policy, stop_threshold and the in-process trainer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static const char *const modes[] = {"ok", "fail", "signal", "hang", "hang_hard",
                                    "no_stats", "bad_stats", "nan", "fds"};

/* ---- PlanController: the recommendations a test lists, all at once, in order ---- */
typedef struct {
    char plan[512];
    mmarml_search_space *space;
} plan_ctl;

static int plan_set(mmarml_controller *self, mmarml_search_space *space, mmarml_context *ctx,
                    void *ud)
{
    (void)self, (void)ctx;
    ((plan_ctl *)ud)->space = mmarml_search_space_ref(space);
    return MMARML_OK;
}

/* "mode[:score][:!]" entries separated by ',' ("!" = the hostile text). */
static int plan_initial(mmarml_recommendation_list *out, mmarml_controller *self,
                        mmarml_context *ctx, void *ud)
{
    plan_ctl *p = ud;
    char buf[512], *entry, *save = NULL;
    int64_t id = 0;

    (void)self, (void)ctx;
    snprintf(buf, sizeof(buf), "%s", p->plan);
    for (entry = strtok_r(buf, ",", &save); entry != NULL; entry = strtok_r(NULL, ",", &save)) {
        double v[3] = {0, 0.5, 0};
        char *colon = strchr(entry, ':');
        mmarml_recommendation *rec = NULL;
        size_t m;
        if (colon != NULL) {
            *colon = '\0';
            v[1] = atof(colon + 1);
            v[2] = strchr(colon + 1, '!') != NULL;
        }
        for (m = 0; m < sizeof(modes) / sizeof(modes[0]) && strcmp(modes[m], entry) != 0; m++)
            ;
        ck_assert_msg(m < sizeof(modes) / sizeof(modes[0]), "unknown mode %s", entry);
        v[0] = (double)m;
        ck_ok(mmarml_recommendation_new(&rec, id++, p->space, v, 3));
        ck_ok(mmarml_recommendation_list_append(out, rec));
        mmarml_recommendation_unref(rec);
    }
    return MMARML_OK;
}

static int plan_refine(mmarml_recommendation_list *out, mmarml_controller *self,
                       const mmarml_outcome *o, mmarml_context *ctx, void *ud)
{
    (void)out, (void)self, (void)o, (void)ctx, (void)ud;
    return MMARML_OK;
}

static void plan_destroy(void *ud)
{
    mmarml_search_space_unref(((plan_ctl *)ud)->space);
    free(ud);
}

static int plan_factory(void **out, const json_t *args, void *ud)
{
    static const mmarml_controller_vtable vt = {
        .struct_size = sizeof(mmarml_controller_vtable),
        .version = MMARML_CONTROLLER_VTABLE_VERSION,
        .set_search_space = plan_set,
        .initial_recommendation = plan_initial,
        .refine_recommendation = plan_refine,
        .destroy = plan_destroy,
    };
    plan_ctl *p = calloc(1, sizeof(*p));
    int rc;

    (void)ud;
    snprintf(p->plan, sizeof(p->plan), "%s",
             json_string_value(json_object_get(args, "plan")));
    rc = mmarml_controller_new((mmarml_controller **)out, &vt, p);
    if (rc != MMARML_OK)
        free(p);
    return rc;
}

/* ---- the fixture MMAR, copied to a temporary directory ---- */
static char mmar[128];

static void make_mmar(void)
{
    char cmd[512];

    tu_fixture_copy(mmar, sizeof(mmar), TEST_DATA_DIR, "mmar-faults");
    /* made here, not committed: make dist would turn it into a file */
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/resources' && ln -s ../config/config_train.json "
             "'%s/resources/train_link.json'", mmar, mmar);
    ck_assert_int_eq(system(cmd), 0);
}

static void remove_mmar(void)
{
    tu_remove_tree(mmar);
}

typedef struct {
    int rc;
    char message[1024];
    char run_root[512];
    int end_reason;
} run_result;

/* Run the fixture with `plan`, extra --set variables (k=v,... may be NULL), and an
 * optional AutoML config file name. */
static run_result run_plan(const char *plan, const char *sets, const char *automlconf)
{
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars = json_pack("{s:s, s:s, s:s}", "controller", "PlanController", "plan", plan,
                             "run_id", "r1");
    run_result res;
    char buf[512], *tok, *save = NULL;
    char *root = NULL;

    memset(&res, 0, sizeof(res));
    if (sets != NULL) {
        snprintf(buf, sizeof(buf), "%s", sets);
        for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(tok, '=');
            *eq = '\0';
            json_object_set_new(vars, tok, json_string(eq + 1));
        }
    }
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_CONTROLLER, "PlanController",
                                   plan_factory, NULL));
    ck_ok(mmarml_context_new(&ctx, NULL));
    res.rc = mmarml_automl_engine_new(&e, ctx, reg, mmar, automlconf, vars);
    if (res.rc == MMARML_OK) {
        res.rc = mmarml_engine_run(e, ctx);
        res.end_reason = mmarml_engine_end_reason(e);
    }
    snprintf(res.message, sizeof(res.message), "%s", mmarml_error_message());
    if (mmarml_context_get_string(ctx, MMARML_KEY_RUN_ROOT, &root) == MMARML_OK)
        snprintf(res.run_root, sizeof(res.run_root), "%s", root);
    mmarml_free(root);
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    json_decref(vars);
    return res;
}

static json_t *load_json(const char *dir, const char *file)
{
    char path[1024];
    json_error_t err;
    json_t *j;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    j = json_load_file(path, 0, &err);
    ck_assert_msg(j != NULL, "%s: %s", path, err.text);
    return j;
}

/* The job record of recommendation `id` in the stats file. */
static json_t *job_of(json_t *stats, int64_t id)
{
    size_t i;
    json_t *job;

    json_array_foreach(json_object_get(stats, "jobs"), i, job) if (
        json_integer_value(json_object_get(job, "rec_id")) == id) return job;
    ck_abort_msg("no job for recommendation %lld", (long long)id);
    return NULL;
}

static const char *status_of(json_t *stats, int64_t id)
{
    return json_string_value(json_object_get(job_of(stats, id), "status"));
}


START_TEST(every_fault_gets_its_status)
{
    run_result r;
    json_t *stats;
    char path[1024], line[64];
    FILE *f;

    make_mmar();
    r = run_plan("ok:0.9,fail,signal,no_stats,bad_stats,nan,hang,hang_hard,ok:0.4", NULL, NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    stats = load_json(r.run_root, "automl_stats_log.json");
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 9);
    ck_assert_str_eq(status_of(stats, 0), "ok");
    ck_assert_double_eq(json_real_value(json_object_get(job_of(stats, 0), "score")), 0.9);
    ck_assert_str_eq(status_of(stats, 1), "failed");
    ck_assert_int_eq(json_integer_value(json_object_get(job_of(stats, 1), "exit_code")), 3);
    ck_assert_str_eq(status_of(stats, 2), "failed");
    ck_assert_int_eq(json_integer_value(json_object_get(job_of(stats, 2), "signal")), 9);
    ck_assert_str_eq(status_of(stats, 3), "no_score");
    ck_assert_str_eq(status_of(stats, 4), "no_score");
    ck_assert_str_eq(status_of(stats, 5), "no_score");
    ck_assert_str_eq(status_of(stats, 6), "timeout");
    ck_assert_str_eq(status_of(stats, 7), "timeout"); /* ignored SIGTERM: killed */
    ck_assert_str_eq(status_of(stats, 8), "ok");
    ck_assert_double_eq(json_real_value(json_object_get(job_of(stats, 3), "score")),
                        MMARML_NO_SCORE_SENTINEL);
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "recommendations")), 9);
    ck_assert(json_is_object(json_object_get(stats, "search_space")));
    /* best -> the 0.9 job; summary lists it first */
    snprintf(path, sizeof(path), "%s/best/models/train_stats.json", r.run_root);
    ck_assert_int_eq(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/summary.txt", r.run_root);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    ck_assert_str_eq(line, "AutoML summary\n");
    fclose(f);
    /* the workers' GPUs reached the trainers: W1 has 0,1 and W2 has 2 */
    {
        json_t *job = job_of(stats, 0);
        char gpus[32] = {0};
        const char *worker = json_string_value(json_object_get(job, "worker"));
        snprintf(path, sizeof(path), "%s/%s/gpus.txt", r.run_root,
                 json_string_value(json_object_get(job, "job")));
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(gpus, sizeof(gpus), f));
        fclose(f);
        ck_assert_str_eq(gpus, strcmp(worker, "W1") == 0 ? "0,1\n" : "2\n");
    }
    ck_assert_int_eq(tu_processes_left("1234.5"), 0);
    /* the trainer's environment names its job MMAR, job and run root */
    {
        const char *name = json_string_value(json_object_get(job_of(stats, 0), "job"));
        char want[2048], got[2048] = {0};
        snprintf(path, sizeof(path), "%s/%s/env.txt", r.run_root, name);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_gt(fread(got, 1, sizeof(got) - 1, f), 0);
        fclose(f);
        snprintf(want, sizeof(want), "%s/%s\n%s\n%s\n", r.run_root, name, name, r.run_root);
        ck_assert_str_eq(got, want);
        /* symlinks stay symlinks in the clone */
        snprintf(path, sizeof(path), "%s/%s/resources/train_link.json", r.run_root, name);
        {
            struct stat st;
            char target[256];
            ssize_t n;
            ck_assert_int_eq(lstat(path, &st), 0);
            ck_assert(S_ISLNK(st.st_mode));
            n = readlink(path, target, sizeof(target) - 1);
            ck_assert_int_gt(n, 0);
            target[n] = '\0';
            ck_assert_str_eq(target, "../config/config_train.json");
        }
    }
    /* the trace went to <run_root>/trace.txt (traceout defaults to file) */
    snprintf(path, sizeof(path), "%s/trace.txt", r.run_root);
    ck_assert_int_eq(access(path, R_OK), 0);
    /* the base training config was copied into the run root */
    snprintf(path, sizeof(path), "%s/config_train.json", r.run_root);
    ck_assert_int_eq(access(path, R_OK), 0);
    json_decref(stats);
    remove_mmar();
}
END_TEST

START_TEST(hostile_values_and_no_descriptor_leaks)
{
    char path[1024], line[512];
    run_result r;
    json_t *stats, *config;
    const char *job;
    FILE *f;
    int lines = 0;

    make_mmar();
    r = run_plan("ok:0.5:!,fds:0.6", NULL, NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    stats = load_json(r.run_root, "automl_stats_log.json");
    job = json_string_value(json_object_get(job_of(stats, 0), "job"));
    snprintf(path, sizeof(path), "%s/config/config_train.json", job);
    config = load_json(r.run_root, path);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
                                                           json_object_get(config, "train"),
                                                           "note"),
                                                       "args"),
                                                       "text")),
                     "$(touch pwned) `touch pwned2` \"quoted\" 'single'\nnew line; rm -rf /");
    snprintf(path, sizeof(path), "%s/%s/pwned", r.run_root, job);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_ne(access("pwned", F_OK), 0);
    ck_assert_int_ne(access("pwned2", F_OK), 0);
    json_decref(config);
    /* the trainer's descriptors: 0, 1, 2, and the shell's own script */
    snprintf(path, sizeof(path), "%s/%s/fds.txt", r.run_root,
             json_string_value(json_object_get(job_of(stats, 1), "job")));
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) { /* ls -l: "... <fd> -> <target>" */
        char *arrow = strstr(line, " -> "), *num;
        int fd;
        if (arrow == NULL)
            continue;
        *arrow = '\0';
        num = strrchr(line, ' ');
        fd = atoi(num != NULL ? num + 1 : line);
        *arrow = ' ';
        lines++;
        /* above 2: the shell's script, and its saved copy of stdout (the job's log) */
        ck_assert_msg(fd <= 2 || strstr(line, "automl_train_round.sh") != NULL ||
                          strstr(line, "/log.txt") != NULL,
                      "the trainer inherited: %s", line);
    }
    fclose(f);
    ck_assert_int_ge(lines, 3);
    json_decref(stats);
    remove_mmar();
}
END_TEST

START_TEST(existing_run_root_refuses_and_loses_nothing)
{
    char path[1024];
    struct stat before, after;
    run_result r, r2;

    make_mmar();
    r = run_plan("ok:0.3", NULL, NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    snprintf(path, sizeof(path), "%s/automl_stats_log.json", r.run_root);
    ck_assert_int_eq(stat(path, &before), 0);
    r2 = run_plan("ok:0.9", NULL, NULL);
    ck_assert_int_eq(r2.rc, MMARML_EEXISTS);
    ck_assert_ptr_nonnull(strstr(r2.message, "already exists"));
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert_int_eq(before.st_mtime, after.st_mtime);
    ck_assert_int_eq(before.st_size, after.st_size);
    remove_mmar();
}
END_TEST

START_TEST(hostile_run_ids)
{
    const char *bad[] = {"../evil", "a/b", "..", "bad\nname", ""};
    size_t i;

    make_mmar();
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mmarml_registry *reg = NULL;
        mmarml_context *ctx = NULL;
        mmarml_engine *e = NULL;
        json_t *vars = json_pack("{s:s, s:s, s:s}", "run_id", bad[i], "controller",
                                 "RandomController", "plan", "");
        ck_ok(mmarml_registry_new(&reg));
        ck_ok(mmarml_context_new(&ctx, NULL));
        ck_assert_int_eq(mmarml_automl_engine_new(&e, ctx, reg, mmar, NULL, vars),
                         MMARML_EINVAL);
        ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "run_id"));
        json_decref(vars);
        mmarml_context_unref(ctx);
        mmarml_registry_unref(reg);
    }
    ck_assert(!mmarml_mmar_name_ok("W1/J1"));
    ck_assert(!mmarml_mmar_name_ok("x\x7f"));
    ck_assert(mmarml_mmar_name_ok("W1_1_J1"));
    remove_mmar();
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(keep_policy_best_link_and_stop_threshold)
{
    char conf[256], path[1024], link[256];
    run_result r;
    ssize_t n;

    make_mmar();
    snprintf(conf, sizeof(conf), "%s/config/keep.json", mmar);
    write_file(conf, "{\"engine\": {\"workers\": \"0\"},"
                     " \"handlers\": [{\"name\": \"MMARHandler\", \"args\": "
                     "{\"num_mmars_to_keep\": 2, \"keep_bad_mmars\": false, "
                     "\"stop_threshold\": 0.95}}],"
                     " \"executor\": {\"name\": \"MMARExecutor\"},"
                     " \"controller\": {\"name\": \"{controller}\", \"args\": "
                     "{\"plan\": \"{plan}\"}}}");
    /* one worker: jobs run in plan order; 0.96 stops the run before the last one */
    r = run_plan("ok:0.1,ok:0.4,fail,ok:0.3,ok:0.2,ok:0.96,ok:0.5", NULL, "keep.json");
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_int_eq(r.end_reason, MMARML_END_STOP_ASKED);
    snprintf(path, sizeof(path), "%s/best", r.run_root);
    n = readlink(path, link, sizeof(link) - 1);
    ck_assert_int_gt(n, 0);
    link[n] = '\0';
    ck_assert_str_eq(link, "W1_6_J6"); /* relative, the 0.96 job */
    /* kept: the two best ok jobs (0.96, 0.4); the failed one is gone (keep_bad_mmars off) */
#define EXISTS(job) (snprintf(path, sizeof(path), "%s/" job, r.run_root), access(path, F_OK) == 0)
    ck_assert(EXISTS("W1_6_J6"));
    ck_assert(EXISTS("W1_2_J2"));
    ck_assert(!EXISTS("W1_1_J1"));
    ck_assert(!EXISTS("W1_3_J3"));
    ck_assert(!EXISTS("W1_4_J4"));
    ck_assert(!EXISTS("W1_5_J5"));
    ck_assert(!EXISTS("W1_7_J7"));
#undef EXISTS
    remove_mmar();
}
END_TEST

/* The seed's MMARHandler defaults (num_mmars_to_keep=1, keep_bad_mmars=True); on main
 * before issue 12 all job MMARs were kept and failed ones deleted with their log. Equal
 * scores: `best` always names a kept job MMAR (it dangled when ties outnumbered the kept).
 * Scores print as Clara prints them. */
START_TEST(handler_defaults_ties_and_the_summary)
{
    char conf[256], path[1024], link[256], *summary;
    struct stat st;
    run_result r;
    ssize_t n;
    FILE *f;

    make_mmar();
    snprintf(conf, sizeof(conf), "%s/config/defaults.json", mmar);
    write_file(conf, "{\"handlers\": [{\"name\": \"MMARHandler\", \"args\": "
                     "{\"work_dir\": \"deep/er/automl\"}}],"
                     " \"executor\": {\"name\": \"MMARExecutor\"},"
                     " \"controller\": {\"name\": \"{controller}\", \"args\": "
                     "{\"plan\": \"{plan}\"}}}");
    /* no workers given: one worker, and the user's CUDA_VISIBLE_DEVICES reaches the trainer
     * (on main before issue 12 it was set empty, hiding every GPU) */
    setenv("CUDA_VISIBLE_DEVICES", "5", 1);
    r = run_plan("ok:0.5,ok:0.5,fail,ok:0.5", "traceout=file", "defaults.json");
    unsetenv("CUDA_VISIBLE_DEVICES");
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    /* work_dir made with its parents */
    ck_assert_ptr_nonnull(strstr(r.run_root, "/deep/er/automl/r1"));
    snprintf(path, sizeof(path), "%s/best", r.run_root);
    n = readlink(path, link, sizeof(link) - 1);
    ck_assert_int_gt(n, 0);
    link[n] = '\0';
    ck_assert_str_eq(link, "W1_1_J1"); /* the earliest of the equal best */
    ck_assert_int_eq(stat(path, &st), 0); /* and it is there */
#define EXISTS(job) (snprintf(path, sizeof(path), "%s/" job, r.run_root), access(path, F_OK) == 0)
    ck_assert(EXISTS("W1_1_J1"));
    ck_assert(!EXISTS("W1_2_J2"));
    ck_assert(EXISTS("W1_3_J3/log.txt")); /* a failed job is kept, with its log */
    ck_assert(!EXISTS("W1_4_J4"));
    ck_assert(EXISTS("trace.txt"));
#undef EXISTS
    snprintf(path, sizeof(path), "%s/W1_1_J1/gpus.txt", r.run_root);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(link, sizeof(link), f));
    fclose(f);
    ck_assert_str_eq(link, "5\n");
    snprintf(path, sizeof(path), "%s/summary.txt", r.run_root);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    summary = calloc(1, 8192);
    ck_assert_uint_gt(fread(summary, 1, 8191, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(summary, "Top MMARs to keep: 1\n"));
    ck_assert_ptr_nonnull(strstr(summary, "| W1_1_J1 | 0.5 | W1 | ok |"));
    ck_assert_ptr_nonnull(strstr(summary, "| W1_3_J3 | -1000000.0 | W1 | failed |"));
    free(summary);
    remove_mmar();
}
END_TEST

/* A component's `path`, as Clara's config_automl_BYO_RandomController.json writes it next
 * to a `name`: `path` is what is loaded and `name` only a label; a relative library is found
 * in the MMAR (on main before issue 12 it was looked up on the loader's path or the
 * current directory). */
START_TEST(plugin_paths_are_relative_to_the_mmar)
{
    static const char *const paths[] = {"plugins/libtestplugin.so", "libtestplugin.so"};
    char conf[256], cmd[1024];
    run_result r;
    int i;

    make_mmar();
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/plugins' && cp '%s/libtestplugin.so' '%s/plugins/' "
             "&& cp '%s/libtestplugin.so' '%s/'", mmar, TEST_PLUGIN_DIR, mmar, TEST_PLUGIN_DIR,
             mmar);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(conf, sizeof(conf), "%s/config/plugin.json", mmar);
    for (i = 0; i < 3; i++) {
        char text[1024];
        json_t *stats;
        snprintf(text, sizeof(text),
                 "{\"engine\": {\"workers\": \"0\"}, \"handlers\": [{\"name\": "
                 "\"MMARHandler\"}, {\"name\": \"MMARStatsHandler\"}], \"executor\": "
                 "{\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": \"A label\", "
                 "\"path\": \"%s:test_plugin_controller\", \"args\": {\"rounds\": 2}}}",
                 i < 2 ? paths[i] : "nothere/libtestplugin.so");
        write_file(conf, text);
        r = run_plan("ok", i == 0 ? "run_id=p0" : i == 1 ? "run_id=p1" : "run_id=p2",
                     "plugin.json");
        if (i == 2) {
            ck_assert_int_eq(r.rc, MMARML_ENOTFOUND);
            snprintf(cmd, sizeof(cmd), "%s/nothere/libtestplugin.so", mmar);
            ck_assert_msg(strstr(r.message, cmd) != NULL, "%s", r.message);
            continue;
        }
        ck_assert_msg(r.rc == MMARML_OK, "%s: %s", paths[i], r.message);
        stats = load_json(r.run_root, "automl_stats_log.json");
        ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 2);
        json_decref(stats);
    }
    remove_mmar();
}
END_TEST

/* A Clara user's MMAR as it is: Clara's commands/ (automl_train_round.sh sources
 * set_env.sh through dirname "$0" and runs python3 -m medl.apps.train) and Clara's own
 * config_automl.json (content-only clones). The stand-in medl checks what the scripts set. */
START_TEST(clara_commands_run_unchanged)
{
    char dir[] = "/tmp/mmarml-clara-XXXXXX", root[256];
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars = json_pack("{s:s, s:s, s:s}", "run_id", "c", "trainconf",
                             "trn_autoML_LR_LP.json", "workers", "0:0");
    char cmd[512];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    tu_clara_mmar(TEST_DATA_DIR, dir);
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, dir, NULL, vars));
    ck_ok(mmarml_engine_run(e, ctx));
    snprintf(root, sizeof(root), "%s/automl/c", dir);
    ck_assert_int_eq(tu_check_clara_jobs(root), 8); /* ReinforcementController, max_rounds 8 */
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    json_decref(vars);
    unsetenv("PYTHONPATH");
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The in-process trainer (Clara's MMARTrainer) instead of the round script. */
static int train_in_process(int *status, double *score, mmarml_context *job, void *ud)
{
    char *root = NULL, path[1024];
    json_t *config;

    (void)ud;
    ck_ok(mmarml_context_get_string(job, MMARML_KEY_JOB_MMAR_ROOT, &root));
    snprintf(path, sizeof(path), "%s/config/config_train.json", root);
    config = json_load_file(path, 0, NULL);
    *score = json_real_value(json_object_get(config, "score")) * 2;
    *status = MMARML_JOB_OK;
    json_decref(config);
    mmarml_free(root);
    return MMARML_OK;
}

static int trainer_factory(void **out, const json_t *args, void *ud)
{
    (void)ud;
    return mmarml_executor_new_mmar_trainer((mmarml_executor **)out, args, train_in_process,
                                            NULL);
}

START_TEST(in_process_trainer)
{
    char conf[256];
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars = json_pack("{s:s}", "run_id", "inproc"), *stats;
    char *root = NULL;

    make_mmar();
    snprintf(conf, sizeof(conf), "%s/config/inproc.json", mmar);
    write_file(conf, "{\"handlers\": [{\"name\": \"MMARHandler\"}, {\"name\": "
                     "\"MMARStatsHandler\"}], \"executor\": {\"name\": \"Trainer\", \"args\": "
                     "{\"remove_search_augs\": true}}, \"controller\": {\"name\": "
                     "\"DummyController\", \"args\": {\"max_rounds\": 2}}}");
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_registry_register(reg, MMARML_COMPONENT_EXECUTOR, "Trainer", trainer_factory,
                                   NULL));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, mmar, "inproc.json", vars));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_RUN_ROOT, &root));
    stats = load_json(root, "automl_stats_log.json");
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 2);
    /* DummyController: the midpoint of score [0, 1] is 0.5, doubled by the trainer */
    ck_assert_double_eq(json_real_value(json_object_get(job_of(stats, 0), "score")), 1.0);
    json_decref(stats);
    mmarml_free(root);
    json_decref(vars);
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    remove_mmar();
}
END_TEST

/* On main before issue 12 a job config had floats rounded to 15 digits: the trainer got
 * 0.000859979666372543 where the controller proposed 0.0008599796663725434. Now each float is
 * in the shortest form that reads back as the proposed double (0.1 stays "0.1"). */
START_TEST(job_configs_carry_the_exact_proposed_floats)
{
    static const char *const written[] = {"0.0008599796663725434", "0.1"};
    char path[1024], *text;
    run_result r;
    size_t i;

    make_mmar();
    r = run_plan("ok:0.0008599796663725434,ok:0.1", NULL, NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    for (i = 0; i < 2; i++) {
        json_t *stats = load_json(r.run_root, "automl_stats_log.json"), *config;
        const char *job = json_string_value(json_object_get(job_of(stats, (int64_t)i), "job"));
        FILE *f;
        long n;
        snprintf(path, sizeof(path), "%s/%s/config/config_train.json", r.run_root, job);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        text = calloc(1, (size_t)n + 1);
        ck_assert_int_eq((long)fread(text, 1, (size_t)n, f), n);
        fclose(f);
        ck_assert_msg(strstr(text, written[i]) != NULL, "%s not in %s", written[i], path);
        config = json_loads(text, 0, NULL);
        ck_assert(json_real_value(json_object_get(config, "score")) == strtod(written[i], NULL));
        json_decref(config);
        json_decref(stats);
        free(text);
    }
    remove_mmar();
}
END_TEST

/* The bring-your-own corpus configs are refused saying why (the third, Clara's own
 * config_automl.json, runs in clara_config_runs_the_demo). */
START_TEST(corpus_automl_configs)
{
    static const struct {
        const char *file;
        int rc;
        const char *fragment;
    } cases[] = {
        {"config_automl_BYO_RandomController.json", MMARML_ENOTSUP, "Python"},
        {"config_automl_BYO_handler.json", MMARML_ENOTSUP, "Python"},
    };
    char cmd[512];
    size_t i;

    make_mmar();
    snprintf(cmd, sizeof(cmd), "cp '%s'/config_automl*.json '%s/config/'", TEST_DATA_DIR, mmar);
    ck_assert_int_eq(system(cmd), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mmarml_registry *reg = NULL;
        mmarml_context *ctx = NULL;
        mmarml_engine *e = NULL;
        json_t *vars = json_pack("{s:s}", "trainconf", "config_train.json");
        ck_ok(mmarml_registry_new(&reg));
        ck_ok(mmarml_context_new(&ctx, NULL));
        ck_assert_int_eq(mmarml_automl_engine_new(&e, ctx, reg, mmar, cases[i].file, vars),
                         cases[i].rc);
        ck_assert_msg(strstr(mmarml_error_message(), cases[i].fragment) != NULL, "%s: %s",
                      cases[i].file, mmarml_error_message());
        ck_assert_ptr_nonnull(strstr(mmarml_error_message(), cases[i].file));
        json_decref(vars);
        mmarml_context_unref(ctx);
        mmarml_registry_unref(reg);
    }
    remove_mmar();
}
END_TEST

/* The run root inside the MMAR is never cloned into a job, however work_dir spells it
 * ("automl/", "./automl"): on ee9cadf each job copied the run root into itself until
 * ENAMETOOLONG. A relative link that leaves the MMAR (a data set beside it) is made absolute
 * in the job MMAR; one that stays inside is copied as it is. */
START_TEST(clone_excludes_the_run_root_and_keeps_links_working)
{
    static const char *const spellings[] = {"automl/", "./automl"};
    char cmd[1024], path[1024], shared[160], target[PATH_MAX], real[PATH_MAX];
    json_t *stats;
    run_result r;
    ssize_t n;
    int i;

    make_mmar();
    snprintf(shared, sizeof(shared), "%s-shared", mmar);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && ln -s '../%s' '%s/data' && sed "
             "'s|\"MMARHandler\", \"args\": {|\"MMARHandler\", \"args\": {\"work_dir\": "
             "\"{wd}\", |' '%s/config/config_automl.json' > '%s/config/automl_wd.json'",
             shared, strrchr(shared, '/') + 1, mmar, mmar, mmar);
    ck_assert_int_eq(system(cmd), 0);
    for (i = 0; i < 2; i++) {
        char sets[64];
        snprintf(sets, sizeof(sets), "wd=%s,run_id=r%d", spellings[i], i);
        r = run_plan("ok:0.5", sets, "automl_wd.json");
        ck_assert_msg(r.rc == MMARML_OK, "%s: %s", spellings[i], r.message);
        stats = load_json(r.run_root, "automl_stats_log.json");
        ck_assert_msg(strcmp(status_of(stats, 0), "ok") == 0, "%s: %s", spellings[i],
                      status_of(stats, 0));
        snprintf(path, sizeof(path), "%s/%s/automl", r.run_root,
                 json_string_value(json_object_get(job_of(stats, 0), "job")));
        ck_assert_msg(access(path, F_OK) != 0, "%s: the run root was cloned", spellings[i]);
        /* data -> ../<shared>: absolute now, and it resolves */
        snprintf(path, sizeof(path), "%s/%s/data", r.run_root,
                 json_string_value(json_object_get(job_of(stats, 0), "job")));
        n = readlink(path, target, sizeof(target) - 1);
        ck_assert_int_gt(n, 0);
        target[n] = '\0';
        ck_assert_ptr_nonnull(realpath(shared, real));
        ck_assert_str_eq(target, real);
        /* resources/train_link.json -> ../config/config_train.json stays relative */
        snprintf(path, sizeof(path), "%s/%s/resources/train_link.json", r.run_root,
                 json_string_value(json_object_get(job_of(stats, 0), "job")));
        n = readlink(path, target, sizeof(target) - 1);
        ck_assert_int_gt(n, 0);
        target[n] = '\0';
        ck_assert_str_eq(target, "../config/config_train.json");
        json_decref(stats);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shared);
    ck_assert_int_eq(system(cmd), 0);
    remove_mmar();
}
END_TEST

/* ---- a trainer script that is open for writing when it is run ---- */
typedef struct {
    int fd;              /* the script, open for writing */
    char job_link[1024]; /* the job MMAR's link to it, once the clone made it */
} busy_script;

/* Close the script once a job MMAR links to it and its start has been tried. */
static void *close_when_cloned(void *arg)
{
    busy_script *b = arg;
    char pattern[256];
    glob_t g;
    int i;

    snprintf(pattern, sizeof(pattern), "%s/automl/r1/*/commands/automl_train_round.sh", mmar);
    for (i = 0; i < 3000; i++) { /* 30 s at most */
        if (glob(pattern, 0, NULL, &g) == 0) {
            snprintf(b->job_link, sizeof(b->job_link), "%s", g.gl_pathv[0]);
            globfree(&g);
            break;
        }
        poll(NULL, 0, 10);
    }
    poll(NULL, 0, 50); /* the executor tries to start it in that time, and meets ETXTBSY */
    close(b->fd);
    return NULL;
}

/* Valgrind cannot survive a failed execve (its core is gone by then: the trainer's process
 * dies instead of reporting the errno), so a test of exec errors means nothing under it. */
static int under_valgrind(void)
{
    const char *preload = getenv("LD_PRELOAD");

    return preload != NULL && strstr(preload, "vgpreload") != NULL;
}

/*
 * Starting a script that something still holds open for writing fails with ETXTBSY
 * ("Text file busy"). It happens in a busy run: a guard process forked by one job thread
 * inherits, for a few milliseconds, the descriptor another job thread is writing its clone
 * of the script with. The executor starts it again then; a script that stays busy ends
 * the job in error, with the reason, and the run goes on. The script here lives outside
 * the MMAR, so the clone links to it, and the test holds it open.
 */
START_TEST(busy_script_is_started_again)
{
    char cmd[1024], outside[160], script[256], path[1024], log[4096] = {0};
    busy_script b = {-1, ""};
    pthread_t closer;
    json_t *stats;
    run_result r;
    FILE *f;

    if (under_valgrind())
        return;
    make_mmar();
    snprintf(outside, sizeof(outside), "%s-commands", mmar);
    snprintf(script, sizeof(script), "%s/automl_train_round.sh", outside);
    snprintf(cmd, sizeof(cmd), "mkdir '%s' && mv '%s/commands/automl_train_round.sh' '%s' && "
             "ln -s '%s' '%s/commands/automl_train_round.sh'", outside, mmar, script, script,
             mmar);
    ck_assert_int_eq(system(cmd), 0);

    /* busy for a moment: started again, ends ok */
    b.fd = open(script, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(b.fd, 0);
    ck_assert_int_eq(pthread_create(&closer, NULL, close_when_cloned, &b), 0);
    r = run_plan("ok:0.5", NULL, NULL);
    pthread_join(closer, NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_msg(b.job_link[0] != '\0', "no job MMAR linked to the script");
    stats = load_json(r.run_root, "automl_stats_log.json");
    ck_assert_str_eq(status_of(stats, 0), "ok");
    ck_assert_double_eq(json_real_value(json_object_get(job_of(stats, 0), "score")), 0.5);
    json_decref(stats);

    /* busy all along: each job ends in error, saying why, and the run goes on */
    b.fd = open(script, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(b.fd, 0);
    r = run_plan("ok:0.5,ok:0.7", "run_id=r2", NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    stats = load_json(r.run_root, "automl_stats_log.json");
    ck_assert_str_eq(status_of(stats, 0), "error");
    ck_assert_str_eq(status_of(stats, 1), "error");
    snprintf(path, sizeof(path), "%s/trace.txt", r.run_root);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_gt(fread(log, 1, sizeof(log) - 1, f), 0);
    fclose(f);
    ck_assert_msg(strstr(log, strerror(ETXTBSY)) != NULL, "the trace does not say why: %s",
                  log);
    close(b.fd);
    json_decref(stats);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outside);
    ck_assert_int_eq(system(cmd), 0);
    remove_mmar();
}
END_TEST

/* A read-only MMAR still gives writable job MMARs (the mode bits are checked: as root,
 * which CI is, permissions would not stop a write). */
START_TEST(read_only_mmar)
{
    char cmd[512], path[1024];
    struct stat st;
    run_result r;
    json_t *stats;

    make_mmar();
    snprintf(cmd, sizeof(cmd), "chmod -R a-w '%s' && chmod u+w '%s'", mmar, mmar);
    ck_assert_int_eq(system(cmd), 0);
    r = run_plan("ok:0.5", NULL, NULL);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    stats = load_json(r.run_root, "automl_stats_log.json");
    ck_assert_str_eq(status_of(stats, 0), "ok");
    snprintf(path, sizeof(path), "%s/%s/config", r.run_root,
             json_string_value(json_object_get(job_of(stats, 0), "job")));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(st.st_mode & S_IWUSR);
    snprintf(path, sizeof(path), "%s/config/config_train.json", mmar);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(!(st.st_mode & S_IWUSR)); /* the source stays as it was */
    json_decref(stats);
    snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'", mmar);
    ck_assert_int_eq(system(cmd), 0);
    remove_mmar();
}
END_TEST

/* Clara's own config_automl.json (ReinforcementController, max_rounds 8) on the demo MMAR
 * with its real trainer: eight jobs, scores, stats. */
START_TEST(clara_config_runs_the_demo)
{
    char cmd[1024], dir[128];
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars = json_pack("{s:s, s:s}", "run_id", "clara", "trainconf", "config_train.json");
    json_t *stats, *job;
    char *root = NULL;
    size_t i;

    snprintf(dir, sizeof(dir), "/tmp/mmarml-clara-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "cp -r '%s/.' '%s/' && cp '%s/config_automl.json' '%s/config/'",
             DEMO_MMAR, dir, TEST_DATA_DIR, dir);
    ck_assert_int_eq(system(cmd), 0);
    setenv("MMARML_DEMO_TRAINER", DEMO_TRAINER, 1);
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, dir, NULL, vars));
    ck_ok(mmarml_engine_run(e, ctx));
    ck_ok(mmarml_context_get_string(ctx, MMARML_KEY_RUN_ROOT, &root));
    stats = load_json(root, "automl_stats_log.json");
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 8);
    json_array_foreach(json_object_get(stats, "jobs"), i, job) {
        ck_assert_str_eq(json_string_value(json_object_get(job, "status")), "ok");
        ck_assert(json_real_value(json_object_get(job, "score")) > 0.3);
    }
    json_decref(stats);
    mmarml_free(root);
    json_decref(vars);
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(bad_automl_configs)
{
    static const struct {
        const char *text;
        const char *fragment;
    } cases[] = {
        {"{\"controller\": {\"name\": \"RandomController\"}}", "needs \"controller\" and"},
        {"{\"executor\": {\"name\": \"MMARExecutor\", \"args\": {\"msg_dest\": \"file\"}}, "
         "\"controller\": {\"name\": \"RandomController\"}}",
         "unknown arg 'msg_dest'"},
        {"{\"executor\": {\"name\": \"MMARExecutor\", \"args\": {\"msg_destination\": "
         "\"printer\"}}, \"controller\": {\"name\": \"RandomController\"}}",
         "must be file, console, both or none"},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"handlers\": [{\"name\": \"MMARHandler\", \"args\": "
         "{\"work_dir\": \"{nowhere}\"}}]}",
         "'{nowhere}' names no --set variable"},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"extra\": 1}",
         "unknown arg 'extra'"},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"engine\": {\"workers\": \"0::1\"}}",
         "workers '0::1'"},
        {"{\"executor\": ", "malformed JSON"},
        /* file and JSON path named (on ee9cadf neither was) */
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"engine\": {\"workers\": \"0::1\"}}",
         "bad.json: engine.workers: "},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"engine\": {\"max_job_run_time\": -1}}",
         "bad.json: engine.max_job_run_time: must be a finite number of seconds >= 0"},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"engine\": {\"pruned_score\": \"median\"}}",
         "bad.json: engine.pruned_score: must be \"best\", \"last\" or \"mean\""},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"engine\": {\"pruned_score\": 2}}",
         "engine.pruned_score: must be"},
        {"{\"executor\": {\"name\": \"MMARExecutor\"}, \"controller\": {\"name\": "
         "\"RandomController\"}, \"engine\": {\"report_steps\": \"shuffled\"}}",
         "bad.json: engine.report_steps: must be \"increasing\" or \"unique\""},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
         "bad.json:1:"},
        /* the log collector's regex and what its groups are */
#define REGEX_CASE(args)                                                                    \
    "{\"executor\": {\"name\": \"MMARExecutor\", \"args\": {" args "}}, "                 \
    "\"controller\": {\"name\": \"RandomController\"}}"
        {REGEX_CASE("\"progress_regex\": \"epoch ([0-9]+\""),
         "arg 'progress_regex' is not a POSIX extended regular expression"},
        {REGEX_CASE("\"progress_regex\": \"epoch ([0-9]+)\""),
         "arg 'progress_regex' needs 2 groups (the step, then the value); it has 1"},
        {REGEX_CASE("\"progress_regex_groups\": [\"step\", \"value\"]"),
         "arg 'progress_regex_groups' names the groups of 'progress_regex', which is not given"},
        {REGEX_CASE("\"progress_regex\": \"(.) (.)\", \"progress_regex_groups\": \"step\""),
         "arg 'progress_regex_groups' must be a list of 1 to 9 entries"},
        {REGEX_CASE("\"progress_regex\": \"(.) (.)\", \"progress_regex_groups\": []"),
         "arg 'progress_regex_groups' must be a list of 1 to 9 entries"},
        {REGEX_CASE("\"progress_regex\": \"(.) (.)\", "
                    "\"progress_regex_groups\": [\"step\", \"acc\"]"),
         "arg 'progress_regex_groups'[1] must be \"step\", \"value\", \"time\" or null"},
        {REGEX_CASE("\"progress_regex\": \"(.) (.) (.)\", "
                    "\"progress_regex_groups\": [\"step\", \"value\", \"step\"]"),
         "arg 'progress_regex_groups' names \"step\" twice ([0] and [2])"},
        {REGEX_CASE("\"progress_regex\": \"(.) (.)\", "
                    "\"progress_regex_groups\": [\"time\", \"value\"]"),
         "arg 'progress_regex_groups' must name the \"step\" group"},
        {REGEX_CASE("\"progress_regex\": \"(.) (.)\", "
                    "\"progress_regex_groups\": [\"time\", \"step\", \"value\"]"),
         "arg 'progress_regex' needs 3 groups (one per entry of 'progress_regex_groups'); it "
         "has 2"},
#undef REGEX_CASE
    };
    char conf[256];
    size_t i;

    make_mmar();
    snprintf(conf, sizeof(conf), "%s/config/bad.json", mmar);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mmarml_registry *reg = NULL;
        mmarml_context *ctx = NULL;
        mmarml_engine *e = NULL;
        write_file(conf, cases[i].text);
        ck_ok(mmarml_registry_new(&reg));
        ck_ok(mmarml_context_new(&ctx, NULL));
        ck_assert_int_lt(mmarml_automl_engine_new(&e, ctx, reg, mmar, "bad.json", NULL), 0);
        ck_assert_ptr_null(e);
        ck_assert_msg(strstr(mmarml_error_message(), cases[i].fragment) != NULL, "case %zu: %s",
                      i, mmarml_error_message());
        mmarml_context_unref(ctx);
        mmarml_registry_unref(reg);
    }
    {
        mmarml_registry *reg = NULL;
        mmarml_context *ctx = NULL;
        mmarml_engine *e = NULL;
        ck_ok(mmarml_registry_new(&reg));
        ck_ok(mmarml_context_new(&ctx, NULL));
        ck_assert_int_eq(mmarml_automl_engine_new(&e, ctx, reg, mmar, "missing.json", NULL),
                         MMARML_ENOTFOUND);
        ck_assert_ptr_nonnull(strstr(mmarml_error_message(), "missing.json"));
        ck_assert_int_eq(mmarml_automl_engine_new(&e, ctx, reg, "/nonexistent", NULL, NULL),
                         MMARML_ENOTFOUND);
        mmarml_context_unref(ctx);
        mmarml_registry_unref(reg);
    }
    remove_mmar();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmar");
    TCase *tc = tcase_create("core");
    TCase *te = tcase_create("errors");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_fault_gets_its_status);
    tcase_add_test(tc, hostile_values_and_no_descriptor_leaks);
    tcase_add_test(tc, keep_policy_best_link_and_stop_threshold);
    tcase_add_test(tc, in_process_trainer);
    tcase_add_test(tc, handler_defaults_ties_and_the_summary);
    tcase_add_test(tc, plugin_paths_are_relative_to_the_mmar);
    tcase_add_test(tc, clara_commands_run_unchanged);
    tcase_add_test(tc, job_configs_carry_the_exact_proposed_floats);
    tcase_add_test(tc, clara_config_runs_the_demo);
    tcase_add_test(tc, read_only_mmar);
    tcase_add_test(tc, clone_excludes_the_run_root_and_keeps_links_working);
    tcase_add_test(tc, busy_script_is_started_again);
    tcase_add_test(te, existing_run_root_refuses_and_loses_nothing);
    tcase_add_test(te, hostile_run_ids);
    tcase_add_test(te, corpus_automl_configs);
    tcase_add_test(te, bad_automl_configs);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, te);
    return tu_run(s);
}
