/* Tabular policies; see tabrl/policy.h. */
#include <math.h>
#include <stdlib.h>
#include "tabrl/error.h"
#include "tabrl/policy.h"

tabrl_policy *tabrl_policy_alloc(int S, int A, int stages)
{
  tabrl_policy *pi;
  if (S < 1 || A < 1 || stages < 1) {
    tabrl_error(TABRL_EINVAL, "policy sizes must be >= 1");
    return NULL;
  }
  pi = malloc(sizeof *pi);
  if (!pi) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  pi->S = S;
  pi->A = A;
  pi->stages = stages;
  pi->prob = calloc((size_t)stages * (size_t)S * (size_t)A, sizeof *pi->prob);
  if (!pi->prob) {
    free(pi);
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  return pi;
}

tabrl_policy *tabrl_policy_alloc_for(const tabrl_mdp *m)
{
  return tabrl_policy_alloc(m->S, m->A, tabrl_mdp_value_stages(m));
}

void tabrl_policy_free(tabrl_policy *pi)
{
  if (!pi) return;
  free(pi->prob);
  free(pi);
}

void tabrl_policy_set_uniform(tabrl_policy *pi, const tabrl_mdp *m)
{
  for (int h = 0; h < pi->stages; h++)
    for (int s = 0; s < pi->S; s++) {
      double *row = tabrl_policy_row(pi, h, s);
      int valid = 0;
      for (int a = 0; a < pi->A; a++) valid += tabrl_mdp_valid(m, h, s, a);
      for (int a = 0; a < pi->A; a++) row[a] = tabrl_mdp_valid(m, h, s, a) ? 1.0 / valid : 0.0;
    }
}

void tabrl_policy_set_action(tabrl_policy *pi, int h, int s, int a)
{
  double *row = tabrl_policy_row(pi, h, s);
  for (int b = 0; b < pi->A; b++) row[b] = b == a ? 1.0 : 0.0;
}

int tabrl_policy_from_plan(tabrl_policy *pi, const int *plan, int S, int A, int stages,
                           const char *who)
{
  if (pi->S != S || pi->A != A || pi->stages != stages)
    return tabrl_error(TABRL_EINVAL, "%s: policy must be %d x %d with %d stages", who, S, A,
                       stages);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < S; s++) tabrl_policy_set_action(pi, h, s, plan[(size_t)h * S + s]);
  return 0;
}

int tabrl_policy_check_rows(const tabrl_policy *pi, int S, int A, int stages,
                            int (*valid)(const void *ctx, int h, int s, int a), const void *ctx)
{
  if (pi->S != S || pi->A != A)
    return tabrl_error(TABRL_EINVAL,
                       "policy is for %d states and %d actions, the model has %d and %d", pi->S,
                       pi->A, S, A);
  if (pi->stages != 1 && pi->stages != stages)
    return tabrl_error(TABRL_EINVAL, "policy has %d stages, the model needs 1 or %d", pi->stages,
                       stages);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < S; s++) {
      const double *row = tabrl_policy_row(pi, h, s);
      double total = 0;
      for (int a = 0; a < A; a++) {
        if (!(row[a] >= 0 && row[a] <= 1 + 1e-9))
          return tabrl_error(TABRL_EINVAL,
                             "policy at stage %d, state %d: pi(%d) = %g is not a probability", h, s,
                             a, row[a]);
        if (row[a] > 0 && !valid(ctx, h, s, a))
          return tabrl_error(
              TABRL_EINVAL, "policy at stage %d, state %d puts mass on invalid action %d", h, s, a);
        total += row[a];
      }
      if (fabs(total - 1.0) > 1e-9)
        return tabrl_error(TABRL_EINVAL, "policy at stage %d, state %d sums to %.17g, not 1", h, s,
                           total);
    }
  return 0;
}

static int model_valid(const void *m, int h, int s, int a)
{
  return tabrl_mdp_valid(m, h, s, a);
}

int tabrl_policy_check(const tabrl_policy *pi, const tabrl_mdp *m)
{
  return tabrl_policy_check_rows(pi, m->S, m->A, tabrl_mdp_value_stages(m), model_valid, m);
}

int tabrl_policy_sample(const tabrl_policy *pi, int h, int s, tabrl_pcg32 *rng)
{
  const double *row = tabrl_policy_row(pi, h, s);
  double u = tabrl_pcg32_uniform(rng), acc = 0;
  int last = 0;
  for (int a = 0; a < pi->A; a++) {
    if (row[a] <= 0) continue;
    acc += row[a];
    last = a;
    if (u < acc) return a;
  }
  return last; /* rounding: the sum fell just short of u */
}

int tabrl_policy_argmax(const tabrl_policy *pi, int h, int s)
{
  const double *row = tabrl_policy_row(pi, h, s);
  int best = 0;
  for (int a = 1; a < pi->A; a++)
    if (row[a] > row[best]) best = a;
  return best;
}
