/* The categorical and quantile projections; see projection.h. */
#include <stdlib.h>
#include "distributional/projection.h"

void distrib_project_categorical(const tabrl_atom *atoms, size_t n, double vmin, double vmax, int m,
                                 double *p)
{
  double dz = (vmax - vmin) / (m - 1);
  for (int j = 0; j < m; j++) p[j] = 0;
  for (size_t i = 0; i < n; i++)
    distrib_categorical_add(p, m, vmin, dz, atoms[i].value, atoms[i].prob);
}

static int by_value(const void *x, const void *y)
{
  double a = ((const tabrl_atom *)x)->value, b = ((const tabrl_atom *)y)->value;
  return (a > b) - (a < b);
}

void distrib_sort_atoms(tabrl_atom *atoms, size_t n)
{
  qsort(atoms, n, sizeof *atoms, by_value);
}

void distrib_project_quantile(tabrl_atom *atoms, size_t n, int m, double *theta)
{
  double total = 0, cum = 0;
  size_t k = 0;
  distrib_sort_atoms(atoms, n);
  for (size_t i = 0; i < n; i++) total += atoms[i].prob;
  /* The levels increase, so one pass: the smallest atom whose cumulative
   * mass reaches tau_i total.  The relative slack keeps rounding in the
   * cumulative sums from stepping past an atom that holds the level. */
  for (int i = 0; i < m; i++) {
    double level = (2.0 * i + 1) / (2.0 * m) * total * (1 - 1e-12);
    while (k + 1 < n && cum + atoms[k].prob < level) cum += atoms[k++].prob;
    theta[i] = atoms[k].value;
  }
}
