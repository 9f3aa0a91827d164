/* rlsvi against an independent recomputation of its perturbed backup.
 *
 * The test feeds hand-made transitions, keeps its own dense counts, and
 * replays the plan from the formula of algos/exploration/rlsvi.c's header:
 *
 *   Q_h(s,a) = r-hat + sum_s' P-hat(s') V_{h+1}(s') + w,
 *   w ~ N(0, v / (N + lambda)),  v = sigma^2 (constant) or
 *   sigma^2 S H^3 log(2 H S A k) / 2 (russo, Russo 2019's beta_k, k the
 *   episode the plan is for),
 *   V_h(s) = max over valid a,  V_H = 0,
 *
 * drawing w from a replica of the algorithm's stream (same seed, same
 * purpose) in the order the header states: h = H-1..0, then s, then a, valid
 * actions only, one gsl_ran_gaussian_ziggurat each.  Every V_h(s) must agree
 * to 1e-12 (the sums run in another order here) and the policy exactly. */
#include <check.h>
#include "protocol.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "tabrl/algo.h"
#include "tabrl/policy.h"
#include "tabrl/rng.h"
#include "protocol/testing.h"

enum { S = 3, A = 3, H = 3, SEED = 11 };

/* Three states, three actions, H = 3; action 2 is invalid at state 0 and
 * action 0 at state 2 (no draw may be spent on them). */
static tabrl_mdp *masked_model(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(S, A, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, H, 1.0);
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++) {
      if ((s == 0 && a == 2) || (s == 2 && a == 0)) continue;
      tabrl_mdp_builder_add(b, 0, s, a, (s + a) % S, 1.0, a / 2.0);
    }
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

static int valid(int s, int a)
{
  return !((s == 0 && a == 2) || (s == 2 && a == 0));
}

/* The test's own record of what it fed: counts per (h, s, a, s') and reward
 * sums per (h, s, a), h = 0 for every stage when pooled. */
typedef struct {
  int pooled;
  double count[H][S][A][S], visits[H][S][A], reward_sum[H][S][A];
} record;

static void feed(tabrl_algo *algo, record *rec, int h, int s, int a, double r, int next)
{
  int b = rec->pooled ? 0 : h;
  ck_assert_int_eq(tabrl_algo_observe(algo, h, s, a, r, next), 0);
  rec->count[b][s][a][next] += 1;
  rec->visits[b][s][a] += 1;
  rec->reward_sum[b][s][a] += r;
}

/* Twelve transitions of "episode" e, varied enough that pairs are visited
 * once, several times, or never, with several next states and rewards. */
static void feed_episode(tabrl_algo *algo, record *rec, int e)
{
  for (int i = 0; i < 12; i++) {
    int h = i % H, s = (7 * i + e) % S, a = (i + 2 * e) % A;
    if (!valid(s, a)) a = 1;
    feed(algo, rec, h, s, a, ((3 * i + e) % 5) / 4.0, (5 * i + e + h) % S);
  }
}

/* The plan for episode k from the formula, with draws from r. */
static void replay(const record *rec, gsl_rng *r, double sigma, double lambda, int russo, long k,
                   double V[H + 1][S], int plan[H][S], double *largest_noise)
{
  double v = sigma * sigma;
  if (russo) v *= 0.5 * S * (double)H * H * H * log(2.0 * H * S * A * (double)k);
  for (int s = 0; s < S; s++) V[H][s] = 0;
  for (int h = H - 1; h >= 0; h--)
    for (int s = 0; s < S; s++) {
      double best = -INFINITY;
      int b = rec->pooled ? 0 : h;
      for (int a = 0; a < A; a++) {
        if (!valid(s, a)) continue;
        double n = rec->visits[b][s][a], q = 0;
        if (n > 0) {
          q = rec->reward_sum[b][s][a] / n;
          for (int y = 0; y < S; y++) q += rec->count[b][s][a][y] / n * V[h + 1][y];
        }
        double w = gsl_ran_gaussian_ziggurat(r, sqrt(v / (n + lambda)));
        if (fabs(w) > *largest_noise) *largest_noise = fabs(w);
        q += w;
        if (q > best) {
          best = q;
          plan[h][s] = a;
        }
      }
      V[h][s] = best;
    }
}

static void check_plan(tabrl_algo *algo, const tabrl_mdp *m, double V[H + 1][S], int plan[H][S],
                       const char *what, long k)
{
  const double *U = tabrl_rlsvi_values(algo);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  ck_assert_ptr_nonnull(U);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  for (int h = 0; h <= H; h++)
    for (int s = 0; s < S; s++)
      ck_assert_msg(fabs(U[h * S + s] - V[h][s]) <= 1e-12,
                    "%s, plan %ld: V_%d(%d) = %.17g, formula %.17g", what, k, h, s, U[h * S + s],
                    V[h][s]);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++)
      ck_assert_msg(tabrl_policy_row(pi, h, s)[plan[h][s]] == 1.0,
                    "%s, plan %ld: action at (%d, %d) is not %d", what, k, h, s, plan[h][s]);
  tabrl_policy_free(pi);
}

START_TEST(test_rlsvi_backup_replayed)
{
  struct {
    const char *what, *sigma, *lambda, *schedule, *stationary;
  } cases[] = {
      {"constant, per stage", "0.7", "2", "constant", "false"},
      {"constant, pooled", "1.3", "0.5", "constant", "true"},
      {"russo, per stage", "0.05", "1", "russo", "false"},
  };
  tabrl_mdp *m = masked_model();
  unsigned char mask[S * A];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gsl_rng *stream = tabrl_gsl_rng_stream(SEED, TABRL_STREAM_ALGO, 0);
    gsl_rng *replica = tabrl_gsl_rng_stream(SEED, TABRL_STREAM_ALGO, 0);
    tabrl_problem p = test_problem(m, mask, stream, 10, 0);
    tabrl_setting set[4] = {{"sigma", cases[i].sigma, "test", 0},
                            {"lambda", cases[i].lambda, "test", 0},
                            {"schedule", cases[i].schedule, "test", 0},
                            {"stationary", cases[i].stationary, "test", 0}};
    tabrl_algo *algo = test_make("rlsvi", &p, set, 4);
    record *rec = calloc(1, sizeof *rec);
    double V[H + 1][S], noise = 0;
    int plan[H][S];
    double sigma = atof(cases[i].sigma), lambda = atof(cases[i].lambda);
    int russo = !strcmp(cases[i].schedule, "russo");
    rec->pooled = !strcmp(cases[i].stationary, "true");
    /* plan 1 (init): no data, every Q a draw from the prior N(0, v / lambda) */
    replay(rec, replica, sigma, lambda, russo, 1, V, plan, &noise);
    check_plan(algo, m, V, plan, cases[i].what, 1);
    for (long k = 1; k <= 3; k++) {
      feed_episode(algo, rec, (int)k);
      ck_assert_int_eq(tabrl_algo_end_episode(algo, k), 0);
      replay(rec, replica, sigma, lambda, russo, k + 1, V, plan, &noise);
      check_plan(algo, m, V, plan, cases[i].what, k + 1);
    }
    /* the perturbation is not negligible: dropping it would fail above */
    ck_assert_msg(noise > 0.05, "%s: largest |w| %g", cases[i].what, noise);
    /* both streams are at the same point: no draw was missed or added */
    ck_assert_uint_eq(gsl_rng_get(stream), gsl_rng_get(replica));
    free(rec);
    tabrl_algo_free(algo);
    gsl_rng_free(stream);
    gsl_rng_free(replica);
  }
  tabrl_mdp_free(m);
}
END_TEST

/* sigma = 0: no draw at all, the greedy plan of the empirical model, which
 * on this record is checked against the same formula with w = 0. */
START_TEST(test_rlsvi_sigma_zero)
{
  tabrl_mdp *m = masked_model();
  unsigned char mask[S * A];
  gsl_rng *stream = tabrl_gsl_rng_stream(SEED, TABRL_STREAM_ALGO, 0);
  gsl_rng *replica = tabrl_gsl_rng_stream(SEED, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, mask, stream, 10, 0);
  tabrl_setting set[1] = {{"sigma", "0", "test", 0}};
  tabrl_algo *algo = test_make("rlsvi", &p, set, 1);
  record *rec = calloc(1, sizeof *rec);
  double V[H + 1][S], noise = 0;
  int plan[H][S];
  feed_episode(algo, rec, 1);
  ck_assert_int_eq(tabrl_algo_end_episode(algo, 1), 0);
  /* with sigma = 0 the replay's draws have standard deviation 0: w = 0 */
  replay(rec, replica, 0.0, 1.0, 0, 2, V, plan, &noise);
  ck_assert_double_eq(noise, 0.0);
  check_plan(algo, m, V, plan, "sigma 0", 2);
  /* and the algorithm drew nothing: its stream is where it started */
  gsl_rng *fresh = tabrl_gsl_rng_stream(SEED, TABRL_STREAM_ALGO, 0);
  ck_assert_uint_eq(gsl_rng_get(stream), gsl_rng_get(fresh));
  gsl_rng_free(fresh);
  free(rec);
  tabrl_algo_free(algo);
  gsl_rng_free(stream);
  gsl_rng_free(replica);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("rlsvi");
  TCase *tc = tcase_create("backup");
  tcase_add_test(tc, test_rlsvi_backup_replayed);
  tcase_add_test(tc, test_rlsvi_sigma_zero);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
