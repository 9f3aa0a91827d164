/* robust-td (TD learning with a squared, Huber or absolute loss) and the
 * chain env's reward noise: the three step directions and whole updates
 * against hand values; exact Q* and Q^uniform reached without noise; the
 * optimal policy's value evaluated (policy = optimal) with and without
 * noise; under
 * student-t(2) reward noise the Huber and absolute estimates closer to the
 * exact values than the squared loss's, by a margin whose 95% confidence
 * interval over seeds excludes 0. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "protocol/testing.h"
#include "tabrl/rng.h"

#define SET(k, v)                                                                                  \
  {                                                                                                \
    (k), (v), "--set", 0                                                                           \
  }

enum { SQUARED, HUBER, ABSOLUTE };
static const char *const loss_names[] = {"squared", "huber", "absolute"};

START_TEST(test_steps)
{
  ck_assert_double_eq(tabrl_robust_td_step(SQUARED, 1, 3.5), 3.5);
  ck_assert_double_eq(tabrl_robust_td_step(SQUARED, 1, -7), -7);
  ck_assert_double_eq(tabrl_robust_td_step(HUBER, 1, 3), 1);
  ck_assert_double_eq(tabrl_robust_td_step(HUBER, 1, -0.4), -0.4);
  ck_assert_double_eq(tabrl_robust_td_step(HUBER, 2, -5), -2);
  ck_assert_double_eq(tabrl_robust_td_step(ABSOLUTE, 2, 0.3), 2);
  ck_assert_double_eq(tabrl_robust_td_step(ABSOLUTE, 2, -7), -2);
  ck_assert_double_eq(tabrl_robust_td_step(ABSOLUTE, 2, 0), 0);
}
END_TEST

/* A two-state chain with H = 2 and hand-fed transitions: Q_1(0,1) gets the
 * rewards 5 then 0.5 (harmonic steps 1 and 1/2), then Q_0(0,0) bootstraps from
 * V_1(0), the max (qstar) or the mean (uniform) of Q_1(0, .) = (0, q). */
static void hand_updates(const char *loss, const char *policy, double q1_first, double q1,
                         double q0)
{
  const tabrl_setting env[] = {SET("states", "2"), SET("horizon", "2")};
  tabrl_mdp *m = test_env("chain", env, 2);
  unsigned char valid[2 * 2 * 2];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 10, 0);
  const tabrl_setting set[] = {SET("loss", loss), SET("policy", policy), SET("delta", "2"),
                               SET("schedule", "harmonic")};
  tabrl_algo *algo = test_make("robust-td", &p, set, 4);
  ck_assert_int_eq(tabrl_algo_observe(algo, 1, 0, 1, 5.0, 1), 0);
  ck_assert_double_eq_tol(tabrl_robust_td_value(algo, 1, 0, 1), q1_first, 1e-15);
  ck_assert_int_eq(tabrl_algo_observe(algo, 1, 0, 1, 0.5, 1), 0);
  ck_assert_double_eq_tol(tabrl_robust_td_value(algo, 1, 0, 1), q1, 1e-15);
  ck_assert_int_eq(tabrl_algo_observe(algo, 0, 0, 0, 0.0, 0), 0);
  ck_assert_double_eq_tol(tabrl_robust_td_value(algo, 0, 0, 0), q0, 1e-15);
  ck_assert_double_eq(tabrl_robust_td_value(algo, 0, 1, 1), 0);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}

START_TEST(test_hand_updates)
{
  /* squared: 5, then 5 + (0.5 - 5)/2 = 2.75; huber (kappa 2): 2, then
   * 2 + (-1.5)/2 = 1.25; absolute (kappa 2): 2, then 2 - 2/2 = 1.  Q_0(0,0)
   * takes one step 1 from 0 to the target: all of it (squared), clipped at
   * 2 (huber), kappa = 2 whatever its size (absolute). */
  hand_updates("squared", "qstar", 5, 2.75, 2.75);
  hand_updates("squared", "uniform", 5, 2.75, 1.375);
  hand_updates("huber", "qstar", 2, 1.25, 1.25);
  hand_updates("huber", "uniform", 2, 1.25, 0.625);
  hand_updates("absolute", "qstar", 2, 1, 2);
  hand_updates("absolute", "uniform", 2, 1, 2);
  /* greedy (control) bootstraps on the max, as qstar does */
  hand_updates("squared", "greedy", 5, 2.75, 2.75);
}
END_TEST

/* The exact Q^pi of the chain (qstar: Q*, uniform: Q^uniform), H*S*A. */
static double *exact_q(const tabrl_mdp *m, const char *policy)
{
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double *Q = malloc((size_t)m->horizon * (size_t)m->S * (size_t)m->A * sizeof *Q);
  if (!strcmp(policy, "qstar")) {
    ck_assert_int_eq(tabrl_oracle_backward(m, V, Q, NULL), 0);
  } else {
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    tabrl_policy_set_uniform(pi, m);
    ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
    tabrl_oracle_q_from_values(m, V, Q);
    tabrl_policy_free(pi);
  }
  free(V);
  return Q;
}

/* Largest |Q_h(s,a) - Q^pi_h(s,a)| over the (h, s, a) reachable from the
 * chain's start (s <= h) after K episodes of robust-td. */
static double q_error(const tabrl_mdp *m, const double *exact, const char *loss, const char *policy,
                      long K, uint64_t seed)
{
  unsigned char valid[8 * 4 * 2];
  gsl_rng *rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, K, 0);
  const tabrl_setting set[] = {SET("loss", loss), SET("policy", policy)};
  tabrl_algo *algo = test_make("robust-td", &p, set, 2);
  double error = 0;
  test_drive(algo, m, K, seed, NULL, NULL, NULL, NULL);
  for (int h = 0; h < m->horizon; h++)
    for (int s = 0; s <= h && s < m->S; s++)
      for (int a = 0; a < m->A; a++) {
        size_t i = ((size_t)h * (size_t)m->S + (size_t)s) * (size_t)m->A + (size_t)a;
        error = fmax(error, fabs(tabrl_robust_td_value(algo, h, s, a) - exact[i]));
      }
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  return error;
}

START_TEST(test_exact_without_noise)
{
  const tabrl_setting env[] = {SET("states", "3"), SET("horizon", "5"), SET("left_reward", "0.3")};
  tabrl_mdp *m = test_env("chain", env, 3);
  ck_assert_int_eq(m->noise.kind, TABRL_NOISE_NONE);
  for (int l = 0; l < 3; l++)
    for (int u = 0; u < 2; u++) {
      const char *policy = u ? "uniform" : "qstar";
      double *Q = exact_q(m, policy);
      double e = q_error(m, Q, loss_names[l], policy, 4000, 3);
      /* the absolute loss's sign steps dither by up to kappa alpha_t */
      ck_assert_msg(e < (l == ABSOLUTE ? 0.05 : 1e-6), "%s %s: error %g", loss_names[l], policy, e);
      free(Q);
    }
  tabrl_mdp_free(m);
}
END_TEST

/* Under student-t(2) reward noise (infinite variance, scale 1) on the chain
 * of test_exact_without_noise, defaults (kappa 1, schedule jin): the
 * differences err(squared) - err(robust) of the largest Q errors over
 * seeds 1..20 at 2,000 episodes, mean and 95% interval (normal quantile
 * 1.96).  Measured: mean errors squared 0.96 / huber 0.32 / absolute 0.36
 * (qstar), 0.85 / 0.24 / 0.27 (uniform); differences 0.63 +- 0.16,
 * 0.60 +- 0.17, 0.61 +- 0.14, 0.58 +- 0.15. */
enum { NSEEDS = 20 };

START_TEST(test_robust_under_student_t)
{
  const tabrl_setting env[] = {SET("states", "3"),        SET("horizon", "5"),
                               SET("left_reward", "0.3"), SET("noise", "student-t"),
                               SET("noise_shape", "2"),   SET("noise_scale", "1")};
  tabrl_mdp *m = test_env("chain", env, 6);
  const long K = 2000;
  ck_assert_int_eq(m->noise.kind, TABRL_NOISE_STUDENT_T);
  ck_assert_double_eq(m->noise.shape, 2);
  ck_assert_double_eq(m->noise.scale, 1);
  for (int u = 0; u < 2; u++) {
    const char *policy = u ? "uniform" : "qstar";
    double *Q = exact_q(m, policy);
    double e[3][NSEEDS];
    for (uint64_t seed = 1; seed <= NSEEDS; seed++)
      for (int l = 0; l < 3; l++) e[l][seed - 1] = q_error(m, Q, loss_names[l], policy, K, seed);
    for (int l = 1; l < 3; l++) {
      double mean = 0, var = 0;
      for (int i = 0; i < NSEEDS; i++) mean += (e[SQUARED][i] - e[l][i]) / NSEEDS;
      for (int i = 0; i < NSEEDS; i++) var += pow(e[SQUARED][i] - e[l][i] - mean, 2) / (NSEEDS - 1);
      double half = 1.96 * sqrt(var / NSEEDS);
      ck_assert_msg(mean - half > 0, "%s %s: err(squared) - err = %g +- %g", policy, loss_names[l],
                    mean, half);
    }
    free(Q);
  }
  tabrl_mdp_free(m);
}
END_TEST

/* |V_0(0) - V*_0(0)| of robust-td with policy = optimal (the runner's
 * target: the mean-optimal policy, followed and evaluated) after K
 * episodes on m. */
static double optimal_error(const tabrl_mdp *m, const char *loss, long K, uint64_t seed)
{
  unsigned char valid[8 * 4 * 2];
  gsl_rng *rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, K, 0);
  tabrl_policy *target = test_target(m);
  p.target = target;
  const tabrl_setting set[] = {SET("loss", loss), SET("policy", "optimal")};
  tabrl_algo *algo = test_make("robust-td", &p, set, 2);
  test_drive_result r = test_drive(algo, m, K, seed, NULL, NULL, NULL, NULL);
  ck_assert_msg(r.regret == 0, "%s: regret %g", loss, r.regret); /* it follows pi* */
  double error = fabs(tabrl_robust_td_state_value(algo, 0, 0) - test_optimal_value(m));
  tabrl_algo_free(algo);
  tabrl_policy_free(target);
  gsl_rng_free(rng);
  return error;
}

/* policy = optimal on the chain of test_exact_without_noise: exact start
 * value without noise; under student-t(2) noise (scale 1), 2,000 episodes,
 * the mean over seeds 1..20 of |V_0(0) - V*| below the upper end of its
 * 95% interval (t, 19 degrees of freedom) measured by this test: squared
 * 0.177 (sd 0.116, bound 0.231), huber 0.049 (0.033, 0.064), absolute
 * 0.054 (0.047, 0.076); V* = 3 (its error at the start). */
START_TEST(test_optimal)
{
  const tabrl_setting env[] = {SET("states", "3"),        SET("horizon", "5"),
                               SET("left_reward", "0.3"), SET("noise", "student-t"),
                               SET("noise_shape", "2"),   SET("noise_scale", "1")};
  tabrl_mdp *plain = test_env("chain", env, 3), *noisy = test_env("chain", env, 6);
  const double bound[] = {0.231, 0.064, 0.076};
  ck_assert_double_eq_tol(test_optimal_value(plain), 3, 1e-12);
  for (int l = 0; l < 3; l++) {
    double e = optimal_error(plain, loss_names[l], 1000, 1), mean = 0;
    ck_assert_msg(e < (l == ABSOLUTE ? 0.05 : 1e-6), "%s: error %g", loss_names[l], e);
    for (uint64_t seed = 1; seed <= NSEEDS; seed++)
      mean += optimal_error(noisy, loss_names[l], 2000, seed) / NSEEDS;
    ck_assert_msg(mean < bound[l], "%s: mean error %g", loss_names[l], mean);
  }
  tabrl_mdp_free(plain);
  tabrl_mdp_free(noisy);
}
END_TEST

/* The policy_version hook: optimal, uniform and qstar commit one policy
 * for the run, so from the second episode on the protocol neither rebuilds
 * nor revalues it; greedy commits a new one each episode.  Either way the
 * table the episode holds is what policy() gives now, and act() stays
 * inside it (tabrl_episode_online checks that). */
START_TEST(test_policy_version)
{
  const tabrl_setting env[] = {SET("states", "4"), SET("horizon", "3"), SET("left_reward", "0.2")};
  tabrl_mdp *m = test_env("chain", env, 3);
  const char *const policies[] = {"optimal", "uniform", "qstar", "greedy"};
  for (int i = 0; i < 4; i++) {
    unsigned char valid[4 * 3 * 2];
    gsl_rng *rng = tabrl_gsl_rng_stream(5, TABRL_STREAM_ALGO, 0);
    gsl_rng *tr = tabrl_gsl_rng_stream(5, TABRL_STREAM_TRANSITIONS, 0);
    tabrl_problem p = test_problem(m, valid, rng, 20, 0);
    tabrl_policy *target = test_target(m), *now = tabrl_policy_alloc_for(m);
    p.target = target;
    const tabrl_setting set[] = {SET("policy", policies[i]), SET("epsilon", "0.3")};
    tabrl_algo *algo = test_make("robust-td", &p, set, 2);
    tabrl_episode ep = {.committed = tabrl_policy_alloc_for(m)};
    size_t bytes = (size_t)m->horizon * m->S * m->A * sizeof(double);
    long unchanged = 0;
    for (long k = 1; k <= 20; k++) {
      ck_assert_msg(tabrl_episode_online(algo, m, k, tr, &ep) == 0, "%s", tabrl_error_message());
      ck_assert(ep.has_committed);
      unchanged += ep.unchanged;
      ck_assert_int_eq(ep.unchanged, k > 1 && i < 3);
      /* observe() has moved Q since: greedy's table is Q's at the start. */
      if (i < 3) {
        ck_assert_int_eq(tabrl_algo_policy(algo, now), 0);
        ck_assert(!memcmp(now->prob, ep.committed->prob, bytes));
      }
    }
    ck_assert_int_eq(unchanged, i < 3 ? 19 : 0);
    tabrl_policy_free(ep.committed);
    tabrl_policy_free(now);
    tabrl_policy_free(target);
    tabrl_algo_free(algo);
    gsl_rng_free(rng);
    gsl_rng_free(tr);
  }
  tabrl_mdp_free(m);
}
END_TEST

static Suite *robust_td_suite(void)
{
  Suite *s = suite_create("robust-td");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_steps);
  tcase_add_test(tc, test_hand_updates);
  tcase_add_test(tc, test_exact_without_noise);
  tcase_add_test(tc, test_robust_under_student_t);
  tcase_add_test(tc, test_optimal);
  tcase_add_test(tc, test_policy_version);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(robust_td_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
