/* The offline preference losses beyond gpo's f family
 * (algos/preference/po_pair.c and the types built on po_pair.h): every
 * loss's gradient against central finite differences, values at
 * hand-computed points, the f-form ones against dpo / slic / ipo, and the
 * closed-form optima reached by fixed runs. */
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "preference/maxmin.h"
#include "preference/po.h"
#include "preference/po_pair.h"
#include <unistd.h>
#include "tabrl/env.h"
#include "tabrl/error.h"

#include "offline_pref.h"

/* Central differences of the mean loss match the exact gradient for every
 * loss at several beta, with label smoothing, discopop's tau and a bco
 * baseline set (the kinks of hinge and the rank changes of aot are met
 * with probability 0 at random logits). */
START_TEST(test_gradients)
{
  dataset d;
  double theta[S * A], log_ref[S * A], grad[S * A];
  const double betas[] = {0.1, 1, 3};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  po_work *w = po_work_alloc(S, A, N);
  make_dataset(&d, 7);
  for (int i = 0; i < S * A; i++) log_ref[i] = log(d.reference[i]);
  for (int loss = 0; po_pair_names[loss]; loss++)
    for (size_t b = 0; b < 3; b++) {
      po_pair_spec sp = {loss, betas[b], 0.15, 0.5, 0.3};
      for (int i = 0; i < S * A; i++) theta[i] = 2 * gsl_rng_uniform(r) - 1;
      po_pair_objective(&d.data, S, A, theta, log_ref, &sp, grad, NULL, w);
      for (int i = 0; i < S * A; i++) {
        double h = 1e-6, keep = theta[i];
        theta[i] = keep + h;
        double up = po_pair_objective(&d.data, S, A, theta, log_ref, &sp, NULL, NULL, w);
        theta[i] = keep - h;
        double down = po_pair_objective(&d.data, S, A, theta, log_ref, &sp, NULL, NULL, w);
        theta[i] = keep;
        double fd = (up - down) / (2 * h);
        ck_assert_msg(fabs(fd - grad[i]) < 1e-6 * (1 + fabs(fd)),
                      "%s beta %g coordinate %d: %g vs %g", po_pair_names[loss], betas[b], i,
                      grad[i], fd);
      }
      for (int s = 0; s < S; s++) {
        double sum = 0;
        for (int a = 0; a < A; a++) sum += grad[s * A + a];
        ck_assert(fabs(sum) < 1e-12);
      }
    }
  po_work_free(w);
  gsl_rng_free(r);
}
END_TEST

/* The loss of one comparison 0 > 1 on two responses with reference
 * (0.5, 0.5) at pi = (p, 1 - p): h_w = log 2p, h_l = log 2(1 - p). */
static double one_pair(int loss, double beta, double eps, double tau, double delta, double p)
{
  int c = 0, w = 0, l = 1;
  double ref[2] = {0.5, 0.5}, log_ref[2] = {log(0.5), log(0.5)};
  double theta[2] = {log(p), log(1 - p)};
  tabrl_pref_data d = {1, &c, &w, &l, ref};
  po_pair_spec sp = {loss, beta, eps, tau, delta};
  po_work *wk = po_work_alloc(1, 2, 1);
  double v = po_pair_objective(&d, 1, 2, theta, log_ref, &sp, NULL, NULL, wk);
  po_work_free(wk);
  return v;
}

/* Values written out by hand from each formula, at p = 0.8 (h_w = log 1.6,
 * h_l = log 0.4, d = log 4), so a wrong formula with a consistent
 * derivative still fails. */
START_TEST(test_loss_values)
{
  const double p = 0.8, hw = log(1.6), hl = log(0.4), d = log(4), tol = 1e-13;
  const double b = 0.5, e = 0.1, rho = b * d; /* 4^0.5 = 2: s(rho) = 2/3 */
  ck_assert(fabs(one_pair(PP_SIGMOID, b, 0, 1, 0, p) - log(1.5)) < tol);
  ck_assert(fabs(one_pair(PP_HINGE, b, 0, 1, 0, p) - (1 - rho)) < tol);
  ck_assert(fabs(one_pair(PP_HINGE, 2, 0, 1, 0, p)) == 0);
  ck_assert(fabs(one_pair(PP_IPO, b, 0, 1, 0, p) - (d - 1) * (d - 1)) < tol);
  ck_assert(fabs(one_pair(PP_ROBUST, b, e, 1, 0, p) - (0.9 * log(1.5) - 0.1 * log(3)) / 0.8) < tol);
  ck_assert(fabs(one_pair(PP_EXO_PAIR, b, e, 1, 0, p) -
                 (2.0 / 3 * log(2.0 / 3 / 0.9) + 1.0 / 3 * log(1.0 / 3 / 0.1))) < tol);
  /* discopop at tau = rho / log 3: m = s(log 3) = 3/4, e^-rho = 1/2. */
  ck_assert(fabs(one_pair(PP_DISCOPOP, b, 0, rho / log(3), 0, p) - (log(1.5) / 4 + 0.5 * 0.75)) <
            tol);
  /* bco at delta = beta h_l: the rejected term is log 2. */
  ck_assert(fabs(one_pair(PP_BCO_PAIR, b, 0, 1, b * hl, p) -
                 (log(1 + exp(-(b * hw - b * hl))) + log(2))) < tol);
  ck_assert(fabs(one_pair(PP_SPPO_HARD, b, 0, 1, 0, p) -
                 ((hw - 1) * (hw - 1) + (hl + 1) * (hl + 1))) < tol);
  /* nca at beta = 1: s(h_w) = 1.6 / 2.6, s(h_l) = 0.4 / 1.4. */
  ck_assert(fabs(one_pair(PP_NCA_PAIR, 1, 0, 1, 0, p) -
                 (-log(1.6 / 2.6) - 0.5 * log(1 / 2.6) - 0.5 * log(1 / 1.4))) < tol);
  ck_assert(fabs(one_pair(PP_APO_ZERO, 1, 0, 1, 0, p) - (1 - 1.6 / 2.6 + 0.4 / 1.4)) < tol);
  ck_assert(fabs(one_pair(PP_APO_DOWN, 1, 0, 1, 0, p) - (1.6 / 2.6 + 1 - 0.8)) < tol);
  /* One pair: aot and aot-pair are the label-smoothed sigmoid. */
  ck_assert(fabs(one_pair(PP_AOT, b, e, 1, 0, p) - (0.9 * log(1.5) + 0.1 * log(3))) < tol);
  ck_assert(fabs(one_pair(PP_AOT_PAIR, b, e, 1, 0, p) - (0.9 * log(1.5) + 0.1 * log(3))) < tol);
}
END_TEST

/* aot sorts: two contexts of two responses, policy log-ratios 2 and -1,
 * reference log-ratios 0 and log 3 (sorted 0, log 3): D = (-1 - 0, 2 -
 * log 3); aot-pair pairs the sorted h_w with the sorted h_l. */
START_TEST(test_aot_sorting)
{
  int ctx[2] = {0, 1}, w[2] = {0, 0}, l[2] = {1, 1};
  double ref[4] = {0.5, 0.5, 0.75, 0.25}, log_ref[4], theta[4] = {2, 0, -1, 0};
  tabrl_pref_data d = {2, ctx, w, l, ref};
  po_work *wk = po_work_alloc(2, 2, 2);
  for (int i = 0; i < 4; i++) log_ref[i] = log(ref[i]);
  po_pair_spec sp = {PP_AOT, 1, 0, 1, 0};
  double v = po_pair_objective(&d, 2, 2, theta, log_ref, &sp, NULL, NULL, wk);
  double want = (log1p(exp(1)) + log1p(exp(-(2 - log(3))))) / 2;
  ck_assert_msg(fabs(v - want) < 1e-14, "%.17g vs %.17g", v, want);
  /* aot-pair: h = log pi - log ref. */
  double lp[4];
  po_log_policy(2, 2, theta, lp);
  double hw[2] = {lp[0] - log_ref[0], lp[2] - log_ref[2]},
         hl[2] = {lp[1] - log_ref[1], lp[3] - log_ref[3]};
  double aw[2] = {fmin(hw[0], hw[1]), fmax(hw[0], hw[1])},
         al[2] = {fmin(hl[0], hl[1]), fmax(hl[0], hl[1])};
  sp.loss = PP_AOT_PAIR;
  v = po_pair_objective(&d, 2, 2, theta, log_ref, &sp, NULL, NULL, wk);
  want = (log1p(exp(-(aw[0] - al[0]))) + log1p(exp(-(aw[1] - al[1])))) / 2;
  ck_assert_msg(fabs(v - want) < 1e-14, "%.17g vs %.17g", v, want);
  po_work_free(wk);
}
END_TEST

/* po-pair's f-form losses are the named types: sigmoid = dpo, hinge =
 * slic at the same beta, ipo = ipo with tau = beta (TRL's beta is IPO's
 * tau), iterate for iterate within rounding. */
START_TEST(test_named_forms)
{
  dataset d;
  double p1[S * A], p2[S * A];
  make_dataset(&d, 11);
  struct {
    const char *loss, *type, *key;
  } same[] = {{"sigmoid", "dpo", "beta"}, {"hinge", "slic", "beta"}, {"ipo", "ipo", "tau"}};
  for (int k = 0; k < 3; k++) {
    const tabrl_setting a[] = {{"loss", same[k].loss, "t", 0}, {"beta", "0.7", "t", 0}};
    const tabrl_setting b[] = {{same[k].key, "0.7", "t", 0}};
    tabrl_algo *x = make("po-pair", &d.data, S, A, a, 2),
               *y = make(same[k].type, &d.data, S, A, b, 1);
    run(x, S, A, 300, p1);
    run(y, S, A, 300, p2);
    for (int i = 0; i < S * A; i++)
      ck_assert_msg(fabs(p1[i] - p2[i]) < 1e-9, "%s vs %s: %g vs %g", same[k].loss, same[k].type,
                    p1[i], p2[i]);
    tabrl_algo_free(x);
    tabrl_algo_free(y);
  }
}
END_TEST

/* Closed-form optima on three-responses data (one context, reference
 * (0.3, 0.3, 0.4), the single comparison 0 > 1; response 2 absorbs the
 * rest of the mass):
 *   sppo-hard, beta 1:  h_0 = 1/2, h_1 = -1/2: pi = 0.3 (e^0.5, e^-0.5, .)
 *   nca-pair, beta 2:   beta h_0 = log 2: pi_0 = 0.3 * 2^(1/2), pi_1 -> 0
 * and on two responses (reference (0.4, 0.6), 0 > 1):
 *   exo-pair, beta 0.5, e = 0.1: beta d = log 9, pi_0 / pi_1 = (0.4 / 0.6)
 *   81. */
START_TEST(test_optima)
{
  int c = 0, w = 0, l = 1;
  double ref3[3] = {0.3, 0.3, 0.4}, ref2[2] = {0.4, 0.6}, p[3];
  tabrl_pref_data d3 = {1, &c, &w, &l, ref3}, d2 = {1, &c, &w, &l, ref2};
  const tabrl_setting sppo[] = {{"loss", "sppo-hard", "t", 0}, {"beta", "1", "t", 0}};
  tabrl_algo *x = make("po-pair", &d3, 1, 3, sppo, 2);
  run(x, 1, 3, 5000, p);
  ck_assert_msg(fabs(p[0] - 0.3 * exp(0.5)) < 1e-6 && fabs(p[1] - 0.3 * exp(-0.5)) < 1e-6, "%g %g",
                p[0], p[1]);
  tabrl_algo_free(x);
  const tabrl_setting nca[] = {{"loss", "nca-pair", "t", 0}, {"beta", "2", "t", 0}};
  x = make("po-pair", &d3, 1, 3, nca, 2);
  run(x, 1, 3, 5000, p);
  ck_assert_msg(fabs(p[0] - 0.3 * sqrt(2)) < 1e-3 && p[1] < 1e-2, "%g %g", p[0], p[1]);
  tabrl_algo_free(x);
  const tabrl_setting exo[] = {
      {"loss", "exo-pair", "t", 0}, {"beta", "0.5", "t", 0}, {"label_smoothing", "0.1", "t", 0}};
  x = make("po-pair", &d2, 1, 2, exo, 3);
  run(x, 1, 2, 5000, p);
  ck_assert_msg(fabs(p[0] / p[1] - 81 * 0.4 / 0.6) < 1e-4, "%g", p[0] / p[1]);
  tabrl_algo_free(x);
}
END_TEST

START_TEST(test_refusals)
{
  const tabrl_algo_type *t = tabrl_algo_find("po-pair");
  const tabrl_setting exo[] = {{"loss", "exo-pair", "t", 0}};
  tabrl_values *v = NULL;
  tabrl_problem p;
  memset(&p, 0, sizeof p);
  p.S = 1;
  p.A = 2;
  p.horizon = 1;
  p.gamma = 1;
  ck_assert_int_eq(tabrl_values_resolve(t->params, "po-pair", exo, 1, 0, &v), 0);
  ck_assert_int_eq(tabrl_algo_check(t, &p, v), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "label_smoothing > 0"));
  tabrl_values_free(v);
}
END_TEST

/* kto (z0 fixed), rpo, hypo and pmpo: central differences of the mean
 * loss match the exact gradient. */
static double more(int which, const tabrl_pref_data *d, const double *theta, const double *log_ref,
                   double *grad, po_work *w)
{
  switch (which) {
  case 0:
    return po_kto_objective(d, S, A, theta, log_ref, 0.7, 1.3, 0.6, 0.37, grad, w);
  case 1:
    return po_rpo_objective(d, S, A, theta, log_ref, 0.5, 0.7, grad, w);
  case 2:
    return po_hypo_objective(d, S, A, theta, log_ref, 0.5, 0.3, grad, w);
  default:
    return po_pmpo_objective(d, S, A, theta, log_ref, 0.3, 0.8, grad, w);
  }
}

START_TEST(test_more_gradients)
{
  dataset d;
  double theta[S * A], log_ref[S * A], grad[S * A];
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  po_work *w = po_work_alloc(S, A, N);
  make_dataset(&d, 5);
  for (int i = 0; i < S * A; i++) log_ref[i] = log(d.reference[i]);
  for (int which = 0; which < 4; which++)
    for (int rep = 0; rep < 3; rep++) {
      for (int i = 0; i < S * A; i++) theta[i] = 3 * gsl_rng_uniform(r) - 1.5;
      more(which, &d.data, theta, log_ref, grad, w);
      for (int i = 0; i < S * A; i++) {
        double h = 1e-6, keep = theta[i];
        theta[i] = keep + h;
        double up = more(which, &d.data, theta, log_ref, NULL, w);
        theta[i] = keep - h;
        double down = more(which, &d.data, theta, log_ref, NULL, w);
        theta[i] = keep;
        double fd = (up - down) / (2 * h);
        ck_assert_msg(fabs(fd - grad[i]) < 1e-6 * (1 + fabs(fd)),
                      "objective %d coordinate %d: %g vs %g", which, i, grad[i], fd);
      }
    }
  po_work_free(w);
  gsl_rng_free(r);
}
END_TEST

/* po_data_kl against KL computed context by context, each context
 * weighted by its share of the pairs. */
START_TEST(test_data_kl)
{
  dataset d;
  double theta[S * A], log_ref[S * A], logpi[S * A], count[S] = {0}, want = 0;
  make_dataset(&d, 3);
  for (int i = 0; i < S * A; i++) {
    log_ref[i] = log(d.reference[i]);
    theta[i] = sin(1.0 + i);
  }
  po_log_policy(S, A, theta, logpi);
  for (int i = 0; i < N; i++) count[d.context[i]] += 1.0 / N;
  for (int s = 0; s < S; s++) {
    double z = 0, kl = 0;
    for (int a = 0; a < A; a++) z += exp(theta[s * A + a]);
    for (int a = 0; a < A; a++) {
      double p = exp(theta[s * A + a]) / z;
      kl += p * log(p / d.reference[s * A + a]);
    }
    want += count[s] * kl;
  }
  ck_assert(fabs(po_data_kl(&d.data, S, A, logpi, log_ref, 0, NULL) - want) < 1e-14);
}
END_TEST

/* The root of a decreasing-then-increasing objective's derivative g on
 * [lo, hi] (g(lo) < 0 < g(hi)), by bisection. */
static double bisect(double (*g)(double t, const double *c), const double *c, double lo, double hi)
{
  for (int k = 0; k < 200; k++) {
    double mid = (lo + hi) / 2;
    if (g(mid, c) < 0)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

static double sigm(double x)
{
  return 1 / (1 + exp(-x));
}

/* rpo on two responses, uniform reference, comparisons 0 > 1 twice and
 * 1 > 0 once, logit t = log(p / (1 - p)) = h_0 - h_1: the DPO part
 * (2 log(1 + e^(-beta t)) + log(1 + e^(beta t))) / 3 and the SFT part
 * (-2 log p - log(1 - p)) / 3 have derivative g below. */
static double rpo_g(double t, const double *c)
{
  double b = c[0], eta = c[1], p = sigm(t);
  return (-2 * b * sigm(-b * t) + b * sigm(b * t)) / 3 + eta * (-2 * (1 - p) + p) / 3;
}

/* hypo on two responses, uniform reference, the single comparison 0 > 1:
 * log(1 + e^(-beta t)) + lambda KL, d KL / dt = p (1 - p) t. */
static double hypo_g(double t, const double *c)
{
  double b = c[0], lambda = c[1], p = sigm(t);
  return -b * sigm(-b * t) + lambda * p * (1 - p) * t;
}

START_TEST(test_regularised_optima)
{
  int ctx[3] = {0, 0, 0}, w[3] = {0, 0, 1}, l[3] = {1, 1, 0};
  double ref[2] = {0.5, 0.5}, p[3];
  tabrl_pref_data d3 = {3, ctx, w, l, ref}, d1 = {1, ctx, w, l, ref};
  const double crpo[2] = {0.5, 1}, chypo[2] = {1, 0.5};
  const tabrl_setting rs[] = {{"beta", "0.5", "t", 0}, {"eta", "1", "t", 0}};
  tabrl_algo *x = make("rpo", &d3, 1, 2, rs, 2);
  run(x, 1, 2, 5000, p);
  double want = sigm(bisect(rpo_g, crpo, -20, 20));
  /* Neither part alone: DPO's optimum is p = 0.8, SFT's 2/3. */
  ck_assert(want > 2.0 / 3 + 0.01 && want < 0.8 - 0.01);
  ck_assert_msg(fabs(p[0] - want) < 1e-6, "rpo %.9g vs %.9g", p[0], want);
  tabrl_algo_free(x);
  const tabrl_setting hs[] = {{"beta", "1", "t", 0}, {"lambda", "0.5", "t", 0}};
  x = make("hypo", &d1, 1, 2, hs, 2);
  run(x, 1, 2, 5000, p);
  want = sigm(bisect(hypo_g, chypo, -20, 20));
  ck_assert(want > 0.6 && want < 0.99);
  ck_assert_msg(fabs(p[0] - want) < 1e-6, "hypo %.9g vs %.9g", p[0], want);
  tabrl_algo_free(x);
}
END_TEST

/* pmpo on ipo-three-responses' data (0 > 1, 1 > 2, 0 > 2, uniform
 * reference), alpha 0.5, beta 2: c = 0.5 (2, 1, 0) - 0.5 (0, 1, 2) + 2 =
 * (3, 2, 1), so pi = (1/2, 1/3, 1/6); and with a non-uniform reference
 * (0.5, 0.3, 0.2) and beta 3, c = (1 + 4.5, 2.7, -1 + 1.8). */
START_TEST(test_pmpo_optimum)
{
  int ctx[3] = {0, 0, 0}, w[3] = {0, 1, 0}, l[3] = {1, 2, 2};
  double uni[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, ref[3] = {0.5, 0.3, 0.2}, p[3];
  tabrl_pref_data d = {3, ctx, w, l, uni}, e = {3, ctx, w, l, ref};
  const tabrl_setting a[] = {{"beta", "2", "t", 0}};
  tabrl_algo *x = make("pmpo", &d, 1, 3, a, 1);
  run(x, 1, 3, 5000, p);
  ck_assert_msg(fabs(p[0] - 0.5) < 1e-6 && fabs(p[1] - 1.0 / 3) < 1e-6 &&
                    fabs(p[2] - 1.0 / 6) < 1e-6,
                "%g %g %g", p[0], p[1], p[2]);
  tabrl_algo_free(x);
  /* Adam at a constant step circles the optimum at 1e-4 here; gd converges. */
  const tabrl_setting b[] = {
      {"beta", "3", "t", 0}, {"optimizer", "gd", "t", 0}, {"lr", "1", "t", 0}};
  x = make("pmpo", &e, 1, 3, b, 3);
  run(x, 1, 3, 5000, p);
  double c[3] = {5.5, 2.7, 0.8}, sum = 9;
  for (int k = 0; k < 3; k++) ck_assert_msg(fabs(p[k] - c[k] / sum) < 1e-6, "%d: %g", k, p[k]);
  tabrl_algo_free(x);
}
END_TEST

/* kto's reference point: two gd steps of the type from the reference
 * equal two steps recomputed here, z0 = 0 at the reference and then the
 * exact KL of the first iterate, held fixed in each step's gradient. */
START_TEST(test_kto_steps)
{
  int ctx[3] = {0, 0, 0}, w[3] = {0, 1, 0}, l[3] = {1, 2, 2};
  double ref[3] = {0.5, 0.3, 0.2}, theta[3], log_ref[3], grad[3], p[3];
  tabrl_pref_data d = {3, ctx, w, l, ref};
  const tabrl_setting a[] = {
      {"beta", "2", "t", 0}, {"optimizer", "gd", "t", 0}, {"lr", "3", "t", 0}};
  po_work *wk = po_work_alloc(1, 3, 3);
  for (int k = 0; k < 3; k++) theta[k] = log_ref[k] = log(ref[k]);
  double z0 = 0;
  for (int step = 0; step < 2; step++) {
    po_kto_objective(&d, 1, 3, theta, log_ref, 2, 1, 1, z0, grad, wk);
    for (int k = 0; k < 3; k++) theta[k] -= 3 * grad[k];
    double z = 0, kl = 0;
    for (int k = 0; k < 3; k++) z += exp(theta[k]);
    for (int k = 0; k < 3; k++) kl += exp(theta[k]) / z * log(exp(theta[k]) / z / ref[k]);
    z0 = kl;
  }
  ck_assert(z0 > 0.01); /* the second step's z0 mattered */
  tabrl_algo *x = make("kto", &d, 1, 3, a, 3);
  run(x, 1, 3, 2, p);
  double z = exp(theta[0]) + exp(theta[1]) + exp(theta[2]);
  for (int k = 0; k < 3; k++)
    ck_assert_msg(fabs(p[k] - exp(theta[k]) / z) < 1e-14, "%d: %.17g vs %.17g", k, p[k],
                  exp(theta[k]) / z);
  /* At the reference every example costs lambda (1 - 1/2). */
  for (int k = 0; k < 3; k++) theta[k] = log_ref[k];
  ck_assert(fabs(po_kto_objective(&d, 1, 3, theta, log_ref, 2, 1, 3, 0, NULL, wk) - 1) < 1e-15);
  po_work_free(wk);
  tabrl_algo_free(x);
}
END_TEST

/* gpo f = discopop is po-pair's discopop at tau 0.05: the same loss and
 * gradient. */
START_TEST(test_gpo_discopop)
{
  dataset d;
  double theta[S * A], log_ref[S * A], g1[S * A], g2[S * A];
  const po_loss *f = po_losses;
  po_work *w = po_work_alloc(S, A, N);
  make_dataset(&d, 13);
  while (f->name && strcmp(f->name, "discopop")) f++;
  ck_assert_ptr_nonnull(f->name);
  for (int i = 0; i < S * A; i++) {
    log_ref[i] = log(d.reference[i]);
    theta[i] = cos(2.0 * i);
  }
  po_pair_spec sp = {PP_DISCOPOP, 0.8, 0, 0.05, 0};
  double a = po_objective(&d.data, S, A, theta, log_ref, f, 0.8, 1, g1);
  double b = po_pair_objective(&d.data, S, A, theta, log_ref, &sp, g2, NULL, w);
  ck_assert_msg(fabs(a - b) < 1e-14, "%.17g vs %.17g", a, b);
  for (int i = 0; i < S * A; i++) ck_assert(fabs(g1[i] - g2[i]) < 1e-13);
  po_work_free(w);
}
END_TEST

/* The Gibbs policy of weights w (the test's own), J_g, the dual value D
 * and the primal value min_g J_g - beta KL. */
static void mm_check(int s_n, int a_n, int k, const double *R, const double *mu, const double *ref,
                     double beta, const double *w, double *pi, double *J, double *D, double *P)
{
  size_t sa = (size_t)s_n * (size_t)a_n;
  double kl = 0, lo = HUGE_VAL;
  *D = 0;
  for (int g = 0; g < k; g++) J[g] = 0;
  for (int s = 0; s < s_n; s++) {
    double z = 0;
    for (int a = 0; a < a_n; a++) {
      double e = 0;
      for (int g = 0; g < k; g++) e += w[g] * R[g * sa + s * a_n + a];
      z += pi[s * a_n + a] = ref[s * a_n + a] * exp(e / beta);
    }
    *D += mu[s] * beta * log(z);
    for (int a = 0; a < a_n; a++) {
      double p = pi[s * a_n + a] /= z;
      kl += mu[s] * p * log(p / ref[s * a_n + a]);
      for (int g = 0; g < k; g++) J[g] += mu[s] * p * R[g * sa + s * a_n + a];
    }
  }
  for (int g = 0; g < k; g++) lo = fmin(lo, J[g]);
  *P = lo - beta * kl;
}

/* maxmin_solve: with two groups against a bisection of the dual's
 * derivative J_1 - J_2 in w_1 (interior optimum: conflicting groups; a
 * vertex: group 2 better everywhere), and with three groups the duality
 * gap D(w) - P(pi_w), recomputed here, below 1e-9: a certificate that
 * pi_w is max-min optimal to 1e-9. */
START_TEST(test_maxmin_solve)
{
  enum { MS = 2, MA = 3 };
  double R[3 * MS * MA], mu[MS] = {0.3, 0.7}, ref[MS * MA] = {0.2, 0.3, 0.5, 0.6, 0.3, 0.1};
  double w[3], pi[MS * MA], mine[MS * MA], J[3], D, P;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  for (int i = 0; i < MS * MA; i++) {
    R[i] = gsl_rng_uniform(r);
    R[MS * MA + i] = 1 - R[i] + 0.05 * gsl_rng_uniform(r);
    R[2 * MS * MA + i] = gsl_rng_uniform(r);
  }
  for (int vertex = 0; vertex < 2; vertex++) {
    if (vertex)
      for (int i = 0; i < MS * MA; i++) R[MS * MA + i] = R[i] + 1;
    w[0] = w[1] = 0.5;
    double gap = maxmin_solve(MS, MA, 2, R, mu, ref, 0.1, 1e-9, 1000000, w, pi);
    ck_assert_msg(gap <= 1e-9, "gap %g", gap);
    double lo = 0, hi = 1;
    for (int t = 0; t < 200; t++) {
      double m = (lo + hi) / 2, wm[2] = {m, 1 - m};
      mm_check(MS, MA, 2, R, mu, ref, 0.1, wm, mine, J, &D, &P);
      if (J[0] - J[1] < 0)
        lo = m;
      else
        hi = m;
    }
    double wb[2] = {(lo + hi) / 2, 1 - (lo + hi) / 2};
    if (vertex)
      ck_assert_msg(wb[0] > 1 - 1e-12, "vertex w %g", wb[0]);
    else
      ck_assert_msg(wb[0] > 0.05 && wb[0] < 0.95, "interior w %g", wb[0]);
    mm_check(MS, MA, 2, R, mu, ref, 0.1, wb, mine, J, &D, &P);
    for (int i = 0; i < MS * MA; i++)
      ck_assert_msg(fabs(pi[i] - mine[i]) < 1e-6, "vertex %d, %d: %.12g vs %.12g", vertex, i, pi[i],
                    mine[i]);
  }
  w[0] = w[1] = w[2] = 1.0 / 3;
  for (int i = 0; i < MS * MA; i++) R[MS * MA + i] = 1 - R[i];
  double gap = maxmin_solve(MS, MA, 3, R, mu, ref, 0.2, 1e-9, 1000000, w, pi);
  mm_check(MS, MA, 3, R, mu, ref, 0.2, w, mine, J, &D, &P);
  ck_assert_msg(gap <= 1e-9 && D - P <= 1e-9 + 1e-12 && D - P >= -1e-12, "gap %g, D - P %g", gap,
                D - P);
  for (int i = 0; i < MS * MA; i++) ck_assert(fabs(pi[i] - mine[i]) < 1e-12);
  gsl_rng_free(r);
}
END_TEST

/* maxmin_em_step: the penalised log-likelihood never falls (generalised
 * EM), the shares sum to 1, and with one group the rewards converge to
 * the ridge Bradley-Terry MLE (its gradient, recomputed here, vanishes). */
START_TEST(test_maxmin_em)
{
  dataset d;
  double R[2 * S * A] = {0}, share[2] = {0.4, 0.6}, resp[2 * N], prev = -HUGE_VAL;
  make_dataset(&d, 17);
  for (int i = 0; i < 2 * S * A; i++) R[i] = sin(3.0 * i);
  for (int t = 0; t < 200; t++) {
    double ll = maxmin_em_step(&d.data, S, A, 2, 0.01, 3, R, share, resp);
    ck_assert_msg(ll >= prev - 1e-12, "step %d: %.15g < %.15g", t, ll, prev);
    ck_assert(fabs(share[0] + share[1] - 1) < 1e-12);
    prev = ll;
  }
  double one[S * A] = {0}, s1 = 1, g[S * A];
  for (int t = 0; t < 3000; t++) maxmin_em_step(&d.data, S, A, 1, 0.01, 1, one, &s1, resp);
  for (int i = 0; i < S * A; i++) g[i] = -0.01 * one[i];
  for (int i = 0; i < N; i++) {
    int w = d.context[i] * A + d.chosen[i], l = d.context[i] * A + d.rejected[i];
    double c = 1 / (1 + exp(one[w] - one[l])) / N;
    g[w] += c;
    g[l] -= c;
  }
  for (int i = 0; i < S * A; i++) ck_assert_msg(fabs(g[i]) < 1e-9, "%d: %g", i, g[i]);
}
END_TEST

/* maxmin-rlhf with one group is the KL-regularised optimum of the ridge
 * Bradley-Terry reward: pi proportional to pi_ref e^(R / beta), R found
 * here by plain gradient ascent on ipo-three-responses' data (0 > 1, 1 >
 * 2, 0 > 2) with reference (0.5, 0.3, 0.2). */
START_TEST(test_maxmin_one_group)
{
  int ctx[3] = {0, 0, 0}, w[3] = {0, 1, 0}, l[3] = {1, 2, 2};
  double ref[3] = {0.5, 0.3, 0.2}, p[3], R[3] = {0}, z = 0;
  tabrl_pref_data d = {3, ctx, w, l, ref};
  const tabrl_setting a[] = {
      {"groups", "1", "t", 0}, {"beta", "2", "t", 0}, {"ridge", "0.1", "t", 0}};
  tabrl_algo *x = make("maxmin-rlhf", &d, 1, 3, a, 3);
  run(x, 1, 3, 2000, p);
  for (int t = 0; t < 20000; t++) {
    double g[3] = {-0.1 * R[0], -0.1 * R[1], -0.1 * R[2]};
    for (int i = 0; i < 3; i++) {
      double c = 1 / (1 + exp(R[w[i]] - R[l[i]])) / 3;
      g[w[i]] += c;
      g[l[i]] -= c;
    }
    for (int k = 0; k < 3; k++) R[k] += g[k];
  }
  for (int k = 0; k < 3; k++) z += ref[k] * exp(R[k] / 2);
  for (int k = 0; k < 3; k++)
    ck_assert_msg(fabs(p[k] - ref[k] * exp(R[k] / 2) / z) < 1e-9, "%d: %.12g vs %.12g", k, p[k],
                  ref[k] * exp(R[k] / 2) / z);
  ck_assert(p[0] > ref[0] + 0.05 && p[2] < ref[2] - 0.05);
  tabrl_algo_free(x);
}
END_TEST

/* A temporary file holding text; its path into path (32 bytes). */
static void temp_file(char *path, const char *text)
{
  snprintf(path, 32, "/tmp/tabrl-groups-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* preference-bandit's user groups: rewards r1 = (1, 0, -1), r2 = (-1, 0,
 * 1) with shares 0.7 / 0.3 give P(i, j) = 0.7 s(r1_i - r1_j) + 0.3 s(r2_i
 * - r2_j) and the true rewards 0.7 r1 + 0.3 r2 = (0.4, 0, -0.4) in every
 * context; bad inputs give one error naming file and line or key. */
START_TEST(test_groups_env)
{
  char path[32], bad[32], value[64], badv[64];
  temp_file(path, "response,r1,r2\n0,1,-1\n1,0,0\n2,-1,1\n");
  snprintf(value, sizeof value, "file:%s", path);
  const tabrl_setting ok[] = {{"contexts", "2", "t", 0},
                              {"group_rewards", value, "t", 0},
                              {"group_shares", "0.7, 0.3", "t", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_env_build("preference-bandit", ok, 3, &m) == 0, "%s", tabrl_error_message());
  const double r1[3] = {1, 0, -1}, r2[3] = {-1, 0, 1};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double want = i == j ? 0.5 : 0.7 * sigm(r1[i] - r1[j]) + 0.3 * sigm(r2[i] - r2[j]);
      ck_assert_msg(fabs(m->preference[i * 3 + j] - want) < 1e-15, "P(%d, %d)", i, j);
    }
  for (int c = 0; c < 2; c++)
    for (int a = 0; a < 3; a++)
      ck_assert(fabs(m->mean_reward[tabrl_mdp_block(m, 0, c, a)] - (0.7 * r1[a] + 0.3 * r2[a])) <
                1e-15);
  tabrl_mdp_free(m);
  /* Default shares: 1/2 each. */
  ck_assert_int_eq(tabrl_env_build("preference-bandit", ok + 1, 1, &m), 0);
  ck_assert(fabs(m->preference[1] - (sigm(1) + sigm(-1)) / 2) < 1e-15);
  tabrl_mdp_free(m);
  struct {
    const char *file, *shares, *prefs, *want;
  } cases[] = {
      {"response,r1,r2\n0,1,-1\n1,0,0\n2,-1,1\n", "0.7, 0.2", NULL, "sum to"},
      {"response,r1,r2\n0,1,-1\n1,0,0\n2,-1,1\n", "0.7", NULL, "expected 2 numbers"},
      {"response,r1,r2\n0,1,-1\n1,0,0\n2,-1,1\n", NULL, "random", "give one"},
      {"response,reward\n0,1\n", NULL, NULL, ":1: the header must be"},
      {"response,r1\n0,1\n5,0\n", NULL, NULL, ":3: response 5 out of range"},
      {"response,r1\n0,1\n1,0\n", NULL, NULL, "no row for response 2"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    tabrl_setting set[3] = {{"group_rewards", badv, "t", 0}};
    size_t n = 1;
    temp_file(bad, cases[k].file);
    snprintf(badv, sizeof badv, "file:%s", bad);
    if (cases[k].shares) set[n++] = (tabrl_setting){"group_shares", cases[k].shares, "t", 0};
    if (cases[k].prefs) set[n++] = (tabrl_setting){"preferences", cases[k].prefs, "t", 0};
    ck_assert_int_eq(tabrl_env_build("preference-bandit", set, n, &m), TABRL_EINVAL);
    ck_assert_msg(strstr(tabrl_error_message(), cases[k].want), "%zu: %s", k,
                  tabrl_error_message());
    unlink(bad);
  }
  unlink(path);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("polosses");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_gradients);
  tcase_add_test(tc, test_loss_values);
  tcase_add_test(tc, test_aot_sorting);
  tcase_add_test(tc, test_named_forms);
  tcase_add_test(tc, test_optima);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_more_gradients);
  tcase_add_test(tc, test_data_kl);
  tcase_add_test(tc, test_regularised_optima);
  tcase_add_test(tc, test_pmpo_optimum);
  tcase_add_test(tc, test_kto_steps);
  tcase_add_test(tc, test_gpo_discopop);
  tcase_add_test(tc, test_maxmin_solve);
  tcase_add_test(tc, test_maxmin_em);
  tcase_add_test(tc, test_maxmin_one_group);
  tcase_add_test(tc, test_groups_env);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
