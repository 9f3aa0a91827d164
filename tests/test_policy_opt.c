/* Exact policy optimization (algos/policy/): pg's gradient against central
 * finite differences of the oracle's value, one npg step against the
 * closed-form multiplicative update computed from an independent (LU)
 * evaluation, pmd with KL against npg, and entropy-npg on Cen et al.'s
 * three-armed bandit against softmax(r / tau) at rate 1 - eta tau. */
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "protocol/testing.h"
#include "tabrl/rng.h"

typedef struct {
  tabrl_mdp *m;
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_problem p;
} fixture;

static void setup(fixture *f, tabrl_mdp *m)
{
  f->m = m;
  f->valid = malloc((size_t)m->stages * (size_t)m->S * (size_t)m->A);
  f->rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  f->p = test_problem(m, f->valid, f->rng, 100, 1);
}

static void teardown(fixture *f)
{
  gsl_rng_free(f->rng);
  free(f->valid);
  tabrl_mdp_free(f->m);
}

static tabrl_mdp *garnet(const char *time_key, const char *time_value)
{
  tabrl_setting set[] = {{"states", "6", "test", 0},
                         {"actions", "3", "test", 0},
                         {"branching", "2", "test", 0},
                         {time_key, time_value, "test", 0}};
  return test_env("garnet", set, 4);
}

/* One-state bandit with gamma = 0 and the given mean rewards. */
static tabrl_mdp *bandit(const double *r, int A)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, A, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < A; a++) tabrl_mdp_builder_add(b, 0, 0, a, 0, 1, r[a]);
  tabrl_mdp_builder_set_time(b, 0, 0.0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* The oracle's (LU / backward) value from mu0 of pi. */
static double value_of(const tabrl_mdp *m, const tabrl_policy *pi)
{
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  double J = tabrl_oracle_start_value(m, V);
  free(V);
  return J;
}

/* softmax(theta) into pi, computed here independently of the algorithm. */
static void softmax_into(const tabrl_mdp *m, const double *theta, tabrl_policy *pi)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(pi, h, s), total = 0;
      const double *t = theta + ((size_t)h * m->S + s) * m->A;
      for (int a = 0; a < m->A; a++) total += row[a] = tabrl_mdp_valid(m, h, s, a) ? exp(t[a]) : 0;
      for (int a = 0; a < m->A; a++) row[a] /= total;
    }
}

static void check_gradient(tabrl_mdp *m)
{
  fixture f;
  setup(&f, m);
  tabrl_algo *algo = test_make("pg", &f.p, NULL, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  size_t n = (size_t)pi->stages * m->S * m->A;
  double *theta = malloc(n * sizeof *theta), *grad = malloc(n * sizeof *grad), h = 1e-5;
  for (size_t i = 0; i < n; i++) theta[i] = gsl_rng_uniform(f.rng) * 2 - 1;
  ck_assert_int_eq(tabrl_pg_gradient(algo, theta, grad), 0);
  double largest = 0;
  for (size_t i = 0; i < n; i++) {
    double keep = theta[i];
    theta[i] = keep + h;
    softmax_into(m, theta, pi);
    double up = value_of(m, pi);
    theta[i] = keep - h;
    softmax_into(m, theta, pi);
    double down = value_of(m, pi);
    theta[i] = keep;
    double fd = (up - down) / (2 * h);
    ck_assert_msg(fabs(fd - grad[i]) < 1e-6, "entry %zu: gradient %.10g, finite difference %.10g",
                  i, grad[i], fd);
    if (fabs(fd) > largest) largest = fabs(fd);
  }
  ck_assert_msg(largest > 1e-3, "a gradient of %g cannot tell a wrong formula", largest);
  free(theta);
  free(grad);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  teardown(&f);
}

START_TEST(test_gradient_discounted)
{
  check_gradient(garnet("gamma", "0.9"));
}
END_TEST

START_TEST(test_gradient_episodic)
{
  check_gradient(garnet("horizon", "4"));
}
END_TEST

/* Policy after k iterations of an algorithm. */
static tabrl_policy *after(const fixture *f, const char *name, const tabrl_setting *set, size_t n,
                           int k)
{
  tabrl_algo *algo = test_make(name, &f->p, set, n);
  tabrl_policy *pi = tabrl_policy_alloc_for(f->m);
  for (int i = 1; i <= k; i++) ck_assert_int_eq(tabrl_algo_iterate(algo, i), 0);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  tabrl_algo_free(algo);
  return pi;
}

static void check_npg_step(tabrl_mdp *m, double eta)
{
  fixture f;
  setup(&f, m);
  char text[32];
  snprintf(text, sizeof text, "%.17g", eta);
  tabrl_setting set[] = {{"eta", text, "test", 0}};
  tabrl_policy *got = after(&f, "npg", set, 1, 1), *pi0 = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi0, m);
  int stages = pi0->stages;
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double *Q = malloc((size_t)stages * m->S * m->A * sizeof *Q);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi0, V), 0);
  tabrl_oracle_q_from_values(m, V, Q);
  double scale = m->horizon > 0 ? 1 : 1 / (1 - m->gamma), moved = 0;
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < m->S; s++) {
      const double *p0 = tabrl_policy_row(pi0, h, s), *p1 = tabrl_policy_row(got, h, s);
      double v = V[(size_t)(m->horizon > 0 ? h : 0) * m->S + s], w[64], z = 0;
      for (int a = 0; a < m->A; a++)
        z += w[a] =
            p0[a] > 0 ? p0[a] * exp(eta * scale * (Q[((size_t)h * m->S + s) * m->A + a] - v)) : 0;
      for (int a = 0; a < m->A; a++) {
        ck_assert_msg(fabs(p1[a] - w[a] / z) < 1e-10, "(%d,%d,%d): npg %.12g, closed form %.12g", h,
                      s, a, p1[a], w[a] / z);
        moved = fmax(moved, fabs(p1[a] - p0[a]));
      }
    }
  ck_assert_msg(moved > 1e-2, "one step moved the policy by only %g", moved);
  free(V);
  free(Q);
  tabrl_policy_free(got);
  tabrl_policy_free(pi0);
  teardown(&f);
}

START_TEST(test_npg_step)
{
  check_npg_step(garnet("gamma", "0.9"), 0.3);
  check_npg_step(garnet("horizon", "4"), 0.7);
  const double r[] = {1.0, 0.9, 0.1};
  check_npg_step(bandit(r, 3), 2.0);
}
END_TEST

/* Exact PG and NPG improve monotonically on a discounted garnet and NPG
 * reaches the optimum (J* by policy iteration) within 1e-6. */
START_TEST(test_npg_converges)
{
  fixture f;
  setup(&f, garnet("gamma", "0.9"));
  tabrl_policy *opt = tabrl_policy_alloc_for(f.m);
  double *V = malloc(tabrl_oracle_value_size(f.m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_pi(f.m, 100, opt, V, NULL, NULL), 0);
  double J_star = tabrl_oracle_start_value(f.m, V);
  tabrl_setting set[] = {{"eta", "1", "test", 0}};
  const char *names[] = {"npg", "pg"};
  for (int k = 0; k < 2; k++) {
    tabrl_algo *algo = test_make(names[k], &f.p, set, 1);
    double last = -INFINITY;
    for (int i = 1; i <= 200; i++) {
      ck_assert_int_eq(tabrl_algo_iterate(algo, i), 0);
      ck_assert_int_eq(tabrl_algo_policy(algo, opt), 0);
      double J = value_of(f.m, opt);
      ck_assert_msg(J >= last - 1e-12, "%s: value fell from %.15g to %.15g", names[k], last, J);
      ck_assert(J <= J_star + 1e-9);
      last = J;
    }
    if (k == 0) ck_assert_msg(J_star - last < 1e-6, "npg: suboptimality %g", J_star - last);
    tabrl_algo_free(algo);
  }
  free(V);
  tabrl_policy_free(opt);
  teardown(&f);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("policy_opt");
  TCase *tc = tcase_create("policy_opt");
  tcase_add_test(tc, test_gradient_discounted);
  tcase_add_test(tc, test_gradient_episodic);
  tcase_add_test(tc, test_npg_step);
  tcase_add_test(tc, test_npg_converges);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
