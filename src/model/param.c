/* Parameter tables and validated values; see tabrl/param.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/param.h"

struct tabrl_values {
  const tabrl_param *table;
  size_t n;
  char **text;    /* NULL when unset */
  double *number; /* parsed INT, DOUBLE, BOOL (0/1), CHOICE (index) */
  int *is_explicit;
};

const char *tabrl_param_kind_name(tabrl_param_kind k)
{
  static const char *const names[] = {"int", "double", "bool", "choice", "string"};
  return (unsigned)k < 5 ? names[k] : "?";
}

static size_t edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
  if (lb >= 63) return (size_t)-1;
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t sub =
          prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
  }
  return prev[lb];
}

const char *tabrl_closest(const char *word, const char *const *candidates, size_t n)
{
  const char *best = NULL;
  size_t best_d = (size_t)-1, len = strlen(word);
  size_t limit = len / 3 > 2 ? len / 3 : 2;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(word, candidates[i]);
    /* A prefix ("state" for "states") is as good as a close spelling. */
    if (len >= 3 && strncmp(candidates[i], word, len) == 0) d = 1;
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best_d <= limit ? best : NULL;
}

/* Parses "[lo,hi]" style ranges. */
static int parse_range(const char *range, double *lo, double *hi, int *lo_open, int *hi_open)
{
  char buf[64], *comma, *end;
  size_t len;
  if (!range) return 0;
  len = strlen(range);
  if (len < 5 || len >= sizeof buf) return 0;
  memcpy(buf, range, len + 1);
  *lo_open = buf[0] == '(';
  *hi_open = buf[len - 1] == ')';
  buf[len - 1] = '\0';
  comma = strchr(buf, ',');
  if (!comma) return 0;
  *comma = '\0';
  *lo = strcmp(buf + 1, "-inf") == 0 ? -INFINITY : strtod(buf + 1, &end);
  *hi = strcmp(comma + 1, "inf") == 0 ? INFINITY : strtod(comma + 1, &end);
  return 1;
}

static int choice_index(const char *range, const char *text)
{
  size_t len = strlen(text);
  int index = 0;
  for (const char *p = range; p && *p; index++) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == len && strncmp(p, text, n) == 0) return index;
    p = bar ? bar + 1 : NULL;
  }
  return -1;
}

int tabrl_param_parse(const tabrl_param *p, const char *text, double *number)
{
  char *end;
  double lo, hi;
  int lo_open, hi_open;
  errno = 0;
  switch (p->kind) {
  case TABRL_INT: {
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno)
      return tabrl_error(TABRL_EINVAL, "'%s' is not an integer", text);
    *number = (double)v;
    break;
  }
  case TABRL_DOUBLE:
    *number = strtod(text, &end);
    if (end == text || *end != '\0' || errno || isnan(*number))
      return tabrl_error(TABRL_EINVAL, "'%s' is not a number", text);
    break;
  case TABRL_BOOL:
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes"))
      *number = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no"))
      *number = 0;
    else
      return tabrl_error(TABRL_EINVAL, "'%s' is not a boolean (true or false)", text);
    return 0;
  case TABRL_CHOICE: {
    int i = choice_index(p->range, text);
    if (i < 0) return tabrl_error(TABRL_EINVAL, "'%s' is not one of %s", text, p->range);
    *number = i;
    return 0;
  }
  case TABRL_STRING:
  default:
    *number = 0;
    return 0;
  }
  if (parse_range(p->range, &lo, &hi, &lo_open, &hi_open)) {
    if (*number < lo || (lo_open && *number == lo) || *number > hi || (hi_open && *number == hi))
      return tabrl_error(TABRL_EINVAL, "%s is out of range %s", text, p->range);
  }
  return 0;
}

void tabrl_values_free(tabrl_values *v)
{
  if (!v) return;
  for (size_t i = 0; i < v->n; i++) free(v->text[i]);
  free(v->text);
  free(v->number);
  free(v->is_explicit);
  free(v);
}

static int set_text(tabrl_values *v, size_t i, const char *text)
{
  char *copy = malloc(strlen(text) + 1);
  if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
  strcpy(copy, text);
  free(v->text[i]);
  v->text[i] = copy;
  return 0;
}

static void where(char *buf, size_t size, const tabrl_setting *s)
{
  if (s->line > 0)
    snprintf(buf, size, "%s:%d: ", s->file, s->line);
  else if (s->file)
    snprintf(buf, size, "%s %s=%s: ", s->file, s->key, s->value);
  else
    buf[0] = '\0';
}

int tabrl_values_resolve(const tabrl_param *table, const char *owner, const tabrl_setting *settings,
                         size_t n, int allow_override, tabrl_values **out)
{
  tabrl_values *v = calloc(1, sizeof *v);
  const char **names = NULL;
  const tabrl_setting **seen = NULL;
  char at[512];
  int status = 0;

  *out = NULL;
  if (!v) return tabrl_error(TABRL_ENOMEM, "out of memory");
  v->table = table;
  while (table[v->n].name) v->n++;
  v->text = calloc(v->n + 1, sizeof *v->text);
  v->number = calloc(v->n + 1, sizeof *v->number);
  v->is_explicit = calloc(v->n + 1, sizeof *v->is_explicit);
  names = calloc(v->n + 1, sizeof *names);
  seen = calloc(v->n + 1, sizeof *seen);
  if (!v->text || !v->number || !v->is_explicit || !names || !seen) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < v->n; i++) names[i] = table[i].name;

  for (size_t k = 0; k < n; k++) {
    const tabrl_setting *s = &settings[k];
    size_t i;
    where(at, sizeof at, s);
    for (i = 0; i < v->n; i++)
      if (!strcmp(table[i].name, s->key)) break;
    if (i == v->n) {
      const char *near = tabrl_closest(s->key, names, v->n);
      status = near ? tabrl_error(TABRL_ENOTFOUND, "%sunknown key '%s' in %s; did you mean '%s'?",
                                  at, s->key, owner, near)
                    : tabrl_error(TABRL_ENOTFOUND, "%sunknown key '%s' in %s (see tabrl describe)",
                                  at, s->key, owner);
      goto done;
    }
    if (seen[i] && !allow_override) {
      status = tabrl_error(TABRL_EINVAL, "%skey '%s' in %s is already set at line %d", at, s->key,
                           owner, seen[i]->line);
      goto done;
    }
    if ((status = tabrl_param_parse(&table[i], s->value, &v->number[i]))) {
      tabrl_error_prefix("%s%s key '%s'", at, owner, s->key);
      goto done;
    }
    if ((status = set_text(v, i, s->value))) goto done;
    v->is_explicit[i] = 1;
    seen[i] = s;
  }
  for (size_t i = 0; i < v->n; i++) {
    if (v->is_explicit[i]) continue;
    if (!table[i].def) {
      status = tabrl_error(TABRL_EINVAL, "%s needs a value for '%s' (%s)", owner, table[i].name,
                           table[i].doc);
      goto done;
    }
    if (!table[i].def[0]) continue;
    if ((status = tabrl_param_parse(&table[i], table[i].def, &v->number[i]))) {
      tabrl_error_prefix("default of %s key '%s'", owner, table[i].name);
      goto done;
    }
    if ((status = set_text(v, i, table[i].def))) goto done;
  }
done:
  free(names);
  free(seen);
  if (status)
    tabrl_values_free(v);
  else
    *out = v;
  return status;
}

static long find(const tabrl_values *v, const char *name)
{
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->table[i].name, name)) return (long)i;
  return -1;
}

long tabrl_values_int(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i < 0 ? 0 : (long)v->number[i];
}

double tabrl_values_double(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i < 0 ? 0.0 : v->number[i];
}

int tabrl_values_bool(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i < 0 ? 0 : v->number[i] != 0;
}

int tabrl_values_choice(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i < 0 ? -1 : (int)v->number[i];
}

const char *tabrl_values_string(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i < 0 ? NULL : v->text[i];
}

int tabrl_values_has(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i >= 0 && v->text[i] != NULL;
}

int tabrl_values_explicit(const tabrl_values *v, const char *name)
{
  long i = find(v, name);
  return i >= 0 && v->is_explicit[i];
}

size_t tabrl_values_count(const tabrl_values *v)
{
  return v->n;
}

const char *tabrl_values_name(const tabrl_values *v, size_t i)
{
  return v->table[i].name;
}

const char *tabrl_values_text(const tabrl_values *v, size_t i)
{
  return v->text[i];
}

int tabrl_error_unknown(const char *kind, const char *plural, const char *name,
                        const char *const *candidates, size_t n)
{
  char list[1024] = "";
  const char *near = tabrl_closest(name, candidates, n);
  if (near)
    return tabrl_error(TABRL_ENOTFOUND, "unknown %s '%s'; did you mean '%s'?", kind, name, near);
  for (size_t i = 0; i < n; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", candidates[i]);
  return tabrl_error(TABRL_ENOTFOUND, "unknown %s '%s'; the %s are: %s", kind, name, plural, list);
}
