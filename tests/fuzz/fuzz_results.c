/* Fuzz target: result directories, as summarize, merge and plot read them.
 * Input, NUL-separated: manifest.ini and runs.csv of a first directory,
 * the same of a second (merged with the first), a summary.csv (plotted
 * with the first manifest) and a swept key for `plot --x`.  Missing parts
 * are missing files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "tabrl/error.h"
#include "tabrl/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const names[] = {"a/manifest.ini", "a/runs.csv", "b/manifest.ini",
                                      "b/runs.csv", "c/summary.csv"};
  static int once;
  const uint8_t *part;
  size_t part_size, k = 0;
  char x_key[64] = "";

  if (!once) {
    /* plot writes its script, then finds no gnuplot: the figure is not
     * what is under test, and no process is started per input. */
    setenv("PATH", "/nonexistent", 1);
    once = 1;
  }
  fuzz_clear("");
  fuzz_path("a/");
  fuzz_path("b/");
  fuzz_path("c/");
  while (fuzz_next_part(&data, &size, &part, &part_size)) {
    if (k < 5) {
      fuzz_write(names[k], part, part_size);
      if (k == 0) fuzz_write("c/manifest.ini", part, part_size);
    } else if (k == 5 && part_size < sizeof x_key) {
      memcpy(x_key, part, part_size);
      x_key[part_size] = '\0';
    }
    k++;
  }
  char a[512], b[512], out[512], c[512];
  snprintf(a, sizeof a, "%s", fuzz_path("a"));
  snprintf(b, sizeof b, "%s", fuzz_path("b"));
  snprintf(c, sizeof c, "%s", fuzz_path("c"));
  snprintf(out, sizeof out, "%s", fuzz_path("out"));
  const char *dirs[] = {a, b};

  tabrl_results_summarize(a);
  tabrl_results_merge(dirs, k > 2 ? 2 : 1, out, NULL);
  tabrl_plot_options opt = {0};
  opt.terminal = "dumb";
  opt.output = fuzz_path("c/plot.txt");
  tabrl_plot(c, &opt);
  if (*x_key) {
    opt.x_key = x_key;
    tabrl_plot(c, &opt);
  }
  return 0;
}
