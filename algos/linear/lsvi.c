/* Least-squares value iteration on aggregated data; see lsvi.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/backward.h"
#include "linear/lsvi.h"
#include "common/ridge.h"
#include "tabrl/error.h"

int tabrl_lsvi_init(tabrl_lsvi *l, const tabrl_problem *problem, double lambda, int pessimistic,
                    const char *who)
{
  int status;
  size_t d, SA, HSA;
  memset(l, 0, sizeof *l);
  l->S = problem->S;
  l->A = problem->A;
  l->H = problem->horizon;
  l->d = problem->dim;
  l->problem = *problem;
  l->lambda = lambda;
  l->pessimistic = pessimistic;
  l->clip = TABRL_CLIP_HORIZON;
  d = (size_t)l->d;
  SA = (size_t)l->S * (size_t)l->A;
  HSA = (size_t)l->H * SA;
  if ((status = tabrl_empirical_init(&l->counts, l->S, l->A, l->H))) return status;
  l->visited = malloc(HSA * sizeof *l->visited);
  l->n_visited = calloc((size_t)l->H, sizeof *l->n_visited);
  l->Lambda_inv = malloc((size_t)l->H * d * d * sizeof *l->Lambda_inv);
  l->w = calloc((size_t)l->H * d, sizeof *l->w);
  l->target = malloc(d * sizeof *l->target);
  l->scratch = malloc(d * sizeof *l->scratch);
  l->Q = malloc(HSA * sizeof *l->Q);
  l->stamp = calloc((size_t)l->H * (size_t)l->S, sizeof *l->stamp);
  l->V = malloc((size_t)(l->H + 1) * (size_t)l->S * sizeof *l->V);
  if (!l->visited || !l->n_visited || !l->Lambda_inv || !l->w || !l->target || !l->scratch ||
      !l->Q || !l->stamp || !l->V)
    return tabrl_error(TABRL_ENOMEM, "%s: out of memory (H = %d, S = %d, A = %d, d = %d)", who,
                       l->H, l->S, l->A, l->d);
  tabrl_lsvi_clear(l);
  return 0;
}

void tabrl_lsvi_free(tabrl_lsvi *l)
{
  if (l->counts.visits) tabrl_empirical_free(&l->counts);
  free(l->visited);
  free(l->n_visited);
  free(l->Lambda_inv);
  free(l->w);
  free(l->target);
  free(l->scratch);
  free(l->Q);
  free(l->stamp);
  free(l->V);
  memset(l, 0, sizeof *l);
}

void tabrl_lsvi_clear(tabrl_lsvi *l)
{
  size_t dd = (size_t)l->d * (size_t)l->d;
  tabrl_empirical_clear(&l->counts);
  memset(l->n_visited, 0, (size_t)l->H * sizeof *l->n_visited);
  for (int h = 0; h < l->H; h++) ridge_reset(l->Lambda_inv + (size_t)h * dd, l->d, l->lambda);
  memset(l->w, 0, (size_t)l->H * (size_t)l->d * sizeof *l->w);
  l->version++; /* every cached Q is stale */
}

static inline const double *features(const tabrl_lsvi *l, int s, int a)
{
  return l->problem.phi + ((size_t)s * (size_t)l->A + (size_t)a) * (size_t)l->d;
}

int tabrl_lsvi_add(tabrl_lsvi *l, int h, int s, int a, double reward, int next)
{
  size_t b = tabrl_empirical_block(&l->counts, h, s, a), dd = (size_t)l->d * (size_t)l->d;
  int first = l->counts.visits[b] == 0, status;
  if ((status = tabrl_empirical_add(&l->counts, h, s, a, reward, next))) return status;
  if (first) l->visited[(size_t)h * (size_t)l->S * (size_t)l->A + l->n_visited[h]++] = s * l->A + a;
  ridge_rank_one(l->Lambda_inv + (size_t)h * dd, features(l, s, a), 1.0, l->scratch, l->d);
  return 0;
}

/* Q_h(s,a) of a valid a from w_h and Lambda_h^-1, clipped. */
static inline double q_value(const tabrl_lsvi *l, int h, int s, int a)
{
  size_t dd = (size_t)l->d * (size_t)l->d;
  const double *inverse = l->Lambda_inv + (size_t)h * dd, *w = l->w + (size_t)h * (size_t)l->d;
  double high = l->pessimistic || l->clip == TABRL_CLIP_STAGE ? (double)(l->H - h) : (double)l->H;
  const double *phi = features(l, s, a);
  double q = 0;
  for (int i = 0; i < l->d; i++) q += w[i] * phi[i];
  q += l->bonus * sqrt(ridge_norm2(inverse, phi, l->d));
  if (q > high) q = high;
  if (l->pessimistic && q < 0) q = 0;
  return q;
}

const double *tabrl_lsvi_q(tabrl_lsvi *l, int h, int s)
{
  size_t hs = (size_t)h * (size_t)l->S + (size_t)s;
  double *Q = l->Q + hs * (size_t)l->A;
  if (l->stamp[hs] == l->version) return Q;
  for (int a = 0; a < l->A; a++)
    Q[a] = tabrl_problem_valid(&l->problem, h, s, a) ? q_value(l, h, s, a) : -INFINITY;
  l->stamp[hs] = l->version;
  return Q;
}

int tabrl_lsvi_greedy(tabrl_lsvi *l, int h, int s, double *value)
{
  const double *Q = tabrl_lsvi_q(l, h, s);
  int best = -1;
  for (int a = 0; a < l->A; a++)
    if (Q[a] != -INFINITY && (best < 0 || Q[a] > Q[best])) best = a;
  if (value) *value = Q[best];
  return best;
}

/* The hooks of the backward pass (algos/common/backward.h): the stage hook
 * fits w_h to the targets r + V_{h+1}(s'), then the backup is Q_h(s,a). */
static void lsvi_stage(void *ctx, int h, const double *next_V)
{
  tabrl_lsvi *l = ctx;
  size_t SA = (size_t)l->S * (size_t)l->A, dd = (size_t)l->d * (size_t)l->d;
  const int *visited = l->visited + (size_t)h * SA;
  memset(l->target, 0, (size_t)l->d * sizeof *l->target);
  for (size_t i = 0; i < l->n_visited[h]; i++) {
    int s = visited[i] / l->A, a = visited[i] % l->A;
    size_t b = tabrl_empirical_block(&l->counts, h, s, a);
    double y = l->counts.reward_sum[b];
    if (h + 1 < l->H)
      for (int k = 0; k < l->counts.n_next[b]; k++)
        y += (double)l->counts.next[b][k].count * next_V[l->counts.next[b][k].next];
    const double *phi = features(l, s, a);
    for (int j = 0; j < l->d; j++) l->target[j] += phi[j] * y;
  }
  ridge_apply(l->Lambda_inv + (size_t)h * dd, l->target, l->w + (size_t)h * (size_t)l->d, l->d);
}

static double lsvi_backup(void *ctx, int h, int s, int a, const double *next_V)
{
  (void)next_V;
  return q_value(ctx, h, s, a);
}

static int lsvi_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_problem_valid(&((const tabrl_lsvi *)ctx)->problem, h, s, a);
}

static const tabrl_backup_hooks lsvi_hooks = {
    .backup = lsvi_backup, .valid = lsvi_valid, .stage = lsvi_stage};

void tabrl_lsvi_plan(tabrl_lsvi *l)
{
  l->version++;
  /* Every Q_h(s, .) lands in the cache: V_{h+1} is needed at every visited
   * next state anyway, and policy() asks for every (h, s). */
  tabrl_backward_out into = {.S = l->S, .A = l->A, .H = l->H, .V = l->V, .Q = l->Q};
  tabrl_backward(&lsvi_hooks, l, &into);
  for (size_t hs = 0; hs < (size_t)l->H * (size_t)l->S; hs++) l->stamp[hs] = l->version;
}
