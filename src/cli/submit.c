/* tabrl submit / tabrl status: an experiment as a Slurm job array of
 * shards (tabrl run --shard K/N --resume) plus a merge job that runs after
 * the whole array succeeded (afterok).  Requeue-safe: a requeued task
 * resumes its shard from the runs it had finished.  Paths in the batch
 * scripts are absolute, so the scripts run from any directory of a
 * cluster whose nodes share the file system (the usual setup). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include "cli/cli.h"
#include "model/fileio.h"
#include "tabrl/error.h"
#include "tabrl/experiment.h"
#include "tabrl/runner.h"

enum {
  OPT_TASKS = 300,
  OPT_PARTITION,
  OPT_TIME,
  OPT_ACCOUNT,
  OPT_QOS,
  OPT_MEM,
  OPT_CPUS,
  OPT_SBATCH_ARG,
  OPT_DRY_RUN
};

const cli_option cli_submit_options[] = {
    {"tasks", OPT_TASKS, "N", "array tasks (shards); or tasks = N in [slurm]"},
    {"set", 's', "section.key=value", "override a key of the experiment file; repeatable"},
    {"out", 'o', "DIR", "output directory (default results/NAME)"},
    {"partition", OPT_PARTITION, "P", "Slurm partition"},
    {"time", OPT_TIME, "T", "time limit of each task"},
    {"account", OPT_ACCOUNT, "A", "Slurm account"},
    {"qos", OPT_QOS, "Q", "Slurm quality of service"},
    {"mem", OPT_MEM, "M", "memory per task"},
    {"cpus-per-task", OPT_CPUS, "C", "threads per task (tabrl run -j)"},
    {"sbatch-arg", OPT_SBATCH_ARG, "ARG", "one more sbatch argument; repeatable"},
    {"dry-run", OPT_DRY_RUN, NULL, "print the batch scripts and sbatch commands, submit nothing"},
    {NULL, 0, NULL, NULL},
};

/* A growing text buffer (open_memstream). */
typedef struct {
  char *text;
  size_t size;
  FILE *f;
} text_buffer;

/* Appends s to f in single quotes, safe for /bin/sh whatever it holds. */
static void put_quoted(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++)
    if (*s == '\'')
      fputs("'\\''", f);
    else
      fputc(*s, f);
  fputc('\'', f);
}

static char *absolute_path(const char *path)
{
  char cwd[PATH_MAX];
  if (path[0] == '/') return strdup(path);
  if (!getcwd(cwd, sizeof cwd)) return NULL;
  size_t n = strlen(cwd) + strlen(path) + 2;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%s/%s", cwd, path);
  return out;
}

/* The program itself, so that the batch scripts run this very binary. */
static char *self_path(const char *argv0)
{
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = '\0';
    return strdup(buf);
  }
  return absolute_path(argv0);
}

static int on_path(const char *program)
{
  const char *path = getenv("PATH");
  char buf[PATH_MAX];
  if (!path) return 0;
  for (const char *p = path; *p;) {
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? p : ".", program);
    if (access(buf, X_OK) == 0) return 1;
    if (!colon) break;
    p = colon + 1;
  }
  return 0;
}

typedef struct {
  const char *partition, *time, *account, *qos, *mem, *cpus, *sbatch_args;
  long tasks;
  const char **extra; /* --sbatch-arg values */
  size_t nextra;
} slurm_options;

static void sbatch_header(FILE *f, const slurm_options *o, int array_job)
{
  if (o->partition) fprintf(f, "#SBATCH --partition=%s\n", o->partition);
  if (o->account) fprintf(f, "#SBATCH --account=%s\n", o->account);
  if (o->qos) fprintf(f, "#SBATCH --qos=%s\n", o->qos);
  if (o->time) fprintf(f, "#SBATCH --time=%s\n", o->time);
  if (array_job && o->mem) fprintf(f, "#SBATCH --mem=%s\n", o->mem);
  if (array_job && o->cpus) fprintf(f, "#SBATCH --cpus-per-task=%s\n", o->cpus);
}

/* The sbatch command line (as argv text for display and for popen). */
static void sbatch_command(FILE *f, const slurm_options *o, const char *script, const char *after)
{
  fputs("sbatch --parsable", f);
  if (after) fprintf(f, " --dependency=afterok:%s --export=ALL,TABRL_ARRAY_JOB=%s", after, after);
  if (o->sbatch_args && *o->sbatch_args) fprintf(f, " %s", o->sbatch_args);
  for (size_t i = 0; i < o->nextra; i++) {
    fputc(' ', f);
    put_quoted(f, o->extra[i]);
  }
  fputc(' ', f);
  put_quoted(f, script);
}

/* Runs command with /bin/sh; captures its output (stdout and stderr) in
 * out; returns the exit status (-1 if it could not run). */
static int run_capture(const char *command, char *out, size_t size)
{
  char *full = malloc(strlen(command) + 8);
  if (!full) return -1;
  sprintf(full, "%s 2>&1", command);
  FILE *p = popen(full, "r");
  free(full);
  if (!p) return -1;
  size_t n = fread(out, 1, size - 1, p);
  out[n] = '\0';
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) out[--n] = '\0';
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "1234" or "1234;cluster" -> 1234 as text; 0 if not a job id. */
static int parse_job_id(const char *text, char *id, size_t size)
{
  size_t n = strspn(text, "0123456789");
  if (n == 0 || n >= size || (text[n] && text[n] != ';' && text[n] != '\n')) return 0;
  memcpy(id, text, n);
  id[n] = '\0';
  return 1;
}

int cli_submit(int argc, char **argv)
{
  const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
  const char **extra = calloc((size_t)argc + 1, sizeof *extra);
  size_t noverrides = 0, nextra = 0;
  const char *cli[8] = {NULL}; /* tasks partition time account qos mem cpus */
  const char *out_arg = NULL;
  int dry_run = 0, opt, code = CLI_OK, status;
  tabrl_experiment *e = NULL;
  tabrl_values *file_values = NULL;
  char *self = NULL, *exp_path = NULL, *dir = NULL, *array_script = NULL, *merge_script = NULL;
  text_buffer array = {0}, merge = {0}, cmd = {0};

  if (!overrides || !extra) {
    code = CLI_FAIL;
    goto done;
  }
  optind = 0;
  while ((opt = cli_getopt(argc, argv, cli_submit_options)) != -1) {
    switch (opt) {
    case 's':
      overrides[noverrides++] = optarg;
      break;
    case OPT_TASKS:
      cli[0] = optarg;
      break;
    case OPT_PARTITION:
      cli[1] = optarg;
      break;
    case OPT_TIME:
      cli[2] = optarg;
      break;
    case OPT_ACCOUNT:
      cli[3] = optarg;
      break;
    case OPT_QOS:
      cli[4] = optarg;
      break;
    case OPT_MEM:
      cli[5] = optarg;
      break;
    case OPT_CPUS:
      cli[6] = optarg;
      break;
    case OPT_SBATCH_ARG:
      extra[nextra++] = optarg;
      break;
    case OPT_DRY_RUN:
      dry_run = 1;
      break;
    case 'o':
      out_arg = optarg;
      break;
    default:
      code = cli_usage("submit", CLI_USAGE);
      goto done;
    }
  }
  if (optind != argc - 1) {
    code = cli_usage("submit", CLI_USAGE);
    goto done;
  }
  if ((status = tabrl_experiment_load(argv[optind], overrides, noverrides, &e))) {
    cli_error("%s", tabrl_error_message());
    code = status == TABRL_ENOMEM ? CLI_FAIL : CLI_USAGE;
    goto done;
  }

  /* [slurm] from the file, then the command line on top. */
  static const char *const keys[7] = {"tasks", "partition", "time",         "account",
                                      "qos",   "mem",       "cpus-per-task"};
  tabrl_setting settings[64];
  size_t nset = 0;
  for (size_t i = 0; i < e->nentries && nset < 48; i++)
    if (!strcmp(e->entries[i].section, "slurm"))
      settings[nset++] =
          (tabrl_setting){e->entries[i].key, e->entries[i].value,
                          e->entries[i].line ? e->entries[i].file : "--set", e->entries[i].line};
  for (int k = 0; k < 7; k++)
    if (cli[k]) settings[nset++] = (tabrl_setting){keys[k], cli[k], "--option", 0};
  if ((status =
           tabrl_values_resolve(tabrl_slurm_params, "[slurm]", settings, nset, 1, &file_values))) {
    cli_error("%s", tabrl_error_message());
    code = CLI_USAGE;
    goto done;
  }
  slurm_options so = {0};
  so.partition = tabrl_values_string(file_values, "partition");
  so.time = tabrl_values_string(file_values, "time");
  so.account = tabrl_values_string(file_values, "account");
  so.qos = tabrl_values_string(file_values, "qos");
  so.mem = tabrl_values_string(file_values, "mem");
  so.cpus = tabrl_values_string(file_values, "cpus-per-task");
  so.sbatch_args = tabrl_values_string(file_values, "sbatch-args");
  so.extra = extra;
  so.nextra = nextra;
  if (!tabrl_values_has(file_values, "tasks")) {
    cli_error("submit needs the number of array tasks: --tasks N (or tasks = N in [slurm])");
    code = CLI_USAGE;
    goto done;
  }
  size_t runs = tabrl_experiment_runs(e);
  so.tasks = tabrl_values_int(file_values, "tasks");
  if ((size_t)so.tasks > runs) so.tasks = (long)runs; /* an empty shard would only cost a task */

  char default_out[4096];
  snprintf(default_out, sizeof default_out, "results/%s", e->name);
  if (tabrl_output_path_check("--out", out_arg ? out_arg : default_out, TABRL_OUTPUT_DIR)) {
    cli_error("%s", tabrl_error_message());
    code = CLI_USAGE;
    goto done;
  }
  self = self_path(argv[0] ? argv[0] : "tabrl");
  exp_path = absolute_path(argv[optind]);
  dir = absolute_path(out_arg ? out_arg : default_out);
  if (!self || !exp_path || !dir) {
    code = CLI_FAIL;
    goto done;
  }
  if ((status = tabrl_run_check_out(e, dir))) {
    cli_error("%s", tabrl_error_message());
    code = CLI_USAGE;
    goto done;
  }
  size_t n = strlen(dir) + 32;
  array_script = malloc(n);
  merge_script = malloc(n);
  if (!array_script || !merge_script) {
    code = CLI_FAIL;
    goto done;
  }
  snprintf(array_script, n, "%s/slurm/array.sh", dir);
  snprintf(merge_script, n, "%s/slurm/merge.sh", dir);

  /* The array job: task K runs shard K of N, resuming what it finished. */
  array.f = open_memstream(&array.text, &array.size);
  merge.f = open_memstream(&merge.text, &merge.size);
  if (!array.f || !merge.f) {
    code = CLI_FAIL;
    goto done;
  }
  fprintf(array.f, "#!/bin/sh\n#SBATCH --job-name=tabrl-%s\n#SBATCH --array=1-%ld\n", e->name,
          so.tasks);
  fprintf(array.f,
          "#SBATCH --output=%s/slurm/task-%%a.out\n#SBATCH --open-mode=append\n"
          "#SBATCH --requeue\n",
          dir);
  sbatch_header(array.f, &so, 1);
  fprintf(array.f,
          "# Written by tabrl submit: shard K of %ld of experiment %s.  A requeued\n"
          "# task resumes its shard (--resume skips the runs it finished).\n",
          so.tasks, e->name);
  fprintf(array.f,
          "echo \"tabrl shard $SLURM_ARRAY_TASK_ID/%ld: start on $(hostname) at "
          "$(date)\"\nexec ",
          so.tasks);
  put_quoted(array.f, self);
  fputs(" run ", array.f);
  put_quoted(array.f, exp_path);
  fprintf(array.f, " --shard \"$SLURM_ARRAY_TASK_ID/%ld\" --out ", so.tasks);
  put_quoted(array.f, dir);
  fputs("/shards/\"$SLURM_ARRAY_TASK_ID\" --resume -j \"${SLURM_CPUS_PER_TASK:-1}\" --quiet",
        array.f);
  for (size_t i = 0; i < noverrides; i++) {
    fputs(" --set ", array.f);
    put_quoted(array.f, overrides[i]);
  }
  fputc('\n', array.f);

  /* The merge job: DIR ends up as a local tabrl run leaves it, plus the
   * job ids in the manifest. */
  fprintf(merge.f,
          "#!/bin/sh\n#SBATCH --job-name=tabrl-%s-merge\n#SBATCH --output=%s/slurm/merge.out\n",
          e->name, dir);
  sbatch_header(merge.f, &so, 0);
  fprintf(merge.f, "# Written by tabrl submit: runs after every array task succeeded.\nset -e\n");
  put_quoted(merge.f, self);
  fputs(" merge ", merge.f);
  put_quoted(merge.f, dir);
  fputs("/shards/* --out ", merge.f);
  put_quoted(merge.f, dir);
  fputs("\nmanifest=", merge.f);
  put_quoted(merge.f, dir);
  fprintf(merge.f,
          "/manifest.ini\n{ cat \"$manifest\"; printf '\\n[slurm]\\narray_job = %%s\\n"
          "merge_job = %%s\\ntasks = %ld\\n' \"$TABRL_ARRAY_JOB\" \"$SLURM_JOB_ID\"; } "
          "> \"$manifest.tmp\"\nmv \"$manifest.tmp\" \"$manifest\"\n",
          so.tasks);
  fclose(array.f);
  fclose(merge.f);
  array.f = merge.f = NULL;

  if (dry_run) {
    printf("# %s\n%s\n# %s\n%s\n# submit with:\n", array_script, array.text, merge_script,
           merge.text);
    sbatch_command(stdout, &so, array_script, NULL);
    printf("\n");
    sbatch_command(stdout, &so, merge_script, "<array job id>");
    printf("\n# %ld array tasks for %zu runs; nothing was submitted (--dry-run)\n", so.tasks, runs);
    goto done;
  }
  if (!on_path("sbatch")) {
    cli_error("sbatch not found on PATH: is this a Slurm login node? --dry-run prints the batch "
              "scripts; tabrl run -j N runs here");
    code = CLI_USAGE;
    goto done;
  }
  char slurm_dir[4200];
  snprintf(slurm_dir, sizeof slurm_dir, "%s/slurm", dir);
  if ((status = tabrl_mkdir_p(slurm_dir)) ||
      (status = tabrl_write_atomic_buffer(array_script, array.text, array.size)) ||
      (status = tabrl_write_atomic_buffer(merge_script, merge.text, merge.size))) {
    cli_error("%s", tabrl_error_message());
    code = CLI_FAIL; /* an output that cannot be written */
    goto done;
  }
  char answer[4096], array_id[64], merge_id[64];
  cmd.f = open_memstream(&cmd.text, &cmd.size);
  if (!cmd.f) {
    code = CLI_FAIL;
    goto done;
  }
  sbatch_command(cmd.f, &so, array_script, NULL);
  fclose(cmd.f);
  cmd.f = NULL;
  int rc = run_capture(cmd.text, answer, sizeof answer);
  if (rc != 0 || !parse_job_id(answer, array_id, sizeof array_id)) {
    cli_error("sbatch refused the array job: %s", *answer ? answer : "(no message)");
    code = CLI_FAIL;
    goto done;
  }
  free(cmd.text);
  cmd.text = NULL;
  cmd.f = open_memstream(&cmd.text, &cmd.size);
  if (!cmd.f) {
    code = CLI_FAIL;
    goto done;
  }
  sbatch_command(cmd.f, &so, merge_script, array_id);
  fclose(cmd.f);
  cmd.f = NULL;
  rc = run_capture(cmd.text, answer, sizeof answer);
  if (rc != 0 || !parse_job_id(answer, merge_id, sizeof merge_id)) {
    /* Nothing half-submitted: without its merge job the array is useless. */
    char cancel[128], said[1024];
    snprintf(cancel, sizeof cancel, "scancel %s", array_id);
    int cancelled = run_capture(cancel, said, sizeof said) == 0;
    cli_error("sbatch refused the merge job: %s; %s array job %s",
              *answer ? answer : "(no message)",
              cancelled ? "cancelled" : "could NOT cancel (run scancel yourself)", array_id);
    code = CLI_FAIL;
    goto done;
  }
  /* What tabrl status needs. */
  char info[8192], info_path[4300];
  snprintf(info, sizeof info,
           "# tabrl submit\n[submit]\nexperiment = %s\ntasks = %ld\nruns = %zu\narray_job = %s\n"
           "merge_job = %s\n",
           exp_path, so.tasks, runs, array_id, merge_id);
  snprintf(info_path, sizeof info_path, "%s/slurm/submit.ini", dir);
  if ((status = tabrl_write_atomic_buffer(info_path, info, strlen(info))))
    fprintf(stderr, "tabrl: warning: %s\n", tabrl_error_message());
  printf("submitted array job %s (%ld tasks) and merge job %s (afterok:%s); results in %s/\n",
         array_id, so.tasks, merge_id, array_id, dir);
done:
  if (array.f) fclose(array.f);
  if (merge.f) fclose(merge.f);
  if (cmd.f) fclose(cmd.f);
  free(array.text);
  free(merge.text);
  free(cmd.text);
  free(array_script);
  free(merge_script);
  free(self);
  free(exp_path);
  free(dir);
  tabrl_values_free(file_values);
  tabrl_experiment_free(e);
  free(overrides);
  free(extra);
  return code;
}

/* ---- status ---- */

static long count_runs(const char *shard_dir)
{
  char path[4400];
  long n = 0;
  snprintf(path, sizeof path, "%.4300s/.runs", shard_dir);
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *x;
  while ((x = readdir(d)))
    if (!strncmp(x->d_name, "run-", 4) && !strstr(x->d_name, ".tmp.")) n++;
  closedir(d);
  return n;
}

int cli_slurm_status(int argc, char **argv)
{
  char path[4400], line[4300], array_job[64] = "", merge_job[64] = "";
  long tasks = 0, runs = 0;
  if (argc != 2) return cli_usage("status", CLI_USAGE);
  snprintf(path, sizeof path, "%.4000s/slurm/submit.ini", argv[1]);
  FILE *f = fopen(path, "r");
  if (!f) {
    cli_error("%s: %s (status reads what tabrl submit wrote there)", path, strerror(errno));
    return CLI_USAGE;
  }
  while (fgets(line, sizeof line, f)) {
    sscanf(line, "tasks = %ld", &tasks);
    sscanf(line, "runs = %ld", &runs);
    sscanf(line, "array_job = %63s", array_job);
    sscanf(line, "merge_job = %63s", merge_job);
  }
  fclose(f);
  if (tasks < 1 || runs < 1) {
    cli_error("%s: no tasks or runs recorded", path);
    return CLI_USAGE;
  }
  long finished_total = 0, done_shards = 0;
  char missing[4096] = "";
  for (long k = 1; k <= tasks; k++) {
    char shard[4200];
    struct stat st;
    snprintf(shard, sizeof shard, "%.4000s/shards/%ld", argv[1], k);
    long expected = k - 1 < runs ? (runs - (k - 1) + tasks - 1) / tasks : 0;
    long finished = count_runs(shard);
    snprintf(path, sizeof path, "%s/runs.csv", shard);
    const char *state;
    if (stat(path, &st) == 0 && finished >= expected) {
      state = "done";
      done_shards++;
    } else {
      snprintf(path, sizeof path, "%s/manifest.ini", shard);
      state = stat(path, &st) == 0 ? "running" : "not started";
      size_t len = strlen(missing);
      if (len < sizeof missing - 16)
        snprintf(missing + len, sizeof missing - len, "%s%ld", len ? " " : "", k);
    }
    finished_total += finished;
    printf("shard %ld/%ld: %s (%ld of %ld runs)\n", k, tasks, state, finished, expected);
  }
  snprintf(path, sizeof path, "%.4000s/runs.csv", argv[1]);
  struct stat st;
  int merged = stat(path, &st) == 0;
  printf("%ld of %ld shards done, %ld of %ld runs finished; array job %s, merge job %s: %s\n",
         done_shards, tasks, finished_total, runs, array_job, merge_job,
         merged ? "merged" : "not merged yet");
  if (*missing) printf("shards not done: %s\n", missing);
  return CLI_OK;
}
