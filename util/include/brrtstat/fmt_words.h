/* Decimal digits computed in a machine word (no division or byte store per digit), for the
 * renderers' hot paths: a number kept in registers is written with whole-word stores, so no
 * later wider load of it waits for several byte stores (a store-forwarding stall: one load of
 * a count just formatted byte by byte was a quarter of the text renderer's time). Internal to
 * the project: not installed (util/CMakeLists.txt installs buf.h only). */
#ifndef BRRTSTAT_FMT_WORDS_H
#define BRRTSTAT_FMT_WORDS_H

#include <stdint.h>

/* The 8 decimal digits of v < 10^8, zero-padded, as ASCII in the bytes of a little-endian
 * word, the first digit in the lowest byte: two lanes of 4 digits, each split by 100 and then
 * by 10 with multiply-shifts that are exact below 10^4 and 100. */
static inline uint64_t brrt_fmt_digits8(uint32_t v)
{
    uint64_t x = (uint64_t)(v / 10000) | ((uint64_t)(v % 10000) << 32);
    uint64_t q = ((x * 10486) >> 20) & 0x0000007F0000007Full; /* each 32-bit lane / 100 */
    x = q | ((x - q * 100) << 16);
    q = ((x * 103) >> 10) & 0x000F000F000F000Full; /* each 16-bit lane / 10 */
    x = q | ((x - q * 10) << 8);
    return x + 0x3030303030303030ull;
}

/* The number of decimal digits of v < 10^8 (1 for 0): from the bit length (log10(2) ~
 * 1233 / 4096) and one compare. */
static inline unsigned brrt_fmt_len8(uint32_t v)
{
    static const uint32_t p10[9] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u};
    unsigned t = (unsigned)(32 - __builtin_clz(v | 1)) * 1233 >> 12; /* <= 8 */
    return t + 1 - ((v | 1) < p10[t]);
}

/* The text of v < 10^15 followed by `tail` (a byte, e.g. '\n') in two little-endian words
 * w[0], w[1] (16 bytes, the rest zero); returns the length of the text with the tail. */
static inline unsigned brrt_fmt_words(uint64_t v, char tail, uint64_t w[2])
{
    if (v < 100000000u) {
        unsigned n = brrt_fmt_len8((uint32_t)v);
        uint64_t d = brrt_fmt_digits8((uint32_t)v) >> (8 * (8 - n));
        if (n < 8) {
            w[0] = d | (uint64_t)(unsigned char)tail << (8 * n);
            w[1] = 0;
        } else {
            w[0] = d;
            w[1] = (unsigned char)tail;
        }
        return n + 1;
    }
    uint32_t hi = (uint32_t)(v / 100000000u), lo = (uint32_t)(v % 100000000u); /* hi < 10^7 */
    unsigned nh = brrt_fmt_len8(hi);                                           /* 1..7 */
    uint64_t h = brrt_fmt_digits8(hi) >> (8 * (8 - nh)), l = brrt_fmt_digits8(lo);
    w[0] = h | l << (8 * nh);
    w[1] = l >> (64 - 8 * nh) | (uint64_t)(unsigned char)tail << (8 * nh);
    return nh + 9;
}

#endif
