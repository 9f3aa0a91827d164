/* md: mirror descent on the preference game, the baseline that cycles.
 *
 * Each iteration, in every context, the policy plays one entropic
 * mirror-descent (multiplicative-weights) step against itself:
 *
 *   pi_{t+1} proportional to pi_t^(1 - lr beta) ref^(lr beta) exp(lr P pi_t),
 *
 * the "Online IPO 1 (OMD)" update of Zhou, Fazel and Du 2025 ("Extragradient
 * Preference Optimization (EGPO)", Section 2; read in the official code,
 * simulations/loss_funcs.py, online_ipo_1, whose one SGD step of size
 * lr_code on tabular logits is this step with lr = 4 lr_code / (beta A)).
 * With beta = 0 it is plain multiplicative weights in self-play, which
 * cycles around a mixed equilibrium such as rock-paper-scissors' and
 * drifts to the boundary (its last iterate does not converge; Bailey and
 * Piliouras 2018, "Multiplicative weights update in zero-sum games"). */
#include "preference/game_policy.h"

static const tabrl_param md_params[] = {
    {"lr", TABRL_DOUBLE, "0.1", "(0,inf)", "mirror-descent step eta"},
    {"beta", TABRL_DOUBLE, "0", "[0,inf)", "KL regularisation toward the reference"},
    {0},
};

typedef struct {
  game_policy g;
  double lr, beta;
} md_state;

static int md_check(const tabrl_problem *problem, const tabrl_values *v)
{
  return game_policy_check_mixing(problem, v, "md");
}

static int md_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  md_state *st = state;
  st->lr = tabrl_values_double(v, "lr");
  st->beta = tabrl_values_double(v, "beta");
  return game_policy_init(&st->g, problem, "md");
}

static void md_release(void *state)
{
  game_policy_release(&((md_state *)state)->g);
}

static int md_iterate(void *state, long iteration)
{
  md_state *st = state;
  game_policy *g = &st->g;
  double *pi = g->work, *next = g->work + g->A;
  (void)iteration;
  for (int s = 0; s < g->S; s++) {
    double *l = g->log_pi + (size_t)s * (size_t)g->A;
    for (int a = 0; a < g->A; a++) pi[a] = exp(l[a]);
    game_md_step(g, s, st->lr, st->beta, l, pi, next, NULL);
    memcpy(l, next, (size_t)g->A * sizeof *l);
  }
  return 0;
}

static int md_policy(void *state, tabrl_policy *pi)
{
  return game_policy_write(&((md_state *)state)->g, pi);
}

const tabrl_algo_type tabrl_algo_md = {
    .name = "md",
    .family = "preference",
    .doc = "Mirror descent (multiplicative weights) in self-play on the preference game",
    .source = "Zhou, Fazel and Du 2025 (EGPO), Section 2, online IPO 1 / OMD in the official code",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = md_params,
    .state_size = sizeof(md_state),
    .check = md_check,
    .init = md_init,
    .release = md_release,
    .policy = md_policy,
    .iterate = md_iterate,
};
