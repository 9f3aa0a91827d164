/* RiverSwim as in Osband, Russo and Van Roy (2013), "(More) efficient
 * reinforcement learning via posterior sampling", NeurIPS, Figure/appendix
 * (originally Strehl and Littman 2008).
 *
 * A chain 0..n-1 starting at 0.  Action 0 (left) moves left
 * deterministically (stays at 0).  Action 1 (right): at 0 stay 0.4 / right
 * 0.6; in the middle right 0.35 / stay 0.6 / left 0.05; at n-1 stay 0.6 /
 * left 0.4.  Reward 0.005 for left at 0, 1 for right at n-1. */
#include "tabrl/env.h"
#include "tabrl/error.h"

static const tabrl_param riverswim_params[] = {
    {"states", TABRL_INT, "6", "[2,10000000]", "length n of the river"},
    TABRL_ENV_TIME_PARAMS("20", ""),
    {0},
};

static int riverswim_build(const tabrl_values *v, tabrl_mdp **out)
{
  int n = (int)tabrl_values_int(v, "states"), horizon, status;
  double gamma;
  tabrl_mdp_builder *b;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (!(b = tabrl_mdp_builder_alloc(n, 2, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < n; s++) {
    int left = s > 0 ? s - 1 : 0, right = s + 1;
    tabrl_mdp_builder_add(b, 0, s, 0, left, 1.0, s == 0 ? 0.005 : 0.0);
    if (s == 0) {
      tabrl_mdp_builder_add(b, 0, s, 1, s, 0.4, 0.0);
      tabrl_mdp_builder_add(b, 0, s, 1, right, 0.6, 0.0);
    } else if (s < n - 1) {
      tabrl_mdp_builder_add(b, 0, s, 1, right, 0.35, 0.0);
      tabrl_mdp_builder_add(b, 0, s, 1, s, 0.6, 0.0);
      tabrl_mdp_builder_add(b, 0, s, 1, left, 0.05, 0.0);
    } else {
      tabrl_mdp_builder_add(b, 0, s, 1, s, 0.6, 1.0);
      tabrl_mdp_builder_add(b, 0, s, 1, left, 0.4, 1.0);
    }
  }
  status = tabrl_mdp_builder_set_name(b, "riverswim");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_riverswim = {
    .name = "riverswim",
    .doc = "RiverSwim chain: a small reward nearby, a large one upstream",
    .source = "Osband, Russo, Van Roy 2013 (NeurIPS), after Strehl and Littman 2008",
    .params = riverswim_params,
    .build = riverswim_build,
};
