/* The policy types' `init` option (algos/policy/init.h) and the sampled
 * policy gradients reinforce and ppo (algos/policy/). */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "protocol.h"
#include "tabrl/rng.h"

typedef struct {
  tabrl_mdp *m;
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_problem p;
} fixture;

static void setup(fixture *f, tabrl_mdp *m, int planning, uint64_t seed)
{
  f->m = m;
  f->valid = malloc((size_t)m->stages * (size_t)m->S * (size_t)m->A);
  f->rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  f->p = test_problem(m, f->valid, f->rng, 100, planning);
}

static void teardown(fixture *f)
{
  gsl_rng_free(f->rng);
  free(f->valid);
  tabrl_mdp_free(f->m);
}

static tabrl_mdp *garnet_episodic(void)
{
  tabrl_setting set[] = {{"states", "4", "test", 0},
                         {"actions", "3", "test", 0},
                         {"branching", "2", "test", 0},
                         {"horizon", "3", "test", 0}};
  return test_env("garnet", set, 4);
}

/* text into a fresh temporary file; its path into path. */
static void write_temp(char *path, const char *text)
{
  strcpy(path, "/tmp/tabrl_init_XXXXXX");
  int fd = mkstemp(path);
  ck_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
}

static tabrl_algo *make_init(const char *type, const tabrl_problem *p, const char *init)
{
  tabrl_setting set[] = {{"init", init, "test", 0}};
  return test_make(type, p, set, 1);
}

/* A stationary policy file (stage-0 rows only) read back at every stage of
 * an episodic model, for an exact (pg) and a sampled type, a
 * zero-probability action kept at 0. */
START_TEST(test_init_file)
{
  fixture f;
  setup(&f, garnet_episodic(), 1, 1);
  const double row[3] = {0.25, 0, 0.75};
  char path[64], text[1024] = "h,s,a,prob\n", init[80];
  for (int s = 0; s < 4; s++)
    for (int a = 0; a < 3; a++)
      snprintf(text + strlen(text), sizeof text - strlen(text), "0,%d,%d,%.17g\n", s, a,
               s == 2 ? 1.0 / 3 : row[a]);
  write_temp(path, text);
  snprintf(init, sizeof init, "file:%s", path);
  const char *types[] = {"pg", "npg", "pmd"};
  for (int t = 0; t < 3; t++) {
    tabrl_algo *algo = make_init(types[t], &f.p, init);
    tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    for (int h = 0; h < 3; h++)
      for (int s = 0; s < 4; s++)
        for (int a = 0; a < 3; a++)
          ck_assert_double_eq_tol(tabrl_policy_row(pi, h, s)[a], s == 2 ? 1.0 / 3 : row[a], 1e-15);
    /* After updates action 1 still has probability exactly 0 where the
     * file gave it 0. */
    for (int k = 1; k <= 5; k++) ck_assert_int_eq(tabrl_algo_iterate(algo, k), 0);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
    ck_assert(tabrl_policy_row(pi, 1, 0)[1] == 0);
    ck_assert(tabrl_policy_row(pi, 1, 2)[1] > 0);
    tabrl_policy_free(pi);
    tabrl_algo_free(algo);
  }
  unlink(path);
  teardown(&f);
}
END_TEST

/* random: softmax of N(0, 1) logits drawn from the algorithm's stream in
 * (h, s, a) order, recomputed here from a second copy of the stream. */
START_TEST(test_init_random)
{
  fixture f;
  setup(&f, garnet_episodic(), 1, 7);
  tabrl_algo *algo = make_init("npg", &f.p, "random");
  tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  gsl_rng *copy = tabrl_gsl_rng_stream(7, TABRL_STREAM_ALGO, 0);
  double spread = 0;
  for (int h = 0; h < 3; h++)
    for (int s = 0; s < 4; s++) {
      double z[3], total = 0;
      for (int a = 0; a < 3; a++) total += exp(z[a] = gsl_ran_gaussian(copy, 1.0));
      for (int a = 0; a < 3; a++) {
        double p = exp(z[a]) / total;
        ck_assert_double_eq_tol(tabrl_policy_row(pi, h, s)[a], p, 1e-14);
        spread = fmax(spread, fabs(p - 1.0 / 3));
      }
    }
  ck_assert(spread > 0.05); /* not the uniform policy */
  gsl_rng_free(copy);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

/* A bad file is one message line naming the file and the line; a bad
 * value names the choices. */
START_TEST(test_init_bad_file)
{
  fixture f;
  setup(&f, garnet_episodic(), 1, 1);
  const tabrl_algo_type *type = tabrl_algo_find("pg");
  char path[64], init[80];
  const char *bad[][2] = {
      {"h,s,a,prob\n0,0,0,0.5\n0,0,1,x\n", ":3: prob 'x' is not a number"},
      {"h,s,a,prob\n0,0,0,0.5\n0,0,7,0.5\n", ":3: action a = 7 outside 0..2"},
      {"h,s,a,prob\n0,0,0,1\n0,1,0,1\n0,2,0,1\n", "no row for stage 0, state 3"},
  };
  for (int i = 0; i < 3; i++) {
    write_temp(path, bad[i][0]);
    snprintf(init, sizeof init, "file:%s", path);
    tabrl_setting set[] = {{"init", init, "test", 0}};
    tabrl_values *v = NULL;
    ck_assert_int_eq(tabrl_values_resolve(type->params, "pg", set, 1, 0, &v), 0);
    ck_assert_int_eq(tabrl_algo_check(type, &f.p, v), TABRL_EINVAL);
    const char *msg = tabrl_error_message();
    ck_assert_msg(strstr(msg, path) && strstr(msg, bad[i][1]) && !strchr(msg, '\n'), "%s", msg);
    ck_assert_ptr_null(tabrl_algo_alloc(type, &f.p, v));
    tabrl_values_free(v);
    unlink(path);
  }
  tabrl_setting set[] = {{"init", "gaussian", "test", 0}};
  tabrl_values *v = NULL;
  ck_assert_int_eq(tabrl_values_resolve(type->params, "pg", set, 1, 0, &v), 0);
  ck_assert_int_ne(tabrl_algo_check(type, &f.p, v), 0);
  ck_assert_msg(strstr(tabrl_error_message(), "uniform, random or file:PI.csv"), "%s",
                tabrl_error_message());
  tabrl_values_free(v);
  teardown(&f);
}
END_TEST

/* One-state bandit, H = 1: arm a pays 1 with probability q[a], else 0. */
static tabrl_mdp *bernoulli_bandit(const double *q, int A)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, A, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < A; a++) {
    tabrl_mdp_builder_add(b, 0, 0, a, 0, q[a], 1);
    tabrl_mdp_builder_add(b, 0, 0, a, 0, 1 - q[a], 0);
  }
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* log pi(a) - mean_a log pi(a) of stage 0, state 0: the logits up to the
 * per-row shift. */
static void centred_logits(tabrl_algo *algo, const tabrl_mdp *m, double *out)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double mean = 0;
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  for (int a = 0; a < m->A; a++) mean += (out[a] = log(tabrl_policy_row(pi, 0, 0)[a])) / m->A;
  for (int a = 0; a < m->A; a++) out[a] -= mean;
  tabrl_policy_free(pi);
}

/* The sampled type's first update from the uniform policy over many seeds:
 * its mean is eta times the exact softmax gradient
 * pi(a) (q(a) - J) = (q(a) - mean q) / A (the gradient sums to 0 over a,
 * and so does each sample's, so the centred logits are the update
 * itself), within 4 standard errors of the seeds' spread. */
static void check_expected_update(const char *type, const tabrl_setting *set, size_t nset,
                                  long episodes_per_update, double eta)
{
  const double q[3] = {0.8, 0.5, 0.2};
  const int A = 3;
  const long N = 20000;
  double sum[3] = {0}, sq[3] = {0}, J = (q[0] + q[1] + q[2]) / 3;
  for (long i = 0; i < N; i++) {
    fixture f;
    double c[3];
    setup(&f, bernoulli_bandit(q, A), 0, (uint64_t)i + 1);
    tabrl_algo *algo = test_make(type, &f.p, set, nset);
    test_drive(algo, f.m, episodes_per_update, (uint64_t)i + 1, NULL, NULL, NULL, NULL);
    centred_logits(algo, f.m, c);
    for (int a = 0; a < A; a++) {
      sum[a] += c[a] / eta;
      sq[a] += c[a] * c[a] / (eta * eta);
    }
    tabrl_algo_free(algo);
    teardown(&f);
  }
  for (int a = 0; a < A; a++) {
    double mean = sum[a] / N, sd = sqrt(sq[a] / N - mean * mean), exact = (q[a] - J) / A;
    ck_assert_msg(fabs(mean - exact) < 4 * sd / sqrt((double)N),
                  "%s arm %d: %g vs exact %g (sd %g)", type, a, mean, exact, sd);
    /* The tolerance (a fifth of the largest component) tells the
     * gradient from the pi-free (q - J), three times larger. */
    ck_assert(4 * sd / sqrt((double)N) < 0.2 * (q[0] - J) / A);
  }
}

START_TEST(test_reinforce_expected_update)
{
  tabrl_setting none[] = {{"eta", "0.1", "test", 0}, {"baseline", "none", "test", 0}};
  check_expected_update("reinforce", none, 2, 1, 0.1);
  /* batch 2 with the running-mean baseline: the second episode's baseline
   * is the first's return, fixed before it; still unbiased. */
  tabrl_setting mean[] = {{"eta", "0.1", "test", 0}, {"batch", "2", "test", 0}};
  check_expected_update("reinforce", mean, 2, 2, 0.1);
}
END_TEST

/* Two arms paying 1 and 0 surely, no baseline, batch 1: a pull of arm 1
 * changes nothing (G = 0); a pull of arm 0 raises the logit gap D =
 * theta_0 - theta_1 by 2 eta (1 - p), p = pi(0) = 1 / (1 + e^-D) >= 1/2
 * (D starts at 0 and never falls).  Then
 *   e^D' = e^D exp(2 eta / (1 + e^D)) >= e^D + 2 eta e^D / (1 + e^D)
 *        >= e^D + eta,
 * so after N_k pulls of arm 0, e^D >= 1 + eta N_k and the suboptimality
 *   1 - p_k = 1 / (1 + e^D) <= 1 / (2 + eta N_k).
 * Each pull is arm 0 with probability >= 1/2, so N_K dominates Bin(K, 1/2):
 * at this seed N_K >= K/2 - 3 sqrt(K)/2 (three standard deviations). */
START_TEST(test_reinforce_bound)
{
  const double r[2] = {1, 0};
  const long K = 2000;
  const double eta = 0.5;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 2, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < 2; a++) tabrl_mdp_builder_add(b, 0, 0, a, 0, 1, r[a]);
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  fixture f;
  setup(&f, m, 0, 3);
  tabrl_setting set[] = {{"eta", "0.5", "test", 0}, {"baseline", "none", "test", 0}};
  tabrl_algo *algo = test_make("reinforce", &f.p, set, 2);
  double *path = malloc((size_t)K * sizeof *path);
  tabrl_step *steps = malloc((size_t)K * sizeof *steps);
  test_drive_result res = test_drive(algo, f.m, K, 3, path, steps, NULL, NULL);
  long pulls = 0;
  double bound_sum = 0;
  for (long k = 0; k < K; k++) {
    /* episode k+1 is valued at the policy after k updates */
    double sub = path[k] - (k ? path[k - 1] : 0), bound = 1 / (2 + eta * pulls);
    ck_assert_msg(sub <= bound + 1e-12, "episode %ld: %g > %g", k + 1, sub, bound);
    bound_sum += bound;
    pulls += steps[k].a == 0;
  }
  ck_assert_msg(pulls >= K / 2 - 1.5 * sqrt((double)K), "%ld pulls", pulls);
  ck_assert(res.regret <= bound_sum + 1e-9);
  /* and the final policy: at most 1 / (2 + eta (K/2 - 1.5 sqrt K)) = 0.0038 */
  ck_assert(path[K - 1] - path[K - 2] <= 1 / (2 + eta * (K / 2 - 1.5 * sqrt((double)K))));
  free(path);
  free(steps);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

/* With clip so large that nothing is clipped and one epoch, ppo's update
 * is reinforce's (the surrogate's gradient at r = 1): the same seed gives
 * the same actions, so the same policies for a whole run; two epochs do
 * not (so the comparison can fail). */
START_TEST(test_ppo_first_step_is_reinforce)
{
  tabrl_policy *pi[3];
  for (int t = 0; t < 3; t++) {
    fixture f;
    setup(&f, garnet_episodic(), 0, 5);
    tabrl_setting set[] = {{"eta", "0.3", "test", 0},
                           {"batch", "4", "test", 0},
                           {"clip", "1e9", "test", 0},
                           {"epochs", t == 2 ? "2" : "1", "test", 0}};
    tabrl_algo *algo = test_make(t == 0 ? "reinforce" : "ppo", &f.p, set, t == 0 ? 2 : 4);
    test_drive(algo, f.m, 40, 5, NULL, NULL, NULL, NULL);
    pi[t] = tabrl_policy_alloc_for(f.m);
    ck_assert_int_eq(tabrl_algo_policy(algo, pi[t]), 0);
    tabrl_algo_free(algo);
    teardown(&f);
  }
  double same = 0, other = 0;
  for (size_t i = 0; i < (size_t)pi[0]->stages * pi[0]->S * pi[0]->A; i++) {
    same = fmax(same, fabs(pi[0]->prob[i] - pi[1]->prob[i]));
    other = fmax(other, fabs(pi[0]->prob[i] - pi[2]->prob[i]));
  }
  ck_assert_msg(same < 1e-12, "%g", same);
  ck_assert_msg(other > 1e-3, "%g", other);
  for (int t = 0; t < 3; t++) tabrl_policy_free(pi[t]);
}
END_TEST

/* A hand-made batch (observe without act): one episode of a 3-armed
 * bandit taking arm 0 with return R, no baseline, so A = R.  Many epochs
 * push the ratio r = pi(0) / pi_old(0) until it leaves [1 - eps, 1 + eps]
 * on the side of A, then the clipped term has no gradient: r ends within
 * one step of the boundary.  A step moves log pi(0) by at most
 * 2 eta w |A|, w = r <= 1 + eps the ratio before it, so
 *   1 + eps <= r <= (1 + eps) exp(2 eta (1 + eps) |A|)   (A > 0),
 *   (1 - eps) exp(-2 eta |A|) <= r <= 1 - eps            (A < 0).
 * Without the clip (eps = 1e9) the same epochs carry r far beyond. */
static double ratio_after(double R, const char *clip)
{
  const double q[3] = {0.5, 0.5, 0.5};
  fixture f;
  setup(&f, bernoulli_bandit(q, 3), 0, 1);
  tabrl_setting set[] = {{"eta", "0.05", "test", 0},
                         {"epochs", "200", "test", 0},
                         {"clip", clip, "test", 0},
                         {"baseline", "none", "test", 0}};
  tabrl_algo *algo = test_make("ppo", &f.p, set, 4);
  tabrl_policy *pi = tabrl_policy_alloc_for(f.m);
  ck_assert_int_eq(tabrl_algo_begin_episode(algo, 1), 0);
  ck_assert_int_eq(tabrl_algo_observe(algo, 0, 0, 0, R, 0), 0);
  ck_assert_int_eq(tabrl_algo_end_episode(algo, 1), 0);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  double r = tabrl_policy_row(pi, 0, 0)[0] / (1.0 / 3);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  teardown(&f);
  return r;
}

START_TEST(test_ppo_clip)
{
  const double eps = 0.2, eta = 0.05;
  double up = ratio_after(1, "0.2"), down = ratio_after(-1, "0.2");
  ck_assert_msg(up >= 1 + eps && up <= (1 + eps) * exp(2 * eta * (1 + eps)), "%.17g", up);
  ck_assert_msg(down <= 1 - eps && down >= (1 - eps) * exp(-2 * eta), "%.17g", down);
  ck_assert(ratio_after(1, "1e9") > 2.5); /* pi(0) -> 1: r -> 3 */
  ck_assert(ratio_after(-1, "1e9") < 0.1);
}
END_TEST

/* The bound of test_reinforce_bound holds for ppo too: a pull of arm 0
 * (A = 1) makes a first epoch equal to reinforce's step, and every later
 * epoch only raises D (A > 0, e_0 - pi has a positive first component,
 * and a clipped sample stops moving), so e^D >= 1 + eta N_k still. */
START_TEST(test_ppo_bound)
{
  const double r[2] = {1, 0};
  const long K = 2000;
  const double eta = 0.5;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 2, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < 2; a++) tabrl_mdp_builder_add(b, 0, 0, a, 0, 1, r[a]);
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  fixture f;
  setup(&f, m, 0, 4);
  tabrl_setting set[] = {{"eta", "0.5", "test", 0}, {"baseline", "none", "test", 0}};
  tabrl_algo *algo = test_make("ppo", &f.p, set, 2);
  double *path = malloc((size_t)K * sizeof *path);
  tabrl_step *steps = malloc((size_t)K * sizeof *steps);
  test_drive(algo, f.m, K, 4, path, steps, NULL, NULL);
  long pulls = 0;
  for (long k = 0; k < K; k++) {
    double sub = path[k] - (k ? path[k - 1] : 0);
    ck_assert_msg(sub <= 1 / (2 + eta * pulls) + 1e-12, "episode %ld: %g", k + 1, sub);
    pulls += steps[k].a == 0;
  }
  ck_assert_msg(pulls >= K / 2 - 1.5 * sqrt((double)K), "%ld pulls", pulls);
  free(path);
  free(steps);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

/* The policy_version hook: pi changes only when a batch of B episodes is
 * full, so the protocol commits (and the runner values) a new policy at
 * episodes 1, B + 1, 2 B + 1, ... and reuses it in between; the table an
 * episode holds is always what policy() gives at its start. */
START_TEST(test_policy_version_batches)
{
  const char *const types[] = {"reinforce", "ppo"};
  for (int t = 0; t < 2; t++)
    for (long B = 1; B <= 3; B++) {
      fixture f;
      setup(&f, garnet_episodic(), 0, 11);
      char batch[8];
      snprintf(batch, sizeof batch, "%ld", B);
      tabrl_setting set[] = {{"eta", "0.5", "test", 0}, {"batch", batch, "test", 0}};
      tabrl_algo *algo = test_make(types[t], &f.p, set, 2);
      gsl_rng *tr = tabrl_gsl_rng_stream(11, TABRL_STREAM_TRANSITIONS, 0);
      tabrl_policy *now = tabrl_policy_alloc_for(f.m), *first = tabrl_policy_alloc_for(f.m);
      tabrl_episode ep = {.committed = tabrl_policy_alloc_for(f.m)};
      size_t bytes = (size_t)f.m->horizon * f.m->S * f.m->A * sizeof(double);
      int changes = 0;
      for (long k = 1; k <= 12; k++) {
        ck_assert_int_eq(tabrl_algo_policy(algo, now), 0);
        ck_assert_msg(tabrl_episode_online(algo, f.m, k, tr, &ep) == 0, "%s",
                      tabrl_error_message());
        ck_assert_int_eq(ep.unchanged, (k - 1) % B != 0);
        ck_assert(!memcmp(now->prob, ep.committed->prob, bytes));
        if (k == 1) memcpy(first->prob, now->prob, bytes);
        changes += !ep.unchanged && memcmp(first->prob, now->prob, bytes);
      }
      /* The updates did move the policy. */
      ck_assert_int_gt(changes, 0);
      tabrl_policy_free(ep.committed);
      tabrl_policy_free(now);
      tabrl_policy_free(first);
      gsl_rng_free(tr);
      tabrl_algo_free(algo);
      teardown(&f);
    }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sampled_pg");
  TCase *tc = tcase_create("sampled_pg");
  tcase_add_test(tc, test_init_file);
  tcase_add_test(tc, test_init_random);
  tcase_add_test(tc, test_init_bad_file);
  tcase_add_test(tc, test_reinforce_expected_update);
  tcase_add_test(tc, test_reinforce_bound);
  tcase_add_test(tc, test_ppo_first_step_is_reinforce);
  tcase_add_test(tc, test_ppo_clip);
  tcase_add_test(tc, test_ppo_bound);
  tcase_add_test(tc, test_policy_version_batches);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
