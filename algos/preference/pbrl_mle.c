/* pbrl-mle: Bradley-Terry maximum likelihood of a per-(s, a) reward from
 * trajectory preferences, then optimistic planning on the empirical model.
 *
 * Online mode (the default).  The reward is linear in the (s, a) visit
 * counts of a trajectory, r(tau) = sum_t theta[s_t, a_t]; every compared
 * pair adds the difference of the two segments' counts to a Bradley-Terry
 * fit (common/bt.h: logistic likelihood, ridge `ridge`, BFGS warm-started
 * from the last estimate, refitted when the data grew by 1/16), the generic recipe of the
 * preference-based RL analyses (Saha, Pacchiano and Lee, "Dueling RL", Section 3, and Zhan et al.
 * below, Section 3: a Bradley-Terry model over trajectory rewards learned by MLE).  Before each
 * episode the algorithm plans by backward induction on the empirical transition model (pooled over
 * h) with
 *
 *   Q_h(s,a) = theta[s,a] + beta ||e_sa||_{V^-1} + P-hat V_{h+1}
 *              + scale (R+ - R-) (H - h) sqrt(L / N(s,a)),
 *
 * the GLM reward width (V = ridge I + sum x x^T over the comparisons) and a
 * UCBVI-CH-style transition bonus (Azar et al. 2017, Algorithm 3, with
 * L = ln(5 S A K H / delta)) in units of the reward's span, R+ = max over
 * (s, a) of theta + beta width, R- = min of theta - beta width.  Unvisited
 * (s, a) and every Q are capped at (H - h) R+.  The first proposal is that
 * optimistic policy, the second the previous episode's first (the first
 * episode compares the plan with itself): two consecutive optimistic
 * policies, so that regret (the runner values a duel by the mean of its
 * two policies) falls as the plan settles.  Scale and units are tabrl's
 * choices, not a paper's: BT identifies theta only up to the link's
 * temperature and a constant per step, which no comparison of two H-step
 * trajectories sees (the ridge picks the smallest-norm estimate).
 *
 * `reward-agnostic = true`: Zhan, Uehara, Sun and Lee, "Provable
 * Reward-Agnostic Preference-Based Reinforcement Learning" (ICLR 2024,
 * arXiv:2305.18505), Algorithm 1 (REGIME): explore first without any
 * preference, then ask for preferences on trajectories of the exploration
 * policies, then plan on the learned reward.  Here: episodes 1..`explore`
 * follow the reward-free optimistic plan (reward 0, transition bonus
 * only: it steers to the least-known (s, a)) and ask no query
 * (TABRL_NO_QUERY); the next `query-budget` episodes compare two of those
 * stored exploration policies drawn uniformly (two trajectories rolled out
 * from them); afterwards one final fit and the greedy policy of theta on
 * P-hat, no bonus, no query.  The paper picks its exploration policies to
 * maximise the uncertainty of feature differences (its Eq. (2)); the
 * reward-free bonus plan is tabrl's tabular stand-in, and only the
 * abstract and the algorithm's outline could be checked, not its
 * constants.
 *
 * The learner reads h, s, a and next of the compared steps, never their
 * reward.  Cost per episode: one warm-started fit O(iterations n d) with n
 * comparisons and d = S A, O(d^2) per comparison for V^-1, O(H S A + H
 * visited entries) for the plan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/backward.h"
#include "common/bt.h"
#include "common/empirical.h"
#include "protocol/testing.h"

static const tabrl_param pbrl_mle_params[] = {
    {"ridge", TABRL_DOUBLE, "1", "(0,inf)",
     "ridge lambda of the Bradley-Terry fit: -loglik + lambda/2 |theta|^2"},
    {"beta", TABRL_DOUBLE, "1", "[0,inf)",
     "reward width multiplier: theta + beta ||e_sa||_{V^-1} (GLM confidence set)"},
    {"scale", TABRL_DOUBLE, "0.1", "[0,inf)",
     "transition bonus multiplier: scale (R+ - R-) (H - h) sqrt(L / N)"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)", "failure probability in L = ln(5 S A K H / delta)"},
    {"iterations", TABRL_INT, "50", "[1,100000]", "BFGS steps of each refit"},
    {"reward-agnostic", TABRL_BOOL, "false", NULL,
     "explore without queries first, then query on the exploration policies (Zhan et al. 2023, "
     "Alg. 1)"},
    {"explore", TABRL_INT, "200", "[1,100000000]",
     "reward-agnostic: episodes of reward-free exploration (no query)"},
    {"query-budget", TABRL_INT, "200", "[1,100000000]",
     "reward-agnostic: episodes that ask a query after exploring"},
    {0},
};

typedef struct {
  int S, A, H, d;
  double beta, scale, L;
  int iterations, agnostic;
  long explore, budget;
  tabrl_pcg32 *rng;
  tabrl_empirical model; /* transitions only: rewards recorded as 0 */
  baseline_actions actions;
  tabrl_bt bt;
  double *x;         /* d: a comparison's feature difference */
  double *V;         /* (H+1)*S */
  int *plan, *prev;  /* H*S each */
  int *stored;       /* explore*H*S: the exploration plans (reward-agnostic) */
  double r_hi, r_lo; /* R+, R- of the current plan */
  int mode;          /* what the plan uses: PLAN_OPTIMISTIC, PLAN_EXPLORE, PLAN_GREEDY */
} pbrl_state;

enum { PLAN_OPTIMISTIC, PLAN_EXPLORE, PLAN_GREEDY };

static void pbrl_release(void *state)
{
  pbrl_state *st = state;
  tabrl_empirical_free(&st->model);
  baseline_actions_free(&st->actions);
  tabrl_bt_free(&st->bt);
  free(st->x);
  free(st->V);
  free(st->plan);
  free(st->prev);
  free(st->stored);
}

static int pbrl_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  pbrl_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->d = st->S * st->A;
  st->beta = tabrl_values_double(params, "beta");
  st->scale = tabrl_values_double(params, "scale");
  st->iterations = (int)tabrl_values_int(params, "iterations");
  st->agnostic = tabrl_values_bool(params, "reward-agnostic");
  st->explore = tabrl_values_int(params, "explore");
  if (problem->episodes > 0 && st->explore > problem->episodes) st->explore = problem->episodes;
  st->budget = tabrl_values_int(params, "query-budget");
  double K = problem->episodes > 0 ? (double)problem->episodes : 1.0;
  st->L = log(5.0 * st->S * st->A * K * st->H / tabrl_values_double(params, "delta"));
  if ((status = baseline_rng(problem, &st->rng, "pbrl-mle")) ||
      (status = baseline_actions_init(&st->actions, problem, "pbrl-mle")) ||
      (status = tabrl_empirical_init(&st->model, st->S, st->A, 1)) ||
      (status = tabrl_bt_init(&st->bt, st->d, tabrl_values_double(params, "ridge"))))
    return status;
  size_t hs = (size_t)st->H * (size_t)st->S;
  st->x = malloc((size_t)st->d * sizeof *st->x);
  st->V = malloc((hs + (size_t)st->S) * sizeof *st->V);
  st->plan = malloc(hs * sizeof *st->plan);
  st->prev = malloc(hs * sizeof *st->prev);
  if (st->agnostic) st->stored = malloc((size_t)st->explore * hs * sizeof *st->stored);
  if (!st->x || !st->V || !st->plan || !st->prev || (st->agnostic && !st->stored))
    return tabrl_error(TABRL_ENOMEM, "pbrl-mle: out of memory");
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      st->plan[(size_t)h * st->S + s] = baseline_actions_list(&st->actions, h, s)[0];
  memcpy(st->prev, st->plan, hs * sizeof *st->plan);
  return 0;
}

typedef struct {
  pbrl_state *st;
  int S, A, H, mode;
} pbrl_backup;

static double pbrl_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const pbrl_backup *c = ctx;
  const pbrl_state *st = c->st;
  size_t m = (size_t)s * (size_t)c->A + (size_t)a;
  long n = st->model.visits[m];
  double reward = c->mode == PLAN_EXPLORE ? 0.0 : st->bt.theta[m];
  if (c->mode == PLAN_OPTIMISTIC) reward += st->beta * tabrl_bt_coord_width(&st->bt, (int)m);
  double span = c->mode == PLAN_EXPLORE ? 1.0 : st->r_hi - st->r_lo;
  double cap = c->mode == PLAN_EXPLORE ? (double)(c->H - h) : (double)(c->H - h) * st->r_hi;
  if (!n) return c->mode == PLAN_GREEDY ? reward : cap;
  double q = reward + tabrl_empirical_expect(&st->model, m, next_V);
  if (c->mode == PLAN_GREEDY) return q;
  q += st->scale * span * (double)(c->H - h) * sqrt(st->L / (double)n);
  return q < cap ? q : cap;
}

static int pbrl_actions(const void *ctx, int h, int s, const int **list)
{
  const baseline_actions *v = &((const pbrl_backup *)ctx)->st->actions;
  *list = baseline_actions_list(v, h, s);
  return baseline_actions_count(v, h, s);
}

/* Ties to the least-visited action, as ucbvi (round-robin while capped). */
static long pbrl_visits(const void *ctx, int h, int s, int a)
{
  const pbrl_backup *c = ctx;
  (void)h;
  return c->st->model.visits[(size_t)s * (size_t)c->A + (size_t)a];
}

static const tabrl_backup_hooks pbrl_hooks = {
    .backup = pbrl_q, .actions = pbrl_actions, .tie_key = pbrl_visits};

static int pbrl_plan(pbrl_state *st, int mode)
{
  int status;
  if (mode == PLAN_OPTIMISTIC && tabrl_bt_stale(&st->bt) &&
      (status = tabrl_bt_fit(&st->bt, st->iterations)))
    return status;
  if (mode == PLAN_GREEDY && st->bt.fitted != st->bt.n &&
      (status = tabrl_bt_fit(&st->bt, st->iterations)))
    return status;
  st->r_hi = -INFINITY;
  st->r_lo = INFINITY;
  for (int m = 0; m < st->d; m++) {
    double w = st->beta * tabrl_bt_coord_width(&st->bt, m);
    if (st->bt.theta[m] + w > st->r_hi) st->r_hi = st->bt.theta[m] + w;
    if (st->bt.theta[m] - w < st->r_lo) st->r_lo = st->bt.theta[m] - w;
  }
  if (!(st->r_hi > 0)) st->r_hi = 0; /* Q is capped at (H - h) R+ */
  pbrl_backup c = {st, st->S, st->A, st->H, mode};
  tabrl_backward_out into = {.S = st->S, .A = st->A, .H = st->H, .V = st->V, .plan = st->plan};
  tabrl_backward(&pbrl_hooks, &c, &into);
  return 0;
}

static int pbrl_policy(void *state, tabrl_policy *pi)
{
  const pbrl_state *st = state;
  return tabrl_policy_from_plan(pi, st->plan, st->S, st->A, st->H, "pbrl-mle");
}

static int pbrl_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  pbrl_state *st = state;
  size_t hs = (size_t)st->H * (size_t)st->S;
  int status;
  if (!st->agnostic) {
    memcpy(st->prev, st->plan, hs * sizeof *st->plan);
    if ((status = pbrl_plan(st, PLAN_OPTIMISTIC)) ||
        (status = tabrl_policy_from_plan(first, st->plan, st->S, st->A, st->H, "pbrl-mle")))
      return status;
    return tabrl_policy_from_plan(second, k > 1 ? st->prev : st->plan, st->S, st->A, st->H,
                                  "pbrl-mle");
  }
  if (k <= st->explore) {
    if ((status = pbrl_plan(st, PLAN_EXPLORE))) return status;
    memcpy(st->stored + (size_t)(k - 1) * hs, st->plan, hs * sizeof *st->plan);
    return (status = tabrl_policy_from_plan(first, st->plan, st->S, st->A, st->H, "pbrl-mle"))
               ? status
               : TABRL_NO_QUERY;
  }
  if (k <= st->explore + st->budget) {
    long i = tabrl_pcg32_below(st->rng, (uint32_t)st->explore);
    long j = tabrl_pcg32_below(st->rng, (uint32_t)st->explore);
    if ((status = tabrl_policy_from_plan(first, st->stored + (size_t)i * hs, st->S, st->A, st->H,
                                         "pbrl-mle")))
      return status;
    return tabrl_policy_from_plan(second, st->stored + (size_t)j * hs, st->S, st->A, st->H,
                                  "pbrl-mle");
  }
  if (k == st->explore + st->budget + 1 && (status = pbrl_plan(st, PLAN_GREEDY))) return status;
  return (status = tabrl_policy_from_plan(first, st->plan, st->S, st->A, st->H, "pbrl-mle"))
             ? status
             : TABRL_NO_QUERY;
}

/* The transitions of a segment (rewards never read), and its counts into x
 * with sign. */
static int take(pbrl_state *st, const tabrl_step *steps, int n, double sign)
{
  int status;
  for (int t = 0; t < n; t++) {
    const tabrl_step *p = &steps[t];
    if ((status = tabrl_empirical_add(&st->model, 0, p->s, p->a, 0.0, p->next))) return status;
    st->x[(size_t)p->s * (size_t)st->A + (size_t)p->a] += sign;
  }
  return 0;
}

static int pbrl_feedback(void *state, const tabrl_step *first, const tabrl_step *second,
                         int horizon, int prefer_first)
{
  pbrl_state *st = state;
  int status;
  memset(st->x, 0, (size_t)st->d * sizeof *st->x);
  if ((status = take(st, first, horizon, 1.0))) return status;
  if (!second) return 0; /* no query (reward-agnostic exploration and planning) */
  if ((status = take(st, second, horizon, -1.0))) return status;
  return tabrl_bt_add(&st->bt, st->x, prefer_first);
}

const tabrl_algo_type tabrl_algo_pbrl_mle = {
    .name = "pbrl-mle",
    .family = "preference",
    .doc = "Bradley-Terry MLE of a per-(s,a) reward from preferences, then optimistic planning "
           "(reward-agnostic: explore first, query later)",
    .source = "Bradley-Terry MLE (Saha, Pacchiano, Lee, Dueling RL, Sec. 3); reward-agnostic: "
              "Zhan, Uehara, Sun, Lee 2023 (arXiv:2305.18505), Alg. 1",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .commits_per_episode = 1,
    .needs = TABRL_NEEDS_EPISODIC,
    .params = pbrl_mle_params,
    .state_size = sizeof(pbrl_state),
    .init = pbrl_init,
    .release = pbrl_release,
    .policy = pbrl_policy,
    .propose = pbrl_propose,
    .feedback = pbrl_feedback,
};

/* Test accessor (no public header): the fitted theta[s, a] after a refit
 * on every comparison so far; NAN for another type. */
double tabrl_pbrl_mle_theta(tabrl_algo *algo, int s, int a)
{
  if (algo->type != &tabrl_algo_pbrl_mle) return NAN;
  pbrl_state *st = algo->state;
  if (st->bt.fitted != st->bt.n && tabrl_bt_fit(&st->bt, st->iterations)) return NAN;
  return st->bt.theta[(size_t)s * (size_t)st->A + (size_t)a];
}
