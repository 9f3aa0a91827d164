/* algos/risk/entropic_optimism.h: the log-space arithmetic of the
 * risk-sensitive optimism of Fei, Yang, Chen, Wang, Xie (2020), shared by
 * rsvi and rsq (private to algos/risk).
 *
 * Both algorithms keep an estimate w of E exp(b X) (X = r + V_{h+1}(s')),
 * add (b > 0) or subtract (b < 0) a bonus of the form
 *
 *   bonus = c |exp(b H') - 1| sqrt(width / n),   H' = H - h,
 *
 * clip at exp(b H') (min for b > 0, max for b < 0: both say Q <= H', the
 * largest return of the H' remaining steps with rewards in [0, 1]) and set
 * Q = (1/b) log G.  Written naively, exp(b H') overflows for b H' > 709 and
 * underflows to 0 for b H' < -745 (then log 0 = -inf and Q = +inf or NaN).
 * Here nothing is exponentiated that can be large: w is carried as its
 * certainty equivalent q = (1/b) log w (a log-sum-exp shifted by its
 * largest term), the bonus as log(bonus), and the optimistic value is
 *
 *   b > 0:  Q = min(H', q + softplus(t) / b),
 *   b < 0:  Q = H' if t >= 0 (the bonus reaches w: G is the clip), else
 *           min(H', q + log(1 - e^t) / b),
 *   t = log(bonus) - b q = log(bonus / w),
 *
 * which is (1/b) log G exactly.  The only large numbers formed are b H'
 * and b q, |.| <= |b| H, finite for |b| H < 1e300 (check() refuses
 * beyond: not a practical limit); every exp() has a non-positive argument
 * (softplus is split at 0), so no step overflows and none returns NaN.  The
 * relative rounding of b q is 1e-16, an absolute 1e-16 |b| H in the log,
 * i.e. 1e-16 H in Q after the division by b: Q keeps full accuracy for
 * every b != 0. */
#ifndef TABRL_RISK_ENTROPIC_OPTIMISM_H
#define TABRL_RISK_ENTROPIC_OPTIMISM_H

#include <math.h>
#include <stddef.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_objective_type tabrl_objective_entropic;

/* Above this |b| H the algorithms refuse (see the header comment). */
#define TABRL_ENTROPIC_MAX_BH 1e300

/* log |exp(x) - 1|, for any finite x (-inf at x = 0). */
static inline double tabrl_log_abs_expm1(double x)
{
  return x > 0 ? x + log(-expm1(-x)) : log(-expm1(x));
}

/* (1/b) log( sum_i w_i exp(b x_i) / sum_i w_i ), weights w_i >= 0 with a
 * positive sum, b != 0: shifted by the x* maximising b x, so no exponent is
 * positive, and written with log1p/expm1 for accuracy at small |b|. */
static inline double tabrl_entropic_ce(double b, size_t n, const double *w, const double *x)
{
  double W = 0, star = 0, t = 0;
  int have = 0;
  for (size_t i = 0; i < n; i++) {
    if (w[i] <= 0) continue;
    W += w[i];
    if (!have || b * x[i] > b * star) star = x[i];
    have = 1;
  }
  for (size_t i = 0; i < n; i++)
    if (w[i] > 0) t += w[i] * expm1(b * (x[i] - star));
  return star + log1p(t / W) / b;
}

/* (1/b) log G from q = (1/b) log w, log_bonus and the clip H' (cap). */
static inline double tabrl_entropic_optimistic(double b, double q, double log_bonus, double cap)
{
  double t = log_bonus - b * q, up;
  if (b > 0)
    up = q + (t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))) / b;
  else
    up = t >= 0 ? cap : q + log(-expm1(t)) / b;
  return up < cap ? up : cap;
}

/* The check() of both algorithms: b = 0 cannot be run (everything divides
 * by b), nor |b| H beyond the documented range.  Another objective is left
 * to the generic objective check, which names the algorithms that can. */
static inline int tabrl_entropic_check(const char *who, const tabrl_problem *problem)
{
  const tabrl_objective *o = problem->objective;
  if (!o || o->type != &tabrl_objective_entropic) return 0;
  if (o->param == 0)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s cannot run objective %s: it works with exp(b V) and divides by b, so b "
                       "must be nonzero (for the mean use e.g. ucbvi with objective = mean)",
                       who, o->text);
  if (!(fabs(o->param) * problem->horizon < TABRL_ENTROPIC_MAX_BH))
    return tabrl_error(TABRL_EUNSUPPORTED, "%s cannot run objective %s: |b| H = %g exceeds %g", who,
                       o->text, fabs(o->param) * problem->horizon, TABRL_ENTROPIC_MAX_BH);
  return 0;
}

#endif
