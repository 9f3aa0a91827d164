/* cdp: categorical distributional dynamic programming on the model.
 *
 * Rowland, Bellemare, Dabney, Munos and Teh 2018, "An Analysis of
 * Categorical Distributional Reinforcement Learning" (AISTATS), section 3:
 * the projected operator Pi_C T^pi on distributions eta(s) over the fixed
 * support z_j = vmin + j dz, j = 0..m-1 (`atoms` = m points), where T^pi is
 * the distributional Bellman operator (Bellemare, Dabney and Munos 2017,
 * eq. (7)): (T eta)(s) is the law of r + gamma G(s'), a ~ pi(s), s' ~
 * P(s, a), G(s') ~ eta(s'), and Pi_C the categorical projection
 * (projection.h).  Each iterate() applies it once to every stage (Jacobi,
 * like value-iteration): episodic models carry eta_h(s), h = 0..H with
 * eta_H = Pi_C delta_0, exact (the fixed point) after H iterations;
 * discounted ones one eta(s), a sqrt(gamma)-contraction in the supremum
 * Cramer distance (Rowland et al. 2018, Prop. 2).
 *
 * Fixed-point error (episodic, support holding every return-to-go): Pi_C is
 * an orthogonal projection in the Cramer geometry, so by Pythagoras the
 * squared error adds at most sup l2^2(Pi_C nu, nu) <= dz per stage (T^pi
 * shifts by rewards and mixes, which does not increase the supremum of
 * l2^2), and l2(eta_0(s), eta^pi_0(s)) <= sqrt(H dz); the discounted form
 * is Rowland et al. 2018's bound l2^2 <= dz / (1 - gamma) (section 4, the
 * fixed point of the projected operator).  Only the abstract and the
 * algorithm statements of the paper were read here, not the proofs.
 * bound() reports sqrt(H dz) as runs.csv's cramer_bound: episodic models
 * only, from iteration H on (before, stage 0 has not seen the whole
 * horizon), and only when [vmin, vmax] holds every return-to-go
 * [H min(0, rmin), H max(0, rmax)] (the default support does).  The last
 * stage's Pi_C delta_0 adds u (1 - u) dz to the squared error when 0 sits
 * at the fraction u of a cell, so the bound is sqrt((H + u (1 - u)) dz),
 * sqrt(H dz) when 0 is a support point (vmin = 0 or vmax = 0).  W1 has no
 * documented bound here (NaN).
 *
 * `policy`: optimal (the model's mean-optimal policy) or uniform: evaluates
 * that policy and returns it; greedy: control, each (h, s) keeps the
 * projected target of the action whose target has the largest mean
 * (lowest on ties; the projection keeps that mean when the support holds
 * every target, as the default one does) and policy() is that action
 * (categorical Q-learning's greedy step, Rowland et al. 2018 section 3.2,
 * done as DP).  The means come from the next stage's means, so greedy
 * projects one action per state and uniform all of them.  Models with
 * reward noise are refused (the rewards used are the model's values). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "distributional/dp.h"
#include "distributional/projection.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

static const tabrl_param cdp_params[] = {
    {"atoms", TABRL_INT, "51", "[2,100000]", "number m of support points z_j"},
    {"vmin", TABRL_DOUBLE, "", NULL,
     "lowest support point (default H min(0, rmin), or with 1/(1-gamma) for H)"},
    {"vmax", TABRL_DOUBLE, "", NULL,
     "highest support point (default H max(0, rmax), or with 1/(1-gamma) for H)"},
    {"policy", TABRL_CHOICE, "optimal", "optimal|uniform|greedy",
     "evaluate the mean-optimal or the uniform policy, or greedy control on the learned mean"},
    {0},
};

typedef struct {
  const tabrl_mdp *model;
  int m, which, stages; /* stages of eta: H + 1 episodic, 1 discounted */
  double vmin, vmax, dz;
  int covers;         /* episodic, and the support holds every return-to-go */
  double *eta, *next; /* stages * S * m masses; next is scratch */
  double *means;      /* S: the means of the next stage's distributions */
  tabrl_policy *pi;   /* the evaluated policy, or the greedy one */
} cdp_state;

static void cdp_release(void *state)
{
  cdp_state *st = state;
  free(st->eta);
  free(st->next);
  free(st->means);
  tabrl_policy_free(st->pi);
}

static double *dist(const cdp_state *st, double *base, int h, int s)
{
  return base + ((size_t)h * (size_t)st->model->S + (size_t)s) * (size_t)st->m;
}

/* Refuses, when the experiment is read, what init would refuse: reward
 * noise and an empty support. */
static int cdp_check(const tabrl_problem *problem, const tabrl_values *params)
{
  double vmin, vmax;
  return problem->model ? distrib_support(problem->model, params, &vmin, &vmax, "cdp") : 0;
}

static int cdp_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  cdp_state *st = state;
  const tabrl_mdp *m = problem->model;
  int status;
  size_t n;
  if (!m) return tabrl_error(TABRL_EINVAL, "cdp needs the model (planning protocol)");
  st->model = m;
  st->m = (int)tabrl_values_int(params, "atoms");
  st->which = tabrl_values_choice(params, "policy");
  if ((status = distrib_support(m, params, &st->vmin, &st->vmax, "cdp"))) return status;
  st->dz = (st->vmax - st->vmin) / (st->m - 1);
  double rmin = 0, rmax = 0;
  for (size_t k = 0; k < m->nnz; k++) {
    rmin = fmin(rmin, m->reward[k]);
    rmax = fmax(rmax, m->reward[k]);
  }
  st->covers = m->horizon > 0 && st->vmin <= m->horizon * rmin && st->vmax >= m->horizon * rmax;
  st->stages = m->horizon > 0 ? m->horizon + 1 : 1;
  n = (size_t)st->stages * (size_t)m->S * (size_t)st->m;
  st->eta = calloc(n, sizeof *st->eta);
  st->next = calloc(n, sizeof *st->next);
  st->means = malloc((size_t)m->S * sizeof *st->means);
  st->pi = tabrl_policy_alloc_for(m);
  if (!st->eta || !st->next || !st->means || !st->pi)
    return tabrl_error(TABRL_ENOMEM, "cdp: out of memory for %zu masses", n);
  for (int h = 0; h < st->stages; h++)
    for (int s = 0; s < m->S; s++)
      distrib_categorical_add(dist(st, st->eta, h, s), st->m, st->vmin, st->dz, 0.0, 1.0);
  memcpy(st->next, st->eta, n * sizeof *st->eta);
  if (st->which != DISTRIB_GREEDY) return distrib_evaluated_policy(m, st->which, st->pi, "cdp");
  return distrib_evaluated_policy(m, DISTRIB_UNIFORM, st->pi, "cdp");
}

/* Adds w Pi_C of the law of r + gamma G, G ~ p on the support, to q.  The
 * atom r + gamma z_j sits at u_j = u_0 + gamma j in units of dz from vmin,
 * so the loop needs no division, and since gamma <= 1 the cell floor(u_j)
 * moves by 0 or 1 per atom: the masses of the current cell pair stay in
 * registers (lo, hi) and each cell is written once, instead of a chain of
 * read-modify-writes on neighbouring cells (the inner loop of every
 * sweep). */
static void add_shifted(const cdp_state *st, double *q, const double *p, double r, double w)
{
  const double g = st->model->gamma, top = st->m - 1;
  const double u0 = (r + (g - 1) * st->vmin) / st->dz;
  double lo = 0, hi = 0; /* pending mass of cells ci and ci + 1 */
  int ci = 0;
  for (int j = 0; j < st->m; j++) {
    double u = u0 + g * j, wp = w * p[j];
    if (!(u > 0)) {
      q[0] += wp;
      continue;
    }
    if (u >= top) {
      q[st->m - 1] += wp;
      continue;
    }
    int i = (int)u;
    double f = (u - i) * wp;
    if (i == ci + 1) {
      q[ci] += lo;
      lo = hi;
      hi = 0;
      ci = i;
    } else if (i != ci) {
      q[ci] += lo;
      q[ci + 1] += hi;
      lo = hi = 0;
      ci = i;
    }
    lo += wp - f;
    hi += f;
  }
  q[ci] += lo;
  q[ci + 1] += hi;
}

/* Adds w Pi_C of the law of r + gamma G(s'), (s', r) ~ (h, s, a), G(s') ~
 * from(s'), to q. */
static void add_target(const cdp_state *st, int h, int s, int a, const double *from, double w,
                       double *q)
{
  const tabrl_mdp *m = st->model;
  size_t b = tabrl_mdp_block(m, h, s, a);
  for (size_t k = m->row[b]; k < m->row[b + 1]; k++)
    add_shifted(st, q, from + (size_t)m->next[k] * (size_t)st->m, m->reward[k], w * m->prob[k]);
}

static double mean(const cdp_state *st, const double *p)
{
  double v = 0;
  for (int j = 0; j < st->m; j++) v += p[j] * (st->vmin + j * st->dz);
  return v;
}

static int cdp_iterate(void *state, long iteration)
{
  cdp_state *st = state;
  const tabrl_mdp *m = st->model;
  int last = m->horizon > 0 ? m->horizon : 1; /* stages updated: h < last */
  double *swap;
  (void)iteration;
  for (int h = 0; h < last; h++) {
    const double *from = dist(st, st->eta, m->horizon > 0 ? h + 1 : 0, 0);
    if (st->which == DISTRIB_GREEDY)
      for (int s = 0; s < m->S; s++) st->means[s] = mean(st, from + (size_t)s * (size_t)st->m);
    for (int s = 0; s < m->S; s++) {
      double *out = dist(st, st->next, h, s), *row = tabrl_policy_row(st->pi, h, s);
      memset(out, 0, (size_t)st->m * sizeof *out);
      if (st->which != DISTRIB_GREEDY) {
        for (int a = 0; a < m->A; a++)
          if (row[a] > 0) add_target(st, h, s, a, from, row[a], out);
        continue;
      }
      double best = -INFINITY;
      int chosen = -1;
      for (int a = 0; a < m->A; a++) {
        size_t b = tabrl_mdp_block(m, h, s, a);
        double v = 0;
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        for (size_t k = m->row[b]; k < m->row[b + 1]; k++)
          v += m->prob[k] * (m->reward[k] + m->gamma * st->means[m->next[k]]);
        if (v > best) {
          best = v;
          chosen = a;
        }
      }
      add_target(st, h, s, chosen, from, 1.0, out);
      for (int a = 0; a < m->A; a++) row[a] = a == chosen;
    }
  }
  swap = st->eta;
  st->eta = st->next;
  st->next = swap;
  return 0;
}

static int cdp_policy(void *state, tabrl_policy *pi)
{
  cdp_state *st = state;
  memcpy(pi->prob, st->pi->prob,
         (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof *pi->prob);
  return 0;
}

/* The learned distribution of the return from stage h, state s: m atoms
 * (z_j, p_j), for the tests and the runner's distance columns. */
static int stage_distribution(cdp_state *st, int h, int s, tabrl_atom *out, size_t *n)
{
  const double *p = dist(st, st->eta, st->model->horizon > 0 ? h : 0, s);
  for (int j = 0; j < st->m; j++) {
    out[j].value = st->vmin + j * st->dz;
    out[j].prob = p[j];
  }
  *n = (size_t)st->m;
  return 0;
}

static int cdp_distribution(void *state, int s, tabrl_atom *out, size_t *n)
{
  cdp_state *st = state;
  if (!out) {
    *n = (size_t)st->m;
    return 0;
  }
  return stage_distribution(st, 0, s, out, n);
}

/* The fixed-point Cramer bound of the file header; NaN elsewhere. */
static double cdp_bound(const void *state, const char *metric, long k)
{
  const cdp_state *st = state;
  if (strcmp(metric, "cramer") || !st->covers || k < st->model->horizon) return NAN;
  double u = -st->vmin / st->dz;
  u -= floor(u);
  return sqrt((st->model->horizon + u * (1 - u)) * st->dz);
}

const tabrl_algo_type tabrl_algo_cdp = {
    .name = "cdp",
    .family = "distributional",
    .doc = "Categorical distributional DP: the Cramer-projected distributional Bellman operator "
           "on a fixed support of `atoms` points, one sweep per iteration",
    .source = "Rowland, Bellemare, Dabney, Munos, Teh 2018 (AISTATS), An Analysis of Categorical "
              "Distributional RL, section 3 (projection), Prop. 2 (contraction)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = cdp_params,
    .state_size = sizeof(cdp_state),
    .check = cdp_check,
    .init = cdp_init,
    .release = cdp_release,
    .policy = cdp_policy,
    .iterate = cdp_iterate,
    .distribution = cdp_distribution,
    .bound = cdp_bound,
};

/* The learned distribution of a cdp instance at (h, s) into out (atoms
 * entries); the number of atoms, or 0 for another type. */
size_t tabrl_cdp_distribution(const tabrl_algo *algo, int h, int s, tabrl_atom *out)
{
  size_t n = 0;
  if (algo->type != &tabrl_algo_cdp) return 0;
  stage_distribution(algo->state, h, s, out, &n);
  return n;
}
