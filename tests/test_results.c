/* The results module: statistics against hand-computed values, summary.csv
 * text, merging the shard fixtures of tests/data/results (equal to the
 * unsharded runs.csv byte for byte), every refusal with its message, and
 * figures through gnuplot (installed here and in CI, so asserted). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/schema.h"

#define DATA TABRL_TEST_DATA "/results"

/* ---- helpers ---- */

static char *temp_dir(void)
{
  char *path = strdup("/tmp/tabrl_test_results_XXXXXX");
  ck_assert_ptr_nonnull(path);
  ck_assert_ptr_nonnull(mkdtemp(path));
  return path;
}

static char *join(const char *dir, const char *name)
{
  size_t size = strlen(dir) + strlen(name) + 2;
  char *path = malloc(size);
  ck_assert_ptr_nonnull(path);
  snprintf(path, size, "%s/%s", dir, name);
  return path;
}

static void write_file(const char *dir, const char *name, const char *contents)
{
  char *path = join(dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(contents, f);
  fclose(f);
  free(path);
}

/* The contents of dir/name, or NULL if it cannot be read. */
static char *read_file(const char *dir, const char *name)
{
  char *path = join(dir, name), *text = NULL;
  size_t size = 0;
  FILE *f = fopen(path, "r"), *out = open_memstream(&text, &size);
  free(path);
  if (!f) {
    fclose(out);
    free(text);
    return NULL;
  }
  for (int c; (c = fgetc(f)) != EOF;) fputc(c, out);
  fclose(f);
  fclose(out);
  return text;
}

static int count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void remove_tree(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) return;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *path = join(dir, e->d_name);
    struct stat st;
    if (!lstat(path, &st) && S_ISDIR(st.st_mode))
      remove_tree(path);
    else
      unlink(path);
    free(path);
  }
  closedir(d);
  rmdir(dir);
}

static void assert_error(int status, int code, const char *fragment)
{
  ck_assert_int_eq(status, code);
  if (!strstr(tabrl_error_message(), fragment))
    ck_abort_msg("message '%s' lacks '%s'", tabrl_error_message(), fragment);
}

/* ---- statistics ---- */

START_TEST(test_stats_four)
{
  /* x = 1, 2, 3, 4: mean 5/2; sum of squared deviations 9/4 + 1/4 + 1/4 +
   * 9/4 = 5, so s = sqrt(5/3) = 1.2909944487358056.  t_{0.975, 3} =
   * 3.182446305284263 (any t table: 3.182), half-width t s / sqrt(4) =
   * 3.182446305284263 * 1.2909944487358056 / 2 = 2.054260256760879.
   * gsl_cdf_tdist_Pinv gives t = 3.1824463052837038 (relative error 2e-13),
   * hence the tolerance of the interval. */
  const double x[] = {1, 2, 3, 4};
  tabrl_summary s;
  ck_assert_int_eq(tabrl_stats_summary(x, 4, &s), 0);
  ck_assert_uint_eq(s.n, 4);
  ck_assert_double_eq(s.mean, 2.5);
  ck_assert_double_eq_tol(s.std, 1.2909944487358056, 1e-15);
  ck_assert_double_eq_tol(s.lo, 2.5 - 2.054260256760879, 1e-11);
  ck_assert_double_eq_tol(s.hi, 2.5 + 2.054260256760879, 1e-11);
}
END_TEST

START_TEST(test_stats_two_and_constant)
{
  /* x = 0, 2: mean 1, s = sqrt(2); t_{0.975, 1} = 12.706204736174698, so the
   * half-width is t sqrt(2) / sqrt(2) = t. */
  const double x[] = {0, 2}, c[] = {0.1, 0.1, 0.1};
  tabrl_summary s;
  ck_assert_int_eq(tabrl_stats_summary(x, 2, &s), 0);
  ck_assert_double_eq(s.mean, 1);
  ck_assert_double_eq_tol(s.std, sqrt(2.0), 1e-15);
  ck_assert_double_eq_tol(s.hi - s.mean, 12.706204736174698, 1e-12);
  ck_assert_double_eq_tol(s.mean - s.lo, 12.706204736174698, 1e-12);
  /* A constant sample: exactly its value and no spread. */
  ck_assert_int_eq(tabrl_stats_summary(c, 3, &s), 0);
  ck_assert_double_eq(s.mean, 0.1);
  ck_assert_double_eq(s.std, 0);
  ck_assert_double_eq(s.lo, 0.1);
  ck_assert_double_eq(s.hi, 0.1);
}
END_TEST

START_TEST(test_stats_one_and_none)
{
  const double x[] = {-3.25, NAN};
  tabrl_summary s;
  ck_assert_int_eq(tabrl_stats_summary(x, 1, &s), 0);
  ck_assert_uint_eq(s.n, 1);
  ck_assert_double_eq(s.mean, -3.25);
  ck_assert_double_eq(s.std, 0);
  ck_assert_double_eq(s.lo, -3.25);
  ck_assert_double_eq(s.hi, -3.25);
  assert_error(tabrl_stats_summary(x, 0, &s), TABRL_EINVAL, "no numbers");
  assert_error(tabrl_stats_summary(x, 2, &s), TABRL_EINVAL, "not finite");
}
END_TEST

/* ---- summary.csv ---- */

static const char header[] =
    "env,algo,config,seed,episode,return,value,regret,cum_regret,"
    "elapsed_s,w1,cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation\n";

START_TEST(test_summarize_text)
{
  /* Two seeds of `a` (values at every checkpoint, distances at the
   * first, a W1 bound that differs between the seeds: their mean), one
   * seed of `b` (no values, no distances: empty columns), and a config c2
   * reached by one seed only. */
  char *dir = temp_dir(), *text, expected[2048], row[512];
  tabrl_summary s;
  const double pair[] = {0, 2};
  write_file(dir, "runs.csv",
             "env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,cramer,"
             "w1_bound,cramer_bound,value_err,queries,kl,cost,violation\n"
             "rs,a,c1,0,10,1,0.5,0,0,0.001,0.5,0.25,1.5,,0.125,,,,\n"
             "rs,a,c1,0,20,1,0.75,1,2,0.002,,,,,,,,,\n"
             "rs,a,c1,1,10,1,0.5,0,0,0.001,0.5,0.25,2.5,,0.125,,,,\n"
             "rs,a,c1,1,20,1,0.75,0,0,0.002,,,,,,,,,\n"
             "rs,b,c1,0,10,2,,1.5,1.5,0.001,,,,,,3,,,\n"
             "rs,b,c1,0,20,2,,0.25,4.25,0.002,,,,,,7,,,\n"
             "rs,a,c2,1,10,1,3,0,7,0.001,2,1,,0.75,4,,,0.5,0.25\n");
  ck_assert_int_eq(tabrl_results_summarize(dir), 0);
  ck_assert_int_eq(tabrl_stats_summary(pair, 2, &s), 0);
  snprintf(row, sizeof row,
           "rs,a,c1,20,2,%.17g,%.17g,%.17g,%.17g,0.75,0,0.75,0.75,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n",
           s.mean, s.std, s.lo, s.hi);
  snprintf(
      expected, sizeof expected,
      "env,algo,config,episode,n,cum_regret_mean,cum_regret_std,cum_regret_lo,"
      "cum_regret_hi,value_mean,value_std,value_lo,value_hi,w1_mean,w1_std,w1_lo,w1_hi,"
      "cramer_mean,cramer_std,cramer_lo,cramer_hi,w1_bound,cramer_bound,value_err_mean,"
      "value_err_std,value_err_lo,value_err_hi,queries_mean,queries_std,queries_lo,queries_hi,"
      "kl_mean,kl_std,kl_lo,kl_hi,cost_mean,cost_std,cost_lo,cost_hi,violation_mean,"
      "violation_std,violation_lo,violation_hi\n"
      "rs,a,c1,10,2,0,0,0,0,0.5,0,0.5,0.5,0.5,0,0.5,0.5,0.25,0,0.25,0.25,2,,0.125,0,0.125,0."
      "125,,,,,,,,,,,,,,,,"
      "\n"
      "%s"
      "rs,b,c1,10,1,1.5,0,1.5,1.5,,,,,,,,,,,,,,,,,,,3,0,3,3,,,,,,,,,,,,\n"
      "rs,b,c1,20,1,4.25,0,4.25,4.25,,,,,,,,,,,,,,,,,,,7,0,7,7,,,,,,,,,,,,\n"
      "rs,a,c2,10,1,7,0,7,7,3,0,3,3,2,0,2,2,1,0,1,1,,0.75,4,0,4,4,,,,,,,,,0.5,0,0.5,0.5,0.25,0,"
      "0.25,0.25\n",
      row);
  text = read_file(dir, "summary.csv");
  ck_assert_ptr_nonnull(text);
  ck_assert_str_eq(text, expected);
  ck_assert_int_eq(count_entries(dir), 2); /* no temporary left */
  free(text);
  remove_tree(dir);
  free(dir);
}
END_TEST

/* runs.csv text -> the error summarize must give, with its line. */
static void expect_malformed(const char *contents, const char *fragment)
{
  char *dir = temp_dir();
  write_file(dir, "runs.csv", contents);
  assert_error(tabrl_results_summarize(dir), TABRL_EINVAL, fragment);
  ck_assert_int_eq(count_entries(dir), 1); /* no summary.csv, no temporary */
  remove_tree(dir);
  free(dir);
}

START_TEST(test_summarize_malformed)
{
  char buffer[1024];
  expect_malformed("", "runs.csv:1: empty file");
  expect_malformed("env,algo,config,seed,episode,return,value,regret,cum_regret\n",
                   "runs.csv:1: header");
#define WITH(rows) (snprintf(buffer, sizeof buffer, "%s%s", header, rows), buffer)
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0\n"), "runs.csv:2: 9 fields, expected 19");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1\n"), "runs.csv:2: 10 fields, expected 19");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,,,,,\nrs,a b,c,0,10,1,,0,0,0.1,,,,,,,,,\n"),
                   "runs.csv:3: algo 'a b' is not a label");
  expect_malformed(WITH("rs,a,c,-1,10,1,,0,0,0.1,,,,,,,,,\n"),
                   "runs.csv:2: seed '-1' is not a non-negative integer");
  expect_malformed(WITH("rs,a,c,0,1e3,1,,0,0,0.1,,,,,,,,,\n"),
                   "runs.csv:2: episode '1e3' is not a non-negative integer");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,nan,0.1,,,,,,,,,\n"),
                   "runs.csv:2: cum_regret 'nan' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,x,0,0,0.1,,,,,,,,,\n"),
                   "runs.csv:2: value 'x' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,inf,,,,,,,,\n"),
                   "runs.csv:2: w1 'inf' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,x,,,,,,,\n"),
                   "runs.csv:2: cramer 'x' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,nan,,,,,,\n"),
                   "runs.csv:2: w1_bound 'nan' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,x,,,,,\n"),
                   "runs.csv:2: cramer_bound 'x' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,-inf,,,,\n"),
                   "runs.csv:2: value_err '-inf' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,,,,,\nrs,a,c,0,10,1,,0,0,0.1,,,,,,,,,\n"),
                   "runs.csv:3: episode 10 of run rs/a/c seed 0 is not after episode 10 (line 2)");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,,,,,\n\n"), "runs.csv:3: empty line");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,,q,,,\n"),
                   "runs.csv:2: queries 'q' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,,,,inf,0\n"),
                   "runs.csv:2: cost 'inf' is not a finite number");
  expect_malformed(WITH("rs,a,c,0,10,1,,0,0,0.1,,,,,,,,0,v\n"),
                   "runs.csv:2: violation 'v' is not a finite number");
#undef WITH
}
END_TEST

START_TEST(test_summarize_missing)
{
  char *dir = temp_dir();
  assert_error(tabrl_results_summarize(dir), TABRL_ENOTFOUND, "runs.csv: no such file");
  remove_tree(dir);
  free(dir);
}
END_TEST

/* ---- merge ---- */

START_TEST(test_merge_equals_unsharded)
{
  char *dir = temp_dir(), *out = join(dir, "a/b"), *merged, *single, *manifest;
  const char *shards[] = {DATA "/shard2", DATA "/shard1"};
  tabrl_merge_report report;
  /* Shard 2 lists its runs in reverse and comes first: the canonical order
   * still comes from the manifest. */
  ck_assert_int_eq(tabrl_results_merge(shards, 2, out, &report), 0);
  ck_assert_uint_eq(report.inputs, 2);
  ck_assert_uint_eq(report.runs, 12);
  ck_assert_uint_eq(report.runs_expected, 12);
  ck_assert_uint_eq(report.rows, 36);
  merged = read_file(out, "runs.csv");
  single = read_file(DATA "/single", "runs.csv");
  ck_assert_ptr_nonnull(merged);
  ck_assert_ptr_nonnull(single);
  ck_assert_str_eq(merged, single);
  free(merged);
  /* The same summary as the unsharded directory's. */
  char *copy = join(dir, "single");
  ck_assert_int_eq(mkdir(copy, 0777), 0);
  write_file(copy, "runs.csv", single);
  ck_assert_int_eq(tabrl_results_summarize(copy), 0);
  char *a = read_file(copy, "summary.csv"), *b = read_file(out, "summary.csv");
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  free(copy);
  free(single);
  /* The manifest: shard 2's (the first input), no shard key, merged_from,
   * the long command line and the empty-keyed sections intact. */
  manifest = read_file(out, "manifest.ini");
  ck_assert_ptr_nonnull(manifest);
  ck_assert_ptr_null(strstr(manifest, "shard ="));
  ck_assert_ptr_nonnull(strstr(manifest, "experiment_hash = 5be2a0c4d91f3e07\n"
                                         "merged_from = 2 shards\n\n[experiment]\n"));
  ck_assert_ptr_nonnull(strstr(manifest, "# a long command line: longer than the 200 characters"));
  ck_assert_ptr_nonnull(strstr(manifest, "[config s1]\nucbvi-b.scale = 1\n"));
  free(manifest);
  ck_assert_int_eq(count_entries(out), 3); /* runs, manifest, summary: no figure here */
  remove_tree(dir);
  free(dir);
  free(out);
}
END_TEST

START_TEST(test_merge_partial)
{
  char *dir = temp_dir();
  const char *shards[] = {DATA "/shard1"};
  tabrl_merge_report report;
  ck_assert_int_eq(tabrl_results_merge(shards, 1, dir, &report), 0);
  ck_assert_uint_eq(report.runs, 6);
  ck_assert_uint_eq(report.runs_expected, 12);
  char *manifest = read_file(dir, "manifest.ini");
  ck_assert_ptr_nonnull(strstr(manifest, "merged_from = 1 shard\n"));
  free(manifest);
  remove_tree(dir);
  free(dir);
}
END_TEST

START_TEST(test_merge_refusals)
{
  char *dir = temp_dir(), *out = join(dir, "out");
  const char *other[] = {DATA "/shard1", DATA "/other"};
  const char *dup[] = {DATA "/shard1", DATA "/dup"};
  const char *twice[] = {DATA "/shard1", DATA "/shard1"};
  const char *missing[] = {DATA "/shard1", DATA "/nothing"};
  assert_error(tabrl_results_merge(other, 2, out, NULL), TABRL_EINVAL,
               "shard1 and " DATA "/other come from different experiments "
               "(experiment_hash 5be2a0c4d91f3e07 vs 0000aaaa1111bbbb)");
  assert_error(tabrl_results_merge(dup, 2, out, NULL), TABRL_EINVAL,
               "run riverswim/ucbvi-b/s0.5 seed 7 is in both " DATA "/shard1 and " DATA "/dup");
  assert_error(tabrl_results_merge(twice, 2, out, NULL), TABRL_EINVAL, "are both shard 1/2");
  assert_error(tabrl_results_merge(missing, 2, out, NULL), TABRL_ENOTFOUND,
               "nothing/manifest.ini: no such file");
  assert_error(tabrl_results_merge(other, 0, out, NULL), TABRL_EINVAL, "nothing to merge");
  /* Nothing was written. */
  ck_assert_int_eq(count_entries(dir), 0);
  remove_tree(dir);
  free(dir);
  free(out);
}
END_TEST

START_TEST(test_merge_unknown_label)
{
  /* A run whose config the manifest does not list. */
  char *dir = temp_dir(), *in = join(dir, "in"), *out = join(dir, "out");
  char *manifest = read_file(DATA "/single", "manifest.ini");
  const char *inputs[] = {in};
  ck_assert_int_eq(mkdir(in, 0777), 0);
  write_file(in, "manifest.ini", manifest);
  write_file(in, "runs.csv",
             "env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,cramer,"
             "w1_bound,cramer_bound,value_err,queries,kl,cost,violation\n"
             "riverswim,qlearn,s0.5,3,10,1,,0,0,0.1,,,,,,,,,\n"
             "riverswim,qlearn,s2,3,10,1,,0,0,0.1,,,,,,,,,\n");
  assert_error(tabrl_results_merge(inputs, 1, out, NULL), TABRL_EINVAL,
               "in/runs.csv:3: config of this run is not in");
  free(manifest);
  remove_tree(dir);
  free(dir);
  free(in);
  free(out);
}
END_TEST

/* ---- figures ---- */

/* A copy of fixture name with its summary, in a new temporary directory. */
static char *summarized_copy(const char *name)
{
  char *dir = temp_dir(), *source = join(DATA, name);
  char *runs = read_file(source, "runs.csv"), *manifest = read_file(source, "manifest.ini");
  write_file(dir, "runs.csv", runs);
  write_file(dir, "manifest.ini", manifest);
  ck_assert_int_eq(tabrl_results_summarize(dir), 0);
  free(runs);
  free(manifest);
  free(source);
  return dir;
}

START_TEST(test_plot_dumb)
{
  char *dir = summarized_copy("single"), *output = join(dir, "plot.txt");
  tabrl_plot_options opt = {.terminal = "dumb", .output = output};
  ck_assert_int_eq(tabrl_plot(dir, &opt), 0);
  char *text = read_file(dir, "plot.txt"), *script = read_file(dir, "plot.gp");
  ck_assert_ptr_nonnull(text);
  /* Configs are named by their swept values, not their labels. */
  ck_assert_ptr_nonnull(strstr(text, "ucbvi-b ucbvi-b.scale=0.5"));
  ck_assert_ptr_nonnull(strstr(text, "qlearn ucbvi-b.scale=1"));
  ck_assert_ptr_null(strstr(text, "ucbvi-b s0.5"));
  ck_assert_ptr_nonnull(strstr(text, "riverswim-sweep"));
  ck_assert_ptr_nonnull(script);
  ck_assert_ptr_nonnull(strstr(script, "$s1 << EOD\n# episode mean lo hi\n10 "));
  ck_assert_ptr_nonnull(strstr(script, "set terminal dumb"));
  free(text);
  free(script);
  remove_tree(dir);
  free(dir);
  free(output);
}
END_TEST

START_TEST(test_plot_png_and_paths)
{
  char *dir = summarized_copy("single"), *image, *script;
  tabrl_plot_options opt = {0};
  ck_assert_int_eq(tabrl_plot_paths(dir, &opt, &image, &script), 0);
  ck_assert_str_eq(image + strlen(dir), "/cum_regret.png");
  ck_assert_str_eq(script + strlen(dir), "/cum_regret.gp");
  ck_assert_int_eq(tabrl_plot(dir, &opt), 0);
  FILE *f = fopen(image, "rb");
  unsigned char magic[8] = {0};
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fread(magic, 1, 8, f), 8);
  fclose(f);
  ck_assert_mem_eq(magic, "\x89PNG\r\n\x1a\n", 8);
  /* The script is self-contained: the figure's data and its final name. */
  char *text = read_file(dir, "cum_regret.gp");
  ck_assert_ptr_nonnull(strstr(text, "with filledcurves fs transparent solid 0.2"));
  ck_assert_ptr_nonnull(strstr(text, "lc rgb '#1f77b4' dt 1 title 'ucbvi-b ucbvi-b.scale=0.5'"));
  ck_assert_ptr_nonnull(strstr(text, "lc rgb '#d62728' dt 1 title 'qlearn ucbvi-b.scale=0.5'"));
  ck_assert_ptr_nonnull(strstr(text, "/cum_regret.png'\nset output tabrl_output\n"));
  free(text);
  free(image);
  free(script);
  ck_assert_int_eq(count_entries(dir), 5); /* no temporary left */

  opt.x_key = "ucbvi-b.scale";
  opt.metric = "value";
  ck_assert_int_eq(tabrl_plot_paths(dir, &opt, &image, &script), 0);
  ck_assert_str_eq(image + strlen(dir), "/value-vs-ucbvi-b.scale.png");
  ck_assert_int_eq(tabrl_plot(dir, &opt), 0);
  text = read_file(dir, "value-vs-ucbvi-b.scale.gp");
  /* Only ucbvi-b reports values; its points sorted by the swept value. */
  ck_assert_ptr_nonnull(strstr(text, "$s1 << EOD\n# ucbvi-b.scale mean lo hi\n0.5 "));
  ck_assert_ptr_nonnull(strstr(text, "\n1 "));
  ck_assert_ptr_nonnull(strstr(text, "with yerrorlines"));
  ck_assert_ptr_null(strstr(text, "$s2"));
  free(text);
  free(image);
  free(script);
  remove_tree(dir);
  free(dir);
}
END_TEST

START_TEST(test_plot_refusals)
{
  char *dir = summarized_copy("nosweep");
  tabrl_plot_options opt = {.x_key = "ucbvi-b.scale"};
  assert_error(tabrl_plot(dir, &opt), TABRL_EINVAL,
               "no config sets ucbvi-b.scale; this experiment has no sweep");
  opt = (tabrl_plot_options){.metric = "regret"};
  assert_error(tabrl_plot(dir, &opt), TABRL_EINVAL, "metric 'regret'");
  opt = (tabrl_plot_options){.output = "x.jpg"};
  assert_error(tabrl_plot(dir, &opt), TABRL_EINVAL, "unknown image type '.jpg'");
  opt = (tabrl_plot_options){.terminal = "png"};
  assert_error(tabrl_plot(dir, &opt), TABRL_EINVAL, "terminal 'png'");
  opt = (tabrl_plot_options){0};
  assert_error(tabrl_plot("/nonexistent/dir", &opt), TABRL_ENOTFOUND, "no such directory");
  remove_tree(dir);
  free(dir);

  dir = summarized_copy("single");
  opt = (tabrl_plot_options){.x_key = "scale"};
  assert_error(tabrl_plot(dir, &opt), TABRL_EINVAL,
               "no config sets scale; swept keys are: ucbvi-b.scale");
  remove_tree(dir);
  free(dir);
}
END_TEST

START_TEST(test_plot_without_gnuplot)
{
  char *dir = summarized_copy("nosweep"), *empty = join(dir, "bin");
  char *saved = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  tabrl_plot_options opt = {0};
  ck_assert_int_eq(mkdir(empty, 0777), 0);
  setenv("PATH", empty, 1);
  int status = tabrl_plot(dir, &opt);
  setenv("PATH", saved, 1);
  assert_error(status, TABRL_EUNSUPPORTED, "gnuplot not found; the script is ");
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "cum_regret.gp (install gnuplot-nox)"));
  char *script = read_file(dir, "cum_regret.gp"), *image = read_file(dir, "cum_regret.png");
  ck_assert_ptr_nonnull(script);
  ck_assert_ptr_null(image);
  ck_assert_ptr_nonnull(strstr(script, "title 'ucbvi-b'")); /* one config: the algo alone */
  free(script);
  free(saved);
  free(empty);
  remove_tree(dir);
  free(dir);
}
END_TEST

/* ---- fits and bounds ---- */

/* Checkpoints K = (i + 1)^2: 1, 4, ..., spread like a long run's. */
static void checkpoints(double *K, size_t n)
{
  for (size_t i = 0; i < n; i++) K[i] = (double)(i + 1) * (double)(i + 1);
}

START_TEST(test_fit_closed_forms)
{
  enum { N = 40 };
  double K[N], y[N];
  tabrl_fit fit;
  checkpoints(K, N); /* K = 1, 4, ..., 1600 */
  for (size_t i = 0; i < N; i++) y[i] = 3 * sqrt(K[i]);
  ck_assert_int_eq(tabrl_fit_curve(K, y, N, TABRL_FIT_SQRT, &fit), 0);
  ck_assert(fit.has_slope);
  ck_assert_double_eq_tol(fit.slope, 0.5, 1e-12);
  ck_assert_double_eq_tol(fit.c, 3, 1e-12);
  /* The last decade: K >= 160, i.e. (i+1)^2 >= 160, i+1 >= 13: 28 points. */
  ck_assert_uint_eq(fit.first, 12);
  ck_assert_uint_eq(fit.n, 28);
  ck_assert_int_eq(fit.widened, 0);

  for (size_t i = 0; i < N; i++) y[i] = 2 * K[i];
  ck_assert_int_eq(tabrl_fit_curve(K, y, N, TABRL_FIT_LINEAR, &fit), 0);
  ck_assert_double_eq_tol(fit.slope, 1, 1e-12);
  ck_assert_double_eq_tol(fit.c, 2, 1e-12);

  for (size_t i = 0; i < N; i++) y[i] = 5 * log(K[i]);
  ck_assert_int_eq(tabrl_fit_curve(K, y, N, TABRL_FIT_LOG, &fit), 0);
  ck_assert_double_eq_tol(fit.c, 5, 1e-12);

  /* c is least squares, not a ratio at one point: y = K on f = sqrt(K) over
   * K = 100, 400, 1600 (one decade and more: the last decade is 400, 1600
   * plus the widening to 3) gives c = sum K^1.5 / sum K. */
  const double K3[] = {100, 400, 1600}, y3[] = {100, 400, 1600};
  ck_assert_int_eq(tabrl_fit_curve(K3, y3, 3, TABRL_FIT_SQRT, &fit), 0);
  ck_assert_int_eq(fit.widened, 1);
  ck_assert_uint_eq(fit.first, 0);
  ck_assert_double_eq_tol(fit.c, (1000.0 + 8000.0 + 64000.0) / 2100.0, 1e-12);
  ck_assert_double_eq_tol(fit.slope, 1, 1e-12);

  /* Points with y <= 0 are left out of the slope, not of c. */
  const double K4[] = {1000, 2000, 4000, 8000}, y4[] = {0, 2000, 4000, 8000};
  ck_assert_int_eq(tabrl_fit_curve(K4, y4, 4, TABRL_FIT_LINEAR, &fit), 0);
  ck_assert_double_eq_tol(fit.slope, 1, 1e-12);
  ck_assert_uint_eq(fit.n_slope, 3);
  ck_assert_double_eq_tol(fit.c, (4e6 + 16e6 + 64e6) / (1e6 + 4e6 + 16e6 + 64e6), 1e-12);
  const double z4[] = {0, 0, 0, 5};
  ck_assert_int_eq(tabrl_fit_curve(K4, z4, 4, TABRL_FIT_LINEAR, &fit), 0);
  ck_assert_int_eq(fit.has_slope, 0);
  ck_assert_uint_eq(fit.n_slope, 1);

  const double bad[] = {2, 1};
  assert_error(tabrl_fit_curve(bad, y4, 2, TABRL_FIT_SQRT, &fit), TABRL_EINVAL, "increasing");
  const double one[] = {1};
  assert_error(tabrl_fit_curve(one, y4, 1, TABRL_FIT_LOG, &fit), TABRL_EINVAL, "is 0");
  ck_assert_int_eq(tabrl_fit_shape_parse("sqrt"), TABRL_FIT_SQRT);
  ck_assert_int_eq(tabrl_fit_shape_parse("cubic"), TABRL_FIT_NONE);
}
END_TEST

START_TEST(test_regret_bound)
{
  /* S = 6, A = 2, H = 20, K = 2000, delta = 0.1: T = 40,000,
   * L = ln(5 * 6 * 2 * 40000 / 0.1) = ln(2.4e7) = 16.993564...,
   * 20 H L sqrt(S A T) = 400 L sqrt(480000), 250 H^2 S^2 A L^2 = 7.2e6 L^2. */
  const tabrl_bound_problem p = {6, 2, 20, 2000, 0.1};
  double value, L = log(2.4e7);
  const char *title;
  ck_assert_int_eq(tabrl_regret_bound("ucbvi", &p, 2000, &value, &title), 0);
  ck_assert_double_eq_tol(value, 400 * L * sqrt(480000.0) + 7.2e6 * L * L, 1e-6);
  ck_assert_double_eq_tol(value, 2083934255.17, 0.01);
  ck_assert_str_eq(title, "UCBVI-CH bound (Thm 1)");
  /* At K = 20 the sqrt term shrinks, L stays the run's. */
  ck_assert_int_eq(tabrl_regret_bound("ucbvi", &p, 20, &value, &title), 0);
  ck_assert_double_eq_tol(value, 400 * L * sqrt(4800.0) + 7.2e6 * L * L, 1e-6);
  assert_error(tabrl_regret_bound("psrl", &p, 20, &value, &title), TABRL_EUNSUPPORTED,
               "states only");
  assert_error(tabrl_regret_bound("greedy-q", &p, 20, &value, &title), TABRL_ENOTFOUND,
               "algorithms with one: ucbvi");
  const tabrl_bound_problem q = {6, 2, 20, 2000, 1.5};
  assert_error(tabrl_regret_bound("ucbvi", &q, 20, &value, &title), TABRL_EINVAL, "delta");
}
END_TEST

START_TEST(test_plot_fit_script)
{
  char *dir = summarized_copy("single"), *output = join(dir, "fit.txt");
  tabrl_plot_options opt = {.terminal = "dumb", .output = output, .fit = TABRL_FIT_SQRT};
  ck_assert_int_eq(tabrl_plot(dir, &opt), 0);
  char *script = read_file(dir, "fit.gp");
  ck_assert_ptr_nonnull(script);
  ck_assert_ptr_nonnull(strstr(script, "$f1 << EOD\n"));
  ck_assert_ptr_nonnull(strstr(script, ": slope "));
  ck_assert_ptr_nonnull(strstr(script, " K^1/2"));
  free(script);
  opt.x_key = "ucbvi-b.scale";
  assert_error(tabrl_plot(dir, &opt), TABRL_EINVAL, "not on a sweep");
  remove_tree(dir);
  free(dir);
  free(output);
}
END_TEST

/* The schemas are the documented headers (README, Output files), and the
 * column enums index them. */
START_TEST(test_schemas)
{
  ck_assert_str_eq(tabrl_schema_runs.header,
                   "env,algo,config,seed,episode,return,value,regret,cum_regret,elapsed_s,w1,"
                   "cramer,w1_bound,cramer_bound,value_err,queries,kl,cost,violation");
  ck_assert_str_eq(
      tabrl_schema_summary.header,
      "env,algo,config,episode,n,cum_regret_mean,cum_regret_std,cum_regret_lo,"
      "cum_regret_hi,value_mean,value_std,value_lo,value_hi,w1_mean,w1_std,w1_lo,"
      "w1_hi,cramer_mean,cramer_std,cramer_lo,cramer_hi,w1_bound,cramer_bound,"
      "value_err_mean,value_err_std,value_err_lo,value_err_hi,queries_mean,"
      "queries_std,queries_lo,queries_hi,kl_mean,kl_std,kl_lo,kl_hi,cost_mean,cost_std,"
      "cost_lo,cost_hi,violation_mean,violation_std,violation_lo,violation_hi");
  ck_assert_str_eq(tabrl_schema_policies.header, "env,algo,config,seed,h,s,a,prob");
  ck_assert_uint_eq(tabrl_schema_runs.ncolumns, 19);
  ck_assert_str_eq(tabrl_schema_runs.columns[TABRL_RUNS_CRAMER], "cramer");
  ck_assert_str_eq(tabrl_schema_summary.columns[TABRL_SUMMARY_W1_MEAN], "w1_mean");
  ck_assert_str_eq(tabrl_schema_runs.columns[TABRL_RUNS_CUM_REGRET], "cum_regret");
  ck_assert_str_eq(tabrl_schema_summary.columns[TABRL_SUMMARY_VALUE_MEAN], "value_mean");
  ck_assert_str_eq(tabrl_schema_policies.columns[TABRL_POLICIES_PROB], "prob");
  char line[] = "a,,c", *fields[2];
  ck_assert_uint_eq(tabrl_schema_split(line, fields, 2), 3);
  ck_assert_str_eq(fields[0], "a");
  ck_assert_str_eq(fields[1], "");
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("results");
  TCase *stats = tcase_create("stats");
  tcase_add_test(stats, test_stats_four);
  tcase_add_test(stats, test_schemas);
  tcase_add_test(stats, test_stats_two_and_constant);
  tcase_add_test(stats, test_stats_one_and_none);
  TCase *summary = tcase_create("summary");
  tcase_add_test(summary, test_summarize_text);
  tcase_add_test(summary, test_summarize_malformed);
  tcase_add_test(summary, test_summarize_missing);
  TCase *merge = tcase_create("merge");
  tcase_set_timeout(merge, 60);
  tcase_add_test(merge, test_merge_equals_unsharded);
  tcase_add_test(merge, test_merge_partial);
  tcase_add_test(merge, test_merge_refusals);
  tcase_add_test(merge, test_merge_unknown_label);
  TCase *plot = tcase_create("plot");
  tcase_set_timeout(plot, 60);
  tcase_add_test(plot, test_plot_dumb);
  tcase_add_test(plot, test_plot_png_and_paths);
  tcase_add_test(plot, test_plot_refusals);
  tcase_add_test(plot, test_plot_without_gnuplot);
  tcase_add_test(plot, test_plot_fit_script);
  tcase_add_test(stats, test_fit_closed_forms);
  tcase_add_test(stats, test_regret_bound);
  suite_add_tcase(s, stats);
  suite_add_tcase(s, summary);
  suite_add_tcase(s, merge);
  suite_add_tcase(s, plot);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
