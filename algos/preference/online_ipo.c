/* online-ipo: online identity preference optimisation (Calandriello et al.
 * 2024, "Human Alignment of Large Language Models through Online Preference
 * Optimisation"), in its exact tabular expected form.
 *
 * The loss of the current logits theta (pi = softmax theta), with pairs
 * drawn from the current policy itself held fixed (sg) and the preference
 * label's expectation taken:
 *
 *   L(theta) = sum_{y, y'} sg(pi)_y sg(pi)_y' (h(y, y') - (P(y, y') - 1/2) / beta)^2,
 *   h(y, y') = log(pi(y) ref(y') / (pi(y') ref(y))),
 *
 * whose gradient is dL/dtheta_k = 4 pi_k (d_k - pi.d - ((P pi)_k - 1/2) / beta),
 * d = log pi - log ref.  One gradient step of size lr per iteration; its
 * fixed point pi proportional to ref exp(P pi / beta) is the regularised
 * Nash equilibrium (the paper's equivalence of online IPO and Nash-MD with
 * no mixture).  The loss is the one of the official EGPO code
 * (simulations/loss_funcs.py, online_ipo_2), where we read it; the paper's
 * own text and equation numbers were not read. */
#include "preference/game_policy.h"

static const tabrl_param online_ipo_params[] = {
    {"lr", TABRL_DOUBLE, "0.1", "(0,inf)", "gradient step on the logits"},
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "regularisation tau of IPO"},
    {0},
};

typedef struct {
  game_policy g;
  double lr, beta;
} online_ipo_state;

static int online_ipo_check(const tabrl_problem *problem, const tabrl_values *v)
{
  (void)v;
  return game_policy_check(problem, "online-ipo");
}

static int online_ipo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  online_ipo_state *st = state;
  st->lr = tabrl_values_double(v, "lr");
  st->beta = tabrl_values_double(v, "beta");
  return game_policy_init(&st->g, problem, "online-ipo");
}

static void online_ipo_release(void *state)
{
  game_policy_release(&((online_ipo_state *)state)->g);
}

static int online_ipo_iterate(void *state, long iteration)
{
  online_ipo_state *st = state;
  game_policy *g = &st->g;
  const double *P = g->m->preference;
  double *pi = g->work, *e = g->work + g->A;
  int A = g->A;
  (void)iteration;
  for (int s = 0; s < g->S; s++) {
    double *l = g->log_pi + (size_t)s * (size_t)A, mean = 0;
    const double *log_ref = g->log_ref + (size_t)s * (size_t)A;
    for (int a = 0; a < A; a++) pi[a] = exp(l[a]);
    for (int a = 0; a < A; a++) {
      double x = 0;
      for (int j = 0; j < A; j++) x += P[a * A + j] * pi[j];
      e[a] = l[a] - log_ref[a] - (x - 0.5) / st->beta;
      mean += pi[a] * e[a];
    }
    for (int a = 0; a < A; a++) l[a] -= st->lr * 4 * pi[a] * (e[a] - mean);
    game_normalise(l, A, NULL);
  }
  return 0;
}

static int online_ipo_policy(void *state, tabrl_policy *pi)
{
  return game_policy_write(&((online_ipo_state *)state)->g, pi);
}

const tabrl_algo_type tabrl_algo_online_ipo = {
    .name = "online-ipo",
    .family = "preference",
    .doc = "Online IPO: a gradient step on the IPO loss of pairs from the current policy, in "
           "expectation",
    .source = "Calandriello et al. 2024, Human Alignment of LLMs through Online Preference "
              "Optimisation",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = online_ipo_params,
    .state_size = sizeof(online_ipo_state),
    .check = online_ipo_check,
    .init = online_ipo_init,
    .release = online_ipo_release,
    .policy = online_ipo_policy,
    .iterate = online_ipo_iterate,
};
