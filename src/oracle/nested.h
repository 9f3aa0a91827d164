/* oracle/nested.h: the log-space certainty equivalent ERM_b and the
 * backward-induction / value-iteration driver shared by the nested
 * (recursive) objectives, entropic and kl-robust.  Private to src/oracle. */
#ifndef TABRL_ORACLE_NESTED_H
#define TABRL_ORACLE_NESTED_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"
#include "tabrl/policy.h"

/* Below this |b| the certainty equivalent is the mean: the Taylor term
 * b Var/2 is then under 1e-8 Var, below the VI tolerance for returns of
 * moderate spread. */
#define TABRL_NESTED_MEAN_B 1e-8

/* Relative sup-norm error of the discounted solutions: value iteration
 * stops when gamma/(1-gamma) ||V_k+1 - V_k|| <= TOL max(1, ||V_k+1||),
 * which bounds ||V_k+1 - V*|| by the same amount (the operators are
 * gamma-contractions: ERM_b is monotone and ERM_b(X + c) = ERM_b(X) + c). */
#define TABRL_NESTED_TOL 1e-10
#define TABRL_NESTED_MAX_SWEEPS 1000000

/* One outcome of a weighted list: x_i with weight w_i.  ERM_b of the
 * normalised weights, (1/b) log(sum w exp(b x) / sum w), shifted by the
 * x* maximising b x so no exponent is positive (b = 100 or -50 on returns
 * of 100 stay finite), and written x* + log1p(sum w expm1(b(x - x*)) /
 * sum w) / b, which keeps full relative accuracy as b -> 0. */
static inline double tabrl_nested_erm(double b, size_t n, const double *w, const double *x)
{
  double W = 0, mean = 0, star = 0, t = 0;
  int have = 0;
  for (size_t i = 0; i < n; i++) {
    if (w[i] <= 0) continue;
    W += w[i];
    mean += w[i] * x[i];
    if (!have || b * x[i] > b * star) star = x[i];
    have = 1;
  }
  if (fabs(b) < TABRL_NESTED_MEAN_B) return mean / W;
  for (size_t i = 0; i < n; i++)
    if (w[i] > 0) t += w[i] * expm1(b * (x[i] - star));
  return star + log1p(t / W) / b;
}

/* The same over one block of m: x_e = cr r_e + c0 + cv V[next_e]. */
static inline double tabrl_nested_erm_block(double b, const tabrl_mdp *m, size_t block,
                                            const double *V, double cr, double c0, double cv)
{
  size_t lo = m->row[block], hi = m->row[block + 1];
  double W = 0, mean = 0, star = 0, t = 0;
  for (size_t e = lo; e < hi; e++) {
    double x = cr * m->reward[e] + c0 + cv * V[m->next[e]];
    W += m->prob[e];
    mean += m->prob[e] * x;
    if (e == lo || b * x > b * star) star = x;
  }
  if (fabs(b) < TABRL_NESTED_MEAN_B) return mean / W;
  for (size_t e = lo; e < hi; e++) {
    double x = cr * m->reward[e] + c0 + cv * V[m->next[e]];
    t += m->prob[e] * expm1(b * (x - star));
  }
  return star + log1p(t / W) / b;
}

/* An objective's two one-step maps: q, the value of (h, s, a) given the
 * next values Vn; mix, the value of state s under the action distribution
 * w (A entries) given its Q (A entries, valid where w > 0). */
typedef struct {
  double (*q)(const tabrl_objective *o, const tabrl_mdp *m, size_t block, const double *Vn);
  double (*mix)(const tabrl_objective *o, int A, const double *w, const double *Q);
} tabrl_nested_ops;

/* One sweep of stage h: Vh[s] from Vn; greedy (pi_out, may be NULL) when pi
 * is NULL, else the value of pi.  Returns max |Vh - old| over s when old is
 * given. */
static inline double tabrl_nested_sweep(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                        const tabrl_mdp *m, int h, const double *Vn, double *Vh,
                                        const tabrl_policy *pi, tabrl_policy *pi_out, double *Q,
                                        const double *old)
{
  double residual = 0;
  for (int s = 0; s < m->S; s++) {
    const double *w = pi ? tabrl_policy_row(pi, h, s) : NULL;
    int best = -1;
    for (int a = 0; a < m->A; a++) {
      Q[a] = 0;
      if (!tabrl_mdp_valid(m, h, s, a) || (w && w[a] <= 0)) continue;
      Q[a] = ops->q(o, m, tabrl_mdp_block(m, h, s, a), Vn);
      if (best < 0 || Q[a] > Q[best]) best = a;
    }
    double v = w ? ops->mix(o, m->A, w, Q) : Q[best];
    if (!w && pi_out) tabrl_policy_set_action(pi_out, h, s, best);
    if (old) residual = fmax(residual, fabs(v - old[s]));
    Vh[s] = v;
  }
  return residual;
}

/* Backward induction (episodic: V is (H+1) S, V_H = 0) or value iteration
 * to TABRL_NESTED_TOL (discounted: V is S, started at 0).  Exactly one of
 * pi (evaluate it) and the optimum (pi NULL; pi_out, may be NULL, receives
 * an optimal Markov policy) is computed. */
static inline int tabrl_nested_solve(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                     const tabrl_mdp *m, const tabrl_policy *pi,
                                     tabrl_policy *pi_out, double *V)
{
  int S = m->S, status = 0;
  if (pi && (status = tabrl_policy_check(pi, m))) return status;
  if (pi_out &&
      (pi_out->S != S || pi_out->A != m->A || pi_out->stages != tabrl_mdp_value_stages(m)))
    return tabrl_error(TABRL_EINVAL, "the optimal policy must be %d x %d with %d stages", S, m->A,
                       tabrl_mdp_value_stages(m));
  double *Q = malloc((size_t)m->A * sizeof *Q);
  double *Vnew = m->horizon > 0 ? NULL : malloc((size_t)S * sizeof *Vnew);
  if (!Q || (m->horizon == 0 && !Vnew)) {
    free(Q);
    free(Vnew);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  if (m->horizon > 0) {
    int H = m->horizon;
    memset(V + (size_t)H * (size_t)S, 0, (size_t)S * sizeof *V);
    for (int h = H - 1; h >= 0; h--)
      tabrl_nested_sweep(ops, o, m, h, V + (size_t)(h + 1) * (size_t)S, V + (size_t)h * (size_t)S,
                         pi, pi_out, Q, NULL);
  } else {
    int k;
    memset(V, 0, (size_t)S * sizeof *V);
    for (k = 0; k < TABRL_NESTED_MAX_SWEEPS; k++) {
      double r = tabrl_nested_sweep(ops, o, m, 0, V, Vnew, pi, pi_out, Q, V), size = 1;
      memcpy(V, Vnew, (size_t)S * sizeof *V);
      for (int s = 0; s < S; s++) size = fmax(size, fabs(V[s]));
      if (!isfinite(r)) {
        status = tabrl_error(TABRL_ENUMERIC, "value iteration produced a non-finite value");
        break;
      }
      if (m->gamma * r <= TABRL_NESTED_TOL * size * (1 - m->gamma)) break;
    }
    if (!status && k == TABRL_NESTED_MAX_SWEEPS)
      status = tabrl_error(TABRL_ENUMERIC, "value iteration did not converge in %d sweeps",
                           TABRL_NESTED_MAX_SWEEPS);
  }
  free(Q);
  free(Vnew);
  return status;
}

#endif
