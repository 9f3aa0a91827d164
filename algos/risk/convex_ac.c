/* convex-ac: actor-critic on the stock-augmented state for risk measures
 * given by a convex scoring function (Han, Liu and Yu 2025, "Risk-sensitive
 * Reinforcement Learning Based on Convex Scoring Functions", arXiv
 * 2505.04553).  Only the paper's abstract and introduction could be read
 * here (its section 3, "Problem Formulation", and section 4,
 * "Methodology", which hold the algorithm box and its constants, could
 * not): no equation or step-size number of the paper is cited, and the
 * form below is the one the abstract states, written for rewards.
 *
 * The form (abstract): the risk of the return G is an optimum over an
 * auxiliary variable c of an expected score, computed on the state
 * augmented with the accumulated reward (the stock, tabrl/returns.h) so
 * that the inner problem is time-consistent, and solved as a two-stage
 * problem.  For the two objectives here (rewards, maximised):
 *
 *   cvar:alpha           CVaR_alpha(G) = max_c E[c - (c - G)^+ / alpha]
 *                        (Rockafellar and Uryasev 2002, Theorem 10),
 *                        maximised at the lower alpha-quantile of G;
 *   mean-variance:lambda E[G] - lambda Var G = max_c E[G - lambda (G - c)^2],
 *                        maximised at c = E[G].
 *
 * For a fixed c the inner problem max_pi E[S(c, y_H)] is an MDP on (h, s,
 * y) with the terminal reward S(c, y_H) only (Bauerle and Ott 2011,
 * section 3), and the pair (pi, c) is improved alternately, as the
 * abstract's "auxiliary variable sampling method inspired by the
 * alternating minimization algorithm" says:
 *
 *   - c: set to its optimum given the empirical law of the returns of the
 *     last `window` episodes (cvar: their lower alpha-quantile, the
 *     ceil(alpha n)-th smallest; mean-variance: their mean).  This is the
 *     exact minimisation step of alternating minimisation on the sample,
 *     not a stochastic gradient step on c;
 *   - critic: a tabular V_h(s, y), h < H, learned by TD(0) towards V_{h+1}
 *     with V_H(s, y) = S(c, y) computed exactly (no critic at H: the score
 *     is known), step `beta`;
 *   - actor: softmax logits theta_h(s, y, a) over the valid actions,
 *     theta = 0 at the start (uniform), moved along the TD error:
 *     theta_h(x, b) += eta delta_h (1[b = a_h] - pi(b | h, x)), the
 *     likelihood-ratio gradient of log pi with the one-step advantage
 *     delta_h = V_{h+1}(x_{h+1}) - V_h(x_h), step `eta`.
 *
 * All updates happen in end_episode, stages H-1 down to 0, each delta
 * using the critic of stage h+1 already updated (so the terminal score
 * reaches stage 0 within one episode); within an episode the policy is
 * fixed, so commits_per_episode = 1 and the runner values each episode's
 * policy exactly in the experiment's objective.  Rewards are counted in
 * quanta of the stock grid (integers), so the stock and the quantile are
 * exact.
 *
 * Constants: the paper's step sizes could not be read.  The defaults eta
 * = 0.05, beta = 0.1, window = 200 are this implementation's, chosen on
 * the catch-up model of tests/test_convex_ac.c and RiverSwim(6). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"

const double *tabrl_convex_ac_critic(const tabrl_algo *algo, double *c);

extern const tabrl_objective_type tabrl_objective_cvar;
extern const tabrl_objective_type tabrl_objective_mean_variance;

static const tabrl_param convex_ac_params[] = {
    {"eta", TABRL_DOUBLE, "0.05", "(0,inf)", "actor step: theta += eta delta grad log pi"},
    {"beta", TABRL_DOUBLE, "0.1", "(0,1]", "critic step of the TD(0) update of V_h(s, y)"},
    {"window", TABRL_INT, "200", "[1,1000000]",
     "episodes whose returns set c (cvar: their lower alpha-quantile; mean-variance: their mean)"},
    {0},
};

typedef struct {
  int row; /* augmented state s K + u - lo */
  int a;
} convex_ac_step;

typedef struct {
  tabrl_stock_grid g;
  int H, S, A, cvar;
  long states; /* S K */
  double param, eta, beta, c;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *theta; /* H * states * A */
  double *V;     /* H * states: V_h, h < H */
  double *prob;  /* A: scratch softmax row */
  convex_ac_step *steps;
  long stock;             /* of the current episode, in quanta */
  long *returns, *sorted; /* the last `window` returns, in quanta (ring) */
  long window, seen;
} convex_ac_state;

static void convex_ac_release(void *state)
{
  convex_ac_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->theta);
  free(st->V);
  free(st->prob);
  free(st->steps);
  free(st->returns);
  free(st->sorted);
}

static int convex_ac_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  convex_ac_state *st = state;
  int status;
  if (!problem->stock || !problem->objective)
    return tabrl_error(TABRL_EINVAL, "convex-ac needs a cvar or mean-variance objective");
  if ((status = baseline_rng(problem, &st->rng, "convex-ac"))) return status;
  if ((status = baseline_actions_init(&st->actions, problem, "convex-ac"))) return status;
  st->g = *problem->stock;
  st->H = problem->horizon;
  st->S = problem->S;
  st->A = problem->A;
  st->states = (long)st->S * st->g.K;
  st->cvar = problem->objective->type == &tabrl_objective_cvar;
  st->param = problem->objective->param;
  st->eta = tabrl_values_double(params, "eta");
  st->beta = tabrl_values_double(params, "beta");
  st->window = tabrl_values_int(params, "window");
  size_t n = (size_t)st->H * (size_t)st->states;
  st->theta = calloc(n * (size_t)st->A, sizeof *st->theta);
  st->V = calloc(n, sizeof *st->V);
  st->prob = malloc((size_t)st->A * sizeof *st->prob);
  st->steps = malloc((size_t)st->H * sizeof *st->steps);
  st->returns = malloc((size_t)st->window * sizeof *st->returns);
  st->sorted = malloc((size_t)st->window * sizeof *st->sorted);
  if (!st->theta || !st->V || !st->prob || !st->steps || !st->returns || !st->sorted)
    return tabrl_error(TABRL_ENOMEM, "convex-ac: out of memory for %zu augmented entries",
                       n * (size_t)st->A);
  return 0;
}

/* The softmax row of (h, augmented state row) into st->prob. */
static void softmax_row(convex_ac_state *st, int h, long row)
{
  int s = tabrl_stock_state(&st->g, row);
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s);
  const double *theta = st->theta + ((size_t)h * (size_t)st->states + (size_t)row) * (size_t)st->A;
  double top = -INFINITY, sum = 0;
  for (int i = 0; i < n; i++) top = fmax(top, theta[list[i]]);
  for (int a = 0; a < st->A; a++) st->prob[a] = 0;
  for (int i = 0; i < n; i++) sum += st->prob[list[i]] = exp(theta[list[i]] - top);
  for (int i = 0; i < n; i++) st->prob[list[i]] /= sum;
}

static int convex_ac_policy(void *state, tabrl_policy *pi)
{
  convex_ac_state *st = state;
  if (pi->S != st->states || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "convex-ac: policy must be %ld x %d with %d stages",
                       st->states, st->A, st->H);
  for (int h = 0; h < st->H; h++)
    for (long row = 0; row < st->states; row++) {
      softmax_row(st, h, row);
      memcpy(tabrl_policy_row(pi, h, (int)row), st->prob, (size_t)st->A * sizeof *st->prob);
    }
  return 0;
}

static int convex_ac_begin_episode(void *state, long k)
{
  convex_ac_state *st = state;
  (void)k;
  st->stock = 0;
  return 0;
}

static int convex_ac_act(void *state, int h, int s)
{
  convex_ac_state *st = state;
  long row = tabrl_stock_index(&st->g, s, st->stock);
  double u = tabrl_pcg32_uniform(st->rng), cum = 0;
  int last = -1;
  softmax_row(st, h, row);
  for (int a = 0; a < st->A; a++) {
    if (!(st->prob[a] > 0)) continue;
    last = a;
    if (u < (cum += st->prob[a])) return a;
  }
  return last; /* u above the rounded total */
}

static int convex_ac_observe(void *state, int h, int s, int a, double reward, int next)
{
  convex_ac_state *st = state;
  (void)next;
  st->steps[h] = (convex_ac_step){(int)tabrl_stock_index(&st->g, s, st->stock), a};
  st->stock += tabrl_stock_units(&st->g, reward);
  if (st->stock < st->g.lo || st->stock > st->g.hi)
    return tabrl_error(TABRL_EINVAL, "convex-ac: stock %ld quanta outside the grid [%ld, %ld]",
                       st->stock, st->g.lo, st->g.hi);
  return 0;
}

static int by_value(const void *x, const void *y)
{
  long a = *(const long *)x, b = *(const long *)y;
  return (a > b) - (a < b);
}

/* c's optimum on the empirical law of the stored returns. */
static double threshold(convex_ac_state *st)
{
  long n = st->seen < st->window ? st->seen : st->window;
  if (!st->cvar) {
    long sum = 0;
    for (long i = 0; i < n; i++) sum += st->returns[i];
    return (double)sum / (double)n * st->g.quantum;
  }
  memcpy(st->sorted, st->returns, (size_t)n * sizeof *st->sorted);
  qsort(st->sorted, (size_t)n, sizeof *st->sorted, by_value);
  /* the smallest return whose empirical CDF reaches alpha; the 1e-9
   * absorbs rounding in alpha n when it is an integer */
  long k = (long)ceil(st->param * (double)n - 1e-9);
  return (double)st->sorted[k < 1 ? 0 : k - 1] * st->g.quantum;
}

static double score(const convex_ac_state *st, double y)
{
  if (st->cvar) return y < st->c ? st->c - (st->c - y) / st->param : st->c;
  return y - st->param * (y - st->c) * (y - st->c);
}

static int convex_ac_end_episode(void *state, long k)
{
  convex_ac_state *st = state;
  (void)k;
  st->returns[st->seen++ % st->window] = st->stock;
  st->c = threshold(st);
  double next = score(st, (double)st->stock * st->g.quantum);
  for (int h = st->H - 1; h >= 0; h--) {
    long row = st->steps[h].row;
    double *v = st->V + (size_t)h * (size_t)st->states + (size_t)row;
    double delta = next - *v;
    double *theta = st->theta + ((size_t)h * (size_t)st->states + (size_t)row) * (size_t)st->A;
    softmax_row(st, h, row);
    for (int b = 0; b < st->A; b++)
      if (st->prob[b] > 0) theta[b] += st->eta * delta * ((b == st->steps[h].a) - st->prob[b]);
    *v += st->beta * delta;
    next = *v;
  }
  return 0;
}

static const tabrl_objective_type *const convex_ac_objectives[] = {
    &tabrl_objective_cvar, &tabrl_objective_mean_variance, NULL};

const tabrl_algo_type tabrl_algo_convex_ac = {
    .name = "convex-ac",
    .family = "risk",
    .doc = "actor-critic on the stock-augmented state for cvar and mean-variance written as "
           "max_c E[S(c, G)]: softmax actor, TD(0) critic of the terminal score, c at its "
           "empirical optimum (alternating)",
    .source = "Han, Liu and Yu 2025, Risk-sensitive RL based on convex scoring functions, arXiv "
              "2505.04553 (abstract only: no section numbers); Rockafellar and Uryasev 2002, "
              "Thm. 10; Bauerle and Ott 2011, section 3",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = convex_ac_params,
    .state_size = sizeof(convex_ac_state),
    .objectives = convex_ac_objectives,
    .stock_policies = 1,
    .init = convex_ac_init,
    .release = convex_ac_release,
    .policy = convex_ac_policy,
    .begin_episode = convex_ac_begin_episode,
    .act = convex_ac_act,
    .observe = convex_ac_observe,
    .end_episode = convex_ac_end_episode,
};

/* For the tests (no public header): the critic V (H S K values, V_h at
 * h S K + s K + u - lo) and, in *c, the current threshold; NULL for
 * another type. */
const double *tabrl_convex_ac_critic(const tabrl_algo *algo, double *c)
{
  if (algo->type != &tabrl_algo_convex_ac) return NULL;
  const convex_ac_state *st = algo->state;
  *c = st->c;
  return st->V;
}
