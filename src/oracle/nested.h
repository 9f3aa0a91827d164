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
    have++;
  }
  if (fabs(b) < TABRL_NESTED_MEAN_B) return mean / W;
  /* One outcome (a deterministic policy's action, a single start state):
   * the loop below would give t = +0 exactly (w expm1(b (x - x)) is +-0,
   * and 0 + -0 = +0) and log1p(+0 / W) = +0, so the value is star + 0 / b
   * to the bit, without an expm1 and a log1p.  Not for a non-finite x or
   * W, where the loop gives NaN. */
  if (have == 1 && isfinite(star) && isfinite(W)) return star + 0.0 / b;
  for (size_t i = 0; i < n; i++)
    if (w[i] > 0) t += w[i] * expm1(b * (x[i] - star));
  return star + log1p(t / W) / b;
}

/* Below this |b| the factored sweep is not used: its log(T) carries an
 * absolute error of a few ulps, which the final division by b would
 * magnify to 1e-16 / |b|; log space with expm1/log1p stays exact. */
#define TABRL_NESTED_FACTOR_MIN_B 1e-2
/* A factored block sum below this falls back to log space (terms may have
 * underflowed). */
#define TABRL_NESTED_FACTOR_MIN_SUM 1e-250

/* The factored form of the certainty equivalent of x_e = cr r_e + c0 + cv
 * V(s'_e) over a block,
 *   ERM_b = c0 + (top_block + M + log sum_e w_e u(s'_e)) / b,
 *   w_e = p_e exp(b cr r_e - top_block), top_block = max b cr r_e over the
 *   entries of every action of the block's (h, s) (per model, computed
 *   once per solve), u(s') = exp(b cv V(s') - M), M = max_s' b cv V(s')
 *   (per sweep: S exps),
 * so that a sweep costs a multiply-add per entry instead of an exp, and no
 * factor exceeds 1 (no overflow for any b or reward).  With the same top
 * for all actions of a state, an objective whose Q is kappa (top + M + log
 * T) / b (entropic: kappa 1; kl-robust: gamma) ranks the actions by T
 * alone, so the optimal sweep takes one log per state.  Off when |b| <
 * TABRL_NESTED_FACTOR_MIN_B. */
typedef struct {
  int on;
  double b, cr, cv, kappa, M;
  double *w;   /* nnz */
  double *top; /* blocks */
  double *u;   /* S */
} tabrl_nested_fast;

/* The same over one block of m: x_e = cr r_e + c0 + cv V[next_e]; fast (may
 * be NULL) made for this b, cr, cv and the values V. */
static inline double tabrl_nested_erm_block(double b, const tabrl_mdp *m, size_t block,
                                            const double *V, double cr, double c0, double cv,
                                            const tabrl_nested_fast *fast)
{
  size_t lo = m->row[block], hi = m->row[block + 1];
  double W = 0, mean = 0, star = 0, t = 0;
  if (fast && fast->on) {
    double T = 0;
    for (size_t e = lo; e < hi; e++) T += fast->w[e] * fast->u[m->next[e]];
    if (T > TABRL_NESTED_FACTOR_MIN_SUM) return c0 + (fast->top[block] + fast->M + log(T)) / b;
  }
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
 * next values Vn (and their factored form, fast, which q hands to
 * tabrl_nested_erm_block); mix, the value of state s under the action
 * distribution w (A entries) given its Q (A entries, valid where w > 0);
 * and factors (may be NULL: no factored form), the b, cr and cv of the
 * certainty equivalent q takes. */
typedef struct {
  double (*q)(const tabrl_objective *o, const tabrl_mdp *m, size_t block, const double *Vn,
              const tabrl_nested_fast *fast);
  double (*mix)(const tabrl_objective *o, int A, const double *w, const double *Q);
  void (*factors)(const tabrl_objective *o, const tabrl_mdp *m, double *b, double *cr, double *cv,
                  double *kappa);
} tabrl_nested_ops;

/* Scratch of a solve: Q (A), the factored form, Vnew (S, discounted),
 * onehot (A zeros: the row of a deterministic policy's action, set and
 * cleared around each use). */
typedef struct {
  double *Q, *Vnew, *onehot;
  tabrl_nested_fast fast;
} tabrl_nested_ws;

static inline void tabrl_nested_ws_free(tabrl_nested_ws *ws)
{
  free(ws->Q);
  free(ws->Vnew);
  free(ws->onehot);
  free(ws->fast.w);
  free(ws->fast.top);
  free(ws->fast.u);
  memset(ws, 0, sizeof *ws);
}

/* The factored weights w and tops of m's current rewards and
 * probabilities (an exp per entry): once per model, not per solve, when ws
 * is kept (tabrl_nested_solve_ws). */
static inline void tabrl_nested_ws_weights(tabrl_nested_ws *ws, const tabrl_mdp *m)
{
  tabrl_nested_fast *f = &ws->fast;
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  if (!f->on) return;
  for (size_t first = 0; first < blocks; first += (size_t)m->A) {
    double top = -INFINITY;
    for (size_t e = m->row[first]; e < m->row[first + (size_t)m->A]; e++)
      top = fmax(top, f->b * f->cr * m->reward[e]);
    for (size_t blk = first; blk < first + (size_t)m->A; blk++) f->top[blk] = top;
    for (size_t e = m->row[first]; e < m->row[first + (size_t)m->A]; e++)
      f->w[e] = m->prob[e] * exp(f->b * f->cr * m->reward[e] - top);
  }
}

/* Allocates ws for solves of o on m (and on any model of m's sizes and
 * sparsity pattern, after tabrl_nested_ws_weights of it) and makes m's
 * factored weights.  On failure ws is safe to free. */
static inline int tabrl_nested_ws_init(tabrl_nested_ws *ws, const tabrl_nested_ops *ops,
                                       const tabrl_objective *o, const tabrl_mdp *m)
{
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  memset(ws, 0, sizeof *ws);
  ws->Q = malloc((size_t)m->A * sizeof *ws->Q);
  ws->Vnew = malloc((size_t)m->S * sizeof *ws->Vnew);
  ws->onehot = calloc((size_t)m->A, sizeof *ws->onehot);
  if (!ws->Q || !ws->Vnew || !ws->onehot) return tabrl_error(TABRL_ENOMEM, "out of memory");
  tabrl_nested_fast *f = &ws->fast;
  if (!ops->factors) return 0;
  ops->factors(o, m, &f->b, &f->cr, &f->cv, &f->kappa);
  if (!(fabs(f->b) >= TABRL_NESTED_FACTOR_MIN_B)) return 0;
  f->w = malloc((m->nnz ? m->nnz : 1) * sizeof *f->w);
  f->top = malloc(blocks * sizeof *f->top);
  f->u = malloc((size_t)m->S * sizeof *f->u);
  if (!f->w || !f->top || !f->u) return tabrl_error(TABRL_ENOMEM, "out of memory");
  f->on = 1;
  tabrl_nested_ws_weights(ws, m);
  return 0;
}

/* u and M of the factored form for the next values Vn: S exps. */
static inline void tabrl_nested_fast_values(tabrl_nested_fast *f, int S, const double *Vn)
{
  if (!f->on) return;
  f->M = -INFINITY;
  for (int s = 0; s < S; s++) f->M = fmax(f->M, f->b * f->cv * Vn[s]);
  for (int s = 0; s < S; s++) f->u[s] = exp(f->b * f->cv * Vn[s] - f->M);
}

/* One sweep of stage h: Vh[s] from Vn; greedy (pi_out, may be NULL) when pi
 * and act are NULL, else the value of pi, or of the deterministic policy
 * taking act[s] (S valid actions of stage h) through the one-hot row
 * pi would have there, so with the same bits.  Returns max |Vh - old| over
 * s when old is given. */
static inline double tabrl_nested_sweep_act(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                            const tabrl_mdp *m, int h, const double *Vn, double *Vh,
                                            const tabrl_policy *pi, const int *act,
                                            tabrl_policy *pi_out, tabrl_nested_ws *ws,
                                            const double *old)
{
  double residual = 0, *Q = ws->Q;
  const tabrl_nested_fast *f = &ws->fast;
  tabrl_nested_fast_values(&ws->fast, m->S, Vn);
  for (int s = 0; s < m->S; s++) {
    const double *w = pi ? tabrl_policy_row(pi, h, s) : act ? ws->onehot : NULL;
    int best = -1;
    if (act) ws->onehot[act[s]] = 1;
    if (!w && f->on) {
      /* Rank the actions by T; kappa / b < 0 prefers the smallest. */
      double best_T = 0, sign = f->kappa / f->b > 0 ? 1 : -1;
      int under = 0;
      for (int a = 0; a < m->A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        size_t blk = tabrl_mdp_block(m, h, s, a);
        double T = 0;
        for (size_t e = m->row[blk]; e < m->row[blk + 1]; e++) T += f->w[e] * f->u[m->next[e]];
        under |= !(T > TABRL_NESTED_FACTOR_MIN_SUM);
        if (best < 0 || sign * T > sign * best_T) best = a, best_T = T;
      }
      if (!under) { /* every sum, best_T too, exceeds TABRL_NESTED_FACTOR_MIN_SUM */
        // cppcheck-suppress invalidFunctionArg
        double v = f->kappa * (f->top[tabrl_mdp_block(m, h, s, best)] + f->M + log(best_T)) / f->b;
        if (pi_out) tabrl_policy_set_action(pi_out, h, s, best);
        if (old) residual = fmax(residual, fabs(v - old[s]));
        Vh[s] = v;
        continue;
      }
      best = -1; /* some sum underflowed: this state in log space */
    }
    for (int a = 0; a < m->A; a++) {
      Q[a] = 0;
      if (!tabrl_mdp_valid(m, h, s, a) || (w && w[a] <= 0)) continue;
      Q[a] = ops->q(o, m, tabrl_mdp_block(m, h, s, a), Vn, &ws->fast);
      if (best < 0 || Q[a] > Q[best]) best = a;
    }
    double v = w ? ops->mix(o, m->A, w, Q) : Q[best];
    if (act) ws->onehot[act[s]] = 0;
    if (!w && pi_out) tabrl_policy_set_action(pi_out, h, s, best);
    if (old) residual = fmax(residual, fabs(v - old[s]));
    Vh[s] = v;
  }
  return residual;
}

/* The sweep of pi or of the optimum (tabrl_nested_sweep_act without act). */
static inline double tabrl_nested_sweep(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                        const tabrl_mdp *m, int h, const double *Vn, double *Vh,
                                        const tabrl_policy *pi, tabrl_policy *pi_out,
                                        tabrl_nested_ws *ws, const double *old)
{
  return tabrl_nested_sweep_act(ops, o, m, h, Vn, Vh, pi, NULL, pi_out, ws, old);
}

/* Backward induction (episodic: V is (H+1) S, V_H = 0) or value iteration
 * to TABRL_NESTED_TOL (discounted: V is S, started at 0) with the scratch
 * ws (tabrl_nested_ws_init of this ops, o and m).  Exactly one of pi
 * (evaluate it) and the optimum (pi NULL; pi_out, may be NULL, receives an
 * optimal Markov policy) is computed.  flags: TABRL_ORACLE_UNCHECKED skips
 * tabrl_policy_check's scan of pi's rows (its shape is still checked). */
static inline int tabrl_nested_solve_ws(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                        const tabrl_mdp *m, const tabrl_policy *pi,
                                        tabrl_policy *pi_out, unsigned flags, tabrl_nested_ws *ws,
                                        double *V)
{
  int S = m->S, status = 0;
  if (pi && !(flags & TABRL_ORACLE_UNCHECKED) && (status = tabrl_policy_check(pi, m)))
    return status;
  if (pi &&
      (pi->S != S || pi->A != m->A || (pi->stages != 1 && pi->stages != tabrl_mdp_value_stages(m))))
    return tabrl_error(TABRL_EINVAL, "policy is %d x %d with %d stages, the model %d x %d with %d",
                       pi->S, pi->A, pi->stages, S, m->A, tabrl_mdp_value_stages(m));
  if (pi_out &&
      (pi_out->S != S || pi_out->A != m->A || pi_out->stages != tabrl_mdp_value_stages(m)))
    return tabrl_error(TABRL_EINVAL, "the optimal policy must be %d x %d with %d stages", S, m->A,
                       tabrl_mdp_value_stages(m));
  double *Vnew = ws->Vnew;
  if (m->horizon > 0) {
    int H = m->horizon;
    memset(V + (size_t)H * (size_t)S, 0, (size_t)S * sizeof *V);
    for (int h = H - 1; h >= 0; h--)
      tabrl_nested_sweep(ops, o, m, h, V + (size_t)(h + 1) * (size_t)S, V + (size_t)h * (size_t)S,
                         pi, pi_out, ws, NULL);
  } else {
    int k;
    memset(V, 0, (size_t)S * sizeof *V);
    for (k = 0; k < TABRL_NESTED_MAX_SWEEPS; k++) {
      double r = tabrl_nested_sweep(ops, o, m, 0, V, Vnew, pi, pi_out, ws, V), size = 1;
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
  return status;
}

/* Backward induction of the deterministic policy taking action[h S + s]
 * at (h, s) (H S valid actions, unchecked) on an episodic m, with the bits
 * of tabrl_nested_solve_ws on its one-hot table; TABRL_EINVAL for a
 * discounted m. */
static inline int tabrl_nested_solve_actions(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                             const tabrl_mdp *m, const int *action,
                                             tabrl_nested_ws *ws, double *V)
{
  int S = m->S, H = m->horizon;
  if (H <= 0) return tabrl_error(TABRL_EINVAL, "a policy as actions needs an episodic model");
  memset(V + (size_t)H * (size_t)S, 0, (size_t)S * sizeof *V);
  for (int h = H - 1; h >= 0; h--)
    tabrl_nested_sweep_act(ops, o, m, h, V + (size_t)(h + 1) * (size_t)S, V + (size_t)h * (size_t)S,
                           NULL, action + (size_t)h * (size_t)S, NULL, ws, NULL);
  return 0;
}

/* The same with a scratch of its own, checked. */
static inline int tabrl_nested_solve(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                     const tabrl_mdp *m, const tabrl_policy *pi,
                                     tabrl_policy *pi_out, double *V)
{
  int status = 0;
  if (pi && (status = tabrl_policy_check(pi, m))) return status;
  tabrl_nested_ws ws;
  if (!(status = tabrl_nested_ws_init(&ws, ops, o, m)))
    status = tabrl_nested_solve_ws(ops, o, m, pi, pi_out, TABRL_ORACLE_UNCHECKED, &ws, V);
  tabrl_nested_ws_free(&ws);
  return status;
}

/* A nested objective's kept work (tabrl_objective_type's work_*
 * functions): the scratch of its solves with m's factored weights. */
static inline void *tabrl_nested_work_alloc(const tabrl_nested_ops *ops, const tabrl_objective *o,
                                            const tabrl_mdp *m)
{
  tabrl_nested_ws *ws = malloc(sizeof *ws);
  if (!ws) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  if (tabrl_nested_ws_init(ws, ops, o, m)) {
    tabrl_nested_ws_free(ws);
    free(ws);
    return NULL;
  }
  return ws;
}

static inline void tabrl_nested_work_free(void *work)
{
  tabrl_nested_ws_free(work);
  free(work);
}

/* The factors b, cr, cv depend on the objective and on m's horizon and
 * gamma only, which a change of rewards or probabilities keeps. */
static inline void tabrl_nested_work_reset(void *work, const tabrl_objective *o, const tabrl_mdp *m)
{
  (void)o;
  tabrl_nested_ws_weights(work, m);
}

/* The entropic objective's maps (ERM_b with the action draw inside the
 * risk), here so that the bench times exactly the oracle's sweep. */
static inline double tabrl_nested_entropic_q(const tabrl_objective *o, const tabrl_mdp *m,
                                             size_t block, const double *Vn,
                                             const tabrl_nested_fast *fast)
{
  return tabrl_nested_erm_block(o->param, m, block, Vn, 1.0, 0.0, m->horizon > 0 ? 1.0 : m->gamma,
                                fast);
}

static inline double tabrl_nested_entropic_mix(const tabrl_objective *o, int A, const double *w,
                                               const double *Q)
{
  return tabrl_nested_erm(o->param, (size_t)A, w, Q);
}

static inline void tabrl_nested_entropic_factors(const tabrl_objective *o, const tabrl_mdp *m,
                                                 double *b, double *cr, double *cv, double *kappa)
{
  *b = o->param, *cr = 1, *cv = m->horizon > 0 ? 1.0 : m->gamma, *kappa = 1;
}

static inline const tabrl_nested_ops *tabrl_nested_entropic(void)
{
  static const tabrl_nested_ops ops = {tabrl_nested_entropic_q, tabrl_nested_entropic_mix,
                                       tabrl_nested_entropic_factors};
  return &ops;
}

#endif
