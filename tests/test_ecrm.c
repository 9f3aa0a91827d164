/* ecrm:alpha: the exact CVaR of finite laws by hand, the nested recursion
 * on a two-stage tree solved by hand, and RiverSwim(6), H = 20, where
 * ecrm:1 is the mean (J* = 3.39726395915, as in test_objective.c). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/cvar.h"
#include "protocol.h"
#include "tabrl/objective.h"

START_TEST(test_cvar_by_hand)
{
  /* 1, 2, 3 with masses .25, .25, .5 */
  tabrl_atom a[] = {{3, 0.5}, {1, 0.25}, {2, 0.25}};
  ck_assert_double_eq_tol(tabrl_cvar_lower(a, 3, 0.25), 1.0, 1e-15); /* one whole atom */
  ck_assert_double_eq_tol(tabrl_cvar_lower(a, 3, 0.5), 1.5, 1e-15);  /* at a boundary */
  /* split: (.25 * 1 + .15 * 2) / .4 */
  ck_assert_double_eq_tol(tabrl_cvar_lower(a, 3, 0.4), 1.375, 1e-15);
  ck_assert_double_eq_tol(tabrl_cvar_lower(a, 3, 1.0), 2.25, 1e-15); /* the mean */
  ck_assert_double_eq_tol(tabrl_cvar_lower(a, 3, 0.1), 1.0, 1e-15);
  /* ties: 1 (.2), 2 (.3), 2 (.3), 5 (.2), unsorted */
  tabrl_atom t[] = {{2, 0.3}, {5, 0.2}, {1, 0.2}, {2, 0.3}};
  ck_assert_double_eq_tol(tabrl_cvar_lower(t, 4, 0.5), (0.2 + 0.3 * 2) / 0.5, 1e-15);
  ck_assert_double_eq_tol(tabrl_cvar_lower(t, 4, 0.6), (0.2 + 0.4 * 2) / 0.6, 1e-15);
  ck_assert_double_eq_tol(tabrl_cvar_lower(t, 4, 0.9), (0.2 + 0.6 * 2 + 0.1 * 5) / 0.9, 1e-15);
  ck_assert_double_eq_tol(tabrl_cvar_lower(t, 4, 1.0), 2.4, 1e-15); /* .2 + 1.2 + 1 */
  /* one atom: every level gives its value; negative values */
  tabrl_atom one[] = {{7, 1}};
  ck_assert_double_eq_tol(tabrl_cvar_lower(one, 1, 0.01), 7, 1e-14);
  tabrl_atom neg[] = {{-4, 0.1}, {0, 0.9}};
  ck_assert_double_eq_tol(tabrl_cvar_lower(neg, 2, 0.2), -2.0, 1e-15);
  ck_assert_double_eq_tol(tabrl_cvar_lower(neg, 2, 0.05), -4.0, 1e-15);
}
END_TEST

/* The tree, H = 2, start in state 0, stationary outcomes (s' : p, r):
 *   state 0, a0: 1 : 1, 0                      (safe)
 *   state 0, a1: 2 : .5, 2   and 1 : .5, 0.5
 *   state 1, a0: 1 : 1, 1                      (sure 1)
 *   state 1, a1: 1 : .5, 4   and 1 : .5, -1    (mean 1.5)
 *   state 2, a0: 2 : .8, 0   and 2 : .2, 5     (only action)
 * alpha = .5, stage 1: V1(1) = max(1, -1) = 1 (a0; the mean takes a1),
 *   V1(2) = CVaR_.5{0: .8, 5: .2} = 0.  Stage 0: a0 gives 0 + V1(1) = 1,
 *   a1 gives CVaR_.5{2 + 0: .5, .5 + 1: .5} = 1.5: J* = 1.5 (a1, then a0).
 * alpha = .9: V1(2) = (.8*0 + .1*5)/.9 = 5/9, V1(1) = max(1, (.5*(-1) +
 *   .4*4)/.9 = 11/9) = 11/9 (a1); stage 0: a0 gives 11/9, a1 gives
 *   CVaR_.9{23/9: .5, 31/18: .5} = (.5*31/18 + .4*23/9)/.9 = 113/54.
 * alpha = 1 (mean): V1(1) = 1.5, V1(2) = 1, a1 at 0: .5*3 + .5*2 = 2.5.
 * Uniform policy, alpha = .5: V1(1) = (1 + (-1))/2 = 0, V1(2) = 0, state
 *   0: (0 + CVaR_.5{2: .5, .5: .5})/2 = .25 (the action draw outside the
 *   risk; inside it, CVaR_.5 of {0: .5, 2: .25, .5: .25} would be 0). */
static tabrl_mdp *tree(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1.0, 0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 2, 0.5, 2);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 0.5, 0.5);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 1);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, 4);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, -1);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 0.8, 0);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 0.2, 5);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

static double solve(const char *text, const tabrl_mdp *m, double *V, tabrl_policy *pi)
{
  tabrl_objective o;
  double J = NAN;
  ck_assert_int_eq(tabrl_objective_parse(text, &o), 0);
  ck_assert_msg(tabrl_objective_optimum(&o, m, V, pi, &J) == 0, "%s", tabrl_error_message());
  return J;
}

static double value(const char *text, const tabrl_mdp *m, const tabrl_policy *pi, double *V)
{
  tabrl_objective o;
  double J = NAN;
  ck_assert_int_eq(tabrl_objective_parse(text, &o), 0);
  ck_assert_msg(tabrl_objective_value(&o, m, pi, V, &J) == 0, "%s", tabrl_error_message());
  return J;
}

START_TEST(test_tree_by_hand)
{
  tabrl_mdp *m = tree();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double V[9];
  ck_assert_double_eq_tol(solve("ecrm:0.5", m, V, pi), 1.5, 1e-15);
  ck_assert_double_eq_tol(V[3 + 1], 1.0, 1e-15);
  ck_assert_double_eq_tol(V[3 + 2], 0.0, 1e-15);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 0), 1);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 1, 1), 0);
  ck_assert_double_eq_tol(value("ecrm:0.5", m, pi, V), 1.5, 1e-15);
  ck_assert_double_eq_tol(solve("ecrm:0.9", m, V, pi), 113.0 / 54, 1e-14);
  ck_assert_double_eq_tol(V[3 + 1], 11.0 / 9, 1e-14);
  ck_assert_double_eq_tol(V[3 + 2], 5.0 / 9, 1e-14);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 1, 1), 1);
  ck_assert_double_eq_tol(solve("ecrm:1", m, V, pi), 2.5, 1e-15);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_double_eq_tol(value("ecrm:0.5", m, pi, V), 0.25, 1e-15);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_riverswim)
{
  tabrl_setting set[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 2);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  size_t n = tabrl_oracle_value_size(m);
  double *V = malloc(n * sizeof *V), *W = malloc(n * sizeof *W);
  tabrl_objective mean = tabrl_objective_default();
  double J_mean;
  ck_assert_int_eq(tabrl_objective_optimum(&mean, m, W, NULL, &J_mean), 0);
  /* ecrm:1 is the mean, state by state */
  ck_assert_double_eq_tol(solve("ecrm:1", m, V, pi), J_mean, 1e-12);
  ck_assert_double_eq_tol(J_mean, 3.39726395915, 1e-11);
  for (size_t i = 0; i < n; i++) ck_assert_double_eq_tol(V[i], W[i], 1e-12);
  const char *levels[] = {"ecrm:1", "ecrm:0.5", "ecrm:0.1"};
  for (int i = 0; i < 3; i++) {
    double J = solve(levels[i], m, V, pi);
    ck_assert_double_eq_tol(value(levels[i], m, pi, V), J, 1e-12);
    tabrl_policy_set_uniform(pi, m);
    ck_assert(value(levels[i], m, pi, V) <= J + 1e-12);
    ck_assert(J <= J_mean + 1e-12); /* CVaR <= mean at every node */
  }
  /* At alpha = .1 the worst tenth of every right move is a step back, so
   * the optimum stays at state 0 and takes its 0.005 for 20 steps. */
  ck_assert_double_eq_tol(solve("ecrm:0.1", m, V, pi), 0.1, 1e-12);
  free(V);
  free(W);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_errors)
{
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("ecrm:0", &o), TABRL_EINVAL);
  ck_assert_str_eq(tabrl_error_message(), "objective 'ecrm:0': alpha: 0 is out of range (0,1]");
  ck_assert_int_eq(tabrl_objective_parse("ecrm:1.5", &o), TABRL_EINVAL);
  ck_assert_str_eq(tabrl_error_message(), "objective 'ecrm:1.5': alpha: 1.5 is out of range (0,1]");
  ck_assert_int_eq(tabrl_objective_parse("ecrm:abc", &o), TABRL_EINVAL);
  ck_assert_str_eq(tabrl_error_message(), "objective 'ecrm:abc': alpha: 'abc' is not a number");
  ck_assert_int_eq(tabrl_objective_parse("ecrm", &o), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs its parameter: ecrm:alpha"));
  /* discounted models are refused */
  tabrl_setting set[] = {{"states", "4", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 1);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 0.9), 0);
  double V[4], J;
  ck_assert_int_eq(tabrl_objective_parse("ecrm:0.5", &o), 0);
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, NULL, &J), TABRL_EUNSUPPORTED);
  ck_assert_str_eq(tabrl_error_message(),
                   "objective ecrm:0.5: optimum: ecrm is defined for episodic models");
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("ecrm");
  TCase *tc = tcase_create("ecrm");
  tcase_add_test(tc, test_cvar_by_hand);
  tcase_add_test(tc, test_tree_by_hand);
  tcase_add_test(tc, test_riverswim);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
