/* tabrl summarize / merge / plot: an output directory after its runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "model/fileio.h"
#include "tabrl/error.h"
#include "tabrl/results.h"

enum { OPT_METRIC = 256, OPT_TERM, OPT_LOGX, OPT_LOGY, OPT_X };

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

int cli_plot(int argc, char **argv)
{
  tabrl_plot_options plot = {0};
  char *image = NULL, *script = NULL;
  int opt, status;

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_plot_options)) != -1) {
    switch (opt) {
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
