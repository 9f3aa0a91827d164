/* The exact oracle against MDPs solved by hand, the RiverSwim reference
 * value, cross-checks between solvers, and the simulator against exact
 * values (Monte Carlo within a confidence interval). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"
#include "tabrl/sim.h"

/* Two states, gamma 0.9.  State 0: action 0 stays (r = 1); action 1 moves to
 * state 1 w.p. 1/2, else stays (r = 0).  State 1 (one action) stays, r = 2.
 * V(1) = 2 / 0.1 = 20.  Action 1 at 0: V = 0.9 (10 + V / 2) => V = 9 / 0.55;
 * action 0: V = 1 / 0.1 = 10.  So V* = (16.3636..., 20), pi*(0) = 1. */
static tabrl_mdp *two_state(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 0, 0.9);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 0.5, 0.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 0.5, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 2.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_two_state_pi)
{
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[2];
  int iterations;
  ck_assert_int_eq(tabrl_oracle_pi(m, 100, pi, V, NULL, &iterations), 0);
  ck_assert_double_eq_tol(V[0], 9.0 / 0.55, 1e-12);
  ck_assert_double_eq_tol(V[1], 20.0, 1e-12);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 0), 1);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 1), 0); /* action 1 invalid at state 1 */
  ck_assert_int_le(iterations, 3);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_two_state_vi_tolerance)
{
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[2] = {0, 0}, eps = 1e-6;
  int iterations;
  ck_assert_int_eq(tabrl_oracle_vi(m, eps, 100000, V, pi, NULL, &iterations), 0);
  /* The stopping rule guarantees |V - V*| < eps / 2. */
  ck_assert_double_eq_tol(V[0], 9.0 / 0.55, eps / 2);
  ck_assert_double_eq_tol(V[1], 20.0, eps / 2);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 0), 1);
  /* With V0 = 0 the error after k sweeps is at least 20 * 0.9^k. */
  ck_assert_int_ge(iterations, (int)(log(eps / 2 / 20) / log(0.9)));
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_two_state_vi_budget)
{
  tabrl_mdp *m = two_state();
  double V[2] = {0, 0};
  int iterations;
  ck_assert_int_eq(tabrl_oracle_vi(m, 1e-9, 3, V, NULL, NULL, &iterations), TABRL_ENUMERIC);
  ck_assert_int_eq(iterations, 3);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_two_state_evaluate)
{
  /* Uniform at state 0: V0 = 0.5 (1 + 0.9 V0) + 0.5 (0.9 (10 + V0 / 2))
   * => V0 (1 - 0.675) = 5 => V0 = 5 / 0.325. */
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[2];
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_double_eq_tol(V[0], 5.0 / 0.325, 1e-12);
  ck_assert_double_eq_tol(V[1], 20.0, 1e-12);
  /* A policy with mass on an invalid action is refused. */
  tabrl_policy_set_action(pi, 0, 1, 1);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), TABRL_EINVAL);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* A 3-stage chain with stage-dependent rewards: states 0..2, action 0 stays,
 * action 1 moves right (capped).  Stage rewards: staying at state s in stage
 * h pays (h == 2 ? s : 0.1); moving pays 0.  Best from 0: move, move, stay =>
 * V*_0(0) = 2; V*_2(s) = s; V*_1(1) = max(0.1 + 1, 0 + 2) = 2. */
static tabrl_mdp *three_stage(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 3);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 3, 1.0);
  for (int h = 0; h < 3; h++)
    for (int s = 0; s < 3; s++) {
      tabrl_mdp_builder_add(b, h, s, 0, s, 1.0, h == 2 ? s : 0.1);
      tabrl_mdp_builder_add(b, h, s, 1, s < 2 ? s + 1 : 2, 1.0, 0.0);
    }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_three_stage_backward)
{
  tabrl_mdp *m = three_stage();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[12], Q[18];
  ck_assert_int_eq(tabrl_oracle_backward(m, V, Q, pi), 0);
  /* stage 2 */
  ck_assert_double_eq(V[6 + 0], 0.0);
  ck_assert_double_eq(V[6 + 1], 1.0);
  ck_assert_double_eq(V[6 + 2], 2.0);
  /* stage 1: s=0: max(0.1 + 0.1, 0 + 1) = 1; s=1: max(0.1 + 1, 2) = 2; s=2: 0.1 + 2 */
  ck_assert_double_eq_tol(V[3 + 0], 1.0, 1e-15);
  ck_assert_double_eq_tol(V[3 + 1], 2.0, 1e-15);
  ck_assert_double_eq_tol(V[3 + 2], 2.1, 1e-15);
  /* stage 0: s=0: max(0.1 + 1, 0 + 2) = 2 */
  ck_assert_double_eq_tol(V[0], 2.0, 1e-15);
  ck_assert_double_eq(V[9], 0.0);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 0), 1);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 1, 1), 1);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 2, 2), 0);
  ck_assert_double_eq_tol(Q[(0 * 3 + 0) * 2 + 0], 1.1, 1e-15);
  ck_assert_double_eq_tol(Q[(0 * 3 + 0) * 2 + 1], 2.0, 1e-15);
  /* Evaluating the greedy policy gives V* back; PI agrees. */
  double W[12];
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, W), 0);
  for (int i = 0; i < 12; i++) ck_assert_double_eq_tol(W[i], V[i], 1e-14);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_pi(m, 100, pi, W, NULL, NULL), 0);
  for (int i = 0; i < 12; i++) ck_assert_double_eq_tol(W[i], V[i], 1e-14);
  ck_assert_double_eq_tol(tabrl_oracle_start_value(m, V), 2.0, 1e-15);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

static tabrl_mdp *riverswim(const char *states, const char *horizon)
{
  tabrl_setting s[2] = {{"states", states, "test", 0}, {"horizon", horizon, "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("riverswim", s, 2, &m), 0);
  return m;
}

START_TEST(test_riverswim_reference)
{
  /* RiverSwim(6), H = 20: V*_0(0) = 3.39726395915 (algos/README.md,
   * "Reference values"). */
  tabrl_mdp *m = riverswim("6", "20");
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, NULL), 0);
  ck_assert_double_eq_tol(tabrl_oracle_start_value(m, V), 3.39726395915, 1e-10);
  free(V);
  tabrl_mdp_free(m);
}
END_TEST

/* Random dense-ish discounted model from a fixed seed. */
static tabrl_mdp *random_model(int S, int A, double gamma, uint64_t seed)
{
  tabrl_pcg32 rng;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(S, A, 1);
  tabrl_mdp *m = NULL;
  tabrl_rng_stream(&rng, seed, TABRL_STREAM_ENV, 0);
  tabrl_mdp_builder_set_time(b, 0, gamma);
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++) {
      double w[4], total = 0;
      for (int k = 0; k < 4; k++) total += w[k] = tabrl_pcg32_uniform(&rng) + 0.01;
      for (int k = 0; k < 4; k++)
        tabrl_mdp_builder_add(b, 0, s, a, (int)tabrl_pcg32_below(&rng, (uint32_t)S), w[k] / total,
                              tabrl_pcg32_uniform(&rng));
    }
  /* Repeated (s', r) pairs are merged; the sum stays 1 up to rounding. */
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_vi_pi_agree_random)
{
  tabrl_mdp *m = random_model(40, 3, 0.95, 5);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *greedy = tabrl_policy_alloc_for(m);
  double V_pi[40], V_vi[40] = {0}, V_greedy[40], eps = 1e-6;
  ck_assert_int_eq(tabrl_oracle_pi(m, 1000, pi, V_pi, NULL, NULL), 0);
  ck_assert_int_eq(tabrl_oracle_vi(m, eps, 1000000, V_vi, greedy, NULL, NULL), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, greedy, V_greedy), 0);
  for (int s = 0; s < 40; s++) {
    ck_assert_double_eq_tol(V_vi[s], V_pi[s], eps / 2);
    /* eps-optimality of the greedy policy, and V* >= V^pi. */
    ck_assert_double_le(V_pi[s] - V_greedy[s], eps);
    ck_assert_double_ge(V_pi[s] - V_greedy[s], -1e-9);
  }
  /* Bellman optimality: one sweep of V* moves it by rounding only. */
  double W[40];
  ck_assert_double_lt(tabrl_oracle_sweep(m, V_pi, W, NULL), 1e-11);
  tabrl_policy_free(pi);
  tabrl_policy_free(greedy);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_fixed_run_sweep_matches_generic)
{
  /* Garnet has the same number of entries in every block, which selects the
   * unrolled sweep kernel; it must agree with the per-state backup. */
  tabrl_setting set[3] = {
      {"states", "300", "test", 0}, {"branching", "5", "test", 0}, {"actions", "4", "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("garnet", set, 3, &m), 0);
  ck_assert_uint_eq(m->uniform_run, 5);
  double V[300], W[300], Q[4];
  int action[300];
  for (int s = 0; s < 300; s++) V[s] = (s % 17) * 0.25;
  double residual = tabrl_oracle_sweep(m, V, W, action), expected_residual = 0;
  for (int s = 0; s < 300; s++) {
    int best = 0;
    tabrl_oracle_backup(m, 0, s, V, m->gamma, Q);
    for (int a = 1; a < 4; a++)
      if (Q[a] > Q[best]) best = a;
    ck_assert_double_eq_tol(W[s], Q[best], 1e-12);
    ck_assert_int_eq(action[s], best);
    expected_residual = fmax(expected_residual, fabs(Q[best] - V[s]));
  }
  ck_assert_double_eq_tol(residual, expected_residual, 1e-12);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_vi_refuses_episodic)
{
  tabrl_mdp *m = riverswim("6", "20");
  double V[6] = {0};
  ck_assert_int_eq(tabrl_oracle_vi(m, 1e-6, 10, V, NULL, NULL, NULL), TABRL_EUNSUPPORTED);
  tabrl_mdp_free(m);
  m = two_state();
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, NULL), TABRL_EUNSUPPORTED);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_simulated_returns_match_exact)
{
  /* Mean return of n simulated episodes of the uniform policy on
   * RiverSwim(6), H = 20, against its exact value: within 4 standard errors
   * (two-sided 99.994%), the standard error estimated from the sample. */
  tabrl_mdp *m = riverswim("6", "20");
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  gsl_rng *r = tabrl_gsl_rng_stream(2024, TABRL_STREAM_TRANSITIONS, 0);
  int n = 40000;
  double sum = 0, sum2 = 0;
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  for (int i = 0; i < n; i++) {
    double g = tabrl_sim_episode(m, pi, r, 0, NULL);
    sum += g;
    sum2 += g * g;
  }
  double mean = sum / n, sd = sqrt((sum2 - n * mean * mean) / (n - 1));
  ck_assert_double_eq_tol(mean, tabrl_oracle_start_value(m, V), 4 * sd / sqrt(n));
  /* and with the optimal policy, whose value is the reference */
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, pi), 0);
  sum = sum2 = 0;
  for (int i = 0; i < n; i++) {
    double g = tabrl_sim_episode(m, pi, r, 0, NULL);
    sum += g;
    sum2 += g * g;
  }
  mean = sum / n;
  sd = sqrt((sum2 - n * mean * mean) / (n - 1));
  ck_assert_double_eq_tol(mean, 3.39726395915, 4 * sd / sqrt(n));
  gsl_rng_free(r);
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_discounted_rollout_matches_exact)
{
  /* Discounted return truncated at 300 steps (0.9^300 * 20 < 1e-12) of the
   * uniform policy on the two-state model, 4 standard errors. */
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  gsl_rng *r = tabrl_gsl_rng_stream(99, TABRL_STREAM_TRANSITIONS, 0);
  double V[2], sum = 0, sum2 = 0;
  int n = 20000;
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  for (int i = 0; i < n; i++) {
    double g = tabrl_sim_episode(m, pi, r, 300, NULL);
    sum += g;
    sum2 += g * g;
  }
  double mean = sum / n, sd = sqrt((sum2 - n * mean * mean) / (n - 1));
  ck_assert_double_eq_tol(mean, V[0], 4 * sd / sqrt(n));
  gsl_rng_free(r);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("oracle");
  TCase *tc = tcase_create("exact");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_two_state_pi);
  tcase_add_test(tc, test_two_state_vi_tolerance);
  tcase_add_test(tc, test_two_state_vi_budget);
  tcase_add_test(tc, test_two_state_evaluate);
  tcase_add_test(tc, test_three_stage_backward);
  tcase_add_test(tc, test_riverswim_reference);
  tcase_add_test(tc, test_vi_pi_agree_random);
  tcase_add_test(tc, test_fixed_run_sweep_matches_generic);
  tcase_add_test(tc, test_vi_refuses_episodic);
  tcase_add_test(tc, test_simulated_returns_match_exact);
  tcase_add_test(tc, test_discounted_rollout_matches_exact);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
