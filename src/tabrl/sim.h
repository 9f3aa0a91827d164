/* tabrl/sim.h: sampling from a model.
 *
 * One step costs one PCG32 draw and one flat alias lookup (O(1) whatever the
 * branching), which samples next state and reward jointly. */
#ifndef TABRL_SIM_H
#define TABRL_SIM_H

#include <gsl/gsl_rng.h>
#include "tabrl/mdp.h"
#include "tabrl/policy.h"
#include "tabrl/rng.h"

#pragma GCC visibility push(default)

/* Index of the sampled entry of block b (which must be non-empty).  The
 * selection is written without a branch: a data-dependent branch here is
 * mispredicted about half the time. */
static inline size_t tabrl_mdp_sample_entry(const tabrl_mdp *m, size_t b, tabrl_pcg32 *rng)
{
  size_t lo = m->row[b];
  uint64_t x = (uint64_t)tabrl_pcg32_next(rng) * (uint64_t)(m->row[b + 1] - lo);
  size_t i = lo + (size_t)(x >> 32);
  size_t use_alias = (uint32_t)x >= m->sampler[i].cut;
  return (1 - use_alias) * i + use_alias * (lo + (size_t)m->sampler[i].alias);
}

/* One transition from (h, s, a), a valid action: returns s' and stores the
 * reward (without noise). */
static inline int tabrl_mdp_step(const tabrl_mdp *m, int h, int s, int a, tabrl_pcg32 *rng,
                                 double *reward)
{
  size_t b = tabrl_mdp_block(m, h, s, a), lo = m->row[b];
  uint64_t x = (uint64_t)tabrl_pcg32_next(rng) * (uint64_t)(m->row[b + 1] - lo);
  size_t i = lo + (size_t)(x >> 32);
  const tabrl_alias_slot *slot = &m->sampler[i];
  size_t use_alias = (uint32_t)x >= slot->cut;
  *reward = m->reward[(1 - use_alias) * i + use_alias * (lo + (size_t)slot->alias)];
  return slot->next[use_alias];
}

/* A start state drawn from mu0 (O(S): once per episode). */
int tabrl_mdp_sample_start(const tabrl_mdp *m, tabrl_pcg32 *rng);

/* One draw of the model's zero-mean reward noise (0 when there is none). */
double tabrl_noise_sample(const tabrl_noise *noise, gsl_rng *r);

/* One step of a trajectory. */
typedef struct {
  int h, s, a, next;
  double reward;
} tabrl_step;

/* Rolls out one episode of pi from a start state drawn from mu0, with r from
 * tabrl_gsl_rng_pcg32 (noise is drawn through GSL from the same stream).
 * Episodic models run H steps; discounted ones run `length` steps (H is
 * ignored then).  Stores the steps in traj (may be NULL; needs room for the
 * episode length) and returns the (discounted) return. */
double tabrl_sim_episode(const tabrl_mdp *m, const tabrl_policy *pi, gsl_rng *r, int length,
                         tabrl_step *traj);

#pragma GCC visibility pop

#endif
