/* runs.csv -> summary.csv, and merging shard directories; see
 * tabrl/results.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "results_private.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/schema.h"

/* ---- comma lists ---- */

static char *trimmed_copy(const char *begin, const char *end)
{
  while (begin < end && isspace((unsigned char)*begin)) begin++;
  while (end > begin && isspace((unsigned char)end[-1])) end--;
  char *copy = malloc((size_t)(end - begin) + 1);
  if (copy) {
    memcpy(copy, begin, (size_t)(end - begin));
    copy[end - begin] = '\0';
  }
  return copy;
}

void tabrl_list_free(char **items, size_t n)
{
  /* NULL with n > 0 happens: seeds from `seeds` have no texts. */
  if (!items) return;
  for (size_t i = 0; i < n; i++) free(items[i]);
  free(items);
}

int tabrl_list_split(const char *text, char ***items, size_t *n)
{
  size_t count = 1, k = 0;
  const char *p;
  *items = NULL;
  *n = 0;
  for (p = text; isspace((unsigned char)*p); p++) continue;
  if (!*p) return TABRL_OK;
  for (p = text; *p; p++) count += *p == ',';
  char **list = calloc(count, sizeof *list);
  if (!list) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (const char *begin = text;; begin = p + 1) {
    for (p = begin; *p && *p != ','; p++) continue;
    if (!(list[k++] = trimmed_copy(begin, p))) {
      tabrl_list_free(list, k);
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    if (!*p) break;
  }
  *items = list;
  *n = count;
  return TABRL_OK;
}

/* ---- the manifest ----
 *
 * Not read with inih: Debian's libinih 55 is built with a 200-character
 * line limit (a manifest's `command` line is often longer) and never
 * reports a section without keys (`[config default]`), and merging must
 * rewrite the manifest faithfully.  The manifest is tabrl's own output, so
 * this reader takes the plain subset it is written in; values are kept
 * verbatim (no inline comments). */

static int ini_add(tabrl_ini *ini, const char *section, const char *key, const char *value)
{
  if (ini->n == ini->cap) {
    size_t cap = ini->cap ? 2 * ini->cap : 32;
    tabrl_ini_item *items = realloc(ini->items, cap * sizeof *items);
    if (!items) return tabrl_error(TABRL_ENOMEM, "out of memory");
    ini->items = items;
    ini->cap = cap;
  }
  tabrl_ini_item *item = &ini->items[ini->n];
  item->section = strdup(section);
  item->key = key ? strdup(key) : NULL;
  item->value = value ? strdup(value) : NULL;
  if (!item->section || (key && !item->key) || (value && !item->value)) {
    free(item->section);
    free(item->key);
    free(item->value);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  ini->n++;
  return TABRL_OK;
}

void tabrl_ini_free(tabrl_ini *ini)
{
  for (size_t i = 0; i < ini->n; i++) {
    free(ini->items[i].section);
    free(ini->items[i].key);
    free(ini->items[i].value);
  }
  free(ini->items);
  ini->items = NULL;
  ini->n = ini->cap = 0;
}

int tabrl_ini_read(const char *path, tabrl_ini *ini)
{
  FILE *f = fopen(path, "r");
  char *buffer = NULL, *section = strdup(""), *key = NULL, *value = NULL;
  size_t size = 0, line = 0;
  ssize_t length;
  int status = TABRL_OK;

  ini->items = NULL;
  ini->n = ini->cap = 0;
  if (!section) {
    if (f) fclose(f);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  if (!f) {
    int err = errno;
    free(section);
    if (err == ENOENT) return tabrl_error(TABRL_ENOTFOUND, "%s: no such file", path);
    return tabrl_error(TABRL_EIO, "%s: %s", path, strerror(err));
  }
  while (!status && (length = getline(&buffer, &size, f)) >= 0) {
    char *p = buffer, *end = buffer + length;
    line++;
    if (line == 1 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r')) end--;
    *end = '\0';
    while (isspace((unsigned char)*p)) p++;
    if (!*p || *p == '#' || *p == ';') continue;
    if (*p == '[') {
      char *close = strrchr(p, ']');
      char *after = close ? close + 1 : NULL;
      while (after && isspace((unsigned char)*after)) after++;
      if (!close || *after) {
        status = tabrl_error(TABRL_EINVAL, "%s:%zu: expected [section]", path, line);
        break;
      }
      free(section);
      if (!(section = trimmed_copy(p + 1, close))) {
        status = tabrl_error(TABRL_ENOMEM, "out of memory");
        break;
      }
      status = ini_add(ini, section, NULL, NULL);
      continue;
    }
    char *eq = strchr(p, '=');
    if (!eq || eq == p) {
      status = tabrl_error(TABRL_EINVAL, "%s:%zu: expected key = value", path, line);
      break;
    }
    key = trimmed_copy(p, eq);
    value = trimmed_copy(eq + 1, end);
    if (!key || !value)
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else
      status = ini_add(ini, section, key, value);
    free(key);
    free(value);
    key = value = NULL;
  }
  if (!status && ferror(f)) status = tabrl_error(TABRL_EIO, "%s: read error", path);
  fclose(f);
  free(buffer);
  free(section);
  if (status) tabrl_ini_free(ini);
  return status;
}

const char *tabrl_ini_get(const tabrl_ini *ini, const char *section, const char *key)
{
  const char *value = NULL;
  for (size_t i = 0; i < ini->n; i++)
    if (ini->items[i].key && !strcmp(ini->items[i].section, section) &&
        !strcmp(ini->items[i].key, key))
      value = ini->items[i].value;
  return value;
}

static int write_ini(FILE *f, void *ctx)
{
  const tabrl_ini *ini = ctx;
  int first = 1;
  for (size_t i = 0; i < ini->n; i++) {
    const tabrl_ini_item *item = &ini->items[i];
    if (!item->key) {
      fprintf(f, "%s[%s]\n", first ? "" : "\n", item->section);
      first = 0;
    } else {
      fprintf(f, "%s = %s\n", item->key, item->value);
      first = 0;
    }
  }
  return TABRL_OK;
}

int tabrl_ini_write(const tabrl_ini *ini, const char *path)
{
  return tabrl_write_atomic(path, write_ini, (void *)ini);
}

/* ---- a small hash table: fixed-width integer keys -> index ---- */

enum { KEY_WIDTH = 4 };

typedef struct {
  uint64_t key[KEY_WIDTH];
  size_t value; /* SIZE_MAX: empty slot */
} slot;

typedef struct {
  slot *slots;
  size_t cap, n;
} table;

static uint64_t hash_key(const uint64_t *key)
{
  uint64_t h = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < KEY_WIDTH; i++) {
    h ^= key[i] + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9u;
  }
  return h ^ (h >> 31);
}

static int table_grow(table *t)
{
  size_t cap = t->cap ? 2 * t->cap : 256;
  slot *slots = malloc(cap * sizeof *slots);
  if (!slots) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t i = 0; i < cap; i++) slots[i].value = SIZE_MAX;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].value == SIZE_MAX) continue;
    size_t j = hash_key(t->slots[i].key) & (cap - 1);
    while (slots[j].value != SIZE_MAX) j = (j + 1) & (cap - 1);
    slots[j] = t->slots[i];
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return TABRL_OK;
}

/* Looks key up; if absent, inserts it with value fresh.  *value is the
 * stored value either way; returns 1 if inserted, 0 if found, <0 error. */
static int table_upsert(table *t, const uint64_t *key, size_t fresh, size_t *value)
{
  int status;
  if (2 * (t->n + 1) > t->cap && (status = table_grow(t))) return status;
  size_t j = hash_key(key) & (t->cap - 1);
  while (t->slots[j].value != SIZE_MAX) {
    if (!memcmp(t->slots[j].key, key, sizeof t->slots[j].key)) {
      *value = t->slots[j].value;
      return 0;
    }
    j = (j + 1) & (t->cap - 1);
  }
  memcpy(t->slots[j].key, key, sizeof t->slots[j].key);
  t->slots[j].value = *value = fresh;
  t->n++;
  return 1;
}

static void table_free(table *t)
{
  free(t->slots);
  t->slots = NULL;
  t->cap = t->n = 0;
}

/* ---- runs.csv ---- */

typedef struct {
  size_t env, algo, config; /* indices into the label list */
  unsigned long long seed;
  long long episode;
  double cum_regret, value;
  int has_value;
  size_t run;   /* index of its (env, algo, config, seed) */
  size_t input; /* which file it came from */
  size_t line;
  char *text; /* the line as read, without its newline */
} run_row;

typedef struct {
  size_t input, first_line, last_line;
  long long last_episode;
} run_info;

/* Everything read from one or more runs.csv files.  Labels are interned so
 * that rows compare by index. */
typedef struct {
  char **labels;
  size_t n_labels, cap_labels;
  run_row *rows;
  size_t n_rows, cap_rows;
  run_info *runs;
  size_t n_runs, cap_runs;
  table run_index; /* (env, algo, config, seed) -> run */
  char **files;    /* the path of each input's runs.csv */
  size_t n_files, cap_files;
} runs_data;

static void runs_free(runs_data *d)
{
  for (size_t i = 0; i < d->n_labels; i++) free(d->labels[i]);
  free(d->labels);
  for (size_t i = 0; i < d->n_rows; i++) free(d->rows[i].text);
  free(d->rows);
  free(d->runs);
  table_free(&d->run_index);
  for (size_t i = 0; i < d->n_files; i++) free(d->files[i]);
  free(d->files);
  memset(d, 0, sizeof *d);
}

static int grow(void **array, size_t *cap, size_t n, size_t item_size)
{
  if (n < *cap) return TABRL_OK;
  size_t new_cap = *cap ? 2 * *cap : 64;
  void *bigger = realloc(*array, new_cap * item_size);
  if (!bigger) return tabrl_error(TABRL_ENOMEM, "out of memory");
  *array = bigger;
  *cap = new_cap;
  return TABRL_OK;
}

/* Interned index of label; *id = SIZE_MAX on allocation failure.  Labels
 * are few (algorithms, configs), so a linear search is enough. */
static int intern(runs_data *d, const char *label, size_t *id)
{
  for (size_t i = 0; i < d->n_labels; i++)
    if (!strcmp(d->labels[i], label)) {
      *id = i;
      return TABRL_OK;
    }
  int status = grow((void **)&d->labels, &d->cap_labels, d->n_labels, sizeof *d->labels);
  if (status) return status;
  if (!(d->labels[d->n_labels] = strdup(label))) return tabrl_error(TABRL_ENOMEM, "out of memory");
  *id = d->n_labels++;
  return TABRL_OK;
}

static int is_label(const char *text)
{
  if (!*text) return 0;
  for (const char *p = text; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("._+-", *p)) return 0;
  return 1;
}

static int parse_finite(const char *text, double *x)
{
  char *end;
  if (!*text || isspace((unsigned char)*text)) return 0;
  errno = 0;
  *x = strtod(text, &end);
  return !*end && isfinite(*x);
}

static int parse_unsigned(const char *text, unsigned long long *x)
{
  char *end;
  if (!isdigit((unsigned char)*text)) return 0;
  errno = 0;
  *x = strtoull(text, &end, 10);
  return !*end && errno != ERANGE;
}

/* Parses one data line of file into a row (labels interned, run found or
 * added).  dirs[input] names the directory in cross-input errors. */
static int parse_run_line(runs_data *d, const char *file, size_t input, size_t line,
                          const char *text, const char *const *dirs)
{
  char *copy = strdup(text), *fields[TABRL_RUNS_COLUMNS];
  run_row row = {0};
  double ignored;
  int status = TABRL_OK;
  size_t n;

  if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
  if (!*copy) {
    status = tabrl_error(TABRL_EINVAL, "%s:%zu: empty line", file, line);
    goto done;
  }
  if ((n = tabrl_schema_split(copy, fields, TABRL_RUNS_COLUMNS)) != TABRL_RUNS_COLUMNS) {
    status = tabrl_error(TABRL_EINVAL, "%s:%zu: %zu fields, expected %d (%s)", file, line, n,
                         TABRL_RUNS_COLUMNS, tabrl_schema_runs.header);
    goto done;
  }
  for (int i = TABRL_RUNS_ENV; i <= TABRL_RUNS_CONFIG; i++)
    if (!is_label(fields[i])) {
      status = tabrl_error(TABRL_EINVAL, "%s:%zu: %s '%s' is not a label ([A-Za-z0-9._+-]+)", file,
                           line, tabrl_schema_runs.columns[i], fields[i]);
      goto done;
    }
  unsigned long long episode;
  if (!parse_unsigned(fields[TABRL_RUNS_SEED], &row.seed) ||
      !parse_unsigned(fields[TABRL_RUNS_EPISODE], &episode) || episode > LLONG_MAX) {
    int bad =
        parse_unsigned(fields[TABRL_RUNS_SEED], &row.seed) ? TABRL_RUNS_EPISODE : TABRL_RUNS_SEED;
    status = tabrl_error(TABRL_EINVAL, "%s:%zu: %s '%s' is not a non-negative integer", file, line,
                         tabrl_schema_runs.columns[bad], fields[bad]);
    goto done;
  }
  row.episode = (long long)episode;
  for (int i = TABRL_RUNS_RETURN; i < TABRL_RUNS_COLUMNS; i++) {
    double *target = i == TABRL_RUNS_CUM_REGRET ? &row.cum_regret
                     : i == TABRL_RUNS_VALUE    ? &row.value
                                                : &ignored;
    /* value is empty for learners that change policy within an episode;
     * return is empty for planning and offline runs (no rollouts). */
    if ((i == TABRL_RUNS_RETURN || i == TABRL_RUNS_VALUE) && !*fields[i]) continue;
    if (!parse_finite(fields[i], target)) {
      status = tabrl_error(TABRL_EINVAL, "%s:%zu: %s '%s' is not a finite number", file, line,
                           tabrl_schema_runs.columns[i], fields[i]);
      goto done;
    }
  }
  row.has_value = *fields[TABRL_RUNS_VALUE] != '\0';
  if ((status = intern(d, fields[TABRL_RUNS_ENV], &row.env)) ||
      (status = intern(d, fields[TABRL_RUNS_ALGO], &row.algo)) ||
      (status = intern(d, fields[TABRL_RUNS_CONFIG], &row.config)))
    goto done;

  uint64_t key[KEY_WIDTH] = {row.env, row.algo, row.config, row.seed};
  int added = table_upsert(&d->run_index, key, d->n_runs, &row.run);
  if (added < 0) {
    status = added;
    goto done;
  }
  if (added) {
    if ((status = grow((void **)&d->runs, &d->cap_runs, d->n_runs, sizeof *d->runs))) goto done;
    d->runs[d->n_runs++] = (run_info){input, line, line, row.episode};
  } else {
    run_info *run = &d->runs[row.run];
    if (run->input != input) {
      status = tabrl_error(TABRL_EINVAL, "run %s/%s/%s seed %llu is in both %s and %s",
                           fields[TABRL_RUNS_ENV], fields[TABRL_RUNS_ALGO],
                           fields[TABRL_RUNS_CONFIG], row.seed, dirs[run->input], dirs[input]);
      goto done;
    }
    if (row.episode <= run->last_episode) {
      status = tabrl_error(TABRL_EINVAL,
                           "%s:%zu: episode %lld of run %s/%s/%s seed %llu is not after "
                           "episode %lld (line %zu)",
                           file, line, row.episode, fields[TABRL_RUNS_ENV], fields[TABRL_RUNS_ALGO],
                           fields[TABRL_RUNS_CONFIG], row.seed, run->last_episode, run->last_line);
      goto done;
    }
    run->last_episode = row.episode;
    run->last_line = line;
  }
  row.input = input;
  row.line = line;
  if ((status = grow((void **)&d->rows, &d->cap_rows, d->n_rows, sizeof *d->rows))) goto done;
  if (!(row.text = strdup(text))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  d->rows[d->n_rows++] = row;
done:
  free(copy);
  return status;
}

/* Reads dirs[input]/runs.csv into d. */
static int read_runs(runs_data *d, const char *const *dirs, size_t input)
{
  char *file = tabrl_path_join(dirs[input], "runs.csv"), *buffer = NULL;
  size_t size = 0, line = 0;
  ssize_t length;
  int status = TABRL_OK;
  FILE *f;

  if (!file) return tabrl_error(TABRL_ENOMEM, "out of memory");
  if ((status = grow((void **)&d->files, &d->cap_files, d->n_files, sizeof *d->files))) {
    free(file);
    return status;
  }
  d->files[d->n_files++] = file;
  if (!(f = fopen(file, "r"))) {
    if (errno == ENOENT)
      return tabrl_error(TABRL_ENOTFOUND, "%s: no such file (is %s a tabrl output directory?)",
                         file, dirs[input]);
    return tabrl_error(TABRL_EIO, "%s: %s", file, strerror(errno));
  }
  while (!status && (length = getline(&buffer, &size, f)) >= 0) {
    line++;
    if (length > 0 && buffer[length - 1] == '\n') buffer[--length] = '\0';
    if (length > 0 && buffer[length - 1] == '\r') buffer[--length] = '\0';
    if (strlen(buffer) != (size_t)length)
      status = tabrl_error(TABRL_EINVAL, "%s:%zu: NUL byte in the line", file, line);
    else if (line == 1) {
      if (strcmp(buffer, tabrl_schema_runs.header))
        status = tabrl_error(TABRL_EINVAL, "%s:1: header '%.80s', expected '%s'", file, buffer,
                             tabrl_schema_runs.header);
    } else
      status = parse_run_line(d, file, input, line, buffer, dirs);
  }
  if (!status && ferror(f)) status = tabrl_error(TABRL_EIO, "%s: read error", file);
  if (!status && line == 0)
    status = tabrl_error(TABRL_EINVAL, "%s:1: empty file, expected the header '%s'", file,
                         tabrl_schema_runs.header);
  fclose(f);
  free(buffer);
  return status;
}

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
    fputc('\n', f);
  }
  return TABRL_OK;
}

/* Groups d's rows by (env, algo, config, episode) and writes dir/summary.csv. */
static int summarize_rows(const runs_data *d, const char *dir)
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
    int added = table_upsert(&groups, key, job.n_groups, &group_of[i]);
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
  status = tabrl_write_atomic(path, write_summary, &job);
done:
  table_free(&groups);
  free(group_of);
  free(path);
  free(job.order);
  free(job.starts);
  free(job.scratch);
  return status;
}

int tabrl_results_summarize(const char *dir)
{
  runs_data d = {0};
  const char *dirs[1] = {dir};
  tabrl_init();
  int status = read_runs(&d, dirs, 0);
  if (!status) status = summarize_rows(&d, dir);
  runs_free(&d);
  return status;
}

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
      if (!parse_unsigned(o->seed_texts[i], &o->seeds[i]))
        return tabrl_error(TABRL_EINVAL, "%s: [experiment] seed_list: '%s' is not a seed", path,
                           o->seed_texts[i]);
  } else {
    /* Without a list, the runs use seeds 0 .. seeds-1. */
    unsigned long long count;
    if (!seeds || !parse_unsigned(seeds, &count) || count > 100000000)
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
static int merged_manifest(const tabrl_ini *first, size_t n, tabrl_ini *out)
{
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
    if (is_tabrl && item->key && !strcmp(item->key, "merged_from")) continue;
    if (is_tabrl && item->key && !strcmp(item->key, "shard")) {
      if (!placed) status = ini_add(out, "tabrl", "merged_from", merged);
      placed = 1;
      continue;
    }
    status = ini_add(out, item->section, item->key, item->value);
    if (!status && i == last_tabrl && !placed) {
      status = ini_add(out, "tabrl", "merged_from", merged);
      placed = 1;
    }
  }
  if (!status && !placed) {
    status = ini_add(out, "tabrl", NULL, NULL);
    if (!status) status = ini_add(out, "tabrl", "merged_from", merged);
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
    if ((status = read_runs(&d, dirs, i))) goto done;

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
  if ((status = merged_manifest(&manifests[0], n, &merged))) goto done;
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
    status = summarize_rows(&canonical, out);
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
  runs_free(&d);
  free(ranks);
  free(sorted);
  free(path);
  return status;
}
