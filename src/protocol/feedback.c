/* The preference links and the preference oracle; see tabrl/feedback.h.
 * Adding a link: one more const tabrl_feedback_type here and one line in
 * the list. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "tabrl/error.h"
#include "tabrl/feedback.h"
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

double tabrl_feedback_score(const tabrl_feedback *f, const tabrl_step *traj, int length)
{
  double total = 0;
  (void)f; /* TABRL_SCORE_RETURN is the only score so far */
  for (int i = 0; i < length; i++) total += traj[i].reward;
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
