/* Policy evaluation with a reusable workspace: V^pi, Q^pi and occupancy
 * measures; see tabrl/oracle.h.
 *
 * A discounted policy is evaluated on its own S x S matrix P_pi, kept
 * sparse: row s holds gamma sum_a pi(a|s) p(s'|s,a) for each distinct
 * s' != s, the diagonal apart (the transpose, for occupancies, shares it).
 * The iterative solver (see solve()) needs nothing else and costs one pass
 * over those entries per step, where the dense LU of tabrl_oracle_evaluate
 * costs O(S^3) time and O(S^2) memory. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/oracle.h"

struct tabrl_oracle_workspace {
  int S, A;
  int max_iter;
  int iterations;  /* of the last discounted solve */
  double residual; /* of the last discounted solve */
  size_t cap;      /* entries col/val/tcol/tval hold */
  size_t value_cap;
  /* P_pi row by row (row, col, val), its transpose (trow, tcol, tval),
   * 1 - its diagonal, and the right-hand side of the system being solved. */
  size_t *row, *trow;
  int *col, *tcol;
  double *val, *tval;
  double *one_minus_diag, *rhs;
  size_t *where; /* S: position of s' in the row being built, or stale */
  double *value; /* value_cap: V^pi when the caller passes none */
  double *next;  /* S: the next iterate */
};

/* Entries of P_pi can be at most the model's (stationary) entries. */
static size_t entries_needed(const tabrl_mdp *m)
{
  return m->horizon > 0 ? 0 : m->nnz;
}

/* Grows *p to n elements of size bytes (never shrinks); 0 or -1. */
static int grow(void *p, size_t n, size_t size)
{
  void **ptr = p;
  void *q = realloc(*ptr, (n ? n : 1) * size);
  if (!q) return -1;
  *ptr = q;
  return 0;
}

/* Makes ws big enough for m: allocates only when m is larger than any model
 * ws has served, so repeated calls on one model never allocate. */
static int reserve(tabrl_oracle_workspace *ws, const tabrl_mdp *m)
{
  size_t cap = entries_needed(m), values = tabrl_oracle_value_size(m);
  if (cap > ws->cap) {
    if (grow(&ws->col, cap, sizeof *ws->col) || grow(&ws->val, cap, sizeof *ws->val) ||
        grow(&ws->tcol, cap, sizeof *ws->tcol) || grow(&ws->tval, cap, sizeof *ws->tval))
      return tabrl_error(TABRL_ENOMEM, "out of memory for a workspace of %zu entries", cap);
    ws->cap = cap;
  }
  if (values > ws->value_cap) {
    if (grow(&ws->value, values, sizeof *ws->value))
      return tabrl_error(TABRL_ENOMEM, "out of memory for a workspace of %zu values", values);
    /* Zeroed: a warm start from the workspace's own V is a cold start until
     * a solve has filled it. */
    memset(ws->value + ws->value_cap, 0, (values - ws->value_cap) * sizeof *ws->value);
    ws->value_cap = values;
  }
  return 0;
}

tabrl_oracle_workspace *tabrl_oracle_workspace_alloc(const tabrl_mdp *m)
{
  tabrl_oracle_workspace *ws;
  size_t S = (size_t)m->S;
  if (m->S < 1 || m->A < 1) {
    tabrl_error(TABRL_EINVAL, "workspace: model sizes must be >= 1");
    return NULL;
  }
  ws = calloc(1, sizeof *ws);
  if (!ws) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  ws->S = m->S;
  ws->A = m->A;
  ws->max_iter = TABRL_ORACLE_EVAL_MAX_ITER;
  ws->row = malloc((S + 1) * sizeof *ws->row);
  ws->trow = malloc((S + 1) * sizeof *ws->trow);
  ws->one_minus_diag = malloc(S * sizeof *ws->one_minus_diag);
  ws->rhs = malloc(S * sizeof *ws->rhs);
  ws->next = malloc(S * sizeof *ws->next);
  /* Zeroed so that the stale-position test reads initialised memory. */
  ws->where = calloc(S, sizeof *ws->where);
  if (!ws->row || !ws->trow || !ws->one_minus_diag || !ws->rhs || !ws->next || !ws->where ||
      reserve(ws, m)) {
    tabrl_oracle_workspace_free(ws);
    tabrl_error(TABRL_ENOMEM, "out of memory for an evaluation workspace (%d states)", m->S);
    return NULL;
  }
  return ws;
}

void tabrl_oracle_workspace_free(tabrl_oracle_workspace *ws)
{
  if (!ws) return;
  free(ws->row);
  free(ws->trow);
  free(ws->col);
  free(ws->tcol);
  free(ws->val);
  free(ws->tval);
  free(ws->one_minus_diag);
  free(ws->rhs);
  free(ws->next);
  free(ws->where);
  free(ws->value);
  free(ws);
}

void tabrl_oracle_workspace_set_max_iter(tabrl_oracle_workspace *ws, int max_iter)
{
  ws->max_iter = max_iter > 0 ? max_iter : 1;
}

int tabrl_oracle_workspace_iterations(const tabrl_oracle_workspace *ws)
{
  return ws->iterations;
}

double tabrl_oracle_workspace_residual(const tabrl_oracle_workspace *ws)
{
  return ws->residual;
}

/* Everything a _ws call checks before touching memory.  The shape check is
 * O(1) and always done, so an unchecked call cannot read out of bounds. */
static int prepare(const tabrl_mdp *m, const tabrl_policy *pi, unsigned flags,
                   tabrl_oracle_workspace *ws)
{
  if (!ws) return tabrl_error(TABRL_EINVAL, "oracle: no workspace");
  if (ws->S != m->S || ws->A != m->A)
    return tabrl_error(TABRL_EINVAL,
                       "oracle workspace is for %d states and %d actions, the model has %d and %d",
                       ws->S, ws->A, m->S, m->A);
  if (pi->S != m->S || pi->A != m->A)
    return tabrl_error(TABRL_EINVAL,
                       "policy is for %d states and %d actions, the model has %d and %d", pi->S,
                       pi->A, m->S, m->A);
  if (pi->stages != 1 && pi->stages != tabrl_mdp_value_stages(m))
    return tabrl_error(TABRL_EINVAL, "policy has %d stages, the model needs 1 or %d", pi->stages,
                       tabrl_mdp_value_stages(m));
  if (!(flags & TABRL_ORACLE_UNCHECKED)) {
    int status = tabrl_policy_check(pi, m);
    if (status) return status;
  }
  ws->iterations = 0;
  ws->residual = 0;
  return reserve(ws, m);
}

/* ---- the sparse discounted solver ---- */

/* Rows of gamma P_pi (distinct s' != s merged), 1 - its diagonal, and
 * rhs = r_pi.  One pass over the entries of the actions pi uses. */
static void build_policy_rows(const tabrl_mdp *m, const tabrl_policy *pi,
                              tabrl_oracle_workspace *ws)
{
  size_t k = 0;
  for (int s = 0; s < m->S; s++) {
    const double *w = tabrl_policy_row(pi, 0, s);
    size_t b = tabrl_mdp_block(m, 0, s, 0), start = k;
    double diag = 0, r = 0;
    ws->row[s] = start;
    for (int a = 0; a < m->A; a++, b++) {
      if (w[a] <= 0) continue;
      r += w[a] * m->mean_reward[b];
      for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
        int t = m->next[e];
        double p = m->gamma * w[a] * m->prob[e];
        size_t j = ws->where[t];
        if (t == s)
          diag += p;
        else if (j >= start && j < k && ws->col[j] == t)
          ws->val[j] += p;
        else {
          ws->where[t] = k;
          ws->col[k] = t;
          ws->val[k++] = p;
        }
      }
    }
    ws->one_minus_diag[s] = 1.0 - diag;
    ws->rhs[s] = r;
  }
  ws->row[m->S] = k;
}

/* The rows of P_pi^T (off-diagonal part) by a counting sort of the rows'
 * entries; within a row the columns stay in increasing order. */
static void transpose_rows(int S, tabrl_oracle_workspace *ws)
{
  size_t *cursor = ws->where;
  memset(ws->trow, 0, ((size_t)S + 1) * sizeof *ws->trow);
  for (size_t k = 0; k < ws->row[S]; k++) ws->trow[ws->col[k] + 1]++;
  for (int s = 0; s < S; s++) ws->trow[s + 1] += ws->trow[s];
  for (int s = 0; s < S; s++) cursor[s] = ws->trow[s];
  for (int s = 0; s < S; s++)
    for (size_t k = ws->row[s]; k < ws->row[s + 1]; k++) {
      size_t j = cursor[ws->col[k]]++;
      ws->tcol[j] = s;
      ws->tval[j] = ws->val[k];
    }
}

/* A sparse system x = b + N x + (1 - omd) x, N off-diagonal, with
 * row sums of N + diag at most gamma (the rows of gamma P_pi or, in the 1
 * norm, of its transpose). */
typedef struct {
  int S;
  const size_t *row;
  const int *col;
  const double *val, *omd, *b;
} sparse_system;

static inline double row_product(const sparse_system *sys, int s, const double *x)
{
  double acc0 = 0, acc1 = 0;
  size_t k = sys->row[s], hi = sys->row[s + 1];
  for (; k + 1 < hi; k += 2) {
    acc0 += sys->val[k] * x[sys->col[k]];
    acc1 += sys->val[k + 1] * x[sys->col[k + 1]];
  }
  if (k < hi) acc0 += sys->val[k] * x[sys->col[k]];
  return acc0 + acc1;
}

/* One Jacobi step y = b + N x + (1 - omd) x, with the residual rho = y - x:
 * returns ||rho|| (sup or 1 norm) and stores min, max and sum of rho, the
 * sum of y and ||x|| in st. */
typedef struct {
  double lo, hi, sum_rho, sum_y, size;
} jacobi_stats;

static double jacobi_step(const sparse_system *sys, const double *x, double *y, int l1,
                          jacobi_stats *st)
{
  double res = 0, lo = INFINITY, hi = -INFINITY, sum_rho = 0, sum_y = 0, size = 0;
  for (int s = 0; s < sys->S; s++) {
    double v = sys->b[s] + row_product(sys, s, x) + (1 - sys->omd[s]) * x[s];
    double rho = v - x[s], r = fabs(rho), a = fabs(x[s]);
    y[s] = v;
    lo = rho < lo ? rho : lo;
    hi = rho > hi ? rho : hi;
    sum_rho += rho;
    sum_y += v;
    res = l1 ? res + r : (r > res ? r : res);
    size = l1 ? size + a : (a > size ? a : size);
  }
  *st = (jacobi_stats){lo, hi, sum_rho, sum_y, size};
  return res;
}

/* Jacobi with the slowest mode of the error removed at every step.
 * Values: the error along the constant vector (P_pi 1 = 1) decays only like
 * gamma^k; MacQueen's bounds V^pi in y + gamma / (1 - gamma) [min rho,
 * max rho] (Puterman 1994, Sec. 6.6.3) give the shift that cancels it, and
 * the span of the error still contracts by gamma per step.  Occupancy: the
 * error's total mass decays like gamma^k (P_pi^T preserves mass) and every
 * other mode of P_pi^T has zero mass, so rescaling y to the mass the
 * residual predicts, sum y + gamma / (1 - gamma) sum rho, cancels that mode.
 * Both corrections vanish with rho, so the fixed point is exact; what is
 * left decays like gamma |lambda_2(P_pi)| (17 steps to 1e-12 on
 * Garnet(2000, 10, 5) at gamma 0.9 as at 0.999, against 135 and 13,000
 * Gauss-Seidel sweeps), and like gamma on slowly mixing chains.  When the
 * model is not stochastic under pi (an unchecked policy with mass on an
 * invalid action) the corrections can amplify the error: a residual that
 * doubles past the best one seen (from step 2, the first one corrected)
 * switches them off, leaving plain Jacobi, a gamma-contraction in the sup
 * norm for values and in the 1 norm for occupancies. */
static int solve(const sparse_system *sys, double gamma, int l1, tabrl_oracle_workspace *ws,
                 double *x, const char *what)
{
  double res = INFINITY, tol = TABRL_ORACLE_EVAL_TOL, *y = ws->next;
  double lift = gamma / (1 - gamma), best = INFINITY;
  int accelerate = 1;
  for (int k = 1; k <= ws->max_iter; k++) {
    jacobi_stats st;
    res = jacobi_step(sys, x, y, l1, &st);
    ws->iterations = k;
    ws->residual = res;
    if (!isfinite(res) || !isfinite(st.size))
      return tabrl_error(TABRL_ENUMERIC, "%s: values became non-finite after %d sweeps", what, k);
    tol = fmax(TABRL_ORACLE_EVAL_TOL, 32 * DBL_EPSILON * st.size);
    if (res <= tol) return 0;
    if (k > 2 && res > 2 * best) accelerate = 0;
    if (k > 1) best = fmin(best, res);
    if (!accelerate) {
      memcpy(x, y, (size_t)sys->S * sizeof *x);
    } else if (!l1) {
      double shift = lift * 0.5 * (st.lo + st.hi);
      for (int s = 0; s < sys->S; s++) x[s] = y[s] + shift;
    } else {
      double scale = st.sum_y > 0 ? 1 + lift * st.sum_rho / st.sum_y : 1;
      for (int s = 0; s < sys->S; s++) x[s] = y[s] * scale;
    }
  }
  return tabrl_error(TABRL_ENUMERIC,
                     "%s: residual %.3g still above %.3g after %d sweeps (gamma %g); "
                     "raise the cap with tabrl_oracle_workspace_set_max_iter",
                     what, res, tol, ws->max_iter, gamma);
}

/* ---- evaluation ---- */

/* As in oracle.c, so that episodic results are bit-identical to
 * tabrl_oracle_evaluate's. */
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

static void evaluate_backward(const tabrl_mdp *m, const tabrl_policy *pi, double *V)
{
  int H = m->horizon, S = m->S;
  memset(V + (size_t)H * S, 0, (size_t)S * sizeof *V);
  for (int h = H - 1; h >= 0; h--) {
    const double *next_V = V + (size_t)(h + 1) * S;
    for (int s = 0; s < S; s++) {
      const double *row = tabrl_policy_row(pi, h, s);
      size_t b = tabrl_mdp_block(m, h, s, 0);
      double v = 0;
      for (int a = 0; a < m->A; a++, b++)
        if (row[a] > 0)
          v += row[a] * (m->mean_reward[b] + expected_next(m, m->row[b], m->row[b + 1], next_V));
      V[(size_t)h * S + s] = v;
    }
  }
}

int tabrl_oracle_evaluate_actions(const tabrl_mdp *m, const int *action, unsigned flags, double *V)
{
  int H = m->horizon, S = m->S;
  if (H < 1) return tabrl_error(TABRL_EINVAL, "evaluating actions needs an episodic model");
  if (!(flags & TABRL_ORACLE_UNCHECKED))
    for (int h = 0; h < H; h++)
      for (int s = 0; s < S; s++) {
        int a = action[(size_t)h * S + s];
        if (a < 0 || a >= m->A || !tabrl_mdp_valid(m, h, s, a))
          return tabrl_error(TABRL_EINVAL, "policy at stage %d, state %d: action %d is not valid",
                             h, s, a);
      }
  memset(V + (size_t)H * S, 0, (size_t)S * sizeof *V);
  for (int h = H - 1; h >= 0; h--) {
    const double *next_V = V + (size_t)(h + 1) * S;
    for (int s = 0; s < S; s++) {
      size_t b = tabrl_mdp_block(m, h, s, action[(size_t)h * S + s]);
      /* evaluate_backward's one term: 0 + 1.0 * q, and 0 + q is q but for
       * q = -0.0, which it makes +0.0 as the table's sum does. */
      double v = 0;
      v += m->mean_reward[b] + expected_next(m, m->row[b], m->row[b + 1], next_V);
      V[(size_t)h * S + s] = v;
    }
  }
  return 0;
}

/* V^pi once prepare() has passed. */
static int evaluate(const tabrl_mdp *m, const tabrl_policy *pi, unsigned flags,
                    tabrl_oracle_workspace *ws, double *V)
{
  if (m->horizon > 0) {
    evaluate_backward(m, pi, V);
    return 0;
  }
  build_policy_rows(m, pi, ws);
  if (!(flags & TABRL_ORACLE_WARM_START)) memset(V, 0, (size_t)m->S * sizeof *V);
  sparse_system sys = {m->S, ws->row, ws->col, ws->val, ws->one_minus_diag, ws->rhs};
  return solve(&sys, m->gamma, 0, ws, V, "policy evaluation");
}

int tabrl_oracle_evaluate_ws(const tabrl_mdp *m, const tabrl_policy *pi, unsigned flags,
                             tabrl_oracle_workspace *ws, double *V)
{
  int status = prepare(m, pi, flags, ws);
  return status ? status : evaluate(m, pi, flags, ws, V);
}

void tabrl_oracle_q_from_values(const tabrl_mdp *m, const double *V, double *Q)
{
  int stages = tabrl_mdp_value_stages(m);
  double discount = m->horizon > 0 ? 1.0 : m->gamma;
  for (int h = 0; h < stages; h++) {
    const double *next_V = m->horizon > 0 ? V + (size_t)(h + 1) * m->S : V;
    for (int s = 0; s < m->S; s++)
      tabrl_oracle_backup(m, h, s, next_V, discount, Q + ((size_t)h * m->S + s) * m->A);
  }
}

int tabrl_oracle_q_pi(const tabrl_mdp *m, const tabrl_policy *pi, unsigned flags,
                      tabrl_oracle_workspace *ws, double *V, double *Q)
{
  int status = prepare(m, pi, flags, ws);
  if (status) return status;
  if (!V) V = ws->value;
  if ((status = evaluate(m, pi, flags, ws, V))) return status;
  tabrl_oracle_q_from_values(m, V, Q);
  return 0;
}

/* ---- occupancy ---- */

static int check_start(const tabrl_mdp *m, const double *start)
{
  double total = 0;
  for (int s = 0; s < m->S; s++) {
    if (!(start[s] >= 0 && start[s] <= 1 + 1e-9))
      return tabrl_error(TABRL_EINVAL, "occupancy: start(%d) = %g is not a probability", s,
                         start[s]);
    total += start[s];
  }
  if (fabs(total - 1.0) > 1e-9)
    return tabrl_error(TABRL_EINVAL, "occupancy: start distribution sums to %.17g, not 1", total);
  return 0;
}

/* d_{h+1}(s') = sum_s d_h(s) sum_a pi(a|h,s) p(s'|h,s,a), from d_0 = start. */
static void occupancy_forward(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                              double *d)
{
  int S = m->S;
  memcpy(d, start, (size_t)S * sizeof *d);
  for (int h = 0; h + 1 < m->horizon; h++) {
    const double *cur = d + (size_t)h * S;
    double *nxt = d + (size_t)(h + 1) * S;
    memset(nxt, 0, (size_t)S * sizeof *nxt);
    for (int s = 0; s < S; s++) {
      if (cur[s] == 0) continue;
      const double *w = tabrl_policy_row(pi, h, s);
      size_t b = tabrl_mdp_block(m, h, s, 0);
      for (int a = 0; a < m->A; a++, b++) {
        if (w[a] <= 0) continue;
        double mass = cur[s] * w[a];
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++) nxt[m->next[e]] += mass * m->prob[e];
      }
    }
  }
}

/* (I - gamma P_pi^T) d = start, iterating on the transposed rows. */
static int occupancy_discounted(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                unsigned flags, tabrl_oracle_workspace *ws, double *d)
{
  int S = m->S, status;
  double scale = 1 - m->gamma;
  build_policy_rows(m, pi, ws);
  transpose_rows(S, ws);
  memcpy(ws->rhs, start, (size_t)S * sizeof *ws->rhs);
  if (!(flags & TABRL_ORACLE_WARM_START))
    memset(d, 0, (size_t)S * sizeof *d);
  else if (flags & TABRL_ORACLE_NORMALIZED)
    for (int s = 0; s < S; s++) d[s] /= scale;
  sparse_system sys = {S, ws->trow, ws->tcol, ws->tval, ws->one_minus_diag, ws->rhs};
  if ((status = solve(&sys, m->gamma, 1, ws, d, "occupancy measure"))) return status;
  if (flags & TABRL_ORACLE_NORMALIZED)
    for (int s = 0; s < S; s++) d[s] *= scale;
  return 0;
}

int tabrl_oracle_occupancy(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                           unsigned flags, tabrl_oracle_workspace *ws, double *d)
{
  int status = prepare(m, pi, flags, ws);
  if (status) return status;
  if (!start)
    start = m->mu0;
  else if (!(flags & TABRL_ORACLE_UNCHECKED) && (status = check_start(m, start)))
    return status;
  if (m->horizon > 0) {
    occupancy_forward(m, pi, start, d);
    return 0;
  }
  return occupancy_discounted(m, pi, start, flags, ws, d);
}

int tabrl_oracle_occupancy_sa(const tabrl_mdp *m, const tabrl_policy *pi, const double *d,
                              double *d_sa)
{
  int stages = tabrl_mdp_value_stages(m);
  if (pi->S != m->S || pi->A != m->A || (pi->stages != 1 && pi->stages != stages))
    return tabrl_error(TABRL_EINVAL,
                       "occupancy: policy is %d x %d with %d stages, the model needs %d x %d with "
                       "1 or %d",
                       pi->S, pi->A, pi->stages, m->S, m->A, stages);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++) {
      const double *w = tabrl_policy_row(pi, h, s);
      double *out = d_sa + ((size_t)h * m->S + s) * m->A;
      for (int a = 0; a < m->A; a++) out[a] = d[(size_t)h * m->S + s] * w[a];
    }
  return 0;
}
