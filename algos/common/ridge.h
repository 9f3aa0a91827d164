/* algos/common/ridge.h: the ridge-regression kernels of the linear family
 * (private), on GSL BLAS views of plain arrays.
 *
 * An inverse Gram matrix M^-1 = (lambda I + sum x x^T)^-1 is kept as a
 * row-major d x d array whose UPPER triangle is authoritative: it is updated
 * with gsl_blas_dsyr (upper) and read with gsl_blas_dsymv (upper), so the
 * rounding of the two triangles can never disagree.  ridge_full mirrors it
 * when a full matrix is wanted (tests, printing). */
#ifndef TABRL_LINEAR_RIDGE_H
#define TABRL_LINEAR_RIDGE_H

#include <gsl/gsl_blas.h>

/* M^-1 = I / lambda. */
static inline void ridge_reset(double *inverse, int d, double lambda)
{
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) inverse[i * d + j] = i == j ? 1.0 / lambda : 0.0;
}

/* out = M^-1 x. */
static inline void ridge_apply(const double *inverse, const double *x, double *out, int d)
{
  gsl_matrix_const_view M = gsl_matrix_const_view_array(inverse, (size_t)d, (size_t)d);
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, (size_t)d);
  gsl_vector_view ov = gsl_vector_view_array(out, (size_t)d);
  gsl_blas_dsymv(CblasUpper, 1.0, &M.matrix, &xv.vector, 0.0, &ov.vector);
}

/* x^T M^-1 x (>= 0 up to rounding; clamped).  A plain loop over the upper
 * triangle: the planning passes evaluate it for every (h, s, a) with small
 * d, where a BLAS call's set-up costs more than its d^2 / 2 products. */
static inline double ridge_norm2(const double *inverse, const double *x, int d)
{
  double q = 0;
  for (int i = 0; i < d; i++) {
    const double *row = inverse + (size_t)i * (size_t)d;
    double cross = 0;
    for (int j = i + 1; j < d; j++) cross += row[j] * x[j];
    q += x[i] * (row[i] * x[i] + 2 * cross);
  }
  return q > 0 ? q : 0.0;
}

/* M^-1 <- (M + weight x x^T)^-1 by Sherman-Morrison:
 *   M^-1 - weight u u^T / (1 + weight x^T u),  u = M^-1 x.
 * O(d^2); scratch holds d values. */
static inline void ridge_rank_one(double *inverse, const double *x, double weight, double *scratch,
                                  int d)
{
  gsl_matrix_view M = gsl_matrix_view_array(inverse, (size_t)d, (size_t)d);
  gsl_vector_view uv = gsl_vector_view_array(scratch, (size_t)d);
  double xu = 0;
  ridge_apply(inverse, x, scratch, d);
  for (int i = 0; i < d; i++) xu += x[i] * scratch[i];
  gsl_blas_dsyr(CblasUpper, -weight / (1.0 + weight * xu), &uv.vector, &M.matrix);
}

/* The full symmetric matrix from the authoritative upper triangle. */
static inline void ridge_full(const double *inverse, double *full, int d)
{
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) full[i * d + j] = j >= i ? inverse[i * d + j] : inverse[j * d + i];
}

#endif
