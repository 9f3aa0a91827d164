/* psrl: posterior sampling for reinforcement learning.
 *
 * Osband, Russo and Van Roy (2013), "(More) efficient reinforcement learning
 * via posterior sampling", NeurIPS, Algorithm 1 (PSRL): at the start of
 * episode k sample one MDP M_k from the posterior given the history, compute
 * its optimal policy mu_k by backward induction and follow mu_k for the whole
 * episode.  Their Theorem 1 bounds the Bayesian regret (expectation over the
 * prior on the true MDP) by O(tau S sqrt(A T log(S A T))), tau = H, for any
 * prior; the theorem states no constant.
 *
 * Posterior on transitions: an independent Dirichlet(prior, ..., prior) over
 * ALL S next states for each (h, s, a) -- the conjugate prior of the
 * multinomial -- so after counts n(s') the
 * posterior is Dirichlet(prior + n(s')), mass on unseen next states
 * included.  `prior` = 1 (uniform on the simplex, Laplace) by default; the
 * bound holds for any prior, and the paper does not fix alpha in the
 * algorithm.  `stationary = true` (the default) pools the counts over h and
 * samples ONE P(.|s,a) and r(s,a) per episode, used at every stage: the
 * paper's time-homogeneous MDP, which every built-in env is.  On a
 * stage-dependent model (a model file with per-stage outcomes, stages = H)
 * the default is misspecified: the pooled posterior concentrates on the
 * visit-weighted mixture of the stages' laws, PSRL plans on that mixture and
 * the Bayesian bound no longer applies (it may settle on a suboptimal
 * policy).  Set `stationary = false` there: one posterior per (h, s, a)
 * (stages = H), right for any model but slower to learn on a homogeneous
 * one, every stage learning alone (RiverSwim(6), H = 20, 2000 episodes, 8
 * seeds: cumulative regret 144 pooled against 1844 per stage).
 *
 * Posterior on rewards: the paper leaves the reward prior generic.  Our
 * rewards lie in [0,1] but are not Bernoulli (a Beta-Bernoulli model would
 * need them binarised), so we use the Gaussian model with known variance
 * sigma^2 = `reward_variance` and prior N(0, sigma^2) on the mean reward,
 * i.e. one pseudo-observation of reward 0.  After N rewards with sum R the
 * posterior is N(R / (N + 1), sigma^2 / (N + 1)).  It is conjugate (one
 * normal draw per block, no Gamma draw for an unknown precision as a
 * Normal-Gamma model would need), and sigma^2 = 1/4 by default: by
 * Hoeffding's lemma every reward law on [0,1] is 1/4-sub-Gaussian, so this
 * is the narrowest known-variance model that no [0,1] reward contradicts
 * (on RiverSwim(6), H = 20 it also beats sigma^2 = 1: cumulative regret
 * after 2000 episodes, 8 seeds, 144 against 206 with the default pooled
 * posterior, 1844 against 2504 with stationary = false).  reward_variance
 * = 0 uses the empirical mean.
 *
 * Cost: a Dirichlet draw over S states is S Gamma draws (gsl_ran_dirichlet),
 * and backward induction needs every (h, s, a), so an episode costs
 * O(H S A S) flops, and O(S A S) draws pooled (the default) or O(H S A S)
 * with stationary = false -- at S = 200, H = 20 about 8e5 A flops, and
 * 4e4 A or 8e5 A draws, per episode.  Unavoidable with a Dirichlet that
 * puts mass on unseen states; acceptable for S <= 200.  The draws for a
 * stage-dependent block are made when backward induction reaches it, into
 * one S-vector of scratch; a stationary model is drawn once per episode into
 * an S*A*S table.  Everything is allocated in init; observe() only updates
 * the shared empirical model (empirical.h).
 *
 * Randomness: every draw comes from problem->rng through GSL's samplers, so
 * a run is determined by its seed.  Ties in the sampled argmax (probability
 * zero but for degenerate priors) go to the lowest valid action. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/backward.h"
#include "common/empirical.h"
#include "protocol/testing.h"

static const tabrl_param psrl_params[] = {
    {"prior", TABRL_DOUBLE, "1", "(0,inf)",
     "Dirichlet concentration on every next state of every (h,s,a) (1 = uniform on the simplex)"},
    {"reward_variance", TABRL_DOUBLE, "0.25", "[0,inf)",
     "known reward noise variance sigma^2; prior N(0, sigma^2), posterior N(R/(N+1), "
     "sigma^2/(N+1)); 0 uses the empirical mean"},
    {"stationary", TABRL_BOOL, "true", NULL,
     "pool the posterior over stages h (time-homogeneous MDP, as in the paper); false: one "
     "posterior per (h,s,a), needed on a stage-dependent model"},
    {0},
};

typedef struct {
  tabrl_problem problem; /* sizes and the valid mask (pointers outlive us) */
  int S, A, H, stages;
  double prior, reward_variance;
  gsl_rng *rng;
  tabrl_empirical model;
  double *alpha;     /* S: Dirichlet parameters of one block */
  double *sampled_P; /* (stationary ? S*A : 1) * S: sampled next-state laws */
  double *sampled_r; /* stationary ? S*A : 1: sampled mean rewards */
  double *Q_stage;   /* stationary ? S*A : 0: Q_h of every block at the current stage */
  double *V;         /* (H+1)*S values of the sampled model, V[H*S + s] = 0 */
  int *plan;         /* H*S: the action of the current policy */
} psrl_state;

static void psrl_release(void *state)
{
  psrl_state *st = state;
  tabrl_empirical_free(&st->model);
  free(st->alpha);
  free(st->sampled_P);
  free(st->sampled_r);
  free(st->Q_stage);
  free(st->V);
  free(st->plan);
}

/* Dirichlet posterior parameters of a block into alpha (S values). */
static void posterior_alpha(const psrl_state *st, size_t block, double *alpha)
{
  const tabrl_empirical *e = &st->model;
  for (int s = 0; s < st->S; s++) alpha[s] = st->prior;
  for (int i = 0; i < e->n_next[block]; i++)
    alpha[e->next[block][i].next] += (double)e->next[block][i].count;
}

/* Posterior mean and variance of the mean reward of a block. */
static void reward_posterior(const psrl_state *st, size_t block, double *mean, double *variance)
{
  double n = (double)st->model.visits[block];
  if (st->reward_variance == 0) {
    *mean = tabrl_empirical_mean_reward(&st->model, block);
    *variance = 0;
    return;
  }
  *mean = st->model.reward_sum[block] / (n + 1.0);
  *variance = st->reward_variance / (n + 1.0);
}

/* One Gamma(d + 1/3, 1) draw by Marsaglia and Tsang (2000), ACM TOMS
 * 26(3), exactly as GSL's gsl_ran_gamma writes it for a shape >= 1 (the same
 * draws from the stream, the same operations: the same bits), with d = a -
 * 1/3 and c = 1 / (3 sqrt(d)) from the caller. */
static inline double gamma_draw(gsl_rng *rng, double d, double c)
{
  double x, v, u;
  for (;;) {
    do {
      x = gsl_ran_gaussian_ziggurat(rng, 1.0);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    u = gsl_rng_uniform_pos(rng);
    if (u < 1 - 0.0331 * x * x * x * x) break;
    if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) break;
  }
  return d * v; /* GSL's b * d * v with scale b = 1 */
}

/* gsl_ran_dirichlet(rng, S, alpha, P) with its Gamma draws inlined: a
 * Dirichlet draw over S next states is S Gamma draws, and GSL pays a
 * square root per draw for c; here the prior's d and c, shared by every
 * unseen next state, are computed once.  A prior < 1 takes GSL's own
 * sampler (its shape < 1 branch and its rescue of a sum that underflows).
 * With every alpha >= 1 the sum cannot underflow: each draw is at least
 * d (1 + c x)^3 with log u >= log(2^-32) bounding how far x goes, so GSL's
 * rescue branch (sum < sqrt(DBL_MIN)) is never taken. */
static void dirichlet_draw(psrl_state *st, const double *alpha, double *P)
{
  const int S = st->S;
  const double d0 = st->prior - 1.0 / 3.0, c0 = (1.0 / 3.0) / sqrt(d0);
  double norm = 0.0;
  if (st->prior < 1) {
    gsl_ran_dirichlet(st->rng, (size_t)S, alpha, P);
    return;
  }
  for (int i = 0; i < S; i++) {
    double d = d0, c = c0;
    if (alpha[i] != st->prior) {
      d = alpha[i] - 1.0 / 3.0;
      c = (1.0 / 3.0) / sqrt(d);
    }
    P[i] = gamma_draw(st->rng, d, c);
  }
  for (int i = 0; i < S; i++) norm += P[i];
  for (int i = 0; i < S; i++) P[i] /= norm;
}

/* One draw of (P(.|block), r(block)) from the posterior. */
static void sample_block(psrl_state *st, size_t block, double *P, double *r)
{
  double mean, variance;
  posterior_alpha(st, block, st->alpha);
  dirichlet_draw(st, st->alpha, P);
  reward_posterior(st, block, &mean, &variance);
  *r = variance > 0 ? mean + gsl_ran_gaussian_ziggurat(st->rng, sqrt(variance)) : mean;
}

/* Q_h(s,a) = r + P V_{h+1} on the sampled model (algos/common/backward.h
 * hooks); a stage-dependent block is drawn here, in the driver's order.
 * ctx is a psrl_backup: S by value stays in a register across the draws. */
typedef struct {
  psrl_state *st;
  int S;
} psrl_backup;

static double psrl_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const psrl_backup *c = ctx;
  psrl_state *st = c->st;
  const int S = c->S;
  double q = 0;
  if (st->stages == 1) return st->Q_stage[tabrl_empirical_block(&st->model, h, s, a)];
  sample_block(st, tabrl_empirical_block(&st->model, h, s, a), st->sampled_P, st->sampled_r);
  for (int next = 0; next < S; next++) q += st->sampled_P[next] * next_V[next];
  q += st->sampled_r[0];
  return q;
}

/* Stationary model: Q_h(s,a) = sum_s' P(s'|s,a) V_{h+1}(s') + r(s,a) of
 * every block at once, four blocks per pass over V_{h+1}.  Each block's sum
 * runs in the same order as alone (the same bits), but one chain of
 * additions waits on each addition's latency, and four independent chains
 * keep the adder busy: planning is most of an episode from S ~ 20 on. */
static void psrl_stage(void *ctx, int h, const double *next_V)
{
  const psrl_backup *c = ctx;
  const psrl_state *st = c->st;
  const int S = c->S;
  const size_t n = (size_t)S * (size_t)st->A;
  const double *P = st->sampled_P, *r = st->sampled_r;
  double *Q = st->Q_stage;
  size_t b = 0;
  (void)h;
  if (st->stages != 1) return;
  for (; b + 4 <= n; b += 4) {
    const double *p0 = P + b * (size_t)S, *p1 = p0 + S, *p2 = p1 + S, *p3 = p2 + S;
    double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    for (int next = 0; next < S; next++) {
      const double v = next_V[next];
      q0 += p0[next] * v;
      q1 += p1[next] * v;
      q2 += p2[next] * v;
      q3 += p3[next] * v;
    }
    Q[b] = q0 + r[b];
    Q[b + 1] = q1 + r[b + 1];
    Q[b + 2] = q2 + r[b + 2];
    Q[b + 3] = q3 + r[b + 3];
  }
  for (; b < n; b++) {
    const double *p = P + b * (size_t)S;
    double q = 0;
    for (int next = 0; next < S; next++) q += p[next] * next_V[next];
    Q[b] = q + r[b];
  }
}

static int psrl_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_problem_valid(&((const psrl_backup *)ctx)->st->problem, h, s, a);
}

static const tabrl_backup_hooks psrl_hooks = {
    .backup = psrl_q, .valid = psrl_valid, .stage = psrl_stage};

/* Samples M_k and solves it by backward induction into V and plan. */
static void sample_and_plan(psrl_state *st)
{
  const int S = st->S, A = st->A, H = st->H;
  if (st->stages == 1)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        /* every (s, a): with a stage-dependent mask it may be valid at some h only */
        size_t b = tabrl_empirical_block(&st->model, 0, s, a);
        sample_block(st, b, st->sampled_P + b * (size_t)S, st->sampled_r + b);
      }
  psrl_backup c = {st, S};
  tabrl_backward_out into = {.S = S, .A = A, .H = H, .V = st->V, .plan = st->plan};
  tabrl_backward(&psrl_hooks, &c, &into);
}

static int psrl_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  psrl_state *st = state;
  int status;
  if (!problem->rng) return tabrl_error(TABRL_EINVAL, "psrl needs the problem's random stream");
  st->problem = *problem;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->rng = problem->rng;
  st->prior = tabrl_values_double(params, "prior");
  st->reward_variance = tabrl_values_double(params, "reward_variance");
  st->stages = tabrl_values_bool(params, "stationary") ? 1 : st->H;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      int any = 0;
      for (int a = 0; a < st->A && !any; a++) any = tabrl_problem_valid(problem, h, s, a);
      if (!any)
        return tabrl_error(TABRL_EINVAL, "psrl: no valid action at stage %d, state %d", h, s);
    }
  if ((status = tabrl_empirical_init(&st->model, st->S, st->A, st->stages))) return status;
  size_t rows = st->stages == 1 ? (size_t)st->S * (size_t)st->A : 1;
  st->alpha = malloc((size_t)st->S * sizeof *st->alpha);
  st->sampled_P = malloc(rows * (size_t)st->S * sizeof *st->sampled_P);
  st->sampled_r = malloc(rows * sizeof *st->sampled_r);
  st->Q_stage = st->stages == 1 ? malloc(rows * sizeof *st->Q_stage) : NULL;
  st->V = malloc((size_t)(st->H + 1) * (size_t)st->S * sizeof *st->V);
  st->plan = malloc((size_t)st->H * (size_t)st->S * sizeof *st->plan);
  if (!st->alpha || !st->sampled_P || !st->sampled_r || !st->V || !st->plan ||
      (st->stages == 1 && !st->Q_stage))
    return tabrl_error(TABRL_ENOMEM, "psrl: out of memory (S = %d, A = %d, H = %d)", st->S, st->A,
                       st->H);
  /* The first episode follows a sample from the prior. */
  sample_and_plan(st);
  return 0;
}

static int psrl_policy(void *state, tabrl_policy *pi)
{
  const psrl_state *st = state;
  return tabrl_policy_from_plan(pi, st->plan, st->S, st->A, st->H, "psrl");
}

/* The committed policy's actions: policy() is one-hot at them. */
static int psrl_committed_actions(void *state, int *action)
{
  const psrl_state *st = state;
  memcpy(action, st->plan, (size_t)st->H * (size_t)st->S * sizeof *action);
  return 0;
}

static int psrl_act(void *state, int h, int s)
{
  const psrl_state *st = state;
  return st->plan[(size_t)h * st->S + s];
}

static int psrl_observe(void *state, int h, int s, int a, double reward, int next)
{
  psrl_state *st = state;
  return tabrl_empirical_add(&st->model, h, s, a, reward, next);
}

static int psrl_end_episode(void *state, long k)
{
  psrl_state *st = state;
  (void)k;
  sample_and_plan(st);
  return 0;
}

const tabrl_algo_type tabrl_algo_psrl = {
    .name = "psrl",
    .family = "exploration",
    .doc =
        "Posterior sampling: one Dirichlet/Gaussian posterior sample per episode, solved exactly",
    .source = "Osband, Russo, Van Roy 2013 (NeurIPS), Algorithm 1 (PSRL), Theorem 1",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = psrl_params,
    .state_size = sizeof(psrl_state),
    .init = psrl_init,
    .release = psrl_release,
    .policy = psrl_policy,
    .actions = psrl_committed_actions,
    .act = psrl_act,
    .observe = psrl_observe,
    .end_episode = psrl_end_episode,
};

/* For the tests (no public header: the protocol exposes only policy()). */

/* The posterior of block (h, s, a): Dirichlet parameters into alpha (S
 * values) and the mean and variance of the Gaussian on the mean reward. */
int tabrl_psrl_posterior(const tabrl_algo *algo, int h, int s, int a, double *alpha,
                         double *reward_mean, double *reward_variance)
{
  const psrl_state *st;
  if (algo->type != &tabrl_algo_psrl) return tabrl_error(TABRL_EINVAL, "not a psrl instance");
  st = algo->state;
  size_t b = tabrl_empirical_block(&st->model, h, s, a);
  posterior_alpha(st, b, alpha);
  reward_posterior(st, b, reward_mean, reward_variance);
  return 0;
}

/* One posterior draw of P(.|h,s,a) (S values) and r(h,s,a), with the
 * sampler planning uses and the algorithm's own stream. */
int tabrl_psrl_sample(tabrl_algo *algo, int h, int s, int a, double *P, double *reward)
{
  psrl_state *st;
  if (algo->type != &tabrl_algo_psrl) return tabrl_error(TABRL_EINVAL, "not a psrl instance");
  st = algo->state;
  sample_block(st, tabrl_empirical_block(&st->model, h, s, a), P, reward);
  return 0;
}
