/* tabrl solve --format tex: booktabs tables of an exact solver's
 * iterations, for lecture notes. */
#ifndef TABRL_CLI_SOLVE_TEX_H
#define TABRL_CLI_SOLVE_TEX_H

#include "tabrl/mdp.h"

/* --iterations all refuses a model whose tables would have more rows than
 * this in all (riverswim's 20 stages of 6 states: 1,260). */
#define CLI_TEX_MAX_ALL_ROWS 2000

/* Solves m by method ('b' backward, 'v' value iteration, 'p' policy
 * iteration; eps as tabrl_oracle_vi) and writes the tables of the
 * iterations text selects (all, last or N,M,...; NULL: last) with digits
 * decimals (NULL: 4) to output, or standard output when NULL.  Returns an
 * exit code (CLI_OK, CLI_USAGE, CLI_FAIL), the error said in one line. */
int cli_solve_tex(const tabrl_mdp *m, int method, double eps, const char *iterations,
                  const char *digits, const char *output);

#endif
