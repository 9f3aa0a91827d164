/* The preference links against their closed forms. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "tabrl/feedback.h"

START_TEST(test_links)
{
  /* logistic: 1 / (1 + e^-x); x = ln 3 gives 3/4, and no overflow far out */
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_LOGISTIC, 0), 0.5);
  ck_assert_double_eq_tol(tabrl_link_prob(TABRL_LINK_LOGISTIC, log(3.0)), 0.75, 1e-15);
  ck_assert_double_eq_tol(tabrl_link_prob(TABRL_LINK_LOGISTIC, -log(3.0)), 0.25, 1e-15);
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_LOGISTIC, -1000), 0.0);
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_LOGISTIC, 1000), 1.0);
  /* probit: Phi(x); Phi(1.959963984540054) = 0.975 */
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_PROBIT, 0), 0.5);
  ck_assert_double_eq_tol(tabrl_link_prob(TABRL_LINK_PROBIT, 1.959963984540054), 0.975, 1e-12);
  /* linear: clip((1 + x) / 2, 0, 1) */
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_LINEAR, 0.5), 0.75);
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_LINEAR, 3), 1.0);
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_LINEAR, -3), 0.0);
  /* deterministic: the larger return wins, a tie is a coin */
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_DETERMINISTIC, 1e-12), 1.0);
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_DETERMINISTIC, -1e-12), 0.0);
  ck_assert_double_eq(tabrl_link_prob(TABRL_LINK_DETERMINISTIC, 0), 0.5);
}
END_TEST

START_TEST(test_names)
{
  ck_assert_int_eq(tabrl_link_from_name("logistic"), TABRL_LINK_LOGISTIC);
  ck_assert_int_eq(tabrl_link_from_name("probit"), TABRL_LINK_PROBIT);
  ck_assert_int_eq(tabrl_link_from_name("linear"), TABRL_LINK_LINEAR);
  ck_assert_int_eq(tabrl_link_from_name("deterministic"), TABRL_LINK_DETERMINISTIC);
  ck_assert_int_eq(tabrl_link_from_name("logit"), -1);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("feedback");
  TCase *tc = tcase_create("links");
  tcase_add_test(tc, test_links);
  tcase_add_test(tc, test_names);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
