/* The policy types' `init` option (algos/policy/init.h) and the sampled
 * policy gradients reinforce and ppo (algos/policy/). */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "protocol.h"
#include "tabrl/rng.h"

typedef struct {
  tabrl_mdp *m;
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_problem p;
} fixture;

static void setup(fixture *f, tabrl_mdp *m, int planning, uint64_t seed)
{
  f->m = m;
  f->valid = malloc((size_t)m->stages * (size_t)m->S * (size_t)m->A);
  f->rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  f->p = test_problem(m, f->valid, f->rng, 100, planning);
}

static void teardown(fixture *f)
{
  gsl_rng_free(f->rng);
  free(f->valid);
  tabrl_mdp_free(f->m);
}

static tabrl_mdp *garnet_episodic(void)
{
  tabrl_setting set[] = {{"states", "4", "test", 0},
                         {"actions", "3", "test", 0},
                         {"branching", "2", "test", 0},
                         {"horizon", "3", "test", 0}};
  return test_env("garnet", set, 4);
}

/* text into a fresh temporary file; its path into path. */
static void write_temp(char *path, const char *text)
{
  strcpy(path, "/tmp/tabrl_init_XXXXXX");
  int fd = mkstemp(path);
  ck_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
}

static tabrl_algo *make_init(const char *type, const tabrl_problem *p, const char *init)
{
  tabrl_setting set[] = {{"init", init, "test", 0}};
  return test_make(type, p, set, 1);
}

/* A stationary policy file (stage-0 rows only) read back at every stage of
 * an episodic model, for an exact (pg) and a sampled type, a
 * zero-probability action kept at 0. */
START_TEST(test_init_file)
{
  fixture f;
  setup(&f, garnet_episodic(), 1, 1);
  const double row[3] = {0.25, 0, 0.75};
  char path[64], text[1024] = "h,s,a,prob\n", init[80];
  for (int s = 0; s < 4; s++)
    for (int a = 0; a < 3; a++)
      snprintf(text + strlen(text), sizeof text - strlen(text), "0,%d,%d,%.17g\n", s, a,
               s == 2 ? 1.0 / 3 : row[a]);
  write_temp(path, text);
  snprintf(init, sizeof init, "file:%s", path);
  const char *types[] = {"pg", "npg", "pmd"};
  for (int t = 0; t < 3; t++) {
    tabrl_algo *algo = make_init(types[t], &f.p, init);
    tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    for (int h = 0; h < 3; h++)
      for (int s = 0; s < 4; s++)
        for (int a = 0; a < 3; a++)
          ck_assert_double_eq_tol(tabrl_policy_row(pi, h, s)[a], s == 2 ? 1.0 / 3 : row[a], 1e-15);
    /* After updates action 1 still has probability exactly 0 where the
     * file gave it 0. */
    for (int k = 1; k <= 5; k++) ck_assert_int_eq(tabrl_algo_iterate(algo, k), 0);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    ck_assert(tabrl_policy_row(pi, 1, 0)[1] == 0);
    ck_assert(tabrl_policy_row(pi, 1, 2)[1] > 0);
    tabrl_policy_free(pi);
    tabrl_algo_free(algo);
  }
  unlink(path);
  teardown(&f);
}
END_TEST

/* random: softmax of N(0, 1) logits drawn from the algorithm's stream in
 * (h, s, a) order, recomputed here from a second copy of the stream. */
START_TEST(test_init_random)
{
  fixture f;
  setup(&f, garnet_episodic(), 1, 7);
  tabrl_algo *algo = make_init("npg", &f.p, "random");
  tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  gsl_rng *copy = tabrl_gsl_rng_stream(7, TABRL_STREAM_ALGO, 0);
  double spread = 0;
  for (int h = 0; h < 3; h++)
    for (int s = 0; s < 4; s++) {
      double z[3], total = 0;
      for (int a = 0; a < 3; a++) total += exp(z[a] = gsl_ran_gaussian(copy, 1.0));
      for (int a = 0; a < 3; a++) {
        double p = exp(z[a]) / total;
        ck_assert_double_eq_tol(tabrl_policy_row(pi, h, s)[a], p, 1e-14);
        spread = fmax(spread, fabs(p - 1.0 / 3));
      }
    }
  ck_assert(spread > 0.05); /* not the uniform policy */
  gsl_rng_free(copy);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

/* A bad file is one message line naming the file and the line; a bad
 * value names the choices. */
START_TEST(test_init_bad_file)
{
  fixture f;
  setup(&f, garnet_episodic(), 1, 1);
  const tabrl_algo_type *type = tabrl_algo_find("pg");
  char path[64], init[80];
  const char *bad[][2] = {
      {"h,s,a,prob\n0,0,0,0.5\n0,0,1,x\n", ":3: prob 'x' is not a number"},
      {"h,s,a,prob\n0,0,0,0.5\n0,0,7,0.5\n", ":3: action a = 7 outside 0..2"},
      {"h,s,a,prob\n0,0,0,1\n0,1,0,1\n0,2,0,1\n", "no row for stage 0, state 3"},
  };
  for (int i = 0; i < 3; i++) {
    write_temp(path, bad[i][0]);
    snprintf(init, sizeof init, "file:%s", path);
    tabrl_setting set[] = {{"init", init, "test", 0}};
    tabrl_values *v = NULL;
    ck_assert_int_eq(tabrl_values_resolve(type->params, "pg", set, 1, 0, &v), 0);
    ck_assert_int_eq(tabrl_algo_check(type, &f.p, v), TABRL_EINVAL);
    const char *msg = tabrl_error_message();
    ck_assert_msg(strstr(msg, path) && strstr(msg, bad[i][1]) && !strchr(msg, '\n'), "%s", msg);
    ck_assert_ptr_null(tabrl_algo_alloc(type, &f.p, v));
    tabrl_values_free(v);
    unlink(path);
  }
  tabrl_setting set[] = {{"init", "gaussian", "test", 0}};
  tabrl_values *v = NULL;
  ck_assert_int_eq(tabrl_values_resolve(type->params, "pg", set, 1, 0, &v), 0);
  ck_assert_int_ne(tabrl_algo_check(type, &f.p, v), 0);
  ck_assert_msg(strstr(tabrl_error_message(), "uniform, random or file:PI.csv"), "%s",
                tabrl_error_message());
  tabrl_values_free(v);
  teardown(&f);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sampled_pg");
  TCase *tc = tcase_create("sampled_pg");
  tcase_add_test(tc, test_init_file);
  tcase_add_test(tc, test_init_random);
  tcase_add_test(tc, test_init_bad_file);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
