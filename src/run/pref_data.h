/* Private to the runner and the experiment loader: the dataset of the
 * offline-preference protocol (tabrl_pref_data), read from a file or drawn
 * through the feedback layer, with the arrays it points to. */
#ifndef TABRL_RUN_PREF_DATA_H
#define TABRL_RUN_PREF_DATA_H

#include <gsl/gsl_rng.h>
#include "tabrl/algo.h"
#include "tabrl/feedback.h"

typedef struct {
  tabrl_pref_data data; /* points into the arrays below */
  int *context, *chosen, *rejected;
  double *reference;
} pref_dataset;

/* Reads path (header context,chosen,rejected; blank and # lines skipped),
 * each index checked against m (contexts = states, responses = actions
 * valid at stage 0): errors are PATH:LINE: what, TABRL_EINVAL. */
int pref_dataset_read(const char *path, const tabrl_mdp *m, pref_dataset *out);

/* n comparisons: a context from mu0 and two responses from the reference
 * (data stream), labelled by the preference matrix of m when it has one
 * (P(first beats second)), otherwise by f on the two responses' mean
 * rewards (one-step trajectories), one uniform each from fb. */
int pref_dataset_draw(const tabrl_mdp *m, const tabrl_feedback *f, long n, gsl_rng *data,
                      gsl_rng *fb, pref_dataset *out);

/* No comparisons, only the reference of m (uniform unless m has one): what
 * online types with uses_reference are given. */
int pref_dataset_reference(const tabrl_mdp *m, pref_dataset *out);

void pref_dataset_free(pref_dataset *d);

#endif
