/* pe-ctd (algos/distributional/pe_ctd.c): the W1 bonus of two members set
 * by hand, the greedy choice with and without it, the learned start
 * distribution (the distribution hook) by hand, and both members and
 * their mixture converging to the greedy policy's return distribution on
 * a tiny MDP. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_rng.h>
#include "protocol.h"
#include "tabrl/returns.h"
#include "tabrl/rng.h"

double tabrl_pe_ctd_members(const tabrl_algo *algo, int h, int s, int a, double **p,
                            double **theta);

/* One state, two actions, H = 1 (rewards 0.5 and 0.4; only the shape
 * matters here: the members are set by hand). */
static tabrl_mdp *bandit(void)
{
  tabrl_mdp *m = NULL;
  const double mu0[] = {1};
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 2, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1, 0.5);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 1, 0.4);
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(b, mu0), 0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* Support {0, 0.5, 1} (atoms 3).  Action 0: both members the point 0.5,
 * mean 0.5, W1 0.  Action 1: categorical uniform on {0, 0.5, 1} (mean
 * 0.5), quantiles {0, 0, 0.9} (mean 0.3): ensemble mean 0.4, and W1 by the
 * sorted coupling (|0 - 0| + |0.5 - 0| + |1 - 0.9|) / 3 = 0.2.  So action
 * 1 scores 0.4 + 0.2 beta against 0.5: greedy picks 0 for beta < 1/2 (0 and
 * 0.4 here) and 1 above (0.6 and the default 1). */
START_TEST(test_bonus_by_hand)
{
  tabrl_mdp *m = bandit();
  unsigned char valid[2];
  const char *betas[] = {"0", "0.4", "0.6", "1"};
  const int expect[] = {0, 0, 1, 1};
  for (int i = 0; i < 4; i++) {
    gsl_rng *rng = tabrl_gsl_rng_stream(0, TABRL_STREAM_ALGO, 0);
    tabrl_problem pr = test_problem(m, valid, rng, 10, 0);
    tabrl_setting set[] = {{"atoms", "3", NULL, 0},
                           {"vmin", "0", NULL, 0},
                           {"vmax", "1", NULL, 0},
                           {"beta", betas[i], NULL, 0}};
    tabrl_algo *algo = test_make("pe-ctd", &pr, set, 4);
    double *p, *theta;
    /* fresh: categorical uniform, quantiles 0: W1 = (0 + 0.5 + 1) / 3 */
    ck_assert_double_eq_tol(tabrl_pe_ctd_members(algo, 0, 0, 0, &p, &theta), 0.5, 1e-15);
    p[0] = 0, p[1] = 1, p[2] = 0;
    theta[0] = theta[1] = theta[2] = 0.5;
    ck_assert_double_eq_tol(tabrl_pe_ctd_members(algo, 0, 0, 0, &p, &theta), 0, 1e-15);
    tabrl_pe_ctd_members(algo, 0, 0, 1, &p, &theta);
    p[0] = p[1] = p[2] = 1.0 / 3;
    theta[0] = 0, theta[1] = 0, theta[2] = 0.9;
    ck_assert_double_eq_tol(tabrl_pe_ctd_members(algo, 0, 0, 1, &p, &theta), 0.2, 1e-15);
    for (int k = 0; k < 20; k++) /* no ties: the same action every time */
      ck_assert_int_eq(algo->type->act(algo->state, 0, 0), expect[i]);
    /* the reported policy is the bonus-free greedy one */
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    ck_assert(tabrl_policy_row(pi, 0, 0)[0] == 1 && tabrl_policy_row(pi, 0, 0)[1] == 0);
    tabrl_policy_free(pi);
    tabrl_algo_free(algo);
    gsl_rng_free(rng);
  }
  tabrl_mdp_free(m);
}
END_TEST

/* The distribution hook on the bandit with tied means: action 0 both
 * members the point 0.5; action 1 categorical uniform on {0, 0.5, 1},
 * quantiles {0.2, 0.5, 0.8}: both means 0.5, so the reported policy is
 * uniform on the two, and the hook is the equal mixture of the four
 * members, 2 x 2 x 3 = 12 atoms of mass 1/4 (p_j or 1/3 within).  Its W1 to
 * the point 0.5 is the mean of |x - 0.5|: (0 + 0 + (1/3) (0.5 + 0.5) +
 * (1/3) (0.3 + 0.3)) / 4 = 2/15.  Once action 0's quantiles move to 0.6
 * (mean 0.55) it alone is greedy: 6 atoms, W1 (0 + 0.1) / 2 = 0.05. */
START_TEST(test_distribution_by_hand)
{
  tabrl_mdp *m = bandit();
  unsigned char valid[2];
  gsl_rng *rng = tabrl_gsl_rng_stream(0, TABRL_STREAM_ALGO, 0);
  tabrl_problem pr = test_problem(m, valid, rng, 10, 0);
  tabrl_setting set[] = {{"atoms", "3", NULL, 0}, {"vmin", "0", NULL, 0}, {"vmax", "1", NULL, 0}};
  tabrl_algo *algo = test_make("pe-ctd", &pr, set, 3);
  tabrl_atom out[12], point = {0.5, 1};
  double *p, *theta, mass = 0;
  size_t n = 0;
  tabrl_pe_ctd_members(algo, 0, 0, 0, &p, &theta);
  p[0] = 0, p[1] = 1, p[2] = 0;
  theta[0] = theta[1] = theta[2] = 0.5;
  tabrl_pe_ctd_members(algo, 0, 0, 1, &p, &theta);
  p[0] = p[1] = p[2] = 1.0 / 3;
  theta[0] = 0.2, theta[1] = 0.5, theta[2] = 0.8;
  ck_assert_int_eq(tabrl_algo_distribution(algo, 0, NULL, &n), 0);
  ck_assert_uint_eq(n, 12);
  ck_assert_int_eq(tabrl_algo_distribution(algo, 0, out, &n), 0);
  for (size_t k = 0; k < n; k++) mass += out[k].prob;
  ck_assert_double_eq_tol(mass, 1, 1e-15);
  ck_assert_double_eq_tol(tabrl_dist_w1(out, n, &point, 1), 2.0 / 15, 1e-15);
  tabrl_pe_ctd_members(algo, 0, 0, 0, &p, &theta);
  theta[0] = theta[1] = theta[2] = 0.6;
  ck_assert_int_eq(tabrl_algo_distribution(algo, 0, out, &n), 0);
  ck_assert_uint_eq(n, 6);
  ck_assert_double_eq_tol(tabrl_dist_w1(out, n, &point, 1), 0.05, 1e-15);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* H = 2.  Stage 0 at s0: action 0 pays 0.5, action 1 pays 0, both to s1.
 * Stage 1 at s1: action 0 pays 1 or 0 with probability 1/2 each (to s2 or
 * s1), action 1 pays 0.2.  The greedy policy takes action 0 twice: its
 * return from (0, s0, 0) is 0.5 or 1.5 with probability 1/2 each, which
 * both members represent exactly (support {0, 0.5, 1, 1.5}; quantiles at
 * levels 1/8, 3/8, 5/8, 7/8: 0.5, 0.5, 1.5, 1.5). */
static tabrl_mdp *two_stage(void)
{
  tabrl_mdp *m = NULL;
  const double mu0[] = {1, 0, 0};
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1, 0.5);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 1, 0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 2, 0.5, 1);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 0.5, 0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 1, 0.2);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 1, 0);
  tabrl_mdp_builder_add(b, 0, 2, 1, 2, 1, 0);
  tabrl_mdp_builder_set_time(b, 2, 1);
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(b, mu0), 0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* 4000 episodes with the bonus (so both actions keep being tried), step
 * 0.02.  The members are moving averages of noisy targets: the categorical
 * masses have a standard deviation of about 0.5 sqrt(alpha / 2) = 0.05 at
 * stationarity, the quantiles hover within a few alpha of theirs; so both
 * W1 distances to the exact law (at most 1 apart from it in every atom)
 * must be below 0.1, against 0.25 at the start (uniform vs the law; 1
 * for the quantiles at 0); the ensemble mean of action 0 within 0.1 of 1,
 * action 1's (exactly 0.5) at least 0.3 below it (it is rarely taken once
 * its bonus is spent, so its bootstrapped estimate is still low: 0.36 at
 * seed 0), and the bonus-free greedy policy takes action 0 at s0 and s1. */
START_TEST(test_members_converge)
{
  tabrl_mdp *m = two_stage();
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  gsl_rng *rng = tabrl_gsl_rng_stream(0, TABRL_STREAM_ALGO, 0);
  tabrl_problem pr = test_problem(m, valid, rng, 4000, 0);
  tabrl_setting set[] = {{"atoms", "4", NULL, 0},
                         {"vmin", "0", NULL, 0},
                         {"vmax", "1.5", NULL, 0},
                         {"alpha", "0.02", NULL, 0}};
  tabrl_algo *algo = test_make("pe-ctd", &pr, set, 4);
  tabrl_atom exact[] = {{0.5, 0.5}, {1.5, 0.5}}, cat[4], quant[4];
  double *p, *theta;
  tabrl_pe_ctd_members(algo, 0, 0, 0, &p, &theta);
  for (int j = 0; j < 4; j++) cat[j] = (tabrl_atom){0.5 * j, p[j]};
  ck_assert_double_eq_tol(tabrl_dist_w1(cat, 4, exact, 2), 0.25, 1e-12);
  test_drive(algo, m, 4000, 0, NULL, NULL, NULL, NULL);
  double means[2];
  for (int a = 0; a < 2; a++) {
    tabrl_pe_ctd_members(algo, 0, 0, a, &p, &theta);
    double c = 0, q = 0;
    for (int j = 0; j < 4; j++) {
      cat[j] = (tabrl_atom){0.5 * j, p[j]};
      quant[j] = (tabrl_atom){theta[j], 0.25};
      c += 0.5 * j * p[j];
      q += theta[j] / 4;
    }
    means[a] = (c + q) / 2;
    if (a == 0) {
      double wc = tabrl_dist_w1(cat, 4, exact, 2), wq = tabrl_dist_w1(quant, 4, exact, 2);
      ck_assert_msg(wc < 0.1 && wq < 0.1, "W1 categorical %g, quantile %g", wc, wq);
    }
  }
  ck_assert_msg(fabs(means[0] - 1) < 0.1 && means[1] < means[0] - 0.3, "means %g %g", means[0],
                means[1]);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  ck_assert(tabrl_policy_row(pi, 0, 0)[0] == 1 && tabrl_policy_row(pi, 1, 1)[0] == 1);
  /* The hook: the mixture of the two members of action 0 (8 atoms, mass
   * 1); its W1 to the exact law of the reported policy is at most the mean
   * of the members' (W1 is convex in a mixture), so below 0.1 too. */
  tabrl_atom *law, hook[8];
  size_t n_law, n = 0;
  double mass = 0;
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &law, &n_law), 0);
  ck_assert_int_eq(tabrl_algo_distribution(algo, 0, hook, &n), 0);
  ck_assert_uint_eq(n, 8);
  for (size_t k = 0; k < n; k++) mass += hook[k].prob;
  ck_assert_double_eq_tol(mass, 1, 1e-12);
  double w = tabrl_dist_w1(hook, n, law, n_law);
  ck_assert_msg(w < 0.1, "W1 of the hook %g", w);
  free(law);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("pe_ctd");
  TCase *tc = tcase_create("pe_ctd");
  tcase_add_test(tc, test_bonus_by_hand);
  tcase_add_test(tc, test_distribution_by_hand);
  tcase_add_test(tc, test_members_converge);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
