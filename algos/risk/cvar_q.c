/* cvar-q: optimistic Q-learning for cvar:alpha on the stock-augmented
 * state.  tabrl's design; no paper gives this exact algorithm.  It puts
 * together
 *
 *  - the CVaR decomposition of Bauerle and Ott 2011 ("Markov decision
 *    processes with average-value-at-risk criteria", section 3, Theorem
 *    3.2) with Rockafellar and Uryasev 2002, Theorem 10:
 *      CVaR_alpha(G) = sup_c { c + max_pi E[-(c - G)^+] / alpha },
 *    where, for each threshold c, the inner problem is an MDP on (h, s, y),
 *    y the reward accumulated so far (the stock), with the terminal reward
 *    -(c - y_H)^+ and no other reward;
 *  - optimistic Q-learning (Jin, Allen-Zhu, Bubeck and Jordan 2018, "Is
 *    Q-learning provably efficient?", Algorithm 1: step alpha_t = (H + 1) /
 *    (H + t), eq. (4), a Hoeffding bonus, optimistic initial values) for
 *    each inner problem.
 * Wang, Kallus and Sun 2023 ("Near-minimax-optimal risk-sensitive RL with
 * CVaR", arXiv 2302.03201; only its abstract was read) learn the same
 * augmented (budget) problem model-based, by bonus-driven value iteration;
 * cvar-q is a model-free counterpart, not their algorithm.
 *
 * For every candidate threshold c (below) it keeps
 *   Q^c_h(s, u, a) ~ max E[-(c - G)^+ | s_h = s, y_h = u q, a_h = a],
 *   V^c_h(s, u) = min(0, max over valid a of Q^c_h(s, u, a)),
 *   V^c_H(s, u) = -(c - u q)^+,
 * all Q and V started at 0, an upper bound since -(c - y)^+ <= 0.
 *
 * Counterfactual updates.  The stock does not change the dynamics: the
 * observed (h, s, a, r, s') is a sample of the transition from (s, u, a)
 * to (s', u + r/q) for EVERY stock u, and it serves every c.  So each step
 * updates, for every c and every stock u of stage h's range
 * [h lo / H, h hi / H] (the stocks y_h can take; lo, hi from
 * tabrl/returns.h),
 *   Q^c_h(s, u, a) <- (1 - alpha_t) Q^c_h(s, u, a)
 *                     + alpha_t (V^c_{h+1}(s', u + r/q) + b^c_t),
 * with t the visit count of (h, s, a), shared by all (u, c): learning is as
 * fast, in samples, as Q-learning of the mean.  The bonus is Jin et al.'s
 * Hoeffding bonus for values of range D_c = (c - lo q)^+ instead of H:
 * b^c_t = scale 2 sqrt(2) D_c sqrt(H iota / t), iota = log(S K A |C| T /
 * delta), T = K_episodes H (optql.c derives the constant 2 sqrt(2) from
 * their Lemma 4.1 and Azuma-Hoeffding; the union runs over the K |C|
 * copies too).
 *
 * Thresholds C.  The CVaR optimum's c is an attained terminal stock, so
 * the candidates are the stocks lo..hi when there are at most `thresholds`
 * of them (exact); otherwise `thresholds` evenly spaced stocks from lo to
 * hi.  The best c may then fall between two candidates, and the
 * committed policy is only optimal for a nearby c: the regret may keep a
 * floor.  On RiverSwim(3), H = 4, cvar:0.3 (tests/test_cvar_q.c) the grid
 * misses the optimal c = 0.02 (8 candidates: 0, 0.57, 1.14, ...), yet
 * the final policy reaches the optimum: the inner policy of a candidate
 * can be CVaR-optimal without its c being the optimal one.
 *
 * Commitment.  The runner checks that act() follows the policy committed at
 * the start of the episode, and values that policy exactly in cvar:alpha.
 * The start state is drawn after begin_episode, and a stock policy's rows
 * past h = 0 are per (s, u), not per start state, so one c must serve the
 * whole episode: begin_episode picks
 *   c_k = argmax_c { c + sum_s n0(s) V^c_0(s, 0) / (alpha sum_s n0(s)) },
 * n0 the counts of the start states seen so far (uniform over the states
 * before the first episode; ties to the smallest c), the optimistic CVaR of
 * the empirical start law, and freezes the greedy actions of Q^{c_k} (ties
 * to the lowest action index) on every (h, s, u), unreachable rows
 * included.  act() reads that table at (h, s, the episode's stock, tracked
 * from observe() in quanta); Q keeps learning during the episode but acts
 * only from the next one.  So commits_per_episode = 1 and the regret is
 * J*_cvar - CVaR(pi_k), exact.
 *
 * Memory: Q holds H S K A |C| doubles; problems above CVAR_Q_MAX_VALUES are
 * refused when the experiment is read (the check hook), with the sizes
 * named (lower `thresholds` or the horizon); at most 255 actions (the
 * committed actions are bytes).  Time per step: O(K |C| A). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/actions.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_objective_type tabrl_objective_cvar;

/* Largest H S K A |C| (Q) held: 25M doubles, 200 MB. */
#define CVAR_Q_MAX_VALUES 25000000L

static const tabrl_param cvar_q_params[] = {
    {"thresholds", TABRL_INT, "64", "[2,100000]",
     "largest number of candidate thresholds c: every stock of the grid when it has at most "
     "this many (exact), else this many evenly spaced"},
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on the Hoeffding bonus 2 sqrt(2) D_c sqrt(H iota / t) (Jin et al. 2018, Alg. 1, "
     "for values of range D_c)"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)",
     "failure probability: iota = log(S K A |C| T / delta), T = K_episodes H"},
    {0},
};

typedef struct {
  int S, A, H;
  long K, lo, C; /* stocks lo..lo+K-1 (quanta), C thresholds */
  double q, alpha, coef;
  tabrl_stock_grid grid;
  baseline_actions actions;
  long *threshold;     /* C stocks, increasing */
  double *Q;           /* H S K C A */
  double *V;           /* H S K C: V^c_h(s, u) for h < H */
  long *visits;        /* H S A */
  long *starts;        /* S: start states seen */
  unsigned char *plan; /* H S K: the committed actions */
  long committed;      /* index of c_k */
  int fresh;           /* plan holds this episode's commitment */
  long stock;          /* the episode's stock so far (quanta) */
} cvar_q_state;

static void cvar_q_release(void *state)
{
  cvar_q_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->threshold);
  free(st->Q);
  free(st->V);
  free(st->visits);
  free(st->starts);
  free(st->plan);
}

/* (h, s, u) as an index of the H S K layers, u in quanta. */
static inline size_t hsu(const cvar_q_state *st, int h, int s, long u)
{
  return ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->K + (size_t)(u - st->lo);
}

/* The size limit, checked when an experiment is read (tabrl_algo_check)
 * and again by init.  No grid: the protocol's own check refuses it. */
static int cvar_q_check(const tabrl_problem *problem, const tabrl_values *params)
{
  const tabrl_stock_grid *g = problem->stock;
  if (!g) return 0;
  long want = tabrl_values_int(params, "thresholds"), C = g->K <= want ? g->K : want;
  if ((double)problem->horizon * problem->S * (double)g->K * problem->A * (double)C >
      (double)CVAR_Q_MAX_VALUES)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "cvar-q: H S K A |C| = %d x %d x %ld x %d x %ld Q values, above the limit "
                       "%ld: lower thresholds or the horizon",
                       problem->horizon, problem->S, g->K, problem->A, C, CVAR_Q_MAX_VALUES);
  if (problem->A > 255) return tabrl_error(TABRL_EUNSUPPORTED, "cvar-q: at most 255 actions");
  return 0;
}

static int cvar_q_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  cvar_q_state *st = state;
  int status;
  if (!problem->stock) return tabrl_error(TABRL_EINVAL, "cvar-q needs a cvar objective");
  st->grid = *problem->stock;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->K = st->grid.K;
  st->lo = st->grid.lo;
  st->q = st->grid.quantum;
  st->alpha = problem->objective->param;
  if ((status = cvar_q_check(problem, params))) return status;
  long want = tabrl_values_int(params, "thresholds");
  st->C = st->K <= want ? st->K : want;
  double layers = (double)st->H * st->S * (double)st->K;
  double episodes = problem->episodes > 0 ? (double)problem->episodes : 1.0;
  double iota = log((double)st->S * (double)st->K * st->A * (double)st->C * episodes * st->H /
                    tabrl_values_double(params, "delta"));
  st->coef = tabrl_values_double(params, "scale") * 2.0 * sqrt(2.0) * sqrt(st->H * iota);
  if ((status = baseline_actions_init(&st->actions, problem, "cvar-q"))) return status;
  size_t n = (size_t)layers;
  st->threshold = malloc((size_t)st->C * sizeof *st->threshold);
  st->Q = calloc(n * (size_t)st->C * (size_t)st->A, sizeof *st->Q);
  st->V = calloc(n * (size_t)st->C, sizeof *st->V);
  st->visits = calloc((size_t)st->H * (size_t)st->S * (size_t)st->A, sizeof *st->visits);
  st->starts = calloc((size_t)st->S, sizeof *st->starts);
  st->plan = malloc(n);
  if (!st->threshold || !st->Q || !st->V || !st->visits || !st->starts || !st->plan)
    return tabrl_error(TABRL_ENOMEM, "cvar-q: out of memory for %zu Q values",
                       n * (size_t)st->C * (size_t)st->A);
  for (long j = 0; j < st->C; j++) /* exact when C = K: every stock */
    st->threshold[j] =
        st->lo + (st->C == st->K ? j : lround((double)j * (st->K - 1) / (double)(st->C - 1)));
  return 0;
}

/* The greedy valid action of Q^c_h(s, u, .), lowest index on ties. */
static int greedy(const cvar_q_state *st, int h, int s, long u, long c)
{
  const double *Q = st->Q + (hsu(st, h, s, u) * (size_t)st->C + (size_t)c) * (size_t)st->A;
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s), best = list[0];
  for (int i = 1; i < n; i++)
    if (Q[list[i]] > Q[best]) best = list[i];
  return best;
}

/* c_k and its greedy actions on every (h, s, u). */
static void commit(cvar_q_state *st)
{
  long seen = 0, best = 0;
  double best_score = -INFINITY;
  for (int s = 0; s < st->S; s++) seen += st->starts[s];
  for (long j = 0; j < st->C; j++) {
    double mixed = 0;
    for (int s = 0; s < st->S; s++) {
      double weight = seen ? (double)st->starts[s] / (double)seen : 1.0 / st->S;
      mixed += weight * st->V[hsu(st, 0, s, 0) * (size_t)st->C + (size_t)j];
    }
    double score = (double)st->threshold[j] * st->q + mixed / st->alpha;
    if (score > best_score) best_score = score, best = j;
  }
  st->committed = best;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (long u = st->lo; u < st->lo + st->K; u++)
        st->plan[hsu(st, h, s, u)] = (unsigned char)greedy(st, h, s, u, best);
  st->fresh = 1;
}

static int cvar_q_begin_episode(void *state, long k)
{
  (void)k;
  commit(state);
  return 0;
}

static int cvar_q_end_episode(void *state, long k)
{
  cvar_q_state *st = state;
  (void)k;
  st->fresh = 0;
  return 0;
}

static int cvar_q_policy(void *state, tabrl_policy *pi)
{
  cvar_q_state *st = state;
  if (!st->fresh) commit(st); /* between episodes: the next commitment */
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (long u = st->lo; u < st->lo + st->K; u++) {
        double *row = tabrl_policy_row(pi, h, (int)tabrl_stock_index(&st->grid, s, u));
        memset(row, 0, (size_t)st->A * sizeof *row);
        row[st->plan[hsu(st, h, s, u)]] = 1.0;
      }
  return 0;
}

static int cvar_q_act(void *state, int h, int s)
{
  cvar_q_state *st = state;
  if (h == 0) {
    if (!st->fresh) commit(st);
    st->stock = 0;
  }
  long u = st->stock < st->lo            ? st->lo
           : st->stock >= st->lo + st->K ? st->lo + st->K - 1
                                         : st->stock;
  return st->plan[hsu(st, h, s, u)];
}

static int cvar_q_observe(void *state, int h, int s, int a, double reward, int next)
{
  cvar_q_state *st = state;
  const long H = st->H, du = tabrl_stock_units(&st->grid, reward);
  const size_t C = (size_t)st->C, A = (size_t)st->A;
  long *visits = &st->visits[((size_t)h * (size_t)st->S + (size_t)s) * A + (size_t)a];
  if (h == 0) st->starts[s]++, st->stock = 0;
  st->stock += du;
  double t = (double)++*visits, step = (H + 1.0) / (H + t), root = st->coef / sqrt(t);
  /* Stage h's stocks: h umin .. h umax with lo = H umin, hi = H umax. */
  long from = (long)h * (st->lo / H), to = (long)h * ((st->lo + st->K - 1) / H);
  for (long u = from; u <= to; u++) {
    long v = u + du; /* in stage h+1's range, hence on the grid */
    double *Q = st->Q + hsu(st, h, s, u) * C * A;
    double *V = st->V + hsu(st, h, s, u) * C;
    const double *next_V = h + 1 < H ? st->V + hsu(st, h + 1, next, v) * C : NULL;
    const int *list = baseline_actions_list(&st->actions, h, s);
    int n = baseline_actions_count(&st->actions, h, s);
    for (size_t j = 0; j < C; j++) {
      double c = (double)st->threshold[j] * st->q, range = fmax(0.0, c - (double)st->lo * st->q);
      double target = next_V ? next_V[j] : fmin(0.0, (double)v * st->q - c);
      Q[j * A + (size_t)a] = (1.0 - step) * Q[j * A + (size_t)a] + step * (target + root * range);
      double best = Q[j * A + (size_t)list[0]];
      for (int i = 1; i < n; i++) best = fmax(best, Q[j * A + (size_t)list[i]]);
      V[j] = fmin(0.0, best);
    }
  }
  return 0;
}

static const tabrl_objective_type *const cvar_q_objectives[] = {&tabrl_objective_cvar, NULL};

const tabrl_algo_type tabrl_algo_cvar_q = {
    .name = "cvar-q",
    .family = "risk",
    .doc = "CVaR Q-learning on the stock-augmented state: optimistic Q-learning of E[-(c - G)^+] "
           "for every candidate threshold c, one transition updating every (stock, c); each "
           "episode commits to the optimistic best c",
    .source = "tabrl's design: Bauerle and Ott 2011, section 3, Thm. 3.2 (augmentation); Jin, "
              "Allen-Zhu, Bubeck, Jordan 2018, Algorithm 1, eq. (4) (Q-learning, bonus)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = cvar_q_params,
    .state_size = sizeof(cvar_q_state),
    .objectives = cvar_q_objectives,
    .stock_policies = 1,
    .check = cvar_q_check,
    .init = cvar_q_init,
    .release = cvar_q_release,
    .policy = cvar_q_policy,
    .begin_episode = cvar_q_begin_episode,
    .act = cvar_q_act,
    .observe = cvar_q_observe,
    .end_episode = cvar_q_end_episode,
};
