/* coverage: the expected number of distinct states an episode visits,
 *   F(tau) = |{s_0, s_1, ..., s_H}|,   J(pi) = E_pi[F(tau)],
 * the start state and the H states the H steps arrive in (so every action
 * matters, the last one too); a monotone submodular set function of the
 * visited states, the coverage objective of submodular RL (Prajapat,
 * Mutny, Zeilinger, Krause 2023, "Submodular Reinforcement Learning", ICLR
 * 2024, section 3: J(pi) = E[F(tau)] with F submodular on the trajectory's
 * states; their coverage experiments count the covered cells).  Not a
 * function of the return: the model's rewards play no part, the runner's
 * value column is J(pi), regret J* - J(pi).  Episodic models only.
 *
 * value (a Markov policy of m): forward propagation of the joint law of
 * (s_h, visited set) over the H steps, a bitmask per set, in a hash
 * table of the reachable pairs (the runner values every episode); J =
 * E|set|.
 * optimum: dynamic programming over (h, s, visited set),
 *   W_H = 0,  W_h(s, V) = max_a sum_s' P(s'|h,s,a) [1(s' not in V)
 *                                           + W_{h+1}(s', V u {s'})],
 *   J* = sum_s mu0(s) (1 + W_0(s, {s})),
 * the optimum over history-dependent policies: (h, s, V) is a sufficient
 * statistic of the history for F, so no history-dependent policy does
 * better, and an optimal one acts on the visited set, which a Markov
 * policy of m cannot: regret is measured against this J*, which a Markov
 * policy (what `subpo` learns) may not reach.  For the same reason
 * `optimum` returns no policy: asked for one (pi not NULL) it fails with
 * TABRL_EUNSUPPORTED.  V receives NaN (no per-state values).
 *
 * The optimum costs O(H S 2^S A successors) time and two layers of S 2^S
 * doubles: models of at most TABRL_COVERAGE_MAX_STATES states (16: 8 MB a
 * layer); larger ones are refused. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/objective.h"
#include "tabrl/oracle.h"

#define TABRL_COVERAGE_MAX_STATES 16

static int coverage_check(const tabrl_mdp *m)
{
  if (m->horizon <= 0)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "coverage counts the states of an episode: it needs an episodic model "
                       "(horizon >= 1)");
  if (m->S > TABRL_COVERAGE_MAX_STATES)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "coverage is exact over (state, visited set) pairs: at most %d states, "
                       "the model has %d",
                       TABRL_COVERAGE_MAX_STATES, m->S);
  return 0;
}

static void fill_nan(const tabrl_mdp *m, double *V)
{
  if (V)
    for (size_t i = 0; i < tabrl_oracle_value_size(m); i++) V[i] = NAN;
}

/* The law of (s, visited set) at one stage: an open-addressing table of
 * the reachable pairs, key s 2^S + set, few next to S 2^S in H steps. */
typedef struct {
  size_t cap, used, *key;
  double *val;
} pair_law;

static int law_reset(pair_law *l, size_t cap)
{
  free(l->key), free(l->val);
  l->cap = cap, l->used = 0;
  l->key = malloc(cap * sizeof *l->key), l->val = malloc(cap * sizeof *l->val);
  if (!l->key || !l->val) return TABRL_ENOMEM;
  for (size_t i = 0; i < cap; i++) l->key[i] = SIZE_MAX;
  return 0;
}

static int law_add(pair_law *l, size_t key, double x)
{
  if (2 * (l->used + 1) > l->cap) { /* grow: rehash into twice the room */
    pair_law g = {0, 0, NULL, NULL};
    if (law_reset(&g, 2 * l->cap)) return free(g.key), free(g.val), TABRL_ENOMEM;
    for (size_t i = 0; i < l->cap; i++)
      if (l->key[i] != SIZE_MAX) law_add(&g, l->key[i], l->val[i]);
    free(l->key), free(l->val);
    *l = g;
  }
  size_t i = (key * 0x9E3779B97F4A7C15ull >> 7) & (l->cap - 1);
  while (l->key[i] != SIZE_MAX && l->key[i] != key) i = (i + 1) & (l->cap - 1);
  if (l->key[i] == SIZE_MAX) l->key[i] = key, l->val[i] = 0, l->used++;
  l->val[i] += x;
  return 0;
}

static int coverage_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                          double *V, double *J)
{
  int status = coverage_check(m);
  (void)o;
  if (status) return status;
  size_t sets = (size_t)1 << m->S;
  pair_law P = {0, 0, NULL, NULL}, Q = {0, 0, NULL, NULL};
  status = law_reset(&P, 64);
  for (int s = 0; s < m->S && !status; s++)
    if (m->mu0[s] > 0) status = law_add(&P, (size_t)s * sets + ((size_t)1 << s), m->mu0[s]);
  for (int h = 0; h < m->horizon && !status; h++) {
    if ((status = law_reset(&Q, P.cap))) break;
    for (size_t i = 0; i < P.cap && !status; i++) {
      if (P.key[i] == SIZE_MAX) continue;
      size_t set = P.key[i] % sets;
      int s = (int)(P.key[i] / sets);
      const double *row = tabrl_policy_row(pi, h, s);
      for (int a = 0; a < m->A && !status; a++) {
        if (row[a] == 0) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        for (size_t k = m->row[b]; k < m->row[b + 1] && !status; k++)
          status = law_add(&Q, (size_t)m->next[k] * sets + (set | (size_t)1 << m->next[k]),
                           P.val[i] * row[a] * m->prob[k]);
      }
    }
    pair_law t = P;
    P = Q, Q = t;
  }
  double total = 0;
  for (size_t i = 0; i < P.cap && !status; i++)
    if (P.key[i] != SIZE_MAX)
      total += P.val[i] * __builtin_popcountll((unsigned long long)(P.key[i] % sets));
  free(P.key), free(P.val), free(Q.key), free(Q.val);
  if (status) return tabrl_error(TABRL_ENOMEM, "coverage: out of memory");
  *J = total;
  fill_nan(m, V);
  return 0;
}

static int coverage_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                            tabrl_policy *pi, double *J)
{
  int status = coverage_check(m);
  (void)o;
  if (status) return status;
  if (pi)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "coverage: an optimal policy acts on the visited set, not on (stage, "
                       "state) alone: there is no Markov optimal policy to return");
  size_t sets = (size_t)1 << m->S, n = (size_t)m->S * sets;
  double *W = calloc(n, sizeof *W), *U = calloc(n, sizeof *U); /* W_{h+1}, W_h */
  if (!W || !U) {
    free(W), free(U);
    return tabrl_error(TABRL_ENOMEM, "coverage: out of memory");
  }
  for (int h = m->horizon - 1; h >= 0; h--) {
    for (int s = 0; s < m->S; s++)
      for (size_t set = 0; set < sets; set++) {
        double best = 0;
        int any = 0;
        if (!(set >> s & 1)) continue; /* the current state is always visited */
        for (int a = 0; a < m->A; a++) {
          size_t b = tabrl_mdp_block(m, h, s, a);
          if (m->row[b + 1] == m->row[b]) continue;
          double q = 0;
          for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
            size_t bit = (size_t)1 << m->next[k];
            q += m->prob[k] * (!(set & bit) + W[(size_t)m->next[k] * sets + (set | bit)]);
          }
          if (!any || q > best) best = q, any = 1;
        }
        U[(size_t)s * sets + set] = best;
      }
    double *t = W;
    W = U, U = t;
  }
  double total = 0;
  for (int s = 0; s < m->S; s++) total += m->mu0[s] * (1 + W[(size_t)s * sets + ((size_t)1 << s)]);
  free(W), free(U);
  *J = total;
  fill_nan(m, V);
  return 0;
}

static const tabrl_param coverage_params[] = {{0}};

const tabrl_objective_type tabrl_objective_coverage = {
    .name = "coverage",
    .doc = "expected number of distinct states E|{s_0, ..., s_H}| of an episode (episodic, at most "
           "16 states); optimum over history-dependent policies by DP over (h, s, visited set)",
    .source = "Prajapat, Mutny, Zeilinger, Krause 2023, Submodular Reinforcement Learning, ICLR "
              "2024, section 3 (coverage as a submodular F of the visited states)",
    .params = coverage_params,
    .augmented = 0,
    .optimum = coverage_optimum,
    .value = coverage_value,
};
