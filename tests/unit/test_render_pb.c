/* tools/export/render_pb.c: the protobuf exposition, unpacked again by protobuf-c and compared
 * with the segment: native spans and deltas (a gap inside a span, a gap that opens a new one),
 * the zero bucket, the overflow counted in sample_count only, classic buckets, labels; and the
 * same families left out (and counted) as in the text exposition of the same snapshots. */
#include "fixture.h"

#include "brrtstat/render.h"
#include "metrics.pb-c.h"
#include "pb_frames.h"
#include "reader_tests.h"
#include "render_pb.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The middle (in log scale) of native bucket `i` at schema 4: 2^((i - 0.5) / 16) seconds. */
static double mid(int i)
{
    return exp2((i - 0.5) / 16.0);
}

/* Splits the delimited body into messages; returns how many (at most `max`). */
static int unpack_all(const struct brrt_buf *b, Io__Prometheus__Client__MetricFamily **out, int max)
{
    size_t at = 0, len;
    const uint8_t *msg;
    int n = 0;
    while (n < max && pb_frame_next(b->data, b->len, &at, &msg, &len) == 1) {
        out[n] = io__prometheus__client__metric_family__unpack(NULL, len, msg);
        ck_assert_ptr_nonnull(out[n]);
        n++;
    }
    ck_assert_uint_eq(at, b->len); /* nothing left over */
    return n;
}

START_TEST(native_spans_deltas_zero_and_overflow)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("pb", &o, &seg), 0);
    static const double le[] = {1e-3};
    struct brrt_metric_def d = {.name = "req_duration_seconds", .help = "Duration", .unit = "seconds",
                                .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = le, .n_le = 1,
                                .label_names = (const char *const[]){"route"}, .nlabels = 1};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_histogram h;
    ck_assert_int_eq(brrt_histogram_get(f, BRRT_LABELS("/a"), &h), 0);
    const int i0 = -159; /* (2^-10, 2^(-159/16)] s: holds 1 ms */
    struct { int index, n; } obs[] = {{i0, 5}, {i0 + 1, 2}, {i0 + 3, 1}, {i0 + 10, 4}};
    for (size_t k = 0; k < sizeof obs / sizeof obs[0]; k++)
        for (int j = 0; j < obs[k].n; j++)
            brrt_histogram_observe(h, mid(obs[k].index));
    for (int j = 0; j < 3; j++)
        brrt_histogram_observe(h, 0); /* zero bucket */
    brrt_histogram_observe(h, 1e7);   /* past the range: overflow, twice */
    brrt_histogram_observe(h, 1e7);

    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("pb", &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    const struct brrt_snap_family *sf = brrt_snapshot_family(s, "req_duration_seconds");
    ck_assert_ptr_nonnull(sf);
    ck_assert_int_eq(sf->schema, 4);
    const struct brrt_snap_series *ss = &s->series[sf->first_series];
    for (size_t k = 0; k < sizeof obs / sizeof obs[0]; k++) /* the test's own premise */
        ck_assert_uint_eq(brrt_hist_native_count(sf, ss->fine, obs[k].index), (uint64_t)obs[k].n);

    struct brrt_buf b = {0};
    const struct brrt_snapshot *snaps[] = {s};
    const char *names[] = {"seg1"};
    pb_render_snapshots(&b, snaps, names, 1, &(struct brrt_prom_opts){.extra_label_name = "segment"});
    ck_assert(!b.failed);
    Io__Prometheus__Client__MetricFamily *mf[64];
    int n = unpack_all(&b, mf, 64);
    Io__Prometheus__Client__MetricFamily *m = NULL;
    for (int k = 0; k < n; k++)
        if (strcmp(mf[k]->name, "req_duration_seconds") == 0)
            m = mf[k];
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
    ck_assert_uint_eq(m->n_metric, 1);
    Io__Prometheus__Client__Metric *met = m->metric[0];
    ck_assert_uint_eq(met->n_label, 2);
    ck_assert_str_eq(met->label[0]->name, "segment");
    ck_assert_str_eq(met->label[0]->value, "seg1");
    ck_assert_str_eq(met->label[1]->name, "route");
    ck_assert_str_eq(met->label[1]->value, "/a");
    Io__Prometheus__Client__Histogram *hp = met->histogram;
    ck_assert_ptr_nonnull(hp);
    ck_assert_uint_eq(hp->sample_count, 5 + 2 + 1 + 4 + 3 + 2); /* overflow included */
    ck_assert_int_eq(hp->schema, 4);
    ck_assert(hp->zero_threshold > 0 && hp->zero_threshold == sf->zero_threshold);
    ck_assert_uint_eq(hp->zero_count, 3);
    /* classic: le 1 ms holds the zero bucket and bucket i0 */
    ck_assert_uint_eq(hp->n_bucket, 1);
    ck_assert(hp->bucket[0]->upper_bound == 1e-3);
    ck_assert_uint_eq(hp->bucket[0]->cumulative_count, 8);
    /* spans: i0..i0+3 (the empty i0+2 inside as a zero delta), then i0+10 after a gap of 6 */
    ck_assert_uint_eq(hp->n_positive_span, 2);
    ck_assert_int_eq(hp->positive_span[0]->offset, i0);
    ck_assert_uint_eq(hp->positive_span[0]->length, 4);
    ck_assert_int_eq(hp->positive_span[1]->offset, 6);
    ck_assert_uint_eq(hp->positive_span[1]->length, 1);
    static const int64_t want[] = {5, -3, -2, 1, 3};
    ck_assert_uint_eq(hp->n_positive_delta, 5);
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(hp->positive_delta[k], want[k]);
    /* and generally: the buckets rebuilt from spans and deltas are the segment's, exactly */
    int64_t count = 0, idx = 0, total = 0;
    size_t di = 0;
    for (size_t sp = 0; sp < hp->n_positive_span; sp++) {
        idx += hp->positive_span[sp]->offset;
        for (uint32_t l = 0; l < hp->positive_span[sp]->length; l++, idx++) {
            count += hp->positive_delta[di++];
            ck_assert_uint_eq((uint64_t)count, brrt_hist_native_count(sf, ss->fine, (int32_t)idx));
            total += count;
        }
    }
    ck_assert_int_eq(total + (int64_t)hp->zero_count + 2, (int64_t)hp->sample_count);
    for (int k = 0; k < n; k++)
        io__prometheus__client__metric_family__free_unpacked(mf[k], NULL);
    brrt_buf_free(&b);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(counters_gauges_and_self_metrics)
{
    struct brrt_buf b = {0};
    const char *segs[] = {"a", "b"};
    const double v[] = {1, 0};
    pb_render_scalars(&b, "up_like", false, "Help", "segment", segs, v, 2);
    const double c = 42;
    pb_render_scalars(&b, "scrapes_total", true, "Scrapes", NULL, NULL, &c, 1);
    Io__Prometheus__Client__MetricFamily *mf[4];
    ck_assert_int_eq(unpack_all(&b, mf, 4), 2);
    ck_assert_str_eq(mf[0]->name, "up_like");
    ck_assert_str_eq(mf[0]->help, "Help");
    ck_assert_str_eq(mf[0]->metric[0]->label[0]->name, "segment");
    ck_assert_str_eq(mf[1]->name, "scrapes_total");
    ck_assert_ptr_null(mf[0]->metric[0]->counter);
    ck_assert_ptr_null(mf[1]->metric[0]->gauge);
    ck_assert_int_eq(mf[0]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
    ck_assert_uint_eq(mf[0]->n_metric, 2);
    ck_assert_str_eq(mf[0]->metric[1]->label[0]->value, "b");
    ck_assert(mf[0]->metric[0]->gauge->value == 1);
    ck_assert_int_eq(mf[1]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
    ck_assert_uint_eq(mf[1]->metric[0]->n_label, 0);
    ck_assert(mf[1]->metric[0]->counter->value == 42);
    for (int k = 0; k < 2; k++)
        io__prometheus__client__metric_family__free_unpacked(mf[k], NULL);
    brrt_buf_free(&b);
}
END_TEST

static brrt_family *reg(brrt_seg *seg, const char *name, enum brrt_type t)
{
    static const double le[] = {1, 2};
    struct brrt_metric_def d = {.name = name, .help = "h", .type = t, .le = t == BRRT_HISTOGRAM ? le : NULL,
                                .n_le = t == BRRT_HISTOGRAM ? 2 : 0};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    return f;
}

static brrt_gauge gauge(brrt_seg *seg, const char *name, enum brrt_type t, double v)
{
    brrt_gauge g;
    ck_assert_int_eq(brrt_gauge_get(reg(seg, name, t), NULL, &g), 0);
    brrt_gauge_set(g, v);
    return g;
}

/* Two segments, each valid, that clash when merged (--all): b's gauge jobs_created takes a
 * name of a's counter jobs, b's gauge lat has another type than a's histogram lat, b's
 * up_seconds is reserved, a's sampled counter neg_total is negative. The protobuf exposition
 * leaves out what the text one leaves out, and counts the same. */
START_TEST(same_plan_as_text)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *a, *b;
    ck_assert_int_eq(brrt_seg_create("pa", &o, &a), 0);
    ck_assert_int_eq(brrt_seg_create("pbb", &o, &b), 0);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(reg(a, "jobs", BRRT_COUNTER), NULL, &c), 0);
    brrt_counter_inc(c);
    brrt_histogram h;
    ck_assert_int_eq(brrt_histogram_get(reg(a, "lat", BRRT_HISTOGRAM), NULL, &h), 0);
    brrt_histogram_observe(h, 1.5);
    gauge(a, "neg_total", BRRT_COUNTER_SAMPLED, -5);
    gauge(b, "jobs_created", BRRT_GAUGE, 1);
    gauge(b, "lat", BRRT_GAUGE, 2);
    gauge(b, "up_seconds", BRRT_GAUGE, 3);
    gauge(b, "fine", BRRT_GAUGE, 4);
    brrt_reader *ra, *rb;
    ck_assert_int_eq(brrt_reader_open("pa", &ra, NULL, 0), 0);
    ck_assert_int_eq(brrt_reader_open("pbb", &rb, NULL, 0), 0);
    struct brrt_snapshot *sa, *sb;
    ck_assert_int_eq(brrt_reader_snapshot(ra, &sa), 0);
    ck_assert_int_eq(brrt_reader_snapshot(rb, &sb), 0);
    const struct brrt_snapshot *snaps[] = {sa, sb};
    const char *names[] = {"a", "b"};
    static const char *const reserved[] = {"up_seconds", NULL};
    uint32_t text_dropped[2] = {0, 0}, pb_dropped[2] = {0, 0};
    struct brrt_prom_opts po = {.extra_label_name = "segment", .reserved_names = reserved, .dropped = text_dropped};
    struct brrt_buf text = {0}, pb = {0};
    brrt_render_prometheus_n(&text, snaps, names, 2, &po);
    po.dropped = pb_dropped;
    pb_render_snapshots(&pb, snaps, names, 2, &po);
    ck_assert(!text.failed && !pb.failed);
    ck_assert_uint_eq(text_dropped[0], 1); /* neg_total's series */
    ck_assert_uint_eq(text_dropped[1], 3); /* jobs_created, lat (gauge), up_seconds */
    ck_assert_uint_eq(pb_dropped[0], text_dropped[0]);
    ck_assert_uint_eq(pb_dropped[1], text_dropped[1]);
    /* The text exposition's families with samples, in order: jobs (as jobs_total), lat, fine. */
    ck_assert_ptr_nonnull(strstr(text.data, "# TYPE jobs_total counter\njobs_total{segment=\"a\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text.data, "# TYPE fine gauge\nfine{segment=\"b\"} 4\n"));
    ck_assert_ptr_null(strstr(text.data, "jobs_created"));
    ck_assert_ptr_null(strstr(text.data, "up_seconds"));
    Io__Prometheus__Client__MetricFamily *mf[16];
    int n = unpack_all(&pb, mf, 16);
    /* neg_total: no series left; counter jobs is jobs_total as in the text exposition (Prometheus
     * names protobuf samples after their family). */
    static const char *const want[] = {"jobs_total", "lat", "fine"};
    ck_assert_int_eq(n, 3);
    for (int k = 0; k < n; k++)
        ck_assert_str_eq(mf[k]->name, want[k]);
    ck_assert_int_eq(mf[1]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
    ck_assert_uint_eq(mf[1]->n_metric, 1); /* b's gauge lat is not merged into it */
    ck_assert_str_eq(mf[1]->metric[0]->label[0]->value, "a");
    ck_assert(mf[2]->metric[0]->gauge->value == 4);
    for (int k = 0; k < n; k++)
        io__prometheus__client__metric_family__free_unpacked(mf[k], NULL);
    brrt_buf_free(&text);
    brrt_buf_free(&pb);
    brrt_snapshot_free(sa);
    brrt_snapshot_free(sb);
    brrt_reader_close(ra);
    brrt_reader_close(rb);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

/* A protobuf render of a fresh snapshot of `r` through `cache` equals one without a cache (bytes
 * and drop counts: the reserved counter "clash" is left out and counted either way). Returns
 * the families' names, space-separated, into `names`. */
static void pb_cached_is_fresh(brrt_reader *r, struct brrt_prom_cache *cache, char *names, size_t cap)
{
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    const struct brrt_snapshot *snaps[] = {s};
    static const char *const reserved[] = {"clash_total", NULL};
    uint32_t d_cached = 0, d_fresh = 0;
    struct brrt_prom_opts oc = {.reserved_names = reserved, .dropped = &d_cached, .cache = cache};
    struct brrt_prom_opts of = {.reserved_names = reserved, .dropped = &d_fresh};
    struct brrt_buf got = {0}, want = {0};
    pb_render_snapshots(&got, snaps, NULL, 1, &oc);
    pb_render_snapshots(&want, snaps, NULL, 1, &of);
    ck_assert(!got.failed && !want.failed);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.data, want.data, got.len) == 0);
    ck_assert_uint_eq(d_cached, 1);
    ck_assert_uint_eq(d_fresh, 1);
    Io__Prometheus__Client__MetricFamily *mf[16];
    int n = unpack_all(&got, mf, 16);
    names[0] = '\0';
    for (int k = 0; k < n; k++) {
        size_t at = strlen(names);
        snprintf(names + at, cap - at, "%s%s", k ? " " : "", mf[k]->name);
        io__prometheus__client__metric_family__free_unpacked(mf[k], NULL);
    }
    brrt_buf_free(&got);
    brrt_buf_free(&want);
    brrt_snapshot_free(s);
}

/* One writer generation of segment "pbc": counters jobs_total (= value, its handle in *jobs)
 * and clash, and either histogram lat or (other) gauge temp. */
static brrt_seg *pbc_writer(bool other, uint64_t value, brrt_counter *jobs)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("pbc", &o, &seg), 0);
    ck_assert_int_eq(brrt_counter_get(reg(seg, "jobs_total", BRRT_COUNTER), NULL, jobs), 0);
    brrt_counter_add(*jobs, value);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(reg(seg, "clash", BRRT_COUNTER), NULL, &c), 0);
    brrt_counter_inc(c);
    if (other) {
        gauge(seg, "temp", BRRT_GAUGE, 21.5);
    } else {
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(reg(seg, "lat", BRRT_HISTOGRAM), NULL, &h), 0);
        brrt_histogram_observe(h, 1.5);
    }
    return seg;
}

/* Protobuf scrapes keep the exposition plan in a cache, as text scrapes do (the exporter's
 * plan[SEGSET_PROTOBUF]): built once, reused while the families stay (values move), rebuilt
 * when a family is published after the first scrape and when a new writer generation lists
 * other families; every render is what a render without the cache gives. */
START_TEST(plan_cache_reused_and_invalidated)
{
    brrt_counter jobs, c;
    brrt_seg *seg = pbc_writer(false, 1, &jobs);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("pbc", &r, NULL, 0), 0);
    struct brrt_prom_cache *cache = brrt_prom_cache_new();
    ck_assert_ptr_nonnull(cache);
    char names[512];
    pb_cached_is_fresh(r, cache, names, sizeof names);
    ck_assert_str_eq(names, "jobs_total lat");
    ck_assert_uint_eq(rd_prom_cache_builds(cache), 1);
    brrt_counter_add(jobs, 41);
    for (int i = 0; i < 3; i++) { /* new values, same families: the plan is reused */
        pb_cached_is_fresh(r, cache, names, sizeof names);
        ck_assert_uint_eq(rd_prom_cache_builds(cache), 1);
    }
    /* A family published after the first scrape. */
    ck_assert_int_eq(brrt_counter_get(reg(seg, "late", BRRT_COUNTER), NULL, &c), 0);
    brrt_counter_inc(c);
    pb_cached_is_fresh(r, cache, names, sizeof names);
    ck_assert_str_eq(names, "jobs_total lat late_total");
    ck_assert_uint_eq(rd_prom_cache_builds(cache), 2);
    pb_cached_is_fresh(r, cache, names, sizeof names);
    ck_assert_uint_eq(rd_prom_cache_builds(cache), 2);
    /* A new generation with other families (temp where lat was, no late): rebuilt. Then one
     * with the same families as the last: its plan holds (the values are the new generation's:
     * pb_cached_is_fresh compares them with a fresh render). */
    for (uint64_t gen = 2, builds = 3; gen <= 3; gen++) {
        brrt_seg_close(seg, BRRT_SEG_UNLINK);
        seg = pbc_writer(true, gen * 7, &jobs);
        ck_assert_int_eq(brrt_reader_reopen(r), 0);
        pb_cached_is_fresh(r, cache, names, sizeof names);
        ck_assert_str_eq(names, "jobs_total temp");
        ck_assert_uint_eq(rd_prom_cache_builds(cache), builds);
    }
    brrt_prom_cache_free(cache);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_pb");
    TCase *tc = tcase_create("pb");
    tcase_add_test(tc, native_spans_deltas_zero_and_overflow);
    tcase_add_test(tc, counters_gauges_and_self_metrics);
    tcase_add_test(tc, same_plan_as_text);
    tcase_add_test(tc, plan_cache_reused_and_invalidated);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
