/* algos/linear/lsvi.h: least-squares value iteration on aggregated data
 * (private to the linear family: lsvi-ucb and the linear form of pevi).
 *
 * Both algorithms regress, for every stage h, the targets
 * r + max_a Q_{h+1}(s', a) on phi(s, a) with ridge parameter lambda:
 *
 *   Lambda_h = lambda I + sum_t phi_t phi_t^T,
 *   w_h      = Lambda_h^-1 sum_t phi_t (r_t + V_{h+1}(s'_t)),
 *   Q_h(s,a) = clip(w_h^T phi(s,a) + bonus sqrt(phi^T Lambda_h^-1 phi)),
 *
 * bonus > 0 optimistic (LSVI-UCB, clip: min(H, .)), bonus < 0 pessimistic
 * (PEVI, clip to [0, H - h]).
 *
 * Aggregation.  The state space is finite, so the sum over transitions
 * groups by (h, s, a, s'):
 *
 *   sum_t phi_t (r_t + V(s'_t)) = sum_{(s,a) visited at h} phi(s,a)
 *       (R_h(s,a) + sum_{s'} N_h(s,a,s') V_{h+1}(s')),
 *
 * R_h the reward sum and N_h the counts (the sparse tabrl_empirical).  A
 * planning pass is the shared backward induction (algos/common/backward.h):
 * at stage h the stage hook fits w_h to the targets with V_{h+1}, then
 * every Q_h(s, a) is computed into a cache, so a pass costs
 * O(H (visited (h,s,a,s') entries + d^2 S A)), whatever the number of past
 * transitions, and act() and policy() cost O(A) per (h, s) afterwards.
 * Lambda_h^-1 follows each new transition by one Sherman-Morrison update,
 * O(d^2).  The cache is stamped with the pass that filled it (a version);
 * after a clear, Q_h(s, .) is recomputed on demand. */
#ifndef TABRL_LINEAR_LSVI_H
#define TABRL_LINEAR_LSVI_H

#include "common/empirical.h"
#include "tabrl/algo.h"

typedef struct {
  int S, A, H, d;
  tabrl_problem problem; /* sizes, valid mask and phi (pointers kept) */
  double lambda;
  double bonus;    /* +beta (optimistic) or -beta (pessimistic) */
  int pessimistic; /* clip to [0, H - h] instead of min(C_h, .) */
  int clip;        /* the optimistic cap: TABRL_CLIP_HORIZON (H, set by init) or _STAGE (H - h) */
  tabrl_empirical counts;   /* stages H */
  int *visited;             /* H*S*A: stage h's visited pairs s*A + a, first n_visited[h] */
  size_t *n_visited;        /* H */
  double *Lambda_inv;       /* H*d*d, upper triangle authoritative (ridge.h) */
  double *w;                /* H*d */
  double *target, *scratch; /* d each */
  double *Q;                /* H*S*A cache; -inf at invalid actions */
  unsigned long *stamp;     /* H*S: the pass that computed Q_h(s, .) */
  double *V;                /* (H+1)*S: V_h(s) = max_a Q_h(s,a) of the last pass */
  unsigned long version;
} tabrl_lsvi;

/* Needs an episodic problem with features (phi, dim >= 1): the callers
 * declare TABRL_NEEDS_FEATURES, checked by tabrl_algo_check before init.
 * who names the algorithm in messages. */
int tabrl_lsvi_init(tabrl_lsvi *l, const tabrl_problem *problem, double lambda, int pessimistic,
                    const char *who);
void tabrl_lsvi_free(tabrl_lsvi *l);

/* Forgets all data (Lambda_h^-1 = I / lambda, w = 0). */
void tabrl_lsvi_clear(tabrl_lsvi *l);

/* Records one transition: counts and the Sherman-Morrison update of
 * Lambda_h^-1.  Does not replan. */
int tabrl_lsvi_add(tabrl_lsvi *l, int h, int s, int a, double reward, int next);

/* Recomputes w_H-1 .. w_0 backward (and invalidates the Q cache). */
void tabrl_lsvi_plan(tabrl_lsvi *l);

/* Q_h(s, .) of the last pass (A values, -inf at invalid actions). */
const double *tabrl_lsvi_q(tabrl_lsvi *l, int h, int s);

/* The greedy valid action at (h, s), lowest on ties, and its value. */
int tabrl_lsvi_greedy(tabrl_lsvi *l, int h, int s, double *value);

#endif
