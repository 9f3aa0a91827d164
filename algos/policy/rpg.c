/* rpg: KL-regularised policy gradient with importance weights from the
 * sampling policy, tabular softmax on a contextual bandit (Zhang, Liu,
 * Yuan, Yuan, Gu, Yao 2025, "On the Design of KL-Regularized Policy
 * Gradient Algorithms for LLM Reasoning", arXiv 2505.17508: the
 * Regularized Policy Gradient view).  Only the abstract, the project page
 * and a summary of the unnormalised reverse-KL surrogate could be read
 * here, not the paper's sections: no section or equation number is cited,
 * and the four surrogates below are derived for a fixed reference pi_ref
 * (the paper's iterative scheme uses the last iterate as the reference;
 * reference = the sampling policy is the special case pi_ref = pi_old).
 *
 * Objective, per context s drawn from mu0 (a prompt) and response a:
 *   J(theta) = E_s [ E_{a ~ pi_theta(.|s)} r(s, a) - beta D_s(theta) ],
 *   kl = reverse:  D = KL(pi_theta || pi_ref)  (form = normalized), or
 *                  UKL(pi_theta || pi_ref) = sum pi log(pi/pi_ref) - pi + pi_ref
 *                  (form = unnormalized, the k3 penalty's expectation);
 *   kl = forward:  D = KL(pi_ref || pi_theta), or
 *                  UKL(pi_ref || pi_theta) = sum pi_ref log(pi_ref/pi) + pi - pi_ref.
 * The responses of a batch are drawn from pi_old (the policy when the batch
 * started); with w = pi_theta/pi_old and v = pi_ref/pi_old at the sample,
 * each divergence is an expectation under pi_old (the off-policy rewriting
 * of the RPG view), and the per-sample surrogate f_i, whose gradient is an
 * unbiased estimate of grad J, is
 *   reverse, normalized:   f = w r - beta w log(pi/pi_ref)
 *                          grad f = w (r - beta (log(pi/pi_ref) + 1)) grad log pi
 *   reverse, unnormalized: f = w r - beta (w log(pi/pi_ref) - w + v)
 *                          grad f = w (r - beta log(pi/pi_ref)) grad log pi
 *   forward, normalized:   f = w r - beta v log(pi_ref/pi)
 *                          grad f = (w r + beta v) grad log pi
 *   forward, unnormalized: f = w r - beta (v log(pi_ref/pi) + w - v)
 *                          grad f = (w r + beta (v - w)) grad log pi
 * with grad_theta(s,.) log pi(a|s) = e_a - pi(.|s).  A softmax policy sums
 * to 1, so each unnormalised divergence equals its normalised one: the two
 * forms optimise the same J and differ only by a zero-mean term of the
 * estimator (w grad log pi), i.e. in variance.  Fixed points (the
 * gradient's expectation vanishes):
 *   reverse: pi*(a|s) = pi_ref(a|s) exp(r(s,a)/beta) / Z(s);
 *   forward: pi*(a|s) = beta pi_ref(a|s) / (lambda(s) - r(s,a)), lambda(s) >
 *            max_a r(s,a) the root of sum_a pi*(a|s) = 1.
 *
 * One update per `batch` episodes: `epochs` gradient ascent steps theta +=
 * eta (1/batch) sum_i grad f_i on the batch (the first at w = 1; from the
 * second on the importance weights correct for pi_theta != pi_old).  No
 * clipping (the paper's RPG-Style Clip is not built).
 *
 * Reference: the env's (`reference =` of preference-bandit), uniform when
 * it has none; the runner passes it (uses_reference: tabrl_problem.pref,
 * no comparisons) and writes runs.csv kl = E_{s ~ mu0} KL(pi_k(.|s) ||
 * pi_ref(.|s)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/algo.h"
#include "tabrl/error.h"
#include "policy/contextual.h"

enum { RPG_REVERSE = 0, RPG_FORWARD };
enum { RPG_NORMALIZED = 0, RPG_UNNORMALIZED };

static const tabrl_param rpg_params[] = {
    {"kl", TABRL_CHOICE, "reverse", "reverse|forward",
     "reverse KL(pi || pi_ref) or forward KL(pi_ref || pi)"},
    {"form", TABRL_CHOICE, "normalized", "normalized|unnormalized",
     "the divergence's normalised (KL) or unnormalised (UKL) surrogate"},
    {"beta", TABRL_DOUBLE, "0.1", "(0,inf)", "weight of the KL penalty"},
    {"eta", TABRL_DOUBLE, "1", "(0,inf)", "step size of the gradient ascent on the logits"},
    {"batch", TABRL_INT, "16", "[1,1000000]", "episodes (sampled responses) per update"},
    {"epochs", TABRL_INT, "1", "[1,1000]", "gradient steps on each batch (importance-weighted)"},
    {0},
};

typedef struct {
  contextual_po b;
  int kl, form, epochs;
  double beta, eta;
  double *cur, *grad; /* S*A: softmax of the moving theta, the gradient */
} rpg_state;

static int rpg_check(const tabrl_problem *problem, const tabrl_values *params)
{
  (void)params;
  return contextual_po_check(problem, "rpg");
}

static void rpg_release(void *state)
{
  rpg_state *st = state;
  contextual_po_free(&st->b);
  free(st->cur);
  free(st->grad);
}

static int rpg_init(void *state, const tabrl_problem *problem, const tabrl_values *params)
{
  rpg_state *st = state;
  int status = contextual_po_init(&st->b, problem, tabrl_values_int(params, "batch"), "rpg");
  if (status) return status;
  st->kl = tabrl_values_choice(params, "kl");
  st->form = tabrl_values_choice(params, "form");
  st->epochs = (int)tabrl_values_int(params, "epochs");
  st->beta = tabrl_values_double(params, "beta");
  st->eta = tabrl_values_double(params, "eta");
  size_t n = (size_t)st->b.S * (size_t)st->b.A;
  st->cur = malloc(n * sizeof *st->cur);
  st->grad = malloc(n * sizeof *st->grad);
  if (!st->cur || !st->grad) return tabrl_error(TABRL_ENOMEM, "rpg: out of memory");
  return 0;
}

/* The coefficient c of grad log pi(a|s) in grad f (see the header). */
static double rpg_coef(const rpg_state *st, double r, double p, double old, double ref)
{
  double w = p / old, v = ref / old, beta = st->beta;
  if (st->kl == RPG_REVERSE)
    return w * (r - beta * (log(p / ref) + (st->form == RPG_NORMALIZED ? 1 : 0)));
  return w * r + beta * (st->form == RPG_NORMALIZED ? v : v - w);
}

static void rpg_update(rpg_state *st)
{
  contextual_po *b = &st->b;
  size_t cells = (size_t)b->S * (size_t)b->A;
  for (int e = 0; e < st->epochs; e++) {
    contextual_po_softmax(b, b->theta, st->cur);
    memset(st->grad, 0, cells * sizeof *st->grad);
    for (long i = 0; i < b->n; i++) {
      size_t row = (size_t)b->ctx[i] * b->A, k = row + (size_t)b->act[i];
      double c = rpg_coef(st, b->rew[i], st->cur[k], b->pi[k], b->ref[k]) / (double)b->n;
      for (int a = 0; a < b->A; a++) st->grad[row + a] -= c * st->cur[row + a];
      st->grad[k] += c;
    }
    for (size_t i = 0; i < cells; i++) b->theta[i] += st->eta * st->grad[i];
  }
  contextual_po_softmax(b, b->theta, b->pi);
  b->n = 0;
}

static int rpg_act(void *state, int h, int s)
{
  (void)h;
  return contextual_po_act(&((rpg_state *)state)->b, s);
}

static int rpg_observe(void *state, int h, int s, int a, double reward, int next)
{
  rpg_state *st = state;
  (void)h, (void)next;
  if (contextual_po_observe(&st->b, s, a, reward)) rpg_update(st);
  return 0;
}

static int rpg_policy(void *state, tabrl_policy *pi)
{
  return contextual_po_policy(&((rpg_state *)state)->b, pi, "rpg");
}

const tabrl_algo_type tabrl_algo_rpg = {
    .name = "rpg",
    .family = "policy",
    .doc = "KL-regularised softmax policy gradient, forward/reverse KL, normalised/unnormalised "
           "surrogates, importance-weighted (contextual bandit)",
    .source = "Zhang, Liu, Yuan, Yuan, Gu, Yao 2025, On the Design of KL-Regularized Policy "
              "Gradient Algorithms for LLM Reasoning (arXiv 2505.17508), the RPG surrogates "
              "re-derived for a fixed reference",
    .protocol = TABRL_ONLINE,
    .commits_per_episode = 1,
    .params = rpg_params,
    .state_size = sizeof(rpg_state),
    .needs = TABRL_NEEDS_EPISODIC,
    .check = rpg_check,
    .init = rpg_init,
    .release = rpg_release,
    .policy = rpg_policy,
    .act = rpg_act,
    .observe = rpg_observe,
    .uses_reference = 1,
};
