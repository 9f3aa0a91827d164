/* ecrm-pg: the exact gradient against central finite differences of the
 * oracle's ecrm value of the softmax policy, the gradient on a two-stage
 * tree by hand, and convergence to the oracle's ecrm optimum. */
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "protocol/testing.h"
#include "tabrl/objective.h"
#include "tabrl/rng.h"

typedef struct {
  tabrl_mdp *m;
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_objective o;
  tabrl_problem p;
  tabrl_algo *algo;
} fixture;

static void setup(fixture *f, tabrl_mdp *m, const char *objective, const char *eta)
{
  f->m = m;
  f->valid = malloc((size_t)m->stages * (size_t)m->S * (size_t)m->A);
  f->rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  ck_assert_int_eq(tabrl_objective_parse(objective, &f->o), 0);
  f->p = test_problem(m, f->valid, f->rng, 100, 1);
  f->p.objective = &f->o;
  tabrl_setting set[] = {{"eta", eta, "test", 0}};
  f->algo = test_make("ecrm-pg", &f->p, set, 1);
}

static void teardown(fixture *f)
{
  tabrl_algo_free(f->algo);
  gsl_rng_free(f->rng);
  free(f->valid);
  tabrl_mdp_free(f->m);
}

/* The oracle's ecrm value of softmax(theta), computed here independently
 * of the algorithm's softmax. */
static double softmax_value(const fixture *f, const double *theta)
{
  const tabrl_mdp *m = f->m;
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J = NAN;
  for (int h = 0; h < m->horizon; h++)
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(pi, h, s), total = 0;
      for (int a = 0; a < m->A; a++) {
        row[a] = tabrl_mdp_valid(m, h, s, a) ? exp(theta[((size_t)h * m->S + s) * m->A + a]) : 0;
        total += row[a];
      }
      for (int a = 0; a < m->A; a++) row[a] /= total;
    }
  ck_assert_msg(tabrl_objective_value(&f->o, m, pi, V, &J) == 0, "%s", tabrl_error_message());
  free(V);
  tabrl_policy_free(pi);
  return J;
}

static double optimum(const fixture *f)
{
  double *V = malloc(tabrl_oracle_value_size(f->m) * sizeof *V), J = NAN;
  ck_assert_int_eq(tabrl_objective_optimum(&f->o, f->m, V, NULL, &J), 0);
  free(V);
  return J;
}

static tabrl_mdp *garnet(void)
{
  tabrl_setting set[] = {{"states", "6", "test", 0},
                         {"actions", "3", "test", 0},
                         {"branching", "3", "test", 0},
                         {"seed", "3", "test", 0},
                         {"horizon", "4", "test", 0}};
  tabrl_mdp *m = test_env("garnet", set, 5);
  /* every start state, so that every stage-0 row has a gradient */
  for (int s = 0; s < m->S; s++) m->mu0[s] = 1.0 / m->S;
  return m;
}

/* dJ/dtheta = central differences of the oracle's J (step 1e-5: the
 * truncation error ~1e-10 and the rounding ~1e-11 stay far below the
 * 1e-6 relative tolerance; the random theta keeps every CVaR away from
 * its kinks, where the atoms of one law swap order). */
START_TEST(test_finite_differences)
{
  const char *levels[] = {"ecrm:0.3", "ecrm:0.77", "ecrm:1"};
  for (int l = 0; l < 3; l++) {
    fixture f;
    setup(&f, garnet(), levels[l], "1");
    size_t n = (size_t)f.m->horizon * f.m->S * f.m->A;
    double *theta = malloc(n * sizeof *theta), *grad = malloc(n * sizeof *grad), J;
    tabrl_pcg32 rng;
    tabrl_rng_stream(&rng, 11 + (uint64_t)l, TABRL_STREAM_ALGO, 0);
    for (size_t i = 0; i < n; i++) theta[i] = 4 * tabrl_pcg32_uniform(&rng) - 2;
    ck_assert_int_eq(tabrl_ecrm_pg_gradient(f.algo, theta, grad, &J), 0);
    ck_assert_double_eq_tol(J, softmax_value(&f, theta), 1e-13);
    double worst = 0, largest = 0;
    for (size_t i = 0; i < n; i++) {
      double keep = theta[i], step = 1e-5;
      theta[i] = keep + step;
      double up = softmax_value(&f, theta);
      theta[i] = keep - step;
      double down = softmax_value(&f, theta);
      theta[i] = keep;
      double fd = (up - down) / (2 * step);
      worst = fmax(worst, fabs(grad[i] - fd));
      largest = fmax(largest, fabs(fd));
    }
    ck_assert(largest > 1e-3); /* a gradient worth comparing */
    ck_assert_msg(worst <= 1e-6 * largest, "%s: |grad - fd| = %g of %g", levels[l], worst, largest);
    free(theta);
    free(grad);
    teardown(&f);
  }
}
END_TEST

/* The tree of test_ecrm.c, H = 2, start in state 0 (s' : p, r):
 *   state 0, a0: 1 : 1, 0;   a1: 2 : .5, 2  and 1 : .5, 0.5
 *   state 1, a0: 1 : 1, 1;   a1: 1 : .5, 4  and 1 : .5, -1
 *   state 2, a0: 2 : .8, 0 and 2 : .2, 5   (only action) */
static tabrl_mdp *tree(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1.0, 0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 2, 0.5, 2);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 0.5, 0.5);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 1);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, 4);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5, -1);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 0.8, 0);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 0.2, 5);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* alpha = .5, uniform policy (theta = 0).  Stage 1: Q_1(1, .) = (1,
 * CVaR_.5{4, -1} = -1), V_1(1) = 0; V_1(2) = CVaR_.5{0: .8, 5: .2} = 0.
 * Stage 0: Q_0(0, a0) = 0 + V_1(1) = 0, Q_0(0, a1) = CVaR_.5{2 + V_1(2):
 * .5, .5 + V_1(1): .5} = .5, J = V_0(0) = .25.  Gradient d pi (Q - V):
 * theta_0(0, .) = (.5 (0 - .25), .5 (.5 - .25)) = (-.125, .125).  The
 * risk-weighted visitation of stage 1: a0 sends its .5 to state 1; a1's
 * worst half is its outcome .5 in state 1 (weight 1; the outcome in state
 * 2 lies in the upper half, weight 0): d_1 = (0, 1, 0).  theta_1(1, .) =
 * (.5 (1 - 0), .5 (-1 - 0)) = (.5, -.5); every other entry 0 (state 2 has
 * weight 0 and one action, state 0 is not reached at stage 1). */
START_TEST(test_tree_by_hand)
{
  fixture f;
  setup(&f, tree(), "ecrm:0.5", "1");
  double grad[12], J, theta[12] = {0};
  const double want[12] = {-0.125, 0.125, 0, 0, 0, 0, 0, 0, 0.5, -0.5, 0, 0};
  ck_assert_int_eq(tabrl_ecrm_pg_gradient(f.algo, NULL, grad, &J), 0);
  ck_assert_double_eq_tol(J, 0.25, 1e-15);
  for (int i = 0; i < 12; i++) ck_assert_double_eq_tol(grad[i], want[i], 1e-15);
  /* one step at eta 1 is theta = want; its value by the oracle */
  tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
  ck_assert_int_eq(tabrl_algo_iterate(f.algo, 1), 0);
  ck_assert_int_eq(tabrl_algo_policy(f.algo, pi), 0);
  double p1 = 1 / (1 + exp(-0.25)); /* softmax of (-.125, .125) */
  ck_assert_double_eq_tol(tabrl_policy_row(pi, 0, 0)[1], p1, 1e-15);
  ck_assert_double_eq(tabrl_policy_row(pi, 1, 2)[0], 1);
  ck_assert_double_eq(tabrl_policy_row(pi, 1, 2)[1], 0);
  double q = 1 / (1 + exp(-1.0)); /* softmax of (.5, -.5) */
  ck_assert_int_eq(tabrl_ecrm_pg_gradient(f.algo, NULL, NULL, &J), 0);
  /* V_1(1) = q - (1 - q) = 2q - 1 > 0, so a0 is worth 2q - 1 and a1's
   * worst half is still its outcome .5 + V_1(1) < 2 */
  double v11 = 2 * q - 1;
  ck_assert_double_eq_tol(J, (1 - p1) * v11 + p1 * (0.5 + v11), 1e-14);
  for (int i = 0; i < 12; i++) theta[i] = want[i];
  ck_assert_double_eq_tol(J, softmax_value(&f, theta), 1e-14);
  tabrl_policy_free(pi);
  teardown(&f);
}
END_TEST

/* To the exact optimum: on the tree (J* = 1.5 at alpha .5, by hand in
 * test_ecrm.c) and on the Garnet, with the gap decreasing at every step. */
START_TEST(test_convergence)
{
  fixture f;
  setup(&f, tree(), "ecrm:0.5", "10");
  double J, Jstar = optimum(&f), last = INFINITY;
  ck_assert_double_eq_tol(Jstar, 1.5, 1e-15);
  for (long k = 1; k <= 500; k++) ck_assert_int_eq(tabrl_algo_iterate(f.algo, k), 0);
  ck_assert_int_eq(tabrl_ecrm_pg_gradient(f.algo, NULL, NULL, &J), 0);
  ck_assert_msg(Jstar - J < 1e-3 && Jstar - J >= 0, "tree gap %g", Jstar - J);
  teardown(&f);

  setup(&f, garnet(), "ecrm:0.3", "100");
  Jstar = optimum(&f);
  for (long k = 1; k <= 500; k++) {
    ck_assert_int_eq(tabrl_algo_iterate(f.algo, k), 0);
    ck_assert_int_eq(tabrl_ecrm_pg_gradient(f.algo, NULL, NULL, &J), 0);
    ck_assert_msg(Jstar - J >= -1e-12 && Jstar - J <= last, "step %ld: gap %g after %g", k,
                  Jstar - J, last);
    last = Jstar - J;
  }
  ck_assert_msg(last < 1e-3, "garnet gap %g", last);
  teardown(&f);
}
END_TEST

START_TEST(test_refusals)
{
  tabrl_mdp *m = tree();
  unsigned char valid[6];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 100, 1);
  const tabrl_algo_type *type = tabrl_algo_find("ecrm-pg");
  ck_assert_int_eq(tabrl_algo_check(type, &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(
      strstr(tabrl_error_message(), "ecrm-pg cannot optimise the objective mean"));
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("ecrm_pg");
  TCase *tc = tcase_create("ecrm_pg");
  tcase_add_test(tc, test_finite_differences);
  tcase_add_test(tc, test_tree_by_hand);
  tcase_add_test(tc, test_convergence);
  tcase_add_test(tc, test_refusals);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
