/* The preference links; see tabrl/feedback.h. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "tabrl/feedback.h"

int tabrl_link_from_name(const char *name)
{
  static const char *const names[] = {"logistic", "probit", "linear", "deterministic"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

double tabrl_link_prob(tabrl_link link, double x)
{
  switch (link) {
  case TABRL_LINK_PROBIT:
    return gsl_cdf_ugaussian_P(x);
  case TABRL_LINK_LINEAR:
    return fmin(1.0, fmax(0.0, 0.5 * (1.0 + x)));
  case TABRL_LINK_DETERMINISTIC:
    return x > 0 ? 1.0 : x < 0 ? 0.0 : 0.5;
  case TABRL_LINK_LOGISTIC:
  default:
    /* Written so that exp never overflows. */
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
  }
}
