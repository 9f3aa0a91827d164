/* nvr-pg: normalised policy gradient with recursive momentum variance
 * reduction for a general utility F(lambda^pi) of the occupancy measure
 * (Barakat, Fatkhullin, He 2023, "Reinforcement Learning with General
 * Utilities: Simpler Variance Reduction and Large State-Action Space",
 * ICML, their N-VR-PG), here on the `entropy` objective (maximum-entropy
 * exploration, src/oracle/objective_occupancy_entropy.c) with a softmax
 * tabular stage-dependent policy.  The paper's text could not be read
 * here: the algorithm below is its published outline (a STORM-type
 * recursive estimate of both the occupancy and the gradient, importance
 * weights between consecutive policies, a normalised step), and the step
 * schedules are this file's choice, not the paper's theorem's.
 *
 * Protocol: planning, but the model is used only as a simulator: each
 * update draws `batch` trajectories of H steps from problem->model with
 * problem->rng (the first update draws two batches, one to start the
 * estimates at theta_0).  The x axis (runs.csv episode) counts updates;
 * after k updates (k + 1) batch trajectories have been sampled.
 *
 * One update t = 0, 1, ... from the estimates lambda_t (H S per-stage
 * state occupancy), r_t = dF/dlambda at lambda_t and u_t (gradient):
 *   theta_{t+1} = theta_t + alpha_t u_t / ||u_t||
 *   tau ~ pi_{t+1} (batch), w(tau) = prod_h pi_t(a_h|s_h) / pi_{t+1}(a_h|s_h)
 *   lambda_{t+1} = mean[l(tau)] + (1 - eta_t) (lambda_t - mean[w l(tau)])
 *   r_{t+1} = grad F_sigma(lambda_{t+1})
 *   u_{t+1} = mean[g(tau, theta_{t+1}, r_{t+1})]
 *             + (1 - eta_t) (u_t - mean[w g(tau, theta_t, r_t)])
 * with l(tau) the indicators of (h, s_h) and g the REINFORCE estimate of
 * the gradient of the linear utility lambda -> r . lambda,
 *   g = sum_h grad log pi(a_h|h,s_h) sum_{h' > h} r_{h'}(s_{h'})
 * (the chain rule grad F(lambda^theta) = (d lambda / d theta)^T grad F,
 * their policy gradient with the "pseudo-reward" r = grad F).
 * Schedules: alpha_t = alpha (t + 1)^(-2/3), eta_t = (t + 1)^(-2/3), the
 * usual choice of normalised STORM (the steps shrink as the momentum's
 * variance does).
 *
 * F_sigma: the entropy's gradient -(log dbar + 1) / H is unbounded near
 * dbar = 0 and the estimate lambda may even dip below 0 through the
 * importance-weighted correction, so the pseudo-reward is that of the
 * smoothed entropy -sum dbar log(dbar + sigma) (Hazan et al. 2019, section
 * 4, smooth the entropy the same way), r_h(s) = -(log(dbar + sigma) +
 * dbar / (dbar + sigma)) / H with dbar clipped at 0; the runner measures
 * the exact, unsmoothed entropy of the iterate.  Episodic models only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"

extern const tabrl_objective_type tabrl_objective_occupancy_entropy;

static const tabrl_param nvr_pg_params[] = {
    {"alpha", TABRL_DOUBLE, "0.5", "(0,inf)",
     "initial normalised step: alpha_t = alpha (t + 1)^(-2/3) in the logits"},
    {"batch", TABRL_INT, "10", "[1,100000]", "trajectories sampled per update"},
    {"sigma", TABRL_DOUBLE, "0.01", "(0,inf)",
     "smoothing of the entropy's pseudo-reward -(log(dbar + sigma) + dbar / (dbar + sigma)) / H"},
    {0},
};

typedef struct {
  const tabrl_mdp *m;
  gsl_rng *rng;
  int H, S, A, batch;
  double alpha, sigma;
  long t;                    /* updates done */
  double *theta, *theta_old; /* H S A logits, -inf at invalid actions */
  tabrl_policy *pi, *pi_old; /* softmax of theta, theta_old */
  double *u, *g;             /* H S A: the gradient estimate, scratch */
  double *lambda, *l;        /* H S: occupancy estimate, scratch */
  double *r, *r_old, *dbar;  /* S: pseudo-rewards (per stage: / H), scratch */
  tabrl_step *traj;          /* batch * H steps */
} nvr_pg_state;

static void nvr_pg_release(void *state)
{
  nvr_pg_state *st = state;
  free(st->theta), free(st->theta_old), free(st->u), free(st->g);
  free(st->lambda), free(st->l), free(st->r), free(st->r_old), free(st->dbar), free(st->traj);
  tabrl_policy_free(st->pi), tabrl_policy_free(st->pi_old);
}

static void softmax(const nvr_pg_state *st, const double *theta, tabrl_policy *pi)
{
  for (int hs = 0; hs < st->H * st->S; hs++) {
    const double *z = theta + (size_t)hs * (size_t)st->A;
    double *p = pi->prob + (size_t)hs * (size_t)st->A, top = -INFINITY, total = 0;
    for (int a = 0; a < st->A; a++) top = fmax(top, z[a]);
    for (int a = 0; a < st->A; a++) total += p[a] = isfinite(z[a]) ? exp(z[a] - top) : 0;
    for (int a = 0; a < st->A; a++) p[a] /= total;
  }
}

static int nvr_pg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  nvr_pg_state *st = state;
  const tabrl_mdp *m = problem->model;
  if (!m) return tabrl_error(TABRL_EINVAL, "nvr-pg needs the model (planning protocol)");
  st->m = m, st->rng = problem->rng;
  st->H = m->horizon, st->S = m->S, st->A = m->A;
  st->alpha = tabrl_values_double(params, "alpha");
  st->sigma = tabrl_values_double(params, "sigma");
  st->batch = tabrl_values_int(params, "batch");
  size_t n = (size_t)st->H * (size_t)st->S * (size_t)st->A, hs = (size_t)st->H * (size_t)st->S;
  st->theta = malloc(n * sizeof(double)), st->theta_old = malloc(n * sizeof(double));
  st->u = calloc(n, sizeof(double)), st->g = calloc(n, sizeof(double));
  st->lambda = calloc(hs, sizeof(double)), st->l = calloc(hs, sizeof(double));
  st->r = calloc((size_t)st->S, sizeof(double)), st->r_old = calloc((size_t)st->S, sizeof(double));
  st->dbar = calloc((size_t)st->S, sizeof(double));
  st->traj = malloc((size_t)st->batch * (size_t)st->H * sizeof *st->traj);
  st->pi = tabrl_policy_alloc(st->S, st->A, st->H);
  st->pi_old = tabrl_policy_alloc(st->S, st->A, st->H);
  if (!st->theta || !st->theta_old || !st->u || !st->g || !st->lambda || !st->l || !st->r ||
      !st->r_old || !st->dbar || !st->traj || !st->pi || !st->pi_old)
    return tabrl_error(TABRL_ENOMEM, "nvr-pg: out of memory");
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++)
        st->theta[((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a] =
            tabrl_problem_valid(problem, h, s, a) ? 0 : -INFINITY;
  softmax(st, st->theta, st->pi);
  return 0;
}

/* A batch of trajectories of the current policy pi. */
static void sample_batch(nvr_pg_state *st)
{
  for (int i = 0; i < st->batch; i++)
    tabrl_sim_episode(st->m, st->pi, st->rng, st->H, st->traj + (size_t)i * (size_t)st->H);
}

/* The smoothed entropy's pseudo-reward at the estimate lambda into r. */
static void pseudo_reward(nvr_pg_state *st, double *r)
{
  for (int s = 0; s < st->S; s++) st->dbar[s] = 0;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) st->dbar[s] += st->lambda[(size_t)h * st->S + s] / st->H;
  for (int s = 0; s < st->S; s++) {
    double d = fmax(st->dbar[s], 0);
    r[s] = -(log(d + st->sigma) + d / (d + st->sigma)) / st->H;
  }
}

/* Adds c l(tau) to l for one trajectory. */
static void add_occupancy(nvr_pg_state *st, const tabrl_step *tau, double c)
{
  for (int h = 0; h < st->H; h++) st->l[(size_t)h * (size_t)st->S + (size_t)tau[h].s] += c;
}

/* Adds c g(tau, pi, r) to g for one trajectory. */
static void add_gradient(nvr_pg_state *st, const tabrl_step *tau, const tabrl_policy *pi,
                         const double *r, double c)
{
  double togo = 0;
  for (int h = st->H - 1; h >= 0; h--) {
    const tabrl_step *x = &tau[h];
    const double *p = tabrl_policy_row(pi, h, x->s);
    double *gr = st->g + ((size_t)h * (size_t)st->S + (size_t)x->s) * (size_t)st->A;
    for (int a = 0; a < st->A; a++) gr[a] += c * ((a == x->a) - p[a]) * togo;
    togo += r[x->s];
  }
}

/* p(tau | pi_old) / p(tau | pi): the transitions cancel. */
static double weight(const nvr_pg_state *st, const tabrl_step *tau)
{
  double w = 1;
  for (int h = 0; h < st->H; h++)
    w *= tabrl_policy_row(st->pi_old, h, tau[h].s)[tau[h].a] /
         tabrl_policy_row(st->pi, h, tau[h].s)[tau[h].a];
  return w;
}

static int nvr_pg_iterate(void *state, long iteration)
{
  nvr_pg_state *st = state;
  size_t n = (size_t)st->H * (size_t)st->S * (size_t)st->A, hs = (size_t)st->H * (size_t)st->S;
  double inv = 1.0 / st->batch;
  (void)iteration;
  if (st->t == 0) { /* the estimates at theta_0: plain batch means */
    sample_batch(st);
    memset(st->l, 0, hs * sizeof(double));
    for (int i = 0; i < st->batch; i++)
      add_occupancy(st, st->traj + (size_t)i * (size_t)st->H, inv);
    memcpy(st->lambda, st->l, hs * sizeof(double));
    pseudo_reward(st, st->r);
    memset(st->g, 0, n * sizeof(double));
    for (int i = 0; i < st->batch; i++)
      add_gradient(st, st->traj + (size_t)i * (size_t)st->H, st->pi, st->r, inv);
    memcpy(st->u, st->g, n * sizeof(double));
  }
  double norm = 0, t1 = (double)(st->t + 1);
  double alpha = st->alpha * pow(t1, -2.0 / 3), keep = 1 - pow(t1, -2.0 / 3);
  for (size_t i = 0; i < n; i++) norm += st->u[i] * st->u[i];
  norm = sqrt(norm);
  memcpy(st->theta_old, st->theta, n * sizeof(double));
  memcpy(st->pi_old->prob, st->pi->prob, n * sizeof(double));
  memcpy(st->r_old, st->r, (size_t)st->S * sizeof(double));
  if (norm > 0)
    for (size_t i = 0; i < n; i++)
      if (isfinite(st->theta[i])) st->theta[i] += alpha * st->u[i] / norm;
  softmax(st, st->theta, st->pi);
  sample_batch(st);
  /* lambda_{t+1} = mean l + keep (lambda_t - mean w l); l(tau) does not
   * depend on theta, so one pass with the weight 1 - keep w. */
  memset(st->l, 0, hs * sizeof(double));
  for (int i = 0; i < st->batch; i++) {
    const tabrl_step *tau = st->traj + (size_t)i * (size_t)st->H;
    add_occupancy(st, tau, inv * (1 - keep * weight(st, tau)));
  }
  for (size_t i = 0; i < hs; i++) st->lambda[i] = st->l[i] + keep * st->lambda[i];
  pseudo_reward(st, st->r);
  /* u_{t+1} = mean g(theta_{t+1}, r_{t+1}) + keep (u_t - mean w g(theta_t, r_t)) */
  memset(st->g, 0, n * sizeof(double));
  for (int i = 0; i < st->batch; i++) {
    const tabrl_step *tau = st->traj + (size_t)i * (size_t)st->H;
    double w = weight(st, tau);
    add_gradient(st, tau, st->pi, st->r, inv);
    add_gradient(st, tau, st->pi_old, st->r_old, -keep * w * inv);
  }
  for (size_t i = 0; i < n; i++) st->u[i] = st->g[i] + keep * st->u[i];
  st->t++;
  return 0;
}

static int nvr_pg_policy(void *state, tabrl_policy *pi)
{
  nvr_pg_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "nvr-pg: policy shape mismatch");
  memcpy(pi->prob, st->pi->prob, (size_t)st->H * st->S * st->A * sizeof(double));
  return 0;
}

static const tabrl_objective_type *const nvr_pg_objectives[] = {&tabrl_objective_occupancy_entropy,
                                                                NULL};

const tabrl_algo_type tabrl_algo_nvr_pg = {
    .name = "nvr-pg",
    .family = "policy",
    .doc = "Normalised PG with recursive momentum (occupancy and gradient, importance-weighted) "
           "for the occupancy entropy, on trajectories sampled from the model",
    .source = "Barakat, Fatkhullin, He 2023, Reinforcement Learning with General Utilities: "
              "Simpler Variance Reduction and Large State-Action Space, ICML: N-VR-PG",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = nvr_pg_params,
    .state_size = sizeof(nvr_pg_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .objectives = nvr_pg_objectives,
    .init = nvr_pg_init,
    .release = nvr_pg_release,
    .policy = nvr_pg_policy,
    .iterate = nvr_pg_iterate,
};
