/* bnpo: Beta Normalization Policy Optimization, tabular softmax on a
 * contextual bandit with binary (or affinely rescaled) rewards (Xiao,
 * Zhang, Cao 2025, "BNPO: Beta Normalization Policy Optimization", arXiv
 * 2506.02864).  The paper's text could not be read here beyond its
 * abstract; the advantage and the rule for the Beta parameters are read
 * from the authors' code (github.com/changyi7231/BNPO,
 * recipe/bnpo/src/bnpo_ray_trainer.py, compute_bnpo_outcome_advantage),
 * so no section or equation number is cited.
 *
 * The batch's responses are grouped by context q (a prompt and its group
 * of sampled outputs).  With rewards rescaled to [0, 1] by `reward_min`,
 * `reward_max` (the code's affine map), each context's success rate is
 * estimated by its group mean p(q).  A context with a single response in
 * the batch has no group baseline: tabrl gives it advantage 0 and leaves
 * it out of the moments (the code sets its p to 0, which with alpha > 1
 * puts 1/f at its 1e6 clamp: a step of a million times the reward).  Over
 * the batch's other contexts, with mean m and unbiased variance v of p(q),
 * the method-of-moments Beta(a, b) of the p(q) is
 *   a = (m (1 - m) / v - 1) m,  b = (m (1 - m) / v - 1) (1 - m),
 * the normalising Beta(alpha, beta) has alpha = max(1 + a/3, 1), beta =
 * max(1 + b/3, 1) (the variance-minimising choice the abstract refers to),
 * and each response gets the advantage
 *   A(q, o) = (R(q, o) - p(q)) / f(p(q); alpha, beta),
 * f the Beta density, 1/f clamped to [0, 1e6] as in the code.  With one
 * context in the batch the code sets v = 1, so alpha = beta = 1, f = 1:
 * REINFORCE with the group-mean baseline (the abstract's "generalizes
 * REINFORCE"); tabrl does the same when v = 0 (every group at the same
 * rate), where the moments say nothing (the code would divide by 0).
 *
 * Update (one per `batch` episodes): theta(s, .) += eta (1/n) sum_i A_i
 * (e_{a_i} - pi(.|s_i)), the policy gradient of the code's PPO-style loss
 * at its first step (ratio 1, so its clipping is inactive).  No KL term
 * and no reference: the iterate goes to the greedy policy.  The paper's
 * advantage decomposition (several reward components) is not built. */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "policy/contextual.h"

static const tabrl_param bnpo_params[] = {
    {"eta", TABRL_DOUBLE, "1", "(0,inf)", "step size of the gradient ascent on the logits"},
    {"batch", TABRL_INT, "16", "[2,1000000]", "episodes (sampled responses) per update"},
    {"reward_min", TABRL_DOUBLE, "0", NULL, "reward mapped to 0 (rewards must lie in [min, max])"},
    {"reward_max", TABRL_DOUBLE, "1", NULL, "reward mapped to 1"},
    {0},
};

typedef struct {
  contextual_po b;
  double eta, lo, hi;
  double *sum, *p; /* S: reward sum and group mean per context */
  long *count;     /* S: group size per context */
  double *grad;    /* S*A */
  double alpha, beta;
} bnpo_state;

static int bnpo_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (!(tabrl_values_double(params, "reward_max") > tabrl_values_double(params, "reward_min")))
    return tabrl_error(TABRL_EUNSUPPORTED, "bnpo: reward_max must exceed reward_min");
  return contextual_po_check(problem, "bnpo");
}

static void bnpo_release(void *state)
{
  bnpo_state *st = state;
  contextual_po_free(&st->b);
  free(st->sum);
  free(st->p);
  free(st->count);
  free(st->grad);
}

static int bnpo_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  bnpo_state *st = state;
  int status = contextual_po_init(&st->b, problem, tabrl_values_int(params, "batch"), "bnpo");
  if (status) return status;
  st->eta = tabrl_values_double(params, "eta");
  st->lo = tabrl_values_double(params, "reward_min");
  st->hi = tabrl_values_double(params, "reward_max");
  st->sum = malloc((size_t)problem->S * sizeof *st->sum);
  st->p = malloc((size_t)problem->S * sizeof *st->p);
  st->count = malloc((size_t)problem->S * sizeof *st->count);
  st->grad = malloc((size_t)problem->S * (size_t)problem->A * sizeof *st->grad);
  if (!st->sum || !st->p || !st->count || !st->grad)
    return tabrl_error(TABRL_ENOMEM, "bnpo: out of memory");
  return 0;
}

/* alpha, beta from the group means of the contexts present in the batch. */
static void beta_parameters(bnpo_state *st)
{
  int S = st->b.S, k = 0;
  double mean = 0, var = 0;
  for (int s = 0; s < S; s++)
    if (st->count[s] > 1) mean += st->p[s], k++;
  st->alpha = st->beta = 1;
  if (k < 2) return;
  mean /= k;
  for (int s = 0; s < S; s++)
    if (st->count[s] > 1) var += (st->p[s] - mean) * (st->p[s] - mean);
  if (var == 0) return;
  var /= k - 1;
  double c = mean * (1 - mean) / var - 1;
  st->alpha = fmax(1 + c * mean / 3, 1);
  st->beta = fmax(1 + c * (1 - mean) / 3, 1);
}

static int bnpo_update(bnpo_state *st)
{
  contextual_po *b = &st->b;
  int S = b->S, A = b->A;
  memset(st->sum, 0, (size_t)S * sizeof *st->sum);
  memset(st->count, 0, (size_t)S * sizeof *st->count);
  for (long i = 0; i < b->n; i++) {
    double x = (b->rew[i] - st->lo) / (st->hi - st->lo);
    if (!(x >= 0 && x <= 1))
      return tabrl_error(TABRL_EINVAL,
                         "bnpo: reward %g outside [reward_min, reward_max] = [%g, %g]; set them "
                         "to the env's reward range",
                         b->rew[i], st->lo, st->hi);
    b->rew[i] = x;
    st->sum[b->ctx[i]] += x;
    st->count[b->ctx[i]]++;
  }
  for (int s = 0; s < S; s++) st->p[s] = st->count[s] > 1 ? st->sum[s] / st->count[s] : 0;
  beta_parameters(st);
  memset(st->grad, 0, (size_t)S * A * sizeof *st->grad);
  for (long i = 0; i < b->n; i++) {
    int s = b->ctx[i];
    if (st->count[s] < 2) continue;
    double f = gsl_ran_beta_pdf(st->p[s], st->alpha, st->beta);
    double w = f > 0 ? fmin(1 / f, 1e6) : 1e6;
    double c = w * (b->rew[i] - st->p[s]) / (double)b->n;
    const double *pi = b->pi + (size_t)s * A;
    double *g = st->grad + (size_t)s * A;
    for (int a = 0; a < A; a++) g[a] -= c * pi[a];
    g[b->act[i]] += c;
  }
  for (size_t i = 0; i < (size_t)S * A; i++) b->theta[i] += st->eta * st->grad[i];
  contextual_po_softmax(b, b->theta, b->pi);
  b->n = 0;
  return 0;
}

static int bnpo_act(void *state, int h, int s)
{
  (void)h;
  return contextual_po_act(&((bnpo_state *)state)->b, s);
}

static int bnpo_observe(void *state, int h, int s, int a, double reward, int next)
{
  bnpo_state *st = state;
  (void)h, (void)next;
  return contextual_po_observe(&st->b, s, a, reward) ? bnpo_update(st) : 0;
}

static int bnpo_policy(void *state, tabrl_policy *pi)
{
  return contextual_po_policy(&((bnpo_state *)state)->b, pi, "bnpo");
}

/* The Beta parameters of the last update (tests). */
void tabrl_bnpo_beta(const tabrl_algo *algo, double *alpha, double *beta);
void tabrl_bnpo_beta(const tabrl_algo *algo, double *alpha, double *beta)
{
  const bnpo_state *st = algo->state;
  *alpha = st->alpha, *beta = st->beta;
}

const tabrl_algo_type tabrl_algo_bnpo = {
    .name = "bnpo",
    .family = "policy",
    .doc = "Beta-normalised group-baseline policy gradient for binary rewards (contextual bandit)",
    .source = "Xiao, Zhang, Cao 2025, BNPO: Beta Normalization Policy Optimization (arXiv "
              "2506.02864); advantage and Beta parameters from the authors' code",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = bnpo_params,
    .state_size = sizeof(bnpo_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = bnpo_check,
    .init = bnpo_init,
    .release = bnpo_release,
    .policy = bnpo_policy,
    .act = bnpo_act,
    .observe = bnpo_observe,
};
