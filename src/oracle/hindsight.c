/* The best fixed policy in hindsight; see tabrl/oracle.h.  The value of a
 * policy is linear in the reward when the transitions are fixed, so the
 * hindsight optimum of a reward sequence is the optimum of its sum. */
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "common/backward.h"

typedef struct {
  const tabrl_mdp *m;
  const double *reward;
} hindsight_ctx;

static double hindsight_backup(void *ctx, int h, int s, int a, const double *next_V)
{
  const hindsight_ctx *c = ctx;
  const tabrl_mdp *m = c->m;
  size_t b = tabrl_mdp_block(m, h, s, a);
  double q = c->reward[((size_t)h * (size_t)m->S + (size_t)s) * (size_t)m->A + (size_t)a];
  for (size_t e = m->row[b]; e < m->row[b + 1]; e++) q += m->prob[e] * next_V[m->next[e]];
  return q;
}

static int hindsight_valid(const void *ctx, int h, int s, int a)
{
  return tabrl_mdp_valid(((const hindsight_ctx *)ctx)->m, h, s, a);
}

static const tabrl_backup_hooks hindsight_hooks = {.backup = hindsight_backup,
                                                   .valid = hindsight_valid};

int tabrl_oracle_hindsight(const tabrl_mdp *m, const double *reward, double *V,
                           tabrl_policy *greedy, double *J)
{
  int H = m->horizon;
  if (H < 1)
    return tabrl_error(TABRL_EUNSUPPORTED, "the hindsight optimum needs an episodic model");
  if (greedy && (greedy->S != m->S || greedy->A != m->A || greedy->stages != H))
    return tabrl_error(TABRL_EINVAL, "greedy policy must have %d stages", H);
  hindsight_ctx ctx = {m, reward};
  tabrl_backward_out into = {.S = m->S, .A = m->A, .H = H, .V = V, .greedy = greedy};
  tabrl_backward(&hindsight_hooks, &ctx, &into);
  *J = tabrl_oracle_start_value(m, V);
  return 0;
}
