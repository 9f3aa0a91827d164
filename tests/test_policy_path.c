/* The deterministic policy path of the online protocol: a type's actions
 * hook (one action per (h, s)) against its policy() table, the
 * deterministic evaluation against the table's, bit for bit (under the
 * mean, and under entropic for the risk-sensitive learners), and the
 * policy_version hook (an unchanged policy is neither rebuilt nor
 * revalued). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "run/run_eval.h"

static tabrl_mdp *garnet(void)
{
  tabrl_setting s[5] = {{"states", "6", "test", 0},
                        {"actions", "3", "test", 0},
                        {"branching", "2", "test", 0},
                        {"horizon", "4", "test", 0},
                        {"seed", "3", "test", 0}};
  return test_env("garnet", s, 5);
}

static tabrl_mdp *river(void)
{
  tabrl_setting set[] = {{"states", "4", "test", 0}, {"horizon", "6", "test", 0}};
  return test_env("riverswim", set, 2);
}

/* H = 2, S = 2, A = 2 with negative, zero and -0.0 rewards, action 1
 * invalid in state 1 at stage 1: every sign the two sums can meet. */
static tabrl_mdp *signed_model(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 2);
  tabrl_mdp *m = NULL;
  for (int h = 0; h < 2; h++)
    for (int s = 0; s < 2; s++) {
      tabrl_mdp_builder_add(b, h, s, 0, 0, 0.25, -0.0);
      tabrl_mdp_builder_add(b, h, s, 0, 1, 0.75, h ? -1.5 : 0.0);
      if (h == 1 && s == 1) continue;
      tabrl_mdp_builder_add(b, h, s, 1, 1 - s, 1.0, s ? 0.1 : -0.3);
    }
  tabrl_mdp_builder_set_time(b, 2, 1);
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* Every deterministic policy of the signed model: the same bits (signed
 * zeros included) from the actions as from their one-hot table. */
START_TEST(test_actions_evaluation_is_the_tables)
{
  tabrl_mdp *m = signed_model();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  size_t n = tabrl_oracle_value_size(m);
  double *V = malloc(n * sizeof *V), *W = malloc(n * sizeof *W);
  int tried = 0;
  for (int code = 0; code < 16; code++) {
    int action[4];
    for (int i = 0; i < 4; i++) action[i] = (code >> i) & 1;
    if (action[3]) continue; /* invalid at (1, 1) */
    ck_assert_int_eq(tabrl_policy_from_plan(pi, action, 2, 2, 2, "test"), 0);
    ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
    memset(W, 0xff, n * sizeof *W);
    ck_assert_int_eq(tabrl_oracle_evaluate_actions(m, action, 0, W), 0);
    ck_assert(!memcmp(V, W, n * sizeof *V));
    tried++;
  }
  ck_assert_int_eq(tried, 8);
  /* All action 0: V_1(s) = 0.25 * -0.0 + 0.75 * -1.5 = -1.125. */
  int zero[4] = {0, 0, 0, 0};
  ck_assert_int_eq(tabrl_oracle_evaluate_actions(m, zero, 0, W), 0);
  ck_assert(W[2] == -1.125 && W[3] == -1.125);
  ck_assert(W[4] == 0 && !signbit(W[4]));
  int bad[4] = {0, 0, 0, 1};
  ck_assert_int_eq(tabrl_oracle_evaluate_actions(m, bad, 0, W), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "stage 1, state 1: action 1"));
  free(V);
  free(W);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* A copy of type without the two hooks: the table path, as before them. */
static tabrl_algo *make(const tabrl_algo_type *type, const tabrl_problem *p, const char *key,
                        const char *value)
{
  tabrl_setting set[] = {{key, value, "test", 0}};
  tabrl_values *values = NULL;
  ck_assert_msg(tabrl_values_resolve(type->params, type->name, set, value ? 1 : 0, 0, &values) == 0,
                "%s", tabrl_error_message());
  tabrl_algo *algo = tabrl_algo_alloc(type, p, values);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  tabrl_values_free(values);
  return algo;
}

/* pi is one-hot (1.0 and +0.0) at the argmax action[h S + s] of each row. */
static void check_one_hot(const tabrl_policy *pi, const int *action, const tabrl_mdp *m)
{
  for (int h = 0; h < m->horizon; h++)
    for (int s = 0; s < m->S; s++) {
      const double *row = tabrl_policy_row(pi, h, s);
      int a = action[(size_t)h * m->S + s], best = 0;
      for (int b = 1; b < m->A; b++)
        if (row[b] > row[best]) best = b;
      ck_assert_int_eq(a, best);
      for (int b = 0; b < m->A; b++) ck_assert(row[b] == (b == a ? 1.0 : 0.0) && !signbit(row[b]));
    }
}

/* name on m for K episodes under objective, twice from the same seeds:
 * through its hooks and through a copy of its type without them.  Each
 * episode: the actions are the argmax of the policy() table (one-hot
 * there, the same table the plain copy committed to), both runs see the
 * same return and the runner's values are the same bits, which are
 * tabrl_objective_value's of that table. */
static void check_paths_under(const char *name, const char *key, const char *value,
                              const char *objective, tabrl_mdp *m, long K)
{
  const tabrl_algo_type *type = tabrl_algo_find(name);
  ck_assert_ptr_nonnull(type);
  ck_assert(type->actions || type->policy_version);
  tabrl_algo_type plain = *type;
  plain.actions = NULL;
  plain.policy_version = NULL;
  size_t nv = (size_t)m->stages * m->S * m->A, hs = (size_t)m->horizon * m->S;
  unsigned char *valid = malloc(nv);
  gsl_rng *rng[2], *tr[2];
  tabrl_algo *algo[2];
  tabrl_episode ep[2];
  run_eval ev[2];
  tabrl_policy *pi[2], *table = tabrl_policy_alloc_for(m);
  int *next = malloc(hs * sizeof *next);
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse(objective, &o), 0);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  for (int i = 0; i < 2; i++) {
    rng[i] = tabrl_gsl_rng_stream(7, TABRL_STREAM_ALGO, 0);
    tr[i] = tabrl_gsl_rng_stream(7, TABRL_STREAM_TRANSITIONS, 0);
    tabrl_problem p = test_problem(m, valid, rng[i], K, 0);
    p.objective = &o;
    algo[i] = make(i ? &plain : type, &p, key, value);
    pi[i] = tabrl_policy_alloc_for(m);
    ck_assert_int_eq(run_eval_init(&ev[i], &o, m, pi[i]), 0);
    ep[i] = (tabrl_episode){.committed = pi[i], .actions = malloc(hs * sizeof(int))};
  }
  long unchanged = 0, by_actions = 0;
  for (long k = 1; k <= K; k++) {
    double value[2];
    for (int i = 0; i < 2; i++) {
      ck_assert_msg(tabrl_episode_online(algo[i], m, k, tr[i], &ep[i]) == 0, "%s",
                    tabrl_error_message());
      ck_assert(ep[i].has_committed);
      ck_assert_int_eq(run_eval_episode(&ev[i], &o, m, &ep[i], &value[i]), 0);
    }
    ck_assert_int_eq(ep[1].commit, TABRL_COMMIT_TABLE);
    ck_assert(!ep[1].unchanged);
    ck_assert(ep[0].ret == ep[1].ret);
    ck_assert(!memcmp(&value[0], &value[1], sizeof(double)));
    double exact = NAN;
    ck_assert_int_eq(tabrl_objective_value(&o, m, pi[1], V, &exact), 0);
    ck_assert_msg(!memcmp(&value[0], &exact, sizeof(double)), "%s %s episode %ld: %.17g vs %.17g",
                  name, objective, k, value[0], exact);
    unchanged += ep[0].unchanged;
    if (ep[0].commit == TABRL_COMMIT_ACTIONS) {
      by_actions++;
      /* The committed actions are the argmax of the table the plain copy
       * committed to, one-hot there ... */
      check_one_hot(pi[1], ep[0].actions, m);
      /* ... and, called on the same state (the next episode's policy), the
       * hook gives the argmax rows of policy(). */
      ck_assert_int_eq(tabrl_algo_actions(algo[0], next), 0);
      ck_assert_int_eq(tabrl_algo_policy(algo[0], table), 0);
      check_one_hot(table, next, m);
    } else {
      ck_assert(!memcmp(pi[0]->prob, pi[1]->prob, (size_t)nv * sizeof(double)));
    }
  }
  ck_assert_int_eq(by_actions, type->actions ? K : 0);
  /* Under entropic the actions were valued without a table. */
  if (strcmp(objective, "mean") && type->actions)
    ck_assert(ev[0].oe && tabrl_objective_evaluator_has_actions(ev[0].oe));
  /* random never changes; the greedy learners but mvp re-plan each episode;
   * rsq's greedy actions change with its counts' ties while its Q sit at
   * their clip (its bonus), so it is checked without one. */
  if (type->policy_version && !(!strcmp(name, "rsq") && value == NULL))
    ck_assert_int_gt(unchanged, 0);
  else if (!type->policy_version)
    ck_assert_int_eq(unchanged, 0);
  if (!strcmp(name, "random")) ck_assert_int_eq(unchanged, K - 1);
  for (int i = 0; i < 2; i++) {
    free(ep[i].actions);
    run_eval_free(&ev[i]);
    tabrl_policy_free(pi[i]);
    tabrl_algo_free(algo[i]);
    gsl_rng_free(rng[i]);
    gsl_rng_free(tr[i]);
  }
  tabrl_policy_free(table);
  free(next);
  free(V);
  free(valid);
}

static void check_paths(const char *name, const char *bonus, tabrl_mdp *m, long K)
{
  check_paths_under(name, "bonus", bonus, "mean", m, K);
}

START_TEST(test_hooks_match_the_tables)
{
  tabrl_mdp *g = garnet(), *r = river();
  const char *names[] = {"ucbvi", "psrl", "rlsvi", "ucrl2", "mvp", "random"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    check_paths(names[i], NULL, g, 60);
    check_paths(names[i], NULL, r, 60);
  }
  check_paths("ucbvi", "hoeffding", g, 60);
  tabrl_setting lin[5] = {{"states", "20", "test", 0},
                          {"actions", "4", "test", 0},
                          {"dim", "5", "test", 0},
                          {"horizon", "10", "test", 0},
                          {"seed", "1", "test", 0}};
  tabrl_mdp *linear = test_env("linear", lin, 5), *mixture = test_env("linear-mixture", lin, 5);
  check_paths("lsvi-ucb", NULL, linear, 30);
  check_paths("ucrl-vtr", NULL, mixture, 30);
  tabrl_mdp_free(linear);
  tabrl_mdp_free(mixture);
  tabrl_mdp_free(g);
  tabrl_mdp_free(r);
}
END_TEST

/* The entropic learners, valued by the runner under their objective
 * through tabrl_objective_evaluator_actions: b < 0 and b > 0 (factored
 * sums) and b = 1e-3 (log space, below TABRL_NESTED_FACTOR_MIN_B); rsq
 * without a bonus too, whose greedy policy settles (policy_version). */
START_TEST(test_entropic_hooks_match_the_tables)
{
  tabrl_mdp *g = garnet(), *r = river();
  const char *names[] = {"rsq", "rsvi"};
  const char *objectives[] = {"entropic:-1", "entropic:0.5", "entropic:1e-3"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    for (size_t j = 0; j < sizeof objectives / sizeof *objectives; j++) {
      check_paths_under(names[i], NULL, NULL, objectives[j], g, 200);
      check_paths_under(names[i], NULL, NULL, objectives[j], r, 200);
    }
  check_paths_under("rsq", "scale", "0", "entropic:-1", g, 200);
  check_paths_under("rsq", "scale", "0", "entropic:0.5", r, 200);
  tabrl_mdp_free(g);
  tabrl_mdp_free(r);
}
END_TEST

/* Any other objective values the one-hot table the actions stand for. */
START_TEST(test_actions_fall_back_to_the_table)
{
  tabrl_mdp *m = river();
  tabrl_objective o;
  ck_assert_int_eq(tabrl_objective_parse("cvar:0.5", &o), 0);
  size_t hs = (size_t)m->horizon * m->S;
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *same = tabrl_policy_alloc_for(m);
  int *action = malloc(hs * sizeof *action);
  for (size_t i = 0; i < hs; i++) action[i] = (int)(i % 3 != 0);
  run_eval ev;
  ck_assert_int_eq(run_eval_init(&ev, &o, m, pi), 0);
  ck_assert_ptr_null(ev.ws);
  tabrl_episode ep = {.committed = pi, .actions = action, .commit = TABRL_COMMIT_ACTIONS};
  double value, expected;
  ck_assert_int_eq(run_eval_episode(&ev, &o, m, &ep, &value), 0);
  ck_assert_int_eq(tabrl_policy_from_plan(same, action, m->S, m->A, m->horizon, "test"), 0);
  ck_assert(!memcmp(pi->prob, same->prob, hs * (size_t)m->A * sizeof(double)));
  ck_assert_int_eq(tabrl_objective_value(&o, m, same, NULL, &expected), 0);
  ck_assert(!memcmp(&value, &expected, sizeof value));
  run_eval_free(&ev);
  free(action);
  tabrl_policy_free(pi);
  tabrl_policy_free(same);
  tabrl_mdp_free(m);
}
END_TEST

/* A fake type whose actions hook returns an invalid action, or an act()
 * that disagrees with its actions. */
typedef struct {
  int act_offset, bad_actions;
} liar_state;
static liar_state liar_config;
static int liar_init(void *state, const tabrl_problem *p, const tabrl_values *v)
{
  (void)p, (void)v;
  *(liar_state *)state = liar_config;
  return 0;
}
static int liar_act(void *state, int h, int s)
{
  (void)h, (void)s;
  return ((liar_state *)state)->act_offset;
}
static int liar_observe(void *state, int h, int s, int a, double r, int next)
{
  (void)state, (void)h, (void)s, (void)a, (void)r, (void)next;
  return 0;
}
static int liar_policy(void *state, tabrl_policy *pi)
{
  (void)state;
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++) tabrl_policy_set_action(pi, h, s, 0);
  return 0;
}
static int liar_actions(void *state, int *action)
{
  int bad = ((liar_state *)state)->bad_actions;
  for (int i = 0; i < 4 * 6; i++) action[i] = bad && i == 7 ? 2 : 0; /* RiverSwim has 2 actions */
  return 0;
}
static const tabrl_param no_params[] = {{0}};
static const tabrl_algo_type liar_type = {
    .name = "liar",
    .family = "test",
    .doc = "",
    .params = no_params,
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .state_size = sizeof(liar_state),
    .init = liar_init,
    .policy = liar_policy,
    .actions = liar_actions,
    .act = liar_act,
    .observe = liar_observe,
};

START_TEST(test_protocol_checks_the_actions)
{
  tabrl_mdp *m = river();
  unsigned char *valid = malloc((size_t)m->stages * m->S * m->A);
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  gsl_rng *tr = tabrl_gsl_rng_stream(1, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_problem p = test_problem(m, valid, rng, 10, 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  int action[24];
  liar_config = (liar_state){0, 1};
  tabrl_algo *algo = tabrl_algo_alloc(&liar_type, &p, NULL);
  ck_assert_ptr_nonnull(algo);
  tabrl_episode ep = {.committed = pi, .actions = action};
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, tr, &ep), TABRL_EINVAL);
  ck_assert_ptr_nonnull(
      strstr(tabrl_error_message(), "liar: actions(): action 2 at stage 1, state 3"));
  /* Without the buffer the table path commits to action 0 everywhere. */
  ep.actions = NULL;
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, tr, &ep), 0);
  ck_assert_int_eq(ep.commit, TABRL_COMMIT_TABLE);
  tabrl_algo_free(algo);
  /* Valid actions (all 0), but act() takes 1: outside them. */
  liar_config = (liar_state){1, 0};
  algo = tabrl_algo_alloc(&liar_type, &p, NULL);
  ck_assert_ptr_nonnull(algo);
  ep = (tabrl_episode){.committed = pi, .actions = action};
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, tr, &ep), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "outside the policy it committed to"));
  liar_config = (liar_state){0, 0};
  ep.actions = action;
  tabrl_algo_free(algo);
  algo = tabrl_algo_alloc(&liar_type, &p, NULL);
  ck_assert_int_eq(tabrl_episode_online(algo, m, 1, tr, &ep), 0);
  ck_assert_int_eq(ep.commit, TABRL_COMMIT_ACTIONS);
  for (int i = 0; i < 24; i++) ck_assert_int_eq(action[i], 0);
  tabrl_algo_free(algo);
  tabrl_policy_free(pi);
  gsl_rng_free(rng);
  gsl_rng_free(tr);
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

static Suite *policy_path_suite(void)
{
  Suite *s = suite_create("policy_path");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_actions_evaluation_is_the_tables);
  tcase_add_test(tc, test_hooks_match_the_tables);
  tcase_add_test(tc, test_entropic_hooks_match_the_tables);
  tcase_add_test(tc, test_actions_fall_back_to_the_table);
  tcase_add_test(tc, test_protocol_checks_the_actions);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(policy_path_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
