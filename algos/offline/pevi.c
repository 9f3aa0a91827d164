/* pevi: pessimistic value iteration for offline RL.
 *
 * Jin, Yang, Wang 2021, "Is pessimism provably efficient for offline RL?",
 * ICML (PMLR 139; arXiv:2012.15085).  Backward induction on the dataset
 * with the uncertainty quantifier Gamma_h subtracted (Algorithm 1, general
 * MDP; Algorithm 2, linear MDP):
 *
 *   Q-bar_h(s,a) = (B-hat_h V-hat_{h+1})(s,a) - Gamma_h(s,a),
 *   Q-hat_h(s,a) = min{ Q-bar_h(s,a), H - h }^+        (clip to [0, H - h]),
 *   pi-hat_h(s)  = argmax_a Q-hat_h(s,a),  V-hat_h(s) = max_a Q-hat_h(s,a),
 *
 * V-hat_H = 0, h = 0 .. H-1 (the paper's H - h + 1 with 1-based stages).
 * Greedy ties go to the lowest valid action.  Theorem 4.2: on the event
 * that Gamma is a xi-uncertainty quantifier (|B-hat V - B V| <= Gamma),
 * V-hat_h <= V^{pi-hat}_h everywhere (pessimism) and
 * SubOpt(pi-hat; s) <= 2 sum_h E_{pi*}[ Gamma_h(s_h, a_h) | s_0 = s ].
 *
 * form = tabular: B-hat is the empirical model of stage h,
 *   (B-hat_h V)(s,a) = (R_h(s,a) + sum_s' N_h(s,a,s') V(s')) / N_h(s,a),
 * and Gamma_h(s,a) = c H sqrt(log(S A H K / delta) / max(1, N_h(s,a))):
 * Hoeffding's width for an average of N values in [0, H] with a union bound
 * over the S A H pairs and K (the paper's tabular case is its linear case
 * with one-hot features, d = S A, whose beta = c d H sqrt(zeta) is far
 * looser).  An (h, s, a) the data never visit gets Q-hat = 0, the lower end
 * of its range (B-hat is undefined there; Gamma = infinity).
 *
 * form = linear (needs features): B-hat by ridge regression of
 * r + V-hat_{h+1}(s') on phi (Algorithm 2, lines 4-5),
 *   Lambda_h = lambda I + sum phi phi^T,  w_h = Lambda_h^-1 sum phi (r + V-hat_{h+1}(s')),
 *   Gamma_h(s,a) = beta sqrt(phi^T Lambda_h^-1 phi),
 * with lambda = 1 and beta = c d H sqrt(zeta), zeta = log(2 d H K / delta)
 * (Theorem 4.2; c is an unspecified absolute constant, taken as 1).
 *
 * In both forms `scale` multiplies Gamma (it is the c), K is the number of
 * trajectories, ceil(n / H) for n transitions, and `delta` the paper's xi.
 *
 * Incremental fits.  The offline protocol fits growing prefixes of one
 * dataset (data->n grows from checkpoint to checkpoint), so fit() only adds
 * the transitions it has not seen: counts (and, linear, the Sherman-Morrison
 * updates of Lambda_h^-1) cost O(new steps), and each fit then replans,
 * O(H (S A + entries)) tabular, O(H (entries + S A d^2)) linear.  A fit with
 * a different steps pointer or a shorter prefix starts afresh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/backward.h"
#include "common/empirical.h"
#include "linear/lsvi.h"
#include "common/ridge.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "protocol/testing.h"

enum { FORM_TABULAR, FORM_LINEAR };

static const tabrl_param pevi_params[] = {
    {"form", TABRL_CHOICE, "tabular", "tabular|linear",
     "tabular: empirical model, Gamma = c H sqrt(log(S A H K / delta) / N); linear: ridge on phi, "
     "Gamma = beta ||phi||_{Lambda^-1} (Jin, Yang, Wang 2021, Algorithms 1 and 2)"},
    {"delta", TABRL_DOUBLE, "0.05", "(0,1)",
     "failure probability xi of the uncertainty quantifier"},
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on Gamma: the absolute constant c of Theorem 4.2"},
    {"lambda", TABRL_DOUBLE, "1", "(0,inf)", "linear form: ridge parameter (Theorem 4.2: 1)"},
    {0},
};

typedef struct {
  int S, A, H, form;
  tabrl_problem problem;
  double delta, scale;
  double width; /* tabular: c H sqrt(log(S A H K / delta)); linear: beta */

  tabrl_empirical counts; /* tabular */
  tabrl_lsvi lsvi;        /* linear */

  const tabrl_step *steps_seen;
  size_t n_seen;
  double *V;   /* (H+1)*S: V-hat */
  int *greedy; /* H*S */
} pevi_state;

static void pevi_release(void *state)
{
  pevi_state *st = state;
  if (st->counts.visits) tabrl_empirical_free(&st->counts);
  tabrl_lsvi_free(&st->lsvi);
  free(st->V);
  free(st->greedy);
}

static double trajectories(const pevi_state *st, size_t n)
{
  size_t K = (n + (size_t)st->H - 1) / (size_t)st->H;
  return K > 0 ? (double)K : 1.0;
}

/* Algorithm 1's Q-hat_h(s,a) (algos/common/backward.h hooks). */
static double pevi_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const pevi_state *st = ctx;
  size_t b = tabrl_empirical_block(&st->counts, h, s, a);
  long N = st->counts.visits[b];
  double q = 0;
  if (N > 0) {
    q = tabrl_empirical_mean_reward(&st->counts, b) +
        tabrl_empirical_expect(&st->counts, b, next_V) - st->width / sqrt((double)N);
    q = fmin(fmax(q, 0.0), (double)(st->H - h));
  }
  return q;
}

static int pevi_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_problem_valid(&((const pevi_state *)ctx)->problem, h, s, a);
}

static const tabrl_backup_hooks pevi_hooks = {.backup = pevi_q, .valid = pevi_valid};

static void plan_tabular(pevi_state *st)
{
  tabrl_backward_out into = {.S = st->S, .A = st->A, .H = st->H, .V = st->V, .plan = st->greedy};
  tabrl_backward(&pevi_hooks, st, &into);
}

static void plan_linear(pevi_state *st)
{
  tabrl_lsvi *l = &st->lsvi;
  l->bonus = -st->width;
  tabrl_lsvi_plan(l);
  memset(st->V + (size_t)st->H * st->S, 0, (size_t)st->S * sizeof *st->V);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      st->greedy[h * st->S + s] = tabrl_lsvi_greedy(l, h, s, &st->V[(size_t)h * st->S + s]);
}

static void plan(pevi_state *st)
{
  double K = trajectories(st, st->n_seen);
  if (st->form == FORM_TABULAR) {
    st->width = st->scale * st->H * sqrt(log((double)st->S * st->A * st->H * K / st->delta));
    plan_tabular(st);
  } else {
    double d = st->lsvi.d;
    st->width = st->scale * d * st->H * sqrt(log(2 * d * st->H * K / st->delta));
    plan_linear(st);
  }
}

/* form = linear regresses on phi: the env must have features. */
static int pevi_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "form") == FORM_LINEAR && (problem->dim < 1 || !problem->phi))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "pevi: form = linear needs an env with features, e.g. env = linear; "
                       "form = tabular works on any episodic env");
  return 0;
}

static int pevi_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  pevi_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->problem = *problem;
  st->form = tabrl_values_choice(params, "form");
  st->delta = tabrl_values_double(params, "delta");
  st->scale = tabrl_values_double(params, "scale");
  if (st->form == FORM_TABULAR)
    status = tabrl_empirical_init(&st->counts, st->S, st->A, st->H);
  else
    status = tabrl_lsvi_init(&st->lsvi, problem, tabrl_values_double(params, "lambda"), 1,
                             "pevi (form = linear)");
  if (status) return status;
  st->V = calloc((size_t)(st->H + 1) * (size_t)st->S, sizeof *st->V);
  st->greedy = calloc((size_t)st->H * (size_t)st->S, sizeof *st->greedy);
  if (!st->V || !st->greedy) return tabrl_error(TABRL_ENOMEM, "pevi: out of memory");
  plan(st);
  return 0;
}

static int pevi_fit(void *state, const tabrl_dataset *data)
{
  pevi_state *st = state;
  int status;
  if (data->n > 0 && !data->steps)
    return tabrl_error(TABRL_EINVAL, "pevi needs a dataset of transitions");
  if (data->steps != st->steps_seen || data->n < st->n_seen) {
    if (st->form == FORM_TABULAR)
      tabrl_empirical_clear(&st->counts);
    else
      tabrl_lsvi_clear(&st->lsvi);
    st->n_seen = 0;
  }
  /* Check the new steps before counting any, so an error leaves the
   * counts as they were. */
  for (size_t i = st->n_seen; i < data->n; i++) {
    const tabrl_step *t = &data->steps[i];
    if (t->h < 0 || t->h >= st->H || t->s < 0 || t->s >= st->S || t->a < 0 || t->a >= st->A ||
        t->next < 0 || t->next >= st->S || !isfinite(t->reward))
      return tabrl_error(TABRL_EINVAL,
                         "pevi: dataset step %zu (h %d, s %d, a %d, s' %d, r %g) is out of range "
                         "for %d states, %d actions, horizon %d",
                         i, t->h, t->s, t->a, t->next, t->reward, st->S, st->A, st->H);
  }
  for (size_t i = st->n_seen; i < data->n; i++) {
    const tabrl_step *t = &data->steps[i];
    status = st->form == FORM_TABULAR
                 ? tabrl_empirical_add(&st->counts, t->h, t->s, t->a, t->reward, t->next)
                 : tabrl_lsvi_add(&st->lsvi, t->h, t->s, t->a, t->reward, t->next);
    if (status) {
      st->steps_seen = NULL; /* half-counted: start afresh next time */
      return status;
    }
  }
  st->steps_seen = data->steps;
  st->n_seen = data->n;
  plan(st);
  return 0;
}

static int pevi_policy(void *state, tabrl_policy *pi)
{
  pevi_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "pevi: policy must be %d x %d with %d stages", st->S, st->A,
                       st->H);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) tabrl_policy_set_action(pi, h, s, st->greedy[h * st->S + s]);
  return 0;
}

const tabrl_algo_type tabrl_algo_pevi = {
    .name = "pevi",
    .family = "offline",
    .doc = "Pessimistic value iteration: backups on the data minus an uncertainty penalty",
    .source = "Jin, Yang, Wang 2021 (ICML), Algorithms 1 (general) and 2 (linear); Theorem 4.2",
    .protocol = TABRL_OFFLINE,
    .commits_per_episode = 1,
    .params = pevi_params,
    .needs = TABRL_NEEDS_EPISODIC,
    .check = pevi_check,
    .state_size = sizeof(pevi_state),
    .init = pevi_init,
    .release = pevi_release,
    .policy = pevi_policy,
    .fit = pevi_fit,
};

/* For the tests (no public header): V-hat, (H+1)*S values of the last fit,
 * and the penalty Gamma_h(s,a) of the last fit (infinity for an unvisited
 * (h, s, a) of the tabular form); NULL / NAN for another type. */
const double *tabrl_pevi_values(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_pevi) return NULL;
  return ((const pevi_state *)algo->state)->V;
}

double tabrl_pevi_penalty(const tabrl_algo *algo, int h, int s, int a)
{
  pevi_state *st;
  if (algo->type != &tabrl_algo_pevi) return NAN;
  st = algo->state;
  if (st->form == FORM_TABULAR) {
    long N = st->counts.visits[tabrl_empirical_block(&st->counts, h, s, a)];
    return N > 0 ? st->width / sqrt((double)N) : INFINITY;
  }
  const tabrl_lsvi *l = &st->lsvi;
  const double *phi = l->problem.phi + ((size_t)s * (size_t)l->A + (size_t)a) * (size_t)l->d;
  return st->width *
         sqrt(ridge_norm2(l->Lambda_inv + (size_t)h * (size_t)l->d * (size_t)l->d, phi, l->d));
}
