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
#include "model/fileio.h"
#include "results/private.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/oracle.h"
#include "tabrl/results.h"
#include "tabrl/runner.h"

#ifndef TABRL_VERSION
#define TABRL_VERSION "unknown"
#endif

/* Long-only options (getopt_long values beyond any letter). */
enum {
  OPT_SHARD = 256,
  OPT_RESUME,
  OPT_KEEP_RUNS,
  OPT_NO_PLOT,
  OPT_POLICY,
  OPT_SELECT,
  OPT_HORIZON,
  OPT_GAMMA,
  OPT_OBJECTIVE,
  OPT_FORCE
};

const cli_option cli_run_options[] = {
    {"set", 's', "section.key=value",
     "override a key of the experiment file (env.states=8, LABEL.epsilon=0.1); repeatable"},
    {"jobs", 'j', "N", "threads, 1 to 1024 (the results do not depend on it)"},
    {"shard", OPT_SHARD, "i/n", "run only shard i of n (join the shards with tabrl merge)"},
    {"resume", OPT_RESUME, NULL,
     "reuse the finished runs of DIR whose settings are unchanged; compute the rest"},
    {"keep-runs", OPT_KEEP_RUNS, NULL,
     "keep DIR/.runs (one file per finished run) after success, for a later --resume"},
    {"no-plot", OPT_NO_PLOT, NULL,
     "draw no figure (gnuplot's start costs about 0.1 s; tabrl plot DIR draws it later)"},
    {"out", 'o', "DIR", "output directory (default results/NAME)"},
    {"quiet", 'q', NULL, "no progress bar and no summary table"},
    {NULL, 0, NULL, NULL},
};

const cli_option cli_eval_options[] = {
    {"policy", OPT_POLICY, "FILE.csv", "the policy: policies.csv of a run, or h,s,a,prob rows"},
    {"select", OPT_SELECT, "algo=A,config=C,seed=S",
     "which policy of the file (keys env, algo, config, seed)"},
    {"set", 's', "key=value", "an env parameter; repeatable"},
    {"horizon", OPT_HORIZON, "H", "episodic model of horizon H"},
    {"gamma", OPT_GAMMA, "G", "discounted model, discount G in [0, 1)"},
    {"objective", OPT_OBJECTIVE, "O", "objective to evaluate (default mean)"},
    {"force", OPT_FORCE, NULL, "evaluate even if the env differs from the policy's run"},
    {NULL, 0, NULL, NULL},
};

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

/* One note per algorithm label most of whose runs computed now ended with
 * the optimistic Q_h still >= H - h for most visited (h, s, a) (the type's
 * saturation report): at those constants the bonuses cover every return
 * and regret is linear.  Runs reused by --resume or of another shard carry
 * no report. */
static void print_saturation(const tabrl_experiment *e, const tabrl_run_report *report)
{
  size_t total = tabrl_experiment_runs(e);
  if (!report->saturation) return;
  for (size_t a = 0; a < e->nalgos; a++) {
    size_t reported = 0, saturated = 0;
    for (size_t r = 0; r < total; r++) {
      size_t config, algo, seed;
      tabrl_experiment_run_indices(e, r, &config, &algo, &seed);
      if (algo != a || isnan(report->saturation[r])) continue;
      reported++;
      saturated += report->saturation[r] > 0.5;
    }
    if (reported && 2 * saturated > reported)
      printf("note: algo %s: bonus saturated (Q_h >= H - h after the last episode for most "
             "visited (h, s, a) in %zu of %zu runs): regret is linear at these constants; see "
             "`scale`\n",
             e->algos[a].label, saturated, reported);
  }
}

/* One note per algorithm label (and config, under a sweep) whose type
 * counts skipped non-finite updates (its diagnostics report: an overflowed
 * exponential, a NaN): the total over the runs computed now and how many
 * of them had any. */
static void print_diagnostics(const tabrl_experiment *e, const tabrl_run_report *report)
{
  size_t total = tabrl_experiment_runs(e);
  if (!report->diagnostics) return;
  for (size_t a = 0; a < e->nalgos; a++)
    for (size_t c = 0; c < e->nconfigs; c++) {
      size_t reported = 0, affected = 0;
      double events = 0;
      char label[256];
      for (size_t r = 0; r < total; r++) {
        size_t config, algo, seed;
        tabrl_experiment_run_indices(e, r, &config, &algo, &seed);
        if (algo != a || config != c || isnan(report->diagnostics[r])) continue;
        reported++;
        affected += report->diagnostics[r] > 0;
        events += report->diagnostics[r];
      }
      if (!reported) continue;
      tabrl_experiment_config_label(e, c, label, sizeof label);
      printf("note: algo %s%s%s: %.0f non-finite updates skipped (overflow/NaN) in %zu of %zu "
             "runs\n",
             e->algos[a].label, e->nconfigs > 1 ? ", config " : "", e->nconfigs > 1 ? label : "",
             events, affected, reported);
    }
}

int cli_run(int argc, char **argv)
{
  const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
  size_t noverrides = 0;
  tabrl_run_options opt = {0};
  tabrl_run_report report = {0};
  tabrl_experiment *e = NULL;
  char *command = NULL, out[4096];
  const char *out_dir = NULL;
  int opt_char, quiet = 0, no_plot = 0, code = CLI_OK, status;
  char *end;

  if (!overrides) return CLI_FAIL;
  opt.threads = 1;
  optind = 0;
  while ((opt_char = cli_getopt(argc, argv, cli_run_options)) != -1) {
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
    case OPT_SHARD:
      if (sscanf(optarg, "%d/%d", &opt.shard_index, &opt.shard_count) != 2 || opt.shard_count < 1 ||
          opt.shard_index < 1 || opt.shard_index > opt.shard_count) {
        cli_error("--shard %s: expected i/n with 1 <= i <= n (shard i of n)", optarg);
        code = CLI_USAGE;
        goto done;
      }
      break;
    case OPT_RESUME:
      opt.resume = 1;
      break;
    case OPT_KEEP_RUNS:
      opt.keep_runs = 1;
      break;
    case OPT_NO_PLOT:
      no_plot = 1;
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
  if (tabrl_output_path_check("--out", out_dir, TABRL_OUTPUT_DIR)) {
    cli_error("%s", tabrl_error_message());
    code = CLI_USAGE;
    goto done;
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
  /* One figure per experiment: a shard's is drawn by the merge of all
   * shards, and a run told --no-plot leaves it to tabrl plot. */
  if (opt.shard_count <= 1 && !no_plot) {
    tabrl_plot_options plot = {0};
    if ((status = tabrl_plot(out_dir, &plot)))
      fprintf(stderr, "tabrl: warning: no figure: %s\n", tabrl_error_message());
  }
  if (!quiet) {
    cli_print_summary(out_dir);
    print_saturation(e, &report);
    print_diagnostics(e, &report);
    printf("%zu runs (%zu already done) in %.2f s; writing outputs took %.3f s; results in %s/\n",
           report.runs_total, report.runs_skipped, report.seconds, report.output_seconds, out_dir);
    if (opt.shard_count > 1)
      printf("no figure for a shard: tabrl merge draws the experiment's once all shards are "
             "done\n");
    else if (no_plot)
      printf("no figure (--no-plot): draw it with tabrl plot %s\n", out_dir);
  }
done:
  free(report.saturation);
  free(report.diagnostics);
  tabrl_experiment_free(e);
  free(overrides);
  free(command);
  return code;
}

/* ---- eval ---- */

/* The env settings of the run that produced a policy: [env] of the
 * manifest (non-empty values), then the [config C] env.* overrides of the
 * policy's config, then its seed as the instance seed of a random env (as
 * tabrl run does).  Values point into ini / source. */
static int manifest_env_settings(const tabrl_ini *ini, const tabrl_env_type *type,
                                 const tabrl_policy_source *source, tabrl_setting *out, size_t cap,
                                 size_t *n)
{
  char section[200];
  int has_seed = 0, seed_set = 0;
  *n = 0;
  snprintf(section, sizeof section, "config %s", source->config);
  for (size_t i = 0; i < ini->n; i++) {
    const tabrl_ini_item *it = &ini->items[i];
    const char *key = NULL;
    /* "(the run's seed)" and the like: no value of its own. */
    if (!it->key || !*it->value || *it->value == '(') continue;
    if (!strcmp(it->section, "env"))
      key = it->key;
    else if (!strcmp(it->section, section) && !strncmp(it->key, "env.", 4))
      key = it->key + 4;
    if (!key) continue;
    size_t j;
    for (j = 0; j < *n; j++)
      if (!strcmp(out[j].key, key)) break;
    if (j == cap) return tabrl_error(TABRL_EINVAL, "manifest: too many env settings");
    out[j] = (tabrl_setting){key, it->value, "manifest.ini", 0};
    if (j == *n) (*n)++;
  }
  for (const tabrl_param *p = type->params; p->name; p++) has_seed |= !strcmp(p->name, "seed");
  for (size_t j = 0; j < *n; j++) seed_set |= !strcmp(out[j].key, "seed");
  if (has_seed && !seed_set && *source->seed && *n < cap)
    out[(*n)++] = (tabrl_setting){"seed", source->seed, "run seed", 0};
  return 0;
}

/* Two parameter texts name the same value: equal text, or equal numbers. */
static int same_value(const char *x, const char *y)
{
  char *ex, *ey;
  if (!strcmp(x, y)) return 1;
  double a = strtod(x, &ex), b = strtod(y, &ey);
  return *x && *y && !*ex && !*ey && a == b;
}

/* When policy_path sits in a tabrl result directory (manifest.ini beside
 * it), refuses an evaluation whose env, env parameters, instance seed or
 * time setting (horizon / gamma) differ from the run that produced the
 * policy: its number would be a regret on another problem.  Returns the
 * exit code (the error printed). */
static int check_provenance(const char *policy_path, const tabrl_policy_source *source,
                            const char *env_name, const tabrl_setting *settings, size_t nsettings)
{
  char manifest[4200];
  const char *slash = strrchr(policy_path, '/');
  tabrl_ini ini = {0};
  tabrl_values *ran = NULL, *here = NULL;
  tabrl_setting from[128];
  size_t nfrom;
  int code = CLI_OK, status;
  if (slash)
    snprintf(manifest, sizeof manifest, "%.*s/manifest.ini", (int)(slash - policy_path),
             policy_path);
  else
    snprintf(manifest, sizeof manifest, "manifest.ini");
  status = tabrl_ini_read(manifest, &ini);
  if (status == TABRL_ENOTFOUND) return CLI_OK; /* a policy file of its own */
  if (status) {
    cli_error("%s (the manifest of %s's run; --force evaluates without it)", tabrl_error_message(),
              policy_path);
    return CLI_USAGE;
  }
  const char *ran_env = tabrl_ini_get(&ini, "experiment", "env");
  const char *path_ran, *path_here;
  const tabrl_env_type *type_ran = ran_env ? tabrl_env_find(ran_env, &path_ran) : NULL,
                       *type_here = tabrl_env_find(env_name, &path_here);
  if (!ran_env || !type_ran || type_ran != type_here ||
      (path_ran && path_here && strcmp(path_ran, path_here))) {
    cli_error("%s was learned on env '%s' (%s); evaluating it on '%s' gives a regret on another "
              "problem (--force evaluates anyway)",
              policy_path, ran_env ? ran_env : "?", manifest, env_name);
    code = CLI_USAGE;
    goto done;
  }
  if ((status = manifest_env_settings(&ini, type_ran, source, from, 128, &nfrom)) ||
      (status = tabrl_values_resolve(type_ran->params, manifest, from, nfrom, 1, &ran)) ||
      (status = tabrl_values_resolve(type_here->params, env_name, settings, nsettings, 1, &here))) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  for (size_t i = 0; i < tabrl_values_count(ran); i++) {
    const char *name = tabrl_values_name(ran, i), *x = tabrl_values_text(ran, i);
    const char *y = NULL;
    for (size_t j = 0; j < tabrl_values_count(here); j++)
      if (!strcmp(tabrl_values_name(here, j), name)) y = tabrl_values_text(here, j);
    x = x ? x : "";
    y = y ? y : "";
    if (same_value(x, y)) continue;
    /* What to give instead: the run's value, or nothing for a key it left unset. */
    int time = !strcmp(name, "horizon") || !strcmp(name, "gamma");
    char fix[300];
    if (!*x)
      snprintf(fix, sizeof fix, "leave %s unset", name);
    else
      snprintf(fix, sizeof fix, "give %s%s%s%s", time ? "--" : "--set ", name, time ? " " : "=", x);
    cli_error("%s was learned with %s %s = %s (%s, config %s%s%s), here %s = %s; %s or --force",
              policy_path, env_name, name, *x ? x : "(unset)", manifest, source->config,
              *source->seed ? ", seed " : "", source->seed, name, *y ? y : "(unset)", fix);
    code = CLI_USAGE;
    break;
  }
done:
  tabrl_values_free(ran);
  tabrl_values_free(here);
  tabrl_ini_free(&ini);
  return code;
}

int cli_eval(int argc, char **argv)
{
  cli_settings settings = {0};
  int force = 0;
  const char *policy_path = NULL, *select = NULL, *horizon = NULL, *gamma = NULL;
  int code = CLI_OK, opt, status;
  tabrl_mdp *m = NULL;
  tabrl_policy *pi = NULL;
  double *V = NULL;
  char seed_arg[96];
  tabrl_objective objective = tabrl_objective_default();

  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_eval_options)) != -1) {
    switch (opt) {
    case 's':
      if ((code = cli_settings_add(&settings, optarg, "--set"))) goto done;
      break;
    case OPT_POLICY:
      policy_path = optarg;
      break;
    case OPT_SELECT:
      select = optarg;
      break;
    case OPT_HORIZON:
      horizon = optarg;
      break;
    case OPT_GAMMA:
      gamma = optarg;
      break;
    case OPT_OBJECTIVE:
      if ((code = cli_objective(optarg, &objective))) goto done;
      break;
    case OPT_FORCE:
      force = 1;
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
  /* Which policy: its seed is the instance of a random env (garnet,
   * linear ...) it was learned on, unless --set seed says otherwise. */
  tabrl_policy_source source;
  if ((status = tabrl_policy_read_csv(policy_path, select, NULL, NULL, &source))) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  const char *env_path;
  const tabrl_env_type *env_type = tabrl_env_find(argv[optind], &env_path);
  int has_seed = 0, seed_set = 0;
  for (const tabrl_param *p = env_type ? env_type->params : NULL; p && p->name; p++)
    has_seed |= !strcmp(p->name, "seed");
  for (size_t i = 0; i < settings.n; i++) seed_set |= !strcmp(settings.items[i].key, "seed");
  if (has_seed && !seed_set && *source.seed) {
    /* settings keep a pointer to the value: seed_arg lives as long. */
    snprintf(seed_arg, sizeof seed_arg, "seed=%s", source.seed);
    if ((code = cli_settings_add(&settings, seed_arg, "--policy"))) goto done;
    printf("(env instance of seed %s, as in %s)\n", source.seed, policy_path);
  }
  if ((code = cli_build_env(argv[optind], &settings, horizon, gamma, &m))) goto done;
  if (!force) {
    tabrl_setting all[260];
    size_t n = 0;
    for (size_t i = 0; i < settings.n && n < 256; i++) all[n++] = settings.items[i];
    if (horizon) all[n++] = (tabrl_setting){"horizon", horizon, "--horizon", 0};
    if (gamma) all[n++] = (tabrl_setting){"gamma", gamma, "--gamma", 0};
    if ((code = check_provenance(policy_path, &source, argv[optind], all, n))) goto done;
  }
  if ((status = tabrl_policy_read_csv(policy_path, select, m, &pi, &source))) {
    cli_error("%s", tabrl_error_message());
    code = cli_status(status);
    goto done;
  }
  if (source.stationary && m->horizon > 0)
    printf("(a stationary policy: its stage-0 rows serve every stage of horizon %d)\n", m->horizon);
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
  printf("J(pi) = %.17g\nJ* = %.17g\nregret J* - J(pi) = %.17g\n", value, best, best - value);
done:
  free(V);
  tabrl_policy_free(pi);
  tabrl_mdp_free(m);
  cli_settings_free(&settings);
  return code;
}
