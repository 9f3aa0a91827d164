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
 * investment and penalty.  One decision: from the start state 0 the agent picks a
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
 * discounted model has the same optimum.
 *
 * scenario = option (risk-neutral option price): a one-period binomial
 * market, exact (no discretisation); see option_build.  States 0, 1 (up),
 * 2 (down); mu, sigma, kappa and n are not used. */
#include <math.h>
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"

enum { SCENARIO_INVESTMENT, SCENARIO_PENALTY, SCENARIO_OPTION };

static const tabrl_param risk_scenario_params[] = {
    {"scenario", TABRL_CHOICE, "investment", "investment|penalty|option",
     "G = w0 + a X (investment) or w0 + a X - kappa a^2 (penalty), X ~ N(mu, sigma^2); option: "
     "G = w0 - (S1 - strike)^+ + a (S1 - 1), S1 = up or down under the risk-neutral law"},
    {"mu", TABRL_DOUBLE, "1", "(-inf,inf)", "mean return of the asset"},
    {"sigma", TABRL_DOUBLE, "1", "(0,inf)", "standard deviation of the asset's return"},
    {"w0", TABRL_DOUBLE, "0", "(-inf,inf)", "initial wealth, added to every return"},
    {"kappa", TABRL_DOUBLE, "0.5", "[0,inf)", "quadratic penalty on the position (penalty only)"},
    {"actions", TABRL_INT, "11", "[2,1000]", "K positions a_j = j amax / (K - 1)"},
    {"amax", TABRL_DOUBLE, "1", "(0,inf)", "largest position"},
    {"n", TABRL_INT, "64", "[1,10000]",
     "binomial steps replacing the Gaussian: |V*_n - V*| <= |b|^3 amax^4 sigma^4 / (12 n)"},
    {"up", TABRL_DOUBLE, "1.2", "(1,inf)", "option: the stock's price after an up move (from 1)"},
    {"down", TABRL_DOUBLE, "0.8", "(0,1)", "option: the stock's price after a down move"},
    {"strike", TABRL_DOUBLE, "1", "(0,inf)",
     "option: the call's strike, strictly between down and up"},
    TABRL_ENV_TIME_PARAMS("1", ""),
    {0},
};

/* The one-period binomial market of scenario = option: the seller of a
 * call receives w0, pays (S1 - strike)^+ and holds a shares of the stock
 * (price 1 now, up or down later, zero interest).  Under the risk-neutral
 * law q = (1 - down) / (up - down) the hedge delta = (up - strike) / (up -
 * down) makes G = w0 - q (up - strike) for sure, and any other a adds
 * (a - delta)(S1 - 1), a zero-mean gamble, which lowers ERM_b for b < 0
 * (Jensen).  So V* = w0 - q (up - strike) exactly for every b < 0: the
 * risk-neutral price is the exponential-utility indifference price.  The
 * positions a_j = j 2 delta / (K - 1) hold delta when K is odd. */
static int option_build(const tabrl_values *v, tabrl_mdp_builder *b, int K)
{
  double up = tabrl_values_double(v, "up"), down = tabrl_values_double(v, "down");
  double strike = tabrl_values_double(v, "strike"), w0 = tabrl_values_double(v, "w0");
  int status = 0;
  if (!(down < strike && strike < up))
    return tabrl_error(TABRL_EINVAL,
                       "env risk-scenario key 'strike': %g must lie strictly between down = %g "
                       "and up = %g",
                       strike, down, up);
  if (K % 2 == 0)
    return tabrl_error(TABRL_EINVAL,
                       "env risk-scenario key 'actions': scenario = option needs an odd number of "
                       "positions (%d) so that the hedge delta is one of them",
                       K);
  double q = (1 - down) / (up - down), delta = (up - strike) / (up - down);
  for (int j = 0; j < K && !status; j++) {
    double a = j * 2 * delta / (K - 1);
    status = tabrl_mdp_builder_add(b, 0, 0, j, 1, q, w0 - (up - strike) + a * (up - 1));
    if (!status) status = tabrl_mdp_builder_add(b, 0, 0, j, 2, 1 - q, w0 + a * (down - 1));
    for (int s = 1; s < 3 && !status; s++) status = tabrl_mdp_builder_add(b, 0, s, j, s, 1.0, 0.0);
  }
  return status;
}

static int risk_scenario_build(const tabrl_values *v, tabrl_mdp **out)
{
  int scenario = tabrl_values_choice(v, "scenario");
  double mu = tabrl_values_double(v, "mu"), sigma = tabrl_values_double(v, "sigma");
  double w0 = tabrl_values_double(v, "w0"), amax = tabrl_values_double(v, "amax");
  double kappa = scenario == SCENARIO_PENALTY ? tabrl_values_double(v, "kappa") : 0.0;
  int K = (int)tabrl_values_int(v, "actions"), n = (int)tabrl_values_int(v, "n");
  int S = scenario == SCENARIO_OPTION ? 3 : n + 2, status, horizon;
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
  if (scenario == SCENARIO_OPTION) status = option_build(v, b, K);
  for (int j = 0; j < K && !status && scenario != SCENARIO_OPTION; j++) {
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
    .doc =
        "closed-form entropic scenarios: one-period Gaussian investment G = w0 + a X [- kappa a^2] "
        "(X binomial, n steps), optimum w0 + max_a [a mu - kappa a^2 + b a^2 sigma^2 / 2] within "
        "|b|^3 amax^4 sigma^4 / (12 n); option: w0 - q (up - strike) exactly for b < 0",
    .source = "after Udovichenko et al. 2025, Risk-Averse RL with Itakura-Saito Loss, Appendix A "
              "(investment, quadratic-penalty and option scenarios; closed forms derived here)",
    .params = risk_scenario_params,
    .build = risk_scenario_build,
};
