/* rsvi and rsq (algos/risk/): the bonus and the first updates by hand,
 * convergence to the exact entropic optimum on a small MDP for b = -1 and
 * b = +1, finite values where exp(b H) overflows, and the refusals (b = 0,
 * the mean objective). */
#include <check.h>
#include "protocol.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/objective.h"
#include "tabrl/policy.h"
#include "protocol/testing.h"

enum { S = 3, A = 2, H = 3 };

static tabrl_mdp *river(void)
{
  tabrl_setting s[2] = {{"states", "3", "test", 0}, {"horizon", "3", "test", 0}};
  return test_env("riverswim", s, 2);
}

static tabrl_objective entropic(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

/* J* and J(pi) in objective o. */
static double optimum(const tabrl_objective *o, const tabrl_mdp *m)
{
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  ck_assert_int_eq(tabrl_objective_optimum(o, m, V, NULL, &J), 0);
  free(V);
  return J;
}

static double value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi)
{
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  ck_assert_int_eq(tabrl_objective_value(o, m, pi, V, &J), 0);
  free(V);
  return J;
}

/* The smallest J* - J(pi) > 0 over the 2^(H S) deterministic Markov
 * policies of m (A = 2): a learner's deterministic policy is optimal
 * exactly when its gap is below this. */
static double smallest_gap(const tabrl_objective *o, const tabrl_mdp *m)
{
  int n = m->horizon * m->S;
  double J_star = optimum(o, m), gap = INFINITY;
  int *plan = malloc((size_t)n * sizeof *plan);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(m->A, 2);
  for (int code = 0; code < 1 << n; code++) {
    for (int i = 0; i < n; i++) plan[i] = (code >> i) & 1;
    ck_assert_int_eq(tabrl_policy_from_plan(pi, plan, m->S, 2, m->horizon, "test"), 0);
    double g = J_star - value(o, m, pi);
    ck_assert(g > -1e-12);
    if (g > 1e-12 && g < gap) gap = g;
  }
  free(plan);
  tabrl_policy_free(pi);
  return gap;
}

/* A repeated gamble, H = 3, S = 2 (the state only records the last
 * outcome: both states behave alike, start in 0): action 0 pays 0.5 for
 * sure (next state 0), action 1 pays 1 or 0 with probability 1/2 each
 * (next state 1 or 0).  Per stage ERM_b of the gamble is (1/b) log((e^b +
 * 1) / 2): 0.3799 at b = -1 (the sure 0.5 is optimal), 0.6201 at b = +1
 * (the gamble is); both have mean 0.5.  So the entropic-optimal action flips
 * with the sign of b.  The reward depends on s', which rsvi must keep with
 * it. */
static tabrl_mdp *gamble(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 3, 1.0);
  for (int s = 0; s < 2; s++) {
    tabrl_mdp_builder_add(b, 0, s, 0, 0, 1.0, 0.5);
    tabrl_mdp_builder_add(b, 0, s, 1, 1, 0.5, 1.0);
    tabrl_mdp_builder_add(b, 0, s, 1, 0, 0.5, 0.0);
  }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

/* ---- the first plan / update by hand ---- */

/* rsvi after one episode: every stage has N = 1 at the visited (h, s, a),
 * so bonus_h = scale |exp(b (H - h)) - 1| sqrt(S iota), iota = log(2 S A K
 * H / delta); at h = H - 1 (V_H = 0) Q = min(1, (1/b) log(exp(b r) +- bonus)),
 * with - for b < 0 and the clip when exp(b r) <= bonus. */
static void rsvi_first_plan(const char *objective, const char *scale)
{
  tabrl_mdp *m = river();
  unsigned char valid[H * S * A];
  tabrl_problem p = test_problem(m, valid, NULL, 100, 0);
  tabrl_objective o = entropic(objective);
  p.objective = &o;
  tabrl_setting set[1] = {{"scale", scale, "test", 0}};
  tabrl_algo *algo = test_make("rsvi", &p, set, 1);
  tabrl_step steps[H];
  test_drive(algo, m, 1, 3, NULL, steps, NULL, NULL);
  double b = o.param, c = atof(scale);
  double iota = log(2.0 * S * A * 100 * H / 0.1);
  for (int h = 0; h < H; h++) {
    const tabrl_step *x = &steps[h];
    double bonus = c * fabs(exp(b * (H - h)) - 1) * sqrt(S * iota);
    ck_assert_double_eq_tol(tabrl_rsvi_bonus(algo, h, x->s, x->a), bonus, 1e-12 * bonus);
    for (int a = 0; a < A; a++)
      if (a != x->a) ck_assert_double_eq(tabrl_rsvi_value(algo, h, x->s, a), H - h);
  }
  const tabrl_step *last = &steps[H - 1];
  double bonus = c * fabs(exp(b) - 1) * sqrt(S * iota), w = exp(b * last->reward);
  double G = b > 0 ? fmin(w + bonus, exp(b)) : fmax(w - bonus, exp(b));
  ck_assert_double_eq_tol(tabrl_rsvi_value(algo, H - 1, last->s, last->a), log(G) / b, 1e-12);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}

START_TEST(test_rsvi_by_hand)
{
  rsvi_first_plan("entropic:1", "1");
  rsvi_first_plan("entropic:1", "0.001");
  rsvi_first_plan("entropic:-1", "1");
  rsvi_first_plan("entropic:-1", "0.001");
  rsvi_first_plan("entropic:-0.3", "0.0001");
}
END_TEST

/* rsq's first update of (h, s, a): alpha_1 = 1, so exp(b Q) = exp(b (r +
 * V_{h+1}(s'))) +- bonus_1 with V_{h+1} still at its initial H - h - 1
 * (stage h + 1 is updated after stage h), bonus_1 = scale |exp(b (H - h))
 * - 1| sqrt(H iota), iota = log(S A K H / delta), clipped at Q = H - h. */
static void rsq_first_update(const char *objective, const char *scale)
{
  tabrl_mdp *m = river();
  unsigned char valid[H * S * A];
  tabrl_problem p = test_problem(m, valid, NULL, 100, 0);
  tabrl_objective o = entropic(objective);
  p.objective = &o;
  tabrl_setting set[1] = {{"scale", scale, "test", 0}};
  tabrl_algo *algo = test_make("rsq", &p, set, 1);
  tabrl_step steps[H];
  test_drive(algo, m, 1, 3, NULL, steps, NULL, NULL);
  double b = o.param, c = atof(scale);
  double iota = log((double)S * A * 100 * H / 0.1);
  for (int h = 0; h < H; h++) {
    const tabrl_step *x = &steps[h];
    double cap = H - h, bonus = c * fabs(exp(b * cap) - 1) * sqrt(H * iota);
    double w = exp(b * (x->reward + cap - 1));
    double G = b > 0 ? fmin(w + bonus, exp(b * cap)) : fmax(w - bonus, exp(b * cap));
    ck_assert_double_eq_tol(tabrl_rsq_bonus(algo, h, x->s, x->a), bonus, 1e-12 * bonus);
    ck_assert_double_eq_tol(tabrl_rsq_value(algo, h, x->s, x->a), log(G) / b, 1e-12);
  }
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}

START_TEST(test_rsq_by_hand)
{
  rsq_first_update("entropic:1", "1");
  rsq_first_update("entropic:1", "0.001");
  rsq_first_update("entropic:-1", "1");
  rsq_first_update("entropic:-1", "0.001");
}
END_TEST

/* ---- convergence ---- */

/* After K = 100,000 episodes at seed 7 on the gamble the learner's
 * (deterministic) policy has the exact entropic optimum: its gap, from the
 * oracle, not from the learner's own values, is below a tenth of the
 * smallest positive gap of any deterministic Markov policy, so it is an
 * optimal one, and it takes the sure 0.5 at b = -1 and the gamble at b = +1
 * in the start state.  Why these sizes (measured, seeds 1-40, 4 runs each):
 *  - at scale 0.3 and K = 100,000, 159 of the 160 runs end optimal (one
 *    rsvi run at b = +1 does not); at K = 50,000, 155;
 *  - the paper's scale 1 is slower at b = -1: there the bonus is divided by
 *    w = E exp(b X) ~ exp(-|b| Q), the exp(|b| H) factor of the regret, and
 *    2 of 10 rsq runs (seeds 1-10) still miss at K = 300,000;
 *  - at scale 0.1 too little optimism is left: after a few losses of the
 *    gamble at b = +1 its bonus no longer lifts it over the sure 0.5: at
 *    K = 30,000, 13 of the 20 runs at b = +1 (seeds 1-10) end suboptimal.
 * (RiverSwim(3), H = 3 is no good here: its rarely reached states have Q
 * gaps down to 2e-6.)  TEST_RSVI_SEED=N in the environment reruns at seed
 * N. */
static void reaches_optimum(const char *name, const char *objective, long K, uint64_t seed)
{
  tabrl_mdp *m = gamble();
  unsigned char valid[3 * 2 * 2];
  tabrl_problem p = test_problem(m, valid, NULL, K, 0);
  tabrl_objective o = entropic(objective);
  p.objective = &o;
  tabrl_setting set[1] = {{"scale", "0.3", "test", 0}};
  tabrl_algo *algo = test_make(name, &p, set, 1);
  test_drive(algo, m, K, seed, NULL, NULL, NULL, NULL);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  double gap = optimum(&o, m) - value(&o, m, pi), least = smallest_gap(&o, m);
  ck_assert_msg(least > 0.02, "%s: the gaps %g are too small to tell", objective, least);
  ck_assert_msg(fabs(gap) < least / 10, "%s %s: gap %g after %ld episodes at seed %d (least %g)",
                name, objective, gap, K, (int)seed, least);
  ck_assert_double_eq(pi->prob[1], o.param < 0 ? 0.0 : 1.0);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}

START_TEST(test_reach_optimum)
{
  uint64_t seed = getenv("TEST_RSVI_SEED") ? (uint64_t)atoi(getenv("TEST_RSVI_SEED")) : 7;
  reaches_optimum("rsvi", "entropic:-1", 100000, seed);
  reaches_optimum("rsvi", "entropic:1", 100000, seed);
  reaches_optimum("rsq", "entropic:-1", 100000, seed);
  reaches_optimum("rsq", "entropic:1", 100000, seed);
}
END_TEST

/* ---- overflow ---- */

/* b H = +-150 and +-1500 (exp(1500) overflows a double): every Q stays a
 * finite number in [r_min, H - h] = [0, H - h] after 200 episodes. */
START_TEST(test_large_b_finite)
{
  const char *objectives[] = {"entropic:50", "entropic:-50", "entropic:500", "entropic:-500"};
  const char *names[] = {"rsvi", "rsq"};
  tabrl_mdp *m = river();
  unsigned char valid[H * S * A];
  for (int i = 0; i < 4; i++)
    for (int n = 0; n < 2; n++) {
      tabrl_problem p = test_problem(m, valid, NULL, 200, 0);
      tabrl_objective o = entropic(objectives[i]);
      p.objective = &o;
      tabrl_algo *algo = test_make(names[n], &p, NULL, 0);
      test_drive(algo, m, 200, 1, NULL, NULL, NULL, NULL);
      for (int h = 0; h < H; h++)
        for (int s = 0; s < S; s++)
          for (int a = 0; a < A; a++) {
            double q = n ? tabrl_rsq_value(algo, h, s, a) : tabrl_rsvi_value(algo, h, s, a);
            ck_assert_msg(isfinite(q) && q >= 0 && q <= H - h, "%s %s: Q_%d(%d,%d) = %g", names[n],
                          objectives[i], h, s, a, q);
          }
      tabrl_algo_free(algo);
    }
  tabrl_mdp_free(m);
}
END_TEST

/* ---- refusals ---- */

START_TEST(test_refusals)
{
  tabrl_mdp *m = river();
  unsigned char valid[H * S * A];
  tabrl_problem p = test_problem(m, valid, NULL, 10, 0);
  const char *names[] = {"rsvi", "rsq"};
  for (int n = 0; n < 2; n++) {
    const tabrl_algo_type *type = tabrl_algo_find(names[n]);
    ck_assert_ptr_nonnull(type);
    ck_assert_str_eq(type->family, "risk");
    tabrl_objective zero = entropic("entropic:0"), mean = entropic("mean");
    p.objective = &zero;
    ck_assert_int_eq(tabrl_algo_check(type, &p, NULL), TABRL_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "b must be nonzero"));
    ck_assert_ptr_null(tabrl_algo_alloc(type, &p, NULL));
    p.objective = &mean;
    ck_assert_int_eq(tabrl_algo_check(type, &p, NULL), TABRL_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "cannot optimise the objective mean"));
  }
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("rsvi");
  TCase *tc = tcase_create("rsvi");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_rsvi_by_hand);
  tcase_add_test(tc, test_rsq_by_hand);
  tcase_add_test(tc, test_reach_optimum);
  tcase_add_test(tc, test_large_b_finite);
  tcase_add_test(tc, test_refusals);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
