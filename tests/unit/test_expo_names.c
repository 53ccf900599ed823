/* Valid exposition whatever the app registers: the writer refuses a family
 * whose exposition names clash with another's or with the exporter's own (BRRT_E_CLASH), and
 * a unit that cannot be a name suffix; the renderer leaves clashing families of a crafted or
 * merged set of snapshots out and counts them. One naming rule for every format
 * (brrt_expo_family_name): a counter's samples are NAME_total in all of them. */
#include "fixture.h"

#include "brrtstat/render.h"
#include "brrtstat/shm_names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int reg(brrt_seg *seg, const char *name, enum brrt_type t, const char *unit,
               const char *const *labels, uint32_t nlabels)
{
    static const double le[] = {1, 2};
    struct brrt_metric_def d = {.name = name, .help = "h", .unit = unit, .type = t,
                                .label_names = labels, .nlabels = nlabels,
                                .le = t == BRRT_HISTOGRAM ? le : NULL, .n_le = t == BRRT_HISTOGRAM ? 2 : 0};
    brrt_family *f;
    return brrt_family_register(seg, &d, &f);
}

START_TEST(writer_refuses_clashing_registrations)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("names", &o, &seg), 0);
    ck_assert_int_eq(reg(seg, "x", BRRT_HISTOGRAM, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(seg, "x_count", BRRT_GAUGE, NULL, NULL, 0), BRRT_E_CLASH);
    ck_assert_int_eq(reg(seg, "x_bucket", BRRT_GAUGE, NULL, NULL, 0), BRRT_E_CLASH);
    ck_assert_int_eq(reg(seg, "jobs_total", BRRT_COUNTER, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(seg, "jobs", BRRT_COUNTER, NULL, NULL, 0), BRRT_E_CLASH);
    ck_assert_int_eq(reg(seg, "jobs", BRRT_GAUGE, NULL, NULL, 0), BRRT_E_CLASH);
    ck_assert_int_eq(reg(seg, "reqs", BRRT_COUNTER, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(seg, "reqs_created", BRRT_GAUGE, NULL, NULL, 0), BRRT_E_CLASH);
    /* In the other order too: the gauge first, then the family that would shadow it. */
    ck_assert_int_eq(reg(seg, "y_sum", BRRT_GAUGE, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(seg, "y", BRRT_HISTOGRAM, NULL, NULL, 0), BRRT_E_CLASH);
    ck_assert_int_eq(reg(seg, "brrtstat_segment_up", BRRT_GAUGE, NULL, NULL, 0), BRRT_E_CLASH);
    ck_assert_int_eq(reg(seg, "brrtstat_exporter_x", BRRT_GAUGE, NULL, NULL, 0), BRRT_E_CLASH);
    char unit[82];
    memset(unit, 'u', 81);
    unit[81] = '\0';
    ck_assert_int_eq(reg(seg, "long_unit", BRRT_GAUGE, unit, NULL, 0), BRRT_E_INVAL);
    unit[80] = '\0';
    ck_assert_int_eq(reg(seg, "long_unit", BRRT_GAUGE, unit, NULL, 0), 0);
    ck_assert_int_eq(reg(seg, "spaced_unit", BRRT_GAUGE, "per second", NULL, 0), BRRT_E_INVAL);
    static const char *const le_label[] = {"le"};
    ck_assert_int_eq(reg(seg, "z", BRRT_HISTOGRAM, NULL, le_label, 1), BRRT_E_INVAL);
    /* Registering the same family again is still fine. */
    ck_assert_int_eq(reg(seg, "jobs_total", BRRT_COUNTER, NULL, NULL, 0), 0);
    ck_assert_str_eq(brrt_err_name(BRRT_E_CLASH), "BRRT_E_CLASH");
    ck_assert_int_eq(brrt_seg_close(seg, BRRT_SEG_UNLINK), 0);
}
END_TEST

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Two segments that are each valid but clash when merged (--all): segment a's counter jobs
 * and segment b's gauge jobs_created, b's gauge named like a's histogram; a reserved name. */
START_TEST(renderer_leaves_out_and_counts_clashes)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *a, *b;
    ck_assert_int_eq(brrt_seg_create("a", &o, &a), 0);
    ck_assert_int_eq(brrt_seg_create("b", &o, &b), 0);
    ck_assert_int_eq(reg(a, "jobs", BRRT_COUNTER, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(a, "lat", BRRT_HISTOGRAM, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(b, "jobs_created", BRRT_GAUGE, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(b, "lat", BRRT_GAUGE, NULL, NULL, 0), 0);     /* same name, other type */
    ck_assert_int_eq(reg(b, "up_seconds", BRRT_GAUGE, NULL, NULL, 0), 0); /* reserved below */
    ck_assert_int_eq(reg(b, "fine", BRRT_GAUGE, NULL, NULL, 0), 0);
    brrt_reader *ra, *rb;
    char why[256];
    ck_assert_int_eq(brrt_reader_open("a", &ra, why, sizeof why), 0);
    ck_assert_int_eq(brrt_reader_open("b", &rb, why, sizeof why), 0);
    struct brrt_snapshot *sa, *sb;
    ck_assert_int_eq(brrt_reader_snapshot(ra, &sa), 0);
    ck_assert_int_eq(brrt_reader_snapshot(rb, &sb), 0);
    const struct brrt_snapshot *snaps[] = {sa, sb};
    const char *names[] = {"a", "b"};
    static const char *const reserved[] = {"up_seconds", NULL};
    for (int om = 0; om < 2; om++) {
        uint32_t dropped[2] = {0, 0};
        struct brrt_prom_opts po = {.flavor = om ? BRRT_PROM_OPENMETRICS : BRRT_PROM_TEXT_004,
                                    .extra_label_name = "segment", .reserved_names = reserved,
                                    .dropped = dropped};
        struct brrt_buf buf = {0};
        brrt_render_prometheus_n(&buf, snaps, names, 2, &po);
        ck_assert(!buf.failed);
        ck_assert_uint_eq(dropped[0], 0);
        ck_assert_uint_eq(dropped[1], 3); /* jobs_created, lat (gauge), up_seconds */
        ck_assert_uint_eq(count(buf.data, "jobs_created{"), 0);
        ck_assert_uint_eq(count(buf.data, "up_seconds"), 0);
        ck_assert_uint_eq(count(buf.data, "# TYPE lat "), 1);
        ck_assert_uint_eq(count(buf.data, "# TYPE fine gauge\n"), 1);
        /* A counter without _total: NAME_total in text (as its samples), NAME in OpenMetrics. */
        
        ck_assert_uint_eq(count(buf.data, om ? "# TYPE jobs counter\n" : "# TYPE jobs_total counter\n"), 1);
        brrt_buf_free(&buf);
    }
    brrt_snapshot_free(sa);
    brrt_snapshot_free(sb);
    brrt_reader_close(ra);
    brrt_reader_close(rb);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

/* Renders a and b (text, segment label) into a fresh buffer; dropped[] counted. */
static char *render2(const struct brrt_snapshot *const *snaps, const char *const *reserved,
                     struct brrt_prom_cache *cache, uint32_t dropped[2])
{
    static const char *const names[] = {"a", "b"};
    dropped[0] = dropped[1] = 0;
    struct brrt_prom_opts po = {.extra_label_name = "segment", .reserved_names = reserved,
                                .dropped = dropped, .cache = cache};
    struct brrt_buf buf = {0};
    brrt_render_prometheus_n(&buf, snaps, names, 2, &po);
    ck_assert(!buf.failed);
    return buf.data;
}

/* The exporter keeps the plan between scrapes: the cached plan must render exactly what a
 * fresh one does, count the same drops every time, and follow new families and other
 * reserved names. */
START_TEST(cached_plan_renders_what_a_fresh_one_does)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *a, *b;
    ck_assert_int_eq(brrt_seg_create("a", &o, &a), 0);
    ck_assert_int_eq(brrt_seg_create("b", &o, &b), 0);
    ck_assert_int_eq(reg(a, "jobs", BRRT_COUNTER, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(b, "jobs_created", BRRT_GAUGE, NULL, NULL, 0), 0);
    ck_assert_int_eq(reg(b, "up_seconds", BRRT_GAUGE, NULL, NULL, 0), 0);
    brrt_reader *ra, *rb;
    char why[256];
    ck_assert_int_eq(brrt_reader_open("a", &ra, why, sizeof why), 0);
    ck_assert_int_eq(brrt_reader_open("b", &rb, why, sizeof why), 0);
    struct brrt_snapshot *sa, *sb;
    ck_assert_int_eq(brrt_reader_snapshot(ra, &sa), 0);
    ck_assert_int_eq(brrt_reader_snapshot(rb, &sb), 0);
    static const char *const reserved[] = {"up_seconds", NULL}, *const other[] = {"other", NULL};
    struct brrt_prom_cache *cache = brrt_prom_cache_new();
    ck_assert_ptr_nonnull(cache);
    uint32_t d_fresh[2], d_cached[2];
    for (int round = 0; round < 3; round++) { /* round 0 builds the cache, 1 and 2 use it */
        const struct brrt_snapshot *snaps[] = {sa, sb};
        char *fresh = render2(snaps, reserved, NULL, d_fresh);
        char *cached = render2(snaps, reserved, cache, d_cached);
        ck_assert_str_eq(cached, fresh);
        ck_assert_uint_eq(d_cached[0], 0);
        ck_assert_uint_eq(d_cached[1], 2); /* jobs_created, up_seconds */
        ck_assert_uint_eq(d_fresh[1], 2);
        free(fresh);
        free(cached);
    }
    /* Other reserved names: up_seconds comes back. */
    const struct brrt_snapshot *snaps[] = {sa, sb};
    char *cached = render2(snaps, other, cache, d_cached);
    ck_assert_uint_eq(d_cached[1], 1);
    ck_assert_uint_eq(count(cached, "# TYPE up_seconds gauge\n"), 1);
    free(cached);
    /* A new family in a: a new snapshot has it, rendered through the same cache. */
    ck_assert_int_eq(reg(a, "later", BRRT_GAUGE, NULL, NULL, 0), 0);
    struct brrt_snapshot_opts so = {.reuse = sa};
    ck_assert_int_eq(brrt_reader_snapshot_opts(ra, &so, &sa), 0);
    const struct brrt_snapshot *snaps2[] = {sa, sb};
    cached = render2(snaps2, reserved, cache, d_cached);
    char *fresh = render2(snaps2, reserved, NULL, d_fresh);
    ck_assert_str_eq(cached, fresh);
    ck_assert_uint_eq(count(cached, "# TYPE later gauge\n"), 1);
    ck_assert_uint_eq(d_cached[1], 2);
    free(cached);
    free(fresh);
    brrt_prom_cache_free(cache);
    brrt_snapshot_free(sa);
    brrt_snapshot_free(sb);
    brrt_reader_close(ra);
    brrt_reader_close(rb);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

/* Family name and sample suffix per format; a counter's samples (family + suffix) always end
 * in exactly one _total, in text 0.0.4, OpenMetrics and protobuf alike. */
START_TEST(one_counter_name_in_every_format)
{
    static const struct {
        const char *name;
        bool counter;
        const char *text, *om, *om_suffix; /* protobuf: as text 0.0.4 */
    } rows[] = {
        {"jobs", true, "jobs_total", "jobs", "_total"},
        {"jobs_total", true, "jobs_total", "jobs", "_total"},
        {"a_total_total", true, "a_total_total", "a_total", "_total"}, /* one _total taken off */
        {"_total", true, "_total", "", "_total"},
        {"temp", false, "temp", "temp", ""},
        {"up_total", false, "up_total", "up_total", ""}, /* a gauge keeps its name */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char fam[BRRT_EXPO_FAMILY_MAX];
        size_t len;
        ck_assert_str_eq(brrt_expo_family_name(rows[i].name, rows[i].counter, false, fam, &len), "");
        ck_assert_str_eq(fam, rows[i].text);
        ck_assert_uint_eq(len, strlen(rows[i].text));
        ck_assert_str_eq(brrt_expo_family_name(rows[i].name, rows[i].counter, true, fam, &len), rows[i].om_suffix);
        ck_assert_str_eq(fam, rows[i].om);
        ck_assert_uint_eq(len, strlen(rows[i].om));
    }
    /* A name longer than the buffer is cut, NUL-terminated. */
    char longname[BRRT_EXPO_FAMILY_MAX + 10], fam[BRRT_EXPO_FAMILY_MAX];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    size_t len;
    brrt_expo_family_name(longname, false, false, fam, &len);
    ck_assert_uint_eq(len, BRRT_EXPO_FAMILY_MAX - 1);
    ck_assert_uint_eq(strlen(fam), len);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("expo_names");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, writer_refuses_clashing_registrations);
    tcase_add_test(tc, renderer_leaves_out_and_counts_clashes);
    tcase_add_test(tc, cached_plan_renders_what_a_fresh_one_does);
    tcase_add_test(tc, one_counter_name_in_every_format);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
