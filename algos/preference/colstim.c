/* colstim: Contextual Linear Stochastic Transitivity Model-based dueling
 * bandit (Bengs, Saha and Huellermeier, "Stochastic Contextual Dueling
 * Bandits under Linear Stochastic Transitivity Models", ICML 2022,
 * Algorithm 1 "CoLSTIM").  Only the abstract and the first section could be
 * read here; the algorithm box below follows the published description
 * (first arm: perturbed utilities that imitate the feedback process; second
 * arm: the strongest optimistic challenger of the first), and its
 * constants are parameters with the defaults stated here, not the paper's
 * theoretical values, which could not be checked.
 *
 * Model: item (context s, arm a) has features x = phi(s, a) (one-hot when
 * the env has none); a duel (x, x') is won by x with probability
 * F(theta^T (x - x')), F the logistic link (the Gumbel perturbation's:
 * the difference of two standard Gumbel variables is logistic).  With the
 * runner's `score = features` and `link = logistic` the feedback is this
 * model with theta / temperature.  theta-hat: the regularised maximum
 * likelihood estimate (duel_glm.h), M = lambda I + sum z z^T.
 *
 * Round t, for every context s (a policy is a context -> arm map):
 *   t <= explore: both arms uniform (the initial exploration phase)
 *   else: eps_a ~ Gumbel(0, 1) iid, clipped to [-threshold, threshold];
 *     first  a1 = argmax_a theta-hat^T x_a + eps_a |x_a|_{M^-1}
 *     second a2 = argmax_a theta-hat^T x_a + c1 |x_a - x_a1|_{M^-1}
 * (the perturbation is scaled by the width, so it vanishes where the
 * estimate is certain; the second arm is optimistic relative to the
 * first, so a2 = a1 once no arm can plausibly beat a1).
 *
 * The runner rolls the two policies out independently: with several
 * contexts the two pulls of a round may see different contexts (the
 * model's difference x - x' is then across contexts, which the estimator
 * handles unchanged).  The runner values a duel by the mean of the two
 * policies' exact values: the average dueling regret (Delta(a1) +
 * Delta(a2)) / 2 per round.  policy() is greedy in theta-hat. */
#include <math.h>
#include <stdlib.h>
#include "common/actions.h"
#include "preference/duel_glm.h"
#include "protocol/testing.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

static const tabrl_param colstim_params[] = {
    {"c1", TABRL_DOUBLE, "1", "[0,inf)", "weight of the confidence width of the second arm"},
    {"threshold", TABRL_DOUBLE, "3", "(0,inf)", "the Gumbel perturbations are clipped to +-this"},
    {"lambda", TABRL_DOUBLE, "1", "(0,inf)", "l2 regularisation of the likelihood (M = lambda I)"},
    {"explore", TABRL_INT, "0", "[0,inf)", "initial rounds of uniformly random duels"},
    {0},
};

typedef struct {
  duel_glm glm;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  int S, A;
  double c1, threshold;
  long explore;
  double *score; /* A */
} colstim_state;

static void colstim_release(void *state)
{
  colstim_state *st = state;
  duel_glm_free(&st->glm);
  baseline_actions_free(&st->actions);
  free(st->score);
}

static int colstim_check(const tabrl_problem *p, const tabrl_values *params)
{
  (void)params;
  return duel_glm_check(p, "colstim");
}

static int colstim_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  colstim_state *st = state;
  int status;
  if ((status = baseline_rng(problem, &st->rng, "colstim")) ||
      (status =
           duel_glm_init(&st->glm, problem, tabrl_values_double(params, "lambda"), "colstim")) ||
      (status = baseline_actions_init(&st->actions, problem, "colstim")))
    return status;
  st->S = problem->S;
  st->A = problem->A;
  st->c1 = tabrl_values_double(params, "c1");
  st->threshold = tabrl_values_double(params, "threshold");
  st->explore = tabrl_values_int(params, "explore");
  if (!(st->score = malloc((size_t)st->A * sizeof *st->score)))
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  return 0;
}

/* The valid arm of s with the largest score[], ties to the lower index. */
static int argmax(const colstim_state *st, int s)
{
  const int *list = baseline_actions_list(&st->actions, 0, s);
  int n = baseline_actions_count(&st->actions, 0, s), best = list[0];
  for (int i = 1; i < n; i++)
    if (st->score[list[i]] > st->score[best]) best = list[i];
  return best;
}

static double gumbel(colstim_state *st)
{
  double u = tabrl_pcg32_uniform(st->rng);
  double e = u > 0 ? -log(-log(u)) : -st->threshold;
  return fmax(-st->threshold, fmin(st->threshold, e));
}

static int colstim_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  colstim_state *st = state;
  for (int s = 0; s < st->S; s++) {
    if (k <= st->explore) {
      tabrl_policy_set_action(first, 0, s, baseline_actions_draw(&st->actions, 0, s, st->rng));
      tabrl_policy_set_action(second, 0, s, baseline_actions_draw(&st->actions, 0, s, st->rng));
      continue;
    }
    const int *list = baseline_actions_list(&st->actions, 0, s);
    int n = baseline_actions_count(&st->actions, 0, s);
    for (int i = 0; i < n; i++) {
      int item = s * st->A + list[i];
      st->score[list[i]] =
          duel_glm_utility(&st->glm, item) + gumbel(st) * duel_glm_norm(&st->glm, item);
    }
    int a1 = argmax(st, s);
    for (int i = 0; i < n; i++) {
      double mean;
      double width = duel_glm_width(&st->glm, s * st->A + list[i], s * st->A + a1, &mean);
      /* theta^T x_a = theta^T (x_a - x_a1) + theta^T x_a1: the constant drops */
      st->score[list[i]] = mean + st->c1 * width;
    }
    tabrl_policy_set_action(first, 0, s, a1);
    tabrl_policy_set_action(second, 0, s, argmax(st, s));
  }
  return 0;
}

static int colstim_feedback(void *state, const tabrl_step *first, const tabrl_step *second,
                            int horizon, int prefer_first)
{
  colstim_state *st = state;
  (void)horizon;
  return duel_glm_observe(&st->glm, first[0].s * st->A + first[0].a,
                          second[0].s * st->A + second[0].a, prefer_first);
}

static int colstim_policy(void *state, tabrl_policy *pi)
{
  colstim_state *st = state;
  for (int s = 0; s < st->S; s++) {
    for (int a = 0; a < st->A; a++) st->score[a] = duel_glm_utility(&st->glm, s * st->A + a);
    tabrl_policy_set_action(pi, 0, s, argmax(st, s));
  }
  return 0;
}

const tabrl_algo_type tabrl_algo_colstim = {
    .name = "colstim",
    .family = "preference",
    .doc = "Contextual linear dueling bandit: perturbed-utility first arm, optimistic challenger "
           "second, logistic MLE",
    .source = "Bengs, Saha, Huellermeier 2022, Stochastic Contextual Dueling Bandits under Linear "
              "Stochastic Transitivity Models, ICML, Algorithm 1 (CoLSTIM)",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = colstim_params,
    .state_size = sizeof(colstim_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = colstim_check,
    .init = colstim_init,
    .release = colstim_release,
    .policy = colstim_policy,
    .propose = colstim_propose,
    .feedback = colstim_feedback,
};

const double *tabrl_colstim_theta(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_colstim) return NULL;
  return ((const colstim_state *)algo->state)->glm.theta;
}
