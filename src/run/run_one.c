/* One run of an experiment: the env and J*, the algorithm, the protocol's
 * loop and the metrics of each checkpoint.  See tabrl/runner.h. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "oracle/stock.h"
#include "run/clock.h"
#include "run/pref_data.h"
#include "run/run_eval.h"
#include "tabrl/episode.h"
#include "tabrl/error.h"
#include "tabrl/feedback.h"
#include "tabrl/game.h"
#include "tabrl/oracle.h"
#include "tabrl/runner.h"
#include "tabrl/schedule.h"

/* ---- one run ---- */

struct run {
  const tabrl_experiment *e;
  size_t config, algo_index, seed_index;
  uint64_t seed;
  char config_label[32];
  char env_label[128]; /* the model's name as a CSV label: [A-Za-z0-9._+-] */
  tabrl_mdp *m;
  double J_star;
  tabrl_algo *algo;
  unsigned char *valid;
  gsl_rng *algo_rng, *transitions, *feedback_rng;
  tabrl_policy *pi, *pi_second;
  int *actions;            /* H S: the committed actions of a type with an actions hook */
  tabrl_policy *target;    /* the mean-optimal policy (tabrl_problem.target), or NULL */
  tabrl_stock_grid grid;   /* of an augmented objective; see tabrl_problem.stock */
  tabrl_feedback feedback; /* the experiment's, bound to this run's model */
  double *V;
  run_eval eval; /* the value of each policy of the algorithm, the last one kept */
  tabrl_step *traj, *traj_second;
  long *checkpoints;
  size_t ncheckpoints, next_checkpoint;
  double cum_regret, t0;
  FILE *rows;
  double *saturation;     /* the algorithm's report after the last episode, or NULL */
  double *diagnostics;    /* its count of skipped non-finite updates, or NULL */
  int no_exact;           /* the model has no exact return distribution (w1, cramer empty) */
  tabrl_policy *pi_exact; /* the policy of exact, the last exact distribution, or NULL */
  tabrl_atom *exact;
  size_t n_exact;
  tabrl_stock_work work; /* the grid path's reachability, kept across checkpoints */
  int have_work;         /* 1: work holds m's; -1: m has no grid (the general path) */
  long queries;          /* preference queries asked so far (runs.csv queries) */
  double *rewards;       /* the episode's reward function for full-information learners */
  pref_dataset pref;     /* the offline-preference protocol's dataset */
  tabrl_mdp *cost_model; /* budget = B: m with its costs as rewards (runs.csv cost), or NULL */
  double *Vc;            /* its values */
  /* A reward schedule (NULL: none).  Episodes are simulated and valued on
   * sched->m, which holds the episode's reward function; the algorithm is
   * given m (transitions and the model's own rewards) as without one. */
  tabrl_schedule *sched;
  double *reward_sum; /* H*S*A: sum of r_t over the episodes so far */
  double *V_sum;      /* (H+1)*S: the hindsight optimum's values */
  long count[2];      /* episodes so far of each of the schedule's functions */
  double sum_values;  /* sum_t V_t(pi_t) (the realised return without a commitment) */
};

static void run_free(struct run *r)
{
  tabrl_feedback_unbind(&r->feedback);
  tabrl_algo_free(r->algo);
  tabrl_mdp_free(r->m);
  free(r->valid);
  gsl_rng_free(r->algo_rng);
  gsl_rng_free(r->transitions);
  gsl_rng_free(r->feedback_rng);
  tabrl_policy_free(r->pi);
  free(r->actions);
  run_eval_free(&r->eval);
  tabrl_policy_free(r->pi_second);
  tabrl_policy_free(r->target);
  free(r->V);
  free(r->traj);
  free(r->traj_second);
  free(r->rewards);
  free(r->checkpoints);
  tabrl_policy_free(r->pi_exact);
  free(r->exact);
  if (r->have_work > 0) tabrl_stock_work_free(&r->work);
  pref_dataset_free(&r->pref);
  tabrl_mdp_free(r->cost_model);
  free(r->Vc);
  tabrl_schedule_free(r->sched);
  free(r->reward_sum);
  free(r->V_sum);
}

/* Exact value of a policy of the algorithm under the experiment's
 * objective (on the episode's reward function under a schedule). */
static int policy_value(struct run *r, const tabrl_policy *pi, double *value)
{
  return run_eval_value(&r->eval, &r->e->objective, r->sched ? r->sched->m : r->m, pi, value);
}

/* The exact return distribution of pi into r->exact, reusing the last one
 * when the policy has not changed, and on a grid model the reachable
 * stock states across calls: a learner logged every episode keeps its
 * greedy policy for long stretches, and on a fine reward grid (deep sea's
 * quantum 0.01 / N) building the stock model costs about ten times the
 * propagation itself.  The atoms are those of tabrl_return_distribution
 * (its grid path is tabrl_stock_distribution from mu0).  Returns
 * TABRL_EUNSUPPORTED (message set) when the model has no exact one. */
static int exact_distribution(struct run *r, const tabrl_policy *pi)
{
  const tabrl_mdp *m = r->m;
  size_t bytes = (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A * sizeof(double);
  int status = 0;
  if (r->exact && !memcmp(pi->prob, r->pi_exact->prob, bytes)) return 0;
  free(r->exact);
  r->exact = NULL;
  if (!r->have_work) {
    r->have_work = -1;
    if (m->horizon > 0 && m->noise.kind == TABRL_NOISE_NONE) {
      if (!(status = tabrl_stock_work_init(&r->work, m))) {
        /* The propagation walks the reachable list only: the (H+1) S K
         * reachability bytes (hundreds of MB on deepsea(20)) can go. */
        free(r->work.reach);
        r->work.reach = NULL;
        r->have_work = 1;
      } else {
        tabrl_stock_work_free(&r->work);
        if (status != TABRL_EUNSUPPORTED) return status;
        tabrl_error_clear();
      }
    }
  }
  if (r->have_work > 0) {
    if (!(r->exact = malloc((r->work.nfinals ? r->work.nfinals : 1) * sizeof *r->exact)))
      return tabrl_error(TABRL_ENOMEM, "out of memory for %zu atoms", r->work.nfinals);
    r->n_exact = tabrl_stock_distribution(&r->work, pi, m->mu0, r->exact);
    if (r->n_exact == (size_t)-1) status = TABRL_ENOMEM;
  } else if (m->horizon > 0) {
    status = tabrl_return_distribution(m, pi, NULL, &r->exact, &r->n_exact);
  } else {
    /* Discounted: the law of G_T, T from eps = 1e-6 (rmax - rmin) / (1 -
     * gamma), the span of the returns: the W1 and sup distances to the law
     * of G are then off by at most a millionth of that span, far below any
     * learned distribution's error; beyond the default atom budget (10^6
     * (state, return) atoms at a stage) the model counts as having no
     * exact law and the columns stay empty. */
    tabrl_returns_options opt = tabrl_returns_options_default();
    double lo = 0, hi = 0;
    for (size_t k = 0; k < m->nnz; k++) {
      lo = fmin(lo, m->reward[k]);
      hi = fmax(hi, m->reward[k]);
    }
    opt.eps = 1e-6 * (hi > lo ? hi - lo : 1) / (1 - m->gamma);
    status = tabrl_return_distribution_opt(m, pi, NULL, &opt, &r->exact, &r->n_exact, NULL);
  }
  if (!status && !r->pi_exact && !(r->pi_exact = tabrl_policy_alloc(pi->S, pi->A, pi->stages)))
    status = tabrl_error(TABRL_ENOMEM, "out of memory for a policy");
  if (status) {
    free(r->exact);
    r->exact = NULL;
    return status;
  }
  memcpy(r->pi_exact->prob, pi->prob, bytes);
  return 0;
}

/* The W1 and Cramer distances of the algorithm's learned start
 * distribution (its distributions of the states mixed by mu0) to the exact
 * return distribution of pi, the policy it reports (on a discounted model
 * the truncated one of exact_distribution); NAN (empty columns) for a type
 * without a learned distribution and for models without an exact one
 * (reward noise, the atom budget exceeded; the first refusal is
 * remembered).  value_err: |the learned distribution's mean - the exact
 * (mean) value of pi from mu0|, which needs no exact distribution (reward
 * noise), NAN only without a learned distribution. */
static int distances(struct run *r, const tabrl_policy *pi, double *w1, double *cramer,
                     double *value_err)
{
  const tabrl_mdp *m = r->m;
  tabrl_atom *learned = NULL;
  size_t n = 0, k;
  int status = 0;
  *w1 = *cramer = *value_err = NAN;
  /* Under a schedule the return law changes from episode to episode. */
  if (!r->algo->type->distribution || r->algo->type->stock_policies || r->sched) return 0;
  for (int s = 0; s < m->S; s++)
    if (m->mu0[s] > 0) {
      if ((status = tabrl_algo_distribution(r->algo, s, NULL, &k))) goto done;
      n += k;
    }
  if (!(learned = malloc((n + 1) * sizeof *learned))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory for %zu atoms", n);
    goto done;
  }
  n = 0;
  for (int s = 0; s < m->S; s++)
    if (m->mu0[s] > 0) {
      if ((status = tabrl_algo_distribution(r->algo, s, learned + n, &k))) goto done;
      for (size_t j = n; j < n + k; j++) learned[j].prob *= m->mu0[s];
      n += k;
    }
  double mean = 0, value;
  for (size_t j = 0; j < n; j++) mean += learned[j].prob * learned[j].value;
  /* The mean objective's value is the runner's (cached) one; any other
   * objective's is not the mean return. */
  if (r->e->objective.type == &tabrl_objective_mean)
    status = policy_value(r, pi, &value);
  else if (!(status = tabrl_oracle_evaluate(m, pi, r->V)))
    value = tabrl_oracle_start_value(m, r->V);
  if (status) goto done;
  *value_err = fabs(mean - value);
  if (r->no_exact) goto done;
  if ((status = exact_distribution(r, pi))) {
    if (status != TABRL_EUNSUPPORTED) goto done;
    tabrl_error_clear();
    r->no_exact = 1;
    status = 0;
    goto done;
  }
  *w1 = tabrl_dist_w1(learned, n, r->exact, r->n_exact);
  *cramer = tabrl_dist_cramer(learned, n, r->exact, r->n_exact);
  if (isnan(*w1) || isnan(*cramer)) status = TABRL_ENOMEM;
done:
  free(learned);
  return status;
}

/* One row of runs.csv, columns in tabrl_schema_runs order; pi is the
 * algorithm's current policy (for the distance columns). */
static int write_row(struct run *r, long episode, const double *ret, const double *value,
                     double regret, const tabrl_policy *pi, double kl)
{
  const tabrl_experiment *e = r->e;
  double w1, cramer, value_err;
  int status = distances(r, pi, &w1, &cramer, &value_err);
  if (status) return status;
  fprintf(r->rows, "%s,%s,%s,%llu,%ld,", r->env_label, e->algos[r->algo_index].label,
          r->config_label, (unsigned long long)r->seed, episode);
  if (ret) fprintf(r->rows, "%.17g", *ret);
  fputc(',', r->rows);
  if (value) fprintf(r->rows, "%.17g", *value);
  fprintf(r->rows, ",%.17g,%.17g,%.3f,", regret, r->cum_regret, tabrl_now() - r->t0);
  if (!isnan(w1)) fprintf(r->rows, "%.17g", w1);
  fputc(',', r->rows);
  if (!isnan(cramer)) fprintf(r->rows, "%.17g", cramer);
  /* The type's theoretical bounds on the two distances (empty: none). */
  const char *const bounded[] = {"w1", "cramer"};
  for (int i = 0; i < 2; i++) {
    double bound = tabrl_algo_bound(r->algo, bounded[i], episode);
    fputc(',', r->rows);
    if (!isnan(bound)) fprintf(r->rows, "%.17g", bound);
  }
  fputc(',', r->rows);
  if (!isnan(value_err)) fprintf(r->rows, "%.17g", value_err);
  fputc(',', r->rows);
  if (r->algo->type->protocol == TABRL_ONLINE_PREFERENCE) fprintf(r->rows, "%ld", r->queries);
  fputc(',', r->rows);
  if (!isnan(kl)) fprintf(r->rows, "%.17g", kl);
  /* A budget run's exact expected cost of the valued policy and its excess
   * over the budget; empty without a budget or a valued policy. */
  fputc(',', r->rows);
  if (r->cost_model && value) {
    double cost;
    if ((status = tabrl_oracle_cost_value(r->cost_model, pi, r->Vc, &cost))) return status;
    fprintf(r->rows, "%.17g,%.17g", cost, fmax(0.0, cost - e->budget));
  } else
    fputc(',', r->rows);
  fputc('\n', r->rows);
  return 0;
}

static int at_checkpoint(struct run *r, long k)
{
  if (r->next_checkpoint < r->ncheckpoints && r->checkpoints[r->next_checkpoint] == k) {
    r->next_checkpoint++;
    return 1;
  }
  return 0;
}

static double policy_kl(const struct run *r, const tabrl_policy *pi);
/* cum_regret of a scheduled run after k episodes: max_pi sum_{t<=k} V_t(pi)
 * - sum_{t<=k} V_t(pi_t), the first term exactly by the oracle on the
 * summed reward function (each r_t is one of the schedule's functions). */
static int hindsight_regret(struct run *r, double *cum_regret)
{
  const tabrl_schedule *sc = r->sched;
  const tabrl_mdp *m = sc->m;
  size_t n = (size_t)m->horizon * (size_t)m->S * (size_t)m->A;
  double best;
  for (size_t i = 0; i < n; i++) {
    double sum = (double)r->count[0] * sc->table[0][i];
    if (sc->nfunctions == 2) sum += (double)r->count[1] * sc->table[1][i];
    r->reward_sum[i] = sum;
  }
  int status = tabrl_oracle_hindsight(m, r->reward_sum, r->V_sum, NULL, &best);
  *cum_regret = best - r->sum_values;
  return status;
}

static int run_online(struct run *r, volatile sig_atomic_t *stop, atomic_long *episodes_done)
{
  tabrl_episode ep = {.committed = r->pi, .rewards = r->rewards, .actions = r->actions};
  const tabrl_mdp *sim = r->sched ? r->sched->m : r->m;
  int status = 0;
  for (long k = 1; k <= r->e->episodes; k++) {
    double value = 0;
    if (stop && *stop) return TABRL_EINTERRUPTED;
    if (r->sched && tabrl_schedule_set(r->sched, k))
      run_eval_forget(&r->eval); /* values are r_k's */
    if (r->sched && r->algo->type->observe_rewards) ep.rewards = r->sched->table[r->sched->current];
    if ((status = tabrl_episode_online(r->algo, sim, k, r->transitions, &ep))) return status;
    if (ep.has_committed &&
        (status = run_eval_episode(&r->eval, &r->e->objective, sim, &ep, &value)))
      return status;
    double regret = r->J_star - (ep.has_committed ? value : ep.ret);
    if (r->sched) {
      r->count[r->sched->current]++;
      r->sum_values += ep.has_committed ? value : ep.ret;
    } else {
      r->cum_regret += regret;
    }
    if (at_checkpoint(r, k)) {
      if (r->sched) {
        double before = r->cum_regret;
        if ((status = hindsight_regret(r, &r->cum_regret))) return status;
        regret = r->cum_regret - before;
      }
      /* The rows and distances read the table of the committed actions. */
      if (ep.has_committed && ep.commit == TABRL_COMMIT_ACTIONS &&
          (status = tabrl_policy_from_plan(r->pi, r->actions, r->pi->S, r->pi->A, r->pi->stages,
                                           r->algo->type->name)))
        return status;
      /* The distance columns need the policy even when the episode did not
       * commit to one (policy() changes nothing in the algorithm). */
      if (!ep.has_committed && r->algo->type->distribution &&
          (status = tabrl_algo_policy(r->algo, r->pi)))
        return status;
      /* kl: types with uses_reference, whose reference the runner built. */
      double kl = r->pref.reference && ep.has_committed ? policy_kl(r, r->pi) : NAN;
      if ((status = write_row(r, k, &ep.ret, ep.has_committed ? &value : NULL, regret, r->pi, kl)))
        return status;
    }
    if ((k & 255) == 0) atomic_fetch_add(episodes_done, 256);
  }
  atomic_fetch_add(episodes_done, r->e->episodes & 255);
  if (r->saturation) *r->saturation = tabrl_algo_saturation(r->algo);
  if (r->diagnostics) *r->diagnostics = tabrl_algo_diagnostics(r->algo);
  return 0;
}

static int run_preference(struct run *r, volatile sig_atomic_t *stop, atomic_long *episodes_done)
{
  tabrl_duel d = {
      .first = r->pi, .second = r->pi_second, .traj = r->traj, .traj_second = r->traj_second};
  int status;
  for (long k = 1; k <= r->e->episodes; k++) {
    double v1, v2, value, ret;
    if (stop && *stop) return TABRL_EINTERRUPTED;
    if ((status = tabrl_episode_preference(r->algo, r->m, k, &r->feedback, r->transitions,
                                           r->feedback_rng, &d)))
      return status;
    if (d.queried) {
      r->queries++;
      /* A duel is valued by the mean of its two policies (dueling-RL
       * regret); the second value first, so the cache keeps the first. */
      if ((status = policy_value(r, r->pi_second, &v2)) || (status = policy_value(r, r->pi, &v1)))
        return status;
      value = 0.5 * (v1 + v2);
      ret = 0.5 * (d.ret + d.ret_second);
    } else {
      /* No duel: the episode is the first policy's alone. */
      if ((status = policy_value(r, r->pi, &value))) return status;
      ret = d.ret;
    }
    double regret = r->J_star - value;
    r->cum_regret += regret;
    if (at_checkpoint(r, k) && (status = write_row(r, k, &ret, &value, regret, r->pi, NAN)))
      return status;
    if ((k & 255) == 0) atomic_fetch_add(episodes_done, 256);
  }
  atomic_fetch_add(episodes_done, r->e->episodes & 255);
  return 0;
}

static int run_planning(struct run *r, volatile sig_atomic_t *stop, atomic_long *episodes_done)
{
  int status;
  for (long k = 1; k <= r->e->episodes; k++) {
    double value;
    if (stop && *stop) return TABRL_EINTERRUPTED;
    if ((status = tabrl_algo_iterate(r->algo, k))) return status;
    if ((status = tabrl_algo_policy(r->algo, r->pi))) return status;
    double regret = 0;
    /* Nash learning (a model with a preference matrix): the value is the
     * win rate against the von Neumann winner and the regret the duality
     * gap in the env's game (tabrl/game.h); J* is not used. */
    if (r->m->preference)
      status = tabrl_game_metrics(r->m, r->pi, &value, &regret);
    else if (!(status = policy_value(r, r->pi, &value)))
      regret = r->J_star - value;
    if (!status && r->algo->type->suboptimality) {
      double own = r->algo->type->suboptimality(r->algo->state);
      if (!isnan(own)) regret = own;
    }
    if (status) return status;
    r->cum_regret += regret;
    if (at_checkpoint(r, k) && (status = write_row(r, k, NULL, &value, regret, r->pi, NAN)))
      return status;
    atomic_fetch_add(episodes_done, 1);
  }
  return 0;
}

/* mu0-averaged KL(pi || reference) of a one-stage policy (the kl column of
 * the offline-preference protocol and of online types with
 * uses_reference). */
static double policy_kl(const struct run *r, const tabrl_policy *pi)
{
  const tabrl_mdp *m = r->m;
  double kl = 0;
  for (int s = 0; s < m->S; s++) {
    const double *p = tabrl_policy_row(pi, 0, s), *ref = r->pref.reference + (size_t)s * m->A;
    double sum = 0;
    for (int a = 0; a < m->A; a++)
      if (p[a] > 0) sum += p[a] * log(p[a] / ref[a]);
    kl += m->mu0[s] * sum;
  }
  return kl;
}

/* Offline preference optimisation: one full-batch optimizer step
 * (iterate) per episode on the dataset built in run_setup; the value is
 * the policy's expected true reward from mu0, and the kl column its
 * divergence from the reference. */
static int run_offline_preference(struct run *r, volatile sig_atomic_t *stop,
                                  atomic_long *episodes_done)
{
  int status;
  for (long k = 1; k <= r->e->episodes; k++) {
    double value;
    if (stop && *stop) return TABRL_EINTERRUPTED;
    if ((status = tabrl_algo_iterate(r->algo, k))) return status;
    if ((status = tabrl_algo_policy(r->algo, r->pi)) || (status = policy_value(r, r->pi, &value)))
      return status;
    double regret = r->J_star - value;
    r->cum_regret += regret;
    if (at_checkpoint(r, k) &&
        (status = write_row(r, k, NULL, &value, regret, r->pi, policy_kl(r, r->pi))))
      return status;
    if ((k & 255) == 0) atomic_fetch_add(episodes_done, 256);
  }
  atomic_fetch_add(episodes_done, r->e->episodes & 255);
  return 0;
}

/* Behaviour policy of offline datasets: uniform, optimal (for the mean:
 * the data come from the task, whatever the objective), or the mixture
 * (1 - eps) optimal + eps uniform. */
static int behavior_policy(struct run *r, tabrl_policy *pi)
{
  const char *b = r->e->behavior;
  tabrl_policy *optimal = tabrl_policy_alloc_for(r->m);
  tabrl_objective mean = tabrl_objective_default();
  double eps = !strcmp(b, "uniform") ? 1.0 : !strcmp(b, "optimal") ? 0.0 : atof(b + 6), J;
  int status;
  if (!optimal) return TABRL_ENOMEM;
  status = tabrl_objective_optimum(&mean, r->m, r->V, optimal, &J);
  tabrl_policy_set_uniform(pi, r->m);
  size_t n = (size_t)pi->stages * (size_t)pi->S * (size_t)pi->A;
  for (size_t i = 0; i < n; i++) pi->prob[i] = eps * pi->prob[i] + (1 - eps) * optimal->prob[i];
  tabrl_policy_free(optimal);
  return status;
}

static int run_offline(struct run *r, volatile sig_atomic_t *stop, atomic_long *episodes_done)
{
  long K = r->e->episodes;
  int length = r->m->horizon > 0 ? r->m->horizon : (int)fmin(1000, ceil(10 / (1 - r->m->gamma)));
  tabrl_step *steps = malloc((size_t)K * (size_t)length * sizeof *steps);
  gsl_rng *data_rng = tabrl_gsl_rng_stream(r->seed, TABRL_STREAM_DATASET, 0);
  int status = 0;
  if (!steps || !data_rng) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory for a dataset of %ld trajectories", K);
    goto done;
  }
  if ((status = behavior_policy(r, r->pi))) goto done;
  for (long k = 0; k < K; k++)
    tabrl_sim_episode(r->m, r->pi, data_rng, length, steps + (size_t)k * (size_t)length);
  /* The curve is suboptimality against the number of trajectories n; each
   * checkpoint fits on the first n. cum_regret repeats the suboptimality:
   * there is nothing to accumulate offline. */
  for (size_t c = 0; c < r->ncheckpoints; c++) {
    long n = r->checkpoints[c];
    double value;
    if (stop && *stop) {
      status = TABRL_EINTERRUPTED;
      goto done;
    }
    tabrl_dataset data = {(size_t)n * (size_t)length, steps, length, NULL, NULL, NULL};
    if ((status = tabrl_algo_fit(r->algo, &data))) goto done;
    if ((status = tabrl_algo_policy(r->algo, r->pi)) || (status = policy_value(r, r->pi, &value)))
      goto done;
    double regret = r->J_star - value;
    r->cum_regret = regret;
    if ((status = write_row(r, n, NULL, &value, regret, r->pi, NAN))) goto done;
    atomic_fetch_add(episodes_done, n - (c ? r->checkpoints[c - 1] : 0));
  }
done:
  free(steps);
  gsl_rng_free(data_rng);
  return status;
}

static int run_setup(struct run *r)
{
  const tabrl_experiment *e = r->e;
  tabrl_setting *s;
  size_t n;
  int status;
  tabrl_values *values = NULL;

  if ((status = tabrl_experiment_settings(e, r->config, -1, r->seed, &s, &n))) return status;
  status = tabrl_env_build(e->env, s, n, &r->m);
  free(s);
  if (status) return status;
  const tabrl_mdp *m = r->m;
  /* A model read from a file may carry any name: keep the CSV parseable. */
  snprintf(r->env_label, sizeof r->env_label, "%s", m->name && *m->name ? m->name : "env");
  for (char *c = r->env_label; *c; c++)
    if (!isalnum((unsigned char)*c) && !strchr("._+-", *c)) *c = '-';
  const tabrl_algo_type *type = e->algos[r->algo_index].type;
  if (e->objective.type->augmented && (status = tabrl_stock_grid_of(m, &r->grid))) {
    tabrl_error_prefix("objective %s", e->objective.text);
    return status;
  }
  r->V = malloc(tabrl_oracle_value_size(m) * sizeof *r->V);
  /* Every policy here has the algorithm's shape: m's, or its stock model's. */
  if (type->stock_policies) {
    r->pi = tabrl_stock_policy_alloc(&r->grid);
    r->pi_second = tabrl_stock_policy_alloc(&r->grid);
  } else {
    r->pi = tabrl_policy_alloc_for(m);
    r->pi_second = tabrl_policy_alloc_for(m);
  }
  r->traj = malloc(((size_t)m->horizon + 1) * sizeof *r->traj);
  r->traj_second = malloc(((size_t)m->horizon + 1) * sizeof *r->traj_second);
  r->algo_rng = tabrl_gsl_rng_stream(r->seed, TABRL_STREAM_ALGO, 0);
  r->transitions = tabrl_gsl_rng_stream(r->seed, TABRL_STREAM_TRANSITIONS, 0);
  r->feedback_rng = tabrl_gsl_rng_stream(r->seed, TABRL_STREAM_FEEDBACK, 0);
  r->checkpoints = tabrl_experiment_checkpoints(e, &r->ncheckpoints);
  if (!r->V || !r->pi || !r->pi_second || !r->traj || !r->traj_second || !r->algo_rng ||
      !r->transitions || !r->feedback_rng || !r->checkpoints)
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  if ((status = run_eval_init(&r->eval, &e->objective, m, r->pi))) return status;
  if (type->protocol == TABRL_ONLINE && type->actions && m->horizon > 0 &&
      !(r->actions = malloc((size_t)m->horizon * (size_t)m->S * sizeof *r->actions)))
    return tabrl_error(TABRL_ENOMEM, "out of memory");

  r->feedback = e->feedback;
  if ((type->protocol == TABRL_ONLINE_PREFERENCE ||
       (type->protocol == TABRL_OFFLINE_PREFERENCE && !m->preference)) &&
      (status = tabrl_feedback_bind(&r->feedback, m))) {
    tabrl_error_prefix("score %s", tabrl_score_name(e->feedback.score));
    return status;
  }
  /* The offline-preference dataset, before the algorithm sees it: from the
   * file, or pairs drawn from the dataset stream (contexts, responses) and
   * labelled from the feedback stream. */
  if (type->protocol == TABRL_OFFLINE_PREFERENCE) {
    if (e->dataset) {
      status = pref_dataset_read(e->dataset + 5, m, &r->pref);
    } else {
      gsl_rng *data = tabrl_gsl_rng_stream(r->seed, TABRL_STREAM_DATASET, 0);
      status = data ? pref_dataset_draw(m, &r->feedback, e->pairs, data, r->feedback_rng, &r->pref)
                    : tabrl_error(TABRL_ENOMEM, "out of memory");
      gsl_rng_free(data);
    }
    if (status) return status;
  }
  if (type->protocol == TABRL_ONLINE && type->uses_reference &&
      (status = pref_dataset_reference(m, &r->pref)))
    return status;
  /* The target of policy-evaluation learners (tabrl_problem.target): the
   * mean-optimal policy, whatever the objective, as cdp's policy = optimal. */
  if (m->horizon > 0) {
    if (!(r->target = tabrl_policy_alloc_for(m))) return tabrl_error(TABRL_ENOMEM, "out of memory");
    if ((status = tabrl_oracle_backward(m, r->V, NULL, r->target))) return status;
  }

  /* A schedule's functions and the hindsight optimum's arrays. */
  if (e->schedule.kind != TABRL_SCHEDULE_NONE) {
    size_t n_rewards = (size_t)m->horizon * (size_t)m->S * (size_t)m->A;
    if (!(r->sched = tabrl_schedule_alloc(&e->schedule, m, r->seed))) return TABRL_EINVAL;
    r->reward_sum = malloc(n_rewards * sizeof *r->reward_sum);
    r->V_sum = malloc(tabrl_oracle_value_size(m) * sizeof *r->V_sum);
    if (!r->reward_sum || !r->V_sum) return tabrl_error(TABRL_ENOMEM, "out of memory");
  }

  /* The reward function a full-information learner is told after each
   * episode: the model's mean reward (a schedule's: the episode's own,
   * set in run_online). */
  if (type->observe_rewards && m->horizon > 0 && !r->sched) {
    size_t n_rewards = (size_t)m->horizon * (size_t)m->S * (size_t)m->A;
    if (!(r->rewards = malloc(n_rewards * sizeof *r->rewards)))
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    tabrl_mdp_reward_table(m, r->rewards);
  }

  /* J*, the experiment's objective of an optimal policy; with a budget the
   * constrained optimum J_LP (Altman's LP over occupancy measures), which a
   * policy that overspends may exceed: regret is then negative. */
  if (e->has_budget) {
    tabrl_cmdp_solution sol;
    if ((status = tabrl_oracle_cmdp_lp(m, e->budget, NULL, &sol))) return status;
    r->J_star = sol.value;
    r->cost_model = tabrl_oracle_cost_model(m);
    r->Vc = malloc(tabrl_oracle_value_size(m) * sizeof *r->Vc);
    if (!r->cost_model || !r->Vc) return tabrl_error(TABRL_ENOMEM, "out of memory");
  } else if ((status = tabrl_objective_optimum(&e->objective, m, r->V, NULL, &r->J_star)))
    return status;

  char owner[300];
  snprintf(owner, sizeof owner, "[algo %s]", e->algos[r->algo_index].label);
  if ((status = tabrl_experiment_settings(e, r->config, (long)r->algo_index, r->seed, &s, &n)))
    return status;
  status = tabrl_values_resolve(type->params, owner, s, n, 0, &values);
  free(s);
  if (status) return status;
  tabrl_problem problem;
  status = tabrl_problem_init(&problem, m, e->episodes, r->algo_rng,
                              type->protocol == TABRL_PLANNING || type->sees_model, &r->valid);
  if (!status) status = tabrl_problem_set_objective(&problem, &e->objective, m, &r->grid);
  problem.target = r->target;
  if (e->has_budget) problem.budget = &e->budget;
  if (type->protocol == TABRL_OFFLINE_PREFERENCE ||
      (type->protocol == TABRL_ONLINE && type->uses_reference))
    problem.pref = &r->pref.data;
  if (status) {
    tabrl_values_free(values);
    return status;
  }
  r->algo = tabrl_algo_alloc(type, &problem, values);
  tabrl_values_free(values);
  return r->algo ? 0 : TABRL_EINVAL;
}

int tabrl_run_one(const tabrl_experiment *e, size_t run, FILE *rows, FILE *policy_rows,
                  volatile sig_atomic_t *stop, atomic_long *episodes_done, double *saturation,
                  double *diagnostics)
{
  struct run r;
  int status;
  memset(&r, 0, sizeof r);
  r.e = e;
  r.rows = rows;
  r.saturation = saturation;
  if (saturation) *saturation = NAN;
  r.diagnostics = diagnostics;
  if (diagnostics) *diagnostics = NAN;
  tabrl_experiment_run_indices(e, run, &r.config, &r.algo_index, &r.seed_index);
  r.seed = e->seeds[r.seed_index];
  tabrl_experiment_config_label(e, r.config, r.config_label, sizeof r.config_label);
  r.t0 = tabrl_now();
  status = run_setup(&r);
  if (!status) {
    switch (r.algo->type->protocol) {
    case TABRL_ONLINE:
      status = run_online(&r, stop, episodes_done);
      break;
    case TABRL_ONLINE_PREFERENCE:
      status = run_preference(&r, stop, episodes_done);
      break;
    case TABRL_OFFLINE:
      status = run_offline(&r, stop, episodes_done);
      break;
    case TABRL_PLANNING:
      status = run_planning(&r, stop, episodes_done);
      break;
    case TABRL_OFFLINE_PREFERENCE:
      status = run_offline_preference(&r, stop, episodes_done);
      break;
    }
  }
  /* policies.csv holds the policy valued in the last row of runs.csv, so
   * that `tabrl eval` reproduces that row's value: an online algorithm that
   * commits per episode leaves its committed pi_K in r.pi (policy() now
   * would give pi_{K+1}, never played nor valued); planning and offline runs
   * leave the policy of their last checkpoint (episode K).  Algorithms with
   * no value column (the policy moves inside an episode) and preference runs
   * (valued by the mean of two proposals) store policy() after episode K:
   * the policy act() would follow next, or the recommendation.  A stock
   * policy (S K states) has rows only where it goes from mu0, with s the
   * augmented index s K + u - lo. */
  const tabrl_algo_type *type = r.algo ? r.algo->type : NULL;
  int valued = type && (type->protocol == TABRL_PLANNING || type->protocol == TABRL_OFFLINE ||
                        type->protocol == TABRL_OFFLINE_PREFERENCE ||
                        (type->protocol == TABRL_ONLINE && type->commits_per_episode));
  double *visits = NULL;
  if (!status && !valued) status = tabrl_algo_policy(r.algo, r.pi);
  if (!status && type->stock_policies) {
    visits = malloc((size_t)r.pi->stages * (size_t)r.pi->S * sizeof *visits);
    if (!visits)
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
    else
      tabrl_stock_occupancy(r.m, &r.grid, r.pi, visits);
  }
  if (!status) {
    const tabrl_policy *pi = r.pi;
    for (int h = 0; h < pi->stages; h++)
      for (int s = 0; s < pi->S; s++)
        for (int a = 0; a < pi->A; a++) {
          double p = tabrl_policy_row(pi, h, s)[a];
          if (visits && !(visits[(size_t)h * (size_t)pi->S + (size_t)s] > 0)) break;
          if (p > 0) /* columns in tabrl_schema_policies order */
            fprintf(policy_rows, "%s,%s,%s,%llu,%d,%d,%d,%.17g\n", r.env_label,
                    e->algos[r.algo_index].label, r.config_label, (unsigned long long)r.seed, h, s,
                    a, p);
        }
  }
  free(visits);
  if (status && status != TABRL_EINTERRUPTED)
    tabrl_error_prefix("algo %s, config %s, seed %llu", e->algos[r.algo_index].label,
                       r.config_label, (unsigned long long)r.seed);
  run_free(&r);
  return status;
}
