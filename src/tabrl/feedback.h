/* tabrl/feedback.h: the preference-feedback layer.
 *
 * Given two trajectories with scores G1 and G2 (their returns), the oracle
 * prefers the first with probability link((G1 - G2) / temperature):
 * logistic (Bradley-Terry) 1 / (1 + e^-x), probit (Thurstone) Phi(x),
 * linear clip((1 + x) / 2, 0, 1), deterministic 1{x > 0} (1/2 on ties). */
#ifndef TABRL_FEEDBACK_H
#define TABRL_FEEDBACK_H

#pragma GCC visibility push(default)

typedef enum {
  TABRL_LINK_LOGISTIC = 0,
  TABRL_LINK_PROBIT,
  TABRL_LINK_LINEAR,
  TABRL_LINK_DETERMINISTIC
} tabrl_link;

/* The link named as in experiment files; -1 if unknown. */
int tabrl_link_from_name(const char *name);

double tabrl_link_prob(tabrl_link link, double x);

#pragma GCC visibility pop

#endif
