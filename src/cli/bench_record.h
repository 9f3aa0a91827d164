/* The figures of `tabrl bench` in machine-readable form: each section
 * records what it prints through bench_record, `--json FILE` writes them
 * all as one JSON object, and `--compare OLD NEW` reads two such files
 * back and flags every figure that got more than 10% slower. */
#ifndef TABRL_CLI_BENCH_RECORD_H
#define TABRL_CLI_BENCH_RECORD_H

#include <stdio.h>

typedef enum { BENCH_LOWER, BENCH_HIGHER } bench_better;

/* Records one figure under the printf-formatted stable id; a value that is
 * not finite (a failed or skipped timing) is left out. */
void bench_record(const char *unit, bench_better better, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the recorded figures with the machine's load (/proc/loadavg), the
 * UTC date and the version to path.  0, or 1 after printing the error. */
int bench_record_write(const char *path, const char *version, int quick);

/* Forgets every recorded figure. */
void bench_record_clear(void);

/* The machine's load averages (/proc/loadavg; NAN where there is none), and
 * one line of them on standard output: every timing is read beside it. */
void bench_load(double load[3]);
void bench_print_load(const char *when);

/* Prints, per figure of new_path, the old and new value and their ratio
 * normalised so that > 1 is slower, and SLOWER beyond 1.1.  0 (whatever
 * got slower), or 2 after one line naming the bad file. */
int bench_compare(const char *old_path, const char *new_path);

#endif
