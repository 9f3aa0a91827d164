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
 * A tabrl_feedback is a link with its temperature, what a trajectory is
 * scored by, and the length of the segments compared.  Scores:
 *
 *   return    the partial return, sum_t r_t (the usual assumption)
 *   regret    sum_t A*_h(s_t, a_t), the optimal advantages along the
 *             segment (<= 0; minus the segment's regret): the regret
 *             preference model of Knox, Hatgis-Kessell, Booth, Niekum,
 *             Stone and Allievi, "Models of human preference for learning
 *             reward functions" (TMLR 2024), in the form that holds for
 *             stochastic transitions (only their abstract could be read
 *             here; the form follows their statement that regret measures
 *             the segment's deviation from optimal decision making)
 *   features  theta^T sum_t phi(s_t, a_t), a generalised linear model of a
 *             trajectory feature vector with a hidden parameter (Pacchiano,
 *             Saha and Lee, "Dueling RL: Reinforcement Learning with
 *             Trajectory Preferences", AISTATS 2023, whose trajectory
 *             features are sums of per-step features); a model without
 *             features uses the one-hot features of (s, a) and theta = the
 *             mean rewards, so the score is the noiseless return
 *
 * The regret and features scores read the model: tabrl_feedback_bind
 * attaches one (per run; random instances differ by seed).  The
 * online-preference protocol of the runner and offline preference datasets
 * both draw their bits through tabrl_feedback_prefer. */
#ifndef TABRL_FEEDBACK_H
#define TABRL_FEEDBACK_H

#include <gsl/gsl_rng.h>
#include "tabrl/mdp.h"
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

/* What a trajectory is scored by (see above). */
typedef enum {
  TABRL_SCORE_RETURN = 0, /* the sum of its rewards */
  TABRL_SCORE_REGRET,     /* the sum of its optimal advantages */
  TABRL_SCORE_FEATURES    /* theta^T (its summed features) */
} tabrl_score;

/* Parses "return", "regret" or "features"; sets a did-you-mean message. */
int tabrl_score_parse(const char *name, tabrl_score *out);
const char *tabrl_score_name(tabrl_score score);

typedef struct {
  const tabrl_feedback_type *link;
  double temperature; /* > 0 */
  tabrl_score score;
  int segment; /* 0: whole trajectories; L >= 1: segments of L steps */
  /* Set by tabrl_feedback_bind, for the regret and features scores. */
  const tabrl_mdp *model;
  double *advantage; /* owned: A*_h(s, a), (h S + s) A + a, score regret */
} tabrl_feedback;

/* Attaches the model the scores read (kept, not copied): computes the
 * optimal advantages for the regret score (an episodic model), checks that
 * a features score has what it needs.  Undo with tabrl_feedback_unbind. */
int tabrl_feedback_bind(tabrl_feedback *f, const tabrl_mdp *m);
void tabrl_feedback_unbind(tabrl_feedback *f);

/* The segment of a trajectory of `length` steps that is compared: the
 * whole of it (segment 0 or >= length; no draw), or L consecutive steps
 * starting uniformly in [0, length - L] (one draw from rng).  Returns the
 * start; *n is the segment's length. */
int tabrl_feedback_segment(const tabrl_feedback *f, int length, gsl_rng *rng, int *n);

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
