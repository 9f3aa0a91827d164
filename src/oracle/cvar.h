/* The CVaR of a finite distribution, exact; private to the library and
 * its tests. */
#ifndef TABRL_ORACLE_CVAR_H
#define TABRL_ORACLE_CVAR_H

#include <stddef.h>

/* One atom of a finite distribution: value with probability prob. */
typedef struct {
  double value;
  double prob;
} tabrl_atom;

/* Lower-tail CVaR_alpha, alpha in (0, 1]: the mean of the worst alpha
 * fraction of the mass (Rockafellar and Uryasev 2002, "Conditional value-at-risk for general
 * loss distributions", the discrete case), splitting the atom at the alpha-quantile.  Sorts atoms
 * by value in place.  Rounding in the masses is absorbed by taking alpha
 * of the total mass, so alpha = 1 is the mean of the atoms. */
double tabrl_cvar_lower(tabrl_atom *atoms, size_t n, double alpha);

#endif
