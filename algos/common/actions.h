/* algos/common/actions.h: the valid actions of each (h, s) as short lists
 * (private to the algorithm families).
 *
 * The problem's mask is a dense byte table; acting uniformly over the valid
 * actions from it costs O(A) per step.  Listing them once in init makes a
 * uniform draw one bounded PCG32 draw and one load, and keeps act() free of
 * allocation. */
#ifndef TABRL_BASELINE_ACTIONS_H
#define TABRL_BASELINE_ACTIONS_H

#include <stdlib.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

typedef struct {
  int S, A;
  int stages; /* 1 when the mask is stationary (or absent) */
  int *count; /* stages*S: number of valid actions */
  int *list;  /* stages*S*A: the valid actions, ascending, first count[] used */
} baseline_actions;

static inline int baseline_actions_init(baseline_actions *v, const tabrl_problem *p,
                                        const char *who)
{
  v->S = p->S;
  v->A = p->A;
  v->stages = p->valid && p->valid_stages > 1 ? p->valid_stages : 1;
  v->count = malloc((size_t)v->stages * (size_t)v->S * sizeof *v->count);
  v->list = malloc((size_t)v->stages * (size_t)v->S * (size_t)v->A * sizeof *v->list);
  if (!v->count || !v->list) return tabrl_error(TABRL_ENOMEM, "%s: out of memory", who);
  for (int h = 0; h < v->stages; h++)
    for (int s = 0; s < v->S; s++) {
      size_t hs = (size_t)h * (size_t)v->S + (size_t)s;
      int n = 0;
      for (int a = 0; a < v->A; a++)
        if (tabrl_problem_valid(p, h, s, a)) v->list[hs * (size_t)v->A + (size_t)n++] = a;
      if (n == 0)
        return tabrl_error(TABRL_EINVAL, "%s: no valid action at stage %d, state %d", who, h, s);
      v->count[hs] = n;
    }
  return 0;
}

static inline void baseline_actions_free(baseline_actions *v)
{
  free(v->count);
  free(v->list);
  v->count = NULL;
  v->list = NULL;
}

static inline size_t baseline_actions_index(const baseline_actions *v, int h, int s)
{
  int hs = v->stages == 1 ? 0 : h;
  return (size_t)hs * (size_t)v->S + (size_t)s;
}

static inline int baseline_actions_count(const baseline_actions *v, int h, int s)
{
  return v->count[baseline_actions_index(v, h, s)];
}

/* The valid actions of (h, s), ascending. */
static inline const int *baseline_actions_list(const baseline_actions *v, int h, int s)
{
  return v->list + baseline_actions_index(v, h, s) * (size_t)v->A;
}

/* A valid action of (h, s), uniformly. */
static inline int baseline_actions_draw(const baseline_actions *v, int h, int s, tabrl_pcg32 *rng)
{
  size_t i = baseline_actions_index(v, h, s);
  return v->list[i * (size_t)v->A + tabrl_pcg32_below(rng, (uint32_t)v->count[i])];
}

/* Checks that pi is S x A with 1 or `stages` stages. */
static inline int baseline_check_policy(const tabrl_policy *pi, int S, int A, int stages,
                                        const char *who)
{
  if (pi->S != S || pi->A != A || (pi->stages != 1 && pi->stages != stages))
    return tabrl_error(TABRL_EINVAL,
                       "%s: policy is %d x %d with %d stages; the problem needs %d x %d with %d",
                       who, pi->S, pi->A, pi->stages, S, A, stages);
  return 0;
}

/* The uniform distribution over the valid actions at every (h, s) of pi. */
static inline void baseline_actions_uniform(const baseline_actions *v, tabrl_policy *pi)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      const int *list = baseline_actions_list(v, h, s);
      int n = baseline_actions_count(v, h, s);
      for (int a = 0; a < pi->A; a++) row[a] = 0.0;
      for (int i = 0; i < n; i++) row[list[i]] = 1.0 / n;
    }
}

/* The PCG32 state of the problem's gsl_rng, which must be a tabrl PCG32. */
static inline int baseline_rng(const tabrl_problem *p, tabrl_pcg32 **rng, const char *who)
{
  if (!p->rng || p->rng->type != tabrl_gsl_rng_pcg32)
    return tabrl_error(TABRL_EINVAL, "%s needs the problem's PCG32 random stream", who);
  *rng = tabrl_gsl_rng_pcg32_state(p->rng);
  return 0;
}

/* Stages of a value function / policy for the problem: H, or 1 if discounted. */
static inline int baseline_stages(const tabrl_problem *p)
{
  return p->horizon > 0 ? p->horizon : 1;
}

#endif
