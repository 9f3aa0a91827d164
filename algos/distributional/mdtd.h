/* The joint-return particles of mdtd and the squared MMD of its kernel,
 * for tests and diagnostics. */
#ifndef TABRL_ALGOS_MDTD_H
#define TABRL_ALGOS_MDTD_H

#include <stddef.h>

/* The m particles (m d values, particle i at i d) of (h, s) of an mdtd
 * state (tabrl_algo.state); *m and *d receive their number and dimension. */
const double *mdtd_particles(const void *state, int h, int s, int *m, int *d);

/* The squared MMD, with mdtd's kernel, between the weighted point sets
 * (x, wx) of nx points and (y, wy) of ny points in R^d (weights summing to
 * 1; NULL weights mean 1/n each): the V-statistic
 * sum wx wx' k + sum wy wy' k - 2 sum wx wy k, >= 0 up to rounding. */
double mdtd_mmd2(const double *x, const double *wx, size_t nx, const double *y, const double *wy,
                 size_t ny, int d);

#endif
