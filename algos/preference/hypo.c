/* hypo: hybrid preference optimisation (Song, Swamy, Singh, Bagnell and
 * Sun 2024, "The Importance of Online Data: Understanding Preference
 * Fine-tuning via Coverage", HyPO; only the abstract could be read here,
 * so no algorithm or equation number is cited): the offline DPO loss on
 * the dataset plus lambda times the reverse KL of the policy to the
 * reference on its own (online) samples,
 *
 *   -log s(beta (h_w - h_l)) averaged over the comparisons
 *   + lambda E_x KL(pi(. | x) || pi_ref(. | x)),
 *
 * x ranging over the dataset's contexts (each weighing its share of the
 * pairs).  The paper estimates the KL term from sampled responses; here
 * it and its gradient pi(a|x) (log pi/pi_ref (a|x) - KL_x) are exact.
 * The KL term makes the optimum finite where DPO's is degenerate
 * (tests/test_polosses.c solves one by bisection).  lambda = 0.1
 * (tabrl's default).  One full-batch step per iteration, optimizer as
 * po-pair. */
#include <math.h>
#include "preference/po_pair.h"
#include "tabrl/error.h"

double po_hypo_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                         const double *log_ref, double beta, double lambda, double *grad,
                         po_work *w)
{
  po_pair_spec dpo = {PP_SIGMOID, beta, 0, 1, 0};
  double loss = po_pair_objective(d, S, A, theta, log_ref, &dpo, grad, NULL, w);
  return loss + lambda * po_data_kl(d, S, A, w->logpi, log_ref, lambda, grad);
}

typedef struct {
  po_base b;
  double beta, lambda;
} hypo_state;

static const tabrl_param hypo_params[] = {
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "DPO's inverse KL regularisation"},
    {"lambda", TABRL_DOUBLE, "0.1", "[0,inf)", "weight of the online KL(pi || pi_ref)"},
    PO_PAIR_OPT_PARAMS,
    {0},
};

static int hypo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  hypo_state *st = state;
  st->beta = tabrl_values_double(v, "beta");
  st->lambda = tabrl_values_double(v, "lambda");
  return po_base_init(&st->b, problem, v, "hypo");
}

static int hypo_iterate(void *state, long iteration)
{
  hypo_state *st = state;
  po_base *b = &st->b;
  (void)iteration;
  po_hypo_objective(b->data, b->S, b->A, b->theta, b->log_ref, st->beta, st->lambda, b->grad,
                    b->work);
  po_opt_step(&b->opt, (size_t)b->S * (size_t)b->A, b->theta, b->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_hypo = {
    .name = "hypo",
    .family = "preference",
    .doc = "Hybrid preference optimisation: offline DPO loss -log s(beta (h_w - h_l)) plus lambda "
           "KL(pi || pi_ref) on-policy over the dataset's contexts, exact with its exact "
           "gradient; one full-batch step per iteration (optimizer adam or gd, lr 0.01)",
    .source = "Song et al. 2024, The Importance of Online Data: Understanding Preference "
              "Fine-tuning via Coverage, HyPO (abstract read)",
    .protocol = TABRL_OFFLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = hypo_params,
    .state_size = sizeof(hypo_state),
    .init = hypo_init,
    .release = po_base_release,
    .policy = po_base_policy,
    .iterate = hypo_iterate,
};
