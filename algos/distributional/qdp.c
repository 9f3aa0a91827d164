/* qdp: quantile distributional dynamic programming on the model.
 *
 * Dabney, Rowland, Bellemare and Munos 2018, "Distributional Reinforcement
 * Learning with Quantile Regression" (AAAI), section 3: the projected
 * operator Pi_W1 T^pi on distributions eta(s) = (1/m) sum_i delta_theta_i(s)
 * (`atoms` = m equally weighted atoms), where T^pi is the distributional
 * Bellman operator and Pi_W1 the quantile projection onto the levels
 * (2i - 1) / (2m) (their Lemma 2; projection.h).  Pi_W1 T^pi is a gamma-
 * contraction in the supremum W_infinity distance (their Prop. 2), so
 * discounted iterates converge; episodic models carry eta_h(s), h = 0..H
 * with eta_H = delta_0, and are at the fixed point after H iterations
 * (Jacobi sweeps, like value-iteration).
 *
 * Fixed-point error (episodic): with e_h = sup_s W1(eta_h(s), eta^pi_h(s)),
 * e_h <= W1(Pi_W1 nu, nu) + e_{h+1} for nu = T^pi eta_{h+1} (T^pi shifts by
 * rewards and mixes, which does not increase the supremum of W1; Pi_W1 is
 * not a W1 non-expansion, so the projection error is taken on the target
 * itself), and nu lies on an interval of length (H - h)(rmax - rmin) (the
 * quantiles stay inside the support), so W1(Pi_W1 nu, nu) <= (H - h)(rmax -
 * rmin) / (2m) and e_0 <= H (H + 1) (rmax - rmin) / (4m).  Only the
 * abstract and the algorithm statements of the paper were read here.
 * bound() reports it as runs.csv's w1_bound, rmin and rmax the extremes of
 * the model's reward values: episodic models only, from iteration H on
 * (before, stage 0 has not seen the whole horizon); Cramer has no
 * documented bound here (NaN).
 *
 * `policy`: optimal (mean-optimal) or uniform: evaluates that policy and
 * returns it; greedy: control on the mean of the targets, as cdp.  Models
 * with reward noise are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "distributional/dp.h"
#include "distributional/projection.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

static const tabrl_param qdp_params[] = {
    {"atoms", TABRL_INT, "51", "[1,100000]", "number m of quantiles"},
    {"policy", TABRL_CHOICE, "optimal", "optimal|uniform|greedy",
     "evaluate the mean-optimal or the uniform policy, or greedy control on the learned mean"},
    {0},
};

typedef struct {
  const tabrl_mdp *model;
  int m, which, stages;
  double reward_range;  /* rmax - rmin over the model's reward values */
  double *theta, *next; /* stages * S * m quantiles; next is scratch */
  tabrl_atom *atoms;    /* A * (largest block) * m: the targets of one (h, s) */
  size_t *count;        /* A: the target atoms of each action */
  tabrl_policy *pi;
} qdp_state;

static void qdp_release(void *state)
{
  qdp_state *st = state;
  free(st->theta);
  free(st->next);
  free(st->atoms);
  free(st->count);
  tabrl_policy_free(st->pi);
}

static double *quantiles(const qdp_state *st, double *base, int h, int s)
{
  return base + ((size_t)h * (size_t)st->model->S + (size_t)s) * (size_t)st->m;
}

/* Refuses reward noise, when the experiment is read and in init. */
static int qdp_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  if (problem->model && problem->model->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "qdp: the model has reward noise; the distributional DP uses the model's "
                       "reward values and would leave the noise out");
  return 0;
}

static int qdp_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  qdp_state *st = state;
  const tabrl_mdp *m = problem->model;
  size_t n, widest = 0;
  if (!m) return tabrl_error(TABRL_EINVAL, "qdp needs the model (planning protocol)");
  if (qdp_check(problem, params)) return TABRL_EUNSUPPORTED;
  st->model = m;
  st->m = (int)tabrl_values_int(params, "atoms");
  st->which = tabrl_values_choice(params, "policy");
  st->stages = m->horizon > 0 ? m->horizon + 1 : 1;
  double rmin = INFINITY, rmax = -INFINITY;
  for (size_t k = 0; k < m->nnz; k++) {
    rmin = fmin(rmin, m->reward[k]);
    rmax = fmax(rmax, m->reward[k]);
  }
  st->reward_range = m->nnz ? rmax - rmin : 0;
  for (size_t b = 0; b < (size_t)m->stages * (size_t)m->S * (size_t)m->A; b++)
    if (m->row[b + 1] - m->row[b] > widest) widest = m->row[b + 1] - m->row[b];
  n = (size_t)st->stages * (size_t)m->S * (size_t)st->m;
  st->theta = calloc(n, sizeof *st->theta);
  st->next = calloc(n, sizeof *st->next);
  st->atoms = malloc((size_t)m->A * widest * (size_t)st->m * sizeof *st->atoms);
  st->count = calloc((size_t)m->A, sizeof *st->count);
  st->pi = tabrl_policy_alloc_for(m);
  if (!st->theta || !st->next || !st->atoms || !st->count || !st->pi)
    return tabrl_error(TABRL_ENOMEM, "qdp: out of memory for %zu quantiles", n);
  return distrib_evaluated_policy(m, st->which == DISTRIB_GREEDY ? DISTRIB_UNIFORM : st->which,
                                  st->pi, "qdp");
}

/* The atoms of the law of r + gamma G(s'), (s', r) ~ (h, s, a), G(s') ~
 * from(s'), each of mass weight p(s') / m, into out; returns their number
 * and their mean (*mean). */
static size_t target(const qdp_state *st, int h, int s, int a, const double *from, double weight,
                     tabrl_atom *out, double *mean)
{
  const tabrl_mdp *m = st->model;
  size_t b = tabrl_mdp_block(m, h, s, a), n = 0;
  *mean = 0;
  for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
    const double *theta = from + (size_t)m->next[k] * (size_t)st->m;
    for (int j = 0; j < st->m; j++) {
      out[n].value = m->reward[k] + m->gamma * theta[j];
      out[n].prob = weight * m->prob[k] / st->m;
      *mean += m->prob[k] * out[n].value / st->m;
      n++;
    }
  }
  return n;
}

static int qdp_iterate(void *state, long iteration)
{
  qdp_state *st = state;
  const tabrl_mdp *m = st->model;
  int last = m->horizon > 0 ? m->horizon : 1;
  double *swap;
  (void)iteration;
  for (int h = 0; h < last; h++) {
    const double *from = quantiles(st, st->theta, m->horizon > 0 ? h + 1 : 0, 0);
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(st->pi, h, s), best = -INFINITY, mu;
      size_t n = 0, start = 0;
      int chosen = -1;
      for (int a = 0; a < m->A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a) || (st->which != DISTRIB_GREEDY && row[a] == 0)) continue;
        size_t k = target(st, h, s, a, from, st->which == DISTRIB_GREEDY ? 1.0 : row[a],
                          st->atoms + n + start, &mu);
        if (st->which != DISTRIB_GREEDY) {
          n += k;
        } else if (mu > best) { /* keep only the best action's atoms, at the front */
          best = mu;
          chosen = a;
          memmove(st->atoms, st->atoms + start, k * sizeof *st->atoms);
          start = k;
        }
      }
      if (st->which == DISTRIB_GREEDY) {
        n = start;
        for (int a = 0; a < m->A; a++) row[a] = a == chosen;
      }
      distrib_project_quantile(st->atoms, n, st->m, quantiles(st, st->next, h, s));
    }
  }
  swap = st->theta;
  st->theta = st->next;
  st->next = swap;
  return 0;
}

static int qdp_policy(void *state, tabrl_policy *pi)
{
  qdp_state *st = state;
  memcpy(pi->prob, st->pi->prob,
         (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof *pi->prob);
  return 0;
}

static int stage_distribution(qdp_state *st, int h, int s, tabrl_atom *out, size_t *n)
{
  const double *theta = quantiles(st, st->theta, st->model->horizon > 0 ? h : 0, s);
  for (int j = 0; j < st->m; j++) {
    out[j].value = theta[j];
    out[j].prob = 1.0 / st->m;
  }
  *n = (size_t)st->m;
  return 0;
}

static int qdp_distribution(void *state, int s, tabrl_atom *out, size_t *n)
{
  qdp_state *st = state;
  if (!out) {
    *n = (size_t)st->m;
    return 0;
  }
  return stage_distribution(st, 0, s, out, n);
}

/* The fixed-point W1 bound of the file header; NaN elsewhere. */
static double qdp_bound(const void *state, const char *metric, long k)
{
  const qdp_state *st = state;
  const int H = st->model->horizon;
  if (strcmp(metric, "w1") || H <= 0 || k < H) return NAN;
  return (double)H * (H + 1) * st->reward_range / (4.0 * st->m);
}

const tabrl_algo_type tabrl_algo_qdp = {
    .name = "qdp",
    .family = "distributional",
    .doc = "Quantile distributional DP: the W1-projected distributional Bellman operator onto "
           "`atoms` quantiles at levels (2i-1)/(2m), one sweep per iteration",
    .source = "Dabney, Rowland, Bellemare, Munos 2018 (AAAI), Distributional RL with Quantile "
              "Regression, Lemma 2 (projection), Prop. 2 (W_inf contraction)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = qdp_params,
    .state_size = sizeof(qdp_state),
    .check = qdp_check,
    .init = qdp_init,
    .release = qdp_release,
    .policy = qdp_policy,
    .iterate = qdp_iterate,
    .distribution = qdp_distribution,
    .bound = qdp_bound,
};

/* The learned distribution of a qdp instance at (h, s) into out (atoms
 * entries); the number of atoms, or 0 for another type. */
size_t tabrl_qdp_distribution(const tabrl_algo *algo, int h, int s, tabrl_atom *out)
{
  size_t n = 0;
  if (algo->type != &tabrl_algo_qdp) return 0;
  stage_distribution(algo->state, h, s, out, &n);
  return n;
}
