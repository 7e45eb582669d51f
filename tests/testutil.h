/* Shared helpers of the Check suites: spaces, a recording handler, scriptable executors. */
#ifndef MMARML_TESTUTIL_H
#define MMARML_TESTUTIL_H

#include <check.h>
#include <pthread.h>
#include <stdio.h>

#include <mmarml.h>

/* Fail with the library's message when rc is not MMARML_OK. */
#define ck_ok(expr)                                                                         \
    do {                                                                                    \
        int ck_rc_ = (expr);                                                                \
        ck_assert_msg(ck_rc_ == MMARML_OK, "%s returned %s: %s", #expr,                     \
                      mmarml_error_name(ck_rc_), mmarml_error_message());                   \
    } while (0)

/* A space with one float "lr.float.$0:learning_rate" [0.001, 0.1], one enum with 3 choices
 * "net.enum.train.model$0:act" and one int "net.int.train.model$1:width" [1, 8]. */
mmarml_search_space *tu_space(void);

/* ---- recording handler: every event as "event" or "event:job", in order ---- */
typedef struct {
    pthread_mutex_t lock;
    char **events;
    size_t count, cap;
    int fail_event;    /* MMARML__EV-like index in tu_event_names to fail, -1 for none */
    int destroyed;
} tu_recorder;

extern const char *const tu_event_names[9];
void tu_recorder_init(tu_recorder *r);
void tu_recorder_free(tu_recorder *r);
/* A handler recording into r (r must outlive it); destroy marks r->destroyed. */
mmarml_handler *tu_recording_handler(tu_recorder *r);
void tu_record(tu_recorder *r, const char *text);
/* Index of the first event equal to `name` at or after `from`, or -1. */
long tu_find_event(tu_recorder *r, const char *name, size_t from);
size_t tu_count_prefix(tu_recorder *r, const char *prefix);
size_t tu_count_substr(tu_recorder *r, const char *needle);

/* ---- scriptable in-process executor ---- */
enum {
    TU_EXEC_SCORE,   /* ok; score = value of the first param (or job number) */
    TU_EXEC_FAIL,    /* status failed */
    TU_EXEC_ERROR,   /* execute returns MMARML_EUSER */
    TU_EXEC_BLOCK,   /* blocks until aborted; returns status aborted */
    TU_EXEC_NO_SCORE /* ok status with a NaN score */
};

typedef struct {
    int mode;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned executing; /* how many execute() calls are in progress */
    unsigned max_executing;
    unsigned executed;
    unsigned aborts;
    int destroyed;
    /* which recommendation ids failed etc. can be decided by this hook, if set */
    int (*mode_for)(const mmarml_recommendation *rec, mmarml_context *job_ctx);
    /* the space the executor determines: NULL for tu_space() (borrowed) */
    mmarml_search_space *space;
    /* mode BLOCK: abort flags per job context */
    mmarml_context *blocked[64];
    int released[64];
} tu_executor_state;

void tu_executor_init(tu_executor_state *st, int mode);
void tu_executor_free(tu_executor_state *st);
/* An executor over st->space (default tu_space()) run as `st` says (st must outlive it). */
mmarml_executor *tu_executor(tu_executor_state *st);
/* Wait until `n` executes are running at once (up to 5 s). Returns 1 on success. */
int tu_wait_executing(tu_executor_state *st, unsigned n);

/* How many processes have `marker` in their command line (scans /proc). */
int tu_processes_with(const char *marker);
/* The same, after waiting up to 3 s for it to reach 0: processes just killed (SIGKILL to a
 * trainer's group) may still be listed for a moment on a loaded machine. */
int tu_processes_left(const char *marker);

/* Copy tests/data/mmar-clara (Clara's commands/ and config/ unchanged) to `dst`, and put the
 * stand-in medl.apps.train (tests/data/clara-medl) on PYTHONPATH. */
void tu_clara_mmar(const char *data_dir, const char *dst);
/* Every job in the run's stats file ended ok, and each kept job's probe says Clara's round
 * script ran as itself: MMAR_ROOT the job MMAR, its BYOC folder on PYTHONPATH, Clara's
 * arguments. Returns how many jobs there were. */
int tu_check_clara_jobs(const char *run_root);

/* Run a suite with Check's normal output; returns the process exit status. */
int tu_run(Suite *s);

/* Report `value` at `step` of job `job` (number n) to pruner p, with no context; the
 * decision, 0 or 1. */
int tu_report(mmarml_pruner *p, const char *job, uint64_t n, double step, double value);
/* The registry refuses the pruner `spec_text` (JSON) with `rc` and a message naming `arg`. */
void tu_pruner_refused(mmarml_registry *reg, const char *spec_text, int rc, const char *arg);
/* The pruner `reg` makes from the spec `spec_text` (JSON); fails the test if it refuses. */
mmarml_pruner *tu_pruner_make(mmarml_registry *reg, const char *spec_text);

/* A copy of the fixture MMAR `<data_dir>/<fixture>` in a new directory
 * /tmp/mmarml-<fixture>-XXXXXX, whose path goes to dir (size bytes). */
void tu_fixture_copy(char *dir, size_t size, const char *data_dir, const char *fixture);
/* The whole text of the file at `path` (malloc'd); fails the test when it cannot be read. */
char *tu_read_file(const char *path);
/* Remove the directory tree `dir`. */
void tu_remove_tree(const char *dir);

/* Write `json` to `f` as one whole journal record, framed and checksummed as the journal
 * writes them (the library's writer is internal): for tests that write a journal by hand. */
void tu_put_record(FILE *f, const char *json);

/* Simple engine options. */
mmarml_engine_options tu_options(const char *workers);

#endif
