/* tabrl/returns.h: exact return distributions and the stock-augmented
 * model of an episodic MDP.
 *
 * The return G = r_0 + ... + r_{H-1} of an episodic model whose rewards all
 * lie on a grid (integer multiples of a quantum q) takes finitely many
 * values, and the accumulated reward y_h = r_0 + ... + r_{h-1}, the
 * "stock", is an integer number of quanta.  The stock-augmented model has
 * the states (s, y) (Bauerle and Ott 2011, "Markov decision processes with
 * average-value-at-risk criteria", section 3): a policy of (h, s, y) can
 * act on the history through y, which is what the CVaR and mean-variance
 * optima need, and the distribution of G is the distribution of the
 * terminal stock y_H.  Everything here is exact: stocks are integers, the
 * probabilities are sums of products of the model's.
 *
 * Augmented states are dense: index i = s K + (u - lo) for the stock u q
 * with lo <= u <= hi, K = hi - lo + 1, so that a learner that knows the
 * grid (q, lo, hi), which depends on the reward values only, shapes its
 * policies like the oracle does.  A policy of the stock model is a
 * tabrl_policy of S K states and H stages. */
#ifndef TABRL_RETURNS_H
#define TABRL_RETURNS_H

#include <stddef.h>
#include "tabrl/mdp.h"
#include "tabrl/policy.h"

#pragma GCC visibility push(default)

/* One atom of a finite distribution: value with probability prob. */
typedef struct {
  double value;
  double prob;
} tabrl_atom;

/* Lower-tail CVaR_alpha, alpha in (0, 1]: the mean of the worst alpha
 * fraction of the mass (Rockafellar and Uryasev 2002, "Conditional
 * value-at-risk for general loss distributions", the discrete case),
 * splitting the atom at the alpha-quantile.  Sorts atoms by value in place.
 * Rounding in the masses is absorbed by taking alpha of the total mass, so
 * alpha = 1 is the mean of the atoms. */
double tabrl_cvar_lower(tabrl_atom *atoms, size_t n, double alpha);

/* Distances between two finite distributions on the real line, each a
 * list of atoms in any order (not modified) whose masses are normalised by
 * their total; with F and G their CDFs and F^-1, G^-1 their quantile
 * functions:
 *   W1     = integral |F(x) - G(x)| dx,
 *   W2     = (integral_0^1 (F^-1(u) - G^-1(u))^2 du)^(1/2),
 *   Cramer = (integral (F(x) - G(x))^2 dx)^(1/2), the l2 distance between
 *            CDFs of Rowland et al. 2018 (with the square root),
 *   KS     = sup_x |F(x) - G(x)|.
 * Exact (the integrands are piecewise constant), O((na + nb) log(na + nb)).
 * NaN, with the message set, when out of memory or a list is empty. */
double tabrl_dist_w1(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb);
double tabrl_dist_w2(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb);
double tabrl_dist_cramer(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb);
double tabrl_dist_ks(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb);

/* Largest number of augmented values, (H + 1) S K, that the stock model may
 * hold (about 160 MB of doubles): beyond it the objectives that need it
 * refuse the model and say why. */
#define TABRL_STOCK_MAX_VALUES 20000000L

/* Rewards on a grid: every reward r is within TOL q of an integer multiple
 * u q of the quantum (returns are then sums of u q: exact for rewards
 * exactly on the grid, within H TOL q otherwise), and max |r| is at most
 * MAX_QUANTA quanta. */
#define TABRL_STOCK_GRID_TOL 1e-9
#define TABRL_STOCK_MAX_QUANTA 1000000L

/* The stock grid of an episodic model. */
typedef struct {
  double quantum; /* q > 0 (1 when every reward is 0) */
  long lo, hi;    /* every stock y_h, h = 0..H, lies in [lo q, hi q]; lo <= 0 <= hi */
  long K;         /* hi - lo + 1 */
  int S, A, horizon;
  int stages; /* of the stock model's policies: H */
} tabrl_stock_grid;

/* The grid of m: its largest quantum q (the approximate greatest common
 * divisor of the reward values) and the stock range [H min(0, rmin),
 * H max(0, rmax)].  Refuses (TABRL_EUNSUPPORTED, a message that names the
 * reason and, for rewards off any grid, some of the reward values) a
 * discounted model, reward noise, rewards on no grid of at most
 * TABRL_STOCK_MAX_QUANTA quanta, and a stock model above
 * TABRL_STOCK_MAX_VALUES. */
int tabrl_stock_grid_of(const tabrl_mdp *m, tabrl_stock_grid *g);

/* A reward's number of quanta. */
long tabrl_stock_units(const tabrl_stock_grid *g, double reward);

/* Index of the augmented state (s, u q), or -1 when u is off the grid. */
static inline long tabrl_stock_index(const tabrl_stock_grid *g, int s, long u)
{
  if (u < g->lo || u > g->hi) return -1;
  return (long)s * g->K + (u - g->lo);
}

/* The state and stock units of augmented state i. */
static inline int tabrl_stock_state(const tabrl_stock_grid *g, long i)
{
  return (int)(i / g->K);
}
static inline long tabrl_stock_stock(const tabrl_stock_grid *g, long i)
{
  return i % g->K + g->lo;
}

/* The number of augmented states (h, s, y), h = 0..H, that some policy
 * reaches from some (s, 0) at h = 0: the part of the (H+1) S K box the
 * solvers visit.  Negative status (message set) on a model with no grid. */
long tabrl_stock_reachable(const tabrl_mdp *m);

/* A policy of the stock model (S K states, H stages), zeroed. */
tabrl_policy *tabrl_stock_policy_alloc(const tabrl_stock_grid *g);

/* Checks that pi is a policy of m (Markov: S states) or of its stock model
 * (S K states, H stages), every row a distribution over the valid actions
 * of its state; returns 1 for a stock policy, 0 for a Markov one, or a
 * negative status with the message set. */
int tabrl_stock_policy_kind(const tabrl_mdp *m, const tabrl_stock_grid *g, const tabrl_policy *pi);

/* The exact distribution of the return of pi from start (S values, NULL
 * for m's mu0): *atoms (malloc'd, owned by the caller) receives the
 * distinct returns in increasing order with their probabilities
 * (zero-mass returns omitted), *n their number.  On a grid model pi is a
 * Markov policy of m or a policy of its stock model, and the law comes from
 * forward propagation over (h, s, y): O(H S K entries) time, O(S K)
 * memory, exact.  Any other model without reward noise takes the general
 * path of tabrl_return_distribution_opt with the default options (Markov
 * policies only). */
int tabrl_return_distribution(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                              tabrl_atom **atoms, size_t *n);

/* Defaults of tabrl_returns_options. */
#define TABRL_RETURNS_REL_TOL 1e-12
#define TABRL_RETURNS_MAX_ATOMS 1000000
#define TABRL_RETURNS_EPS 1e-6

/* Options of the general path.  Two returns x <= y reached in the same
 * state at the same stage count as equal when y - x <= rel_tol max(1, |x|)
 * (x the smallest of the group): the group becomes one atom at the
 * probability-weighted mean of its returns, so sums of the same rewards in
 * another order, which floating point may round differently, are one atom.
 * max_atoms bounds the (state, return) atoms alive at one stage over all
 * states: above it the call fails (TABRL_EUNSUPPORTED, the message names
 * the stage and the budget) rather than return an approximation.  eps is
 * the truncation tolerance of a discounted model. */
typedef struct {
  double rel_tol;   /* >= 0; default TABRL_RETURNS_REL_TOL */
  size_t max_atoms; /* >= 1; default TABRL_RETURNS_MAX_ATOMS */
  double eps;       /* > 0; default TABRL_RETURNS_EPS */
} tabrl_returns_options;

/* What a call computed. */
typedef struct {
  int horizon;      /* stages propagated: H, or the truncation T of a discounted model */
  double bound;     /* discounted: gamma^T R_max / (1 - gamma), 0 for an episodic model */
  int grid;         /* 1 when the stock grid's path served the call */
  size_t max_alive; /* general path: most (state, return) atoms alive at one stage */
} tabrl_returns_report;

tabrl_returns_options tabrl_returns_options_default(void);

/* tabrl_return_distribution with options (NULL: the defaults) and a report
 * (may be NULL).  An episodic model whose rewards lie on the stock grid
 * (tabrl_stock_grid_of) takes the grid path, exact and unaffected by the
 * options; any other model without reward noise, with a Markov policy of
 * m, takes forward propagation over (state, accumulated return), merging
 * equal returns per state at every stage (see tabrl_returns_options): the
 * atoms are the exact law up to the merging tolerance.  A discounted model
 * is truncated at the smallest T >= 1 with gamma^T R_max / (1 - gamma) <=
 * eps, R_max = max |r|: every atom is the return G_T = sum_{t<T} gamma^t
 * r_t, and |G - G_T| <= that bound on every trajectory, so the W1 and sup
 * distances to the law of G are at most the bound.  Refused
 * (TABRL_EUNSUPPORTED): continuous reward noise, a stock policy off the
 * grid, the atom budget exceeded; TABRL_EINVAL: bad options or policy. */
int tabrl_return_distribution_opt(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                  const tabrl_returns_options *opt, tabrl_atom **atoms, size_t *n,
                                  tabrl_returns_report *report);

/* Default atom budget of tabrl_joint_return_distribution. */
#define TABRL_JOINT_MAX_ATOMS 1000000

/* The exact joint distribution of the vector return G = sum_h r_vec_h of
 * pi (a Markov policy of m, S states) from start (S values, NULL for mu0)
 * on an episodic model with a vector reward (d = m->reward_dim >= 1):
 * forward propagation over (h, s, accumulated vector), atoms with equal
 * (s, vector) merged at every stage, then equal vectors merged across
 * states.  Vectors whose components agree within a relative 1e-12 (of
 * max(1, |x|)) count as equal, since sums in a different order may differ
 * in the last bits.  *values (n d values, vector i at i d) and *probs (n)
 * are malloc'd and owned by the caller, vectors in lexicographic order.
 * Refused (TABRL_EUNSUPPORTED, message set): a model without a vector
 * reward, a discounted model, reward noise, and more than max_atoms
 * (state, vector) atoms at some stage (max_atoms 0: TABRL_JOINT_MAX_ATOMS),
 * so a distribution is never silently truncated. */
int tabrl_joint_return_distribution(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                    size_t max_atoms, double **values, double **probs, size_t *n);

/* The occupancy of the augmented states under pi (a Markov policy of m or
 * a stock policy, not checked) from mu0: d[(h S + s) K + u - lo] =
 * P(s_h = s, y_h = u q), h = 0..H-1 (H S K values, the caller's). */
void tabrl_stock_occupancy(const tabrl_mdp *m, const tabrl_stock_grid *g, const tabrl_policy *pi,
                           double *d);

/* The optimum of an augmented objective (tabrl_objective_stock_optimum):
 * an optimal stock policy for J* from mu0, the value of every augmented
 * state reachable from some (s, stock 0) at h = 0 (NaN elsewhere) and the
 * threshold c the objective optimised over (cvar: the alpha-quantile of the
 * optimal return, the c of sup_c { c - E[(c - G)^+] / alpha }; mean-variance:
 * the c of max_c E[G - lambda (G - c)^2], the optimal policy's mean). */
typedef struct {
  tabrl_stock_grid grid;
  tabrl_policy *pi; /* S K states, H stages */
  double *value;    /* (H+1) S K: value[(h S + s) K + u - lo] */
  double threshold;
} tabrl_stock_solution;

/* Memory for the solution on m's grid; NULL with the message set (errors of
 * tabrl_stock_grid_of, or out of memory). */
tabrl_stock_solution *tabrl_stock_solution_alloc(const tabrl_mdp *m);
void tabrl_stock_solution_free(tabrl_stock_solution *sol);

#pragma GCC visibility pop

#endif
