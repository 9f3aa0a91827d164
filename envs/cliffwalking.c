/* Cliff walking, Sutton and Barto (2018), "Reinforcement Learning: An
 * Introduction", 2nd ed., Example 6.6, as Gymnasium's CliffWalking-v0
 * (gymnasium/envs/toy_text/cliffwalking.py).
 *
 * A 4 x 12 grid, states row * 12 + col (all 48 cells, as Gymnasium's
 * observation space), start (3,0) = state 36, goal (3,11) = state 47, the
 * cliff the cells (3,1)..(3,10).  Actions 0 up, 1 right, 2 down, 3 left; a
 * move off the grid stays in place.  Every move pays -1, except a move into
 * the cliff, which pays -100 and returns to the start.  The goal ends
 * Gymnasium's episode; here it is absorbing with reward 0 (entering it
 * still pays -1, as in Gymnasium).  The cliff cells keep Gymnasium's
 * ordinary moves although no move ever lands on them.
 *
 * Gymnasium sets no time limit for CliffWalking-v0; the horizon defaults to
 * 100 steps here, far above the 13 steps of the optimal path. */
#include "tabrl/env.h"
#include "tabrl/error.h"

enum { CW_ROWS = 4, CW_COLS = 12, CW_START = 3 * CW_COLS, CW_GOAL = 3 * CW_COLS + CW_COLS - 1 };

static const tabrl_param cliffwalking_params[] = {
    {"step_reward", TABRL_DOUBLE, "-1", "(-inf,inf)", "reward of an ordinary move"},
    {"cliff_reward", TABRL_DOUBLE, "-100", "(-inf,inf)",
     "reward of a move into the cliff (which returns to the start)"},
    TABRL_ENV_TIME_PARAMS("100", ""),
    {0},
};

static int is_cliff(int r, int c)
{
  return r == CW_ROWS - 1 && c > 0 && c < CW_COLS - 1;
}

static int cliffwalking_build(const tabrl_values *v, tabrl_mdp **out)
{
  static const int row_step[4] = {-1, 0, 1, 0}, col_step[4] = {0, 1, 0, -1};
  double step_reward = tabrl_values_double(v, "step_reward");
  double cliff_reward = tabrl_values_double(v, "cliff_reward"), gamma;
  char cells[CW_ROWS * CW_COLS];
  int state_of_cell[CW_ROWS * CW_COLS], horizon, status;
  double mu0[CW_ROWS * CW_COLS] = {0};
  tabrl_mdp_builder *b;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (!(b = tabrl_mdp_builder_alloc(CW_ROWS * CW_COLS, 4, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < CW_ROWS * CW_COLS; s++) {
    int r = s / CW_COLS, c = s % CW_COLS;
    cells[s] = s == CW_START ? 'S' : s == CW_GOAL ? 'G' : is_cliff(r, c) ? 'C' : '.';
    state_of_cell[s] = s;
    for (int a = 0; a < 4; a++) {
      int nr = r + row_step[a], nc = c + col_step[a];
      if (s == CW_GOAL) {
        tabrl_mdp_builder_add(b, 0, s, a, s, 1.0, 0.0);
        continue;
      }
      nr = nr < 0 ? 0 : nr > CW_ROWS - 1 ? CW_ROWS - 1 : nr;
      nc = nc < 0 ? 0 : nc > CW_COLS - 1 ? CW_COLS - 1 : nc;
      if (is_cliff(nr, nc))
        tabrl_mdp_builder_add(b, 0, s, a, CW_START, 1.0, cliff_reward);
      else
        tabrl_mdp_builder_add(b, 0, s, a, nr * CW_COLS + nc, 1.0, step_reward);
    }
  }
  mu0[CW_START] = 1.0;
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status)
    status = tabrl_mdp_builder_set_grid(b, CW_ROWS, CW_COLS, cells, state_of_cell, "^>v<");
  if (!status) status = tabrl_mdp_builder_set_name(b, "cliffwalking");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_cliffwalking = {
    .name = "cliffwalking",
    .doc = "Sutton and Barto's cliff walk: -1 a step, -100 and back to start off the cliff",
    .source = "Sutton and Barto 2018, Example 6.6; Gymnasium CliffWalking-v0",
    .params = cliffwalking_params,
    .build = cliffwalking_build,
};
