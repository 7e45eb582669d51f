#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "testutil.h"

mmarml_search_space *tu_space(void)
{
    mmarml_search_space *s = NULL;
    json_t *choices = json_pack("[[s],[s],[s]]", "relu", "tanh", "sigmoid");

    ck_ok(mmarml_search_space_new(&s, "config_train.json"));
    ck_ok(mmarml_search_space_add_float(s, "lr.float.$0:learning_rate", "lr", 0.001, 0.1, 0));
    ck_ok(mmarml_search_space_add_enum(s, "net.enum.train.model$0:act", "net", choices));
    ck_ok(mmarml_search_space_add_int(s, "net.int.train.model$1:width", "net", 1, 8, 0));
    json_decref(choices);
    return s;
}

/* ---- recording handler ---- */

const char *const tu_event_names[9] = {
    MMARML_EVENT_STARTUP, MMARML_EVENT_SHUTDOWN, MMARML_EVENT_START_AUTOML,
    MMARML_EVENT_END_AUTOML, MMARML_EVENT_SEARCH_SPACE_AVAILABLE,
    MMARML_EVENT_RECOMMENDATIONS_AVAILABLE, MMARML_EVENT_START_JOB, MMARML_EVENT_END_JOB,
    MMARML_EVENT_ROUND_ENDED};

void tu_recorder_init(tu_recorder *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->fail_event = -1;
}

void tu_recorder_free(tu_recorder *r)
{
    size_t i;

    for (i = 0; i < r->count; i++)
        free(r->events[i]);
    free(r->events);
    pthread_mutex_destroy(&r->lock);
}

void tu_record(tu_recorder *r, const char *text)
{
    pthread_mutex_lock(&r->lock);
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->events = realloc(r->events, r->cap * sizeof(*r->events));
        ck_assert_ptr_nonnull(r->events);
    }
    r->events[r->count++] = strdup(text);
    pthread_mutex_unlock(&r->lock);
}

static int recorder_event(mmarml_handler *self, const char *event, mmarml_context *ctx,
                          void *ud)
{
    tu_recorder *r = ud;
    char *job = NULL, *status = NULL, text[256];

    (void)self;
    if (strcmp(event, MMARML_EVENT_START_JOB) == 0 || strcmp(event, MMARML_EVENT_END_JOB) == 0)
        mmarml_context_get_string(ctx, MMARML_KEY_JOB_NAME, &job);
    if (strcmp(event, MMARML_EVENT_END_JOB) == 0)
        mmarml_context_get_string(ctx, MMARML_KEY_JOB_STATUS, &status);
    if (job != NULL && status != NULL)
        snprintf(text, sizeof(text), "%s:%s:%s", event, job, status);
    else if (job != NULL)
        snprintf(text, sizeof(text), "%s:%s", event, job);
    else
        snprintf(text, sizeof(text), "%s", event);
    mmarml_free(job);
    mmarml_free(status);
    tu_record(r, text);
    if (r->fail_event >= 0 && strcmp(event, tu_event_names[r->fail_event]) == 0)
        return mmarml_error_set(MMARML_EUSER, "recorder fails %s on purpose", event);
    return MMARML_OK;
}

static void recorder_destroy(void *ud)
{
    ((tu_recorder *)ud)->destroyed++;
}

mmarml_handler *tu_recording_handler(tu_recorder *r)
{
    mmarml_handler_vtable vt;
    mmarml_handler *h = NULL;

    ck_ok(mmarml_handler_vtable_init(&vt, MMARML_HANDLER_VTABLE_VERSION));
    vt.handle_event = recorder_event;
    vt.destroy = recorder_destroy;
    ck_ok(mmarml_handler_new(&h, &vt, r));
    return h;
}

long tu_find_event(tu_recorder *r, const char *name, size_t from)
{
    size_t i;

    for (i = from; i < r->count; i++)
        if (strcmp(r->events[i], name) == 0)
            return (long)i;
    return -1;
}

size_t tu_count_prefix(tu_recorder *r, const char *prefix)
{
    size_t i, n = 0;

    for (i = 0; i < r->count; i++)
        n += strncmp(r->events[i], prefix, strlen(prefix)) == 0;
    return n;
}

size_t tu_count_substr(tu_recorder *r, const char *needle)
{
    size_t i, n = 0;

    for (i = 0; i < r->count; i++)
        n += strstr(r->events[i], needle) != NULL;
    return n;
}

/* ---- executor ---- */

void tu_executor_init(tu_executor_state *st, int mode)
{
    memset(st, 0, sizeof(*st));
    st->mode = mode;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->cond, NULL);
}

void tu_executor_free(tu_executor_state *st)
{
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->lock);
}

static int tu_determine(mmarml_search_space **out, mmarml_executor *self, mmarml_context *ctx,
                        void *ud)
{
    tu_executor_state *st = ud;

    (void)self;
    (void)ctx;
    *out = st->space != NULL ? mmarml_search_space_ref(st->space) : tu_space();
    return MMARML_OK;
}

static int block_until_aborted(tu_executor_state *st, mmarml_context *job_ctx)
{
    int slot = -1, i, aborted = 0;

    for (i = 0; i < 64 && slot < 0; i++)
        if (st->blocked[i] == NULL)
            slot = i;
    ck_assert_int_ge(slot, 0);
    st->blocked[slot] = job_ctx;
    st->released[slot] = 0;
    /* an abort that came before we registered is visible on the context */
    if (mmarml_context_get_bool(job_ctx, MMARML_KEY_JOB_ABORTED, &aborted) == MMARML_OK &&
        aborted)
        st->released[slot] = 1;
    while (!st->released[slot])
        pthread_cond_wait(&st->cond, &st->lock);
    st->blocked[slot] = NULL;
    return MMARML_JOB_ABORTED;
}

static int tu_execute(int *status, double *score, mmarml_executor *self,
                      const mmarml_recommendation *rec, mmarml_context *job_ctx, void *ud)
{
    tu_executor_state *st = ud;
    int mode = st->mode_for != NULL ? st->mode_for(rec, job_ctx) : st->mode;
    int rc = MMARML_OK;

    (void)self;
    pthread_mutex_lock(&st->lock);
    st->executing++;
    if (st->executing > st->max_executing)
        st->max_executing = st->executing;
    pthread_cond_broadcast(&st->cond);
    switch (mode) {
    case TU_EXEC_SCORE:
        *status = MMARML_JOB_OK;
        *score = mmarml_recommendation_values(rec)[0];
        break;
    case TU_EXEC_FAIL:
        *status = MMARML_JOB_FAILED;
        break;
    case TU_EXEC_ERROR:
        rc = mmarml_error_set(MMARML_EUSER, "test executor fails on purpose");
        break;
    case TU_EXEC_BLOCK:
        *status = block_until_aborted(st, job_ctx);
        break;
    default:
        *status = MMARML_JOB_OK;
        *score = NAN;
        break;
    }
    st->executing--;
    st->executed++;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static void tu_abort(mmarml_executor *self, mmarml_context *job_ctx, void *ud)
{
    tu_executor_state *st = ud;
    int i;

    (void)self;
    pthread_mutex_lock(&st->lock);
    st->aborts++;
    for (i = 0; i < 64; i++)
        if (st->blocked[i] == job_ctx)
            st->released[i] = 1;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

static void tu_destroy(void *ud)
{
    ((tu_executor_state *)ud)->destroyed++;
}

mmarml_executor *tu_executor(tu_executor_state *st)
{
    mmarml_executor_vtable vt;
    mmarml_executor *exe = NULL;

    ck_ok(mmarml_executor_vtable_init(&vt, MMARML_EXECUTOR_VTABLE_VERSION));
    vt.determine_search_space = tu_determine;
    vt.execute = tu_execute;
    vt.abort = tu_abort;
    vt.destroy = tu_destroy;
    ck_ok(mmarml_executor_new(&exe, &vt, st));
    return exe;
}

int tu_wait_executing(tu_executor_state *st, unsigned n)
{
    struct timespec deadline;
    int ok;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    pthread_mutex_lock(&st->lock);
    while (st->executing < n &&
           pthread_cond_timedwait(&st->cond, &st->lock, &deadline) == 0)
        ;
    ok = st->executing >= n;
    pthread_mutex_unlock(&st->lock);
    return ok;
}

mmarml_engine_options tu_options(const char *workers)
{
    mmarml_engine_options o = MMARML_ENGINE_OPTIONS_INIT;

    o.workers = workers;
    return o;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

int tu_processes_with(const char *marker)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], cmd[512] = {0};
        FILE *f;
        size_t len, i;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        len = fread(cmd, 1, sizeof(cmd) - 1, f);
        fclose(f);
        for (i = 0; i + 1 < len; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        n += strstr(cmd, marker) != NULL;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

void tu_clara_mmar(const char *data_dir, const char *dst)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp -r '%s/mmar-clara/.' '%s/'", dst, data_dir,
             dst);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/clara-medl", data_dir);
    setenv("PYTHONPATH", cmd, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1); /* nothing written into the source tree */
}

int tu_check_clara_jobs(const char *run_root)
{
    char path[2048], real[4096], want[4200];
    json_t *stats, *job;
    size_t i;

    snprintf(path, sizeof(path), "%s/automl_stats_log.json", run_root);
    stats = json_load_file(path, 0, NULL);
    ck_assert_msg(stats != NULL, "no stats file at %s", path);
    json_array_foreach(json_object_get(stats, "jobs"), i, job) {
        const char *name = json_string_value(json_object_get(job, "job"));
        json_t *probe;
        ck_assert_msg(strcmp(json_string_value(json_object_get(job, "status")), "ok") == 0,
                      "%s: %s", name, json_string_value(json_object_get(job, "status")));
        snprintf(path, sizeof(path), "%s/%s/models/clara_probe.json", run_root, name);
        probe = json_load_file(path, 0, NULL);
        if (probe == NULL)
            continue; /* a job MMAR the keep policy removed */
        ck_assert_ptr_nonnull(realpath(run_root, real));
        snprintf(want, sizeof(want), "%s/%s", real, name);
        /* set_env.sh found through dirname "$0": MMAR_ROOT is the job MMAR */
        ck_assert_str_eq(json_string_value(json_object_get(probe, "mmar_root")), want);
        /* and "$(pwd)/../BYOC" is the job's BYOC folder */
        snprintf(want, sizeof(want), "%s/%s/BYOC", real, name);
        ck_assert_str_eq(json_string_value(json_object_get(probe, "byoc")), want);
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(probe, "set"), 0)),
                         "print_conf=True");
        json_decref(probe);
    }
    i = json_array_size(json_object_get(stats, "jobs"));
    json_decref(stats);
    return (int)i;
}

int tu_processes_left(const char *marker)
{
    int n, tries;

    /* a process killed with SIGKILL is gone once the kernel has run it to its end: give a
     * loaded machine a moment, a survivor stays for good */
    for (tries = 0; (n = tu_processes_with(marker)) > 0 && tries < 150; tries++)
        usleep(20000);
    return n;
}

int tu_report(mmarml_pruner *p, const char *job, uint64_t n, double step, double value)
{
    int stop = -1;

    ck_ok(mmarml_pruner_report(&stop, p, job, n, step, value, NULL));
    ck_assert_int_ge(stop, 0);
    return stop;
}

mmarml_pruner *tu_pruner_make(mmarml_registry *reg, const char *spec_text)
{
    json_t *spec = json_loads(spec_text, 0, NULL);
    mmarml_pruner *p = NULL;

    ck_assert_ptr_nonnull(spec);
    ck_ok(mmarml_registry_create_pruner(&p, reg, spec, "test"));
    json_decref(spec);
    return p;
}

void tu_pruner_refused(mmarml_registry *reg, const char *spec_text, int rc, const char *arg)
{
    json_t *spec = json_loads(spec_text, 0, NULL);
    mmarml_pruner *p = NULL;

    ck_assert_ptr_nonnull(spec);
    ck_assert_int_eq(mmarml_registry_create_pruner(&p, reg, spec, "test"), rc);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(mmarml_error_message(), arg) != NULL, "'%s' not in '%s'", arg,
                  mmarml_error_message());
    json_decref(spec);
}

void tu_fixture_copy(char *dir, size_t size, const char *data_dir, const char *fixture)
{
    char cmd[1024];

    ck_assert_int_lt(snprintf(dir, size, "/tmp/mmarml-%s-XXXXXX", fixture), (int)size);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "cp -r '%s/%s/.' '%s/'", data_dir, fixture, dir);
    ck_assert_int_eq(system(cmd), 0);
}

char *tu_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    long n;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

void tu_remove_tree(const char *dir)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

void tu_put_record(FILE *f, const char *json)
{
    size_t n = strlen(json);

    ck_assert_int_gt(fprintf(f, "J1 %zu %08x %s\n", n, test_crc32c(json, n), json), 0);
}
