/* The model builder: every validation error of tabrl_mdp_builder_finish,
 * merging and dropping of entries, the CSR layout and means, the alias
 * tables (chi-square against the exact law, with gsl_ran_discrete as the
 * reference sampler), clone and set_time. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/rng.h"
#include "tabrl/sim.h"

/* A valid 3-state, 2-action stationary model with horizon 5:
 * state 0: a0 -> 1 (r 1); a1 -> 0 or 2 (0.5 each, r 0 / 2)
 * state 1: a0 -> 2 (r 0.5); a1 invalid
 * state 2: a0, a1 -> 2 (r 0). */
static tabrl_mdp_builder *small_builder(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  ck_assert_ptr_nonnull(b);
  tabrl_mdp_builder_set_time(b, 5, 1.0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1.0, 1.0), 0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 0, 1, 2, 0.5, 2.0), 0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 0, 1, 0, 0.5, 0.0), 0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 1, 0, 2, 1.0, 0.5), 0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 2, 0, 2, 1.0, 0.0), 0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 2, 1, 2, 1.0, 0.0), 0);
  return b;
}

/* Finishes b expecting failure with code and a message containing what. */
static void expect_error(tabrl_mdp_builder *b, int code, const char *what)
{
  static tabrl_mdp sentinel;
  tabrl_mdp *m = &sentinel; /* finish must reset it to NULL */
  int status = tabrl_mdp_builder_finish(b, &m);
  ck_assert_int_eq(status, code);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(tabrl_error_message(), what), "message '%s' lacks '%s'",
                tabrl_error_message(), what);
  tabrl_mdp_builder_free(b);
}

static tabrl_mdp *finish_ok(tabrl_mdp_builder *b)
{
  tabrl_mdp *m = NULL;
  int status = tabrl_mdp_builder_finish(b, &m);
  ck_assert_msg(status == 0, "finish failed: %s", tabrl_error_message());
  ck_assert_ptr_nonnull(m);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_valid_model)
{
  tabrl_mdp *m = finish_ok(small_builder());
  ck_assert_int_eq(m->S, 3);
  ck_assert_int_eq(m->A, 2);
  ck_assert_int_eq(m->horizon, 5);
  ck_assert_double_eq(m->gamma, 1.0);
  ck_assert_int_eq(m->stages, 1);
  ck_assert_uint_eq(m->nnz, 6);
  ck_assert_double_eq(m->mu0[0], 1.0);
  ck_assert_double_eq(m->mu0[1], 0.0);
  ck_assert(tabrl_mdp_valid(m, 0, 1, 0));
  ck_assert(!tabrl_mdp_valid(m, 0, 1, 1));
  ck_assert_int_eq(tabrl_mdp_value_stages(m), 5);
  ck_assert_ptr_null(m->phi);
  ck_assert_ptr_null(m->name);
  tabrl_mdp_free(m);
  tabrl_mdp_free(NULL);
  tabrl_mdp_builder_free(NULL);
}
END_TEST

/* A 2x2 preference matrix (action 0 beats action 1 with probability 0.7)
 * and a reference policy survive finish and clone. */
START_TEST(test_preference_fields)
{
  const double P[4] = {0.5, 0.7, 0.3, 0.5}, ref[6] = {0.25, 0.75, 1, 0, 0.5, 0.5};
  tabrl_mdp_builder *b = small_builder();
  ck_assert_int_eq(tabrl_mdp_builder_set_preference(b, P), 0);
  ck_assert_int_eq(tabrl_mdp_builder_set_reference(b, ref), 0);
  tabrl_mdp_builder_set_game_beta(b, 0.1);
  tabrl_mdp *m = finish_ok(b), *c = tabrl_mdp_clone(m);
  ck_assert_ptr_nonnull(c);
  tabrl_mdp_free(m);
  ck_assert_double_eq(c->preference[1], 0.7);
  ck_assert_double_eq(c->preference[2], 0.3);
  ck_assert_double_eq(c->reference[1], 0.75);
  ck_assert_double_eq(c->game_beta, 0.1);
  tabrl_mdp_free(c);
  m = finish_ok(small_builder());
  ck_assert_ptr_null(m->preference);
  ck_assert_ptr_null(m->reference);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_bad_preferences)
{
  const double not_sum[4] = {0.5, 0.7, 0.4, 0.5}, diag[4] = {0.6, 0.7, 0.3, 0.4};
  const double range[4] = {0.5, 1.2, -0.2, 0.5}, ref[6] = {0.25, 0.7, 1, 0, 0.5, 0.5};
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_set_preference(b, not_sum);
  expect_error(b, TABRL_EINVAL, "P(0, 1) + P(1, 0) = 1.1");
  b = small_builder();
  tabrl_mdp_builder_set_preference(b, diag);
  expect_error(b, TABRL_EINVAL, "the diagonal must be 1/2");
  b = small_builder();
  tabrl_mdp_builder_set_preference(b, range);
  expect_error(b, TABRL_EINVAL, "P(0, 1) = 1.2 is not a probability");
  b = small_builder();
  tabrl_mdp_builder_set_reference(b, ref);
  expect_error(b, TABRL_EINVAL, "reference policy at state 0 sums to 0.94999");
  b = small_builder();
  tabrl_mdp_builder_set_game_beta(b, -1);
  expect_error(b, TABRL_EINVAL, "beta = -1 must be >= 0");
}
END_TEST

START_TEST(test_softmax)
{
  const double logits[3] = {1000, 1000 + log(2.0), 1000 - INFINITY};
  double p[3];
  tabrl_softmax(logits, 3, p);
  ck_assert_double_eq_tol(p[0], 1.0 / 3, 1e-12);
  ck_assert_double_eq_tol(p[1], 2.0 / 3, 1e-12);
  ck_assert_double_eq(p[2], 0);
}
END_TEST

START_TEST(test_negative_probability)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, -0.25, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 1.25, 0.0);
  expect_error(b, TABRL_EINVAL, "state 1, action 1, next state 0: probability is not in [0,1]");
}
END_TEST

START_TEST(test_nan_probability)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 2, NAN, 0.0);
  expect_error(b, TABRL_EINVAL, "state 1, action 1, next state 2: probability is not in [0,1]");
}
END_TEST

START_TEST(test_infinite_probability)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 2, INFINITY, 0.0);
  expect_error(b, TABRL_EINVAL, "probability is not in [0,1]");
}
END_TEST

START_TEST(test_nan_reward)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 2, 1.0, NAN);
  expect_error(b, TABRL_EINVAL, "state 1, action 1, next state 2: reward is nan");
}
END_TEST

START_TEST(test_infinite_reward)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 2, 1.0, -INFINITY);
  expect_error(b, TABRL_EINVAL, "reward is -inf");
}
END_TEST

START_TEST(test_sum_beyond_tolerance)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 0.5, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5 + 1e-11, 0.0);
  expect_error(b, TABRL_EINVAL, "state 1, action 1: probabilities sum to 1.00000000001");
}
END_TEST

START_TEST(test_sum_short_of_one)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 0.9, 0.0);
  expect_error(b, TABRL_EINVAL, "state 1, action 1: probabilities sum to 0.9");
}
END_TEST

START_TEST(test_sum_within_tolerance)
{
  /* 1e-13 off is rounding, not a modelling error: accepted as is. */
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 0.5, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 1, 0.5 + 1e-13, 0.0);
  tabrl_mdp *m = finish_ok(b);
  size_t k = m->row[tabrl_mdp_block(m, 0, 1, 1)];
  ck_assert_double_eq(m->prob[k] + m->prob[k + 1], 0.5 + (0.5 + 1e-13));
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_index_out_of_range)
{
  static const int bad[][4] = {/* h, s, a, next */
                               {0, 3, 0, 0},  {0, -1, 0, 0}, {0, 0, 2, 0},
                               {0, 0, -1, 0}, {0, 0, 0, 3},  {0, 0, 0, -2}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tabrl_mdp_builder *b = small_builder();
    char expected[96];
    ck_assert_int_eq(tabrl_mdp_builder_add(b, bad[i][0], bad[i][1], bad[i][2], bad[i][3], 1, 0),
                     TABRL_EINVAL);
    /* A valid add afterwards does not hide the bad one. */
    ck_assert_int_eq(tabrl_mdp_builder_add(b, 0, 1, 1, 0, 1.0, 0.0), 0);
    snprintf(expected, sizeof expected, "outcome (h=0, s=%d, a=%d, s'=%d) out of range", bad[i][1],
             bad[i][2], bad[i][3]);
    expect_error(b, TABRL_EINVAL, expected);
  }
}
END_TEST

START_TEST(test_stage_out_of_range)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 2);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 1, 0, 0, 0, 1.0, 0.0);
  ck_assert_int_eq(tabrl_mdp_builder_add(b, 2, 0, 0, 0, 1.0, 0.0), TABRL_EINVAL);
  expect_error(b, TABRL_EINVAL, "outcome (h=2, s=0, a=0, s'=0) out of range (2 stages");
}
END_TEST

START_TEST(test_state_without_action)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 1);
  tabrl_mdp_builder_set_time(b, 0, 0.9);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 2, 0, 0, 1.0, 0.0);
  expect_error(b, TABRL_EINVAL, "state 1 has no valid action");
}
END_TEST

START_TEST(test_state_with_only_zero_mass)
{
  /* Zero-probability entries are dropped, so they do not make an action valid. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 1);
  tabrl_mdp_builder_set_time(b, 3, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 0, 0.0, 0.0);
  expect_error(b, TABRL_EINVAL, "state 1 has no valid action");
}
END_TEST

START_TEST(test_stage_without_action)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 3);
  tabrl_mdp_builder_set_time(b, 3, 1.0);
  for (int h = 0; h < 3; h++)
    for (int s = 0; s < 2; s++)
      if (h != 2 || s != 1) tabrl_mdp_builder_add(b, h, s, 0, s, 1.0, 0.0);
  expect_error(b, TABRL_EINVAL, "stage 2, state 1 has no valid action");
}
END_TEST

START_TEST(test_time_unset)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  expect_error(b, TABRL_EINVAL, "neither a horizon nor a discount factor");
}
END_TEST

START_TEST(test_negative_horizon)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_set_time(b, -3, 0.9);
  expect_error(b, TABRL_EINVAL, "horizon -3 must be >= 1");
}
END_TEST

START_TEST(test_bad_gamma)
{
  static const double bad[] = {1.0, 1.5, -0.1, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tabrl_mdp_builder *b = small_builder();
    tabrl_mdp_builder_set_time(b, 0, bad[i]);
    expect_error(b, TABRL_EINVAL, "must be in [0,1)");
  }
  /* gamma is ignored when episodic, and 0 is a valid discount. */
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_set_time(b, 4, 7.0);
  tabrl_mdp *m = finish_ok(b);
  ck_assert_double_eq(m->gamma, 1.0);
  tabrl_mdp_free(m);
  b = small_builder();
  tabrl_mdp_builder_set_time(b, 0, 0.0);
  m = finish_ok(b);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.0);
  ck_assert_int_eq(tabrl_mdp_value_stages(m), 1);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_bad_mu0)
{
  static const double negative[3] = {1.5, -0.5, 0.0}, short_sum[3] = {0.5, 0.4, 0.0},
                      with_nan[3] = {NAN, 1.0, 0.0}, good[3] = {0.25, 0.0, 0.75};
  tabrl_mdp_builder *b = small_builder();
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(b, negative), 0);
  expect_error(b, TABRL_EINVAL, "mu0(1) = -0.5 is not a probability");
  b = small_builder();
  tabrl_mdp_builder_set_mu0(b, with_nan);
  expect_error(b, TABRL_EINVAL, "mu0(0) = nan is not a probability");
  b = small_builder();
  tabrl_mdp_builder_set_mu0(b, short_sum);
  expect_error(b, TABRL_EINVAL, "initial distribution sums to 0.9");
  b = small_builder();
  tabrl_mdp_builder_set_mu0(b, good);
  tabrl_mdp *m = finish_ok(b);
  ck_assert_mem_eq(m->mu0, good, sizeof good);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_bad_noise)
{
  tabrl_mdp_builder *b = small_builder();
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_GAUSSIAN, 0.0, 0.0});
  expect_error(b, TABRL_EINVAL, "reward noise scale 0 must be > 0");
  b = small_builder();
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_GAUSSIAN, NAN, 0.0});
  expect_error(b, TABRL_EINVAL, "reward noise scale nan must be > 0");
  b = small_builder();
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_STUDENT_T, 1.0, 1.0});
  expect_error(b, TABRL_EINVAL, "reward noise shape 1 must be > 1");
  b = small_builder();
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_PARETO, 1.0, 0.5});
  expect_error(b, TABRL_EINVAL, "reward noise shape 0.5 must be > 1");
  /* The Gaussian has no shape: any value is fine. */
  b = small_builder();
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_GAUSSIAN, 0.5, -3.0});
  tabrl_mdp *m = finish_ok(b);
  ck_assert_int_eq(m->noise.kind, TABRL_NOISE_GAUSSIAN);
  ck_assert_double_eq(m->noise.scale, 0.5);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_stages_need_matching_horizon)
{
  static const int horizons[] = {2, 4, 0};
  for (size_t i = 0; i < 3; i++) {
    tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 3);
    for (int h = 0; h < 3; h++) tabrl_mdp_builder_add(b, h, 0, 0, 0, 1.0, 0.0);
    tabrl_mdp_builder_set_time(b, horizons[i], 0.5);
    expect_error(b, TABRL_EINVAL, "stage-dependent model with 3 stages needs horizon 3");
  }
}
END_TEST

START_TEST(test_bad_sizes)
{
  ck_assert_ptr_null(tabrl_mdp_builder_alloc(0, 2, 1));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "model sizes must be >= 1"));
  ck_assert_ptr_null(tabrl_mdp_builder_alloc(2, -1, 1));
  ck_assert_ptr_null(tabrl_mdp_builder_alloc(2, 2, 0));
  ck_assert_ptr_null(tabrl_mdp_builder_alloc(100000, 100000, 1));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "model too large"));
}
END_TEST

START_TEST(test_bad_features)
{
  double phi[3 * 2] = {0, 1, 2, 3, NAN, 5};
  tabrl_mdp_builder *b = small_builder();
  ck_assert_int_eq(tabrl_mdp_builder_set_features(b, 0, phi, NULL), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_mdp_builder_set_features(b, 1, phi, NULL), 0);
  expect_error(b, TABRL_EINVAL, "non-finite value at index 4");
}
END_TEST

START_TEST(test_merge_and_drop)
{
  /* Exact repeats of (s, a, s', r) add up; a different r stays separate
   * (a joint law); zero mass disappears. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 1);
  tabrl_mdp_builder_set_time(b, 0, 0.5);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.25, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 0.0, 7.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.25, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 1, 0.5, 2.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 0, 0.0, 0.0);
  tabrl_mdp *m = finish_ok(b);
  ck_assert_uint_eq(m->nnz, 3);
  ck_assert_uint_eq(m->row[0], 0);
  ck_assert_uint_eq(m->row[1], 2);
  ck_assert_uint_eq(m->row[2], 3);
  ck_assert_int_eq(m->next[0], 1);
  ck_assert_double_eq(m->prob[0], 0.5);
  ck_assert_double_eq(m->reward[0], 1.0);
  ck_assert_int_eq(m->next[1], 1);
  ck_assert_double_eq(m->prob[1], 0.5);
  ck_assert_double_eq(m->reward[1], 2.0);
  ck_assert_int_eq(m->next[2], 1);
  ck_assert_double_eq(m->prob[2], 1.0);
  ck_assert_double_eq(m->gamma, 0.5);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_mean_reward)
{
  tabrl_mdp *m = finish_ok(small_builder());
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 0, 0)], 1.0);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 0, 1)], 1.0);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 1, 0)], 0.5);
  ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 1, 1)], 0.0);
  tabrl_mdp_free(m);

  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_set_time(b, 1, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 0.3, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 0.7, -2.0);
  m = finish_ok(b);
  ck_assert_double_eq_tol(m->mean_reward[0], 0.3 - 1.4, 1e-15);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_csr_layout)
{
  /* Entries added in scrambled order come out in block order, sorted by
   * (s', r) inside a block; stage-dependent blocks are (h*S + s)*A + a. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 2);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  tabrl_mdp_builder_add(b, 1, 1, 1, 0, 1.0, 3.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 0.5, 2.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 0, 0.25, 5.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 0.25, -1.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 1, 0, 0, 0, 1.0, 4.0);
  tabrl_mdp *m = finish_ok(b);
  static const size_t row[9] = {0, 0, 3, 4, 4, 5, 5, 5, 6};
  static const int next[6] = {0, 1, 1, 1, 0, 0};
  static const double prob[6] = {0.25, 0.25, 0.5, 1, 1, 1}, reward[6] = {5, -1, 2, 0, 4, 3};
  ck_assert_int_eq(m->stages, 2);
  ck_assert_uint_eq(m->nnz, 6);
  ck_assert_mem_eq(m->row, row, sizeof row);
  ck_assert_mem_eq(m->next, next, sizeof next);
  ck_assert_mem_eq(m->prob, prob, sizeof prob);
  ck_assert_mem_eq(m->reward, reward, sizeof reward);
  ck_assert_uint_eq(tabrl_mdp_block(m, 1, 1, 1), 7);
  ck_assert_uint_eq(tabrl_mdp_block(m, 0, 1, 0), 2);
  ck_assert(!tabrl_mdp_valid(m, 1, 0, 1));
  ck_assert(tabrl_mdp_valid(m, 1, 0, 0));
  tabrl_mdp_free(m);

  /* Stationary blocks ignore h. */
  m = finish_ok(small_builder());
  ck_assert_uint_eq(tabrl_mdp_block(m, 3, 2, 1), tabrl_mdp_block(m, 0, 2, 1));
  ck_assert_uint_eq(tabrl_mdp_block(m, 0, 2, 1), 5);
  tabrl_mdp_free(m);
}
END_TEST

/* A 5-entry block with unequal probabilities, in state 0 of a 5-state
 * model (other states loop). */
static const double alias_probs[5] = {0.05, 0.1, 0.2, 0.3, 0.35};
enum { DRAWS = 1000000 };

static double chi_square(const long *count)
{
  double chi2 = 0;
  for (int k = 0; k < 5; k++) {
    double expected = DRAWS * alias_probs[k];
    chi2 += (count[k] - expected) * (count[k] - expected) / expected;
  }
  return chi2;
}

START_TEST(test_alias_chi_square)
{
  /* 10^6 draws, 4 degrees of freedom: P(chi2 > 18.47) = 0.001. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(5, 1, 1);
  long count[5] = {0};
  tabrl_pcg32 rng;
  tabrl_mdp_builder_set_time(b, 0, 0.9);
  /* Added in a scrambled order so the block is not trivially laid out. */
  for (int k = 4; k >= 0; k--) tabrl_mdp_builder_add(b, 0, 0, 0, (k * 3) % 5, 0, 0);
  for (int k = 0; k < 5; k++) tabrl_mdp_builder_add(b, 0, 0, 0, k, alias_probs[k], k);
  for (int s = 1; s < 5; s++) tabrl_mdp_builder_add(b, 0, s, 0, s, 1.0, 0.0);
  tabrl_mdp *m = finish_ok(b);
  ck_assert_uint_eq(m->row[1] - m->row[0], 5);
  tabrl_rng_stream(&rng, 2024, TABRL_STREAM_TRANSITIONS, 0);
  for (int i = 0; i < DRAWS; i++) {
    size_t e = tabrl_mdp_sample_entry(m, 0, &rng);
    ck_assert(e < 5);
    count[m->next[e]]++;
  }
  ck_assert_double_lt(chi_square(count), 18.47);
  /* tabrl_mdp_step returns the same entry's state and reward. */
  double reward;
  int next = tabrl_mdp_step(m, 0, 0, 0, &rng, &reward);
  ck_assert_double_eq(reward, next);
  /* A one-entry block always returns its entry. */
  for (int i = 0; i < 100; i++) ck_assert_uint_eq(tabrl_mdp_sample_entry(m, 3, &rng), 7);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_gsl_discrete_reference)
{
  /* GSL's Walker sampler, the reference the simulator's speed is compared
   * with (README.md, Performance), passes the same test. */
  long count[5] = {0};
  gsl_rng *r = tabrl_gsl_rng_stream(2024, TABRL_STREAM_TRANSITIONS, 0);
  gsl_ran_discrete_t *table = gsl_ran_discrete_preproc(5, alias_probs);
  ck_assert_ptr_nonnull(r);
  ck_assert_ptr_nonnull(table);
  for (int i = 0; i < DRAWS; i++) count[gsl_ran_discrete(r, table)]++;
  ck_assert_double_lt(chi_square(count), 18.47);
  gsl_ran_discrete_free(table);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_clone)
{
  static const char cells[6] = {'.', '#', 'G', '.', '.', 'S'};
  static const int state_of_cell[6] = {0, -1, 1, 2, -1, -1};
  double phi[3 * 2 * 2], theta[2] = {0.5, -1};
  double mu0[3] = {0.5, 0.5, 0};
  for (int i = 0; i < 12; i++) phi[i] = i / 7.0;
  tabrl_mdp_builder *b = small_builder();
  ck_assert_int_eq(tabrl_mdp_builder_set_features(b, 2, phi, theta), 0);
  ck_assert_int_eq(tabrl_mdp_builder_set_grid(b, 2, 3, cells, state_of_cell, "<>"), 0);
  ck_assert_int_eq(tabrl_mdp_builder_set_name(b, "small"), 0);
  ck_assert_int_eq(tabrl_mdp_builder_set_mu0(b, mu0), 0);
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_STUDENT_T, 0.1, 3});
  tabrl_mdp *m = finish_ok(b);
  tabrl_mdp *c = tabrl_mdp_clone(m);
  size_t blocks = (size_t)m->stages * m->S * m->A;
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->S, m->S);
  ck_assert_int_eq(c->A, m->A);
  ck_assert_int_eq(c->horizon, m->horizon);
  ck_assert_double_eq(c->gamma, m->gamma);
  ck_assert_int_eq(c->stages, m->stages);
  ck_assert_uint_eq(c->nnz, m->nnz);
  ck_assert_int_eq(c->dim, 2);
  ck_assert_ptr_ne(c->row, m->row);
  ck_assert_ptr_ne(c->phi, m->phi);
  ck_assert_ptr_ne(c->grid, m->grid);
  ck_assert_mem_eq(c->row, m->row, (blocks + 1) * sizeof *m->row);
  ck_assert_mem_eq(c->next, m->next, m->nnz * sizeof *m->next);
  ck_assert_mem_eq(c->prob, m->prob, m->nnz * sizeof *m->prob);
  ck_assert_mem_eq(c->reward, m->reward, m->nnz * sizeof *m->reward);
  ck_assert_mem_eq(c->mean_reward, m->mean_reward, blocks * sizeof *m->mean_reward);
  ck_assert_mem_eq(c->sampler, m->sampler, m->nnz * sizeof *c->sampler);
  ck_assert_uint_eq(c->uniform_run, m->uniform_run);
  ck_assert_mem_eq(c->mu0, mu0, sizeof mu0);
  ck_assert_mem_eq(c->phi, phi, sizeof phi);
  ck_assert_mem_eq(c->theta, theta, sizeof theta);
  ck_assert_str_eq(c->name, "small");
  ck_assert_int_eq(c->noise.kind, TABRL_NOISE_STUDENT_T);
  ck_assert_double_eq(c->noise.shape, 3);
  ck_assert_int_eq(c->grid->rows, 2);
  ck_assert_int_eq(c->grid->cols, 3);
  ck_assert_mem_eq(c->grid->cells, cells, sizeof cells);
  ck_assert_mem_eq(c->grid->state_of_cell, state_of_cell, sizeof state_of_cell);
  ck_assert_str_eq(c->grid->action_glyphs, "<>");
  /* The copy is independent. */
  tabrl_mdp_free(m);
  ck_assert_double_eq(c->prob[0], 1.0);
  tabrl_mdp_free(c);

  /* A bare model (no features, grid or name) clones too. */
  m = finish_ok(small_builder());
  c = tabrl_mdp_clone(m);
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_null(c->phi);
  ck_assert_ptr_null(c->theta);
  ck_assert_ptr_null(c->grid);
  ck_assert_ptr_null(c->name);
  ck_assert_mem_eq(c->sampler, m->sampler, m->nnz * sizeof *m->sampler);
  tabrl_mdp_free(m);
  tabrl_mdp_free(c);
}
END_TEST

START_TEST(test_set_time)
{
  tabrl_mdp *m = finish_ok(small_builder());
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 0.95), 0);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.95);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 7, 0.3), 0);
  ck_assert_int_eq(m->horizon, 7);
  ck_assert_double_eq(m->gamma, 1.0);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 1.0), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "gamma = 1 must be in [0,1)"));
  ck_assert_int_eq(tabrl_mdp_set_time(m, -1, 0.5), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "horizon -1 must be >= 1"));
  /* A failed call leaves the model as it was. */
  ck_assert_int_eq(m->horizon, 7);
  ck_assert_double_eq(m->gamma, 1.0);
  tabrl_mdp_free(m);

  /* Stage-dependent models keep their horizon. */
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 2);
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 1, 0, 0, 0, 1.0, 1.0);
  m = finish_ok(b);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 3, 1.0), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs horizon 2"));
  ck_assert_int_eq(tabrl_mdp_set_time(m, 0, 0.9), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_mdp_set_time(m, 2, 1.0), 0);
  ck_assert_int_eq(m->horizon, 2);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("mdp");
  TCase *validation = tcase_create("validation");
  TCase *layout = tcase_create("layout");
  TCase *sampling = tcase_create("sampling");
  tcase_set_timeout(sampling,
                    120); /* millions of draws; slow under a sanitizer on a busy machine */
  tcase_add_test(validation, test_valid_model);
  tcase_add_test(validation, test_negative_probability);
  tcase_add_test(validation, test_nan_probability);
  tcase_add_test(validation, test_infinite_probability);
  tcase_add_test(validation, test_nan_reward);
  tcase_add_test(validation, test_infinite_reward);
  tcase_add_test(validation, test_sum_beyond_tolerance);
  tcase_add_test(validation, test_sum_short_of_one);
  tcase_add_test(validation, test_sum_within_tolerance);
  tcase_add_test(validation, test_index_out_of_range);
  tcase_add_test(validation, test_stage_out_of_range);
  tcase_add_test(validation, test_state_without_action);
  tcase_add_test(validation, test_state_with_only_zero_mass);
  tcase_add_test(validation, test_stage_without_action);
  tcase_add_test(validation, test_time_unset);
  tcase_add_test(validation, test_negative_horizon);
  tcase_add_test(validation, test_bad_gamma);
  tcase_add_test(validation, test_bad_mu0);
  tcase_add_test(validation, test_bad_noise);
  tcase_add_test(validation, test_stages_need_matching_horizon);
  tcase_add_test(validation, test_bad_sizes);
  tcase_add_test(validation, test_bad_features);
  tcase_add_test(validation, test_bad_preferences);
  tcase_add_test(layout, test_preference_fields);
  tcase_add_test(layout, test_softmax);
  tcase_add_test(layout, test_merge_and_drop);
  tcase_add_test(layout, test_mean_reward);
  tcase_add_test(layout, test_csr_layout);
  tcase_add_test(layout, test_clone);
  tcase_add_test(layout, test_set_time);
  tcase_add_test(sampling, test_alias_chi_square);
  tcase_add_test(sampling, test_gsl_discrete_reference);
  suite_add_tcase(s, validation);
  suite_add_tcase(s, layout);
  suite_add_tcase(s, sampling);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
