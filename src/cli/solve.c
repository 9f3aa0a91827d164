/* tabrl solve / tabrl export. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/solve_html.h"
#include "cli/solve_tex.h"
#include "model/fileio.h"
#include "tabrl/error.h"
#include "tabrl/mdp_io.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"
#include "tabrl/returns.h"

enum {
  OPT_HORIZON = 256,
  OPT_GAMMA,
  OPT_METHOD,
  OPT_FORMAT,
  OPT_TRACE,
  OPT_EPS,
  OPT_OBJECTIVE,
  OPT_BUDGET,
  OPT_ITERATIONS,
  OPT_DIGITS
};

const cli_option cli_solve_options[] = {
    {"set", 's', "key=value", "an env parameter (tabrl describe ENV lists them); repeatable"},
    {"horizon", OPT_HORIZON, "H", "episodic model of horizon H"},
    {"gamma", OPT_GAMMA, "G", "discounted model, discount G in [0, 1)"},
    {"method", OPT_METHOD, "backward|vi|pi",
     "solver of the mean objective (default: backward if episodic, else pi)"},
    {"eps", OPT_EPS, "E", "value iteration: greedy policy E-optimal (default 1e-9)"},
    {"format", OPT_FORMAT, "table|csv|map|html|tex",
     "table (default), csv h,s,value,action (augmented objectives: h,s,stock,value,action), "
     "the greedy actions on a grid map, html: one offline page stepping through the solver's "
     "iterations, or tex: booktabs tables of V, Q and the policy"},
    {"trace", OPT_TRACE, NULL,
     "one line per VI/PI iteration (on stdout with the table, else stderr)"},
    {"objective", OPT_OBJECTIVE, "O", "objective to optimise (tabrl list objectives)"},
    {"budget", OPT_BUDGET, "B",
     "constrained MDP (a model with costs): the optimum with expected cost <= B by the LP over "
     "occupancy measures, its cost and the budget's dual price"},
    {"output", 'o', "FILE",
     "with --budget: write the optimal (stochastic) policy as h,s,a,prob (tabrl eval reads it); "
     "with --format html: the page, with --format tex: the tables (default: standard output)"},
    {"iterations", OPT_ITERATIONS, "all|last|N,M,...",
     "--format tex: the iterations tabled (VI sweeps, PI iterations, backward stages; default "
     "last)"},
    {"digits", OPT_DIGITS, "D", "--format tex: decimals of each number, 1 to 17 (default 4)"},
    {NULL, 0, NULL, NULL},
};

const cli_option cli_export_options[] = {
    {"set", 's', "key=value", "an env parameter; repeatable"},
    {"horizon", OPT_HORIZON, "H", "episodic model of horizon H"},
    {"gamma", OPT_GAMMA, "G", "discounted model, discount G in [0, 1)"},
    {"output", 'o', "FILE.csv", "where to write the model ('-': standard output)"},
    {NULL, 0, NULL, NULL},
};

/* The trace goes to ctx (stderr unless the output is the table), so that
 * --format csv keeps its header on the first line of standard output.  Policy
 * iteration's first iteration has no previous value: its residual is "-". */
static void print_trace(void *ctx, int iter, double residual, long changes)
{
  char text[32] = "-";
  if (!isnan(residual)) snprintf(text, sizeof text, "%.6g", residual);
  fprintf(ctx, "iteration %4d  residual %-12s  policy changes %ld\n", iter, text, changes);
}

static void print_map(const tabrl_mdp *m, const tabrl_policy *pi)
{
  const tabrl_grid *g = m->grid;
  for (int r = 0; r < g->rows; r++) {
    for (int c = 0; c < g->cols; c++) {
      int cell = r * g->cols + c, s = g->state_of_cell[cell];
      char ch = g->cells[cell];
      /* Terminal cells keep their letter; free cells (cliff-risk's risky R
       * too) show the action. */
      if (s >= 0 && (ch == '.' || ch == 'F' || ch == 'S' || ch == 'o' || ch == 'R'))
        ch = g->action_glyphs[tabrl_policy_argmax(pi, 0, s)];
      putchar(ch);
    }
    putchar('\n');
  }
}

/* The optimum of an augmented objective: csv rows h,s,stock,value,action
 * for every augmented state some policy reaches from some start state (the
 * h = 0 rows at stock 0 with the optimum from s, each with its own
 * threshold), the map (each state's action where the optimal policy from
 * mu0 most likely visits it, else at h = 0), or the table (J*, threshold,
 * stage-0 values, and the rows the optimal policy from mu0 visits). */
static int print_stock(const tabrl_mdp *m, const tabrl_objective *o, const double *V,
                       const char *format)
{
  double J = 0;
  tabrl_stock_solution *sol = tabrl_stock_solution_alloc(m);
  double *d = NULL;
  int status = sol ? tabrl_objective_stock_optimum(o, m, sol, &J) : TABRL_ENOMEM;
  size_t layer = sol ? (size_t)m->S * (size_t)sol->grid.K : 0;
  if (!status && strcmp(format, "csv")) {
    if (!(d = malloc((size_t)m->horizon * layer * sizeof *d)))
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else
      tabrl_stock_occupancy(m, &sol->grid, sol->pi, d);
  }
  if (status) {
    cli_error("%s", tabrl_error_message());
    tabrl_stock_solution_free(sol);
    return cli_status(status);
  }
  const tabrl_stock_grid *g = &sol->grid;
  if (!strcmp(format, "csv")) {
    printf("h,s,stock,value,action\n");
    for (int h = 0; h < m->horizon; h++)
      for (size_t i = 0; i < layer; i++) {
        long u = tabrl_stock_stock(g, (long)i);
        double value = sol->value[(size_t)h * layer + i];
        int s = tabrl_stock_state(g, (long)i);
        if (isnan(value) || (h == 0 && u != 0)) continue;
        printf("%d,%d,%.15g,%.17g,%d\n", h, s, (double)u * g->quantum, h ? value : V[s],
               tabrl_policy_argmax(sol->pi, h, (int)i));
      }
  } else if (!strcmp(format, "map")) {
    tabrl_policy *shown = tabrl_policy_alloc(m->S, m->A, 1);
    if (!shown) {
      cli_error("out of memory");
      status = TABRL_ENOMEM;
    }
    for (int s = 0; shown && s < m->S; s++) {
      long at = tabrl_stock_index(g, s, 0);
      int at_h = 0;
      double most = 0;
      for (int h = 0; h < m->horizon; h++)
        for (long k = 0; k < g->K; k++) {
          long i = (long)s * g->K + k;
          if (d[(size_t)h * layer + (size_t)i] > most)
            most = d[(size_t)h * layer + (size_t)i], at = i, at_h = h;
        }
      tabrl_policy_set_action(shown, 0, s, tabrl_policy_argmax(sol->pi, at_h, (int)at));
    }
    if (shown) print_map(m, shown);
    tabrl_policy_free(shown);
  } else {
    printf("J* = %.12g\nthreshold c = %.12g (the c of the optimum from mu0)\n", J, sol->threshold);
    printf("stage 0, stock 0: the optimum from each state (each with its own c)\n%6s %18s\n",
           "state", "value");
    for (int s = 0; s < m->S; s++) printf("%6d %18.12g\n", s, V[s]);
    printf("optimal policy from mu0 on the stock-augmented states it visits (--format csv lists "
           "every reachable one):\n%6s %6s %12s %12s %6s\n",
           "stage", "state", "stock", "prob", "action");
    for (int h = 0; h < m->horizon; h++)
      for (size_t i = 0; i < layer; i++)
        if (d[(size_t)h * layer + i] > 0)
          printf("%6d %6d %12.10g %12.6g %6d\n", h, tabrl_stock_state(g, (long)i),
                 (double)tabrl_stock_stock(g, (long)i) * g->quantum, d[(size_t)h * layer + i],
                 tabrl_policy_argmax(sol->pi, h, (int)i));
  }
  free(d);
  tabrl_stock_solution_free(sol);
  return status ? CLI_FAIL : CLI_OK;
}

static int parse_method(const char *text, const tabrl_mdp *m, int *method)
{
  if (!text) {
    *method = m->horizon > 0 ? 'b' : 'p';
    return CLI_OK;
  }
  if (!strcmp(text, "backward"))
    *method = 'b';
  else if (!strcmp(text, "vi"))
    *method = 'v';
  else if (!strcmp(text, "pi"))
    *method = 'p';
  else {
    cli_error("--method %s: expected backward, vi or pi", text);
    return CLI_USAGE;
  }
  if (*method == 'b' && m->horizon == 0) {
    cli_error("--method backward needs an episodic model (give --horizon H)");
    return CLI_USAGE;
  }
  if (*method == 'v' && m->horizon > 0) {
    cli_error(
        "--method vi is for discounted models (give --gamma G); episodic models use backward");
    return CLI_USAGE;
  }
  return CLI_OK;
}

static int write_policy(FILE *f, void *ctx)
{
  const tabrl_policy *pi = ctx;
  fprintf(f, "h,s,a,prob\n");
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++)
      for (int a = 0; a < pi->A; a++) {
        double p = tabrl_policy_row(pi, h, s)[a];
        if (p > 0) fprintf(f, "%d,%d,%d,%.17g\n", h, s, a, p);
      }
  return ferror(f) ? tabrl_error(TABRL_EIO, "write error") : 0;
}

/* tabrl solve --budget B: the constrained optimum (tabrl_oracle_cmdp_lp),
 * printed with its cost and lambda*, and its policy into output (or NULL).
 * Stage 0's rows are printed; the file holds every stage. */
static int solve_budget(const tabrl_mdp *m, double budget, const char *output)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_cmdp_solution sol;
  int status, code = CLI_OK;
  if (!pi) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  if (!m->cost) {
    cli_error("--budget %g: model %s has no costs (a CSV column c, or chain's cost = c)", budget,
              m->name);
    code = CLI_USAGE;
  } else if ((status = tabrl_oracle_cmdp_lp(m, budget, pi, &sol))) {
    cli_error("--budget %g: %s", budget, tabrl_error_message());
    code = status == TABRL_EINVAL ? CLI_USAGE : CLI_FAIL;
  } else if (output && tabrl_write_atomic(output, write_policy, pi)) {
    cli_error("-o %s: %s", output, tabrl_error_message());
    code = CLI_FAIL;
  }
  if (code) {
    tabrl_policy_free(pi);
    return code;
  }
  if (m->horizon > 0)
    printf("%s: %d states, %d actions, horizon %d, %zu outcomes\n", m->name, m->S, m->A, m->horizon,
           m->nnz);
  else
    printf("%s: %d states, %d actions, discount %g, %zu outcomes\n", m->name, m->S, m->A, m->gamma,
           m->nnz);
  printf("method: linear program over occupancy measures (GLPK simplex, exact)\n");
  printf("budget B = %.12g\nJ_LP = max V_r subject to C <= B = %.12g\n", budget, sol.value);
  printf("C = expected cost of the optimal policy = %.12g\n", sol.cost);
  printf("lambda* = dual price of the budget = %.12g\n", sol.lambda);
  printf("%s%6s  %s\n", m->horizon > 0 ? "stage 0 (-o writes every stage)\n" : "", "state",
         "pi(a|s) for a = 0..A-1");
  for (int s = 0; s < m->S; s++) {
    printf("%6d ", s);
    for (int a = 0; a < m->A; a++) printf(" %.6g", tabrl_policy_row(pi, 0, s)[a]);
    putchar('\n');
  }
  if (output) printf("wrote %s\n", output);
  tabrl_policy_free(pi);
  return CLI_OK;
}

int cli_solve(int argc, char **argv)
{
  cli_settings settings = {0};
  const char *horizon = NULL, *gamma = NULL, *method_text = NULL, *format = "table";
  const char *budget_text = NULL, *output = NULL, *tex_iterations = NULL, *tex_digits = NULL;
  double eps = 1e-9, budget = 0;
  int trace = 0, code = CLI_OK, opt, method = 'b', iterations = 0, status;
  tabrl_mdp *m = NULL;
  tabrl_policy *pi = NULL;
  double *V = NULL;
  char *end;
  tabrl_objective objective = tabrl_objective_default();

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_solve_options)) != -1) {
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
    case OPT_METHOD:
      method_text = optarg;
      break;
    case OPT_FORMAT:
      format = optarg;
      break;
    case OPT_TRACE:
      trace = 1;
      break;
    case OPT_EPS:
      eps = strtod(optarg, &end);
      if (*end || !(eps > 0)) {
        cli_error("--eps %s: expected a positive number", optarg);
        code = CLI_USAGE;
        goto done;
      }
      break;
    case OPT_OBJECTIVE:
      if ((code = cli_objective(optarg, &objective))) goto done;
      break;
    case OPT_BUDGET:
      budget_text = optarg;
      budget = strtod(optarg, &end);
      if (end == optarg || *end || !isfinite(budget)) {
        cli_error("--budget %s: expected a finite number", optarg);
        code = CLI_USAGE;
        goto done;
      }
      break;
    case 'o':
      output = optarg;
      break;
    case OPT_ITERATIONS:
      tex_iterations = optarg;
      break;
    case OPT_DIGITS:
      tex_digits = optarg;
      break;
    default:
      code = cli_usage("solve", CLI_USAGE);
      goto done;
    }
  }
  if (optind != argc - 1) {
    code = cli_usage("solve", CLI_USAGE);
    goto done;
  }
  if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "map") &&
      strcmp(format, "html") && strcmp(format, "tex")) {
    cli_error("--format %s: expected table, csv, map, html or tex", format);
    code = CLI_USAGE;
    goto done;
  }
  int html = !strcmp(format, "html");
  if (html && objective.type != &tabrl_objective_mean) {
    cli_error("--format html: steps through the mean objective's solvers; not with --objective");
    code = CLI_USAGE;
    goto done;
  }
  if (output && !budget_text && !html && strcmp(format, "tex")) {
    cli_error("-o %s: writes the constrained optimum's policy; it needs --budget B (or --format "
              "html or tex: the page or the tables)",
              output);
    code = CLI_USAGE;
    goto done;
  }
  if (budget_text && (method_text || trace || strcmp(format, "table") ||
                      objective.type != &tabrl_objective_mean)) {
    cli_error("--budget %s: the LP solves the mean objective and prints a table; not with "
              "--method, --trace, --format or --objective",
              budget_text);
    code = CLI_USAGE;
    goto done;
  }
  if (output && tabrl_output_path_check("-o", output, TABRL_OUTPUT_FILE)) {
    cli_error("%s", tabrl_error_message());
    code = CLI_USAGE;
    goto done;
  }
  if ((code = cli_build_env(argv[optind], &settings, horizon, gamma, &m))) goto done;
  if (budget_text) {
    code = solve_budget(m, budget, output);
    goto done;
  }
  if (!strcmp(format, "map") && !m->grid) {
    cli_error("--format map: environment '%s' has no grid map", argv[optind]);
    code = CLI_USAGE;
    goto done;
  }
  /* --method chooses among the mean's solvers; another objective is
   * solved by its own exact oracle. */
  int mean = objective.type == &tabrl_objective_mean;
  if (!mean && method_text) {
    cli_error("--method applies to the mean objective; %s is solved by its own oracle",
              objective.text);
    code = CLI_USAGE;
    goto done;
  }
  if (mean && (code = parse_method(method_text, m, &method))) goto done;
  /* --format tex: the tables of every iteration the solver records. */
  if ((tex_iterations || tex_digits) && strcmp(format, "tex")) {
    cli_error("--%s: only with --format tex", tex_iterations ? "iterations" : "digits");
    code = CLI_USAGE;
    goto done;
  }
  if (!strcmp(format, "tex")) {
    if (!mean || trace) {
      cli_error("--format tex: tables of the mean objective's solvers; not with %s",
                trace ? "--trace (--iterations all tables every iteration)" : "--objective");
      code = CLI_USAGE;
    } else {
      code = cli_solve_tex(m, method, eps, tex_iterations, tex_digits, output);
    }
    goto done;
  }
  tabrl_trace tr = {print_trace, !strcmp(format, "table") ? stdout : stderr, NULL};
  if (html) { /* the page records the solver's steps itself */
    code = cli_solve_html(argv[optind], &settings, horizon, gamma, m, method, eps,
                          trace ? &tr : NULL, output);
    goto done;
  }

  V = calloc(tabrl_oracle_value_size(m), sizeof *V);
  pi = tabrl_policy_alloc_for(m);
  if (!V || !pi) {
    cli_error("out of memory");
    code = CLI_FAIL;
    goto done;
  }
  double J = 0;
  if (!mean)
    status = tabrl_objective_optimum(&objective, m, V, objective.type->augmented ? NULL : pi, &J);
  else if (method == 'b')
    status = tabrl_oracle_backward(m, V, NULL, pi);
  else if (method == 'v')
    status = tabrl_oracle_vi(m, eps, 10000000, V, pi, trace ? &tr : NULL, &iterations);
  else if (m->S <= TABRL_ORACLE_DENSE_PI_MAX_STATES)
    status = tabrl_oracle_pi(m, 100000, pi, V, trace ? &tr : NULL, &iterations);
  else
    status = tabrl_oracle_pi_sparse(m, 100000, pi, V, trace ? &tr : NULL, &iterations);
  if (status == TABRL_ENOMEM) {
    /* Say what fits: VI and sparse PI need O(S) beyond the model. */
    cli_error("%s solving %d states; --method vi needs the least memory (3 values per state "
              "beyond the model)",
              tabrl_error_message(), m->S);
    code = CLI_FAIL;
    goto done;
  }
  if (status) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }

  int stages = tabrl_mdp_value_stages(m);
  if (objective.type->augmented && strcmp(format, "table")) {
    code = print_stock(m, &objective, V, format);
  } else if (!strcmp(format, "csv")) {
    printf("h,s,value,action\n");
    for (int h = 0; h < stages; h++)
      for (int s = 0; s < m->S; s++)
        printf("%d,%d,%.17g,%d\n", h, s, V[(size_t)h * m->S + s], tabrl_policy_argmax(pi, h, s));
  } else if (!strcmp(format, "map")) {
    print_map(m, pi);
  } else {
    if (m->horizon > 0)
      printf("%s: %d states, %d actions, horizon %d, %zu outcomes\n", m->name, m->S, m->A,
             m->horizon, m->nnz);
    else
      printf("%s: %d states, %d actions, discount %g, %zu outcomes\n", m->name, m->S, m->A,
             m->gamma, m->nnz);
    if (!mean)
      printf("objective %s: %s\nmethod: its exact oracle (%s)\n", objective.text,
             objective.type->doc, objective.type->source);
    else if (method == 'b')
      printf("method: backward induction (exact)\n");
    else if (method == 'v')
      printf(
          "method: value iteration, %d sweeps, stopped at ||V_k - V_k-1|| < eps(1-gamma)/(2 gamma)"
          " with eps = %g: greedy policy eps-optimal, |V - V*| < eps/2\n",
          iterations, eps);
    else
      printf("method: policy iteration, %d iterations, %s\n", iterations,
             m->S <= TABRL_ORACLE_DENSE_PI_MAX_STATES
                 ? "exact (LU) evaluation"
                 : "sparse iterative evaluation, |V - V^pi| <= "
                   "1e-12 / (1 - gamma)");
    if (objective.type->augmented) {
      code = print_stock(m, &objective, V, format);
      goto done;
    }
    if (!mean) {
      printf("J* = %.12g\n", J);
    } else {
      printf("J* = sum_s mu0(s) V*_0(s) = %.12g\n", tabrl_oracle_start_value(m, V));
    }
    printf("%s%6s %18s %6s\n", m->horizon > 0 ? "stage 0 (--format csv lists every stage)\n" : "",
           "state", "value", "action");
    for (int s = 0; s < m->S; s++)
      printf("%6d %18.12g %6d\n", s, V[s], tabrl_policy_argmax(pi, 0, s));
  }
done:
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  cli_settings_free(&settings);
  return code;
}

int cli_export(int argc, char **argv)
{
  cli_settings settings = {0};
  const char *horizon = NULL, *gamma = NULL, *output = NULL;
  int code = CLI_OK, opt, status;
  tabrl_mdp *m = NULL;

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_export_options)) != -1) {
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
    case 'o':
      output = optarg;
      break;
    default:
      code = cli_usage("export", CLI_USAGE);
      goto done;
    }
  }
  if (optind != argc - 1 || !output) {
    if (!output && optind == argc - 1)
      cli_error("export needs -o FILE.csv (or -o - for standard output)");
    code = cli_usage("export", CLI_USAGE);
    goto done;
  }
  if (strcmp(output, "-") && tabrl_output_path_check("-o", output, TABRL_OUTPUT_FILE)) {
    cli_error("%s", tabrl_error_message());
    code = CLI_USAGE;
    goto done;
  }
  if ((code = cli_build_env(argv[optind], &settings, horizon, gamma, &m))) goto done;
  status =
      !strcmp(output, "-") ? tabrl_mdp_write_csv_stream(m, stdout) : tabrl_mdp_write_csv(m, output);
  if (status) {
    cli_error("%s", tabrl_error_message());
    code = CLI_FAIL;
  }
done:
  tabrl_mdp_free(m);
  cli_settings_free(&settings);
  return code;
}
