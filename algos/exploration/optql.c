/* optql: optimistic Q-learning with UCB bonuses.
 *
 * Jin, Allen-Zhu, Bubeck and Jordan (2018), "Is Q-learning provably
 * efficient?", NeurIPS (arXiv:1807.03765).  After the t-th visit of
 * (h, s, a) with reward r and next state s':
 *
 *   Q_h(s,a) <- (1 - alpha_t) Q_h(s,a) + alpha_t (r + V_{h+1}(s') + b_t),
 *   V_h(s)   <- min(C_h, max over valid a' of Q_h(s,a')),   V_H = 0,
 *
 * alpha_t = (H + 1) / (H + t) (their eq. (4)), Q_h and V_h initialised to
 * C_h; C_h is the `clip` parameter: horizon (the default), C_h = H as the
 * paper writes it; stage, C_h = H - h, the largest return from stage h.
 * iota = log(S A T / p), T = K H (p = `delta`).
 *
 *  hoeffding (Algorithm 1, Theorem 1): b_t = c sqrt(H^3 iota / t).
 *  bernstein (Algorithm 2, Theorem 2, eq. (7)):
 *      beta_t = min{ c1 ( sqrt(H/t (W_t + H) iota) + sqrt(H^7 S A) iota / t ),
 *                    c2 sqrt(H^3 iota / t) },
 *      b_t = (beta_t - (1 - alpha_t) beta_{t-1}) / (2 alpha_t),  beta_0 = 0,
 *    where W_t = mu2/t - (mu/t)^2 is the empirical variance of the values
 *    V_{h+1}(s') seen at the t visits (running sums mu, mu2 of V_{h+1}(s')
 *    at the time of each visit, as the paper's Algorithm 2 keeps them;
 *    clamped at 0 against rounding).  This b_t makes sum_i alpha_t^i b_i =
 *    beta_t / 2 exactly.  Not verified against the paper's text: the form
 *    of W_t (the values V_{h+1}(s') as they were at each visit, not the
 *    current V_{h+1} re-evaluated at the visited s'), eq. (7) and the
 *    equation and lemma numbers cited in this header are as this file was
 *    first written; the copies of the paper that could be searched for this
 *    check gave only its abstract and introduction.
 *
 * The constants.  The paper proves both theorems "for some absolute
 * constant c" (c1, c2) without a value; we take the smallest value its
 * proof of Lemma 4.3 supports.  Optimism needs sum_i alpha_t^i b_i to cover
 * the Azuma-Hoeffding deviation of sum_i alpha_t^i (V*(s'_i) - P V*), whose
 * terms are bounded by alpha_t^i H with sum_i (alpha_t^i)^2 <= 2H/t (Lemma
 * 4.1 b): |dev| <= sqrt(2 (2 H^3 / t) log(2/p')) = 2 sqrt(H^3 log(2/p') / t),
 * with p' = p / (S A T) for the union over (s, a, h, t), so log(2/p') =
 * iota + ln 2 <= 2 iota.  Since sum_i alpha_t^i / sqrt(i) >= 1/sqrt(t)
 * (Lemma 4.1 a), c = 2 sqrt(2) suffices: default c = 2 sqrt(2).  For the
 * Bernstein form sum_i alpha_t^i b_i = beta_t / 2, so its Hoeffding cap
 * needs c2 = 2c = 4 sqrt(2); we take c1 = c2 (the paper does not fix c1; its
 * Freedman term carries the same sqrt(2 * 2H/t * Var * log) factor).  With
 * these constants the Bernstein branch is the smaller only once
 * t >~ H^4 S A iota (Theorem 2 is an asymptotic statement): for RiverSwim(6),
 * H = 20 that is millions of visits, so both forms act alike on small runs.
 * `scale` multiplies c (and c1, c2).
 *
 * Counts t are one array of H S A visit counts: the shared empirical model
 * (algos/common/empirical.h) would also keep next-state lists no update
 * reads, a quarter of an episode at S = 1000.  Actions are
 * greedy in Q_h(s, .) with ties to the lowest action index (the paper's
 * argmax has no tie rule; this one is reproducible without a random
 * stream).  Q changes after every step, so commits_per_episode = 0 and the
 * runner scores the realized return; policy() is the greedy policy of the
 * current Q, i.e. what act() would do now. */
#include <math.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/backward.h"
#include "protocol/testing.h"

enum { BONUS_HOEFFDING, BONUS_BERNSTEIN };

static const tabrl_param optql_params[] = {
    {"bonus", TABRL_CHOICE, "hoeffding", "hoeffding|bernstein",
     "hoeffding: c sqrt(H^3 iota / t) (Jin et al. 2018, Alg. 1); bernstein: the variance-aware "
     "beta_t of Alg. 2"},
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on c = 2 sqrt(2) (and c1 = c2 = 4 sqrt(2) for bernstein), the smallest constants "
     "the proof of Lemma 4.3 supports"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)",
     "run-level failure probability p (Thm. 1 holds w.p. 1 - p): iota = log(S A T / p), "
     "T = K H (Jin et al. 2018)"},
    {"clip", TABRL_CHOICE, "horizon", TABRL_CLIP_CHOICES,
     "initial value and cap of Q_h, V_h: horizon = H (Jin et al. 2018, Alg. 1); stage = H - h, "
     "the largest return from stage h"},
    {0},
};

typedef struct {
  int S, A, H;
  int bonus_kind, clip;
  int all_valid; /* every action valid at every (h, s): greedy reads Q alone */
  double c, c1, c2, iota;
  double h3_iota; /* H^3 iota, the Hoeffding bonus's numerator */
  long *visits;   /* H*S*A: the visit counts t, all the learning rate and bonuses need */
  baseline_actions actions;
  double *Q;                           /* H*S*A */
  double *V;                           /* (H+1)*S, V[H*S + s] = 0 */
  double *value_sum, *value_sq, *beta; /* H*S*A, Bernstein only: mu, mu2, beta_{t-1} */
  /* alpha_t and the Hoeffding bonus b_t for t = 1..n_steps, made once: a
   * division and a square root per step cost more than the rest of it. */
  long n_steps;
  double (*steps)[2];
} optql_state;

/* Counts beyond this compute alpha_t and b_t in observe() (the table stays
 * within 1 MB). */
#define OPTQL_TABLE_MAX 65536L

static void optql_release(void *state)
{
  optql_state *st = state;
  free(st->visits);
  baseline_actions_free(&st->actions);
  free(st->Q);
  free(st->V);
  free(st->value_sum);
  free(st->value_sq);
  free(st->beta);
  free(st->steps);
}

static inline size_t qi(const optql_state *st, int h, int s, int a)
{
  return ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a;
}

static int optql_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  optql_state *st = state;
  int status;
  size_t n;
  double K, scale, delta;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->bonus_kind = tabrl_values_choice(params, "bonus");
  st->clip = tabrl_values_choice(params, "clip");
  scale = tabrl_values_double(params, "scale");
  delta = tabrl_values_double(params, "delta");
  st->c = scale * 2.0 * sqrt(2.0);
  st->c1 = st->c2 = scale * 4.0 * sqrt(2.0);
  K = problem->episodes > 0 ? (double)problem->episodes : 1.0;
  st->iota = log((double)st->S * st->A * K * st->H / delta);
  {
    const double H = st->H;
    st->h3_iota = H * H * H * st->iota; /* the product observe() formed, in its order */
  }
  if ((status = baseline_actions_init(&st->actions, problem, "optql"))) return status;
  st->all_valid = 1;
  for (int h = 0; h < st->actions.stages; h++)
    for (int s = 0; s < st->S; s++)
      st->all_valid &= baseline_actions_count(&st->actions, h, s) == st->A;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->visits = calloc(n, sizeof *st->visits);
  st->Q = malloc(n * sizeof *st->Q);
  st->V = malloc(((size_t)st->H + 1) * (size_t)st->S * sizeof *st->V);
  if (st->bonus_kind == BONUS_BERNSTEIN) {
    st->value_sum = calloc(n, sizeof *st->value_sum);
    st->value_sq = calloc(n, sizeof *st->value_sq);
    st->beta = calloc(n, sizeof *st->beta);
    if (!st->value_sum || !st->value_sq || !st->beta)
      return tabrl_error(TABRL_ENOMEM, "optql: out of memory for %zu variance sums", n);
  }
  if (!st->Q || !st->V || !st->visits)
    return tabrl_error(TABRL_ENOMEM, "optql: out of memory for %zu Q values", n);
  /* A stage is visited once per episode: t <= K. */
  st->n_steps = K < OPTQL_TABLE_MAX ? (long)K : OPTQL_TABLE_MAX;
  if (!(st->steps = malloc(((size_t)st->n_steps + 1) * sizeof *st->steps)))
    return tabrl_error(TABRL_ENOMEM, "optql: out of memory for %ld step sizes", st->n_steps);
  for (long t = 1; t <= st->n_steps; t++) {
    const double H = st->H;
    st->steps[t][0] = (H + 1.0) / (H + (double)t);
    st->steps[t][1] = st->c * sqrt(st->h3_iota / (double)t);
  }
  for (int h = 0; h <= st->H; h++)
    for (int s = 0; s < st->S; s++) {
      double top = h < st->H ? tabrl_clip_level(st->clip, st->H, h) : 0.0;
      st->V[(size_t)h * st->S + s] = top;
      if (h < st->H)
        for (int a = 0; a < st->A; a++) st->Q[qi(st, h, s, a)] = top;
    }
  return 0;
}

/* The greedy action at (h, s), lowest index on ties.  Without a mask the
 * list of valid actions is 0..A-1: reading it would cost a second cache
 * miss per step beside Q's on a large model. */
static inline int greedy_action(const optql_state *st, int h, int s)
{
  const double *Q = st->Q + qi(st, h, s, 0);
  if (st->all_valid) {
    /* Selects, not branches: early on the greedy action flips often. */
    int best = 0;
    double top = Q[0];
    for (int a = 1; a < st->A; a++) {
      int better = Q[a] > top;
      best = better ? a : best;
      top = better ? Q[a] : top;
    }
    return best;
  }
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s), best = list[0];
  for (int i = 1; i < n; i++)
    if (Q[list[i]] > Q[best]) best = list[i];
  return best;
}

static int optql_policy(void *state, tabrl_policy *pi)
{
  optql_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "optql: policy must be %d x %d with %d stages", st->S, st->A,
                       st->H);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      for (int a = 0; a < st->A; a++) row[a] = 0.0;
      row[greedy_action(st, h, s)] = 1.0;
    }
  return 0;
}

static int optql_act(void *state, int h, int s)
{
  return greedy_action(state, h, s);
}

/* Algorithm 2's bonus after the t-th visit of entry i (alpha = alpha_t). */
static double bernstein_bonus(optql_state *st, size_t i, double t, double alpha, double next_value)
{
  double H = st->H, W, beta;
  st->value_sum[i] += next_value;
  st->value_sq[i] += next_value * next_value;
  W = fmax(0.0, st->value_sq[i] / t - (st->value_sum[i] / t) * (st->value_sum[i] / t));
  beta = fmin(st->c1 * (sqrt(H / t * (W + H) * st->iota) +
                        sqrt(H * H * H * H * H * H * H * st->S * st->A) * st->iota / t),
              st->c2 * sqrt(H * H * H * st->iota / t));
  double bonus = (beta - (1.0 - alpha) * st->beta[i]) / (2.0 * alpha);
  st->beta[i] = beta;
  return bonus;
}

static int optql_observe(void *state, int h, int s, int a, double reward, int next)
{
  optql_state *st = state;
  size_t i = qi(st, h, s, a);
  double H = st->H, next_value = st->V[(size_t)(h + 1) * st->S + next], alpha, bonus;
  long t = ++st->visits[i];
  int table = t <= st->n_steps;
  alpha = table ? st->steps[t][0] : (H + 1.0) / (H + (double)t);
  if (st->bonus_kind == BONUS_HOEFFDING)
    bonus = table ? st->steps[t][1] : st->c * sqrt(st->h3_iota / (double)t);
  else
    bonus = bernstein_bonus(st, i, (double)t, alpha, next_value);
  st->Q[i] = (1.0 - alpha) * st->Q[i] + alpha * (reward + next_value + bonus);
  /* min(C_h, max Q), as fmin (C_h >= 1 is a number; a NaN Q gives C_h) but
   * without a call into libm on every step */
  double cap = tabrl_clip_level(st->clip, st->H, h),
         top = st->Q[qi(st, h, s, greedy_action(st, h, s))];
  st->V[(size_t)h * st->S + s] = top < cap ? top : cap;
  return 0;
}

/* The share of visited (h, s, a) whose Q_h is still >= H - h, the largest
 * return from stage h: the bonuses alone carry Q there.  NaN before any
 * visit. */
static double optql_saturation(const void *state)
{
  const optql_state *st = state;
  const double H = st->H;
  long visited = 0, saturated = 0;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++) {
        if (st->visits[qi(st, h, s, a)] == 0) continue;
        visited++;
        saturated += st->Q[qi(st, h, s, a)] >= H - h - 1e-9;
      }
  return visited ? (double)saturated / (double)visited : NAN;
}

const tabrl_algo_type tabrl_algo_optql = {
    .name = "optql",
    .family = "exploration",
    .doc = "Optimistic Q-learning with UCB-Hoeffding or UCB-Bernstein bonuses",
    .source = "Jin, Allen-Zhu, Bubeck, Jordan 2018 (NeurIPS), Algorithm 1 (Hoeffding, Thm. 1) and "
              "Algorithm 2 (Bernstein, Thm. 2); learning rate eq. (4)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 0,
    .params = optql_params,
    .state_size = sizeof(optql_state),
    .init = optql_init,
    .release = optql_release,
    .policy = optql_policy,
    .act = optql_act,
    .observe = optql_observe,
    .saturation = optql_saturation,
};

/* Test accessors (no public header): Q_h(s,a) and V_h(s) (h <= H); NAN for
 * another type. */
double tabrl_optql_value(const tabrl_algo *algo, int h, int s, int a)
{
  if (algo->type != &tabrl_algo_optql) return NAN;
  const optql_state *st = algo->state;
  return st->Q[qi(st, h, s, a)];
}

double tabrl_optql_state_value(const tabrl_algo *algo, int h, int s)
{
  if (algo->type != &tabrl_algo_optql) return NAN;
  const optql_state *st = algo->state;
  return st->V[(size_t)h * st->S + s];
}
