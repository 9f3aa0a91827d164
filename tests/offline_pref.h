/* tests/offline_pref.h: what the offline preference tests share: a random
 * dataset on S contexts and A responses with a non-uniform reference, a
 * type made on it (checked as an experiment would), and its policy after
 * k optimizer steps.  Header-only, for the test programs. */
#ifndef TABRL_TESTS_OFFLINE_PREF_H
#define TABRL_TESTS_OFFLINE_PREF_H

#include <check.h>
#include <gsl/gsl_rng.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

enum { S = 2, A = 4, N = 24 };

typedef struct {
  int context[N], chosen[N], rejected[N];
  double reference[S * A];
  tabrl_pref_data data;
} dataset;

/* A random dataset from seed. */
static void make_dataset(dataset *d, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  for (int s = 0; s < S; s++) {
    double total = 0;
    for (int a = 0; a < A; a++) total += d->reference[s * A + a] = 0.2 + gsl_rng_uniform(r);
    for (int a = 0; a < A; a++) d->reference[s * A + a] /= total;
  }
  for (int i = 0; i < N; i++) {
    d->context[i] = (int)gsl_rng_uniform_int(r, S);
    d->chosen[i] = (int)gsl_rng_uniform_int(r, A);
    d->rejected[i] = (int)gsl_rng_uniform_int(r, A - 1);
    if (d->rejected[i] >= d->chosen[i]) d->rejected[i]++;
  }
  d->data = (tabrl_pref_data){N, d->context, d->chosen, d->rejected, d->reference};
  gsl_rng_free(r);
}

static tabrl_algo *make(const char *type, const tabrl_pref_data *data, int s, int a,
                        const tabrl_setting *settings, size_t n)
{
  const tabrl_algo_type *t = tabrl_algo_find(type);
  tabrl_values *v = NULL;
  tabrl_problem p;
  ck_assert_ptr_nonnull(t);
  ck_assert_msg(tabrl_values_resolve(t->params, type, settings, n, 0, &v) == 0, "%s",
                tabrl_error_message());
  memset(&p, 0, sizeof p);
  p.S = s;
  p.A = a;
  p.horizon = 1;
  p.gamma = 1;
  p.episodes = 1;
  p.valid_stages = 1;
  p.pref = data;
  ck_assert_msg(tabrl_algo_check(t, &p, v) == 0, "%s", tabrl_error_message());
  tabrl_algo *algo = tabrl_algo_alloc(t, &p, v);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  tabrl_values_free(v);
  return algo;
}

/* The policy after k steps, into out (s * a probabilities). */
static void run(tabrl_algo *algo, int s, int a, long k, double *out)
{
  tabrl_policy *pi = tabrl_policy_alloc(s, a, 1);
  for (long t = 1; t <= k; t++) ck_assert_int_eq(tabrl_algo_iterate(algo, t), 0);
  ck_assert_int_eq(tabrl_algo_policy(algo, pi), 0);
  memcpy(out, pi->prob, (size_t)s * (size_t)a * sizeof *out);
  tabrl_policy_free(pi);
}

#endif
