/* ecrm:alpha, the expected conditional risk measure with CVaR_alpha at
 * every stage (Yu and Ji, "On the Global Convergence of Risk-Averse Policy
 * Gradient Methods with Expected Conditional Risk Measures", arXiv
 * 2301.10932).  Only that paper's abstract could be read here (checked
 * again when ecrm-pg was added: the search corpora hold its abstract, no
 * official code was found), so the recursion below is the nested,
 * time-consistent form stated for tabrl, not checked against the paper's
 * equations.  Open question for whoever can read it: ECRMs as introduced
 * by Homem-de-Mello and Pagnoncelli 2016 sum the expectations of one-step
 * conditional risks of each stage's cost, rather than nesting the risk
 * of cost plus future value as here; if the paper follows that form, this
 * objective (and ecrm-pg's gradient) differ from it.
 *   V_H = 0,
 *   V_h(s) = sum_a pi(a|h,s) CVaR_alpha[ r + V_{h+1}(s') | h, s, a ],
 * the CVaR taken over the joint law of (s', r) given (s, a): the action draw
 * is outside the risk (an expectation over pi, the "expected" of ECRM), the
 * risk is conditional on (s, a).  The optimum takes the max over a, a
 * deterministic Markov policy (lowest action on ties).  J = sum_s mu0(s)
 * V_0(s): the start state is an expectation, not a risk.  alpha = 1 is the
 * mean.  Episodic models only; noisy rewards are refused because the
 * noise changes the reward law the CVaR is taken of. */
#include <stdlib.h>
#include "oracle/cvar.h"
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"

static int by_value(const void *x, const void *y)
{
  double a = ((const tabrl_atom *)x)->value, b = ((const tabrl_atom *)y)->value;
  return (a > b) - (a < b);
}

double tabrl_cvar_lower(tabrl_atom *atoms, size_t n, double alpha)
{
  double total = 0, taken = 0, sum = 0;
  qsort(atoms, n, sizeof *atoms, by_value);
  for (size_t i = 0; i < n; i++) total += atoms[i].prob;
  double want = alpha * total;
  for (size_t i = 0; i < n && taken < want; i++) {
    double take = atoms[i].prob < want - taken ? atoms[i].prob : want - taken;
    sum += take * atoms[i].value;
    taken += take;
  }
  return sum / taken;
}

static int ecrm_check(const tabrl_mdp *m)
{
  if (m->horizon < 1) return tabrl_error(TABRL_EUNSUPPORTED, "ecrm is defined for episodic models");
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "ecrm needs the exact reward law; this model adds reward noise");
  return 0;
}

/* Scratch for the largest block's outcomes. */
static tabrl_atom *ecrm_atoms(const tabrl_mdp *m)
{
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A, most = 1;
  for (size_t b = 0; b < blocks; b++)
    if (m->row[b + 1] - m->row[b] > most) most = m->row[b + 1] - m->row[b];
  tabrl_atom *atoms = malloc(most * sizeof *atoms);
  if (!atoms) tabrl_error(TABRL_ENOMEM, "out of memory for %zu outcomes", most);
  return atoms;
}

/* CVaR_alpha[r + V_{h+1}(s')] of (h, s, a); next_V the S values of h+1. */
static double ecrm_q(const tabrl_mdp *m, int h, int s, int a, const double *next_V, double alpha,
                     tabrl_atom *atoms)
{
  size_t b = tabrl_mdp_block(m, h, s, a), n = 0;
  for (size_t k = m->row[b]; k < m->row[b + 1]; k++, n++) {
    atoms[n].value = m->reward[k] + next_V[m->next[k]];
    atoms[n].prob = m->prob[k];
  }
  return tabrl_cvar_lower(atoms, n, alpha);
}

static int ecrm_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V, tabrl_policy *pi,
                        double *J)
{
  int status = ecrm_check(m), H = m->horizon, S = m->S;
  if (status) return status;
  if (pi && (pi->S != S || pi->A != m->A || pi->stages != H))
    return tabrl_error(TABRL_EINVAL, "optimal policy must have %d stages", H);
  tabrl_atom *atoms = ecrm_atoms(m);
  if (!atoms) return TABRL_ENOMEM;
  for (int s = 0; s < S; s++) V[(size_t)H * S + s] = 0;
  for (int h = H - 1; h >= 0; h--)
    for (int s = 0; s < S; s++) {
      double best = 0;
      int best_a = -1;
      for (int a = 0; a < m->A; a++) {
        if (!tabrl_mdp_valid(m, h, s, a)) continue;
        double q = ecrm_q(m, h, s, a, V + (size_t)(h + 1) * S, o->param, atoms);
        if (best_a < 0 || q > best) best = q, best_a = a;
      }
      V[(size_t)h * S + s] = best;
      if (pi) tabrl_policy_set_action(pi, h, s, best_a);
    }
  free(atoms);
  *J = tabrl_oracle_start_value(m, V);
  return 0;
}

static int ecrm_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                      double *V, double *J)
{
  int status = ecrm_check(m), H = m->horizon, S = m->S;
  if (status || (status = tabrl_policy_check(pi, m))) return status;
  tabrl_atom *atoms = ecrm_atoms(m);
  if (!atoms) return TABRL_ENOMEM;
  for (int s = 0; s < S; s++) V[(size_t)H * S + s] = 0;
  for (int h = H - 1; h >= 0; h--)
    for (int s = 0; s < S; s++) {
      const double *row = tabrl_policy_row(pi, h, s);
      double v = 0;
      for (int a = 0; a < m->A; a++)
        if (row[a] > 0) v += row[a] * ecrm_q(m, h, s, a, V + (size_t)(h + 1) * S, o->param, atoms);
      V[(size_t)h * S + s] = v;
    }
  free(atoms);
  *J = tabrl_oracle_start_value(m, V);
  return 0;
}

static const tabrl_param ecrm_params[] = {
    {"alpha", TABRL_DOUBLE, NULL, "(0,1]",
     "CVaR level at each stage: the worst alpha fraction of the next-stage outcomes"},
    {0},
};

const tabrl_objective_type tabrl_objective_ecrm = {
    .name = "ecrm",
    .doc = "nested CVaR: V_h(s) = sum_a pi(a|h,s) CVaR_alpha[r + V_{h+1}(s') | s, a], "
           "J = sum_s mu0(s) V_0(s) (episodic)",
    .source = "Yu and Ji 2023, On the Global Convergence of Risk-Averse Policy Gradient Methods "
              "with Expected Conditional Risk Measures (arXiv 2301.10932), the ECRM objective "
              "with CVaR_alpha per stage; CVaR of a discrete law: Rockafellar and Uryasev 2002, "
              "Conditional value-at-risk for general loss distributions",
    .params = ecrm_params,
    .augmented = 0,
    .optimum = ecrm_optimum,
    .value = ecrm_value,
};
