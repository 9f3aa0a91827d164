/* mvp: Monotonic Value Propagation.
 *
 * Zhang, Ji and Du (2021), "Is reinforcement learning more difficult than
 * bandits? A near-optimal algorithm escaping the curse of horizon", COLT
 * (arXiv:2009.13503), Algorithm 1 and its bonus (line "b_h(s,a) <- ...",
 * Section 3), Theorem 1.
 *
 * Doubling triggers.  N(s,a) counts every visit, but the empirical model
 * used for planning (r-hat, the reward variance, P-hat) is refreshed for a
 * pair only when its count reaches a trigger N(s,a) in
 * L = {2^(i-1) : 2^i <= K H, i = 1, 2, ...} (N = 1 always triggers, even
 * when K H < 2), and the values are re-planned
 * at the end of an episode in which some pair triggered.  Between triggers
 * the policy does not change: at most S A log2(KH) re-plans in a run.
 * Implementation: two tabrl_empirical models, `fresh` (the samples since a
 * pair's last trigger) and `model` (the samples up to it); at a trigger the
 * pair's fresh block is replayed into model (amortised O(1) per sample,
 * each sample moves once) and cleared.
 *
 * Planning (backward over h, values normalised so the return lies in
 * [0, 1], see below):
 *
 *   b_h(s,a) = c1 sqrt( Var_{P-hat}(V_{h+1}) iota / max(N,1) )
 *            + c2 sqrt( Var-hat(r) iota / max(N,1) ) + c3 iota / max(N,1),
 *   Q_h(s,a) = min( r-hat + P-hat V_{h+1} + b_h(s,a), C_h ),
 *   V_h(s)   = max over valid a of Q_h(s,a),   V_H = 0,
 *
 * with c1 = 460/9, c2 = 2 sqrt(2), c3 = 544/9 and iota = ln(2/delta) (N the
 * count at the last trigger; Var-hat(r) the empirical variance of the
 * normalised rewards r / H of those N samples, clamped at 0 against
 * rounding).  The constants are tuned in the paper so that the update is
 * monotone in V_{h+1} (the "monotonic" bonus) and optimistic; `scale`
 * multiplies the whole bonus.
 *
 * Not verified against the paper's text: the constants c1, c2, c3, iota =
 * ln(2/delta), the reward-variance term and the trigger set L are as this
 * file was first written; the copies of the paper (arXiv:2009.13503) that
 * could be searched for this check gave only its abstract, so neither
 * Algorithm 1's lines nor Theorem 1's statement could be read.  In particular it is not
 * checked whether Theorem 1 holds with probability 1 - delta or 1 -
 * poly(S, A, H, K) delta (a union bound over pairs and counts inside the
 * proof, with iota kept at ln(2/delta), would give the latter).  So here
 * `delta` is only the input of iota = ln(2/delta), NOT a run-level failure
 * probability as it is for ucbvi, optql and ucrl2; for a run-level level
 * delta' one would need delta = delta' / (that factor).
 *
 * The cap C_h is the `clip` parameter: horizon (the default), C_h = 1, the
 * paper's (its total reward lies in [0, 1]: H in reward units); stage,
 * C_h = (H - h) / H, the largest normalised return from stage h when each
 * step's reward lies in [0, 1/H].  Unvisited pairs get C_h (what the formula gives anyway, c3 iota
 * > 1), so planning touches only the visited entries: O(H S A + H * visited (s,a,s') entries) per
 * re-plan.
 *
 * Rewards.  The paper assumes the total reward of an episode lies in
 * [0, 1]; tabrl's envs give per-step rewards in [0, 1] (total <= H).  We run
 * the paper's algorithm verbatim on the rewards r / H, whose episode total
 * lies in [0, 1], so every constant and every step of its proof applies
 * unchanged, and report values multiplied back by H (policy() is unaffected
 * by the scaling).  The alternative (values in [0, H], bonus and clip
 * multiplied by H) gives the same Q times H; we chose the normalised form
 * because it is literally the paper's.  Its regret bound, O((sqrt(S A K) +
 * S^2 A) polylog(S A H K)) in normalised units, becomes H times that in
 * ours.
 *
 * Stationarity.  The paper's model is time-homogeneous: P and r do not
 * depend on h, and counts pool over h (`pool = true`, the default: the
 * empirical model has one stage).  For stage-dependent envs set
 * `pool = false`: then counts, triggers and the model are per (h, s, a)
 * (triggers in {2^(i-1) : 2^i <= K}), the tabular "augment the state with h"
 * reduction the paper mentions.
 *
 * The policy is greedy in Q_h (stages = H), fixed between re-plans, so
 * commits_per_episode = 1.  Ties (every pair at the clip 1 while the bonus
 * is large) go to the least-visited action N(s,a) at planning time, then to
 * the lowest index: the lowest index alone would never try the other tied
 * actions (see ucbvi.c). */
#include <math.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/backward.h"
#include "common/empirical.h"
#include "protocol/testing.h"

static const tabrl_param mvp_params[] = {
    {"scale", TABRL_DOUBLE, "1", "[0,inf)",
     "multiplier on the bonus (1 = the paper's c1 = 460/9, c2 = 2 sqrt(2), c3 = 544/9)"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)",
     "enters only as iota = ln(2/delta) (Zhang, Ji, Du 2021, Algorithm 1); not claimed as a "
     "run-level failure probability (Theorem 1's statement is unchecked)"},
    {"pool", TABRL_BOOL, "true", NULL,
     "pool the counts over stages h (the paper's time-homogeneous model); false for "
     "stage-dependent envs"},
    {"clip", TABRL_CHOICE, "horizon", TABRL_CLIP_CHOICES,
     "cap on Q_h: horizon = H (the paper's 1 for a total reward in [0,1], Alg. 1); stage = "
     "H - h, the largest return from stage h"},
    {0},
};

typedef struct {
  int S, A, H, stages, clip;
  double scale, iota;
  long last_trigger; /* the largest element of L */
  tabrl_empirical fresh, model;
  baseline_actions actions;

  double *Q;           /* H*S*A, normalised: return / H */
  double *V;           /* (H+1)*S, normalised */
  int *greedy;         /* H*S */
  int triggered;       /* some pair reached a trigger this episode */
  unsigned long plans; /* re-plannings so far: the policy's version */
} mvp_state;

/* Algorithm 1's constants. */
#define MVP_C1 (460.0 / 9.0)
#define MVP_C2 (2.0 * 1.4142135623730951)
#define MVP_C3 (544.0 / 9.0)

static void mvp_release(void *state)
{
  mvp_state *st = state;
  tabrl_empirical_free(&st->fresh);
  tabrl_empirical_free(&st->model);
  baseline_actions_free(&st->actions);
  free(st->Q);
  free(st->V);
  free(st->greedy);
}

static inline size_t qi(const mvp_state *st, int h, int s, int a)
{
  return ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a;
}

static int mvp_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  mvp_state *st = state;
  int status;
  size_t n, hs;
  long budget;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->scale = tabrl_values_double(params, "scale");
  st->clip = tabrl_values_choice(params, "clip");
  st->iota = log(2.0 / tabrl_values_double(params, "delta"));
  st->stages = tabrl_values_bool(params, "pool") ? 1 : st->H;
  /* L = {2^(i-1) : 2^i <= budget}: the samples one count can reach. */
  budget = (problem->episodes > 0 ? problem->episodes : 1) * (st->stages == 1 ? st->H : 1);
  st->last_trigger = 1;
  while (4 * st->last_trigger <= budget) st->last_trigger *= 2;
  if ((status = baseline_actions_init(&st->actions, problem, "mvp"))) return status;
  if ((status = tabrl_empirical_init(&st->fresh, st->S, st->A, st->stages))) return status;
  if ((status = tabrl_empirical_init(&st->model, st->S, st->A, st->stages))) return status;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  hs = (size_t)st->H * (size_t)st->S;
  st->Q = malloc(n * sizeof *st->Q);
  st->V = malloc((hs + (size_t)st->S) * sizeof *st->V);
  st->greedy = malloc(hs * sizeof *st->greedy);
  if (!st->Q || !st->V || !st->greedy)
    return tabrl_error(TABRL_ENOMEM, "mvp: out of memory for %zu Q values", n);
  for (int h = 0; h <= st->H; h++)
    for (int s = 0; s < st->S; s++)
      st->V[(size_t)h * st->S + s] = h < st->H ? tabrl_clip_level(st->clip, st->H, h) / st->H : 0.0;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      for (int a = 0; a < st->A; a++)
        st->Q[qi(st, h, s, a)] = tabrl_problem_valid(problem, h, s, a)
                                     ? tabrl_clip_level(st->clip, st->H, h) / st->H
                                     : -INFINITY;
      st->greedy[(size_t)h * st->S + s] = baseline_actions_list(&st->actions, h, s)[0];
    }
  return 0;
}

/* Moves the fresh samples of one block into the planning model. */
static int mvp_refresh(mvp_state *st, int h, int s, int a)
{
  size_t b = tabrl_empirical_block(&st->fresh, h, s, a);
  tabrl_empirical *fresh = &st->fresh, *model = &st->model;
  for (int i = 0; i < fresh->n_next[b]; i++)
    for (long c = 0; c < fresh->next[b][i].count; c++) {
      int status = tabrl_empirical_add(model, h, s, a, 0.0, fresh->next[b][i].next);
      if (status) return status;
    }
  model->reward_sum[b] += fresh->reward_sum[b];
  model->reward_sq[b] += fresh->reward_sq[b];
  fresh->visits[b] = 0;
  fresh->reward_sum[b] = 0;
  fresh->reward_sq[b] = 0;
  fresh->n_next[b] = 0;
  return 0;
}

static int mvp_observe(void *state, int h, int s, int a, double reward, int next)
{
  mvp_state *st = state;
  size_t b = tabrl_empirical_block(&st->fresh, h, s, a);
  long N;
  int status = tabrl_empirical_add(&st->fresh, h, s, a, reward / st->H, next);
  if (status) return status;
  N = st->fresh.visits[b] + st->model.visits[b];
  if (N <= st->last_trigger && (N & (N - 1)) == 0) {
    if ((status = mvp_refresh(st, h, s, a))) return status;
    st->triggered = 1;
  }
  return 0;
}

/* The scaled bonus b_h(s,a) of a visited block, normalised. */
static inline double mvp_bonus(const mvp_state *st, size_t b, const double *next_V)
{
  const tabrl_empirical *e = &st->model;
  double N = (double)e->visits[b], mean = tabrl_empirical_mean_reward(e, b);
  double reward_var = fmax(0.0, e->reward_sq[b] / N - mean * mean);
  return st->scale * (MVP_C1 * sqrt(tabrl_empirical_variance(e, b, next_V) * st->iota / N) +
                      MVP_C2 * sqrt(reward_var * st->iota / N) + MVP_C3 * st->iota / N);
}

/* Algorithm 1's Q_h(s,a), normalised (algos/common/backward.h hooks). */
static double mvp_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const mvp_state *st = ctx;
  const tabrl_empirical *e = &st->model;
  size_t b = tabrl_empirical_block(e, h, s, a);
  double N = (double)e->visits[b];
  /* C_h / H: 1, or (H - h) / H, the stage's share of the normalised return */
  double top = st->clip == TABRL_CLIP_HORIZON ? 1.0 : (double)(st->H - h) / st->H;
  if (!(N > 0)) return top;
  double mean = tabrl_empirical_mean_reward(e, b);
  return fmin(top, mean + tabrl_empirical_expect(e, b, next_V) + mvp_bonus(st, b, next_V));
}

static int mvp_actions(const void *ctx, int h, int s, const int **list)
{
  const baseline_actions *v = &((const mvp_state *)ctx)->actions;
  *list = baseline_actions_list(v, h, s);
  return baseline_actions_count(v, h, s);
}

/* Ties go to the least-visited action N(s,a), samples since the trigger
 * included. */
static long mvp_visits(const void *ctx, int h, int s, int a)
{
  const mvp_state *st = ctx;
  size_t b = tabrl_empirical_block(&st->model, h, s, a);
  return st->model.visits[b] + st->fresh.visits[b];
}

static const tabrl_backup_hooks mvp_hooks = {
    .backup = mvp_q, .actions = mvp_actions, .tie_key = mvp_visits};

static int mvp_plan(void *state, long k)
{
  mvp_state *st = state;
  (void)k;
  if (!st->triggered) return 0;
  st->triggered = 0;
  tabrl_backward_out into = {
      .S = st->S, .A = st->A, .H = st->H, .V = st->V, .Q = st->Q, .plan = st->greedy};
  tabrl_backward(&mvp_hooks, st, &into);
  st->plans++;
  return 0;
}

/* The greedy policy changes only when a doubling trigger re-plans. */
static unsigned long mvp_policy_version(const void *state)
{
  const mvp_state *st = state;
  return st->plans;
}

/* The share of the planning model's visited (h, s, a) whose last planned
 * Q_h, in reward units (times H), is >= H - h, the largest return from
 * stage h: the bonuses alone carry Q there.  NaN before any visit. */
static double mvp_saturation(const void *state)
{
  const mvp_state *st = state;
  long visited = 0, saturated = 0;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++) {
        size_t b = tabrl_empirical_block(&st->model, h, s, a);
        if (st->model.visits[b] == 0) continue;
        visited++;
        saturated += st->Q[qi(st, h, s, a)] * st->H >= st->H - h - 1e-9;
      }
  return visited ? (double)saturated / (double)visited : NAN;
}

static int mvp_policy(void *state, tabrl_policy *pi)
{
  const mvp_state *st = state;
  return tabrl_policy_from_plan(pi, st->greedy, st->S, st->A, st->H, "mvp");
}

/* The committed policy's actions: policy() is one-hot at them. */
static int mvp_committed_actions(void *state, int *action)
{
  const mvp_state *st = state;
  memcpy(action, st->greedy, (size_t)st->H * (size_t)st->S * sizeof *action);
  return 0;
}

static int mvp_act(void *state, int h, int s)
{
  const mvp_state *st = state;
  return st->greedy[(size_t)h * st->S + s];
}

const tabrl_algo_type tabrl_algo_mvp = {
    .name = "mvp",
    .family = "exploration",
    .doc = "Monotonic Value Propagation: doubling-triggered re-planning, variance-aware bonus",
    .source = "Zhang, Ji, Du 2021 (COLT), 'Is RL more difficult than bandits?', Algorithm 1, "
              "Theorem 1",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = mvp_params,
    .state_size = sizeof(mvp_state),
    .init = mvp_init,
    .release = mvp_release,
    .policy = mvp_policy,
    .actions = mvp_committed_actions,
    .policy_version = mvp_policy_version,
    .act = mvp_act,
    .observe = mvp_observe,
    .end_episode = mvp_plan,
    .saturation = mvp_saturation,
};

/* Test accessor (no public header): Q_h(s,a) of the last plan in reward
 * units (the normalised value times H); NAN for another type. */
double tabrl_mvp_value(const tabrl_algo *algo, int h, int s, int a)
{
  if (algo->type != &tabrl_algo_mvp) return NAN;
  const mvp_state *st = algo->state;
  return st->H * st->Q[qi(st, h, s, a)];
}
