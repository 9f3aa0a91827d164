/* The preference links against their closed forms, the registry, the
 * preference oracle (score, probability, and the frequency of its bits
 * against a binomial confidence interval), the regret and features scores
 * on a model solved by hand, and the segments. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/feedback.h"
#include "tabrl/mdp.h"
#include "tabrl/rng.h"

#define LOGISTIC(x) tabrl_feedback_logistic.prob(x)
#define PROBIT(x) tabrl_feedback_probit.prob(x)
#define LINEAR(x) tabrl_feedback_linear.prob(x)
#define DETERMINISTIC(x) tabrl_feedback_deterministic.prob(x)

START_TEST(test_links)
{
  /* logistic: 1 / (1 + e^-x); x = ln 3 gives 3/4, and no overflow far out */
  ck_assert_double_eq(LOGISTIC(0), 0.5);
  ck_assert_double_eq_tol(LOGISTIC(log(3.0)), 0.75, 1e-15);
  ck_assert_double_eq_tol(LOGISTIC(-log(3.0)), 0.25, 1e-15);
  ck_assert_double_eq(LOGISTIC(-1000), 0.0);
  ck_assert_double_eq(LOGISTIC(1000), 1.0);
  /* probit: Phi(x); Phi(1.959963984540054) = 0.975 */
  ck_assert_double_eq(PROBIT(0), 0.5);
  ck_assert_double_eq_tol(PROBIT(1.959963984540054), 0.975, 1e-12);
  /* linear: clip((1 + x) / 2, 0, 1) */
  ck_assert_double_eq(LINEAR(0.5), 0.75);
  ck_assert_double_eq(LINEAR(3), 1.0);
  ck_assert_double_eq(LINEAR(-3), 0.0);
  /* deterministic: the larger return wins, a tie is a coin */
  ck_assert_double_eq(DETERMINISTIC(1e-12), 1.0);
  ck_assert_double_eq(DETERMINISTIC(-1e-12), 0.0);
  ck_assert_double_eq(DETERMINISTIC(0), 0.5);
}
END_TEST

START_TEST(test_registry)
{
  ck_assert_ptr_eq(tabrl_feedback_find("logistic"), &tabrl_feedback_logistic);
  ck_assert_ptr_eq(tabrl_feedback_find("probit"), &tabrl_feedback_probit);
  ck_assert_ptr_eq(tabrl_feedback_find("linear"), &tabrl_feedback_linear);
  ck_assert_ptr_eq(tabrl_feedback_find("deterministic"), &tabrl_feedback_deterministic);
  ck_assert_ptr_null(tabrl_feedback_find("logistc"));
  ck_assert_str_eq(tabrl_error_message(), "unknown link 'logistc'; did you mean 'logistic'?");
  ck_assert_ptr_null(tabrl_feedback_find("zzz"));
  ck_assert_str_eq(tabrl_error_message(),
                   "unknown link 'zzz'; the links are: logistic, probit, linear, deterministic");
  size_t n = 0;
  while (tabrl_feedback_types[n]) n++;
  ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(test_score_and_prob)
{
  /* returns 1.5 and 0.5: x = 1 / temperature */
  tabrl_step first[3] = {{0, 0, 0, 1, 0.5}, {1, 1, 0, 1, 1.0}, {2, 1, 0, 0, 0.0}};
  tabrl_step second[3] = {{0, 0, 1, 0, 0.0}, {1, 0, 1, 0, 0.25}, {2, 0, 1, 0, 0.25}};
  tabrl_feedback f = {.link = &tabrl_feedback_logistic, .temperature = 0.5};
  ck_assert_double_eq(tabrl_feedback_score(&f, first, 3), 1.5);
  ck_assert_double_eq(tabrl_feedback_score(&f, second, 3), 0.5);
  ck_assert_double_eq_tol(tabrl_feedback_prob(&f, first, second, 3), 1 / (1 + exp(-2.0)), 1e-15);
  ck_assert_double_eq_tol(tabrl_feedback_prob(&f, second, first, 3), 1 / (1 + exp(2.0)), 1e-15);
  f.link = &tabrl_feedback_linear;
  ck_assert_double_eq(tabrl_feedback_prob(&f, first, second, 3), 1.0);
  f.temperature = 4;
  ck_assert_double_eq(tabrl_feedback_prob(&f, first, second, 3), 0.625);
  f.link = &tabrl_feedback_deterministic;
  ck_assert_double_eq(tabrl_feedback_prob(&f, first, first, 3), 0.5);
}
END_TEST

START_TEST(test_prefer_frequency)
{
  /* p = logistic(1) = 0.7311; over n = 20000 bits the frequency is within
   * 4.5 standard errors sqrt(p (1 - p) / n) = 0.0031 of p (a failure has
   * probability below 1e-5 for a correct oracle), while a wrong link
   * (probit: 0.8413, or a flipped bit: 0.2689) is 35 errors away. */
  tabrl_step first[1] = {{0, 0, 0, 0, 1.0}}, second[1] = {{0, 0, 1, 0, 0.0}};
  tabrl_feedback f = {.link = &tabrl_feedback_logistic, .temperature = 1.0};
  gsl_rng *rng = tabrl_gsl_rng_stream(7, TABRL_STREAM_FEEDBACK, 0);
  const int n = 20000;
  int wins = 0;
  for (int i = 0; i < n; i++) wins += tabrl_feedback_prefer(&f, first, second, 1, rng);
  double p = 1 / (1 + exp(-1.0)), se = sqrt(p * (1 - p) / n);
  ck_assert_double_eq_tol((double)wins / n, p, 4.5 * se);
  /* deterministic: always the larger return */
  f.link = &tabrl_feedback_deterministic;
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(tabrl_feedback_prefer(&f, first, second, 1, rng), 1);
  gsl_rng_free(rng);
}
END_TEST

/* Two states, two actions, H = 2, deterministic moves:
 *   state 0: action 0 stays (reward 0), action 1 goes to 1 (reward 0.5);
 *   state 1: action 0 stays (reward 1; with `bernoulli`, 1 or 0 w.p. 1/2
 *   each), action 1 goes to 0 (reward 0).
 * Without `bernoulli`, by hand: V_1 = (0.5, 1),
 * Q_0(0, .) = (0.5, 1.5), Q_0(1, .) = (2, 0.5), so the optimal advantages
 * are A_0(0, .) = (-1, 0), A_0(1, .) = (0, -1.5), A_1(0, .) = (-0.5, 0),
 * A_1(1, .) = (0, -1). */
static tabrl_mdp *two_state(int bernoulli)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 1.0, 0.5);
  if (bernoulli) {
    tabrl_mdp_builder_add(b, 0, 1, 0, 1, 0.5, 1.0);
    tabrl_mdp_builder_add(b, 0, 1, 0, 1, 0.5, 0.0);
  } else {
    tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 1.0);
  }
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 1.0, 0.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_regret_score)
{
  tabrl_mdp *m = two_state(0);
  tabrl_feedback f = {
      .link = &tabrl_feedback_deterministic, .temperature = 1, .score = TABRL_SCORE_REGRET};
  ck_assert_int_eq(tabrl_feedback_bind(&f, m), 0);
  const double want[8] = {-1, 0, 0, -1.5, -0.5, 0, 0, -1};
  for (int i = 0; i < 8; i++) ck_assert_double_eq_tol(f.advantage[i], want[i], 1e-15);
  /* stay then move: return 0.5, regret score -1; move then stay: return
   * 1.5, score 0; the partial-return model ranks them the same way, but
   * (0,0,1),(1,1,1) has return 0.5 and score -1 as well */
  tabrl_step stay_move[2] = {{0, 0, 0, 0, 0.0}, {1, 0, 1, 1, 0.5}};
  tabrl_step move_stay[2] = {{0, 0, 1, 1, 0.5}, {1, 1, 0, 1, 1.0}};
  tabrl_step move_back[2] = {{0, 0, 1, 1, 0.5}, {1, 1, 1, 0, 0.0}};
  ck_assert_double_eq_tol(tabrl_feedback_score(&f, stay_move, 2), -1.0, 1e-15);
  ck_assert_double_eq_tol(tabrl_feedback_score(&f, move_stay, 2), 0.0, 1e-15);
  ck_assert_double_eq_tol(tabrl_feedback_score(&f, move_back, 2), -1.0, 1e-15);
  /* segments: the last step of stay_move (an optimal action, score 0) ties
   * with the first of move_back (optimal too), while their returns differ
   * from the first step of stay_move (0) */
  ck_assert_double_eq(tabrl_feedback_prob(&f, stay_move + 1, move_back, 1), 0.5);
  ck_assert_double_eq(tabrl_feedback_prob(&f, stay_move, move_back, 1), 0.0);
  tabrl_feedback_unbind(&f);
  ck_assert_ptr_null(f.advantage);
  /* a discounted model has no per-stage advantages */
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 0.9), 0);
  ck_assert_int_eq(tabrl_feedback_bind(&f, m), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "episodic"));
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_features_score)
{
  /* Without features: the mean rewards, so the sampled reward of a
   * Bernoulli step (1 or 0) counts as its mean 1/2. */
  tabrl_mdp *m = two_state(1);
  tabrl_feedback f = {
      .link = &tabrl_feedback_logistic, .temperature = 1, .score = TABRL_SCORE_FEATURES};
  ck_assert_int_eq(tabrl_feedback_bind(&f, m), 0);
  tabrl_step lucky[2] = {{0, 0, 1, 1, 0.5}, {1, 1, 0, 1, 1.0}};
  tabrl_step unlucky[2] = {{0, 0, 1, 1, 0.5}, {1, 1, 0, 1, 0.0}};
  ck_assert_double_eq_tol(tabrl_feedback_score(&f, lucky, 2), 1.0, 1e-15);
  ck_assert_double_eq_tol(tabrl_feedback_score(&f, unlucky, 2), 1.0, 1e-15);
  ck_assert_double_eq(tabrl_feedback_prob(&f, lucky, unlucky, 2), 0.5);
  tabrl_feedback_unbind(&f);
  tabrl_mdp_free(m);
  /* With features phi(s, a) in R^2 and theta = (2, -1): the score is
   * theta^T sum phi, whatever the rewards. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 2, 1);
  const double phi[4] = {1, 0, 0.5, 3}, theta[2] = {2, -1};
  tabrl_mdp_builder_set_time(b, 3, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 1.0, 0.0);
  ck_assert_int_eq(tabrl_mdp_builder_set_features(b, 2, phi, theta), 0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  ck_assert_int_eq(tabrl_feedback_bind(&f, m), 0);
  tabrl_step traj[3] = {{0, 0, 0, 0, 0.0}, {1, 0, 1, 0, 0.0}, {2, 0, 1, 0, 0.0}};
  /* 2 * (1 + 0.5 + 0.5) - (0 + 3 + 3) = -2 */
  ck_assert_double_eq_tol(tabrl_feedback_score(&f, traj, 3), -2.0, 1e-15);
  tabrl_feedback_unbind(&f);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_segments)
{
  tabrl_feedback f = {.link = &tabrl_feedback_logistic, .temperature = 1};
  gsl_rng *rng = tabrl_gsl_rng_stream(3, TABRL_STREAM_FEEDBACK, 0);
  unsigned long before = gsl_rng_get(rng);
  int n;
  /* whole trajectories: no draw from the stream (a fresh copy of it then
   * still gives `before` first) */
  gsl_rng_free(rng);
  rng = tabrl_gsl_rng_stream(3, TABRL_STREAM_FEEDBACK, 0);
  ck_assert_int_eq(tabrl_feedback_segment(&f, 5, rng, &n), 0);
  ck_assert_int_eq(n, 5);
  f.segment = 5;
  ck_assert_int_eq(tabrl_feedback_segment(&f, 5, rng, &n), 0);
  ck_assert_int_eq(n, 5);
  ck_assert_uint_eq(gsl_rng_get(rng), before);
  /* L = 2 of 5: starts 0..3, each w.p. 1/4; over 8000 draws each count is
   * within 4.5 binomial standard errors (sqrt(8000 / 4 * 3 / 4) = 38.7) */
  f.segment = 2;
  int count[4] = {0};
  for (int i = 0; i < 8000; i++) {
    int o = tabrl_feedback_segment(&f, 5, rng, &n);
    ck_assert_int_eq(n, 2);
    ck_assert(o >= 0 && o <= 3);
    count[o]++;
  }
  for (int o = 0; o < 4; o++) ck_assert_int_le(abs(count[o] - 2000), (int)(4.5 * 38.7));
  gsl_rng_free(rng);
}
END_TEST

START_TEST(test_score_names)
{
  tabrl_score s;
  ck_assert_int_eq(tabrl_score_parse("regret", &s), 0);
  ck_assert_int_eq(s, TABRL_SCORE_REGRET);
  ck_assert_str_eq(tabrl_score_name(TABRL_SCORE_FEATURES), "features");
  ck_assert_int_ne(tabrl_score_parse("regrets", &s), 0);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "regret"));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("feedback");
  TCase *tc = tcase_create("links");
  tcase_add_test(tc, test_links);
  tcase_add_test(tc, test_registry);
  tcase_add_test(tc, test_score_and_prob);
  tcase_add_test(tc, test_prefer_frequency);
  tcase_add_test(tc, test_regret_score);
  tcase_add_test(tc, test_features_score);
  tcase_add_test(tc, test_segments);
  tcase_add_test(tc, test_score_names);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
