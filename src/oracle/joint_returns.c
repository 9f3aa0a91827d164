/* The exact joint distribution of a vector return; see tabrl/returns.h.
 *
 * Forward propagation over (state, accumulated vector): the law of
 * (s_h, y_h) is a finite list of atoms, and one step maps each atom through
 * pi and the model's outcomes.  Sorting by (state, vector) and merging
 * neighbours keeps the list as small as the number of distinct pairs, which
 * is what makes a long horizon affordable when rewards repeat. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/returns.h"

struct item {
  int s;
  int d;
  double p;
  double *v; /* d values in the owning buffer */
};

/* Components this close (relative) are the same return: sums taken in a
 * different order may differ in the last bits. */
#define JOINT_TOL 1e-12

static int close_to(double x, double y)
{
  return fabs(x - y) <= JOINT_TOL * fmax(1.0, fmax(fabs(x), fabs(y)));
}

static int vec_cmp(const double *a, const double *b, int d)
{
  for (int i = 0; i < d; i++)
    if (!close_to(a[i], b[i])) return a[i] < b[i] ? -1 : 1;
  return 0;
}

static int item_cmp(const void *x, const void *y)
{
  const struct item *a = x, *b = y;
  if (a->s != b->s) return a->s < b->s ? -1 : 1;
  return vec_cmp(a->v, b->v, a->d);
}

/* Sorts and merges equal (s, vector) items; returns the new count.  The
 * merged vectors are copied into out (n d values) so the next step can
 * reuse the other buffer. */
static size_t merge(struct item *it, size_t n, int d, double *out)
{
  size_t k = 0;
  qsort(it, n, sizeof *it, item_cmp);
  for (size_t i = 0; i < n; i++) {
    if (k > 0 && item_cmp(&it[k - 1], &it[i]) == 0) {
      it[k - 1].p += it[i].p;
      continue;
    }
    memcpy(out + k * (size_t)d, it[i].v, (size_t)d * sizeof *out);
    it[k] = it[i];
    it[k].v = out + k * (size_t)d;
    k++;
  }
  return k;
}

/* Room for at least want items in both lists; the items of cur keep
 * their vectors at their own slot of vcur. */
static int reserve(struct item **cur, double **vcur, struct item **nxt, double **vnxt, size_t *cap,
                   size_t want, int d, size_t count)
{
  struct item *a, *b;
  double *va, *vb;
  if (want <= *cap) return 0;
  if (!(a = realloc(*cur, want * sizeof *a))) return TABRL_ENOMEM;
  *cur = a;
  if (!(va = realloc(*vcur, want * (size_t)d * sizeof *va))) return TABRL_ENOMEM;
  *vcur = va;
  if (!(b = realloc(*nxt, want * sizeof *b))) return TABRL_ENOMEM;
  *nxt = b;
  if (!(vb = realloc(*vnxt, want * (size_t)d * sizeof *vb))) return TABRL_ENOMEM;
  *vnxt = vb;
  for (size_t i = 0; i < count; i++) a[i].v = va + i * (size_t)d;
  *cap = want;
  return 0;
}

int tabrl_joint_return_distribution(const tabrl_mdp *m, const tabrl_policy *pi, const double *start,
                                    size_t max_atoms, double **values, double **probs, size_t *n)
{
  int d = m->reward_dim, status = 0;
  size_t count = 0, cap = 0;
  struct item *cur = NULL, *nxt = NULL;
  double *vcur = NULL, *vnxt = NULL;

  *values = *probs = NULL;
  *n = 0;
  if (d < 1)
    return tabrl_error(TABRL_EUNSUPPORTED, "the model has no vector reward (columns r1, r2, ...)");
  if (m->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "the joint return distribution needs an episodic model (a horizon)");
  if (m->noise.kind != TABRL_NOISE_NONE)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "the joint return distribution is exact only without reward noise; the "
                       "model adds continuous reward noise");
  if (max_atoms < 1) max_atoms = TABRL_JOINT_MAX_ATOMS;
  if ((status = tabrl_policy_check(pi, m))) return status;
  if (!start) start = m->mu0;

  if (reserve(&cur, &vcur, &nxt, &vnxt, &cap, (size_t)m->S, d, 0)) goto oom;
  for (int s = 0; s < m->S; s++)
    if (start[s] > 0) {
      cur[count].s = s;
      cur[count].d = d;
      cur[count].p = start[s];
      cur[count].v = vcur + count * (size_t)d;
      memset(cur[count].v, 0, (size_t)d * sizeof(double));
      count++;
    }

  for (int h = 0; h < m->horizon; h++) {
    size_t k = 0, want = 0;
    for (size_t i = 0; i < count; i++) {
      const double *row = tabrl_policy_row(pi, h, cur[i].s);
      for (int a = 0; a < m->A; a++) {
        size_t b = tabrl_mdp_block(m, h, cur[i].s, a);
        if (row[a] > 0) want += m->row[b + 1] - m->row[b];
      }
    }
    if (reserve(&cur, &vcur, &nxt, &vnxt, &cap, want, d, count)) goto oom;
    for (size_t i = 0; i < count; i++) {
      const double *row = tabrl_policy_row(pi, h, cur[i].s);
      for (int a = 0; a < m->A; a++) {
        size_t b = tabrl_mdp_block(m, h, cur[i].s, a);
        if (row[a] <= 0) continue;
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++) {
          double *v = vnxt + k * (size_t)d;
          for (int j = 0; j < d; j++) v[j] = cur[i].v[j] + m->reward_vec[e * (size_t)d + (size_t)j];
          nxt[k].s = m->next[e];
          nxt[k].d = d;
          nxt[k].p = cur[i].p * row[a] * m->prob[e];
          nxt[k].v = v;
          k++;
        }
      }
    }
    /* The merged vectors go to vcur: cur has been expanded already. */
    count = merge(nxt, k, d, vcur);
    if (count > max_atoms) {
      status = tabrl_error(TABRL_EUNSUPPORTED,
                           "the joint return distribution has %zu (state, return) atoms at stage "
                           "%d, more than the budget of %zu",
                           count, h + 1, max_atoms);
      goto done;
    }
    {
      struct item *t = cur;
      cur = nxt;
      nxt = t;
    }
  }

  /* Forget the state: merge equal vectors across states. */
  for (size_t i = 0; i < count; i++) cur[i].s = 0;
  count = merge(cur, count, d, vnxt);
  *values = malloc((count ? count : 1) * (size_t)d * sizeof **values);
  *probs = malloc((count ? count : 1) * sizeof **probs);
  if (!*values || !*probs) {
    free(*values);
    free(*probs);
    *values = *probs = NULL;
    goto oom;
  }
  for (size_t i = 0; i < count; i++) (*probs)[i] = cur[i].p;
  memcpy(*values, vnxt, count * (size_t)d * sizeof **values);
  *n = count;
  goto done;

oom:
  status = tabrl_error(TABRL_ENOMEM, "out of memory for the joint return distribution");
done:
  free(cur);
  free(vcur);
  free(nxt);
  free(vnxt);
  return status;
}
