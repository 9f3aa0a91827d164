/* tabrl bench: throughput of the simulator and of one VI sweep, each beside
 * the bare loop that bounds it, so the cost tabrl adds is visible.  Timings
 * vary by a few percent between runs: compare the ratios of one run. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include "cli/bench_peers.h"
#include "cli/bench_record.h"
#include "cli/cli.h"
#include "oracle/nested.h"
#include "run/clock.h"
#include "run/run_eval.h"
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/mdp_io.h"
#include "tabrl/episode.h"
#include "tabrl/feedback.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/returns.h"
#include "tabrl/rng.h"
#include "tabrl/sim.h"

#ifndef TABRL_VERSION
#define TABRL_VERSION "unknown"
#endif

enum { OPT_QUICK = 256, OPT_JSON, OPT_COMPARE, OPT_PEERS };

const cli_option cli_bench_options[] = {
    {"quick", OPT_QUICK, NULL, "smaller problems, a few seconds in all"},
    {"json", OPT_JSON, "FILE",
     "also write every figure to FILE as JSON (name, value, unit, better; load, date, version)"},
    {"compare", OPT_COMPARE, "OLD",
     "bench nothing: --compare OLD NEW prints each figure's ratio, SLOWER past 10%"},
    {"peers", OPT_PEERS, NULL,
     "only each algorithm alone against its dense Numba version (tests/bench/*_reference.py)"},
    {NULL, 0, NULL, NULL},
};

static volatile long sink;
static volatile double regret_sink; /* keeps the timed regret sums alive */

/* The limit: the same flat arrays indexed directly, one PCG32 draw for the
 * action and one for the alias choice, no reward bookkeeping. */
static double bare_loop(const tabrl_mdp *m, long steps)
{
  const size_t *row = m->row;
  const tabrl_alias_slot *slots = m->sampler;
  uint64_t A = (uint64_t)m->A;
  tabrl_pcg32 rng;
  long s = 0;
  tabrl_rng_stream(&rng, 1, TABRL_STREAM_TRANSITIONS, 0);
  double t0 = tabrl_now();
  for (long i = 0; i < steps; i++) {
    size_t b = (size_t)s * A + (((uint64_t)tabrl_pcg32_next(&rng) * A) >> 32);
    size_t lo = row[b];
    uint64_t x = (uint64_t)tabrl_pcg32_next(&rng) * (row[b + 1] - lo);
    const tabrl_alias_slot *slot = &slots[lo + (x >> 32)];
    s = slot->next[(uint32_t)x >= slot->cut];
  }
  sink = s;
  return (double)steps / (tabrl_now() - t0);
}

/* The simulator's own step, random valid actions (every action is valid in
 * the benchmark models). */
static double sim_loop(const tabrl_mdp *m, long steps)
{
  tabrl_pcg32 rng;
  int s = 0, h = 0, H = m->horizon > 0 ? m->horizon : 1;
  double total = 0, r;
  tabrl_rng_stream(&rng, 1, TABRL_STREAM_TRANSITIONS, 0);
  double t0 = tabrl_now();
  for (long i = 0; i < steps; i++) {
    int a = (int)(((uint64_t)tabrl_pcg32_next(&rng) * (uint64_t)m->A) >> 32);
    s = tabrl_mdp_step(m, h, s, a, &rng, &r);
    total += r;
    if (++h == H) h = 0;
  }
  sink = s + (long)total;
  return (double)steps / (tabrl_now() - t0);
}

/* GSL's alias sampler: one gsl_ran_discrete_t per (s, a). */
static double gsl_loop(const tabrl_mdp *m, long steps)
{
  size_t blocks = (size_t)m->S * (size_t)m->A;
  gsl_ran_discrete_t **tables = calloc(blocks, sizeof *tables);
  gsl_rng *r = tabrl_gsl_rng_stream(1, TABRL_STREAM_TRANSITIONS, 0);
  double rate = 0;
  long s = 0;
  if (!tables || !r) goto done;
  for (size_t b = 0; b < blocks; b++)
    if (!(tables[b] = gsl_ran_discrete_preproc(m->row[b + 1] - m->row[b], m->prob + m->row[b])))
      goto done;
  double t0 = tabrl_now();
  for (long i = 0; i < steps; i++) {
    size_t b = (size_t)s * (size_t)m->A + gsl_rng_uniform_int(r, (unsigned long)m->A);
    s = m->next[m->row[b] + gsl_ran_discrete(r, tables[b])];
  }
  sink = s;
  rate = (double)steps / (tabrl_now() - t0);
done:
  if (tables)
    for (size_t b = 0; b < blocks; b++) gsl_ran_discrete_free(tables[b]);
  free(tables);
  gsl_rng_free(r);
  return rate;
}

/* The objective an online type is timed under: the mean if it can, else
 * its first objective at a typical parameter. */
static const char *bench_objective(const tabrl_algo_type *type)
{
  static const char *const typical[][2] = {
      {"entropic", "entropic:-1"}, {"kl-robust", "kl-robust:0.1"},
      {"cvar", "cvar:0.3"},        {"mean-variance", "mean-variance:0.5"},
      {"ecrm", "ecrm:0.3"},
  };
  if (!type->objectives) return "mean";
  for (const tabrl_objective_type *const *o = type->objectives; *o; o++)
    if (*o == &tabrl_objective_mean) return "mean";
  for (size_t i = 0; i < sizeof typical / sizeof typical[0]; i++)
    if (!strcmp(type->objectives[0]->name, typical[i][0])) return typical[i][1];
  return "mean";
}

/* Episodes per second of one online or online-preference algorithm with
 * its default parameters on m under bench_objective (simulator included, no
 * exact evaluation: the runner's evaluation is a separate cost), for about
 * `budget` seconds.  A preference episode is a duel (two roll-outs, a
 * Bradley-Terry bit on the returns) or one roll-out when the learner
 * declines the query.  With `runner` (online only) each episode also does
 * what tabrl run does per episode: the committed policy's table
 * (tabrl_algo_policy, or tabrl_algo_actions) and its exact value and
 * regret by the runner's own run_eval_episode.  `episodes` (NULL: none) > 0 runs that many episodes
 * (a multiple of 16) instead of `budget` seconds, and receives the number
 * run: a learner's episode costs more as it visits more entries, so two
 * rates compare only over the same episodes.  0 if the type cannot run on
 * m. */
static double algo_rate_k(const tabrl_algo_type *type, const tabrl_setting *set, size_t nset,
                          const tabrl_mdp *m, int runner, double budget, long *episodes, long K,
                          char *why, size_t why_size)
{
  long timed = 0;
  if (!episodes) episodes = &timed;
  int duels = type->protocol == TABRL_ONLINE_PREFERENCE;
  tabrl_values *values = NULL;
  tabrl_problem problem;
  tabrl_objective objective;
  tabrl_stock_grid grid;
  unsigned char *valid = NULL;
  gsl_rng *algo_rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  gsl_rng *transitions = tabrl_gsl_rng_stream(1, TABRL_STREAM_TRANSITIONS, 0);
  gsl_rng *feedback_rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_FEEDBACK, 0);
  tabrl_feedback f = {.link = &tabrl_feedback_logistic, .temperature = 1};
  tabrl_algo *algo = NULL;
  tabrl_episode episode = {0};
  double *rewards = NULL;
  tabrl_duel d = {0};
  double rate = 0, t0, elapsed = 0, value, cum_regret = 0;
  long k = 0;
  tabrl_policy *committed = NULL;
  run_eval eval = {0};
  why[0] = '\0';
  if (duels) {
    d.first = tabrl_policy_alloc_for(m);
    d.second = tabrl_policy_alloc_for(m);
    d.traj = malloc((size_t)m->horizon * sizeof *d.traj);
    d.traj_second = malloc((size_t)m->horizon * sizeof *d.traj_second);
    if (!d.first || !d.second || !d.traj || !d.traj_second) goto done;
  }
  if (!algo_rng || !transitions || !feedback_rng ||
      tabrl_problem_init(&problem, m, K, algo_rng, type->sees_model, &valid))
    goto done;
  if (tabrl_objective_parse(bench_objective(type), &objective) ||
      tabrl_problem_set_objective(&problem, &objective, m, &grid) ||
      tabrl_values_resolve(type->params, type->name, set, nset, 0, &values) ||
      !(algo = tabrl_algo_alloc(type, &problem, values))) {
    snprintf(why, why_size, "%s", tabrl_error_message());
    goto done;
  }
  if (runner) {
    committed = type->stock_policies ? tabrl_stock_policy_alloc(&grid) : tabrl_policy_alloc_for(m);
    if (!committed || run_eval_init(&eval, &objective, m, committed)) goto done;
    episode.committed = committed;
    if (type->actions &&
        !(episode.actions = malloc((size_t)m->horizon * (size_t)m->S * sizeof *episode.actions)))
      goto done;
  }
  if (type->observe_rewards) {
    size_t n_rewards = (size_t)m->horizon * (size_t)m->S * (size_t)m->A;
    if (!(rewards = malloc(n_rewards * sizeof *rewards))) goto done;
    tabrl_mdp_reward_table(m, rewards);
    episode.rewards = rewards;
  }
  t0 = tabrl_now();
  while (*episodes > 0 ? k < *episodes : elapsed < budget) {
    for (int batch = 0; batch < 16; batch++, k++)
      if (duels ? tabrl_episode_preference(algo, m, k + 1, &f, transitions, feedback_rng, &d)
                : tabrl_episode_online(algo, m, k + 1, transitions, &episode)) {
        snprintf(why, why_size, "%s", tabrl_error_message());
        goto done;
      } else if (episode.has_committed) {
        /* The regret against J* = 0: the subtraction is what it costs. */
        if (run_eval_episode(&eval, &objective, m, &episode, &value)) goto done;
        cum_regret += 0 - value;
      }
    elapsed = tabrl_now() - t0;
  }
  rate = (double)k / elapsed;
  *episodes = k;
  regret_sink = cum_regret;
done:
  run_eval_free(&eval);
  free(episode.actions);
  tabrl_policy_free(committed);
  tabrl_algo_free(algo);
  free(rewards);
  tabrl_values_free(values);
  free(valid);
  tabrl_policy_free(d.first);
  tabrl_policy_free(d.second);
  free(d.traj);
  free(d.traj_second);
  gsl_rng_free(algo_rng);
  gsl_rng_free(transitions);
  gsl_rng_free(feedback_rng);
  return rate;
}

/* algo_rate_k with the problem's K (the episode count in the learners'
 * confidence widths, e.g. UCBVI's L = ln(5 S A K H / delta)) at a
 * million: the rates of one bench compare the same arithmetic. */
static double algo_rate(const tabrl_algo_type *type, const tabrl_setting *set, size_t nset,
                        const tabrl_mdp *m, int runner, double budget, long *episodes, char *why,
                        size_t why_size)
{
  return algo_rate_k(type, set, nset, m, runner, budget, episodes, 1000000, why, why_size);
}

/* The problem's K is the episodes run, as a reference script's is. */
double bench_algo_alone(const tabrl_algo_type *type, const tabrl_setting *set, size_t nset,
                        const tabrl_mdp *m, long *episodes, char *why, size_t why_size)
{
  return algo_rate_k(type, set, nset, m, 0, 0, episodes, *episodes, why, why_size);
}

/* The runner's per-episode cost beside the algorithm's: episodes/s of each
 * online type alone and with what `tabrl run` adds (algo_rate's runner),
 * and their ratio, the slow-down of a run (issue goal: at most 1.3), each
 * the best of `rounds` timings of about `budget` seconds. */
static void bench_overhead(const tabrl_mdp *rs, const tabrl_mdp *g3, double budget, int rounds)
{
  const tabrl_mdp *models[] = {rs, g3};
  char why[512];
  printf("run overhead: episodes/s of each online algorithm alone and in the runner's loop\n"
         "(committed policy table, exact value, regret), and alone / runner\n");
  printf("  %-18s %27s %27s\n", "", "RiverSwim(6), H=20", "Garnet(200,5,10), H=50");
  printf("  %-18s %9s %9s %7s %9s %9s %7s\n", "", "alone", "runner", "ratio", "alone", "runner",
         "ratio");
  for (size_t i = 0; tabrl_algo_types[i]; i++) {
    const tabrl_algo_type *t = tabrl_algo_types[i];
    if (t->protocol != TABRL_ONLINE) continue;
    /* Best of `rounds` of each, alone and runner alternating, over the
     * same episodes: load from other jobs only ever lowers a rate, and a
     * ratio of two timings taken far apart would mostly measure the load. */
    double rate[2][2] = {{0, 0}, {0, 0}};
    /* Those of the first (slower, runner) timing, then the same. */
    long episodes[2] = {0, 0};
    int ok = 1;
    for (int round = 0; round < rounds && ok; round++)
      for (int j = 0; j < 2 && ok; j++)
        for (int runner = 1; runner >= 0 && ok; runner--) {
          double r =
              algo_rate(t, NULL, 0, models[j], runner, budget, &episodes[j], why, sizeof why);
          ok = r > 0;
          rate[j][runner] = fmax(rate[j][runner], r);
        }
    if (!ok) continue; /* the online table above says why */
    char label[64];
    const char *objective = bench_objective(t);
    snprintf(label, sizeof label, "%s%s%s", t->name, strcmp(objective, "mean") ? ", " : "",
             strcmp(objective, "mean") ? objective : "");
    static const char *const model_id[] = {"riverswim6", "garnet200"};
    for (int j = 0; j < 2; j++) {
      bench_record("episodes/s", BENCH_HIGHER, rate[j][0], "overhead.%s.%s.alone", t->name,
                   model_id[j]);
      bench_record("episodes/s", BENCH_HIGHER, rate[j][1], "overhead.%s.%s.runner", t->name,
                   model_id[j]);
      bench_record("x", BENCH_LOWER, rate[j][0] / rate[j][1], "overhead.%s.%s.ratio", t->name,
                   model_id[j]);
    }
    printf("  %-18s %9.3g %9.3g %6.2fx %9.3g %9.3g %6.2fx%s\n", label, rate[0][0], rate[0][1],
           rate[0][0] / rate[0][1], rate[1][0], rate[1][1], rate[1][0] / rate[1][1],
           t->commits_per_episode ? "" : "   (commits to no policy)");
  }
}

/* Best of `rounds` timings (seconds) of fn; the other core's load only ever
 * adds time.  Returns the first failing status, else 0. */
static int best_time(int (*fn)(void *), void *ctx, int rounds, double *best)
{
  *best = INFINITY;
  for (int round = 0; round < rounds; round++) {
    double t0 = tabrl_now();
    int status = fn(ctx);
    if (status) return status;
    *best = fmin(*best, tabrl_now() - t0);
  }
  return 0;
}

typedef struct {
  const tabrl_mdp *m;
  const tabrl_policy *pi;
  tabrl_oracle_workspace *ws;
  double *V, *Q, *d;
} eval_job;

static int run_lu(void *p)
{
  eval_job *j = p;
  return tabrl_oracle_evaluate(j->m, j->pi, j->V);
}

static int run_sparse(void *p)
{
  eval_job *j = p;
  return tabrl_oracle_evaluate_ws(j->m, j->pi, 0, j->ws, j->V);
}

static int run_q(void *p)
{
  eval_job *j = p;
  return tabrl_oracle_q_pi(j->m, j->pi, 0, j->ws, j->V, j->Q);
}

static int run_occupancy(void *p)
{
  eval_job *j = p;
  return tabrl_oracle_occupancy(j->m, j->pi, NULL, TABRL_ORACLE_NORMALIZED, j->ws, j->d);
}

/* A fixed stochastic policy on m (all actions valid): weights drawn
 * uniformly from a PCG32 stream, normalised per state. */
static void random_policy(const tabrl_mdp *m, tabrl_policy *pi)
{
  tabrl_pcg32 rng;
  tabrl_rng_stream(&rng, 7, TABRL_STREAM_ALGO, 0);
  for (int s = 0; s < m->S; s++) {
    double *row = tabrl_policy_row(pi, 0, s), total = 0;
    for (int a = 0; a < m->A; a++) total += row[a] = tabrl_pcg32_uniform(&rng) + 0.05;
    for (int a = 0; a < m->A; a++) row[a] /= total;
  }
}

/* Exact evaluation of one stochastic policy on m: the dense LU of
 * tabrl_oracle_evaluate against the sparse iterative path, then Q^pi and
 * the occupancy measure through the same workspace. */
static int bench_evaluation(const tabrl_mdp *m, int quick)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_oracle_workspace *ws = tabrl_oracle_workspace_alloc(m);
  double *V_lu = malloc((size_t)m->S * sizeof *V_lu), *V = malloc((size_t)m->S * sizeof *V);
  double *Q = malloc((size_t)m->S * (size_t)m->A * sizeof *Q);
  double *d = malloc((size_t)m->S * sizeof *d);
  double lu = 0, sparse = 0, q = 0, occ = 0, diff = 0, res;
  int status = 0, steps;
  tabrl_mdp *slow = tabrl_mdp_clone(m);
  if (!pi || !ws || !V_lu || !V || !Q || !d || !slow) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  random_policy(m, pi);
  eval_job lu_job = {m, pi, ws, V_lu, Q, d}, job = {m, pi, ws, V, Q, d};
  if ((status = best_time(run_lu, &lu_job, quick ? 1 : 3, &lu))) goto done;
  if ((status = best_time(run_sparse, &job, 5, &sparse))) goto done;
  steps = tabrl_oracle_workspace_iterations(ws);
  res = tabrl_oracle_workspace_residual(ws);
  for (int s = 0; s < m->S; s++) diff = fmax(diff, fabs(V[s] - V_lu[s]));
  if ((status = best_time(run_q, &job, 5, &q))) goto done;
  if ((status = best_time(run_occupancy, &job, 5, &occ))) goto done;
  bench_record("ms", BENCH_LOWER, lu * 1e3, "eval.dense_lu");
  bench_record("ms", BENCH_LOWER, sparse * 1e3, "eval.sparse");
  bench_record("ms", BENCH_LOWER, q * 1e3, "eval.q_pi");
  bench_record("ms", BENCH_LOWER, occ * 1e3, "eval.occupancy");
  printf("exact evaluation of a stochastic policy, same model\n");
  printf("  %-52s %8.1f ms\n", "dense LU (tabrl_oracle_evaluate)", lu * 1e3);
  printf("  %-52s %8.2f ms  %.0fx faster; %d steps, residual %.2g, |V - V_LU| %.2g\n",
         "sparse iterative (tabrl_oracle_evaluate_ws)", sparse * 1e3, lu / sparse, steps, res,
         diff);
  printf("  %-52s %8.2f ms\n", "Q^pi (tabrl_oracle_q_pi)", q * 1e3);
  /* The step count hardly grows with the horizon 1 / (1 - gamma). */
  job.m = slow;
  if ((status = tabrl_mdp_set_time(slow, 0, 0.99)) ||
      (status = best_time(run_sparse, &job, 5, &sparse)))
    goto done;
  bench_record("ms", BENCH_LOWER, sparse * 1e3, "eval.sparse_gamma_0.99");
  printf("  %-52s %8.2f ms  %d steps\n", "sparse iterative, the same policy at gamma 0.99",
         sparse * 1e3, tabrl_oracle_workspace_iterations(ws));
  job.m = m;
  printf("  %-52s %8.2f ms  %d steps\n", "occupancy measure (tabrl_oracle_occupancy)", occ * 1e3,
         tabrl_oracle_workspace_iterations(ws));
done:
  if (status) cli_error("policy evaluation bench: %s", tabrl_error_message());
  tabrl_policy_free(pi);
  tabrl_oracle_workspace_free(ws);
  tabrl_mdp_free(slow);
  free(V_lu);
  free(V);
  free(Q);
  free(d);
  return status;
}

typedef struct {
  tabrl_algo *algo;
  long k;
} npg_job;

static int run_npg(void *ctx)
{
  npg_job *job = ctx;
  return tabrl_algo_iterate(job->algo, ++job->k);
}

/* One exact NPG iteration (Q^pi by the oracle's sparse path, warm-started
 * from the previous iterate's values, then the multiplicative update) on
 * m, the fastest of 20 after 5 warm-up iterations (the first solves start
 * from 0, the later ones from the previous policy's values). */
static int bench_npg(const tabrl_mdp *m, int quick)
{
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  unsigned char *valid = NULL;
  tabrl_problem problem;
  tabrl_algo *algo = NULL;
  const tabrl_algo_type *npg = tabrl_algo_find("npg");
  double first, step;
  int status = TABRL_ENOMEM;
  if (!rng || !npg) goto done;
  if ((status = tabrl_problem_init(&problem, m, 100, rng, 1, &valid))) goto done;
  problem.valid = valid;
  if (!(algo = tabrl_algo_alloc(npg, &problem, NULL))) {
    status = TABRL_EINVAL;
    goto done;
  }
  npg_job job = {algo, 0};
  if ((status = best_time(run_npg, &job, 1, &first))) goto done;
  for (int i = 0; i < 4; i++)
    if ((status = run_npg(&job))) goto done;
  if ((status = best_time(run_npg, &job, quick ? 5 : 20, &step))) goto done;
  bench_record("ms", BENCH_LOWER, step * 1e3, "npg.iteration");
  bench_record("ms", BENCH_LOWER, first * 1e3, "npg.first_iteration");
  printf("  %-52s %8.2f ms  (the first, from V = 0: %.2f ms)\n",
         "one exact NPG iteration (Q^pi + update)", step * 1e3, first * 1e3);
done:
  if (status) printf("  npg bench failed: %s\n", tabrl_error_message());
  tabrl_algo_free(algo);
  free(valid);
  gsl_rng_free(rng);
  return status;
}

/* One sweep of cdp (categorical distributional DP, 51 atoms) on m, the
 * fastest of 3 rounds, beside the mean sweep (sweep_us).  policy =
 * greedy (the distributional analogue of the optimality sweep) ranks the
 * actions by their means, a mean sweep, and projects one action's target
 * per state; uniform projects every entry's 51 atoms, about 51x a mean
 * sweep's work. */
static int bench_cdp(const tabrl_mdp *m, int quick, double sweep_us, const char *policy)
{
  const tabrl_algo_type *type = tabrl_algo_find("cdp");
  tabrl_setting set[] = {{"atoms", "51", "bench", 0}, {"policy", policy, "bench", 0}};
  char label[64];
  tabrl_values *values = NULL;
  unsigned char *valid = NULL;
  tabrl_algo *algo = NULL;
  tabrl_problem p;
  gsl_rng *rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  int n = quick ? 2 : 10, status;
  double best = INFINITY;
  if (!type || !rng || (status = tabrl_values_resolve(type->params, "cdp", set, 2, 0, &values)) ||
      (status = tabrl_problem_init(&p, m, n, rng, 1, &valid)) ||
      !(algo = tabrl_algo_alloc(type, &p, values))) {
    cli_error("%s", tabrl_error_message());
    status = TABRL_EINVAL;
    goto done;
  }
  for (int round = 0, k = 1; round < 3; round++) {
    double t0 = tabrl_now();
    for (int i = 0; i < n; i++)
      if ((status = tabrl_algo_iterate(algo, k++))) {
        cli_error("%s", tabrl_error_message());
        goto done;
      }
    best = fmin(best, (tabrl_now() - t0) / n * 1e6);
  }
  snprintf(label, sizeof label, "one cdp sweep, 51 atoms (policy = %s)", policy);
  bench_record("us", BENCH_LOWER, best, "cdp.sweep.%s", policy);
  printf("  %-52s %8.1f us   %.1fx of the mean sweep\n", label, best, best / sweep_us);
done:
  tabrl_algo_free(algo);
  tabrl_values_free(values);
  free(valid);
  gsl_rng_free(rng);
  return status;
}

/* Offline preference optimisation: one full-batch DPO step (the loss and
 * gradient pass over the pairs, then Adam on the S A logits) beside one
 * bare pass over the same pairs reading both logits (the limit: the step
 * cannot touch fewer bytes). */
typedef struct {
  tabrl_algo *algo;
  const tabrl_pref_data *d;
  const double *theta;
  long k;
} dpo_job;

static int run_dpo_step(void *p)
{
  dpo_job *j = p;
  return tabrl_algo_iterate(j->algo, ++j->k);
}

static int run_pair_pass(void *p)
{
  const dpo_job *j = p;
  const tabrl_pref_data *d = j->d;
  double total = 0;
  for (size_t i = 0; i < d->n; i++) {
    size_t row = (size_t)d->context[i] * 10;
    total += j->theta[row + (size_t)d->chosen[i]] - j->theta[row + (size_t)d->rejected[i]];
  }
  sink += (long)total;
  return 0;
}

static int bench_dpo(int quick)
{
  enum { S = 1000, A = 10, N = 100000 };
  int *context = malloc(N * sizeof *context), *chosen = malloc(N * sizeof *chosen),
      *rejected = malloc(N * sizeof *rejected);
  double *reference = malloc((size_t)S * A * sizeof *reference),
         *theta = malloc((size_t)S * A * sizeof *theta);
  gsl_rng *r = tabrl_gsl_rng_stream(0, TABRL_STREAM_DATASET, 0);
  int status = TABRL_ENOMEM;
  tabrl_algo *algo = NULL;
  if (!context || !chosen || !rejected || !reference || !theta || !r) goto done;
  for (int i = 0; i < S * A; i++) {
    reference[i] = 1.0 / A;
    theta[i] = gsl_rng_uniform(r);
  }
  for (int i = 0; i < N; i++) {
    context[i] = (int)gsl_rng_uniform_int(r, S);
    chosen[i] = (int)gsl_rng_uniform_int(r, A);
    rejected[i] = (int)gsl_rng_uniform_int(r, A);
  }
  tabrl_pref_data data = {N, context, chosen, rejected, reference};
  tabrl_problem problem = {
      .S = S, .A = A, .horizon = 1, .gamma = 1, .episodes = 1, .valid_stages = 1, .pref = &data};
  const tabrl_algo_type *dpo = tabrl_algo_find("dpo");
  if (!dpo || !(algo = tabrl_algo_alloc(dpo, &problem, NULL))) {
    status = TABRL_EINVAL;
    goto done;
  }
  dpo_job job = {algo, &data, theta, 0};
  double step, pass;
  int rounds = quick ? 5 : 20;
  if ((status = best_time(run_dpo_step, &job, rounds, &step)) ||
      (status = best_time(run_pair_pass, &job, rounds, &pass)))
    goto done;
  bench_record("ms", BENCH_LOWER, step * 1e3, "dpo.step");
  bench_record("ms", BENCH_LOWER, pass * 1e3, "dpo.pair_pass");
  printf("offline preference optimisation, %d contexts x %d responses, %d pairs\n", S, A, N);
  printf("  %-55s %8.3f ms  (%.2f ns/pair)\n", "one full-batch DPO step (gradient, Adam)",
         step * 1e3, step * 1e9 / N);
  printf("  %-55s %8.3f ms  (%.2f ns/pair)   %.2fx of the limit\n",
         "one pass over the pairs reading both logits (the limit)", pass * 1e3, pass * 1e9 / N,
         step / pass);
done:
  if (status) printf("  offline preference bench failed: %s\n", tabrl_error_message());
  tabrl_algo_free(algo);
  gsl_rng_free(r);
  free(context);
  free(chosen);
  free(rejected);
  free(reference);
  free(theta);
  return status;
}

/* The two episodes/s of one algorithm row; a rate of 0 (could not run) is
 * left out. */
static void bench_rate(const char *section, const char *name, double riverswim, double garnet)
{
  bench_record("episodes/s", BENCH_HIGHER, riverswim > 0 ? riverswim : NAN, "%s.%s.riverswim6",
               section, name);
  bench_record("episodes/s", BENCH_HIGHER, garnet > 0 ? garnet : NAN, "%s.%s.garnet200", section,
               name);
}

static int build(const char *name, const char *const *kv, size_t n, tabrl_mdp **m)
{
  tabrl_setting settings[8];
  for (size_t i = 0; i < n; i++)
    settings[i] = (tabrl_setting){kv[2 * i], kv[2 * i + 1], "bench", 0};
  int status = tabrl_env_build(name, settings, n, m);
  if (status) cli_error("%s", tabrl_error_message());
  return status;
}

int cli_bench(int argc, char **argv)
{
  static const char *const garnet1000[] = {"states",    "1000", "actions", "10",
                                           "branching", "5",    "gamma",   "0.9"};
  static const char *const garnet2000[] = {"states",    "2000", "actions", "10",
                                           "branching", "5",    "gamma",   "0.9"};
  static const char *const river[] = {"states", "6", "horizon", "20"};
  static const char *const garnet200[] = {"states",    "200", "actions", "5",
                                          "branching", "10",  "horizon", "50"};
  tabrl_mdp *g1 = NULL, *g2 = NULL, *rs = NULL, *g3 = NULL;
  int opt, quick = 0, peers = 0, code = CLI_FAIL;
  const char *json = NULL, *compare = NULL;
  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_bench_options)) != -1) {
    if (opt == OPT_QUICK)
      quick = 1;
    else if (opt == OPT_JSON)
      json = optarg;
    else if (opt == OPT_COMPARE)
      compare = optarg;
    else if (opt == OPT_PEERS)
      peers = 1;
    else
      return cli_usage("bench", CLI_USAGE);
  }
  if (compare) {
    if (optind + 1 != argc || json || quick || peers) return cli_usage("bench", CLI_USAGE);
    return bench_compare(compare, argv[optind]);
  }
  if (optind != argc) return cli_usage("bench", CLI_USAGE);
  bench_record_clear();
  bench_print_load("at the start");
  if (peers) {
    code = bench_peers(quick);
    bench_print_load("at the end");
    if (!code && json) code = bench_record_write(json, TABRL_VERSION, quick);
    bench_record_clear();
    return code;
  }
  long steps = quick ? 2000000 : 50000000;
  int sweeps = quick ? 20 : 400;

  if (build("garnet", garnet1000, 4, &g1) || build("garnet", garnet2000, 4, &g2) ||
      build("riverswim", river, 2, &rs) || build("garnet", garnet200, 4, &g3))
    goto done;

  printf("simulator, random actions (steps/s; %ld steps each)\n", steps);
  double bare = bare_loop(g1, steps);
  double sim = sim_loop(g1, steps);
  double sim_rs = sim_loop(rs, steps);
  double gsl = gsl_loop(g1, quick ? steps : steps / 5);
  bench_record("steps/s", BENCH_HIGHER, bare, "sim.bare.garnet1000");
  bench_record("steps/s", BENCH_HIGHER, sim, "sim.step.garnet1000");
  bench_record("steps/s", BENCH_HIGHER, sim_rs, "sim.step.riverswim6");
  bench_record("steps/s", BENCH_HIGHER, gsl, "sim.gsl.garnet1000");
  printf("  %-52s %8.1f M\n", "bare loop: flat alias + PCG32, Garnet(1000,10,5)", bare / 1e6);
  printf("  %-52s %8.1f M   %.2fx of bare\n", "tabrl_mdp_step, Garnet(1000,10,5)", sim / 1e6,
         sim / bare);
  printf("  %-52s %8.1f M\n", "tabrl_mdp_step, RiverSwim(6), H=20", sim_rs / 1e6);
  printf("  %-52s %8.1f M   %.2fx of bare\n", "gsl_ran_discrete tables, Garnet(1000,10,5)",
         gsl / 1e6, gsl / bare);

  double *V = calloc((size_t)g2->S, sizeof *V), *W = calloc((size_t)g2->S, sizeof *W);
  if (!V || !W) {
    free(V);
    free(W);
    cli_error("out of memory");
    goto done;
  }
  /* The fastest of 5 rounds: the other core's load only ever adds time. */
  double sweep_us = INFINITY;
  tabrl_oracle_sweep(g2, V, W, NULL);
  for (int round = 0; round < 5; round++) {
    double t0 = tabrl_now();
    for (int k = 0; k < sweeps; k++) tabrl_oracle_sweep(g2, (k & 1) ? W : V, (k & 1) ? V : W, NULL);
    sweep_us = fmin(sweep_us, (tabrl_now() - t0) / sweeps * 1e6);
  }
  printf("value iteration, Garnet(2000,10,5), gamma 0.9, %zu entries\n", g2->nnz);
  printf("  %-52s %8.1f us\n", "one Bellman optimality sweep", sweep_us);
  bench_record("us", BENCH_LOWER, sweep_us, "vi.sweep.garnet2000");
  {
    /* The same sweep for entropic:-1 (the risk-averse nested optimum), as
     * the oracle runs it: factored (a multiply-add per entry, S exps and a
     * log per (s, a)), and in log space (an expm1 per entry), the form it
     * falls back to. */
    tabrl_objective entropic;
    tabrl_nested_ws ws = {0};
    int ent_sweeps = sweeps / 10 > 0 ? sweeps / 10 : 1;
    double us[2] = {INFINITY, INFINITY};
    if (tabrl_objective_parse("entropic:-1", &entropic) ||
        tabrl_nested_ws_init(&ws, tabrl_nested_entropic(), &entropic, g2)) {
      tabrl_nested_ws_free(&ws);
      free(V);
      free(W);
      cli_error("%s", tabrl_error_message());
      goto done;
    }
    for (int form = 0; form < 2; form++) {
      ws.fast.on = form == 0;
      memset(V, 0, (size_t)g2->S * sizeof *V);
      for (int round = 0; round < 5; round++) {
        double t0 = tabrl_now();
        for (int k = 0; k < ent_sweeps; k++)
          tabrl_nested_sweep(tabrl_nested_entropic(), &entropic, g2, 0, (k & 1) ? W : V,
                             (k & 1) ? V : W, NULL, NULL, &ws, NULL);
        us[form] = fmin(us[form], (tabrl_now() - t0) / ent_sweeps * 1e6);
      }
    }
    tabrl_nested_ws_free(&ws);
    bench_record("us", BENCH_LOWER, us[0], "vi.entropic_sweep.factored");
    bench_record("us", BENCH_LOWER, us[1], "vi.entropic_sweep.log_space");
    printf("  %-52s %8.1f us   %.2fx of the mean sweep\n", "one entropic:-1 sweep (factored)",
           us[0], us[0] / sweep_us);
    printf("  %-52s %8.1f us   %.2fx of the mean sweep\n", "the same in log space (its fallback)",
           us[1], us[1] / sweep_us);
  }
  if (bench_cdp(g2, quick, sweep_us, "greedy") || bench_cdp(g2, quick, sweep_us, "uniform")) {
    free(V);
    free(W);
    goto done;
  }
  free(V);
  free(W);
  if (bench_evaluation(g2, quick) || bench_npg(g2, quick)) goto done;

  /* The stock-augmented model of cvar and mean-variance on RiverSwim(6),
   * H = 20: its size (the box S K per stage, and the states reachable) and
   * the exact solves, the fastest of 3. */
  {
    tabrl_stock_grid g;
    tabrl_objective cvar, mv;
    double J, cvar_s = INFINITY, mv_s = INFINITY;
    int status = tabrl_stock_grid_of(rs, &g);
    long reachable = status ? status : tabrl_stock_reachable(rs);
    if (status || reachable < 0 || tabrl_objective_parse("cvar:0.1", &cvar) ||
        tabrl_objective_parse("mean-variance:0.5", &mv)) {
      cli_error("%s", tabrl_error_message());
      goto done;
    }
    for (int round = 0; round < 3; round++) {
      double t0 = tabrl_now();
      if ((status = tabrl_objective_optimum(&cvar, rs, NULL, NULL, &J))) break;
      double t1 = tabrl_now();
      if ((status = tabrl_objective_optimum(&mv, rs, NULL, NULL, &J))) break;
      cvar_s = fmin(cvar_s, t1 - t0), mv_s = fmin(mv_s, tabrl_now() - t1);
    }
    if (status) {
      cli_error("%s", tabrl_error_message());
      goto done;
    }
    bench_record("states", BENCH_LOWER, (double)reachable, "stock.reachable_states");
    bench_record("ms", BENCH_LOWER, cvar_s * 1e3, "stock.cvar_optimum");
    bench_record("ms", BENCH_LOWER, mv_s * 1e3, "stock.mean_variance_optimum");
    printf("stock-augmented model, RiverSwim(6), H=20 (rewards 0.005 and 1: quantum 0.005)\n");
    printf("  %-52s %8ld   K = %ld stocks\n", "augmented states in the box, (H+1) S K",
           (long)(rs->horizon + 1) * rs->S * g.K, g.K);
    printf("  %-52s %8ld\n", "reachable from some (s, 0)", reachable);
    printf("  %-52s %8.1f ms\n", "exact cvar:0.1 optimum (one solve per stock)", cvar_s * 1e3);
    printf("  %-52s %8.1f ms\n", "exact mean-variance:0.5 optimum (line envelope)", mv_s * 1e3);
  }

  /* The exact return distribution of RiverSwim(6), H = 20 under the mean's
   * optimal policy (the grid path: forward propagation over (s, stock)),
   * the fastest of 3. */
  {
    double *V = malloc(tabrl_oracle_value_size(rs) * sizeof *V), best = INFINITY;
    tabrl_policy *pi = tabrl_policy_alloc_for(rs);
    tabrl_atom *atoms = NULL;
    size_t n = 0;
    int status = !V || !pi ? tabrl_error(TABRL_ENOMEM, "out of memory")
                           : tabrl_oracle_backward(rs, V, NULL, pi);
    for (int round = 0; !status && round < 3; round++) {
      free(atoms);
      atoms = NULL;
      double t0 = tabrl_now();
      status = tabrl_return_distribution(rs, pi, NULL, &atoms, &n);
      best = fmin(best, tabrl_now() - t0);
    }
    /* The general path on the same chain: the reward 1 made pi/3, off any
     * grid of the 0.005 reward, the same policy. */
    tabrl_mdp *off = status ? NULL : tabrl_mdp_clone(rs);
    tabrl_returns_report rep = {0};
    size_t n_off = 0;
    double best_off = INFINITY;
    if (!status && !off) status = TABRL_ENOMEM;
    for (size_t e = 0; off && e < off->nnz; e++)
      if (off->reward[e] == 1) off->reward[e] = 3.14159265358979323846 / 3;
    for (int round = 0; !status && round < 3; round++) {
      tabrl_atom *a = NULL;
      double t0 = tabrl_now();
      status = tabrl_return_distribution_opt(off, pi, NULL, NULL, &a, &n_off, &rep);
      best_off = fmin(best_off, tabrl_now() - t0);
      free(a);
    }
    tabrl_mdp_free(off);
    free(atoms);
    free(V);
    tabrl_policy_free(pi);
    if (!status && rep.grid) status = tabrl_error(TABRL_EINVAL, "bench: pi/3 fell on a grid");
    if (status) {
      cli_error("%s", tabrl_error_message());
      goto done;
    }
    bench_record("ms", BENCH_LOWER, best * 1e3, "dist.grid");
    bench_record("ms", BENCH_LOWER, best_off * 1e3, "dist.general");
    printf("exact return distribution, RiverSwim(6), H=20, the mean's optimal policy\n");
    printf("  %-52s %8.3f ms  %zu atoms\n", "tabrl_return_distribution (reward grid)", best * 1e3,
           n);
    printf("  %-52s %8.3f ms  %zu atoms, at most %zu alive at a stage\n",
           "the same, reward 1 -> pi/3 (general path)", best_off * 1e3, n_off, rep.max_alive);
  }

  /* Load + solve: the model written as CSV, read back and solved by VI to
   * eps = 1e-6 (pymdptoolbox takes 4.6 s for a 100k-entry file:
   * algos/README.md, "Reference speeds"). */
  {
    char csv[] = "/tmp/tabrl-bench-XXXXXX";
    int fd = mkstemp(csv);
    tabrl_mdp *loaded = NULL;
    double *U = calloc((size_t)g2->S, sizeof *U);
    if (fd >= 0) close(fd);
    if (fd >= 0 && U && !tabrl_mdp_write_csv(g2, csv)) {
      /* Best of three: the first read also pays for the page cache. */
      double best = INFINITY, read_ms = 0, vi_ms = 0;
      int iterations = 0, status = 0;
      for (int round = 0; round < 3 && !status; round++) {
        tabrl_mdp_free(loaded);
        loaded = NULL;
        memset(U, 0, (size_t)g2->S * sizeof *U);
        double t0 = tabrl_now();
        status = tabrl_mdp_read_csv(csv, 0, 0.9, &loaded);
        double t1 = tabrl_now();
        if (!status) status = tabrl_oracle_vi(loaded, 1e-6, 100000, U, NULL, NULL, &iterations);
        double t2 = tabrl_now();
        if (!status && t2 - t0 < best) {
          best = t2 - t0;
          read_ms = (t1 - t0) * 1e3;
          vi_ms = (t2 - t1) * 1e3;
        }
      }
      bench_record("ms", BENCH_LOWER, status ? NAN : best * 1e3, "load_solve.total");
      bench_record("ms", BENCH_LOWER, status ? NAN : read_ms, "load_solve.read");
      bench_record("ms", BENCH_LOWER, status ? NAN : vi_ms, "load_solve.vi");
      if (!status)
        printf("  %-52s %8.1f ms  (read %.1f ms + VI %d sweeps %.1f ms)\n",
               "load + solve, the same model as a CSV file", best * 1e3, read_ms, iterations,
               vi_ms);
      else
        printf("  load + solve failed: %s\n", tabrl_error_message());
    }
    if (fd >= 0) unlink(csv);
    free(U);
    tabrl_mdp_free(loaded);
  }

  /* The simulator alone, at the same episode shapes, is the ceiling. */
  double budget = quick ? 0.05 : 0.5;
  const tabrl_algo_type *random = tabrl_algo_find("random");
  char why[512];
  printf("online algorithms, episodes/s with default parameters (simulator included)\n");
  printf("  %-18s %22s %26s\n", "", "RiverSwim(6), H=20", "Garnet(200,5,10), H=50");
  if (random) {
    double a = algo_rate(random, NULL, 0, rs, 0, budget, NULL, why, sizeof why);
    double b = algo_rate(random, NULL, 0, g3, 0, budget, NULL, why, sizeof why);
    bench_rate("online", "random", a, b);
    printf("  %-18s %22.3g %26.3g   (uniform actions: the ceiling)\n", "random", a, b);
  }
  for (size_t i = 0; tabrl_algo_types[i]; i++) {
    const tabrl_algo_type *t = tabrl_algo_types[i];
    if (t->protocol != TABRL_ONLINE || t == random) continue;
    char label[64];
    const char *objective = bench_objective(t);
    snprintf(label, sizeof label, "%s%s%s", t->name, strcmp(objective, "mean") ? ", " : "",
             strcmp(objective, "mean") ? objective : "");
    double a = algo_rate(t, NULL, 0, rs, 0, budget, NULL, why, sizeof why);
    if (!(a > 0)) {
      printf("  %-18s %22s   %s\n", label, "n/a", *why ? why : "failed");
      continue;
    }
    double b = algo_rate(t, NULL, 0, g3, 0, budget, NULL, why, sizeof why);
    bench_rate("online", t->name, a, b);
    if (b > 0)
      printf("  %-18s %22.3g %26.3g\n", label, a, b);
    else
      printf("  %-18s %22.3g %26s   %.60s...\n", label, a, "n/a", *why ? why : "failed");
  }
  /* Variants that differ in cost from the defaults. */
  static const struct {
    const char *algo, *label, *id;
    tabrl_setting set;
  } variants[] = {
      {"ucbvi", "ucbvi hoeffding", "ucbvi-hoeffding", {"bonus", "hoeffding", "bench", 0}},
      {"optql", "optql bernstein", "optql-bernstein", {"bonus", "bernstein", "bench", 0}},
  };
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    const tabrl_algo_type *t = tabrl_algo_find(variants[i].algo);
    if (!t) continue;
    double a = algo_rate(t, &variants[i].set, 1, rs, 0, budget, NULL, why, sizeof why);
    double b = algo_rate(t, &variants[i].set, 1, g3, 0, budget, NULL, why, sizeof why);
    bench_rate("online", variants[i].id, a, b);
    printf("  %-18s %22.3g %26.3g\n", variants[i].label, a, b);
  }
  /* Many short rounds: the machine's speed drifts over tenths of a second. */
  bench_overhead(rs, g3, quick ? 0.01 : budget / 10, quick ? 3 : 15);
  printf(
      "online-preference algorithms, episodes/s with default parameters (two roll-outs and a\n"
      "logistic bit on the returns per duel; `random` above is the online protocol's ceiling)\n");
  for (size_t i = 0; tabrl_algo_types[i]; i++) {
    const tabrl_algo_type *t = tabrl_algo_types[i];
    if (t->protocol != TABRL_ONLINE_PREFERENCE) continue;
    double a = algo_rate(t, NULL, 0, rs, 0, budget, NULL, why, sizeof why);
    if (!(a > 0)) {
      printf("  %-18s %22s   %.60s\n", t->name, "n/a", *why ? why : "failed");
      continue;
    }
    double b = algo_rate(t, NULL, 0, g3, 0, budget, NULL, why, sizeof why);
    bench_rate("preference", t->name, a, b);
    if (b > 0)
      printf("  %-18s %22.3g %26.3g\n", t->name, a, b);
    else
      printf("  %-18s %22.3g %26s   %.60s\n", t->name, a, "n/a", *why ? why : "failed");
  }
  if (bench_dpo(quick)) goto done;
  bench_print_load("at the end");
  code = json ? bench_record_write(json, TABRL_VERSION, quick) : CLI_OK;
done:
  bench_record_clear();
  tabrl_mdp_free(g3);
  tabrl_mdp_free(g1);
  tabrl_mdp_free(g2);
  tabrl_mdp_free(rs);
  return code;
}
