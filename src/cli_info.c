/* tabrl list / tabrl describe: generated from the registries. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "tabrl/env.h"
#include "tabrl/error.h"

int cli_list(int argc, char **argv)
{
  if (argc != 2) return cli_usage("list", CLI_USAGE);
  if (!strcmp(argv[1], "envs")) {
    for (size_t i = 0; tabrl_env_types[i]; i++)
      printf("%-18s %s\n", tabrl_env_types[i]->name, tabrl_env_types[i]->doc);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "algos")) {
    cli_error("no algorithm types are registered yet: the experiment runner adds them");
    return CLI_FAIL;
  }
  cli_error("list what? '%s' is neither 'envs' nor 'algos'", argv[1]);
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
  env = tabrl_env_find(argv[1], &path);
  if (!env) {
    cli_error("%s", tabrl_error_message());
    return CLI_USAGE;
  }
  printf("%s (environment): %s\nsource: %s\n", env->name, env->doc, env->source);
  print_params(env->params);
  return CLI_OK;
}
