/* rsq: Risk-Sensitive Q-learning.
 *
 * Fei, Yang, Chen, Wang, Xie (2020), "Risk-Sensitive Reinforcement
 * Learning: Near-Optimal Risk-Sample Tradeoff in Regret", NeurIPS
 * (arXiv:2006.13827), Algorithm 2 (RSQ): optimistic Q-learning in the
 * style of Jin et al. (2018) carried out on exp(b Q).  Objective: the
 * entropic risk (1/b) log E exp(b G), the experiment's `objective =
 * entropic:b`, b != 0.
 *
 * What could be read of the paper here: only its abstract and
 * introduction (see rsvi.c); the algorithm box, its constant c and its log
 * term were NOT readable.  The form implemented, with 0-based stages (H' =
 * H - h steps left, the paper's H - h + 1): after the t-th visit of
 * (h, s, a), with reward r and next state s',
 *
 *   alpha_t = (H + 1) / (H + t)                (Jin et al. 2018, eq. (4)),
 *   bonus_t = c |exp(b H') - 1| sqrt(H iota / t),  iota = log(S A T / delta),
 *   w       = (1 - alpha_t) exp(b Q_h(s,a)) + alpha_t [exp(b (r + V_{h+1}(s'))) +- bonus_t]
 *             (+ for b > 0, - for b < 0),
 *   G       = min(w, exp(b H')) if b > 0,  max(w, exp(b H')) if b < 0,
 *   Q_h(s,a) = (1/b) log G,   V_h(s) = max over valid a of Q_h(s,a),   V_H = 0,
 *
 * with Q_h and V_h initialised to H' (G at its clip).  This is Jin et al.'s
 * Hoeffding update (b_t = c sqrt(H^3 iota / t) = c H sqrt(H iota / t)) with
 * the range H of the value replaced by the range |exp(b H') - 1| of its
 * exponential.  c = 1 (`scale` multiplies it; the paper's universal
 * constant has no value in what could be read), delta = 0.1, T = K H.
 * Rewards in [0, 1] as in the paper (the clip).
 *
 * Arithmetic: w is a two-point mixture, so (1/b) log of its first two
 * terms is the certainty equivalent of the law {Q_h(s,a): 1 - alpha_t,
 * r + V_{h+1}(s'): alpha_t}, and the bonus term enters as log(alpha_t
 * bonus_t): the same log-space optimism as rsvi (risk/entropic_optimism.h),
 * no overflow or NaN for |b| H up to 1e300, b = 0 refused.
 *
 * Actions: greedy in Q_h(s, .), ties to the least-visited action, then the
 * lowest index.  Q_h and the counts of stage h change only when stage h is
 * observed, after its action, and each stage is visited once per episode,
 * so the greedy policy at the start of an episode is the one followed
 * throughout: commits_per_episode = 1 and the runner scores each episode
 * by the exact entropic value of that policy.  The greedy action of
 * (h, s) depends only on Q_h(s, .) and the counts of (h, s, .), so observe
 * keeps the plan current (one greedy per update, which V_h needs anyway)
 * and counts the changes of any action (policy_version). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "protocol/testing.h"
#include "risk/entropic_optimism.h"

static const tabrl_param rsq_params[] = {
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on the bonus c |exp(b H') - 1| sqrt(H iota / t), c = 1 (Fei et al. 2020, "
     "Alg. 2)"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)",
     "failure probability in iota = log(S A T / delta), T = K H"},
    {0},
};

typedef struct {
  int S, A, H;
  double b, log_c, log_width; /* log_width = log(H iota) */
  baseline_actions actions;
  long *visits;          /* H*S*A */
  double *Q;             /* H*S*A */
  double *log_bonus;     /* H*S*A: log(bonus_t) of the last update (-inf before) */
  double *V;             /* (H+1)*S, V_H = 0 */
  int *plan;             /* H*S: the greedy action of every (h, s) */
  unsigned long changes; /* of an action of plan */
} rsq_state;

static inline size_t qi(const rsq_state *st, int h, int s, int a)
{
  return ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a;
}

static void rsq_release(void *state)
{
  rsq_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->visits);
  free(st->Q);
  free(st->log_bonus);
  free(st->V);
  free(st->plan);
}

static int rsq_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  return tabrl_entropic_check("rsq", problem);
}

static int rsq_greedy(const rsq_state *st, int h, int s);

static int rsq_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  rsq_state *st = state;
  int status;
  if ((status = tabrl_entropic_check("rsq", problem))) return status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->b = problem->objective->param;
  double K = problem->episodes > 0 ? (double)problem->episodes : 1.0;
  double iota = log(st->S * st->A * K * st->H / tabrl_values_double(params, "delta"));
  st->log_c = log(tabrl_values_double(params, "scale"));
  st->log_width = log(st->H * iota);
  if ((status = baseline_actions_init(&st->actions, problem, "rsq"))) return status;
  size_t n = (size_t)st->H * (size_t)st->S * (size_t)st->A, hs = (size_t)st->H * (size_t)st->S;
  st->visits = calloc(n, sizeof *st->visits);
  st->Q = malloc(n * sizeof *st->Q);
  st->log_bonus = malloc(n * sizeof *st->log_bonus);
  st->V = malloc((hs + (size_t)st->S) * sizeof *st->V);
  st->plan = malloc(hs * sizeof *st->plan);
  if (!st->visits || !st->Q || !st->log_bonus || !st->V || !st->plan)
    return tabrl_error(TABRL_ENOMEM, "rsq: out of memory for %zu Q values", n);
  for (int h = 0; h <= st->H; h++)
    for (int s = 0; s < st->S; s++) st->V[(size_t)h * st->S + s] = st->H - h;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++) {
        st->Q[qi(st, h, s, a)] = tabrl_problem_valid(problem, h, s, a) ? st->H - h : -INFINITY;
        st->log_bonus[qi(st, h, s, a)] = -INFINITY;
      }
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) st->plan[(size_t)h * st->S + s] = rsq_greedy(st, h, s);
  return 0;
}

/* The greedy action at (h, s): largest Q, then fewest visits, then the
 * lowest index. */
static int rsq_greedy(const rsq_state *st, int h, int s)
{
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s), best = list[0];
  for (int i = 1; i < n; i++) {
    size_t c = qi(st, h, s, list[i]), o = qi(st, h, s, best);
    if (st->Q[c] > st->Q[o] || (st->Q[c] == st->Q[o] && st->visits[c] < st->visits[o]))
      best = list[i];
  }
  return best;
}

static int rsq_act(void *state, int h, int s)
{
  const rsq_state *st = state;
  return st->plan[(size_t)h * st->S + s];
}

static int rsq_observe(void *state, int h, int s, int a, double reward, int next)
{
  rsq_state *st = state;
  size_t m = qi(st, h, s, a);
  long t = ++st->visits[m];
  double cap = st->H - h, alpha = (st->H + 1.0) / (st->H + (double)t);
  double x[2] = {st->Q[m], reward + st->V[(size_t)(h + 1) * st->S + next]};
  double w[2] = {1.0 - alpha, alpha};
  double q = tabrl_entropic_ce(st->b, 2, w, x);
  double log_bonus =
      st->log_c + tabrl_log_abs_expm1(st->b * cap) + 0.5 * (st->log_width - log((double)t));
  st->log_bonus[m] = log_bonus;
  st->Q[m] = tabrl_entropic_optimistic(st->b, q, log(alpha) + log_bonus, cap);
  int greedy = rsq_greedy(st, h, s), *planned = &st->plan[(size_t)h * st->S + s];
  st->V[(size_t)h * st->S + s] = st->Q[qi(st, h, s, greedy)];
  if (greedy != *planned) *planned = greedy, st->changes++;
  return 0;
}

static int rsq_policy(void *state, tabrl_policy *pi)
{
  const rsq_state *st = state;
  return tabrl_policy_from_plan(pi, st->plan, st->S, st->A, st->H, "rsq");
}

/* The committed policy's actions: policy() is one-hot at them. */
static int rsq_actions(void *state, int *action)
{
  const rsq_state *st = state;
  memcpy(action, st->plan, (size_t)st->H * (size_t)st->S * sizeof *action);
  return 0;
}

static unsigned long rsq_policy_version(const void *state)
{
  return ((const rsq_state *)state)->changes;
}

static double rsq_saturation(const void *state)
{
  const rsq_state *st = state;
  long visited = 0, saturated = 0;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++) {
        size_t m = qi(st, h, s, a);
        if (!st->visits[m]) continue;
        visited++;
        saturated += st->Q[m] >= st->H - h - 1e-9;
      }
  return visited ? (double)saturated / (double)visited : NAN;
}

static const tabrl_objective_type *const rsq_objectives[] = {&tabrl_objective_entropic, NULL};

const tabrl_algo_type tabrl_algo_rsq = {
    .name = "rsq",
    .family = "risk",
    .doc = "Risk-sensitive optimistic Q-learning on exp(b Q) for the entropic objective (b != 0)",
    .source = "Fei, Yang, Chen, Wang, Xie 2020 (NeurIPS, arXiv:2006.13827), Algorithm 2 (RSQ); "
              "step (H+1)/(H+t), bonus c |exp(b (H-h+1)) - 1| sqrt(H iota / t)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = rsq_params,
    .state_size = sizeof(rsq_state),
    .check = rsq_check,
    .objectives = rsq_objectives,
    .init = rsq_init,
    .release = rsq_release,
    .policy = rsq_policy,
    .actions = rsq_actions,
    .policy_version = rsq_policy_version,
    .act = rsq_act,
    .observe = rsq_observe,
    .saturation = rsq_saturation,
};

/* Test accessors: Q_h(s,a) and the bonus_t of its last update (exp
 * space, before the factor alpha_t; +inf beyond double range). */
double tabrl_rsq_value(const tabrl_algo *algo, int h, int s, int a)
{
  if (algo->type != &tabrl_algo_rsq) return NAN;
  const rsq_state *st = algo->state;
  return st->Q[qi(st, h, s, a)];
}

double tabrl_rsq_bonus(const tabrl_algo *algo, int h, int s, int a)
{
  if (algo->type != &tabrl_algo_rsq) return NAN;
  const rsq_state *st = algo->state;
  return exp(st->log_bonus[qi(st, h, s, a)]);
}
