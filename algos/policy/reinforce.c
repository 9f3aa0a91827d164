/* reinforce: the sampled softmax policy gradient, REINFORCE with a
 * baseline (Williams 1992, "Simple statistical gradient-following
 * algorithms for connectionist reinforcement learning", Machine Learning
 * 8, the REINFORCE estimator; Sutton and Barto 2018, Reinforcement
 * Learning: An Introduction, 2nd ed., section 13.4, "REINFORCE with
 * Baseline"), on tabular softmax logits theta_h(s,a), one set per stage.
 *
 * Each episode is run with the current policy (commits_per_episode = 1:
 * the runner values exactly the policy followed); after B = `batch`
 * episodes,
 *   theta <- theta + eta (1/B) sum_episodes sum_h (G_h - b_h(s_h))
 *                                             grad log pi_h(a_h|s_h),
 * grad log pi_h(a|s) = e_a - pi_h(.|s) on the logits of (h, s), G_h the
 * return-to-go and b the baseline of policy/sampled.h (none, or the
 * running mean of G at (h, s) over the earlier episodes).  Its expectation
 * is eta times the exact gradient dJ/dtheta_h(s,a) = d_h(s) pi_h(a|s)
 * A_h(s,a) of `pg` (Agarwal, Kakade, Lee, Mahajan 2021), so the type is
 * the sampled pg.  Sutton and Barto's pseudocode also scales the step by
 * gamma^t, which is 1 in tabrl's episodic models.  (The papers' text was
 * not read here: the estimator is the textbook one, the citations by
 * section.) */
#include "policy/init.h"
#include "policy/sampled.h"
#include "tabrl/error.h"

static const tabrl_param reinforce_params[] = {
    {"eta", TABRL_DOUBLE, "0.1", "(0,inf)", "step size of the ascent on the logits"},
    TABRL_SPG_PARAMS,
    TABRL_PO_INIT_PARAM,
    {0},
};

typedef struct {
  tabrl_spg g;
  double eta;
} reinforce_state;

static void reinforce_release(void *state)
{
  tabrl_spg_release(&((reinforce_state *)state)->g);
}

static int reinforce_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  reinforce_state *st = state;
  st->eta = tabrl_values_double(params, "eta");
  return tabrl_spg_init(&st->g, problem, params, "reinforce");
}

static int reinforce_policy(void *state, tabrl_policy *pi)
{
  return tabrl_spg_policy(&((reinforce_state *)state)->g, pi, "reinforce");
}

static unsigned long reinforce_policy_version(const void *state)
{
  return tabrl_spg_version(&((const reinforce_state *)state)->g);
}

static int reinforce_act(void *state, int h, int s)
{
  return tabrl_spg_act(&((reinforce_state *)state)->g, h, s);
}

static int reinforce_observe(void *state, int h, int s, int a, double reward, int next)
{
  (void)next;
  return tabrl_spg_observe(&((reinforce_state *)state)->g, h, s, a, reward);
}

static int reinforce_end_episode(void *state, long k)
{
  reinforce_state *st = state;
  tabrl_spg *g = &st->g;
  size_t n = (size_t)g->H * g->S * g->A;
  (void)k;
  if (!tabrl_spg_end_episode(g)) return 0;
  tabrl_spg_gradient(g, g->pi, NULL, g->grad);
  for (size_t i = 0; i < n; i++) g->grad[i] *= st->eta;
  tabrl_spg_commit(g, g->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_reinforce = {
    .name = "reinforce",
    .family = "policy",
    .doc = "Sampled softmax policy gradient (REINFORCE with a baseline): theta += eta mean over "
           "B episodes of sum_h (G_h - b_h(s_h)) grad log pi",
    .source = "Williams 1992, Machine Learning 8; Sutton and Barto 2018, section 13.4 (REINFORCE "
              "with Baseline)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = reinforce_params,
    .state_size = sizeof(reinforce_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = tabrl_po_init_check,
    .init = reinforce_init,
    .release = reinforce_release,
    .policy = reinforce_policy,
    .policy_version = reinforce_policy_version,
    .act = reinforce_act,
    .observe = reinforce_observe,
    .end_episode = reinforce_end_episode,
};
