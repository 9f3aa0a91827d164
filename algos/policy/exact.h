/* Shared state of the exact (planning) policy-optimization types: pg, npg,
 * pmd, entropy-npg.  Each keeps a stage-dependent (episodic) or stationary
 * (discounted) stochastic policy, evaluates it exactly with the oracle's
 * sparse path (Q^pi and the occupancy measure, tabrl/oracle.h) in one
 * workspace made at init, so an iteration allocates nothing.
 *
 * Episodic models (gamma = 1, horizon H): the discounted formulas with the
 * per-stage occupancy d_h and Q_h, and the factor 1 / (1 - gamma) read
 * as 1 (the horizon is absorbed into the step). */
#ifndef TABRL_POLICY_EXACT_H
#define TABRL_POLICY_EXACT_H

#include "tabrl/algo.h"
#include "tabrl/oracle.h"

typedef struct {
  const tabrl_mdp *m;
  int stages, S, A;
  double scale; /* 1 / (1 - gamma) discounted, 1 episodic */
  tabrl_oracle_workspace *ws;
  tabrl_policy *pi;
  double *theta; /* stages*S*A logits, -inf at invalid actions */
  double *V;     /* value array of V^pi (tabrl_oracle_value_size) */
  double *Q;     /* stages*S*A: Q^pi */
  double *d;     /* stages*S: unnormalised state occupancy from mu0 */
} tabrl_exact_po;

/* Allocates everything for problem->model; the policy is params' `init`
 * (policy/init.h; uniform over the valid actions by default).  name is the
 * type's, for messages. */
int tabrl_exact_po_init(tabrl_exact_po *po, const tabrl_problem *problem,
                        const tabrl_values *params, const char *name);
void tabrl_exact_po_release(tabrl_exact_po *po);

/* pi <- softmax(theta) per (h, s) after shifting each row's logits so its
 * largest is 0 (the shift leaves the policy unchanged and keeps theta
 * bounded under steps that grow without limit). */
void tabrl_exact_po_softmax(tabrl_exact_po *po);

/* Q^pi and V^pi of the current pi (and the occupancy d when occupancy is
 * set), warm-started from the previous iteration's solves. */
int tabrl_exact_po_evaluate(tabrl_exact_po *po, int occupancy);

/* theta <- keep theta + step Q at the valid actions, then the softmax:
 * pi_new(a|s) proportional to pi(a|s)^keep exp(step Q(s,a)).  Q may be
 * replaced by the advantage Q - V: the per-state shift cancels in the
 * normalisation. */
void tabrl_exact_po_mirror(tabrl_exact_po *po, double keep, double step);

/* Copies pi into out (shape checked). */
int tabrl_exact_po_policy(const tabrl_exact_po *po, tabrl_policy *out, const char *name);

/* V_h(s) of the value array V (stage h of an episodic model). */
static inline double tabrl_exact_po_v(const tabrl_exact_po *po, const double *V, int h, int s)
{
  return V[(size_t)(po->m->horizon > 0 ? h : 0) * (size_t)po->S + (size_t)s];
}

#endif
