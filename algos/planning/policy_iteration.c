/* policy-iteration: Howard's policy iteration, one evaluation and one
 * improvement per iterate().
 *
 * Howard (1960); Puterman (1994), Section 6.4 (discounted) and 4.5
 * (finite horizon).  The policy starts deterministic at the first valid
 * action of every (h, s).  iterate() evaluates it exactly
 * (tabrl_oracle_evaluate: backward evaluation, or an LU solve of
 * (I - gamma P_pi) V = r_pi) and replaces each action by a greedy one,
 * switching only on a strict gain (relative 1e-12) exactly as
 * tabrl_oracle_pi does: ties then cannot make it cycle, each iteration
 * weakly improves the value at every state (policy improvement theorem,
 * Puterman Thm 6.4.2), and a round with no switch means the policy is
 * optimal, after which iterate() changes nothing.  policy() is the current
 * deterministic policy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"

static const tabrl_param policy_iteration_params[] = {
    {0},
};

typedef struct {
  const tabrl_mdp *model;
  tabrl_policy *pi;
  double *V;     /* tabrl_oracle_value_size */
  double *Q_row; /* A */
  int stable;    /* 1 once an improvement step switched nothing */
} policy_iteration_state;

static void policy_iteration_release(void *state)
{
  policy_iteration_state *st = state;
  tabrl_policy_free(st->pi);
  free(st->V);
  free(st->Q_row);
}

static int policy_iteration_init(void *state, const tabrl_problem *problem,
                                 const tabrl_values *params)
{
  policy_iteration_state *st = state;
  const tabrl_mdp *m = problem->model;
  (void)params;
  if (!m) return tabrl_error(TABRL_EINVAL, "policy-iteration needs the model (planning protocol)");
  st->model = m;
  if (!(st->pi = tabrl_policy_alloc_for(m))) return TABRL_ENOMEM;
  st->V = malloc(tabrl_oracle_value_size(m) * sizeof *st->V);
  st->Q_row = malloc((size_t)m->A * sizeof *st->Q_row);
  if (!st->V || !st->Q_row) return tabrl_error(TABRL_ENOMEM, "policy-iteration: out of memory");
  for (int h = 0; h < st->pi->stages; h++)
    for (int s = 0; s < m->S; s++) {
      int a = 0;
      while (!tabrl_mdp_valid(m, h, s, a)) a++; /* every (h, s) has a valid action */
      tabrl_policy_set_action(st->pi, h, s, a);
    }
  return 0;
}

static int policy_iteration_iterate(void *state, long iteration)
{
  policy_iteration_state *st = state;
  const tabrl_mdp *m = st->model;
  long changes = 0;
  int status;
  (void)iteration;
  if (st->stable) return 0;
  if ((status = tabrl_oracle_evaluate(m, st->pi, st->V))) return status;
  for (int h = 0; h < st->pi->stages; h++) {
    const double *next_V = m->horizon > 0 ? st->V + (size_t)(h + 1) * m->S : st->V;
    for (int s = 0; s < m->S; s++) {
      int old = tabrl_policy_argmax(st->pi, h, s), best = old;
      tabrl_oracle_backup(m, h, s, next_V, m->gamma, st->Q_row);
      for (int a = 0; a < m->A; a++)
        if (st->Q_row[a] > st->Q_row[best] + 1e-12 * (1 + fabs(st->Q_row[best]))) best = a;
      if (best != old) {
        tabrl_policy_set_action(st->pi, h, s, best);
        changes++;
      }
    }
  }
  st->stable = changes == 0;
  return 0;
}

static int policy_iteration_policy(void *state, tabrl_policy *pi)
{
  policy_iteration_state *st = state;
  const tabrl_policy *own = st->pi;
  if (pi->S != own->S || pi->A != own->A || pi->stages != own->stages)
    return tabrl_error(TABRL_EINVAL, "policy-iteration: policy must be %d x %d with %d stages",
                       own->S, own->A, own->stages);
  memcpy(pi->prob, own->prob,
         (size_t)own->stages * (size_t)own->S * (size_t)own->A * sizeof *pi->prob);
  return 0;
}

const tabrl_algo_type tabrl_algo_policy_iteration = {
    .name = "policy-iteration",
    .family = "baseline",
    .doc = "Howard's policy iteration: exact evaluation, then greedy improvement (keeps ties)",
    .source = "Howard 1960; Puterman 1994, Section 6.4 (Thm 6.4.2: monotone improvement)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = policy_iteration_params,
    .state_size = sizeof(policy_iteration_state),
    .init = policy_iteration_init,
    .release = policy_iteration_release,
    .policy = policy_iteration_policy,
    .iterate = policy_iteration_iterate,
};
