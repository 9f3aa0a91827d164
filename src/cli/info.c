/* tabrl list / tabrl describe: generated from the registries. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"

int cli_list(int argc, char **argv)
{
  if (argc != 2) return cli_usage("list", CLI_USAGE);
  if (!strcmp(argv[1], "envs")) {
    for (size_t i = 0; tabrl_env_types[i]; i++)
      printf("%-18s %s\n", tabrl_env_types[i]->name, tabrl_env_types[i]->doc);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "algos")) {
    for (size_t i = 0; tabrl_algo_types[i]; i++)
      printf("%-18s %-12s %-18s %s\n", tabrl_algo_types[i]->name, tabrl_algo_types[i]->family,
             tabrl_protocol_name(tabrl_algo_types[i]->protocol), tabrl_algo_types[i]->doc);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "objectives")) {
    for (size_t i = 0; tabrl_objective_types[i]; i++) {
      const tabrl_objective_type *t = tabrl_objective_types[i];
      char form[64];
      snprintf(form, sizeof form, "%s%s%s", t->name, t->params[0].name ? ":" : "",
               t->params[0].name ? t->params[0].name : "");
      printf("%-18s %s\n", form, t->doc);
    }
    return CLI_OK;
  }
  cli_error("list what? '%s' is not one of envs, algos, objectives", argv[1]);
  return CLI_USAGE;
}

static void print_params(const tabrl_param *p)
{
  printf("parameters (set with --set key=value, or key = value in an experiment file):\n");
  for (; p->name; p++) {
    const char *def = !p->def ? "(required)" : p->def[0] ? p->def : "(unset)";
    printf("  %-12s %-7s default %-10s %-14s %s\n", p->name, tabrl_param_kind_name(p->kind), def,
           p->range ? p->range : "", p->doc);
  }
}

int cli_describe(int argc, char **argv)
{
  const char *path;
  const tabrl_env_type *env;
  if (argc != 2) return cli_usage("describe", CLI_USAGE);
  const tabrl_algo_type *algo = tabrl_algo_find(argv[1]);
  if (algo) {
    printf("%s (algorithm, family %s, protocol %s): %s\nsource: %s\n", algo->name, algo->family,
           tabrl_protocol_name(algo->protocol), algo->doc, algo->source);
    print_params(algo->params);
    return CLI_OK;
  }
  const tabrl_objective_type *objective = tabrl_objective_find(argv[1]);
  if (objective) {
    printf("%s (objective): %s\nsource: %s\nwritten: %s%s%s in experiment files (objective = "
           "...) and after --objective\n",
           objective->name, objective->doc, objective->source, objective->name,
           objective->params[0].name ? ":" : "",
           objective->params[0].name ? objective->params[0].name : "");
    printf("optimal policy: %s\n", objective->augmented
                                       ? "needs an augmented state (history), not Markov"
                                       : "Markov (a function of stage and state)");
    if (objective->params[0].name) print_params(objective->params);
    return CLI_OK;
  }
  env = tabrl_env_find(argv[1], &path);
  if (!env) {
    /* Suggest from every registry. */
    const char *names[256];
    size_t n = 0;
    for (size_t i = 0; tabrl_env_types[i] && n < 256; i++) names[n++] = tabrl_env_types[i]->name;
    for (size_t i = 0; tabrl_algo_types[i] && n < 256; i++) names[n++] = tabrl_algo_types[i]->name;
    for (size_t i = 0; tabrl_objective_types[i] && n < 256; i++)
      names[n++] = tabrl_objective_types[i]->name;
    const char *near = tabrl_closest(argv[1], names, n);
    if (near)
      cli_error("unknown environment, algorithm or objective '%s'; did you mean '%s'?", argv[1],
                near);
    else
      cli_error("unknown environment, algorithm or objective '%s' (tabrl list envs, tabrl list "
                "algos, tabrl list objectives)",
                argv[1]);
    return CLI_USAGE;
  }
  printf("%s (environment): %s\nsource: %s\n", env->name, env->doc, env->source);
  print_params(env->params);
  return CLI_OK;
}
