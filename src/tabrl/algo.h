/* tabrl/algo.h: algorithm types and the four protocols.
 *
 * Every algorithm is a const tabrl_algo_type (the gsl_rng_type pattern):
 * name, family, doc, protocol, parameter table, the size of its private
 * state and function pointers.  A tabrl_algo owns one instance's state and
 * dispatches through the type.  Which pointers a type fills depends on its
 * protocol:
 *
 *   online             act, observe (begin_episode, end_episode: optional)
 *   online-preference  propose, feedback
 *   offline            fit
 *   planning           iterate
 *
 * and every type fills init, policy and (if it allocates) release.  An
 * algorithm only sees what its protocol gives it through tabrl_problem: the
 * model itself only under the planning protocol. */
#ifndef TABRL_ALGO_H
#define TABRL_ALGO_H

#include <gsl/gsl_rng.h>
#include "tabrl/mdp.h"
#include "tabrl/param.h"
#include "tabrl/policy.h"
#include "tabrl/sim.h"

#pragma GCC visibility push(default)

typedef enum {
  TABRL_ONLINE = 0,
  TABRL_ONLINE_PREFERENCE,
  TABRL_OFFLINE,
  TABRL_PLANNING
} tabrl_protocol;

const char *tabrl_protocol_name(tabrl_protocol p);

/* What an algorithm is told about its problem. */
typedef struct {
  int S, A;
  int horizon;   /* H >= 1 (online protocols need an episodic model) or 0 */
  double gamma;  /* 1 when episodic */
  long episodes; /* the budget K (iterations for planning), for log(S A T / delta) terms */
  /* valid[(h*S + s)*A + a] for h < stages (1 = stationary); all valid when NULL. */
  const unsigned char *valid;
  int valid_stages;
  int dim;                /* feature dimension, 0 when the env has none */
  const double *phi;      /* S*A*dim features, or NULL */
  const tabrl_mdp *model; /* planning protocol only; NULL otherwise */
  gsl_rng *rng;           /* the algorithm's own stream (PCG32) */
  /* Linear mixture models: the known base kernels P_i (layout of
   * tabrl_mdp.mixture_basis), or 0 and NULL; the weights theta stay hidden. */
  int mixture_dim;
  const double *mixture_basis;
} tabrl_problem;

static inline int tabrl_problem_valid(const tabrl_problem *p, int h, int s, int a)
{
  if (!p->valid) return 1;
  int hs = p->valid_stages == 1 ? 0 : h;
  return p->valid[((size_t)hs * (size_t)p->S + (size_t)s) * (size_t)p->A + (size_t)a];
}

/* An offline dataset: n transitions (or, for preference data, n pairs of
 * trajectories with their preference bits). */
typedef struct {
  size_t n;
  const tabrl_step *steps;          /* transitions, in collection order */
  int horizon;                      /* trajectory length of preference pairs */
  const tabrl_step *first, *second; /* n * horizon steps each, or NULL */
  const int *prefer_first;          /* n bits, or NULL */
} tabrl_dataset;

typedef struct tabrl_algo_type {
  const char *name;
  const char *family; /* baseline, exploration, linear, risk, distributional, preference, policy */
  const char *doc;    /* one line */
  const char *source; /* the paper, with equation/algorithm numbers */
  tabrl_protocol protocol;
  /* 1 if the policy returned at the start of an episode is the one followed
   * for the whole episode (its exact value is the episode's value); 0 if it
   * changes within the episode (regret then uses the realized return). */
  int commits_per_episode;
  const tabrl_param *params;
  size_t state_size;

  /* The state arrives zeroed.  init may keep problem's pointers (valid,
   * phi, model, rng), which must outlive the algorithm.  On failure init
   * need not undo its work: tabrl_algo_alloc calls release, which must
   * therefore accept a partially initialised (zero-filled) state. */
  int (*init)(void *state, const tabrl_problem *problem, const tabrl_values *params);
  void (*release)(void *state); /* frees what init allocated; may be NULL */
  /* The current policy (stages H, or 1 for a stationary one). */
  int (*policy)(void *state, tabrl_policy *pi);

  /* online */
  int (*begin_episode)(void *state, long k);
  int (*act)(void *state, int h, int s);
  void (*observe)(void *state, int h, int s, int a, double reward, int next);
  int (*end_episode)(void *state, long k);

  /* online-preference: two policies to compare this episode; the runner
   * rolls both out and reports which trajectory was preferred. */
  int (*propose)(void *state, long k, tabrl_policy *first, tabrl_policy *second);
  int (*feedback)(void *state, const tabrl_step *first, const tabrl_step *second, int horizon,
                  int prefer_first);

  /* offline: fit on the first data->n samples of the dataset */
  int (*fit)(void *state, const tabrl_dataset *data);

  /* planning: one iteration (a sweep, an improvement step ...) */
  int (*iterate)(void *state, long iteration);
} tabrl_algo_type;

/* NULL-terminated list of all registered algorithm types. */
extern const tabrl_algo_type *const tabrl_algo_types[];

/* Finds a type by name; sets a did-you-mean message and returns NULL. */
const tabrl_algo_type *tabrl_algo_find(const char *name);

typedef struct {
  const tabrl_algo_type *type;
  void *state;
} tabrl_algo;

/* Allocates the state, calls init. NULL with the message set on failure.
 * params NULL means every parameter at its default. */
tabrl_algo *tabrl_algo_alloc(const tabrl_algo_type *type, const tabrl_problem *problem,
                             const tabrl_values *params);
void tabrl_algo_free(tabrl_algo *algo);

/* What the protocol lets an algorithm see of m: sizes, time, features, the
 * valid-action mask (malloc'ed into *valid, which the caller frees after
 * the algorithm) and, when give_model, the model itself (planning). */
int tabrl_problem_init(tabrl_problem *p, const tabrl_mdp *m, long episodes, gsl_rng *rng,
                       int give_model, unsigned char **valid);

#pragma GCC visibility pop

#endif
