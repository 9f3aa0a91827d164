/* What the fuzz targets share: the input written to a file, since every
 * reader under test takes a path, as tabrl's users give it one.
 *
 * Each process works in its own temporary directory (removed at exit), so
 * that parallel fuzzing jobs do not see each other's files. */
#ifndef TABRL_FUZZ_H
#define TABRL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The path of NAME in the process's directory (NAME may hold '/': the
 * directories are created).  The pointer stays valid until the next call. */
const char *fuzz_path(const char *name);

/* Writes data[0..size) to fuzz_path(name) and returns that path; aborts if
 * the file cannot be written (a broken harness, not a finding). */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);

/* Removes everything under fuzz_path(name) (name "" : the whole directory's
 * contents), so that no iteration sees the files of the one before. */
void fuzz_clear(const char *name);

/* The next part of data, split at NUL bytes: *part and *part_size are set
 * and the rest (after the NUL) returned through *data / *size.  Returns 0
 * when nothing is left.  Corpus files for the multi-file targets are the
 * files joined with NUL bytes (printf '%s\0%s'). */
int fuzz_next_part(const uint8_t **data, size_t *size, const uint8_t **part, size_t *part_size);

#endif
