/* Number formatting for every front end: exact integers, and the shortest double that reads
 * back as itself. Both are on every scrape's path (one call per sample), so the common cases
 * run without snprintf/strtod, in exact integer arithmetic that gives the same text as the
 * definition (see brrt_fmt_double; tests/unit/test_fmt.c compares the two on many values). */
#include "brrtstat/buf.h"

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
 * memcpy (a libc call per number, most of the cost of a counter line). */
size_t brrt_fmt_u64(char *out, uint64_t v)
{
    size_t n = 1;
    while (n < 20 && v >= pow10_u64[n])
        n++;
    digits_before(out + n, v);
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

/* The fast path of brrt_fmt_double for a non-integer 1e-4 <= |v| < 1e14: fixed notation, as
 * %.15g..%.17g print there. Returns the length, 0 to fall back. */
static size_t fmt_fixed(char *out, double v)
{
    double a = fabs(v);
    int e2;
    double fr = frexp(a, &e2); /* a = fr * 2^e2, fr in [0.5, 1) */
    uint64_t M = (uint64_t)ldexp(fr, 53);
    int s = 53 - e2; /* a = M * 2^-s; 1e14 < 2^47, so s >= 6; 1e-4 > 2^-14, so s <= 66 */
    int x = 0;       /* a guess of floor(log10(a)); round_digits corrects it */
    static const double p10[] = {1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13};
    x = -4;
    for (size_t i = 1; i < sizeof p10 / sizeof p10[0] && a >= p10[i]; i++)
        x = (int)i - 4;
    for (int P = 15; P <= 17; P++) {
        uint64_t m;
        int k;
        round_digits(M, s, P, P - 1 - x, &m, &k);
        if (k < 0)
            return 0;
        if (!reads_back(m, k, M, s))
            continue;
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
        if (v < 0)
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
    return 0;
}

/* The definition: "NaN", "+Inf", "-Inf"; an integral value below 1e15 as %.0f; otherwise the
 * first of %.15g, %.16g, %.17g that strtod reads back as v (%.15g is the shortest form of every
 * double that has one of at most 15 significant digits, %g dropping trailing zeros), with '.'
 * as the decimal point. The fast paths give the same text without snprintf or locale:
 * integers, and fixed notation in [1e-4, 1e14). */
size_t brrt_fmt_double(char *out, size_t outlen, double v)
{
    int n;
    if (outlen >= BRRT_FMT_DOUBLE_MAX && isfinite(v)) {
        if (v == floor(v) && fabs(v) < 1e15) {
            if (v == 0 && signbit(v)) {
                memcpy(out, "-0", 3);
                return 2;
            }
            return brrt_fmt_i64(out, (int64_t)v);
        }
        if (fabs(v) >= 1e-4 && fabs(v) < 1e14) {
            size_t len = fmt_fixed(out, v);
            if (len)
                return len;
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
