/* The two projections of distributional DP and TD onto a finite
 * parametrisation (private to algos/distributional).
 *
 * Categorical (Cramer) projection, Rowland, Bellemare, Dabney, Munos and
 * Teh 2018, "An Analysis of Categorical Distributional Reinforcement
 * Learning" (AISTATS), section 3 (the projection of Bellemare et al. 2017's
 * C51): onto m >= 2 equally spaced points z_j = vmin + j dz, dz = (vmax -
 * vmin) / (m - 1), an atom at x in [z_j, z_{j+1}] gives (z_{j+1} - x) / dz
 * of its mass to z_j and the rest to z_{j+1}; atoms below vmin or above
 * vmax go to the end point.  Mass is preserved and, for atoms inside
 * [vmin, vmax], so is the mean (the split is the linear interpolation).
 * For distributions on [vmin, vmax] it is the orthogonal projection in the
 * Cramer (l2 between CDFs) geometry (Rowland et al. 2018, Prop. 1), and
 * the Cramer^2 distance it moves a distribution is at most dz (each cell's
 * CDF error is at most its mass p_j on a width dz: sum dz p_j^2 <= dz).
 *
 * Quantile (W1) projection, Dabney, Rowland, Bellemare and Munos 2018,
 * "Distributional Reinforcement Learning with Quantile Regression" (AAAI),
 * Lemma 2: the m equally weighted atoms closest in W1 are the quantiles
 * F^-1(tau_i) at the midpoints tau_i = (2i - 1) / (2m), i = 1..m.  For a
 * distribution on an interval of length L it moves W1 by at most L / (2m)
 * (within each band of levels of width 1/m, |F^-1(u) - F^-1(tau_i)| is at
 * most the band's quantile spread, on half the band each side). */
#ifndef DISTRIBUTIONAL_PROJECTION_H
#define DISTRIBUTIONAL_PROJECTION_H

#include <stddef.h>
#include "tabrl/returns.h"

/* Adds w times the categorical projection of the atom (x, 1) onto the
 * support (vmin, dz, m) to p (m masses). */
static inline void distrib_categorical_add(double *p, int m, double vmin, double dz, double x,
                                           double w)
{
  double u = (x - vmin) / dz;
  if (!(u > 0)) { /* also NaN: to the lower end, where the caller will see it */
    p[0] += w;
    return;
  }
  if (u >= m - 1) {
    p[m - 1] += w;
    return;
  }
  int j = (int)u;
  double frac = u - j;
  p[j] += w * (1 - frac);
  p[j + 1] += w * frac;
}

/* p (m masses, overwritten) = the categorical projection of the n atoms
 * onto z_j = vmin + j (vmax - vmin) / (m - 1); needs m >= 2, vmax > vmin. */
void distrib_project_categorical(const tabrl_atom *atoms, size_t n, double vmin, double vmax, int m,
                                 double *p);

/* theta (m values, increasing) = the quantile projection of the n atoms
 * (any order, positive total mass; sorted in place): theta_i =
 * F^-1((2i + 1) / (2m)), i = 0..m-1, F the CDF of the atoms normalised by
 * their total mass. */
void distrib_project_quantile(tabrl_atom *atoms, size_t n, int m, double *theta);

/* Sorts atoms by value (qsort). */
void distrib_sort_atoms(tabrl_atom *atoms, size_t n);

#endif
