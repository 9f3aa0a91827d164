/* The preference links against their closed forms, the registry, and the
 * preference oracle (score, probability, and the frequency of its bits
 * against a binomial confidence interval). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/feedback.h"
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
  tabrl_feedback f = {&tabrl_feedback_logistic, 0.5, TABRL_SCORE_RETURN};
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
  tabrl_feedback f = {&tabrl_feedback_logistic, 1.0, TABRL_SCORE_RETURN};
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

int main(void)
{
  Suite *s = suite_create("feedback");
  TCase *tc = tcase_create("links");
  tcase_add_test(tc, test_links);
  tcase_add_test(tc, test_registry);
  tcase_add_test(tc, test_score_and_prob);
  tcase_add_test(tc, test_prefer_frequency);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
