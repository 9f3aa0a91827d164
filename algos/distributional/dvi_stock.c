/* dvi-stock: distributional value iteration on the stock-augmented model
 * (Pires et al. 2025, "Optimizing Return Distributions with Distributional
 * Dynamic Programming", arXiv 2501.13028; only its abstract and
 * introduction could be read here, so the characterisation below is this
 * file's own argument, not a quotation of the paper's theorems).
 *
 * On the model with states (h, s, y), y the accumulated reward, the return
 * is the final stock y_H.  One iteration is a backward pass that keeps, at
 * every reachable augmented state, the whole law eta_h(s, y) of the final
 * stock under the policy built so far, and picks at each state the action
 * whose mixed law maximises the functional F:
 *   eta_H(s, y) = delta_y,
 *   eta_h(s, y) = sum_e p_e eta_h+1(s'_e, y + r_e) for the chosen action.
 *
 * What this optimises exactly: F(eta) = E_eta[f(y_H)], an expected utility
 * of the final stock (threshold:t = P(G >= t), homeostatic:t =
 * -E[(G - t)^2]).  F is then linear in eta, so the greedy choice at (h, s,
 * y) is the backward induction of the terminal reward f and optimal over
 * history-dependent policies (the stock holds the history that matters).
 * CVaR is not linear in eta: choosing greedily by CVaR_alpha(eta_h(s, y))
 * (`cvar = direct`) is time-inconsistent and not optimal in general (the
 * catch-up model: 14/3 against 5).  With `cvar = search` (the default),
 * iteration k solves the expected utility f_c(y) = c - (c - y)^+ / alpha for
 * the k-th reachable terminal stock c and keeps the best (Rockafellar and
 * Uryasev 2002, Thm. 10; Bauerle and Ott 2011, section 3): exact after all
 * candidates, the risk oracle's optimum (tested).
 *
 * The laws are dense vectors over the reachable terminal stocks: memory and
 * time per pass are (reachable augmented states) x (terminal stocks). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/stock.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_objective_type tabrl_objective_cvar;
extern const tabrl_objective_type tabrl_objective_threshold;
extern const tabrl_objective_type tabrl_objective_homeostatic;

/* Largest (reachable states) x (terminal stocks) the laws may take. */
#define DVI_MAX_CELLS 50000000L

static const tabrl_param dvi_stock_params[] = {
    {"cvar", TABRL_CHOICE, "search", "search|direct",
     "cvar objectives: search over thresholds c (exact) or greedy on CVaR itself (not optimal)"},
    {0},
};

typedef enum { F_THRESHOLD, F_HOMEOSTATIC, F_CVAR_DIRECT, F_CVAR_C } functional;

typedef struct {
  tabrl_stock_work w;
  const tabrl_mdp *model;
  functional kind;
  double param, alpha, best;
  int search, done;
  size_t next;  /* cvar search: the next candidate */
  double *eta;  /* (reachable states) x (terminal stocks) */
  double *mix;  /* one law, scratch */
  size_t *slot; /* per box index: its reachable position, or SIZE_MAX */
  tabrl_atom *atoms;
  tabrl_policy *pi, *best_pi;
} dvi_stock_state;

static void dvi_stock_release(void *state)
{
  dvi_stock_state *st = state;
  tabrl_stock_work_free(&st->w);
  free(st->eta);
  free(st->mix);
  free(st->slot);
  free(st->atoms);
  tabrl_policy_free(st->pi);
  tabrl_policy_free(st->best_pi);
}

/* F of a law over the terminal stocks. */
static double dvi_value(dvi_stock_state *st, const double *law, double c)
{
  const tabrl_stock_work *w = &st->w;
  double sum = 0;
  if (st->kind == F_CVAR_DIRECT) {
    size_t n = 0;
    for (size_t f = 0; f < w->nfinals; f++)
      if (law[f] > 0)
        st->atoms[n].value = (double)w->finals[f] * w->g.quantum, st->atoms[n++].prob = law[f];
    return tabrl_cvar_lower(st->atoms, n, st->alpha);
  }
  for (size_t f = 0; f < w->nfinals; f++) {
    if (!(law[f] > 0)) continue;
    double y = (double)w->finals[f] * w->g.quantum, u;
    if (st->kind == F_THRESHOLD)
      u = y >= st->param - 1e-9 * fmax(1, fabs(st->param)) ? 1 : 0;
    else if (st->kind == F_HOMEOSTATIC)
      u = -(y - st->param) * (y - st->param);
    else
      u = c - (y < c ? c - y : 0) / st->alpha;
    sum += law[f] * u;
  }
  return sum;
}

static int dvi_stock_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  dvi_stock_state *st = state;
  const tabrl_objective_type *o = problem->objective->type;
  int status;
  if (!problem->model || !problem->stock)
    return tabrl_error(TABRL_EINVAL, "dvi-stock needs the model (planning) and an augmented "
                                     "objective");
  st->model = problem->model;
  st->param = st->alpha = problem->objective->param;
  st->search = !strcmp(tabrl_values_string(params, "cvar"), "search");
  st->kind = o == &tabrl_objective_threshold     ? F_THRESHOLD
             : o == &tabrl_objective_homeostatic ? F_HOMEOSTATIC
             : st->search                        ? F_CVAR_C
                                                 : F_CVAR_DIRECT;
  st->best = -INFINITY;
  if ((status = tabrl_stock_work_init(&st->w, st->model))) return status;
  const tabrl_stock_work *w = &st->w;
  size_t reachable = w->first[st->model->horizon + 1];
  size_t box = ((size_t)st->model->horizon + 1) * (size_t)st->model->S * (size_t)w->g.K;
  if ((double)reachable * (double)w->nfinals > (double)DVI_MAX_CELLS)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "dvi-stock: %zu reachable augmented states x %zu terminal stocks is "
                       "above the limit of %ld",
                       reachable, w->nfinals, DVI_MAX_CELLS);
  st->eta = malloc(reachable * w->nfinals * sizeof *st->eta);
  st->mix = malloc(w->nfinals * sizeof *st->mix);
  st->atoms = malloc(w->nfinals * sizeof *st->atoms);
  st->slot = malloc(box * sizeof *st->slot);
  st->pi = tabrl_stock_policy_alloc(problem->stock);
  st->best_pi = tabrl_stock_policy_alloc(problem->stock);
  if (!st->eta || !st->mix || !st->atoms || !st->slot || !st->pi || !st->best_pi)
    return tabrl_error(TABRL_ENOMEM, "dvi-stock: out of memory");
  for (size_t i = 0; i < box; i++) st->slot[i] = (size_t)-1;
  size_t layer = (size_t)st->model->S * (size_t)w->g.K;
  for (int h = 0; h <= st->model->horizon; h++)
    for (size_t k = w->first[h]; k < w->first[h + 1]; k++)
      st->slot[(size_t)h * layer + (size_t)w->list[k]] = k;
  return 0;
}

/* One distributional backward pass greedy in F (threshold c for F_CVAR_C);
 * the actions go to w.act, then to st->pi; returns F at the start. */
static double dvi_pass(dvi_stock_state *st, double c)
{
  tabrl_stock_work *w = &st->w;
  const tabrl_mdp *m = st->model;
  const tabrl_stock_grid *g = &w->g;
  size_t layer = (size_t)m->S * (size_t)g->K, F = w->nfinals;
  int H = m->horizon;
  for (size_t k = w->first[H]; k < w->first[H + 1]; k++) {
    double *law = st->eta + k * F;
    long u = tabrl_stock_stock(g, w->list[k]);
    for (size_t f = 0; f < F; f++) law[f] = w->finals[f] == u;
  }
  for (int h = H - 1; h >= 0; h--)
    for (size_t k = w->first[h]; k < w->first[h + 1]; k++) {
      long i = w->list[k], u = tabrl_stock_stock(g, i);
      int s = tabrl_stock_state(g, i), best = -1;
      double best_F = 0, *law = st->eta + k * F;
      for (int a = 0; a < m->A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        memset(st->mix, 0, F * sizeof *st->mix);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
          long next = tabrl_stock_index(g, m->next[e], u + w->units[e]);
          const double *from = st->eta + st->slot[(size_t)(h + 1) * layer + (size_t)next] * F;
          for (size_t f = 0; f < F; f++) st->mix[f] += m->prob[e] * from[f];
        }
        double value = dvi_value(st, st->mix, c);
        if (best < 0 || value > best_F) {
          best = a, best_F = value;
          memcpy(law, st->mix, F * sizeof *law);
        }
      }
      w->act[k] = best;
    }
  tabrl_stock_policy_fill(w, st->pi);
  /* F of the law from mu0: the mixture of the start states' laws. */
  memset(st->mix, 0, F * sizeof *st->mix);
  for (int s = 0; s < m->S; s++) {
    const double *from = st->eta + st->slot[(size_t)tabrl_stock_index(g, s, 0)] * F;
    for (size_t f = 0; f < F; f++) st->mix[f] += m->mu0[s] * from[f];
  }
  return dvi_value(st, st->mix, c);
}

static int dvi_stock_iterate(void *state, long iteration)
{
  dvi_stock_state *st = state;
  (void)iteration;
  if (st->done) return 0;
  double c = 0;
  if (st->kind == F_CVAR_C) c = (double)st->w.finals[st->next++] * st->w.g.quantum;
  double value = dvi_pass(st, c);
  if (value > st->best) {
    st->best = value;
    memcpy(st->best_pi->prob, st->pi->prob,
           (size_t)st->pi->stages * (size_t)st->pi->S * (size_t)st->pi->A * sizeof(double));
  }
  st->done = st->kind != F_CVAR_C || st->next >= st->w.nfinals;
  return 0;
}

static int dvi_stock_policy(void *state, tabrl_policy *pi)
{
  dvi_stock_state *st = state;
  int status = st->best == -INFINITY ? dvi_stock_iterate(st, 0) : 0;
  if (!status)
    memcpy(pi->prob, st->best_pi->prob,
           (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof *pi->prob);
  return status;
}

static const tabrl_objective_type *const dvi_stock_objectives[] = {
    &tabrl_objective_cvar, &tabrl_objective_threshold, &tabrl_objective_homeostatic, NULL};

const tabrl_algo_type tabrl_algo_dvi_stock = {
    .name = "dvi-stock",
    .family = "distributional",
    .doc = "distributional value iteration on the stock-augmented model: laws of the final "
           "stock, greedy in the objective's functional; exact for expected utilities "
           "(threshold, homeostatic) and for cvar by the search over c, not for cvar = direct",
    .source = "Pires et al. 2025, Optimizing Return Distributions with Distributional Dynamic "
              "Programming (arXiv 2501.13028; abstract only); Bauerle and Ott 2011, section 3",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = dvi_stock_params,
    .state_size = sizeof(dvi_stock_state),
    .objectives = dvi_stock_objectives,
    .stock_policies = 1,
    .init = dvi_stock_init,
    .release = dvi_stock_release,
    .policy = dvi_stock_policy,
    .iterate = dvi_stock_iterate,
};
