/* algos/policy/rebel.h: the exact least-squares step of rebel (private;
 * tests/test_klpg.c checks it against the mirror-descent step). */
#ifndef TABRL_POLICY_REBEL_H
#define TABRL_POLICY_REBEL_H

#include <stddef.h>

/* Scratch of one regression over A responses, allocated once. */
typedef struct {
  int A;
  double *L, *b, *sub, *rhs; /* A*A, A, A*A, A */
  int *comp, *members;       /* A, A */
} rebel_work;

int tabrl_rebel_work_init(rebel_work *w, int A);
void tabrl_rebel_work_free(rebel_work *w);

/* delta (A values) = the minimum-norm minimiser of
 *   sum_i weight_i (delta[y_i] - delta[y2_i] - eta dr_i)^2
 * over n pairs (weight NULL: all 1): zero-sum on each connected component
 * of the compared responses, 0 outside every pair. */
int tabrl_rebel_regress(rebel_work *w, size_t n, const int *y, const int *y2, const double *dr,
                        const double *weight, double eta, double *delta);

#endif
