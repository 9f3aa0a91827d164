/* tabrl/rng.h: PCG32 random numbers (O'Neill 2014, pcg-random.org).
 *
 * pcg32 = 64-bit LCG state, XSH-RR output, selectable stream (the increment).
 * The generator is also registered as a gsl_rng_type so every gsl_ran_*
 * sampler can draw from it.  Streams for the parts of one run are derived
 * from (seed, purpose) so that, for example, every algorithm facing seed 3
 * sees the same random MDP instance (common random numbers) while its own
 * exploration noise stays independent. */
#ifndef TABRL_RNG_H
#define TABRL_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#pragma GCC visibility push(default)

typedef struct {
  uint64_t state;
  uint64_t inc; /* always odd */
} tabrl_pcg32;

/* pcg32_srandom_r: initstate picks the starting point, initseq the stream. */
void tabrl_pcg32_seed(tabrl_pcg32 *rng, uint64_t initstate, uint64_t initseq);

static inline uint32_t tabrl_pcg32_next(tabrl_pcg32 *rng)
{
  uint64_t old = rng->state;
  rng->state = old * 6364136223846793005ULL + rng->inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Uniform double in [0,1) with 53 random bits (two outputs). */
static inline double tabrl_pcg32_uniform(tabrl_pcg32 *rng)
{
  uint64_t hi = tabrl_pcg32_next(rng) >> 5, lo = tabrl_pcg32_next(rng) >> 6;
  return (double)(hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0);
}

/* Unbiased integer in [0, n), n >= 1 (pcg32_boundedrand_r). */
uint32_t tabrl_pcg32_below(tabrl_pcg32 *rng, uint32_t n);

/* What a stream is used for; part of the stream key. */
typedef enum {
  TABRL_STREAM_ENV = 1,         /* drawing the environment instance */
  TABRL_STREAM_TRANSITIONS = 2, /* next states and rewards */
  TABRL_STREAM_ALGO = 3,        /* the algorithm's own randomness */
  TABRL_STREAM_POLICY = 4,      /* sampling actions of a stochastic policy */
  TABRL_STREAM_DATASET = 5,     /* offline datasets */
  TABRL_STREAM_FEEDBACK = 6,    /* preference bits */
  TABRL_STREAM_STATS = 7,       /* bootstrap resampling in summaries */
  TABRL_STREAM_SCHEDULE = 8     /* the oblivious adversary of a reward schedule */
} tabrl_stream_purpose;

/* Seeds rng with a stream derived from (seed, purpose, index) by a
 * splitmix64 hash: distinct keys give unrelated streams. */
void tabrl_rng_stream(tabrl_pcg32 *rng, uint64_t seed, tabrl_stream_purpose purpose,
                      uint64_t index);

/* PCG32 as a GSL generator (gsl_rng_set(r, s) seeds state s, stream 0x5eed). */
extern const gsl_rng_type *tabrl_gsl_rng_pcg32;

/* A gsl_rng over the same derived stream as tabrl_rng_stream; NULL on OOM. */
gsl_rng *tabrl_gsl_rng_stream(uint64_t seed, tabrl_stream_purpose purpose, uint64_t index);

/* The PCG32 state inside a gsl_rng made from tabrl_gsl_rng_pcg32. */
tabrl_pcg32 *tabrl_gsl_rng_pcg32_state(gsl_rng *r);

#pragma GCC visibility pop

#endif
