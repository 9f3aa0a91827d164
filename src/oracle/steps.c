/* Every iteration of an exact solver, recorded for teaching; see
 * tabrl/steps.h.  The oracle solves; the recorder only listens through
 * tabrl_trace's hooks and copies, so what a page shows is what the solver
 * did, and the final step equals `tabrl solve --format csv`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/steps.h"

typedef struct {
  tabrl_steps *steps;
  const tabrl_mdp *m;
  const tabrl_policy *pi;     /* policy iteration's policy, improved in place */
  tabrl_policy *greedy;       /* value iteration's scratch */
  const tabrl_trace *forward; /* the caller's trace, or NULL */
  size_t doubles;             /* recorded so far */
  int status;
} recorder;

static size_t value_size(const tabrl_steps *r)
{
  return (size_t)(r->method == TABRL_STEPS_BACKWARD ? r->stages + 1 : 1) * (size_t)r->S;
}

/* A new step with its arrays, or NULL (rec->status set) when memory or the
 * recording limit runs out. */
static tabrl_step *append(recorder *rec, tabrl_step_kind kind, int iter)
{
  tabrl_steps *r = rec->steps;
  size_t nv = value_size(r), nq = (size_t)r->stages * r->S * r->A, na = (size_t)r->stages * r->S;
  if (rec->status) return NULL;
  if (rec->doubles + nv + nq + na / 2 > TABRL_STEPS_MAX_DOUBLES) {
    rec->status =
        tabrl_error(TABRL_ENOMEM,
                    "recording more than %zu steps of %d states and %d actions needs over "
                    "%zu MB; use a smaller model or a larger tolerance",
                    r->n, r->S, r->A, TABRL_STEPS_MAX_DOUBLES * sizeof(double) >> 20);
    return NULL;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 16;
    tabrl_step *grown = realloc(r->step, cap * sizeof *grown);
    if (!grown) goto nomem;
    r->step = grown;
    r->cap = cap;
  }
  tabrl_step *t = &r->step[r->n];
  *t = (tabrl_step){kind,
                    iter,
                    NAN,
                    -1,
                    malloc(nv * sizeof(double)),
                    malloc(nq * sizeof(double)),
                    malloc(na * sizeof(int))};
  if (!t->V || !t->Q || !t->action) {
    free(t->V);
    free(t->Q);
    free(t->action);
    goto nomem;
  }
  r->n++;
  rec->doubles += nv + nq + na / 2;
  return t;
nomem:
  rec->status = tabrl_error(TABRL_ENOMEM, "out of memory recording step %zu", r->n);
  return NULL;
}

/* V copied in, Q the one-step look-ahead from it (Q^pi when V = V^pi). */
static void fill_values(const recorder *rec, tabrl_step *t, const double *V)
{
  const tabrl_mdp *m = rec->m;
  const tabrl_steps *r = rec->steps;
  memcpy(t->V, V, value_size(r) * sizeof *V);
  for (int h = 0; h < r->stages; h++) {
    const double *next_V = m->horizon > 0 ? V + (size_t)(h + 1) * m->S : V;
    for (int s = 0; s < m->S; s++)
      tabrl_oracle_backup(m, h, s, next_V, m->gamma, t->Q + ((size_t)h * m->S + s) * m->A);
  }
}

static void fill_actions(const tabrl_steps *r, tabrl_step *t, const tabrl_policy *pi)
{
  for (int h = 0; h < r->stages; h++)
    for (int s = 0; s < r->S; s++) t->action[(size_t)h * r->S + s] = tabrl_policy_argmax(pi, h, s);
  if (r->n > 1) {
    const int *before = r->step[r->n - 2].action;
    t->changes = 0;
    for (size_t i = 0; i < (size_t)r->stages * r->S; i++) t->changes += t->action[i] != before[i];
  }
}

/* Value iteration: V_k and its greedy actions. */
static void on_values(void *ctx, int iter, const double *V, const tabrl_policy *pi)
{
  recorder *rec = ctx;
  tabrl_step *t;
  if (!pi) {
    if (!(t = append(rec, TABRL_STEP_SWEEP, iter))) return;
    fill_values(rec, t, V);
    tabrl_oracle_greedy(rec->m, V, rec->greedy);
    fill_actions(rec->steps, t, rec->greedy);
  } else {
    if (!(t = append(rec, TABRL_STEP_EVALUATE, iter))) return;
    fill_values(rec, t, V);
    fill_actions(rec->steps, t, pi);
  }
}

/* The residual belongs to the step just recorded; policy iteration's
 * improvement is a step of its own, with the policy as improved. */
static void on_trace(void *ctx, int iter, double residual, long changes)
{
  recorder *rec = ctx;
  tabrl_steps *r = rec->steps;
  /* The oracle's changes go to the caller's trace as they are; a step's
   * own are recounted against the previous step by fill_actions. */
  if (rec->forward && rec->forward->fn)
    rec->forward->fn(rec->forward->ctx, iter, residual, changes);
  if (rec->status || !r->n) return;
  r->step[r->n - 1].residual = residual;
  if (r->method != TABRL_STEPS_PI) return;
  tabrl_step *t = append(rec, TABRL_STEP_IMPROVE, iter);
  if (!t) return;
  const tabrl_step *e = &r->step[r->n - 2];
  memcpy(t->V, e->V, value_size(r) * sizeof *t->V);
  memcpy(t->Q, e->Q, (size_t)r->stages * r->S * r->A * sizeof *t->Q);
  fill_actions(r, t, rec->pi);
}

/* Backward induction has no iterations to listen to: the stages are cut
 * from the solution, stage H-1 first. */
static int record_backward(recorder *rec, double *V, tabrl_policy *pi)
{
  const tabrl_mdp *m = rec->m;
  tabrl_steps *r = rec->steps;
  size_t layer = (size_t)m->S * m->A;
  double *Q = malloc((size_t)m->horizon * layer * sizeof *Q);
  int status = Q ? tabrl_oracle_backward(m, V, Q, pi) : tabrl_error(TABRL_ENOMEM, "out of memory");
  for (int done = 0; !status && done <= m->horizon; done++) {
    tabrl_step *t = append(rec, done ? TABRL_STEP_STAGE : TABRL_STEP_START, done);
    if (!t) break;
    int first = m->horizon - done; /* the lowest stage computed */
    for (int h = 0; h <= m->horizon; h++)
      for (int s = 0; s < m->S; s++) {
        size_t i = (size_t)h * m->S + s;
        int known = h >= first;
        t->V[i] = known ? V[i] : NAN;
        if (h == m->horizon) continue;
        t->action[i] = known ? tabrl_policy_argmax(pi, h, s) : -1;
        for (int a = 0; a < m->A; a++) t->Q[i * m->A + a] = known ? Q[i * m->A + a] : NAN;
      }
  }
  r->iterations = m->horizon;
  free(Q);
  return status ? status : rec->status;
}

int tabrl_steps_record(const tabrl_mdp *m, tabrl_steps_method method, double eps, double *V,
                       tabrl_policy *pi, const tabrl_trace *trace, tabrl_steps **out)
{
  int status = 0;
  *out = NULL;
  if ((method == TABRL_STEPS_BACKWARD) != (m->horizon > 0) && method != TABRL_STEPS_PI)
    return tabrl_error(TABRL_EUNSUPPORTED, method == TABRL_STEPS_BACKWARD
                                               ? "backward induction needs an episodic model"
                                               : "value iteration needs a discounted model");
  tabrl_steps *r = calloc(1, sizeof *r);
  if (!r) return tabrl_error(TABRL_ENOMEM, "out of memory");
  r->method = method;
  r->stages = tabrl_mdp_value_stages(m);
  r->S = m->S;
  r->A = m->A;
  r->eps = eps;
  r->threshold = m->gamma > 0 ? eps * (1 - m->gamma) / (2 * m->gamma) : INFINITY;
  recorder rec = {r, m, pi, NULL, trace, 0, 0};
  memset(V, 0, tabrl_oracle_value_size(m) * sizeof *V);
  if (method == TABRL_STEPS_BACKWARD) {
    status = record_backward(&rec, V, pi);
  } else {
    tabrl_trace trace = {on_trace, &rec, on_values};
    if (method == TABRL_STEPS_VI) {
      tabrl_step *t;
      if (!(rec.greedy = tabrl_policy_alloc_for(m)))
        status = tabrl_error(TABRL_ENOMEM, "out of memory");
      else if ((t = append(&rec, TABRL_STEP_START, 0))) {
        fill_values(&rec, t, V);
        tabrl_oracle_greedy(m, V, rec.greedy);
        fill_actions(r, t, rec.greedy);
      }
      if (!status && !rec.status)
        status = tabrl_oracle_vi(m, eps, 10000000, V, pi, &trace, &r->iterations);
    } else {
      status = m->S <= TABRL_ORACLE_DENSE_PI_MAX_STATES
                   ? tabrl_oracle_pi(m, 100000, pi, V, &trace, &r->iterations)
                   : tabrl_oracle_pi_sparse(m, 100000, pi, V, &trace, &r->iterations);
    }
    tabrl_policy_free(rec.greedy);
    if (!status) status = rec.status;
  }
  if (status) {
    tabrl_steps_free(r);
    return status;
  }
  *out = r;
  return 0;
}

void tabrl_steps_free(tabrl_steps *steps)
{
  if (!steps) return;
  for (size_t i = 0; i < steps->n; i++) {
    free(steps->step[i].V);
    free(steps->step[i].Q);
    free(steps->step[i].action);
  }
  free(steps->step);
  free(steps);
}
