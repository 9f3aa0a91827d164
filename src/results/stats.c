/* Summary statistics over seeds; see tabrl/results.h. */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include "tabrl/error.h"
#include "tabrl/results.h"

int tabrl_stats_summary(const double *x, size_t n, tabrl_summary *out)
{
  if (n == 0) return tabrl_error(TABRL_EINVAL, "no numbers to summarize");
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return tabrl_error(TABRL_EINVAL, "number %zu of %zu is not finite (%g)", i + 1, n, x[i]);
  /* GSL's running mean returns a constant sample's value exactly (so its
   * std is exactly 0), which a plain sum / n does not. */
  double mean = gsl_stats_mean(x, 1, n);
  out->n = n;
  out->mean = mean;
  out->std = 0;
  out->lo = out->hi = mean;
  if (n < 2) return TABRL_OK;
  out->std = gsl_stats_sd_m(x, 1, n, mean);
  double t = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1));
  if (!isfinite(t))
    return tabrl_error(TABRL_ENUMERIC, "t quantile for %zu degrees of freedom", n - 1);
  double half_width = t * out->std / sqrt((double)n);
  out->lo = mean - half_width;
  out->hi = mean + half_width;
  return TABRL_OK;
}
