/* Shared state of the sampled (online) policy-gradient types: reinforce,
 * ppo.  A tabular softmax policy per stage,
 *   pi_h(a|s) = exp(theta_h(s,a)) / sum_b exp(theta_h(s,b))
 * over the valid actions, fixed for a batch of B episodes (the policy the
 * runner values at the start of each of them); each episode's steps are
 * kept with their advantage
 *   A_h = G_h - b_h(s_h),  G_h = r_h + ... + r_{H-1}  (return-to-go),
 * b the baseline: 0 (`baseline = none`) or the running mean of the
 * returns-to-go seen at (h, s_h) in the episodes before this one
 * (`baseline = mean`).  A baseline fixed before the episode leaves the
 * estimate unbiased: E[b(s) grad log pi(a|s)] = 0 (Sutton and Barto 2018,
 * section 13.4).  When the batch is full the type updates theta. */
#ifndef TABRL_POLICY_SAMPLED_H
#define TABRL_POLICY_SAMPLED_H

#include "tabrl/algo.h"
#include "tabrl/rng.h"

typedef struct {
  int h, s, a;
  double adv;
} tabrl_spg_sample;

typedef struct {
  int H, S, A;
  long batch; /* B episodes per update */
  int mean_baseline;
  tabrl_pcg32 *rng;
  double *theta;             /* H*S*A logits, -inf at invalid actions */
  double *pi;                /* H*S*A softmax(theta): the batch's behaviour policy */
  double *grad;              /* H*S*A scratch */
  double *base;              /* H*S baseline */
  long *visits;              /* H*S episodes that reached (h, s) */
  double *rewards;           /* H: the current episode's */
  tabrl_spg_sample *samples; /* B*H: the batch */
  long filled;               /* episodes in the batch so far */
  unsigned long commits;     /* updates of pi so far: its version */
} tabrl_spg;

/* The `baseline` and `batch` parameters both types list. */
#define TABRL_SPG_PARAMS                                                                           \
  {"batch", TABRL_INT, "1", "[1,1000000]", "episodes per update (B)"},                             \
  {                                                                                                \
    "baseline", TABRL_CHOICE, "mean", "mean|none",                                                 \
        "b_h(s): running mean of the returns-to-go at (h, s) over earlier episodes, or 0"          \
  }

int tabrl_spg_init(tabrl_spg *g, const tabrl_problem *problem, const tabrl_values *params,
                   const char *name);
void tabrl_spg_release(tabrl_spg *g);

/* The policy's version (tabrl_algo_type.policy_version): pi changes only
 * at the end of a batch, so B - 1 of B episodes commit the last one. */
unsigned long tabrl_spg_version(const tabrl_spg *g);

/* pi <- softmax(theta), each row's logits shifted so that the largest is 0. */
void tabrl_spg_softmax(const tabrl_spg *g, const double *theta, double *pi);

int tabrl_spg_policy(const tabrl_spg *g, tabrl_policy *out, const char *name);
int tabrl_spg_act(tabrl_spg *g, int h, int s);
int tabrl_spg_observe(tabrl_spg *g, int h, int s, int a, double reward);

/* Closes the episode (advantages, baseline); 1 when the batch is full (the
 * type then updates and calls tabrl_spg_commit), 0 otherwise. */
int tabrl_spg_end_episode(tabrl_spg *g);

/* theta += step, the batch emptied, pi <- softmax(theta). */
void tabrl_spg_commit(tabrl_spg *g, const double *step);

/* grad <- (1/B) sum over the batch of w_i A_i grad_theta log pi(a_i|s_i)
 * at the policy p (H*S*A), w_i = weight(i) (1 when weight is NULL):
 * grad log pi_h(a|s) = e_a - pi_h(.|s) on the logits of (h, s). */
void tabrl_spg_gradient(const tabrl_spg *g, const double *p, const double *weight, double *grad);

#endif
