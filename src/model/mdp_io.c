/* Models as CSV files; the format is documented in tabrl/mdp_io.h.
 *
 * The reader keeps every row (with its line number) until the end of the
 * file, because the state and action counts and the horizon may only be
 * known then, and because errors that involve several rows (duplicates,
 * probability sums) should still name a line of the file. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model/fileio.h"
#include "tabrl/error.h"
#include "tabrl/mdp_io.h"

/* h and c (the cost of constrained MDPs) are optional. */
enum { COL_H, COL_S, COL_A, COL_NEXT, COL_P, COL_R, COL_C, NCOLS };
static const char *const column_names[NCOLS] = {"h", "s", "a", "s_next", "p", "r", "c"};

enum { KEY_STATES, KEY_ACTIONS, KEY_HORIZON, KEY_GAMMA, KEY_MU0, KEY_NAME, NKEYS };
static const char *const key_names[NKEYS] = {"states", "actions", "horizon",
                                             "gamma",  "mu0",     "name"};

struct row {
  int h, s, a, next;
  double p, r, c;
  long line;
  /* the vector reward r1..rd: vec_at indexes the reader's vecs while
   * reading, vec points at it once the file is read (for sorting) */
  size_t vec_at;
  const double *vec;
  int vdim;
};

struct reader {
  const char *path;
  long line;
  /* settings from the comments; key_line[k] == 0 when key k is not given */
  long key_line[NKEYS];
  int states, actions, horizon;
  double gamma;
  int *mu0_state;
  double *mu0_prob;
  size_t mu0_n, mu0_cap;
  char *name;
  /* the header: column of each field (NCOLS + i for r<i+1>), and the line
   * it is on */
  int column_of_field[NCOLS + TABRL_MDP_MAX_REWARD_DIM];
  int reward_dim; /* number of r1, r2, ... columns */
  double *vecs;   /* reward_dim values per row */
  int nfields;
  int has_h, has_c;
  long header_line;
  /* stage bound known while reading (0: none yet); from line h_bound_line,
   * or from the horizon argument when that is 0 */
  int h_bound;
  long h_bound_line;
  struct row *rows;
  size_t n, cap;
  int max_h, max_state, max_action;
  long first_late_stage_line; /* first row with h > 0 */
};

/* "path:line: message" as TABRL_EINVAL. */
static int line_error(const struct reader *rd, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int line_error(const struct reader *rd, long line, const char *fmt, ...)
{
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return tabrl_error(TABRL_EINVAL, "%s:%ld: %s", rd->path, line, what);
}

static int is_blank(int c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Strips blanks at both ends, in place. */
static char *trim(char *text)
{
  char *end;
  while (is_blank((unsigned char)*text)) text++;
  end = text + strlen(text);
  while (end > text && is_blank((unsigned char)end[-1])) end--;
  *end = '\0';
  return text;
}

/* A non-negative decimal integer <= max with nothing after it.  Signs and
 * inner blanks are refused: "-1" or "+2" in an index column is a mistake. */
static int parse_index(const char *text, long max, long *out)
{
  /* By hand rather than strtol: indices are a third of a file's numbers. */
  long value = 0;
  int too_large = 0;
  if (!*text) return -1;
  for (; *text; text++) {
    if (*text < '0' || *text > '9') return -1;
    if (value > (max - (*text - '0')) / 10)
      too_large = 1;
    else
      value = 10 * value + (*text - '0');
  }
  if (too_large) return -2;
  *out = value;
  return 0;
}

/* A finite double with nothing after it; underflow to 0 or a subnormal is
 * accepted (the value is as close as a double gets). */
static int parse_number(const char *text, double *out)
{
  char *end;
  double value;
  if (!*text) return -1;
  value = strtod(text, &end);
  if (end == text || *end) return -1;
  if (!isfinite(value)) return -2;
  *out = value;
  return 0;
}

static int parse_mu0(struct reader *rd, char *value)
{
  char *save = NULL, *token;
  double total = 0;
  for (token = strtok_r(value, " \t", &save); token; token = strtok_r(NULL, " \t", &save)) {
    char *colon = strchr(token, ':');
    long state;
    double p;
    size_t i;
    if (!colon)
      return line_error(rd, rd->line, "mu0: '%.60s' is not a state:probability pair", token);
    *colon = '\0';
    if (parse_index(token, INT_MAX - 1, &state))
      return line_error(rd, rd->line, "mu0: state '%.60s' is not a non-negative integer", token);
    if (parse_number(colon + 1, &p) || p > 1 || !(p >= 0))
      return line_error(rd, rd->line, "mu0: '%.60s' is not a probability in [0,1]", colon + 1);
    if (rd->key_line[KEY_STATES] && state >= rd->states)
      return line_error(rd, rd->line,
                        "mu0: state %ld is out of range (the file declares %d states)", state,
                        rd->states);
    for (i = 0; i < rd->mu0_n; i++)
      if (rd->mu0_state[i] == state)
        return line_error(rd, rd->line, "mu0: state %ld is given twice", state);
    if (rd->mu0_n == rd->mu0_cap) {
      size_t cap = rd->mu0_cap ? 2 * rd->mu0_cap : 8;
      int *states = realloc(rd->mu0_state, cap * sizeof *states);
      double *probs;
      if (!states) return tabrl_error(TABRL_ENOMEM, "out of memory reading %s", rd->path);
      rd->mu0_state = states;
      if (!(probs = realloc(rd->mu0_prob, cap * sizeof *probs)))
        return tabrl_error(TABRL_ENOMEM, "out of memory reading %s", rd->path);
      rd->mu0_prob = probs;
      rd->mu0_cap = cap;
    }
    rd->mu0_state[rd->mu0_n] = (int)state;
    rd->mu0_prob[rd->mu0_n++] = p;
    total += p;
  }
  if (!rd->mu0_n) return line_error(rd, rd->line, "mu0 needs at least one state:probability pair");
  /* The builder's tolerance for mu0: a distribution written with %.17g
   * sums to 1 far more closely. */
  if (fabs(total - 1.0) > 1e-9) return line_error(rd, rd->line, "mu0 sums to %.17g, not 1", total);
  return 0;
}

/* A comment line (text starts with '#').  Only "# <known key> = value" is
 * read; anything else is free text. */
static int parse_comment(struct reader *rd, char *text, int after_header)
{
  char *p = text + 1, *key, *value;
  size_t length;
  long number;
  int k;

  while (*p == ' ' || *p == '\t') p++;
  key = p;
  while (isalnum((unsigned char)*p) || *p == '_') p++;
  length = (size_t)(p - key);
  while (*p == ' ' || *p == '\t') p++;
  if (*p != '=') return 0;
  for (k = 0; k < NKEYS; k++)
    if (strlen(key_names[k]) == length && !strncmp(key, key_names[k], length)) break;
  if (k == NKEYS) return 0;
  if (after_header)
    return line_error(rd, rd->line, "the setting '%s' must come before the header (line %ld)",
                      key_names[k], rd->header_line);
  if (rd->key_line[k])
    return line_error(rd, rd->line, "'%s' is set twice (first on line %ld)", key_names[k],
                      rd->key_line[k]);
  value = trim(p + 1);
  switch (k) {
  case KEY_STATES:
  case KEY_ACTIONS:
  case KEY_HORIZON:
    if (parse_index(value, INT_MAX, &number) || number < 1)
      return line_error(rd, rd->line, "%s = '%.60s' is not an integer >= 1", key_names[k], value);
    if (k == KEY_STATES) rd->states = (int)number;
    if (k == KEY_ACTIONS) rd->actions = (int)number;
    if (k == KEY_HORIZON) rd->horizon = (int)number;
    break;
  case KEY_GAMMA:
    if (parse_number(value, &rd->gamma) || !(rd->gamma >= 0 && rd->gamma < 1))
      return line_error(rd, rd->line, "gamma = '%.60s' is not a discount factor in [0,1)", value);
    break;
  case KEY_MU0: {
    int status = parse_mu0(rd, value);
    if (status) return status;
    break;
  }
  case KEY_NAME:
    free(rd->name);
    rd->name = malloc(strlen(value) + 1);
    if (!rd->name) return tabrl_error(TABRL_ENOMEM, "out of memory reading %s", rd->path);
    strcpy(rd->name, value);
    break;
  }
  if ((k == KEY_HORIZON && rd->key_line[KEY_GAMMA]) ||
      (k == KEY_GAMMA && rd->key_line[KEY_HORIZON]))
    return line_error(rd, rd->line,
                      "the file sets both horizon and gamma (the other on line %ld); a model is "
                      "episodic or discounted",
                      rd->key_line[k == KEY_HORIZON ? KEY_GAMMA : KEY_HORIZON]);
  rd->key_line[k] = rd->line;
  return 0;
}

static int parse_header(struct reader *rd, char *text)
{
  int seen[NCOLS + TABRL_MDP_MAX_REWARD_DIM] = {0};
  char *field = text;
  for (;;) {
    char *comma = strchr(field, ',');
    char *name;
    int c;
    long k;
    if (comma) *comma = '\0';
    name = trim(field);
    for (c = 0; c < NCOLS; c++)
      if (!strcmp(name, column_names[c])) break;
    if (c == NCOLS && name[0] == 'r' && !parse_index(name + 1, INT_MAX, &k) && name[1] != '0' &&
        k >= 1) {
      if (k > TABRL_MDP_MAX_REWARD_DIM)
        return line_error(rd, rd->line, "column '%.60s': a vector reward has at most %d columns",
                          name, TABRL_MDP_MAX_REWARD_DIM);
      c = NCOLS + (int)k - 1;
      if (seen[c]) return line_error(rd, rd->line, "column '%s' appears twice", name);
      if (k > rd->reward_dim) rd->reward_dim = (int)k;
    } else if (c == NCOLS) {
      if (isdigit((unsigned char)*name) || *name == '-' || *name == '.')
        return line_error(rd, rd->line,
                          "expected a header naming the columns (s,a,s_next,p,r, and h if "
                          "stage-dependent) before the rows, found the value '%.60s'",
                          name);
      return line_error(rd, rd->line,
                        "unknown column '%.60s' (the columns are s, a, s_next, p, r and "
                        "optionally h, a cost c and a vector reward r1, r2, ...)",
                        name);
    }
    if (c < NCOLS && seen[c])
      return line_error(rd, rd->line, "column '%s' appears twice", column_names[c]);
    seen[c] = 1;
    rd->column_of_field[rd->nfields++] = c;
    if (!comma) break;
    field = comma + 1;
  }
  for (int c = COL_S; c < COL_C; c++)
    if (!seen[c])
      return line_error(rd, rd->line,
                        "missing column '%s' (the header needs s, a, s_next, p, r and optionally "
                        "h)",
                        column_names[c]);
  for (int i = 0; i < rd->reward_dim; i++)
    if (!seen[NCOLS + i])
      return line_error(rd, rd->line,
                        "column 'r%d' is missing (a vector reward of %d components needs r1 to "
                        "r%d)",
                        i + 1, rd->reward_dim, rd->reward_dim);
  rd->has_h = seen[COL_H];
  rd->has_c = seen[COL_C];
  /* the builder keeps a cost only beside a scalar reward */
  if (rd->has_c && rd->reward_dim)
    return line_error(rd, rd->line, "a cost column 'c' cannot be combined with a vector reward");
  rd->header_line = rd->line;
  return 0;
}

static int parse_row(struct reader *rd, char *text)
{
  char *fields[NCOLS + TABRL_MDP_MAX_REWARD_DIM];
  long index[NCOLS] = {0};
  double number[NCOLS] = {0};
  double vec[TABRL_MDP_MAX_REWARD_DIM] = {0};
  int n = 0;
  char *field = text;
  struct row *row;

  for (;;) {
    char *comma = strchr(field, ',');
    if (comma) *comma = '\0';
    if (n < NCOLS + TABRL_MDP_MAX_REWARD_DIM) fields[n] = field;
    n++;
    if (!comma) break;
    field = comma + 1;
  }
  if (n != rd->nfields)
    return line_error(rd, rd->line, "expected %d fields (as in the header on line %ld), found %d",
                      rd->nfields, rd->header_line, n);
  for (int i = 0; i < n; i++) {
    int c = rd->column_of_field[i], status;
    char vname[16];
    const char *name = c < NCOLS ? column_names[c] : vname;
    char *value = trim(fields[i]);
    if (c >= NCOLS) snprintf(vname, sizeof vname, "r%d", c - NCOLS + 1);
    if (!*value) return line_error(rd, rd->line, "column '%s' is empty", name);
    if (c >= NCOLS) {
      status = parse_number(value, &vec[c - NCOLS]);
      if (status)
        return line_error(rd, rd->line, "column '%s': '%.60s' is not %s", name, value,
                          status == -1 ? "a number" : "finite");
    } else if (c == COL_P || c == COL_R || c == COL_C) {
      status = parse_number(value, &number[c]);
      if (status == -1)
        return line_error(rd, rd->line, "column '%s': '%.60s' is not a number", name, value);
      if (status == -2)
        return line_error(rd, rd->line, "column '%s': '%.60s' is not finite", name, value);
      if (c == COL_P && !(number[c] >= 0 && number[c] <= 1))
        return line_error(rd, rd->line, "column 'p': %.60s is not a probability in [0,1]", value);
    } else {
      /* INT_MAX - 1 so that "largest index + 1" still fits an int. */
      status = parse_index(value, INT_MAX - 1, &index[c]);
      if (status == -1)
        return line_error(rd, rd->line, "column '%s': '%.60s' is not a non-negative integer", name,
                          value);
      if (status == -2)
        return line_error(rd, rd->line, "column '%s': %.60s is too large", name, value);
    }
  }
  if (rd->key_line[KEY_STATES])
    for (int c = COL_S; c <= COL_NEXT; c += COL_NEXT - COL_S)
      if (index[c] >= rd->states)
        return line_error(rd, rd->line,
                          "column '%s': state %ld is out of range (the file declares %d states "
                          "on line %ld)",
                          column_names[c], index[c], rd->states, rd->key_line[KEY_STATES]);
  if (rd->key_line[KEY_ACTIONS] && index[COL_A] >= rd->actions)
    return line_error(rd, rd->line,
                      "column 'a': action %ld is out of range (the file declares %d actions on "
                      "line %ld)",
                      index[COL_A], rd->actions, rd->key_line[KEY_ACTIONS]);
  if (rd->h_bound && index[COL_H] >= rd->h_bound) {
    if (rd->h_bound_line)
      return line_error(rd, rd->line,
                        "column 'h': stage %ld is out of range [0,%d) (horizon %d on line %ld)",
                        index[COL_H], rd->h_bound, rd->h_bound, rd->h_bound_line);
    return line_error(rd, rd->line,
                      "column 'h': stage %ld is out of range [0,%d) (the horizon given is %d)",
                      index[COL_H], rd->h_bound, rd->h_bound);
  }

  if (rd->n == rd->cap) {
    size_t cap = rd->cap ? 2 * rd->cap : 256;
    struct row *rows = realloc(rd->rows, cap * sizeof *rows);
    if (!rows) return tabrl_error(TABRL_ENOMEM, "out of memory reading %s", rd->path);
    rd->rows = rows;
    if (rd->reward_dim) {
      double *vecs = realloc(rd->vecs, cap * (size_t)rd->reward_dim * sizeof *vecs);
      if (!vecs) return tabrl_error(TABRL_ENOMEM, "out of memory reading %s", rd->path);
      rd->vecs = vecs;
    }
    rd->cap = cap;
  }
  if (rd->reward_dim)
    memcpy(rd->vecs + rd->n * (size_t)rd->reward_dim, vec, (size_t)rd->reward_dim * sizeof *vec);
  row = &rd->rows[rd->n++];
  row->h = (int)index[COL_H];
  row->s = (int)index[COL_S];
  row->a = (int)index[COL_A];
  row->next = (int)index[COL_NEXT];
  row->p = number[COL_P];
  row->r = number[COL_R];
  row->c = number[COL_C];
  row->line = rd->line;
  row->vec_at = rd->n - 1;
  row->vec = NULL;
  row->vdim = rd->reward_dim;
  if (row->h > rd->max_h) rd->max_h = row->h;
  if (row->h > 0 && !rd->first_late_stage_line) rd->first_late_stage_line = rd->line;
  if (row->s > rd->max_state) rd->max_state = row->s;
  if (row->next > rd->max_state) rd->max_state = row->next;
  if (row->a > rd->max_action) rd->max_action = row->a;
  return 0;
}

/* Block order, then the builder's order inside a block (s', r), then line. */
static int row_cmp(const void *x, const void *y)
{
  const struct row *a = x, *b = y;
  if (a->h != b->h) return a->h < b->h ? -1 : 1;
  if (a->s != b->s) return a->s < b->s ? -1 : 1;
  if (a->a != b->a) return a->a < b->a ? -1 : 1;
  if (a->next != b->next) return a->next < b->next ? -1 : 1;
  if (a->r != b->r) return a->r < b->r ? -1 : 1;
  if (a->c != b->c) return a->c < b->c ? -1 : 1;
  for (int i = 0; i < a->vdim; i++)
    if (a->vec[i] != b->vec[i]) return a->vec[i] < b->vec[i] ? -1 : 1;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  return 0;
}

static int same_outcome(const struct row *a, const struct row *b)
{
  if (!(a->h == b->h && a->s == b->s && a->a == b->a && a->next == b->next && a->r == b->r &&
        a->c == b->c))
    return 0;
  for (int i = 0; i < a->vdim; i++)
    if (a->vec[i] != b->vec[i]) return 0;
  return 1;
}

/* After the builder rejected the blocks: the first line of the first
 * (h, s, a) whose probabilities do not sum to 1, or of the first (h, s)
 * whose rows all have p = 0 (no valid action), scanning in the builder's
 * order and summing in its order so that the same block is found; 0 if
 * none. */
static long line_of_bad_block(const struct row *rows, size_t n)
{
  size_t i = 0;
  while (i < n) {
    size_t state_end = i;
    long state_line = LONG_MAX;
    double state_mass = 0;
    while (state_end < n && rows[state_end].h == rows[i].h && rows[state_end].s == rows[i].s)
      state_end++;
    while (i < state_end) {
      size_t j = i;
      double total = 0;
      long first = LONG_MAX;
      for (; j < state_end && rows[j].a == rows[i].a; j++) {
        if (rows[j].p > 0) total += rows[j].p;
        if (rows[j].line < first) first = rows[j].line;
      }
      if (fabs(total - 1.0) > TABRL_PROB_TOL && total > 0) return first;
      if (first < state_line) state_line = first;
      state_mass += total;
      i = j;
    }
    if (state_mass == 0) return state_line;
  }
  return 0;
}

/* Sizes, time, absorbing states; then the builder. */
static int build(struct reader *rd, int horizon, double gamma, tabrl_mdp **out)
{
  int S, A, H, stages;
  double discount = 1.0;
  tabrl_mdp_builder *b = NULL;
  unsigned char *has_rows = NULL;
  double *mu0 = NULL;
  int status;
  size_t i;

  if (horizon > 0) {
    H = horizon;
  } else if (gamma >= 0) {
    H = 0;
    discount = gamma;
  } else if (rd->key_line[KEY_HORIZON]) {
    H = rd->horizon;
  } else if (rd->key_line[KEY_GAMMA]) {
    H = 0;
    discount = rd->gamma;
  } else if (rd->has_h) {
    H = rd->max_h + 1;
  } else {
    return tabrl_error(TABRL_EINVAL,
                       "%s: no horizon or gamma in the file; give --horizon H or --gamma G",
                       rd->path);
  }
  if (H == 0 && !(discount < 1))
    return tabrl_error(TABRL_EINVAL, "%s: discount gamma = %g must be in [0,1)", rd->path,
                       discount);
  if (H == 0 && rd->first_late_stage_line)
    return line_error(rd, rd->first_late_stage_line,
                      "a row for stage h > 0 needs an episodic model, but the model is "
                      "discounted (gamma = %g)",
                      discount);
  stages = rd->has_h && H > 0 ? H : 1;

  S = rd->key_line[KEY_STATES] ? rd->states : rd->max_state + 1;
  A = rd->key_line[KEY_ACTIONS] ? rd->actions : rd->max_action + 1;
  for (i = 0; i < rd->mu0_n; i++)
    if (rd->mu0_state[i] >= S)
      return line_error(rd, rd->key_line[KEY_MU0],
                        "mu0: state %d is out of range (the rows name %d states)", rd->mu0_state[i],
                        S);

  for (i = 0; i < rd->n; i++)
    rd->rows[i].vec = rd->vecs ? rd->vecs + rd->rows[i].vec_at * (size_t)rd->reward_dim : NULL;
  /* Exported files are already in this order: skip the n log n sort. */
  for (i = 1; i < rd->n && row_cmp(&rd->rows[i - 1], &rd->rows[i]) < 0; i++) continue;
  if (i < rd->n) qsort(rd->rows, rd->n, sizeof *rd->rows, row_cmp);
  {
    /* Report the duplicate whose second occurrence comes first in the file. */
    long line = 0, original = 0;
    for (i = 1; i < rd->n; i++)
      if (same_outcome(&rd->rows[i - 1], &rd->rows[i]) && (!line || rd->rows[i].line < line)) {
        line = rd->rows[i].line;
        original = rd->rows[i - 1].line;
      }
    if (line)
      return line_error(rd, line, "duplicate of line %ld (same %ss, a, s_next, r%s%s)", original,
                        rd->has_h ? "h, " : "", rd->reward_dim ? ", r1, ..." : "",
                        rd->has_c ? ", c" : "");
  }

  if (!(b = tabrl_mdp_builder_alloc(S, A, stages))) {
    tabrl_error_prefix("%s", rd->path);
    return TABRL_EINVAL;
  }
  has_rows = calloc((size_t)stages * (size_t)S, 1);
  mu0 = calloc((size_t)S, sizeof *mu0);
  if (!has_rows || !mu0) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory reading %s", rd->path);
    goto done;
  }
  tabrl_mdp_builder_set_time(b, H, discount);
  if (rd->mu0_n) {
    for (i = 0; i < rd->mu0_n; i++) mu0[rd->mu0_state[i]] = rd->mu0_prob[i];
    if ((status = tabrl_mdp_builder_set_mu0(b, mu0))) goto done;
  }
  if (rd->name && *rd->name && (status = tabrl_mdp_builder_set_name(b, rd->name))) goto done;
  if (rd->reward_dim && (status = tabrl_mdp_builder_set_reward_dim(b, rd->reward_dim))) goto done;
  for (i = 0; i < rd->n; i++) {
    const struct row *r = &rd->rows[i];
    int h = stages > 1 ? r->h : 0;
    has_rows[(size_t)h * (size_t)S + (size_t)r->s] = 1;
    if (r->vec)
      status = tabrl_mdp_builder_add_vec(b, h, r->s, r->a, r->next, r->p, r->r, r->vec);
    else if (rd->has_c)
      status = tabrl_mdp_builder_add_cost(b, h, r->s, r->a, r->next, r->p, r->r, r->c);
    else
      status = tabrl_mdp_builder_add(b, h, r->s, r->a, r->next, r->p, r->r);
    if (status) goto done;
  }
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < S; s++)
      if (!has_rows[(size_t)h * (size_t)S + (size_t)s])
        for (int a = 0; a < A; a++) {
          static const double zero[TABRL_MDP_MAX_REWARD_DIM] = {0};
          status = rd->reward_dim ? tabrl_mdp_builder_add_vec(b, h, s, a, s, 1.0, 0.0, zero)
                                  : tabrl_mdp_builder_add(b, h, s, a, s, 1.0, 0.0);
          if (status) goto done;
        }

  status = tabrl_mdp_builder_finish(b, out);
  if (status == TABRL_EINVAL) {
    long line = line_of_bad_block(rd->rows, rd->n);
    if (line)
      tabrl_error_prefix("%s:%ld", rd->path, line);
    else
      tabrl_error_prefix("%s", rd->path);
  }

done:
  free(has_rows);
  free(mu0);
  tabrl_mdp_builder_free(b);
  return status;
}

int tabrl_mdp_read_csv(const char *path, int horizon, double gamma, tabrl_mdp **out)
{
  struct reader rd;
  FILE *f;
  char *buffer = NULL;
  size_t size = 0;
  ssize_t length;
  int status = 0, seen_header = 0;

  *out = NULL;
  if (horizon > 0 && gamma >= 0)
    return tabrl_error(TABRL_EINVAL, "%s: give a horizon (episodic) or a discount gamma, not both",
                       path);
  if (!(f = fopen(path, "r"))) return tabrl_error(TABRL_EIO, "%s: %s", path, strerror(errno));
  memset(&rd, 0, sizeof rd);
  rd.path = path;
  rd.max_h = rd.max_state = rd.max_action = -1;
  if (horizon > 0) rd.h_bound = horizon;

  for (;;) {
    char *text;
    errno = 0;
    if ((length = getline(&buffer, &size, f)) < 0) break;
    rd.line++;
    if (memchr(buffer, '\0', (size_t)length)) {
      status = line_error(&rd, rd.line, "contains a NUL byte (not a text file?)");
      break;
    }
    text = buffer;
    if (rd.line == 1 && !strncmp(text, "\xef\xbb\xbf", 3)) text += 3;
    text = trim(text);
    if (!*text) continue;
    if (*text == '#') {
      if ((status = parse_comment(&rd, text, seen_header))) break;
      continue;
    }
    if (!seen_header) {
      if ((status = parse_header(&rd, text))) break;
      seen_header = 1;
      /* Settings are complete now: bound h by the file's horizon unless an
       * argument decides the time. */
      if (!rd.h_bound && gamma < 0 && rd.key_line[KEY_HORIZON]) {
        rd.h_bound = rd.horizon;
        rd.h_bound_line = rd.key_line[KEY_HORIZON];
      }
      continue;
    }
    if ((status = parse_row(&rd, text))) break;
  }
  if (!status && ferror(f))
    status = tabrl_error(TABRL_EIO, "%s: %s", path, strerror(errno ? errno : EIO));
  else if (!status && errno == ENOMEM)
    status = tabrl_error(TABRL_ENOMEM, "out of memory reading %s", path);
  fclose(f);
  free(buffer);

  if (!status && !seen_header)
    status = tabrl_error(TABRL_EINVAL,
                         "%s: %s: expected a header line s,a,s_next,p,r and one row per outcome",
                         path, rd.line ? "no header" : "empty file");
  else if (!status && !rd.n)
    status = line_error(&rd, rd.header_line, "no rows after the header");
  if (!status) status = build(&rd, horizon, gamma, out);

  free(rd.rows);
  free(rd.vecs);
  free(rd.mu0_state);
  free(rd.mu0_prob);
  free(rd.name);
  return status;
}

/* Returns 0 or the errno of the failed write. */
static int write_model(const tabrl_mdp *m, FILE *f)
{
  errno = 0;
  fprintf(f, "# tabrl mdp\n# states = %d\n# actions = %d\n", m->S, m->A);
  if (m->horizon > 0)
    fprintf(f, "# horizon = %d\n", m->horizon);
  else
    fprintf(f, "# gamma = %.17g\n", m->gamma);
  fputs("# mu0 =", f);
  for (int s = 0; s < m->S; s++)
    if (m->mu0[s] != 0) fprintf(f, " %d:%.17g", s, m->mu0[s]);
  fputc('\n', f);
  if (m->name && *m->name) {
    /* A name is one line; line breaks would end the setting early. */
    fputs("# name = ", f);
    for (const char *c = m->name; *c; c++) fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
    fputc('\n', f);
  }
  fputs(m->stages > 1 ? "h,s,a,s_next,p,r" : "s,a,s_next,p,r", f);
  for (int i = 0; i < m->reward_dim; i++) fprintf(f, ",r%d", i + 1);
  if (m->cost) fputs(",c", f);
  fputc('\n', f);
  for (int h = 0; h < m->stages; h++)
    for (int s = 0; s < m->S; s++)
      for (int a = 0; a < m->A; a++) {
        size_t b = tabrl_mdp_block(m, h, s, a);
        for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
          if (m->stages > 1) fprintf(f, "%d,", h);
          fprintf(f, "%d,%d,%d,%.17g,%.17g", s, a, m->next[k], m->prob[k], m->reward[k]);
          for (int i = 0; i < m->reward_dim; i++)
            fprintf(f, ",%.17g", m->reward_vec[k * (size_t)m->reward_dim + (size_t)i]);
          if (m->cost) fprintf(f, ",%.17g", m->cost[k]);
          fputc('\n', f);
        }
        if (ferror(f)) return errno ? errno : EIO;
      }
  if (fflush(f) || ferror(f)) return errno ? errno : EIO;
  return 0;
}

int tabrl_mdp_write_csv_stream(const tabrl_mdp *m, FILE *f)
{
  int err = write_model(m, f);
  return err ? tabrl_error(TABRL_EIO, "writing the model: %s", strerror(err)) : 0;
}

static int write_model_status(FILE *f, void *ctx)
{
  int err = write_model(ctx, f);
  return err ? tabrl_error(TABRL_EIO, "writing the model: %s", strerror(err)) : 0;
}

int tabrl_mdp_write_csv(const tabrl_mdp *m, const char *path)
{
  return tabrl_write_atomic(path, write_model_status, (void *)m);
}
