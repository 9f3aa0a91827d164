/* The baseline algorithms through the algorithm interface: the registry,
 * each protocol driven as the runner drives it, updates checked against
 * values computed by hand, planning against the exact oracle (reference
 * values from algos/README.md), and the plug-in policy against a
 * concentration bound derived from the exact model. */
#include <check.h>
#include "protocol.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"
#include "tabrl/sim.h"
#include "protocol/testing.h"

/* ---- helpers ---- */

static tabrl_mdp *riverswim(const char *horizon)
{
  tabrl_setting s[2] = {{"states", "6", "test", 0}, {"horizon", horizon, "test", 0}};
  return test_env("riverswim", s, 2);
}

static tabrl_mdp *forest(void)
{
  return test_env("forest", NULL, 0); /* S = 3, gamma = 0.9 */
}

/* Three states, three actions, H = 4; action 2 is invalid at state 0 and
 * action 0 at state 2.  Transitions: every action moves to (s + a) mod 3,
 * reward a / 2. */
static tabrl_mdp *masked_model(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 3, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 4, 1.0);
  for (int s = 0; s < 3; s++)
    for (int a = 0; a < 3; a++) {
      if ((s == 0 && a == 2) || (s == 2 && a == 0)) continue;
      tabrl_mdp_builder_add(b, 0, s, a, (s + a) % 3, 1.0, a / 2.0);
    }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

static int valid_actions(const tabrl_mdp *m, int s)
{
  int n = 0;
  for (int a = 0; a < m->A; a++) n += tabrl_mdp_valid(m, 0, s, a);
  return n;
}

static double max_abs_diff(const double *x, const double *y, size_t n)
{
  double d = 0;
  for (size_t i = 0; i < n; i++) d = fmax(d, fabs(x[i] - y[i]));
  return d;
}

static double max_abs(const double *x, size_t n)
{
  double d = 0;
  for (size_t i = 0; i < n; i++) d = fmax(d, fabs(x[i]));
  return d;
}

/* The online protocol as the runner follows it: returns the sum of the
 * realized returns and checks every action is valid and every policy is a
 * valid policy of m. */
static double drive_online(tabrl_algo *algo, const tabrl_mdp *m, long episodes, uint64_t seed)
{
  return test_drive(algo, m, episodes, seed, NULL, NULL, NULL, NULL).total_return;
}

/* ---- registry ---- */

START_TEST(test_registry)
{
  const char *previous = "";
  size_t n = 0;
  for (size_t i = 0; tabrl_algo_types[i]; i++, n++) {
    const tabrl_algo_type *t = tabrl_algo_types[i];
    tabrl_values *v = NULL;
    ck_assert_msg(strcmp(previous, t->name) < 0, "registry not alphabetical at %s", t->name);
    previous = t->name;
    ck_assert_ptr_eq(tabrl_algo_find(t->name), t);
    ck_assert(t->doc && t->source && t->family && t->init && t->policy && t->state_size > 0);
    /* every default parses and lies in its range */
    ck_assert_msg(tabrl_values_resolve(t->params, t->name, NULL, 0, 0, &v) == 0, "%s: %s", t->name,
                  tabrl_error_message());
    tabrl_values_free(v);
    switch (t->protocol) {
    case TABRL_ONLINE:
      ck_assert(t->act && t->observe);
      break;
    case TABRL_ONLINE_PREFERENCE:
      ck_assert(t->propose && t->feedback);
      break;
    case TABRL_OFFLINE:
      ck_assert(t->fit != NULL);
      break;
    case TABRL_PLANNING:
    case TABRL_OFFLINE_PREFERENCE:
      ck_assert(t->iterate != NULL);
      break;
    }
  }
  ck_assert_uint_ge(n, 6);
  ck_assert_str_eq(tabrl_protocol_name(TABRL_ONLINE), "online");
  ck_assert_str_eq(tabrl_protocol_name(TABRL_ONLINE_PREFERENCE), "online-preference");
  ck_assert_str_eq(tabrl_protocol_name(TABRL_OFFLINE), "offline");
  ck_assert_str_eq(tabrl_protocol_name(TABRL_PLANNING), "planning");
  ck_assert_str_eq(tabrl_algo_find("greedy-q")->family, "baseline");

  ck_assert_ptr_null(tabrl_algo_find("greedyq"));
  ck_assert_str_eq(tabrl_error_message(), "unknown algorithm 'greedyq'; did you mean 'greedy-q'?");
  ck_assert_ptr_null(tabrl_algo_find("value-iter"));
  ck_assert_str_eq(tabrl_error_message(),
                   "unknown algorithm 'value-iter'; did you mean 'value-iteration'?");
  ck_assert_ptr_null(tabrl_algo_find("xyzzyxyzzy"));
  ck_assert_ptr_null(strstr(tabrl_error_message(), "did you mean"));
}
END_TEST

START_TEST(test_alloc_failures)
{
  /* A planning algorithm without the model, greedy-q without a horizon and
   * an algorithm without a PCG32 stream are refused with a message. */
  tabrl_mdp *m = forest();
  unsigned char valid[6];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 1000, 0);
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("value-iteration"), &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs the model"));
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("greedy-q"), &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "episodic"));
  /* random is online: give it a horizon, so that the missing stream is
   * what it refuses. */
  p.horizon = 5;
  p.rng = NULL;
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("random"), &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "PCG32"));
  tabrl_algo_free(NULL);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- random ---- */

START_TEST(test_random_uniform_and_valid)
{
  tabrl_mdp *m = masked_model();
  unsigned char valid[9];
  gsl_rng *rng = tabrl_gsl_rng_stream(7, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 1000, 0);
  tabrl_algo *algo = test_make("random", &p, NULL, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  long counts[3][3] = {{0}};
  ck_assert_int_eq(algo->type->commits_per_episode, 1);
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  for (int h = 0; h < 4; h++)
    for (int s = 0; s < 3; s++)
      for (int a = 0; a < 3; a++)
        ck_assert_double_eq_tol(tabrl_policy_row(pi, h, s)[a],
                                tabrl_mdp_valid(m, h, s, a) ? 1.0 / valid_actions(m, s) : 0, 1e-15);
  for (int i = 0; i < 30000; i++) {
    int s = i % 3, a = algo->type->act(algo->state, i % 4, s);
    ck_assert(tabrl_mdp_valid(m, 0, s, a));
    counts[s][a]++;
  }
  /* 10000 draws per state over k valid actions: each count within 5
   * binomial standard deviations of 10000 / k. */
  for (int s = 0; s < 3; s++) {
    int k = valid_actions(m, s);
    for (int a = 0; a < 3; a++)
      if (tabrl_mdp_valid(m, 0, s, a))
        ck_assert_double_lt(fabs(counts[s][a] - 10000.0 / k),
                            5 * sqrt(10000.0 * (1.0 / k) * (1 - 1.0 / k)));
  }
  drive_online(algo, m, 100, 3);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- greedy-q ---- */

/* S = 2, A = 3, H = 2, no model needed: action 2 is invalid at state 1. */
static const unsigned char greedy_valid[6] = {1, 1, 1, 1, 1, 0};

static tabrl_problem greedy_problem(gsl_rng *rng)
{
  return (tabrl_problem){.S = 2,
                         .A = 3,
                         .horizon = 2,
                         .gamma = 1,
                         .episodes = 10,
                         .valid = greedy_valid,
                         .valid_stages = 1,
                         .rng = rng};
}

/* The hand-fed sequence: twice (h=1, s=0, a=0) with rewards 1 then 0 (the
 * last stage: target = r), then twice (h=0, s=1, a=1) with rewards 0.5
 * then 0, both moving to s' = 0 (target r + max_a' Q_1(0, a')). */
static void feed(tabrl_algo *algo)
{
  algo->type->observe(algo->state, 1, 0, 0, 1.0, 1);
  algo->type->observe(algo->state, 1, 0, 0, 0.0, 0);
  algo->type->observe(algo->state, 0, 1, 1, 0.5, 0);
  algo->type->observe(algo->state, 0, 1, 1, 0.0, 0);
}

START_TEST(test_greedy_q_updates_by_hand)
{
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = greedy_problem(rng);
  /* Expected Q_1(0,0) and Q_0(1,1) after the sequence, by hand:
   * jin, H = 2: alpha_t = 3 / (2 + t): alpha_1 = 1, alpha_2 = 3/4.
   *   Q_1(0,0) = 1, then 1/4 * 1 + 3/4 * 0 = 0.25.
   *   Q_0(1,1) = 0.5 + max(0.25, 0, 0) = 0.75, then 1/4 * 0.75 + 3/4 * (0 + 0.25) = 0.375.
   * harmonic: alpha = 1, 1/2.
   *   Q_1(0,0) = 1, then 0.5;  Q_0(1,1) = 0.5 + 0.5 = 1, then (1 + 0.5) / 2 = 0.75.
   * constant alpha = 0.1:
   *   Q_1(0,0) = 0.1, then 0.09;  Q_0(1,1) = 0.1 * 0.59 = 0.059, then
   *   0.9 * 0.059 + 0.1 * 0.09 = 0.0621.
   * jin with init = optimistic (Q_1 = 1, Q_0 = 2 to start):
   *   Q_1(0,0) = 1 (alpha_1 = 1), then 0.25; Q_1(0,1) = Q_1(0,2) = 1 unvisited.
   *   Q_0(1,1) = 0.5 + 1 = 1.5, then 1/4 * 1.5 + 3/4 * (0 + 1) = 1.125. */
  struct {
    const char *schedule, *init;
    double q1, q0;
  } cases[] = {{"jin", "zero", 0.25, 0.375},
               {"harmonic", "zero", 0.5, 0.75},
               {"constant", "zero", 0.09, 0.0621},
               {"jin", "optimistic", 0.25, 1.125}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tabrl_setting set[2] = {{"schedule", cases[i].schedule, "test", 0},
                            {"init", cases[i].init, "test", 0}};
    tabrl_algo *algo = test_make("greedy-q", &p, set, 2);
    double untouched = strcmp(cases[i].init, "optimistic") ? 0.0 : 1.0;
    feed(algo);
    ck_assert_double_eq_tol(tabrl_greedy_q_value(algo, 1, 0, 0), cases[i].q1, 1e-15);
    ck_assert_double_eq_tol(tabrl_greedy_q_value(algo, 0, 1, 1), cases[i].q0, 1e-15);
    ck_assert_double_eq(tabrl_greedy_q_value(algo, 1, 0, 1), untouched);
    ck_assert_double_eq(tabrl_greedy_q_value(algo, 0, 1, 0), 2 * untouched);
    tabrl_algo_free(algo);
  }
  gsl_rng_free(rng);
}
END_TEST

START_TEST(test_greedy_q_policy)
{
  gsl_rng *rng = tabrl_gsl_rng_stream(2, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = greedy_problem(rng);
  tabrl_setting set[1] = {{"epsilon", "0.2", "test", 0}};
  tabrl_algo *algo = test_make("greedy-q", &p, set, 1);
  tabrl_policy *pi = tabrl_policy_alloc(2, 3, 2);
  ck_assert_int_eq(algo->type->commits_per_episode, 0);
  feed(algo);
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  for (int h = 0; h < 2; h++)
    for (int s = 0; s < 2; s++) {
      const double *row = tabrl_policy_row(pi, h, s);
      ck_assert_double_eq_tol(row[0] + row[1] + row[2], 1.0, 1e-15);
    }
  /* Unique greedy actions: Q_1(0,0) = 0.25 among three valid actions,
   * Q_0(1,1) = 0.375 among two. */
  ck_assert_double_eq_tol(tabrl_policy_row(pi, 1, 0)[0], 1 - 0.2 + 0.2 / 3, 1e-15);
  ck_assert_double_eq_tol(tabrl_policy_row(pi, 1, 0)[1], 0.2 / 3, 1e-15);
  ck_assert_double_eq_tol(tabrl_policy_row(pi, 0, 1)[1], 1 - 0.2 + 0.2 / 2, 1e-15);
  ck_assert_double_eq_tol(tabrl_policy_row(pi, 0, 1)[0], 0.2 / 2, 1e-15);
  ck_assert_double_eq(tabrl_policy_row(pi, 0, 1)[2], 0.0); /* invalid */
  /* All tied at (0, 0): the greedy mass is shared, the row is uniform. */
  for (int a = 0; a < 3; a++)
    ck_assert_double_eq_tol(tabrl_policy_row(pi, 0, 0)[a], 1.0 / 3, 1e-15);
  /* act() at a unique greedy action with epsilon = 0.2 picks it w.p.
   * 1 - 0.2 + 0.2/2 = 0.9: 20000 draws, 5 sd = 5 sqrt(20000 * 0.09) = 212. */
  long greedy = 0;
  for (int i = 0; i < 20000; i++) greedy += algo->type->act(algo->state, 0, 1) == 1;
  ck_assert_int_lt(labs(greedy - 18000), 212);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
}
END_TEST

START_TEST(test_greedy_q_epsilon_one_uniform)
{
  /* epsilon = 1: act() is uniform over the valid actions.  One state, five
   * actions with action 3 invalid; n draws; Pearson's statistic over the 4
   * valid actions against the chi-square(3) quantile at 1 - 1e-6. */
  static const unsigned char valid[5] = {1, 1, 1, 0, 1};
  gsl_rng *rng = tabrl_gsl_rng_stream(11, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = {
      .S = 1, .A = 5, .horizon = 3, .gamma = 1, .valid = valid, .valid_stages = 1, .rng = rng};
  tabrl_setting set[1] = {{"epsilon", "1", "test", 0}};
  tabrl_algo *algo = test_make("greedy-q", &p, set, 1);
  long counts[5] = {0}, n = 100000;
  double chi2 = 0, expected = n / 4.0;
  /* Learning must not change the uniform behaviour: observe moves Q. */
  algo->type->observe(algo->state, 2, 0, 1, 1.0, 0);
  for (long i = 0; i < n; i++) counts[algo->type->act(algo->state, (int)(i % 3), 0)]++;
  ck_assert_int_eq(counts[3], 0);
  for (int a = 0; a < 5; a++)
    if (valid[a]) chi2 += (counts[a] - expected) * (counts[a] - expected) / expected;
  ck_assert_double_lt(chi2, gsl_cdf_chisq_Qinv(1e-6, 3));
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
}
END_TEST

START_TEST(test_greedy_q_learns_riverswim)
{
  /* A smoke test of the online protocol: optimistic greedy-q on
   * RiverSwim(6), H = 20, stays valid and learns a policy worth more than
   * the uniform one (V^unif_0 is about 0.1; V* = 3.397). */
  tabrl_mdp *m = riverswim("20");
  unsigned char valid[12];
  gsl_rng *rng = tabrl_gsl_rng_stream(5, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 1000, 0);
  tabrl_setting set[2] = {{"init", "optimistic", "test", 0}, {"epsilon", "0", "test", 0}};
  tabrl_algo *algo = test_make("greedy-q", &p, set, 2);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *unif = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), v_unif;
  drive_online(algo, m, 3000, 17);
  tabrl_policy_set_uniform(unif, m);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, unif, V), 0);
  v_unif = tabrl_oracle_start_value(m, V);
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_double_gt(tabrl_oracle_start_value(m, V), v_unif);
  free(V);
  tabrl_policy_free(pi);
  tabrl_policy_free(unif);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- value-iteration ---- */

START_TEST(test_value_iteration_episodic)
{
  /* RiverSwim(6), H = 20: V*_0(0) = 3.39726395915 (algos/README.md).  After k
   * synchronous iterations the stages h >= H - k hold V*_h exactly (up to
   * rounding), and after H the greedy policy is optimal. */
  tabrl_mdp *m = riverswim("20");
  unsigned char valid[12];
  tabrl_problem p = test_problem(m, valid, NULL, 1000, 1);
  tabrl_algo *algo = test_make("value-iteration", &p, NULL, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  size_t n = tabrl_oracle_value_size(m);
  double *V_star = malloc(n * sizeof *V_star), *V = malloc(n * sizeof *V);
  int H = 20, S = 6;
  ck_assert_int_eq(tabrl_oracle_backward(m, V_star, NULL, NULL), 0);
  for (int k = 1; k <= H; k++) {
    const double *Vk;
    ck_assert_int_eq(algo->type->iterate(algo->state, k), 0);
    Vk = tabrl_value_iteration_values(algo);
    for (int h = H - k; h <= H; h++)
      ck_assert_double_le(max_abs_diff(Vk + (size_t)h * S, V_star + (size_t)h * S, (size_t)S),
                          1e-12);
    if (k < H) ck_assert_double_gt(fabs(Vk[0] - V_star[0]), 1e-3); /* not there yet */
  }
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_double_eq_tol(tabrl_oracle_start_value(m, V), 3.39726395915, 1e-9);
  /* Further iterations are a fixed point. */
  ck_assert_int_eq(algo->type->iterate(algo->state, H + 1), 0);
  ck_assert_double_le(max_abs_diff(tabrl_value_iteration_values(algo), V_star, n), 1e-12);
  free(V_star);
  free(V);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_value_iteration_discounted_contraction)
{
  /* Forest, gamma 0.9, V_0 = 0: ||V_k - V*|| <= gamma^k ||V_0 - V*|| =
   * 0.9^k ||V*|| (contraction).  And the greedy policy of V_k loses at most
   * 2 gamma / (1 - gamma) ||V_k - V*|| (Singh and Yee 1994, Corollary 2). */
  tabrl_mdp *m = forest();
  unsigned char valid[6];
  tabrl_problem p = test_problem(m, valid, NULL, 1000, 1);
  tabrl_algo *algo = test_make("value-iteration", &p, NULL, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *opt = tabrl_policy_alloc_for(m);
  double V_star[3], V_pi[3];
  ck_assert_int_eq(tabrl_oracle_pi(m, 100, opt, V_star, NULL, NULL), 0);
  /* pymdptoolbox's values for its forest example (algos/README.md) */
  ck_assert_double_eq_tol(V_star[0], 26.244, 1e-3);
  ck_assert_double_eq_tol(V_star[1], 29.484, 1e-3);
  ck_assert_double_eq_tol(V_star[2], 33.484, 1e-3);
  double norm = max_abs(V_star, 3), bound = norm;
  for (int k = 1; k <= 300; k++) {
    ck_assert_int_eq(algo->type->iterate(algo->state, k), 0);
    bound *= 0.9;
    double err = max_abs_diff(tabrl_value_iteration_values(algo), V_star, 3);
    ck_assert_msg(err <= bound * (1 + 1e-12) + 1e-12, "k = %d: error %g > %g", k, err, bound);
    ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
    ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V_pi), 0);
    ck_assert_double_le(max_abs_diff(V_pi, V_star, 3), 2 * 0.9 / 0.1 * err + 1e-9);
  }
  /* 0.9^300 * 33.5 < 1e-12 */
  ck_assert_double_le(max_abs_diff(tabrl_value_iteration_values(algo), V_star, 3), 1e-11);
  tabrl_policy_free(pi);
  tabrl_policy_free(opt);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- policy-iteration ---- */

/* Runs policy-iteration on m until its policy's value equals V* (1e-9),
 * checking that the value never decreases at any (h, s) (Puterman Thm
 * 6.4.2); returns the number of iterations. */
static int pi_iterations_to_optimum(tabrl_mdp *m)
{
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  tabrl_problem p = test_problem(m, valid, NULL, 1000, 1);
  tabrl_algo *algo = test_make("policy-iteration", &p, NULL, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *opt = tabrl_policy_alloc_for(m);
  size_t n = tabrl_oracle_value_size(m);
  double *V_star = malloc(n * sizeof *V_star), *V = malloc(n * sizeof *V);
  double *V_prev = malloc(n * sizeof *V_prev);
  int k = 0;
  ck_assert_int_eq(tabrl_oracle_pi(m, 100, opt, V_star, NULL, NULL), 0);
  /* the start: the first valid action everywhere */
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  ck_assert_int_eq(tabrl_policy_check(pi, m), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V_prev), 0);
  while (max_abs_diff(V_prev, V_star, n) > 1e-9 && k < 50) {
    ck_assert_int_eq(algo->type->iterate(algo->state, ++k), 0);
    ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
    ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
    for (size_t i = 0; i < n; i++)
      ck_assert_msg(V[i] >= V_prev[i] - 1e-12 * (1 + fabs(V_prev[i])),
                    "iteration %d: value fell at %zu", k, i);
    memcpy(V_prev, V, n * sizeof *V);
  }
  /* once optimal, iterating changes nothing */
  ck_assert_int_eq(algo->type->iterate(algo->state, k + 1), 0);
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_double_le(max_abs_diff(V, V_star, n), 1e-9);
  free(V_star);
  free(V);
  free(V_prev);
  free(valid);
  tabrl_policy_free(pi);
  tabrl_policy_free(opt);
  tabrl_algo_free(algo);
  return k;
}

START_TEST(test_policy_iteration)
{
  tabrl_mdp *m = forest();
  ck_assert_int_le(pi_iterations_to_optimum(m), 10);
  tabrl_mdp_free(m);
  m = riverswim("20");
  ck_assert_int_le(pi_iterations_to_optimum(m), 10);
  tabrl_mdp_free(m);
  m = masked_model();
  ck_assert_int_le(pi_iterations_to_optimum(m), 10);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- random-duel ---- */

START_TEST(test_random_duel)
{
  tabrl_mdp *m = masked_model();
  unsigned char valid[9];
  gsl_rng *rng = tabrl_gsl_rng_stream(3, TABRL_STREAM_ALGO, 0);
  gsl_rng *rng_again = tabrl_gsl_rng_stream(3, TABRL_STREAM_ALGO, 0);
  gsl_rng *sim = tabrl_gsl_rng_stream(3, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_problem p = test_problem(m, valid, rng, 1000, 0),
                q = test_problem(m, valid, rng_again, 1000, 0);
  tabrl_algo *algo = test_make("random-duel", &p, NULL, 0),
             *again = test_make("random-duel", &q, NULL, 0);
  tabrl_policy *first = tabrl_policy_alloc_for(m), *second = tabrl_policy_alloc_for(m);
  tabrl_policy *first2 = tabrl_policy_alloc_for(m), *second2 = tabrl_policy_alloc_for(m);
  tabrl_step traj1[4], traj2[4];
  size_t cells = (size_t)4 * 3 * 3;
  int differ = 0;
  ck_assert_int_eq(algo->type->protocol, TABRL_ONLINE_PREFERENCE);
  for (long k = 0; k < 50; k++) {
    ck_assert_int_eq(algo->type->propose(algo->state, k, first, second), 0);
    /* deterministic and valid: one 1 per row, on a valid action */
    ck_assert_int_eq(tabrl_policy_check(first, m), 0);
    ck_assert_int_eq(tabrl_policy_check(second, m), 0);
    for (int h = 0; h < 4; h++)
      for (int s = 0; s < 3; s++) {
        ck_assert_double_eq(tabrl_policy_row(first, h, s)[tabrl_policy_argmax(first, h, s)], 1.0);
        ck_assert_double_eq(tabrl_policy_row(second, h, s)[tabrl_policy_argmax(second, h, s)], 1.0);
      }
    differ += memcmp(first->prob, second->prob, cells * sizeof(double)) != 0;
    /* the same seed proposes the same pairs */
    ck_assert_int_eq(again->type->propose(again->state, k, first2, second2), 0);
    ck_assert_mem_eq(first->prob, first2->prob, cells * sizeof(double));
    ck_assert_mem_eq(second->prob, second2->prob, cells * sizeof(double));
    double g1 = tabrl_sim_episode(m, first, sim, 0, traj1);
    double g2 = tabrl_sim_episode(m, second, sim, 0, traj2);
    ck_assert_int_eq(algo->type->feedback(algo->state, traj1, traj2, 4, g1 >= g2), 0);
  }
  /* Two independent draws of 12 rows, each with >= 2 choices, coincide
   * w.p. <= 2^-12. */
  ck_assert_int_ge(differ, 45);
  ck_assert_int_eq(algo->type->policy(algo->state, first), 0);
  for (int h = 0; h < 4; h++)
    for (int s = 0; s < 3; s++)
      for (int a = 0; a < 3; a++)
        ck_assert_double_eq_tol(tabrl_policy_row(first, h, s)[a],
                                tabrl_mdp_valid(m, h, s, a) ? 1.0 / valid_actions(m, s) : 0, 1e-15);
  tabrl_policy_free(first);
  tabrl_policy_free(second);
  tabrl_policy_free(first2);
  tabrl_policy_free(second2);
  tabrl_algo_free(algo);
  tabrl_algo_free(again);
  gsl_rng_free(rng);
  gsl_rng_free(rng_again);
  gsl_rng_free(sim);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- plug-in ---- */

/* per_pair transitions from every valid (h, s, a) of m (h = 0 only when
 * discounted), sampled at a fixed seed.  With pooled (a stationary m), every
 * (s, a) is sampled per_pair times in all, labelled with stages h = k mod H
 * in turn: the data a pooled plug-in counts per (s, a). */
static tabrl_step *generative_dataset(const tabrl_mdp *m, int per_pair, int only_action, int pooled,
                                      size_t *count)
{
  int stages = pooled ? 1 : tabrl_mdp_value_stages(m), label = tabrl_mdp_value_stages(m);
  size_t n = (size_t)stages * m->S * m->A * per_pair, i = 0;
  tabrl_step *steps = malloc(n * sizeof *steps);
  tabrl_pcg32 rng;
  ck_assert_ptr_nonnull(steps);
  tabrl_rng_stream(&rng, 42, TABRL_STREAM_DATASET, 0);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++)
      for (int a = 0; a < m->A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a) || (only_action >= 0 && a != only_action)) continue;
        for (int k = 0; k < per_pair; k++) {
          double r;
          int next = tabrl_mdp_step(m, h, s, a, &rng, &r);
          steps[i++] =
              (tabrl_step){.h = pooled ? k % label : h, .s = s, .a = a, .next = next, .reward = r};
        }
      }
  *count = i;
  return steps;
}

/* The radius eps_h (episodic) of a Bernstein bound on |Q-hat_h - Q*_h|, for
 * n samples of every (h, s, a), holding for all (h, s, a) at once with
 * probability >= 1 - delta:
 *
 *   Q-hat_h - Q*_h = [(r-hat - r) + (P-hat - P) V*_{h+1}]
 *                    + P-hat (V-hat_{h+1} - V*_{h+1}),
 *
 * and |V-hat_{h+1} - V*_{h+1}| <= max_a |Q-hat_{h+1} - Q*_{h+1}| <=
 * eps_{h+1}, so eps_h = e_h + eps_{h+1}, where e_h bounds the first bracket:
 * the mean of n i.i.d. draws of X = r + V*_{h+1}(s') around its
 * expectation, a fixed function of the true model.  Bernstein's inequality
 * with a union bound over the H S A pairs gives
 * e = sqrt(2 Var(X) L / n) + 2 range(X) L / (3 n), L = log(2 H S A / delta).
 * Discounted (one stage), Q-hat - Q* = (r-hat - r) + gamma (P-hat - P) V*
 * + gamma P-hat (V-hat - V*) gives eps <= e + gamma eps, so
 * eps = e / (1 - gamma) with e the radius for X = r + gamma V*(s').
 * Stores the eps of every stage in eps[h]. */
static void bernstein_radius(const tabrl_mdp *m, const double *V_star, double n, double delta,
                             double *eps)
{
  int stages = tabrl_mdp_value_stages(m), S = m->S;
  double L = log(2.0 * stages * S * m->A / delta), later = 0;
  double discount = m->horizon > 0 ? 1.0 : m->gamma;
  for (int h = stages - 1; h >= 0; h--) {
    const double *next_V = m->horizon > 0 ? V_star + (size_t)(h + 1) * S : V_star;
    double e = 0;
    for (int s = 0; s < S; s++)
      for (int a = 0; a < m->A; a++) {
        size_t b = tabrl_mdp_block(m, h, s, a);
        double mean = 0, second = 0, lo = INFINITY, hi = -INFINITY;
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
          double x = m->reward[k] + discount * next_V[m->next[k]];
          mean += m->prob[k] * x;
          second += m->prob[k] * x * x;
          lo = fmin(lo, x);
          hi = fmax(hi, x);
        }
        double var = fmax(second - mean * mean, 0);
        e = fmax(e, sqrt(2 * var * L / n) + 2 * (hi - lo) * L / (3 * n));
      }
    if (m->horizon > 0) {
      later += e;
      eps[h] = later;
    } else {
      eps[0] = e / (1 - m->gamma);
    }
  }
}

/* The gap between the best and second-best valid action at (h, s), from the
 * oracle's Q (H*S*A, or S*A discounted). */
static double action_gap(const tabrl_mdp *m, const double *Q, int h, int s)
{
  const double *row = Q + ((size_t)h * m->S + s) * m->A;
  double best = -INFINITY, second = -INFINITY;
  for (int a = 0; a < m->A; a++) {
    if (!tabrl_mdp_valid(m, h, s, a)) continue;
    if (row[a] > best) {
      second = best;
      best = row[a];
    } else if (row[a] > second) {
      second = row[a];
    }
  }
  return best - second; /* inf with a single valid action */
}

/* Q* of m (stages*S*A), by backward induction or from V* of PI. */
static void optimal_q(const tabrl_mdp *m, double *V_star, double *Q)
{
  if (m->horizon > 0) {
    ck_assert_int_eq(tabrl_oracle_backward(m, V_star, Q, NULL), 0);
  } else {
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    ck_assert_int_eq(tabrl_oracle_pi(m, 100, pi, V_star, NULL, NULL), 0);
    for (int s = 0; s < m->S; s++) tabrl_oracle_backup(m, 0, s, V_star, m->gamma, Q + s * m->A);
    tabrl_policy_free(pi);
  }
}

/* Fits plug-in (stationary = pooled) on per_pair samples of every pair and
 * checks, at every (h, s) whose optimal action gap exceeds 2 eps_h, that the
 * plug-in action is an optimal one: on the Bernstein event |Q-hat - Q*| <=
 * eps_h < gap / 2 there, so Q-hat's argmax is Q*'s.  The event has
 * probability >= 1 - 1e-6; the seed is fixed, so the test is deterministic.
 * Returns how many (h, s) the bound covers, stores how many of them are at
 * stage 0 and the exact start value of the plug-in policy. */
static int check_plug_in(const tabrl_mdp *m, int per_pair, int pooled, int *covered_stage0,
                         double *start_value)
{
  int stages = tabrl_mdp_value_stages(m), covered = 0;
  size_t n;
  tabrl_step *steps = generative_dataset(m, per_pair, -1, pooled, &n);
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 1000, 0);
  tabrl_setting set[1] = {{"stationary", pooled ? "true" : "false", "test", 0}};
  tabrl_algo *algo = test_make("plug-in", &p, set, 1), *scratch = test_make("plug-in", &p, set, 1);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *pi2 = tabrl_policy_alloc_for(m);
  double *V_star = malloc(tabrl_oracle_value_size(m) * sizeof *V_star);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double *Q = malloc((size_t)stages * m->S * m->A * sizeof *Q), eps[64];

  /* growing prefixes, as the runner calls fit() (small ones first, so the
   * counts' arrays grow and rehash with entries in them), then the whole
   * set fresh: the incremental counts must give the same policy */
  size_t prefix[] = {1, 7, 50, 300, n / 4, n / 2, n};
  for (size_t k = 0; k < sizeof prefix / sizeof prefix[0]; k++) {
    tabrl_dataset data = {.n = prefix[k] < n ? prefix[k] : n, .steps = steps};
    ck_assert_msg(algo->type->fit(algo->state, &data) == 0, "%s", tabrl_error_message());
  }
  tabrl_dataset all = {.n = n, .steps = steps};
  ck_assert_int_eq(scratch->type->fit(scratch->state, &all), 0);
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  ck_assert_int_eq(scratch->type->policy(scratch->state, pi2), 0);
  ck_assert_mem_eq(pi->prob, pi2->prob, (size_t)stages * m->S * m->A * sizeof(double));
  ck_assert_int_eq(tabrl_policy_check(pi, m), 0);

  optimal_q(m, V_star, Q);
  ck_assert_int_le(stages, 64);
  bernstein_radius(m, V_star, per_pair, 1e-6, eps);
  *covered_stage0 = 0;
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++) {
      double gap = action_gap(m, Q, h, s);
      const double *row = Q + ((size_t)h * m->S + s) * m->A;
      int a = tabrl_policy_argmax(pi, h, s);
      if (!(gap > 2 * eps[h]) || isinf(gap)) continue;
      covered++;
      *covered_stage0 += h == 0;
      for (int b = 0; b < m->A; b++)
        if (tabrl_mdp_valid(m, h, s, b))
          ck_assert_msg(row[a] >= row[b],
                        "stage %d state %d: plug-in action %d, optimal %d (gap %g, eps %g)", h, s,
                        a, b, gap, eps[h]);
    }
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  *start_value = tabrl_oracle_start_value(m, V);
  free(steps);
  free(valid);
  free(V_star);
  free(V);
  free(Q);
  tabrl_policy_free(pi);
  tabrl_policy_free(pi2);
  tabrl_algo_free(algo);
  tabrl_algo_free(scratch);
  gsl_rng_free(rng);
  return covered;
}

START_TEST(test_plug_in_riverswim)
{
  /* RiverSwim(6), H = 20.  Stage-dependent counts, 2000 samples per
   * (h, s, a): the worst-case radius eps_h adds one Bernstein term per later
   * stage, so it covers only the late stages (at h = 0 it is 2.3, above half
   * the smallest stage-0 gap, 0.38 / 2); every covered (h, s) must be
   * optimal. */
  tabrl_mdp *m = riverswim("20");
  double value;
  int stage0, covered = check_plug_in(m, 2000, 0, &stage0, &value);
  ck_assert_int_ge(covered, 12);
  /* Pooled counts (stationary = true), 250000 samples per (s, a): then
   * eps_0 < 0.19 < gap_0(s) / 2 at every state, so the stage-0 policy is
   * the optimal one at every state (and the whole policy is optimal). */
  covered = check_plug_in(m, 250000, 1, &stage0, &value);
  ck_assert_int_eq(stage0, 6);
  ck_assert_double_eq_tol(value, 3.39726395915, 1e-9);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_plug_in_forest)
{
  /* Forest, gamma 0.9, 20000 samples per (s, a): eps = e / (1 - gamma) is
   * below half of every action gap (the smallest, at state 0, is
   * 26.244 - 0.9 * 26.244 = 2.62), so the plug-in policy is optimal. */
  tabrl_mdp *m = forest();
  double value;
  int stage0, covered = check_plug_in(m, 20000, 0, &stage0, &value);
  ck_assert_int_eq(covered, 3);
  ck_assert_double_eq_tol(value, 26.244, 1e-3);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_plug_in_unvisited)
{
  /* Only action 0 (left) is in the data.  unvisited = zero: Q_h(s,1) = 0
   * while Q_h(s,0) >= 0 (rewards >= 0), a tie at worst, broken towards the
   * lowest action: action 0 everywhere.  unvisited = optimistic:
   * Q_h(s,1) = H - h and, by induction from h = H - 1, V-hat_{h+1} = H - h - 1
   * so Q_h(s,0) = r + H - h - 1 <= 0.005 + H - h - 1 < H - h: action 1
   * everywhere. */
  tabrl_mdp *m = riverswim("20");
  unsigned char valid[12];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 1000, 0);
  size_t n;
  tabrl_step *steps = generative_dataset(m, 50, 0, 0, &n);
  tabrl_dataset data = {.n = n, .steps = steps};
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  const char *choice[2] = {"zero", "optimistic"};
  for (int c = 0; c < 2; c++) {
    tabrl_setting set[1] = {{"unvisited", choice[c], "test", 0}};
    tabrl_algo *algo = test_make("plug-in", &p, set, 1);
    ck_assert_int_eq(algo->type->fit(algo->state, &data), 0);
    ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
    for (int h = 0; h < 20; h++)
      for (int s = 0; s < 6; s++) ck_assert_int_eq(tabrl_policy_argmax(pi, h, s), c);
    tabrl_algo_free(algo);
  }
  /* A step out of range is refused with its index. */
  steps[3].next = 6;
  tabrl_algo *algo = test_make("plug-in", &p, NULL, 0);
  ck_assert_int_eq(algo->type->fit(algo->state, &data), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "step 3"));
  tabrl_algo_free(algo);
  free(steps);
  tabrl_policy_free(pi);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("algos");
  TCase *tc = tcase_create("baseline");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_registry);
  tcase_add_test(tc, test_alloc_failures);
  tcase_add_test(tc, test_random_uniform_and_valid);
  tcase_add_test(tc, test_greedy_q_updates_by_hand);
  tcase_add_test(tc, test_greedy_q_policy);
  tcase_add_test(tc, test_greedy_q_epsilon_one_uniform);
  tcase_add_test(tc, test_greedy_q_learns_riverswim);
  tcase_add_test(tc, test_value_iteration_episodic);
  tcase_add_test(tc, test_value_iteration_discounted_contraction);
  tcase_add_test(tc, test_policy_iteration);
  tcase_add_test(tc, test_random_duel);
  tcase_add_test(tc, test_plug_in_riverswim);
  tcase_add_test(tc, test_plug_in_forest);
  tcase_add_test(tc, test_plug_in_unvisited);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
