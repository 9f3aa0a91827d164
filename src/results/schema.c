/* The CSV schemas; see tabrl/schema.h.  The headers are spelled out by the
 * same lists as the enums, so they cannot disagree. */
#include "tabrl/schema.h"

#define NAME(id, name) name,
#define JOINED(id, name) "," name

static const char *const runs_columns[] = {TABRL_RUNS_LIST(NAME)};
static const char *const summary_columns[] = {TABRL_SUMMARY_LIST(NAME)};
static const char *const policies_columns[] = {TABRL_POLICIES_LIST(NAME)};

/* ",env,algo,..." without its first comma. */
static const char runs_header[] = TABRL_RUNS_LIST(JOINED);
static const char summary_header[] = TABRL_SUMMARY_LIST(JOINED);
static const char policies_header[] = TABRL_POLICIES_LIST(JOINED);

const tabrl_schema tabrl_schema_runs = {"runs.csv", TABRL_RUNS_COLUMNS, runs_columns,
                                        runs_header + 1};
const tabrl_schema tabrl_schema_summary = {"summary.csv", TABRL_SUMMARY_COLUMNS, summary_columns,
                                           summary_header + 1};
const tabrl_schema tabrl_schema_policies = {"policies.csv", TABRL_POLICIES_COLUMNS,
                                            policies_columns, policies_header + 1};

void tabrl_schema_write_header(const tabrl_schema *s, FILE *f)
{
  fprintf(f, "%s\n", s->header);
}

size_t tabrl_schema_split(char *line, char **fields, size_t max)
{
  size_t n = 0;
  for (char *p = line;; p++) {
    if (n < max) fields[n] = p;
    n++;
    while (*p && *p != ',') p++;
    if (!*p) break;
    *p = '\0';
  }
  return n;
}
