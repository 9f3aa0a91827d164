/* oracle/stock.h: backward induction on the stock-augmented model with a
 * terminal value of the return, the engine of the augmented objectives
 * (cvar, mean-variance).  Private to src/oracle, its tests and the
 * runner's distance columns (src/run/run_one.c, which keeps a work across
 * checkpoints); the grid and return distributions are public
 * (tabrl/returns.h). */
#ifndef TABRL_ORACLE_STOCK_H
#define TABRL_ORACLE_STOCK_H

#include "tabrl/mdp.h"
#include "tabrl/objective.h"
#include "tabrl/policy.h"
#include "tabrl/returns.h"

typedef struct {
  const tabrl_mdp *m;
  tabrl_stock_grid g;
  long *units;          /* per CSR entry: its reward in quanta */
  unsigned char *reach; /* (H+1) S K: reachable from some (s, 0) at h = 0 */
  /* The reachable augmented states of stage h, increasing:
   * list[first[h]] .. list[first[h+1] - 1], h = 0..H; the loops run over
   * these, a few percent of the S K box on the catalogue's models. */
  long *list;
  size_t *first;
  int *act;     /* per list position (h < H): the greedy action of the last backward */
  double *W;    /* (H+1) S K values of the last backward induction (reachable entries) */
  long *finals; /* the distinct reachable terminal stocks, increasing */
  size_t nfinals;
} tabrl_stock_work;

/* Grid, entry units, reachability and value memory for m; errors as
 * tabrl_stock_grid_of, or TABRL_ENOMEM.  Free with tabrl_stock_work_free
 * (also after a failed init). */
int tabrl_stock_work_init(tabrl_stock_work *w, const tabrl_mdp *m);
void tabrl_stock_work_free(tabrl_stock_work *w);

/* W_H(s, y) = terminal(ctx, y); W_h(i) = max_a sum p W_h+1(next) at every
 * reachable augmented state (the others are not written), the greedy
 * action (lowest on ties) in act.  TABRL_ENOMEM on the first call if W
 * cannot be allocated. */
int tabrl_stock_backward(tabrl_stock_work *w, double (*terminal)(const void *ctx, double y),
                         const void *ctx);

/* The greedy actions of the last backward induction as a stock policy (the
 * lowest valid action at unreachable states). */
void tabrl_stock_policy_fill(const tabrl_stock_work *w, tabrl_policy *pi);

/* W_0 at (s, stock 0). */
static inline double tabrl_stock_start(const tabrl_stock_work *w, int s)
{
  return w->W[tabrl_stock_index(&w->g, s, 0)];
}

/* The exact distribution of the return of pi (Markov or stock policy,
 * already checked; NULL for the greedy actions of the last backward
 * induction) from start (S values): atoms (nfinals entries, the caller's)
 * get the probability of each reachable terminal stock; returns the number
 * of atoms with positive mass, compacted to the front, or (size_t)-1 when
 * out of memory. */
size_t tabrl_stock_distribution(const tabrl_stock_work *w, const tabrl_policy *pi,
                                const double *start, tabrl_atom *atoms);

/* The grid path of tabrl_return_distribution: the stock grid of m (its
 * errors when m has none), the policy checked, the atoms of
 * tabrl_stock_distribution in a malloc'd array. */
int tabrl_stock_return_distribution(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                    tabrl_atom **atoms, size_t *n);

/* The value of a policy under a functional of its return distribution:
 * J = functional(law from mu0) and, when V is not NULL, V[s] =
 * functional(law from s) for h = 0 and NaN at later stages.  pi is a
 * Markov policy of m or a policy of its stock model (checked here). */
int tabrl_stock_value(const tabrl_mdp *m, const tabrl_policy *pi,
                      double (*functional)(const void *ctx, tabrl_atom *atoms, size_t n),
                      const void *ctx, double *V, double *J);

/* tabrl_stock_value's work kept across calls for one model (the
 * augmented objectives' tabrl_objective_type work_* functions): the stock
 * work, the atoms and the two layers of the distribution (zero between
 * calls), so that a value allocates nothing. */
typedef struct {
  const tabrl_mdp *m;
  tabrl_stock_work w;
  tabrl_atom *atoms;
  double *start, *now, *next;
  int stale; /* m's rewards changed: the stock work is rebuilt at the next value */
} tabrl_stock_value_work;

/* For m (o unused: the work is the same for every augmented objective).
 * NULL and a message on failure. */
void *tabrl_stock_value_work_alloc(const tabrl_objective *o, const tabrl_mdp *m);
void tabrl_stock_value_work_free(void *work);
/* m's rewards or probabilities changed: the grid, units and reachability
 * depend on them, so they are rebuilt (allocating) at the next value. */
void tabrl_stock_value_work_reset(void *work, const tabrl_objective *o, const tabrl_mdp *m);
/* tabrl_stock_value with the kept work, the same bits; flags:
 * TABRL_ORACLE_UNCHECKED checks pi's shape only (a policy of m or of its
 * stock model), not its rows. */
int tabrl_stock_value_kept(void *work, const tabrl_policy *pi, unsigned flags,
                           double (*functional)(const void *ctx, tabrl_atom *atoms, size_t n),
                           const void *ctx, double *V, double *J);

#endif
