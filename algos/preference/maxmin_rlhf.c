/* maxmin-rlhf: alignment with a mixture of user groups (Chakraborty, Qiu,
 * Yuan, Koppel, Huang, Manocha, Bedi and Wang 2024, "MaxMin-RLHF:
 * Alignment with Diverse Human Preferences"; only the abstract could be
 * read here, so no equation or algorithm number is cited).
 *
 * 1. Rewards: a mixture of k Bradley-Terry models, P(y_w > y_l | x) =
 *    sum_g share_g s(R_g(x, y_w) - R_g(x, y_l)), fitted by EM to the
 *    comparisons (maxmin_em_step; one EM iteration per iteration of the
 *    protocol, the M-step m_steps gradient steps with ridge `ridge`, which
 *    keeps the rewards finite on separable data).  The responsibilities
 *    start at random (the algorithm's stream) so that the groups differ.
 *    The dataset has no user identity: each comparison is one draw from
 *    the mixture, so the groups are identified only through the
 *    Bradley-Terry structure across response pairs (weakly; the paper's
 *    users give several comparisons each).
 * 2. Policy: the max-min policy of the fitted rewards, maximising min_g
 *    E_pi R_g - beta KL(pi || pi_ref) (contexts weighted by their share of
 *    the pairs), solved exactly through its concave-convex dual: for group
 *    weights w the maximiser is the Gibbs policy pi_w proportional to
 *    pi_ref e^{(w.R)/beta}, and w minimises the convex dual by
 *    exponentiated gradient (gradient J_g(pi_w)) until the duality gap
 *    sum_g w_g J_g - min_g J_g <= `gap` (1e-9).
 *
 * Groups whose fitted share falls below `min_share` are left out of the
 * min: EM empties a group when one explains the data (consistent
 * comparisons), and its ridge-shrunk rewards describe no user.
 *
 * Constants (tabrl's choices): groups 2, beta 0.1, ridge 0.01, m_steps 10,
 * gap 1e-9, min_share 0.05. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "preference/maxmin.h"
#include "tabrl/error.h"

static double logsig(double x)
{
  return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

double maxmin_em_step(const tabrl_pref_data *d, int S, int A, int k, double ridge, int m_steps,
                      double *R, double *share, double *resp)
{
  size_t n = d->n, sa = (size_t)S * (size_t)A;
  double inv = 1 / (double)(n ? n : 1), ll = 0, step = 1 / (0.5 + ridge);
  /* E-step, and the penalised log-likelihood at the current parameters. */
  for (size_t i = 0; i < n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
    double mx = -HUGE_VAL;
    for (int g = 0; g < k; g++) {
      const double *r = R + (size_t)g * sa;
      double lp = log(share[g]) + logsig(r[yw] - r[yl]);
      resp[i * (size_t)k + (size_t)g] = lp;
      if (lp > mx) mx = lp;
    }
    double sum = exp(resp[i * (size_t)k] - mx); /* k >= 1 groups */
    for (int g = 1; g < k; g++) sum += exp(resp[i * (size_t)k + (size_t)g] - mx);
    for (int g = 0; g < k; g++)
      resp[i * (size_t)k + (size_t)g] = exp(resp[i * (size_t)k + (size_t)g] - mx) / sum;
    ll += inv * (mx + log(sum));
  }
  for (size_t j = 0; j < (size_t)k * sa; j++) ll -= ridge / 2 * R[j] * R[j];
  /* M-step: the shares exactly, the rewards by gradient ascent. */
  double *grad = malloc(sa * sizeof *grad);
  if (!grad) return NAN;
  for (int g = 0; g < k; g++) {
    double *r = R + (size_t)g * sa, total = 0;
    for (size_t i = 0; i < n; i++) total += resp[i * (size_t)k + (size_t)g];
    share[g] = total > 0 ? total * inv : 1e-300;
    for (int t = 0; t < m_steps; t++) {
      for (size_t j = 0; j < sa; j++) grad[j] = -ridge * r[j];
      for (size_t i = 0; i < n; i++) {
        size_t row = (size_t)d->context[i] * (size_t)A;
        size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
        double c = inv * resp[i * (size_t)k + (size_t)g] * exp(logsig(r[yl] - r[yw]));
        grad[yw] += c;
        grad[yl] -= c;
      }
      for (size_t j = 0; j < sa; j++) r[j] += step * grad[j];
    }
  }
  free(grad);
  return ll;
}

/* pi_w, the dual value D(w) and J (k) at w. */
static double gibbs(int S, int A, int k, const double *R, const double *mu, const double *ref,
                    double beta, const double *w, double *pi, double *J)
{
  size_t sa = (size_t)S * (size_t)A;
  double D = 0;
  memset(J, 0, (size_t)k * sizeof *J);
  for (int s = 0; s < S; s++) {
    size_t row = (size_t)s * (size_t)A;
    double mx = -HUGE_VAL;
    for (int a = 0; a < A; a++) {
      double z = 0;
      for (int g = 0; g < k; g++) z += w[g] * R[(size_t)g * sa + row + (size_t)a];
      pi[row + (size_t)a] = log(ref[row + (size_t)a]) + z / beta;
      if (pi[row + (size_t)a] > mx) mx = pi[row + (size_t)a];
    }
    double sum = pi[row] = exp(pi[row] - mx); /* A >= 1 responses */
    for (int a = 1; a < A; a++) sum += pi[row + (size_t)a] = exp(pi[row + (size_t)a] - mx);
    for (int a = 0; a < A; a++) pi[row + (size_t)a] /= sum;
    if (!(mu[s] > 0)) continue;
    D += mu[s] * beta * (mx + log(sum));
    for (int g = 0; g < k; g++)
      for (int a = 0; a < A; a++)
        J[g] += mu[s] * pi[row + (size_t)a] * R[(size_t)g * sa + row + (size_t)a];
  }
  return D;
}

double maxmin_solve(int S, int A, int k, const double *R, const double *mu, const double *ref,
                    double beta, double tol, long max_iter, double *w, double *pi)
{
  double *J = malloc(3 * (size_t)k * sizeof *J), gap = HUGE_VAL, eta = 1;
  if (!J) return NAN;
  double *Jn = J + k, *wn = J + 2 * k;
  double D = gibbs(S, A, k, R, mu, ref, beta, w, pi, J);
  for (long t = 0; t < max_iter; t++) {
    double lo = J[0], mean = 0;
    for (int g = 0; g < k; g++) {
      mean += w[g] * J[g];
      if (J[g] < lo) lo = J[g];
    }
    gap = mean - lo;
    if (gap <= tol) break;
    /* Exponentiated gradient on the dual with backtracking: a step is kept
     * only when D decreases; eta grows after a success. */
    for (;;) {
      double sum = 0;
      for (int g = 0; g < k; g++) sum += wn[g] = w[g] * exp(-eta * (J[g] - lo));
      for (int g = 0; g < k; g++) wn[g] /= sum;
      double Dn = gibbs(S, A, k, R, mu, ref, beta, wn, pi, Jn);
      if (Dn <= D || eta < 1e-12) {
        memcpy(w, wn, (size_t)k * sizeof *w);
        memcpy(J, Jn, (size_t)k * sizeof *J);
        D = Dn;
        eta *= 1.5;
        break;
      }
      eta /= 2;
    }
  }
  gibbs(S, A, k, R, mu, ref, beta, w, pi, J);
  double lo = J[0], mean = 0;
  for (int g = 0; g < k; g++) {
    mean += w[g] * J[g];
    if (J[g] < lo) lo = J[g];
  }
  free(J);
  return mean - lo;
}

typedef struct {
  int S, A, k, m_steps;
  const tabrl_pref_data *data;
  double beta, ridge, tol, min_share;
  double *R, *share, *resp, *mu, *w, *pi;
  double *Ra, *wa; /* the rewards and weights of the groups that count */
  int fresh;       /* pi is the max-min policy of the current R */
} mm_state;

static const tabrl_param maxmin_rlhf_params[] = {
    {"groups", TABRL_INT, "2", "[1,100]", "number of user groups k of the reward mixture"},
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "KL regularisation of the max-min objective"},
    {"ridge", TABRL_DOUBLE, "0.01", "(0,inf)", "L2 penalty of each group's rewards in the M-step"},
    {"m_steps", TABRL_INT, "10", "[1,10000]", "gradient steps of the M-step per EM iteration"},
    {"gap", TABRL_DOUBLE, "1e-9", "(0,inf)", "duality gap at which the max-min solve stops"},
    {"min_share", TABRL_DOUBLE, "0.05", "[0,1]",
     "groups of smaller fitted share are left out of the min (an emptied group)"},
    {0},
};

static int maxmin_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  mm_state *st = state;
  if (!problem->pref)
    return tabrl_error(TABRL_EINVAL,
                       "maxmin-rlhf needs a preference dataset (the offline-preference protocol)");
  st->S = problem->S;
  st->A = problem->A;
  st->data = problem->pref;
  st->k = (int)tabrl_values_int(v, "groups");
  st->m_steps = (int)tabrl_values_int(v, "m_steps");
  st->beta = tabrl_values_double(v, "beta");
  st->ridge = tabrl_values_double(v, "ridge");
  st->tol = tabrl_values_double(v, "gap");
  st->min_share = tabrl_values_double(v, "min_share");
  size_t sa = (size_t)st->S * (size_t)st->A, n = st->data->n, k = (size_t)st->k;
  st->R = calloc(k * sa, sizeof *st->R);
  st->share = malloc(k * sizeof *st->share);
  st->resp = malloc((n ? n : 1) * k * sizeof *st->resp);
  st->mu = calloc((size_t)st->S, sizeof *st->mu);
  st->w = malloc(k * sizeof *st->w);
  st->pi = malloc(sa * sizeof *st->pi);
  st->Ra = malloc(k * sa * sizeof *st->Ra);
  st->wa = malloc(k * sizeof *st->wa);
  if (!st->R || !st->share || !st->resp || !st->mu || !st->w || !st->pi || !st->Ra || !st->wa)
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) st->mu[st->data->context[i]] += 1 / (double)n;
  /* Random responsibilities, then one M-step, give distinct groups. */
  for (size_t i = 0; i < n; i++) {
    double sum = 0;
    for (size_t g = 0; g < k; g++)
      sum += st->resp[i * k + g] =
          problem->rng ? 0.5 + gsl_rng_uniform(problem->rng) : 1 + (double)((i + g) % k);
    for (size_t g = 0; g < k; g++) st->resp[i * k + g] /= sum;
  }
  for (size_t g = 0; g < k; g++) {
    double total = 0;
    for (size_t i = 0; i < n; i++) total += st->resp[i * k + g];
    st->share[g] = n ? total / (double)n : 1 / (double)k;
    double *r = st->R + g * sa;
    for (size_t i = 0; i < n; i++) {
      size_t row = (size_t)st->data->context[i] * (size_t)st->A;
      r[row + (size_t)st->data->chosen[i]] += st->resp[i * k + g] / (total > 0 ? total : 1);
      r[row + (size_t)st->data->rejected[i]] -= st->resp[i * k + g] / (total > 0 ? total : 1);
    }
  }
  for (size_t g = 0; g < k; g++) st->w[g] = 1 / (double)k;
  return 0;
}

static void maxmin_release(void *state)
{
  mm_state *st = state;
  free(st->R);
  free(st->share);
  free(st->resp);
  free(st->mu);
  free(st->w);
  free(st->pi);
  free(st->Ra);
  free(st->wa);
}

static int maxmin_iterate(void *state, long iteration)
{
  mm_state *st = state;
  (void)iteration;
  if (isnan(maxmin_em_step(st->data, st->S, st->A, st->k, st->ridge, st->m_steps, st->R, st->share,
                           st->resp)))
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  st->fresh = 0;
  return 0;
}

static int maxmin_policy(void *state, tabrl_policy *pi)
{
  mm_state *st = state;
  if (!st->fresh) {
    /* Only the groups of share >= min_share count: EM may empty a group
     * (consistent data need one), and its rewards, shrunk to 0 by the
     * ridge, describe no user.  The weights of the previous solve are a
     * warm start. */
    size_t sa = (size_t)st->S * (size_t)st->A;
    int active = 0;
    double total = 0;
    for (int g = 0; g < st->k; g++)
      if (st->share[g] >= st->min_share) {
        memmove(st->Ra + (size_t)active * sa, st->R + (size_t)g * sa, sa * sizeof *st->R);
        total += st->wa[active] = st->w[g] > 1e-12 ? st->w[g] : 1e-12;
        active++;
      }
    if (!active) { /* the largest group, when none reaches min_share */
      int best = 0;
      for (int g = 1; g < st->k; g++)
        if (st->share[g] > st->share[best]) best = g;
      memcpy(st->Ra, st->R + (size_t)best * sa, sa * sizeof *st->R);
      total = st->wa[0] = 1;
      active = 1;
    }
    for (int g = 0; g < active; g++) st->wa[g] /= total;
    if (isnan(maxmin_solve(st->S, st->A, active, st->Ra, st->mu, st->data->reference, st->beta,
                           st->tol, 1000000, st->wa, st->pi)))
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    for (int g = 0, j = 0; g < st->k; g++)
      st->w[g] = st->share[g] >= st->min_share && j < active ? st->wa[j++] : 0;
    st->fresh = 1;
  }
  for (int s = 0; s < st->S; s++)
    memcpy(tabrl_policy_row(pi, 0, s), st->pi + (size_t)s * (size_t)st->A,
           (size_t)st->A * sizeof *st->pi);
  return 0;
}

const tabrl_algo_type tabrl_algo_maxmin_rlhf = {
    .name = "maxmin-rlhf",
    .family = "preference",
    .doc = "MaxMin-RLHF: EM fit of a mixture of k Bradley-Terry rewards (one EM iteration per "
           "iteration), then the exact max-min policy max_pi min_g E_pi R_g - beta KL(pi || "
           "pi_ref) by exponentiated gradient on its dual to duality gap 1e-9",
    .source = "Chakraborty et al. 2024, MaxMin-RLHF: Alignment with Diverse Human Preferences "
              "(abstract read)",
    .protocol = TABRL_OFFLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = maxmin_rlhf_params,
    .state_size = sizeof(mm_state),
    .init = maxmin_init,
    .release = maxmin_release,
    .policy = maxmin_policy,
    .iterate = maxmin_iterate,
};
