/* rebel: REBEL, tabular softmax on a contextual bandit (Gao, Chang, Zhan,
 * Oertell, Swamy, Brantley, Joachims, Bagnell, Lee, Sun 2024, "REBEL:
 * Reinforcement Learning via Regressing Relative Rewards", NeurIPS 2024,
 * arXiv 2404.16767).  Only the abstract could be read here: it states the
 * regression (the relative reward of two completions to a prompt regressed
 * in terms of the policy) and that Natural Policy Gradient is a variant of
 * REBEL; no section, algorithm or equation number is cited.  The
 * regression below is the one the abstract describes, written out for a
 * tabular softmax policy.
 *
 * Iteration t collects pairs (y, y') of responses to the same context x
 * from pi_t and sets
 *   pi_{t+1} = argmin_pi sum_pairs ( (1/eta) (log pi(y|x)/pi_t(y|x)
 *                                    - log pi(y'|x)/pi_t(y'|x))
 *                                    - (r(x, y) - r(x, y')) )^2.
 * Tabular softmax: log pi(y|x)/pi_t(y|x) = Delta(x, y) - log Z with Delta =
 * theta_{t+1} - theta_t, and log Z cancels in the difference, so per
 * context the problem is the linear least squares
 *   min_Delta sum_pairs (Delta_y - Delta_y' - eta (r - r'))^2,
 * whose normal equations are L Delta = b with L the Laplacian of the graph
 * of compared responses (edge weight = the number of pairs) and b =
 * eta sum (r - r') (e_y - e_y').  It is solved EXACTLY (Cholesky of L +
 * 11^T/m on each connected component of m >= 2 responses, which gives the
 * minimum-norm solution: Delta sums to zero on each component; responses
 * in no pair keep Delta = 0).  Not gradient steps.
 *
 * With exact expectations (every pair (y, y') weighted pi_t(y) pi_t(y'),
 * b and L their expectations) the solution is Delta = eta r + const on the
 * support of pi_t, i.e. pi_{t+1} proportional to pi_t exp(eta r): the
 * mirror-descent / natural-policy-gradient step the abstract says REBEL
 * contains (where in the paper this is shown could not be read).
 * tabrl_rebel_regress takes weighted pairs
 * so that tests/test_klpg.c checks that reduction with the solver the
 * algorithm uses.
 *
 * Pairs: the samples of a batch (`batch` episodes, one response each)
 * are paired in order within each context (1st with 2nd, 3rd with 4th
 * ...); an odd one out is dropped.  No KL to a reference: the regression
 * itself is the KL-regularised (1/eta) step from pi_t. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "policy/rebel.h"
#include "policy/contextual.h"

static const tabrl_param rebel_params[] = {
    {"eta", TABRL_DOUBLE, "1", "(0,inf)",
     "step: the regression target is eta (r - r'), the mirror-descent step size"},
    {"batch", TABRL_INT, "16", "[2,1000000]", "episodes (sampled responses) per iteration"},
    {0},
};

typedef struct {
  contextual_po b;
  double eta;
  rebel_work work;
  int *y, *y2; /* the pairs of one context */
  double *dr, *delta;
} rebel_state;

int tabrl_rebel_work_init(rebel_work *w, int A)
{
  size_t a = (size_t)A;
  w->A = A;
  w->L = malloc(a * a * sizeof *w->L);
  w->sub = malloc(a * a * sizeof *w->sub);
  w->b = malloc(a * sizeof *w->b);
  w->rhs = malloc(a * sizeof *w->rhs);
  w->comp = malloc(a * sizeof *w->comp);
  w->members = malloc(a * sizeof *w->members);
  if (!w->L || !w->sub || !w->b || !w->rhs || !w->comp || !w->members)
    return tabrl_error(TABRL_ENOMEM, "rebel: out of memory");
  return 0;
}

void tabrl_rebel_work_free(rebel_work *w)
{
  free(w->L);
  free(w->sub);
  free(w->b);
  free(w->rhs);
  free(w->comp);
  free(w->members);
}

static int find_root(int *parent, int i)
{
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

/* delta (A values) = the minimum-norm minimiser of sum_i weight_i (delta_y
 * - delta_y2 - eta dr_i)^2 (weight NULL: all 1). */
int tabrl_rebel_regress(rebel_work *w, size_t n, const int *y, const int *y2, const double *dr,
                        const double *weight, double eta, double *delta)
{
  int A = w->A;
  memset(w->L, 0, (size_t)A * A * sizeof *w->L);
  memset(w->b, 0, (size_t)A * sizeof *w->b);
  for (int a = 0; a < A; a++) w->comp[a] = a, delta[a] = 0;
  for (size_t i = 0; i < n; i++) {
    int u = y[i], v = y2[i];
    double c = weight ? weight[i] : 1;
    if (u == v || c <= 0) continue; /* a pair of equal responses says nothing */
    w->L[u * A + u] += c, w->L[v * A + v] += c;
    w->L[u * A + v] -= c, w->L[v * A + u] -= c;
    w->b[u] += c * eta * dr[i], w->b[v] -= c * eta * dr[i];
    w->comp[find_root(w->comp, u)] = find_root(w->comp, v);
  }
  for (int root = 0; root < A; root++) {
    int m = 0;
    for (int a = 0; a < A; a++)
      if (find_root(w->comp, a) == root) w->members[m++] = a;
    if (m < 2) continue;
    for (int i = 0; i < m; i++) {
      w->rhs[i] = w->b[w->members[i]];
      for (int j = 0; j < m; j++)
        w->sub[i * m + j] = w->L[w->members[i] * A + w->members[j]] + 1.0 / m;
    }
    gsl_matrix_view M = gsl_matrix_view_array(w->sub, (size_t)m, (size_t)m);
    gsl_vector_view x = gsl_vector_view_array(w->rhs, (size_t)m);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int status = gsl_linalg_cholesky_decomp1(&M.matrix);
    if (!status) status = gsl_linalg_cholesky_svx(&M.matrix, &x.vector);
    gsl_set_error_handler(old);
    if (status)
      return tabrl_error(TABRL_ENUMERIC,
                         "rebel: the regression's normal equations are singular "
                         "(%s)",
                         gsl_strerror(status));
    for (int i = 0; i < m; i++) delta[w->members[i]] = w->rhs[i];
  }
  return 0;
}

static int rebel_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  return contextual_po_check(problem, "rebel");
}

static void rebel_release(void *state)
{
  rebel_state *st = state;
  contextual_po_free(&st->b);
  tabrl_rebel_work_free(&st->work);
  free(st->y);
  free(st->y2);
  free(st->dr);
  free(st->delta);
}

static int rebel_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  rebel_state *st = state;
  long batch = tabrl_values_int(params, "batch");
  int status = contextual_po_init(&st->b, problem, batch, "rebel");
  if (status || (status = tabrl_rebel_work_init(&st->work, problem->A))) return status;
  st->eta = tabrl_values_double(params, "eta");
  size_t pairs = (size_t)batch / 2 + 1;
  st->y = malloc(pairs * sizeof *st->y);
  st->y2 = malloc(pairs * sizeof *st->y2);
  st->dr = malloc(pairs * sizeof *st->dr);
  st->delta = malloc((size_t)problem->A * sizeof *st->delta);
  if (!st->y || !st->y2 || !st->dr || !st->delta)
    return tabrl_error(TABRL_ENOMEM, "rebel: out of memory");
  return 0;
}

/* One iteration: per context, its pairs, the exact regression, theta +=
 * Delta. */
static int rebel_update(rebel_state *st)
{
  contextual_po *b = &st->b;
  for (int s = 0; s < b->S; s++) {
    size_t n = 0;
    int pending = -1;
    double pending_r = 0;
    for (long i = 0; i < b->n; i++) {
      if (b->ctx[i] != s) continue;
      if (pending < 0) {
        pending = b->act[i], pending_r = b->rew[i];
        continue;
      }
      st->y[n] = pending, st->y2[n] = b->act[i], st->dr[n] = pending_r - b->rew[i];
      n++, pending = -1;
    }
    if (!n) continue;
    int status = tabrl_rebel_regress(&st->work, n, st->y, st->y2, st->dr, NULL, st->eta, st->delta);
    if (status) return status;
    for (int a = 0; a < b->A; a++) b->theta[(size_t)s * b->A + a] += st->delta[a];
  }
  contextual_po_softmax(b, b->theta, b->pi);
  b->n = 0;
  return 0;
}

static int rebel_act(void *state, int h, int s)
{
  (void)h;
  return contextual_po_act(&((rebel_state *)state)->b, s);
}

static int rebel_observe(void *state, int h, int s, int a, double reward, int next)
{
  rebel_state *st = state;
  (void)h, (void)next;
  return contextual_po_observe(&st->b, s, a, reward) ? rebel_update(st) : 0;
}

static int rebel_policy(void *state, tabrl_policy *pi)
{
  return contextual_po_policy(&((rebel_state *)state)->b, pi, "rebel");
}

const tabrl_algo_type tabrl_algo_rebel = {
    .name = "rebel",
    .family = "policy",
    .doc = "REBEL: regress log-ratio differences of response pairs onto reward differences, solved "
           "exactly per context (contextual bandit)",
    .source = "Gao et al. 2024, REBEL: Reinforcement Learning via Regressing Relative Rewards "
              "(NeurIPS 2024, arXiv 2404.16767), abstract only; tabular softmax",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = rebel_params,
    .state_size = sizeof(rebel_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = rebel_check,
    .init = rebel_init,
    .release = rebel_release,
    .policy = rebel_policy,
    .act = rebel_act,
    .observe = rebel_observe,
};
