/* Exact return distributions off the reward grid (tabrl_return_distribution_opt):
 * a tiny MDP with rewards 0.1, sqrt 2 and pi against a brute-force
 * enumeration of its trajectories, the merging of equal returns summed in
 * another order, the atom budget's error, the truncation of a discounted
 * model against its closed form, the grid path against the general one on
 * RiverSwim, and the refusals (reward noise, a stock policy off the grid). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/returns.h"

static const double PI = 3.14159265358979323846;

static tabrl_mdp *finish(tabrl_mdp_builder *b)
{
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* Two states, two actions, H = 3, a Bernoulli reward in one block. */
static tabrl_mdp *tiny(void)
{
  const double r1 = 0.1, r2 = sqrt(2), r3 = PI, mu0[2] = {0.6, 0.4};
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 0.5, r1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.5, r2);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 1.0, r3);
  tabrl_mdp_builder_add(b, 0, 1, 0, 0, 0.3, r3);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 0.7, r1);
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 0.4, r1);
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 0.6, r2);
  tabrl_mdp_builder_set_time(b, 3, 1);
  tabrl_mdp_builder_set_mu0(b, mu0);
  return finish(b);
}

typedef struct {
  tabrl_atom *a;
  size_t n;
} atom_list;

/* Every trajectory's return, summed in its own order. */
static void enumerate(const tabrl_mdp *m, const tabrl_policy *pi, int h, int s, double ret,
                      double prob, atom_list *out)
{
  if (h == m->horizon) {
    out->a[out->n++] = (tabrl_atom){ret, prob};
    return;
  }
  for (int a = 0; a < m->A; a++) {
    double q = tabrl_policy_row(pi, h, s)[a];
    size_t b = tabrl_mdp_block(m, h, s, a);
    for (size_t e = m->row[b]; q > 0 && e < m->row[b + 1]; e++)
      enumerate(m, pi, h + 1, m->next[e], ret + m->reward[e], prob * q * m->prob[e], out);
  }
}

static int by_value(const void *x, const void *y)
{
  double a = ((const tabrl_atom *)x)->value, b = ((const tabrl_atom *)y)->value;
  return (a > b) - (a < b);
}

START_TEST(test_brute_force)
{
  tabrl_mdp *m = tiny();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  const double p0[3] = {0.25, 0.8, 0.5}, p1[3] = {0.9, 0.35, 0.6};
  for (int h = 0; h < 3; h++) {
    tabrl_policy_row(pi, h, 0)[0] = p0[h], tabrl_policy_row(pi, h, 0)[1] = 1 - p0[h];
    tabrl_policy_row(pi, h, 1)[0] = p1[h], tabrl_policy_row(pi, h, 1)[1] = 1 - p1[h];
  }
  atom_list all = {malloc(1000 * sizeof(tabrl_atom)), 0};
  for (int s = 0; s < 2; s++) enumerate(m, pi, 0, s, 0, m->mu0[s], &all);
  qsort(all.a, all.n, sizeof *all.a, by_value);
  /* Distinct returns of the enumeration: sums of 3 of the rewards, which
   * differ by at least 0.1 unless they are the same multiset. */
  size_t distinct = 0;
  for (size_t i = 0; i < all.n; i++) {
    if (distinct && all.a[i].value - all.a[distinct - 1].value < 1e-9)
      all.a[distinct - 1].prob += all.a[i].prob;
    else
      all.a[distinct++] = all.a[i];
  }
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  tabrl_returns_report rep;
  ck_assert_msg(tabrl_return_distribution_opt(m, pi, NULL, NULL, &atoms, &n, &rep) == 0, "%s",
                tabrl_error_message());
  ck_assert_int_eq(rep.grid, 0);
  ck_assert_int_eq(rep.horizon, 3);
  ck_assert_double_eq(rep.bound, 0);
  ck_assert_uint_eq(n, distinct);
  ck_assert_uint_ge(n, 8); /* the test means something: many distinct returns */
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    ck_assert_double_eq_tol(atoms[i].value, all.a[i].value, 1e-12);
    ck_assert_double_eq_tol(atoms[i].prob, all.a[i].prob, 1e-15);
    if (i) ck_assert(atoms[i].value > atoms[i - 1].value);
    total += atoms[i].prob;
  }
  ck_assert_double_eq_tol(total, 1, 1e-14);
  /* The plain call takes the same path. */
  tabrl_atom *again = NULL;
  size_t n2 = 0;
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &again, &n2), 0);
  ck_assert_uint_eq(n2, n);
  ck_assert_mem_eq(again, atoms, n * sizeof *atoms);
  free(again);
  free(atoms);
  free(all.a);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* One state, rewards 0.1, sqrt 2 and pi with probability 1/3 each: the
 * return after H steps is a multiset of H rewards, C(H + 2, 2) atoms; the
 * same multiset summed in different orders rounds differently, so with no
 * tolerance some multisets split. */
static tabrl_mdp *three_rewards(int H)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0 / 3, 0.1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0 / 3, sqrt(2));
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0 / 3, PI);
  tabrl_mdp_builder_set_time(b, H, 1);
  return finish(b);
}

START_TEST(test_merging_and_budget)
{
  tabrl_mdp *m = three_rewards(8);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  tabrl_atom *atoms = NULL;
  size_t n = 0, expected = 10 * 9 / 2; /* C(10, 2) */
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &atoms, &n), 0);
  ck_assert_uint_eq(n, expected);
  /* Multinomial masses: all 8 on one reward has mass 3^-8. */
  ck_assert_double_eq_tol(atoms[0].value, 0.8, 1e-14);
  ck_assert_double_eq_tol(atoms[0].prob, pow(3, -8), 1e-18);
  ck_assert_double_eq_tol(atoms[n - 1].value, 8 * PI, 1e-13);
  free(atoms);
  tabrl_returns_options exact = tabrl_returns_options_default();
  exact.rel_tol = 0;
  ck_assert_int_eq(tabrl_return_distribution_opt(m, pi, NULL, &exact, &atoms, &n, NULL), 0);
  ck_assert_uint_gt(n, expected);
  free(atoms);

  /* The last stage holds 45 atoms: a budget of 44 fails there, 45 passes. */
  tabrl_returns_options small = tabrl_returns_options_default();
  small.max_atoms = 44;
  atoms = (tabrl_atom *)&small; /* must come back NULL */
  ck_assert_int_eq(tabrl_return_distribution_opt(m, pi, NULL, &small, &atoms, &n, NULL),
                   TABRL_EUNSUPPORTED);
  ck_assert_ptr_null(atoms);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "more than 44 (state, return) atoms"));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "stage 8 of 8 (the atom budget)"));
  small.max_atoms = 45;
  tabrl_returns_report rep;
  ck_assert_int_eq(tabrl_return_distribution_opt(m, pi, NULL, &small, &atoms, &n, &rep), 0);
  ck_assert_uint_eq(n, expected);
  ck_assert_uint_eq(rep.max_alive, expected);
  free(atoms);
  /* A budget below one stage's outcomes fails at the first stage. */
  small.max_atoms = 1;
  ck_assert_int_eq(tabrl_return_distribution_opt(m, pi, NULL, &small, &atoms, &n, NULL),
                   TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "stage 1 of 8"));
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* Discounted: from state 0 a coin gives reward 1 and stays, or reward 1/2
 * and moves to the absorbing state 1 (reward 0).  Stopped after k + 1
 * steps (probability 2^-(k+1)) the return is (1 - g^k) / (1 - g) + g^k / 2
 * exactly; the truncation at T lumps k >= T into one atom (1 - g^T) / (1 - g),
 * within the bound of every return it stands for. */
START_TEST(test_discounted)
{
  const double g = 0.9, eps = 1e-3;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 0.5, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.5, 0.5);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1, 0);
  tabrl_mdp_builder_set_time(b, 0, g);
  tabrl_mdp *m = finish(b);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  tabrl_returns_options opt = tabrl_returns_options_default();
  opt.eps = eps;
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  tabrl_returns_report rep;
  ck_assert_msg(tabrl_return_distribution_opt(m, pi, NULL, &opt, &atoms, &n, &rep) == 0, "%s",
                tabrl_error_message());
  int T = rep.horizon;
  ck_assert_double_eq_tol(rep.bound, pow(g, T) / (1 - g), 1e-12);
  ck_assert(rep.bound <= eps);
  ck_assert(pow(g, T - 1) / (1 - g) > eps); /* the smallest such T: 88 */
  ck_assert_int_eq(T, 88);
  ck_assert_uint_eq(n, (size_t)T + 1);
  double mean = 0;
  for (int k = 0; k < T; k++) {
    ck_assert_double_eq_tol(atoms[k].value, (1 - pow(g, k)) / (1 - g) + pow(g, k) / 2, 1e-12);
    ck_assert_double_eq_tol(atoms[k].prob, pow(0.5, k + 1), 1e-15);
    mean += atoms[k].prob * atoms[k].value;
  }
  ck_assert_double_eq_tol(atoms[T].value, (1 - pow(g, T)) / (1 - g), 1e-12);
  ck_assert_double_eq_tol(atoms[T].prob, pow(0.5, T), 1e-30);
  ck_assert(1 / (1 - g) - atoms[T].value <= rep.bound + 1e-12);
  mean += atoms[T].prob * atoms[T].value;
  /* The exact mean: V(0) = (1 + 1/2)/2 + g V(0)/2. */
  ck_assert(fabs(mean - 0.75 / (1 - g / 2)) <= rep.bound);
  free(atoms);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* RiverSwim(6), H = 20 (rewards 0.005 and 1, on a grid) under the mean's
 * optimal policy, and the same chain with the reward 1 made pi/3 (off any
 * grid): a return a 0.005 + b becomes a 0.005 + b pi/3 with a + b <= 20, so
 * the order of the atoms is kept and the masses must agree atom by atom
 * between the grid path and the general one. */
START_TEST(test_grid_against_general)
{
  tabrl_setting river[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("riverswim", river, 2, &m), 0);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, pi), 0);
  tabrl_atom *grid = NULL, *off = NULL;
  size_t n = 0, n_off = 0;
  tabrl_returns_report rep;
  ck_assert_int_eq(tabrl_return_distribution_opt(m, pi, NULL, NULL, &grid, &n, &rep), 0);
  ck_assert_int_eq(rep.grid, 1);
  ck_assert_int_eq(rep.horizon, 20);
  tabrl_mdp *o = tabrl_mdp_clone(m);
  for (size_t e = 0; e < o->nnz; e++)
    if (o->reward[e] == 1) o->reward[e] = PI / 3;
  ck_assert_int_eq(tabrl_return_distribution_opt(o, pi, NULL, NULL, &off, &n_off, &rep), 0);
  ck_assert_int_eq(rep.grid, 0);
  ck_assert_uint_eq(n_off, n);
  ck_assert_uint_gt(n, 50);
  double mean = 0;
  for (size_t i = 0; i < n; i++) {
    double b = floor(grid[i].value + 1e-9);
    ck_assert_double_eq_tol(off[i].value, grid[i].value + b * (PI / 3 - 1), 1e-12);
    ck_assert_double_eq_tol(off[i].prob, grid[i].prob, 1e-14);
    mean += grid[i].prob * grid[i].value;
  }
  ck_assert_double_eq_tol(mean, tabrl_oracle_start_value(m, V), 1e-12);
  free(grid);
  free(off);
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(o);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_refusals)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1, 1);
  tabrl_mdp_builder_set_time(b, 4, 1);
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_GAUSSIAN, 1, 0});
  tabrl_mdp *m = finish(b);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &atoms, &n), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "continuous reward noise"));
  ck_assert_ptr_null(atoms);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);

  /* A policy of 3 states on a 1-state model off the grid. */
  m = three_rewards(2);
  pi = tabrl_policy_alloc(3, 1, 2);
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &atoms, &n), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "rewards on a grid"));
  tabrl_policy_free(pi);
  pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  tabrl_returns_options bad = tabrl_returns_options_default();
  bad.eps = 0;
  ck_assert_int_eq(tabrl_return_distribution_opt(m, pi, NULL, &bad, &atoms, &n, NULL),
                   TABRL_EINVAL);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("returns");
  TCase *tc = tcase_create("returns");
  tcase_add_test(tc, test_brute_force);
  tcase_add_test(tc, test_merging_and_budget);
  tcase_add_test(tc, test_discounted);
  tcase_add_test(tc, test_grid_against_general);
  tcase_add_test(tc, test_refusals);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
