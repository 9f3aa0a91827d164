/* tabrl/episode.h: one episode of the online and online-preference
 * protocols.
 *
 * The runner, `tabrl bench` and the tests all drive online algorithms
 * through this one function, so the protocol has one definition: a start
 * state from mu0, then for h = 0..H-1 the algorithm acts, the model samples
 * (s', r) jointly (plus its zero-mean reward noise), the algorithm observes;
 * begin_episode / end_episode around it.  Transitions and noise come from one
 * PCG32 stream (tabrl_gsl_rng_stream(seed, TABRL_STREAM_TRANSITIONS, 0) in a
 * run), so an episode is a function of that stream and the algorithm. */
#ifndef TABRL_EPISODE_H
#define TABRL_EPISODE_H

#include <gsl/gsl_rng.h>
#include "tabrl/algo.h"
#include "tabrl/feedback.h"
#include "tabrl/mdp.h"
#include "tabrl/sim.h"

#pragma GCC visibility push(default)

typedef struct {
  /* In: NULL, or a policy table shaped for the model.  For an algorithm
   * that commits to its policy for the episode (commits_per_episode), it
   * receives pi_k, the policy after begin_episode, and every action is
   * checked to have positive probability under it. */
  tabrl_policy *committed;
  tabrl_step *steps; /* in: NULL, or room for H steps */
  double ret;        /* out: the sum of the rewards, noise included */
  int has_committed; /* out: 1 when committed holds pi_k */
  /* In: the episode's reward function (tabrl_algo_type.observe_rewards,
   * H*S*A values, e.g. from tabrl_mdp_reward_table), which a
   * full-information learner receives after the episode; may be NULL for
   * the other types. */
  const double *rewards;
  /* In: NULL, or room for H S ints.  For a type with an actions hook (see
   * tabrl_algo_type.actions) the episode then commits to pi_k as one
   * action per (h, s) here instead of filling committed, and every action
   * is checked to be that one. */
  int *actions;
  /* Out, when has_committed: TABRL_COMMIT_TABLE when committed holds pi_k,
   * TABRL_COMMIT_ACTIONS when actions do. */
  int commit;
  /* Out: 1 when the type's policy_version says pi_k is the policy of the
   * previous episode of this tabrl_episode: committed (or actions) was
   * neither refilled nor checked, and still holds it. */
  int unchanged;
  /* Private: the version and algorithm of the last commitment, and
   * whether its table has mass on every valid action (any action act()
   * may validly return is then inside it: no per-step lookup). */
  unsigned long version;
  const tabrl_algo *version_of;
  int full_support;
} tabrl_episode;

enum { TABRL_COMMIT_TABLE = 1, TABRL_COMMIT_ACTIONS = 2 };

/* Episode k (1-based) of algo, an online algorithm, on m, an episodic
 * model; transitions from `transitions`, a gsl_rng of tabrl_gsl_rng_pcg32.
 * Errors are the algorithm's (with its context) or TABRL_EINVAL for an
 * action outside the committed policy. */
int tabrl_episode_online(tabrl_algo *algo, const tabrl_mdp *m, long k, gsl_rng *transitions,
                         tabrl_episode *ep);

/* One episode of the online-preference protocol. */
typedef struct {
  tabrl_policy *first, *second;   /* in: tables shaped for the algorithm; out: its proposals */
  tabrl_step *traj, *traj_second; /* in: room for H steps each; out: the roll-outs */
  int queried;                    /* out: 1 if the two were compared */
  double ret, ret_second;         /* out: their returns (ret_second NAN without a duel) */
} tabrl_duel;

/* Episode k of algo, an online-preference algorithm, on m (episodic):
 * propose two policies; a learner with an `ask` hook first sees the first
 * roll-out and may decline, as may propose() (TABRL_NO_QUERY): then only
 * the first policy is rolled out and feedback receives its whole
 * trajectory with prefer_first = -1.  Otherwise both are rolled out (from
 * `transitions`), f compares one segment of each (starts drawn from
 * feedback_rng, then one preference bit) and feedback receives the two
 * segments.  The caller values the policies (the runner by the mean of the
 * two exact values, dueling-RL regret).  f must be bound to m when its
 * score reads the model (tabrl_feedback_bind). */
int tabrl_episode_preference(tabrl_algo *algo, const tabrl_mdp *m, long k, const tabrl_feedback *f,
                             gsl_rng *transitions, gsl_rng *feedback_rng, tabrl_duel *d);

#pragma GCC visibility pop

#endif
