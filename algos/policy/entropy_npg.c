/* entropy-npg: entropy-regularised natural policy gradient, exact, one step
 * per iterate() (Cen, Cheng, Chen, Wei, Chi 2021, "Fast Global Convergence
 * of Natural Policy Gradient Methods with Entropy Regularization",
 * Operations Research 70(4), 2022; arXiv:2007.06558).
 *
 * Regularised value V_tau^pi(s) = E[sum_t gamma^t (r(s_t,a_t) - tau log
 * pi(a_t|s_t))], Q_tau^pi(s,a) = r(s,a) + gamma E[V_tau^pi(s')], and the
 * update
 *   pi_{t+1}(a|s) proportional to pi_t(a|s)^{1 - eta tau / (1 - gamma)}
 *                                  exp(eta Q_tau^{pi_t}(s,a) / (1 - gamma)),
 * 0 < eta <= (1 - gamma) / tau, for which the paper shows
 * ||Q*_tau - Q_tau^{t+1}||_inf <= C_1 gamma (1 - eta tau)^t and
 * ||log pi*_tau - log pi_{t+1}||_inf <= 2 C_1 tau^-1 (1 - eta tau)^t
 * (linear rate 1 - eta tau; eta = (1 - gamma) / tau is soft policy
 * iteration, rate gamma).  tau = 0 is npg.  (Written from these statements;
 * the paper's text could not be read here, so no theorem numbers are
 * cited.)  Discounted models only.
 *
 * V_tau^pi is the oracle's sparse evaluation of pi on a copy of the model
 * whose mean rewards are r(s,a) - tau log pi(a|s), rewritten every
 * iteration; Q_tau is one backup of it on the model.  The optimum
 * V*_tau(s) = tau log sum_a exp(Q*_tau(s,a) / tau), pi*_tau proportional to
 * exp(Q*_tau / tau), by soft value iteration (a gamma-contraction) run at
 * init until a sweep changes V by less than 1e-12 (1 - gamma) (then
 * ||V - V*_tau||_inf < 1e-12).  The runner's regret is then the
 * regularised suboptimality V*_tau(mu0) - V_tau^pi(mu0) of the current
 * policy when tau > 0 (the suboptimality hook below). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "policy/exact.h"
#include "policy/init.h"
#include "protocol/testing.h"
#include "tabrl/error.h"

static const tabrl_param entropy_npg_params[] = {
    {"tau", TABRL_DOUBLE, "0.1", "[0,inf)", "entropy regularisation weight"},
    {"eta", TABRL_DOUBLE, "0.1", "(0,inf)", "step size, at most (1 - gamma) / tau"},
    TABRL_PO_INIT_PARAM,
    {0},
};

#define SOFT_VI_MAX_SWEEPS 10000000

typedef struct {
  tabrl_exact_po po;
  double tau, eta;
  tabrl_mdp *reg;   /* the model with rewards r - tau log pi */
  double *Vreg;     /* S: V_tau of the current pi, when fresh */
  int fresh;        /* Vreg is the current pi's */
  double *soft;     /* S: V*_tau; then scratch */
  double *soft_new; /* S */
  double J_star;    /* V*_tau(mu0) */
  double subopt;    /* V*_tau(mu0) - V_tau^pi(mu0) of the current pi */
} entropy_npg_state;

static void entropy_npg_release(void *state)
{
  entropy_npg_state *st = state;
  tabrl_exact_po_release(&st->po);
  tabrl_mdp_free(st->reg);
  free(st->Vreg);
  free(st->soft);
  free(st->soft_new);
}

static int entropy_npg_check(const tabrl_problem *problem, const tabrl_values *params)
{
  double tau = tabrl_values_double(params, "tau"), eta = tabrl_values_double(params, "eta");
  if (problem->horizon > 0)
    return tabrl_error(TABRL_EUNSUPPORTED, "entropy-npg needs a discounted model (gamma < 1)");
  if (eta * tau > (1 - problem->gamma) * (1 + 1e-12)) /* 0.2 * 0.5 vs 1 - 0.9 */
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "entropy-npg: eta * tau = %g exceeds 1 - gamma = %g (Cen et al. need eta "
                       "<= (1 - gamma) / tau)",
                       eta * tau, 1 - problem->gamma);
  return tabrl_po_init_check(problem, params);
}

/* Soft Bellman sweep: V_new(s) = tau log sum_a exp(Q(s,a) / tau), max over
 * Q when tau = 0; returns ||V_new - V||_inf.  Q_row is A scratch. */
static double soft_sweep(const tabrl_mdp *m, double tau, const double *V, double *V_new,
                         double *Q_row)
{
  double change = 0;
  for (int s = 0; s < m->S; s++) {
    double top = -INFINITY, sum = 0;
    tabrl_oracle_backup(m, 0, s, V, m->gamma, Q_row);
    for (int a = 0; a < m->A; a++)
      if (Q_row[a] > top) top = Q_row[a];
    if (tau > 0) {
      for (int a = 0; a < m->A; a++)
        if (Q_row[a] > -INFINITY) sum += exp((Q_row[a] - top) / tau);
      /* sum >= 1 (the largest Q contributes exp(0)); fmax tells cppcheck. */
      top += tau * log(fmax(sum, 1.0));
    }
    V_new[s] = top;
    change = fmax(change, fabs(top - V[s]));
  }
  return change;
}

/* V_tau of the current pi into st->Vreg and the suboptimality. */
static int evaluate_regularised(entropy_npg_state *st)
{
  tabrl_exact_po *po = &st->po;
  const tabrl_mdp *m = po->m;
  for (int s = 0; s < po->S; s++) {
    const double *t = po->theta + (size_t)s * po->A;
    double total = 0;
    for (int a = 0; a < po->A; a++)
      if (t[a] > -INFINITY) total += exp(t[a]);
    for (int a = 0; a < po->A; a++) {
      size_t b = tabrl_mdp_block(m, 0, s, a);
      /* theta's row maximum is 0 after the softmax, so log pi is finite
       * even where pi underflows to 0. */
      if (t[a] > -INFINITY)
        st->reg->mean_reward[b] = m->mean_reward[b] - st->tau * (t[a] - log(total));
    }
  }
  int status = tabrl_oracle_evaluate_ws(
      st->reg, po->pi, TABRL_ORACLE_UNCHECKED | TABRL_ORACLE_WARM_START, po->ws, st->Vreg);
  if (status) return status;
  st->fresh = 1;
  st->subopt = st->J_star - tabrl_oracle_start_value(m, st->Vreg);
  return 0;
}

static int entropy_npg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  entropy_npg_state *st = state;
  int status;
  st->tau = tabrl_values_double(params, "tau");
  st->eta = tabrl_values_double(params, "eta");
  if ((status = entropy_npg_check(problem, params))) return status;
  if ((status = tabrl_exact_po_init(&st->po, problem, params, "entropy-npg"))) return status;
  const tabrl_mdp *m = st->po.m;
  st->reg = tabrl_mdp_clone(m);
  st->Vreg = calloc((size_t)m->S, sizeof *st->Vreg);
  st->soft = calloc((size_t)m->S, sizeof *st->soft);
  st->soft_new = calloc((size_t)m->S, sizeof *st->soft_new);
  if (!st->reg || !st->Vreg || !st->soft || !st->soft_new)
    return tabrl_error(TABRL_ENOMEM, "entropy-npg: out of memory");
  /* po->Q serves as the backup's scratch row before the first iteration. */
  double tol = 1e-12 * (1 - m->gamma);
  for (long k = 0;; k++) {
    double change = soft_sweep(m, st->tau, st->soft, st->soft_new, st->po.Q), *swap = st->soft;
    st->soft = st->soft_new;
    st->soft_new = swap;
    if (!isfinite(change) || k >= SOFT_VI_MAX_SWEEPS)
      return tabrl_error(TABRL_ENUMERIC, "entropy-npg: soft value iteration did not converge");
    if (change < tol) break;
  }
  st->J_star = tabrl_oracle_start_value(m, st->soft);
  return evaluate_regularised(st);
}

static int entropy_npg_iterate(void *state, long iteration)
{
  entropy_npg_state *st = state;
  tabrl_exact_po *po = &st->po;
  int status;
  (void)iteration;
  if (!st->fresh && (status = evaluate_regularised(st))) return status;
  tabrl_oracle_q_from_values(po->m, st->Vreg, po->Q);
  tabrl_exact_po_mirror(po, 1 - st->eta * st->tau * po->scale, st->eta * po->scale);
  st->fresh = 0;
  /* The curve needs the new policy's regularised value; the next
   * iteration reuses it. */
  return st->tau > 0 ? evaluate_regularised(st) : 0;
}

static int entropy_npg_policy(void *state, tabrl_policy *pi)
{
  return tabrl_exact_po_policy(&((entropy_npg_state *)state)->po, pi, "entropy-npg");
}

static double entropy_npg_suboptimality(const void *state)
{
  const entropy_npg_state *st = state;
  return st->tau > 0 ? st->subopt : NAN;
}

const tabrl_algo_type tabrl_algo_entropy_npg = {
    .name = "entropy-npg",
    .family = "policy",
    .doc = "Exact entropy-regularised NPG: pi <- pi^(1 - eta tau/(1-gamma)) exp(eta Q_tau/(1 - "
           "gamma)) normalised",
    .source = "Cen, Cheng, Chen, Wei, Chi 2021 (Operations Research 2022), entropy-regularised NPG",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = entropy_npg_params,
    .state_size = sizeof(entropy_npg_state),
    .check = entropy_npg_check,
    .init = entropy_npg_init,
    .release = entropy_npg_release,
    .policy = entropy_npg_policy,
    .iterate = entropy_npg_iterate,
    .suboptimality = entropy_npg_suboptimality,
};

double tabrl_entropy_npg_suboptimality(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_entropy_npg) return NAN;
  return ((const entropy_npg_state *)algo->state)->subopt;
}

const double *tabrl_entropy_npg_optimum(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_entropy_npg) return NULL;
  return ((const entropy_npg_state *)algo->state)->soft;
}
