/* algos/preference/duel_glm.h: the logistic (Bradley-Terry) model of the
 * linear dueling bandits (private to colstim and maxminlcb).
 *
 * An item is a (context, arm) pair i = s A + a with features x_i: the
 * problem's phi(s, a) when the env has features, else the one-hot e_i (then
 * the model is Bradley-Terry on the items).  A duel of items i and j won
 * by i is the logistic observation y = 1 on z = x_i - x_j, with
 * P(y = 1) = sigma(theta^T z): the linear stochastic transitivity model
 * with the logistic link (Bengs, Saha and Huellermeier 2022, Section 2).
 *
 * theta-hat minimises the l2-regularised negative log-likelihood
 *   sum_duels [log(1 + e^{theta^T z}) - y theta^T z] + lambda/2 |theta|^2
 * (strictly convex: the minimiser exists even before any duel), by Newton
 * steps warm-started at the previous estimate.  Duels are kept aggregated by
 * item pair (count, wins), so a refit costs O(pairs d^2 + d^3) whatever the
 * number of rounds.  M = lambda I + sum_duels z z^T is the design matrix of
 * the confidence widths |z|_{M^-1}, kept inverted (common/ridge.h). */
#ifndef TABRL_PREFERENCE_DUEL_GLM_H
#define TABRL_PREFERENCE_DUEL_GLM_H

#include "tabrl/algo.h"

/* The largest feature dimension (S A for one-hot features) and number of
 * items the model takes: a refit solves a d x d system. */
#define DUEL_GLM_MAX_DIM 64
#define DUEL_GLM_MAX_ITEMS 4096

typedef struct {
  int d, items;
  const double *phi; /* items x d, or NULL: one-hot */
  double lambda;
  double *theta;   /* d: the estimate */
  double *inverse; /* d x d: M^-1 (upper triangle authoritative) */
  int *pair_of;    /* items x items: index of the pair (i < j), or -1 */
  int npairs, cap;
  int *pair_i, *pair_j;
  double *count, *wins; /* duels of pair p, and how many its item i won */
  double *work;         /* 3 d + d^2 scratch */
  long skipped;         /* refits whose Newton system was not finite */
} duel_glm;

/* The features of problem (or one-hot), lambda > 0.  Fails with the
 * message prefixed by who. */
int duel_glm_init(duel_glm *g, const tabrl_problem *p, double lambda, const char *who);
void duel_glm_free(duel_glm *g);

/* Item i's features into x (d values). */
void duel_glm_features(const duel_glm *g, int item, double *x);

/* theta-hat^T x_i. */
double duel_glm_utility(const duel_glm *g, int item);

/* theta-hat^T (x_i - x_j) and |x_i - x_j|_{M^-1}. */
double duel_glm_width(const duel_glm *g, int i, int j, double *mean);

/* |x_i|_{M^-1}. */
double duel_glm_norm(const duel_glm *g, int i);

/* Records a duel of items i and j (i won if first_won), updates M^-1 and
 * refits theta-hat.  A duel of an item with itself carries no information
 * about theta and changes nothing. */
int duel_glm_observe(duel_glm *g, int i, int j, int first_won);

/* The logistic function, without overflow. */
double duel_glm_sigmoid(double x);

/* Whether the problem fits the model: horizon 1 (a bandit, the two
 * trajectories are one pull each) and features of dimension <= the
 * maximum; 0 or TABRL_EUNSUPPORTED with the message. */
int duel_glm_check(const tabrl_problem *p, const char *who);

#endif
