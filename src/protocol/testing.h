/* Private, never installed: accessors that let the tests read an algorithm's
 * internal state (values, bonuses, posteriors), which the algorithm protocol
 * exposes only through policy().  Each is defined beside its algorithm and
 * returns NULL / NAN / -1 (or an error) for an instance of another type.
 *
 * The shared library is built with hidden visibility, so it does not export
 * them; the tests link the library's objects statically (tabrl_internal in
 * the top-level meson.build). */
#ifndef TABRL_TESTING_H
#define TABRL_TESTING_H

#include "tabrl/algo.h"

/* greedy-q: Q_h(s,a). */
double tabrl_greedy_q_value(const tabrl_algo *algo, int h, int s, int a);

/* is-q: Q_h(s,a), the count of skipped non-finite updates, and the
 * gradient dL/dQ of loss 0 is, 1 exp, 2 log at (Q, target t) for b. */
double tabrl_is_q_value(const tabrl_algo *algo, int h, int s, int a);
long tabrl_is_q_events(const tabrl_algo *algo);
double tabrl_is_q_gradient(int loss, double b, double Q, double t);

/* value-iteration: the current values V_k, (H+1)*S episodic, S discounted. */
const double *tabrl_value_iteration_values(const tabrl_algo *algo);

/* ucbvi: Q_h(s,a) and the bonus b_h(s,a) of the last plan. */
double tabrl_ucbvi_value(const tabrl_algo *algo, int h, int s, int a);
double tabrl_ucbvi_bonus(const tabrl_algo *algo, int h, int s, int a);

/* pbrl-mle: theta[s, a], the Bradley-Terry estimate refitted on every
 * comparison so far. */
double tabrl_pbrl_mle_theta(tabrl_algo *algo, int s, int a);

/* optql: Q_h(s,a) and V_h(s) (h <= H). */
double tabrl_optql_value(const tabrl_algo *algo, int h, int s, int a);
double tabrl_optql_state_value(const tabrl_algo *algo, int h, int s);

/* mvp: Q_h(s,a) of the last plan in reward units (the normalised value
 * times H). */
double tabrl_mvp_value(const tabrl_algo *algo, int h, int s, int a);

/* psrl: the posterior of block (h, s, a) (Dirichlet parameters into alpha,
 * S values; mean and variance of the Gaussian on the mean reward), and one
 * posterior draw of P(.|h,s,a) and r(h,s,a) with the sampler planning uses
 * and the algorithm's own stream. */
int tabrl_psrl_posterior(const tabrl_algo *algo, int h, int s, int a, double *alpha,
                         double *reward_mean, double *reward_variance);
int tabrl_psrl_sample(tabrl_algo *algo, int h, int s, int a, double *P, double *reward);

/* ucrl2: the optimistic values V_h(s) of the current plan, (H+1)*S; and the
 * inner maximisation of Jaksch et al. 2010, Figure 2, on a dense p^ (S <= 64
 * values summing to 1): the maximiser into p and its value sum p V. */
const double *tabrl_ucrl2_values(const tabrl_algo *algo);
double tabrl_ucrl2_inner_max(int S, const double *p_hat, const double *V, double radius, double *p);

/* rlsvi: the randomized values V_h(s) of the current plan, (H+1)*S. */
const double *tabrl_rlsvi_values(const tabrl_algo *algo);

/* lsvi-ucb: Lambda_h^-1 as a full d x d matrix, w_h (d values), beta. */
int tabrl_lsvi_ucb_lambda_inverse(const tabrl_algo *algo, int h, double *full);
const double *tabrl_lsvi_ucb_weights(const tabrl_algo *algo, int h);
double tabrl_lsvi_ucb_beta(const tabrl_algo *algo);

/* ucrl-vtr: theta-hat of the last planning pass. */
const double *tabrl_ucrl_vtr_theta(const tabrl_algo *algo);

/* pevi: V-hat, (H+1)*S values of the last fit, and the penalty
 * Gamma_h(s,a) of the last fit (infinity for an unvisited (h, s, a) of the
 * tabular form). */
const double *tabrl_pevi_values(const tabrl_algo *algo);
double tabrl_pevi_penalty(const tabrl_algo *algo, int h, int s, int a);

/* ecrm-pg: sets theta (H*S*A values, NULL keeps the current one) and
 * returns the exact J(theta) and dJ/dtheta (H*S*A values). */
int tabrl_ecrm_pg_gradient(tabrl_algo *algo, const double *theta, double *grad, double *J);

/* rsvi, rsq: Q_h(s,a), and the bonus (exp space: rsvi's of the last plan,
 * rsq's bonus_t of the last update, before alpha_t). */
double tabrl_rsvi_value(const tabrl_algo *algo, int h, int s, int a);
double tabrl_rsvi_bonus(const tabrl_algo *algo, int h, int s, int a);
double tabrl_rsq_value(const tabrl_algo *algo, int h, int s, int a);
double tabrl_rsq_bonus(const tabrl_algo *algo, int h, int s, int a);

/* robust-td: Q_h(s,a), V_h(s) of its target policy (mean or max of Q over
 * the valid actions), and the step direction psi(delta) of loss 0 squared,
 * 1 huber, 2 absolute with threshold kappa. */
double tabrl_robust_td_value(const tabrl_algo *algo, int h, int s, int a);
double tabrl_robust_td_state_value(const tabrl_algo *algo, int h, int s);
double tabrl_robust_td_step(int loss, double kappa, double delta);

/* rucb: the bound u_ij of round t from the current win counts; colstim,
 * maxminlcb: theta-hat (d values). */
double tabrl_rucb_bound(const tabrl_algo *algo, int i, int j, long t);
const double *tabrl_colstim_theta(const tabrl_algo *algo);
const double *tabrl_maxminlcb_theta(const tabrl_algo *algo);

/* pg: the exact gradient at the logits theta (stages*S*A, -inf entries at
 * invalid actions ignored), which also become the instance's policy. */
int tabrl_pg_gradient(tabrl_algo *algo, const double *theta, double *grad);

/* entropy-npg: V*_tau(mu0) - V_tau^pi(mu0) of the current policy, and
 * V*_tau (S values) from soft value iteration. */
double tabrl_entropy_npg_suboptimality(const tabrl_algo *algo);
const double *tabrl_entropy_npg_optimum(const tabrl_algo *algo);

/* oppo: Q_k,h(s,a) of the last policy evaluation, and the step alpha. */
double tabrl_oppo_value(const tabrl_algo *algo, int h, int s, int a);
double tabrl_oppo_alpha(const tabrl_algo *algo);

/* bobw-po: the occupancy q_h(s) (known transitions) or its upper bound
 * u_h(s) (unknown) of the last episode's estimate. */
double tabrl_bobw_po_occupancy(const tabrl_algo *algo, int h, int s);

#endif
