/* Offline preference optimisation (algos/preference/po.c): every loss's
 * exact gradient against finite differences, dpo / ipo / slic against
 * their gpo forms, IPO's optimum on a dataset against an independent
 * least-squares solve, and DPO's degenerate optimum under deterministic
 * preferences. */
#include <check.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "preference/po.h"
#include "run/pref_data.h"
#include "tabrl/env.h"
#include "tabrl/error.h"

#include "offline_pref.h"

/* Central differences of the mean loss match the exact gradient for every
 * f at several beta (the kinks of hinge and truncated-squared are met
 * with probability 0 at random logits). */
START_TEST(test_gradients)
{
  dataset d;
  double theta[S * A], log_ref[S * A], grad[S * A];
  const double betas[] = {0.1, 1, 3};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  make_dataset(&d, 7);
  for (int i = 0; i < S * A; i++) log_ref[i] = log(d.reference[i]);
  for (const po_loss *f = po_losses; f->name; f++)
    for (size_t b = 0; b < 3; b++) {
      for (int i = 0; i < S * A; i++) theta[i] = 2 * gsl_rng_uniform(r) - 1;
      po_objective(&d.data, S, A, theta, log_ref, f, betas[b], 0.7, grad);
      for (int i = 0; i < S * A; i++) {
        double h = 1e-6, keep = theta[i];
        theta[i] = keep + h;
        double up = po_objective(&d.data, S, A, theta, log_ref, f, betas[b], 0.7, NULL);
        theta[i] = keep - h;
        double down = po_objective(&d.data, S, A, theta, log_ref, f, betas[b], 0.7, NULL);
        theta[i] = keep;
        double fd = (up - down) / (2 * h);
        ck_assert_msg(fabs(fd - grad[i]) < 1e-6 * (1 + fabs(fd)),
                      "%s beta %g coordinate %d: %g vs %g", f->name, betas[b], i, grad[i], fd);
      }
      /* The optimizer's gradient-only pass agrees. */
      double alone[S * A];
      po_gradient(&d.data, S, A, theta, log_ref, f, betas[b], 0.7, alone);
      for (int i = 0; i < S * A; i++)
        ck_assert(fabs(alone[i] - grad[i]) < 1e-12 * (1 + fabs(grad[i])));
      /* The gradient sums to 0 in each context: a shift of theta(x, .)
       * leaves the policy unchanged. */
      for (int s = 0; s < S; s++) {
        double sum = 0;
        for (int a = 0; a < A; a++) sum += grad[s * A + a];
        ck_assert(fabs(sum) < 1e-12);
      }
    }
  gsl_rng_free(r);
}
END_TEST

/* The values of f at hand-computed points, so a wrong formula with a
 * consistent derivative still fails. */
START_TEST(test_loss_values)
{
  double df, e = exp(1);
  ck_assert(fabs(po_losses[PO_LOGISTIC].f(1, &df) - log(1 + 1 / e)) < 1e-15);
  ck_assert(fabs(df + 1 / (1 + e)) < 1e-15);
  ck_assert(fabs(po_losses[PO_LOGISTIC].f(-800, &df) - 800) < 1e-12); /* no overflow */
  ck_assert(po_losses[PO_HINGE].f(0.25, &df) == 0.75 && df == -1);
  ck_assert(po_losses[PO_HINGE].f(2, &df) == 0 && df == 0);
  ck_assert(po_losses[PO_SQUARED].f(3, &df) == 4 && df == 4);
  ck_assert(fabs(po_losses[PO_EXPONENTIAL].f(2, &df) - exp(-2)) < 1e-15);
  ck_assert(po_losses[PO_TRUNCATED_SQUARED].f(-1, &df) == 4 && df == -4);
  ck_assert(po_losses[PO_TRUNCATED_SQUARED].f(1.5, &df) == 0 && df == 0);
  ck_assert(fabs(po_losses[PO_SAVAGE].f(0, &df) - 0.25) < 1e-15);
  ck_assert(fabs(df + 0.25) < 1e-15);
  ck_assert(fabs(po_losses[PO_SAVAGE].f(log(3), &df) - 1.0 / 16) < 1e-15);
}
END_TEST

/* dpo is gpo logistic and slic gpo hinge at the same beta, step for step
 * (bitwise); ipo(tau) is gpo squared at beta = 2 tau scaled by
 * 1/(4 tau^2): the same optimum, and under Adam (invariant to the scale
 * but for eps) the same iterates within 1e-6; under gd with the step
 * scaled by 4 tau^2 the same iterates within rounding. */
START_TEST(test_gpo_forms)
{
  dataset d;
  double p1[S * A], p2[S * A];
  make_dataset(&d, 11);
  struct {
    const char *type, *key, *value, *f, *beta;
  } same[] = {{"dpo", "beta", "0.5", "logistic", "0.5"}, {"slic", "beta", "0.8", "hinge", "0.8"}};
  for (int k = 0; k < 2; k++) {
    const tabrl_setting a[] = {{same[k].key, same[k].value, "t", 0}};
    const tabrl_setting g[] = {{"f", same[k].f, "t", 0}, {"beta", same[k].beta, "t", 0}};
    tabrl_algo *x = make(same[k].type, &d.data, S, A, a, 1), *y = make("gpo", &d.data, S, A, g, 2);
    run(x, S, A, 300, p1);
    run(y, S, A, 300, p2);
    ck_assert_msg(!memcmp(p1, p2, sizeof p1), "%s differs from gpo %s", same[k].type, same[k].f);
    tabrl_algo_free(x);
    tabrl_algo_free(y);
  }
  const tabrl_setting ipo[] = {{"tau", "0.25", "t", 0}};
  const tabrl_setting sq[] = {{"f", "squared", "t", 0}, {"beta", "0.5", "t", 0}};
  tabrl_algo *x = make("ipo", &d.data, S, A, ipo, 1), *y = make("gpo", &d.data, S, A, sq, 2);
  run(x, S, A, 300, p1);
  run(y, S, A, 300, p2);
  for (int i = 0; i < S * A; i++) ck_assert(fabs(p1[i] - p2[i]) < 1e-6);
  tabrl_algo_free(x);
  tabrl_algo_free(y);
  /* gd: ipo's loss is gpo's times 1/(4 tau^2) = 4, so ipo's lr 0.1 is gpo's 0.4. */
  const tabrl_setting ipo_gd[] = {
      {"tau", "0.25", "t", 0}, {"optimizer", "gd", "t", 0}, {"lr", "0.1", "t", 0}};
  const tabrl_setting sq_gd[] = {{"f", "squared", "t", 0},
                                 {"beta", "0.5", "t", 0},
                                 {"optimizer", "gd", "t", 0},
                                 {"lr", "0.4", "t", 0}};
  x = make("ipo", &d.data, S, A, ipo_gd, 3);
  y = make("gpo", &d.data, S, A, sq_gd, 4);
  run(x, S, A, 300, p1);
  run(y, S, A, 300, p2);
  for (int i = 0; i < S * A; i++) ck_assert(fabs(p1[i] - p2[i]) < 1e-12);
  tabrl_algo_free(x);
  tabrl_algo_free(y);
}
END_TEST

/* IPO's optimum on a dataset (Azar et al. 2024, Section 5.1: the
 * empirical loss is a least-squares problem in theta): recomputed here
 * with GSL's linear least squares, theta(x, 0) fixed to 0 per context (the
 * loss ignores shifts), rows e_w - e_l and targets 1/(2 tau) + log
 * pi_ref(y_w) - log pi_ref(y_l).  ipo with gd reaches it to 1e-9 in the
 * log-probabilities. */
START_TEST(test_ipo_optimum)
{
  dataset d;
  const double tau = 0.3;
  make_dataset(&d, 3);
  /* every context must be connected: add a chain 0-1-2-3 in each */
  static int c2[N + 6], w2[N + 6], l2[N + 6];
  memcpy(c2, d.context, sizeof d.context);
  memcpy(w2, d.chosen, sizeof d.chosen);
  memcpy(l2, d.rejected, sizeof d.rejected);
  for (int k = 0; k < 6; k++) {
    c2[N + k] = k / 3;
    w2[N + k] = k % 3 + 1;
    l2[N + k] = k % 3;
  }
  tabrl_pref_data data = {N + 6, c2, w2, l2, d.reference};
  gsl_matrix *X = gsl_matrix_calloc(N + 6, S * (A - 1)),
             *cov = gsl_matrix_alloc(S * (A - 1), S * (A - 1));
  gsl_vector *y = gsl_vector_alloc(N + 6), *c = gsl_vector_alloc(S * (A - 1));
  gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(N + 6, S * (A - 1));
  for (size_t i = 0; i < data.n; i++) {
    int s = c2[i];
    if (w2[i]) gsl_matrix_set(X, i, (size_t)(s * (A - 1) + w2[i] - 1), 1);
    if (l2[i]) gsl_matrix_set(X, i, (size_t)(s * (A - 1) + l2[i] - 1), -1);
    gsl_vector_set(
        y, i, 1 / (2 * tau) + log(d.reference[s * A + w2[i]]) - log(d.reference[s * A + l2[i]]));
  }
  double chisq;
  ck_assert_int_eq(gsl_multifit_linear(X, y, c, cov, &chisq, ws), 0);
  const tabrl_setting v[] = {
      {"tau", "0.3", "t", 0}, {"optimizer", "gd", "t", 0}, {"lr", "0.5", "t", 0}};
  tabrl_algo *algo = make("ipo", &data, S, A, v, 3);
  double p[S * A];
  run(algo, S, A, 20000, p);
  for (int s = 0; s < S; s++)
    for (int a = 1; a < A; a++) {
      double want = gsl_vector_get(c, (size_t)(s * (A - 1) + a - 1));
      double got = log(p[s * A + a]) - log(p[s * A]);
      ck_assert_msg(fabs(got - want) < 1e-9, "context %d response %d: %.12g vs %.12g", s, a, got,
                    want);
    }
  tabrl_algo_free(algo);
  gsl_multifit_linear_free(ws);
  gsl_matrix_free(X);
  gsl_matrix_free(cov);
  gsl_vector_free(y);
  gsl_vector_free(c);
}
END_TEST

/* The three-response example of Azar et al. (Section 5): preferences 0 >
 * 1 > 2, each pair once, uniform reference.  IPO's optimum solves 2a + b
 * = 2c, a + 2b = 2c for the gaps a = h0 - h1, b = h1 - h2, c = 1/(2 tau):
 * a = b = 2c/3, whatever the optimizer (Adam, 5000 steps); DPO has no
 * finite optimum: the losers' probabilities keep falling at every
 * checkpoint, below 0.05 after 5000 steps for every beta (Adam's step
 * shrinks as the gradient beta sigma(-beta d) vanishes, fastest for a
 * large beta: 0.021 and 0.0004 at beta = 2) and below 1e-3 for beta <=
 * 0.5. */
START_TEST(test_three_responses)
{
  int c[3] = {0, 0, 0}, w[3] = {0, 1, 0}, l[3] = {1, 2, 2};
  double ref[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, p[3];
  tabrl_pref_data data = {3, c, w, l, ref};
  const char *taus[] = {"0.1", "0.5", "1"};
  for (int k = 0; k < 3; k++) {
    const tabrl_setting v[] = {{"tau", taus[k], "t", 0}};
    tabrl_algo *algo = make("ipo", &data, 1, 3, v, 1);
    run(algo, 1, 3, 5000, p);
    double gap = 2.0 / 3 / (2 * atof(taus[k]));
    double z = 1 + exp(-gap) + exp(-2 * gap);
    ck_assert_msg(fabs(p[0] - 1 / z) < 1e-4 && fabs(p[1] - exp(-gap) / z) < 1e-4 &&
                      fabs(p[2] - exp(-2 * gap) / z) < 1e-4,
                  "ipo tau %s: %g %g %g", taus[k], p[0], p[1], p[2]);
    tabrl_algo_free(algo);
  }
  const char *betas[] = {"0.1", "0.5", "2"};
  for (int k = 0; k < 3; k++) {
    const tabrl_setting v[] = {{"beta", betas[k], "t", 0}};
    tabrl_algo *algo = make("dpo", &data, 1, 3, v, 1);
    double last1 = 1, last2 = 1;
    for (int round = 0; round < 10; round++) {
      run(algo, 1, 3, 500, p);
      ck_assert(p[1] < last1 && p[2] < last2);
      last1 = p[1];
      last2 = p[2];
    }
    double bound = k < 2 ? 1e-3 : 0.05;
    ck_assert_msg(p[1] < bound && p[2] < bound, "dpo beta %s: %g %g %g", betas[k], p[0], p[1],
                  p[2]);
    tabrl_algo_free(algo);
  }
}
END_TEST

/* Without a dataset (outside the offline-preference protocol) init fails
 * with a message; an episodic problem of horizon 2 is refused. */
START_TEST(test_refusals)
{
  const tabrl_algo_type *t = tabrl_algo_find("dpo");
  tabrl_problem p;
  memset(&p, 0, sizeof p);
  p.S = 1;
  p.A = 2;
  p.horizon = 1;
  p.gamma = 1;
  ck_assert_ptr_null(tabrl_algo_alloc(t, &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs a preference dataset"));
  p.horizon = 2;
  ck_assert_int_eq(tabrl_algo_check(t, &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "horizon 1"));
  ck_assert_str_eq(tabrl_protocol_name(TABRL_OFFLINE_PREFERENCE), "offline-preference");
}
END_TEST

/* The runner's drawn dataset (pairs = N): contexts from mu0, responses
 * from the reference, labels through the feedback layer on the true
 * rewards or from the env's preference matrix.  Rewards 2, 1, 0 on three
 * responses: the deterministic link always prefers the lower index; the
 * logistic one prefers 0 to 2 with probability sigma(2) = 0.8808 (4000
 * pairs: within 4 standard errors); responses are uniform (each a third of
 * the draws, within 4 standard errors); a matrix P(0 beats 1) = 0.9 gives
 * that frequency. */
START_TEST(test_drawn_dataset)
{
  const tabrl_setting env[] = {{"responses", "3", "t", 0}, {"rewards", "2, 1, 0", "t", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_env_build("preference-bandit", env, 2, &m) == 0, "%s", tabrl_error_message());
  tabrl_feedback f = {&tabrl_feedback_deterministic, 1, TABRL_SCORE_RETURN, 0, NULL, NULL};
  gsl_rng *data = gsl_rng_alloc(gsl_rng_mt19937), *fb = gsl_rng_alloc(gsl_rng_mt19937);
  pref_dataset d;
  enum { M = 4000 };
  ck_assert_int_eq(pref_dataset_draw(m, &f, M, data, fb, &d), 0);
  ck_assert_uint_eq(d.data.n, M);
  long zeros = 0;
  for (int i = 0; i < M; i++) {
    ck_assert_int_eq(d.context[i], 0);
    if (d.chosen[i] != d.rejected[i]) ck_assert_int_lt(d.chosen[i], d.rejected[i]);
    zeros += (d.chosen[i] == 0) + (d.rejected[i] == 0);
  }
  double se = sqrt(2.0 * M / 3 * 2 / 3);
  ck_assert(fabs((double)zeros - 2.0 * M / 3) < 4 * se);
  ck_assert(fabs(d.reference[0] - 1.0 / 3) < 1e-15);
  pref_dataset_free(&d);
  f.link = &tabrl_feedback_logistic;
  ck_assert_int_eq(pref_dataset_draw(m, &f, M, data, fb, &d), 0);
  long pairs = 0, first = 0;
  for (int i = 0; i < M; i++)
    if ((d.chosen[i] == 0 && d.rejected[i] == 2) || (d.chosen[i] == 2 && d.rejected[i] == 0)) {
      pairs++;
      first += d.chosen[i] == 0;
    }
  double p = 1 / (1 + exp(-2.0));
  ck_assert(pairs > 500);
  ck_assert(fabs((double)first / pairs - p) < 4 * sqrt(p * (1 - p) / pairs));
  pref_dataset_free(&d);
  tabrl_mdp_free(m);
  char path[] = "/tmp/tabrl_offpref_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *out = fdopen(fd, "w");
  fputs("i,j,p\n0,1,0.9\n0,2,0.5\n1,2,0.5\n", out);
  fclose(out);
  char value[64];
  snprintf(value, sizeof value, "file:%s", path);
  const tabrl_setting penv[] = {{"responses", "3", "t", 0}, {"preferences", value, "t", 0}};
  ck_assert_msg(tabrl_env_build("preference-bandit", penv, 2, &m) == 0, "%s",
                tabrl_error_message());
  remove(path);
  ck_assert_int_eq(pref_dataset_draw(m, &f, M, data, fb, &d), 0);
  pairs = first = 0;
  for (int i = 0; i < M; i++)
    if ((d.chosen[i] == 0 && d.rejected[i] == 1) || (d.chosen[i] == 1 && d.rejected[i] == 0)) {
      pairs++;
      first += d.chosen[i] == 0;
    }
  ck_assert(fabs((double)first / pairs - 0.9) < 4 * sqrt(0.09 / pairs));
  pref_dataset_free(&d);
  tabrl_mdp_free(m);
  gsl_rng_free(data);
  gsl_rng_free(fb);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("offpref");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_gradients);
  tcase_add_test(tc, test_loss_values);
  tcase_add_test(tc, test_gpo_forms);
  tcase_add_test(tc, test_ipo_optimum);
  tcase_add_test(tc, test_three_responses);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_drawn_dataset);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
