/* rpg and rebel, the sampled KL-regularised policy types on a contextual
 * bandit: each update against a hand-computed one (rpg's expected first
 * step over many batches, within a CI; its two importance-weighted steps
 * on a fixed batch, against finite differences of the paper-style
 * surrogates computed independently; rebel's exact regression), the fixed
 * points against the closed-form KL-regularised optima, rebel's reduction
 * to mirror descent with exact expectations, and fixed-seed bounds. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "protocol.h"
#include "tabrl/rng.h"
#include "policy/rebel.h"

void tabrl_bnpo_beta(const tabrl_algo *algo, double *alpha, double *beta);

/* A one-context bandit (horizon 1): arm a pays 1 with probability mean[a],
 * else 0 (deterministic when mean[a] is 0 or 1 ... or given as reward). */
static tabrl_mdp *bernoulli_bandit(int A, const double *mean)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, A, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < A; a++) {
    if (mean[a] > 0) tabrl_mdp_builder_add(b, 0, 0, a, 0, mean[a], 1);
    if (mean[a] < 1) tabrl_mdp_builder_add(b, 0, 0, a, 0, 1 - mean[a], 0);
  }
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* A one-context bandit with deterministic rewards r[a]. */
static tabrl_mdp *fixed_bandit(int A, const double *r)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, A, 1);
  tabrl_mdp *m = NULL;
  for (int a = 0; a < A; a++) tabrl_mdp_builder_add(b, 0, 0, a, 0, 1, r[a]);
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

static const double REF[3] = {0.2, 0.3, 0.5};

typedef struct {
  tabrl_problem p;
  unsigned char valid[64];
  gsl_rng *algo_rng, *transitions;
  tabrl_pref_data ref;
  tabrl_algo *algo;
  tabrl_policy *pi;
} fixture;

/* An instance of name on m with the reference REF (when ref), seed seed. */
static void fixture_start(fixture *f, const tabrl_mdp *m, const char *name,
                          const tabrl_setting *set, size_t n, uint64_t seed, int ref)
{
  f->algo_rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ALGO, 0);
  f->transitions = tabrl_gsl_rng_stream(seed, TABRL_STREAM_TRANSITIONS, 0);
  f->p = test_problem(m, f->valid, f->algo_rng, 1000, 0);
  f->ref = (tabrl_pref_data){0, NULL, NULL, NULL, REF};
  if (ref) f->p.pref = &f->ref;
  f->algo = test_make(name, &f->p, set, n);
  f->pi = tabrl_policy_alloc_for(m);
}

static void fixture_run(fixture *f, const tabrl_mdp *m, long episodes)
{
  tabrl_episode ep = {.committed = f->pi};
  for (long k = 1; k <= episodes; k++)
    ck_assert_msg(tabrl_episode_online(f->algo, m, k, f->transitions, &ep) == 0, "%s",
                  tabrl_error_message());
  ck_assert_int_eq(tabrl_algo_policy(f->algo, f->pi), 0);
}

static void fixture_end(fixture *f)
{
  tabrl_algo_free(f->algo);
  tabrl_policy_free(f->pi);
  gsl_rng_free(f->algo_rng);
  gsl_rng_free(f->transitions);
}

/* The centred logits of a one-context policy: from theta = 0 every rpg
 * gradient sums to 0 over the arms, so they are theta itself. */
static void centred_logits(const tabrl_policy *pi, int A, double *theta)
{
  const double *p = tabrl_policy_row(pi, 0, 0);
  double mean = 0;
  for (int a = 0; a < A; a++) mean += log(p[a]) / A;
  for (int a = 0; a < A; a++) theta[a] = log(p[a]) - mean;
}

static const char *const KL[4] = {"reverse", "reverse", "forward", "forward"};
static const char *const FORM[4] = {"normalized", "unnormalized", "normalized", "unnormalized"};

/* The expected first step from the uniform policy, w = 1: reverse
 *   g_b = pi_b (m_b - beta log(pi_b/ref_b) - sum_a pi_a (m_a - beta log(pi_a/ref_a))),
 * forward g_b = pi_b m_b + beta ref_b - pi_b (sum_a pi_a m_a + beta), both
 * forms (they differ by a zero-mean term); the mean of eta g-hat over
 * 3000 batches of 8 within 4.5 standard errors. */
START_TEST(test_rpg_expected_step)
{
  const double mean[3] = {0.8, 0.5, 0.2}, beta = 0.5, pi = 1.0 / 3;
  const int M = 3000;
  tabrl_mdp *m = bernoulli_bandit(3, mean);
  double g[3], rbar = 0, lbar = 0;
  for (int a = 0; a < 3; a++) {
    rbar += pi * mean[a];
    lbar += pi * (mean[a] - beta * log(pi / REF[a]));
  }
  for (int a = 0; a < 3; a++) {
    g[a] = KL[_i][0] == 'r' ? pi * (mean[a] - beta * log(pi / REF[a]) - lbar)
                            : pi * mean[a] + beta * REF[a] - pi * (rbar + beta);
  }
  tabrl_setting set[] = {
      {"kl", KL[_i], NULL, 0}, {"form", FORM[_i], NULL, 0}, {"beta", "0.5", NULL, 0},
      {"eta", "1", NULL, 0},   {"batch", "8", NULL, 0},
  };
  double sum[3] = {0}, sq[3] = {0}, theta[3];
  for (int i = 0; i < M; i++) {
    fixture f;
    fixture_start(&f, m, "rpg", set, 5, 1000 + (uint64_t)i, 1);
    fixture_run(&f, m, 8);
    centred_logits(f.pi, 3, theta);
    for (int a = 0; a < 3; a++) sum[a] += theta[a], sq[a] += theta[a] * theta[a];
    fixture_end(&f);
  }
  for (int a = 0; a < 3; a++) {
    double avg = sum[a] / M, sd = sqrt((sq[a] / M - avg * avg) * M / (M - 1));
    ck_assert_msg(fabs(avg - g[a]) < 4.5 * sd / sqrt(M),
                  "%s/%s arm %d: mean step %g, expected %g (se %g)", KL[_i], FORM[_i], a, avg, g[a],
                  sd / sqrt(M));
  }
  tabrl_mdp_free(m);
}
END_TEST

/* Two importance-weighted steps (epochs = 2) on the fixed batch (arm 0,
 * reward 1), (arm 2, reward 0) from the uniform policy, beta = 0.5, eta =
 * 1, reference REF: the policies below are from central finite
 * differences of the four surrogates f (the header of algos/policy/rpg.c),
 * written independently (python, h = 1e-5). */
START_TEST(test_rpg_importance_weights)
{
  static const double expected[4][3] = {
      {0.4126975664, 0.3294823369, 0.2578200967},
      {0.4764336108, 0.2360853902, 0.2874809990},
      {0.5386207587, 0.1606581849, 0.3007210564},
      {0.4887622866, 0.2246445524, 0.2865931610},
  };
  const double r[3] = {0, 0, 0};
  tabrl_mdp *m = fixed_bandit(3, r);
  tabrl_setting set[] = {
      {"kl", KL[_i], NULL, 0}, {"form", FORM[_i], NULL, 0}, {"beta", "0.5", NULL, 0},
      {"eta", "1", NULL, 0},   {"batch", "2", NULL, 0},     {"epochs", "2", NULL, 0},
  };
  fixture f;
  fixture_start(&f, m, "rpg", set, 6, 1, 1);
  ck_assert_int_eq(tabrl_algo_observe(f.algo, 0, 0, 0, 1.0, 0), 0);
  ck_assert_int_eq(tabrl_algo_observe(f.algo, 0, 0, 2, 0.0, 0), 0);
  ck_assert_int_eq(tabrl_algo_policy(f.algo, f.pi), 0);
  for (int a = 0; a < 3; a++)
    ck_assert_msg(fabs(tabrl_policy_row(f.pi, 0, 0)[a] - expected[_i][a]) < 1e-8,
                  "%s/%s arm %d: %.10f, expected %.10f", KL[_i], FORM[_i], a,
                  tabrl_policy_row(f.pi, 0, 0)[a], expected[_i][a]);
  fixture_end(&f);
  tabrl_mdp_free(m);
}
END_TEST

/* The forward-KL optimum beta ref_a / (lambda - r_a), lambda > max r the
 * root of sum = 1 (bisection: the sum decreases in lambda). */
static void forward_optimum(const double *r, const double *ref, double beta, int A, double *out)
{
  double top = r[0];
  for (int a = 1; a < A; a++) top = fmax(top, r[a]);
  double lo = top, hi = top + beta + 1;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi), sum = 0;
    for (int a = 0; a < A; a++) sum += beta * ref[a] / (mid - r[a]);
    if (sum > 1)
      lo = mid;
    else
      hi = mid;
  }
  for (int a = 0; a < A; a++) out[a] = beta * ref[a] / (0.5 * (lo + hi) - r[a]);
}

/* Deterministic rewards 1, 0.9, 0.1 (no reward noise: the only noise is
 * the sampled responses), beta = 0.5, reference REF: after 400 updates of
 * 512 responses at eta = 0.5 the policy is within 0.01 of the closed-form
 * optimum (reverse: REF exp(r/beta)/Z; forward: beta REF/(lambda - r)),
 * which differ by more than 0.05 on arm 2, so a wrong direction fails
 * (measured: at most 0.0064 from its own optimum, forward normalised). */
START_TEST(test_rpg_fixed_point)
{
  const double r[3] = {1.0, 0.9, 0.1}, beta = 0.5;
  double star[3], z = 0;
  if (KL[_i][0] == 'r') {
    for (int a = 0; a < 3; a++) z += star[a] = REF[a] * exp(r[a] / beta);
    for (int a = 0; a < 3; a++) star[a] /= z;
  } else {
    forward_optimum(r, REF, beta, 3, star);
  }
  tabrl_mdp *m = fixed_bandit(3, r);
  tabrl_setting set[] = {
      {"kl", KL[_i], NULL, 0}, {"form", FORM[_i], NULL, 0}, {"beta", "0.5", NULL, 0},
      {"eta", "0.5", NULL, 0}, {"batch", "512", NULL, 0},
  };
  fixture f;
  fixture_start(&f, m, "rpg", set, 5, 7, 1);
  fixture_run(&f, m, 400 * 512);
  for (int a = 0; a < 3; a++)
    ck_assert_msg(fabs(tabrl_policy_row(f.pi, 0, 0)[a] - star[a]) < 0.01,
                  "%s/%s arm %d: %g, optimum %g", KL[_i], FORM[_i], a,
                  tabrl_policy_row(f.pi, 0, 0)[a], star[a]);
  fixture_end(&f);
  tabrl_mdp_free(m);
}
END_TEST

/* The reverse- and forward-KL optima of the test above really differ. */
START_TEST(test_rpg_optima_differ)
{
  const double r[3] = {1.0, 0.9, 0.1};
  double fwd[3], rev[3], z = 0;
  forward_optimum(r, REF, 0.5, 3, fwd);
  for (int a = 0; a < 3; a++) z += rev[a] = REF[a] * exp(r[a] / 0.5);
  ck_assert(fabs(fwd[2] - rev[2] / z) > 0.05); /* 0.2144 against 0.1565 */
  ck_assert(fabs(fwd[0] + fwd[1] + fwd[2] - 1) < 1e-12);
}
END_TEST

/* rebel's regression by hand: pairs (0, 1) with reward differences 1 and
 * 0 ask delta_0 - delta_1 = eta/2 in the least-squares sense; the minimum-
 * norm solution is (eta/4, -eta/4, 0), arm 2 being in no pair. */
START_TEST(test_rebel_regress_by_hand)
{
  rebel_work w = {0};
  const int y[2] = {0, 0}, y2[2] = {1, 1};
  const double dr[2] = {1, 0};
  double delta[3];
  ck_assert_int_eq(tabrl_rebel_work_init(&w, 3), 0);
  ck_assert_int_eq(tabrl_rebel_regress(&w, 2, y, y2, dr, NULL, 0.8, delta), 0);
  ck_assert(fabs(delta[0] - 0.2) < 1e-12 && fabs(delta[1] + 0.2) < 1e-12 && delta[2] == 0);
  tabrl_rebel_work_free(&w);
}
END_TEST

/* With exact expectations (every ordered pair weighted pi(y) pi(y'), its
 * reward difference exact) the regression gives delta = eta r + const on
 * the support of pi: pi_{t+1} = pi_t exp(eta r) / Z, mirror descent. */
START_TEST(test_rebel_population_is_mirror_descent)
{
  const double pi[4] = {0.1, 0.4, 0.5, 0}, r[4] = {0.3, 0.9, 0.2, 5}, eta = 0.7;
  int y[16], y2[16];
  double dr[16], wt[16], delta[4];
  size_t n = 0;
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 4; b++)
      y[n] = a, y2[n] = b, dr[n] = r[a] - r[b], wt[n] = pi[a] * pi[b], n++;
  rebel_work w = {0};
  ck_assert_int_eq(tabrl_rebel_work_init(&w, 4), 0);
  ck_assert_int_eq(tabrl_rebel_regress(&w, n, y, y2, dr, wt, eta, delta), 0);
  double rbar = (r[0] + r[1] + r[2]) / 3;
  for (int a = 0; a < 3; a++) ck_assert(fabs(delta[a] - eta * (r[a] - rbar)) < 1e-12);
  ck_assert(delta[3] == 0); /* outside the support: never compared */
  tabrl_rebel_work_free(&w);
}
END_TEST

/* Deterministic rewards make every sampled regression consistent: once
 * the pairs connect the three arms, each iteration is exactly the mirror-
 * descent step, so after 3 iterations pi = softmax(3 eta r). */
START_TEST(test_rebel_exact_step)
{
  const double r[3] = {1.0, 0.9, 0.1};
  tabrl_mdp *m = fixed_bandit(3, r);
  tabrl_setting set[] = {{"eta", "0.5", NULL, 0}, {"batch", "64", NULL, 0}};
  fixture f;
  fixture_start(&f, m, "rebel", set, 2, 3, 0);
  fixture_run(&f, m, 3 * 64);
  double z = 0, p[3];
  for (int a = 0; a < 3; a++) z += p[a] = exp(1.5 * r[a]);
  for (int a = 0; a < 3; a++) ck_assert(fabs(tabrl_policy_row(f.pi, 0, 0)[a] - p[a] / z) < 1e-12);
  fixture_end(&f);
  tabrl_mdp_free(m);
}
END_TEST

/* Two contexts (mu0 uniform), two responses, rewards 0 (all entries: the
 * tests feed the rewards to observe() themselves). */
static tabrl_mdp *two_contexts(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  const double mu0[2] = {0.5, 0.5};
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < 2; a++) tabrl_mdp_builder_add(b, 0, s, a, s, 1, 0);
  tabrl_mdp_builder_set_mu0(b, mu0);
  tabrl_mdp_builder_set_time(b, 1, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* bnpo by hand, batch 6, eta 1: context 0 gets (0, 1), (1, 0), (0, 1),
 * p = 2/3; context 1 (0, 0), (1, 1), (1, 0), p = 1/3.  Moments of the p:
 * m = 1/2, v = 1/18 (unbiased), a = b = (m (1 - m) / v - 1) / 2 = 1.75,
 * alpha = beta = 1 + 1.75/3 = 1.583333; f(2/3) = f(1/3) = 1.2263982472
 * (python: x^(al-1) (1-x)^(al-1) Gamma(2 al) / Gamma(al)^2), w = 1/f =
 * 0.8153958164.  Context 0's gradient (1/6) sum A (e_a - 1/2) = (w/9,
 * -w/9), context 1's (-w/18, w/18): pi(0|0) = 1/(1 + exp(-2w/9)) =
 * 0.5451762288, pi(1|1) = 1/(1 + exp(-w/9)) = 0.5226344035. */
START_TEST(test_bnpo_by_hand)
{
  static const int ctx[6] = {0, 1, 0, 1, 0, 1}, act[6] = {0, 0, 1, 1, 0, 1};
  static const double rew[6] = {1, 0, 0, 1, 1, 0};
  tabrl_mdp *m = two_contexts();
  tabrl_setting set[] = {{"batch", "6", NULL, 0}};
  fixture f;
  fixture_start(&f, m, "bnpo", set, 1, 1, 0);
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq(tabrl_algo_observe(f.algo, 0, ctx[i], act[i], rew[i], ctx[i]), 0);
  double alpha, beta;
  tabrl_bnpo_beta(f.algo, &alpha, &beta);
  ck_assert(fabs(alpha - 1.5833333333333333) < 1e-12 && fabs(beta - alpha) < 1e-12);
  ck_assert_int_eq(tabrl_algo_policy(f.algo, f.pi), 0);
  ck_assert(fabs(tabrl_policy_row(f.pi, 0, 0)[0] - 0.5451762288494075) < 1e-9);
  ck_assert(fabs(tabrl_policy_row(f.pi, 0, 1)[1] - 0.5226344034542755) < 1e-9);
  fixture_end(&f);
  tabrl_mdp_free(m);
}
END_TEST

/* One context with a group (and one with a single response, which has no
 * baseline and is left alone): alpha = beta = 1, f = 1, REINFORCE with the
 * group-mean baseline.  Context 0 gets (0, 1), (1, 0), (0, 1), (1, 0): p =
 * 1/2, advantages +-1/2, gradient (1/5) sum A (e_a - 1/2) = (1/5, -1/5)
 * (the mean is over the whole batch of 5), so pi(0|0) = 1/(1 + e^-0.4).
 * Rewards in [-1, 1] mapped by reward_min = -1, reward_max = 1 (the
 * rewards fed are the 0/1 ones mapped back: -1 and 1). */
START_TEST(test_bnpo_reinforce)
{
  static const int ctx[5] = {0, 0, 1, 0, 0}, act[5] = {0, 1, 1, 0, 1};
  static const double rew[5] = {1, -1, 1, 1, -1};
  tabrl_mdp *m = two_contexts();
  tabrl_setting set[] = {
      {"batch", "5", NULL, 0}, {"reward_min", "-1", NULL, 0}, {"reward_max", "1", NULL, 0}};
  fixture f;
  fixture_start(&f, m, "bnpo", set, 3, 1, 0);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(tabrl_algo_observe(f.algo, 0, ctx[i], act[i], rew[i], ctx[i]), 0);
  double alpha, beta;
  tabrl_bnpo_beta(f.algo, &alpha, &beta);
  ck_assert(alpha == 1 && beta == 1);
  ck_assert_int_eq(tabrl_algo_policy(f.algo, f.pi), 0);
  ck_assert(fabs(tabrl_policy_row(f.pi, 0, 0)[0] - 1 / (1 + exp(-0.4))) < 1e-12);
  ck_assert(tabrl_policy_row(f.pi, 0, 1)[0] == 0.5);
  fixture_end(&f);
  tabrl_mdp_free(m);
}
END_TEST

/* A reward outside [reward_min, reward_max] is an error naming both. */
START_TEST(test_bnpo_reward_range)
{
  tabrl_mdp *m = two_contexts();
  tabrl_setting set[] = {{"batch", "2", NULL, 0}};
  fixture f;
  fixture_start(&f, m, "bnpo", set, 1, 1, 0);
  ck_assert_int_eq(tabrl_algo_observe(f.algo, 0, 0, 0, 1, 0), 0);
  ck_assert_int_eq(tabrl_algo_observe(f.algo, 0, 0, 1, 2, 0), TABRL_EINVAL);
  ck_assert_msg(strstr(tabrl_error_message(), "reward 2 outside [reward_min, reward_max] = [0, 1]"),
                "%s", tabrl_error_message());
  fixture_end(&f);
  tabrl_mdp_free(m);
}
END_TEST

/* Fixed-seed bounds on a Bernoulli contextual bandit (3 contexts, 4 arms,
 * env seed 0), 4000 episodes, batch 16 (250 updates):
 * - rpg, reverse KL to the uniform reference, beta = 0.1: its optimum
 *   pi_beta loses at most beta log A to J* (J_beta(pi_beta) >=
 *   J_beta(greedy) = J* - beta log A and KL >= 0), so the final gap J* -
 *   J(pi_K) must be below beta log 4 = 0.139 plus the estimation error;
 *   we allow none;
 * - rebel, eta = 0.5: exact mirror descent's last iterate is within log A
 *   / (eta T) + 1/T of J* after T steps (Agarwal, Kakade, Lee, Mahajan
 *   2021, Theorem 16 with gamma = 0): 0.015 for T = 250; allowed twice
 *   that for the sampled regressions;
 * - bnpo, eta 1: no rate could be read for it, so the bound only says it
 *   learns: its gap below a fifth of the uniform policy's (exact).
 * Measured at this seed: 0.0382, 0.0080, 0.0259 against 0.1386, 0.0302,
 * 0.0614. */
START_TEST(test_klpg_fixed_seed_bounds)
{
  tabrl_setting env[] = {{"contexts", "3", NULL, 0}, {"arms", "4", NULL, 0}};
  tabrl_mdp *m = test_env("contextual-bandit", env, 2);
  double J_star = test_optimal_value(m), *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  tabrl_policy *uniform = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(uniform, m);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, uniform, V), 0);
  double uniform_gap = J_star - tabrl_oracle_start_value(m, V);
  const char *names[3] = {"rpg", "rebel", "bnpo"};
  const double bound[3] = {0.1 * log(4), 2 * (log(4) / (0.5 * 250) + 1.0 / 250), uniform_gap / 5};
  tabrl_setting set[3][2] = {{{"beta", "0.1", NULL, 0}, {"batch", "16", NULL, 0}},
                             {{"eta", "0.5", NULL, 0}, {"batch", "16", NULL, 0}},
                             {{"eta", "1", NULL, 0}, {"batch", "16", NULL, 0}}};
  for (int i = 0; i < 3; i++) {
    fixture f;
    fixture_start(&f, m, names[i], set[i], 2, 11, 0);
    fixture_run(&f, m, 4000);
    ck_assert_int_eq(tabrl_oracle_evaluate(m, f.pi, V), 0);
    double gap = J_star - tabrl_oracle_start_value(m, V);
    ck_assert_msg(gap >= 0 && gap < bound[i], "%s: gap %g, bound %g", names[i], gap, bound[i]);
    fixture_end(&f);
  }
  tabrl_policy_free(uniform);
  free(V);
  tabrl_mdp_free(m);
}
END_TEST

/* Refused when read: a longer horizon. */
START_TEST(test_klpg_needs_one_step)
{
  tabrl_setting env[] = {{"contexts", "2", NULL, 0}, {"horizon", "2", NULL, 0}};
  tabrl_mdp *m = test_env("contextual-bandit", env, 2);
  unsigned char valid[64];
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  tabrl_problem p = test_problem(m, valid, rng, 10, 0);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("rpg"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("rebel"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("bnpo"), &p, NULL), TABRL_EUNSUPPORTED);
  gsl_rng_free(rng);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("klpg");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_rpg_expected_step, 0, 4);
  tcase_add_loop_test(tc, test_rpg_importance_weights, 0, 4);
  tcase_add_loop_test(tc, test_rpg_fixed_point, 0, 4);
  tcase_add_test(tc, test_rpg_optima_differ);
  tcase_add_test(tc, test_rebel_regress_by_hand);
  tcase_add_test(tc, test_rebel_population_is_mirror_descent);
  tcase_add_test(tc, test_rebel_exact_step);
  tcase_add_test(tc, test_bnpo_by_hand);
  tcase_add_test(tc, test_bnpo_reinforce);
  tcase_add_test(tc, test_bnpo_reward_range);
  tcase_add_test(tc, test_klpg_fixed_seed_bounds);
  tcase_add_test(tc, test_klpg_needs_one_step);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
