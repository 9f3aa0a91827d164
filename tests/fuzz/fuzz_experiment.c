/* Fuzz target: experiment files (tabrl_experiment_load), with --set
 * overrides.  Input: the file, then optionally NUL-separated overrides
 * ("section.key=value", as `tabrl run --set` passes them). */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "tabrl/error.h"
#include "tabrl/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  enum { MAX_OVERRIDES = 8 };
  char *overrides[MAX_OVERRIDES];
  size_t n = 0;
  const uint8_t *part;
  size_t part_size;

  if (!fuzz_next_part(&data, &size, &part, &part_size)) return 0;
  const char *path = fuzz_write("exp.ini", part, part_size);
  while (n < MAX_OVERRIDES && fuzz_next_part(&data, &size, &part, &part_size)) {
    if (!(overrides[n] = malloc(part_size + 1))) abort();
    memcpy(overrides[n], part, part_size);
    overrides[n++][part_size] = '\0';
  }
  tabrl_experiment *e = NULL;
  if (!tabrl_experiment_load(path, (const char *const *)overrides, n, &e)) {
    /* What a run asks of a loaded experiment first. */
    size_t count;
    free(tabrl_experiment_checkpoints(e, &count));
    tabrl_experiment_free(e);
  }
  for (size_t i = 0; i < n; i++) free(overrides[i]);
  return 0;
}
