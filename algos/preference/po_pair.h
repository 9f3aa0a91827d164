/* Private to the offline preference-optimisation types beyond po.h's f
 * family (po-pair, kto, rpo, hypo, pmpo): losses with terms in h_w and h_l
 * separately, so the log-partition of the softmax no longer cancels and
 * the gradient goes through log pi.
 *
 * The policy is pi(y | x) = softmax_y theta(x, y) and h(x, y) = log pi(y |
 * x) - log pi_ref(y | x).  A loss is accumulated as G(x, y) = dL / d log
 * pi(y | x); then dL / dtheta(x, a) = G(x, a) - pi(a | x) sum_y G(x, y)
 * (po_chain). */
#ifndef TABRL_ALGOS_PO_PAIR_H
#define TABRL_ALGOS_PO_PAIR_H

#include "tabrl/algo.h"

/* The loss types of `po-pair loss = ...`, in the order of their names in
 * po_pair_names (NULL-terminated). */
enum {
  PP_SIGMOID,
  PP_HINGE,
  PP_IPO,
  PP_ROBUST,
  PP_EXO_PAIR,
  PP_DISCOPOP,
  PP_BCO_PAIR,
  PP_SPPO_HARD,
  PP_NCA_PAIR,
  PP_AOT,
  PP_AOT_PAIR,
  PP_APO_ZERO,
  PP_APO_DOWN
};
extern const char *const po_pair_names[];

typedef struct {
  int loss;
  double beta;
  double eps;   /* label smoothing (robust, exo-pair, aot, aot-pair) */
  double tau;   /* discopop's temperature */
  double delta; /* bco-pair's reward baseline (a constant in the gradient) */
} po_pair_spec;

/* Scratch for the objectives on S contexts, A responses, n pairs: after
 * an objective, logpi holds log pi at its theta. */
typedef struct {
  double v;
  size_t i;
} po_ranked;
typedef struct po_work {
  double *logpi, *G; /* S*A each */
  po_ranked *a, *b;  /* n each (aot's ranks) */
} po_work;
po_work *po_work_alloc(int S, int A, size_t n);
void po_work_free(po_work *w);

/* log pi into logpi (S*A) from the logits theta. */
void po_log_policy(int S, int A, const double *theta, double *logpi);
/* grad(x, a) += G(x, a) - pi(a | x) sum_y G(x, y); logpi from
 * po_log_policy. */
void po_chain(int S, int A, const double *logpi, const double *G, double *grad);

/* The mean loss of the dataset at theta, and when grad is not NULL its
 * gradient in theta (S*A, overwritten).  bco-pair's batch reward
 * mean(beta (h_w + h_l) / 2), which its running baseline averages, goes to
 * *batch_reward when not NULL. */
double po_pair_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                         const double *log_ref, const po_pair_spec *sp, double *grad,
                         double *batch_reward, po_work *w);

/* The full-batch optimizer shared by the types of this header: Adam
 * (betas 0.9, 0.999, eps 1e-8, bias corrected) or gradient descent. */
typedef struct {
  int gd;
  double lr;
  long t;
  double *m, *v; /* n each */
} po_opt;
int po_opt_init(po_opt *o, size_t n, int gd, double lr);
void po_opt_step(po_opt *o, size_t n, double *theta, const double *grad);
void po_opt_release(po_opt *o);

#define PO_PAIR_OPT_PARAMS                                                                         \
  {"optimizer", TABRL_CHOICE, "adam", "adam|gd",                                                   \
   "full-batch optimizer: Adam (betas 0.9, 0.999, eps 1e-8) or gradient descent"},                 \
  {                                                                                                \
    "lr", TABRL_DOUBLE, "0.01", "(0,inf)", "optimizer step size"                                   \
  }

/* KL(pi || pi_ref) averaged over the contexts of the dataset's pairs, and
 * when grad is not NULL weight times its gradient added to grad. */
double po_data_kl(const tabrl_pref_data *d, int S, int A, const double *logpi,
                  const double *log_ref, double weight, double *grad);

/* What every type of this header keeps: the logits, the reference, the
 * optimizer; a type's state starts with it, so po_base_release and
 * po_base_policy serve as its release and policy. */
typedef struct {
  int S, A;
  const tabrl_pref_data *data;
  po_opt opt;
  po_work *work;
  double *theta, *log_ref, *grad; /* S*A each; theta starts at log pi_ref */
} po_base;
int po_base_init(po_base *b, const tabrl_problem *problem, const tabrl_values *v, const char *name);
void po_base_release(void *state);
int po_base_policy(void *state, tabrl_policy *pi);

/* The objectives of kto, rpo, hypo and pmpo (their files give the
 * formulas): the mean loss at theta, and when grad is not NULL its
 * gradient (S*A, overwritten).  kto's reference point z0 is an argument:
 * the type passes KL(pi || pi_ref) at the current theta and holds it
 * constant in the gradient, as the paper does. */
double po_kto_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                        const double *log_ref, double beta, double lambda_d, double lambda_u,
                        double z0, double *grad, po_work *w);
double po_rpo_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                        const double *log_ref, double beta, double eta, double *grad, po_work *w);
double po_hypo_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                         const double *log_ref, double beta, double lambda, double *grad,
                         po_work *w);
double po_pmpo_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                         const double *log_ref, double alpha, double beta, double *grad,
                         po_work *w);

#endif
