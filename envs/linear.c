/* A random linear MDP (Jin, Yang, Wang, Jordan 2020, "Provably efficient
 * reinforcement learning with linear function approximation", COLT,
 * Assumption A): P(s' | s, a) = <phi(s, a), mu(s')> and
 * r(s, a) = <phi(s, a), theta> exactly.
 *
 * Drawn from the stream (seed, env, 0) through GSL, in this order: the d
 * base distributions mu_1 .. mu_d over the S states, each Dirichlet(1, ..,
 * 1) (uniform on the simplex); the features phi(s, a), each Dirichlet(1) on
 * the simplex of R^d, state-major; theta uniform on [0,1]^d.  Because
 * phi(s, a) is a probability vector, P(. | s, a) = sum_i phi_i(s, a) mu_i is
 * a mixture of the base distributions and r(s, a) lies in [0,1].  The
 * model stores phi and theta (set_features); mu is implicit in P.  The
 * start is state 0 (Jin et al.'s fixed initial state x_1). */
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param linear_params[] = {
    {"states", TABRL_INT, "20", "[1,100000]", "number of states"},
    {"actions", TABRL_INT, "4", "[1,10000]", "number of actions"},
    {"dim", TABRL_INT, "5", "[1,10000]", "feature dimension d"},
    {"seed", TABRL_INT, "0", "[0,inf)", "instance seed (stream env)"},
    TABRL_ENV_TIME_PARAMS("20", ""),
    {0},
};

static int linear_build(const tabrl_values *v, tabrl_mdp **out)
{
  int S = (int)tabrl_values_int(v, "states"), A = (int)tabrl_values_int(v, "actions");
  int d = (int)tabrl_values_int(v, "dim"), horizon, status;
  uint64_t seed = (uint64_t)tabrl_values_int(v, "seed");
  double gamma, *mu = NULL, *phi = NULL, *theta = NULL, *ones = NULL, *row = NULL;
  gsl_rng *rng = NULL;
  tabrl_mdp_builder *b = NULL;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if ((double)S * S * A > 2e7 || (double)S * A * d > 2e7)
    return tabrl_error(TABRL_EINVAL, "%d states x %d actions x dim %d is too large", S, A, d);
  mu = malloc((size_t)d * (size_t)S * sizeof *mu);
  phi = malloc((size_t)S * (size_t)A * (size_t)d * sizeof *phi);
  theta = malloc((size_t)d * sizeof *theta);
  ones = malloc((size_t)(S > d ? S : d) * sizeof *ones);
  row = malloc((size_t)S * sizeof *row);
  rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ENV, 0);
  if (!mu || !phi || !theta || !ones || !row || !rng) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < (S > d ? S : d); i++) ones[i] = 1.0;
  for (int i = 0; i < d; i++) gsl_ran_dirichlet(rng, (size_t)S, ones, mu + (size_t)i * S);
  for (size_t sa = 0; sa < (size_t)S * A; sa++)
    gsl_ran_dirichlet(rng, (size_t)d, ones, phi + sa * d);
  for (int i = 0; i < d; i++) theta[i] = gsl_rng_uniform(rng);

  if (!(b = tabrl_mdp_builder_alloc(S, A, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < S; s++) {
    for (int a = 0; a < A; a++) {
      const double *f = phi + ((size_t)s * A + a) * d;
      double reward = 0;
      for (int i = 0; i < d; i++) reward += f[i] * theta[i];
      double total = 0;
      for (int next = 0; next < S; next++) {
        double p = 0;
        for (int i = 0; i < d; i++) p += f[i] * mu[(size_t)i * S + next];
        row[next] = p;
        total += p;
      }
      /* The row sums to 1 up to S rounding errors; dividing by the sum
       * keeps the builder's 1e-12 check safe for large S. */
      for (int next = 0; next < S; next++)
        tabrl_mdp_builder_add(b, 0, s, a, next, row[next] / total, reward);
    }
  }
  status = tabrl_mdp_builder_set_features(b, d, phi, theta);
  if (!status) status = tabrl_mdp_builder_set_name(b, "linear");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  tabrl_mdp_builder_free(b);
  gsl_rng_free(rng);
  free(mu);
  free(phi);
  free(theta);
  free(ones);
  free(row);
  return status;
}

const tabrl_env_type tabrl_env_linear = {
    .name = "linear",
    .doc = "Random linear MDP: P = phi^T mu and r = phi^T theta with simplex features",
    .source = "Jin, Yang, Wang, Jordan 2020 (COLT), linear MDP assumption",
    .params = linear_params,
    .build = linear_build,
};
