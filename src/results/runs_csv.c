/* Reading runs.csv files into memory: rows, runs and interned labels;
 * see runs_csv.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "results/private.h"
#include "results/runs_csv.h"
#include "tabrl/error.h"
#include "tabrl/schema.h"

/* ---- a small hash table: fixed-width integer keys -> index ---- */

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
int tabrl_table_upsert(table *t, const uint64_t *key, size_t fresh, size_t *value)
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

void tabrl_table_free(table *t)
{
  free(t->slots);
  t->slots = NULL;
  t->cap = t->n = 0;
}

/* ---- runs.csv ---- */

void tabrl_runs_free(runs_data *d)
{
  for (size_t i = 0; i < d->n_labels; i++) free(d->labels[i]);
  free(d->labels);
  for (size_t i = 0; i < d->n_rows; i++) free(d->rows[i].text);
  free(d->rows);
  free(d->runs);
  tabrl_table_free(&d->run_index);
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

int tabrl_parse_unsigned(const char *text, unsigned long long *x)
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
  if (!tabrl_parse_unsigned(fields[TABRL_RUNS_SEED], &row.seed) ||
      !tabrl_parse_unsigned(fields[TABRL_RUNS_EPISODE], &episode) || episode > LLONG_MAX) {
    int bad = tabrl_parse_unsigned(fields[TABRL_RUNS_SEED], &row.seed) ? TABRL_RUNS_EPISODE
                                                                       : TABRL_RUNS_SEED;
    status = tabrl_error(TABRL_EINVAL, "%s:%zu: %s '%s' is not a non-negative integer", file, line,
                         tabrl_schema_runs.columns[bad], fields[bad]);
    goto done;
  }
  row.episode = (long long)episode;
  for (int i = TABRL_RUNS_RETURN; i < TABRL_RUNS_COLUMNS; i++) {
    double *target = i == TABRL_RUNS_CUM_REGRET     ? &row.cum_regret
                     : i == TABRL_RUNS_VALUE        ? &row.value
                     : i == TABRL_RUNS_W1           ? &row.w1
                     : i == TABRL_RUNS_CRAMER       ? &row.cramer
                     : i == TABRL_RUNS_W1_BOUND     ? &row.bound[0]
                     : i == TABRL_RUNS_CRAMER_BOUND ? &row.bound[1]
                     : i == TABRL_RUNS_VALUE_ERR    ? &row.value_err
                     : i == TABRL_RUNS_QUERIES      ? &row.queries
                     : i == TABRL_RUNS_KL           ? &row.kl
                     : i == TABRL_RUNS_COST         ? &row.cost
                     : i == TABRL_RUNS_VIOLATION    ? &row.violation
                                                    : &ignored;
    /* value is empty for learners that change policy within an episode;
     * return is empty for planning and offline runs (no rollouts); w1,
     * cramer and value_err for algorithms without a learned distribution,
     * the bounds for types without one; queries for protocols without
     * preferences; kl outside the offline-preference protocol; cost and
     * violation without a budget. */
    int optional = i == TABRL_RUNS_RETURN || i == TABRL_RUNS_VALUE || i == TABRL_RUNS_W1 ||
                   i == TABRL_RUNS_CRAMER || i == TABRL_RUNS_W1_BOUND ||
                   i == TABRL_RUNS_CRAMER_BOUND || i == TABRL_RUNS_VALUE_ERR ||
                   i == TABRL_RUNS_QUERIES || i == TABRL_RUNS_KL || i == TABRL_RUNS_COST ||
                   i == TABRL_RUNS_VIOLATION;
    if (optional && !*fields[i]) {
      *target = NAN;
      continue;
    }
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
  int added = tabrl_table_upsert(&d->run_index, key, d->n_runs, &row.run);
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
int tabrl_runs_read(runs_data *d, const char *const *dirs, size_t input)
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
