/* Growth rates of regret curves; see tabrl/results.h.
 *
 * Only the last decade of checkpoints is fitted: early on, regret is close
 * to linear for every learner (nothing is known yet), and a fit over the
 * whole curve would average that phase into the rate the theory is about. */
#include <math.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/results.h"

tabrl_fit_shape tabrl_fit_shape_parse(const char *name)
{
  if (!strcmp(name, "sqrt")) return TABRL_FIT_SQRT;
  if (!strcmp(name, "linear")) return TABRL_FIT_LINEAR;
  if (!strcmp(name, "log")) return TABRL_FIT_LOG;
  return TABRL_FIT_NONE;
}

static double shape_at(tabrl_fit_shape shape, double K)
{
  switch (shape) {
  case TABRL_FIT_SQRT:
    return sqrt(K);
  case TABRL_FIT_LINEAR:
    return K;
  default:
    return log(K);
  }
}

int tabrl_fit_curve(const double *K, const double *y, size_t n, tabrl_fit_shape shape,
                    tabrl_fit *out)
{
  memset(out, 0, sizeof *out);
  if (shape == TABRL_FIT_NONE) return tabrl_error(TABRL_EINVAL, "no fit shape");
  if (!n) return tabrl_error(TABRL_EINVAL, "no points to fit");
  for (size_t i = 0; i < n; i++)
    if (!isfinite(K[i]) || !isfinite(y[i]) || K[i] <= 0 || (i && K[i] <= K[i - 1]))
      return tabrl_error(TABRL_EINVAL, "point %zu: K must be positive and increasing", i + 1);
  size_t first = n;
  while (first > 0 && K[first - 1] >= K[n - 1] / 10) first--;
  if (n - first < 3) {
    out->widened = 1;
    first = n < 3 ? 0 : n - 3;
  }
  out->first = first;
  out->n = n - first;

  /* c: minimizes sum (y - c f)^2, so c = sum y f / sum f^2. */
  double yf = 0, ff = 0;
  for (size_t i = first; i < n; i++) {
    double f = shape_at(shape, K[i]);
    yf += y[i] * f;
    ff += f * f;
  }
  if (ff == 0) return tabrl_error(TABRL_EINVAL, "the fitted shape is 0 at every point");
  out->c = yf / ff;

  /* The free slope: least squares of ln y on ln K, centred for accuracy. */
  double mx = 0, my = 0;
  size_t m = 0;
  for (size_t i = first; i < n; i++)
    if (y[i] > 0) {
      mx += log(K[i]);
      my += log(y[i]);
      m++;
    }
  out->n_slope = m;
  if (m < 2) return TABRL_OK;
  mx /= (double)m;
  my /= (double)m;
  double sxy = 0, sxx = 0;
  for (size_t i = first; i < n; i++)
    if (y[i] > 0) {
      double dx = log(K[i]) - mx;
      sxy += dx * (log(y[i]) - my);
      sxx += dx * dx;
    }
  out->has_slope = 1;
  out->slope = sxy / sxx;
  return TABRL_OK;
}
