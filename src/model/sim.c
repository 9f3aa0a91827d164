/* Sampling start states, noise and episodes; see tabrl/sim.h. */
#include <gsl/gsl_randist.h>
#include "tabrl/sim.h"

int tabrl_mdp_sample_start(const tabrl_mdp *m, tabrl_pcg32 *rng)
{
  double u = tabrl_pcg32_uniform(rng), acc = 0;
  int last = 0;
  for (int s = 0; s < m->S; s++) {
    if (m->mu0[s] <= 0) continue;
    acc += m->mu0[s];
    last = s;
    if (u < acc) return s;
  }
  return last;
}

double tabrl_noise_sample(const tabrl_noise *noise, gsl_rng *r)
{
  switch (noise->kind) {
  case TABRL_NOISE_GAUSSIAN:
    return gsl_ran_gaussian_ziggurat(r, noise->scale);
  case TABRL_NOISE_STUDENT_T:
    return noise->scale * gsl_ran_tdist(r, noise->shape);
  case TABRL_NOISE_PARETO:
    /* Pareto(a, b) has mean a b / (a - 1); centre it. */
    return gsl_ran_pareto(r, noise->shape, noise->scale) -
           noise->shape * noise->scale / (noise->shape - 1.0);
  case TABRL_NOISE_NONE:
  default:
    return 0.0;
  }
}

double tabrl_sim_episode(const tabrl_mdp *m, const tabrl_policy *pi, gsl_rng *r, int length,
                         tabrl_step *traj)
{
  tabrl_pcg32 *rng = tabrl_gsl_rng_pcg32_state(r);
  int steps = m->horizon > 0 ? m->horizon : length;
  int s = tabrl_mdp_sample_start(m, rng);
  double total = 0, discount = 1;
  for (int h = 0; h < steps; h++) {
    int hs = m->horizon > 0 ? h : 0;
    int a = tabrl_policy_sample(pi, hs, s, rng);
    double reward;
    int next = tabrl_mdp_step(m, hs, s, a, rng, &reward);
    if (m->noise.kind != TABRL_NOISE_NONE) reward += tabrl_noise_sample(&m->noise, r);
    if (traj) traj[h] = (tabrl_step){h, s, a, next, reward};
    total += discount * reward;
    discount *= m->gamma;
    s = next;
  }
  return total;
}
