/* Reward schedules (tabrl/schedule.h), the best fixed policy in hindsight
 * (tabrl_oracle_hindsight) and the regret of scheduled runs, recomputed
 * independently: every deterministic policy enumerated and valued through
 * its occupancy measure, not by backward induction. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/experiment.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"
#include "tabrl/runner.h"
#include "tabrl/schedule.h"
#include "tabrl/sim.h"

static tabrl_mdp *env(const char *name, const tabrl_setting *s, size_t n)
{
  tabrl_mdp *m = NULL;
  int status = tabrl_env_build(name, s, n, &m);
  ck_assert_msg(status == 0, "%s", tabrl_error_message());
  return m;
}

static tabrl_mdp *garnet(int S, int A, int H, const char *seed)
{
  char states[16], actions[16], horizon[16];
  snprintf(states, sizeof states, "%d", S);
  snprintf(actions, sizeof actions, "%d", A);
  snprintf(horizon, sizeof horizon, "%d", H);
  tabrl_setting s[] = {{"states", states, NULL, 0},
                       {"actions", actions, NULL, 0},
                       {"branching", "2", NULL, 0},
                       {"horizon", horizon, NULL, 0},
                       {"seed", seed, NULL, 0}};
  return env("garnet", s, 5);
}

/* sum_t V_t(pi) of the deterministic policy with code c (base A digits,
 * one per (h, s)), each V_t = sum_{h,s} d_h(s) r_t(h, s, pi(h, s)) with d the
 * occupancy of pi; -1 when pi takes an invalid action. */
static double fixed_policy_total(const tabrl_mdp *m, long c, const double *const *r,
                                 const long *weight, int n)
{
  int H = m->horizon, S = m->S, A = m->A;
  tabrl_policy *pi = tabrl_policy_alloc(S, A, H);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double *d = malloc((size_t)H * (size_t)S * sizeof *d), total = 0;
  memset(pi->prob, 0, (size_t)H * (size_t)S * (size_t)A * sizeof(double));
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++, c /= A) {
      if (!tabrl_mdp_valid(m, h, s, (int)(c % A))) total = -1;
      tabrl_policy_row(pi, h, s)[c % A] = 1;
    }
  if (total == 0) {
    ck_assert_int_eq(tabrl_oracle_occupancy(m, pi, NULL, 0, ws, d), 0);
    for (int t = 0; t < n; t++)
      for (int h = 0; h < H; h++)
        for (int s = 0; s < S; s++) {
          int a = 0;
          while (!(tabrl_policy_row(pi, h, s)[a] > 0)) a++;
          total += (double)weight[t] * d[h * S + s] * r[t][(h * S + s) * A + a];
        }
  }
  free(d);
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(pi);
  return total;
}

/* max over every deterministic Markov policy of the weighted total. */
static double brute_hindsight(const tabrl_mdp *m, const double *const *r, const long *weight, int n)
{
  long policies = 1;
  for (int i = 0; i < m->horizon * m->S; i++) policies *= m->A;
  double best = -INFINITY;
  for (long c = 0; c < policies; c++) best = fmax(best, fixed_policy_total(m, c, r, weight, n));
  return best;
}

/* Two states (mu0 = 1/2 each), two actions, H = 1, three episodes whose
 * optima are three different policies, (0,0), (0,1), (1,0): the best fixed
 * policy in hindsight is the fourth, (1,1).  By hand: state 0 sums to
 * (0.6 + 0.6 + 0, 0.5 + 0.5 + 0.5) = (1.2, 1.5), state 1 to
 * (0.6 + 0 + 0.6, 1.5) = (1.2, 1.5), so J = 1.5 while the per-episode optima
 * sum to 0.6 + 0.55 + 0.55 = 1.7. */
START_TEST(test_hindsight_by_hand)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < 2; a++) tabrl_mdp_builder_add(b, 0, s, a, s, 1, 0);
  tabrl_mdp_builder_set_time(b, 1, 1);
  double mu0[] = {0.5, 0.5};
  tabrl_mdp_builder_set_mu0(b, mu0);
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  const double r1[] = {0.6, 0.5, 0.6, 0.5}, r2[] = {0.6, 0.5, 0, 0.5}, r3[] = {0, 0.5, 0.6, 0.5};
  const double *r[] = {r1, r2, r3};
  double sum[4] = {0}, V[4], J;
  for (int t = 0; t < 3; t++)
    for (int i = 0; i < 4; i++) sum[i] += r[t][i];
  tabrl_policy *pi = tabrl_policy_alloc(2, 2, 1);
  ck_assert_int_eq(tabrl_oracle_hindsight(m, sum, V, pi, &J), 0);
  ck_assert_double_eq_tol(J, 1.5, 1e-15);
  ck_assert_double_eq_tol(V[0], 1.5, 1e-15);
  ck_assert_double_eq_tol(V[1], 1.5, 1e-15);
  ck_assert_double_eq(tabrl_policy_row(pi, 0, 0)[1], 1);
  ck_assert_double_eq(tabrl_policy_row(pi, 0, 1)[1], 1);
  /* each episode alone: its own optimum, none of them (1,1) */
  const double optimum[] = {0.6, 0.55, 0.55};
  const int first[] = {0, 0, 1}, second[] = {0, 1, 0};
  for (int t = 0; t < 3; t++) {
    ck_assert_int_eq(tabrl_oracle_hindsight(m, r[t], V, pi, &J), 0);
    ck_assert_double_eq_tol(J, optimum[t], 1e-15);
    ck_assert_double_eq(tabrl_policy_row(pi, 0, 0)[first[t]], 1);
    ck_assert_double_eq(tabrl_policy_row(pi, 0, 1)[second[t]], 1);
  }
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* With transitions (H = 3 garnet): the oracle equals the best of all 2^9
 * deterministic policies valued through their occupancies. */
START_TEST(test_hindsight_brute_force)
{
  tabrl_mdp *m = garnet(3, 2, 3, "4");
  size_t n = 3 * 3 * 2;
  double *r[3], sum[18] = {0}, V[12], J;
  long ones[] = {1, 1, 1};
  tabrl_pcg32 rng;
  tabrl_rng_stream(&rng, 11, TABRL_STREAM_ALGO, 0);
  for (int t = 0; t < 3; t++) {
    r[t] = malloc(n * sizeof *r[t]);
    for (size_t i = 0; i < n; i++) sum[i] += (r[t][i] = tabrl_pcg32_uniform(&rng));
  }
  ck_assert_int_eq(tabrl_oracle_hindsight(m, sum, V, NULL, &J), 0);
  ck_assert_double_eq_tol(J, brute_hindsight(m, (const double *const *)r, ones, 3), 1e-12);
  for (int t = 0; t < 3; t++) free(r[t]);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_adversarial_blocks)
{
  /* Five arms, the best (0.9) at index 2: blocks of B 2^j episodes from
   * B = 3: r for 1..3, r' for 4..9, r for 10..21, r' for 22..45. */
  tabrl_setting s[] = {{"means", "0.1,0.3,0.9,0.5,0.2", NULL, 0}};
  tabrl_mdp *m = env("bandit", s, 1);
  tabrl_schedule_spec spec = {TABRL_SCHEDULE_ADVERSARIAL, 3, -1};
  tabrl_schedule *sc = tabrl_schedule_alloc(&spec, m, 7);
  ck_assert_ptr_nonnull(sc);
  const int expect[][2] = {{1, 0},  {3, 0},  {4, 1},  {9, 1},  {10, 0},
                           {21, 0}, {22, 1}, {45, 1}, {46, 0}, {93, 0}};
  for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
    ck_assert_int_eq(tabrl_schedule_function(sc, expect[i][0]), expect[i][1]);
  /* r' exchanges the best arm with its partner: the partner is r''s best */
  ck_assert_int_eq(sc->best[0], 2);
  int partner = sc->partner[0];
  ck_assert_int_ne(partner, 2);
  const double means[] = {0.1, 0.3, 0.9, 0.5, 0.2};
  for (int a = 0; a < 5; a++) {
    ck_assert_double_eq_tol(sc->table[0][a], means[a], 1e-15);
    double swapped = a == 2 ? means[partner] : a == partner ? 0.9 : means[a];
    ck_assert_double_eq_tol(sc->table[1][a], swapped, 1e-15);
  }
  /* the simulated model follows the function: means and realised rewards */
  gsl_rng *g = tabrl_gsl_rng_stream(1, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_pcg32 *pcg = tabrl_gsl_rng_pcg32_state(g);
  ck_assert_int_eq(tabrl_schedule_set(sc, 1), 0);
  ck_assert_int_eq(tabrl_schedule_set(sc, 4), 1);
  ck_assert_int_eq(tabrl_schedule_set(sc, 5), 0);
  for (int a = 0; a < 5; a++) {
    double reward;
    ck_assert_double_eq(sc->m->mean_reward[a], sc->table[1][a]);
    tabrl_mdp_step(sc->m, 0, 0, a, pcg, &reward);
    ck_assert_double_eq(reward, sc->table[1][a]); /* the adversary's: deterministic */
  }
  ck_assert_int_eq(tabrl_schedule_set(sc, 10), 1);
  ck_assert_ptr_eq(sc->m->mean_reward, sc->table[0]);
  /* the same seed gives the same adversary; the seeds do not all agree */
  int differs = 0;
  for (uint64_t seed = 0; seed < 8; seed++) {
    tabrl_schedule *a = tabrl_schedule_alloc(&spec, m, seed),
                   *b = tabrl_schedule_alloc(&spec, m, seed);
    ck_assert_int_eq(a->partner[0], b->partner[0]);
    ck_assert_mem_eq(a->table[1], b->table[1], 5 * sizeof(double));
    differs |= a->partner[0] != partner;
    tabrl_schedule_free(a);
    tabrl_schedule_free(b);
  }
  ck_assert(differs);
  gsl_rng_free(g);
  tabrl_schedule_free(sc);
  tabrl_mdp_free(m);
}
END_TEST

/* On a stationary model with H = 4 the copy is expanded to four stages
 * whose draws are the model's, and the swap is per (h, s). */
START_TEST(test_expanded_model)
{
  tabrl_mdp *m = garnet(4, 3, 4, "2");
  ck_assert_int_eq(m->stages, 1);
  tabrl_schedule_spec spec = {TABRL_SCHEDULE_STOCHASTIC, 0, -1};
  tabrl_schedule *sc = tabrl_schedule_alloc(&spec, m, 0);
  ck_assert_ptr_nonnull(sc);
  ck_assert_int_eq(sc->m->stages, 4);
  ck_assert_int_eq(sc->nfunctions, 1);
  for (long k = 1; k <= 50; k++) ck_assert_int_eq(tabrl_schedule_set(sc, k), 0);
  tabrl_pcg32 a, b;
  tabrl_rng_stream(&a, 3, TABRL_STREAM_TRANSITIONS, 0);
  tabrl_rng_stream(&b, 3, TABRL_STREAM_TRANSITIONS, 0);
  int s1 = 0, s2 = 0;
  for (int i = 0; i < 400; i++) {
    int h = i % 4, act = i % 3;
    double r1, r2;
    s1 = tabrl_mdp_step(m, h, s1, act, &a, &r1);
    s2 = tabrl_mdp_step(sc->m, h, s2, act, &b, &r2);
    ck_assert_int_eq(s1, s2);
    ck_assert_double_eq(r1, r2);
  }
  double *table = malloc(4 * 4 * 3 * sizeof *table);
  tabrl_mdp_reward_table(m, table);
  ck_assert_mem_eq(table, sc->table[0], 4 * 4 * 3 * sizeof(double));
  tabrl_schedule_free(sc);
  /* adversarial: every (h, s) has its best action and partner exchanged */
  spec = (tabrl_schedule_spec){TABRL_SCHEDULE_ADVERSARIAL, 1, -1};
  sc = tabrl_schedule_alloc(&spec, m, 5);
  for (int i = 0; i < 16; i++) {
    int best = sc->best[i], partner = sc->partner[i];
    ck_assert_int_ne(best, partner);
    ck_assert_double_eq(sc->table[1][i * 3 + best], table[i * 3 + partner]);
    ck_assert_double_eq(sc->table[1][i * 3 + partner], table[i * 3 + best]);
    ck_assert_double_eq(sc->table[1][i * 3 + 3 - best - partner],
                        table[i * 3 + 3 - best - partner]);
  }
  free(table);
  tabrl_schedule_free(sc);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_corrupted)
{
  tabrl_mdp *m = garnet(3, 2, 2, "1");
  tabrl_schedule_spec spec = {TABRL_SCHEDULE_CORRUPTED, 0, 7};
  tabrl_schedule *sc = tabrl_schedule_alloc(&spec, m, 0);
  long corrupted = 0, last = 0;
  for (long k = 1; k <= 100; k++)
    if (tabrl_schedule_function(sc, k)) corrupted++, last = k;
  ck_assert_int_eq(corrupted, 7);
  ck_assert_int_eq(last, 7);
  for (size_t i = 0; i < 12; i++)
    ck_assert_double_eq_tol(sc->table[1][i], 1 - sc->table[0][i], 1e-15);
  tabrl_schedule_free(sc);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_rejected_models)
{
  tabrl_schedule_spec spec = {TABRL_SCHEDULE_STOCHASTIC, 0, -1};
  tabrl_setting s[] = {{"kind", "gaussian", NULL, 0}, {"means", "0.5,0.2", NULL, 0}};
  tabrl_mdp *m = env("bandit", s, 2);
  ck_assert_ptr_null(tabrl_schedule_alloc(&spec, m, 0));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "[0, 1]"));
  tabrl_mdp_free(m);
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1, 1.5);
  tabrl_mdp_builder_set_time(b, 2, 1);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  ck_assert_ptr_null(tabrl_schedule_alloc(&spec, m, 0));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "reward 1.5"));
  tabrl_mdp_free(m);
}
END_TEST

/* ---- whole runs ---- */

static tabrl_experiment *load_text(const char *text)
{
  char path[] = "/tmp/tabrl_schedule_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  tabrl_experiment *e = NULL;
  int status = tabrl_experiment_load(path, NULL, 0, &e);
  unlink(path);
  ck_assert_msg(status == 0, "%s", tabrl_error_message());
  return e;
}

typedef struct {
  long episode;
  double ret, value, regret, cum_regret;
} row;

/* The rows of run r (every episode logged). */
static size_t run_rows(const tabrl_experiment *e, size_t r, row *out)
{
  char *text = NULL, *ptext = NULL;
  size_t size = 0, psize = 0, n = 0;
  FILE *rows = open_memstream(&text, &size), *policies = open_memstream(&ptext, &psize);
  atomic_long done = 0;
  int status = tabrl_run_one(e, r, rows, policies, NULL, &done, NULL, NULL);
  ck_assert_msg(status == 0, "%s", tabrl_error_message());
  fclose(rows);
  fclose(policies);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *field[20];
    int k = 0;
    for (char *p = line; k < 20; k++) {
      field[k] = p;
      char *comma = strchr(p, ',');
      if (!comma) {
        k++;
        break;
      }
      *comma = '\0';
      p = comma + 1;
    }
    out[n++] = (row){atol(field[4]), atof(field[5]), *field[6] ? atof(field[6]) : NAN,
                     atof(field[7]), atof(field[8])};
  }
  free(text);
  free(ptext);
  return n;
}

/* random and ucbvi on an adversarial schedule, H = 3: every row's
 * cum_regret is the brute-force hindsight optimum of the episodes so far
 * minus the sum of the value column; random's value is the uniform
 * policy's under the episode's function, recomputed through occupancies;
 * regret is the change of cum_regret. */
START_TEST(test_run_regret)
{
  tabrl_experiment *e =
      load_text("[experiment]\nenv = garnet\nepisodes = 40\nseeds = 1\nlog = every:1\n"
                "schedule = adversarial\nblock = 3\n[env]\nstates = 3\nactions = 2\n"
                "branching = 2\nhorizon = 3\nseed = 9\n[algo ucbvi]\ntype = ucbvi\n"
                "[algo random]\ntype = random\n");
  tabrl_mdp *m = garnet(3, 2, 3, "9");
  tabrl_schedule *sc = tabrl_schedule_alloc(&e->schedule, m, e->seeds[0]);
  const double *tables[] = {sc->table[0], sc->table[1]};
  row rows[40];
  tabrl_policy *uniform = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(uniform, m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double d[9], uniform_value[2] = {0, 0};
  ck_assert_int_eq(tabrl_oracle_occupancy(m, uniform, NULL, 0, ws, d), 0);
  for (int f = 0; f < 2; f++)
    for (int i = 0; i < 9; i++)
      uniform_value[f] += d[i] * 0.5 * (tables[f][2 * i] + tables[f][2 * i + 1]);
  /* exchanging two actions' rewards leaves the uniform policy's value */
  ck_assert_double_eq_tol(uniform_value[0], uniform_value[1], 1e-12);
  for (size_t r = 0; r < 2; r++) {
    ck_assert_uint_eq(run_rows(e, r, rows), 40);
    long count[2] = {0, 0};
    double values = 0, previous = 0;
    for (int k = 1; k <= 40; k++) {
      const row *x = &rows[k - 1];
      int f = k <= 3 ? 0 : k <= 9 ? 1 : k <= 21 ? 0 : 1;
      count[f]++;
      values += x->value;
      if (r == 1) ck_assert_double_eq_tol(x->value, uniform_value[f], 1e-12);
      double best = brute_hindsight(m, tables, count, 2);
      ck_assert_int_eq(x->episode, k);
      ck_assert_double_eq_tol(x->cum_regret, best - values, 1e-9);
      ck_assert_double_eq_tol(x->regret, x->cum_regret - previous, 1e-9);
      previous = x->cum_regret;
    }
  }
  tabrl_oracle_workspace_free(ws);
  tabrl_policy_free(uniform);
  tabrl_schedule_free(sc);
  tabrl_mdp_free(m);
  tabrl_experiment_free(e);
}
END_TEST

/* schedule = stochastic simulates exactly the unscheduled run: the same
 * returns and values, and the hindsight optimum k J* gives the same
 * cum_regret up to rounding. */
START_TEST(test_stochastic_equals_none)
{
  const char *base = "[experiment]\nenv = riverswim\nepisodes = 300\nseeds = 1\nlog = every:1\n"
                     "%s[env]\nstates = 5\nhorizon = 8\n[algo ucbvi]\ntype = ucbvi\n";
  char text[1024];
  static row plain[300], sched[300];
  snprintf(text, sizeof text, base, "");
  tabrl_experiment *e = load_text(text);
  ck_assert_uint_eq(run_rows(e, 0, plain), 300);
  tabrl_experiment_free(e);
  snprintf(text, sizeof text, base, "schedule = stochastic\n");
  e = load_text(text);
  ck_assert_uint_eq(run_rows(e, 0, sched), 300);
  tabrl_experiment_free(e);
  for (int k = 0; k < 300; k++) {
    ck_assert_double_eq(plain[k].ret, sched[k].ret);
    ck_assert_double_eq(plain[k].value, sched[k].value);
    ck_assert_double_eq_tol(plain[k].cum_regret, sched[k].cum_regret, 1e-9);
  }
}
END_TEST

/* Bad input: one message naming the file, line and key. */
START_TEST(test_bad_input)
{
  const char *head = "[experiment]\nenv = riverswim\nepisodes = 100\n";
  const struct {
    const char *body, *expect;
  } cases[] = {
      {"schedule = adversary\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":4: [experiment] key 'schedule': 'adversary' is not one of"},
      {"schedule = adversarial\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":4: schedule = adversarial needs block"},
      {"schedule = adversarial\nblock = 100\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":5: block = 100 must be below episodes"},
      {"schedule = adversarial\nblock = 0\n[env]\nhorizon = 5\n[algo a]\ntype = random\n", ":5: "},
      {"schedule = corrupted\ncorruptions = 101\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":5: corruptions = 101 must be at most episodes"},
      {"schedule = stochastic\nblock = 3\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":5: block applies to schedule = adversarial only"},
      {"corruptions = 3\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":4: corruptions applies to schedule = corrupted only"},
      {"schedule = stochastic\n[env]\nhorizon = 5\n[algo a]\ntype = value-iteration\n",
       ":4: schedule = stochastic needs online algorithms: [algo a] (value-iteration)"},
      {"schedule = stochastic\nobjective = cvar:0.1\n[env]\nhorizon = 5\n[algo a]\ntype = random\n",
       ":4: schedule = stochastic measures regret in the mean"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char path[] = "/tmp/tabrl_schedule_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s%s", head, cases[i].body);
    fclose(f);
    tabrl_experiment *e = NULL;
    int status = tabrl_experiment_load(path, NULL, 0, &e);
    ck_assert(status == TABRL_EINVAL || status == TABRL_ENOTFOUND);
    char expect[600];
    snprintf(expect, sizeof expect, "%s%s", path, cases[i].expect);
    ck_assert_msg(strstr(tabrl_error_message(), expect), "case %zu: '%s' lacks '%s'", i,
                  tabrl_error_message(), expect);
    ck_assert_ptr_null(strchr(tabrl_error_message(), '\n'));
    unlink(path);
  }
}
END_TEST

/* A model with rewards outside [0, 1]: said at the schedule's line. */
START_TEST(test_bad_rewards)
{
  char path[] = "/tmp/tabrl_schedule_XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  fputs("[experiment]\nenv = cliffwalking\nepisodes = 10\nschedule = corrupted\ncorruptions = 2\n"
        "[env]\nhorizon = 5\n[algo a]\ntype = random\n",
        f);
  fclose(f);
  tabrl_experiment *e = NULL;
  ck_assert_int_eq(tabrl_experiment_load(path, NULL, 0, &e), TABRL_EINVAL);
  char expect[600];
  snprintf(expect, sizeof expect, "%s:4: schedule = corrupted on env cliffwalking", path);
  ck_assert_msg(strstr(tabrl_error_message(), expect), "'%s'", tabrl_error_message());
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "rewards in [0, 1]"));
  unlink(path);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("schedule");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_hindsight_by_hand);
  tcase_add_test(tc, test_hindsight_brute_force);
  tcase_add_test(tc, test_adversarial_blocks);
  tcase_add_test(tc, test_expanded_model);
  tcase_add_test(tc, test_corrupted);
  tcase_add_test(tc, test_rejected_models);
  tcase_add_test(tc, test_run_regret);
  tcase_add_test(tc, test_stochastic_equals_none);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_bad_rewards);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
