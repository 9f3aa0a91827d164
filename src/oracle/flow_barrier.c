/* The log-barrier method of oracle/flow_barrier.h.
 *
 * Each centering step minimises phi(x) = -t F(x) - sum_i log x_i subject to
 * E x = b (the flow constraints of the reachable (h, s)) by Newton's
 * method: the KKT system
 *   [t (-grad^2 F) + diag(1/x^2)   E^T] [dx]   [-grad phi]
 *   [E                              0 ] [w ] = [b - E x  ]
 * (Boyd and Vandenberghe 2004, section 10.3, infeasible start: the uniform
 * occupancy from the oracle's iterative solve satisfies E x = b only to its
 * tolerance), a backtracking line search that keeps x > 0, and the
 * Newton decrement lambda^2 = dx^T grad^2 phi dx below max(1e-10, 2e-13 t)
 * as the centering test: phi - phi* ~ lambda^2 / 2 is t times the error in
 * F, so the centre is missed by at most 1e-13 in F (the digits of phi,
 * of order t, allow no tighter test at the largest t).  Dense LU (GSL): the programs are small, and
 * a sparse KKT solve would be a dependency for no gain at these sizes. */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include "oracle/flow_barrier.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"

typedef struct {
  tabrl_flow_vars v;
  int rows;
  int *row_of;                /* stages*S: constraint row of (h, s), -1 unreachable */
  double *d;                  /* stages*S uniform occupancy */
  gsl_matrix *E, *K, *K0, *C; /* C: t (-grad^2 F), for the decrement */
  gsl_vector *b, *x, *g, *rhs, *sol, *trial, *res, *fix;
  gsl_permutation *perm;
} flow_work;

static void work_free(flow_work *w)
{
  free(w->v.h), free(w->v.s), free(w->v.a), free(w->row_of), free(w->d);
  gsl_matrix_free(w->E), gsl_matrix_free(w->K), gsl_matrix_free(w->K0), gsl_matrix_free(w->C);
  gsl_vector_free(w->b), gsl_vector_free(w->x), gsl_vector_free(w->g);
  gsl_vector_free(w->rhs), gsl_vector_free(w->sol), gsl_vector_free(w->trial);
  gsl_vector_free(w->res), gsl_vector_free(w->fix);
  gsl_permutation_free(w->perm);
}

/* The reachable (h, s) (positive occupancy under the uniform policy, which
 * reaches whatever some policy reaches), the variables, E and b. */
static int work_init(flow_work *w, const tabrl_mdp *m)
{
  int stages = tabrl_mdp_value_stages(m), S = m->S, A = m->A, status;
  size_t hs = (size_t)stages * (size_t)S;
  tabrl_policy *uniform = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  w->d = malloc(hs * sizeof *w->d);
  w->row_of = malloc(hs * sizeof *w->row_of);
  if (!uniform || !ws || !w->d || !w->row_of) {
    tabrl_policy_free(uniform), tabrl_oracle_workspace_free(ws);
    return tabrl_error(TABRL_ENOMEM, "occupancy program: out of memory");
  }
  tabrl_policy_set_uniform(uniform, m);
  status = tabrl_oracle_occupancy(m, uniform, NULL, TABRL_ORACLE_NORMALIZED, ws, w->d);
  tabrl_policy_free(uniform), tabrl_oracle_workspace_free(ws);
  if (status) return status;
  int n = 0;
  w->rows = 0;
  for (size_t i = 0; i < hs; i++) {
    w->row_of[i] = w->d[i] > 0 ? w->rows++ : -1;
    if (w->d[i] > 0)
      for (int a = 0; a < A; a++)
        n += tabrl_mdp_valid(m, (int)(i / (size_t)S), (int)(i % (size_t)S), a);
  }
  if (n + w->rows > TABRL_FLOW_MAX_SIZE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "occupancy program of %d variables and %d constraints: more than %d "
                       "(dense Newton systems)",
                       n, w->rows, TABRL_FLOW_MAX_SIZE);
  w->v.n = n, w->v.stages = stages;
  w->v.h = malloc((size_t)n * sizeof(int));
  w->v.s = malloc((size_t)n * sizeof(int));
  w->v.a = malloc((size_t)n * sizeof(int));
  size_t N = (size_t)n + (size_t)w->rows;
  w->E = gsl_matrix_calloc((size_t)w->rows, (size_t)n);
  w->K = gsl_matrix_alloc(N, N);
  w->K0 = gsl_matrix_alloc(N, N);
  w->res = gsl_vector_alloc(N);
  w->fix = gsl_vector_alloc(N);
  w->C = gsl_matrix_alloc((size_t)n, (size_t)n);
  w->b = gsl_vector_calloc((size_t)w->rows);
  w->x = gsl_vector_alloc((size_t)n);
  w->g = gsl_vector_alloc((size_t)n);
  w->trial = gsl_vector_alloc((size_t)n);
  w->rhs = gsl_vector_alloc(N);
  w->sol = gsl_vector_alloc(N);
  w->perm = gsl_permutation_alloc(N);
  if (!w->v.h || !w->v.s || !w->v.a || !w->E || !w->K || !w->K0 || !w->res || !w->fix || !w->C ||
      !w->b || !w->x || !w->g || !w->trial || !w->rhs || !w->sol || !w->perm)
    return tabrl_error(TABRL_ENOMEM, "occupancy program: out of memory");
  int i = 0;
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < S; s++) {
      size_t at = (size_t)h * (size_t)S + (size_t)s;
      int r = w->row_of[at], valid = 0;
      if (r < 0) continue;
      for (int a = 0; a < A; a++) valid += tabrl_mdp_valid(m, h, s, a);
      if (h == 0)
        gsl_vector_set(w->b, (size_t)r, m->horizon > 0 ? m->mu0[s] : (1 - m->gamma) * m->mu0[s]);
      for (int a = 0; a < A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        w->v.h[i] = h, w->v.s[i] = s, w->v.a[i] = a;
        gsl_vector_set(w->x, (size_t)i, w->d[at] / valid);
        *gsl_matrix_ptr(w->E, (size_t)r, (size_t)i) += 1;
        size_t blk = tabrl_mdp_block(m, h, s, a);
        for (size_t k = m->row[blk]; k < m->row[blk + 1]; k++) {
          int to =
              m->horizon > 0
                  ? (h + 1 < stages ? w->row_of[(size_t)(h + 1) * (size_t)S + (size_t)m->next[k]]
                                    : -1)
                  : w->row_of[m->next[k]];
          if (to >= 0)
            *gsl_matrix_ptr(w->E, (size_t)to, (size_t)i) -=
                m->horizon > 0 ? m->prob[k] : m->gamma * m->prob[k];
        }
        i++;
      }
    }
  return 0;
}

/* phi(x) = -t F(x) - sum log x; +inf outside x > 0. */
static double barrier(const tabrl_flow_utility *F, const tabrl_flow_vars *v, const gsl_vector *x,
                      double t)
{
  double logs = 0;
  for (int i = 0; i < v->n; i++) {
    double xi = gsl_vector_get(x, (size_t)i);
    if (!(xi > 0)) return INFINITY;
    logs += log(xi);
  }
  return -t * F->value(F->ctx, v, x->data) - logs;
}

/* One Newton step of the centering problem at t; *decrement receives
 * lambda^2.  Returns TABRL_ENUMERIC when the KKT system is singular. */
static int newton_step(flow_work *w, const tabrl_flow_utility *F, double t, double *decrement)
{
  size_t n = (size_t)w->v.n, N = n + (size_t)w->rows;
  gsl_matrix_set_zero(w->K);
  gsl_matrix_set_zero(w->C);
  F->curvature(F->ctx, &w->v, w->x->data, t, w->C);
  gsl_matrix_view H = gsl_matrix_submatrix(w->K, 0, 0, n, n);
  gsl_matrix_memcpy(&H.matrix, w->C);
  F->gradient(F->ctx, &w->v, w->x->data, w->g->data);
  /* Solved in the scaled step du = dx / x: the barrier's curvature
   * diag(1/x^2) becomes the identity, which keeps the system well
   * conditioned when some x_i fall to 1/t near the boundary. */
  for (size_t i = 0; i < n; i++) {
    double xi = gsl_vector_get(w->x, i);
    for (size_t j = 0; j < n; j++) *gsl_matrix_ptr(w->K, i, j) *= xi * gsl_vector_get(w->x, j);
    *gsl_matrix_ptr(w->K, i, i) += 1;
    gsl_vector_set(w->rhs, i, t * xi * gsl_vector_get(w->g, i) + 1); /* -x grad phi */
  }
  for (size_t r = 0; r < (size_t)w->rows; r++) {
    double ex = 0;
    for (size_t i = 0; i < n; i++) {
      double e = gsl_matrix_get(w->E, r, i), xi = gsl_vector_get(w->x, i);
      gsl_matrix_set(w->K, n + r, i, e * xi);
      gsl_matrix_set(w->K, i, n + r, e * xi);
      ex += e * xi;
    }
    gsl_vector_set(w->rhs, n + r, gsl_vector_get(w->b, r) - ex);
  }
  /* LU with two rounds of iterative refinement (Golub and Van Loan 2013,
   * section 3.5.3): at large t the system's condition number grows like
   * t, and the refinement recovers the digits the plain solve loses. */
  int sign;
  gsl_matrix_memcpy(w->K0, w->K);
  if (gsl_linalg_LU_decomp(w->K, w->perm, &sign) ||
      gsl_linalg_LU_solve(w->K, w->perm, w->rhs, w->sol))
    return tabrl_error(TABRL_ENUMERIC, "occupancy program: singular Newton system");
  for (int round = 0; round < 2; round++) {
    gsl_vector_memcpy(w->res, w->rhs);
    gsl_blas_dgemv(CblasNoTrans, -1, w->K0, w->sol, 1, w->res);
    if (gsl_linalg_LU_solve(w->K, w->perm, w->res, w->fix)) break;
    gsl_vector_add(w->sol, w->fix);
  }
  for (size_t i = 0; i < n; i++) /* du -> dx */
    gsl_vector_set(w->sol, i, gsl_vector_get(w->sol, i) * gsl_vector_get(w->x, i));
  double lambda2 = 0, phi = barrier(F, &w->v, w->x, t), step = 1;
  /* lambda^2 = dx^T grad^2 phi dx, as a sum of squares: the equal
   * -grad phi . dx cancels large terms (t grad F against the multipliers)
   * and drowns in their rounding. */
  for (size_t i = 0; i < n; i++) {
    double du = gsl_vector_get(w->sol, i) / gsl_vector_get(w->x, i), cx = 0;
    for (size_t j = 0; j < n; j++) cx += gsl_matrix_get(w->C, i, j) * gsl_vector_get(w->sol, j);
    lambda2 += du * du + gsl_vector_get(w->sol, i) * cx;
  }
  if (!isfinite(lambda2))
    return tabrl_error(TABRL_ENUMERIC, "occupancy program: Newton step not finite");
  /* Backtracking (section 9.2, alpha = 1/4, beta = 1/2) on phi, far from
   * the centre; near it (lambda^2 < 1/100, the quadratically convergent
   * phase of a self-concordant barrier, section 9.6) only x > 0 is kept:
   * there phi = -t F - sum log x is of order t and its rounding hides the
   * decrease the Armijo test asks for. */
  for (int tries = 0; tries < 60; tries++, step /= 2) {
    for (size_t i = 0; i < n; i++)
      gsl_vector_set(w->trial, i, gsl_vector_get(w->x, i) + step * gsl_vector_get(w->sol, i));
    double next = barrier(F, &w->v, w->trial, t);
    if (isfinite(next) && (lambda2 < 0.01 || next <= phi - 0.25 * step * lambda2)) break;
  }
  for (size_t i = 0; i < n; i++)
    if (gsl_vector_get(w->trial, i) > 0) gsl_vector_set(w->x, i, gsl_vector_get(w->trial, i));
  (void)N;
  *decrement = fabs(lambda2);
  return 0;
}

int tabrl_flow_maximize(const tabrl_mdp *m, const tabrl_flow_utility *F, tabrl_policy *pi,
                        double *gap)
{
  flow_work w = {0};
  int status = work_init(&w, m), steps = 0;
  double t = 1;
  while (!status) {
    double decrement = INFINITY;
    for (int k = 0; k < 100 && decrement > fmax(1e-10, 2e-13 * t) && !status; k++, steps++)
      status = newton_step(&w, F, t, &decrement);
    if (status) break;
    if (w.v.n / t < 1e-10) break;
    t *= 8;
    if (steps > 5000) status = tabrl_error(TABRL_ENUMERIC, "occupancy program: no convergence");
  }
  if (!status) {
    *gap = w.v.n / t;
    tabrl_policy_set_uniform(pi, m);
    for (int i = 0; i < w.v.n;) {
      int h = w.v.h[i], s = w.v.s[i], j;
      double total = 0;
      double *row = tabrl_policy_row(pi, h, s);
      for (j = i; j < w.v.n && w.v.h[j] == h && w.v.s[j] == s; j++)
        total += gsl_vector_get(w.x, (size_t)j);
      for (int a = 0; a < m->A; a++) row[a] = 0;
      for (; i < j; i++) row[w.v.a[i]] = gsl_vector_get(w.x, (size_t)i) / total;
    }
  }
  work_free(&w);
  return status;
}
