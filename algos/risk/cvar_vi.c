/* cvar-vi: planning for cvar:alpha on the stock-augmented model, the
 * outer maximisation of Bauerle and Ott 2011 ("Markov decision processes
 * with average-value-at-risk criteria", section 3, Theorem 3.2) one
 * threshold per iteration:
 *
 *   CVaR_alpha(G) = sup_c { c - E[(c - G)^+] / alpha }   (Rockafellar and
 *   Uryasev 2002, Theorem 10), and for each c, max_pi E[-(c - G)^+] is a
 *   backward induction on (h, s, y) with the terminal reward -(c - y)^+.
 *
 * On a reward grid the sup is attained at a reachable terminal stock, so
 * the candidates are those stocks; iteration k solves the inner problem for
 * the k-th candidate in increasing order and keeps the policy of the best c
 * so far (by c + sum_s mu0(s) W_0(s, 0) / alpha, exact).  After as many
 * iterations as candidates the policy is optimal (the objective's exact
 * optimum, to rounding); later iterations change nothing.  Its policies
 * are stock policies (S K states, tabrl/returns.h): the action depends on
 * the reward accumulated in the episode, which is what makes the CVaR
 * optimum reachable where no Markov policy reaches it.
 *
 * The approximate alternative with an interpolated continuous stock (Chow,
 * Tamar, Mannor and Pavone 2015) is not implemented: on a grid the exact
 * version is cheap (RiverSwim(6), H = 20: 231 candidates). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/stock.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_objective_type tabrl_objective_cvar;

static const tabrl_param cvar_vi_params[] = {
    {0},
};

typedef struct {
  tabrl_stock_work w;
  const tabrl_mdp *model;
  double alpha, best;
  size_t next; /* the next candidate of w.finals */
  tabrl_policy *pi;
} cvar_vi_state;

static void cvar_vi_release(void *state)
{
  cvar_vi_state *st = state;
  tabrl_stock_work_free(&st->w);
  tabrl_policy_free(st->pi);
}

static double shortfall(const void *ctx, double y)
{
  double c = *(const double *)ctx;
  return y < c ? y - c : 0;
}

static int cvar_vi_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  cvar_vi_state *st = state;
  int status;
  (void)params;
  if (!problem->model || !problem->stock)
    return tabrl_error(TABRL_EINVAL, "cvar-vi needs the model (planning) and a cvar objective");
  st->model = problem->model;
  st->alpha = problem->objective->param;
  st->best = -INFINITY;
  if ((status = tabrl_stock_work_init(&st->w, st->model))) return status;
  if (!(st->pi = tabrl_stock_policy_alloc(problem->stock)))
    return tabrl_error(TABRL_ENOMEM, "cvar-vi: out of memory");
  return 0;
}

static int cvar_vi_iterate(void *state, long iteration)
{
  cvar_vi_state *st = state;
  const tabrl_mdp *m = st->model;
  int status;
  (void)iteration;
  if (st->next >= st->w.nfinals) return 0;
  double c = (double)st->w.finals[st->next++] * st->w.g.quantum, inner = 0;
  if ((status = tabrl_stock_backward(&st->w, shortfall, &c))) return status;
  for (int s = 0; s < m->S; s++) inner += m->mu0[s] * tabrl_stock_start(&st->w, s);
  if (c + inner / st->alpha > st->best) {
    st->best = c + inner / st->alpha;
    tabrl_stock_policy_fill(&st->w, st->pi);
  }
  return 0;
}

static int cvar_vi_policy(void *state, tabrl_policy *pi)
{
  cvar_vi_state *st = state;
  if (st->next == 0) { /* no threshold tried yet: the first one's policy */
    int status = cvar_vi_iterate(st, 0);
    if (status) return status;
  }
  memcpy(pi->prob, st->pi->prob,
         (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof *pi->prob);
  return 0;
}

static const tabrl_objective_type *const cvar_vi_objectives[] = {&tabrl_objective_cvar, NULL};

const tabrl_algo_type tabrl_algo_cvar_vi = {
    .name = "cvar-vi",
    .family = "risk",
    .doc = "CVaR planning on the stock-augmented model: one threshold c of sup_c {c - E[(c - "
           "G)^+] / alpha} per iteration, exact after all reachable terminal stocks",
    .source = "Bauerle and Ott 2011, Markov decision processes with average-value-at-risk "
              "criteria, section 3, Thm. 3.2; Rockafellar and Uryasev 2002, Thm. 10",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = cvar_vi_params,
    .state_size = sizeof(cvar_vi_state),
    .objectives = cvar_vi_objectives,
    .stock_policies = 1,
    .init = cvar_vi_init,
    .release = cvar_vi_release,
    .policy = cvar_vi_policy,
    .iterate = cvar_vi_iterate,
};
