/* tabrl bench --peers: each algorithm alone against the same algorithm
 * written densely in Numba (tests/bench/NAME_reference.py). */
#ifndef TABRL_CLI_BENCH_PEERS_H
#define TABRL_CLI_BENCH_PEERS_H

#include <stddef.h>
#include "tabrl/algo.h"
#include "tabrl/mdp.h"

/* Episodes/s of an online type alone (simulator included, no runner) over
 * exactly *episodes episodes (a multiple of 16); 0 with why set if it
 * cannot run on m.  bench.c's own loop, so both sections time the same. */
double bench_algo_alone(const tabrl_algo_type *type, const tabrl_setting *set, size_t nset,
                        const tabrl_mdp *m, long *episodes, char *why, size_t why_size);

/* Prints the --peers table (or one skip line); 0, or CLI_FAIL when a model
 * cannot be built or written. */
int bench_peers(int quick);

#endif
