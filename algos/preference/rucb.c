/* rucb: Relative Upper Confidence Bound (Zoghi, Whiteson, Munos and de
 * Rijke, "Relative Upper Confidence Bound for the K-Armed Dueling Bandit
 * Problem", ICML 2014, Algorithm 1).  Only the abstract and the first page
 * of the paper could be read here; the algorithm box is implemented as
 * published in the ICML version (lines cited below from memory of it, so a
 * reader should check them against the paper).
 *
 * K-armed: one state, horizon 1, arm = action.  W = [w_ij], w_ij the number
 * of duels arm i won against arm j.  In round t (the episode k):
 *   U = W / (W + W^T) + sqrt(alpha ln t / (W + W^T)), x / 0 := 1, u_ii = 1/2
 *   C = {c : u_cj >= 1/2 for all j}; C empty: c uniform over all arms
 *   B <- B ∩ C; |C| = 1: B <- C, c its element; |C| > 1: c drawn from C
 *     with p(c) = 1/2 if c in B, 1 / (2^|B| |C \ B|) otherwise
 *   d = argmax_j u_jc, ties broken uniformly, and d != c among ties
 *   duel (c, d): c is the first proposal, d the second
 * alpha > 1/2 (Theorem 1's condition); the paper's experiments use 0.51.
 *
 * The runner values a duel by the mean of the two arms' exact values: the
 * average (weak) dueling regret (Delta(c) + Delta(d)) / 2 per round.
 * policy() recommends the empirical Copeland winner (the arm that beats,
 * w_ij > w_ji, the most others; ties to the lower index): the arm that would
 * be the Condorcet winner of the empirical preference matrix if there is
 * one.  This recommendation is not part of Algorithm 1. */
#include <math.h>
#include <stdlib.h>
#include "common/actions.h"
#include "protocol/testing.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

static const tabrl_param rucb_params[] = {
    {"alpha", TABRL_DOUBLE, "0.51", "(0.5,inf)",
     "exploration alpha of the bound sqrt(alpha ln t / n) (Theorem 1: > 1/2)"},
    {0},
};

typedef struct {
  int K;
  double alpha;
  double *W; /* K x K: W[i K + j] = wins of i over j */
  double *U; /* K x K scratch */
  int *C, *ties;
  int best; /* B: -1 when empty */
  tabrl_pcg32 *rng;
} rucb_state;

static void rucb_release(void *state)
{
  rucb_state *st = state;
  free(st->W);
  free(st->U);
  free(st->C);
  free(st->ties);
}

static int rucb_check(const tabrl_problem *p, const tabrl_values *params)
{
  (void)params;
  if (p->S != 1 || p->horizon != 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "rucb is a K-armed dueling bandit: it needs one state and horizon = 1, "
                       "e.g. env = bandit; this problem has %d states, horizon %d",
                       p->S, p->horizon);
  if (p->valid)
    for (int a = 0; a < p->A; a++)
      if (!tabrl_problem_valid(p, 0, 0, a))
        return tabrl_error(TABRL_EUNSUPPORTED, "rucb needs every arm valid; arm %d is not", a);
  return 0;
}

static int rucb_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  rucb_state *st = state;
  int status;
  if ((status = rucb_check(problem, params)) || (status = baseline_rng(problem, &st->rng, "rucb")))
    return status;
  st->K = problem->A;
  st->alpha = tabrl_values_double(params, "alpha");
  st->best = -1;
  size_t K = (size_t)st->K;
  st->W = calloc(K * K, sizeof *st->W);
  st->U = malloc(K * K * sizeof *st->U);
  st->C = malloc(K * sizeof *st->C);
  st->ties = malloc(K * sizeof *st->ties);
  if (!st->W || !st->U || !st->C || !st->ties) return tabrl_error(TABRL_ENOMEM, "out of memory");
  return 0;
}

/* u_ij in round t. */
static double bound(const rucb_state *st, int i, int j, long t)
{
  if (i == j) return 0.5;
  double wij = st->W[i * st->K + j], n = wij + st->W[j * st->K + i];
  if (n == 0) return 1.0;
  return wij / n + sqrt(st->alpha * log((double)t) / n);
}

/* One of the n entries of list, uniformly. */
static int pick(rucb_state *st, const int *list, int n)
{
  return list[tabrl_pcg32_below(st->rng, (uint32_t)n)];
}

static int rucb_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  rucb_state *st = state;
  int K = st->K, nc = 0, c;
  for (int i = 0; i < K; i++)
    for (int j = 0; j < K; j++) st->U[i * K + j] = bound(st, i, j, k);
  for (int i = 0; i < K; i++) {
    int champion = 1;
    for (int j = 0; j < K && champion; j++) champion = st->U[i * K + j] >= 0.5;
    if (champion) st->C[nc++] = i;
  }
  /* B <- B ∩ C */
  int in_c = 0;
  for (int i = 0; i < nc; i++) in_c |= st->C[i] == st->best;
  if (!in_c) st->best = -1;
  if (nc == 0) {
    c = (int)tabrl_pcg32_below(st->rng, (uint32_t)K);
  } else if (nc == 1) {
    c = st->best = st->C[0];
  } else if (st->best >= 0 && tabrl_pcg32_uniform(st->rng) < 0.5) {
    c = st->best; /* p(c) = 1/2 for the one element of B */
  } else {
    /* uniform over C \ B: 1/2 of the mass when |B| = 1, all of it when 0 */
    int n = 0;
    for (int i = 0; i < nc; i++)
      if (st->C[i] != st->best) st->C[n++] = st->C[i];
    c = pick(st, st->C, n);
  }
  double top = -1;
  int nt = 0;
  for (int j = 0; j < K; j++) {
    double u = st->U[j * K + c];
    if (u > top) {
      top = u;
      nt = 0;
    }
    if (u == top) st->ties[nt++] = j;
  }
  /* among ties d != c */
  if (nt > 1) {
    int n = 0;
    for (int i = 0; i < nt; i++)
      if (st->ties[i] != c) st->ties[n++] = st->ties[i];
    nt = n;
  }
  int d = pick(st, st->ties, nt);
  tabrl_policy_set_action(first, 0, 0, c);
  tabrl_policy_set_action(second, 0, 0, d);
  return 0;
}

static int rucb_feedback(void *state, const tabrl_step *first, const tabrl_step *second,
                         int horizon, int prefer_first)
{
  rucb_state *st = state;
  (void)horizon;
  int i = first[0].a, j = second[0].a;
  if (i == j) return 0; /* u_ii = 1/2 whatever the outcome */
  if (prefer_first)
    st->W[i * st->K + j] += 1;
  else
    st->W[j * st->K + i] += 1;
  return 0;
}

static int rucb_policy(void *state, tabrl_policy *pi)
{
  rucb_state *st = state;
  int K = st->K, best = 0, best_score = -1;
  for (int i = 0; i < K; i++) {
    int score = 0;
    for (int j = 0; j < K; j++) score += st->W[i * K + j] > st->W[j * K + i];
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  tabrl_policy_set_action(pi, 0, 0, best);
  return 0;
}

const tabrl_algo_type tabrl_algo_rucb = {
    .name = "rucb",
    .family = "preference",
    .doc = "Relative UCB for K-armed dueling bandits: a champion from optimistic pairwise "
           "bounds, its strongest optimistic challenger",
    .source = "Zoghi, Whiteson, Munos, de Rijke 2014, Relative Upper Confidence Bound for the "
              "K-Armed Dueling Bandit Problem, ICML, Algorithm 1",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = rucb_params,
    .state_size = sizeof(rucb_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = rucb_check,
    .init = rucb_init,
    .release = rucb_release,
    .policy = rucb_policy,
    .propose = rucb_propose,
    .feedback = rucb_feedback,
};

double tabrl_rucb_bound(const tabrl_algo *algo, int i, int j, long t)
{
  if (algo->type != &tabrl_algo_rucb) return NAN;
  const rucb_state *st = algo->state;
  if (i < 0 || j < 0 || i >= st->K || j >= st->K || t < 1) return NAN;
  return bound(st, i, j, t);
}
