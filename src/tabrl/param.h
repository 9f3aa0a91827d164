/* tabrl/param.h: parameter tables and validated parameter values.
 *
 * Every env and algorithm declares its parameters in a table; the CLI
 * (--set), the experiment files and `tabrl describe` are all driven from it,
 * so a parameter is named, typed, ranged and documented in one place. */
#ifndef TABRL_PARAM_H
#define TABRL_PARAM_H

#include <stddef.h>

#pragma GCC visibility push(default)

typedef enum { TABRL_INT, TABRL_DOUBLE, TABRL_BOOL, TABRL_CHOICE, TABRL_STRING } tabrl_param_kind;

/* One parameter.  def: the default as text; NULL = required; "" = optional
 * with no value unless set.  range: "[lo,hi]", "(lo,hi)", mixed brackets, "inf"
 * allowed, for INT and DOUBLE; "a|b|c" for CHOICE; NULL otherwise. */
typedef struct {
  const char *name;
  tabrl_param_kind kind;
  const char *def;
  const char *range;
  const char *doc;
} tabrl_param;

/* A key = value as the user wrote it, with where it was written: file and
 * line for experiment files, file = "--set" (line 0) on the command line. */
typedef struct {
  const char *key;
  const char *value;
  const char *file;
  int line;
} tabrl_setting;

typedef struct tabrl_values tabrl_values;

/* Checks settings against table and fills in defaults.  owner names the
 * section in messages ("env riverswim").  Errors: unknown key (with the
 * closest valid name), bad type, out of range, missing required key, a key
 * set twice (the later setting wins when allow_override, as for --set after
 * a file). */
int tabrl_values_resolve(const tabrl_param *table, const char *owner, const tabrl_setting *settings,
                         size_t n, int allow_override, tabrl_values **out);
void tabrl_values_free(tabrl_values *v);

/* Typed reads; name must be in the table (programming error otherwise:
 * returns 0 / NULL). */
long tabrl_values_int(const tabrl_values *v, const char *name);
double tabrl_values_double(const tabrl_values *v, const char *name);
int tabrl_values_bool(const tabrl_values *v, const char *name);
const char *tabrl_values_string(const tabrl_values *v, const char *name); /* NULL if unset */
int tabrl_values_choice(const tabrl_values *v, const char *name);         /* index in range list */
int tabrl_values_has(const tabrl_values *v, const char *name);            /* has a value */
int tabrl_values_explicit(const tabrl_values *v, const char *name);       /* set by the user */

/* Iteration in table order, e.g. for manifests: NULL text when unset. */
size_t tabrl_values_count(const tabrl_values *v);
const char *tabrl_values_name(const tabrl_values *v, size_t i);
const char *tabrl_values_text(const tabrl_values *v, size_t i);

/* Parses one value of a parameter (used by resolve; exposed for sweeps). */
int tabrl_param_parse(const tabrl_param *p, const char *text, double *number);

/* "int", "double", ... */
const char *tabrl_param_kind_name(tabrl_param_kind k);

/* Closest candidate by edit distance, or NULL if none is close enough to
 * suggest (distance <= max(2, len/3)). */
const char *tabrl_closest(const char *word, const char *const *candidates, size_t n);

/* The message of a registry lookup that failed, one for every registry:
 * "unknown KIND 'name'; did you mean 'x'?" when a candidate is close, else
 * "unknown KIND 'name'; the PLURAL are: a, b, c".  Returns TABRL_ENOTFOUND. */
int tabrl_error_unknown(const char *kind, const char *plural, const char *name,
                        const char *const *candidates, size_t n);

#pragma GCC visibility pop

#endif
