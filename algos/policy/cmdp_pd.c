/* cmdp-pd: exact natural policy gradient primal-dual method for a
 * constrained MDP, max_pi V_r(pi) subject to C(pi) <= B (the experiment's
 * `budget`, the model's costs), one primal and one dual step per
 * iterate():
 *   theta_{t+1} = theta_t + eta (A_r^{pi_t} - lambda_t A_c^{pi_t}) / (1 - gamma),
 *   lambda_{t+1} = Proj_[0, lambda_max](lambda_t + eta_dual (C(pi_t) - B)),
 * Ding, Zhang, Basar, Jovanovic (2020), "Natural Policy Gradient
 * Primal-Dual Method for Constrained Markov Decision Processes", NeurIPS,
 * Algorithm 1 (NPG-PD) for the softmax class, with their utility g = -c
 * and threshold b = -B (their V_g >= b is C <= B; their dual step
 * lambda - eta_2 (V_g - b) is the one above).  The primal step is npg's on
 * the Lagrangian reward r - lambda c, so on a model without a binding
 * constraint (lambda stays 0) cmdp-pd is npg.
 *
 * Their Theorem 1 (softmax, exact gradients, rewards and utilities in
 * [0, 1], Slater slack xi = B - min_pi C(pi) > 0, lambda projected on
 * [0, 2 / ((1 - gamma) xi)], eta = 2 log|A|, eta_dual = 2 (1 - gamma) /
 * sqrt(T)) bounds the optimality gap and the violation of the AVERAGED
 * values over the T iterations:
 *   (1/T) sum_t (V_r* - V_r(pi_t)) <= 7 / ((1 - gamma)^2 sqrt(T)),
 *   [(1/T) sum_t C(pi_t) - B]_+    = O(1 / sqrt(T)) with a constant
 *                                    growing as 1 / ((1 - gamma)^2 xi),
 * V_r* the constrained optimum J_LP.  (The constants are quoted from the
 * NeurIPS version's statement as remembered; its text could not be read
 * here, so they are not checked against the paper: the tests assert the
 * 7 / ((1 - gamma)^2 sqrt(T)) gap only.)  The last iterate need not
 * converge (the primal-dual iterates may cycle); runs.csv reports the last
 * iterate, and cum_regret / k is the averaged gap of the theorem.
 *
 * Defaults are the theorem's: eta = 0 means 2 log|A|, eta_dual = 0 means
 * 2 / (D sqrt(K)) with K = experiment episodes and D = 1 / (1 - gamma).
 * lambda_max = 2 D (r_max - r_min) / xi with r_max - r_min the range of
 * the mean rewards (1 for the paper's [0, 1] rewards): it bounds twice
 * lambda* <= (V_r* - V_r(pi_bar)) / xi (their Lemma on the dual optimum),
 * whatever the rewards.  Episodic models: the same steps per stage with
 * 1 / (1 - gamma) read as 1 in the primal step (as npg) and D = H (the
 * largest value) in the dual step and in lambda_max; the theorem is for
 * discounted models only. */
#include <math.h>
#include <stdlib.h>
#include "policy/exact.h"
#include "policy/init.h"
#include "tabrl/error.h"

static const tabrl_param cmdp_pd_params[] = {
    {"eta", TABRL_DOUBLE, "0", "[0,inf)",
     "primal NPG step on r - lambda c; 0: the theorem's 2 log|A|"},
    {"eta_dual", TABRL_DOUBLE, "0", "[0,inf)",
     "dual step on lambda; 0: the theorem's 2 (1 - gamma) / sqrt(K) (2 / (H sqrt(K)) episodic)"},
    TABRL_PO_INIT_PARAM,
    {0},
};

typedef struct {
  tabrl_exact_po po;
  tabrl_mdp *cost_model;
  tabrl_oracle_workspace *ws_cost;
  double *Vc, *Qc;
  double eta, eta_dual, budget, lambda, lambda_max;
} cmdp_pd_state;

/* The value range D: 1 / (1 - gamma), or H. */
static double value_range(const tabrl_mdp *m)
{
  return m->horizon > 0 ? (double)m->horizon : 1.0 / (1.0 - m->gamma);
}

/* min_pi C(pi): the optimum of the cost model with its rewards negated
 * (negation is exact, and undone). */
static int least_cost(tabrl_mdp *cost_model, double *least)
{
  size_t blocks = (size_t)cost_model->stages * cost_model->S * cost_model->A;
  tabrl_objective mean = tabrl_objective_default();
  double *V = malloc(tabrl_oracle_value_size(cost_model) * sizeof *V), J = 0;
  int status;
  if (!V) return tabrl_error(TABRL_ENOMEM, "cmdp-pd: out of memory");
  for (size_t b = 0; b < blocks; b++) cost_model->mean_reward[b] = -cost_model->mean_reward[b];
  status = tabrl_objective_optimum(&mean, cost_model, V, NULL, &J);
  for (size_t b = 0; b < blocks; b++) cost_model->mean_reward[b] = -cost_model->mean_reward[b];
  free(V);
  *least = -J;
  return status;
}

/* The Slater slack xi = B - min C > 0, or TABRL_EUNSUPPORTED. */
static int slack(const tabrl_mdp *m, double budget, double *xi)
{
  tabrl_mdp *c = tabrl_oracle_cost_model(m);
  double least = 0;
  int status;
  if (!c) return TABRL_ENOMEM;
  status = least_cost(c, &least);
  tabrl_mdp_free(c);
  if (status) return status;
  *xi = budget - least;
  if (!(*xi > 0))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "cmdp-pd needs a strictly feasible budget (Slater): budget %g, least "
                       "expected cost %.17g",
                       budget, least);
  return 0;
}

static int cmdp_pd_check(const tabrl_problem *problem, const tabrl_values *params)
{
  double xi;
  int status = tabrl_po_init_check(problem, params);
  if (status) return status;
  if (!problem->budget)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "cmdp-pd needs a cost budget: set budget = B in [experiment]");
  if (problem->model && !problem->model->cost)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "cmdp-pd needs a model with costs (a CSV column c, or chain's cost = c)");
  return problem->model ? slack(problem->model, *problem->budget, &xi) : 0;
}

static void cmdp_pd_release(void *state)
{
  cmdp_pd_state *st = state;
  tabrl_exact_po_release(&st->po);
  tabrl_mdp_free(st->cost_model);
  tabrl_oracle_workspace_free(st->ws_cost);
  free(st->Vc);
  free(st->Qc);
}

static int cmdp_pd_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  cmdp_pd_state *st = state;
  const tabrl_mdp *m = problem->model;
  double xi, lo = INFINITY, hi = -INFINITY;
  int status;
  if ((status = tabrl_exact_po_init(&st->po, problem, params, "cmdp-pd"))) return status;
  if (!problem->budget || !m->cost) return cmdp_pd_check(problem, params);
  size_t n = (size_t)st->po.stages * st->po.S * st->po.A;
  st->cost_model = tabrl_oracle_cost_model(m);
  st->ws_cost = tabrl_oracle_workspace_alloc(m);
  st->Vc = calloc(tabrl_oracle_value_size(m), sizeof *st->Vc);
  st->Qc = malloc(n * sizeof *st->Qc);
  if (!st->cost_model || !st->ws_cost || !st->Vc || !st->Qc)
    return tabrl_error(TABRL_ENOMEM, "cmdp-pd: out of memory");
  if ((status = slack(m, *problem->budget, &xi))) return status;
  size_t blocks = (size_t)m->stages * m->S * m->A;
  for (size_t b = 0; b < blocks; b++)
    if (m->row[b + 1] > m->row[b]) {
      lo = fmin(lo, m->mean_reward[b]);
      hi = fmax(hi, m->mean_reward[b]);
    }
  double D = value_range(m);
  st->budget = *problem->budget;
  st->lambda = 0;
  st->lambda_max = 2 * D * (hi - lo) / xi;
  st->eta = tabrl_values_double(params, "eta");
  if (st->eta == 0) st->eta = 2 * log((double)m->A);
  if (st->eta == 0) st->eta = 1; /* one action: any step gives the same policy */
  st->eta_dual = tabrl_values_double(params, "eta_dual");
  if (st->eta_dual == 0) st->eta_dual = 2 / (D * sqrt((double)problem->episodes));
  return 0;
}

static int cmdp_pd_iterate(void *state, long iteration)
{
  cmdp_pd_state *st = state;
  tabrl_exact_po *po = &st->po;
  const unsigned flags = TABRL_ORACLE_UNCHECKED | TABRL_ORACLE_WARM_START;
  int status;
  (void)iteration;
  if ((status = tabrl_exact_po_evaluate(po, 0)) ||
      (status = tabrl_oracle_q_pi(st->cost_model, po->pi, flags, st->ws_cost, st->Vc, st->Qc)))
    return status;
  double cost = tabrl_oracle_start_value(st->cost_model, st->Vc);
  size_t n = (size_t)po->stages * po->S * po->A;
  /* The Lagrangian's Q (advantages differ by a per-state constant that the
   * normalisation removes); invalid actions stay -inf and are skipped. */
  for (size_t i = 0; i < n; i++)
    if (po->theta[i] > -INFINITY) po->Q[i] -= st->lambda * st->Qc[i];
  tabrl_exact_po_mirror(po, 1.0, st->eta * po->scale);
  st->lambda = fmin(st->lambda_max, fmax(0.0, st->lambda + st->eta_dual * (cost - st->budget)));
  return 0;
}

static int cmdp_pd_policy(void *state, tabrl_policy *pi)
{
  return tabrl_exact_po_policy(&((cmdp_pd_state *)state)->po, pi, "cmdp-pd");
}

const tabrl_algo_type tabrl_algo_cmdp_pd = {
    .name = "cmdp-pd",
    .family = "policy",
    .doc = "Exact natural policy gradient primal-dual for a constrained MDP (budget = B): NPG "
           "on r - lambda c, projected dual step on lambda",
    .source = "Ding, Zhang, Basar, Jovanovic 2020, NeurIPS: NPG-PD, Algorithm 1, Theorem 1",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = cmdp_pd_params,
    .state_size = sizeof(cmdp_pd_state),
    .check = cmdp_pd_check,
    .init = cmdp_pd_init,
    .release = cmdp_pd_release,
    .policy = cmdp_pd_policy,
    .iterate = cmdp_pd_iterate,
};
