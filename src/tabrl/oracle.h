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
 * iteration number (1-based), sup-norm of the value change, and the number
 * of states whose greedy action changed. */
typedef struct {
  void (*fn)(void *ctx, int iter, double residual, long changes);
  void *ctx;
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

/* Howard's policy iteration with exact (LU) evaluation from the policy in pi
 * (in: start, or NULL-initialised to action 0; out: optimal).  V gets V*. */
int tabrl_oracle_pi(const tabrl_mdp *m, int max_iter, tabrl_policy *pi, double *V,
                    const tabrl_trace *trace, int *iterations);

/* Expected value at the start: sum_s mu0(s) V_0(s). */
double tabrl_oracle_start_value(const tabrl_mdp *m, const double *V);

/* The greedy deterministic policy for V (lowest action on ties); for
 * discounted m, V has S values and pi one stage. Returns how many (h, s)
 * changed action compared with pi's previous argmax. */
long tabrl_oracle_greedy(const tabrl_mdp *m, const double *V, tabrl_policy *pi);

#pragma GCC visibility pop

#endif
