/* mean-variance:lambda, J(pi) = E[G] - lambda Var[G] of the return G.
 *
 * The value of a given policy (Markov, or of the stock model) comes from
 * its exact return distribution (tabrl/returns.h).  The optimum over
 * history-dependent policies uses
 *   E[G] - lambda Var[G] = max_c E[G - lambda (G - c)^2]   (at c = E[G]),
 * so that J* = max_c F(c), F(c) = max_pi E[G - lambda (G - c)^2], and for
 * each c the inner problem is an MDP on the stock model with the terminal
 * reward y - lambda (y - c)^2 on the augmented state of Bauerle and Ott
 * 2011 (the identity is Var G = min_c E[(G - c)^2]; embedding it in an MDP
 * is the idea of Li and Ng 2000, "Optimal dynamic portfolio selection:
 * multiperiod mean-variance formulation", whose text was not read here).
 *
 * The search over c is exact, not a grid: F(c) + lambda c^2 is the upper
 * envelope L(c) = max_pi [ E G - lambda E G^2 + 2 lambda c E G ] of lines,
 * convex and piecewise linear, and the MV-optimal policy attains F at its
 * own mean, so it is one of the envelope's pieces.  The pieces are found
 * by the usual parametric search for the upper envelope of lines given a
 * supporting-line oracle (each backward induction at c returns the line of
 * a policy optimal at c): solve at the two ends of the
 * return range, then at the intersection of two neighbouring pieces' lines;
 * a solve there that does not rise above them by more than 1e-12 (relative)
 * closes the interval, otherwise it is a new piece and both halves are
 * searched.  Each piece costs at most two backward inductions; J* is the
 * best MV among the pieces' policies, exact up to that tolerance.  The
 * search stops with an error after MV_MAX_SOLVES solves.  lambda = 0 is
 * the mean. */
#include <math.h>
#include <stdlib.h>
#include "oracle/stock.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"

#define MV_MAX_SOLVES 10000
#define MV_TOL 1e-12

typedef struct {
  double lambda, c;
} mv_target;

static double mv_terminal(const void *ctx, double y)
{
  const mv_target *t = ctx;
  return y - t->lambda * (y - t->c) * (y - t->c);
}

/* A piece: the policy optimal at c, with the mean and second moment of
 * its return; its line is L(x) = mean - lambda second + 2 lambda x mean. */
typedef struct {
  double c, mean, second;
} mv_piece;

typedef struct {
  tabrl_stock_work *w;
  double lambda;
  const double *start;
  tabrl_atom *atoms;
  int solves;
} mv_search;

static double mv_line(const mv_search *q, const mv_piece *p, double x)
{
  return p->mean - q->lambda * p->second + 2 * q->lambda * x * p->mean;
}

static double mv_of_piece(const mv_search *q, const mv_piece *p)
{
  return p->mean - q->lambda * (p->second - p->mean * p->mean);
}

static int mv_solve_at(mv_search *q, double c, mv_piece *out)
{
  mv_target t = {q->lambda, c};
  if (++q->solves > MV_MAX_SOLVES)
    return tabrl_error(TABRL_ENUMERIC,
                       "the search over c did not close within %d backward inductions",
                       MV_MAX_SOLVES);
  int status = tabrl_stock_backward(q->w, mv_terminal, &t);
  if (status) return status;
  size_t n = tabrl_stock_distribution(q->w, NULL, q->start, q->atoms);
  if (n == (size_t)-1) return TABRL_ENOMEM;
  out->c = c;
  out->mean = out->second = 0;
  for (size_t i = 0; i < n; i++) {
    out->mean += q->atoms[i].prob * q->atoms[i].value;
    out->second += q->atoms[i].prob * q->atoms[i].value * q->atoms[i].value;
  }
  return 0;
}

/* The best mean-variance value from start and the c (its mean) of the
 * policy attaining it. */
static int mv_envelope(mv_search *q, double *best, double *best_c)
{
  const tabrl_stock_work *w = q->w;
  double lo = (double)w->finals[0] * w->g.quantum;
  double hi = (double)w->finals[w->nfinals - 1] * w->g.quantum;
  size_t cap = 2 * MV_MAX_SOLVES + 2, top = 0;
  mv_piece *stack = malloc(cap * sizeof *stack), left, right;
  int status = 0;
  if (!stack) return tabrl_error(TABRL_ENOMEM, "out of memory");
  q->solves = 0;
  if ((status = mv_solve_at(q, lo, &left)) || (status = mv_solve_at(q, hi, &right))) goto done;
  *best = mv_of_piece(q, &left), *best_c = left.mean;
  if (mv_of_piece(q, &right) > *best) *best = mv_of_piece(q, &right), *best_c = right.mean;
  stack[top++] = left;
  stack[top++] = right;
  while (top >= 2) {
    mv_piece b = stack[--top], a = stack[--top], mid;
    double slope = 2 * q->lambda * (b.mean - a.mean);
    if (!(slope > MV_TOL * fmax(1, fabs(2 * q->lambda * b.mean)))) continue;
    double x = (mv_line(q, &a, 0) - mv_line(q, &b, 0)) / slope;
    if (!(x > a.c && x < b.c)) continue;
    if ((status = mv_solve_at(q, x, &mid))) goto done;
    double above = mv_line(q, &mid, x), base = mv_line(q, &a, x);
    if (above <= base + MV_TOL * fmax(1, fabs(base))) continue;
    if (mv_of_piece(q, &mid) > *best) *best = mv_of_piece(q, &mid), *best_c = mid.mean;
    stack[top++] = a;
    stack[top++] = mid;
    stack[top++] = mid;
    stack[top++] = b;
  }
done:
  free(stack);
  return status;
}

static int mv_solve(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                    tabrl_stock_solution *sol, double *J)
{
  tabrl_stock_work w;
  int status = tabrl_stock_work_init(&w, m);
  mv_search q = {&w, o->param, m->mu0, NULL, 0};
  double *start = NULL, c = 0;
  if (!status) {
    q.atoms = malloc(w.nfinals * sizeof *q.atoms);
    start = calloc((size_t)m->S, sizeof *start);
    if (!q.atoms || !start) status = tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  for (int s = -1; !status && s < (V ? m->S : 0); s++) {
    double best = 0;
    if (s >= 0) start[s] = 1;
    q.start = s < 0 ? m->mu0 : start;
    status = mv_envelope(&q, &best, s < 0 ? &c : &(double){0});
    if (s < 0)
      *J = best;
    else
      V[s] = best, start[s] = 0;
  }
  if (!status && V)
    for (size_t i = (size_t)m->S; i < ((size_t)m->horizon + 1) * (size_t)m->S; i++) V[i] = NAN;
  mv_target t = {o->param, c};
  if (!status && sol && !(status = tabrl_stock_backward(&w, mv_terminal, &t))) {
    size_t n = ((size_t)m->horizon + 1) * (size_t)m->S * (size_t)w.g.K;
    tabrl_stock_policy_fill(&w, sol->pi);
    for (size_t i = 0; i < n; i++) sol->value[i] = w.reach[i] ? w.W[i] : NAN;
    sol->threshold = c;
  }
  free(q.atoms);
  free(start);
  tabrl_stock_work_free(&w);
  return status;
}

static int mv_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V, tabrl_policy *pi,
                      double *J)
{
  (void)pi; /* augmented: no Markov policy of m is optimal in general */
  return mv_solve(o, m, V, NULL, J);
}

static int mv_stock_optimum(const tabrl_objective *o, const tabrl_mdp *m, tabrl_stock_solution *sol,
                            double *J)
{
  return mv_solve(o, m, NULL, sol, J);
}

static double mv_of(const void *ctx, tabrl_atom *atoms, size_t n)
{
  double lambda = *(const double *)ctx, mean = 0, var = 0;
  for (size_t i = 0; i < n; i++) mean += atoms[i].prob * atoms[i].value;
  for (size_t i = 0; i < n; i++)
    var += atoms[i].prob * (atoms[i].value - mean) * (atoms[i].value - mean);
  return mean - lambda * var;
}

static int mv_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi, double *V,
                    double *J)
{
  return tabrl_stock_value(m, pi, mv_of, &o->param, V, J);
}

static int mv_work_value(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                         const tabrl_policy *pi, unsigned flags, double *V, double *J)
{
  (void)m;
  return tabrl_stock_value_kept(work, pi, flags, mv_of, &o->param, V, J);
}

static const tabrl_param mv_params[] = {
    {"lambda", TABRL_DOUBLE, NULL, "[0,inf)", "weight of the variance (0 = the mean)"},
    {0},
};

const tabrl_objective_type tabrl_objective_mean_variance = {
    .name = "mean-variance",
    .doc = "E[G] - lambda Var[G] = max_c E[G - lambda (G - c)^2], optimised over "
           "history-dependent policies by stock augmentation (episodic, rewards on a grid)",
    .source = "Markowitz 1952, Portfolio selection; Li and Ng 2000, Optimal dynamic portfolio "
              "selection: multiperiod mean-variance formulation (the embedding over c); Bauerle "
              "and Ott 2011, Markov decision processes with average-value-at-risk criteria "
              "(the stock-augmented state)",
    .params = mv_params,
    .augmented = 1,
    .optimum = mv_optimum,
    .value = mv_value,
    .work_alloc = tabrl_stock_value_work_alloc,
    .work_reset = tabrl_stock_value_work_reset,
    .work_value = mv_work_value,
    .work_free = tabrl_stock_value_work_free,
    .stock_optimum = mv_stock_optimum,
};
