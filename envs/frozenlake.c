/* FrozenLake exactly as Gymnasium's FrozenLake-v1 (gymnasium/envs/toy_text/
 * frozen_lake.py) with its standard maps "4x4" and "8x8".
 *
 * Cells: S start, F frozen, H hole, G goal; states are all cells in
 * row-major order (state = row * ncol + col), the start is state 0.
 * Actions 0 left, 1 down, 2 right, 3 up.  A move off the map stays in
 * place.  Slippery (is_slippery=True, the default): the move goes in
 * direction (a-1) mod 4, a or (a+1) mod 4, each with probability 1/3, i.e.
 * the intended one or either perpendicular one, never backwards; repeated
 * next states (say, two moves into the border) are merged by adding their
 * probabilities.  Entering G pays 1, everything else 0.  Holes and the goal
 * end Gymnasium's episode; here they are absorbing (every action stays and
 * pays 0), which gives the same returns.
 *
 * Time: Gymnasium wraps FrozenLake-v1 in a TimeLimit of 100 steps and
 * FrozenLake8x8-v1 in one of 200, so the horizon defaults to 100 for 4x4
 * and 200 for 8x8 unless horizon or gamma is set. */
#include "tabrl/env.h"
#include "tabrl/error.h"

static const tabrl_param frozenlake_params[] = {
    {"map", TABRL_CHOICE, "4x4", "4x4|8x8",
     "Gymnasium's standard map (horizon defaults to 100 for 4x4, 200 for 8x8)"},
    {"slippery", TABRL_BOOL, "true", NULL,
     "slippery ice: intended move or either perpendicular one, 1/3 each"},
    TABRL_ENV_TIME_PARAMS("", ""),
    {0},
};

static const char *const map_4x4[] = {"SFFF", "FHFH", "FFFH", "HFFG"};
static const char *const map_8x8[] = {"SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
                                      "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"};

static int frozenlake_build(const tabrl_values *v, tabrl_mdp **out)
{
  static const int row_step[4] = {0, 1, 0, -1}, col_step[4] = {-1, 0, 1, 0};
  int big = tabrl_values_choice(v, "map") == 1, slippery = tabrl_values_bool(v, "slippery");
  const char *const *rows = big ? map_8x8 : map_4x4;
  int n = big ? 8 : 4, S = n * n, horizon, status;
  char cells[64];
  int state_of_cell[64];
  double gamma;
  tabrl_mdp_builder *b;

  if (!tabrl_values_explicit(v, "horizon") && !tabrl_values_explicit(v, "gamma")) {
    horizon = big ? 200 : 100;
    gamma = 1.0;
  } else if ((status = tabrl_env_time(v, &horizon, &gamma))) {
    return status;
  }
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++) {
      cells[r * n + c] = rows[r][c];
      state_of_cell[r * n + c] = r * n + c;
    }
  if (!(b = tabrl_mdp_builder_alloc(S, 4, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < S; s++) {
    int r = s / n, c = s % n;
    for (int a = 0; a < 4; a++) {
      if (cells[s] == 'H' || cells[s] == 'G') {
        tabrl_mdp_builder_add(b, 0, s, a, s, 1.0, 0.0);
        continue;
      }
      for (int k = slippery ? -1 : 0; k <= (slippery ? 1 : 0); k++) {
        int dir = (a + k + 4) % 4;
        int nr = r + row_step[dir], nc = c + col_step[dir];
        /* Gymnasium clamps each coordinate to the map. */
        nr = nr < 0 ? 0 : nr > n - 1 ? n - 1 : nr;
        nc = nc < 0 ? 0 : nc > n - 1 ? n - 1 : nc;
        int next = nr * n + nc;
        tabrl_mdp_builder_add(b, 0, s, a, next, slippery ? 1.0 / 3.0 : 1.0,
                              cells[next] == 'G' ? 1.0 : 0.0);
      }
    }
  }
  status = tabrl_mdp_builder_set_grid(b, n, n, cells, state_of_cell, "<v>^");
  if (!status) status = tabrl_mdp_builder_set_name(b, "frozenlake");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_frozenlake = {
    .name = "frozenlake",
    .doc = "Gymnasium's FrozenLake-v1: cross the (slippery) ice to the goal, avoid the holes",
    .source = "Gymnasium FrozenLake-v1 / FrozenLake8x8-v1 (toy_text/frozen_lake.py)",
    .params = frozenlake_params,
    .build = frozenlake_build,
};
