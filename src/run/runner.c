/* Running an experiment: the queue of runs on a thread pool, the per-run
 * files of DIR/.runs, resume, and assembling runs.csv and policies.csv.
 * See tabrl/runner.h; one run is run_one.c. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "run/clock.h"
#include "model/fileio.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/runner.h"
#include "tabrl/schema.h"

/* ---- files ---- */

static char *read_all(const char *path, size_t *size)
{
  FILE *f = fopen(path, "r");
  char *data = NULL;
  size_t cap = 0;
  *size = 0;
  if (!f) return NULL;
  for (;;) {
    if (*size + 65536 + 1 > cap) {
      cap = 2 * cap + 65536 + 1;
      char *grown = realloc(data, cap);
      if (!grown) {
        free(data);
        fclose(f);
        return NULL;
      }
      data = grown;
    }
    size_t got = fread(data + *size, 1, 65536, f);
    *size += got;
    if (got < 65536) break;
  }
  fclose(f);
  data[*size] = '\0';
  return data;
}

/* The experiment_hash recorded in DIR/manifest.ini, or 0 if none. */
static unsigned long long manifest_hash(const char *dir)
{
  char path[4200], line[512];
  unsigned long long h = 0;
  snprintf(path, sizeof path, "%s/manifest.ini", dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "experiment_hash = %llx", &h) == 1) break;
  fclose(f);
  return h;
}

static void run_file(char *buf, size_t size, const char *dir, const char *kind, size_t run)
{
  snprintf(buf, size, "%s/.runs/%s-%08zu.csv", dir, kind, run);
}

struct pool {
  const tabrl_experiment *e;
  const tabrl_run_options *opt;
  size_t *pending, npending;
  atomic_size_t next, done;
  atomic_long episodes;
  pthread_mutex_t lock;
  int status;
  char message[1024];
  double run_seconds;
};

static void *worker(void *arg)
{
  struct pool *p = arg;
  tabrl_error_clear();
  for (;;) {
    size_t i = atomic_fetch_add(&p->next, 1);
    if (i >= p->npending) break;
    pthread_mutex_lock(&p->lock);
    int failed = p->status != 0;
    pthread_mutex_unlock(&p->lock);
    if (failed || (p->opt->stop && *p->opt->stop)) break;
    size_t run = p->pending[i];
    char *rows = NULL, *policy = NULL, path[4200];
    size_t nrows = 0, npolicy = 0;
    FILE *frows = open_memstream(&rows, &nrows), *fpolicy = open_memstream(&policy, &npolicy);
    double t0 = tabrl_now();
    int status = frows && fpolicy
                     ? tabrl_run_one(p->e, run, frows, fpolicy, p->opt->stop, &p->episodes)
                     : tabrl_error(TABRL_ENOMEM, "out of memory");
    if (frows) fclose(frows);
    if (fpolicy) fclose(fpolicy);
    if (!status) {
      run_file(path, sizeof path, p->opt->out_dir, "policy", run);
      status = tabrl_write_atomic_buffer(path, policy, npolicy);
      /* The rows file is written last: its presence marks the run done. */
      run_file(path, sizeof path, p->opt->out_dir, "run", run);
      if (!status) status = tabrl_write_atomic_buffer(path, rows, nrows);
    }
    free(rows);
    free(policy);
    pthread_mutex_lock(&p->lock);
    p->run_seconds += tabrl_now() - t0;
    /* An interrupted run is not a failure: it is simply not kept. */
    if (status && status != TABRL_EINTERRUPTED && !p->status) {
      p->status = status;
      snprintf(p->message, sizeof p->message, "%s", tabrl_error_message());
    }
    pthread_mutex_unlock(&p->lock);
    if (status) break;
    atomic_fetch_add(&p->done, 1);
  }
  return NULL;
}

/* Concatenates the per-run files of the shard, in run order, under header. */
static int assemble(const tabrl_experiment *e, const tabrl_run_options *opt, const char *kind,
                    const tabrl_schema *schema)
{
  char *out = NULL, path[4200];
  size_t size = 0;
  FILE *f = open_memstream(&out, &size);
  int status = 0;
  if (!f) return tabrl_error(TABRL_ENOMEM, "out of memory");
  tabrl_schema_write_header(schema, f);
  for (size_t r = 0; r < tabrl_experiment_runs(e); r++) {
    if (opt->shard_count > 1 && (int)(r % (size_t)opt->shard_count) != opt->shard_index - 1)
      continue;
    size_t n;
    run_file(path, sizeof path, opt->out_dir, kind, r);
    char *data = read_all(path, &n);
    if (!data) {
      status = tabrl_error(TABRL_EIO, "%s: %s", path, strerror(errno));
      break;
    }
    fwrite(data, 1, n, f);
    free(data);
  }
  fclose(f);
  if (!status) {
    snprintf(path, sizeof path, "%s/%s", opt->out_dir, schema->file);
    status = tabrl_write_atomic_buffer(path, out, size);
  }
  free(out);
  return status;
}

int tabrl_run_check_out(const tabrl_experiment *e, const char *dir)
{
  unsigned long long old = manifest_hash(dir);
  if (old && old != (unsigned long long)tabrl_experiment_hash(e))
    return tabrl_error(TABRL_EINVAL,
                       "%s holds the results of a different experiment (its manifest.ini differs);"
                       " choose another --out or remove it",
                       dir);
  return 0;
}

static int prepare_dir(const tabrl_experiment *e, const tabrl_run_options *opt)
{
  char path[4200];
  int status = tabrl_run_check_out(e, opt->out_dir);
  if (status) return status;
  snprintf(path, sizeof path, "%s/.runs", opt->out_dir);
  if ((status = tabrl_mkdir_p(path))) return status;
  /* Leftovers: temporary files of killed writers always; finished runs
   * unless resuming. */
  DIR *d = opendir(path);
  if (d) {
    struct dirent *x;
    while ((x = readdir(d))) {
      if (x->d_name[0] == '.') continue;
      if (strstr(x->d_name, ".tmp.") || !opt->resume) {
        char file[4500];
        snprintf(file, sizeof file, "%s/%s", path, x->d_name);
        unlink(file);
      }
    }
    closedir(d);
  }
  char *text = NULL, shard[64];
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (!f) return tabrl_error(TABRL_ENOMEM, "out of memory");
  snprintf(shard, sizeof shard, "%d/%d", opt->shard_index, opt->shard_count);
  status = tabrl_experiment_write_manifest(e, f, opt->version, opt->command,
                                           opt->shard_count > 1 ? shard : NULL);
  fclose(f);
  snprintf(path, sizeof path, "%s/manifest.ini", opt->out_dir);
  if (!status) status = tabrl_write_atomic_buffer(path, text, size);
  free(text);
  return status;
}

int tabrl_run_experiment(const tabrl_experiment *e, const tabrl_run_options *opt,
                         tabrl_run_report *report)
{
  struct pool p;
  size_t total = tabrl_experiment_runs(e);
  double t0 = tabrl_now();
  int status, threads = opt->threads < 1 ? 1 : opt->threads;
  pthread_t *ids = NULL;
  int started = 0;

  memset(report, 0, sizeof *report);
  memset(&p, 0, sizeof p);
  /* An output directory that cannot be used is an input error: nothing has
   * run yet. */
  if ((status = prepare_dir(e, opt))) return status;
  p.e = e;
  p.opt = opt;
  p.pending = malloc((total + 1) * sizeof *p.pending);
  ids = malloc((size_t)threads * sizeof *ids);
  if (!p.pending || !ids) {
    free(p.pending);
    free(ids);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  for (size_t r = 0; r < total; r++) {
    char path[4200];
    if (opt->shard_count > 1 && (int)(r % (size_t)opt->shard_count) != opt->shard_index - 1)
      continue;
    report->runs_total++;
    run_file(path, sizeof path, opt->out_dir, "run", r);
    if (opt->resume && access(path, F_OK) == 0) {
      report->runs_skipped++;
      continue;
    }
    p.pending[p.npending++] = r;
  }
  atomic_init(&p.next, 0);
  atomic_init(&p.done, 0);
  atomic_init(&p.episodes, 0);
  pthread_mutex_init(&p.lock, NULL);
  if ((size_t)threads > p.npending) threads = p.npending ? (int)p.npending : 1;
  for (; started < threads; started++)
    if (pthread_create(&ids[started], NULL, worker, &p)) break;
  if (started == 0) worker(&p);
  /* The calling thread reports progress until every worker has finished. */
  while (opt->progress && atomic_load(&p.done) < p.npending) {
    pthread_mutex_lock(&p.lock);
    int failed = p.status != 0;
    pthread_mutex_unlock(&p.lock);
    if (failed || (opt->stop && *opt->stop)) break;
    opt->progress(opt->progress_ctx, report->runs_skipped + atomic_load(&p.done),
                  report->runs_total, (double)atomic_load(&p.episodes), tabrl_now() - t0);
    nanosleep(&(struct timespec){0, 200000000}, NULL);
  }
  for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
  free(ids);
  free(p.pending);
  pthread_mutex_destroy(&p.lock);
  report->runs_done = atomic_load(&p.done);
  report->run_seconds = p.run_seconds;
  if (opt->progress && !p.status)
    opt->progress(opt->progress_ctx, report->runs_skipped + report->runs_done, report->runs_total,
                  (double)atomic_load(&p.episodes), tabrl_now() - t0);
  if (p.status) {
    report->seconds = tabrl_now() - t0;
    return tabrl_error(p.status, "%s", p.message);
  }
  if (opt->stop && *opt->stop) {
    report->seconds = tabrl_now() - t0;
    return tabrl_error(TABRL_EINTERRUPTED,
                       "interrupted: %zu of %zu runs finished and kept; rerun with --resume",
                       report->runs_skipped + report->runs_done, report->runs_total);
  }
  double t1 = tabrl_now();
  status = assemble(e, opt, "run", &tabrl_schema_runs);
  if (!status) status = assemble(e, opt, "policy", &tabrl_schema_policies);
  if (!status) status = tabrl_results_summarize(opt->out_dir);
  report->output_seconds = tabrl_now() - t1;
  report->seconds = tabrl_now() - t0;
  return status;
}
