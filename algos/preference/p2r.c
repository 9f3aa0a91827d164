/* p2r: the Preference-to-Reward interface wrapping a reward-based learner.
 *
 * Wang, Liu and Jin, "Is RLHF More Difficult than Standard RL? A
 * Theoretical Perspective" (NeurIPS 2023, arXiv:2306.14111), Section 3,
 * Algorithm 1 (P2R) for utility-based preferences: the base learner asks
 * for the reward of each trajectory tau; the interface keeps a confidence
 * set over reward functions built from comparisons of earlier
 * trajectories with one fixed reference tau_0, and when every reward of
 * the set agrees on r(tau) - r(tau_0) within epsilon it answers from the
 * set without asking; otherwise it queries tau against tau_0 and updates
 * the set.  So the number of queries is bounded by the set's eluder-type
 * dimension (the paper's Theorem 3.2), not by the number of episodes.
 *
 * Tabular form here.  Rewards are linear in the (s, a) counts of a
 * trajectory, r(tau) = theta^T x(tau); the set is the Bradley-Terry
 * (logistic) GLM ellipsoid around the ridge MLE of the comparisons so far
 * (common/bt.h), of width beta ||x(tau) - x(tau_0)||_{V^-1} in the
 * direction of a comparison.  The test runs on the base's trajectory tau
 * once it is rolled out (the protocol's ask hook), against the expected
 * counts x-bar_0 of the reference policy propagated on the empirical
 * transitions from the empirical start distribution.  A query compares the base policy's
 * trajectory with a fresh roll-out of the reference policy (the lowest
 * valid action at every (h, s): "always left" on RiverSwim), which stands
 * in for the paper's fixed tau_0; the paper's m repeated queries of one
 * pair are one query here.  The runner values a queried episode by the
 * mean of the two policies, so every query costs the reference's regret
 * too.
 *
 * The base learner (`base`, default ucbvi; any online type that commits
 * to one policy per episode) runs episode by episode as under the online
 * protocol: begin_episode, then observe(h, s, a, r-hat, s') for every
 * step of the trajectory, then end_episode, where r-hat = theta[s, a] -
 * theta-bar_0, clipped to [0, 1] (the base's reward range), theta-bar_0
 * = theta^T x-bar_0 / H the per-step estimated reward of the reference:
 * the paper's r(tau) - r(tau_0), spread over the steps.  Between refits
 * theta lags (common/bt.h, tabrl_bt_stale).  `base-scale` sets the base's
 * `scale` when it has one.  The learner reads h, s, a and next of the
 * trajectories, never their reward.  Assumes whole trajectories (no
 * `segment`): with segments the base sees only the compared segments of
 * queried episodes.
 *
 * Only the abstract and introduction of the paper could be read here:
 * Algorithm 1's exact confidence set (a likelihood-ratio set) and its
 * constants are not verified; beta, epsilon and ridge are tabrl's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/bt.h"
#include "common/empirical.h"

static const tabrl_param p2r_params[] = {
    {"base", TABRL_CHOICE, "ucbvi", "ucbvi|psrl|ucrl2", "the reward-based learner wrapped"},
    {"base-scale", TABRL_DOUBLE, "0.1", "[0,inf)", "the base's `scale` (bonus multiplier)"},
    {"epsilon", TABRL_DOUBLE, "0.2", "(0,inf)",
     "query when beta ||x(tau) - x-bar(ref)||_{V^-1} > epsilon (the set's width on the "
     "trajectory)"},
    {"beta", TABRL_DOUBLE, "1", "(0,inf)", "radius of the GLM confidence set"},
    {"ridge", TABRL_DOUBLE, "1", "(0,inf)", "ridge lambda of the Bradley-Terry fit"},
    {"iterations", TABRL_INT, "50", "[1,100000]", "BFGS steps of each refit"},
    {0},
};

static const char *const p2r_bases[] = {"ucbvi", "psrl", "ucrl2"};

typedef struct {
  int S, A, H, d;
  double epsilon, beta;
  int iterations;
  tabrl_algo *base;
  tabrl_empirical model; /* transitions (rewards recorded as 0) */
  double *mu0;           /* S: empirical start distribution */
  long starts;
  tabrl_bt bt;
  tabrl_policy *pi;  /* the base's policy of this episode */
  int *reference;    /* H*S: the reference plan */
  double *x, *x_ref; /* d: expected counts of pi and of the reference */
  double *occupancy; /* 2*S scratch */
  double ref_mean;   /* theta-bar_0 */
  long k;
} p2r_state;

static void p2r_release(void *state)
{
  p2r_state *st = state;
  tabrl_algo_free(st->base);
  tabrl_empirical_free(&st->model);
  tabrl_bt_free(&st->bt);
  tabrl_policy_free(st->pi);
  free(st->mu0);
  free(st->reference);
  free(st->x);
  free(st->x_ref);
  free(st->occupancy);
}

static int p2r_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  p2r_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->d = st->S * st->A;
  st->epsilon = tabrl_values_double(params, "epsilon");
  st->beta = tabrl_values_double(params, "beta");
  st->iterations = (int)tabrl_values_int(params, "iterations");

  const tabrl_algo_type *type = tabrl_algo_find(p2r_bases[tabrl_values_choice(params, "base")]);
  if (!type) return TABRL_ENOTFOUND;
  char scale[64];
  snprintf(scale, sizeof scale, "%.17g", tabrl_values_double(params, "base-scale"));
  tabrl_setting set = {"scale", scale, "p2r", 0};
  int has_scale = 0;
  for (const tabrl_param *p = type->params; p->name; p++) has_scale |= !strcmp(p->name, "scale");
  tabrl_values *values = NULL;
  if ((status =
           tabrl_values_resolve(type->params, type->name, &set, has_scale ? 1 : 0, 0, &values)))
    return status;
  st->base = tabrl_algo_alloc(type, problem, values);
  tabrl_values_free(values);
  if (!st->base) return TABRL_EINVAL;

  if ((status = tabrl_empirical_init(&st->model, st->S, st->A, 1)) ||
      (status = tabrl_bt_init(&st->bt, st->d, tabrl_values_double(params, "ridge"))))
    return status;
  st->pi = tabrl_policy_alloc(st->S, st->A, st->H);
  st->mu0 = calloc((size_t)st->S, sizeof *st->mu0);
  st->reference = malloc((size_t)st->H * (size_t)st->S * sizeof *st->reference);
  st->x = malloc((size_t)st->d * sizeof *st->x);
  st->x_ref = calloc((size_t)st->d, sizeof *st->x_ref);
  st->occupancy = malloc(2 * (size_t)st->S * sizeof *st->occupancy);
  if (!st->pi || !st->mu0 || !st->reference || !st->x || !st->x_ref || !st->occupancy)
    return tabrl_error(TABRL_ENOMEM, "p2r: out of memory");
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      int a = 0;
      while (a < st->A - 1 && !tabrl_problem_valid(problem, h, s, a)) a++;
      st->reference[(size_t)h * st->S + s] = a;
    }
  return 0;
}

/* Expected (s, a) counts of the deterministic plan over H steps on the empirical model from
 * the empirical start distribution (an unvisited (s, a) keeps its mass
 * there: a self-loop, the most a count can say without data). */
static void expected_counts(p2r_state *st, const int *plan, double *x)
{
  int S = st->S, A = st->A;
  double *now = st->occupancy, *next = st->occupancy + S;
  memset(x, 0, (size_t)st->d * sizeof *x);
  for (int s = 0; s < S; s++) now[s] = st->starts ? st->mu0[s] / (double)st->starts : s == 0;
  for (int h = 0; h < st->H; h++) {
    memset(next, 0, (size_t)S * sizeof *next);
    for (int s = 0; s < S; s++) {
      if (now[s] == 0) continue;
      for (int a = 0; a < A; a++) {
        if (plan[(size_t)h * S + s] != a) continue;
        double mass = now[s];
        size_t m = (size_t)s * (size_t)A + (size_t)a;
        x[m] += mass;
        long n = st->model.visits[m];
        if (!n) {
          next[s] += mass;
          continue;
        }
        for (int i = 0; i < st->model.n_next[m]; i++)
          next[st->model.next[m][i].next] += mass * (double)st->model.next[m][i].count / (double)n;
      }
    }
    double *t = now;
    now = next;
    next = t;
  }
}

static int p2r_policy(void *state, tabrl_policy *pi)
{
  p2r_state *st = state;
  return tabrl_algo_policy(st->base, pi);
}

static int p2r_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  p2r_state *st = state;
  int status;
  st->k = k;
  if ((status = tabrl_algo_begin_episode(st->base, k)) ||
      (status = tabrl_algo_policy(st->base, st->pi)))
    return status;
  memcpy(first->prob, st->pi->prob,
         (size_t)st->H * (size_t)st->S * (size_t)st->A * sizeof *first->prob);
  if (tabrl_bt_stale(&st->bt) && (status = tabrl_bt_fit(&st->bt, st->iterations))) return status;
  expected_counts(st, st->reference, st->x_ref);
  st->ref_mean = tabrl_bt_score(&st->bt, st->x_ref) / st->H;
  return tabrl_policy_from_plan(second, st->reference, st->S, st->A, st->H, "p2r");
}

/* P2R's test on the trajectory the base just followed: query when the
 * set's width on x(tau) - x-bar_0 exceeds epsilon. */
static int p2r_ask(void *state, const tabrl_step *first, int horizon)
{
  p2r_state *st = state;
  for (int m = 0; m < st->d; m++) st->x[m] = -st->x_ref[m];
  for (int t = 0; t < horizon; t++)
    st->x[(size_t)first[t].s * (size_t)st->A + (size_t)first[t].a] += 1;
  return st->beta * tabrl_bt_width(&st->bt, st->x) > st->epsilon;
}

/* The base's episode on trajectory steps with the estimated rewards. */
static int feed_base(p2r_state *st, const tabrl_step *steps, int n)
{
  int status;
  for (int t = 0; t < n; t++) {
    const tabrl_step *p = &steps[t];
    double r = st->bt.theta[(size_t)p->s * (size_t)st->A + (size_t)p->a] - st->ref_mean;
    r = r < 0 ? 0 : r > 1 ? 1 : r;
    if ((status = tabrl_algo_observe(st->base, p->h, p->s, p->a, r, p->next))) return status;
  }
  return tabrl_algo_end_episode(st->base, st->k);
}

static int p2r_feedback(void *state, const tabrl_step *first, const tabrl_step *second, int horizon,
                        int prefer_first)
{
  p2r_state *st = state;
  int status;
  const tabrl_step *both[2] = {first, second};
  for (int i = 0; i < 2 && both[i]; i++) {
    if (both[i][0].h == 0) {
      st->mu0[both[i][0].s] += 1;
      st->starts++;
    }
    for (int t = 0; t < horizon; t++)
      if ((status = tabrl_empirical_add(&st->model, 0, both[i][t].s, both[i][t].a, 0.0,
                                        both[i][t].next)))
        return status;
  }
  if (second) {
    memset(st->x, 0, (size_t)st->d * sizeof *st->x);
    for (int t = 0; t < horizon; t++) {
      st->x[(size_t)first[t].s * (size_t)st->A + (size_t)first[t].a] += 1;
      st->x[(size_t)second[t].s * (size_t)st->A + (size_t)second[t].a] -= 1;
    }
    if ((status = tabrl_bt_add(&st->bt, st->x, prefer_first))) return status;
    /* The answer for this trajectory comes from the updated set. */
    if (tabrl_bt_stale(&st->bt) && (status = tabrl_bt_fit(&st->bt, st->iterations))) return status;
  }
  return feed_base(st, first, horizon);
}

static double p2r_saturation(const void *state)
{
  const p2r_state *st = state;
  return tabrl_algo_saturation(st->base);
}

const tabrl_algo_type tabrl_algo_p2r = {
    .name = "p2r",
    .family = "preference",
    .doc = "Preference-to-Reward interface: a reward-based learner (ucbvi) fed estimated "
           "rewards, querying only when the reward confidence set is wider than epsilon",
    .source = "Wang, Liu, Jin 2023 (arXiv:2306.14111), Sec. 3, Alg. 1 (P2R)",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .commits_per_episode = 1,
    .needs = TABRL_NEEDS_EPISODIC,
    .params = p2r_params,
    .state_size = sizeof(p2r_state),
    .init = p2r_init,
    .release = p2r_release,
    .policy = p2r_policy,
    .propose = p2r_propose,
    .feedback = p2r_feedback,
    .ask = p2r_ask,
    .saturation = p2r_saturation,
};
