/* Deep sea from bsuite: Osband et al. (2020, ICLR), "Behaviour Suite for
 * Reinforcement Learning", environment deep_sea (bsuite/environments/
 * deep_sea.py, deterministic version); first in Osband, Van Roy, Russo,
 * Wen (2019, JMLR), "Deep exploration via randomized value functions".
 *
 * An N x N grid; the agent starts in the top-left cell (row 0, column 0)
 * and every step moves one row down and one column left or right (clamped
 * at the edges).  Moving right costs 0.01/N; moving right from the
 * bottom-right cell pays 1 more.  So the only positive return, 1 - 0.01 =
 * 0.99, needs N right moves in a row, while "always left" earns 0.
 * (bsuite's code pays the 1 for moving right anywhere in the last column;
 * only the bottom-right cell of that column is reachable, at step N-1, so
 * paying it there alone changes no reachable outcome.)
 *
 * With `randomize` (bsuite's default) which action means "right" is drawn
 * per cell, as bsuite's action_mapping: action 1 means right unless the
 * cell's coin (probability 1/2, from the env seed) flips it.
 *
 * States: the N*N cells in row-major order, state r*N + c, plus one
 * absorbing end state N*N (zero reward) reached by the step out of the
 * bottom row: bsuite's episode ends after exactly N steps, which is the
 * default horizon; the end state keeps the model meaningful under a longer
 * horizon or a discount.  A cell in row r is only reachable at step r. */
#include <stdlib.h>
#include "tabrl/env.h"
#include "tabrl/error.h"
#include "tabrl/rng.h"

static const tabrl_param deepsea_params[] = {
    {"size", TABRL_INT, "10", "[1,20000]",
     "N: the grid is N x N; horizon defaults to N (bsuite episode)"},
    {"randomize", TABRL_BOOL, "true", NULL,
     "flip the meaning of the two actions per cell (drawn from seed), as bsuite"},
    {"move_cost", TABRL_DOUBLE, "0.01", "[0,inf)",
     "unscaled cost of moving right (bsuite's unscaled_move_cost); each right move costs "
     "move_cost/N"},
    {"seed", TABRL_INT, "0", "[0,inf)", "seed of the action mapping (stream env)"},
    TABRL_ENV_TIME_PARAMS("", ""),
    {0},
};

static int deepsea_build(const tabrl_values *v, tabrl_mdp **out)
{
  int n = (int)tabrl_values_int(v, "size"), horizon, status;
  int randomize = tabrl_values_bool(v, "randomize");
  double move_cost = tabrl_values_double(v, "move_cost") / n, gamma;
  uint64_t seed = (uint64_t)tabrl_values_int(v, "seed");
  int cells = n * n, end = cells; /* the absorbing state after the last row */
  char *glyph_cells = NULL;
  int *state_of_cell = NULL;
  tabrl_mdp_builder *b = NULL;
  tabrl_pcg32 rng;

  /* The natural horizon depends on size, so the table's default is empty. */
  if (!tabrl_values_explicit(v, "horizon") && !tabrl_values_explicit(v, "gamma")) {
    horizon = n;
    gamma = 1.0;
  } else if ((status = tabrl_env_time(v, &horizon, &gamma))) {
    return status;
  }
  if (!(b = tabrl_mdp_builder_alloc(cells + 1, 2, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  tabrl_rng_stream(&rng, seed, TABRL_STREAM_ENV, 0);
  for (int r = 0; r < n; r++) {
    for (int c = 0; c < n; c++) {
      int s = r * n + c;
      /* One fair coin per cell in row-major order, like bsuite's
       * binomial(1, 0.5, [size, size]) mapping. */
      int right_action = randomize ? (int)tabrl_pcg32_below(&rng, 2) : 1;
      int left = c > 0 ? c - 1 : 0, right = c < n - 1 ? c + 1 : c;
      int down_left = r < n - 1 ? (r + 1) * n + left : end;
      int down_right = r < n - 1 ? (r + 1) * n + right : end;
      double right_reward = -move_cost + (r == n - 1 && c == n - 1 ? 1.0 : 0.0);
      tabrl_mdp_builder_add(b, 0, s, right_action, down_right, 1.0, right_reward);
      tabrl_mdp_builder_add(b, 0, s, 1 - right_action, down_left, 1.0, 0.0);
    }
  }
  tabrl_mdp_builder_add(b, 0, end, 0, end, 1.0, 0.0);
  tabrl_mdp_builder_add(b, 0, end, 1, end, 1.0, 0.0);

  /* The grid view shows the cells; the end state has no cell. */
  glyph_cells = malloc((size_t)cells);
  state_of_cell = malloc((size_t)cells * sizeof *state_of_cell);
  if (!glyph_cells || !state_of_cell) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory");
    goto done;
  }
  for (int s = 0; s < cells; s++) {
    glyph_cells[s] = s == 0 ? 'S' : s == cells - 1 ? 'G' : '.';
    state_of_cell[s] = s;
  }
  /* Down-left '/', down-right '\\'; with randomized actions the meaning
   * differs per cell, so the view shows the action's number instead. */
  status =
      tabrl_mdp_builder_set_grid(b, n, n, glyph_cells, state_of_cell, randomize ? "01" : "/\\");
  if (!status) status = tabrl_mdp_builder_set_name(b, "deepsea");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
done:
  free(glyph_cells);
  free(state_of_cell);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_deepsea = {
    .name = "deepsea",
    .doc = "bsuite's deep sea: N right moves in a row, each slightly costly, find the reward",
    .source = "Osband et al. 2020 (ICLR), Behaviour Suite for RL, deep_sea (deterministic)",
    .params = deepsea_params,
    .build = deepsea_build,
};
