/* tabrl/results.h: what happens to an experiment's output directory after
 * the runs: summary statistics over seeds, merging shards, figures.
 *
 * An output directory DIR holds (see README, "Output files"):
 *
 *   runs.csv      env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,
 *                 w1,cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation
 *                 one row per run (env, algo, config, seed) and checkpoint,
 *                 the rows of a run together and in increasing episode order;
 *                 `value` empty when the algorithm's policy changes inside an
 *                 episode (it reports realized returns only); `w1`, `cramer`
 *                 empty without a learned return distribution or an exact one;
 *                 `w1_bound`, `cramer_bound` the type's bound on them
 *                 (tabrl_algo_type.bound), empty where it has none;
 *                 `value_err` (|its mean - the policy's exact value|) empty
 *                 without a learned one;
 *                 `queries` (cumulative preference queries) empty without
 *                 preferences; `kl` (the policy's mu0-averaged KL to the
 *                 reference) empty outside the offline-preference protocol;
 *                 `cost` (the policy's exact expected cost C(pi)) and
 *                 `violation` (max(0, cost - budget)) empty without an
 *                 experiment `budget`.
 *   manifest.ini  the resolved experiment; [tabrl] experiment_hash identifies
 *                 it, [experiment] configs / algos / seed_list give the
 *                 canonical order of the runs, [config LABEL] the swept keys.
 *   summary.csv   env,algo,config,episode,n,cum_regret_mean,cum_regret_std,
 *                 cum_regret_lo,cum_regret_hi,value_mean,value_std,value_lo,value_hi,
 *                 w1_mean,w1_std,w1_lo,w1_hi,cramer_mean,cramer_std,cramer_lo,cramer_hi,
 *                 w1_bound,cramer_bound (the mean of the seeds' bounds),
 *                 value_err_mean,value_err_std,value_err_lo,value_err_hi,
 *                 queries_mean,queries_std,queries_lo,queries_hi,
 *                 kl_mean,kl_std,kl_lo,kl_hi,cost_mean,cost_std,cost_lo,cost_hi,
 *                 violation_mean,violation_std,violation_lo,violation_hi
 *   <metric>.png + <metric>.gp  the figure and the gnuplot script drawing it.
 *
 * Every file is written to DIR/name.tmp.<pid>, flushed, fsync'ed and renamed,
 * so a reader never sees half a file.  Errors name the file and line. */
#ifndef TABRL_RESULTS_H
#define TABRL_RESULTS_H

#include <stddef.h>

#pragma GCC visibility push(default)

/* ---- statistics ---- */

/* Mean, sample standard deviation (divisor n - 1) and the two-sided 95%
 * Student-t interval mean -+ t_{0.975, n-1} std / sqrt(n) of n numbers.
 * The t-interval is exact for normal data and what regret papers report;
 * with the handful of seeds experiments use, it is wider (and more honest)
 * than mean -+ 1.96 std / sqrt(n).  For n = 1 there is no spread to
 * estimate: std is 0 and the interval is [mean, mean]. */
typedef struct {
  size_t n;
  double mean, std, lo, hi;
} tabrl_summary;

/* Fills *out from x[0..n-1].  TABRL_EINVAL if n = 0 or an x is not finite. */
int tabrl_stats_summary(const double *x, size_t n, tabrl_summary *out);

/* ---- summary.csv ---- */

/* Reads DIR/runs.csv and writes DIR/summary.csv: one row per (env, algo,
 * config, episode) in order of first appearance in runs.csv, over the seeds
 * that reached that checkpoint; n counts them.  The cum_regret columns are
 * tabrl_stats_summary of cum_regret; the value columns that of the seeds
 * that report a value, and empty when none does.  Numbers are %.17g.
 * Errors: TABRL_ENOTFOUND if DIR/runs.csv does not exist, TABRL_EINVAL
 * "DIR/runs.csv:LINE: what is wrong" for a malformed file (wrong header or
 * field count, a label outside [A-Za-z0-9._+-], a number that does not
 * parse or is not finite, a checkpoint not after the previous one of its
 * run), TABRL_EIO if a file cannot be read or written (nothing is left
 * behind). */
int tabrl_results_summarize(const char *dir);

/* ---- merging shards ---- */

typedef struct {
  size_t inputs;        /* directories merged */
  size_t runs;          /* distinct (env, algo, config, seed) runs written */
  size_t runs_expected; /* configs x algos x seeds (x envs) of the manifest */
  size_t rows;          /* rows of the merged runs.csv */
} tabrl_merge_report;

/* Joins the output directories dirs[0..n-1] (typically the shards of one
 * experiment, `tabrl run --shard i/n`) into out, created if missing (like
 * mkdir -p): out/runs.csv with the runs in canonical order (config order of
 * [experiment] configs, then algo order of algos, then seed order of
 * seed_list, all from the first input's manifest; rows of a run keep their
 * order), out/policies.csv (the inputs' policies.csv in the same run order, when
 * they have one), out/manifest.ini (the first input's, without [tabrl] shard and
 * with [tabrl] merged_from = "N shards"), and out/summary.csv.  Merging the
 * shards of an experiment gives the same runs.csv, byte for byte, as running
 * it unsharded.
 *
 * Refused (TABRL_EINVAL, message naming both directories): manifests with
 * different experiment_hash, two inputs that are the same shard i/n, a run
 * present in two inputs, and out being one of the inputs.  A run whose
 * config, algo or seed is not in the manifest's lists is an error naming
 * its line.  Missing runs are not an error: report->runs <
 * report->runs_expected says how many (report may be NULL). */
int tabrl_results_merge(const char *const *dirs, size_t n, const char *out,
                        tabrl_merge_report *report);

/* ---- fitted growth rates and regret bounds ---- */

/* The shapes a regret curve is fitted to: c K^(1/2), c K, c ln K. */
typedef enum { TABRL_FIT_NONE, TABRL_FIT_SQRT, TABRL_FIT_LINEAR, TABRL_FIT_LOG } tabrl_fit_shape;

typedef struct {
  size_t first, n; /* the points fitted: K[first .. first+n-1] */
  int widened;     /* 1 when the last decade held fewer than 3 points and
                      the last 3 (or all, if fewer) were taken */
  int has_slope;   /* 0 when fewer than 2 of those points have y > 0 */
  size_t n_slope;  /* how many of those points have y > 0 */
  double slope;    /* least squares of ln y on ln K over those with y > 0 */
  double c;        /* least squares of y on c f(K): sum y f / sum f^2 */
} tabrl_fit;

/* Fits y[0..n-1] at increasing K[0..n-1] > 0 over the last decade of
 * checkpoints, K in [K[n-1] / 10, K[n-1]] (fewer than 3 there: the last 3).
 * TABRL_EINVAL if n = 0, a K <= 0 or not increasing, a value not finite,
 * shape is TABRL_FIT_NONE, or f(K) = 0 at every point fitted (c has no
 * least-squares value: ln K with K = 1 only). */
int tabrl_fit_curve(const double *K, const double *y, size_t n, tabrl_fit_shape shape,
                    tabrl_fit *out);

/* "sqrt", "linear" or "log" (TABRL_FIT_NONE for anything else). */
tabrl_fit_shape tabrl_fit_shape_parse(const char *name);

/* A problem's sizes, as regret bounds need them. */
typedef struct {
  double S, A, H;  /* states, actions, horizon */
  double episodes; /* K of the whole run: L uses T = episodes H */
  double delta;    /* the algorithm's failure probability */
} tabrl_bound_problem;

/* The regret bound of algorithm type `algo` after K episodes, with its
 * constants, where the paper states them.  Returns TABRL_OK and sets
 * *value and *title ("UCBVI-CH bound (Thm 1)"); TABRL_EUNSUPPORTED with a
 * message saying why when the type's theorem has no constants (psrl);
 * TABRL_ENOTFOUND when the type documents no bound (the message names
 * those that do); TABRL_EINVAL for a problem out of range. */
int tabrl_regret_bound(const char *algo, const tabrl_bound_problem *p, double K, double *value,
                       const char **title);

/* ---- figures ---- */

/* Called once per curve with its fit (tabrl_plot_options.fit); K are the
 * curve's checkpoints. */
typedef void (*tabrl_plot_fit_fn)(const char *series, tabrl_fit_shape shape, const tabrl_fit *fit,
                                  const double *K, void *ctx);

typedef struct {
  const char *metric;       /* "cum_regret" (also when NULL), "value", "w1", "cramer",
                               "value_err", "queries", "kl", "cost" or
                               "violation" */
  const char *output;       /* the image; NULL: DIR/<metric>.png, or with x_key
                               DIR/<metric>-vs-<x_key>.png.  The extension picks
                               the terminal: .png pngcairo, .svg svg, .pdf
                               pdfcairo.  With terminal "dumb": a text file, or
                               NULL for the text on standard output. */
  const char *terminal;     /* NULL (from the extension) or "dumb" */
  int logx, logy;           /* logarithmic axes */
  const char *x_key;        /* NULL: curves against the episode.  A swept key
                               (e.g. "ucbvi-b.scale"): the metric at each
                               config's last checkpoint against the key's value
                               in the manifest's [config LABEL] sections, one
                               line with 95% error bars per algorithm (and per
                               value of the other swept keys). */
  tabrl_fit_shape fit;      /* curves only: each curve's fit over its last
                               decade (tabrl_fit_curve), dashed over the whole
                               x range and titled "SERIES: 3.1 K^1/2"; the
                               curve's own title gains ": slope 0.52" */
  tabrl_plot_fit_fn on_fit; /* NULL, or told each fit */
  void *fit_ctx;
  const char *bound_algo; /* curves only: NULL, or an algorithm type whose
                             tabrl_regret_bound is drawn dotted for
                             *bound_problem; the y axis keeps to the data
                             and a label says where a bound above it is */
  const tabrl_bound_problem *bound_problem;
} tabrl_plot_options;

/* Draws DIR/summary.csv (the title is [experiment] name of DIR/manifest.ini
 * when it exists).  Curves: one line per (algo, config), titled "algo" or
 * "algo config" when there are several configs, with its 95% interval as a
 * shaded band of the same colour (bands are left out in the dumb terminal).
 * For the metrics w1 and cramer, a series with a bound (summary.csv
 * w1_bound, cramer_bound) also gets it as a dashed line of its colour
 * titled "<series> bound", in curves and sweeps.
 * Writes the gnuplot script next to the image (same path, extension .gp;
 * for dumb on standard output DIR/<metric>.dumb.gp) with the data inline, so
 * `gnuplot SCRIPT` redraws the figure; then runs gnuplot, which writes the
 * image to a temporary name renamed on success.
 * Errors: TABRL_EINVAL for bad options (metric, extension, terminal),
 * unknown x_key ("no config sets KEY; swept keys are: ...") or no data
 * for the metric; TABRL_ENOTFOUND if summary.csv (or, with x_key,
 * manifest.ini) is missing; TABRL_EUNSUPPORTED if gnuplot is not on PATH
 * (the script is still written); TABRL_EIO if gnuplot fails or a file
 * cannot be written. */
int tabrl_plot(const char *dir, const tabrl_plot_options *opt);

/* The paths tabrl_plot(dir, opt) writes: the image (NULL for dumb output on
 * standard output) and the script, as malloc'ed strings the caller frees.
 * TABRL_EINVAL for options tabrl_plot would refuse for their form. */
int tabrl_plot_paths(const char *dir, const tabrl_plot_options *opt, char **image, char **script);

#pragma GCC visibility pop

#endif
