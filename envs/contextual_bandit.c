/* Stochastic contextual bandit with finitely many contexts (Lattimore and
 * Szepesvari 2020, "Bandit Algorithms", ch. 18; the tabular case of the
 * linear contextual bandits of ch. 19).
 *
 * States are the contexts, drawn uniformly (mu0 uniform); actions are the
 * arms; arm a in context s pays a Bernoulli reward with mean m(s, a) drawn
 * uniformly on [0,1] from the stream (seed, env, 0), context-major.  The
 * horizon defaults to 1 (one context, one pull per episode); with a longer
 * horizon or a discount the next context is again uniform and independent
 * of the pull, so every step is a fresh contextual round.
 *
 * Features: the one-hot phi(s, a) = e_{s*A + a} in R^{S*A}, with the hidden
 * theta = the table of means, so r(s, a) = phi(s, a)^T theta exactly. */
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param contextual_bandit_params[] = {
    {"contexts", TABRL_INT, "5", "[1,1000]", "number of contexts (states), drawn uniformly"},
    {"arms", TABRL_INT, "5", "[1,1000]", "number of arms (actions)"},
    {"seed", TABRL_INT, "0", "[0,inf)", "seed of the Bernoulli means (stream env)"},
    TABRL_ENV_TIME_PARAMS("1", ""),
    {0},
};

static int contextual_bandit_build(const tabrl_values *v, tabrl_mdp **out)
{
  int S = (int)tabrl_values_int(v, "contexts"), A = (int)tabrl_values_int(v, "arms");
  int dim = S * A, horizon, status;
  double gamma, *mu0 = NULL, *phi = NULL, *theta = NULL;
  tabrl_mdp_builder *b = NULL;
  tabrl_pcg32 rng;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  /* The one-hot features are stored densely: (S*A)^2 numbers. */
  if (dim > 2000)
    return tabrl_error(TABRL_EINVAL,
                       "contexts x arms = %d exceeds 2000 (one-hot features of that dimension)",
                       dim);
  mu0 = malloc((size_t)S * sizeof *mu0);
  theta = malloc((size_t)dim * sizeof *theta);
  phi = calloc((size_t)dim * (size_t)dim, sizeof *phi);
  if (!mu0 || !theta || !phi) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  if (!(b = tabrl_mdp_builder_alloc(S, A, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  tabrl_rng_stream(&rng, (uint64_t)tabrl_values_int(v, "seed"), TABRL_STREAM_ENV, 0);
  for (int s = 0; s < S; s++) mu0[s] = 1.0 / S;
  for (int s = 0; s < S; s++) {
    for (int a = 0; a < A; a++) {
      int i = s * A + a;
      double mean = tabrl_pcg32_uniform(&rng);
      theta[i] = mean;
      phi[(size_t)i * (size_t)dim + (size_t)i] = 1.0;
      for (int next = 0; next < S; next++) {
        tabrl_mdp_builder_add(b, 0, s, a, next, mu0[next] * mean, 1.0);
        tabrl_mdp_builder_add(b, 0, s, a, next, mu0[next] * (1.0 - mean), 0.0);
      }
    }
  }
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status) status = tabrl_mdp_builder_set_features(b, dim, phi, theta);
  if (!status) status = tabrl_mdp_builder_set_name(b, "contextual-bandit");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  tabrl_mdp_builder_free(b);
  free(mu0);
  free(phi);
  free(theta);
  return status;
}

const tabrl_env_type tabrl_env_contextual_bandit = {
    .name = "contextual-bandit",
    .doc = "Finite-context Bernoulli bandit: a uniform random context, then one pull",
    .source = "Lattimore and Szepesvari 2020, Bandit Algorithms, ch. 18-19",
    .params = contextual_bandit_params,
    .build = contextual_bandit_build,
};
