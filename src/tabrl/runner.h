/* tabrl/runner.h: running an experiment.
 *
 * Each run (config, algo, seed) is independent: it builds its env with the
 * run's seed, computes J* with the oracle, and drives the algorithm through
 * its protocol, drawing from the streams (seed, purpose), so its rows are
 * the same whatever the thread count, shard or order.  A finished run is
 * written at once to DIR/.runs/ (temporary name, rename; the files and the
 * directory are fsync'ed in groups, within about 1.2 s) under its identity, a hash of everything
 * that determines its rows (the env and algo settings of its config, the input files' content,
 * seed, labels, episodes, log schedule, objective, feedback); runs.csv and
 * policies.csv are assembled from those in run order when every run of the
 * shard is done, and DIR/.runs/ is then removed (kept with keep_runs, and
 * for a shard, whose array task may be requeued until the merge).  A killed
 * run leaves no partial file.  Resuming reuses exactly the runs whose
 * identity is still in the experiment (so an edit that adds or removes
 * algorithms, seeds or configs recomputes only what changed), drops the
 * others, and recomputes a damaged run file (checksum, rows, checkpoints)
 * with a warning naming it. */
#ifndef TABRL_RUNNER_H
#define TABRL_RUNNER_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include "tabrl/experiment.h"

#pragma GCC visibility push(default)

typedef struct {
  const char *out_dir;
  int threads;     /* >= 1 */
  int shard_index; /* 1..shard_count, or 0 for all runs */
  int shard_count;
  int resume;
  int keep_runs; /* keep DIR/.runs after success (always kept for a shard) */
  const char *version;
  const char *command;         /* recorded in the manifest */
  volatile sig_atomic_t *stop; /* set asynchronously to interrupt; may be NULL */
  /* Called from the calling thread about every 0.2 s while runs go on. */
  void (*progress)(void *ctx, size_t done, size_t total, double episodes, double seconds);
  void *progress_ctx;
  /* Warnings (a damaged run recomputed ...); NULL: "tabrl: warning: ..." on
   * stderr. */
  void (*warn)(void *ctx, const char *message);
  void *warn_ctx;
} tabrl_run_options;

typedef struct {
  size_t runs_total;     /* runs of this shard */
  size_t runs_skipped;   /* found finished (--resume): reused */
  size_t runs_damaged;   /* found damaged (--resume): recomputed */
  size_t runs_dropped;   /* found, not in the experiment any more (--resume) */
  size_t runs_done;      /* finished now */
  double seconds;        /* wall time */
  double run_seconds;    /* time inside the runs (sum over threads) */
  double output_seconds; /* assembling runs.csv / policies.csv */
  /* tabrl_experiment_runs(e) values, one per run in run order: the
   * algorithm's saturation report after its last episode (the share of
   * visited (h, s, a) whose optimistic Q is still >= H - h, see
   * tabrl_algo_type.saturation), for the runs computed by this call; NaN
   * for the others (reused, another shard's) and for algorithms that do not
   * report.  malloc'ed: the caller frees it (NULL when out of memory or
   * before the runs start). */
  double *saturation;
  /* The same for the algorithm's count of skipped non-finite updates
   * (tabrl_algo_type.diagnostics); NaN where not reported. */
  double *diagnostics;
} tabrl_run_report;

/* Runs the experiment's runs (or its shard) into opt->out_dir.  Output
 * errors are TABRL_EIO; an interrupted run TABRL_EINTERRUPTED (finished runs
 * are kept for --resume); a failing algorithm TABRL_ENUMERIC or its code,
 * with "algo LABEL, config C, seed S: ..." in the message. */
int tabrl_run_experiment(const tabrl_experiment *e, const tabrl_run_options *opt,
                         tabrl_run_report *report);

/* TABRL_EINVAL if dir/manifest.ini describes another experiment (an output
 * directory never mixes two experiments); 0 if it matches or is absent. */
int tabrl_run_check_out(const tabrl_experiment *e, const char *dir);

/* The identity of run r: equal identities give equal rows (elapsed_s
 * aside).  0 if out of memory. */
uint64_t tabrl_run_identity(const tabrl_experiment *e, size_t run, const tabrl_exp_input *inputs,
                            size_t ninputs);

/* One run's rows (runs.csv without header) and final policy rows
 * (policies.csv without header) appended to the two streams; *saturation
 * (if not NULL) receives the algorithm's saturation report after the last
 * episode (NaN for a type without one or a protocol other than online),
 * *diagnostics (if not NULL) its count of skipped non-finite updates. */
int tabrl_run_one(const tabrl_experiment *e, size_t run, FILE *rows, FILE *policy_rows,
                  volatile sig_atomic_t *stop, atomic_long *episodes_done, double *saturation,
                  double *diagnostics);

#pragma GCC visibility pop

#endif
