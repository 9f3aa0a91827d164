/* The entropic risk ERM_b(G) = (1/b) log E exp(b G) (Howard and Matheson
 * 1972, "Risk-sensitive Markov decision processes"; b < 0 risk-averse).
 * Episodic: the entropic risk of the return, whose optimum is Markov and
 * comes from backward induction on V_h(s) = max_a ERM_b[r + V_h+1(s')]
 * (Bauerle and Rieder 2014, "More risk-sensitive Markov decision processes"); J =
 * ERM_b over s0 ~ mu0 of V_0(s0).  A stochastic policy's action draw sits
 * inside the risk: V_h(s) = (1/b) log sum_a pi(a|h,s) exp(b Q_h(s,a)).
 * Discounted: the nested, time-consistent V(s) = max_a ERM_b[r + gamma
 * V(s')] (Ruszczynski 2010, "Risk-averse dynamic programming for Markov
 * decision processes"), by value iteration to the tolerance of
 * oracle/nested.h, and a policy's value by the same recursion iterated.
 * Everything is in log space (oracle/nested.h).  |b| < 1e-8 is the mean,
 * solved by the mean's oracle: the entropic risk differs from the mean by
 * at most |b| R^2/8 for returns in a range of width R (Hoeffding's lemma). */
#include <math.h>
#include "oracle/nested.h"

static int entropic_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                            tabrl_policy *pi, double *J)
{
  if (fabs(o->param) < TABRL_NESTED_MEAN_B) return tabrl_objective_mean.optimum(o, m, V, pi, J);
  int status = tabrl_nested_solve(tabrl_nested_entropic(), o, m, NULL, pi, V);
  if (!status) *J = tabrl_nested_erm(o->param, (size_t)m->S, m->mu0, V);
  return status;
}

static int entropic_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                          double *V, double *J)
{
  if (fabs(o->param) < TABRL_NESTED_MEAN_B) return tabrl_objective_mean.value(o, m, pi, V, J);
  int status = tabrl_nested_solve(tabrl_nested_entropic(), o, m, pi, NULL, V);
  if (!status) *J = tabrl_nested_erm(o->param, (size_t)m->S, m->mu0, V);
  return status;
}

static void *entropic_work_alloc(const tabrl_objective *o, const tabrl_mdp *m)
{
  return tabrl_nested_work_alloc(tabrl_nested_entropic(), o, m);
}

static int entropic_work_value(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                               const tabrl_policy *pi, unsigned flags, double *V, double *J)
{
  if (fabs(o->param) < TABRL_NESTED_MEAN_B) return tabrl_objective_mean.value(o, m, pi, V, J);
  int status = tabrl_nested_solve_ws(tabrl_nested_entropic(), o, m, pi, NULL, flags, work, V);
  if (!status) *J = tabrl_nested_erm(o->param, (size_t)m->S, m->mu0, V);
  return status;
}

/* |b| < 1e-8: the mean's evaluation of the actions, which has the bits of
 * its one-hot table (tabrl_oracle_evaluate_actions). */
static int entropic_work_value_actions(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                                       const int *action, double *V, double *J)
{
  int status;
  if (fabs(o->param) < TABRL_NESTED_MEAN_B) {
    if (!(status = tabrl_oracle_evaluate_actions(m, action, TABRL_ORACLE_UNCHECKED, V)))
      *J = tabrl_oracle_start_value(m, V);
    return status;
  }
  if (!(status = tabrl_nested_solve_actions(tabrl_nested_entropic(), o, m, action, work, V)))
    *J = tabrl_nested_erm(o->param, (size_t)m->S, m->mu0, V);
  return status;
}

static const tabrl_param entropic_params[] = {
    {"b", TABRL_DOUBLE, NULL, "(-inf,inf)",
     "risk parameter: b < 0 risk-averse, b > 0 risk-seeking, |b| < 1e-8 the mean"},
    {0}};

const tabrl_objective_type tabrl_objective_entropic = {
    .name = "entropic",
    .doc = "entropic risk ERM_b(G) = (1/b) log E exp(b G); discounted: nested V(s) = max_a "
           "ERM_b[r + gamma V(s')]",
    .source = "Howard and Matheson 1972, Risk-sensitive Markov decision processes; Bauerle and "
              "Rieder 2014, More risk-sensitive Markov decision processes (episodic); "
              "Ruszczynski 2010, Risk-averse dynamic programming for Markov decision processes "
              "(nested, discounted)",
    .params = entropic_params,
    .augmented = 0,
    .optimum = entropic_optimum,
    .value = entropic_value,
    .work_alloc = entropic_work_alloc,
    .work_reset = tabrl_nested_work_reset,
    .work_value = entropic_work_value,
    .work_free = tabrl_nested_work_free,
    .work_value_actions = entropic_work_value_actions,
};
