/* Maximising a concave function of the state-action occupancy measure over
 * the flow polytope (oracle/flow_barrier.c): the exact optimum of the
 * general-utility objectives (entropy).
 *
 * The variables x are the occupancies of the (h, s, a) with a valid at a
 * state s that some policy reaches at stage h, normalised:
 *   episodic:   x_h(s,a) = P(s_h = s, a_h = a), each stage summing to 1;
 *   discounted: x(s,a) = (1 - gamma) sum_t gamma^t P(s_t = s, a_t = a).
 * Every Markov (stage-dependent, or stationary when discounted) policy has
 * one such x and every x of the polytope is one policy's, pi(a|h,s) =
 * x_h(s,a) / sum_b x_h(s,b) (Puterman 1994, section 6.9), so a concave F(x)
 * is maximised over policies by a convex program. */
#ifndef TABRL_ORACLE_FLOW_BARRIER_H
#define TABRL_ORACLE_FLOW_BARRIER_H

#include <gsl/gsl_matrix.h>
#include "tabrl/mdp.h"
#include "tabrl/policy.h"

/* The variables of the program: n of them, variable i at (h[i], s[i], a[i]). */
typedef struct {
  int n, stages; /* stages: H episodic, 1 discounted */
  int *h, *s, *a;
} tabrl_flow_vars;

/* A concave F and its derivatives at x > 0 (n values). */
typedef struct {
  double (*value)(void *ctx, const tabrl_flow_vars *v, const double *x);
  void (*gradient)(void *ctx, const tabrl_flow_vars *v, const double *x, double *g);
  /* K += c (-Hessian of F at x), K n x n (positive semidefinite). */
  void (*curvature)(void *ctx, const tabrl_flow_vars *v, const double *x, double c, gsl_matrix *K);
  void *ctx;
} tabrl_flow_utility;

/* Largest n + (number of flow constraints) solved: the Newton systems are
 * dense LU solves of that size. */
#define TABRL_FLOW_MAX_SIZE 1500

/* max_x F(x) over the flow polytope of m by a primal log-barrier method
 * (Boyd and Vandenberghe 2004, Convex Optimization, section 11.3:
 * equality-constrained Newton centering, t multiplied by 8 from 1), from
 * the uniform policy's occupancy.  Stops when the barrier's duality gap
 * n / t (section 11.2.2: F* - F(x*(t)) <= n / t at the central point) is
 * below 1e-10 and writes it to *gap; pi (shaped for m) receives the policy
 * of the last iterate, uniform over the valid actions where no policy
 * reaches.  TABRL_EUNSUPPORTED beyond TABRL_FLOW_MAX_SIZE, TABRL_ENUMERIC
 * when the Newton steps fail. */
int tabrl_flow_maximize(const tabrl_mdp *m, const tabrl_flow_utility *F, tabrl_policy *pi,
                        double *gap);

#endif
