/* Private header of the tabrl program: the subcommand table and helpers
 * shared by the subcommands.  Exit codes: 0 ok, 1 run-time failure, 2 usage
 * or input error. */
#ifndef TABRL_CLI_H
#define TABRL_CLI_H

#include <stddef.h>
#include <stdio.h>
#include "tabrl/mdp.h"
#include "tabrl/objective.h"
#include "tabrl/param.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One option of a command: the one table getopt_long parses and
 * `tabrl help CMD` prints, so the two cannot disagree. */
typedef struct {
  const char *name; /* long name, without "--" */
  int key;          /* short letter ('o' is -o), or a value >= 256 for a long-only option */
  const char *arg;  /* the argument's name in the help, NULL for a flag */
  const char *help; /* one line */
} cli_option;

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *synopsis;      /* positional arguments after the name */
  const char *help;          /* one line */
  const cli_option *options; /* ended by a NULL name; NULL for none */
} cli_command;

extern const cli_command cli_commands[];

/* Prints "tabrl: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* s as a JSON string (NULL: ""), also safe inside an HTML <script>: '<',
 * '>' and '&' as \u escapes, so no "</script>" can end the block. */
void cli_json_string(FILE *f, const char *s);

/* Exit code for a library status: input errors 2, the rest 1. */
int cli_status(int status);

/* Prints the synopsis and help of a command and returns exit code code;
 * with code 0 (asked for), also every option of its table. */
int cli_usage(const char *command, int code);

/* getopt_long over a command's option table: the next option's key, '?' for
 * an unknown one or a missing argument, -1 at the end.  Set optind = 0
 * before the first call. */
int cli_getopt(int argc, char **argv, const cli_option *options);

extern const cli_option cli_solve_options[], cli_export_options[], cli_run_options[],
    cli_eval_options[], cli_merge_options[], cli_plot_options[], cli_submit_options[],
    cli_bench_options[], cli_dist_options[];

/* --set key=value list collected from the command line; values point into
 * argv. */
typedef struct {
  tabrl_setting *items;
  size_t n, cap;
} cli_settings;

int cli_settings_add(cli_settings *s, const char *arg, const char *source);
void cli_settings_free(cli_settings *s);

/* Builds env name with settings, then applies --horizon / --gamma (given
 * as text, NULL if absent).  Prints the error and returns the exit code. */
int cli_build_env(const char *name, const cli_settings *settings, const char *horizon,
                  const char *gamma, tabrl_mdp **out);

/* Resolves an --objective argument into *out; prints the error and returns
 * the exit code. */
int cli_objective(const char *text, tabrl_objective *out);

/* Prints the last checkpoint of every (algo, config) of DIR/summary.csv,
 * with the log-log slope of the mean cumulative regret over the last decade
 * of checkpoints (1/2 for sqrt(K) regret, 1 for linear regret). */
void cli_print_summary(const char *dir);

int cli_list(int argc, char **argv);
int cli_describe(int argc, char **argv);
int cli_solve(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_summarize(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_dist(int argc, char **argv);
int cli_submit(int argc, char **argv);
int cli_slurm_status(int argc, char **argv);

#endif
