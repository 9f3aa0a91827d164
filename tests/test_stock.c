/* The stock-augmented objectives cvar:alpha and mean-variance:lambda and
 * exact return distributions: the reward grid and its refusals, a model
 * where the CVaR optimum needs the history (solved by hand), both optima
 * equal to a brute-force enumeration of every history-dependent
 * deterministic policy on random tiny MDPs, cvar:1 and mean-variance:0
 * equal to the mean, and the return distribution of RiverSwim against the
 * mean oracle. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/stock.h"
#include "protocol.h"
#include "tabrl/algo.h"
#include "tabrl/objective.h"

static tabrl_objective parsed(const char *text)
{
  tabrl_objective o;
  ck_assert_msg(tabrl_objective_parse(text, &o) == 0, "%s", tabrl_error_message());
  return o;
}

static tabrl_mdp *finish(tabrl_mdp_builder *b)
{
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_mdp_builder_finish(b, &m) == 0, "%s", tabrl_error_message());
  tabrl_mdp_builder_free(b);
  return m;
}

static double optimum(const char *text, const tabrl_mdp *m, double *V)
{
  tabrl_objective o = parsed(text);
  double J = NAN;
  ck_assert_msg(tabrl_objective_optimum(&o, m, V, NULL, &J) == 0, "%s", tabrl_error_message());
  return J;
}

static double value(const char *text, const tabrl_mdp *m, const tabrl_policy *pi)
{
  tabrl_objective o = parsed(text);
  double J = NAN;
  ck_assert_msg(tabrl_objective_value(&o, m, pi, NULL, &J) == 0, "%s", tabrl_error_message());
  return J;
}

/* Catch-up (test_catch_up): cvar:0.75 takes the lower half of the
 * winners' returns, so after a loss the risky action (mean 2) is best and
 * after a win the safe one (11 beats the risky branch's lower half, 10):
 * returns 0, 4 (1/4 each), 11 (1/2), CVaR = (0 + 4 + 11) / 4 / .75 = 5.  A
 * Markov policy cannot see the coin: always risky gives 0, 4, 10, 14 (1/4
 * each), CVaR (0 + 4 + 10) / 3 = 14/3; always safe gives 1, 11 (1/2 each),
 * (.5 + 11 / 4) / .75 = 13/3. */
START_TEST(test_history_matters)
{
  tabrl_mdp *m = test_catch_up();
  double V[6];
  ck_assert_double_eq_tol(optimum("cvar:0.75", m, V), 5, 1e-14);
  ck_assert_double_eq_tol(V[0], 5, 1e-14);
  ck_assert(isnan(V[2]) && isnan(V[5]));
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double best_markov = -INFINITY;
  for (int a = 0; a < 2; a++) { /* the stage-0 action does not matter */
    for (int h = 0; h < 2; h++)
      for (int s = 0; s < 2; s++) tabrl_policy_set_action(pi, h, s, a);
    best_markov = fmax(best_markov, value("cvar:0.75", m, pi));
    ck_assert_double_eq_tol(value("cvar:0.75", m, pi), a ? 14.0 / 3 : 13.0 / 3, 1e-14);
  }
  ck_assert(best_markov < 5 - 0.3);
  /* The stock policy of the solution: risky at stock 0, safe at 10. */
  tabrl_objective o = parsed("cvar:0.75");
  tabrl_stock_solution *sol = tabrl_stock_solution_alloc(m);
  double J = 0;
  ck_assert_ptr_nonnull(sol);
  ck_assert_double_eq_tol(sol->grid.quantum, 1, 1e-15);
  ck_assert_int_eq(sol->grid.lo, 0);
  ck_assert_int_eq(sol->grid.hi, 20);
  ck_assert_int_eq(tabrl_objective_stock_optimum(&o, m, sol, &J), 0);
  ck_assert_double_eq_tol(J, 5, 1e-14);
  ck_assert_double_eq_tol(sol->threshold, 11, 1e-14); /* the .75-quantile */
  ck_assert_int_eq(tabrl_policy_argmax(sol->pi, 1, (int)tabrl_stock_index(&sol->grid, 1, 0)), 1);
  ck_assert_int_eq(tabrl_policy_argmax(sol->pi, 1, (int)tabrl_stock_index(&sol->grid, 1, 10)), 0);
  ck_assert_double_eq_tol(value("cvar:0.75", m, sol->pi), 5, 1e-14);
  /* Its exact return distribution. */
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  ck_assert_int_eq(tabrl_return_distribution(m, sol->pi, NULL, &atoms, &n), 0);
  ck_assert_int_eq(n, 3);
  ck_assert_double_eq_tol(atoms[0].value, 0, 1e-15);
  ck_assert_double_eq_tol(atoms[1].value, 4, 1e-15);
  ck_assert_double_eq_tol(atoms[2].value, 11, 1e-15);
  ck_assert_double_eq_tol(atoms[0].prob, 0.25, 1e-15);
  ck_assert_double_eq_tol(atoms[2].prob, 0.5, 1e-15);
  free(atoms);
  tabrl_stock_solution_free(sol);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- brute force over history-dependent deterministic policies ---- */

typedef struct {
  size_t n;
  double value[64], prob[64];
} law;

/* Every return law of the future rewards from (h, s) that some
 * history-dependent deterministic policy gives: for each action, each
 * outcome (s', r) may continue with any law from (h+1, s'), chosen
 * independently (the history holds the outcome). */
static law *all_laws(const tabrl_mdp *m, int h, int s, size_t *count)
{
  if (h == m->horizon) {
    law *one = calloc(1, sizeof *one);
    one->n = 1, one->value[0] = 0, one->prob[0] = 1;
    *count = 1;
    return one;
  }
  law *out = NULL;
  size_t total = 0;
  for (int a = 0; a < m->A; a++) {
    if (!tabrl_mdp_valid(m, h, s, a)) continue;
    size_t b = tabrl_mdp_block(m, h, s, a), k = m->row[b + 1] - m->row[b];
    law *sub[8];
    size_t nsub[8], combos = 1;
    ck_assert(k <= 8);
    for (size_t e = 0; e < k; e++) {
      sub[e] = all_laws(m, h + 1, m->next[m->row[b] + e], &nsub[e]);
      combos *= nsub[e];
    }
    law *grown = realloc(out, (total + combos) * sizeof *out);
    ck_assert_ptr_nonnull(grown);
    out = grown;
    for (size_t c = 0; c < combos; c++) {
      law *l = &out[total++];
      size_t rest = c;
      l->n = 0;
      for (size_t e = 0; e < k; e++) {
        const law *pick = &sub[e][rest % nsub[e]];
        size_t entry = m->row[b] + e;
        rest /= nsub[e];
        for (size_t i = 0; i < pick->n; i++) {
          ck_assert(l->n < 64);
          l->value[l->n] = m->reward[entry] + pick->value[i];
          l->prob[l->n++] = m->prob[entry] * pick->prob[i];
        }
      }
    }
    for (size_t e = 0; e < k; e++) free(sub[e]);
  }
  *count = total;
  return out;
}

static double law_cvar(const law *l, double alpha)
{
  tabrl_atom atoms[64];
  for (size_t i = 0; i < l->n; i++) atoms[i].value = l->value[i], atoms[i].prob = l->prob[i];
  return tabrl_cvar_lower(atoms, l->n, alpha);
}

static double law_mv(const law *l, double lambda)
{
  double mean = 0, var = 0;
  for (size_t i = 0; i < l->n; i++) mean += l->prob[i] * l->value[i];
  for (size_t i = 0; i < l->n; i++) var += l->prob[i] * (l->value[i] - mean) * (l->value[i] - mean);
  return mean - lambda * var;
}

/* S = 2, A = 2, H = 3, two outcomes per (s, a) with rewards in {-1, 0, 1, 3}
 * and probabilities in {.1, ..., .9}, from a fixed LCG. */
static tabrl_mdp *tiny(unsigned seed)
{
  static const double rewards[] = {-1, 0, 1, 3};
  unsigned x = seed * 2654435761u + 1;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < 2; a++) {
      x = x * 1664525u + 1013904223u;
      double p = 0.1 * (1 + (x >> 16) % 9);
      x = x * 1664525u + 1013904223u;
      tabrl_mdp_builder_add(b, 0, s, a, (x >> 20) & 1, p, rewards[(x >> 8) % 4]);
      x = x * 1664525u + 1013904223u;
      tabrl_mdp_builder_add(b, 0, s, a, (x >> 20) & 1, 1 - p, rewards[(x >> 8) % 4]);
    }
  tabrl_mdp_builder_set_time(b, 3, 1);
  return finish(b);
}

START_TEST(test_brute_force)
{
  static const char *const cvars[] = {"cvar:0.1", "cvar:0.3", "cvar:0.5", "cvar:0.77", "cvar:1"};
  static const double alphas[] = {0.1, 0.3, 0.5, 0.77, 1};
  static const double lambdas[] = {0, 0.1, 0.5, 2};
  for (unsigned seed = 0; seed < 12; seed++) {
    tabrl_mdp *m = tiny(seed);
    double V[8];
    law *laws[2];
    size_t n[2];
    for (int s = 0; s < 2; s++) laws[s] = all_laws(m, 0, s, &n[s]);
    for (int i = 0; i < 5; i++) {
      double J = optimum(cvars[i], m, V);
      for (int s = 0; s < 2; s++) {
        double best = -INFINITY;
        for (size_t k = 0; k < n[s]; k++) best = fmax(best, law_cvar(&laws[s][k], alphas[i]));
        ck_assert_msg(fabs(V[s] - best) < 1e-12, "seed %u %s state %d: %.15g vs %.15g", seed,
                      cvars[i], s, V[s], best);
        if (s == 0) ck_assert_double_eq_tol(J, best, 1e-12); /* mu0 = state 0 */
      }
    }
    for (int i = 0; i < 4; i++) {
      char text[64];
      snprintf(text, sizeof text, "mean-variance:%g", lambdas[i]);
      double J = optimum(text, m, V);
      for (int s = 0; s < 2; s++) {
        double best = -INFINITY;
        for (size_t k = 0; k < n[s]; k++) best = fmax(best, law_mv(&laws[s][k], lambdas[i]));
        ck_assert_msg(fabs(V[s] - best) < 1e-11, "seed %u %s state %d: %.15g vs %.15g", seed, text,
                      s, V[s], best);
        if (s == 0) ck_assert_double_eq_tol(J, best, 1e-11);
      }
    }
    /* expected utilities of the return: P(G >= t), -E[(G - t)^2] */
    static const char *const utilities[] = {"threshold:2", "threshold:4.5", "homeostatic:1.5",
                                            "homeostatic:-2"};
    for (int i = 0; i < 4; i++) {
      double J = optimum(utilities[i], m, V), t = atof(strchr(utilities[i], ':') + 1);
      for (int s = 0; s < 2; s++) {
        double best = -INFINITY;
        for (size_t k = 0; k < n[s]; k++) {
          double u = 0;
          for (size_t j = 0; j < laws[s][k].n; j++)
            u += laws[s][k].prob[j] *
                 (utilities[i][0] == 't' ? (laws[s][k].value[j] >= t - 1e-9 ? 1.0 : 0.0)
                                         : -(laws[s][k].value[j] - t) * (laws[s][k].value[j] - t));
          best = fmax(best, u);
        }
        ck_assert_msg(fabs(V[s] - best) < 1e-12, "seed %u %s state %d: %.15g vs %.15g", seed,
                      utilities[i], s, V[s], best);
        if (s == 0) ck_assert_double_eq_tol(J, best, 1e-12);
      }
    }
    free(laws[0]);
    free(laws[1]);
    tabrl_mdp_free(m);
  }
}
END_TEST

START_TEST(test_riverswim)
{
  tabrl_setting set[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", set, 2);
  size_t size = tabrl_oracle_value_size(m);
  double *V = malloc(size * sizeof *V), *W = malloc(size * sizeof *W), J_mean;
  tabrl_objective mean = tabrl_objective_default();
  ck_assert_int_eq(tabrl_objective_optimum(&mean, m, W, NULL, &J_mean), 0);
  ck_assert_double_eq_tol(optimum("cvar:1", m, V), J_mean, 1e-12);
  for (int s = 0; s < 6; s++) ck_assert_double_eq_tol(V[s], W[s], 1e-12);
  ck_assert_double_eq_tol(optimum("mean-variance:0", m, V), J_mean, 1e-12);
  /* The worst tenth of any move right is a step back: staying left pays
   * 0.005 for 20 steps, surely. */
  ck_assert_double_eq_tol(optimum("cvar:0.1", m, V), 0.1, 1e-12);

  /* The uniform policy's return law: mass 1 and the mean of the oracle. */
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  tabrl_atom *atoms = NULL;
  size_t n = 0;
  double total = 0, first = 0;
  ck_assert_int_eq(tabrl_return_distribution(m, pi, NULL, &atoms, &n), 0);
  for (size_t i = 0; i < n; i++) {
    total += atoms[i].prob, first += atoms[i].prob * atoms[i].value;
    if (i) ck_assert(atoms[i].value > atoms[i - 1].value);
  }
  ck_assert_double_eq_tol(total, 1, 1e-12);
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, W), 0);
  ck_assert_double_eq_tol(first, W[0], 1e-12);
  ck_assert_double_eq_tol(value("cvar:1", m, pi), W[0], 1e-12);
  ck_assert(value("cvar:0.1", m, pi) < value("cvar:0.5", m, pi));
  free(atoms);
  tabrl_policy_free(pi);
  free(V);
  free(W);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_grid_and_refusals)
{
  tabrl_stock_grid g;
  tabrl_setting river[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  tabrl_mdp *m = test_env("riverswim", river, 2);
  ck_assert_int_eq(tabrl_stock_grid_of(m, &g), 0);
  ck_assert_double_eq_tol(g.quantum, 0.005, 1e-15);
  ck_assert_int_eq(g.lo, 0);
  ck_assert_int_eq(g.hi, 4000); /* 20 x 1 / 0.005 */
  tabrl_mdp_free(m);

  tabrl_setting garnet[] = {{"horizon", "5", "test", 0}};
  m = test_env("garnet", garnet, 1);
  ck_assert_int_eq(tabrl_stock_grid_of(m, &g), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "rewards on a finite grid"));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "more)"));
  tabrl_objective o = parsed("cvar:0.5");
  double J, *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  ck_assert_int_eq(tabrl_objective_optimum(&o, m, V, NULL, &J), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "objective cvar:0.5"));
  free(V);
  tabrl_mdp_free(m);

  tabrl_setting ring[] = {{"p", "0.01", "test", 0}};
  m = test_env("robust-ring", ring, 1); /* discounted */
  ck_assert_int_eq(tabrl_stock_grid_of(m, &g), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "episodic"));
  tabrl_mdp_free(m);

  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1, 1);
  tabrl_mdp_builder_set_time(b, 3, 1);
  tabrl_mdp_builder_set_noise(b, (tabrl_noise){TABRL_NOISE_GAUSSIAN, 0.1, 0});
  m = finish(b);
  ck_assert_int_eq(tabrl_stock_grid_of(m, &g), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "noise"));
  tabrl_mdp_free(m);

  /* (H+1) S K above the limit: 0.005 and 1 over H = 400, S = 30. */
  tabrl_setting big[] = {{"states", "30", "test", 0}, {"horizon", "400", "test", 0}};
  m = test_env("riverswim", big, 2);
  ck_assert_int_eq(tabrl_stock_grid_of(m, &g), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "above the limit"));
  tabrl_mdp_free(m);

  tabrl_objective bad;
  ck_assert_int_eq(tabrl_objective_parse("cvar:0", &bad), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_objective_parse("cvar:1.5", &bad), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_objective_parse("cvar", &bad), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_objective_parse("mean-variance:-1", &bad), TABRL_EINVAL);
}
END_TEST

/* cvar-vi under the planning protocol: after one iteration per candidate
 * threshold its stock policy has the exact optimum (catch-up: 5, where no
 * Markov policy exceeds 14/3; RiverSwim(6), H = 20, cvar:0.3); it needs an
 * augmented objective. */
static double planner_after(const char *name, const char *setting, const tabrl_mdp *m,
                            const char *objective, long iterations)
{
  unsigned char *valid = NULL;
  tabrl_problem p;
  tabrl_stock_grid grid;
  tabrl_objective o = parsed(objective);
  const tabrl_algo_type *type = tabrl_algo_find(name);
  tabrl_values *values = NULL;
  char key[64] = "", *eq = setting ? strchr(setting, '=') : NULL;
  if (eq) snprintf(key, sizeof key, "%.*s", (int)(eq - setting), setting);
  tabrl_setting set = {key, eq ? eq + 1 : "", "test", 0};
  ck_assert_int_eq(tabrl_values_resolve(type->params, name, &set, eq ? 1 : 0, 0, &values), 0);
  ck_assert_int_eq(tabrl_problem_init(&p, m, iterations, NULL, 1, &valid), 0);
  ck_assert_int_eq(tabrl_problem_set_objective(&p, &o, m, &grid), 0);
  tabrl_algo *algo = tabrl_algo_alloc(type, &p, values);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  for (long k = 1; k <= iterations; k++) ck_assert_int_eq(tabrl_algo_iterate(algo, k), 0);
  tabrl_policy *pi = tabrl_stock_policy_alloc(&grid);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  double J = value(objective, m, pi);
  tabrl_policy_free(pi);
  tabrl_algo_free(algo);
  tabrl_values_free(values);
  free(valid);
  return J;
}

static double cvar_vi_after(const tabrl_mdp *m, const char *objective, long iterations)
{
  return planner_after("cvar-vi", NULL, m, objective, iterations);
}

START_TEST(test_cvar_vi)
{
  tabrl_mdp *m = test_catch_up();
  ck_assert_double_eq_tol(cvar_vi_after(m, "cvar:0.75", 20), 5, 1e-14);
  /* The candidates in increasing order: after 1 (c = 0) the policy is
   * optimal for c = 0, which never takes a risk below 0: any policy. */
  ck_assert(cvar_vi_after(m, "cvar:0.75", 1) < 5);
  tabrl_mdp_free(m);

  tabrl_setting set[] = {{"states", "6", "test", 0}, {"horizon", "20", "test", 0}};
  m = test_env("riverswim", set, 2);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  double J = optimum("cvar:0.3", m, V);
  ck_assert_double_eq_tol(cvar_vi_after(m, "cvar:0.3", 240), J, 1e-12);
  free(V);

  unsigned char *valid = NULL;
  tabrl_problem p;
  ck_assert_int_eq(tabrl_problem_init(&p, m, 10, NULL, 1, &valid), 0);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("cvar-vi"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "needs an augmented objective"));
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

/* dvi-stock: exact for the expected utilities (threshold, homeostatic) in
 * one pass, for cvar by the search over c (the risk oracle's optimum), and
 * not for cvar greedy on CVaR itself (catch-up: always risky, 14/3). */
START_TEST(test_dvi_stock)
{
  tabrl_mdp *m = test_catch_up();
  ck_assert_double_eq_tol(planner_after("dvi-stock", NULL, m, "cvar:0.75", 20), 5, 1e-14);
  ck_assert_double_eq_tol(planner_after("dvi-stock", "cvar=direct", m, "cvar:0.75", 20), 14.0 / 3,
                          1e-14);
  double V[16]; /* (H + 1) S of the largest model here, tiny: 8 */
  const char *utilities[] = {"threshold:11", "threshold:4", "homeostatic:6", "homeostatic:12"};
  for (int i = 0; i < 4; i++)
    ck_assert_double_eq_tol(planner_after("dvi-stock", NULL, m, utilities[i], 1),
                            optimum(utilities[i], m, V), 1e-14);
  /* the risk-neutral policy's CVaR: catch-up always gambles */
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double W[6];
  ck_assert_int_eq(tabrl_oracle_backward(m, W, NULL, pi), 0);
  ck_assert_double_eq_tol(value("cvar:0.75", m, pi), 14.0 / 3, 1e-14);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  /* cliff-risk, H = 12: the mean takes the bottom row */
  tabrl_setting cliff[] = {{"horizon", "12", "test", 0}};
  m = test_env("cliff-risk", cliff, 1);
  pi = tabrl_policy_alloc_for(m);
  double *U = malloc(tabrl_oracle_value_size(m) * sizeof *U);
  ck_assert_int_eq(tabrl_oracle_backward(m, U, NULL, pi), 0);
  ck_assert_double_eq_tol(value("cvar:0.1", m, pi), -12.1605, 1e-9);
  ck_assert_double_eq_tol(optimum("cvar:0.1", m, U), -7, 1e-12);
  free(U);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  /* dvi-stock's search reaches it (H = 8 keeps the candidates few) */
  tabrl_setting cliff8[] = {{"horizon", "8", "test", 0}};
  m = test_env("cliff-risk", cliff8, 1);
  U = malloc(tabrl_oracle_value_size(m) * sizeof *U);
  ck_assert_double_eq_tol(planner_after("dvi-stock", NULL, m, "cvar:0.1", 400),
                          optimum("cvar:0.1", m, U), 1e-12);
  free(U);
  tabrl_mdp_free(m);
  for (unsigned seed = 0; seed < 6; seed++) {
    m = tiny(seed);
    const char *objectives[] = {"cvar:0.3", "threshold:3", "homeostatic:2"};
    for (int i = 0; i < 3; i++)
      ck_assert_double_eq_tol(planner_after("dvi-stock", NULL, m, objectives[i], 100),
                              optimum(objectives[i], m, V), 1e-12);
    tabrl_mdp_free(m);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("stock");
  TCase *tc = tcase_create("stock");
  tcase_add_test(tc, test_history_matters);
  tcase_add_test(tc, test_brute_force);
  tcase_add_test(tc, test_riverswim);
  tcase_add_test(tc, test_grid_and_refusals);
  tcase_add_test(tc, test_cvar_vi);
  tcase_add_test(tc, test_dvi_stock);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
