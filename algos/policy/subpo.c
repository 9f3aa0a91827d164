/* subpo: submodular policy optimization (Prajapat, Mutny, Zeilinger, Krause
 * 2023, "Submodular Reinforcement Learning", ICLR 2024, arXiv 2307.13372,
 * section 4, SubPO), the greedy policy gradient on marginal gains, here on
 * the `coverage` objective F(tau) = |{s_0, ..., s_H}|
 * (src/oracle/objective_coverage.c).  Only the paper's abstract and
 * introduction could be read here, not its algorithm box: the estimator
 * below is the REINFORCE estimator with the trajectory's marginal gains as
 * rewards, which is how the abstract describes SubPO ("handles non-additive
 * rewards by greedily maximizing marginal gains"); the equation numbers
 * could not be checked.
 *
 * The marginal gain of the state s_{h+1} the step h arrives in, given the
 * states visited before it,
 *   g_h = F(tau_{0:h} u {s_{h+1}}) - F(tau_{0:h}) = 1(s_{h+1} not in tau_{0:h}),
 * is history-dependent, but sums to F(tau) - 1 along the trajectory, so
 * the sampled gradient
 *   grad J ~ (1/B) sum_tau sum_h grad log pi_h(a_h|s_h) sum_{h' >= h} g_h'
 * is unbiased for grad E[F(tau)] (the start state does not depend on the
 * policy; gains before h do not depend on a_h).  The policy is the
 * paper's Markovian variant with time: a softmax pi_h(a|s) per stage on
 * logits theta_h(s, a), not a policy of the history; the optimum it is
 * measured against (coverage's J*) is over history-dependent policies, so
 * its regret need not reach 0.  One update:
 *   theta <- theta + eta (1/B) sum_tau sum_h (e_{a_h} - pi_h(.|s_h)) G_h,
 * G_h = sum_{h' >= h} g_h' the gains to go, B = `batch`.
 *
 * Protocol: planning, the model used only as a simulator: each update
 * draws `batch` trajectories of H steps from problem->model with
 * problem->rng; the x axis (runs.csv episode) counts updates.  Episodic
 * models only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_objective_type tabrl_objective_coverage;

static const tabrl_param subpo_params[] = {
    {"eta", TABRL_DOUBLE, "1", "(0,inf)", "step size of the ascent on the logits"},
    {"batch", TABRL_INT, "10", "[1,100000]", "trajectories sampled per update"},
    {0},
};

typedef struct {
  const tabrl_mdp *m;
  gsl_rng *rng;
  int H, S, A, batch;
  double eta;
  double *theta, *g; /* H S A logits (-inf at invalid actions), gradient */
  tabrl_policy *pi;  /* softmax of theta */
  tabrl_step *traj;  /* H steps */
} subpo_state;

static void subpo_release(void *state)
{
  subpo_state *st = state;
  free(st->theta), free(st->g), free(st->traj);
  tabrl_policy_free(st->pi);
}

static void softmax(subpo_state *st)
{
  for (int hs = 0; hs < st->H * st->S; hs++) {
    const double *z = st->theta + (size_t)hs * (size_t)st->A;
    double *p = st->pi->prob + (size_t)hs * (size_t)st->A, top = -INFINITY, total = 0;
    for (int a = 0; a < st->A; a++) top = fmax(top, z[a]);
    for (int a = 0; a < st->A; a++) total += p[a] = isfinite(z[a]) ? exp(z[a] - top) : 0;
    for (int a = 0; a < st->A; a++) p[a] /= total;
  }
}

static int subpo_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  subpo_state *st = state;
  const tabrl_mdp *m = problem->model;
  if (!m) return tabrl_error(TABRL_EINVAL, "subpo needs the model (planning protocol)");
  st->m = m, st->rng = problem->rng;
  st->H = m->horizon, st->S = m->S, st->A = m->A;
  st->eta = tabrl_values_double(params, "eta");
  st->batch = tabrl_values_int(params, "batch");
  size_t n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->theta = malloc(n * sizeof(double)), st->g = calloc(n, sizeof(double));
  st->traj = malloc((size_t)st->H * sizeof *st->traj);
  st->pi = tabrl_policy_alloc(st->S, st->A, st->H);
  if (!st->theta || !st->g || !st->traj || !st->pi)
    return tabrl_error(TABRL_ENOMEM, "subpo: out of memory");
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++)
      for (int a = 0; a < st->A; a++)
        st->theta[((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a] =
            tabrl_problem_valid(problem, h, s, a) ? 0 : -INFINITY;
  softmax(st);
  return 0;
}

/* Adds c sum_h grad log pi_h(a_h|s_h) G_h of one trajectory to g. */
static void add_gradient(subpo_state *st, double c)
{
  const tabrl_step *tau = st->traj;
  double togo = 0;
  /* Backwards: the gain of step h is 1 when s_{h+1} is new after
   * s_0..s_h, i.e. when no earlier position holds it. */
  for (int h = st->H - 1; h >= 0; h--) {
    int fresh = 1;
    for (int k = 0; k <= h && fresh; k++) fresh = tau[k].s != tau[h].next;
    togo += fresh;
    const double *p = tabrl_policy_row(st->pi, h, tau[h].s);
    double *gr = st->g + ((size_t)h * (size_t)st->S + (size_t)tau[h].s) * (size_t)st->A;
    for (int a = 0; a < st->A; a++) gr[a] += c * ((a == tau[h].a) - p[a]) * togo;
  }
}

static int subpo_iterate(void *state, long iteration)
{
  subpo_state *st = state;
  size_t n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  (void)iteration;
  memset(st->g, 0, n * sizeof(double));
  for (int i = 0; i < st->batch; i++) {
    tabrl_sim_episode(st->m, st->pi, st->rng, st->H, st->traj);
    add_gradient(st, 1.0 / st->batch);
  }
  for (size_t i = 0; i < n; i++)
    if (isfinite(st->theta[i])) st->theta[i] += st->eta * st->g[i];
  softmax(st);
  return 0;
}

static int subpo_policy(void *state, tabrl_policy *pi)
{
  subpo_state *st = state;
  if (pi->S != st->S || pi->A != st->A || pi->stages != st->H)
    return tabrl_error(TABRL_EINVAL, "subpo: policy shape mismatch");
  memcpy(pi->prob, st->pi->prob, (size_t)st->H * st->S * st->A * sizeof(double));
  return 0;
}

static const tabrl_objective_type *const subpo_objectives[] = {&tabrl_objective_coverage, NULL};

const tabrl_algo_type tabrl_algo_subpo = {
    .name = "subpo",
    .family = "policy",
    .doc = "Submodular policy optimization: REINFORCE on the marginal coverage gains of sampled "
           "trajectories, softmax per (stage, state)",
    .source = "Prajapat, Mutny, Zeilinger, Krause 2023, Submodular Reinforcement Learning, ICLR "
              "2024, section 4 (SubPO)",
    .protocol = TABRL_PLANNING,
    .commits_per_episode = 1,
    .params = subpo_params,
    .state_size = sizeof(subpo_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .objectives = subpo_objectives,
    .init = subpo_init,
    .release = subpo_release,
    .policy = subpo_policy,
    .iterate = subpo_iterate,
};
