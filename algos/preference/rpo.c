/* rpo: regularized preference optimisation (Liu, Lu, Zhang, Liu, Guo,
 * Yang, Blanchet and Wang 2024, "Provably Mitigating Overoptimization in
 * RLHF: Your SFT Loss is Implicitly an Adversarial Regularizer", Section
 * 4, Algorithm 2; only the abstract could be read here): the DPO loss plus
 * eta times the SFT loss on the chosen responses,
 *
 *   -log s(beta (h_w - h_l)) + eta (-log pi(y_w | x)),  h = log pi/pi_ref,
 *
 * averaged over the comparisons.  The SFT term is TRL's `rpo_alpha`
 * (trl/trainer/dpo_trainer.py: loss + rpo_alpha * nll_loss, "from V3 of
 * the paper"); eta = 1 (tabrl's default).  The SFT term keeps the chosen
 * responses' probability from falling, the overoptimisation the paper
 * targets; with conflicting comparisons the optimum is finite
 * (tests/test_polosses.c solves one by bisection).  One full-batch step
 * per iteration, optimizer as po-pair. */
#include <math.h>
#include <string.h>
#include "preference/po_pair.h"
#include "tabrl/error.h"

double po_rpo_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                        const double *log_ref, double beta, double eta, double *grad, po_work *w)
{
  po_pair_spec dpo = {PP_SIGMOID, beta, 0, 1, 0};
  double loss = po_pair_objective(d, S, A, theta, log_ref, &dpo, grad, NULL, w), sft = 0;
  double inv = 1 / (double)(d->n ? d->n : 1);
  memset(w->G, 0, (size_t)S * (size_t)A * sizeof *w->G);
  for (size_t i = 0; i < d->n; i++) {
    size_t yw = (size_t)d->context[i] * (size_t)A + (size_t)d->chosen[i];
    sft -= w->logpi[yw];
    w->G[yw] -= inv * eta;
  }
  if (grad) po_chain(S, A, w->logpi, w->G, grad);
  return loss + eta * inv * sft;
}

typedef struct {
  po_base b;
  double beta, eta;
} rpo_state;

static const tabrl_param rpo_params[] = {
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "DPO's inverse KL regularisation"},
    {"eta", TABRL_DOUBLE, "1", "[0,inf)", "weight of the SFT term -log pi(y_w | x)"},
    PO_PAIR_OPT_PARAMS,
    {0},
};

static int rpo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  rpo_state *st = state;
  st->beta = tabrl_values_double(v, "beta");
  st->eta = tabrl_values_double(v, "eta");
  return po_base_init(&st->b, problem, v, "rpo");
}

static int rpo_iterate(void *state, long iteration)
{
  rpo_state *st = state;
  po_base *b = &st->b;
  (void)iteration;
  po_rpo_objective(b->data, b->S, b->A, b->theta, b->log_ref, st->beta, st->eta, b->grad, b->work);
  po_opt_step(&b->opt, (size_t)b->S * (size_t)b->A, b->theta, b->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_rpo = {
    .name = "rpo",
    .family = "preference",
    .doc = "Regularized preference optimisation: DPO loss -log s(beta (h_w - h_l)) plus eta "
           "(-log pi(y_w | x)), h = log pi/pi_ref; one full-batch step per iteration (optimizer "
           "adam or gd, lr 0.01)",
    .source = "Liu et al. 2024, Provably Mitigating Overoptimization in RLHF, Section 4 "
              "(Algorithm 2; abstract read); TRL dpo_trainer.py rpo_alpha",
    .protocol = TABRL_OFFLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = rpo_params,
    .state_size = sizeof(rpo_state),
    .init = rpo_init,
    .release = po_base_release,
    .policy = po_base_policy,
    .iterate = rpo_iterate,
};
