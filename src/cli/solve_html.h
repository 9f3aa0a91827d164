/* `tabrl solve --format html`: one self-contained page that steps through
 * the solver's iterations (tabrl/steps.h). */
#ifndef TABRL_CLI_SOLVE_HTML_H
#define TABRL_CLI_SOLVE_HTML_H

#include "cli/cli.h"
#include "tabrl/mdp.h"
#include "tabrl/oracle.h"

/* Grids with more states are shown as a table. */
#define CLI_HTML_GRID_MAX_STATES 400
/* The table (and the data inlined) covers at most this many states, fewer
 * when the model has many stages: the page stays under CLI_HTML_MAX_BYTES. */
#define CLI_HTML_TABLE_MAX_STATES 500
/* Models with at most this many outcomes (s, a, s') inline them: a click
 * on a state shows how each Q(s, a) is made. */
#define CLI_HTML_MAX_OUTCOMES 20000
/* The inlined steps are thinned (the first 100, every k-th, the last) to
 * keep the page below this size. */
#define CLI_HTML_MAX_BYTES 2000000

/* Records the solver's steps on m (method 'b' backward, 'v' value
 * iteration, 'p' policy iteration; eps: value iteration's tolerance) and
 * writes the page to output (NULL: standard output); trace (or NULL) gets
 * the solver's per-iteration calls (--trace).  env, settings, horizon and
 * gamma are the command line's, for the parameter table.
 * Prints the error and returns the exit code. */
int cli_solve_html(const char *env, const cli_settings *settings, const char *horizon,
                   const char *gamma, const tabrl_mdp *m, int method, double eps,
                   const tabrl_trace *trace, const char *output);

#endif
