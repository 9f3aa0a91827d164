/* dueling-rl: a GLM (logistic) reward over trajectory features, learned
 * from trajectory preferences, with an optimistic choice of the pair of
 * policies to compare.
 *
 * Pacchiano, Saha and Lee, "Dueling RL: Reinforcement Learning with
 * Trajectory Preferences" (AISTATS 2023, arXiv:2111.04850): the preference
 * between trajectories tau_1, tau_2 is sigma(theta^T (phi(tau_1) -
 * phi(tau_2))), a generalised linear model of dimension d over trajectory
 * features; the algorithm keeps the MLE theta-hat with an elliptical
 * confidence set and, among the policies still plausibly optimal, plays
 * the pair whose feature difference is most uncertain (their known- and
 * unknown-transition algorithms; for unknown transitions also a
 * confidence set over P).  Only the abstract could be read here: the
 * algorithm boxes, the set of plausible policies and the constants are
 * not verified, and this is a tabular reading of that outline.
 *
 * Features (`features`): counts, the (s, a) visit counts of the trajectory
 * (d = S A, pooled over h), or phi, the sum of the env's phi(s_t, a_t)
 * (d = dim; env = linear).  The fit is common/bt.h's ridge MLE (refitted
 * when the comparisons grew by 1/16), V the ridge design of the feature
 * differences.  Each episode:
 *
 *   first  = the optimistic plan: Q_h(s,a) = theta^T f(s,a)
 *            + beta ||f(s,a)||_{V^-1} + P V_{h+1} (+ the transition bonus
 *            scale (R+ - R-) (H - h) sqrt(L / N) and the cap (H - h) R+ of
 *            pbrl-mle when transitions are unknown);
 *   second = among four candidates, the greedy plan (beta 0), the
 *            pessimistic plan (-beta), the doubly optimistic plan (2 beta)
 *            and the previous episode's first, the one whose expected
 *            feature vector differs most from the first's in V^-1 norm,
 *            ||x-bar(first) - x-bar(second)||_{V^-1}: the most informative
 *            comparison among policies the confidence set does not rule
 *            out (the candidates stand in for the paper's set of
 *            plausible policies).
 *
 * x-bar(pi) is E_pi sum_h f(s_h, a_h) from the start distribution: under
 * `transitions = known` on the true kernel and mu0 (the protocol passes
 * the model to this type: it reads the kernel and mu0 only, never a
 * reward), under `unknown` on the empirical kernel and the empirical start
 * distribution (an unvisited (s, a) keeps its mass in place).  The learner
 * reads h, s, a and next of the compared segments, never their reward. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/backward.h"
#include "common/bt.h"
#include "common/empirical.h"

enum { FEATURES_COUNTS, FEATURES_PHI };
enum { TRANSITIONS_UNKNOWN, TRANSITIONS_KNOWN };
enum { CANDIDATES = 4 };

static const tabrl_param dueling_params[] = {
    {"transitions", TABRL_CHOICE, "unknown", "unknown|known",
     "known: plan and predict features on the true kernel (Dueling RL's known-transition "
     "algorithm); unknown: on the empirical kernel with a transition bonus"},
    {"features", TABRL_CHOICE, "counts", "counts|phi",
     "trajectory features: (s, a) visit counts, or the sum of the env's phi(s, a)"},
    {"ridge", TABRL_DOUBLE, "1", "(0,inf)", "ridge lambda of the GLM fit"},
    {"beta", TABRL_DOUBLE, "1", "[0,inf)", "radius of the GLM confidence set"},
    {"scale", TABRL_DOUBLE, "0.1", "[0,inf)",
     "transition bonus multiplier (unknown transitions): scale (R+ - R-) (H - h) sqrt(L / N)"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)", "failure probability in L = ln(5 S A K H / delta)"},
    {"iterations", TABRL_INT, "50", "[1,100000]", "BFGS steps of each refit"},
    {0},
};

typedef struct {
  int S, A, H, d, features, known;
  double beta, scale, L;
  int iterations;
  const double *phi;   /* S*A*d when features = phi */
  const tabrl_mdp *m;  /* known transitions: the kernel and mu0 only */
  tabrl_empirical emp; /* unknown transitions (rewards recorded as 0) */
  double *mu0;         /* S: empirical start counts */
  long starts;
  baseline_actions actions;
  tabrl_bt bt;
  double *r, *w;     /* S*A: theta^T f(s,a) and ||f(s,a)||_{V^-1} */
  double r_hi, r_lo; /* R+, R- */
  double *V;         /* (H+1)*S */
  int *plans;        /* (CANDIDATES + 1) * H*S: 0 first, 1..4 candidates */
  double *xbar;      /* (CANDIDATES + 1) * d */
  double *x, *occ;   /* d; 2*S */
} dueling_state;

static void dueling_release(void *state)
{
  dueling_state *st = state;
  tabrl_empirical_free(&st->emp);
  baseline_actions_free(&st->actions);
  tabrl_bt_free(&st->bt);
  free(st->mu0);
  free(st->r);
  free(st->w);
  free(st->V);
  free(st->plans);
  free(st->xbar);
  free(st->x);
  free(st->occ);
}

static int dueling_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "features") == FEATURES_PHI && problem->dim < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "dueling-rl with features = phi needs an env with features, e.g. env = "
                       "linear");
  if (tabrl_values_choice(params, "transitions") == TRANSITIONS_KNOWN && !problem->model)
    return tabrl_error(TABRL_EUNSUPPORTED, "dueling-rl with transitions = known needs the model");
  return 0;
}

static int dueling_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  dueling_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->features = tabrl_values_choice(params, "features");
  st->known = tabrl_values_choice(params, "transitions") == TRANSITIONS_KNOWN;
  st->d = st->features == FEATURES_PHI ? problem->dim : st->S * st->A;
  st->phi = problem->phi;
  st->m = st->known ? problem->model : NULL;
  st->beta = tabrl_values_double(params, "beta");
  st->scale = tabrl_values_double(params, "scale");
  st->iterations = (int)tabrl_values_int(params, "iterations");
  double K = problem->episodes > 0 ? (double)problem->episodes : 1.0;
  st->L = log(5.0 * st->S * st->A * K * st->H / tabrl_values_double(params, "delta"));
  if ((status = dueling_check(problem, params)) ||
      (status = baseline_actions_init(&st->actions, problem, "dueling-rl")) ||
      (status = tabrl_empirical_init(&st->emp, st->S, st->A, 1)) ||
      (status = tabrl_bt_init(&st->bt, st->d, tabrl_values_double(params, "ridge"))))
    return status;
  size_t sa = (size_t)st->S * (size_t)st->A, hs = (size_t)st->H * (size_t)st->S;
  st->mu0 = calloc((size_t)st->S, sizeof *st->mu0);
  st->r = calloc(sa, sizeof *st->r);
  st->w = calloc(sa, sizeof *st->w);
  st->V = malloc((hs + (size_t)st->S) * sizeof *st->V);
  st->plans = malloc((CANDIDATES + 1) * hs * sizeof *st->plans);
  st->xbar = malloc((CANDIDATES + 1) * (size_t)st->d * sizeof *st->xbar);
  st->x = malloc((size_t)st->d * sizeof *st->x);
  st->occ = malloc(2 * (size_t)st->S * sizeof *st->occ);
  if (!st->mu0 || !st->r || !st->w || !st->V || !st->plans || !st->xbar || !st->x || !st->occ)
    return tabrl_error(TABRL_ENOMEM, "dueling-rl: out of memory");
  for (size_t i = 0; i < (CANDIDATES + 1) * hs; i++) {
    int h = (int)((i % hs) / (size_t)st->S), s = (int)(i % (size_t)st->S);
    st->plans[i] = baseline_actions_list(&st->actions, h, s)[0];
  }
  return 0;
}

/* f(s, a): the feature vector of one step (a unit vector for counts). */
static void add_feature(const dueling_state *st, int s, int a, double weight, double *x)
{
  if (st->features == FEATURES_COUNTS) {
    x[(size_t)s * (size_t)st->A + (size_t)a] += weight;
    return;
  }
  const double *f = st->phi + ((size_t)s * (size_t)st->A + (size_t)a) * (size_t)st->d;
  for (int j = 0; j < st->d; j++) x[j] += weight * f[j];
}

/* r(s,a) and w(s,a) from the current fit; R+ and R-. */
static void rewards(dueling_state *st)
{
  st->r_hi = -INFINITY;
  st->r_lo = INFINITY;
  for (int s = 0; s < st->S; s++)
    for (int a = 0; a < st->A; a++) {
      size_t m = (size_t)s * (size_t)st->A + (size_t)a;
      memset(st->x, 0, (size_t)st->d * sizeof *st->x);
      add_feature(st, s, a, 1.0, st->x);
      st->r[m] = tabrl_bt_score(&st->bt, st->x);
      st->w[m] = tabrl_bt_width(&st->bt, st->x);
      double hi = st->r[m] + st->beta * st->w[m], lo = st->r[m] - st->beta * st->w[m];
      if (hi > st->r_hi) st->r_hi = hi;
      if (lo < st->r_lo) st->r_lo = lo;
    }
  if (!(st->r_hi > 0)) st->r_hi = 0;
}

/* sum_s' P(s'|s,a) V[s'] on the true or the empirical kernel. */
static double expect(const dueling_state *st, int h, int s, int a, const double *V)
{
  if (st->known) {
    size_t b = tabrl_mdp_block(st->m, h, s, a);
    double total = 0;
    for (size_t k = st->m->row[b]; k < st->m->row[b + 1]; k++)
      total += st->m->prob[k] * V[st->m->next[k]];
    return total;
  }
  return tabrl_empirical_expect(&st->emp, (size_t)s * (size_t)st->A + (size_t)a, V);
}

typedef struct {
  dueling_state *st;
  double bonus; /* multiple of beta on the reward width */
  int optimistic;
} dueling_backup;

static double dueling_q(void *ctx, int h, int s, int a, const double *next_V)
{
  const dueling_backup *c = ctx;
  const dueling_state *st = c->st;
  size_t m = (size_t)s * (size_t)st->A + (size_t)a;
  double q = st->r[m] + c->bonus * st->beta * st->w[m];
  if (st->known) return q + expect(st, h, s, a, next_V);
  long n = st->emp.visits[m];
  double cap = (double)(st->H - h) * st->r_hi;
  if (!n) return c->optimistic ? cap : q;
  q += expect(st, h, s, a, next_V);
  if (!c->optimistic) return q;
  q += st->scale * (st->r_hi - st->r_lo) * (double)(st->H - h) * sqrt(st->L / (double)n);
  return q < cap ? q : cap;
}

static int dueling_actions(const void *ctx, int h, int s, const int **list)
{
  const baseline_actions *v = &((const dueling_backup *)ctx)->st->actions;
  *list = baseline_actions_list(v, h, s);
  return baseline_actions_count(v, h, s);
}

static long dueling_visits(const void *ctx, int h, int s, int a)
{
  const dueling_state *st = ((const dueling_backup *)ctx)->st;
  (void)h;
  return st->emp.visits[(size_t)s * (size_t)st->A + (size_t)a];
}

static const tabrl_backup_hooks dueling_hooks = {
    .backup = dueling_q, .actions = dueling_actions, .tie_key = dueling_visits};

static void plan(dueling_state *st, double bonus, int *out)
{
  dueling_backup c = {st, bonus, bonus > 0};
  tabrl_backward_out into = {.S = st->S, .A = st->A, .H = st->H, .V = st->V, .plan = out};
  tabrl_backward(&dueling_hooks, &c, &into);
}

/* x-bar(plan) into x (see the header). */
static void expected_features(dueling_state *st, const int *p, double *x)
{
  int S = st->S;
  double *now = st->occ, *next = st->occ + S;
  memset(x, 0, (size_t)st->d * sizeof *x);
  for (int s = 0; s < S; s++)
    now[s] = st->known ? st->m->mu0[s] : st->starts ? st->mu0[s] / (double)st->starts : 1.0 / S;
  for (int h = 0; h < st->H; h++) {
    memset(next, 0, (size_t)S * sizeof *next);
    for (int s = 0; s < S; s++) {
      if (now[s] == 0) continue;
      int a = p[(size_t)h * S + s];
      add_feature(st, s, a, now[s], x);
      if (st->known) {
        size_t b = tabrl_mdp_block(st->m, h, s, a);
        for (size_t k = st->m->row[b]; k < st->m->row[b + 1]; k++)
          next[st->m->next[k]] += now[s] * st->m->prob[k];
        continue;
      }
      size_t m = (size_t)s * (size_t)st->A + (size_t)a;
      long n = st->emp.visits[m];
      if (!n) {
        next[s] += now[s];
        continue;
      }
      for (int i = 0; i < st->emp.n_next[m]; i++)
        next[st->emp.next[m][i].next] += now[s] * (double)st->emp.next[m][i].count / (double)n;
    }
    double *t = now;
    now = next;
    next = t;
  }
}

static int dueling_policy(void *state, tabrl_policy *pi)
{
  const dueling_state *st = state;
  return tabrl_policy_from_plan(pi, st->plans, st->S, st->A, st->H, "dueling-rl");
}

static int dueling_propose(void *state, long k, tabrl_policy *first, tabrl_policy *second)
{
  dueling_state *st = state;
  size_t hs = (size_t)st->H * (size_t)st->S;
  int status;
  (void)k;
  if (tabrl_bt_stale(&st->bt) && (status = tabrl_bt_fit(&st->bt, st->iterations))) return status;
  rewards(st);
  /* Candidate 4 is the previous first, kept before it is replaced. */
  memcpy(st->plans + 4 * hs, st->plans, hs * sizeof *st->plans);
  plan(st, 1.0, st->plans);
  plan(st, 0.0, st->plans + hs);
  plan(st, -1.0, st->plans + 2 * hs);
  plan(st, 2.0, st->plans + 3 * hs);
  int best = 1;
  double widest = -1;
  expected_features(st, st->plans, st->xbar);
  for (int c = 1; c <= CANDIDATES; c++) {
    double *xc = st->xbar + (size_t)c * (size_t)st->d;
    expected_features(st, st->plans + (size_t)c * hs, xc);
    for (int j = 0; j < st->d; j++) st->x[j] = st->xbar[j] - xc[j];
    double width = tabrl_bt_width(&st->bt, st->x);
    if (width > widest) { /* ties: the lowest candidate (greedy first) */
      widest = width;
      best = c;
    }
  }
  if ((status = tabrl_policy_from_plan(first, st->plans, st->S, st->A, st->H, "dueling-rl")))
    return status;
  return tabrl_policy_from_plan(second, st->plans + (size_t)best * hs, st->S, st->A, st->H,
                                "dueling-rl");
}

static int dueling_feedback(void *state, const tabrl_step *first, const tabrl_step *second,
                            int horizon, int prefer_first)
{
  dueling_state *st = state;
  int status;
  const tabrl_step *both[2] = {first, second};
  memset(st->x, 0, (size_t)st->d * sizeof *st->x);
  for (int i = 0; i < 2 && both[i]; i++) {
    if (both[i][0].h == 0) {
      st->mu0[both[i][0].s] += 1;
      st->starts++;
    }
    for (int t = 0; t < horizon; t++) {
      const tabrl_step *p = &both[i][t];
      if ((status = tabrl_empirical_add(&st->emp, 0, p->s, p->a, 0.0, p->next))) return status;
      add_feature(st, p->s, p->a, i ? -1.0 : 1.0, st->x);
    }
  }
  return second ? tabrl_bt_add(&st->bt, st->x, prefer_first) : 0;
}

const tabrl_algo_type tabrl_algo_dueling_rl = {
    .name = "dueling-rl",
    .family = "preference",
    .doc = "Logistic GLM over trajectory features from preferences; optimistic first policy, "
           "second the most informative plausible candidate (known or unknown transitions)",
    .source = "Pacchiano, Saha, Lee 2023 (AISTATS; arXiv:2111.04850), known- and "
              "unknown-transition algorithms (abstract only)",
    .protocol = TABRL_ONLINE_PREFERENCE,
    .commits_per_episode = 1,
    .needs = TABRL_NEEDS_EPISODIC,
    .check = dueling_check,
    .sees_model = 1,
    .params = dueling_params,
    .state_size = sizeof(dueling_state),
    .init = dueling_init,
    .release = dueling_release,
    .policy = dueling_policy,
    .propose = dueling_propose,
    .feedback = dueling_feedback,
};
