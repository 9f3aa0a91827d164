/* The stock grid, the stock-augmented backward induction and exact return
 * distributions; see tabrl/returns.h and oracle/stock.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/stock.h"
#include "tabrl/error.h"

static int by_double(const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* Euclid's algorithm on reals: a remainder within tol of 0 or of the
 * divisor counts as 0. */
static double approximate_gcd(double a, double b, double tol)
{
  while (b > tol) {
    double r = fmod(a, b);
    if (r < tol || b - r < tol) r = 0;
    a = b;
    b = r;
  }
  return a;
}

/* "0.1, 0.2, 0.35 (and 7 more)": the reward values, for messages. */
static void list_values(const double *v, size_t n, char *buf, size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && i < 6 && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%.10g", i ? ", " : "", v[i]);
  if (n > 6 && used < size) snprintf(buf + used, size - used, " (and %zu more)", n - 6);
}

int tabrl_stock_grid_of(const tabrl_mdp *m, tabrl_stock_grid *g)
{
  if (m->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "stock augmentation needs an episodic model (a discounted return's "
                       "accumulated reward is not on a finite grid)");
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED, "stock augmentation needs the exact reward law; this "
                                           "model adds continuous reward noise");
  double *v = malloc((m->nnz ? m->nnz : 1) * sizeof *v);
  if (!v) return tabrl_error(TABRL_ENOMEM, "out of memory");
  memcpy(v, m->reward, m->nnz * sizeof *v);
  qsort(v, m->nnz, sizeof *v, by_double);
  size_t n = 0;
  for (size_t i = 0; i < m->nnz; i++)
    if (!n || v[i] != v[n - 1]) v[n++] = v[i];
  double scale = 0, q = 0;
  for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(v[i]));
  for (size_t i = 0; i < n; i++)
    if (v[i] != 0)
      q = q > 0 ? approximate_gcd(fmax(q, fabs(v[i])), fmin(q, fabs(v[i])),
                                  TABRL_STOCK_GRID_TOL * scale)
                : fabs(v[i]);
  if (q == 0) q = 1;
  long umin = 0, umax = 0;
  int on_grid = scale / q <= (double)TABRL_STOCK_MAX_QUANTA;
  for (size_t i = 0; on_grid && i < n; i++) {
    long u = lround(v[i] / q);
    on_grid = fabs(v[i] - (double)u * q) <= TABRL_STOCK_GRID_TOL * q;
    if (u < umin) umin = u;
    if (u > umax) umax = u;
  }
  if (!on_grid) {
    char values[256];
    list_values(v, n, values, sizeof values);
    free(v);
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "stock augmentation needs rewards on a finite grid (integer multiples of "
                       "one quantum, at most %ld quanta); the rewards %s are not",
                       TABRL_STOCK_MAX_QUANTA, values);
  }
  free(v);
  g->quantum = q;
  g->lo = umin * m->horizon;
  g->hi = umax * m->horizon;
  g->K = g->hi - g->lo + 1;
  g->S = m->S;
  g->A = m->A;
  g->horizon = g->stages = m->horizon;
  double values = ((double)m->horizon + 1) * m->S * (double)g->K;
  if (values > (double)TABRL_STOCK_MAX_VALUES || (double)m->S * (double)g->K > 2147483647.0)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "the stock-augmented model would hold %.0f values ((H+1) S K = %d x %d x "
                       "%ld stocks of %g), above the limit of %ld",
                       values, m->horizon + 1, m->S, g->K, q, TABRL_STOCK_MAX_VALUES);
  return 0;
}

long tabrl_stock_units(const tabrl_stock_grid *g, double reward)
{
  return lround(reward / g->quantum);
}

tabrl_policy *tabrl_stock_policy_alloc(const tabrl_stock_grid *g)
{
  return tabrl_policy_alloc((int)(g->S * g->K), g->A, g->stages);
}

typedef struct {
  const tabrl_mdp *m;
  long K;
} stock_valid_ctx;

static int stock_row_valid(const void *ctx, int h, int i, int a)
{
  const stock_valid_ctx *c = ctx;
  return tabrl_mdp_valid(c->m, h, (int)(i / c->K), a);
}

int tabrl_stock_policy_kind(const tabrl_mdp *m, const tabrl_stock_grid *g, const tabrl_policy *pi)
{
  if (pi->S == m->S) {
    int status = tabrl_policy_check(pi, m);
    return status ? status : 0;
  }
  if (pi->S != g->S * g->K || pi->stages != g->stages)
    return tabrl_error(TABRL_EINVAL,
                       "the policy has %d states and %d stages: neither a policy of the model "
                       "(%d states) nor of its stock model (%ld states, %d stages)",
                       pi->S, pi->stages, m->S, g->S * g->K, g->stages);
  stock_valid_ctx c = {m, g->K};
  int status = tabrl_policy_check_rows(pi, pi->S, m->A, g->stages, stock_row_valid, &c);
  return status ? status : 1;
}

void tabrl_stock_work_free(tabrl_stock_work *w)
{
  free(w->units);
  free(w->reach);
  free(w->list);
  free(w->first);
  free(w->act);
  free(w->W);
  free(w->finals);
  memset(w, 0, sizeof *w);
}

int tabrl_stock_work_init(tabrl_stock_work *w, const tabrl_mdp *m)
{
  memset(w, 0, sizeof *w);
  w->m = m;
  int status = tabrl_stock_grid_of(m, &w->g);
  if (status) return status;
  const tabrl_stock_grid *g = &w->g;
  size_t layer = (size_t)m->S * (size_t)g->K, H = (size_t)m->horizon, count = 0;
  w->units = malloc((m->nnz ? m->nnz : 1) * sizeof *w->units);
  w->reach = calloc((H + 1) * layer, 1);
  w->first = malloc((H + 2) * sizeof *w->first);
  w->finals = malloc((size_t)g->K * sizeof *w->finals);
  if (!w->units || !w->reach || !w->first || !w->finals)
    return tabrl_error(TABRL_ENOMEM, "out of memory for the stock model (%zu states)",
                       (H + 1) * layer);
  for (size_t e = 0; e < m->nnz; e++) w->units[e] = tabrl_stock_units(g, m->reward[e]);
  for (int s = 0; s < m->S; s++) w->reach[tabrl_stock_index(g, s, 0)] = 1;
  for (size_t h = 0; h < H; h++) {
    const unsigned char *now = w->reach + h * layer;
    unsigned char *next = w->reach + (h + 1) * layer;
    for (size_t i = 0; i < layer; i++) {
      if (!now[i]) continue;
      int s = tabrl_stock_state(g, (long)i);
      long u = tabrl_stock_stock(g, (long)i);
      for (int a = 0; a < m->A; a++) {
        size_t b = tabrl_mdp_block(m, (int)h, s, a);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          next[tabrl_stock_index(g, m->next[e], u + w->units[e])] = 1;
      }
    }
  }
  for (size_t i = 0; i < (H + 1) * layer; i++) count += w->reach[i];
  w->list = malloc(count * sizeof *w->list);
  w->act = malloc(count * sizeof *w->act);
  if (!w->list || !w->act) return tabrl_error(TABRL_ENOMEM, "out of memory");
  count = 0;
  for (size_t h = 0; h <= H; h++) {
    w->first[h] = count;
    for (size_t i = 0; i < layer; i++)
      if (w->reach[h * layer + i]) w->list[count++] = (long)i;
  }
  w->first[H + 1] = count;
  const unsigned char *last = w->reach + H * layer;
  for (long k = 0; k < g->K; k++)
    for (int s = 0; s < m->S; s++)
      if (last[(size_t)s * (size_t)g->K + (size_t)k]) {
        w->finals[w->nfinals++] = k + g->lo;
        break;
      }
  return 0;
}

int tabrl_stock_backward(tabrl_stock_work *w, double (*terminal)(const void *ctx, double y),
                         const void *ctx)
{
  const tabrl_mdp *m = w->m;
  const tabrl_stock_grid *g = &w->g;
  size_t layer = (size_t)m->S * (size_t)g->K;
  int H = m->horizon;
  if (!w->W && !(w->W = malloc(((size_t)H + 1) * layer * sizeof *w->W)))
    return tabrl_error(TABRL_ENOMEM, "out of memory for the stock model's values");
  double *last = w->W + (size_t)H * layer;
  for (size_t k = w->first[H]; k < w->first[H + 1]; k++)
    last[w->list[k]] = terminal(ctx, (double)tabrl_stock_stock(g, w->list[k]) * g->quantum);
  for (int h = H - 1; h >= 0; h--) {
    const double *next = w->W + (size_t)(h + 1) * layer;
    double *W = w->W + (size_t)h * layer;
    for (size_t k = w->first[h]; k < w->first[h + 1]; k++) {
      long i = w->list[k], u = tabrl_stock_stock(g, i);
      int s = tabrl_stock_state(g, i), best = -1;
      double best_q = 0;
      for (int a = 0; a < m->A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        double q = 0;
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          q += m->prob[e] * next[tabrl_stock_index(g, m->next[e], u + w->units[e])];
        if (best < 0 || q > best_q) best = a, best_q = q;
      }
      W[i] = best_q;
      w->act[k] = best;
    }
  }
  return 0;
}

void tabrl_stock_policy_fill(const tabrl_stock_work *w, tabrl_policy *pi)
{
  const tabrl_mdp *m = w->m;
  size_t layer = (size_t)m->S * (size_t)w->g.K;
  for (int h = 0; h < m->horizon; h++) {
    size_t k = w->first[h];
    for (size_t i = 0; i < layer; i++) {
      int a = 0;
      if (k < w->first[h + 1] && w->list[k] == (long)i) {
        a = w->act[k++];
      } else {
        while (!tabrl_mdp_valid(m, h, tabrl_stock_state(&w->g, (long)i), a)) a++;
      }
      tabrl_policy_set_action(pi, h, (int)i, a);
    }
  }
}

/* tabrl_stock_distribution in the two layers now and next (S K each, zero
 * on entry, zero again on return): only reachable entries are ever
 * written, and each is cleared after it is read. */
static size_t distribution_in(const tabrl_stock_work *w, const tabrl_policy *pi,
                              const double *start, tabrl_atom *atoms, double *now, double *next)
{
  const tabrl_mdp *m = w->m;
  const tabrl_stock_grid *g = &w->g;
  size_t n = 0;
  int stock_policy = pi && pi->S != m->S, H = m->horizon;
  for (int s = 0; s < m->S; s++) now[tabrl_stock_index(g, s, 0)] = start[s];
  for (int h = 0; h < H; h++) {
    for (size_t k = w->first[h]; k < w->first[h + 1]; k++) {
      long i = w->list[k], u = tabrl_stock_stock(g, i);
      double mass = now[i];
      if (mass == 0) continue;
      now[i] = 0;
      int s = tabrl_stock_state(g, i);
      if (!pi) {
        size_t b = tabrl_mdp_block(m, h, s, w->act[k]);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          next[tabrl_stock_index(g, m->next[e], u + w->units[e])] += mass * m->prob[e];
        continue;
      }
      const double *row = tabrl_policy_row(pi, h, stock_policy ? (int)i : s);
      for (int a = 0; a < m->A; a++) {
        if (row[a] <= 0) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          next[tabrl_stock_index(g, m->next[e], u + w->units[e])] += mass * row[a] * m->prob[e];
      }
    }
    double *t = now;
    now = next;
    next = t;
  }
  for (size_t f = 0; f < w->nfinals; f++) {
    double p = 0;
    for (int s = 0; s < m->S; s++) {
      p += now[tabrl_stock_index(g, s, w->finals[f])];
      now[tabrl_stock_index(g, s, w->finals[f])] = 0;
    }
    if (p > 0) atoms[n].value = (double)w->finals[f] * g->quantum, atoms[n++].prob = p;
  }
  return n;
}

size_t tabrl_stock_distribution(const tabrl_stock_work *w, const tabrl_policy *pi,
                                const double *start, tabrl_atom *atoms)
{
  size_t layer = (size_t)w->m->S * (size_t)w->g.K;
  double *now = calloc(layer, sizeof *now), *next = calloc(layer, sizeof *next);
  size_t n = (size_t)-1;
  if (!now || !next)
    tabrl_error(TABRL_ENOMEM, "out of memory");
  else
    n = distribution_in(w, pi, start, atoms, now, next);
  free(now);
  free(next);
  return n;
}

int tabrl_stock_return_distribution(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                    tabrl_atom **atoms, size_t *n)
{
  tabrl_stock_work w;
  int status = tabrl_stock_work_init(&w, m);
  if (!status && (status = tabrl_stock_policy_kind(m, &w.g, pi)) > 0) status = 0;
  if (!status && !(*atoms = malloc((w.nfinals ? w.nfinals : 1) * sizeof **atoms)))
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
  if (!status) {
    *n = tabrl_stock_distribution(&w, pi, start ? start : m->mu0, *atoms);
    if (*n == (size_t)-1) {
      free(*atoms);
      *atoms = NULL;
      status = TABRL_ENOMEM;
    }
  }
  tabrl_stock_work_free(&w);
  return status;
}

tabrl_stock_solution *tabrl_stock_solution_alloc(const tabrl_mdp *m)
{
  tabrl_stock_solution *sol = calloc(1, sizeof *sol);
  if (!sol) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  if (tabrl_stock_grid_of(m, &sol->grid)) {
    free(sol);
    return NULL;
  }
  size_t n = ((size_t)m->horizon + 1) * (size_t)m->S * (size_t)sol->grid.K;
  sol->pi = tabrl_stock_policy_alloc(&sol->grid);
  sol->value = malloc(n * sizeof *sol->value);
  if (!sol->pi || !sol->value) {
    tabrl_stock_solution_free(sol);
    tabrl_error(TABRL_ENOMEM, "out of memory for the stock model (%zu states)", n);
    return NULL;
  }
  return sol;
}

void tabrl_stock_solution_free(tabrl_stock_solution *sol)
{
  if (!sol) return;
  tabrl_policy_free(sol->pi);
  free(sol->value);
  free(sol);
}

int tabrl_stock_value(const tabrl_mdp *m, const tabrl_policy *pi,
                      double (*functional)(const void *ctx, tabrl_atom *atoms, size_t n),
                      const void *ctx, double *V, double *J)
{
  tabrl_stock_work w;
  int status = tabrl_stock_work_init(&w, m);
  if (!status && (status = tabrl_stock_policy_kind(m, &w.g, pi)) > 0) status = 0;
  tabrl_atom *atoms = status ? NULL : malloc((w.nfinals ? w.nfinals : 1) * sizeof *atoms);
  double *start = status ? NULL : calloc((size_t)m->S, sizeof *start);
  if (!status && (!atoms || !start)) status = tabrl_error(TABRL_ENOMEM, "out of memory");
  for (int s = -1; !status && s < (V ? m->S : 0); s++) {
    if (s >= 0) start[s] = 1;
    size_t n = tabrl_stock_distribution(&w, pi, s < 0 ? m->mu0 : start, atoms);
    if (n == (size_t)-1)
      status = TABRL_ENOMEM;
    else if (s < 0)
      *J = functional(ctx, atoms, n);
    else
      V[s] = functional(ctx, atoms, n);
    if (s >= 0) start[s] = 0;
  }
  if (!status && V)
    for (size_t i = (size_t)m->S; i < ((size_t)m->horizon + 1) * (size_t)m->S; i++) V[i] = NAN;
  free(atoms);
  free(start);
  tabrl_stock_work_free(&w);
  return status;
}

void tabrl_stock_occupancy(const tabrl_mdp *m, const tabrl_stock_grid *g, const tabrl_policy *pi,
                           double *d)
{
  size_t layer = (size_t)m->S * (size_t)g->K;
  int stock_policy = pi->S != m->S;
  memset(d, 0, (size_t)m->horizon * layer * sizeof *d);
  for (int s = 0; s < m->S; s++) d[tabrl_stock_index(g, s, 0)] = m->mu0[s];
  for (int h = 0; h + 1 < m->horizon; h++)
    for (size_t i = 0; i < layer; i++) {
      double mass = d[(size_t)h * layer + i];
      if (mass == 0) continue;
      int s = tabrl_stock_state(g, (long)i);
      long u = tabrl_stock_stock(g, (long)i);
      const double *row = tabrl_policy_row(pi, h, stock_policy ? (int)i : s);
      for (int a = 0; a < m->A; a++) {
        if (!(row[a] > 0)) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
          long next = tabrl_stock_index(g, m->next[e], u + tabrl_stock_units(g, m->reward[e]));
          d[(size_t)(h + 1) * layer + (size_t)next] += mass * row[a] * m->prob[e];
        }
      }
    }
}

long tabrl_stock_reachable(const tabrl_mdp *m)
{
  tabrl_stock_work w;
  int status = tabrl_stock_work_init(&w, m);
  long n = status ? status : (long)w.first[m->horizon + 1];
  tabrl_stock_work_free(&w);
  return n;
}

/* The layers and atoms of the kept work for vw->m (its stock work
 * already made). */
static int value_work_buffers(tabrl_stock_value_work *vw)
{
  size_t layer = (size_t)vw->m->S * (size_t)vw->w.g.K;
  free(vw->atoms);
  free(vw->now);
  free(vw->next);
  vw->atoms = malloc((vw->w.nfinals ? vw->w.nfinals : 1) * sizeof *vw->atoms);
  vw->now = calloc(layer, sizeof *vw->now);
  vw->next = calloc(layer, sizeof *vw->next);
  if (!vw->atoms || !vw->now || !vw->next) return tabrl_error(TABRL_ENOMEM, "out of memory");
  return 0;
}

void *tabrl_stock_value_work_alloc(const tabrl_objective *o, const tabrl_mdp *m)
{
  tabrl_stock_value_work *vw = calloc(1, sizeof *vw);
  (void)o;
  if (!vw) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  vw->m = m;
  if (tabrl_stock_work_init(&vw->w, m) || !(vw->start = calloc((size_t)m->S, sizeof *vw->start)) ||
      value_work_buffers(vw)) {
    if (!vw->start) tabrl_error(TABRL_ENOMEM, "out of memory");
    tabrl_stock_value_work_free(vw);
    return NULL;
  }
  return vw;
}

void tabrl_stock_value_work_free(void *work)
{
  tabrl_stock_value_work *vw = work;
  if (!vw) return;
  tabrl_stock_work_free(&vw->w);
  free(vw->atoms);
  free(vw->start);
  free(vw->now);
  free(vw->next);
  free(vw);
}

void tabrl_stock_value_work_reset(void *work, const tabrl_objective *o, const tabrl_mdp *m)
{
  tabrl_stock_value_work *vw = work;
  (void)o;
  (void)m;
  vw->stale = 1;
}

int tabrl_stock_value_kept(void *work, const tabrl_policy *pi, unsigned flags,
                           double (*functional)(const void *ctx, tabrl_atom *atoms, size_t n),
                           const void *ctx, double *V, double *J)
{
  tabrl_stock_value_work *vw = work;
  const tabrl_mdp *m = vw->m;
  int status = 0;
  if (vw->stale) {
    tabrl_stock_work_free(&vw->w);
    if ((status = tabrl_stock_work_init(&vw->w, m)) || (status = value_work_buffers(vw)))
      return status;
    vw->stale = 0;
  }
  if (!(flags & TABRL_ORACLE_UNCHECKED)) {
    if ((status = tabrl_stock_policy_kind(m, &vw->w.g, pi)) < 0) return status;
  } else if (pi->A != m->A ||
             (pi->S == m->S ? pi->stages != 1 && pi->stages != tabrl_mdp_value_stages(m)
                            : pi->S != vw->w.g.S * vw->w.g.K || pi->stages != vw->w.g.stages)) {
    return tabrl_error(TABRL_EINVAL,
                       "the policy is %d x %d with %d stages: neither a policy of the model "
                       "nor of its stock model",
                       pi->S, pi->A, pi->stages);
  }
  for (int s = -1; s < (V ? m->S : 0); s++) {
    if (s >= 0) vw->start[s] = 1;
    size_t n =
        distribution_in(&vw->w, pi, s < 0 ? m->mu0 : vw->start, vw->atoms, vw->now, vw->next);
    if (s < 0)
      *J = functional(ctx, vw->atoms, n);
    else
      V[s] = functional(ctx, vw->atoms, n);
    if (s >= 0) vw->start[s] = 0;
  }
  if (V)
    for (size_t i = (size_t)m->S; i < ((size_t)m->horizon + 1) * (size_t)m->S; i++) V[i] = NAN;
  return 0;
}
