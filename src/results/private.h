/* Private helpers shared by results.c and plot.c: the
 * manifest (a small ordered INI document) and comma lists. */
#ifndef TABRL_RESULTS_PRIVATE_H
#define TABRL_RESULTS_PRIVATE_H

#include <stddef.h>
#include <stdio.h>
#include "model/fileio.h"

/* An INI document kept in file order, empty sections included, so that a
 * manifest can be rewritten faithfully.  Keys before any section belong to
 * section "". */
typedef struct {
  char *section, *key, *value; /* key NULL: the section header itself */
} tabrl_ini_item;

typedef struct {
  tabrl_ini_item *items;
  size_t n, cap;
} tabrl_ini;

/* Reads path.  TABRL_ENOTFOUND if it does not exist, TABRL_EINVAL
 * "path:LINE: ..." for a line that is neither blank, a comment ('#' or ';'
 * first), "[section]" nor "key = value". */
int tabrl_ini_read(const char *path, tabrl_ini *ini);
/* The value of key in section, NULL if absent (the last one if repeated). */
const char *tabrl_ini_get(const tabrl_ini *ini, const char *section, const char *key);
int tabrl_ini_write(const tabrl_ini *ini, const char *path);
/* Appends an item (key NULL: a section header). */
int tabrl_ini_add(tabrl_ini *ini, const char *section, const char *key, const char *value);
void tabrl_ini_free(tabrl_ini *ini);

/* Splits a comma list into trimmed malloc'ed items (empty text: 0 items).
 * Free with tabrl_list_free. */
int tabrl_list_split(const char *text, char ***items, size_t *n);
void tabrl_list_free(char **items, size_t n);

#endif
