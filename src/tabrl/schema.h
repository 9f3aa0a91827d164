/* tabrl/schema.h: the columns of the CSV files an experiment writes.
 *
 * The writers (the runner, summarize, merge) and the readers (summarize,
 * merge, plot, the run summary the CLI prints) share these definitions: a
 * new column is one line in a list below, and the enum, the column names
 * and the header follow.  Files are plain comma-separated text without
 * quoting: labels match [A-Za-z0-9._+-]+ and numbers are %.17g. */
#ifndef TABRL_SCHEMA_H
#define TABRL_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

#pragma GCC visibility push(default)

/* X(ID, "name") for each column, in file order. */
#define TABRL_RUNS_LIST(X)                                                                         \
  X(ENV, "env")                                                                                    \
  X(ALGO, "algo")                                                                                  \
  X(CONFIG, "config")                                                                              \
  X(SEED, "seed")                                                                                  \
  X(EPISODE, "episode")                                                                            \
  X(RETURN, "return")                                                                              \
  X(VALUE, "value")                                                                                \
  X(REGRET, "regret")                                                                              \
  X(CUM_REGRET, "cum_regret")                                                                      \
  X(ELAPSED_S, "elapsed_s")                                                                        \
  X(W1, "w1")                                                                                      \
  X(CRAMER, "cramer")                                                                              \
  X(W1_BOUND, "w1_bound")                                                                          \
  X(CRAMER_BOUND, "cramer_bound")                                                                  \
  X(VALUE_ERR, "value_err")                                                                        \
  X(QUERIES, "queries")                                                                            \
  X(KL, "kl")                                                                                      \
  X(COST, "cost")                                                                                  \
  X(VIOLATION, "violation")

#define TABRL_SUMMARY_LIST(X)                                                                      \
  X(ENV, "env")                                                                                    \
  X(ALGO, "algo")                                                                                  \
  X(CONFIG, "config")                                                                              \
  X(EPISODE, "episode")                                                                            \
  X(N, "n")                                                                                        \
  X(CUM_REGRET_MEAN, "cum_regret_mean")                                                            \
  X(CUM_REGRET_STD, "cum_regret_std")                                                              \
  X(CUM_REGRET_LO, "cum_regret_lo")                                                                \
  X(CUM_REGRET_HI, "cum_regret_hi")                                                                \
  X(VALUE_MEAN, "value_mean")                                                                      \
  X(VALUE_STD, "value_std")                                                                        \
  X(VALUE_LO, "value_lo")                                                                          \
  X(VALUE_HI, "value_hi")                                                                          \
  X(W1_MEAN, "w1_mean")                                                                            \
  X(W1_STD, "w1_std")                                                                              \
  X(W1_LO, "w1_lo")                                                                                \
  X(W1_HI, "w1_hi")                                                                                \
  X(CRAMER_MEAN, "cramer_mean")                                                                    \
  X(CRAMER_STD, "cramer_std")                                                                      \
  X(CRAMER_LO, "cramer_lo")                                                                        \
  X(CRAMER_HI, "cramer_hi")                                                                        \
  X(W1_BOUND, "w1_bound")                                                                          \
  X(CRAMER_BOUND, "cramer_bound")                                                                  \
  X(VALUE_ERR_MEAN, "value_err_mean")                                                              \
  X(VALUE_ERR_STD, "value_err_std")                                                                \
  X(VALUE_ERR_LO, "value_err_lo")                                                                  \
  X(VALUE_ERR_HI, "value_err_hi")                                                                  \
  X(QUERIES_MEAN, "queries_mean")                                                                  \
  X(QUERIES_STD, "queries_std")                                                                    \
  X(QUERIES_LO, "queries_lo")                                                                      \
  X(QUERIES_HI, "queries_hi")                                                                      \
  X(KL_MEAN, "kl_mean")                                                                            \
  X(KL_STD, "kl_std")                                                                              \
  X(KL_LO, "kl_lo")                                                                                \
  X(KL_HI, "kl_hi")                                                                                \
  X(COST_MEAN, "cost_mean")                                                                        \
  X(COST_STD, "cost_std")                                                                          \
  X(COST_LO, "cost_lo")                                                                            \
  X(COST_HI, "cost_hi")                                                                            \
  X(VIOLATION_MEAN, "violation_mean")                                                              \
  X(VIOLATION_STD, "violation_std")                                                                \
  X(VIOLATION_LO, "violation_lo")                                                                  \
  X(VIOLATION_HI, "violation_hi")

#define TABRL_POLICIES_LIST(X)                                                                     \
  X(ENV, "env")                                                                                    \
  X(ALGO, "algo")                                                                                  \
  X(CONFIG, "config")                                                                              \
  X(SEED, "seed")                                                                                  \
  X(H, "h")                                                                                        \
  X(S, "s")                                                                                        \
  X(A, "a")                                                                                        \
  X(PROB, "prob")

#define TABRL_SCHEMA_RUNS_ID(id, name) TABRL_RUNS_##id,
#define TABRL_SCHEMA_SUMMARY_ID(id, name) TABRL_SUMMARY_##id,
#define TABRL_SCHEMA_POLICIES_ID(id, name) TABRL_POLICIES_##id,
typedef enum { TABRL_RUNS_LIST(TABRL_SCHEMA_RUNS_ID) TABRL_RUNS_COLUMNS } tabrl_runs_column;
typedef enum {
  TABRL_SUMMARY_LIST(TABRL_SCHEMA_SUMMARY_ID) TABRL_SUMMARY_COLUMNS
} tabrl_summary_column;
typedef enum {
  TABRL_POLICIES_LIST(TABRL_SCHEMA_POLICIES_ID) TABRL_POLICIES_COLUMNS
} tabrl_policies_column;

typedef struct {
  const char *file; /* "runs.csv" */
  size_t ncolumns;
  const char *const *columns;
  const char *header; /* the columns joined by commas */
} tabrl_schema;

extern const tabrl_schema tabrl_schema_runs;
extern const tabrl_schema tabrl_schema_summary;
extern const tabrl_schema tabrl_schema_policies;

/* Writes the header line (with its newline). */
void tabrl_schema_write_header(const tabrl_schema *s, FILE *f);

/* Splits line (modified in place) at commas into at most max fields and
 * returns the number of fields found (which may exceed max). */
size_t tabrl_schema_split(char *line, char **fields, size_t max);

#pragma GCC visibility pop

#endif
