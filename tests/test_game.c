/* The preference game (tabrl/game.h): von Neumann winners solved by hand,
 * closed-form duality gaps against their definition, best responses
 * against first-order conditions by finite differences, and the
 * regularised equilibrium against its fixed-point equation. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "tabrl/error.h"
#include "tabrl/game.h"

/* Rock (0) beats scissors (2), paper (1) beats rock, scissors beat paper. */
static const double rps[9] = {0.5, 0, 1, 1, 0.5, 0, 0, 1, 0.5};

/* Rock-paper-scissors plus two responses that lose to each of them with
 * probability 0.9 and tie with each other. */
static void rps_dominated(double *P)
{
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      P[i * 5 + j] = i < 3 && j < 3 ? rps[i * 3 + j] : i < 3 ? 0.9 : j < 3 ? 0.1 : 0.5;
}

START_TEST(test_rps_winner_uniform)
{
  double p[3], P5[25], q[5];
  ck_assert_int_eq(tabrl_game_winner(rps, 3, p), 0);
  for (int i = 0; i < 3; i++) ck_assert_double_eq_tol(p[i], 1.0 / 3, 1e-14);
  rps_dominated(P5);
  ck_assert_int_eq(tabrl_game_winner(P5, 5, q), 0);
  for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(q[i], i < 3 ? 1.0 / 3 : 0, 1e-14);
}
END_TEST

/* P - 1/2 = [[0, .1, -.2], [-.1, 0, .3], [.2, -.3, 0]]: a 3x3 skew-symmetric
 * game with entries (a, b, c) = (.1, -.2, .3) above the diagonal has the
 * full-support solution proportional to (c, -b, a) = (.3, .2, .1), i.e.
 * (1/2, 1/3, 1/6), since then (P - 1/2) p = 0. */
START_TEST(test_hand_winner)
{
  const double P[9] = {0.5, 0.6, 0.3, 0.4, 0.5, 0.8, 0.7, 0.2, 0.5};
  double p[3];
  ck_assert_int_eq(tabrl_game_winner(P, 3, p), 0);
  ck_assert_double_eq_tol(p[0], 0.5, 1e-14);
  ck_assert_double_eq_tol(p[1], 1.0 / 3, 1e-14);
  ck_assert_double_eq_tol(p[2], 1.0 / 6, 1e-14);
}
END_TEST

/* Response 2 beats every other one: the Condorcet winner is pure. */
START_TEST(test_condorcet_pure)
{
  const double P[16] = {0.5, 0.9, 0.3, 0.2,  0.1, 0.5, 0.4,  0.8,
                        0.7, 0.6, 0.5, 0.55, 0.8, 0.2, 0.45, 0.5};
  double p[4];
  ck_assert_int_eq(tabrl_game_winner(P, 4, p), 0);
  for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(p[i], i == 2, 1e-15);
}
END_TEST

/* The gap at pi = (1/2, 1/4, 1/4) in rock-paper-scissors: P pi = (1/2, 3/8,
 * 5/8); with beta = 1/2 and a uniform reference the closed form is
 * 2 [1/2 log((e^1 + e^0.75 + e^1.25) / 3)] + 2 (1/2) KL - 1. */
START_TEST(test_gap_by_hand)
{
  const double pi[3] = {0.5, 0.25, 0.25}, pure[3] = {1, 0, 0};
  double kl = 0.5 * log(1.5) + 0.5 * log(0.75);
  double want = log((exp(1) + exp(0.75) + exp(1.25)) / 3) + kl - 1;
  ck_assert_double_eq_tol(tabrl_game_gap(rps, 3, NULL, 0.5, pi), want, 1e-15);
  ck_assert_double_eq_tol(tabrl_game_kl(pi, NULL, 3), kl, 1e-16);
  /* beta = 0: 2 max_i (P pi)_i - 1 = 2 (5/8) - 1; a pure strategy loses
   * to its counter surely: gap 1. */
  ck_assert_double_eq_tol(tabrl_game_gap(rps, 3, NULL, 0, pi), 0.25, 1e-15);
  ck_assert_double_eq_tol(tabrl_game_gap(rps, 3, NULL, 0, pure), 1, 1e-15);
}
END_TEST

/* The closed form equals max_p V(p, pi) - min_q V(pi, q) evaluated through
 * the best responses and V itself, and the best response beats every
 * other strategy tried. */
START_TEST(test_gap_definition)
{
  const double P[9] = {0.5, 0.6, 0.3, 0.4, 0.5, 0.8, 0.7, 0.2, 0.5};
  const double ref[3] = {0.2, 0.3, 0.5}, pi[3] = {0.6, 0.1, 0.3};
  for (int k = 0; k < 3; k++) {
    double beta = k == 0 ? 0 : k == 1 ? 0.05 : 2.0, p[3], q[3];
    tabrl_game_best_response(P, 3, ref, beta, pi, p);
    tabrl_game_best_response(P, 3, ref, beta, pi, q); /* symmetric */
    double gap =
        tabrl_game_value(P, 3, ref, beta, p, pi) - tabrl_game_value(P, 3, ref, beta, pi, q);
    ck_assert_double_eq_tol(tabrl_game_gap(P, 3, ref, beta, pi), gap, 1e-13);
    ck_assert(gap > 0);
    for (int t = 0; t < 50; t++) {
      double other[3] = {(t % 7) + 0.5, (t % 5) + 0.1, (t % 3) + 0.2}, total = 0;
      for (int i = 0; i < 3; i++) total += other[i];
      for (int i = 0; i < 3; i++) other[i] /= total;
      ck_assert(tabrl_game_value(P, 3, ref, beta, other, pi) <=
                tabrl_game_value(P, 3, ref, beta, p, pi) + 1e-15);
      ck_assert(tabrl_game_value(P, 3, ref, beta, pi, other) >=
                tabrl_game_value(P, 3, ref, beta, pi, q) - 1e-15);
    }
  }
}
END_TEST

/* At the regularised best response p to q, f(p) = p^T P q - beta KL(p || ref)
 * is stationary along every direction e_i - e_j of the simplex: central
 * differences vanish. */
START_TEST(test_best_response_finite_differences)
{
  const double P[9] = {0.5, 0.6, 0.3, 0.4, 0.5, 0.8, 0.7, 0.2, 0.5};
  const double ref[3] = {0.2, 0.3, 0.5}, q[3] = {0.1, 0.7, 0.2}, beta = 0.3, h = 1e-5;
  double p[3];
  tabrl_game_best_response(P, 3, ref, beta, q, p);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      if (i == j) continue;
      double up[3] = {p[0], p[1], p[2]}, down[3] = {p[0], p[1], p[2]};
      up[i] += h, up[j] -= h, down[i] -= h, down[j] += h;
      double fu = tabrl_game_value(P, 3, ref, beta, up, q) - beta * tabrl_game_kl(q, ref, 3);
      double fd = tabrl_game_value(P, 3, ref, beta, down, q) - beta * tabrl_game_kl(q, ref, 3);
      ck_assert_double_eq_tol((fu - fd) / (2 * h), 0, 1e-9);
      /* and it is a maximum: the second difference is negative */
      double f0 = tabrl_game_value(P, 3, ref, beta, p, q) - beta * tabrl_game_kl(q, ref, 3);
      ck_assert(fu + fd - 2 * f0 < 0);
    }
}
END_TEST

/* The regularised equilibrium solves pi = softmax(log ref + P pi / beta)
 * and has gap 0; a perturbed policy has a positive gap. */
START_TEST(test_regularised_equilibrium)
{
  double P5[25], ref[5] = {0.4, 0.1, 0.2, 0.2, 0.1}, pi[5];
  rps_dominated(P5);
  for (int k = 0; k < 3; k++) {
    double beta = k == 0 ? 0.01 : k == 1 ? 0.1 : 1.0;
    ck_assert_int_eq(tabrl_game_equilibrium(P5, 5, ref, beta, pi), 0);
    ck_assert_double_le(tabrl_game_gap(P5, 5, ref, beta, pi), 1e-12);
    double x[5], total = 0;
    for (int i = 0; i < 5; i++) {
      x[i] = ref[i];
      for (int j = 0; j < 5; j++) x[i] *= exp(P5[i * 5 + j] * pi[j] / beta);
      total += x[i];
    }
    /* a gap of 1e-12 leaves ||pi - pi*|| of order sqrt(1e-12 / beta) */
    for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(pi[i], x[i] / total, 1e-5 / sqrt(beta));
    pi[0] += 0.01, pi[1] -= 0.01;
    ck_assert_double_gt(tabrl_game_gap(P5, 5, ref, beta, pi), 1e-7);
  }
  ck_assert_int_eq(tabrl_game_equilibrium(rps, 3, NULL, 0, pi), 0);
  ck_assert_double_eq_tol(pi[1], 1.0 / 3, 1e-14);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("game");
  TCase *tc = tcase_create("game");
  tcase_add_test(tc, test_rps_winner_uniform);
  tcase_add_test(tc, test_hand_winner);
  tcase_add_test(tc, test_condorcet_pure);
  tcase_add_test(tc, test_gap_by_hand);
  tcase_add_test(tc, test_gap_definition);
  tcase_add_test(tc, test_best_response_finite_differences);
  tcase_add_test(tc, test_regularised_equilibrium);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
