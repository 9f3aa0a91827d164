/* Private: wall-clock seconds from a monotonic clock, for elapsed_s, the
 * progress bar and the bench. */
#ifndef TABRL_CLOCK_H
#define TABRL_CLOCK_H

#include <time.h>

static inline double tabrl_now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
