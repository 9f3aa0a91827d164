/* The preference links and the preference oracle; see tabrl/feedback.h.
 * Adding a link: one more const tabrl_feedback_type here and one line in
 * the list. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "tabrl/error.h"
#include "tabrl/feedback.h"
#include "tabrl/oracle.h"
#include "tabrl/param.h"

static double logistic(double x)
{
  /* Written so that exp never overflows. */
  return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static double probit(double x)
{
  return gsl_cdf_ugaussian_P(x);
}

static double linear(double x)
{
  return fmin(1.0, fmax(0.0, 0.5 * (1.0 + x)));
}

static double deterministic(double x)
{
  return x > 0 ? 1.0 : x < 0 ? 0.0 : 0.5;
}

const tabrl_feedback_type tabrl_feedback_logistic = {
    "logistic", "Bradley-Terry: 1 / (1 + exp(-x))",
    "Bradley and Terry 1952, Biometrika 39(3/4), eq. (1)", logistic};
const tabrl_feedback_type tabrl_feedback_probit = {
    "probit", "Thurstone: Phi(x), the standard normal CDF",
    "Thurstone 1927, Psychological Review 34(4), case V", probit};
const tabrl_feedback_type tabrl_feedback_linear = {
    "linear", "clip((1 + x) / 2, 0, 1)", "the linear link of dueling-bandit models", linear};
const tabrl_feedback_type tabrl_feedback_deterministic = {
    "deterministic", "1 if x > 0, 0 if x < 0, a fair coin on ties",
    "a noiseless labeller (the limit of every link as the temperature goes to 0)", deterministic};

const tabrl_feedback_type *const tabrl_feedback_types[] = {
    &tabrl_feedback_logistic,
    &tabrl_feedback_probit,
    &tabrl_feedback_linear,
    &tabrl_feedback_deterministic,
    NULL,
};

const tabrl_feedback_type *tabrl_feedback_find(const char *name)
{
  const char *names[32];
  size_t n = 0;
  for (size_t i = 0; tabrl_feedback_types[i]; i++) {
    if (!strcmp(tabrl_feedback_types[i]->name, name)) return tabrl_feedback_types[i];
    if (n < sizeof names / sizeof names[0]) names[n++] = tabrl_feedback_types[i]->name;
  }
  tabrl_error_unknown("link", "links", name, names, n);
  return NULL;
}

static const char *const score_names[] = {"return", "regret", "features"};

int tabrl_score_parse(const char *name, tabrl_score *out)
{
  for (int i = 0; i < 3; i++)
    if (!strcmp(name, score_names[i])) {
      *out = (tabrl_score)i;
      return 0;
    }
  tabrl_error_unknown("score", "scores", name, score_names, 3);
  return TABRL_EINVAL;
}

const char *tabrl_score_name(tabrl_score score)
{
  return score_names[score];
}

int tabrl_feedback_bind(tabrl_feedback *f, const tabrl_mdp *m)
{
  f->model = m;
  f->advantage = NULL;
  if (f->score != TABRL_SCORE_REGRET) return 0;
  if (m->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "score = regret needs an episodic model (optimal advantages per stage)");
  size_t HSA = (size_t)m->horizon * (size_t)m->S * (size_t)m->A;
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  f->advantage = malloc(HSA * sizeof *f->advantage);
  int status = V && f->advantage ? tabrl_oracle_backward(m, V, f->advantage, NULL)
                                 : tabrl_error(TABRL_ENOMEM, "out of memory");
  if (!status)
    for (size_t i = 0; i < HSA; i++) f->advantage[i] -= V[i / (size_t)m->A];
  free(V);
  if (status) tabrl_feedback_unbind(f);
  return status;
}

void tabrl_feedback_unbind(tabrl_feedback *f)
{
  free(f->advantage);
  f->advantage = NULL;
  f->model = NULL;
}

int tabrl_feedback_segment(const tabrl_feedback *f, int length, gsl_rng *rng, int *n)
{
  if (f->segment <= 0 || f->segment >= length) {
    *n = length;
    return 0;
  }
  *n = f->segment;
  return (int)gsl_rng_uniform_int(rng, (unsigned long)(length - f->segment + 1));
}

/* theta^T phi(s, a), or the mean reward of (h, s, a) without features. */
static double feature_score(const tabrl_mdp *m, const tabrl_step *x)
{
  if (m->dim > 0 && m->theta) {
    const double *phi = m->phi + ((size_t)x->s * (size_t)m->A + (size_t)x->a) * (size_t)m->dim;
    double total = 0;
    for (int i = 0; i < m->dim; i++) total += m->theta[i] * phi[i];
    return total;
  }
  return m->mean_reward[tabrl_mdp_block(m, x->h, x->s, x->a)];
}

double tabrl_feedback_score(const tabrl_feedback *f, const tabrl_step *traj, int length)
{
  const tabrl_mdp *m = f->model;
  double total = 0;
  for (int i = 0; i < length; i++) {
    const tabrl_step *x = traj + i;
    switch (f->score) {
    case TABRL_SCORE_RETURN:
      total += x->reward;
      break;
    case TABRL_SCORE_REGRET:
      total +=
          f->advantage[((size_t)x->h * (size_t)m->S + (size_t)x->s) * (size_t)m->A + (size_t)x->a];
      break;
    case TABRL_SCORE_FEATURES:
      total += feature_score(m, x);
      break;
    }
  }
  return total;
}

double tabrl_feedback_prob(const tabrl_feedback *f, const tabrl_step *first,
                           const tabrl_step *second, int length)
{
  double x = tabrl_feedback_score(f, first, length) - tabrl_feedback_score(f, second, length);
  return f->link->prob(x / f->temperature);
}

int tabrl_feedback_prefer(const tabrl_feedback *f, const tabrl_step *first,
                          const tabrl_step *second, int length, gsl_rng *rng)
{
  return gsl_rng_uniform(rng) < tabrl_feedback_prob(f, first, second, length);
}
