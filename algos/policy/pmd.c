/* pmd: exact policy mirror descent, one step per iterate():
 *   pi_{k+1}(.|s) = argmax_p  eta_k <Q^{pi_k}(s,.), p> - D(p, pi_k(.|s))
 * over the simplex of the valid actions at every state (and stage).
 *   divergence = kl:        pi_{k+1}(a|s) proportional to pi_k(a|s) exp(eta_k Q(s,a)),
 *                           which is npg with eta = (1 - gamma) eta_k;
 *   divergence = euclidean: D = ||p - pi_k||^2 / 2, so pi_{k+1} is the
 *                           Euclidean projection of pi_k + eta_k Q(s,.) onto
 *                           the simplex (projected Q-ascent; sort-based
 *                           projection of Duchi, Shalev-Shwartz, Singer,
 *                           Chandra 2008, "Efficient projections onto the
 *                           l1-ball", ICML, Fig. 1).
 * Lan (2021), "Policy mirror descent for reinforcement learning: linear
 * convergence, new sampling complexity, and generalized problem classes"
 * (Math. Programming 2023): sublinear rate with constant steps; Xiao (2022),
 * "On the convergence rates of policy gradient methods", JMLR 23(282):
 * with the geometrically increasing steps eta_{k+1} = eta_k / gamma
 * (steps = geometric) the linear rate V* - V^k <= gamma^k (V* - V^0 +
 * D_0 / ((1 - gamma) eta_0)) for both divergences.  (Written from these
 * statements; the papers' text could not be read here, so no equation
 * numbers are cited.)  Geometric steps need 0 < gamma < 1; eta_k is capped
 * at 1e100, beyond which the KL step is policy iteration to double
 * precision.  Episodic models: the same step per stage (steps = constant). */
#include <math.h>
#include <stdlib.h>
#include "policy/exact.h"
#include "policy/init.h"
#include "tabrl/error.h"

static const tabrl_param pmd_params[] = {
    {"eta", TABRL_DOUBLE, "1", "(0,inf)", "first step size eta_0"},
    {"divergence", TABRL_CHOICE, "kl", "kl|euclidean", "Bregman divergence of the mirror step"},
    {"steps", TABRL_CHOICE, "constant", "constant|geometric",
     "eta_k = eta_0, or eta_{k+1} = eta_k / gamma (Xiao 2022)"},
    TABRL_PO_INIT_PARAM,
    {0},
};

enum { PMD_KL, PMD_EUCLIDEAN };
enum { PMD_CONSTANT, PMD_GEOMETRIC };

#define PMD_MAX_STEP 1e100

typedef struct {
  tabrl_exact_po po;
  double eta;
  int divergence, geometric;
  double *sorted; /* A: scratch of the projection */
} pmd_state;

static void pmd_release(void *state)
{
  pmd_state *st = state;
  tabrl_exact_po_release(&st->po);
  free(st->sorted);
}

static int pmd_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "steps") == PMD_GEOMETRIC &&
      (problem->horizon > 0 || !(problem->gamma > 0)))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "pmd: steps = geometric (eta_k / gamma) needs a discounted model with "
                       "0 < gamma < 1");
  return tabrl_po_init_check(problem, params);
}

static int pmd_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  pmd_state *st = state;
  int status;
  st->eta = tabrl_values_double(params, "eta");
  st->divergence = tabrl_values_choice(params, "divergence");
  st->geometric = tabrl_values_choice(params, "steps") == PMD_GEOMETRIC;
  if ((status = pmd_check(problem, params))) return status;
  if ((status = tabrl_exact_po_init(&st->po, problem, params, "pmd"))) return status;
  st->sorted = malloc((size_t)st->po.A * sizeof *st->sorted);
  if (!st->sorted) return tabrl_error(TABRL_ENOMEM, "pmd: out of memory");
  return 0;
}

static int descending(const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a < b) - (a > b);
}

/* row <- the Euclidean projection of y (the valid entries) onto the
 * simplex: max(y - lambda, 0) with lambda from the largest k such that
 * the k largest entries stay positive (Duchi et al. 2008, Fig. 1). */
static void project(const double *y, const double *theta, int A, double *sorted, double *row)
{
  int n = 0;
  double sum = 0, lambda;
  for (int a = 0; a < A; a++)
    if (theta[a] > -INFINITY) sorted[n++] = y[a];
  qsort(sorted, (size_t)n, sizeof *sorted, descending);
  lambda = sorted[0] - 1; /* k = 0 always qualifies */
  for (int k = 0; k < n; k++) {
    sum += sorted[k];
    double l = (sum - 1) / (k + 1);
    if (sorted[k] - l > 0) lambda = l;
  }
  for (int a = 0; a < A; a++) row[a] = theta[a] > -INFINITY ? fmax(y[a] - lambda, 0) : 0;
}

static int pmd_iterate(void *state, long iteration)
{
  pmd_state *st = state;
  tabrl_exact_po *po = &st->po;
  double eta = st->eta;
  int status;
  if (st->geometric)
    eta = fmin(st->eta * pow(po->m->gamma, -(double)(iteration - 1)), PMD_MAX_STEP);
  if ((status = tabrl_exact_po_evaluate(po, 0))) return status;
  if (st->divergence == PMD_KL) {
    tabrl_exact_po_mirror(po, 1.0, eta);
    return 0;
  }
  /* Euclidean: the step is taken on pi itself (theta only marks the valid
   * actions); Q is overwritten row by row with pi + eta Q. */
  for (int h = 0; h < po->stages; h++)
    for (int s = 0; s < po->S; s++) {
      size_t i = ((size_t)h * po->S + s) * po->A;
      double *row = tabrl_policy_row(po->pi, h, s), *y = po->Q + i, top = -INFINITY;
      /* The projection is unchanged by a shift of Q(s,.): shifting the best
       * action's to 0 keeps y's largest entry in [0, 1], so huge steps
       * cannot swamp the simplex's 1 in rounding. */
      for (int a = 0; a < po->A; a++)
        if (po->theta[i + a] > -INFINITY && y[a] > top) top = y[a];
      for (int a = 0; a < po->A; a++)
        if (po->theta[i + a] > -INFINITY) y[a] = row[a] + eta * (y[a] - top);
      project(y, po->theta + i, po->A, st->sorted, row);
    }
  return 0;
}

static int pmd_policy(void *state, tabrl_policy *pi)
{
  return tabrl_exact_po_policy(&((pmd_state *)state)->po, pi, "pmd");
}

const tabrl_algo_type tabrl_algo_pmd = {
    .name = "pmd",
    .family = "policy",
    .doc = "Exact policy mirror descent (KL or Euclidean, constant or geometrically increasing "
           "steps)",
    .source = "Lan 2021 (Math. Programming 2023); Xiao 2022, JMLR 23(282): PMD with eta_{k+1} = "
              "eta_k / gamma",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = pmd_params,
    .state_size = sizeof(pmd_state),
    .check = pmd_check,
    .init = pmd_init,
    .release = pmd_release,
    .policy = pmd_policy,
    .iterate = pmd_iterate,
};
