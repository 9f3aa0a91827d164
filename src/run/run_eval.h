/* Private to the runner and `tabrl bench`: the exact value of each policy
 * an algorithm reports, as the runner computes it for runs.csv's value and
 * regret columns, so the bench times the runner's own code path. */
#ifndef TABRL_RUN_RUN_EVAL_H
#define TABRL_RUN_RUN_EVAL_H

#include "tabrl/episode.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"
#include "tabrl/policy.h"

enum { RUN_EVAL_NONE, RUN_EVAL_TABLE, RUN_EVAL_ACTIONS };

typedef struct {
  tabrl_policy *prev;         /* the last policy valued (the algorithm's shape) */
  double value_prev;          /* its value */
  int have_prev;              /* what value_prev is the value of: RUN_EVAL_NONE,
                                 RUN_EVAL_TABLE (prev) or RUN_EVAL_ACTIONS
                                 (prev_actions) */
  double *V;                  /* tabrl_oracle_value_size(m) values */
  tabrl_oracle_workspace *ws; /* the mean objective's unchecked path, or NULL */
  int *prev_actions;          /* the last actions valued (H S) */
  /* The other objectives' kept work (made at the first value, for its
   * model), or NULL. */
  tabrl_objective_evaluator *oe;
  const tabrl_mdp *oe_m;
} run_eval;

/* For the policies of shape `shape` (S x A, or the stock model's S K x A)
 * on m under objective o.  TABRL_ENOMEM (message set) on failure, with ev
 * safe to free. */
int run_eval_init(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                  const tabrl_policy *shape);

void run_eval_free(run_eval *ev);

/* J(pi) under o on m (any model with the m of init's S and A, e.g. a
 * schedule's), reusing the last value when pi has not changed (most
 * episodes of a learner end with the same greedy policy).  pi must have
 * passed the protocol's check (tabrl_algo_policy, tabrl_algo_propose: each
 * row a distribution over the problem's valid actions): under the mean
 * objective on an episodic model it is then evaluated without
 * tabrl_policy_check's second O(H S A) scan (TABRL_ORACLE_UNCHECKED, the
 * same arithmetic as tabrl_oracle_evaluate, so the same bits); under the
 * others through a tabrl_objective_evaluator of m, unchecked too, made at
 * the first call (the same bits as tabrl_objective_value).  Call
 * run_eval_forget when the model's rewards change. */
int run_eval_value(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                   const tabrl_policy *pi, double *value);

/* J(pi_k) of the policy episode ep committed to (ep->has_committed):
 * its table through run_eval_value, or its actions (ep->actions, H S),
 * which the mean objective on an episodic model values by
 * tabrl_oracle_evaluate_actions, an objective whose evaluator takes
 * actions (tabrl_objective_evaluator_has_actions: entropic, kl-robust) by
 * tabrl_objective_evaluator_actions (both the same bits as their one-hot
 * table), and any other fills into ep->committed first; an unchanged policy
 * (ep->unchanged) keeps the last value. */
int run_eval_episode(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                     const tabrl_episode *ep, double *value);

static inline void run_eval_forget(run_eval *ev)
{
  ev->have_prev = RUN_EVAL_NONE;
  if (ev->oe) tabrl_objective_evaluator_reset(ev->oe);
}

#endif
