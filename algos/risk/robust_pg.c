/* robust-pg: exact projected policy gradient of the KL-regularised robust
 * objective kl-robust:beta (planning).
 *
 * Zhang, Hu and Li, "Regularized Robust MDPs and Risk-Sensitive MDPs:
 * Equivalence, Policy Gradient, and Sample Complexity" (arXiv 2306.11626;
 * ICLR 2024), its robust policy gradient theorem: for the direct
 * parametrisation pi(a|s),
 *
 *   dJ/dpi(a|s) = d(s) Q(s,a),   d = sum_t gamma^t mu0 Phat_pi^t,
 *
 * where Q is the robust Q of pi, Q(s,a) = r(s,a) - (gamma/beta) log E_P
 * exp(-beta V(s')), and Phat_pi is pi's kernel under the worst-case
 * adversary q*(s'|s,a) proportional to P(s'|s,a) exp(-beta V(s')) (the
 * minimiser of q.V + KL(q || P)/beta).  The update is projected gradient
 * ascent pi <- Proj_simplex(pi + lr grad), per state, from the uniform
 * policy.  The paper's text could not be read here (so no section or
 * equation numbers are cited): the update, the gradient d(s) Q(s,a) (its
 * visitation normalised by 1 - gamma and divided by it again) and the
 * constants (lr 0.1, uniform start, Toy-10 p = 0.01)
 * are those of the authors' code (huyangsh/risk-sensitive-RL_NeurIPS-2024,
 * toy/agent/PolicyGradient.py, toy/env/RMDP.py).  Two differences, both
 * making the gradient exact: that code truncates the visitation after 100
 * steps and evaluates V to a 1e-5 sweep change; here d solves (I - gamma
 * Phat_pi^T) d = mu0 by GSL's LU decomposition (dense S x S: models up to
 * ROBUST_PG_MAX_S states) and V is the kl-robust oracle's (relative
 * 1e-10).
 *
 * Rewards that depend on s' too: the adversary tilts the joint law of
 * (s', r) (src/oracle/objective_kl_robust.c), so each entry e of (s, a)
 * gets q*_e proportional to p_e exp(-beta (V(s'_e) + (r_e - rbar)/gamma)),
 * the derivative of Q(s,a) in V(s'_e) divided by gamma.  Episodic models
 * (gamma = 1 per stage, V_H = 0): d_0 = mu0, d_{h+1} = d_h Phat_{pi,h},
 * and the gradient of stage h is d_h(s) Q_h(s,a).  The projection is the
 * Euclidean one onto the simplex of the valid actions (Held, Wolfe and
 * Crowder 1974; Duchi et al. 2008, Figure 1): sort, threshold, clip; it
 * ignores a common shift of a row, so only the differences of d(s) Q(s,a)
 * across actions move the policy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"

/* Largest discounted model: the dense LU needs 8 S^2 bytes (32 MB). */
#define ROBUST_PG_MAX_S 2000

extern const tabrl_objective_type tabrl_objective_kl_robust;

static const tabrl_objective_type *const robust_pg_objectives[] = {&tabrl_objective_kl_robust,
                                                                   NULL};

static const tabrl_param robust_pg_params[] = {
    {"lr", TABRL_DOUBLE, "0.1", "(0,inf)", "step size of the projected gradient ascent"},
    {0},
};

/* What one gradient evaluation needs, sized for m. */
typedef struct {
  const tabrl_mdp *m;
  tabrl_objective objective;
  double *V;     /* tabrl_oracle_value_size(m) */
  double *Q;     /* stages*S*A, 0 on invalid actions */
  double *d;     /* stages*S: the discounted (or per-stage) visitation */
  double *tilt;  /* the largest block's entries */
  gsl_matrix *M; /* discounted: I - gamma Phat^T */
  gsl_permutation *perm;
  gsl_vector *rhs, *sol;
} robust_pg_work;

static void work_free(robust_pg_work *w)
{
  free(w->V);
  free(w->Q);
  free(w->d);
  free(w->tilt);
  if (w->M) gsl_matrix_free(w->M);
  if (w->perm) gsl_permutation_free(w->perm);
  if (w->rhs) gsl_vector_free(w->rhs);
  if (w->sol) gsl_vector_free(w->sol);
  memset(w, 0, sizeof *w);
}

static int work_init(robust_pg_work *w, const tabrl_mdp *m, const tabrl_objective *o)
{
  size_t stages = (size_t)tabrl_mdp_value_stages(m), S = (size_t)m->S, A = (size_t)m->A, run = 1;
  size_t blocks = (size_t)m->stages * S * A;
  for (size_t b = 0; b < blocks; b++)
    run = m->row[b + 1] - m->row[b] > run ? m->row[b + 1] - m->row[b] : run;
  w->m = m;
  w->objective = *o;
  w->V = malloc(tabrl_oracle_value_size(m) * sizeof *w->V);
  w->Q = calloc(stages * S * A, sizeof *w->Q);
  w->d = calloc(stages * S, sizeof *w->d);
  w->tilt = malloc(run * sizeof *w->tilt);
  if (m->horizon == 0) {
    w->M = gsl_matrix_alloc(S, S);
    w->perm = gsl_permutation_alloc(S);
    w->rhs = gsl_vector_alloc(S);
    w->sol = gsl_vector_alloc(S);
    if (!w->M || !w->perm || !w->rhs || !w->sol)
      return tabrl_error(TABRL_ENOMEM, "robust-pg: out of memory");
  }
  if (!w->V || !w->Q || !w->d || !w->tilt)
    return tabrl_error(TABRL_ENOMEM, "robust-pg: out of memory");
  return 0;
}

/* The robust Q of block b given the next values Vn, and the worst-case
 * tilt of its entries into w (summing to 1).  log-sum-exp around the
 * smallest x keeps every exponent <= 0. */
static double block_q(const tabrl_mdp *m, double beta, size_t b, const double *Vn, double *w)
{
  size_t lo = m->row[b], hi = m->row[b + 1];
  double g = m->horizon > 0 ? 1.0 : m->gamma, rbar = m->mean_reward[b], star = INFINITY, W = 0,
         P = 0, t = 0;
  if (g == 0) {
    /* no future: the adversary leaves the worst reward (the oracle's limit) */
    double worst = INFINITY;
    for (size_t e = lo; e < hi; e++) worst = fmin(worst, m->reward[e]), w[e - lo] = 0;
    return worst;
  }
  for (size_t e = lo; e < hi; e++) star = fmin(star, Vn[m->next[e]] + (m->reward[e] - rbar) / g);
  for (size_t e = lo; e < hi; e++) {
    double z = -beta * (Vn[m->next[e]] + (m->reward[e] - rbar) / g - star);
    w[e - lo] = m->prob[e] * exp(z);
    W += w[e - lo];
    P += m->prob[e];
    t += m->prob[e] * expm1(z);
  }
  for (size_t e = lo; e < hi; e++) w[e - lo] /= W;
  return rbar + g * (star - log1p(t / P) / beta);
}

/* grad[(h*S + s)*A + a] = d_h(s) Q_h(s,a) at pi (0 on invalid actions);
 * *J receives pi's robust objective. */
static int work_gradient(robust_pg_work *w, const tabrl_policy *pi, double *grad, double *J)
{
  const tabrl_mdp *m = w->m;
  int S = m->S, A = m->A, stages = tabrl_mdp_value_stages(m), status;
  double beta = w->objective.param, g = m->horizon > 0 ? 1.0 : m->gamma;
  if ((status = tabrl_objective_value(&w->objective, m, pi, w->V, J))) return status;
  for (int h = 0; h < stages; h++) {
    const double *Vn = w->V + (m->horizon > 0 ? (size_t)(h + 1) * (size_t)S : 0);
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++)
        w->Q[((size_t)h * S + s) * A + a] =
            tabrl_mdp_valid(m, h, s, a) ? block_q(m, beta, tabrl_mdp_block(m, h, s, a), Vn, w->tilt)
                                        : 0;
  }
  if (m->horizon > 0) {
    memcpy(w->d, m->mu0, (size_t)S * sizeof *w->d);
    for (int h = 0; h + 1 < stages; h++) {
      double *next = w->d + (size_t)(h + 1) * S;
      const double *Vn = w->V + (size_t)(h + 1) * S;
      memset(next, 0, (size_t)S * sizeof *next);
      for (int s = 0; s < S; s++) {
        const double *row = tabrl_policy_row(pi, h, s);
        for (int a = 0; a < A; a++) {
          size_t b = tabrl_mdp_block(m, h, s, a);
          if (row[a] <= 0 || !tabrl_mdp_valid(m, h, s, a)) continue;
          block_q(m, beta, b, Vn, w->tilt);
          for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
            next[m->next[e]] += w->d[(size_t)h * S + s] * row[a] * w->tilt[e - m->row[b]];
        }
      }
    }
  } else {
    gsl_matrix_set_identity(w->M);
    for (int s = 0; s < S && g > 0; s++) {
      const double *row = tabrl_policy_row(pi, 0, s);
      for (int a = 0; a < A; a++) {
        size_t b = tabrl_mdp_block(m, 0, s, a);
        if (row[a] <= 0 || !tabrl_mdp_valid(m, 0, s, a)) continue;
        block_q(m, beta, b, w->V, w->tilt);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          *gsl_matrix_ptr(w->M, (size_t)m->next[e], (size_t)s) -=
              g * row[a] * w->tilt[e - m->row[b]];
      }
    }
    int sign;
    for (int s = 0; s < S; s++) gsl_vector_set(w->rhs, (size_t)s, m->mu0[s]);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    status = gsl_linalg_LU_decomp(w->M, w->perm, &sign);
    if (!status) status = gsl_linalg_LU_solve(w->M, w->perm, w->rhs, w->sol);
    gsl_set_error_handler(old);
    if (status) return tabrl_error(TABRL_ENUMERIC, "robust-pg: the visitation system is singular");
    for (int s = 0; s < S; s++) w->d[s] = gsl_vector_get(w->sol, (size_t)s);
  }
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        size_t i = ((size_t)h * S + s) * A + a;
        grad[i] = w->d[(size_t)h * S + s] * w->Q[i];
      }
  return 0;
}

/* Euclidean projection of y (n entries) onto the probability simplex. */
static void project_simplex(double *y, int n, double *sorted)
{
  double sum = 0, theta = 0;
  memcpy(sorted, y, (size_t)n * sizeof *y);
  for (int i = 1; i < n; i++) /* insertion sort, descending: n is the action count */
    for (int j = i; j > 0 && sorted[j] > sorted[j - 1]; j--) {
      double t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  for (int j = 0; j < n; j++) {
    sum += sorted[j];
    if (sorted[j] - (sum - 1) / (j + 1) > 0) theta = (sum - 1) / (j + 1);
  }
  for (int i = 0; i < n; i++) y[i] = fmax(y[i] - theta, 0);
}

typedef struct {
  robust_pg_work work;
  double lr;
  tabrl_policy *pi;
  double *grad;       /* stages*S*A, the last iteration's gradient */
  double *y, *sorted; /* A each: one row's step and its sorted copy */
  int *valid;         /* A: one row's valid actions */
} robust_pg_state;

static void robust_pg_release(void *state)
{
  robust_pg_state *st = state;
  work_free(&st->work);
  tabrl_policy_free(st->pi);
  free(st->grad);
  free(st->y);
  free(st->sorted);
  free(st->valid);
}

static int robust_pg_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  if (problem->horizon == 0 && problem->S > ROBUST_PG_MAX_S)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "robust-pg solves a dense %d x %d visitation system; discounted models are "
                       "limited to %d states",
                       problem->S, problem->S, ROBUST_PG_MAX_S);
  return 0;
}

static int robust_pg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  robust_pg_state *st = state;
  const tabrl_mdp *m = problem->model;
  int status;
  if (!m) return tabrl_error(TABRL_EINVAL, "robust-pg needs the model (planning protocol)");
  if ((status = work_init(&st->work, m, problem->objective))) return status;
  st->lr = tabrl_values_double(params, "lr");
  st->pi = tabrl_policy_alloc_for(m);
  st->grad =
      calloc((size_t)tabrl_mdp_value_stages(m) * (size_t)m->S * (size_t)m->A, sizeof *st->grad);
  st->y = malloc((size_t)m->A * sizeof *st->y);
  st->sorted = malloc((size_t)m->A * sizeof *st->sorted);
  st->valid = malloc((size_t)m->A * sizeof *st->valid);
  if (!st->pi || !st->grad || !st->y || !st->sorted || !st->valid)
    return tabrl_error(TABRL_ENOMEM, "robust-pg: out of memory");
  tabrl_policy_set_uniform(st->pi, m);
  return 0;
}

static int robust_pg_iterate(void *state, long iteration)
{
  robust_pg_state *st = state;
  const tabrl_mdp *m = st->work.m;
  int S = m->S, A = m->A, status;
  double J;
  (void)iteration;
  if ((status = work_gradient(&st->work, st->pi, st->grad, &J))) return status;
  for (int h = 0; h < st->pi->stages; h++)
    for (int s = 0; s < S; s++) {
      double *row = tabrl_policy_row(st->pi, h, s);
      const double *gr = st->grad + ((size_t)h * S + s) * A;
      int n = 0;
      for (int a = 0; a < A; a++)
        if (tabrl_mdp_valid(m, h, s, a)) {
          st->valid[n] = a;
          st->y[n++] = row[a] + st->lr * gr[a];
        }
      project_simplex(st->y, n, st->sorted);
      for (int a = 0; a < A; a++) row[a] = 0;
      for (int i = 0; i < n; i++) row[st->valid[i]] = st->y[i];
    }
  return 0;
}

static int robust_pg_policy(void *state, tabrl_policy *pi)
{
  const robust_pg_state *st = state;
  if (pi->S != st->pi->S || pi->A != st->pi->A || pi->stages != st->pi->stages)
    return tabrl_error(TABRL_EINVAL, "robust-pg: policy must be %d x %d with %d stages", st->pi->S,
                       st->pi->A, st->pi->stages);
  memcpy(pi->prob, st->pi->prob,
         (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof *pi->prob);
  return 0;
}

const tabrl_algo_type tabrl_algo_robust_pg = {
    .name = "robust-pg",
    .family = "risk",
    .doc = "Exact projected policy gradient of kl-robust:beta (direct parametrisation, "
           "visitation under the worst-case kernel)",
    .source = "Zhang, Hu and Li 2023 (arXiv 2306.11626), robust policy gradient theorem "
              "(section not read); step and constants of the authors' toy/agent/PolicyGradient.py",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = robust_pg_params,
    .state_size = sizeof(robust_pg_state),
    .check = robust_pg_check,
    .objectives = robust_pg_objectives,
    .init = robust_pg_init,
    .release = robust_pg_release,
    .policy = robust_pg_policy,
    .iterate = robust_pg_iterate,
};

/* For the tests (no public header): the exact gradient d_h(s) Q_h(s,a) of
 * o (a kl-robust objective) at pi on m into grad (stages*S*A), and J(pi). */
int tabrl_robust_pg_gradient(const tabrl_mdp *m, const tabrl_objective *o, const tabrl_policy *pi,
                             double *grad, double *J)
{
  robust_pg_work w;
  int status;
  memset(&w, 0, sizeof w);
  status = work_init(&w, m, o);
  if (!status) status = tabrl_policy_check(pi, m);
  if (!status) status = work_gradient(&w, pi, grad, J);
  work_free(&w);
  return status;
}
