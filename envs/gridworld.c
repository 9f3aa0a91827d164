/* Grid worlds drawn as text maps.
 *
 * Map characters: '#' wall, '.' free, 'S' start (free; several S = uniform
 * start), 'G' goal, 'X' trap.  States are the non-wall cells in row-major
 * order.  Actions 0 left, 1 down, 2 right, 3 up (FrozenLake's order).
 *
 * A move goes in the intended direction with probability 1 - slip and in
 * each of the two perpendicular directions with probability slip/2 (never
 * backwards; slip = 2/3 gives FrozenLake's slippery ice); a move into a
 * wall or off the map leaves the agent in place.  Blank lines in a map file
 * are skipped (line numbers in messages still count them).  Landing on G pays goal_reward,
 * landing on X pays trap_reward, any other move pays step_reward.  Goals and
 * traps are absorbing: there every action stays put and pays 0, so the
 * reward is paid once, on entry.
 *
 * Built-in maps: open5 (an open 5x5 room, start top-left, goal bottom-right),
 * fourrooms (the 11x11 four-rooms domain of Sutton, Precup and Singh 1999,
 * "Between MDPs and semi-MDPs", inside a wall border: 104 states; start in
 * the top-left corner, goal in the bottom-right corner), cliff (4x12, start
 * bottom-left, goal bottom-right, the cells between them traps: Sutton and
 * Barto's cliff with absorbing traps; see `cliffwalking` for Gymnasium's
 * version that sends the agent back to the start).
 *
 * Discounted by default, gamma 0.9 as in Sutton, Precup and Singh: without a
 * step cost an undiscounted long horizon makes every path to the goal
 * equally good, and the policy says nothing.  Set horizon for episodic
 * use. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tabrl/env.h"
#include "tabrl/error.h"

static const tabrl_param gridworld_params[] = {
    {"map", TABRL_CHOICE, "open5", "open5|fourrooms|cliff", "built-in map"},
    {"map_file", TABRL_STRING, "", NULL,
     "text map to use instead of `map`: rows of # . S G X, one row a line"},
    {"slip", TABRL_DOUBLE, "0.1", "[0,1]",
     "probability that a move goes sideways (slip/2 to each perpendicular side)"},
    {"goal_reward", TABRL_DOUBLE, "1", "(-inf,inf)", "reward for entering a goal G"},
    {"trap_reward", TABRL_DOUBLE, "-1", "(-inf,inf)", "reward for entering a trap X"},
    {"step_reward", TABRL_DOUBLE, "0", "(-inf,inf)", "reward of every other move"},
    TABRL_ENV_TIME_PARAMS("", "0.9"),
    {0},
};

static const char *const open5_map[] = {
    "S....", ".....", ".....", ".....", "....G", NULL,
};

static const char *const fourrooms_map[] = {
    "#############", "#S....#.....#",
    "#.....#.....#", "#...........#",
    "#.....#.....#", "#.....#.....#",
    "##.####.....#", "#.....###.###",
    "#.....#.....#", "#.....#.....#",
    "#...........#", "#.....#....G#",
    "#############", NULL,
};

static const char *const cliff_map[] = {
    "............", "............", "............", "SXXXXXXXXXXG", NULL,
};

typedef struct {
  int rows, cols;
  char *cells; /* rows*cols */
} text_map;

/* Appends one row, checking its characters and width; where is "PATH:LINE"
 * for messages. */
static int map_add_row(text_map *m, const char *row, size_t len, const char *where)
{
  char *cells;
  if (len == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)row[i];
    /* strchr would accept the terminator, so NUL is rejected explicitly. */
    if (ch && strchr("#.SGX", ch)) continue;
    if (isprint(ch))
      return tabrl_error(TABRL_EINVAL,
                         "%s: unexpected character '%c' in column %zu (a map uses # . S G X)",
                         where, ch, i + 1);
    return tabrl_error(TABRL_EINVAL,
                       "%s: unexpected byte 0x%02x in column %zu (a map uses # . S G X)", where, ch,
                       i + 1);
  }
  if (m->rows > 0 && len != (size_t)m->cols)
    return tabrl_error(TABRL_EINVAL, "%s: row has %zu cells but the first row has %d", where, len,
                       m->cols);
  if (((size_t)m->rows + 1) * len > 10000000)
    return tabrl_error(TABRL_EINVAL, "%s: map too large (at most 10^7 cells)", where);
  cells = realloc(m->cells, ((size_t)m->rows + 1) * len);
  if (!cells) return tabrl_error(TABRL_ENOMEM, "out of memory reading the map");
  memcpy(cells + (size_t)m->rows * len, row, len);
  m->cells = cells;
  m->cols = (int)len;
  m->rows++;
  return 0;
}

static int map_from_strings(text_map *m, const char *name, const char *const *rows)
{
  char where[64];
  int status = 0;
  for (int i = 0; rows[i] && !status; i++) {
    snprintf(where, sizeof where, "map %s:%d", name, i + 1);
    status = map_add_row(m, rows[i], strlen(rows[i]), where);
  }
  return status;
}

static int map_from_file(text_map *m, const char *path)
{
  FILE *f = fopen(path, "r");
  char *line = NULL, *where = NULL;
  size_t cap = 0, where_size = strlen(path) + 32;
  ssize_t got;
  int status = 0;

  if (!f) return tabrl_error(TABRL_EIO, "%s: cannot open map file: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(f);
    return tabrl_error(TABRL_EINVAL, "%s: is a directory, not a map file", path);
  }
  if (!(where = malloc(where_size))) {
    fclose(f);
    return tabrl_error(TABRL_ENOMEM, "out of memory");
  }
  for (long line_no = 1; !status && (got = getline(&line, &cap, f)) >= 0; line_no++) {
    size_t len = (size_t)got;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    snprintf(where, where_size, "%s:%ld", path, line_no);
    status = map_add_row(m, line, len, where);
  }
  if (!status && ferror(f))
    status = tabrl_error(TABRL_EIO, "%s: cannot read: %s", path, strerror(errno));
  if (!status && m->rows == 0) status = tabrl_error(TABRL_EINVAL, "%s: the map is empty", path);
  free(line);
  free(where);
  fclose(f);
  return status;
}

static void dir_step(int dir, int *dr, int *dc)
{
  static const int row_step[4] = {0, 1, 0, -1}, col_step[4] = {-1, 0, 1, 0};
  *dr = row_step[dir];
  *dc = col_step[dir];
}

static int gridworld_build(const tabrl_values *v, tabrl_mdp **out)
{
  static const char *const *const builtin[] = {open5_map, fourrooms_map, cliff_map};
  static const char *const builtin_name[] = {"open5", "fourrooms", "cliff"};
  const char *path = tabrl_values_string(v, "map_file");
  double slip = tabrl_values_double(v, "slip"), gamma;
  double goal_reward = tabrl_values_double(v, "goal_reward");
  double trap_reward = tabrl_values_double(v, "trap_reward");
  double step_reward = tabrl_values_double(v, "step_reward");
  double move_prob[3] = {1.0 - slip, slip / 2, slip / 2};
  text_map map = {0, 0, NULL};
  int *state_of_cell = NULL, *cell_of_state = NULL;
  double *mu0 = NULL;
  tabrl_mdp_builder *b = NULL;
  int horizon, status, S = 0, starts = 0;
  size_t ncells;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (path && *path) {
    if (tabrl_values_explicit(v, "map"))
      return tabrl_error(TABRL_EINVAL, "set either map or map_file, not both");
    status = map_from_file(&map, path);
  } else {
    int which = tabrl_values_choice(v, "map");
    status = map_from_strings(&map, builtin_name[which], builtin[which]);
  }
  if (status) goto done;

  ncells = (size_t)map.rows * (size_t)map.cols;
  state_of_cell = malloc(ncells * sizeof *state_of_cell);
  cell_of_state = malloc(ncells * sizeof *cell_of_state);
  if (!state_of_cell || !cell_of_state) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < ncells; i++) {
    state_of_cell[i] = map.cells[i] == '#' ? -1 : S;
    if (map.cells[i] != '#') cell_of_state[S++] = (int)i;
    starts += map.cells[i] == 'S';
  }
  if (starts == 0) {
    status = tabrl_error(TABRL_EINVAL, "%s: the map has no start cell 'S'",
                         path && *path ? path : "map");
    goto done;
  }
  if (!(b = tabrl_mdp_builder_alloc(S, 4, 1))) {
    status = TABRL_ENOMEM;
    goto done;
  }
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  if (!(mu0 = calloc((size_t)S, sizeof *mu0))) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (int s = 0; s < S; s++) {
    int cell = cell_of_state[s], r = cell / map.cols, c = cell % map.cols;
    char here = map.cells[cell];
    if (here == 'S') mu0[s] = 1.0 / starts;
    for (int a = 0; a < 4; a++) {
      if (here == 'G' || here == 'X') {
        tabrl_mdp_builder_add(b, 0, s, a, s, 1.0, 0.0);
        continue;
      }
      /* Intended direction, then the two perpendicular ones. */
      int dirs[3] = {a, (a + 1) % 4, (a + 3) % 4};
      for (int k = 0; k < 3; k++) {
        int dr, dc, nr, nc, next = s;
        char there;
        dir_step(dirs[k], &dr, &dc);
        nr = r + dr;
        nc = c + dc;
        if (nr >= 0 && nr < map.rows && nc >= 0 && nc < map.cols &&
            state_of_cell[nr * map.cols + nc] >= 0)
          next = state_of_cell[nr * map.cols + nc];
        there = map.cells[cell_of_state[next]];
        tabrl_mdp_builder_add(b, 0, s, a, next, move_prob[k],
                              there == 'G'   ? goal_reward
                              : there == 'X' ? trap_reward
                                             : step_reward);
      }
    }
  }
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status)
    status = tabrl_mdp_builder_set_grid(b, map.rows, map.cols, map.cells, state_of_cell, "<v>^");
  if (!status) status = tabrl_mdp_builder_set_name(b, "gridworld");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  tabrl_mdp_builder_free(b);
  free(mu0);
  free(state_of_cell);
  free(cell_of_state);
  free(map.cells);
  return status;
}

const tabrl_env_type tabrl_env_gridworld = {
    .name = "gridworld",
    .doc = "Slippery grid world from a text map (# wall, S start, G goal, X trap)",
    .source = "Sutton and Barto 2018 (grid worlds, Ex. 6.6 cliff); four rooms: Sutton, Precup, "
              "Singh 1999 (AIJ)",
    .params = gridworld_params,
    .build = gridworld_build,
};
