/* Policies from CSV files (policies.csv of tabrl run, or a bare h,s,a,prob
 * table); see tabrl/policy.h.  Outside input: every malformed row gets its
 * own message with file:line, so that a wrong file never evaluates to a
 * plausible number. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tabrl/error.h"
#include "tabrl/policy.h"

enum { COL_ENV, COL_ALGO, COL_CONFIG, COL_SEED, COL_H, COL_S, COL_A, COL_PROB, NCOLS };
enum { MAX_FIELDS = 16, MAX_SELECT = 8 };

static const char *const column_names[NCOLS] = {"env", "algo", "config", "seed",
                                                "h",   "s",    "a",      "prob"};

/* Splits line at commas in place; returns the number of fields (at most
 * MAX_FIELDS + 1, so that too many fields are seen as such). */
static int split(char *line, char **field)
{
  int n = 0;
  for (char *p = line, *q; p && n <= MAX_FIELDS; p = q ? q + 1 : NULL) {
    q = strchr(p, ',');
    if (q) *q = '\0';
    field[n++] = p;
  }
  return n;
}

/* --select key=value,...: the columns and values to match. */
typedef struct {
  int column[MAX_SELECT];
  char *value[MAX_SELECT];
  int n;
  char text[1024];
} selection;

static int parse_select(const char *path, const char *select, const int *column, selection *sel)
{
  sel->n = 0;
  if (!select || !*select) return 0;
  if (strlen(select) >= sizeof sel->text)
    return tabrl_error(TABRL_EINVAL, "--select %.40s...: too long", select);
  strcpy(sel->text, select);
  for (char *save = NULL, *kv = strtok_r(sel->text, ",", &save); kv;
       kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    int c = -1;
    if (!eq || eq == kv || sel->n == MAX_SELECT)
      return tabrl_error(TABRL_EINVAL,
                         "--select %s: expected key=value,... (keys env, algo, "
                         "config, seed)",
                         select);
    *eq = '\0';
    for (int i = COL_ENV; i <= COL_SEED; i++)
      if (!strcmp(kv, column_names[i])) c = i;
    if (c < 0)
      return tabrl_error(TABRL_EINVAL, "--select %s: unknown key '%s' (env, algo, config, seed)",
                         select, kv);
    if (column[c] < 0)
      return tabrl_error(TABRL_EINVAL, "--select %s: %s has no column '%s'", select, path, kv);
    sel->column[sel->n] = column[c];
    sel->value[sel->n++] = eq + 1;
  }
  return 0;
}

static const char *model_name(const tabrl_mdp *m)
{
  return m->name ? m->name : "the model";
}

/* Parses a whole-field integer; 0 if field is not one. */
static int parse_index(const char *field, long *out)
{
  char *end;
  errno = 0;
  *out = strtol(field, &end, 10);
  return *field && !*end && !errno;
}

int tabrl_policy_read_csv(const char *path, const char *select, const tabrl_mdp *m,
                          tabrl_policy **out, tabrl_policy_source *source)
{
  FILE *f;
  char line[4096], group[1024] = "", first_group[1024] = "";
  int column[NCOLS], ncol = 0, lineno = 1, status = 0, max_h = -1;
  tabrl_policy *pi = NULL;
  int *first_line = NULL; /* per (h, s, a): the line that set it, 0 if none */
  selection sel;
  tabrl_policy_source found = {"", "", "", "", 0};

  if (out) *out = NULL;
  if (source) *source = found;
  if (m && !out) return tabrl_error(TABRL_EINVAL, "tabrl_policy_read_csv: out is NULL");
  if (!(f = fopen(path, "r"))) return tabrl_error(TABRL_EINVAL, "%s: %s", path, strerror(errno));
  struct stat st;
  if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s: is a directory (give its policies.csv)", path);
  }
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s: empty file (expected a header with h,s,a,prob)", path);
  }
  line[strcspn(line, "\r\n")] = '\0';
  for (int i = 0; i < NCOLS; i++) column[i] = -1;
  {
    char *field[MAX_FIELDS + 1];
    ncol = split(line, field);
    for (int c = 0; c < ncol && c < MAX_FIELDS; c++)
      for (int i = 0; i < NCOLS; i++)
        if (!strcmp(field[c], column_names[i])) {
          if (column[i] >= 0) {
            fclose(f);
            return tabrl_error(TABRL_EINVAL, "%s:1: column '%s' appears twice", path,
                               column_names[i]);
          }
          column[i] = c;
        }
  }
  if (ncol > MAX_FIELDS) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s:1: more than %d columns", path, MAX_FIELDS);
  }
  if (column[COL_H] < 0 || column[COL_S] < 0 || column[COL_A] < 0 || column[COL_PROB] < 0) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s:1: a policy file needs the columns h,s,a,prob", path);
  }
  if ((status = parse_select(path, select, column, &sel))) {
    fclose(f);
    return status;
  }
  int stages = m ? tabrl_mdp_value_stages(m) : 0;
  size_t cells = m ? (size_t)stages * (size_t)m->S * (size_t)m->A : 0;
  if (m && (!(pi = tabrl_policy_alloc_for(m)) || !(first_line = calloc(cells, sizeof(int))))) {
    tabrl_policy_free(pi);
    fclose(f);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  while (fgets(line, sizeof line, f)) {
    char *field[MAX_FIELDS + 1];
    lineno++;
    if (!strchr(line, '\n') && !feof(f)) {
      status = tabrl_error(TABRL_EINVAL, "%s:%d: line longer than %zu characters", path, lineno,
                           sizeof line - 2);
      break;
    }
    line[strcspn(line, "\r\n")] = '\0';
    if (!*line) continue;
    int n = split(line, field);
    if (n != ncol) {
      status =
          tabrl_error(TABRL_EINVAL, "%s:%d: %d fields, the header has %d", path, lineno, n, ncol);
      break;
    }
    int keep = 1;
    for (int i = 0; i < sel.n; i++) keep &= !strcmp(field[sel.column[i]], sel.value[i]);
    if (!keep) continue;
    snprintf(group, sizeof group, "%s,%s,%s,%s", column[COL_ENV] >= 0 ? field[column[COL_ENV]] : "",
             column[COL_ALGO] >= 0 ? field[column[COL_ALGO]] : "",
             column[COL_CONFIG] >= 0 ? field[column[COL_CONFIG]] : "",
             column[COL_SEED] >= 0 ? field[column[COL_SEED]] : "");
    if (!*first_group) {
      snprintf(first_group, sizeof first_group, "%s", group);
      char *dest[4] = {found.env, found.algo, found.config, found.seed};
      size_t size[4] = {sizeof found.env, sizeof found.algo, sizeof found.config,
                        sizeof found.seed};
      for (int i = COL_ENV; i <= COL_SEED; i++)
        if (column[i] >= 0) snprintf(dest[i], size[i], "%s", field[column[i]]);
      if (!m) break;
    } else if (strcmp(group, first_group)) {
      status = tabrl_error(TABRL_EINVAL,
                           "%s:%d: the file holds several policies (%s and %s ...); choose one "
                           "with --select algo=...,config=...,seed=...",
                           path, lineno, first_group, group);
      break;
    }
    long h, s, a;
    const char *ph = field[column[COL_H]], *ps = field[column[COL_S]], *pa = field[column[COL_A]],
               *pp = field[column[COL_PROB]];
    if (!parse_index(ph, &h) || !parse_index(ps, &s) || !parse_index(pa, &a)) {
      const char *bad = !parse_index(ph, &h) ? "h" : !parse_index(ps, &s) ? "s" : "a";
      status = tabrl_error(TABRL_EINVAL, "%s:%d: %s '%s' is not an integer", path, lineno, bad,
                           !strcmp(bad, "h")   ? ph
                           : !strcmp(bad, "s") ? ps
                                               : pa);
      break;
    }
    char *end;
    double p = strtod(pp, &end);
    if (!*pp || *end) {
      status = tabrl_error(TABRL_EINVAL, "%s:%d: prob '%s' is not a number", path, lineno, pp);
      break;
    }
    if (isnan(p)) {
      status = tabrl_error(TABRL_EINVAL, "%s:%d: prob is NaN (not a probability)", path, lineno);
      break;
    }
    if (p < 0) {
      status = tabrl_error(TABRL_EINVAL, "%s:%d: negative probability %g", path, lineno, p);
      break;
    }
    if (p > 1) {
      status =
          tabrl_error(TABRL_EINVAL, "%s:%d: probability %g is greater than 1", path, lineno, p);
      break;
    }
    if (h < 0 || h >= stages) {
      status = tabrl_error(
          TABRL_EINVAL, "%s:%d: stage h = %ld outside 0..%d: %s has %d stage%s%s", path, lineno, h,
          stages - 1, model_name(m), stages, stages == 1 ? "" : "s",
          m->horizon > 0 ? ""
                         : " (discounted: one stationary stage; give --horizon H for an "
                           "episodic policy)");
      break;
    }
    if (s < 0 || s >= m->S) {
      status = tabrl_error(TABRL_EINVAL, "%s:%d: state s = %ld outside 0..%d: %s has %d states",
                           path, lineno, s, m->S - 1, model_name(m), m->S);
      break;
    }
    if (a < 0 || a >= m->A) {
      status = tabrl_error(TABRL_EINVAL, "%s:%d: action a = %ld outside 0..%d: %s has %d actions",
                           path, lineno, a, m->A - 1, model_name(m), m->A);
      break;
    }
    if (p > 0 && !tabrl_mdp_valid(m, (int)h, (int)s, (int)a)) {
      status = tabrl_error(TABRL_EINVAL,
                           "%s:%d: probability %g on action %ld, which %s does not allow at "
                           "stage %ld, state %ld",
                           path, lineno, p, a, model_name(m), h, s);
      break;
    }
    size_t cell = ((size_t)h * (size_t)m->S + (size_t)s) * (size_t)m->A + (size_t)a;
    if (first_line[cell]) {
      status = tabrl_error(TABRL_EINVAL,
                           "%s:%d: duplicate row for (h, s, a) = (%ld, %ld, %ld), first given at "
                           "line %d",
                           path, lineno, h, s, a, first_line[cell]);
      break;
    }
    first_line[cell] = lineno;
    pi->prob[cell] = p;
    if (h > max_h) max_h = (int)h;
  }
  fclose(f);
  if (!status && !*first_group)
    status = tabrl_error(TABRL_EINVAL, "%s: no policy rows%s%s", path,
                         sel.n ? " match --select " : "", sel.n ? select : "");
  /* Only h = 0 rows: a stationary policy, the same rows at every stage.
   * Otherwise every stage must be there. */
  int given = max_h <= 0 ? 1 : stages;
  for (int h = 0; m && !status && h < given; h++)
    for (int s = 0; s < m->S && !status; s++) {
      size_t row = ((size_t)h * (size_t)m->S + (size_t)s) * (size_t)m->A;
      double total = 0;
      int last = 0;
      for (int a = 0; a < m->A; a++) {
        total += pi->prob[row + (size_t)a];
        if (first_line[row + (size_t)a] > last) last = first_line[row + (size_t)a];
      }
      if (!last)
        status = tabrl_error(TABRL_EINVAL,
                             "%s: no row for stage %d, state %d (the policy covers stages 0..%d "
                             "of %s's %d; every state of a stage needs its rows)",
                             path, h, s, max_h, model_name(m), stages);
      else if (fabs(total - 1) > 1e-9)
        status = tabrl_error(TABRL_EINVAL,
                             "%s:%d: the probabilities of stage %d, state %d sum to %.12g, not 1",
                             path, last, h, s, total);
    }
  if (!status && pi && given == 1 && pi->stages > 1) {
    size_t row = (size_t)m->S * (size_t)m->A;
    for (int h = 1; h < pi->stages; h++)
      memcpy(pi->prob + (size_t)h * row, pi->prob, row * sizeof(double));
  }
  free(first_line);
  if (status) {
    tabrl_policy_free(pi);
    return status;
  }
  if (source) {
    found.stationary = given == 1;
    *source = found;
  }
  if (out) *out = pi;
  return 0;
}
