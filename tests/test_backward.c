/* The shared backward induction (algos/common/backward.h): the order of the
 * backup calls, invalid actions, both tie rules, policy evaluation, and a
 * risk-sensitive backup written as one more hook, each against hand
 * computations. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "common/backward.h"
#include "tabrl/error.h"

/* A table hook: Q_h(s,a) = table[(h*S + s)*A + a] + next_V[0], and a log of
 * the calls. */
typedef struct {
  int S, A;
  const double *table;
  const unsigned char *valid;
  const long *key; /* per (s, a) */
  int calls[64][3];
  int n_calls;
} table_ctx;

static double table_backup(void *ctx, int h, int s, int a, const double *next_V)
{
  table_ctx *c = ctx;
  if (c->n_calls < 64) {
    c->calls[c->n_calls][0] = h;
    c->calls[c->n_calls][1] = s;
    c->calls[c->n_calls][2] = a;
  }
  c->n_calls++;
  return c->table[((size_t)h * c->S + s) * c->A + a] + next_V[0];
}

static int table_valid(const void *ctx, int h, int s, int a)
{
  const table_ctx *c = ctx;
  (void)h;
  return c->valid[s * c->A + a];
}

static long table_key(const void *ctx, int h, int s, int a)
{
  const table_ctx *c = ctx;
  (void)h;
  return c->key[s * c->A + a];
}

static const tabrl_backup_hooks table_hooks = {.backup = table_backup, .valid = table_valid};
static const tabrl_backup_hooks keyed_hooks = {
    .backup = table_backup, .valid = table_valid, .tie_key = table_key};

/* S = 2, A = 3, H = 2; action 1 invalid at state 0. */
static const double table[2 * 2 * 3] = {
    /* h = 0 */ 1.0,  99.0, 3.0, /* s = 1 */ 2.0, 2.0, 0.5,
    /* h = 1 */ 0.25, 99.0, 0.5, /* s = 1 */ 1.0, 1.0, 1.0};
static const unsigned char valid[2 * 3] = {1, 0, 1, 1, 1, 1};

START_TEST(test_order_values_and_lowest_index_ties)
{
  table_ctx c = {.S = 2, .A = 3, .table = table, .valid = valid};
  double V[3 * 2], Q[2 * 2 * 3];
  int plan[2 * 2];
  tabrl_backward(&table_hooks, &c,
                 &(tabrl_backward_out){.S = 2, .A = 3, .H = 2, .V = V, .Q = Q, .plan = plan});
  /* One call per valid (h, s, a): h = 1 then 0, s ascending, a ascending. */
  static const int order[10][3] = {{1, 0, 0}, {1, 0, 2}, {1, 1, 0}, {1, 1, 1}, {1, 1, 2},
                                   {0, 0, 0}, {0, 0, 2}, {0, 1, 0}, {0, 1, 1}, {0, 1, 2}};
  ck_assert_int_eq(c.n_calls, 10);
  for (int i = 0; i < 10; i++)
    for (int j = 0; j < 3; j++) ck_assert_int_eq(c.calls[i][j], order[i][j]);
  /* V_2 = 0; V_1 = (0.5, 1) with ties at s = 1 to action 0;
   * V_0(s) = max_a table + V_1(0) = (3.5, 2.5), the 99 of the invalid
   * action never counts, ties at s = 1 (2.5, 2.5) go to action 0. */
  ck_assert_double_eq(V[4], 0.0);
  ck_assert_double_eq(V[5], 0.0);
  ck_assert_double_eq(V[2], 0.5);
  ck_assert_double_eq(V[3], 1.0);
  ck_assert_double_eq(V[0], 3.5);
  ck_assert_double_eq(V[1], 2.5);
  ck_assert_int_eq(plan[2], 2);
  ck_assert_int_eq(plan[3], 0);
  ck_assert_int_eq(plan[0], 2);
  ck_assert_int_eq(plan[1], 0);
  ck_assert(isinf(Q[1]) && Q[1] < 0);
  ck_assert(isinf(Q[7]) && Q[7] < 0);
  ck_assert_double_eq(Q[0], 1.5);
  ck_assert_double_eq(Q[5], 1.0);
}
END_TEST

START_TEST(test_tie_key)
{
  /* Keys at state 1: actions 0 and 1 tie in Q at both stages; key 5 vs 2
   * picks action 1.  At state 0 no tie: the key is not consulted. */
  static const long key[2 * 3] = {9, 0, 0, 5, 2, 2};
  table_ctx c = {.S = 2, .A = 3, .table = table, .valid = valid, .key = key};
  double V[3 * 2];
  int plan[2 * 2];
  tabrl_backward(&keyed_hooks, &c,
                 &(tabrl_backward_out){.S = 2, .A = 3, .H = 2, .V = V, .plan = plan});
  /* h = 1, s = 1: Q = (1, 1, 1), keys (5, 2, 2): the lowest key, then the
   * lowest index: action 1.  h = 0, s = 1: Q = (2.5, 2.5, 1): action 1. */
  ck_assert_int_eq(plan[3], 1);
  ck_assert_int_eq(plan[1], 1);
  ck_assert_int_eq(plan[2], 2);
  ck_assert_int_eq(plan[0], 2);
  ck_assert_double_eq(V[1], 2.5);
}
END_TEST

START_TEST(test_evaluate_policy)
{
  table_ctx c = {.S = 2, .A = 3, .table = table, .valid = valid};
  tabrl_policy *pi = tabrl_policy_alloc(2, 3, 2);
  ck_assert_ptr_nonnull(pi);
  double V[3 * 2];
  for (int h = 0; h < 2; h++) {
    double *row = tabrl_policy_row(pi, h, 0);
    row[0] = 0.25, row[1] = 0, row[2] = 0.75;
    row = tabrl_policy_row(pi, h, 1);
    row[0] = 0, row[1] = 0.5, row[2] = 0.5;
  }
  tabrl_backward(&table_hooks, &c, &(tabrl_backward_out){.S = 2, .A = 3, .H = 2, .V = V, .pi = pi});
  /* V_1 = (0.25*0.25 + 0.75*0.5, 0.5*1 + 0.5*1) = (0.4375, 1);
   * V_0(0) = 0.25*1 + 0.75*3 + 0.4375 = 2.9375,
   * V_0(1) = 0.5*2 + 0.5*0.5 + 0.4375 = 1.6875.  The backup is called
   * only where pi > 0: 2 actions per (h, s). */
  ck_assert_double_eq(V[2], 0.4375);
  ck_assert_double_eq(V[3], 1.0);
  ck_assert_double_eq_tol(V[0], 2.9375, 1e-15);
  ck_assert_double_eq_tol(V[1], 1.6875, 1e-15);
  ck_assert_int_eq(c.n_calls, 8);
  tabrl_policy_free(pi);
}
END_TEST

/* Exponential utility, Q = (1/beta) log E exp(beta (r + V(s'))), over the
 * model's joint (s', r) entries, shifted by the largest exponent: the
 * risk-sensitive backup the header promises is one hook. */
typedef struct {
  const tabrl_mdp *m;
  double beta;
} risk_ctx;

static double risk_backup(void *ctx, int h, int s, int a, const double *next_V)
{
  const risk_ctx *c = ctx;
  const tabrl_mdp *m = c->m;
  size_t b = tabrl_mdp_block(m, h, s, a), lo = m->row[b], hi = m->row[b + 1];
  double top = -INFINITY, sum = 0;
  for (size_t e = lo; e < hi; e++) top = fmax(top, c->beta * (m->reward[e] + next_V[m->next[e]]));
  for (size_t e = lo; e < hi; e++)
    sum += m->prob[e] * exp(c->beta * (m->reward[e] + next_V[m->next[e]]) - top);
  return (top + log(sum)) / c->beta;
}

static int risk_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_mdp_valid(((const risk_ctx *)ctx)->m, h, s, a);
}

static const tabrl_backup_hooks risk_hooks = {.backup = risk_backup, .valid = risk_valid};

START_TEST(test_risk_sensitive_hook)
{
  /* One state, H = 2: action 0 pays 0.5 surely, action 1 pays 1 with
   * probability 0.6, else 0 (mean 0.6, risk-neutral choice). */
  tabrl_mdp_builder *bld = tabrl_mdp_builder_alloc(1, 2, 1);
  tabrl_mdp *m = NULL;
  ck_assert_ptr_nonnull(bld);
  tabrl_mdp_builder_add(bld, 0, 0, 0, 0, 1.0, 0.5);
  tabrl_mdp_builder_add(bld, 0, 0, 1, 0, 0.6, 1.0);
  tabrl_mdp_builder_add(bld, 0, 0, 1, 0, 0.4, 0.0);
  tabrl_mdp_builder_set_time(bld, 2, 1.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(bld, &m), 0);
  tabrl_mdp_builder_free(bld);
  for (int sign = -1; sign <= 1; sign += 2) {
    double beta = 2.0 * sign, V[3];
    int plan[2];
    risk_ctx c = {m, beta};
    tabrl_backward(&risk_hooks, &c,
                   &(tabrl_backward_out){.S = 1, .A = 2, .H = 2, .V = V, .plan = plan});
    /* The certainty equivalent of the gamble, directly; the next value is
     * a constant, so it adds. */
    double ce = log(0.6 * exp(beta) + 0.4) / beta;
    double best = fmax(ce, 0.5);
    ck_assert_double_eq_tol(V[1], best, 1e-14);
    ck_assert_double_eq_tol(V[0], 2 * best, 1e-14);
    /* beta = -2 (risk-averse): ce = 0.36573 < 0.5, the sure action;
     * beta = +2 (risk-seeking): ce = 0.78778, the gamble. */
    ck_assert_int_eq(plan[0], sign < 0 ? 0 : 1);
    ck_assert_int_eq(plan[1], sign < 0 ? 0 : 1);
    ck_assert(sign < 0 ? fabs(ce - 0.36573493) < 1e-8 : fabs(ce - 0.78777856) < 1e-8);
  }
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("backward");
  TCase *tc = tcase_create("driver");
  tcase_add_test(tc, test_order_values_and_lowest_index_ties);
  tcase_add_test(tc, test_tie_key);
  tcase_add_test(tc, test_evaluate_policy);
  tcase_add_test(tc, test_risk_sensitive_hook);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
