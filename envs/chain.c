/* A deterministic chain, the simplest deep-exploration problem: the
 * n-chain of Strens (2000, "A Bayesian framework for reinforcement
 * learning", ICML) without its slip, as used deterministically by Osband,
 * Van Roy and Wen (2016, "Generalization and exploration via randomized
 * value functions", ICML) and Osband et al. (2016, Bootstrapped DQN).
 *
 * States 0..n-1, start at 0.  Action 0 moves left (stays at 0), action 1
 * moves right (stays at n-1).  Taking right at n-1 pays `reward`; taking
 * left at 0 pays `left_reward` (a small distractor when > 0); everything
 * else pays 0.  Reaching the reward needs n-1 right moves in a row.
 *
 * `noise` adds the model's zero-mean reward noise (tabrl_noise) to every
 * sampled reward, e.g. student-t with `noise_shape` = 2 degrees of freedom
 * (infinite variance) for robust value learning; the mean model, and so
 * every exact value, is unchanged.  The default none draws nothing.
 *
 * With objectives = 2 the model also carries a two-dimensional vector
 * reward (r, -c): the scalar reward above and an effort cost c = 1 for each
 * right move, so that reaching the far end trades off against effort (a
 * test bed for joint return distributions, "mdtd").  The scalar reward,
 * and so every objective and regret, is the same for both settings.
 *
 * cost > 0 makes it a constrained MDP: each right move costs `cost` (an
 * entry cost, tabrl_mdp.cost), so that a budget below the cost of walking
 * to the far end forces a trade-off, and the optimum under the budget
 * randomises (tabrl_oracle_cmdp_lp).  With the default 0 the model has no
 * cost array at all (and is the unconstrained chain, byte for byte). */
#include "tabrl/env.h"
#include "tabrl/error.h"

static const tabrl_param chain_params[] = {
    {"states", TABRL_INT, "10", "[2,10000000]", "length n of the chain"},
    {"reward", TABRL_DOUBLE, "1", "(-inf,inf)", "reward for taking right at the last state"},
    {"left_reward", TABRL_DOUBLE, "0", "(-inf,inf)", "reward for taking left at state 0"},
    {"noise", TABRL_CHOICE, "none", "none|gaussian|student-t|pareto",
     "zero-mean reward noise: gaussian N(0, scale^2), student-t scale*t(shape), pareto "
     "Pareto(shape, scale) minus its mean"},
    {"noise_scale", TABRL_DOUBLE, "1", "(0,inf)", "scale of the reward noise"},
    {"noise_shape", TABRL_DOUBLE, "2", "(1,inf)",
     "degrees of freedom (student-t) or tail index (pareto) of the reward noise"},
    {"objectives", TABRL_INT, "1", "[1,2]",
     "1: scalar reward; 2: also the vector reward (r, -1 per right move)"},
    {"cost", TABRL_DOUBLE, "0", "[0,inf)",
     "cost of each right move (> 0: a constrained MDP with a cost per entry)"},
    TABRL_ENV_TIME_PARAMS("20", ""),
    {0},
};

static int chain_build(const tabrl_values *v, tabrl_mdp **out)
{
  int n = (int)tabrl_values_int(v, "states"), horizon, status;
  int vector = tabrl_values_int(v, "objectives") == 2;
  double reward = tabrl_values_double(v, "reward");
  double left_reward = tabrl_values_double(v, "left_reward"), gamma;
  double cost = tabrl_values_double(v, "cost");
  tabrl_mdp_builder *b;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  /* the builder stores a cost only beside a scalar reward */
  if (vector && cost > 0)
    return tabrl_error(TABRL_EINVAL, "key 'cost': a cost needs objectives = 1 (a scalar reward)");
  if (!(b = tabrl_mdp_builder_alloc(n, 2, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  /* The choices are listed in tabrl_noise_kind's order. */
  tabrl_noise_kind kind = (tabrl_noise_kind)tabrl_values_choice(v, "noise");
  if (kind != TABRL_NOISE_NONE)
    tabrl_mdp_builder_set_noise(b, (tabrl_noise){kind, tabrl_values_double(v, "noise_scale"),
                                                 tabrl_values_double(v, "noise_shape")});
  if (vector && (status = tabrl_mdp_builder_set_reward_dim(b, 2))) {
    tabrl_mdp_builder_free(b);
    return status;
  }
  for (int s = 0; s < n; s++) {
    double left = s == 0 ? left_reward : 0.0, right = s == n - 1 ? reward : 0.0;
    if (vector) {
      const double vl[2] = {left, 0.0}, vr[2] = {right, -1.0};
      tabrl_mdp_builder_add_vec(b, 0, s, 0, s > 0 ? s - 1 : 0, 1.0, left, vl);
      tabrl_mdp_builder_add_vec(b, 0, s, 1, s < n - 1 ? s + 1 : s, 1.0, right, vr);
    } else if (cost > 0) {
      tabrl_mdp_builder_add_cost(b, 0, s, 0, s > 0 ? s - 1 : 0, 1.0, left, 0.0);
      tabrl_mdp_builder_add_cost(b, 0, s, 1, s < n - 1 ? s + 1 : s, 1.0, right, cost);
    } else {
      tabrl_mdp_builder_add(b, 0, s, 0, s > 0 ? s - 1 : 0, 1.0, left);
      tabrl_mdp_builder_add(b, 0, s, 1, s < n - 1 ? s + 1 : s, 1.0, right);
    }
  }
  status = tabrl_mdp_builder_set_name(b, "chain");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_chain = {
    .name = "chain",
    .doc = "Deterministic n-chain: the reward waits at the far end",
    .source = "Strens 2000 (ICML) n-chain without slip; Osband, Van Roy, Wen 2016 (ICML)",
    .params = chain_params,
    .build = chain_build,
};
