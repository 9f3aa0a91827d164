/* random-duel: the preference-feedback floor.
 *
 * Each episode propose() draws two deterministic policies independently,
 * the action of every (h, s) uniform over its valid actions, from the
 * algorithm's stream; feedback() only counts the comparisons and how often
 * the first trajectory won, and never changes what is proposed.  So every
 * proposal is a draw from the same distribution over deterministic
 * policies, whose mixture is the uniform policy: policy() returns that
 * uniform policy.  The runner values a preference episode by the mean exact
 * value of the two proposals.  In an episodic problem with stage-dependent
 * proposals each (h, s) is met at most once per episode and its action is
 * drawn independently of the history that led there, so the trajectory law
 * averaged over the draw is that of the uniform policy: a proposal's
 * expected value is the uniform policy's value and random-duel's expected
 * per-episode regret equals random's.  (With one stationary stage a
 * revisited state repeats its action and this equality fails.)
 * commits_per_episode = 1: both proposals are fixed for the episode. */
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"

static const tabrl_param random_duel_params[] = {
    {0},
};

typedef struct {
  baseline_actions actions;
  tabrl_pcg32 *rng;
  int stages;
  long comparisons, first_wins; /* what feedback() received; read by nothing */
} random_duel_state;

static void random_duel_release(void *state)
{
  random_duel_state *st = state;
  baseline_actions_free(&st->actions);
}

static int random_duel_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  random_duel_state *st = state;
  int status;
  (void)params;
  if ((status = baseline_rng(problem, &st->rng, "random-duel"))) return status;
  st->stages = baseline_stages(problem);
  return baseline_actions_init(&st->actions, problem, "random-duel");
}

static int random_duel_policy(void *state, tabrl_policy *pi)
{
  random_duel_state *st = state;
  int status = baseline_check_policy(pi, st->actions.S, st->actions.A, st->stages, "random-duel");
  if (status) return status;
  baseline_actions_uniform(&st->actions, pi);
  return 0;
}

static void draw_deterministic(random_duel_state *st, tabrl_policy *pi)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++)
      tabrl_policy_set_action(pi, h, s, baseline_actions_draw(&st->actions, h, s, st->rng));
}

static int random_duel_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  random_duel_state *st = state;
  int status;
  (void)k;
  if ((status =
           baseline_check_policy(first, st->actions.S, st->actions.A, st->stages, "random-duel")) ||
      (status =
           baseline_check_policy(second, st->actions.S, st->actions.A, st->stages, "random-duel")))
    return status;
  draw_deterministic(st, first);
  draw_deterministic(st, second);
  return 0;
}

static int random_duel_feedback(void *state, const tabrl_step *first, const tabrl_step *second,
                                int horizon, int prefer_first)
{
  random_duel_state *st = state;
  (void)first;
  (void)second;
  (void)horizon;
  st->comparisons++;
  st->first_wins += prefer_first != 0;
  return 0;
}

const tabrl_algo_type tabrl_algo_random_duel = {
    .name = "random-duel",
    .family = "baseline",
    .doc = "Proposes two uniformly random deterministic policies; ignores the preference",
    .source = "baseline; no paper (the preference-feedback analogue of random)",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .objectives = tabrl_objective_types, /* uniform whatever the objective */
    .commits_per_episode = 1,
    .params = random_duel_params,
    .state_size = sizeof(random_duel_state),
    .init = random_duel_init,
    .release = random_duel_release,
    .policy = random_duel_policy,
    .propose = random_duel_propose,
    .feedback = random_duel_feedback,
};
