/* The `init` parameter of the policy-optimization types: the policy their
 * updates start from.
 *
 *   uniform      theta = 0 at the valid actions (the default)
 *   random       theta(h,s,a) ~ N(0, 1) at the valid actions, drawn from
 *                the algorithm's own stream (tabrl_problem.rng) in (h, s, a)
 *                order, the policy their softmax
 *   file:PI.csv  a policy file: policies.csv of tabrl run or any h,s,a,prob table
 *                (tabrl_policy_read_csv: one policy, rows summing to 1,
 *                shaped for the model; stage-0 rows only serve every stage);
 *                theta = log pi.  An action of probability 0 gets the logit
 *                -inf and keeps probability 0 for the whole run (the
 *                updates only move finite logits): allowed, since the
 *                reader makes every row a distribution, so each row keeps
 *                a valid action with positive mass.
 *
 * A type lists TABRL_PO_INIT_PARAM in its table, calls
 * tabrl_po_init_check from its check hook (so a bad file is refused when
 * the experiment is read, its message "PI.csv:LINE: ...") and fills its
 * logits with tabrl_po_init_logits at init. */
#ifndef TABRL_POLICY_INIT_H
#define TABRL_POLICY_INIT_H

#include "tabrl/algo.h"

#define TABRL_PO_INIT_PARAM                                                                        \
  {                                                                                                \
    "init", TABRL_STRING, "uniform", NULL,                                                         \
        "initial policy: uniform, random (softmax of N(0,1) logits) or file:PI.csv (a policy "     \
        "file; "                                                                                   \
        "zero-probability actions stay at 0)"                                                      \
  }

/* Whether params' init names a usable policy for problem (reads the file). */
int tabrl_po_init_check(const tabrl_problem *problem, const tabrl_values *params);

/* theta (stages*S*A, stages = H episodic or 1 discounted, the layout of
 * tabrl_policy) <- the initial logits: -inf at invalid actions and at the
 * file's zero-probability ones.  Draws from problem->rng for random. */
int tabrl_po_init_logits(const tabrl_problem *problem, const tabrl_values *params, double *theta);

#endif
