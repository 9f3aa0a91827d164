/* pg: exact softmax policy gradient ascent, one step per iterate().
 *
 * Agarwal, Kakade, Lee, Mahajan (2021), "On the Theory of Policy Gradient
 * Methods: Optimality, Approximation, and Distribution Shift", JMLR 22(98),
 * softmax parametrisation pi_theta(a|s) = exp(theta_sa) / sum_a'
 * exp(theta_sa') and its exact gradient
 *   dV^pi(mu) / dtheta_sa = d^pi_mu(s) pi(a|s) A^pi(s,a) / (1 - gamma),
 * d^pi_mu the normalised discounted state visitation from mu = mu0, with the
 * update theta <- theta + eta grad (their softmax PG; they show
 * convergence for eta <= (1 - gamma)^3 / 8).  The gradient is computed from
 * the oracle's unnormalised occupancy d = d^pi_mu / (1 - gamma), so it is
 * d(s) pi(a|s) A(s,a).  Episodic models: the stage-dependent softmax with
 * dV_0(mu) / dtheta_hsa = d_h(s) pi_h(a|s) A_h(s,a) (the same derivation
 * with gamma = 1 and per-stage visitation).  (Written from the statement of
 * the gradient in the paper's abstract-level summary; the section numbers
 * of the JMLR text could not be read here.) */
#include <math.h>
#include "policy/exact.h"
#include "policy/init.h"
#include "protocol/testing.h"
#include "tabrl/error.h"

static const tabrl_param pg_params[] = {
    {"eta", TABRL_DOUBLE, "1", "(0,inf)", "step size of the gradient ascent on the logits"},
    TABRL_PO_INIT_PARAM,
    {0},
};

typedef struct {
  tabrl_exact_po po;
  double eta;
} pg_state;

static void pg_release(void *state)
{
  tabrl_exact_po_release(&((pg_state *)state)->po);
}

static int pg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  pg_state *st = state;
  st->eta = tabrl_values_double(params, "eta");
  return tabrl_exact_po_init(&st->po, problem, params, "pg");
}

/* grad at the current theta into grad (stages*S*A, 0 at invalid actions). */
static int pg_gradient(pg_state *st, double *grad)
{
  tabrl_exact_po *po = &st->po;
  int status = tabrl_exact_po_evaluate(po, 1);
  if (status) return status;
  for (int h = 0; h < po->stages; h++)
    for (int s = 0; s < po->S; s++) {
      size_t i = ((size_t)h * po->S + s) * po->A;
      const double *row = tabrl_policy_row(po->pi, h, s);
      double v = tabrl_exact_po_v(po, po->V, h, s), dh = po->d[(size_t)h * po->S + s];
      for (int a = 0; a < po->A; a++)
        grad[i + a] = row[a] > 0 ? dh * row[a] * (po->Q[i + a] - v) : 0;
    }
  return 0;
}

static int pg_iterate(void *state, long iteration)
{
  pg_state *st = state;
  tabrl_exact_po *po = &st->po;
  size_t n = (size_t)po->stages * po->S * po->A;
  int status;
  (void)iteration;
  /* Q is overwritten with the gradient in place: nothing else reads it
   * before the next evaluation. */
  if ((status = pg_gradient(st, po->Q))) return status;
  for (size_t i = 0; i < n; i++)
    if (po->theta[i] > -INFINITY) po->theta[i] += st->eta * po->Q[i];
  tabrl_exact_po_softmax(po);
  return 0;
}

static int pg_policy(void *state, tabrl_policy *pi)
{
  return tabrl_exact_po_policy(&((pg_state *)state)->po, pi, "pg");
}

const tabrl_algo_type tabrl_algo_pg = {
    .name = "pg",
    .family = "policy",
    .doc = "Exact softmax policy gradient: theta += eta d^pi(s) pi(a|s) A^pi(s,a) / (1 - gamma)",
    .source = "Agarwal, Kakade, Lee, Mahajan 2021, JMLR 22(98): softmax policy gradient",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = pg_params,
    .state_size = sizeof(pg_state),
    .check = tabrl_po_init_check,
    .init = pg_init,
    .release = pg_release,
    .policy = pg_policy,
    .iterate = pg_iterate,
};

int tabrl_pg_gradient(tabrl_algo *algo, const double *theta, double *grad)
{
  if (algo->type != &tabrl_algo_pg) return tabrl_error(TABRL_EINVAL, "not a pg instance");
  pg_state *st = algo->state;
  tabrl_exact_po *po = &st->po;
  size_t n = (size_t)po->stages * po->S * po->A;
  for (size_t i = 0; i < n; i++)
    if (po->theta[i] > -INFINITY) po->theta[i] = theta[i];
  tabrl_exact_po_softmax(po);
  return pg_gradient(st, grad);
}
