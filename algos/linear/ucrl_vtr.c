/* ucrl-vtr: optimistic model-based RL with value-targeted regression for
 * linear mixture MDPs, P(s'|s,a) = sum_i theta_i P_i(s'|s,a) with known
 * base kernels P_i (problem->mixture_basis) and unknown theta.
 *
 * Ayoub, Jia, Szepesvari, Wang, Yang 2020, "Model-based reinforcement
 * learning with value-targeted regression", ICML (PMLR 119;
 * arXiv:2006.01107), Algorithm 1 (UCRL-VTR) in its linear-mixture form.
 * The regression target is the value, not the next state: after the step
 * (s_h, a_h, s_{h+1}) of episode k, with V_{h+1} the optimistic value the
 * episode was planned with,
 *
 *   X = ( sum_s' P_i(s'|s_h,a_h) V_{h+1}(s') )_{i=1..d},   y = V_{h+1}(s_{h+1}),
 *
 * E[y | X] = theta^T X, and theta is estimated by ridge regression over all
 * steps so far (one theta: the model is stationary),
 *
 *   M = lambda I + sum X X^T,  theta-hat = M^-1 sum X y.
 *
 * The paper's optimistic planning maximizes the value over the confidence
 * ellipsoid { theta : ||theta - theta-hat||_M <= sqrt(beta) }.  Here the
 * maximum is taken per (h, s, a), which is the closed form
 * theta-hat^T X + sqrt(beta) ||X||_{M^-1} (Cauchy-Schwarz in the M norm; the
 * computationally efficient form used by Jia et al. 2020 and Zhou, Gu,
 * Szepesvari 2021 for the same model): backward over h,
 *
 *   Q_h(s,a) = r-hat(s,a) + theta-hat^T X_h(s,a) + sqrt(beta) ||X_h(s,a)||_{M^-1},
 *   X_h(s,a) = ( P_i(.|s,a)^T V_{h+1} )_i,  V_h(s) = max_a Q_h(s,a),  V_H = 0,
 *
 * clipped to [0, C_h], C_h = H - h, the range of the true Q_h for rewards
 * in [0,1] (clipping an upper bound at the largest possible value keeps it
 * an upper bound; `clip = stage`, the default), or C_h = H (`clip =
 * horizon`, the cap of the other optimistic algorithms' papers; we have not
 * found the text of Ayoub et al.'s Algorithm 1 to check which it writes).  Greedy, lowest action on
 * ties, committed for the episode.
 *
 * The radius is the self-normalized bound of Abbasi-Yadkori, Pal,
 * Szepesvari 2011, Theorem 2, which the paper's linear case rests on: the
 * noise y - theta^T X lies in an interval of length H, so it is
 * (H/2)-sub-Gaussian; ||X||_2 <= sqrt(d) H; ||theta||_2 <= 1 on the
 * simplex; after n regression steps
 *
 *   sqrt(beta) = (H/2) sqrt(2 log(1/delta) + d log(1 + n H^2 / lambda)) + sqrt(lambda),
 *
 * uniformly in n with probability 1 - delta (the log-determinant is bounded
 * by d log(1 + n L^2 / (d lambda)) with L^2 = d H^2, hence n H^2 / lambda);
 * `scale` multiplies it.
 *
 * Rewards.  The paper takes r as known; the protocol does not reveal it,
 * so r-hat(s,a) is the mean reward observed at (s, a) (pooled over h: the
 * model is stationary), and 1, the largest reward, before the first visit
 * (optimistic).  On linear-mixture the reward of (s, a) is deterministic,
 * so r-hat is exact after one visit.
 *
 * Cost: a planning pass is O(H S A (d S + d^2)) with the dense basis; an
 * observed step O(d S + d^2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/backward.h"
#include "common/ridge.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "protocol/testing.h"

static const tabrl_param ucrl_vtr_params[] = {
    {"lambda", TABRL_DOUBLE, "1", "(0,inf)", "ridge parameter of M = lambda I + sum X X^T"},
    {"delta", TABRL_DOUBLE, "0.05", "(0,1)", "failure probability of the confidence ellipsoid"},
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on the radius sqrt(beta) (Abbasi-Yadkori et al. 2011, Thm 2, with noise H/2)"},
    {"clip", TABRL_CHOICE, "stage", TABRL_CLIP_CHOICES,
     "cap on Q_h: stage = H - h, the range of the true Q_h; horizon = H"},
    {0},
};

typedef struct {
  int S, A, H, d;
  tabrl_problem problem;
  const double *basis; /* d*S*A*S */
  double lambda, delta, scale, radius;
  int clip;
  double *M_inv; /* d*d, upper triangle authoritative */
  double *Xy;    /* d: sum X y */
  double *theta; /* d: theta-hat of the last pass */
  long samples;
  long *visits;        /* S*A */
  double *reward_sum;  /* S*A */
  double *V;           /* (H+1)*S: the optimistic values the current episode follows */
  int *greedy;         /* H*S */
  double *X, *scratch; /* d each */
} ucrl_vtr_state;

static void ucrl_vtr_release(void *state)
{
  ucrl_vtr_state *st = state;
  free(st->M_inv);
  free(st->Xy);
  free(st->theta);
  free(st->visits);
  free(st->reward_sum);
  free(st->V);
  free(st->greedy);
  free(st->X);
  free(st->scratch);
}

/* X_i = sum_s' P_i(s'|s,a) V[s'] into st->X. */
static void value_features(ucrl_vtr_state *st, int s, int a, const double *V)
{
  size_t SA = (size_t)st->S * (size_t)st->A, sa = (size_t)s * (size_t)st->A + (size_t)a;
  for (int i = 0; i < st->d; i++) {
    const double *row = st->basis + ((size_t)i * SA + sa) * (size_t)st->S;
    double x = 0;
    for (int next = 0; next < st->S; next++) x += row[next] * V[next];
    st->X[i] = x;
  }
}

/* The optimistic Q_h(s,a) (algos/common/backward.h hooks). */
static double ucrl_vtr_q(void *ctx, int h, int s, int a, const double *next_V)
{
  ucrl_vtr_state *st = ctx;
  size_t sa = (size_t)s * (size_t)st->A + (size_t)a;
  double q = st->visits[sa] ? st->reward_sum[sa] / (double)st->visits[sa] : 1.0;
  if (h + 1 < st->H) {
    value_features(st, s, a, next_V);
    for (int i = 0; i < st->d; i++) q += st->theta[i] * st->X[i];
    q += st->radius * sqrt(ridge_norm2(st->M_inv, st->X, st->d));
  }
  return fmin(fmax(q, 0.0), tabrl_clip_level(st->clip, st->H, h));
}

static int ucrl_vtr_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_problem_valid(&((const ucrl_vtr_state *)ctx)->problem, h, s, a);
}

static const tabrl_backup_hooks ucrl_vtr_hooks = {.backup = ucrl_vtr_q, .valid = ucrl_vtr_valid};

static void plan(ucrl_vtr_state *st)
{
  int S = st->S, H = st->H, d = st->d;
  double Hd = H;
  st->radius =
      st->scale *
      (Hd / 2 *
           sqrt(2 * log(1 / st->delta) + d * log(1 + (double)st->samples * Hd * Hd / st->lambda)) +
       sqrt(st->lambda));
  ridge_apply(st->M_inv, st->Xy, st->theta, d);
  tabrl_backward_out into = {.S = S, .A = st->A, .H = H, .V = st->V, .plan = st->greedy};
  tabrl_backward(&ucrl_vtr_hooks, st, &into);
}

static int ucrl_vtr_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  ucrl_vtr_state *st = state;
  size_t SA, d;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->d = problem->mixture_dim;
  st->problem = *problem;
  st->basis = problem->mixture_basis;
  st->lambda = tabrl_values_double(params, "lambda");
  st->delta = tabrl_values_double(params, "delta");
  st->scale = tabrl_values_double(params, "scale");
  st->clip = tabrl_values_choice(params, "clip");
  SA = (size_t)st->S * (size_t)st->A;
  d = (size_t)st->d;
  st->M_inv = malloc(d * d * sizeof *st->M_inv);
  st->Xy = calloc(d, sizeof *st->Xy);
  st->theta = calloc(d, sizeof *st->theta);
  st->visits = calloc(SA, sizeof *st->visits);
  st->reward_sum = calloc(SA, sizeof *st->reward_sum);
  st->V = calloc((size_t)(st->H + 1) * (size_t)st->S, sizeof *st->V);
  st->greedy = calloc((size_t)st->H * (size_t)st->S, sizeof *st->greedy);
  st->X = malloc(d * sizeof *st->X);
  st->scratch = malloc(d * sizeof *st->scratch);
  if (!st->M_inv || !st->Xy || !st->theta || !st->visits || !st->reward_sum || !st->V ||
      !st->greedy || !st->X || !st->scratch)
    return tabrl_error(TABRL_ENOMEM, "ucrl-vtr: out of memory");
  ridge_reset(st->M_inv, st->d, st->lambda);
  plan(st);
  return 0;
}

static int ucrl_vtr_policy(void *state, tabrl_policy *pi)
{
  ucrl_vtr_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "ucrl-vtr: policy must be %d x %d with %d stages", st->S,
                       st->A, st->H);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) tabrl_policy_set_action(pi, h, s, st->greedy[h * st->S + s]);
  return 0;
}

/* The committed policy's actions: policy() is one-hot at them. */
static int ucrl_vtr_committed_actions(void *state, int *action)
{
  const ucrl_vtr_state *st = state;
  memcpy(action, st->greedy, (size_t)st->H * (size_t)st->S * sizeof *action);
  return 0;
}

static int ucrl_vtr_act(void *state, int h, int s)
{
  const ucrl_vtr_state *st = state;
  return st->greedy[h * st->S + s];
}

static int ucrl_vtr_observe(void *state, int h, int s, int a, double reward, int next)
{
  ucrl_vtr_state *st = state;
  size_t sa = (size_t)s * (size_t)st->A + (size_t)a;
  st->visits[sa]++;
  st->reward_sum[sa] += reward;
  /* At h = H - 1, V_H = 0: X = 0 and y = 0 carry no information. The
   * regression uses the V the episode was planned with (plan() only runs at
   * end_episode), as in the paper. */
  if (h + 1 >= st->H) return 0;
  const double *next_V = st->V + (size_t)(h + 1) * (size_t)st->S;
  value_features(st, s, a, next_V);
  ridge_rank_one(st->M_inv, st->X, 1.0, st->scratch, st->d);
  for (int i = 0; i < st->d; i++) st->Xy[i] += st->X[i] * next_V[next];
  st->samples++;
  return 0;
}

static int ucrl_vtr_end_episode(void *state, long k)
{
  (void)k;
  plan(state);
  return 0;
}

const tabrl_algo_type tabrl_algo_ucrl_vtr = {
    .name = "ucrl-vtr",
    .family = "linear",
    .doc = "Optimistic planning with value-targeted ridge regression on a linear mixture model",
    .source = "Ayoub, Jia, Szepesvari, Wang, Yang 2020 (ICML), Algorithm 1 (linear mixture); "
              "radius from Abbasi-Yadkori, Pal, Szepesvari 2011, Thm 2",
    .protocol = TABRL_ONLINE,
    .needs = TABRL_NEEDS_MIXTURE,
    .commits_per_episode = 1,
    .params = ucrl_vtr_params,
    .state_size = sizeof(ucrl_vtr_state),
    .init = ucrl_vtr_init,
    .release = ucrl_vtr_release,
    .policy = ucrl_vtr_policy,
    .actions = ucrl_vtr_committed_actions,
    .act = ucrl_vtr_act,
    .observe = ucrl_vtr_observe,
    .end_episode = ucrl_vtr_end_episode,
};

/* theta-hat of the last planning pass, for the tests (no public header);
 * NULL for another type. */
const double *tabrl_ucrl_vtr_theta(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_ucrl_vtr) return NULL;
  return ((const ucrl_vtr_state *)algo->state)->theta;
}
