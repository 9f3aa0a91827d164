/* The initial policy of the policy-optimization types (see init.h). */
#include "policy/init.h"
#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>
#include "tabrl/error.h"

enum { INIT_UNIFORM, INIT_RANDOM, INIT_FILE };

static int init_kind(const char *text, int *kind)
{
  if (!strcmp(text, "uniform"))
    *kind = INIT_UNIFORM;
  else if (!strcmp(text, "random"))
    *kind = INIT_RANDOM;
  else if (!strncmp(text, "file:", 5) && text[5])
    *kind = INIT_FILE;
  else
    return tabrl_error(TABRL_EINVAL, "init = '%s': give uniform, random or file:PI.csv", text);
  return 0;
}

/* The policy reader checks shapes against a model; an algorithm of the
 * online protocol is not given one, so a skeleton with the problem's
 * sizes, time and valid actions (one self-loop per valid action, reward 0)
 * stands in for it. */
static int skeleton(const tabrl_problem *p, tabrl_mdp **out)
{
  int stages = p->valid && p->valid_stages > 1 ? p->valid_stages : 1;
  tabrl_mdp_builder *b = tabrl_mdp_builder_alloc(p->S, p->A, stages);
  if (!b) return TABRL_ENOMEM;
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < p->S; s++)
      for (int a = 0; a < p->A; a++)
        if (tabrl_problem_valid(p, h, s, a)) tabrl_mdp_builder_add(b, h, s, a, s, 1, 0);
  tabrl_mdp_builder_set_time(b, p->horizon, p->horizon > 0 ? 1 : p->gamma);
  int status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

static int read_file(const tabrl_problem *problem, const char *path, tabrl_policy **pi)
{
  tabrl_mdp *m = NULL;
  int status = skeleton(problem, &m);
  if (!status) status = tabrl_policy_read_csv(path, NULL, m, pi, NULL);
  tabrl_mdp_free(m);
  if (status) tabrl_error_prefix("init");
  return status;
}

int tabrl_po_init_check(const tabrl_problem *problem, const tabrl_values *params)
{
  const char *text = tabrl_values_string(params, "init");
  int kind = INIT_UNIFORM, status;
  tabrl_policy *pi = NULL;
  if ((status = init_kind(text, &kind)) || kind != INIT_FILE) return status;
  status = read_file(problem, text + 5, &pi);
  tabrl_policy_free(pi);
  return status;
}

int tabrl_po_init_logits(const tabrl_problem *problem, const tabrl_values *params, double *theta)
{
  const char *text = tabrl_values_string(params, "init");
  int stages = problem->horizon > 0 ? problem->horizon : 1, kind = INIT_UNIFORM, status;
  tabrl_policy *pi = NULL;
  if ((status = init_kind(text, &kind))) return status;
  if (kind == INIT_RANDOM && !problem->rng)
    return tabrl_error(TABRL_EINVAL, "init = random needs the algorithm's random stream");
  if (kind == INIT_FILE && (status = read_file(problem, text + 5, &pi))) return status;
  for (int h = 0; h < stages; h++)
    for (int s = 0; s < problem->S; s++)
      for (int a = 0; a < problem->A; a++) {
        double *t = theta + ((size_t)h * problem->S + s) * problem->A + a;
        if (!tabrl_problem_valid(problem, h, s, a))
          *t = -INFINITY;
        else if (kind == INIT_RANDOM)
          *t = gsl_ran_gaussian(problem->rng, 1.0);
        else if (kind == INIT_FILE) {
          double p = tabrl_policy_row(pi, h, s)[a];
          *t = p > 0 ? log(p) : -INFINITY;
        } else
          *t = 0;
      }
  tabrl_policy_free(pi);
  return 0;
}
