/* random: acts uniformly at random over the valid actions.
 *
 * The floor every learner must beat: its regret grows linearly, at
 * V*_0 - V^unif_0 per episode (algos/README.md, "Reference shapes").  The
 * policy it commits to is the same uniform policy in every episode, so
 * policy() is exact for the whole episode (commits_per_episode = 1). */
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"

static const tabrl_param random_params[] = {
    {0},
};

typedef struct {
  baseline_actions actions;
  tabrl_pcg32 *rng;
  int stages;
} random_state;

static void random_release(void *state)
{
  random_state *st = state;
  baseline_actions_free(&st->actions);
}

static int random_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  random_state *st = state;
  int status;
  (void)params;
  if ((status = baseline_rng(problem, &st->rng, "random"))) return status;
  st->stages = baseline_stages(problem);
  return baseline_actions_init(&st->actions, problem, "random");
}

static int random_policy(void *state, tabrl_policy *pi)
{
  random_state *st = state;
  int status = baseline_check_policy(pi, st->actions.S, st->actions.A, st->stages, "random");
  if (status) return status;
  baseline_actions_uniform(&st->actions, pi);
  return 0;
}

/* The uniform policy never changes: one version for the whole run. */
static unsigned long random_policy_version(const void *state)
{
  (void)state;
  return 0;
}

static int random_act(void *state, int h, int s)
{
  random_state *st = state;
  return baseline_actions_draw(&st->actions, h, s, st->rng);
}

static int random_observe(void *state, int h, int s, int a, double reward, int next)
{
  (void)state;
  (void)h;
  (void)s;
  (void)a;
  (void)reward;
  (void)next;
  return 0;
}

static int random_end_episode(void *state, long k)
{
  (void)state;
  (void)k;
  return 0;
}

const tabrl_algo_type tabrl_algo_random = {
    .name = "random",
    .family = "baseline",
    .doc = "Uniformly random valid actions (the linear-regret floor)",
    .source = "baseline; no paper (its regret is linear: algos/README.md, reference shapes)",
    .protocol = TABRL_ONLINE,
    .objectives = tabrl_objective_types, /* uniform whatever the objective */
    .commits_per_episode = 1,
    .params = random_params,
    .state_size = sizeof(random_state),
    .init = random_init,
    .release = random_release,
    .policy = random_policy,
    .policy_version = random_policy_version,
    .act = random_act,
    .observe = random_observe,
    .end_episode = random_end_episode,
};
