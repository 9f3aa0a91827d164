/* tabrl dist: the exact start-state return distribution of a policy. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"
#include "tabrl/policy.h"
#include "tabrl/returns.h"

enum {
  OPT_HORIZON = 256,
  OPT_GAMMA,
  OPT_POLICY,
  OPT_SELECT,
  OPT_OBJECTIVE,
  OPT_FORMAT,
  OPT_EPS,
  OPT_MAX_ATOMS,
  OPT_JOINT
};

const cli_option cli_dist_options[] = {
    {"set", 's', "key=value", "an env parameter (tabrl describe ENV lists them); repeatable"},
    {"horizon", OPT_HORIZON, "H", "episodic model of horizon H"},
    {"gamma", OPT_GAMMA, "G", "discounted model, discount G in [0, 1): the return is truncated"},
    {"policy", OPT_POLICY, "optimal|uniform|FILE.csv",
     "optimal for the objective, uniform over the valid actions, or a policy file as tabrl "
     "eval reads it"},
    {"select", OPT_SELECT, "algo=A,config=C,seed=S", "which policy of FILE.csv"},
    {"objective", OPT_OBJECTIVE, "O",
     "the objective of --policy optimal (default mean; cvar and mean-variance: the optimal "
     "policy of the stock-augmented model)"},
    {"format", OPT_FORMAT, "table|csv",
     "table (default: the atoms, mean, std, CVaR at 0.05/0.1/0.25, atoms) or csv return,prob"},
    {"eps", OPT_EPS, "E",
     "discounted model: truncate at the first T with gamma^T max|r| / (1 - gamma) <= E "
     "(default 1e-6)"},
    {"max-atoms", OPT_MAX_ATOMS, "N",
     "the atom budget: (state, return) atoms alive at one stage, (state, vector) ones with "
     "--joint (default 1000000)"},
    {"joint", OPT_JOINT, NULL,
     "a model with a vector reward (r1..rd): the joint law of the vector return instead (csv "
     "return1,...,returnd,prob in lexicographic order; the table adds each component's mean "
     "and std, their correlations and the scalar return's law); episodic, Markov policies"},
    {NULL, 0, NULL, NULL},
};

/* The policy of --policy: *pi (owned) or the stock solution's (owned by
 * *sol).  Prints the error and returns the exit code. */
static int make_policy(const char *which, const char *select, const tabrl_objective *o,
                       const tabrl_mdp *m, tabrl_policy **pi, tabrl_stock_solution **sol)
{
  int status = 0;
  if (!strcmp(which, "uniform")) {
    if (!(*pi = tabrl_policy_alloc_for(m))) status = TABRL_ENOMEM;
    if (*pi) tabrl_policy_set_uniform(*pi, m);
  } else if (!strcmp(which, "optimal") && o->type->augmented) {
    double J;
    if (!(*sol = tabrl_stock_solution_alloc(m))) {
      cli_error("--objective %s: %s", o->text, tabrl_error_message());
      return CLI_USAGE;
    }
    status = tabrl_objective_stock_optimum(o, m, *sol, &J);
  } else if (!strcmp(which, "optimal")) {
    double *V = calloc(tabrl_oracle_value_size(m), sizeof *V), J;
    if (!(*pi = tabrl_policy_alloc_for(m)) || !V)
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else
      status = tabrl_objective_optimum(o, m, V, *pi, &J);
    free(V);
  } else if ((status = tabrl_policy_read_csv(which, select, m, pi, NULL))) {
    cli_error("%s", tabrl_error_message());
    return cli_status(status);
  }
  if (status) {
    cli_error("--policy %s: %s", which, tabrl_error_message());
    return cli_status(status);
  }
  return CLI_OK;
}

static void print_table(const tabrl_mdp *m, const char *which, const tabrl_objective *o,
                        const tabrl_returns_options *opt, const tabrl_returns_report *rep,
                        tabrl_atom *atoms, size_t n)
{
  double mean = 0, var = 0;
  for (size_t i = 0; i < n; i++) mean += atoms[i].prob * atoms[i].value;
  for (size_t i = 0; i < n; i++)
    var += atoms[i].prob * (atoms[i].value - mean) * (atoms[i].value - mean);
  if (m->horizon > 0)
    printf("%s: %d states, %d actions, horizon %d\n", m->name, m->S, m->A, m->horizon);
  else
    printf("%s: %d states, %d actions, discount %g\n", m->name, m->S, m->A, m->gamma);
  printf("policy %s%s%s, return from mu0\n", which, strcmp(which, "optimal") ? "" : " for ",
         strcmp(which, "optimal") ? "" : o->text);
  if (rep->grid)
    printf("method: forward propagation over (state, stock) on the reward grid (exact)\n");
  else
    printf("method: forward propagation over (state, return), returns within %g relative merged "
           "(at most %zu atoms alive at a stage)\n",
           opt->rel_tol, rep->max_alive);
  if (m->horizon == 0)
    printf("truncated at T = %d steps: |G - G_T| <= gamma^T max|r| / (1 - gamma) = %.6g\n",
           rep->horizon, rep->bound);
  printf("%18s %24s\n", "return", "prob");
  for (size_t i = 0; i < n; i++) printf("%18.12g %24.17g\n", atoms[i].value, atoms[i].prob);
  printf("mean %.12g\nstd %.12g\n", mean, sqrt(var));
  /* Lower-tail CVaR: the mean of the worst alpha of the mass. */
  const double alphas[] = {0.05, 0.1, 0.25};
  for (int k = 0; k < 3; k++)
    printf("cvar %g %.12g\n", alphas[k], tabrl_cvar_lower(atoms, n, alphas[k]));
  printf("atoms %zu\n", n);
}

/* The joint law of the vector return (d components, n atoms, vector i at
 * values + i d) as CSV; d = 1 keeps the scalar header return,prob. */
static void print_joint_csv(int d, const double *values, const double *probs, size_t n)
{
  if (d == 1)
    printf("return");
  else
    for (int i = 0; i < d; i++) printf("%sreturn%d", i ? "," : "", i + 1);
  printf(",prob\n");
  for (size_t k = 0; k < n; k++) {
    for (int i = 0; i < d; i++) printf("%.17g,", values[k * (size_t)d + (size_t)i]);
    printf("%.17g\n", probs[k]);
  }
}

/* The joint atoms, each component's mean and standard deviation and the
 * correlation of each pair (Pearson; "-" when a component is constant,
 * where it is undefined). */
static int print_joint_table(int d, const double *values, const double *probs, size_t n)
{
  double *mean = calloc((size_t)d, sizeof *mean), *cov = calloc((size_t)d * (size_t)d, sizeof *cov);
  if (!mean || !cov) {
    free(mean);
    free(cov);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  const double *x;
  for (size_t k = 0; k < n; k++)
    for (int i = 0; i < d; i++) mean[i] += probs[k] * values[k * (size_t)d + (size_t)i];
  for (size_t k = 0; k < n; k++) {
    x = values + k * (size_t)d;
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) cov[i * d + j] += probs[k] * (x[i] - mean[i]) * (x[j] - mean[j]);
  }
  printf("joint law of the vector return (r1..r%d), forward propagation over (state, vector)\n", d);
  for (int i = 0; i < d; i++) printf("%17s%d", "return", i + 1);
  printf(" %24s\n", "prob");
  for (size_t k = 0; k < n; k++) {
    for (int i = 0; i < d; i++) printf("%18.12g", values[k * (size_t)d + (size_t)i]);
    printf(" %24.17g\n", probs[k]);
  }
  for (int i = 0; i < d; i++)
    printf("component %d mean %.12g std %.12g\n", i + 1, mean[i], sqrt(cov[i * d + i]));
  for (int i = 0; i < d; i++)
    for (int j = i + 1; j < d; j++) {
      double den = sqrt(cov[i * d + i] * cov[j * d + j]);
      if (den > 0)
        printf("corr %d %d %.12g\n", i + 1, j + 1, cov[i * d + j] / den);
      else
        printf("corr %d %d -\n", i + 1, j + 1);
    }
  printf("joint atoms %zu\n", n);
  free(mean);
  free(cov);
  return 0;
}

int cli_dist(int argc, char **argv)
{
  cli_settings settings = {0};
  const char *horizon = NULL, *gamma = NULL, *which = NULL, *select = NULL, *format = "table";
  const char *eps_text = NULL;
  int code = CLI_OK, opt, status, objective_given = 0, joint = 0;
  double *jvalues = NULL, *jprobs = NULL;
  size_t jn = 0;
  tabrl_mdp *m = NULL;
  tabrl_policy *pi = NULL;
  tabrl_stock_solution *sol = NULL;
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  char *end;
  tabrl_objective objective = tabrl_objective_default();
  tabrl_returns_options options = tabrl_returns_options_default();
  tabrl_returns_report report;

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_dist_options)) != -1) {
    switch (opt) {
    case 's':
      if ((code = cli_settings_add(&settings, optarg, "--set"))) goto done;
      break;
    case OPT_HORIZON:
      horizon = optarg;
      break;
    case OPT_GAMMA:
      gamma = optarg;
      break;
    case OPT_POLICY:
      which = optarg;
      break;
    case OPT_SELECT:
      select = optarg;
      break;
    case OPT_OBJECTIVE:
      if ((code = cli_objective(optarg, &objective))) goto done;
      objective_given = 1;
      break;
    case OPT_FORMAT:
      format = optarg;
      break;
    case OPT_EPS:
      eps_text = optarg;
      options.eps = strtod(optarg, &end);
      if (*end || !(options.eps > 0) || !isfinite(options.eps)) {
        cli_error("--eps %s: expected a positive number", optarg);
        code = CLI_USAGE;
        goto done;
      }
      break;
    case OPT_MAX_ATOMS: {
      long long v = strtoll(optarg, &end, 10);
      if (*end || end == optarg || v < 1) {
        cli_error("--max-atoms %s: expected a positive integer", optarg);
        code = CLI_USAGE;
        goto done;
      }
      options.max_atoms = (size_t)v;
      break;
    }
    case OPT_JOINT:
      joint = 1;
      break;
    default:
      code = cli_usage("dist", CLI_USAGE);
      goto done;
    }
  }
  if (optind != argc - 1 || !which) {
    if (optind != argc - 1)
      cli_error("dist needs one ENV (tabrl help dist)");
    else
      cli_error("dist needs --policy optimal|uniform|FILE.csv");
    code = CLI_USAGE;
    goto done;
  }
  if (strcmp(format, "table") && strcmp(format, "csv")) {
    cli_error("--format %s: expected table or csv", format);
    code = CLI_USAGE;
    goto done;
  }
  if (objective_given && strcmp(which, "optimal")) {
    cli_error("--objective chooses the policy of --policy optimal; --policy %s is given", which);
    code = CLI_USAGE;
    goto done;
  }
  if (select && (!strcmp(which, "optimal") || !strcmp(which, "uniform"))) {
    cli_error("--select picks a policy of a file; --policy %s is not one", which);
    code = CLI_USAGE;
    goto done;
  }
  if ((code = cli_build_env(argv[optind], &settings, horizon, gamma, &m))) goto done;
  if (eps_text && m->horizon > 0) {
    cli_error("--eps %s: the truncation tolerance of a discounted model (give --gamma G); this "
              "model is episodic",
              eps_text);
    code = CLI_USAGE;
    goto done;
  }
  if (joint && !m->reward_dim) {
    cli_error("--joint: %s has a scalar reward only (a vector reward: chain with objectives = 2, "
              "or a model file with r1,r2,... columns)",
              m->name);
    code = CLI_USAGE;
    goto done;
  }
  if ((code = make_policy(which, select, &objective, m, &pi, &sol))) goto done;
  if (joint && !pi) {
    cli_error("--joint needs a Markov policy; the optimum of --objective %s is a policy of the "
              "stock-augmented model",
              objective.text);
    code = CLI_USAGE;
    goto done;
  }
  if (joint && (status = tabrl_joint_return_distribution(m, pi, NULL, options.max_atoms, &jvalues,
                                                         &jprobs, &jn))) {
    cli_error("--joint: %s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  /* The table of --joint starts with the scalar return's law, as without it. */
  status = joint && !strcmp(format, "csv")
               ? 0
               : tabrl_return_distribution_opt(m, pi ? pi : sol->pi, NULL, &options, &atoms, &n,
                                               &report);
  if (status) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  if (joint && !strcmp(format, "csv")) {
    print_joint_csv(m->reward_dim, jvalues, jprobs, jn);
  } else if (!strcmp(format, "csv")) {
    printf("return,prob\n");
    for (size_t i = 0; i < n; i++) printf("%.17g,%.17g\n", atoms[i].value, atoms[i].prob);
  } else {
    print_table(m, which, &objective, &options, &report, atoms, n);
    if (joint && (status = print_joint_table(m->reward_dim, jvalues, jprobs, jn))) {
      cli_error("%s", tabrl_error_message());
      code = cli_status(status);
    }
  }
done:
  free(jvalues);
  free(jprobs);
  free(atoms);
  tabrl_policy_free(pi);
  tabrl_stock_solution_free(sol);
  tabrl_mdp_free(m);
  cli_settings_free(&settings);
  return code;
}
