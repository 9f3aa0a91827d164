/* risk-scenario: one-period investment problems whose entropic optimum has a
 * closed form, discretised so that the exact oracle can solve them.
 *
 * In the spirit of the closed-form scenarios of Udovichenko et al. 2025,
 * "Risk-Averse Reinforcement Learning with Itakura-Saito Loss", Appendix A
 * (Gaussian-return investment, quadratic penalty, risk-neutral option
 * price).  That appendix was not readable here: the models below are the
 * textbook exponential-utility problems those names describe, with their
 * closed forms derived here, not the paper's parameters.
 *
 * One decision: from the start state 0 the agent picks a
 * position a_j = j amax / (K - 1), j = 0..K-1, and receives
 *
 *   investment  G = w0 + a X
 *   penalty     G = w0 + a X - kappa a^2
 *
 * with X ~ N(mu, sigma^2) the asset's return.  ERM_b of a Gaussian is
 * mean + b var / 2, so for b < 0 the closed form over the grid is
 *
 *   V*(b) = w0 + max_j [ a_j mu - kappa a_j^2 + b a_j^2 sigma^2 / 2 ],
 *
 * maximised over a real a at a* = mu / (2 kappa - b sigma^2) (kappa = 0 for
 * investment: the Merton-like a* = mu / (|b| sigma^2)).
 *
 * Discretisation: X is replaced by the n-step binomial
 * X_n = mu + sigma (2 k - n) / sqrt(n), k ~ Binomial(n, 1/2), which has
 * the same mean and variance; the outcome k leads to state 1 + k.  Its
 * entropic risk is exact in closed form too:
 * ERM_b(a X_n) = a mu + (n / b) log cosh(b a sigma / sqrt(n)), and from
 * x^2/2 - x^4/12 <= log cosh x <= x^2/2,
 *
 *   |V*_n(b) - V*(b)| <= |b|^3 amax^4 sigma^4 / (12 n),
 *
 * (the optimum of each position moves by at most that much, so the max
 * over the grid does too), with V*_n >= V* when b < 0.  The outcome
 * states are absorbing with reward 0, so a longer horizon (default 1) or a
 * discounted model has the same optimum.  The risk-neutral
 * option price of the paper's third scenario is not modelled. */
#include <math.h>
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"

enum { SCENARIO_INVESTMENT, SCENARIO_PENALTY };

static const tabrl_param risk_scenario_params[] = {
    {"scenario", TABRL_CHOICE, "investment", "investment|penalty",
     "G = w0 + a X (investment) or w0 + a X - kappa a^2 (penalty), X ~ N(mu, sigma^2)"},
    {"mu", TABRL_DOUBLE, "1", "(-inf,inf)", "mean return of the asset"},
    {"sigma", TABRL_DOUBLE, "1", "(0,inf)", "standard deviation of the asset's return"},
    {"w0", TABRL_DOUBLE, "0", "(-inf,inf)", "initial wealth, added to every return"},
    {"kappa", TABRL_DOUBLE, "0.5", "[0,inf)", "quadratic penalty on the position (penalty only)"},
    {"actions", TABRL_INT, "11", "[2,1000]", "K positions a_j = j amax / (K - 1)"},
    {"amax", TABRL_DOUBLE, "1", "(0,inf)", "largest position"},
    {"n", TABRL_INT, "64", "[1,10000]",
     "binomial steps replacing the Gaussian: |V*_n - V*| <= |b|^3 amax^4 sigma^4 / (12 n)"},
    TABRL_ENV_TIME_PARAMS("1", ""),
    {0},
};

static int risk_scenario_build(const tabrl_values *v, tabrl_mdp **out)
{
  int scenario = tabrl_values_choice(v, "scenario");
  double mu = tabrl_values_double(v, "mu"), sigma = tabrl_values_double(v, "sigma");
  double w0 = tabrl_values_double(v, "w0"), amax = tabrl_values_double(v, "amax");
  double kappa = scenario == SCENARIO_PENALTY ? tabrl_values_double(v, "kappa") : 0.0;
  int K = (int)tabrl_values_int(v, "actions"), n = (int)tabrl_values_int(v, "n");
  int S = n + 2, status, horizon;
  double gamma;
  tabrl_mdp_builder *b;
  double *mu0;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  mu0 = calloc((size_t)S, sizeof *mu0);
  if (!mu0 || !(b = tabrl_mdp_builder_alloc(S, K, 1))) {
    free(mu0);
    return TABRL_ENOMEM;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  mu0[0] = 1.0;
  for (int j = 0; j < K && !status; j++) {
    double a = j * amax / (K - 1);
    for (int k = 0; k <= n && !status; k++) {
      /* C(n, k) / 2^n in log space: exact enough for n up to 10^4. */
      double p = exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) - n * log(2.0));
      double x = mu + sigma * (2.0 * k - n) / sqrt((double)n);
      status = tabrl_mdp_builder_add(b, 0, 0, j, 1 + k, p, w0 + a * x - kappa * a * a);
    }
    /* The outcome states are only reached at the end of the episode. */
    for (int s = 1; s < S && !status; s++) status = tabrl_mdp_builder_add(b, 0, s, j, s, 1.0, 0.0);
  }
  if (!status) status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status) status = tabrl_mdp_builder_set_name(b, "risk-scenario");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  free(mu0);
  return status;
}

const tabrl_env_type tabrl_env_risk_scenario = {
    .name = "risk-scenario",
    .doc = "one-period Gaussian investment (G = w0 + a X [- kappa a^2]), X binomial with n steps; "
           "entropic optimum w0 + max_a [a mu - kappa a^2 + b a^2 sigma^2 / 2] within "
           "|b|^3 amax^4 sigma^4 / (12 n)",
    .source = "after Udovichenko et al. 2025, Risk-Averse RL with Itakura-Saito Loss, Appendix A "
              "(investment and quadratic-penalty scenarios; closed forms derived here)",
    .params = risk_scenario_params,
    .build = risk_scenario_build,
};
