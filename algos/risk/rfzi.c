/* rfzi: robust fitted-Z iteration, tabular (offline, kl-robust:beta).
 *
 * Zhang, Hu and Li, "Regularized Robust MDPs and Risk-Sensitive MDPs:
 * Equivalence, Policy Gradient, and Sample Complexity" (arXiv 2306.11626;
 * ICLR 2024), its RFZI algorithm: the KL-regularised robust Bellman operator
 * V(s) = max_a { r(s,a) - (gamma/beta) log E_P exp(-beta V(s')) } needs of
 * P only Z(s,a) = E_P exp(-beta V(s')), a conditional mean that is a
 * regression target observable from each transition (s, a, s').  RFZI
 * iterates
 *
 *   Z_{k+1} = argmin_{Z in F} sum_i (Z(s_i, a_i) - exp(-beta V_k(s'_i)))^2,
 *   V_k(s)  = max_a { r(s,a) - (gamma/beta) log Z_k(s,a) },
 *
 * from Z_0 = 1, and acts greedily in r - (gamma/beta) log Z.  Over the
 * tabular class F (any function of (s, a)) the least-squares fit is the
 * per-(s,a) empirical mean of the targets, so Z_{k+1}(s,a) = sum_s'
 * N(s,a,s') exp(-beta V_k(s')) / N(s,a), and RFZI is value iteration of the
 * robust operator on the empirical (plug-in) model: it converges, at the
 * gamma-contraction rate, to the plug-in model's robust optimum.  The
 * paper's text could not be read here (no section or algorithm number is
 * cited); the update and Z_0 = 1 are those of the authors'
 * toy/agent/RFZI_Tabular.py, with three differences: r(s,a) is the
 * dataset's mean reward at (s,a) (the offline protocol does not give the
 * reward table; for noiseless rewards of (s, a) only it is the reward
 * itself); the target is exp(-beta V(s')) and the greedy policy uses
 * (gamma/beta) log Z, the operator of the kl-robust objective (that file
 * raises exp to -beta gamma V and divides Z, not its log, by beta).
 *
 * Numerics: Z is held as log Z, computed around the smallest V(s') seen so
 * no exponent is positive (beta V of hundreds stays finite).  Iteration
 * stops when gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tolerance max(1,
 * ||V_{k+1}||_inf), which bounds the distance to the plug-in fixed point by
 * the same amount (the oracle's rule, src/oracle/nested.h).  An (s, a)
 * absent from the data keeps Z_0 = 1 and, its reward unknown, r = 0: Q =
 * 0.  Discounted models only (the paper's setting); the counts are the
 * shared sparse empirical model, updated incrementally across the growing
 * prefixes the offline runner fits on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "common/actions.h"
#include "common/empirical.h"

extern const tabrl_objective_type tabrl_objective_kl_robust;

static const tabrl_objective_type *const rfzi_objectives[] = {&tabrl_objective_kl_robust, NULL};

static const tabrl_param rfzi_params[] = {
    {"tolerance", TABRL_DOUBLE, "1e-10", "(0,inf)",
     "relative sup-norm distance to the plug-in model's robust optimum at which to stop"},
    {"max_iter", TABRL_INT, "1000000", "[1,inf)", "Z-iterations allowed per fit"},
    {0},
};

typedef struct {
  int S, A;
  double gamma, beta, tolerance;
  long max_iter;
  baseline_actions actions;
  tabrl_empirical counts;
  const tabrl_step *steps_seen;
  size_t n_seen;
  double *logZ;      /* S*A */
  double *V, *V_new; /* S */
  int *greedy;       /* S */
} rfzi_state;

static void rfzi_release(void *state)
{
  rfzi_state *st = state;
  baseline_actions_free(&st->actions);
  if (st->counts.visits) tabrl_empirical_free(&st->counts);
  free(st->logZ);
  free(st->V);
  free(st->V_new);
  free(st->greedy);
}

static int rfzi_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  if (problem->horizon > 0 || !(problem->gamma > 0 && problem->gamma < 1))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "rfzi needs a discounted env with 0 < gamma < 1 (set gamma, not horizon)");
  return 0;
}

/* V(s) = max over valid a of r-hat - (gamma/beta) log Z (0 unvisited),
 * into V and the argmax (lowest on ties) into greedy. */
static void rfzi_values(rfzi_state *st, double *V)
{
  for (int s = 0; s < st->S; s++) {
    const int *list = baseline_actions_list(&st->actions, 0, s);
    int n = baseline_actions_count(&st->actions, 0, s), best = list[0];
    double bestq = -INFINITY;
    for (int i = 0; i < n; i++) {
      size_t b = tabrl_empirical_block(&st->counts, 0, s, list[i]);
      double q = tabrl_empirical_mean_reward(&st->counts, b) -
                 st->gamma / st->beta * st->logZ[(size_t)s * st->A + list[i]];
      if (q > bestq) bestq = q, best = list[i];
    }
    V[s] = bestq;
    st->greedy[s] = best;
  }
}

/* log Z(s,a) <- log of the empirical mean of exp(-beta V(s')). */
static void rfzi_regress(rfzi_state *st)
{
  const tabrl_empirical *e = &st->counts;
  for (size_t b = 0; b < (size_t)st->S * st->A; b++) {
    const tabrl_emp_next *next = e->next[b];
    double lo = INFINITY, t = 0;
    if (!e->visits[b]) continue;
    for (int i = 0; i < e->n_next[b]; i++) lo = fmin(lo, st->V[next[i].next]);
    for (int i = 0; i < e->n_next[b]; i++)
      t += (double)next[i].count * exp(-st->beta * (st->V[next[i].next] - lo));
    st->logZ[b] = -st->beta * lo + log(t / (double)e->visits[b]);
  }
}

static int rfzi_plan(rfzi_state *st)
{
  for (size_t b = 0; b < (size_t)st->S * st->A; b++) st->logZ[b] = 0; /* Z_0 = 1 */
  rfzi_values(st, st->V);
  for (long k = 0; k < st->max_iter; k++) {
    double change = 0, size = 1, *swap;
    rfzi_regress(st);
    rfzi_values(st, st->V_new);
    for (int s = 0; s < st->S; s++) {
      change = fmax(change, fabs(st->V_new[s] - st->V[s]));
      size = fmax(size, fabs(st->V_new[s]));
    }
    swap = st->V;
    st->V = st->V_new;
    st->V_new = swap;
    if (!isfinite(change))
      return tabrl_error(TABRL_ENUMERIC, "rfzi: Z-iteration produced non-finite values");
    if (st->gamma * change <= st->tolerance * size * (1 - st->gamma)) return 0;
  }
  return tabrl_error(TABRL_ENUMERIC, "rfzi: Z-iteration did not reach tolerance %g in %ld steps",
                     st->tolerance, st->max_iter);
}

static int rfzi_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  rfzi_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->gamma = problem->gamma;
  st->beta = problem->objective->param;
  st->tolerance = tabrl_values_double(params, "tolerance");
  st->max_iter = tabrl_values_int(params, "max_iter");
  if ((status = baseline_actions_init(&st->actions, problem, "rfzi"))) return status;
  if ((status = tabrl_empirical_init(&st->counts, st->S, st->A, 1))) return status;
  st->logZ = calloc((size_t)st->S * st->A, sizeof *st->logZ);
  st->V = calloc((size_t)st->S, sizeof *st->V);
  st->V_new = calloc((size_t)st->S, sizeof *st->V_new);
  st->greedy = calloc((size_t)st->S, sizeof *st->greedy);
  if (!st->logZ || !st->V || !st->V_new || !st->greedy)
    return tabrl_error(TABRL_ENOMEM, "rfzi: out of memory");
  return rfzi_plan(st);
}

static int rfzi_fit(void *state, const tabrl_dataset *data)
{
  rfzi_state *st = state;
  int status;
  if (data->n > 0 && !data->steps)
    return tabrl_error(TABRL_EINVAL, "rfzi needs a dataset of transitions");
  if (data->steps != st->steps_seen || data->n < st->n_seen) {
    tabrl_empirical_clear(&st->counts);
    st->n_seen = 0;
  }
  for (size_t i = st->n_seen; i < data->n; i++) {
    const tabrl_step *step = &data->steps[i];
    if (step->s < 0 || step->s >= st->S || step->next < 0 || step->next >= st->S || step->a < 0 ||
        step->a >= st->A || !isfinite(step->reward))
      return tabrl_error(TABRL_EINVAL,
                         "rfzi: dataset step %zu (s %d, a %d, s' %d, r %g) is out of range for %d "
                         "states, %d actions",
                         i, step->s, step->a, step->next, step->reward, st->S, st->A);
  }
  for (size_t i = st->n_seen; i < data->n; i++) {
    const tabrl_step *step = &data->steps[i];
    if ((status = tabrl_empirical_add(&st->counts, 0, step->s, step->a, step->reward, step->next)))
      return status;
  }
  st->steps_seen = data->steps;
  st->n_seen = data->n;
  return rfzi_plan(st);
}

static int rfzi_policy(void *state, tabrl_policy *pi)
{
  const rfzi_state *st = state;
  return tabrl_policy_from_plan(pi, st->greedy, st->S, st->A, 1, "rfzi");
}

const tabrl_algo_type tabrl_algo_rfzi = {
    .name = "rfzi",
    .family = "risk",
    .doc = "Robust fitted-Z iteration, tabular: Z(s,a) = empirical mean of exp(-beta V(s')), "
           "greedy in r - (gamma/beta) log Z (kl-robust:beta, offline)",
    .source = "Zhang, Hu and Li 2023 (arXiv 2306.11626), RFZI (algorithm box not read); authors' "
              "toy/agent/RFZI_Tabular.py",
    .protocol = TABRL_OFFLINE,
    .commits_per_episode = 1,
    .params = rfzi_params,
    .state_size = sizeof(rfzi_state),
    .check = rfzi_check,
    .objectives = rfzi_objectives,
    .init = rfzi_init,
    .release = rfzi_release,
    .policy = rfzi_policy,
    .fit = rfzi_fit,
};

/* For the tests (no public header): the current V (S values), or NULL for
 * another type. */
const double *tabrl_rfzi_values(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_rfzi) return NULL;
  return ((const rfzi_state *)algo->state)->V;
}
