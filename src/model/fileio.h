/* Private: atomic file writes and mkdir -p, shared by every writer of
 * output files (model CSVs, run outputs, summaries, figures, manifests). */
#ifndef TABRL_FILEIO_H
#define TABRL_FILEIO_H

#include <stddef.h>
#include <stdio.h>

/* "dir/name" in a malloc'ed string (NULL when out of memory). */
char *tabrl_path_join(const char *dir, const char *name);

/* Writes path through write(f, ctx) into path.tmp.<pid>, then flush, fsync
 * and rename, so a reader sees the old file or the whole new one; on any
 * failure the temporary file is removed and TABRL_EIO (or write's own
 * negative code) is returned.  The directory is fsync'ed after the rename.  Stream errors are
 * detected here.  Two threads of one process must not write the same path at once. */
int tabrl_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx);

/* What tabrl_write_atomic_sync syncs: the file's data before the rename,
 * the directory after it.  A writer of several files into one directory
 * syncs each file and the directory once, after the last rename: one
 * directory fsync makes every earlier rename in it durable. */
enum { TABRL_SYNC_FILE = 1, TABRL_SYNC_DIR = 2 };

/* tabrl_write_atomic with only the syncs in sync (0: atomic against a kill,
 * not against a power loss). */
int tabrl_write_atomic_sync(const char *path, int (*write)(FILE *f, void *ctx), void *ctx,
                            int sync);

/* fsync of an existing file; 0 or an errno value. */
int tabrl_fsync_file(const char *path);

/* The same for bytes already in memory. */
int tabrl_write_atomic_buffer(const char *path, const char *data, size_t size);
int tabrl_write_atomic_buffer_sync(const char *path, const char *data, size_t size, int sync);

/* For a file written by another program (gnuplot's figures): fsync of
 * temporary, rename to path, fsync of the directory; TABRL_EIO naming path. */
int tabrl_rename_durable(const char *temporary, const char *path);

/* fsync of a directory, so that the renames in it survive a power loss;
 * 0 or an errno value (a file system that cannot sync directories: 0). */
int tabrl_fsync_dir(const char *dir);

/* fsync of the directory holding path; 0 or an errno value. */
int tabrl_fsync_parent(const char *path);

/* mkdir -p; TABRL_EIO naming the component that cannot be created. */
int tabrl_mkdir_p(const char *path);

/* What an output path names: a directory of results, or one file. */
enum { TABRL_OUTPUT_DIR, TABRL_OUTPUT_FILE };

/* Refuses an output path before anything is written there, because a wrong
 * one (an unset $OUT in a sweep script) would scatter result files: an
 * empty or blank path; the root directory; for a directory output, an
 * existing directory that is not empty and not a tabrl result directory
 * (one with manifest.ini, or slurm/ of tabrl submit), or an existing
 * non-directory; for a file output, an existing directory.  TABRL_EINVAL
 * with one message "OPTION PATH: why", option naming the flag ("--out").
 * A missing path is fine: the writer creates it. */
int tabrl_output_path_check(const char *option, const char *path, int kind);

#endif
