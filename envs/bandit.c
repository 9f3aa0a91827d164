/* K-armed stochastic bandits as one-state MDPs (Lattimore and Szepesvari
 * 2020, "Bandit Algorithms", ch. 4): Bernoulli arms, or Gaussian arms
 * N(mean, sigma^2).
 *
 * One state, `arms` actions, next state always 0, horizon 1 by default (an
 * episode is one pull; a longer horizon is that many pulls per episode).
 * Bernoulli arm a is the exact joint law of two entries, reward 1 w.p.
 * mean_a and 0 w.p. 1 - mean_a, so exact oracles see the true reward law.
 * Gaussian arm a is the deterministic reward mean_a plus the model's
 * zero-mean N(0, sigma^2) reward noise (sigma = 0: deterministic arms).
 * The means are given as a comma list, or drawn uniformly on [0,1] from the
 * stream (seed, env, 0), arm by arm. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param bandit_params[] = {
    {"arms", TABRL_INT, "10", "[1,1000000]",
     "number K of arms (defaults to the length of `means` when that is given)"},
    {"kind", TABRL_CHOICE, "bernoulli", "bernoulli|gaussian", "reward law of an arm"},
    {"means", TABRL_STRING, "", NULL,
     "comma-separated arm means, e.g. 0.5,0.45 (default: uniform on [0,1] from seed)"},
    {"sigma", TABRL_DOUBLE, "1", "[0,inf)", "standard deviation of the Gaussian arms"},
    {"seed", TABRL_INT, "0", "[0,inf)", "seed of the drawn means (stream env)"},
    TABRL_ENV_TIME_PARAMS("1", ""),
    {0},
};

/* Parses "m1, m2, ..." into a new array (count in *n). */
static int parse_means(const char *text, double **out, int *n)
{
  size_t cap = 8, count = 0;
  double *means = malloc(cap * sizeof *means);
  const char *p = text;

  *out = NULL;
  if (!means) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (;;) {
    char *end;
    errno = 0;
    double x = strtod(p, &end);
    if (end == p || errno || !isfinite(x)) {
      free(means);
      return tabrl_error(TABRL_EINVAL, "means: entry %zu of '%s' is not a number", count + 1, text);
    }
    if (count == cap) {
      double *grown = realloc(means, 2 * cap * sizeof *means);
      if (!grown) {
        free(means);
        return tabrl_error(TABRL_ENOMEM, "out of memory");
      }
      means = grown;
      cap *= 2;
    }
    means[count++] = x;
    while (isspace((unsigned char)*end)) end++;
    if (*end == '\0') break;
    if (*end != ',' || count >= 1000000) {
      free(means);
      return tabrl_error(TABRL_EINVAL, "means: expected a comma after entry %zu of '%s'", count,
                         text);
    }
    p = end + 1;
  }
  *out = means;
  *n = (int)count;
  return 0;
}

static int bandit_build(const tabrl_values *v, tabrl_mdp **out)
{
  int arms = (int)tabrl_values_int(v, "arms"), horizon, status;
  int gaussian = tabrl_values_choice(v, "kind") == 1;
  const char *text = tabrl_values_string(v, "means");
  double sigma = tabrl_values_double(v, "sigma"), gamma, *means = NULL;
  tabrl_mdp_builder *b = NULL;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (text && *text) {
    int given = 0;
    if ((status = parse_means(text, &means, &given))) return status;
    if (tabrl_values_explicit(v, "arms") && given != arms) {
      status = tabrl_error(TABRL_EINVAL, "arms = %d but means lists %d values", arms, given);
      goto done;
    }
    arms = given;
  } else {
    tabrl_pcg32 rng;
    if (!(means = malloc((size_t)arms * sizeof *means))) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto done;
    }
    tabrl_rng_stream(&rng, (uint64_t)tabrl_values_int(v, "seed"), TABRL_STREAM_ENV, 0);
    for (int a = 0; a < arms; a++) means[a] = tabrl_pcg32_uniform(&rng);
  }
  if (!(b = tabrl_mdp_builder_alloc(1, arms, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int a = 0; a < arms; a++) {
    if (gaussian) {
      tabrl_mdp_builder_add(b, 0, 0, a, 0, 1.0, means[a]);
      continue;
    }
    if (!(means[a] >= 0 && means[a] <= 1)) {
      status = tabrl_error(TABRL_EINVAL, "Bernoulli arm %d has mean %g outside [0,1]", a, means[a]);
      goto done;
    }
    tabrl_mdp_builder_add(b, 0, 0, a, 0, means[a], 1.0);
    tabrl_mdp_builder_add(b, 0, 0, a, 0, 1.0 - means[a], 0.0);
  }
  if (gaussian && sigma > 0)
    tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_GAUSSIAN, sigma, 0.0});
  status = tabrl_mdp_builder_set_name(b, "bandit");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  tabrl_mdp_builder_free(b);
  free(means);
  return status;
}

const tabrl_env_type tabrl_env_bandit = {
    .name = "bandit",
    .doc = "K-armed Bernoulli or Gaussian bandit (one state, horizon 1)",
    .source = "Lattimore and Szepesvari 2020, Bandit Algorithms, ch. 4 (stochastic bandits)",
    .params = bandit_params,
    .build = bandit_build,
};
