/* preference-bandit: a contextual bandit over responses, with true rewards
 * and/or a matrix of general (possibly non-transitive) preferences, and a
 * reference policy: the problem of preference optimisation (Azar et al.
 * 2024, "A General Theoretical Paradigm to Understand Learning from Human
 * Preferences", Section 2) and of Nash learning from human feedback (Munos
 * et al. 2024, "Nash Learning from Human Feedback", Section 3).
 *
 * States are the contexts (mu0 uniform), actions the responses, horizon 1
 * by default: response a in context s pays its true reward r(s, a) and
 * returns to s (a longer horizon or a discount repeats the context).
 *
 *   rewards     = r0, r1, ...   (one context) or file:R.csv with rows
 *                 context,response,reward or response,reward (every
 *                 context); absent: N(0,1) draws from the stream
 *                 (seed, env, 0) unless preferences are given, then 0.
 *   preferences = file:P.csv, header i,j,p (p = P(i beats j), each pair
 *                 i != j once or twice consistently, diagonal rows optional
 *                 and then 1/2), or `random`: EGPO's simulation (Zhou et al.
 *                 2025, Section 6.1: the entries below the diagonal
 *                 uniform on [0,1], P + P^T = 1), from the stream
 *                 (seed, env, 1).
 *   reference   = file:R.csv, rows i,logit (every context) or
 *                 context,i,logit, softmax per context; or `random`:
 *                 logits N(0,1) from the stream (seed, env, 2); absent:
 *                 uniform.
 *   beta        = the KL regularisation of the game in which the runner
 *                 measures duality gaps (tabrl/game.h).
 *   group_rewards = file:G.csv, header response,r1,...,rk (k = 1..7 user
 *                 groups, the same in every context), with group_shares =
 *                 s1, ..., sk (default 1/k each): a population of groups,
 *                 each labelling by Bradley-Terry on its own reward
 *                 (MaxMin-RLHF's setting, Chakraborty et al. 2024).  A
 *                 comparison drawn from a group drawn from the shares has
 *                 the law of the mixture preference P(i, j) = sum_g s_g
 *                 s(r_g(i) - r_g(j)), which becomes `preferences` (so
 *                 `pairs = N` labels each pair so); the true rewards
 *                 default to the population mean sum_g s_g r_g.
 *
 * Files are read with one error per bad line, FILE:LINE: what. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param preference_bandit_params[] = {
    {"contexts", TABRL_INT, "1", "[1,10000]", "number of contexts (states), drawn uniformly"},
    {"responses", TABRL_INT, "3", "[1,1000]", "number of responses (actions)"},
    {"rewards", TABRL_STRING, "", NULL,
     "true rewards: r0, r1, ... (one context) or file:R.csv (rows context,response,reward or "
     "response,reward); absent: N(0,1) draws, or 0 when preferences are given"},
    {"preferences", TABRL_STRING, "", NULL,
     "file:P.csv (header i,j,p: probability that i beats j) or random (lower triangle uniform)"},
    {"reference", TABRL_STRING, "", NULL,
     "reference policy: file:R.csv (rows i,logit or context,i,logit) or random (N(0,1) logits); "
     "absent: uniform"},
    {"beta", TABRL_DOUBLE, "0", "[0,inf)",
     "KL regularisation of the game in which duality gaps are measured"},
    {"group_rewards", TABRL_STRING, "", NULL,
     "user groups: file:G.csv (header response,r1,...,rk, every context); pairs are labelled by "
     "Bradley-Terry on the reward of a group drawn from group_shares (instead of preferences)"},
    {"group_shares", TABRL_STRING, "", NULL, "s1, ..., sk: the groups' shares (default 1/k each)"},
    {"seed", TABRL_INT, "0", "[0,inf)", "seed of random rewards, preferences and reference"},
    TABRL_ENV_TIME_PARAMS("1", ""),
    {0},
};

/* One CSV file of numbers: a header naming the columns, then rows. */
struct table {
  const char *path;
  FILE *f;
  char *line;
  size_t cap;
  long line_no;
  int ncols;
};

/* Splits the current line into at most 8 fields; returns their number. */
static int split(char *line, char **fields)
{
  int n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(line, ",", &save); tok && n < 8; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ' || *tok == '\t') tok++;
    size_t len = strlen(tok);
    while (len > 0 && strchr(" \t\r\n", tok[len - 1])) tok[--len] = '\0';
    fields[n++] = tok;
  }
  return n;
}

/* Opens path and reads its header, which must be one of the headers
 * (comma lists) given; *which is its index. */
static int table_open(struct table *t, const char *path, const char *const *headers, int *which)
{
  char *fields[8];
  ssize_t got;
  memset(t, 0, sizeof *t);
  t->path = path;
  if (!(t->f = fopen(path, "r")))
    return tabrl_error(TABRL_EIO, "%s: cannot open: %s", path, strerror(errno));
  do {
    got = getline(&t->line, &t->cap, t->f);
    t->line_no++;
  } while (got >= 0 && (t->line[0] == '#' || strspn(t->line, " \t\r\n") == (size_t)got));
  if (got < 0) return tabrl_error(TABRL_EINVAL, "%s: empty file (needs a header)", path);
  int n = split(t->line, fields);
  for (int h = 0; headers[h]; h++) {
    char copy[64], *want[8];
    snprintf(copy, sizeof copy, "%s", headers[h]);
    int m = split(copy, want), same = m == n;
    for (int k = 0; same && k < n; k++) same = !strcmp(fields[k], want[k]);
    if (same) {
      *which = h;
      t->ncols = n;
      return 0;
    }
  }
  char expect[128] = "";
  for (int h = 0; headers[h]; h++)
    snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s'%s'", h ? " or " : "",
             headers[h]);
  return tabrl_error(TABRL_EINVAL, "%s:%ld: the header must be %s", path, t->line_no, expect);
}

/* The next data row's t->ncols numbers: 1, 0 at the end, or an error. */
static int table_row(struct table *t, double *x)
{
  char *fields[8], *end;
  ssize_t got;
  do {
    got = getline(&t->line, &t->cap, t->f);
    t->line_no++;
  } while (got >= 0 && (t->line[0] == '#' || strspn(t->line, " \t\r\n") == (size_t)got));
  if (got < 0)
    return ferror(t->f) ? tabrl_error(TABRL_EIO, "%s: cannot read: %s", t->path, strerror(errno))
                        : 0;
  int n = split(t->line, fields);
  if (n != t->ncols)
    return tabrl_error(TABRL_EINVAL, "%s:%ld: %d fields, expected %d", t->path, t->line_no, n,
                       t->ncols);
  for (int k = 0; k < n; k++) {
    errno = 0;
    x[k] = strtod(fields[k], &end);
    if (!*fields[k] || *end || errno || !isfinite(x[k]))
      return tabrl_error(TABRL_EINVAL, "%s:%ld: '%s' is not a number", t->path, t->line_no,
                         fields[k]);
  }
  return 1;
}

static void table_close(struct table *t)
{
  if (t->f) fclose(t->f);
  free(t->line);
}

/* An index column: an integer in [0, n). */
static int table_index(const struct table *t, double x, int n, const char *what, int *out)
{
  if (x != floor(x) || x < 0 || x >= n)
    return tabrl_error(TABRL_EINVAL, "%s:%ld: %s %g out of range [0,%d)", t->path, t->line_no, what,
                       x, n);
  *out = (int)x;
  return 0;
}

static int read_rewards_file(const char *path, int S, int A, double *r)
{
  static const char *const headers[] = {"context,response,reward", "response,reward", NULL};
  struct table t;
  double x[3];
  int which, status, s = 0, a = 0;
  unsigned char *seen = calloc((size_t)S * (size_t)A, 1);
  if (!seen) return tabrl_error(TABRL_ENOMEM, "out of memory");
  status = table_open(&t, path, headers, &which);
  while (!status && (status = table_row(&t, x)) == 1) {
    int k = t.ncols - 2;
    status = k ? table_index(&t, x[0], S, "context", &s) : 0;
    if (!status) status = table_index(&t, x[k], A, "response", &a);
    for (int c = k ? s : 0; !status && c < (k ? s + 1 : S); c++) {
      size_t i = (size_t)c * (size_t)A + (size_t)a;
      if (seen[i])
        status = tabrl_error(TABRL_EINVAL, "%s:%ld: reward of context %d, response %d given twice",
                             path, t.line_no, c, a);
      seen[i] = 1;
      r[i] = x[k + 1];
    }
  }
  for (size_t i = 0; !status && i < (size_t)S * (size_t)A; i++)
    if (!seen[i])
      status = tabrl_error(TABRL_EINVAL, "%s: no reward for context %zu, response %zu", path,
                           i / (size_t)A, i % (size_t)A);
  table_close(&t);
  free(seen);
  return status;
}

static int read_rewards(const char *text, int S, int A, double *r)
{
  if (!strncmp(text, "file:", 5)) return read_rewards_file(text + 5, S, A, r);
  if (S != 1)
    return tabrl_error(TABRL_EINVAL,
                       "rewards: a list of values needs contexts = 1 (%d contexts: give "
                       "file:R.csv with rows context,response,reward)",
                       S);
  const char *p = text;
  for (int a = 0; a < A; a++) {
    char *end;
    errno = 0;
    r[a] = strtod(p, &end);
    if (end == p || errno || !isfinite(r[a]))
      return tabrl_error(TABRL_EINVAL, "rewards: value %d of '%s' is not a number", a + 1, text);
    while (*end == ' ' || *end == '\t') end++;
    if (a < A - 1 && *end != ',')
      return tabrl_error(TABRL_EINVAL, "rewards: '%s' has %d values, expected %d (responses)", text,
                         a + 1, A);
    p = end + (a < A - 1);
  }
  if (*p)
    return tabrl_error(TABRL_EINVAL, "rewards: '%s' has more than %d values (responses)", text, A);
  return 0;
}

static int read_preferences(const char *path, int A, double *P)
{
  static const char *const headers[] = {"i,j,p", NULL};
  struct table t;
  double x[3];
  int which, status, i = 0, j = 0;
  for (int k = 0; k < A * A; k++) P[k] = NAN;
  for (int k = 0; k < A; k++) P[k * A + k] = 0.5;
  status = table_open(&t, path, headers, &which);
  while (!status && (status = table_row(&t, x)) == 1) {
    if ((status = table_index(&t, x[0], A, "response i", &i)) ||
        (status = table_index(&t, x[1], A, "response j", &j)))
      break;
    double p = x[2];
    if (!(p >= 0 && p <= 1))
      status = tabrl_error(TABRL_EINVAL, "%s:%ld: p = %g is not a probability", path, t.line_no, p);
    else if (i == j && p != 0.5)
      status = tabrl_error(TABRL_EINVAL, "%s:%ld: P(%d, %d) = %g: the diagonal must be 1/2", path,
                           t.line_no, i, i, p);
    else if (!isnan(P[i * A + j]) && i != j && fabs(P[i * A + j] - p) > 1e-12)
      status = tabrl_error(TABRL_EINVAL,
                           "%s:%ld: P(%d, %d) = %g and P(%d, %d) = %g given earlier: P + P^T "
                           "must be 1 (tolerance 1e-12)",
                           path, t.line_no, i, j, p, j, i, P[j * A + i]);
    P[i * A + j] = p;
    P[j * A + i] = 1 - p;
  }
  for (i = 0; !status && i < A; i++)
    for (j = i + 1; !status && j < A; j++)
      if (isnan(P[i * A + j]))
        status = tabrl_error(TABRL_EINVAL, "%s: the pair (%d, %d) is missing (give a row i,j,p)",
                             path, i, j);
  table_close(&t);
  return status;
}

static int read_reference(const char *path, int S, int A, double *logits)
{
  static const char *const headers[] = {"i,logit", "context,i,logit", NULL};
  struct table t;
  double x[3];
  int which, status, s = 0, a = 0;
  for (size_t k = 0; k < (size_t)S * (size_t)A; k++) logits[k] = NAN;
  status = table_open(&t, path, headers, &which);
  while (!status && (status = table_row(&t, x)) == 1) {
    int k = t.ncols - 2;
    status = k ? table_index(&t, x[0], S, "context", &s) : 0;
    if (!status) status = table_index(&t, x[k], A, "response", &a);
    for (int c = k ? s : 0; !status && c < (k ? s + 1 : S); c++) {
      size_t i = (size_t)c * (size_t)A + (size_t)a;
      if (!isnan(logits[i]))
        status = tabrl_error(TABRL_EINVAL, "%s:%ld: logit of context %d, response %d given twice",
                             path, t.line_no, c, a);
      logits[i] = x[k + 1];
    }
  }
  for (size_t i = 0; !status && i < (size_t)S * (size_t)A; i++)
    if (isnan(logits[i]))
      status =
          which ? tabrl_error(TABRL_EINVAL, "%s: no logit for response %zu in context %zu", path,
                              i % (size_t)A, i / (size_t)A)
                : tabrl_error(TABRL_EINVAL, "%s: no logit for response %zu", path, i % (size_t)A);
  for (int c = 0; !status && c < S; c++)
    tabrl_softmax(logits + (size_t)c * (size_t)A, A, logits + (size_t)c * (size_t)A);
  table_close(&t);
  return status;
}

/* group_rewards and group_shares: the mixture preference P and the
 * population's mean reward r (every context). */
static int read_groups(const char *text, const char *shares, int S, int A, double *P, double *r)
{
  static const char *const headers[] = {"response,r1",
                                        "response,r1,r2",
                                        "response,r1,r2,r3",
                                        "response,r1,r2,r3,r4",
                                        "response,r1,r2,r3,r4,r5",
                                        "response,r1,r2,r3,r4,r5,r6",
                                        "response,r1,r2,r3,r4,r5,r6,r7",
                                        NULL};
  struct table t;
  double x[8], share[7], total = 0;
  int which = 0, status, a = 0, k;
  if (strncmp(text, "file:", 5))
    return tabrl_error(TABRL_EINVAL, "group_rewards = '%s': give file:G.csv", text);
  const char *path = text + 5;
  double *g = malloc(7 * (size_t)A * sizeof *g);
  if (!g) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (int i = 0; i < 7 * A; i++) g[i] = NAN;
  status = table_open(&t, path, headers, &which);
  k = which + 1;
  while (!status && (status = table_row(&t, x)) == 1) {
    if ((status = table_index(&t, x[0], A, "response", &a))) break;
    if (!isnan(g[a]))
      status = tabrl_error(TABRL_EINVAL, "%s:%ld: response %d given twice", path, t.line_no, a);
    for (int c = 0; c < k; c++) g[c * A + a] = x[c + 1];
  }
  for (a = 0; !status && a < A; a++)
    if (isnan(g[a])) status = tabrl_error(TABRL_EINVAL, "%s: no row for response %d", path, a);
  table_close(&t);
  for (int c = 0; c < k; c++) share[c] = 1.0 / k;
  const char *p = shares;
  for (int c = 0; !status && shares && c < k; c++) {
    char *end;
    errno = 0;
    share[c] = strtod(p, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == p || errno || !(share[c] >= 0) || !isfinite(share[c]) ||
        (c < k - 1 && *end != ',') || (c == k - 1 && *end))
      status = tabrl_error(TABRL_EINVAL,
                           "group_shares = '%s': expected %d numbers >= 0 separated by commas (the "
                           "groups of %s)",
                           shares, k, path);
    p = end + (c < k - 1);
  }
  for (int c = 0; !status && c < k; c++) total += share[c];
  if (!status && fabs(total - 1) > 1e-12)
    status = tabrl_error(TABRL_EINVAL, "group_shares = '%s' sum to %.17g, not 1 (tolerance 1e-12)",
                         shares, total);
  for (int i = 0; !status && i < A; i++) {
    for (int j = 0; j < A; j++) {
      double pij = 0;
      for (int c = 0; c < k; c++) pij += share[c] / (1 + exp(g[c * A + j] - g[c * A + i]));
      P[i * A + j] = i == j ? 0.5 : pij;
    }
    for (int j = 0; j < i; j++) P[i * A + j] = 1 - P[j * A + i]; /* exactly P + P^T = 1 */
    double mean = 0;
    for (int c = 0; c < k; c++) mean += share[c] * g[c * A + i];
    for (int s = 0; s < S && r; s++) r[(size_t)s * (size_t)A + (size_t)i] = mean;
  }
  free(g);
  return status;
}

static int preference_bandit_build(const tabrl_values *v, tabrl_mdp **out)
{
  int S = (int)tabrl_values_int(v, "contexts"), A = (int)tabrl_values_int(v, "responses");
  uint64_t seed = (uint64_t)tabrl_values_int(v, "seed");
  const char *rewards = tabrl_values_string(v, "rewards");
  const char *prefs = tabrl_values_string(v, "preferences");
  const char *ref = tabrl_values_string(v, "reference");
  const char *groups = tabrl_values_string(v, "group_rewards");
  const char *shares = tabrl_values_string(v, "group_shares");
  size_t n = (size_t)S * (size_t)A;
  double *r = calloc(n, sizeof *r), *mu0 = malloc((size_t)S * sizeof *mu0);
  double *P = prefs || groups ? malloc((size_t)A * (size_t)A * sizeof *P) : NULL;
  double *pi_ref = ref ? malloc(n * sizeof *pi_ref) : NULL;
  tabrl_mdp_builder *b = NULL;
  gsl_rng *rng = NULL;
  int status = 0, horizon;
  double gamma;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) goto done;
  if (!r || !mu0 || ((prefs || groups) && !P) || (ref && !pi_ref)) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  if (groups && prefs) {
    status = tabrl_error(TABRL_EINVAL, "group_rewards and preferences: give one (groups define "
                                       "the preferences)");
  } else if (shares && !groups) {
    status = tabrl_error(TABRL_EINVAL, "group_shares needs group_rewards = file:G.csv");
  } else if (groups) {
    status = read_groups(groups, shares, S, A, P, rewards ? NULL : r);
  } else if (prefs && !strcmp(prefs, "random")) {
    if (!(rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ENV, 1))) goto oom;
    for (int i = 0; i < A; i++) {
      P[i * A + i] = 0.5;
      for (int j = 0; j < i; j++) {
        P[i * A + j] = gsl_rng_uniform(rng);
        P[j * A + i] = 1 - P[i * A + j];
      }
    }
    gsl_rng_free(rng);
    rng = NULL;
  } else if (prefs && strncmp(prefs, "file:", 5)) {
    status = tabrl_error(TABRL_EINVAL, "preferences = '%s': give file:P.csv or random", prefs);
  } else if (prefs) {
    status = read_preferences(prefs + 5, A, P);
  }
  if (!status && ref && !strcmp(ref, "random")) {
    if (!(rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ENV, 2))) goto oom;
    for (size_t i = 0; i < n; i++) pi_ref[i] = gsl_ran_gaussian(rng, 1.0);
    for (int c = 0; c < S; c++)
      tabrl_softmax(pi_ref + (size_t)c * (size_t)A, A, pi_ref + (size_t)c * (size_t)A);
  } else if (!status && ref && strncmp(ref, "file:", 5)) {
    status = tabrl_error(TABRL_EINVAL, "reference = '%s': give file:R.csv or random", ref);
  } else if (!status && ref) {
    status = read_reference(ref + 5, S, A, pi_ref);
  }
  if (!status && rewards) {
    status = read_rewards(rewards, S, A, r);
  } else if (!status && !prefs && !groups) {
    gsl_rng_free(rng);
    if (!(rng = tabrl_gsl_rng_stream(seed, TABRL_STREAM_ENV, 0))) goto oom;
    for (size_t i = 0; i < n; i++) r[i] = gsl_ran_gaussian(rng, 1.0);
  }
  if (status) goto done;
  if (!(b = tabrl_mdp_builder_alloc(S, A, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  tabrl_mdp_builder_set_game_beta(b, tabrl_values_double(v, "beta"));
  for (int s = 0; s < S; s++) {
    mu0[s] = 1.0 / S;
    for (int a = 0; a < A; a++) tabrl_mdp_builder_add(b, 0, s, a, s, 1.0, r[(size_t)s * A + a]);
  }
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status && P) status = tabrl_mdp_builder_set_preference(b, P);
  if (!status && pi_ref) status = tabrl_mdp_builder_set_reference(b, pi_ref);
  if (!status) status = tabrl_mdp_builder_set_name(b, "preference-bandit");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  goto done;
oom:
  status = tabrl_error(TABRL_ENOMEM, "out of memory");
done:
  gsl_rng_free(rng);
  tabrl_mdp_builder_free(b);
  free(r);
  free(mu0);
  free(P);
  free(pi_ref);
  return status;
}

const tabrl_env_type tabrl_env_preference_bandit = {
    .name = "preference-bandit",
    .doc = "Contextual bandit over responses with true rewards and/or a general preference "
           "matrix, and a reference policy (horizon 1)",
    .source = "Azar et al. 2024 (IPO), Section 2; Munos et al. 2024 (Nash-MD), Section 3",
    .params = preference_bandit_params,
    .build = preference_bandit_build,
};
