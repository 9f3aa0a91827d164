/* kto: Kahneman-Tversky optimisation of a tabular policy (Ethayarajh,
 * Xu, Muennighoff, Jurafsky and Kiela 2024, "KTO: Model Alignment as
 * Prospect Theoretic Optimization"; only the abstract and secondary
 * summaries could be read here, so no section or equation number is
 * cited).  Each comparison (x, y_w, y_l) of the dataset gives one
 * desirable example (x, y_w) and one undesirable example (x, y_l), as the
 * paper does with paired data.  With r = log pi(y | x) - log pi_ref(y | x)
 * and the reference point z0 = KL(pi || pi_ref) (exact here: averaged over
 * the dataset's contexts, each weighing its share of the pairs), the loss
 * is the mean over the 2n examples of
 *
 *   desirable    lambda_D (1 - s(beta (r - z0)))
 *   undesirable  lambda_U (1 - s(beta (z0 - r)))
 *
 * (s logistic).  z0 is recomputed at every step and held constant in the
 * gradient (the paper does not back-propagate through it).  Defaults:
 * beta 0.1, lambda_D = lambda_U = 1 (the paper's for balanced data).  One
 * full-batch step per iteration, optimizer as po-pair. */
#include <math.h>
#include <string.h>
#include "preference/po_pair.h"
#include "tabrl/error.h"

static double sig(double x)
{
  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

double po_kto_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                        const double *log_ref, double beta, double lambda_d, double lambda_u,
                        double z0, double *grad, po_work *w)
{
  size_t sa = (size_t)S * (size_t)A;
  double total = 0, inv = 1 / (2 * (double)(d->n ? d->n : 1));
  po_log_policy(S, A, theta, w->logpi);
  memset(w->G, 0, sa * sizeof *w->G);
  for (size_t i = 0; i < d->n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
    double u = sig(beta * (w->logpi[yw] - log_ref[yw] - z0));
    double v = sig(beta * (z0 - w->logpi[yl] + log_ref[yl]));
    total += lambda_d * (1 - u) + lambda_u * (1 - v);
    w->G[yw] -= inv * lambda_d * beta * u * (1 - u);
    w->G[yl] += inv * lambda_u * beta * v * (1 - v);
  }
  if (grad) {
    memset(grad, 0, sa * sizeof *grad);
    po_chain(S, A, w->logpi, w->G, grad);
  }
  return inv * total;
}

typedef struct {
  po_base b;
  double beta, lambda_d, lambda_u;
} kto_state;

static const tabrl_param kto_params[] = {
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "scale of the implied reward r - z0"},
    {"lambda_d", TABRL_DOUBLE, "1", "(0,inf)", "weight of the desirable (chosen) examples"},
    {"lambda_u", TABRL_DOUBLE, "1", "(0,inf)", "weight of the undesirable (rejected) examples"},
    PO_PAIR_OPT_PARAMS,
    {0},
};

static int kto_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  kto_state *st = state;
  st->beta = tabrl_values_double(v, "beta");
  st->lambda_d = tabrl_values_double(v, "lambda_d");
  st->lambda_u = tabrl_values_double(v, "lambda_u");
  return po_base_init(&st->b, problem, v, "kto");
}

static int kto_iterate(void *state, long iteration)
{
  kto_state *st = state;
  po_base *b = &st->b;
  (void)iteration;
  po_log_policy(b->S, b->A, b->theta, b->work->logpi);
  double z0 = po_data_kl(b->data, b->S, b->A, b->work->logpi, b->log_ref, 0, NULL);
  po_kto_objective(b->data, b->S, b->A, b->theta, b->log_ref, st->beta, st->lambda_d, st->lambda_u,
                   z0 > 0 ? z0 : 0, b->grad, b->work);
  po_opt_step(&b->opt, (size_t)b->S * (size_t)b->A, b->theta, b->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_kto = {
    .name = "kto",
    .family = "preference",
    .doc = "Kahneman-Tversky optimisation: chosen responses desirable, rejected undesirable; loss "
           "mean of lambda_D (1 - s(beta (r - z0))) and lambda_U (1 - s(beta (z0 - r))), r = log "
           "pi/pi_ref, z0 = KL(pi || pi_ref) exact, held constant in the gradient; one full-batch "
           "step per iteration (optimizer adam or gd, lr 0.01)",
    .source = "Ethayarajh et al. 2024, KTO: Model Alignment as Prospect Theoretic Optimization "
              "(abstract read; the loss as summarised)",
    .protocol = TABRL_OFFLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = kto_params,
    .state_size = sizeof(kto_state),
    .init = kto_init,
    .release = po_base_release,
    .policy = po_base_policy,
    .iterate = kto_iterate,
};
