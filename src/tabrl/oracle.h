/* tabrl/oracle.h: exact planning and policy evaluation (risk-neutral).
 *
 * Value arrays: episodic models use (H+1)*S values, V[h*S + s], with
 * V[H*S + s] = 0; discounted models use S values.  Q arrays are
 * stages*S*A with -inf at invalid actions (stages = H or 1).
 * Every sweep costs O(nnz) (one pass over the CSR entries). */
#ifndef TABRL_ORACLE_H
#define TABRL_ORACLE_H

#include "tabrl/mdp.h"
#include "tabrl/policy.h"

#pragma GCC visibility push(default)

/* Called once per iteration by the iterative solvers (for --trace):
 * iteration number (1-based), sup-norm of the value change (NAN on policy
 * iteration's first iteration, which has no previous value), and the number
 * of states whose greedy action changed.  values, when not NULL, sees the
 * iterate itself (tabrl/steps.h records it): value iteration calls it after
 * each sweep with V_k and pi NULL; policy iteration after each evaluation
 * with V = V^pi and the policy evaluated, before improving it in place.  It
 * is called before fn of the same iteration. */
typedef struct {
  void (*fn)(void *ctx, int iter, double residual, long changes);
  void *ctx;
  void (*values)(void *ctx, int iter, const double *V, const tabrl_policy *pi);
} tabrl_trace;

/* Number of doubles a value array of m needs. */
size_t tabrl_oracle_value_size(const tabrl_mdp *m);

/* Q(h, s, .) from the next-stage values next_V (S entries): O(entries). */
void tabrl_oracle_backup(const tabrl_mdp *m, int h, int s, const double *next_V, double discount,
                         double *Q_row);

/* Finite horizon (episodic m): optimal V (size (H+1)*S), optionally Q
 * (H*S*A) and a greedy deterministic policy (stages H; lowest action on
 * ties).  Backward induction, O(H nnz). */
int tabrl_oracle_backward(const tabrl_mdp *m, double *V, double *Q, tabrl_policy *greedy);

/* Exact value of any policy: episodic by backward evaluation, discounted by
 * solving (I - gamma P_pi) V = r_pi with GSL's LU decomposition. */
int tabrl_oracle_evaluate(const tabrl_mdp *m, const tabrl_policy *pi, double *V);

/* One Bellman optimality sweep of a discounted model, V_new = T V (S
 * values each, distinct arrays); stores the greedy actions in action (may be
 * NULL) and returns ||V_new - V||_inf. */
double tabrl_oracle_sweep(const tabrl_mdp *m, const double *V, double *V_new, int *action);

/* Discounted value iteration from V (in: start, out: result).  Stops when
 * ||V_k - V_{k-1}||_inf < eps (1 - gamma) / (2 gamma), which makes the greedy
 * policy eps-optimal (Puterman, Thm 6.3.1); returns TABRL_ENUMERIC if
 * max_iter sweeps do not reach it. */
int tabrl_oracle_vi(const tabrl_mdp *m, double eps, int max_iter, double *V, tabrl_policy *greedy,
                    const tabrl_trace *trace, int *iterations);

/* Policy iteration's exact (LU) evaluation costs O(S^3) time and 8 S^2
 * bytes: above this many states `tabrl solve` uses tabrl_oracle_pi_sparse. */
#define TABRL_ORACLE_DENSE_PI_MAX_STATES 1000

/* Howard's policy iteration with exact (LU) evaluation from the policy in pi
 * (in: start, or NULL-initialised to action 0; out: optimal).  V gets V*. */
int tabrl_oracle_pi(const tabrl_mdp *m, int max_iter, tabrl_policy *pi, double *V,
                    const tabrl_trace *trace, int *iterations);

/* The same policy iteration with each discounted evaluation by the sparse
 * iteration of tabrl_oracle_evaluate_ws (declared below), warm-started from
 * the previous policy's values: O(nnz) memory and time per step instead of
 * the LU's O(S^2) memory and O(S^3) time, so it solves models of millions
 * of states.  V* is then exact to ~1e-12 / (1 - gamma) in sup-norm, and an
 * action replaces the current one only when its gain exceeds twice that
 * bound (no cycling on evaluation noise).  Episodic models: identical to
 * tabrl_oracle_pi. */
int tabrl_oracle_pi_sparse(const tabrl_mdp *m, int max_iter, tabrl_policy *pi, double *V,
                           const tabrl_trace *trace, int *iterations);

/* Expected value at the start: sum_s mu0(s) V_0(s). */
double tabrl_oracle_start_value(const tabrl_mdp *m, const double *V);

/* The greedy deterministic policy for V (lowest action on ties); for
 * discounted m, V has S values and pi one stage. Returns how many (h, s)
 * changed action compared with pi's previous argmax. */
long tabrl_oracle_greedy(const tabrl_mdp *m, const double *V, tabrl_policy *pi);

/* ---- Policy evaluation with a reusable workspace (src/oracle/oracle_eval.c) ----
 *
 * The functions below evaluate many policies on one model without
 * allocating: every scratch array lives in a tabrl_oracle_workspace made
 * once per model (GSL's _workspace_alloc idiom).  A workspace serves any
 * model with the same S and A; the first call on a model with more entries
 * (or a longer horizon) than it has seen grows it once.  One workspace
 * serves one thread at a time.
 *
 * Discounted models are evaluated iteratively on the policy's own S x S
 * sparse matrix P_pi (built once per call from the CSR entries, duplicate
 * next states merged), not by the dense LU of tabrl_oracle_evaluate: O(nnz)
 * memory and O(nnz) per step.  Each step is a Jacobi step followed by a
 * correction that removes the error's slowest mode (the constant vector for
 * values, MacQueen's bounds; the total mass for occupancies): the span of
 * the error contracts by gamma per step, and on well-mixing models by
 * gamma |lambda_2(P_pi)|, so the step count barely depends on gamma. */

/* Stopping tolerance of the sparse solves: see tabrl_oracle_evaluate_ws. */
#define TABRL_ORACLE_EVAL_TOL 1e-12

/* Default cap on steps per solve: a gamma-contraction from 0 with rewards
 * in [0, 1] reaches 1e-12 within (28 + ln(1 / (1 - gamma))) / (1 - gamma)
 * steps, 368,000 at gamma = 0.9999; change it with
 * tabrl_oracle_workspace_set_max_iter. */
#define TABRL_ORACLE_EVAL_MAX_ITER 1000000

/* Flags of the _ws functions (bitwise or). */
enum {
  /* Skip tabrl_policy_check's O(stages S A) scan of every row (each row a
   * distribution, no mass on an invalid action), for callers that have
   * validated the policy already (the protocol boundary).  The shape
   * (S, A, stages) is always checked; a policy that is not a distribution
   * then gives a meaningless value, never a crash. */
  TABRL_ORACLE_UNCHECKED = 1u << 0,
  /* Discounted solves start from the values already in the output array
   * (e.g. the previous policy's, in policy iteration; an occupancy as
   * normalised as the one asked for) instead of 0. */
  TABRL_ORACLE_WARM_START = 1u << 1,
  /* Occupancy: scale the discounted measure by (1 - gamma) so it is a
   * distribution (no effect on episodic models, whose stages already are). */
  TABRL_ORACLE_NORMALIZED = 1u << 2
};

typedef struct tabrl_oracle_workspace tabrl_oracle_workspace;

/* Scratch memory for evaluating policies on m (and on any model with m's S
 * and A).  NULL and a message on bad sizes or OOM. */
tabrl_oracle_workspace *tabrl_oracle_workspace_alloc(const tabrl_mdp *m);

/* Frees ws; NULL is a no-op. */
void tabrl_oracle_workspace_free(tabrl_oracle_workspace *ws);

/* Cap on steps per discounted solve (>= 1); a solve that does not meet its
 * tolerance within it returns TABRL_ENUMERIC. */
void tabrl_oracle_workspace_set_max_iter(tabrl_oracle_workspace *ws, int max_iter);

/* Steps and final residual (the norm each solve documents) of the last
 * discounted solve with ws; 0 and 0 after an episodic call. */
int tabrl_oracle_workspace_iterations(const tabrl_oracle_workspace *ws);
double tabrl_oracle_workspace_residual(const tabrl_oracle_workspace *ws);

/* V^pi of any policy (value array of tabrl_oracle_value_size(m) doubles).
 * Episodic m: backward evaluation, the same arithmetic as
 * tabrl_oracle_evaluate (bit-identical results).  Discounted m: the sparse
 * iteration on (I - gamma P_pi) V = r_pi from V_1 = 0 (or V's contents with
 * TABRL_ORACLE_WARM_START), returning the first iterate V_k whose residual
 *   rho = ||r_pi + gamma P_pi V_k - V_k||_inf
 * (computed from V_k in full at every step) satisfies
 *   rho <= max(TABRL_ORACLE_EVAL_TOL, 32 DBL_EPSILON ||V_k||_inf);
 * the second term is the floor rounding puts under any computed residual,
 * and is below 1e-12 whenever ||V||_inf < 140.  Then
 *   ||V_k - V^pi||_inf <= rho / (1 - gamma),
 * because V^pi - V_k = (I - gamma P_pi)^{-1} (r_pi + gamma P_pi V_k - V_k) and
 * the inverse has sup-norm 1 / (1 - gamma).  TABRL_ENUMERIC if the step cap
 * is reached or values stop being finite; TABRL_EINVAL for a policy or
 * workspace that does not fit m.  No allocation once ws has seen m. */
int tabrl_oracle_evaluate_ws(const tabrl_mdp *m, const tabrl_policy *pi, unsigned flags,
                             tabrl_oracle_workspace *ws, double *V);

/* V^pi of the deterministic policy taking action[h S + s] at (h, s) on an
 * episodic m (H S ints), as tabrl_oracle_evaluate_ws values its one-hot
 * table, with bit-identical results, in O(H S + the entries it reads)
 * instead of O(H S A).  Each action is checked to be valid unless flags
 * has TABRL_ORACLE_UNCHECKED; TABRL_EINVAL for a discounted m. */
int tabrl_oracle_evaluate_actions(const tabrl_mdp *m, const int *action, unsigned flags, double *V);

/* Q from values of the next stage, for every (h, s, a):
 *   Q[(h*S + s)*A + a] = r(h,s,a) + discount * sum_s' p(s'|h,s,a) V_{h+1}(s'),
 * -INFINITY at invalid actions; stages*S*A values (stages = H, or 1 for a
 * discounted model, where V_{h+1} = V).  Given V = V^pi this is Q^pi; given
 * V* it is Q*.  O(H nnz), no allocation. */
void tabrl_oracle_q_from_values(const tabrl_mdp *m, const double *V, double *Q);

/* Q^pi (layout of tabrl_oracle_q_from_values) of any stochastic, stationary
 * or stage-dependent policy: V^pi by tabrl_oracle_evaluate_ws (flags as
 * there), then one backup per (h, s).  V receives V^pi (value array), or
 * may be NULL to use the workspace's (then TABRL_ORACLE_WARM_START starts
 * from the V^pi of the previous such call, or 0).  Sum_a pi(a|h,s)
 * Q^pi(h,s,a) = V^pi_h(s). */
int tabrl_oracle_q_pi(const tabrl_mdp *m, const tabrl_policy *pi, unsigned flags,
                      tabrl_oracle_workspace *ws, double *V, double *Q);

/* State occupancy measure of pi from start (S values summing to 1 within
 * 1e-9, or NULL for m's mu0):
 *   episodic:   d[h*S + s] = P(s_h = s), h = 0..H-1 (H*S values; each stage
 *               sums to 1; d_0 = start), by forward propagation, O(H nnz);
 *   discounted: d[s] = sum_{t>=0} gamma^t P(s_t = s) (S values summing to
 *               1 / (1 - gamma)), or (1 - gamma) times that with
 *               TABRL_ORACLE_NORMALIZED (a distribution).
 * Either way J(pi) = sum_h sum_s d_h(s) r_pi(h,s) (episodic) and
 * J(pi) = sum_s d(s) r_pi(s) (discounted, unnormalised) with
 * r_pi(h,s) = sum_a pi(a|h,s) r(h,s,a).  The discounted d solves the
 * transposed system (I - gamma P_pi^T) d = start by the same iteration
 * (rows of P_pi^T built in ws), returning the first iterate whose residual
 *   rho = ||start + gamma P_pi^T d_k - d_k||_1
 * is <= max(TABRL_ORACLE_EVAL_TOL, 32 DBL_EPSILON ||d_k||_1), so that
 * ||d_k - d||_1 <= rho / (1 - gamma) (the inverse has 1-norm 1 / (1 - gamma))
 * before normalisation.  Errors as tabrl_oracle_evaluate_ws; start is
 * checked (non-negative, sums to 1) unless TABRL_ORACLE_UNCHECKED. */
int tabrl_oracle_occupancy(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                           unsigned flags, tabrl_oracle_workspace *ws, double *d);

/* State-action occupancy d(h,s,a) = d_h(s) pi(a|h,s) from a state
 * occupancy d of pi (as tabrl_oracle_occupancy returns it, normalised or
 * not): stages*S*A values, d_sa[(h*S + s)*A + a], stages = H or 1.  The
 * policy's shape must fit m (else TABRL_EINVAL). */
int tabrl_oracle_occupancy_sa(const tabrl_mdp *m, const tabrl_policy *pi, const double *d,
                              double *d_sa);

/* ---- Constrained MDPs (src/oracle/cmdp_lp.c) ----
 *
 * max_pi V_r(pi) subject to C(pi) <= budget, with C(pi) the expected
 * (discounted) sum of the model's costs from mu0, on the scale of
 * tabrl_oracle_start_value (undiscounted-normalised: no 1 - gamma factor). */
typedef struct {
  double value;  /* the optimal V_r(mu0) */
  double cost;   /* C of the optimal policy (<= budget) */
  double lambda; /* the LP dual of the cost constraint, lambda* >= 0: the
                  * optimum is max_pi V_r - lambda* (C - budget) */
} tabrl_cmdp_solution;

/* Exact optimum by linear programming over occupancy measures (GLPK's
 * simplex); the optimal (possibly stochastic) policy into pi (stages H or 1;
 * may be NULL), with the first valid action at unreached (h, s).
 * TABRL_EINVAL when m has no costs or no policy meets the budget (the
 * message gives the least achievable cost), TABRL_ENUMERIC if GLPK fails.
 * Frees GLPK's per-thread environment before returning (no leak from
 * worker threads): not for a thread that holds GLPK objects of its own. */
int tabrl_oracle_cmdp_lp(const tabrl_mdp *m, double budget, tabrl_policy *pi,
                         tabrl_cmdp_solution *sol);

/* A copy of m whose rewards are its costs (mean rewards the expected cost
 * of each (h, s, a); no reward noise), so that every evaluation of this
 * header gives the cost of a policy: C(pi) = tabrl_oracle_start_value of
 * its values, Q_c^pi by tabrl_oracle_q_pi (src/oracle/cmdp_cost.c).  NULL
 * with a message when m has no costs or on OOM; tabrl_mdp_free frees it. */
tabrl_mdp *tabrl_oracle_cost_model(const tabrl_mdp *m);

/* C(pi) from mu0 on cost_model (tabrl_oracle_cost_model's), with V a value
 * array of tabrl_oracle_value_size doubles for the scratch values; errors
 * as tabrl_oracle_evaluate. */
int tabrl_oracle_cost_value(const tabrl_mdp *cost_model, const tabrl_policy *pi, double *V,
                            double *cost);
/* ---- Regret against the best fixed policy in hindsight (src/oracle/hindsight.c) ----
 *
 * The best deterministic Markov policy for a summed reward function: with
 * the transitions fixed, sum_t V_t(pi) is the value of pi under the reward
 * sum_t r_t, so max_pi sum_t V_t(pi) is one backward induction on
 * reward[(h*S + s)*A + a] = sum_t r_t(h, s, a) (H*S*A values; invalid
 * actions ignored) over m's transitions (episodic m; its own rewards are
 * not read).  V: (H+1)*S values; greedy: H stages or NULL (lowest action on
 * ties); *J = sum_s mu0(s) V_0(s). */
int tabrl_oracle_hindsight(const tabrl_mdp *m, const double *reward, double *V,
                           tabrl_policy *greedy, double *J);

#pragma GCC visibility pop

#endif
