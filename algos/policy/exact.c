/* Shared state of the exact policy-optimization types (see exact.h). */
#include "policy/exact.h"
#include "policy/init.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"

int tabrl_exact_po_init(tabrl_exact_po *po, const tabrl_problem *problem,
                        const tabrl_values *params, const char *name)
{
  const tabrl_mdp *m = problem->model;
  if (!m) return tabrl_error(TABRL_EINVAL, "%s needs the model (planning protocol)", name);
  po->m = m;
  po->S = m->S;
  po->A = m->A;
  po->stages = tabrl_mdp_value_stages(m);
  po->scale = m->horizon > 0 ? 1.0 : 1.0 / (1.0 - m->gamma);
  size_t n = (size_t)po->stages * (size_t)po->S * (size_t)po->A;
  po->ws = tabrl_oracle_workspace_alloc(m);
  po->pi = tabrl_policy_alloc_for(m);
  po->theta = malloc(n * sizeof *po->theta);
  po->V = calloc(tabrl_oracle_value_size(m), sizeof *po->V);
  po->Q = malloc(n * sizeof *po->Q);
  po->d = calloc((size_t)po->stages * (size_t)po->S, sizeof *po->d);
  if (!po->ws || !po->pi || !po->theta || !po->V || !po->Q || !po->d)
    return tabrl_error(TABRL_ENOMEM, "%s: out of memory", name);
  int status = tabrl_po_init_logits(problem, params, po->theta);
  if (status) return status;
  tabrl_exact_po_softmax(po);
  return 0;
}

void tabrl_exact_po_release(tabrl_exact_po *po)
{
  tabrl_oracle_workspace_free(po->ws);
  tabrl_policy_free(po->pi);
  free(po->theta);
  free(po->V);
  free(po->Q);
  free(po->d);
}

void tabrl_exact_po_softmax(tabrl_exact_po *po)
{
  for (int h = 0; h < po->stages; h++)
    for (int s = 0; s < po->S; s++) {
      double *t = po->theta + ((size_t)h * po->S + s) * po->A,
             *row = tabrl_policy_row(po->pi, h, s);
      double top = -INFINITY, total = 0;
      for (int a = 0; a < po->A; a++)
        if (t[a] > top) top = t[a];
      for (int a = 0; a < po->A; a++)
        if (t[a] > -INFINITY) t[a] -= top;
      for (int a = 0; a < po->A; a++) total += row[a] = exp(t[a]);
      for (int a = 0; a < po->A; a++) row[a] /= total;
    }
}

void tabrl_exact_po_mirror(tabrl_exact_po *po, double keep, double step)
{
  size_t n = (size_t)po->stages * po->S * po->A;
  for (size_t i = 0; i < n; i++)
    if (po->theta[i] > -INFINITY) po->theta[i] = keep * po->theta[i] + step * po->Q[i];
  tabrl_exact_po_softmax(po);
}

int tabrl_exact_po_evaluate(tabrl_exact_po *po, int occupancy)
{
  const unsigned flags = TABRL_ORACLE_UNCHECKED | TABRL_ORACLE_WARM_START;
  int status = tabrl_oracle_q_pi(po->m, po->pi, flags, po->ws, po->V, po->Q);
  if (!status && occupancy)
    status = tabrl_oracle_occupancy(po->m, po->pi, NULL, flags, po->ws, po->d);
  return status;
}

int tabrl_exact_po_policy(const tabrl_exact_po *po, tabrl_policy *out, const char *name)
{
  if (out->S != po->S || out->A != po->A || out->stages != po->stages)
    return tabrl_error(TABRL_EINVAL, "%s: policy must be %d x %d with %d stages", name, po->S,
                       po->A, po->stages);
  memcpy(out->prob, po->pi->prob, (size_t)po->stages * po->S * po->A * sizeof *out->prob);
  return 0;
}
