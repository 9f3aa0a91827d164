/* pmpo: preference-based MPO (Abdolmaleki, Piot, Shahriari, Springenberg,
 * Hertweck, Joshi, Oh, Bloesch, Lampe, Heess, Buchli and Riedmiller 2024,
 * "Preference Optimization as Probabilistic Inference"; only the abstract
 * and a secondary summary could be read here, so no equation number is
 * cited).  The chosen responses are the accepted samples D_a, the
 * rejected ones the rejected samples D_r, and the loss (minus the paper's
 * objective) is
 *
 *   -alpha E_{D_a} log pi(y | x) + (1 - alpha) E_{D_r} log pi(y | x)
 *   + beta E_x KL(pi_ref(. | x) || pi(. | x)),
 *
 * x over the dataset's contexts (each weighing its share of the pairs).
 * In a context with n_x pairs, C_a chosen and R_a rejected counts, this is
 * -sum_a c_a log pi(a | x) / n + const with c_a = alpha C_a - (1 - alpha)
 * R_a + beta n_x pi_ref(a | x): when every c_a > 0 the exact optimum is
 * pi(a | x) = c_a / sum_b c_b (tests/test_polosses.c); a c_a <= 0 drives
 * pi(a | x) to 0 (the KL is too weak to keep the rejected mass).  alpha =
 * 0.5, beta = 1 (tabrl's defaults).  One full-batch step per iteration,
 * optimizer as po-pair. */
#include <math.h>
#include <string.h>
#include "preference/po_pair.h"
#include "tabrl/error.h"

double po_pmpo_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                         const double *log_ref, double alpha, double beta, double *grad, po_work *w)
{
  size_t sa = (size_t)S * (size_t)A;
  double total = 0, inv = 1 / (double)(d->n ? d->n : 1);
  po_log_policy(S, A, theta, w->logpi);
  memset(w->G, 0, sa * sizeof *w->G);
  for (size_t i = 0; i < d->n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
    total += -alpha * w->logpi[yw] + (1 - alpha) * w->logpi[yl];
    w->G[yw] -= inv * alpha;
    w->G[yl] += inv * (1 - alpha);
    /* KL(pi_ref || pi) = sum_a ref (log ref - log pi), once per pair. */
    for (int a = 0; a < A; a++) {
      double ref = exp(log_ref[row + (size_t)a]);
      total += beta * ref * (log_ref[row + (size_t)a] - w->logpi[row + (size_t)a]);
      w->G[row + (size_t)a] -= inv * beta * ref;
    }
  }
  if (grad) {
    memset(grad, 0, sa * sizeof *grad);
    po_chain(S, A, w->logpi, w->G, grad);
  }
  return inv * total;
}

typedef struct {
  po_base b;
  double alpha, beta;
} pmpo_state;

static const tabrl_param pmpo_params[] = {
    {"alpha", TABRL_DOUBLE, "0.5", "[0,1]",
     "weight of the accepted samples (1 - alpha: the rejected ones)"},
    {"beta", TABRL_DOUBLE, "1", "[0,inf)", "weight of KL(pi_ref || pi)"},
    PO_PAIR_OPT_PARAMS,
    {0},
};

static int pmpo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  pmpo_state *st = state;
  st->alpha = tabrl_values_double(v, "alpha");
  st->beta = tabrl_values_double(v, "beta");
  return po_base_init(&st->b, problem, v, "pmpo");
}

static int pmpo_iterate(void *state, long iteration)
{
  pmpo_state *st = state;
  po_base *b = &st->b;
  (void)iteration;
  po_pmpo_objective(b->data, b->S, b->A, b->theta, b->log_ref, st->alpha, st->beta, b->grad,
                    b->work);
  po_opt_step(&b->opt, (size_t)b->S * (size_t)b->A, b->theta, b->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_pmpo = {
    .name = "pmpo",
    .family = "preference",
    .doc = "Preference-based MPO: loss -alpha E_accepted log pi + (1 - alpha) E_rejected log pi + "
           "beta KL(pi_ref || pi) (chosen = accepted, rejected = rejected); exact optimum pi "
           "proportional to alpha C - (1 - alpha) R + beta n_x pi_ref where positive; one "
           "full-batch step per iteration (optimizer adam or gd, lr 0.01)",
    .source = "Abdolmaleki et al. 2024, Preference Optimization as Probabilistic Inference "
              "(abstract and a summary read)",
    .protocol = TABRL_OFFLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = pmpo_params,
    .state_size = sizeof(pmpo_state),
    .init = pmpo_init,
    .release = po_base_release,
    .policy = po_base_policy,
    .iterate = pmpo_iterate,
};
