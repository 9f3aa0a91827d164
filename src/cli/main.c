/* tabrl: the command-line program.  One table drives dispatch, `tabrl help`
 * and each command's usage line. */
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
     "the registered environment, algorithm or objective types, one line each"},
    {"describe", cli_describe, "NAME",
     "an environment's, algorithm's or objective's parameters: type, default, range, doc"},
    {"solve", cli_solve,
     "ENV [--set key=value]... [--horizon H | --gamma G] [--method backward|vi|pi] "
     "[--eps E] [--format table|csv|map] [--trace] [--objective O]",
     "exact optimal values and policy"},
    {"export", cli_export, "ENV [--set key=value]... [--horizon H | --gamma G] -o FILE.csv",
     "write the model as CSV (FILE '-' is standard output)"},
    {"run", cli_run,
     "EXP.ini [--set section.key=value]... [-j N] [--shard i/n] [--resume] [--keep-runs] "
     "[--out DIR] [--quiet]",
     "run an experiment: runs.csv, policies.csv, summary.csv, manifest.ini, figure"},
    {"eval", cli_eval,
     "ENV --policy FILE.csv [--select algo=A,config=C,seed=S] [--set key=value]... "
     "[--horizon H | --gamma G] [--objective O]",
     "exact value and regret of a policy (e.g. from policies.csv)"},
    {"summarize", cli_summarize, "DIR",
     "recompute DIR/summary.csv (mean, std, 95% t-interval over seeds)"},
    {"merge", cli_merge, "DIR... --out DIR",
     "join shard directories into one (runs.csv, manifest.ini, summary.csv, figure)"},
    {"plot", cli_plot,
     "DIR [--metric cum_regret|value] [-o FILE.png|svg|pdf] [--term dumb] [--logx] [--logy] "
     "[--x KEY]",
     "draw DIR/summary.csv with gnuplot (writes the figure and its script FILE.gp)"},
    {"submit", cli_submit,
     "EXP.ini --tasks N [--set section.key=value]... [--out DIR] [--partition P] [--time T] "
     "[--account A] [--qos Q] [--mem M] [--cpus-per-task C] [--sbatch-arg ARG]... [--dry-run]",
     "run an experiment on Slurm: a job array of shards and a merge job"},
    {"status", cli_slurm_status, "DIR",
     "progress of a tabrl submit: shards done, running, missing"},
    {"bench", cli_bench, "[--quick]", "simulator steps/s and VI sweep time against bare loops"},
    {"help", cli_help, "[COMMAND]", "this list, or one command's usage"},
    {NULL, NULL, NULL, NULL},
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

int cli_usage(const char *command, int code)
{
  FILE *out = code ? stderr : stdout;
  for (const cli_command *c = cli_commands; c->name; c++)
    if (!strcmp(c->name, command)) {
      fprintf(out, "usage: tabrl %s %s\n  %s\n", c->name, c->synopsis, c->help);
      return code;
    }
  return code;
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
