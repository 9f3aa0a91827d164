/* egpo: extragradient preference optimisation (Zhou, Fazel and Du 2025,
 * "Extragradient Preference Optimization (EGPO): Beyond Last-Iterate
 * Convergence for Nash Learning from Human Feedback").
 *
 * Each iteration, in every context, an extragradient step on the
 * KL-regularised game (tabrl/game.h) in its mirror-descent form: a half
 * step against the current policy, then the full step from the current
 * policy against the half-step policy,
 *
 *   pi_{t+1/2} proportional to pi_t^(1 - lr beta) ref^(lr beta) exp(lr P pi_t),
 *   pi_{t+1}   proportional to pi_t^(1 - lr beta) ref^(lr beta) exp(lr P pi_{t+1/2}).
 *
 * Its last iterate converges linearly to the regularised equilibrium
 * (beta > 0) and to a Nash equilibrium of the plain game (beta = 0), where
 * plain mirror descent (md) cycles.  Read in the abstract and the official
 * code (simulations/loss_funcs.py, extragradient: a step of the online IPO
 * loss against P pi_t, undone, then the step from pi_t with the preferences
 * P pi_{t+1/2}); one SGD step of size lr_code on tabular logits with that
 * loss (its (1/A^2) sum over all ordered pairs) is the step above with
 * lr = 4 lr_code / (beta A).  The paper's equation numbers were not read. */
#include "preference/game_policy.h"

static const tabrl_param egpo_params[] = {
    {"lr", TABRL_DOUBLE, "0.1", "(0,inf)", "mirror-descent step eta of both half steps"},
    {"beta", TABRL_DOUBLE, "0.1", "[0,inf)", "KL regularisation toward the reference"},
    {0},
};

typedef struct {
  game_policy g;
  double lr, beta;
} egpo_state;

static int egpo_check(const tabrl_problem *problem, const tabrl_values *v)
{
  return game_policy_check_mixing(problem, v, "egpo");
}

static int egpo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  egpo_state *st = state;
  st->lr = tabrl_values_double(v, "lr");
  st->beta = tabrl_values_double(v, "beta");
  return game_policy_init(&st->g, problem, "egpo");
}

static void egpo_release(void *state)
{
  game_policy_release(&((egpo_state *)state)->g);
}

static int egpo_iterate(void *state, long iteration)
{
  egpo_state *st = state;
  game_policy *g = &st->g;
  double *pi = g->work, *half = g->work + g->A, *half_p = g->work + 2 * g->A;
  double *next = g->work + 3 * g->A;
  (void)iteration;
  for (int s = 0; s < g->S; s++) {
    double *l = g->log_pi + (size_t)s * (size_t)g->A;
    for (int a = 0; a < g->A; a++) pi[a] = exp(l[a]);
    game_md_step(g, s, st->lr, st->beta, l, pi, half, half_p);
    game_md_step(g, s, st->lr, st->beta, l, half_p, next, NULL);
    memcpy(l, next, (size_t)g->A * sizeof *l);
  }
  return 0;
}

static int egpo_policy(void *state, tabrl_policy *pi)
{
  return game_policy_write(&((egpo_state *)state)->g, pi);
}

const tabrl_algo_type tabrl_algo_egpo = {
    .name = "egpo",
    .family = "preference",
    .doc = "Extragradient preference optimisation: an extragradient step on the KL-regularised "
           "preference game per iteration",
    .source = "Zhou, Fazel and Du 2025, EGPO (official code: simulations/loss_funcs.py)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = egpo_params,
    .state_size = sizeof(egpo_state),
    .check = egpo_check,
    .init = egpo_init,
    .release = egpo_release,
    .policy = egpo_policy,
    .iterate = egpo_iterate,
};
