/* Expected utilities of the return, E[f(G)], on the stock-augmented model:
 * with the accumulated reward y in the state, f(y_H) is a terminal reward
 * and the optimum over history-dependent policies is one backward
 * induction (Bauerle and Ott 2011, section 3; Pires et al. 2025,
 * "Optimizing Return Distributions with Distributional Dynamic
 * Programming", arXiv 2501.13028, whose abstract names both applications:
 * only the abstract and introduction could be read here).
 *   threshold:t    P(G >= t), f(y) = 1{y >= t} (ties within 1e-9 max(1,|t|)
 *                  count as reached: stocks are sums of grid rewards);
 *   homeostatic:t  -E[(G - t)^2], f(y) = -(y - t)^2: keep the return near
 *                  the target t.
 * Episodic models with rewards on a grid, as the other augmented
 * objectives; the value of any policy from its exact return distribution. */
#include <math.h>
#include <stdlib.h>
#include "oracle/stock.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"

static double reached(const void *ctx, double y)
{
  double t = *(const double *)ctx;
  return y >= t - 1e-9 * fmax(1, fabs(t)) ? 1 : 0;
}

static double near(const void *ctx, double y)
{
  double t = *(const double *)ctx;
  return -(y - t) * (y - t);
}

static double (*utility_of(const tabrl_objective *o))(const void *, double)
{
  return o->type->name[0] == 't' ? reached : near;
}

/* J* = sum_s mu0(s) W_0(s, 0), V_0(s) = W_0(s, 0); sol (may be NULL). */
static int utility_solve(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                         tabrl_stock_solution *sol, double *J)
{
  tabrl_stock_work w;
  int status = tabrl_stock_work_init(&w, m);
  if (!status) status = tabrl_stock_backward(&w, utility_of(o), &o->param);
  if (!status) {
    *J = 0;
    for (int s = 0; s < m->S; s++) {
      *J += m->mu0[s] * tabrl_stock_start(&w, s);
      if (V) V[s] = tabrl_stock_start(&w, s);
    }
    if (V)
      for (size_t i = (size_t)m->S; i < ((size_t)m->horizon + 1) * (size_t)m->S; i++) V[i] = NAN;
  }
  if (!status && sol) {
    size_t n = ((size_t)m->horizon + 1) * (size_t)m->S * (size_t)w.g.K;
    tabrl_stock_policy_fill(&w, sol->pi);
    for (size_t i = 0; i < n; i++) sol->value[i] = w.reach[i] ? w.W[i] : NAN;
    sol->threshold = o->param;
  }
  tabrl_stock_work_free(&w);
  return status;
}

static int utility_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                           tabrl_policy *pi, double *J)
{
  (void)pi; /* augmented: no Markov policy of m is optimal in general */
  return utility_solve(o, m, V, NULL, J);
}

static int utility_stock_optimum(const tabrl_objective *o, const tabrl_mdp *m,
                                 tabrl_stock_solution *sol, double *J)
{
  return utility_solve(o, m, NULL, sol, J);
}

typedef struct {
  double (*f)(const void *, double);
  const double *param;
} utility_ctx;

static double expected(const void *ctx, tabrl_atom *atoms, size_t n)
{
  const utility_ctx *u = ctx;
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += atoms[i].prob * u->f(u->param, atoms[i].value);
  return sum;
}

static int utility_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                         double *V, double *J)
{
  utility_ctx u = {utility_of(o), &o->param};
  return tabrl_stock_value(m, pi, expected, &u, V, J);
}

static int utility_work_value(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                              const tabrl_policy *pi, unsigned flags, double *V, double *J)
{
  (void)m;
  utility_ctx u = {utility_of(o), &o->param};
  return tabrl_stock_value_kept(work, pi, flags, expected, &u, V, J);
}

static const tabrl_param threshold_params[] = {
    {"t", TABRL_DOUBLE, NULL, "(-inf,inf)", "the return to reach"},
    {0},
};

static const tabrl_param homeostatic_params[] = {
    {"target", TABRL_DOUBLE, NULL, "(-inf,inf)", "the return to stay near"},
    {0},
};

const tabrl_objective_type tabrl_objective_threshold = {
    .name = "threshold",
    .doc = "P(G >= t), the probability that the return reaches t, optimised over "
           "history-dependent policies by stock augmentation (episodic, rewards on a grid)",
    .source = "Bauerle and Ott 2011, section 3 (the stock-augmented state); Pires et al. 2025, "
              "Optimizing Return Distributions with Distributional Dynamic Programming (arXiv "
              "2501.13028), abstract",
    .params = threshold_params,
    .augmented = 1,
    .optimum = utility_optimum,
    .value = utility_value,
    .work_alloc = tabrl_stock_value_work_alloc,
    .work_reset = tabrl_stock_value_work_reset,
    .work_value = utility_work_value,
    .work_free = tabrl_stock_value_work_free,
    .stock_optimum = utility_stock_optimum,
};

const tabrl_objective_type tabrl_objective_homeostatic = {
    .name = "homeostatic",
    .doc = "-E[(G - target)^2], homeostatic regulation: keep the return near the target, "
           "by stock augmentation (episodic, rewards on a grid)",
    .source = "Pires et al. 2025, Optimizing Return Distributions with Distributional Dynamic "
              "Programming (arXiv 2501.13028), abstract (homeostatic regulation); Bauerle and "
              "Ott 2011, section 3",
    .params = homeostatic_params,
    .augmented = 1,
    .optimum = utility_optimum,
    .value = utility_value,
    .work_alloc = tabrl_stock_value_work_alloc,
    .work_reset = tabrl_stock_value_work_reset,
    .work_value = utility_work_value,
    .work_free = tabrl_stock_value_work_free,
    .stock_optimum = utility_stock_optimum,
};
