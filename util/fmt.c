/* Number formatting for every front end: exact integers, and the shortest double that reads
 * back as itself. Both are on every scrape's path (one call per sample), so the common cases
 * run without snprintf/strtod, in exact integer arithmetic that gives the same text as the
 * definition (see brrt_fmt_double; tests/unit/test_fmt.c compares the two on many values). */
#include "brrtstat/buf.h"
#include "brrtstat/fmt_words.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* The decimal digits of v, right-aligned ending at `end` (exclusive); returns the start. */
static char *digits_before(char *end, uint64_t v)
{
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--end = digit_pairs[i + 1];
        *--end = digit_pairs[i];
    }
    if (v >= 10) {
        *--end = digit_pairs[v * 2 + 1];
        *--end = digit_pairs[v * 2];
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

static const uint64_t pow10_u64[20] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
                                       10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
                                       100000000000ull, 1000000000000ull, 10000000000000ull,
                                       100000000000000ull, 1000000000000000ull, 10000000000000000ull,
                                       100000000000000000ull, 1000000000000000000ull,
                                       10000000000000000000ull};

/* Written in place, right to left from the known length: no temporary and no variable-length
 * memcpy (a libc call per number, most of the cost of a counter line). The length comes from
 * the bit length (log10(2) ~ 1233 / 4096) and one compare; values below 2^32 (most counts)
 * take 32-bit divisions. */
size_t brrt_fmt_u64(char *out, uint64_t v)
{
    if (v < 100000000u) { /* most counts: one word of digits, one store */
        unsigned n = brrt_fmt_len8((uint32_t)v);
        uint64_t d = brrt_fmt_digits8((uint32_t)v) >> (8 * (8 - n));
        memcpy(out, &d, 8); /* BRRT_FMT_INT_MAX bytes: room for the whole word */
        out[n] = '\0';
        return n;
    }
    unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12; /* <= 19 */
    size_t n = t + 1 - ((v | 1) < pow10_u64[t]);
    char *end = out + n;
    if (v <= UINT32_MAX) {
        uint32_t w = (uint32_t)v;
        while (w >= 100) {
            unsigned i = (w % 100) * 2;
            w /= 100;
            *--end = digit_pairs[i + 1];
            *--end = digit_pairs[i];
        }
        if (w >= 10) {
            end[-1] = digit_pairs[w * 2 + 1];
            end[-2] = digit_pairs[w * 2];
        } else {
            end[-1] = (char)('0' + w);
        }
    } else {
        digits_before(end, v);
    }
    out[n] = '\0';
    return n;
}

size_t brrt_fmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return brrt_fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + brrt_fmt_u64(out + 1, 0 - (uint64_t)v);
}

typedef unsigned __int128 u128;

static u128 pow10_128(int k) /* 0 <= k <= 38 */
{
    return k < 20 ? pow10_u64[k] : (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/* v = M * 2^-s exactly (2^52 <= M < 2^53), 1e-4 <= v < 1e14. The decimal of P significant
 * digits nearest to v (ties to even, as glibc's printf), as m * 10^-k with 10^(P-1) <= m < 10^P,
 * or after a carry m = 10^(P-1) at k - 1: what %.*g prints before dropping trailing zeros. */
static void round_digits(uint64_t M, int s, int P, int k_guess, uint64_t *m_out, int *k_out)
{
    u128 lo = pow10_128(P - 1), hi = lo * 10;
    int k = k_guess;
    for (int tries = 0; tries < 4; tries++) {
        u128 n = (u128)M * pow10_128(k);
        u128 q = n >> s, r = n & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        if (q >= hi) { /* one digit too many: v * 10^k >= 10^P - 1/2 */
            k--;
            continue;
        }
        if (q < lo) {
            k++;
            continue;
        }
        *m_out = (uint64_t)q;
        *k_out = k;
        return;
    }
    *m_out = 0; /* cannot happen in the range above; the caller falls back */
    *k_out = -1;
}

/* Does the decimal m * 10^-k read back (correctly rounded, ties to even) as M * 2^-s? */
static bool reads_back(uint64_t m, int k, uint64_t M, int s)
{
    u128 d = (u128)m << (s + 1); /* 2 * 2^s * m, to compare with (2M +- 1) * 10^k */
    u128 p = pow10_128(k);
    u128 hi = (u128)(2 * M + 1) * p;
    /* Below a power of two the gap to the next smaller double is half as wide. */
    u128 lo = M == (1ull << 52) ? (u128)(4 * M - 1) * p : (u128)(2 * M - 1) * p;
    if (M == (1ull << 52))
        d <<= 1, hi <<= 1;
    bool even = (M & 1) == 0;
    return even ? (d >= lo && d <= hi) : (d > lo && d < hi);
}

/* m * 10^-k (k >= 0) in fixed notation as %g writes it: trailing fraction zeros dropped. Any
 * m and k (write_fixed's fallback). */
static size_t write_fixed_any(char *out, bool neg, uint64_t m, int k)
{
    while (k > 0 && m % 10 == 0) {
        m /= 10;
        k--;
    }
    char tmp[48];
    char *end = tmp + sizeof tmp;
    char *p = digits_before(end, m);
    while (end - p < k + 1) /* leading zeros of the fraction and the "0" before the point */
        *--p = '0';
    size_t n = 0;
    if (neg)
        out[n++] = '-';
    size_t int_len = (size_t)(end - p) - (size_t)k;
    memcpy(out + n, p, int_len);
    n += int_len;
    if (k > 0) {
        out[n++] = '.';
        memcpy(out + n, p + int_len, (size_t)k);
        n += (size_t)k;
    }
    out[n] = '\0';
    return n;
}

/* Drops up to k trailing zeros of m (fraction digits of m * 10^-k): by 10^8 while it can, then
 * 10^4, 10^2 and 10 once each, not one division per zero. */
static uint64_t strip_zeros(uint64_t m, int *k)
{
    while (*k >= 8 && m % 100000000u == 0) {
        m /= 100000000u;
        *k -= 8;
    }
    if (*k >= 4 && m % 10000u == 0) {
        m /= 10000u;
        *k -= 4;
    }
    if (*k >= 2 && m % 100u == 0) {
        m /= 100u;
        *k -= 2;
    }
    if (*k >= 1 && m % 10u == 0) {
        m /= 10u;
        *k -= 1;
    }
    return m;
}

/* The digits of m < 10^17 right-aligned ending at `end`; returns the start. One 64-bit division
 * splits off the low 8 digits, the rest is 32-bit arithmetic. */
static char *digits17(char *end, uint64_t m)
{
    if (m >= 100000000u) {
        uint32_t lo = (uint32_t)(m % 100000000u);
        m /= 100000000u;
        for (int i = 0; i < 4; i++) { /* exactly 8 digits, zeros included */
            unsigned d = (lo % 100) * 2;
            lo /= 100;
            *--end = digit_pairs[d + 1];
            *--end = digit_pairs[d];
        }
    }
    uint32_t w = (uint32_t)m; /* < 10^9 */
    while (w >= 100) {
        unsigned d = (w % 100) * 2;
        w /= 100;
        *--end = digit_pairs[d + 1];
        *--end = digit_pairs[d];
    }
    if (w >= 10) {
        *--end = digit_pairs[w * 2 + 1];
        *--end = digit_pairs[w * 2];
    } else {
        *--end = (char)('0' + w);
    }
    return end;
}

/* write_fixed_any for the values the fast paths produce (m < 10^17, at most 15 integer digits
 * or at most 5 zeros after "0."), with fixed-size copies instead of a libc memcpy per part;
 * out has BRRT_FMT_DOUBLE_MAX bytes. */
static size_t write_fixed(char *out, bool neg, uint64_t m, int k)
{
    _Static_assert(BRRT_FMT_DOUBLE_MAX >= 32, "the fixed copies below stay inside 32 bytes");
    m = strip_zeros(m, &k);
    if (m >= 100000000000000000ull)
        return write_fixed_any(out, neg, m, k);
    char tmp[64]; /* the digits end at tmp + 40; the copies read past them into slack */
    char *end = tmp + 40;
    char *p = digits17(end, m);
    int d = (int)(end - p);
    char *o = out + neg;
    out[0] = '-';
    if (d > k) { /* "III.FFF": k < d <= 17 */
        int int_len = d - k;
        if (int_len > (k ? 14 : 15)) /* |v| < 1e14: only a carry to 1e14 (k = 0) has 15 */
            return write_fixed_any(out, neg, m, k);
        memcpy(o, p, 16);
        o += int_len;
        if (k) {
            *o++ = '.';
            memcpy(o, p + int_len, 16); /* ends at out + 1 + 14 + 1 + 16 = out + 32 at most */
            o += k;
        }
    } else { /* "0.000DDD": k - d zeros after the point */
        int z = k - d;
        if (z > 5)
            return write_fixed_any(out, neg, m, k);
        memcpy(o, "0.000000", 8);
        o += 2 + z;
        memcpy(o, p, 24); /* d <= 17; ends at out + 1 + 2 + 5 + 24 = out + 32 at most */
        o += d;
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* The fast path of brrt_fmt_double for a non-integer 1e-4 <= |v| < 1e14: fixed notation, as
 * %.15g..%.17g print there. Returns the length, 0 to fall back. */
static size_t fmt_fixed(char *out, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff); /* a normal number in this range */
    uint64_t M = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int s = 1075 - e; /* |v| = M * 2^-s; 1e14 < 2^47, so s >= 6; 1e-4 > 2^-14, so s <= 66 */
    /* floor(log10|v|): |v| is in [2^b, 2^(b+1)), b = e - 1023, so it is floor(b * log10(2))
     * (78913 / 2^18, exact for these b) or one more. */
    static const double p10[] = {1e-4, 1e-3, 1e-2, 1e-1, 1,    1e1,  1e2,  1e3,  1e4, 1e5,
                                 1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14};
    int x = ((e - 1023) * 78913) >> 18; /* >= -5 */
    if (x < 13 && fabs(v) >= p10[x + 5])
        x++;
    for (int P = 15; P <= 17; P++) {
        uint64_t m;
        int k;
        round_digits(M, s, P, P - 1 - x, &m, &k);
        if (k < 0)
            return 0;
        if (!reads_back(m, k, M, s))
            continue;
        return write_fixed(out, v < 0, m, k);
    }
    return 0;
}

/* ---- small values, 1e-40 <= |v| < 1e-4 (durations in seconds, rates) -------------------
 * The same exact method as fmt_fixed, in 256-bit integers: v = M * 2^-s has s <= 185 and the
 * P-digit decimal m * 10^-k has k <= 57 there, so every product below stays under 2^245. */

struct u256 {
    uint64_t w[4]; /* little-endian words */
};

static struct u256 u256_of(uint64_t v)
{
    return (struct u256){{v, 0, 0, 0}};
}

static void u256_mul(struct u256 *a, uint64_t m)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)a->w[i] * m + carry;
        a->w[i] = (uint64_t)t;
        carry = t >> 64;
    }
}

static void u256_mul_pow10(struct u256 *a, int k) /* k >= 0 */
{
    for (; k > 19; k -= 19)
        u256_mul(a, pow10_u64[19]);
    u256_mul(a, pow10_u64[k]);
}

static struct u256 u256_shl(struct u256 a, int s) /* 0 <= s < 256 */
{
    struct u256 r = {{0, 0, 0, 0}};
    int q = s / 64, b = s % 64;
    for (int i = 3; i >= q; i--) {
        r.w[i] = a.w[i - q] << b;
        if (b && i - q - 1 >= 0)
            r.w[i] |= a.w[i - q - 1] >> (64 - b);
    }
    return r;
}

static int u256_cmp(const struct u256 *a, const struct u256 *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

static bool u256_bit(const struct u256 *a, int i)
{
    return (a->w[i / 64] >> (i % 64)) & 1;
}

/* Any bit below bit i set? */
static bool u256_below(const struct u256 *a, int i)
{
    for (int w = 0; w < i / 64; w++)
        if (a->w[w])
            return true;
    return i % 64 && (a->w[i / 64] & ((1ull << (i % 64)) - 1));
}

/* Bits [s, s + 64) of a. */
static uint64_t u256_shr64(const struct u256 *a, int s)
{
    int q = s / 64, b = s % 64;
    uint64_t lo = q < 4 ? a->w[q] >> b : 0;
    uint64_t hi = b && q + 1 < 4 ? a->w[q + 1] << (64 - b) : 0;
    return lo | hi;
}

/* round(M * 2^-s * 10^k), ties to even (k >= 0, s >= 1; the result below 2^64). */
static uint64_t round_at(uint64_t M, int s, int k)
{
    struct u256 n = u256_of(M);
    u256_mul_pow10(&n, k);
    uint64_t q = u256_shr64(&n, s);
    /* the first dropped bit, then whether any bit below it is set */
    if (u256_bit(&n, s - 1) && (u256_below(&n, s - 1) || (q & 1)))
        q++;
    return q;
}

/* ---- 1e-14 <= |v| < 1e-4 in 128 bits: M * 10^k / 2^s = M * 5^k / 2^(s - k), and 5^k for
 * k <= 32 times M stays under 2^128 (most small values: durations of us and ns in seconds). */

static const uint64_t pow5_u64[28] = {
    1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull, 1953125ull,
    9765625ull, 48828125ull, 244140625ull, 1220703125ull, 6103515625ull, 30517578125ull,
    152587890625ull, 762939453125ull, 3814697265625ull, 19073486328125ull, 95367431640625ull,
    476837158203125ull, 2384185791015625ull, 11920928955078125ull, 59604644775390625ull,
    298023223876953125ull, 1490116119384765625ull, 7450580596923828125ull};

static u128 pow5_128(int k) /* 0 <= k <= 54 */
{
    return k < 28 ? pow5_u64[k] : (u128)pow5_u64[27] * pow5_u64[k - 27];
}

#define MID_K_MAX 31 /* (2M + 1) * 5^31 < 2^54 * 2^72: reads_back_mid's products fit */

/* round_at in 128 bits: 0 <= k <= MID_K_MAX + 1 (M * 5^32 < 2^128) and 1 <= s - k < 128. */
static uint64_t round_at_mid(uint64_t M, int s, int k)
{
    u128 n = (u128)M * pow5_128(k);
    int sh = s - k;
    u128 q = n >> sh, r = n & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
    if (r > half || (r == half && (q & 1)))
        q++;
    return (uint64_t)q;
}

/* round_digits in 256 bits (round_at) or, with `mid`, 128 bits (round_at_mid; *k_out = -1 when
 * k leaves its range), from a guess of k that may be off by one either way (a log10
 * estimate). */
static void round_digits_big(uint64_t M, int s, int P, int k_guess, bool mid, uint64_t *m_out, int *k_out)
{
    uint64_t lo = pow10_u64[P - 1], hi = lo * 10; /* P <= 17 */
    int k = k_guess;
    for (int tries = 0; tries < 4; tries++) {
        if (mid && (k < 0 || k > MID_K_MAX || s - k - 1 < 1 || s - k >= 128))
            break;
        uint64_t q = mid ? round_at_mid(M, s, k) : round_at(M, s, k);
        if (q >= hi) {
            k--;
            continue;
        }
        if (q < lo) {
            k++;
            continue;
        }
        /* lo itself may be v * 10^k < lo rounded up: then v has its P digits at k + 1, unless
         * they carry there too (a true carry gives lo at k). */
        uint64_t finer = q != lo ? hi : mid ? round_at_mid(M, s, k + 1) : round_at(M, s, k + 1);
        *m_out = finer < hi ? finer : q;
        *k_out = finer < hi ? k + 1 : k;
        return;
    }
    *m_out = 0;
    *k_out = -1;
}

/* reads_back for round_at_mid's range (k <= MID_K_MAX), both sides divided by 2^k. */
static bool reads_back_mid(uint64_t m, int k, uint64_t M, int s)
{
    bool pow2 = M == (1ull << 52); /* below a power of two the gap is half as wide */
    u128 p5 = pow5_128(k);
    u128 hi = (u128)(2 * M + 1) * p5, lo = (u128)(pow2 ? 4 * M - 1 : 2 * M - 1) * p5;
    if (pow2)
        hi <<= 1;
    int sh = s + 1 + pow2 - k; /* 2 * 2^s * m / 2^k: compare m << sh with lo and hi (< 2^127) */
    if (sh < 0 || sh >= 127 || (127 - sh < 64 && (m >> (127 - sh)) != 0))
        return false; /* not near v: a value that reads back is within hi */
    u128 d = (u128)m << sh;
    return (M & 1) == 0 ? d >= lo && d <= hi : d > lo && d < hi;
}

/* reads_back in 256 bits. */
static bool reads_back_big(uint64_t m, int k, uint64_t M, int s)
{
    bool pow2 = M == (1ull << 52); /* below a power of two the gap is half as wide */
    struct u256 d = u256_shl(u256_of(m), s + 1 + pow2);
    struct u256 hi = u256_of(2 * M + 1), lo = u256_of(pow2 ? 4 * M - 1 : 2 * M - 1);
    u256_mul_pow10(&hi, k);
    u256_mul_pow10(&lo, k);
    if (pow2)
        hi = u256_shl(hi, 1);
    int c_lo = u256_cmp(&d, &lo), c_hi = u256_cmp(&d, &hi);
    return (M & 1) == 0 ? c_lo >= 0 && c_hi <= 0 : c_lo > 0 && c_hi < 0;
}

/* m (P digits) * 10^X / 10^(P-1) in exponent notation as %g writes it: "d.ddde-XX". */
static size_t write_exp(char *out, bool neg, uint64_t m, int X)
{
    while (m % 10 == 0 && m >= 10)
        m /= 10;
    char tmp[24];
    char *end = tmp + sizeof tmp;
    char *p = digits_before(end, m);
    size_t n = 0, digits = (size_t)(end - p);
    if (neg)
        out[n++] = '-';
    out[n++] = p[0];
    if (digits > 1) {
        out[n++] = '.';
        memcpy(out + n, p + 1, digits - 1);
        n += digits - 1;
    }
    out[n++] = 'e';
    out[n++] = X < 0 ? '-' : '+';
    unsigned ax = (unsigned)(X < 0 ? -X : X);
    if (ax < 10)
        out[n++] = '0';
    char e[8];
    char *ep = digits_before(e + sizeof e, ax);
    memcpy(out + n, ep, (size_t)(e + sizeof e - ep));
    n += (size_t)(e + sizeof e - ep);
    out[n] = '\0';
    return n;
}

/* brrt_fmt_double for 1e-40 <= |v| < 1e-4: what %.15g..%.17g print there (exponent notation,
 * or fixed when the rounding carries up to 1e-4). Returns the length, 0 to fall back. */
static size_t fmt_small(char *out, double v)
{
    double a = fabs(v);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff); /* a normal number: 1e-40 > 2^-1022 */
    uint64_t M = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int s = 1075 - e; /* 67 <= s <= 185 */
    /* A guess of floor(log10 a), from the binary exponent and one compare with an inexact
     * power of ten: round_digits_big corrects it. */
    static const double p10[] = {1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35, 1e-34, 1e-33, 1e-32,
                                 1e-31, 1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23,
                                 1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14,
                                 1e-13, 1e-12, 1e-11, 1e-10, 1e-9,  1e-8,  1e-7,  1e-6,  1e-5,
                                 1e-4};
    int x = ((e - 1023) * 78913) >> 18; /* -41 <= x <= -5 */
    if (x >= -41 && x + 41 < (int)(sizeof p10 / sizeof p10[0]) && a >= p10[x + 41])
        x++;
    bool mid = a >= 1e-14;
    for (int P = 15; P <= 17; P++) {
        uint64_t m;
        int k;
        round_digits_big(M, s, P, P - 1 - x, mid, &m, &k);
        if (k < 0 && mid) { /* out of the 128-bit range after all: the 256-bit way */
            mid = false;
            round_digits_big(M, s, P, P - 1 - x, false, &m, &k);
        }
        if (k < 0)
            return 0;
        if (!(mid && k <= MID_K_MAX ? reads_back_mid(m, k, M, s) : reads_back_big(m, k, M, s)))
            continue;
        int X = P - 1 - k; /* the decimal exponent of the rounded value */
        return X >= -4 ? write_fixed(out, v < 0, m, k) : write_exp(out, v < 0, m, X);
    }
    return 0;
}

/* The definition: "NaN", "+Inf", "-Inf"; an integral value below 1e15 as %.0f; otherwise the
 * first of %.15g, %.16g, %.17g that strtod reads back as v (%.15g is the shortest form of every
 * double that has one of at most 15 significant digits, %g dropping trailing zeros), with '.'
 * as the decimal point. The fast paths give the same text without snprintf or locale:
 * integers, fixed notation in [1e-4, 1e14), and [1e-40, 1e-4). */
size_t brrt_fmt_double(char *out, size_t outlen, double v)
{
    int n;
    if (outlen >= BRRT_FMT_DOUBLE_MAX) {
        double a = fabs(v); /* NaN fails every compare below */
        if (a < 1e15 && (double)(int64_t)v == v) { /* integral (without a libm floor) */
            if (v == 0 && signbit(v)) {
                memcpy(out, "-0", 3);
                return 2;
            }
            return brrt_fmt_i64(out, (int64_t)v);
        }
        if (a >= 1e-4 && a < 1e14) {
            size_t len = fmt_fixed(out, v);
            if (len)
                return len;
        } else if (a >= 1e-40 && a < 1e-4) {
            size_t len = fmt_small(out, v);
            if (len)
                return len;
        } else if (isnan(v)) {
            memcpy(out, "NaN", 4);
            return 3;
        }
    }
    if (isnan(v)) {
        n = snprintf(out, outlen, "NaN");
    } else if (isinf(v)) {
        n = snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        n = snprintf(out, outlen, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            n = snprintf(out, outlen, "%.*g", prec, v);
            if (strtod(out, NULL) == v) /* same locale as snprintf: round trip holds */
                break;
        }
        /* The exposition's decimal point is '.' whatever LC_NUMERIC says (a comma, or several
         * bytes): %g writes only digits, a sign, 'e' and the decimal point. */
        char *w = out;
        for (const char *r = out; *r; r++) {
            bool plain = (*r >= '0' && *r <= '9') || *r == '-' || *r == '+' || *r == 'e';
            if (plain)
                *w++ = *r;
            else if (w == out || w[-1] != '.')
                *w++ = '.';
        }
        *w = '\0';
        return (size_t)(w - out);
    }
    return n < 0 ? 0 : (size_t)n < outlen ? (size_t)n : outlen ? outlen - 1 : 0;
}
