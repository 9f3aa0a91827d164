/* Per-episode reward schedules; see tabrl/schedule.h for the generators.
 *
 * The run simulates on a copy of the model expanded to H stages (the
 * adversary's function is stage-dependent even on a stationary model).
 * Each function keeps its own entry rewards and mean table, and switching
 * function only repoints the copy's reward and mean_reward arrays: no
 * allocation and no copy per episode, and the transition arrays (and hence
 * every draw of the transitions stream) are those of the model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"
#include "tabrl/schedule.h"

const char *tabrl_schedule_name(tabrl_schedule_kind kind)
{
  switch (kind) {
  case TABRL_SCHEDULE_STOCHASTIC:
    return "stochastic";
  case TABRL_SCHEDULE_ADVERSARIAL:
    return "adversarial";
  case TABRL_SCHEDULE_CORRUPTED:
    return "corrupted";
  default:
    return "none";
  }
}

/* The stationary m's entries repeated for each of its H stages. */
static int expand_stages(tabrl_mdp *m)
{
  size_t H = (size_t)m->horizon, blocks = (size_t)m->S * (size_t)m->A, nnz = m->nnz;
  size_t *row = malloc((H * blocks + 1) * sizeof *row);
  int *next = malloc(H * nnz * sizeof *next);
  double *prob = malloc(H * nnz * sizeof *prob), *reward = malloc(H * nnz * sizeof *reward);
  double *mean = malloc(H * blocks * sizeof *mean);
  tabrl_alias_slot *sampler = malloc(H * nnz * sizeof *sampler);
  if (!row || !next || !prob || !reward || !mean || !sampler) {
    free(row), free(next), free(prob), free(reward), free(mean), free(sampler);
    return tabrl_error(TABRL_ENOMEM, "out of memory expanding the model to %zu stages", H);
  }
  for (size_t h = 0; h < H; h++) {
    for (size_t b = 0; b < blocks; b++) row[h * blocks + b] = h * nnz + m->row[b];
    memcpy(next + h * nnz, m->next, nnz * sizeof *next);
    memcpy(prob + h * nnz, m->prob, nnz * sizeof *prob);
    memcpy(reward + h * nnz, m->reward, nnz * sizeof *reward);
    memcpy(mean + h * blocks, m->mean_reward, blocks * sizeof *mean);
    /* Alias targets are relative to the block start: valid in every copy. */
    memcpy(sampler + h * nnz, m->sampler, nnz * sizeof *sampler);
  }
  row[H * blocks] = H * nnz;
  free(m->row), free(m->next), free(m->prob), free(m->reward), free(m->mean_reward);
  free(m->sampler);
  m->row = row, m->next = next, m->prob = prob, m->reward = reward, m->mean_reward = mean;
  m->sampler = sampler;
  m->nnz = H * nnz;
  m->stages = m->horizon;
  return 0;
}

static int check_model(const tabrl_mdp *m)
{
  if (m->horizon < 1)
    return tabrl_error(TABRL_EINVAL, "a reward schedule needs an episodic model (horizon H)");
  if (m->reward_dim > 0)
    return tabrl_error(TABRL_EINVAL, "a reward schedule needs a model without vector rewards");
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EINVAL,
                       "a reward schedule needs rewards in [0, 1]: the model has reward noise");
  for (size_t e = 0; e < m->nnz; e++)
    if (!(m->reward[e] >= 0 && m->reward[e] <= 1))
      return tabrl_error(TABRL_EINVAL,
                         "a reward schedule needs rewards in [0, 1]: the model has reward %g",
                         m->reward[e]);
  return 0;
}

/* r' of the adversary: r with a*(h, s) and b(h, s) exchanged. */
static int swap_rewards(tabrl_schedule *sc, const tabrl_mdp *base, uint64_t seed)
{
  const tabrl_mdp *m = sc->m;
  int H = m->horizon, S = m->S, A = m->A, status;
  size_t cells = (size_t)H * (size_t)S;
  tabrl_policy *greedy = tabrl_policy_alloc(S, A, H);
  double *V = malloc(tabrl_oracle_value_size(base) * sizeof *V);
  sc->best = malloc(cells * sizeof *sc->best);
  sc->partner = malloc(cells * sizeof *sc->partner);
  if (!greedy || !V || !sc->best || !sc->partner) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  if ((status = tabrl_oracle_backward(base, V, NULL, greedy))) goto done;
  tabrl_pcg32 rng;
  tabrl_rng_stream(&rng, seed, TABRL_STREAM_SCHEDULE, 0);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      const double *p = tabrl_policy_row(greedy, h, s);
      int best = 0, others = 0;
      for (int a = 0; a < A; a++)
        if (p[a] > p[best]) best = a;
      for (int a = 0; a < A; a++) others += a != best && tabrl_mdp_valid(m, h, s, a);
      size_t i = (size_t)h * (size_t)S + (size_t)s;
      sc->best[i] = best;
      sc->partner[i] = best;
      if (others == 0) continue;
      uint32_t pick = tabrl_pcg32_below(&rng, (uint32_t)others);
      for (int a = 0; a < A; a++)
        if (a != best && tabrl_mdp_valid(m, h, s, a) && pick-- == 0) sc->partner[i] = a;
      double *row = sc->table[1] + i * (size_t)A, t = row[best];
      row[best] = row[sc->partner[i]];
      row[sc->partner[i]] = t;
    }
done:
  tabrl_policy_free(greedy);
  free(V);
  return status;
}

tabrl_schedule *tabrl_schedule_alloc(const tabrl_schedule_spec *spec, const tabrl_mdp *base,
                                     uint64_t seed)
{
  int status;
  if ((status = check_model(base))) return NULL;
  tabrl_schedule *sc = calloc(1, sizeof *sc);
  if (!sc) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  sc->spec = *spec;
  sc->nfunctions = spec->kind == TABRL_SCHEDULE_STOCHASTIC ? 1 : 2;
  if (!(sc->m = tabrl_mdp_clone(base))) goto fail;
  if (sc->m->stages == 1 && sc->m->horizon > 1 && expand_stages(sc->m)) goto fail;
  tabrl_mdp *m = sc->m;
  size_t n = (size_t)m->horizon * (size_t)m->S * (size_t)m->A;
  /* The copy's own arrays become function 0's (r: the model's rewards). */
  sc->entry_reward[0] = m->reward;
  sc->table[0] = m->mean_reward;
  tabrl_mdp_reward_table(m, sc->table[0]);
  if (sc->nfunctions == 2) {
    sc->table[1] = malloc(n * sizeof(double));
    sc->entry_reward[1] = malloc((m->nnz ? m->nnz : 1) * sizeof(double));
    if (!sc->table[1] || !sc->entry_reward[1]) {
      tabrl_error(TABRL_ENOMEM, "out of memory");
      goto fail;
    }
    memcpy(sc->table[1], sc->table[0], n * sizeof(double));
    if (spec->kind == TABRL_SCHEDULE_CORRUPTED) {
      for (size_t b = 0; b < n; b++)
        if (m->row[b + 1] > m->row[b]) sc->table[1][b] = 1 - sc->table[0][b];
    } else if (swap_rewards(sc, base, seed)) {
      goto fail;
    }
    /* The adversary's losses are deterministic: each entry gets its mean. */
    for (size_t b = 0; b < n; b++)
      for (size_t e = m->row[b]; e < m->row[b + 1]; e++) sc->entry_reward[1][e] = sc->table[1][b];
  }
  return sc;
fail:
  tabrl_schedule_free(sc);
  return NULL;
}

void tabrl_schedule_free(tabrl_schedule *sc)
{
  if (!sc) return;
  if (sc->m) {
    /* The copy's arrays are the functions': freed once, below. */
    sc->m->reward = NULL;
    sc->m->mean_reward = NULL;
    tabrl_mdp_free(sc->m);
  }
  for (int f = 0; f < 2; f++) {
    free(sc->table[f]);
    free(sc->entry_reward[f]);
  }
  free(sc->best);
  free(sc->partner);
  free(sc);
}

int tabrl_schedule_function(const tabrl_schedule *sc, long k)
{
  switch (sc->spec.kind) {
  case TABRL_SCHEDULE_ADVERSARIAL: {
    /* Block j covers episodes B (2^j - 1) + 1 .. B (2^(j+1) - 1). */
    long end = sc->spec.block, length = sc->spec.block;
    int j = 0;
    while (k > end) {
      length *= 2;
      end += length;
      j++;
    }
    return j & 1;
  }
  case TABRL_SCHEDULE_CORRUPTED:
    return k <= sc->spec.corruptions;
  default:
    return 0;
  }
}

int tabrl_schedule_set(tabrl_schedule *sc, long k)
{
  int f = tabrl_schedule_function(sc, k);
  if (sc->m->reward == sc->entry_reward[f] && sc->m->mean_reward == sc->table[f]) return 0;
  sc->m->reward = sc->entry_reward[f];
  sc->m->mean_reward = sc->table[f];
  sc->current = f;
  return 1;
}
