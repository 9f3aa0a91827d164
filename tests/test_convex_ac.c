/* convex-ac, the actor-critic on the stock-augmented state for cvar and
 * mean-variance: its first episodes' updates (threshold c, critic, actor)
 * by hand, and at a fixed seed its final policy's exact objective against
 * the exact optimum on the catch-up model, where the optimum needs the
 * history (no Markov policy reaches it). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "protocol.h"
#include "tabrl/episode.h"
#include "tabrl/objective.h"
#include "tabrl/rng.h"

const double *tabrl_convex_ac_critic(const tabrl_algo *algo, double *c);

static tabrl_objective parsed(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

static double value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi)
{
  double J = NAN;
  ck_assert_msg(tabrl_objective_value(o, m, pi, NULL, &J) == 0, "%s", tabrl_error_message());
  return J;
}

typedef struct {
  tabrl_problem p;
  tabrl_stock_grid grid;
  tabrl_objective o;
  unsigned char *valid;
  gsl_rng *algo_rng, *transitions;
  tabrl_algo *algo;
  tabrl_policy *pi;
} run;

static void run_start(run *r, const tabrl_mdp *m, const char *objective, unsigned long seed)
{
  r->o = parsed(objective);
  r->algo_rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  r->transitions = tabrl_gsl_rng_stream(seed, TABRL_STREAM_TRANSITIONS, 0);
  ck_assert_int_eq(tabrl_problem_init(&r->p, m, 1000, r->algo_rng, 0, &r->valid), 0);
  ck_assert_int_eq(tabrl_problem_set_objective(&r->p, &r->o, m, &r->grid), 0);
  r->algo = tabrl_algo_alloc(tabrl_algo_find("convex-ac"), &r->p, NULL);
  ck_assert_msg(r->algo != NULL, "%s", tabrl_error_message());
  r->pi = tabrl_stock_policy_alloc(&r->grid);
}

static void run_episode(run *r, const tabrl_mdp *m, long k, tabrl_step *steps)
{
  tabrl_episode ep = {.committed = r->pi, .steps = steps};
  ck_assert_msg(tabrl_episode_online(r->algo, m, k, r->transitions, &ep) == 0, "%s",
                tabrl_error_message());
}

/* The exact objective of the current policy. */
static double run_value(run *r, const tabrl_mdp *m)
{
  ck_assert_int_eq(tabrl_algo_policy(r->algo, r->pi), 0);
  return value(&r->o, m, r->pi);
}

static void run_end(run *r)
{
  tabrl_policy_free(r->pi);
  tabrl_algo_free(r->algo);
  gsl_rng_free(r->algo_rng);
  gsl_rng_free(r->transitions);
  free(r->valid);
}

/* Defaults eta = 0.05, beta = 0.1.  One cvar:0.75 episode with return G:
 * the window holds G only, so c = G (its lower .75-quantile) and the
 * terminal score is S(c, G) = c = G.  Stage 1 (x1 = (1, r0)): V = 0, so
 * delta = G, V_1(x1) = beta G, and from the uniform policy theta moves by
 * +-eta G / 2, pi_1(a1 | x1) = 1 / (1 + exp(-eta G)).  Stage 0: delta =
 * V_1(x1) - 0 = beta G, V_0 = beta^2 G, pi_0(a0 | x0) = 1 / (1 + exp(-eta
 * beta G)).  Every other state keeps V = 0 and the uniform policy. */
START_TEST(test_first_episode_by_hand)
{
  const double eta = 0.05, beta = 0.1;
  tabrl_mdp *m = test_catch_up();
  run r;
  tabrl_step steps[2];
  double c = NAN;
  int G_positive = 0;
  for (unsigned long seed = 1; seed <= 8; seed++) {
    run_start(&r, m, "cvar:0.75", seed);
    run_episode(&r, m, 1, steps);
    double G = steps[0].reward + steps[1].reward;
    G_positive += G > 0;
    const double *V = tabrl_convex_ac_critic(r.algo, &c);
    ck_assert_ptr_nonnull(V);
    ck_assert_double_eq_tol(c, G, 1e-15);
    long K = r.grid.K, x0 = 0, x1 = 1 * K + (long)steps[0].reward; /* lo = 0, q = 1 */
    ck_assert_double_eq_tol(V[2 * K + x1], beta * G, 1e-15);
    ck_assert_double_eq_tol(V[x0], beta * beta * G, 1e-15);
    for (long i = 0; i < 2 * 2 * K; i++)
      if (i != 2 * K + x1 && i != x0) ck_assert_double_eq(V[i], 0);
    ck_assert_int_eq(tabrl_algo_policy(r.algo, r.pi), 0);
    double p1 = 1 / (1 + exp(-eta * G)), p0 = 1 / (1 + exp(-eta * beta * G));
    ck_assert_double_eq_tol(tabrl_policy_row(r.pi, 1, (int)x1)[steps[1].a], p1, 1e-15);
    ck_assert_double_eq_tol(tabrl_policy_row(r.pi, 1, (int)x1)[1 - steps[1].a], 1 - p1, 1e-15);
    ck_assert_double_eq_tol(tabrl_policy_row(r.pi, 0, (int)x0)[steps[0].a], p0, 1e-15);
    ck_assert_double_eq(tabrl_policy_row(r.pi, 1, (int)(x1 == K ? K + 10 : K))[0], 0.5);
    run_end(&r);
  }
  ck_assert_int_gt(G_positive, 0); /* some of the checks above moved something */
  tabrl_mdp_free(m);
}
END_TEST

/* mean-variance:0.1, two episodes with returns G1, G2: after the first c =
 * G1 and S = G1 (as for cvar); after the second c = (G1 + G2) / 2 (the
 * mean of the window) and the stage-1 critic of the second episode's x1
 * moves from its old value v (beta G1 if the first episode visited the
 * same x1, else 0) to v + beta (S - v), S = G2 - 0.1 (G2 - c)^2. */
START_TEST(test_mean_variance_threshold_by_hand)
{
  const double beta = 0.1, lambda = 0.1;
  tabrl_mdp *m = test_catch_up();
  run r;
  tabrl_step first[2], second[2];
  double c = NAN;
  int moved = 0;
  for (unsigned long seed = 1; seed <= 8; seed++) {
    run_start(&r, m, "mean-variance:0.1", seed);
    run_episode(&r, m, 1, first);
    double G1 = first[0].reward + first[1].reward;
    const double *V = tabrl_convex_ac_critic(r.algo, &c);
    ck_assert_double_eq_tol(c, G1, 1e-15);
    long K = r.grid.K, x1 = K + (long)first[0].reward;
    ck_assert_double_eq_tol(V[2 * K + x1], beta * G1, 1e-15);
    run_episode(&r, m, 2, second);
    double G2 = second[0].reward + second[1].reward;
    long y1 = K + (long)second[0].reward;
    double v = y1 == x1 ? beta * G1 : 0, mid = (G1 + G2) / 2;
    double S = G2 - lambda * (G2 - mid) * (G2 - mid);
    V = tabrl_convex_ac_critic(r.algo, &c);
    ck_assert_double_eq_tol(c, mid, 1e-15);
    ck_assert_double_eq_tol(V[2 * K + y1], v + beta * (S - v), 1e-13);
    moved += G1 != G2;
    run_end(&r);
  }
  ck_assert_int_gt(moved, 0);
  tabrl_mdp_free(m);
}
END_TEST

/* Learning at seed 1, default parameters: the exact objective of the
 * policy before the first episode (*first) and after `episodes`. */
static double learned(const tabrl_mdp *m, const char *objective, long episodes, double *first)
{
  run r;
  run_start(&r, m, objective, 1);
  *first = run_value(&r, m);
  for (long k = 1; k <= episodes; k++) run_episode(&r, m, k, NULL);
  double J = run_value(&r, m);
  run_end(&r);
  return J;
}

/* 3000 episodes on catch-up.  cvar:0.75: optimum 5, best Markov 14/3;
 * mean-variance:0.1: optimum 4.275 (the oracle; risky after a loss, safe
 * after a win), best Markov 4.1 (always risky, the best of every
 * stochastic Markov mix too: the stage-1 state cannot see the coin).
 * Tolerance 0.05: over seeds 1..10 the measured gaps are 0.0056-0.0138
 * (cvar) and 0.0060-0.0088 (mean-variance), the mass the softmax still
 * puts on the wrong action; 0.05 is below half the distance to the best
 * Markov policy (1/3 and 0.175), so a learner that ignores the stock, or
 * whose c is stuck at a wrong threshold, fails.  The uniform start is
 * 4.5 (cvar) and 3.775 (mean-variance), both below the Markov bound. */
START_TEST(test_learns_catch_up)
{
  tabrl_mdp *m = test_catch_up();
  double first = 0, J = learned(m, "cvar:0.75", 3000, &first);
  ck_assert_double_eq_tol(first, 4.5, 1e-12);
  ck_assert_double_eq_tol(J, 5, 0.05);
  ck_assert(J > 14.0 / 3 + 0.25);
  tabrl_objective o = parsed("mean-variance:0.1");
  double Jstar = NAN;
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, NULL, NULL, &Jstar), 0);
  ck_assert_double_eq_tol(Jstar, 4.275, 1e-12);
  J = learned(m, "mean-variance:0.1", 3000, &first);
  ck_assert_double_eq_tol(first, 3.775, 1e-12);
  ck_assert_double_eq_tol(J, Jstar, 0.05);
  ck_assert(J > 4.1 + 0.1);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("convex_ac");
  TCase *tc = tcase_create("convex_ac");
  tcase_add_test(tc, test_first_episode_by_hand);
  tcase_add_test(tc, test_mean_variance_threshold_by_hand);
  tcase_add_test(tc, test_learns_catch_up);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
