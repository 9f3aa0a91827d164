/* tabrl bench --peers: each algorithm alone (bench.c's loop: simulator and
 * learner, no runner) against the same algorithm written densely in Numba,
 * over the same number of episodes of the same model, from RiverSwim(6) to
 * Garnet(1000, 5, 10), H = 20 (the performance issue's goal 2).
 *
 * A reference is tests/bench/NAME_reference.py, run as
 *   /usr/bin/python3 DIR/NAME_reference.py --model FILE.csv --horizon H
 *       --episodes K [--variant V] [--seed N]
 * on the model exported as tabrl's CSV; it prints one line
 * `episodes_per_s VALUE` and exits 3 when numba is not importable.  DIR is
 * the source tree's tests/bench (fixed when meson configures the build:
 * TABRL_BENCH_SCRIPTS), or the environment variable TABRL_BENCH_SCRIPTS.
 * The scripts share one NUMBA_CACHE_DIR, a temporary directory removed at
 * the end, so that only the first of them pays numba's compile (seconds). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/bench_peers.h"
#include "cli/bench_record.h"
#include "cli/cli.h"
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/mdp_io.h"

#ifndef TABRL_BENCH_SCRIPTS
#define TABRL_BENCH_SCRIPTS "tests/bench"
#endif

enum { PEER_OK, PEER_FAILED, PEER_NO_NUMBA };

/* Runs one reference script and reads its episodes/s.  execv, not a
 * shell: the paths come from the environment. */
static int run_peer(const char *script, const char *model, int horizon, long episodes,
                    const char *variant, double budget, const char *cache, double *rate, char *why,
                    size_t why_size)
{
  char h[16], k[24], b[24];
  const char *argv[16] = {"/usr/bin/python3", script, "--model", model, "--horizon", h,
                          "--episodes",       k,      "--seed",  "1",   "--budget",  b};
  int fd[2], status;
  snprintf(h, sizeof h, "%d", horizon);
  snprintf(k, sizeof k, "%ld", episodes);
  snprintf(b, sizeof b, "%g", budget);
  if (variant) {
    argv[12] = "--variant";
    argv[13] = variant;
  }
  *rate = 0;
  if (pipe(fd)) {
    snprintf(why, why_size, "pipe: %s", strerror(errno));
    return PEER_FAILED;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(why, why_size, "fork: %s", strerror(errno));
    close(fd[0]);
    close(fd[1]);
    return PEER_FAILED;
  }
  if (pid == 0) {
    dup2(fd[1], STDOUT_FILENO);
    dup2(fd[1], STDERR_FILENO);
    close(fd[0]);
    close(fd[1]);
    if (cache) setenv("NUMBA_CACHE_DIR", cache, 1);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fd[1]);
  FILE *in = fdopen(fd[0], "r");
  char line[512], last[512] = "";
  while (in && fgets(line, sizeof line, in)) {
    if (sscanf(line, "episodes_per_s %lf", rate) == 1) continue;
    line[strcspn(line, "\n")] = '\0';
    if (line[0]) snprintf(last, sizeof last, "%s", line);
  }
  if (in)
    fclose(in);
  else
    close(fd[0]);
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
    snprintf(why, why_size, "%.200s did not exit normally", script);
    return PEER_FAILED;
  }
  if (WEXITSTATUS(status) == 3) {
    snprintf(why, why_size, "%.300s", last[0] ? last : "numba is not importable");
    return PEER_NO_NUMBA;
  }
  if (WEXITSTATUS(status) != 0 || !(*rate > 0)) {
    snprintf(why, why_size, "exit %d: %.200s", WEXITSTATUS(status), last);
    return PEER_FAILED;
  }
  return PEER_OK;
}

static const struct {
  const char *label, *id, *algo, *script, *variant;
  tabrl_setting set;
} peers[] = {
    {"ucbvi ch",
     "ucbvi-ch",
     "ucbvi",
     "ucbvi_reference.py",
     "ch",
     {"bonus", "hoeffding", "peers", 0}},
    {"ucbvi bf",
     "ucbvi-bf",
     "ucbvi",
     "ucbvi_reference.py",
     "bf",
     {"bonus", "bernstein", "peers", 0}},
    {"psrl", "psrl", "psrl", "psrl_reference.py", NULL, {NULL, NULL, NULL, 0}},
    {"optql", "optql", "optql", "optql_reference.py", NULL, {NULL, NULL, NULL, 0}},
};

/* Episodes per size (the full run; --quick a tenth, at least 16): a few
 * seconds of the slower side each, since a learner's episode costs more
 * as it visits more pairs, both sides run the same episodes. */
static const struct {
  const char *label, *id, *states;
  long episodes;
} sizes[] = {
    {"RiverSwim(6)", "riverswim6", NULL, 20000},   {"Garnet(20,5,10)", "garnet20", "20", 8000},
    {"Garnet(50,5,10)", "garnet50", "50", 1600},   {"Garnet(100,5,10)", "garnet100", "100", 800},
    {"Garnet(200,5,10)", "garnet200", "200", 320}, {"Garnet(1000,5,10)", "garnet1000", "1000", 48},
};

/* Removes the numba cache directory and what numba wrote under it. */
static void remove_tree(const char *path)
{
  struct stat st;
  if (lstat(path, &st)) return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *ent;
    while (d && (ent = readdir(d))) {
      char child[1024];
      if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
      if ((size_t)snprintf(child, sizeof child, "%s/%s", path, ent->d_name) < sizeof child)
        remove_tree(child);
    }
    if (d) closedir(d);
    rmdir(path);
  } else
    unlink(path);
}

static double load_now(void)
{
  double load = NAN;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &load) != 1) load = NAN;
    fclose(f);
  }
  return load;
}

int bench_peers(int quick)
{
  const char *dir = getenv("TABRL_BENCH_SCRIPTS");
  if (!dir || !*dir) dir = TABRL_BENCH_SCRIPTS;
  if (access("/usr/bin/python3", X_OK)) {
    printf("peers: skipped: /usr/bin/python3 not found (Debian: apt-get install python3-numpy "
           "python3-numba)\n");
    return 0;
  }
  char csv[] = "/tmp/tabrl-peers-XXXXXX", why[512];
  int fd = mkstemp(csv), code = 0, horizon = 20, rounds = quick ? 1 : 3;
  /* Seconds of repeated timings per side and round: this machine's speed
   * drifts by up to 1.8x over tenths of a second, so each side gets the
   * same wall time to meet a fast moment. */
  double budget = quick ? 0.2 : 0.5;
  if (fd < 0) {
    cli_error("cannot create a temporary model file in /tmp: %s", strerror(errno));
    return CLI_FAIL;
  }
  close(fd);
  char cache_dir[] = "/tmp/tabrl-peers-numba-XXXXXX";
  const char *cache = mkdtemp(cache_dir);
  printf("peers: each algorithm alone against the same algorithm written densely in Numba\n"
         "(%s/NAME_reference.py, JIT compile excluded), H = 20, the same episodes each;\n"
         "episodes/s, the best of each side's timings repeated over %g s, %d round(s) of\n"
         "Numba then tabrl; tabrl / Numba (> 1: tabrl faster); the 1-minute load\n",
         dir, budget, rounds);
  printf("  %-9s %-18s %7s %11s %11s %7s %5s\n", "", "", "episodes", "tabrl", "numba", "ratio",
         "load");
  for (size_t j = 0; j < sizeof sizes / sizeof sizes[0] && !code; j++) {
    tabrl_mdp *m = NULL;
    char horizon_text[16];
    snprintf(horizon_text, sizeof horizon_text, "%d", horizon);
    tabrl_setting set[4] = {{"horizon", horizon_text, "peers", 0}};
    size_t nset = 1;
    if (sizes[j].states) {
      set[nset++] = (tabrl_setting){"states", sizes[j].states, "peers", 0};
      set[nset++] = (tabrl_setting){"actions", "5", "peers", 0};
      set[nset++] = (tabrl_setting){"branching", "10", "peers", 0};
    } else
      set[nset++] = (tabrl_setting){"states", "6", "peers", 0};
    if (tabrl_env_build(sizes[j].states ? "garnet" : "riverswim", set, nset, &m) ||
        tabrl_mdp_write_csv(m, csv)) {
      cli_error("%s", tabrl_error_message());
      tabrl_mdp_free(m);
      code = CLI_FAIL;
      break;
    }
    long episodes = quick ? sizes[j].episodes / 10 : sizes[j].episodes;
    episodes = episodes < 16 ? 16 : episodes / 16 * 16;
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
      char script[1024];
      const tabrl_algo_type *t = tabrl_algo_find(peers[i].algo);
      snprintf(script, sizeof script, "%s/%s", dir, peers[i].script);
      if (!t) continue;
      if (access(script, R_OK)) {
        printf("  %-9s %-18s skipped: %s not found\n", peers[i].label, sizes[j].label, script);
        continue;
      }
      /* Best of `rounds` of each side, alternating: load from other jobs
       * only ever lowers a rate. */
      double numba = 0, ours = 0, load = load_now();
      int peer = PEER_OK;
      for (int round = 0; round < rounds && peer == PEER_OK && ours >= 0; round++) {
        double r;
        peer = run_peer(script, csv, horizon, episodes, peers[i].variant, budget, cache, &r, why,
                        sizeof why);
        numba = fmax(numba, r);
        if (peer != PEER_OK) break;
        /* The same budget as the script's, at least one timing. */
        for (double spent = 0; ours >= 0 && (spent == 0 || spent < budget);) {
          long k = episodes;
          r = bench_algo_alone(t, peers[i].set.key ? &peers[i].set : NULL, peers[i].set.key ? 1 : 0,
                               m, &k, why, sizeof why);
          ours = r > 0 ? fmax(ours, r) : -1;
          if (r > 0) spent += (double)k / r;
        }
      }
      if (peer == PEER_NO_NUMBA) {
        printf("  skipped: numba is not importable (%s; Debian: apt-get install python3-numba)\n",
               why);
        j = sizeof sizes / sizeof sizes[0];
        break;
      }
      if (peer != PEER_OK) {
        printf("  %-9s %-18s numba failed: %s\n", peers[i].label, sizes[j].label, why);
        continue;
      }
      if (!(ours > 0)) {
        printf("  %-9s %-18s tabrl failed: %s\n", peers[i].label, sizes[j].label, why);
        continue;
      }
      bench_record("episodes/s", BENCH_HIGHER, ours, "peers.%s.%s.tabrl", peers[i].id, sizes[j].id);
      bench_record("episodes/s", BENCH_HIGHER, numba, "peers.%s.%s.numba", peers[i].id,
                   sizes[j].id);
      bench_record("x", BENCH_HIGHER, ours / numba, "peers.%s.%s.ratio", peers[i].id, sizes[j].id);
      printf("  %-9s %-18s %7ld %11.4g %11.4g %6.2fx %5.2f\n", peers[i].label, sizes[j].label,
             episodes, ours, numba, ours / numba, load);
      fflush(stdout);
    }
    tabrl_mdp_free(m);
  }
  unlink(csv);
  if (cache) remove_tree(cache);
  return code;
}
