/* penalty:B, a constrained general utility: the expected return less a
 * quadratic penalty on the expected cost above the budget B,
 *   F(pi) = J_r(pi) - (kappa / 2) (J_c(pi) - B)_+^2,   kappa = 100,
 * J_r and J_c the (discounted) sums of the model's rewards and costs from
 * mu0 on the scale of tabrl_oracle_start_value (no 1 - gamma factor).
 * Both are linear in the occupancy measure, so F is concave in it: the
 * quadratic-penalty form of the constrained MDP (Nocedal and Wright 2006,
 * Numerical Optimization, section 17.1), a concave utility of the kind
 * general-utility policy gradients optimise (Zhang, Koppel, Bedi,
 * Szepesvari, Wang 2020, "Variational policy gradient method for
 * reinforcement learning with general utilities", NeurIPS, section 2, the
 * constrained example).  As kappa grows its optimum tends to the CMDP's
 * (tabrl_oracle_cmdp_lp): with multiplier lambda* the penalised optimum
 * overspends the budget by about lambda* / kappa.  kappa is fixed (an
 * objective takes one parameter) at 100: a violation of 0.01 per unit of
 * lambda*.
 *
 * value: the oracle's state-action occupancy and the per-(h, s, a) mean
 * reward and cost.  optimum: the barrier method of oracle/flow_barrier.h
 * (duality gap below 1e-10), J* the value of the policy read off it.  The
 * model needs costs (CSV column c, chain's cost = c). */
#include <math.h>
#include <stdlib.h>
#include "oracle/flow_barrier.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"

#define PENALTY_KAPPA 100.0

typedef struct {
  const tabrl_mdp *m;
  double budget, scale; /* scale: 1 / (1 - gamma) discounted, 1 episodic */
  double *cbar;         /* per block: sum p c */
} penalty_ctx;

static int ctx_init(penalty_ctx *c, const tabrl_objective *o, const tabrl_mdp *m)
{
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  c->m = m, c->budget = o->param, c->scale = m->horizon > 0 ? 1 : 1 / (1 - m->gamma);
  c->cbar = NULL;
  if (!m->cost)
    return tabrl_error(TABRL_EINVAL, "the model has no costs (CSV column c, chain's cost = c)");
  if (!(c->cbar = malloc(blocks * sizeof(double))))
    return tabrl_error(TABRL_ENOMEM, "objective %s: out of memory", o->text);
  for (size_t b = 0; b < blocks; b++) {
    c->cbar[b] = 0;
    for (size_t k = m->row[b]; k < m->row[b + 1]; k++) c->cbar[b] += m->prob[k] * m->cost[k];
  }
  return 0;
}

static double utility(const penalty_ctx *c, double Jr, double Jc)
{
  double over = fmax(Jc - c->budget, 0);
  return Jr - PENALTY_KAPPA / 2 * over * over;
}

/* J_r and J_c of the normalised occupancy x of the variables v. */
static void returns_of(const penalty_ctx *c, const tabrl_flow_vars *v, const double *x, double *Jr,
                       double *Jc)
{
  *Jr = *Jc = 0;
  for (int i = 0; i < v->n; i++) {
    size_t b = tabrl_mdp_block(c->m, v->h[i], v->s[i], v->a[i]);
    *Jr += c->scale * x[i] * c->m->mean_reward[b];
    *Jc += c->scale * x[i] * c->cbar[b];
  }
}

static double flow_value(void *ctx, const tabrl_flow_vars *v, const double *x)
{
  double Jr, Jc;
  returns_of(ctx, v, x, &Jr, &Jc);
  return utility(ctx, Jr, Jc);
}

static void flow_gradient(void *ctx, const tabrl_flow_vars *v, const double *x, double *g)
{
  const penalty_ctx *c = ctx;
  double Jr, Jc;
  returns_of(c, v, x, &Jr, &Jc);
  double pull = PENALTY_KAPPA * fmax(Jc - c->budget, 0);
  for (int i = 0; i < v->n; i++) {
    size_t b = tabrl_mdp_block(c->m, v->h[i], v->s[i], v->a[i]);
    g[i] = c->scale * (c->m->mean_reward[b] - pull * c->cbar[b]);
  }
}

/* -grad^2 F = kappa c c^T where the penalty is active (0 below the
 * budget; at the kink Newton takes the active side, a valid choice of the
 * generalised Hessian). */
static void flow_curvature(void *ctx, const tabrl_flow_vars *v, const double *x, double t,
                           gsl_matrix *K)
{
  const penalty_ctx *c = ctx;
  double Jr, Jc;
  returns_of(c, v, x, &Jr, &Jc);
  if (Jc < c->budget) return;
  for (int i = 0; i < v->n; i++) {
    double ci = c->scale * c->cbar[tabrl_mdp_block(c->m, v->h[i], v->s[i], v->a[i])];
    for (int j = 0; j < v->n; j++) {
      double cj = c->scale * c->cbar[tabrl_mdp_block(c->m, v->h[j], v->s[j], v->a[j])];
      *gsl_matrix_ptr(K, (size_t)i, (size_t)j) += t * PENALTY_KAPPA * ci * cj;
    }
  }
}

static int penalty_eval(const penalty_ctx *c, const tabrl_policy *pi, double *J)
{
  const tabrl_mdp *m = c->m;
  size_t cells = (size_t)tabrl_mdp_value_stages(m) * (size_t)m->S;
  double *d = malloc(cells * (1 + (size_t)m->A) * sizeof *d), Jr = 0, Jc = 0;
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  int status = d && ws ? 0 : TABRL_ENOMEM;
  if (!status) status = tabrl_oracle_occupancy(m, pi, NULL, TABRL_ORACLE_NORMALIZED, ws, d);
  if (!status) status = tabrl_oracle_occupancy_sa(m, pi, d, d + cells);
  for (size_t i = 0; !status && i < cells * (size_t)m->A; i++) {
    size_t b = tabrl_mdp_block(m, (int)(i / ((size_t)m->S * m->A)),
                               (int)(i / (size_t)m->A % (size_t)m->S), (int)(i % (size_t)m->A));
    if (m->row[b + 1] == m->row[b]) continue;
    Jr += c->scale * d[cells + i] * m->mean_reward[b];
    Jc += c->scale * d[cells + i] * c->cbar[b];
  }
  if (!status) *J = utility(c, Jr, Jc);
  tabrl_oracle_workspace_free(ws);
  free(d);
  return status;
}

static int penalty_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                         double *V, double *J)
{
  penalty_ctx c;
  int status = ctx_init(&c, o, m);
  if (!status) status = penalty_eval(&c, pi, J);
  /* No per-state values: the penalty couples the states through J_c. */
  if (!status && V)
    for (size_t i = 0; i < tabrl_oracle_value_size(m); i++) V[i] = NAN;
  free(c.cbar);
  return status;
}

static int penalty_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                           tabrl_policy *pi, double *J)
{
  penalty_ctx c;
  tabrl_policy *best = pi ? pi : tabrl_policy_alloc_for(m);
  double gap;
  int status = ctx_init(&c, o, m);
  tabrl_flow_utility F = {flow_value, flow_gradient, flow_curvature, &c};
  if (!status && !best) status = TABRL_ENOMEM;
  if (!status) status = tabrl_flow_maximize(m, &F, best, &gap);
  if (!status) status = penalty_eval(&c, best, J);
  if (!status && V)
    for (size_t i = 0; i < tabrl_oracle_value_size(m); i++) V[i] = NAN;
  if (best != pi) tabrl_policy_free(best);
  free(c.cbar);
  return status;
}

static const tabrl_param penalty_params[] = {
    {"B", TABRL_DOUBLE, NULL, "[0,inf)", "cost budget: J_c above B is penalised"},
    {0},
};

const tabrl_objective_type tabrl_objective_penalty = {
    .name = "penalty",
    .doc = "J_r - (100/2) (J_c - B)_+^2: the return less a quadratic penalty on the expected cost "
           "above the budget B (models with costs), maximised over the occupancy polytope",
    .source = "Nocedal and Wright 2006, Numerical Optimization, section 17.1 (quadratic "
              "penalty); Zhang, Koppel, Bedi, Szepesvari, Wang 2020, Variational policy gradient "
              "method for RL with general utilities, NeurIPS, section 2",
    .params = penalty_params,
    .augmented = 0,
    .optimum = penalty_optimum,
    .value = penalty_value,
};
