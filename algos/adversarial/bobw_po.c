/* bobw-po: best-of-both-worlds policy optimization, known or unknown transitions.
 *
 * Dann, Wei and Zimmert (2023), "Best of Both Worlds Policy Optimization",
 * ICML (arXiv:2302.09408).  Only the abstract and introduction could be
 * read here: the steps below follow their outline (FTRL per state with a
 * Tsallis-1/2 or log-barrier regulariser, importance-weighted loss
 * estimates, a dilated exploration bonus in the style of Luo, Wei and Lee
 * 2021), and the learning rates and bonus sizes are this file's reading,
 * not verified against the paper's algorithm box or theorems.
 *
 * Losses are l = 1 - r for rewards r in [0, 1]; bandit feedback (the
 * learner sees only the losses of its trajectory).  Episode t, with pi_t
 * fixed for the episode (commits_per_episode = 1):
 *
 *  occupancy  q_t,h(s) = P(s_h = s) under pi_t on the known kernel and mu0
 *             (the protocol passes the model, sees_model: the kernel and
 *             mu0 only, never a reward);
 *  estimate   Q-hat_t,h(s, a) = 1[(s_h, a_h) = (s, a)] L_t,h / (q_t,h(s) pi_t,h(a|s)),
 *             L_t,h the realised loss-to-go from stage h: unbiased for the
 *             loss Q^{pi_t}_h(s, a) (po.h);
 *  bonus      b_t,h(s) = (1/eta_t - 1/eta_{t-1}) D_t,h(s), the growth of the
 *             regulariser's penalty at pi_t: D = 2 (sum_a sqrt(pi_t(a|s)) - 1)
 *             for Tsallis (psi(e_a) - psi(pi_t), 0 at a deterministic pi_t,
 *             which is what lets the stochastic regime's regret stay
 *             polylogarithmic), D = (A_s - 1) ln T for the log-barrier (the
 *             penalty of a comparator smoothed by 1/T); dilated backwards,
 *             B_t,h(s, a) = b_t,h(s) + (1 + 1/H) sum_s' P(s'|s, a) sum_a'
 *             pi_t,h+1(a'|s') B_t,h+1(s', a');
 *  FTRL       pi_t+1,h(. | s) = argmin_p <p, sum_{j <= t} (Q-hat_j,h(s, .) - B_j,h(s, .))>
 *             + psi(p) / eta_t+1, one 1-d Newton solve on the normaliser per
 *             (h, s) (po.h), with
 *             Tsallis-1/2  psi = -2 sum_a sqrt(p(a)),  eta_t = 1 / (H sqrt(t))
 *             (the anytime rate of Tsallis-INF, Zimmert and Seldin 2021,
 *             for losses in [0, H]);
 *             log-barrier  psi = -sum_a ln p(a),  eta_t = sqrt(A ln T / t) / H
 *             (T = K, the budget).
 *
 * `transitions = unknown` (the type then never reads the model): the
 * occupancy in the estimate becomes the upper occupancy bound
 * u_t,h(s) = max over the kernels and start distributions of the
 * confidence set of the probability of s_h = s under pi_t (Jin, Jin, Luo,
 * Sra, Yu 2020, Comp-UOB: a backward pass per target (h, s), each
 * next-state expectation maximised by the greedy of po.h over Bernstein
 * widths with iota = ln(S A K H / delta) on the counts of episodes before
 * t, pooled over h), so Q-hat is optimistic (u >= q on the confidence
 * event); the dilation takes the same maximum, B = b + (1 + 1/H) max_P P
 * pi B.  No further transition bonus is added (the paper's unknown-
 * transition bonus could not be read).  Cost per episode with unknown
 * transitions: O(H^2 S^2 (A + S)) for the bounds (every target, dense
 * rows), O(H S A S) for the bonus.
 *
 * Cost per episode with known transitions: O(H * (S A + kernel entries))
 * for the occupancy and the bonus, H S FTRL solves; nothing allocated after
 * init. */
#include <math.h>
#include <stdlib.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "common/actions.h"
#include "common/empirical.h"
#include "adversarial/po.h"
#include "protocol/testing.h"

static const tabrl_param bobw_params[] = {
    {"regularizer", TABRL_CHOICE, "tsallis", "tsallis|log-barrier",
     "FTRL regulariser per state: Tsallis-1/2 (-2 sum sqrt p) or log-barrier (-sum ln p)"},
    {"transitions", TABRL_CHOICE, "known", "known|unknown",
     "known: occupancies on the true kernel; unknown: upper occupancy bounds over a Bernstein "
     "confidence set of the observed transitions"},
    {"delta", TABRL_DOUBLE, "0.1", "(0,1)",
     "unknown transitions: failure probability in iota = ln(S A K H / delta)"},
    {0},
};

typedef struct {
  int S, A, H, regularizer;
  double lnT;
  long t; /* episodes completed */
  const tabrl_mdp *m;
  baseline_actions actions;
  tabrl_pcg32 *rng;
  double *pi;                /* H*S*A: pi_t */
  double *cum;               /* H*S*A: sum_j (Q-hat_j - B_j) */
  double *Qhat, *B;          /* H*S*A: this episode's estimate and dilated bonus */
  double *q;                 /* H*S: occupancy of pi_t */
  double *scratch;           /* S: sum_a' pi(a'|s') B(s', a') at the next stage */
  int *states, *acts, *next; /* H: the trajectory */
  double *loss;              /* H */
  double skipped;
  /* unknown transitions */
  int unknown;
  double iota;
  tabrl_empirical emp; /* pooled over h */
  double *starts;      /* S: counts of the start states */
  long episodes_seen;
  double *g, *row, *eps, *f; /* H*S reach values; S dense row, widths, values */
  int *order;                /* S */
} bobw_state;

static void bobw_release(void *state)
{
  bobw_state *st = state;
  baseline_actions_free(&st->actions);
  free(st->pi);
  free(st->cum);
  free(st->Qhat);
  free(st->B);
  free(st->q);
  free(st->scratch);
  free(st->states);
  free(st->acts);
  free(st->next);
  free(st->loss);
  tabrl_empirical_free(&st->emp);
  free(st->starts);
  free(st->g);
  free(st->row);
  free(st->eps);
  free(st->f);
  free(st->order);
}

static int bobw_check(const tabrl_problem *problem, const tabrl_values *params)
{
  if (tabrl_values_choice(params, "transitions") == 0 && !problem->model)
    return tabrl_error(TABRL_EUNSUPPORTED, "bobw-po with transitions = known needs the model");
  return 0;
}

static double bobw_eta(const bobw_state *st, long t)
{
  if (st->regularizer == TABRL_PO_TSALLIS) return 1.0 / (st->H * sqrt((double)t));
  return sqrt(st->A * st->lnT / (double)t) / st->H;
}

/* pi_{t+1} from the cumulative losses with eta_{t+1}. */
static int bobw_solve(bobw_state *st)
{
  double eta = bobw_eta(st, st->t + 1);
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < st->S; s++) {
      size_t row = ((size_t)h * st->S + s) * st->A;
      if (tabrl_po_ftrl(st->pi + row, st->cum + row, baseline_actions_list(&st->actions, h, s),
                        baseline_actions_count(&st->actions, h, s), eta, st->regularizer) < 0)
        return tabrl_error(TABRL_EINVAL, "bobw-po: non-finite cumulative loss at (%d, %d)", h, s);
    }
  return 0;
}

static int bobw_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  bobw_state *st = state;
  int status;
  st->S = problem->S;
  st->A = problem->A;
  st->H = problem->horizon;
  st->regularizer =
      tabrl_values_choice(params, "regularizer") == 0 ? TABRL_PO_TSALLIS : TABRL_PO_LOG_BARRIER;
  st->lnT = log(problem->episodes > 1 ? (double)problem->episodes : 2.0);
  st->unknown = tabrl_values_choice(params, "transitions") == 1;
  st->m = st->unknown ? NULL : problem->model;
  st->iota = log(st->S * (double)st->A * (problem->episodes > 1 ? (double)problem->episodes : 2.0) *
                 st->H / tabrl_values_double(params, "delta"));
  if ((status = bobw_check(problem, params)) ||
      (status = baseline_rng(problem, &st->rng, "bobw-po")) ||
      (status = baseline_actions_init(&st->actions, problem, "bobw-po")))
    return status;
  size_t n = (size_t)st->H * st->S * st->A;
  st->pi = calloc(n, sizeof *st->pi);
  st->cum = calloc(n, sizeof *st->cum);
  st->Qhat = calloc(n, sizeof *st->Qhat);
  st->B = calloc(n, sizeof *st->B);
  st->q = calloc((size_t)st->H * st->S, sizeof *st->q);
  st->scratch = calloc((size_t)st->S, sizeof *st->scratch);
  st->states = calloc((size_t)st->H, sizeof *st->states);
  st->acts = calloc((size_t)st->H, sizeof *st->acts);
  st->next = calloc((size_t)st->H, sizeof *st->next);
  st->loss = calloc((size_t)st->H, sizeof *st->loss);
  if (!st->pi || !st->cum || !st->Qhat || !st->B || !st->q || !st->scratch || !st->states ||
      !st->acts || !st->next || !st->loss)
    return tabrl_error(TABRL_ENOMEM, "bobw-po: out of memory for %zu policy entries", n);
  if (st->unknown) {
    if ((status = tabrl_empirical_init(&st->emp, st->S, st->A, 1))) return status;
    st->starts = calloc((size_t)st->S, sizeof *st->starts);
    st->g = calloc((size_t)st->H * st->S, sizeof *st->g);
    st->row = calloc((size_t)st->S, sizeof *st->row);
    st->eps = calloc((size_t)st->S, sizeof *st->eps);
    st->f = calloc((size_t)st->S, sizeof *st->f);
    st->order = calloc((size_t)st->S, sizeof *st->order);
    if (!st->starts || !st->g || !st->row || !st->eps || !st->f || !st->order)
      return tabrl_error(TABRL_ENOMEM, "bobw-po: out of memory");
  }
  return bobw_solve(st); /* uniform: the regulariser's minimiser */
}

static int bobw_act(void *state, int h, int s)
{
  bobw_state *st = state;
  const double *row = st->pi + ((size_t)h * st->S + s) * st->A;
  const int *list = baseline_actions_list(&st->actions, h, s);
  int count = baseline_actions_count(&st->actions, h, s);
  double u = tabrl_pcg32_uniform(st->rng), cum = 0;
  for (int i = 0; i < count; i++)
    if (u < (cum += row[list[i]])) return list[i];
  return list[count - 1];
}

static int bobw_observe(void *state, int h, int s, int a, double reward, int next)
{
  bobw_state *st = state;
  st->states[h] = s;
  st->next[h] = next;
  st->acts[h] = a;
  st->loss[h] = 1.0 - reward;
  return 0;
}

/* The penalty growth D_t,h(s) of the bonus (see the header). */
static double bobw_penalty(const bobw_state *st, int h, int s)
{
  const double *row = st->pi + ((size_t)h * st->S + s) * st->A;
  const int *list = baseline_actions_list(&st->actions, h, s);
  int count = baseline_actions_count(&st->actions, h, s);
  if (st->regularizer == TABRL_PO_LOG_BARRIER) return (count - 1) * st->lnT;
  double root = 0;
  for (int i = 0; i < count; i++) root += sqrt(row[list[i]]);
  return root > 1 ? 2.0 * (root - 1.0) : 0.0;
}

/* max_P sum_x P(x | s, a) f(x) over the confidence set of (s, a)
 * (pooled over h); order sorts f.  An unvisited pair may lead anywhere. */
static double bobw_optimistic(bobw_state *st, int s, int a, const double *f, const int *order)
{
  const tabrl_empirical *e = &st->emp;
  size_t b = tabrl_empirical_block(e, 0, s, a);
  long n = e->visits[b];
  if (n == 0) return f[order[0]];
  for (int x = 0; x < st->S; x++) st->row[x] = 0;
  for (int i = 0; i < e->n_next[b]; i++)
    st->row[e->next[b][i].next] = (double)e->next[b][i].count / (double)n;
  for (int x = 0; x < st->S; x++) st->eps[x] = tabrl_po_width(st->row[x], n, st->iota);
  return tabrl_po_inner_max(st->row, st->eps, f, order, st->S);
}

/* max over the start distributions of the confidence set of <mu, f>. */
static double bobw_optimistic_start(bobw_state *st, const double *f, const int *order)
{
  long n = st->episodes_seen;
  if (n == 0) return f[order[0]];
  for (int x = 0; x < st->S; x++) {
    st->row[x] = st->starts[x] / (double)n;
    st->eps[x] = tabrl_po_width(st->row[x], n, st->iota);
  }
  return tabrl_po_inner_max(st->row, st->eps, f, order, st->S);
}

/* u_h(s) into st->q for every target (h, s) (Comp-UOB, see the header). */
static void bobw_upper_occupancy(bobw_state *st)
{
  int S = st->S, A = st->A;
  for (int h = 0; h < st->H; h++)
    for (int s = 0; s < S; s++) {
      /* g at stage h: the indicator of s; then backwards to stage 0. */
      for (int x = 0; x < S; x++) st->f[x] = x == s;
      for (int j = h - 1; j >= 0; j--) {
        tabrl_po_order(st->f, S, st->order);
        double *g = st->g + (size_t)j * S;
        for (int x = 0; x < S; x++) {
          const double *pi = st->pi + ((size_t)j * S + x) * A;
          const int *list = baseline_actions_list(&st->actions, j, x);
          int count = baseline_actions_count(&st->actions, j, x);
          double v = 0;
          for (int i = 0; i < count; i++)
            if (pi[list[i]] > 0)
              v += pi[list[i]] * bobw_optimistic(st, x, list[i], st->f, st->order);
          g[x] = v;
        }
        for (int x = 0; x < S; x++) st->f[x] = g[x];
      }
      tabrl_po_order(st->f, S, st->order);
      double u = bobw_optimistic_start(st, st->f, st->order);
      st->q[(size_t)h * S + s] = u < 1 ? u : 1;
    }
}

static int bobw_end(void *state, long k)
{
  bobw_state *st = state;
  int S = st->S, A = st->A, H = st->H;
  size_t n = (size_t)H * S * A;
  const tabrl_mdp *m = st->m;
  (void)k;
  st->t++;
  for (int h = 0; h < H; h++)
    if (!isfinite(st->loss[h])) {
      st->skipped++;
      return 0;
    }
  if (st->unknown)
    bobw_upper_occupancy(st);
  else
    tabrl_po_occupancy(m, st->pi, H, st->q);
  for (size_t i = 0; i < n; i++) st->Qhat[i] = 0;
  tabrl_po_estimate(st->Qhat, st->states, st->acts, st->loss, H, S, A, st->q, st->pi);
  double growth = 1.0 / bobw_eta(st, st->t) - (st->t > 1 ? 1.0 / bobw_eta(st, st->t - 1) : 0.0);
  for (int s = 0; s < S; s++) st->scratch[s] = 0;
  for (int h = H - 1; h >= 0; h--) {
    if (st->unknown) tabrl_po_order(st->scratch, S, st->order);
    for (int s = 0; s < S; s++) {
      const int *list = baseline_actions_list(&st->actions, h, s);
      int count = baseline_actions_count(&st->actions, h, s);
      double b = growth * bobw_penalty(st, h, s);
      for (int i = 0; i < count; i++) {
        int a = list[i];
        size_t row = ((size_t)h * S + s) * A;
        double next = 0;
        if (h + 1 < H && st->unknown)
          next = bobw_optimistic(st, s, a, st->scratch, st->order);
        else if (h + 1 < H) {
          size_t blk = tabrl_mdp_block(m, h, s, a);
          for (size_t e = m->row[blk]; e < m->row[blk + 1]; e++)
            next += m->prob[e] * st->scratch[m->next[e]];
        }
        st->B[row + a] = b + (1.0 + 1.0 / H) * next;
      }
    }
    /* scratch <- sum_a pi_h(a|s) B_h(s, a), the next-stage term of h - 1 */
    for (int s = 0; s < S; s++) {
      const double *pi = st->pi + ((size_t)h * S + s) * A, *B = st->B + ((size_t)h * S + s) * A;
      double v = 0;
      for (int a = 0; a < A; a++) v += pi[a] * B[a];
      st->scratch[s] = v;
    }
  }
  for (size_t i = 0; i < n; i++) st->cum[i] += st->Qhat[i] - st->B[i];
  if (st->unknown) { /* this episode's data count from the next one on */
    st->starts[st->states[0]]++;
    st->episodes_seen++;
    for (int h = 0; h < H; h++) {
      int status = tabrl_empirical_add(&st->emp, h, st->states[h], st->acts[h], 0.0, st->next[h]);
      if (status) return status;
    }
  }
  return bobw_solve(st);
}

static int bobw_policy(void *state, tabrl_policy *pi)
{
  const bobw_state *st = state;
  return tabrl_po_copy_policy(st->pi, st->S, st->A, st->H, pi, "bobw-po");
}

static double bobw_diagnostics(const void *state)
{
  return ((const bobw_state *)state)->skipped;
}

const tabrl_algo_type tabrl_algo_bobw_po = {
    .name = "bobw-po",
    .family = "adversarial",
    .doc = "Best-of-both-worlds policy optimization: FTRL per state (Tsallis or log-barrier), "
           "importance-weighted losses, dilated bonus; known or unknown transitions",
    .source = "Dann, Wei, Zimmert 2023 (ICML, arXiv:2302.09408); rates and bonus a reading of "
              "the outline, not verified",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = bobw_params,
    .state_size = sizeof(bobw_state),
    .check = bobw_check,
    .sees_model = 1,
    .init = bobw_init,
    .release = bobw_release,
    .policy = bobw_policy,
    .act = bobw_act,
    .observe = bobw_observe,
    .end_episode = bobw_end,
    .diagnostics = bobw_diagnostics,
};

double tabrl_bobw_po_occupancy(const tabrl_algo *algo, int h, int s)
{
  if (algo->type != &tabrl_algo_bobw_po) return NAN;
  const bobw_state *st = algo->state;
  return st->q[(size_t)h * st->S + s];
}
