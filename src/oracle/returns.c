/* Exact return distributions of any model without reward noise: the grid
 * path of oracle/stock.c where the rewards allow it, else forward
 * propagation over (state, accumulated return) with equal returns merged;
 * see tabrl/returns.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/stock.h"
#include "tabrl/error.h"

/* One (state, accumulated return) atom alive at a stage. */
typedef struct {
  int s;
  double value, prob;
} alive;

typedef struct {
  alive *e;
  size_t n, cap;
} alive_list;

static int by_state_value(const void *x, const void *y)
{
  const alive *a = x, *b = y;
  if (a->s != b->s) return (a->s > b->s) - (a->s < b->s);
  return (a->value > b->value) - (a->value < b->value);
}

/* Sorts and merges each state's returns that lie within tol max(1, |x|) of
 * the smallest return x of their group; a group is one atom at its
 * probability-weighted mean.  Anchoring the group at its first return
 * (rather than chaining neighbours) keeps a group's width below the
 * tolerance however many returns it holds. */
static void merge(alive_list *l, double tol)
{
  size_t j = 0;
  if (!l->n) return;
  qsort(l->e, l->n, sizeof *l->e, by_state_value);
  for (size_t i = 0; i < l->n;) {
    double first = l->e[i].value, mass = 0, moment = 0;
    int s = l->e[i].s;
    size_t k = i;
    for (; k < l->n && l->e[k].s == s && l->e[k].value - first <= tol * fmax(1, fabs(first)); k++)
      mass += l->e[k].prob, moment += l->e[k].prob * l->e[k].value;
    /* One return: keep it bit for bit rather than moment / mass. */
    l->e[j++] = (alive){s, k - i == 1 ? first : moment / mass, mass};
    i = k;
  }
  l->n = j;
}

static int over_budget(const tabrl_mdp *m, int h, int T, size_t budget)
{
  return tabrl_error(TABRL_EUNSUPPORTED,
                     "the exact return distribution of %s needs more than %zu (state, return) "
                     "atoms at stage %d of %d (the atom budget): rewards off a grid make the "
                     "number of distinct returns grow with the horizon; raise the budget or "
                     "shorten the horizon%s",
                     m->name ? m->name : "the model", budget, h + 1, T,
                     m->horizon ? "" : " (a larger truncation eps)");
}

/* Appends an atom, merging the list when it is full: the list holds at
 * most 2 budget + 1 atoms, and a merge that leaves more than budget atoms
 * means the stage needs more. */
static int push(alive_list *l, alive a, double tol, size_t budget)
{
  if (l->n == l->cap) {
    size_t limit = 2 * budget + 1;
    if (l->cap >= limit) {
      merge(l, tol);
      if (l->n > budget) return TABRL_EUNSUPPORTED;
    } else {
      size_t cap = l->cap ? 2 * l->cap : 1024;
      alive *e = realloc(l->e, (cap < limit ? cap : limit) * sizeof *e);
      if (!e) return TABRL_ENOMEM;
      l->e = e;
      l->cap = cap < limit ? cap : limit;
    }
  }
  l->e[l->n++] = a;
  return 0;
}

/* The truncation of a discounted model: the smallest T >= 1 with
 * gamma^T R_max / (1 - gamma) <= eps. */
static int truncation(const tabrl_mdp *m, double eps, double *bound)
{
  double r_max = 0;
  for (size_t e = 0; e < m->nnz; e++) r_max = fmax(r_max, fabs(m->reward[e]));
  int T = 1;
  double b = m->gamma * r_max / (1 - m->gamma);
  while (b > eps && T < 2147483647) b *= m->gamma, T++;
  *bound = b;
  return T;
}

static int general(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                   const tabrl_returns_options *opt, tabrl_atom **atoms, size_t *n,
                   tabrl_returns_report *report)
{
  double bound = 0, discount = 1, tol = opt->rel_tol;
  size_t budget = opt->max_atoms, max_alive = 0;
  int T = m->horizon > 0 ? m->horizon : truncation(m, opt->eps, &bound), status = 0;
  alive_list now = {0}, next = {0};
  for (int s = 0; s < m->S && !status; s++)
    if (start[s] > 0) status = push(&now, (alive){s, 0, start[s]}, tol, budget);
  if (status == TABRL_EUNSUPPORTED) status = over_budget(m, -1, T, budget);
  for (int h = 0; h < T && !status; h++) {
    next.n = 0;
    for (size_t k = 0; k < now.n && !status; k++) {
      alive x = now.e[k];
      const double *row = tabrl_policy_row(pi, h, x.s);
      for (int a = 0; a < m->A && !status; a++) {
        if (!(row[a] > 0)) continue;
        size_t b = tabrl_mdp_block(m, h, x.s, a);
        for (size_t e = m->row[b]; e < m->row[b + 1] && !status; e++) {
          double p = x.prob * row[a] * m->prob[e];
          if (p > 0)
            status =
                push(&next, (alive){m->next[e], x.value + discount * m->reward[e], p}, tol, budget);
        }
      }
    }
    if (!status) merge(&next, tol);
    if (!status && next.n > budget) status = TABRL_EUNSUPPORTED;
    if (status == TABRL_EUNSUPPORTED) status = over_budget(m, h, T, budget);
    if (next.n > max_alive) max_alive = next.n;
    alive_list t = now;
    now = next;
    next = t;
    discount *= m->gamma;
  }
  if (status == TABRL_ENOMEM) status = tabrl_error(TABRL_ENOMEM, "out of memory");
  if (!status) {
    /* The law of the return: every state's atoms, merged across states. */
    for (size_t k = 0; k < now.n; k++) now.e[k].s = 0;
    merge(&now, tol);
    if (!(*atoms = malloc((now.n ? now.n : 1) * sizeof **atoms)))
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    for (size_t k = 0; !status && k < now.n; k++)
      (*atoms)[k] = (tabrl_atom){now.e[k].value, now.e[k].prob};
    if (!status) *n = now.n;
  }
  if (report) *report = (tabrl_returns_report){T, bound, 0, max_alive};
  free(now.e);
  free(next.e);
  return status;
}

tabrl_returns_options tabrl_returns_options_default(void)
{
  return (tabrl_returns_options){TABRL_RETURNS_REL_TOL, TABRL_RETURNS_MAX_ATOMS, TABRL_RETURNS_EPS};
}

int tabrl_return_distribution_opt(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                  const tabrl_returns_options *opt, tabrl_atom **atoms, size_t *n,
                                  tabrl_returns_report *report)
{
  tabrl_returns_options defaults = tabrl_returns_options_default();
  tabrl_stock_grid g;
  if (!opt) opt = &defaults;
  *atoms = NULL;
  *n = 0;
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "an exact return distribution needs the exact reward law; this model "
                       "adds continuous reward noise");
  if (!(opt->rel_tol >= 0 && opt->rel_tol < 1) || opt->max_atoms < 1 ||
      !(opt->eps > 0 && isfinite(opt->eps)))
    return tabrl_error(TABRL_EINVAL,
                       "return distribution options: tolerance %g must be in [0, 1), budget %zu "
                       "at least 1, eps %g positive",
                       opt->rel_tol, opt->max_atoms, opt->eps);
  if (!start) start = m->mu0;
  if (m->horizon > 0 && tabrl_stock_grid_of(m, &g) == 0) {
    if (report) *report = (tabrl_returns_report){m->horizon, 0, 1, 0};
    return tabrl_stock_return_distribution(m, pi, start, atoms, n);
  }
  if (pi->S != m->S)
    return tabrl_error(TABRL_EINVAL,
                       "the policy has %d states, the model %d: a policy of the stock model "
                       "needs an episodic model with rewards on a grid",
                       pi->S, m->S);
  int status = tabrl_policy_check(pi, m);
  return status ? status : general(m, pi, start, opt, atoms, n, report);
}

int tabrl_return_distribution(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                              tabrl_atom **atoms, size_t *n)
{
  return tabrl_return_distribution_opt(m, pi, start, NULL, atoms, n, NULL);
}
