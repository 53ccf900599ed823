/* The dashboard's sections: CPU, memory, coroutine stacks, requests, health, and the charts.
 * Every number comes from the model (struct watch_sample / watch_dash); this file formats. */
#include "draw.h"

#include "brrtstat/catalog.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define GAUGE_W 20 /* bar of a gauge, 0..100 % */
#define CHART_TITLE_W 5
#define CHART_VALUE_W 9

/* The catalog's sections, short enough for the label column. */
static const char *const LABELS[BRRT_SECTION_COUNT] = {
    [BRRT_SECTION_CPU] = "CPU",       [BRRT_SECTION_MEMORY] = "Memory",
    [BRRT_SECTION_STACKS] = "Stacks", [BRRT_SECTION_REQUESTS] = "Requests",
    [BRRT_SECTION_HEALTH] = "Health",
};

static const char *const AVG_LABELS[WATCH_N_AVG] = {
#define WATCH_AVG_LABEL(label, seconds) label,
    WATCH_AVG_WINDOWS(WATCH_AVG_LABEL)
#undef WATCH_AVG_LABEL
};

/* "[bar] 45.2% ok", coloured by threshold `th`. */
static void gauge(struct item *it, enum brrt_threshold th, double pct_value)
{
    enum watch_colour c = watch_colour_of(th, pct_value);
    char p[16];
    fmt_pct(p, sizeof p, pct_value);
    item_clear(it);
    item_bar(it, c, pct_value / 100, GAUGE_W);
    item_text(it, c, A_BOLD, " %s", p);
    if (!isnan(pct_value))
        item_text(it, c, 0, " %s", watch_band_word(watch_band(th, pct_value)));
}

static void kv(struct flow *f, const char *key, const char *value)
{
    struct item it;
    item_clear(&it);
    item_text(&it, WC_NONE, 0, "%s ", key);
    item_text(&it, WC_NONE, A_BOLD, "%s", value);
    flow_put(f, &it);
}

/* "key value" with the value coloured by threshold `th` applied to `level`. */
static void kv_th(struct flow *f, const char *key, const char *value, const char *suffix,
                  enum brrt_threshold th, double level)
{
    struct item it;
    item_clear(&it);
    item_text(&it, WC_NONE, 0, "%s ", key);
    item_text(&it, watch_colour_of(th, level), A_BOLD, "%s", value);
    if (suffix && *suffix)
        item_text(&it, WC_NONE, 0, "%s", suffix);
    flow_put(f, &it);
}

static int section_cpu(struct watch *w, int y, int bottom, int cols)
{
    const struct watch_dash *d = &w->dash;
    const struct watch_sample *s = &w->sample;
    struct flow f;
    struct item it;
    char a[32], b[32];
    flow_begin(&f, w, y, bottom, cols, LABELS[BRRT_SECTION_CPU]);
    /* the gauge: % of the CPU limit, else of one core (the dashboard's CPU Usage) */
    gauge(&it, BRRT_TH_CPU, d->cpu_pct);
    flow_put(&f, &it);
    if (s->cpu_limit_cores > 0) {
        snprintf(b, sizeof b, "%.3g cores", s->cpu_limit_cores);
        kv(&f, "of limit", b);
    } else {
        kv(&f, "of", "one core (no limit)");
    }
    if (!isnan(d->cpu_user_share)) {
        snprintf(a, sizeof a, "%.0f%%/%.0f%%", d->cpu_user_share, 100 - d->cpu_user_share);
        kv(&f, "user/sys", a);
    }
    item_clear(&it);
    item_text(&it, WC_NONE, 0, "avg");
    for (int i = 0; i < WATCH_N_AVG; i++) {
        fmt_pct(a, sizeof a, d->cpu_avg[i]);
        item_text(&it, WC_NONE, 0, " %s %s%s", AVG_LABELS[i],
                  d->cpu_avg_partial[i] && !isnan(d->cpu_avg[i]) ? "~" : "", a);
    }
    flow_put(&f, &it);
    fmt_num(a, sizeof a, d->req_per_cpu_pct);
    kv(&f, "req/s per CPU%", a);
    return flow_end(&f);
}

/* "+1.50 KiB/s"; below half a byte a second, "0 B/s". */
static void growth(struct flow *f, const char *key, double v)
{
    char b[24], a[32];
    if (isnan(v)) {
        kv(f, key, "-");
        return;
    }
    fmt_bytes(b, sizeof b, fabs(v) < 0.5 ? 0 : v);
    snprintf(a, sizeof a, "%s%s/s", v >= 0.5 ? "+" : "", b);
    kv(f, key, a);
}

static int section_memory(struct watch *w, int y, int bottom, int cols)
{
    const struct watch_dash *d = &w->dash;
    const struct watch_sample *s = &w->sample;
    struct flow f;
    char a[32];
    flow_begin(&f, w, y, bottom, cols, LABELS[BRRT_SECTION_MEMORY]);
    fmt_bytes(a, sizeof a, s->rss);
    kv(&f, "RSS", a);
    fmt_bytes(a, sizeof a, s->heap);
    kv(&f, "heap", a);
    fmt_bytes(a, sizeof a, d->stack_active);
    kv(&f, "active stacks", a);
    fmt_bytes(a, sizeof a, s->vss);
    kv(&f, "VSS", a);
    if (!isnan(s->peak_rss)) {
        fmt_bytes(a, sizeof a, s->peak_rss);
        kv(&f, "peak", a);
    }
    growth(&f, "RSS growth", d->rss_growth);
    growth(&f, "heap growth", d->heap_growth);
    fmt_num(a, sizeof a, d->req_per_mb);
    kv(&f, "req/s per MiB", a);
    return flow_end(&f);
}

static int section_stacks(struct watch *w, int y, int bottom, int cols)
{
    const struct watch_dash *d = &w->dash;
    const struct watch_sample *s = &w->sample;
    struct flow f;
    struct item it;
    char a[32], b[32], c[80];
    flow_begin(&f, w, y, bottom, cols, LABELS[BRRT_SECTION_STACKS]);
    fmt_bytes(a, sizeof a, s->stack_used);
    fmt_bytes(b, sizeof b, s->stack_bytes);
    snprintf(c, sizeof c, "%s of %s", a, b);
    kv(&f, "used", c);
    gauge(&it, BRRT_TH_STACK, d->stack_pct);
    flow_put(&f, &it);
    if (!isnan(s->stack_overflows)) {
        fmt_num(a, sizeof a, s->stack_overflows);
        kv(&f, "overflows", a);
    }
    return flow_end(&f);
}

static int section_requests(struct watch *w, int y, int bottom, int cols)
{
    const struct watch_dash *d = &w->dash;
    const struct watch_sample *s = &w->sample;
    struct flow f;
    char a[32];
    flow_begin(&f, w, y, bottom, cols, LABELS[BRRT_SECTION_REQUESTS]);
    fmt_num(a, sizeof a, s->req_rate);
    kv(&f, "rate", a);
    /* errors: 5xx only, as the dashboard and the alerts count them; 4xx apart */
    fmt_pct(a, sizeof a, d->pct_5xx);
    kv_th(&f, "errors", a, "", BRRT_TH_ERRORS_5XX, d->pct_5xx);
    fmt_pct(a, sizeof a, d->pct_4xx);
    kv(&f, "4xx", a);
    static const struct {
        const char *label;
        size_t off;
    } qs[] = {{"p50", offsetof(struct watch_sample, p50)}, {"p90", offsetof(struct watch_sample, p90)},
              {"p95", offsetof(struct watch_sample, p95)}, {"p99", offsetof(struct watch_sample, p99)}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double v = *(const double *)((const char *)s + qs[i].off);
        fmt_seconds(a, sizeof a, v);
        kv_th(&f, qs[i].label, a, "", BRRT_TH_LATENCY, i == 3 ? v : NAN);
    }
    /* the dashboard's "Slowest Routes (p99 by path)" (paths are sanitised by the model) */
    for (int i = 0; i < s->n_routes; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", i ? "" : "slowest: ", s->routes[i].path);
        fmt_seconds(a, sizeof a, s->routes[i].p99);
        kv_th(&f, key, a, "", BRRT_TH_LATENCY, s->routes[i].p99);
    }
    return flow_end(&f);
}

static int section_health(struct watch *w, int y, int bottom, int cols)
{
    const struct watch_dash *d = &w->dash;
    const struct watch_sample *s = &w->sample;
    struct flow f;
    char a[32], b[32], c[96];
    flow_begin(&f, w, y, bottom, cols, LABELS[BRRT_SECTION_HEALTH]);
    fmt_num(a, sizeof a, s->active);
    kv_th(&f, "active", a, "", BRRT_TH_ACTIVE, s->active);
    fmt_num(a, sizeof a, s->rate_5xx);
    fmt_pct(b, sizeof b, d->pct_5xx);
    snprintf(c, sizeof c, "%s/s (%s)", a, b);
    kv_th(&f, "5xx", c, "", BRRT_TH_ERRORS_5XX, d->pct_5xx);
    fmt_seconds(a, sizeof a, s->p99);
    kv_th(&f, "p99", a, "", BRRT_TH_LATENCY, s->p99);
    if (s->cpu_limit_cores > 0) {
        fmt_pct(a, sizeof a, d->cpu_pct);
        snprintf(c, sizeof c, " of %.3g cores", s->cpu_limit_cores);
        kv_th(&f, "CPU", a, c, BRRT_TH_CPU, d->cpu_pct);
    } else {
        kv(&f, "CPU", "no limit");
    }
    if (!isnan(d->mem_limit_pct)) {
        fmt_pct(a, sizeof a, d->mem_limit_pct);
        fmt_bytes(b, sizeof b, s->mem_limit);
        snprintf(c, sizeof c, " of %s", b);
        kv_th(&f, "mem", a, c, BRRT_TH_LIMIT, d->mem_limit_pct);
    } else {
        kv(&f, "mem", "no limit");
    }
    if (!isnan(d->fds_pct)) {
        snprintf(a, sizeof a, "%.0f", s->open_fds);
        snprintf(c, sizeof c, " of %.0f", s->max_fds);
        kv_th(&f, "fds", a, c, BRRT_TH_LIMIT, d->fds_pct);
    }
    return flow_end(&f);
}

/* One chart: "CPU% <sparkline> 45.2%". */
struct chart {
    const char *title;
    const struct ring *ring;
    enum ring_agg agg;
    bool from_zero;
    double now_value;
    void (*fmt)(char *, size_t, double);
    enum watch_colour colour;
};

static void fmt_pct_chart(char *out, size_t n, double v)
{
    fmt_pct(out, n, v);
}

static int section_charts(struct watch *w, int y, int bottom, int cols)
{
    const struct watch_model *m = &w->model;
    int per = (cols - LABEL_W - ITEM_GAP) / 2; /* two charts a row */
    int width = per - CHART_TITLE_W - CHART_VALUE_W - 2;
    if (width < 8)
        return y;
    if (width > 240)
        width = 240;
    double span = WATCH_CHART_SPAN > width * w->interval ? WATCH_CHART_SPAN : width * w->interval;
    struct chart charts[] = {
        {"CPU%", &m->cpu, AGG_MEAN, true, w->dash.cpu_pct, fmt_pct_chart,
         watch_colour_of(BRRT_TH_CPU, w->dash.cpu_pct)},
        {"RSS", &m->rss, AGG_MEAN, false, w->sample.rss, fmt_bytes, WC_NONE},
        {"req/s", &m->req, AGG_MEAN, true, w->sample.req_rate, fmt_num, WC_NONE},
        {"p99", &m->p99, AGG_MAX, true, w->sample.p99, fmt_seconds, watch_colour_of(BRRT_TH_LATENCY, w->sample.p99)},
    };
    double cols_v[240];
    static int levels[4][240]; /* the items point at them until drawn */
    char label[16];
    snprintf(label, sizeof label, "Last %.0fm", ceil(span / 60));
    struct flow f;
    flow_begin(&f, w, y, bottom, cols, label);
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
        const struct chart *c = &charts[i];
        ring_columns(c->ring, w->sample.t, span, width, c->agg, cols_v);
        spark_levels(cols_v, width, c->from_zero, levels[i]);
        char v[32];
        c->fmt(v, sizeof v, c->now_value);
        struct item it;
        item_clear(&it);
        item_text(&it, WC_NONE, 0, "%-*s ", CHART_TITLE_W, c->title);
        item_spark(&it, WC_NONE, levels[i], width);
        item_text(&it, c->colour, A_BOLD, " %-*s", CHART_VALUE_W, v);
        flow_put(&f, &it);
    }
    return flow_end(&f);
}

int draw_sections(struct watch *w, int top, int bottom, int cols)
{
    int y = top;
    y = section_cpu(w, y, bottom, cols);
    y = section_memory(w, y, bottom, cols);
    y = section_stacks(w, y, bottom, cols);
    y = section_requests(w, y, bottom, cols);
    y = section_health(w, y, bottom, cols);
    y = section_charts(w, y, bottom, cols);
    return y;
}
