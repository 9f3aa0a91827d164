/* Fuzz target: model CSV files (tabrl_mdp_read_csv).  A file that reads
 * must also survive its round trip: written back and read again, as
 * `tabrl export` then `file:` does; a failure there aborts (a finding). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "tabrl/error.h"
#include "tabrl/mdp.h"
#include "tabrl/mdp_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bound on the blocks the input asks for: the product of the sizes it
 * declares (# states, # actions, # horizon), times the square of the
 * largest integer it holds (the rows' state and action indices size the
 * model when nothing is declared).  States without rows are absorbing, so
 * a 60-byte file can ask for tens of millions of blocks: a valid model
 * whose memory and build time (about 100 bytes and 50 ns a block), not its
 * parsing, would be measured.  Inputs above 2^22 are skipped. */
static double declared_blocks(const uint8_t *data, size_t size)
{
  double blocks = 1;
  for (size_t i = 0; i < size; i++) {
    if (data[i] != '#' || (i > 0 && data[i - 1] != '\n')) continue;
    char line[64];
    size_t n = 0;
    while (i + n < size && n < sizeof line - 1 && data[i + n] != '\n') {
      line[n] = (char)data[i + n];
      n++;
    }
    line[n] = '\0';
    char key[16];
    double value;
    if (sscanf(line, "# %15[a-z] = %lf", key, &value) == 2 && value > 1 &&
        (!strcmp(key, "states") || !strcmp(key, "actions") || !strcmp(key, "horizon")))
      blocks *= value;
  }
  double largest = 0;
  for (size_t i = 0; i < size; i++) {
    if (!isdigit(data[i]) || (i > 0 && strchr(".eE+-0123456789", data[i - 1]))) continue;
    double value = 0;
    size_t j = i;
    while (j < size && isdigit(data[j]) && value < 1e12) value = 10 * value + (data[j++] - '0');
    if (j < size && strchr(".eE", data[j])) continue; /* a real number: a probability, a reward */
    largest = value > largest ? value : largest;
  }
  return blocks * (largest + 1) * (largest + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (declared_blocks(data, size) > 4194304.0) return 0;
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
