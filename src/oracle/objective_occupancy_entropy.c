/* entropy: the Shannon entropy of the policy's normalised state occupancy,
 *   F(pi) = H(dbar) = -sum_s dbar(s) log dbar(s),
 *   discounted: dbar(s) = (1 - gamma) sum_t gamma^t P(s_t = s),
 *   episodic:   dbar(s) = (1/H) sum_{h<H} P(s_h = s), the stages' average,
 * in nats; maximum-entropy exploration (Hazan, Kakade, Singh, Van Soest
 * 2019, "Provably efficient maximum entropy exploration", ICML, section 2:
 * the entropy of the (discounted) state distribution, a concave function
 * of the occupancy measure).  Not a function of the return: the runner's
 * value column is F(pi), regret F* - F(pi).
 *
 * value: the oracle's occupancy (tabrl_oracle_occupancy, normalised).
 * optimum: F is concave in the state-action occupancy x (dbar is linear in
 * x), so F* is a convex program over the flow polytope, solved by the
 * barrier method of oracle/flow_barrier.h to a duality gap below 1e-10;
 * J* is then the oracle's value of the policy x / sum_a x read off the
 * solution, so J* - F(pi) never mixes two computations.  Models up to
 * TABRL_FLOW_MAX_SIZE variables plus constraints (e.g. 60 (h, s) pairs of
 * 4 actions at every stage: H S (A + 1) <= 1500). */
#include <math.h>
#include <stdlib.h>
#include "oracle/flow_barrier.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"

typedef struct {
  int S;
  double *dbar;
} entropy_ctx;

static void state_average(entropy_ctx *c, const tabrl_flow_vars *v, const double *x)
{
  for (int s = 0; s < c->S; s++) c->dbar[s] = 0;
  for (int i = 0; i < v->n; i++) c->dbar[v->s[i]] += x[i] / v->stages;
}

static double entropy_of(const double *d, int S)
{
  double H = 0;
  for (int s = 0; s < S; s++)
    if (d[s] > 0) H -= d[s] * log(d[s]);
  return H;
}

static double flow_value(void *ctx, const tabrl_flow_vars *v, const double *x)
{
  entropy_ctx *c = ctx;
  state_average(c, v, x);
  return entropy_of(c->dbar, c->S);
}

static void flow_gradient(void *ctx, const tabrl_flow_vars *v, const double *x, double *g)
{
  entropy_ctx *c = ctx;
  state_average(c, v, x);
  for (int i = 0; i < v->n; i++) g[i] = -(log(c->dbar[v->s[i]]) + 1) / v->stages;
}

/* -d^2 F / dx_i dx_j = 1 / (stages^2 dbar(s)) when i and j share s. */
static void flow_curvature(void *ctx, const tabrl_flow_vars *v, const double *x, double t,
                           gsl_matrix *K)
{
  entropy_ctx *c = ctx;
  state_average(c, v, x);
  double k = t / ((double)v->stages * v->stages);
  for (int i = 0; i < v->n; i++)
    for (int j = 0; j < v->n; j++)
      if (v->s[i] == v->s[j]) *gsl_matrix_ptr(K, (size_t)i, (size_t)j) += k / c->dbar[v->s[i]];
}

/* F(pi) with the per-stage occupancies into d (stages*S), dbar into avg. */
static int entropy_eval(const tabrl_mdp *m, const tabrl_policy *pi, double *d, double *avg,
                        double *J)
{
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  int stages = tabrl_mdp_value_stages(m), status;
  if (!ws) return TABRL_ENOMEM;
  status = tabrl_oracle_occupancy(m, pi, NULL, TABRL_ORACLE_NORMALIZED, ws, d);
  tabrl_oracle_workspace_free(ws);
  if (status) return status;
  for (int s = 0; s < m->S; s++) avg[s] = 0;
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++) avg[s] += d[(size_t)h * (size_t)m->S + (size_t)s] / stages;
  *J = entropy_of(avg, m->S);
  return 0;
}

static int entropy_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                         double *V, double *J)
{
  size_t n = (size_t)tabrl_mdp_value_stages(m) * (size_t)m->S;
  double *d = malloc((n + (size_t)m->S) * sizeof *d);
  (void)o;
  if (!d) return TABRL_ENOMEM;
  int status = entropy_eval(m, pi, d, d + n, J);
  free(d);
  /* No per-state values: the entropy of the occupancy from a single state
   * is not what J measures. */
  if (!status && V)
    for (size_t i = 0; i < tabrl_oracle_value_size(m); i++) V[i] = NAN;
  return status;
}

static int entropy_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                           tabrl_policy *pi, double *J)
{
  tabrl_policy *best = pi ? pi : tabrl_policy_alloc_for(m);
  entropy_ctx c = {m->S, malloc((size_t)m->S * sizeof(double))};
  double gap;
  int status = best && c.dbar ? 0 : TABRL_ENOMEM;
  tabrl_flow_utility F = {flow_value, flow_gradient, flow_curvature, &c};
  if (!status) status = tabrl_flow_maximize(m, &F, best, &gap);
  if (!status) status = entropy_value(o, m, best, V, J);
  if (best != pi) tabrl_policy_free(best);
  free(c.dbar);
  return status;
}

static const tabrl_param entropy_params[] = {{0}};

const tabrl_objective_type tabrl_objective_occupancy_entropy = {
    .name = "entropy",
    .doc = "entropy -sum_s d(s) log d(s) of the normalised state occupancy (discounted; the "
           "stages' average when episodic), maximised over the occupancy polytope by a barrier "
           "method",
    .source = "Hazan, Kakade, Singh, Van Soest 2019, Provably efficient maximum entropy "
              "exploration, ICML, section 2; Boyd and Vandenberghe 2004, Convex Optimization, "
              "section 11.3",
    .params = entropy_params,
    .augmented = 0,
    .optimum = entropy_optimum,
    .value = entropy_value,
};
