/* The dataset of the offline-preference protocol; see run/pref_data.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/pref_data.h"
#include "tabrl/error.h"

void pref_dataset_free(pref_dataset *d)
{
  free(d->context);
  free(d->chosen);
  free(d->rejected);
  free(d->reference);
  memset(d, 0, sizeof *d);
}

/* Room for n rows and the reference of m (uniform unless m has one). */
static int alloc_rows(pref_dataset *d, const tabrl_mdp *m, size_t n)
{
  size_t cells = (size_t)m->S * (size_t)m->A;
  d->context = realloc(d->context, (n ? n : 1) * sizeof *d->context);
  d->chosen = realloc(d->chosen, (n ? n : 1) * sizeof *d->chosen);
  d->rejected = realloc(d->rejected, (n ? n : 1) * sizeof *d->rejected);
  if (!d->reference && (d->reference = malloc(cells * sizeof *d->reference)))
    for (size_t i = 0; i < cells; i++)
      d->reference[i] = m->reference ? m->reference[i] : 1.0 / m->A;
  if (!d->context || !d->chosen || !d->rejected || !d->reference)
    return tabrl_error(TABRL_ENOMEM, "out of memory for %zu comparisons", n);
  d->data = (tabrl_pref_data){n, d->context, d->chosen, d->rejected, d->reference};
  return 0;
}

int pref_dataset_reference(const tabrl_mdp *m, pref_dataset *out)
{
  return alloc_rows(out, m, 0);
}

/* One field of a row: a decimal integer in [0, n). */
static int parse_index(const char *path, long line, const char *text, int n, const char *what,
                       int *out)
{
  char *end;
  errno = 0;
  long x = strtol(text, &end, 10);
  if (!*text || *end || errno)
    return tabrl_error(TABRL_EINVAL, "%s:%ld: %s '%s' is not an integer", path, line, what, text);
  if (x < 0 || x >= n)
    return tabrl_error(TABRL_EINVAL, "%s:%ld: %s %ld out of range [0,%d)", path, line, what, x, n);
  *out = (int)x;
  return 0;
}

/* Splits line in place at commas, trimming blanks; returns the count
 * (at most max). */
static int split(char *line, char **fields, int max)
{
  int n = 0;
  char *p = line;
  for (;;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    while (*p == ' ' || *p == '\t') p++;
    size_t len = strlen(p);
    while (len > 0 && strchr(" \t\r\n", p[len - 1])) p[--len] = '\0';
    if (n < max) fields[n] = p;
    n++;
    if (!comma) return n;
    p = comma + 1;
  }
}

int pref_dataset_read(const char *path, const tabrl_mdp *m, pref_dataset *out)
{
  static const char *const names[] = {"context", "chosen", "rejected"};
  FILE *f = fopen(path, "r");
  char *line = NULL, *fields[3];
  size_t cap = 0, n = 0, room = 0;
  long line_no = 0;
  int status = 0, header = 0;
  memset(out, 0, sizeof *out);
  if (!f) return tabrl_error(TABRL_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  if ((status = alloc_rows(out, m, 0))) goto done;
  while (getline(&line, &cap, f) >= 0) {
    line_no++;
    if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
    int k = split(line, fields, 3);
    if (!header) {
      header = 1;
      if (k != 3 || strcmp(fields[0], "context") || strcmp(fields[1], "chosen") ||
          strcmp(fields[2], "rejected")) {
        status = tabrl_error(TABRL_EINVAL, "%s:%ld: the header must be 'context,chosen,rejected'",
                             path, line_no);
        goto done;
      }
      continue;
    }
    if (k != 3) {
      status = tabrl_error(TABRL_EINVAL, "%s:%ld: %d fields, expected 3 (context,chosen,rejected)",
                           path, line_no, k);
      goto done;
    }
    int x[3];
    for (int j = 0; j < 3; j++)
      if ((status = parse_index(path, line_no, fields[j], j ? m->A : m->S, names[j], &x[j])))
        goto done;
    for (int j = 1; j < 3; j++)
      if (!tabrl_mdp_valid(m, 0, x[0], x[j])) {
        status = tabrl_error(TABRL_EINVAL, "%s:%ld: response %d is not valid in context %d", path,
                             line_no, x[j], x[0]);
        goto done;
      }
    if (n == room && (status = alloc_rows(out, m, room = 2 * room + 64))) goto done;
    out->context[n] = x[0];
    out->chosen[n] = x[1];
    out->rejected[n] = x[2];
    n++;
  }
  if (ferror(f))
    status = tabrl_error(TABRL_EINVAL, "%s: cannot read: %s", path, strerror(errno));
  else if (!header)
    status = tabrl_error(TABRL_EINVAL, "%s: empty file (needs the header context,chosen,rejected)",
                         path);
  else if (!n)
    status = tabrl_error(TABRL_EINVAL, "%s: no comparisons after the header", path);
  else
    out->data.n = n;
done:
  free(line);
  fclose(f);
  if (status) pref_dataset_free(out);
  return status;
}

/* Index drawn from the distribution p of n entries with one uniform. */
static int draw(const double *p, int n, gsl_rng *r)
{
  double u = gsl_rng_uniform(r), c = 0;
  for (int i = 0; i < n - 1; i++)
    if (u < (c += p[i])) return i;
  return n - 1;
}

int pref_dataset_draw(const tabrl_mdp *m, const tabrl_feedback *f, long n, gsl_rng *data,
                      gsl_rng *fb, pref_dataset *out)
{
  int status;
  memset(out, 0, sizeof *out);
  if ((status = alloc_rows(out, m, (size_t)n))) {
    pref_dataset_free(out);
    return status;
  }
  for (long i = 0; i < n; i++) {
    int s = draw(m->mu0, m->S, data);
    const double *ref = out->reference + (size_t)s * (size_t)m->A;
    int y1 = draw(ref, m->A, data), y2 = draw(ref, m->A, data), first;
    if (m->preference) {
      first = gsl_rng_uniform(fb) < m->preference[(size_t)y1 * (size_t)m->A + (size_t)y2];
    } else {
      tabrl_step a = {0, s, y1, s, m->mean_reward[tabrl_mdp_block(m, 0, s, y1)]};
      tabrl_step b = {0, s, y2, s, m->mean_reward[tabrl_mdp_block(m, 0, s, y2)]};
      first = tabrl_feedback_prefer(f, &a, &b, 1, fb);
    }
    out->context[i] = s;
    out->chosen[i] = first ? y1 : y2;
    out->rejected[i] = first ? y2 : y1;
  }
  return 0;
}
