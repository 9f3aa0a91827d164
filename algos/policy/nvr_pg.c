/* nvr-pg: normalised policy gradient with recursive momentum variance
 * reduction for a general utility F(lambda^pi) of the occupancy measure
 * (Barakat, Fatkhullin, He 2023, "Reinforcement Learning with General
 * Utilities: Simpler Variance Reduction and Large State-Action Space",
 * ICML, their N-VR-PG), here on the `entropy` objective (maximum-entropy
 * exploration, src/oracle/objective_occupancy_entropy.c) and on
 * `penalty:B` (src/oracle/objective_penalty.c) with a softmax tabular
 * policy (stage-dependent on episodic models, stationary on discounted
 * ones).  The paper's text could not be read
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
 * the exact, unsmoothed entropy of the iterate.
 *
 * penalty:B, F(d) = J_r - (kappa/2)(J_c - B)_+^2 with J_r = <r, d> and
 * J_c = <c, d> linear in the state-action occupancy d, has the gradient
 * r - kappa (J_c - B)_+ c: the pseudo-reward of a step is its sampled
 * reward less kappa (C_t - B)_+ times the sampled entry's cost
 * (tabrl_mdp.cost), with C_t the STORM estimate of J_c kept like lambda,
 *   C_{t+1} = mean c(tau) + (1 - eta_t)(C_t - mean w c(tau)),
 * c(tau) the trajectory's (weighted, below) cost; no occupancy is kept.
 * The pseudo-reward then depends on the action, so the REINFORCE sum runs
 * over h' >= h.
 *
 * Discounted models (gamma < 1): the trajectories are truncated at
 * T = max(1, ceil(log(trunc) / log(gamma))) steps (gamma^T <= trunc; the
 * effective horizon) and step t weighs omega_t = (1 - gamma) gamma^t /
 * (1 - gamma^T), so sum_t omega_t 1[s_t = s] estimates without bias the
 * truncated normalised occupancy d_T = (1 - gamma) / (1 - gamma^T)
 * sum_{t<T} gamma^t P(s_t = s), a distribution; the algorithm ascends
 * F(d_T), not F(d): ||d_T - d||_1 <= 2 gamma^T <= 2 trunc (each of the
 * rescaling and the lost tail moves a mass gamma^T), so J_r and J_c carry
 * a bias of at most 2 trunc max|r| / (1 - gamma) (J = <r, d> / (1 -
 * gamma)).  The runner measures the exact F(d) of the iterate.  Episodic
 * models: omega_h = 1, lambda per stage, T = H. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/sim.h"

extern const tabrl_objective_type tabrl_objective_occupancy_entropy;
extern const tabrl_objective_type tabrl_objective_penalty;

/* The penalty objective's kappa (src/oracle/objective_penalty.c). */
#define NVR_PG_KAPPA 100.0

static const tabrl_param nvr_pg_params[] = {
    {"alpha", TABRL_DOUBLE, "0.5", "(0,inf)",
     "initial normalised step: alpha_t = alpha (t + 1)^(-2/3) in the logits"},
    {"batch", TABRL_INT, "10", "[1,100000]", "trajectories sampled per update"},
    {"sigma", TABRL_DOUBLE, "0.01", "(0,inf)",
     "smoothing of the entropy's pseudo-reward -(log(dbar + sigma) + dbar / (dbar + sigma)) / H"},
    {"trunc", TABRL_DOUBLE, "0.001", "(0,1)",
     "discounted models: trajectories of T = ceil(log(trunc) / log(gamma)) steps (gamma^T <= "
     "trunc)"},
    {0},
};

typedef struct {
  const tabrl_mdp *m;
  gsl_rng *rng;
  int H, S, A, batch; /* H: the trajectory length (T when discounted) */
  int stages;         /* of the policy and of lambda: H episodic, 1 discounted */
  int penalty;        /* the objective is penalty:B */
  double alpha, sigma, budget;
  long t;                      /* updates done */
  double *theta, *theta_old;   /* stages S A logits, -inf at invalid actions */
  tabrl_policy *pi, *pi_old;   /* softmax of theta, theta_old */
  double *u, *g;               /* stages S A: the gradient estimate, scratch */
  double *lambda, *l;          /* stages S: occupancy estimate, scratch */
  double *r, *r_old, *dbar;    /* S: pseudo-rewards (per stage: / H), scratch */
  double cost, pull, pull_old; /* penalty: C_t, kappa (C_t - B)_+ now and before */
  double *omega;               /* H step weights */
  tabrl_step *traj;            /* batch * H steps */
  double *traj_cost;           /* batch * H costs of the sampled entries (penalty) */
} nvr_pg_state;

static void nvr_pg_release(void *state)
{
  nvr_pg_state *st = state;
  free(st->theta), free(st->theta_old), free(st->u), free(st->g);
  free(st->lambda), free(st->l), free(st->r), free(st->r_old), free(st->dbar), free(st->traj);
  free(st->omega), free(st->traj_cost);
  tabrl_policy_free(st->pi), tabrl_policy_free(st->pi_old);
}

static void softmax(const nvr_pg_state *st, const double *theta, tabrl_policy *pi)
{
  for (int hs = 0; hs < st->stages * st->S; hs++) {
    const double *z = theta + (size_t)hs * (size_t)st->A;
    double *p = pi->prob + (size_t)hs * (size_t)st->A, top = -INFINITY, total = 0;
    for (int a = 0; a < st->A; a++) top = fmax(top, z[a]);
    for (int a = 0; a < st->A; a++) total += p[a] = isfinite(z[a]) ? exp(z[a] - top) : 0;
    for (int a = 0; a < st->A; a++) p[a] /= total;
  }
}

/* The trajectory length and step weights (see the header comment). */
static int set_length(nvr_pg_state *st, double trunc)
{
  const tabrl_mdp *m = st->m;
  if (m->horizon > 0) {
    st->H = m->horizon;
  } else {
    double T = m->gamma > 0 ? ceil(log(trunc) / log(m->gamma)) : 1;
    if (!(T <= 1e6))
      return tabrl_error(TABRL_EINVAL,
                         "nvr-pg: trunc = %g at gamma = %g asks for trajectories of %g steps "
                         "(at most 1e6)",
                         trunc, m->gamma, T);
    st->H = T < 1 ? 1 : (int)T;
  }
  if (!(st->omega = malloc((size_t)st->H * sizeof(double))))
    return tabrl_error(TABRL_ENOMEM, "nvr-pg: out of memory");
  double c = m->horizon > 0 ? 1 : (1 - m->gamma) / (1 - pow(m->gamma, st->H)), gt = 1;
  for (int h = 0; h < st->H; h++, gt *= m->gamma) st->omega[h] = m->horizon > 0 ? 1 : c * gt;
  return 0;
}

static int nvr_pg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  nvr_pg_state *st = state;
  const tabrl_mdp *m = problem->model;
  if (!m) return tabrl_error(TABRL_EINVAL, "nvr-pg needs the model (planning protocol)");
  st->m = m, st->rng = problem->rng;
  st->stages = tabrl_mdp_value_stages(m), st->S = m->S, st->A = m->A;
  st->penalty = problem->objective && problem->objective->type == &tabrl_objective_penalty;
  st->budget = st->penalty ? problem->objective->param : 0;
  if (st->penalty && !m->cost)
    return tabrl_error(
        TABRL_EINVAL,
        "nvr-pg: penalty:B needs a model with costs (CSV column c, chain's cost = c)");
  st->alpha = tabrl_values_double(params, "alpha");
  st->sigma = tabrl_values_double(params, "sigma");
  st->batch = tabrl_values_int(params, "batch");
  int status = set_length(st, tabrl_values_double(params, "trunc"));
  if (status) return status;
  size_t n = (size_t)st->stages * (size_t)st->S * (size_t)st->A,
         hs = (size_t)st->stages * (size_t)st->S, steps = (size_t)st->batch * (size_t)st->H;
  st->theta = malloc(n * sizeof(double)), st->theta_old = malloc(n * sizeof(double));
  st->u = calloc(n, sizeof(double)), st->g = calloc(n, sizeof(double));
  st->lambda = calloc(hs, sizeof(double)), st->l = calloc(hs, sizeof(double));
  st->r = calloc((size_t)st->S, sizeof(double)), st->r_old = calloc((size_t)st->S, sizeof(double));
  st->dbar = calloc((size_t)st->S, sizeof(double));
  st->traj = malloc(steps * sizeof *st->traj);
  st->traj_cost = malloc(steps * sizeof(double));
  st->pi = tabrl_policy_alloc(st->S, st->A, st->stages);
  st->pi_old = tabrl_policy_alloc(st->S, st->A, st->stages);
  if (!st->theta || !st->theta_old || !st->u || !st->g || !st->lambda || !st->l || !st->r ||
      !st->r_old || !st->dbar || !st->traj || !st->traj_cost || !st->pi || !st->pi_old)
    return tabrl_error(TABRL_ENOMEM, "nvr-pg: out of memory");
  for (int h = 0; h < st->stages; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++)
        st->theta[((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a] =
            tabrl_problem_valid(problem, h, s, a) ? 0 : -INFINITY;
  softmax(st, st->theta, st->pi);
  return 0;
}

/* One trajectory of H steps of pi with the costs of the sampled entries.
 * It draws exactly what tabrl_sim_episode draws (start, action, one draw
 * per transition, noise), so the sampled trajectories are its own. */
static void rollout(nvr_pg_state *st, tabrl_step *traj, double *cost)
{
  const tabrl_mdp *m = st->m;
  tabrl_pcg32 *rng = tabrl_gsl_rng_pcg32_state(st->rng);
  int s = tabrl_mdp_sample_start(m, rng);
  for (int h = 0; h < st->H; h++) {
    int hs = m->horizon > 0 ? h : 0;
    int a = tabrl_policy_sample(st->pi, hs, s, rng);
    size_t k = tabrl_mdp_sample_entry(m, tabrl_mdp_block(m, hs, s, a), rng);
    double reward = m->reward[k];
    if (m->noise.kind != TABRL_NOISE_NONE) reward += tabrl_noise_sample(&m->noise, st->rng);
    traj[h] = (tabrl_step){hs, s, a, m->next[k], reward};
    cost[h] = m->cost ? m->cost[k] : 0;
    s = m->next[k];
  }
}

/* A batch of trajectories of the current policy pi. */
static void sample_batch(nvr_pg_state *st)
{
  for (int i = 0; i < st->batch; i++)
    rollout(st, st->traj + (size_t)i * (size_t)st->H, st->traj_cost + (size_t)i * (size_t)st->H);
}

/* The smoothed entropy's pseudo-reward at the estimate lambda into r
 * (episodic: the stages' average, / H; discounted: lambda is dbar). */
static void pseudo_reward(nvr_pg_state *st, double *r)
{
  for (int s = 0; s < st->S; s++) st->dbar[s] = 0;
  for (int h = 0; h < st->stages; h++)
    for (int s = 0; s < st->S; s++) st->dbar[s] += st->lambda[(size_t)h * st->S + s] / st->stages;
  for (int s = 0; s < st->S; s++) {
    double d = fmax(st->dbar[s], 0);
    r[s] = -(log(d + st->sigma) + d / (d + st->sigma)) / st->stages;
  }
}

/* Adds c l(tau) to l for one trajectory. */
static void add_occupancy(nvr_pg_state *st, const tabrl_step *tau, double c)
{
  for (int h = 0; h < st->H; h++)
    st->l[(size_t)tau[h].h * (size_t)st->S + (size_t)tau[h].s] += c * st->omega[h];
}

/* c(tau): the trajectory's weighted cost, an estimate of J_c / scale. */
static double trajectory_cost(const nvr_pg_state *st, const double *cost)
{
  double total = 0;
  for (int h = 0; h < st->H; h++) total += st->omega[h] * cost[h];
  return total;
}

/* Adds c g(tau, pi, r) to g for one trajectory: r the entropy's
 * per-state pseudo-reward, or for the penalty the pull on the costs. */
static void add_gradient(nvr_pg_state *st, const tabrl_step *tau, const double *cost,
                         const tabrl_policy *pi, const double *r, double pull, double c)
{
  double togo = 0;
  for (int h = st->H - 1; h >= 0; h--) {
    const tabrl_step *x = &tau[h];
    const double *p = tabrl_policy_row(pi, x->h, x->s);
    double *gr = st->g + ((size_t)x->h * (size_t)st->S + (size_t)x->s) * (size_t)st->A;
    if (st->penalty) togo += st->omega[h] * (x->reward - pull * cost[h]);
    for (int a = 0; a < st->A; a++) gr[a] += c * ((a == x->a) - p[a]) * togo;
    if (!st->penalty) togo += st->omega[h] * r[x->s];
  }
}

/* p(tau | pi_old) / p(tau | pi): the transitions cancel. */
static double weight(const nvr_pg_state *st, const tabrl_step *tau)
{
  double w = 1;
  for (int h = 0; h < st->H; h++)
    w *= tabrl_policy_row(st->pi_old, tau[h].h, tau[h].s)[tau[h].a] /
         tabrl_policy_row(st->pi, tau[h].h, tau[h].s)[tau[h].a];
  return w;
}

/* The pseudo-reward of the current estimates (lambda or C). */
static void refresh_reward(nvr_pg_state *st)
{
  if (st->penalty) {
    /* J_c = C / (1 - gamma) when discounted (omega sums to 1), C when
     * episodic; grad F = scale grad <r - kappa (J_c - B)_+ c, d>, and the
     * common factor scale drops out of the normalised step. */
    double scale = st->m->horizon > 0 ? 1 : 1 / (1 - st->m->gamma);
    st->pull = NVR_PG_KAPPA * fmax(scale * st->cost - st->budget, 0);
  } else {
    pseudo_reward(st, st->r);
  }
}

static int nvr_pg_iterate(void *state, long iteration)
{
  nvr_pg_state *st = state;
  size_t n = (size_t)st->stages * (size_t)st->S * (size_t)st->A,
         hs = (size_t)st->stages * (size_t)st->S;
  double inv = 1.0 / st->batch;
  (void)iteration;
  if (st->t == 0) { /* the estimates at theta_0: plain batch means */
    sample_batch(st);
    memset(st->l, 0, hs * sizeof(double));
    st->cost = 0;
    for (int i = 0; i < st->batch; i++) {
      add_occupancy(st, st->traj + (size_t)i * (size_t)st->H, inv);
      st->cost += inv * trajectory_cost(st, st->traj_cost + (size_t)i * (size_t)st->H);
    }
    memcpy(st->lambda, st->l, hs * sizeof(double));
    refresh_reward(st);
    memset(st->g, 0, n * sizeof(double));
    for (int i = 0; i < st->batch; i++)
      add_gradient(st, st->traj + (size_t)i * (size_t)st->H,
                   st->traj_cost + (size_t)i * (size_t)st->H, st->pi, st->r, st->pull, inv);
    memcpy(st->u, st->g, n * sizeof(double));
  }
  double norm = 0, t1 = (double)(st->t + 1);
  double alpha = st->alpha * pow(t1, -2.0 / 3), keep = 1 - pow(t1, -2.0 / 3);
  for (size_t i = 0; i < n; i++) norm += st->u[i] * st->u[i];
  norm = sqrt(norm);
  memcpy(st->theta_old, st->theta, n * sizeof(double));
  memcpy(st->pi_old->prob, st->pi->prob, n * sizeof(double));
  memcpy(st->r_old, st->r, (size_t)st->S * sizeof(double));
  st->pull_old = st->pull;
  if (norm > 0)
    for (size_t i = 0; i < n; i++)
      if (isfinite(st->theta[i])) st->theta[i] += alpha * st->u[i] / norm;
  softmax(st, st->theta, st->pi);
  sample_batch(st);
  /* lambda_{t+1} = mean l + keep (lambda_t - mean w l); l(tau) does not
   * depend on theta, so one pass with the weight 1 - keep w (C alike). */
  memset(st->l, 0, hs * sizeof(double));
  double cost = 0;
  for (int i = 0; i < st->batch; i++) {
    const tabrl_step *tau = st->traj + (size_t)i * (size_t)st->H;
    double c = inv * (1 - keep * weight(st, tau));
    add_occupancy(st, tau, c);
    cost += c * trajectory_cost(st, st->traj_cost + (size_t)i * (size_t)st->H);
  }
  for (size_t i = 0; i < hs; i++) st->lambda[i] = st->l[i] + keep * st->lambda[i];
  st->cost = cost + keep * st->cost;
  refresh_reward(st);
  /* u_{t+1} = mean g(theta_{t+1}, r_{t+1}) + keep (u_t - mean w g(theta_t, r_t)) */
  memset(st->g, 0, n * sizeof(double));
  for (int i = 0; i < st->batch; i++) {
    const tabrl_step *tau = st->traj + (size_t)i * (size_t)st->H;
    const double *cst = st->traj_cost + (size_t)i * (size_t)st->H;
    double w = weight(st, tau);
    add_gradient(st, tau, cst, st->pi, st->r, st->pull, inv);
    add_gradient(st, tau, cst, st->pi_old, st->r_old, st->pull_old, -keep * w * inv);
  }
  for (size_t i = 0; i < n; i++) st->u[i] = st->g[i] + keep * st->u[i];
  st->t++;
  return 0;
}

static int nvr_pg_policy(void *state, tabrl_policy *pi)
{
  nvr_pg_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->stages)
    return tabrl_error(TABRL_EINVAL, "nvr-pg: policy shape mismatch");
  memcpy(pi->prob, st->pi->prob, (size_t)st->stages * st->S * st->A * sizeof(double));
  return 0;
}

static const tabrl_objective_type *const nvr_pg_objectives[] = {&tabrl_objective_occupancy_entropy,
                                                                &tabrl_objective_penalty, NULL};

const tabrl_algo_type tabrl_algo_nvr_pg = {
    .name = "nvr-pg",
    .family = "policy",
    .doc = "Normalised PG with recursive momentum (occupancy and gradient, importance-weighted) "
           "for the occupancy entropy or penalty:B, on trajectories sampled from the model "
           "(discounted: truncated at gamma^T <= trunc)",
    .source = "Barakat, Fatkhullin, He 2023, Reinforcement Learning with General Utilities: "
              "Simpler Variance Reduction and Large State-Action Space, ICML: N-VR-PG",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = nvr_pg_params,
    .state_size = sizeof(nvr_pg_state),
    .objectives = nvr_pg_objectives,
    .init = nvr_pg_init,
    .release = nvr_pg_release,
    .policy = nvr_pg_policy,
    .iterate = nvr_pg_iterate,
};
