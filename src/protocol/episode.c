/* One episode of the online and online-preference protocols; see
 * tabrl/episode.h. */
#include <math.h>
#include "tabrl/episode.h"
#include "tabrl/error.h"

int tabrl_episode_online(tabrl_algo *algo, const tabrl_mdp *m, long k, gsl_rng *transitions,
                         tabrl_episode *ep)
{
  tabrl_pcg32 *pcg = tabrl_gsl_rng_pcg32_state(transitions);
  const tabrl_policy *pi = NULL;
  const int *acts = NULL;
  int status, noisy = m->noise.kind != TABRL_NOISE_NONE;
  /* Vector rewards need the sampled entry: tabrl_mdp_sample_entry draws the
   * same number as tabrl_mdp_step and picks the same outcome. */
  int vector = m->reward_dim > 0 && algo->type->observe_vec;
  ep->ret = 0;
  ep->has_committed = 0;
  if (m->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED, "%s: online episodes need an episodic model",
                       algo->type->name);
  if ((status = tabrl_algo_begin_episode(algo, k))) return status;
  ep->unchanged = 0;
  if (ep->committed && algo->type->commits_per_episode) {
    const tabrl_algo_type *t = algo->type;
    int by_actions = ep->actions && t->actions && !t->stock_policies;
    unsigned long version = t->policy_version ? t->policy_version(algo->state) : 0;
    /* An unchanged policy is the one the buffers hold: nothing to rebuild. */
    if (t->policy_version && ep->version_of == algo && ep->version == version &&
        ep->commit == (by_actions ? TABRL_COMMIT_ACTIONS : TABRL_COMMIT_TABLE)) {
      ep->unchanged = 1;
    } else {
      ep->version_of = NULL;
      ep->full_support = 0;
      status = by_actions ? tabrl_algo_actions(algo, ep->actions)
                          : tabrl_algo_policy_support(algo, ep->committed, &ep->full_support);
      if (status) return status;
      ep->commit = by_actions ? TABRL_COMMIT_ACTIONS : TABRL_COMMIT_TABLE;
      if (t->policy_version) {
        ep->version = version;
        ep->version_of = algo;
      }
    }
    if (by_actions)
      acts = ep->actions;
    else
      pi = ep->committed;
    ep->has_committed = 1;
  }
  /* A stock policy's row is that of (s, the reward accumulated so far). */
  const tabrl_stock_grid *grid = algo->type->stock_policies ? algo->problem.stock : NULL;
  long stock = 0;
  int s = tabrl_mdp_sample_start(m, pcg);
  for (int h = 0; h < m->horizon; h++) {
    int a = 0;
    double reward;
    if ((status = tabrl_algo_act(algo, h, s, &a))) return status;
    int row = grid ? (int)tabrl_stock_index(grid, s, stock) : s;
    if ((pi && !ep->full_support && !(tabrl_policy_row(pi, h, row)[a] > 0)) ||
        (acts && a != acts[(size_t)h * (size_t)m->S + (size_t)s]))
      return tabrl_error(TABRL_EINVAL,
                         "%s: act() took action %d at stage %d, state %d, outside the policy it "
                         "committed to for episode %ld",
                         algo->type->name, a, h, s, k);
    int next;
    size_t e = 0;
    if (vector) {
      e = tabrl_mdp_sample_entry(m, tabrl_mdp_block(m, h, s, a), pcg);
      next = m->next[e];
      reward = m->reward[e];
    } else {
      next = tabrl_mdp_step(m, h, s, a, pcg, &reward);
    }
    if (noisy) reward += tabrl_noise_sample(&m->noise, transitions);
    if ((status = tabrl_algo_observe(algo, h, s, a, reward, next))) return status;
    if (vector && (status = algo->type->observe_vec(
                       algo->state, h, s, a, m->reward_vec + e * (size_t)m->reward_dim, next)))
      return tabrl_algo_observe_failed(algo, status);
    if (ep->steps) ep->steps[h] = (tabrl_step){h, s, a, next, reward};
    ep->ret += reward;
    if (grid) stock += tabrl_stock_units(grid, reward);
    s = next;
  }
  if ((status = tabrl_algo_end_episode(algo, k))) return status;
  return tabrl_algo_observe_rewards(algo, k, ep->rewards);
}

int tabrl_episode_preference(tabrl_algo *algo, const tabrl_mdp *m, long k, const tabrl_feedback *f,
                             gsl_rng *transitions, gsl_rng *feedback_rng, tabrl_duel *d)
{
  int H = m->horizon, status;
  d->queried = 0;
  d->ret = d->ret_second = NAN;
  if (H < 1)
    return tabrl_error(TABRL_EUNSUPPORTED, "%s: preference episodes need an episodic model",
                       algo->type->name);
  if ((status = tabrl_algo_propose(algo, k, d->first, d->second)) < 0) return status;
  if (status != TABRL_NO_QUERY && algo->type->ask) {
    /* The learner sees its trajectory before it decides to ask. */
    d->ret = tabrl_sim_episode(m, d->first, transitions, 0, d->traj);
    int ask = tabrl_algo_ask(algo, d->traj, H);
    if (ask < 0) return ask;
    status = ask ? 0 : TABRL_NO_QUERY;
  }
  if (isnan(d->ret)) d->ret = tabrl_sim_episode(m, d->first, transitions, 0, d->traj);
  if (status == TABRL_NO_QUERY) return tabrl_algo_feedback(algo, d->traj, NULL, H, -1);
  d->queried = 1;
  d->ret_second = tabrl_sim_episode(m, d->second, transitions, 0, d->traj_second);
  /* The compared segments start independently (Knox et al. compare
   * segments from different states); the learner sees them only. */
  int n, o1 = tabrl_feedback_segment(f, H, feedback_rng, &n);
  int o2 = tabrl_feedback_segment(f, H, feedback_rng, &n);
  const tabrl_step *first = d->traj + o1, *second = d->traj_second + o2;
  int prefer_first = tabrl_feedback_prefer(f, first, second, n, feedback_rng);
  return tabrl_algo_feedback(algo, first, second, n, prefer_first);
}
