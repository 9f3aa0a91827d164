/* tabrl/schedule.h: per-episode reward schedules (adversarial and
 * non-stationary MDPs).
 *
 * A schedule gives every episode k = 1..K of an online run a mean reward
 * function r_k(h, s, a) in [0, 1], stage-dependent (the layered losses of
 * the adversarial-MDP papers: Zimin & Neu 2013, Jin et al. 2020), while the
 * transitions stay the model's.  r is the model's own mean reward; every
 * schedule draws r_k from at most two functions, r and the adversary's r':
 *
 *   stochastic   r_k = r for every k.
 *   adversarial  blocks of growing length: block j = 0, 1, 2, ... holds the
 *                B 2^j episodes after the first B (2^j - 1) (B = `block`),
 *                with r_k = r in even blocks and r' in odd ones, so the
 *                function switches after episodes B, 3B, 7B, ...  r' is r
 *                with, at every (h, s) with two or more valid actions, the
 *                reward of the optimal action a*(h, s) of r (backward
 *                induction, lowest action on ties) exchanged with that of a
 *                partner b(h, s) drawn uniformly from the other valid
 *                actions (schedule stream, (h, s) in increasing order).
 *                Each new block is as long as all earlier ones together, so
 *                the best fixed policy in hindsight keeps changing and no
 *                fixed policy is good in every block.
 *   corrupted    r_k = r except in the first C episodes (C = `corruptions`),
 *                where r_k = r' = 1 - r.
 *
 * Realised rewards: in an episode with r_k = r a step's reward is the
 * model's own sampled reward (so a stochastic schedule simulates exactly
 * what an unscheduled run does); in an episode with r_k = r' it is r'(h, s,
 * a) itself (deterministic, the losses of the adversarial-MDP papers).
 *
 * The sequence depends on the model, the schedule and the run seed only
 * (its own stream TABRL_STREAM_SCHEDULE): the adversary is oblivious and
 * every algorithm of a seed faces the same r_1..r_K. */
#ifndef TABRL_SCHEDULE_H
#define TABRL_SCHEDULE_H

#include <stdint.h>
#include "tabrl/mdp.h"

#pragma GCC visibility push(default)

typedef enum {
  TABRL_SCHEDULE_NONE = 0,
  TABRL_SCHEDULE_STOCHASTIC,
  TABRL_SCHEDULE_ADVERSARIAL,
  TABRL_SCHEDULE_CORRUPTED
} tabrl_schedule_kind;

/* What the experiment asks for. */
typedef struct {
  tabrl_schedule_kind kind;
  long block;       /* adversarial: B >= 1, the first block's length */
  long corruptions; /* corrupted: C >= 0, the corrupted first episodes */
} tabrl_schedule_spec;

/* "none", "stochastic", "adversarial", "corrupted". */
const char *tabrl_schedule_name(tabrl_schedule_kind kind);

/* A schedule bound to one run: the simulated model and the functions. */
typedef struct {
  tabrl_schedule_spec spec;
  /* The model expanded to H stages whose reward and mean_reward point at
   * the current function's arrays (tabrl_schedule_set): simulation, exact
   * evaluation and the full-information table all read this one model. */
  tabrl_mdp *m;
  int nfunctions;          /* 1 (stochastic) or 2 */
  double *table[2];        /* r, r': H*S*A means, table[f][(h*S + s)*A + a], 0 if invalid */
  double *entry_reward[2]; /* the realised reward of each of m's entries */
  int *best, *partner;     /* adversarial: a*(h, s) and b(h, s), H*S each, else NULL */
  int current;             /* the function m holds */
} tabrl_schedule;

/* Binds spec (not NONE) to the episodic model base for the run seed.
 * Errors (TABRL_EINVAL, message set): rewards outside [0, 1] (or reward
 * noise), a discounted model, vector rewards.  NULL on error. */
tabrl_schedule *tabrl_schedule_alloc(const tabrl_schedule_spec *spec, const tabrl_mdp *base,
                                     uint64_t seed);
void tabrl_schedule_free(tabrl_schedule *sc);

/* The function of episode k >= 1: 0 for r, 1 for r'. */
int tabrl_schedule_function(const tabrl_schedule *sc, long k);

/* Makes sc->m hold episode k's function (no allocation); returns whether
 * it changed. */
int tabrl_schedule_set(tabrl_schedule *sc, long k);

#pragma GCC visibility pop

#endif
