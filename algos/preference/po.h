/* Private to the offline preference-optimisation types (dpo, ipo, slic,
 * gpo; algos/preference/po.c): the convex functions f of Generalized
 * Preference Optimization and the full-batch loss on a tabular policy, so
 * that the tests can check gradients and optima.
 *
 * The policy is pi(y | x) = softmax_y theta(x, y).  With h(x, y) = log pi(y
 * | x) - log pi_ref(y | x), a comparison (x, y_w, y_l) costs
 *
 *   scale * f(beta (h(x, y_w) - h(x, y_l))),
 *
 * and the loss is the mean over the dataset.  The log-partitions of the
 * two responses cancel (same context), so h_w - h_l = theta(x, y_w) -
 * theta(x, y_l) - log pi_ref(y_w | x) + log pi_ref(y_l | x) and the
 * gradient is one pass over the pairs. */
#ifndef TABRL_ALGOS_PO_H
#define TABRL_ALGOS_PO_H

#include "tabrl/algo.h"

typedef struct {
  const char *name;
  const char *formula;
  double (*f)(double rho, double *df); /* f(rho), and f'(rho) into *df */
  double (*df)(double rho);            /* f'(rho) alone (the optimizer's path) */
} po_loss;

/* The convex functions of `gpo f = ...`, NULL-terminated by name. */
extern const po_loss po_losses[];
enum { PO_LOGISTIC, PO_HINGE, PO_SQUARED, PO_EXPONENTIAL, PO_TRUNCATED_SQUARED, PO_SAVAGE };

/* The mean loss of the dataset at theta (S*A logits; log_ref S*A log
 * reference probabilities), and when grad is not NULL its gradient in
 * theta (S*A, overwritten). */
double po_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                    const double *log_ref, const po_loss *f, double beta, double scale,
                    double *grad);

/* The gradient alone, as po_objective's (what one optimizer step uses). */
void po_gradient(const tabrl_pref_data *d, int S, int A, const double *theta, const double *log_ref,
                 const po_loss *f, double beta, double scale, double *grad);

#endif
