/* tabrl/game.h: the symmetric preference game of Nash learning from
 * general preferences (Munos et al. 2024, "Nash Learning from Human
 * Feedback", Section 3; Zhou, Fazel and Du 2025, "Extragradient Preference
 * Optimization (EGPO)", Section 2).
 *
 * P is an A x A preference matrix (P[i A + j] = probability that response i
 * beats response j, P + P^T = 1); ref a reference policy (A probabilities;
 * NULL = uniform); beta >= 0.  The KL-regularised game is
 *
 *   V(p, q) = p^T P q - beta KL(p || ref) + beta KL(q || ref),
 *
 * p maximises, q minimises; beta = 0 is the plain game, whose maximin
 * strategy is the von Neumann winner.  The game is symmetric, so one policy
 * pi describes a symmetric profile (pi, pi) and its exploitability is the
 * duality gap
 *
 *   gap(pi) = max_p V(p, pi) - min_q V(pi, q)
 *           = 2 [beta log sum_i ref_i exp((P pi)_i / beta) + beta KL(pi || ref)] - 1
 *
 * (beta = 0: 2 max_i (P pi)_i - 1), because P^T pi = 1 - P pi.  It is >= 0
 * and 0 exactly at the (regularised) Nash equilibrium. */
#ifndef TABRL_GAME_H
#define TABRL_GAME_H

#include "tabrl/mdp.h"
#include "tabrl/policy.h"

#pragma GCC visibility push(default)

/* KL(p || ref) with 0 log 0 = 0 (ref NULL: uniform over A). */
double tabrl_game_kl(const double *p, const double *ref, int A);

/* V(p, q) above. */
double tabrl_game_value(const double *P, int A, const double *ref, double beta, const double *p,
                        const double *q);

/* The maximiser's best response to q: p proportional to ref exp(P q / beta),
 * or for beta = 0 the pure response with the largest (P q)_i (lowest index
 * on ties).  By symmetry the minimiser's best response to p is the same
 * function of p. */
void tabrl_game_best_response(const double *P, int A, const double *ref, double beta,
                              const double *q, double *p);

/* gap(pi) above, in closed form. */
double tabrl_game_gap(const double *P, int A, const double *ref, double beta, const double *pi);

/* The von Neumann winner p (A values): the maximin strategy of the game
 * with payoff P - 1/2, so that (P p)_i <= 1/2 for every i.  Solved as a
 * linear program by the simplex method with Bland's rule and verified:
 * TABRL_EINVAL if the verified gap exceeds 1e-12 (it never should). */
int tabrl_game_winner(const double *P, int A, double *p);

/* The Nash equilibrium pi of the regularised game (beta > 0): the fixed
 * point pi = softmax(log ref + P pi / beta), found by entropy-regularised
 * extragradient steps until gap(pi) <= 1e-12; beta = 0: the winner.
 * TABRL_EINVAL when it does not converge in 10^7 steps (beta tiny). */
int tabrl_game_equilibrium(const double *P, int A, const double *ref, double beta, double *pi);

/* The runner's metrics of a policy on a model with a preference matrix:
 * the win rate of pi against the von Neumann winner p* (pi^T P p* per
 * context, averaged by mu0) and the duality gap in the game with the
 * model's game_beta and reference (averaged by mu0); stage 0 of pi. */
int tabrl_game_metrics(const tabrl_mdp *m, const tabrl_policy *pi, double *win_rate, double *gap);

#pragma GCC visibility pop

#endif
