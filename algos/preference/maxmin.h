/* Private to maxmin-rlhf (algos/preference/maxmin_rlhf.c): the EM fit of a
 * mixture of Bradley-Terry rewards and the exact max-min policy, so that
 * the tests can check them. */
#ifndef TABRL_ALGOS_MAXMIN_H
#define TABRL_ALGOS_MAXMIN_H

#include "tabrl/algo.h"

/* One EM iteration of a mixture of k Bradley-Terry models on the
 * comparisons: E-step (resp[i k + g] = posterior of group g for pair i),
 * then share = the mean responsibilities and, for each group, m_steps
 * gradient steps of size 1/(1/2 + ridge) on the responsibility-weighted
 * mean log-likelihood minus ridge/2 |R_g|^2 (a generalised M-step: each
 * step raises the penalised objective).  R is k*S*A rewards.  Returns the
 * penalised mean log-likelihood of the mixture before the step. */
double maxmin_em_step(const tabrl_pref_data *d, int S, int A, int k, double ridge, int m_steps,
                      double *R, double *share, double *resp);

/* The policy maximising min_g J_g(pi) - beta sum_x mu_x KL(pi(.|x) ||
 * ref(.|x)), J_g(pi) = sum_x mu_x sum_a pi(a|x) R_g(x, a), by exponentiated
 * gradient on the dual min_w sum_x mu_x beta log sum_a ref e^{(w.R)(x,a) /
 * beta} over group weights w (k, in: start, out: final); pi = the Gibbs
 * policy of w (S*A).  Stops when the duality gap sum_g w_g J_g - min_g J_g
 * <= tol or after max_iter steps; returns the gap. */
double maxmin_solve(int S, int A, int k, const double *R, const double *mu, const double *ref,
                    double beta, double tol, long max_iter, double *w, double *pi);

#endif
