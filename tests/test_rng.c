/* PCG32 against the reference vectors of pcg-c's pcg32-demo (seed 42,
 * stream 54, round 1), the GSL registration, and stream derivation. */
#include <check.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include "tabrl/rng.h"

START_TEST(test_reference_outputs)
{
  static const uint32_t expected[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                       0x83d2f293, 0xbfa4784b, 0xcbed606e};
  /* The demo continues with 65 coin flips and 33 die rolls. */
  static const char coins[] = "HHTTTHTHHHTHTTTHHHHHTTTHHHTHTHTHTTHTTTHHHHHHTTTTHHTTTTTHTTTTTTTHT";
  static const int rolls[33] = {3, 4, 1, 1, 2, 2, 3, 2, 4, 3, 2, 4, 3, 3, 5, 2, 3,
                                1, 3, 1, 5, 1, 4, 1, 5, 6, 4, 6, 6, 2, 6, 3, 3};
  tabrl_pcg32 rng;
  tabrl_pcg32_seed(&rng, 42u, 54u);
  for (int i = 0; i < 6; i++) ck_assert_uint_eq(tabrl_pcg32_next(&rng), expected[i]);
  for (int i = 0; i < 65; i++) ck_assert_int_eq(tabrl_pcg32_below(&rng, 2) ? 'H' : 'T', coins[i]);
  for (int i = 0; i < 33; i++) ck_assert_int_eq((int)tabrl_pcg32_below(&rng, 6) + 1, rolls[i]);
}
END_TEST

START_TEST(test_gsl_type)
{
  gsl_rng *r = gsl_rng_alloc(tabrl_gsl_rng_pcg32);
  tabrl_pcg32 ref;
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(gsl_rng_name(r), "pcg32");
  ck_assert_uint_eq(gsl_rng_max(r), 0xffffffffUL);
  tabrl_pcg32_seed(tabrl_gsl_rng_pcg32_state(r), 42u, 54u);
  ck_assert_uint_eq(gsl_rng_get(r), 0xa15c02b7);
  tabrl_pcg32_seed(&ref, 42u, 54u);
  tabrl_pcg32_next(&ref);
  ck_assert_double_eq(gsl_rng_uniform(r), tabrl_pcg32_next(&ref) / 4294967296.0);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_uniform_moments)
{
  /* Mean of n uniforms: sd 1/sqrt(12 n) = 6.5e-4 for n = 2e5; 5 sd. */
  tabrl_pcg32 rng;
  double total = 0;
  int n = 200000;
  tabrl_rng_stream(&rng, 7, TABRL_STREAM_ALGO, 0);
  for (int i = 0; i < n; i++) {
    double u = tabrl_pcg32_uniform(&rng);
    ck_assert(u >= 0.0 && u < 1.0);
    total += u;
  }
  ck_assert_double_eq_tol(total / n, 0.5, 5 * 6.5e-4);
}
END_TEST

START_TEST(test_streams_differ_and_repeat)
{
  tabrl_pcg32 a, b, c, d;
  tabrl_rng_stream(&a, 3, TABRL_STREAM_ENV, 0);
  tabrl_rng_stream(&b, 3, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_rng_stream(&c, 4, TABRL_STREAM_ENV, 0);
  tabrl_rng_stream(&d, 3, TABRL_STREAM_ENV, 0);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 1000; i++) {
    uint32_t x = tabrl_pcg32_next(&a);
    same_ab += x == tabrl_pcg32_next(&b);
    same_ac += x == tabrl_pcg32_next(&c);
    ck_assert_uint_eq(x, tabrl_pcg32_next(&d));
  }
  ck_assert_int_le(same_ab, 1);
  ck_assert_int_le(same_ac, 1);
}
END_TEST

START_TEST(test_gsl_stream_matches)
{
  gsl_rng *r = tabrl_gsl_rng_stream(11, TABRL_STREAM_ALGO, 2);
  tabrl_pcg32 ref;
  tabrl_rng_stream(&ref, 11, TABRL_STREAM_ALGO, 2);
  for (int i = 0; i < 10; i++) ck_assert_uint_eq(gsl_rng_get(r), tabrl_pcg32_next(&ref));
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_below_is_uniform)
{
  /* Chi-square over 6 faces, 60000 rolls, 5 dof: P(X > 20.5) = 0.001. */
  tabrl_pcg32 rng;
  long count[6] = {0};
  tabrl_rng_stream(&rng, 1, TABRL_STREAM_ALGO, 0);
  for (int i = 0; i < 60000; i++) count[tabrl_pcg32_below(&rng, 6)]++;
  double chi2 = 0;
  for (int k = 0; k < 6; k++) chi2 += (count[k] - 10000.0) * (count[k] - 10000.0) / 10000.0;
  ck_assert_double_lt(chi2, 20.5);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("rng");
  TCase *tc = tcase_create("pcg32");
  tcase_add_test(tc, test_reference_outputs);
  tcase_add_test(tc, test_gsl_type);
  tcase_add_test(tc, test_uniform_moments);
  tcase_add_test(tc, test_streams_differ_and_repeat);
  tcase_add_test(tc, test_gsl_stream_matches);
  tcase_add_test(tc, test_below_is_uniform);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
