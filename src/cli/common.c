/* Helpers shared by the subcommands: --set lists and building an env. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/results.h"
#include "tabrl/schema.h"

int cli_settings_add(cli_settings *s, const char *arg, const char *source)
{
  static char empty[] = "";
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) {
    cli_error("%s %s: expected key=value", source, arg);
    return CLI_USAGE;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    tabrl_setting *items = realloc(s->items, cap * sizeof *items);
    if (!items) {
      cli_error("out of memory");
      return CLI_FAIL;
    }
    s->items = items;
    s->cap = cap;
  }
  /* The key is the text before '='; keep argv intact by copying it. */
  char *key = malloc((size_t)(eq - arg) + 1);
  if (!key) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  memcpy(key, arg, (size_t)(eq - arg));
  key[eq - arg] = '\0';
  s->items[s->n++] = (tabrl_setting){key, eq[1] ? eq + 1 : empty, source, 0};
  /* key is owned by s (freed in cli_settings_free). */
  // cppcheck-suppress memleak
  return CLI_OK;
}

void cli_settings_free(cli_settings *s)
{
  for (size_t i = 0; i < s->n; i++) free((char *)s->items[i].key);
  free(s->items);
  s->items = NULL;
  s->n = s->cap = 0;
}

int cli_build_env(const char *name, const cli_settings *settings, const char *horizon,
                  const char *gamma, tabrl_mdp **out)
{
  size_t n = settings->n;
  tabrl_setting *all = malloc((n + 2) * sizeof *all);
  int status;
  if (!all) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  if (n) memcpy(all, settings->items, n * sizeof *all);
  if (horizon) all[n++] = (tabrl_setting){"horizon", horizon, "--horizon", 0};
  if (gamma) all[n++] = (tabrl_setting){"gamma", gamma, "--gamma", 0};
  status = tabrl_env_build(name, all, n, out);
  free(all);
  if (status) {
    /* Everything that can go wrong here comes from the user's input
     * (including an unreadable model file), except running out of memory. */
    cli_error("%s", tabrl_error_message());
    return status == TABRL_ENOMEM ? CLI_FAIL : CLI_USAGE;
  }
  return CLI_OK;
}

int cli_objective(const char *text, tabrl_objective *out)
{
  int status = tabrl_objective_parse(text, out);
  if (status) cli_error("--objective %s: %s", text, tabrl_error_message());
  return status ? cli_status(status) : CLI_OK;
}

/* One (algo, config) series of summary.csv: its checkpoints and the
 * fields of its last row. */
struct series {
  char algo[128], config[64], line[1024];
  char *last[TABRL_SUMMARY_COLUMNS];
  double *episode, *regret;
  size_t n, cap;
};

/* Least-squares slope of log(cum_regret) on log(episode) over the
 * checkpoints of the last decade (episode >= last / 10) with positive
 * regret, as `tabrl plot --fit` draws it; NAN with fewer than 3 such
 * points. */
static double loglog_slope(const struct series *x)
{
  tabrl_fit fit;
  if (tabrl_fit_curve(x->episode, x->regret, x->n, TABRL_FIT_LINEAR, &fit) || fit.widened ||
      !fit.has_slope || fit.n_slope < 3)
    return NAN;
  return fit.slope;
}

/* The [config LABEL] sections of a manifest: each label with the values it
 * sets, "k=v k=v", which is what the table shows for a config. */
struct config_names {
  char **label, **name;
  size_t n, cap;
  int width, algo_width; /* of the config and algo columns */
};

static void config_names_free(struct config_names *c)
{
  for (size_t i = 0; i < c->n; i++) {
    free(c->label[i]);
    free(c->name[i]);
  }
  free(c->label);
  free(c->name);
}

static char *trim(char *text)
{
  while (*text == ' ' || *text == '\t') text++;
  size_t n = strlen(text);
  while (n && strchr(" \t\r\n", text[n - 1])) text[--n] = '\0';
  return text;
}

/* Appends "key=value" to the last config; 0 when out of memory. */
static int config_names_add(struct config_names *c, const char *key, const char *value)
{
  char *old = c->name[c->n - 1];
  size_t size = strlen(old) + strlen(key) + strlen(value) + 3;
  char *name = malloc(size);
  if (!name) return 0;
  snprintf(name, size, "%s%s%s=%s", old, *old ? " " : "", key, value);
  free(old);
  c->name[c->n - 1] = name;
  return 1;
}

/* Reads DIR/manifest.ini, written by tabrl: "[section]" and "key = value"
 * lines.  Without one (or out of memory) the table shows the labels. */
static void config_names_read(const char *dir, struct config_names *c)
{
  char path[4200], *line = NULL;
  size_t size = 0;
  int in_config = 0, ok = 1;
  memset(c, 0, sizeof *c);
  c->width = 8;
  c->algo_width = 16;
  snprintf(path, sizeof path, "%s/manifest.ini", dir);
  FILE *f = fopen(path, "r");
  if (!f) return;
  while (ok && getline(&line, &size, f) >= 0) {
    char *text = trim(line), *eq;
    if (*text == '[') {
      size_t n = strlen(text);
      in_config = !strncmp(text, "[config ", 8) && text[n - 1] == ']';
      if (!strncmp(text, "[algo ", 6) && (int)n - 7 > c->algo_width) c->algo_width = (int)n - 7;
      if (!in_config) continue;
      text[n - 1] = '\0';
      if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        char **label = realloc(c->label, cap * sizeof *label);
        if (label) c->label = label;
        char **name = label ? realloc(c->name, cap * sizeof *name) : NULL;
        if (!name) break;
        c->name = name;
        c->cap = cap;
      }
      c->label[c->n] = strdup(trim(text + 8));
      c->name[c->n] = strdup("");
      ok = c->label[c->n] && c->name[c->n];
      c->n++;
    } else if (in_config && (eq = strchr(text, '=')) && *text != ';' && *text != '#') {
      *eq = '\0';
      ok = config_names_add(c, trim(text), trim(eq + 1));
    }
  }
  free(line);
  fclose(f);
  if (!ok) {
    config_names_free(c);
    memset(c, 0, sizeof *c);
    c->width = 8;
    c->algo_width = 16;
    return;
  }
  for (size_t i = 0; i < c->n; i++)
    if ((int)strlen(c->name[i]) > c->width) c->width = (int)strlen(c->name[i]);
}

static const char *config_name(const struct config_names *c, const char *label)
{
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->label[i], label) && *c->name[i]) return c->name[i];
  return label;
}

static void print_series(const struct series *x, const struct config_names *names)
{
  char *const *field = x->last;
  char value[32] = "-", slope[32] = "-";
  if (*field[TABRL_SUMMARY_VALUE_MEAN])
    snprintf(value, sizeof value, "%.6g", atof(field[TABRL_SUMMARY_VALUE_MEAN]));
  double b = loglog_slope(x);
  if (!isnan(b)) snprintf(slope, sizeof slope, "%.2f", b);
  printf("%-*s %-*s %10s %4s %12.4g [%.4g, %.4g] %12s %6s\n", names->algo_width,
         field[TABRL_SUMMARY_ALGO], names->width, config_name(names, field[TABRL_SUMMARY_CONFIG]),
         field[TABRL_SUMMARY_EPISODE], field[TABRL_SUMMARY_N],
         atof(field[TABRL_SUMMARY_CUM_REGRET_MEAN]), atof(field[TABRL_SUMMARY_CUM_REGRET_LO]),
         atof(field[TABRL_SUMMARY_CUM_REGRET_HI]), value, slope);
}

void cli_print_summary(const char *dir)
{
  char path[4200], line[1024];
  struct series x = {0};
  size_t lineno = 1;
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f || !fgets(line, sizeof line, f)) {
    if (f) fclose(f);
    return;
  }
  struct config_names names;
  config_names_read(dir, &names);
  printf("%-*s %-*s %10s %4s %28s %12s %6s\n", names.algo_width, "algo", names.width, "config",
         "episode", "n", "cum_regret mean [95% CI]", "value mean", "slope");
  while (fgets(line, sizeof line, f)) {
    char *field[TABRL_SUMMARY_COLUMNS];
    lineno++;
    line[strcspn(line, "\n")] = '\0';
    /* The file was just written by tabrl: a line that does not parse means
     * it was changed by hand; say so rather than print a partial table. */
    size_t n = tabrl_schema_split(line, field, TABRL_SUMMARY_COLUMNS);
    if (n != TABRL_SUMMARY_COLUMNS) {
      fprintf(stderr, "tabrl: warning: %s:%zu: %zu fields, expected %d; table stopped\n", path,
              lineno, n, TABRL_SUMMARY_COLUMNS);
      break;
    }
    const char *algo = field[TABRL_SUMMARY_ALGO], *config = field[TABRL_SUMMARY_CONFIG];
    if (x.n && (strcmp(algo, x.algo) || strcmp(config, x.config))) {
      print_series(&x, &names);
      x.n = 0;
    }
    if (x.n == x.cap) {
      size_t cap = x.cap ? 2 * x.cap : 64;
      double *e = realloc(x.episode, cap * sizeof *e),
             *r = e ? realloc(x.regret, cap * sizeof *r) : NULL;
      if (e) x.episode = e;
      if (!e || !r) break;
      x.regret = r;
      x.cap = cap;
    }
    snprintf(x.algo, sizeof x.algo, "%s", algo);
    snprintf(x.config, sizeof x.config, "%s", config);
    x.episode[x.n] = atof(field[TABRL_SUMMARY_EPISODE]);
    x.regret[x.n++] = atof(field[TABRL_SUMMARY_CUM_REGRET_MEAN]);
    /* keep the last row's fields: copy the split line */
    memcpy(x.line, line, sizeof line);
    for (int i = 0; i < TABRL_SUMMARY_COLUMNS; i++) x.last[i] = x.line + (field[i] - line);
  }
  if (x.n) print_series(&x, &names);
  free(x.episode);
  free(x.regret);
  config_names_free(&names);
  fclose(f);
}

void cli_json_string(FILE *f, const char *s)
{
  putc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == '<' || c == '>' || c == '&')
      fprintf(f, "\\u%04x", c);
    else
      putc(c, f);
  }
  putc('"', f);
}
