/* Private to the algorithm families: an incrementally updated empirical
 * model of what an online algorithm has observed.
 *
 * For each (h, s, a) block (h pooled to 0 when stages == 1): the visit
 * count N, the sum and the sum of squares of the rewards, and the distinct
 * next states with their counts, kept sparse so that a backup over the
 * empirical model costs O(distinct next states seen), and a whole optimistic
 * planning pass O(H * visited entries) -- never O(H S^2 A).
 *
 * Memory: one slab of next-state slots allocated at init (min(S, 4) per
 * block); a block that sees more distinct next states grows its own array
 * geometrically.  So an update allocates only when a block meets a new next
 * state beyond its capacity: at most log2(S) times per block over a whole
 * run, never in steady state. */
#ifndef TABRL_ALGOS_EMPIRICAL_H
#define TABRL_ALGOS_EMPIRICAL_H

#include <stddef.h>

typedef struct {
  int next;
  long count;
} tabrl_emp_next;

typedef struct {
  int S, A, stages;
  long *visits;          /* stages*S*A */
  double *reward_sum;    /* stages*S*A */
  double *reward_sq;     /* stages*S*A */
  tabrl_emp_next **next; /* per block: its distinct next states */
  int *n_next, *cap_next;
  tabrl_emp_next *slab; /* the initial slots of every block */
} tabrl_empirical;

/* stages: H for stage-dependent estimates, 1 to pool over h. */
int tabrl_empirical_init(tabrl_empirical *e, int S, int A, int stages);
void tabrl_empirical_free(tabrl_empirical *e);

/* Forgets everything (counts to zero, capacity kept). */
void tabrl_empirical_clear(tabrl_empirical *e);

static inline size_t tabrl_empirical_block(const tabrl_empirical *e, int h, int s, int a)
{
  int hs = e->stages == 1 ? 0 : h;
  return ((size_t)hs * (size_t)e->S + (size_t)s) * (size_t)e->A + (size_t)a;
}

/* Records one transition. */
int tabrl_empirical_add(tabrl_empirical *e, int h, int s, int a, double reward, int next);

/* Mean observed reward of a block (0 if unvisited).  Inline: planners call
 * it and the next one for every visited block of every episode. */
static inline double tabrl_empirical_mean_reward(const tabrl_empirical *e, size_t block)
{
  return e->visits[block] ? e->reward_sum[block] / (double)e->visits[block] : 0.0;
}

/* sum_s' P-hat(s' | block) V[s'] (0 if unvisited). */
static inline double tabrl_empirical_expect(const tabrl_empirical *e, size_t block, const double *V)
{
  long n = e->visits[block];
  const tabrl_emp_next *next = e->next[block];
  double total = 0;
  if (!n) return 0.0;
  for (int i = 0; i < e->n_next[block]; i++) total += (double)next[i].count * V[next[i].next];
  return total / (double)n;
}

/* Var_{P-hat(. | block)}(V): the empirical variance of V at the next state
 * (0 if unvisited); computed in two passes for accuracy. */
double tabrl_empirical_variance(const tabrl_empirical *e, size_t block, const double *V);

#endif
