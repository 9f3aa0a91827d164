/* tabrl/algo.h: algorithm types, the four protocols and their dispatch.
 *
 * Every algorithm is a const tabrl_algo_type (the gsl_rng_type pattern):
 * name, family, doc, protocol, parameter table, the size of its private
 * state and function pointers.  A tabrl_algo owns one instance's state and
 * dispatches through the type.  Which pointers a type fills depends on its
 * protocol (tabrl_algo_alloc refuses a type that lacks one):
 *
 *   online             act, observe (begin_episode, end_episode: optional)
 *   online-preference  propose, feedback
 *   offline            fit
 *   planning           iterate
 *   offline-preference iterate (one full-batch optimizer step on
 *                      tabrl_problem.pref, the dataset the runner built)
 *
 * and every type fills init, policy and (if it allocates) release.  An
 * algorithm only sees what its protocol gives it through tabrl_problem: the
 * model itself only under the planning protocol.
 *
 * Callers never reach into the type: tabrl_algo_act, tabrl_algo_observe,
 * tabrl_algo_policy ... below own the protocol's rules (optional pointers,
 * the validity of actions, the shape and the rows of returned policies, the
 * error context), so the runner, the bench and the tests follow one set of
 * rules.  tabrl/episode.h drives a whole online episode. */
#ifndef TABRL_ALGO_H
#define TABRL_ALGO_H

#include <math.h>
#include <gsl/gsl_rng.h>
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/objective.h"
#include "tabrl/param.h"
#include "tabrl/policy.h"
#include "tabrl/returns.h"
#include "tabrl/sim.h"

#pragma GCC visibility push(default)

typedef enum {
  TABRL_ONLINE = 0,
  TABRL_ONLINE_PREFERENCE,
  TABRL_OFFLINE,
  TABRL_PLANNING,
  TABRL_OFFLINE_PREFERENCE
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
  /* What regret is measured in (the mean unless the experiment says
   * otherwise); tabrl_problem_init sets the mean. */
  const tabrl_objective *objective;
  /* The stock grid of the model (tabrl/returns.h) when the objective is
   * augmented (cvar, mean-variance, threshold, homeostatic), NULL
   * otherwise: its quantum and range depend on the reward values only,
   * which a learner observes, and shape the policies of types with
   * stock_policies. */
  const tabrl_stock_grid *stock;
  /* Linear mixture models: the known base kernels P_i (layout of
   * tabrl_mdp.mixture_basis), or 0 and NULL; the weights theta stay hidden. */
  int mixture_dim;
  const double *mixture_basis;
  /* Models with a vector reward (tabrl_mdp.reward_vec): its dimension d,
   * observed by types with observe_vec; 0 otherwise. */
  int reward_dim;
  /* The mean-optimal Markov policy of the model (tabrl_oracle_backward:
   * deterministic, lowest action on ties; H stages), set by the runner for
   * episodic models, NULL otherwise (tabrl_problem_init leaves it NULL).
   * It is the KNOWN policy of policy evaluation in an unknown model: only
   * policy-evaluation learners (`policy = optimal` of ctd, qtd, mdtd,
   * robust-td) may read it (tabrl_policy_argmax gives its action).  A
   * control algorithm must not: it would be told the answer it is scored
   * on. */
  const tabrl_policy *target;
  /* Offline-preference protocol (NULL otherwise): the run's dataset of
   * comparisons and the reference policy (see tabrl_pref_data); also, with
   * no comparisons, for online types with uses_reference. */
  const struct tabrl_pref_data *pref;
  /* Constrained MDPs: the experiment's cost budget B (C(pi) <= B on the
   * model's costs, tabrl_mdp.cost), or NULL when it sets none. */
  const double *budget;
} tabrl_problem;

/* An offline preference dataset on a contextual bandit (the
 * offline-preference protocol): n comparisons, the i-th in context
 * context[i] with response chosen[i] preferred to rejected[i] (the two may
 * be equal when drawn from the reference), and the reference policy
 * reference[s A + a] = pi_ref(a | s), every entry > 0 and rows summing to
 * 1 (uniform unless the env has one).  The runner builds it once per run,
 * before init, from `pairs = N` or `dataset = file:D.csv`; it outlives the
 * algorithm. */
typedef struct tabrl_pref_data {
  size_t n;
  const int *context, *chosen, *rejected;
  const double *reference;
} tabrl_pref_data;

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

/* What a type needs of its problem (tabrl_algo_type.needs), checked by
 * tabrl_algo_check.  The online protocols need an episodic problem
 * whatever the bits say: their runs are made of episodes. */
enum {
  TABRL_NEEDS_EPISODIC = 1u << 0,     /* horizon H >= 1 */
  TABRL_NEEDS_FEATURES = 1u << 1,     /* phi(s, a) (dim >= 1), e.g. env = linear */
  TABRL_NEEDS_MIXTURE = 1u << 2,      /* a linear mixture basis, e.g. env = linear-mixture */
  TABRL_NEEDS_VECTOR_REWARD = 1u << 3 /* a vector reward, e.g. chain with objectives = 2 */
};

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

  /* What the type needs of the problem: TABRL_NEEDS_* bits, and check (may
   * be NULL) for needs that depend on the parameters (pevi's form = linear
   * needs features); check sets the message and returns TABRL_EUNSUPPORTED.
   * Both are applied by tabrl_algo_check, so an experiment refuses a
   * mismatch when it is read, before any run. */
  unsigned needs;
  int (*check)(const tabrl_problem *problem, const tabrl_values *params);
  /* The objectives the type can optimise, NULL-terminated; NULL means the
   * mean only.  A type whose policy ignores the objective (a uniform random
   * baseline) gives tabrl_objective_types: every registered one. */
  const tabrl_objective_type *const *objectives;
  /* 1 if policy() returns policies of the stock model: S K states (index s
   * K + u - lo for the stock u quanta), H stages, so that act() may depend
   * on the reward accumulated in the episode.  Needs an augmented
   * objective (problem->stock set). */
  int stock_policies;
  /* 1 if the protocol passes the model (tabrl_problem.model) although it
   * is not planning: a known-transition learner (dueling-rl) that reads
   * the kernel and mu0 only, never a reward; its header says so. */
  int sees_model;

  /* The state arrives zeroed.  init may keep problem's pointers (valid,
   * phi, model, rng), which must outlive the algorithm.  On failure init
   * need not undo its work: tabrl_algo_alloc calls release, which must
   * therefore accept a partially initialised (zero-filled) state. */
  int (*init)(void *state, const tabrl_problem *problem, const tabrl_values *params);
  void (*release)(void *state); /* frees what init allocated; may be NULL */
  /* The current policy (stages H, or 1 for a stationary one). */
  int (*policy)(void *state, tabrl_policy *pi);
  /* Optional (online types with commits_per_episode whose policy is
   * deterministic, e.g. greedy in an optimistic or sampled model; never
   * with stock_policies): the current policy as one action per (h, s),
   * action[h S + s] for the H stages, the action at which policy()'s row
   * is 1 (every other entry 0).  The episode then commits to the actions,
   * checked in O(H S) instead of the O(H S A) table, and the runner values
   * them without a table (tabrl_oracle_evaluate_actions for the mean,
   * tabrl_objective_evaluator_actions for entropic and kl-robust; other
   * objectives value the one-hot table). */
  int (*actions)(void *state, int *action);
  /* Optional (online types with commits_per_episode): a number that
   * changes whenever the policy may have changed since an earlier call
   * (e.g. a count of re-plannings); equal numbers mean the same policy, so
   * the episode neither rebuilds nor checks it and the runner reuses its
   * value.  A uniform random baseline returns a constant. */
  unsigned long (*policy_version)(const void *state);

  /* online */
  int (*begin_episode)(void *state, long k);
  int (*act)(void *state, int h, int s);
  int (*observe)(void *state, int h, int s, int a, double reward, int next);
  int (*end_episode)(void *state, long k);

  /* online-preference: two policies to compare this episode; the runner
   * rolls both out and reports which was preferred.  feedback receives the
   * compared segments, `horizon` steps each: whole trajectories, or with
   * the experiment's `segment = L` L consecutive steps of each (drawn
   * independently; their stages are in tabrl_step.h).  The learner must
   * not read tabrl_step.reward: the preference bit is all it is told of
   * the reward.  propose may instead return TABRL_NO_QUERY (an algorithm
   * that asks only when unsure, P2R): the runner then rolls out first
   * only, values the episode by it alone, asks no query and calls feedback
   * with the whole first trajectory (H steps), second NULL and
   * prefer_first -1, so the learner still sees where it went.  A type
   * that decides on the trajectory itself (P2R asks when its reward set is
   * wide on that trajectory) fills ask: the runner then rolls out first,
   * calls ask with its whole trajectory, and only when ask returns 1 rolls
   * out second and queries; on 0 the episode goes as for TABRL_NO_QUERY. */
  int (*propose)(void *state, long k, tabrl_policy *first, tabrl_policy *second);
  int (*feedback)(void *state, const tabrl_step *first, const tabrl_step *second, int horizon,
                  int prefer_first);
  int (*ask)(void *state, const tabrl_step *first, int horizon); /* optional */

  /* offline: fit on the first data->n samples of the dataset */
  int (*fit)(void *state, const tabrl_dataset *data);

  /* planning: one iteration (a sweep, an improvement step ...) */
  int (*iterate)(void *state, long iteration);

  /* Optional (optimistic algorithms): the share, in [0,1], of the visited
   * (h, s, a) whose optimistic Q_h(s,a) is still >= H - h, the largest
   * return from stage h, so that the bonuses (this stage's and the later
   * ones' V_{h+1} carries) cover every possible return and the data decide
   * nothing; NaN when nothing is visited.  Near 1 after the last episode,
   * regret is linear at these constants.  Read with tabrl_algo_saturation;
   * NULL: not reported. */
  double (*saturation)(const void *state);

  /* Optional (algorithms that guard their arithmetic): how many updates
   * were skipped so far because a number was not finite (an overflowed
   * exponential, a NaN), so that a run reports them instead of crashing.
   * Read with tabrl_algo_diagnostics; NULL: not reported. */
  double (*diagnostics)(const void *state);

  /* Optional (online types that learn from vector rewards): called after
   * observe with the sampled outcome's vector reward (problem->reward_dim
   * values) when the model has one. */
  int (*observe_vec)(void *state, int h, int s, int a, const double *reward_vec, int next);

  /* Optional (full-information learners, e.g. optimistic PPO): called
   * after end_episode with the reward function of episode k, the mean
   * reward r_k[(h*S + s)*A + a] of every (h, s, a) of the H stages (0 at
   * invalid actions), revealed once the episode is over: the model's mean
   * reward, or the episode's own on a run whose rewards change from
   * episode to episode.  Bandit-feedback learners leave it NULL and see
   * only the rewards of their trajectory. */
  int (*observe_rewards)(void *state, long k, const double *reward);

  /* Optional (distributional algorithms): the learned distribution of the
   * return from state s at the start (stage 0), as atoms into out; with
   * out NULL, only *n = the number of atoms it would write.  The runner
   * reports its W1 and Cramer distances to the exact distribution of the
   * algorithm's policy (runs.csv w1, cramer) and the distance of its mean
   * to that policy's exact value (value_err).  Read with
   * tabrl_algo_distribution; NULL: not reported. */
  int (*distribution)(void *state, int s, tabrl_atom *out, size_t *n);

  /* Optional: the type's documented theoretical bound on the runs.csv
   * metric named metric ("w1", "cramer"; later "cum_regret") after k
   * episodes (iterations for planning), for its parameters and problem,
   * which the state knows; NaN where it documents none: another metric, a
   * k or a problem outside the bound's assumptions (a fixed-point bound
   * before the fixed point).  The runner writes it beside the measured
   * value (runs.csv w1_bound, cramer_bound) and tabrl plot draws it.  Read
   * with tabrl_algo_bound; NULL: no bound. */
  double (*bound)(const void *state, const char *metric, long k);

  /* Optional (planning types with their own optimum, e.g. a regularised
   * one): the suboptimality of the current policy for the type's
   * objective, which the planning runner writes as runs.csv regret instead
   * of J* - value when it is not NaN.  NULL: regret is J* - value. */
  double (*suboptimality)(const void *state);

  /* 1 for online types that regularise towards a reference policy on
   * one-step problems (rpg): the runner then passes the env's reference
   * (uniform unless the env has one) as tabrl_problem.pref, with no
   * comparisons, and writes runs.csv kl, the mu0-averaged KL(pi_k ||
   * reference) of the policy it values.  0: neither. */
  int uses_reference;
} tabrl_algo_type;

/* NULL-terminated list of all registered algorithm types. */
extern const tabrl_algo_type *const tabrl_algo_types[];

/* Finds a type by name; sets a did-you-mean message and returns NULL. */
const tabrl_algo_type *tabrl_algo_find(const char *name);

typedef struct {
  const tabrl_algo_type *type;
  void *state;
  tabrl_problem problem; /* what init was told; its pointers outlive the algorithm */
} tabrl_algo;

/* Allocates the state, calls init. NULL with the message set on failure
 * (also for a type that lacks a function its protocol needs).  params NULL
 * means every parameter at its default. */
tabrl_algo *tabrl_algo_alloc(const tabrl_algo_type *type, const tabrl_problem *problem,
                             const tabrl_values *params);
void tabrl_algo_free(tabrl_algo *algo);

/* Whether type can run on problem with params (NULL: the defaults): the
 * protocol's and the type's needs, its check hook and the objective
 * (problem->objective; NULL is the mean).  0, or TABRL_EUNSUPPORTED with a
 * message that says what is missing and what would do ("lsvi-ucb needs an
 * env with features, e.g. env = linear").  tabrl_algo_alloc calls it;
 * experiments call it for every (config, algorithm) pair when read. */
int tabrl_algo_check(const tabrl_algo_type *type, const tabrl_problem *problem,
                     const tabrl_values *params);

/* ---- dispatch ----
 * Each returns 0 or a negative TABRL_E* code with the message prefixed by
 * the algorithm's name and the call (e.g. "ucbvi: observe(): out of
 * memory").  Calling a function the algorithm's protocol does not have is
 * TABRL_EUNSUPPORTED. */

/* Online: optional hooks around an episode (0 when the type has none). */
int tabrl_algo_begin_episode(tabrl_algo *algo, long k);
int tabrl_algo_end_episode(tabrl_algo *algo, long k);

/* Online: the reward function of episode k, revealed after it (see
 * tabrl_algo_type.observe_rewards): 0 when the type has no such hook,
 * TABRL_EINVAL when it has one and reward is NULL. */
int tabrl_algo_observe_rewards(tabrl_algo *algo, long k, const double *reward);

/* The out-of-line error of tabrl_algo_act (keeps the inline path short). */
int tabrl_algo_bad_action(const tabrl_algo *algo, int h, int s, int a);

/* Online: the action at (h, s), checked to be valid there.  Inline: it is
 * called at every step. */
static inline int tabrl_algo_act(tabrl_algo *algo, int h, int s, int *action)
{
  int a = algo->type->act ? algo->type->act(algo->state, h, s) : -1;
  if (a < 0 || a >= algo->problem.A || !tabrl_problem_valid(&algo->problem, h, s, a))
    return tabrl_algo_bad_action(algo, h, s, a);
  *action = a;
  return 0;
}

/* Online: the transition that followed. */
int tabrl_algo_observe_failed(const tabrl_algo *algo, int status);
static inline int tabrl_algo_observe(tabrl_algo *algo, int h, int s, int a, double reward, int next)
{
  int status = algo->type->observe ? algo->type->observe(algo->state, h, s, a, reward, next)
                                   : TABRL_EUNSUPPORTED;
  return status ? tabrl_algo_observe_failed(algo, status) : 0;
}

/* The current policy into pi, which must be shaped for the problem (S x A,
 * H stages when episodic, 1 when discounted); every row it returns is
 * checked: a distribution within 1e-9 with no mass on an invalid action. */
int tabrl_algo_policy(tabrl_algo *algo, tabrl_policy *pi);

/* The same, and *full = 1 when every row of the (checked, non-stock)
 * policy puts positive mass on every valid action, so that any valid
 * action is inside it (else 0). */
int tabrl_algo_policy_support(tabrl_algo *algo, tabrl_policy *pi, int *full);

/* Online: the current policy as one action per (h, s) into action (H S
 * ints), each checked to be a valid action there; TABRL_EUNSUPPORTED when
 * the type has no actions hook. */
int tabrl_algo_actions(tabrl_algo *algo, int *action);

/* What propose() returns to decline episode k's query (see
 * tabrl_algo_type.propose); positive, unlike the errors. */
enum { TABRL_NO_QUERY = 1 };

/* Online-preference: the two policies of episode k (both checked like
 * tabrl_algo_policy's; first only when propose returns TABRL_NO_QUERY,
 * which tabrl_algo_propose returns too), then the preference between
 * their trajectories. */
int tabrl_algo_propose(tabrl_algo *algo, long k, tabrl_policy *first, tabrl_policy *second);
int tabrl_algo_feedback(tabrl_algo *algo, const tabrl_step *first, const tabrl_step *second,
                        int horizon, int prefer_first);

/* Online-preference: whether to query after the first trajectory (see
 * tabrl_algo_type.ask): 1 when the type has no ask. */
int tabrl_algo_ask(tabrl_algo *algo, const tabrl_step *first, int horizon);

/* Offline: fit on data. */
int tabrl_algo_fit(tabrl_algo *algo, const tabrl_dataset *data);

/* Planning: iteration k (1-based). */
int tabrl_algo_iterate(tabrl_algo *algo, long k);

/* The type's saturation report (see tabrl_algo_type.saturation), or NaN
 * when the type has none. */
static inline double tabrl_algo_saturation(const tabrl_algo *algo)
{
  return algo->type->saturation ? algo->type->saturation(algo->state) : NAN;
}

/* The type's count of skipped non-finite updates (see
 * tabrl_algo_type.diagnostics), or NaN when the type has none. */
static inline double tabrl_algo_diagnostics(const tabrl_algo *algo)
{
  return algo->type->diagnostics ? algo->type->diagnostics(algo->state) : NAN;
}

/* The type's bound on metric after k episodes or iterations (see
 * tabrl_algo_type.bound), or NaN when it has none. */
static inline double tabrl_algo_bound(const tabrl_algo *algo, const char *metric, long k)
{
  return algo->type->bound ? algo->type->bound(algo->state, metric, k) : NAN;
}

/* The type's learned start distribution from state s (see
 * tabrl_algo_type.distribution); TABRL_EUNSUPPORTED, with no message,
 * when the type has none. */
int tabrl_algo_distribution(tabrl_algo *algo, int s, tabrl_atom *out, size_t *n);

/* What the protocol lets an algorithm see of m: sizes, time, features, the
 * valid-action mask (malloc'ed into *valid, which the caller frees after
 * the algorithm) and, when give_model, the model itself (planning). */
int tabrl_problem_init(tabrl_problem *p, const tabrl_mdp *m, long episodes, gsl_rng *rng,
                       int give_model, unsigned char **valid);

/* Sets what regret is measured in, and for an augmented objective the
 * stock grid of m into grid (the caller's, outliving p) and p->stock;
 * fails as tabrl_stock_grid_of (with the objective named) when m has none. */
int tabrl_problem_set_objective(tabrl_problem *p, const tabrl_objective *o, const tabrl_mdp *m,
                                tabrl_stock_grid *grid);

#pragma GCC visibility pop

#endif
