/* Exact planning and evaluation; see tabrl/oracle.h.
 *
 * All solvers are built from one kernel, the backup of one (h, s): a pass
 * over the CSR entries of its actions.  A sweep is therefore O(nnz) with
 * sequential access to the entries and one gather per entry into V. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "common/backward.h"

size_t tabrl_oracle_value_size(const tabrl_mdp *m)
{
  return (size_t)(m->horizon > 0 ? m->horizon + 1 : 1) * (size_t)m->S;
}

/* sum_e p_e V[next_e] over one block, with two accumulators so the adds of
 * consecutive entries do not wait on each other. */
static inline double expected_next(const tabrl_mdp *m, size_t lo, size_t hi, const double *V)
{
  double acc0 = 0, acc1 = 0;
  size_t e = lo;
  for (; e + 1 < hi; e += 2) {
    acc0 += m->prob[e] * V[m->next[e]];
    acc1 += m->prob[e + 1] * V[m->next[e + 1]];
  }
  if (e < hi) acc0 += m->prob[e] * V[m->next[e]];
  return acc0 + acc1;
}

void tabrl_oracle_backup(const tabrl_mdp *m, int h, int s, const double *next_V, double discount,
                         double *Q_row)
{
  size_t b = tabrl_mdp_block(m, h, s, 0);
  for (int a = 0; a < m->A; a++, b++) {
    size_t lo = m->row[b], hi = m->row[b + 1];
    Q_row[a] =
        lo == hi ? -INFINITY : m->mean_reward[b] + discount * expected_next(m, lo, hi, next_V);
  }
}

/* max_a of a backup and its argmax (lowest action on ties). */
static inline double backup_max(const tabrl_mdp *m, int h, int s, const double *next_V,
                                double discount, int *argmax)
{
  size_t b = tabrl_mdp_block(m, h, s, 0);
  double best = -INFINITY;
  int best_a = 0;
  for (int a = 0; a < m->A; a++, b++) {
    size_t lo = m->row[b], hi = m->row[b + 1];
    if (lo == hi) continue;
    double q = m->mean_reward[b] + discount * expected_next(m, lo, hi, next_V);
    if (q > best) {
      best = q;
      best_a = a;
    }
  }
  *argmax = best_a;
  return best;
}

/* The backup of the oracle's backward inductions (algos/common/backward.h):
 * r + P V on the true model, undiscounted (episodic).  The driver only reads
 * the model through ctx; the casts drop const for its void * only. */
static double model_backup(void *ctx, int h, int s, int a, const double *next_V)
{
  const tabrl_mdp *m = ctx;
  size_t b = tabrl_mdp_block(m, h, s, a);
  return m->mean_reward[b] + expected_next(m, m->row[b], m->row[b + 1], next_V);
}

static int model_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_mdp_valid(ctx, h, s, a);
}

static const tabrl_backup_hooks model_hooks = {.backup = model_backup, .valid = model_valid};

int tabrl_oracle_backward(const tabrl_mdp *m, double *V, double *Q, tabrl_policy *greedy)
{
  int H = m->horizon, S = m->S;
  if (H < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "backward induction needs an episodic model (horizon H)");
  if (greedy && (greedy->S != S || greedy->A != m->A || greedy->stages != H))
    return tabrl_error(TABRL_EINVAL, "greedy policy must have %d stages", H);
  tabrl_backward_out into = {.S = S, .A = m->A, .H = H, .V = V, .Q = Q, .greedy = greedy};
  tabrl_backward(&model_hooks, (void *)m, &into);
  return 0;
}

static int evaluate_discounted(const tabrl_mdp *m, const tabrl_policy *pi, double *V)
{
  int S = m->S, status;
  gsl_matrix *M = gsl_matrix_calloc((size_t)S, (size_t)S);
  gsl_vector *r = gsl_vector_calloc((size_t)S);
  gsl_permutation *perm = gsl_permutation_alloc((size_t)S);
  gsl_vector_view x = gsl_vector_view_array(V, (size_t)S);
  int sign;

  if (!M || !r || !perm) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory for a %d x %d policy evaluation", S, S);
    goto done;
  }
  /* (I - gamma P_pi) V = r_pi */
  for (int s = 0; s < S; s++) {
    const double *row = tabrl_policy_row(pi, 0, s);
    double rs = 0;
    *gsl_matrix_ptr(M, (size_t)s, (size_t)s) += 1.0;
    for (int a = 0; a < m->A; a++) {
      size_t b = tabrl_mdp_block(m, 0, s, a);
      if (row[a] <= 0) continue;
      rs += row[a] * m->mean_reward[b];
      for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
        *gsl_matrix_ptr(M, (size_t)s, (size_t)m->next[e]) -= m->gamma * row[a] * m->prob[e];
    }
    gsl_vector_set(r, (size_t)s, rs);
  }
  status = gsl_linalg_LU_decomp(M, perm, &sign);
  if (!status) status = gsl_linalg_LU_solve(M, perm, r, &x.vector);
  if (status) {
    status = tabrl_error(TABRL_ENUMERIC, "policy evaluation: LU solve failed (%s)",
                         gsl_strerror(status));
    goto done;
  }
  for (int s = 0; s < S; s++)
    if (!isfinite(V[s])) {
      status = tabrl_error(TABRL_ENUMERIC, "policy evaluation produced a non-finite value");
      break;
    }
done:
  gsl_matrix_free(M);
  gsl_vector_free(r);
  gsl_permutation_free(perm);
  return status;
}

int tabrl_oracle_evaluate(const tabrl_mdp *m, const tabrl_policy *pi, double *V)
{
  int H = m->horizon, S = m->S, status;
  if ((status = tabrl_policy_check(pi, m))) return status;
  if (H < 1) return evaluate_discounted(m, pi, V);
  tabrl_backward_out into = {.S = S, .A = m->A, .H = H, .V = V, .pi = pi};
  tabrl_backward(&model_hooks, (void *)m, &into);
  return 0;
}

long tabrl_oracle_greedy(const tabrl_mdp *m, const double *V, tabrl_policy *pi)
{
  long changes = 0;
  int stages = tabrl_mdp_value_stages(m);
  for (int h = 0; h < stages; h++) {
    const double *next_V = m->horizon > 0 ? V + (size_t)(h + 1) * m->S : V;
    for (int s = 0; s < m->S; s++) {
      int a, old = tabrl_policy_argmax(pi, h, s);
      backup_max(m, h, s, next_V, m->gamma, &a);
      changes += a != old || tabrl_policy_row(pi, h, s)[a] != 1.0;
      tabrl_policy_set_action(pi, h, s, a);
    }
  }
  return changes;
}

/* The sweep when every (s, a) has exactly n entries: blocks sit at b * n,
 * so there is no row lookup, and with n a compile-time constant (see the
 * switch below) the inner loop is fully unrolled.  Measured at 2.6-4.5x
 * scipy's sparse product (algos/README.md, "Reference speeds"). */
static inline __attribute__((always_inline)) double
sweep_fixed(const tabrl_mdp *m, const double *V, double *V_new, int *action, const size_t n)
{
  const double *prob = m->prob, *mean = m->mean_reward;
  const int *next = m->next;
  const double gamma = m->gamma;
  double residual = 0;
  size_t b = 0;
  for (int s = 0; s < m->S; s++) {
    double best = -INFINITY;
    int best_a = 0;
    for (int a = 0; a < m->A; a++, b++) {
      const double *p = prob + b * n;
      const int *x = next + b * n;
      double acc = 0;
      for (size_t k = 0; k < n; k++) acc += p[k] * V[x[k]];
      double q = mean[b] + gamma * acc;
      best_a = q > best ? a : best_a;
      best = q > best ? q : best;
    }
    V_new[s] = best;
    double change = fabs(best - V[s]);
    residual = change > residual ? change : residual; /* not fmax: a libm call */
    if (action) action[s] = best_a;
  }
  return residual;
}

double tabrl_oracle_sweep(const tabrl_mdp *m, const double *V, double *V_new, int *action)
{
  double residual = 0;
  size_t n = m->uniform_run;
  if (m->stages == 1 && n > 0 && m->nnz == n * (size_t)m->S * (size_t)m->A) {
    switch (n) {
    case 1:
      return sweep_fixed(m, V, V_new, action, 1);
    case 2:
      return sweep_fixed(m, V, V_new, action, 2);
    case 3:
      return sweep_fixed(m, V, V_new, action, 3);
    case 4:
      return sweep_fixed(m, V, V_new, action, 4);
    case 5:
      return sweep_fixed(m, V, V_new, action, 5);
    case 6:
      return sweep_fixed(m, V, V_new, action, 6);
    case 8:
      return sweep_fixed(m, V, V_new, action, 8);
    case 10:
      return sweep_fixed(m, V, V_new, action, 10);
    default:
      break;
    }
  }
  for (int s = 0; s < m->S; s++) {
    int a;
    V_new[s] = backup_max(m, 0, s, V, m->gamma, &a);
    double change = fabs(V_new[s] - V[s]);
    residual = change > residual ? change : residual;
    if (action) action[s] = a;
  }
  return residual;
}

int tabrl_oracle_vi(const tabrl_mdp *m, double eps, int max_iter, double *V, tabrl_policy *greedy,
                    const tabrl_trace *trace, int *iterations)
{
  int S = m->S, status = 0, k;
  double *V_new, threshold;
  int *action, *previous;
  if (m->horizon > 0)
    return tabrl_error(
        TABRL_EUNSUPPORTED,
        "value iteration is for discounted models; episodic ones use backward induction");
  if (!(eps > 0)) return tabrl_error(TABRL_EINVAL, "value iteration tolerance %g must be > 0", eps);
  V_new = malloc((size_t)S * sizeof *V_new);
  action = calloc(2 * (size_t)S, sizeof *action);
  if (!V_new || !action) {
    free(V_new);
    free(action);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  /* ||V_k - V_{k-1}|| < eps (1-gamma) / (2 gamma) => greedy policy eps-optimal
   * and ||V_k - V*|| < eps / 2 (Puterman 1994, Theorem 6.3.1). */
  threshold = m->gamma > 0 ? eps * (1 - m->gamma) / (2 * m->gamma) : INFINITY;
  for (k = 1; k <= max_iter; k++) {
    long changes = 0;
    previous = action + S;
    memcpy(previous, action, (size_t)S * sizeof *action);
    double residual = tabrl_oracle_sweep(m, V, V_new, action);
    for (int s = 0; s < S; s++) changes += action[s] != previous[s] || k == 1;
    memcpy(V, V_new, (size_t)S * sizeof *V);
    if (trace && trace->values) trace->values(trace->ctx, k, V, NULL);
    if (trace && trace->fn) trace->fn(trace->ctx, k, residual, changes);
    if (!isfinite(residual)) {
      status = tabrl_error(TABRL_ENUMERIC, "value iteration diverged (non-finite values)");
      break;
    }
    if (residual < threshold) break;
  }
  if (!status && k > max_iter)
    status = tabrl_error(TABRL_ENUMERIC, "value iteration did not reach tolerance %g in %d sweeps",
                         eps, max_iter);
  if (iterations) *iterations = k > max_iter ? max_iter : k;
  if (!status && greedy) tabrl_oracle_greedy(m, V, greedy);
  free(V_new);
  free(action);
  return status;
}

/* Howard's policy iteration.  With ws NULL each evaluation is the dense LU
 * of tabrl_oracle_evaluate (the runner's J*, bit for bit as before); with ws
 * it is the sparse iteration of tabrl_oracle_evaluate_ws, warm-started from
 * the previous policy's values, whose error is at most rho / (1 - gamma)
 * (rho its final residual).  Improvement then also requires a gain above
 * twice that error bound, so evaluation noise cannot make it switch back
 * and forth between two equally good actions. */
static int policy_iteration(const tabrl_mdp *m, int max_iter, tabrl_policy *pi, double *V,
                            const tabrl_trace *trace, int *iterations, tabrl_oracle_workspace *ws)
{
  int stages = tabrl_mdp_value_stages(m), status = 0, k;
  double *Q = malloc((size_t)m->A * sizeof *Q);
  double *V_old = malloc(tabrl_oracle_value_size(m) * sizeof *V_old);
  if (!Q || !V_old) {
    free(Q);
    free(V_old);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  /* Start from the argmax of the given policy, moved to a valid action. */
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++) {
      int a = tabrl_policy_argmax(pi, h, s);
      while (!tabrl_mdp_valid(m, h, s, a)) a = (a + 1) % m->A;
      tabrl_policy_set_action(pi, h, s, a);
    }
  for (k = 1; k <= max_iter; k++) {
    long changes = 0;
    double residual = 0, margin = 0;
    if (!ws)
      status = tabrl_oracle_evaluate(m, pi, V);
    else
      status = tabrl_oracle_evaluate_ws(
          m, pi, TABRL_ORACLE_UNCHECKED | (k > 1 ? TABRL_ORACLE_WARM_START : 0u), ws, V);
    if (status) break;
    if (trace && trace->values) trace->values(trace->ctx, k, V, pi);
    if (ws && m->horizon == 0) margin = 2 * tabrl_oracle_workspace_residual(ws) / (1 - m->gamma);
    /* Improvement switches only on a strict gain (relative 1e-12), so
     * ties cannot make it cycle between equally good actions. */
    for (int h = 0; h < stages; h++) {
      const double *next_V = m->horizon > 0 ? V + (size_t)(h + 1) * m->S : V;
      for (int s = 0; s < m->S; s++) {
        int old = tabrl_policy_argmax(pi, h, s), best = old;
        tabrl_oracle_backup(m, h, s, next_V, m->gamma, Q);
        for (int a = 0; a < m->A; a++)
          if (Q[a] > Q[best] + 1e-12 * (1 + fabs(Q[best])) + margin) best = a;
        if (best != old) {
          tabrl_policy_set_action(pi, h, s, best);
          changes++;
        }
      }
    }
    if (k > 1)
      for (size_t i = 0; i < tabrl_oracle_value_size(m); i++)
        residual = fmax(residual, fabs(V[i] - V_old[i]));
    else
      residual = NAN;
    memcpy(V_old, V, tabrl_oracle_value_size(m) * sizeof *V);
    if (trace && trace->fn) trace->fn(trace->ctx, k, residual, changes);
    if (changes == 0) break;
  }
  if (!status && k > max_iter)
    status =
        tabrl_error(TABRL_ENUMERIC, "policy iteration did not converge in %d iterations", max_iter);
  if (iterations) *iterations = k > max_iter ? max_iter : k;
  free(Q);
  free(V_old);
  return status;
}

int tabrl_oracle_pi(const tabrl_mdp *m, int max_iter, tabrl_policy *pi, double *V,
                    const tabrl_trace *trace, int *iterations)
{
  return policy_iteration(m, max_iter, pi, V, trace, iterations, NULL);
}

int tabrl_oracle_pi_sparse(const tabrl_mdp *m, int max_iter, tabrl_policy *pi, double *V,
                           const tabrl_trace *trace, int *iterations)
{
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  if (!ws) return TABRL_ENOMEM;
  int status = policy_iteration(m, max_iter, pi, V, trace, iterations, ws);
  tabrl_oracle_workspace_free(ws);
  return status;
}

double tabrl_oracle_start_value(const tabrl_mdp *m, const double *V)
{
  double total = 0;
  for (int s = 0; s < m->S; s++)
    if (m->mu0[s] > 0) total += m->mu0[s] * V[s];
  return total;
}
