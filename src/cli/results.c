/* tabrl summarize / merge / plot: an output directory after its runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "model/fileio.h"
#include "results/private.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/results.h"

enum { OPT_METRIC = 256, OPT_TERM, OPT_LOGX, OPT_LOGY, OPT_X, OPT_FIT, OPT_BOUND };

const cli_option cli_merge_options[] = {
    {"out", 'o', "DIR", "the merged directory (a new, empty or earlier merged one)"},
    {NULL, 0, NULL, NULL},
};

const cli_option cli_plot_options[] = {
    {"metric", OPT_METRIC, "cum_regret|value|w1|cramer|value_err|queries|kl|cost|violation",
     "what to draw (default cum_regret)"},
    {"output", 'o', "FILE.png|svg|pdf", "the figure (default DIR/METRIC.png); its script FILE.gp"},
    {"term", OPT_TERM, "dumb", "draw as text on standard output"},
    {"logx", OPT_LOGX, NULL, "logarithmic x axis"},
    {"logy", OPT_LOGY, NULL, "logarithmic y axis"},
    {"x", OPT_X, "KEY", "a swept key as the x axis (one point per config at the last episode)"},
    {"fit", OPT_FIT, "sqrt|linear|log",
     "fit c K^1/2, c K or c ln K to each curve's last decade (dashed) and its log-log slope"},
    {"bound", OPT_BOUND, "ALGO",
     "draw ALGO's regret bound with its paper's constants (ucbvi: UCBVI-CH, Thm 1)"},
    {NULL, 0, NULL, NULL},
};

int cli_summarize(int argc, char **argv)
{
  int status;
  optind = 0;
  if (getopt_long(argc, argv, "", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1 ||
      optind != argc - 1)
    return cli_usage("summarize", CLI_USAGE);
  if ((status = tabrl_results_summarize(argv[optind]))) {
    cli_error("%s", tabrl_error_message());
    return cli_status(status);
  }
  cli_print_summary(argv[optind]);
  printf("wrote %s/summary.csv\n", argv[optind]);
  return CLI_OK;
}

/* Plot exit codes: a missing or failing gnuplot is a run-time failure (1),
 * unlike cli_status's mapping of TABRL_EUNSUPPORTED. */
static int plot_status(int status)
{
  return status == TABRL_EUNSUPPORTED ? CLI_FAIL : cli_status(status);
}

int cli_merge(int argc, char **argv)
{
  const char *out = NULL;
  tabrl_merge_report report;
  int opt, status;

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_merge_options)) != -1) {
    if (opt != 'o') return cli_usage("merge", CLI_USAGE);
    out = optarg;
  }
  if (!out) {
    cli_error("merge needs --out DIR");
    return CLI_USAGE;
  }
  if (optind >= argc) return cli_usage("merge", CLI_USAGE);
  if (tabrl_output_path_check("--out", out, TABRL_OUTPUT_DIR)) {
    cli_error("%s", tabrl_error_message());
    return CLI_USAGE;
  }
  status = tabrl_results_merge((const char *const *)(argv + optind), (size_t)(argc - optind), out,
                               &report);
  if (status) {
    cli_error("%s", tabrl_error_message());
    return cli_status(status);
  }
  if (report.runs < report.runs_expected)
    cli_error("warning: merged %zu of %zu runs (%zu missing)", report.runs, report.runs_expected,
              report.runs_expected - report.runs);
  printf("merged %zu of %zu runs (%zu rows) from %zu director%s into %s\n", report.runs,
         report.runs_expected, report.rows, report.inputs, report.inputs == 1 ? "y" : "ies", out);
  if (report.rows == 0) return CLI_OK;

  /* The default figure; the merge itself has succeeded, so a missing
   * gnuplot is only worth a warning. */
  tabrl_plot_options plot = {0};
  if ((status = tabrl_plot(out, &plot))) {
    cli_error("%s%s", status == TABRL_EUNSUPPORTED ? "warning: " : "", tabrl_error_message());
    return status == TABRL_EUNSUPPORTED ? CLI_OK : plot_status(status);
  }
  char *image = NULL, *script = NULL;
  if (!tabrl_plot_paths(out, &plot, &image, &script))
    printf("wrote %s (script %s)\n", image, script);
  free(image);
  free(script);
  return CLI_OK;
}

/* One line per curve on standard output, for scripts and tests. */
static void print_fit(const char *series, tabrl_fit_shape shape, const tabrl_fit *fit,
                      const double *K, void *ctx)
{
  static const char *const names[] = {"", "sqrt", "linear", "log"};
  (void)ctx;
  printf("fit %s c=%.17g slope=", names[shape], fit->c);
  if (fit->has_slope)
    printf("%.17g", fit->slope);
  else
    printf("n/a");
  printf(" K=%.17g..%.17g points=%zu%s series=%s\n", K[fit->first], K[fit->first + fit->n - 1],
         fit->n, fit->widened ? " (fewer than 3 in the last decade)" : "", series);
  fflush(stdout); /* before gnuplot's dumb text on the same standard output */
}

/* The problem of DIR's experiment for algorithm type algo's bound: S, A, H
 * of its env, rebuilt from the manifest as tabrl eval does, the run's
 * episodes, and delta of its first algorithm of that type.  Prints the
 * error; returns the exit code. */
static int bound_problem(const char *dir, const char *algo, tabrl_bound_problem *p)
{
  char path[4200], section[300];
  tabrl_ini ini = {0};
  tabrl_setting settings[128];
  size_t n = 0;
  tabrl_mdp *m = NULL;
  const char *label = NULL, *bonus = NULL, *delta = NULL;
  int code = CLI_USAGE, status;

  snprintf(path, sizeof path, "%s/manifest.ini", dir);
  if ((status = tabrl_ini_read(path, &ini))) {
    cli_error("--bound %s: %s", algo, tabrl_error_message());
    return cli_status(status);
  }
  const char *env = tabrl_ini_get(&ini, "experiment", "env"),
             *episodes = tabrl_ini_get(&ini, "experiment", "episodes");
  for (size_t i = 0; i < ini.n && !label; i++) {
    const tabrl_ini_item *it = &ini.items[i];
    if (it->key && !strncmp(it->section, "algo ", 5) && !strcmp(it->key, "type") &&
        !strcmp(it->value, algo))
      label = it->section + 5;
  }
  if (!env || !episodes) {
    cli_error("%s: no [experiment] env or episodes", path);
    goto done;
  }
  if (!label) {
    cli_error("--bound %s: %s has no algorithm of type %s", algo, path, algo);
    goto done;
  }
  snprintf(section, sizeof section, "algo %s", label);
  delta = tabrl_ini_get(&ini, section, "delta");
  bonus = tabrl_ini_get(&ini, section, "bonus");
  for (size_t i = 0; i < ini.n; i++) {
    const tabrl_ini_item *it = &ini.items[i];
    if (!it->key || !*it->value || *it->value == '(') continue;
    if (!strncmp(it->section, "config ", 7) && !strncmp(it->key, "env.", 4)) {
      cli_error("--bound %s: %s: [%s] %s changes the env between configs; a bound needs one "
                "problem",
                algo, path, it->section, it->key);
      goto done;
    }
    if (strcmp(it->section, "env")) continue;
    if (n == sizeof settings / sizeof *settings) {
      cli_error("%s: too many env settings", path);
      goto done;
    }
    settings[n++] = (tabrl_setting){it->key, it->value, "manifest.ini", 0};
  }
  if ((status = tabrl_env_build(env, settings, n, &m))) {
    cli_error("--bound %s: %s (the env of %s)", algo, tabrl_error_message(), path);
    code = status == TABRL_ENOMEM ? CLI_FAIL : CLI_USAGE;
    goto done;
  }
  if (m->horizon <= 0) {
    cli_error("--bound %s: %s's env %s is discounted; the bound is for episodes of a horizon H",
              algo, path, env);
    goto done;
  }
  char *end;
  *p = (tabrl_bound_problem){m->S, m->A, m->horizon, strtod(episodes, &end),
                             delta ? strtod(delta, NULL) : 0.1};
  if (bonus && !strcmp(algo, "ucbvi") && strcmp(bonus, "hoeffding"))
    printf("note: %s has bonus = %s; Theorem 1 bounds UCBVI-CH (bonus = hoeffding), "
           "the bound drawn\n",
           label, bonus);
  code = CLI_OK;
done:
  tabrl_mdp_free(m);
  tabrl_ini_free(&ini);
  return code;
}

int cli_plot(int argc, char **argv)
{
  tabrl_plot_options plot = {0};
  tabrl_bound_problem problem;
  char *image = NULL, *script = NULL;
  const char *fit = NULL;
  int opt, status;

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_plot_options)) != -1) {
    switch (opt) {
    case OPT_FIT:
      fit = optarg;
      break;
    case OPT_BOUND:
      plot.bound_algo = optarg;
      break;
    case OPT_METRIC:
      plot.metric = optarg;
      break;
    case 'o':
      plot.output = optarg;
      break;
    case OPT_TERM:
      plot.terminal = optarg;
      break;
    case OPT_LOGX:
      plot.logx = 1;
      break;
    case OPT_LOGY:
      plot.logy = 1;
      break;
    case OPT_X:
      plot.x_key = optarg;
      break;
    default:
      return cli_usage("plot", CLI_USAGE);
    }
  }
  if (optind != argc - 1) return cli_usage("plot", CLI_USAGE);
  /* Check the options first so that the message names the flag. */
  if (plot.metric && strcmp(plot.metric, "cum_regret") && strcmp(plot.metric, "value") &&
      strcmp(plot.metric, "w1") && strcmp(plot.metric, "cramer") &&
      strcmp(plot.metric, "value_err") && strcmp(plot.metric, "queries") &&
      strcmp(plot.metric, "kl") && strcmp(plot.metric, "cost") &&
      strcmp(plot.metric, "violation")) {
    cli_error("--metric %s: expected cum_regret, value, w1, cramer, value_err, queries, kl, cost "
              "or violation",
              plot.metric);
    return CLI_USAGE;
  }
  if (plot.terminal && strcmp(plot.terminal, "dumb")) {
    cli_error("--term %s: expected dumb (image types follow from -o's extension: .png, .svg, "
              ".pdf)",
              plot.terminal);
    return CLI_USAGE;
  }
  if (plot.output && tabrl_output_path_check("-o", plot.output, TABRL_OUTPUT_FILE)) {
    cli_error("%s", tabrl_error_message());
    return CLI_USAGE;
  }
  if (fit && !(plot.fit = tabrl_fit_shape_parse(fit))) {
    cli_error("--fit %s: expected sqrt, linear or log", fit);
    return CLI_USAGE;
  }
  plot.on_fit = print_fit;
  if ((fit || plot.bound_algo) && plot.x_key) {
    cli_error("--%s draws on curves against the episode, not with --x", fit ? "fit" : "bound");
    return CLI_USAGE;
  }
  if (plot.bound_algo) {
    /* Whether the type has a bound, before reading anything. */
    const tabrl_bound_problem probe = {1, 1, 1, 1, 0.5};
    double value;
    const char *title;
    status = tabrl_regret_bound(plot.bound_algo, &probe, 1, &value, &title);
    if (status == TABRL_EUNSUPPORTED) {
      printf("%s\n", tabrl_error_message());
      plot.bound_algo = NULL;
    } else if (status) {
      cli_error("--bound %s", tabrl_error_message());
      return CLI_USAGE;
    } else {
      if ((status = bound_problem(argv[optind], plot.bound_algo, &problem))) return status;
      if (tabrl_regret_bound(plot.bound_algo, &problem, problem.episodes, &value, &title)) {
        cli_error("--bound %s: %s", plot.bound_algo, tabrl_error_message());
        return CLI_USAGE;
      }
      printf("bound %s S=%g A=%g H=%g delta=%.17g K=%.17g: %.17g (%s)\n", plot.bound_algo,
             problem.S, problem.A, problem.H, problem.delta, problem.episodes, value, title);
      plot.bound_problem = &problem;
    }
  }
  if ((status = tabrl_plot_paths(argv[optind], &plot, &image, &script))) {
    cli_error("%s", tabrl_error_message());
    return cli_status(status);
  }
  fflush(stdout); /* dumb text from gnuplot shares our standard output */
  if ((status = tabrl_plot(argv[optind], &plot))) {
    cli_error("%s", tabrl_error_message());
    status = plot_status(status);
  } else if (image)
    printf("wrote %s (script %s)\n", image, script);
  free(image);
  free(script);
  return status;
}
