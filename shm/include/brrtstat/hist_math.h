/* Log-linear fine buckets over raw unsigned integers (the HdrHistogram idea, fixed schema).
 *
 * With s = sub_bits and m = max_bits:
 *   v < 2^s            -> bucket v (exact)
 *   2^e <= v < 2^(e+1) -> bucket (e - s + 1) * 2^s + ((v >> (e - s)) - 2^s), for s <= e < m
 *   v >= 2^m           -> bucket nfine (overflow)
 * Each bucket [lo, lo + width) has width / lo <= 2^-s, so reporting a bucket's midpoint is off
 * by at most 2^-(s+1) of the true value (1.6 % for s = 5). Pure functions, no state. */
#ifndef BRRTSTAT_HIST_MATH_H
#define BRRTSTAT_HIST_MATH_H

#include <stdint.h>

/* Number of regular fine buckets (the overflow bucket is one more, at this index). */
static inline uint32_t brrt_hist_nfine(uint32_t sub_bits, uint32_t max_bits)
{
    return (max_bits - sub_bits + 1u) << sub_bits;
}

static inline uint32_t brrt_hist_index(uint64_t v, uint32_t sub_bits, uint32_t max_bits)
{
    if (v < (1ull << sub_bits))
        return (uint32_t)v;
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v);
    if (e >= max_bits)
        return brrt_hist_nfine(sub_bits, max_bits);
    uint32_t shift = e - sub_bits;
    return ((e - sub_bits + 1u) << sub_bits) + (uint32_t)((v >> shift) - (1ull << sub_bits));
}

/* Smallest raw value of bucket `idx` (idx <= nfine; the overflow bucket starts at 2^max_bits). */
static inline uint64_t brrt_hist_lower(uint32_t idx, uint32_t sub_bits)
{
    if (idx < (1u << sub_bits))
        return idx;
    uint32_t block = idx >> sub_bits; /* 1 for e == sub_bits */
    uint32_t e = block + sub_bits - 1u;
    uint64_t mantissa = (1ull << sub_bits) + (idx & ((1u << sub_bits) - 1u));
    return mantissa << (e - sub_bits);
}

/* Number of raw values in bucket `idx` (regular buckets only). */
static inline uint64_t brrt_hist_width(uint32_t idx, uint32_t sub_bits)
{
    if (idx < (1u << sub_bits))
        return 1;
    uint32_t e = (idx >> sub_bits) + sub_bits - 1u;
    return 1ull << (e - sub_bits);
}

/* Words of one series' per-shard value area: sum, le counts (+Inf included), fine (+overflow). */
static inline uint32_t brrt_hist_value_words(uint32_t n_le, uint32_t sub_bits, uint32_t max_bits)
{
    return 1u + (n_le + 1u) + brrt_hist_nfine(sub_bits, max_bits) + 1u;
}

#endif
