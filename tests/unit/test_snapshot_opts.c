/* readers/snapshot.c options: a snapshot that reads only some parts gives exactly the numbers
 * of a full one for those parts, none for the others (RAW: the raw words, in raw[] only);
 * reused snapshots, in every order of parts; the text renderer
 * gives the same bytes from a selective, reused snapshot as from a full one; histogram words
 * summed exactly over 4, 5, 8 and 9 shards. */
#include "fixture.h"

#include "brrtstat/render.h"

#include <pthread.h>
#include <string.h>

#define THREADS 3

static brrt_family *f_req, *f_ratio, *f_temp, *f_inflight, *f_lat;
static pthread_barrier_t all_done; /* threads hold their shards until all have written */

static void *work(void *arg)
{
    int t = (int)(intptr_t)arg;
    void *failed = NULL;
    static const char *const paths[] = {"/a", "/b\"q\"", "/c\\n"};
    for (int i = 0; i < 1000; i++) {
        brrt_counter c;
        brrt_histogram h;
        brrt_updown u;
        const char *p = paths[(i + t) % 3];
        if (brrt_counter_get(f_req, BRRT_LABELS(p), &c) || brrt_histogram_get(f_lat, BRRT_LABELS(p), &h) ||
            brrt_updown_get(f_inflight, NULL, &u)) {
            failed = (void *)1;
            break;
        }
        brrt_counter_add(c, (uint64_t)i);
        brrt_histogram_observe(h, 1e-6 * (double)(i * 37 % 5000) + 1e-3 * t);
        brrt_updown_add(u, (i % 3) - 1);
    }
    brrt_counter c;
    if (brrt_counter_get(f_ratio, NULL, &c))
        failed = (void *)1;
    else
        brrt_counter_add(c, 7);
    pthread_barrier_wait(&all_done);
    return failed;
}

/* A quiescent segment with every storage kind, written from THREADS threads (shards). */
static brrt_seg *fill(void)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("opts", &o, &seg), 0);
    static const double le[] = {0.0005, 0.001, 0.002, 0.005};
    const char *const path[] = {"path"};
    struct brrt_metric_def d[] = {
        {.name = "req_total", .help = "r", .type = BRRT_COUNTER, .label_names = path, .nlabels = 1},
        {.name = "work_seconds_total", .help = "w", .type = BRRT_COUNTER, .scale = 1e-3},
        {.name = "temp", .help = "t", .type = BRRT_GAUGE},
        {.name = "inflight", .help = "i", .type = BRRT_UPDOWN},
        {.name = "lat_seconds", .help = "l", .unit = "seconds", .type = BRRT_HISTOGRAM, .scale = 1e-9,
         .le = le, .n_le = 4, .label_names = path, .nlabels = 1},
    };
    brrt_family **fams[] = {&f_req, &f_ratio, &f_temp, &f_inflight, &f_lat};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(brrt_family_register(seg, &d[i], fams[i]), 0);
    brrt_gauge g;
    ck_assert_int_eq(brrt_gauge_get(f_temp, NULL, &g), 0);
    brrt_gauge_set(g, 21.375);
    pthread_t t[THREADS];
    pthread_barrier_init(&all_done, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        ck_assert_ptr_null(rc);
    }
    pthread_barrier_destroy(&all_done);
    return seg;
}

static void same_series(const struct brrt_snap_family *f, const struct brrt_snap_series *a,
                        const struct brrt_snap_series *full, uint32_t what)
{
    ck_assert_uint_eq(a->family, full->family);
    ck_assert_uint_eq(a->labels_text_len, full->labels_text_len);
    ck_assert_str_eq(a->labels_text, full->labels_text);
    for (uint32_t i = 0; i < f->nlabels; i++)
        ck_assert_str_eq(a->label_values[i], full->label_values[i]);
    if (f->type != BRRT_SHM_HISTOGRAM) {
        bool in = what & BRRT_SNAP_SCALARS;
        ck_assert(memcmp(&a->value, in ? &full->value : &(double){0}, sizeof a->value) == 0);
        ck_assert_uint_eq(a->u64, in ? full->u64 : 0);
        ck_assert_int_eq(a->i64, in ? full->i64 : 0);
        return;
    }
    if (what & BRRT_SNAP_HIST_TEXT) {
        ck_assert_uint_eq(a->count, full->count);
        ck_assert_uint_eq(a->sum_raw, full->sum_raw);
        ck_assert(memcmp(&a->sum, &full->sum, sizeof a->sum) == 0);
        ck_assert(memcmp(a->le_counts, full->le_counts, (f->n_le + 1) * sizeof(uint64_t)) == 0);
    } else {
        ck_assert_uint_eq(a->count, 0);
        ck_assert_uint_eq(a->sum_raw, 0);
        ck_assert_ptr_null(a->le_counts);
    }
    if (what & BRRT_SNAP_HIST_FINE)
        ck_assert(memcmp(a->fine, full->fine, f->n_fine * sizeof(uint64_t)) == 0);
    else
        ck_assert_ptr_null(a->fine);
}

START_TEST(selective_snapshots_read_exactly_what_was_asked)
{
    brrt_seg *seg = fill();
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("opts", &r, NULL, 0), 0);
    struct brrt_snapshot *full, *sel = NULL;
    ck_assert_int_eq(brrt_reader_snapshot(r, &full), 0);
    ck_assert_uint_eq(full->what, BRRT_SNAP_ALL);
    ck_assert_uint_ge(full->info.shards_used, THREADS);
    const struct brrt_snap_series *h = fx_series(full, "lat_seconds", BRRT_LABELS("/a"));
    ck_assert_uint_gt(h->count, 0); /* something to compare */
    const struct brrt_snap_family *req = brrt_snapshot_family(full, "req_total");
    uint64_t total = 0;
    for (uint32_t k = 0; k < req->n_series; k++)
        total += full->series[req->first_series + k].u64;
    ck_assert_uint_eq(total, THREADS * 999 * 1000 / 2); /* every thread adds 0..999 */
    ck_assert_uint_eq(fx_series(full, "work_seconds_total", NULL)->u64, 7 * THREADS);
    for (int round = 0; round < 2; round++) {
        for (uint32_t what = 1; what <= (BRRT_SNAP_ALL | BRRT_SNAP_RAW); what++) {
            struct brrt_snapshot_opts o = {.what = what, .reuse = sel}; /* sel is consumed */
            ck_assert_int_eq(brrt_reader_snapshot_opts(r, &o, &sel), 0);
            ck_assert_uint_eq(sel->what, what);
            ck_assert_uint_eq(sel->n_families, full->n_families);
            ck_assert_uint_eq(sel->n_series, full->n_series);
            for (uint32_t i = 0; i < full->n_families; i++) {
                const struct brrt_snap_family *f = &full->families[i];
                ck_assert_str_eq(sel->families[i].name, f->name);
                ck_assert_uint_eq(sel->families[i].n_series, f->n_series);
                for (uint32_t k = 0; k < f->n_series; k++)
                    same_series(f, &sel->series[f->first_series + k], &full->series[f->first_series + k], what);
            }
            if (!(what & BRRT_SNAP_RAW)) {
                ck_assert_ptr_null(sel->raw);
                continue;
            }
            for (uint32_t i = 0; i < full->n_series; i++) { /* RAW: the word SCALARS is made of */
                const struct brrt_snap_family *f = &full->families[full->series[i].family];
                const struct brrt_snap_series *x = &full->series[i];
                uint64_t want = f->storage == BRRT_SHM_SHARDED_U64   ? x->u64
                                : f->storage == BRRT_SHM_SHARDED_I64 ? (uint64_t)x->i64
                                                                     : 0;
                if (f->storage == BRRT_SHM_GLOBAL_F64)
                    memcpy(&want, &x->value, sizeof want);
                ck_assert_uint_eq(sel->raw[i], want);
                if (f->type != BRRT_SHM_HISTOGRAM) {
                    double v = brrt_snap_raw_value(f, sel->raw[i]);
                    ck_assert(memcmp(&v, &x->value, sizeof v) == 0);
                }
            }
        }
    }
    brrt_snapshot_free(sel);
    brrt_snapshot_free(full);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(reused_snapshot_sees_new_series_and_is_consumed_on_error)
{
    brrt_seg *seg = fill();
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("opts", &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot_opts(r, &(struct brrt_snapshot_opts){.what = BRRT_SNAP_SCALARS}, &s), 0);
    uint32_t before = s->n_series;
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(f_req, BRRT_LABELS("/new"), &c), 0);
    brrt_counter_add(c, 11);
    ck_assert_int_eq(brrt_reader_snapshot_opts(r, &(struct brrt_snapshot_opts){.reuse = s}, &s), 0);
    ck_assert_uint_eq(s->what, BRRT_SNAP_ALL); /* what = 0 means everything */
    ck_assert_uint_eq(s->n_series, before + 1);
    ck_assert_uint_eq(fx_series(s, "req_total", BRRT_LABELS("/new"))->u64, 11);
    ck_assert_str_eq(fx_series(s, "req_total", BRRT_LABELS("/new"))->labels_text, "path=\"/new\"");
    /* A failing call frees the snapshot handed back (ASan/valgrind would see a leak). */
    struct brrt_snapshot *none = s;
    ck_assert_int_eq(brrt_reader_snapshot_opts(NULL, &(struct brrt_snapshot_opts){.reuse = s}, &none),
                     BRRT_E_INVAL);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static void render(struct brrt_buf *b, struct brrt_snapshot *s1, struct brrt_snapshot *s2,
                   enum brrt_prom_flavor flavor)
{
    const struct brrt_snapshot *snaps[] = {s1, s2};
    const char *names[] = {"one", "two \"2\""};
    struct brrt_prom_opts o = {.flavor = flavor, .extra_label_name = s2 ? "path" : NULL};
    brrt_buf_reset(b);
    brrt_render_prometheus_n(b, snaps, s2 ? names : NULL, s2 ? 2 : 1, &o);
    ck_assert(!b->failed);
}

START_TEST(text_from_selective_reused_snapshots_is_byte_identical)
{
    brrt_seg *seg = fill();
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("opts", &r, NULL, 0), 0);
    struct brrt_snapshot *full, *sel = NULL, *sel2 = NULL;
    ck_assert_int_eq(brrt_reader_snapshot(r, &full), 0);
    struct brrt_buf want = {0}, got = {0};
    for (int flavor = 0; flavor < 2; flavor++) {
        for (int two = 0; two < 2; two++) { /* with two: the extra label "path" clashes */
            render(&want, full, two ? full : NULL, (enum brrt_prom_flavor)flavor);
            for (int round = 0; round < 2; round++) {
                const uint32_t text = BRRT_SNAP_SCALARS | BRRT_SNAP_HIST_TEXT;
                ck_assert_int_eq(brrt_reader_snapshot_opts(r, &(struct brrt_snapshot_opts){text, sel}, &sel), 0);
                ck_assert_int_eq(brrt_reader_snapshot_opts(r, &(struct brrt_snapshot_opts){text, sel2}, &sel2), 0);
                render(&got, sel, two ? sel2 : NULL, (enum brrt_prom_flavor)flavor);
                ck_assert_str_eq(got.data, want.data);
                ck_assert_uint_eq(got.len, want.len);
            }
        }
    }
    ck_assert_ptr_nonnull(strstr(want.data, "lat_seconds_bucket{path=\"one\",exported_path=\"/b\\\"q\\\"\",le=\"0.0005\"} "));
    /* Without HIST_TEXT the histogram family has no samples: no values it did not read. */
    ck_assert_int_eq(brrt_reader_snapshot_opts(r, &(struct brrt_snapshot_opts){BRRT_SNAP_SCALARS, sel}, &sel), 0);
    render(&got, sel, NULL, BRRT_PROM_TEXT_004);
    ck_assert_ptr_null(strstr(got.data, "lat_seconds_bucket"));
    ck_assert_ptr_nonnull(strstr(got.data, "# TYPE lat_seconds histogram\n"));
    ck_assert_ptr_nonnull(strstr(got.data, "req_total{path=\"/a\"} "));
    brrt_buf_free(&want);
    brrt_buf_free(&got);
    brrt_snapshot_free(sel);
    brrt_snapshot_free(sel2);
    brrt_snapshot_free(full);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* ---- histogram words summed over many shards (readers/snapshot.c sum_words: four shards per
 * pass, then the rest) ------------------------------------------------------------------------ */

static brrt_family *f_many;
static pthread_barrier_t many_done;

/* Thread t observes 2^(t+1) (native bucket 16 (t + 1) at schema 4) t + 1 times. */
static void *many_work(void *arg)
{
    int t = (int)(intptr_t)arg;
    brrt_histogram h;
    void *failed = brrt_histogram_get(f_many, NULL, &h) ? (void *)1 : NULL;
    for (int i = 0; !failed && i <= t; i++)
        brrt_histogram_observe_raw(h, 2ull << t);
    pthread_barrier_wait(&many_done); /* alive together: each in a shard of its own */
    return failed;
}

START_TEST(histogram_sums_over_many_shards)
{
    static const int counts[] = {4, 5, 8, 9};
    int threads = counts[_i];
    struct brrt_seg_opts o = fx_opts();
    o.max_shards = (uint32_t)threads + 2;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("many", &o, &seg), 0);
    static const double le[] = {8, 64};
    struct brrt_metric_def d = {.name = "many", .help = "m", .type = BRRT_HISTOGRAM, .le = le, .n_le = 2};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f_many), 0);
    pthread_t t[16];
    pthread_barrier_init(&many_done, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, many_work, (void *)(intptr_t)i), 0);
    for (int i = 0; i < threads; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        ck_assert_ptr_null(rc);
    }
    pthread_barrier_destroy(&many_done);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("many", &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_ge(s->info.shards_used, (uint32_t)threads); /* the premise: one shard each */
    const struct brrt_snap_family *f = brrt_snapshot_family(s, "many");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->n_series, 1);
    const struct brrt_snap_series *x = &s->series[f->first_series];
    uint64_t count = 0, sum = 0, le8 = 0, le64 = 0;
    for (int i = 0; i < threads; i++) {
        uint64_t n = (uint64_t)i + 1, v = 2ull << i;
        count += n;
        sum += n * v;
        le8 += v <= 8 ? n : 0;
        le64 += v > 8 && v <= 64 ? n : 0;
        ck_assert_uint_eq(brrt_hist_native_count(f, x->fine, 16 * (i + 1)), n);
        ck_assert_uint_eq(brrt_hist_native_count(f, x->fine, 16 * (i + 1) - 1), 0);
    }
    ck_assert_uint_eq(x->count, count);
    ck_assert_uint_eq(x->sum_raw, sum);
    ck_assert_uint_eq(x->le_counts[0], le8);
    ck_assert_uint_eq(x->le_counts[1], le64);
    ck_assert_uint_eq(x->le_counts[2], count - le8 - le64);
    uint64_t fine = 0;
    for (uint32_t k = 0; k < f->n_fine; k++)
        fine += x->fine[k];
    ck_assert_uint_eq(fine, count);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("snapshot_opts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, selective_snapshots_read_exactly_what_was_asked);
    tcase_add_test(tc, reused_snapshot_sees_new_series_and_is_consumed_on_error);
    tcase_add_test(tc, text_from_selective_reused_snapshots_is_byte_identical);
    tcase_add_loop_test(tc, histogram_sums_over_many_shards, 0, 4);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
