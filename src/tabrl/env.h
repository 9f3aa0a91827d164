/* tabrl/env.h: environment types and the environment registry.
 *
 * An environment type turns validated parameter values into a model.  It
 * never sees an algorithm.  Random instances (garnet, linear ...) draw from
 * the stream (seed, TABRL_STREAM_ENV) of their `seed` parameter, which the
 * runner sets to the run's seed so all algorithms of a seed face one
 * instance. */
#ifndef TABRL_ENV_H
#define TABRL_ENV_H

#include "tabrl/mdp.h"
#include "tabrl/param.h"

#pragma GCC visibility push(default)

typedef struct {
  const char *name;
  const char *doc;    /* one line */
  const char *source; /* where the definition comes from (paper, library) */
  const tabrl_param *params;
  int (*build)(const tabrl_values *params, tabrl_mdp **out);
} tabrl_env_type;

/* NULL-terminated list of all registered types. */
extern const tabrl_env_type *const tabrl_env_types[];

/* Finds a type by name; on failure sets "unknown environment 'x'; did you
 * mean 'y'?" and returns NULL.  "file:PATH" names the file type and stores
 * PATH in *path (else *path = NULL). */
const tabrl_env_type *tabrl_env_find(const char *name, const char **path);

/* Resolves settings against the type's table (plus `path` for file:) and
 * builds the model, naming it after the type. */
int tabrl_env_build(const char *name, const tabrl_setting *settings, size_t n, tabrl_mdp **out);

/* The horizon/gamma convention shared by all envs: each env table has
 * `horizon` and `gamma`; whichever the user sets explicitly decides (both is
 * an error); otherwise the env's default (a non-empty `horizon` default means
 * episodic). */
int tabrl_env_time(const tabrl_values *v, int *horizon, double *gamma);

#define TABRL_ENV_TIME_PARAMS(hdef, gdef)                                                          \
  {"horizon", TABRL_INT, hdef, "[1,inf)", "episode length H (episodic model)"},                    \
  {                                                                                                \
    "gamma", TABRL_DOUBLE, gdef, "[0,1)",                                                          \
        "discount factor (discounted model; set instead of horizon)"                               \
  }

#pragma GCC visibility pop

#endif
