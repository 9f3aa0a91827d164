/* Submodular RL: the coverage objective's exact value (forward over
 * (state, visited set)) on a hand-solved chain, its DP optimum against a
 * brute force over every deterministic history-dependent policy of a tiny
 * model, its refusals, and subpo reaching the optimum of a small grid. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"

static tabrl_objective coverage(void)
{
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("coverage", &o), 0);
  return o;
}

static double value_of(const tabrl_mdp *m, const tabrl_policy *pi)
{
  tabrl_objective o = coverage();
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  ck_assert_msg(tabrl_objective_value(&o, m, pi, V, &J) == 0, "%s", tabrl_error_message());
  ck_assert(isnan(V[0]));
  free(V);
  return J;
}

static double optimum_of(const tabrl_mdp *m)
{
  tabrl_objective o = coverage();
  double J;
  ck_assert_msg(tabrl_objective_optimum(&o, m, NULL, NULL, &J) == 0, "%s", tabrl_error_message());
  return J;
}

/* The chain 0 - 1 - 2 from state 0: action 0 stays, action 1 moves right
 * with probability 1/2 (else stays); state 2 is absorbing. */
static tabrl_mdp *chain3(int H)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, H, 1);
  for (int s = 0; s < 3; s++) {
    ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, s, 0, s, 1, 0), 0);
    if (s < 2) {
      ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, s, 1, s + 1, 0.5, 0), 0);
      ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, s, 1, s, 0.5, 0), 0);
    } else
      ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, s, 1, s, 1, 0), 0);
  }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

/* Action a at every (h, s). */
static void set_all(tabrl_policy *pi, int a)
{
  for (size_t i = 0; i < (size_t)pi->stages * (size_t)pi->S; i++)
    pi->prob[2 * i] = a == 0, pi->prob[2 * i + 1] = a == 1;
}

/* H = 3, F = |{s_0..s_3}| = 1 + min(k, 2) for k the successful moves out
 * of 3 (a move from 2 changes nothing).  Uniform policy: each step moves
 * with probability 1/4, k ~ Bin(3, 1/4): P(k >= 1) = 37/64, P(k >= 2) =
 * 10/64, J = 1 + 47/64 = 111/64.  Always move: k ~ Bin(3, 1/2), J = 1 +
 * 7/8 + 4/8 = 19/8, which is also the optimum (moving never hurts: the
 * visited set only grows).  Always stay: J = 1. */
START_TEST(test_coverage_chain_by_hand)
{
  tabrl_mdp *m = chain3(3);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_double_eq_tol(value_of(m, pi), 111.0 / 64, 1e-14);
  set_all(pi, 1);
  ck_assert_double_eq_tol(value_of(m, pi), 19.0 / 8, 1e-14);
  set_all(pi, 0);
  ck_assert_double_eq_tol(value_of(m, pi), 1, 1e-14);
  ck_assert_double_eq_tol(optimum_of(m), 19.0 / 8, 1e-14);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* A random stage-dependent model, 3 successors per (h, s, a). */
static tabrl_mdp *random_model(int S, int A, int H, unsigned seed)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(S, A, H);
  tabrl_mdp *m = NULL;
  unsigned x = seed;
  tabrl_mdp_builder_set_time(b, H, 1);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        double w[3], total = 0;
        for (int i = 0; i < 3; i++) {
          x = x * 1103515245u + 12345u;
          w[i] = 0.05 + (double)(x >> 16 & 0x7fff) / 32768.0;
          w[i] *= w[i] * w[i];
          total += w[i];
        }
        for (int i = 0; i < 3; i++)
          ck_assert_int_eq(
              tabrl_mdp_builder_add(b, h, s, a, (s + i * (a + 1)) % S, w[i] / total, 0), 0);
      }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

/* Brute force: a deterministic history-dependent policy is one action per
 * history (s_0 = 0, s_1, ..., s_h), h < H; with S = 3, H = 3 that is 1 + 3
 * + 9 = 13 histories, 2^13 policies.  E[F] by enumerating the paths. */
enum { BS = 3, BH = 3, NHIST = 13 };

static double P(const tabrl_mdp *m, int h, int s, int a, int next)
{
  size_t b = tabrl_mdp_block(m, h, s, a);
  double p = 0;
  for (size_t k = m->row[b]; k < m->row[b + 1]; k++)
    if (m->next[k] == next) p += m->prob[k];
  return p;
}

/* The history (0, s_1, .., s_h) with code c = s_1 BS^(h-1) + ... has index
 * (BS^h - 1) / (BS - 1) + c. */
static double path_value(const tabrl_mdp *m, unsigned policy, int h, int code, int s,
                         unsigned visited)
{
  if (h == BH) return __builtin_popcount(visited);
  int first = 1;
  for (int k = 0; k < h; k++) first *= BS;
  int a = policy >> ((first - 1) / (BS - 1) + code) & 1;
  double J = 0;
  for (int next = 0; next < BS; next++) {
    double p = P(m, h, s, a, next);
    if (p > 0) J += p * path_value(m, policy, h + 1, code * BS + next, next, visited | 1u << next);
  }
  return J;
}

START_TEST(test_coverage_optimum_brute_force)
{
  for (unsigned seed = 1; seed <= 4; seed++) {
    tabrl_mdp *m = random_model(BS, 2, BH, seed);
    double best = 0, markov = 0;
    for (unsigned policy = 0; policy < 1u << NHIST; policy++)
      best = fmax(best, path_value(m, policy, 0, 0, 0, 1));
    ck_assert_double_eq_tol(optimum_of(m), best, 1e-12);
    /* No Markov policy beats it: the deterministic ones, enumerated, by
     * the forward value (their mixtures are convex combinations of them
     * along no single line, but J* bounds every policy anyway). */
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    for (unsigned code = 0; code < 1u << (BH * BS); code++) {
      for (int i = 0; i < BH * BS; i++)
        pi->prob[2 * i] = !(code >> i & 1), pi->prob[2 * i + 1] = code >> i & 1;
      markov = fmax(markov, value_of(m, pi));
    }
    ck_assert_double_le(markov, best + 1e-12);
    tabrl_policy_free(pi);
    tabrl_mdp_free(m);
  }
}
END_TEST

/* One line naming the limit; episodic models only; no Markov policy. */
START_TEST(test_coverage_refuses)
{
  tabrl_objective o = coverage();
  tabrl_mdp *m = random_model(17, 1, 2, 1);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double J;
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, NULL, &J), TABRL_EUNSUPPORTED);
  ck_assert_str_eq(tabrl_error_message(), "coverage is exact over (state, visited set) pairs: at "
                                          "most 16 states, the model has 17");
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, NULL, NULL, &J), TABRL_EUNSUPPORTED);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  m = chain3(3);
  pi = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, NULL, pi, &J), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "no Markov optimal policy"));
  tabrl_policy_free(pi);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 0.9), 0);
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, NULL, NULL, &J), TABRL_EUNSUPPORTED);
  tabrl_mdp_free(m);
}
END_TEST

/* The deterministic 2x3 room (cells r * 3 + c, actions left, down, right,
 * up; a move into the border stays), start at the corner 0. */
static tabrl_mdp *room23(int H)
{
  static const int dr[4] = {0, 1, 0, -1}, dc[4] = {-1, 0, 1, 0};
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(6, 4, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, H, 1);
  for (int s = 0; s < 6; s++)
    for (int a = 0; a < 4; a++) {
      int r = s / 3 + dr[a], c = s % 3 + dc[a];
      int next = r < 0 || r > 1 || c < 0 || c > 2 ? s : r * 3 + c;
      ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, s, a, next, 1, 0), 0);
    }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

/* subpo at seed 1.  H = 5 in the deterministic 2x3 room: the snake
 * 0-1-2-5-4-3 covers all 6 cells, J* = 6, and every other trajectory
 * misses a cell, so J(pi) <= 6 q + 5 (1 - q) for q the probability of a
 * covering trajectory: a gap below 0.05 certifies q > 0.95.  The uniform
 * policy's gap is above 2. */
START_TEST(test_subpo_reaches_optimum)
{
  tabrl_mdp *m = room23(5);
  const tabrl_algo_type *type = tabrl_algo_find("subpo");
  tabrl_objective o = coverage();
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  unsigned char *valid = NULL;
  tabrl_problem p;
  tabrl_setting set[] = {{"eta", "1", "test", 0}, {"batch", "20", "test", 0}};
  tabrl_values *values = NULL;
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  long K = 300;
  ck_assert_ptr_nonnull(type);
  ck_assert_double_eq_tol(optimum_of(m), 6, 1e-14);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_double_gt(6 - value_of(m, pi), 2);
  tabrl_policy_free(pi);
  ck_assert_int_eq(tabrl_problem_init(&p, m, K, rng, 1, &valid), 0);
  ck_assert_int_eq(tabrl_problem_set_objective(&p, &o, m, NULL), 0);
  ck_assert_int_eq(tabrl_algo_check(type, &p, NULL), 0);
  ck_assert_int_eq(tabrl_values_resolve(type->params, "subpo", set, 2, 0, &values), 0);
  tabrl_algo *algo = tabrl_algo_alloc(type, &p, values);
  ck_assert_ptr_nonnull(algo);
  for (long k = 1; k <= K; k++) ck_assert_int_eq(tabrl_algo_iterate(algo, k), 0);
  pi = tabrl_policy_alloc(6, 4, 5);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  double gap = 6 - value_of(m, pi);
  ck_assert_double_ge(gap, -1e-12);
  ck_assert_double_lt(gap, 0.05);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  tabrl_values_free(values);
  free(valid);
  gsl_rng_free(rng);
  /* The mean objective is refused. */
  tabrl_objective mean = tabrl_objective_default();
  ck_assert_int_eq(tabrl_problem_init(&p, m, 1, NULL, 1, &valid), 0);
  ck_assert_int_eq(tabrl_problem_set_objective(&p, &mean, m, NULL), 0);
  ck_assert_int_eq(tabrl_algo_check(type, &p, NULL), TABRL_EUNSUPPORTED);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("subpo");
  TCase *tc = tcase_create("subpo");
  tcase_add_test(tc, test_coverage_chain_by_hand);
  tcase_add_test(tc, test_coverage_optimum_brute_force);
  tcase_add_test(tc, test_coverage_refuses);
  tcase_add_test(tc, test_subpo_reaches_optimum);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
