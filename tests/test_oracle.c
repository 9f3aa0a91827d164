/* The exact oracle against MDPs solved by hand, the RiverSwim reference
 * value, cross-checks between solvers, and the simulator against exact
 * values (Monte Carlo within a confidence interval). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- workspace evaluation: V^pi, Q^pi, occupancy ---- */

/* Garnet(S, A, 5) with the given time ("gamma" or "horizon") and seed. */
static tabrl_mdp *garnet(const char *S, const char *A, const char *time_key, const char *time,
                         const char *seed)
{
  tabrl_setting set[5] = {{"states", S, "test", 0},
                          {"actions", A, "test", 0},
                          {"branching", "5", "test", 0},
                          {time_key, time, "test", 0},
                          {"seed", seed, "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("garnet", set, 5, &m), 0);
  return m;
}

/* A stochastic policy (every stage) with random weights on the valid
 * actions, seeded. */
static void random_policy(const tabrl_mdp *m, tabrl_policy *pi, uint64_t seed)
{
  tabrl_pcg32 rng;
  tabrl_rng_stream(&rng, seed, TABRL_STREAM_ALGO, 0);
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(pi, h, s), total = 0;
      for (int a = 0; a < m->A; a++)
        total += row[a] = tabrl_mdp_valid(m, h, s, a) ? tabrl_pcg32_uniform(&rng) + 0.05 : 0;
      for (int a = 0; a < m->A; a++) row[a] /= total;
    }
}

/* r_pi(h, s) = sum_a pi(a|h,s) r(h,s,a). */
static double policy_reward(const tabrl_mdp *m, const tabrl_policy *pi, int h, int s)
{
  const double *w = tabrl_policy_row(pi, h, s);
  double r = 0;
  for (int a = 0; a < m->A; a++)
    if (w[a] > 0) r += w[a] * m->mean_reward[tabrl_mdp_block(m, h, s, a)];
  return r;
}

START_TEST(test_q_pi_two_state_closed_form)
{
  /* Uniform policy: V0 = 5 / 0.325, V1 = 20 (test_two_state_evaluate), so
   * Q(0,0) = 1 + 0.9 V0, Q(0,1) = 0.9 (V0 + V1) / 2, Q(1,0) = 2 + 0.9 * 20,
   * Q(1,1) = -inf (invalid). */
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double V[2], Q[4], V0 = 5.0 / 0.325;
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_q_pi(m, pi, 0, ws, V, Q), 0);
  ck_assert_double_eq_tol(V[0], V0, 1e-11);
  ck_assert_double_eq_tol(V[1], 20.0, 1e-11);
  ck_assert_double_eq_tol(Q[0], 1 + 0.9 * V0, 1e-11);
  ck_assert_double_eq_tol(Q[1], 0.45 * (V0 + 20), 1e-11);
  ck_assert_double_eq_tol(Q[2], 20.0, 1e-11);
  ck_assert(isinf(Q[3]) && Q[3] < 0);
  ck_assert_double_le(tabrl_oracle_workspace_residual(ws), 1e-12);
  /* V may be NULL: the workspace holds V^pi. */
  double Q2[4];
  ck_assert_int_eq(tabrl_oracle_q_pi(m, pi, 0, ws, NULL, Q2), 0);
  for (int i = 0; i < 3; i++) ck_assert_double_eq(Q2[i], Q[i]);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_q_pi_three_stage_closed_form)
{
  /* Stage-dependent policy on three_stage: stage 0 uniform, stage 1 always
   * moves, stage 2 always stays.  V_2(s) = s; V_1(s) = V_2(min(s+1, 2)):
   * (1, 2, 2); Q_0(0, stay) = 0.1 + V_1(0) = 1.1, Q_0(0, move) = V_1(1) = 2,
   * V_0(0) = 1.55. */
  tabrl_mdp *m = three_stage();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double V[12], Q[18];
  tabrl_policy_set_uniform(pi, m);
  for (int s = 0; s < 3; s++) {
    tabrl_policy_set_action(pi, 1, s, 1);
    tabrl_policy_set_action(pi, 2, s, 0);
  }
  ck_assert_int_eq(tabrl_oracle_q_pi(m, pi, 0, ws, V, Q), 0);
  ck_assert_double_eq_tol(Q[0], 1.1, 1e-15);
  ck_assert_double_eq_tol(Q[1], 2.0, 1e-15);
  ck_assert_double_eq_tol(V[0], 1.55, 1e-15);
  ck_assert_double_eq_tol(Q[(1 * 3 + 2) * 2 + 0], 0.1 + 2, 1e-15); /* Q_1(2, stay) */
  ck_assert_double_eq_tol(Q[(2 * 3 + 1) * 2 + 1], 0.0, 1e-15);     /* Q_2(1, move) */
  ck_assert_int_eq(tabrl_oracle_workspace_iterations(ws), 0);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* sum_a pi(a|h,s) Q^pi(h,s,a) = V^pi_h(s) at every (h, s). */
static void check_q_averages_to_v(const tabrl_mdp *m, uint64_t seed, double tol)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  int stages = tabrl_mdp_value_stages(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double *Q = malloc((size_t)stages * m->S * m->A * sizeof *Q);
  random_policy(m, pi, seed);
  ck_assert_int_eq(tabrl_oracle_q_pi(m, pi, 0, ws, V, Q), 0);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++) {
      const double *w = tabrl_policy_row(pi, h, s);
      double v = 0;
      for (int a = 0; a < m->A; a++)
        if (w[a] > 0) v += w[a] * Q[((size_t)h * m->S + s) * m->A + a];
      ck_assert_double_eq_tol(v, V[(size_t)h * m->S + s], tol);
    }
  free(V);
  free(Q);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
}

START_TEST(test_q_pi_averages_to_v)
{
  tabrl_mdp *m = garnet("60", "4", "gamma", "0.9", "3");
  check_q_averages_to_v(m, 1, 1e-11);
  tabrl_mdp_free(m);
  m = random_model(40, 3, 0.99, 8);
  check_q_averages_to_v(m, 2, 1e-11);
  tabrl_mdp_free(m);
  m = garnet("30", "3", "horizon", "15", "4");
  check_q_averages_to_v(m, 3, 1e-13);
  tabrl_mdp_free(m);
}
END_TEST

/* The sparse path against the dense LU, |V - V_LU| <= residual / (1 - gamma)
 * plus the LU's own rounding, and both far inside 1e-10. */
static void check_sparse_matches_lu(const tabrl_mdp *m, uint64_t seed)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double *V = malloc((size_t)m->S * sizeof *V), *V_lu = malloc((size_t)m->S * sizeof *V_lu);
  random_policy(m, pi, seed);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V_lu), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, V), 0);
  double res = tabrl_oracle_workspace_residual(ws);
  ck_assert_double_le(res, 1e-12);
  ck_assert_int_gt(tabrl_oracle_workspace_iterations(ws), 1);
  for (int s = 0; s < m->S; s++) {
    ck_assert_double_eq_tol(V[s], V_lu[s], 1e-10);
    ck_assert_double_le(fabs(V[s] - V_lu[s]), res / (1 - m->gamma) + 1e-13 * (1 + fabs(V_lu[s])));
  }
  /* Unchecked gives the same numbers. */
  double *U = malloc((size_t)m->S * sizeof *U);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, TABRL_ORACLE_UNCHECKED, ws, U), 0);
  for (int s = 0; s < m->S; s++) ck_assert_double_eq(U[s], V[s]);
  /* A warm start from the solution stops after its first sweep. */
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, TABRL_ORACLE_WARM_START, ws, U), 0);
  ck_assert_int_eq(tabrl_oracle_workspace_iterations(ws), 1);
  for (int s = 0; s < m->S; s++) ck_assert_double_eq_tol(U[s], V_lu[s], 1e-10);
  free(U);
  free(V);
  free(V_lu);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
}

START_TEST(test_sparse_matches_lu_discounted)
{
  static const char *const gammas[] = {"0.5", "0.9", "0.99"};
  static const char *const seeds[] = {"1", "2", "3"};
  for (int g = 0; g < 3; g++)
    for (int k = 0; k < 3; k++) {
      tabrl_mdp *m =
          garnet(k == 2 ? "150" : "80", k == 1 ? "2" : "4", "gamma", gammas[g], seeds[k]);
      check_sparse_matches_lu(m, (uint64_t)(10 * g + k));
      tabrl_mdp_free(m);
    }
  /* Self-loops and duplicate next states merged into one row entry. */
  tabrl_mdp *m = random_model(5, 3, 0.99, 11);
  check_sparse_matches_lu(m, 7);
  tabrl_mdp_free(m);
  m = two_state();
  check_sparse_matches_lu(m, 8);
  tabrl_mdp_free(m);
}
END_TEST

/* Episodic: the workspace path is the backward evaluation, bit for bit. */
static void check_episodic_identical(const tabrl_mdp *m, tabrl_oracle_workspace *ws, uint64_t seed)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  size_t n = tabrl_oracle_value_size(m);
  double *V = malloc(n * sizeof *V), *W = malloc(n * sizeof *W);
  random_policy(m, pi, seed);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, W), 0);
  for (size_t i = 0; i < n; i++) ck_assert_double_eq(W[i], V[i]);
  free(V);
  free(W);
  tabrl_policy_free(pi);
}

START_TEST(test_sparse_matches_backward_episodic)
{
  tabrl_mdp *m = riverswim("6", "20");
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  check_episodic_identical(m, ws, 1);
  tabrl_oracle_workspace_free(ws);
  tabrl_mdp_free(m);
  m = three_stage();
  ws = tabrl_oracle_workspace_alloc(m);
  check_episodic_identical(m, ws, 2);
  tabrl_mdp_free(m);
  /* The same workspace (3 states, 2 actions) grows for a longer horizon. */
  m = riverswim("3", "40");
  check_episodic_identical(m, ws, 3);
  tabrl_oracle_workspace_free(ws);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_workspace_grows_for_discounted)
{
  /* Allocated for an episodic model (no sparse entries), then used on the
   * discounted version of the same model. */
  tabrl_mdp *m = riverswim("6", "20");
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 0.95), 0);
  check_sparse_matches_lu(m, 4);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[6], V_lu[6];
  random_policy(m, pi, 5);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V_lu), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, V), 0);
  for (int s = 0; s < 6; s++) ck_assert_double_eq_tol(V[s], V_lu[s], 1e-10);
  tabrl_oracle_workspace_free(ws);
  tabrl_oracle_workspace_free(NULL);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_occupancy_two_state_discounted)
{
  /* Uniform policy: from state 0 the chain stays w.p. 1/2 + 1/4 = 3/4, and
   * state 1 is absorbing, so P(s_t = 0) = 0.75^t from mu0 = (1, 0):
   * d(0) = 1 / (1 - 0.675) = 1 / 0.325, d(1) = 10 - d(0). */
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double d[2], dn[2], d_sa[4], V[2];
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, 0, ws, d), 0);
  ck_assert_double_eq_tol(d[0], 1 / 0.325, 1e-11);
  ck_assert_double_eq_tol(d[1], 10 - 1 / 0.325, 1e-11);
  ck_assert_double_le(tabrl_oracle_workspace_residual(ws), 1e-12);
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, TABRL_ORACLE_NORMALIZED, ws, dn), 0);
  ck_assert_double_eq_tol(dn[0], 0.1 / 0.325, 1e-12);
  ck_assert_double_eq_tol(dn[0] + dn[1], 1.0, 1e-12);
  /* J = sum_s d(s) r_pi(s), r_pi = (1/2, 2); = V(0) = 5 / 0.325. */
  ck_assert_double_eq_tol(0.5 * d[0] + 2 * d[1], 5 / 0.325, 1e-10);
  ck_assert_double_eq_tol((0.5 * dn[0] + 2 * dn[1]) / 0.1, 5 / 0.325, 1e-10);
  /* From start (1/2, 1/2): d(0) = 0.5 / 0.325; J = (V(0) + V(1)) / 2. */
  const double start[2] = {0.5, 0.5};
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, start, 0, ws, d), 0);
  ck_assert_double_eq_tol(d[0], 0.5 / 0.325, 1e-11);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_double_eq_tol(0.5 * d[0] + 2 * d[1], 0.5 * (V[0] + V[1]), 1e-10);
  /* d(s, a) = d(s) pi(a|s). */
  ck_assert_int_eq(tabrl_oracle_occupancy_sa(m, pi, d, d_sa), 0);
  ck_assert_double_eq_tol(d_sa[0], 0.25 / 0.325, 1e-11);
  ck_assert_double_eq_tol(d_sa[1], 0.25 / 0.325, 1e-11);
  ck_assert_double_eq_tol(d_sa[2], d[1], 1e-15);
  ck_assert_double_eq(d_sa[3], 0.0);
  /* A start that is not a distribution is refused. */
  const double bad[2] = {0.5, 0.6};
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, bad, 0, ws, d), TABRL_EINVAL);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_occupancy_two_state_episodic)
{
  /* The same chain with H = 3: d_0 = (1, 0), d_1 = (3/4, 1/4),
   * d_2 = (9/16, 7/16); J = sum_h d_h . r_pi = 1/2 (1 + 3/4 + 9/16) +
   * 2 (1/4 + 7/16) = 2.53125. */
  tabrl_mdp *m = two_state();
  tabrl_policy *pi;
  tabrl_oracle_workspace *ws;
  double d[6], V[8], d_sa[12];
  ck_assert_int_eq(tabrl_mdp_set_time(m, 3, 1.0), 0);
  pi = tabrl_policy_alloc_for(m);
  ws = tabrl_oracle_workspace_alloc(m);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, TABRL_ORACLE_NORMALIZED, ws, d), 0);
  const double expect[6] = {1, 0, 0.75, 0.25, 0.5625, 0.4375};
  for (int i = 0; i < 6; i++) ck_assert_double_eq_tol(d[i], expect[i], 1e-15);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert_double_eq_tol(V[0], 2.53125, 1e-14);
  double J = 0;
  for (int h = 0; h < 3; h++)
    for (int s = 0; s < 2; s++) J += d[h * 2 + s] * policy_reward(m, pi, h, s);
  ck_assert_double_eq_tol(J, 2.53125, 1e-14);
  ck_assert_int_eq(tabrl_oracle_occupancy_sa(m, pi, d, d_sa), 0);
  ck_assert_double_eq_tol(d_sa[(2 * 2 + 0) * 2 + 1], 0.5625 / 2, 1e-15);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* Occupancy identities on a random model: sums, and J recomputed from d
 * against sum_s start(s) V^pi(s) from the LU or the backward evaluation. */
static void check_occupancy_identities(const tabrl_mdp *m, uint64_t seed)
{
  int stages = tabrl_mdp_value_stages(m), S = m->S;
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double *d = malloc((size_t)stages * S * sizeof *d), *dn = malloc((size_t)stages * S * sizeof *dn);
  double *d_sa = malloc((size_t)stages * S * m->A * sizeof *d_sa);
  random_policy(m, pi, seed);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  double J = tabrl_oracle_start_value(m, V);
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, 0, ws, d), 0);
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, TABRL_ORACLE_NORMALIZED, ws, dn), 0);
  ck_assert_int_eq(tabrl_oracle_occupancy_sa(m, pi, d, d_sa), 0);
  double scale = m->horizon > 0 ? 1 : 1 / (1 - m->gamma), Jd = 0, Jn = 0, Jsa = 0;
  for (int h = 0; h < stages; h++) {
    double total = 0, total_n = 0;
    for (int s = 0; s < S; s++) {
      size_t i = (size_t)h * S + s;
      double r = policy_reward(m, pi, h, s), sa = 0;
      total += d[i];
      total_n += dn[i];
      Jd += d[i] * r;
      Jn += dn[i] * r;
      for (int a = 0; a < m->A; a++) {
        sa += d_sa[i * m->A + a];
        if (d_sa[i * m->A + a] > 0)
          Jsa += d_sa[i * m->A + a] * m->mean_reward[tabrl_mdp_block(m, h, s, a)];
      }
      ck_assert_double_eq_tol(sa, d[i], 1e-12 * scale);
    }
    ck_assert_double_eq_tol(total, scale, 1e-10);
    ck_assert_double_eq_tol(total_n, 1.0, 1e-12);
  }
  ck_assert_double_eq_tol(Jd, J, 1e-9);
  ck_assert_double_eq_tol(Jn * scale, J, 1e-9);
  ck_assert_double_eq_tol(Jsa, J, 1e-9);
  free(V);
  free(d);
  free(dn);
  free(d_sa);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
}

START_TEST(test_occupancy_identities)
{
  static const char *const gammas[] = {"0.5", "0.9", "0.99"};
  for (int g = 0; g < 3; g++) {
    tabrl_mdp *m = garnet("100", "3", "gamma", gammas[g], "9");
    check_occupancy_identities(m, (uint64_t)g);
    tabrl_mdp_free(m);
  }
  tabrl_mdp *m = random_model(30, 3, 0.95, 12);
  check_occupancy_identities(m, 4);
  tabrl_mdp_free(m);
  m = garnet("50", "4", "horizon", "25", "6");
  check_occupancy_identities(m, 5);
  tabrl_mdp_free(m);
  m = three_stage(); /* stage-dependent outcomes */
  check_occupancy_identities(m, 6);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_sparse_steps_do_not_grow_with_horizon)
{
  /* The correction of the slowest mode makes the step count depend on the
   * mixing of P_pi, not on 1 / (1 - gamma): plain Jacobi needs over 2500
   * steps at gamma 0.99 and 25,000 at 0.999. */
  static const char *const gammas[] = {"0.99", "0.999"};
  for (int g = 0; g < 2; g++) {
    tabrl_mdp *m = garnet("300", "4", "gamma", gammas[g], "5");
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
    double V[300], d[300];
    random_policy(m, pi, 3);
    ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, V), 0);
    ck_assert_int_lt(tabrl_oracle_workspace_iterations(ws), 100);
    ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, TABRL_ORACLE_NORMALIZED, ws, d), 0);
    ck_assert_int_lt(tabrl_oracle_workspace_iterations(ws), 100);
    /* A warm start from the normalised solution stops at once. */
    ck_assert_int_eq(tabrl_oracle_occupancy(
                         m, pi, NULL, TABRL_ORACLE_NORMALIZED | TABRL_ORACLE_WARM_START, ws, d),
                     0);
    ck_assert_int_eq(tabrl_oracle_workspace_iterations(ws), 1);
    double total = 0;
    for (int s = 0; s < 300; s++) total += d[s];
    ck_assert_double_eq_tol(total, 1.0, 1e-12);
    tabrl_oracle_workspace_free(ws);
    tabrl_policy_free(pi);
    tabrl_mdp_free(m);
  }
}
END_TEST

START_TEST(test_sparse_max_iter)
{
  tabrl_mdp *m = garnet("50", "3", "gamma", "0.99", "2");
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double V[50], d[50];
  random_policy(m, pi, 1);
  tabrl_oracle_workspace_set_max_iter(ws, 5);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, V), TABRL_ENUMERIC);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "after 5 sweeps"));
  ck_assert_int_eq(tabrl_oracle_workspace_iterations(ws), 5);
  ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, 0, ws, d), TABRL_ENUMERIC);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "occupancy measure"));
  /* The default cap is enough. */
  tabrl_oracle_workspace_set_max_iter(ws, TABRL_ORACLE_EVAL_MAX_ITER);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, V), 0);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_workspace_bad_input)
{
  tabrl_mdp *m = two_state();
  tabrl_mdp *big = random_model(5, 3, 0.9, 1);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  tabrl_policy *wrong_states = tabrl_policy_alloc(3, 2, 1);
  tabrl_policy *wrong_stages = tabrl_policy_alloc(2, 2, 4);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[8], Q[8], d[8];
  tabrl_policy_set_uniform(pi, m);
  tabrl_policy_set_uniform(wrong_states, big);
  for (unsigned flags = 0; flags <= TABRL_ORACLE_UNCHECKED; flags++) {
    ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, wrong_states, flags, ws, V), TABRL_EINVAL);
    ck_assert_int_eq(tabrl_oracle_q_pi(m, wrong_stages, flags, ws, V, Q), TABRL_EINVAL);
    ck_assert_int_eq(tabrl_oracle_occupancy(m, wrong_states, NULL, flags, ws, d), TABRL_EINVAL);
    /* A workspace for another model size. */
    ck_assert_int_eq(tabrl_oracle_evaluate_ws(big, wrong_states, flags, ws, V), TABRL_EINVAL);
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "workspace"));
  }
  ck_assert_int_eq(tabrl_oracle_occupancy_sa(m, wrong_stages, d, Q), TABRL_EINVAL);
  /* Mass on an invalid action: refused when checked, computed (no crash)
   * when not. */
  tabrl_policy_set_action(pi, 0, 1, 1);
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, 0, ws, V), TABRL_EINVAL);
  /* There P_pi is not stochastic (row 1 is empty, r_pi(1) = 0), which
   * switches the acceleration off; the values are still those of the
   * system: V(1) = 0, V(0) = 0.5 (1 + 0.9 V(0)) + 0.45 V(0) / 2. */
  ck_assert_int_eq(tabrl_oracle_evaluate_ws(m, pi, TABRL_ORACLE_UNCHECKED, ws, V), 0);
  ck_assert_double_eq_tol(V[0], 0.5 / 0.325, 1e-11);
  ck_assert_double_eq_tol(V[1], 0.0, 1e-12);
  tabrl_policy_free(pi);
  tabrl_policy_free(wrong_states);
  tabrl_policy_free(wrong_stages);
  tabrl_oracle_workspace_free(ws);
  tabrl_mdp_free(big);
  tabrl_mdp_free(m);
}
END_TEST

/* Sparse policy iteration against the closed form of two_state and against
 * the LU policy iteration on Garnets (gamma up to 0.99): the same optimal
 * policy and V* within the evaluation bound 1e-12 / (1 - gamma). */
START_TEST(test_pi_sparse_matches_lu)
{
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V2[2];
  ck_assert_int_eq(tabrl_oracle_pi_sparse(m, 100, pi, V2, NULL, NULL), 0);
  ck_assert_double_eq_tol(V2[0], 9.0 / 0.55, 1e-10);
  ck_assert_double_eq_tol(V2[1], 20.0, 1e-10);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 0), 1);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  static const char *const gammas[] = {"0.5", "0.9", "0.99"};
  for (int g = 0; g < 3; g++) {
    m = garnet("200", "4", "gamma", gammas[g], "11");
    tabrl_policy *lu = tabrl_policy_alloc_for(m), *sparse = tabrl_policy_alloc_for(m);
    double *V = malloc(200 * sizeof *V), *W = calloc(200, sizeof *W);
    int iterations = 0;
    ck_assert_int_eq(tabrl_oracle_pi(m, 1000, lu, V, NULL, NULL), 0);
    ck_assert_int_eq(tabrl_oracle_pi_sparse(m, 1000, sparse, W, NULL, &iterations), 0);
    ck_assert_int_gt(iterations, 1);
    for (int s = 0; s < 200; s++) {
      ck_assert_double_eq_tol(W[s], V[s], 1e-12 / (1 - m->gamma) + 1e-12);
      ck_assert_int_eq(tabrl_policy_argmax(sparse, 0, s), tabrl_policy_argmax(lu, 0, s));
    }
    free(V);
    free(W);
    tabrl_policy_free(lu);
    tabrl_policy_free(sparse);
    tabrl_mdp_free(m);
  }
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
  tcase_add_test(tc, test_pi_sparse_matches_lu);
  tcase_add_test(tc, test_simulated_returns_match_exact);
  tcase_add_test(tc, test_discounted_rollout_matches_exact);
  tcase_add_test(tc, test_q_pi_two_state_closed_form);
  tcase_add_test(tc, test_q_pi_three_stage_closed_form);
  tcase_add_test(tc, test_q_pi_averages_to_v);
  tcase_add_test(tc, test_sparse_matches_lu_discounted);
  tcase_add_test(tc, test_sparse_matches_backward_episodic);
  tcase_add_test(tc, test_workspace_grows_for_discounted);
  tcase_add_test(tc, test_occupancy_two_state_discounted);
  tcase_add_test(tc, test_occupancy_two_state_episodic);
  tcase_add_test(tc, test_occupancy_identities);
  tcase_add_test(tc, test_sparse_steps_do_not_grow_with_horizon);
  tcase_add_test(tc, test_sparse_max_iter);
  tcase_add_test(tc, test_workspace_bad_input);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
