/* tabrl_policy_read_csv: well-formed files (stationary, stage-dependent,
 * policies.csv with --select, the source-only pass) read back exactly, and
 * one malformed file per error, each with the file:line it must name. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/policy.h"

/* A new temporary file holding contents; the caller removes it. */
static char *temp_file(const char *contents)
{
  char *path = strdup("/tmp/tabrl_test_policy_io_XXXXXX");
  ck_assert_ptr_nonnull(path);
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  size_t length = strlen(contents);
  ck_assert_int_eq(write(fd, contents, length), (ssize_t)length);
  close(fd);
  return path;
}

/* RiverSwim(3), H = 2: 2 stages, 3 states, 2 actions (all valid). */
static tabrl_mdp *river(void)
{
  tabrl_setting set[2] = {{"states", "3", "test", 0}, {"horizon", "2", "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("riverswim", set, 2, &m), 0);
  return m;
}

/* Discounted, 2 states, 2 actions; action 1 is invalid at state 1. */
static tabrl_mdp *two_state(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 0, 0.9);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 2.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_stationary_file)
{
  tabrl_mdp *m = river();
  char *path = temp_file("a,s,h,prob\n0,0,0,0.25\n1,0,0,0.75\n1,1,0,1\n0,2,0,1\n");
  tabrl_policy *pi = NULL;
  tabrl_policy_source source;
  ck_assert_int_eq(tabrl_policy_read_csv(path, NULL, m, &pi, &source), 0);
  ck_assert_int_eq(pi->stages, 2);
  ck_assert_int_eq(source.stationary, 1);
  ck_assert_str_eq(source.seed, "");
  for (int h = 0; h < 2; h++) {
    ck_assert_double_eq(tabrl_policy_row(pi, h, 0)[0], 0.25);
    ck_assert_double_eq(tabrl_policy_row(pi, h, 0)[1], 0.75);
    ck_assert_double_eq(tabrl_policy_row(pi, h, 1)[1], 1);
    ck_assert_double_eq(tabrl_policy_row(pi, h, 2)[0], 1);
  }
  tabrl_policy_free(pi);
  unlink(path);
  free(path);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_policies_csv_select)
{
  tabrl_mdp *m = river();
  char *path = temp_file("env,algo,config,seed,h,s,a,prob\n"
                         "riverswim,x,c1,0,0,0,0,1\nriverswim,x,c1,0,0,1,0,1\n"
                         "riverswim,x,c1,0,0,2,0,1\nriverswim,x,c1,0,1,0,0,1\n"
                         "riverswim,x,c1,0,1,1,0,1\nriverswim,x,c1,0,1,2,0,1\n"
                         "riverswim,y,c2,7,0,0,1,1\nriverswim,y,c2,7,0,1,1,1\n"
                         "riverswim,y,c2,7,0,2,1,1\nriverswim,y,c2,7,1,0,0,1\n"
                         "riverswim,y,c2,7,1,1,1,1\nriverswim,y,c2,7,1,2,0,1\n");
  tabrl_policy *pi = NULL;
  tabrl_policy_source source;
  /* The source-only pass: no model, no policy. */
  ck_assert_int_eq(tabrl_policy_read_csv(path, "algo=y", NULL, NULL, &source), 0);
  ck_assert_str_eq(source.seed, "7");
  ck_assert_str_eq(source.config, "c2");
  ck_assert_str_eq(source.env, "riverswim");
  ck_assert_int_eq(tabrl_policy_read_csv(path, "algo=y,seed=7", m, &pi, &source), 0);
  ck_assert_int_eq(source.stationary, 0);
  int expected[2][3] = {{1, 1, 1}, {0, 1, 0}};
  for (int h = 0; h < 2; h++)
    for (int s = 0; s < 3; s++) ck_assert_int_eq(tabrl_policy_argmax(pi, h, s), expected[h][s]);
  tabrl_policy_free(pi);
  ck_assert_int_eq(tabrl_policy_read_csv(path, NULL, m, &pi, NULL), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), ":8: the file holds several policies"));
  ck_assert_ptr_null(pi);
  ck_assert_int_eq(tabrl_policy_read_csv(path, "algo=z", m, &pi, NULL), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), ": no policy rows match --select algo=z"));
  ck_assert_int_eq(tabrl_policy_read_csv(path, "algorithm=y", m, &pi, NULL), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "unknown key 'algorithm'"));
  ck_assert_int_eq(tabrl_policy_read_csv(path, "algo", m, &pi, NULL), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "expected key=value"));
  unlink(path);
  free(path);
  tabrl_mdp_free(m);
}
END_TEST

/* Each malformed file, the model it is read for, and the text its message
 * must contain ("%s" stands for the path). */
static const struct {
  const char *contents, *message;
  int discounted;
} bad[] = {
    {"", "%s: empty file", 0},
    {"h,s,a\n0,0,0\n", "%s:1: a policy file needs the columns h,s,a,prob", 0},
    {"h,s,a,prob,s\n0,0,0,1,0\n", "%s:1: column 's' appears twice", 0},
    {"h,s,a,prob\n0,0,0,1\n0,1,0\n", "%s:3: 3 fields, the header has 4", 0},
    {"h,s,a,prob\nx,0,0,1\n", "%s:2: h 'x' is not an integer", 0},
    {"h,s,a,prob\n0,1.5,0,1\n", "%s:2: s '1.5' is not an integer", 0},
    {"h,s,a,prob\n0,0,,1\n", "%s:2: a '' is not an integer", 0},
    {"h,s,a,prob\n0,0,0,half\n", "%s:2: prob 'half' is not a number", 0},
    {"h,s,a,prob\n0,0,0,1\n0,1,0,nan\n", "%s:3: prob is NaN", 0},
    {"h,s,a,prob\n0,0,0,1\n0,1,0,-0.1\n", "%s:3: negative probability -0.1", 0},
    {"h,s,a,prob\n0,0,0,1.5\n", "%s:2: probability 1.5 is greater than 1", 0},
    {"h,s,a,prob\n2,0,0,1\n", "%s:2: stage h = 2 outside 0..1: riverswim has 2 stages", 0},
    {"h,s,a,prob\n0,0,0,1\n1,0,0,1\n",
     "%s:3: stage h = 1 outside 0..0: the model has 1 stage (discounted", 1},
    {"h,s,a,prob\n0,-1,0,1\n", "%s:2: state s = -1 outside 0..2: riverswim has 3 states", 0},
    {"h,s,a,prob\n0,0,2,1\n", "%s:2: action a = 2 outside 0..1: riverswim has 2 actions", 0},
    {"h,s,a,prob\n0,0,0,1\n0,1,1,1\n",
     "%s:3: probability 1 on action 1, which the model does not allow at stage 0, state 1", 1},
    {"h,s,a,prob\n0,0,0,0.5\n0,1,0,1\n0,0,0,0.5\n",
     "%s:4: duplicate row for (h, s, a) = (0, 0, 0), first given at line 2", 0},
    {"h,s,a,prob\n0,0,0,1\n0,2,0,1\n", "%s: no row for stage 0, state 1", 0},
    {"h,s,a,prob\n0,0,0,1\n0,1,0,1\n0,2,0,1\n1,0,0,1\n1,1,0,1\n", "%s: no row for stage 1, state 2",
     0},
    {"h,s,a,prob\n0,0,0,0.5\n0,1,0,1\n0,0,1,0.4\n0,2,0,1\n",
     "%s:4: the probabilities of stage 0, state 0 sum to 0.9, not 1", 0},
    {"h,s,a,prob\n\n", "%s: no policy rows", 0},
};

START_TEST(test_malformed)
{
  tabrl_mdp *m = bad[_i].discounted ? two_state() : river();
  char *path = temp_file(bad[_i].contents), expected[512];
  tabrl_policy *pi = (tabrl_policy *)&expected; /* must be reset to NULL */
  snprintf(expected, sizeof expected, bad[_i].message, path);
  ck_assert_int_eq(tabrl_policy_read_csv(path, NULL, m, &pi, NULL), TABRL_EINVAL);
  ck_assert_ptr_null(pi);
  ck_assert_msg(strstr(tabrl_error_message(), expected), "case %d: got '%s', want '%s'", _i,
                tabrl_error_message(), expected);
  unlink(path);
  free(path);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_unreadable)
{
  tabrl_mdp *m = river();
  tabrl_policy *pi = NULL;
  ck_assert_int_eq(tabrl_policy_read_csv("/nonexistent/p.csv", NULL, m, &pi, NULL), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "/nonexistent/p.csv: No such file"));
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("policy_io");
  TCase *tc = tcase_create("policy_io");
  tcase_add_test(tc, test_stationary_file);
  tcase_add_test(tc, test_policies_csv_select);
  tcase_add_loop_test(tc, test_malformed, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_test(tc, test_unreadable);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
