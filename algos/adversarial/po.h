/* algos/adversarial/po.h: the per-state steps shared by the policy
 * optimization learners for adversarial MDPs (oppo, bobw-po), private to
 * the algorithm families and exposed to the tests.
 *
 * Each works on one row pi(. | h, s) restricted to the valid actions of
 * (h, s) (list[0..n-1]); entries outside the list are left at 0. */
#ifndef TABRL_ALGOS_ADVERSARIAL_PO_H
#define TABRL_ALGOS_ADVERSARIAL_PO_H

#include <math.h>
#include <stddef.h>
#include "tabrl/mdp.h"
#include "tabrl/policy.h"

enum { TABRL_PO_TSALLIS, TABRL_PO_LOG_BARRIER };

/* The multiplicative (KL mirror descent) step pi(a) <- pi(a) exp(alpha
 * q(a)) / Z in place, computed from the logits w(a) += alpha q(a) so that
 * no product of many exponentials underflows: logits (A entries) is the
 * running sum, pi the softmax of the valid entries. */
void tabrl_po_multiplicative(double *pi, double *logits, const double *q, const int *list, int n,
                             double alpha);

/* Copies the H-stage table pi[(h*S + s)*A + a] into out after checking
 * its shape (name is the type's, for the message). */
int tabrl_po_copy_policy(const double *pi, int S, int A, int H, tabrl_policy *out,
                         const char *name);

/* The FTRL step over the simplex of the valid actions:
 *
 *   pi = argmin_p <p, L> + psi(p) / eta,
 *   psi = -2 sum_a sqrt(p(a))  (Tsallis-1/2)  or  -sum_a ln p(a)  (log-barrier),
 *
 * L the cumulative loss (A entries).  The first-order conditions give
 * p(a) = (eta (L(a) + lambda))^-2 (Tsallis) or (eta (L(a) + lambda))^-1
 * (log-barrier) with the normaliser lambda > -min L the root of sum_a p(a)
 * = 1, a decreasing convex function of lambda: Newton from the left of the
 * root (where it converges monotonically), safeguarded by bisection.
 * Returns the number of iterations, or -1 if L is not finite. */
int tabrl_po_ftrl(double *pi, const double *L, const int *list, int n, double eta, int regularizer);

/* The occupancy q[h*S + s] = P(s_h = s) of the H-stage policy pi
 * (pi[(h*S + s)*A + a]) on m's kernel and mu0, forward over the stages
 * (m's rewards are not read). */
void tabrl_po_occupancy(const tabrl_mdp *m, const double *pi, int H, double *q);

/* The importance-weighted estimate of the loss-to-go of one trajectory
 * (Dann, Wei, Zimmert 2023, eq. of Q-hat): for the visited (h, s_h, a_h),
 *
 *   Q-hat_h(s_h, a_h) = L_h / (q_h(s_h) pi_h(a_h | s_h)),  L_h = sum_{h' >= h} loss_h',
 *
 * added into Qhat[(h*S + s)*A + a] (every other entry of the episode's
 * estimate is 0).  states, actions, loss: the H steps of the trajectory.
 * Its expectation over the trajectory is Q^pi_h(s, a) of the loss for
 * every (h, s, a) with q_h(s) pi_h(a|s) > 0. */
void tabrl_po_estimate(double *Qhat, const int *states, const int *actions, const double *loss,
                       int H, int S, int A, const double *q, const double *pi);

/* Unknown transitions.  The Bernstein confidence width of one next state
 * (Jin, Jin, Luo, Sra, Yu 2020, "Learning Adversarial MDPs with Bandit
 * Feedback and Unknown Transition", ICML, their confidence set, as
 * recalled): with n visits of (s, a) and the empirical P-hat(s'),
 *
 *   eps(s') = 2 sqrt(P-hat(s') iota / max(1, n - 1)) + 14 iota / (3 max(1, n - 1)). */
double tabrl_po_width(double p_hat, long n, double iota);

/* max <p, f> over the distributions p with |p(x) - p_hat(x)| <= eps(x)
 * (S entries; p_hat a distribution), the greedy of Jin et al. 2020: from
 * p_hat, move mass from the lowest f (down to p_hat - eps, or 0) to the
 * highest (up to p_hat + eps, or 1).  order: the S indices by f
 * decreasing (tabrl_po_order). */
double tabrl_po_inner_max(const double *p_hat, const double *eps, const double *f, const int *order,
                          int S);

/* order[0..S-1] = the indices of f by decreasing value (ties by index). */
void tabrl_po_order(const double *f, int S, int *order);

#endif
