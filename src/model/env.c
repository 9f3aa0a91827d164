/* The environment registry and the shared horizon/gamma convention. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/env.h"
#include "tabrl/error.h"

extern const tabrl_env_type tabrl_env_bandit;
extern const tabrl_env_type tabrl_env_chain;
extern const tabrl_env_type tabrl_env_cliff_risk;
extern const tabrl_env_type tabrl_env_cliffwalking;
extern const tabrl_env_type tabrl_env_contextual_bandit;
extern const tabrl_env_type tabrl_env_deepsea;
extern const tabrl_env_type tabrl_env_file;
extern const tabrl_env_type tabrl_env_forest;
extern const tabrl_env_type tabrl_env_frozenlake;
extern const tabrl_env_type tabrl_env_garnet;
extern const tabrl_env_type tabrl_env_gridworld;
extern const tabrl_env_type tabrl_env_linear;
extern const tabrl_env_type tabrl_env_linear_mixture;
extern const tabrl_env_type tabrl_env_preference_bandit;
extern const tabrl_env_type tabrl_env_risk_scenario;
extern const tabrl_env_type tabrl_env_riverswim;
extern const tabrl_env_type tabrl_env_robust_ring;

/* Alphabetical: `tabrl list envs` prints them in this order. */
/* One type per line, so that adding one is a one-line change. */
// clang-format off
const tabrl_env_type *const tabrl_env_types[] = {
    &tabrl_env_bandit,
    &tabrl_env_chain,
    &tabrl_env_cliff_risk,
    &tabrl_env_cliffwalking,
    &tabrl_env_contextual_bandit,
    &tabrl_env_deepsea,
    &tabrl_env_file,
    &tabrl_env_forest,
    &tabrl_env_frozenlake,
    &tabrl_env_garnet,
    &tabrl_env_gridworld,
    &tabrl_env_linear,
    &tabrl_env_linear_mixture,
    &tabrl_env_preference_bandit,
    &tabrl_env_risk_scenario,
    &tabrl_env_riverswim,
    &tabrl_env_robust_ring,
    NULL,
};
// clang-format on

const tabrl_env_type *tabrl_env_find(const char *name, const char **path)
{
  const char *names[64];
  size_t n = 0;
  *path = NULL;
  if (!strncmp(name, "file:", 5)) {
    *path = name + 5;
    name = "file";
  }
  for (size_t i = 0; tabrl_env_types[i]; i++) {
    if (!strcmp(tabrl_env_types[i]->name, name)) return tabrl_env_types[i];
    if (n < 64) names[n++] = tabrl_env_types[i]->name;
  }
  const char *near = tabrl_closest(name, names, n);
  if (near)
    tabrl_error(TABRL_ENOTFOUND, "unknown environment '%s'; did you mean '%s'?", name, near);
  else
    tabrl_error(TABRL_ENOTFOUND, "unknown environment '%s' (tabrl list envs shows them)", name);
  return NULL;
}

int tabrl_env_build(const char *name, const tabrl_setting *settings, size_t n, tabrl_mdp **out)
{
  const char *path;
  const tabrl_env_type *type = tabrl_env_find(name, &path);
  tabrl_setting *all;
  tabrl_values *values;
  char owner[128];
  int status;

  *out = NULL;
  if (!type) return TABRL_ENOTFOUND;
  if (path && !*path) return tabrl_error(TABRL_EINVAL, "environment 'file:' needs a path");
  all = malloc((n + 1) * sizeof *all);
  if (!all) return tabrl_error(TABRL_ENOMEM, "out of memory");
  if (n) memcpy(all, settings, n * sizeof *all);
  if (path) all[n++] = (tabrl_setting){"path", path, NULL, 0};
  snprintf(owner, sizeof owner, "env %s", type->name);
  status = tabrl_values_resolve(type->params, owner, all, n, 1, &values);
  free(all);
  if (status) return status;
  status = type->build(values, out);
  tabrl_values_free(values);
  if (status) tabrl_error_prefix("%s", type->name);
  return status;
}

int tabrl_env_time(const tabrl_values *v, int *horizon, double *gamma)
{
  int set_h = tabrl_values_explicit(v, "horizon"), set_g = tabrl_values_explicit(v, "gamma");
  if (set_h && set_g)
    return tabrl_error(TABRL_EINVAL,
                       "set either horizon (episodic) or gamma (discounted), not both");
  if (set_g || (!set_h && !tabrl_values_has(v, "horizon"))) {
    if (!tabrl_values_has(v, "gamma"))
      return tabrl_error(TABRL_EINVAL, "needs a horizon or a discount factor gamma");
    *horizon = 0;
    *gamma = tabrl_values_double(v, "gamma");
  } else {
    *horizon = (int)tabrl_values_int(v, "horizon");
    *gamma = 1.0;
  }
  return 0;
}
