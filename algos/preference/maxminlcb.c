/* maxminlcb: the MaxMinLCB acquisition of Pasztor, Kassraie and Krause,
 * "Bandits with Preference Feedback: A Stackelberg Game Perspective"
 * (NeurIPS 2024, Section 5, Algorithm 1), in its linear form over a finite
 * set of (context, arm) items.  Only the abstract and the introduction
 * could be read here: the rule below is the one they state (a zero-sum
 * Stackelberg game in which the leader maximises the lower confidence
 * bound of its win probability against the follower's best response);
 * their confidence sequence for kernelized logistic estimators is replaced
 * by the linear one of the regularised logistic MLE (duel_glm.h), with a
 * fixed radius `beta` instead of their beta_t(delta), which could not be
 * checked here.  beta = 2 by default: with beta = 1, 9 of 30 seeds of
 * experiments/dueling-bandits.ini end on a suboptimal arm dueling itself
 * (an unexplored arm sits at the prior theta = 0, one unit of width away,
 * while the utilities there span 3 units); with beta = 2 none of 30.
 *
 * With theta-hat, M = lambda I + sum z z^T and z = x_a - x_a':
 *   LCB(a, a') = sigma(theta-hat^T z - beta |z|_{M^-1})
 * (a lower confidence bound on P(a beats a'); LCB(a, a) = 1/2), and in
 * round t, for every context s:
 *   leader   a  = argmax_a min_a' LCB(a, a')
 *   follower a' = argmin_a' LCB(a, a')
 * ties broken uniformly.  Before any data every off-diagonal LCB is the
 * same number below 1/2, so the first leader is uniform and its follower
 * is another arm.  Once the best arm's bounds against every other arm
 * exceed 1/2, its follower is itself and the duel costs nothing.
 *
 * As for colstim, the two proposals are rolled out independently (their
 * contexts may differ), and the runner values a duel by the mean of the
 * two policies' exact values: the average dueling regret (Delta(a) +
 * Delta(a')) / 2 per round.  policy() is greedy in theta-hat. */
#include <math.h>
#include <stdlib.h>
#include "common/actions.h"
#include "preference/duel_glm.h"
#include "protocol/testing.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

static const tabrl_param maxminlcb_params[] = {
    {"beta", TABRL_DOUBLE, "2", "[0,inf)", "radius of the confidence bounds (in |z|_{M^-1} units)"},
    {"lambda", TABRL_DOUBLE, "1", "(0,inf)", "l2 regularisation of the likelihood (M = lambda I)"},
    {0},
};

typedef struct {
  duel_glm glm;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  int S, A;
  double beta;
  double *worst; /* A: min_a' LCB(a, a') */
  int *ties;     /* A */
} maxminlcb_state;

static void maxminlcb_release(void *state)
{
  maxminlcb_state *st = state;
  duel_glm_free(&st->glm);
  baseline_actions_free(&st->actions);
  free(st->worst);
  free(st->ties);
}

static int maxminlcb_check(const tabrl_problem *p, const tabrl_values *params)
{
  (void)params;
  return duel_glm_check(p, "maxminlcb");
}

static int maxminlcb_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  maxminlcb_state *st = state;
  int status;
  if ((status = baseline_rng(problem, &st->rng, "maxminlcb")) ||
      (status =
           duel_glm_init(&st->glm, problem, tabrl_values_double(params, "lambda"), "maxminlcb")) ||
      (status = baseline_actions_init(&st->actions, problem, "maxminlcb")))
    return status;
  st->S = problem->S;
  st->A = problem->A;
  st->beta = tabrl_values_double(params, "beta");
  st->worst = malloc((size_t)st->A * sizeof *st->worst);
  st->ties = malloc((size_t)st->A * sizeof *st->ties);
  if (!st->worst || !st->ties) return tabrl_error(TABRL_ENOMEM, "out of memory");
  return 0;
}

static double lcb(const maxminlcb_state *st, int s, int a, int b)
{
  if (a == b) return 0.5;
  double mean, width = duel_glm_width(&st->glm, s * st->A + a, s * st->A + b, &mean);
  return duel_glm_sigmoid(mean - st->beta * width);
}

/* Among the n arms of list, one with the extreme value[] (largest when
 * sign = 1, smallest when -1), uniformly among exact ties. */
static int extreme(maxminlcb_state *st, const int *list, int n, const double *value, int sign)
{
  double top = -INFINITY;
  int nt = 0;
  for (int i = 0; i < n; i++) {
    double v = sign * value[list[i]];
    if (v > top) {
      top = v;
      nt = 0;
    }
    if (v == top) st->ties[nt++] = list[i];
  }
  return st->ties[tabrl_pcg32_below(st->rng, (uint32_t)nt)];
}

static int maxminlcb_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  maxminlcb_state *st = state;
  (void)k;
  for (int s = 0; s < st->S; s++) {
    const int *list = baseline_actions_list(&st->actions, 0, s);
    int n = baseline_actions_count(&st->actions, 0, s);
    for (int i = 0; i < n; i++) {
      double w = 0.5;
      for (int j = 0; j < n; j++) w = fmin(w, lcb(st, s, list[i], list[j]));
      st->worst[list[i]] = w;
    }
    int leader = extreme(st, list, n, st->worst, 1);
    for (int j = 0; j < n; j++) st->worst[list[j]] = lcb(st, s, leader, list[j]);
    int follower = extreme(st, list, n, st->worst, -1);
    tabrl_policy_set_action(first, 0, s, leader);
    tabrl_policy_set_action(second, 0, s, follower);
  }
  return 0;
}

static int maxminlcb_feedback(void *state, const tabrl_step *first, const tabrl_step *second,
                              int horizon, int prefer_first)
{
  maxminlcb_state *st = state;
  (void)horizon;
  return duel_glm_observe(&st->glm, first[0].s * st->A + first[0].a,
                          second[0].s * st->A + second[0].a, prefer_first);
}

static int maxminlcb_policy(void *state, tabrl_policy *pi)
{
  maxminlcb_state *st = state;
  for (int s = 0; s < st->S; s++) {
    const int *list = baseline_actions_list(&st->actions, 0, s);
    int n = baseline_actions_count(&st->actions, 0, s), best = list[0];
    for (int i = 1; i < n; i++)
      if (duel_glm_utility(&st->glm, s * st->A + list[i]) >
          duel_glm_utility(&st->glm, s * st->A + best))
        best = list[i];
    tabrl_policy_set_action(pi, 0, s, best);
  }
  return 0;
}

const tabrl_algo_type tabrl_algo_maxminlcb = {
    .name = "maxminlcb",
    .family = "preference",
    .doc = "Dueling bandit as a Stackelberg game: the leader maximises its worst lower confidence "
           "bound, the follower minimises it",
    .source = "Pasztor, Kassraie, Krause 2024, Bandits with Preference Feedback: A Stackelberg "
              "Game Perspective, NeurIPS, Section 5 (MaxMinLCB), linear form",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = maxminlcb_params,
    .state_size = sizeof(maxminlcb_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = maxminlcb_check,
    .init = maxminlcb_init,
    .release = maxminlcb_release,
    .policy = maxminlcb_policy,
    .propose = maxminlcb_propose,
    .feedback = maxminlcb_feedback,
};

const double *tabrl_maxminlcb_theta(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_maxminlcb) return NULL;
  return ((const maxminlcb_state *)algo->state)->glm.theta;
}
