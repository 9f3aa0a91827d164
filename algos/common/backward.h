/* algos/common/backward.h: finite-horizon backward induction with a backup
 * hook (private to the algorithm families and the oracle).
 *
 * Every planner in tabrl computes, for h = H-1 .. 0 and every state s,
 *
 *   Q_h(s,a) = backup(h, s, a, V_{h+1})     for each valid a,
 *   V_h(s)   = max_a Q_h(s,a)   (or sum_a pi(a|h,s) Q_h(s,a) to evaluate pi),
 *
 * with V_H = 0; what differs is the backup: r + P V on the true or the
 * empirical model, plus a bonus or a Gaussian perturbation, minus a
 * penalty, over a sampled model, over an L1 ball, with clipping...  The
 * loop lives here once; an algorithm supplies the backup.  A new kind of
 * backup is a new hook, e.g.
 *
 *   risk-sensitive (exponential utility, parameter beta != 0):
 *     Q_h(s,a) = (1/beta) log sum_{s',r} p(s',r|s,a) exp(beta (r + V_{h+1}(s'))),
 *     evaluated as a log-sum-exp shifted by its largest term;
 *   distributional: ctx keeps a return distribution per (h, s, a) (atoms or
 *     quantiles); the hook pushes the next states' distributions through
 *     (s', r), stores Q's distribution in ctx and returns the scalar the
 *     greedy choice ranks (mean, CVaR_alpha, ...).  The action chosen at
 *     each next state is plan[(h+1)*S + s'] (ask for a plan), complete
 *     before stage h starts.
 *
 * Contract of the hooks (ctx is the caller's, passed through untouched):
 *
 *  backup(ctx, h, s, a, next_V)  Q_h(s,a) from next_V = V_{h+1} (S values).
 *      Called exactly once per valid (h, s, a) and in the order h = H-1..0,
 *      s = 0..S-1, a = 0..A-1, so a hook may draw random numbers (psrl,
 *      rlsvi) or store Q and side results (ucbvi's bonus) in ctx.
 *      Required.
 *  valid(ctx, h, s, a)  Nonzero when a is a valid action at (h, s); NULL:
 *      every a < A is.  Every (h, s) must have a valid action.
 *  actions(ctx, h, s, &list)  Instead of valid: the number of valid
 *      actions of (h, s), >= 1, with *list pointing at them in increasing
 *      order (algos/common/actions.h keeps such lists; cheaper than a mask).
 *  tie_key(ctx, h, s, a)  The greedy choice is the valid action of largest
 *      Q; among equal Q the lowest index by default, or, when tie_key is
 *      set, the lowest key, then the lowest index (ucbvi and mvp: the
 *      least-visited action, so ties at the optimistic clip become
 *      round-robin exploration).  Called once per valid (h, s, a), just
 *      before its backup, so the two can share their loads; it must have
 *      no side effects and not read what backup stores.
 *  stage(ctx, h, next_V)  Called once before the states of stage h, with
 *      V_{h+1} complete (ucrl2 ranks the next states by value there, linear
 *      LSVI fits its stage-h regression).  NULL: none.
 *
 * If no valid action's Q exceeds -inf (all NaN, say), V_h(s) = -inf and the
 * choice is the lowest valid action.
 *
 * The driver is always_inline and takes the hooks from a struct the caller
 * declares `static const`: GCC then inlines each hook at its call site (no
 * indirect call remains in the planning loop).  Give a hook the sizes it
 * needs by value in a local ctx struct rather than through the algorithm's
 * state: the local stays in registers, while fields of the state are
 * reloaded after every call the hook makes (a sampler, a sort).  So written
 * (ucbvi, psrl, ucrl2) the shared loop runs within about 2% of the
 * instructions of the hand-written one it replaced. */
#ifndef TABRL_COMMON_BACKWARD_H
#define TABRL_COMMON_BACKWARD_H

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "tabrl/mdp.h"
#include "tabrl/policy.h"

typedef struct {
  double (*backup)(void *ctx, int h, int s, int a, const double *next_V);
  int (*valid)(const void *ctx, int h, int s, int a);
  int (*actions)(const void *ctx, int h, int s, const int **list);
  long (*tie_key)(const void *ctx, int h, int s, int a);
  void (*stage)(void *ctx, int h, const double *next_V);
} tabrl_backup_hooks;

/* The optimistic algorithms' common `clip` parameter (ucbvi, ucrl2, mvp,
 * optql): the value an optimistic Q_h is capped at.  stage: H - h, the
 * largest return from stage h with rewards in [0,1] (the tightest cap that
 * keeps Q_h >= Q*_h); horizon: H at every stage, as Azar et al. (2017,
 * Algorithm 2) and Jin et al. (2018, Algorithm 1) write it.  The choice
 * index of TABRL_CLIP_CHOICES. */
enum { TABRL_CLIP_STAGE = 0, TABRL_CLIP_HORIZON = 1 };
#define TABRL_CLIP_CHOICES "stage|horizon"

static inline double tabrl_clip_level(int clip, int H, int h)
{
  return clip == TABRL_CLIP_HORIZON ? (double)H : (double)(H - h);
}

/* Where the results go.  V is required; the others may be NULL. */
typedef struct {
  int S, A, H;
  double *V;              /* (H+1)*S, V[h*S + s]; the driver sets V_H = 0 */
  double *Q;              /* H*S*A, Q[(h*S + s)*A + a]: every Q, -inf at invalid a */
  int *plan;              /* H*S: the greedy action */
  tabrl_policy *greedy;   /* H stages: the greedy action, deterministically */
  const tabrl_policy *pi; /* set: evaluate pi instead of maximising (see below) */
} tabrl_backward_out;

/* The running argmax of one state: a with value q and tie key `key`
 * against the incumbent. */
static inline __attribute__((always_inline)) void
tabrl_backward_consider(const tabrl_backup_hooks *hk, int a, double q, long key, double *best,
                        int *best_a, long *best_key)
{
  if (q > *best || (hk->tie_key && q == *best && key < *best_key)) {
    *best = q;
    *best_a = a;
    *best_key = key;
  }
}

/* One state's backup: max over the valid actions of Q_h(s,a), its argmax
 * into *argmax (if not NULL) and every Q into Q_row (if not NULL, A
 * values, -inf at invalid actions).  Also the sweep of a discounted value
 * iteration: next_V = V and the discount inside the backup. */
static inline __attribute__((always_inline)) double
tabrl_backward_state(const tabrl_backup_hooks *hk, void *ctx, int A, int h, int s,
                     const double *next_V, double *Q_row, int *argmax)
{
  double best = -INFINITY;
  long best_key = LONG_MIN; /* no key is below it: a tie at -inf never wins */
  int best_a;
  if (hk->actions) {
    const int *list;
    int n = hk->actions(ctx, h, s, &list);
    best_a = list[0]; /* kept if nothing exceeds -inf */
    if (Q_row)
      for (int a = 0; a < A; a++) Q_row[a] = -INFINITY;
    for (int i = 0; i < n; i++) {
      int a = list[i];
      /* The key first: its loads are then shared with the backup's. */
      long key = hk->tie_key ? hk->tie_key(ctx, h, s, a) : 0;
      double q = hk->backup(ctx, h, s, a, next_V);
      if (Q_row) Q_row[a] = q;
      tabrl_backward_consider(hk, a, q, key, &best, &best_a, &best_key);
    }
  } else {
    best_a = -1;
    for (int a = 0; a < A; a++) {
      if (hk->valid && !hk->valid(ctx, h, s, a)) {
        if (Q_row) Q_row[a] = -INFINITY;
        continue;
      }
      long key = hk->tie_key ? hk->tie_key(ctx, h, s, a) : 0;
      double q = hk->backup(ctx, h, s, a, next_V);
      if (Q_row) Q_row[a] = q;
      tabrl_backward_consider(hk, a, q, key, &best, &best_a, &best_key);
    }
    if (best_a < 0) /* nothing exceeds -inf: the lowest valid action */
      for (best_a = 0; hk->valid && best_a < A - 1 && !hk->valid(ctx, h, s, best_a); best_a++) {
      }
  }
  if (argmax) *argmax = best_a;
  return best;
}

/* Backward induction over h = H-1..0 into out.  With out->pi set it
 * evaluates that policy instead, V_h(s) = sum over a with pi(a|h,s) > 0 of
 * pi(a|h,s) Q_h(s,a), summed in increasing a; then backup is called only
 * for those actions (the caller has checked that pi puts no mass on an
 * invalid one), valid, actions and tie_key are not used, and Q, plan and greedy
 * must be NULL. */
static inline __attribute__((always_inline)) void
tabrl_backward(const tabrl_backup_hooks *hk, void *ctx, const tabrl_backward_out *out)
{
  const int S = out->S, A = out->A, H = out->H;
  memset(out->V + (size_t)H * (size_t)S, 0, (size_t)S * sizeof *out->V);
  for (int h = H - 1; h >= 0; h--) {
    const double *next_V = out->V + (size_t)(h + 1) * (size_t)S;
    double *V = out->V + (size_t)h * (size_t)S;
    if (hk->stage) hk->stage(ctx, h, next_V);
    for (int s = 0; s < S; s++) {
      if (out->pi) {
        const double *row = tabrl_policy_row(out->pi, h, s);
        double v = 0;
        for (int a = 0; a < A; a++)
          if (row[a] > 0) v += row[a] * hk->backup(ctx, h, s, a, next_V);
        V[s] = v;
        continue;
      }
      int a;
      double *Q_row = out->Q ? out->Q + ((size_t)h * (size_t)S + (size_t)s) * (size_t)A : NULL;
      V[s] = tabrl_backward_state(hk, ctx, A, h, s, next_V, Q_row, &a);
      if (out->plan) out->plan[(size_t)h * (size_t)S + (size_t)s] = a;
      if (out->greedy) tabrl_policy_set_action(out->greedy, h, s, a);
    }
  }
}

#endif
