/* Distances between finite distributions on the real line; see
 * tabrl/returns.h.  Both lists are copied and sorted, then walked together:
 * between two consecutive atom values the CDFs are constant (W1, Cramer,
 * KS), and between two consecutive cumulative masses the quantile
 * functions are (W2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/returns.h"

static int by_value(const void *x, const void *y)
{
  double a = ((const tabrl_atom *)x)->value, b = ((const tabrl_atom *)y)->value;
  return (a > b) - (a < b);
}

/* A sorted copy and its total mass; NULL (message set) on OOM or empty. */
static tabrl_atom *sorted(const tabrl_atom *a, size_t n, double *total)
{
  tabrl_atom *c = n ? malloc(n * sizeof *c) : NULL;
  if (!c) {
    tabrl_error(n ? TABRL_ENOMEM : TABRL_EINVAL, n ? "out of memory" : "an empty distribution");
    return NULL;
  }
  memcpy(c, a, n * sizeof *c);
  qsort(c, n, sizeof *c, by_value);
  *total = 0;
  for (size_t i = 0; i < n; i++) *total += c[i].prob;
  return c;
}

enum { W1, CRAMER, KS };

/* The CDF-based distances: integral |F - G|^p over x (p = 1, 2) or sup. */
static double cdf_distance(const tabrl_atom *a0, size_t na, const tabrl_atom *b0, size_t nb,
                           int kind)
{
  double ta, tb, F = 0, G = 0, sum = 0, x = 0;
  tabrl_atom *a = sorted(a0, na, &ta), *b = a ? sorted(b0, nb, &tb) : NULL;
  size_t i = 0, j = 0;
  if (!a || !b) {
    free(a);
    return NAN;
  }
  while (i < na || j < nb) {
    double next = j >= nb || (i < na && a[i].value <= b[j].value) ? a[i].value : b[j].value;
    if (i + j > 0) { /* F and G hold on [x, next) */
      double d = fabs(F - G);
      sum = kind == KS ? fmax(sum, d) : sum + (kind == W1 ? d : d * d) * (next - x);
    }
    while (i < na && a[i].value == next) F += a[i++].prob / ta;
    while (j < nb && b[j].value == next) G += b[j++].prob / tb;
    x = next;
  }
  free(a);
  free(b);
  return kind == CRAMER ? sqrt(sum) : sum;
}

double tabrl_dist_w1(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb)
{
  return cdf_distance(a, na, b, nb, W1);
}

double tabrl_dist_cramer(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb)
{
  return cdf_distance(a, na, b, nb, CRAMER);
}

double tabrl_dist_ks(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb)
{
  return cdf_distance(a, na, b, nb, KS);
}

double tabrl_dist_w2(const tabrl_atom *a0, size_t na, const tabrl_atom *b0, size_t nb)
{
  double ta, tb, u = 0, sum = 0, ua = 0, ub = 0;
  tabrl_atom *a = sorted(a0, na, &ta), *b = a ? sorted(b0, nb, &tb) : NULL;
  size_t i = 0, j = 0;
  if (!a || !b) {
    free(a);
    return NAN;
  }
  /* ua, ub: the cumulative mass up to and including atoms i, j; on (u,
   * min(ua, ub)] the quantiles are a[i] and b[j]. */
  ua = a[0].prob / ta, ub = b[0].prob / tb;
  while (i < na && j < nb) {
    double step = fmin(ua, ub) - u, d = a[i].value - b[j].value;
    if (step > 0) sum += d * d * step, u += step;
    if (ua <= ub) {
      if (++i < na) ua += a[i].prob / ta;
    } else if (++j < nb) {
      ub += b[j].prob / tb;
    }
  }
  free(a);
  free(b);
  return sqrt(sum);
}
