/* The evaluated policy and the support of the distributional algorithms;
 * see dp.h. */
#include <math.h>
#include <stdlib.h>
#include "distributional/dp.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"

int distrib_evaluated_policy(const tabrl_mdp *m, int which, tabrl_policy *pi, const char *who)
{
  int status = 0;
  if (which == DISTRIB_OPTIMAL) {
    size_t n = m->horizon > 0 ? (size_t)(m->horizon + 1) * (size_t)m->S : (size_t)m->S;
    double *V = malloc(n * sizeof *V);
    if (!V) return tabrl_error(TABRL_ENOMEM, "%s: out of memory", who);
    status = m->horizon > 0 ? tabrl_oracle_backward(m, V, NULL, pi)
                            : tabrl_oracle_pi(m, 10000, pi, V, NULL, NULL);
    free(V);
    return status;
  }
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      int n = 0;
      for (int a = 0; a < m->A; a++) n += tabrl_mdp_valid(m, h, s, a);
      for (int a = 0; a < m->A; a++) row[a] = tabrl_mdp_valid(m, h, s, a) ? 1.0 / n : 0.0;
    }
  return 0;
}

int distrib_support(const tabrl_mdp *m, const tabrl_values *params, double *vmin, double *vmax,
                    const char *who)
{
  double lo = 0, hi = 0, scale = m->horizon > 0 ? m->horizon : 1 / (1 - m->gamma);
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s: the model has reward noise; the distributional DP uses the model's "
                       "reward values and would leave the noise out",
                       who);
  for (size_t k = 0; k < m->nnz; k++) {
    lo = fmin(lo, m->reward[k]);
    hi = fmax(hi, m->reward[k]);
  }
  *vmin = tabrl_values_has(params, "vmin") ? tabrl_values_double(params, "vmin") : scale * lo;
  *vmax = tabrl_values_has(params, "vmax") ? tabrl_values_double(params, "vmax") : scale * hi;
  if (!tabrl_values_has(params, "vmin") && !tabrl_values_has(params, "vmax") && *vmax <= *vmin)
    *vmax = *vmin + 1; /* every reward 0: any support holding 0 */
  if (!(*vmax > *vmin))
    return tabrl_error(TABRL_EINVAL, "%s: the support needs vmax > vmin (vmin = %g, vmax = %g)",
                       who, *vmin, *vmax);
  return 0;
}
