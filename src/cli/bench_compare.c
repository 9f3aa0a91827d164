/* `tabrl bench --compare OLD NEW`: reads two files of bench_record_write
 * back and prints the ratio of every figure.  The reader takes any JSON
 * (RFC 8259) and keeps only "figures", so a file with more keys from a
 * later version still compares. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/bench_record.h"
#include "cli/cli.h"

typedef struct {
  char name[96], unit[16];
  int higher;
  double value;
} figure;

typedef struct {
  const char *path, *p;
  int line;
  char error[128];
  char date[32];
  double load; /* the 1-minute average, NAN if the file has none */
  int quick;   /* written by `tabrl bench --quick` */
  figure *figures;
  size_t n, cap;
} reader;

static int fail(reader *r, const char *what)
{
  if (!r->error[0]) snprintf(r->error, sizeof r->error, "%s:%d: %s", r->path, r->line, what);
  return -1;
}

static void skip_space(reader *r)
{
  for (; *r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'; r->p++)
    if (*r->p == '\n') r->line++;
}

static int expect(reader *r, char c)
{
  skip_space(r);
  if (*r->p != c) {
    char what[32];
    snprintf(what, sizeof what, "expected '%c'", c);
    return fail(r, what);
  }
  r->p++;
  return 0;
}

/* A string into out (NULL: skipped); escapes other than \" and \\ are kept
 * as written: ids never hold them. */
static int string(reader *r, char *out, size_t size)
{
  size_t n = 0;
  if (expect(r, '"')) return -1;
  for (; *r->p != '"'; r->p++) {
    if (!*r->p || *r->p == '\n') return fail(r, "unterminated string");
    if (*r->p == '\\' && (r->p[1] == '"' || r->p[1] == '\\')) r->p++;
    if (out && n + 1 >= size) return fail(r, "string too long");
    if (out) out[n++] = *r->p;
  }
  r->p++;
  if (out) out[n] = '\0';
  return 0;
}

static int number(reader *r, double *x)
{
  skip_space(r);
  char *end;
  errno = 0;
  *x = strtod(r->p, &end);
  if (end == r->p || !strchr("-0123456789", *r->p)) return fail(r, "expected a number");
  if (errno == ERANGE || !isfinite(*x)) return fail(r, "number out of range");
  r->p = end;
  return 0;
}

static int value(reader *r, int depth);

/* Calls member(r, key, ctx) for each key of an object, or skips values. */
static int object(reader *r, int depth, int (*member)(reader *, const char *, void *), void *ctx)
{
  char key[64];
  if (expect(r, '{')) return -1;
  skip_space(r);
  if (*r->p == '}') return r->p++, 0;
  do {
    if (string(r, key, sizeof key) || expect(r, ':')) return -1;
    if (member ? member(r, key, ctx) : value(r, depth + 1)) return -1;
    skip_space(r);
  } while (*r->p == ',' && r->p++);
  return expect(r, '}');
}

static int value(reader *r, int depth)
{
  double x;
  if (depth > 32) return fail(r, "nested too deep");
  skip_space(r);
  switch (*r->p) {
  case '{':
    return object(r, depth, NULL, NULL);
  case '[':
    r->p++;
    skip_space(r);
    if (*r->p == ']') return r->p++, 0;
    do
      if (value(r, depth + 1)) return -1;
    while (skip_space(r), *r->p == ',' && r->p++);
    return expect(r, ']');
  case '"':
    return string(r, NULL, 0);
  }
  for (const char *const *w = (const char *const[]){"true", "false", "null", NULL}; *w; w++)
    if (!strncmp(r->p, *w, strlen(*w))) return r->p += strlen(*w), 0;
  return number(r, &x);
}

enum { HAS_NAME = 1, HAS_VALUE = 2, HAS_UNIT = 4, HAS_BETTER = 8 };

static int figure_member(reader *r, const char *key, void *ctx)
{
  figure *f = &r->figures[r->n];
  int *seen = ctx;
  char better[16];
  if (!strcmp(key, "name")) {
    *seen |= HAS_NAME;
    return string(r, f->name, sizeof f->name);
  }
  if (!strcmp(key, "value")) {
    *seen |= HAS_VALUE;
    return number(r, &f->value);
  }
  if (!strcmp(key, "unit")) {
    *seen |= HAS_UNIT;
    return string(r, f->unit, sizeof f->unit);
  }
  if (!strcmp(key, "better")) {
    *seen |= HAS_BETTER;
    if (string(r, better, sizeof better)) return -1;
    if (strcmp(better, "lower") && strcmp(better, "higher"))
      return fail(r, "\"better\" is neither \"lower\" nor \"higher\"");
    f->higher = !strcmp(better, "higher");
    return 0;
  }
  return value(r, 3);
}

static int top_member(reader *r, const char *key, void *ctx)
{
  (void)ctx;
  skip_space(r);
  if (!strcmp(key, "date") && *r->p == '"') return string(r, r->date, sizeof r->date);
  if (!strcmp(key, "load") && *r->p == '[') {
    r->p++;
    return number(r, &r->load) || expect(r, ',') || value(r, 1) || expect(r, ',') || value(r, 1) ||
           expect(r, ']');
  }
  if (!strcmp(key, "quick") && !strncmp(r->p, "true", 4)) r->quick = 1;
  if (strcmp(key, "figures")) return value(r, 1);
  if (expect(r, '[')) return -1;
  skip_space(r);
  if (*r->p == ']') return r->p++, 0;
  do {
    if (r->n == r->cap) {
      size_t cap = r->cap ? 2 * r->cap : 64;
      figure *grown = realloc(r->figures, cap * sizeof *grown);
      if (!grown) return fail(r, "out of memory");
      r->figures = grown;
      r->cap = cap;
    }
    int seen = 0;
    if (object(r, 2, figure_member, &seen)) return -1;
    if (seen != (HAS_NAME | HAS_VALUE | HAS_UNIT | HAS_BETTER))
      return fail(r, "a figure lacks one of name, value, unit, better");
    for (size_t i = 0; i < r->n; i++)
      if (!strcmp(r->figures[i].name, r->figures[r->n].name))
        return fail(r, "a figure name appears twice");
    r->n++;
    skip_space(r);
  } while (*r->p == ',' && r->p++);
  return expect(r, ']');
}

/* Reads path's figures into r; 0, or -1 with r->error set. */
static int read_figures(reader *r, const char *path)
{
  memset(r, 0, sizeof *r);
  r->path = path;
  r->line = 1;
  r->load = NAN;
  FILE *in = fopen(path, "rb");
  if (!in) {
    snprintf(r->error, sizeof r->error, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char *text = NULL;
  size_t len = 0, cap = 0, got;
  do {
    if (len + 4096 + 1 > cap) {
      char *grown = realloc(text, cap = 2 * cap + 4096 + 1);
      if (!grown) {
        free(text);
        fclose(in);
        return fail(r, "out of memory");
      }
      text = grown;
    }
    got = fread(text + len, 1, cap - len - 1, in);
    len += got;
  } while (got > 0);
  fclose(in);
  text[len] = '\0';
  r->p = text;
  int status = -1;
  if (strlen(text) != len)
    fail(r, "holds a NUL byte");
  else if (!object(r, 0, top_member, NULL)) {
    skip_space(r);
    if (*r->p)
      fail(r, "text after the end of the object");
    else if (!r->n)
      fail(r, "no figures");
    else
      status = 0;
  }
  free(text);
  return status;
}

int bench_compare(const char *old_path, const char *new_path)
{
  reader old, new;
  int bad_old = read_figures(&old, old_path), bad_new = !bad_old && read_figures(&new, new_path);
  if (bad_old || bad_new) {
    cli_error("%s", bad_old ? old.error : new.error);
    free(old.figures);
    if (bad_new) free(new.figures);
    return CLI_USAGE;
  }
  int slower = 0;
  /* Timings drift with the other jobs' load: the first thing to look at
   * when many figures differ. */
  printf("old: %s, load %.2f%s; new: %s, load %.2f%s\n", old.date[0] ? old.date : "no date",
         old.load, old.quick ? ", --quick" : "", new.date[0] ? new.date : "no date", new.load,
         new.quick ? ", --quick" : "");
  /* --quick times fewer steps and rounds: its best-of is a worse best. */
  if (old.quick != new.quick)
    printf("note: one file is --quick and the other not: their figures time different work\n");
  printf("%-52s %12s %12s %7s\n", "figure", "old", "new", "ratio");
  for (size_t i = 0; i < new.n; i++) {
    const figure *b = &new.figures[i], *a = NULL;
    for (size_t j = 0; j < old.n && !a; j++)
      if (!strcmp(old.figures[j].name, b->name)) a = &old.figures[j];
    if (!a) {
      printf("%-52s %12s %12.4g %7s  (new figure)\n", b->name, "-", b->value, "-");
      continue;
    }
    /* Normalised so that > 1 is slower whichever way the figure goes. */
    double ratio = b->higher ? a->value / b->value : b->value / a->value;
    int flag = ratio > 1.1 && a->higher == b->higher;
    slower += flag;
    printf("%-52s %12.4g %12.4g %7.3g %s%s\n", b->name, a->value, b->value, ratio, b->unit,
           flag ? "  SLOWER" : "");
  }
  for (size_t j = 0; j < old.n; j++) {
    size_t i = 0;
    while (i < new.n && strcmp(old.figures[j].name, new.figures[i].name)) i++;
    if (i == new.n)
      printf("%-52s %12.4g %12s %7s  (gone)\n", old.figures[j].name, old.figures[j].value, "-",
             "-");
  }
  printf("%d of %zu figures more than 10%% slower (ratio > 1.1: new / old for times, old / new "
         "for rates)\n",
         slower, new.n);
  free(old.figures);
  free(new.figures);
  return CLI_OK;
}
