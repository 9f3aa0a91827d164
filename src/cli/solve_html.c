/* tabrl solve --format html: the recorded steps of the solver
 * (tabrl_steps_record) inlined as JSON into one page with the embedded
 * script and style sheet (src/cli/page/), so the page needs no network.
 *
 * The data block (read by src/cli/page/solve.js):
 *   series: every step as [kind, iter, residual, changes] (the plot);
 *   view:   the steps the slider visits as [step index, data index];
 *   data:   V (stages x shown), Q (stages x shown x A), a (stages x shown)
 *           of the steps whose arrays are inlined.
 * Backward induction inlines only its last step: stage h, once computed,
 * never changes, so step t shows the final values of stages h >= H - t. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/solve_html.h"
#include "model/fileio.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/steps.h"

extern const char cli_page_solve_js[], cli_page_solve_css[];

typedef struct {
  const tabrl_mdp *m;
  const tabrl_steps *st;
  const char *env;
  const tabrl_env_type *type;
  const tabrl_values *values;
  int method, shown, max_outcomes;
  size_t *view; /* step indices the slider visits */
  size_t nview;
  char note[768];
} page;

/* A number, null where JSON has none (NAN: not computed; -inf: invalid
 * action). */
static void json_number(FILE *f, double x, const char *format)
{
  if (isfinite(x))
    fprintf(f, format, x);
  else
    fputs("null", f);
}

static const char *method_name(int method)
{
  return method == 'b' ? "backward" : method == 'v' ? "vi" : "pi";
}

static const char *kind_name(tabrl_step_kind kind)
{
  static const char *const names[] = {"start", "sweep", "evaluate", "improve", "stage"};
  return names[kind];
}

static const tabrl_param *param_of(const tabrl_env_type *type, const char *name)
{
  for (const tabrl_param *p = type ? type->params : NULL; p && p->name; p++)
    if (!strcmp(p->name, name)) return p;
  return NULL;
}

static void write_arrays(FILE *f, const page *pg, const tabrl_step *t)
{
  const int S = pg->m->S, A = pg->m->A, stages = pg->st->stages, shown = pg->shown;
  fputs("{\"V\":[", f);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < shown; s++) {
      if (h || s) putc(',', f);
      json_number(f, t->V[(size_t)h * S + s], "%.17g");
    }
  fputs("],\"Q\":[", f);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < shown; s++)
      for (int a = 0; a < A; a++) {
        if (h || s || a) putc(',', f);
        json_number(f, t->Q[((size_t)h * S + s) * A + a], "%.10g");
      }
  fputs("],\"a\":[", f);
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < shown; s++) fprintf(f, "%s%d", h || s ? "," : "", t->action[h * S + s]);
  fputs("]}", f);
}

static void write_json(FILE *f, const page *pg)
{
  const tabrl_mdp *m = pg->m;
  const tabrl_steps *st = pg->st;
  fputs("{\"env\":", f);
  cli_json_string(f, pg->env);
  fputs(",\"doc\":", f);
  cli_json_string(f, pg->type ? pg->type->doc : "");
  fprintf(f, ",\"S\":%d,\"A\":%d,\"stages\":%d,\"horizon\":%d,\"gamma\":%.17g", m->S, m->A,
          st->stages, m->horizon, m->gamma);
  fprintf(f, ",\"method\":\"%s\",\"eps\":%.17g,\"threshold\":", method_name(pg->method), st->eps);
  json_number(f, pg->method == 'v' ? st->threshold : NAN, "%.17g");
  fprintf(f, ",\"iterations\":%d,\"shown\":%d,\"maxOutcomes\":%d,\"sparsePI\":%s", st->iterations,
          pg->shown, pg->max_outcomes,
          pg->method == 'p' && m->S > TABRL_ORACLE_DENSE_PI_MAX_STATES ? "true" : "false");
  fputs(",\"note\":", f);
  cli_json_string(f, pg->note);
  fputs(",\"params\":[", f);
  for (size_t i = 0; pg->values && i < tabrl_values_count(pg->values); i++) {
    const char *name = tabrl_values_name(pg->values, i);
    const tabrl_param *p = param_of(pg->type, name);
    fputs(i ? ",[" : "[", f);
    cli_json_string(f, name);
    putc(',', f);
    cli_json_string(f, tabrl_values_text(pg->values, i) ? tabrl_values_text(pg->values, i)
                                                        : "(unset)");
    putc(',', f);
    cli_json_string(f, p ? p->doc : "");
    putc(']', f);
  }
  /* The outcomes of every (state, action) so that a click can show how
   * Q(s, a) is made: small models only, and all of their states. */
  fputs("],\"P\":", f);
  if (pg->shown == m->S && m->nnz <= CLI_HTML_MAX_OUTCOMES) {
    fprintf(f, "{\"stages\":%d,\"rows\":[", m->stages);
    for (size_t b = 0; b < (size_t)m->stages * m->S * m->A; b++) {
      fputs(b ? ",[" : "[", f);
      for (size_t k = m->row[b]; k < m->row[b + 1]; k++)
        fprintf(f, "%s[%d,%.17g,%.17g]", k > m->row[b] ? "," : "", m->next[k], m->prob[k],
                m->reward[k]);
      putc(']', f);
    }
    fputs("]}", f);
  } else {
    fputs("null", f);
  }
  fputs(",\"grid\":", f);
  if (m->grid && m->S <= CLI_HTML_GRID_MAX_STATES) {
    const tabrl_grid *g = m->grid;
    char *cells = malloc((size_t)g->rows * g->cols + 1);
    fprintf(f, "{\"rows\":%d,\"cols\":%d,\"cells\":", g->rows, g->cols);
    if (cells) {
      memcpy(cells, g->cells, (size_t)g->rows * g->cols);
      cells[(size_t)g->rows * g->cols] = '\0';
    }
    cli_json_string(f, cells);
    free(cells);
    fputs(",\"glyphs\":", f);
    cli_json_string(f, g->action_glyphs);
    fputs(",\"state\":[", f);
    for (int i = 0; i < g->rows * g->cols; i++)
      fprintf(f, "%s%d", i ? "," : "", g->state_of_cell[i]);
    fputs("]}", f);
  } else {
    fputs("null", f);
  }
  fputs(",\"series\":[", f);
  for (size_t i = 0; i < st->n; i++) {
    const tabrl_step *t = &st->step[i];
    fprintf(f, "%s[\"%s\",%d,", i ? "," : "", kind_name(t->kind), t->iter);
    json_number(f, t->residual, "%.6g");
    fprintf(f, ",%ld]", t->changes);
  }
  /* Backward induction: one data entry (the last step) for every step. */
  fputs("],\"view\":[", f);
  for (size_t i = 0; i < pg->nview; i++)
    fprintf(f, "%s[%zu,%zu]", i ? "," : "", pg->view[i], pg->method == 'b' ? 0 : i);
  fputs("],\"data\":[", f);
  if (pg->method == 'b')
    write_arrays(f, pg, &st->step[st->n - 1]);
  else
    for (size_t i = 0; i < pg->nview; i++) {
      if (i) putc(',', f);
      write_arrays(f, pg, &st->step[pg->view[i]]);
    }
  fputs("]}", f);
}

static int write_page(FILE *f, void *ctx)
{
  const page *pg = ctx;
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
  /* Nothing may be fetched: a request would be refused and reported on
   * the console, which the tests read. */
  fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n",
        f);
  fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>tabrl "
        "solve ",
        f);
  for (const char *s = pg->env; *s; s++)
    if (*s == '<')
      fputs("&lt;", f);
    else if (*s == '&')
      fputs("&amp;", f);
    else
      putc(*s, f);
  fprintf(f, " (%s)</title>\n<style>\n%s</style>\n</head>\n<body>\n", method_name(pg->method),
          cli_page_solve_css);
  fputs("<noscript>This page draws the solver's steps with JavaScript; `tabrl solve --format "
        "csv` prints the final values.</noscript>\n<div id=\"app\"></div>\n",
        f);
  fputs("<script type=\"application/json\" id=\"data\">", f);
  write_json(f, pg);
  fprintf(f, "</script>\n<script>\n%s</script>\n</body>\n</html>\n", cli_page_solve_js);
  return ferror(f) ? tabrl_error(TABRL_EIO, "write error") : 0;
}

/* Bytes one step's arrays may take: the longest %.17g / %.10g / action
 * texts with their commas. */
static double step_bytes(const tabrl_mdp *m, int stages, int shown)
{
  return (double)stages * shown * (25.0 + 18.0 * m->A + 4.0) + 16.0;
}

/* Chooses the states inlined and the steps the slider visits so the page
 * stays under CLI_HTML_MAX_BYTES: all steps if they fit, else the first
 * ones (up to 100), every k-th after them, and the last. */
static int choose(page *pg)
{
  const tabrl_mdp *m = pg->m;
  const tabrl_steps *st = pg->st;
  int stages = st->stages;
  double fixed = (double)strlen(cli_page_solve_js) + (double)strlen(cli_page_solve_css) +
                 (m->nnz <= CLI_HTML_MAX_OUTCOMES ? 40.0 * (double)m->nnz : 0.0) +
                 60.0 * (double)st->n + 16384.0 +
                 (m->grid ? 12.0 * m->grid->rows * m->grid->cols : 0.0);
  size_t arrays = pg->method == 'b' ? 1 : 2; /* at least the first and the last */
  size_t used = 0;
  pg->shown = m->S < CLI_HTML_TABLE_MAX_STATES ? m->S : CLI_HTML_TABLE_MAX_STATES;
  while (pg->shown > 1 &&
         fixed + (double)arrays * step_bytes(m, stages, pg->shown) > CLI_HTML_MAX_BYTES)
    pg->shown /= 2;
  if (pg->shown < m->S)
    used = (size_t)snprintf(pg->note, sizeof pg->note,
                            "%d states: the page shows the first %d (tabrl solve --format csv "
                            "lists all). ",
                            m->S, pg->shown);
  if (m->grid && m->S > CLI_HTML_GRID_MAX_STATES && used < sizeof pg->note)
    used += (size_t)snprintf(pg->note + used, sizeof pg->note - used,
                             "More than %d states: a table instead of the grid. ",
                             CLI_HTML_GRID_MAX_STATES);
  if (!(pg->view = malloc(st->n * sizeof *pg->view)))
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  size_t fit = pg->method == 'b'
                   ? st->n
                   : (size_t)((CLI_HTML_MAX_BYTES - fixed) / step_bytes(m, stages, pg->shown));
  if (fit < 2) fit = 2;
  if (fit >= st->n) {
    for (size_t i = 0; i < st->n; i++) pg->view[pg->nview++] = i;
    return 0;
  }
  size_t first = fit / 2 < 100 ? fit / 2 : 100, rest = st->n - first - 1;
  size_t k = (rest + (fit - first - 1) - 1) / (fit - first - 1);
  if (k < 1) k = 1;
  for (size_t i = 0; i < first; i++) pg->view[pg->nview++] = i;
  for (size_t i = first; i + 1 < st->n; i += k) pg->view[pg->nview++] = i;
  pg->view[pg->nview++] = st->n - 1;
  if (used < sizeof pg->note)
    snprintf(pg->note + used, sizeof pg->note - used,
             "%zu steps recorded: to stay under %d bytes the slider visits the first %zu, then "
             "every %zu-th, and the last (the plot shows every step).",
             st->n, CLI_HTML_MAX_BYTES, first, k);
  return 0;
}

/* The env's parameters as resolved for this model, for the table at the
 * top: the same settings cli_build_env applied. */
static tabrl_values *resolve_values(const char *env, const cli_settings *settings,
                                    const char *horizon, const char *gamma,
                                    const tabrl_env_type **type)
{
  const char *path = NULL;
  tabrl_values *v = NULL;
  size_t n = settings->n;
  tabrl_setting *all = malloc((n + 2) * sizeof *all);
  *type = tabrl_env_find(env, &path);
  if (!all || !*type) {
    free(all);
    return NULL;
  }
  if (n) memcpy(all, settings->items, n * sizeof *all);
  if (horizon) all[n++] = (tabrl_setting){"horizon", horizon, "--horizon", 0};
  if (gamma) all[n++] = (tabrl_setting){"gamma", gamma, "--gamma", 0};
  if (path) all[n++] = (tabrl_setting){"path", path, "file:", 0};
  /* A file: env's own table may not know `path`: then no table. */
  if (tabrl_values_resolve((*type)->params, env, all, n, 1, &v)) v = NULL;
  free(all);
  return v;
}

int cli_solve_html(const char *env, const cli_settings *settings, const char *horizon,
                   const char *gamma, const tabrl_mdp *m, int method, double eps,
                   const tabrl_trace *trace, const char *output)
{
  page pg = {.m = m, .env = env, .method = method};
  tabrl_steps *st = NULL;
  tabrl_values *values = resolve_values(env, settings, horizon, gamma, &pg.type);
  double *V = calloc(tabrl_oracle_value_size(m), sizeof *V);
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  int status = V && pi ? 0 : tabrl_error(TABRL_ENOMEM, "out of memory");
  tabrl_steps_method how = method == 'b'   ? TABRL_STEPS_BACKWARD
                           : method == 'v' ? TABRL_STEPS_VI
                                           : TABRL_STEPS_PI;
  if (!status) status = tabrl_steps_record(m, how, eps, V, pi, trace, &st);
  pg.st = st;
  pg.values = values;
  for (size_t b = 0; !status && b < (size_t)m->stages * m->S * m->A; b++) {
    size_t k = m->row[b + 1] - m->row[b];
    if ((int)k > pg.max_outcomes) pg.max_outcomes = (int)k;
  }
  if (!status) status = choose(&pg);
  int writing = !status;
  if (!status) {
    if (output)
      status = tabrl_write_atomic(output, write_page, &pg);
    else if (write_page(stdout, &pg) || fflush(stdout))
      status = tabrl_error(TABRL_EIO, "standard output: write error");
  }
  if (status) {
    if (writing && output)
      cli_error("-o %s", tabrl_error_message()); /* the message names the file */
    else
      cli_error("--format html: %s", tabrl_error_message());
  }
  free(pg.view);
  tabrl_steps_free(st);
  tabrl_policy_free(pi);
  free(V);
  tabrl_values_free(values);
  return status ? (status == TABRL_EINVAL ? CLI_USAGE : CLI_FAIL) : CLI_OK;
}
