/* The logistic dueling model of colstim and maxminlcb: see duel_glm.h. */
#include "preference/duel_glm.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include "common/ridge.h"
#include "tabrl/error.h"

static int dimension(const tabrl_problem *p)
{
  return p->dim > 0 && p->phi ? p->dim : p->S * p->A;
}

int duel_glm_check(const tabrl_problem *p, const char *who)
{
  if (p->horizon != 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s is a dueling bandit: it needs horizon = 1 (one pull per trajectory), "
                       "e.g. env = bandit or contextual-bandit; this problem has horizon %d",
                       who, p->horizon);
  if (dimension(p) > DUEL_GLM_MAX_DIM || p->S * p->A > DUEL_GLM_MAX_ITEMS)
    return tabrl_error(
        TABRL_EUNSUPPORTED,
        "%s needs a feature dimension of at most %d (S x A = %d for one-hot features) "
        "and at most %d (context, arm) pairs; this problem has dimension %d, %d pairs",
        who, DUEL_GLM_MAX_DIM, p->S * p->A, DUEL_GLM_MAX_ITEMS, dimension(p), p->S * p->A);
  return 0;
}

int duel_glm_init(duel_glm *g, const tabrl_problem *p, double lambda, const char *who)
{
  int status = duel_glm_check(p, who);
  if (status) return status;
  g->d = dimension(p);
  g->items = p->S * p->A;
  g->phi = p->dim > 0 && p->phi ? p->phi : NULL;
  g->lambda = lambda;
  size_t d = (size_t)g->d, items = (size_t)g->items;
  g->theta = calloc(d, sizeof *g->theta);
  g->inverse = malloc(d * d * sizeof *g->inverse);
  g->pair_of = malloc(items * items * sizeof *g->pair_of);
  g->work = malloc((3 * d + d * d) * sizeof *g->work);
  if (!g->theta || !g->inverse || !g->pair_of || !g->work)
    return tabrl_error(TABRL_ENOMEM, "%s: out of memory", who);
  for (size_t i = 0; i < items * items; i++) g->pair_of[i] = -1;
  ridge_reset(g->inverse, g->d, lambda);
  return 0;
}

void duel_glm_free(duel_glm *g)
{
  free(g->theta);
  free(g->inverse);
  free(g->pair_of);
  free(g->pair_i);
  free(g->pair_j);
  free(g->count);
  free(g->wins);
  free(g->work);
  memset(g, 0, sizeof *g);
}

void duel_glm_features(const duel_glm *g, int item, double *x)
{
  if (g->phi) {
    memcpy(x, g->phi + (size_t)item * (size_t)g->d, (size_t)g->d * sizeof *x);
    return;
  }
  for (int k = 0; k < g->d; k++) x[k] = k == item;
}

double duel_glm_utility(const duel_glm *g, int item)
{
  if (!g->phi) return g->theta[item];
  const double *x = g->phi + (size_t)item * (size_t)g->d;
  double u = 0;
  for (int k = 0; k < g->d; k++) u += g->theta[k] * x[k];
  return u;
}

/* z = x_i - x_j into z. */
static void difference(const duel_glm *g, int i, int j, double *z)
{
  if (!g->phi) {
    for (int k = 0; k < g->d; k++) z[k] = (k == i) - (k == j);
    return;
  }
  const double *xi = g->phi + (size_t)i * (size_t)g->d, *xj = g->phi + (size_t)j * (size_t)g->d;
  for (int k = 0; k < g->d; k++) z[k] = xi[k] - xj[k];
}

double duel_glm_width(const duel_glm *g, int i, int j, double *mean)
{
  double *z = g->work;
  difference(g, i, j, z);
  double m = 0;
  for (int k = 0; k < g->d; k++) m += g->theta[k] * z[k];
  *mean = m;
  return sqrt(ridge_norm2(g->inverse, z, g->d));
}

double duel_glm_norm(const duel_glm *g, int i)
{
  double *x = g->work;
  duel_glm_features(g, i, x);
  return sqrt(ridge_norm2(g->inverse, x, g->d));
}

double duel_glm_sigmoid(double x)
{
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

static int add_pair(duel_glm *g, int i, int j)
{
  if (g->npairs == g->cap) {
    int cap = g->cap ? 2 * g->cap : 16;
    int *pi = realloc(g->pair_i, (size_t)cap * sizeof *pi);
    if (pi) g->pair_i = pi;
    int *pj = realloc(g->pair_j, (size_t)cap * sizeof *pj);
    if (pj) g->pair_j = pj;
    double *c = realloc(g->count, (size_t)cap * sizeof *c);
    if (c) g->count = c;
    double *w = realloc(g->wins, (size_t)cap * sizeof *w);
    if (w) g->wins = w;
    if (!pi || !pj || !c || !w) return -1;
    g->cap = cap;
  }
  int p = g->npairs++;
  g->pair_i[p] = i;
  g->pair_j[p] = j;
  g->count[p] = g->wins[p] = 0;
  g->pair_of[(size_t)i * (size_t)g->items + (size_t)j] = p;
  return p;
}

/* Newton's method on the regularised negative log-likelihood, from the
 * current estimate.  The Hessian is >= lambda I, so each system is
 * positive definite; a step is capped at length 10 so that a far start
 * (a sudden run of lopsided duels) cannot overshoot into the flat tails. */
static void refit(duel_glm *g)
{
  int d = g->d;
  double *grad = g->work, *z = g->work + d, *step = g->work + 2 * d, *hess = g->work + 3 * d;
  gsl_matrix_view H = gsl_matrix_view_array(hess, (size_t)d, (size_t)d);
  gsl_vector_view gv = gsl_vector_view_array(grad, (size_t)d);
  gsl_vector_view sv = gsl_vector_view_array(step, (size_t)d);
  for (int iter = 0; iter < 50; iter++) {
    for (int k = 0; k < d; k++) {
      grad[k] = g->lambda * g->theta[k];
      for (int l = 0; l < d; l++) hess[k * d + l] = k == l ? g->lambda : 0.0;
    }
    for (int p = 0; p < g->npairs; p++) {
      difference(g, g->pair_i[p], g->pair_j[p], z);
      double m = 0;
      for (int k = 0; k < d; k++) m += g->theta[k] * z[k];
      double s = duel_glm_sigmoid(m), r = g->count[p] * s - g->wins[p];
      double w = g->count[p] * s * (1 - s);
      for (int k = 0; k < d; k++) {
        if (z[k] == 0) continue;
        grad[k] += r * z[k];
        for (int l = 0; l < d; l++) hess[k * d + l] += w * z[k] * z[l];
      }
    }
    if (gsl_linalg_cholesky_decomp1(&H.matrix) ||
        gsl_linalg_cholesky_solve(&H.matrix, &gv.vector, &sv.vector)) {
      g->skipped++;
      return;
    }
    double norm = 0;
    for (int k = 0; k < d; k++) norm += step[k] * step[k];
    norm = sqrt(norm);
    if (!isfinite(norm)) {
      g->skipped++;
      return;
    }
    double scale = norm > 10 ? 10 / norm : 1;
    for (int k = 0; k < d; k++) g->theta[k] -= scale * step[k];
    if (norm < 1e-10) return;
  }
}

int duel_glm_observe(duel_glm *g, int i, int j, int first_won)
{
  if (i == j) return 0;
  int lo = i < j ? i : j, hi = i < j ? j : i;
  int p = g->pair_of[(size_t)lo * (size_t)g->items + (size_t)hi];
  if (p < 0 && (p = add_pair(g, lo, hi)) < 0) return tabrl_error(TABRL_ENOMEM, "out of memory");
  g->count[p] += 1;
  /* the pair is stored as (lo, hi): wins counts lo's */
  g->wins[p] += (lo == i) == (first_won != 0);
  double *z = g->work + g->d, *scratch = g->work;
  difference(g, i, j, z);
  ridge_rank_one(g->inverse, z, 1.0, scratch, g->d);
  refit(g);
  return 0;
}
