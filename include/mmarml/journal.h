/**
 * @file mmarml/journal.h
 * @brief The run journal: what a run knows, on disk, so that it can be resumed.
 *
 * With the engine option `journal`, the engine appends a record to the journal before it
 * acts on or reports anything that changes what the run knows: the search space and the
 * run's identity (digests of its config files), each job's start (recommendation, worker,
 * attempt), facts an executor notes about a running job (a cluster job id), each job's end
 * (fsynced before the controller or any handler sees it), stops and the end of the run.
 * With the option `resume`, mmarml_engine_run() continues the run the journal records:
 * see docs/resume.md for the format, the guarantees and what each executor does.
 *
 * Records are single lines `J1 <length> <crc32c> <json>`; a torn last record (the writer
 * died in it) is ignored, any other damaged record makes the journal refused.
 */
#ifndef MMARML_JOURNAL_H
#define MMARML_JOURNAL_H

#include <jansson.h>
#include "common.h"
#include "context.h"

/** The journal format this library writes, and the newest it reads. */
#define MMARML_JOURNAL_FORMAT_VERSION 1

/** @name Journal-related context keys (libmmarml additions)
 * @{ */
/** Main context, bool: the engine is resuming a journaled run (set before `startup`).
 *  Components that make things at the start (MMARHandler's run root) take what is there. */
#define MMARML_KEY_RESUMING "_resuming"
/** Main context, JSON object `{name: digest}`: what identifies the run's inputs (config
 *  files). Components add to it by `start_automl`; the journal keeps it, and a resume whose
 *  identity differs is refused naming the entries that changed. */
#define MMARML_KEY_RUN_IDENTITY "_runIdentity"
/** Job context, bool: this job ended before the run was resumed; its `end_job` is replayed
 *  from the journal so handlers rebuild what they knew (nothing is executed again). */
#define MMARML_KEY_JOB_RESTORED "_jobRestored"
/** Job context, JSON object: the job was running when the run died and runs again now,
 *  under its name: `{"attempt", "notes": {key: value}}` with what mmarml_job_note() recorded
 *  for it. A cluster executor adopts the job its notes name instead of submitting anew. */
#define MMARML_KEY_RESUMED_JOB "_resumedJob"
/** Job context, int: the attempt (1 = first run; retries count up, see max_retries). */
#define MMARML_KEY_JOB_ATTEMPT "_jobAttempt"
/** Job context, double: wall-clock (CLOCK_REALTIME) seconds when the job started / ended. */
#define MMARML_KEY_JOB_START_TIME "_jobStartTime"
#define MMARML_KEY_JOB_END_TIME "_jobEndTime" /**< Job context, double: when the job ended (as above) */
/** Main context, bool: set before `end_automl`/`shutdown` when the run failed before its
 *  first job (also a refused resume): a component removes what it made at the start for
 *  this run, and writes nothing more (a refused resume changes nothing). */
#define MMARML_KEY_RUN_START_FAILED "_runStartFailed"
/** @} */

MMARML_BEGIN_DECLS

/**
 * Read every whole record of a journal, without taking its lock (a live run may be
 * appending). `*records`: new reference to an array of objects, in file order.
 * `torn_bytes` (may be NULL): bytes at the end that belong to a torn last record.
 * @return MMARML_OK; MMARML_ENOTFOUND (no such file), MMARML_EINVAL (not a journal of ours, a
 *         newer format, or a damaged record followed by whole ones: the byte offset is named),
 *         MMARML_EIO.
 */
MMARML_API int mmarml_journal_read(json_t **records, const char *path, size_t *torn_bytes);

/**
 * Called by mmarml_journal_foreach() with each record, in file order. `record` is borrowed
 * for the call (json_incref() it to keep it). Return MMARML_OK to go on; any other code
 * stops the reading and is what mmarml_journal_foreach() returns (set a message with
 * mmarml_error_set()).
 */
typedef int (*mmarml_journal_record_fn)(const json_t *record, void *user_data);

/**
 * As mmarml_journal_read(), a record at a time: memory for the record being read (the file
 * is read in pieces of 256 KB, or the record's size when it is longer), not for the file or
 * every record at once (a run of 1,000 jobs reporting 200 steps each is 200,000 records:
 * 27 MB of file, about 250 MB as one array). The first record is checked to be our header before `fn`
 * sees it. A damaged record is found when it is reached, so the records before it have
 * been given to `fn` when MMARML_EINVAL is returned.
 * @return MMARML_OK; what `fn` returned to stop; or as mmarml_journal_read().
 */
MMARML_API int mmarml_journal_foreach(const char *path, mmarml_journal_record_fn fn,
                                      void *user_data, size_t *torn_bytes);

/**
 * Record a fact about a running job in the run's journal, durably, before returning: e.g.
 * `cluster_job_id` right after a scheduler accepted the job, so that a resumed run adopts
 * it. Without a journal, or for a job context the engine did not make (an executor driven
 * by hand), it does nothing and returns MMARML_OK.
 * @param job_ctx  The job context execute() was given.
 * @param key      What the fact is (`cluster_job_id`); copied.
 * @param value    Its value; copied.
 * @return MMARML_OK; MMARML_EINVAL (a NULL argument); MMARML_EIO (the journal cannot be
 *         written: the run stops).
 * @par Thread-safety Any thread.
 */
MMARML_API int mmarml_job_note(mmarml_context *job_ctx, const char *key, const char *value);

MMARML_END_DECLS

#endif
