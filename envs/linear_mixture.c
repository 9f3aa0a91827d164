/* A random linear mixture MDP (Ayoub, Jia, Szepesvari, Wang, Yang 2020,
 * "Model-based reinforcement learning with value-targeted regression",
 * ICML, Section 2 / eq. (1); also Modi et al. 2020, Jia et al. 2020):
 *
 *   P(s' | s, a) = sum_i theta_i P_i(s' | s, a),   i = 1 .. d,
 *
 * with d known base kernels P_i and unknown weights theta on the simplex,
 * so P is a transition kernel.  Drawn from the stream (seed, env, 0)
 * through GSL, in this order: for i = 1 .. d and then (s, a) state-major,
 * P_i(. | s, a) ~ Dirichlet(1, .., 1) over the S states (uniform on the
 * simplex); theta ~ Dirichlet(1, .., 1) over the d weights; the reward
 * r(s, a) uniform on [0,1], state-major, the same for every next state
 * (deterministic given (s, a)).  The model carries the basis
 * (tabrl_mdp_builder_set_mixture), which the protocol hands to algorithms
 * as problem->mixture_basis; theta and the rewards stay hidden.  The start
 * is state 0, as in linear. */
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param linear_mixture_params[] = {
    {"states", TABRL_INT, "20", "[1,100000]", "number of states"},
    {"actions", TABRL_INT, "4", "[1,10000]", "number of actions"},
    {"dim", TABRL_INT, "5", "[1,10000]", "number d of base kernels P_i"},
    {"seed", TABRL_INT, "0", "[0,inf)", "instance seed (stream env)"},
    TABRL_ENV_TIME_PARAMS("20", ""),
    {0},
};

static int linear_mixture_build(const tabrl_values *v, tabrl_mdp **out)
{
  int S = (int)tabrl_values_int(v, "states"), A = (int)tabrl_values_int(v, "actions");
  int d = (int)tabrl_values_int(v, "dim"), horizon, status;
  uint64_t seed = (uint64_t)tabrl_values_int(v, "seed");
  size_t SA = (size_t)S * (size_t)A, kernel = SA * (size_t)S;
  double gamma, *basis = NULL, *theta = NULL, *reward = NULL, *ones = NULL;
  gsl_rng *rng = NULL;
  tabrl_mdp_builder *b = NULL;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if ((double)S * S * A * d > 2e7)
    return tabrl_error(TABRL_EINVAL, "%d states x %d actions x %d states x dim %d is too large", S,
                       A, S, d);
  basis = malloc((size_t)d * kernel * sizeof *basis);
  theta = malloc((size_t)d * sizeof *theta);
  reward = malloc(SA * sizeof *reward);
  ones = malloc((size_t)(S > d ? S : d) * sizeof *ones);
  rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ENV, 0);
  if (!basis || !theta || !reward || !ones || !rng) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < (S > d ? S : d); i++) ones[i] = 1.0;
  for (size_t row = 0; row < (size_t)d * SA; row++)
    gsl_ran_dirichlet(rng, (size_t)S, ones, basis + row * (size_t)S);
  gsl_ran_dirichlet(rng, (size_t)d, ones, theta);
  for (size_t sa = 0; sa < SA; sa++) reward[sa] = gsl_rng_uniform(rng);

  if (!(b = tabrl_mdp_builder_alloc(S, A, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++) {
      size_t sa = (size_t)s * (size_t)A + (size_t)a;
      for (int next = 0; next < S; next++) {
        /* Exactly sum_i theta_i P_i: the rows of P_i and theta each sum
         * to 1 up to rounding (GSL divides by the sum), well inside the
         * builder's 1e-12 check for the sizes allowed above. */
        double p = 0;
        for (int i = 0; i < d; i++) p += theta[i] * basis[((size_t)i * SA + sa) * S + next];
        tabrl_mdp_builder_add(b, 0, s, a, next, p, reward[sa]);
      }
    }
  status = tabrl_mdp_builder_set_mixture(b, d, basis);
  if (!status) status = tabrl_mdp_builder_set_name(b, "linear-mixture");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  tabrl_mdp_builder_free(b);
  gsl_rng_free(rng);
  free(basis);
  free(theta);
  free(reward);
  free(ones);
  return status;
}

const tabrl_env_type tabrl_env_linear_mixture = {
    .name = "linear-mixture",
    .doc = "Random linear mixture MDP: P = sum_i theta_i P_i with known Dirichlet base kernels",
    .source = "Ayoub, Jia, Szepesvari, Wang, Yang 2020 (ICML), linear mixture model",
    .params = linear_mixture_params,
    .build = linear_mixture_build,
};
