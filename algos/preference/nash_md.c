/* nash-md: Nash mirror descent (Munos et al. 2024, "Nash Learning from
 * Human Feedback", the Nash-MD algorithm of the tabular section).
 *
 * Each iteration, in every context, the policy first forms the geometric
 * mixture with the reference,
 *
 *   pi_t^mu proportional to pi_t^(1 - lr beta) ref^(lr beta),
 *
 * and then takes the mirror-descent step against that mixture:
 *
 *   pi_{t+1} = argmax_pi [lr P(pi > pi_t^mu) - KL(pi || pi_t^mu)]
 *            proportional to pi_t^mu exp(lr P pi_t^mu).
 *
 * Its last iterate converges to the beta-regularised Nash equilibrium.
 * The update was read in the abstract and in the official code of Zhou,
 * Fazel and Du 2025 (EGPO; simulations/loss_funcs.py, nash_md: the mixture
 * with weight true_lr beta, then one IPO-loss step against P pi^mu); the
 * paper's full text was not read here, so no equation number is cited. */
#include "preference/game_policy.h"

static const tabrl_param nash_md_params[] = {
    {"lr", TABRL_DOUBLE, "0.1", "(0,inf)", "mirror-descent step eta"},
    {"beta", TABRL_DOUBLE, "0.1", "[0,inf)",
     "KL regularisation toward the reference (mixing weight lr beta)"},
    {0},
};

typedef struct {
  game_policy g;
  double lr, beta;
} nash_md_state;

static int nash_md_check(const tabrl_problem *problem, const tabrl_values *v)
{
  return game_policy_check_mixing(problem, v, "nash-md");
}

static int nash_md_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  nash_md_state *st = state;
  st->lr = tabrl_values_double(v, "lr");
  st->beta = tabrl_values_double(v, "beta");
  return game_policy_init(&st->g, problem, "nash-md");
}

static void nash_md_release(void *state)
{
  game_policy_release(&((nash_md_state *)state)->g);
}

static int nash_md_iterate(void *state, long iteration)
{
  nash_md_state *st = state;
  game_policy *g = &st->g;
  double *mix = g->work, *mix_p = g->work + g->A, *next = g->work + 2 * g->A;
  double w = st->lr * st->beta;
  (void)iteration;
  for (int s = 0; s < g->S; s++) {
    double *l = g->log_pi + (size_t)s * (size_t)g->A;
    const double *log_ref = g->log_ref + (size_t)s * (size_t)g->A;
    for (int a = 0; a < g->A; a++) mix[a] = game_weigh(1 - w, l[a]) + game_weigh(w, log_ref[a]);
    game_normalise(mix, g->A, mix_p);
    /* From the mixture, a plain step (no further pull to the reference). */
    game_md_step(g, s, st->lr, 0, mix, mix_p, next, NULL);
    memcpy(l, next, (size_t)g->A * sizeof *l);
  }
  return 0;
}

static int nash_md_policy(void *state, tabrl_policy *pi)
{
  return game_policy_write(&((nash_md_state *)state)->g, pi);
}

const tabrl_algo_type tabrl_algo_nash_md = {
    .name = "nash-md",
    .family = "preference",
    .doc = "Nash-MD: mirror descent against the geometric mixture of the policy and the reference",
    .source = "Munos et al. 2024, Nash Learning from Human Feedback (Nash-MD, tabular)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = nash_md_params,
    .state_size = sizeof(nash_md_state),
    .check = nash_md_check,
    .init = nash_md_init,
    .release = nash_md_release,
    .policy = nash_md_policy,
    .iterate = nash_md_iterate,
};
