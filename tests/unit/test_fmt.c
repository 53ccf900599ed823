/* readers/fmt.c: the fast integer and double formatting against their definitions
 * (snprintf %PRIu64 / %PRId64, and brrt_fmt_double's documented %.15g..%.17g rule). */
#include "fixture.h"

#include "brrtstat/fmt_words.h"
#include "brrtstat/render.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static uint64_t pow10_of(int k)
{
    uint64_t p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

/* The definition, as brrt_fmt_double's comment states it. */
static void definition(char *out, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(out, n, "NaN");
    } else if (isinf(v)) {
        snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, n, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(out, n, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                return;
        }
    }
}

static void check_double(double v)
{
    char got[BRRT_FMT_DOUBLE_MAX], want[64];
    size_t n = brrt_fmt_double(got, sizeof got, v);
    definition(want, sizeof want, v);
    ck_assert_msg(strcmp(got, want) == 0, "%a (%.17g): got %s, definition %s", v, v, got, want);
    ck_assert_uint_eq(n, strlen(want));
}

START_TEST(integers_match_printf)
{
    char got[BRRT_FMT_INT_MAX], want[32];
    uint64_t edge[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 4294967295ull, 4294967296ull,
                       9007199254740992ull, 9007199254740993ull, 10000000000000000000ull, UINT64_MAX,
                       (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0] + 100000; i++) {
        uint64_t u = i < sizeof edge / sizeof edge[0] ? edge[i] : next() >> (next() % 64);
        snprintf(want, sizeof want, "%" PRIu64, u);
        ck_assert_uint_eq(brrt_fmt_u64(got, u), strlen(want));
        ck_assert_str_eq(got, want);
        int64_t s = (int64_t)u;
        snprintf(want, sizeof want, "%" PRId64, s);
        ck_assert_uint_eq(brrt_fmt_i64(got, s), strlen(want));
        ck_assert_str_eq(got, want);
    }
    for (uint64_t p = 1; p <= 1000000000000000000ull; p *= 10) /* around every power of ten */
        for (int64_t d = -1; d <= 1; d++) {
            snprintf(want, sizeof want, "%" PRId64, -(int64_t)p + d);
            brrt_fmt_i64(got, -(int64_t)p + d);
            ck_assert_str_eq(got, want);
        }
}
END_TEST

/* The fast path's range [1e-4, 1e14): log-uniform magnitudes, both signs. */
START_TEST(doubles_in_the_fast_range_match_the_definition)
{
    for (int i = 0; i < 100000; i++) {
        double u = (double)(next() >> 11) / 9007199254740992.0;
        double v = pow(10.0, -4.0 + 18.0 * u);
        check_double(next() & 1 ? -v : v);
    }
}
END_TEST

/* What a histogram's _sum is: an integer raw sum times a decimal scale. */
START_TEST(scaled_sums_match_the_definition)
{
    static const double scales[] = {1e-9, 1e-6, 1e-3, 0.1, 0.25, 1.0 / 3.0};
    for (int i = 0; i < 100000; i++) {
        uint64_t raw = next() >> (next() % 64);
        check_double((double)raw * scales[i % 6]);
    }
}
END_TEST

/* Edges: around powers of ten and two (the wider gap below 2^k), ties at 16 digits, range
 * limits, zeros, non-finite, subnormal, huge. */
START_TEST(edge_doubles_match_the_definition)
{
    double specials[] = {0.0, -0.0, 1e-4, 1e14, 1e15, 1e-5, 5e-324, 1.7976931348623157e308,
                         INFINITY, -INFINITY, NAN, 0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0,
                         1234567890123.125, 123456789012.0625, 0.5, 0.0001220703125};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        check_double(specials[i]);
    for (int e = -5; e <= 15; e++) {
        double p = pow(10.0, e);
        double v = p;
        for (int k = 0; k < 40; k++)
            v = nextafter(v, 0), check_double(v);
        v = p;
        for (int k = 0; k < 40; k++)
            v = nextafter(v, INFINITY), check_double(v);
    }
    for (int e = -15; e <= 48; e++) {
        double p = ldexp(1.0, e);
        check_double(p);
        check_double(nextafter(p, 0));
        check_double(nextafter(p, INFINITY));
        check_double(nextafter(nextafter(p, 0), 0));
    }
    for (uint64_t n = 1; n < 100000; n += 7) /* n + j/2^k: exact binary values with ties */
        for (int j = 1; j < 16; j += 2)
            check_double(ldexp((double)n * 16 + j, -4) * 1e8);
}
END_TEST

/* The small-value path [1e-40, 1e-4) (exponent notation, 256-bit exact arithmetic): random
 * doubles log-uniform over the range and with random mantissa bits, both signs; scrape
 * durations (nanoseconds as seconds); and its edges: both ends, every power of ten and of two
 * inside with 40 neighbours each (ties, the narrower gap below 2^k), the values just below
 * 1e-4 whose rounding carries into fixed notation, and short decimals (1.5e-7). */
START_TEST(small_doubles_match_the_definition)
{
    for (int i = 0; i < 200000; i++) {
        double v;
        if (i % 2) {
            double u = (double)(next() >> 11) / 9007199254740992.0;
            v = pow(10.0, -40.0 + 36.0 * u);
        } else {
            uint64_t x = next();
            uint64_t bits = (x & 0x000FFFFFFFFFFFFFull) | ((uint64_t)(1023 - 14 - (x >> 52) % 120) << 52);
            memcpy(&v, &bits, sizeof v); /* 2^-133 .. 2^-14 */
        }
        check_double(next() & 1 ? -v : v);
    }
    for (uint64_t ns = 1; ns < 100000; ns += 3) /* a duration in seconds */
        check_double((double)ns / 1e9), check_double((double)ns * 1e-9);
    for (int d = 1; d < 1000; d++) /* short decimals: d * 10^e */
        for (int e = -40; e <= -5; e++)
            check_double(d * pow(10.0, e));
    double ends[] = {1e-40, 1e-4};
    for (size_t i = 0; i < 2; i++) {
        double v = ends[i];
        for (int k = 0; k < 2000; k++)
            v = nextafter(v, 0), check_double(v), check_double(-v);
        v = ends[i];
        for (int k = 0; k < 40; k++)
            v = nextafter(v, 1), check_double(v);
    }
    for (int e = -40; e <= -5; e++) {
        double v = pow(10.0, e), w = v;
        for (int k = 0; k < 40; k++)
            v = nextafter(v, 0), check_double(v), w = nextafter(w, 1), check_double(w);
    }
    for (int e = -133; e <= -14; e++) {
        double p = ldexp(1.0, e);
        check_double(p);
        for (int k = 1; k <= 3; k++)
            check_double(ldexp(1.0 + k * 0x1p-52, e)), check_double(ldexp(1.0 - k * 0x1p-53, e));
    }
}
END_TEST

/* brrtstat/fmt_words.h, the cached histogram lines' counts (render_cache.c): the text of
 * v < 10^15 and its tail in two words, the rest zero. Every v below 10^5, every length's
 * edges (10^k - 1000 .. 10^k + 1000) and random values of each length. */
static void check_words(uint64_t v)
{
    char want[32];
    int n = snprintf(want, sizeof want, "%" PRIu64 "\n", v);
    uint64_t w[2] = {~0ull, ~0ull};
    unsigned len = brrt_fmt_words(v, '\n', w);
    char got[17] = {0};
    memcpy(got, w, 16);
    ck_assert_msg(len == (unsigned)n && memcmp(got, want, (size_t)n) == 0, "%" PRIu64 ": got %.16s (%u)", v, got,
                  len);
    for (unsigned i = len; i < 16; i++)
        ck_assert_msg(got[i] == 0, "%" PRIu64 ": byte %u after the tail is %d", v, i, got[i]);
}

START_TEST(words_match_printf)
{
    for (uint64_t v = 0; v < 100000; v++)
        check_words(v);
    for (uint64_t p = 100000; p < 1000000000000000ull; p *= 10)
        for (uint64_t v = p - 1000; v <= p + 1000; v++)
            check_words(v);
    for (uint64_t v = 1000000000000000ull - 1000; v < 1000000000000000ull; v++)
        check_words(v);
    for (int i = 0; i < 300000; i++)
        check_words(next() % pow10_of(1 + i % 15));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, integers_match_printf);
    tcase_add_test(tc, doubles_in_the_fast_range_match_the_definition);
    tcase_add_test(tc, scaled_sums_match_the_definition);
    tcase_add_test(tc, edge_doubles_match_the_definition);
    tcase_add_test(tc, small_doubles_match_the_definition);
    tcase_add_test(tc, words_match_printf);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
