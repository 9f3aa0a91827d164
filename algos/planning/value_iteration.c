/* value-iteration: one synchronous Bellman optimality backup per iterate().
 *
 * Discounted models: V_{k+1} = T V_k from V_0 = 0, one sweep per iteration
 * (tabrl_oracle_sweep), so ||V_k - V*||_inf <= gamma^k ||V*||_inf by the
 * contraction of T (Puterman 1994, Theorem 6.2.3; Bellman 1957).
 *
 * Episodic models: value iteration on the time-expanded model.  Every
 * iterate() sets V_h <- T_h V_{h+1} for all h at once, from the previous
 * iterate's values (Jacobi, not Gauss-Seidel), with V_H = 0 and V_h = 0 at
 * the start.  After k iterations V_h is exact for h >= H - k, so V is the
 * backward-induction solution after H iterations and the curve over
 * iterations shows how optimal values propagate back from the horizon.
 *
 * policy() is greedy (lowest action on ties) with respect to the current
 * values: stage h w.r.t. V_{h+1} (tabrl_oracle_greedy). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "protocol/testing.h"

static const tabrl_param value_iteration_params[] = {
    {0},
};

typedef struct {
  const tabrl_mdp *model;
  double *V, *V_next; /* tabrl_oracle_value_size each; V_next is scratch */
  double *Q_row;      /* A */
} value_iteration_state;

static void value_iteration_release(void *state)
{
  value_iteration_state *st = state;
  free(st->V);
  free(st->V_next);
  free(st->Q_row);
}

static int value_iteration_init(void *state, const tabrl_problem *problem,
                                const tabrl_values *params)
{
  value_iteration_state *st = state;
  size_t n;
  (void)params;
  if (!problem->model)
    return tabrl_error(TABRL_EINVAL, "value-iteration needs the model (planning protocol)");
  st->model = problem->model;
  n = tabrl_oracle_value_size(st->model);
  st->V = calloc(n, sizeof *st->V);
  st->V_next = calloc(n, sizeof *st->V_next);
  st->Q_row = malloc((size_t)st->model->A * sizeof *st->Q_row);
  if (!st->V || !st->V_next || !st->Q_row)
    return tabrl_error(TABRL_ENOMEM, "value-iteration: out of memory");
  return 0;
}

static int value_iteration_iterate(void *state, long iteration)
{
  value_iteration_state *st = state;
  const tabrl_mdp *m = st->model;
  double *swap;
  (void)iteration;
  if (m->horizon < 1) {
    tabrl_oracle_sweep(m, st->V, st->V_next, NULL);
  } else {
    int H = m->horizon, S = m->S;
    for (int h = 0; h < H; h++)
      for (int s = 0; s < S; s++) {
        double best = -INFINITY;
        tabrl_oracle_backup(m, h, s, st->V + (size_t)(h + 1) * S, 1.0, st->Q_row);
        for (int a = 0; a < m->A; a++)
          if (st->Q_row[a] > best) best = st->Q_row[a];
        st->V_next[(size_t)h * S + s] = best;
      }
    memset(st->V_next + (size_t)H * S, 0, (size_t)S * sizeof *st->V_next);
  }
  swap = st->V;
  st->V = st->V_next;
  st->V_next = swap;
  return 0;
}

static int value_iteration_policy(void *state, tabrl_policy *pi)
{
  value_iteration_state *st = state;
  const tabrl_mdp *m = st->model;
  if (pi->S != m->S || pi->A != m->A || pi->stages != tabrl_mdp_value_stages(m))
    return tabrl_error(TABRL_EINVAL, "value-iteration: policy must be %d x %d with %d stages", m->S,
                       m->A, tabrl_mdp_value_stages(m));
  tabrl_oracle_greedy(m, st->V, pi);
  return 0;
}

const tabrl_algo_type tabrl_algo_value_iteration = {
    .name = "value-iteration",
    .family = "baseline",
    .doc = "Synchronous value iteration: one Bellman optimality backup of all stages per iteration",
    .source = "Bellman 1957; Puterman 1994, Section 6.3 (discounted) and 4.5 (finite horizon)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = value_iteration_params,
    .state_size = sizeof(value_iteration_state),
    .init = value_iteration_init,
    .release = value_iteration_release,
    .policy = value_iteration_policy,
    .iterate = value_iteration_iterate,
};

/* The current values V_k of a value-iteration instance ((H+1)*S episodic,
 * S discounted), for the tests (no public header: the protocol exposes only
 * policy()); NULL for another type. */
const double *tabrl_value_iteration_values(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_value_iteration) return NULL;
  return ((const value_iteration_state *)algo->state)->V;
}
