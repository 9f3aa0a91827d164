/* cvar-q, CVaR Q-learning on the stock-augmented state, driven through the
 * library's episode driver with its committed stock policies valued
 * exactly in cvar:alpha: on the catch-up model (history matters) its
 * policy reaches the exact optimum 5, above every Markov policy's 14/3; on
 * RiverSwim its regret; its refusals; and the table of experiments/README.md
 * (J* against the best deterministic Markov policy, enumerated). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "tabrl/algo.h"
#include "tabrl/objective.h"
#include "tabrl/rng.h"

static tabrl_objective parsed(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

static double cvar_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi)
{
  double J = NAN;
  ck_assert_msg(tabrl_objective_value(o, m, pi, NULL, &J) == 0, "%s", tabrl_error_message());
  return J;
}

typedef struct {
  double regret;  /* sum_k J* - CVaR(pi_k) */
  double last;    /* CVaR of the last committed policy */
  double final;   /* CVaR of policy() after the last episode */
  double optimum; /* J* */
} cvar_q_result;

/* K episodes of cvar-q (settings set) on m at seed, as the runner drives
 * them: the policy committed at each episode's start is checked by the
 * driver against every action and valued exactly. */
static cvar_q_result drive(const tabrl_mdp *m, const char *objective, long K, uint64_t seed,
                           const tabrl_setting *set, size_t nset)
{
  tabrl_objective o = parsed(objective);
  tabrl_stock_grid grid;
  unsigned char *valid = NULL;
  tabrl_problem p;
  cvar_q_result r = {0, NAN, NAN, NAN};
  gsl_rng *rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  gsl_rng *transitions = tabrl_gsl_rng_stream(seed, TABRL_STREAM_TRANSITIONS, 0);
  ck_assert_int_eq(tabrl_problem_init(&p, m, K, rng, 0, &valid), 0);
  ck_assert_int_eq(tabrl_problem_set_objective(&p, &o, m, &grid), 0);
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, NULL, NULL, &r.optimum), 0);
  tabrl_algo *algo = test_make("cvar-q", &p, set, nset);
  tabrl_policy *pi = tabrl_stock_policy_alloc(&grid), *previous = tabrl_stock_policy_alloc(&grid);
  size_t size = (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof *pi->prob;
  tabrl_episode ep = {.committed = pi};
  for (long k = 1; k <= K; k++) {
    ck_assert_msg(tabrl_episode_online(algo, m, k, transitions, &ep) == 0, "%s",
                  tabrl_error_message());
    ck_assert(ep.has_committed);
    if (k == 1 || memcmp(pi->prob, previous->prob, size)) {
      r.last = cvar_value(&o, m, pi);
      memcpy(previous->prob, pi->prob, size);
    }
    ck_assert(r.last <= r.optimum + 1e-12);
    r.regret += r.optimum - r.last;
  }
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  r.final = cvar_value(&o, m, pi);
  tabrl_policy_free(pi);
  tabrl_policy_free(previous);
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  gsl_rng_free(transitions);
  free(valid);
  return r;
}

/* S = 2, A = 2, H = 3, three outcomes per (s, a) with rewards in 0..9 and
 * probabilities a random split of 1 in tenths (each at least 0.1), from a
 * fixed LCG. */
static tabrl_mdp *tiny(unsigned seed)
{
  unsigned x = seed * 2654435761u + 7;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < 2; a++) {
      x = x * 1664525u + 1013904223u;
      int p1 = 1 + (int)((x >> 16) % 8);
      x = x * 1664525u + 1013904223u;
      int p2 = 1 + (int)((x >> 16) % (unsigned)(9 - p1));
      int tenths[3] = {p1, p2, 10 - p1 - p2};
      for (int e = 0; e < 3; e++) {
        x = x * 1664525u + 1013904223u;
        tabrl_mdp_builder_add(b, 0, s, a, (int)((x >> 20) & 1), 0.1 * tenths[e],
                              (double)((x >> 8) % 10));
      }
    }
  tabrl_mdp_builder_set_time(b, 3, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* The best deterministic Markov policy of m (every action valid), by
 * enumeration of the A^(H S) of them. */
static double best_markov_any(const tabrl_mdp *m, const tabrl_objective *o)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double best = -INFINITY;
  long n = 1, cells = (long)m->horizon * m->S;
  for (long i = 0; i < cells; i++) n *= m->A;
  for (long code = 0; code < n; code++) {
    long rest = code;
    for (int h = 0; h < m->horizon; h++)
      for (int s = 0; s < m->S; s++, rest /= m->A)
        tabrl_policy_set_action(pi, h, s, (int)(rest % m->A));
    best = fmax(best, cvar_value(o, m, pi));
  }
  tabrl_policy_free(pi);
  return best;
}

/* Catch-up, cvar:0.75, K = 10000 episodes, scale 0.05: at three seeds the
 * policy committed in the last episode and the final policy() are the
 * exact optimum 5 (the candidates are every stock 0..20, so c = 11 is one
 * of them and the optimum is attained exactly, not within a tolerance),
 * above every deterministic Markov policy (14/3, enumerated).  The regret stays below 2000, where
 * the best Markov policy would pay 10000 / 3 = 3333.  The default scale 1 carries the worst-case
 * union bound over 21 x 21 copies (bonus ~ 200 / sqrt(t) against gaps of 1/3) and still explores
 * after 10000 episodes; scale 0 has no bonus and locks into the always-safe policy (13/3) at
 * seed 1. */
START_TEST(test_learns_catch_up)
{
  tabrl_mdp *m = test_catch_up();
  tabrl_objective o = parsed("cvar:0.75");
  ck_assert_double_eq_tol(best_markov_any(m, &o), 14.0 / 3, 1e-14);
  tabrl_setting set[] = {{"scale", "0.05", "test", 0}};
  for (uint64_t seed = 1; seed <= 3; seed++) {
    cvar_q_result r = drive(m, "cvar:0.75", 10000, seed, set, 1);
    ck_assert_double_eq_tol(r.optimum, 5, 1e-14);
    ck_assert_double_eq_tol(r.last, 5, 1e-12);
    ck_assert_double_eq_tol(r.final, 5, 1e-12);
    ck_assert_msg(r.regret < 2000, "seed %lu: regret %g", (unsigned long)seed, r.regret);
  }
  tabrl_setting greedy[] = {{"scale", "0", "test", 0}};
  cvar_q_result r = drive(m, "cvar:0.75", 1000, 1, greedy, 1);
  ck_assert_double_eq_tol(r.final, 13.0 / 3, 1e-12);
  tabrl_mdp_free(m);
}
END_TEST

/* RiverSwim(3), H = 4, cvar:0.3: the optimum 0.02 is to swim left four
 * times (0.005 each, surely).  The grid has 801 stocks; 8 evenly spaced
 * thresholds (0, 0.57, ...: they miss the optimal c = 0.02, yet the policy
 * of some candidate is CVaR-optimal) keep the test fast.  Measured at
 * seed 1 and 2 (the same: at scale 1 the bonuses decide): regret 0.775
 * after 1000 episodes (final CVaR 0.015), 4.995 after 2000 (final 0.02),
 * 7.49 after 3000, with 16 or 32 thresholds alike but for the first 1000
 * episodes.  Asserted: after 2000 the final policy is optimal and the
 * regret is below 6, an average of 0.003 per episode where a policy of
 * CVaR 0 (never collecting the sure 0.005) pays 0.02; scale 0.1 falls into
 * that trap (regret 50.5 in 3000 episodes with 64 thresholds: every policy
 * is optimal for c = 0 and ties go to the lowest action). */
START_TEST(test_riverswim)
{
  tabrl_setting river[] = {{"states", "3", "test", 0}, {"horizon", "4", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", river, 2);
  tabrl_setting set[] = {{"thresholds", "8", "test", 0}};
  cvar_q_result r = drive(m, "cvar:0.3", 2000, 1, set, 1);
  ck_assert_double_eq_tol(r.optimum, 0.02, 1e-12);
  ck_assert_double_eq_tol(r.final, 0.02, 1e-12);
  ck_assert_msg(r.regret < 6, "regret %g", r.regret);
  tabrl_mdp_free(m);
}
END_TEST

/* A mean objective is refused (no stock grid), and so is a Q table above
 * the documented limit: RiverSwim(6), H = 20 has K = 4001 stocks, so H S K
 * A |C| = 20 x 6 x 4001 x 2 x 64 = 61M. */
START_TEST(test_refusals)
{
  tabrl_setting big[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", big, 2);
  unsigned char *valid = NULL;
  tabrl_problem p;
  tabrl_stock_grid grid;
  ck_assert_int_eq(tabrl_problem_init(&p, m, 10, NULL, 0, &valid), 0);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("cvar-q"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs an augmented objective"));
  tabrl_objective o = parsed("cvar:0.5");
  ck_assert_int_eq(tabrl_problem_set_objective(&p, &o, m, &grid), 0);
  /* refused when an experiment is read (the check hook), and by alloc */
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("cvar-q"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "above the limit"));
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("cvar-q"), &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "above the limit"));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "20 x 6 x 4001 x 2 x 64"));
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

/* The table of experiments/README.md (reproduction 6): the stock-augmented
 * optimum J* (history-dependent; the oracle, checked against a brute force
 * over history-dependent policies in tests/test_stock.c) against the best
 * deterministic Markov policy, enumerated.  Of 12 seeds of tiny() at
 * alpha .1, .3, .5, these two show the largest gaps; on many the two are
 * equal (history matters only where the tail can still be changed). */
START_TEST(test_history_table)
{
  static const struct {
    int seed; /* -1: catch-up */
    const char *objective;
    double optimum, markov;
  } rows[] = {
      {-1, "cvar:0.75", 5, 14.0 / 3},
      {2, "cvar:0.3", 8.47, 8.37},
      {4, "cvar:0.1", 15.28, 15.2},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    tabrl_mdp *m = rows[i].seed < 0 ? test_catch_up() : tiny((unsigned)rows[i].seed);
    tabrl_objective o = parsed(rows[i].objective);
    double J;
    ck_assert_int_eq(tabrl_objective_optimum(&o, m, NULL, NULL, &J), 0);
    ck_assert_double_eq_tol(J, rows[i].optimum, 1e-12);
    ck_assert_double_eq_tol(best_markov_any(m, &o), rows[i].markov, 1e-12);
    tabrl_mdp_free(m);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("cvar_q");
  TCase *tc = tcase_create("cvar_q");
  tcase_add_test(tc, test_history_table);
  tcase_add_test(tc, test_learns_catch_up);
  tcase_add_test(tc, test_riverswim);
  tcase_add_test(tc, test_refusals);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
