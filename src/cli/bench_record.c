/* The recorder of `tabrl bench` figures and their JSON writer. */
#include "cli/bench_record.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"

typedef struct {
  char name[96];
  const char *unit;
  bench_better better;
  double value;
} figure;

static figure *figures;
static size_t n_figures, cap_figures;
static int lost; /* a figure could not be stored: the file would lie */

void bench_record(const char *unit, bench_better better, double value, const char *fmt, ...)
{
  if (!isfinite(value)) return;
  if (n_figures == cap_figures) {
    size_t cap = cap_figures ? 2 * cap_figures : 64;
    figure *grown = realloc(figures, cap * sizeof *grown);
    if (!grown) {
      lost = 1;
      return;
    }
    figures = grown;
    cap_figures = cap;
  }
  figure *f = &figures[n_figures++];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->name, sizeof f->name, fmt, ap);
  va_end(ap);
  f->unit = unit;
  f->better = better;
  f->value = value;
}

void bench_record_clear(void)
{
  free(figures);
  figures = NULL;
  n_figures = cap_figures = 0;
  lost = 0;
}

void bench_load(double load[3])
{
  FILE *in = fopen("/proc/loadavg", "r");
  load[0] = load[1] = load[2] = NAN;
  if (in) {
    if (fscanf(in, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = NAN;
    fclose(in);
  }
}

void bench_print_load(const char *when)
{
  double load[3];
  bench_load(load);
  if (isfinite(load[0]))
    printf("load average (1, 5, 15 min) %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
  else
    printf("load average %s: unknown (no /proc/loadavg)\n", when);
}

int bench_record_write(const char *path, const char *version, int quick)
{
  if (lost) {
    cli_error("%s: out of memory recording the figures", path);
    return CLI_FAIL;
  }
  double load[3];
  bench_load(load);
  char date[32];
  time_t now = time(NULL);
  struct tm tm;
  if (!gmtime_r(&now, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(date, sizeof date, "unknown");
  FILE *out = fopen(path, "w");
  if (!out) {
    cli_error("%s: cannot write", path);
    return CLI_FAIL;
  }
  fprintf(out, "{\n  \"tabrl_version\": ");
  cli_json_string(out, version);
  fprintf(out, ",\n  \"date\": \"%s\",\n  \"quick\": %s,\n", date, quick ? "true" : "false");
  /* null where /proc/loadavg is missing (not Linux): a number would lie. */
  if (isfinite(load[0]))
    fprintf(out, "  \"load\": [%.2f, %.2f, %.2f],\n", load[0], load[1], load[2]);
  else
    fprintf(out, "  \"load\": null,\n");
  fprintf(out, "  \"figures\": [");
  for (size_t i = 0; i < n_figures; i++) {
    const figure *f = &figures[i];
    fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
    cli_json_string(out, f->name);
    fprintf(out, ", \"value\": %.17g, \"unit\": \"%s\", \"better\": \"%s\"}", f->value, f->unit,
            f->better == BENCH_HIGHER ? "higher" : "lower");
  }
  fprintf(out, "\n  ]\n}\n");
  if (fclose(out)) {
    cli_error("%s: cannot write", path);
    remove(path);
    return CLI_FAIL;
  }
  return CLI_OK;
}
