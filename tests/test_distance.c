/* Distances between finite distributions (tabrl/returns.h) against values
 * worked by hand: point masses, a split against its mean, two two-point
 * laws, invariances (order, unnormalised mass, shifts) and empty input. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "tabrl/error.h"
#include "tabrl/returns.h"

#define N(x) (sizeof(x) / sizeof((x)[0]))

static void expect4(const tabrl_atom *a, size_t na, const tabrl_atom *b, size_t nb, double w1,
                    double w2, double cramer, double ks)
{
  ck_assert_double_eq_tol(tabrl_dist_w1(a, na, b, nb), w1, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_w2(a, na, b, nb), w2, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_cramer(a, na, b, nb), cramer, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_ks(a, na, b, nb), ks, 1e-15);
  /* symmetric */
  ck_assert_double_eq_tol(tabrl_dist_w1(b, nb, a, na), w1, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_w2(b, nb, a, na), w2, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_cramer(b, nb, a, na), cramer, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_ks(b, nb, a, na), ks, 1e-15);
}

START_TEST(test_by_hand)
{
  tabrl_atom zero[] = {{0, 1}}, one[] = {{1, 1}};
  expect4(zero, 1, one, 1, 1, 1, 1, 1);
  expect4(zero, 1, zero, 1, 0, 0, 0, 0);
  /* {0, 1} evenly against 1/2: |F - G| = 1/2 on [0, 1) */
  tabrl_atom split[] = {{1, 0.5}, {0, 0.5}}, half[] = {{0.5, 1}};
  expect4(split, 2, half, 1, 0.5, 0.5, 0.5, 0.5);
  /* {0: 1/4, 2: 3/4} against 1: F - G = 1/4 on [0,1), -3/4 on [1,2);
   * every quantile is 1 away */
  tabrl_atom far[] = {{2, 0.75}, {0, 0.25}};
  expect4(far, 2, one, 1, 1, 1, sqrt(0.0625 + 0.5625), 0.75);
  /* {0, 1} at 1/2 each against 1/4, 3/4: the quantiles differ by 1 on
   * (1/4, 1/2] */
  tabrl_atom tilted[] = {{0, 0.25}, {1, 0.75}};
  expect4(split, 2, tilted, 2, 0.25, 0.5, 0.25, 0.25);
}
END_TEST

START_TEST(test_invariances)
{
  /* unnormalised masses and any order give the same numbers */
  tabrl_atom a[] = {{3, 0.2}, {-1, 0.5}, {0.5, 0.3}}, a2[] = {{0.5, 3}, {3, 2}, {-1, 5}};
  tabrl_atom b[] = {{1, 0.6}, {2, 0.4}};
  ck_assert_double_eq_tol(tabrl_dist_w1(a, 3, b, 2), tabrl_dist_w1(a2, 3, b, 2), 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_w2(a, 3, b, 2), tabrl_dist_w2(a2, 3, b, 2), 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_cramer(a, 3, b, 2), tabrl_dist_cramer(a2, 3, b, 2), 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_ks(a, 3, b, 2), tabrl_dist_ks(a2, 3, b, 2), 1e-15);
  /* a shift by c: W1 = W2 = |c|, KS = 1 when c exceeds every gap */
  tabrl_atom s[3];
  for (int i = 0; i < 3; i++) s[i] = a[i], s[i].value += 10;
  ck_assert_double_eq_tol(tabrl_dist_w1(a, 3, s, 3), 10, 1e-13);
  ck_assert_double_eq_tol(tabrl_dist_w2(a, 3, s, 3), 10, 1e-13);
  ck_assert_double_eq_tol(tabrl_dist_ks(a, 3, s, 3), 1, 1e-15);
  /* W1 <= W2 (Jensen), KS <= 1 */
  ck_assert(tabrl_dist_w1(a, 3, b, 2) <= tabrl_dist_w2(a, 3, b, 2) + 1e-15);
  ck_assert(isnan(tabrl_dist_w1(a, 0, b, 2)));
  ck_assert(isnan(tabrl_dist_w2(a, 3, b, 0)));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("distance");
  TCase *tc = tcase_create("distance");
  tcase_add_test(tc, test_by_hand);
  tcase_add_test(tc, test_invariances);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
