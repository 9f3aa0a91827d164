/* Experiment files: reading, validation, configs, manifest.  See
 * tabrl/experiment.h. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run/pref_data.h"
#include "tabrl/error.h"
#include "tabrl/experiment.h"
#include "tabrl/oracle.h"

static const tabrl_param experiment_params[] = {
    {"name", TABRL_STRING, "", NULL, "results go to results/NAME (default: the file's base name)"},
    {"env", TABRL_STRING, NULL, NULL, "environment type, or file:PATH.csv"},
    {"episodes", TABRL_INT, NULL, "[1,1000000000]",
     "episodes K (online), iterations (planning), trajectories (offline)"},
    {"seeds", TABRL_INT, "1", "[1,1000000]", "runs use seeds 0..seeds-1 unless seed_list is given"},
    {"seed_list", TABRL_STRING, "", NULL, "explicit comma-separated seeds"},
    {"log", TABRL_STRING, "geometric:100", NULL,
     "checkpoints: every:N (every N-th episode) or geometric:K (K log-spaced points)"},
    {"objective", TABRL_STRING, "mean", NULL,
     "what regret is measured in: NAME or NAME:PARAM (tabrl list objectives)"},
    {"behavior", TABRL_STRING, "uniform", NULL,
     "offline data policy: uniform, optimal, or mixed:EPS (optimal w.p. 1-EPS, else uniform)"},
    {"link", TABRL_STRING, "logistic", NULL,
     "preference feedback: P(first preferred) as a function of the return difference "
     "(logistic, probit, linear, deterministic)"},
    {"temperature", TABRL_DOUBLE, "1", "(0,inf)", "scale of the return difference in the link"},
    {"score", TABRL_CHOICE, "return", "return|regret|features",
     "what preference feedback compares: the partial return, the sum of optimal advantages "
     "(Knox et al.'s regret model) or theta^T phi summed (the model's features, else its mean "
     "rewards)"},
    {"segment", TABRL_INT, "0", "[0,inf)",
     "preference feedback compares segments of this many steps (0: whole trajectories)"},
    {"pairs", TABRL_INT, "0", "[0,100000000]",
     "offline-preference data: this many comparisons, a context from mu0 and two responses from "
     "the reference, labelled by the feedback link (or the env's preference matrix)"},
    {"dataset", TABRL_STRING, "", NULL,
     "offline-preference data: file:D.csv, header context,chosen,rejected (instead of pairs)"},
    {"budget", TABRL_DOUBLE, "", NULL,
     "constrained MDPs: the cost budget B, C(pi) <= B (needs a model with costs): regret against "
     "the LP optimum, runs.csv cost and violation"},
    {"schedule", TABRL_CHOICE, "none", "none|stochastic|adversarial|corrupted",
     "online runs: per-episode reward functions (README, Schedules); regret is then against the "
     "best fixed policy in hindsight"},
    {"block", TABRL_INT, "", "[1,1000000000]",
     "schedule = adversarial: episodes in the first block; block j has block * 2^j"},
    {"corruptions", TABRL_INT, "", "[0,1000000000]",
     "schedule = corrupted: the first C episodes get the reward 1 - r"},
    {0},
};

const tabrl_param tabrl_slurm_params[] = {
    {"tasks", TABRL_INT, "", "[1,100000]", "array tasks (shards); at most the number of runs"},
    {"partition", TABRL_STRING, "", NULL, "sbatch --partition"},
    {"time", TABRL_STRING, "", NULL, "sbatch --time, per array task (e.g. 02:00:00)"},
    {"account", TABRL_STRING, "", NULL, "sbatch --account"},
    {"qos", TABRL_STRING, "", NULL, "sbatch --qos"},
    {"mem", TABRL_STRING, "", NULL, "sbatch --mem, per array task (e.g. 4G)"},
    {"cpus-per-task", TABRL_INT, "", "[1,1024]",
     "sbatch --cpus-per-task; each task runs -j this many"},
    {"sbatch-args", TABRL_STRING, "", NULL, "further sbatch options, separated by spaces"},
    {0},
};

/* ---- small helpers ---- */

static char *dup_str(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static char *trim(char *s)
{
  char *end;
  while (isspace((unsigned char)*s)) s++;
  end = s + strlen(s);
  while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
  return s;
}

static int valid_label(const char *s)
{
  if (!*s) return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr("._+-", *s)) return 0;
  return 1;
}

void tabrl_experiment_free(tabrl_experiment *e)
{
  if (!e) return;
  for (size_t i = 0; i < e->nentries; i++) {
    free(e->entries[i].section);
    free(e->entries[i].key);
    free(e->entries[i].value);
    free(e->entries[i].file);
  }
  free(e->entries);
  for (size_t i = 0; i < e->nalgos; i++) free(e->algos[i].label);
  free(e->algos);
  for (size_t i = 0; i < e->nsweeps; i++) {
    free(e->sweeps[i].target);
    free(e->sweeps[i].key);
    for (size_t k = 0; k < e->sweeps[i].n; k++) free(e->sweeps[i].values[k]);
    free(e->sweeps[i].values);
  }
  free(e->sweeps);
  free(e->seeds);
  free(e->path);
  free(e->name);
  free(e->env);
  free(e->behavior);
  free(e->link);
  free(e->dataset);
  free(e);
}

static int add_entry(tabrl_experiment *e, const char *section, const char *key, const char *value,
                     const char *file, int line)
{
  tabrl_exp_entry *grown = realloc(e->entries, (e->nentries + 1) * sizeof *grown);
  if (!grown) return tabrl_error(TABRL_ENOMEM, "out of memory");
  e->entries = grown;
  tabrl_exp_entry *x = &e->entries[e->nentries];
  x->section = dup_str(section);
  x->key = dup_str(key);
  x->value = dup_str(value);
  x->file = dup_str(file);
  x->line = line;
  e->nentries++;
  if (!x->section || !x->key || !x->value || !x->file)
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  return 0;
}

/* The entry of key in section (the first entry of the section when key is
 * NULL), or NULL. */
static tabrl_exp_entry *find_entry(const tabrl_experiment *e, const char *section, const char *key)
{
  for (size_t i = 0; i < e->nentries; i++)
    if (!strcmp(e->entries[i].section, section) && (!key || !strcmp(e->entries[i].key, key)))
      return &e->entries[i];
  return NULL;
}

/* ---- file paths ---- */

/* A parameter whose value is a file: `path` and every name ending in
 * `_file` (gridworld's map_file), in any section; plus the PATH of
 * env = file:PATH and of every env value file:PATH (preference-bandit's
 * preferences = file:P.csv), also in [sweep] env.KEY lists. */
static int is_path_param(const char *name)
{
  size_t n = strlen(name);
  return !strcmp(name, "path") || (n > 5 && !strcmp(name + n - 5, "_file"));
}

/* base/path for a relative path; path itself otherwise (or when empty). */
static char *join_path(const char *base, const char *path)
{
  if (!*path || *path == '/') return dup_str(path);
  size_t nb = strlen(base), np = strlen(path);
  char *out = malloc(nb + np + 2);
  if (!out) return NULL;
  memcpy(out, base, nb);
  out[nb] = '/';
  memcpy(out + nb + 1, path, np + 1);
  return out;
}

/* The value of key in section with its relative file paths made absolute
 * against base (the experiment file's directory, or the current directory
 * for --set), so that a file means the same thing whatever directory
 * tabrl runs from; a malloc'ed copy of value when nothing is a path. */
/* file:PATH with PATH joined to base. */
static char *join_file_value(const char *base, const char *value)
{
  char *path = join_path(base, value + 5), *out = path ? malloc(strlen(path) + 6) : NULL;
  if (out) sprintf(out, "file:%s", path);
  free(path);
  return out;
}

static char *resolve_paths(const char *section, const char *key, const char *value,
                           const char *base)
{
  int env_file =
      !strncmp(value, "file:", 5) &&
      (!strcmp(section, "env") ||
       (!strcmp(section, "experiment") && (!strcmp(key, "env") || !strcmp(key, "dataset"))) ||
       /* a policy type's init = file:PI.csv (algos/policy/init.h) */
       (!strncmp(section, "algo ", 5) && !strcmp(key, "init")));
  if (env_file) return join_file_value(base, value);
  if (!strcmp(section, "sweep")) {
    /* TARGET.param = v1, v2, ...: each value is a path (env.KEY: each
     * file:PATH value). */
    const char *dot = strrchr(key, '.');
    int env_key = !strncmp(key, "env.", 4);
    if (!dot || (!is_path_param(dot + 1) && !(env_key && strstr(value, "file:"))))
      return dup_str(value);
    size_t size = 1;
    char *copy = dup_str(value), *save = NULL, *out;
    if (!copy) return NULL;
    size += strlen(value) + (strlen(base) + 8) * (strlen(value) + 1);
    if (!(out = malloc(size))) {
      free(copy);
      return NULL;
    }
    out[0] = '\0';
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char *t = trim(tok);
      char *path = !strncmp(t, "file:", 5) && env_key ? join_file_value(base, t)
                   : is_path_param(dot + 1)           ? join_path(base, t)
                                                      : dup_str(t);
      if (!path) {
        free(copy);
        free(out);
        return NULL;
      }
      if (*out) strcat(out, ", ");
      strcat(out, path);
      free(path);
    }
    free(copy);
    return out;
  }
  return is_path_param(key) ? join_path(base, value) : dup_str(value);
}

/* The absolute directory of path: the current directory joined with the
 * path's own directory, without a leading "./". */
static char *directory_of(const char *path)
{
  char cwd[4096];
  const char *slash = strrchr(path, '/');
  size_t len = slash ? (size_t)(slash - path) : 0;
  while (len >= 2 && path[0] == '.' && path[1] == '/') {
    path += 2;
    len = len >= 2 ? len - 2 : 0;
    while (len && *path == '/') path++, len--;
  }
  if (len == 1 && path[0] == '.') len = 0;
  if (*path == '/') {
    char *out = malloc(len + 2);
    if (!out) return NULL;
    memcpy(out, path, len ? len : 1);
    out[len ? len : 1] = '\0';
    return out;
  }
  if (!getcwd(cwd, sizeof cwd)) return NULL;
  size_t nc = strlen(cwd);
  char *out = malloc(nc + len + 2);
  if (!out) return NULL;
  memcpy(out, cwd, nc);
  if (len) {
    out[nc] = '/';
    memcpy(out + nc + 1, path, len);
    nc += len + 1;
  }
  out[nc] = '\0';
  return out;
}

/* ---- reading the INI file ---- */

/* inih keeps at most 49 characters of a section name (MAX_SECTION = 50)
 * and would silently cut a longer one. */
enum { SECTION_MAX = 49 };

struct reader {
  FILE *f;
  int line;
  int indented; /* the current line starts with white space */
  tabrl_experiment *e;
  const char *path;
  char *base; /* the file's directory, for relative paths */
  int status;
  /* section headers seen, with their lines: a label given twice, and a
   * section without keys (which inih never reports) */
  char **headers;
  int *header_lines;
  size_t nheaders;
};

static const char *const section_names[] = {"experiment", "env", "sweep", "slurm", "algo"};

/* A header as inih reads it: the name is everything between '[' and the
 * first ']', untrimmed.  Every header is checked here, when it is read,
 * whether or not keys follow it. */
static int check_section_header(struct reader *r, const char *text)
{
  char name[256];
  const char *close = strchr(text, ']'), *after;
  size_t len;
  if (!close) return 0; /* inih reports the syntax error */
  for (after = close + 1; isspace((unsigned char)*after); after++) continue;
  if (*after && *after != ';' && *after != '#') {
    r->status = tabrl_error(TABRL_EINVAL,
                            "%s:%d: text after the section header: put keys on their own lines",
                            r->path, r->line);
    return -1;
  }
  len = (size_t)(close - text - 1);
  if (len >= sizeof name) len = sizeof name - 1;
  memcpy(name, text + 1, len);
  name[len] = '\0';
  if (!strncmp(name, "algo ", 5)) {
    const char *label = name + 5;
    int reserved = 0;
    for (size_t i = 0; i < 4; i++) reserved |= !strcmp(label, section_names[i]);
    if (!valid_label(label))
      r->status = tabrl_error(
          TABRL_EINVAL, "%s:%d: algorithm label '%s' may only use letters, digits and . _ + -",
          r->path, r->line, label);
    else if (reserved)
      r->status =
          tabrl_error(TABRL_EINVAL, "%s:%d: '%s' cannot be an algorithm label: it names a section",
                      r->path, r->line, label);
    else if (len > SECTION_MAX)
      r->status =
          tabrl_error(TABRL_EINVAL, "%s:%d: algorithm label '%s' is longer than %d characters",
                      r->path, r->line, label, SECTION_MAX - 5);
    if (r->status) return -1;
  } else if (!strcmp(name, "algo")) {
    r->status =
        tabrl_error(TABRL_EINVAL, "%s:%d: [algo] needs a label: [algo LABEL]", r->path, r->line);
    return -1;
  } else {
    int known = 0;
    for (size_t i = 0; i < 4; i++) known |= !strcmp(name, section_names[i]);
    if (!known) {
      const char *near = tabrl_closest(name, section_names, 4);
      r->status = tabrl_error(TABRL_ENOTFOUND,
                              "%s:%d: unknown section [%s]%s%s%s (sections: [experiment], [env], "
                              "[algo LABEL], [sweep], [slurm])",
                              r->path, r->line, name, near ? "; did you mean [" : "",
                              near ? near : "", near ? "]?" : "");
      return -1;
    }
  }
  for (size_t i = 0; i < r->nheaders; i++)
    if (!strcmp(r->headers[i], name)) {
      r->status =
          tabrl_error(TABRL_EINVAL, "%s:%d: section [%s] appears twice (first at line %d)%s",
                      r->path, r->line, name, r->header_lines[i],
                      !strncmp(name, "algo ", 5) ? "; algorithm labels must be unique" : "");
      return -1;
    }
  char **h = realloc(r->headers, (r->nheaders + 1) * sizeof *h);
  int *l = realloc(r->header_lines, (r->nheaders + 1) * sizeof *l);
  if (h) r->headers = h;
  if (l) r->header_lines = l;
  if (!h || !l || !(r->headers[r->nheaders] = dup_str(name))) {
    r->status = tabrl_error(TABRL_ENOMEM, "out of memory");
    return -1;
  }
  r->header_lines[r->nheaders++] = r->line;
  return 0;
}

/* inih reads through this, so the line number of the key being handled is
 * always r->line (inih handles a line before reading the next). */
static char *read_line(char *str, int num, void *stream)
{
  struct reader *r = stream;
  if (r->status) return NULL;
  if (!fgets(str, num, r->f)) return NULL;
  r->line++;
  /* inih handles at most num - 1 characters a line and would read the rest
   * of a longer one as a line of its own: refuse it instead. */
  size_t len = strlen(str);
  if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(r->f)) {
    r->status = tabrl_error(TABRL_EINVAL, "%s:%d: line longer than %d characters", r->path, r->line,
                            num - 2);
    return NULL;
  }
  const char *t = str;
  while (isspace((unsigned char)*t)) t++;
  r->indented = t > str;
  if (*t == '[' && check_section_header(r, t)) return NULL;
  return str;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
  struct reader *r = user;
  tabrl_exp_entry *old;
  if (r->status) return 0;
  if (!*section) {
    r->status = tabrl_error(TABRL_EINVAL,
                            "%s:%d: key '%s' comes before any section: put it under [experiment], "
                            "[env], [algo LABEL], [sweep] or [slurm]",
                            r->path, r->line, key);
    return 0;
  }
  if ((old = find_entry(r->e, section, key))) {
    /* inih reads an indented line as the continuation of the key above. */
    if (r->indented && old->line < r->line)
      r->status = tabrl_error(TABRL_EINVAL,
                              "%s:%d: indented line: inih reads it as more of '%s' above; remove "
                              "the leading white space",
                              r->path, r->line, key);
    else
      r->status = tabrl_error(TABRL_EINVAL, "%s:%d: key '%s' in [%s] is already set at line %d",
                              r->path, r->line, key, section, old->line);
    return 0;
  }
  char *resolved = resolve_paths(section, key, value, r->base);
  if (!resolved) {
    r->status = tabrl_error(TABRL_ENOMEM, "out of memory");
    return 0;
  }
  r->status = add_entry(r->e, section, key, resolved, r->path, r->line);
  free(resolved);
  return r->status == 0;
}

/* After the whole file: an [algo LABEL] needs a type, and inih says
 * nothing of a section without keys. */
static int check_algo_sections(const struct reader *r)
{
  for (size_t i = 0; i < r->nheaders; i++)
    if (!strncmp(r->headers[i], "algo ", 5) && !find_entry(r->e, r->headers[i], "type"))
      return tabrl_error(TABRL_EINVAL, "%s:%d: [%s] needs type = ALGORITHM (tabrl list algos)%s",
                         r->path, r->header_lines[i], r->headers[i],
                         find_entry(r->e, r->headers[i], NULL) ? "" : "; the section is empty");
  return 0;
}

static int read_file(tabrl_experiment *e, const char *path)
{
  struct reader r = {0};
  struct stat st;
  int rc;
  r.f = fopen(path, "r");
  if (!r.f) return tabrl_error(TABRL_EIO, "%s: %s", path, strerror(errno));
  if (fstat(fileno(r.f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(r.f);
    return tabrl_error(TABRL_EINVAL, "%s: is a directory", path);
  }
  if (!(r.base = directory_of(path))) {
    int status = tabrl_error(TABRL_EIO, "%s: %s", path, strerror(errno));
    fclose(r.f);
    return status;
  }
  r.e = e;
  r.path = path;
  rc = ini_parse_stream(read_line, &r, on_entry, &r);
  fclose(r.f);
  if (!r.status && rc == 0) r.status = check_algo_sections(&r);
  for (size_t i = 0; i < r.nheaders; i++) free(r.headers[i]);
  free(r.headers);
  free(r.header_lines);
  free(r.base);
  if (r.status) return r.status;
  if (rc > 0)
    return tabrl_error(TABRL_EINVAL, "%s:%d: not a key = value line or [section]", path, rc);
  if (rc < 0) return tabrl_error(TABRL_EIO, "%s: cannot read", path);
  return 0;
}

/* ---- --set overrides ---- */

/* "TARGET.key=value": TARGET is the longest section name (experiment, env,
 * sweep, slurm) or algorithm label of the file that the text starts with,
 * followed by a dot, since labels may hold dots themselves (q-eps0.1).
 * For sweep, the key is the rest, LABEL.key or env.key, as in [sweep]. */
static int apply_override(tabrl_experiment *e, const char *text)
{
  char buf[1024], *eq, section[300], cwd[4096];
  size_t nlabels = 0, best = 0;
  const char *target = NULL;
  if (strlen(text) >= sizeof buf)
    return tabrl_error(TABRL_EINVAL, "--set %.40s...: too long", text);
  strcpy(buf, text);
  eq = strchr(buf, '=');
  if (!eq || !strchr(buf, '.') || strchr(buf, '.') > eq)
    return tabrl_error(TABRL_EINVAL,
                       "--set %s: expected section.key=value (e.g. env.states=12, "
                       "LABEL.scale=0.5, experiment.episodes=100)",
                       text);
  *eq = '\0';
  const char *lhs = trim(buf), *value = trim(eq + 1);
  /* The candidates: the four section names, then every algorithm label. */
  const char **labels = malloc((e->nentries + 4) * sizeof *labels);
  if (!labels) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t i = 0; i < 4; i++) labels[nlabels++] = section_names[i];
  for (size_t i = 0; i < e->nentries; i++) {
    const char *s = e->entries[i].section;
    int seen = 0;
    if (strncmp(s, "algo ", 5)) continue;
    for (size_t k = 4; k < nlabels; k++) seen |= !strcmp(labels[k], s + 5);
    if (!seen) labels[nlabels++] = s + 5;
  }
  for (size_t k = 0; k < nlabels; k++) {
    size_t len = strlen(labels[k]);
    if (len <= best || strncmp(lhs, labels[k], len) || lhs[len] != '.' || !lhs[len + 1]) continue;
    /* A parameter name has no dot; a sweep key is LABEL.key. */
    if (labels[k] != section_names[2] && strchr(lhs + len + 1, '.')) continue;
    best = len;
    target = labels[k];
  }
  if (!target) {
    /* A key has no dot: the target the user meant is before the last one. */
    char guess[1024];
    snprintf(guess, sizeof guess, "%s", lhs);
    char *dot = strrchr(guess, '.');
    if (dot) *dot = '\0';
    const char *near = tabrl_closest(guess, labels, nlabels);
    int status = tabrl_error(
        TABRL_ENOTFOUND, "--set %s: no section or algorithm label '%s'%s%s%s", text, guess,
        near ? "; did you mean '"
             : " (use experiment., env., sweep., slurm. or an algorithm label)",
        near ? near : "", near ? "'?" : "");
    free(labels);
    return status;
  }
  free(labels);
  const char *key = trim((char *)lhs + best + 1);
  if (target == section_names[0] || target == section_names[1] || target == section_names[2] ||
      target == section_names[3])
    snprintf(section, sizeof section, "%s", target);
  else
    snprintf(section, sizeof section, "algo %s", target);
  /* Paths given on the command line mean what they mean in the shell. */
  if (!getcwd(cwd, sizeof cwd))
    return tabrl_error(TABRL_EIO, "--set %s: %s", text, strerror(errno));
  char *resolved = resolve_paths(section, key, value, cwd);
  if (!resolved) return tabrl_error(TABRL_ENOMEM, "out of memory");
  tabrl_exp_entry *old = find_entry(e, section, key);
  if (old) {
    char *f = dup_str("--set");
    if (!f) {
      free(resolved);
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    free(old->value);
    free(old->file);
    old->value = resolved;
    old->file = f;
    old->line = 0;
    return 0;
  }
  int status = add_entry(e, section, key, resolved, "--set", 0);
  free(resolved);
  return status;
}

/* ---- validation ---- */

static void entry_where(const tabrl_exp_entry *x, char *buf, size_t size)
{
  if (x->line > 0)
    snprintf(buf, size, "%s:%d: ", x->file, x->line);
  else
    snprintf(buf, size, "--set %s=%s: ", x->key, x->value);
}

/* Settings of one section, in file order, for tabrl_values_resolve. */
static tabrl_setting *section_settings(const tabrl_experiment *e, const char *section,
                                       const char *skip_key, size_t extra, size_t *n)
{
  tabrl_setting *s = malloc((e->nentries + extra + 1) * sizeof *s);
  *n = 0;
  if (!s) return NULL;
  for (size_t i = 0; i < e->nentries; i++) {
    const tabrl_exp_entry *x = &e->entries[i];
    if (strcmp(x->section, section) || (skip_key && !strcmp(x->key, skip_key))) continue;
    s[(*n)++] = (tabrl_setting){x->key, x->value, x->line > 0 ? x->file : "--set", x->line};
  }
  return s;
}

static long find_algo(const tabrl_experiment *e, const char *label)
{
  for (size_t i = 0; i < e->nalgos; i++)
    if (!strcmp(e->algos[i].label, label)) return (long)i;
  return -1;
}

static const tabrl_param *find_param(const tabrl_param *table, const char *key)
{
  for (; table->name; table++)
    if (!strcmp(table->name, key)) return table;
  return NULL;
}

static int closest_param_error(const tabrl_param *table, const char *at, const char *key,
                               const char *owner)
{
  const char *names[128];
  size_t n = 0;
  for (; table->name && n < 128; table++) names[n++] = table->name;
  const char *near = tabrl_closest(key, names, n);
  if (near)
    return tabrl_error(TABRL_ENOTFOUND, "%sunknown key '%s' in %s; did you mean '%s'?", at, key,
                       owner, near);
  return tabrl_error(TABRL_ENOTFOUND, "%sunknown key '%s' in %s (see tabrl describe)", at, key,
                     owner);
}

static int parse_sweeps(tabrl_experiment *e, const tabrl_env_type *env_type)
{
  char at[512], owner[300];
  for (size_t i = 0; i < e->nentries; i++) {
    const tabrl_exp_entry *x = &e->entries[i];
    if (strcmp(x->section, "sweep")) continue;
    entry_where(x, at, sizeof at);
    const char *dot = strrchr(x->key, '.');
    if (!dot || dot == x->key || !dot[1])
      return tabrl_error(TABRL_EINVAL, "%ssweep key '%s' must be LABEL.key or env.key", at, x->key);
    size_t tlen = (size_t)(dot - x->key);
    char *target = malloc(tlen + 1);
    if (!target) return tabrl_error(TABRL_ENOMEM, "out of memory");
    memcpy(target, x->key, tlen);
    target[tlen] = '\0';
    const tabrl_param *table;
    if (!strcmp(target, "env")) {
      table = env_type->params;
      snprintf(owner, sizeof owner, "[env] (%s)", env_type->name);
    } else {
      long a = find_algo(e, target);
      if (a < 0) {
        const char *labels[64];
        size_t n = 0;
        for (size_t k = 0; k < e->nalgos && n < 64; k++) labels[n++] = e->algos[k].label;
        const char *near = tabrl_closest(target, labels, n);
        int status = tabrl_error(
            TABRL_ENOTFOUND, "%ssweep over '%s': no algorithm labelled '%s'%s%s%s", at, x->key,
            target, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        free(target);
        return status;
      }
      table = e->algos[a].type->params;
      snprintf(owner, sizeof owner, "[algo %s] (%s)", target, e->algos[a].type->name);
    }
    const tabrl_param *p = find_param(table, dot + 1);
    if (!p) {
      free(target);
      return closest_param_error(table, at, dot + 1, owner);
    }
    /* The sweep replaces the section's own value of the key: refuse a value
     * that would be dropped, except a file's value under a sweep from the
     * command line, which overrides the file on purpose. */
    char section[300];
    snprintf(section, sizeof section, strcmp(target, "env") ? "algo %s" : "env", target);
    const tabrl_exp_entry *own = find_entry(e, section, dot + 1);
    if (own && !(x->line == 0 && own->line > 0)) {
      int status;
      if (own->line == 0)
        status = tabrl_error(TABRL_EINVAL,
                             "--set %s.%s=%s: %s is swept in [sweep]; set the sweep instead "
                             "(--set sweep.%s=...)",
                             target, own->key, own->value, x->key, x->key);
      else
        status = tabrl_error(TABRL_EINVAL,
                             "%s:%d: %s in [%s] is also swept at line %d: the sweep would "
                             "replace it; remove one",
                             own->file, own->line, own->key, section, x->line);
      free(target);
      return status;
    }
    tabrl_exp_sweep *grown = realloc(e->sweeps, (e->nsweeps + 1) * sizeof *grown);
    if (!grown) {
      free(target);
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    e->sweeps = grown;
    tabrl_exp_sweep *sw = &e->sweeps[e->nsweeps++];
    memset(sw, 0, sizeof *sw);
    sw->target = target;
    sw->key = dup_str(dot + 1);
    char *copy = dup_str(x->value), *save = NULL;
    if (!sw->key || !copy) {
      free(copy);
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char *v = trim(tok);
      double number;
      if (!*v) continue;
      if (tabrl_param_parse(p, v, &number)) {
        tabrl_error_prefix("%ssweep %s", at, x->key);
        free(copy);
        return TABRL_EINVAL;
      }
      char **values = realloc(sw->values, (sw->n + 1) * sizeof *values);
      if (!values || !(values[sw->n] = dup_str(v))) {
        if (values) sw->values = values;
        free(copy);
        return tabrl_error(TABRL_ENOMEM, "out of memory");
      }
      sw->values = values;
      sw->n++;
    }
    free(copy);
    if (sw->n == 0) return tabrl_error(TABRL_EINVAL, "%ssweep %s has no values", at, x->key);
  }
  e->nconfigs = 1;
  for (size_t i = 0; i < e->nsweeps; i++) {
    if (e->nconfigs > 100000 / e->sweeps[i].n)
      return tabrl_error(TABRL_EINVAL, "the sweep grid has more than 100000 configs");
    e->nconfigs *= e->sweeps[i].n;
  }
  return 0;
}

static int parse_log(tabrl_experiment *e, const char *text, const char *at)
{
  char *end;
  long v;
  if (!strncmp(text, "every:", 6)) {
    e->log_kind = TABRL_LOG_EVERY;
    v = strtol(text + 6, &end, 10);
  } else if (!strncmp(text, "geometric:", 10)) {
    e->log_kind = TABRL_LOG_GEOMETRIC;
    v = strtol(text + 10, &end, 10);
  } else {
    return tabrl_error(TABRL_EINVAL, "%slog '%s': expected every:N or geometric:K", at, text);
  }
  if (*end || v < 1)
    return tabrl_error(TABRL_EINVAL, "%slog '%s': the number must be a whole number >= 1", at,
                       text);
  e->log_param = v;
  return 0;
}

static int parse_seeds(tabrl_experiment *e, const tabrl_values *v, const char *at)
{
  const char *list = tabrl_values_string(v, "seed_list");
  if (list && *list) {
    char *copy = dup_str(list), *save = NULL;
    if (!copy) return tabrl_error(TABRL_ENOMEM, "out of memory");
    e->seeds = malloc((strlen(list) / 2 + 2) * sizeof *e->seeds);
    if (!e->seeds) {
      free(copy);
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char *t = trim(tok), *end;
      errno = 0;
      unsigned long long s = strtoull(t, &end, 10);
      if (!*t || *end || errno || *t == '-') {
        /* The message first: t points into copy. */
        int status = tabrl_error(TABRL_EINVAL,
                                 "%sseed_list: '%s' is not a seed (a whole number >= 0)", at, t);
        free(copy);
        return status;
      }
      for (size_t k = 0; k < e->nseeds; k++)
        if (e->seeds[k] == s) {
          free(copy);
          return tabrl_error(TABRL_EINVAL, "%sseed_list: seed %llu is listed twice", at, s);
        }
      e->seeds[e->nseeds++] = s;
    }
    free(copy);
    if (e->nseeds == 0) return tabrl_error(TABRL_EINVAL, "%sseed_list is empty", at);
    if (tabrl_values_explicit(v, "seeds") && (size_t)tabrl_values_int(v, "seeds") != e->nseeds)
      return tabrl_error(TABRL_EINVAL, "%sseeds = %ld but seed_list has %zu seeds", at,
                         tabrl_values_int(v, "seeds"), e->nseeds);
    return 0;
  }
  e->nseeds = (size_t)tabrl_values_int(v, "seeds");
  e->seeds = malloc(e->nseeds * sizeof *e->seeds);
  if (!e->seeds) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t k = 0; k < e->nseeds; k++) e->seeds[k] = k;
  return 0;
}

static const char *base_name(const char *path, char *buf, size_t size)
{
  const char *slash = strrchr(path, '/');
  snprintf(buf, size, "%s", slash ? slash + 1 : path);
  char *dot = strrchr(buf, '.');
  if (dot && dot != buf) *dot = '\0';
  return buf;
}

static int check_behavior(const char *text, const char *at)
{
  if (!strcmp(text, "uniform") || !strcmp(text, "optimal")) return 0;
  if (!strncmp(text, "mixed:", 6)) {
    char *end;
    double eps = strtod(text + 6, &end);
    if (!*end && end != text + 6 && eps >= 0 && eps <= 1) return 0;
  }
  return tabrl_error(TABRL_EINVAL,
                     "%sbehavior '%s': expected uniform, optimal or mixed:EPS with EPS in [0,1]",
                     at, text);
}

/* Each schedule parameter belongs to one schedule and is then required;
 * the adversary must switch at least once and the corruptions fit in K. */
static int check_schedule(const tabrl_experiment *e)
{
  const tabrl_schedule_spec *sc = &e->schedule;
  const tabrl_exp_entry *x = find_entry(e, "experiment", "schedule");
  const tabrl_exp_entry *block = find_entry(e, "experiment", "block");
  const tabrl_exp_entry *corruptions = find_entry(e, "experiment", "corruptions");
  const char *name = tabrl_schedule_name(sc->kind);
  char at[512];
  if (x)
    entry_where(x, at, sizeof at);
  else
    snprintf(at, sizeof at, "%s: ", e->path);
  if (block && sc->kind != TABRL_SCHEDULE_ADVERSARIAL) {
    entry_where(block, at, sizeof at);
    return tabrl_error(TABRL_EINVAL, "%sblock applies to schedule = adversarial only (not %s)", at,
                       name);
  }
  if (corruptions && sc->kind != TABRL_SCHEDULE_CORRUPTED) {
    entry_where(corruptions, at, sizeof at);
    return tabrl_error(TABRL_EINVAL, "%scorruptions applies to schedule = corrupted only (not %s)",
                       at, name);
  }
  if (sc->kind == TABRL_SCHEDULE_ADVERSARIAL) {
    if (!block)
      return tabrl_error(TABRL_EINVAL, "%sschedule = adversarial needs block = B (episodes)", at);
    entry_where(block, at, sizeof at);
    if (sc->block >= e->episodes)
      return tabrl_error(TABRL_EINVAL,
                         "%sblock = %ld must be below episodes = %ld (else the adversary never "
                         "switches)",
                         at, sc->block, e->episodes);
  }
  if (sc->kind == TABRL_SCHEDULE_CORRUPTED) {
    if (!corruptions)
      return tabrl_error(TABRL_EINVAL, "%sschedule = corrupted needs corruptions = C (episodes)",
                         at);
    entry_where(corruptions, at, sizeof at);
    if (sc->corruptions > e->episodes)
      return tabrl_error(TABRL_EINVAL, "%scorruptions = %ld must be at most episodes = %ld", at,
                         sc->corruptions, e->episodes);
  }
  return 0;
}

static int validate_experiment(tabrl_experiment *e)
{
  size_t n;
  tabrl_setting *s = section_settings(e, "experiment", NULL, 0, &n);
  tabrl_values *v = NULL;
  char at[512], buf[256];
  int status;
  if (!s) return tabrl_error(TABRL_ENOMEM, "out of memory");
  status = tabrl_values_resolve(experiment_params, "[experiment]", s, n, 0, &v);
  free(s);
  if (status == TABRL_EINVAL && !find_entry(e, "experiment", "env"))
    return tabrl_error(TABRL_EINVAL, "%s: [experiment] needs env = ENV (tabrl list envs)", e->path);
  if (status == TABRL_EINVAL && !find_entry(e, "experiment", "episodes"))
    return tabrl_error(TABRL_EINVAL, "%s: [experiment] needs episodes = K", e->path);
  if (status) {
    if (!strchr(tabrl_error_message(), ':') ||
        strncmp(tabrl_error_message(), e->path, strlen(e->path)))
      tabrl_error_prefix("%s", e->path);
    return status;
  }
  const tabrl_exp_entry *x;
  x = find_entry(e, "experiment", "log");
  if (x)
    entry_where(x, at, sizeof at);
  else
    snprintf(at, sizeof at, "%s: ", e->path);
  status = parse_log(e, tabrl_values_string(v, "log"), at);
  x = find_entry(e, "experiment", "seed_list");
  if (!x) x = find_entry(e, "experiment", "seeds");
  if (x) entry_where(x, at, sizeof at);
  if (!status) status = parse_seeds(e, v, at);
  const char *name = tabrl_values_string(v, "name");
  e->name = dup_str(name && *name ? name : base_name(e->path, buf, sizeof buf));
  e->env = dup_str(tabrl_values_string(v, "env"));
  e->episodes = tabrl_values_int(v, "episodes");
  const char *objective = tabrl_values_string(v, "objective");
  int objective_status = tabrl_objective_parse(objective, &e->objective);
  e->behavior = dup_str(tabrl_values_string(v, "behavior"));
  e->link = dup_str(tabrl_values_string(v, "link"));
  e->feedback.temperature = tabrl_values_double(v, "temperature");
  e->feedback.score = (tabrl_score)tabrl_values_choice(v, "score");
  e->feedback.segment = (int)tabrl_values_int(v, "segment");
  e->pairs = tabrl_values_int(v, "pairs");
  const char *dataset = tabrl_values_string(v, "dataset");
  e->dataset = dataset && *dataset ? dup_str(dataset) : NULL;
  e->has_budget = tabrl_values_has(v, "budget");
  if (e->has_budget) e->budget = tabrl_values_double(v, "budget");
  e->feedback.link = tabrl_feedback_find(tabrl_values_string(v, "link"));
  e->schedule.kind = (tabrl_schedule_kind)tabrl_values_choice(v, "schedule");
  e->schedule.block = tabrl_values_has(v, "block") ? tabrl_values_int(v, "block") : 0;
  e->schedule.corruptions =
      tabrl_values_has(v, "corruptions") ? tabrl_values_int(v, "corruptions") : -1;
  char link_error[512];
  snprintf(link_error, sizeof link_error, "%s", e->feedback.link ? "" : tabrl_error_message());
  tabrl_values_free(v);
  if (!status && (!e->name || !e->env || !e->behavior || !e->link))
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
  if (!status && !valid_label(e->name)) {
    x = find_entry(e, "experiment", "name");
    if (x) entry_where(x, at, sizeof at);
    status = tabrl_error(TABRL_EINVAL, "%sname '%s' may only use letters, digits and . _ + -", at,
                         e->name);
  }
  if (!status && !e->feedback.link) {
    x = find_entry(e, "experiment", "link");
    if (x) entry_where(x, at, sizeof at);
    status = tabrl_error(TABRL_EINVAL, "%s%s", x ? at : "", link_error);
  }
  if (!status && objective_status) {
    char why[512];
    snprintf(why, sizeof why, "%s", tabrl_error_message());
    x = find_entry(e, "experiment", "objective");
    if (x) entry_where(x, at, sizeof at);
    status = tabrl_error(objective_status == TABRL_ENOMEM ? TABRL_ENOMEM : TABRL_EINVAL, "%s%s",
                         x ? at : "", why);
  }
  if (!status) {
    x = find_entry(e, "experiment", "behavior");
    if (x) entry_where(x, at, sizeof at);
    status = check_behavior(e->behavior, at);
  }
  if (!status) status = check_schedule(e);
  return status;
}

static int collect_algos(tabrl_experiment *e)
{
  char at[512];
  for (size_t i = 0; i < e->nentries; i++) {
    const char *section = e->entries[i].section;
    if (strncmp(section, "algo ", 5) || find_algo(e, section + 5) >= 0) continue;
    const tabrl_exp_entry *t = find_entry(e, section, "type");
    if (!t) {
      entry_where(&e->entries[i], at, sizeof at);
      return tabrl_error(TABRL_EINVAL, "%s[%s] needs type = ALGORITHM (tabrl list algos)", at,
                         section);
    }
    const tabrl_algo_type *type = tabrl_algo_find(t->value);
    if (!type) {
      entry_where(t, at, sizeof at);
      tabrl_error_prefix("%s[%s]", at, section);
      return TABRL_ENOTFOUND;
    }
    tabrl_exp_algo *grown = realloc(e->algos, (e->nalgos + 1) * sizeof *grown);
    if (!grown) return tabrl_error(TABRL_ENOMEM, "out of memory");
    e->algos = grown;
    e->algos[e->nalgos].type = type;
    if (!(e->algos[e->nalgos].label = dup_str(section + 5)))
      return tabrl_error(TABRL_ENOMEM, "out of memory");
    e->nalgos++;
  }
  if (e->nalgos == 0)
    return tabrl_error(TABRL_EINVAL, "%s: no [algo LABEL] section: nothing to run", e->path);
  return 0;
}

/* ---- configs and settings ---- */

size_t tabrl_experiment_runs(const tabrl_experiment *e)
{
  return e->nconfigs * e->nalgos * e->nseeds;
}

void tabrl_experiment_run_indices(const tabrl_experiment *e, size_t r, size_t *config, size_t *algo,
                                  size_t *seed)
{
  *seed = r % e->nseeds;
  *algo = (r / e->nseeds) % e->nalgos;
  *config = r / (e->nseeds * e->nalgos);
}

void tabrl_experiment_config_label(const tabrl_experiment *e, size_t c, char *buf, size_t size)
{
  if (e->nsweeps == 0)
    snprintf(buf, size, "default");
  else
    snprintf(buf, size, "c%zu", c + 1);
}

/* Value index of sweep k in config c: mixed radix, first sweep slowest. */
static size_t sweep_choice(const tabrl_experiment *e, size_t c, size_t k)
{
  size_t stride = 1;
  for (size_t j = k + 1; j < e->nsweeps; j++) stride *= e->sweeps[j].n;
  return (c / stride) % e->sweeps[k].n;
}

int tabrl_experiment_settings(const tabrl_experiment *e, size_t c, long a, uint64_t seed,
                              tabrl_setting **out, size_t *n)
{
  static _Thread_local char seed_text[32];
  char section[300];
  const char *target = a < 0 ? "env" : e->algos[a].label;
  snprintf(section, sizeof section, a < 0 ? "env" : "algo %s", target);
  tabrl_setting *s = section_settings(e, section, a < 0 ? NULL : "type", e->nsweeps + 1, n);
  if (!s) return tabrl_error(TABRL_ENOMEM, "out of memory");
  for (size_t k = 0; k < e->nsweeps; k++) {
    if (strcmp(e->sweeps[k].target, target)) continue;
    /* A swept key replaces the section's own value of that key. */
    size_t i;
    for (i = 0; i < *n; i++)
      if (!strcmp(s[i].key, e->sweeps[k].key)) break;
    s[i] =
        (tabrl_setting){e->sweeps[k].key, e->sweeps[k].values[sweep_choice(e, c, k)], "[sweep]", 0};
    if (i == *n) (*n)++;
  }
  if (a < 0) {
    const char *path;
    const tabrl_env_type *type = tabrl_env_find(e->env, &path);
    int has_seed = 0, set = 0;
    if (type) has_seed = find_param(type->params, "seed") != NULL;
    for (size_t i = 0; i < *n; i++) set |= !strcmp(s[i].key, "seed");
    if (has_seed && !set) {
      snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
      s[(*n)++] = (tabrl_setting){"seed", seed_text, "run seed", 0};
    }
  }
  *out = s;
  return 0;
}

long *tabrl_experiment_checkpoints(const tabrl_experiment *e, size_t *n)
{
  long K = e->episodes, *points;
  *n = 0;
  if (e->log_kind == TABRL_LOG_EVERY) {
    long step = e->log_param;
    points = malloc(((size_t)(K / step) + 2) * sizeof *points);
    if (!points) return NULL;
    for (long k = step; k <= K; k += step) points[(*n)++] = k;
    if (*n == 0 || points[*n - 1] != K) points[(*n)++] = K;
    return points;
  }
  /* geometric:P: round(K^(i/(P-1))), i = 0..P-1, without repeats. */
  long P = e->log_param;
  points = malloc(((size_t)P + 2) * sizeof *points);
  if (!points) return NULL;
  for (long i = 0; i < P; i++) {
    long k = P == 1 ? K : lround(pow((double)K, (double)i / (double)(P - 1)));
    if (k < 1) k = 1;
    if (k > K) k = K;
    if (*n == 0 || points[*n - 1] < k) points[(*n)++] = k;
  }
  if (points[*n - 1] != K) points[(*n)++] = K;
  return points;
}

/* ---- the whole load ---- */

/* Whether algo a can run on config c's env m (tabrl_algo_check: its
 * protocol, its needs, the objective), as the runner would tell it. */
static int check_algo(const tabrl_experiment *e, size_t c, size_t a, const tabrl_mdp *m,
                      const tabrl_values *v)
{
  const tabrl_algo_type *type = e->algos[a].type;
  tabrl_problem problem;
  unsigned char *valid = NULL;
  char section[300], at[512], label[32];
  int status = tabrl_problem_init(&problem, m, e->episodes, NULL,
                                  type->protocol == TABRL_PLANNING || type->sees_model, &valid);
  if (status) return status;
  if (e->has_budget) problem.budget = &e->budget;
  tabrl_stock_grid grid;
  status = tabrl_problem_set_objective(&problem, &e->objective, m, &grid);
  if (!status) status = tabrl_algo_check(type, &problem, v);
  free(valid);
  if (!status) return 0;
  snprintf(section, sizeof section, "algo %s", e->algos[a].label);
  entry_where(find_entry(e, section, "type"), at, sizeof at);
  tabrl_experiment_config_label(e, c, label, sizeof label);
  tabrl_error_prefix("%s[%s] (%s)%s%s", at, section, type->name, e->nsweeps ? ", config " : "",
                     e->nsweeps ? label : "");
  return TABRL_EINVAL;
}

/* The offline-preference protocol needs one dataset: pairs = N or
 * dataset = file:D.csv, which is read now (its errors name its lines) so
 * that no run fails on it. */
static int check_pref_data(const tabrl_experiment *e, const tabrl_mdp *m)
{
  const tabrl_exp_entry *x = find_entry(e, "experiment", "dataset");
  char at[512];
  if (!x) x = find_entry(e, "experiment", "pairs");
  if (x)
    entry_where(x, at, sizeof at);
  else
    snprintf(at, sizeof at, "%s: ", e->path);
  if (!e->pairs == !e->dataset)
    return tabrl_error(TABRL_EINVAL,
                       "%san offline-preference algorithm needs one dataset in [experiment]: "
                       "pairs = N or dataset = file:D.csv%s",
                       at, e->pairs ? ", not both" : "");
  if (!e->dataset) return 0;
  if (strncmp(e->dataset, "file:", 5))
    return tabrl_error(TABRL_EINVAL, "%sdataset = '%s': give file:D.csv", at, e->dataset);
  pref_dataset d;
  int status = pref_dataset_read(e->dataset + 5, m, &d);
  pref_dataset_free(&d);
  if (status) tabrl_error_prefix("%sdataset", at);
  return status;
}

/* budget = B: the mean objective (the LP is over expected sums), a model
 * with costs and a feasible budget, said at the budget's line with the
 * least achievable cost when it is not, before anything runs. */
static int check_budget(const tabrl_experiment *e, const tabrl_mdp *m, const char *label)
{
  const tabrl_exp_entry *x = find_entry(e, "experiment", "budget");
  char at[512] = "", why[512];
  tabrl_cmdp_solution sol;
  int status = 0;
  if (x) entry_where(x, at, sizeof at);
  if (e->objective.type != &tabrl_objective_mean)
    return tabrl_error(TABRL_EINVAL,
                       "%sbudget needs objective = mean (the constrained optimum is over expected "
                       "returns), not %s",
                       at, e->objective.text);
  if (!m->cost)
    return tabrl_error(TABRL_EINVAL,
                       "%sbudget needs a model with costs: env %s%s%s has none (a CSV column c, "
                       "or chain's cost = c)",
                       at, e->env, e->nsweeps ? " config " : "", e->nsweeps ? label : "");
  if ((status = tabrl_oracle_cmdp_lp(m, e->budget, NULL, &sol))) {
    snprintf(why, sizeof why, "%s", tabrl_error_message());
    return tabrl_error(status, "%sbudget %g on env %s%s%s: %s", at, e->budget, e->env,
                       e->nsweeps ? " config " : "", e->nsweeps ? label : "", why);
  }
  return 0;
}

/* A schedule changes the rewards of online episodes and measures regret in
 * the mean: it needs online algorithms, the mean objective and a model with
 * rewards in [0, 1] (told at the schedule's line). */
static int check_schedule_env(const tabrl_experiment *e, size_t c, const tabrl_mdp *m)
{
  const tabrl_exp_entry *x = find_entry(e, "experiment", "schedule");
  const char *name = tabrl_schedule_name(e->schedule.kind);
  char at[512] = "", label[32];
  if (x) entry_where(x, at, sizeof at);
  tabrl_experiment_config_label(e, c, label, sizeof label);
  for (size_t a = 0; a < e->nalgos; a++)
    if (e->algos[a].type->protocol != TABRL_ONLINE)
      return tabrl_error(TABRL_EINVAL,
                         "%sschedule = %s needs online algorithms: [algo %s] (%s) is not online",
                         at, name, e->algos[a].label, e->algos[a].type->name);
  if (e->objective.type != &tabrl_objective_mean)
    return tabrl_error(TABRL_EINVAL, "%sschedule = %s measures regret in the mean: objective %s",
                       at, name, e->objective.text);
  if (e->has_budget)
    return tabrl_error(TABRL_EINVAL,
                       "%sschedule = %s measures regret against the best fixed policy, not a "
                       "constrained optimum: remove budget",
                       at, name);
  tabrl_schedule *sc = tabrl_schedule_alloc(&e->schedule, m, e->seeds[0]);
  if (!sc) {
    tabrl_error_prefix("%sschedule = %s on env %s%s%s", at, name, e->env,
                       e->nsweeps ? " config " : "", e->nsweeps ? label : "");
    return TABRL_EINVAL;
  }
  tabrl_schedule_free(sc);
  return 0;
}

static int validate_configs(tabrl_experiment *e)
{
  /* Every config's env and algo settings are resolved (and the env built)
   * now, so no run can fail later on a value. */
  for (size_t c = 0; c < e->nconfigs; c++) {
    char label[32];
    tabrl_setting *s;
    size_t n;
    tabrl_mdp *m = NULL;
    int status;
    tabrl_experiment_config_label(e, c, label, sizeof label);
    if ((status = tabrl_experiment_settings(e, c, -1, e->seeds[0], &s, &n))) return status;
    status = tabrl_env_build(e->env, s, n, &m);
    free(s);
    if (status) {
      /* Messages about a line of the file already name it; one about a
       * file an [env] key names (a reference file with a missing response)
       * gets that key's line. */
      const tabrl_exp_entry *key = NULL;
      for (size_t i = 0; i < e->nentries && !key; i++)
        if (!strcmp(e->entries[i].section, "env") && !strncmp(e->entries[i].value, "file:", 5) &&
            strstr(tabrl_error_message(), e->entries[i].value + 5))
          key = &e->entries[i];
      if (key) {
        char at[512];
        entry_where(key, at, sizeof at);
        tabrl_error_prefix("%s[env] %s%s%s", at, key->key, e->nsweeps ? ", config " : "",
                           e->nsweeps ? label : "");
      } else if (strncmp(tabrl_error_message(), e->path, strlen(e->path)) != 0)
        tabrl_error_prefix("%s: [env]%s%s", e->path, e->nsweeps ? " config " : "",
                           e->nsweeps ? label : "");
      return status;
    }
    /* An augmented objective needs the env's rewards on a grid: said at the
     * objective's line, before any algorithm is checked against it. */
    tabrl_stock_grid grid;
    if (e->objective.type->augmented && (status = tabrl_stock_grid_of(m, &grid))) {
      char at[512] = "", why[512];
      const tabrl_exp_entry *x = find_entry(e, "experiment", "objective");
      snprintf(why, sizeof why, "%s", tabrl_error_message());
      if (x) entry_where(x, at, sizeof at);
      tabrl_mdp_free(m);
      return tabrl_error(status, "%sobjective %s on env %s%s%s: %s", at, e->objective.text, e->env,
                         e->nsweeps ? " config " : "", e->nsweeps ? label : "", why);
    }
    if (e->has_budget && (status = check_budget(e, m, label))) {
      tabrl_mdp_free(m);
      return status;
    }
    if (e->schedule.kind != TABRL_SCHEDULE_NONE) status = check_schedule_env(e, c, m);
    for (size_t a = 0; a < e->nalgos && !status; a++) {
      const tabrl_algo_type *type = e->algos[a].type;
      char owner[300];
      tabrl_values *v = NULL;
      snprintf(owner, sizeof owner, "[algo %s] (%s)", e->algos[a].label, type->name);
      if ((status = tabrl_experiment_settings(e, c, (long)a, e->seeds[0], &s, &n))) break;
      status = tabrl_values_resolve(type->params, owner, s, n, 0, &v);
      free(s);
      if (!status) status = check_algo(e, c, a, m, v);
      if (!status && type->protocol == TABRL_OFFLINE_PREFERENCE) status = check_pref_data(e, m);
      tabrl_values_free(v);
    }
    tabrl_mdp_free(m);
    if (status) return status;
  }
  return 0;
}

int tabrl_experiment_load(const char *path, const char *const *overrides, size_t noverrides,
                          tabrl_experiment **out)
{
  tabrl_experiment *e = calloc(1, sizeof *e);
  int status;
  const char *env_path;
  const tabrl_env_type *env_type;
  *out = NULL;
  if (!e || !(e->path = dup_str(path))) {
    free(e);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  if ((status = read_file(e, path))) goto fail;
  for (size_t i = 0; i < noverrides; i++)
    if ((status = apply_override(e, overrides[i]))) goto fail;
  if ((status = validate_experiment(e))) goto fail;
  env_type = tabrl_env_find(e->env, &env_path);
  if (!env_type) {
    char at[512];
    entry_where(find_entry(e, "experiment", "env"), at, sizeof at);
    tabrl_error_prefix("%s[experiment] env", at);
    status = TABRL_ENOTFOUND;
    goto fail;
  }
  if (env_path) {
    /* The file env takes its path from the env name; tabrl_env_build would
     * let that one win over a path of [env] or of the sweep. */
    const tabrl_exp_entry *x = find_entry(e, "env", "path");
    if (!x) x = find_entry(e, "sweep", "env.path");
    if (x) {
      char at[512];
      entry_where(x, at, sizeof at);
      status = tabrl_error(TABRL_EINVAL,
                           "%sthe model file is given by env = file:PATH in [experiment], not "
                           "by a path key",
                           at);
      goto fail;
    }
  }
  if ((status = collect_algos(e))) goto fail;
  {
    /* [slurm] is only used by tabrl submit, but checked here like every
     * section so that a typo is caught whatever command reads the file. */
    size_t n;
    tabrl_values *v = NULL;
    tabrl_setting *s = section_settings(e, "slurm", NULL, 0, &n);
    if (!s) {
      status = tabrl_error(TABRL_ENOMEM, "out of memory");
      goto fail;
    }
    status = tabrl_values_resolve(tabrl_slurm_params, "[slurm]", s, n, 0, &v);
    free(s);
    tabrl_values_free(v);
    if (status) goto fail;
  }
  if ((status = parse_sweeps(e, env_type))) goto fail;
  /* Unknown keys in [env] and [algo] sections are reported with their line
   * by the resolution of config 1 below; check the sweep has no key that
   * the [env] section cannot take first, for a clearer message. */
  if ((status = validate_configs(e))) goto fail;
  *out = e;
  return 0;
fail:
  tabrl_experiment_free(e);
  return status;
}

/* ---- manifest ---- */

static void write_values(FILE *f, const tabrl_param *table, const tabrl_setting *s, size_t n,
                         const char *seed_note)
{
  tabrl_values *v = NULL;
  if (tabrl_values_resolve(table, "manifest", s, n, 1, &v)) return;
  for (size_t i = 0; i < tabrl_values_count(v); i++) {
    const char *name = tabrl_values_name(v, i), *text = tabrl_values_text(v, i);
    int run_seed = 0;
    for (size_t k = 0; k < n; k++)
      if (!strcmp(s[k].key, name) && s[k].file && !strcmp(s[k].file, "run seed")) run_seed = 1;
    if (run_seed)
      fprintf(f, "%s = %s\n", name, seed_note);
    else
      fprintf(f, "%s = %s\n", name, text ? text : "");
  }
  tabrl_values_free(v);
}

static void write_body(const tabrl_experiment *e, FILE *f)
{
  char label[32];
  tabrl_setting *s;
  size_t n;
  const char *env_path;
  const tabrl_env_type *env_type = tabrl_env_find(e->env, &env_path);

  fprintf(f,
          "[experiment]\nname = %s\nenv = %s\nepisodes = %ld\nseeds = %zu\nseed_list = ", e->name,
          e->env, e->episodes, e->nseeds);
  for (size_t k = 0; k < e->nseeds; k++)
    fprintf(f, "%s%llu", k ? ", " : "", (unsigned long long)e->seeds[k]);
  fprintf(f,
          "\nlog = %s:%ld\nobjective = %s\nbehavior = %s\nlink = %s\ntemperature = %.17g\nscore = "
          "%s\nsegment = %d\nalgos = ",
          e->log_kind == TABRL_LOG_EVERY ? "every" : "geometric", e->log_param, e->objective.text,
          e->behavior, e->link, e->feedback.temperature, tabrl_score_name(e->feedback.score),
          e->feedback.segment);
  for (size_t a = 0; a < e->nalgos; a++) fprintf(f, "%s%s", a ? ", " : "", e->algos[a].label);
  /* Only when set, so that the hash of every other experiment stays. */
  if (e->pairs) fprintf(f, "\npairs = %ld", e->pairs);
  if (e->dataset) fprintf(f, "\ndataset = %s", e->dataset);
  if (e->has_budget) fprintf(f, "\nbudget = %.17g", e->budget);
  if (e->schedule.kind != TABRL_SCHEDULE_NONE) {
    fprintf(f, "\nschedule = %s", tabrl_schedule_name(e->schedule.kind));
    if (e->schedule.kind == TABRL_SCHEDULE_ADVERSARIAL)
      fprintf(f, "\nblock = %ld", e->schedule.block);
    if (e->schedule.kind == TABRL_SCHEDULE_CORRUPTED)
      fprintf(f, "\ncorruptions = %ld", e->schedule.corruptions);
  }
  fprintf(f, "\nconfigs = ");
  for (size_t c = 0; c < e->nconfigs; c++) {
    tabrl_experiment_config_label(e, c, label, sizeof label);
    fprintf(f, "%s%s", c ? ", " : "", label);
  }
  fprintf(f, "\n\n[env]\n");
  if (env_type && !tabrl_experiment_settings(e, 0, -1, 0, &s, &n)) {
    if (env_path) {
      s[n++] = (tabrl_setting){"path", env_path, NULL, 0};
    }
    write_values(f, env_type->params, s, n, "(the run's seed)");
    free(s);
  }
  for (size_t a = 0; a < e->nalgos; a++) {
    fprintf(f, "\n[algo %s]\ntype = %s\n", e->algos[a].label, e->algos[a].type->name);
    if (!tabrl_experiment_settings(e, 0, (long)a, 0, &s, &n)) {
      write_values(f, e->algos[a].type->params, s, n, "");
      free(s);
    }
  }
  if (e->nsweeps) {
    fprintf(f, "\n[sweep]\n");
    for (size_t k = 0; k < e->nsweeps; k++) {
      fprintf(f, "%s.%s = ", e->sweeps[k].target, e->sweeps[k].key);
      for (size_t i = 0; i < e->sweeps[k].n; i++)
        fprintf(f, "%s%s", i ? ", " : "", e->sweeps[k].values[i]);
      fprintf(f, "\n");
    }
  }
  for (size_t c = 0; c < e->nconfigs; c++) {
    tabrl_experiment_config_label(e, c, label, sizeof label);
    fprintf(f, "\n[config %s]\n", label);
    for (size_t k = 0; k < e->nsweeps; k++)
      fprintf(f, "%s.%s = %s\n", e->sweeps[k].target, e->sweeps[k].key,
              e->sweeps[k].values[sweep_choice(e, c, k)]);
  }
}

uint64_t tabrl_experiment_hash(const tabrl_experiment *e)
{
  char *text = NULL;
  size_t size = 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  FILE *f = open_memstream(&text, &size);
  if (!f) return 0;
  write_body(e, f);
  fclose(f);
  for (size_t i = 0; i < size; i++) {
    h ^= (unsigned char)text[i];
    h *= 0x100000001b3ULL;
  }
  free(text);
  return h;
}

/* ---- input files ---- */

static int is_input_param(const tabrl_param *p)
{
  size_t n = strlen(p->name);
  return p->kind == TABRL_STRING &&
         (!strcmp(p->name, "path") || (n > 5 && !strcmp(p->name + n - 5, "_file")));
}

static int hash_file(const char *path, uint64_t *hash)
{
  unsigned char buf[65536];
  size_t got;
  uint64_t h = 0xcbf29ce484222325ULL;
  FILE *f = fopen(path, "rb");
  if (!f) return tabrl_error(TABRL_EINVAL, "%s: %s", path, strerror(errno));
  while ((got = fread(buf, 1, sizeof buf, f)) > 0)
    for (size_t i = 0; i < got; i++) h = (h ^ buf[i]) * 0x100000001b3ULL;
  int failed = ferror(f);
  fclose(f);
  if (failed) return tabrl_error(TABRL_EINVAL, "%s: read error", path);
  *hash = h;
  return 0;
}

void tabrl_exp_inputs_free(tabrl_exp_input *in, size_t n)
{
  for (size_t i = 0; i < n && in; i++) free(in[i].path);
  free(in);
}

/* Appends the input (c, key, path) to *in, hashing the file unless an
 * earlier config's entry has it. */
static int add_input(tabrl_exp_input **in, size_t *count, size_t *cap, size_t c, const char *key,
                     const char *path)
{
  if (*count == *cap) {
    tabrl_exp_input *grown = realloc(*in, (*cap = 2 * *cap + 4) * sizeof **in);
    if (!grown) return tabrl_error(TABRL_ENOMEM, "out of memory");
    *in = grown;
  }
  tabrl_exp_input *x = &(*in)[*count];
  *x = (tabrl_exp_input){c, key, dup_str(path), 0};
  if (!x->path) return tabrl_error(TABRL_ENOMEM, "out of memory");
  (*count)++;
  /* A file read by several configs is hashed once. */
  for (size_t k = 0; k + 1 < *count; k++)
    if (!strcmp((*in)[k].path, x->path)) {
      x->hash = (*in)[k].hash;
      return 0;
    }
  return hash_file(x->path, &x->hash);
}

/* Whether an algorithm of e learns from the offline-preference dataset. */
static int reads_dataset(const tabrl_experiment *e)
{
  for (size_t a = 0; a < e->nalgos; a++)
    if (e->algos[a].type->protocol == TABRL_OFFLINE_PREFERENCE) return 1;
  return 0;
}

int tabrl_experiment_inputs(const tabrl_experiment *e, tabrl_exp_input **out, size_t *n)
{
  const char *env_path;
  const tabrl_env_type *type = tabrl_env_find(e->env, &env_path);
  tabrl_exp_input *in = NULL;
  size_t count = 0, cap = 0;
  int status = 0;
  *out = NULL;
  *n = 0;
  for (size_t c = 0; type && c < e->nconfigs && !status; c++) {
    tabrl_setting *s;
    size_t ns;
    if ((status = tabrl_experiment_settings(e, c, -1, 0, &s, &ns))) break;
    if (env_path) s[ns++] = (tabrl_setting){"path", env_path, NULL, 0};
    for (size_t i = 0; i < ns && !status; i++) {
      const tabrl_param *p = find_param(type->params, s[i].key);
      if (!p || !is_input_param(p) || !*s[i].value) continue;
      status = add_input(&in, &count, &cap, c, p->name, s[i].value);
    }
    /* The offline-preference dataset, read by the runs of every config. */
    if (!status && e->dataset && reads_dataset(e))
      status = add_input(&in, &count, &cap, c, "dataset", e->dataset + 5);
    free(s);
  }
  if (status) {
    tabrl_exp_inputs_free(in, count);
    return status;
  }
  *out = in;
  *n = count;
  return 0;
}

int tabrl_experiment_write_manifest(const tabrl_experiment *e, FILE *f, const char *version,
                                    const char *command, const char *shard)
{
  fprintf(f, "# tabrl manifest: the resolved experiment; rerun with the command below\n");
  fprintf(f, "[tabrl]\nversion = %s\ncommand = %s\nexperiment_hash = %016llx\n", version, command,
          (unsigned long long)tabrl_experiment_hash(e));
  if (shard) fprintf(f, "shard = %s\n", shard);
  fprintf(f, "\n");
  write_body(e, f);
  tabrl_exp_input *in;
  size_t n;
  int status = tabrl_experiment_inputs(e, &in, &n);
  if (status) return status;
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (strcmp(in[k].path, in[i].path)) k++;
    if (k == i)
      fprintf(f, "%s%s = %016llx\n", i ? "" : "\n[inputs]\n", in[i].path,
              (unsigned long long)in[i].hash);
  }
  tabrl_exp_inputs_free(in, n);
  return ferror(f) ? tabrl_error(TABRL_EIO, "cannot write the manifest") : 0;
}
