/* po-pair: every loss_type of the DPO trainer of huggingface TRL, in
 * tabular form, one full-batch optimizer step per iteration (the
 * offline-preference protocol; loss in algos/preference/po_pair.h).
 *
 * Source: huggingface/trl, trl/trainer/dpo_trainer.py, DPOTrainer
 * (commit f2cd577 of July 2026: the loss loop of _compute_loss; before the
 * refactor of commit e3b7897, the method dpo_loss).  With h = log pi - log
 * pi_ref for the chosen (w) and rejected (l) responses, d = h_w - h_l, rho
 * = beta d, s the logistic function and e the label smoothing
 * (`label_smoothing`):
 *
 *   sigmoid    -log s(rho)                                    (gpo logistic)
 *   hinge      max(0, 1 - rho)                                (gpo hinge)
 *   ipo        (d - 1/(2 beta))^2, beta playing IPO's tau     (type ipo)
 *   robust     (-(1-e) log s(rho) + e log s(-rho)) / (1 - 2e)
 *   exo-pair   q log(q/(1-e)) + (1-q) log((1-q)/e), q = s(rho): KL of
 *              (q, 1-q) to (1-e, e); needs e > 0; optimum rho = log((1-e)/e)
 *   discopop   -log s(rho) (1 - m) + e^-rho m, m = s(rho / discopop_tau)
 *   bco-pair   -log s(beta h_w - delta) - log s(-(beta h_l - delta)); delta
 *              (baseline = running, TRL PR #1524) is the running mean over
 *              steps of the detached batch mean of beta (h_w + h_l) / 2;
 *              TRL today uses delta = 0 (baseline = zero)
 *   sppo-hard  (h_w - 1/(2 beta))^2 + (h_l + 1/(2 beta))^2; optimum h_w =
 *              1/(2 beta), h_l = -1/(2 beta) where the simplex allows
 *   nca-pair   -log s(beta h_w) - log s(-beta h_w)/2 - log s(-beta h_l)/2;
 *              optimum beta h_w = log 2, h_l -> -inf
 *   aot        -(1-e) log s(beta D_k) - e log s(-beta D_k), D_k = the k-th
 *              smallest policy log-ratio log pi(y_w) - log pi(y_l) of the
 *              batch minus the k-th smallest reference log-ratio
 *   aot-pair   the same with D_k = the k-th smallest h_w minus the k-th
 *              smallest h_l (TRL renamed it aot_unpaired in commit 9f7c336)
 *   apo-zero   1 - s(beta h_w) + s(beta h_l)
 *   apo-down   s(beta h_w) + 1 - s(rho)
 *
 * The f-form ones (sigmoid, hinge, ipo, robust, exo-pair, discopop) are
 * f(beta d): sigmoid, hinge and ipo are gpo's logistic, hinge and (scaled)
 * squared, and discopop at tau 0.05 is gpo f = discopop; robust and
 * exo-pair carry the label smoothing e, which gpo's table of constant-free
 * f has no place for, so they are here only.  The sort of aot and
 * aot-pair is a permutation: the gradient flows to the pair holding each
 * rank (ties have probability 0 at generic logits).  The batch is the
 * whole dataset.  The policy starts at the reference; optimizer Adam or
 * gradient descent, step `lr`, as po.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "preference/po_pair.h"
#include "tabrl/error.h"

const char *const po_pair_names[] = {"sigmoid",  "hinge",    "ipo",       "robust",   "exo-pair",
                                     "discopop", "bco-pair", "sppo-hard", "nca-pair", "aot",
                                     "aot-pair", "apo-zero", "apo-down",  NULL};

po_work *po_work_alloc(int S, int A, size_t n)
{
  po_work *w = calloc(1, sizeof *w);
  size_t sa = (size_t)S * (size_t)A;
  if (!w) return NULL;
  w->logpi = malloc(sa * sizeof *w->logpi);
  w->G = malloc(sa * sizeof *w->G);
  w->a = malloc((n ? n : 1) * sizeof *w->a);
  w->b = malloc((n ? n : 1) * sizeof *w->b);
  if (!w->logpi || !w->G || !w->a || !w->b) {
    po_work_free(w);
    return NULL;
  }
  return w;
}

void po_work_free(po_work *w)
{
  if (!w) return;
  free(w->logpi);
  free(w->G);
  free(w->a);
  free(w->b);
  free(w);
}

void po_log_policy(int S, int A, const double *theta, double *logpi)
{
  for (int s = 0; s < S; s++) {
    const double *t = theta + (size_t)s * (size_t)A;
    double mx = t[0];
    for (int a = 1; a < A; a++)
      if (t[a] > mx) mx = t[a];
    double sum = exp(t[0] - mx); /* >= the term of the max, 1 */
    for (int a = 1; a < A; a++) sum += exp(t[a] - mx);
    double lz = mx + log(sum);
    for (int a = 0; a < A; a++) logpi[(size_t)s * (size_t)A + (size_t)a] = t[a] - lz;
  }
}

void po_chain(int S, int A, const double *logpi, const double *G, double *grad)
{
  for (int s = 0; s < S; s++) {
    size_t row = (size_t)s * (size_t)A;
    double sum = 0;
    for (int a = 0; a < A; a++) sum += G[row + (size_t)a];
    for (int a = 0; a < A; a++)
      grad[row + (size_t)a] += G[row + (size_t)a] - exp(logpi[row + (size_t)a]) * sum;
  }
}

double po_data_kl(const tabrl_pref_data *d, int S, int A, const double *logpi,
                  const double *log_ref, double weight, double *grad)
{
  double total = 0, inv = 1 / (double)(d->n ? d->n : 1);
  (void)S;
  /* Per pair, so that a context weighs its share of the pairs (the
   * prompts' empirical law): the runner's mu0 is not the algorithm's. */
  for (size_t i = 0; i < d->n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    double kl = 0;
    for (int a = 0; a < A; a++) {
      double lp = logpi[row + (size_t)a];
      kl += exp(lp) * (lp - log_ref[row + (size_t)a]);
    }
    total += inv * kl;
    if (grad)
      for (int a = 0; a < A; a++) {
        double lp = logpi[row + (size_t)a];
        grad[row + (size_t)a] += weight * inv * exp(lp) * (lp - log_ref[row + (size_t)a] - kl);
      }
  }
  return total;
}

static double sig(double x)
{
  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

static double logsig(double x)
{
  return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

/* The f-form losses: f(rho) and f'(rho) into *df. */
static double f_form(const po_pair_spec *sp, double rho, double *df)
{
  double e = sp->eps;
  switch (sp->loss) {
  case PP_SIGMOID:
    *df = -sig(-rho);
    return -logsig(rho);
  case PP_HINGE:
    *df = rho < 1 ? -1 : 0;
    return rho < 1 ? 1 - rho : 0;
  case PP_ROBUST:
    *df = (-(1 - e) * sig(-rho) - e * sig(rho)) / (1 - 2 * e);
    return (-(1 - e) * logsig(rho) + e * logsig(-rho)) / (1 - 2 * e);
  case PP_EXO_PAIR: {
    double q = sig(rho), lq = logsig(rho), lnq = logsig(-rho);
    *df = q * (1 - q) * (rho - log((1 - e) / e));
    return q * (lq - log1p(-e)) + (1 - q) * (lnq - log(e));
  }
  default: { /* PP_DISCOPOP */
    double m = sig(rho / sp->tau), l1 = -logsig(rho);
    /* e^-rho m without overflow: m is tiny wherever e^-rho is huge. */
    double l2m = exp(-rho + logsig(rho / sp->tau)), dm = m * (1 - m) / sp->tau;
    double l2dm = l2m * (1 - m) / sp->tau;
    *df = -sig(-rho) * (1 - m) - l2m + l2dm - l1 * dm;
    return l1 * (1 - m) + l2m;
  }
  }
}

/* A per-pair loss in h_w and h_l, with its partials. */
static double pair_loss(const po_pair_spec *sp, double hw, double hl, double *gw, double *gl)
{
  double b = sp->beta, c = 0.5 / b, df, v;
  switch (sp->loss) {
  case PP_IPO:
    v = hw - hl - c;
    *gw = 2 * v;
    *gl = -2 * v;
    return v * v;
  case PP_BCO_PAIR: {
    double u = b * hw - sp->delta, r = b * hl - sp->delta;
    *gw = -b * sig(-u);
    *gl = b * sig(r);
    return -logsig(u) - logsig(-r);
  }
  case PP_SPPO_HARD:
    *gw = 2 * (hw - c);
    *gl = 2 * (hl + c);
    return (hw - c) * (hw - c) + (hl + c) * (hl + c);
  case PP_NCA_PAIR: {
    double u = b * hw, r = b * hl;
    *gw = b * (-sig(-u) + 0.5 * sig(u));
    *gl = 0.5 * b * sig(r);
    return -logsig(u) - 0.5 * logsig(-u) - 0.5 * logsig(-r);
  }
  case PP_APO_ZERO: {
    double su = sig(b * hw), sr = sig(b * hl);
    *gw = -b * su * (1 - su);
    *gl = b * sr * (1 - sr);
    return 1 - su + sr;
  }
  case PP_APO_DOWN: {
    double su = sig(b * hw), sd = sig(b * (hw - hl));
    *gw = b * su * (1 - su) - b * sd * (1 - sd);
    *gl = b * sd * (1 - sd);
    return su + 1 - sd;
  }
  default:
    v = f_form(sp, b * (hw - hl), &df);
    *gw = b * df;
    *gl = -b * df;
    return v;
  }
}

static int by_value(const void *x, const void *y)
{
  const po_ranked *a = x, *b = y;
  if (a->v != b->v) return a->v < b->v ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

double po_pair_objective(const tabrl_pref_data *d, int S, int A, const double *theta,
                         const double *log_ref, const po_pair_spec *sp, double *grad,
                         double *batch_reward, po_work *w)
{
  size_t n = d->n, sa = (size_t)S * (size_t)A;
  double total = 0, reward = 0, inv = 1 / (double)(n ? n : 1);
  po_log_policy(S, A, theta, w->logpi);
  memset(w->G, 0, sa * sizeof *w->G);
  for (size_t i = 0; i < n; i++) {
    size_t row = (size_t)d->context[i] * (size_t)A;
    size_t yw = row + (size_t)d->chosen[i], yl = row + (size_t)d->rejected[i];
    double hw = w->logpi[yw] - log_ref[yw], hl = w->logpi[yl] - log_ref[yl];
    reward += inv * sp->beta * (hw + hl) / 2;
    if (sp->loss == PP_AOT) {
      w->a[i] = (po_ranked){w->logpi[yw] - w->logpi[yl], i};
      w->b[i] = (po_ranked){log_ref[yw] - log_ref[yl], i};
    } else if (sp->loss == PP_AOT_PAIR) {
      w->a[i] = (po_ranked){hw, i};
      w->b[i] = (po_ranked){hl, i};
    } else {
      double gw, gl;
      total += pair_loss(sp, hw, hl, &gw, &gl);
      w->G[yw] += inv * gw;
      w->G[yl] += inv * gl;
    }
  }
  if (sp->loss == PP_AOT || sp->loss == PP_AOT_PAIR) {
    qsort(w->a, n, sizeof *w->a, by_value);
    qsort(w->b, n, sizeof *w->b, by_value);
    double b = sp->beta, e = sp->eps;
    for (size_t k = 0; k < n; k++) {
      double D = w->a[k].v - w->b[k].v;
      total += -(1 - e) * logsig(b * D) - e * logsig(-b * D);
      double g = inv * b * (-(1 - e) * sig(-b * D) + e * sig(b * D));
      size_t ia = w->a[k].i, ib = w->b[k].i;
      size_t ra = (size_t)d->context[ia] * (size_t)A, rb = (size_t)d->context[ib] * (size_t)A;
      if (sp->loss == PP_AOT) {
        /* The reference ranks are constants: only the policy's log-ratio
         * of pair ia moves. */
        w->G[ra + (size_t)d->chosen[ia]] += g;
        w->G[ra + (size_t)d->rejected[ia]] -= g;
      } else {
        w->G[ra + (size_t)d->chosen[ia]] += g;
        w->G[rb + (size_t)d->rejected[ib]] -= g;
      }
    }
  }
  if (batch_reward) *batch_reward = reward;
  if (grad) {
    memset(grad, 0, sa * sizeof *grad);
    po_chain(S, A, w->logpi, w->G, grad);
  }
  return inv * total;
}

int po_opt_init(po_opt *o, size_t n, int gd, double lr)
{
  o->gd = gd;
  o->lr = lr;
  o->t = 0;
  o->m = calloc(n, sizeof *o->m);
  o->v = calloc(n, sizeof *o->v);
  if (!o->m || !o->v) return tabrl_error(TABRL_ENOMEM, "out of memory");
  return 0;
}

void po_opt_step(po_opt *o, size_t n, double *theta, const double *grad)
{
  o->t++;
  if (o->gd) {
    for (size_t i = 0; i < n; i++) theta[i] -= o->lr * grad[i];
    return;
  }
  double c1 = 1 - pow(0.9, (double)o->t), c2 = 1 - pow(0.999, (double)o->t);
  for (size_t i = 0; i < n; i++) {
    double g = grad[i];
    o->m[i] = 0.9 * o->m[i] + 0.1 * g;
    o->v[i] = 0.999 * o->v[i] + 0.001 * g * g;
    theta[i] -= o->lr * (o->m[i] / c1) / (sqrt(o->v[i] / c2) + 1e-8);
  }
}

void po_opt_release(po_opt *o)
{
  free(o->m);
  free(o->v);
}

int po_base_init(po_base *b, const tabrl_problem *problem, const tabrl_values *v, const char *name)
{
  if (!problem->pref)
    return tabrl_error(TABRL_EINVAL,
                       "%s needs a preference dataset (the offline-preference protocol)", name);
  size_t n = (size_t)problem->S * (size_t)problem->A;
  b->S = problem->S;
  b->A = problem->A;
  b->data = problem->pref;
  b->theta = malloc(n * sizeof *b->theta);
  b->log_ref = malloc(n * sizeof *b->log_ref);
  b->grad = malloc(n * sizeof *b->grad);
  b->work = po_work_alloc(b->S, b->A, b->data->n);
  if (!b->theta || !b->log_ref || !b->grad || !b->work)
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) b->theta[i] = b->log_ref[i] = log(problem->pref->reference[i]);
  return po_opt_init(&b->opt, n, tabrl_values_choice(v, "optimizer"), tabrl_values_double(v, "lr"));
}

void po_base_release(void *state)
{
  po_base *b = state;
  free(b->theta);
  free(b->log_ref);
  free(b->grad);
  po_work_free(b->work);
  po_opt_release(&b->opt);
}

int po_base_policy(void *state, tabrl_policy *pi)
{
  po_base *b = state;
  for (int s = 0; s < b->S; s++)
    tabrl_softmax(b->theta + (size_t)s * (size_t)b->A, b->A, tabrl_policy_row(pi, 0, s));
  return 0;
}

/* The po-pair type. */

typedef struct {
  po_base b;
  po_pair_spec spec;
  int running;  /* bco-pair's baseline: running mean of the batch rewards */
  double sum_r; /* their sum over the steps so far */
} pp_state;

static const tabrl_param po_pair_params[] = {
    {"loss", TABRL_CHOICE, "sigmoid",
     "sigmoid|hinge|ipo|robust|exo-pair|discopop|bco-pair|sppo-hard|nca-pair|aot|aot-pair|apo-"
     "zero|apo-down",
     "TRL DPOTrainer loss_type (formulas in the type's source, algos/preference/po_pair.c)"},
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "scale of the log-ratios (TRL's beta; ipo: its tau)"},
    {"label_smoothing", TABRL_DOUBLE, "0", "[0,0.5)",
     "e of robust, exo-pair (needs e > 0), aot and aot-pair"},
    {"discopop_tau", TABRL_DOUBLE, "0.05", "(0,inf)", "temperature of discopop's mixing weight"},
    {"baseline", TABRL_CHOICE, "running", "running|zero",
     "bco-pair's delta: running mean of the batch rewards (TRL PR #1524) or 0 (TRL today)"},
    PO_PAIR_OPT_PARAMS,
    {0},
};

static int po_pair_check(const tabrl_problem *problem, const tabrl_values *v)
{
  (void)problem;
  if (tabrl_values_choice(v, "loss") == PP_EXO_PAIR &&
      !(tabrl_values_double(v, "label_smoothing") > 0))
    return tabrl_error(
        TABRL_EUNSUPPORTED,
        "po-pair loss = exo-pair needs label_smoothing > 0 (its target is (1-e, e))");
  return 0;
}

static int po_pair_init(void *state, const tabrl_problem *problem, const tabrl_values *v)
{
  pp_state *st = state;
  st->spec.loss = tabrl_values_choice(v, "loss");
  st->spec.beta = tabrl_values_double(v, "beta");
  st->spec.eps = tabrl_values_double(v, "label_smoothing");
  st->spec.tau = tabrl_values_double(v, "discopop_tau");
  st->running = tabrl_values_choice(v, "baseline") == 0;
  return po_base_init(&st->b, problem, v, "po-pair");
}

static int po_pair_iterate(void *state, long iteration)
{
  pp_state *st = state;
  po_base *b = &st->b;
  (void)iteration;
  if (st->spec.loss == PP_BCO_PAIR && st->running) {
    /* TRL updates the running mean with this batch before the loss; the
     * batch reward is that of the current policy. */
    double r;
    po_pair_objective(b->data, b->S, b->A, b->theta, b->log_ref, &st->spec, NULL, &r, b->work);
    st->sum_r += r;
    st->spec.delta = st->sum_r / (double)(b->opt.t + 1);
  }
  po_pair_objective(b->data, b->S, b->A, b->theta, b->log_ref, &st->spec, b->grad, NULL, b->work);
  po_opt_step(&b->opt, (size_t)b->S * (size_t)b->A, b->theta, b->grad);
  return 0;
}

const tabrl_algo_type tabrl_algo_po_pair = {
    .name = "po-pair",
    .family = "preference",
    .doc = "Every loss_type of TRL's DPOTrainer in tabular form; h = log pi/pi_ref of the chosen "
           "(w) and rejected (l) response, d = h_w - h_l, rho = beta d, s = logistic, e = "
           "label_smoothing: sigmoid -log s(rho); hinge max(0, 1 - rho); ipo (d - 1/(2 beta))^2; "
           "robust (-(1-e) log s(rho) + e log s(-rho))/(1-2e); exo-pair KL((s(rho), s(-rho)) || "
           "(1-e, e)), optimum rho = log((1-e)/e); discopop -log s(rho) (1-m) + e^-rho m, m = "
           "s(rho/discopop_tau); bco-pair -log s(beta h_w - delta) - log s(delta - beta h_l), "
           "delta = running mean of beta (h_w + h_l)/2 (or 0); sppo-hard (h_w - 1/(2 beta))^2 + "
           "(h_l + 1/(2 beta))^2, optimum h_w = -h_l = 1/(2 beta); nca-pair -log s(beta h_w) - "
           "log s(-beta h_w)/2 - log s(-beta h_l)/2, optimum beta h_w = log 2; aot -(1-e) log "
           "s(beta D_k) - e log s(-beta D_k), D_k = k-th smallest log pi(y_w)/pi(y_l) of the "
           "batch minus k-th smallest reference one; aot-pair D_k = k-th smallest h_w minus k-th "
           "smallest h_l; apo-zero 1 - s(beta h_w) + s(beta h_l); apo-down s(beta h_w) + 1 - "
           "s(rho). One full-batch step per iteration (optimizer adam or gd, lr 0.01)",
    .source = "huggingface/trl, trl/trainer/dpo_trainer.py, DPOTrainer._compute_loss (dpo_loss "
              "before commit e3b7897); papers: cDPO/rDPO, EXO Eq. 16, DiscoPOP Eq. 5, BCO, SPPO "
              "Eq. 4.7, NCA, AOT, APO Eqs. 7-8",
    .protocol = TABRL_OFFLINE_PREFERENCE,
    .commits_per_episode = 1,
    .params = po_pair_params,
    .state_size = sizeof(pp_state),
    .check = po_pair_check,
    .init = po_pair_init,
    .release = po_base_release,
    .policy = po_base_policy,
    .iterate = po_pair_iterate,
};
