/* Helpers shared by the subcommands: --set lists and building an env. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "tabrl/env.h"
#include "tabrl/error.h"

int cli_settings_add(cli_settings *s, const char *arg, const char *source)
{
  static char empty[] = "";
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) {
    cli_error("%s %s: expected key=value", source, arg);
    return CLI_USAGE;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    tabrl_setting *items = realloc(s->items, cap * sizeof *items);
    if (!items) {
      cli_error("out of memory");
      return CLI_FAIL;
    }
    s->items = items;
    s->cap = cap;
  }
  /* The key is the text before '='; keep argv intact by copying it. */
  char *key = malloc((size_t)(eq - arg) + 1);
  if (!key) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  memcpy(key, arg, (size_t)(eq - arg));
  key[eq - arg] = '\0';
  s->items[s->n++] = (tabrl_setting){key, eq[1] ? eq + 1 : empty, source, 0};
  /* key is owned by s (freed in cli_settings_free). */
  // cppcheck-suppress memleak
  return CLI_OK;
}

void cli_settings_free(cli_settings *s)
{
  for (size_t i = 0; i < s->n; i++) free((char *)s->items[i].key);
  free(s->items);
  s->items = NULL;
  s->n = s->cap = 0;
}

int cli_build_env(const char *name, const cli_settings *settings, const char *horizon,
                  const char *gamma, tabrl_mdp **out)
{
  size_t n = settings->n;
  tabrl_setting *all = malloc((n + 2) * sizeof *all);
  int status;
  if (!all) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  if (n) memcpy(all, settings->items, n * sizeof *all);
  if (horizon) all[n++] = (tabrl_setting){"horizon", horizon, "--horizon", 0};
  if (gamma) all[n++] = (tabrl_setting){"gamma", gamma, "--gamma", 0};
  status = tabrl_env_build(name, all, n, out);
  free(all);
  if (status) {
    /* Everything that can go wrong here comes from the user's input
     * (including an unreadable model file), except running out of memory. */
    cli_error("%s", tabrl_error_message());
    return status == TABRL_ENOMEM ? CLI_FAIL : CLI_USAGE;
  }
  return CLI_OK;
}
