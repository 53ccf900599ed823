/* Histogram maths: fine bucket index/bounds, exact Prometheus buckets, quantile accuracy. */
#include "fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(index_bounds_are_consistent_exhaustively)
{
    const uint32_t s = 5, m = 36;
    uint32_t prev = 0;
    for (uint64_t v = 0; v < (1u << 20); v++) {
        uint32_t i = brrt_hist_index(v, s, m);
        uint64_t lo = brrt_hist_lower(i, s), w = brrt_hist_width(i, s);
        ck_assert_msg(lo <= v && v < lo + w, "v=%llu idx=%u lo=%llu w=%llu", (unsigned long long)v, i,
                      (unsigned long long)lo, (unsigned long long)w);
        ck_assert(i == prev || i == prev + 1); /* contiguous, no gaps */
        ck_assert(v < 32 || (double)w / (double)lo <= 1.0 / 32);
        prev = i;
    }
}
END_TEST

START_TEST(index_bounds_hold_for_random_large_values)
{
    uint64_t x = 88172645463325252ull;
    for (uint32_t s = 1; s <= 8; s++) {
        for (int k = 0; k < 200000; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t m = 40;
            uint64_t v = x >> (64 - m); /* < 2^m */
            uint32_t i = brrt_hist_index(v, s, m);
            ck_assert_uint_lt(i, brrt_hist_nfine(s, m));
            uint64_t lo = brrt_hist_lower(i, s);
            ck_assert(lo <= v && v - lo < brrt_hist_width(i, s));
        }
        ck_assert_uint_eq(brrt_hist_index(1ull << 40, s, 40), brrt_hist_nfine(s, 40));
        ck_assert_uint_eq(brrt_hist_index(UINT64_MAX, s, 40), brrt_hist_nfine(s, 40));
        ck_assert_uint_eq(brrt_hist_lower(brrt_hist_nfine(s, 40), s), 1ull << 40);
    }
}
END_TEST

static const double LE[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

static brrt_seg *hist_seg(brrt_histogram *h, uint32_t sub_bits)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("hist", &o, &seg), 0);
    struct brrt_metric_def d = {.name = "req_seconds", .help = "h", .unit = "seconds",
                                .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = LE, .n_le = 9,
                                .sub_bits = sub_bits};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    ck_assert_int_eq(brrt_histogram_get(f, NULL, h), 0);
    return seg;
}

static struct brrt_snapshot *snap(const char *name, brrt_reader **r)
{
    char why[256];
    int rc = brrt_reader_open(name, r, why, sizeof why);
    ck_assert_msg(rc == 0, "%s", why);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(*r, &s), 0);
    return s;
}

START_TEST(prometheus_buckets_are_exact_at_bounds)
{
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, 5);
    /* at each bound (counts in it) and one raw step above (counts in the next) */
    const uint64_t raw_le[] = {1000000, 5000000, 10000000, 50000000, 100000000, 500000000,
                               1000000000, 5000000000ull, 10000000000ull};
    for (int i = 0; i < 9; i++) {
        brrt_histogram_observe_raw(h, raw_le[i]);
        brrt_histogram_observe_raw(h, raw_le[i] + 1);
    }
    brrt_histogram_observe(h, 0.005); /* the double path must agree with raw 5000000 */
    brrt_histogram_observe(h, 0.0);
    brrt_histogram_observe(h, -1.0);  /* clamps to 0 */
    brrt_reader *r;
    struct brrt_snapshot *s = snap("hist", &r);
    const struct brrt_snap_series *x = fx_series(s, "req_seconds", NULL);
    ck_assert_ptr_nonnull(x);
    /* bucket 0 (<=1ms): 1ms, 0, 0 ; bucket i: (bound_{i-1}+1) and bound_i ; +Inf: 10s+1 */
    ck_assert_uint_eq(x->le_counts[0], 3);
    ck_assert_uint_eq(x->le_counts[1], 3); /* 1ms+1, 5ms, 0.005 */
    for (int i = 2; i < 9; i++)
        ck_assert_uint_eq(x->le_counts[i], 2);
    ck_assert_uint_eq(x->le_counts[9], 1);
    ck_assert_uint_eq(x->count, 21);
    uint64_t fine = 0;
    const struct brrt_snap_family *f = brrt_snapshot_family(s, "req_seconds");
    for (uint32_t i = 0; i < f->n_fine; i++)
        fine += x->fine[i];
    ck_assert_uint_eq(fine, x->count);
    ck_assert_uint_eq(f->n_le, 9);
    ck_assert(f->le[1] == 0.005);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Quantiles of a skewed (log-uniform, 1 us .. 2 s) distribution: within the stated error. */
START_TEST(quantiles_within_stated_error)
{
    uint32_t sub_bits = (uint32_t)_i;
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, sub_bits);
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0;
        v[i] = (uint64_t)(1000.0 * pow(2e6, u)); /* 1e3 .. 2e9 ns */
        brrt_histogram_observe_raw(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    brrt_reader *r;
    struct brrt_snapshot *s = snap("hist", &r);
    const struct brrt_snap_family *f = brrt_snapshot_family(s, "req_seconds");
    const struct brrt_snap_series *ser = fx_series(s, "req_seconds", NULL);
    double err = brrt_hist_relative_error(f);
    ck_assert(fabs(err - ldexp(1, -(int)sub_bits)) < 1e-12);
    const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (int k = 0; k < 5; k++) {
        double exact = (double)v[(size_t)ceil(qs[k] * N) - 1] * 1e-9;
        double got = brrt_hist_quantile(f, ser->fine, qs[k]);
        ck_assert_msg(fabs(got - exact) <= err * exact, "sub_bits %u q%.3f got %.9f exact %.9f", sub_bits,
                      qs[k], got, exact);
    }
    ck_assert(isnan(brrt_hist_quantile(f, ser->fine, 1.5)));
    uint64_t zero[2048] = {0};
    ck_assert(isnan(brrt_hist_quantile(f, zero, 0.5)));
    free(v);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(sum_is_exact_integer_sum)
{
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, 5);
    uint64_t total = 0;
    for (uint64_t i = 1; i <= 10000; i++) {
        brrt_histogram_observe_raw(h, i * 7919);
        total += i * 7919;
    }
    brrt_reader *r;
    struct brrt_snapshot *s = snap("hist", &r);
    const struct brrt_snap_series *x = fx_series(s, "req_seconds", NULL);
    ck_assert_uint_eq(x->sum_raw, total);
    ck_assert(fabs(x->sum - (double)total * 1e-9) < 1e-9);
    ck_assert_uint_eq(x->count, 10000);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, index_bounds_are_consistent_exhaustively);
    tcase_add_test(tc, index_bounds_hold_for_random_large_values);
    tcase_add_test(tc, prometheus_buckets_are_exact_at_bounds);
    tcase_add_loop_test(tc, quantiles_within_stated_error, 3, 7);
    tcase_add_test(tc, sum_is_exact_integer_sum);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
