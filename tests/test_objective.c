/* Objectives: parsing NAME[:PARAM] and the mean objective's exact oracle
 * against reference values (RiverSwim(6), H = 20: V*_0(0) = 3.39726395915;
 * Forest(3), gamma 0.9: V* = (26.244, 29.484, 33.484), pymdptoolbox's
 * documented example). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "tabrl/objective.h"

START_TEST(test_parse)
{
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("mean", &o), 0);
  ck_assert_ptr_eq(o.type, &tabrl_objective_mean);
  ck_assert_str_eq(o.text, "mean");
  ck_assert_int_eq(tabrl_objective_parse("meen", &o), TABRL_ENOTFOUND);
  ck_assert_str_eq(tabrl_error_message(), "unknown objective 'meen'; did you mean 'mean'?");
  ck_assert_int_eq(tabrl_objective_parse("quantile:0.5", &o), TABRL_ENOTFOUND);
  ck_assert_str_eq(tabrl_error_message(),
                   "unknown objective 'quantile'; the objectives are: coverage, cvar, "
                   "ecrm, entropic, entropy, homeostatic, "
                   "kl-robust, mean, mean-variance, penalty, threshold");
  ck_assert_int_eq(tabrl_objective_parse("mean:0.5", &o), TABRL_EINVAL);
  ck_assert_str_eq(tabrl_error_message(), "objective 'mean:0.5': mean takes no parameter");
  char longer[200];
  memset(longer, 'x', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  ck_assert_int_eq(tabrl_objective_parse(longer, &o), TABRL_EINVAL);
  tabrl_objective d = tabrl_objective_default();
  ck_assert_ptr_eq(d.type, &tabrl_objective_mean);
  ck_assert_ptr_eq(tabrl_objective_find("mean"), &tabrl_objective_mean);
  ck_assert_ptr_null(tabrl_objective_find("median"));
}
END_TEST

START_TEST(test_mean_episodic)
{
  tabrl_setting set[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 2);
  tabrl_objective o = tabrl_objective_default();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J, J_pi;
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, pi, &J), 0);
  ck_assert_double_eq_tol(J, 3.39726395915, 1e-11);
  /* The optimal policy's exact value is J*; the uniform policy's is lower. */
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J_pi), 0);
  ck_assert_double_eq_tol(J_pi, J, 1e-12);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J_pi), 0);
  ck_assert(J_pi < J - 1.0);
  /* no policy wanted: the same optimum */
  double J2;
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, NULL, &J2), 0);
  ck_assert_double_eq(J2, J);
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_mean_discounted)
{
  tabrl_setting set[] = {{"gamma", "0.9", "test", 0}};
  tabrl_mdp *m = test_env("forest", set, 1);
  tabrl_objective o = tabrl_objective_default();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J, J_pi;
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, pi, &J), 0);
  ck_assert_double_eq_tol(V[0], 26.244, 1e-3);
  ck_assert_double_eq_tol(V[1], 29.484, 1e-3);
  ck_assert_double_eq_tol(V[2], 33.484, 1e-3);
  ck_assert_double_eq_tol(J, tabrl_oracle_start_value(m, V), 1e-15);
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J_pi), 0);
  ck_assert_double_eq_tol(J_pi, J, 1e-10);
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_value_rejects_a_bad_policy)
{
  tabrl_setting set[] = {{"states", "4", "test", 0}, {"horizon", "3", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 2);
  tabrl_objective o = tabrl_objective_default();
  tabrl_policy *pi = tabrl_policy_alloc_for(m); /* all zero: no row sums to 1 */
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "sums to 0, not 1"));
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("objective");
  TCase *tc = tcase_create("objective");
  tcase_add_test(tc, test_parse);
  tcase_add_test(tc, test_mean_episodic);
  tcase_add_test(tc, test_mean_discounted);
  tcase_add_test(tc, test_value_rejects_a_bad_policy);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
