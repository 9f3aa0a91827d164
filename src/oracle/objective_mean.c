/* The risk-neutral objective J(pi) = E_pi[G] = sum_s mu0(s) V^pi_0(s), G the
 * (discounted) sum of rewards.  Its optimum is Markov: backward induction
 * for episodic models (Puterman 1994, section 4.5), Howard's policy
 * iteration with exact evaluation for discounted ones (Puterman 1994,
 * section 6.4), exact to the rounding of the LU solve. */
#include <stdlib.h>
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"

static int mean_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V, tabrl_policy *pi,
                        double *J)
{
  int status;
  (void)o;
  if (m->horizon > 0) {
    status = tabrl_oracle_backward(m, V, NULL, pi);
  } else {
    /* PI needs a policy to improve: a zeroed table starts it at the lowest
     * valid action of every state. */
    tabrl_policy *start = pi ? pi : tabrl_policy_alloc_for(m);
    if (!start) return TABRL_ENOMEM;
    status = tabrl_oracle_pi(m, 100000, start, V, NULL, NULL);
    if (start != pi) tabrl_policy_free(start);
  }
  if (!status) *J = tabrl_oracle_start_value(m, V);
  return status;
}

static int mean_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                      double *V, double *J)
{
  int status = tabrl_oracle_evaluate(m, pi, V);
  (void)o;
  if (!status) *J = tabrl_oracle_start_value(m, V);
  return status;
}

static const tabrl_param mean_params[] = {{0}};

const tabrl_objective_type tabrl_objective_mean = {
    .name = "mean",
    .doc = "expected return E[G] (risk-neutral)",
    .source = "Puterman 1994, Markov Decision Processes, sections 4.5 (finite horizon) and 6.4 "
              "(discounted, policy iteration)",
    .params = mean_params,
    .augmented = 0,
    .optimum = mean_optimum,
    .value = mean_value,
};
