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

/* pmd with KL and step eta_k equals npg with eta = (1 - gamma) eta_k,
 * iterate for iterate; geometric steps reach the optimum on a garnet within
 * gamma^k (V* - V^0 + log A / ((1 - gamma) eta_0)) (Xiao 2022) for both
 * divergences. */
START_TEST(test_pmd)
{
  fixture f;
  setup(&f, garnet("gamma", "0.9"));
  tabrl_setting kl[] = {{"eta", "2.5", "test", 0}, {"divergence", "kl", "test", 0}};
  tabrl_setting np[] = {{"eta", "0.25", "test", 0}};
  for (int k = 1; k <= 5; k++) {
    tabrl_policy *a = after(&f, "pmd", kl, 2, k), *b = after(&f, "npg", np, 1, k);
    for (int i = 0; i < f.m->S * f.m->A; i++)
      ck_assert_msg(fabs(a->prob[i] - b->prob[i]) < 1e-12, "k %d entry %d: pmd %.15g npg %.15g", k,
                    i, a->prob[i], b->prob[i]);
    tabrl_policy_free(a);
    tabrl_policy_free(b);
  }
  tabrl_policy *opt = tabrl_policy_alloc_for(f.m), *u = tabrl_policy_alloc_for(f.m);
  double *V = malloc(tabrl_oracle_value_size(f.m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_pi(f.m, 100, opt, V, NULL, NULL), 0);
  double J_star = tabrl_oracle_start_value(f.m, V);
  tabrl_policy_set_uniform(u, f.m);
  double gap0 = J_star - value_of(f.m, u), g = 0.9, eta0 = 0.1;
  const char *div[] = {"kl", "euclidean"};
  /* D_0: KL(pi* || uniform) <= log A; ||pi* - uniform||^2 / 2 <= 1. */
  const double D0[] = {log(3.0), 1.0};
  for (int d = 0; d < 2; d++) {
    tabrl_setting set[] = {{"eta", "0.1", "test", 0},
                           {"divergence", div[d], "test", 0},
                           {"steps", "geometric", "test", 0}};
    for (int k = 5; k <= 200; k = k == 5 ? 40 : k + 160) {
      tabrl_policy *pi = after(&f, "pmd", set, 3, k);
      double gap = J_star - value_of(f.m, pi),
             bound = pow(g, k) * (gap0 + D0[d] / ((1 - g) * eta0));
      ck_assert_msg(gap >= -1e-9 && gap <= bound, "%s k %d: gap %g, bound %g", div[d], k, gap,
                    bound);
      if (k == 200) ck_assert_msg(gap < 1e-6, "%s: gap %g after 200", div[d], gap);
      tabrl_policy_free(pi);
    }
  }
  tabrl_setting geo[] = {{"steps", "geometric", "test", 0}};
  const tabrl_algo_type *type = tabrl_algo_find("pmd");
  tabrl_values *values = NULL;
  ck_assert_int_eq(tabrl_values_resolve(type->params, "pmd", geo, 1, 0, &values), 0);
  tabrl_problem episodic = f.p;
  episodic.horizon = 5;
  ck_assert_int_eq(tabrl_algo_check(type, &episodic, values), TABRL_EUNSUPPORTED);
  tabrl_values_free(values);
  free(V);
  tabrl_policy_free(opt);
  tabrl_policy_free(u);
  teardown(&f);
}
END_TEST

/* Cen et al.'s bandit: rewards 1.0, 0.9, 0.1, gamma = 0, eta = 0.1.  The
 * optimum is softmax(r / tau); the update is theta <- (1 - eta tau) theta +
 * eta r, so the error of log pi_t - log pi*, centred over the actions (the
 * normalisation shifts all actions alike), contracts by exactly 1 - eta tau
 * per step; the regularised suboptimality, tau KL(pi || pi*), at about its
 * square. */
START_TEST(test_entropy_bandit)
{
  const double r[] = {1.0, 0.9, 0.1}, taus[] = {0.1, 1.0};
  for (int j = 0; j < 2; j++) {
    fixture f;
    setup(&f, bandit(r, 3));
    double tau = taus[j], eta = 0.1, star[3], z = 0;
    for (int a = 0; a < 3; a++) z += star[a] = exp(r[a] / tau);
    for (int a = 0; a < 3; a++) star[a] /= z;
    char text[32];
    snprintf(text, sizeof text, "%g", tau);
    tabrl_setting set[] = {{"tau", text, "test", 0}, {"eta", "0.1", "test", 0}};
    tabrl_algo *algo = test_make("entropy-npg", &f.p, set, 2);
    ck_assert_msg(fabs(tabrl_entropy_npg_optimum(algo)[0] - tau * log(z)) < 1e-12, "V*_tau %.15g",
                  tabrl_entropy_npg_optimum(algo)[0]);
    tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
    double err_prev = NAN, ratio = NAN, sub_prev = NAN, sub_ratio = NAN;
    int steps = j == 0 ? 2000 : 200;
    for (int t = 1; t <= steps; t++) {
      ck_assert_int_eq(tabrl_algo_iterate(algo, t), 0);
      ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
      double err = 0, kl = 0, sub = tabrl_entropy_npg_suboptimality(algo), l[3], mean = 0;
      for (int a = 0; a < 3; a++) {
        mean += (l[a] = log(pi->prob[a]) - log(star[a])) / 3;
        kl += pi->prob[a] * log(pi->prob[a] / star[a]);
      }
      for (int a = 0; a < 3; a++) err = fmax(err, fabs(l[a] - mean));
      ck_assert_msg(fabs(sub - tau * kl) < 1e-12 + 1e-6 * sub, "t %d: suboptimality %g, tau KL %g",
                    t, sub, tau * kl);
      if (t == (j == 0 ? 500 : 50)) {
        ratio = err / err_prev;
        sub_ratio = sub / sub_prev;
      }
      ck_assert_msg(t == 1 || err <= (1 - eta * tau) * err_prev + 1e-12, "t %d: error %g after %g",
                    t, err, err_prev);
      err_prev = err;
      sub_prev = sub;
    }
    /* Measured at t = 500 (tau 0.1) or 50 (tau 1): the log error's rate is 1 - eta tau to rounding,
     * the suboptimality's about its square. */
    ck_assert_msg(fabs(ratio - (1 - eta * tau)) < 1e-9, "tau %g: rate %.12g", tau, ratio);
    ck_assert_msg(fabs(sub_ratio - pow(1 - eta * tau, 2)) < 0.01, "tau %g: subopt rate %.6g", tau,
                  sub_ratio);
    for (int a = 0; a < 3; a++)
      ck_assert_msg(fabs(pi->prob[a] - star[a]) < 1e-6, "tau %g a %d: %.12g vs %.12g", tau, a,
                    pi->prob[a], star[a]);
    tabrl_policy_free(pi);
    tabrl_algo_free(algo);
    teardown(&f);
  }
}
END_TEST

/* On a discounted garnet: soft value iteration's V*_tau is a fixed point
 * of the soft Bellman operator recomputed here, the suboptimality is
 * nonnegative and falls to 1e-10, and with eta = (1 - gamma) / tau (soft
 * policy iteration) within C gamma^t. */
START_TEST(test_entropy_garnet)
{
  fixture f;
  setup(&f, garnet("gamma", "0.9"));
  tabrl_setting set[] = {{"tau", "0.5", "test", 0}, {"eta", "0.2", "test", 0}};
  tabrl_algo *algo = test_make("entropy-npg", &f.p, set, 2);
  const double *Vs = tabrl_entropy_npg_optimum(algo);
  double Q[3];
  for (int s = 0; s < f.m->S; s++) {
    double sum = 0;
    tabrl_oracle_backup(f.m, 0, s, Vs, 0.9, Q);
    for (int a = 0; a < 3; a++) sum += exp(Q[a] / 0.5);
    ck_assert_msg(fabs(0.5 * log(sum) - Vs[s]) < 1e-11, "s %d: %.15g vs %.15g", s, 0.5 * log(sum),
                  Vs[s]);
  }
  double first = tabrl_entropy_npg_suboptimality(algo);
  ck_assert(first > 1e-3);
  for (int t = 1; t <= 300; t++) {
    ck_assert_int_eq(tabrl_algo_iterate(algo, t), 0);
    double sub = tabrl_entropy_npg_suboptimality(algo);
    ck_assert_msg(sub > -1e-10, "t %d: %g", t, sub);
    if (t <= 100) ck_assert_msg(sub <= 2 * first * pow(0.9, t) + 1e-10, "t %d: %g", t, sub);
  }
  ck_assert(tabrl_entropy_npg_suboptimality(algo) < 1e-10);
  tabrl_algo_free(algo);
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
  tcase_add_test(tc, test_pmd);
  tcase_add_test(tc, test_entropy_bandit);
  tcase_add_test(tc, test_entropy_garnet);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
