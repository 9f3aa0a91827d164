/* Private to the preference family: the Bradley-Terry (logistic GLM)
 * maximum-likelihood estimate of a linear score from pairwise comparisons.
 *
 * Comparison i has a feature difference x_i = phi(first) - phi(second)
 * (d values: for the tabular learners, the (s, a) visit counts of the two
 * compared segments) and a bit y_i = 1 when the first was preferred.  The
 * model is P(y_i = 1) = sigma(theta^T x_i), sigma the logistic function
 * (Bradley and Terry 1952; the GLM of Saha, Pacchiano and Lee, "Dueling
 * RL", Section 3).  The estimate minimises the ridge-regularised negative
 * log-likelihood
 *
 *   L(theta) = - sum_i [ y_i log sigma(z_i) + (1 - y_i) log sigma(-z_i) ]
 *              + (ridge / 2) |theta|^2,          z_i = theta^T x_i,
 *
 * with GSL's vector BFGS (gsl_multimin_fdfminimizer_vector_bfgs2), warm
 * started from the previous estimate.  The ridge term is there because the
 * likelihood alone has no minimiser: a shift of every per-(s, a) reward by
 * one constant leaves every difference of H-step returns unchanged (the
 * all-ones direction of the counts is never observed), and with separable
 * data (deterministic links) the likelihood decreases forever along the
 * separating direction.  The ridge picks the smallest-norm estimate, which
 * changes no comparison of two trajectories of equal length.
 *
 * Alongside, V = ridge I + sum_i x_i x_i^T is kept inverted by
 * Sherman-Morrison updates (O(d^2) per comparison): ||x||_{V^-1} is the
 * width of the GLM confidence set in the direction x (the elliptical
 * confidence sets of Dueling RL, Section 4, and of the P2R interface). */
#ifndef TABRL_ALGOS_BT_H
#define TABRL_ALGOS_BT_H

#include <math.h>
#include <stddef.h>

typedef struct {
  int d;
  double ridge;
  size_t n, cap;
  double *x;        /* n*d feature differences */
  unsigned char *y; /* n bits: 1 when the first was preferred */
  double *theta;    /* d: the last fit (0 before any) */
  double *Vinv;     /* d*d: (ridge I + sum x x^T)^{-1} */
  double *scratch;  /* d */
  size_t fitted;    /* comparisons the last fit used */
} tabrl_bt;

/* Whether a learner should refit now: the comparisons grew by 1/16 since
 * the last fit (always while there are fewer than 16).  So a run of n
 * comparisons costs O(n log n) fits' worth of passes instead of O(n^2),
 * the lazy schedule of rarely-switching GLM bandits; between refits theta
 * lags by at most 6% of the data, while V^-1 (the widths) is always
 * current. */
static inline int tabrl_bt_stale(const tabrl_bt *bt)
{
  return bt->n > bt->fitted && (bt->n - bt->fitted) * 16 >= (bt->fitted > 16 ? bt->fitted : 16);
}

/* d >= 1 features, ridge > 0.  The state may be zero-filled before. */
int tabrl_bt_init(tabrl_bt *bt, int d, double ridge);
void tabrl_bt_free(tabrl_bt *bt);

/* Records one comparison (x copied) and updates V^{-1}. */
int tabrl_bt_add(tabrl_bt *bt, const double *x, int prefer_first);

/* Refits theta on every comparison so far, at most max_iter BFGS steps
 * from the current theta, until |gradient| <= 1e-6 (1 + n);
 * TABRL_ENUMERIC if the minimiser fails to start.  A fit that stops at
 * max_iter keeps its last iterate (the objective is strongly convex). */
int tabrl_bt_fit(tabrl_bt *bt, int max_iter);

/* theta^T x and ||x||_{V^-1} = sqrt(x^T V^{-1} x). */
double tabrl_bt_score(const tabrl_bt *bt, const double *x);
double tabrl_bt_width(const tabrl_bt *bt, const double *x);

/* ||e_j||_{V^-1} = sqrt(V^{-1}_jj): the width of coordinate j. */
static inline double tabrl_bt_coord_width(const tabrl_bt *bt, int j)
{
  return sqrt(bt->Vinv[(size_t)j * (size_t)bt->d + (size_t)j]);
}

#endif
