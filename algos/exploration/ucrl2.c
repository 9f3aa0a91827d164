/* ucrl2: optimism over L1 confidence sets, episodic finite-horizon form.
 *
 * Jaksch, Ortner and Auer (2010), "Near-optimal regret bounds for
 * reinforcement learning", JMLR 11, Figure 1 (UCRL2) and Figure 2 (the inner
 * maximisation of extended value iteration).  The plausible MDPs at the
 * start of episode k, t_k = (steps so far) + 1, are those with, for every
 * visited (s,a) and N = max(1, N_k(s,a)),
 *
 *   |r~(s,a) - r^(s,a)|        <= sqrt(7 log(2 S A t_k / delta) / (2 N))   (eq. 3)
 *   ||p~(.|s,a) - p^(.|s,a)||_1 <= sqrt(14 S log(2 A t_k / delta) / N)     (eq. 4)
 *
 * (7/2 = 3.5), each radius multiplied by `scale` (1 = the paper).  UCRL2 is
 * stated for average reward with its own doubling episodes; in the episodic
 * setting the episodes are given, and we replan at the end of every one
 * (commits_per_episode = 1) by backward induction instead of extended value
 * iteration to convergence:
 *
 *   Q_h(s,a) = min(H - h, r~(h,s,a) + max_{p in ball} sum_s' p(s') V_{h+1}(s')),
 *   r~ = min(1, r^ + radius),  V_h(s) = max over valid a of Q_h(s,a),  V_H = 0.
 *
 * Rewards are assumed in [0,1], as in the paper, so r~ is capped at 1 (the
 * plausible set holds only rewards in [0,1]) and then the cap at H - h only
 * guards rounding.  The `clip` parameter (stage: H - h, the default;
 * horizon: H) is the one the other optimistic algorithms have: the paper
 * (average reward, extended value iteration) has no cap, and every
 * plausible MDP's value from stage h is at most H - h, so stage is the cap
 * its confidence set implies; horizon never binds.  Counts pool over h by
 * default (stationary = true, the paper's time-homogeneous model).
 * stationary = false keeps stage-dependent counts, for stage-dependent
 * models: the union bound then runs over H S A pairs instead of S A, so A
 * becomes H A inside both logarithms.  An unvisited pair has no estimate:
 * its plausible set is every reward in [0,1] and every distribution, so
 * r~ = 1 and p puts all its mass on the best next state (whatever `scale`).
 *
 * The inner max over the L1 ball (Figure 2): sort the next states by
 * V_{h+1} descending; p(s'_1) = min(1, p^(s'_1) + d/2) on the best one, then
 * take the added mass back from the worst states, in increasing V order,
 * until p sums to 1.  Only states with p^ > 0 can give mass, so a block
 * costs O(n log n) for its n observed next states, and a planning pass
 * O(H S log S + H nnz log S) -- never O(H S^2 A).
 *
 * Ties.  UCRL2 is deterministic: it draws nothing, and the plan is a fixed
 * function of the observed history, computed as follows.  The ranking of
 * the next states sorts V_{h+1} descending, equal values by increasing
 * state index (so among equal V the highest index gives mass first).  The
 * Q of a visited pair is the double
 *   min(H - h, min(1, r~) + v),
 *   v = sum_i (n_i / N) V_{h+1}(s'_i)   over its observed next states in the
 *       order each was first observed from this block,
 *     + added V_{h+1}(best),  added = min(d/2, 1 - p^(best)),
 *     - take_i V_{h+1}(s'_i) for the observed s'_i != best in increasing V
 *       rank (worst first), take_i = min(p^(s'_i), what is left to remove),
 * each operation rounded in that order; an unvisited pair's Q is
 * min(H - h, 1 + V_{h+1}(best)).  The plan at (h, s) is the lowest valid
 * action whose double Q equals the largest double Q (algos/common/backward.h
 * keeps the first strict maximum).  So only bitwise-equal Q values go to
 * the lowest index -- at the clip H - h, between unvisited pairs, or
 * between pairs whose sums round alike.  Two actions whose Q are equal in
 * exact arithmetic but are reached by different sums (different visit
 * counts, first-observation orders or removal steps) can differ in the last
 * bits, and then the rounding decides.  It matters: on RiverSwim(6),
 * H = 20, seed 0, 300 episodes, sending Q within a relative 1e-9 of the
 * maximum to the lowest index changes the value of the committed policy in
 * 237 of the 300 episodes (the first at episode 30), though the cumulative
 * regret barely moves (1013 against 1014).  We keep the rule above, which
 * every shipped result was computed with.
 *
 * `delta` = 0.1 by default: the paper's bounds hold with probability
 * 1 - delta for any delta in (0,1) and fix none, so `delta` is a run-level
 * failure probability, as for ucbvi and optql.  Optimism (V_h >= V*_h for
 * every h, s) holds whenever the true model lies in the sets.
 *
 * Verification: the reward radius sqrt(7 log(2 S A t / delta) / (2 N))
 * agrees with an independent public UCRL2 implementation (MATLAB); that
 * one's transition radius is sqrt(14 log(2 S A t / delta) / N), without
 * our factor S and with S A inside the log, so it does not confirm eq. (4)
 * as written here.  The transition radius, the figure and equation numbers
 * (Figure 1, eq. (3)-(4), Figure 2) are as this file was first written and
 * are not verified against the paper's text, which the stored copies
 * searched for this check did not hold. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/backward.h"
#include "common/empirical.h"
#include "protocol/testing.h"

static const tabrl_param ucrl2_params[] = {
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)",
     "run-level failure probability: delta in the radii of eq. (3)/(4); the regret bound holds "
     "w.p. 1 - delta (Jaksch et al. 2010)"},
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on both confidence radii (1 = the paper's constants 7/2 and 14)"},
    {"stationary", TABRL_BOOL, "true", NULL,
     "pool the counts over stages h (time-homogeneous MDP, as in the paper)"},
    {"clip", TABRL_CHOICE, "stage", TABRL_CLIP_CHOICES,
     "cap on Q_h: stage = H - h, the largest value of a plausible MDP (rewards in [0,1]; the "
     "paper has no cap); horizon = H, which then never binds"},
    {0},
};

/* An observed next state of a block, with its V_{h+1} rank (0 = best). */
typedef struct {
  int rank, next;
  double prob;
} ucrl2_mass;

typedef struct {
  double value;
  int state;
} ucrl2_ranked;

typedef struct {
  tabrl_problem problem;
  int S, A, H, stages, clip;
  double delta, scale;
  tabrl_empirical model;
  long steps;           /* transitions observed: t_k = steps + 1 */
  double *V;            /* (H+1)*S optimistic values */
  int *plan;            /* H*S */
  ucrl2_ranked *ranked; /* S: V_{h+1} sorted descending */
  int *rank;            /* S: position of each state in ranked */
  ucrl2_mass *mass;     /* S: the observed next states of one block */
} ucrl2_state;

static int by_value_descending(const void *x, const void *y)
{
  const ucrl2_ranked *a = x, *b = y;
  if (a->value != b->value) return a->value > b->value ? -1 : 1;
  return (a->state > b->state) - (a->state < b->state);
}

static int worst_first(const void *x, const void *y)
{
  const ucrl2_mass *a = x, *b = y;
  return (a->rank < b->rank) - (a->rank > b->rank);
}

/* Figure 2 of Jaksch et al.: max of sum p V over the L1 ball of the given
 * radius around p^, whose n support points are in mass (reordered here);
 * best is the state of largest V.  When p is not NULL (S zeros on entry)
 * the maximiser is written into it. */
static double l1_optimistic(ucrl2_mass *mass, int n, const double *V, int best, double radius,
                            double *p)
{
  double p_best = 0, value = 0, added, to_remove;
  for (int i = 0; i < n; i++) {
    value += mass[i].prob * V[mass[i].next];
    if (mass[i].next == best) p_best = mass[i].prob;
    if (p) p[mass[i].next] = mass[i].prob;
  }
  added = fmin(radius / 2, 1 - p_best);
  if (added <= 0) return value;
  value += added * V[best];
  if (p) p[best] += added;
  qsort(mass, (size_t)n, sizeof *mass, worst_first);
  to_remove = added;
  for (int i = 0; i < n && to_remove > 0; i++) {
    if (mass[i].next == best) continue;
    double take = fmin(mass[i].prob, to_remove);
    value -= take * V[mass[i].next];
    if (p) p[mass[i].next] -= take;
    to_remove -= take;
  }
  return value;
}

static void ucrl2_release(void *state)
{
  ucrl2_state *st = state;
  tabrl_empirical_free(&st->model);
  free(st->V);
  free(st->plan);
  free(st->ranked);
  free(st->rank);
  free(st->mass);
}

/* The hooks of extended value iteration (algos/common/backward.h); ctx is
 * a ucrl2_backup. */
typedef struct {
  ucrl2_state *st;
  int S, H, clip; /* by value: registers across the calls of the loop */
  double scale;
  double log_p, log_r; /* the logarithms of eq. (4) and (3) */
  int best_next;       /* the state of largest V_{h+1} */
} ucrl2_backup;

/* Ranks the next states by V_{h+1}, descending, for Figure 2. */
static void ucrl2_stage(void *ctx, int h, const double *next_V)
{
  ucrl2_backup *c = ctx;
  ucrl2_state *st = c->st;
  const int S = st->S;
  (void)h;
  for (int s = 0; s < S; s++) st->ranked[s] = (ucrl2_ranked){next_V[s], s};
  qsort(st->ranked, (size_t)S, sizeof *st->ranked, by_value_descending);
  for (int i = 0; i < S; i++) st->rank[st->ranked[i].state] = i;
  c->best_next = st->ranked[0].state;
}

static double ucrl2_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const ucrl2_backup *c = ctx;
  ucrl2_state *st = c->st;
  const int S = c->S, H = c->H;
  const tabrl_empirical *e = &st->model;
  double q;
  size_t b = tabrl_empirical_block(e, h, s, a);
  long visits = e->visits[b];
  if (visits == 0) {
    q = 1.0 + next_V[c->best_next];
  } else {
    double n = (double)visits;
    double r = tabrl_empirical_mean_reward(e, b) + c->scale * sqrt(3.5 * c->log_r / n);
    double radius = c->scale * sqrt(14.0 * S * c->log_p / n);
    int k = e->n_next[b];
    for (int i = 0; i < k; i++)
      st->mass[i] = (ucrl2_mass){st->rank[e->next[b][i].next], e->next[b][i].next,
                                 (double)e->next[b][i].count / n};
    q = fmin(1.0, r) + l1_optimistic(st->mass, k, next_V, c->best_next, radius, NULL);
  }
  return fmin(q, c->clip == TABRL_CLIP_HORIZON ? (double)H : (double)(H - h));
}

static int ucrl2_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_problem_valid(&((const ucrl2_backup *)ctx)->st->problem, h, s, a);
}

static const tabrl_backup_hooks ucrl2_hooks = {
    .backup = ucrl2_q, .valid = ucrl2_valid, .stage = ucrl2_stage};

/* Extended value iteration by backward induction into V and plan. */
static void plan_optimistic(ucrl2_state *st)
{
  const int S = st->S, A = st->A, H = st->H;
  double t = (double)st->steps + 1.0;
  double pairs_A = (double)A * (double)st->stages; /* A, or H A for stage-dependent counts */
  ucrl2_backup c = {.st = st,
                    .S = S,
                    .H = H,
                    .clip = st->clip,
                    .scale = st->scale,
                    .log_p = log(2.0 * pairs_A * t / st->delta),
                    .log_r = log(2.0 * (double)S * pairs_A * t / st->delta)};
  tabrl_backward_out into = {.S = S, .A = A, .H = H, .V = st->V, .plan = st->plan};
  tabrl_backward(&ucrl2_hooks, &c, &into);
}

static int ucrl2_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  ucrl2_state *st = state;
  int status;
  st->problem = *problem;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->delta = tabrl_values_double(params, "delta");
  st->scale = tabrl_values_double(params, "scale");
  st->clip = tabrl_values_choice(params, "clip");
  st->stages = tabrl_values_bool(params, "stationary") ? 1 : st->H;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      int any = 0;
      for (int a = 0; a < st->A && !any; a++) any = tabrl_problem_valid(problem, h, s, a);
      if (!any)
        return tabrl_error(TABRL_EINVAL, "ucrl2: no valid action at stage %d, state %d", h, s);
    }
  if ((status = tabrl_empirical_init(&st->model, st->S, st->A, st->stages))) return status;
  st->V = malloc((size_t)(st->H + 1) * (size_t)st->S * sizeof *st->V);
  st->plan = malloc((size_t)st->H * (size_t)st->S * sizeof *st->plan);
  st->ranked = malloc((size_t)st->S * sizeof *st->ranked);
  st->rank = malloc((size_t)st->S * sizeof *st->rank);
  st->mass = malloc((size_t)st->S * sizeof *st->mass);
  if (!st->V || !st->plan || !st->ranked || !st->rank || !st->mass)
    return tabrl_error(TABRL_ENOMEM, "ucrl2: out of memory (S = %d, A = %d, H = %d)", st->S, st->A,
                       st->H);
  plan_optimistic(st);
  return 0;
}

static int ucrl2_policy(void *state, tabrl_policy *pi)
{
  const ucrl2_state *st = state;
  return tabrl_policy_from_plan(pi, st->plan, st->S, st->A, st->H, "ucrl2");
}

/* The committed policy's actions: policy() is one-hot at them. */
static int ucrl2_committed_actions(void *state, int *action)
{
  const ucrl2_state *st = state;
  memcpy(action, st->plan, (size_t)st->H * (size_t)st->S * sizeof *action);
  return 0;
}

static int ucrl2_act(void *state, int h, int s)
{
  const ucrl2_state *st = state;
  return st->plan[(size_t)h * st->S + s];
}

static int ucrl2_observe(void *state, int h, int s, int a, double reward, int next)
{
  ucrl2_state *st = state;
  st->steps++;
  return tabrl_empirical_add(&st->model, h, s, a, reward, next);
}

static int ucrl2_end_episode(void *state, long k)
{
  ucrl2_state *st = state;
  (void)k;
  plan_optimistic(st);
  return 0;
}

const tabrl_algo_type tabrl_algo_ucrl2 = {
    .name = "ucrl2",
    .family = "exploration",
    .doc = "Optimism over L1 confidence sets: extended value iteration by backward induction",
    .source = "Jaksch, Ortner, Auer 2010 (JMLR), Figure 1 (UCRL2), eq. (3)-(4), Figure 2 (inner "
              "max of extended value iteration)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = ucrl2_params,
    .state_size = sizeof(ucrl2_state),
    .init = ucrl2_init,
    .release = ucrl2_release,
    .policy = ucrl2_policy,
    .actions = ucrl2_committed_actions,
    .act = ucrl2_act,
    .observe = ucrl2_observe,
    .end_episode = ucrl2_end_episode,
};

/* For the tests (no public header). */

/* The optimistic values V_h(s) of the current plan, (H+1)*S; NULL for
 * another type. */
const double *tabrl_ucrl2_values(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_ucrl2) return NULL;
  return ((const ucrl2_state *)algo->state)->V;
}

/* Figure 2 on a dense p^ (S <= 64 values summing to 1): the maximiser into
 * p and its value sum p V. */
double tabrl_ucrl2_inner_max(int S, const double *p_hat, const double *V, double radius, double *p)
{
  ucrl2_ranked ranked[64];
  ucrl2_mass mass[64];
  int rank[64], n = 0;
  if (S < 1 || S > 64) return NAN;
  for (int s = 0; s < S; s++) ranked[s] = (ucrl2_ranked){V[s], s};
  qsort(ranked, (size_t)S, sizeof *ranked, by_value_descending);
  for (int i = 0; i < S; i++) rank[ranked[i].state] = i;
  for (int s = 0; s < S; s++) {
    p[s] = 0.0;
    if (p_hat[s] > 0) mass[n++] = (ucrl2_mass){rank[s], s, p_hat[s]};
  }
  return l1_optimistic(mass, n, V, ranked[0].state, radius, p);
}
