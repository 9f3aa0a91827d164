/* Merging the output directories of shards into one; see
 * tabrl/results.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "results/private.h"
#include "results/runs_csv.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/schema.h"

/* ---- merge ---- */

typedef struct {
  const runs_data *d;
  const size_t *order;
} runs_job;

static int write_runs(FILE *f, void *ctx)
{
  const runs_job *job = ctx;
  tabrl_schema_write_header(&tabrl_schema_runs, f);
  for (size_t i = 0; i < job->d->n_rows; i++) fprintf(f, "%s\n", job->d->rows[job->order[i]].text);
  return TABRL_OK;
}

/* Canonical rank of every row: the position of its config, algo and seed in
 * the manifest's lists. */
typedef struct {
  size_t config, algo, seed, env, index;
} rank;

static int compare_ranks(const void *a, const void *b)
{
  const rank *x = a, *y = b;
  const size_t kx[5] = {x->config, x->algo, x->seed, x->env, x->index};
  const size_t ky[5] = {y->config, y->algo, y->seed, y->env, y->index};
  for (int i = 0; i < 5; i++)
    if (kx[i] != ky[i]) return kx[i] < ky[i] ? -1 : 1;
  return 0;
}

typedef struct {
  char **configs, **algos, **seed_texts;
  size_t n_configs, n_algos, n_seeds;
  unsigned long long *seeds;
} canonical_order;

static void order_free(canonical_order *o)
{
  tabrl_list_free(o->configs, o->n_configs);
  tabrl_list_free(o->algos, o->n_algos);
  tabrl_list_free(o->seed_texts, o->n_seeds);
  free(o->seeds);
}

static int read_order(const tabrl_ini *manifest, const char *path, canonical_order *o)
{
  const char *configs = tabrl_ini_get(manifest, "experiment", "configs");
  const char *algos = tabrl_ini_get(manifest, "experiment", "algos");
  const char *seed_list = tabrl_ini_get(manifest, "experiment", "seed_list");
  const char *seeds = tabrl_ini_get(manifest, "experiment", "seeds");
  int status;

  memset(o, 0, sizeof *o);
  if (!configs || !algos)
    return tabrl_error(TABRL_EINVAL, "%s: [experiment] needs configs and algos", path);
  if ((status = tabrl_list_split(configs, &o->configs, &o->n_configs)) ||
      (status = tabrl_list_split(algos, &o->algos, &o->n_algos)))
    return status;
  if (seed_list) {
    if ((status = tabrl_list_split(seed_list, &o->seed_texts, &o->n_seeds))) return status;
    if (!(o->seeds = calloc(o->n_seeds + 1, sizeof *o->seeds)))
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->n_seeds; i++)
      if (!tabrl_parse_unsigned(o->seed_texts[i], &o->seeds[i]))
        return tabrl_error(TABRL_EINVAL, "%s: [experiment] seed_list: '%s' is not a seed", path,
                           o->seed_texts[i]);
  } else {
    /* Without a list, the runs use seeds 0 .. seeds-1. */
    unsigned long long count;
    if (!seeds || !tabrl_parse_unsigned(seeds, &count) || count > 100000000)
      return tabrl_error(TABRL_EINVAL, "%s: [experiment] needs seed_list or seeds", path);
    if (!(o->seeds = calloc(count + 1, sizeof *o->seeds)))
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) o->seeds[i] = i;
    o->n_seeds = count;
  }
  return TABRL_OK;
}

static size_t position(char *const *list, size_t n, const char *item)
{
  for (size_t i = 0; i < n; i++)
    if (!strcmp(list[i], item)) return i;
  return SIZE_MAX;
}

static int same_directory(const char *a, const char *b)
{
  struct stat sa, sb;
  return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The merged manifest: the first input's, without the shard key and with
 * merged_from, placed where shard was (or at the end of [tabrl]). */
static int merged_manifest(const tabrl_ini *manifests, size_t n, tabrl_ini *out)
{
  const tabrl_ini *first = &manifests[0];
  char merged[64];
  int status = TABRL_OK, placed = 0;
  size_t last_tabrl = SIZE_MAX;
  snprintf(merged, sizeof merged, "%zu shard%s", n, n == 1 ? "" : "s");
  out->items = NULL;
  out->n = out->cap = 0;
  for (size_t i = 0; i < first->n; i++)
    if (!strcmp(first->items[i].section, "tabrl")) last_tabrl = i;
  for (size_t i = 0; i < first->n && !status; i++) {
    const tabrl_ini_item *item = &first->items[i];
    int is_tabrl = !strcmp(item->section, "tabrl");
    if (!strcmp(item->section, "runs")) continue; /* joined below */
    /* A shard's resume counts say nothing of the merged result. */
    if (is_tabrl && item->key &&
        (!strcmp(item->key, "merged_from") || !strcmp(item->key, "reused") ||
         !strcmp(item->key, "recomputed_damaged") || !strcmp(item->key, "dropped")))
      continue;
    if (is_tabrl && item->key && !strcmp(item->key, "shard")) {
      if (!placed) status = tabrl_ini_add(out, "tabrl", "merged_from", merged);
      placed = 1;
      continue;
    }
    status = tabrl_ini_add(out, item->section, item->key, item->value);
    if (!status && i == last_tabrl && !placed) {
      status = tabrl_ini_add(out, "tabrl", "merged_from", merged);
      placed = 1;
    }
  }
  if (!status && !placed) {
    status = tabrl_ini_add(out, "tabrl", NULL, NULL);
    if (!status) status = tabrl_ini_add(out, "tabrl", "merged_from", merged);
  }
  /* The merged runs.csv holds every shard's runs: their [runs] identities
   * together (tabrl run --resume rebuilds run files from them). */
  int header = 0;
  for (size_t k = 0; k < n && !status; k++)
    for (size_t i = 0; i < manifests[k].n && !status; i++) {
      const tabrl_ini_item *item = &manifests[k].items[i];
      if (strcmp(item->section, "runs") || !item->key) continue;
      if (!header++) status = tabrl_ini_add(out, "runs", NULL, NULL);
      if (!status) status = tabrl_ini_add(out, "runs", item->key, item->value);
    }
  if (status) tabrl_ini_free(out);
  return status;
}

/* policies.csv: one row per (h, s, a) with prob > 0 of the final policy of
 * each run, the rows of a run together.  Merged in the same canonical run
 * order as runs.csv; inputs without the file (older outputs) add nothing,
 * and with no input holding one, none is written. */
typedef struct {
  size_t config, algo, seed, input, line;
  char *text;
} policy_row;

static int compare_policy_rows(const void *a, const void *b)
{
  const policy_row *x = a, *y = b;
  const size_t kx[5] = {x->config, x->algo, x->seed, x->input, x->line};
  const size_t ky[5] = {y->config, y->algo, y->seed, y->input, y->line};
  for (int i = 0; i < 5; i++)
    if (kx[i] != ky[i]) return kx[i] < ky[i] ? -1 : 1;
  return 0;
}

typedef struct {
  const policy_row *rows;
  size_t n;
} policies_job;

static int write_policies(FILE *f, void *ctx)
{
  const policies_job *job = ctx;
  tabrl_schema_write_header(&tabrl_schema_policies, f);
  for (size_t i = 0; i < job->n; i++) fprintf(f, "%s\n", job->rows[i].text);
  return TABRL_OK;
}

static int merge_policies(const char *const *dirs, size_t n, const canonical_order *order,
                          const char *out)
{
  policy_row *rows = NULL;
  size_t count = 0, cap = 0, found = 0;
  char *line = NULL, *path = NULL;
  size_t line_cap = 0;
  int status = TABRL_OK;
  for (size_t i = 0; i < n && !status; i++) {
    free(path);
    if (!(path = tabrl_path_join(dirs[i], "policies.csv"))) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      break;
    }
    FILE *f = fopen(path, "r");
    if (!f) continue;
    found++;
    ssize_t len;
    size_t lineno = 0;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
      lineno++;
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
      if (lineno == 1 || len == 0) continue;
      char algo[256], config[256];
      unsigned long long seed;
      if (sscanf(line, "%*[^,],%255[^,],%255[^,],%llu,", algo, config, &seed) != 3) {
        status = tabrl_error(TABRL_EINVAL, "%s:%zu: not a policies.csv row", path, lineno);
        break;
      }
      if (count == cap) {
        cap = cap ? 2 * cap : 1024;
        policy_row *grown = realloc(rows, cap * sizeof *rows);
        if (!grown) {
          status = tabrl_error(TABRL_ENOMEM, "out of memory");
          break;
        }
        rows = grown;
      }
      policy_row *r = &rows[count];
      r->config = position(order->configs, order->n_configs, config);
      r->algo = position(order->algos, order->n_algos, algo);
      r->seed = SIZE_MAX;
      for (size_t k = 0; k < order->n_seeds; k++)
        if (order->seeds[k] == seed) r->seed = k;
      r->input = i;
      r->line = lineno;
      if (r->config == SIZE_MAX || r->algo == SIZE_MAX || r->seed == SIZE_MAX) {
        status = tabrl_error(TABRL_EINVAL, "%s:%zu: run not in the manifest's lists", path, lineno);
        break;
      }
      if (!(r->text = strdup(line))) {
        status = tabrl_error(TABRL_ENOMEM, "out of memory");
        break;
      }
      count++;
    }
    fclose(f);
  }
  if (!status && found) {
    qsort(rows, count, sizeof *rows, compare_policy_rows);
    free(path);
    if (!(path = tabrl_path_join(out, "policies.csv")))
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    policies_job job = {rows, count};
    if (!status) status = tabrl_write_atomic(path, write_policies, &job);
  }
  for (size_t i = 0; i < count; i++) free(rows[i].text);
  free(rows);
  free(line);
  free(path);
  return status;
}

int tabrl_results_merge(const char *const *dirs, size_t n, const char *out,
                        tabrl_merge_report *report)
{
  tabrl_ini *manifests = NULL, merged = {0};
  canonical_order order = {0};
  runs_data d = {0};
  rank *ranks = NULL;
  size_t *sorted = NULL, n_envs = 0;
  char *path = NULL;
  const char *hash0;
  int status = TABRL_OK;

  tabrl_init();
  if (report) memset(report, 0, sizeof *report);
  if (n == 0) return tabrl_error(TABRL_EINVAL, "nothing to merge: give at least one directory");
  if (!(manifests = calloc(n, sizeof *manifests)))
    return tabrl_error(TABRL_ENOMEM, "out of memory");

  for (size_t i = 0; i < n; i++) {
    free(path);
    if (!(path = tabrl_path_join(dirs[i], "manifest.ini"))) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto done;
    }
    if ((status = tabrl_ini_read(path, &manifests[i]))) goto done;
    if (!tabrl_ini_get(&manifests[i], "tabrl", "experiment_hash")) {
      status = tabrl_error(TABRL_EINVAL, "%s: no experiment_hash in [tabrl]", path);
      goto done;
    }
    if (same_directory(dirs[i], out)) {
      status = tabrl_error(TABRL_EINVAL, "the output directory %s is also an input", out);
      goto done;
    }
  }
  /* The experiment hash covers the input files' paths, [inputs] their
   * content: shards computed from two versions of a file never mix. */
  for (size_t i = 1; i < n; i++)
    for (size_t k = 0; k < manifests[i].n; k++) {
      const tabrl_ini_item *item = &manifests[i].items[k];
      if (!item->key || strcmp(item->section, "inputs")) continue;
      const char *first = tabrl_ini_get(&manifests[0], "inputs", item->key);
      if (first && strcmp(first, item->value)) {
        status = tabrl_error(TABRL_EINVAL,
                             "%s: the file changed between the runs of %s and %s (content hash %s "
                             "vs %s); rerun the shards computed from the old file",
                             item->key, dirs[0], dirs[i], first, item->value);
        goto done;
      }
    }
  hash0 = tabrl_ini_get(&manifests[0], "tabrl", "experiment_hash");
  for (size_t i = 1; i < n; i++) {
    const char *hash = tabrl_ini_get(&manifests[i], "tabrl", "experiment_hash");
    if (strcmp(hash, hash0)) {
      status = tabrl_error(TABRL_EINVAL,
                           "%s and %s come from different experiments (experiment_hash %s vs %s)",
                           dirs[0], dirs[i], hash0, hash);
      goto done;
    }
    const char *shard = tabrl_ini_get(&manifests[i], "tabrl", "shard");
    for (size_t j = 0; j < i && shard; j++) {
      const char *other = tabrl_ini_get(&manifests[j], "tabrl", "shard");
      if (other && !strcmp(shard, other)) {
        status = tabrl_error(TABRL_EINVAL, "%s and %s are both shard %s", dirs[j], dirs[i], shard);
        goto done;
      }
    }
  }
  free(path);
  if (!(path = tabrl_path_join(dirs[0], "manifest.ini"))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  if ((status = read_order(&manifests[0], path, &order))) goto done;
  for (size_t i = 0; i < n; i++)
    if ((status = tabrl_runs_read(&d, dirs, i))) goto done;

  if (!(ranks = malloc((d.n_rows + 1) * sizeof *ranks)) ||
      !(sorted = malloc((d.n_rows + 1) * sizeof *sorted))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < d.n_rows; i++) {
    const run_row *r = &d.rows[i];
    rank *k = &ranks[i];
    k->config = position(order.configs, order.n_configs, d.labels[r->config]);
    k->algo = position(order.algos, order.n_algos, d.labels[r->algo]);
    k->seed = SIZE_MAX;
    for (size_t s = 0; s < order.n_seeds; s++)
      if (order.seeds[s] == r->seed) {
        k->seed = s;
        break;
      }
    k->env = r->env;
    k->index = i;
    const char *what = k->config == SIZE_MAX ? "config" : k->algo == SIZE_MAX ? "algo" : "seed";
    if (k->config == SIZE_MAX || k->algo == SIZE_MAX || k->seed == SIZE_MAX) {
      status = tabrl_error(TABRL_EINVAL, "%s:%zu: %s of this run is not in %s's [experiment] %s",
                           d.files[r->input], r->line, what, path,
                           !strcmp(what, "config") ? "configs"
                           : !strcmp(what, "algo") ? "algos"
                                                   : "seed_list");
      goto done;
    }
  }
  /* The row index as last key makes the order total: runs keep their rows'
   * order (qsort is not stable). */
  qsort(ranks, d.n_rows, sizeof *ranks, compare_ranks);
  for (size_t i = 0; i < d.n_rows; i++) sorted[i] = ranks[i].index;
  for (size_t i = 0; i < d.n_labels; i++) {
    int is_env = 0;
    for (size_t r = 0; r < d.n_rows && !is_env; r++) is_env = d.rows[r].env == i;
    n_envs += (size_t)is_env;
  }

  if ((status = tabrl_mkdir_p(out))) goto done;
  free(path);
  if (!(path = tabrl_path_join(out, "runs.csv"))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  runs_job job = {&d, sorted};
  if ((status = tabrl_write_atomic(path, write_runs, &job))) goto done;
  if ((status = merged_manifest(manifests, n, &merged))) goto done;
  free(path);
  if (!(path = tabrl_path_join(out, "manifest.ini"))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  if ((status = tabrl_ini_write(&merged, path))) goto done;
  if ((status = merge_policies(dirs, n, &order, out))) goto done;
  /* Summary groups appear in the merged (canonical) order. */
  {
    runs_data canonical = d;
    run_row *rows = malloc((d.n_rows + 1) * sizeof *rows);
    if (!rows) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto done;
    }
    for (size_t i = 0; i < d.n_rows; i++) rows[i] = d.rows[sorted[i]];
    canonical.rows = rows;
    status = tabrl_runs_summarize(&canonical, out);
    free(rows);
    if (status) goto done;
  }
  if (report) {
    report->inputs = n;
    report->runs = d.n_runs;
    report->runs_expected = order.n_configs * order.n_algos * order.n_seeds * (n_envs ? n_envs : 1);
    report->rows = d.n_rows;
  }
done:
  if (manifests)
    for (size_t i = 0; i < n; i++) tabrl_ini_free(&manifests[i]);
  free(manifests);
  tabrl_ini_free(&merged);
  order_free(&order);
  tabrl_runs_free(&d);
  free(ranks);
  free(sorted);
  free(path);
  return status;
}
