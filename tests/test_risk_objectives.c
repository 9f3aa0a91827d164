/* The risk objectives entropic:b and kl-robust:beta: closed forms of a
 * one-step gamble (the log of a Bernoulli MGF, also where a naive exp
 * overflows), the mean as b -> 0 within Hoeffding's bound, a two-stage MDP
 * solved by hand, kl-robust = entropic at b = -beta/gamma, a one-state
 * robust fixed point, the optimal policy's value = the optimum, and the
 * parameter errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "tabrl/objective.h"

static tabrl_objective parsed(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

static tabrl_mdp *finish(tabrl_mdp_builder *b)
{
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* One step from state 0: reward R with probability p, else 0, then state 1. */
static tabrl_mdp *gamble(double p, double R)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1 - p, 0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, p, R);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1, 0);
  tabrl_mdp_builder_set_time(b, 1, 0);
  return finish(b);
}

static double objective_optimum(const char *text, const tabrl_mdp *m, double *V, tabrl_policy *pi)
{
  tabrl_objective o = parsed(text);
  double J;
  ck_assert_msg(tabrl_objective_optimum(&o, m, V, pi, &J) == 0, "%s", tabrl_error_message());
  return J;
}

static double objective_value(const char *text, const tabrl_mdp *m, const tabrl_policy *pi,
                              double *V)
{
  tabrl_objective o = parsed(text);
  double J;
  ck_assert_msg(tabrl_objective_value(&o, m, pi, V, &J) == 0, "%s", tabrl_error_message());
  return J;
}

START_TEST(test_gamble_closed_form)
{
  double p = 0.3, V[4];
  tabrl_mdp *m = gamble(p, 1);
  /* (1/b) log(1 - p + p e^b), the log of the Bernoulli MGF */
  ck_assert_double_eq_tol(objective_optimum("entropic:-1", m, V, NULL), -log(1 - p + p * exp(-1.0)),
                          1e-15);
  ck_assert_double_eq_tol(objective_optimum("entropic:2", m, V, NULL),
                          log(1 - p + p * exp(2.0)) / 2, 1e-15);
  /* Episodic, gamma = 1: kl-robust:beta is ERM_-beta of the one reward. */
  ck_assert_double_eq_tol(objective_optimum("kl-robust:1", m, V, NULL), -log(1 - p + p * exp(-1.0)),
                          1e-15);
  tabrl_mdp_free(m);

  /* R = 100: e^(100 R) and, for R = -100, e^(-50 R) overflow a double.
   * Closed forms rearranged: R + log(p + (1-p) e^(-b R))/b, the e^(-1e4)
   * term below the smallest double. */
  m = gamble(p, 100);
  double J = objective_optimum("entropic:100", m, V, NULL);
  ck_assert(isfinite(J));
  ck_assert_double_eq_tol(J, 100 + log(p) / 100, 1e-13);
  J = objective_optimum("entropic:-50", m, V, NULL);
  ck_assert_double_eq_tol(J, log(1 - p) / -50, 1e-15);
  tabrl_mdp_free(m);
  m = gamble(p, -100);
  J = objective_optimum("entropic:-50", m, V, NULL);
  ck_assert(isfinite(J));
  ck_assert_double_eq_tol(J, -100 + log(p) / -50, 1e-13);
  J = objective_optimum("entropic:100", m, V, NULL);
  ck_assert_double_eq_tol(J, log(1 - p) / 100, 1e-15);
  tabrl_mdp_free(m);
}
END_TEST

/* |ERM_b(G) - E G| <= |b| R^2 / 8 for G in a range of width R (Hoeffding's
 * lemma; Jensen gives the sign), and the optima are within the same bound
 * (J*_b >= ERM_b(G of the mean-optimal policy), J*_b <= E G of its own). */
START_TEST(test_small_b_is_the_mean)
{
  tabrl_setting set[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 2);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double rmin = INFINITY, rmax = -INFINITY;
  for (size_t e = 0; e < m->nnz; e++) {
    rmin = fmin(rmin, m->reward[e]);
    rmax = fmax(rmax, m->reward[e]);
  }
  double R = m->horizon * (rmax - rmin), bound = 1e-6 * R * R / 8;
  double mean = objective_optimum("mean", m, V, NULL);
  double averse = objective_optimum("entropic:-1e-6", m, V, NULL);
  double seeking = objective_optimum("entropic:1e-6", m, V, NULL);
  ck_assert(averse < mean && mean < seeking);
  ck_assert(mean - averse <= bound);
  ck_assert(seeking - mean <= bound);
  /* below the threshold: the mean's oracle */
  ck_assert_double_eq(objective_optimum("entropic:1e-9", m, V, NULL), mean);
  ck_assert_double_eq(objective_optimum("entropic:0", m, V, NULL), mean);
  /* the value of a stochastic policy too */
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  double vmean = objective_value("mean", m, pi, V),
         vaverse = objective_value("entropic:-1e-6", m, pi, V);
  ck_assert(vaverse < vmean && vmean - vaverse <= bound);
  tabrl_policy_free(pi);
  free(V);
  tabrl_mdp_free(m);
}
END_TEST

/* H = 2, b = -0.1.  State 0: a0 pays 1 and goes to 1; a1 pays 0 (to 2) or
 * 10 (to 1), 1/2 each.  State 1: a0 pays 1, a1 pays 0 or 4, 1/2 each,
 * staying in 1.  State 2 pays 0 forever. */
START_TEST(test_two_stage_by_hand)
{
  tabrl_mdp_builder *bld = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 0, 1, 1, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 1, 2, 0.5, 0);
  tabrl_mdp_builder_add(bld, 0, 0, 1, 1, 0.5, 10);
  tabrl_mdp_builder_add(bld, 0, 1, 0, 1, 1, 1);
  tabrl_mdp_builder_add(bld, 0, 1, 1, 1, 0.5, 0);
  tabrl_mdp_builder_add(bld, 0, 1, 1, 1, 0.5, 4);
  tabrl_mdp_builder_add(bld, 0, 2, 0, 2, 1, 0);
  tabrl_mdp_builder_set_time(bld, 2, 0);
  tabrl_mdp *m = finish(bld);
  double b = -0.1, V[9];
  /* stage 1, state 1: a1's ERM -10 log(1/2 + e^-0.4/2) = 1.80 beats a0's 1 */
  double v11 = log(0.5 + 0.5 * exp(4 * b)) / b;
  ck_assert(v11 > 1);
  /* stage 0, state 0: a0 = 1 + v11 = 2.80; a1 = ERM of 0 + 0 or 10 + v11 */
  double q0 = 1 + v11, q1 = log(0.5 + 0.5 * exp(b * (10 + v11))) / b;
  ck_assert(q1 > q0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double J = objective_optimum("entropic:-0.1", m, V, pi);
  ck_assert_double_eq_tol(V[3 + 1], v11, 1e-14);
  ck_assert_double_eq(V[3 + 2], 0);
  ck_assert_double_eq_tol(V[0], q1, 1e-14);
  ck_assert_double_eq_tol(J, q1, 1e-14); /* mu0 is a point mass */
  ck_assert_int_eq(tabrl_policy_argmax(pi, 0, 0), 1);
  ck_assert_int_eq(tabrl_policy_argmax(pi, 1, 1), 1);
  ck_assert_double_eq_tol(objective_value("entropic:-0.1", m, pi, V), J, 1e-14);

  /* The uniform policy: entropic draws the action inside the risk,
   * kl-robust averages the actions' values outside it. */
  tabrl_policy_set_uniform(pi, m);
  double in11 = log(0.5 * exp(b) + 0.5 * (0.5 + 0.5 * exp(4 * b))) / b;
  double in00 = log(0.5 * exp(b * (1 + in11)) + 0.5 * (0.5 * 1 + 0.5 * exp(b * (10 + in11)))) / b;
  ck_assert_double_eq_tol(objective_value("entropic:-0.1", m, pi, V), in00, 1e-14);
  ck_assert_double_eq_tol(V[3 + 1], in11, 1e-14);
  double out11 = 0.5 * 1 + 0.5 * v11;
  double out00 = 0.5 * (1 + out11) + 0.5 * log(0.5 + 0.5 * exp(b * (10 + out11))) / b;
  ck_assert_double_eq_tol(objective_value("kl-robust:0.1", m, pi, V), out00, 1e-14);
  ck_assert(fabs(out00 - in00) > 1e-3);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_kl_robust_is_entropic)
{
  tabrl_setting set[] = {
      {"states", "30", "test", 0}, {"gamma", "0.9", "test", 0}, {"seed", "3", "test", 0}};
  tabrl_mdp *m = test_env("garnet", set, 3);
  double beta = 2, b = -beta / m->gamma;
  double *V = malloc(m->S * sizeof *V), *W = malloc(m->S * sizeof *W);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *rho = tabrl_policy_alloc_for(m);
  char text[64];
  snprintf(text, sizeof text, "entropic:%.17g", b);
  objective_optimum("kl-robust:2", m, V, pi);
  objective_optimum(text, m, W, rho);
  double mean_gap = 0;
  for (int s = 0; s < m->S; s++) ck_assert_double_eq_tol(V[s], W[s], 1e-8);
  /* and not the mean: the risk costs something */
  double *M = malloc(m->S * sizeof *M);
  objective_optimum("mean", m, M, NULL);
  for (int s = 0; s < m->S; s++) mean_gap = fmax(mean_gap, M[s] - V[s]);
  ck_assert(mean_gap > 0.01);
  /* each optimal policy is optimal for the other objective */
  objective_value(text, m, pi, W);
  for (int s = 0; s < m->S; s++) ck_assert_double_eq_tol(V[s], W[s], 1e-8);
  objective_value("kl-robust:2", m, rho, W);
  for (int s = 0; s < m->S; s++) ck_assert_double_eq_tol(V[s], W[s], 1e-8);
  free(M);
  free(V);
  free(W);
  tabrl_policy_free(pi);
  tabrl_policy_free(rho);
  tabrl_mdp_free(m);
}
END_TEST

/* Discounted, one action: state 0 pays 1 and stays or falls into the
 * zero-reward state 1, 1/2 each.  V(0) = 1 - (gamma/beta) log(e^(-beta
 * V(0))/2 + 1/2), a scalar fixed point found here by bisection. */
START_TEST(test_kl_robust_fixed_point)
{
  tabrl_mdp_builder *bld = tabrl_mdp_builder_alloc(2, 1, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 0, 0, 0.5, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 0, 1, 0.5, 1);
  tabrl_mdp_builder_add(bld, 0, 1, 0, 1, 1, 0);
  tabrl_mdp_builder_set_time(bld, 0, 0.95);
  tabrl_mdp *m = finish(bld);
  double gamma = 0.95, beta = 0.5, lo = 0, hi = 20, V[2];
  for (int i = 0; i < 200; i++) {
    double v = (lo + hi) / 2;
    if (1 - gamma / beta * log(0.5 * exp(-beta * v) + 0.5) > v)
      lo = v;
    else
      hi = v;
  }
  double J = objective_optimum("kl-robust:0.5", m, V, NULL);
  ck_assert_double_eq_tol(J, lo, 1e-8 * lo);
  ck_assert(lo < 1 / (1 - 0.5 * gamma) - 0.1); /* below the nominal mean value */
  /* entropic at b = -beta/gamma, nested the same way */
  ck_assert_double_eq_tol(objective_optimum("entropic:-0.52631578947368418", m, V, NULL), lo,
                          1e-8 * lo);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_optimal_policy_value)
{
  const char *objectives[] = {"entropic:-1", "entropic:0.5", "kl-robust:1"};
  tabrl_setting ep[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_setting disc[] = {{"states", "20", "test", 0}, {"gamma", "0.95", "test", 0}};
  tabrl_mdp *models[] = {test_env("riverswim", ep, 2), test_env("garnet", disc, 2)};
  for (int i = 0; i < 2; i++)
    for (int k = 0; k < 3; k++) {
      tabrl_mdp *m = models[i];
      double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
      tabrl_policy *pi = tabrl_policy_alloc_for(m);
      double J = objective_optimum(objectives[k], m, V, pi);
      double Jpi = objective_value(objectives[k], m, pi, V);
      ck_assert(isfinite(J));
      ck_assert_double_eq_tol(Jpi, J, m->horizon ? 1e-12 : 1e-8);
      tabrl_policy_set_uniform(pi, m);
      ck_assert(objective_value(objectives[k], m, pi, V) < J - 1e-3);
      free(V);
      tabrl_policy_free(pi);
    }
  tabrl_mdp_free(models[0]);
  tabrl_mdp_free(models[1]);
}
END_TEST

START_TEST(test_parse_errors)
{
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("entropic:abc", &o), TABRL_EINVAL);
  ck_assert_str_eq(tabrl_error_message(), "objective 'entropic:abc': b: 'abc' is not a number");
  ck_assert_int_eq(tabrl_objective_parse("kl-robust:0", &o), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "out of range (0,inf)"));
  ck_assert_int_eq(tabrl_objective_parse("kl-robust:-1", &o), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "objective 'kl-robust:-1': beta"));
  ck_assert_int_eq(tabrl_objective_parse("entropic", &o), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs its parameter"));
  ck_assert_int_eq(tabrl_objective_parse("entropic:-0.5", &o), 0);
  ck_assert_str_eq(o.type->name, "entropic");
  ck_assert_double_eq(o.param, -0.5);
  ck_assert_str_eq(o.text, "entropic:-0.5");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("risk_objectives");
  TCase *tc = tcase_create("risk_objectives");
  tcase_add_test(tc, test_gamble_closed_form);
  tcase_add_test(tc, test_small_b_is_the_mean);
  tcase_add_test(tc, test_two_stage_by_hand);
  tcase_add_test(tc, test_kl_robust_is_entropic);
  tcase_add_test(tc, test_kl_robust_fixed_point);
  tcase_add_test(tc, test_optimal_policy_value);
  tcase_add_test(tc, test_parse_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
