/* The preference game: values, best responses, duality gaps, the von
 * Neumann winner and the regularised equilibrium; see tabrl/game.h.
 *
 * The winner is a linear program solved here by a dense simplex rather
 * than with GLPK: the games are small (tens of responses), one more
 * dependency would reach every build for one LP, and the answer is checked
 * afterwards anyway: the gap 2 max_i (P p)_i - 1 of the returned p must be
 * within 1e-12 of 0, which certifies p whatever produced it.  Bland's rule
 * (lowest index enters and leaves) rules out cycling on degenerate games
 * (Bland 1977, "New finite pivoting rules for the simplex method").
 *
 * The LP (von Neumann 1928; the column player's program of Dantzig 1951):
 * with B = P + 1/2 > 0 (payoff P - 1/2 shifted by 1, game value 1),
 * maximise sum y subject to B y <= 1, y >= 0; then q = y / sum y holds
 * (B q)_i <= 1, i.e. (P q)_i <= 1/2, so q is optimal for the minimiser, and
 * for the maximiser too because P - 1/2 is skew-symmetric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/game.h"

double tabrl_game_kl(const double *p, const double *ref, int A)
{
  double kl = 0;
  for (int i = 0; i < A; i++) {
    double r = ref ? ref[i] : 1.0 / A;
    if (p[i] > 0) kl += p[i] * log(p[i] / r);
  }
  return kl;
}

static void mat_vec(const double *P, int A, const double *q, double *out)
{
  for (int i = 0; i < A; i++) {
    double s = 0;
    for (int j = 0; j < A; j++) s += P[i * A + j] * q[j];
    out[i] = s;
  }
}

double tabrl_game_value(const double *P, int A, const double *ref, double beta, const double *p,
                        const double *q)
{
  double v = 0;
  for (int i = 0; i < A; i++)
    for (int j = 0; j < A; j++) v += p[i] * P[i * A + j] * q[j];
  if (beta > 0) v += beta * (tabrl_game_kl(q, ref, A) - tabrl_game_kl(p, ref, A));
  return v;
}

/* beta log sum_i ref_i exp(x_i / beta), or max_i x_i for beta = 0. */
static double soft_max(const double *x, const double *ref, int A, double beta)
{
  double top = -INFINITY, total = 0;
  for (int i = 0; i < A; i++)
    if ((!ref || ref[i] > 0) && x[i] > top) top = x[i];
  if (beta == 0) return top;
  for (int i = 0; i < A; i++) {
    double r = ref ? ref[i] : 1.0 / A;
    if (r > 0) total += r * exp((x[i] - top) / beta);
  }
  return top + beta * log(total);
}

void tabrl_game_best_response(const double *P, int A, const double *ref, double beta,
                              const double *q, double *p)
{
  double *x = malloc((size_t)A * sizeof *x), top = -INFINITY, total = 0;
  int best = 0;
  if (!x) { /* A few doubles: keep the interface void, answer uniform */
    for (int i = 0; i < A; i++) p[i] = 1.0 / A;
    return;
  }
  mat_vec(P, A, q, x);
  for (int i = 0; i < A; i++)
    if (x[i] > top) top = x[best = i];
  for (int i = 0; i < A; i++) {
    double r = ref ? ref[i] : 1.0 / A;
    p[i] = beta > 0 ? r * exp((x[i] - top) / beta) : i == best;
    total += p[i];
  }
  for (int i = 0; i < A; i++) p[i] /= total;
  free(x);
}

double tabrl_game_gap(const double *P, int A, const double *ref, double beta, const double *pi)
{
  double *x = malloc((size_t)A * sizeof *x);
  if (!x) return NAN;
  mat_vec(P, A, pi, x);
  double gap = 2 * soft_max(x, ref, A, beta) - 1;
  if (beta > 0) gap += 2 * beta * tabrl_game_kl(pi, ref, A);
  free(x);
  /* Rounding can leave -1e-16 at an equilibrium; the gap is >= 0. */
  return gap < 0 && gap > -1e-12 ? 0 : gap;
}

int tabrl_game_winner(const double *P, int A, double *p)
{
  int cols = 2 * A + 1; /* y (A), slacks (A), right-hand side */
  double *T = calloc((size_t)(A + 1) * (size_t)cols, sizeof *T);
  int *basis = malloc((size_t)A * sizeof *basis);
  int status = 0;
  if (!T || !basis) {
    free(T);
    free(basis);
    return tabrl_error(TABRL_ENOMEM, "out of memory for the game's linear program");
  }
  /* Rows 0..A-1: B y + s = 1; row A: the reduced costs of max sum y. */
  for (int i = 0; i < A; i++) {
    for (int j = 0; j < A; j++) T[i * cols + j] = P[i * A + j] + 0.5;
    T[i * cols + A + i] = 1;
    T[i * cols + 2 * A] = 1;
    basis[i] = A + i;
  }
  for (int j = 0; j < A; j++) T[A * cols + j] = 1;
  for (long pivots = 0;; pivots++) {
    int enter = -1, leave = -1;
    double best = INFINITY;
    for (int j = 0; j < 2 * A && enter < 0; j++)
      if (T[A * cols + j] > 1e-14) enter = j;
    if (enter < 0) break;
    for (int i = 0; i < A; i++) {
      double a = T[i * cols + enter];
      if (a > 1e-14) {
        double ratio = T[i * cols + 2 * A] / a;
        if (leave < 0 || ratio < best - 1e-15 ||
            (ratio <= best + 1e-15 && basis[i] < basis[leave])) {
          best = ratio;
          leave = i;
        }
      }
    }
    if (leave < 0 || pivots > 100000L * A) { /* bounded LP: cannot happen */
      status = tabrl_error(TABRL_EINVAL, "the game's linear program did not terminate");
      goto done;
    }
    double a = T[leave * cols + enter];
    for (int j = 0; j < cols; j++) T[leave * cols + j] /= a;
    for (int i = 0; i <= A; i++) {
      double f = T[i * cols + enter];
      if (i == leave || f == 0) continue;
      for (int j = 0; j < cols; j++) T[i * cols + j] -= f * T[leave * cols + j];
    }
    basis[leave] = enter;
  }
  double total = 0;
  for (int j = 0; j < A; j++) p[j] = 0;
  for (int i = 0; i < A; i++)
    if (basis[i] < A) p[basis[i]] = fmax(0, T[i * cols + 2 * A]);
  for (int j = 0; j < A; j++) total += p[j];
  for (int j = 0; j < A; j++) p[j] /= total;
  double gap = tabrl_game_gap(P, A, NULL, 0, p);
  if (!(gap <= 1e-12))
    status = tabrl_error(TABRL_EINVAL, "the von Neumann winner failed its check: gap %g", gap);
done:
  free(T);
  free(basis);
  return status;
}

/* One entropy-regularised mirror step from log-policy l against the
 * opponent q: out = (1 - eta beta) l + eta beta log ref + eta P q,
 * normalised; pi_out = exp(out). */
static void md_step(const double *P, int A, const double *log_ref, double beta, double eta,
                    const double *l, const double *q, double *out, double *pi_out)
{
  double top = -INFINITY, total = 0;
  for (int i = 0; i < A; i++) {
    double x = 0;
    for (int j = 0; j < A; j++) x += P[i * A + j] * q[j];
    out[i] = (1 - eta * beta) * l[i] + eta * beta * log_ref[i] + eta * x;
    if (out[i] > top) top = out[i];
  }
  for (int i = 0; i < A; i++) total += exp(out[i] - top);
  for (int i = 0; i < A; i++) {
    out[i] -= top + log(total);
    pi_out[i] = exp(out[i]);
  }
}

int tabrl_game_equilibrium(const double *P, int A, const double *ref, double beta, double *pi)
{
  if (beta == 0) return tabrl_game_winner(P, A, pi);
  double *w = malloc(5 * (size_t)A * sizeof *w);
  if (!w) return tabrl_error(TABRL_ENOMEM, "out of memory");
  double *log_ref = w, *l = w + A, *l_half = w + 2 * A, *pi_half = w + 3 * A, *l_new = w + 4 * A;
  /* Cen et al. 2021 ("Fast policy extragradient methods for competitive
   * games with entropy regularization", Theorem 1): eta <= 1/(beta + 2
   * max|payoff|) with payoff P - 1/2 converges linearly at rate 1 - eta beta. */
  double eta = 1 / (beta + 1);
  int status = TABRL_EINVAL;
  for (int i = 0; i < A; i++) {
    log_ref[i] = log(ref ? ref[i] : 1.0 / A);
    l[i] = log_ref[i];
    pi[i] = exp(l[i]);
  }
  for (long t = 0; t < 10000000L; t++) {
    if (t % 64 == 0 && tabrl_game_gap(P, A, ref, beta, pi) <= 1e-12) {
      status = 0;
      break;
    }
    md_step(P, A, log_ref, beta, eta, l, pi, l_half, pi_half);
    md_step(P, A, log_ref, beta, eta, l, pi_half, l_new, pi);
    memcpy(l, l_new, (size_t)A * sizeof *l);
  }
  free(w);
  if (status)
    return tabrl_error(TABRL_EINVAL,
                       "the regularised equilibrium (beta = %g) did not reach gap 1e-12 in 10^7 "
                       "extragradient steps",
                       beta);
  return 0;
}

int tabrl_game_metrics(const tabrl_mdp *m, const tabrl_policy *pi, double *win_rate, double *gap)
{
  int A = m->A, status;
  double *winner = malloc((size_t)A * sizeof *winner);
  if (!m->preference) {
    free(winner);
    return tabrl_error(TABRL_EUNSUPPORTED, "the model has no preference matrix");
  }
  if (!winner) return tabrl_error(TABRL_ENOMEM, "out of memory");
  if ((status = tabrl_game_winner(m->preference, A, winner))) {
    free(winner);
    return status;
  }
  *win_rate = *gap = 0;
  for (int s = 0; s < m->S; s++) {
    const double *row = tabrl_policy_row(pi, 0, s);
    const double *ref = m->reference ? m->reference + (size_t)s * (size_t)A : NULL;
    if (!(m->mu0[s] > 0)) continue;
    *win_rate += m->mu0[s] * tabrl_game_value(m->preference, A, NULL, 0, row, winner);
    *gap += m->mu0[s] * tabrl_game_gap(m->preference, A, ref, m->game_beta, row);
  }
  free(winner);
  return 0;
}
