/* The expected cost of a policy in a constrained MDP, by the reward oracle
 * on a copy of the model whose rewards are its costs (see tabrl/oracle.h):
 * every evaluation path (backward, sparse discounted, Q^pi, occupancy)
 * then serves the cost unchanged, so C(pi) is exactly as accurate as
 * V_r(pi) and a Lagrangian method evaluates r - lambda c as two solves. */
#include <stdlib.h>
#include "tabrl/error.h"
#include "tabrl/oracle.h"

tabrl_mdp *tabrl_oracle_cost_model(const tabrl_mdp *m)
{
  if (!m->cost) {
    tabrl_error(TABRL_EINVAL, "the model has no costs (a CSV column c, or the env's cost option)");
    return NULL;
  }
  tabrl_mdp *c = tabrl_mdp_clone(m);
  if (!c) return NULL;
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  for (size_t b = 0; b < blocks; b++) {
    double mean = 0;
    for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
      c->reward[k] = m->cost[k];
      mean += m->prob[k] * m->cost[k];
    }
    c->mean_reward[b] = mean;
  }
  /* Reward noise and vector rewards describe the reward, not the cost. */
  c->noise.kind = TABRL_NOISE_NONE;
  return c;
}

int tabrl_oracle_cost_value(const tabrl_mdp *cost_model, const tabrl_policy *pi, double *V,
                            double *cost)
{
  int status = tabrl_oracle_evaluate(cost_model, pi, V);
  if (!status) *cost = tabrl_oracle_start_value(cost_model, V);
  return status;
}
