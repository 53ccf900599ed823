/* Histogram maths: native bucket index/bounds, exact Prometheus buckets, quantile accuracy. */
#include "fixture.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static int32_t fast_key(double v, int32_t schema)
{
    struct brrt_hist_cell cells[512];
    brrt_hist_cells_fill(schema, cells);
    return brrt_hist_key(v, cells, brrt_hist_cell_schema(schema), schema < 0 ? (uint32_t)-schema : 0);
}

/* Every bound, and the doubles next to it on both sides, against the definition: bucket k is
 * (bound(k-1), bound(k)], upper-inclusive. */
START_TEST(key_is_exact_at_every_bound)
{
    for (int32_t schema = BRRT_HIST_SCHEMA_MIN; schema <= BRRT_HIST_SCHEMA_MAX; schema++) {
        struct brrt_hist_cell cells[512];
        brrt_hist_cells_fill(schema, cells);
        uint32_t cs = brrt_hist_cell_schema(schema), ns = schema < 0 ? (uint32_t)-schema : 0;
        int32_t per = schema >= 0 ? 1 << schema : 1;
        int32_t lim = schema >= 0 ? 60 * per : 60 >> -schema;
        for (int32_t k = -lim; k <= lim; k++) {
            double b = brrt_hist_bound(schema, k);
            ck_assert(b > brrt_hist_bound(schema, k - 1));
            ck_assert_msg(brrt_hist_key(b, cells, cs, ns) == k, "schema %d k %d", schema, k);
            ck_assert_int_eq(brrt_hist_key(nextafter(b, INFINITY), cells, cs, ns), k + 1);
            ck_assert_int_eq(brrt_hist_key(nextafter(b, 0), cells, cs, ns), k);
            ck_assert_int_eq(brrt_hist_key_ref(b, schema), k);
            ck_assert_int_eq(brrt_hist_key_ref(nextafter(b, INFINITY), schema), k + 1);
        }
        ck_assert_int_eq(brrt_hist_key(1.0, cells, cs, ns), 0);
        ck_assert_int_eq(brrt_hist_key(2.0, cells, cs, ns), per * (schema >= 0 ? 1 : 0) + (schema < 0));
        ck_assert(brrt_hist_key(0.0, cells, cs, ns) < -1000 * (schema >= 0 ? per : 1) / (schema < 0 ? 1 << -schema : 1));
    }
    /* worked examples of docs/segment-format.md §10.2 */
    ck_assert_int_eq(fast_key(1e-3, 4), -159);
    ck_assert_int_eq(fast_key(0.005, 4), -122);
    ck_assert_int_eq(fast_key(1.0, 4), 0);
    ck_assert_int_eq(fast_key(1.5, 4), 10);
    ck_assert_int_eq(fast_key(3.0, -1), 1);
    ck_assert_int_eq(fast_key(4.0, -1), 1);
    ck_assert_int_eq(fast_key(4.5, -1), 2);
}
END_TEST

/* Random values over the whole useful magnitude range: cells == log2 reference. */
START_TEST(key_matches_reference_on_random_values)
{
    for (int32_t schema = BRRT_HIST_SCHEMA_MIN; schema <= BRRT_HIST_SCHEMA_MAX; schema++) {
        struct brrt_hist_cell cells[512];
        brrt_hist_cells_fill(schema, cells);
        uint32_t cs = brrt_hist_cell_schema(schema), ns = schema < 0 ? (uint32_t)-schema : 0;
        for (int i = 0; i < 50000; i++) {
            uint64_t bits = next_rand();
            bits = (bits & ((1ull << 52) - 1)) | ((uint64_t)(1023 - 200 + (next_rand() % 400)) << 52);
            double v;
            memcpy(&v, &bits, sizeof v);
            ck_assert_msg(brrt_hist_key(v, cells, cs, ns) == brrt_hist_key_ref(v, schema), "schema %d v %a",
                          schema, v);
        }
        /* raw nanoseconds as the writer sees them */
        for (int i = 0; i < 30000; i++) {
            double v = (double)(next_rand() >> (next_rand() % 64)) * 1e-9;
            if (v >= 0x1p-1000)
                ck_assert_int_eq(brrt_hist_key(v, cells, cs, ns), brrt_hist_key_ref(v, schema));
        }
    }
}
END_TEST

static struct brrt_snapshot *snap(const char *name, brrt_reader **r)
{
    char why[256];
    int rc = brrt_reader_open(name, r, why, sizeof why);
    ck_assert_msg(rc == 0, "%s", why);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(*r, &s), 0);
    return s;
}

/* The observe path's per-family table (brrt__hist_words) and the words an observation bumps
 * (the inline range and the out-of-line call) against the definitions: the slot by the
 * reference key and the family's published range, the classic bucket by comparing raw
 * integers with the bounds, the sum capped at the last raw below the overflow
 * (docs/segment-format.md §10.1, §10.3, §10.4). Several schemas, scales, ranges and classic
 * bounds, including bounds closer than a table cell, below the zero threshold and past the
 * range (cells holding several bounds), on random raws and on the raws around every native
 * and every classic bound, the ends of the inline range and of the zero bucket, 0, 2^63 and
 * UINT64_MAX. */
static uint32_t def_slot(const struct brrt_snap_family *f, uint64_t raw)
{
    int32_t key = brrt_hist_key_ref((double)raw * f->scale, f->schema);
    int64_t k = key == INT32_MIN ? 0 : (int64_t)key - f->index_min + 1;
    return k < 0 ? 0 : k > (int64_t)f->n_fine - 1 ? f->n_fine - 1 : (uint32_t)k;
}

static uint32_t def_le(const uint64_t *le_raw, uint32_t n_le, uint64_t raw)
{
    uint32_t j = 0;
    while (j < n_le && raw > le_raw[j])
        j++;
    return j;
}

/* The largest raw whose slot by the definition is below `slot` (slots are monotonic in raw):
 * for slot 1 the top of the zero bucket, for the overflow's slot the sum cap
 * (docs/segment-format.md §10.4: what a past-range observation adds to the sum). */
static uint64_t def_last_below(const struct brrt_snap_family *f, uint32_t slot)
{
    uint64_t lo = 0, hi = UINT64_MAX;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2 + 1;
        if (def_slot(f, mid) < slot)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The smallest raw below 2^63 whose table entry, unclamped, is `e` or above (entries are
 * monotonic in raw there): the inline path takes entries 0 .. last - 1. */
static uint64_t first_raw_of_entry(const struct brrt__hist_fast *fast, int64_t e)
{
    uint64_t lo = 0, hi = 1ull << 63;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((int64_t)(brrt__hist_bits(mid) >> fast->shift) - fast->base >= e)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* One family under test: its handle, the definitions, and what its series' words must hold
 * after the observations so far (the reference, updated by the definition). */
struct words_case {
    brrt_histogram h;
    const struct brrt_snap_family *f;
    const uint64_t *le_raw;
    size_t n;
    uint64_t sum_cap;
    uint64_t *expect;
    size_t n_words;
};

/* The words of the case's series in this thread's shard: the inline path's own shard. */
static uint64_t *series_words(const struct words_case *wc)
{
    ck_assert_uint_eq(brrt__tls_cache.tag, wc->h.tag);
    return (uint64_t *)(brrt__tls_cache.base + wc->h.off);
}

/* brrt__hist_words, and an observation through brrt_histogram_observe_raw (inline range or
 * out of line, whichever the raw takes), against the definitions: the sum word grows by
 * min(raw, sum_cap), the classic and the native bucket's words by one. */
static void check_words(struct words_case *wc, uint64_t raw)
{
    const struct brrt_snap_family *f = wc->f;
    const struct brrt__hist_fast *fast = wc->h.fast;
    uint32_t le_word, fine_word;
    uint32_t le_def = 1 + def_le(wc->le_raw, f->n_le, raw), fine_def = 2 + f->n_le + def_slot(f, raw);
    brrt__hist_words(fast, raw, &le_word, &fine_word);
    ck_assert_msg(fine_word == fine_def && le_word == le_def,
                  "family %zu raw %llu: words %u %u, definition %u %u", wc->n,
                  (unsigned long long)raw, le_word, fine_word, le_def, fine_def);
    ck_assert_uint_eq(brrt__hist_slot(fast, raw), def_slot(f, raw));
    brrt_histogram_observe_raw(wc->h, raw);
    uint64_t *w = series_words(wc);
    wc->expect[0] += raw < wc->sum_cap ? raw : wc->sum_cap;
    wc->expect[le_def]++;
    wc->expect[fine_def]++;
    ck_assert_msg(w[0] == wc->expect[0] && w[le_def] == wc->expect[le_def] &&
                      w[fine_def] == wc->expect[fine_def],
                  "family %zu raw %llu: observe did not count in words 0, %u, %u", wc->n,
                  (unsigned long long)raw, le_def, fine_def);
}

/* brrt_histogram_observe(v) counts where observe_raw(raw) does, raw by the definition
 * (docs/segment-format.md §10, in doubles: r = v (1/scale) (1 - 2^-49); raw 0 for r <= 0, -0.0,
 * -Inf and a subnormal v that r rounds to 0 too; 2^64 - 1 from 18446744073709549568 on, +Inf
 * too; else ceil(r)); NaN counts nowhere. */
static void check_double(struct words_case *wc, double v)
{
    uint64_t *w = series_words(wc);
    if (isnan(v)) {
        brrt_histogram_observe(wc->h, v);
        ck_assert_msg(memcmp(w, wc->expect, wc->n_words * sizeof(uint64_t)) == 0,
                      "family %zu: NaN was counted", wc->n);
        return;
    }
    double r = v * (1.0 / wc->f->scale) * (1.0 - 0x1p-49); /* in doubles: a subnormal v can be 0 */
    uint64_t raw = !(r > 0) ? 0 : r >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)ceil(r);
    uint32_t le_def = 1 + def_le(wc->le_raw, wc->f->n_le, raw), fine_def = 2 + wc->f->n_le + def_slot(wc->f, raw);
    brrt_histogram_observe(wc->h, v);
    wc->expect[0] += raw < wc->sum_cap ? raw : wc->sum_cap;
    wc->expect[le_def]++;
    wc->expect[fine_def]++;
    ck_assert_msg(memcmp(w, wc->expect, wc->n_words * sizeof(uint64_t)) == 0,
                  "family %zu: observe(%a) did not count as raw %llu", wc->n, v, (unsigned long long)raw);
}

START_TEST(family_words_match_the_definition)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    o.shard_bytes = 1u << 20; /* the families of 5,000+ native buckets */
    ck_assert_int_eq(brrt_seg_create("slots", &o, &seg), 0);
    static const double le_ms[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
    static const double le_close[] = {5e-8, 1e-7, 2e-7, 0.01, 0.0101, 0.0102, 1, 1.001, 200, 500};
    static const double le_int[] = {0, 1, 2, 3, 4, 10, 11, 1000, 1e6, 1e7};
    static const double le_coarse[] = {0.001, 0.0012, 0.0014, 1.0, 1.2, 100};
    static const double le_steps[] = {0.001, 0.002, 0.003, 1.0, 1.001, 1.002, 100}; /* scale 1e-3 */
    static double le_pow2[64]; /* 0, then 2^0 .. 2^62: every one a native boundary */
    for (int k = 1; k < 64; k++)
        le_pow2[k] = ldexp(1.0, k - 1);
    static const double le_q[] = {0.75, 1.5, 3, 750}; /* scale 0.75 */
    static const struct {
        int32_t schema;
        double scale, lo, hi;
        const char *unit;
        const double *le;
        uint32_t n_le;
    } fams[] = {
        {0, 1e-9, 0, 0, "seconds", le_ms, 9}, /* defaults: schema 4, 2^-20 .. 128 s */
        {3, 1e-9, 1e-6, 100, "seconds", le_close, 10},
        {8, 1e-9, 1e-3, 10, "seconds", le_ms, 9},
        {BRRT_HIST_SCHEMA_ZERO, 1, 1, 1e6, "", le_int, 10},
        {-2, 1, 0.5, 1e12, "", le_int, 10},
        {-4, 1e-6, 1e-3, 1e9, "seconds", le_coarse, 6},
        {5, 1, 0, 0, "bytes", le_int, 10},
        {2, 1e-3, 0.7, 333.3, "seconds", le_steps, 7},
        {4, 1e-9, 0, 0, "seconds", le_close, 10},
        {4, 1e-9, 0, 0, "seconds", NULL, 0},
        /* The edges of what registration allows: 64 bounds on native boundaries up to a range
         * near 2^63 raw, schema 8 there too, a scale that leaves a few raws in the whole range
         * (top tiny), schema -4 up to its last bucket below 2^63, a scale not a power of 2. */
        {0, 1, 1, 0x1p62, "", le_pow2, 64},
        {8, 1, 0x1p57, 0x1p62, "", NULL, 0},
        {8, 1e6, 1e6, 1e9, "", NULL, 0},
        {BRRT_HIST_SCHEMA_ZERO, 1e3, 1e3, 4e3, "", NULL, 0},
        {-4, 1, 1e-3, 0x1p47, "", le_int, 10},
        {7, 0.75, 1, 1e4, "", le_q, 4},
    };
    enum { NF = sizeof fams / sizeof fams[0] };
    brrt_histogram h[NF];
    for (size_t n = 0; n < NF; n++) {
        char name[32];
        snprintf(name, sizeof name, "h%zu", n);
        struct brrt_metric_def d = {.name = name, .unit = fams[n].unit, .type = BRRT_HISTOGRAM,
                                    .scale = fams[n].scale, .schema = fams[n].schema,
                                    .hist_min = fams[n].lo, .hist_max = fams[n].hi,
                                    .le = fams[n].le, .n_le = fams[n].n_le};
        brrt_family *f;
        ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
        ck_assert_int_eq(brrt_histogram_get(f, NULL, &h[n]), 0);
    }
    brrt_reader *r;
    struct brrt_snapshot *s = snap("slots", &r);
    size_t multi = 0;
    for (size_t n = 0; n < NF; n++) {
        char name[32];
        snprintf(name, sizeof name, "h%zu", n);
        const struct brrt_snap_family *f = brrt_snapshot_family(s, name);
        const struct brrt__hist_fast *fast = h[n].fast;
        ck_assert_uint_eq(fast->last_slot, f->n_fine - 1);
        ck_assert_uint_eq(f->n_le, fams[n].n_le);
        uint64_t le_raw[BRRT_SHM_MAX_LE];
        for (uint32_t j = 0; j < f->n_le; j++)
            le_raw[j] = (uint64_t)llround(f->le[j] / f->scale);
        for (uint32_t c = 0; c < fast->n_cells; c++)
            multi += (brrt__hist_cells(fast)[c].le & BRRT__HIST_LE_MULTI) != 0;
        struct words_case wc = {h[n], f, le_raw, n, def_last_below(f, f->n_fine - 1), NULL,
                                brrt_hist_value_words(f->n_le, f->n_fine - 2)};
        ck_assert_uint_eq(fast->sum_cap, wc.sum_cap);
        brrt_histogram_observe_raw(h[n], 1); /* takes this thread's shard in the segment */
        wc.expect = malloc(wc.n_words * sizeof(uint64_t));
        ck_assert_ptr_nonnull(wc.expect);
        memcpy(wc.expect, series_words(&wc), wc.n_words * sizeof(uint64_t));
        for (int i = 0; i < 40000; i++)
            check_words(&wc, next_rand() >> (next_rand() % 64));
        for (int32_t i = f->index_min - 1; i <= f->index_max; i++) {
            double rb = brrt_hist_bound(f->schema, i) / f->scale;
            if (!(rb < 1.8e19))
                continue;
            uint64_t c = (uint64_t)rb;
            for (uint64_t raw = c > 2 ? c - 2 : 0; raw <= c + 2; raw++)
                check_words(&wc, raw);
        }
        for (uint32_t j = 0; j < f->n_le; j++)
            for (uint64_t raw = le_raw[j] > 2 ? le_raw[j] - 2 : 0; raw <= le_raw[j] + 2; raw++)
                check_words(&wc, raw);
        /* The ends of the inline path's range (entries 0 .. last - 1; out of line on either
         * side), the sum cap, the top of the zero bucket, and the ends of uint64_t and of the
         * signed conversion. */
        const uint64_t ends[] = {first_raw_of_entry(fast, 0), first_raw_of_entry(fast, fast->last),
                                 wc.sum_cap, def_last_below(f, 1), 1ull << 63, 0, UINT64_MAX};
        for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++)
            for (int d = -2; d <= 2; d++) {
                uint64_t raw = ends[e] + (uint64_t)(int64_t)d;
                if ((d < 0 && raw > ends[e]) || (d > 0 && raw < ends[e]))
                    continue; /* past 0 or UINT64_MAX */
                check_words(&wc, raw);
            }
        const double vs[] = {NAN, -NAN, -1.0, -0.0, 0.0, -INFINITY, 0x1p-1074, DBL_MIN, 1e-300,
                             0.5 * f->scale, f->scale, 1.5 * f->scale, 0x1p53 * f->scale,
                             (0x1p53 + 2) * f->scale, 0x1p63 * f->scale, 0x1p64 * f->scale, 1e300,
                             DBL_MAX, INFINITY};
        for (size_t v = 0; v < sizeof vs / sizeof vs[0]; v++)
            check_double(&wc, vs[v]);
        ck_assert_uint_eq(brrt__hist_slot(fast, 0), 0);
        ck_assert_uint_eq(brrt__hist_slot(fast, UINT64_MAX), fast->last_slot);
        /* No other word of the series moved. */
        ck_assert(memcmp(series_words(&wc), wc.expect, wc.n_words * sizeof(uint64_t)) == 0);
        free(wc.expect);
    }
    ck_assert_uint_ge(multi, 4); /* the close bounds exercised the stepping cells */
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static const double LE[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

static brrt_seg *hist_seg(brrt_histogram *h, int32_t schema)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("hist", &o, &seg), 0);
    struct brrt_metric_def d = {.name = "req_seconds", .help = "h", .unit = "seconds",
                                .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = LE, .n_le = 9,
                                .schema = schema};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    ck_assert_int_eq(brrt_histogram_get(f, NULL, h), 0);
    return seg;
}


START_TEST(prometheus_buckets_are_exact_at_bounds)
{
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, 0);
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
    int32_t schema = _i;
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, schema);
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
    ck_assert(fabs(err - (exp2(exp2(-schema)) - 1)) < 1e-12);
    const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (int k = 0; k < 5; k++) {
        double exact = (double)v[(size_t)ceil(qs[k] * N) - 1] * 1e-9;
        double got = brrt_hist_quantile(f, ser->fine, qs[k]);
        ck_assert_msg(fabs(got - exact) <= err * exact, "schema %d q%.3f got %.9f exact %.9f", schema,
                      qs[k], got, exact);
    }
    ck_assert(isnan(brrt_hist_quantile(f, ser->fine, 1.5)));
    uint64_t zero[8192] = {0};
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
    brrt_seg *seg = hist_seg(&h, 0);
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

/* Zero bucket, native buckets addressed by index, overflow; the reader's accessors. */
START_TEST(zero_and_overflow_buckets)
{
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, 0); /* default schema 4, 2^-20 .. 128 s */
    brrt_histogram_observe_raw(h, 0);
    brrt_histogram_observe_raw(h, 953);  /* 0.953 us <= 2^-20 s: zero bucket */
    brrt_histogram_observe_raw(h, 954);  /* just above: first native bucket */
    brrt_histogram_observe_raw(h, 1000000000); /* exactly 1 s: bucket 0 (upper-inclusive) */
    brrt_histogram_observe_raw(h, 1000000001); /* bucket 1 */
    brrt_histogram_observe(h, 129.0);    /* overflow */
    brrt_reader *r;
    struct brrt_snapshot *s = snap("hist", &r);
    const struct brrt_snap_family *f = brrt_snapshot_family(s, "req_seconds");
    const struct brrt_snap_series *x = fx_series(s, "req_seconds", NULL);
    ck_assert_int_eq(f->schema, 4);
    ck_assert_int_eq(f->index_min, -319);
    ck_assert_int_eq(f->index_max, 112);
    ck_assert_uint_eq(f->n_fine, 434);
    ck_assert(f->zero_threshold == 0x1p-20);
    ck_assert_uint_eq(x->fine[0], 2);
    ck_assert_uint_eq(brrt_hist_native_count(f, x->fine, -319), 1);
    ck_assert_uint_eq(brrt_hist_native_count(f, x->fine, 0), 1);
    ck_assert_uint_eq(brrt_hist_native_count(f, x->fine, 1), 1);
    ck_assert_uint_eq(brrt_hist_native_count(f, x->fine, 113), 0);
    ck_assert_uint_eq(x->fine[f->n_fine - 1], 1);
    ck_assert(brrt_hist_native_bound(4, 0) == 1.0 && brrt_hist_native_bound(4, 16) == 2.0);
    ck_assert(brrt_hist_quantile(f, x->fine, 1.0) == 128.0); /* overflow reports the top */
    ck_assert(brrt_hist_quantile(f, x->fine, 0.0) == 0.0);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Issue 12 item 10: +Inf and past-range values add at most the range's top to the sum. */
START_TEST(past_range_never_decreases_sum)
{
    brrt_histogram h;
    brrt_seg *seg = hist_seg(&h, 0);
    brrt_reader *r;
    struct brrt_snapshot *s = snap("hist", &r);
    uint64_t prev = 0;
    const double vs[] = {1.0, INFINITY, 1e300, 200.0, DBL_MAX, 0.5, INFINITY};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        brrt_histogram_observe(h, vs[i]);
        brrt_histogram_observe_raw(h, UINT64_MAX);
        brrt_snapshot_free(s);
        ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
        const struct brrt_snap_series *x = fx_series(s, "req_seconds", NULL);
        ck_assert_uint_gt(x->sum_raw, prev);
        ck_assert(x->sum_raw - prev <= 2 * 128000000000ull);
        prev = x->sum_raw;
    }
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* brrt_histogram_observe(v) gives the raw value v is a whole number of steps of, up to 2^48
 * steps: the sum is exact and a value a step above a bound counts above it. (A relative 1e-12
 * taken off before rounding up once counted 1e13 + 3 bytes in le 1e13 and summed it as
 * 1e13 - 7.) Bounds the quantisation cannot honour are refused: one 5e-10 relative off a whole
 * step (observing it gave the raw above it) and a positive one below half a step (raw 0). */
START_TEST(double_observe_is_exact_below_2_48_steps)
{
    static const struct {
        const char *unit;
        double scale;
    } sc[] = {{"bytes", 1}, {"seconds", 1e-9}, {"seconds", 1e-6}, {"seconds", 1e-3}};
    for (size_t n = 0; n < sizeof sc / sizeof sc[0]; n++) {
        struct brrt_seg_opts o = fx_opts();
        brrt_seg *seg;
        ck_assert_int_eq(brrt_seg_create("dbl", &o, &seg), 0);
        double le_bad[] = {(5000000 + 0.0025) * sc[n].scale};
        double le_tiny[] = {0.25 * sc[n].scale};
        double le[] = {1e13 * sc[n].scale, (1e13 + 5) * sc[n].scale};
        struct brrt_metric_def d = {.name = "x", .unit = sc[n].unit, .type = BRRT_HISTOGRAM,
                                    .scale = sc[n].scale, .hist_min = 1e6 * sc[n].scale,
                                    .hist_max = 0x1p50 * sc[n].scale, .le = le_bad, .n_le = 1};
        brrt_family *f;
        ck_assert_int_eq(brrt_family_register(seg, &d, &f), BRRT_E_INVAL);
        d.le = le_tiny;
        ck_assert_int_eq(brrt_family_register(seg, &d, &f), BRRT_E_INVAL);
        d.le = le;
        d.n_le = 2;
        ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(f, NULL, &h), 0);
        uint64_t want_sum = 0, want_le[3] = {0, 0, 0};
        static const uint64_t at[] = {10000000000000ull, 10000000000003ull, 10000000000005ull,
                                      10000000000006ull};
        for (int i = 0; i < 2004; i++) {
            uint64_t raw = i < 4 ? at[i] : next_rand() >> (16 + next_rand() % 48); /* < 2^48 */
            brrt_histogram_observe(h, (double)raw * sc[n].scale);
            want_sum += raw;
            want_le[raw <= at[0] ? 0 : raw <= at[2] ? 1 : 2]++;
        }
        brrt_reader *r;
        struct brrt_snapshot *s = snap("dbl", &r);
        const struct brrt_snap_series *x = fx_series(s, "x", NULL);
        ck_assert_msg(x->sum_raw == want_sum, "scale %g: sum_raw %llu, want %llu", sc[n].scale,
                      (unsigned long long)x->sum_raw, (unsigned long long)want_sum);
        for (int j = 0; j < 3; j++) /* per bucket, not cumulative; at[1], at[2] in le[1] */
            ck_assert_msg(x->le_counts[j] == want_le[j], "scale %g: le_counts[%d] %llu, want %llu",
                          sc[n].scale, j, (unsigned long long)x->le_counts[j],
                          (unsigned long long)want_le[j]);
        brrt_snapshot_free(s);
        brrt_reader_close(r);
        brrt_seg_close(seg, BRRT_SEG_UNLINK);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, key_is_exact_at_every_bound);
    tcase_add_test(tc, key_matches_reference_on_random_values);
    tcase_add_test(tc, family_words_match_the_definition);
    tcase_add_test(tc, prometheus_buckets_are_exact_at_bounds);
    tcase_add_loop_test(tc, quantiles_within_stated_error, 2, 6);
    tcase_add_test(tc, zero_and_overflow_buckets);
    tcase_add_test(tc, past_range_never_decreases_sum);
    tcase_add_test(tc, sum_is_exact_integer_sum);
    tcase_add_test(tc, double_observe_is_exact_below_2_48_steps);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
