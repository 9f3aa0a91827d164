/* runs.csv -> summary.csv: mean, std and t-interval over seeds per
 * checkpoint; see tabrl/results.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "results/private.h"
#include "results/runs_csv.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/schema.h"

/* ---- summary.csv ---- */

typedef struct {
  const runs_data *d;
  size_t *order;  /* rows grouped by checkpoint, groups in order of appearance */
  size_t *starts; /* group g is order[starts[g] .. starts[g + 1]) */
  size_t n_groups;
  double *scratch;
} summary_job;

static void print_summary(FILE *f, const tabrl_summary *s)
{
  fprintf(f, ",%.17g,%.17g,%.17g,%.17g", s->mean, s->std, s->lo, s->hi);
}

/* The summary of w1 (which 0), cramer (1), value_err (2), queries (3), kl (4), cost (5) or
 * violation (6) over the group's rows that have one, or empty fields. */
static int print_optional(FILE *f, const summary_job *job, const size_t *members, size_t n,
                          int which)
{
  size_t k = 0;
  tabrl_summary s;
  int status;
  for (size_t i = 0; i < n; i++) {
    const run_row *row = &job->d->rows[members[i]];
    double x = which == 6   ? row->violation
               : which == 5 ? row->cost
               : which == 4 ? row->kl
               : which == 3 ? row->queries
               : which == 2 ? row->value_err
               : which      ? row->cramer
                            : row->w1;
    if (!isnan(x)) job->scratch[k++] = x;
  }
  if (!k) {
    fputs(",,,,", f);
    return TABRL_OK;
  }
  if ((status = tabrl_stats_summary(job->scratch, k, &s))) return status;
  print_summary(f, &s);
  return TABRL_OK;
}

/* The mean over the group's rows of bound which (0: w1_bound, 1:
 * cramer_bound), which bounds the mean distance; empty when no row has
 * one.  A running mean, so that seeds with the same bound (the usual
 * case: it depends on the parameters and the model) give it exactly. */
static void print_bound(FILE *f, const summary_job *job, const size_t *members, size_t n, int which)
{
  size_t k = 0;
  double mean = 0;
  for (size_t i = 0; i < n; i++) {
    double x = job->d->rows[members[i]].bound[which];
    if (!isnan(x)) mean += (x - mean) / (double)++k;
  }
  fputc(',', f);
  if (k) fprintf(f, "%.17g", mean);
}

static int write_summary(FILE *f, void *ctx)
{
  const summary_job *job = ctx;
  const runs_data *d = job->d;
  tabrl_summary s;
  int status;

  tabrl_schema_write_header(&tabrl_schema_summary, f);
  for (size_t g = 0; g < job->n_groups; g++) {
    const size_t *members = job->order + job->starts[g];
    size_t n = job->starts[g + 1] - job->starts[g], n_values = 0;
    const run_row *first = &d->rows[members[0]];
    fprintf(f, "%s,%s,%s,%lld,%zu", d->labels[first->env], d->labels[first->algo],
            d->labels[first->config], first->episode, n);
    for (size_t i = 0; i < n; i++) job->scratch[i] = d->rows[members[i]].cum_regret;
    if ((status = tabrl_stats_summary(job->scratch, n, &s))) return status;
    print_summary(f, &s);
    for (size_t i = 0; i < n; i++)
      if (d->rows[members[i]].has_value) job->scratch[n_values++] = d->rows[members[i]].value;
    if (n_values) {
      if ((status = tabrl_stats_summary(job->scratch, n_values, &s))) return status;
      print_summary(f, &s);
    } else
      fputs(",,,,", f);
    /* Columns in tabrl_schema_summary order. */
    if ((status = print_optional(f, job, members, n, 0)) ||
        (status = print_optional(f, job, members, n, 1)))
      return status;
    print_bound(f, job, members, n, 0);
    print_bound(f, job, members, n, 1);
    if ((status = print_optional(f, job, members, n, 2)) ||
        (status = print_optional(f, job, members, n, 3)) ||
        (status = print_optional(f, job, members, n, 4)) ||
        (status = print_optional(f, job, members, n, 5)) ||
        (status = print_optional(f, job, members, n, 6)))
      return status;
    fputc('\n', f);
  }
  return TABRL_OK;
}

/* Groups d's rows by (env, algo, config, episode) and writes dir/summary.csv. */
int tabrl_runs_summarize(const runs_data *d, const char *dir)
{
  return tabrl_runs_summarize_sync(d, dir, TABRL_SYNC_FILE | TABRL_SYNC_DIR);
}

int tabrl_runs_summarize_sync(const runs_data *d, const char *dir, int sync)
{
  table groups = {0};
  summary_job job = {d, NULL, NULL, 0, NULL};
  size_t *group_of = malloc((d->n_rows + 1) * sizeof *group_of);
  char *path = tabrl_path_join(dir, "summary.csv");
  int status = TABRL_OK;

  job.order = malloc((d->n_rows + 1) * sizeof *job.order);
  job.starts = calloc(d->n_rows + 2, sizeof *job.starts);
  job.scratch = malloc((d->n_rows + 1) * sizeof *job.scratch);
  if (!group_of || !path || !job.order || !job.starts || !job.scratch) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < d->n_rows; i++) {
    const run_row *r = &d->rows[i];
    uint64_t key[KEY_WIDTH] = {r->env, r->algo, r->config, (uint64_t)r->episode};
    int added = tabrl_table_upsert(&groups, key, job.n_groups, &group_of[i]);
    if (added < 0) {
      status = added;
      goto done;
    }
    job.n_groups += (size_t)added;
    job.starts[group_of[i] + 1]++;
  }
  /* Counting sort by group keeps each group's rows in file order. */
  for (size_t g = 0; g < job.n_groups; g++) job.starts[g + 1] += job.starts[g];
  {
    size_t *next = malloc((job.n_groups + 1) * sizeof *next);
    if (!next) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto done;
    }
    memcpy(next, job.starts, (job.n_groups + 1) * sizeof *next);
    for (size_t i = 0; i < d->n_rows; i++) job.order[next[group_of[i]]++] = i;
    free(next);
  }
  status = tabrl_write_atomic_sync(path, write_summary, &job, sync);
done:
  tabrl_table_free(&groups);
  free(group_of);
  free(path);
  free(job.order);
  free(job.starts);
  free(job.scratch);
  return status;
}

int tabrl_results_summarize(const char *dir)
{
  return tabrl_results_summarize_sync(dir, TABRL_SYNC_FILE | TABRL_SYNC_DIR);
}

int tabrl_results_summarize_sync(const char *dir, int sync)
{
  runs_data d = {0};
  const char *dirs[1] = {dir};
  tabrl_init();
  int status = tabrl_runs_read(&d, dirs, 0);
  if (!status) status = tabrl_runs_summarize_sync(&d, dir, sync);
  tabrl_runs_free(&d);
  return status;
}
