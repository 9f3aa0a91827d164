/* The environment catalogue: every type builds with its defaults, the
 * transition tables match their published definitions entry by entry
 * (RiverSwim, Gymnasium's FrozenLake and CliffWalking, pymdptoolbox's
 * forest, bsuite's deep sea), random instances have the promised structure
 * and repeat with their seed, and bad parameters or map files fail with a
 * clear message.  Reference values come with their source. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/policy.h"

#define SET(k, v)                                                                                  \
  {                                                                                                \
    (k), (v), "--set", 0                                                                           \
  }

static tabrl_mdp *build(const char *name, const tabrl_setting *settings, size_t n)
{
  tabrl_mdp *m = NULL;
  int status = tabrl_env_build(name, settings, n, &m);
  ck_assert_msg(status == 0, "%s: %s", name, tabrl_error_message());
  ck_assert_ptr_nonnull(m);
  return m;
}

/* P(next | s, a) of a stationary model: the sum over the joint entries. */
static double prob_to(const tabrl_mdp *m, int s, int a, int next)
{
  size_t b = tabrl_mdp_block(m, 0, s, a);
  double p = 0;
  for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
    if (m->next[e] == next) p += m->prob[e];
  return p;
}

/* The reward on reaching next from (s, a); checks it is unique. */
static double reward_to(const tabrl_mdp *m, int s, int a, int next)
{
  size_t b = tabrl_mdp_block(m, 0, s, a);
  double r = NAN;
  for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
    if (m->next[e] != next) continue;
    ck_assert_msg(isnan(r) || r == m->reward[e], "(%d,%d)->%d has two rewards", s, a, next);
    r = m->reward[e];
  }
  ck_assert_msg(!isnan(r), "(%d,%d) never reaches %d", s, a, next);
  return r;
}

/* Number of distinct next states of (s, a) (entries are sorted by next). */
static int next_count(const tabrl_mdp *m, int s, int a)
{
  size_t b = tabrl_mdp_block(m, 0, s, a);
  int count = 0;
  for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
    count += e == m->row[b] || m->next[e] != m->next[e - 1];
  return count;
}

/* Checks one (s, a): exactly the listed next states with their
 * probabilities and rewards (n pairs). */
static void expect_row(const tabrl_mdp *m, int s, int a, int n, const int *next, const double *p,
                       const double *r)
{
  ck_assert_msg(next_count(m, s, a) == n, "(%d,%d): %d next states, expected %d", s, a,
                next_count(m, s, a), n);
  for (int i = 0; i < n; i++) {
    ck_assert_msg(fabs(prob_to(m, s, a, next[i]) - p[i]) < 1e-15, "(%d,%d)->%d: p %.17g != %.17g",
                  s, a, next[i], prob_to(m, s, a, next[i]), p[i]);
    ck_assert_msg(reward_to(m, s, a, next[i]) == r[i], "(%d,%d)->%d: r %g != %g", s, a, next[i],
                  reward_to(m, s, a, next[i]), r[i]);
  }
}

#define ROW(m, s, a, ...)                                                                          \
  do {                                                                                             \
    const struct {                                                                                 \
      int next;                                                                                    \
      double p, r;                                                                                 \
    } rows_[] = {__VA_ARGS__};                                                                     \
    int n_ = (int)(sizeof rows_ / sizeof rows_[0]), next_[16];                                     \
    double p_[16], r_[16];                                                                         \
    for (int i_ = 0; i_ < n_; i_++) {                                                              \
      next_[i_] = rows_[i_].next;                                                                  \
      p_[i_] = rows_[i_].p;                                                                        \
      r_[i_] = rows_[i_].r;                                                                        \
    }                                                                                              \
    expect_row((m), (s), (a), n_, next_, p_, r_);                                                  \
  } while (0)

static void check_distributions(const tabrl_mdp *m)
{
  size_t blocks = (size_t)m->stages * m->S * m->A;
  for (size_t b = 0; b < blocks; b++) {
    double total = 0;
    for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
      ck_assert(m->prob[e] >= 0);
      total += m->prob[e];
    }
    if (m->row[b + 1] > m->row[b]) ck_assert_double_eq_tol(total, 1.0, 1e-12);
  }
}

/* Optimal start value: backward induction (episodic) or policy iteration. */
static double optimal_start_value(const tabrl_mdp *m, double *V_out)
{
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), value;
  ck_assert_ptr_nonnull(V);
  if (m->horizon > 0) {
    ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, NULL), 0);
  } else {
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    ck_assert_ptr_nonnull(pi);
    ck_assert_msg(tabrl_oracle_pi(m, 1000, pi, V, NULL, NULL) == 0, "%s", tabrl_error_message());
    tabrl_policy_free(pi);
  }
  value = tabrl_oracle_start_value(m, V);
  if (V_out) memcpy(V_out, V, (size_t)m->S * sizeof *V);
  free(V);
  return value;
}

START_TEST(test_every_type_builds)
{
  for (size_t i = 0; tabrl_env_types[i]; i++) {
    const tabrl_env_type *t = tabrl_env_types[i];
    int has_horizon = 0, has_gamma = 0;
    ck_assert_msg(t->doc && *t->doc && t->source && *t->source, "%s: doc/source", t->name);
    for (const tabrl_param *p = t->params; p->name; p++) {
      has_horizon |= !strcmp(p->name, "horizon");
      has_gamma |= !strcmp(p->name, "gamma");
      ck_assert_msg(p->doc && *p->doc, "%s.%s has no doc", t->name, p->name);
    }
    ck_assert_msg(has_horizon && has_gamma, "%s lacks horizon/gamma", t->name);
    if (!strcmp(t->name, "file")) continue; /* needs a path */
    tabrl_mdp *m = build(t->name, NULL, 0);
    ck_assert_str_eq(m->name, t->name);
    check_distributions(m);
    tabrl_mdp_free(m);
  }
}
END_TEST

START_TEST(test_riverswim_table)
{
  /* Osband, Russo, Van Roy 2013: left deterministic (0.005 at state 0);
   * right: 0.4 stay / 0.6 right at 0, 0.35 / 0.6 / 0.05 in the middle,
   * 0.6 stay / 0.4 left at n-1 with reward 1. */
  const tabrl_setting s[] = {SET("states", "6")};
  tabrl_mdp *m = build("riverswim", s, 1);
  ck_assert_int_eq(m->S, 6);
  ck_assert_int_eq(m->A, 2);
  ck_assert_int_eq(m->horizon, 20);
  ck_assert_double_eq(m->mu0[0], 1.0);
  ROW(m, 0, 0, {0, 1.0, 0.005});
  ROW(m, 0, 1, {0, 0.4, 0.0}, {1, 0.6, 0.0});
  for (int mid = 1; mid <= 4; mid++) {
    ROW(m, mid, 0, {mid - 1, 1.0, 0.0});
    ROW(m, mid, 1, {mid + 1, 0.35, 0.0}, {mid, 0.6, 0.0}, {mid - 1, 0.05, 0.0});
  }
  ROW(m, 5, 0, {4, 1.0, 0.0});
  ROW(m, 5, 1, {5, 0.6, 1.0}, {4, 0.4, 1.0});
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_riverswim_value)
{
  /* RiverSwim(6), H = 20: V*_0(0) = 3.39726395915 (algos/README.md,
   * "Reference values"). */
  const tabrl_setting s[] = {SET("states", "6"), SET("horizon", "20")};
  tabrl_mdp *m = build("riverswim", s, 2);
  ck_assert_double_eq_tol(optimal_start_value(m, NULL), 3.39726395915, 1e-9);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_chain)
{
  const tabrl_setting s[] = {SET("states", "4"), SET("left_reward", "0.1")};
  tabrl_mdp *m = build("chain", s, 2);
  ck_assert_int_eq(m->S, 4);
  ROW(m, 0, 0, {0, 1.0, 0.1});
  ROW(m, 0, 1, {1, 1.0, 0.0});
  ROW(m, 2, 0, {1, 1.0, 0.0});
  ROW(m, 2, 1, {3, 1.0, 0.0});
  ROW(m, 3, 1, {3, 1.0, 1.0});
  tabrl_mdp_free(m);
  /* Defaults n = 10, H = 20: 9 moves to the end, then 11 rewards. */
  m = build("chain", NULL, 0);
  ck_assert_int_eq(m->horizon, 20);
  ck_assert_double_eq_tol(optimal_start_value(m, NULL), 11.0, 1e-12);
  tabrl_mdp_free(m);
}
END_TEST

/* Gymnasium's 4x4 map: SFFF / FHFH / FFFH / HFFG; holes 5, 7, 11, 12. */
START_TEST(test_frozenlake_slippery)
{
  const double third = 1.0 / 3.0;
  tabrl_mdp *m = build("frozenlake", NULL, 0);
  ck_assert_int_eq(m->S, 16);
  ck_assert_int_eq(m->A, 4);
  ck_assert_int_eq(m->horizon, 100); /* FrozenLake-v1's TimeLimit */
  ck_assert_double_eq(m->mu0[0], 1.0);
  ck_assert_ptr_nonnull(m->grid);
  ck_assert_str_eq(m->grid->action_glyphs, "<v>^");
  ck_assert_int_eq(m->grid->cells[5], 'H');
  /* Corner 0: directions (a-1, a, a+1) mod 4; off-map moves stay. */
  ROW(m, 0, 0, {0, 2 * third, 0.0}, {4, third, 0.0}); /* up, left stay; down */
  ROW(m, 0, 1, {0, third, 0.0}, {4, third, 0.0}, {1, third, 0.0});
  ROW(m, 0, 2, {4, third, 0.0}, {1, third, 0.0}, {0, third, 0.0});
  ROW(m, 0, 3, {1, third, 0.0}, {0, 2 * third, 0.0});
  /* Top edge 2. */
  ROW(m, 2, 3, {3, third, 0.0}, {2, third, 0.0}, {1, third, 0.0});
  ROW(m, 2, 1, {1, third, 0.0}, {6, third, 0.0}, {3, third, 0.0});
  /* Middle 9: right may slip up into hole 5. */
  ROW(m, 9, 2, {13, third, 0.0}, {10, third, 0.0}, {5, third, 0.0});
  ROW(m, 9, 0, {5, third, 0.0}, {8, third, 0.0}, {13, third, 0.0});
  /* Next to the goal: 14 right = down (stays), right (goal, 1), up. */
  ROW(m, 14, 2, {14, third, 0.0}, {15, third, 1.0}, {10, third, 0.0});
  ROW(m, 14, 1, {13, third, 0.0}, {14, third, 0.0}, {15, third, 1.0});
  ck_assert_double_eq_tol(m->mean_reward[tabrl_mdp_block(m, 0, 14, 2)], third, 1e-15);
  /* Holes and the goal absorb with reward 0. */
  for (int a = 0; a < 4; a++) {
    ROW(m, 5, a, {5, 1.0, 0.0});
    ROW(m, 12, a, {12, 1.0, 0.0});
    ROW(m, 15, a, {15, 1.0, 0.0});
  }
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_frozenlake_deterministic)
{
  const tabrl_setting s[] = {SET("slippery", "false")};
  tabrl_mdp *m = build("frozenlake", s, 1);
  ROW(m, 0, 0, {0, 1.0, 0.0});
  ROW(m, 0, 1, {4, 1.0, 0.0});
  ROW(m, 0, 2, {1, 1.0, 0.0});
  ROW(m, 0, 3, {0, 1.0, 0.0});
  ROW(m, 3, 2, {3, 1.0, 0.0});
  ROW(m, 9, 3, {5, 1.0, 0.0});
  ROW(m, 14, 2, {15, 1.0, 1.0});
  ROW(m, 11, 0, {11, 1.0, 0.0});
  /* Six moves reach the goal: value 1 within H = 100. */
  ck_assert_double_eq_tol(optimal_start_value(m, NULL), 1.0, 1e-15);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_frozenlake_8x8)
{
  const tabrl_setting s[] = {SET("map", "8x8")};
  tabrl_mdp *m = build("frozenlake", s, 1);
  ck_assert_int_eq(m->S, 64);
  ck_assert_int_eq(m->horizon, 200); /* FrozenLake8x8-v1's TimeLimit */
  ck_assert_int_eq(m->grid->cells[19], 'H');
  ck_assert_int_eq(m->grid->cells[63], 'G');
  ROW(m, 62, 2, {62, 1.0 / 3, 0.0}, {63, 1.0 / 3, 1.0}, {54, 1.0 / 3, 0.0});
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_frozenlake_value)
{
  /* V*(0) at gamma 0.99 by value iteration on an independent Python
   * transcription of Gymnasium's FrozenLake P (terminal = no bootstrap):
   * 0.542025932000, the commonly published 4x4 table (0.542, 0.499, ...). */
  const tabrl_setting s[] = {SET("gamma", "0.99")};
  tabrl_mdp *m = build("frozenlake", s, 1);
  double V[16];
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq_tol(optimal_start_value(m, V), 0.542025932000, 1e-9);
  ck_assert_double_eq_tol(V[14], 0.862837430149, 1e-9);
  ck_assert_double_eq_tol(V[6], 0.358348071983, 1e-9);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_cliffwalking)
{
  /* Gymnasium CliffWalking-v0: 0 up, 1 right, 2 down, 3 left; start 36. */
  tabrl_mdp *m = build("cliffwalking", NULL, 0);
  ck_assert_int_eq(m->S, 48);
  ck_assert_int_eq(m->horizon, 100);
  ck_assert_double_eq(m->mu0[36], 1.0);
  ck_assert_str_eq(m->grid->action_glyphs, "^>v<");
  ROW(m, 36, 0, {24, 1.0, -1.0});
  ROW(m, 36, 1, {36, 1.0, -100.0}); /* into the cliff: back to start */
  ROW(m, 36, 2, {36, 1.0, -1.0});   /* off the grid: stay */
  ROW(m, 36, 3, {36, 1.0, -1.0});
  ROW(m, 25, 2, {36, 1.0, -100.0});
  ROW(m, 34, 2, {36, 1.0, -100.0});
  ROW(m, 35, 2, {47, 1.0, -1.0}); /* entering the goal still costs 1 */
  ROW(m, 24, 1, {25, 1.0, -1.0});
  for (int a = 0; a < 4; a++) ROW(m, 47, a, {47, 1.0, 0.0});
  /* The optimal path hugs the cliff: up, 11 rights, down. */
  ck_assert_double_eq_tol(optimal_start_value(m, NULL), -13.0, 1e-12);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_forest)
{
  /* pymdptoolbox forest(S=3, r1=4, r2=2, p=0.1). */
  tabrl_mdp *m = build("forest", NULL, 0);
  double V[3];
  ck_assert_int_eq(m->S, 3);
  ck_assert_int_eq(m->A, 2);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.9);
  ROW(m, 0, 0, {0, 0.1, 0.0}, {1, 0.9, 0.0});
  ROW(m, 1, 0, {0, 0.1, 0.0}, {2, 0.9, 0.0});
  ROW(m, 2, 0, {0, 0.1, 4.0}, {2, 0.9, 4.0});
  ROW(m, 0, 1, {0, 1.0, 0.0});
  ROW(m, 1, 1, {0, 1.0, 1.0});
  ROW(m, 2, 1, {0, 1.0, 2.0});
  /* mdptoolbox.mdp.PolicyIteration(P, R, 0.9).V = (26.244, 29.484,
   * 33.484); solving the wait policy's linear system exactly gives the
   * rationals 6561/250, 7371/250, 8371/250. */
  optimal_start_value(m, V);
  ck_assert_double_eq_tol(V[0], 26.244, 1e-9);
  ck_assert_double_eq_tol(V[1], 29.484, 1e-9);
  ck_assert_double_eq_tol(V[2], 33.484, 1e-9);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_garnet_structure)
{
  const tabrl_setting s[] = {SET("states", "30"), SET("actions", "3"), SET("branching", "4"),
                             SET("seed", "7")};
  tabrl_mdp *m = build("garnet", s, 4);
  ck_assert_int_eq(m->S, 30);
  ck_assert_int_eq(m->A, 3);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.9);
  check_distributions(m);
  for (int st = 0; st < 30; st++)
    for (int a = 0; a < 3; a++) {
      size_t b = tabrl_mdp_block(m, 0, st, a);
      ck_assert_int_eq(next_count(m, st, a), 4);
      ck_assert_uint_eq(m->row[b + 1] - m->row[b], 4); /* one reward per (s,a) */
      for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
        ck_assert_double_eq(m->reward[e], m->reward[m->row[b]]);
        ck_assert(m->reward[e] >= 0 && m->reward[e] < 1);
      }
    }
  tabrl_mdp_free(m);
}
END_TEST

static int same_model(const tabrl_mdp *x, const tabrl_mdp *y)
{
  if (x->S != y->S || x->A != y->A || x->nnz != y->nnz) return 0;
  for (size_t b = 0; b <= (size_t)x->S * x->A; b++)
    if (x->row[b] != y->row[b]) return 0;
  for (size_t e = 0; e < x->nnz; e++)
    if (x->next[e] != y->next[e] || x->prob[e] != y->prob[e] || x->reward[e] != y->reward[e])
      return 0;
  return 1;
}

START_TEST(test_garnet_seeds)
{
  const tabrl_setting s1[] = {SET("seed", "1")}, s2[] = {SET("seed", "2")};
  tabrl_mdp *a = build("garnet", s1, 1), *b = build("garnet", s1, 1), *c = build("garnet", s2, 1);
  ck_assert(same_model(a, b));
  ck_assert(!same_model(a, c));
  tabrl_mdp_free(a);
  tabrl_mdp_free(b);
  tabrl_mdp_free(c);
}
END_TEST

START_TEST(test_garnet_branching_too_large)
{
  const tabrl_setting s[] = {SET("states", "3"), SET("branching", "4")};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("garnet", s, 2, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "branching"));
}
END_TEST

START_TEST(test_bad_parameter)
{
  const tabrl_setting s[] = {SET("states", "0")};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("garnet", s, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "states"));
  ck_assert_int_eq(tabrl_env_build("chain", s, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "states"));
}
END_TEST

START_TEST(test_bandit_given_means)
{
  const tabrl_setting s[] = {SET("means", "0.2, 0.7,0.5")};
  tabrl_mdp *m = build("bandit", s, 1);
  const double means[3] = {0.2, 0.7, 0.5};
  ck_assert_int_eq(m->S, 1);
  ck_assert_int_eq(m->A, 3);
  ck_assert_int_eq(m->horizon, 1);
  ck_assert_int_eq(m->noise.kind, TABRL_NOISE_NONE);
  for (int a = 0; a < 3; a++) {
    size_t b = tabrl_mdp_block(m, 0, 0, a);
    ck_assert_uint_eq(m->row[b + 1] - m->row[b], 2);
    /* Sorted by reward: 0 w.p. 1 - mean, then 1 w.p. mean. */
    ck_assert_double_eq(m->reward[m->row[b]], 0.0);
    ck_assert_double_eq_tol(m->prob[m->row[b]], 1 - means[a], 1e-15);
    ck_assert_double_eq(m->reward[m->row[b] + 1], 1.0);
    ck_assert_double_eq(m->prob[m->row[b] + 1], means[a]);
    ck_assert_double_eq_tol(m->mean_reward[b], means[a], 1e-15);
  }
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_bandit_gaussian_and_drawn)
{
  const tabrl_setting g[] = {SET("kind", "gaussian"), SET("means", "1,-2"), SET("sigma", "2")};
  const tabrl_setting d[] = {SET("arms", "5"), SET("seed", "3")};
  tabrl_mdp *m = build("bandit", g, 3), *x, *y;
  ck_assert_int_eq(m->A, 2);
  ck_assert_int_eq(m->noise.kind, TABRL_NOISE_GAUSSIAN);
  ck_assert_double_eq(m->noise.scale, 2.0);
  ck_assert_double_eq(m->mean_reward[1], -2.0);
  tabrl_mdp_free(m);
  x = build("bandit", d, 2);
  y = build("bandit", d, 2);
  ck_assert_int_eq(x->A, 5);
  ck_assert(same_model(x, y));
  for (int a = 0; a < 5; a++) ck_assert(x->mean_reward[a] >= 0 && x->mean_reward[a] <= 1);
  tabrl_mdp_free(x);
  tabrl_mdp_free(y);
}
END_TEST

START_TEST(test_bandit_bad_means)
{
  const tabrl_setting count[] = {SET("arms", "4"), SET("means", "0.1,0.2")};
  const tabrl_setting range[] = {SET("means", "0.1,1.5")};
  const tabrl_setting junk[] = {SET("means", "0.1,x")};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("bandit", count, 2, &m), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_env_build("bandit", range, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "1.5"));
  ck_assert_int_eq(tabrl_env_build("bandit", junk, 1, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_contextual_bandit)
{
  const tabrl_setting s[] = {SET("contexts", "3"), SET("arms", "4"), SET("seed", "5")};
  tabrl_mdp *m = build("contextual-bandit", s, 3);
  ck_assert_int_eq(m->S, 3);
  ck_assert_int_eq(m->A, 4);
  ck_assert_int_eq(m->horizon, 1);
  ck_assert_int_eq(m->dim, 12);
  check_distributions(m);
  for (int c = 0; c < 3; c++) {
    ck_assert_double_eq_tol(m->mu0[c], 1.0 / 3, 1e-15);
    for (int a = 0; a < 4; a++) {
      size_t b = tabrl_mdp_block(m, 0, c, a);
      double dot = 0;
      for (int i = 0; i < 12; i++) dot += m->phi[b * 12 + i] * m->theta[i];
      ck_assert_double_eq_tol(m->mean_reward[b], dot, 1e-12);
      for (int next = 0; next < 3; next++)
        ck_assert_double_eq_tol(prob_to(m, c, a, next), 1.0 / 3, 1e-14);
    }
  }
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_linear)
{
  const tabrl_setting s[] = {SET("states", "15"), SET("actions", "3"), SET("dim", "4"),
                             SET("seed", "9")};
  tabrl_mdp *m = build("linear", s, 4), *again = build("linear", s, 4);
  ck_assert_int_eq(m->dim, 4);
  ck_assert_int_eq(m->horizon, 20);
  ck_assert_ptr_nonnull(m->phi);
  ck_assert_ptr_nonnull(m->theta);
  ck_assert(same_model(m, again));
  check_distributions(m);
  for (int i = 0; i < 4; i++) ck_assert(m->theta[i] >= 0 && m->theta[i] <= 1);
  for (int st = 0; st < 15; st++)
    for (int a = 0; a < 3; a++) {
      size_t b = tabrl_mdp_block(m, 0, st, a);
      double dot = 0, mass = 0;
      for (int i = 0; i < 4; i++) {
        ck_assert(m->phi[b * 4 + i] >= 0);
        mass += m->phi[b * 4 + i];
        dot += m->phi[b * 4 + i] * m->theta[i];
      }
      ck_assert_double_eq_tol(mass, 1.0, 1e-12); /* phi on the simplex */
      ck_assert_double_eq_tol(m->mean_reward[b], dot, 1e-12);
      ck_assert_int_eq(next_count(m, st, a), 15); /* Dirichlet mixtures: dense rows */
    }
  tabrl_mdp_free(m);
  tabrl_mdp_free(again);
}
END_TEST

START_TEST(test_deepsea_plain)
{
  /* bsuite deep_sea, size 5, no randomization: action 1 is right
   * everywhere; right costs 0.01/5 and pays 1 more at the bottom right. */
  const tabrl_setting s[] = {SET("size", "5"), SET("randomize", "false")};
  tabrl_mdp *m = build("deepsea", s, 2);
  const double cost = 0.01 / 5;
  ck_assert_int_eq(m->S, 26);
  ck_assert_int_eq(m->horizon, 5);
  ROW(m, 0, 0, {5, 1.0, 0.0});    /* down-left, clamped at the edge */
  ROW(m, 0, 1, {6, 1.0, -cost});  /* down-right */
  ROW(m, 8, 1, {14, 1.0, -cost}); /* (1,3) -> (2,4) */
  ROW(m, 14, 1, {19, 1.0, -cost});
  ROW(m, 14, 0, {18, 1.0, 0.0});
  ROW(m, 24, 1, {25, 1.0, 1.0 - cost}); /* the treasure, then the end */
  ROW(m, 24, 0, {25, 1.0, 0.0});
  ROW(m, 20, 1, {25, 1.0, -cost});
  ROW(m, 25, 0, {25, 1.0, 0.0});
  ck_assert_double_eq_tol(optimal_start_value(m, NULL), 0.99, 1e-12);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_deepsea_randomized)
{
  const tabrl_setting s[] = {SET("size", "10"), SET("seed", "4")};
  tabrl_mdp *m = build("deepsea", s, 2), *again = build("deepsea", s, 2);
  int flipped = 0;
  ck_assert_int_eq(m->horizon, 10);
  ck_assert(same_model(m, again));
  for (int cell = 0; cell < 100; cell++) {
    /* Exactly one action costs 0.001 (or pays 0.999 at the corner). */
    double r0 = m->mean_reward[tabrl_mdp_block(m, 0, cell, 0)];
    double r1 = m->mean_reward[tabrl_mdp_block(m, 0, cell, 1)];
    ck_assert((r0 == 0) != (r1 == 0));
    flipped += r0 != 0;
  }
  ck_assert_int_gt(flipped, 20); /* Binomial(100, 1/2) */
  ck_assert_int_lt(flipped, 80);
  ck_assert_double_eq_tol(optimal_start_value(m, NULL), 0.99, 1e-12);
  tabrl_mdp_free(m);
  tabrl_mdp_free(again);
}
END_TEST

START_TEST(test_gridworld_builtin_maps)
{
  static const struct {
    const char *map;
    int S, rows, cols;
  } maps[] = {{"open5", 25, 5, 5}, {"fourrooms", 104, 13, 13}, {"cliff", 48, 4, 12}};
  for (int i = 0; i < 3; i++) {
    const tabrl_setting s[] = {SET("map", maps[i].map)};
    tabrl_mdp *m = build("gridworld", s, 1);
    int walls = 0, seen = 0;
    ck_assert_int_eq(m->S, maps[i].S);
    ck_assert_int_eq(m->grid->rows, maps[i].rows);
    ck_assert_int_eq(m->grid->cols, maps[i].cols);
    ck_assert_str_eq(m->grid->action_glyphs, "<v>^");
    for (int c = 0; c < maps[i].rows * maps[i].cols; c++) {
      int state = m->grid->state_of_cell[c];
      if (m->grid->cells[c] == '#') {
        ck_assert_int_eq(state, -1);
        walls++;
      } else {
        ck_assert_int_eq(state, seen++); /* row-major over non-wall cells */
      }
      if (m->grid->cells[c] == 'S') ck_assert_double_eq(m->mu0[state], 1.0);
    }
    ck_assert_int_eq(seen, maps[i].S);
    ck_assert_int_eq(walls, maps[i].rows * maps[i].cols - maps[i].S);
    tabrl_mdp_free(m);
  }
}
END_TEST

START_TEST(test_gridworld_moves)
{
  /* open5, slip 0.1: intended 0.9, each perpendicular 0.05. */
  tabrl_mdp *m = build("gridworld", NULL, 0);
  ROW(m, 0, 2, {1, 0.9, 0.0}, {5, 0.05, 0.0}, {0, 0.05, 0.0}); /* right; slips down / up */
  ROW(m, 0, 0, {0, 0.95, 0.0}, {5, 0.05, 0.0});                /* left into the edge */
  ROW(m, 23, 2, {24, 0.9, 1.0}, {23, 0.05, 0.0}, {18, 0.05, 0.0});
  for (int a = 0; a < 4; a++) ROW(m, 24, a, {24, 1.0, 0.0});
  tabrl_mdp_free(m);
  /* cliff map: traps absorb and pay trap_reward once. */
  const tabrl_setting s[] = {SET("map", "cliff"), SET("slip", "0"), SET("step_reward", "-1"),
                             SET("trap_reward", "-50")};
  m = build("gridworld", s, 4);
  ROW(m, 36, 2, {37, 1.0, -50.0}); /* into a trap (X) */
  ROW(m, 36, 3, {24, 1.0, -1.0});
  ROW(m, 37, 3, {37, 1.0, 0.0});
  ROW(m, 35, 1, {47, 1.0, 1.0}); /* into the goal */
  tabrl_mdp_free(m);
}
END_TEST

static void write_file(char *path, const char *text)
{
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

/* "file:PATH" for an env value. */
static void file_value(char *out, size_t size, const char *path)
{
  snprintf(out, size, "file:%s", path);
}

START_TEST(test_preference_bandit)
{
  char prefs[] = "/tmp/tabrl_test_pref_XXXXXX", ref[] = "/tmp/tabrl_test_ref_XXXXXX";
  char rewards[] = "/tmp/tabrl_test_rew_XXXXXX", pv[64], rv[64], wv[64];
  /* Rock-paper-scissors given once per pair, one pair twice (consistently)
   * and one diagonal row; reference logits 0, log 2, log 3 -> 1/6, 2/6, 3/6. */
  write_file(prefs, "i,j,p\n0,1,1\n1,2,1\n2,0,1\n0,2,0\n1,1,0.5\n");
  write_file(ref, "# logits\ni,logit\n0,0\n1,0.69314718055994531\n2,1.0986122886681098\n");
  write_file(rewards, "context,response,reward\n0,0,1\n0,1,2\n0,2,3\n1,0,-1\n1,1,-2\n1,2,-3\n");
  file_value(pv, sizeof pv, prefs);
  file_value(rv, sizeof rv, ref);
  file_value(wv, sizeof wv, rewards);
  {
    const tabrl_setting s[] = {SET("preferences", pv), SET("reference", rv), SET("beta", "0.1")};
    tabrl_mdp *m = build("preference-bandit", s, 3);
    ck_assert_int_eq(m->S, 1);
    ck_assert_int_eq(m->A, 3);
    ck_assert_int_eq(m->horizon, 1);
    ck_assert_double_eq(m->game_beta, 0.1);
    ck_assert_double_eq(m->preference[0 * 3 + 1], 1);
    ck_assert_double_eq(m->preference[1 * 3 + 0], 0);
    ck_assert_double_eq(m->preference[2 * 3 + 0], 1);
    ck_assert_double_eq(m->preference[1 * 3 + 1], 0.5);
    for (int a = 0; a < 3; a++) {
      ck_assert_double_eq_tol(m->reference[a], (a + 1) / 6.0, 1e-15);
      ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 0, a)], 0); /* preferences only */
    }
    tabrl_mdp_free(m);
  }
  {
    const tabrl_setting s[] = {SET("contexts", "2"), SET("rewards", wv)};
    tabrl_mdp *m = build("preference-bandit", s, 2);
    ck_assert_ptr_null(m->preference);
    ck_assert_ptr_null(m->reference);
    ck_assert_double_eq(m->mu0[1], 0.5);
    ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 1, 2)], -3);
    ck_assert_double_eq(prob_to(m, 1, 2, 1), 1);
    tabrl_mdp_free(m);
  }
  {
    const tabrl_setting s[] = {SET("rewards", "0.5, 1.5,2.5")};
    tabrl_mdp *m = build("preference-bandit", s, 1);
    ck_assert_double_eq(m->mean_reward[tabrl_mdp_block(m, 0, 0, 1)], 1.5);
    tabrl_mdp_free(m);
  }
  {
    /* random: P + P^T = 1 exactly, repeatable with the seed, references
     * that are distributions and differ between contexts. */
    const tabrl_setting s[] = {SET("responses", "10"), SET("contexts", "2"),
                               SET("preferences", "random"), SET("reference", "random"),
                               SET("seed", "4")};
    tabrl_mdp *m = build("preference-bandit", s, 5), *again = build("preference-bandit", s, 5);
    ck_assert_mem_eq(m->preference, again->preference, 100 * sizeof(double));
    ck_assert_mem_eq(m->reference, again->reference, 20 * sizeof(double));
    for (int i = 0; i < 10; i++)
      for (int j = 0; j < 10; j++)
        ck_assert_double_eq(m->preference[i * 10 + j] + m->preference[j * 10 + i], 1);
    ck_assert_double_ne(m->reference[0], m->reference[10]);
    tabrl_mdp_free(m);
    tabrl_mdp_free(again);
  }
  unlink(prefs);
  unlink(ref);
  unlink(rewards);
}
END_TEST

/* Each bad file fails with FILE:LINE (or FILE and the missing item). */
START_TEST(test_preference_bandit_bad_files)
{
  static const struct {
    const char *key, *text, *line, *what;
  } cases[] = {
      {"preferences", "i,j,p\n0,1,0.7\n1,0,0.4\n0,2,0.5\n1,2,0.5\n", ":3:", "must be 1"},
      {"preferences", "i,j,p\n0,1,0.7\n2,2,0.4\n", ":3:", "the diagonal must be 1/2"},
      {"preferences", "i,j,p\n0,1,0.7\n1,3,0.4\n", ":3:", "response j 3 out of range [0,3)"},
      {"preferences", "i,j,p\n0,1,0.7\n1,2,0.4\n", ":", "the pair (0, 2) is missing"},
      {"preferences", "i,j,p\n0,1,abc\n", ":2:", "'abc' is not a number"},
      {"preferences", "i,j,p\n0,1,1.5\n", ":2:", "p = 1.5 is not a probability"},
      {"preferences", "a,b,c\n", ":1:", "the header must be 'i,j,p'"},
      {"reference", "i,logit\n0,1\n2,1\n", ":", "no logit for response 1"},
      {"reference", "i,logit\n0,1\n0,2\n", ":3:", "given twice"},
      {"rewards", "response,reward\n0,1\n1,2\n", ":", "no reward for context 0, response 2"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char path[] = "/tmp/tabrl_test_pref_XXXXXX", value[64], expect[96];
    tabrl_mdp *m = NULL;
    write_file(path, cases[k].text);
    file_value(value, sizeof value, path);
    const tabrl_setting s[] = {SET(cases[k].key, value)};
    ck_assert_int_eq(tabrl_env_build("preference-bandit", s, 1, &m), TABRL_EINVAL);
    ck_assert_ptr_null(m);
    snprintf(expect, sizeof expect, "%s%s", path, cases[k].line);
    ck_assert_msg(strstr(tabrl_error_message(), expect) &&
                      strstr(tabrl_error_message(), cases[k].what),
                  "case %zu: %s", k, tabrl_error_message());
    unlink(path);
  }
}
END_TEST

START_TEST(test_gridworld_map_file)
{
  char good[] = "/tmp/tabrl_test_map_XXXXXX", bad[] = "/tmp/tabrl_test_map_XXXXXX";
  char ragged[] = "/tmp/tabrl_test_map_XXXXXX", expect[64];
  tabrl_mdp *m = NULL;
  write_file(good, "S.#\n.#G\r\n...\n\n");
  write_file(bad, "S..\n.Q.\n..G\n");
  write_file(ragged, "S..\n..\n..G\n");
  {
    const tabrl_setting s[] = {SET("map_file", good), SET("slip", "0")};
    m = build("gridworld", s, 2);
    ck_assert_int_eq(m->S, 7);
    ck_assert_int_eq(m->grid->state_of_cell[2], -1);
    ck_assert_int_eq(m->grid->state_of_cell[5], 3); /* G */
    ROW(m, 0, 2, {1, 1.0, 0.0});
    ROW(m, 1, 2, {1, 1.0, 0.0}); /* into a wall: stay */
    ROW(m, 6, 3, {3, 1.0, 1.0}); /* up into G */
    tabrl_mdp_free(m);
  }
  {
    const tabrl_setting s[] = {SET("map_file", bad)};
    ck_assert_int_eq(tabrl_env_build("gridworld", s, 1, &m), TABRL_EINVAL);
    snprintf(expect, sizeof expect, "%s:2:", bad);
    ck_assert_msg(strstr(tabrl_error_message(), expect), "%s", tabrl_error_message());
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "'Q'"));
  }
  {
    const tabrl_setting s[] = {SET("map_file", ragged)};
    ck_assert_int_eq(tabrl_env_build("gridworld", s, 1, &m), TABRL_EINVAL);
    snprintf(expect, sizeof expect, "%s:2:", ragged);
    ck_assert_msg(strstr(tabrl_error_message(), expect), "%s", tabrl_error_message());
  }
  {
    const tabrl_setting s[] = {SET("map_file", "/nonexistent/tabrl.map")};
    ck_assert_int_eq(tabrl_env_build("gridworld", s, 1, &m), TABRL_EIO);
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "/nonexistent/tabrl.map"));
  }
  {
    const tabrl_setting s[] = {SET("map_file", good), SET("map", "open5")};
    ck_assert_int_eq(tabrl_env_build("gridworld", s, 2, &m), TABRL_EINVAL);
  }
  ck_assert_ptr_null(m);
  unlink(good);
  unlink(bad);
  unlink(ragged);
}
END_TEST

START_TEST(test_time_convention)
{
  const tabrl_setting g[] = {SET("gamma", "0.95")}, h[] = {SET("horizon", "7")};
  const tabrl_setting both[] = {SET("gamma", "0.95"), SET("horizon", "7")};
  tabrl_mdp *m = build("deepsea", g, 1);
  ck_assert_int_eq(m->horizon, 0);
  ck_assert_double_eq(m->gamma, 0.95);
  tabrl_mdp_free(m);
  m = build("forest", h, 1);
  ck_assert_int_eq(m->horizon, 7);
  tabrl_mdp_free(m);
  m = NULL;
  ck_assert_int_eq(tabrl_env_build("frozenlake", both, 2, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("envs");
  TCase *tc = tcase_create("catalogue");
  tcase_add_test(tc, test_every_type_builds);
  tcase_add_test(tc, test_riverswim_table);
  tcase_add_test(tc, test_riverswim_value);
  tcase_add_test(tc, test_chain);
  tcase_add_test(tc, test_frozenlake_slippery);
  tcase_add_test(tc, test_frozenlake_deterministic);
  tcase_add_test(tc, test_frozenlake_8x8);
  tcase_add_test(tc, test_frozenlake_value);
  tcase_add_test(tc, test_cliffwalking);
  tcase_add_test(tc, test_forest);
  tcase_add_test(tc, test_garnet_structure);
  tcase_add_test(tc, test_garnet_seeds);
  tcase_add_test(tc, test_garnet_branching_too_large);
  tcase_add_test(tc, test_bad_parameter);
  tcase_add_test(tc, test_bandit_given_means);
  tcase_add_test(tc, test_bandit_gaussian_and_drawn);
  tcase_add_test(tc, test_bandit_bad_means);
  tcase_add_test(tc, test_contextual_bandit);
  tcase_add_test(tc, test_preference_bandit);
  tcase_add_test(tc, test_preference_bandit_bad_files);
  tcase_add_test(tc, test_linear);
  tcase_add_test(tc, test_deepsea_plain);
  tcase_add_test(tc, test_deepsea_randomized);
  tcase_add_test(tc, test_gridworld_builtin_maps);
  tcase_add_test(tc, test_gridworld_moves);
  tcase_add_test(tc, test_gridworld_map_file);
  tcase_add_test(tc, test_time_convention);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
