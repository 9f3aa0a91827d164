/* Fuzz target: policy CSV files (tabrl_policy_read_csv, what `tabrl eval
 * --policy` reads).  The file is read against a small episodic and a
 * discounted model, with and without a selection, and without a model (the
 * provenance pass); a policy that reads must pass tabrl_policy_check, or
 * the reader let something through it promises to refuse (a finding). */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tabrl_mdp *episodic, *discounted;

static tabrl_mdp *model(const char *time_key, const char *time_value)
{
  tabrl_setting set[] = {{"states", "3", "fuzz", 0}, {time_key, time_value, "fuzz", 0}};
  tabrl_mdp *m = NULL;
  if (tabrl_env_build("riverswim", set, 2, &m)) abort();
  return m;
}

static void read_against(const char *path, const char *select, const tabrl_mdp *m)
{
  tabrl_policy *pi = NULL;
  tabrl_policy_source source;
  if (tabrl_policy_read_csv(path, select, m, &pi, &source)) return;
  if (tabrl_policy_check(pi, m)) {
    fprintf(stderr, "accepted a policy that does not fit the model: %s\n", tabrl_error_message());
    abort();
  }
  tabrl_policy_free(pi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!episodic) {
    tabrl_init();
    episodic = model("horizon", "3");
    discounted = model("gamma", "0.9");
  }
  const char *path = fuzz_write("policy.csv", data, size);
  tabrl_policy_source source;
  tabrl_policy_read_csv(path, NULL, NULL, NULL, &source);
  read_against(path, NULL, episodic);
  read_against(path, "algo=vi,seed=0", episodic);
  read_against(path, NULL, discounted);
  return 0;
}
