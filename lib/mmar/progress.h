/* Following a job's progress (docs/early-stopping.md): a thread per job reads the lines a
 * trainer appends to its progress file (one JSON object each) and, with a regular
 * expression, the lines of its log, and gives every value to mmarml_job_report(). It wakes
 * on inotify for files written on this machine, and at the poll interval for those a
 * cluster node writes on a shared file system. */
#ifndef MMARML_MMAR_PROGRESS_H
#define MMARML_MMAR_PROGRESS_H

#include <regex.h>

#include "mmarml.h"

/* The progress file and the stop marker, in the job MMAR. */
#define MMAR_PROGRESS_FILE "progress.jsonl"
#define MMAR_STOP_FILE ".mmarml_stop"
/* A line longer than this is skipped (and said once in the trace). */
#define MMAR_PROGRESS_MAX_LINE 65536

typedef struct mmar_progress mmar_progress;

/* progress_regex_groups names at most this many groups (their matches are on the stack). */
#define MMAR_PROGRESS_MAX_GROUP 9

/* What the executor's args say about progress. */
typedef struct {
    regex_t regex;      /* valid when has_regex */
    int has_regex;
    int step_group, value_group, time_group; /* in regex, 1-based; time_group 0: none */
    char *metric;       /* only lines of this metric count (NULL: any) */
    double poll_s;      /* longest wait between reads */
} mmar_progress_config;

/* Parse `progress_regex`, `progress_regex_groups` and `progress_metric` of `args` (the executor named `who`). */
int mmar_progress_config_parse(mmar_progress_config *cfg, const json_t *args, const char *who,
                               double poll_s);
void mmar_progress_config_free(mmar_progress_config *cfg);

/* Start following the job whose MMAR is `job_root` (cfg borrowed: it must outlive p). */
int mmar_progress_start(mmar_progress **out, const mmar_progress_config *cfg,
                        mmarml_context *job, const char *job_root);
/* Read what is left, stop the thread, say what was skipped, free. NULL-safe. */
void mmar_progress_finish(mmar_progress *p);

#endif
