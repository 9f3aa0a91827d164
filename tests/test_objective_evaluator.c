/* tabrl_objective_evaluator: the kept-work valuation of many policies of
 * one model equals the one-shot tabrl_objective_value bit for bit (memcmp
 * of J and of every V) for entropic:b of either sign, in log space and
 * factored, and kl-robust:beta, on episodic, stage-dependent (with invalid
 * actions) and discounted models, over stochastic and deterministic
 * policies; two evaluators alive at once (another model, another
 * parameter) each serve their own work; a change of rewards is stale until
 * tabrl_objective_evaluator_reset; the unchecked flag skips only the row
 * scan; the stock-augmented objectives (cvar, mean-variance, threshold,
 * homeostatic) keep their stock work with the same bits, for policies of
 * the model and of its stock model; a deterministic policy given as actions
 * has the bits of its one-hot table (tabrl_objective_evaluator_actions); ERM_b of one outcome
 * without its expm1 and log1p has the bits of the full formula. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/nested.h"
#include "protocol.h"
#include "tabrl/objective.h"

static const char *const objectives[] = {"entropic:-1", "entropic:0.5",  "entropic:-0.005",
                                         "entropic:3",  "kl-robust:0.1", "kl-robust:2"};
#define NOBJ (sizeof objectives / sizeof objectives[0])

static tabrl_objective parsed(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

/* A 64-bit LCG (Knuth's MMIX constants): the test's own stream. */
static double uniform(unsigned long long *x)
{
  *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*x >> 11) / 9007199254740992.0;
}

/* Episodic with horizon > 0, else discounted with gamma. */
static tabrl_mdp *garnet(int horizon, const char *gamma, const char *seed)
{
  char h[16];
  snprintf(h, sizeof h, "%d", horizon);
  tabrl_setting set[] = {{"states", "9", "test", 0},
                         {"actions", "3", "test", 0},
                         {"branching", "4", "test", 0},
                         {"seed", seed, "test", 0},
                         {"horizon", h, "test", 0}};
  if (horizon <= 0) set[4] = (tabrl_setting){"gamma", gamma, "test", 0};
  tabrl_mdp *m = test_env("garnet", set, 5);
  for (int s = 0; s < m->S; s++) m->mu0[s] = 1.0 / m->S;
  return m;
}

/* Stage-dependent, H = 4, S = 5, A = 3, rewards in [-10, 10], and action 2
 * invalid in odd states. */
static tabrl_mdp *staged(void)
{
  unsigned long long x = 7;
  int S = 5, A = 3, H = 4;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(S, A, H);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        if (a == 2 && s % 2) continue;
        double p = 0.2 + 0.6 * uniform(&x);
        ck_assert_int_eq(tabrl_mdp_builder_add(b, h, s, a, (s + a) % S, p, 20 * uniform(&x) - 10),
                         0);
        ck_assert_int_eq(
            tabrl_mdp_builder_add(b, h, s, a, (s + 2 * a + 1) % S, 1 - p, 20 * uniform(&x) - 10),
            0);
      }
  tabrl_mdp_builder_set_time(b, H, 0);
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

/* Policy k of a sequence on m: uniform (k = 0), deterministic (k odd), or
 * random rows (else), always over the valid actions. */
static void fill(tabrl_policy *pi, const tabrl_mdp *m, int k, unsigned long long *x)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < m->S; s++) {
      double *row = tabrl_policy_row(pi, h, s), total = 0;
      int pick = (int)(uniform(x) * m->A);
      while (!tabrl_mdp_valid(m, h, s, pick)) pick = (pick + 1) % m->A;
      for (int a = 0; a < m->A; a++) {
        row[a] = !tabrl_mdp_valid(m, h, s, a) ? 0
                 : k == 0                     ? 1
                 : k % 2                      ? (a == pick)
                                              : uniform(x) + 0.01;
        total += row[a];
      }
      for (int a = 0; a < m->A; a++) row[a] /= total;
    }
}

/* The evaluator's J and V against tabrl_objective_value's, memcmp. */
static void same_bits(tabrl_objective_evaluator *ev, const tabrl_objective *o, const tabrl_mdp *m,
                      const tabrl_policy *pi, unsigned flags, const char *what)
{
  size_t n = tabrl_oracle_value_size(m);
  double *V1 = malloc(n * sizeof *V1), *V2 = malloc(n * sizeof *V2), J1 = NAN, J2 = NAN;
  ck_assert_msg(tabrl_objective_value(o, m, pi, V1, &J1) == 0, "%s", tabrl_error_message());
  ck_assert_msg(tabrl_objective_evaluator_value(ev, pi, flags, V2, &J2) == 0, "%s",
                tabrl_error_message());
  ck_assert_msg(isfinite(J1), "%s %s: J %g", o->text, what, J1);
  ck_assert_msg(!memcmp(&J1, &J2, sizeof J1), "%s %s: J %.17g kept %.17g", o->text, what, J1, J2);
  ck_assert_msg(!memcmp(V1, V2, n * sizeof *V1), "%s %s: V differs", o->text, what);
  free(V1);
  free(V2);
}

static void sequence(tabrl_mdp *m, const char *what)
{
  unsigned long long x = 11;
  tabrl_policy *pi = tabrl_policy_alloc(m->S, m->A, tabrl_mdp_value_stages(m));
  for (size_t i = 0; i < NOBJ; i++) {
    tabrl_objective o = parsed(objectives[i]);
    tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
    ck_assert_msg(ev != NULL, "%s", tabrl_error_message());
    for (int k = 0; k < 6; k++) {
      fill(pi, m, k, &x);
      same_bits(ev, &o, m, pi, k % 3 ? TABRL_ORACLE_UNCHECKED : 0, what);
    }
    tabrl_objective_evaluator_free(ev);
  }
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}

START_TEST(test_episodic_garnet)
{
  sequence(garnet(6, NULL, "3"), "garnet H=6");
}
END_TEST

START_TEST(test_staged)
{
  sequence(staged(), "stage-dependent");
}
END_TEST

START_TEST(test_discounted_garnet)
{
  sequence(garnet(0, "0.9", "4"), "garnet gamma=0.9");
}
END_TEST

/* Two evaluators interleaved: another model (its own weights) and another
 * parameter (its own factors) are never served the other's work. */
START_TEST(test_two_evaluators)
{
  tabrl_mdp *m1 = garnet(5, NULL, "1"), *m2 = garnet(5, NULL, "2");
  const char *pairs[][2] = {{"entropic:-1", "entropic:-2"}, {"kl-robust:0.5", "kl-robust:3"}};
  unsigned long long x = 5;
  tabrl_policy *pi = tabrl_policy_alloc_for(m1);
  for (int p = 0; p < 2; p++) {
    tabrl_objective o1 = parsed(pairs[p][0]), o2 = parsed(pairs[p][1]);
    tabrl_objective_evaluator *a = tabrl_objective_evaluator_alloc(&o1, m1),
                              *b = tabrl_objective_evaluator_alloc(&o2, m1),
                              *c = tabrl_objective_evaluator_alloc(&o1, m2);
    ck_assert(a && b && c);
    for (int k = 0; k < 4; k++) {
      fill(pi, m1, k, &x);
      same_bits(a, &o1, m1, pi, TABRL_ORACLE_UNCHECKED, "first");
      same_bits(b, &o2, m1, pi, TABRL_ORACLE_UNCHECKED, "other parameter");
      same_bits(c, &o1, m2, pi, TABRL_ORACLE_UNCHECKED, "other model");
    }
    /* The three differ, so a stale answer would have been caught. */
    double Ja, Jb, Jc, *V = malloc(tabrl_oracle_value_size(m1) * sizeof *V);
    ck_assert_int_eq(tabrl_objective_evaluator_value(a, pi, 0, V, &Ja), 0);
    ck_assert_int_eq(tabrl_objective_evaluator_value(b, pi, 0, V, &Jb), 0);
    ck_assert_int_eq(tabrl_objective_evaluator_value(c, pi, 0, V, &Jc), 0);
    ck_assert(fabs(Ja - Jb) > 1e-6 && fabs(Ja - Jc) > 1e-6);
    free(V);
    tabrl_objective_evaluator_free(a);
    tabrl_objective_evaluator_free(b);
    tabrl_objective_evaluator_free(c);
  }
  tabrl_policy_free(pi);
  tabrl_mdp_free(m1);
  tabrl_mdp_free(m2);
}
END_TEST

/* New rewards in place (as a reward schedule switches them): the kept
 * weights are stale until reset, then the bits of the new model's. */
START_TEST(test_reset)
{
  tabrl_mdp *m = garnet(5, NULL, "6");
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  double *reward = malloc(m->nnz * sizeof *reward), *mean = malloc(blocks * sizeof *mean);
  double *saved_reward = m->reward, *saved_mean = m->mean_reward;
  for (size_t blk = 0; blk < blocks; blk++) {
    mean[blk] = 0;
    for (size_t e = m->row[blk]; e < m->row[blk + 1]; e++) {
      reward[e] = 1 - 2 * saved_reward[e];
      mean[blk] += m->prob[e] * reward[e];
    }
  }
  unsigned long long x = 9;
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  fill(pi, m, 2, &x);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J_new, J_stale;
  for (int i = 0; i < 2; i++) {
    tabrl_objective o = parsed(i ? "kl-robust:0.7" : "entropic:-1.5");
    tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
    ck_assert(ev != NULL);
    same_bits(ev, &o, m, pi, 0, "before");
    m->reward = reward, m->mean_reward = mean;
    ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J_new), 0);
    ck_assert_int_eq(tabrl_objective_evaluator_value(ev, pi, 0, V, &J_stale), 0);
    ck_assert_msg(fabs(J_new - J_stale) > 1e-3, "%s: the weights were not kept", o.text);
    tabrl_objective_evaluator_reset(ev);
    same_bits(ev, &o, m, pi, 0, "after reset");
    m->reward = saved_reward, m->mean_reward = saved_mean;
    tabrl_objective_evaluator_reset(ev);
    same_bits(ev, &o, m, pi, 0, "back");
    tabrl_objective_evaluator_free(ev);
  }
  free(V);
  free(reward);
  free(mean);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* Checked, a row that is not a distribution is an error; unchecked it is
 * not looked at; a wrong shape is an error either way. */
START_TEST(test_flags)
{
  tabrl_mdp *m = garnet(4, NULL, "8");
  tabrl_objective o = parsed("entropic:-1");
  tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *wrong = tabrl_policy_alloc(m->S + 1, m->A, 1);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  unsigned long long x = 1;
  fill(pi, m, 1, &x);
  tabrl_policy_row(pi, 0, 0)[0] += 0.5;
  ck_assert_int_eq(tabrl_objective_evaluator_value(ev, pi, 0, V, &J), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_objective_evaluator_value(ev, pi, TABRL_ORACLE_UNCHECKED, V, &J), 0);
  ck_assert_int_eq(tabrl_objective_evaluator_value(ev, wrong, TABRL_ORACLE_UNCHECKED, V, &J),
                   TABRL_EINVAL);
  free(V);
  tabrl_policy_free(pi);
  tabrl_policy_free(wrong);
  tabrl_objective_evaluator_free(ev);
  tabrl_mdp_free(m);
}
END_TEST

/* An objective without kept work (the mean) goes through
 * tabrl_objective_value. */
START_TEST(test_mean_passes_through)
{
  tabrl_mdp *m = garnet(4, NULL, "8");
  tabrl_objective o = parsed("mean");
  tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  unsigned long long x = 2;
  fill(pi, m, 2, &x);
  same_bits(ev, &o, m, pi, 0, "mean");
  tabrl_policy_free(pi);
  tabrl_objective_evaluator_free(ev);
  tabrl_mdp_free(m);
}
END_TEST

/* A stock policy of grid g on m with random rows over the valid actions. */
static void fill_stock(tabrl_policy *pi, const tabrl_mdp *m, const tabrl_stock_grid *g,
                       unsigned long long *x)
{
  for (int h = 0; h < pi->stages; h++)
    for (int i = 0; i < pi->S; i++) {
      int s = i / (int)g->K;
      double *row = tabrl_policy_row(pi, h, i), total = 0;
      for (int a = 0; a < m->A; a++) total += row[a] = tabrl_mdp_valid(m, h, s, a) ? uniform(x) : 0;
      for (int a = 0; a < m->A; a++) row[a] /= total;
    }
}

START_TEST(test_augmented)
{
  const char *texts[] = {"cvar:0.3", "cvar:1", "mean-variance:0.5", "threshold:4", "homeostatic:3"};
  tabrl_setting set[] = {{"horizon", "6", "test", 0}};
  tabrl_mdp *models[] = {test_catch_up(), test_env("cliff-risk", set, 1)};
  unsigned long long x = 3;
  for (int mi = 0; mi < 2; mi++) {
    tabrl_mdp *m = models[mi];
    tabrl_stock_grid g;
    ck_assert_msg(tabrl_stock_grid_of(m, &g) == 0, "%s", tabrl_error_message());
    tabrl_policy *markov = tabrl_policy_alloc_for(m), *stock = tabrl_stock_policy_alloc(&g);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
      tabrl_objective o = parsed(texts[i]);
      tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
      ck_assert_msg(ev != NULL, "%s", tabrl_error_message());
      for (int k = 0; k < 4; k++) {
        fill(markov, m, k, &x);
        fill_stock(stock, m, &g, &x);
        same_bits(ev, &o, m, markov, k % 2 ? TABRL_ORACLE_UNCHECKED : 0, "markov");
        same_bits(ev, &o, m, stock, k % 2 ? 0 : TABRL_ORACLE_UNCHECKED, "stock");
        /* J alone (V NULL), as the runner asks. */
        double J1, J2;
        ck_assert_int_eq(tabrl_objective_value(&o, m, stock, NULL, &J1), 0);
        ck_assert_int_eq(
            tabrl_objective_evaluator_value(ev, stock, TABRL_ORACLE_UNCHECKED, NULL, &J2), 0);
        ck_assert_msg(!memcmp(&J1, &J2, sizeof J1), "%s: J alone", o.text);
      }
      tabrl_objective_evaluator_free(ev);
    }
    tabrl_policy_free(markov);
    tabrl_policy_free(stock);
  }
  /* New rewards: stale until reset, then the new model's bits. */
  tabrl_mdp *m = models[1];
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  double *reward = malloc(m->nnz * sizeof *reward), *mean = malloc(blocks * sizeof *mean);
  double *saved_reward = m->reward, *saved_mean = m->mean_reward;
  for (size_t blk = 0; blk < blocks; blk++) {
    mean[blk] = 0;
    for (size_t e = m->row[blk]; e < m->row[blk + 1]; e++)
      mean[blk] += m->prob[e] * (reward[e] = 2 * saved_reward[e]);
  }
  tabrl_objective o = parsed("cvar:0.3");
  tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  fill(pi, m, 2, &x);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J_stale, J_new;
  m->reward = reward, m->mean_reward = mean;
  ck_assert_int_eq(tabrl_objective_value(&o, m, pi, V, &J_new), 0);
  ck_assert_int_eq(tabrl_objective_evaluator_value(ev, pi, 0, V, &J_stale), 0);
  ck_assert_msg(fabs(J_new - J_stale) > 1e-3, "the stock work was not kept");
  tabrl_objective_evaluator_reset(ev);
  same_bits(ev, &o, m, pi, 0, "after reset");
  m->reward = saved_reward, m->mean_reward = saved_mean;
  free(V);
  free(reward);
  free(mean);
  tabrl_policy_free(pi);
  tabrl_objective_evaluator_free(ev);
  tabrl_mdp_free(models[0]);
  tabrl_mdp_free(models[1]);
}
END_TEST

/* tabrl_nested_erm's formula without its one-outcome shortcut. */
static double erm_full(double b, size_t n, const double *w, const double *x)
{
  double W = 0, mean = 0, star = 0, t = 0;
  int have = 0;
  for (size_t i = 0; i < n; i++) {
    if (w[i] <= 0) continue;
    W += w[i];
    mean += w[i] * x[i];
    if (!have || b * x[i] > b * star) star = x[i];
    have = 1;
  }
  if (fabs(b) < TABRL_NESTED_MEAN_B) return mean / W;
  for (size_t i = 0; i < n; i++)
    if (w[i] > 0) t += w[i] * expm1(b * (x[i] - star));
  return star + log1p(t / W) / b;
}

START_TEST(test_erm_one_outcome)
{
  const double xs[] = {0.0, -0.0, 5e-324, -1e-300, 1.0, -3.7, 123.456, -1e300, 0.1 + 0.2};
  const double bs[] = {-1, 0.5, -0.005, 3, -50, 1e-9, -1e-9, 0.02};
  const double ws[] = {1, 0.3, 1e-200};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
    for (size_t j = 0; j < sizeof bs / sizeof bs[0]; j++)
      for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++)
        for (int at = 0; at < 4; at++) {
          double w[4] = {0, -1, 0, 0}, x[4] = {7, -2, 9, 4};
          w[at] = ws[k], x[at] = xs[i];
          double fast = tabrl_nested_erm(bs[j], 4, w, x), full = erm_full(bs[j], 4, w, x);
          ck_assert_msg(!memcmp(&fast, &full, sizeof fast), "b %g x %g w %g: %.17g vs %.17g", bs[j],
                        xs[i], ws[k], fast, full);
        }
  /* A non-finite outcome stays NaN, as the formula gives. */
  double w[2] = {1, 0}, x[2] = {INFINITY, 0};
  ck_assert(isnan(tabrl_nested_erm(-1, 2, w, x)) && isnan(erm_full(-1, 2, w, x)));
  /* Two outcomes still take the formula: ERM_-1 of {0, 1} at 1/2 each. */
  double w2[2] = {0.5, 0.5}, x2[2] = {0, 1};
  ck_assert_double_eq_tol(tabrl_nested_erm(-1, 2, w2, x2), -log((1 + exp(-1)) / 2), 1e-15);
}
END_TEST

/* Garnet-like, H = 20, S = 12, A = 4, 3 next states per block, rewards of
 * each stage drawn afresh in [0, 2] (returns of about 20), action 3
 * invalid in odd states. */
static tabrl_mdp *garnet_staged(void)
{
  unsigned long long x = 29;
  int S = 12, A = 4, H = 20;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(S, A, H);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        if (a == 3 && s % 2) continue;
        int first = (int)(uniform(&x) * S);
        double p[3] = {uniform(&x) + 0.05, uniform(&x) + 0.05, uniform(&x) + 0.05};
        double total = p[0] + p[1] + p[2];
        for (int e = 0; e < 3; e++)
          ck_assert_int_eq(
              tabrl_mdp_builder_add(b, h, s, a, (first + 4 * e) % S, p[e] / total, 2 * uniform(&x)),
              0);
      }
  tabrl_mdp_builder_set_time(b, H, 0);
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  for (int s = 0; s < S; s++) m->mu0[s] = 1.0 / S;
  return m;
}

/* Number of (h, s) where the factored sum of action[h S + s] underflows
 * (the sweep's log-space fallback) for the values V of those actions. */
static int underflows(const tabrl_objective *o, const tabrl_mdp *m, const int *action,
                      const double *V)
{
  tabrl_nested_ws ws;
  int n = 0;
  ck_assert_int_eq(tabrl_nested_ws_init(&ws, tabrl_nested_entropic(), o, m), 0);
  ck_assert(ws.fast.on);
  for (int h = 0; h < m->horizon; h++) {
    tabrl_nested_fast_values(&ws.fast, m->S, V + (size_t)(h + 1) * (size_t)m->S);
    for (int s = 0; s < m->S; s++) {
      size_t blk = tabrl_mdp_block(m, h, s, action[h * m->S + s]);
      double T = 0;
      for (size_t e = m->row[blk]; e < m->row[blk + 1]; e++)
        T += ws.fast.w[e] * ws.fast.u[m->next[e]];
      n += !(T > TABRL_NESTED_FACTOR_MIN_SUM);
    }
  }
  tabrl_nested_ws_free(&ws);
  return n;
}

/* tabrl_objective_evaluator_actions against tabrl_objective_value of the
 * one-hot table, memcmp of J and of every V: the mean path (|b| < 1e-8),
 * log space (|b| < 1e-2), factored (b = -1, 1) and factored with sums
 * that underflow (b = -200 on returns of about 20, asserted to happen). */
START_TEST(test_actions)
{
  static const char *const texts[] = {
      "entropic:-1",   "entropic:1",  "entropic:1e-3",  "entropic:-1e-3", "entropic:1e-9",
      "entropic:-200", "kl-robust:1", "kl-robust:1e-3", "kl-robust:1e-9", "kl-robust:200"};
  tabrl_mdp *m = garnet_staged();
  int H = m->horizon, S = m->S, A = m->A, *action = malloc((size_t)H * S * sizeof *action);
  size_t n = tabrl_oracle_value_size(m);
  double *V1 = malloc(n * sizeof *V1), *V2 = malloc(n * sizeof *V2);
  tabrl_policy *pi = tabrl_policy_alloc(S, A, H);
  unsigned long long x = 5;
  int under = 0;
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    tabrl_objective o = parsed(texts[i]);
    tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, m);
    ck_assert_msg(ev != NULL, "%s", tabrl_error_message());
    ck_assert_int_eq(tabrl_objective_evaluator_has_actions(ev), 1);
    for (int k = 0; k < 8; k++) {
      for (int hs = 0; hs < H * S; hs++) {
        int a = (int)(uniform(&x) * A);
        while (!tabrl_mdp_valid(m, hs / S, hs % S, a)) a = (a + 1) % A;
        action[hs] = a;
      }
      double J1 = NAN, J2 = NAN;
      ck_assert_int_eq(tabrl_policy_from_plan(pi, action, S, A, H, "test"), 0);
      ck_assert_msg(tabrl_objective_value(&o, m, pi, V1, &J1) == 0, "%s", tabrl_error_message());
      memset(V2, 0xff, n * sizeof *V2);
      ck_assert_msg(tabrl_objective_evaluator_actions(ev, action, V2, &J2) == 0, "%s",
                    tabrl_error_message());
      ck_assert_msg(isfinite(J1) && J1 > 0, "%s: J %g", texts[i], J1);
      ck_assert_msg(!memcmp(&J1, &J2, sizeof J1), "%s policy %d: J %.17g actions %.17g", texts[i],
                    k, J1, J2);
      ck_assert_msg(!memcmp(V1, V2, n * sizeof *V1), "%s policy %d: V differs", texts[i], k);
      if (!strcmp(texts[i], "entropic:-200")) under += underflows(&o, m, action, V1);
    }
    tabrl_objective_evaluator_free(ev);
  }
  ck_assert_msg(under > 0, "b = -200 never reached the underflow fallback");
  /* Discounted models and objectives without the hook: not supported. */
  tabrl_mdp *d = garnet(0, "0.9", "3");
  tabrl_objective o = parsed("entropic:-1"), c = parsed("mean");
  tabrl_objective_evaluator *ev = tabrl_objective_evaluator_alloc(&o, d);
  ck_assert_msg(ev != NULL, "%s", tabrl_error_message());
  ck_assert_int_eq(tabrl_objective_evaluator_has_actions(ev), 0);
  ck_assert_int_eq(tabrl_objective_evaluator_actions(ev, action, V2, V1), TABRL_EUNSUPPORTED);
  tabrl_objective_evaluator_free(ev);
  ev = tabrl_objective_evaluator_alloc(&c, m);
  ck_assert_msg(ev != NULL, "%s", tabrl_error_message());
  ck_assert_int_eq(tabrl_objective_evaluator_has_actions(ev), 0);
  tabrl_objective_evaluator_free(ev);
  tabrl_mdp_free(d);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  free(action);
  free(V1);
  free(V2);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("objective_evaluator");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_episodic_garnet);
  tcase_add_test(tc, test_staged);
  tcase_add_test(tc, test_discounted_garnet);
  tcase_add_test(tc, test_two_evaluators);
  tcase_add_test(tc, test_reset);
  tcase_add_test(tc, test_flags);
  tcase_add_test(tc, test_mean_passes_through);
  tcase_add_test(tc, test_erm_one_outcome);
  tcase_add_test(tc, test_augmented);
  tcase_add_test(tc, test_actions);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
