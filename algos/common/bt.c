/* The Bradley-Terry maximum-likelihood fit; see bt.h. */
#include "common/bt.h"
#include <gsl/gsl_multimin.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"

int tabrl_bt_init(tabrl_bt *bt, int d, double ridge)
{
  memset(bt, 0, sizeof *bt);
  bt->d = d;
  bt->ridge = ridge;
  bt->theta = calloc((size_t)d, sizeof *bt->theta);
  bt->Vinv = calloc((size_t)d * (size_t)d, sizeof *bt->Vinv);
  bt->scratch = calloc((size_t)d, sizeof *bt->scratch);
  if (!bt->theta || !bt->Vinv || !bt->scratch)
    return tabrl_error(TABRL_ENOMEM, "out of memory for %d preference features", d);
  for (int j = 0; j < d; j++) bt->Vinv[(size_t)j * (size_t)d + (size_t)j] = 1.0 / ridge;
  return 0;
}

void tabrl_bt_free(tabrl_bt *bt)
{
  free(bt->x);
  free(bt->y);
  free(bt->theta);
  free(bt->Vinv);
  free(bt->scratch);
  memset(bt, 0, sizeof *bt);
}

int tabrl_bt_add(tabrl_bt *bt, const double *x, int prefer_first)
{
  size_t d = (size_t)bt->d;
  if (bt->n == bt->cap) {
    size_t cap = bt->cap ? 2 * bt->cap : 64;
    double *nx = realloc(bt->x, cap * d * sizeof *nx);
    if (!nx) return tabrl_error(TABRL_ENOMEM, "out of memory for %zu comparisons", cap);
    bt->x = nx;
    unsigned char *ny = realloc(bt->y, cap);
    if (!ny) return tabrl_error(TABRL_ENOMEM, "out of memory for %zu comparisons", cap);
    bt->y = ny;
    bt->cap = cap;
  }
  memcpy(bt->x + bt->n * d, x, d * sizeof *x);
  bt->y[bt->n++] = prefer_first != 0;
  /* Sherman-Morrison: (V + x x^T)^-1 = V^-1 - u u^T / (1 + x^T u), u = V^-1 x. */
  double *u = bt->scratch, denom = 1;
  for (size_t i = 0; i < d; i++) {
    double t = 0;
    for (size_t j = 0; j < d; j++) t += bt->Vinv[i * d + j] * x[j];
    u[i] = t;
    denom += x[i] * t;
  }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) bt->Vinv[i * d + j] -= u[i] * u[j] / denom;
  return 0;
}

double tabrl_bt_score(const tabrl_bt *bt, const double *x)
{
  double z = 0;
  for (int j = 0; j < bt->d; j++) z += bt->theta[j] * x[j];
  return z;
}

double tabrl_bt_width(const tabrl_bt *bt, const double *x)
{
  size_t d = (size_t)bt->d;
  double q = 0;
  for (size_t i = 0; i < d; i++) {
    if (x[i] == 0) continue;
    double t = 0;
    for (size_t j = 0; j < d; j++) t += bt->Vinv[i * d + j] * x[j];
    q += x[i] * t;
  }
  return sqrt(q > 0 ? q : 0);
}

/* log(1 + e^t) without overflow. */
static double softplus(double t)
{
  return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

static double logistic(double t)
{
  return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
}

/* The negative log-likelihood: -log sigma(z) = softplus(-z) for y = 1,
 * -log sigma(-z) = softplus(z) for y = 0; gradient sum (sigma(z) - y) x. */
static void nll_fdf(const gsl_vector *v, void *params, double *f, gsl_vector *g)
{
  const tabrl_bt *bt = params;
  size_t d = (size_t)bt->d;
  const double *theta = v->data; /* GSL allocates the minimiser's vectors with stride 1 */
  double *grad = g ? g->data : NULL, total = 0;
  for (size_t j = 0; j < d; j++) {
    total += 0.5 * bt->ridge * theta[j] * theta[j];
    if (grad) grad[j] = bt->ridge * theta[j];
  }
  for (size_t i = 0; i < bt->n; i++) {
    const double *x = bt->x + i * d;
    double z = 0;
    for (size_t j = 0; j < d; j++) z += theta[j] * x[j];
    total += bt->y[i] ? softplus(-z) : softplus(z);
    if (grad) {
      double r = logistic(z) - bt->y[i];
      for (size_t j = 0; j < d; j++) grad[j] += r * x[j];
    }
  }
  if (f) *f = total;
}

static double nll_f(const gsl_vector *v, void *params)
{
  double f;
  nll_fdf(v, params, &f, NULL);
  return f;
}

static void nll_df(const gsl_vector *v, void *params, gsl_vector *g)
{
  nll_fdf(v, params, NULL, g);
}

int tabrl_bt_fit(tabrl_bt *bt, int max_iter)
{
  size_t d = (size_t)bt->d;
  int status = 0;
  if (!bt->n) return 0;
  gsl_multimin_function_fdf fn = {nll_f, nll_df, nll_fdf, d, bt};
  gsl_multimin_fdfminimizer *m =
      gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, d);
  gsl_vector *start = gsl_vector_alloc(d);
  if (!m || !start) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory for the preference fit");
    goto done;
  }
  for (size_t j = 0; j < d; j++) gsl_vector_set(start, j, bt->theta[j]);
  /* Step 1 and line tolerance 0.1 are GSL's documented choices for BFGS. */
  if (gsl_multimin_fdfminimizer_set(m, &fn, start, 1.0, 0.1)) {
    status = tabrl_error(TABRL_ENUMERIC, "the preference fit did not start");
    goto done;
  }
  for (int it = 0; it < max_iter; it++) {
    /* The gradient is a sum over comparisons: its tolerance grows with n. */
    if (gsl_multimin_test_gradient(m->gradient, 1e-6 * (1.0 + (double)bt->n)) == GSL_SUCCESS) break;
    if (gsl_multimin_fdfminimizer_iterate(m)) break; /* no progress: at the optimum */
  }
  for (size_t j = 0; j < d; j++) {
    double t = gsl_vector_get(m->x, j);
    if (isfinite(t)) bt->theta[j] = t;
  }
  bt->fitted = bt->n;
done:
  gsl_vector_free(start);
  if (m) gsl_multimin_fdfminimizer_free(m);
  return status;
}
