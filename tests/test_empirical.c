/* The incremental empirical model shared by the online algorithms:
 * counts, means, expectations and variances against hand computations. */
#include <check.h>
#include <stdlib.h>
#include "common/empirical.h"
#include "tabrl/error.h"

START_TEST(test_counts_and_moments)
{
  tabrl_empirical e;
  /* 10 states so blocks start with 4 slots and must grow. */
  ck_assert_int_eq(tabrl_empirical_init(&e, 10, 2, 3), 0);
  /* (h=1, s=2, a=1): next states 0,0,5,6,7,8,9 with rewards 1,0,1,1,0,0,1 */
  static const int next[7] = {0, 0, 5, 6, 7, 8, 9};
  static const double reward[7] = {1, 0, 1, 1, 0, 0, 1};
  for (int i = 0; i < 7; i++)
    ck_assert_int_eq(tabrl_empirical_add(&e, 1, 2, 1, reward[i], next[i]), 0);
  size_t b = tabrl_empirical_block(&e, 1, 2, 1);
  ck_assert_int_eq(e.visits[b], 7);
  ck_assert_int_eq(e.n_next[b], 6);
  ck_assert_double_eq_tol(tabrl_empirical_mean_reward(&e, b), 4.0 / 7, 1e-15);
  /* V(s) = s: E = (0 + 0 + 5 + 6 + 7 + 8 + 9) / 7 = 5;
   * Var = (25 + 25 + 0 + 1 + 4 + 9 + 16) / 7 = 80 / 7. */
  double V[10];
  for (int s = 0; s < 10; s++) V[s] = s;
  ck_assert_double_eq_tol(tabrl_empirical_expect(&e, b, V), 5.0, 1e-14);
  ck_assert_double_eq_tol(tabrl_empirical_variance(&e, b, V), 80.0 / 7, 1e-13);
  /* Other blocks stay empty; stage 0 is separate from stage 1. */
  size_t other = tabrl_empirical_block(&e, 0, 2, 1);
  ck_assert_int_eq(e.visits[other], 0);
  ck_assert_double_eq(tabrl_empirical_expect(&e, other, V), 0.0);
  tabrl_empirical_clear(&e);
  ck_assert_int_eq(e.visits[b], 0);
  ck_assert_int_eq(e.n_next[b], 0);
  tabrl_empirical_free(&e);
}
END_TEST

START_TEST(test_pooled_stages)
{
  tabrl_empirical e;
  ck_assert_int_eq(tabrl_empirical_init(&e, 3, 1, 1), 0);
  tabrl_empirical_add(&e, 0, 0, 0, 1.0, 1);
  tabrl_empirical_add(&e, 5, 0, 0, 3.0, 2);
  size_t b = tabrl_empirical_block(&e, 9, 0, 0);
  ck_assert_uint_eq(b, 0);
  ck_assert_int_eq(e.visits[b], 2);
  ck_assert_double_eq(tabrl_empirical_mean_reward(&e, b), 2.0);
  ck_assert_double_eq(e.reward_sq[b], 10.0);
  tabrl_empirical_free(&e);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("empirical");
  TCase *tc = tcase_create("model");
  tcase_add_test(tc, test_counts_and_moments);
  tcase_add_test(tc, test_pooled_stages);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
