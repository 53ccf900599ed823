/* The exporter's compact path: snapshots of raw words (BRRT_SNAP_RAW, reused) rendered with a
 * brrt_prom_cache (line heads built once per layout) give exactly the bytes and drop counts of
 * the general path (a full, fresh snapshot rendered without a cache): in both text flavors,
 * with one and two snapshots (an extra label, also one that clashes), after the segment gains
 * series and families, with a corrupt directory tail, and after the writer restarts with the
 * same family names but other series (the cache must not serve the old generation's text). */
#include "fixture.h"

#include "brrtstat/render.h"
#include "brrtstat/shm_format.h"
#include "reader_tests.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static brrt_family *f_req, *f_ms, *f_temp, *f_inflight, *f_lat;

/* Families of every storage kind; `gen` changes the label values and numbers. */
static brrt_seg *fill(int gen)
{
    struct brrt_seg_opts o = fx_opts();
    o.shard_bytes = 4u << 20; /* room for the big families of the budget tests */
    o.max_entries = 16384;
    o.arena_bytes = 1u << 20;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("cache", &o, &seg), 0);
    static const double le[] = {0.0005, 0.001, 0.002, 0.005};
    const char *const path[] = {"path"};
    struct brrt_metric_def d[] = {
        {.name = "req_total", .help = gen ? "requests, again" : "requests", .type = BRRT_COUNTER,
         .label_names = path, .nlabels = 1},
        {.name = "work_seconds_total", .help = "w", .type = BRRT_COUNTER, .scale = 1e-3},
        {.name = "temp", .help = "t", .type = BRRT_GAUGE},
        {.name = "inflight", .help = "i", .type = BRRT_UPDOWN},
        {.name = "lat_seconds", .help = "l", .unit = "seconds", .type = BRRT_HISTOGRAM, .scale = 1e-9,
         .le = le, .n_le = 4, .label_names = path, .nlabels = 1},
    };
    brrt_family **fams[] = {&f_req, &f_ms, &f_temp, &f_inflight, &f_lat};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(brrt_family_register(seg, &d[i], fams[i]), 0);
    static const char *const paths[2][3] = {{"/a", "/b\"q\"", "/c\\n"}, {"/x", "/y", "/a"}};
    for (int i = 0; i < 300; i++) {
        brrt_counter c;
        brrt_histogram h;
        const char *p = paths[gen][i % 3];
        ck_assert_int_eq(brrt_counter_get(f_req, BRRT_LABELS(p), &c), 0);
        ck_assert_int_eq(brrt_histogram_get(f_lat, BRRT_LABELS(p), &h), 0);
        brrt_counter_add(c, (uint64_t)(i * (gen + 1)));
        brrt_histogram_observe(h, 1e-6 * (double)(i * 37 % 5000));
    }
    brrt_counter c;
    brrt_gauge g;
    brrt_updown u;
    ck_assert_int_eq(brrt_counter_get(f_ms, NULL, &c), 0);
    brrt_counter_add(c, 1234567);
    ck_assert_int_eq(brrt_gauge_get(f_temp, NULL, &g), 0);
    brrt_gauge_set(g, gen ? -0.125 : 21.375);
    ck_assert_int_eq(brrt_updown_get(f_inflight, NULL, &u), 0);
    brrt_updown_add(u, gen ? 5 : -3);
    return seg;
}

struct two {
    brrt_reader *r[2];
    struct brrt_snapshot *keep[2]; /* the compact path's reused snapshots */
    struct brrt_prom_cache *cache[2]; /* per flavor, as the exporter keeps them */
    struct brrt_buf got, want;
};

/* The names the renders reserve: by default one that clashes with the gauge family "temp"
 * (left out, counted). */
static const char *const reserve_temp[] = {"temp", NULL};
static const char *const *reserved = reserve_temp;

/* One render both ways of n snapshots (n = 2: extra label `extra`), now; the compact text is
 * left in t->got. */
static void same_both_ways(struct two *t, uint32_t n, enum brrt_prom_flavor flavor, const char *extra)
{
    const char *names[] = {"one", "two \"2\""};
    struct brrt_snapshot *full[2] = {NULL, NULL};
    for (uint32_t i = 0; i < n; i++) {
        struct brrt_snapshot_opts o = {.what = BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT, .reuse = t->keep[i]};
        ck_assert_int_eq(brrt_reader_snapshot_opts(t->r[i], &o, &t->keep[i]), 0);
        ck_assert_ptr_nonnull(t->keep[i]->raw);
        ck_assert_uint_ne(t->keep[i]->layout, 0);
        ck_assert_int_eq(brrt_reader_snapshot(t->r[i], &full[i]), 0);
        ck_assert_uint_eq(full[i]->layout, t->keep[i]->layout);
    }
    uint32_t dropped_got[2] = {0, 0}, dropped_want[2] = {0, 0};
    struct brrt_prom_opts og = {.flavor = flavor, .extra_label_name = extra, .reserved_names = reserved,
                                .dropped = dropped_got, .cache = t->cache[flavor]};
    struct brrt_prom_opts ow = og;
    ow.dropped = dropped_want;
    ow.cache = NULL;
    brrt_buf_reset(&t->got);
    brrt_buf_reset(&t->want);
    brrt_render_prometheus_n(&t->got, (const struct brrt_snapshot *const *)t->keep, n > 1 ? names : NULL, n, &og);
    brrt_render_prometheus_n(&t->want, (const struct brrt_snapshot *const *)full, n > 1 ? names : NULL, n, &ow);
    ck_assert(!t->got.failed && !t->want.failed);
    ck_assert_str_eq(t->got.data, t->want.data);
    ck_assert_uint_eq(t->got.len, t->want.len);
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_eq(dropped_got[i], dropped_want[i]);
        ck_assert_uint_ge(dropped_got[i], reserved == reserve_temp); /* "temp" */
        brrt_snapshot_free(full[i]);
    }
}

/* Every combination, twice each (the second from the cache), flavors alternating; the last
 * one (left in t->got) is one snapshot in text 0.0.4. */
static void all_ways(struct two *t)
{
    for (int round = 0; round < 2; round++)
        for (int flavor = 0; flavor < 2; flavor++) {
            same_both_ways(t, 1, (enum brrt_prom_flavor)flavor, NULL);
            same_both_ways(t, 2, (enum brrt_prom_flavor)flavor, "segment");
            same_both_ways(t, 2, (enum brrt_prom_flavor)flavor, "path"); /* renames path */
            same_both_ways(t, 1, (enum brrt_prom_flavor)flavor, NULL);
        }
    same_both_ways(t, 1, BRRT_PROM_TEXT_004, NULL);
}

static void open_two(struct two *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(brrt_reader_open("cache", &t->r[i], NULL, 0), 0);
        ck_assert_ptr_nonnull(t->cache[i] = brrt_prom_cache_new());
    }
}

static void close_two(struct two *t)
{
    for (int i = 0; i < 2; i++) {
        brrt_snapshot_free(t->keep[i]);
        brrt_prom_cache_free(t->cache[i]);
        brrt_reader_close(t->r[i]);
    }
    brrt_buf_free(&t->got);
    brrt_buf_free(&t->want);
}

START_TEST(compact_path_is_the_general_path)
{
    brrt_seg *seg = fill(0);
    struct two t;
    open_two(&t);
    all_ways(&t);
    ck_assert_ptr_nonnull(strstr(t.got.data, "\nreq_total{path=\"/b\\\"q\\\"\"} 14950\n"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "\nwork_seconds_total 1234.56"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "\ninflight -3\n"));
    ck_assert_ptr_null(strstr(t.got.data, "temp")); /* reserved: left out */
    /* raw[] holds what SCALARS puts in the series */
    struct brrt_snapshot *full;
    ck_assert_int_eq(brrt_reader_snapshot(t.r[0], &full), 0);
    for (uint32_t i = 0; i < full->n_series; i++) {
        const struct brrt_snap_family *f = &full->families[full->series[i].family];
        if (f->type == BRRT_SHM_HISTOGRAM) {
            ck_assert_uint_eq(t.keep[0]->raw[i], 0);
            continue;
        }
        double v = brrt_snap_raw_value(f, t.keep[0]->raw[i]);
        ck_assert(memcmp(&v, &full->series[i].value, sizeof v) == 0);
        if (f->storage == BRRT_SHM_SHARDED_U64)
            ck_assert_uint_eq(t.keep[0]->raw[i], full->series[i].u64);
        ck_assert_uint_eq(t.keep[0]->series[i].u64, 0); /* RAW alone: not in the structs */
        ck_assert(t.keep[0]->series[i].value == 0);
        ck_assert_str_eq(t.keep[0]->series[i].labels_text, full->series[i].labels_text);
    }
    brrt_snapshot_free(full);
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Cumulative bucket counts of every length in the cached lines (render_cache.c keeps a count
 * below 10^15 in two words, brrtstat/fmt_words.h, and formats a longer one in place): the
 * series' bucket words in this thread's shard are set so that the cumulative counts are
 * 99999999, 10^8, 999999999999999, 10^15 and near 2^64 (and wrap past it, as the general
 * path's sums do). */
START_TEST(compact_path_with_counts_of_every_length)
{
    brrt_seg *seg = fill(0);
    brrt_histogram h;
    ck_assert_int_eq(brrt_histogram_get(f_lat, BRRT_LABELS("/x"), &h), 0);
    brrt_histogram_observe(h, 1e-6); /* this thread's shard holds the series now */
    ck_assert_uint_eq(brrt__tls_cache.tag, h.tag);
    uint64_t *w = (uint64_t *)(brrt__tls_cache.base + h.off); /* sum, le[0..4], fine... */
    static const uint64_t cum[] = {99999999ull, 100000000ull, 999999999999999ull, 1000000000000000ull,
                                   UINT64_MAX - 5};
    uint64_t prev = 0;
    for (int k = 0; k < 5; k++) {
        __atomic_store_n(&w[1 + k], cum[k] - prev, __ATOMIC_RELAXED);
        prev = cum[k];
    }
    struct two t;
    open_two(&t);
    all_ways(&t);
    ck_assert_ptr_nonnull(strstr(t.got.data, "lat_seconds_bucket{path=\"/x\",le=\"0.0005\"} 99999999\n"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "lat_seconds_bucket{path=\"/x\",le=\"0.001\"} 100000000\n"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "lat_seconds_bucket{path=\"/x\",le=\"0.002\"} 999999999999999\n"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "lat_seconds_bucket{path=\"/x\",le=\"0.005\"} 1000000000000000\n"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "lat_seconds_bucket{path=\"/x\",le=\"+Inf\"} 18446744073709551610\n"));
    __atomic_store_n(&w[5], UINT64_MAX, __ATOMIC_RELAXED); /* the +Inf count wraps past 2^64 */
    all_ways(&t);
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Past 8,192 bucket heads (render_cache.c, WHOLE_BUCKET_HEADS_MAX) a histogram family keeps
 * one bucket head per series and adds the `le` pieces per line, so that a big family does not
 * keep its exposition's size per flavor: the same bytes either way, also with the small family
 * before it keeping whole heads in the same text. */
START_TEST(compact_path_past_the_whole_heads_budget)
{
    brrt_seg *seg = fill(0);
    double le[64]; /* 1 ms .. 64 ms */
    for (int k = 0; k < 64; k++)
        le[k] = 1e-3 * (k + 1);
    const char *const route[] = {"route"};
    struct brrt_metric_def d = {.name = "big_seconds", .help = "b", .unit = "seconds", .type = BRRT_HISTOGRAM,
                                .scale = 1e-9, .le = le, .n_le = 64, .label_names = route, .nlabels = 1,
                                .max_series = 200};
    brrt_family *big;
    ck_assert_int_eq(brrt_family_register(seg, &d, &big), 0);
    for (int i = 0; i < 140; i++) { /* 140 x 65 bucket heads */
        char r[16];
        snprintf(r, sizeof r, "/r%d", i);
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(big, BRRT_LABELS(r), &h), 0);
        brrt_histogram_observe(h, 1e-3 * (double)(i % 70));
    }
    struct two t;
    open_two(&t);
    all_ways(&t);
    ck_assert_ptr_nonnull(strstr(t.got.data, "\nbig_seconds_bucket{route=\"/r139\",le=\"+Inf\"} 1\n"));
    for (int flavor = 0; flavor < 2; flavor++) {
        uint32_t whole, le_pieces;
        rd_prom_cache_hist_heads(t.cache[flavor], &whole, &le_pieces);
        ck_assert_uint_eq(whole, 1);      /* lat_seconds */
        ck_assert_uint_eq(le_pieces, 1); /* big_seconds */
    }
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* The budget crossed inside a two-snapshot plan: a family of 5,005 bucket heads keeps them whole
 * for the first snapshot and one head per series for the second (the same family name, both
 * ways in one text), with label values near BRRT_SHM_MAX_STRING (heads far past HEAD_SLACK,
 * copied in 32-byte steps; escaped, so longer still), long bounds, and a counter with long
 * labels registered last so that the kept text ends with long heads (OpenMetrics: _created).
 * Then the second family's series grow past the budget for the first snapshot too (a layout
 * change flips it from whole to le pieces); a family without classic bounds past the budget by
 * itself (le pieces of +Inf alone); the extra label renaming a label of the le-piece families. */
START_TEST(compact_path_with_the_budget_crossed_between_snapshots)
{
    brrt_seg *seg = fill(0);
    double le[64];
    for (int k = 0; k < 64; k++)
        le[k] = 0x1p-20 * 1231 * (k + 1); /* whole raw steps of 2^-20, long texts */
    const char *const names[] = {"path", "v"}; /* "path": renamed by all_ways' extra label */
    struct brrt_metric_def d = {.name = "mid_seconds", .help = "m", .unit = "seconds", .type = BRRT_HISTOGRAM,
                                .scale = 0x1p-20, .le = le, .n_le = 64, .label_names = names, .nlabels = 2,
                                .max_series = 200};
    struct brrt_metric_def dc = {.name = "zz_total", .help = "z", .type = BRRT_COUNTER, .label_names = names,
                                 .nlabels = 2};
    /* No classic bounds (the +Inf bucket alone) and 8,200 series: always one head per series. */
    struct brrt_metric_def dn = {.name = "nol_bytes", .help = "n", .type = BRRT_HISTOGRAM, .schema = BRRT_HIST_SCHEMA_ZERO,
                                 .hist_min = 1, .hist_max = 2, .label_names = names, .nlabels = 1,
                                 .max_series = 8200};
    brrt_family *mid, *zz, *nol;
    ck_assert_int_eq(brrt_family_register(seg, &d, &mid), 0);
    ck_assert_int_eq(brrt_family_register(seg, &dc, &zz), 0);
    ck_assert_int_eq(brrt_family_register(seg, &dn, &nol), 0);
    for (int i = 0; i < 8200; i++) {
        char r[16];
        snprintf(r, sizeof r, "/n%d", i);
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(nol, BRRT_LABELS(r), &h), 0);
        if (i % 7 == 0)
            brrt_histogram_observe_raw(h, (uint64_t)i % 4);
    }
    static char longv[4][4096];
    for (int i = 0; i < 4; i++) {
        size_t n = 4000 + 13 * (size_t)i;
        for (size_t k = 0; k < n; k++)
            longv[i][k] = "ab\\\"\nxyz"[(k + (size_t)i) % 8];
        longv[i][n] = '\0';
    }
    for (int i = 0; i < 77; i++) { /* 77 x 65 = 5,005 bucket heads */
        char r[16];
        snprintf(r, sizeof r, "/r%d", i);
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(mid, BRRT_LABELS(r, i < 4 ? longv[i] : "s"), &h), 0);
        brrt_histogram_observe(h, 0.001234567890123457 * (double)(i % 70));
        brrt_counter c;
        if (i < 4 || i == 76) {
            ck_assert_int_eq(brrt_counter_get(zz, BRRT_LABELS(r, longv[i % 4]), &c), 0);
            brrt_counter_add(c, (uint64_t)i);
        }
    }
    struct two t;
    open_two(&t);
    all_ways(&t);
    for (int flavor = 0; flavor < 2; flavor++) {
        uint32_t whole, le_pieces;
        rd_prom_cache_hist_heads(t.cache[flavor], &whole, &le_pieces);
        ck_assert_uint_eq(whole, 2); /* the last render: one snapshot */
        ck_assert_uint_eq(le_pieces, 1);
    }
    for (int flavor = 0; flavor < 2; flavor++) { /* two snapshots: one mid_seconds each way */
        same_both_ways(&t, 2, (enum brrt_prom_flavor)flavor, "segment");
        uint32_t whole, le_pieces;
        rd_prom_cache_hist_heads(t.cache[flavor], &whole, &le_pieces);
        ck_assert_uint_eq(whole, 3);
        ck_assert_uint_eq(le_pieces, 3);
    }
    for (int i = 77; i < 140; i++) { /* 140 x 65: le pieces for every snapshot now */
        char r[16];
        snprintf(r, sizeof r, "/r%d", i);
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(mid, BRRT_LABELS(r, "s"), &h), 0);
        brrt_histogram_observe(h, 1e300);
    }
    all_ways(&t);
    for (int flavor = 0; flavor < 2; flavor++) {
        same_both_ways(&t, 2, (enum brrt_prom_flavor)flavor, "segment");
        uint32_t whole, le_pieces;
        rd_prom_cache_hist_heads(t.cache[flavor], &whole, &le_pieces);
        ck_assert_uint_eq(whole, 2);
        ck_assert_uint_eq(le_pieces, 4);
    }
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(compact_path_follows_new_series_and_families)
{
    brrt_seg *seg = fill(0);
    struct two t;
    open_two(&t);
    all_ways(&t);
    uint64_t layout = t.keep[0]->layout;
    brrt_counter c;
    brrt_histogram h;
    ck_assert_int_eq(brrt_counter_get(f_req, BRRT_LABELS("/new"), &c), 0);
    brrt_counter_add(c, 11);
    ck_assert_int_eq(brrt_histogram_get(f_lat, BRRT_LABELS("/new"), &h), 0);
    brrt_histogram_observe(h, 0.001);
    all_ways(&t);
    ck_assert_uint_ne(t.keep[0]->layout, layout);
    ck_assert_ptr_nonnull(strstr(t.got.data, "req_total{path=\"/new\"} 11\n"));
    /* A family without series yet changes the layout too, then its first series. */
    layout = t.keep[0]->layout;
    struct brrt_metric_def d = {.name = "late_total", .help = "late", .type = BRRT_COUNTER};
    brrt_family *late;
    ck_assert_int_eq(brrt_family_register(seg, &d, &late), 0);
    all_ways(&t);
    ck_assert_uint_ne(t.keep[0]->layout, layout);
    ck_assert_ptr_nonnull(strstr(t.got.data, "# TYPE late_total counter\n"));
    ck_assert_int_eq(brrt_counter_get(late, NULL, &c), 0);
    brrt_counter_add(c, 3);
    all_ways(&t);
    ck_assert_ptr_nonnull(strstr(t.got.data, "\nlate_total 3\n"));
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Other reserved names with the same snapshots (the same layouts): a new plan, new text. */
START_TEST(compact_path_follows_reserved_names)
{
    brrt_seg *seg = fill(0);
    struct two t;
    open_two(&t);
    all_ways(&t);
    ck_assert_ptr_null(strstr(t.got.data, "\ntemp "));
    static const char *const reserve_inflight[] = {"inflight", NULL};
    reserved = reserve_inflight;
    all_ways(&t);
    ck_assert_ptr_nonnull(strstr(t.got.data, "\ntemp 21.375\n"));
    ck_assert_ptr_null(strstr(t.got.data, "\ninflight "));
    reserved = reserve_temp;
    all_ways(&t);
    ck_assert_ptr_null(strstr(t.got.data, "\ntemp "));
    ck_assert_ptr_nonnull(strstr(t.got.data, "\ninflight -3\n"));
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* The last family entry's name made to point outside the arena: that family and its series
 * are skipped by every reader; both paths render the rest alike. */
START_TEST(compact_path_with_a_corrupt_directory_tail)
{
    brrt_seg *seg = fill(0);
    struct two t;
    open_two(&t);
    all_ways(&t);
    struct brrt_metric_def d = {.name = "bad_total", .help = "bad", .type = BRRT_COUNTER};
    brrt_family *bad;
    brrt_counter c;
    ck_assert_int_eq(brrt_family_register(seg, &d, &bad), 0);
    ck_assert_int_eq(brrt_counter_get(bad, NULL, &c), 0);
    brrt_counter_add(c, 5);
    const char *path = fx_path("cache");
    struct brrt_shm_header hd;
    ck_assert_int_eq(fx_pread(path, &hd, sizeof hd, 0), 0);
    uint32_t fam_entry = UINT32_MAX;
    for (uint32_t i = 0; i < hd.dir_count; i++) {
        struct brrt_shm_entry e;
        ck_assert_int_eq(fx_pread(path, &e, sizeof e, (long)(hd.dir_offset + (uint64_t)i * sizeof e)), 0);
        if (e.kind == BRRT_SHM_FAMILY)
            fam_entry = i;
    }
    ck_assert_uint_ne(fam_entry, UINT32_MAX);
    brrt_shm_ref garbage = 0xfffffff0u;
    long at = (long)(hd.dir_offset + (uint64_t)fam_entry * sizeof(struct brrt_shm_entry) +
                     offsetof(struct brrt_shm_entry, name));
    ck_assert_int_eq(fx_pwrite(path, &garbage, sizeof garbage, at), 0);
    all_ways(&t);
    ck_assert_uint_ge(t.keep[0]->info.skipped_entries, 1);
    ck_assert_ptr_null(strstr(t.got.data, "bad_total"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "req_total{"));
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* A new writer at the same path: same family names, other help, series and values. The
 * readers reopen; the caches (whose plans match by family names) must not serve old heads. */
START_TEST(compact_path_follows_a_restart)
{
    brrt_seg *seg = fill(0);
    struct two t;
    open_two(&t);
    all_ways(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    seg = fill(1);
    for (int i = 0; i < 2; i++) {
        struct brrt_reader_info in;
        ck_assert_int_eq(brrt_reader_info(t.r[i], &in), 0);
        ck_assert(in.replaced);
        ck_assert_int_eq(brrt_reader_reopen(t.r[i]), 0);
    }
    all_ways(&t);
    ck_assert_ptr_nonnull(strstr(t.got.data, "# HELP req_total requests, again\n"));
    ck_assert_ptr_nonnull(strstr(t.got.data, "req_total{path=\"/y\"} "));
    ck_assert_ptr_null(strstr(t.got.data, "/b\\\"q"));
    close_two(&t);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_cache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, compact_path_is_the_general_path);
    tcase_add_test(tc, compact_path_with_counts_of_every_length);
    tcase_add_test(tc, compact_path_past_the_whole_heads_budget);
    tcase_add_test(tc, compact_path_with_the_budget_crossed_between_snapshots);
    tcase_add_test(tc, compact_path_follows_new_series_and_families);
    tcase_add_test(tc, compact_path_follows_reserved_names);
    tcase_add_test(tc, compact_path_with_a_corrupt_directory_tail);
    tcase_add_test(tc, compact_path_follows_a_restart);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
