/* brrt-stat-watch's model without a terminal: thresholds at their exact boundaries, rings
 * (averages, slopes, chart columns), the change-point rate of a sampled counter, the sample
 * derived from real snapshots, the dashboard numbers, and the browser's filter and sort. */
#include "fixture.h"
#include "model.h"

#include "brrtstat/catalog.h"
#include "brrtstat/process.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define NEAR(a, b, tol) ck_assert_msg(fabs((a) - (b)) <= (tol), "%s = %.9g, want %.9g +- %g", #a, (double)(a), (double)(b), (double)(tol))

START_TEST(thresholds_change_at_their_values)
{
    /* Every row of the shared table (brrtstat/thresholds.h): the band changes exactly at each
     * threshold (inclusive), with that band's colour. */
    for (int t = 0; t < BRRT_TH_COUNT; t++) {
        const struct brrt_threshold_def *d = &brrt_thresholds[t];
        ck_assert_msg(d->t[0] < d->t[1] && d->t[1] < d->t[2] && d->colour[0] != BRRT_COLOUR_NONE, "%s", d->name);
        ck_assert_int_eq(watch_band((enum brrt_threshold)t, -1e300), 0);
        for (int i = 0; i < BRRT_N_BANDS - 1; i++) {
            double below = nextafter(d->t[i], -INFINITY);
            ck_assert_msg(watch_band((enum brrt_threshold)t, below) == i, "%s just below %g", d->name, d->t[i]);
            ck_assert_msg(watch_band((enum brrt_threshold)t, d->t[i]) == i + 1, "%s at %g", d->name, d->t[i]);
            ck_assert_int_eq(watch_colour_of((enum brrt_threshold)t, d->t[i]), (int)d->colour[i + 1]);
        }
    }
    /* The demo's stacks, about half used, are fine ("can shrink" is not a warning). */
    ck_assert_int_eq(watch_band(BRRT_TH_STACK, 50.12), 0);
    ck_assert_int_eq(watch_colour_of(BRRT_TH_CPU, 60), WC_YELLOW);
    ck_assert_int_eq(watch_band(BRRT_TH_CPU, NAN), -1);
    ck_assert_int_eq(watch_colour_of(BRRT_TH_CPU, NAN), WC_NONE);
    ck_assert_str_eq(watch_band_word(0), "ok");
    ck_assert_str_eq(watch_band_word(3), "crit");
    ck_assert_str_eq(watch_band_word(-1), "");
}
END_TEST

START_TEST(ring_mean_is_time_weighted_and_windowed)
{
    struct ring r;
    ck_assert_int_eq(ring_init(&r, 8), 0);
    ck_assert(isnan(ring_mean(&r, 10, 60, NULL)));
    ring_push(&r, 1, 10, 1);  /* (0, 1]: 10 */
    ring_push(&r, 3, 40, 2);  /* (1, 3]: 40 */
    ring_push(&r, 4, NAN, 1); /* not added */
    ring_push(&r, 4, 99, 0);  /* no weight: not added */
    double cov;
    NEAR(ring_mean(&r, 3, 60, &cov), (10 + 80) / 3.0, 1e-12);
    NEAR(cov, 3, 1e-12);
    NEAR(ring_mean(&r, 3, 1.5, &cov), 40, 1e-12); /* t = 1 is outside (1.5, 3] */
    NEAR(cov, 2, 1e-12);
    ck_assert(isnan(ring_mean(&r, 0.5, 60, NULL))); /* nothing at or before 0.5 */
    /* full: the oldest go */
    for (int i = 0; i < 20; i++)
        ring_push(&r, 10 + i, i, 1);
    ck_assert_uint_eq(r.n, 8);
    NEAR(ring_mean(&r, 29, 1000, NULL), (12 + 13 + 14 + 15 + 16 + 17 + 18 + 19) / 8.0, 1e-12);
    ring_clear(&r);
    ck_assert(isnan(ring_mean(&r, 29, 1000, NULL)));
    ring_free(&r);
}
END_TEST

START_TEST(ring_slope_is_least_squares)
{
    struct ring r;
    ck_assert_int_eq(ring_init(&r, 64), 0);
    ring_push(&r, 1e6, 5, 1);
    ck_assert(isnan(ring_slope(&r, 1e6, 60))); /* one point */
    for (int i = 1; i <= 30; i++)
        ring_push(&r, 1e6 + i, 5 + 1024.0 * i + (i % 2 ? 10 : -10), 1); /* +1 KiB/s with noise */
    NEAR(ring_slope(&r, 1e6 + 30, 60), 1024, 2);
    NEAR(ring_slope(&r, 1e6 + 30, 10.5), 1024, 5); /* the last 10 points only */
    ring_free(&r);
}
END_TEST

START_TEST(ring_columns_bucket_by_time)
{
    struct ring r;
    ck_assert_int_eq(ring_init(&r, 64), 0);
    for (int t = 1; t <= 10; t++)
        ring_push(&r, t, t, 1);
    double c[5];
    ring_columns(&r, 10, 10, 5, AGG_MEAN, c); /* columns (0,2] (2,4] ... (8,10] */
    NEAR(c[0], 1.5, 1e-12);
    NEAR(c[4], 9.5, 1e-12);
    ring_columns(&r, 10, 10, 5, AGG_MAX, c);
    NEAR(c[0], 2, 1e-12);
    NEAR(c[4], 10, 1e-12);
    ring_columns(&r, 30, 10, 5, AGG_MEAN, c); /* nothing in (20, 30] */
    for (int i = 0; i < 5; i++)
        ck_assert(isnan(c[i]));
    int lv[5];
    double cols[5] = {0, NAN, 50, 100, 25};
    spark_levels(cols, 5, true, lv);
    ck_assert_int_eq(lv[0], 0);
    ck_assert_int_eq(lv[1], -1);
    ck_assert_int_eq(lv[2], 4); /* 3.5 rounds up */
    ck_assert_int_eq(lv[3], 7);
    double flat[3] = {5, 5, 5}, zero[3] = {0, 0, 0};
    spark_levels(flat, 3, false, lv);
    ck_assert_int_eq(lv[0], 3);
    spark_levels(zero, 3, true, lv);
    ck_assert_int_eq(lv[2], 0);
    double rising[3] = {100, 150, 200};
    spark_levels(rising, 3, false, lv); /* from the smallest: the change shows */
    ck_assert(lv[0] == 0 && lv[2] == 7);
    ring_free(&r);
}
END_TEST

/* A writer samples its CPU seconds once a second (at k + 0.37 s: 0.5 CPU s per second); a
 * reader looks every `iv` seconds. The naive per-interval rate alternates (0 and 2x); the
 * change-point rate is right after the first two changes. */
static void cp_case(double iv)
{
    struct cp_rate c;
    cp_reset(&c);
    int seen = 0;
    for (double t = 0.1; t < 20; t += iv) {
        double sampled_at = floor(t - 0.37) + 0.37;
        cp_add(&c, t, 0.5 * sampled_at);
        double r = cp_rate_at(&c, t);
        if (t > 3.5) {
            NEAR(r, 0.5, 0.5 * 0.25 * iv + 1e-9); /* within the reader's timing error */
            seen++;
        }
    }
    ck_assert_int_gt(seen, 3);
}

START_TEST(cp_rate_is_steady_whatever_the_reader_interval)
{
    cp_case(0.25);
    cp_case(0.5);
    cp_case(1.0);
    cp_case(2.0);
    struct cp_rate c;
    cp_reset(&c);
    cp_add(&c, 0, 10);
    cp_add(&c, 1, 11);
    ck_assert(isnan(cp_rate_at(&c, 1))); /* the baseline is not a change: one gap is unknown */
    cp_add(&c, 2, 12);
    NEAR(cp_rate_at(&c, 2), 1, 1e-12);
    NEAR(cp_rate_at(&c, 4), 1, 1e-12); /* a missed change or two is not a stop */
    NEAR(cp_rate_at(&c, 11), 1.0 / 10, 1e-12); /* stopped: decays */
    cp_add(&c, 12, 3); /* went back: a new baseline */
    ck_assert(isnan(cp_rate_at(&c, 12)));
}
END_TEST

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static brrt_family *reg(brrt_seg *seg, enum brrt_metric_id id, const double *le, uint32_t n_le)
{
    brrt_family *f;
    ck_assert_int_eq(brrt_catalog_register(seg, brrt_catalog[id].name, le, n_le, &f), 0);
    return f;
}

static brrt_gauge gauge_of(brrt_seg *seg, enum brrt_metric_id id)
{
    brrt_gauge g;
    ck_assert_int_eq(brrt_gauge_get(reg(seg, id, NULL, 0), NULL, &g), 0);
    return g;
}

static struct brrt_snapshot *snap(brrt_reader *r)
{
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    return s;
}

START_TEST(derive_reads_the_catalog_metrics_of_a_real_segment)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("derive", &o, &seg), 0);
    static const double le[] = {0.001, 0.01, 0.1, 1};
    brrt_gauge cpu = gauge_of(seg, BRRT_M_CPU_SECONDS), rss = gauge_of(seg, BRRT_M_MEMORY_RSS);
    brrt_gauge sb = gauge_of(seg, BRRT_M_STACK_BYTES), su = gauge_of(seg, BRRT_M_STACK_USED_BYTES);
    brrt_gauge lim = gauge_of(seg, BRRT_M_CPU_LIMIT);
    brrt_family *freq = reg(seg, BRRT_M_REQUESTS_TOTAL, NULL, 0);
    brrt_histogram h, slow;
    brrt_family *fdur = reg(seg, BRRT_M_REQUEST_DURATION, le, 4);
    ck_assert_int_eq(brrt_histogram_get(fdur, BRRT_LABELS("/pets"), &h), 0);
    brrt_updown act;
    ck_assert_int_eq(brrt_updown_get(reg(seg, BRRT_M_ACTIVE_REQUESTS, NULL, 0), NULL, &act), 0);
    brrt_counter ok, e404, e503;
    ck_assert_int_eq(brrt_counter_get(freq, BRRT_LABELS("/pets", "200"), &ok), 0);
    brrt_gauge_set(cpu, 10);
    brrt_gauge_set(rss, 64 << 20);
    brrt_gauge_set(sb, 65536);
    brrt_gauge_set(su, 49152);
    brrt_gauge_set(lim, 2);
    brrt_counter_add(ok, 1000);
    brrt_updown_add(act, 3);
    for (int i = 0; i < 500; i++)
        brrt_histogram_observe(h, 0.5); /* before the window: not in its percentiles */

    brrt_reader *r;
    char why[256];
    ck_assert_int_eq(brrt_reader_open("derive", &r, why, sizeof why), 0);
    struct brrt_snapshot *a = snap(r);
    struct watch_sample s;
    ck_assert_int_eq(watch_derive(NULL, a, &s), 0);
    ck_assert(isnan(s.cpu_pct) && isnan(s.req_rate) && isnan(s.p99)); /* no interval yet */
    NEAR(s.rss, 64 << 20, 0);
    NEAR(s.active, 3, 0);
    ck_assert(isnan(s.heap)); /* absent */

    /* the interval: 0.5 CPU s, 90 x 200 (new series: 404 and 503 appear in it), 10 errors */
    brrt_gauge_set(cpu, 10.5);
    brrt_counter_add(ok, 90);
    ck_assert_int_eq(brrt_counter_get(freq, BRRT_LABELS("/pets/{id}", "404"), &e404), 0);
    ck_assert_int_eq(brrt_counter_get(freq, BRRT_LABELS("/pets", "503"), &e503), 0);
    brrt_counter_add(e404, 6);
    brrt_counter_add(e503, 4);
    for (int i = 0; i < 100; i++)
        brrt_histogram_observe(h, i < 90 ? 0.002 : 0.05);
    /* a second route, slower, appears in the interval; a control character in its label */
    ck_assert_int_eq(brrt_histogram_get(fdur, BRRT_LABELS("/sleep/{ms}\x1b"), &slow), 0);
    for (int i = 0; i < 10; i++)
        brrt_histogram_observe(slow, 0.3);
    double t0 = now_mono();
    while (now_mono() - t0 < 0.05)
        ;
    struct brrt_snapshot *b = snap(r);
    ck_assert_int_eq(watch_derive(a, b, &s), 0);
    ck_assert(s.dt > 0.04);
    NEAR(s.cpu_pct * s.dt, 50, 1e-6);
    NEAR(s.req_rate * s.dt, 100, 1e-6);
    NEAR(s.rate_4xx * s.dt, 6, 1e-6);
    NEAR(s.rate_5xx * s.dt, 4, 1e-6);
    ck_assert_uint_eq(s.window_count, 110);
    NEAR(s.p50, 0.002, 0.002 * 0.045);
    NEAR(s.p90, 0.05, 0.05 * 0.045);
    NEAR(s.p99, 0.3, 0.3 * 0.045);
    /* the slowest routes, as the dashboard's p99 by path: the new route first */
    ck_assert_int_eq(s.n_routes, 2);
    ck_assert_str_eq(s.routes[0].path, "/sleep/{ms}?");
    NEAR(s.routes[0].p99, 0.3, 0.3 * 0.045);
    ck_assert_uint_eq(s.routes[0].count, 10);
    ck_assert_str_eq(s.routes[1].path, "/pets");
    NEAR(s.routes[1].p99, 0.05, 0.05 * 0.045);
    NEAR(s.cpu_limit_cores, 2, 0);

    struct watch_model m;
    struct watch_dash d;
    ck_assert_int_eq(model_init(&m, 64), 0);
    model_add(&m, &s);
    model_dash(&m, &s, &d);
    NEAR(d.stack_pct, 75, 1e-9);
    NEAR(d.pct_5xx, 4, 1e-9); /* the error figure: 5xx only (not the 10 % of all >= 400) */
    NEAR(d.pct_4xx, 6, 1e-9);
    NEAR(d.cpu_pct, d.cpu_core_pct / 2, 1e-9); /* of the 2-core limit */
    NEAR(d.stack_active, 3 * 65536, 0);
    ck_assert_int_eq(d.cpu_band, watch_band(BRRT_TH_CPU, d.cpu_pct));

    /* another generation: no rates across it */
    struct brrt_snapshot other = *b;
    other.info.generation++;
    other.taken_mono_ns += 1000000000;
    ck_assert_int_eq(watch_derive(a, &other, &s), 0);
    ck_assert(isnan(s.cpu_pct) && isnan(s.req_rate) && s.dt == 0);

    /* the browser: every series, values exact, rates, filter, sorts */
    struct browser br = {0};
    struct view v = {.cur = b, .prev = a, .dt = (double)(b->taken_mono_ns - a->taken_mono_ns) / 1e9};
    ck_assert_int_eq(browser_build(&br, &v), 0);
    ck_assert_uint_eq(br.n, b->n_series);
    browser_select(&br, "STATUS=\"50", SORT_NAME, false); /* case-insensitive substring */
    ck_assert_uint_eq(br.n_shown, 1);
    ck_assert_str_eq(br.rows[br.order[0]].key, "brrtrouter_requests_total{path=\"/pets\",status=\"503\"}");
    ck_assert_str_eq(br.rows[br.order[0]].shown, "4");
    browser_select(&br, "requests_total", SORT_VALUE, false);
    ck_assert_uint_eq(br.n_shown, 3);
    ck_assert_str_eq(br.rows[br.order[0]].shown, "1090");
    browser_select(&br, "requests_total", SORT_VALUE, true);
    ck_assert_str_eq(br.rows[br.order[0]].shown, "4");
    browser_select(&br, "", SORT_RATE, false);
    ck_assert_uint_eq(br.n_shown, br.n);
    ck_assert_str_eq(br.rows[br.order[0]].key, "brrtrouter_request_duration_seconds{path=\"/pets\"}"); /* 100 in dt */
    ck_assert(isnan(br.rows[br.order[br.n_shown - 1]].rate)); /* gauges: no rate, last */
    browser_select(&br, "", SORT_NAME, false);
    for (size_t i = 1; i < br.n_shown; i++)
        ck_assert(strcmp(br.rows[br.order[i - 1]].key, br.rows[br.order[i]].key) <= 0);
    browser_free(&br);
    model_free(&m);
    brrt_snapshot_free(a);
    brrt_snapshot_free(b);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(browser_escapes_label_values_one_row_each)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("labels", &o, &seg), 0);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "not_in_catalog_total", .type = BRRT_COUNTER,
                                .label_names = (const char *const[]){"q"}, .nlabels = 1};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(f, BRRT_LABELS("a \"b\" \\\nc"), &c), 0);
    brrt_counter_add(c, 7);
    brrt_reader *r;
    char why[256];
    ck_assert_int_eq(brrt_reader_open("labels", &r, why, sizeof why), 0);
    struct brrt_snapshot *s = snap(r);
    struct browser br = {0};
    struct view v = {.cur = s};
    ck_assert_int_eq(browser_build(&br, &v), 0);
    browser_select(&br, "", SORT_NAME, false);
    ck_assert_uint_eq(br.n_shown, 1);
    ck_assert_str_eq(br.rows[0].key, "not_in_catalog_total{q=\"a \\\"b\\\" \\\\\\nc\"}");
    ck_assert(!strchr(br.rows[0].key, '\n'));
    ck_assert(isnan(br.rows[0].rate)); /* no previous snapshot */
    browser_free(&br);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static struct watch_sample cpu_sample(double t, double dt, double pct)
{
    struct watch_sample s = {.t = t, .dt = dt, .generation = 1, .cpu_pct = pct, .cpu_seconds = NAN,
                             .req_rate = 100, .rss = 1048576 * (10 + t / 60), .heap = NAN, .active = NAN,
                             .stack_bytes = NAN, .stack_used = NAN, .cpu_limit_cores = NAN,
                             .cpu_user_pct = NAN, .cpu_system_pct = NAN, .p99 = NAN, .mem_limit = NAN,
                             .open_fds = NAN, .max_fds = NAN, .rate_4xx = 0, .rate_5xx = 0};
    return s;
}

START_TEST(averages_come_from_own_samples_and_reset)
{
    struct watch_model m;
    struct watch_dash d;
    ck_assert_int_eq(model_init(&m, 4096), 0);
    struct watch_sample s = {0};
    double t = 1000;
    for (int i = 0; i < 120; i++) { /* 2 minutes at 50 % */
        s = cpu_sample(t += 1, 1, 50);
        model_add(&m, &s);
    }
    for (int i = 0; i < 60; i++) { /* then 2 minutes at 100 %, at 2 s intervals */
        s = cpu_sample(t += 2, 2, 100);
        model_add(&m, &s);
    }
    model_dash(&m, &s, &d);
    /* The last sample's interval is its cpu_pct; without CPU seconds the gauge is that. */
    NEAR(d.cpu_pct, 100, 0);
    NEAR(d.cpu_avg[0], 100, 1e-9);                                /* 1m */
    NEAR(d.cpu_avg[1], (120 * 50 + 120 * 100) / 240.0, 1e-9);      /* 5m: 4 min of history */
    ck_assert(!d.cpu_avg_partial[0] && d.cpu_avg_partial[1] && d.cpu_avg_partial[2]);
    NEAR(d.cpu_avg[2], d.cpu_avg[1], 1e-9);
    NEAR(d.req_per_cpu_pct, 1, 1e-9);                             /* 100 req/s at 100 % */
    NEAR(d.rss_growth, 1048576 / 60.0, 1e-3);                     /* 1 MiB a minute */
    model_reset(&m);
    s = cpu_sample(t += 1, 1, 20);
    model_add(&m, &s);
    model_dash(&m, &s, &d);
    NEAR(d.cpu_avg[0], 20, 1e-9);
    NEAR(d.cpu_avg[2], 20, 1e-9);
    ck_assert(d.cpu_avg_partial[0]);
    ck_assert(isnan(d.rss_growth));
    /* With a CPU limit the gauge and its averages are in % of the limit, as on the dashboard;
     * efficiency stays per % of one core. */
    model_reset(&m);
    s = cpu_sample(t += 1, 1, 100);
    s.cpu_limit_cores = 2;
    model_add(&m, &s);
    model_dash(&m, &s, &d);
    NEAR(d.cpu_core_pct, 100, 0);
    NEAR(d.cpu_pct, 50, 0);
    NEAR(d.cpu_avg[0], 50, 1e-9);
    NEAR(d.req_per_cpu_pct, 1, 1e-9);
    model_free(&m);
}
END_TEST

START_TEST(status_label_is_the_catalogs)
{
    /* brrtrouter_requests_total's labels, as the catalog declares them, carry the status. */
    const char *labels = brrt_catalog[BRRT_M_REQUESTS_TOTAL].labels;
    ck_assert_ptr_nonnull(strstr(labels, WATCH_STATUS_LABEL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("watch_model");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, thresholds_change_at_their_values);
    tcase_add_test(tc, ring_mean_is_time_weighted_and_windowed);
    tcase_add_test(tc, ring_slope_is_least_squares);
    tcase_add_test(tc, ring_columns_bucket_by_time);
    tcase_add_test(tc, cp_rate_is_steady_whatever_the_reader_interval);
    tcase_add_test(tc, derive_reads_the_catalog_metrics_of_a_real_segment);
    tcase_add_test(tc, browser_escapes_label_values_one_row_each);
    tcase_add_test(tc, averages_come_from_own_samples_and_reset);
    tcase_add_test(tc, status_label_is_the_catalogs);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
