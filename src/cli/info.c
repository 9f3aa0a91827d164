/* tabrl list / tabrl describe: generated from the registries. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
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

static const char *param_default(const tabrl_param *p)
{
  return !p->def ? "(required)" : p->def[0] ? p->def : "(unset)";
}

static int widest(int width, const char *text)
{
  int n = (int)strlen(text);
  return n > width ? n : width;
}

/* One line per parameter, each column as wide as its longest entry. */
static void print_params(const tabrl_param *params)
{
  int name = 0, kind = 0, def = 0, range = 0;
  if (!params || !params->name) {
    printf("parameters: none\n");
    return;
  }
  for (const tabrl_param *p = params; p->name; p++) {
    name = widest(name, p->name);
    kind = widest(kind, tabrl_param_kind_name(p->kind));
    def = widest(def, param_default(p));
    range = widest(range, p->range ? p->range : "");
  }
  printf("parameters (set with --set key=value, or key = value in an experiment file):\n");
  for (const tabrl_param *p = params; p->name; p++)
    printf("  %-*s  %-*s  default %-*s  %-*s  %s\n", name, p->name, kind,
           tabrl_param_kind_name(p->kind), def, param_default(p), range, p->range ? p->range : "",
           p->doc);
}

/* The shipped experiments: experiments/ beside the program's build or
 * install directory (build/tabrl, bin/tabrl) or in the current directory.
 * NULL when there is none (an installed program away from the sources). */
static int experiments_dir(char *dir, size_t size)
{
  char exe[PATH_MAX];
  struct stat st;
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *candidates[4] = {NULL, NULL, NULL, "experiments"};
  char up[PATH_MAX + 32], here[PATH_MAX + 32], share[PATH_MAX + 48];
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(up, sizeof up, "%s/../experiments", exe);
    snprintf(here, sizeof here, "%s/experiments", exe);
    snprintf(share, sizeof share, "%s/../share/tabrl/experiments", exe);
    candidates[0] = up;
    candidates[1] = here;
    candidates[2] = share;
  }
  for (int i = 0; i < 4; i++)
    if (candidates[i] && !stat(candidates[i], &st) && S_ISDIR(st.st_mode)) {
      snprintf(dir, size, "%s", candidates[i]);
      return 1;
    }
  return 0;
}

/* The type of [algo LABEL] in path, into type; 0 if the file has no such
 * section or it gives no type. */
static int label_type(const char *path, const char *label, char *type, size_t size)
{
  FILE *f = fopen(path, "r");
  char line[1024], header[300];
  int inside = 0;
  if (!f) return 0;
  snprintf(header, sizeof header, "[algo %s]", label);
  while (fgets(line, sizeof line, f)) {
    char *p = line, *end;
    while (isspace((unsigned char)*p)) p++;
    for (end = p + strlen(p); end > p && isspace((unsigned char)end[-1]);) *--end = '\0';
    if (*p == '[') {
      inside = !strcmp(p, header);
      continue;
    }
    if (!inside || strncmp(p, "type", 4)) continue;
    p += 4;
    while (isspace((unsigned char)*p)) p++;
    if (*p != '=') continue;
    p++;
    while (isspace((unsigned char)*p)) p++;
    snprintf(type, size, "%.*s", (int)strcspn(p, " \t;#"), p);
    fclose(f);
    return *type != '\0';
  }
  fclose(f);
  return 0;
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Looks for name as an [algo LABEL] of a shipped experiment: the file
 * (shown as experiments/FILE) and its type, 0 if none. */
static int find_label(const char *name, char *file, size_t file_size, char *type, size_t size)
{
  char dir[PATH_MAX], path[PATH_MAX + 300];
  char *names[256];
  size_t n = 0;
  int found = 0;
  if (!experiments_dir(dir, sizeof dir)) return 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *x;
  while ((x = readdir(d)) && n < 256) {
    size_t len = strlen(x->d_name);
    if (len > 4 && !strcmp(x->d_name + len - 4, ".ini") && (names[n] = strdup(x->d_name))) n++;
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n && !found; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (label_type(path, name, type, size)) {
      snprintf(file, file_size, "experiments/%s", names[i]);
      found = 1;
    }
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  return found;
}

int cli_describe(int argc, char **argv)
{
  const char *path;
  const tabrl_env_type *env;
  char file[PATH_MAX], type[128];
  if (argc != 2) return cli_usage("describe", CLI_USAGE);
  const tabrl_algo_type *algo = tabrl_algo_find(argv[1]);
  if (!algo && !tabrl_objective_find(argv[1]) && !tabrl_env_find(argv[1], &path) &&
      find_label(argv[1], file, sizeof file, type, sizeof type) && (algo = tabrl_algo_find(type)))
    printf("%s is a label in %s; its type is %s:\n\n", argv[1], file, type);
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
    print_params(objective->params);
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
