/* A small risky gridworld on which the mean-optimal path and a risk-averse
 * path differ (for the risk-sensitive objectives: entropic, CVaR).
 *
 *   row 0   . . . . . .
 *   row 1   . . . . . .
 *   row 2   S R R R R G
 *
 * A 3 x 6 grid, states row * 6 + col (all 18 cells), start S = (2,0) =
 * state 12, goal G = (2,5) = state 17, risky cells R = (2,1)..(2,4), the
 * edge of a cliff below row 2.  Actions 0 up, 1 right, 2 down, 3 left
 * (cliffwalking's order), deterministic; a move off the grid stays in
 * place.  A move into G pays goal_reward; any other move pays step_reward,
 * and a move that ends on a risky cell (staying on one included) adds, with
 * probability q, the loss `loss` (a slip at the cliff's edge; the agent
 * keeps its place).  G is absorbing with reward 0.
 *
 * Two paths from S (defaults: step -1, goal 1, q 0.05, loss -8):
 *   short: right x5 through the 4 risky cells: G = -4 + 1 + loss K,
 *          K ~ Binomial(4, q) the number of slips;
 *   long:  up, right x5, down (row 1 is safe): G = -6 + 1 = -5, surely.
 * Any other path to G costs at least the long path's 7 moves, and paths
 * that touch R as well are worse than the long one; so these two decide.
 *   mean: short -3 + 4 q loss = -3 - 1.6 = -4.6 > -5: short is optimal
 *         (it stays so while 4 q |loss| < 2, i.e. q < 1/16 at loss -8);
 *   entropic, b = -1: short -3 + 4 (1/b) log(1 - q + q e^(b loss))
 *         = -3 - 4 log(0.95 + 0.05 e^8) = -3 - 20.04 = -23.04 < -5: long;
 *   CVaR at alpha = 0.1 (mean of the worst 10%): P(K >= 1) = 1 - 0.95^4
 *         = 0.185 > 0.1, so the worst 10% all slip at least once:
 *         P(K=4) = 6.25e-6 (-35), P(K=3) = 4.75e-4 (-27), P(K=2) =
 *         0.0135375 (-19), K=1 fills the rest 0.08598125 (-11): CVaR =
 *         -12.16 < -5: long.
 * With q = 0.5 the mean already prefers the long path (-3 - 16 = -19).
 * All rewards are multiples of 1 at the defaults: a finite reward grid.
 *
 * Episodic, horizon 20 by default: both paths fit with room to spare. */
#include "tabrl/env.h"
#include "tabrl/error.h"

enum { CR_ROWS = 3, CR_COLS = 6, CR_START = 2 * CR_COLS, CR_GOAL = 2 * CR_COLS + CR_COLS - 1 };

static const tabrl_param cliff_risk_params[] = {
    {"q", TABRL_DOUBLE, "0.05", "[0,1]", "probability of a slip on entering a risky cell R"},
    {"loss", TABRL_DOUBLE, "-8", "(-inf,inf)", "reward added by a slip"},
    {"step_reward", TABRL_DOUBLE, "-1", "(-inf,inf)", "reward of a move not into G"},
    {"goal_reward", TABRL_DOUBLE, "1", "(-inf,inf)", "reward of the move into the goal G"},
    TABRL_ENV_TIME_PARAMS("20", ""),
    {0},
};

static int is_risky(int r, int c)
{
  return r == CR_ROWS - 1 && c > 0 && c < CR_COLS - 1;
}

static int cliff_risk_build(const tabrl_values *v, tabrl_mdp **out)
{
  static const int row_step[4] = {-1, 0, 1, 0}, col_step[4] = {0, 1, 0, -1};
  double q = tabrl_values_double(v, "q"), loss = tabrl_values_double(v, "loss");
  double step_reward = tabrl_values_double(v, "step_reward");
  double goal_reward = tabrl_values_double(v, "goal_reward"), gamma;
  char cells[CR_ROWS * CR_COLS];
  int state_of_cell[CR_ROWS * CR_COLS], horizon, status;
  double mu0[CR_ROWS * CR_COLS] = {0};
  tabrl_mdp_builder *b;

  if ((status = tabrl_env_time(v, &horizon, &gamma))) return status;
  if (!(b = tabrl_mdp_builder_alloc(CR_ROWS * CR_COLS, 4, 1))) return TABRL_ENOMEM;
  tabrl_mdp_builder_set_time(b, horizon, gamma);
  for (int s = 0; s < CR_ROWS * CR_COLS; s++) {
    int r = s / CR_COLS, c = s % CR_COLS;
    cells[s] = s == CR_START ? 'S' : s == CR_GOAL ? 'G' : is_risky(r, c) ? 'R' : '.';
    state_of_cell[s] = s;
    for (int a = 0; a < 4; a++) {
      int nr = r + row_step[a], nc = c + col_step[a], next;
      if (s == CR_GOAL) {
        tabrl_mdp_builder_add(b, 0, s, a, s, 1.0, 0.0);
        continue;
      }
      nr = nr < 0 ? 0 : nr > CR_ROWS - 1 ? CR_ROWS - 1 : nr;
      nc = nc < 0 ? 0 : nc > CR_COLS - 1 ? CR_COLS - 1 : nc;
      next = nr * CR_COLS + nc;
      if (next == CR_GOAL) {
        tabrl_mdp_builder_add(b, 0, s, a, next, 1.0, goal_reward);
      } else if (is_risky(nr, nc)) {
        /* Two entries to the same cell: the builder keeps rewards apart
         * (it merges only exact repeats) and drops a zero-mass one. */
        tabrl_mdp_builder_add(b, 0, s, a, next, 1.0 - q, step_reward);
        tabrl_mdp_builder_add(b, 0, s, a, next, q, step_reward + loss);
      } else {
        tabrl_mdp_builder_add(b, 0, s, a, next, 1.0, step_reward);
      }
    }
  }
  mu0[CR_START] = 1.0;
  status = tabrl_mdp_builder_set_mu0(b, mu0);
  if (!status)
    status = tabrl_mdp_builder_set_grid(b, CR_ROWS, CR_COLS, cells, state_of_cell, "^>v<");
  if (!status) status = tabrl_mdp_builder_set_name(b, "cliff-risk");
  if (!status) status = tabrl_mdp_builder_finish(b, out);
  tabrl_mdp_builder_free(b);
  return status;
}

const tabrl_env_type tabrl_env_cliff_risk = {
    .name = "cliff-risk",
    .doc = "3x6 grid: a short path past cliff-edge cells that slip with probability q, or a "
           "safe detour",
    .source = "tabrl (designed for the risk-sensitive objectives; arithmetic in envs/cliff_risk.c)",
    .params = cliff_risk_params,
    .build = cliff_risk_build,
};
