/* oppo: optimistic proximal policy optimization, tabular.
 *
 * Cai, Yang, Jin and Wang (2020), "Provably Efficient Exploration in
 * Policy Optimization", ICML (arXiv:1912.05830), Algorithm 1 (OPPO), read
 * here through its abstract and introduction only: the algorithm box, the
 * bonus radius and the step of Theorem 3.1 are as this file states them,
 * not verified against the paper's text.  Setting: unknown transitions,
 * full-information rewards (r_k is revealed after episode k: the
 * observe_rewards hook), regret against the best fixed policy.  With
 * one-hot features phi(s, a) = e_{(s,a)} the linear model of Algorithm 1
 * is the tabular one, and its steps become, at episode k:
 *
 *  policy improvement (the KL-regularised mirror step, pi_0 uniform):
 *    pi_k,h(. | s)  proportional to  pi_{k-1},h(. | s) exp(alpha Q_{k-1},h(s, .));
 *  act with pi_k (a draw from pi_k,h(. | s_h) at every step), then receive r_k;
 *  policy evaluation (optimistic, on the data of episodes 1..k):
 *    Lambda = N(s, a) + lambda,   (P-hat V)(s, a) = sum_s' N(s, a, s') V(s') / Lambda,
 *    Gamma_h(s, a) = beta Lambda^{-1/2},
 *    Q_k,h(s, a) = min( max( r_k,h(s, a) + (P-hat V_{h+1})(s, a) + Gamma, 0 ), H - h ),
 *    V_k,h(s) = sum_a pi_k,h(a | s) Q_k,h(s, a),   V_k,H = 0
 *
 * (the ridge lambda = 1 is the paper's; its regularised least squares on
 * one-hot features is exactly the count-over-(N + lambda) kernel above, and
 * its elliptical bonus beta (phi^T Lambda^-1 phi)^{1/2} exactly Gamma).
 * V is the mean of Q under pi_k, not its maximum: the evaluation is of the
 * policy being improved.  Step: alpha = sqrt(2 ln A / (H^2 K)) (Theorem
 * 3.1, tuned for K episodes) unless `alpha` is set.  Radius: beta = H
 * sqrt(L), L = ln(S A T / delta), T = K H, unless `beta` is set: the
 * Hoeffding width of a return in [0, H] at one pair; Theorem 3.1's beta =
 * C d H sqrt(log(d T / zeta)) is written for a d-dimensional linear MDP
 * with an unspecified absolute constant C and would charge the d = S A
 * one-hot dimensions to every pair.  `stationary` (default true) pools the
 * counts over stages h, as for tabrl's stationary kernels.
 *
 * The policy is fixed for the episode (commits_per_episode = 1) and drawn
 * from with the algorithm's own stream.  Cost per episode: O(H S A +
 * H * visited (s, a, s') entries), nothing allocated after init. */
#include <math.h>
#include <stdlib.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/empirical.h"
#include "adversarial/po.h"
#include "protocol/testing.h"

static const tabrl_param oppo_params[] = {
    {"alpha", TABRL_DOUBLE, "", "(0,inf)",
     "mirror step; unset: sqrt(2 ln A / (H^2 K)) (Cai et al. 2020, Thm. 3.1)"},
    {"beta", TABRL_DOUBLE, "", "[0,inf)",
     "bonus radius, Gamma = beta / sqrt(N + 1); unset: H sqrt(ln(S A K H / delta))"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)", "failure probability in the default beta"},
    {"stationary", TABRL_BOOL, "true", NULL,
     "pool the counts over stages h (stationary kernels); false for stage-dependent models"},
    {0},
};

typedef struct {
  int S, A, H;
  double alpha, beta, lambda;
  tabrl_empirical emp;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *pi, *logits; /* H*S*A: pi_k and its logits alpha sum_{j<k} Q_j */
  double *Q;           /* H*S*A: Q_{k} of the last evaluation */
  double *V;           /* (H+1)*S */
  double skipped;      /* evaluations refused for a non-finite reward */
} oppo_state;

static void oppo_release(void *state)
{
  oppo_state *st = state;
  tabrl_empirical_free(&st->emp);
  baseline_actions_free(&st->actions);
  free(st->pi);
  free(st->logits);
  free(st->Q);
  free(st->V);
}

static int oppo_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  oppo_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->lambda = 1.0;
  double K = problem->episodes > 0 ? (double)problem->episodes : 1.0, H = st->H;
  st->alpha = tabrl_values_has(params, "alpha")
                  ? tabrl_values_double(params, "alpha")
                  : sqrt(2.0 * log(st->A > 1 ? (double)st->A : 2.0) / (H * H * K));
  double L = log(st->S * (double)st->A * K * H / tabrl_values_double(params, "delta"));
  st->beta = tabrl_values_has(params, "beta") ? tabrl_values_double(params, "beta") : H * sqrt(L);
  if ((status = baseline_rng(problem, &st->rng, "oppo")) ||
      (status = baseline_actions_init(&st->actions, problem, "oppo")) ||
      (status = tabrl_empirical_init(&st->emp, st->S, st->A,
                                     tabrl_values_bool(params, "stationary") ? 1 : st->H)))
    return status;
  size_t n = (size_t)st->H * st->S * st->A;
  st->pi = calloc(n, sizeof *st->pi);
  st->logits = calloc(n, sizeof *st->logits);
  st->Q = calloc(n, sizeof *st->Q);
  st->V = calloc((size_t)(st->H + 1) * st->S, sizeof *st->V);
  if (!st->pi || !st->logits || !st->Q || !st->V)
    return tabrl_error(TABRL_ENOMEM, "oppo: out of memory for %zu policy entries", n);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      const int *list = baseline_actions_list(&st->actions, h, s);
      int count = baseline_actions_count(&st->actions, h, s);
      for (int i = 0; i < count; i++)
        st->pi[((size_t)h * st->S + s) * st->A + list[i]] = 1.0 / count;
    }
  return 0;
}

static int oppo_act(void *state, int h, int s)
{
  oppo_state *st = state;
  const double *row = st->pi + ((size_t)h * st->S + s) * st->A;
  const int *list = baseline_actions_list(&st->actions, h, s);
  int count = baseline_actions_count(&st->actions, h, s);
  double u = tabrl_pcg32_uniform(st->rng), cum = 0;
  for (int i = 0; i < count; i++)
    if (u < (cum += row[list[i]])) return list[i];
  return list[count - 1]; /* rounding: the row sums to 1 within 1e-15 */
}

static int oppo_observe(void *state, int h, int s, int a, double reward, int next)
{
  oppo_state *st = state;
  return tabrl_empirical_add(&st->emp, h, s, a, reward, next);
}

/* Policy evaluation of pi_k with r_k, then the improvement to pi_{k+1}. */
static int oppo_rewards(void *state, long k, const double *reward)
{
  oppo_state *st = state;
  int S = st->S, A = st->A, H = st->H;
  const tabrl_empirical *e = &st->emp;
  (void)k;
  for (size_t i = 0; i < (size_t)H * S * A; i++)
    if (!isfinite(reward[i])) {
      st->skipped++;
      return 0;
    }
  for (int s = 0; s < S; s++) st->V[(size_t)H * S + s] = 0;
  for (int h = H - 1; h >= 0; h--) {
    const double *next_V = st->V + (size_t)(h + 1) * S;
    for (int s = 0; s < S; s++) {
      const int *list = baseline_actions_list(&st->actions, h, s);
      int count = baseline_actions_count(&st->actions, h, s);
      size_t row = ((size_t)h * S + s) * A;
      double v = 0;
      for (int i = 0; i < count; i++) {
        int a = list[i];
        size_t b = tabrl_empirical_block(e, h, s, a);
        double n = (double)e->visits[b] + st->lambda, pv = 0;
        for (int j = 0; j < e->n_next[b]; j++)
          pv += (double)e->next[b][j].count * next_V[e->next[b][j].next];
        double q = reward[row + a] + pv / n + st->beta / sqrt(n);
        q = q < 0 ? 0 : q > H - h ? H - h : q;
        st->Q[row + a] = q;
        v += st->pi[row + a] * q;
      }
      st->V[(size_t)h * S + s] = v;
    }
  }
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      size_t row = ((size_t)h * S + s) * A;
      tabrl_po_multiplicative(st->pi + row, st->logits + row, st->Q + row,
                              baseline_actions_list(&st->actions, h, s),
                              baseline_actions_count(&st->actions, h, s), st->alpha);
    }
  return 0;
}

static int oppo_policy(void *state, tabrl_policy *pi)
{
  const oppo_state *st = state;
  return tabrl_po_copy_policy(st->pi, st->S, st->A, st->H, pi, "oppo");
}

static double oppo_diagnostics(const void *state)
{
  return ((const oppo_state *)state)->skipped;
}

const tabrl_algo_type tabrl_algo_oppo = {
    .name = "oppo",
    .family = "adversarial",
    .doc = "Optimistic PPO: KL mirror steps on optimistic Q of the empirical kernel, full-"
           "information rewards",
    .source = "Cai, Yang, Jin, Wang 2020 (ICML, arXiv:1912.05830), Algorithm 1, Theorem 3.1; "
              "tabular reading, constants not verified",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = oppo_params,
    .state_size = sizeof(oppo_state),
    .init = oppo_init,
    .release = oppo_release,
    .policy = oppo_policy,
    .act = oppo_act,
    .observe = oppo_observe,
    .observe_rewards = oppo_rewards,
    .diagnostics = oppo_diagnostics,
};

/* Test accessors: Q_k,h(s, a) of the last evaluation and the step alpha;
 * NAN for another type. */
double tabrl_oppo_value(const tabrl_algo *algo, int h, int s, int a)
{
  if (algo->type != &tabrl_algo_oppo) return NAN;
  const oppo_state *st = algo->state;
  return st->Q[((size_t)h * st->S + s) * st->A + a];
}

double tabrl_oppo_alpha(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_oppo) return NAN;
  return ((const oppo_state *)algo->state)->alpha;
}
