/* Running an experiment: the queue of runs on a thread pool, the per-run
 * files of DIR/.runs, resume, and assembling runs.csv and policies.csv.
 * See tabrl/runner.h; one run is run_one.c. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "run/clock.h"
#include "model/fileio.h"
#include "results/private.h"
#include "results/runs_csv.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/runner.h"
#include "tabrl/schema.h"

/* ---- files ---- */

static uint64_t fnv1a(uint64_t h, const char *data, size_t size)
{
  for (size_t i = 0; i < size; i++) h = (h ^ (unsigned char)data[i]) * 0x100000001b3ULL;
  return h;
}
#define FNV_BASIS 0xcbf29ce484222325ULL

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

static void warn(const tabrl_run_options *opt, const char *format, ...)
{
  char message[1200];
  va_list ap;
  va_start(ap, format);
  vsnprintf(message, sizeof message, format, ap);
  va_end(ap);
  if (opt->warn)
    opt->warn(opt->warn_ctx, message);
  else
    fprintf(stderr, "tabrl: warning: %s\n", message);
}

/* ---- run identities ---- */

static void put_values(FILE *f, const tabrl_param *table, const tabrl_setting *s, size_t n)
{
  tabrl_values *v = NULL;
  if (tabrl_values_resolve(table, "identity", s, n, 1, &v)) {
    /* Cannot happen after loading; hash what was written instead. */
    for (size_t i = 0; i < n; i++) fprintf(f, "%s=%s\n", s[i].key, s[i].value);
    return;
  }
  for (size_t i = 0; i < tabrl_values_count(v); i++) {
    const char *text = tabrl_values_text(v, i);
    fprintf(f, "%s=%s\n", tabrl_values_name(v, i), text ? text : "");
  }
  tabrl_values_free(v);
}

uint64_t tabrl_run_identity(const tabrl_experiment *e, size_t run, const tabrl_exp_input *inputs,
                            size_t ninputs)
{
  size_t c, a, k, n, size = 0;
  char label[32], *text = NULL;
  tabrl_setting *s;
  const char *env_path;
  const tabrl_env_type *env_type = tabrl_env_find(e->env, &env_path);
  FILE *f = open_memstream(&text, &size);
  if (!f) return 0;
  tabrl_experiment_run_indices(e, run, &c, &a, &k);
  tabrl_experiment_config_label(e, c, label, sizeof label);
  /* Every input of a row: the labels written in it, the env and its input
   * files' content, the algorithm, the protocol's settings. */
  fprintf(f,
          "tabrl run 1\nenv=%s\nconfig=%s\nseed=%llu\nepisodes=%ld\nlog=%d:%ld\nobjective=%s\n"
          "behavior=%s\nlink=%s\ntemperature=%.17g\n[env]\n",
          e->env, label, (unsigned long long)e->seeds[k], e->episodes, (int)e->log_kind,
          e->log_param, e->objective.text, e->behavior ? e->behavior : "", e->link ? e->link : "",
          e->feedback.temperature);
  /* Only when set: unscheduled runs keep their identities. */
  if (e->schedule.kind != TABRL_SCHEDULE_NONE)
    fprintf(f, "schedule=%s:%ld:%ld\n", tabrl_schedule_name(e->schedule.kind), e->schedule.block,
            e->schedule.corruptions);
  if (env_type && !tabrl_experiment_settings(e, c, -1, e->seeds[k], &s, &n)) {
    if (env_path) s[n++] = (tabrl_setting){"path", env_path, NULL, 0};
    put_values(f, env_type->params, s, n);
    free(s);
  }
  for (size_t i = 0; i < ninputs; i++)
    if (inputs[i].config == c)
      fprintf(f, "input %s=%s %016llx\n", inputs[i].key, inputs[i].path,
              (unsigned long long)inputs[i].hash);
  fprintf(f, "[algo %s]\ntype=%s\n", e->algos[a].label, e->algos[a].type->name);
  if (!tabrl_experiment_settings(e, c, (long)a, e->seeds[k], &s, &n)) {
    put_values(f, e->algos[a].type->params, s, n);
    free(s);
  }
  if (fclose(f)) {
    free(text);
    return 0;
  }
  uint64_t h = fnv1a(FNV_BASIS, text, size);
  free(text);
  return h ? h : 1;
}

/* ---- run files ----
 *
 * DIR/.runs/run-ID.csv holds a run's rows of runs.csv, policy-ID.csv its
 * rows of policies.csv, each after the line "# tabrl KIND ID CHECKSUM" (the
 * FNV-1a hash of the rows), so a file cut short, garbled or from another
 * run is recognized as such. */

static void run_file(char *buf, size_t size, const char *dir, const char *kind, uint64_t id)
{
  snprintf(buf, size, "%s/.runs/%s-%016llx.csv", dir, kind, (unsigned long long)id);
}

struct run_file_text {
  const char *kind;
  uint64_t id;
  const char *body;
  size_t size;
};

static int write_run_file(FILE *f, void *ctx)
{
  const struct run_file_text *t = ctx;
  fprintf(f, "# tabrl %s %016llx %016llx\n", t->kind, (unsigned long long)t->id,
          (unsigned long long)fnv1a(FNV_BASIS, t->body, t->size));
  fwrite(t->body, 1, t->size, f);
  return 0;
}

/* What the rows of a run must be. */
struct run_expect {
  const char *algo;
  char config[32], seed[32];
  const long *checkpoints; /* NULL for a policy file */
  size_t ncheckpoints;
};

/* Reads a run file and checks it against its identity and x.  Returns 0
 * with the rows in [*body, *body + *size) of the malloc'ed *data; -1 if
 * the file does not exist; 1 if it is damaged, with the reason in why. */
static int load_run_file(const char *path, const char *kind, uint64_t id,
                         const struct run_expect *x, char **data, const char **body, size_t *size,
                         char *why, size_t why_size)
{
  size_t n;
  char *text = read_all(path, &n), *end = NULL;
  *data = NULL;
  if (!text) {
    if (errno == ENOENT) return -1;
    snprintf(why, why_size, "%s", strerror(errno));
    return 1;
  }
  char header[128];
  unsigned long long file_id = 0, checksum = 0;
  const char *rows = memchr(text, '\n', n);
  int fields = !strcmp(kind, "run") ? TABRL_RUNS_COLUMNS : TABRL_POLICIES_COLUMNS;
  snprintf(header, sizeof header, "# tabrl %s %%llx %%llx", kind);
  if (!rows || sscanf(text, header, &file_id, &checksum) != 2 || file_id != id) {
    snprintf(why, why_size, "no header naming the run");
    goto damaged;
  }
  rows++;
  size_t rows_size = n - (size_t)(rows - text);
  if (rows_size && text[n - 1] != '\n') {
    snprintf(why, why_size, "its last line is cut short");
    goto damaged;
  }
  if (fnv1a(FNV_BASIS, rows, rows_size) != checksum) {
    snprintf(why, why_size, "its checksum does not match its rows");
    goto damaged;
  }
  /* The checksum can only catch damage; the rows are also checked against
   * what this run writes, so a file never feeds a malformed runs.csv. */
  size_t line = 0;
  for (const char *p = rows; p < text + n; p = end + 1, line++) {
    const char *field[TABRL_RUNS_COLUMNS + 1];
    size_t len[TABRL_RUNS_COLUMNS + 1];
    int k = 0;
    end = memchr(p, '\n', (size_t)(text + n - p));
    for (const char *q = p; k <= fields; k++) {
      const char *comma = memchr(q, ',', (size_t)(end - q));
      field[k] = q;
      len[k] = (size_t)((comma ? comma : end) - q);
      if (!comma) {
        k++;
        break;
      }
      q = comma + 1;
    }
    if (k != fields) {
      snprintf(why, why_size, "row %zu has %d fields, not %d", line + 1, k, fields);
      goto damaged;
    }
    if (len[1] != strlen(x->algo) || memcmp(field[1], x->algo, len[1]) ||
        len[2] != strlen(x->config) || memcmp(field[2], x->config, len[2]) ||
        len[3] != strlen(x->seed) || memcmp(field[3], x->seed, len[3])) {
      snprintf(why, why_size, "row %zu is not of algo %s, config %s, seed %s", line + 1, x->algo,
               x->config, x->seed);
      goto damaged;
    }
    if (x->checkpoints) {
      char episode[32];
      snprintf(episode, sizeof episode, "%ld", line < x->ncheckpoints ? x->checkpoints[line] : -1L);
      if (line >= x->ncheckpoints || len[4] != strlen(episode) ||
          memcmp(field[4], episode, len[4])) {
        snprintf(why, why_size, "row %zu is not the checkpoint episode %s", line + 1,
                 line < x->ncheckpoints ? episode : "(none left)");
        goto damaged;
      }
    }
  }
  if (x->checkpoints && line != x->ncheckpoints) {
    snprintf(why, why_size, "%zu rows, not %zu (the last at episode %ld)", line, x->ncheckpoints,
             x->checkpoints[x->ncheckpoints - 1]);
    goto damaged;
  }
  *data = text;
  *body = rows;
  *size = rows_size;
  return 0;
damaged:
  free(text);
  return 1;
}

static void run_expect_of(const tabrl_experiment *e, size_t run, const long *checkpoints,
                          size_t ncheckpoints, struct run_expect *x)
{
  size_t c, a, k;
  tabrl_experiment_run_indices(e, run, &c, &a, &k);
  x->algo = e->algos[a].label;
  tabrl_experiment_config_label(e, c, x->config, sizeof x->config);
  snprintf(x->seed, sizeof x->seed, "%llu", (unsigned long long)e->seeds[k]);
  x->checkpoints = checkpoints;
  x->ncheckpoints = ncheckpoints;
}

struct pool {
  const tabrl_experiment *e;
  const tabrl_run_options *opt;
  const uint64_t *ids; /* identity of each run of the experiment */
  size_t *pending, npending;
  atomic_size_t next, done;
  atomic_long episodes;
  pthread_mutex_t lock;
  int status;
  char message[1024];
  double run_seconds;
  double *saturation;  /* report->saturation: each worker writes its own runs' entries */
  double *diagnostics; /* report->diagnostics, likewise */
  /* Run files renamed into place but not yet fsync'ed (under lock): synced
   * in one group at most once a second, so that a short experiment does
   * not pay three fsyncs per run for files it removes a moment later. */
  size_t *unsynced, nunsynced;
  double last_sync;
  int dir_synced; /* DIR and its first manifest synced */
  int exited;     /* workers that have returned; signalled on wake */
  pthread_cond_t wake;
};

/* fsync of the run files in p->unsynced, then of DIR/.runs once; called
 * with p->lock held (or after the workers have stopped). */
static int sync_run_files(struct pool *p)
{
  char path[4200];
  int err = 0;
  for (size_t k = 0; k < p->nunsynced && !err; k++) {
    uint64_t id = p->ids[p->unsynced[k]];
    run_file(path, sizeof path, p->opt->out_dir, "policy", id);
    err = tabrl_fsync_file(path);
    run_file(path, sizeof path, p->opt->out_dir, "run", id);
    if (!err) err = tabrl_fsync_file(path);
  }
  snprintf(path, sizeof path, "%s/.runs", p->opt->out_dir);
  if (!err && p->nunsynced) err = tabrl_fsync_dir(path);
  /* The first group also makes DIR/.runs and the manifest durable. */
  if (!err && p->nunsynced && !p->dir_synced) {
    snprintf(path, sizeof path, "%s/manifest.ini", p->opt->out_dir);
    if (!(err = tabrl_fsync_file(path))) err = tabrl_fsync_dir(p->opt->out_dir);
    p->dir_synced = !err;
  }
  p->nunsynced = 0;
  p->last_sync = tabrl_now();
  return err ? tabrl_error(TABRL_EIO, "%s: %s", path, strerror(err)) : TABRL_OK;
}

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
                     ? tabrl_run_one(p->e, run, frows, fpolicy, p->opt->stop, &p->episodes,
                                     p->saturation ? &p->saturation[run] : NULL,
                                     p->diagnostics ? &p->diagnostics[run] : NULL)
                     : tabrl_error(TABRL_ENOMEM, "out of memory");
    if (frows) fclose(frows);
    if (fpolicy) fclose(fpolicy);
    if (!status) {
      struct run_file_text t = {"policy", p->ids[run], policy, npolicy};
      run_file(path, sizeof path, p->opt->out_dir, "policy", p->ids[run]);
      status = tabrl_write_atomic_sync(path, write_run_file, &t, 0);
      /* The rows file is written last: its presence marks the run done. */
      t = (struct run_file_text){"run", p->ids[run], rows, nrows};
      run_file(path, sizeof path, p->opt->out_dir, "run", p->ids[run]);
      if (!status) status = tabrl_write_atomic_sync(path, write_run_file, &t, 0);
    }
    if (!status) {
      pthread_mutex_lock(&p->lock);
      p->unsynced[p->nunsynced++] = run;
      if (tabrl_now() - p->last_sync >= 1.0) status = sync_run_files(p);
      pthread_mutex_unlock(&p->lock);
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
  pthread_mutex_lock(&p->lock);
  p->exited++;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

static int in_shard(const tabrl_run_options *opt, size_t r)
{
  return opt->shard_count <= 1 || (int)(r % (size_t)opt->shard_count) == opt->shard_index - 1;
}

/* Concatenates the per-run files of the shard, in run order, under header,
 * checking each again: a file damaged since its run is an error, never a
 * malformed output. */
static int assemble(const tabrl_experiment *e, const tabrl_run_options *opt, const uint64_t *ids,
                    const char *kind, const tabrl_schema *schema)
{
  char *out = NULL, path[4200], why[256];
  size_t size = 0, ncheckpoints;
  long *checkpoints = tabrl_experiment_checkpoints(e, &ncheckpoints);
  FILE *f = checkpoints ? open_memstream(&out, &size) : NULL;
  int status = 0, is_run = !strcmp(kind, "run");
  if (!f) {
    free(checkpoints);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  tabrl_schema_write_header(schema, f);
  for (size_t r = 0; r < tabrl_experiment_runs(e) && !status; r++) {
    if (!in_shard(opt, r)) continue;
    struct run_expect x;
    char *data;
    const char *body;
    size_t n;
    run_expect_of(e, r, is_run ? checkpoints : NULL, ncheckpoints, &x);
    run_file(path, sizeof path, opt->out_dir, kind, ids[r]);
    int found = load_run_file(path, kind, ids[r], &x, &data, &body, &n, why, sizeof why);
    if (found < 0)
      status = tabrl_error(TABRL_EIO, "%s: %s; rerun with --resume", path, strerror(ENOENT));
    else if (found > 0)
      status = tabrl_error(TABRL_EIO, "%s is damaged (%s); rerun with --resume to recompute it",
                           path, why);
    else
      fwrite(body, 1, n, f);
    free(data);
  }
  fclose(f);
  free(checkpoints);
  if (!status) {
    snprintf(path, sizeof path, "%s/%s", opt->out_dir, schema->file);
    /* The directory is synced once, after the summary. */
    status = tabrl_write_atomic_buffer_sync(path, out, size, TABRL_SYNC_FILE);
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

/* Resuming into dir: a directory of another experiment (another name and
 * settings) is refused, and so is an input file whose content changed
 * since the manifest recorded it (the runs of both contents would mix). */
static int check_resume(const tabrl_experiment *e, const tabrl_run_options *opt,
                        const tabrl_exp_input *inputs, size_t ninputs, int *other_settings)
{
  char path[4200];
  tabrl_ini old;
  int status;
  snprintf(path, sizeof path, "%s/manifest.ini", opt->out_dir);
  *other_settings = 0;
  if ((status = tabrl_ini_read(path, &old))) {
    if (status == TABRL_ENOTFOUND) return 0;
    warn(opt, "%s cannot be read (%s); it is written anew", path, tabrl_error_message());
    return 0;
  }
  const char *hash = tabrl_ini_get(&old, "tabrl", "experiment_hash");
  const char *name = tabrl_ini_get(&old, "experiment", "name");
  unsigned long long h = 0;
  *other_settings = !hash || sscanf(hash, "%llx", &h) != 1 || h != tabrl_experiment_hash(e);
  if (*other_settings && name && strcmp(name, e->name))
    status = tabrl_error(TABRL_EINVAL,
                         "%s holds the results of experiment %s, not %s; choose another --out",
                         opt->out_dir, name, e->name);
  for (size_t i = 0; i < ninputs && !status; i++) {
    const char *was = tabrl_ini_get(&old, "inputs", inputs[i].path);
    char now[32];
    snprintf(now, sizeof now, "%016llx", (unsigned long long)inputs[i].hash);
    if (was && strcmp(was, now))
      status = tabrl_error(TABRL_EINVAL,
                           "%s: the file changed since the runs in %s were computed (content hash "
                           "%s, now %s); restore it, or run without --resume to start again",
                           inputs[i].path, opt->out_dir, was, now);
  }
  tabrl_ini_free(&old);
  return status;
}

static int compare_ids(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Leftovers in DIR/.runs: temporary files of killed writers always; run
 * files unless resuming; on resume, the files of runs that are not in the
 * experiment any more (sorted: the identities of the shard's runs). */
static void clean_runs(const tabrl_run_options *opt, const uint64_t *sorted, size_t n,
                       tabrl_run_report *report)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/.runs", opt->out_dir);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *x;
  while ((x = readdir(d))) {
    unsigned long long id;
    char kind[8], rest[8], file[4500];
    if (x->d_name[0] == '.') continue;
    int named = sscanf(x->d_name, "%7[a-z]-%16llx.cs%1s", kind, &id, rest) == 3 &&
                strlen(x->d_name) == strlen(kind) + 21 && !strcmp(rest, "v") &&
                (!strcmp(kind, "run") || !strcmp(kind, "policy"));
    uint64_t key = id;
    int keep = opt->resume && named && bsearch(&key, sorted, n, sizeof *sorted, compare_ids);
    if (keep) continue;
    if (opt->resume && named && !strcmp(kind, "run")) report->runs_dropped++;
    snprintf(file, sizeof file, "%s/%s", path, x->d_name);
    unlink(file);
  }
  closedir(d);
}

/* Decides which runs of the shard must run: on resume, those without a
 * whole, valid pair of files (a damaged one is removed, with a warning). */
static int plan_runs(const tabrl_experiment *e, const tabrl_run_options *opt, const uint64_t *ids,
                     struct pool *p, tabrl_run_report *report)
{
  size_t ncheckpoints;
  long *checkpoints = tabrl_experiment_checkpoints(e, &ncheckpoints);
  if (!checkpoints) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t r = 0; r < tabrl_experiment_runs(e); r++) {
    char path[4200], policy[4200], why[256] = "";
    if (!in_shard(opt, r)) continue;
    report->runs_total++;
    if (opt->resume) {
      struct run_expect x;
      char *data = NULL;
      const char *body;
      size_t n;
      run_file(path, sizeof path, opt->out_dir, "run", ids[r]);
      run_file(policy, sizeof policy, opt->out_dir, "policy", ids[r]);
      run_expect_of(e, r, checkpoints, ncheckpoints, &x);
      int rows = load_run_file(path, "run", ids[r], &x, &data, &body, &n, why, sizeof why);
      free(data);
      int pol = -1;
      if (rows == 0) {
        x.checkpoints = NULL;
        pol = load_run_file(policy, "policy", ids[r], &x, &data, &body, &n, why, sizeof why);
        free(data);
        if (pol < 0) snprintf(why, sizeof why, "its policy file is missing");
      }
      if (rows == 0 && pol == 0) {
        report->runs_skipped++;
        continue;
      }
      if (rows >= 0) {
        warn(opt, "%s is damaged (%s): algo %s, config %s, seed %s is computed again", path, why,
             x.algo, x.config, x.seed);
        report->runs_damaged++;
        unlink(path);
        unlink(policy);
      }
    }
    p->pending[p->npending++] = r;
  }
  free(checkpoints);
  return 0;
}

/* The manifest, with what resuming reused in [tabrl]; with ids (after
 * runs.csv and policies.csv are written), also a [runs] section naming the
 * identity of every run they hold, "IDENTITY = ALGO CONFIG SEED", so that a
 * later --resume can rebuild the run files of .runs from them. */
static int write_manifest(const tabrl_experiment *e, const tabrl_run_options *opt,
                          const tabrl_run_report *report, const uint64_t *ids)
{
  char *text = NULL, shard[64], path[4200], note[200];
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (!f) return tabrl_error(TABRL_ENOMEM, "out of memory");
  snprintf(shard, sizeof shard, "%d/%d", opt->shard_index, opt->shard_count);
  int status = tabrl_experiment_write_manifest(e, f, opt->version, opt->command,
                                               opt->shard_count > 1 ? shard : NULL);
  if (!status && ids) {
    size_t ncheckpoints = 0;
    struct run_expect x;
    fprintf(f, "\n[runs]\n");
    for (size_t r = 0; r < tabrl_experiment_runs(e); r++) {
      if (!in_shard(opt, r)) continue;
      run_expect_of(e, r, NULL, ncheckpoints, &x);
      fprintf(f, "%016llx = %s %s %s\n", (unsigned long long)ids[r], x.algo, x.config, x.seed);
    }
  }
  fclose(f);
  char *blank = text ? strstr(text, "\n\n") : NULL;
  if (!status && opt->resume && blank) {
    /* The [tabrl] section ends at the first blank line. */
    snprintf(note, sizeof note, "reused = %zu\nrecomputed_damaged = %zu\ndropped = %zu\n",
             report->runs_skipped, report->runs_damaged, report->runs_dropped);
    size_t head = (size_t)(blank - text) + 1, nlen = strlen(note);
    char *grown = realloc(text, size + nlen + 1);
    if (!grown)
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else {
      text = grown;
      memmove(text + head + nlen, text + head, size - head + 1);
      memcpy(text + head, note, nlen);
      size += nlen;
    }
  }
  snprintf(path, sizeof path, "%s/manifest.ini", opt->out_dir);
  /* Neither manifest syncs DIR: the first one (ids NULL) is synced, file
   * and DIR, with the first group of run files (only finished runs make it
   * worth keeping), unless it replaces one (a power loss must not leave an
   * empty manifest where there was one); the final one's rename is made durable with the removal
   * of DIR/.runs, by one fsync of DIR (tabrl_run_experiment). */
  if (!status)
    status = tabrl_write_atomic_buffer_sync(path, text, size,
                                            ids || !access(path, F_OK) ? TABRL_SYNC_FILE : 0);
  free(text);
  return status;
}

/* A run to restore from the output files of an earlier success. */
struct restore {
  uint64_t id;
  char key[256]; /* "algo,config,seed" as in the files */
  char *rows, *policy;
  size_t nrows, npolicy;
  FILE *rows_f, *policy_f;
};

static int compare_restore_keys(const void *a, const void *b)
{
  return strcmp(((const struct restore *)a)->key, ((const struct restore *)b)->key);
}

/* Appends each data line of DIR/name whose (algo, config, seed) is a run
 * to restore to that run's stream (kind: 0 rows, 1 policy). */
static void collect_lines(const tabrl_run_options *opt, const char *name, struct restore *list,
                          size_t n, int kind)
{
  char path[4200];
  size_t size;
  snprintf(path, sizeof path, "%s/%s", opt->out_dir, name);
  char *text = read_all(path, &size);
  if (!text) return;
  char *line = memchr(text, '\n', size); /* the header */
  while (line && ++line < text + size) {
    char *end = memchr(line, '\n', (size_t)(text + size - line));
    if (!end) break; /* a line cut short: assemble never writes one */
    const char *algo = memchr(line, ',', (size_t)(end - line)), *seed_end = NULL;
    struct restore probe = {0};
    if (algo) {
      /* fields 1..3: algo,config,seed */
      const char *p = algo + 1;
      for (int k = 0; k < 3 && p; k++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        if (k == 2) seed_end = comma;
        p = comma ? comma + 1 : NULL;
      }
    }
    if (seed_end && (size_t)(seed_end - algo - 1) < sizeof probe.key) {
      memcpy(probe.key, algo + 1, (size_t)(seed_end - algo - 1));
      probe.key[seed_end - algo - 1] = '\0';
      struct restore *r = bsearch(&probe, list, n, sizeof *list, compare_restore_keys);
      if (r) fwrite(line, 1, (size_t)(end - line) + 1, kind ? r->policy_f : r->rows_f);
    }
    line = end;
  }
  free(text);
}

/* Resuming into a directory whose .runs was removed after success: the run
 * files of the runs that the manifest's [runs] section lists (written
 * right after runs.csv and policies.csv, so the two agree) are rebuilt
 * from those files; plan_runs then checks them like any run file. */
static int restore_runs(const tabrl_experiment *e, const tabrl_run_options *opt,
                        const uint64_t *ids)
{
  char path[4200];
  tabrl_ini old;
  struct restore *list = NULL;
  size_t n = 0;
  int status = 0;
  snprintf(path, sizeof path, "%s/manifest.ini", opt->out_dir);
  if (tabrl_ini_read(path, &old)) return 0; /* check_resume has said why */
  for (size_t r = 0; r < tabrl_experiment_runs(e) && !status; r++) {
    char id[32], file[4200];
    if (!in_shard(opt, r)) continue;
    snprintf(id, sizeof id, "%016llx", (unsigned long long)ids[r]);
    run_file(file, sizeof file, opt->out_dir, "run", ids[r]);
    const char *what = tabrl_ini_get(&old, "runs", id);
    if (!what || access(file, F_OK) == 0) continue;
    struct restore *grown = realloc(list, (n + 1) * sizeof *list);
    if (!grown) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      break;
    }
    list = grown;
    struct restore *x = &list[n];
    memset(x, 0, sizeof *x);
    x->id = ids[r];
    snprintf(x->key, sizeof x->key, "%s", what);
    for (char *c = x->key; *c; c++)
      if (*c == ' ') *c = ',';
    n++;
  }
  tabrl_ini_free(&old);
  /* The streams point into the list: open them once it stops moving. */
  if (n) qsort(list, n, sizeof *list, compare_restore_keys);
  for (size_t i = 0; i < n && !status; i++) {
    list[i].rows_f = open_memstream(&list[i].rows, &list[i].nrows);
    list[i].policy_f = open_memstream(&list[i].policy, &list[i].npolicy);
    if (!list[i].rows_f || !list[i].policy_f) status = tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  if (!status && n) {
    collect_lines(opt, tabrl_schema_runs.file, list, n, 0);
    collect_lines(opt, tabrl_schema_policies.file, list, n, 1);
  }
  for (size_t i = 0; i < n; i++) {
    if (list[i].rows_f) fclose(list[i].rows_f);
    if (list[i].policy_f) fclose(list[i].policy_f);
    /* The policy file first: the rows file marks a run finished. */
    if (!status && list[i].nrows && list[i].npolicy) {
      struct run_file_text policy = {"policy", list[i].id, list[i].policy, list[i].npolicy};
      struct run_file_text rows = {"run", list[i].id, list[i].rows, list[i].nrows};
      run_file(path, sizeof path, opt->out_dir, "policy", list[i].id);
      /* One fsync of the directory, after the rows file, covers both. */
      status = tabrl_write_atomic_sync(path, write_run_file, &policy, TABRL_SYNC_FILE);
      run_file(path, sizeof path, opt->out_dir, "run", list[i].id);
      if (!status) status = tabrl_write_atomic(path, write_run_file, &rows);
    }
    free(list[i].rows);
    free(list[i].policy);
  }
  free(list);
  return status;
}

/* Before any run: the directory, its leftovers, the runs to do, the
 * manifest.  Every failure here is an input error (nothing has run). */
static int prepare(const tabrl_experiment *e, const tabrl_run_options *opt, const uint64_t *ids,
                   const tabrl_exp_input *inputs, size_t ninputs, struct pool *p,
                   tabrl_run_report *report)
{
  char path[4200];
  int status, other_settings = 0;
  size_t total = tabrl_experiment_runs(e), n = 0;
  if (opt->resume)
    status = check_resume(e, opt, inputs, ninputs, &other_settings);
  else
    status = tabrl_run_check_out(e, opt->out_dir);
  if (status) return status;
  snprintf(path, sizeof path, "%s/.runs", opt->out_dir);
  if ((status = tabrl_mkdir_p(path))) return status;
  uint64_t *sorted = malloc((total + 1) * sizeof *sorted);
  if (!sorted) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t r = 0; r < total; r++)
    if (in_shard(opt, r)) sorted[n++] = ids[r];
  qsort(sorted, n, sizeof *sorted, compare_ids);
  clean_runs(opt, sorted, n, report);
  free(sorted);
  if (opt->resume && (status = restore_runs(e, opt, ids))) return status;
  if ((status = plan_runs(e, opt, ids, p, report))) return status;
  if (opt->resume && report->runs_skipped == 0 && (report->runs_dropped || other_settings))
    warn(opt,
         "nothing in %s is reused: no finished run has the settings of this experiment (a "
         "setting every run depends on changed); all %zu runs are computed",
         opt->out_dir, report->runs_total);
  return write_manifest(e, opt, report, NULL);
}

/* After success: DIR/.runs is not needed any more, unless kept or a shard
 * (whose array task may be requeued until the merge job has run). */
static void remove_runs(const tabrl_run_options *opt)
{
  char path[4200];
  if (opt->keep_runs || opt->shard_count > 1) {
    tabrl_fsync_dir(opt->out_dir);
    return;
  }
  snprintf(path, sizeof path, "%s/.runs", opt->out_dir);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *x;
  while ((x = readdir(d))) {
    char file[4500];
    if (!strcmp(x->d_name, ".") || !strcmp(x->d_name, "..")) continue;
    snprintf(file, sizeof file, "%s/%s", path, x->d_name);
    unlink(file);
  }
  closedir(d);
  if (rmdir(path)) warn(opt, "cannot remove %s: %s", path, strerror(errno));
  tabrl_fsync_dir(opt->out_dir);
}

int tabrl_run_experiment(const tabrl_experiment *e, const tabrl_run_options *opt,
                         tabrl_run_report *report)
{
  struct pool p;
  size_t total = tabrl_experiment_runs(e), ninputs = 0;
  double t0 = tabrl_now();
  int status, threads = opt->threads < 1 ? 1 : opt->threads;
  pthread_t *ids = NULL;
  uint64_t *identity = NULL;
  tabrl_exp_input *inputs = NULL;
  int started = 0;

  memset(report, 0, sizeof *report);
  memset(&p, 0, sizeof p);
  p.e = e;
  p.opt = opt;
  p.pending = malloc((total + 1) * sizeof *p.pending);
  p.unsynced = malloc((total + 1) * sizeof *p.unsynced);
  p.last_sync = t0;
  ids = malloc((size_t)threads * sizeof *ids);
  identity = malloc((total + 1) * sizeof *identity);
  report->saturation = malloc((total + 1) * sizeof *report->saturation);
  report->diagnostics = malloc((total + 1) * sizeof *report->diagnostics);
  if (!p.pending || !p.unsynced || !ids || !identity || !report->saturation ||
      !report->diagnostics) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t r = 0; r < total; r++) report->saturation[r] = report->diagnostics[r] = NAN;
  p.saturation = report->saturation;
  p.diagnostics = report->diagnostics;
  /* An input file or output directory that cannot be used is an input
   * error: nothing has run yet. */
  if ((status = tabrl_experiment_inputs(e, &inputs, &ninputs))) goto out;
  for (size_t r = 0; r < total; r++)
    if (!(identity[r] = tabrl_run_identity(e, r, inputs, ninputs))) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto out;
    }
  p.ids = identity;
  /* Errors keep their code: a refused directory or input is an input error
   * (EINVAL), one that cannot be written a run-time failure (EIO). */
  if ((status = prepare(e, opt, identity, inputs, ninputs, &p, report))) goto out;
  atomic_init(&p.next, 0);
  atomic_init(&p.done, 0);
  atomic_init(&p.episodes, 0);
  pthread_mutex_init(&p.lock, NULL);
  pthread_cond_init(&p.wake, NULL);
  if ((size_t)threads > p.npending) threads = p.npending ? (int)p.npending : 1;
  for (; started < threads; started++)
    if (pthread_create(&ids[started], NULL, worker, &p)) break;
  if (started == 0) worker(&p);
  /* The calling thread wakes every 0.2 s until every worker has returned
   * (at once when the last one does): it reports progress and syncs run
   * files left unsynced for a second, so that a finished run is durable a
   * second later even when no other run finishes after it. */
  pthread_mutex_lock(&p.lock);
  while (p.exited < started) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 200000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&p.wake, &p.lock, &until);
    if (p.nunsynced && tabrl_now() - p.last_sync >= 1.0 && !p.status &&
        (status = sync_run_files(&p))) {
      p.status = status;
      snprintf(p.message, sizeof p.message, "%s", tabrl_error_message());
      status = TABRL_OK;
    }
    if (opt->progress && p.exited < started && !p.status && !(opt->stop && *opt->stop)) {
      pthread_mutex_unlock(&p.lock);
      opt->progress(opt->progress_ctx, report->runs_skipped + atomic_load(&p.done),
                    report->runs_total, (double)atomic_load(&p.episodes), tabrl_now() - t0);
      pthread_mutex_lock(&p.lock);
    }
  }
  pthread_mutex_unlock(&p.lock);
  for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
  pthread_cond_destroy(&p.wake);
  pthread_mutex_destroy(&p.lock);
  report->runs_done = atomic_load(&p.done);
  report->run_seconds = p.run_seconds;
  if (opt->progress && !p.status)
    opt->progress(opt->progress_ctx, report->runs_skipped + report->runs_done, report->runs_total,
                  (double)atomic_load(&p.episodes), tabrl_now() - t0);
  if (p.status) {
    status = tabrl_error(p.status, "%s", p.message);
    goto out;
  }
  if (opt->stop && *opt->stop) {
    status = tabrl_error(TABRL_EINTERRUPTED,
                         "interrupted: %zu of %zu runs finished and kept; rerun with --resume",
                         report->runs_skipped + report->runs_done, report->runs_total);
    goto out;
  }
  double t1 = tabrl_now();
  status = assemble(e, opt, identity, "run", &tabrl_schema_runs);
  if (!status) status = assemble(e, opt, identity, "policy", &tabrl_schema_policies);
  if (!status) status = tabrl_results_summarize_sync(opt->out_dir, TABRL_SYNC_FILE);
  if (!status) status = write_manifest(e, opt, report, identity);
  /* Run files that DIR/.runs keeps (a shard, --keep-runs) are synced
   * now; the others are removed, their rows durable in the outputs. */
  if (!status && (opt->keep_runs || opt->shard_count > 1)) status = sync_run_files(&p);
  if (!status) remove_runs(opt);
  report->output_seconds = tabrl_now() - t1;
out:
  /* After a failure or an interrupt the finished runs are kept for
   * --resume: they must survive a power loss too. */
  if (status && p.unsynced && p.nunsynced) sync_run_files(&p);
  free(p.unsynced);
  report->seconds = tabrl_now() - t0;
  free(ids);
  free(p.pending);
  free(identity);
  tabrl_exp_inputs_free(inputs, ninputs);
  return status;
}
