/* dpo, ipo, slic, gpo: offline preference optimisation of a tabular
 * policy, one full-batch optimizer step per iteration (the
 * offline-preference protocol; the loss is algos/preference/po.h).
 *
 * Generalized Preference Optimization (Tang, Guo, Zheng, Calandriello,
 * Munos, Rowland, Richemond, Valko, Avila Pires and Piot 2024, "Generalized
 * Preference Optimization: A Unified Approach to Offline Alignment",
 * Section 2): minimise the mean over the comparisons (x, y_w, y_l) of
 * f(beta (h_w - h_l)), h = log pi - log pi_ref, for a convex f:
 *
 *   logistic           log(1 + e^-rho)        DPO
 *   hinge              max(0, 1 - rho)        SLiC
 *   squared            (rho - 1)^2            IPO
 *   exponential        e^-rho
 *   truncated-squared  max(0, 1 - rho)^2
 *   savage             1 / (1 + e^rho)^2
 *
 * (only the abstract and the section list of the paper could be read here;
 * the table of f is its Section 2's as we know it).  The named types are
 * these losses with their papers' parameters:
 *
 *   dpo   -log sigma(beta (h_w - h_l))  Rafailov et al. 2023, "Direct
 *         Preference Optimization", Eq. 7: gpo logistic, the same beta.
 *   ipo   (h_w - h_l - 1/(2 tau))^2      Azar et al. 2024, "A General
 *         Theoretical Paradigm to Understand Learning from Human
 *         Preferences", Section 5.1 (the empirical IPO loss): gpo squared
 *         at beta = 2 tau, scaled by 1/(4 tau^2), which changes no optimum.
 *   slic  max(0, 1 - beta (h_w - h_l))  the calibration hinge of Zhao et
 *         al. 2023 ("SLiC-HF"), max(0, delta - log pi(y_w) + log pi(y_l)),
 *         in GPO's form: margin delta = 1 / beta, log-ratios to the
 *         reference instead of log-probabilities, scaled by beta; gpo hinge.
 *
 * The policy starts at the reference (theta = log pi_ref), so h = 0 and the
 * first step is the same for every loss up to f'(0).  Optimizer: Adam
 * (Kingma and Ba 2015, Algorithm 1: betas 0.9 and 0.999, eps 1e-8, bias
 * corrected) or plain gradient descent, step `lr`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "preference/po.h"
#include "tabrl/error.h"

static double sigmoid(double x)
{
  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

static double f_logistic(double rho, double *df)
{
  *df = -sigmoid(-rho);
  return rho > 0 ? log1p(exp(-rho)) : -rho + log1p(exp(rho));
}

static double f_hinge(double rho, double *df)
{
  *df = rho < 1 ? -1 : 0;
  return rho < 1 ? 1 - rho : 0;
}

static double f_squared(double rho, double *df)
{
  *df = 2 * (rho - 1);
  return (rho - 1) * (rho - 1);
}

static double f_exponential(double rho, double *df)
{
  *df = -exp(-rho);
  return -*df;
}

static double f_truncated_squared(double rho, double *df)
{
  double t = rho < 1 ? 1 - rho : 0;
  *df = -2 * t;
  return t * t;
}

static double f_savage(double rho, double *df)
{
  double s = sigmoid(-rho);
  *df = -2 * s * s * sigmoid(rho);
  return s * s;
}

/* The derivatives alone: a step needs no loss value, and the logistic's
 * log1p would double the cost of a DPO step. */
static double d_logistic(double rho)
{
  return -sigmoid(-rho);
}

static double d_hinge(double rho)
{
  return rho < 1 ? -1 : 0;
}

static double d_squared(double rho)
{
  return 2 * (rho - 1);
}

static double d_exponential(double rho)
{
  return -exp(-rho);
}

static double d_truncated_squared(double rho)
{
  return rho < 1 ? -2 * (1 - rho) : 0;
}

static double d_savage(double rho)
{
  double s = sigmoid(-rho);
  return -2 * s * s * (1 - s);
}

/* DiscoPOP's log-ratio modulated loss at its recommended temperature 0.05
 * (Lu et al. 2024, "Discovering Preference Optimization Algorithms with
 * and for Large Language Models", Eq. 5, as in huggingface/trl
 * dpo_trainer.py, loss_type discopop; po-pair takes other temperatures). */
static double f_discopop(double rho, double *df)
{
  const double tau = 0.05;
  double d1, dz, l1 = f_logistic(rho, &d1), m = sigmoid(rho / tau);
  /* e^-rho m without overflow: m is tiny wherever e^-rho is huge. */
  double l2m = exp(-rho - f_logistic(rho / tau, &dz));
  *df = d1 * (1 - m) - l2m + (l2m - l1 * m) * (1 - m) / tau;
  return l1 * (1 - m) + l2m;
}

static double d_discopop(double rho)
{
  double df;
  f_discopop(rho, &df);
  return df;
}

const po_loss po_losses[] = {
    {"logistic", "log(1 + exp(-rho))", f_logistic, d_logistic},
    {"hinge", "max(0, 1 - rho)", f_hinge, d_hinge},
    {"squared", "(rho - 1)^2", f_squared, d_squared},
    {"exponential", "exp(-rho)", f_exponential, d_exponential},
    {"truncated-squared", "max(0, 1 - rho)^2", f_truncated_squared, d_truncated_squared},
    {"savage", "1 / (1 + exp(rho))^2", f_savage, d_savage},
    {"discopop", "log(1 + exp(-rho)) (1 - m) + exp(-rho) m, m = 1 / (1 + exp(-rho / 0.05))",
     f_discopop, d_discopop},
    {0},
};

double po_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                    const double *log_ref, const po_loss *f, double beta, double scale,
                    double *grad)
{
  double total = 0, w = scale / (double)(d->n ? d->n : 1);
  if (grad) memset(grad, 0, sizeof *grad * (size_t)A * (size_t)S);
  for (size_t i = 0; i < d->n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
    double diff = theta[yw] - theta[yl] - log_ref[yw] + log_ref[yl], df;
    total += f->f(beta * diff, &df);
    if (grad) {
      grad[yw] += w * beta * df;
      grad[yl] -= w * beta * df;
    }
  }
  return w * total;
}

void po_gradient(const tabrl_pref_data *d, int S, int A, const double *theta, const double *log_ref,
                 const po_loss *f, double beta, double scale, double *grad)
{
  double w = scale * beta / (double)(d->n ? d->n : 1);
  memset(grad, 0, sizeof *grad * (size_t)A * (size_t)S);
  for (size_t i = 0; i < d->n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
    double g = w * f->df(beta * (theta[yw] - theta[yl] - log_ref[yw] + log_ref[yl]));
    grad[yw] += g;
    grad[yl] -= g;
  }
}

enum { OPT_ADAM, OPT_GD };

typedef struct {
  int S, A;
  const tabrl_pref_data *data;
  const po_loss *f;
  double beta, scale, lr;
  int optimizer;
  long t;                                 /* steps taken (Adam's bias correction) */
  double *theta, *log_ref, *grad, *m, *v; /* S*A each */
} po_state;

#define PO_OPT_PARAMS                                                                              \
  {"optimizer", TABRL_CHOICE, "adam", "adam|gd",                                                   \
   "full-batch optimizer: Adam (betas 0.9, 0.999, eps 1e-8) or gradient descent"},                 \
  {                                                                                                \
    "lr", TABRL_DOUBLE, "0.01", "(0,inf)", "optimizer step size"                                   \
  }

static const tabrl_param dpo_params[] = {
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "inverse KL regularisation: loss -log sigma(beta d)"},
    PO_OPT_PARAMS,
    {0},
};

static const tabrl_param ipo_params[] = {
    {"tau", TABRL_DOUBLE, "0.1", "(0,inf)", "regularisation: loss (d - 1/(2 tau))^2"},
    PO_OPT_PARAMS,
    {0},
};

static const tabrl_param slic_params[] = {
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "scale of the log-ratio: loss max(0, 1 - beta d)"},
    PO_OPT_PARAMS,
    {0},
};

static const tabrl_param gpo_params[] = {
    {"f", TABRL_CHOICE, "logistic",
     "logistic|hinge|squared|exponential|truncated-squared|savage|discopop",
     "the convex function: loss f(beta d), d = h_w - h_l"},
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "scale of the log-ratio difference"},
    PO_OPT_PARAMS,
    {0},
};

static void po_release(void *state)
{
  po_state *st = state;
  free(st->theta);
  free(st->log_ref);
  free(st->grad);
  free(st->m);
  free(st->v);
}

static int po_init_common(po_state *st, const tabrl_problem *problem, const tabrl_values *v,
                          const char *name)
{
  if (!problem->pref)
    return tabrl_error(TABRL_EINVAL,
                       "%s needs a preference dataset (the offline-preference protocol)", name);
  size_t n = (size_t)problem->S * (size_t)problem->A;
  st->S = problem->S;
  st->A = problem->A;
  st->data = problem->pref;
  st->lr = tabrl_values_double(v, "lr");
  st->optimizer = tabrl_values_choice(v, "optimizer");
  st->theta = malloc(n * sizeof *st->theta);
  st->log_ref = malloc(n * sizeof *st->log_ref);
  st->grad = malloc(n * sizeof *st->grad);
  st->m = calloc(n, sizeof *st->m);
  st->v = calloc(n, sizeof *st->v);
  if (!st->theta || !st->log_ref || !st->grad || !st->m || !st->v)
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) st->theta[i] = st->log_ref[i] = log(problem->pref->reference[i]);
  return 0;
}

static int dpo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  po_state *st = state;
  st->f = &po_losses[PO_LOGISTIC];
  st->beta = tabrl_values_double(v, "beta");
  st->scale = 1;
  return po_init_common(st, problem, v, "dpo");
}

static int ipo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  po_state *st = state;
  double tau = tabrl_values_double(v, "tau");
  st->f = &po_losses[PO_SQUARED];
  st->beta = 2 * tau;
  st->scale = 1 / (4 * tau * tau);
  return po_init_common(st, problem, v, "ipo");
}

static int slic_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  po_state *st = state;
  st->f = &po_losses[PO_HINGE];
  st->beta = tabrl_values_double(v, "beta");
  st->scale = 1;
  return po_init_common(st, problem, v, "slic");
}

static int gpo_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  po_state *st = state;
  st->f = &po_losses[tabrl_values_choice(v, "f")];
  st->beta = tabrl_values_double(v, "beta");
  st->scale = 1;
  return po_init_common(st, problem, v, "gpo");
}

static int po_iterate(void *state, long iteration)
{
  po_state *st = state;
  size_t n = (size_t)st->S * (size_t)st->A;
  (void)iteration;
  po_gradient(st->data, st->S, st->A, st->theta, st->log_ref, st->f, st->beta, st->scale, st->grad);
  st->t++;
  if (st->optimizer == OPT_GD) {
    for (size_t i = 0; i < n; i++) st->theta[i] -= st->lr * st->grad[i];
    return 0;
  }
  double c1 = 1 - pow(0.9, (double)st->t), c2 = 1 - pow(0.999, (double)st->t);
  for (size_t i = 0; i < n; i++) {
    double g = st->grad[i];
    st->m[i] = 0.9 * st->m[i] + 0.1 * g;
    st->v[i] = 0.999 * st->v[i] + 0.001 * g * g;
    st->theta[i] -= st->lr * (st->m[i] / c1) / (sqrt(st->v[i] / c2) + 1e-8);
  }
  return 0;
}

static int po_policy(void *state, tabrl_policy *pi)
{
  po_state *st = state;
  for (int s = 0; s < st->S; s++)
    tabrl_softmax(st->theta + (size_t)s * (size_t)st->A, st->A, tabrl_policy_row(pi, 0, s));
  return 0;
}

#define PO_TYPE(NAME, DOC, SOURCE)                                                                 \
  .name = #NAME, .family = "preference", .doc = DOC, .source = SOURCE,                             \
  .protocol = TABRL_OFFLINE_PREFERENCE, .commits_per_episode = 1, .params = NAME##_params,         \
  .state_size = sizeof(po_state), .init = NAME##_init, .release = po_release, .policy = po_policy, \
  .iterate = po_iterate

const tabrl_algo_type tabrl_algo_dpo = {
    PO_TYPE(dpo,
            "Direct preference optimisation: loss -log sigma(beta (h_w - h_l)), h = log pi/pi_ref; "
            "one full-batch step per iteration (optimizer adam or gd, lr 0.01)",
            "Rafailov et al. 2023, Direct Preference Optimization, Eq. 7"),
};

const tabrl_algo_type tabrl_algo_ipo = {
    PO_TYPE(ipo,
            "Identity preference optimisation: loss (h_w - h_l - 1/(2 tau))^2, h = log pi/pi_ref; "
            "one full-batch step per iteration (optimizer adam or gd, lr 0.01)",
            "Azar et al. 2024, A General Theoretical Paradigm to Understand Learning from Human "
            "Preferences, Section 5.1"),
};

const tabrl_algo_type tabrl_algo_slic = {
    PO_TYPE(slic,
            "Sequence likelihood calibration in GPO form: hinge loss max(0, 1 - beta (h_w - h_l)); "
            "one full-batch step per iteration (optimizer adam or gd, lr 0.01)",
            "Zhao et al. 2023, SLiC-HF (calibration loss); Tang et al. 2024, GPO, Section 2"),
};

const tabrl_algo_type tabrl_algo_gpo = {
    PO_TYPE(gpo,
            "Generalized preference optimisation: loss f(beta (h_w - h_l)) for a convex f "
            "(logistic = dpo, hinge = slic, squared ~ ipo, exponential, truncated-squared, "
            "savage, discopop at tau 0.05); one full-batch step per iteration (optimizer adam or "
            "gd, lr 0.01)",
            "Tang et al. 2024, Generalized Preference Optimization, Section 2"),
};
