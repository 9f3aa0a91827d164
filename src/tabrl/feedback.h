/* tabrl/feedback.h: the preference-feedback layer.
 *
 * Feedback is a layer between the simulator and an algorithm, not part of
 * the env: given two trajectories, a preference oracle returns one bit.
 * Each link is a const tabrl_feedback_type (the gsl_rng_type pattern):
 * the probability that the first trajectory is preferred, as a function of
 * x = (score(first) - score(second)) / temperature:
 *
 *   logistic       1 / (1 + e^-x)          Bradley and Terry 1952
 *   probit         Phi(x)                  Thurstone 1927
 *   linear         clip((1 + x) / 2, 0, 1)
 *   deterministic  1{x > 0}, 1/2 on ties
 *
 * A tabrl_feedback is a link with its temperature and the score of a
 * trajectory (its return for now).  The online-preference protocol of the
 * runner and offline preference datasets both draw their bits through
 * tabrl_feedback_prefer. */
#ifndef TABRL_FEEDBACK_H
#define TABRL_FEEDBACK_H

#include <gsl/gsl_rng.h>
#include "tabrl/sim.h"

#pragma GCC visibility push(default)

typedef struct {
  const char *name;
  const char *doc;    /* one line, with the formula */
  const char *source; /* where the model comes from */
  double (*prob)(double x);
} tabrl_feedback_type;

/* NULL-terminated list of the registered links. */
extern const tabrl_feedback_type *const tabrl_feedback_types[];

extern const tabrl_feedback_type tabrl_feedback_logistic;
extern const tabrl_feedback_type tabrl_feedback_probit;
extern const tabrl_feedback_type tabrl_feedback_linear;
extern const tabrl_feedback_type tabrl_feedback_deterministic;

/* Finds a link by name; sets "unknown link 'x'; did you mean 'y'?" (or the
 * list of links) and returns NULL. */
const tabrl_feedback_type *tabrl_feedback_find(const char *name);

/* What a trajectory is scored by. */
typedef enum {
  TABRL_SCORE_RETURN = 0 /* the sum of its rewards */
} tabrl_score;

typedef struct {
  const tabrl_feedback_type *link;
  double temperature; /* > 0 */
  tabrl_score score;
} tabrl_feedback;

/* The score of a trajectory of `length` steps. */
double tabrl_feedback_score(const tabrl_feedback *f, const tabrl_step *traj, int length);

/* P(first preferred over second). */
double tabrl_feedback_prob(const tabrl_feedback *f, const tabrl_step *first,
                           const tabrl_step *second, int length);

/* One preference bit: 1 if first is preferred, drawn with one uniform from
 * rng (so a run's bits depend only on its feedback stream). */
int tabrl_feedback_prefer(const tabrl_feedback *f, const tabrl_step *first,
                          const tabrl_step *second, int length, gsl_rng *rng);

#pragma GCC visibility pop

#endif
