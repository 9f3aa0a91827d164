/* is-q: risk-averse tabular Q-learning for the entropic objective with the
 * Itakura-Saito loss, and the two losses it is compared with.
 *
 * Source: Udovichenko, Croissant, Toleutaeva, Burnaev, Korotin 2025,
 * "Risk-Averse Reinforcement Learning with Itakura-Saito Loss" (arXiv
 * 2505.16925).  Only its abstract and introduction were readable here,
 * with a summary of its Section 3: the exponential-utility Bellman
 * equation exp(-alpha V(s)) = E[exp(-alpha (r + V(s')))], the "EMSE"
 * baseline (the squared error between exp(-alpha V) and the sampled
 * exp(-alpha (r + V(s'))), scaled by 1/(2 alpha^2)), and the IS divergence
 * d(x, y) = x/y - log(x/y) - 1, the Bregman divergence of -log z, which
 * like every Bregman divergence is minimised in expectation by the mean of
 * its first argument.  The loss below is derived from these, not copied
 * from the paper's equation; its step size, exploration and Appendix A
 * were not readable (see below for what is used instead).
 *
 * In tabrl's convention b = -alpha (ERM_b(G) = (1/b) log E exp(b G)).  With
 * the target t = r + V_{h+1}(s'), V_{h+1}(s') = max over valid a' of
 * Q_{h+1}(s', a') and V_H = 0, the fixed point wanted is
 * exp(b Q_h(s,a)) = E exp(b t), i.e. Q_h(s,a) = ERM_b[t], the entropic
 * Bellman optimality equation of the episodic objective.  Per sample, with
 * d = t - Q:
 *
 *   is   L = (exp(b d) - b d - 1) / b^2   (d_IS(exp(b t), exp(b Q)) / b^2)
 *        dL/dQ = (1 - exp(b d)) / b
 *   exp  L = (exp(b Q) - exp(b t))^2 / (2 b^2)   (EMSE)
 *        dL/dQ = exp(b Q) (exp(b Q) - exp(b t)) / b
 *   log  L = (b Q - b t)^2 / (2 b^2) = (Q - t)^2 / 2   (the squared error
 *        on log exp(b Q), with the log of the sampled exp(b t) as target)
 *        dL/dQ = Q - t
 *
 * and Q <- Q - alpha_t dL/dQ.  Every gradient tends to Q - t as b -> 0.
 * IS's stationary point is E exp(b d) = 1, the entropic value; its
 * gradient depends on the difference d only, so its exponent stays the
 * size of one TD error.  EMSE's has the same stationary point but carries
 * exp(2 b Q): it overflows (or its step does) once |b Q| reaches a few
 * hundred, and it is ill-conditioned well before.  The log loss is stable
 * but its stationary point is E[t]: it learns the mean, biased by
 * ERM_b - mean (b sigma^2 / 2 for a Gaussian target of variance sigma^2).
 *
 * Numerical events: an update whose exponentials or result are not finite
 * is skipped and counted; the count is the type's `diagnostics` report,
 * printed by `tabrl run` per algorithm (tabrl_algo_type.diagnostics).
 *
 * Updates are applied at the end of each episode, backwards from h = H-1,
 * so that the policy is fixed within an episode (commits_per_episode = 1:
 * the runner scores its exact entropic value) and a reward reaches
 * Q_0 in one episode.  The step size after the t-th visit of (h, s, a) is
 * one of greedy-q's schedules (Jin et al. 2018 eq. 4 by default).
 * `init = first` (default) sets Q to the target of its first visit, as
 * the linear update with alpha_1 = 1 does, and takes gradient steps from
 * the second visit on; `zero` starts Q at 0 and steps from the first.  From
 * 0 a return far from 0 makes the first step of the exponential losses
 * overshoot by exp(|b t|) (IS included: its gradient is exponential on one
 * side, bounded by 1/|b| on the other, so it then climbs back by alpha/|b|
 * per visit); starting at the first target keeps every loss invariant to a
 * shift of the rewards except EMSE, whose exp(2 b Q) is the point of the
 * comparison.
 * Exploration is epsilon-greedy over the valid actions (`decay = sqrt`:
 * epsilon / sqrt(k) in episode k), ties broken uniformly at random.  `policy` returns the
 * epsilon-greedy policy, whose exact entropic value puts the action draw inside the risk. */
#include <math.h>
#include <stdlib.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "protocol/testing.h"

extern const tabrl_objective_type tabrl_objective_entropic;

enum { LOSS_IS, LOSS_EXP, LOSS_LOG };
enum { SCHEDULE_JIN, SCHEDULE_HARMONIC, SCHEDULE_CONSTANT };
enum { DECAY_NONE, DECAY_SQRT };

static const tabrl_param is_q_params[] = {
    {"loss", TABRL_CHOICE, "is", "is|exp|log",
     "is: Itakura-Saito on exp(bQ); exp: squared error on exp(bQ) (EMSE); log: squared error on "
     "bQ (learns the mean)"},
    {"epsilon", TABRL_DOUBLE, "0.1", "[0,1]",
     "probability of a uniformly random valid action instead of a greedy one"},
    {"decay", TABRL_CHOICE, "none", "none|sqrt",
     "epsilon in episode k: epsilon, or epsilon/sqrt(k)"},
    {"schedule", TABRL_CHOICE, "jin", "jin|harmonic|constant",
     "step size after the t-th visit of (h,s,a): jin (H+1)/(H+t), harmonic 1/t, constant alpha"},
    {"alpha", TABRL_DOUBLE, "0.1", "(0,1]", "the step size of schedule = constant"},
    {"init", TABRL_CHOICE, "first", "first|zero",
     "first: the first visit of (h,s,a) sets Q to its target; zero: Q starts at 0 and every visit "
     "takes a gradient step"},
    {0},
};

typedef struct {
  int h, s, a, next;
  double r;
} is_q_step;

typedef struct {
  int S, A, H;
  double b, epsilon, epsilon_k, alpha;
  int loss, schedule, decay, init_first;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *Q;        /* H*S*A, Q[(h*S + s)*A + a] */
  long *visits;     /* H*S*A */
  int *tied;        /* A: argmax ties */
  is_q_step *steps; /* this episode's transitions, at most H */
  int nsteps;
  long events; /* updates skipped because a number was not finite */
} is_q_state;

static int is_q_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  /* Another objective is refused by tabrl_algo_check with the list of
   * algorithms that can optimise it. */
  if (problem->objective && problem->objective->type == &tabrl_objective_entropic &&
      !(fabs(problem->objective->param) >= 1e-8))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "is-q needs entropic:b with b != 0 (got %s): its losses divide by b; use "
                       "greedy-q for the mean",
                       problem->objective->text);
  return 0;
}

static void is_q_release(void *state)
{
  is_q_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->Q);
  free(st->visits);
  free(st->tied);
  free(st->steps);
}

static int is_q_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  is_q_state *st = state;
  int status;
  size_t n;
  if ((status = is_q_check(problem, params))) return status;
  if ((status = baseline_rng(problem, &st->rng, "is-q"))) return status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->b = problem->objective ? problem->objective->param : 0.0;
  st->epsilon = st->epsilon_k = tabrl_values_double(params, "epsilon");
  st->alpha = tabrl_values_double(params, "alpha");
  st->loss = tabrl_values_choice(params, "loss");
  st->schedule = tabrl_values_choice(params, "schedule");
  st->decay = tabrl_values_choice(params, "decay");
  st->init_first = tabrl_values_choice(params, "init") == 0;
  if ((status = baseline_actions_init(&st->actions, problem, "is-q"))) return status;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->Q = calloc(n, sizeof *st->Q);
  st->visits = calloc(n, sizeof *st->visits);
  st->tied = malloc((size_t)st->A * sizeof *st->tied);
  st->steps = malloc((size_t)st->H * sizeof *st->steps);
  if (!st->Q || !st->visits || !st->tied || !st->steps)
    return tabrl_error(TABRL_ENOMEM, "is-q: out of memory for %zu Q values", n);
  return 0;
}

static inline double *q_row(const is_q_state *st, int h, int s)
{
  return st->Q + ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A;
}

static int greedy_actions(is_q_state *st, int h, int s)
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

static int is_q_policy(void *state, tabrl_policy *pi)
{
  is_q_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "is-q: policy must be %d x %d with %d stages", st->S, st->A,
                       st->H);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      const int *list = baseline_actions_list(&st->actions, h, s);
      int n = baseline_actions_count(&st->actions, h, s), ties = greedy_actions(st, h, s);
      for (int a = 0; a < st->A; a++) row[a] = 0.0;
      for (int i = 0; i < n; i++) row[list[i]] = st->epsilon_k / n;
      for (int i = 0; i < ties; i++) row[st->tied[i]] += (1.0 - st->epsilon_k) / ties;
    }
  return 0;
}

static int is_q_begin_episode(void *state, long k)
{
  is_q_state *st = state;
  st->nsteps = 0;
  st->epsilon_k = st->decay == DECAY_SQRT ? st->epsilon / sqrt((double)k) : st->epsilon;
  return 0;
}

static int is_q_act(void *state, int h, int s)
{
  is_q_state *st = state;
  int ties;
  if (st->epsilon_k > 0 && (st->epsilon_k >= 1 || tabrl_pcg32_uniform(st->rng) < st->epsilon_k))
    return baseline_actions_draw(&st->actions, h, s, st->rng);
  ties = greedy_actions(st, h, s);
  return ties == 1 ? st->tied[0] : st->tied[tabrl_pcg32_below(st->rng, (uint32_t)ties)];
}

static int is_q_observe(void *state, int h, int s, int a, double reward, int next)
{
  is_q_state *st = state;
  if (st->nsteps >= st->H)
    return tabrl_error(TABRL_EINVAL, "is-q: more than H = %d steps in an episode", st->H);
  st->steps[st->nsteps++] = (is_q_step){h, s, a, next, reward};
  return 0;
}

/* dL/dQ of the chosen loss at (Q, t); see the header. */
double tabrl_is_q_gradient(int loss, double b, double Q, double t)
{
  switch (loss) {
  case LOSS_IS:
    return -expm1(b * (t - Q)) / b;
  case LOSS_EXP: {
    double eq = exp(b * Q);
    return eq * (eq - exp(b * t)) / b;
  }
  default:
    return Q - t;
  }
}

static void update(is_q_state *st, const is_q_step *x)
{
  size_t i = ((size_t)x->h * (size_t)st->S + (size_t)x->s) * (size_t)st->A + (size_t)x->a;
  double target = x->r, alpha;
  long t = ++st->visits[i];
  if (x->h + 1 < st->H) {
    const double *Q = q_row(st, x->h + 1, x->next);
    const int *list = baseline_actions_list(&st->actions, x->h + 1, x->next);
    int n = baseline_actions_count(&st->actions, x->h + 1, x->next);
    double best = -INFINITY;
    for (int k = 0; k < n; k++) best = fmax(best, Q[list[k]]);
    target += best;
  }
  if (t == 1 && st->init_first) {
    st->Q[i] = target;
    return;
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
  double q = st->Q[i] - alpha * tabrl_is_q_gradient(st->loss, st->b, st->Q[i], target);
  /* An overflowed exponential gives inf or NaN here (inf * 0, inf - inf):
   * keep the old value rather than poison every later target. */
  if (isfinite(q))
    st->Q[i] = q;
  else
    st->events++;
}

static int is_q_end_episode(void *state, long k)
{
  is_q_state *st = state;
  (void)k;
  for (int j = st->nsteps - 1; j >= 0; j--) update(st, &st->steps[j]);
  st->nsteps = 0;
  return 0;
}

static double is_q_diagnostics(const void *state)
{
  return (double)((const is_q_state *)state)->events;
}

static const tabrl_objective_type *const is_q_objectives[] = {&tabrl_objective_entropic, NULL};

const tabrl_algo_type tabrl_algo_is_q = {
    .name = "is-q",
    .family = "risk",
    .doc = "Entropic Q-learning with the Itakura-Saito loss (or the exp / log losses it is "
           "compared with); counts non-finite updates",
    .source = "Udovichenko, Croissant, Toleutaeva, Burnaev, Korotin 2025, Risk-Averse RL with "
              "Itakura-Saito Loss (arXiv 2505.16925), Section 3 (IS and EMSE losses; only the "
              "abstract and a summary were readable)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = is_q_params,
    .state_size = sizeof(is_q_state),
    .check = is_q_check,
    .objectives = is_q_objectives,
    .init = is_q_init,
    .release = is_q_release,
    .policy = is_q_policy,
    .begin_episode = is_q_begin_episode,
    .act = is_q_act,
    .observe = is_q_observe,
    .end_episode = is_q_end_episode,
    .diagnostics = is_q_diagnostics,
};

double tabrl_is_q_value(const tabrl_algo *algo, int h, int s, int a)
{
  if (algo->type != &tabrl_algo_is_q) return NAN;
  return q_row(algo->state, h, s)[a];
}

long tabrl_is_q_events(const tabrl_algo *algo)
{
  if (algo->type != &tabrl_algo_is_q) return -1;
  return ((const is_q_state *)algo->state)->events;
}
