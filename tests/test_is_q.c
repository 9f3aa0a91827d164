/* is-q (risk-averse Q-learning with the Itakura-Saito loss) and the
 * risk-scenario env: the three loss gradients against hand values and
 * finite differences of the losses written out here; the count of skipped
 * non-finite updates on a model where it is known by hand; the entropic
 * optimum of a small two-stage MDP reached within a tolerance from the
 * spread over seeds; the discretised scenarios' exact entropic optimum
 * against its binomial formula and against the Gaussian closed form within
 * the documented |b|^3 amax^4 sigma^4 / (12 n); the option scenario's
 * risk-neutral price for every b. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "protocol/testing.h"
#include "tabrl/objective.h"
#include "tabrl/rng.h"

#define SET(k, v)                                                                                  \
  {                                                                                                \
    (k), (v), "--set", 0                                                                           \
  }

enum { IS, EXP, LOG };

/* The per-sample losses as the header of algos/risk/is_q.c defines them. */
static double loss(int which, double b, double Q, double t)
{
  switch (which) {
  case IS:
    return (exp(b * (t - Q)) - b * (t - Q) - 1) / (b * b);
  case EXP:
    return pow(exp(b * Q) - exp(b * t), 2) / (2 * b * b);
  default:
    return (Q - t) * (Q - t) / 2;
  }
}

START_TEST(test_gradients)
{
  /* By hand: b = -2, Q = 1, t = 0.  IS (1 - e^{b(t-Q)}) / b = (1 - e^2) / -2;
   * EMSE e^{bQ} (e^{bQ} - e^{bt}) / b = e^-2 (e^-2 - 1) / -2; log Q - t = 1. */
  ck_assert_double_eq_tol(tabrl_is_q_gradient(IS, -2, 1, 0), (exp(2.0) - 1) / 2, 1e-12);
  ck_assert_double_eq_tol(tabrl_is_q_gradient(EXP, -2, 1, 0), exp(-2.0) * (1 - exp(-2.0)) / 2,
                          1e-15);
  ck_assert_double_eq_tol(tabrl_is_q_gradient(LOG, -2, 1, 0), 1.0, 1e-15);
  /* Every gradient against a central difference of its loss, and every one
   * zero at Q = t. */
  const double bs[] = {-3, -0.5, 0.7}, Qs[] = {-1.3, 0, 0.4, 2}, t = 0.25, eps = 1e-6;
  for (int w = IS; w <= LOG; w++)
    for (size_t i = 0; i < 3; i++) {
      ck_assert_double_eq_tol(tabrl_is_q_gradient(w, bs[i], t, t), 0.0, 1e-15);
      for (size_t j = 0; j < 4; j++) {
        double fd = (loss(w, bs[i], Qs[j] + eps, t) - loss(w, bs[i], Qs[j] - eps, t)) / (2 * eps);
        double g = tabrl_is_q_gradient(w, bs[i], Qs[j], t);
        ck_assert_msg(fabs(g - fd) < 1e-6 * (1 + fabs(g)), "loss %d b %g Q %g: %.10g vs fd %.10g",
                      w, bs[i], Qs[j], g, fd);
      }
    }
  /* b -> 0: every gradient tends to the TD error Q - t. */
  for (int w = IS; w <= LOG; w++)
    ck_assert_double_eq_tol(tabrl_is_q_gradient(w, -1e-7, 1.5, 0.5), 1.0, 1e-6);
  /* IS depends on t - Q only: shifting both by 1000 changes nothing, where
   * EMSE overflows (inf * (inf - inf) is NaN). */
  ck_assert_double_eq_tol(tabrl_is_q_gradient(IS, -2, -999, -1000),
                          tabrl_is_q_gradient(IS, -2, 1, 0), 1e-9);
  ck_assert(!isfinite(tabrl_is_q_gradient(EXP, -2, -999, -1000)));
}
END_TEST

static tabrl_mdp *finish(tabrl_mdp_builder *b)
{
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* Runs `episodes` episodes of algo on m from the transition stream seed. */
static void drive(tabrl_algo *algo, const tabrl_mdp *m, long episodes, uint64_t seed)
{
  gsl_rng *transitions = tabrl_gsl_rng_stream(seed, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_episode ep = {0};
  for (long k = 1; k <= episodes; k++)
    ck_assert_msg(tabrl_episode_online(algo, m, k, transitions, &ep) == 0, "%s",
                  tabrl_error_message());
  gsl_rng_free(transitions);
}

static tabrl_algo *make(const tabrl_mdp *m, const tabrl_objective *o, uint64_t seed,
                        unsigned char *valid, gsl_rng **rng, const tabrl_setting *set, size_t n)
{
  *rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, *rng, 1000, 0);
  p.objective = o;
  return test_make("is-q", &p, set, n);
}

START_TEST(test_overflow_count)
{
  /* One state, one action, H = 1, reward -20, b = -40.  With init = first
   * the first visit sets Q = -20; every later EMSE step needs exp(b Q) =
   * e^800 = inf and gives NaN, so exactly K - 1 updates are skipped and Q
   * stays -20.  IS's step is exp(0) - 1 = 0: no event. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, -20.0);
  tabrl_mdp_builder_set_time(b, 1, 1.0);
  tabrl_mdp *m = finish(b);
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("entropic:-40", &o), 0);
  const char *losses[] = {"exp", "is"};
  const long expected[] = {99, 0};
  for (int i = 0; i < 2; i++) {
    unsigned char valid[1];
    gsl_rng *rng;
    tabrl_setting set[] = {SET("loss", losses[i])};
    tabrl_algo *algo = make(m, &o, 1, valid, &rng, set, 1);
    drive(algo, m, 100, 1);
    ck_assert_int_eq(tabrl_is_q_events(algo), expected[i]);
    ck_assert_double_eq(tabrl_algo_diagnostics(algo), (double)expected[i]);
    ck_assert_double_eq_tol(tabrl_is_q_value(algo, 0, 0, 0), -20.0, 1e-12);
    tabrl_algo_free(algo);
    gsl_rng_free(rng);
  }
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_refuses_b_zero)
{
  tabrl_mdp *m = test_env("risk-scenario", NULL, 0);
  unsigned char valid[66 * 11];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 10, 0);
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("entropic:0", &o), 0);
  p.objective = &o;
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("is-q"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "b != 0"));
  tabrl_objective mean = tabrl_objective_default(); /* not an objective is-q optimises */
  p.objective = &mean;
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("is-q"), &p, NULL), TABRL_EUNSUPPORTED);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* Two stages, three states, two actions; in each state a sure reward
 * against a gamble with a higher mean, so that b = -1 changes the choice.
 *   s0: a0 -> s1, r 0.6      a1 -> s1 r 0 or s2 r 2.2 (1/2 each)
 *   s1: a0 r 0.45            a1 r 0 or 1.6 (1/2 each)
 *   s2: a0 r 0               a1 r 1 or -1 (1/2 each) */
static tabrl_mdp *two_stage(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1.0, 0.6);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 0.5, 0.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 2, 0.5, 2.2);
  tabrl_mdp_builder_add(b, 0, 1, 0, 0, 1.0, 0.45);
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 0.5, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, 1.6);
  tabrl_mdp_builder_add(b, 0, 2, 0, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 2, 1, 0, 0.5, 1.0);
  tabrl_mdp_builder_add(b, 0, 2, 1, 1, 0.5, -1.0);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  return finish(b);
}

START_TEST(test_reaches_entropic_optimum)
{
  /* At b = -1 the gamble is optimal in s1 (0.5093 > 0.45), the sure 0 in
   * s2 (-log cosh 1 = -0.434) and the sure 0.6 in s0 (1.1093 > 1.0332),
   * where the mean prefers the gamble (1.5 > 1.4).  16 seeds of 20000
   * episodes with loss = is: the mean over seeds of max_a Q_0(s0, a) must
   * lie within 4 standard errors (plus 0.01 for the finite-sample bias of
   * the max) of J*, every seed's greedy policy must be optimal, and the log
   * loss (the mean) must miss J* by more than that tolerance. */
  tabrl_mdp *m = two_stage();
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("entropic:-1", &o), 0);
  double V[16], J, sum[2] = {0, 0}, sq[2] = {0, 0};
  ck_assert_uint_le(tabrl_oracle_value_size(m), 16);
  tabrl_policy *opt = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, opt, &J), 0);
  /* Hand check of the oracle: V_1(s1) = max(0.45, -log((1 + e^-1.6) / 2)),
   * V_1(s2) = max(0, -log(cosh 1)); J* = max(0.6 + V_1(s1),
   * -log((e^-V_1(s1) + e^{-2.2 - V_1(s2)}) / 2)). */
  double v1 = fmax(0.45, -log((1 + exp(-1.6)) / 2)), v2 = fmax(0.0, -log(cosh(1.0)));
  double Jh = fmax(0.6 + v1, -log((exp(-v1) + exp(-2.2 - v2)) / 2));
  ck_assert_double_eq_tol(J, Jh, 1e-12);
  const int seeds = 16;
  const char *losses[] = {"is", "log"};
  for (int l = 0; l < 2; l++)
    for (int seed = 1; seed <= seeds; seed++) {
      unsigned char valid[2 * 3 * 2];
      gsl_rng *rng;
      tabrl_setting set[] = {SET("loss", losses[l]), SET("schedule", "harmonic")};
      tabrl_algo *algo = make(m, &o, (uint64_t)seed, valid, &rng, set, 2);
      drive(algo, m, 20000, (uint64_t)seed);
      double v = fmax(tabrl_is_q_value(algo, 0, 0, 0), tabrl_is_q_value(algo, 0, 0, 1));
      sum[l] += v;
      sq[l] += v * v;
      if (l == 0)
        for (int h = 0; h < 2; h++)
          for (int s = 0; s < 3; s++) {
            int greedy = tabrl_is_q_value(algo, h, s, 1) > tabrl_is_q_value(algo, h, s, 0);
            if (h == 0 && s != 0) continue; /* never visited at h = 0 */
            ck_assert_msg(tabrl_policy_row(opt, h, s)[greedy] == 1.0,
                          "seed %d: greedy action %d at (%d, %d) is not optimal", seed, greedy, h,
                          s);
          }
      ck_assert_int_eq(tabrl_is_q_events(algo), 0);
      tabrl_algo_free(algo);
      gsl_rng_free(rng);
    }
  double mean = sum[0] / seeds,
         sd = sqrt(fmax(0.0, sq[0] / seeds - mean * mean) * seeds / (seeds - 1));
  double tol = 4 * sd / sqrt((double)seeds) + 0.01;
  ck_assert_msg(fabs(mean - J) <= tol, "is: mean %.6f, J* %.6f, tolerance %.6f", mean, J, tol);
  ck_assert_msg(fabs(sum[1] / seeds - J) > tol, "log: mean %.6f should miss J* %.6f",
                sum[1] / seeds, J);
  tabrl_policy_free(opt);
  tabrl_mdp_free(m);
}
END_TEST

/* J* of risk-scenario under entropic:b with the given settings. */
static double scenario_optimum(double b, const tabrl_setting *set, size_t n)
{
  tabrl_mdp *m = test_env("risk-scenario", set, n);
  tabrl_objective o;
  char text[64];
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  snprintf(text, sizeof text, "entropic:%.17g", b);
  ck_assert_int_eq(tabrl_objective_parse(text, &o), 0);
  ck_assert_msg(tabrl_objective_optimum(&o, m, V, NULL, &J) == 0, "%s", tabrl_error_message());
  free(V);
  tabrl_mdp_free(m);
  return J;
}

START_TEST(test_scenario_closed_form)
{
  /* mu 1, sigma 1, amax 1, 11 positions, n 64 (defaults); penalty kappa 0.5;
   * then mu 0.3, sigma 2, w0 -10, n 16. */
  const struct {
    const char *scenario, *mu, *sigma, *w0, *n;
    double kappa;
  } cases[] = {{"investment", "1", "1", "0", "64", 0},
               {"penalty", "1", "1", "0", "64", 0.5},
               {"investment", "0.3", "2", "-10", "16", 0}};
  const double bs[] = {-0.5, -2, -5};
  for (size_t c = 0; c < 3; c++)
    for (size_t i = 0; i < 3; i++) {
      double b = bs[i], mu = atof(cases[c].mu), sigma = atof(cases[c].sigma);
      double w0 = atof(cases[c].w0), n = atof(cases[c].n), kappa = cases[c].kappa;
      tabrl_setting set[] = {SET("scenario", cases[c].scenario), SET("mu", cases[c].mu),
                             SET("sigma", cases[c].sigma), SET("w0", cases[c].w0),
                             SET("n", cases[c].n)};
      double J = scenario_optimum(b, set, 5), binomial = -INFINITY, gauss = -INFINITY;
      for (int j = 0; j < 11; j++) {
        double a = j / 10.0, base = w0 + a * mu - kappa * a * a;
        binomial = fmax(binomial, base + n / b * log(cosh(b * a * sigma / sqrt(n))));
        gauss = fmax(gauss, base + b * a * a * sigma * sigma / 2);
      }
      double bound = pow(fabs(b), 3) * pow(sigma, 4) / (12 * n);
      ck_assert_msg(fabs(J - binomial) < 1e-9 * (1 + fabs(J)), "case %zu b %g: %.12g vs %.12g", c,
                    b, J, binomial);
      ck_assert_msg(J >= gauss - 1e-12 && J - gauss <= bound,
                    "case %zu b %g: J* %.12g, closed form %.12g, bound %.3g", c, b, J, gauss,
                    bound);
    }
  /* The documented optimum a* = mu / (2 kappa - b sigma^2) at b = -2,
   * kappa 0.5: 1/3, between the grid points 0.3 and 0.4; the closed form
   * 1/6 = 0.1667 of the real a* bounds the grid's from above. */
  tabrl_setting pen[] = {SET("scenario", "penalty")};
  double J = scenario_optimum(-2, pen, 1);
  ck_assert(J <= 1.0 / 6 + pow(2, 3) / (12 * 64.0));
  ck_assert(J >= fmax(0.3 - 0.045 - 0.09, 0.4 - 0.08 - 0.16));
}
END_TEST

START_TEST(test_scenario_option)
{
  /* Risk-neutral option price: up 1.25, down 0.75, strike 1.1, premium
   * w0 = 0.3.  q = 0.25 / 0.5 = 1/2, delta = 0.15 / 0.5 = 0.3, so V* =
   * 0.3 - 0.15 / 2 = 0.225 for every b < 0, at the middle position (the
   * hedge), and strictly less at the neighbours: a zero-mean gamble. */
  tabrl_setting set[] = {SET("scenario", "option"), SET("up", "1.25"), SET("down", "0.75"),
                         SET("strike", "1.1"), SET("w0", "0.3")};
  tabrl_mdp *m = test_env("risk-scenario", set, 5);
  const double bs[] = {-0.1, -3, -80};
  for (size_t i = 0; i < 3; i++) {
    tabrl_objective o;
    char text[32];
    double V[6], J; /* tabrl_oracle_value_size: (H + 1) S */
    ck_assert_uint_eq(tabrl_oracle_value_size(m), 6);
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    snprintf(text, sizeof text, "entropic:%g", bs[i]);
    ck_assert_int_eq(tabrl_objective_parse(text, &o), 0);
    ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, pi, &J), 0);
    ck_assert_double_eq_tol(J, 0.225, 1e-12);
    ck_assert_double_eq(tabrl_policy_row(pi, 0, 0)[5], 1.0);
    tabrl_policy_free(pi);
  }
  tabrl_mdp_free(m);
  /* The hedge must be on the grid and the strike inside (down, up). */
  tabrl_setting even[] = {SET("scenario", "option"), SET("actions", "10")};
  tabrl_setting out[] = {SET("scenario", "option"), SET("strike", "1.2")};
  ck_assert_int_eq(tabrl_env_build("risk-scenario", even, 2, &m), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_env_build("risk-scenario", out, 2, &m), TABRL_EINVAL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("is_q");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_gradients);
  tcase_add_test(tc, test_overflow_count);
  tcase_add_test(tc, test_refuses_b_zero);
  tcase_add_test(tc, test_reaches_entropic_optimum);
  tcase_add_test(tc, test_scenario_closed_form);
  tcase_add_test(tc, test_scenario_option);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
