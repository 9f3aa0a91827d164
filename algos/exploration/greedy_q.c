/* greedy-q: epsilon-greedy tabular Q-learning with stage-dependent Q_h.
 *
 * The update of Jin, Allen-Zhu, Bubeck and Jordan (2018), "Is Q-learning
 * provably efficient?", NeurIPS, Algorithm 1, without the exploration bonus
 * b_t: after the t-th visit of (h, s, a),
 *
 *   Q_h(s,a) <- (1 - alpha_t) Q_h(s,a) + alpha_t (r + V_{h+1}(s')),
 *   V_{h+1}(s') = max over valid a' of Q_{h+1}(s',a'),  V_H = 0,
 *
 * with the learning rate of their eq. (4), alpha_t = (H + 1) / (H + t)
 * (schedule `jin`; alpha_1 = 1, so the first visit overwrites the initial
 * value), or 1/t (`harmonic`: the running mean of the targets), or a
 * constant `alpha`.  Without the bonus V is not clipped at H - h: nothing
 * pushes Q above the largest return.  Exploration is epsilon-greedy instead:
 * with probability epsilon a uniformly random valid action, otherwise a
 * greedy one; ties in the argmax are broken uniformly at random with the
 * algorithm's stream (a fixed lowest-index rule would never try the other
 * tied actions while Q is still at its initial value).
 *
 * `init = optimistic` starts Q_h(s,a) = H - h, the largest return from
 * stage h when rewards lie in [0,1] (Jin et al. start at H); `zero` starts
 * at 0.  The policy changes inside an episode (every observe() can move the
 * argmax), so commits_per_episode = 0 and the runner scores realized
 * returns.  policy() gives the action distribution act() would use now:
 * epsilon / |valid| on every valid action and 1 - epsilon shared equally
 * by the tied greedy actions. */
#include <math.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "protocol/testing.h"

enum { SCHEDULE_JIN, SCHEDULE_HARMONIC, SCHEDULE_CONSTANT };
enum { INIT_ZERO, INIT_OPTIMISTIC };

static const tabrl_param greedy_q_params[] = {
    {"epsilon", TABRL_DOUBLE, "0.1", "[0,1]",
     "probability of a uniformly random valid action instead of a greedy one"},
    {"schedule", TABRL_CHOICE, "jin", "jin|harmonic|constant",
     "learning rate after the t-th visit of (h,s,a): jin (H+1)/(H+t) (Jin et al. 2018 eq. 4), "
     "harmonic 1/t, constant alpha"},
    {"alpha", TABRL_DOUBLE, "0.1", "(0,1]", "the learning rate of schedule = constant"},
    {"init", TABRL_CHOICE, "zero", "zero|optimistic",
     "initial Q_h(s,a): 0, or H - h (optimistic for rewards in [0,1])"},
    {0},
};

typedef struct {
  int S, A, H;
  double epsilon, alpha;
  int schedule;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *Q;    /* H*S*A, Q[(h*S + s)*A + a]; only valid actions are read */
  long *visits; /* H*S*A visit counts t */
  int *tied;    /* A: scratch for the argmax ties */
} greedy_q_state;

static void greedy_q_release(void *state)
{
  greedy_q_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->Q);
  free(st->visits);
  free(st->tied);
}

static int greedy_q_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  greedy_q_state *st = state;
  int status;
  size_t n;
  if ((status = baseline_rng(problem, &st->rng, "greedy-q"))) return status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->epsilon = tabrl_values_double(params, "epsilon");
  st->alpha = tabrl_values_double(params, "alpha");
  st->schedule = tabrl_values_choice(params, "schedule");
  if ((status = baseline_actions_init(&st->actions, problem, "greedy-q"))) return status;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->Q = malloc(n * sizeof *st->Q);
  st->visits = calloc(n, sizeof *st->visits);
  st->tied = malloc((size_t)st->A * sizeof *st->tied);
  if (!st->Q || !st->visits || !st->tied)
    return tabrl_error(TABRL_ENOMEM, "greedy-q: out of memory for %zu Q values", n);
  int optimistic = tabrl_values_choice(params, "init") == INIT_OPTIMISTIC;
  for (int h = 0; h < st->H; h++)
    for (size_t i = 0; i < (size_t)st->S * (size_t)st->A; i++)
      st->Q[(size_t)h * (size_t)st->S * (size_t)st->A + i] = optimistic ? st->H - h : 0.0;
  return 0;
}

static inline const double *q_row(const greedy_q_state *st, int h, int s)
{
  return st->Q + ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A;
}

/* The greedy actions of (h, s) into st->tied; returns how many. */
static int greedy_actions(greedy_q_state *st, int h, int s)
{
  const double *Q = q_row(st, h, s);
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s), ties = 0;
  double best = -INFINITY;
  for (int i = 0; i < n; i++) {
    double q = Q[list[i]];
    if (q > best) {
      best = q;
      ties = 0;
    }
    if (q == best) st->tied[ties++] = list[i];
  }
  return ties;
}

static int greedy_q_policy(void *state, tabrl_policy *pi)
{
  greedy_q_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "greedy-q: policy must be %d x %d with %d stages", st->S,
                       st->A, st->H);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      const int *list = baseline_actions_list(&st->actions, h, s);
      int n = baseline_actions_count(&st->actions, h, s), ties = greedy_actions(st, h, s);
      for (int a = 0; a < st->A; a++) row[a] = 0.0;
      for (int i = 0; i < n; i++) row[list[i]] = st->epsilon / n;
      for (int i = 0; i < ties; i++) row[st->tied[i]] += (1.0 - st->epsilon) / ties;
    }
  return 0;
}

static int greedy_q_act(void *state, int h, int s)
{
  greedy_q_state *st = state;
  int ties;
  if (st->epsilon > 0 && (st->epsilon >= 1 || tabrl_pcg32_uniform(st->rng) < st->epsilon))
    return baseline_actions_draw(&st->actions, h, s, st->rng);
  ties = greedy_actions(st, h, s);
  return ties == 1 ? st->tied[0] : st->tied[tabrl_pcg32_below(st->rng, (uint32_t)ties)];
}

static int greedy_q_observe(void *state, int h, int s, int a, double reward, int next)
{
  greedy_q_state *st = state;
  size_t i = ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a;
  double target = reward, alpha;
  long t = ++st->visits[i];
  if (h + 1 < st->H) {
    const double *Q = q_row(st, h + 1, next);
    const int *list = baseline_actions_list(&st->actions, h + 1, next);
    int n = baseline_actions_count(&st->actions, h + 1, next);
    double best = -INFINITY;
    for (int k = 0; k < n; k++) best = fmax(best, Q[list[k]]);
    target += best;
  }
  switch (st->schedule) {
  case SCHEDULE_JIN:
    alpha = (st->H + 1.0) / (st->H + (double)t);
    break;
  case SCHEDULE_HARMONIC:
    alpha = 1.0 / (double)t;
    break;
  default:
    alpha = st->alpha;
    break;
  }
  st->Q[i] = (1.0 - alpha) * st->Q[i] + alpha * target;
  return 0;
}

static int greedy_q_end_episode(void *state, long k)
{
  (void)state;
  (void)k;
  return 0;
}

const tabrl_algo_type tabrl_algo_greedy_q = {
    .name = "greedy-q",
    .family = "baseline",
    .doc = "Epsilon-greedy tabular Q-learning with stage-dependent Q and Jin et al.'s rate",
    .source = "Jin, Allen-Zhu, Bubeck, Jordan 2018 (NeurIPS), Algorithm 1 without the bonus; "
              "learning rate eq. (4)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 0,
    .params = greedy_q_params,
    .state_size = sizeof(greedy_q_state),
    .init = greedy_q_init,
    .release = greedy_q_release,
    .policy = greedy_q_policy,
    .act = greedy_q_act,
    .observe = greedy_q_observe,
    .end_episode = greedy_q_end_episode,
};

/* Q_h(s,a) of a greedy-q instance, for the tests (no public header: the
 * protocol exposes only policy()); NAN for another type. */
double tabrl_greedy_q_value(const tabrl_algo *algo, int h, int s, int a)
{
  const greedy_q_state *st;
  if (algo->type != &tabrl_algo_greedy_q) return NAN;
  st = algo->state;
  return q_row(st, h, s)[a];
}
