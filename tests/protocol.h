/* Shared by the algorithm test suites: the online protocol as the runner
 * drives it (src/protocol/episode.c via tabrl_episode_online), with the checks a test wants on
 * every step. */
#ifndef TABRL_TESTS_PROTOCOL_H
#define TABRL_TESTS_PROTOCOL_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/episode.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/sim.h"

/* An env built from settings, or a failed test with the message. */
static inline tabrl_mdp *test_env(const char *name, const tabrl_setting *settings, size_t n)
{
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_env_build(name, settings, n, &m) == 0, "%s", tabrl_error_message());
  return m;
}

/* The catch-up model (experiments/data/catch-up.csv), H = 2, start in 0:
 * stage 0 is a fair coin paying 0 or 10 (either action, to state 1); in
 * state 1 action 0 pays 1 surely and action 1 pays 0 or 4 with probability
 * 1/2 each.  cvar:0.75: the history-dependent optimum 5 (the gamble after
 * a loss, the sure 1 after a win), the best Markov policy 14/3 (always the
 * gamble): the model where the stock-augmented objectives need history. */
static inline tabrl_mdp *test_catch_up(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < 2; a++) {
    tabrl_mdp_builder_add(b, 0, 0, a, 1, 0.5, 0);
    tabrl_mdp_builder_add(b, 0, 0, a, 1, 0.5, 10);
  }
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, 0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, 4);
  tabrl_mdp_builder_set_time(b, 2, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* What the runner tells an algorithm about m (tabrl_problem_init), with the
 * valid mask in the caller's buffer of stages*S*A bytes; the model itself
 * only when planning. */
static inline tabrl_problem test_problem(const tabrl_mdp *m, unsigned char *valid, gsl_rng *rng,
                                         long episodes, int planning)
{
  tabrl_problem p;
  unsigned char *mask = NULL;
  ck_assert_int_eq(tabrl_problem_init(&p, m, episodes, rng, planning, &mask), 0);
  memcpy(valid, mask, (size_t)m->stages * (size_t)m->S * (size_t)m->A);
  free(mask);
  p.valid = valid;
  return p;
}

/* Algorithm name with the settings, or a failed test with the message. */
static inline tabrl_algo *test_make(const char *name, const tabrl_problem *problem,
                                    const tabrl_setting *set, size_t n)
{
  const tabrl_algo_type *type = tabrl_algo_find(name);
  tabrl_values *values = NULL;
  ck_assert_msg(type != NULL, "%s", tabrl_error_message());
  ck_assert_msg(tabrl_values_resolve(type->params, name, set, n, 0, &values) == 0, "%s",
                tabrl_error_message());
  tabrl_algo *algo = tabrl_algo_alloc(type, problem, values);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  tabrl_values_free(values);
  return algo;
}

/* Called before each episode k (1-based), e.g. to check optimism. */
typedef void (*test_episode_hook)(void *ctx, const tabrl_algo *algo, long k);

typedef struct {
  double regret;       /* sum_k J* - J(pi_k), pi_k = policy() at the start of episode k */
  double total_return; /* sum of the realized rewards */
} test_drive_result;

/* J*, the optimal start value of episodic m. */
static inline double test_optimal_value(const tabrl_mdp *m)
{
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, NULL), 0);
  double J = tabrl_oracle_start_value(m, V);
  free(V);
  return J;
}

/* The runner's tabrl_problem.target of episodic m: its mean-optimal
 * policy (tabrl_oracle_backward, lowest action on ties); the caller frees
 * it after the algorithm. */
static inline tabrl_policy *test_target(const tabrl_mdp *m)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, pi), 0);
  free(V);
  return pi;
}

/* Runs episodes 1..K of the online protocol on m through the library's
 * episode driver (tabrl_episode_online, as the runner does), transitions
 * from the stream (seed, transitions).  Checks that every policy() is a
 * valid policy of m and (the driver's checks) that every action is valid
 * and, for algorithms that commit, that act() only takes actions of the
 * policy reported at the start of the episode.  The regret is exact
 * (oracle), evaluated only when the policy changed.  regret_path[k-1] (may
 * be NULL) gets the cumulative regret after episode k; steps (may be NULL,
 * K*H entries) the transitions; hook (may be NULL) runs before each
 * episode. */
static inline test_drive_result test_drive(tabrl_algo *algo, const tabrl_mdp *m, long episodes,
                                           uint64_t seed, double *regret_path, tabrl_step *steps,
                                           test_episode_hook hook, void *ctx)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *previous = tabrl_policy_alloc_for(m);
  size_t size = (size_t)pi->stages * (size_t)m->S * (size_t)m->A * sizeof *pi->prob;
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), value = 0;
  double J_star = test_optimal_value(m);
  test_drive_result result = {0, 0};
  gsl_rng *transitions = tabrl_gsl_rng_stream(seed, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_episode ep = {.committed = pi};
  for (long k = 1; k <= episodes; k++) {
    if (hook) hook(ctx, algo, k);
    ep.steps = steps ? steps + (k - 1) * m->horizon : NULL;
    ck_assert_msg(tabrl_episode_online(algo, m, k, transitions, &ep) == 0, "%s",
                  tabrl_error_message());
    if (!ep.has_committed) ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    if (k == 1 || memcmp(pi->prob, previous->prob, size)) {
      ck_assert_msg(tabrl_policy_check(pi, m) == 0, "%s", tabrl_error_message());
      ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
      value = tabrl_oracle_start_value(m, V);
      memcpy(previous->prob, pi->prob, size);
    }
    result.regret += J_star - value;
    if (regret_path) regret_path[k - 1] = result.regret;
    result.total_return += ep.ret;
  }
  gsl_rng_free(transitions);
  free(V);
  tabrl_policy_free(pi);
  tabrl_policy_free(previous);
  return result;
}

#endif
