/* Fuzz target: grid maps (the gridworld env's map_file). */
#include "fuzz.h"
#include "tabrl/env.h"
#include "tabrl/mdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_write("map.txt", data, size);
  tabrl_setting settings[] = {{"map_file", path, "fuzz", 1}, {"horizon", "8", "fuzz", 2}};
  tabrl_mdp *m = NULL;
  if (!tabrl_env_build("gridworld", settings, 2, &m)) tabrl_mdp_free(m);
  return 0;
}
