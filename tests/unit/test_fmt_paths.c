/* util/fmt.c's exact fast paths cover their whole ranges: test_fmt checks brrt_fmt_double's text
 * against the definition, which its snprintf fallback also meets, so a fast path that gave up
 * (returned 0) on part of its range would pass there unseen and only cost time. Here fmt.c is
 * compiled in (its functions renamed, not to clash with the library's) and fmt_fixed
 * ([1e-4, 1e14), non-integral) and fmt_small ([1e-40, 1e-4): the 128-bit way down to 1e-14,
 * 256 bits below) are called directly: each must answer, with the definition's text. */
#define brrt_fmt_u64 paths_fmt_u64
#define brrt_fmt_i64 paths_fmt_i64
#define brrt_fmt_double paths_fmt_double
#include "../../util/fmt.c"

#include "fixture.h"

#include <math.h>

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* %.15g, %.16g or %.17g, the first that reads back (v non-integral, finite). */
static void definition(char *out, size_t n, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static void check_path(size_t (*path)(char *, double), double v)
{
    char got[BRRT_FMT_DOUBLE_MAX], want[64];
    size_t n = path(got, v);
    definition(want, sizeof want, v);
    ck_assert_msg(n != 0, "%a (%.17g): the fast path gave up (the definition: %s)", v, v, want);
    ck_assert_msg(strcmp(got, want) == 0 && n == strlen(want), "%a: got %s, definition %s", v, got, want);
}

static double log_uniform(double lo_exp, double hi_exp)
{
    double u = (double)(next() >> 11) / 9007199254740992.0;
    return pow(10.0, lo_exp + (hi_exp - lo_exp) * u);
}

START_TEST(fixed_path_covers_its_range)
{
    for (int i = 0; i < 200000; i++) {
        double v = i % 2 ? log_uniform(-4, 14) : (double)(next() >> (next() % 64)) * 1e-9;
        if (!(fabs(v) >= 1e-4 && fabs(v) < 1e14) || v == floor(v))
            continue;
        check_path(fmt_fixed, next() & 1 ? -v : v);
    }
}
END_TEST

START_TEST(small_path_covers_its_range)
{
    for (int i = 0; i < 200000; i++) {
        double v = i % 3 == 0 ? log_uniform(-40, -4)
                   : i % 3 == 1 ? log_uniform(-14, -4) /* the 128-bit part */
                                : (double)(next() % 100000) * 1e-9;
        if (!(v >= 1e-40 && v < 1e-4))
            continue;
        check_path(fmt_small, next() & 1 ? -v : v);
    }
    for (int e = -40; e <= -5; e++) { /* around every power of ten: the guess of the exponent */
        double v = pow(10.0, e), w = v;
        for (int k = 0; k < 20; k++)
            v = nextafter(v, 0), check_path(fmt_small, v), w = nextafter(w, 1), check_path(fmt_small, w);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fmt_paths");
    TCase *tc = tcase_create("paths");
    tcase_add_test(tc, fixed_path_covers_its_range);
    tcase_add_test(tc, small_path_covers_its_range);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
