/* The incremental empirical model; see empirical.h. */
#include <stdlib.h>
#include <string.h>
#include "common/empirical.h"
#include "tabrl/error.h"

int tabrl_empirical_init(tabrl_empirical *e, int S, int A, int stages)
{
  size_t blocks = (size_t)stages * (size_t)S * (size_t)A;
  int initial = S < 4 ? S : 4;
  memset(e, 0, sizeof *e);
  e->S = S;
  e->A = A;
  e->stages = stages;
  e->visits = calloc(blocks, sizeof *e->visits);
  e->reward_sum = calloc(blocks, sizeof *e->reward_sum);
  e->reward_sq = calloc(blocks, sizeof *e->reward_sq);
  e->next = calloc(blocks, sizeof *e->next);
  e->n_next = calloc(blocks, sizeof *e->n_next);
  e->cap_next = calloc(blocks, sizeof *e->cap_next);
  e->slab = calloc(blocks * (size_t)initial, sizeof *e->slab);
  if (!e->visits || !e->reward_sum || !e->reward_sq || !e->next || !e->n_next || !e->cap_next ||
      !e->slab) {
    tabrl_empirical_free(e);
    return tabrl_error(TABRL_ENOMEM, "out of memory for the empirical model (%zu blocks)", blocks);
  }
  for (size_t b = 0; b < blocks; b++) {
    e->next[b] = e->slab + b * (size_t)initial;
    e->cap_next[b] = initial;
  }
  return 0;
}

void tabrl_empirical_free(tabrl_empirical *e)
{
  size_t blocks = (size_t)e->stages * (size_t)e->S * (size_t)e->A;
  if (e->next && e->slab) {
    int initial = e->S < 4 ? e->S : 4;
    for (size_t b = 0; b < blocks; b++)
      if (e->next[b] != e->slab + b * (size_t)initial) free(e->next[b]);
  }
  free(e->visits);
  free(e->reward_sum);
  free(e->reward_sq);
  free(e->next);
  free(e->n_next);
  free(e->cap_next);
  free(e->slab);
  memset(e, 0, sizeof *e);
}

void tabrl_empirical_clear(tabrl_empirical *e)
{
  size_t blocks = (size_t)e->stages * (size_t)e->S * (size_t)e->A;
  memset(e->visits, 0, blocks * sizeof *e->visits);
  memset(e->reward_sum, 0, blocks * sizeof *e->reward_sum);
  memset(e->reward_sq, 0, blocks * sizeof *e->reward_sq);
  memset(e->n_next, 0, blocks * sizeof *e->n_next);
}

int tabrl_empirical_add(tabrl_empirical *e, int h, int s, int a, double reward, int next)
{
  size_t b = tabrl_empirical_block(e, h, s, a);
  tabrl_emp_next *list = e->next[b];
  int n = e->n_next[b], i;
  e->visits[b]++;
  e->reward_sum[b] += reward;
  e->reward_sq[b] += reward * reward;
  for (i = 0; i < n; i++)
    if (list[i].next == next) {
      list[i].count++;
      return 0;
    }
  if (n == e->cap_next[b]) {
    int initial = e->S < 4 ? e->S : 4, cap = 2 * n > e->S ? e->S : 2 * n;
    tabrl_emp_next *grown;
    if (list == e->slab + b * (size_t)initial) {
      grown = malloc((size_t)cap * sizeof *grown);
      if (grown) memcpy(grown, list, (size_t)n * sizeof *grown);
    } else {
      grown = realloc(list, (size_t)cap * sizeof *grown);
    }
    if (!grown) return tabrl_error(TABRL_ENOMEM, "out of memory in the empirical model");
    e->next[b] = list = grown;
    e->cap_next[b] = cap;
  }
  list[n] = (tabrl_emp_next){next, 1};
  e->n_next[b] = n + 1;
  return 0;
}

double tabrl_empirical_variance(const tabrl_empirical *e, size_t block, const double *V)
{
  long n = e->visits[block];
  double mean = tabrl_empirical_expect(e, block, V), total = 0;
  if (!n) return 0.0;
  for (int i = 0; i < e->n_next[block]; i++) {
    double d = V[e->next[block][i].next] - mean;
    total += (double)e->next[block][i].count * d * d;
  }
  return total / (double)n;
}
