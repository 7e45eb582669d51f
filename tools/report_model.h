/* A run as `mmarml report` sees it: read from the run's journal (live or finished) through
 * mmarml_journal_read(), which takes no lock, so a live run's writer is not disturbed. */
#ifndef MMARML_TOOLS_REPORT_MODEL_H
#define MMARML_TOOLS_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum { PARAM_FLOAT, PARAM_INT, PARAM_ENUM };

typedef struct {
    char *prl;
    int type;      /* PARAM_* */
    int log;       /* log scale */
    double min, max;
    json_t *choices; /* an enum's choices (array), else NULL */
} report_param;

typedef struct {
    char *name;       /* W1_1_J1 */
    char *worker;     /* W1 */
    uint64_t n;       /* job number */
    int attempt;
    double *values;   /* one per param (enum: the choice index); NaN when absent */
    /* "ok", "pruned", ... (static strings); "running" (no end yet), or "interrupted" (a
     * finished run's job whose part died before it ended) */
    const char *status;
    double score;     /* ok and pruned jobs: the score; else NaN */
    double start, end; /* wall clock; a running job ends at the report's "now" */
    unsigned gpus;     /* its worker's GPUs (0: a worker without GPUs) */
    double *steps, *reports; /* intermediate reports, in order */
    size_t nreports, cap_reports;
    double first_time, last_time; /* when its first and last reports were measured; NaN:
                                   * none, or a journal older than report times */
} report_job;

typedef struct {
    char *run_root;
    char *journal;
    char *space_name;      /* the training config's file name (the space's name) */
    size_t nparams;
    report_param *params;
    report_job *jobs;      /* in start order */
    size_t njobs, cap_jobs;
    char **workers;        /* in order of first appearance */
    size_t nworkers;
    double t0, now;        /* the first header's time; the last record's time (or clock) */
    const char *state;     /* "finished", "stopped", "live or interrupted" */
    char *end_reason;      /* the end_run record's reason, when there is one */
    size_t torn_bytes;     /* a torn last record (a live writer mid-append) */
    int parts;             /* 1 + resumes */
    /* a name -> job index hash (open addressing), for end and report records */
    size_t *slots, nslots;
} report_run;

/* Load `<run_root>/journal.mmarml` (or `journal` when not NULL). Returns MMARML_OK, or an
 * error code with mmarml_error_message() saying what was wrong and where. */
int report_run_load(report_run *run, const char *run_root, const char *journal);
void report_run_free(report_run *run);

/* The ok job with the highest score (the earliest of equal ones), or NULL. */
const report_job *report_best(const report_run *run);
/* How many jobs have status `status`. */
size_t report_count(const report_run *run, const char *status);

#endif
