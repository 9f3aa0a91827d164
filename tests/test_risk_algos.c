/* The KL-robust learners of Zhang, Hu and Li 2023: robust-pg's gradient
 * against central finite differences of the robust value (computed here by
 * an independent fixed-point iteration to round-off, and checked against
 * the oracle), its first step by hand on a two-state MDP, its iterates on
 * the Toy-10 ring (robust-ring p = 0.01, kl-robust:0.1), and the ring's
 * robust optimum = the entropic one at b = -beta/gamma; rfzi's fixed point
 * = the plug-in model's robust optimum, and its distance to the true one
 * within a Hoeffding bound. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "protocol.h"
#include "tabrl/objective.h"
#include "tabrl/rng.h"

const double *tabrl_rfzi_values(const tabrl_algo *algo);
int tabrl_robust_pg_gradient(const tabrl_mdp *m, const tabrl_objective *o, const tabrl_policy *pi,
                             double *grad, double *J);

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

/* The robust value of pi from first principles: V(s) = sum_a pi(a|s) [rbar
 * + g ERM_-beta(V(s') + (r - rbar)/g)] (g = gamma, or 1 per stage),
 * discounted by 3000 sweeps from 0 (gamma^3000 is below round-off for the
 * gamma <= 0.95 used here), episodic by backward induction.  Returns J. */
static double robust_value(const tabrl_mdp *m, double beta, const tabrl_policy *pi)
{
  int S = m->S, A = m->A, H = m->horizon, sweeps = H > 0 ? H : 3000;
  double g = H > 0 ? 1.0 : m->gamma;
  double *V = calloc((size_t)(H + 1) * S, sizeof *V), *W = malloc((size_t)S * sizeof *W), J = 0;
  for (int k = 0; k < sweeps; k++) {
    int h = H > 0 ? H - 1 - k : 0;
    const double *Vn = V + (H > 0 ? (size_t)(h + 1) * S : 0);
    for (int s = 0; s < S; s++) {
      double v = 0;
      for (int a = 0; a < A; a++) {
        const double w = tabrl_policy_row(pi, h, s)[a];
        size_t b = tabrl_mdp_block(m, h, s, a);
        double rbar = m->mean_reward[b], sum = 0;
        if (w <= 0) continue;
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          sum += m->prob[e] * exp(-beta * (Vn[m->next[e]] + (m->reward[e] - rbar) / g));
        v += w * (rbar - g / beta * log(sum));
      }
      W[s] = v;
    }
    memcpy(V + (H > 0 ? (size_t)h * S : 0), W, (size_t)S * sizeof *W);
  }
  for (int s = 0; s < S; s++) J += m->mu0[s] * V[s];
  free(V);
  free(W);
  return J;
}

/* A random policy with every probability >= 0.05 / A. */
static void random_policy(tabrl_policy *pi, gsl_rng *r)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++) {
      double *row = tabrl_policy_row(pi, h, s), sum = 0;
      for (int a = 0; a < pi->A; a++) sum += row[a] = 0.05 + gsl_rng_uniform(r);
      for (int a = 0; a < pi->A; a++) row[a] /= sum;
    }
}

/* Central differences along e_a - e_0 in row (h, s) (so the policy stays
 * on the simplex) against grad(h,s,a) - grad(h,s,0), relative to the
 * largest of these differences. */
static void check_gradient(tabrl_mdp *m, const char *objective, double beta)
{
  tabrl_objective o = parsed(objective);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  size_t n = (size_t)pi->stages * m->S * m->A;
  double *grad = malloc(n * sizeof *grad), J, eps = 1e-5, scale = 0, worst = 0;
  random_policy(pi, r);
  ck_assert_msg(tabrl_robust_pg_gradient(m, &o, pi, grad, &J) == 0, "%s", tabrl_error_message());
  /* the oracle and the fixed point agree */
  ck_assert_double_eq_tol(J, robust_value(m, beta, pi), 1e-8 * fmax(1, fabs(J)));
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < m->S; s++)
      for (int a = 1; a < m->A; a++) {
        double *row = tabrl_policy_row(pi, h, s), up, down;
        const double *gr = grad + ((size_t)h * m->S + s) * m->A;
        row[a] += eps, row[0] -= eps;
        up = robust_value(m, beta, pi);
        row[a] -= 2 * eps, row[0] += 2 * eps;
        down = robust_value(m, beta, pi);
        row[a] += eps, row[0] -= eps;
        double fd = (up - down) / (2 * eps), exact = gr[a] - gr[0];
        scale = fmax(scale, fabs(exact));
        worst = fmax(worst, fabs(fd - exact));
      }
  ck_assert_msg(scale > 1e-3, "%s: the gradient differences are all ~0 (%g)", m->name, scale);
  ck_assert_msg(worst < 1e-5 * scale, "%s: finite differences differ by %g of %g", m->name, worst,
                scale);
  free(grad);
  gsl_rng_free(r);
  tabrl_policy_free(pi);
}

START_TEST(test_gradient_finite_differences)
{
  tabrl_setting disc[] = {{"states", "8", "test", 0},
                          {"actions", "3", "test", 0},
                          {"gamma", "0.9", "test", 0},
                          {"seed", "5", "test", 0}};
  tabrl_setting ep[] = {{"states", "4", "test", 0}, {"horizon", "5", "test", 0}};
  tabrl_mdp *m = test_env("garnet", disc, 4);
  check_gradient(m, "kl-robust:2", 2);
  tabrl_mdp_free(m);
  /* episodic, rewards that depend on s' (RiverSwim's right end) */
  m = test_env("riverswim", ep, 2);
  check_gradient(m, "kl-robust:0.7", 0.7);
  tabrl_mdp_free(m);
}
END_TEST

/* Two states, gamma 0.9, beta 1, start in 0.  From 0, action 0 pays 1 and
 * moves to 0 or to the absorbing zero-reward state 1 with 1/2 each; action 1
 * pays 0 and stays.  V(1) = 0, so with Q0 = 1 - (gamma/beta) log(e^(-beta
 * v)/2 + 1/2), Q1 = gamma v the uniform policy's v = V(0) solves v = (Q0 +
 * Q1)/2 (bisection); the adversary keeps 0 after action 0 with q = (e^(-beta
 * v)/2) / (e^(-beta v)/2 + 1/2), so d(0) = 1 / (1 - gamma (q/2 + 1/2)), and
 * the step moves pi(.|0) to 1/2 +- lr d(0) (Q0 - Q1)/2. */
START_TEST(test_first_step_by_hand)
{
  double gamma = 0.9, beta = 1, lr = 0.1, mu0[2] = {1, 0}, lo = 0, hi = 10;
  tabrl_mdp_builder *bld = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 0, 0, 0.5, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 0, 1, 0.5, 1);
  tabrl_mdp_builder_add(bld, 0, 0, 1, 0, 1, 0);
  tabrl_mdp_builder_add(bld, 0, 1, 0, 1, 1, 0);
  tabrl_mdp_builder_add(bld, 0, 1, 1, 1, 1, 0);
  tabrl_mdp_builder_set_time(bld, 0, gamma);
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(bld, mu0), 0);
  tabrl_mdp *m = finish(bld);
  for (int i = 0; i < 200; i++) {
    double v = (lo + hi) / 2;
    double Q0 = 1 - gamma / beta * log(0.5 * exp(-beta * v) + 0.5), Q1 = gamma * v;
    if ((Q0 + Q1) / 2 > v)
      lo = v;
    else
      hi = v;
  }
  double v = (lo + hi) / 2, Q0 = 1 - gamma / beta * log(0.5 * exp(-beta * v) + 0.5), Q1 = gamma * v;
  double q = 0.5 * exp(-beta * v) / (0.5 * exp(-beta * v) + 0.5);
  double d0 = 1 / (1 - gamma * (q / 2 + 0.5)), delta = lr * d0 * (Q0 - Q1) / 2;
  ck_assert(delta > 0.01 && delta < 0.5); /* a real step, not clipped */

  tabrl_objective o = parsed("kl-robust:1");
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double grad[4], J;
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_robust_pg_gradient(m, &o, pi, grad, &J), 0);
  ck_assert_double_eq_tol(J, v, 1e-9);
  ck_assert_double_eq_tol(grad[0], d0 * Q0, 1e-9);
  ck_assert_double_eq_tol(grad[1], d0 * Q1, 1e-9);
  ck_assert_double_eq_tol(grad[2], 0, 1e-12);
  ck_assert_double_eq_tol(grad[3], 0, 1e-12);

  unsigned char valid[4];
  tabrl_problem p = test_problem(m, valid, NULL, 1, 1);
  p.objective = &o;
  tabrl_setting set[] = {{"lr", "0.1", "test", 0}};
  tabrl_algo *algo = test_make("robust-pg", &p, set, 1);
  ck_assert_int_eq(tabrl_algo_iterate(algo, 1), 0);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  ck_assert_double_eq_tol(pi->prob[0], 0.5 + delta, 1e-9);
  ck_assert_double_eq_tol(pi->prob[1], 0.5 - delta, 1e-9);
  ck_assert_double_eq_tol(pi->prob[2], 0.5, 1e-15);
  ck_assert_double_eq_tol(pi->prob[3], 0.5, 1e-15);
  tabrl_algo_free(algo);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* Toy-10: every iterate improves the robust value, and the gap after 25
 * iterations is the one of an independent transcription of the authors'
 * update with an exact visitation (0.6106131540666837, 1500-step visitation
 * and 1e-12 evaluations in double precision). */
START_TEST(test_toy10_iterates_improve)
{
  tabrl_mdp *m = test_env("robust-ring", NULL, 0);
  tabrl_objective o = parsed("kl-robust:0.1");
  unsigned char valid[14 * 3];
  tabrl_problem p = test_problem(m, valid, NULL, 25, 1);
  p.objective = &o;
  tabrl_algo *algo = test_make("robust-pg", &p, NULL, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc((size_t)m->S * sizeof *V), J_star, J, last;
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, NULL, &J_star), 0);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &last), 0);
  for (long k = 1; k <= 25; k++) {
    ck_assert_int_eq(tabrl_algo_iterate(algo, k), 0);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J), 0);
    ck_assert_msg(J > last + 1e-3, "iterate %ld: %.10g after %.10g", k, J, last);
    ck_assert(J <= J_star + 1e-8);
    last = J;
  }
  ck_assert_double_eq_tol(J_star - J, 0.6106131540666837, 1e-7);
  free(V);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

/* The ring's robust optimum (mean V* = 65.245 in the paper) is the entropic
 * optimum at b = -beta/gamma state by state, with the same policy. */
START_TEST(test_toy10_robust_is_entropic)
{
  tabrl_mdp *m = test_env("robust-ring", NULL, 0);
  tabrl_objective kl = parsed("kl-robust:0.1"), ent;
  char text[64];
  snprintf(text, sizeof text, "entropic:%.17g", -0.1 / m->gamma);
  ent = parsed(text);
  double V[14], W[14], J, Je, mean = 0;
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *rho = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_objective_optimum(&kl, m, V, pi, &J), 0);
  ck_assert_int_eq(tabrl_objective_optimum(&ent, m, W, rho, &Je), 0);
  for (int s = 0; s < 14; s++) ck_assert_double_eq_tol(V[s], W[s], 1e-8);
  for (int s = 0; s < 14; s++) mean += V[s] / 14;
  ck_assert_double_eq_tol(J, mean, 1e-12);
  ck_assert_double_eq_tol(mean, 65.245, 5e-4);
  for (size_t i = 0; i < 14 * 3; i++) ck_assert_double_eq(pi->prob[i], rho->prob[i]);
  tabrl_policy_free(pi);
  tabrl_policy_free(rho);
  tabrl_mdp_free(m);
}
END_TEST

/* rfzi on a generative dataset of a Garnet (k draws of every (s, a),
 * interleaved so that every prefix of j S A steps has j of each): its
 * values are the oracle's robust optimum of the plug-in model built from
 * the same counts (both to the oracle's 1e-10 relative tolerance), and
 * their distance to the true V* is within the bound that Hoeffding gives
 * at delta = 1e-3 (union over the S A pairs): Z*(s,a) = E exp(-beta
 * V*(s')) is a mean of values in [e^(-beta max V*), e^(-beta min V*)], so
 * |Z-hat - Z*| <= dev = (width) sqrt(log(2 S A / delta) / (2 k)), hence
 * |log Z-hat - log Z*| <= dev / (Z* - dev) and ||V-hat - V*|| <=
 * (gamma/beta) max dev / (Z* - dev) / (1 - gamma) (the simulation lemma:
 * ||V-hat - V*|| <= ||T-hat V* - T V*|| / (1 - gamma)). */
static double rfzi_error(tabrl_mdp *m, const tabrl_objective *o, long k, const tabrl_step *steps,
                         double *bound, double *subopt)
{
  int S = m->S, A = m->A;
  size_t n = (size_t)k * S * A;
  double beta = o->param, g = m->gamma, V[64], Vp[64], Vs[64], J, Jstar, Jpi;
  unsigned char valid[64 * 4];
  tabrl_problem p = test_problem(m, valid, NULL, 1, 0);
  p.objective = o;
  tabrl_algo *algo = test_make("rfzi", &p, NULL, 0);
  tabrl_dataset data = {.n = n, .steps = steps};
  ck_assert_msg(tabrl_algo_fit(algo, &data) == 0, "%s", tabrl_error_message());
  const double *Vr = tabrl_rfzi_values(algo);
  ck_assert_ptr_nonnull(Vr);

  /* the plug-in model of the same n steps */
  tabrl_mdp_builder *bld = tabrl_mdp_builder_alloc(S, A, 1);
  long *count = calloc((size_t)S * A * S, sizeof *count);
  for (size_t i = 0; i < n; i++) count[((size_t)steps[i].s * A + steps[i].a) * S + steps[i].next]++;
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++)
      for (int t = 0; t < S; t++)
        if (count[((size_t)s * A + a) * S + t])
          tabrl_mdp_builder_add(bld, 0, s, a, t, (double)count[((size_t)s * A + a) * S + t] / k,
                                m->mean_reward[tabrl_mdp_block(m, 0, s, a)]);
  tabrl_mdp_builder_set_time(bld, 0, g);
  tabrl_mdp *plug = finish(bld);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *mine = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_objective_optimum(o, plug, Vp, pi, &J), 0);
  for (int s = 0; s < S; s++) ck_assert_double_eq_tol(Vr[s], Vp[s], 1e-8);
  ck_assert_int_eq(tabrl_algo_policy(algo, mine), 0);
  for (int i = 0; i < S * A; i++) ck_assert_double_eq(mine->prob[i], pi->prob[i]);

  /* against the truth */
  ck_assert_int_eq(tabrl_objective_optimum(o, m, Vs, NULL, &Jstar), 0);
  ck_assert_int_eq(tabrl_objective_value(o, m, mine, V, &Jpi), 0);
  *subopt = Jstar - Jpi;
  double lo = INFINITY, hi = -INFINITY, err = 0, worst = 0;
  for (int s = 0; s < S; s++) lo = fmin(lo, Vs[s]), hi = fmax(hi, Vs[s]);
  double dev = (exp(-beta * lo) - exp(-beta * hi)) * sqrt(log(2.0 * S * A / 1e-3) / (2.0 * k));
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++) {
      size_t b = tabrl_mdp_block(m, 0, s, a);
      double Z = 0;
      for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
        Z += m->prob[e] * exp(-beta * Vs[m->next[e]]);
      ck_assert(Z > dev);
      worst = fmax(worst, dev / (Z - dev));
    }
  *bound = g / beta * worst / (1 - g);
  for (int s = 0; s < S; s++) err = fmax(err, fabs(Vr[s] - Vs[s]));
  tabrl_policy_free(pi);
  tabrl_policy_free(mine);
  free(count);
  tabrl_mdp_free(plug);
  tabrl_algo_free(algo);
  return err;
}

START_TEST(test_rfzi_plug_in_and_truth)
{
  tabrl_setting set[] = {{"states", "6", "test", 0},
                         {"actions", "2", "test", 0},
                         {"gamma", "0.9", "test", 0},
                         {"seed", "11", "test", 0}};
  tabrl_mdp *m = test_env("garnet", set, 4);
  tabrl_objective o = parsed("kl-robust:1");
  long k = 20000, small = 20;
  size_t n = (size_t)k * m->S * m->A, i = 0;
  tabrl_step *steps = malloc(n * sizeof *steps);
  tabrl_pcg32 rng;
  tabrl_pcg32_seed(&rng, 2024, 17);
  for (long j = 0; j < k; j++)
    for (int s = 0; s < m->S; s++)
      for (int a = 0; a < m->A; a++, i++) {
        steps[i] = (tabrl_step){.h = 0, .s = s, .a = a};
        steps[i].next = tabrl_mdp_step(m, 0, s, a, &rng, &steps[i].reward);
      }
  double bound_small, bound, sub_small, sub;
  double err_small = rfzi_error(m, &o, small, steps, &bound_small, &sub_small);
  double err = rfzi_error(m, &o, k, steps, &bound, &sub);
  ck_assert_msg(err <= bound, "||V - V*|| = %g above the Hoeffding bound %g", err, bound);
  ck_assert_msg(err_small <= bound_small, "n = %ld: %g above %g", small, err_small, bound_small);
  ck_assert_msg(bound < 0.1, "the bound %g says nothing", bound);
  ck_assert_msg(err < err_small / 5, "more data did not help: %g then %g", err_small, err);
  ck_assert(sub >= -1e-8 && sub <= 2 * bound / (1 - m->gamma) && sub <= sub_small + 1e-8);
  free(steps);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("risk_algos");
  TCase *tc = tcase_create("risk_algos");
  tcase_add_test(tc, test_gradient_finite_differences);
  tcase_add_test(tc, test_first_step_by_hand);
  tcase_add_test(tc, test_toy10_iterates_improve);
  tcase_add_test(tc, test_toy10_robust_is_entropic);
  tcase_add_test(tc, test_rfzi_plug_in_and_truth);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
