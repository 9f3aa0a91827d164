/* ecrm-pg: exact policy gradient ascent on the ecrm:alpha objective with
 * softmax tabular policies (Yu and Ji 2023, "On the Global Convergence of
 * Risk-Averse Policy Gradient Methods with Expected Conditional Risk
 * Measures", arXiv 2301.10932: risk-averse policy gradient under the
 * unconstrained softmax parametrisation).  Only the paper's abstract could
 * be read here: its section, equation and step-size numbers are not cited,
 * and the gradient below is derived for tabrl's ecrm recursion
 * (src/oracle/objective_ecrm.c), not copied from the paper's theorem.
 *
 * Policy: pi(a|h,s) = exp(theta_h(s,a)) / sum_b exp(theta_h(s,b)) over the
 * valid actions, theta = 0 at the start (uniform).  Objective:
 *   V_H = 0,  V_h(s) = sum_a pi(a|h,s) Q_h(s,a),
 *   Q_h(s,a) = CVaR_alpha[r + V_{h+1}(s') | s, a],  J = sum_s mu0(s) V_0(s).
 * The lower-tail CVaR of a finite law is the mean under the reweighted law
 * xi_k = take_k / alpha (the mass of atom k inside the worst alpha
 * fraction, the quantile atom split), and it is piecewise linear in the
 * atom values with derivative xi_k wherever no two atoms swap order
 * (Rockafellar and Uryasev 2002; at ties xi is one subgradient).  So
 * dQ_h(s,a)/dV_{h+1}(s') = Ptilde_h(s'|s,a) = sum_{k -> s'} xi_k, and the
 * chain rule through the recursion gives the softmax policy gradient
 * theorem with the kernel P replaced by the risk-distorted Ptilde:
 *   dJ/dtheta_h(s,a) = d_h(s) pi(a|h,s) (Q_h(s,a) - V_h(s)),
 *   d_0 = mu0,  d_{h+1}(s') = sum_{s,a} d_h(s) pi(a|h,s) Ptilde_h(s'|s,a),
 * the "risk-weighted visitation".  One iterate() is one ascent step
 * theta <- theta + eta dJ/dtheta (planning protocol: the model is given).
 *
 * Step eta: the paper's constant could not be read.  The default 10 is
 * not tuned to the limit: on the Garnet of experiments/ecrm-pg.ini the gap
 * J* - J(pi_k) decreases monotonically at every eta in 0.3 .. 1000 tried,
 * roughly as c / (eta k), the O(1/k) rate of exact softmax policy gradient
 * (Mei, Xiao, Szepesvari, Schuurmans 2020, Theorem 4, for the mean).
 *
 * Not built: the sampled (online) variant, which would estimate Ptilde
 * and Q from episodes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "protocol/testing.h"

extern const tabrl_objective_type tabrl_objective_ecrm;

static const tabrl_param ecrm_pg_params[] = {
    {"eta", TABRL_DOUBLE, "10", "(0,inf)", "step size of the gradient ascent on theta"},
    {0},
};

typedef struct {
  double value, prob;
  size_t k; /* the entry of the model's CSR arrays */
} ecrm_atom;

typedef struct {
  const tabrl_mdp *model;
  double alpha, eta;
  int H, S, A;
  size_t entries;   /* CSR entries of one stage's weights (see weight_at) */
  double *theta;    /* H*S*A */
  double *pi;       /* H*S*A, softmax(theta) */
  double *Q, *grad; /* H*S*A */
  double *V;        /* (H+1)*S */
  double *d;        /* (H+1)*S risk-weighted visitation */
  double *xi;       /* CVaR weight of each (stage, entry) */
  ecrm_atom *atoms; /* scratch, the largest block */
  double J;         /* J(theta) of the last gradient */
} ecrm_pg_state;

static void ecrm_pg_release(void *state)
{
  ecrm_pg_state *st = state;
  free(st->theta);
  free(st->pi);
  free(st->Q);
  free(st->grad);
  free(st->V);
  free(st->d);
  free(st->xi);
  free(st->atoms);
}

static int ecrm_pg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  ecrm_pg_state *st = state;
  const tabrl_mdp *m = problem->model;
  if (!m) return tabrl_error(TABRL_EINVAL, "ecrm-pg needs the model (planning protocol)");
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "ecrm-pg needs the exact reward law; this model adds reward noise");
  st->model = m;
  st->alpha = problem->objective ? problem->objective->param : 1.0;
  st->eta = tabrl_values_double(params, "eta");
  st->H = m->horizon, st->S = m->S, st->A = m->A;
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A, most = 1;
  for (size_t b = 0; b < blocks; b++)
    if (m->row[b + 1] - m->row[b] > most) most = m->row[b + 1] - m->row[b];
  st->entries = m->row[blocks];
  /* A stationary model shares its entries across stages, but their
   * weights depend on V_{h+1}: one copy per stage. */
  size_t nxi = m->stages == 1 ? (size_t)st->H * st->entries : st->entries;
  size_t n = (size_t)st->H * st->S * st->A, nv = (size_t)(st->H + 1) * st->S;
  st->theta = calloc(n, sizeof *st->theta);
  st->pi = calloc(n, sizeof *st->pi);
  st->Q = calloc(n, sizeof *st->Q);
  st->grad = calloc(n, sizeof *st->grad);
  st->V = calloc(nv, sizeof *st->V);
  st->d = calloc(nv, sizeof *st->d);
  st->xi = calloc(nxi, sizeof *st->xi);
  st->atoms = malloc(most * sizeof *st->atoms);
  if (!st->theta || !st->pi || !st->Q || !st->grad || !st->V || !st->d || !st->xi || !st->atoms)
    return tabrl_error(TABRL_ENOMEM, "ecrm-pg: out of memory");
  return 0;
}

static size_t weight_at(const ecrm_pg_state *st, int h, size_t k)
{
  return st->model->stages == 1 ? (size_t)h * st->entries + k : k;
}

static void softmax(ecrm_pg_state *st)
{
  const tabrl_mdp *m = st->model;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      size_t base = ((size_t)h * st->S + s) * st->A;
      double top = -INFINITY, total = 0;
      for (int a = 0; a < st->A; a++)
        if (tabrl_mdp_valid(m, h, s, a) && st->theta[base + a] > top) top = st->theta[base + a];
      for (int a = 0; a < st->A; a++) {
        double p = tabrl_mdp_valid(m, h, s, a) ? exp(st->theta[base + a] - top) : 0;
        st->pi[base + a] = p;
        total += p;
      }
      for (int a = 0; a < st->A; a++) st->pi[base + a] /= total;
    }
}

/* Ties broken by entry so that the weights do not depend on qsort. */
static int by_value(const void *x, const void *y)
{
  const ecrm_atom *a = x, *b = y;
  if (a->value != b->value) return (a->value > b->value) - (a->value < b->value);
  return (a->k > b->k) - (a->k < b->k);
}

/* Q_h(s,a) = CVaR_alpha[r + V_{h+1}(s')], its weights xi_k into st->xi. */
static double cvar_q(ecrm_pg_state *st, int h, int s, int a)
{
  const tabrl_mdp *m = st->model;
  const double *next_V = st->V + (size_t)(h + 1) * st->S;
  size_t b = tabrl_mdp_block(m, h, s, a), n = 0;
  double total = 0, taken = 0, sum = 0;
  for (size_t k = m->row[b]; k < m->row[b + 1]; k++, n++) {
    st->atoms[n] = (ecrm_atom){m->reward[k] + next_V[m->next[k]], m->prob[k], k};
    total += m->prob[k];
  }
  qsort(st->atoms, n, sizeof *st->atoms, by_value);
  /* As tabrl_cvar_lower: alpha of the total mass absorbs its rounding. */
  double want = st->alpha * total;
  for (size_t i = 0; i < n; i++) {
    double take = taken < want ? fmin(st->atoms[i].prob, want - taken) : 0;
    st->xi[weight_at(st, h, st->atoms[i].k)] = take;
    sum += take * st->atoms[i].value;
    taken += take;
  }
  for (size_t i = 0; i < n; i++) st->xi[weight_at(st, h, st->atoms[i].k)] /= taken;
  return sum / taken;
}

/* J(theta) and dJ/dtheta at the current theta. */
static void gradient(ecrm_pg_state *st)
{
  const tabrl_mdp *m = st->model;
  int H = st->H, S = st->S, A = st->A;
  softmax(st);
  memset(st->V + (size_t)H * S, 0, (size_t)S * sizeof *st->V);
  for (int h = H - 1; h >= 0; h--)
    for (int s = 0; s < S; s++) {
      size_t base = ((size_t)h * S + s) * A;
      double v = 0;
      for (int a = 0; a < A; a++) {
        st->Q[base + a] = tabrl_mdp_valid(m, h, s, a) ? cvar_q(st, h, s, a) : 0;
        v += st->pi[base + a] * st->Q[base + a];
      }
      st->V[(size_t)h * S + s] = v;
    }
  st->J = tabrl_oracle_start_value(m, st->V);
  memset(st->d, 0, (size_t)(H + 1) * S * sizeof *st->d);
  memcpy(st->d, m->mu0, (size_t)S * sizeof *st->d);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      double dh = st->d[(size_t)h * S + s];
      size_t base = ((size_t)h * S + s) * A;
      for (int a = 0; a < A; a++) {
        st->grad[base + a] = dh * st->pi[base + a] * (st->Q[base + a] - st->V[(size_t)h * S + s]);
        if (dh == 0 || st->pi[base + a] == 0) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        double w = dh * st->pi[base + a];
        for (size_t k = m->row[b]; k < m->row[b + 1]; k++)
          st->d[(size_t)(h + 1) * S + m->next[k]] += w * st->xi[weight_at(st, h, k)];
      }
    }
}

static int ecrm_pg_iterate(void *state, long iteration)
{
  ecrm_pg_state *st = state;
  size_t n = (size_t)st->H * st->S * st->A;
  (void)iteration;
  gradient(st);
  for (size_t i = 0; i < n; i++) st->theta[i] += st->eta * st->grad[i];
  return 0;
}

static int ecrm_pg_policy(void *state, tabrl_policy *pi)
{
  ecrm_pg_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "ecrm-pg: policy must be %d x %d with %d stages", st->S, st->A,
                       st->H);
  softmax(st);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      memcpy(tabrl_policy_row(pi, h, s), st->pi + ((size_t)h * st->S + s) * st->A,
             (size_t)st->A * sizeof *st->pi);
  return 0;
}

static const tabrl_objective_type *const ecrm_pg_objectives[] = {&tabrl_objective_ecrm, NULL};

const tabrl_algo_type tabrl_algo_ecrm_pg = {
    .name = "ecrm-pg",
    .family = "risk",
    .doc = "Exact softmax policy gradient ascent on ecrm:alpha (risk-weighted visitation)",
    .source = "Yu and Ji 2023, On the Global Convergence of Risk-Averse Policy Gradient Methods "
              "with Expected Conditional Risk Measures (arXiv 2301.10932), softmax "
              "parametrisation; the gradient derived for tabrl's nested ecrm recursion",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = ecrm_pg_params,
    .state_size = sizeof(ecrm_pg_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .objectives = ecrm_pg_objectives,
    .init = ecrm_pg_init,
    .release = ecrm_pg_release,
    .policy = ecrm_pg_policy,
    .iterate = ecrm_pg_iterate,
};

int tabrl_ecrm_pg_gradient(tabrl_algo *algo, const double *theta, double *grad, double *J)
{
  if (algo->type != &tabrl_algo_ecrm_pg)
    return tabrl_error(TABRL_EINVAL, "not an ecrm-pg instance");
  ecrm_pg_state *st = algo->state;
  size_t n = (size_t)st->H * st->S * st->A;
  if (theta) memcpy(st->theta, theta, n * sizeof *theta);
  gradient(st);
  if (grad) memcpy(grad, st->grad, n * sizeof *grad);
  if (J) *J = st->J;
  return 0;
}
