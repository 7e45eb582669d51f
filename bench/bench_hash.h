/* Deterministic draws for the benches' workloads: a value is a hash of where it is used
 * (seed, job, step), so that every variant of a bench sees the same noise. */
#ifndef MMARML_BENCH_HASH_H
#define MMARML_BENCH_HASH_H

#include <stdint.h>

/* splitmix64's output function (Steele, Lea and Flood 2014). */
static inline uint64_t bench_splitmix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* In [0, 1): the hash's top 53 bits. */
static inline double bench_unit(uint64_t h)
{
    return (double)(bench_splitmix(h) >> 11) / 9007199254740992.0;
}

#endif
