/* The Toy-10 ring of Zhang, Hu and Li (2023), "Regularized Robust MDPs and
 * Risk-Sensitive MDPs: Equivalence, Policy Gradient, and Sample
 * Complexity", as the paper's official code builds it
 * (github.com/huyangsh/risk-sensitive-RL_NeurIPS-2024, toy/env/utils.py,
 * get_reward_src("Toy-10") and build_toy_env; checked at commits 482c829
 * and 48c219e, which agree on this environment).
 *
 * 14 states on a ring, actions 0 left, 1 stay, 2 right.  From (s, a) the
 * ring moves to s+a-1 with probability 1-2p and to s+a-2 and s+a with
 * probability p each (indices mod 14).  The reward depends on the state
 * only: r(s, a) = R[s], R = (0, 0, -1, 2, -1, 0, 0, -10, 5, -10, 0, 0.9,
 * 1, 0): a large reward at 8 guarded by losses at 7 and 9.
 * Uniform initial distribution; discounted with gamma 0.95 as in the
 * paper's PG_train.py (which uses p = 0.01).  With these numbers the
 * KL-regularised robust optimum at beta = 0.1 (the code's RMDP._DP_opt)
 * averages 65.2450 over the states, the mean V* the paper reports for
 * this setting (a test checks it); the risk-neutral optimum averages
 * 71.5568.
 *
 * Rewards lie in [-10, 5], not [0, 1]: the model accepts any finite
 * reward, but the learning algorithms whose optimistic caps assume rewards
 * in [0, 1] (ucbvi, ucrl2, mvp, greedy_q's optimistic start) are then not
 * optimistic on this ring; the exact oracles and the risk objectives are
 * unaffected. */
#include "tabrl/env.h"
#include "tabrl/error.h"

enum { RING_STATES = 14 };

static const double ring_reward[RING_STATES] = {0, 0, -1, 2, -1, 0, 0, -10, 5, -10, 0, 0.9, 1, 0};

static const tabrl_param robust_ring_params[] = {
    {"p", TABRL_DOUBLE, "0.01", "[0,0.5]",
     "probability of each one-cell perturbation (to s+a-2 and to s+a)"},
    TABRL_ENV_TIME_PARAMS("", "0.95"),
    {0},
};

static int robust_ring_build(const tabrl_values *v, tabrl_mdp **out)
{
  double p = tabrl_values_double(v, "p"), gamma, mu0[RING_STATES];
  int horizon, status;
  tabrl_mdp_builder *b;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (!(b = tabrl_mdp_builder_alloc(RING_STATES, 3, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < RING_STATES; s++) {
    mu0[s] = 1.0 / RING_STATES;
    for (int a = 0; a < 3; a++) {
      /* + RING_STATES keeps the C remainder non-negative at s + a - 2 = -2. */
      int centre = (s + a - 1 + RING_STATES) % RING_STATES;
      tabrl_mdp_builder_add(b, 0, s, a, centre, 1.0 - 2.0 * p, ring_reward[s]);
      tabrl_mdp_builder_add(b, 0, s, a, (centre + RING_STATES - 1) % RING_STATES, p,
                            ring_reward[s]);
      tabrl_mdp_builder_add(b, 0, s, a, (centre + 1) % RING_STATES, p, ring_reward[s]);
    }
  }
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status) status = tabrl_mdp_builder_set_name(b, "robust-ring");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_robust_ring = {
    .name = "robust-ring",
    .doc = "Toy-10 ring: 14 states, left/stay/right with perturbation p, rewards in [-10, 5]",
    .source = "Zhang, Hu and Li 2023, Regularized Robust MDPs and "
              "Risk-Sensitive MDPs, official code toy/env/utils.py (Toy-10)",
    .params = robust_ring_params,
    .build = robust_ring_build,
};
