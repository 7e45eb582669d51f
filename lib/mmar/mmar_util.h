/* Helpers shared by the MMAR components (public API only). */
#ifndef MMARML_MMAR_UTIL_H
#define MMARML_MMAR_UTIL_H

#include "mmarml.h"

/* A string property that must be there; the message names `who` and the key. */
int mmar_get_string(const mmarml_context *ctx, const char *key, const char *who, char **out);
/* <mmar>/config/<_trainConfigFile> (default config_train.json), or the file if absolute. */
int mmar_train_config_path(char **out, const mmarml_context *ctx);
/* Write JSON to a temporary file beside `path` and rename it over `path`: readers never see
 * a torn file. With `durable`, fsync before the rename, so the new content survives a crash
 * (the stats and summary files); a job's config needs no such promise. Reals with 15
 * significant digits. */
int mmar_write_json_atomic(const char *path, const json_t *json, int durable);
/* json_dumps() with every real in the shortest form that reads back as the same double
 * (json_text.c). Release with free(). */
char *mmar_json_dumps(const json_t *json, size_t flags);
/* A score as Clara (Python) prints a float: its shortest exact digits, "0.5", "-1000000.0",
 * "1e-05". */
void mmar_format_score(char *out, size_t n, double v);
/* Write text the same way. A file system that failed (full, quota, ...) is MMARML_ESTORAGE. */
int mmar_write_text_atomic(const char *path, const char *text, int durable);
/* Remove from `dir` (not below it) the temporary files of those writes that a killed process
 * left (`<name>.tmp.<pid>`, for a pid with no process). Call it once the run holds its
 * journal's lock, so that no other run writes there. Best effort: what cannot be removed
 * stays, and the count removed is returned. */
int mmar_remove_left_temps(const char *dir);
/* MMARML_ESTORAGE for an errno that says the file system failed (ENOSPC, EDQUOT, EIO, EROFS,
 * EFBIG): the run stops then; MMARML_EIO for any other. */
int mmar_io_code(int err);
/* write() all of buf, through short writes and EINTR: 0, or the errno. */
int mmar_write_all(int fd, const void *buf, size_t len);
/* best_validation_metric of <job>/models/train_stats.json, else <job>/train_stats.json;
 * MMARML_ENOTFOUND when missing, malformed, without the key, or not finite. With `stats`,
 * the file's object as well (NULL if none; release it). */
int mmar_read_score(const char *job_root, double *score, json_t **stats);
/* "2026-11-28 00:51:02.123456" for a CLOCK_REALTIME time in seconds. */
void mmar_format_time(char *buf, size_t n, double t);
double mmar_wall_time(void);
/* CLOCK_MONOTONIC in seconds, for intervals. */
double mmar_monotonic_time(void);
/* Load a JSON config file: refused unless it is a regular file (a FIFO would block the run
 * for ever, a device or a directory is no config); duplicate keys refused; the messages name
 * the file (and line:column). `what` says what the file is ("training config"). */
int mmar_load_json_file(json_t **out, const char *path, const char *what);
/* Open `path` for reading only if it is a regular file (O_NONBLOCK while checking, so a FIFO
 * cannot block). A descriptor, or -1 with the message set. */
int mmar_open_regular(const char *path, const char *what);
/* "fnv1a64:<16 hex digits>" of a file's bytes: what tells a resume that a config changed
 * (not a defence against a forger). MMARML_ENOTFOUND / MMARML_EIO naming the file. */
int mmar_file_digest(char out[32], const char *path);
/* Add {name: digest of path} to the run's identity (`_runIdentity`). */
int mmar_identity_add(mmarml_context *ctx, const char *name, const char *path);
/* Where a job's round script runs: <job>/commands (<job> when there is none). Clara's
 * set_env.sh puts "$(pwd)/../BYOC" on PYTHONPATH, which is the job's BYOC folder only from
 * there. Release with free(); NULL when out of memory. */
char *mmar_round_script_cwd(const char *job_root);
/* mkdir -p. *made_top (free it) is the shallowest directory it made, NULL if none: what a
 * failed start removes again. */
int mmar_make_dirs(const char *path, char **made_top);
/* rm -rf of a job MMAR (never follows symlinks out of it). */
int mmar_remove_tree(const char *path);

/*
 * What the run made is what it may remove. Each job MMAR it makes holds a mark (this file:
 * the job's name and the run root's identity), written right after its directory was
 * created; a job MMAR is removed (keep policy, a resumed job made anew) only with that mark.
 */
#define MMAR_JOB_MARK ".mmarml_job"
int mmar_job_mark_write(const char *job_root, const char *run_root, const char *job_name);
/* 1 when `job_root` is a directory (not a link) holding this run's mark for `job_name`. */
int mmar_job_root_is_ours(const char *job_root, const char *run_root, const char *job_name);
/* Remove <run_root>/<job_name> if this run made it; MMARML_EEXISTS (left as it is) if an
 * entry there is not its own; MMARML_OK if there is none. */
int mmar_remove_job_root(const char *run_root, const char *job_name);

#endif
