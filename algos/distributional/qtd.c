/* qtd: quantile temporal-difference learning, online, with stage-dependent
 * quantiles theta_h(s, a)_i at the levels tau_i = (2i - 1) / (2m).
 *
 * Dabney, Rowland, Bellemare and Munos 2018, "Distributional Reinforcement
 * Learning with Quantile Regression" (AAAI), section 3 (quantile regression
 * TD, the tabular form of QR-DQN without the Huber loss): after a visit of
 * (h, s, a) with reward r and next state s',
 *
 *   theta_i <- theta_i + alpha sum_k w_k (tau_i - 1{y_k < theta_i}),
 *
 * the targets y_k = r + theta_{h+1}(s', a')_j with weights w_k = w(a') / m
 * (every next quantile and, for `policy = uniform`, every valid next action
 * a' equally: the expected update over the target, as in Rowland et al.
 * 2024, "An Analysis of Quantile Temporal-Difference Learning", JMLR 25,
 * eq. (4)), y = r after the last stage; `greedy` takes the next action of
 * largest mean (lowest on ties; quantile Q-learning), `optimal` the action
 * of the model's mean-optimal policy (tabrl_problem.target: the known
 * policy of policy evaluation in an unknown model, given by the runner
 * for episodic models).  The step is the
 * sub-gradient of the quantile (pinball) loss at tau_i, so at a fixed point
 * theta_i is a tau_i-quantile of the target distribution: the W1
 * projection of Dabney et al.'s Lemma 2.  The step size is a constant
 * `alpha` (the iterates then hover within about alpha of the fixed point).
 *
 * Acting, policy() and the learned start distribution as ctd: uniform,
 * the target's action (`optimal`, on-policy), or epsilon-greedy on the
 * mean (1/m) sum_i theta_i. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/actions.h"
#include "tabrl/algo.h"
#include "tabrl/error.h"

enum { QTD_UNIFORM, QTD_GREEDY, QTD_OPTIMAL };

static const tabrl_param qtd_params[] = {
    {"atoms", TABRL_INT, "51", "[1,100000]", "number m of quantiles"},
    {"policy", TABRL_CHOICE, "uniform", "uniform|greedy|optimal",
     "evaluate the uniform policy, greedy control on the learned mean (epsilon-greedy acting), "
     "or evaluate the model's mean-optimal policy acting with it (episodic models)"},
    {"epsilon", TABRL_DOUBLE, "0.1", "[0,1]", "exploration of policy = greedy"},
    {"alpha", TABRL_DOUBLE, "0.1", "(0,inf)", "step size of the quantile updates"},
    {0},
};

typedef struct {
  int S, A, H, m, which;
  double epsilon, alpha;
  const tabrl_policy *target; /* tabrl_problem.target, for policy = optimal */
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *theta; /* H*S*A*m quantiles, increasing in i at a fixed point */
  double *step;  /* m: the update of one observation */
  int *tied;     /* A */
} qtd_state;

static void qtd_release(void *state)
{
  qtd_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->theta);
  free(st->step);
  free(st->tied);
}

static double *quantiles(const qtd_state *st, int h, int s, int a)
{
  return st->theta +
         (((size_t)h * (size_t)st->S + (size_t)s) * (size_t)st->A + (size_t)a) * (size_t)st->m;
}

/* Refuses policy = optimal where the runner gives no target. */
static int qtd_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "policy") == QTD_OPTIMAL && problem->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "qtd: policy = optimal evaluates the model's optimal policy, which exists "
                       "for episodic models only (set a horizon)");
  return 0;
}

static int qtd_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  qtd_state *st = state;
  int status;
  size_t n;
  if ((status = baseline_rng(problem, &st->rng, "qtd"))) return status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->m = (int)tabrl_values_int(params, "atoms");
  st->which = tabrl_values_choice(params, "policy");
  st->epsilon = tabrl_values_double(params, "epsilon");
  st->alpha = tabrl_values_double(params, "alpha");
  st->target = problem->target;
  if (st->which == QTD_OPTIMAL && !st->target)
    return tabrl_error(TABRL_EINVAL, "qtd: policy = optimal needs the target policy "
                                     "(tabrl_problem.target), which the runner sets");
  if ((status = baseline_actions_init(&st->actions, problem, "qtd"))) return status;
  n = (size_t)st->H * (size_t)st->S * (size_t)st->A;
  st->theta = calloc(n * (size_t)st->m, sizeof *st->theta);
  st->step = malloc((size_t)st->m * sizeof *st->step);
  st->tied = malloc((size_t)st->A * sizeof *st->tied);
  if (!st->theta || !st->step || !st->tied)
    return tabrl_error(TABRL_ENOMEM, "qtd: out of memory for %zu distributions", n);
  return 0;
}

static double mean(const qtd_state *st, const double *theta)
{
  double v = 0;
  for (int i = 0; i < st->m; i++) v += theta[i];
  return v / st->m;
}

static int greedy_actions(qtd_state *st, int h, int s)
{
  const int *list = baseline_actions_list(&st->actions, h, s);
  int n = baseline_actions_count(&st->actions, h, s), ties = 0;
  double best = -INFINITY;
  for (int i = 0; i < n; i++) {
    double v = mean(st, quantiles(st, h, s, list[i]));
    if (v > best) {
      best = v;
      ties = 0;
    }
    if (v == best) st->tied[ties++] = list[i];
  }
  return ties;
}

/* The actions the evaluated policy mixes at (h, s), equally: all valid
 * ones, or the lowest greedy one (in st->tied).  Returns their number. */
static int evaluated_actions(qtd_state *st, int h, int s, const int **list)
{
  if (st->which == QTD_GREEDY) {
    greedy_actions(st, h, s);
    *list = st->tied;
    return 1;
  }
  if (st->which == QTD_OPTIMAL) {
    st->tied[0] = tabrl_policy_argmax(st->target, h, s);
    *list = st->tied;
    return 1;
  }
  *list = baseline_actions_list(&st->actions, h, s);
  return baseline_actions_count(&st->actions, h, s);
}

static int qtd_observe(void *state, int h, int s, int a, double reward, int next)
{
  qtd_state *st = state;
  double *theta = quantiles(st, h, s, a);
  for (int i = 0; i < st->m; i++) st->step[i] = (2.0 * i + 1) / (2.0 * st->m); /* tau_i */
  if (h + 1 < st->H) {
    const int *list;
    int n = evaluated_actions(st, h + 1, next, &list);
    double w = 1.0 / ((double)n * st->m);
    for (int k = 0; k < n; k++) {
      const double *target = quantiles(st, h + 1, next, list[k]);
      for (int j = 0; j < st->m; j++) {
        double y = reward + target[j];
        for (int i = 0; i < st->m; i++)
          if (y < theta[i]) st->step[i] -= w;
      }
    }
  } else {
    for (int i = 0; i < st->m; i++)
      if (reward < theta[i]) st->step[i] -= 1;
  }
  for (int i = 0; i < st->m; i++) theta[i] += st->alpha * st->step[i];
  return 0;
}

static int qtd_act(void *state, int h, int s)
{
  qtd_state *st = state;
  int ties;
  if (st->which == QTD_OPTIMAL) return tabrl_policy_argmax(st->target, h, s);
  if (st->which == QTD_UNIFORM ||
      (st->epsilon > 0 && (st->epsilon >= 1 || tabrl_pcg32_uniform(st->rng) < st->epsilon)))
    return baseline_actions_draw(&st->actions, h, s, st->rng);
  ties = greedy_actions(st, h, s);
  return ties == 1 ? st->tied[0] : st->tied[tabrl_pcg32_below(st->rng, (uint32_t)ties)];
}

static int qtd_policy(void *state, tabrl_policy *pi)
{
  qtd_state *st = state;
  baseline_actions_uniform(&st->actions, pi);
  if (st->which == QTD_UNIFORM) return 0;
  if (st->which == QTD_OPTIMAL) {
    for (int h = 0; h < st->H; h++)
      for (int s = 0; s < st->S; s++)
        tabrl_policy_set_action(pi, h, s, tabrl_policy_argmax(st->target, h, s));
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

static int qtd_distribution(void *state, int s, tabrl_atom *out, size_t *n)
{
  qtd_state *st = state;
  const int *list;
  int k = evaluated_actions(st, 0, s, &list);
  *n = (size_t)k * (size_t)st->m;
  if (!out) return 0;
  for (int a = 0; a < k; a++) {
    const double *theta = quantiles(st, 0, s, list[a]);
    for (int i = 0; i < st->m; i++) {
      out[(size_t)a * (size_t)st->m + (size_t)i].value = theta[i];
      out[(size_t)a * (size_t)st->m + (size_t)i].prob = 1.0 / ((double)k * st->m);
    }
  }
  return 0;
}

const tabrl_algo_type tabrl_algo_qtd = {
    .name = "qtd",
    .family = "distributional",
    .doc = "Quantile TD: quantile-regression updates of stage-dependent quantiles theta_h(s,a) "
           "at levels (2i-1)/(2m); evaluates the uniform or the optimal policy, or greedy control",
    .source = "Dabney, Rowland, Bellemare, Munos 2018 (AAAI), Distributional RL with Quantile "
              "Regression, section 3; expected update of Rowland et al. 2024 (JMLR), eq. (4)",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 0,
    .params = qtd_params,
    .check = qtd_check,
    .state_size = sizeof(qtd_state),
    .init = qtd_init,
    .release = qtd_release,
    .policy = qtd_policy,
    .act = qtd_act,
    .observe = qtd_observe,
    .distribution = qtd_distribution,
};
