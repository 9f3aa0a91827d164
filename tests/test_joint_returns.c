/* Vector rewards: the builder keeps them (merging only exact repeats of
 * the whole outcome), clones copy them, the CSV format reads and writes the
 * columns r1..rd exactly and names the line of a bad one, chain with
 * objectives = 2 has the documented (r, -1 per right move) and the same
 * scalar model, and the exact joint return distribution equals a
 * brute-force enumeration of trajectories on small random models. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/mdp_io.h"
#include "tabrl/policy.h"
#include "tabrl/returns.h"

static char *temp_file(const char *contents)
{
  char *path = strdup("/tmp/tabrl_test_joint_XXXXXX");
  int fd = mkstemp(path);
  size_t length = strlen(contents);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, contents, length), (ssize_t)length);
  close(fd);
  return path;
}

static void remove_temp(char *path)
{
  unlink(path);
  free(path);
}

/* Reads contents; returns the status and leaves the message. */
static int read_text(const char *contents, tabrl_mdp **m)
{
  char *path = temp_file(contents);
  int status = tabrl_mdp_read_csv(path, 0, -1, m);
  remove_temp(path);
  return status;
}

START_TEST(test_builder_and_clone)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(2, 1, 1);
  tabrl_mdp *m = NULL;
  const double v1[2] = {1, 2}, v2[2] = {1, 3};
  tabrl_mdp_builder_set_time(b, 2, 0);
  ck_assert_int_eq(tabrl_mdp_builder_set_reward_dim(b, 2), 0);
  /* Same (s, a, s', r), different vectors: two outcomes; an exact repeat
   * merges. */
  tabrl_mdp_builder_add_vec(b, 0, 0, 0, 1, 0.25, 1.0, v2);
  tabrl_mdp_builder_add_vec(b, 0, 0, 0, 1, 0.25, 1.0, v1);
  tabrl_mdp_builder_add_vec(b, 0, 0, 0, 1, 0.5, 1.0, v1);
  tabrl_mdp_builder_add_vec(b, 0, 1, 0, 1, 1.0, 0.0, v1);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  ck_assert_int_eq(m->reward_dim, 2);
  ck_assert_uint_eq(m->nnz, 3);
  ck_assert_double_eq(m->prob[0], 0.75);
  ck_assert_double_eq(m->reward_vec[1], 2);
  ck_assert_double_eq(m->prob[1], 0.25);
  ck_assert_double_eq(m->reward_vec[3], 3);
  tabrl_mdp *c = tabrl_mdp_clone(m);
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->reward_dim, 2);
  ck_assert_ptr_ne(c->reward_vec, m->reward_vec);
  ck_assert_int_eq(memcmp(c->reward_vec, m->reward_vec, 6 * sizeof(double)), 0);
  tabrl_mdp_free(c);
  tabrl_mdp_free(m);

  /* A scalar add to a vector model, a non-finite component, a bad d. */
  b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_set_time(b, 1, 0);
  ck_assert_int_eq(tabrl_mdp_builder_set_reward_dim(b, 0), TABRL_EINVAL);
  ck_assert_int_eq(tabrl_mdp_builder_set_reward_dim(b, 2), 0);
  tabrl_mdp_builder_add(b, 0, 0, 0, 0, 1.0, 0.0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "without their 2-dimensional"));
  tabrl_mdp_builder_free(b);
  b = tabrl_mdp_builder_alloc(1, 1, 1);
  tabrl_mdp_builder_set_time(b, 1, 0);
  tabrl_mdp_builder_set_reward_dim(b, 2);
  const double bad[2] = {0, NAN};
  tabrl_mdp_builder_add_vec(b, 0, 0, 0, 0, 1.0, 0.0, bad);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "reward component 2"));
  tabrl_mdp_builder_free(b);
}
END_TEST

START_TEST(test_csv_round_trip)
{
  const char *text = "# horizon = 3\n"
                     "s,a,s_next,p,r,r2,r1\n"
                     "0,0,1,0.5,1,-0.25,0.1\n"
                     "0,0,1,0.5,1,7,0.1\n"
                     "0,1,0,1,0,0,0.30000000000000004\n"
                     "1,0,0,1,2,1e-300,-5\n";
  tabrl_mdp *m = NULL, *back = NULL;
  ck_assert_int_eq(read_text(text, &m), 0);
  ck_assert_int_eq(m->reward_dim, 2);
  ck_assert_uint_eq(m->nnz, 4);
  /* s=0, a=0: the two outcomes in (s', r, r1, r2) order */
  ck_assert_double_eq(m->reward_vec[0], 0.1);
  ck_assert_double_eq(m->reward_vec[1], -0.25);
  ck_assert_double_eq(m->reward_vec[3], 7);
  ck_assert_double_eq(m->reward_vec[4], 0.30000000000000004);
  ck_assert_double_eq(m->reward_vec[7], 1e-300);

  char *path = strdup("/tmp/tabrl_test_joint_out_XXXXXX");
  int fd = mkstemp(path);
  close(fd);
  ck_assert_int_eq(tabrl_mdp_write_csv(m, path), 0);
  FILE *f = fopen(path, "r");
  char line[256];
  int header = 0;
  while (fgets(line, sizeof line, f))
    if (!strcmp(line, "s,a,s_next,p,r,r1,r2\n")) header = 1;
  fclose(f);
  ck_assert_int_eq(header, 1);
  ck_assert_int_eq(tabrl_mdp_read_csv(path, 0, -1, &back), 0);
  ck_assert_int_eq(back->reward_dim, 2);
  ck_assert_uint_eq(back->nnz, m->nnz);
  ck_assert_int_eq(memcmp(back->reward_vec, m->reward_vec, 8 * sizeof(double)), 0);
  ck_assert_int_eq(memcmp(back->reward, m->reward, 4 * sizeof(double)), 0);
  ck_assert_int_eq(memcmp(back->prob, m->prob, 4 * sizeof(double)), 0);
  remove_temp(path);
  tabrl_mdp_free(back);
  tabrl_mdp_free(m);

  /* A file without r1.. stays scalar. */
  ck_assert_int_eq(read_text("# horizon = 1\ns,a,s_next,p,r\n0,0,0,1,1\n", &m), 0);
  ck_assert_int_eq(m->reward_dim, 0);
  ck_assert_ptr_null(m->reward_vec);
  tabrl_mdp_free(m);
}
END_TEST

static void refused(const char *text, const char *where, const char *what)
{
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(read_text(text, &m), TABRL_EINVAL);
  ck_assert_ptr_null(m);
  const char *msg = tabrl_error_message();
  ck_assert_msg(strstr(msg, where) && strstr(msg, what), "message '%s' lacks '%s' / '%s'", msg,
                where, what);
}

START_TEST(test_csv_errors)
{
  refused("# horizon = 1\ns,a,s_next,p,r,r2\n0,0,0,1,1,1\n", ":2:", "column 'r1' is missing");
  refused("# horizon = 1\ns,a,s_next,p,r,r1,r1\n", ":2:", "'r1' appears twice");
  refused("# horizon = 1\ns,a,s_next,p,r,r0\n", ":2:", "unknown column 'r0'");
  refused("# horizon = 1\ns,a,s_next,p,r,r17\n", ":2:", "at most 16");
  refused("# horizon = 1\ns,a,s_next,p,r,r1\n0,0,0,1,1,x\n",
          ":3:", "column 'r1': 'x' is not a number");
  refused("# horizon = 1\ns,a,s_next,p,r,r1\n0,0,0,1,1,inf\n", ":3:", "not finite");
  refused("# horizon = 1\ns,a,s_next,p,r,r1\n0,0,0,1,1,\n", ":3:", "column 'r1' is empty");
  refused("# horizon = 1\ns,a,s_next,p,r,r1\n0,0,0,1,1\n", ":3:", "expected 6 fields");
  refused("# horizon = 1\ns,a,s_next,p,r,r1\n0,0,0,0.5,1,2\n0,0,0,0.5,1,2\n",
          ":4:", "duplicate of line 3");
  /* Same r, different r1: two outcomes, so the sum is checked instead. */
  refused("# horizon = 1\ns,a,s_next,p,r,r1\n0,0,0,0.5,1,2\n0,0,0,0.25,1,3\n",
          ":3:", "sum to 0.75");
}
END_TEST

START_TEST(test_chain_objectives)
{
  tabrl_setting one[] = {{"states", "3", "test", 0}};
  tabrl_setting two[] = {{"states", "3", "test", 0}, {"objectives", "2", "test", 0}};
  tabrl_mdp *a = NULL, *b = NULL;
  ck_assert_int_eq(tabrl_env_build("chain", one, 1, &a), 0);
  ck_assert_int_eq(tabrl_env_build("chain", two, 2, &b), 0);
  ck_assert_int_eq(a->reward_dim, 0);
  ck_assert_int_eq(b->reward_dim, 2);
  ck_assert_uint_eq(a->nnz, b->nnz);
  ck_assert_int_eq(memcmp(a->reward, b->reward, a->nnz * sizeof(double)), 0);
  ck_assert_int_eq(memcmp(a->next, b->next, a->nnz * sizeof(int)), 0);
  for (size_t k = 0; k < b->nnz; k++) {
    int action = (int)(k % 2); /* one entry per (s, a), a = 0, 1 */
    ck_assert_double_eq(b->reward_vec[2 * k], b->reward[k]);
    ck_assert_double_eq(b->reward_vec[2 * k + 1], action == 1 ? -1.0 : 0.0);
  }
  tabrl_mdp_free(a);
  tabrl_mdp_free(b);
}
END_TEST

/* ---- the exact joint distribution against brute force ---- */

static unsigned next_rand(unsigned *x)
{
  *x = *x * 1103515245u + 12345u;
  return (*x >> 16) & 0x7fff;
}

/* S = 3, A = 2, stage-dependent over H = 3, two outcomes per (h, s, a)
 * (sometimes the same s' with different vectors), components on a small
 * grid of quarters so that many paths share a return. */
static tabrl_mdp *tiny(unsigned seed, int d)
{
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(3, 2, 3);
  tabrl_mdp *m = NULL;
  unsigned x = seed;
  tabrl_mdp_builder_set_time(b, 3, 0);
  tabrl_mdp_builder_set_reward_dim(b, d);
  for (int h = 0; h < 3; h++)
    for (int s = 0; s < 3; s++)
      for (int a = 0; a < 2; a++) {
        double p = (1 + next_rand(&x) % 7) / 8.0;
        for (int o = 0; o < 2; o++) {
          double v[3];
          for (int j = 0; j < d; j++) v[j] = (double)(next_rand(&x) % 5) * 0.25 - 0.5;
          tabrl_mdp_builder_add_vec(b, h, s, a, (int)(next_rand(&x) % 3), o ? 1 - p : p, v[0], v);
        }
      }
  double mu0[3] = {0.5, 0.25, 0.25};
  tabrl_mdp_builder_set_mu0(b, mu0);
  ck_assert_int_eq(tabrl_mdp_builder_finish(b, &m), 0);
  tabrl_mdp_builder_free(b);
  return m;
}

struct path_list {
  double v[4096][3];
  double p[4096];
  size_t n;
};

static void enumerate(const tabrl_mdp *m, const tabrl_policy *pi, int h, int s, const double *acc,
                      double prob, struct path_list *out)
{
  int d = m->reward_dim;
  if (h == m->horizon) {
    ck_assert_uint_lt(out->n, 4096);
    memcpy(out->v[out->n], acc, (size_t)d * sizeof *acc);
    out->p[out->n++] = prob;
    return;
  }
  for (int a = 0; a < m->A; a++) {
    double pa = tabrl_policy_row(pi, h, s)[a];
    size_t blk = tabrl_mdp_block(m, h, s, a);
    if (pa <= 0) continue;
    for (size_t e = m->row[blk]; e < m->row[blk + 1]; e++) {
      double next[3];
      for (int j = 0; j < d; j++) next[j] = acc[j] + m->reward_vec[e * (size_t)d + (size_t)j];
      enumerate(m, pi, h + 1, m->next[e], next, prob * pa * m->prob[e], out);
    }
  }
}

START_TEST(test_brute_force)
{
  static struct path_list paths;
  for (unsigned seed = 1; seed <= 6; seed++) {
    int d = seed % 2 ? 2 : 3;
    tabrl_mdp *m = tiny(seed, d);
    tabrl_policy *pi = tabrl_policy_alloc_for(m);
    unsigned x = seed * 77;
    for (int h = 0; h < 3; h++)
      for (int s = 0; s < 3; s++) {
        double q = (double)(next_rand(&x) % 5) / 4.0; /* 0 and 1 included */
        tabrl_policy_row(pi, h, s)[0] = q;
        tabrl_policy_row(pi, h, s)[1] = 1 - q;
      }
    double *values = NULL, *probs = NULL, zero[3] = {0, 0, 0};
    size_t n = 0;
    ck_assert_int_eq(tabrl_joint_return_distribution(m, pi, NULL, 0, &values, &probs, &n), 0);
    paths.n = 0;
    for (int s = 0; s < 3; s++) enumerate(m, pi, 0, s, zero, m->mu0[s], &paths);
    /* Every path lands on exactly one atom, each atom receives exactly its
     * mass, and the atoms are distinct and sorted. */
    double *got = calloc(n, sizeof *got), total = 0;
    for (size_t i = 0; i < paths.n; i++) {
      if (paths.p[i] == 0) continue;
      size_t hit = n;
      for (size_t k = 0; k < n; k++)
        if (!memcmp(values + k * (size_t)d, paths.v[i], (size_t)d * sizeof(double))) hit = k;
      ck_assert_uint_lt(hit, n);
      got[hit] += paths.p[i];
    }
    for (size_t k = 0; k < n; k++) {
      ck_assert_double_eq_tol(got[k], probs[k], 1e-14);
      ck_assert_double_gt(probs[k], 0);
      total += probs[k];
      if (k > 0) {
        int j = 0;
        while (j < d &&
               values[(k - 1) * (size_t)d + (size_t)j] == values[k * (size_t)d + (size_t)j])
          j++;
        ck_assert_int_lt(j, d);
        ck_assert_double_lt(values[(k - 1) * (size_t)d + (size_t)j],
                            values[k * (size_t)d + (size_t)j]);
      }
    }
    ck_assert_double_eq_tol(total, 1, 1e-14);
    /* Merging happened: fewer atoms than paths. */
    ck_assert_uint_lt(n, paths.n);
    /* A budget below the atom count is refused, not truncated. */
    free(values);
    free(probs);
    ck_assert_int_eq(tabrl_joint_return_distribution(m, pi, NULL, 2, &values, &probs, &n),
                     TABRL_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "more than the budget of 2"));
    ck_assert_ptr_null(values);
    free(got);
    tabrl_policy_free(pi);
    tabrl_mdp_free(m);
  }
}
END_TEST

START_TEST(test_chain_uniform)
{
  /* chain(2), H = 2, uniform: four equally likely action pairs from state
   * 0; (r, -rights): LL (0,0), LR (0,-1), RL (0,-1), RR (1,-2). */
  tabrl_setting set[] = {
      {"states", "2", "test", 0}, {"objectives", "2", "test", 0}, {"horizon", "2", "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("chain", set, 3, &m), 0);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  double *values = NULL, *probs = NULL;
  size_t n = 0;
  ck_assert_int_eq(tabrl_joint_return_distribution(m, pi, NULL, 0, &values, &probs, &n), 0);
  ck_assert_uint_eq(n, 3);
  const double want_v[] = {0, -1, 0, 0, 1, -2}, want_p[] = {0.5, 0.25, 0.25};
  for (size_t k = 0; k < 3; k++) {
    ck_assert_double_eq(values[2 * k], want_v[2 * k]);
    ck_assert_double_eq(values[2 * k + 1], want_v[2 * k + 1]);
    ck_assert_double_eq(probs[k], want_p[k]);
  }
  free(values);
  free(probs);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);

  /* Refusals: no vector reward; discounted. */
  tabrl_setting scalar[] = {{"states", "2", "test", 0}};
  ck_assert_int_eq(tabrl_env_build("chain", scalar, 1, &m), 0);
  pi = tabrl_policy_alloc_for(m);
  tabrl_policy_set_uniform(pi, m);
  ck_assert_int_eq(tabrl_joint_return_distribution(m, pi, NULL, 0, &values, &probs, &n),
                   TABRL_EUNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "no vector reward"));
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("joint_returns");
  TCase *tc = tcase_create("joint_returns");
  tcase_add_test(tc, test_builder_and_clone);
  tcase_add_test(tc, test_csv_round_trip);
  tcase_add_test(tc, test_csv_errors);
  tcase_add_test(tc, test_chain_objectives);
  tcase_add_test(tc, test_brute_force);
  tcase_add_test(tc, test_chain_uniform);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
