/* Shared state of the sampled policy-gradient types (see sampled.h). */
#include "policy/sampled.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/actions.h"
#include "policy/init.h"
#include "tabrl/error.h"

int tabrl_spg_init(tabrl_spg *g, const tabrl_problem *problem, const tabrl_values *params,
                   const char *name)
{
  int status;
  if ((status = baseline_rng(problem, &g->rng, name))) return status;
  g->H = problem->horizon, g->S = problem->S, g->A = problem->A;
  g->batch = tabrl_values_int(params, "batch");
  g->mean_baseline = tabrl_values_choice(params, "baseline") == 0;
  size_t n = (size_t)g->H * g->S * g->A, hs = (size_t)g->H * g->S;
  g->theta = malloc(n * sizeof *g->theta);
  g->pi = malloc(n * sizeof *g->pi);
  g->grad = malloc(n * sizeof *g->grad);
  g->base = calloc(hs, sizeof *g->base);
  g->visits = calloc(hs, sizeof *g->visits);
  g->rewards = malloc((size_t)g->H * sizeof *g->rewards);
  g->samples = malloc((size_t)g->batch * g->H * sizeof *g->samples);
  if (!g->theta || !g->pi || !g->grad || !g->base || !g->visits || !g->rewards || !g->samples)
    return tabrl_error(TABRL_ENOMEM, "%s: out of memory", name);
  if ((status = tabrl_po_init_logits(problem, params, g->theta))) return status;
  tabrl_spg_softmax(g, g->theta, g->pi);
  return 0;
}

void tabrl_spg_release(tabrl_spg *g)
{
  free(g->theta);
  free(g->pi);
  free(g->grad);
  free(g->base);
  free(g->visits);
  free(g->rewards);
  free(g->samples);
}

void tabrl_spg_softmax(const tabrl_spg *g, const double *theta, double *pi)
{
  for (size_t r = 0; r < (size_t)g->H * g->S; r++) {
    const double *t = theta + r * g->A;
    double *row = pi + r * g->A, top = -INFINITY, total = 0;
    for (int a = 0; a < g->A; a++) top = fmax(top, t[a]);
    for (int a = 0; a < g->A; a++) total += row[a] = t[a] > -INFINITY ? exp(t[a] - top) : 0;
    for (int a = 0; a < g->A; a++) row[a] /= total;
  }
}

int tabrl_spg_policy(const tabrl_spg *g, tabrl_policy *out, const char *name)
{
  if (out->S != g->S || out->A != g->A || out->stages != g->H)
    return tabrl_error(TABRL_EINVAL, "%s: policy must be %d x %d with %d stages", name, g->S, g->A,
                       g->H);
  memcpy(out->prob, g->pi, (size_t)g->H * g->S * g->A * sizeof *g->pi);
  return 0;
}

int tabrl_spg_act(tabrl_spg *g, int h, int s)
{
  const double *row = g->pi + ((size_t)h * g->S + s) * g->A;
  double u = tabrl_pcg32_uniform(g->rng), cum = 0;
  int last = -1;
  for (int a = 0; a < g->A; a++) {
    if (!(row[a] > 0)) continue;
    last = a;
    if (u < (cum += row[a])) return a;
  }
  return last; /* u above the rounded total */
}

int tabrl_spg_observe(tabrl_spg *g, int h, int s, int a, double reward)
{
  g->samples[(size_t)g->filled * g->H + h] = (tabrl_spg_sample){h, s, a, 0};
  g->rewards[h] = reward;
  return 0;
}

int tabrl_spg_end_episode(tabrl_spg *g)
{
  tabrl_spg_sample *ep = g->samples + (size_t)g->filled * g->H;
  double G = 0;
  for (int h = g->H - 1; h >= 0; h--) {
    size_t hs = (size_t)h * g->S + ep[h].s;
    G += g->rewards[h];
    ep[h].adv = G - (g->mean_baseline ? g->base[hs] : 0);
    g->visits[hs]++;
    g->base[hs] += (G - g->base[hs]) / (double)g->visits[hs];
  }
  return ++g->filled == g->batch;
}

void tabrl_spg_gradient(const tabrl_spg *g, const double *p, const double *weight, double *grad)
{
  size_t n = (size_t)g->H * g->S * g->A;
  memset(grad, 0, n * sizeof *grad);
  for (size_t i = 0; i < (size_t)g->filled * g->H; i++) {
    const tabrl_spg_sample *x = g->samples + i;
    size_t r = ((size_t)x->h * g->S + x->s) * g->A;
    double c = x->adv * (weight ? weight[i] : 1.0) / (double)g->batch;
    if (c == 0) continue;
    for (int a = 0; a < g->A; a++) grad[r + a] -= c * p[r + a];
    grad[r + x->a] += c;
  }
}

void tabrl_spg_commit(tabrl_spg *g, const double *step)
{
  size_t n = (size_t)g->H * g->S * g->A;
  for (size_t i = 0; i < n; i++)
    if (g->theta[i] > -INFINITY) g->theta[i] += step[i];
  /* Each row shifted so that its largest logit is 0: the policy is
   * unchanged and theta stays bounded over long runs. */
  for (size_t r = 0; r < (size_t)g->H * g->S; r++) {
    double *t = g->theta + r * g->A, top = -INFINITY;
    for (int a = 0; a < g->A; a++) top = fmax(top, t[a]);
    for (int a = 0; a < g->A; a++)
      if (t[a] > -INFINITY) t[a] -= top;
  }
  g->filled = 0;
  g->commits++;
  tabrl_spg_softmax(g, g->theta, g->pi);
}

unsigned long tabrl_spg_version(const tabrl_spg *g)
{
  return g->commits;
}
