/* The algorithm registry and the generic algorithm object; see
 * tabrl/algo.h.  The pattern is GSL's gsl_rng_alloc(T): the type knows the
 * size of its private state, the object owns one zeroed block of that size
 * and dispatches through the type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_algo_type tabrl_algo_greedy_q;
extern const tabrl_algo_type tabrl_algo_lsvi_ucb;
extern const tabrl_algo_type tabrl_algo_mvp;
extern const tabrl_algo_type tabrl_algo_optql;
extern const tabrl_algo_type tabrl_algo_pevi;
extern const tabrl_algo_type tabrl_algo_plug_in;
extern const tabrl_algo_type tabrl_algo_policy_iteration;
extern const tabrl_algo_type tabrl_algo_psrl;
extern const tabrl_algo_type tabrl_algo_random;
extern const tabrl_algo_type tabrl_algo_random_duel;
extern const tabrl_algo_type tabrl_algo_rlsvi;
extern const tabrl_algo_type tabrl_algo_ucbvi;
extern const tabrl_algo_type tabrl_algo_ucrl_vtr;
extern const tabrl_algo_type tabrl_algo_ucrl2;
extern const tabrl_algo_type tabrl_algo_value_iteration;

/* Alphabetical by name: `tabrl list algos` prints them in this order. */
const tabrl_algo_type *const tabrl_algo_types[] = {
    &tabrl_algo_greedy_q,
    &tabrl_algo_lsvi_ucb,
    &tabrl_algo_mvp,
    &tabrl_algo_optql,
    &tabrl_algo_pevi,
    &tabrl_algo_plug_in,
    &tabrl_algo_policy_iteration,
    &tabrl_algo_psrl,
    &tabrl_algo_random,
    &tabrl_algo_random_duel,
    &tabrl_algo_rlsvi,
    &tabrl_algo_ucbvi,
    &tabrl_algo_ucrl_vtr,
    &tabrl_algo_ucrl2,
    &tabrl_algo_value_iteration,
    NULL,
};

const char *tabrl_protocol_name(tabrl_protocol p)
{
  switch (p) {
  case TABRL_ONLINE:
    return "online";
  case TABRL_ONLINE_PREFERENCE:
    return "online-preference";
  case TABRL_OFFLINE:
    return "offline";
  case TABRL_PLANNING:
    return "planning";
  }
  return "unknown";
}

const tabrl_algo_type *tabrl_algo_find(const char *name)
{
  const char *names[128];
  size_t n = 0;
  for (size_t i = 0; tabrl_algo_types[i]; i++) {
    if (!strcmp(tabrl_algo_types[i]->name, name)) return tabrl_algo_types[i];
    if (n < sizeof names / sizeof names[0]) names[n++] = tabrl_algo_types[i]->name;
  }
  const char *near = tabrl_closest(name, names, n);
  if (near)
    tabrl_error(TABRL_ENOTFOUND, "unknown algorithm '%s'; did you mean '%s'?", name, near);
  else
    tabrl_error(TABRL_ENOTFOUND, "unknown algorithm '%s' (tabrl list algos shows them)", name);
  return NULL;
}

tabrl_algo *tabrl_algo_alloc(const tabrl_algo_type *type, const tabrl_problem *problem,
                             const tabrl_values *params)
{
  tabrl_algo *algo;
  tabrl_values *defaults = NULL;
  int status;

  if (!type || !problem) {
    tabrl_error(TABRL_EINVAL, "tabrl_algo_alloc needs a type and a problem");
    return NULL;
  }
  if (problem->S < 1 || problem->A < 1 || problem->horizon < 0) {
    tabrl_error(TABRL_EINVAL, "algorithm %s: bad problem sizes (S = %d, A = %d, H = %d)",
                type->name, problem->S, problem->A, problem->horizon);
    return NULL;
  }
  /* NULL params means every parameter at its default (tests, benches). */
  if (!params) {
    char owner[128];
    snprintf(owner, sizeof owner, "algo %s", type->name);
    if (tabrl_values_resolve(type->params, owner, NULL, 0, 0, &defaults)) return NULL;
    params = defaults;
  }
  algo = malloc(sizeof *algo);
  if (algo) algo->state = calloc(1, type->state_size ? type->state_size : 1);
  if (!algo || !algo->state) {
    free(algo);
    tabrl_values_free(defaults);
    tabrl_error(TABRL_ENOMEM, "out of memory for algorithm %s", type->name);
    return NULL;
  }
  algo->type = type;
  status = type->init(algo->state, problem, params);
  tabrl_values_free(defaults);
  if (status) {
    /* The state started zeroed, so release frees exactly what init got to
     * allocate before it failed; the message init set is kept. */
    if (type->release) type->release(algo->state);
    free(algo->state);
    free(algo);
    return NULL;
  }
  return algo;
}

void tabrl_algo_free(tabrl_algo *algo)
{
  if (!algo) return;
  if (algo->type->release) algo->type->release(algo->state);
  free(algo->state);
  free(algo);
}
