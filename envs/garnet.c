/* Garnet ("generic average reward non-stationary environment test-bench")
 * random MDPs: Archibald, McKinnon and Thomas (1995), "On the generation of
 * Markov decision processes", J. Oper. Res. Soc.; in the form of Bhatnagar,
 * Sutton, Ghavamzadeh and Lee (2009), "Natural actor-critic algorithms",
 * Automatica.
 *
 * Every (s, a) has `branching` distinct next states, drawn uniformly
 * without replacement (Floyd's algorithm), with probabilities the gaps of
 * branching - 1 sorted uniforms on [0,1] (a uniform random partition, i.e.
 * a flat Dirichlet); the reward of (s, a) is uniform on [0,1] and the same
 * on every next state.  The start is uniform over the states.  Everything
 * is drawn from the stream (seed, env, 0), in state-major, action-minor
 * order, so the instance depends on the seed and the three sizes only. */
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param garnet_params[] = {
    {"states", TABRL_INT, "20", "[1,10000000]", "number of states"},
    {"actions", TABRL_INT, "4", "[1,100000]", "number of actions"},
    {"branching", TABRL_INT, "3", "[1,inf)", "next states per (s,a), at most states"},
    {"seed", TABRL_INT, "0", "[0,inf)", "instance seed (stream env)"},
    TABRL_ENV_TIME_PARAMS("", "0.9"),
    {0},
};

static int double_cmp(const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static int garnet_build(const tabrl_values *v, tabrl_mdp **out)
{
  int S = (int)tabrl_values_int(v, "states"), A = (int)tabrl_values_int(v, "actions");
  long branching = tabrl_values_int(v, "branching");
  uint64_t seed = (uint64_t)tabrl_values_int(v, "seed");
  int horizon, status, *next = NULL;
  double gamma, *cut = NULL, *mu0 = NULL;
  tabrl_mdp_builder *b = NULL;
  tabrl_pcg32 rng;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (branching > S)
    return tabrl_error(TABRL_EINVAL, "branching %ld exceeds the number of states %d", branching, S);
  if ((double)S * A * branching > 2e7)
    return tabrl_error(TABRL_EINVAL, "%d states x %d actions x %ld branching is too many entries",
                       S, A, branching);
  next = malloc((size_t)branching * sizeof *next);
  cut = malloc(((size_t)branching + 1) * sizeof *cut);
  mu0 = malloc((size_t)S * sizeof *mu0);
  if (!next || !cut || !mu0) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  if (!(b = tabrl_mdp_builder_alloc(S, A, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  tabrl_rng_stream(&rng, seed, TABRL_STREAM_ENV, 0);
  for (int s = 0; s < S; s++) {
    mu0[s] = 1.0 / S;
    for (int a = 0; a < A; a++) {
      int k = (int)branching, zero_gap;
      /* Floyd's sampling of k distinct states out of S: O(k^2), no O(S)
       * scratch per (s, a). */
      for (int j = S - k, n = 0; j < S; j++) {
        int t = (int)tabrl_pcg32_below(&rng, (uint32_t)j + 1), seen = 0;
        for (int i = 0; i < n && !seen; i++) seen = next[i] == t;
        next[n++] = seen ? j : t;
      }
      /* A zero gap (two equal uniforms, probability ~2^-53) would leave
       * fewer than k next states: redraw so the count is exact. */
      do {
        cut[0] = 0.0;
        for (int i = 1; i < k; i++) cut[i] = tabrl_pcg32_uniform(&rng);
        cut[k] = 1.0;
        qsort(cut + 1, (size_t)k - 1, sizeof *cut, double_cmp);
        zero_gap = 0;
        for (int i = 0; i < k; i++) zero_gap |= !(cut[i + 1] > cut[i]);
      } while (zero_gap);
      double reward = tabrl_pcg32_uniform(&rng);
      for (int i = 0; i < k; i++)
        tabrl_mdp_builder_add(b, 0, s, a, next[i], cut[i + 1] - cut[i], reward);
    }
  }
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status) status = tabrl_mdp_builder_set_name(b, "garnet");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  tabrl_mdp_builder_free(b);
  free(next);
  free(cut);
  free(mu0);
  return status;
}

const tabrl_env_type tabrl_env_garnet = {
    .name = "garnet",
    .doc = "Garnet random MDP: branching random next states per (s,a), uniform rewards",
    .source = "Archibald, McKinnon, Thomas 1995 (JORS); Bhatnagar, Sutton, Ghavamzadeh, Lee 2009 "
              "(Automatica)",
    .params = garnet_params,
    .build = garnet_build,
};
