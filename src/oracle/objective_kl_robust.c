/* The KL-regularised robust MDP (Zhang, Hu and Li 2023, "Regularized Robust MDPs and
 * Risk-Sensitive MDPs: Equivalence, Policy Gradient, and Sample Complexity"): an adversary
 * moves P(.|s,a) to q at the price KL(q || P)/beta, so
 *   V(s) = max_a { r(s,a) + gamma min_q [q.V + KL(q || P(.|s,a))/beta] }
 *        = max_a { r(s,a) - (gamma/beta) log E_P exp(-beta V(s')) },
 * a stochastic policy's action draw outside: V(s) = sum_a pi(a|s) Q(s,a)
 * (the (s,a)-rectangular adversary), J = sum_s mu0(s) V(s).  Rewards that
 * depend on s' too: the adversary moves the joint law of (s', r) at the
 * price (gamma/beta) KL, i.e. Q(s,a) = rbar + gamma ERM_-beta[V(s') +
 * (r - rbar)/gamma] with rbar = E r, which is the formula above when r
 * depends on (s, a) only; gamma = 0 (no future to price) leaves the
 * worst reward, the limit gamma -> 0.  Episodic models: gamma = 1 per
 * stage.  Since ERM_b(X + c) = ERM_b(X) + c, Q(s,a) = ERM_-beta/gamma[r +
 * gamma V(s')]: the optimum's V and policy equal entropic:b at b =
 * -beta/gamma. */
#include <math.h>
#include "oracle/nested.h"

static double kl_q(const tabrl_objective *o, const tabrl_mdp *m, size_t block, const double *Vn,
                   const tabrl_nested_fast *fast)
{
  double gamma = m->horizon > 0 ? 1.0 : m->gamma, rbar = m->mean_reward[block];
  if (gamma == 0) {
    double worst = INFINITY;
    for (size_t e = m->row[block]; e < m->row[block + 1]; e++) worst = fmin(worst, m->reward[e]);
    return worst;
  }
  return rbar + gamma * tabrl_nested_erm_block(-o->param, m, block, Vn, 1 / gamma, -rbar / gamma,
                                               1.0, fast);
}

static double kl_mix(const tabrl_objective *o, int A, const double *w, const double *Q)
{
  double v = 0;
  (void)o;
  for (int a = 0; a < A; a++)
    if (w[a] > 0) v += w[a] * Q[a];
  return v;
}

/* Q = rbar + gamma (-rbar / gamma + L / b) = gamma L / b in the factored
 * form's terms (kappa = gamma); gamma = 0 takes the worst reward, not a
 * certainty equivalent (b = 0: no factored form). */
static void kl_factors(const tabrl_objective *o, const tabrl_mdp *m, double *b, double *cr,
                       double *cv, double *kappa)
{
  double gamma = m->horizon > 0 ? 1.0 : m->gamma;
  *b = gamma > 0 ? -o->param : 0, *cr = gamma > 0 ? 1 / gamma : 0, *cv = 1, *kappa = gamma;
}

static const tabrl_nested_ops kl_ops = {kl_q, kl_mix, kl_factors};

static int kl_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V, tabrl_policy *pi,
                      double *J)
{
  int status = tabrl_nested_solve(&kl_ops, o, m, NULL, pi, V);
  if (!status) *J = tabrl_oracle_start_value(m, V);
  return status;
}

static int kl_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi, double *V,
                    double *J)
{
  int status = tabrl_nested_solve(&kl_ops, o, m, pi, NULL, V);
  if (!status) *J = tabrl_oracle_start_value(m, V);
  return status;
}

static void *kl_work_alloc(const tabrl_objective *o, const tabrl_mdp *m)
{
  return tabrl_nested_work_alloc(&kl_ops, o, m);
}

static int kl_work_value(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                         const tabrl_policy *pi, unsigned flags, double *V, double *J)
{
  int status = tabrl_nested_solve_ws(&kl_ops, o, m, pi, NULL, flags, work, V);
  if (!status) *J = tabrl_oracle_start_value(m, V);
  return status;
}

static int kl_work_value_actions(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                                 const int *action, double *V, double *J)
{
  int status = tabrl_nested_solve_actions(&kl_ops, o, m, action, work, V);
  if (!status) *J = tabrl_oracle_start_value(m, V);
  return status;
}

static const tabrl_param kl_params[] = {
    {"beta", TABRL_DOUBLE, NULL, "(0,inf)",
     "inverse price of the adversary's KL divergence (larger beta: more robust)"},
    {0}};

const tabrl_objective_type tabrl_objective_kl_robust = {
    .name = "kl-robust",
    .doc = "KL-regularised robust value V(s) = max_a { r - (gamma/beta) log E_P exp(-beta V(s')) "
           "}; for rewards of (s, a) only its optimum is entropic:b at b = -beta/gamma",
    .source = "Zhang, Hu and Li 2023, Regularized Robust MDPs and Risk-Sensitive MDPs: "
              "Equivalence, Policy Gradient, and Sample Complexity (KL regulariser)",
    .params = kl_params,
    .augmented = 0,
    .optimum = kl_optimum,
    .value = kl_value,
    .work_alloc = kl_work_alloc,
    .work_reset = tabrl_nested_work_reset,
    .work_value = kl_work_value,
    .work_free = tabrl_nested_work_free,
    .work_value_actions = kl_work_value_actions,
};
