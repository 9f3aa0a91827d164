/* tabrl/policy.h: stochastic, stage-dependent tabular policies.
 *
 * A policy is a dense table pi(a | h, s); stages is 1 (stationary, used for
 * every h) or H.  Dense because the oracle evaluates it in O(H * nnz) and
 * every algorithm's policy() fills it once per episode. */
#ifndef TABRL_POLICY_H
#define TABRL_POLICY_H

#include "tabrl/mdp.h"
#include "tabrl/rng.h"

#pragma GCC visibility push(default)

typedef struct {
  int S, A, stages;
  double *prob; /* stages*S*A, prob[(h*S + s)*A + a] */
} tabrl_policy;

tabrl_policy *tabrl_policy_alloc(int S, int A, int stages);
void tabrl_policy_free(tabrl_policy *pi);

/* A policy shaped for m: stages = H for episodic models, 1 for discounted. */
tabrl_policy *tabrl_policy_alloc_for(const tabrl_mdp *m);

static inline double *tabrl_policy_row(const tabrl_policy *pi, int h, int s)
{
  int hs = pi->stages == 1 ? 0 : h;
  return pi->prob + ((size_t)hs * (size_t)pi->S + (size_t)s) * (size_t)pi->A;
}

/* Uniform over the valid actions of m at every (h, s). */
void tabrl_policy_set_uniform(tabrl_policy *pi, const tabrl_mdp *m);

/* Deterministic choice a at (h, s). */
void tabrl_policy_set_action(tabrl_policy *pi, int h, int s, int a);

/* The deterministic policy plan[h*S + s] (stages of S entries) into pi,
 * which must be S x A with that many stages (else TABRL_EINVAL naming who,
 * the algorithm): what every planner's policy() does. */
int tabrl_policy_from_plan(tabrl_policy *pi, const int *plan, int S, int A, int stages,
                           const char *who);

/* Checks the policy fits m: sizes agree, each row is a distribution within
 * 1e-9 and puts no mass on invalid actions. */
int tabrl_policy_check(const tabrl_policy *pi, const tabrl_mdp *m);

/* The same checks for S x A and 1 or `stages` stages, with the valid
 * actions given by valid(ctx, h, s, a) (the protocol's mask, for example). */
int tabrl_policy_check_rows(const tabrl_policy *pi, int S, int A, int stages,
                            int (*valid)(const void *ctx, int h, int s, int a), const void *ctx);

/* Draws an action at (h, s); O(A). */
int tabrl_policy_sample(const tabrl_policy *pi, int h, int s, tabrl_pcg32 *rng);

/* Most likely action at (h, s) (lowest index on ties). */
int tabrl_policy_argmax(const tabrl_policy *pi, int h, int s);

/* Where a policy read from a CSV file came from: the env, algo, config and
 * seed fields of its rows ("" when the file has no such column), and whether
 * it has only stage-0 rows (stationary, used at every stage). */
typedef struct {
  char env[128], algo[128], config[128], seed[64];
  int stationary;
} tabrl_policy_source;

/* Reads one policy from a CSV file with a header line: policies.csv of tabrl
 * run (env,algo,config,seed,h,s,a,prob) or any file with the columns
 * h,s,a,prob in any order.  select ("key=value,...", keys env, algo,
 * config, seed; NULL or "" for none) keeps the rows whose fields match; the
 * kept rows must form one policy (one env,algo,config,seed group).
 *
 * With m, the rows must fit it: 0 <= h < tabrl_mdp_value_stages(m) (a
 * discounted model has one stage), 0 <= s < S, 0 <= a < A, prob a number in
 * [0, 1] on an action m allows there; each (h, s, a) at most once; every
 * state of every stage given, its probabilities summing to 1 within 1e-9.
 * A file with only h = 0 rows is stationary: its rows serve every stage of
 * an episodic m.  *out receives the policy, shaped by tabrl_policy_alloc_for.
 * With m NULL, only the first selected row is read (no policy, out may be
 * NULL): enough to learn source, e.g. the seed of a random env's instance.
 * source (may be NULL) receives the selected policy's origin.
 *
 * Errors: TABRL_EINVAL with one message "path:line: ..." naming the row and
 * what is wrong (unreadable or empty file, missing columns, wrong field
 * count, not a number, NaN, negative or > 1 probability, h, s or a outside
 * the model, mass on a disallowed action, duplicate (h, s, a) with the line
 * of its first occurrence, several policies, no selected row, a missing
 * state, rows not summing to 1); TABRL_ENOMEM. */
int tabrl_policy_read_csv(const char *path, const char *select, const tabrl_mdp *m,
                          tabrl_policy **out, tabrl_policy_source *source);

#pragma GCC visibility pop

#endif
