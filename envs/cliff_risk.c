/* A small risky gridworld on which the mean-, entropic- and CVaR-optimal
 * paths are three different rows.
 *
 *   row 0   . . . . . .     safe
 *   row 1   . R R R R .     frequent small losses (q_middle, loss_middle)
 *   row 2   S R R R R G     rare large losses (q, loss): a cliff's edge
 *
 * A 3 x 6 grid, states row * 6 + col (all 18 cells), start S = (2,0) =
 * state 12, goal G = (2,5) = state 17, risky cells R = (1,1)..(1,4) and
 * (2,1)..(2,4).  Actions 0 up, 1 right, 2 down, 3 left (cliffwalking's
 * order), deterministic; a move off the grid stays in place.  A move into G
 * pays goal_reward; any other move pays step_reward, and a move that ends on
 * a risky cell (staying on one included) adds, with the probability of its
 * row, that row's loss (a slip; the agent keeps its place).  G is absorbing
 * with reward 0.  Positions are deterministic, only the rewards are random.
 *
 * Three paths from S (defaults: step -1, goal 1, bottom q 0.05, loss -8,
 * middle q_middle 0.25, loss_middle -1):
 *   bottom: right x5 (5 moves): G = -3 - 8 K, K ~ Binomial(4, 0.05);
 *   middle: up, right x5, down (7 moves): G = -5 - M, M ~ Binomial(4, 0.25);
 *   top:    up x2, right x5, down x2 (9 moves): G = -7, surely.
 * Any path to G crosses columns 1..4, in rows 1 or 2 unless it spends the
 * top path's 9 moves; mixing rows adds moves and risky cells to one of
 * these three, so they decide.
 *   mean:     bottom -3 - 4 (0.05)(8) = -4.6; middle -5 - 4 (0.25) = -6;
 *             top -7: the bottom row.
 *   entropic, b = -1, ERM(G) = (1/b) log E e^(bG), additive over the
 *             independent slips: a cell with slip probability q and loss L
 *             costs (1/b) log(1 - q + q e^(bL)):
 *             bottom -3 - 4 log(0.95 + 0.05 e^8) = -3 - 4 (5.0106) = -23.04;
 *             middle -5 - 4 log(0.75 + 0.25 e) = -5 - 4 (0.35737) = -6.4295;
 *             top -7: the middle row (E e^(-slip loss) of a cell is
 *             0.95 + 0.05 e^8 = 150 on the bottom row, 0.75 + 0.25 e = 1.43
 *             on the middle one: the rare -8 dominates).
 *   CVaR, alpha = 0.1 (the mean of the worst 10% of returns):
 *             bottom: P(K >= 1) = 0.185 > 0.1, so the tail is K=4 6.25e-6
 *             (-35), K=3 4.75e-4 (-27), K=2 0.0135375 (-19), K=1 the rest
 *             0.08598125 (-11): -12.1605;
 *             middle: M=4 0.00390625 (-9), M=3 0.046875 (-8), M=2 the rest
 *             0.04921875 (-7): -7.546875;
 *             top -7: the top row.  History-dependent policies (the
 *             stock-augmented optimum) do not change that: by dynamic
 *             programming over (cell, stage, accumulated reward) for each
 *             threshold c, the best that starts right gets -10.0082, the best
 *             that starts up, right gets -7.4297, so the optimum is -7 at c = -7.
 * At b = -1 entropic ranks middle over top while CVaR_0.1 ranks top over
 * middle: the entropic risk of a cell depends on the whole law (the frequent
 * -1 is cheap), the 10% tail of the middle row holds two or more slips.
 * With q = 0.5 the mean prefers the middle row (bottom -3 - 16 = -19).
 * All rewards are integers at the defaults: a finite reward grid, as CVaR
 * needs.
 *
 * Episodic, horizon 20 by default: every path fits with room to spare. */
#include "tabrl/env.h"
#include "tabrl/error.h"

enum { CR_ROWS = 3, CR_COLS = 6, CR_START = 2 * CR_COLS, CR_GOAL = 2 * CR_COLS + CR_COLS - 1 };

static const tabrl_param cliff_risk_params[] = {
    {"q", TABRL_DOUBLE, "0.05", "[0,1]", "probability of a slip on entering a bottom-row cell R"},
    {"loss", TABRL_DOUBLE, "-8", "(-inf,inf)", "reward added by a bottom-row slip"},
    {"q_middle", TABRL_DOUBLE, "0.25", "[0,1]",
     "probability of a slip on entering a middle-row cell R"},
    {"loss_middle", TABRL_DOUBLE, "-1", "(-inf,inf)", "reward added by a middle-row slip"},
    {"step_reward", TABRL_DOUBLE, "-1", "(-inf,inf)", "reward of a move not into G"},
    {"goal_reward", TABRL_DOUBLE, "1", "(-inf,inf)", "reward of the move into the goal G"},
    TABRL_ENV_TIME_PARAMS("20", ""),
    {0},
};

/* Rows 1 and 2 are risky between the first and last columns. */
static int is_risky(int r, int c)
{
  return r > 0 && c > 0 && c < CR_COLS - 1;
}

static int cliff_risk_build(const tabrl_values *v, tabrl_mdp **out)
{
  static const int row_step[4] = {-1, 0, 1, 0}, col_step[4] = {0, 1, 0, -1};
  double q[CR_ROWS] = {0, tabrl_values_double(v, "q_middle"), tabrl_values_double(v, "q")};
  double loss[CR_ROWS] = {0, tabrl_values_double(v, "loss_middle"), tabrl_values_double(v, "loss")};
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
        tabrl_mdp_builder_add(b, 0, s, a, next, 1.0 - q[nr], step_reward);
        tabrl_mdp_builder_add(b, 0, s, a, next, q[nr], step_reward + loss[nr]);
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
    .doc = "3x6 grid, three rows to the goal: the short bottom row past cliff-edge cells (rare "
           "large slips q, loss), the middle row (frequent small slips q_middle, loss_middle) or "
           "the long safe top row; at the defaults the mean takes the bottom, entropic:-1 the "
           "middle, cvar:0.1 the top",
    .source = "tabrl (designed for the risk-sensitive objectives; arithmetic in envs/cliff_risk.c)",
    .params = cliff_risk_params,
    .build = cliff_risk_build,
};
