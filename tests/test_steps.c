/* The solver recorder (tabrl/steps.h): value iteration, policy iteration
 * and backward induction step by step on models solved by hand, and the
 * final step against the oracle's own result, bit for bit. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"
#include "tabrl/steps.h"

/* gamma 1/2.  State 0: action 0 stays (r = 0), action 1 moves to 1 (r = 0).
 * State 1: action 0 stays (r = 1), action 1 moves to 0 (r = 0).
 * V* = (1, 2), pi* = (1, 0).  Value iteration from 0:
 * V_k(1) = 2 (1 - 2^-k), V_k(0) = V_k-1(1) / 2 = 1 - 2^(1-k) (k >= 1). */
static tabrl_mdp *two_state(void)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 0, 0.5);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 1.0);
  tabrl_mdp_builder_add(b, 0, 1, 1, 0, 1.0, 0.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

START_TEST(test_vi_by_hand)
{
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_steps *r;
  double V[2];
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_VI, 1e-3, V, pi, NULL, &r), 0);
  /* Stops at the first residual 2^(1-k) below 1e-3 (1 - 1/2) / (2 / 2) =
   * 5e-4: k = 12. */
  ck_assert_int_eq(r->iterations, 12);
  ck_assert_uint_eq(r->n, 13);
  ck_assert_double_eq(r->threshold, 5e-4);
  const tabrl_step *t = r->step;
  ck_assert_int_eq(t[0].kind, TABRL_STEP_START);
  ck_assert(isnan(t[0].residual));
  ck_assert_int_eq(t[0].changes, -1);
  ck_assert_double_eq(t[0].V[0], 0);
  /* Q_0 at state 1 = (1, 0): action 0; at state 0 a tie: the lowest. */
  ck_assert_double_eq(t[0].Q[2], 1.0);
  ck_assert_int_eq(t[0].action[0], 0);
  ck_assert_int_eq(t[1].kind, TABRL_STEP_SWEEP);
  ck_assert_double_eq(t[1].V[0], 0.0);
  ck_assert_double_eq(t[1].V[1], 1.0);
  ck_assert_double_eq(t[1].residual, 1.0);
  /* Q_1(0, .) = (0, 1/2): the arrow at state 0 turns. */
  ck_assert_double_eq(t[1].Q[1], 0.5);
  ck_assert_int_eq(t[1].action[0], 1);
  ck_assert_int_eq(t[1].changes, 1);
  for (int k = 2; k <= 12; k++) {
    ck_assert_double_eq(t[k].V[1], 2 * (1 - ldexp(1, -k)));
    ck_assert_double_eq(t[k].V[0], 1 - ldexp(1, 1 - k));
    ck_assert_double_eq(t[k].residual, ldexp(1, 1 - k));
    ck_assert_int_eq(t[k].changes, 0);
    ck_assert_int_eq(t[k].iter, k);
  }
  ck_assert_mem_eq(t[12].V, V, sizeof V);
  ck_assert_int_eq(t[12].action[0], tabrl_policy_argmax(pi, 0, 0));
  ck_assert_int_eq(t[12].action[1], tabrl_policy_argmax(pi, 0, 1));
  tabrl_steps_free(r);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* From pi_1 = (0, 0): V^pi1 = (0, 2); improving switches state 0 (Q = 1 >
 * 0); V^pi2 = (1, 2); nothing switches. */
START_TEST(test_pi_by_hand)
{
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_steps *r;
  double V[2];
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_PI, 1e-9, V, pi, NULL, &r), 0);
  ck_assert_int_eq(r->iterations, 2);
  ck_assert_uint_eq(r->n, 4);
  const tabrl_step *t = r->step;
  tabrl_step_kind kinds[] = {TABRL_STEP_EVALUATE, TABRL_STEP_IMPROVE, TABRL_STEP_EVALUATE,
                             TABRL_STEP_IMPROVE};
  int iters[] = {1, 1, 2, 2}, action0[] = {0, 1, 1, 1};
  long changes[] = {-1, 1, 0, 0};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(t[i].kind, kinds[i]);
    ck_assert_int_eq(t[i].iter, iters[i]);
    ck_assert_int_eq(t[i].action[0], action0[i]);
    ck_assert_int_eq(t[i].action[1], 0);
    ck_assert_int_eq(t[i].changes, changes[i]);
  }
  ck_assert_double_eq_tol(t[0].V[0], 0, 1e-15);
  ck_assert_double_eq_tol(t[0].V[1], 2, 1e-15);
  ck_assert(isnan(t[0].residual));
  /* Q^pi1(0, .) = (0, 1): the improvement's reason is on the page. */
  ck_assert_double_eq_tol(t[1].Q[0], 0, 1e-15);
  ck_assert_double_eq_tol(t[1].Q[1], 1, 1e-15);
  ck_assert_double_eq_tol(t[2].V[0], 1, 1e-15);
  ck_assert_double_eq_tol(t[2].residual, 1, 1e-15);
  ck_assert_mem_eq(t[3].V, V, sizeof V);
  tabrl_steps_free(r);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

/* H = 2, one state pair: state 0 action 0 stays (r = 1), action 1 moves to
 * 1 (r = 0); state 1 stays (r = 3).  V_1 = (1, 3), V_0 = (max(2, 3), 6). */
START_TEST(test_backward_by_hand)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 2, 1);
  tabrl_mdp *m = NULL;
  tabrl_mdp_builder_set_time(b, 2, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 1.0);
  tabrl_mdp_builder_add(b, 0, 0, 1, 1, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, 1, 0, 1, 1.0, 3.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_steps *r;
  double V[6];
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_BACKWARD, 0, V, pi, NULL, &r), 0);
  ck_assert_uint_eq(r->n, 3);
  ck_assert_int_eq(r->stages, 2);
  const tabrl_step *t = r->step;
  ck_assert_int_eq(t[0].kind, TABRL_STEP_START);
  ck_assert(isnan(t[0].V[0]) && isnan(t[0].V[3]));
  ck_assert_double_eq(t[0].V[4], 0);
  ck_assert_int_eq(t[0].action[2], -1);
  ck_assert_int_eq(t[1].kind, TABRL_STEP_STAGE);
  ck_assert(isnan(t[1].V[0]) && isnan(t[1].Q[0]));
  ck_assert_double_eq(t[1].V[2], 1);
  ck_assert_double_eq(t[1].V[3], 3);
  ck_assert_int_eq(t[1].action[0], -1);
  ck_assert_int_eq(t[1].action[2], 0);
  ck_assert_double_eq(t[2].V[0], 3);
  ck_assert_double_eq(t[2].V[1], 6);
  ck_assert_double_eq(t[2].Q[0], 2);
  ck_assert_double_eq(t[2].Q[1], 3);
  ck_assert(isinf(t[2].Q[3]) && t[2].Q[3] < 0); /* state 1's invalid action */
  ck_assert_int_eq(t[2].action[0], 1);
  ck_assert_mem_eq(t[2].V, V, sizeof V);
  tabrl_steps_free(r);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

static tabrl_mdp *random_model(int S, int A, double gamma, uint64_t seed)
{
  tabrl_pcg32 rng;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(S, A, 1);
  tabrl_mdp *m = NULL;
  tabrl_rng_stream(&rng, seed, TABRL_STREAM_ENV, 0);
  tabrl_mdp_builder_set_time(b, 0, gamma);
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++)
      for (int k = 0; k < 3; k++)
        tabrl_mdp_builder_add(b, 0, s, a, (int)tabrl_pcg32_below(&rng, (uint32_t)S), 1.0 / 3,
                              tabrl_pcg32_uniform(&rng));
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

/* The recorder changes nothing: V and the policy are the oracle's bits. */
START_TEST(test_same_as_oracle)
{
  tabrl_mdp *m = random_model(30, 3, 0.9, 11);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *ref = tabrl_policy_alloc_for(m);
  double V[30], V_ref[30] = {0};
  int iterations;
  tabrl_steps *r;
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_VI, 1e-6, V, pi, NULL, &r), 0);
  ck_assert_int_eq(tabrl_oracle_vi(m, 1e-6, 10000000, V_ref, ref, NULL, &iterations), 0);
  ck_assert_mem_eq(V, V_ref, sizeof V);
  ck_assert_int_eq(r->iterations, iterations);
  ck_assert_uint_eq(r->n, (size_t)iterations + 1);
  ck_assert_mem_eq(r->step[r->n - 1].V, V, sizeof V);
  for (int s = 0; s < 30; s++) {
    ck_assert_int_eq(tabrl_policy_argmax(pi, 0, s), tabrl_policy_argmax(ref, 0, s));
    ck_assert_int_eq(r->step[r->n - 1].action[s], tabrl_policy_argmax(ref, 0, s));
  }
  for (size_t k = 1; k < r->n; k++) ck_assert(r->step[k].residual >= 0);
  ck_assert(r->step[r->n - 1].residual < r->threshold);
  ck_assert(r->step[r->n - 2].residual >= r->threshold);
  tabrl_steps_free(r);

  tabrl_policy *pi2 = tabrl_policy_alloc_for(m), *ref2 = tabrl_policy_alloc_for(m);
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_PI, 0, V, pi2, NULL, &r), 0);
  ck_assert_int_eq(tabrl_oracle_pi(m, 100000, ref2, V_ref, NULL, &iterations), 0);
  ck_assert_mem_eq(V, V_ref, sizeof V);
  ck_assert_uint_eq(r->n, 2 * (size_t)iterations);
  ck_assert_int_eq(r->step[r->n - 1].changes, 0);
  for (int s = 0; s < 30; s++) {
    ck_assert_int_eq(tabrl_policy_argmax(pi2, 0, s), tabrl_policy_argmax(ref2, 0, s));
    ck_assert_int_eq(r->step[r->n - 1].action[s], tabrl_policy_argmax(ref2, 0, s));
  }
  /* Each evaluation's Q is Q^pi: at pi's own action it equals V^pi. */
  for (size_t k = 0; k < r->n; k += 2)
    for (int s = 0; s < 30; s++)
      ck_assert_double_eq_tol(r->step[k].Q[s * 3 + r->step[k].action[s]], r->step[k].V[s], 1e-9);
  tabrl_steps_free(r);
  tabrl_policy_free(pi);
  tabrl_policy_free(ref);
  tabrl_policy_free(pi2);
  tabrl_policy_free(ref2);
  tabrl_mdp_free(m);
}
END_TEST

/* The caller's trace sees the oracle's own calls, unchanged. */
typedef struct {
  int n, iter[64];
  double residual[64];
  long changes[64];
} trace_log;

static void log_trace(void *ctx, int iter, double residual, long changes)
{
  trace_log *l = ctx;
  if (l->n < 64) {
    l->iter[l->n] = iter;
    l->residual[l->n] = residual;
    l->changes[l->n] = changes;
  }
  l->n++;
}

START_TEST(test_trace_forwarded)
{
  tabrl_mdp *m = random_model(12, 3, 0.5, 3);
  tabrl_policy *pi = tabrl_policy_alloc_for(m), *ref = tabrl_policy_alloc_for(m);
  double V[12], V_ref[12] = {0};
  trace_log got = {0}, want = {0};
  tabrl_trace t_got = {log_trace, &got, NULL}, t_want = {log_trace, &want, NULL};
  tabrl_steps *r;
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_VI, 1e-6, V, pi, &t_got, &r), 0);
  ck_assert_int_eq(tabrl_oracle_vi(m, 1e-6, 10000000, V_ref, ref, &t_want, NULL), 0);
  ck_assert_int_gt(want.n, 3);
  ck_assert_int_le(want.n, 64);
  ck_assert_int_eq(got.n, want.n);
  ck_assert_mem_eq(got.iter, want.iter, (size_t)want.n * sizeof *want.iter);
  ck_assert_mem_eq(got.residual, want.residual, (size_t)want.n * sizeof *want.residual);
  ck_assert_mem_eq(got.changes, want.changes, (size_t)want.n * sizeof *want.changes);
  tabrl_steps_free(r);
  tabrl_policy_free(pi);
  tabrl_policy_free(ref);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_refuses_mismatch)
{
  tabrl_mdp *m = two_state();
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_steps *r = (tabrl_steps *)1;
  double V[2];
  ck_assert_int_eq(tabrl_steps_record(m, TABRL_STEPS_BACKWARD, 0, V, pi, NULL, &r),
                   TABRL_EUNSUPPORTED);
  ck_assert_ptr_null(r);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "episodic"));
  tabrl_steps_free(NULL);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("steps");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_vi_by_hand);
  tcase_add_test(tc, test_pi_by_hand);
  tcase_add_test(tc, test_backward_by_hand);
  tcase_add_test(tc, test_same_as_oracle);
  tcase_add_test(tc, test_trace_forwarded);
  tcase_add_test(tc, test_refuses_mismatch);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
