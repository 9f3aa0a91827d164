/* The protocol layer: tabrl_algo_* dispatch (its rules on optional
 * functions, action validity, policy rows, error context) and the online
 * episode driver, with small fake algorithm types whose misbehaviour is
 * chosen by the test. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "run/run_eval.h"

/* A fake online algorithm: acts `action` everywhere, or `bad_action` at
 * stage 1; its policy puts `mass` on action 0; observe fails on demand. */
typedef struct {
  int action, bad_action, fail_observe;
  double mass;
  long observed, begun, ended;
  double reward_sum;
} fake_state;

static fake_state fake_config;

static int fake_init(void *state, const tabrl_problem *p, const tabrl_values *v)
{
  (void)p;
  (void)v;
  *(fake_state *)state = fake_config;
  return 0;
}
static int fake_act(void *state, int h, int s)
{
  const fake_state *st = state;
  (void)s;
  return h == 1 && st->bad_action >= 0 ? st->bad_action : st->action;
}
static int fake_observe(void *state, int h, int s, int a, double r, int next)
{
  fake_state *st = state;
  (void)h, (void)s, (void)a, (void)next;
  st->observed++;
  st->reward_sum += r;
  return st->fail_observe ? tabrl_error(TABRL_ENOMEM, "out of memory") : 0;
}
static int fake_begin(void *state, long k)
{
  (void)k;
  ((fake_state *)state)->begun++;
  return 0;
}
static int fake_end(void *state, long k)
{
  (void)k;
  ((fake_state *)state)->ended++;
  return 0;
}
static int fake_policy(void *state, tabrl_policy *pi)
{
  const fake_state *st = state;
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      for (int a = 0; a < pi->A; a++) row[a] = 0;
      row[0] = st->mass;
      row[1] = 1 - st->mass;
    }
  return 0;
}

static const tabrl_param no_params[] = {{0}};
static const tabrl_algo_type fake_type = {
    .name = "fake",
    .family = "test",
    .doc = "",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = no_params,
    .state_size = sizeof(fake_state),
    .init = fake_init,
    .policy = fake_policy,
    .begin_episode = fake_begin,
    .act = fake_act,
    .observe = fake_observe,
    .end_episode = fake_end,
};

static tabrl_mdp *river(void)
{
  tabrl_setting set[] = {{"states", "4", "test", 0}, {"horizon", "5", "test", 0}};
  return test_env("riverswim", set, 2);
}

static tabrl_algo *fake(const tabrl_mdp *m, unsigned char *valid, fake_state config)
{
  fake_config = config;
  tabrl_problem p = test_problem(m, valid, NULL, 10, 0);
  tabrl_algo *algo = tabrl_algo_alloc(&fake_type, &p, NULL);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  return algo;
}

START_TEST(test_type_needs_its_protocol_functions)
{
  tabrl_mdp *m = river();
  unsigned char valid[64];
  tabrl_problem p = test_problem(m, valid, NULL, 10, 0);
  tabrl_algo_type no_act = fake_type;
  no_act.act = NULL;
  ck_assert_ptr_null(tabrl_algo_alloc(&no_act, &p, NULL));
  ck_assert_str_eq(tabrl_error_message(), "algorithm fake (online) has no act()");
  tabrl_algo_type planner = fake_type;
  planner.protocol = TABRL_PLANNING;
  ck_assert_ptr_null(tabrl_algo_alloc(&planner, &p, NULL));
  ck_assert_str_eq(tabrl_error_message(), "algorithm fake (planning) has no iterate()");
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_calls_outside_the_protocol)
{
  tabrl_mdp *m = river();
  unsigned char valid[64];
  tabrl_algo *algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0});
  ck_assert_int_eq(tabrl_algo_iterate(algo, 1), TABRL_EUNSUPPORTED);
  ck_assert_str_eq(tabrl_error_message(), "fake: iterate() is not part of the online protocol");
  ck_assert_int_eq(tabrl_algo_fit(algo, NULL), TABRL_EUNSUPPORTED);
  ck_assert_int_eq(tabrl_algo_propose(algo, 1, NULL, NULL), TABRL_EUNSUPPORTED);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_episode_counts_and_return)
{
  /* Always "right" on RiverSwim(4), H = 5: five steps, one begin and one
   * end per episode, and the return is the sum of the observed rewards. */
  tabrl_mdp *m = river();
  unsigned char valid[64];
  tabrl_algo *algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0});
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_step steps[5];
  gsl_rng *rng = tabrl_gsl_rng_stream(3, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_episode ep = {.committed = pi, .steps = steps};
  const fake_state *st = algo->state;
  double total = 0;
  for (long k = 1; k <= 3; k++) {
    ck_assert_int_eq(tabrl_episode_online(algo, m, k, rng, &ep), 0);
    ck_assert_int_eq(ep.has_committed, 1);
    for (int h = 0; h < 5; h++) {
      ck_assert_int_eq(steps[h].h, h);
      ck_assert_int_eq(steps[h].a, 1);
      if (h) ck_assert_int_eq(steps[h].s, steps[h - 1].next);
    }
    total += ep.ret;
  }
  ck_assert_int_eq(st->observed, 15);
  ck_assert_int_eq(st->begun, 3);
  ck_assert_int_eq(st->ended, 3);
  ck_assert_double_eq(st->reward_sum, total);
  ck_assert_double_eq(tabrl_policy_row(pi, 2, 1)[1], 1.0);
  gsl_rng_free(rng);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

/* A full-information fake: sums the revealed reward table. */
static double revealed_sum;
static long revealed_k;
static int fake_observe_rewards(void *state, long k, const double *reward)
{
  (void)state;
  revealed_k = k;
  revealed_sum = 0;
  for (int i = 0; i < 5 * 4 * 2; i++) revealed_sum += reward[i];
  return 0;
}

START_TEST(test_episode_reveals_rewards)
{
  /* RiverSwim(4), H = 5: the table holds every (h, s, a) mean reward,
   * stage by stage (the model is stationary: 5 copies of its S A means). */
  tabrl_mdp *m = river();
  unsigned char valid[64];
  tabrl_algo_type full = fake_type;
  full.observe_rewards = fake_observe_rewards;
  fake_config = (fake_state){.action = 1, .bad_action = -1, .mass = 0};
  tabrl_problem p = test_problem(m, valid, NULL, 10, 0);
  tabrl_algo *algo = tabrl_algo_alloc(&full, &p, NULL);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  double table[5 * 4 * 2], stage_sum = 0;
  tabrl_mdp_reward_table(m, table);
  for (int s = 0; s < 4; s++)
    for (int a = 0; a < 2; a++) {
      double mean = m->mean_reward[tabrl_mdp_block(m, 0, s, a)];
      stage_sum += mean;
      for (int h = 0; h < 5; h++) ck_assert_double_eq(table[(h * 4 + s) * 2 + a], mean);
    }
  ck_assert(stage_sum > 0);
  gsl_rng *rng = tabrl_gsl_rng_stream(3, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_episode ep = {.rewards = table};
  ck_assert_int_eq(tabrl_episode_online(algo, m, 7, rng, &ep), 0);
  ck_assert_int_eq(revealed_k, 7);
  ck_assert_double_eq_tol(revealed_sum, 5 * stage_sum, 1e-12);
  /* without the table the learner cannot be served */
  ep.rewards = NULL;
  ck_assert_int_eq(tabrl_episode_online(algo, m, 8, rng, &ep), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs the episode's reward function"));
  gsl_rng_free(rng);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_episode_rejects_bad_actions)
{
  tabrl_mdp *m = river();
  unsigned char valid[64];
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  gsl_rng *rng = tabrl_gsl_rng_stream(3, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_episode ep = {.committed = pi};
  /* out of range at stage 1 */
  tabrl_algo *algo = fake(m, valid, (fake_state){.action = 1, .bad_action = 7, .mass = 0});
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, rng, &ep), TABRL_EINVAL);
  ck_assert_ptr_nonnull(
      strstr(tabrl_error_message(), "fake: act() returned action 7, not valid at stage 1"));
  tabrl_algo_free(algo);
  /* valid, but outside the committed policy (all mass on action 1) */
  algo = fake(m, valid, (fake_state){.action = 1, .bad_action = 0, .mass = 0});
  ck_assert_int_eq(tabrl_episode_online(algo, m, 4, rng, &ep), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "outside the policy it committed to for "
                                                      "episode 4"));
  ck_assert_int_eq(ep.full_support, 0);
  tabrl_algo_free(algo);
  /* a table with mass on every valid action takes any valid action
   * without a per-step lookup */
  algo = fake(m, valid, (fake_state){.action = 1, .bad_action = 0, .mass = 0.25});
  ck_assert_int_eq(tabrl_episode_online(algo, m, 5, rng, &ep), 0);
  ck_assert_int_eq(ep.full_support, 1);
  tabrl_algo_free(algo);
  /* without a committed table the same actions pass */
  algo = fake(m, valid, (fake_state){.action = 1, .bad_action = 0, .mass = 0});
  ep.committed = NULL;
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, rng, &ep), 0);
  ck_assert_int_eq(ep.has_committed, 0);
  tabrl_algo_free(algo);
  /* observe's failure comes back with its context */
  algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0, .fail_observe = 1});
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, rng, &ep), TABRL_ENOMEM);
  ck_assert_str_eq(tabrl_error_message(), "fake: observe(): out of memory");
  tabrl_algo_free(algo);
  gsl_rng_free(rng);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_policy_rows_checked)
{
  tabrl_mdp *m = river();
  unsigned char valid[64];
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_algo *algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0.25});
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  ck_assert_double_eq(tabrl_policy_row(pi, 4, 3)[0], 0.25);
  /* mass on both (valid) actions of every row: full support */
  int full = -1;
  ck_assert_int_eq(tabrl_algo_policy_support(algo, pi, &full), 0);
  ck_assert_int_eq(full, 1);
  tabrl_algo_free(algo);
  algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0});
  ck_assert_int_eq(tabrl_algo_policy_support(algo, pi, &full), 0);
  ck_assert_int_eq(full, 0);
  tabrl_algo_free(algo);
  /* a mass of 1.5 on action 0 (and -0.5 on action 1) is refused */
  algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 1.5});
  full = -1;
  ck_assert_int_eq(tabrl_algo_policy_support(algo, pi, &full), TABRL_EINVAL);
  ck_assert_int_eq(full, 0);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), TABRL_EINVAL);
  ck_assert_str_eq(tabrl_error_message(),
                   "fake: policy(): policy at stage 0, state 0: pi(0) = 1.5 is not a probability");
  /* a table of the wrong shape is refused before the algorithm writes */
  tabrl_policy *small = tabrl_policy_alloc(4, 2, 1);
  ck_assert_int_eq(tabrl_algo_policy(algo, small), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs 4 x 2 with 5"));
  tabrl_policy_free(small);
  tabrl_algo_free(algo);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_noise_reaches_the_algorithm)
{
  /* A bandit with Gaussian noise: the driver adds the model's noise to
   * each reward, so the observed rewards are not the model's 0/1 values,
   * and the return is still their sum. */
  tabrl_setting set[] = {{"arms", "2", "test", 0}, {"kind", "gaussian", "test", 0}};
  tabrl_mdp *m = test_env("bandit", set, 2);
  unsigned char valid[8];
  tabrl_algo *algo = fake(m, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0});
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_step step;
  tabrl_episode ep = {.steps = &step};
  int fractional = 0;
  for (long k = 1; k <= 20; k++) {
    ck_assert_int_eq(tabrl_episode_online(algo, m, k, rng, &ep), 0);
    ck_assert_double_eq(ep.ret, step.reward);
    fractional += ep.ret != floor(ep.ret);
  }
  ck_assert_int_eq(fractional, 20);
  gsl_rng_free(rng);
  tabrl_algo_free(algo);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_discounted_model_refused)
{
  tabrl_setting set[] = {{"states", "4", "test", 0}, {"gamma", "0.9", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 2);
  unsigned char valid[64];
  /* The protocol's need (tabrl_algo_check), before init. */
  tabrl_problem p = test_problem(m, valid, NULL, 10, 0);
  ck_assert_ptr_null(tabrl_algo_alloc(&fake_type, &p, NULL));
  ck_assert_str_eq(tabrl_error_message(), "fake is an online algorithm: the env must be episodic "
                                          "(set horizon), not discounted (gamma = 0.9)");
  /* The episode driver refuses it too, for an algorithm made for another
   * problem. */
  tabrl_setting episodic[] = {{"states", "4", "test", 0}, {"horizon", "5", "test", 0}};
  tabrl_mdp *h = test_env("riverswim", episodic, 2);
  tabrl_algo *algo = fake(h, valid, (fake_state){.action = 1, .bad_action = -1, .mass = 0});
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_episode ep = {0};
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, rng, &ep), TABRL_EUNSUPPORTED);
  gsl_rng_free(rng);
  tabrl_algo_free(algo);
  tabrl_mdp_free(h);
  tabrl_mdp_free(m);
}
END_TEST

/* The runner's valuation: the mean objective's unchecked path gives the
 * bits of tabrl_oracle_evaluate, an unchanged policy its cached value, and
 * a changed row the new policy's value. */
START_TEST(test_run_eval_matches_the_oracle)
{
  tabrl_mdp *m = river();
  tabrl_objective mean;
  ck_assert_int_eq(tabrl_objective_parse("mean", &mean), 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), value, again;
  run_eval ev;
  ck_assert_int_eq(run_eval_init(&ev, &mean, m, pi), 0);
  ck_assert_ptr_nonnull(ev.ws);
  for (int h = 0; h < m->horizon; h++)
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      row[0] = (h + s) % 3 ? 0.3 : 1.0; /* stochastic and one-hot rows */
      row[1] = 1.0 - row[0];
    }
  ck_assert_int_eq(run_eval_value(&ev, &mean, m, pi, &value), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert(value == tabrl_oracle_start_value(m, V));
  ck_assert_int_eq(run_eval_value(&ev, &mean, m, pi, &again), 0);
  ck_assert(again == value);
  tabrl_policy_set_action(pi, 0, 0, 1); /* RiverSwim: always right from the left end */
  ck_assert_int_eq(run_eval_value(&ev, &mean, m, pi, &again), 0);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  ck_assert(again == tabrl_oracle_start_value(m, V));
  ck_assert(again != value);
  run_eval_free(&ev);
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("protocol");
  TCase *tc = tcase_create("dispatch");
  tcase_add_test(tc, test_type_needs_its_protocol_functions);
  tcase_add_test(tc, test_calls_outside_the_protocol);
  tcase_add_test(tc, test_episode_counts_and_return);
  tcase_add_test(tc, test_episode_rejects_bad_actions);
  tcase_add_test(tc, test_episode_reveals_rewards);
  tcase_add_test(tc, test_policy_rows_checked);
  tcase_add_test(tc, test_noise_reaches_the_algorithm);
  tcase_add_test(tc, test_discounted_model_refused);
  tcase_add_test(tc, test_run_eval_matches_the_oracle);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
