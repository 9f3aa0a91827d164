/* algos/policy/contextual.h: what the sampled KL-regularised policy types
 * (rpg, rebel) share on a contextual bandit: softmax logits theta(s, a)
 * per context, the reference policy, and the batch of (context, response,
 * reward) samples collected under the current policy between updates.
 *
 * The problem is one step long (horizon 1: a context drawn from mu0, one
 * response, its reward), the tabular form of a prompt and a sampled
 * completion.  The policy changes only when a batch is complete, at the end
 * of an episode, so the policy the runner values is the one that sampled
 * the episode (commits_per_episode = 1). */
#ifndef TABRL_POLICY_CONTEXTUAL_H
#define TABRL_POLICY_CONTEXTUAL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"

typedef struct {
  int S, A;
  long batch;     /* episodes per update */
  double *theta;  /* S*A logits */
  double *pi;     /* S*A, softmax(theta), the sampling policy */
  double *ref;    /* S*A reference policy */
  int *ctx, *act; /* the batch: batch samples */
  double *rew;    /* their rewards */
  long n;         /* samples in the batch so far */
  tabrl_pcg32 *rng;
} contextual_po;

/* Refuses what the types do not model (read with the experiment): a
 * problem longer than one step, or a mask of invalid actions. */
static inline int contextual_po_check(const tabrl_problem *p, const char *who)
{
  if (p->horizon != 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s needs a one-step problem (a contextual bandit: horizon = 1), not "
                       "horizon %d",
                       who, p->horizon);
  for (int s = 0; s < p->S; s++)
    for (int a = 0; a < p->A; a++)
      if (!tabrl_problem_valid(p, 0, s, a))
        return tabrl_error(TABRL_EUNSUPPORTED,
                           "%s needs every action valid in every context (action %d is "
                           "invalid in state %d)",
                           who, a, s);
  return 0;
}

/* theta = 0 (the uniform policy); the reference is the offline-preference
 * dataset's when the runner gives one, else uniform. */
static inline int contextual_po_init(contextual_po *st, const tabrl_problem *p, long batch,
                                     const char *who)
{
  int status;
  if ((status = contextual_po_check(p, who)) || (status = baseline_rng(p, &st->rng, who)))
    return status;
  st->S = p->S, st->A = p->A, st->batch = batch;
  size_t n = (size_t)p->S * (size_t)p->A;
  st->theta = calloc(n, sizeof *st->theta);
  st->pi = malloc(n * sizeof *st->pi);
  st->ref = malloc(n * sizeof *st->ref);
  st->ctx = malloc((size_t)batch * sizeof *st->ctx);
  st->act = malloc((size_t)batch * sizeof *st->act);
  st->rew = malloc((size_t)batch * sizeof *st->rew);
  if (!st->theta || !st->pi || !st->ref || !st->ctx || !st->act || !st->rew)
    return tabrl_error(TABRL_ENOMEM, "%s: out of memory", who);
  for (size_t i = 0; i < n; i++) {
    st->pi[i] = 1.0 / p->A;
    st->ref[i] = p->pref ? p->pref->reference[i] : 1.0 / p->A;
  }
  return 0;
}

static inline void contextual_po_free(contextual_po *st)
{
  free(st->theta);
  free(st->pi);
  free(st->ref);
  free(st->ctx);
  free(st->act);
  free(st->rew);
}

/* out[s A + a] = softmax(theta(s, .))(a), shifted by the row's maximum. */
static inline void contextual_po_softmax(const contextual_po *st, const double *theta, double *out)
{
  for (int s = 0; s < st->S; s++) {
    const double *t = theta + (size_t)s * st->A;
    double *p = out + (size_t)s * st->A, top = t[0], total = 0;
    for (int a = 1; a < st->A; a++) top = fmax(top, t[a]);
    for (int a = 0; a < st->A; a++) total += p[a] = exp(t[a] - top);
    for (int a = 0; a < st->A; a++) p[a] /= total;
  }
}

/* A response drawn from the sampling policy in context s (inversion). */
static inline int contextual_po_act(contextual_po *st, int s)
{
  const double *p = st->pi + (size_t)s * st->A;
  double u = tabrl_pcg32_uniform(st->rng), c = 0;
  for (int a = 0; a < st->A - 1; a++)
    if (u < (c += p[a])) return a;
  return st->A - 1;
}

/* Records a sample; 1 when the batch is complete. */
static inline int contextual_po_observe(contextual_po *st, int s, int a, double reward)
{
  st->ctx[st->n] = s, st->act[st->n] = a, st->rew[st->n] = reward;
  return ++st->n == st->batch;
}

static inline int contextual_po_policy(const contextual_po *st, tabrl_policy *pi, const char *who)
{
  if (pi->S != st->S || pi->A != st->A || pi->stages != 1)
    return tabrl_error(TABRL_EINVAL, "%s: policy must be %d x %d with 1 stage", who, st->S, st->A);
  for (int s = 0; s < st->S; s++)
    memcpy(tabrl_policy_row(pi, 0, s), st->pi + (size_t)s * st->A, (size_t)st->A * sizeof *st->pi);
  return 0;
}

#endif
