/* Policy optimization for adversarial MDPs (algos/adversarial/): oppo's
 * policy step against the closed-form multiplicative update of its own
 * Q (and that Q's last stage against the formula), the FTRL step of
 * bobw-po against closed forms on two actions, the importance-weighted
 * loss estimate unbiased against an independent backward recursion, and
 * both algorithms' regret on RiverSwim(3), H = 5 (bounds below). */
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "protocol/testing.h"
#include "adversarial/po.h"
#include "tabrl/rng.h"

enum { K_REGRET = 3000 };

static tabrl_mdp *river(void)
{
  tabrl_setting s[2] = {{"states", "3", "test", 0}, {"horizon", "5", "test", 0}};
  return test_env("riverswim", s, 2);
}

typedef struct {
  tabrl_mdp *m;
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_problem p;
} fixture;

/* give_model: what the runner gives a sees_model type (bobw-po). */
static void setup(fixture *f, long episodes, int give_model)
{
  f->m = river();
  f->valid = malloc((size_t)f->m->stages * f->m->S * f->m->A);
  f->rng = tabrl_gsl_rng_stream(7, TABRL_STREAM_ALGO, 0);
  f->p = test_problem(f->m, f->valid, f->rng, episodes, give_model);
}

static void teardown(fixture *f)
{
  gsl_rng_free(f->rng);
  free(f->valid);
  tabrl_mdp_free(f->m);
}

/* Called after each episode with the policy pi_k it followed. */
typedef void (*after_episode)(void *ctx, tabrl_algo *algo, const tabrl_policy *played);

/* Episodes 1..K with the reward table revealed after each (the runner's
 * full-information feedback); regret[k-1] the cumulative exact regret of
 * the committed policies; steps (K*H, may be NULL) the trajectories;
 * after (may be NULL) runs after each episode. */
static void drive(tabrl_algo *algo, const tabrl_mdp *m, long K, double *regret, tabrl_step *steps,
                  after_episode after, void *ctx)
{
  int H = m->horizon;
  size_t n = (size_t)H * m->S * m->A;
  double *table = malloc(n * sizeof *table), *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double J = test_optimal_value(m), total = 0;
  gsl_rng *transitions = tabrl_gsl_rng_stream(7, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_mdp_reward_table(m, table);
  tabrl_episode ep = {.committed = pi, .rewards = table};
  for (long k = 1; k <= K; k++) {
    ep.steps = steps ? steps + (k - 1) * H : NULL;
    ck_assert_msg(tabrl_episode_online(algo, m, k, transitions, &ep) == 0, "%s",
                  tabrl_error_message());
    ck_assert(ep.has_committed);
    ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
    total += J - tabrl_oracle_start_value(m, V);
    if (regret) regret[k - 1] = total;
    if (after) after(ctx, algo, pi);
  }
  gsl_rng_free(transitions);
  tabrl_policy_free(pi);
  free(V);
  free(table);
}

START_TEST(test_multiplicative_closed_form)
{
  /* A hand-made Q on three actions, action 1 invalid (absent from list). */
  double pi[3] = {0.2, 0, 0.8}, logits[3] = {log(0.2), 0, log(0.8)}, q[3] = {3.0, 99, 1.0};
  int list[2] = {0, 2};
  tabrl_po_multiplicative(pi, logits, q, list, 2, 0.5);
  double z = 0.2 * exp(1.5) + 0.8 * exp(0.5);
  ck_assert_double_eq_tol(pi[0], 0.2 * exp(1.5) / z, 1e-15);
  ck_assert_double_eq_tol(pi[2], 0.8 * exp(0.5) / z, 1e-15);
  ck_assert_double_eq(pi[1], 0);
}
END_TEST

/* oppo on RiverSwim: after episode k, pi_{k+1}(a|h,s) = pi_k(a|h,s)
 * exp(alpha Q_k(h,s,a)) / Z with Q_k read from the algorithm; the last
 * stage's Q_k is min(r + beta / sqrt(N + 1), 1) with N the visits of (s, a)
 * counted from the trajectories (pooled over h). */
typedef struct {
  const tabrl_mdp *m;
  double alpha, beta;
  const tabrl_step *steps;
  const double *table;
  tabrl_policy *after;
  long k;
} step_check;

static void check_step(void *ctx, tabrl_algo *algo, const tabrl_policy *played)
{
  step_check *c = ctx;
  int S = c->m->S, A = c->m->A, H = c->m->horizon;
  c->k++;
  ck_assert_int_eq(tabrl_algo_policy(algo, c->after), 0);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      const double *before = tabrl_policy_row(played, h, s);
      double z = 0;
      for (int a = 0; a < A; a++) z += before[a] * exp(c->alpha * tabrl_oppo_value(algo, h, s, a));
      for (int a = 0; a < A; a++)
        ck_assert_double_eq_tol(tabrl_policy_row(c->after, h, s)[a],
                                before[a] * exp(c->alpha * tabrl_oppo_value(algo, h, s, a)) / z,
                                1e-12);
    }
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++) {
      int N = 0;
      for (long i = 0; i < c->k * H; i++) N += c->steps[i].s == s && c->steps[i].a == a;
      double q = c->table[((size_t)(H - 1) * S + s) * A + a] + c->beta / sqrt(N + 1.0);
      ck_assert_double_eq_tol(tabrl_oppo_value(algo, H - 1, s, a), q < 1 ? q : 1, 1e-12);
    }
}

START_TEST(test_oppo_step)
{
  fixture f;
  setup(&f, 10, 0);
  tabrl_setting set[2] = {{"alpha", "0.7", "test", 0}, {"beta", "0.3", "test", 0}};
  tabrl_algo *algo = test_make("oppo", &f.p, set, 2);
  tabrl_step steps[10 * 5];
  double table[5 * 3 * 2];
  tabrl_mdp_reward_table(f.m, table);
  step_check c = {f.m, 0.7, 0.3, steps, table, tabrl_policy_alloc_for(f.m), 0};
  ck_assert_double_eq(tabrl_oppo_alpha(algo), 0.7);
  drive(algo, f.m, 10, NULL, steps, check_step, &c);
  ck_assert_int_eq(c.k, 10);
  /* The default step is Theorem 3.1's sqrt(2 ln A / (H^2 K)). */
  tabrl_algo *plain = test_make("oppo", &f.p, NULL, 0);
  ck_assert_double_eq_tol(tabrl_oppo_alpha(plain), sqrt(2 * log(2.0) / (25.0 * 10)), 1e-15);
  tabrl_algo_free(plain);
  tabrl_policy_free(c.after);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

/* The policy-improvement term of OPPO's regret (Cai et al. 2020, the
 * mirror-descent part of their regret decomposition): at every (h, s), for
 * every fixed action a*, sum_k (Q_k(a*) - <pi_k, Q_k>) <= ln A / alpha +
 * alpha K H^2 / 8 (exponential weights on gains in [0, H], Hoeffding's
 * lemma), whatever the Q sequence.  Measured on the run's own Q_k over
 * K = 3,000 episodes at the default alpha: 161.5 against the bound 201.5;
 * a step in the wrong direction (alpha -> -alpha) gives 2677. */
typedef struct {
  const tabrl_mdp *m;
  double *gain; /* H*S*A: sum_k Q_k(a) - <pi_k, Q_k> */
} md_check;

static void accumulate(void *ctx, tabrl_algo *algo, const tabrl_policy *played)
{
  md_check *c = ctx;
  int S = c->m->S, A = c->m->A, H = c->m->horizon;
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      const double *pi = tabrl_policy_row(played, h, s);
      double mean = 0;
      for (int a = 0; a < A; a++) mean += pi[a] * tabrl_oppo_value(algo, h, s, a);
      for (int a = 0; a < A; a++)
        c->gain[((size_t)h * S + s) * A + a] += tabrl_oppo_value(algo, h, s, a) - mean;
    }
}

START_TEST(test_oppo_mirror_descent)
{
  fixture f;
  setup(&f, K_REGRET, 0);
  tabrl_algo *algo = test_make("oppo", &f.p, NULL, 0);
  int S = f.m->S, A = f.m->A, H = f.m->horizon;
  md_check c = {f.m, calloc((size_t)H * S * A, sizeof(double))};
  drive(algo, f.m, K_REGRET, NULL, NULL, accumulate, &c);
  double alpha = tabrl_oppo_alpha(algo), bound = log(A) / alpha + alpha * K_REGRET * H * H / 8.0;
  double worst = -INFINITY;
  for (size_t i = 0; i < (size_t)H * S * A; i++)
    if (c.gain[i] > worst) worst = c.gain[i];
  ck_assert_msg(worst <= bound, "gain %g above %g", worst, bound);
  ck_assert_double_gt(worst, 0); /* the comparison is not empty */
  free(c.gain);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

START_TEST(test_ftrl_two_actions)
{
  int list[2] = {0, 1};
  double pi[2];
  for (int i = 0; i < 4; i++) {
    double L[2] = {1.5 * i, 4.0 - 0.7 * i}, eta = 0.3 + 0.4 * i, d = L[1] - L[0];
    /* log-barrier: pi(0) = 1 / (eta x), x = L(0) + lambda the positive
     * root of eta x^2 + (eta d - 2) x - d = 0. */
    ck_assert_int_gt(tabrl_po_ftrl(pi, L, list, 2, eta, TABRL_PO_LOG_BARRIER), 0);
    double x = ((2 - eta * d) + sqrt(4 + eta * eta * d * d)) / (2 * eta);
    ck_assert_double_eq_tol(pi[0], 1 / (eta * x), 1e-12);
    ck_assert_double_eq_tol(pi[0] + pi[1], 1, 1e-15);
    /* Tsallis-1/2: the first-order condition L(0) - 1/(eta sqrt(p)) =
     * L(1) - 1/(eta sqrt(1 - p)), whose right side minus left is
     * increasing in p, so it pins p. */
    ck_assert_int_gt(tabrl_po_ftrl(pi, L, list, 2, eta, TABRL_PO_TSALLIS), 0);
    ck_assert_double_eq_tol(d, (1 / sqrt(pi[1]) - 1 / sqrt(pi[0])) / eta, 1e-9);
    ck_assert_double_eq_tol(pi[0] + pi[1], 1, 1e-15);
  }
  /* Equal losses: the uniform distribution, for both. */
  double L[2] = {2, 2};
  tabrl_po_ftrl(pi, L, list, 2, 1.0, TABRL_PO_TSALLIS);
  ck_assert_double_eq_tol(pi[0], 0.5, 1e-15);
  L[1] = NAN;
  ck_assert_int_eq(tabrl_po_ftrl(pi, L, list, 2, 1.0, TABRL_PO_LOG_BARRIER), -1);
}
END_TEST

/* E[Q-hat_h(s,a)] = Q^pi_h(s,a) of the loss 1 - r, for a fixed
 * stage-dependent policy on RiverSwim(3), H = 5: the mean of 200,000
 * episodes' estimates within 5 standard errors of an independent backward
 * recursion on the kernel. */
START_TEST(test_estimate_unbiased)
{
  tabrl_mdp *m = river();
  int S = m->S, A = m->A, H = m->horizon;
  size_t n = (size_t)H * S * A;
  double *pi = malloc(n * sizeof *pi), *Q = malloc(n * sizeof *Q), *q = malloc(H * S * sizeof *q);
  double *est = malloc(n * sizeof *est), *sum = calloc(n, sizeof *sum);
  double *sq = calloc(n, sizeof *sq), V[6 * 3] = {0}, loss[5];
  int states[5], actions[5];
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      double p = 0.2 + 0.15 * ((h + 2 * s) % 4);
      pi[((size_t)h * S + s) * A + 0] = p;
      pi[((size_t)h * S + s) * A + 1] = 1 - p;
    }
  for (int h = H - 1; h >= 0; h--)
    for (int s = 0; s < S; s++) {
      double v = 0;
      for (int a = 0; a < A; a++) {
        size_t b = tabrl_mdp_block(m, h, s, a), i = ((size_t)h * S + s) * A + a;
        double next = 0, r = 0;
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
          next += m->prob[e] * V[(h + 1) * S + m->next[e]];
          r += m->prob[e] * m->reward[e];
        }
        Q[i] = 1 - r + next;
        v += pi[i] * Q[i];
      }
      V[h * S + s] = v;
    }
  tabrl_po_occupancy(m, pi, H, q);
  tabrl_pcg32 rng;
  tabrl_pcg32_seed(&rng, 11, 3);
  const long N = 200000;
  for (long i = 0; i < N; i++) {
    int s = tabrl_mdp_sample_start(m, &rng);
    for (int h = 0; h < H; h++) {
      double u = tabrl_pcg32_uniform(&rng), r;
      int a = u < pi[((size_t)h * S + s) * A] ? 0 : 1;
      states[h] = s;
      actions[h] = a;
      s = tabrl_mdp_step(m, h, s, a, &rng, &r);
      loss[h] = 1 - r;
    }
    memset(est, 0, n * sizeof *est);
    tabrl_po_estimate(est, states, actions, loss, H, S, A, q, pi);
    for (size_t j = 0; j < n; j++) {
      sum[j] += est[j];
      sq[j] += est[j] * est[j];
    }
  }
  int checked = 0;
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      if (q[h * S + s] == 0) continue;
      for (int a = 0; a < A; a++) {
        size_t j = ((size_t)h * S + s) * A + a;
        double mean = sum[j] / N, sd = sqrt(sq[j] / N - mean * mean);
        ck_assert_msg(fabs(mean - Q[j]) <= 5 * sd / sqrt((double)N),
                      "h %d s %d a %d: mean %g, Q %g, sd %g", h, s, a, mean, Q[j], sd);
        checked++;
      }
    }
  ck_assert_int_ge(checked, 20);
  free(pi);
  free(Q);
  free(q);
  free(est);
  free(sum);
  free(sq);
  tabrl_mdp_free(m);
}
END_TEST

/* K (J* - J(uniform)): the regret of never learning, from the uniform
 * policy both algorithms start with. */
static double uniform_regret(const tabrl_mdp *m, long K)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  for (size_t i = 0; i < (size_t)pi->stages * m->S * m->A; i++) pi->prob[i] = 0.5;
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  double r = (double)K * (test_optimal_value(m) - tabrl_oracle_start_value(m, V));
  free(V);
  tabrl_policy_free(pi);
  return r;
}

/* Regret at a fixed seed over K = 3000 episodes.  The bound is a weaker,
 * explicit one (the papers' bounds carry unspecified or unverified
 * constants, and at this K exceed K H): the regret stays below `share` of
 * the uniform policy's K (J* - J(uniform)), and it is sublinear, the later
 * half's regret per episode below `ratio` times the first half's. */
static void regret_case(const char *name, const tabrl_setting *set, size_t nset, int give_model,
                        double share, double ratio)
{
  fixture f;
  setup(&f, K_REGRET, give_model);
  tabrl_algo *algo = test_make(name, &f.p, set, nset);
  double *path = malloc(K_REGRET * sizeof *path);
  drive(algo, f.m, K_REGRET, path, NULL, NULL, NULL);
  double total = path[K_REGRET - 1], first = path[K_REGRET / 2 - 1],
         bound = uniform_regret(f.m, K_REGRET);
  ck_assert_msg(total < share * bound, "%s: regret %g, uniform %g", name, total, bound);
  ck_assert_msg(total - first < ratio * first, "%s: halves %g then %g", name, first, total - first);
  free(path);
  tabrl_algo_free(algo);
  teardown(&f);
}

START_TEST(test_oppo_regret)
{
  regret_case("oppo", NULL, 0, 0, 0.75, 0.6);
}
END_TEST

START_TEST(test_bobw_regret)
{
  regret_case("bobw-po", NULL, 0, 1, 0.5, 0.8);
  tabrl_setting lb[1] = {{"regularizer", "log-barrier", "test", 0}};
  regret_case("bobw-po", lb, 1, 1, 0.5, 0.8);
  tabrl_setting unknown[1] = {{"transitions", "unknown", "test", 0}};
  regret_case("bobw-po", unknown, 1, 1, 0.75, 0.8);
}
END_TEST

/* The greedy inner maximisation against hand-solved cases: mass moves from
 * the lowest f to the highest within the widths. */
START_TEST(test_inner_max)
{
  double p[3] = {0.5, 0.3, 0.2}, eps[3] = {0.1, 0.05, 0.3}, f[3] = {1, 2, 0};
  int order[3];
  tabrl_po_order(f, 3, order);
  ck_assert_int_eq(order[0], 1);
  ck_assert_int_eq(order[2], 2);
  /* state 1 gains 0.05 (its width) from state 2, then state 0 gains 0.1
   * (its width) from state 2's remaining 0.15: p = (0.6, 0.35, 0.05). */
  ck_assert_double_eq_tol(tabrl_po_inner_max(p, eps, f, order, 3), 0.6 + 0.7, 1e-15);
  /* Wide enough: all mass on the best state. */
  double wide[3] = {1, 1, 1};
  ck_assert_double_eq_tol(tabrl_po_inner_max(p, wide, f, order, 3), 2, 1e-15);
  double none[3] = {0, 0, 0};
  ck_assert_double_eq_tol(tabrl_po_inner_max(p, none, f, order, 3), 0.5 + 0.6, 1e-15);
  /* The width: 2 sqrt(p iota / (n - 1)) + 14 iota / (3 (n - 1)). */
  ck_assert_double_eq_tol(tabrl_po_width(0.25, 101, 4.0), 2 * sqrt(0.01) + 56.0 / 300, 1e-15);
}
END_TEST

/* bobw-po with unknown transitions: in every episode of a 3,000-episode
 * run its upper occupancy bound u_h(s) lies in [q_h(s), 1], q the exact
 * occupancy of the policy played (on the kernel the learner never reads),
 * and it tightens: at the end max (u - q) is 0.195 (asserted below 0.5), where the first
 * episode's bound is 1 everywhere. */
typedef struct {
  const tabrl_mdp *m;
  double *q, first_gap, last_gap;
  long k;
} uob_check;

static void check_uob(void *ctx, tabrl_algo *algo, const tabrl_policy *played)
{
  uob_check *c = ctx;
  int S = c->m->S, H = c->m->horizon;
  double gap = 0;
  tabrl_po_occupancy(c->m, played->prob, H, c->q);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      double u = tabrl_bobw_po_occupancy(algo, h, s), q = c->q[h * S + s];
      ck_assert_msg(u >= q - 1e-12 && u <= 1, "k %ld (%d, %d): u %g, q %g", c->k, h, s, u, q);
      if (u - q > gap) gap = u - q;
    }
  if (c->k++ == 0) c->first_gap = gap;
  c->last_gap = gap;
}

START_TEST(test_bobw_upper_occupancy)
{
  fixture f;
  setup(&f, K_REGRET, 1);
  tabrl_setting set[1] = {{"transitions", "unknown", "test", 0}};
  tabrl_algo *algo = test_make("bobw-po", &f.p, set, 1);
  uob_check c = {f.m, malloc(5 * 3 * sizeof(double)), 0, 0, 0};
  drive(algo, f.m, K_REGRET, NULL, NULL, check_uob, &c);
  ck_assert_double_gt(c.first_gap, 0.5);
  ck_assert_msg(c.last_gap < 0.5, "last gap %g", c.last_gap);
  free(c.q);
  tabrl_algo_free(algo);
  teardown(&f);
}
END_TEST

/* bobw-po reads the kernel: without the model it is refused by name. */
START_TEST(test_bobw_needs_model)
{
  fixture f;
  setup(&f, 10, 0);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("bobw-po"), &f.p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "bobw-po"));
  teardown(&f);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("poadv");
  TCase *tc = tcase_create("poadv");
  tcase_add_test(tc, test_multiplicative_closed_form);
  tcase_add_test(tc, test_oppo_step);
  tcase_add_test(tc, test_oppo_mirror_descent);
  tcase_add_test(tc, test_ftrl_two_actions);
  tcase_add_test(tc, test_estimate_unbiased);
  tcase_add_test(tc, test_oppo_regret);
  tcase_add_test(tc, test_bobw_regret);
  tcase_add_test(tc, test_inner_max);
  tcase_add_test(tc, test_bobw_upper_occupancy);
  tcase_add_test(tc, test_bobw_needs_model);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
