/* tabrl/steps.h: every iteration of an exact solver of the mean objective,
 * recorded for teaching (the pages and tables of `tabrl solve --format html`
 * and `--format tex`).
 *
 * The solver is the oracle's own (tabrl/oracle.h): the final V and policy are
 * exactly those of tabrl_oracle_backward, tabrl_oracle_vi, tabrl_oracle_pi or
 * tabrl_oracle_pi_sparse, and the recorder only copies what each iteration
 * produced.  Each step holds the whole value array (tabrl_oracle_value_size
 * doubles), Q (stages*S*A, -inf at invalid actions) and one action per
 * (stage, state):
 *
 * - value iteration: step 0 is V_0 = 0, step k the values after sweep k;
 *   Q is the one-step look-ahead from those values and the actions are its
 *   argmax (lowest action on ties, as tabrl_oracle_greedy): at the last
 *   step they are the policy the solver returns.
 * - policy iteration: per iteration k an EVALUATE step (V = V^pi_k exactly,
 *   Q = Q^pi_k, actions pi_k) then an IMPROVE step (the same V and Q, the
 *   actions pi_k+1, `changes` of them switched).  The last IMPROVE changes
 *   nothing: its actions are the returned policy.
 * - backward induction (episodic): step 0 knows only V_H = 0; step t has
 *   computed stages H-1 down to H-t.  The stages not yet computed hold NAN
 *   values and Q and action -1.
 *
 * `changes` counts the (stage, state) whose action differs from the previous
 * step's (the number of arrows that move on a page); -1 where a step has no
 * previous one.  `residual` is the sup-norm of the change in V from the
 * previous iteration (NAN where there is none). */
#ifndef TABRL_STEPS_H
#define TABRL_STEPS_H

#include <stddef.h>

#include "tabrl/mdp.h"
#include "tabrl/oracle.h"
#include "tabrl/policy.h"

#pragma GCC visibility push(default)

typedef enum {
  TABRL_STEPS_BACKWARD, /* backward induction, episodic models */
  TABRL_STEPS_VI,       /* value iteration, discounted models */
  TABRL_STEPS_PI        /* policy iteration (exact LU evaluation up to 1,000 states) */
} tabrl_steps_method;

typedef enum {
  TABRL_STEP_START,    /* before the first iteration */
  TABRL_STEP_SWEEP,    /* one value-iteration sweep */
  TABRL_STEP_EVALUATE, /* policy iteration: the current policy's exact values */
  TABRL_STEP_IMPROVE,  /* policy iteration: the greedy improvement */
  TABRL_STEP_STAGE     /* backward induction: one more stage */
} tabrl_step_kind;

typedef struct {
  tabrl_step_kind kind;
  int iter;        /* the solver's iteration (sweep, PI iteration, stages done); 0 at the start */
  double residual; /* sup-norm of the change in V, or NAN */
  long changes;    /* actions that differ from the previous step's, or -1 */
  double *V;       /* tabrl_oracle_value_size(m) values */
  double *Q;       /* stages*S*A */
  int *action;     /* stages*S */
} tabrl_step;

typedef struct {
  tabrl_steps_method method;
  int stages, S, A;
  double eps;       /* value iteration's tolerance */
  double threshold; /* VI stops when the residual is below it: eps (1 - gamma) / (2 gamma) */
  int iterations;   /* as the oracle reports them */
  size_t n;         /* steps recorded */
  tabrl_step *step;
  size_t cap; /* private */
} tabrl_steps;

/* Above this many doubles in all steps together the recording stops with
 * TABRL_ENOMEM (and a message saying how many it would need): 2^24 doubles,
 * 128 MB. */
#define TABRL_STEPS_MAX_DOUBLES ((size_t)1 << 24)

/* Solves m by method (eps: value iteration's tolerance, as
 * tabrl_oracle_vi) and records every step in *out (NULL on failure).  V
 * (tabrl_oracle_value_size(m)) and pi (tabrl_policy_alloc_for(m)) receive
 * the solver's result, exactly as the oracle call would give them.  trace
 * (or NULL) gets the oracle's own per-iteration calls (its fn only), as if
 * passed to the solver: VI and PI, not backward induction. */
int tabrl_steps_record(const tabrl_mdp *m, tabrl_steps_method method, double eps, double *V,
                       tabrl_policy *pi, const tabrl_trace *trace, tabrl_steps **out);

void tabrl_steps_free(tabrl_steps *steps);

#pragma GCC visibility pop

#endif
