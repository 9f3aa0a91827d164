/* tabrl solve --format tex.  The numbers are tabrl_steps_record's (the
 * oracle's own solvers with every iteration kept), so the last table equals
 * `tabrl solve --format csv` rounded to the chosen decimals.
 *
 * Numbers have a fixed number of decimals (--digits D) rather than D
 * significant digits: the columns then align on the decimal point and a
 * student compares V(s) with max_a Q(s,a) digit by digit.  The tables are
 * not floats: --iterations all writes dozens of them, more than LaTeX's
 * float queue holds ("Too many unprocessed floats"); each is still numbered
 * as a table (\refstepcounter), so \label and \ref work after it. */
#include "cli/solve_tex.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "model/fileio.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/steps.h"

typedef struct {
  const tabrl_mdp *m;
  const tabrl_steps *st;
  int method;
  const int *iters; /* the iterations to print, in the order asked */
  size_t n_iters;
  int digits;
} tex_doc;

/* TeX's specials in names (an env's name, a map's letters). */
static void put_text(FILE *f, const char *s)
{
  for (; *s; s++) switch (*s) {
    case '_':
    case '%':
    case '&':
    case '#':
    case '$':
    case '{':
    case '}':
      fprintf(f, "\\%c", *s);
      break;
    case '~':
      fputs("\\textasciitilde{}", f);
      break;
    case '^':
      fputs("\\textasciicircum{}", f);
      break;
    case '\\':
      fputs("\\textbackslash{}", f);
      break;
    default:
      fputc(*s, f);
    }
}

/* A table number in math mode (a true minus sign); nothing for a value not
 * computed yet (NAN), "--" for an invalid action (-inf).  A value that rounds
 * to zero is printed without its sign. */
static void put_number(FILE *f, double x, int digits)
{
  char text[512];
  if (isnan(x)) return;
  if (isinf(x)) {
    fputs(x < 0 ? "--" : "$\\infty$", f);
    return;
  }
  snprintf(text, sizeof text, "%.*f", digits, x);
  const char *shown = text;
  if (text[0] == '-' && strspn(text + 1, "0.") == strlen(text + 1)) shown++;
  fprintf(f, "$%s$", shown);
}

/* A caption's number (residual, threshold, eps) inside math mode: three
 * significant digits, a power of ten written out. */
static void put_sci(FILE *f, double x)
{
  char text[64];
  snprintf(text, sizeof text, "%.3g", x);
  char *e = strchr(text, 'e');
  if (!e) {
    fputs(text, f);
    return;
  }
  *e = 0;
  fprintf(f, "%s \\times 10^{%d}", text, atoi(e + 1));
}

/* Action a in math mode, without the dollars: the grid's glyph as an arrow,
 * else a_a. */
static const char *action_math(const tabrl_mdp *m, int a, char *buf, size_t size)
{
  if (m->grid) switch (m->grid->action_glyphs[a]) {
    case '<':
      return "\\leftarrow";
    case '>':
      return "\\rightarrow";
    case '^':
      return "\\uparrow";
    case 'v':
      return "\\downarrow";
    case '/':
      return "\\swarrow";
    case '\\':
      return "\\searrow";
    default:
      break;
    }
  snprintf(buf, size, "a_{%d}", a);
  return buf;
}

static void put_action(FILE *f, const tabrl_mdp *m, int a)
{
  char buf[32];
  if (a >= 0) fprintf(f, "$%s$", action_math(m, a, buf, sizeof buf));
}

/* The first step of iteration iter of the given kind, or NULL. */
static const tabrl_step *find_step(const tabrl_steps *st, int iter, tabrl_step_kind kind)
{
  for (size_t i = 0; i < st->n; i++)
    if (st->step[i].iter == iter && st->step[i].kind == kind) return &st->step[i];
  return NULL;
}

/* The lowest stage a step has computed (backward induction fills H-1 down). */
static int first_stage(const tex_doc *d, int iter)
{
  return d->method == 'b' ? d->st->stages - iter : 0;
}

static void caption(FILE *f, const tex_doc *d, int iter, const tabrl_step *t,
                    const tabrl_step *improve)
{
  const tabrl_mdp *m = d->m;
  int last = d->st->step[d->st->n - 1].iter;
  fputs("\\refstepcounter{table}\\tablename~\\thetable: ", f);
  put_text(f, m->name);
  if (d->method == 'b') {
    int h = first_stage(d, iter);
    if (h == m->horizon - 1)
      fprintf(f, ", backward induction, horizon $H = %d$, step %d of %d: stage $h = %d$",
              m->horizon, iter, last, h);
    else
      fprintf(f,
              ", backward induction, horizon $H = %d$, step %d of %d: stages $h = %d, \\ldots, "
              "%d$",
              m->horizon, iter, last, h, m->horizon - 1);
    fputs(" from $V_H = 0$, $Q_h(s,a) = r(s,a) + \\sum_{s'} P(s' \\mid s,a)\\, "
          "V_{h+1}(s')$, $V_h(s) = \\max_a Q_h(s,a)$, $\\pi_h(s)$ its argmax (lowest action on "
          "ties)",
          f);
  } else if (d->method == 'v') {
    fprintf(f,
            ", value iteration, $\\gamma = %g$, sweep $k = %d$ of %d: $V_k$, $Q(s,a) = r(s,a) + "
            "\\gamma \\sum_{s'} P(s' \\mid s,a)\\, V_k(s')$ and the greedy action $\\arg\\max_a "
            "Q(s,a)$ (lowest on ties; %ld changed since sweep %d); residual $\\|V_k - "
            "V_{k-1}\\|_\\infty = ",
            m->gamma, iter, last, t->changes, iter - 1);
    put_sci(f, t->residual);
    fputs("$, stopping below $\\varepsilon (1 - \\gamma) / (2 \\gamma) = ", f);
    put_sci(f, d->st->threshold);
    fputs("$ with $\\varepsilon = ", f);
    put_sci(f, d->st->eps);
    fputs("$", f);
  } else {
    fprintf(f,
            ", policy iteration, $\\gamma = %g$, iteration $k = %d$ of %d: exact evaluation "
            "$V^{\\pi_k}$, $Q^{\\pi_k}(s,a) = r(s,a) + \\gamma \\sum_{s'} P(s' \\mid s,a)\\, "
            "V^{\\pi_k}(s')$, and the improvement $\\pi_{k+1}(s) = \\arg\\max_a Q^{\\pi_k}(s,a)$ "
            "(lowest on ties; %ld action%s changed%s)",
            m->gamma, iter, last, improve->changes, improve->changes == 1 ? "" : "s",
            improve->changes ? "" : ": $\\pi_k$ is optimal");
    if (!isnan(t->residual)) {
      fputs("; $\\|V^{\\pi_k} - V^{\\pi_{k-1}}\\|_\\infty = ", f);
      put_sci(f, t->residual);
      fputs("$", f);
    }
  }
  fputs(".\\\\[1ex]\n", f);
}

/* Rows per tabular: a longer table is cut into pieces ("continued") that
 * LaTeX can put on successive pages; a tabular itself never breaks. */
enum { TEX_ROWS_PER_PIECE = 32 };

/* Each piece and its caption share a minipage, so that a page never breaks
 * between the two. */
static const char piece_open[] = "\\begin{minipage}{\\linewidth}\\centering\n";
static const char piece_close[] = "\\bottomrule\n\\end{tabular}\n\\end{minipage}\\par\\medskip\n";

/* The state table's head: [h] s V pi, then Q under one spanning label with
 * the actions below it (booktabs' two-level head), [pi_k+1]. */
static void state_head(FILE *f, const tex_doc *d, int improve)
{
  const tabrl_mdp *m = d->m;
  int staged = d->st->stages > 1, before = staged ? 4 : 3;
  char buf[32];
  fprintf(f, "\\begin{tabular}{%src", staged ? "rr" : "r");
  for (int a = 0; a < m->A; a++) fputc('r', f);
  fputs(improve ? "c}\n\\toprule\n" : "}\n\\toprule\n", f);
  for (int c = 1; c < before; c++) fputs("& ", f);
  fprintf(f, "& \\multicolumn{%d}{c}{%s} %s\\\\\n\\cmidrule(lr){%d-%d}\n", m->A,
          d->method == 'p'   ? "$Q^{\\pi_k}(s,a)$"
          : d->method == 'v' ? "$Q(s,a)$"
                             : "$Q_h(s,a)$",
          improve ? "& " : "", before + 1, before + m->A);
  if (staged) fputs("$h$ & ", f);
  if (d->method == 'p')
    fputs("$s$ & $V^{\\pi_k}(s)$ & $\\pi_k(s)$", f);
  else if (d->method == 'v')
    fputs("$s$ & $V_k(s)$ & greedy", f);
  else
    fputs("$s$ & $V_h(s)$ & $\\pi_h(s)$", f);
  for (int a = 0; a < m->A; a++) fprintf(f, " & $%s$", action_math(m, a, buf, sizeof buf));
  fputs(improve ? " & $\\pi_{k+1}(s)$ \\\\\n\\midrule\n" : " \\\\\n\\midrule\n", f);
}

/* The states' rows: [h] s V pi Q(s,a)... [pi_k+1]. */
static void state_table(FILE *f, const tex_doc *d, int iter, const tabrl_step *t,
                        const tabrl_step *improve)
{
  const tabrl_mdp *m = d->m;
  const tabrl_steps *st = d->st;
  int staged = st->stages > 1, rows = 0;
  fputs(piece_open, f);
  caption(f, d, iter, t, improve);
  state_head(f, d, improve != NULL);
  for (int h = first_stage(d, iter); h < st->stages; h++) {
    if (staged && h > first_stage(d, iter) && rows) fputs("\\addlinespace\n", f);
    for (int s = 0; s < m->S; s++) {
      size_t i = (size_t)h * m->S + s;
      if (rows == TEX_ROWS_PER_PIECE) {
        fputs(piece_close, f);
        fputs(piece_open, f);
        fputs("\\tablename~\\thetable{} (continued)\\\\[1ex]\n", f);
        state_head(f, d, improve != NULL);
        rows = 0;
      }
      rows++;
      if (staged) fprintf(f, "%d & ", h);
      fprintf(f, "%d & ", s);
      put_number(f, t->V[i], d->digits);
      fputs(" & ", f);
      put_action(f, m, t->action[i]);
      for (int a = 0; a < m->A; a++) {
        fputs(" & ", f);
        put_number(f, t->Q[i * m->A + a], d->digits);
      }
      if (improve) {
        fputs(" & ", f);
        put_action(f, m, improve->action[i]);
      }
      fputs(" \\\\\n", f);
    }
  }
  fputs(piece_close, f);
}

/* A grid env's values at the lowest stage computed, laid out as the map:
 * each cell its state's action (the policy the state table shows last)
 * above its value (a nested tabular, so that every cell's lines sit at the
 * same heights), a column as narrow as a number; walls blank;
 * terminal cells keep their map letter. */
static void grid_table(FILE *f, const tex_doc *d, int iter, const tabrl_step *t,
                       const tabrl_step *improve)
{
  const tabrl_grid *g = d->m->grid;
  int h = first_stage(d, iter);
  const int *action = (improve ? improve : t)->action + (size_t)h * d->m->S;
  fputs(piece_open, f);
  fputs("\\refstepcounter{table}\\tablename~\\thetable: the values of "
        "Table~\\the\\numexpr\\value{table}-1\\relax{}",
        f);
  if (d->method == 'b') fprintf(f, " at stage $h = %d$", h);
  fputs(" laid out as the map, each cell its state, the action of ", f);
  fputs(d->method == 'p' ? "$\\pi_{k+1}$" : d->method == 'v' ? "the greedy policy" : "$\\pi_h$", f);
  fputs(" and the value (walls blank; holes, goals and other terminal cells keep their map "
        "letter).\\\\[1ex]\n"
        "{\\small\\setlength{\\tabcolsep}{3pt}\\begin{tabular}{",
        f);
  for (int c = 0; c < g->cols; c++) fputc('c', f);
  fputs("}\n\\toprule\n", f);
  for (int r = 0; r < g->rows; r++) {
    for (int c = 0; c < g->cols; c++) {
      int cell = r * g->cols + c, s = g->state_of_cell[cell];
      char ch = g->cells[cell];
      if (c) fputs(" & ", f);
      if (s < 0) continue;
      fprintf(f, "\\begin{tabular}{@{}c@{}}{\\scriptsize %d}\\\\", s);
      if (ch == '.' || ch == 'F' || ch == 'S' || ch == 'o' || ch == 'R') {
        put_action(f, d->m, action[s]);
      } else {
        char letter[2] = {ch, 0};
        fputs("\\textsf{", f);
        put_text(f, letter);
        fputs("}", f);
      }
      fputs("\\\\", f);
      put_number(f, t->V[(size_t)h * d->m->S + s], d->digits);
      fputs("\\end{tabular}", f);
    }
    fputs(" \\\\\n", f);
  }
  fputs("\\bottomrule\n\\end{tabular}}\n\\end{minipage}\\par\\medskip\n", f);
}

static int write_doc(FILE *f, void *ctx)
{
  const tex_doc *d = ctx;
  fputs("% tabrl solve --format tex: a fragment to \\input; needs only "
        "\\usepackage{booktabs}.\n",
        f);
  for (size_t k = 0; k < d->n_iters; k++) {
    int iter = d->iters[k];
    const tabrl_step *t, *improve = NULL;
    if (d->method == 'p') {
      t = find_step(d->st, iter, TABRL_STEP_EVALUATE);
      improve = find_step(d->st, iter, TABRL_STEP_IMPROVE);
    } else {
      t = find_step(d->st, iter, d->method == 'b' ? TABRL_STEP_STAGE : TABRL_STEP_SWEEP);
    }
    if (!t || (d->method == 'p' && !improve))
      return tabrl_error(TABRL_EINVAL, "no step recorded for iteration %d", iter);
    fputs("\\begin{center}\n", f);
    state_table(f, d, iter, t, improve);
    if (d->m->grid) grid_table(f, d, iter, t, improve);
    fputs("\\end{center}\n", f);
  }
  return ferror(f) ? tabrl_error(TABRL_EIO, "write error") : 0;
}

/* --iterations: "all" (*all set), or a comma-separated list of positive
 * numbers and "last" (stored as 0).  The bounds are checked once the
 * solver has run. */
static int parse_iterations(const char *text, int **out, size_t *n, int *all)
{
  *out = NULL;
  *n = 0;
  *all = !strcmp(text, "all");
  if (*all) return CLI_OK;
  size_t count = 1;
  for (const char *p = text; *p; p++) count += *p == ',';
  int *list = malloc(count * sizeof *list);
  if (!list) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  const char *p = text;
  for (size_t i = 0; i < count; i++) {
    size_t len = strcspn(p, ",");
    if (len == 4 && !strncmp(p, "last", 4)) {
      list[i] = 0;
    } else {
      char *end;
      errno = 0;
      long v = strtol(p, &end, 10);
      if (!len || *p < '0' || *p > '9' || end != p + len || errno || v < 1 || v > 100000000) {
        cli_error("--iterations %s: expected all, last or a comma-separated list of iteration "
                  "numbers from 1 (and last)",
                  text);
        free(list);
        return CLI_USAGE;
      }
      list[i] = (int)v;
    }
    p += len + (p[len] == ',');
  }
  *out = list;
  *n = count;
  return CLI_OK;
}

int cli_solve_tex(const tabrl_mdp *m, int method, double eps, const char *iterations,
                  const char *digits_text, const char *output)
{
  int digits = 4, all = 0, code = CLI_OK, *iters = NULL;
  size_t n_iters = 0;
  tabrl_steps *st = NULL;
  double *V = NULL;
  tabrl_policy *pi = NULL;
  if (digits_text) {
    char *end;
    long v = strtol(digits_text, &end, 10);
    if (end == digits_text || *end || v < 1 || v > 17) {
      cli_error("--digits %s: expected a whole number of decimals from 1 to 17", digits_text);
      return CLI_USAGE;
    }
    digits = (int)v;
  }
  if ((code = parse_iterations(iterations ? iterations : "last", &iters, &n_iters, &all)))
    return code;
  if (m->horizon > 0 && method != 'b') {
    cli_error("--format tex: %s is episodic; its tables are backward induction's (--method "
              "backward)",
              m->name);
    free(iters);
    return CLI_USAGE;
  }
  V = calloc(tabrl_oracle_value_size(m), sizeof *V);
  pi = tabrl_policy_alloc_for(m);
  tabrl_steps_method how = method == 'b'   ? TABRL_STEPS_BACKWARD
                           : method == 'v' ? TABRL_STEPS_VI
                                           : TABRL_STEPS_PI;
  int status = V && pi ? tabrl_steps_record(m, how, eps, V, pi, NULL, &st)
                       : tabrl_error(TABRL_ENOMEM, "out of memory");
  if (status) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  int last = st->step[st->n - 1].iter;
  if (all) {
    long rows = 0, per = (long)m->S + (m->grid ? m->grid->rows : 0);
    for (int k = 1; k <= last; k++) rows += per * (method == 'b' ? k : 1);
    if (rows > CLI_TEX_MAX_ALL_ROWS) {
      cli_error("--iterations all: %d iterations of %s make %ld table rows, above the %d this "
                "writes; choose some with --iterations N,M,...,last",
                last, m->name, rows, CLI_TEX_MAX_ALL_ROWS);
      code = CLI_USAGE;
      goto done;
    }
    if (!(iters = malloc((size_t)last * sizeof *iters))) {
      cli_error("out of memory");
      code = CLI_FAIL;
      goto done;
    }
    for (int k = 0; k < last; k++) iters[k] = k + 1;
    n_iters = (size_t)last;
  }
  for (size_t k = 0; k < n_iters; k++) {
    if (!iters[k]) iters[k] = last;
    if (iters[k] > last) {
      cli_error("--iterations %s: iteration %d is above the last (%d)", iterations, iters[k], last);
      code = CLI_USAGE;
      goto done;
    }
  }
  tex_doc d = {m, st, method, iters, n_iters, digits};
  if (output)
    status = tabrl_write_atomic(output, write_doc, &d);
  else if (!(status = write_doc(stdout, &d)) && fflush(stdout))
    status = tabrl_error(TABRL_EIO, "write error");
  if (status) {
    /* tabrl_write_atomic's message names the file already. */
    if (output)
      cli_error("-o %s", tabrl_error_message());
    else
      cli_error("standard output: %s", tabrl_error_message());
    code = CLI_FAIL;
  }
done:
  free(iters);
  free(V);
  tabrl_policy_free(pi);
  tabrl_steps_free(st);
  return code;
}
