/* The manifest as an ordered INI document, and comma lists; see
 * results_private.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "results/private.h"
#include "tabrl/error.h"

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

int tabrl_ini_add(tabrl_ini *ini, const char *section, const char *key, const char *value)
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
      status = tabrl_ini_add(ini, section, NULL, NULL);
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
      status = tabrl_ini_add(ini, section, key, value);
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
