/* SlurmExecutor and NGCExecutor against stand-ins for their client programs
 * (tests/fake-cluster): every scheduler state onto our statuses, the exact sbatch and ngc
 * argv, abort by scancel / ngc batch kill, a forgotten job, an unreachable controller,
 * max_concurrent, and bad args. The live Slurm test is tests/slurm-live.sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char dir[128];  /* scratch: the fixture MMAR, the fake's state, its bin dir */
static char mmar[256], state[256], run_root[512];
static char *orig_path; /* PATH before the first setup: tests may run in one process */

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* mkdir -p / rm -rf of the quoted paths `a` (and `b`) */
static void sh(const char *what, const char *a, const char *b)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), "%s '%s' '%s'", what, a, b ? b : a);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* A tiny MMAR whose round script writes score 0.25 (only the NGC stand-in runs it), with a
 * score of 0.75 already in models/ (what a Slurm job that the fake "ran" leaves). */
static void setup(void)
{
    char path[1024], bin[512], *newpath = NULL;
    static const char *const slurm_cmds[] = {"sbatch", "scontrol", "sacct", "scancel", NULL};
    size_t i;

    if (orig_path == NULL)
        orig_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", orig_path, 1); /* a test that failed may have left its own */
    snprintf(dir, sizeof(dir), "/tmp/mmarml-cluster-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(mmar, sizeof(mmar), "%s/mmar", dir);
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(run_root, sizeof(run_root), "%s/mmar/automl/r1", dir);
    snprintf(bin, sizeof(bin), "%.128s/bin", dir);
    snprintf(path, sizeof(path), "%s/config", mmar);
    snprintf(bin, sizeof(bin), "%.256s/commands", mmar);
    sh("mkdir -p", path, bin);
    snprintf(path, sizeof(path), "%s/models", mmar);
    sh("mkdir -p", path, state);
    snprintf(bin, sizeof(bin), "%.128s/bin", dir);
    sh("mkdir -p", run_root, bin);
    snprintf(path, sizeof(path), "%s/config/config_train.json", mmar);
    write_file(path, "{\"lr\": 0.1, \"search\": [{\"domain\": \"lr\", \"type\": \"float\", "
                     "\"args\": [\"lr\"], \"targets\": [0.001, 0.1]}]}\n", 0644);
    snprintf(path, sizeof(path), "%s/commands/automl_train_round.sh", mmar);
    write_file(path, "#!/bin/sh\ncd \"$MMAR_ROOT\" || exit 9\n"
                     "printf '%s\\n' \"$MMARML_JOB_NAME\" > ran.txt\n"
                     "printf '{\"best_validation_metric\": 0.25}\\n' > models/train_stats.json\n",
               0755);
    snprintf(path, sizeof(path), "%s/models/train_stats.json", mmar);
    write_file(path, "{\"best_validation_metric\": 0.75}\n", 0644);
    for (i = 0; slurm_cmds[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s", bin, slurm_cmds[i]);
        ck_assert_int_eq(symlink(FAKE_CLUSTER_DIR "/fake-slurm", path), 0);
    }
    snprintf(path, sizeof(path), "%s/ngc", bin);
    ck_assert_int_eq(symlink(FAKE_CLUSTER_DIR "/ngc", path), 0);
    ck_assert_int_ge(asprintf(&newpath, "%s:%s", bin, orig_path), 0);
    setenv("PATH", newpath, 1);
    free(newpath);
    setenv("FAKE_SLURM_DIR", state, 1);
    setenv("FAKE_NGC_DIR", state, 1);
    setenv("CUDA_VISIBLE_DEVICES", "7", 1); /* must not reach a cluster job */
}

static void teardown(void)
{
    setenv("PATH", orig_path, 1);
    sh("rm -rf", dir, NULL);
}

typedef struct {
    int rc, status;
    double score;
    int64_t exit_status; /* _processExitStatus, or 12345 when not set */
    char message[512];
    char cluster_id[64];
} job_result;

typedef struct {
    mmarml_executor *exe;
    const char *job;
    job_result res;
    mmarml_context *job_ctx; /* set before execute starts */
    int pre_aborted;         /* `_jobAborted` already set when execute starts */
    const char *resumed;     /* `_resumedJob` as JSON text: a job of a resumed run, or NULL */
} job_call;

static mmarml_executor *make_executor(const char *name, const char *args_json)
{
    mmarml_executor *exe = NULL;
    json_error_t err;
    json_t *args = json_loads(args_json, 0, &err);

    ck_assert_msg(args != NULL, "%s", err.text);
    if (strcmp(name, "SlurmExecutor") == 0)
        ck_ok(mmarml_executor_new_slurm(&exe, args));
    else
        ck_ok(mmarml_executor_new_ngc(&exe, args));
    json_decref(args);
    return exe;
}

/* One job through the executor, as the engine would run it. */
static void run_job(job_call *c)
{
    mmarml_context *ctx = NULL, *job = NULL;
    mmarml_search_space *space = NULL;
    mmarml_recommendation *rec = NULL;
    double v = 0.05;
    char *id = NULL;

    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_context_set_string(ctx, MMARML_KEY_MMAR_ROOT, mmar));
    ck_ok(mmarml_context_set_string(ctx, MMARML_KEY_RUN_ROOT, run_root));
    ck_ok(mmarml_context_set_string(ctx, MMARML_KEY_RUN_ID, "r1"));
    ck_ok(mmarml_executor_determine_search_space(&space, c->exe, ctx));
    ck_ok(mmarml_recommendation_new(&rec, 0, space, &v, 1));
    ck_ok(mmarml_context_new(&job, ctx));
    ck_ok(mmarml_context_set_string(job, MMARML_KEY_JOB_NAME, c->job));
    if (c->pre_aborted)
        ck_ok(mmarml_context_set_bool(job, MMARML_KEY_JOB_ABORTED, 1));
    if (c->resumed != NULL) {
        json_t *r = json_loads(c->resumed, 0, NULL);
        ck_ok(mmarml_context_set_json(job, MMARML_KEY_RESUMED_JOB, r));
        json_decref(r);
    }
    __atomic_store_n(&c->job_ctx, job, __ATOMIC_SEQ_CST);
    c->res.rc = mmarml_executor_execute(&c->res.status, &c->res.score, c->exe, rec, job);
    snprintf(c->res.message, sizeof(c->res.message), "%s", mmarml_error_message());
    if (mmarml_context_get_int(job, MMARML_KEY_PROCESS_EXIT_STATUS, &c->res.exit_status) !=
        MMARML_OK)
        c->res.exit_status = 12345;
    if (mmarml_context_get_string(job, MMARML_KEY_CLUSTER_JOB_ID, &id) == MMARML_OK)
        snprintf(c->res.cluster_id, sizeof(c->res.cluster_id), "%s", id);
    mmarml_free(id);
    mmarml_recommendation_unref(rec);
    mmarml_search_space_unref(space);
    mmarml_context_unref(job);
    mmarml_context_unref(ctx);
}

static job_result run_one(mmarml_executor *exe, const char *job)
{
    job_call c = {exe, job, {0}, NULL, 0, NULL};

    run_job(&c);
    return c.res;
}

/* The words a stand-in logged for its n-th call (0-based), joined by '\n'. */
static char *logged_call(const char *file, int n)
{
    char path[1024], line[4096], *out = calloc(1, 65536);
    FILE *f;
    int call = 0;

    snprintf(path, sizeof(path), "%s/%s", state, file);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing", path);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strcmp(line, "--\n") == 0) {
            if (call++ == n)
                break;
            continue;
        }
        if (call == n)
            strcat(out, line);
    }
    fclose(f);
    return out;
}

static int file_has(const char *file, const char *text)
{
    char path[1024], buf[65536] = {0};
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", state, file);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fread(buf, 1, sizeof(buf) - 1, f) == 0)
        buf[0] = '\0';
    fclose(f);
    return strstr(buf, text) != NULL;
}

/* ---- Slurm ---- */

static const struct {
    const char *play;
    int accounting; /* 1: sacct answers with `sacct` */
    const char *sacct;
    int status;
    int64_t exit_status;
} slurm_cases[] = {
    {"PENDING,CONFIGURING,RUNNING,COMPLETING,COMPLETED:0:0", 0, NULL, MMARML_JOB_OK, 0},
    {"RUNNING,FAILED:3:0", 0, NULL, MMARML_JOB_FAILED, 3},
    {"RUNNING,FAILED:0:9", 0, NULL, MMARML_JOB_FAILED, -9},
    {"PENDING,CANCELLED:0:15", 0, NULL, MMARML_JOB_ABORTED, -15},
    {"RUNNING,TIMEOUT:0:15", 0, NULL, MMARML_JOB_TIMEOUT, -15},
    {"RUNNING,NODE_FAIL:0:0", 0, NULL, MMARML_JOB_FAILED, 0},
    {"RUNNING,OUT_OF_MEMORY:0:125", 0, NULL, MMARML_JOB_FAILED, -125},
    {"RUNNING,GONE", 0, NULL, MMARML_JOB_OK, 12345},            /* judged by its MMAR */
    {"RUNNING,GONE", 1, "FAILED|2:0\n", MMARML_JOB_FAILED, 2}, /* sacct knows */
    {"RUNNING,GONE", 1, "CANCELLED by 0|0:0\n", MMARML_JOB_ABORTED, 0},
    {"RUNNING,DOWN,DOWN,COMPLETED:0:0", 0, NULL, MMARML_JOB_OK, 0},
};

START_TEST(slurm_states_map_onto_statuses)
{
    mmarml_executor *exe;
    job_result r;
    char path[1024];

    setup();
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 0.01}");
    setenv("FAKE_SLURM_PLAY", slurm_cases[_i].play, 1);
    if (slurm_cases[_i].accounting) {
        snprintf(path, sizeof(path), "%s/accounting", state);
        write_file(path, "", 0644);
        snprintf(path, sizeof(path), "%s/job.101.sacct", state);
        write_file(path, slurm_cases[_i].sacct, 0644);
    }
    r = run_one(exe, "job_a");
    ck_assert_msg(r.rc == MMARML_OK, "%s: %s", slurm_cases[_i].play, r.message);
    ck_assert_msg(r.status == slurm_cases[_i].status, "%s: status %s", slurm_cases[_i].play,
                  mmarml_job_status_name(r.status));
    ck_assert_msg(r.exit_status == slurm_cases[_i].exit_status, "%s: exit %lld",
                  slurm_cases[_i].play, (long long)r.exit_status);
    if (r.status == MMARML_JOB_OK)
        ck_assert_double_eq(r.score, 0.75);
    ck_assert_str_eq(r.cluster_id, "101");
    /* the job id is noted in the job MMAR for people */
    snprintf(path, sizeof(path), "%s/job_a/slurm_job_id", run_root);
    ck_assert_int_eq(access(path, R_OK), 0);
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

/* A resumed run's job that Slurm ran (or still runs) is adopted: no second sbatch, its real
 * end. Case 0: Slurm still knows it, COMPLETED; case 1: it ended while the run was dead and
 * Slurm forgot it: sacct says FAILED 2. */
START_TEST(slurm_adopts_a_noted_job)
{
    static const char *const resumed = "{\"attempt\": 1, \"notes\": "
                                       "{\"cluster_job_id\": \"101\"}}";
    mmarml_executor *exe;
    job_call c;
    char path[1024];

    setup();
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 0.01}");
    setenv("FAKE_SLURM_PLAY", _i == 0 ? "RUNNING,RUNNING,COMPLETED:0:0" : "RUNNING,GONE", 1);
    if (_i == 1) {
        snprintf(path, sizeof(path), "%s/accounting", state);
        write_file(path, "", 0644);
        snprintf(path, sizeof(path), "%s/job.101.sacct", state);
        write_file(path, "FAILED|2:0\n", 0644);
    }
    ck_assert_int_eq(run_one(exe, "job_a").rc, MMARML_OK); /* the first part's submission */
    /* the job MMAR is in use on the cluster: the adopting run must leave it be */
    snprintf(path, sizeof(path), "%s/job_a/marker", run_root);
    write_file(path, "still here", 0644);
    memset(&c, 0, sizeof(c));
    c.exe = exe;
    c.job = "job_a";
    c.resumed = resumed;
    run_job(&c);
    ck_assert_msg(c.res.rc == MMARML_OK, "%s", c.res.message);
    ck_assert_str_eq(c.res.cluster_id, "101");
    ck_assert_int_eq(c.res.status, _i == 0 ? MMARML_JOB_OK : MMARML_JOB_FAILED);
    if (_i == 1)
        ck_assert_int_eq(c.res.exit_status, 2);
    ck_assert_int_eq(access(path, R_OK), 0);
    free(logged_call("sbatch.log", 1)); /* (checks the file is there) */
    ck_assert_msg(!file_has("next", "102"), "the adopted job was submitted again");
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

START_TEST(slurm_forgotten_job_without_score_is_no_score)
{
    mmarml_executor *exe;
    job_result r;
    char path[1024];

    setup();
    snprintf(path, sizeof(path), "%s/models/train_stats.json", mmar);
    ck_assert_int_eq(unlink(path), 0);
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 0.01}");
    setenv("FAKE_SLURM_PLAY", "PENDING,GONE", 1);
    r = run_one(exe, "job_a");
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_int_eq(r.status, MMARML_JOB_NO_SCORE);
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

START_TEST(slurm_sbatch_argv_and_environment)
{
    mmarml_executor *exe;
    job_result r;
    char want[4096], *got;

    setup();
    exe = make_executor("SlurmExecutor",
                        "{\"partition\": \"gpu q\", \"account\": \"lab;rm -rf /\", "
                        "\"time_limit\": 90, \"gpus_per_job\": 2, \"cpus_per_job\": 4, "
                        "\"mem\": \"8G\", \"extra_args\": [\"--qos=high\", \"-x\"], "
                        "\"poll_interval\": 0.01}");
    setenv("FAKE_SLURM_PLAY", "COMPLETED", 1);
    r = run_one(exe, "job_$(touch pwned)");
    ck_assert_msg(r.rc == MMARML_OK && r.status == MMARML_JOB_OK, "%s", r.message);
    got = logged_call("sbatch.log", 0);
    snprintf(want, sizeof(want),
             "--parsable\n--job-name=mmarml.r1.job_$(touch pwned)\n"
             "--output=%s/job_$(touch pwned)/log.txt\n--open-mode=append\n"
             "--chdir=%s/job_$(touch pwned)/commands\n--export=ALL\n--partition=gpu q\n"
             "--account=lab;rm -rf /\n--time=90\n--gpus=2\n--cpus-per-task=4\n--mem=8G\n"
             "--qos=high\n-x\n--wrap=exec \"$MMAR_ROOT/commands/automl_train_round.sh\"\n",
             run_root, run_root);
    ck_assert_str_eq(got, want);
    free(got);
    /* the stand-in runs nothing, so this only catches the library itself putting a value
     * through a shell (system(), popen()): that would touch ./pwned */
    ck_assert_int_ne(access("pwned", F_OK), 0);
    /* the job gets its MMAR and names; CUDA_VISIBLE_DEVICES is the cluster's to set */
    snprintf(want, sizeof(want), "MMAR_ROOT=%s/job_$(touch pwned)", run_root);
    ck_assert(file_has("job.101.env", want));
    ck_assert(file_has("job.101.env", "MMARML_JOB_NAME=job_$(touch pwned)"));
    ck_assert(!file_has("job.101.env", "CUDA_VISIBLE_DEVICES"));
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

static void *run_job_thread(void *arg)
{
    run_job(arg);
    return NULL;
}

/* Start a job on a thread, wait until the scheduler was asked about it `polls` times, then
 * abort it as the engine does: `_jobAborted` first, then the executor's abort. */
static job_result run_and_abort(mmarml_executor *exe, const char *counter_file, int polls)
{
    job_call c = {exe, "job_a", {0}, NULL, 0, NULL};
    pthread_t t;
    mmarml_context *job;
    char path[1024];
    int i;

    ck_assert_int_eq(pthread_create(&t, NULL, run_job_thread, &c), 0);
    snprintf(path, sizeof(path), "%s/%s", state, counter_file);
    for (i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        int n = -1;
        if (f != NULL) {
            if (fscanf(f, "%d", &n) != 1)
                n = -1;
            fclose(f);
        }
        if (n >= polls)
            break;
        usleep(10000);
    }
    ck_assert_int_lt(i, 500);
    job = __atomic_load_n(&c.job_ctx, __ATOMIC_SEQ_CST);
    ck_ok(mmarml_context_set_bool(job, MMARML_KEY_JOB_ABORTED, 1));
    mmarml_executor_abort(exe, job);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    return c.res;
}

START_TEST(slurm_abort_is_scancel)
{
    mmarml_executor *exe;
    job_result r;

    setup();
    /* a long poll interval: the abort must wake the job thread, not wait for the poll */
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 30}");
    setenv("FAKE_SLURM_PLAY", "PENDING,HOLD", 1);
    r = run_and_abort(exe, "job.101.i", 1);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_int_eq(r.status, MMARML_JOB_ABORTED);
    ck_assert(file_has("scancel.log", "101\n"));
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

/* An abort that came before execute published its job (nothing could wake it): the job is
 * still stopped at once, not followed until it ends by itself. */
START_TEST(slurm_abort_before_the_job_was_published)
{
    mmarml_executor *exe;
    job_call c = {NULL, "job_a", {0}, NULL, 1, NULL};

    setup();
    /* a poll longer than the test's timeout: only a stop at once can pass */
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 600}");
    c.exe = exe;
    setenv("FAKE_SLURM_PLAY", "PENDING,HOLD", 1);
    run_job(&c);
    ck_assert_msg(c.res.rc == MMARML_OK, "%s", c.res.message);
    ck_assert_int_eq(c.res.status, MMARML_JOB_ABORTED);
    ck_assert(file_has("scancel.log", "101\n"));
    mmarml_executor_unref(exe);
    /* with max_concurrent the job waits for a slot: aborted there, it is never submitted */
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 600, \"max_concurrent\": 1}");
    c.exe = exe;
    c.job = "job_b";
    memset(&c.res, 0, sizeof(c.res));
    run_job(&c);
    ck_assert_msg(c.res.rc == MMARML_OK, "%s", c.res.message);
    ck_assert_int_eq(c.res.status, MMARML_JOB_ABORTED);
    ck_assert_str_eq(c.res.cluster_id, "");
    ck_assert(!file_has("sbatch.log", "job_b"));
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

START_TEST(slurm_submit_failure_is_an_error_naming_sbatch)
{
    mmarml_executor *exe;
    job_result r;

    setup();
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 0.01}");
    setenv("FAKE_SLURM_SBATCH_FAIL", "Batch job submission failed: Invalid partition name", 1);
    r = run_one(exe, "job_a");
    ck_assert_int_eq(r.rc, MMARML_EIO);
    ck_assert_msg(strstr(r.message, "SlurmExecutor") != NULL &&
                      strstr(r.message, "sbatch") != NULL &&
                      strstr(r.message, "Invalid partition name") != NULL,
                  "%s", r.message);
    unsetenv("FAKE_SLURM_SBATCH_FAIL");
    /* the executor is still good for the next job */
    setenv("FAKE_SLURM_PLAY", "COMPLETED", 1);
    r = run_one(exe, "job_b");
    ck_assert_msg(r.rc == MMARML_OK && r.status == MMARML_JOB_OK, "%s", r.message);
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

START_TEST(slurm_missing_commands_say_so)
{
    mmarml_executor *exe;
    job_result r;

    setup();
    setenv("PATH", "/nonexistent", 1);
    exe = make_executor("SlurmExecutor", "{\"poll_interval\": 0.01}");
    r = run_one(exe, "job_a");
    ck_assert_int_eq(r.rc, MMARML_ENOTFOUND);
    ck_assert_msg(strstr(r.message, "sbatch") != NULL && strstr(r.message, "PATH") != NULL,
                  "%s", r.message);
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

/* Through config_automl.json: 8 jobs on 4 workers, at most 2 at once in Slurm; and without
 * workers, max_concurrent makes the workers. */
START_TEST(slurm_max_concurrent_through_the_engine)
{
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars, *stats, *job;
    json_error_t err;
    char path[1024], max[16] = {0};
    FILE *f;
    size_t i;

    setup();
    snprintf(path, sizeof(path), "%s/config/config_automl.json", mmar);
    write_file(path,
               "{\"handlers\": [{\"name\": \"MMARHandler\"}, {\"name\": \"MMARStatsHandler\"}],"
               " \"executor\": {\"name\": \"SlurmExecutor\", \"args\": {\"max_concurrent\": 2,"
               " \"poll_interval\": 0.01}},"
               " \"controller\": {\"name\": \"RandomController\", \"args\": {\"max_rounds\": 8}}}",
               0644);
    sh("rm -rf", run_root, NULL);
    setenv("FAKE_SLURM_PLAY", "PENDING,RUNNING,RUNNING,RUNNING,COMPLETED", 1);
    vars = json_pack("{s:s, s:s}", "run_id", "r1", "workers", "-:-:-:-");
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, mmar, NULL, vars));
    ck_assert_uint_eq(mmarml_engine_worker_count(e), 4);
    ck_ok(mmarml_engine_run(e, ctx));
    snprintf(path, sizeof(path), "%s/max_active", state);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(max, sizeof(max), f));
    fclose(f);
    ck_assert_str_eq(max, "2\n");
    snprintf(path, sizeof(path), "%s/automl_stats_log.json", run_root);
    stats = json_load_file(path, 0, &err);
    ck_assert_msg(stats != NULL, "%s", err.text);
    ck_assert_uint_eq(json_array_size(json_object_get(stats, "jobs")), 8);
    json_array_foreach(json_object_get(stats, "jobs"), i, job)
    {
        ck_assert_str_eq(json_string_value(json_object_get(job, "status")), "ok");
        ck_assert_str_eq(json_string_value(json_object_get(job, "cluster_state")), "COMPLETED");
        ck_assert(json_is_string(json_object_get(job, "cluster_job_id")));
    }
    json_decref(stats);
    mmarml_engine_unref(e);
    /* no workers given: two, from max_concurrent */
    sh("rm -rf", run_root, NULL);
    json_object_del(vars, "workers");
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, mmar, NULL, vars));
    ck_assert_uint_eq(mmarml_engine_worker_count(e), 2);
    mmarml_engine_unref(e);
    json_decref(vars);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    teardown();
}
END_TEST

static const struct {
    const char *name, *args, *needle;
} bad_args[] = {
    {"SlurmExecutor", "{\"partitions\": \"x\"}", "unknown arg 'partitions'"},
    {"SlurmExecutor", "{\"extra_args\": \"--qos=x\"}", "extra_args"},
    {"SlurmExecutor", "{\"extra_args\": [\"--qos=x\", \"script.sh\"]}", "extra_args[1]"},
    {"SlurmExecutor", "{\"extra_args\": [7]}", "extra_args[0]"},
    {"SlurmExecutor", "{\"gpus_per_job\": -1}", "gpus_per_job"},
    {"SlurmExecutor", "{\"max_concurrent\": \"2\"}", "max_concurrent"},
    {"SlurmExecutor", "{\"time_limit\": true}", "time_limit"},
    {"SlurmExecutor", "{\"time_limit\": 0}", "time_limit"},
    {"SlurmExecutor", "{\"poll_interval\": 0}", "poll_interval"},
    {"NGCExecutor", "{\"image\": \"nvcr.io/x\"}", "workspace_id"},
    {"NGCExecutor",
     "{\"image\": \"i\", \"workspace_id\": \"w\", \"workspace_path\": \"/ws\", \"org\": \"o\", "
     "\"ace\": \"a\", \"instance\": \"n\", \"result_dir\": \"/r\", \"dataset_id\": \"7\"}",
     "dataset_path"},
    {"NGCExecutor",
     "{\"image\": \"i\", \"workspace_id\": \"w\", \"workspace_path\": \"/ws\", \"org\": \"o\", "
     "\"ace\": \"a\", \"instance\": \"n\", \"result_dir\": \"/r\", \"poll\": 1}",
     "unknown arg 'poll'"},
};

START_TEST(bad_args_are_named)
{
    mmarml_executor *exe = NULL;
    json_t *args = json_loads(bad_args[_i].args, 0, NULL);
    int rc;

    ck_assert_ptr_nonnull(args);
    rc = strcmp(bad_args[_i].name, "SlurmExecutor") == 0 ? mmarml_executor_new_slurm(&exe, args)
                                                         : mmarml_executor_new_ngc(&exe, args);
    ck_assert_int_eq(rc, MMARML_EINVAL);
    ck_assert_ptr_null(exe);
    ck_assert_msg(strstr(mmarml_error_message(), bad_args[_i].needle) != NULL &&
                      strstr(mmarml_error_message(), bad_args[_i].name) != NULL,
                  "%s: %s", bad_args[_i].args, mmarml_error_message());
    json_decref(args);
}
END_TEST

/* ---- NGC ---- */

static mmarml_executor *ngc_executor(const char *workspace, const char *poll)
{
    json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:b}",
                             "image", "nvcr.io/nvidia/clara-train-sdk:v4.1", "dataset_id",
                             "1234", "dataset_path", "/data", "workspace_id", "ws-1",
                             "workspace_path", workspace, "org", "nvidian", "team", "clara",
                             "ace", "nv-us-west-2", "instance", "dgx1v.16g.1.norm",
                             "result_dir", "/result", "poll_interval", atof(poll),
                             "remove_search_augs", 1);
    mmarml_executor *exe = NULL;

    ck_assert_ptr_nonnull(args);
    ck_ok(mmarml_executor_new_ngc(&exe, args));
    json_decref(args);
    return exe;
}

/* The workspace path has a quote, spaces and $(...): the command line NGC runs in the
 * container (here: sh, as the stand-in plays it) must still run exactly the job's round
 * script with its MMAR_ROOT, and nothing else. */
START_TEST(ngc_argv_and_a_job_that_runs)
{
    mmarml_executor *exe;
    job_result r;
    char want[4096], path[1024], ws[256], *got;
    FILE *f;

    setup();
    snprintf(ws, sizeof(ws), "%s/ws it's $(touch pwned) `touch pwned2`", dir);
    ck_assert_int_eq(mkdir(ws, 0755), 0);
    snprintf(run_root, sizeof(run_root), "%s/r1", ws);
    ck_assert_int_eq(mkdir(run_root, 0755), 0);
    exe = ngc_executor(ws, "0.01");
    setenv("FAKE_NGC_PLAY", "QUEUED,STARTING,RUNNING,EXEC", 1);
    r = run_one(exe, "job_a");
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_int_eq(r.status, MMARML_JOB_OK);
    ck_assert_double_eq(r.score, 0.25); /* what the round script wrote, read locally */
    ck_assert_int_eq(r.exit_status, 0);
    ck_assert_str_eq(r.cluster_id, "5001");
    got = logged_call("run.log", 0);
    snprintf(want, sizeof(want),
             "--name\njob_a\n--image\nnvcr.io/nvidia/clara-train-sdk:v4.1\n--ace\n"
             "nv-us-west-2\n--instance\ndgx1v.16g.1.norm\n--org\nnvidian\n--team\nclara\n"
             "--result\n/result\n--datasetid\n1234:/data\n--workspace\n"
             "ws-1:%s:RW\n--commandline\n"
             "cd '%s/ws it'\\''s $(touch pwned) `touch pwned2`/r1/job_a/commands' && "
             "env 'MMAR_ROOT=%s/ws it'\\''s $(touch pwned) `touch pwned2`/r1/job_a' "
             "'MMARML_JOB_NAME=job_a' "
             "'MMARML_RUN_ROOT=%s/ws it'\\''s $(touch pwned) `touch pwned2`/r1' "
             "'%s/ws it'\\''s $(touch pwned) `touch pwned2`/r1/job_a/commands/"
             "automl_train_round.sh'\n"
             "--format_type\njson\n",
             ws, dir, dir, dir, dir);
    ck_assert_str_eq(got, want);
    free(got);
    snprintf(path, sizeof(path), "%s/job_a/ran.txt", run_root);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "the round script did not run: %s", path);
    ck_assert_ptr_nonnull(fgets(want, sizeof(want), f));
    fclose(f);
    ck_assert_str_eq(want, "job_a\n");
    /* the stand-in ran the command line with sh in our working directory: a value that
     * escaped its quotes would have touched ./pwned or ./pwned2 */
    ck_assert_int_ne(access("pwned", F_OK), 0);
    ck_assert_int_ne(access("pwned2", F_OK), 0);
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

static const struct {
    const char *play;
    int status;
    int64_t exit_status;
} ngc_cases[] = {
    {"QUEUED,RUNNING,FINISHED_SUCCESS:0", MMARML_JOB_OK, 0},
    {"QUEUED,RUNNING,FAILED:2", MMARML_JOB_FAILED, 2},
    {"RUNNING,KILLED_BY_SYSTEM", MMARML_JOB_FAILED, 12345},
    {"RUNNING,KILLED_BY_USER", MMARML_JOB_ABORTED, 12345},
    {"RUNNING,FAILED_RUN_LIMIT_EXCEEDED", MMARML_JOB_TIMEOUT, 12345},
    {"RUNNING,TASK_LOST", MMARML_JOB_FAILED, 12345},
};

START_TEST(ngc_states_map_onto_statuses)
{
    mmarml_executor *exe;
    job_result r;

    setup();
    exe = ngc_executor(dir, "0.01");
    setenv("FAKE_NGC_PLAY", ngc_cases[_i].play, 1);
    r = run_one(exe, "job_a");
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_msg(r.status == ngc_cases[_i].status, "%s: %s", ngc_cases[_i].play,
                  mmarml_job_status_name(r.status));
    ck_assert_msg(r.exit_status == ngc_cases[_i].exit_status, "%s: exit %lld",
                  ngc_cases[_i].play, (long long)r.exit_status);
    if (r.status == MMARML_JOB_OK) /* the fixture's score: the script did not run */
        ck_assert_double_eq(r.score, 0.75);
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

/* A resumed run's job that NGC has (ran, or runs) is adopted: no second `ngc batch run`. */
START_TEST(ngc_adopts_a_noted_job)
{
    mmarml_executor *exe;
    job_call c;

    setup();
    exe = ngc_executor(dir, "0.01");
    setenv("FAKE_NGC_PLAY", "QUEUED,RUNNING,FAILED:2", 1);
    ck_assert_int_eq(run_one(exe, "job_a").rc, MMARML_OK);
    memset(&c, 0, sizeof(c));
    c.exe = exe;
    c.job = "job_a";
    c.resumed = "{\"attempt\": 1, \"notes\": {\"cluster_job_id\": \"5001\"}}";
    run_job(&c);
    ck_assert_msg(c.res.rc == MMARML_OK, "%s", c.res.message);
    ck_assert_str_eq(c.res.cluster_id, "5001");
    ck_assert_int_eq(c.res.status, MMARML_JOB_FAILED); /* the job's real end */
    ck_assert_int_eq(c.res.exit_status, 2);
    ck_assert_msg(!file_has("next", "5002"), "the adopted job was submitted again");
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

START_TEST(ngc_abort_is_batch_kill)
{
    mmarml_executor *exe;
    job_result r;

    setup();
    exe = ngc_executor(dir, "30");
    setenv("FAKE_NGC_PLAY", "QUEUED,RUNNING", 1);
    r = run_and_abort(exe, "job.5001.i", 1);
    ck_assert_msg(r.rc == MMARML_OK, "%s", r.message);
    ck_assert_int_eq(r.status, MMARML_JOB_ABORTED);
    ck_assert(file_has("kill.log", "5001\n"));
    mmarml_executor_unref(exe);
    teardown();
}
END_TEST

/* Clara's round script runs as itself on a cluster: on main before issue 12 sbatch ran a
 * spool copy, so dirname "$0" was the spool directory and set_env.sh was not found. The
 * Slurm stand-in now runs each job as slurmd would (a copy of the batch script, elsewhere)
 * and the NGC one runs the command line; Clara's commands/ are unchanged. */
START_TEST(clara_commands_on_the_cluster_stand_ins)
{
    char clara[600], conf[700], text[2048], root[700];
    mmarml_registry *reg = NULL;
    mmarml_context *ctx = NULL;
    mmarml_engine *e = NULL;
    json_t *vars = json_pack("{s:s, s:s}", "run_id", "c", "trainconf", "trn_autoML_LR_LP.json");

    setup();
    snprintf(clara, sizeof(clara), "%s/clara", dir);
    tu_clara_mmar(TEST_DATA_DIR, clara);
    setenv("FAKE_SLURM_RUN", "1", 1);
    setenv("FAKE_NGC_PLAY", "QUEUED,RUNNING,EXEC", 1);
    snprintf(conf, sizeof(conf), "%s/config/config_automl_cluster.json", clara);
    if (_i == 0)
        snprintf(text, sizeof(text),
                 "{\"handlers\": [{\"name\": \"MMARHandler\", \"args\": {\"num_mmars_to_keep\":"
                 " 30, \"train_config_file\": \"{trainconf}\"}}, {\"name\": "
                 "\"MMARStatsHandler\"}], \"executor\": {\"name\": \"SlurmExecutor\", \"args\":"
                 " {\"poll_interval\": 0.01}}, \"controller\": {\"name\": "
                 "\"RandomController\", \"args\": {\"max_rounds\": 3}}}");
    else
        snprintf(text, sizeof(text),
                 "{\"handlers\": [{\"name\": \"MMARHandler\", \"args\": {\"num_mmars_to_keep\":"
                 " 30, \"train_config_file\": \"{trainconf}\", \"work_dir\": \"%s/ws\"}}, "
                 "{\"name\": \"MMARStatsHandler\"}], \"executor\": {\"name\": \"NGCExecutor\", "
                 "\"args\": {\"image\": \"clara\", \"workspace_id\": \"w\", \"workspace_path\":"
                 " \"%s/ws\", \"poll_interval\": 0.01}}, \"controller\": {\"name\": "
                 "\"RandomController\", \"args\": {\"max_rounds\": 3}}}",
                 dir, dir);
    write_file(conf, text, 0644);
    ck_ok(mmarml_registry_new(&reg));
    ck_ok(mmarml_context_new(&ctx, NULL));
    ck_ok(mmarml_automl_engine_new(&e, ctx, reg, clara, "config_automl_cluster.json", vars));
    ck_ok(mmarml_engine_run(e, ctx));
    if (_i == 0)
        snprintf(root, sizeof(root), "%s/automl/c", clara);
    else
        snprintf(root, sizeof(root), "%s/ws/c", dir);
    ck_assert_int_eq(tu_check_clara_jobs(root), 3);
    mmarml_engine_unref(e);
    mmarml_context_unref(ctx);
    mmarml_registry_unref(reg);
    json_decref(vars);
    unsetenv("FAKE_SLURM_RUN");
    unsetenv("FAKE_NGC_PLAY");
    unsetenv("PYTHONPATH");
    teardown();
}
END_TEST

static Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *t = tcase_create("slurm");
    TCase *n = tcase_create("ngc");

    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, slurm_states_map_onto_statuses, 0,
                        sizeof(slurm_cases) / sizeof(slurm_cases[0]));
    tcase_add_test(t, slurm_forgotten_job_without_score_is_no_score);
    tcase_add_loop_test(t, slurm_adopts_a_noted_job, 0, 2);
    tcase_add_test(t, ngc_adopts_a_noted_job);
    tcase_add_test(t, slurm_sbatch_argv_and_environment);
    tcase_add_test(t, slurm_abort_is_scancel);
    tcase_add_test(t, slurm_abort_before_the_job_was_published);
    tcase_add_test(t, slurm_submit_failure_is_an_error_naming_sbatch);
    tcase_add_test(t, slurm_missing_commands_say_so);
    tcase_add_test(t, slurm_max_concurrent_through_the_engine);
    tcase_add_loop_test(t, bad_args_are_named, 0, sizeof(bad_args) / sizeof(bad_args[0]));
    suite_add_tcase(s, t);
    tcase_set_timeout(n, 60);
    tcase_add_test(n, ngc_argv_and_a_job_that_runs);
    tcase_add_loop_test(n, ngc_states_map_onto_statuses, 0,
                        sizeof(ngc_cases) / sizeof(ngc_cases[0]));
    tcase_add_test(n, ngc_abort_is_batch_kill);
    tcase_add_loop_test(n, clara_commands_on_the_cluster_stand_ins, 0, 2);
    suite_add_tcase(s, n);
    return s;
}

int main(void)
{
    int rc = tu_run(cluster_suite());

    free(orig_path);
    return rc;
}
