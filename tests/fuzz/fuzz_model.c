/* Fuzz target: model CSV files (tabrl_mdp_read_csv).  A file that reads
 * must also survive its round trip: written back and read again, as
 * `tabrl export` then `file:` does; a failure there aborts (a finding). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/mdp_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_write("model.csv", data, size);
  tabrl_mdp *m = NULL, *again = NULL;
  int horizon = 0;
  /* The file's own time setting; else the one the user would add, when
   * that is what the reader asks for (a second read of any bad file would
   * halve the speed). */
  if (tabrl_mdp_read_csv(path, 0, -1.0, &m)) {
    if (!strstr(tabrl_error_message(), "give --horizon")) return 0;
    horizon = 4;
    if (tabrl_mdp_read_csv(path, horizon, -1.0, &m)) return 0;
  }
  const char *copy = fuzz_path("copy.csv");
  if (tabrl_mdp_write_csv(m, copy) || tabrl_mdp_read_csv(copy, horizon, -1.0, &again)) {
    fprintf(stderr, "round trip failed: %s\n", tabrl_error_message());
    abort();
  }
  tabrl_mdp_free(again);
  tabrl_mdp_free(m);
  return 0;
}
