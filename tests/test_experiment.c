/* Experiment files: parsing, validation, sweeps, overrides, run numbering,
 * checkpoint schedules and the manifest hash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tabrl/error.h"
#include "tabrl/env.h"
#include "tabrl/experiment.h"
#include "tabrl/runner.h"

#define DATA TABRL_TEST_DATA "/exp/"

static tabrl_experiment *load(const char *file, const char *const *overrides, size_t n)
{
  tabrl_experiment *e = NULL;
  int status = tabrl_experiment_load(file, overrides, n, &e);
  ck_assert_msg(status == 0, "%s: %s", file, tabrl_error_message());
  return e;
}

/* Writes text to a temporary .ini file (one per test process, which Check
 * forks); returns its malloc'ed path. */
static char *temp_ini(const char *text)
{
  char *path = malloc(64);
  snprintf(path, 64, "/tmp/tabrl_exp_%ld.ini", (long)getpid());
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
  return path;
}

static void assert_points(tabrl_experiment *e, const long *expected, size_t n)
{
  size_t got;
  long *points = tabrl_experiment_checkpoints(e, &got);
  ck_assert_uint_eq(got, n);
  for (size_t i = 0; i < n; i++) ck_assert_int_eq(points[i], expected[i]);
  free(points);
}

START_TEST(test_small_file)
{
  tabrl_experiment *e = load(DATA "small.ini", NULL, 0);
  ck_assert_str_eq(e->name, "small");
  ck_assert_str_eq(e->env, "riverswim");
  ck_assert_int_eq(e->episodes, 300);
  ck_assert_uint_eq(e->nalgos, 4);
  ck_assert_str_eq(e->algos[1].label, "q");
  ck_assert_str_eq(e->algos[1].type->name, "greedy-q");
  ck_assert_uint_eq(e->nseeds, 3);
  ck_assert_uint_eq(e->seeds[2], 2);
  ck_assert_uint_eq(e->nconfigs, 1);
  ck_assert_uint_eq(tabrl_experiment_runs(e), 12);
  char label[32];
  tabrl_experiment_config_label(e, 0, label, sizeof label);
  ck_assert_str_eq(label, "default");
  static const long every50[] = {50, 100, 150, 200, 250, 300};
  assert_points(e, every50, 6);
  /* run r = (config * algos + algo) * seeds + seed */
  size_t c, a, s;
  tabrl_experiment_run_indices(e, 7, &c, &a, &s);
  ck_assert_uint_eq(c, 0);
  ck_assert_uint_eq(a, 2);
  ck_assert_uint_eq(s, 1);
  tabrl_experiment_free(e);
}
END_TEST

START_TEST(test_checkpoint_schedules)
{
  /* geometric:5 of K = 200: round(200^(i/4)) = 1, 3.76, 14.1, 53.2, 200. */
  const char *o1[] = {"experiment.log=geometric:5", "experiment.episodes=200"};
  tabrl_experiment *e = load(DATA "small.ini", o1, 2);
  static const long geo[] = {1, 4, 14, 53, 200};
  assert_points(e, geo, 5);
  tabrl_experiment_free(e);
  /* geometric:10 of K = 3: 3^(i/9) rounds to 1,1,1,1,2,2,2,2,3,3: repeats go. */
  const char *o2[] = {"experiment.log=geometric:10", "experiment.episodes=3"};
  e = load(DATA "small.ini", o2, 2);
  static const long small[] = {1, 2, 3};
  assert_points(e, small, 3);
  tabrl_experiment_free(e);
  /* every:7 of K = 20 ends with K itself. */
  const char *o3[] = {"experiment.log=every:7", "experiment.episodes=20"};
  e = load(DATA "small.ini", o3, 2);
  static const long every7[] = {7, 14, 20};
  assert_points(e, every7, 3);
  tabrl_experiment_free(e);
}
END_TEST

static const char *setting(const tabrl_setting *s, size_t n, const char *key)
{
  const char *value = NULL;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s[i].key, key)) value = s[i].value;
  return value;
}

START_TEST(test_sweep_grid)
{
  /* q.epsilon = 0.05, 0.2, 0.5 (slowest) x env.states = 3, 5 */
  tabrl_experiment *e = load(DATA "sweep.ini", NULL, 0);
  tabrl_setting *s;
  size_t n;
  char label[32];
  ck_assert_uint_eq(e->nconfigs, 6);
  ck_assert_uint_eq(tabrl_experiment_runs(e), 12);
  tabrl_experiment_config_label(e, 2, label, sizeof label);
  ck_assert_str_eq(label, "c3");
  ck_assert_int_eq(tabrl_experiment_settings(e, 2, 0, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "epsilon"), "0.2");
  free(s);
  ck_assert_int_eq(tabrl_experiment_settings(e, 2, -1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "states"), "3");
  ck_assert_str_eq(setting(s, n, "horizon"), "10");
  free(s);
  ck_assert_int_eq(tabrl_experiment_settings(e, 5, -1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "states"), "5");
  free(s);
  tabrl_experiment_free(e);
}
END_TEST

START_TEST(test_env_seed_follows_run)
{
  char *path = temp_ini("[experiment]\nenv = garnet\nepisodes = 5\n[env]\nhorizon = 5\n"
                        "[algo r]\ntype = random\n");
  tabrl_experiment *e = load(path, NULL, 0);
  tabrl_setting *s;
  size_t n;
  ck_assert_int_eq(tabrl_experiment_settings(e, 0, -1, 42, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "seed"), "42");
  free(s);
  tabrl_experiment_free(e);
  /* A seed set in [env] fixes one instance for every run. */
  const char *o[] = {"env.seed=7"};
  e = load(path, o, 1);
  ck_assert_int_eq(tabrl_experiment_settings(e, 0, -1, 42, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "seed"), "7");
  free(s);
  tabrl_experiment_free(e);
  unlink(path);
  free(path);
}
END_TEST

START_TEST(test_overrides_and_hash)
{
  tabrl_experiment *a = load(DATA "small.ini", NULL, 0), *b = load(DATA "small.ini", NULL, 0);
  const char *o[] = {"q.epsilon=0.5", "env.states=5"};
  tabrl_experiment *c = load(DATA "small.ini", o, 2);
  tabrl_setting *s;
  size_t n;
  ck_assert_uint_eq(tabrl_experiment_hash(a), tabrl_experiment_hash(b));
  ck_assert_uint_ne(tabrl_experiment_hash(a), tabrl_experiment_hash(c));
  ck_assert_int_eq(tabrl_experiment_settings(c, 0, 1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "epsilon"), "0.5");
  free(s);
  tabrl_experiment_free(a);
  tabrl_experiment_free(b);
  tabrl_experiment_free(c);
}
END_TEST

/* Run identities: equal exactly for runs whose rows are equal, whatever
 * their index; input files enter by content. */
START_TEST(test_run_identity)
{
  const char *eps[] = {"q.epsilon=0.5"}, *seeds[] = {"experiment.seeds=4"};
  tabrl_experiment *a = load(DATA "small.ini", NULL, 0), *q = load(DATA "small.ini", eps, 1),
                   *s4 = load(DATA "small.ini", seeds, 1);
  uint64_t id[12];
  for (size_t r = 0; r < 12; r++) {
    id[r] = tabrl_run_identity(a, r, NULL, 0);
    for (size_t k = 0; k < r; k++) ck_assert_uint_ne(id[r], id[k]);
  }
  /* algo random (0) is untouched by q.epsilon; q (1) is not. */
  for (size_t r = 0; r < 3; r++) ck_assert_uint_eq(tabrl_run_identity(q, r, NULL, 0), id[r]);
  for (size_t r = 3; r < 6; r++) ck_assert_uint_ne(tabrl_run_identity(q, r, NULL, 0), id[r]);
  /* With 4 seeds, (algo q, seed 1) is run 5, not 4; seed 3 is new. */
  ck_assert_uint_eq(tabrl_run_identity(s4, 5, NULL, 0), id[4]);
  for (size_t r = 0; r < 12; r++) ck_assert_uint_ne(tabrl_run_identity(s4, 7, NULL, 0), id[r]);

  /* A model file: its hash is FNV-1a 64 of its bytes, and a changed byte
   * changes the hash and every identity. */
  char model[64], text[512];
  const char *csv[2] = {"h,s,a,s_next,p,r\n0,0,0,0,1,0.1\n0,0,1,1,1,0\n0,1,0,1,1,1\n",
                        "h,s,a,s_next,p,r\n0,0,0,0,1,0.1\n0,0,1,1,1,0\n0,1,0,1,1,2\n"};
  uint64_t hash[2], first = 0;
  snprintf(model, sizeof model, "/tmp/tabrl_model_%ld.csv", (long)getpid());
  snprintf(text, sizeof text,
           "[experiment]\nenv = file:%s\nepisodes = 5\n[env]\nhorizon = 3\n[algo v]\ntype = "
           "value-iteration\n",
           model);
  for (int v = 0; v < 2; v++) {
    FILE *f = fopen(model, "w");
    ck_assert_ptr_nonnull(f);
    fputs(csv[v], f);
    fclose(f);
    char *path = temp_ini(text);
    tabrl_experiment *e = load(path, NULL, 0);
    tabrl_exp_input *in;
    size_t n;
    ck_assert_int_eq(tabrl_experiment_inputs(e, &in, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(in[0].path, model);
    ck_assert_str_eq(in[0].key, "path");
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *c = csv[v]; *c; c++) h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    hash[v] = in[0].hash;
    ck_assert_uint_eq(hash[v], h);
    uint64_t id0 = tabrl_run_identity(e, 0, in, n);
    if (v == 0)
      first = id0;
    else
      ck_assert_uint_ne(id0, first);
    tabrl_exp_inputs_free(in, n);
    tabrl_experiment_free(e);
    unlink(path);
    free(path);
  }
  ck_assert_uint_ne(hash[0], hash[1]);
  unlink(model);
  tabrl_experiment_free(a);
  tabrl_experiment_free(q);
  tabrl_experiment_free(s4);
}
END_TEST

static void expect_error(const char *file, const char *const *o, size_t n, int code,
                         const char *fragment)
{
  tabrl_experiment *e = NULL;
  int status = tabrl_experiment_load(file, o, n, &e);
  ck_assert_int_eq(status, code);
  ck_assert_ptr_null(e);
  ck_assert_msg(strstr(tabrl_error_message(), fragment), "message '%s' lacks '%s'",
                tabrl_error_message(), fragment);
}

START_TEST(test_bad_inputs)
{
  expect_error(
      DATA "bad_key.ini", NULL, 0, TABRL_ENOTFOUND,
      "bad_key.ini:7: unknown key 'epsilonn' in [algo q] (greedy-q); did you mean 'epsilon'?");
  expect_error(DATA "bad_type.ini", NULL, 0, TABRL_ENOTFOUND, "did you mean 'greedy-q'?");
  expect_error(DATA "bad_value.ini", NULL, 0, TABRL_EINVAL, "bad_value.ini:3:");
  expect_error(DATA "bad_range.ini", NULL, 0, TABRL_EINVAL, "out of range");
  expect_error(DATA "bad_section.ini", NULL, 0, TABRL_ENOTFOUND, "did you mean [experiment]?");
  expect_error(DATA "bad_duplicate.ini", NULL, 0, TABRL_EINVAL, "appears twice (first at line 5)");
  expect_error(DATA "bad_sweep.ini", NULL, 0, TABRL_EINVAL, "has no values");
  expect_error(DATA "bad_missing.ini", NULL, 0, TABRL_EINVAL, "needs episodes");
  expect_error(DATA "nothing.ini", NULL, 0, TABRL_EIO, "No such file");
  const char *o1[] = {"q.epsilon=abc"};
  expect_error(DATA "small.ini", o1, 1, TABRL_EINVAL, "'abc' is not a number");
  const char *o2[] = {"qq.epsilon=0.1"};
  expect_error(DATA "small.ini", o2, 1, TABRL_ENOTFOUND, "did you mean 'q'?");
  const char *o3[] = {"experiment.objective=quantile:0.1"};
  expect_error(DATA "small.ini", o3, 1, TABRL_EINVAL,
               "--set objective=quantile:0.1: unknown objective 'quantile'; the objectives are: "
               "coverage, cvar, ecrm, entropic, entropy, homeostatic, kl-robust, mean, "
               "mean-variance, "
               "penalty, threshold");
  const char *o3a[] = {"experiment.objective=cvar:0.1"};
  expect_error(DATA "small.ini", o3a, 1, TABRL_EINVAL,
               "[algo q] (greedy-q): greedy-q cannot optimise the objective cvar:0.1");
  const char *o3b[] = {"experiment.objective=meen"};
  expect_error(DATA "small.ini", o3b, 1, TABRL_EINVAL, "did you mean 'mean'?");
  const char *o3c[] = {"experiment.objective=mean:2"};
  expect_error(DATA "small.ini", o3c, 1, TABRL_EINVAL, "mean takes no parameter");
  const char *o3d[] = {"experiment.link=logistc"};
  expect_error(DATA "small.ini", o3d, 1, TABRL_EINVAL,
               "--set link=logistc: unknown link 'logistc'; did you mean 'logistic'?");
  const char *o4[] = {"experiment.log=every:0"};
  expect_error(DATA "small.ini", o4, 1, TABRL_EINVAL,
               "log 'every:0': the number must be a whole number >= 1");
  const char *o5[] = {"experiment.seed_list=1, 2, 1"};
  expect_error(DATA "small.ini", o5, 1, TABRL_EINVAL, "seed 1 is listed twice");
  const char *o7[] = {"experiment.seed_list=3, -1"};
  expect_error(DATA "small.ini", o7, 1, TABRL_EINVAL, "seed_list: '-1' is not a seed");
  char *long_line = malloc(600);
  memset(long_line, 'a', 599);
  long_line[599] = '\0';
  char text[800];
  snprintf(text, sizeof text, "[experiment]\nenv = riverswim\nepisodes = 10\nname = %s\n",
           long_line);
  char *path = temp_ini(text);
  expect_error(path, NULL, 0, TABRL_EINVAL, ":4: line longer than");
  unlink(path);
  free(path);
  free(long_line);
  const char *o6[] = {"experiment.behavior=greedy"};
  expect_error(DATA "small.ini", o6, 1, TABRL_EINVAL, "expected uniform, optimal or mixed:EPS");
}
END_TEST

/* expect_error on a temporary file with text. */
static void expect_text_error(const char *text, const char *const *o, size_t n, int code,
                              const char *fragment)
{
  char *path = temp_ini(text);
  expect_error(path, o, n, code, fragment);
  unlink(path);
  free(path);
}

#define HEAD "[experiment]\nenv = riverswim\nepisodes = 5\n[env]\nhorizon = 5\n"

START_TEST(test_every_section_is_checked)
{
  /* An [algo LABEL] without keys is an error at its header (line 8), not a
   * dropped algorithm, also when it is the only one. */
  expect_error(DATA "bad_empty_algo.ini", NULL, 0, TABRL_EINVAL,
               "bad_empty_algo.ini:9: [algo forgotten] needs type = ALGORITHM (tabrl list algos); "
               "the section is empty");
  expect_text_error(HEAD "[algo x]\n", NULL, 0, TABRL_EINVAL,
                    ".ini:6: [algo x] needs type = ALGORITHM");
  expect_text_error(HEAD "[algo x]\nepsilon = 0.1\n", NULL, 0, TABRL_EINVAL,
                    ".ini:6: [algo x] needs type = ALGORITHM (tabrl list algos)");
  /* Sections inih never reports: unknown, without a label, reserved. */
  expect_text_error(HEAD "[algo r]\ntype = random\n[experimnt]\n", NULL, 0, TABRL_ENOTFOUND,
                    ".ini:8: unknown section [experimnt]; did you mean [experiment]?");
  expect_text_error(HEAD "[algo]\ntype = random\n", NULL, 0, TABRL_EINVAL,
                    ".ini:6: [algo] needs a label: [algo LABEL]");
  expect_text_error(HEAD "[algo sweep]\ntype = random\n", NULL, 0, TABRL_EINVAL,
                    ".ini:6: 'sweep' cannot be an algorithm label");
  /* inih would cut a section name at 49 characters: a 45-character label
   * is refused, a 44-character one kept whole. */
  char text[512], label[46];
  memset(label, 'a', 45);
  label[45] = '\0';
  snprintf(text, sizeof text, HEAD "[algo %s]\ntype = random\n", label);
  expect_text_error(text, NULL, 0, TABRL_EINVAL, "is longer than 44 characters");
  label[44] = '\0';
  snprintf(text, sizeof text, HEAD "[algo %s]\ntype = random\n", label);
  char *path = temp_ini(text);
  tabrl_experiment *e = load(path, NULL, 0);
  ck_assert_str_eq(e->algos[0].label, label);
  tabrl_experiment_free(e);
  unlink(path);
  free(path);
  /* Lines inih would read differently from what they look like. */
  expect_text_error("[experiment]\nenv = riverswim\nepisodes = 5\n[env] horizon = 5\n", NULL, 0,
                    TABRL_EINVAL, ".ini:4: text after the section header");
  expect_text_error(HEAD "[algo r]\n  type = random\n  seed = 3\n", NULL, 0, TABRL_EINVAL,
                    ".ini:8: indented line: inih reads it as more of 'type' above");
  expect_text_error("episodes = 5\n" HEAD, NULL, 0, TABRL_EINVAL,
                    ".ini:1: key 'episodes' comes before any section");
  /* The model file comes from env = file:PATH only. */
  expect_text_error("[experiment]\nenv = file:/nonexistent.csv\nepisodes = 5\n[env]\npath = x.csv\n"
                    "[algo r]\ntype = random\n",
                    NULL, 0, TABRL_EINVAL, ".ini:5: the model file is given by env = file:PATH");
  /* A swept key set in its section too: one of the two would be dropped. */
  expect_text_error(HEAD
                    "[algo q]\ntype = greedy-q\nepsilon = 0.1\n[sweep]\nq.epsilon = 0.2, 0.3\n",
                    NULL, 0, TABRL_EINVAL,
                    ".ini:8: epsilon in [algo q] is also swept at line 10: the sweep would replace "
                    "it; remove one");
  const char *set_swept[] = {"q.epsilon=0.4"};
  expect_text_error(HEAD "[algo q]\ntype = greedy-q\n[sweep]\nq.epsilon = 0.2, 0.3\n", set_swept, 1,
                    TABRL_EINVAL,
                    "--set q.epsilon=0.4: q.epsilon is swept in [sweep]; set the sweep instead");
  /* ... but a sweep from the command line overrides the file's value. */
  const char *set_sweep[] = {"sweep.q.epsilon=0.4, 0.6"};
  path = temp_ini(HEAD "[algo q]\ntype = greedy-q\nepsilon = 0.1\n");
  e = load(path, set_sweep, 1);
  tabrl_setting *s;
  size_t n;
  ck_assert_uint_eq(e->nconfigs, 2);
  ck_assert_int_eq(tabrl_experiment_settings(e, 1, 0, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "epsilon"), "0.6");
  free(s);
  tabrl_experiment_free(e);
  unlink(path);
  free(path);
  /* Empty [env], [sweep] and [slurm] are documented no-ops: defaults, the
   * one config "default". */
  path = temp_ini("[experiment]\nenv = riverswim\nepisodes = 5\n[env]\n[algo r]\ntype = random\n"
                  "[sweep]\n[slurm]\n");
  e = load(path, NULL, 0);
  char config[32];
  ck_assert_uint_eq(e->nconfigs, 1);
  ck_assert_uint_eq(e->nsweeps, 0);
  tabrl_experiment_config_label(e, 0, config, sizeof config);
  ck_assert_str_eq(config, "default");
  ck_assert_uint_eq(e->nalgos, 1);
  tabrl_experiment_free(e);
  unlink(path);
  free(path);
}
END_TEST

static char *join(const char *a, const char *b)
{
  char *out = malloc(strlen(a) + strlen(b) + 2);
  sprintf(out, "%s/%s", a, b);
  return out;
}

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(test_relative_paths)
{
  /* D/exp/e.ini names file:m.csv = D/exp/m.csv (2 states), whatever the
   * current directory; --set names D/m.csv (3 states), from the current
   * directory D. */
  char dir[4096], cwd[4096];
  snprintf(dir, sizeof dir, "/tmp/tabrl_paths_%ld", (long)getpid());
  char *exp_dir = join(dir, "exp"), *model = join(exp_dir, "m.csv"), *other = join(dir, "m.csv");
  char *ini = join(exp_dir, "e.ini"), *map = join(exp_dir, "a.map");
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  ck_assert_int_eq(mkdir(exp_dir, 0700), 0);
  write_file(model, "h,s,a,s_next,p,r\n0,0,0,1,1,0\n0,1,0,1,1,1\n");
  write_file(other, "h,s,a,s_next,p,r\n0,0,0,1,1,0\n0,1,0,2,1,0\n0,2,0,2,1,1\n");
  write_file(map, "#####\n#S.G#\n#####\n");
  write_file(ini, "[experiment]\nenv = file:m.csv\nepisodes = 5\n[env]\nhorizon = 3\n"
                  "[algo r]\ntype = random\n");
  ck_assert_int_eq(chdir(dir), 0);
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  char expected[8192];
  tabrl_experiment *e = load("exp/e.ini", NULL, 0);
  snprintf(expected, sizeof expected, "file:%s/exp/m.csv", cwd);
  ck_assert_str_eq(e->env, expected);
  /* the manifest records it */
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  ck_assert_int_eq(tabrl_experiment_write_manifest(e, f, "test", "test", NULL), 0);
  fclose(f);
  snprintf(expected, sizeof expected, "\nenv = file:%s/exp/m.csv\n", cwd);
  ck_assert_msg(strstr(text, expected), "manifest lacks '%s':\n%s", expected, text);
  free(text);
  tabrl_experiment_free(e);
  /* "./exp/e.ini" and the absolute path name the same file */
  e = load("./exp/e.ini", NULL, 0);
  snprintf(expected, sizeof expected, "file:%s/exp/m.csv", cwd);
  ck_assert_str_eq(e->env, expected);
  tabrl_experiment_free(e);
  e = load(ini, NULL, 0);
  ck_assert_str_eq(e->env, expected);
  tabrl_experiment_free(e);
  /* --set: the current directory */
  const char *o[] = {"experiment.env=file:m.csv"};
  e = load("exp/e.ini", o, 1);
  snprintf(expected, sizeof expected, "file:%s/m.csv", cwd);
  ck_assert_str_eq(e->env, expected);
  tabrl_experiment_free(e);
  /* map_file in [env] and in [sweep], relative and absolute */
  char body[8192];
  snprintf(body, sizeof body,
           "[experiment]\nenv = gridworld\nepisodes = 5\n[env]\nhorizon = 3\n[algo r]\n"
           "type = random\n[sweep]\nenv.map_file = a.map, %s\n",
           map);
  write_file(ini, body);
  e = load("exp/e.ini", NULL, 0);
  ck_assert_uint_eq(e->nconfigs, 2);
  snprintf(expected, sizeof expected, "%s/exp/a.map", cwd);
  ck_assert_str_eq(e->sweeps[0].values[0], expected);
  ck_assert_str_eq(e->sweeps[0].values[1], map);
  tabrl_experiment_free(e);
  write_file(ini, "[experiment]\nenv = gridworld\nepisodes = 5\n[env]\nhorizon = 3\n"
                  "map_file = a.map\n[algo r]\ntype = random\n");
  e = load("exp/e.ini", NULL, 0);
  tabrl_setting *s;
  size_t n;
  ck_assert_int_eq(tabrl_experiment_settings(e, 0, -1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "map_file"), expected);
  free(s);
  tabrl_experiment_free(e);
  unlink(ini);
  unlink(map);
  unlink(model);
  unlink(other);
  rmdir(exp_dir);
  rmdir(dir);
  free(ini);
  free(map);
  free(model);
  free(other);
  free(exp_dir);
}
END_TEST

START_TEST(test_set_longest_label)
{
  /* dotted.ini has [algo q-eps0] and [algo q-eps0.1]: q-eps0.1.epsilon is
   * the second's epsilon, not a key "1.epsilon" of the first. */
  const char *o[] = {"q-eps0.1.epsilon=0.3", "q-eps0.epsilon=0.05", "env.states=5",
                     "experiment.episodes=30", "slurm.tasks=4"};
  tabrl_experiment *e = load(DATA "dotted.ini", o, 5);
  tabrl_setting *s;
  size_t n;
  ck_assert_int_eq(tabrl_experiment_settings(e, 0, 1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "epsilon"), "0.3");
  free(s);
  ck_assert_int_eq(tabrl_experiment_settings(e, 0, 0, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "epsilon"), "0.05");
  free(s);
  ck_assert_int_eq(tabrl_experiment_settings(e, 0, -1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "states"), "5");
  free(s);
  ck_assert_int_eq(e->episodes, 30);
  int tasks = 0;
  for (size_t i = 0; i < e->nentries; i++)
    if (!strcmp(e->entries[i].section, "slurm") && !strcmp(e->entries[i].key, "tasks"))
      tasks = atoi(e->entries[i].value);
  ck_assert_int_eq(tasks, 4);
  tabrl_experiment_free(e);
  /* sweep.LABEL.key with a dotted label */
  const char *sw[] = {"sweep.q-eps0.1.epsilon=0.2, 0.4"};
  e = load(DATA "dotted.ini", sw, 1);
  ck_assert_uint_eq(e->nsweeps, 1);
  ck_assert_str_eq(e->sweeps[0].target, "q-eps0.1");
  ck_assert_str_eq(e->sweeps[0].key, "epsilon");
  ck_assert_int_eq(tabrl_experiment_settings(e, 1, 1, 0, &s, &n), 0);
  ck_assert_str_eq(setting(s, n, "epsilon"), "0.4");
  free(s);
  tabrl_experiment_free(e);
  /* An unknown label: the value once, the closest label */
  const char *bad[] = {"q-eps0.2.epsilon=0.3"};
  expect_error(DATA "dotted.ini", bad, 1, TABRL_ENOTFOUND,
               "--set q-eps0.2.epsilon=0.3: no section or algorithm label 'q-eps0.2'; did you "
               "mean 'q-eps0.1'?");
  const char *bad_key[] = {"q-eps0.1.epsilonn=0.3"};
  expect_error(DATA "dotted.ini", bad_key, 1, TABRL_ENOTFOUND, "did you mean 'epsilon'?");
}
END_TEST

START_TEST(test_compatibility_when_read)
{
  /* lsvi-ucb on riverswim (no features): the type line, before any run. */
  expect_error(DATA "bad_features.ini", NULL, 0, TABRL_EINVAL,
               "bad_features.ini:14: [algo l] (lsvi-ucb): lsvi-ucb needs an env with features, "
               "e.g. env = linear");
  expect_error(DATA "bad_discounted.ini", NULL, 0, TABRL_EINVAL,
               "bad_discounted.ini:6: [algo r] (random): random is an online algorithm: the env "
               "must be episodic (set horizon), not discounted");
  expect_text_error("[experiment]\nenv = linear\nepisodes = 5\n[algo v]\ntype = ucrl-vtr\n", NULL,
                    0, TABRL_EINVAL,
                    ".ini:5: [algo v] (ucrl-vtr): ucrl-vtr needs an env with a linear mixture "
                    "basis, e.g. env = linear-mixture");
  expect_text_error("[experiment]\nenv = riverswim\nepisodes = 5\n[env]\ngamma = 0.9\n"
                    "[algo p]\ntype = pevi\n",
                    NULL, 0, TABRL_EINVAL,
                    ".ini:7: [algo p] (pevi): pevi needs an episodic env (set horizon), not a "
                    "discounted one (gamma = 0.9)");
  /* pevi's check hook: form = linear needs features; the config is named. */
  expect_text_error("[experiment]\nenv = garnet\nepisodes = 5\n[env]\nhorizon = 5\n"
                    "[algo p]\ntype = pevi\n[sweep]\np.form = tabular, linear\n",
                    NULL, 0, TABRL_EINVAL,
                    ".ini:7: [algo p] (pevi), config c2: pevi: form = linear needs an env with "
                    "features");
  /* ... and loads where every pair fits: plug-in on a discounted env, pevi
   * linear on linear. */
  char *path = temp_ini("[experiment]\nenv = linear\nepisodes = 5\n[algo p]\ntype = pevi\n"
                        "form = linear\n[algo l]\ntype = lsvi-ucb\n");
  tabrl_experiment_free(load(path, NULL, 0));
  unlink(path);
  free(path);
  path = temp_ini("[experiment]\nenv = forest\nepisodes = 5\n[algo p]\ntype = plug-in\n");
  tabrl_experiment_free(load(path, NULL, 0));
  unlink(path);
  free(path);
}
END_TEST

/* A stand-in for a risk objective (never evaluated here), and an algorithm
 * that optimises it only. */
static const tabrl_param no_params[] = {{0}};
static const tabrl_objective_type entropic = {
    .name = "entropic", .doc = "", .source = "", .params = no_params};
static const tabrl_objective_type *const entropic_only[] = {&entropic, NULL};

START_TEST(test_objective_declared)
{
  tabrl_setting set[] = {{"states", "4", "test", 0}, {"horizon", "5", "test", 0}};
  tabrl_mdp *m = NULL;
  ck_assert_int_eq(tabrl_env_build("riverswim", set, 2, &m), 0);
  tabrl_problem p;
  unsigned char *valid = NULL;
  ck_assert_int_eq(tabrl_problem_init(&p, m, 10, NULL, 0, &valid), 0);
  tabrl_objective risk = {&entropic, 0.5, "entropic:0.5"};
  tabrl_algo_type risky = *tabrl_algo_find("ucbvi");
  risky.name = "risky";
  risky.objectives = entropic_only;
  /* The mean (the default): every registered algorithm declares it. */
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("ucbvi"), &p, NULL), 0);
  ck_assert_int_eq(tabrl_algo_check(&risky, &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_str_eq(
      tabrl_error_message(),
      "risky cannot optimise the objective mean; the algorithms that can: bnpo, bobw-po, cdp, "
      "cmdp-pd, colstim, ctd, dpo, dueling-rl, egpo, entropy-npg, gpo, greedy-q, hypo, ipo, kto, "
      "lsvi-ucb, maxmin-rlhf, maxminlcb, md, mdtd, mvp, nash-md, npg, online-ipo, oppo, optql, "
      "p2r, pbrl-mle, pe-ctd, pevi, pg, plug-in, pmd, pmpo, po-pair, policy-iteration, ppo, psrl, "
      "qdp, qtd, random, random-duel, rebel, reinforce, "
      "rlsvi, robust-td, rpg, rpo, rucb, slic, ucbvi, ucrl-vtr, ucrl2, value-iteration");
  /* entropic: only the type that declares it; random accepts any
   * registered objective, which this stand-in is not. */
  p.objective = &risk;
  ck_assert_int_eq(tabrl_algo_check(&risky, &p, NULL), 0);
  ck_assert_int_eq(tabrl_algo_check(tabrl_algo_find("ucbvi"), &p, NULL), TABRL_EUNSUPPORTED);
  ck_assert_str_eq(tabrl_error_message(), "ucbvi cannot optimise the objective entropic:0.5; no "
                                          "registered algorithm can");
  ck_assert_ptr_null(tabrl_algo_alloc(tabrl_algo_find("ucbvi"), &p, NULL));
  ck_assert_ptr_nonnull(strstr(tabrl_error_message(), "cannot optimise the objective entropic"));
  free(valid);
  tabrl_mdp_free(m);
}
END_TEST

START_TEST(test_directory_refused)
{
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/tabrl_dir_%ld.ini", (long)getpid());
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  char expected[128];
  snprintf(expected, sizeof expected, "%s: is a directory", dir);
  expect_error(dir, NULL, 0, TABRL_EINVAL, expected);
  ck_assert_str_eq(tabrl_error_message(), expected);
  /* and where an experiment names a file: a map file */
  char text[256];
  snprintf(text, sizeof text, HEAD "map_file = %s\n[algo r]\ntype = random\n", dir);
  memcpy(strstr(text, "riverswim"), "gridworld", 9);
  snprintf(expected, sizeof expected, "%s: is a directory, not a map file", dir);
  expect_text_error(text, NULL, 0, TABRL_EINVAL, expected);
  rmdir(dir);
}
END_TEST

int main(void)
{
  tabrl_init();
  Suite *s = suite_create("experiment");
  TCase *tc = tcase_create("files");
  tcase_add_test(tc, test_small_file);
  tcase_add_test(tc, test_checkpoint_schedules);
  tcase_add_test(tc, test_sweep_grid);
  tcase_add_test(tc, test_env_seed_follows_run);
  tcase_add_test(tc, test_overrides_and_hash);
  tcase_add_test(tc, test_run_identity);
  tcase_add_test(tc, test_bad_inputs);
  tcase_add_test(tc, test_every_section_is_checked);
  tcase_add_test(tc, test_relative_paths);
  tcase_add_test(tc, test_set_longest_label);
  tcase_add_test(tc, test_compatibility_when_read);
  tcase_add_test(tc, test_objective_declared);
  tcase_add_test(tc, test_directory_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
