/* tabrl/mdp.h: the tabular model.
 *
 * For every (h, s, a) the model stores a finite joint distribution of
 * (next state, reward): a run of entries (s', p, r) in compressed sparse rows.
 * A Bernoulli reward is two entries with the same s'.  Storing the joint law
 * (rather than P and a mean reward) lets the oracle compute return
 * distributions exactly and lets one alias draw sample s' and r together.
 *
 * Episodic models have horizon H >= 1 and stages h = 0..H-1; discounted ones
 * have horizon 0 and gamma in [0,1).  Outcomes are stationary (stored once,
 * stages == 1) or stage-dependent (stages == H).  An (h, s, a) with no
 * entries is an invalid action; every (h, s) has at least one valid action.
 *
 * Models are made with a tabrl_mdp_builder, validated once by
 * tabrl_mdp_builder_finish, and read-only afterwards. */
#ifndef TABRL_MDP_H
#define TABRL_MDP_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(default)

typedef enum {
  TABRL_NOISE_NONE = 0,
  TABRL_NOISE_GAUSSIAN,  /* N(0, scale^2) */
  TABRL_NOISE_STUDENT_T, /* scale * t(shape), shape = degrees of freedom > 1 */
  TABRL_NOISE_PARETO     /* Pareto(shape, scale) minus its mean, shape > 1 */
} tabrl_noise_kind;

/* Zero-mean noise added to every sampled reward; the mean model is unchanged. */
typedef struct {
  tabrl_noise_kind kind;
  double scale;
  double shape;
} tabrl_noise;

/* Optional map of a grid world, used to draw policies as arrows. */
typedef struct {
  int rows, cols;
  char *cells;         /* rows*cols map characters, row-major */
  int *state_of_cell;  /* rows*cols, -1 where no state lives (walls) */
  char *action_glyphs; /* one character per action, e.g. "<v>^" */
} tabrl_grid;

/* Slot i of a block of n entries: draw u (32 bits), i = (u n) >> 32; keep
 * entry i if the low 32 bits of u n are below cut, else take entry alias
 * (relative to the block start).  The next states of both outcomes sit in
 * the slot, so the chain of dependent loads from one state to the next is
 * row -> slot; the reward load is off that chain.  16 bytes keep the
 * table of a 50k-entry model inside a 1 MiB L2. */
typedef struct tabrl_alias_slot {
  uint32_t cut;
  int alias;
  int next[2]; /* [0] kept entry, [1] alias entry */
} tabrl_alias_slot;

typedef struct tabrl_mdp {
  int S, A;
  int horizon;  /* H >= 1, or 0 for a discounted model */
  double gamma; /* discount in [0,1) when horizon == 0; 1 when episodic */
  int stages;   /* 1 (stationary) or horizon (stage-dependent outcomes) */
  size_t nnz;
  /* CSR: entries of block b = (hs*S + s)*A + a are row[b] .. row[b+1]-1,
   * hs = stationary ? 0 : h; see tabrl_mdp_block(). */
  size_t *row;
  int *next;
  double *prob;
  double *reward;
  double *mean_reward; /* per block: sum p r */
  /* Flat alias table (Walker/Vose), one slot per entry; see
   * tabrl_alias_slot.  Stored beside the CSR arrays rather than as one
   * gsl_ran_discrete_t per block so a step touches one cache line. */
  struct tabrl_alias_slot *sampler;
  size_t uniform_run; /* the common number of entries per valid block, or 0 */
  double *mu0;        /* initial distribution, S */
  tabrl_noise noise;
  int dim;          /* feature dimension, 0 if none */
  double *phi;      /* S*A*dim features phi(s,a), or NULL */
  double *theta;    /* dim, hidden reward parameter when the env knows it, or NULL */
  tabrl_grid *grid; /* or NULL */
  char *name;
  /* Linear mixture P(s'|s,a) = sum_i theta_i P_i(s'|s,a) (Ayoub et al. 2020):
   * the d known base kernels, mixture_basis[(i*S*A + s*A + a)*S + s'] =
   * P_i(s'|s,a) for i < mixture_dim; 0 and NULL for other models. */
  int mixture_dim;
  double *mixture_basis;
  /* Optional vector reward (multi-objective models): reward_vec[k d + i] is
   * component i of entry k's reward, d = reward_dim (0 and NULL when the
   * model has none).  Only algorithms that learn joint return distributions
   * read it; the scalar reward above stays what regret and every objective
   * use. */
  int reward_dim;
  double *reward_vec;
  /* General preferences over the actions (responses), shared by every
   * state (context): preference[i A + j] is the probability that response
   * i beats response j, with P + P^T = 1 and diagonal 1/2; NULL when none.
   * reference is S*A probabilities of the reference policy per state (NULL:
   * uniform over the valid actions); game_beta >= 0 is the KL
   * regularisation of the game in which duality gaps are measured
   * (tabrl/game.h).  The rewards stay what regret uses elsewhere. */
  double *preference;
  double *reference;
  double game_beta;
  /* Optional cost of each entry (constrained MDPs: maximise the return
   * subject to E[sum of costs] <= a budget), nnz values, or NULL. */
  double *cost;
} tabrl_mdp;

static inline size_t tabrl_mdp_block(const tabrl_mdp *m, int h, int s, int a)
{
  int hs = m->stages == 1 ? 0 : h;
  return ((size_t)hs * (size_t)m->S + (size_t)s) * (size_t)m->A + (size_t)a;
}

static inline int tabrl_mdp_valid(const tabrl_mdp *m, int h, int s, int a)
{
  size_t b = tabrl_mdp_block(m, h, s, a);
  return m->row[b + 1] > m->row[b];
}

/* Number of stages a value function needs: H for episodic, 1 for discounted. */
static inline int tabrl_mdp_value_stages(const tabrl_mdp *m)
{
  return m->horizon > 0 ? m->horizon : 1;
}

void tabrl_mdp_free(tabrl_mdp *m);

/* The mean reward of every (h, s, a) of an episodic model's H stages into
 * out[(h*S + s)*A + a] (H*S*A values; 0 at invalid actions): the reward
 * function a full-information learner is told (tabrl_episode.rewards). */
void tabrl_mdp_reward_table(const tabrl_mdp *m, double *out);

/* Changes the time structure of a built model: horizon H >= 1 (episodic), or
 * horizon 0 and gamma in [0,1).  A stage-dependent model keeps its H. */
int tabrl_mdp_set_time(tabrl_mdp *m, int horizon, double gamma);

/* Deep copy (NULL and an error message on OOM). */
tabrl_mdp *tabrl_mdp_clone(const tabrl_mdp *m);

/* ---- building ---- */

typedef struct tabrl_mdp_builder tabrl_mdp_builder;

/* stages: 1 for stationary outcomes, or H for stage-dependent ones (then the
 * horizon must be set to H).  NULL on bad sizes or OOM (message set). */
tabrl_mdp_builder *tabrl_mdp_builder_alloc(int S, int A, int stages);
void tabrl_mdp_builder_free(tabrl_mdp_builder *b);

/* Appends one outcome; h is ignored (use 0) for stationary models.  Entries
 * may come in any order; exact repeats of (h,s,a,s',r) are merged by adding
 * their probabilities and zero-probability entries are dropped.  Range and
 * value checks happen in finish, so env code can add without checking. */
int tabrl_mdp_builder_add(tabrl_mdp_builder *b, int h, int s, int a, int next, double p, double r);

/* tabrl_mdp_builder_add with a cost c (finite) for the outcome; the model
 * then has a cost array, with 0 for outcomes added without one.  Exact
 * repeats are repeats of (h, s, a, s', r, c). */
int tabrl_mdp_builder_add_cost(tabrl_mdp_builder *b, int h, int s, int a, int next, double p,
                               double r, double c);

/* Largest dimension of a vector reward. */
#define TABRL_MDP_MAX_REWARD_DIM 16

/* Declares a d-dimensional vector reward (1 <= d <= TABRL_MDP_MAX_REWARD_DIM)
 * before any outcome is added; then every outcome is added with
 * tabrl_mdp_builder_add_vec.  Exact repeats are then repeats of
 * (h, s, a, s', r, vector). */
int tabrl_mdp_builder_set_reward_dim(tabrl_mdp_builder *b, int d);
/* tabrl_mdp_builder_add with the outcome's vector reward vec (d values,
 * copied); vec NULL or a builder without a vector reward is an error. */
int tabrl_mdp_builder_add_vec(tabrl_mdp_builder *b, int h, int s, int a, int next, double p,
                              double r, const double *vec);

/* Episodic with horizon H >= 1 (gamma ignored), or H == 0 and gamma. */
void tabrl_mdp_builder_set_time(tabrl_mdp_builder *b, int horizon, double gamma);
/* Default: all mass on state 0.  mu0 is copied. */
int tabrl_mdp_builder_set_mu0(tabrl_mdp_builder *b, const double *mu0);
void tabrl_mdp_builder_set_noise(tabrl_mdp_builder *b, tabrl_noise noise);
/* phi is S*A*dim (copied); theta may be NULL. */
int tabrl_mdp_builder_set_features(tabrl_mdp_builder *b, int dim, const double *phi,
                                   const double *theta);
/* The d base kernels of a linear mixture model (layout of
 * tabrl_mdp.mixture_basis, dim*S*A*S values, copied); finish checks that
 * they are finite and non-negative. */
int tabrl_mdp_builder_set_mixture(tabrl_mdp_builder *b, int dim, const double *basis);
/* cells and state_of_cell are rows*cols; glyphs has A characters.  Copied. */
int tabrl_mdp_builder_set_grid(tabrl_mdp_builder *b, int rows, int cols, const char *cells,
                               const int *state_of_cell, const char *glyphs);
int tabrl_mdp_builder_set_name(tabrl_mdp_builder *b, const char *name);
/* The preference matrix (A*A, copied); finish checks entries in [0,1],
 * P[i A + j] + P[j A + i] = 1 within 1e-12 and the diagonal 1/2. */
int tabrl_mdp_builder_set_preference(tabrl_mdp_builder *b, const double *P);
/* The reference policy (S*A probabilities, copied); finish checks that each
 * row is a distribution within 1e-12.  Reference logits go through
 * tabrl_softmax first. */
int tabrl_mdp_builder_set_reference(tabrl_mdp_builder *b, const double *ref);
/* The regularisation beta >= 0 of the preference game (default 0). */
void tabrl_mdp_builder_set_game_beta(tabrl_mdp_builder *b, double beta);
/* p = softmax(logits) over n values, computed with the largest subtracted. */
void tabrl_softmax(const double *logits, int n, double *p);

/* Validates everything and builds the CSR arrays, means and alias tables.
 * Errors name the offending (h, s, a) and what is wrong: negative, NaN or
 * out-of-range values, probabilities not summing to 1 within 1e-12, a state
 * with no valid action, bad horizon or gamma, bad mu0 or noise.  The builder
 * can be freed afterwards either way. */
int tabrl_mdp_builder_finish(tabrl_mdp_builder *b, tabrl_mdp **out);

#define TABRL_PROB_TOL 1e-12

#pragma GCC visibility pop

#endif
