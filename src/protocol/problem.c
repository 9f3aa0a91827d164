/* The protocol boundary: what an algorithm is told about its problem. */
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

static const tabrl_objective mean = {&tabrl_objective_mean, 0, "mean"};

int tabrl_problem_init(tabrl_problem *p, const tabrl_mdp *m, long episodes, gsl_rng *rng,
                       int give_model, unsigned char **valid)
{
  size_t n = (size_t)m->stages * (size_t)m->S * (size_t)m->A;
  unsigned char *mask = malloc(n);
  *valid = NULL;
  if (!mask) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (int h = 0; h < m->stages; h++)
    for (int s = 0; s < m->S; s++)
      for (int a = 0; a < m->A; a++)
        mask[((size_t)h * m->S + s) * m->A + a] = (unsigned char)tabrl_mdp_valid(m, h, s, a);
  memset(p, 0, sizeof *p);
  p->S = m->S;
  p->A = m->A;
  p->horizon = m->horizon;
  p->gamma = m->gamma;
  p->episodes = episodes;
  p->valid = mask;
  p->valid_stages = m->stages;
  p->dim = m->dim;
  p->phi = m->phi;
  p->mixture_dim = m->mixture_dim;
  p->mixture_basis = m->mixture_basis;
  p->reward_dim = m->reward_dim;
  p->model = give_model ? m : NULL;
  p->rng = rng;
  p->objective = &mean;
  *valid = mask;
  return 0;
}

int tabrl_problem_set_objective(tabrl_problem *p, const tabrl_objective *o, const tabrl_mdp *m,
                                tabrl_stock_grid *grid)
{
  int status;
  p->objective = o;
  p->stock = NULL;
  if (!o->type->augmented) return 0;
  if ((status = tabrl_stock_grid_of(m, grid))) {
    tabrl_error_prefix("objective %s", o->text);
    return status;
  }
  p->stock = grid;
  return 0;
}
