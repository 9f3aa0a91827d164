/* plug-in: certainty-equivalence planning on the empirical model.
 *
 * The model-based offline baseline (Azar, Munos, Kappen 2013, "Minimax PAC
 * bounds on the sample complexity of RL with a generative model", MLJ 91,
 * the "empirical model" approach; Agarwal, Kakade, Yang 2020, COLT, for its
 * optimality with a generative model).  From the dataset's transitions
 * (h, s, a, s', r) it counts N_h(s,a), N_h(s,a,s') and the reward sums,
 * estimates
 *
 *   P-hat_h(s'|s,a) = N_h(s,a,s') / N_h(s,a),
 *   r-hat_h(s,a)    = (sum of the rewards seen at (h,s,a)) / N_h(s,a),
 *
 * and plans on (P-hat, r-hat) as if it were the truth:
 *
 * - episodic: backward induction, V_H = 0,
 *   Q_h(s,a) = r-hat_h(s,a) + sum_s' P-hat_h(s'|s,a) V_{h+1}(s'),
 *   V_h(s) = max over valid a of Q_h(s,a);
 * - discounted: value iteration with the same backup (discount gamma),
 *   warm-started from the previous fit's V and stopped when
 *   ||V_k - V_{k-1}||_inf < tolerance (1 - gamma) / (2 gamma), so the greedy
 *   policy is tolerance-optimal for the empirical model (Puterman 1994,
 *   Thm 6.3.1); more than max_sweeps sweeps is a TABRL_ENUMERIC error.
 *
 * Counts are stage-dependent (h is part of the key) unless `stationary` is
 * set, which pools them across h; a discounted problem always pools (its
 * steps' h is ignored).  An unvisited (h, s, a) (N = 0) gets
 *   unvisited = zero:        Q_h(s,a) = 0 (the action is taken to be worth
 *                            nothing from here on: pessimistic, the lower
 *                            bound on values when rewards are >= 0);
 *   unvisited = optimistic:  Q_h(s,a) = H - h episodic, 1 / (1 - gamma)
 *                            discounted (the largest value when rewards lie
 *                            in [0,1]; R-max style).
 * policy() is greedy in Q, lowest action on ties (deterministic).
 *
 * Incremental counts.  fit() sees growing prefixes of one dataset, so it
 * only counts the steps it has not seen (O(new steps)) and then plans
 * (O(H * entries)).  The counts are the shared sparse empirical model
 * (algos/common/empirical.h): memory O(H S A + distinct transitions),
 * never the dense H S A S.  A prefix shorter than the last one or a
 * different steps array starts the counts afresh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/backward.h"
#include "common/empirical.h"

enum { UNVISITED_ZERO, UNVISITED_OPTIMISTIC };

static const tabrl_param plug_in_params[] = {
    {"stationary", TABRL_BOOL, "false", NULL,
     "pool the counts of all stages h (a stationary empirical model); discounted problems always "
     "pool"},
    {"unvisited", TABRL_CHOICE, "zero", "zero|optimistic",
     "Q of an unvisited (h,s,a): 0, or the largest value H - h (1/(1-gamma) discounted)"},
    {"tolerance", TABRL_DOUBLE, "1e-9", "(0,inf)",
     "discounted only: the greedy policy is tolerance-optimal for the empirical model"},
    {"max_sweeps", TABRL_INT, "1000000", "[1,inf)",
     "discounted only: value-iteration sweeps allowed per fit"},
    {0},
};

typedef struct {
  int S, A, H; /* H = 0 when discounted */
  double gamma;
  int count_stages; /* H, or 1 when pooled */
  int value_stages; /* H, or 1 when discounted */
  int unvisited;
  double tolerance;
  long max_sweeps;
  baseline_actions actions;
  tabrl_empirical counts; /* count_stages stages */

  const tabrl_step *steps_seen;
  size_t n_seen;

  double *V, *V_next; /* (H+1)*S episodic; S each discounted */
  int *greedy;        /* value_stages*S */
} plug_in_state;

static void plug_in_release(void *state)
{
  plug_in_state *st = state;
  baseline_actions_free(&st->actions);
  if (st->counts.visits) tabrl_empirical_free(&st->counts);
  free(st->V);
  free(st->V_next);
  free(st->greedy);
}

static void clear_counts(plug_in_state *st)
{
  tabrl_empirical_clear(&st->counts);
  st->n_seen = 0;
  st->steps_seen = NULL;
}

/* The backup of the empirical model (algos/common/backward.h): ctx is a
 * plug_in_backup. */
typedef struct {
  const plug_in_state *st;
  double discount;
  double unvisited;  /* Q of an unvisited pair, unless horizon_value */
  int horizon_value; /* unvisited = optimistic, episodic: Q = H - h */
} plug_in_backup;

static double plug_in_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const plug_in_backup *c = ctx;
  const tabrl_empirical *e = &c->st->counts;
  size_t block = tabrl_empirical_block(e, h, s, a);
  if (e->visits[block] == 0) return c->horizon_value ? (double)(c->st->H - h) : c->unvisited;
  return tabrl_empirical_mean_reward(e, block) +
         c->discount * tabrl_empirical_expect(e, block, next_V);
}

static int plug_in_actions(const void *ctx, int h, int s, const int **list)
{
  const baseline_actions *v = &((const plug_in_backup *)ctx)->st->actions;
  *list = baseline_actions_list(v, h, s);
  return baseline_actions_count(v, h, s);
}

static const tabrl_backup_hooks plug_in_hooks = {.backup = plug_in_q, .actions = plug_in_actions};

static int plan(plug_in_state *st)
{
  int S = st->S, optimistic = st->unvisited == UNVISITED_OPTIMISTIC;
  if (st->H > 0) {
    plug_in_backup c = {st, 1.0, 0.0, optimistic};
    tabrl_backward_out into = {.S = S, .A = st->A, .H = st->H, .V = st->V, .plan = st->greedy};
    tabrl_backward(&plug_in_hooks, &c, &into);
    return 0;
  }
  plug_in_backup c = {st, st->gamma, optimistic ? 1.0 / (1.0 - st->gamma) : 0.0, 0};
  double threshold = st->gamma > 0 ? st->tolerance * (1 - st->gamma) / (2 * st->gamma) : INFINITY;
  for (long k = 0; k < st->max_sweeps; k++) {
    double residual = 0, *swap;
    for (int s = 0; s < S; s++) {
      st->V_next[s] =
          tabrl_backward_state(&plug_in_hooks, &c, st->A, 0, s, st->V, NULL, &st->greedy[s]);
      residual = fmax(residual, fabs(st->V_next[s] - st->V[s]));
    }
    swap = st->V;
    st->V = st->V_next;
    st->V_next = swap;
    if (!isfinite(residual))
      return tabrl_error(TABRL_ENUMERIC, "plug-in: value iteration produced non-finite values");
    if (residual < threshold) {
      /* greedy with respect to the final V, as Puterman's Thm 6.3.1 needs */
      for (int s = 0; s < S; s++)
        tabrl_backward_state(&plug_in_hooks, &c, st->A, 0, s, st->V, NULL, &st->greedy[s]);
      return 0;
    }
  }
  return tabrl_error(TABRL_ENUMERIC,
                     "plug-in: value iteration on the empirical model did not reach tolerance %g "
                     "in %ld sweeps",
                     st->tolerance, st->max_sweeps);
}

static int plug_in_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  plug_in_state *st = state;
  int status;
  size_t values;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->gamma = problem->gamma;
  if (st->H == 0 && !(st->gamma >= 0 && st->gamma < 1))
    return tabrl_error(TABRL_EINVAL, "plug-in: discount %g is not in [0,1)", st->gamma);
  st->value_stages = st->H > 0 ? st->H : 1;
  st->count_stages = st->H > 0 && !tabrl_values_bool(params, "stationary") ? st->H : 1;
  st->unvisited = tabrl_values_choice(params, "unvisited");
  st->tolerance = tabrl_values_double(params, "tolerance");
  st->max_sweeps = tabrl_values_int(params, "max_sweeps");
  if ((status = baseline_actions_init(&st->actions, problem, "plug-in"))) return status;
  if ((status = tabrl_empirical_init(&st->counts, st->S, st->A, st->count_stages))) return status;
  values = (size_t)(st->H > 0 ? st->H + 1 : 1) * (size_t)st->S;
  st->V = calloc(values, sizeof *st->V);
  st->V_next = calloc(values, sizeof *st->V_next);
  st->greedy = calloc((size_t)st->value_stages * (size_t)st->S, sizeof *st->greedy);
  if (!st->V || !st->V_next || !st->greedy)
    return tabrl_error(TABRL_ENOMEM, "plug-in: out of memory");
  clear_counts(st);
  /* With no data every pair is unvisited: the policy is already defined. */
  return plan(st);
}

static int plug_in_fit(void *state, const tabrl_dataset *data)
{
  plug_in_state *st = state;
  int status;
  if (data->n > 0 && !data->steps)
    return tabrl_error(TABRL_EINVAL, "plug-in needs a dataset of transitions");
  if (data->steps != st->steps_seen || data->n < st->n_seen) clear_counts(st);
  /* Check the new steps before counting any, so an error leaves the counts
   * as they were. */
  for (size_t i = st->n_seen; i < data->n; i++) {
    const tabrl_step *step = &data->steps[i];
    if (step->s < 0 || step->s >= st->S || step->next < 0 || step->next >= st->S || step->a < 0 ||
        step->a >= st->A || (st->H > 0 && (step->h < 0 || step->h >= st->H)) ||
        !isfinite(step->reward))
      return tabrl_error(TABRL_EINVAL,
                         "plug-in: dataset step %zu (h %d, s %d, a %d, s' %d, r %g) is out of "
                         "range for %d states, %d actions, horizon %d",
                         i, step->h, step->s, step->a, step->next, step->reward, st->S, st->A,
                         st->H);
  }
  for (size_t i = st->n_seen; i < data->n; i++) {
    const tabrl_step *step = &data->steps[i];
    /* A discounted problem pools: its steps' h does not matter. */
    int h = st->count_stages == 1 ? 0 : step->h;
    if ((status = tabrl_empirical_add(&st->counts, h, step->s, step->a, step->reward, step->next)))
      return status;
  }
  st->steps_seen = data->steps;
  st->n_seen = data->n;
  return plan(st);
}

static int plug_in_policy(void *state, tabrl_policy *pi)
{
  const plug_in_state *st = state;
  return tabrl_policy_from_plan(pi, st->greedy, st->S, st->A, st->value_stages, "plug-in");
}

const tabrl_algo_type tabrl_algo_plug_in = {
    .name = "plug-in",
    .family = "baseline",
    .doc = "Certainty equivalence: plan on the empirical model of the dataset",
    .source = "Azar, Munos, Kappen 2013 (MLJ 91), empirical-model planning; Agarwal, Kakade, "
              "Yang 2020 (COLT)",
    .protocol = TABRL_OFFLINE,
    .commits_per_episode = 1,
    .params = plug_in_params,
    .state_size = sizeof(plug_in_state),
    .init = plug_in_init,
    .release = plug_in_release,
    .policy = plug_in_policy,
    .fit = plug_in_fit,
};
