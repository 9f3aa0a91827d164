/* The runner's exact valuation of an algorithm's policies; see
 * run/run_eval.h. */
#include <stdlib.h>
#include <string.h>
#include "run/run_eval.h"
#include "tabrl/error.h"

int run_eval_init(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                  const tabrl_policy *shape)
{
  memset(ev, 0, sizeof *ev);
  ev->V = malloc(tabrl_oracle_value_size(m) * sizeof *ev->V);
  ev->prev = tabrl_policy_alloc(shape->S, shape->A, shape->stages);
  if (o->type == &tabrl_objective_mean && m->horizon > 0 &&
      !(ev->ws = tabrl_oracle_workspace_alloc(m)))
    return TABRL_ENOMEM;
  if (m->horizon > 0 &&
      !(ev->prev_actions = malloc((size_t)m->horizon * (size_t)m->S * sizeof *ev->prev_actions)))
    return tabrl_error(TABRL_ENOMEM, "out of memory for a policy evaluation");
  if (!ev->V || !ev->prev)
    return tabrl_error(TABRL_ENOMEM, "out of memory for a policy evaluation");
  return 0;
}

void run_eval_free(run_eval *ev)
{
  free(ev->V);
  tabrl_policy_free(ev->prev);
  free(ev->prev_actions);
  tabrl_oracle_workspace_free(ev->ws);
  tabrl_objective_evaluator_free(ev->oe);
  memset(ev, 0, sizeof *ev);
}

/* The evaluator of o on m, made at the first call for m; NULL when o
 * keeps no work or it cannot be made (the one-shot call then says why). */
static tabrl_objective_evaluator *evaluator_of(run_eval *ev, const tabrl_objective *o,
                                               const tabrl_mdp *m)
{
  if (!o->type->work_alloc) return NULL;
  if (ev->oe_m != m) {
    tabrl_objective_evaluator_free(ev->oe);
    ev->oe = tabrl_objective_evaluator_alloc(o, m);
    ev->oe_m = ev->oe ? m : NULL;
  }
  return ev->oe;
}

int run_eval_value(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                   const tabrl_policy *pi, double *value)
{
  size_t bytes = (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof(double);
  int status;
  tabrl_objective_evaluator *oe;
  if (ev->have_prev == RUN_EVAL_TABLE && !memcmp(pi->prob, ev->prev->prob, bytes)) {
    *value = ev->value_prev;
    return 0;
  }
  if (ev->ws && m->horizon > 0) {
    if (!(status = tabrl_oracle_evaluate_ws(m, pi, TABRL_ORACLE_UNCHECKED, ev->ws, ev->V)))
      *value = tabrl_oracle_start_value(m, ev->V);
  } else if ((oe = evaluator_of(ev, o, m))) {
    status = tabrl_objective_evaluator_value(oe, pi, TABRL_ORACLE_UNCHECKED,
                                             o->type->augmented ? NULL : ev->V, value);
  } else {
    /* Augmented objectives need no per-state values here (each costs a pass). */
    status = tabrl_objective_value(o, m, pi, o->type->augmented ? NULL : ev->V, value);
  }
  if (status) {
    tabrl_error_prefix("the policy of the algorithm is not valid");
    return status;
  }
  ev->value_prev = *value;
  memcpy(ev->prev->prob, pi->prob, bytes);
  ev->have_prev = RUN_EVAL_TABLE;
  return 0;
}

/* The actions' value, reusing the last one when they have not changed. */
static int value_actions(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                         const tabrl_episode *ep, double *value)
{
  size_t bytes = (size_t)m->horizon * (size_t)m->S * sizeof *ev->prev_actions;
  int status;
  tabrl_objective_evaluator *oe;
  if (ev->have_prev == RUN_EVAL_ACTIONS && !memcmp(ep->actions, ev->prev_actions, bytes)) {
    *value = ev->value_prev;
    return 0;
  }
  if (ev->ws) {
    /* Checked by the protocol (tabrl_algo_actions). */
    if ((status = tabrl_oracle_evaluate_actions(m, ep->actions, TABRL_ORACLE_UNCHECKED, ev->V))) {
      tabrl_error_prefix("the policy of the algorithm is not valid");
      return status;
    }
    *value = tabrl_oracle_start_value(m, ev->V);
    ev->value_prev = *value;
  } else if ((oe = evaluator_of(ev, o, m)) && tabrl_objective_evaluator_has_actions(oe) &&
             ep->committed->stages == m->horizon) {
    /* Checked by the protocol; the same bits as the one-hot table. */
    if ((status = tabrl_objective_evaluator_actions(oe, ep->actions, ev->V, value))) {
      tabrl_error_prefix("the policy of the algorithm is not valid");
      return status;
    }
    ev->value_prev = *value;
  } else {
    /* Other objectives value tables: the one-hot one policy() would give. */
    tabrl_policy *pi = ep->committed;
    if ((status = tabrl_policy_from_plan(pi, ep->actions, pi->S, pi->A, pi->stages, "runner")) ||
        (status = run_eval_value(ev, o, m, pi, value)))
      return status;
  }
  memcpy(ev->prev_actions, ep->actions, bytes);
  ev->have_prev = RUN_EVAL_ACTIONS;
  return 0;
}

int run_eval_episode(run_eval *ev, const tabrl_objective *o, const tabrl_mdp *m,
                     const tabrl_episode *ep, double *value)
{
  if (ep->unchanged && ev->have_prev) {
    *value = ev->value_prev;
    return 0;
  }
  if (ep->commit == TABRL_COMMIT_ACTIONS) return value_actions(ev, o, m, ep, value);
  return run_eval_value(ev, o, m, ep->committed, value);
}
