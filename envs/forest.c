/* The forest-management MDP of pymdptoolbox, mdptoolbox.example.forest
 * (S. Cordwell's Python port of MDPtoolbox: Chades, Chapron, Cros, Garcia,
 * Sabbadin 2014, Ecography 37), reproduced exactly, including its checks
 * (S >= 2, r1 > 0, r2 > 0, 0 <= p <= 1).
 *
 * States 0..S-1 are the age classes of a forest, 0 youngest.  Each year a
 * fire burns it back to 0 with probability p.  Action 0 (wait): from s to 0
 * w.p. p and to min(s+1, S-1) w.p. 1-p; reward r1 in the oldest state S-1,
 * 0 elsewhere.  Action 1 (cut): to 0 w.p. 1; reward 0 in state 0, 1 in
 * states 1..S-2 and r2 in S-1.  pymdptoolbox's rewards are per (s, a)
 * (R[s, a]), so every outcome of a block carries the same reward.
 *
 * Discounted by default (gamma 0.9, as pymdptoolbox's documented examples);
 * there V* = (26.244, 29.484, 33.484) for the default S = 3, r1 = 4,
 * r2 = 2, p = 0.1 (mdptoolbox.mdp.PolicyIteration(P, R, 0.9)). */
#include "tabrl/env.h"
#include "tabrl/error.h"

static const tabrl_param forest_params[] = {
    {"states", TABRL_INT, "3", "[2,10000000]", "number S of forest age classes"},
    {"r1", TABRL_DOUBLE, "4", "(0,inf)", "reward of waiting in the oldest state"},
    {"r2", TABRL_DOUBLE, "2", "(0,inf)", "reward of cutting in the oldest state"},
    {"p", TABRL_DOUBLE, "0.1", "[0,1]", "yearly probability of a fire"},
    TABRL_ENV_TIME_PARAMS("", "0.9"),
    {0},
};

static int forest_build(const tabrl_values *v, tabrl_mdp **out)
{
  int S = (int)tabrl_values_int(v, "states"), horizon, status;
  double r1 = tabrl_values_double(v, "r1"), r2 = tabrl_values_double(v, "r2");
  double p = tabrl_values_double(v, "p"), gamma;
  tabrl_mdp_builder *b;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (!(b = tabrl_mdp_builder_alloc(S, 2, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < S; s++) {
    double wait_reward = s == S - 1 ? r1 : 0.0;
    double cut_reward = s == 0 ? 0.0 : s == S - 1 ? r2 : 1.0;
    tabrl_mdp_builder_add(b, 0, s, 0, 0, p, wait_reward);
    tabrl_mdp_builder_add(b, 0, s, 0, s + 1 < S ? s + 1 : S - 1, 1.0 - p, wait_reward);
    tabrl_mdp_builder_add(b, 0, s, 1, 0, 1.0, cut_reward);
  }
  status = tabrl_mdp_builder_set_name(b, "forest");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_forest = {
    .name = "forest",
    .doc = "pymdptoolbox's forest management: wait for the old-growth reward or cut now",
    .source = "pymdptoolbox mdptoolbox.example.forest (Chades, Chapron, Cros, Garcia, Sabbadin "
              "2014, Ecography)",
    .params = forest_params,
    .build = forest_build,
};
