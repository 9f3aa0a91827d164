/* PCG32 (XSH-RR, 64-bit state) after pcg-c's pcg32_srandom_r / pcg32_random_r,
 * and its registration as a gsl_rng_type. */
#include <stdlib.h>
#include "tabrl/rng.h"

void tabrl_pcg32_seed(tabrl_pcg32 *rng, uint64_t initstate, uint64_t initseq)
{
  rng->state = 0u;
  rng->inc = (initseq << 1u) | 1u;
  tabrl_pcg32_next(rng);
  rng->state += initstate;
  tabrl_pcg32_next(rng);
}

uint32_t tabrl_pcg32_below(tabrl_pcg32 *rng, uint32_t n)
{
  /* pcg32_boundedrand_r: reject the lowest 2^32 mod n outputs so the modulo
   * is unbiased; matches the reference demo's coin and die rolls. */
  uint32_t threshold = (uint32_t)(-n) % n;
  for (;;) {
    uint32_t r = tabrl_pcg32_next(rng);
    if (r >= threshold) return r % n;
  }
}

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void tabrl_rng_stream(tabrl_pcg32 *rng, uint64_t seed, tabrl_stream_purpose purpose, uint64_t index)
{
  /* Hash the whole key so nearby seeds and purposes give unrelated states
   * and streams (PCG streams with nearby increments are correlated). */
  uint64_t x = seed;
  uint64_t a = splitmix64(&x);
  x ^= (uint64_t)purpose * 0xd1b54a32d192ed03ULL;
  uint64_t b = splitmix64(&x);
  x ^= index * 0x8cb92ba72f3d8dd7ULL;
  uint64_t c = splitmix64(&x);
  tabrl_pcg32_seed(rng, a ^ c, b ^ (c << 1));
}

/* ---- gsl_rng_type ---- */

static void gsl_pcg32_set(void *state, unsigned long int seed)
{
  tabrl_pcg32_seed(state, (uint64_t)seed, 0x5eedULL);
}

static unsigned long int gsl_pcg32_get(void *state)
{
  return tabrl_pcg32_next(state);
}

static double gsl_pcg32_get_double(void *state)
{
  return tabrl_pcg32_next(state) * (1.0 / 4294967296.0);
}

static const gsl_rng_type pcg32_type = {
    "pcg32",       0xffffffffUL,        0, sizeof(tabrl_pcg32), gsl_pcg32_set,
    gsl_pcg32_get, gsl_pcg32_get_double};

const gsl_rng_type *tabrl_gsl_rng_pcg32 = &pcg32_type;

gsl_rng *tabrl_gsl_rng_stream(uint64_t seed, tabrl_stream_purpose purpose, uint64_t index)
{
  gsl_rng *r = gsl_rng_alloc(tabrl_gsl_rng_pcg32);
  if (r) tabrl_rng_stream(r->state, seed, purpose, index);
  return r;
}

tabrl_pcg32 *tabrl_gsl_rng_pcg32_state(gsl_rng *r)
{
  return r->state;
}
