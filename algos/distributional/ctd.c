/* ctd: categorical temporal-difference learning, online, with stage-
 * dependent distributions eta_h(s, a) on a fixed support.
 *
 * Rowland, Bellemare, Dabney, Munos and Teh 2018, "An Analysis of
 * Categorical Distributional Reinforcement Learning" (AISTATS), section 3.2
 * (categorical policy evaluation and categorical Q-learning, the tabular
 * form of C51): after the t-th visit of (h, s, a) with reward r and next
 * state s',
 *
 *   eta_h(s, a) <- (1 - alpha_t) eta_h(s, a) + alpha_t Pi_C (r + G),
 *   G ~ sum_a' w(a') eta_{h+1}(s', a'),  G = 0 after the last stage,
 *
 * on the support z_j = vmin + j dz of `atoms` points, Pi_C the categorical
 * projection (projection.h), the mixture taken exactly (every atom of
 * eta_{h+1}(s', a') is projected with its mass: the expected update over
 * the next action).  w is the evaluated policy: uniform over the valid
 * actions (`policy = uniform`), the model's mean-optimal policy (`optimal`:
 * tabrl_problem.target, the known policy of policy evaluation in an
 * unknown model, which the runner gives for episodic models), or the
 * greedy action w.r.t. the mean of eta_{h+1}(s', .) (`greedy`, categorical
 * Q-learning; lowest action on ties).  Rates (all meet the Robbins-Monro conditions of their
 * Theorem 2 but the constant one): (H + 1) / (H + t) (`jin`, the default: Jin, Allen-Zhu, Bubeck
 * and Jordan 2018, NeurIPS, eq. (4), which forgets the early targets bootstrapped from untrained
 * later stages, where 1/t keeps them with weight 1/t forever), 1/t (`harmonic`: the mean of the
 * projected targets) or a constant `alpha`.
 *
 * Acting: uniform over the valid actions (`uniform`), the target's action
 * (`optimal`: on-policy evaluation, so only the target's (h, s, a) are
 * learned, which is all its distribution needs), or epsilon-greedy on the
 * mean of eta_h(s, .) with random tie breaks (`greedy`); policy() is that
 * action distribution.  The learned start distribution (the hook behind
 * the w1 and cramer columns) is eta_0(s) under w. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/actions.h"
#include "distributional/projection.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

enum { CTD_UNIFORM, CTD_GREEDY, CTD_OPTIMAL };
enum { SCHEDULE_JIN, SCHEDULE_HARMONIC, SCHEDULE_CONSTANT };

static const tabrl_param ctd_params[] = {
    {"atoms", TABRL_INT, "51", "[2,100000]", "number m of support points z_j"},
    {"vmin", TABRL_DOUBLE, "0", NULL, "lowest support point"},
    {"vmax", TABRL_DOUBLE, "", NULL,
     "highest support point (default H, the largest return with rewards in [0,1])"},
    {"policy", TABRL_CHOICE, "uniform", "uniform|greedy|optimal",
     "evaluate the uniform policy, greedy control on the learned mean (epsilon-greedy acting), "
     "or evaluate the model's mean-optimal policy acting with it (episodic models)"},
    {"epsilon", TABRL_DOUBLE, "0.1", "[0,1]", "exploration of policy = greedy"},
    {"schedule", TABRL_CHOICE, "jin", "jin|harmonic|constant",
     "learning rate after the t-th visit of (h,s,a): jin (H+1)/(H+t) (Jin et al. 2018 eq. 4), "
     "harmonic 1/t, constant alpha"},
    {"alpha", TABRL_DOUBLE, "0.1", "(0,1]", "the learning rate of schedule = constant"},
    {0},
};

typedef struct {
  int S, A, H, m, which, schedule;
  const tabrl_policy *target; /* tabrl_problem.target, for policy = optimal */
  double vmin, dz, epsilon, alpha;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *p;    /* H*S*A*m masses, p[((h*S + s)*A + a)*m + j] */
  long *visits; /* H*S*A */
  double *q;    /* m: the projected target */
  int *tied;    /* A */
} ctd_state;

static void ctd_release(void *state)
{
  ctd_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->p);
  free(st->visits);
  free(st->q);
  free(st->tied);
}

static double *masses(const ctd_state *st, int h, int s, int a)
{
  return st->p +
         (((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a) * (size_t)st->m;
}

static double vmax_of(const tabrl_problem *problem, const tabrl_values *params)
{
  return tabrl_values_has(params, "vmax") ? tabrl_values_double(params, "vmax") : problem->horizon;
}

/* Refuses an empty support when the experiment is read. */
static int ctd_check(const tabrl_problem *problem, const tabrl_values *params)
{
  double vmin = tabrl_values_double(params, "vmin"), vmax = vmax_of(problem, params);
  if (tabrl_values_choice(params, "policy") == CTD_OPTIMAL && problem->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "ctd: policy = optimal evaluates the model's optimal policy, which exists "
                       "for episodic models only (set a horizon)");
  if (!(vmax > vmin))
    return tabrl_error(TABRL_EINVAL, "ctd: the support needs vmax > vmin (vmin = %g, vmax = %g)",
                       vmin, vmax);
  return 0;
}

static int ctd_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  ctd_state *st = state;
  int status;
  size_t n;
  if ((status = baseline_rng(problem, &st->rng, "ctd"))) return status;
  st->target = problem->target;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->m = (int)tabrl_values_int(params, "atoms");
  st->which = tabrl_values_choice(params, "policy");
  st->schedule = tabrl_values_choice(params, "schedule");
  st->epsilon = tabrl_values_double(params, "epsilon");
  st->alpha = tabrl_values_double(params, "alpha");
  st->vmin = tabrl_values_double(params, "vmin");
  if ((status = ctd_check(problem, params))) return status;
  if (st->which == CTD_OPTIMAL && !problem->target)
    return tabrl_error(TABRL_EINVAL, "ctd: policy = optimal needs the target policy "
                                     "(tabrl_problem.target), which the runner sets");
  st->dz = (vmax_of(problem, params) - st->vmin) / (st->m - 1);
  if ((status = baseline_actions_init(&st->actions, problem, "ctd"))) return status;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->p = calloc(n * (size_t)st->m, sizeof *st->p);
  st->visits = calloc(n, sizeof *st->visits);
  st->q = malloc((size_t)st->m * sizeof *st->q);
  st->tied = malloc((size_t)st->A * sizeof *st->tied);
  if (!st->p || !st->visits || !st->q || !st->tied)
    return tabrl_error(TABRL_ENOMEM, "ctd: out of memory for %zu distributions", n);
  for (size_t i = 0; i < n; i++) /* every return starts at 0 */
    distrib_categorical_add(st->p + i * (size_t)st->m, st->m, st->vmin, st->dz, 0.0, 1.0);
  return 0;
}

static double mean(const ctd_state *st, const double *p)
{
  double v = 0;
  for (int j = 0; j < st->m; j++) v += p[j] * (st->vmin + j * st->dz);
  return v;
}

/* The actions of largest mean at (h, s) into st->tied; returns how many. */
static int greedy_actions(ctd_state *st, int h, int s)
{
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s), ties = 0;
  double best = -INFINITY;
  for (int i = 0; i < n; i++) {
    double v = mean(st, masses(st, h, s, list[i]));
    if (v > best) {
      best = v;
      ties = 0;
    }
    if (v == best) st->tied[ties++] = list[i];
  }
  return ties;
}

/* Adds w times eta_h(s) under the evaluated policy, shifted by r, to q
 * (projected). */
static void add_state(ctd_state *st, int h, int s, double r, double w, double *q)
{
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s);
  if (st->which == CTD_GREEDY) {
    list = st->tied; /* the lowest greedy action */
    greedy_actions(st, h, s);
    n = 1;
  } else if (st->which == CTD_OPTIMAL) {
    st->tied[0] = tabrl_policy_argmax(st->target, h, s);
    list = st->tied;
    n = 1;
  }
  for (int i = 0; i < n; i++) {
    const double *p = masses(st, h, s, list[i]);
    for (int j = 0; j < st->m; j++)
      if (p[j] > 0)
        distrib_categorical_add(q, st->m, st->vmin, st->dz, r + st->vmin + j * st->dz,
                                w * p[j] / n);
  }
}

static int ctd_observe(void *state, int h, int s, int a, double reward, int next)
{
  ctd_state *st = state;
  size_t i = ((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a;
  double *p = masses(st, h, s, a);
  long t = ++st->visits[i];
  double alpha = st->schedule == SCHEDULE_JIN        ? (st->H + 1.0) / (st->H + (double)t)
                 : st->schedule == SCHEDULE_HARMONIC ? 1.0 / (double)t
                                                     : st->alpha;
  memset(st->q, 0, (size_t)st->m * sizeof *st->q);
  if (h + 1 < st->H)
    add_state(st, h + 1, next, reward, 1.0, st->q);
  else
    distrib_categorical_add(st->q, st->m, st->vmin, st->dz, reward, 1.0);
  for (int j = 0; j < st->m; j++) p[j] = (1 - alpha) * p[j] + alpha * st->q[j];
  return 0;
}

static int ctd_act(void *state, int h, int s)
{
  ctd_state *st = state;
  int ties;
  if (st->which == CTD_OPTIMAL) return tabrl_policy_argmax(st->target, h, s);
  if (st->which == CTD_UNIFORM ||
      (st->epsilon > 0 && (st->epsilon >= 1 || tabrl_pcg32_uniform(st->rng) < st->epsilon)))
    return baseline_actions_draw(&st->actions, h, s, st->rng);
  ties = greedy_actions(st, h, s);
  return ties == 1 ? st->tied[0] : st->tied[tabrl_pcg32_below(st->rng, (uint32_t)ties)];
}

static int ctd_policy(void *state, tabrl_policy *pi)
{
  ctd_state *st = state;
  baseline_actions_uniform(&st->actions, pi);
  if (st->which == CTD_UNIFORM) return 0;
  if (st->which == CTD_OPTIMAL) {
    for (int h = 0; h < st->H; h++)
      for (int s = 0; s < st->S; s++) tabrl_policy_set_action(pi, h, s, ctd_act(st, h, s));
    return 0;
  }
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      int ties = greedy_actions(st, h, s);
      for (int a = 0; a < st->A; a++) row[a] *= st->epsilon;
      for (int k = 0; k < ties; k++) row[st->tied[k]] += (1 - st->epsilon) / ties;
    }
  return 0;
}

static int ctd_distribution(void *state, int s, tabrl_atom *out, size_t *n)
{
  ctd_state *st = state;
  *n = (size_t)st->m;
  if (!out) return 0;
  memset(st->q, 0, (size_t)st->m * sizeof *st->q);
  add_state(st, 0, s, 0.0, 1.0, st->q);
  for (int j = 0; j < st->m; j++) {
    out[j].value = st->vmin + j * st->dz;
    out[j].prob = st->q[j];
  }
  return 0;
}

const tabrl_algo_type tabrl_algo_ctd = {
    .name = "ctd",
    .family = "distributional",
    .doc = "Categorical TD: the Cramer-projected distributional TD update of stage-dependent "
           "eta_h(s,a) on a fixed support; evaluates the uniform or the optimal policy, or greedy "
           "control",
    .source = "Rowland, Bellemare, Dabney, Munos, Teh 2018 (AISTATS), An Analysis of Categorical "
              "Distributional RL, section 3.2 (categorical policy evaluation / Q-learning)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 0,
    .params = ctd_params,
    .state_size = sizeof(ctd_state),
    .check = ctd_check,
    .init = ctd_init,
    .release = ctd_release,
    .policy = ctd_policy,
    .act = ctd_act,
    .observe = ctd_observe,
    .distribution = ctd_distribution,
};
