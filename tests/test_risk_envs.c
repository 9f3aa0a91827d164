/* The environments made for the risk-sensitive objectives: robust-ring
 * (the Toy-10 ring of Zhang, Hu and Li's regularized-robust code) entry by
 * entry and by a closed-form optimum, and cliff-risk's map, entries, the
 * value of each of its three paths under mean, entropic:-1 and cvar:0.1 by
 * hand, and the path each objective's optimum takes (three different ones,
 * or the environment would not tell the criteria apart). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"
#include "tabrl/policy.h"
#include "tabrl/returns.h"

#define SET(k, v)                                                                                  \
  {                                                                                                \
    (k), (v), "--set", 0                                                                           \
  }

/* Checks that (s, a) of a stationary model has exactly the n listed
 * (next, p, r) outcomes: an outcome is matched by next state and reward,
 * so that one next state may carry two rewards (cliff-risk's slips). */
static void expect_outcomes(const tabrl_mdp *m, int s, int a, int n, const int *next,
                            const double *p, const double *r)
{
  size_t b = tabrl_mdp_block(m, 0, s, a);
  ck_assert_msg(m->row[b + 1] - m->row[b] == (size_t)n, "(%d,%d): %zu outcomes, expected %d", s, a,
                m->row[b + 1] - m->row[b], n);
  for (int i = 0; i < n; i++) {
    int found = 0;
    for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
      if (m->next[e] != next[i] || m->reward[e] != r[i]) continue;
      ck_assert_msg(fabs(m->prob[e] - p[i]) < 1e-15, "(%d,%d)->%d r %g: p %.17g != %.17g", s, a,
                    next[i], r[i], m->prob[e], p[i]);
      found = 1;
    }
    ck_assert_msg(found, "(%d,%d) has no outcome %d with reward %g", s, a, next[i], r[i]);
  }
}

#define OUTCOMES(m, s, a, ...)                                                                     \
  do {                                                                                             \
    const struct {                                                                                 \
      int next;                                                                                    \
      double p, r;                                                                                 \
    } rows_[] = {__VA_ARGS__};                                                                     \
    int n_ = (int)(sizeof rows_ / sizeof rows_[0]), next_[8];                                      \
    double p_[8], r_[8];                                                                           \
    for (int i_ = 0; i_ < n_; i_++) {                                                              \
      next_[i_] = rows_[i_].next;                                                                  \
      p_[i_] = rows_[i_].p;                                                                        \
      r_[i_] = rows_[i_].r;                                                                        \
    }                                                                                              \
    expect_outcomes((m), (s), (a), n_, next_, p_, r_);                                             \
  } while (0)

START_TEST(test_robust_ring_table)
{
  /* toy/env/utils.py: prob[s,a,(s+a-1)%14] = 1-2p, prob[s,a,(s+a-2)%14] =
   * prob[s,a,(s+a)%14] = p, reward[s,a] = R[s]. */
  tabrl_mdp *m = test_env("robust-ring", NULL, 0);
  ck_assert_int_eq(m->S, 14);
  ck_assert_int_eq(m->A, 3);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.95);
  for (int s = 0; s < 14; s++) ck_assert_double_eq_tol(m->mu0[s], 1.0 / 14, 1e-15);
  /* Wrap-around below 0: left from 0 centres on 13, spreads to 12 and 0. */
  OUTCOMES(m, 0, 0, {13, 0.98, 0.0}, {12, 0.01, 0.0}, {0, 0.01, 0.0});
  /* Stay at 1 spreads to 0 and 2; left from 1 reaches 13 through s+a-2. */
  OUTCOMES(m, 1, 1, {1, 0.98, 0.0}, {0, 0.01, 0.0}, {2, 0.01, 0.0});
  OUTCOMES(m, 1, 0, {0, 0.98, 0.0}, {13, 0.01, 0.0}, {1, 0.01, 0.0});
  /* Wrap-around above 13: right from 13 centres on 0. */
  OUTCOMES(m, 13, 2, {0, 0.98, 0.0}, {13, 0.01, 0.0}, {1, 0.01, 0.0});
  OUTCOMES(m, 7, 2, {8, 0.98, -10.0}, {7, 0.01, -10.0}, {9, 0.01, -10.0});
  OUTCOMES(m, 8, 1, {8, 0.98, 5.0}, {7, 0.01, 5.0}, {9, 0.01, 5.0});
  OUTCOMES(m, 11, 0, {10, 0.98, 0.9}, {9, 0.01, 0.9}, {11, 0.01, 0.9});
  OUTCOMES(m, 3, 2, {4, 0.98, 2.0}, {3, 0.01, 2.0}, {5, 0.01, 2.0});
  tabrl_mdp_free(m);

  /* p = 0.5 leaves no mass on the centre; p = 0 is deterministic. */
  const tabrl_setting half[] = {SET("p", "0.5")}, zero[] = {SET("p", "0")};
  m = test_env("robust-ring", half, 1);
  OUTCOMES(m, 9, 0, {7, 0.5, -10.0}, {9, 0.5, -10.0});
  tabrl_mdp_free(m);
  m = test_env("robust-ring", zero, 1);
  OUTCOMES(m, 12, 2, {13, 1.0, 1.0});
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_robust_ring_bad_p)
{
  const char *bad[] = {"0.6", "-0.01", "abc"};
  for (int i = 0; i < 3; i++) {
    const tabrl_setting s[] = {SET("p", bad[i])};
    tabrl_mdp *m = NULL;
    ck_assert_int_eq(tabrl_env_build("robust-ring", s, 1, &m), TABRL_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(tabrl_error_message(), "p"), "%s", tabrl_error_message());
  }
}
END_TEST

START_TEST(test_robust_ring_mean_optimum)
{
  /* Closed form at p = 0.01: the optimum stays at 8 and walks 7 and 9 back
   * to it, so with x = V(7) = V(9), y = V(8):
   *   y = 5 + 0.95 (0.98 y + 0.02 x),  x = -10 + 0.95 (0.98 y + 0.02 x);
   * y - x = 15, then 0.05 y = 5 - 0.95 * 0.02 * 15 = 4.715: y = 94.3,
   * x = 79.3.  VI and PI must agree on all of V* and on the policy. */
  tabrl_mdp *m = test_env("robust-ring", NULL, 0);
  tabrl_policy *vi_pi = tabrl_policy_alloc_for(m), *pi_pi = tabrl_policy_alloc_for(m);
  double V_vi[14] = {0}, V_pi[14] = {0};
  int iters;
  ck_assert_int_eq(tabrl_oracle_vi(m, 1e-10, 100000, V_vi, vi_pi, NULL, &iters), 0);
  ck_assert_int_eq(tabrl_oracle_pi(m, 100, pi_pi, V_pi, NULL, &iters), 0);
  ck_assert_double_eq_tol(V_pi[8], 94.3, 1e-9);
  ck_assert_double_eq_tol(V_pi[7], 79.3, 1e-9);
  ck_assert_double_eq_tol(V_pi[9], 79.3, 1e-9);
  ck_assert_int_eq(tabrl_policy_argmax(pi_pi, 0, 8), 1);
  ck_assert_int_eq(tabrl_policy_argmax(pi_pi, 0, 7), 2);
  ck_assert_int_eq(tabrl_policy_argmax(pi_pi, 0, 9), 0);
  for (int s = 0; s < 14; s++) {
    ck_assert_double_eq_tol(V_vi[s], V_pi[s], 1e-9);
    ck_assert_int_eq(tabrl_policy_argmax(vi_pi, 0, s), tabrl_policy_argmax(pi_pi, 0, s));
  }
  tabrl_policy_free(vi_pi);
  tabrl_policy_free(pi_pi);
  tabrl_mdp_free(m);
}
END_TEST

/* The KL-regularised robust optimum of the paper's code (toy/env/RMDP.py,
 * _DP_opt): V(s) = max_a r(s,a) - (gamma/beta) log sum_s' P(s'|s,a)
 * exp(-beta V(s')), iterated to a fixed point on this model's entries. */
static double ring_robust_mean(const tabrl_mdp *m, double beta)
{
  double V[14] = {0}, V_new[14], mean = 0;
  for (int it = 0; it < 2000; it++) {
    for (int s = 0; s < 14; s++) {
      V_new[s] = -INFINITY;
      for (int a = 0; a < 3; a++) {
        size_t b = tabrl_mdp_block(m, 0, s, a);
        double z = 0;
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          z += m->prob[e] * exp(-beta * V[m->next[e]]);
        V_new[s] = fmax(V_new[s], m->mean_reward[b] - m->gamma / beta * log(z));
      }
    }
    memcpy(V, V_new, sizeof V);
  }
  for (int s = 0; s < 14; s++) mean += V[s] / 14;
  return mean;
}

START_TEST(test_robust_ring_paper_value)
{
  /* Zhang, Hu and Li report the robust optimum mean_s V*(s) = 65.245 for
   * Toy-10 at p = 0.01, beta = 0.1, gamma = 0.95: the ring must give it. */
  tabrl_mdp *m = test_env("robust-ring", NULL, 0);
  ck_assert_double_eq_tol(ring_robust_mean(m, 0.1), 65.245, 5e-4);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_cliff_risk_table)
{
  /* 0 up, 1 right, 2 down, 3 left; S = 12, G = 17; R = 7..10 (middle row,
   * q_middle 0.25, loss -1) and 13..16 (bottom row, q 0.05, loss -8). */
  tabrl_mdp *m = test_env("cliff-risk", NULL, 0);
  ck_assert_int_eq(m->S, 18);
  ck_assert_int_eq(m->A, 4);
  ck_assert_int_eq(m->horizon, 20);
  ck_assert_double_eq(m->mu0[12], 1.0);
  ck_assert_ptr_nonnull(m->grid);
  ck_assert_int_eq(m->grid->rows, 3);
  ck_assert_int_eq(m->grid->cols, 6);
  ck_assert_str_eq(m->grid->action_glyphs, "^>v<");
  ck_assert_int_eq(memcmp(m->grid->cells,
                          "......"
                          ".RRRR."
                          "SRRRRG",
                          18),
                   0);
  for (int c = 0; c < 18; c++) ck_assert_int_eq(m->grid->state_of_cell[c], c);
  OUTCOMES(m, 12, 0, {6, 1.0, -1.0});
  OUTCOMES(m, 12, 1, {13, 0.95, -1.0}, {13, 0.05, -9.0}); /* onto R: a slip costs 8 more */
  OUTCOMES(m, 12, 3, {12, 1.0, -1.0});                    /* off the grid: stay */
  OUTCOMES(m, 13, 2, {13, 0.95, -1.0}, {13, 0.05, -9.0}); /* staying on R risks too */
  OUTCOMES(m, 6, 1, {7, 0.75, -1.0}, {7, 0.25, -2.0});    /* middle row: 1 more, often */
  OUTCOMES(m, 15, 0, {9, 0.75, -1.0}, {9, 0.25, -2.0});
  OUTCOMES(m, 10, 1, {11, 1.0, -1.0});
  OUTCOMES(m, 4, 1, {5, 1.0, -1.0});
  OUTCOMES(m, 16, 1, {17, 1.0, 1.0});
  OUTCOMES(m, 11, 2, {17, 1.0, 1.0});
  OUTCOMES(m, 7, 2, {13, 0.95, -1.0}, {13, 0.05, -9.0});
  for (int a = 0; a < 4; a++) OUTCOMES(m, 17, a, {17, 1.0, 0.0});
  tabrl_mdp_free(m);

  const tabrl_setting s[] = {SET("q", "1.5")}, t[] = {SET("q_middle", "-0.1")};
  ck_assert_int_eq(tabrl_env_build("cliff-risk", s, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(tabrl_error_message(), "q"), "%s", tabrl_error_message());
  ck_assert_int_eq(tabrl_env_build("cliff-risk", t, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(tabrl_error_message(), "q_middle"), "%s", tabrl_error_message());
}
END_TEST

/* The three paths as stationary policies, one glyph per cell ("^>v<", G's
 * action is irrelevant): the maps `tabrl solve --format map` prints for the
 * mean, entropic:-1 and cvar:0.1 optima. */
static const char *const cliff_paths[3] = {
    ">>>>>v>>>>>v>>>>>^", /* bottom: right x5 */
    ">>>>>v>>>>>v^^^^>^", /* middle: up, right x5, down */
    ">>>>>v^^^^^v^^^^^^", /* top: up x2, right x5, down x2 */
};

static tabrl_policy *cliff_path_policy(const tabrl_mdp *m, const char *glyphs)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  for (int h = 0; h < m->horizon; h++)
    for (int s = 0; s < m->S; s++)
      tabrl_policy_set_action(pi, h, s, (int)(strchr("^>v<", glyphs[s]) - "^>v<"));
  return pi;
}

static tabrl_objective cliff_objective(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

START_TEST(test_cliff_risk_path_values)
{
  /* The header's arithmetic: rows [objective][path bottom, middle, top].
   * Entropic at b = -1: a cell with slip probability q and loss L costs
   * -log(1 - q + q e^-L).  CVaR_0.1: bottom K ~ Bin(4, 0.05), the worst
   * 10% is K=4 (6.25e-6, -35), K=3 (4.75e-4, -27), K=2 (0.0135375, -19) and
   * 0.08598125 of K=1 (-11); middle M ~ Bin(4, 0.25): M=4 (0.00390625, -9),
   * M=3 (0.046875, -8) and 0.04921875 of M=2 (-7). */
  const char *objectives[3] = {"mean", "entropic:-1", "cvar:0.1"};
  const double bottom_cvar =
      (6.25e-6 * -35 + 4.75e-4 * -27 + 0.0135375 * -19 + 0.08598125 * -11) / 0.1;
  const double middle_cvar = (0.00390625 * -9 + 0.046875 * -8 + 0.04921875 * -7) / 0.1;
  const double expected[3][3] = {
      {-3 - 4 * 0.05 * 8, -5 - 4 * 0.25, -7},
      {-3 - 4 * log(0.95 + 0.05 * exp(8.0)), -5 - 4 * log(0.75 + 0.25 * exp(1.0)), -7},
      {bottom_cvar, middle_cvar, -7},
  };
  tabrl_mdp *m = test_env("cliff-risk", NULL, 0);
  double *V = calloc(tabrl_oracle_value_size(m), sizeof *V);
  ck_assert_double_eq_tol(bottom_cvar, -12.1605, 1e-12);
  ck_assert_double_eq_tol(middle_cvar, -7.546875, 1e-12);
  ck_assert_double_eq_tol(expected[1][0], -23.0424851587, 1e-9);
  ck_assert_double_eq_tol(expected[1][1], -6.4294960780, 1e-9);
  for (int o = 0; o < 3; o++) {
    tabrl_objective obj = cliff_objective(objectives[o]);
    double J;
    for (int p = 0; p < 3; p++) {
      tabrl_policy *pi = cliff_path_policy(m, cliff_paths[p]);
      ck_assert_msg(tabrl_objective_value(&obj, m, pi, V, &J) == 0, "%s", tabrl_error_message());
      ck_assert_msg(fabs(J - expected[o][p]) < 1e-9, "%s path %d: %.12g, expected %.12g",
                    objectives[o], p, J, expected[o][p]);
      tabrl_policy_free(pi);
    }
  }
  free(V);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_cliff_risk_optima)
{
  /* Each objective's optimum is the best of its three path values: the
   * mean the bottom row (-4.6), entropic:-1 the middle (-6.4295, over the
   * top's -7), cvar:0.1 the top (-7; history-dependent policies do no
   * better, the header's dynamic programming says).  The Markov optima's
   * stage-0 actions are the paths' glyphs on the cells each path visits;
   * the CVaR optimum's return is -7 surely, which only the top path pays. */
  static const int visits[2][8] = {{12, 13, 14, 15, 16, -1}, {12, 6, 7, 8, 9, 10, 11, -1}};
  const char *objectives[2] = {"mean", "entropic:-1"};
  const double optima[2] = {-4.6, -5 - 4 * log(0.75 + 0.25 * exp(1.0))};
  tabrl_mdp *m = test_env("cliff-risk", NULL, 0);
  double *V = calloc(tabrl_oracle_value_size(m), sizeof *V), J;
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  for (int o = 0; o < 2; o++) {
    tabrl_objective obj = cliff_objective(objectives[o]);
    ck_assert_int_eq(tabrl_objective_optimum(&obj, m, V, pi, &J), 0);
    ck_assert_double_eq_tol(J, optima[o], 1e-9);
    for (int i = 0; visits[o][i] >= 0; i++) {
      int s = visits[o][i];
      ck_assert_int_eq(tabrl_policy_argmax(pi, 0, s), strchr("^>v<", cliff_paths[o][s]) - "^>v<");
    }
  }
  tabrl_policy_free(pi);
  free(V);

  tabrl_objective cvar = cliff_objective("cvar:0.1");
  tabrl_stock_solution *sol = tabrl_stock_solution_alloc(m);
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  ck_assert_ptr_nonnull(sol);
  ck_assert_int_eq(tabrl_objective_stock_optimum(&cvar, m, sol, &J), 0);
  ck_assert_double_eq_tol(J, -7, 1e-12);
  ck_assert_double_eq_tol(sol->threshold, -7, 1e-12);
  ck_assert_int_eq(tabrl_return_distribution(m, sol->pi, NULL, &atoms, &n), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_double_eq(atoms[0].value, -7);
  ck_assert_double_eq_tol(atoms[0].prob, 1, 1e-12);
  free(atoms);
  tabrl_stock_solution_free(sol);
  tabrl_mdp_free(m);
}
END_TEST

/* Optimal mean J* and the stage-0 action at the start. */
static double cliff_optimum(const char *q, int *start_action)
{
  const tabrl_setting s[] = {SET("q", q)};
  tabrl_mdp *m = test_env("cliff-risk", s, 1);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = calloc(tabrl_oracle_value_size(m), sizeof *V);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, pi), 0);
  double J = V[12];
  *start_action = tabrl_policy_argmax(pi, 0, 12);
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  return J;
}

START_TEST(test_cliff_risk_paths)
{
  /* Mean of the bottom row -3 + 4 q loss against the middle row's -6:
   * q = 0.05: -3 - 1.6 = -4.6, go right; q = 0.5: -3 - 16 < -6, go up;
   * q = 0.1: -6.2 < -6, go up (the tie is q = 3/32); q = 0: -3, right. */
  int a;
  ck_assert_double_eq_tol(cliff_optimum("0.05", &a), -4.6, 1e-12);
  ck_assert_int_eq(a, 1);
  ck_assert_double_eq_tol(cliff_optimum("0.5", &a), -6.0, 1e-12);
  ck_assert_int_eq(a, 0);
  ck_assert_double_eq_tol(cliff_optimum("0.1", &a), -6.0, 1e-12);
  ck_assert_int_eq(a, 0);
  ck_assert_double_eq_tol(cliff_optimum("0", &a), -3.0, 1e-12);
  ck_assert_int_eq(a, 1);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("risk_envs");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_robust_ring_table);
  tcase_add_test(tc, test_robust_ring_bad_p);
  tcase_add_test(tc, test_robust_ring_mean_optimum);
  tcase_add_test(tc, test_robust_ring_paper_value);
  tcase_add_test(tc, test_cliff_risk_table);
  tcase_add_test(tc, test_cliff_risk_path_values);
  tcase_add_test(tc, test_cliff_risk_optima);
  tcase_add_test(tc, test_cliff_risk_paths);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
