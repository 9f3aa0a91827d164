/* robust-td: tabular TD learning of Q_h(s,a) with a squared, Huber or
 * absolute loss on the TD error, for reward noise with heavy tails.
 *
 * Patterson, Liao and White (2022/2023), "Robust Losses for Learning Value
 * Functions", IEEE TPAMI 45(5), arXiv:2205.08464, compare the Huber and the
 * absolute Bellman errors with the squared one.  Only the paper's abstract
 * could be read here, not its sections: its saddlepoint reformulation (a
 * second, clipped estimate h of the expected TD error, the gradient
 * corrections of its prediction and control algorithms), its step sizes and
 * its Huber threshold are not reproduced, and no equation number is cited.
 * What is implemented is the per-sample form the abstract contrasts it
 * with: stochastic (semi-)gradient descent on loss(delta) of the sampled
 * TD error, after the t-th visit of (h, s, a),
 *
 *   delta = r + sum_a' pi(a'|s') Q_{h+1}(s',a') - Q_h(s,a),   Q_H = 0,
 *   Q_h(s,a) <- Q_h(s,a) + alpha_t psi(delta),
 *
 * psi the negative derivative of the loss in Q_h(s,a):
 *   squared  loss delta^2 / 2            psi = delta
 *   huber    loss Huber_kappa(delta)     psi = clip(delta, -kappa, kappa)
 *   absolute loss kappa |delta|          psi = kappa sign(delta)
 * (kappa = `delta`, the Huber threshold; the absolute loss is scaled by
 * kappa, the slope of the Huber loss's linear part, so that one step-size
 * schedule serves all three).  In a tabular model the fixed point of each
 * update is the loss's location estimate of the target r + V_{h+1}(s'):
 * the mean (squared), the Huber M-estimate or the median.  When the target
 * is the mean value plus symmetric noise (deterministic transitions, e.g.
 * chain with noise = student-t), the three agree with Q^pi; with stochastic
 * transitions the robust fixed points are biased.  Student-t noise with 2
 * degrees of freedom has infinite variance: the squared loss's running mean
 * converges, but slowly and erratically, while the clipped updates do not
 * feel the outliers' size.
 *
 * `policy` chooses pi in the target and the behaviour:
 *   optimal  policy evaluation of the model's mean-optimal policy pi*
 *            (tabrl_problem.target: the known policy of policy evaluation
 *            in an unknown model, which the runner gives for episodic
 *            models), on-policy: target Q_{h+1}(s', pi*(s')), acting with
 *            pi*, policy() = pi*; learns Q^{pi*} = Q* on pi*'s actions;
 *   uniform  learns Q^uniform (expected target under the uniform policy)
 *   qstar    learns Q* off-policy (target max_a' Q_{h+1}(s',a'), the optimal
 *            Bellman operator); uniform and qstar act uniformly at random,
 *            so the runner's regret is the uniform policy's, constant, and
 *            policy() returns the uniform policy;
 *   greedy   control: the max target, acting epsilon-greedily on Q as it
 *            was at the start of the episode (ties shared equally, broken
 *            at random by act()), so that the policy is committed for the
 *            episode and the runner scores its exact value, not the noisy
 *            realized return; policy() gives act()'s distribution.
 * The evaluated values are read by the tests through tabrl_robust_td_value
 * (protocol/testing.h).  The distribution hook is a point mass at the
 * value estimate of the start state under policy()'s distribution,
 * sum_a pi(a|s) Q_0(s,a), so the runner's value_err column is the value
 * error of the learned Q for the reported policy (for optimal and uniform
 * the evaluated one; for greedy and qstar Q bootstraps on the max, and
 * qstar's uniform mix of Q* is no policy's value), and w1 / cramer are the
 * distances of that point mass to the exact return distribution (0 only
 * for a deterministic return).  Step sizes: `harmonic` 1/t, `jin` (H+1)/(H+t)
 * (Jin et al. 2018 eq. 4), `constant` alpha. */
#include <math.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "protocol/testing.h"

enum { POLICY_OPTIMAL, POLICY_UNIFORM, POLICY_GREEDY, POLICY_QSTAR };
enum { LOSS_SQUARED, LOSS_HUBER, LOSS_ABSOLUTE };
enum { SCHEDULE_HARMONIC, SCHEDULE_JIN, SCHEDULE_CONSTANT };

static const tabrl_param robust_td_params[] = {
    {"policy", TABRL_CHOICE, "qstar", "optimal|uniform|greedy|qstar",
     "optimal: evaluate the model's mean-optimal policy acting with it (episodic models); "
     "uniform: learn the uniform policy's Q acting uniformly; greedy: control, acting "
     "epsilon-greedily; qstar: learn Q* acting uniformly"},
    {"loss", TABRL_CHOICE, "huber", "squared|huber|absolute",
     "loss of the TD error: delta^2/2, Huber with threshold `delta`, or delta*|TD error|"},
    {"delta", TABRL_DOUBLE, "1", "(0,inf)",
     "Huber threshold kappa: TD errors beyond it move Q by at most alpha*kappa"},
    {"schedule", TABRL_CHOICE, "jin", "harmonic|jin|constant",
     "step size after the t-th visit of (h,s,a): 1/t, (H+1)/(H+t), or constant alpha"},
    {"alpha", TABRL_DOUBLE, "0.1", "(0,1]", "the step size of schedule = constant"},
    {"epsilon", TABRL_DOUBLE, "0.1", "[0,1]",
     "policy = greedy: probability of a uniformly random valid action"},
    {0},
};

typedef struct {
  int S, A, H;
  int policy, loss, schedule;
  double kappa, alpha, epsilon;
  const tabrl_policy *target; /* tabrl_problem.target, for policy = optimal */
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *Q;              /* H*S*A, Q[(h*S + s)*A + a], starts at 0 */
  double *Qact;           /* H*S*A: Q as it was at the start of the episode, acted on */
  unsigned long episodes; /* begun: the greedy policy's version */
  long *visits;           /* H*S*A */
  int *tied;              /* A */
  double *row;            /* A: one row of policy() */
} robust_td_state;

static void robust_td_release(void *state)
{
  robust_td_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->Q);
  free(st->Qact);
  free(st->visits);
  free(st->tied);
  free(st->row);
}

/* Refuses policy = optimal where the runner gives no target. */
static int robust_td_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "policy") == POLICY_OPTIMAL && problem->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "robust-td: policy = optimal evaluates the model's optimal policy, which "
                       "exists for episodic models only (set a horizon)");
  return 0;
}

static int robust_td_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  robust_td_state *st = state;
  int status;
  size_t n;
  if ((status = baseline_rng(problem, &st->rng, "robust-td"))) return status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->policy = tabrl_values_choice(params, "policy");
  st->loss = tabrl_values_choice(params, "loss");
  st->schedule = tabrl_values_choice(params, "schedule");
  st->kappa = tabrl_values_double(params, "delta");
  st->alpha = tabrl_values_double(params, "alpha");
  st->epsilon = tabrl_values_double(params, "epsilon");
  st->target = problem->target;
  if (st->policy == POLICY_OPTIMAL && !st->target)
    return tabrl_error(TABRL_EINVAL, "robust-td: policy = optimal needs the target policy "
                                     "(tabrl_problem.target), which the runner sets");
  if ((status = baseline_actions_init(&st->actions, problem, "robust-td"))) return status;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->Q = calloc(n, sizeof *st->Q);
  st->Qact = calloc(n, sizeof *st->Qact);
  st->visits = calloc(n, sizeof *st->visits);
  st->tied = malloc((size_t)st->A * sizeof *st->tied);
  st->row = malloc((size_t)st->A * sizeof *st->row);
  if (!st->Q || !st->Qact || !st->visits || !st->tied || !st->row)
    return tabrl_error(TABRL_ENOMEM, "robust-td: out of memory for %zu Q values", n);
  return 0;
}

static inline const double *q_row(const robust_td_state *st, int h, int s)
{
  return st->Q + ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A;
}

/* The greedy actions of (h, s) under the episode's frozen Qact into
 * st->tied; returns how many. */
static int greedy_actions(robust_td_state *st, int h, int s)
{
  const double *Q = st->Qact + ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A;
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

/* V_h(s) of the target policy: the mean over valid actions (uniform), the
 * target's action (optimal) or the max (qstar, greedy); 0 at h = H. */
static double state_value(const robust_td_state *st, int h, int s)
{
  if (h >= st->H) return 0.0;
  const double *Q = q_row(st, h, s);
  if (st->policy == POLICY_OPTIMAL) return Q[tabrl_policy_argmax(st->target, h, s)];
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s);
  double v = st->policy == POLICY_UNIFORM ? 0.0 : -INFINITY;
  for (int k = 0; k < n; k++)
    v = st->policy == POLICY_UNIFORM ? v + Q[list[k]] / n : fmax(v, Q[list[k]]);
  return v;
}

/* policy()'s action distribution at (h, s) into row (A values). */
static void policy_row(robust_td_state *st, int h, int s, double *row)
{
  double eps = st->policy == POLICY_GREEDY ? st->epsilon : 1.0;
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s);
  for (int a = 0; a < st->A; a++) row[a] = 0.0;
  if (st->policy == POLICY_OPTIMAL) {
    row[tabrl_policy_argmax(st->target, h, s)] = 1.0;
    return;
  }
  int ties = eps < 1.0 ? greedy_actions(st, h, s) : 0;
  for (int i = 0; i < n; i++) row[list[i]] = eps / n;
  for (int i = 0; i < ties; i++) row[st->tied[i]] += (1.0 - eps) / ties;
}

static int robust_td_policy(void *state, tabrl_policy *pi)
{
  robust_td_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "robust-td: policy must be %d x %d with %d stages", st->S,
                       st->A, st->H);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) policy_row(st, h, s, tabrl_policy_row(pi, h, s));
  return 0;
}

/* The learned start "distribution": one atom at sum_a pi(a|s) Q_0(s,a),
 * pi = policy()'s (see the header). */
static int robust_td_distribution(void *state, int s, tabrl_atom *out, size_t *n)
{
  robust_td_state *st = state;
  const double *Q = q_row(st, 0, s);
  *n = 1;
  if (!out) return 0;
  policy_row(st, 0, s, st->row);
  out[0].value = 0;
  out[0].prob = 1;
  for (int a = 0; a < st->A; a++)
    if (st->row[a] > 0) out[0].value += st->row[a] * Q[a];
  return 0;
}

static int robust_td_act(void *state, int h, int s)
{
  robust_td_state *st = state;
  double eps = st->policy == POLICY_GREEDY ? st->epsilon : 1.0;
  int ties;
  if (st->policy == POLICY_OPTIMAL) return tabrl_policy_argmax(st->target, h, s);
  if (eps > 0 && (eps >= 1 || tabrl_pcg32_uniform(st->rng) < eps))
    return baseline_actions_draw(&st->actions, h, s, st->rng);
  ties = greedy_actions(st, h, s);
  return ties == 1 ? st->tied[0] : st->tied[tabrl_pcg32_below(st->rng, (uint32_t)ties)];
}

/* psi(delta): the step direction of each loss (see the header). */
static double robust_td_psi(int loss, double kappa, double delta)
{
  switch (loss) {
  case LOSS_HUBER:
    return fmax(-kappa, fmin(kappa, delta));
  case LOSS_ABSOLUTE:
    return delta > 0 ? kappa : delta < 0 ? -kappa : 0.0;
  default:
    return delta;
  }
}

static int robust_td_observe(void *state, int h, int s, int a, double reward, int next)
{
  robust_td_state *st = state;
  size_t i = ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a;
  long t = ++st->visits[i];
  double alpha, delta = reward + state_value(st, h + 1, next) - st->Q[i];
  switch (st->schedule) {
  case SCHEDULE_HARMONIC:
    alpha = 1.0 / (double)t;
    break;
  case SCHEDULE_JIN:
    alpha = (st->H + 1.0) / (st->H + (double)t);
    break;
  default:
    alpha = st->alpha;
    break;
  }
  st->Q[i] += alpha * robust_td_psi(st->loss, st->kappa, delta);
  return 0;
}

/* Freezes the Q that act() and policy() use for this episode. */
static int robust_td_begin_episode(void *state, long k)
{
  robust_td_state *st = state;
  (void)k;
  /* Only greedy acts on Q; the other policies are fixed for the run. */
  if (st->policy == POLICY_GREEDY) {
    memcpy(st->Qact, st->Q, (size_t)st->H * (size_t)st->S * (size_t)st->A * sizeof *st->Q);
    st->episodes++;
  }
  return 0;
}

/* optimal, uniform and qstar commit one policy for the whole run; greedy a
 * new one each episode. */
static unsigned long robust_td_policy_version(const void *state)
{
  const robust_td_state *st = state;
  return st->policy == POLICY_GREEDY ? st->episodes : 0;
}

const tabrl_algo_type tabrl_algo_robust_td = {
    .name = "robust-td",
    .family = "distributional",
    .doc = "Tabular TD learning of Q with a squared, Huber or absolute loss of the TD error",
    .source = "Patterson, Liao, White 2022 (arXiv:2205.08464; TPAMI 2023), the Huber and "
              "absolute losses in their per-sample TD form (the saddlepoint algorithms are not "
              "implemented)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = robust_td_params,
    .state_size = sizeof(robust_td_state),
    .check = robust_td_check,
    .init = robust_td_init,
    .release = robust_td_release,
    .policy = robust_td_policy,
    .act = robust_td_act,
    .observe = robust_td_observe,
    .begin_episode = robust_td_begin_episode,
    .policy_version = robust_td_policy_version,
    .distribution = robust_td_distribution,
};

double tabrl_robust_td_value(const tabrl_algo *algo, int h, int s, int a)
{
  const robust_td_state *st;
  if (algo->type != &tabrl_algo_robust_td) return NAN;
  st = algo->state;
  return q_row(st, h, s)[a];
}

double tabrl_robust_td_state_value(const tabrl_algo *algo, int h, int s)
{
  if (algo->type != &tabrl_algo_robust_td) return NAN;
  return state_value(algo->state, h, s);
}

double tabrl_robust_td_step(int loss, double kappa, double delta)
{
  return robust_td_psi(loss, kappa, delta);
}
