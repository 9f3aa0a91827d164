/* mdtd: TD learning of the joint distribution of a vector return with
 * particles and an MMD loss, after Zhang, Chen, Zhao, Xiong, Qin and Liu
 * (2021), "Distributional Reinforcement Learning for Multi-Dimensional
 * Reward Functions", NeurIPS (MD3QN), in the tabular, policy-evaluation
 * setting.
 *
 * Only the paper's abstract could be read here, not its text: no section
 * or equation numbers are quoted.  What the abstract states and this file
 * follows: the joint return distribution of d reward sources is
 * represented by deterministic particles and learned by minimising the
 * maximum mean discrepancy (MMD) between it and its distributional Bellman
 * target.  The kernel and the number of particles are those of the
 * authors' code (zpschang/MD3QN on GitHub, agents/mmdqn_nd, read but not
 * copied): the mixture of Gaussian kernels
 *
 *   k(x, y) = sum_{sigma = 1..10} exp(-D(x, y) / sigma),
 *   D(x, y) = (1/d) sum_i (x_i - y_i)^2     (the mean over components),
 *
 * the biased (V-statistic) squared MMD
 *
 *   MMD^2(X, Y) = mean_ij k(x_i, x_j) + mean_ij k(y_i, y_j)
 *                 - 2 mean_ij k(x_i, y_j),
 *
 * and 200 particles (the config's num_atoms).
 *
 * Tabular: one set of m particles X_h(s) in R^d per stage and state, the
 * law of the vector return from (h, s) under the evaluated policy (H + 1
 * stages, X_H = 0).  After a transition (h, s, a, r, s') the TD target
 * particles are y_j = r + x_j(h+1, s') (the sampled distributional
 * Bellman target; MD3QN's target network is the current X_{h+1}, which a
 * tabular learner need not freeze), and X_h(s) takes one gradient step
 * on MMD^2(X_h(s), Y):
 *
 *   x_i <- x_i - step m grad_{x_i} MMD^2,
 *
 * the factor m making the step per particle independent of m (the gradient
 * of a mean over m^2 pairs is O(1/m) per particle).  The expected gradient
 * over the sampled targets is the gradient against their mixture, since
 * the cross term is linear in the target law: the fixed point matches the
 * Bellman target in MMD.
 *
 * Policy evaluation: the agent acts with the evaluated policy (`policy =
 * uniform`: uniform over the valid actions; `optimal`: the model's
 * mean-optimal policy for its scalar reward, tabrl_problem.target, the
 * known policy of policy evaluation in an unknown model, which the runner
 * gives for episodic models), which is also what policy() returns, so
 * regret is that policy's.  The particles start i.i.d. uniform on
 * [-init, init]^d from the algorithm's stream. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "distributional/mdtd.h"

#define MDTD_KERNELS 10 /* sigma = 1, ..., 10 */

static const tabrl_param mdtd_params[] = {
    {"policy", TABRL_CHOICE, "uniform", "uniform|optimal",
     "the evaluated (and followed) policy: uniform over the valid actions, or the model's "
     "mean-optimal policy (of the scalar reward)"},
    {"particles", TABRL_INT, "200", "[1,100000]",
     "particles m per (h, s) (200: num_atoms of the MD3QN code)"},
    {"step", TABRL_DOUBLE, "0.01", "(0,inf)",
     "step size per particle of the gradient step on the squared MMD"},
    {"init", TABRL_DOUBLE, "1", "(0,inf)",
     "initial particles uniform on [-init, init]^d (> 0: equal particles never separate)"},
    {0},
};

enum { MDTD_UNIFORM, MDTD_OPTIMAL };

typedef struct {
  int S, A, H, d, m;
  double step;
  const tabrl_policy *target; /* tabrl_problem.target for policy = optimal, else NULL */
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *X;    /* H S m d: X[((h S + s) m + i) d + k] */
  double *Y;    /* m d: the TD target particles */
  double *grad; /* m d */
} mdtd_state;

/* k(x, y) and, into g (d values) unless NULL, its gradient in x. */
static double kernel(const double *x, const double *y, int d, double *g)
{
  double D = 0, value = 0, slope = 0;
  for (int k = 0; k < d; k++) D += (x[k] - y[k]) * (x[k] - y[k]);
  D /= d;
  for (int j = 1; j <= MDTD_KERNELS; j++) {
    double e = exp(-D / j);
    value += e;
    slope += e / j;
  }
  /* d/dx exp(-D/sigma) = -exp(-D/sigma) (2 / (d sigma)) (x - y) */
  if (g)
    for (int k = 0; k < d; k++) g[k] = -slope * 2.0 * (x[k] - y[k]) / d;
  return value;
}

double mdtd_mmd2(const double *x, const double *wx, size_t nx, const double *y, const double *wy,
                 size_t ny, int d)
{
  double xx = 0, yy = 0, xy = 0;
  for (size_t i = 0; i < nx; i++)
    for (size_t j = 0; j < nx; j++)
      xx += (wx ? wx[i] * wx[j] : 1.0 / ((double)nx * nx)) *
            kernel(x + i * (size_t)d, x + j * (size_t)d, d, NULL);
  for (size_t i = 0; i < ny; i++)
    for (size_t j = 0; j < ny; j++)
      yy += (wy ? wy[i] * wy[j] : 1.0 / ((double)ny * ny)) *
            kernel(y + i * (size_t)d, y + j * (size_t)d, d, NULL);
  for (size_t i = 0; i < nx; i++)
    for (size_t j = 0; j < ny; j++)
      xy += (wx ? wx[i] : 1.0 / nx) * (wy ? wy[j] : 1.0 / ny) *
            kernel(x + i * (size_t)d, y + j * (size_t)d, d, NULL);
  return xx + yy - 2 * xy;
}

static double *particles_of(const mdtd_state *st, int h, int s)
{
  return st->X + ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->m * (size_t)st->d;
}

const double *mdtd_particles(const void *state, int h, int s, int *m, int *d)
{
  const mdtd_state *st = state;
  *m = st->m;
  *d = st->d;
  return particles_of(st, h, s);
}

static void mdtd_release(void *state)
{
  mdtd_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->X);
  free(st->Y);
  free(st->grad);
}

/* Refuses policy = optimal where the runner gives no target. */
static int mdtd_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "policy") == MDTD_OPTIMAL && problem->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "mdtd: policy = optimal evaluates the model's optimal policy, which exists "
                       "for episodic models only (set a horizon)");
  return 0;
}

static int mdtd_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  mdtd_state *st = state;
  int status;
  if (tabrl_values_choice(params, "policy") == MDTD_OPTIMAL) {
    if (!problem->target)
      return tabrl_error(TABRL_EINVAL, "mdtd: policy = optimal needs the target policy "
                                       "(tabrl_problem.target), which the runner sets");
    st->target = problem->target;
  }
  if ((status = baseline_rng(problem, &st->rng, "mdtd"))) return status;
  if ((status = baseline_actions_init(&st->actions, problem, "mdtd"))) return status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->d = problem->reward_dim;
  st->m = (int)tabrl_values_int(params, "particles");
  st->step = tabrl_values_double(params, "step");
  double init = tabrl_values_double(params, "init");
  size_t per = (size_t)st->m * (size_t)st->d, n = (size_t)st->H * (size_t)st->S * per;
  if ((double)n > 5e8)
    return tabrl_error(TABRL_EINVAL, "mdtd: %d stages x %d states x %d particles x %d is too many",
                       st->H, st->S, st->m, st->d);
  st->X = malloc(n * sizeof *st->X);
  st->Y = malloc(per * sizeof *st->Y);
  st->grad = malloc(per * sizeof *st->grad);
  if (!st->X || !st->Y || !st->grad)
    return tabrl_error(TABRL_ENOMEM, "mdtd: out of memory for %zu particle values", n);
  for (size_t i = 0; i < n; i++) st->X[i] = init * (2.0 * tabrl_pcg32_uniform(st->rng) - 1.0);
  return 0;
}

static int mdtd_policy(void *state, tabrl_policy *pi)
{
  mdtd_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "mdtd: policy must be %d x %d with %d stages", st->S, st->A,
                       st->H);
  baseline_actions_uniform(&st->actions, pi);
  if (st->target)
    for (int h = 0; h < st->H; h++)
      for (int s = 0; s < st->S; s++)
        tabrl_policy_set_action(pi, h, s, tabrl_policy_argmax(st->target, h, s));
  return 0;
}

static int mdtd_act(void *state, int h, int s)
{
  mdtd_state *st = state;
  if (st->target) return tabrl_policy_argmax(st->target, h, s);
  return baseline_actions_draw(&st->actions, h, s, st->rng);
}

/* The scalar reward is the vector's business of observe_vec. */
static int mdtd_observe(void *state, int h, int s, int a, double reward, int next)
{
  (void)state, (void)h, (void)s, (void)a, (void)reward, (void)next;
  return 0;
}

static int mdtd_observe_vec(void *state, int h, int s, int a, const double *r, int next)
{
  mdtd_state *st = state;
  int m = st->m, d = st->d;
  double *X = particles_of(st, h, s), g[TABRL_MDP_MAX_REWARD_DIM];
  const double *next_X = h + 1 < st->H ? particles_of(st, h + 1, next) : NULL;
  (void)a;
  for (int j = 0; j < m; j++)
    for (int k = 0; k < d; k++) st->Y[j * d + k] = r[k] + (next_X ? next_X[j * d + k] : 0.0);
  /* grad_{x_i} MMD^2 = (2/m^2) sum_j [grad k(x_i, x_j) - grad k(x_i, y_j)];
   * times m: (2/m) sum_j [...]. */
  for (int i = 0; i < m; i++) {
    double *gi = st->grad + (size_t)i * (size_t)d;
    for (int k = 0; k < d; k++) gi[k] = 0;
    for (int j = 0; j < m; j++) {
      if (j != i) {
        kernel(X + (size_t)i * d, X + (size_t)j * d, d, g);
        for (int k = 0; k < d; k++) gi[k] += g[k];
      }
      kernel(X + (size_t)i * d, st->Y + (size_t)j * d, d, g);
      for (int k = 0; k < d; k++) gi[k] -= g[k];
    }
  }
  for (size_t i = 0; i < (size_t)m * (size_t)d; i++) X[i] -= st->step * 2.0 / m * st->grad[i];
  return 0;
}

const tabrl_algo_type tabrl_algo_mdtd = {
    .name = "mdtd",
    .family = "distributional",
    .doc = "TD learning of the joint return distribution of a vector reward with particles and "
           "an MMD loss (policy evaluation)",
    .source = "Zhang et al. 2021 (NeurIPS), MD3QN: particles, MMD loss, Gaussian kernel mixture "
              "sigma = 1..10 and 200 particles from the authors' code; text not read",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = mdtd_params,
    .state_size = sizeof(mdtd_state),
    .needs = TABRL_NEEDS_EPISODIC | TABRL_NEEDS_VECTOR_REWARD,
    .check = mdtd_check,
    .init = mdtd_init,
    .release = mdtd_release,
    .policy = mdtd_policy,
    .act = mdtd_act,
    .observe = mdtd_observe,
    .observe_vec = mdtd_observe_vec,
};
