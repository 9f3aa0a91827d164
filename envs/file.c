/* A model read from a CSV file (the format of tabrl/mdp_io.h), so any MDP
 * can be loaded with `env = file:path.csv` and an exported env read back.
 *
 * The file's `# horizon` / `# gamma` decide the time structure unless the
 * user sets `horizon` or `gamma` (one of them) here. */
#include <stdlib.h>
#include <string.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/mdp_io.h"

static const tabrl_param file_params[] = {
    {"path", TABRL_STRING, NULL, NULL, "the CSV file (given as file:PATH in the env name)"},
    {"horizon", TABRL_INT, "", "[1,inf)", "episode length H; overrides the file's horizon/gamma"},
    {"gamma", TABRL_DOUBLE, "", "[0,1)", "discount factor; overrides the file's horizon/gamma"},
    {0},
};

static int file_build(const tabrl_values *v, tabrl_mdp **out)
{
  const char *path = tabrl_values_string(v, "path");
  int set_h = tabrl_values_explicit(v, "horizon"), set_g = tabrl_values_explicit(v, "gamma");
  int horizon = set_h ? (int)tabrl_values_int(v, "horizon") : 0;
  double gamma = set_g ? tabrl_values_double(v, "gamma") : -1.0;
  int status;

  if (set_h && set_g)
    return tabrl_error(TABRL_EINVAL,
                       "set either horizon (episodic) or gamma (discounted), not both");
  if ((status = tabrl_mdp_read_csv(path, horizon, gamma, out))) return status;
  if (!(*out)->name) {
    /* Unnamed files are named after their base name without extension
     * ("models/river.csv" -> "river"), a label fit for CSV columns. */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strcspn(base, ".");
    char *name = malloc(n + 5);
    if (!name) {
      tabrl_mdp_free(*out);
      *out = NULL;
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    memcpy(name, base, n);
    name[n] = '\0';
    if (n == 0) strcpy(name, "file");
    (*out)->name = name;
  }
  return 0;
}

const tabrl_env_type tabrl_env_file = {
    .name = "file",
    .doc = "a model read from a CSV file: env = file:PATH (see tabrl/mdp_io.h for the format)",
    .source = "tabrl's CSV model format (tabrl export writes it)",
    .params = file_params,
    .build = file_build,
};
