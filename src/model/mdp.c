/* The model and its builder; see tabrl/mdp.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/mdp.h"

struct entry {
  size_t block;
  int next;
  double p, r;
  double c; /* cost, 0 unless added with tabrl_mdp_builder_add_cost */
  /* the vector reward: vec_at indexes the builder's vecs while adding;
   * finish points vec at it (the storage no longer moves) for sorting */
  int vdim;
  size_t vec_at;
  const double *vec;
};

struct tabrl_mdp_builder {
  int S, A, stages;
  int horizon;
  double gamma;
  int time_set; /* set_time was called: tells "unset" from a bad horizon */
  struct entry *entries;
  size_t n, cap;
  double *mu0;
  tabrl_noise noise;
  int dim;
  double *phi, *theta;
  int mixture_dim;
  double *mixture_basis;
  tabrl_grid *grid;
  char *name;
  int reward_dim;
  double *preference, *reference;
  double game_beta;
  double *vecs; /* reward_dim values per added outcome */
  size_t vec_cap;
  long scalar_adds; /* outcomes added without a vector to a vector model */
  int has_cost;     /* some outcome was added with a cost */
  int bad_index;    /* first out-of-range add, reported by finish */
  int bad_h, bad_s, bad_a, bad_next;
};

static void grid_free(tabrl_grid *g)
{
  if (!g) return;
  free(g->cells);
  free(g->state_of_cell);
  free(g->action_glyphs);
  free(g);
}

static tabrl_grid *grid_copy(int rows, int cols, const char *cells, const int *state_of_cell,
                             const char *glyphs, int A)
{
  tabrl_grid *g = calloc(1, sizeof *g);
  size_t n = (size_t)rows * (size_t)cols;
  if (!g) return NULL;
  g->rows = rows;
  g->cols = cols;
  g->cells = malloc(n);
  g->state_of_cell = malloc(n * sizeof(int));
  g->action_glyphs = calloc((size_t)A + 1, 1);
  if (!g->cells || !g->state_of_cell || !g->action_glyphs) {
    grid_free(g);
    return NULL;
  }
  memcpy(g->cells, cells, n);
  memcpy(g->state_of_cell, state_of_cell, n * sizeof(int));
  memcpy(g->action_glyphs, glyphs, (size_t)A);
  return g;
}

void tabrl_mdp_free(tabrl_mdp *m)
{
  if (!m) return;
  free(m->row);
  free(m->next);
  free(m->prob);
  free(m->reward);
  free(m->mean_reward);
  free(m->sampler);
  free(m->mu0);
  free(m->phi);
  free(m->theta);
  free(m->mixture_basis);
  free(m->reward_vec);
  free(m->cost);
  free(m->preference);
  free(m->reference);
  grid_free(m->grid);
  free(m->name);
  free(m);
}

static int check_time(int horizon, double gamma, int stages)
{
  if (horizon < 0) return tabrl_error(TABRL_EINVAL, "horizon %d must be >= 1", horizon);
  if (horizon == 0 && !(gamma >= 0.0 && gamma < 1.0))
    return tabrl_error(TABRL_EINVAL,
                       "discount gamma = %g must be in [0,1) (or give a horizon H >= 1)", gamma);
  if (stages > 1 && horizon != stages)
    return tabrl_error(TABRL_EINVAL, "stage-dependent model with %d stages needs horizon %d",
                       stages, stages);
  return 0;
}

int tabrl_mdp_set_time(tabrl_mdp *m, int horizon, double gamma)
{
  int status = check_time(horizon, gamma, m->stages);
  if (status) return status;
  m->horizon = horizon;
  m->gamma = horizon > 0 ? 1.0 : gamma;
  return 0;
}

void tabrl_mdp_reward_table(const tabrl_mdp *m, double *out)
{
  for (int h = 0; h < m->horizon; h++)
    for (int s = 0; s < m->S; s++)
      for (int a = 0; a < m->A; a++)
        *out++ = tabrl_mdp_valid(m, h, s, a) ? m->mean_reward[tabrl_mdp_block(m, h, s, a)] : 0;
}

static void *dup_array(const void *src, size_t bytes, int *failed)
{
  void *dst;
  if (!src) return NULL;
  dst = malloc(bytes ? bytes : 1);
  if (!dst) {
    *failed = 1;
    return NULL;
  }
  memcpy(dst, src, bytes);
  return dst;
}

tabrl_mdp *tabrl_mdp_clone(const tabrl_mdp *m)
{
  int failed = 0;
  size_t blocks = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  tabrl_mdp *c = malloc(sizeof *c);
  if (!c) {
    tabrl_error(TABRL_ENOMEM, "out of memory copying the model");
    return NULL;
  }
  *c = *m;
  c->row = dup_array(m->row, (blocks + 1) * sizeof(size_t), &failed);
  c->next = dup_array(m->next, m->nnz * sizeof(int), &failed);
  c->prob = dup_array(m->prob, m->nnz * sizeof(double), &failed);
  c->reward = dup_array(m->reward, m->nnz * sizeof(double), &failed);
  c->mean_reward = dup_array(m->mean_reward, blocks * sizeof(double), &failed);
  c->sampler = dup_array(m->sampler, m->nnz * sizeof(tabrl_alias_slot), &failed);
  c->mu0 = dup_array(m->mu0, (size_t)m->S * sizeof(double), &failed);
  c->phi =
      dup_array(m->phi, (size_t)m->S * (size_t)m->A * (size_t)m->dim * sizeof(double), &failed);
  c->theta = dup_array(m->theta, (size_t)m->dim * sizeof(double), &failed);
  c->mixture_basis = dup_array(m->mixture_basis,
                               (size_t)m->mixture_dim * (size_t)m->S * (size_t)m->A * (size_t)m->S *
                                   sizeof(double),
                               &failed);
  c->reward_vec =
      dup_array(m->reward_vec, m->nnz * (size_t)m->reward_dim * sizeof(double), &failed);
  c->cost = dup_array(m->cost, m->nnz * sizeof(double), &failed);
  c->preference = dup_array(m->preference, (size_t)m->A * (size_t)m->A * sizeof(double), &failed);
  c->reference = dup_array(m->reference, (size_t)m->S * (size_t)m->A * sizeof(double), &failed);
  c->name = m->name ? dup_array(m->name, strlen(m->name) + 1, &failed) : NULL;
  c->grid = NULL;
  if (m->grid) {
    c->grid = grid_copy(m->grid->rows, m->grid->cols, m->grid->cells, m->grid->state_of_cell,
                        m->grid->action_glyphs, m->A);
    failed |= c->grid == NULL;
  }
  if (failed) {
    tabrl_mdp_free(c);
    tabrl_error(TABRL_ENOMEM, "out of memory copying the model");
    return NULL;
  }
  return c;
}

/* ---- builder ---- */

tabrl_mdp_builder *tabrl_mdp_builder_alloc(int S, int A, int stages)
{
  tabrl_mdp_builder *b;
  if (S < 1 || A < 1 || stages < 1) {
    tabrl_error(TABRL_EINVAL, "model sizes must be >= 1 (states %d, actions %d, stages %d)", S, A,
                stages);
    return NULL;
  }
  if ((double)S * A * stages > 1e9) {
    tabrl_error(TABRL_EINVAL, "model too large: %d states x %d actions x %d stages", S, A, stages);
    return NULL;
  }
  b = calloc(1, sizeof *b);
  if (!b) {
    tabrl_error(TABRL_ENOMEM, "out of memory");
    return NULL;
  }
  b->S = S;
  b->A = A;
  b->stages = stages;
  b->horizon = -1; /* unset: finish reports it */
  return b;
}

void tabrl_mdp_builder_free(tabrl_mdp_builder *b)
{
  if (!b) return;
  free(b->entries);
  free(b->mu0);
  free(b->phi);
  free(b->theta);
  free(b->mixture_basis);
  free(b->vecs);
  free(b->preference);
  free(b->reference);
  grid_free(b->grid);
  free(b->name);
  free(b);
}

int tabrl_mdp_builder_add(tabrl_mdp_builder *b, int h, int s, int a, int next, double p, double r)
{
  if (b->stages == 1) h = 0;
  if (h < 0 || h >= b->stages || s < 0 || s >= b->S || a < 0 || a >= b->A || next < 0 ||
      next >= b->S) {
    if (!b->bad_index) {
      b->bad_index = 1;
      b->bad_h = h;
      b->bad_s = s;
      b->bad_a = a;
      b->bad_next = next;
    }
    return tabrl_error(TABRL_EINVAL,
                       "outcome (h=%d, s=%d, a=%d, s'=%d) out of range (%d stages, %d states, "
                       "%d actions)",
                       h, s, a, next, b->stages, b->S, b->A);
  }
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 64;
    struct entry *e = realloc(b->entries, cap * sizeof *e);
    if (!e) return tabrl_error(TABRL_ENOMEM, "out of memory adding outcomes");
    b->entries = e;
    b->cap = cap;
  }
  b->entries[b->n].block = ((size_t)h * (size_t)b->S + (size_t)s) * (size_t)b->A + (size_t)a;
  b->entries[b->n].next = next;
  b->entries[b->n].p = p;
  b->entries[b->n].r = r;
  b->entries[b->n].c = 0;
  b->entries[b->n].vdim = 0;
  b->entries[b->n].vec_at = 0;
  b->entries[b->n].vec = NULL;
  b->n++;
  if (b->reward_dim) b->scalar_adds++;
  return 0;
}

int tabrl_mdp_builder_add_cost(tabrl_mdp_builder *b, int h, int s, int a, int next, double p,
                               double r, double c)
{
  int status = tabrl_mdp_builder_add(b, h, s, a, next, p, r);
  if (status) return status;
  b->entries[b->n - 1].c = c;
  b->has_cost = 1;
  return 0;
}

int tabrl_mdp_builder_set_reward_dim(tabrl_mdp_builder *b, int d)
{
  if (d < 1 || d > TABRL_MDP_MAX_REWARD_DIM)
    return tabrl_error(TABRL_EINVAL, "vector reward dimension %d must be in [1,%d]", d,
                       TABRL_MDP_MAX_REWARD_DIM);
  if (b->n)
    return tabrl_error(TABRL_EINVAL, "the vector reward dimension must be set before outcomes");
  b->reward_dim = d;
  return 0;
}

int tabrl_mdp_builder_add_vec(tabrl_mdp_builder *b, int h, int s, int a, int next, double p,
                              double r, const double *vec)
{
  size_t d = (size_t)b->reward_dim;
  int status;
  if (!d || !vec)
    return tabrl_error(TABRL_EINVAL, "%s",
                       !d ? "a vector reward needs tabrl_mdp_builder_set_reward_dim first"
                          : "the vector reward is missing");
  if ((status = tabrl_mdp_builder_add(b, h, s, a, next, p, r))) return status;
  b->scalar_adds--;
  if (b->n > b->vec_cap) {
    size_t cap = b->vec_cap ? 2 * b->vec_cap : 64;
    double *v = realloc(b->vecs, cap * d * sizeof *v);
    if (!v) {
      b->scalar_adds++; /* finish refuses the model */
      return tabrl_error(TABRL_ENOMEM, "out of memory adding outcomes");
    }
    b->vecs = v;
    b->vec_cap = cap;
  }
  memcpy(b->vecs + (b->n - 1) * d, vec, d * sizeof *vec);
  b->entries[b->n - 1].vdim = (int)d;
  b->entries[b->n - 1].vec_at = b->n - 1;
  return 0;
}

void tabrl_mdp_builder_set_time(tabrl_mdp_builder *b, int horizon, double gamma)
{
  b->horizon = horizon;
  b->gamma = gamma;
  b->time_set = 1;
}

int tabrl_mdp_builder_set_mu0(tabrl_mdp_builder *b, const double *mu0)
{
  double *copy = malloc((size_t)b->S * sizeof *copy);
  if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
  memcpy(copy, mu0, (size_t)b->S * sizeof *copy);
  free(b->mu0);
  b->mu0 = copy;
  return 0;
}

void tabrl_mdp_builder_set_noise(tabrl_mdp_builder *b, tabrl_noise noise)
{
  b->noise = noise;
}

int tabrl_mdp_builder_set_features(tabrl_mdp_builder *b, int dim, const double *phi,
                                   const double *theta)
{
  size_t n = (size_t)b->S * (size_t)b->A * (size_t)dim;
  if (dim < 1) return tabrl_error(TABRL_EINVAL, "feature dimension %d must be >= 1", dim);
  free(b->phi);
  free(b->theta);
  b->theta = NULL;
  b->phi = malloc(n * sizeof(double));
  if (!b->phi) return tabrl_error(TABRL_ENOMEM, "out of memory");
  memcpy(b->phi, phi, n * sizeof(double));
  if (theta) {
    b->theta = malloc((size_t)dim * sizeof(double));
    if (!b->theta) return tabrl_error(TABRL_ENOMEM, "out of memory");
    memcpy(b->theta, theta, (size_t)dim * sizeof(double));
  }
  b->dim = dim;
  return 0;
}

int tabrl_mdp_builder_set_mixture(tabrl_mdp_builder *b, int dim, const double *basis)
{
  size_t n = (size_t)dim * (size_t)b->S * (size_t)b->A * (size_t)b->S;
  if (dim < 1) return tabrl_error(TABRL_EINVAL, "mixture dimension %d must be >= 1", dim);
  free(b->mixture_basis);
  b->mixture_dim = 0;
  b->mixture_basis = malloc(n * sizeof(double));
  if (!b->mixture_basis) return tabrl_error(TABRL_ENOMEM, "out of memory");
  memcpy(b->mixture_basis, basis, n * sizeof(double));
  b->mixture_dim = dim;
  return 0;
}

int tabrl_mdp_builder_set_grid(tabrl_mdp_builder *b, int rows, int cols, const char *cells,
                               const int *state_of_cell, const char *glyphs)
{
  grid_free(b->grid);
  b->grid = grid_copy(rows, cols, cells, state_of_cell, glyphs, b->A);
  return b->grid ? 0 : tabrl_error(TABRL_ENOMEM, "out of memory");
}

int tabrl_mdp_builder_set_name(tabrl_mdp_builder *b, const char *name)
{
  char *copy = malloc(strlen(name) + 1);
  if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
  strcpy(copy, name);
  free(b->name);
  b->name = copy;
  return 0;
}

static int set_copy(double **dst, const double *src, size_t n)
{
  double *copy = malloc(n * sizeof *copy);
  if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
  memcpy(copy, src, n * sizeof *copy);
  free(*dst);
  *dst = copy;
  return 0;
}

int tabrl_mdp_builder_set_preference(tabrl_mdp_builder *b, const double *P)
{
  return set_copy(&b->preference, P, (size_t)b->A * (size_t)b->A);
}

int tabrl_mdp_builder_set_reference(tabrl_mdp_builder *b, const double *ref)
{
  return set_copy(&b->reference, ref, (size_t)b->S * (size_t)b->A);
}

void tabrl_mdp_builder_set_game_beta(tabrl_mdp_builder *b, double beta)
{
  b->game_beta = beta;
}

void tabrl_softmax(const double *logits, int n, double *p)
{
  double top = -INFINITY, total = 0;
  for (int i = 0; i < n; i++)
    if (logits[i] > top) top = logits[i];
  for (int i = 0; i < n; i++) total += p[i] = exp(logits[i] - top);
  for (int i = 0; i < n; i++) p[i] /= total;
}

/* The preference matrix, the reference policy and the game's beta. */
static int validate_preferences(const tabrl_mdp_builder *b)
{
  int A = b->A;
  if (!(b->game_beta >= 0 && isfinite(b->game_beta)))
    return tabrl_error(TABRL_EINVAL, "game regularisation beta = %g must be >= 0", b->game_beta);
  for (int i = 0; b->preference && i < A; i++)
    for (int j = 0; j < A; j++) {
      double p = b->preference[i * A + j], q = b->preference[j * A + i];
      if (!(p >= 0 && p <= 1))
        return tabrl_error(TABRL_EINVAL, "preference P(%d, %d) = %g is not a probability", i, j, p);
      if (i == j && p != 0.5)
        return tabrl_error(TABRL_EINVAL, "preference P(%d, %d) = %g: the diagonal must be 1/2", i,
                           i, p);
      if (fabs(p + q - 1) > TABRL_PROB_TOL)
        return tabrl_error(TABRL_EINVAL,
                           "preferences P(%d, %d) + P(%d, %d) = %.17g, not 1 (tolerance 1e-12)", i,
                           j, j, i, p + q);
    }
  for (int s = 0; b->reference && s < b->S; s++) {
    double total = 0;
    for (int a = 0; a < A; a++) {
      double p = b->reference[(size_t)s * (size_t)A + (size_t)a];
      if (!(p >= 0 && p <= 1))
        return tabrl_error(TABRL_EINVAL,
                           "reference policy at state %d, action %d: %g is not a "
                           "probability",
                           s, a, p);
      total += p;
    }
    if (fabs(total - 1) > TABRL_PROB_TOL)
      return tabrl_error(TABRL_EINVAL,
                         "reference policy at state %d sums to %.17g, not 1 (tolerance 1e-12)", s,
                         total);
  }
  return 0;
}

static int entry_cmp(const void *x, const void *y)
{
  const struct entry *a = x, *b = y;
  if (a->block != b->block) return a->block < b->block ? -1 : 1;
  if (a->next != b->next) return a->next < b->next ? -1 : 1;
  if (a->r != b->r) return a->r < b->r ? -1 : 1;
  if (a->c != b->c) return a->c < b->c ? -1 : 1;
  for (int i = 0; i < a->vdim; i++)
    if (a->vec[i] != b->vec[i]) return a->vec[i] < b->vec[i] ? -1 : 1;
  return 0;
}

static void describe_block(const tabrl_mdp_builder *b, size_t block, char *buf, size_t size)
{
  int a = (int)(block % (size_t)b->A);
  int s = (int)((block / (size_t)b->A) % (size_t)b->S);
  int h = (int)(block / ((size_t)b->A * (size_t)b->S));
  if (b->stages > 1)
    snprintf(buf, size, "stage %d, state %d, action %d", h, s, a);
  else
    snprintf(buf, size, "state %d, action %d", s, a);
}

/* Vose's alias method on one block of n probabilities, with integer cuts:
 * entry i is kept when the low 32 bits of u*n fall below cut[i]. */
static void build_alias(const double *p, size_t n, tabrl_alias_slot *slot, double *scaled,
                        size_t *small, size_t *large)
{
  size_t ns = 0, nl = 0, i;
  double total = 0;
  for (i = 0; i < n; i++) total += p[i];
  for (i = 0; i < n; i++) {
    scaled[i] = p[i] / total * (double)n;
    slot[i].alias = (int)i;
    if (scaled[i] < 1.0)
      small[ns++] = i;
    else
      large[nl++] = i;
  }
  while (ns > 0 && nl > 0) {
    size_t l = small[--ns], g = large[nl - 1];
    slot[l].cut = (uint32_t)fmin(4294967295.0, floor(scaled[l] * 4294967296.0));
    slot[l].alias = (int)g;
    scaled[g] -= 1.0 - scaled[l];
    if (scaled[g] < 1.0) {
      nl--;
      small[ns++] = g;
    }
  }
  /* Leftovers have scaled probability 1 up to rounding: always keep them. */
  while (nl > 0) {
    size_t g = large[--nl];
    slot[g].cut = 0xffffffffu;
    slot[g].alias = (int)g;
  }
  while (ns > 0) {
    size_t l = small[--ns];
    slot[l].cut = 0xffffffffu;
    slot[l].alias = (int)l;
  }
}

static int validate_scalars(const tabrl_mdp_builder *b)
{
  int status;
  if (!b->time_set)
    return tabrl_error(TABRL_EINVAL, "the model has neither a horizon nor a discount factor");
  if ((status = check_time(b->horizon, b->gamma, b->stages))) return status;
  if (b->noise.kind != TABRL_NOISE_NONE) {
    if (!(b->noise.scale > 0 && isfinite(b->noise.scale)))
      return tabrl_error(TABRL_EINVAL, "reward noise scale %g must be > 0", b->noise.scale);
    if ((b->noise.kind == TABRL_NOISE_STUDENT_T || b->noise.kind == TABRL_NOISE_PARETO) &&
        !(b->noise.shape > 1 && isfinite(b->noise.shape)))
      return tabrl_error(TABRL_EINVAL,
                         "reward noise shape %g must be > 1 (the noise needs a finite mean)",
                         b->noise.shape);
  }
  if (b->mu0) {
    double total = 0;
    for (int s = 0; s < b->S; s++) {
      if (!(b->mu0[s] >= 0 && isfinite(b->mu0[s])))
        return tabrl_error(TABRL_EINVAL, "initial distribution: mu0(%d) = %g is not a probability",
                           s, b->mu0[s]);
      total += b->mu0[s];
    }
    if (fabs(total - 1.0) > 1e-9)
      return tabrl_error(TABRL_EINVAL, "initial distribution sums to %.17g, not 1", total);
  }
  if (b->phi) {
    size_t n = (size_t)b->S * (size_t)b->A * (size_t)b->dim;
    for (size_t i = 0; i < n; i++)
      if (!isfinite(b->phi[i]))
        return tabrl_error(TABRL_EINVAL, "feature phi has a non-finite value at index %zu", i);
  }
  if (b->mixture_basis) {
    size_t n = (size_t)b->mixture_dim * (size_t)b->S * (size_t)b->A * (size_t)b->S;
    for (size_t i = 0; i < n; i++)
      if (!(b->mixture_basis[i] >= 0 && isfinite(b->mixture_basis[i])))
        return tabrl_error(TABRL_EINVAL,
                           "mixture basis has a negative or non-finite value at index %zu", i);
  }
  return 0;
}

int tabrl_mdp_builder_finish(tabrl_mdp_builder *b, tabrl_mdp **out)
{
  size_t blocks = (size_t)b->stages * (size_t)b->S * (size_t)b->A, i, k, maxrun = 0;
  size_t common_run = 0;
  int same_run = 1;
  tabrl_mdp *m = NULL;
  double *scaled = NULL;
  size_t *small = NULL, *large = NULL;
  char where[96];
  int status;

  *out = NULL;
  if (b->bad_index)
    return tabrl_error(TABRL_EINVAL,
                       "outcome (h=%d, s=%d, a=%d, s'=%d) out of range (%d stages, %d states, "
                       "%d actions)",
                       b->bad_h, b->bad_s, b->bad_a, b->bad_next, b->stages, b->S, b->A);
  if ((status = validate_scalars(b))) return status;
  if ((status = validate_preferences(b))) return status;
  if (b->scalar_adds)
    return tabrl_error(TABRL_EINVAL,
                       "%ld outcomes were added without their %d-dimensional vector reward",
                       b->scalar_adds, b->reward_dim);
  for (i = 0; i < b->n && b->reward_dim; i++) {
    struct entry *e = &b->entries[i];
    e->vec = b->vecs + e->vec_at * (size_t)b->reward_dim;
    for (int j = 0; j < b->reward_dim; j++)
      if (!isfinite(e->vec[j])) {
        describe_block(b, e->block, where, sizeof where);
        return tabrl_error(TABRL_EINVAL, "%s, next state %d: reward component %d is %g", where,
                           e->next, j + 1, e->vec[j]);
      }
  }
  for (i = 0; i < b->n; i++) {
    const struct entry *e = &b->entries[i];
    if (!isfinite(e->c)) {
      describe_block(b, e->block, where, sizeof where);
      return tabrl_error(TABRL_EINVAL, "%s, next state %d: cost is %g", where, e->next, e->c);
    }
    if (!(e->p >= 0) || !isfinite(e->p) || !isfinite(e->r)) {
      describe_block(b, e->block, where, sizeof where);
      return tabrl_error(TABRL_EINVAL, "%s, next state %d: %s %g", where, e->next,
                         !isfinite(e->r) ? "reward is" : "probability is not in [0,1]:",
                         !isfinite(e->r) ? e->r : e->p);
    }
  }

  /* Sort into block order, merge exact repeats, drop zero mass. */
  /* Exported files and most envs add entries in order already: check
   * before paying for the sort. */
  for (i = 1; i < b->n && entry_cmp(&b->entries[i - 1], &b->entries[i]) <= 0; i++) continue;
  if (b->n > 1 && i < b->n) qsort(b->entries, b->n, sizeof *b->entries, entry_cmp);
  for (i = 0, k = 0; i < b->n; i++) {
    if (k > 0 && entry_cmp(&b->entries[k - 1], &b->entries[i]) == 0)
      b->entries[k - 1].p += b->entries[i].p;
    else
      b->entries[k++] = b->entries[i];
  }
  for (i = 0, b->n = k, k = 0; i < b->n; i++)
    if (b->entries[i].p > 0) b->entries[k++] = b->entries[i];
  b->n = k;

  m = calloc(1, sizeof *m);
  if (!m) return tabrl_error(TABRL_ENOMEM, "out of memory building the model");
  m->S = b->S;
  m->A = b->A;
  m->stages = b->stages;
  m->horizon = b->horizon;
  m->gamma = b->horizon > 0 ? 1.0 : b->gamma;
  m->nnz = b->n;
  m->noise = b->noise;
  m->row = calloc(blocks + 1, sizeof *m->row);
  m->next = malloc((b->n + 1) * sizeof *m->next);
  m->prob = malloc((b->n + 1) * sizeof *m->prob);
  m->reward = malloc((b->n + 1) * sizeof *m->reward);
  m->sampler = malloc((b->n + 1) * sizeof *m->sampler);
  m->mean_reward = calloc(blocks, sizeof *m->mean_reward);
  m->mu0 = calloc((size_t)b->S, sizeof *m->mu0);
  m->reward_dim = b->reward_dim;
  if (b->reward_dim &&
      !(m->reward_vec = malloc((b->n + 1) * (size_t)b->reward_dim * sizeof *m->reward_vec))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory building the model");
    goto fail;
  }
  if (b->has_cost && !(m->cost = malloc((b->n + 1) * sizeof *m->cost))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory building the model");
    goto fail;
  }
  if (!m->row || !m->next || !m->prob || !m->reward || !m->sampler || !m->mean_reward || !m->mu0) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory building the model");
    goto fail;
  }
  for (i = 0; i < b->n; i++) {
    m->row[b->entries[i].block + 1]++;
    m->next[i] = b->entries[i].next;
    m->prob[i] = b->entries[i].p;
    m->reward[i] = b->entries[i].r;
    if (m->cost) m->cost[i] = b->entries[i].c;
    if (b->reward_dim)
      memcpy(m->reward_vec + i * (size_t)b->reward_dim, b->entries[i].vec,
             (size_t)b->reward_dim * sizeof *m->reward_vec);
  }
  for (i = 0; i < blocks; i++) {
    size_t run = m->row[i + 1];
    m->row[i + 1] += m->row[i];
    if (run > maxrun) maxrun = run;
  }

  /* Each block is a distribution or empty (invalid action); each (h, s)
   * keeps at least one valid action. */
  for (i = 0; i < blocks; i++) {
    double total = 0, mean = 0;
    for (k = m->row[i]; k < m->row[i + 1]; k++) {
      total += m->prob[k];
      mean += m->prob[k] * m->reward[k];
    }
    if (m->row[i + 1] > m->row[i] && fabs(total - 1.0) > TABRL_PROB_TOL) {
      describe_block(b, i, where, sizeof where);
      status = tabrl_error(TABRL_EINVAL, "%s: probabilities sum to %.17g, not 1 (tolerance 1e-12)",
                           where, total);
      goto fail;
    }
    m->mean_reward[i] = mean;
    if (i % (size_t)b->A == (size_t)b->A - 1) {
      size_t first = i + 1 - (size_t)b->A;
      if (m->row[i + 1] == m->row[first]) {
        describe_block(b, first, where, sizeof where);
        *strrchr(where, ',') = '\0';
        status = tabrl_error(TABRL_EINVAL, "%s has no valid action (no outcomes)", where);
        goto fail;
      }
    }
  }

  scaled = malloc((maxrun + 1) * sizeof *scaled);
  small = malloc((maxrun + 1) * sizeof *small);
  large = malloc((maxrun + 1) * sizeof *large);
  if (!scaled || !small || !large) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory building alias tables");
    goto fail;
  }
  for (i = 0; i < blocks; i++) {
    size_t lo = m->row[i], n = m->row[i + 1] - lo;
    build_alias(m->prob + lo, n, m->sampler + lo, scaled, small, large);
    for (k = lo; k < lo + n; k++) {
      tabrl_alias_slot *slot = &m->sampler[k];
      size_t other = lo + (size_t)slot->alias;
      slot->next[0] = m->next[k];
      slot->next[1] = m->next[other];
    }
    if (n > 0 && common_run == 0) common_run = n;
    if (n > 0 && n != common_run) same_run = 0;
  }
  /* Lets the oracle use a sweep kernel unrolled for that run length. */
  m->uniform_run = same_run ? common_run : 0;

  if (b->mu0)
    memcpy(m->mu0, b->mu0, (size_t)b->S * sizeof *m->mu0);
  else
    m->mu0[0] = 1.0;
  m->dim = b->dim;
  m->phi = b->phi;
  m->theta = b->theta;
  m->mixture_dim = b->mixture_dim;
  m->mixture_basis = b->mixture_basis;
  b->mixture_basis = NULL;
  m->preference = b->preference;
  m->reference = b->reference;
  m->game_beta = b->game_beta;
  b->preference = b->reference = NULL;
  m->grid = b->grid;
  m->name = b->name;
  b->phi = b->theta = NULL;
  b->grid = NULL;
  b->name = NULL;
  free(scaled);
  free(small);
  free(large);
  *out = m;
  return 0;

fail:
  free(scaled);
  free(small);
  free(large);
  tabrl_mdp_free(m);
  return status;
}
