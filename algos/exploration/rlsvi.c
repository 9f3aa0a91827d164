/* rlsvi: randomized least-squares value iteration, tabular form.
 *
 * Osband, Van Roy and Wen (2016), "Generalization and exploration via
 * randomized value functions", ICML, Algorithm 1 (RLSVI): Bayesian linear
 * regression of the Bellman targets stage by stage, backward, with a draw
 * from the Gaussian posterior of the parameters instead of its mean.  With
 * one-hot features phi(s,a) the regression decouples per (h, s, a), which
 * is the tabular algorithm analysed by Russo (2019), "Worst-case regret
 * bounds for exploration via randomized value functions", NeurIPS
 * (Gaussian noise of variance beta_k / (N + 1) added to the empirical
 * Bellman backup, beta_k = S H^3 log(2 H S A k) / 2 in his main theorem):
 *
 *   Q_h(s,a) = r^(h,s,a) + sum_s' P^(s'|h,s,a) V_{h+1}(s') + w_h(s,a),
 *   w_h(s,a) ~ N(0, sigma^2 / (N(h,s,a) + lambda)),
 *   V_h(s) = max over valid a of Q_h(s,a),  V_H = 0,
 *
 * drawn once per episode (end_episode) and followed greedily for the whole
 * episode.  Unvisited pairs have no data: r^ = P^V = 0 and Q is a draw from
 * the prior N(0, sigma^2 / lambda).  lambda is the ridge penalty in units of
 * the noise variance: Osband et al.'s regression with noise variance
 * sigma^2 and prior N(0, I / lambda_O) gives the posterior variance
 * 1 / (lambda_O + N / sigma^2) = sigma^2 / (N + lambda), lambda = lambda_O
 * sigma^2 (their posterior mean also shrinks the data mean by N/(N+lambda);
 * like Russo we keep the unshrunk empirical backup).  No clipping of Q (that
 * is Agrawal, Chen and Jiang's 2021 variant).
 *
 * Defaults: sigma = 1, lambda = 1, i.e. Russo's variance 1/(N+1) with
 * beta = 1.  Russo's theoretical beta_k (schedule = russo, then sigma^2
 * multiplies it) is about 3e5 on RiverSwim(6), H = 20: noise of standard
 * deviation ~550 / sqrt(N) swamps every value for far longer than any
 * experiment here, so it is offered but not the default; Osband et al.
 * treat sigma and lambda as tuning inputs.  `stationary = true` pools the
 * estimates over h (default false: one estimate per (h, s, a)).
 *
 * Verification of the constants: beta_k = S H^3 log(2 H S A k) / 2 is the
 * value a summary of Russo's paper quotes for its regret theorem
 * (sciencestack.ai/paper/1906.02870: "beta_k = (1/2) S H^3 log(2HSAk)",
 * regret O~(H^3 S^{3/2} sqrt(A K))); the paper's own algorithm box and the
 * exact form of its noise variance (beta_k / (N + 1) here, i.e. lambda = 1)
 * were not found in the stored copies searched, so they are not verified
 * against the paper's text.  k is the 1-based index of the episode the plan
 * is for.
 *
 * Ties in the perturbed argmax (probability zero while sigma > 0) go to the
 * lowest valid action; with sigma = 0 no number is drawn and RLSVI is the
 * greedy policy of the empirical model.  The draws are made in the order
 * of algos/common/backward.h (h = H-1..0, s, a ascending, valid (h, s, a)
 * only), one gsl_ran_gaussian_ziggurat per draw, which tests/test_rlsvi.c
 * replays.
 *
 * Cost per episode: O(H S A) Gaussian draws and O(H nnz) for the sparse
 * backups of the shared empirical model; nothing is allocated after init.
 * All draws come from problem->rng (determinism per seed). */
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/backward.h"
#include "common/empirical.h"
#include "protocol/testing.h"

enum { SCHEDULE_CONSTANT, SCHEDULE_RUSSO };

static const tabrl_param rlsvi_params[] = {
    {"sigma", TABRL_DOUBLE, "1", "[0,inf)",
     "noise scale: w ~ N(0, sigma^2 / (N + lambda)) (Osband et al. 2016, Alg. 1)"},
    {"lambda", TABRL_DOUBLE, "1", "(0,inf)",
     "prior precision in pseudo-observations; unvisited Q ~ N(0, sigma^2 / lambda)"},
    {"schedule", TABRL_CHOICE, "constant", "constant|russo",
     "constant sigma^2, or sigma^2 * beta_k, beta_k = S H^3 log(2 H S A k) / 2 (Russo 2019, Thm "
     "1)"},
    {"stationary", TABRL_BOOL, "false", NULL, "pool the estimates over stages h"},
    {0},
};

typedef struct {
  tabrl_problem problem;
  int S, A, H, stages;
  double sigma, lambda;
  int schedule;
  gsl_rng *rng;
  tabrl_empirical model;
  long episode; /* k of the next episode, for beta_k */
  double *V;    /* (H+1)*S randomized values */
  int *plan;    /* H*S */
} rlsvi_state;

static void rlsvi_release(void *state)
{
  rlsvi_state *st = state;
  tabrl_empirical_free(&st->model);
  free(st->V);
  free(st->plan);
}

/* Q_h(s,a): the empirical backup plus a draw of w_h(s,a), in the driver's
 * order (algos/common/backward.h hooks); ctx is an rlsvi_backup. */
typedef struct {
  rlsvi_state *st;
  double variance; /* sigma^2, times beta_k under schedule = russo */
} rlsvi_backup;

static double rlsvi_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const rlsvi_backup *c = ctx;
  rlsvi_state *st = c->st;
  const tabrl_empirical *e = &st->model;
  size_t b = tabrl_empirical_block(e, h, s, a);
  double n = (double)e->visits[b];
  double q = tabrl_empirical_mean_reward(e, b) + tabrl_empirical_expect(e, b, next_V);
  if (c->variance > 0)
    q += gsl_ran_gaussian_ziggurat(st->rng, sqrt(c->variance / (n + st->lambda)));
  return q;
}

static int rlsvi_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_problem_valid(&((const rlsvi_backup *)ctx)->st->problem, h, s, a);
}

static const tabrl_backup_hooks rlsvi_hooks = {.backup = rlsvi_q, .valid = rlsvi_valid};

static void plan_randomized(rlsvi_state *st)
{
  const int S = st->S, A = st->A, H = st->H;
  rlsvi_backup c = {st, st->sigma * st->sigma};
  if (st->schedule == SCHEDULE_RUSSO)
    c.variance *= 0.5 * S * (double)H * H * H * log(2.0 * H * S * A * (double)st->episode);
  tabrl_backward_out into = {.S = S, .A = A, .H = H, .V = st->V, .plan = st->plan};
  tabrl_backward(&rlsvi_hooks, &c, &into);
}

static int rlsvi_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  rlsvi_state *st = state;
  int status;
  if (!problem->rng) return tabrl_error(TABRL_EINVAL, "rlsvi needs the problem's random stream");
  st->problem = *problem;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->rng = problem->rng;
  st->sigma = tabrl_values_double(params, "sigma");
  st->lambda = tabrl_values_double(params, "lambda");
  st->schedule = tabrl_values_choice(params, "schedule");
  st->stages = tabrl_values_bool(params, "stationary") ? 1 : st->H;
  st->episode = 1;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      int any = 0;
      for (int a = 0; a < st->A && !any; a++) any = tabrl_problem_valid(problem, h, s, a);
      if (!any)
        return tabrl_error(TABRL_EINVAL, "rlsvi: no valid action at stage %d, state %d", h, s);
    }
  if ((status = tabrl_empirical_init(&st->model, st->S, st->A, st->stages))) return status;
  st->V = malloc((size_t)(st->H + 1) * (size_t)st->S * sizeof *st->V);
  st->plan = malloc((size_t)st->H * (size_t)st->S * sizeof *st->plan);
  if (!st->V || !st->plan)
    return tabrl_error(TABRL_ENOMEM, "rlsvi: out of memory (S = %d, A = %d, H = %d)", st->S, st->A,
                       st->H);
  plan_randomized(st);
  return 0;
}

static int rlsvi_policy(void *state, tabrl_policy *pi)
{
  const rlsvi_state *st = state;
  return tabrl_policy_from_plan(pi, st->plan, st->S, st->A, st->H, "rlsvi");
}

/* The committed policy's actions: policy() is one-hot at them. */
static int rlsvi_committed_actions(void *state, int *action)
{
  const rlsvi_state *st = state;
  memcpy(action, st->plan, (size_t)st->H * (size_t)st->S * sizeof *action);
  return 0;
}

static int rlsvi_act(void *state, int h, int s)
{
  const rlsvi_state *st = state;
  return st->plan[(size_t)h * st->S + s];
}

static int rlsvi_observe(void *state, int h, int s, int a, double reward, int next)
{
  rlsvi_state *st = state;
  return tabrl_empirical_add(&st->model, h, s, a, reward, next);
}

static int rlsvi_end_episode(void *state, long k)
{
  rlsvi_state *st = state;
  (void)k;
  st->episode++;
  plan_randomized(st);
  return 0;
}

const tabrl_algo_type tabrl_algo_rlsvi = {
    .name = "rlsvi",
    .family = "exploration",
    .doc = "Randomized least-squares value iteration: Gaussian-perturbed empirical backups",
    .source = "Osband, Van Roy, Wen 2016 (ICML), Algorithm 1; tabular form and beta_k of "
              "Russo 2019 (NeurIPS)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = rlsvi_params,
    .state_size = sizeof(rlsvi_state),
    .init = rlsvi_init,
    .release = rlsvi_release,
    .policy = rlsvi_policy,
    .actions = rlsvi_committed_actions,
    .act = rlsvi_act,
    .observe = rlsvi_observe,
    .end_episode = rlsvi_end_episode,
};

/* For the tests (no public header). */

/* The randomized values V_h(s) of the current plan, (H+1)*S; NULL for
 * another type. */
const double *tabrl_rlsvi_values(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_rlsvi) return NULL;
  return ((const rlsvi_state *)algo->state)->V;
}
