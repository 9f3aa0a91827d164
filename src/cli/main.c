/* tabrl: the command-line program.  One table drives dispatch, `tabrl help`
 * and each command's usage line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "tabrl/error.h"

#ifndef TABRL_VERSION
#define TABRL_VERSION "unknown"
#endif

static int cli_help(int argc, char **argv);

const cli_command cli_commands[] = {
    {"list", cli_list, "envs|algos|objectives",
     "the registered environment, algorithm or objective types, one line each", NULL},
    {"describe", cli_describe, "NAME",
     "an environment's, algorithm's or objective's parameters: type, default, range, doc; "
     "for a label of a shipped experiment, its type",
     NULL},
    {"solve", cli_solve, "ENV", "exact optimal values and policy", cli_solve_options},
    {"export", cli_export, "ENV -o FILE.csv",
     "write the model as CSV (FILE '-' is standard output)", cli_export_options},
    {"run", cli_run, "EXP.ini",
     "run an experiment: runs.csv, policies.csv, summary.csv, manifest.ini, figure",
     cli_run_options},
    {"eval", cli_eval, "ENV --policy FILE.csv",
     "exact value and regret of a policy (e.g. from policies.csv)", cli_eval_options},
    {"dist", cli_dist, "ENV --policy optimal|uniform|FILE.csv",
     "exact return distribution of a policy from mu0: atoms, mean, std, CVaR", cli_dist_options},
    {"summarize", cli_summarize, "DIR",
     "recompute DIR/summary.csv (mean, std, 95% t-interval over seeds)", NULL},
    {"merge", cli_merge, "DIR... --out DIR",
     "join shard directories into one (runs.csv, manifest.ini, summary.csv, figure)",
     cli_merge_options},
    {"plot", cli_plot, "DIR",
     "draw DIR/summary.csv with gnuplot (writes the figure and its script FILE.gp)",
     cli_plot_options},
    {"submit", cli_submit, "EXP.ini --tasks N",
     "run an experiment on Slurm: a job array of shards and a merge job", cli_submit_options},
    {"status", cli_slurm_status, "DIR", "progress of a tabrl submit: shards done, running, missing",
     NULL},
    {"bench", cli_bench, "", "simulator steps/s and VI sweep time against bare loops",
     cli_bench_options},
    {"help", cli_help, "[COMMAND]", "this list, or one command's usage and options", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

void cli_error(const char *fmt, ...)
{
  va_list ap;
  fputs("tabrl: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_status(int status)
{
  switch (status) {
  case TABRL_OK:
    return CLI_OK;
  case TABRL_EINVAL:
  case TABRL_ENOTFOUND:
  case TABRL_EUNSUPPORTED:
    return CLI_USAGE;
  default:
    return CLI_FAIL;
  }
}

/* "-o, --output FILE" or "    --trace" */
static void option_form(const cli_option *o, char *text, size_t size)
{
  char letter[8] = "    ";
  if (o->key > 0 && o->key < 256) snprintf(letter, sizeof letter, "-%c, ", o->key);
  snprintf(text, size, "%s--%s%s%s", letter, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

int cli_usage(const char *command, int code)
{
  FILE *out = code ? stderr : stdout;
  for (const cli_command *c = cli_commands; c->name; c++) {
    if (strcmp(c->name, command)) continue;
    fprintf(out, "usage: tabrl %s%s%s%s\n  %s\n", c->name, *c->synopsis ? " " : "", c->synopsis,
            c->options ? " [OPTION]..." : "", c->help);
    if (code || !c->options) return code;
    size_t width = 0;
    char form[128];
    for (const cli_option *o = c->options; o->name; o++) {
      option_form(o, form, sizeof form);
      if (strlen(form) > width) width = strlen(form);
    }
    fprintf(out, "options:\n");
    for (const cli_option *o = c->options; o->name; o++) {
      option_form(o, form, sizeof form);
      fprintf(out, "  %-*s  %s\n", (int)width, form, o->help);
    }
    fprintf(out, "  %-*s  %s\n", (int)width, "-h, --help", "this text");
    return code;
  }
  return code;
}

int cli_getopt(int argc, char **argv, const cli_option *options)
{
  /* Rebuilt on every call: a few dozen entries, parsed once per run. */
  struct option longs[64];
  char shorts[192];
  size_t n = 0, k = 0;
  shorts[k++] = ':'; /* a missing argument returns ':', reported below */
  for (const cli_option *o = options; o->name && n < 63; o++, n++) {
    longs[n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
    if (o->key > 0 && o->key < 256 && k + 3 < sizeof shorts) {
      shorts[k++] = (char)o->key;
      if (o->arg) shorts[k++] = ':';
    }
  }
  longs[n] = (struct option){NULL, 0, NULL, 0};
  shorts[k] = '\0';
  int key = getopt_long(argc, argv, shorts, longs, NULL);
  if (key == ':') {
    cli_error("option %s needs an argument", argv[optind - 1]);
    return '?';
  }
  if (key == '?') cli_error("unknown option '%s'", argv[optind - 1]);
  return key;
}

static int cli_help(int argc, char **argv)
{
  if (argc > 1) {
    for (const cli_command *c = cli_commands; c->name; c++)
      if (!strcmp(c->name, argv[1])) return cli_usage(argv[1], CLI_OK);
    cli_error("unknown command '%s' (tabrl help lists them)", argv[1]);
    return CLI_USAGE;
  }
  printf("tabrl %s: reinforcement-learning theory on tabular and linear MDPs\n\n"
         "usage: tabrl COMMAND [ARGS]   (tabrl COMMAND --help for details)\n\n",
         TABRL_VERSION);
  for (const cli_command *c = cli_commands; c->name; c++) printf("  %-10s %s\n", c->name, c->help);
  printf("\n  tabrl help COMMAND lists a command's options\n");
  printf("\n  --version  print the version\n");
  return CLI_OK;
}

int main(int argc, char **argv)
{
  const char *names[32];
  size_t n = 0;
  tabrl_init();
  if (argc < 2) {
    cli_help(1, argv);
    return CLI_USAGE;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
    printf("tabrl %s\n", TABRL_VERSION);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return cli_help(1, argv);
  for (const cli_command *c = cli_commands; c->name; c++) {
    if (!strcmp(c->name, argv[1])) {
      for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return cli_usage(c->name, CLI_OK);
      return c->run(argc - 1, argv + 1);
    }
    names[n++] = c->name;
  }
  const char *near = tabrl_closest(argv[1], names, n);
  if (near)
    cli_error("unknown command '%s'; did you mean '%s'?", argv[1], near);
  else
    cli_error("unknown command '%s' (tabrl help lists them)", argv[1]);
  return CLI_USAGE;
}
