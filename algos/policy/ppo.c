/* ppo: proximal policy optimization with the clipped surrogate, tabular
 * (Schulman, Wolski, Dhariwal, Radford, Klimov 2017, "Proximal Policy
 * Optimization Algorithms", arXiv 1707.06347, eq. 7 and Algorithm 1), on
 * tabular softmax logits theta_h(s,a), one set per stage.
 *
 * The policy pi_old is fixed for B = `batch` episodes (commits_per_episode
 * = 1); then `epochs` full-batch gradient ascent steps of size eta on
 *   L(theta) = (1/B) sum_episodes sum_h
 *              min(r_h A_h, clip(r_h, 1 - eps, 1 + eps) A_h),
 *   r_h = pi_theta(a_h|s_h) / pi_old(a_h|s_h),
 * start from theta_old; eps = `clip`.  The advantages are the batch's
 * returns-to-go minus the baseline (policy/sampled.h: none, or the running
 * mean at (h, s) over earlier episodes), not GAE: with a tabular policy and
 * whole episodes the Monte Carlo advantage needs no critic, and it makes
 * ppo's first epoch at r = 1 exactly reinforce's step.  The gradient of a
 * term is r_h A_h (e_a - pi_theta(.|s_h)) where the min picks the
 * unclipped term or the two agree, and 0 where it picks the clipped
 * constant (A > 0 with r > 1 + eps, A < 0 with r < 1 - eps): so a sample
 * stops pushing once its ratio has left the trust region in the direction
 * of its advantage.  Algorithm 1 uses minibatch Adam on a neural
 * policy; here each epoch is one full-batch plain gradient step.  (Eq. 7
 * and Algorithm 1 as numbered in the arXiv version; the text was not read
 * here, the objective is the well-known clipped surrogate.) */
#include <math.h>
#include <stdlib.h>
#include "policy/init.h"
#include "policy/sampled.h"
#include "tabrl/error.h"

static const tabrl_param ppo_params[] = {
    {"eta", TABRL_DOUBLE, "0.1", "(0,inf)", "step size of each epoch's ascent on the logits"},
    {"clip", TABRL_DOUBLE, "0.2", "(0,inf)", "eps of the clipped ratio [1 - eps, 1 + eps]"},
    {"epochs", TABRL_INT, "4", "[1,100000]", "full-batch gradient steps per update"},
    TABRL_SPG_PARAMS,
    TABRL_PO_INIT_PARAM,
    {0},
};

typedef struct {
  tabrl_spg g;
  double eta, clip;
  long epochs;
  double *work;   /* H*S*A: theta during the epochs */
  double *cur;    /* H*S*A: softmax(work) */
  double *weight; /* B*H: the per-sample factor of the surrogate's gradient */
} ppo_state;

static void ppo_release(void *state)
{
  ppo_state *st = state;
  tabrl_spg_release(&st->g);
  free(st->work);
  free(st->cur);
  free(st->weight);
}

static int ppo_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  ppo_state *st = state;
  int status;
  st->eta = tabrl_values_double(params, "eta");
  st->clip = tabrl_values_double(params, "clip");
  st->epochs = tabrl_values_int(params, "epochs");
  if ((status = tabrl_spg_init(&st->g, problem, params, "ppo"))) return status;
  size_t n = (size_t)st->g.H * st->g.S * st->g.A;
  st->work = malloc(n * sizeof *st->work);
  st->cur = malloc(n * sizeof *st->cur);
  st->weight = malloc((size_t)st->g.batch * st->g.H * sizeof *st->weight);
  if (!st->work || !st->cur || !st->weight) return tabrl_error(TABRL_ENOMEM, "ppo: out of memory");
  return 0;
}

static int ppo_policy(void *state, tabrl_policy *pi)
{
  return tabrl_spg_policy(&((ppo_state *)state)->g, pi, "ppo");
}

static unsigned long ppo_policy_version(const void *state)
{
  return tabrl_spg_version(&((const ppo_state *)state)->g);
}

static int ppo_act(void *state, int h, int s)
{
  return tabrl_spg_act(&((ppo_state *)state)->g, h, s);
}

static int ppo_observe(void *state, int h, int s, int a, double reward, int next)
{
  (void)next;
  return tabrl_spg_observe(&((ppo_state *)state)->g, h, s, a, reward);
}

static int ppo_end_episode(void *state, long k)
{
  ppo_state *st = state;
  tabrl_spg *g = &st->g;
  size_t n = (size_t)g->H * g->S * g->A, m = (size_t)g->batch * g->H;
  (void)k;
  if (!tabrl_spg_end_episode(g)) return 0;
  for (size_t i = 0; i < n; i++) st->work[i] = g->theta[i];
  for (long e = 0; e < st->epochs; e++) {
    tabrl_spg_softmax(g, st->work, st->cur);
    for (size_t i = 0; i < m; i++) {
      const tabrl_spg_sample *x = g->samples + i;
      size_t j = ((size_t)x->h * g->S + x->s) * g->A + x->a;
      double r = st->cur[j] / g->pi[j];
      int clipped = (x->adv > 0 && r > 1 + st->clip) || (x->adv < 0 && r < 1 - st->clip);
      st->weight[i] = clipped ? 0 : r;
    }
    tabrl_spg_gradient(g, st->cur, st->weight, g->grad);
    for (size_t i = 0; i < n; i++)
      if (st->work[i] > -INFINITY) st->work[i] += st->eta * g->grad[i];
  }
  for (size_t i = 0; i < n; i++)
    g->grad[i] = g->theta[i] > -INFINITY ? st->work[i] - g->theta[i] : 0;
  tabrl_spg_commit(g, g->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_ppo = {
    .name = "ppo",
    .family = "policy",
    .doc = "Tabular PPO: epochs full-batch ascent steps on the clipped surrogate over B episodes, "
           "advantages G_h - b_h(s_h)",
    .source = "Schulman, Wolski, Dhariwal, Radford, Klimov 2017, arXiv 1707.06347, eq. 7 (clipped "
              "surrogate), Algorithm 1",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = ppo_params,
    .state_size = sizeof(ppo_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = tabrl_po_init_check,
    .init = ppo_init,
    .release = ppo_release,
    .policy = ppo_policy,
    .policy_version = ppo_policy_version,
    .act = ppo_act,
    .observe = ppo_observe,
    .end_episode = ppo_end_episode,
};
