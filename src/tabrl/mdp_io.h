/* tabrl/mdp_io.h: models as CSV files.
 *
 * The format, one outcome (entry of the joint law of (s', r)) per row:
 *
 *     # tabrl mdp
 *     # states = 6
 *     # actions = 2
 *     # horizon = 20        (episodic; or "# gamma = 0.9" for discounted)
 *     # mu0 = 0:1           (start distribution as s:p pairs)
 *     # name = riverswim
 *     s,a,s_next,p,r
 *     0,0,0,1,0.005
 *     ...
 *
 * Comments.  Lines whose first non-blank character is '#' are comments.
 * Before the header, a comment of the form "# key = value" with key one of
 * states, actions, horizon, gamma, mu0, name is a setting; any other comment
 * text (including unknown keys) is ignored.  A setting given twice, both
 * horizon and gamma, or a setting after the header is an error.  Values:
 * states, actions and horizon are integers >= 1, gamma is in [0,1), mu0 is
 * whitespace-separated "s:p" pairs (other states get 0; the pairs must sum to
 * 1 within 1e-9; default all mass on state 0), name is the rest of the line.
 * Blank lines are ignored everywhere; trailing '\r' (CRLF files), spaces
 * around fields and a leading UTF-8 byte-order mark are tolerated.
 *
 * Header.  The first other line names the columns, comma-separated, in any
 * order: s, a, s_next, p, r, and h for stage-dependent models.  A model
 * with a d-dimensional vector reward (tabrl_mdp.reward_vec) adds the columns
 * r1, ..., rd (written after r; 1 <= d <= TABRL_MDP_MAX_REWARD_DIM, all of
 * r1..rd present); r stays the scalar reward every objective uses.  An
 * unknown, missing or repeated column is an error.
 *
 * Rows.  h, s, a and s_next are non-negative integers, p a probability in
 * [0,1] and r a finite number (strtod syntax); every row has one field per
 * column.  With `# states` / `# actions` the indices must be below them;
 * without, the counts are the largest index + 1 (states over s and s_next).
 * Rows sharing (h,s,a,s_next) with different r form a joint distribution
 * (a Bernoulli reward is two rows); a row repeating (h,s,a,s_next,r), and
 * r1..rd when present, exactly is an error naming both lines.  The vector
 * columns are finite numbers like r; an absorbing state's loop has the
 * zero vector.  The probabilities of each
 * (h,s,a) must sum to 1 within TABRL_PROB_TOL.  A state with no rows at all
 * (in a stage) is absorbing: every action loops to it with p = 1, r = 0.  An
 * action with no rows in a state that has rows is invalid there.
 *
 * Time.  The arguments of tabrl_mdp_read_csv decide first (horizon > 0:
 * episodic; else gamma >= 0: discounted), then `# horizon` or `# gamma`,
 * then, for a file with an h column, the horizon max h + 1.  With an h column
 * the model is stage-dependent with H stages and every h must be in [0,H)
 * (stages with no rows make every state absorbing); a discounted model
 * accepts an h column only if every h is 0.
 *
 * Numbers use the C locale's syntax (decimal point '.'); tabrl never calls
 * setlocale, and a program that changes LC_NUMERIC must restore "C" around
 * these calls.
 *
 * Not part of the format: features, the hidden parameter theta, reward
 * noise and grid maps.  The writer drops them, so a written model read back
 * equals the original in outcomes, time, mu0 and name only. */
#ifndef TABRL_MDP_IO_H
#define TABRL_MDP_IO_H

#include <stdio.h>
#include "tabrl/mdp.h"

#pragma GCC visibility push(default)

/* Reads the model in path.  horizon > 0 or gamma >= 0 override what the
 * file says (not both); otherwise the file decides, and a file with neither
 * is an error asking for --horizon or --gamma.  Errors: TABRL_EIO
 * ("path: strerror") when the file cannot be read, TABRL_EINVAL with
 * "path:line: what is wrong" for bad contents, TABRL_ENOMEM. */
int tabrl_mdp_read_csv(const char *path, int horizon, double gamma, tabrl_mdp **out);

/* Writes m (outcomes, time, mu0 and name; not features, noise or grid) to
 * stream in the format above, numbers with 17 significant digits so a read
 * gives back the same doubles.  TABRL_EIO on a write error. */
int tabrl_mdp_write_csv_stream(const tabrl_mdp *m, FILE *f);

/* Writes to "path.tmp.<pid>", fsyncs and renames it to path, so a reader
 * never sees a half-written file; on any error the temporary is removed
 * and TABRL_EIO returned with "path: strerror". */
int tabrl_mdp_write_csv(const tabrl_mdp *m, const char *path);

#pragma GCC visibility pop

#endif
