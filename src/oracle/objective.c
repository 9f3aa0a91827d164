/* The objective registry, parsing NAME[:PARAM] and dispatch; see
 * tabrl/objective.h.  Adding an objective: one file defining a const
 * tabrl_objective_type, one line in the list below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/objective.h"

/* Alphabetical by name: `tabrl list objectives` prints them in this order. */
extern const tabrl_objective_type tabrl_objective_coverage;
extern const tabrl_objective_type tabrl_objective_cvar;
extern const tabrl_objective_type tabrl_objective_ecrm;
extern const tabrl_objective_type tabrl_objective_entropic;
extern const tabrl_objective_type tabrl_objective_occupancy_entropy;
extern const tabrl_objective_type tabrl_objective_homeostatic;
extern const tabrl_objective_type tabrl_objective_kl_robust;
extern const tabrl_objective_type tabrl_objective_mean_variance;
extern const tabrl_objective_type tabrl_objective_penalty;
extern const tabrl_objective_type tabrl_objective_threshold;

const tabrl_objective_type *const tabrl_objective_types[] = {
    &tabrl_objective_coverage,
    &tabrl_objective_cvar,
    &tabrl_objective_ecrm,
    &tabrl_objective_entropic,
    &tabrl_objective_occupancy_entropy,
    &tabrl_objective_homeostatic,
    &tabrl_objective_kl_robust,
    &tabrl_objective_mean,
    &tabrl_objective_mean_variance,
    &tabrl_objective_penalty,
    &tabrl_objective_threshold,
    NULL,
};

const tabrl_objective_type *tabrl_objective_find(const char *name)
{
  const char *names[64];
  size_t n = 0;
  for (size_t i = 0; tabrl_objective_types[i]; i++) {
    if (!strcmp(tabrl_objective_types[i]->name, name)) return tabrl_objective_types[i];
    if (n < sizeof names / sizeof names[0]) names[n++] = tabrl_objective_types[i]->name;
  }
  tabrl_error_unknown("objective", "objectives", name, names, n);
  return NULL;
}

int tabrl_objective_parse(const char *text, tabrl_objective *out)
{
  char name[64];
  const char *colon = strchr(text, ':');
  size_t length = colon ? (size_t)(colon - text) : strlen(text);
  int status;
  if (length >= sizeof name || strlen(text) >= sizeof out->text)
    return tabrl_error(TABRL_EINVAL, "objective '%.40s...' is too long", text);
  memcpy(name, text, length);
  name[length] = '\0';
  const tabrl_objective_type *type = tabrl_objective_find(name);
  if (!type) return TABRL_ENOTFOUND;
  const tabrl_param *p = type->params && type->params[0].name ? &type->params[0] : NULL;
  out->type = type;
  out->param = 0;
  snprintf(out->text, sizeof out->text, "%s", text);
  if (!p && colon)
    return tabrl_error(TABRL_EINVAL, "objective '%s': %s takes no parameter", text, name);
  const char *value = colon ? colon + 1 : p && p->def && *p->def ? p->def : NULL;
  if (p && !value)
    return tabrl_error(TABRL_EINVAL, "objective '%s' needs its parameter: %s:%s (%s)", text, name,
                       p->name, p->doc);
  if (p && (status = tabrl_param_parse(p, value, &out->param))) {
    tabrl_error_prefix("objective '%s': %s", text, p->name);
    return status;
  }
  return 0;
}

tabrl_objective tabrl_objective_default(void)
{
  tabrl_objective o = {&tabrl_objective_mean, 0, "mean"};
  return o;
}

int tabrl_objective_optimum(const tabrl_objective *o, const tabrl_mdp *m, double *V,
                            tabrl_policy *pi, double *J)
{
  int status = o->type->optimum(o, m, V, pi, J);
  if (status) tabrl_error_prefix("objective %s: optimum", o->text);
  return status;
}

int tabrl_objective_value(const tabrl_objective *o, const tabrl_mdp *m, const tabrl_policy *pi,
                          double *V, double *J)
{
  return o->type->value(o, m, pi, V, J);
}

int tabrl_objective_stock_optimum(const tabrl_objective *o, const tabrl_mdp *m,
                                  tabrl_stock_solution *sol, double *J)
{
  if (!o->type->stock_optimum)
    return tabrl_error(TABRL_EUNSUPPORTED, "objective %s: its optimum is a Markov policy", o->text);
  int status = o->type->stock_optimum(o, m, sol, J);
  if (status) tabrl_error_prefix("objective %s: optimum", o->text);
  return status;
}

struct tabrl_objective_evaluator {
  tabrl_objective o;
  const tabrl_mdp *m;
  void *work; /* the type's kept work; NULL: it keeps none */
};

tabrl_objective_evaluator *tabrl_objective_evaluator_alloc(const tabrl_objective *o,
                                                           const tabrl_mdp *m)
{
  tabrl_objective_evaluator *ev = calloc(1, sizeof *ev);
  if (!ev) {
    tabrl_error(TABRL_ENOMEM, "out of memory for an objective evaluator");
    return NULL;
  }
  ev->o = *o;
  ev->m = m;
  if (o->type->work_alloc && !(ev->work = o->type->work_alloc(o, m))) {
    free(ev);
    return NULL;
  }
  return ev;
}

void tabrl_objective_evaluator_free(tabrl_objective_evaluator *ev)
{
  if (!ev) return;
  if (ev->work) ev->o.type->work_free(ev->work);
  free(ev);
}

void tabrl_objective_evaluator_reset(tabrl_objective_evaluator *ev)
{
  if (ev->work) ev->o.type->work_reset(ev->work, &ev->o, ev->m);
}

int tabrl_objective_evaluator_value(tabrl_objective_evaluator *ev, const tabrl_policy *pi,
                                    unsigned flags, double *V, double *J)
{
  if (!ev->work) return tabrl_objective_value(&ev->o, ev->m, pi, V, J);
  return ev->o.type->work_value(ev->work, &ev->o, ev->m, pi, flags, V, J);
}

int tabrl_objective_evaluator_has_actions(const tabrl_objective_evaluator *ev)
{
  return ev->work && ev->o.type->work_value_actions && ev->m->horizon > 0;
}

int tabrl_objective_evaluator_actions(tabrl_objective_evaluator *ev, const int *action, double *V,
                                      double *J)
{
  if (!tabrl_objective_evaluator_has_actions(ev))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "objective %s: no valuation of a policy given as actions here", ev->o.text);
  return ev->o.type->work_value_actions(ev->work, &ev->o, ev->m, action, V, J);
}
