/* The linear family (lsvi-ucb, ucrl-vtr, pevi) and the linear-mixture env:
 * the incremental linear algebra against direct GSL solves, the aggregated
 * regression against the naive one over every stored transition, regret
 * and suboptimality at fixed seeds against uniform random and against the
 * papers' bounds (evaluated numerically, constant 1), and pessimism. */
#include <check.h>
#include "protocol.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit.h>
#include "tabrl/algo.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/rng.h"
#include "tabrl/sim.h"
#include "protocol/testing.h"

/* ---- helpers ---- */

static tabrl_mdp *build(const char *name, const tabrl_setting *settings, size_t n)
{
  tabrl_mdp *m = NULL;
  ck_assert_msg(tabrl_env_build(name, settings, n, &m) == 0, "%s", tabrl_error_message());
  return m;
}

/* The small instances of the regret tests: S = 20, A = 4, d = 5, H = 10. */
static tabrl_mdp *small(const char *name, const char *seed)
{
  tabrl_setting s[5] = {{"states", "20", "test", 0},
                        {"actions", "4", "test", 0},
                        {"dim", "5", "test", 0},
                        {"horizon", "10", "test", 0},
                        {"seed", seed, "test", 0}};
  return build(name, s, 5);
}

static tabrl_mdp *garnet(void)
{
  tabrl_setting s[5] = {{"states", "10", "test", 0},
                        {"actions", "3", "test", 0},
                        {"branching", "3", "test", 0},
                        {"horizon", "5", "test", 0},
                        {"seed", "0", "test", 0}};
  return build("garnet", s, 5);
}

/* An algorithm for m as the runner makes it (tabrl_problem_init).  The
 * problem's valid mask and rng must outlive the algorithm: the caller frees
 * *valid and *rng after it. */
static tabrl_algo *make(const char *name, const tabrl_mdp *m, long episodes,
                        const tabrl_setting *set, size_t n, unsigned char **valid, gsl_rng **rng)
{
  const tabrl_algo_type *type = tabrl_algo_find(name);
  tabrl_values *values = NULL;
  tabrl_problem problem;
  tabrl_algo *algo;
  ck_assert_msg(type != NULL, "%s", tabrl_error_message());
  *rng = tabrl_gsl_rng_stream(11, TABRL_STREAM_ALGO, 0);
  ck_assert_int_eq(tabrl_problem_init(&problem, m, episodes, *rng, 0, valid), 0);
  ck_assert_msg(tabrl_values_resolve(type->params, name, set, n, 0, &values) == 0, "%s",
                tabrl_error_message());
  algo = tabrl_algo_alloc(type, &problem, values);
  ck_assert_msg(algo != NULL, "%s", tabrl_error_message());
  tabrl_values_free(values);
  return algo;
}

static void unmake(tabrl_algo *algo, unsigned char *valid, gsl_rng *rng)
{
  tabrl_algo_free(algo);
  free(valid);
  gsl_rng_free(rng);
}

static double start_value(const tabrl_mdp *m, const tabrl_policy *pi, double *V)
{
  ck_assert_int_eq(tabrl_oracle_evaluate(m, pi, V), 0);
  return tabrl_oracle_start_value(m, V);
}

/* The online protocol as the runner follows it, scoring each episode by
 * the exact value of the policy committed at its start: returns the
 * cumulative pseudo-regret sum_k (J* - J(pi_k)).  Stores the transitions
 * in steps (episodes * H) when not NULL. */
static double drive(tabrl_algo *algo, const tabrl_mdp *m, long episodes, uint64_t seed,
                    tabrl_step *steps)
{
  return test_drive(algo, m, episodes, seed, NULL, steps, NULL, NULL).regret;
}

/* Cumulative pseudo-regret of the uniform policy over K episodes. */
static double random_regret(const tabrl_mdp *m, long episodes)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  tabrl_policy_set_uniform(pi, m);
  J = start_value(m, pi, V);
  tabrl_policy_free(pi);
  free(V);
  return (double)episodes * (test_optimal_value(m) - J);
}

static const double *phi_of(const tabrl_mdp *m, int s, int a)
{
  return m->phi + ((size_t)s * m->A + a) * (size_t)m->dim;
}

/* lambda I + sum over the stage-h steps of phi phi^T, as a GSL matrix. */
static gsl_matrix *gram(const tabrl_mdp *m, const tabrl_step *steps, size_t n, int h, double lambda)
{
  int d = m->dim;
  gsl_matrix *G = gsl_matrix_alloc((size_t)d, (size_t)d);
  gsl_matrix_set_identity(G);
  gsl_matrix_scale(G, lambda);
  for (size_t t = 0; t < n; t++) {
    if (steps[t].h != h) continue;
    const double *f = phi_of(m, steps[t].s, steps[t].a);
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) *gsl_matrix_ptr(G, i, j) += f[i] * f[j];
  }
  return G;
}

/* ---- registry and refusals ---- */

START_TEST(test_registry_and_refusals)
{
  tabrl_mdp *g = garnet(), *lin = small("linear", "0");
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_problem p;
  tabrl_values *v = NULL;
  ck_assert_str_eq(tabrl_algo_find("lsvi-ucb")->family, "linear");
  ck_assert_str_eq(tabrl_algo_find("ucrl-vtr")->family, "linear");
  ck_assert_str_eq(tabrl_algo_find("pevi")->family, "offline");
  ck_assert_int_eq(tabrl_algo_find("lsvi-ucb")->protocol, TABRL_ONLINE);
  ck_assert_int_eq(tabrl_algo_find("ucrl-vtr")->protocol, TABRL_ONLINE);
  ck_assert_int_eq(tabrl_algo_find("pevi")->protocol, TABRL_OFFLINE);
  ck_assert_int_eq(tabrl_algo_find("lsvi-ucb")->commits_per_episode, 1);
  ck_assert_int_eq(tabrl_algo_find("ucrl-vtr")->commits_per_episode, 1);

  rng = tabrl_gsl_rng_stream(1, TABRL_STREAM_ALGO, 0);
  ck_assert_int_eq(tabrl_problem_init(&p, g, 10, rng, 0, &valid), 0);
  ck_assert_int_eq(p.dim, 0);
  ck_assert_ptr_null(p.mixture_basis);
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("lsvi-ucb"), &p, NULL));
  ck_assert_str_eq(tabrl_error_message(), "lsvi-ucb needs an env with features, e.g. env = linear");
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("ucrl-vtr"), &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "linear-mixture"));
  tabrl_setting linear_form = {"form", "linear", "test", 0};
  ck_assert_int_eq(
      tabrl_values_resolve(tabrl_algo_find("pevi")->params, "pevi", &linear_form, 1, 0, &v), 0);
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("pevi"), &p, v));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "features"));
  tabrl_values_free(v);
  free(valid);

  /* linear has features but no mixture basis */
  ck_assert_int_eq(tabrl_problem_init(&p, lin, 10, rng, 0, &valid), 0);
  ck_assert_int_eq(p.dim, 5);
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("ucrl-vtr"), &p, NULL));
  free(valid);
  gsl_rng_free(rng);
  tabrl_mdp_free(g);
  tabrl_mdp_free(lin);
}
END_TEST

/* ---- linear-mixture env ---- */

START_TEST(test_linear_mixture_env)
{
  tabrl_mdp *m = small("linear-mixture", "3"), *again = small("linear-mixture", "3"), *copy;
  int S = m->S, A = m->A, d = m->mixture_dim;
  size_t SA = (size_t)S * A, rows = SA * (size_t)S;
  double *P = calloc(rows, sizeof *P);
  ck_assert_int_eq(d, 5);
  ck_assert_ptr_nonnull(m->mixture_basis);
  ck_assert_int_eq(m->dim, 0);
  ck_assert_int_eq(m->horizon, 10);
  /* the dense P from the CSR entries; rows sum to 1 */
  for (int s = 0; s < S; s++)
    for (int a = 0; a < A; a++) {
      size_t b = tabrl_mdp_block(m, 0, s, a);
      double total = 0, r = m->reward[m->row[b]];
      for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
        P[((size_t)s * A + a) * S + m->next[k]] += m->prob[k];
        total += m->prob[k];
        ck_assert_double_eq(m->reward[k], r); /* deterministic reward per (s,a) */
      }
      ck_assert_double_le(fabs(total - 1), 1e-12);
      ck_assert(r >= 0 && r <= 1);
    }
  /* each base kernel row is a distribution */
  for (size_t row = 0; row < (size_t)d * SA; row++) {
    double total = 0;
    for (int next = 0; next < S; next++) total += m->mixture_basis[row * S + next];
    ck_assert_double_le(fabs(total - 1), 1e-12);
  }
  /* P = sum_i theta_i P_i exactly: least squares for theta over all S A S
   * equations leaves a residual below 1e-12, and theta is on the simplex. */
  gsl_matrix *X = gsl_matrix_alloc(rows, (size_t)d), *cov = gsl_matrix_alloc((size_t)d, (size_t)d);
  gsl_vector *y = gsl_vector_alloc(rows), *theta = gsl_vector_alloc((size_t)d);
  gsl_multifit_linear_workspace *work = gsl_multifit_linear_alloc(rows, (size_t)d);
  double chisq, total = 0, worst = 0;
  for (size_t r = 0; r < rows; r++) {
    gsl_vector_set(y, r, P[r]);
    for (int i = 0; i < d; i++) gsl_matrix_set(X, r, (size_t)i, m->mixture_basis[i * rows + r]);
  }
  ck_assert_int_eq(gsl_multifit_linear(X, y, theta, cov, &chisq, work), 0);
  for (size_t r = 0; r < rows; r++) {
    double fit = 0;
    for (int i = 0; i < d; i++) fit += gsl_vector_get(theta, (size_t)i) * gsl_matrix_get(X, r, i);
    worst = fmax(worst, fabs(fit - P[r]));
  }
  ck_assert_double_le(worst, 1e-12);
  for (int i = 0; i < d; i++) {
    ck_assert_double_ge(gsl_vector_get(theta, (size_t)i), -1e-12);
    total += gsl_vector_get(theta, (size_t)i);
  }
  ck_assert_double_le(fabs(total - 1), 1e-12);
  /* deterministic in the seed; cloned with the model */
  ck_assert_int_eq(
      memcmp(m->mixture_basis, again->mixture_basis, (size_t)d * rows * sizeof(double)), 0);
  ck_assert_int_eq(memcmp(m->prob, again->prob, m->nnz * sizeof(double)), 0);
  copy = tabrl_mdp_clone(m);
  ck_assert_ptr_nonnull(copy);
  ck_assert_ptr_ne(copy->mixture_basis, m->mixture_basis);
  ck_assert_int_eq(memcmp(m->mixture_basis, copy->mixture_basis, (size_t)d * rows * sizeof(double)),
                   0);
  gsl_multifit_linear_free(work);
  gsl_matrix_free(X);
  gsl_matrix_free(cov);
  gsl_vector_free(y);
  gsl_vector_free(theta);
  free(P);
  tabrl_mdp_free(m);
  tabrl_mdp_free(again);
  tabrl_mdp_free(copy);
}
END_TEST

/* ---- lsvi-ucb ---- */

/* Lambda_h^-1 after n Sherman-Morrison updates equals the Cholesky inverse
 * of lambda I + sum phi phi^T (lambda = 2 to see it is used). */
START_TEST(test_lsvi_ucb_lambda_inverse)
{
  tabrl_mdp *m = small("linear", "1");
  long K = 300;
  int H = m->horizon, d = m->dim;
  tabrl_step *steps = malloc((size_t)K * H * sizeof *steps);
  double *inverse = malloc((size_t)d * d * sizeof *inverse);
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_setting set = {"lambda", "2", "test", 0};
  tabrl_algo *algo = make("lsvi-ucb", m, K, &set, 1, &valid, &rng);
  drive(algo, m, K, 5, steps);
  for (int h = 0; h < H; h++) {
    gsl_matrix *G = gram(m, steps, (size_t)K * H, h, 2.0);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(G), 0);
    ck_assert_int_eq(gsl_linalg_cholesky_invert(G), 0);
    ck_assert_int_eq(tabrl_lsvi_ucb_lambda_inverse(algo, h, inverse), 0);
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++)
        ck_assert_msg(fabs(inverse[i * d + j] - gsl_matrix_get(G, i, j)) <= 1e-10,
                      "h %d (%d,%d): %.17g vs %.17g", h, i, j, inverse[i * d + j],
                      gsl_matrix_get(G, i, j));
    gsl_matrix_free(G);
  }
  unmake(algo, valid, rng);
  free(steps);
  free(inverse);
  tabrl_mdp_free(m);
}
END_TEST

/* The aggregated regression (counts by (h,s,a,s')) gives the w_h of the
 * naive one over every stored transition, recomputed here from scratch:
 * backward, with the test's own Lambda_h (Cholesky solve) and its own
 * Q_{h+1} = min(H, w^T phi + beta ||phi||_{Lambda^-1}). */
START_TEST(test_lsvi_ucb_aggregation_matches_naive)
{
  tabrl_mdp *m = small("linear", "2");
  long K = 200;
  int H = m->horizon, d = m->dim, S = m->S, A = m->A;
  size_t n = (size_t)K * H;
  tabrl_step *steps = malloc(n * sizeof *steps);
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_algo *algo = make("lsvi-ucb", m, K, NULL, 0, &valid, &rng);
  double beta, *w = calloc((size_t)(H + 1) * d, sizeof *w);
  gsl_matrix **chol = calloc((size_t)H + 1, sizeof *chol);
  gsl_vector *target = gsl_vector_alloc((size_t)d), *x = gsl_vector_alloc((size_t)d),
             *solved = gsl_vector_alloc((size_t)d);
  drive(algo, m, K, 6, steps);
  beta = tabrl_lsvi_ucb_beta(algo);
  /* beta = d H sqrt(log(2 d T / 0.05)), T = K H (Theorem 3.1 with c = 1) */
  ck_assert_double_eq_tol(beta, d * H * sqrt(log(2.0 * d * (double)n / 0.05)), 1e-9);
  for (int h = H - 1; h >= 0; h--) {
    gsl_vector_set_zero(target);
    for (size_t t = 0; t < n; t++) {
      if (steps[t].h != h) continue;
      double y = steps[t].reward;
      if (h + 1 < H) {
        double best = -INFINITY;
        for (int a = 0; a < A; a++) {
          const double *f = phi_of(m, steps[t].next, a);
          double q = 0;
          for (int i = 0; i < d; i++) {
            q += w[(h + 1) * d + i] * f[i];
            gsl_vector_set(x, (size_t)i, f[i]);
          }
          gsl_linalg_cholesky_solve(chol[h + 1], x, solved);
          double norm2 = 0;
          for (int i = 0; i < d; i++) norm2 += f[i] * gsl_vector_get(solved, (size_t)i);
          best = fmax(best, fmin(H, q + beta * sqrt(norm2)));
        }
        y += best;
      }
      const double *f = phi_of(m, steps[t].s, steps[t].a);
      for (int i = 0; i < d; i++) *gsl_vector_ptr(target, (size_t)i) += f[i] * y;
    }
    chol[h] = gram(m, steps, n, h, 1.0);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(chol[h]), 0);
    gsl_linalg_cholesky_solve(chol[h], target, solved);
    const double *aggregated = tabrl_lsvi_ucb_weights(algo, h);
    for (int i = 0; i < d; i++) {
      w[h * d + i] = gsl_vector_get(solved, (size_t)i);
      ck_assert_msg(fabs(w[h * d + i] - aggregated[i]) <= 1e-9, "w_%d[%d]: naive %.17g, ours %.17g",
                    h, i, w[h * d + i], aggregated[i]);
    }
  }
  (void)S;
  for (int h = 0; h <= H; h++)
    if (chol[h]) gsl_matrix_free(chol[h]);
  free(chol);
  gsl_vector_free(target);
  gsl_vector_free(x);
  gsl_vector_free(solved);
  free(w);
  free(steps);
  unmake(algo, valid, rng);
  tabrl_mdp_free(m);
}
END_TEST

/* Regret on linear(S 20, A 4, d 5, H 10), seed 0, K = 1000: below half of
 * uniform random's and below Theorem 3.1's bound sqrt(d^3 H^3 T iota^2)
 * (constant 1, T = K H, iota = log(2 d T / 0.05)).  That bound is about
 * 5e5 here, far above the trivial K H = 1e4: it is checked as a sanity
 * bound only.
 *
 * The test runs scale = 0.01.  With the theorem's beta (c = 1), beta =
 * d H sqrt(iota) = 190 >> H = 10 keeps Q_h at its clip H for most of the
 * 1000 episodes, and the measured regret (1347 at this seed) is above
 * random's (1046); the theory's constants only pay off at far larger T. */
START_TEST(test_lsvi_ucb_regret)
{
  tabrl_mdp *m = small("linear", "0");
  long K = 1000;
  int H = m->horizon;
  double d = m->dim, T = (double)K * H, iota = log(2 * d * T / 0.05);
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_setting set = {"scale", "0.01", "test", 0};
  tabrl_algo *algo = make("lsvi-ucb", m, K, &set, 1, &valid, &rng);
  double regret = drive(algo, m, K, 0, NULL), random = random_regret(m, K);
  double bound = sqrt(d * d * d * H * H * H * T) * iota;
  ck_assert_msg(regret < 0.5 * random, "lsvi-ucb regret %g, random %g", regret, random);
  ck_assert_msg(regret < bound, "lsvi-ucb regret %g, bound %g", regret, bound);
  unmake(algo, valid, rng);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- ucrl-vtr ---- */

/* Regret on linear-mixture(S 20, A 4, d 5, H 10), seed 0, K = 1000, every
 * parameter at its default: below half of uniform random's and below the
 * paper's O~(d sqrt(H^3 T)) evaluated with constant 1 and
 * iota = log(1 + T H^2 / d) + log(1 / 0.05) for the logarithms (about
 * 2.6e5 here, again far above the trivial K H = 1e4: a sanity bound). */
START_TEST(test_ucrl_vtr_regret)
{
  tabrl_mdp *m = small("linear-mixture", "0");
  long K = 1000;
  int H = m->horizon;
  double d = m->mixture_dim, T = (double)K * H, iota = log(1 + T * H * H / d) + log(1 / 0.05);
  unsigned char *valid;
  gsl_rng *rng;
  tabrl_algo *algo = make("ucrl-vtr", m, K, NULL, 0, &valid, &rng);
  double regret = drive(algo, m, K, 0, NULL), random = random_regret(m, K);
  double bound = d * sqrt((double)H * H * H * T) * iota;
  const double *theta = tabrl_ucrl_vtr_theta(algo);
  double total = 0;
  ck_assert_msg(regret < 0.5 * random, "ucrl-vtr regret %g, random %g", regret, random);
  ck_assert_msg(regret < bound, "ucrl-vtr regret %g, bound %g", regret, bound);
  /* the values regressed on are almost constant across the P_i, so theta is
   * learned best along (1, .., 1): its weights sum to about 1 */
  for (int i = 0; i < m->mixture_dim; i++) total += theta[i];
  ck_assert_double_le(fabs(total - 1), 0.05);
  unmake(algo, valid, rng);
  tabrl_mdp_free(m);
}
END_TEST

/* ---- pevi ---- */

/* K trajectories of the uniform policy on m, as the runner collects them. */
static tabrl_step *uniform_dataset(const tabrl_mdp *m, long K, uint64_t seed)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  tabrl_step *steps = malloc((size_t)K * m->horizon * sizeof *steps);
  gsl_rng *r = tabrl_gsl_rng_stream(seed, TABRL_STREAM_DATASET, 0);
  tabrl_policy_set_uniform(pi, m);
  for (long k = 0; k < K; k++)
    tabrl_sim_episode(m, pi, r, m->horizon, steps + (size_t)k * m->horizon);
  gsl_rng_free(r);
  tabrl_policy_free(pi);
  return steps;
}

/* Occupancy d_h(s, a) of pi on m from mu0, H*S*A values. */
static double *occupancy(const tabrl_mdp *m, const tabrl_policy *pi)
{
  int S = m->S, A = m->A, H = m->horizon;
  double *occ = calloc((size_t)H * S * A, sizeof *occ), *state = malloc(S * sizeof *state),
         *next = malloc(S * sizeof *next);
  memcpy(state, m->mu0, S * sizeof *state);
  for (int h = 0; h < H; h++) {
    memset(next, 0, S * sizeof *next);
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        double p = state[s] * tabrl_policy_row(pi, h, s)[a];
        size_t b = tabrl_mdp_block(m, h, s, a);
        occ[((size_t)h * S + s) * A + a] = p;
        if (p > 0)
          for (size_t k = m->row[b]; k < m->row[b + 1]; k++) next[m->next[k]] += p * m->prob[k];
      }
    memcpy(state, next, S * sizeof *state);
  }
  free(state);
  free(next);
  return occ;
}

/* Fits pevi at n trajectories; returns the suboptimality J* - J(pi-hat)
 * and checks pessimism: V-hat_h(s) <= V^{pi-hat}_h(s) + 1e-9 at every
 * (h, s) (Theorem 4.2's event, probability 1 - delta). */
static double fit_at(tabrl_algo *algo, const tabrl_mdp *m, const tabrl_step *steps, long n,
                     int check_pessimism)
{
  tabrl_policy *pi = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V), J;
  tabrl_dataset data = {(size_t)n * m->horizon, steps, m->horizon, NULL, NULL, NULL};
  ck_assert_msg(algo->type->fit(algo->state, &data) == 0, "%s", tabrl_error_message());
  ck_assert_int_eq(algo->type->policy(algo->state, pi), 0);
  ck_assert_int_eq(tabrl_policy_check(pi, m), 0);
  J = start_value(m, pi, V);
  if (check_pessimism) {
    const double *V_hat = tabrl_pevi_values(algo);
    for (int h = 0; h < m->horizon; h++)
      for (int s = 0; s < m->S; s++)
        ck_assert_msg(V_hat[h * m->S + s] <= V[h * m->S + s] + 1e-9,
                      "n %ld: V-hat_%d(%d) = %.17g > V^pi-hat = %.17g", n, h, s,
                      V_hat[h * m->S + s], V[h * m->S + s]);
  }
  tabrl_policy_free(pi);
  free(V);
  return test_optimal_value(m) - J;
}

/* Garnet(10, 3, branching 3, H 5), seed 0, uniform behaviour, tabular form.
 *
 * - With the default constants (c = 1) pessimism holds at every
 *   checkpoint, and at n = 10000 the suboptimality is below Theorem 4.2's
 *   data-dependent bound 2 sum_h E_{pi*}[Gamma_h(s_h, a_h)], computed from
 *   the fitted counts and the exact occupancy of pi*, and below its closed
 *   form for this dataset: with N_h(s,a) ~ n d^mu_h(s,a) (d^mu the
 *   occupancy of the uniform behaviour) and Cauchy-Schwarz over each stage,
 *   2 sum_h E_{pi*}[H sqrt(L / N)] <= 2 H^2 sqrt(C* L / n), where
 *   L = log(S A H n / delta) and C* = max d*_h(s,a) / d^mu_h(s,a) is the
 *   single-policy concentrability of the data (the sqrt(S A)-type factor:
 *   C* >= A here, A at h = 0 under the uniform start); an extra factor
 *   sqrt(2) covers N >= n d^mu / 2.
 * - With scale = 0.1 the suboptimality decreases with n: at 100, 1000 and
 *   10000 trajectories.  (At c = 1 the penalty H sqrt(L / N) exceeds the
 *   value range until N ~ H^2 L, so pi-hat stays the all-zero-Q policy up
 *   to n ~ 10^4 here.) */
START_TEST(test_pevi_tabular)
{
  tabrl_mdp *m = garnet();
  int S = m->S, A = m->A, H = m->horizon;
  long K = 10000, checkpoints[] = {1, 10, 100, 1000, 10000};
  tabrl_step *steps = uniform_dataset(m, K, 4);
  unsigned char *valid, *valid2;
  gsl_rng *rng, *rng2;
  tabrl_setting set = {"scale", "0.1", "test", 0};
  tabrl_algo *pevi = make("pevi", m, K, NULL, 0, &valid, &rng);
  tabrl_algo *tuned = make("pevi", m, K, &set, 1, &valid2, &rng2);
  double sub[5], sub_tuned[5];
  for (int c = 0; c < 5; c++) {
    sub[c] = fit_at(pevi, m, steps, checkpoints[c], 1);
    sub_tuned[c] = fit_at(tuned, m, steps, checkpoints[c], 0);
  }
  ck_assert_msg(sub_tuned[2] > sub_tuned[3] && sub_tuned[3] > sub_tuned[4],
                "scale 0.1: suboptimality %g, %g, %g at n = 100, 1000, 10000", sub_tuned[2],
                sub_tuned[3], sub_tuned[4]);

  /* Theorem 4.2 at n = 10000 (pevi was fitted last at n = K). */
  tabrl_policy *star = tabrl_policy_alloc_for(m), *uniform = tabrl_policy_alloc_for(m);
  double *V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  ck_assert_int_eq(tabrl_oracle_backward(m, V, NULL, star), 0);
  tabrl_policy_set_uniform(uniform, m);
  double *occ_star = occupancy(m, star), *occ_behaviour = occupancy(m, uniform);
  double data_bound = 0, concentrability = 0;
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        size_t i = ((size_t)h * S + s) * A + a;
        if (occ_star[i] <= 0) continue;
        data_bound += 2 * occ_star[i] * tabrl_pevi_penalty(pevi, h, s, a);
        concentrability = fmax(concentrability, occ_star[i] / occ_behaviour[i]);
      }
  double L = log((double)S * A * H * K / 0.05);
  double closed_bound = 2.0 * H * H * sqrt(2 * concentrability * L / K);
  ck_assert_double_ge(concentrability, A);
  ck_assert_msg(sub[4] <= data_bound, "sub %g > data-dependent bound %g", sub[4], data_bound);
  ck_assert_msg(sub[4] <= closed_bound, "sub %g > closed-form bound %g", sub[4], closed_bound);
  ck_assert_msg(sub_tuned[4] <= closed_bound, "sub %g > bound %g", sub_tuned[4], closed_bound);

  /* Incremental fits equal one fit of the whole prefix; a different steps
   * array (or a shorter prefix) starts afresh. */
  tabrl_step *copy = malloc((size_t)K * H * sizeof *copy);
  memcpy(copy, steps, (size_t)K * H * sizeof *copy);
  double *incremental = malloc((size_t)(H + 1) * S * sizeof *incremental);
  memcpy(incremental, tabrl_pevi_values(pevi), (size_t)(H + 1) * S * sizeof *incremental);
  unsigned char *valid3;
  gsl_rng *rng3;
  tabrl_algo *fresh = make("pevi", m, K, NULL, 0, &valid3, &rng3);
  fit_at(fresh, m, copy, 37, 1);
  fit_at(fresh, m, copy, 10, 1); /* shorter: restart */
  fit_at(fresh, m, steps, K, 1); /* other array: restart */
  ck_assert_int_eq(
      memcmp(incremental, tabrl_pevi_values(fresh), (size_t)(H + 1) * S * sizeof(double)), 0);
  /* a step out of range is refused with a message */
  copy[0].a = A;
  tabrl_dataset bad = {(size_t)H, copy, H, NULL, NULL, NULL};
  ck_assert_int_eq(fresh->type->fit(fresh->state, &bad), TABRL_EINVAL);
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "out of range"));

  unmake(fresh, valid3, rng3);
  free(copy);
  free(incremental);
  free(occ_star);
  free(occ_behaviour);
  free(V);
  tabrl_policy_free(star);
  tabrl_policy_free(uniform);
  unmake(pevi, valid, rng);
  unmake(tuned, valid2, rng2);
  free(steps);
  tabrl_mdp_free(m);
}
END_TEST

/* The linear form on linear(S 20, A 4, d 5, H 10), uniform behaviour:
 * pessimism at every checkpoint with the default constants (where beta =
 * d H sqrt(zeta) ~ 200 clips every Q-hat to 0 at these n, so pi-hat is the
 * lowest-action policy), and the incremental fit equals a fresh one; with
 * scale = 0.01 the suboptimality decreases with n = 10, 100, 1000. */
START_TEST(test_pevi_linear)
{
  tabrl_mdp *m = small("linear", "0");
  long K = 3000, checkpoints[] = {10, 100, 1000, 3000};
  int S = m->S, H = m->horizon;
  tabrl_step *steps = uniform_dataset(m, K, 8);
  unsigned char *valid, *valid2, *valid3;
  gsl_rng *rng, *rng2, *rng3;
  tabrl_setting set[2] = {{"form", "linear", "test", 0}, {"scale", "0.01", "test", 0}};
  tabrl_algo *pevi = make("pevi", m, K, set, 1, &valid, &rng);
  tabrl_algo *fresh = make("pevi", m, K, set, 1, &valid2, &rng2);
  tabrl_algo *tuned = make("pevi", m, K, set, 2, &valid3, &rng3);
  double sub[4];
  for (int c = 0; c < 4; c++) {
    fit_at(pevi, m, steps, checkpoints[c], 1);
    sub[c] = fit_at(tuned, m, steps, checkpoints[c], 0);
  }
  ck_assert_msg(sub[0] > sub[1] && sub[1] > sub[2],
                "scale 0.01: suboptimality %g, %g, %g at n = 10, 100, 1000", sub[0], sub[1],
                sub[2]);
  fit_at(fresh, m, steps, K, 1);
  const double *a = tabrl_pevi_values(pevi), *b = tabrl_pevi_values(fresh);
  for (int i = 0; i < (H + 1) * S; i++) ck_assert_double_eq_tol(a[i], b[i], 1e-9);
  unmake(pevi, valid, rng);
  unmake(fresh, valid2, rng2);
  unmake(tuned, valid3, rng3);
  free(steps);
  tabrl_mdp_free(m);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("linear");
  TCase *tc = tcase_create("linear");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_registry_and_refusals);
  tcase_add_test(tc, test_linear_mixture_env);
  tcase_add_test(tc, test_lsvi_ucb_lambda_inverse);
  tcase_add_test(tc, test_lsvi_ucb_aggregation_matches_naive);
  tcase_add_test(tc, test_lsvi_ucb_regret);
  tcase_add_test(tc, test_ucrl_vtr_regret);
  tcase_add_test(tc, test_pevi_tabular);
  tcase_add_test(tc, test_pevi_linear);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
