/* The Nash-learning algorithms of algos/preference/ (nash-md, egpo, md,
 * online-ipo): one iteration against the update recomputed here from its
 * formula, online IPO's step against finite differences of its loss, the
 * limits against the regularised equilibrium of the oracle
 * (tabrl/game.h), mirror descent's cycling, and the refusal of a model
 * without preferences. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/game.h"
#include "tabrl/rng.h"

/* Rock-paper-scissors plus two dominated responses, and a reference that
 * favours rock, built directly (the env is tested in test_envs). */
static tabrl_mdp *rps_model(double beta)
{
  static const double rps[9] = {0.5, 0, 1, 1, 0.5, 0, 0, 1, 0.5};
  double P[25], ref[5] = {0.4, 0.1, 0.2, 0.2, 0.1};
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 5, 1);
  tabrl_mdp *m = NULL;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      P[i * 5 + j] = i < 3 && j < 3 ? rps[i * 3 + j] : i < 3 ? 0.9 : j < 3 ? 0.1 : 0.5;
  for (int a = 0; a < 5; a++) tabrl_mdp_builder_add(b, 0, 0, a, 0, 1, 0);
  tabrl_mdp_builder_set_time(b, 1, 1);
  tabrl_mdp_builder_set_preference(b, P);
  tabrl_mdp_builder_set_reference(b, ref);
  tabrl_mdp_builder_set_game_beta(b, beta);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

static tabrl_algo *make(const char *type, const tabrl_mdp *m, double lr, double beta,
                        unsigned char **valid)
{
  char lr_text[32], beta_text[32];
  snprintf(lr_text, sizeof lr_text, "%.17g", lr);
  snprintf(beta_text, sizeof beta_text, "%.17g", beta);
  const tabrl_setting s[] = {{"lr", lr_text, "--set", 0}, {"beta", beta_text, "--set", 0}};
  const tabrl_algo_type *t = tabrl_algo_find(type);
  tabrl_values *v = NULL;
  tabrl_problem p;
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(tabrl_values_resolve(t->params, type, s, 2, 0, &v), 0);
  ck_assert_int_eq(tabrl_problem_init(&p, m, 10, NULL, 1, valid), 0);
  tabrl_algo *algo = tabrl_algo_alloc(t, &p, v);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  tabrl_values_free(v);
  return algo;
}

/* pi after k iterations (row of context 0). */
static void run(tabrl_algo *algo, long k, double *out)
{
  tabrl_policy *pi = tabrl_policy_alloc(1, 5, 1);
  for (long t = 1; t <= k; t++) ck_assert_int_eq(tabrl_algo_iterate(algo, t), 0);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  for (int a = 0; a < 5; a++) out[a] = tabrl_policy_row(pi, 0, 0)[a];
  tabrl_policy_free(pi);
}

/* p proportional to pi^(1 - w) ref^w exp(lr P q), in probabilities. */
static void step(const tabrl_mdp *m, const double *pi, double w, double lr, const double *q,
                 double *out)
{
  double total = 0;
  for (int i = 0; i < 5; i++) {
    double x = 0;
    for (int j = 0; j < 5; j++) x += m->preference[i * 5 + j] * q[j];
    out[i] = pow(pi[i], 1 - w) * pow(m->reference[i], w) * exp(lr * x);
    total += out[i];
  }
  for (int i = 0; i < 5; i++) out[i] /= total;
}

START_TEST(test_one_iteration)
{
  tabrl_mdp *m = rps_model(0.1);
  const double lr = 0.7, beta = 0.2, *ref = m->reference;
  double got[5], half[5], want[5], mix[5], total = 0;
  unsigned char *valid = NULL;
  /* egpo: the half step against pi_0 = ref, then the step from ref
   * against the half-step policy. */
  tabrl_algo *a = make("egpo", m, lr, beta, &valid);
  run(a, 1, got);
  step(m, ref, lr * beta, lr, ref, half);
  step(m, ref, lr * beta, lr, half, want);
  for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(got[i], want[i], 1e-15);
  tabrl_algo_free(a);
  free(valid);
  /* nash-md from pi_1 = that egpo policy is not reachable; from ref the
   * mixture is ref itself, so run two iterations and recompute both. */
  a = make("nash-md", m, lr, beta, &valid);
  run(a, 2, got);
  step(m, ref, 0, lr, ref, half); /* iteration 1: mixture = ref */
  for (int i = 0; i < 5; i++)
    total += mix[i] = pow(half[i], 1 - lr * beta) * pow(ref[i], lr * beta);
  for (int i = 0; i < 5; i++) mix[i] /= total;
  step(m, mix, 0, lr, mix, want);
  for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(got[i], want[i], 1e-15);
  tabrl_algo_free(a);
  free(valid);
  /* md: pi_1 proportional to pi_0^(1 - lr beta) ref^(lr beta) exp(lr P pi_0), twice. */
  a = make("md", m, lr, beta, &valid);
  run(a, 2, got);
  step(m, ref, lr * beta, lr, ref, half);
  step(m, half, lr * beta, lr, half, want);
  for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(got[i], want[i], 1e-15);
  tabrl_algo_free(a);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

/* Online IPO's loss L(theta) = sum_{y,y'} pi_y pi_y' (h(y,y') - (P(y,y') - 1/2)/beta)^2
 * with pi held at the current policy: one step of size lr moves the logits
 * by -lr grad L (up to a constant), checked by central differences. */
START_TEST(test_online_ipo_gradient)
{
  tabrl_mdp *m = rps_model(0);
  const double lr = 0.05, beta = 0.3, h = 1e-6, *ref = m->reference, *P = m->preference;
  double got[5], theta[5], grad[5];
  unsigned char *valid = NULL;
  tabrl_algo *a = make("online-ipo", m, lr, beta, &valid);
  run(a, 1, got);
  for (int i = 0; i < 5; i++) theta[i] = log(ref[i]);
  for (int k = 0; k < 5; k++) {
    double loss[2];
    for (int sgn = 0; sgn < 2; sgn++) {
      double t[5];
      for (int i = 0; i < 5; i++) t[i] = theta[i] + (i == k ? (sgn ? -h : h) : 0);
      loss[sgn] = 0;
      for (int y = 0; y < 5; y++)
        for (int z = 0; z < 5; z++) {
          double hz = t[y] - t[z] - log(ref[y] / ref[z]) - (P[y * 5 + z] - 0.5) / beta;
          loss[sgn] += ref[y] * ref[z] * hz * hz;
        }
    }
    grad[k] = (loss[0] - loss[1]) / (2 * h);
  }
  double want[5], total = 0;
  for (int i = 0; i < 5; i++) total += want[i] = exp(theta[i] - lr * grad[i]);
  for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(got[i], want[i] / total, 1e-8);
  tabrl_algo_free(a);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

/* egpo, online-ipo and md (beta > 0) converge to the regularised
 * equilibrium of the oracle.  nash-md with a constant step converges to
 * the fixed point pi proportional to ref exp(P mix(pi) / beta) of its
 * update, mix(pi) the geometric mixture, which is within O(lr) of the
 * equilibrium (Munos et al. take decreasing steps for exact convergence). */
START_TEST(test_limits)
{
  const double beta = 0.1;
  tabrl_mdp *m = rps_model(beta);
  const double *P = m->preference, *ref = m->reference;
  double eq[5], got[5];
  ck_assert_int_eq(tabrl_game_equilibrium(P, 5, ref, beta, eq), 0);
  const char *types[] = {"egpo", "online-ipo", "md"};
  const double lrs[] = {1.0, 0.1, 0.5};
  const long iterations[] = {3000, 40000, 3000}; /* online IPO's step on a logit scales with
                                                    its probability: slow on the dominated */
  for (int k = 0; k < 3; k++) {
    unsigned char *valid = NULL;
    tabrl_algo *a = make(types[k], m, lrs[k], beta, &valid);
    run(a, iterations[k], got);
    for (int i = 0; i < 5; i++)
      ck_assert_msg(fabs(got[i] - eq[i]) < 1e-6, "%s: pi[%d] = %.12g, equilibrium %.12g", types[k],
                    i, got[i], eq[i]);
    ck_assert_double_le(tabrl_game_gap(P, 5, ref, beta, got), 1e-10);
    tabrl_algo_free(a);
    free(valid);
  }
  for (int k = 0; k < 2; k++) {
    const double lr = k ? 0.02 : 1.0, w = lr * beta;
    unsigned char *valid = NULL;
    double mix[5], fixed[5], total = 0, total2 = 0;
    tabrl_algo *a = make("nash-md", m, lr, beta, &valid);
    run(a, k ? 40000 : 3000, got);
    for (int i = 0; i < 5; i++) total += mix[i] = pow(got[i], 1 - w) * pow(ref[i], w);
    for (int i = 0; i < 5; i++) mix[i] /= total;
    for (int i = 0; i < 5; i++) {
      double x = 0;
      for (int j = 0; j < 5; j++) x += P[i * 5 + j] * mix[j];
      total2 += fixed[i] = ref[i] * exp(x / beta);
    }
    for (int i = 0; i < 5; i++) {
      ck_assert_double_eq_tol(got[i], fixed[i] / total2, 1e-9);
      ck_assert_double_eq_tol(got[i], eq[i], 0.05 * lr);
    }
    tabrl_algo_free(a);
    free(valid);
  }
  tabrl_mdp_free(m);
}
END_TEST

/* The plain game (beta = 0): egpo's last iterate reaches the von Neumann
 * winner (uniform on rock, paper, scissors), md's does not: its gap grows. */
START_TEST(test_cycling)
{
  tabrl_mdp *m = rps_model(0);
  double got[5];
  unsigned char *valid = NULL;
  tabrl_algo *a = make("egpo", m, 0.5, 0, &valid);
  run(a, 3000, got);
  ck_assert_double_le(tabrl_game_gap(m->preference, 5, NULL, 0, got), 1e-6);
  for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(got[i], i < 3 ? 1.0 / 3 : 0, 1e-6);
  tabrl_algo_free(a);
  free(valid);
  a = make("md", m, 0.5, 0, &valid);
  run(a, 3000, got);
  ck_assert_double_ge(tabrl_game_gap(m->preference, 5, NULL, 0, got), 0.5);
  tabrl_algo_free(a);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_refuses_model_without_preferences)
{
  const char *types[] = {"nash-md", "egpo", "online-ipo", "md"};
  tabrl_mdp *m = NULL;
  tabrl_problem p;
  unsigned char *valid = NULL;
  ck_assert_int_eq(tabrl_env_build("bandit", NULL, 0, &m), 0);
  ck_assert_int_eq(tabrl_problem_init(&p, m, 10, NULL, 1, &valid), 0);
  for (int k = 0; k < 4; k++) {
    ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find(types[k]), &p, NULL), TABRL_EUNSUPPORTED);
    ck_assert_msg(strstr(tabrl_error_message(), "needs a preference matrix"), "%s",
                  tabrl_error_message());
  }
  free(valid);
  tabrl_mdp_free(m);
  /* lr beta > 1 would give the reference a weight above 1. */
  m = rps_model(0);
  ck_assert_int_eq(tabrl_problem_init(&p, m, 10, NULL, 1, &valid), 0);
  const tabrl_setting s[] = {{"lr", "20", "--set", 0}, {"beta", "0.1", "--set", 0}};
  tabrl_values *v = NULL;
  ck_assert_int_eq(tabrl_values_resolve(tabrl_algo_find("egpo")->params, "egpo", s, 2, 0, &v), 0);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("egpo"), &p, v), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "lr x beta = 2 exceeds 1"));
  tabrl_values_free(v);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("nash");
  TCase *tc = tcase_create("nash");
  tcase_add_test(tc, test_one_iteration);
  tcase_add_test(tc, test_online_ipo_gradient);
  tcase_add_test(tc, test_limits);
  tcase_add_test(tc, test_cycling);
  tcase_add_test(tc, test_refuses_model_without_preferences);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
