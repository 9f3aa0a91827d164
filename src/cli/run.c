/* tabrl run / tabrl eval. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/results.h"
#include "tabrl/runner.h"

#ifndef TABRL_VERSION
#define TABRL_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
  (void)sig;
  stop_requested = 1;
}

static void show_progress(void *ctx, size_t done, size_t total, double episodes, double seconds)
{
  (void)ctx;
  double rate = seconds > 0 ? episodes / seconds : 0;
  double eta = done > 0 && done < total ? seconds * (double)(total - done) / (double)done : 0;
  int width = 30, filled = total ? (int)(width * done / total) : width;
  fprintf(stderr, "\r[%.*s%*s] runs %zu/%zu  %.3g episodes/s  ETA %.0f s ", filled,
          "##############################", width - filled, "", done, total, rate, eta);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}

static char *command_line(int argc, char **argv)
{
  size_t size = 16;
  for (int i = 0; i < argc; i++) size += strlen(argv[i]) + 1;
  char *s = malloc(size);
  if (!s) return NULL;
  strcpy(s, "tabrl");
  for (int i = 0; i < argc; i++) {
    strcat(s, " ");
    strcat(s, argv[i]);
  }
  return s;
}

int cli_run(int argc, char **argv)
{
  static const struct option options[] = {
      {"set", required_argument, NULL, 's'},   {"jobs", required_argument, NULL, 'j'},
      {"shard", required_argument, NULL, 'S'}, {"resume", no_argument, NULL, 'r'},
      {"out", required_argument, NULL, 'o'},   {"quiet", no_argument, NULL, 'q'},
      {"keep-runs", no_argument, NULL, 'k'},   {NULL, 0, NULL, 0}};
  const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
  size_t noverrides = 0;
  tabrl_run_options opt = {0};
  tabrl_run_report report;
  tabrl_experiment *e = NULL;
  char *command = NULL, out[4096];
  const char *out_dir = NULL;
  int opt_char, quiet = 0, code = CLI_OK, status;
  char *end;

  if (!overrides) return CLI_FAIL;
  opt.threads = 1;
  optind = 0;
  while ((opt_char = getopt_long(argc, argv, "s:j:o:q", options, NULL)) != -1) {
    switch (opt_char) {
    case 's':
      overrides[noverrides++] = optarg;
      break;
    case 'j':
      opt.threads = (int)strtol(optarg, &end, 10);
      if (*end || opt.threads < 1 || opt.threads > 1024) {
        cli_error("-j %s: expected a number of threads from 1 to 1024", optarg);
        code = CLI_USAGE;
        goto done;
      }
      break;
    case 'S':
      if (sscanf(optarg, "%d/%d", &opt.shard_index, &opt.shard_count) != 2 || opt.shard_count < 1 ||
          opt.shard_index < 1 || opt.shard_index > opt.shard_count) {
        cli_error("--shard %s: expected i/n with 1 <= i <= n (shard i of n)", optarg);
        code = CLI_USAGE;
        goto done;
      }
      break;
    case 'r':
      opt.resume = 1;
      break;
    case 'k':
      opt.keep_runs = 1;
      break;
    case 'o':
      out_dir = optarg;
      break;
    case 'q':
      quiet = 1;
      break;
    default:
      code = cli_usage("run", CLI_USAGE);
      goto done;
    }
  }
  if (optind != argc - 1) {
    code = cli_usage("run", CLI_USAGE);
    goto done;
  }
  if ((status = tabrl_experiment_load(argv[optind], overrides, noverrides, &e))) {
    cli_error("%s", tabrl_error_message());
    code = status == TABRL_ENOMEM ? CLI_FAIL : CLI_USAGE;
    goto done;
  }
  if (!out_dir) {
    snprintf(out, sizeof out, "results/%s", e->name);
    out_dir = out;
  }
  command = command_line(argc, argv);
  opt.out_dir = out_dir;
  opt.version = TABRL_VERSION;
  opt.command = command ? command : "tabrl run";
  opt.stop = &stop_requested;
  if (!quiet && isatty(STDERR_FILENO)) opt.progress = show_progress;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  status = tabrl_run_experiment(e, &opt, &report);
  if (status) {
    cli_error("%s", tabrl_error_message());
    code = status == TABRL_EINVAL ? CLI_USAGE : CLI_FAIL;
    goto done;
  }
  if (opt.shard_count <= 1) {
    tabrl_plot_options plot = {0};
    if ((status = tabrl_plot(out_dir, &plot)))
      fprintf(stderr, "tabrl: warning: no figure: %s\n", tabrl_error_message());
  }
  if (!quiet) {
    cli_print_summary(out_dir);
    printf("%zu runs (%zu already done) in %.2f s; writing outputs took %.3f s; results in %s/\n",
           report.runs_total, report.runs_skipped, report.seconds, report.output_seconds, out_dir);
  }
done:
  tabrl_experiment_free(e);
  free(overrides);
  free(command);
  return code;
}

/* ---- eval ---- */

/* Reads a policy from policies.csv (env,algo,config,seed,h,s,a,prob) or a
 * bare h,s,a,prob file, keeping the rows that match every key=value of
 * select (keys: env, algo, config, seed).  With m NULL it only finds the
 * selected policy's seed (seed_out, "" if the file has no seed column). */
static int read_policy(const char *path, const char *select, const tabrl_mdp *m, tabrl_policy **out,
                       char *seed_out, size_t seed_size)
{
  FILE *f = fopen(path, "r");
  char line[4096], group[1024] = "", first_group[1024] = "";
  int column[8], ncol = 0, lineno = 1, stages = 1, status = 0;
  static const char *const names[8] = {"env", "algo", "config", "seed", "h", "s", "a", "prob"};
  tabrl_policy *pi = NULL;
  *out = NULL;
  if (!f) return tabrl_error(TABRL_EINVAL, "%s: %s", path, strerror(errno));
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s: empty file", path);
  }
  line[strcspn(line, "\r\n")] = '\0';
  for (int i = 0; i < 8; i++) column[i] = -1;
  for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), ncol++)
    for (int i = 0; i < 8; i++)
      if (!strcmp(tok, names[i])) column[i] = ncol;
  if (column[4] < 0 || column[5] < 0 || column[6] < 0 || column[7] < 0) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s:1: a policy file needs the columns h,s,a,prob", path);
  }
  if (m && !(pi = tabrl_policy_alloc_for(m))) {
    fclose(f);
    return TABRL_ENOMEM;
  }
  while (fgets(line, sizeof line, f)) {
    char *field[16];
    int n = 0;
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (!*line) continue;
    for (char *p = line, *q; p && n < 16; p = q ? q + 1 : NULL) {
      q = strchr(p, ',');
      if (q) *q = '\0';
      field[n++] = p;
    }
    if (n != ncol) {
      status =
          tabrl_error(TABRL_EINVAL, "%s:%d: %d fields, the header has %d", path, lineno, n, ncol);
      break;
    }
    int keep = 1;
    if (select && *select) {
      char sel[1024];
      snprintf(sel, sizeof sel, "%s", select);
      for (char *save = NULL, *kv = strtok_r(sel, ",", &save); kv;
           kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        int c = -1;
        if (!eq) {
          status = tabrl_error(TABRL_EINVAL, "--select %s: expected key=value,...", select);
          break;
        }
        *eq = '\0';
        for (int i = 0; i < 4; i++)
          if (!strcmp(kv, names[i])) c = column[i];
        if (c < 0) {
          status = tabrl_error(
              TABRL_EINVAL, "--select: the file has no column '%s' (env, algo, config, seed)", kv);
          break;
        }
        keep &= !strcmp(field[c], eq + 1);
      }
      if (status) break;
    }
    if (!keep) continue;
    snprintf(group, sizeof group, "%s,%s,%s,%s", column[0] >= 0 ? field[column[0]] : "",
             column[1] >= 0 ? field[column[1]] : "", column[2] >= 0 ? field[column[2]] : "",
             column[3] >= 0 ? field[column[3]] : "");
    if (!*first_group) {
      snprintf(first_group, sizeof first_group, "%s", group);
      if (column[3] >= 0) snprintf(seed_out, seed_size, "%s", field[column[3]]);
      if (!m) break;
    } else if (strcmp(group, first_group)) {
      status = tabrl_error(TABRL_EINVAL,
                           "%s holds several policies (%s and %s ...); choose one with --select "
                           "algo=...,config=...,seed=...",
                           path, first_group, group);
      break;
    }
    char *e1, *e2, *e3, *e4;
    long h = strtol(field[column[4]], &e1, 10), s = strtol(field[column[5]], &e2, 10),
         a = strtol(field[column[6]], &e3, 10);
    double p = strtod(field[column[7]], &e4);
    if (*e1 || *e2 || *e3 || *e4 || h < 0 || h >= tabrl_mdp_value_stages(m) || s < 0 || s >= m->S ||
        a < 0 || a >= m->A || !(p >= 0 && p <= 1)) {
      status = tabrl_error(
          TABRL_EINVAL,
          "%s:%d: (h, s, a, prob) out of range for %s (%d stages, %d states, %d actions)", path,
          lineno, m->name, tabrl_mdp_value_stages(m), m->S, m->A);
      break;
    }
    if (h > 0) stages = tabrl_mdp_value_stages(m);
    pi->prob[((size_t)h * m->S + s) * m->A + a] = p;
  }
  fclose(f);
  if (!status && !*first_group)
    status = tabrl_error(TABRL_EINVAL, "%s: no policy rows%s%s", path,
                         select ? " match --select " : "", select ? select : "");
  if (!status && pi && stages == 1 && pi->stages > 1) {
    /* A stationary policy (only h = 0 rows): the same rows at every stage. */
    size_t row = (size_t)m->S * m->A;
    for (int h = 1; h < pi->stages; h++) memcpy(pi->prob + h * row, pi->prob, row * sizeof(double));
  }
  if (status) {
    tabrl_policy_free(pi);
    return status;
  }
  *out = pi;
  return 0;
}

int cli_eval(int argc, char **argv)
{
  static const struct option options[] = {{"set", required_argument, NULL, 's'},
                                          {"policy", required_argument, NULL, 'p'},
                                          {"select", required_argument, NULL, 'S'},
                                          {"horizon", required_argument, NULL, 'H'},
                                          {"gamma", required_argument, NULL, 'g'},
                                          {"objective", required_argument, NULL, 'O'},
                                          {NULL, 0, NULL, 0}};
  cli_settings settings = {0};
  const char *policy_path = NULL, *select = NULL, *horizon = NULL, *gamma = NULL;
  int code = CLI_OK, opt, status;
  tabrl_mdp *m = NULL;
  tabrl_policy *pi = NULL;
  double *V = NULL;
  char seed[64] = "", seed_arg[96];
  tabrl_objective objective = tabrl_objective_default();

  optind = 0;
  while ((opt = getopt_long(argc, argv, "s:", options, NULL)) != -1) {
    switch (opt) {
    case 's':
      if ((code = cli_settings_add(&settings, optarg, "--set"))) goto done;
      break;
    case 'p':
      policy_path = optarg;
      break;
    case 'S':
      select = optarg;
      break;
    case 'H':
      horizon = optarg;
      break;
    case 'g':
      gamma = optarg;
      break;
    case 'O':
      if ((code = cli_objective(optarg, &objective))) goto done;
      break;
    default:
      code = cli_usage("eval", CLI_USAGE);
      goto done;
    }
  }
  if (optind != argc - 1 || !policy_path) {
    if (!policy_path && optind == argc - 1) cli_error("eval needs --policy FILE.csv");
    code = cli_usage("eval", CLI_USAGE);
    goto done;
  }
  /* A random env (garnet, linear ...) is one instance per seed: evaluate
   * the policy on the instance it was learned on unless --set seed says
   * otherwise. */
  const char *env_path;
  const tabrl_env_type *env_type = tabrl_env_find(argv[optind], &env_path);
  int has_seed = 0, seed_set = 0;
  for (const tabrl_param *p = env_type ? env_type->params : NULL; p && p->name; p++)
    has_seed |= !strcmp(p->name, "seed");
  for (size_t i = 0; i < settings.n; i++) seed_set |= !strcmp(settings.items[i].key, "seed");
  if (has_seed && !seed_set) {
    tabrl_policy *unused = NULL;
    if ((status = read_policy(policy_path, select, NULL, &unused, seed, sizeof seed))) {
      cli_error("%s", tabrl_error_message());
      code = cli_status(status);
      goto done;
    }
    if (*seed) {
      /* settings keep a pointer to the value: seed_arg lives as long. */
      snprintf(seed_arg, sizeof seed_arg, "seed=%s", seed);
      if ((code = cli_settings_add(&settings, seed_arg, "--policy"))) goto done;
      printf("(env instance of seed %s, as in %s)\n", seed, policy_path);
    }
  }
  if ((code = cli_build_env(argv[optind], &settings, horizon, gamma, &m))) goto done;
  if ((status = read_policy(policy_path, select, m, &pi, seed, sizeof seed))) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  V = malloc(tabrl_oracle_value_size(m) * sizeof *V);
  if (!V) {
    code = CLI_FAIL;
    goto done;
  }
  double value, best;
  if ((status = tabrl_objective_value(&objective, m, pi, V, &value))) {
    cli_error("%s: %s", policy_path, tabrl_error_message());
    code = CLI_USAGE;
    goto done;
  }
  if ((status = tabrl_objective_optimum(&objective, m, V, NULL, &best))) {
    cli_error("%s", tabrl_error_message());
    code = CLI_FAIL;
    goto done;
  }
  printf("J(pi) = %.12g\nJ* = %.12g\nregret J* - J(pi) = %.12g\n", value, best, best - value);
done:
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  cli_settings_free(&settings);
  return code;
}
