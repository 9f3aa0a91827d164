/* Private to src/results: runs.csv read into memory, shared by summarize
 * and merge. */
#ifndef TABRL_RUNS_CSV_H
#define TABRL_RUNS_CSV_H

#include <stddef.h>
#include <stdint.h>

/* A small hash table: fixed-width integer keys -> index. */
enum { KEY_WIDTH = 4 };

typedef struct {
  uint64_t key[KEY_WIDTH];
  size_t value; /* SIZE_MAX: empty slot */
} slot;

typedef struct {
  slot *slots;
  size_t cap, n;
} table;

typedef struct {
  size_t env, algo, config; /* indices into the label list */
  unsigned long long seed;
  long long episode;
  double cum_regret, value;
  int has_value;
  double w1, cramer; /* NAN when empty (no learned distribution) */
  double bound[2];   /* w1_bound, cramer_bound; NAN when empty */
  double value_err;  /* NAN when empty (no learned distribution) */
  double queries;    /* preference queries so far; NAN when empty (no preferences) */
  double kl;         /* KL(policy || reference); NAN when empty (not offline-preference) */
  double cost;       /* exact expected cost of the policy; NAN when empty (no budget) */
  double violation;  /* max(0, cost - budget); NAN when empty (no budget) */
  size_t run;        /* index of its (env, algo, config, seed) */
  size_t input;      /* which file it came from */
  size_t line;
  char *text; /* the line as read, without its newline */
} run_row;

typedef struct {
  size_t input, first_line, last_line;
  long long last_episode;
} run_info;

/* Everything read from one or more runs.csv files.  Labels are interned so
 * that rows compare by index. */
typedef struct {
  char **labels;
  size_t n_labels, cap_labels;
  run_row *rows;
  size_t n_rows, cap_rows;
  run_info *runs;
  size_t n_runs, cap_runs;
  table run_index; /* (env, algo, config, seed) -> run */
  char **files;    /* the path of each input's runs.csv */
  size_t n_files, cap_files;
} runs_data;

/* Looks key up; if absent, inserts it with value fresh.  *value is the
 * stored value either way; returns 1 if inserted, 0 if found, <0 error. */
int tabrl_table_upsert(table *t, const uint64_t *key, size_t fresh, size_t *value);
void tabrl_table_free(table *t);

void tabrl_runs_free(runs_data *d);

/* Reads dirs[input]/runs.csv into d (dirs name the inputs in errors that
 * involve two of them).  Errors name the file and line. */
int tabrl_runs_read(runs_data *d, const char *const *dirs, size_t input);

/* Writes dir/summary.csv from the rows of d (see tabrl_results_summarize). */
int tabrl_runs_summarize(const runs_data *d, const char *dir);

/* The same with only the syncs in sync (TABRL_SYNC_FILE, TABRL_SYNC_DIR of
 * model/fileio.h), for a writer that syncs the directory once at the end. */
int tabrl_runs_summarize_sync(const runs_data *d, const char *dir, int sync);
int tabrl_results_summarize_sync(const char *dir, int sync);

/* A non-negative decimal integer that fits; 0 if text is not one. */
int tabrl_parse_unsigned(const char *text, unsigned long long *x);

#endif
