/* The exact optimum of a constrained MDP by linear programming over
 * occupancy measures (Altman 1999, "Constrained Markov Decision Processes",
 * Thm 3.3 / Ch. 3.5 for the discounted LP; the episodic one is its
 * finite-horizon form); see tabrl/oracle.h.
 *
 * Episodic, variables q_h(s,a) >= 0 for the valid (h, s, a):
 *   max  sum q_h(s,a) r_h(s,a)
 *   s.t. sum_a q_0(s,a) = mu0(s),
 *        sum_a q_{h+1}(s',a) = sum_{s,a} P_h(s'|s,a) q_h(s,a),
 *        sum q_h(s,a) c_h(s,a) <= B.
 * Discounted, variables d(s,a) >= 0 (unnormalised: sum d = 1/(1 - gamma),
 * so that the objective is V(mu0) as tabrl_oracle_start_value gives it
 * rather than (1 - gamma) V):
 *   sum_a d(s',a) - gamma sum_{s,a} P(s'|s,a) d(s,a) = mu0(s').
 * Any optimal q gives an optimal policy pi(a|h,s) = q_h(s,a) / sum_a q_h(s,a)
 * (Altman, Thm 3.3); it may randomise, in at most one state per active
 * constraint at a basic solution.
 *
 * GLPK's primal simplex rather than a hand-written one (as in game.c): the
 * LP has one column per valid (h, s, a) and must stay exact to ~1e-12 on
 * models of thousands of states, where a dense tableau is too slow. */
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tabrl/error.h"
#include "tabrl/oracle.h"

struct lp {
  glp_prob *P;
  int rows, cols, cost_row;
  int *col_block; /* per column (1-based): stage * S * A + s * A + a */
};

/* Adds coefficient v of row i to the column being built, merging repeats
 * (GLPK refuses duplicate (row, column) pairs). */
static void put(int *ind, double *val, int *len, int *slot, int i, double v)
{
  if (slot[i] < 0) {
    slot[i] = ++*len;
    ind[*len] = i;
    val[*len] = 0;
  }
  val[slot[i]] += v;
}

static void lp_free(struct lp *lp)
{
  if (lp->P) glp_delete_prob(lp->P);
  free(lp->col_block);
}

static int lp_build(const tabrl_mdp *m, double budget, struct lp *lp)
{
  int S = m->S, A = m->A, H = tabrl_mdp_value_stages(m), episodic = m->horizon > 0;
  int *ind = NULL, *slot = NULL, status = 0;
  double *val = NULL;

  memset(lp, 0, sizeof *lp);
  lp->rows = H * S + 1;
  lp->cost_row = lp->rows;
  lp->col_block = malloc(((size_t)H * (size_t)S * (size_t)A + 1) * sizeof *lp->col_block);
  /* a column touches its own row, at most one row per entry, the cost row */
  ind = malloc(((size_t)S + 3) * sizeof *ind);
  val = malloc(((size_t)S + 3) * sizeof *val);
  slot = malloc(((size_t)lp->rows + 1) * sizeof *slot);
  if (!lp->col_block || !ind || !val || !slot) {
    status = tabrl_error(TABRL_ENOMEM, "out of memory building the CMDP linear program");
    goto done;
  }
  for (int i = 0; i <= lp->rows; i++) slot[i] = -1;
  lp->P = glp_create_prob();
  glp_set_obj_dir(lp->P, GLP_MAX);
  glp_add_rows(lp->P, lp->rows);
  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++) {
      double rhs = h == 0 || !episodic ? m->mu0[s] : 0.0;
      glp_set_row_bnds(lp->P, h * S + s + 1, GLP_FX, rhs, rhs);
    }
  glp_set_row_bnds(lp->P, lp->cost_row, GLP_UP, 0.0, budget);

  for (int h = 0; h < H; h++)
    for (int s = 0; s < S; s++)
      for (int a = 0; a < A; a++) {
        size_t b = tabrl_mdp_block(m, h, s, a);
        double cost = 0;
        int len = 0, j;
        if (m->row[b + 1] == m->row[b]) continue;
        j = glp_add_cols(lp->P, 1);
        lp->col_block[j] = (h * S + s) * A + a;
        glp_set_col_bnds(lp->P, j, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp->P, j, m->mean_reward[b]);
        put(ind, val, &len, slot, h * S + s + 1, 1.0);
        for (size_t k = m->row[b]; k < m->row[b + 1]; k++) {
          cost += m->prob[k] * m->cost[k];
          if (!episodic)
            put(ind, val, &len, slot, m->next[k] + 1, -m->gamma * m->prob[k]);
          else if (h + 1 < H)
            put(ind, val, &len, slot, (h + 1) * S + m->next[k] + 1, -m->prob[k]);
        }
        if (cost != 0) put(ind, val, &len, slot, lp->cost_row, cost);
        for (int i = 1; i <= len; i++) slot[ind[i]] = -1;
        glp_set_mat_col(lp->P, j, len, ind, val);
      }
  lp->cols = glp_get_num_cols(lp->P);

done:
  free(ind);
  free(val);
  free(slot);
  return status;
}

static int lp_solve(struct lp *lp)
{
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  /* scaling keeps the simplex accurate when costs and rewards differ in
   * magnitude by orders */
  glp_scale_prob(lp->P, GLP_SF_AUTO);
  return glp_simplex(lp->P, &parm);
}

static int solve(const tabrl_mdp *m, double budget, tabrl_policy *pi, tabrl_cmdp_solution *sol)
{
  int S = m->S, A = m->A, H = tabrl_mdp_value_stages(m), status, ret;
  struct lp lp;
  double *mass = NULL;

  if (!m->cost) return tabrl_error(TABRL_EINVAL, "the constrained-MDP LP needs a model with costs");
  if (!isfinite(budget))
    return tabrl_error(TABRL_EINVAL, "the cost budget %g is not finite", budget);
  if (pi && (pi->S != S || pi->A != A || pi->stages != H))
    return tabrl_error(TABRL_EINVAL,
                       "the CMDP policy is %d x %d with %d stages, the model needs "
                       "%d x %d with %d",
                       pi->S, pi->A, pi->stages, S, A, H);
  if ((status = lp_build(m, budget, &lp))) {
    lp_free(&lp);
    return status;
  }
  ret = lp_solve(&lp);
  if (ret == 0 && glp_get_status(lp.P) == GLP_NOFEAS) {
    /* Report how far the budget is from feasible: the least expected cost
     * of any policy, by the same LP minimising the cost without a budget. */
    double least;
    for (int j = 1; j <= lp.cols; j++) glp_set_obj_coef(lp.P, j, 0.0);
    {
      int len = glp_get_mat_row(lp.P, lp.cost_row, NULL, NULL);
      int *ind = malloc(((size_t)len + 1) * sizeof *ind);
      double *val = malloc(((size_t)len + 1) * sizeof *val);
      if (!ind || !val) {
        free(ind);
        free(val);
        lp_free(&lp);
        return tabrl_error(TABRL_ENOMEM, "out of memory in the CMDP linear program");
      }
      glp_get_mat_row(lp.P, lp.cost_row, ind, val);
      for (int i = 1; i <= len; i++) glp_set_obj_coef(lp.P, ind[i], val[i]);
      free(ind);
      free(val);
    }
    glp_set_obj_dir(lp.P, GLP_MIN);
    glp_set_row_bnds(lp.P, lp.cost_row, GLP_FR, 0.0, 0.0);
    least = lp_solve(&lp) == 0 && glp_get_status(lp.P) == GLP_OPT ? glp_get_obj_val(lp.P) : NAN;
    lp_free(&lp);
    return tabrl_error(TABRL_EINVAL,
                       "cost budget %.17g is infeasible: every policy's expected cost is at "
                       "least %.17g",
                       budget, least);
  }
  if (ret != 0 || glp_get_status(lp.P) != GLP_OPT) {
    lp_free(&lp);
    return tabrl_error(TABRL_ENUMERIC, "the CMDP linear program failed (GLPK simplex status %d)",
                       ret);
  }
  if (sol) {
    sol->value = glp_get_obj_val(lp.P);
    sol->cost = glp_get_row_prim(lp.P, lp.cost_row);
    /* GLPK's row dual is d value / d budget, >= 0 for a maximisation with
     * an upper bound: the multiplier lambda* of max_pi V_r - lambda (C - B). */
    sol->lambda = fmax(0.0, glp_get_row_dual(lp.P, lp.cost_row));
  }
  if (pi) {
    mass = calloc((size_t)H * (size_t)S, sizeof *mass);
    if (!mass) {
      lp_free(&lp);
      return tabrl_error(TABRL_ENOMEM, "out of memory in the CMDP linear program");
    }
    memset(pi->prob, 0, (size_t)H * (size_t)S * (size_t)A * sizeof *pi->prob);
    for (int j = 1; j <= lp.cols; j++) {
      double q = fmax(0.0, glp_get_col_prim(lp.P, j));
      pi->prob[lp.col_block[j]] = q;
      mass[lp.col_block[j] / A] += q;
    }
    for (int hs = 0; hs < H * S; hs++) {
      double *row = pi->prob + (size_t)hs * (size_t)A;
      if (mass[hs] > 0) {
        for (int a = 0; a < A; a++) row[a] /= mass[hs];
      } else {
        /* unreached (h, s): any choice is optimal; take the first valid
         * action so that the policy is defined everywhere */
        int h = hs / S, s = hs % S;
        for (int a = 0; a < A; a++)
          if (tabrl_mdp_valid(m, h, s, a)) {
            row[a] = 1.0;
            break;
          }
      }
    }
    free(mass);
  }
  lp_free(&lp);
  return 0;
}

/* GLPK prints scaling reports through its terminal hook: the library must
 * not print, so its output is off during the call.  GLPK keeps a per-thread
 * environment that it never frees by itself; a runner thread that solved
 * the LP would leak it at exit, so the call frees it (glp_free_env) and
 * leaves no GLPK state behind: a caller holding GLPK objects of its own on
 * the same thread must not call this. */
int tabrl_oracle_cmdp_lp(const tabrl_mdp *m, double budget, tabrl_policy *pi,
                         tabrl_cmdp_solution *sol)
{
  glp_term_out(GLP_OFF);
  int status = solve(m, budget, pi, sol);
  glp_free_env();
  return status;
}
