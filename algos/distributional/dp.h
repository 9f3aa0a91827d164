/* What the distributional DP and TD algorithms share (private to
 * algos/distributional): the evaluated policy and the support. */
#ifndef DISTRIBUTIONAL_DP_H
#define DISTRIBUTIONAL_DP_H

#include "tabrl/algo.h"

/* The `policy` parameter: the policy whose return distribution is learned
 * (optimal: the mean-optimal policy of the model; uniform: uniform over
 * the valid actions), or greedy: control, greedy w.r.t. the mean of the
 * learned distributions. */
enum { DISTRIB_OPTIMAL, DISTRIB_UNIFORM, DISTRIB_GREEDY };

/* pi (shaped by tabrl_policy_alloc_for(m)) = the mean-optimal policy of m
 * (backward induction, or exact policy iteration when discounted; lowest
 * action on ties) or the uniform one over the valid actions. */
int distrib_evaluated_policy(const tabrl_mdp *m, int which, tabrl_policy *pi, const char *who);

/* The support [*vmin, *vmax] of the planning algorithms: the parameters
 * vmin and vmax where set, else from m's rewards: H min(0, rmin) and
 * H max(0, rmax) episodic (every return-to-go lies there), the same with
 * 1/(1 - gamma) for H when discounted.  Refuses vmax <= vmin and models
 * with reward noise (the DP uses the model's reward values as the
 * rewards). */
int distrib_support(const tabrl_mdp *m, const tabrl_values *params, double *vmin, double *vmax,
                    const char *who);

#endif
