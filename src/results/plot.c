/* Figures from summary.csv through gnuplot; see tabrl/results.h.
 *
 * The script tabrl writes is the figure's source: the data are inline
 * datablocks, so the user can edit it and run `gnuplot FILE.gp` without
 * tabrl.  When tabrl runs it, it passes tabrl_output (a temporary name) with
 * -e so that a failed or killed gnuplot never leaves half an image under the
 * final name; run by hand, the script writes the final name itself. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "results/private.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/schema.h"

extern char **environ;

/* ---- options and paths ---- */

typedef enum { TERM_PNG, TERM_SVG, TERM_PDF, TERM_DUMB } terminal;

static const char *metric_of(const tabrl_plot_options *opt)
{
  return opt->metric ? opt->metric : "cum_regret";
}

/* The metrics summary.csv holds, in the order of summary_row.metric;
 * every one but cum_regret may be empty in a row. */
enum {
  METRIC_CUM_REGRET,
  METRIC_VALUE,
  METRIC_W1,
  METRIC_CRAMER,
  METRIC_VALUE_ERR,
  METRIC_QUERIES,
  METRIC_KL,
  METRIC_COST,
  METRIC_VIOLATION,
  METRICS
};
static const char *const metric_names[METRICS] = {
    "cum_regret", "value", "w1", "cramer", "value_err", "queries", "kl", "cost", "violation"};
static const char *const metric_titles[METRICS] = {
    "cumulative regret",
    "value",
    "W1 to the exact return distribution",
    "Cramer distance to the exact return distribution",
    "|learned mean return - exact value of the policy|",
    "preference queries",
    "KL(policy || reference)",
    "expected cost of the policy",
    "constraint violation max(0, cost - budget)"};

/* The index of opt's metric, or -1. */
static int metric_index(const tabrl_plot_options *opt)
{
  for (int i = 0; i < METRICS; i++)
    if (!strcmp(metric_of(opt), metric_names[i])) return i;
  return -1;
}

/* The extension of path's last component, including the dot ("" if none). */
static const char *extension(const char *path)
{
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path)) return "";
  return dot;
}

static int check_options(const tabrl_plot_options *opt, terminal *term)
{
  const char *metric = metric_of(opt);
  if (metric_index(opt) < 0)
    return tabrl_error(TABRL_EINVAL,
                       "metric '%s': expected cum_regret, value, w1, cramer, value_err, queries, "
                       "kl, cost or violation",
                       metric);
  if (opt->terminal && strcmp(opt->terminal, "dumb"))
    return tabrl_error(TABRL_EINVAL,
                       "terminal '%s': expected dumb (image terminals follow from the "
                       "output's extension: .png, .svg or .pdf)",
                       opt->terminal);
  if (opt->x_key && !*opt->x_key) return tabrl_error(TABRL_EINVAL, "empty x key");
  if (opt->x_key && (opt->fit || opt->bound_algo))
    return tabrl_error(TABRL_EINVAL, "a fit or a bound is drawn on curves against the episode, "
                                     "not on a sweep against a key");
  if ((unsigned)opt->fit > TABRL_FIT_LOG) return tabrl_error(TABRL_EINVAL, "unknown fit shape");
  if (opt->bound_algo && !opt->bound_problem)
    return tabrl_error(TABRL_EINVAL, "a bound needs the problem's sizes");
  if (opt->terminal) {
    *term = TERM_DUMB;
    return TABRL_OK;
  }
  if (!opt->output) {
    *term = TERM_PNG;
    return TABRL_OK;
  }
  const char *ext = extension(opt->output);
  if (!strcasecmp(ext, ".png"))
    *term = TERM_PNG;
  else if (!strcasecmp(ext, ".svg"))
    *term = TERM_SVG;
  else if (!strcasecmp(ext, ".pdf"))
    *term = TERM_PDF;
  else
    return tabrl_error(TABRL_EINVAL,
                       "%s: unknown image type '%s'; use .png, .svg or .pdf (or the dumb terminal)",
                       opt->output, ext);
  return TABRL_OK;
}

static char *format_string(const char *fmt, const char *a, const char *b, const char *c,
                           const char *d)
{
  size_t size = strlen(fmt) + strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
  char *text = malloc(size);
  if (text) snprintf(text, size, fmt, a, b, c, d);
  return text;
}

int tabrl_plot_paths(const char *dir, const tabrl_plot_options *opt, char **image, char **script)
{
  terminal term;
  int status;
  const char *metric = metric_of(opt), *vs = opt->x_key ? "-vs-" : "",
             *key = opt->x_key ? opt->x_key : "";

  *image = *script = NULL;
  if ((status = check_options(opt, &term))) return status;
  if (opt->output)
    *image = strdup(opt->output);
  else if (term != TERM_DUMB)
    *image = format_string("%s/%s%s%s.png", dir, metric, vs, key);
  if (*image) {
    /* Same path with .gp in place of the extension. */
    size_t stem = strlen(*image) - strlen(extension(*image));
    if ((*script = malloc(stem + 4))) {
      memcpy(*script, *image, stem);
      strcpy(*script + stem, ".gp");
    }
  } else if (term == TERM_DUMB && !opt->output)
    *script = format_string("%s/%s%s%s.dumb.gp", dir, metric, vs, key);
  if ((term != TERM_DUMB || opt->output) && !*image) goto oom;
  if (!*script) goto oom;
  if (*image && !strcmp(*image, *script)) {
    status = tabrl_error(TABRL_EINVAL, "%s: the output would overwrite its own script", *image);
    free(*image);
    free(*script);
    *image = *script = NULL;
    return status;
  }
  return TABRL_OK;
oom:
  free(*image);
  free(*script);
  *image = *script = NULL;
  return tabrl_error(TABRL_ENOMEM, "out of memory");
}

/* ---- summary.csv ---- */

typedef struct {
  char *env, *algo, *config;
  long long episode;
  double metric[METRICS][4]; /* mean, std, lo, hi of each metric */
  int has[METRICS];          /* 0 where the metric's fields are empty */
  double bound[METRICS];     /* the algorithm's theoretical bound (w1, cramer) */
  int has_bound[METRICS];    /* 0 where it has none */
} summary_row;

typedef struct {
  summary_row *rows;
  size_t n, cap;
} summary_table;

static void summary_free(summary_table *t)
{
  for (size_t i = 0; i < t->n; i++) {
    free(t->rows[i].env);
    free(t->rows[i].algo);
    free(t->rows[i].config);
  }
  free(t->rows);
  memset(t, 0, sizeof *t);
}

static int parse_number(const char *text, double *x)
{
  char *end;
  if (!*text || isspace((unsigned char)*text)) return 0;
  *x = strtod(text, &end);
  return !*end && isfinite(*x);
}

static int parse_summary_line(summary_table *t, const char *file, size_t line, char *text)
{
  char *fields[TABRL_SUMMARY_COLUMNS];
  summary_row row = {0};
  char *end;
  size_t n = tabrl_schema_split(text, fields, TABRL_SUMMARY_COLUMNS);

  if (n != TABRL_SUMMARY_COLUMNS)
    return tabrl_error(TABRL_EINVAL, "%s:%zu: %zu fields, expected %d", file, line, n,
                       TABRL_SUMMARY_COLUMNS);
  for (int i = TABRL_SUMMARY_ENV; i <= TABRL_SUMMARY_CONFIG; i++)
    if (!*fields[i]) return tabrl_error(TABRL_EINVAL, "%s:%zu: empty label", file, line);
  const char *episode = fields[TABRL_SUMMARY_EPISODE];
  row.episode = strtoll(episode, &end, 10);
  if (!isdigit((unsigned char)*episode) || *end)
    return tabrl_error(TABRL_EINVAL, "%s:%zu: episode '%s' is not an integer", file, line, episode);
  /* mean, std, lo, hi of cum_regret, then of value, w1, cramer, value_err
   * queries, kl, cost and violation (empty when no seed reports one) */
  static const int first[METRICS] = {
      TABRL_SUMMARY_CUM_REGRET_MEAN, TABRL_SUMMARY_VALUE_MEAN,     TABRL_SUMMARY_W1_MEAN,
      TABRL_SUMMARY_CRAMER_MEAN,     TABRL_SUMMARY_VALUE_ERR_MEAN, TABRL_SUMMARY_QUERIES_MEAN,
      TABRL_SUMMARY_KL_MEAN,         TABRL_SUMMARY_COST_MEAN,      TABRL_SUMMARY_VIOLATION_MEAN};
  for (int k = 0; k < METRICS; k++) {
    row.has[k] = k == METRIC_CUM_REGRET || *fields[first[k]] != '\0';
    for (int i = 0; i < 4 && row.has[k]; i++)
      if (!parse_number(fields[first[k] + i], &row.metric[k][i]))
        return tabrl_error(TABRL_EINVAL, "%s:%zu: '%s' is not a number", file, line,
                           fields[first[k] + i]);
  }
  /* The bounds beside w1 and cramer (empty: the type documents none). */
  static const int bound_field[METRICS] = {
      -1, -1, TABRL_SUMMARY_W1_BOUND, TABRL_SUMMARY_CRAMER_BOUND, -1, -1, -1, -1, -1};
  for (int k = 0; k < METRICS; k++) {
    if (bound_field[k] < 0 || !*fields[bound_field[k]]) continue;
    if (!parse_number(fields[bound_field[k]], &row.bound[k]))
      return tabrl_error(TABRL_EINVAL, "%s:%zu: '%s' is not a number", file, line,
                         fields[bound_field[k]]);
    row.has_bound[k] = 1;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 64;
    summary_row *rows = realloc(t->rows, cap * sizeof *rows);
    if (!rows) return tabrl_error(TABRL_ENOMEM, "out of memory");
    t->rows = rows;
    t->cap = cap;
  }
  row.env = strdup(fields[TABRL_SUMMARY_ENV]);
  row.algo = strdup(fields[TABRL_SUMMARY_ALGO]);
  row.config = strdup(fields[TABRL_SUMMARY_CONFIG]);
  t->rows[t->n++] = row;
  if (!row.env || !row.algo || !row.config) return tabrl_error(TABRL_ENOMEM, "out of memory");
  return TABRL_OK;
}

static int read_summary(const char *dir, summary_table *t)
{
  char *file = tabrl_path_join(dir, "summary.csv"), *buffer = NULL;
  size_t size = 0, line = 0;
  ssize_t length;
  int status = TABRL_OK;
  struct stat st;
  FILE *f;

  memset(t, 0, sizeof *t);
  if (!file) return tabrl_error(TABRL_ENOMEM, "out of memory");
  if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
    free(file);
    return tabrl_error(TABRL_ENOTFOUND, "%s: no such directory", dir);
  }
  if (!(f = fopen(file, "r"))) {
    int err = errno;
    if (err == ENOENT)
      status =
          tabrl_error(TABRL_ENOTFOUND,
                      "%s: no such file (tabrl summarize %s computes it from runs.csv)", file, dir);
    else
      status = tabrl_error(TABRL_EIO, "%s: %s", file, strerror(err));
    free(file);
    return status;
  }
  while (!status && (length = getline(&buffer, &size, f)) >= 0) {
    line++;
    while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r'))
      buffer[--length] = '\0';
    if (line == 1) {
      if (strcmp(buffer, tabrl_schema_summary.header))
        status =
            tabrl_error(TABRL_EINVAL, "%s:1: not a tabrl summary (header '%.60s')", file, buffer);
    } else
      status = parse_summary_line(t, file, line, buffer);
  }
  if (!status && ferror(f)) status = tabrl_error(TABRL_EIO, "%s: read error", file);
  if (!status && line == 0) status = tabrl_error(TABRL_EINVAL, "%s: empty file", file);
  fclose(f);
  free(buffer);
  free(file);
  if (status) summary_free(t);
  return status;
}

/* ---- series ---- */

typedef struct {
  double x, mean, lo, hi;
} point;

typedef struct {
  char *title;
  point *points;
  size_t n, cap;
  point *bounds; /* the algorithm's bound at the same x (mean only), drawn dashed */
  size_t n_bounds, cap_bounds;
  int has_fit; /* opt->fit: the fit of the curve's last decade */
  tabrl_fit fit;
} series;

typedef struct {
  series *items;
  size_t n, cap;
} series_list;

static void series_free(series_list *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].title);
    free(l->items[i].points);
    free(l->items[i].bounds);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* The series titled title (added if new); NULL when out of memory. */
static series *series_get(series_list *l, const char *title)
{
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->items[i].title, title)) return &l->items[i];
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    series *items = realloc(l->items, cap * sizeof *items);
    if (!items) return NULL;
    l->items = items;
    l->cap = cap;
  }
  series *s = &l->items[l->n];
  memset(s, 0, sizeof *s);
  if (!(s->title = strdup(title))) return NULL;
  l->n++;
  return s;
}

static int points_add(point **points, size_t *n, size_t *cap, point p)
{
  if (*n == *cap) {
    size_t bigger = *cap ? 2 * *cap : 64;
    point *grown = realloc(*points, bigger * sizeof *grown);
    if (!grown) return tabrl_error(TABRL_ENOMEM, "out of memory");
    *points = grown;
    *cap = bigger;
  }
  (*points)[(*n)++] = p;
  return TABRL_OK;
}

/* Adds the point of r at x to s, and r's bound on the metric when it has one. */
static int series_add(series *s, const summary_row *r, int value, point p)
{
  int status = points_add(&s->points, &s->n, &s->cap, p);
  if (status || !r->has_bound[value]) return status;
  point b = {p.x, r->bound[value], r->bound[value], r->bound[value]};
  return points_add(&s->bounds, &s->n_bounds, &s->cap_bounds, b);
}

static int distinct(const summary_table *t, size_t field)
{
  /* Whether rows disagree on env (0) or config (2): titles name them then. */
  for (size_t i = 1; i < t->n; i++) {
    const char *a = field ? t->rows[0].config : t->rows[0].env;
    const char *b = field ? t->rows[i].config : t->rows[i].env;
    if (strcmp(a, b)) return 1;
  }
  return 0;
}

static int metric_point(const summary_row *r, int value, double x, point *p)
{
  const double *m = r->metric[value];
  if (!r->has[value]) return 0;
  *p = (point){x, m[0], m[2], m[3]};
  return 1;
}

static int make_title(char *buffer, size_t size, const summary_row *r, int with_env,
                      int with_config, const char *rest)
{
  int length = snprintf(buffer, size, "%s%s%s%s%s%s%s", with_env ? r->env : "", with_env ? " " : "",
                        r->algo, with_config ? " " : "", with_config ? r->config : "",
                        rest && *rest ? " " : "", rest ? rest : "");
  return length < 0 || (size_t)length >= size;
}

/* ---- config names ---- */

/* What a reader calls a config: the values its [config LABEL] section sets
 * ("q.epsilon=0.1 env.states=12"); c1..cN stay the key of the CSV files. */
typedef struct {
  char **label, **name;
  size_t n;
} config_names;

static void config_names_free(config_names *c)
{
  for (size_t i = 0; i < c->n; i++) {
    free(c->label[i]);
    free(c->name[i]);
  }
  free(c->label);
  free(c->name);
  memset(c, 0, sizeof *c);
}

/* "k=v k=v" of section, skipping x_key (NULL: none); "" if it sets nothing.
 * Nonzero if it does not fit. */
static int section_values(const tabrl_ini *manifest, const char *section, const char *x_key,
                          char *buffer, size_t size)
{
  size_t used = 0;
  buffer[0] = '\0';
  for (size_t i = 0; manifest && i < manifest->n; i++) {
    const tabrl_ini_item *item = &manifest->items[i];
    if (!item->key || strcmp(item->section, section) || (x_key && !strcmp(item->key, x_key)))
      continue;
    int length =
        snprintf(buffer + used, size - used, "%s%s=%s", used ? " " : "", item->key, item->value);
    if (length < 0 || (size_t)length >= size - used) return 1;
    used += (size_t)length;
  }
  return 0;
}

/* The name of every config of t: its swept values, or its label when the
 * manifest has no [config LABEL] for it or two configs would read the same
 * (then "values (label)", so that no two series merge). */
static int config_names_make(const summary_table *t, const tabrl_ini *manifest, config_names *c)
{
  char section[300], values[400];
  memset(c, 0, sizeof *c);
  if (!(c->label = calloc(t->n + 1, sizeof *c->label)) ||
      !(c->name = calloc(t->n + 1, sizeof *c->name)))
    goto oom;
  for (size_t i = 0; i < t->n; i++) {
    const char *label = t->rows[i].config;
    int seen = 0;
    for (size_t j = 0; j < c->n && !seen; j++) seen = !strcmp(c->label[j], label);
    if (seen) continue;
    snprintf(section, sizeof section, "config %s", label);
    if (section_values(manifest, section, NULL, values, sizeof values) || !*values)
      snprintf(values, sizeof values, "%s", label);
    c->label[c->n] = strdup(label);
    c->name[c->n] = strdup(values);
    if (!c->label[c->n] || !c->name[c->n++]) goto oom;
  }
  /* Decide every clash before renaming any (a renamed one clashes no more). */
  char *clash = calloc(c->n + 1, 1);
  if (!clash) goto oom;
  for (size_t i = 0; i < c->n; i++)
    for (size_t j = 0; j < c->n; j++)
      if (j != i && !strcmp(c->name[i], c->name[j])) clash[i] = 1;
  for (size_t i = 0; i < c->n; i++) {
    if (!clash[i] || !strcmp(c->name[i], c->label[i])) continue;
    size_t size = strlen(c->name[i]) + strlen(c->label[i]) + 4;
    char *both = malloc(size);
    if (!both) {
      free(clash);
      goto oom;
    }
    snprintf(both, size, "%s (%s)", c->name[i], c->label[i]);
    free(c->name[i]);
    c->name[i] = both;
  }
  free(clash);
  return TABRL_OK;
oom:
  config_names_free(c);
  return tabrl_error(TABRL_ENOMEM, "out of memory");
}

static const char *config_name(const config_names *c, const char *label)
{
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->label[i], label)) return c->name[i];
  return label;
}

/* Curves: every row of each (env, algo, config) against its episode. */
static int curve_series(const summary_table *t, const tabrl_ini *manifest, int value,
                        series_list *out)
{
  int with_env = distinct(t, 0), with_config = distinct(t, 2), status;
  char title[1024];
  config_names names;
  point p;
  if ((status = config_names_make(t, manifest, &names))) return status;
  for (size_t i = 0; i < t->n && !status; i++) {
    const summary_row *r = &t->rows[i];
    if (!metric_point(r, value, (double)r->episode, &p)) continue;
    if (make_title(title, sizeof title, r, with_env, 0,
                   with_config ? config_name(&names, r->config) : NULL)) {
      status = tabrl_error(TABRL_EINVAL, "labels too long");
      break;
    }
    series *s = series_get(out, title);
    if (!s)
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else
      status = series_add(s, r, value, p);
  }
  config_names_free(&names);
  return status;
}

static int compare_points(const void *a, const void *b)
{
  const point *x = a, *y = b;
  return (x->x > y->x) - (x->x < y->x);
}

/* The keys [config LABEL] sections set, in order, as "a, b" ("" if none). */
static char *swept_keys(const tabrl_ini *manifest)
{
  size_t size = 1;
  for (size_t i = 0; i < manifest->n; i++)
    if (manifest->items[i].key) size += strlen(manifest->items[i].key) + 2;
  char *text = calloc(size, 1);
  if (!text) return NULL;
  for (size_t i = 0; i < manifest->n; i++) {
    const tabrl_ini_item *item = &manifest->items[i];
    if (!item->key || strncmp(item->section, "config ", 7)) continue;
    /* Each key once: it appears in every config of a grid. */
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = manifest->items[j].key && !strncmp(manifest->items[j].section, "config ", 7) &&
             !strcmp(manifest->items[j].key, item->key);
    if (seen) continue;
    if (*text) strcat(text, ", ");
    strcat(text, item->key);
  }
  return text;
}

/* Sweep: the last checkpoint of each (env, algo, config) against the value
 * of x_key in [config LABEL]; one line per (env, algo, other keys). */
static int sweep_series(const summary_table *t, const tabrl_ini *manifest,
                        const char *manifest_path, const char *x_key, int value, series_list *out)
{
  int with_env = distinct(t, 0), status = TABRL_OK, any = 0;
  char section[300], rest[400], title[900];
  char *keys = swept_keys(manifest);
  if (!keys) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t i = 0; i < manifest->n && !any; i++)
    any = manifest->items[i].key && !strncmp(manifest->items[i].section, "config ", 7) &&
          !strcmp(manifest->items[i].key, x_key);
  if (!any) {
    if (*keys)
      status = tabrl_error(TABRL_EINVAL, "no config sets %s; swept keys are: %s", x_key, keys);
    else
      status = tabrl_error(TABRL_EINVAL, "no config sets %s; this experiment has no sweep", x_key);
    free(keys);
    return status;
  }
  free(keys);
  for (size_t i = 0; i < t->n && !status; i++) {
    const summary_row *r = &t->rows[i], *last = NULL;
    /* Take each (env, algo, config) once, at its last row with the metric. */
    int first = 1;
    for (size_t j = 0; j < i && first; j++)
      first = strcmp(t->rows[j].env, r->env) || strcmp(t->rows[j].algo, r->algo) ||
              strcmp(t->rows[j].config, r->config);
    if (!first) continue;
    for (size_t j = i; j < t->n; j++)
      if (!strcmp(t->rows[j].env, r->env) && !strcmp(t->rows[j].algo, r->algo) &&
          !strcmp(t->rows[j].config, r->config) && t->rows[j].has[value])
        last = &t->rows[j];
    if (!last) continue;
    snprintf(section, sizeof section, "config %s", r->config);
    const char *text = tabrl_ini_get(manifest, section, x_key);
    double x;
    char *end;
    if (!text) {
      status = tabrl_error(TABRL_EINVAL, "config %s does not set %s (%s)", r->config, x_key,
                           manifest_path);
      break;
    }
    x = strtod(text, &end);
    if (!*text || *end || !isfinite(x)) {
      status = tabrl_error(TABRL_EINVAL, "%s: [%s] %s = '%s' is not a number", manifest_path,
                           section, x_key, text);
      break;
    }
    if (section_values(manifest, section, x_key, rest, sizeof rest) ||
        make_title(title, sizeof title, r, with_env, 0, rest)) {
      status = tabrl_error(TABRL_EINVAL, "labels too long");
      break;
    }
    point p = {0};
    metric_point(last, value, x, &p);
    series *s = series_get(out, title);
    if (!s)
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else
      status = series_add(s, last, value, p);
  }
  for (size_t i = 0; i < out->n && !status; i++) {
    qsort(out->items[i].points, out->items[i].n, sizeof(point), compare_points);
    if (out->items[i].n_bounds) /* bounds is NULL without one, and qsort's base nonnull */
      qsort(out->items[i].bounds, out->items[i].n_bounds, sizeof(point), compare_points);
  }
  return status;
}

/* ---- the script ---- */

/* Series colours: gnuplot's own eight wrap around (series 9 looks like
 * series 1), so the script names its colours: these 16, then the same 16
 * dashed, dotted, ...  Ordered so that neighbours differ in hue and the
 * first few are the most distinct. */
static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#000000", "#bcbd22", "#7f7f7f", "#00008b", "#8b0000", "#006400", "#ff1493", "#b8860b",
};
#define PALETTE_SIZE (sizeof palette / sizeof *palette)

/* The line style of series i: its colour, dash type and point type. */
static void put_style(FILE *f, size_t i)
{
  fprintf(f, "lc rgb '%s' dt %zu", palette[i % PALETTE_SIZE], 1 + (i / PALETTE_SIZE) % 5);
}

/* A gnuplot single-quoted string of text then suffix: quotes are doubled. */
static void put_quoted_with(FILE *f, const char *text, const char *suffix)
{
  fputc('\'', f);
  for (const char *p = text; *p; p++) {
    if (*p == '\'') fputc('\'', f);
    fputc(*p, f);
  }
  fputs(suffix, f);
  fputc('\'', f);
}

static void put_quoted(FILE *f, const char *text)
{
  put_quoted_with(f, text, "");
}

typedef struct {
  const series_list *lines;
  const tabrl_plot_options *opt;
  terminal term;
  const char *image, *title, *dir, *script;
  long long last_episode;
  /* opt->bound_algo: the bound at x[0..n_bound-1], and the y range of the
   * data it must not stretch */
  const double *bound_x, *bound_y;
  size_t n_bound;
  const char *bound_title;
  double ymin, ymax;
} script_job;

static const char *const fit_shapes[] = {"", "K^1/2", "K", "ln K"};

static double fit_value(tabrl_fit_shape shape, double c, double K)
{
  return c * (shape == TABRL_FIT_SQRT ? sqrt(K) : shape == TABRL_FIT_LINEAR ? K : log(K));
}

/* 2.3e7, not 2.3e+07: the way a reader writes it. */
static void format_big(char *buffer, size_t size, double x)
{
  char raw[48];
  snprintf(raw, sizeof raw, "%.1e", x);
  char *e = strchr(raw, 'e');
  if (!e || fabs(x) < 1e4) {
    snprintf(buffer, size, "%.3g", x);
    return;
  }
  int exponent = atoi(e + 1);
  *e = '\0';
  snprintf(buffer, size, "%.8se%d", raw, exponent);
}

/* 10,000: an episode count with thousands separators. */
static void format_count(char *buffer, size_t size, double x)
{
  char digits[32];
  snprintf(digits, sizeof digits, "%.0f", x);
  size_t n = strlen(digits), k = 0;
  for (size_t i = 0; i < n && k + 2 < size; i++) {
    if (i && (n - i) % 3 == 0) buffer[k++] = ',';
    buffer[k++] = digits[i];
  }
  buffer[k] = '\0';
}

/* The legend of series i's fit: "psrl: 3.1 K^1/2". */
static void fit_title(char *buffer, size_t size, const series *s, tabrl_fit_shape shape)
{
  snprintf(buffer, size, "%s: %.3g %s%s", s->title, s->fit.c, fit_shapes[shape],
           s->fit.widened ? " (last 3 points)" : "");
}

/* Series i's theoretical bound, if it has one: a thinner dashed line of
 * its colour beside the measured one, titled "<series> bound". */
/* A dashed companion of series i (datablock $<block><i+1>) in its colour,
 * up to its title: a bound and a fit are drawn the same way. */
static void put_dashed(FILE *f, const script_job *job, char block, size_t i)
{
  fprintf(f, ", \\\n    $%c%zu using 1:2 with lines lw 1.5 ", block, i + 1);
  if (job->term == TERM_DUMB)
    fprintf(f, "lt %zu", i + 1);
  else
    fprintf(f, "lc rgb '%s' dt 2", palette[i % PALETTE_SIZE]);
  fputs(" title ", f);
}

static void put_bound(FILE *f, const script_job *job, size_t i)
{
  const series *s = &job->lines->items[i];
  if (!s->n_bounds) return;
  put_dashed(f, job, 'b', i);
  put_quoted_with(f, s->title, " bound");
}

static int write_script(FILE *f, void *ctx)
{
  const script_job *job = ctx;
  const tabrl_plot_options *opt = job->opt;
  int sweep = opt->x_key != NULL;
  const char *what = metric_titles[metric_index(opt)];

  fprintf(f, "# tabrl plot: %s", what);
  if (sweep) fprintf(f, " at the last checkpoint against %s", opt->x_key);
  fprintf(f, ", from %s/summary.csv.\n", job->dir);
  fprintf(f, "# Redraw with: gnuplot %s\n", job->script);
  fprintf(f, "# (paths are relative to the directory tabrl ran in; the data are inline.)\n\n");
  for (size_t i = 0; i < job->lines->n; i++) {
    const series *s = &job->lines->items[i];
    fprintf(f, "# %s\n$s%zu << EOD\n", s->title, i + 1);
    fprintf(f, "# %s mean lo hi\n", sweep ? opt->x_key : "episode");
    for (size_t k = 0; k < s->n; k++)
      fprintf(f, "%.17g %.17g %.17g %.17g\n", s->points[k].x, s->points[k].mean, s->points[k].lo,
              s->points[k].hi);
    fputs("EOD\n\n", f);
    if (!s->n_bounds) continue;
    fprintf(f, "# %s bound\n$b%zu << EOD\n", s->title, i + 1);
    fprintf(f, "# %s bound\n", sweep ? opt->x_key : "episode");
    for (size_t k = 0; k < s->n_bounds; k++)
      fprintf(f, "%.17g %.17g\n", s->bounds[k].x, s->bounds[k].mean);
    fputs("EOD\n\n", f);
  }
  for (size_t i = 0; i < job->lines->n; i++) {
    const series *s = &job->lines->items[i];
    if (!s->has_fit) continue;
    fprintf(f,
            "# %s: c %s fitted over its last %zu checkpoints (K = %.17g to %.17g), "
            "c = sum y f / sum f^2 = %.17g; free log-log slope ",
            s->title, fit_shapes[opt->fit], s->fit.n, s->points[s->fit.first].x,
            s->points[s->n - 1].x, s->fit.c);
    if (s->fit.has_slope)
      fprintf(f, "%.17g\n", s->fit.slope);
    else
      fputs("undefined (fewer than 2 points with y > 0)\n", f);
    fprintf(f, "$f%zu << EOD\n", i + 1);
    for (size_t k = 0; k < s->n; k++)
      if (s->points[k].x > 0)
        fprintf(f, "%.17g %.17g\n", s->points[k].x, fit_value(opt->fit, s->fit.c, s->points[k].x));
    fputs("EOD\n\n", f);
  }
  if (job->n_bound) {
    fprintf(f, "# %s (%s, S = %g, A = %g, H = %g, delta = %g, L at K = %g)\n$bound << EOD\n",
            job->bound_title, opt->bound_algo, opt->bound_problem->S, opt->bound_problem->A,
            opt->bound_problem->H, opt->bound_problem->delta, opt->bound_problem->episodes);
    for (size_t k = 0; k < job->n_bound; k++)
      fprintf(f, "%.17g %.17g\n", job->bound_x[k], job->bound_y[k]);
    fputs("EOD\n\n", f);
  }
  /* The key sits below the plot in as many columns as its longest title
   * allows; the image grows by its rows, so the plot keeps its height. */
  size_t longest = 0, n = job->lines->n;
  for (size_t i = 0; i < job->lines->n; i++) {
    const series *s = &job->lines->items[i];
    size_t length = strlen(s->title) + (s->n_bounds ? strlen(" bound") : 0) +
                    (s->has_fit ? strlen(": 1.23e+04 ln K (last 3 points)") : 0);
    if (length > longest) longest = length;
    if (s->n_bounds) n++;
    if (s->has_fit) n++;
  }
  if (job->n_bound) n++;
  size_t columns = job->term == TERM_DUMB ? 90 / (longest + 10) : 900 / (7 * longest + 90);
  if (columns < 1) columns = 1;
  size_t rows = (n + columns - 1) / columns;
  switch (job->term) {
  case TERM_PNG:
    fprintf(f, "set terminal pngcairo size 960,%zu font ',11'\n", 540 + 18 * rows);
    break;
  case TERM_SVG:
    fprintf(f, "set terminal svg size 960,%zu dynamic font 'sans,11' background rgb 'white'\n",
            540 + 18 * rows);
    break;
  case TERM_PDF:
    fprintf(f, "set terminal pdfcairo size 6in,%.2fin font ',10'\n", 3.4 + 0.17 * (double)rows);
    break;
  case TERM_DUMB:
    fprintf(f, "set terminal dumb size 100,%zu\n", 30 + rows);
    break;
  }
  /* Labels may hold '_' and '^', which enhanced text would typeset. */
  fputs("set termoption noenhanced\n", f);
  if (job->image) {
    fputs("if (!exists(\"tabrl_output\")) tabrl_output = ", f);
    put_quoted(f, job->image);
    fputs("\nset output tabrl_output\n", f);
  }
  if (job->title) {
    fputs("set title ", f);
    put_quoted(f, job->title);
    fputc('\n', f);
  }
  fputs("set xlabel ", f);
  put_quoted(f, sweep ? opt->x_key : "episode");
  fputs("\nset ylabel ", f);
  if (sweep) {
    char label[128];
    snprintf(label, sizeof label, "%s at the last checkpoint (95%% CI)", what);
    put_quoted(f, label);
  } else {
    char label[128];
    snprintf(label, sizeof label, "%s (mean, 95%% CI)", what);
    put_quoted(f, label);
  }
  /* The key below the frame: inside it would hide whichever curves pass
   * under it, and beside it long sweep titles would squeeze the plot. */
  fprintf(f, "\nset key below Left reverse maxcols %zu\n", columns);
  fputs("set grid\n", f);
  /* Room around the outermost points, whose error bars would sit on the frame. */
  if (sweep) fputs("set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n", f);
  if (opt->logx) fputs("set logscale x\n", f);
  if (opt->logy) fputs("set logscale y\n", f);
  if (job->n_bound) {
    /* The bound is usually orders of magnitude above the curves: keep the
     * axis on the data and say in the figure where the bound is. */
    double top = job->bound_y[job->n_bound - 1], lo = job->ymin, hi = job->ymax;
    double low = job->bound_y[0];
    for (size_t k = 0; k < job->n_bound; k++)
      if (job->bound_y[k] < low) low = job->bound_y[k];
    if (top > hi) {
      if (opt->logy)
        fprintf(f, "set yrange [%.17g:%.17g]\n", lo / 1.2, hi * 1.2);
      else
        fprintf(f, "set yrange [%.17g:%.17g]\n", lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
      char value[48], at[48], label[160];
      format_big(value, sizeof value, top);
      format_count(at, sizeof at, job->bound_x[job->n_bound - 1]);
      snprintf(label, sizeof label, "%s %s: %s at K = %s", job->bound_title,
               low > hi ? "above the plot" : "leaves the plot", value, at);
      fputs("set label 1 ", f);
      put_quoted(f, label);
      fputs(" at graph 0.02, graph 0.95 front\n", f);
    }
  }
  /* Every band before any line, so that no band hides another series'
   * line; a series' band and line share its colour. */
  fputs("plot", f);
  const char *sep = " ";
  for (size_t i = 0; i < job->lines->n && !sweep && job->term != TERM_DUMB; i++) {
    fprintf(f, "%s$s%zu using 1:3:4 with filledcurves fs transparent solid 0.2 noborder ", sep,
            i + 1);
    fprintf(f, "lc rgb '%s' notitle", palette[i % PALETTE_SIZE]);
    sep = ", \\\n    ";
  }
  for (size_t i = 0; i < job->lines->n; i++) {
    if (sweep)
      fprintf(f, "%s$s%zu using 1:2:3:4 with yerrorlines lw 2 pt 7 ", sep, i + 1);
    else
      fprintf(f, "%s$s%zu using 1:2 with lines lw 2 ", sep, i + 1);
    /* The dumb terminal tells series apart by their linetype's character. */
    if (job->term == TERM_DUMB)
      fprintf(f, "lt %zu", i + 1);
    else
      put_style(f, i);
    fputs(" title ", f);
    const series *s = &job->lines->items[i];
    if (s->has_fit && s->fit.has_slope) {
      char suffix[48];
      snprintf(suffix, sizeof suffix, ": slope %.2f", s->fit.slope);
      put_quoted_with(f, s->title, suffix);
    } else if (s->has_fit)
      put_quoted_with(f, s->title, ": slope n/a");
    else
      put_quoted(f, s->title);
    sep = ", \\\n    ";
    put_bound(f, job, i);
    if (s->has_fit) {
      char title[1200];
      fit_title(title, sizeof title, s, opt->fit);
      put_dashed(f, job, 'f', i);
      put_quoted(f, title);
    }
  }
  if (job->n_bound) {
    fprintf(f, ", \\\n    $bound using 1:2 with lines lw 2 %s title ",
            job->term == TERM_DUMB ? "lt 0" : "lc rgb '#000000' dt 3");
    put_quoted(f, job->bound_title);
  }
  fputc('\n', f);
  return TABRL_OK;
}

/* ---- fits and bounds ---- */

/* Each curve's fit (opt->fit), told to opt->on_fit. */
static int add_fits(series_list *lines, const tabrl_plot_options *opt)
{
  if (!opt->fit) return TABRL_OK;
  for (size_t i = 0; i < lines->n; i++) {
    series *s = &lines->items[i];
    double *K = malloc((s->n + 1) * sizeof *K), *y = malloc((s->n + 1) * sizeof *y);
    if (!K || !y) {
      free(K);
      free(y);
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < s->n; k++) {
      K[k] = s->points[k].x;
      y[k] = s->points[k].mean;
    }
    int status = tabrl_fit_curve(K, y, s->n, opt->fit, &s->fit);
    if (!status) {
      s->has_fit = 1;
      if (opt->on_fit) opt->on_fit(s->title, opt->fit, &s->fit, K, opt->fit_ctx);
    }
    free(K);
    free(y);
    if (status) return tabrl_error(status, "%s: cannot fit: %s", s->title, tabrl_error_message());
  }
  return TABRL_OK;
}

/* The bound at the checkpoints of the longest curve, and the data's y range. */
static int make_bound(const series_list *lines, const tabrl_plot_options *opt, script_job *job,
                      double **x, double **y)
{
  const series *longest = &lines->items[0];
  int first = 1, status;
  for (size_t i = 0; i < lines->n; i++) {
    const series *s = &lines->items[i];
    if (s->n > longest->n) longest = s;
    for (size_t k = 0; k < s->n; k++) {
      const double v[3] = {s->points[k].mean, s->points[k].lo, s->points[k].hi};
      for (int j = 0; j < 3; j++) {
        if (opt->logy && v[j] <= 0) continue;
        if (first || v[j] < job->ymin) job->ymin = v[j];
        if (first || v[j] > job->ymax) job->ymax = v[j];
        first = 0;
      }
    }
  }
  if (first) job->ymin = job->ymax = 1;
  if (job->ymax <= job->ymin) job->ymax = job->ymin + 1;
  if (!(*x = malloc((longest->n + 1) * sizeof **x)) ||
      !(*y = malloc((longest->n + 1) * sizeof **y)))
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t k = 0; k < longest->n; k++) {
    if (longest->points[k].x <= 0) continue;
    (*x)[job->n_bound] = longest->points[k].x;
    if ((status = tabrl_regret_bound(opt->bound_algo, opt->bound_problem, longest->points[k].x,
                                     &(*y)[job->n_bound], &job->bound_title)))
      return status;
    job->n_bound++;
  }
  job->bound_x = *x;
  job->bound_y = *y;
  return TABRL_OK;
}

/* ---- running gnuplot ---- */

/* Runs `gnuplot [-e tabrl_output='output'] script`; its standard error is
 * collected into the error message.  TABRL_EUNSUPPORTED if gnuplot is not on
 * PATH. */
static int run_gnuplot(const char *script, const char *output)
{
  posix_spawn_file_actions_t actions;
  char *assignment = NULL, *argv[5];
  char errors[512] = "";
  size_t got = 0;
  int pipe_fds[2], status = TABRL_OK, argc = 0, err, wait_status;
  pid_t pid;

  argv[argc++] = "gnuplot";
  if (output) {
    size_t size = 2 * strlen(output) + 32, k = 0;
    if (!(assignment = malloc(size))) return tabrl_error(TABRL_ENOMEM, "out of memory");
    k += (size_t)snprintf(assignment, size, "tabrl_output='");
    for (const char *p = output; *p; p++) {
      if (*p == '\'') assignment[k++] = '\'';
      assignment[k++] = *p;
    }
    strcpy(assignment + k, "'");
    argv[argc++] = "-e";
    argv[argc++] = assignment;
  }
  argv[argc++] = (char *)script;
  argv[argc] = NULL;

  if (pipe(pipe_fds)) {
    free(assignment);
    return tabrl_error(TABRL_EIO, "pipe: %s", strerror(errno));
  }
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  err = posix_spawnp(&pid, "gnuplot", &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  free(assignment);
  if (err) {
    close(pipe_fds[0]);
    if (err == ENOENT)
      return tabrl_error(TABRL_EUNSUPPORTED,
                         "gnuplot not found; the script is %s (install gnuplot-nox)", script);
    return tabrl_error(TABRL_EIO, "cannot run gnuplot: %s; the script is %s", strerror(err),
                       script);
  }
  /* Read to the end before waiting, so a chatty gnuplot cannot block on a
   * full pipe; keep the beginning, where the first error is. */
  for (;;) {
    char chunk[512];
    ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size_t keep = sizeof errors - 1 - got;
    if ((size_t)n < keep) keep = (size_t)n;
    memcpy(errors + got, chunk, keep);
    got += keep;
  }
  close(pipe_fds[0]);
  errors[got] = '\0';
  while (waitpid(pid, &wait_status, 0) < 0)
    if (errno != EINTR) return tabrl_error(TABRL_EIO, "waiting for gnuplot: %s", strerror(errno));
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    /* One line of context: gnuplot's last non-blank line names the error. */
    while (got && isspace((unsigned char)errors[got - 1])) errors[--got] = '\0';
    char *line = strrchr(errors, '\n');
    line = line ? line + 1 : errors;
    if (WIFEXITED(wait_status))
      status = tabrl_error(TABRL_EIO, "gnuplot failed (exit %d) on %s%s%s",
                           WEXITSTATUS(wait_status), script, *line ? ": " : "", line);
    else
      status = tabrl_error(TABRL_EIO, "gnuplot killed by signal %d on %s", WTERMSIG(wait_status),
                           script);
  }
  return status;
}

int tabrl_plot(const char *dir, const tabrl_plot_options *opt)
{
  summary_table t = {0};
  series_list lines = {0};
  tabrl_ini manifest = {0};
  char *image = NULL, *script = NULL, *manifest_path = NULL, *temporary = NULL;
  double *bound_x = NULL, *bound_y = NULL;
  int status, have_manifest = 0, value;
  terminal term;
  script_job job = {0};

  tabrl_init();
  if ((status = check_options(opt, &term))) return status;
  if ((status = tabrl_plot_paths(dir, opt, &image, &script))) return status;
  value = metric_index(opt);
  if ((status = read_summary(dir, &t))) goto done;
  if (!(manifest_path = tabrl_path_join(dir, "manifest.ini"))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  status = tabrl_ini_read(manifest_path, &manifest);
  if (status == TABRL_ENOTFOUND && !opt->x_key)
    status = TABRL_OK; /* a title is all the curves need from it */
  else if (!status)
    have_manifest = 1;
  if (status) goto done;
  if (opt->x_key)
    status = sweep_series(&t, &manifest, manifest_path, opt->x_key, value, &lines);
  else
    status = curve_series(&t, have_manifest ? &manifest : NULL, value, &lines);
  if (status) goto done;
  if (!lines.n) {
    status = tabrl_error(
        TABRL_EINVAL, "%s/summary.csv: %s", dir,
        !t.n                    ? "no rows to plot"
        : value == METRIC_VALUE ? "no value to plot (the algorithms report realized returns only)"
        : value == METRIC_VALUE_ERR
            ? "no value error to plot (no algorithm with a learned distribution)"
        : value == METRIC_QUERIES
            ? "no queries to plot (no algorithm of the online-preference protocol)"
        : value == METRIC_KL ? "no kl to plot (no algorithm of the offline-preference protocol)"
        : value == METRIC_COST || value == METRIC_VIOLATION
            ? "no cost to plot (the experiment sets no budget)"
        : value ? "no distance to plot (no algorithm with a learned distribution "
                  "on a model with an exact one)"
                : "nothing to plot");
    goto done;
  }

  if ((status = add_fits(&lines, opt))) goto done;
  job = (script_job){&lines, opt, term, image, NULL, dir, script, 0, NULL, NULL, 0, NULL, 0, 0};
  if (opt->bound_algo && (status = make_bound(&lines, opt, &job, &bound_x, &bound_y))) goto done;
  if (have_manifest) job.title = tabrl_ini_get(&manifest, "experiment", "name");
  /* Without a figure the script is the result: its directory is synced
   * now; with one, once after the figure's rename. */
  if ((status = tabrl_write_atomic_sync(script, write_script, &job,
                                        TABRL_SYNC_FILE | (image ? 0 : TABRL_SYNC_DIR))))
    goto done;

  if (image) {
    size_t size = strlen(image) + 32;
    if (!(temporary = malloc(size))) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto done;
    }
    snprintf(temporary, size, "%s.tmp.%ld", image, (long)getpid());
  }
  if (!(status = run_gnuplot(script, temporary)) && temporary) {
    struct stat st;
    if (stat(temporary, &st) || st.st_size == 0)
      status = tabrl_error(TABRL_EIO, "gnuplot wrote no %s (the script is %s)", image, script);
    else
      status = tabrl_rename_durable(temporary, image);
  }
  if (status && temporary) unlink(temporary);
  /* No figure: the script, what is left to draw it, is made durable. */
  if (status && image) tabrl_fsync_parent(script);
done:
  summary_free(&t);
  series_free(&lines);
  tabrl_ini_free(&manifest);
  free(image);
  free(script);
  free(manifest_path);
  free(temporary);
  free(bound_x);
  free(bound_y);
  return status;
}
