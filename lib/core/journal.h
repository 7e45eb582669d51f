/* The run journal's writer (lib/core private). The format and the reader are public
 * (<mmarml/journal.h>, docs/resume.md); this is the single-writer side: open with a lock,
 * append records, fsync the ones that must survive a crash. */
#ifndef MMARML_CORE_JOURNAL_H
#define MMARML_CORE_JOURNAL_H

#include <jansson.h>
#include <pthread.h>

#include "mmarml.h"

typedef struct mmarml__journal mmarml__journal;

/*
 * Open the journal at `path` and take its write lock.
 * New (`resume` 0): the file must not exist; it is created empty; `fn` is not called.
 * Resume: the file must exist and hold a run; each record goes to `fn` (may be NULL),
 * borrowed, in file order, and a code other than MMARML_OK from it fails the open with the
 * file as it was. Then a torn last record is cut off the file, so appends follow the last
 * whole one.
 * Errors name the file: MMARML_EEXISTS (new, but the file exists), MMARML_ENOTFOUND (resume,
 * but no journal), MMARML_EBUSY (a live writer holds it: its pid and host are named),
 * MMARML_EINVAL (not a journal, or corrupt), MMARML_EIO.
 */
int mmarml__journal_open(mmarml__journal **out, const char *path, int resume,
                         mmarml_journal_record_fn fn, void *ud);
/* The end of the last whole record: right after a resuming open, where the records it read
 * end. */
size_t mmarml__journal_end(mmarml__journal *j);
/* The records of the journal's own file before byte `end` (a value of mmarml__journal_end())
 * to `fn`, again: the records appended since are not read. MMARML_EINVAL if they no longer
 * end there. */
int mmarml__journal_walk(mmarml__journal *j, size_t end, mmarml_journal_record_fn fn, void *ud);
/* Append one record (borrowed). `durable`: fsync before returning. Thread-safe. On failure the
 * message names the file and the errno; the journal refuses every later append. */
int mmarml__journal_append(mmarml__journal *j, const json_t *record, int durable);
/* 0, or the errno that kept the journal from renewing its reserve of free blocks: the file
 * system is nearly full and the run should stop while the reserve lasts. */
int mmarml__journal_low_space(mmarml__journal *j);
/* Like append, and run `then(arg)` under the journal's lock once the record is written: what
 * must happen in journal order (the completion sequence) happens there. */
int mmarml__journal_append_then(mmarml__journal *j, const json_t *record, int durable,
                                void (*then)(void *arg), void *arg);
/* Was the file created by this open (so a failed start may remove it)? */
int mmarml__journal_created(const mmarml__journal *j);
const char *mmarml__journal_path(const mmarml__journal *j);
/* Close and unlock; with `remove_file`, unlink it first (a start that failed). NULL-safe. */
void mmarml__journal_close(mmarml__journal *j, int remove_file);

/* CRC-32C (Castagnoli), as the record framing uses it. */
uint32_t mmarml__crc32c(uint32_t crc, const void *data, size_t len);

#endif
