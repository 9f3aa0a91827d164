/* tabrl/experiment.h: experiment files.
 *
 * An experiment is an INI file (parsed with inih) with the sections
 * [experiment], [env], one [algo LABEL] per algorithm and an optional
 * [sweep]; see README.md.  Loading validates every key against the
 * parameter tables of the experiment, the env type and each algorithm type,
 * before anything runs, and reports the first problem as
 * "file:line: ... in [section]; did you mean '...'?".
 *
 * A sweep is a grid: each combination of its values is one config, labelled
 * c1, c2, ... in grid order (the first key varies slowest); an experiment
 * without a sweep has the one config "default".  Runs are the product
 * configs x algos x seeds, numbered in that order (run index =
 * (config * algos + algo) * seeds + seed), which fixes the order of every
 * output file whatever the thread count or sharding. */
#ifndef TABRL_EXPERIMENT_H
#define TABRL_EXPERIMENT_H

#include <stdint.h>
#include <stdio.h>
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/feedback.h"
#include "tabrl/objective.h"
#include "tabrl/param.h"
#include "tabrl/schedule.h"

#pragma GCC visibility push(default)

typedef enum { TABRL_LOG_EVERY, TABRL_LOG_GEOMETRIC } tabrl_log_kind;

/* One key = value line of the file (or of --set), with where it came from. */
typedef struct {
  char *section; /* "experiment", "env", "algo LABEL", "sweep" */
  char *key;
  char *value; /* as written; file paths made absolute (see tabrl_experiment_load) */
  char *file;  /* the experiment file, or "--set" */
  int line;
} tabrl_exp_entry;

typedef struct {
  char *label;
  const tabrl_algo_type *type;
} tabrl_exp_algo;

typedef struct {
  char *target; /* "env" or an algo label */
  char *key;    /* the parameter */
  char **values;
  size_t n;
} tabrl_exp_sweep;

typedef struct tabrl_experiment {
  char *path;
  char *name;
  char *env;       /* env type name (or file:PATH) */
  long episodes;   /* K: episodes, iterations (planning) or trajectories (offline) */
  uint64_t *seeds; /* run seeds in order */
  size_t nseeds;
  tabrl_log_kind log_kind;
  long log_param;
  tabrl_objective objective;    /* resolved from NAME[:PARAM] */
  char *behavior;               /* offline data: uniform | optimal | mixed:EPS */
  char *link;                   /* the preference link as written */
  tabrl_feedback feedback;      /* resolved: link, temperature, score */
  long pairs;                   /* offline-preference: comparisons to draw, or 0 */
  char *dataset;                /* offline-preference: file:D.csv (absolute), or NULL */
  int has_budget;               /* budget = B set (constrained MDPs) */
  double budget;                /* B: regret against the LP optimum with C(pi) <= B */
  tabrl_schedule_spec schedule; /* online reward schedule (kind NONE: the model's rewards) */
  tabrl_exp_entry *entries;     /* every line, file then --set, in order */
  size_t nentries;
  tabrl_exp_algo *algos;
  size_t nalgos;
  tabrl_exp_sweep *sweeps;
  size_t nsweeps;
  size_t nconfigs;
} tabrl_experiment;

/* Reads and validates path with the overrides (each "section.key=value",
 * e.g. "env.states=12", "ucbvi.scale=0.5", "experiment.episodes=100",
 * "sweep.q.epsilon=0.1,0.2"; the section is the longest section name or
 * algorithm label the text starts with, as labels may hold dots).
 * Every section header is checked, with or without keys (an [algo LABEL]
 * needs a type), and every (config, algorithm) pair with tabrl_algo_check.
 * File paths (env = file:PATH and every parameter named path or *_file)
 * are made absolute: against the experiment file's directory, or the
 * current directory for an override.
 * Errors (TABRL_EINVAL / TABRL_ENOTFOUND / TABRL_EIO) carry file:line. */
int tabrl_experiment_load(const char *path, const char *const *overrides, size_t noverrides,
                          tabrl_experiment **out);
void tabrl_experiment_free(tabrl_experiment *e);

size_t tabrl_experiment_runs(const tabrl_experiment *e);

/* The (config, algo, seed) indices of run r. */
void tabrl_experiment_run_indices(const tabrl_experiment *e, size_t r, size_t *config, size_t *algo,
                                  size_t *seed);

/* Label of config c ("default", or "c1", "c2", ...), written into buf. */
void tabrl_experiment_config_label(const tabrl_experiment *e, size_t c, char *buf, size_t size);

/* The settings of the env (or of algo a, a >= 0; -1 = env) under config c,
 * as a malloc'ed array (caller frees; strings point into e).  For the env,
 * `seed` is set to the run seed when the env has a seed parameter that the
 * experiment leaves unset, so all algorithms of a seed share one instance. */
int tabrl_experiment_settings(const tabrl_experiment *e, size_t c, long a, uint64_t seed,
                              tabrl_setting **out, size_t *n);

/* Episode numbers at which rows are written, increasing, the last = K.
 * Returns a malloc'ed array and its length in *n. */
long *tabrl_experiment_checkpoints(const tabrl_experiment *e, size_t *n);

/* Writes the resolved configuration (every default explicit) as INI,
 * preceded by a [tabrl] section with version, command and the hash. */
int tabrl_experiment_write_manifest(const tabrl_experiment *e, FILE *f, const char *version,
                                    const char *command, const char *shard);

/* The keys of the [slurm] section (tabrl submit): tasks, partition, time,
 * account, qos, mem, cpus-per-task, sbatch-args.  The section does not
 * change the runs, so it is not part of the hash. */
extern const tabrl_param tabrl_slurm_params[];

/* FNV-1a hash of the resolved configuration: equal hashes = same runs. */
uint64_t tabrl_experiment_hash(const tabrl_experiment *e);

/* An input file the runs of a config read: a STRING env parameter named
 * `path` (env = file:PATH) or ending in `_file` (map_file), or the
 * offline-preference `dataset` (key "dataset", when an algorithm of that
 * protocol reads it), with the FNV-1a 64 hash of its content.
 * The experiment hash covers the path, not the content: these hashes are
 * recorded in the manifest's [inputs] and in each run's identity, so an
 * edited file is never mixed with results computed from the old one. */
typedef struct {
  size_t config;   /* the config whose env reads it */
  const char *key; /* the env parameter */
  char *path;
  uint64_t hash;
} tabrl_exp_input;

/* Every input file of every config, in config order; a file that cannot be
 * read is TABRL_EINVAL naming it (nothing has run yet). */
int tabrl_experiment_inputs(const tabrl_experiment *e, tabrl_exp_input **out, size_t *n);
void tabrl_exp_inputs_free(tabrl_exp_input *in, size_t n);

#pragma GCC visibility pop

#endif
