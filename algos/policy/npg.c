/* npg: exact natural policy gradient for the softmax parametrisation, one
 * step per iterate():
 *   pi_{t+1}(a|s) = pi_t(a|s) exp(eta A^{pi_t}(s,a) / (1 - gamma)) / Z_t(s),
 * Agarwal, Kakade, Lee, Mahajan (2021), "On the Theory of Policy Gradient
 * Methods", JMLR 22(98), their NPG for the softmax policy class (equal to
 * the logit step theta += eta A / (1 - gamma)), which converges at rate
 * V* - V^t <= 1 / ((1 - gamma)^2 t) + log|A| / (eta t) for any eta > 0,
 * independently of the state space's size or of the start distribution;
 * with eta -> inf it is policy iteration.  Episodic models: the same step
 * per stage with 1 / (1 - gamma) read as 1.  (The rate is quoted from the
 * paper's abstract-level summary; the JMLR text could not be read here.)
 *
 * Computed in the logits: theta += eta Q / (1 - gamma) (Q and A differ by a
 * per-state constant, which the normalisation removes). */
#include "policy/exact.h"
#include "policy/init.h"
#include "tabrl/error.h"

static const tabrl_param npg_params[] = {
    {"eta", TABRL_DOUBLE, "1", "(0,inf)", "step size eta of the multiplicative update"},
    TABRL_PO_INIT_PARAM,
    {0},
};

typedef struct {
  tabrl_exact_po po;
  double eta;
} npg_state;

static void npg_release(void *state)
{
  tabrl_exact_po_release(&((npg_state *)state)->po);
}

static int npg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  npg_state *st = state;
  st->eta = tabrl_values_double(params, "eta");
  return tabrl_exact_po_init(&st->po, problem, params, "npg");
}

static int npg_iterate(void *state, long iteration)
{
  npg_state *st = state;
  int status;
  (void)iteration;
  if ((status = tabrl_exact_po_evaluate(&st->po, 0))) return status;
  tabrl_exact_po_mirror(&st->po, 1.0, st->eta * st->po.scale);
  return 0;
}

static int npg_policy(void *state, tabrl_policy *pi)
{
  return tabrl_exact_po_policy(&((npg_state *)state)->po, pi, "npg");
}

const tabrl_algo_type tabrl_algo_npg = {
    .name = "npg",
    .family = "policy",
    .doc = "Exact natural policy gradient (soft policy iteration): pi <- pi exp(eta A / (1 - "
           "gamma)) normalised",
    .source = "Agarwal, Kakade, Lee, Mahajan 2021, JMLR 22(98): NPG for the softmax class",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = npg_params,
    .state_size = sizeof(npg_state),
    .check = tabrl_po_init_check,
    .init = npg_init,
    .release = npg_release,
    .policy = npg_policy,
    .iterate = npg_iterate,
};
