/* Categorical and quantile distributional DP (algos/distributional): the
 * two projections on hand-made distributions (mass kept, the categorical
 * one keeps the mean inside its support, the quantiles at (2i-1)/(2m)),
 * the fixed points of cdp and qdp on a two-state MDP worked by hand, and
 * on RiverSwim their distance to the exact return distribution
 * (tabrl_return_distribution) below the fixed-point bounds stated in
 * cdp.c and qdp.c, with greedy cdp reaching the optimal mean; the bound
 * hooks that report those bounds. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_rng.h>
#include "distributional/projection.h"
#include "protocol.h"
#include "tabrl/returns.h"
#include "tabrl/rng.h"

size_t tabrl_cdp_distribution(const tabrl_algo *algo, int h, int s, tabrl_atom *out);
size_t tabrl_qdp_distribution(const tabrl_algo *algo, int h, int s, tabrl_atom *out);

START_TEST(test_categorical_projection)
{
  /* support {0, 1, 2}: 0.25 splits 3/4 : 1/4 between 0 and 1, 1.5 evenly
   * between 1 and 2, -1 is clipped to 0 */
  tabrl_atom a[] = {{0.25, 0.5}, {1.5, 0.3}, {-1, 0.2}};
  double p[3];
  distrib_project_categorical(a, 3, 0, 2, 3, p);
  ck_assert_double_eq_tol(p[0], 0.375 + 0.2, 1e-15);
  ck_assert_double_eq_tol(p[1], 0.125 + 0.15, 1e-15);
  ck_assert_double_eq_tol(p[2], 0.15, 1e-15);
  /* inside the support: mass and mean kept, on a finer support too */
  tabrl_atom in[] = {{0.25, 0.5}, {1.5, 0.3}, {2, 0.1}, {0.7, 0.1}};
  double exact = 0.125 + 0.45 + 0.2 + 0.07, q[7];
  for (int m = 2; m <= 7; m += 5) {
    double mass = 0, mean = 0;
    distrib_project_categorical(in, 4, 0, 2, m, q);
    for (int j = 0; j < m; j++) mass += q[j], mean += q[j] * 2.0 * j / (m - 1);
    ck_assert_double_eq_tol(mass, 1, 1e-15);
    ck_assert_double_eq_tol(mean, exact, 1e-15);
  }
  /* a point on the support stays put */
  tabrl_atom on[] = {{1, 1}};
  distrib_project_categorical(on, 1, 0, 2, 3, p);
  ck_assert(p[0] == 0 && p[1] == 1 && p[2] == 0);
}
END_TEST

START_TEST(test_quantile_projection)
{
  /* F: 0.2 at 0, 0.5 at 1, 1 at 3; levels 0.1, 0.3, 0.5, 0.7, 0.9 */
  tabrl_atom a[] = {{0, 0.2}, {3, 0.5}, {1, 0.3}}, b[] = {{1, 0.5}, {0, 0.5}};
  double theta[5], expect[] = {0, 1, 1, 3, 3};
  distrib_project_quantile(a, 3, 5, theta);
  for (int i = 0; i < 5; i++) ck_assert_double_eq(theta[i], expect[i]);
  /* {0, 1} evenly, levels 1/6, 1/2, 5/6: F(0) = 1/2 holds the median */
  distrib_project_quantile(b, 2, 3, theta);
  ck_assert(theta[0] == 0 && theta[1] == 0 && theta[2] == 1);
  /* unnormalised mass gives the same quantiles; m = 1 is the median */
  tabrl_atom c[] = {{3, 5}, {0, 2}, {1, 3}};
  distrib_project_quantile(c, 3, 5, theta);
  for (int i = 0; i < 5; i++) ck_assert_double_eq(theta[i], expect[i]);
  distrib_project_quantile(c, 3, 1, theta);
  ck_assert_double_eq(theta[0], 1);
  /* random laws on [0, 1]: W1 moved at most 1 / (2m), each atom 1/m */
  gsl_rng *rng = tabrl_gsl_rng_stream(7, TABRL_STREAM_ALGO, 0);
  tabrl_atom r[40], proj[8];
  for (int trial = 0; trial < 200; trial++) {
    int n = 1 + (int)gsl_rng_uniform_int(rng, 40), m = 1 + trial % 8;
    for (int i = 0; i < n; i++)
      r[i].value = gsl_rng_uniform(rng), r[i].prob = gsl_rng_uniform_pos(rng);
    double lo = 1, hi = 0;
    for (int i = 0; i < n; i++) lo = fmin(lo, r[i].value), hi = fmax(hi, r[i].value);
    double th[8];
    distrib_project_quantile(r, (size_t)n, m, th);
    for (int i = 0; i < m; i++) proj[i].value = th[i], proj[i].prob = 1.0 / m;
    ck_assert(tabrl_dist_w1(r, (size_t)n, proj, (size_t)m) <= (hi - lo) / (2.0 * m) + 1e-12);
  }
  gsl_rng_free(rng);
}
END_TEST

/* S = 2, A = 1, H = 2: state 0 pays 1 and stays, or pays 0 and moves to 1,
 * each with probability 1/2; state 1 pays 2 and stays.  From 0 the return
 * is 1 + 1, 1 + 0 or 0 + 2: {1: 1/4, 2: 3/4}. */
static tabrl_mdp *two_state(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 1);
  double mu0[] = {1, 0};
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 0.5, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.5, 0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1, 2);
  tabrl_mdp_builder_set_time(b, 2, 1);
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(b, mu0), 0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

static tabrl_algo *planner(const char *name, const tabrl_mdp *m, unsigned char *valid, gsl_rng *rng,
                           const tabrl_setting *set, size_t n, long sweeps)
{
  tabrl_problem p = test_problem(m, valid, rng, sweeps, 1);
  tabrl_algo *algo = test_make(name, &p, set, n);
  for (long k = 1; k <= sweeps; k++) ck_assert_int_eq(tabrl_algo_iterate(algo, k), 0);
  return algo;
}

START_TEST(test_two_state_fixed_points)
{
  tabrl_mdp *m = two_state();
  unsigned char valid[2];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_atom out[5];
  /* support {0, 2, 4} (default [0, H rmax] = [0, 4], 3 atoms).  By hand:
   * eta_1(0) = Pi{0, 1 evenly} = {0: 3/4, 2: 1/4}, eta_1(1) = {2: 1};
   * eta_0(0) = Pi of {1: 3/8, 3: 1/8, 2: 1/2} = {0: 3/16, 2: 3/4, 4: 1/16}:
   * mean 7/4, the true mean, but not Pi of the exact law, {0: 1/8, 2: 7/8}
   * (the projections at stage 1 lose what the stage-0 one would keep). */
  tabrl_setting three[] = {{"atoms", "3", "test", 0}};
  tabrl_algo *cdp = planner("cdp", m, valid, rng, three, 1, 2);
  ck_assert_uint_eq(tabrl_cdp_distribution(cdp, 0, 0, out), 3);
  ck_assert_double_eq_tol(out[0].prob, 3.0 / 16, 1e-15);
  ck_assert_double_eq_tol(out[1].prob, 0.75, 1e-15);
  ck_assert_double_eq_tol(out[2].prob, 1.0 / 16, 1e-15);
  ck_assert_double_eq_tol(out[2].value, 4, 1e-15);
  ck_assert_int_eq(tabrl_algo_iterate(cdp, 3), 0); /* a fixed point */
  ck_assert_uint_eq(tabrl_cdp_distribution(cdp, 0, 0, out), 3);
  ck_assert_double_eq_tol(out[0].prob, 3.0 / 16, 1e-15);
  tabrl_algo_free(cdp);
  /* support {0, 1, ..., 4}: every return-to-go is on it, so every
   * projection is exact and the fixed point is the projected (= exact)
   * law {1: 1/4, 2: 3/4} */
  tabrl_setting five[] = {{"atoms", "5", "test", 0}};
  cdp = planner("cdp", m, valid, rng, five, 1, 2);
  ck_assert_uint_eq(tabrl_cdp_distribution(cdp, 0, 0, out), 5);
  double expect[] = {0, 0.25, 0.75, 0, 0};
  for (int j = 0; j < 5; j++) ck_assert_double_eq_tol(out[j].prob, expect[j], 1e-15);
  tabrl_algo_free(cdp);
  /* qdp, 4 quantiles: eta_1(0) = {0, 0, 1, 1}, eta_1(1) = {2, 2, 2, 2},
   * targets {1: 1/4, 2: 1/4} + {2: 1/2}, quantiles {1, 2, 2, 2}: exact */
  tabrl_setting four[] = {{"atoms", "4", "test", 0}};
  tabrl_algo *qdp = planner("qdp", m, valid, rng, four, 1, 2);
  ck_assert_uint_eq(tabrl_qdp_distribution(qdp, 0, 0, out), 4);
  double q[] = {1, 2, 2, 2};
  for (int j = 0; j < 4; j++) ck_assert_double_eq(out[j].value, q[j]);
  ck_assert_uint_eq(tabrl_qdp_distribution(qdp, 1, 0, out), 4);
  ck_assert(out[0].value == 0 && out[1].value == 0 && out[2].value == 1 && out[3].value == 1);
  tabrl_algo_free(qdp);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* Discounted: Forest (gamma 0.9, V* = (26.244, 29.484, 33.484), the
 * values pymdptoolbox prints).  cdp evaluating the optimal policy on the
 * default support [0, rmax / (1 - gamma)] keeps the mean of every target,
 * so its fixed point's means are V* (to the contraction's remainder
 * gamma^(k/2) after k sweeps, here 0.9^200 ~ 7e-10 of the range); greedy
 * cdp's are V* too (value iteration on the means).  qdp's iterates settle:
 * Pi_W1 T is a gamma-contraction in W_inf, so 300 more sweeps after 300
 * move each state's distribution by at most 0.9^300 of the range. */
START_TEST(test_discounted_forest)
{
  tabrl_mdp *m = test_env("forest", NULL, 0);
  unsigned char valid[3 * 2];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  const double vstar[] = {26.244, 29.484, 33.484};
  tabrl_atom out[101], before[3][51];
  const char *policies[] = {"optimal", "greedy"};
  for (int k = 0; k < 2; k++) {
    tabrl_setting set[] = {{"policy", policies[k], "test", 0}, {"atoms", "101", "test", 0}};
    tabrl_algo *cdp = planner("cdp", m, valid, rng, set, 2, 400);
    for (int s = 0; s < 3; s++) {
      size_t n = tabrl_cdp_distribution(cdp, 0, s, out);
      double mean = 0, mass = 0;
      for (size_t j = 0; j < n; j++) mean += out[j].value * out[j].prob, mass += out[j].prob;
      ck_assert_double_eq_tol(mass, 1, 1e-12);
      ck_assert_double_eq_tol(mean, vstar[s], 1e-6);
    }
    tabrl_algo_free(cdp);
  }
  tabrl_setting set[] = {{"atoms", "51", "test", 0}};
  tabrl_algo *qdp = planner("qdp", m, valid, rng, set, 1, 300);
  for (int s = 0; s < 3; s++) tabrl_qdp_distribution(qdp, 0, s, before[s]);
  for (long k = 301; k <= 600; k++) ck_assert_int_eq(tabrl_algo_iterate(qdp, k), 0);
  for (int s = 0; s < 3; s++) {
    ck_assert_uint_eq(tabrl_qdp_distribution(qdp, 0, s, out), 51);
    for (int i = 0; i < 51; i++) ck_assert_double_eq_tol(out[i].value, before[s][i].value, 1e-9);
    /* the quantiles' mean is not V* (the projection moves it; 26.204 against
     * 26.244 in state 0), but near */
    double mean = 0;
    for (int i = 0; i < 51; i++) mean += out[i].value / 51;
    ck_assert_double_eq_tol(mean, vstar[s], 0.1);
  }
  tabrl_algo_free(qdp);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

/* The learned start distribution (mu0 mixed over states) of a planner. */
static size_t start_law(const tabrl_algo *algo, int cat, const tabrl_mdp *m, tabrl_atom *out,
                        int atoms)
{
  size_t n = 0;
  tabrl_atom *one = malloc((size_t)atoms * sizeof *one);
  for (int s = 0; s < m->S; s++) {
    if (m->mu0[s] == 0) continue;
    size_t k =
        cat ? tabrl_cdp_distribution(algo, 0, s, one) : tabrl_qdp_distribution(algo, 0, s, one);
    for (size_t j = 0; j < k; j++) out[n + j] = one[j], out[n + j].prob *= m->mu0[s];
    n += k;
  }
  free(one);
  return n;
}

START_TEST(test_riverswim_within_bounds)
{
  tabrl_setting env[] = {{"states", "6", "test", 0}, {"horizon", "10", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", env, 2);
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), rmax = 0;
  tabrl_atom *exact = NULL, learned[6 * 101];
  size_t n_exact = 0;
  int H = m->horizon;
  for (size_t k = 0; k < m->nnz; k++) rmax = fmax(rmax, m->reward[k]);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, pi), 0);
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &exact, &n_exact), 0);
  for (int atoms = 11; atoms <= 101; atoms += 90) {
    char text[16];
    snprintf(text, sizeof text, "%d", atoms);
    tabrl_setting set[] = {{"atoms", text, "test", 0}};
    /* cdp: Cramer <= sqrt(H dz), dz = H rmax / (atoms - 1) */
    tabrl_algo *cdp = planner("cdp", m, valid, rng, set, 1, H);
    size_t n = start_law(cdp, 1, m, learned, atoms);
    double cramer = tabrl_dist_cramer(learned, n, exact, n_exact), mean = 0;
    ck_assert(cramer <= sqrt(H * H * rmax / (atoms - 1)));
    for (size_t j = 0; j < n; j++) mean += learned[j].value * learned[j].prob;
    ck_assert_double_eq_tol(mean, tabrl_oracle_start_value(m, V), 1e-12); /* mean kept */
    tabrl_algo_free(cdp);
    /* qdp: W1 <= H (H + 1) (rmax - rmin) / (4 m), rmin = 0 */
    tabrl_algo *qdp = planner("qdp", m, valid, rng, set, 1, H);
    n = start_law(qdp, 0, m, learned, atoms);
    ck_assert(tabrl_dist_w1(learned, n, exact, n_exact) <= H * (H + 1) * rmax / (4.0 * atoms));
    tabrl_algo_free(qdp);
  }
  /* greedy cdp on the means is value iteration: its policy is optimal */
  tabrl_setting greedy[] = {{"policy", "greedy", "test", 0}, {"atoms", "21", "test", 0}};
  tabrl_algo *cdp = planner("cdp", m, valid, rng, greedy, 2, H);
  tabrl_policy *g = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_algo_policy(cdp, g), 0);
  double *W = malloc(tabrl_oracle_value_size(m) * sizeof *W);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, g, W), 0);
  ck_assert_double_eq_tol(tabrl_oracle_start_value(m, W), tabrl_oracle_start_value(m, V), 1e-12);
  free(W);
  tabrl_policy_free(g);
  tabrl_algo_free(cdp);
  free(exact);
  free(V);
  tabrl_policy_free(pi);
  gsl_rng_free(rng);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

/* The learned start distribution of any type with the hook (mu0 mixed). */
static size_t learned_start(tabrl_algo *algo, const tabrl_mdp *m, tabrl_atom **out)
{
  size_t n = 0, k;
  for (int s = 0; s < m->S; s++)
    if (m->mu0[s] > 0) {
      ck_assert_int_eq(tabrl_algo_distribution(algo, s, NULL, &k), 0);
      n += k;
    }
  *out = malloc(n * sizeof **out);
  n = 0;
  for (int s = 0; s < m->S; s++)
    if (m->mu0[s] > 0) {
      ck_assert_int_eq(tabrl_algo_distribution(algo, s, *out + n, &k), 0);
      for (size_t j = n; j < n + k; j++) (*out)[j].prob *= m->mu0[s];
      n += k;
    }
  return n;
}

/* The crossing model of experiments/data/crossing.csv: swim (0) from state
 * 0 to the bank (1) w.p. 0.6 or the river (2) w.p. 0.4, or wait (1); on
 * the bank work (0) for 1 w.p. 0.8 or idle (1) for 0; H = 10. */
static tabrl_mdp *crossing(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  double mu0[] = {1, 0, 0};
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.6, 0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 2, 0.4, 0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 1, 0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 0.8, 1);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 0.2, 0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 1, 0);
  tabrl_mdp_builder_add(b, 0, 2, 0, 2, 1, 0);
  tabrl_mdp_builder_add(b, 0, 2, 1, 2, 1, 0);
  tabrl_mdp_builder_set_time(b, 10, 1);
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(b, mu0), 0);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* The bound hooks on the crossing model (H = 10, rewards in [0, 1],
 * cdp's default support [0, 10]): cdp's Cramer bound sqrt(H dz) = 10 /
 * sqrt(m - 1) and qdp's W1 bound H (H + 1) (rmax - rmin) / (4 m) = 27.5 /
 * m from iteration H on, NaN before it and for the other metric; the
 * measured distances of their fixed points lie below them for every m.
 * A support on which 0 sits inside a cell adds u (1 - u) dz, one that
 * misses returns has no bound, and neither has a discounted model. */
START_TEST(test_bounds)
{
  tabrl_mdp *m = crossing();
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  tabrl_atom *exact = NULL, *learned = NULL;
  size_t n_exact = 0, n;
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, pi), 0);
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &exact, &n_exact), 0);
  for (int atoms = 4; atoms <= 128; atoms++) {
    char text[16];
    snprintf(text, sizeof text, "%d", atoms);
    tabrl_setting set[] = {{"atoms", text, "test", 0}};
    tabrl_algo *cdp = planner("cdp", m, valid, rng, set, 1, 9);
    ck_assert(isnan(tabrl_algo_bound(cdp, "cramer", 9)));
    ck_assert_int_eq(tabrl_algo_iterate(cdp, 10), 0);
    double bound = tabrl_algo_bound(cdp, "cramer", 10);
    ck_assert_double_eq_tol(bound, 10 / sqrt(atoms - 1), 1e-14);
    ck_assert_double_eq(tabrl_algo_bound(cdp, "cramer", 1000), bound);
    ck_assert(isnan(tabrl_algo_bound(cdp, "w1", 10)));
    ck_assert(isnan(tabrl_algo_bound(cdp, "cum_regret", 10)));
    n = learned_start(cdp, m, &learned);
    ck_assert(tabrl_dist_cramer(learned, n, exact, n_exact) < bound);
    free(learned);
    tabrl_algo_free(cdp);

    tabrl_algo *qdp = planner("qdp", m, valid, rng, set, 1, 9);
    ck_assert(isnan(tabrl_algo_bound(qdp, "w1", 9)));
    ck_assert_int_eq(tabrl_algo_iterate(qdp, 10), 0);
    bound = tabrl_algo_bound(qdp, "w1", 10);
    ck_assert_double_eq_tol(bound, 27.5 / atoms, 1e-15);
    ck_assert(isnan(tabrl_algo_bound(qdp, "cramer", 10)));
    n = learned_start(qdp, m, &learned);
    ck_assert(tabrl_dist_w1(learned, n, exact, n_exact) < bound);
    free(learned);
    tabrl_algo_free(qdp);
  }
  /* support [-1, 10], 4 atoms: dz = 11/3, 0 at u = 3/11 of the first cell */
  tabrl_setting wide[] = {{"atoms", "4", "test", 0}, {"vmin", "-1", "test", 0}};
  tabrl_algo *cdp = planner("cdp", m, valid, rng, wide, 2, 10);
  double dz = 11.0 / 3, u = 3.0 / 11, bound = tabrl_algo_bound(cdp, "cramer", 10);
  ck_assert_double_eq_tol(bound, sqrt((10 + u * (1 - u)) * dz), 1e-14);
  n = learned_start(cdp, m, &learned);
  ck_assert(tabrl_dist_cramer(learned, n, exact, n_exact) < bound);
  free(learned);
  tabrl_algo_free(cdp);
  /* support [0, 5] misses the returns above 5: no bound */
  tabrl_setting narrow[] = {{"atoms", "11", "test", 0}, {"vmax", "5", "test", 0}};
  cdp = planner("cdp", m, valid, rng, narrow, 2, 10);
  ck_assert(isnan(tabrl_algo_bound(cdp, "cramer", 10)));
  tabrl_algo_free(cdp);
  /* a type without the hook */
  tabrl_algo *vi = planner("value-iteration", m, valid, rng, NULL, 0, 10);
  ck_assert(isnan(tabrl_algo_bound(vi, "w1", 10)));
  tabrl_algo_free(vi);
  free(exact);
  free(V);
  tabrl_policy_free(pi);
  free(valid);
  tabrl_mdp_free(m);
  /* discounted (Forest, gamma 0.9): no fixed point in finite time */
  m = test_env("forest", NULL, 0);
  valid = malloc((size_t)m->stages * m->S * m->A);
  tabrl_setting set[] = {{"atoms", "11", "test", 0}};
  cdp = planner("cdp", m, valid, rng, set, 1, 50);
  tabrl_algo *qdp = planner("qdp", m, valid, rng, set, 1, 50);
  ck_assert(isnan(tabrl_algo_bound(cdp, "cramer", 50)));
  ck_assert(isnan(tabrl_algo_bound(qdp, "w1", 50)));
  tabrl_algo_free(cdp);
  tabrl_algo_free(qdp);
  free(valid);
  tabrl_mdp_free(m);
  gsl_rng_free(rng);
}
END_TEST

/* ctd and qtd (defaults: 51 atoms on [0, H], Jin et al.'s rate; step 0.1)
 * evaluating the uniform policy on the crossing model, 5000 episodes at
 * seed 0: W1 to the exact law below the upper end of the 95% interval over
 * seeds 0-3 measured with tabrl run (ctd 0.042-0.088, mean 0.070, interval
 * [0.038, 0.103]; qtd 0.139-0.228, mean 0.170, [0.108, 0.231]), and a small
 * fraction of the starting distance (every return 0: W1 = the mean). */
START_TEST(test_td_uniform)
{
  tabrl_mdp *m = crossing();
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  tabrl_policy *uniform = tabrl_policy_alloc_for(m);
  tabrl_atom *exact = NULL, *learned = NULL, zero[] = {{0, 1}};
  size_t n_exact = 0, n;
  tabrl_policy_set_uniform(uniform, m);
  ck_assert_int_eq(tabrl_return_distribution(m, uniform, NULL, &exact, &n_exact), 0);
  double start = tabrl_dist_w1(zero, 1, exact, n_exact);
  ck_assert_msg(start > 1, "start %g", start);
  const char *names[] = {"ctd", "qtd"};
  const double w1_max[] = {0.103, 0.231};
  for (int i = 0; i < 2; i++) {
    gsl_rng *rng = tabrl_gsl_rng_stream(0, TABRL_STREAM_ALGO, 0);
    tabrl_problem p = test_problem(m, valid, rng, 5000, 0);
    tabrl_algo *algo = test_make(names[i], &p, NULL, 0);
    test_drive(algo, m, 5000, 0, NULL, NULL, NULL, NULL);
    n = learned_start(algo, m, &learned);
    double w1 = tabrl_dist_w1(learned, n, exact, n_exact);
    ck_assert_msg(w1 < w1_max[i] && w1 < start / 5, "%s: W1 %g", names[i], w1);
    free(learned);
    tabrl_algo_free(algo);
    gsl_rng_free(rng);
  }
  free(exact);
  tabrl_policy_free(uniform);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

/* ctd and qtd evaluating the runner's target (policy = optimal: the
 * crossing model's optimal policy, swim then work; acting with it, so the
 * regret is 0), defaults as test_td_uniform, 5000 episodes at seed 0: W1
 * to the exact law of that policy below the upper end of the 95% interval
 * (t, 7 degrees of freedom) over seeds 0-7 measured by this test (ctd
 * 0.072-0.300, mean 0.134, interval [0.069, 0.199]; qtd 0.190-0.352, mean
 * 0.241, [0.194, 0.288]), and a tenth of the starting distance (4.32). */
START_TEST(test_td_optimal)
{
  tabrl_mdp *m = crossing();
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  tabrl_policy *target = test_target(m);
  tabrl_atom *exact = NULL, *learned = NULL, zero[] = {{0, 1}};
  size_t n_exact = 0, n;
  ck_assert_int_eq(tabrl_return_distribution(m, target, NULL, &exact, &n_exact), 0);
  double start = tabrl_dist_w1(zero, 1, exact, n_exact);
  ck_assert_msg(start > 4, "start %g", start);
  const char *names[] = {"ctd", "qtd"};
  const double w1_max[] = {0.199, 0.288};
  const tabrl_setting set[] = {{"policy", "optimal", "test", 0}};
  for (int i = 0; i < 2; i++) {
    gsl_rng *rng = tabrl_gsl_rng_stream(0, TABRL_STREAM_ALGO, 0);
    tabrl_problem p = test_problem(m, valid, rng, 5000, 0);
    p.target = target;
    tabrl_algo *algo = test_make(names[i], &p, set, 1);
    test_drive_result r = test_drive(algo, m, 5000, 0, NULL, NULL, NULL, NULL);
    ck_assert_msg(r.regret == 0, "%s: regret %g", names[i], r.regret);
    n = learned_start(algo, m, &learned);
    double w1 = tabrl_dist_w1(learned, n, exact, n_exact);
    ck_assert_msg(w1 < w1_max[i] && w1 < start / 10, "%s: W1 %g", names[i], w1);
    free(learned);
    tabrl_algo_free(algo);
    gsl_rng_free(rng);
  }
  /* Without the runner's target, policy = optimal is refused at alloc. */
  gsl_rng *rng = tabrl_gsl_rng_stream(0, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 5000, 0);
  tabrl_values *v = NULL;
  ck_assert_int_eq(tabrl_values_resolve(tabrl_algo_find("qtd")->params, "qtd", set, 1, 0, &v), 0);
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("qtd"), &p, v));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "policy = optimal needs the target"));
  tabrl_values_free(v);
  gsl_rng_free(rng);
  free(exact);
  tabrl_policy_free(target);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("distributional");
  TCase *tc = tcase_create("distributional");
  tcase_add_test(tc, test_categorical_projection);
  tcase_add_test(tc, test_quantile_projection);
  tcase_add_test(tc, test_two_state_fixed_points);
  tcase_add_test(tc, test_riverswim_within_bounds);
  tcase_add_test(tc, test_td_uniform);
  tcase_add_test(tc, test_td_optimal);
  tcase_add_test(tc, test_discounted_forest);
  tcase_add_test(tc, test_bounds);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
