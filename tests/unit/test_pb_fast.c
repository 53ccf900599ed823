/* tools/export/render_pb_fast.c: the exporter's protobuf path (per-layout bytes, values written
 * by hand, counters read from RAW snapshots) writes exactly the bytes of the general path
 * (pb_render_snapshots: a protobuf-c message tree of full snapshots, packed), and they unpack
 * with protobuf-c; across value changes (the cached parts reused), a new series, a new
 * family, a writer restart with other families, and two segments merged with a clashing
 * extra label. Dropped series are counted alike. */
#include "fixture.h"

#include "brrtstat/render.h"
#include "metrics.pb-c.h"
#include "render_pb.h"

#include "brrtstat/shm_format.h"

#include "pb_frames.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Unpacks every delimited message of `b` with protobuf-c; returns how many. */
static int unpack_count(const struct brrt_buf *b)
{
    size_t at = 0, len;
    const uint8_t *msg;
    int n = 0, rc;
    while ((rc = pb_frame_next(b->data, b->len, &at, &msg, &len)) == 1) {
        Io__Prometheus__Client__MetricFamily *m =
            io__prometheus__client__metric_family__unpack(NULL, len, msg);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_gt(m->n_metric, 0);
        io__prometheus__client__metric_family__free_unpacked(m, NULL);
        n++;
    }
    ck_assert_int_eq(rc, 0); /* every frame whole */
    return n;
}

#define FAST_WHAT (BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT | BRRT_SNAP_HIST_FINE) /* the exporter's */

/* Renders the readers' segments both ways (the fast one from the exporter's snapshots with
 * `c` and a plan cache, the general one from full snapshots) and checks the bytes are equal.
 * Returns how many families went out. */
static int same_bytes(struct pb_cache *c, struct brrt_prom_cache *plan, brrt_reader *const *rs, uint32_t n,
                      const char *const *names)
{
    struct brrt_snapshot *fast[2], *full[2];
    for (uint32_t i = 0; i < n; i++) {
        struct brrt_snapshot_opts fo = {.what = FAST_WHAT};
        ck_assert_int_eq(brrt_reader_snapshot_opts(rs[i], &fo, &fast[i]), 0);
        ck_assert_ptr_nonnull(fast[i]->raw);
        ck_assert_int_eq(brrt_reader_snapshot(rs[i], &full[i]), 0);
    }
    static const char *const reserved[] = {"up_seconds", NULL};
    uint32_t d_fast[2] = {0, 0}, d_full[2] = {0, 0};
    struct brrt_prom_opts of = {.extra_label_name = names ? "segment" : NULL, .reserved_names = reserved,
                                .dropped = d_fast, .cache = plan};
    struct brrt_prom_opts og = of;
    og.dropped = d_full;
    og.cache = NULL;
    struct brrt_buf bf = {0}, bg = {0};
    pb_render_cached(c, &bf, (const struct brrt_snapshot *const *)fast, names, n, &of);
    pb_render_snapshots(&bg, (const struct brrt_snapshot *const *)full, names, n, &og);
    ck_assert(!bf.failed && !bg.failed);
    ck_assert_uint_gt(bg.len, 0);
    ck_assert_uint_eq(bf.len, bg.len);
    ck_assert(memcmp(bf.data, bg.data, bg.len) == 0);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_uint_eq(d_fast[i], d_full[i]);
    int families = unpack_count(&bf);
    brrt_buf_free(&bf);
    brrt_buf_free(&bg);
    for (uint32_t i = 0; i < n; i++) {
        brrt_snapshot_free(fast[i]);
        brrt_snapshot_free(full[i]);
    }
    return families;
}

static brrt_family *reg(brrt_seg *seg, struct brrt_metric_def d)
{
    if (!d.help)
        d.help = "h";
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    return f;
}

/* The middle (in log scale) of native bucket `i` at schema 4. */
static double mid(int i)
{
    return exp2((i - 0.5) / 16.0);
}

/* One of every kind: counters (one above 2^53, one scaled, labels that clash with the extra
 * label and need escaping), a negative sampled counter (dropped), gauges (NaN, negative),
 * an up-down gauge, a histogram with a gap inside a span, a new span, zero bucket and overflow,
 * and one without observations. */
static brrt_seg *writer(const char *name, uint32_t gen, brrt_histogram *hist)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create(name, &o, &seg), 0);
    brrt_counter c;
    brrt_family *jobs = reg(seg, (struct brrt_metric_def){.name = "jobs", .type = BRRT_COUNTER,
                                                          .label_names = (const char *const[]){"route", "segment"},
                                                          .nlabels = 2});
    ck_assert_int_eq(brrt_counter_get(jobs, BRRT_LABELS("/a\"b\\c\nd", "x"), &c), 0);
    brrt_counter_add(c, (1ull << 53) + 1 + gen);
    ck_assert_int_eq(brrt_counter_get(jobs, BRRT_LABELS("", "y"), &c), 0);
    brrt_counter_inc(c);
    ck_assert_int_eq(brrt_counter_get(reg(seg, (struct brrt_metric_def){.name = "cpu_seconds_total", .unit = "seconds",
                                                                        .type = BRRT_COUNTER, .scale = 1e-3, .help = ""}),
                                      NULL, &c), 0);
    brrt_counter_add(c, 1234 * gen);
    brrt_gauge g;
    ck_assert_int_eq(brrt_gauge_get(reg(seg, (struct brrt_metric_def){.name = "neg_total", .type = BRRT_COUNTER_SAMPLED}),
                                    NULL, &g), 0);
    brrt_gauge_set(g, -5);
    brrt_family *temp = reg(seg, (struct brrt_metric_def){.name = "temp", .type = BRRT_GAUGE,
                                                          .label_names = (const char *const[]){"at"}, .nlabels = 1});
    ck_assert_int_eq(brrt_gauge_get(temp, BRRT_LABELS("nan"), &g), 0);
    brrt_gauge_set(g, NAN);
    ck_assert_int_eq(brrt_gauge_get(temp, BRRT_LABELS("neg"), &g), 0);
    brrt_gauge_set(g, -2.5 * gen);
    brrt_updown u;
    ck_assert_int_eq(brrt_updown_get(reg(seg, (struct brrt_metric_def){.name = "inflight", .type = BRRT_UPDOWN}), NULL, &u),
                     0);
    brrt_updown_add(u, -7);
    static const double le[] = {1e-3, 0.1};
    brrt_family *lat = reg(seg, (struct brrt_metric_def){.name = "lat_seconds", .unit = "seconds", .scale = 1e-9,
                                                         .type = BRRT_HISTOGRAM, .le = le, .n_le = 2,
                                                         .label_names = (const char *const[]){"route"}, .nlabels = 1});
    ck_assert_int_eq(brrt_histogram_get(lat, BRRT_LABELS("/a"), hist), 0);
    const int i0 = -159;
    const int obs[][2] = {{i0, 5}, {i0 + 1, 2}, {i0 + 3, 1}, {i0 + 10, 4}, {i0 + 100, 1}};
    for (size_t k = 0; k < sizeof obs / sizeof obs[0]; k++)
        for (int j = 0; j < obs[k][1]; j++)
            brrt_histogram_observe(*hist, mid(obs[k][0]));
    brrt_histogram_observe(*hist, 0);
    brrt_histogram_observe(*hist, 1e7);
    brrt_histogram h2;
    ck_assert_int_eq(brrt_histogram_get(lat, BRRT_LABELS("/empty"), &h2), 0);
    return seg;
}

START_TEST(fast_bytes_equal_general_bytes)
{
    brrt_histogram h;
    brrt_seg *seg = writer("pbf", 1, &h);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("pbf", &r, NULL, 0), 0);
    struct pb_cache *c = pb_cache_new();
    struct brrt_prom_cache *plan = brrt_prom_cache_new();
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(same_bytes(c, plan, &r, 1, NULL), 5); /* neg_total dropped */
    ck_assert_uint_eq(pb_cache_builds(c), 1);
    /* new values, same layout: the parts are reused */
    brrt_histogram_observe(h, mid(-40));
    brrt_histogram_observe(h, 3.0);
    ck_assert_int_eq(same_bytes(c, plan, &r, 1, NULL), 5);
    ck_assert_uint_eq(pb_cache_builds(c), 1);
    /* a new series of an existing family, then a new family */
    brrt_counter cn;
    ck_assert_int_eq(brrt_counter_get(reg(seg, (struct brrt_metric_def){.name = "jobs", .type = BRRT_COUNTER,
                                                                         .label_names = (const char *const[]){"route", "segment"},
                                                                         .nlabels = 2}),
                                      BRRT_LABELS("/new", "z"), &cn), 0);
    brrt_counter_add(cn, 3);
    ck_assert_int_eq(same_bytes(c, plan, &r, 1, NULL), 5);
    ck_assert_uint_eq(pb_cache_builds(c), 2);
    ck_assert_int_eq(brrt_counter_get(reg(seg, (struct brrt_metric_def){.name = "late", .type = BRRT_COUNTER}), NULL, &cn),
                     0);
    brrt_counter_inc(cn);
    ck_assert_int_eq(same_bytes(c, plan, &r, 1, NULL), 6);
    ck_assert_uint_eq(pb_cache_builds(c), 3);
    /* the writer restarts (other values, no `late`): rebuilt from the new generation */
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    seg = writer("pbf", 2, &h);
    ck_assert_int_eq(brrt_reader_reopen(r), 0);
    ck_assert_int_eq(same_bytes(c, plan, &r, 1, NULL), 5);
    ck_assert_uint_eq(pb_cache_builds(c), 4);
    /* two segments merged (--all): same-named families in one message, `segment` clashes */
    brrt_histogram h2;
    brrt_seg *seg2 = writer("pbf2", 3, &h2);
    brrt_reader *r2;
    ck_assert_int_eq(brrt_reader_open("pbf2", &r2, NULL, 0), 0);
    brrt_reader *rs[] = {r, r2};
    const char *names[] = {"pbf", "pbf2"};
    ck_assert_int_eq(same_bytes(c, plan, rs, 2, names), 5);
    ck_assert_int_eq(same_bytes(c, plan, rs, 2, names), 5);
    ck_assert_uint_eq(pb_cache_builds(c), 5);
    /* the same layouts under other segment names: other label bytes */
    const char *renamed[] = {"pbf", "other"};
    ck_assert_int_eq(same_bytes(c, plan, rs, 2, renamed), 5);
    ck_assert_uint_eq(pb_cache_builds(c), 6);
    pb_cache_free(c);
    brrt_prom_cache_free(plan);
    brrt_reader_close(r);
    brrt_reader_close(r2);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    brrt_seg_close(seg2, BRRT_SEG_UNLINK);
}
END_TEST

/* A hostile file's native bucket counts are any 64-bit words: counts of 2^63 and more next to
 * small ones make each delta (count - previous count, and the 0 - previous of an empty bucket
 * inside a span) wrap as int64 in the wire format, never overflow (UBSan aborts on that). */
START_TEST(huge_native_counts_wrap)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("pbhuge", &o, &seg), 0);
    static const double le[] = {1.0};
    brrt_family *f = reg(seg, (struct brrt_metric_def){.name = "lat_seconds", .type = BRRT_HISTOGRAM, .le = le,
                                                       .n_le = 1});
    brrt_histogram h;
    ck_assert_int_eq(brrt_histogram_get(f, NULL, &h), 0);
    brrt_histogram_observe(h, 0.5); /* a shard in use */
    int fd = open(fx_path("pbhuge"), O_RDWR);
    ck_assert_int_ge(fd, 0);
    struct brrt_shm_header hd;
    ck_assert_int_eq(pread(fd, &hd, sizeof hd, 0), (ssize_t)sizeof hd);
    uint8_t *map = mmap(NULL, hd.segment_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(map, MAP_FAILED);
    const struct brrt_shm_entry *dir = (const void *)(map + hd.dir_offset);
    uint64_t off = UINT64_MAX;
    for (uint32_t i = 0; i < hd.dir_count; i++)
        if (dir[i].kind == BRRT_SHM_SERIES)
            off = dir[i].value_offset;
    ck_assert_uint_ne(off, UINT64_MAX);
    /* value words: sum, le_count[2], zero bucket, native buckets from index_min */
    static const uint64_t fine[] = {0, 100, 1ull << 63, 0, 5, 0, (1ull << 63) + 9, 3};
    for (uint32_t k = 0; k < hd.shards_used; k++) {
        uint64_t *w = (uint64_t *)(map + hd.shard_offset + k * hd.shard_stride + off);
        for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
            w[3 + i] = k == 0 ? fine[i] : 0;
    }
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("pbhuge", &r, NULL, 0), 0);
    struct pb_cache *c = pb_cache_new();
    struct brrt_prom_cache *plan = brrt_prom_cache_new();
    ck_assert_int_eq(same_bytes(c, plan, &r, 1, NULL), 1);
    pb_cache_free(c);
    brrt_prom_cache_free(plan);
    brrt_reader_close(r);
    munmap(map, hd.segment_size);
    close(fd);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Histograms with many buckets (the family's length varint grows from 2 to 3 bytes
 * between renders: the bytes are moved behind it) still match. */
START_TEST(long_families_match)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("pbl", &o, &seg), 0);
    brrt_family *f = reg(seg, (struct brrt_metric_def){.name = "big", .type = BRRT_HISTOGRAM,
                                                       .label_names = (const char *const[]){"k"}, .nlabels = 1});
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("pbl", &r, NULL, 0), 0);
    struct pb_cache *c = pb_cache_new();
    brrt_histogram h[16];
    for (int i = 0; i < 16; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        ck_assert_int_eq(brrt_histogram_get(f, BRRT_LABELS(v), &h[i]), 0);
    }
    ck_assert_int_eq(same_bytes(c, NULL, &r, 1, NULL), 1); /* small: no buckets yet */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 16; i++)
            for (double v = 0.5; v < 6e7; v *= 1.04 + 0.01 * round)
                brrt_histogram_observe(h[i], v);
        ck_assert_int_eq(same_bytes(c, NULL, &r, 1, NULL), 1);
    }
    ck_assert_uint_eq(pb_cache_builds(c), 1);
    pb_cache_free(c);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_fast");
    TCase *tc = tcase_create("pb_fast");
    tcase_add_test(tc, fast_bytes_equal_general_bytes);
    tcase_add_test(tc, long_families_match);
    tcase_add_test(tc, huge_native_counts_wrap);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
