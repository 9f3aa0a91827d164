/* lsvi-ucb: optimistic least-squares value iteration for linear MDPs.
 *
 * Jin, Yang, Wang, Jordan 2020, "Provably efficient reinforcement learning
 * with linear function approximation", COLT (PMLR 125; arXiv:1907.05388),
 * Algorithm 1.  At the end of every episode, backward over h = H-1 .. 0
 * (lines 3-7):
 *
 *   Lambda_h = lambda I + sum_tau phi(s_h^tau, a_h^tau) phi(s_h^tau, a_h^tau)^T,
 *   w_h      = Lambda_h^-1 sum_tau phi(s_h^tau, a_h^tau) [r_h^tau + max_a Q_{h+1}(s_{h+1}^tau, a)],
 *   Q_h(.,.) = min{ w_h^T phi(.,.) + beta [phi(.,.)^T Lambda_h^-1 phi(.,.)]^{1/2}, H },
 *
 * Q_H = 0, and the next episode acts greedily in Q_h (lines 9-10; lowest
 * action on ties, so the policy is deterministic and committed for the
 * whole episode).
 *
 * Constants (Theorem 3.1): lambda = 1 and beta = c d H sqrt(iota),
 * iota = log(2 d T / p), T = K H the total number of steps (K = the
 * episode budget problem->episodes) and p = `delta` the failure
 * probability.  The theorem only asserts that some absolute constant c > 0
 * works (its value is not given; the proof fixes it through Lemma B.3's
 * covering argument), so c = 1 here and `scale` multiplies beta: scale is
 * the c of the theorem.  The clip is the paper's min(., H) (`clip =
 * horizon`, the default); `clip = stage` caps at H - h, the largest return
 * from stage h, as the other optimistic algorithms' parameter does.
 *
 * Implementation (lsvi.h): the data are aggregated by (h, s, a, s') counts
 * and reward sums, so a planning pass costs O(H (visited (h,s,a,s')
 * entries + d^2 A visited next states)) rather than O(H K d^2);
 * Lambda_h^-1 is kept by Sherman-Morrison rank-one updates with GSL BLAS
 * (dsymv + dsyr).  The episode's transitions are buffered and folded in at
 * end_episode, so Q (and hence the policy) changes only between episodes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/backward.h"
#include "linear/lsvi.h"
#include "common/ridge.h"
#include "tabrl/error.h"
#include "protocol/testing.h"

static const tabrl_param lsvi_ucb_params[] = {
    {"lambda", TABRL_DOUBLE, "1", "(0,inf)",
     "ridge parameter of Lambda_h (Jin et al. 2020, Theorem 3.1: lambda = 1)"},
    {"delta", TABRL_DOUBLE, "0.05", "(0,1)",
     "failure probability p in iota = log(2 d T / p) (Theorem 3.1)"},
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on beta = d H sqrt(iota): the theorem's unspecified absolute constant c"},
    {"clip", TABRL_CHOICE, "horizon", TABRL_CLIP_CHOICES,
     "cap on Q_h: horizon = H, the paper's min(., H) (Jin et al. 2020, Alg. 1); stage = H - h, "
     "the largest return from stage h"},
    {0},
};

typedef struct {
  tabrl_lsvi lsvi;
  double beta;
  tabrl_step *episode; /* the current episode's transitions, folded in at its end */
  int n_episode;
} lsvi_ucb_state;

static void lsvi_ucb_release(void *state)
{
  lsvi_ucb_state *st = state;
  tabrl_lsvi_free(&st->lsvi);
  free(st->episode);
}

static int lsvi_ucb_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  lsvi_ucb_state *st = state;
  int status;
  double d = problem->dim, H = problem->horizon;
  double T = (double)(problem->episodes > 0 ? problem->episodes : 1) * H;
  double iota = log(2.0 * d * T / tabrl_values_double(params, "delta"));
  if ((status = tabrl_lsvi_init(&st->lsvi, problem, tabrl_values_double(params, "lambda"), 0,
                                "lsvi-ucb")))
    return status;
  st->beta = tabrl_values_double(params, "scale") * d * H * sqrt(iota);
  st->lsvi.clip = tabrl_values_choice(params, "clip");
  st->lsvi.bonus = st->beta;
  st->episode = malloc((size_t)problem->horizon * sizeof *st->episode);
  if (!st->episode) return tabrl_error(TABRL_ENOMEM, "lsvi-ucb: out of memory");
  /* With no data, w = 0 and Q_h = min(beta ||phi||_{I/lambda}, H). */
  tabrl_lsvi_plan(&st->lsvi);
  return 0;
}

static int lsvi_ucb_policy(void *state, tabrl_policy *pi)
{
  lsvi_ucb_state *st = state;
  tabrl_lsvi *l = &st->lsvi;
  if (pi->S != l->S || pi->A != l->A || pi->stages != l->H)
    return tabrl_error(TABRL_EINVAL, "lsvi-ucb: policy must be %d x %d with %d stages", l->S, l->A,
                       l->H);
  for (int h = 0; h < l->H; h++)
    for (int s = 0; s < l->S; s++)
      tabrl_policy_set_action(pi, h, s, tabrl_lsvi_greedy(l, h, s, NULL));
  return 0;
}

static int lsvi_ucb_begin_episode(void *state, long k)
{
  (void)k;
  ((lsvi_ucb_state *)state)->n_episode = 0;
  return 0;
}

/* The committed policy's actions: the greedy action policy() puts its
 * mass on, at each (h, s). */
static int lsvi_ucb_committed_actions(void *state, int *action)
{
  tabrl_lsvi *l = &((lsvi_ucb_state *)state)->lsvi;
  for (int h = 0; h < l->H; h++)
    for (int s = 0; s < l->S; s++) action[(size_t)h * l->S + s] = tabrl_lsvi_greedy(l, h, s, NULL);
  return 0;
}

static int lsvi_ucb_act(void *state, int h, int s)
{
  return tabrl_lsvi_greedy(&((lsvi_ucb_state *)state)->lsvi, h, s, NULL);
}

static int lsvi_ucb_observe(void *state, int h, int s, int a, double reward, int next)
{
  lsvi_ucb_state *st = state;
  if (st->n_episode < st->lsvi.H)
    st->episode[st->n_episode++] =
        (tabrl_step){.h = h, .s = s, .a = a, .next = next, .reward = reward};
  return 0;
}

static int lsvi_ucb_end_episode(void *state, long k)
{
  lsvi_ucb_state *st = state;
  int status;
  (void)k;
  for (int i = 0; i < st->n_episode; i++) {
    const tabrl_step *t = &st->episode[i];
    if ((status = tabrl_lsvi_add(&st->lsvi, t->h, t->s, t->a, t->reward, t->next))) return status;
  }
  st->n_episode = 0;
  tabrl_lsvi_plan(&st->lsvi);
  return 0;
}

const tabrl_algo_type tabrl_algo_lsvi_ucb = {
    .name = "lsvi-ucb",
    .family = "linear",
    .doc = "Optimistic least-squares value iteration on the features of a linear MDP",
    .source = "Jin, Yang, Wang, Jordan 2020 (COLT), Algorithm 1; beta and lambda from Theorem 3.1",
    .protocol = TABRL_ONLINE,
    .needs = TABRL_NEEDS_FEATURES,
    .commits_per_episode = 1,
    .params = lsvi_ucb_params,
    .state_size = sizeof(lsvi_ucb_state),
    .init = lsvi_ucb_init,
    .release = lsvi_ucb_release,
    .policy = lsvi_ucb_policy,
    .actions = lsvi_ucb_committed_actions,
    .begin_episode = lsvi_ucb_begin_episode,
    .act = lsvi_ucb_act,
    .observe = lsvi_ucb_observe,
    .end_episode = lsvi_ucb_end_episode,
};

/* Test accessors (no public header: the protocol exposes only policy()).
 * NULL / NAN / -1 for another type. */
int tabrl_lsvi_ucb_lambda_inverse(const tabrl_algo *algo, int h, double *full)
{
  const lsvi_ucb_state *st;
  if (algo->type != &tabrl_algo_lsvi_ucb) return -1;
  st = algo->state;
  ridge_full(st->lsvi.Lambda_inv + (size_t)h * (size_t)st->lsvi.d * (size_t)st->lsvi.d, full,
             st->lsvi.d);
  return 0;
}

const double *tabrl_lsvi_ucb_weights(const tabrl_algo *algo, int h)
{
  const lsvi_ucb_state *st;
  if (algo->type != &tabrl_algo_lsvi_ucb) return NULL;
  st = algo->state;
  return st->lsvi.w + (size_t)h * (size_t)st->lsvi.d;
}

double tabrl_lsvi_ucb_beta(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_lsvi_ucb) return NAN;
  return ((const lsvi_ucb_state *)algo->state)->beta;
}
