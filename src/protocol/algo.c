/* The algorithm registry and the generic algorithm object; see
 * tabrl/algo.h.  The pattern is GSL's gsl_rng_alloc(T): the type knows the
 * size of its private state, the object owns one zeroed block of that size
 * and dispatches through the type. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"

extern const tabrl_algo_type tabrl_algo_bobw_po;
extern const tabrl_algo_type tabrl_algo_cdp;
extern const tabrl_algo_type tabrl_algo_cmdp_pd;
extern const tabrl_algo_type tabrl_algo_colstim;
extern const tabrl_algo_type tabrl_algo_convex_ac;
extern const tabrl_algo_type tabrl_algo_ctd;
extern const tabrl_algo_type tabrl_algo_cvar_q;
extern const tabrl_algo_type tabrl_algo_cvar_vi;
extern const tabrl_algo_type tabrl_algo_dueling_rl;
extern const tabrl_algo_type tabrl_algo_dpo;
extern const tabrl_algo_type tabrl_algo_dvi_stock;
extern const tabrl_algo_type tabrl_algo_ecrm_pg;
extern const tabrl_algo_type tabrl_algo_egpo;
extern const tabrl_algo_type tabrl_algo_gpo;
extern const tabrl_algo_type tabrl_algo_greedy_q;
extern const tabrl_algo_type tabrl_algo_hypo;
extern const tabrl_algo_type tabrl_algo_mdtd;
extern const tabrl_algo_type tabrl_algo_ipo;
extern const tabrl_algo_type tabrl_algo_is_q;
extern const tabrl_algo_type tabrl_algo_kto;
extern const tabrl_algo_type tabrl_algo_lsvi_ucb;
extern const tabrl_algo_type tabrl_algo_maxmin_rlhf;
extern const tabrl_algo_type tabrl_algo_maxminlcb;
extern const tabrl_algo_type tabrl_algo_md;
extern const tabrl_algo_type tabrl_algo_mvp;
extern const tabrl_algo_type tabrl_algo_nash_md;
extern const tabrl_algo_type tabrl_algo_online_ipo;
extern const tabrl_algo_type tabrl_algo_oppo;
extern const tabrl_algo_type tabrl_algo_optql;
extern const tabrl_algo_type tabrl_algo_p2r;
extern const tabrl_algo_type tabrl_algo_pbrl_mle;
extern const tabrl_algo_type tabrl_algo_pe_ctd;
extern const tabrl_algo_type tabrl_algo_pevi;
extern const tabrl_algo_type tabrl_algo_plug_in;
extern const tabrl_algo_type tabrl_algo_pmpo;
extern const tabrl_algo_type tabrl_algo_po_pair;
extern const tabrl_algo_type tabrl_algo_policy_iteration;
extern const tabrl_algo_type tabrl_algo_psrl;
extern const tabrl_algo_type tabrl_algo_qdp;
extern const tabrl_algo_type tabrl_algo_qtd;
extern const tabrl_algo_type tabrl_algo_random;
extern const tabrl_algo_type tabrl_algo_random_duel;
extern const tabrl_algo_type tabrl_algo_rfzi;
extern const tabrl_algo_type tabrl_algo_rlsvi;
extern const tabrl_algo_type tabrl_algo_robust_pg;
extern const tabrl_algo_type tabrl_algo_robust_td;
extern const tabrl_algo_type tabrl_algo_rpo;
extern const tabrl_algo_type tabrl_algo_rsq;
extern const tabrl_algo_type tabrl_algo_rsvi;
extern const tabrl_algo_type tabrl_algo_rucb;
extern const tabrl_algo_type tabrl_algo_slic;
extern const tabrl_algo_type tabrl_algo_subpo;
extern const tabrl_algo_type tabrl_algo_ucbvi;
extern const tabrl_algo_type tabrl_algo_ucrl_vtr;
extern const tabrl_algo_type tabrl_algo_ucrl2;
extern const tabrl_algo_type tabrl_algo_value_iteration;
extern const tabrl_algo_type tabrl_algo_entropy_npg;
extern const tabrl_algo_type tabrl_algo_npg;
extern const tabrl_algo_type tabrl_algo_nvr_pg;
extern const tabrl_algo_type tabrl_algo_pmd;
extern const tabrl_algo_type tabrl_algo_pg;
extern const tabrl_algo_type tabrl_algo_reinforce;
extern const tabrl_algo_type tabrl_algo_ppo;
extern const tabrl_algo_type tabrl_algo_bnpo;
extern const tabrl_algo_type tabrl_algo_rebel;
extern const tabrl_algo_type tabrl_algo_rpg;

/* Alphabetical by name: `tabrl list algos` prints them in this order. */
const tabrl_algo_type *const tabrl_algo_types[] = {
    &tabrl_algo_bnpo,
    &tabrl_algo_bobw_po,
    &tabrl_algo_cdp,
    &tabrl_algo_cmdp_pd,
    &tabrl_algo_colstim,
    &tabrl_algo_convex_ac,
    &tabrl_algo_ctd,
    &tabrl_algo_cvar_q,
    &tabrl_algo_cvar_vi,
    &tabrl_algo_dpo,
    &tabrl_algo_dueling_rl,
    &tabrl_algo_dvi_stock,
    &tabrl_algo_ecrm_pg,
    &tabrl_algo_egpo,
    &tabrl_algo_entropy_npg,
    &tabrl_algo_gpo,
    &tabrl_algo_greedy_q,
    &tabrl_algo_hypo,
    &tabrl_algo_ipo,
    &tabrl_algo_is_q,
    &tabrl_algo_kto,
    &tabrl_algo_lsvi_ucb,
    &tabrl_algo_maxmin_rlhf,
    &tabrl_algo_maxminlcb,
    &tabrl_algo_md,
    &tabrl_algo_mdtd,
    &tabrl_algo_mvp,
    &tabrl_algo_nash_md,
    &tabrl_algo_npg,
    &tabrl_algo_nvr_pg,
    &tabrl_algo_online_ipo,
    &tabrl_algo_oppo,
    &tabrl_algo_optql,
    &tabrl_algo_p2r,
    &tabrl_algo_pbrl_mle,
    &tabrl_algo_pe_ctd,
    &tabrl_algo_pevi,
    &tabrl_algo_pg,
    &tabrl_algo_plug_in,
    &tabrl_algo_pmd,
    &tabrl_algo_pmpo,
    &tabrl_algo_po_pair,
    &tabrl_algo_policy_iteration,
    &tabrl_algo_ppo,
    &tabrl_algo_psrl,
    &tabrl_algo_qdp,
    &tabrl_algo_qtd,
    &tabrl_algo_random,
    &tabrl_algo_random_duel,
    &tabrl_algo_rebel,
    &tabrl_algo_reinforce,
    &tabrl_algo_rfzi,
    &tabrl_algo_rlsvi,
    &tabrl_algo_robust_pg,
    &tabrl_algo_robust_td,
    &tabrl_algo_rpg,
    &tabrl_algo_rpo,
    &tabrl_algo_rsq,
    &tabrl_algo_rsvi,
    &tabrl_algo_rucb,
    &tabrl_algo_slic,
    &tabrl_algo_subpo,
    &tabrl_algo_ucbvi,
    &tabrl_algo_ucrl_vtr,
    &tabrl_algo_ucrl2,
    &tabrl_algo_value_iteration,
    NULL,
};

const char *tabrl_protocol_name(tabrl_protocol p)
{
  switch (p) {
  case TABRL_ONLINE:
    return "online";
  case TABRL_ONLINE_PREFERENCE:
    return "online-preference";
  case TABRL_OFFLINE:
    return "offline";
  case TABRL_PLANNING:
    return "planning";
  case TABRL_OFFLINE_PREFERENCE:
    return "offline-preference";
  }
  return "unknown";
}

const tabrl_algo_type *tabrl_algo_find(const char *name)
{
  const char *names[128];
  size_t n = 0;
  for (size_t i = 0; tabrl_algo_types[i]; i++) {
    if (!strcmp(tabrl_algo_types[i]->name, name)) return tabrl_algo_types[i];
    if (n < sizeof names / sizeof names[0]) names[n++] = tabrl_algo_types[i]->name;
  }
  const char *near = tabrl_closest(name, names, n);
  if (near)
    tabrl_error(TABRL_ENOTFOUND, "unknown algorithm '%s'; did you mean '%s'?", name, near);
  else
    tabrl_error(TABRL_ENOTFOUND, "unknown algorithm '%s' (tabrl list algos shows them)", name);
  return NULL;
}

/* The functions every type and its protocol need (see tabrl/algo.h). */
static int check_type(const tabrl_algo_type *t)
{
  const char *missing = !t->init ? "init" : !t->policy ? "policy" : NULL;
  switch (t->protocol) {
  case TABRL_ONLINE:
    if (!missing) missing = !t->act ? "act" : !t->observe ? "observe" : NULL;
    break;
  case TABRL_ONLINE_PREFERENCE:
    if (!missing) missing = !t->propose ? "propose" : !t->feedback ? "feedback" : NULL;
    break;
  case TABRL_OFFLINE:
    if (!missing) missing = !t->fit ? "fit" : NULL;
    break;
  case TABRL_PLANNING:
  case TABRL_OFFLINE_PREFERENCE:
    if (!missing) missing = !t->iterate ? "iterate" : NULL;
    break;
  }
  if (missing)
    return tabrl_error(TABRL_EINVAL, "algorithm %s (%s) has no %s()", t->name,
                       tabrl_protocol_name(t->protocol), missing);
  return 0;
}

/* The names of the registered types that can optimise o, into buf. */
static void algos_for(const tabrl_objective_type *o, char *buf, size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; tabrl_algo_types[i] && used < size; i++) {
    const tabrl_objective_type *const *list = tabrl_algo_types[i]->objectives;
    int can = list ? 0 : o == &tabrl_objective_mean;
    for (; list && *list && !can; list++) can = *list == o;
    if (can)
      used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                               tabrl_algo_types[i]->name);
  }
}

int tabrl_algo_check(const tabrl_algo_type *type, const tabrl_problem *problem,
                     const tabrl_values *params)
{
  unsigned needs = type->needs;
  int online = type->protocol == TABRL_ONLINE || type->protocol == TABRL_ONLINE_PREFERENCE;
  tabrl_values *defaults = NULL;
  int status = 0;

  if (online) needs |= TABRL_NEEDS_EPISODIC;
  if (type->protocol == TABRL_OFFLINE_PREFERENCE && problem->horizon != 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s learns from offline preferences on a contextual bandit: the env must "
                       "have horizon 1, e.g. env = preference-bandit",
                       type->name);
  if ((needs & TABRL_NEEDS_EPISODIC) && problem->horizon < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       online
                           ? "%s is an online algorithm: the env must be episodic (set horizon), "
                             "not discounted (gamma = %g)"
                           : "%s needs an episodic env (set horizon), not a discounted one "
                             "(gamma = %g)",
                       type->name, problem->gamma);
  if ((needs & TABRL_NEEDS_FEATURES) && (problem->dim < 1 || !problem->phi))
    return tabrl_error(TABRL_EUNSUPPORTED, "%s needs an env with features, e.g. env = linear",
                       type->name);
  if ((needs & TABRL_NEEDS_MIXTURE) && (problem->mixture_dim < 1 || !problem->mixture_basis))
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s needs an env with a linear mixture basis, e.g. env = linear-mixture",
                       type->name);
  if ((needs & TABRL_NEEDS_VECTOR_REWARD) && problem->reward_dim < 1)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s needs an env with a vector reward, e.g. env = chain with objectives = "
                       "2 (or a model file with columns r1, r2, ...)",
                       type->name);
  if (type->check) {
    if (!params) {
      char owner[128];
      snprintf(owner, sizeof owner, "algo %s", type->name);
      if ((status = tabrl_values_resolve(type->params, owner, NULL, 0, 0, &defaults)))
        return status;
      params = defaults;
    }
    status = type->check(problem, params);
    tabrl_values_free(defaults);
    if (status) return status;
  }
  if (type->stock_policies && !problem->stock)
    return tabrl_error(TABRL_EUNSUPPORTED,
                       "%s acts on the stock-augmented state: it needs an augmented objective "
                       "(cvar, mean-variance, threshold or homeostatic)",
                       type->name);
  const tabrl_objective_type *o =
      problem->objective ? problem->objective->type : &tabrl_objective_mean;
  const tabrl_objective_type *const *list = type->objectives;
  int can = list ? 0 : o == &tabrl_objective_mean;
  for (; list && *list && !can; list++) can = *list == o;
  if (!can) {
    char others[512];
    algos_for(o, others, sizeof others);
    return tabrl_error(TABRL_EUNSUPPORTED, "%s cannot optimise the objective %s; %s%s", type->name,
                       problem->objective ? problem->objective->text : "mean",
                       *others ? "the algorithms that can: " : "no registered algorithm can",
                       others);
  }
  return 0;
}

tabrl_algo *tabrl_algo_alloc(const tabrl_algo_type *type, const tabrl_problem *problem,
                             const tabrl_values *params)
{
  tabrl_algo *algo;
  tabrl_values *defaults = NULL;
  int status;

  if (!type || !problem) {
    tabrl_error(TABRL_EINVAL, "tabrl_algo_alloc needs a type and a problem");
    return NULL;
  }
  if ((status = check_type(type))) return NULL;
  if (problem->S < 1 || problem->A < 1 || problem->horizon < 0) {
    tabrl_error(TABRL_EINVAL, "algorithm %s: bad problem sizes (S = %d, A = %d, H = %d)",
                type->name, problem->S, problem->A, problem->horizon);
    return NULL;
  }
  /* NULL params means every parameter at its default (tests, benches). */
  if (!params) {
    char owner[128];
    snprintf(owner, sizeof owner, "algo %s", type->name);
    if (tabrl_values_resolve(type->params, owner, NULL, 0, 0, &defaults)) return NULL;
    params = defaults;
  }
  if (tabrl_algo_check(type, problem, params)) {
    tabrl_values_free(defaults);
    return NULL;
  }
  algo = malloc(sizeof *algo);
  if (algo) algo->state = calloc(1, type->state_size ? type->state_size : 1);
  if (!algo || !algo->state) {
    free(algo);
    tabrl_values_free(defaults);
    tabrl_error(TABRL_ENOMEM, "out of memory for algorithm %s", type->name);
    return NULL;
  }
  algo->type = type;
  algo->problem = *problem;
  status = type->init(algo->state, problem, params);
  tabrl_values_free(defaults);
  if (status) {
    /* The state started zeroed, so release frees exactly what init got to
     * allocate before it failed; the message init set is kept. */
    if (type->release) type->release(algo->state);
    free(algo->state);
    free(algo);
    return NULL;
  }
  return algo;
}

void tabrl_algo_free(tabrl_algo *algo)
{
  if (!algo) return;
  if (algo->type->release) algo->type->release(algo->state);
  free(algo->state);
  free(algo);
}

/* ---- dispatch ---- */

static int unsupported(const tabrl_algo *algo, const char *call)
{
  return tabrl_error(TABRL_EUNSUPPORTED, "%s: %s() is not part of the %s protocol",
                     algo->type->name, call, tabrl_protocol_name(algo->type->protocol));
}

/* Adds "NAME: CALL(): " to a failing call's message. */
static int failed(const tabrl_algo *algo, const char *call, int status)
{
  if (status) tabrl_error_prefix("%s: %s()", algo->type->name, call);
  return status;
}

int tabrl_algo_begin_episode(tabrl_algo *algo, long k)
{
  if (algo->type->protocol != TABRL_ONLINE) return unsupported(algo, "begin_episode");
  if (!algo->type->begin_episode) return 0;
  return failed(algo, "begin_episode", algo->type->begin_episode(algo->state, k));
}

int tabrl_algo_end_episode(tabrl_algo *algo, long k)
{
  if (algo->type->protocol != TABRL_ONLINE) return unsupported(algo, "end_episode");
  if (!algo->type->end_episode) return 0;
  return failed(algo, "end_episode", algo->type->end_episode(algo->state, k));
}

int tabrl_algo_observe_rewards(tabrl_algo *algo, long k, const double *reward)
{
  if (algo->type->protocol != TABRL_ONLINE) return unsupported(algo, "observe_rewards");
  if (!algo->type->observe_rewards) return 0;
  if (!reward)
    return tabrl_error(TABRL_EINVAL,
                       "%s: a full-information learner needs the episode's reward function "
                       "(tabrl_episode.rewards)",
                       algo->type->name);
  return failed(algo, "observe_rewards", algo->type->observe_rewards(algo->state, k, reward));
}

int tabrl_algo_bad_action(const tabrl_algo *algo, int h, int s, int a)
{
  if (!algo->type->act) return unsupported(algo, "act");
  return tabrl_error(TABRL_EINVAL, "%s: act() returned action %d, not valid at stage %d, state %d",
                     algo->type->name, a, h, s);
}

int tabrl_algo_observe_failed(const tabrl_algo *algo, int status)
{
  if (!algo->type->observe) return unsupported(algo, "observe");
  return failed(algo, "observe", status);
}

static int problem_valid(const void *p, int h, int s, int a)
{
  return tabrl_problem_valid(p, h, s, a);
}

/* A policy an algorithm returned: shaped for the problem, rows valid. */
/* Rows of a stock policy: augmented state i is state i / K. */
static int stock_valid(const void *ctx, int h, int i, int a)
{
  const tabrl_problem *p = ctx;
  return tabrl_problem_valid(p, h, (int)(i / p->stock->K), a);
}

/* The states of the algorithm's policies: S, or S K for a stock policy. */
static int policy_states(const tabrl_algo *algo)
{
  const tabrl_problem *p = &algo->problem;
  return algo->type->stock_policies ? (int)(p->S * p->stock->K) : p->S;
}

/* tabrl_policy_check_rows' verdict on an S x A policy with the problem's
 * valid table read in place: no call per entry, and every policy an online
 * algorithm commits to is checked here each episode (the runner values it
 * unchecked).  1 when every row passes (the same sums in the same order);
 * 0 sends the policy to the general check for its message.  *full: 1 when
 * every row also puts mass on every valid action. */
static int rows_pass(const tabrl_problem *p, const tabrl_policy *pi, int stages, int *full)
{
  const int S = p->S, A = p->A;
  int all = 1;
  if (pi->S != S || pi->A != A || (pi->stages != 1 && pi->stages != stages)) return 0;
  for (int h = 0; h < stages; h++) {
    const unsigned char *valid =
        p->valid ? p->valid + (size_t)(p->valid_stages == 1 ? 0 : h) * (size_t)S * (size_t)A : NULL;
    for (int s = 0; s < S; s++) {
      const double *row = tabrl_policy_row(pi, h, s);
      const unsigned char *ok = valid ? valid + (size_t)s * (size_t)A : NULL;
      double total = 0;
      int bad = 0;
      for (int a = 0; a < A; a++) {
        bad |= !(row[a] >= 0 && row[a] <= 1 + 1e-9) || (row[a] > 0 && ok && !ok[a]);
        all &= row[a] > 0 || (ok && !ok[a]);
        total += row[a];
      }
      if (bad || fabs(total - 1.0) > 1e-9) return 0;
    }
  }
  *full = all;
  return 1;
}

static int check_policy_full(const tabrl_algo *algo, const tabrl_policy *pi, const char *call,
                             int *full)
{
  const tabrl_problem *p = &algo->problem;
  int stages = p->horizon > 0 ? p->horizon : 1;
  *full = 0;
  if (!algo->type->stock_policies && rows_pass(p, pi, stages, full)) return 0;
  return failed(algo, call,
                tabrl_policy_check_rows(pi, policy_states(algo), p->A, stages,
                                        algo->type->stock_policies ? stock_valid : problem_valid,
                                        p));
}

static int check_policy(const tabrl_algo *algo, const tabrl_policy *pi, const char *call)
{
  int full;
  return check_policy_full(algo, pi, call, &full);
}

/* The table offered to policy(): S x A (S K x A for a stock policy) with
 * the problem's number of stages. */
static int check_table(const tabrl_algo *algo, const tabrl_policy *pi, const char *call)
{
  const tabrl_problem *p = &algo->problem;
  int stages = p->horizon > 0 ? p->horizon : 1;
  if (pi->S != policy_states(algo) || pi->A != p->A || pi->stages != stages)
    return tabrl_error(TABRL_EINVAL,
                       "%s: %s(): the policy table is %d x %d with %d stages; the problem "
                       "needs %d x %d with %d",
                       algo->type->name, call, pi->S, pi->A, pi->stages, policy_states(algo), p->A,
                       stages);
  return 0;
}

int tabrl_algo_policy_support(tabrl_algo *algo, tabrl_policy *pi, int *full)
{
  int status = check_table(algo, pi, "policy");
  *full = 0;
  if (!status) status = failed(algo, "policy", algo->type->policy(algo->state, pi));
  return status ? status : check_policy_full(algo, pi, "policy", full);
}

int tabrl_algo_policy(tabrl_algo *algo, tabrl_policy *pi)
{
  int full;
  return tabrl_algo_policy_support(algo, pi, &full);
}

int tabrl_algo_actions(tabrl_algo *algo, int *action)
{
  const tabrl_problem *p = &algo->problem;
  if (!algo->type->actions) return unsupported(algo, "actions");
  int status = algo->type->actions(algo->state, action);
  if (status) return failed(algo, "actions", status);
  for (int h = 0; h < p->horizon; h++)
    for (int s = 0; s < p->S; s++) {
      int a = action[(size_t)h * (size_t)p->S + (size_t)s];
      if (a < 0 || a >= p->A || !tabrl_problem_valid(p, h, s, a))
        return tabrl_error(TABRL_EINVAL,
                           "%s: actions(): action %d at stage %d, state %d is not a valid action "
                           "there",
                           algo->type->name, a, h, s);
    }
  return 0;
}

int tabrl_algo_propose(tabrl_algo *algo, long k, tabrl_policy *first, tabrl_policy *second)
{
  int status;
  if (!algo->type->propose) return unsupported(algo, "propose");
  if ((status = check_table(algo, first, "propose")) ||
      (status = check_table(algo, second, "propose")))
    return status;
  int asked = algo->type->propose(algo->state, k, first, second);
  if (asked < 0) return failed(algo, "propose", asked);
  if ((status = check_policy(algo, first, "propose"))) return status;
  if (asked == TABRL_NO_QUERY) return TABRL_NO_QUERY;
  if (asked) return tabrl_error(TABRL_EINVAL, "%s: propose() returned %d", algo->type->name, asked);
  return check_policy(algo, second, "propose");
}

int tabrl_algo_feedback(tabrl_algo *algo, const tabrl_step *first, const tabrl_step *second,
                        int horizon, int prefer_first)
{
  if (!algo->type->feedback) return unsupported(algo, "feedback");
  return failed(algo, "feedback",
                algo->type->feedback(algo->state, first, second, horizon, prefer_first));
}

int tabrl_algo_ask(tabrl_algo *algo, const tabrl_step *first, int horizon)
{
  if (!algo->type->ask) return 1;
  int status = algo->type->ask(algo->state, first, horizon);
  return status < 0 ? failed(algo, "ask", status) : status != 0;
}

int tabrl_algo_fit(tabrl_algo *algo, const tabrl_dataset *data)
{
  if (!algo->type->fit) return unsupported(algo, "fit");
  return failed(algo, "fit", algo->type->fit(algo->state, data));
}

int tabrl_algo_iterate(tabrl_algo *algo, long k)
{
  if (!algo->type->iterate) return unsupported(algo, "iterate");
  return failed(algo, "iterate", algo->type->iterate(algo->state, k));
}

int tabrl_algo_distribution(tabrl_algo *algo, int s, tabrl_atom *out, size_t *n)
{
  if (!algo->type->distribution) return TABRL_EUNSUPPORTED;
  return failed(algo, "distribution", algo->type->distribution(algo->state, s, out, n));
}
