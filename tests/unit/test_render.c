/* readers/render_prom.c: families merged across segments, the extra label, escaping. */
#include "fixture.h"

#include "brrtstat/render.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static struct brrt_snapshot *take(const char *name)
{
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open(name, &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    brrt_reader_close(r);
    return s;
}

static brrt_seg *writer(const char *name, const char *label, const char *value, uint64_t n)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create(name, &o, &seg), 0);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "jobs_total", .help = "Jobs \\ done\nso far", .type = BRRT_COUNTER,
                                .label_names = (const char *const[]){label}, .nlabels = 1};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(f, BRRT_LABELS(value), &c), 0);
    brrt_counter_add(c, n);
    return seg;
}

START_TEST(families_merge_and_extra_label_wins_a_clash)
{
    brrt_seg *a = writer("a", "segment", "own \"value\"", 5), *b = writer("b", "segment", "x", 7);
    struct brrt_snapshot *sa = take("a"), *sb = take("b");
    const struct brrt_snapshot *snaps[] = {sa, sb};
    const char *names[] = {"a", "b"};
    struct brrt_prom_opts o = {.extra_label_name = "segment"};
    struct brrt_buf buf = {0};
    brrt_render_prometheus_n(&buf, snaps, names, 2, &o);
    ck_assert(!buf.failed);
    ck_assert_int_eq(count(buf.data, "# TYPE jobs_total counter\n"), 1); /* one family */
    ck_assert_ptr_nonnull(strstr(buf.data, "jobs_total{segment=\"a\",exported_segment=\"own \\\"value\\\"\"} 5\n"));
    ck_assert_ptr_nonnull(strstr(buf.data, "jobs_total{segment=\"b\",exported_segment=\"x\"} 7\n"));
    ck_assert_ptr_nonnull(strstr(buf.data, "# HELP jobs_total Jobs \\\\ done\\nso far\n"));
    brrt_buf_free(&buf);
    /* OpenMetrics: family without _total, samples with it, _created from the writer's start */
    o.flavor = BRRT_PROM_OPENMETRICS;
    brrt_render_prometheus_n(&buf, snaps, names, 2, &o);
    ck_assert_int_eq(count(buf.data, "# TYPE jobs counter\n"), 1);
    ck_assert_int_eq(count(buf.data, "jobs_created{segment="), 2);
    brrt_buf_free(&buf);
    brrt_snapshot_free(sa);
    brrt_snapshot_free(sb);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(shortest_round_trip_doubles)
{
    char out[64];
    brrt_fmt_double(out, sizeof out, 0.1);
    ck_assert_str_eq(out, "0.1");
    brrt_fmt_double(out, sizeof out, 3e-9);
    ck_assert_str_eq(out, "3e-09");
    brrt_fmt_double(out, sizeof out, 5.0);
    ck_assert_str_eq(out, "5");
    brrt_fmt_double(out, sizeof out, 1.0 / 0.0);
    ck_assert_str_eq(out, "+Inf");
    brrt_fmt_double(out, sizeof out, 0.0 / 0.0);
    ck_assert_str_eq(out, "NaN");
}
END_TEST

/* Against the definition: the shortest %g precision that reads back, over random doubles of
 * many magnitudes and over short decimals. */
START_TEST(fmt_double_is_the_shortest_round_trip)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char got[64], want[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        if (i % 2) {
            uint64_t bits = (x & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(900 + x % 250) << 52);
            memcpy(&v, &bits, sizeof v); /* random mantissa, exponent about 2^-123..2^126 */
        } else {
            v = (double)(x % 100000) / 1000.0; /* short decimals: 12.345 */
        }
        brrt_fmt_double(got, sizeof got, v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(want, sizeof want, "%.*g", prec, v);
            if (strtod(want, NULL) == v)
                break;
        }
        if (v == (double)(long long)v && v < 1e15 && v > -1e15)
            snprintf(want, sizeof want, "%.0f", v);
        ck_assert_msg(strcmp(got, want) == 0, "%.17g: got %s, shortest %s", v, got, want);
    }
}
END_TEST

/* A comma-decimal LC_NUMERIC: an installed one, else one generated with localedef into a
 * private LOCPATH (Debian's `locales` package has the sources). Returns false if neither. */
static bool comma_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (setlocale(LC_NUMERIC, names[i]) && strcmp(localeconv()->decimal_point, ",") == 0)
            return true;
    char dir[512], cmd[1200];
    snprintf(dir, sizeof dir, "%s/locales", fx_dir());
    if (mkdir(dir, 0700) != 0)
        return false;
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        return false;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") && strcmp(localeconv()->decimal_point, ",") == 0;
}

/* The exposition's numbers do not depend on the process's locale (an app that calls
 * setlocale(LC_ALL, "") with a German LANG must not emit "0,1"). */
START_TEST(fmt_double_ignores_lc_numeric)
{
    ck_assert_msg(comma_locale(), "no comma-decimal locale, and localedef could not make one");
    char out[64];
    snprintf(out, sizeof out, "%.1f", 0.5);
    ck_assert_str_eq(out, "0,5"); /* the locale is in effect */
    static const double v[] = {0.1, 20.723, -1.5e-7, 123456.789, 1e300 / 4};
    static const char *const want[] = {"0.1", "20.723", "-1.5e-07", "123456.789", "2.5e+299"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        brrt_fmt_double(out, sizeof out, v[i]);
        ck_assert_str_eq(out, want[i]);
    }
    setlocale(LC_NUMERIC, "C");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, families_merge_and_extra_label_wins_a_clash);
    tcase_add_test(tc, shortest_round_trip_doubles);
    tcase_add_test(tc, fmt_double_is_the_shortest_round_trip);
    tcase_add_test(tc, fmt_double_ignores_lc_numeric);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
