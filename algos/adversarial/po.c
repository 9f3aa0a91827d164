/* The per-state steps of the adversarial policy optimization learners (see
 * po.h). */
#include "adversarial/po.h"
#include <math.h>
#include "common/actions.h"

void tabrl_po_multiplicative(double *pi, double *logits, const double *q, const int *list, int n,
                             double alpha)
{
  double top = -INFINITY, total = 0;
  for (int i = 0; i < n; i++) {
    int a = list[i];
    logits[a] += alpha * q[a];
    if (logits[a] > top) top = logits[a];
  }
  for (int i = 0; i < n; i++) total += pi[list[i]] = exp(logits[list[i]] - top);
  for (int i = 0; i < n; i++) pi[list[i]] /= total;
}

/* sum_a (eta (L(a) + lambda))^-power - 1 and its derivative in lambda. */
static double ftrl_excess(const double *L, const int *list, int n, double eta, int power,
                          double lambda, double *slope)
{
  double sum = 0, d = 0;
  for (int i = 0; i < n; i++) {
    double x = eta * (L[list[i]] + lambda), g = power == 2 ? 1.0 / (x * x) : 1.0 / x;
    sum += g;
    d -= power * eta * g / x;
  }
  *slope = d;
  return sum - 1.0;
}

int tabrl_po_ftrl(double *pi, const double *L, const int *list, int n, double eta, int regularizer)
{
  int power = regularizer == TABRL_PO_TSALLIS ? 2 : 1, it;
  double low = INFINITY;
  for (int i = 0; i < n; i++) {
    if (!isfinite(L[list[i]])) return -1;
    if (L[list[i]] < low) low = L[list[i]];
  }
  /* The root lies in [-min L + 1/eta, -min L + n^(1/power) / eta]: at the
   * left end the minimiser's term alone is 1, at the right end every term
   * is at most 1/n.  Newton from the left end increases monotonically
   * (the excess is convex and decreasing); the clamp guards rounding. */
  double lo = -low + 1.0 / eta, hi = -low + pow((double)n, 1.0 / power) / eta, lambda = lo;
  for (it = 1; it <= 100; it++) {
    double slope, f = ftrl_excess(L, list, n, eta, power, lambda, &slope);
    if (fabs(f) <= 1e-15 || slope == 0) break;
    double next = lambda - f / slope;
    if (!(next > lo)) next = lo;
    if (!(next < hi)) next = hi;
    if (next == lambda) break;
    lambda = next;
  }
  double total = 0;
  for (int i = 0; i < n; i++) {
    double x = eta * (L[list[i]] + lambda);
    total += pi[list[i]] = power == 2 ? 1.0 / (x * x) : 1.0 / x;
  }
  for (int i = 0; i < n; i++) pi[list[i]] /= total;
  return it;
}

void tabrl_po_occupancy(const tabrl_mdp *m, const double *pi, int H, double *q)
{
  int S = m->S, A = m->A;
  for (int s = 0; s < S; s++) q[s] = m->mu0[s];
  for (int h = 0; h + 1 < H; h++) {
    double *next = q + (size_t)(h + 1) * S;
    const double *now = q + (size_t)h * S;
    for (int s = 0; s < S; s++) next[s] = 0;
    for (int s = 0; s < S; s++) {
      if (now[s] == 0) continue;
      const double *row = pi + ((size_t)h * S + s) * A;
      for (int a = 0; a < A; a++) {
        if (row[a] == 0) continue;
        size_t b = tabrl_mdp_block(m, h, s, a);
        for (size_t e = m->row[b]; e < m->row[b + 1]; e++)
          next[m->next[e]] += now[s] * row[a] * m->prob[e];
      }
    }
  }
}

void tabrl_po_estimate(double *Qhat, const int *states, const int *actions, const double *loss,
                       int H, int S, int A, const double *q, const double *pi)
{
  double togo = 0;
  for (int h = H - 1; h >= 0; h--) {
    int s = states[h], a = actions[h];
    size_t i = ((size_t)h * S + s) * A + a;
    togo += loss[h];
    double p = q[(size_t)h * S + s] * pi[i];
    if (p > 0) Qhat[i] += togo / p;
  }
}

double tabrl_po_width(double p_hat, long n, double iota)
{
  double m = n > 2 ? (double)(n - 1) : 1.0;
  return 2.0 * sqrt(p_hat * iota / m) + 14.0 * iota / (3.0 * m);
}

void tabrl_po_order(const double *f, int S, int *order)
{
  /* Insertion sort: S is small next to the S^2 work per target that
   * follows, and it is stable. */
  for (int i = 0; i < S; i++) {
    int j = i;
    while (j > 0 && f[order[j - 1]] < f[i]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
}

double tabrl_po_inner_max(const double *p_hat, const double *eps, const double *f, const int *order,
                          int S)
{
  /* p starts at p_hat; lo..hi walk the order from both ends. */
  double value = 0;
  for (int x = 0; x < S; x++) value += p_hat[x] * f[x];
  int lo = 0, hi = S - 1;
  double added = 0, removed = 0; /* already moved into order[lo], out of order[hi] */
  while (lo < hi) {
    int up = order[lo], down = order[hi];
    double top = p_hat[up] + eps[up] < 1 ? p_hat[up] + eps[up] : 1;
    double bottom = p_hat[down] - eps[down] > 0 ? p_hat[down] - eps[down] : 0;
    double room = top - (p_hat[up] + added), spare = (p_hat[down] - removed) - bottom;
    double move = room < spare ? room : spare;
    if (move > 0) value += move * (f[up] - f[down]);
    added += move;
    removed += move;
    if (room <= spare) {
      lo++;
      added = 0;
    } else {
      hi--;
      removed = 0;
    }
  }
  return value;
}

int tabrl_po_copy_policy(const double *pi, int S, int A, int H, tabrl_policy *out, const char *name)
{
  int status = baseline_check_policy(out, S, A, H, name);
  if (status) return status;
  for (int h = 0; h < out->stages; h++)
    for (int s = 0; s < S; s++) {
      const double *row = pi + ((size_t)h * S + s) * A;
      double *dst = tabrl_policy_row(out, h, s);
      for (int a = 0; a < A; a++) dst[a] = row[a];
    }
  return 0;
}
