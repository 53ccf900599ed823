/* `brrt-stat snapshot --format text`: the dashboard's sections as a readable table. */
#include "brrtstat/catalog.h"
#include "human.h"
#include "view.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#define NAME_COL 52

static void header(struct brrt_buf *b, const struct view *v)
{
    const struct brrt_reader_info *in = &v->cur->info;
    char up[32], age[32];
    double uptime = (double)(v->cur->taken_realtime_ns - in->start_realtime_ns) / 1e9;
    human_duration(up, sizeof up, uptime);
    bool alive = in->state == BRRT_WRITER_RUNNING || in->state == BRRT_WRITER_STALE;
    human_duration(age, sizeof age, in->heartbeat_age_s);
    brrt_buf_printf(b, "segment %s  pid %" PRIu64 "  %s  generation %" PRIu64 "  up %s  heartbeat %s ago\n",
                    v->segment, in->writer_pid, brrt_writer_state_name(in->state), in->generation,
                    alive ? up : "-", in->heartbeat_age_s >= 0 ? age : "?");
    if (v->prev)
        brrt_buf_printf(b, "window: last %.3g s (rates per second, percentiles of the window)\n", v->dt);
    else
        brrt_buf_puts(b, "window: since the writer started\n");
}

static void labels(struct brrt_buf *b, const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    int start = (int)b->len;
    brrt_buf_puts(b, "    ");
    for (uint32_t i = 0; i < f->nlabels; i++) {
        brrt_buf_printf(b, "%s%s=\"", i ? " " : "", f->label_names[i]);
        brrt_buf_printable(b, s->label_values[i], true); /* one row per series, terminal-safe */
        brrt_buf_puts(b, "\"");
    }
    int width = (int)b->len - start;
    brrt_buf_printf(b, "%*s", width < NAME_COL ? NAME_COL - width : 1, "");
}

static void scalar(struct brrt_buf *b, const struct view *v, uint32_t fi, uint32_t k)
{
    const struct brrt_snap_family *f = &v->cur->families[fi];
    const struct brrt_snap_series *s = &v->cur->series[f->first_series + k];
    char val[48];
    if (!brrt_fmt_exact(val, f, s))
        human_value(val, sizeof val, s->value, f->unit);
    brrt_buf_printf(b, "%16s", val);
    double rate = f->type == BRRT_SHM_COUNTER ? view_rate(v, fi, k) : NAN;
    if (!isnan(rate))
        brrt_buf_printf(b, "  %12.4g/s", rate);
    brrt_buf_puts(b, "\n");
}

static void histogram(struct brrt_buf *b, const struct view *v, uint32_t fi, uint32_t k)
{
    const struct brrt_snap_family *f = &v->cur->families[fi];
    struct hist_window w;
    if (view_window(v, fi, k, &w) != 0) {
        b->failed = true;
        return;
    }
    char mean[32], q[32];
    human_value(mean, sizeof mean, w.count ? w.sum / (double)w.count : NAN, f->unit);
    brrt_buf_printf(b, "count %" PRIu64 "  mean %s", w.count, w.count ? mean : "-");
    if (v->prev && v->dt > 0)
        brrt_buf_printf(b, "  rate %.4g/s", (double)w.count / v->dt);
#define TEXT_Q(label, qv)                                                                       \
    human_value(q, sizeof q, brrt_hist_quantile(f, w.fine, qv), f->unit);                       \
    brrt_buf_printf(b, "  %s %s", label, w.count ? q : "-");
    VIEW_QUANTILES(TEXT_Q)
#undef TEXT_Q
    brrt_buf_puts(b, "\n");
    view_window_free(&w);
}

static void family(struct brrt_buf *b, const struct view *v, uint32_t fi)
{
    const struct brrt_snap_family *f = &v->cur->families[fi];
    bool inline_value = f->nlabels == 0 && f->n_series == 1;
    int start = (int)b->len;
    brrt_buf_printf(b, "  %s", f->name);
    if (!inline_value) {
        brrt_buf_puts(b, f->n_series ? "\n" : "  (no series yet)\n");
    } else {
        int width = (int)b->len - start;
        brrt_buf_printf(b, "%*s", width < NAME_COL ? NAME_COL - width : 1, "");
    }
    for (uint32_t k = 0; k < f->n_series; k++) {
        if (!inline_value)
            labels(b, f, &v->cur->series[f->first_series + k]);
        if (f->type == BRRT_SHM_HISTOGRAM)
            histogram(b, v, fi, k);
        else
            scalar(b, v, fi, k);
    }
}

void render_text(struct brrt_buf *b, const struct view *v)
{
    header(b, v);
    for (int sec = 0; sec < BRRT_SECTION_COUNT; sec++) {
        bool titled = false;
        for (uint32_t fi = 0; fi < v->cur->n_families; fi++) {
            const struct brrt_snap_family *f = &v->cur->families[fi];
            if ((int)brrt_catalog_section(f->name) != sec || !view_includes(v, f))
                continue;
            if (!titled)
                brrt_buf_printf(b, "\n%s\n", brrt_section_titles[sec]);
            titled = true;
            family(b, v, fi);
        }
    }
}
