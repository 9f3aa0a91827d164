/* tabrl/objective.h: objectives, the numbers regret is measured in.
 *
 * An objective maps a policy's return to one number: the mean, and (as
 * their types are registered) risk-sensitive functionals of the return.
 * Each is a const tabrl_objective_type, the gsl_rng_type pattern: name,
 * doc, source, a parameter table of at most one entry, and the oracle
 * functions for its optimal value and policy and for the exact value of a
 * given policy.  Objectives are written NAME or NAME:PARAM ("mean",
 * "cvar:0.1"), resolved once by tabrl_objective_parse when an experiment or
 * a command line is read, and held resolved (tabrl_objective) by the
 * experiment, by tabrl_problem and wherever J* or J(pi) is computed:
 * nothing else compares objective names. */
#ifndef TABRL_OBJECTIVE_H
#define TABRL_OBJECTIVE_H

#include "tabrl/mdp.h"
#include "tabrl/oracle.h"
#include "tabrl/param.h"
#include "tabrl/policy.h"
#include "tabrl/returns.h"

#pragma GCC visibility push(default)

typedef struct tabrl_objective tabrl_objective;

typedef struct tabrl_objective_type {
  const char *name;
  const char *doc;    /* one line, with the formula */
  const char *source; /* the paper, with section/equation numbers */
  /* At most one parameter: the PARAM of NAME:PARAM ({0} when none). */
  const tabrl_param *params;
  /* 1 when an optimal policy needs more than the state (e.g. the
   * accumulated reward), so the optimum comes from an augmented model and
   * `optimum` cannot return a Markov policy of m. */
  int augmented;

  /* J*, the optimal objective from mu0.  V (tabrl_oracle_value_size(m)
   * doubles) receives the per-state values where the objective has them;
   * pi (shaped for m, may be NULL) an optimal Markov policy when the type
   * is not augmented. */
  int (*optimum)(const tabrl_objective *o, const tabrl_mdp *m, double *V, tabrl_policy *pi,
                 double *J);
  /* J(pi), the exact objective of a Markov policy of m, with the same V;
   * augmented types also take a policy of m's stock model
   * (tabrl/returns.h), fill only the stage-0 values of V (NaN at later
   * stages: their values depend on the stock), and take V NULL for J
   * alone (each stage-0 value costs one more pass). */
  int (*value)(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi, double *V,
               double *J);
  /* Augmented types: J* and the solution on the stock model (sol made by
   * tabrl_stock_solution_alloc(m)); NULL for the others. */
  int (*stock_optimum)(const tabrl_objective *o, const tabrl_mdp *m, tabrl_stock_solution *sol,
                       double *J);
  /* Optional (all four or none): the work `value` redoes at every call
   * that depends only on o and m (scratch, per-entry factors), kept for
   * valuing many policies of one model (tabrl_objective_evaluator).
   * work_alloc: NULL and a message on failure; work_reset: m's rewards or
   * probabilities changed (same sizes and pattern), no allocation;
   * work_value: `value` with the kept work, the same bits, flags of
   * tabrl/oracle.h (TABRL_ORACLE_UNCHECKED: pi's rows are already known to
   * be distributions over valid actions). */
  void *(*work_alloc)(const tabrl_objective *o, const tabrl_mdp *m);
  void (*work_reset)(void *work, const tabrl_objective *o, const tabrl_mdp *m);
  int (*work_value)(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                    const tabrl_policy *pi, unsigned flags, double *V, double *J);
  void (*work_free)(void *work);
  /* Optional (NULL: callers value the one-hot table instead), with the
   * four above: J(pi) and V of the deterministic policy taking
   * action[h S + s] at (h, s) on an episodic m (H S actions, valid for m:
   * not checked), the same bits as work_value of its one-hot table, without
   * building one. */
  int (*work_value_actions)(void *work, const tabrl_objective *o, const tabrl_mdp *m,
                            const int *action, double *V, double *J);
} tabrl_objective_type;

/* A resolved objective. */
struct tabrl_objective {
  const tabrl_objective_type *type;
  double param;  /* the parsed PARAM; 0 when the type has none */
  char text[64]; /* as written, e.g. "cvar:0.1" */
};

/* NULL-terminated list of the registered objective types. */
extern const tabrl_objective_type *const tabrl_objective_types[];

/* The risk-neutral objective E[G], always registered. */
extern const tabrl_objective_type tabrl_objective_mean;

/* Finds a type by name; sets "unknown objective 'x'; did you mean 'y'?"
 * (or the list of registered names) and returns NULL. */
const tabrl_objective_type *tabrl_objective_find(const char *name);

/* Resolves "NAME" or "NAME:PARAM" (TABRL_ENOTFOUND for an unknown name,
 * TABRL_EINVAL for a missing, unexpected or out-of-range parameter; the
 * message names the objective). */
int tabrl_objective_parse(const char *text, tabrl_objective *out);

/* The resolved mean objective, for callers without a choice. */
tabrl_objective tabrl_objective_default(void);

/* Dispatch to the type (V: tabrl_oracle_value_size(m) doubles; pi may be
 * NULL for the optimum). */
int tabrl_objective_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                            tabrl_policy *pi, double *J);
int tabrl_objective_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                          double *V, double *J);
int tabrl_objective_stock_optimum(const tabrl_objective *o, const tabrl_mdp *m,
                                  tabrl_stock_solution *sol, double *J);

/* J(pi) of many policies of one model: an evaluator keeps, across calls,
 * what tabrl_objective_value would rebuild at each one (the scratch; for
 * the nested objectives, entropic and kl-robust, an exp per model entry;
 * for the stock-augmented ones, the stock model's grid and reachability),
 * so a call allocates nothing.  Values are bit for bit those of
 * tabrl_objective_value (a type without kept work is called through it). */
typedef struct tabrl_objective_evaluator tabrl_objective_evaluator;

/* For o (copied) on m (kept by address: it must outlive the evaluator).
 * NULL and a message on failure. */
tabrl_objective_evaluator *tabrl_objective_evaluator_alloc(const tabrl_objective *o,
                                                           const tabrl_mdp *m);

void tabrl_objective_evaluator_free(tabrl_objective_evaluator *ev);

/* The model's rewards or probabilities changed in place (e.g. a reward
 * schedule's switch): rebuilds what depends on them, allocating nothing. */
void tabrl_objective_evaluator_reset(tabrl_objective_evaluator *ev);

/* J(pi) (and V, as tabrl_objective_value: may be NULL for augmented
 * types only) on the evaluator's model.  flags: TABRL_ORACLE_UNCHECKED
 * skips tabrl_policy_check's scan of pi's rows for a policy validated
 * already (the protocol boundary); its shape is always checked, and a
 * policy that is not a distribution gives a meaningless value, never a
 * crash. */
int tabrl_objective_evaluator_value(tabrl_objective_evaluator *ev, const tabrl_policy *pi,
                                    unsigned flags, double *V, double *J);

/* 1 when tabrl_objective_evaluator_actions can value a deterministic
 * policy given as actions (the type has work_value_actions and the model
 * is episodic), else 0: value its one-hot table. */
int tabrl_objective_evaluator_has_actions(const tabrl_objective_evaluator *ev);

/* J (and V, tabrl_oracle_value_size doubles) of the deterministic policy
 * taking action[h S + s] at (h, s) (H S actions, already checked valid:
 * the protocol boundary), bit for bit tabrl_objective_value of its one-hot
 * table with H stages.  TABRL_EUNSUPPORTED when
 * tabrl_objective_evaluator_has_actions is 0. */
int tabrl_objective_evaluator_actions(tabrl_objective_evaluator *ev, const int *action, double *V,
                                      double *J);

#pragma GCC visibility pop

#endif
