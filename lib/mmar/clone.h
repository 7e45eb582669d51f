/* Cloning an MMAR into a job MMAR (D7). */
#ifndef MMARML_MMAR_CLONE_H
#define MMARML_MMAR_CLONE_H

/*
 * Copy the MMAR at `src` to the new directory `dst`. Symlinks stay symlinks (a relative one
 * that leaves the MMAR is made absolute, so it still points where it did); regular files are
 * reflinked where the file system allows (FICLONE), else copied (copy_file_range), never
 * hard-linked, modes kept plus owner write (the job writes into its MMAR even when the
 * source is read-only). `exclude` (a directory, may be NULL) is skipped wherever it appears,
 * recognised by device and inode rather than by its spelling: the AutoML work dir. With `content_only`, only config/, commands/, resources/ and
 * `data_list` (a path relative to the MMAR, may be NULL) are copied.
 * `dst` must not exist: an entry there that the run did not make stays as it is
 * (MMARML_EEXISTS). With `job_name`, `dst` gets the mark of `job_name` in `run_root`
 * (mmar_util.h) before anything is copied into it.
 * Returns MMARML_OK or a negative code with a message naming the path.
 */
int mmar_clone(const char *src, const char *dst, const char *exclude, int content_only,
               const char *data_list, const char *run_root, const char *job_name);

#endif
