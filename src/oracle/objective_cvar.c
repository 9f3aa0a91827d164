/* cvar:alpha, the lower-tail conditional value-at-risk of the return,
 *   CVaR_alpha(G) = sup_c { c - E[(c - G)^+] / alpha }
 * (Rockafellar and Uryasev 2002, "Conditional value-at-risk for general
 * loss distributions", Theorem 10, for rewards instead of losses), the
 * mean of the worst alpha fraction of returns; cvar:1 is the mean.
 *
 * The optimum over history-dependent policies (Bauerle and Ott 2011,
 * "Markov decision processes with average-value-at-risk criteria", section
 * 3, Theorem 3.2 for the finite horizon): exchanging sup_c and sup_pi, for
 * each c the inner problem max_pi E[-(c - G)^+] is an MDP on the stock
 * model (s, y) with terminal reward -(c - y)^+ and no other reward, whose
 * optimal policy is Markov in (h, s, y).  The outer sup over c is attained
 * at an alpha-quantile of the optimal return, an atom of its law, so on a
 * reward grid it is a maximum over the finitely many reachable terminal
 * stocks: one backward induction per candidate, exact.  J* picks one c for
 * the start distribution mu0 (the policy may still act on the start state,
 * which the history holds); V_0(s) is the optimum from s, with its own c.
 *
 * The value of a given policy (Markov, or of the stock model) is the CVaR
 * of its exact return distribution (tabrl/returns.h).  Episodic models
 * with rewards on a grid only; the rest is refused by tabrl_stock_grid_of. */
#include <math.h>
#include <stdlib.h>
#include "oracle/stock.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"

static double shortfall(const void *ctx, double y)
{
  double c = *(const double *)ctx;
  return y < c ? y - c : 0;
}

/* The CVaR optimum: J*, V_0 (may be NULL) and, in sol (may be NULL), the
 * policy and values at the maximising c. */
static int cvar_solve(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                      tabrl_stock_solution *sol, double *J)
{
  tabrl_stock_work w;
  int status = tabrl_stock_work_init(&w, m);
  double alpha = o->param, best = -INFINITY, best_c = 0;
  if (status) {
    tabrl_stock_work_free(&w);
    return status;
  }
  if (V)
    for (int s = 0; s < m->S; s++) V[s] = -INFINITY;
  for (size_t f = 0; f < w.nfinals; f++) {
    double c = (double)w.finals[f] * w.g.quantum, mixed = 0;
    if ((status = tabrl_stock_backward(&w, shortfall, &c))) break;
    for (int s = 0; s < m->S; s++) {
      double inner = tabrl_stock_start(&w, s);
      mixed += m->mu0[s] * inner;
      if (V) V[s] = fmax(V[s], c + inner / alpha);
    }
    if (c + mixed / alpha > best) best = c + mixed / alpha, best_c = c;
  }
  if (V)
    for (size_t i = (size_t)m->S; i < ((size_t)m->horizon + 1) * (size_t)m->S; i++) V[i] = NAN;
  if (!status && sol && !(status = tabrl_stock_backward(&w, shortfall, &best_c))) {
    size_t n = ((size_t)m->horizon + 1) * (size_t)m->S * (size_t)w.g.K;
    tabrl_stock_policy_fill(&w, sol->pi);
    for (size_t i = 0; i < n; i++) sol->value[i] = w.reach[i] ? best_c + w.W[i] / alpha : NAN;
    sol->threshold = best_c;
  }
  if (!status) *J = best;
  tabrl_stock_work_free(&w);
  return status;
}

static int cvar_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V, tabrl_policy *pi,
                        double *J)
{
  (void)pi; /* augmented: no Markov policy of m is optimal in general */
  return cvar_solve(o, m, V, NULL, J);
}

static int cvar_stock_optimum(const tabrl_objective *o, const tabrl_mdp *m,
                              tabrl_stock_solution *sol, double *J)
{
  return cvar_solve(o, m, NULL, sol, J);
}

static double cvar_of(const void *ctx, tabrl_atom *atoms, size_t n)
{
  return tabrl_cvar_lower(atoms, n, *(const double *)ctx);
}

static int cvar_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                      double *V, double *J)
{
  return tabrl_stock_value(m, pi, cvar_of, &o->param, V, J);
}

static int cvar_work_value(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                           const tabrl_policy *pi, unsigned flags, double *V, double *J)
{
  (void)m;
  return tabrl_stock_value_kept(work, pi, flags, cvar_of, &o->param, V, J);
}

static const tabrl_param cvar_params[] = {
    {"alpha", TABRL_DOUBLE, NULL, "(0,1]",
     "tail fraction: the mean of the worst alpha of the returns (1 = the mean)"},
    {0},
};

const tabrl_objective_type tabrl_objective_cvar = {
    .name = "cvar",
    .doc = "lower-tail CVaR_alpha(G) = sup_c { c - E[(c - G)^+] / alpha }, optimised over "
           "history-dependent policies by stock augmentation (episodic, rewards on a grid)",
    .source = "Rockafellar and Uryasev 2002, Conditional value-at-risk for general loss "
              "distributions, Thm. 10; Bauerle and Ott 2011, Markov decision processes with "
              "average-value-at-risk criteria, section 3, Thm. 3.2",
    .params = cvar_params,
    .augmented = 1,
    .optimum = cvar_optimum,
    .value = cvar_value,
    .work_alloc = tabrl_stock_value_work_alloc,
    .work_reset = tabrl_stock_value_work_reset,
    .work_value = cvar_work_value,
    .work_free = tabrl_stock_value_work_free,
    .stock_optimum = cvar_stock_optimum,
};
