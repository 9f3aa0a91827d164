/* Private: what the Nash-learning algorithms of algos/preference/ share.
 * Each keeps one log-policy per context (state) over the responses
 * (actions), starts at the reference policy (as EGPO's simulation code
 * does: the learner is a copy of the reference), and reports it at every
 * stage.  The game is the model's (tabrl/game.h): P shared by the
 * contexts, the reference per context. */
#ifndef TABRL_GAME_POLICY_H
#define TABRL_GAME_POLICY_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

typedef struct {
  const tabrl_mdp *m;
  int S, A;
  double *log_pi;  /* S*A, normalised log-probabilities */
  double *log_ref; /* S*A */
  double *work;    /* 4*A scratch */
} game_policy;

/* The type check of every Nash-learning type: the model must carry a
 * preference matrix (env preference-bandit with preferences = ...). */
static inline int game_policy_check(const tabrl_problem *problem, const char *name)
{
  if (!problem->model || !problem->model->preference)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s needs a preference matrix: env = preference-bandit with preferences = "
                       "file:P.csv (or random)",
                       name);
  return 0;
}

static inline int game_policy_init(game_policy *g, const tabrl_problem *problem, const char *name)
{
  int status = game_policy_check(problem, name);
  if (status) return status;
  g->m = problem->model;
  g->S = g->m->S;
  g->A = g->m->A;
  size_t n = (size_t)g->S * (size_t)g->A;
  g->log_pi = malloc(n * sizeof *g->log_pi);
  g->log_ref = malloc(n * sizeof *g->log_ref);
  g->work = malloc(4 * (size_t)g->A * sizeof *g->work);
  if (!g->log_pi || !g->log_ref || !g->work)
    return tabrl_error(TABRL_ENOMEM, "%s: out of memory", name);
  for (size_t i = 0; i < n; i++)
    g->log_ref[i] = g->m->reference ? log(g->m->reference[i]) : -log((double)g->A);
  memcpy(g->log_pi, g->log_ref, n * sizeof *g->log_pi);
  return 0;
}

static inline void game_policy_release(game_policy *g)
{
  free(g->log_pi);
  free(g->log_ref);
  free(g->work);
}

/* a x with 0 (-inf) = 0: a zero weight drops a log-probability of 0. */
static inline double game_weigh(double a, double x)
{
  return a == 0 ? 0 : a * x;
}

/* Normalises a log-policy in place and writes its probabilities. */
static inline void game_normalise(double *l, int A, double *p)
{
  double top = -INFINITY, total = 0;
  for (int i = 0; i < A; i++)
    if (l[i] > top) top = l[i];
  for (int i = 0; i < A; i++) total += exp(l[i] - top);
  for (int i = 0; i < A; i++) {
    l[i] -= top + log(total);
    if (p) p[i] = exp(l[i]);
  }
}

/* out = (1 - eta beta) l + eta beta log ref + eta P q, normalised: the
 * entropy-regularised mirror-descent step against the opponent q, i.e.
 * out proportional to l^(1 - eta beta) ref^(eta beta) exp(eta P q). */
static inline void game_md_step(const game_policy *g, int s, double eta, double beta,
                                const double *l, const double *q, double *out, double *p)
{
  const double *P = g->m->preference, *log_ref = g->log_ref + (size_t)s * (size_t)g->A;
  for (int i = 0; i < g->A; i++) {
    double x = 0;
    for (int j = 0; j < g->A; j++) x += P[i * g->A + j] * q[j];
    out[i] = game_weigh(1 - eta * beta, l[i]) + game_weigh(eta * beta, log_ref[i]) + eta * x;
  }
  game_normalise(out, g->A, p);
}

static inline int game_policy_write(const game_policy *g, tabrl_policy *pi)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < g->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      for (int a = 0; a < g->A; a++) row[a] = exp(g->log_pi[(size_t)s * (size_t)g->A + (size_t)a]);
    }
  return 0;
}

/* The check hooks: the preference matrix, and lr beta <= 1 where the
 * update mixes the policy with the reference in those proportions. */
static inline int game_policy_check_mixing(const tabrl_problem *problem, const tabrl_values *v,
                                           const char *name)
{
  int status = game_policy_check(problem, name);
  if (status) return status;
  double lr = tabrl_values_double(v, "lr"), beta = tabrl_values_double(v, "beta");
  if (lr * beta > 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s: lr x beta = %g exceeds 1 (the weight of the reference in the "
                       "geometric mixture)",
                       name, lr * beta);
  return 0;
}

#endif
