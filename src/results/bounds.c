/* Regret bounds with their papers' constants; see tabrl/results.h.
 *
 * One table, one row per algorithm type: what a figure may draw beside a
 * measured curve.  A row whose paper states only an order of growth has no
 * function: drawing O(.) with an invented constant would look like theory
 * and be none. */
#include <math.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/results.h"

/* Azar, Osband and Munos (2017), "Minimax regret bounds for reinforcement
 * learning", ICML, Theorem 1 (UCBVI-CH, the Chernoff-Hoeffding bonus of
 * Algorithm 3): with probability at least 1 - delta,
 *
 *   Regret(K) <= 20 H L sqrt(S A T) + 250 H^2 S^2 A L^2,
 *   L = ln(5 S A T / delta),  T = K H.
 *
 * L is the algorithm's own (algos/exploration/ucbvi.c computes it once
 * from the run's episodes), so it is taken at the run's T; the sqrt(S A T)
 * term is evaluated at the K of the checkpoint, T = K H.  The constants
 * 20 and 250 are those algos/exploration/ucbvi.c states: the searchable
 * copies of arXiv:1703.05449 gave only the abstract, so they are not yet
 * checked against the paper's text. */
static double ucbvi_ch(const tabrl_bound_problem *p, double K)
{
  double L = log(5.0 * p->S * p->A * p->episodes * p->H / p->delta);
  double T = K * p->H;
  return 20.0 * p->H * L * sqrt(p->S * p->A * T) + 250.0 * p->H * p->H * p->S * p->S * p->A * L * L;
}

typedef struct {
  const char *algo, *title;
  double (*value)(const tabrl_bound_problem *, double K);
  const char *why_none; /* no function: why */
} bound_row;

static const bound_row bounds[] = {
    {"ucbvi", "UCBVI-CH bound (Thm 1)", ucbvi_ch, NULL},
    {"psrl", NULL, NULL,
     "psrl: Osband, Russo and Van Roy (2013), Theorem 1 states only E[regret] = "
     "O(tau S sqrt(A T log(S A T))), no constants: no bound drawn"},
};
#define BOUNDS (sizeof bounds / sizeof *bounds)

int tabrl_regret_bound(const char *algo, const tabrl_bound_problem *p, double K, double *value,
                       const char **title)
{
  for (size_t i = 0; i < BOUNDS; i++) {
    if (strcmp(bounds[i].algo, algo)) continue;
    if (!bounds[i].value) return tabrl_error(TABRL_EUNSUPPORTED, "%s", bounds[i].why_none);
    if (!(p->S >= 1 && p->A >= 1 && p->H >= 1 && p->episodes >= 1 && p->delta > 0 && p->delta < 1 &&
          K >= 0 && isfinite(K)))
      return tabrl_error(TABRL_EINVAL,
                         "bound: S, A, H, episodes >= 1, K >= 0 and delta in (0,1) needed");
    *value = bounds[i].value(p, K);
    *title = bounds[i].title;
    return TABRL_OK;
  }
  return tabrl_error(TABRL_ENOTFOUND,
                     "%s documents no regret bound; algorithms with one: ucbvi (UCBVI-CH, "
                     "Azar et al. 2017, Thm 1); psrl's (Osband et al. 2013) has no constants",
                     algo);
}
