/* brrt-stat-watch's numbers: see model.h. No curses, no clock, no I/O in this file. */
#include "model.h"

#include "brrtstat/catalog.h"
#include "human.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- thresholds ------------------------------------------------------------------------ */

int watch_band(enum brrt_threshold th, double v)
{
    return brrt_band_of(brrt_thresholds[th].t, v);
}

enum watch_colour watch_colour_of(enum brrt_threshold th, double v)
{
    int b = watch_band(th, v);
    return b < 0 ? WC_NONE : (enum watch_colour)brrt_thresholds[th].colour[b];
}

const char *watch_band_word(int band)
{
    return band >= 0 && band < BRRT_N_BANDS ? brrt_band_words[band] : "";
}

/* ---- one sample ------------------------------------------------------------------------ */

static bool same_writer(const struct brrt_snapshot *a, const struct brrt_snapshot *b)
{
    return a && b && a->info.generation == b->info.generation &&
           a->info.start_realtime_ns == b->info.start_realtime_ns;
}

/* The catalog metric `id` in `s` if it has at least one series; its index in *fi. */
static const struct brrt_snap_family *family_of(const struct brrt_snapshot *s, enum brrt_metric_id id,
                                                uint32_t *fi)
{
    const struct brrt_snap_family *f = brrt_snapshot_family(s, brrt_catalog[id].name);
    if (!f || f->n_series == 0)
        return NULL;
    *fi = (uint32_t)(f - s->families);
    return f;
}

/* The value of the first series of a scalar metric; NaN when absent. */
static double scalar(const struct brrt_snapshot *s, enum brrt_metric_id id)
{
    uint32_t fi;
    const struct brrt_snap_family *f = family_of(s, id, &fi);
    return f && f->type != BRRT_SHM_HISTOGRAM ? s->series[f->first_series].value : NAN;
}

static double counter_rate(const struct view *v, enum brrt_metric_id id)
{
    uint32_t fi;
    const struct brrt_snap_family *f = family_of(v->cur, id, &fi);
    return f && f->type == BRRT_SHM_COUNTER && v->dt > 0 ? view_rate(v, fi, 0) : NAN;
}

static void requests(const struct view *v, struct watch_sample *o)
{
    uint32_t fi;
    const struct brrt_snap_family *f = family_of(v->cur, BRRT_M_REQUESTS_TOTAL, &fi);
    if (!f || f->type != BRRT_SHM_COUNTER || !(v->dt > 0))
        return;
    int status = -1;
    for (uint32_t i = 0; i < f->nlabels; i++)
        if (strcmp(f->label_names[i], WATCH_STATUS_LABEL) == 0)
            status = (int)i;
    o->req_rate = o->rate_4xx = o->rate_5xx = 0;
    for (uint32_t k = 0; k < f->n_series; k++) {
        double r = view_rate(v, fi, k);
        if (isnan(r))
            continue;
        const struct brrt_snap_series *s = &v->cur->series[f->first_series + k];
        long code = status >= 0 ? strtol(s->label_values[status], NULL, 10) : 0;
        o->req_rate += r;
        if (code >= 400 && code <= 499)
            o->rate_4xx += r;
        if (code >= 500 && code <= 599)
            o->rate_5xx += r;
    }
}

/* Percentiles of the duration histogram over the interval, all its series merged (they share
 * the family's bucket schema). Returns -1 when out of memory. */
static int latency(const struct view *v, struct watch_sample *o)
{
    uint32_t fi;
    const struct brrt_snap_family *f = family_of(v->cur, BRRT_M_REQUEST_DURATION, &fi);
    if (!f || f->type != BRRT_SHM_HISTOGRAM || !(v->dt > 0))
        return 0;
    struct hist_window w;
    if (view_window_all(v, fi, &w) != 0)
        return -1;
    o->window_count = w.count;
    if (o->window_count) {
        o->p50 = brrt_hist_quantile(f, w.fine, 0.50);
        o->p90 = brrt_hist_quantile(f, w.fine, 0.90);
        o->p95 = brrt_hist_quantile(f, w.fine, 0.95);
        o->p99 = brrt_hist_quantile(f, w.fine, 0.99);
    }
    view_window_free(&w);
    return 0;
}

/* p99 per route (series) of the duration histogram over the interval; the WATCH_ROUTES highest
 * into o->routes. Returns -1 when out of memory. */
static int slowest_routes(const struct view *v, struct watch_sample *o)
{
    uint32_t fi;
    const struct brrt_snap_family *f = family_of(v->cur, BRRT_M_REQUEST_DURATION, &fi);
    o->n_routes = 0;
    if (!f || f->type != BRRT_SHM_HISTOGRAM || !(v->dt > 0))
        return 0;
    int label = -1;
    for (uint32_t i = 0; i < f->nlabels; i++)
        if (strcmp(f->label_names[i], WATCH_ROUTE_LABEL) == 0)
            label = (int)i;
    for (uint32_t k = 0; k < f->n_series; k++) {
        struct hist_window w;
        if (view_window(v, fi, k, &w) != 0)
            return -1;
        struct watch_route r = {.count = w.count, .p99 = w.count ? brrt_hist_quantile(f, w.fine, 0.99) : NAN};
        view_window_free(&w);
        if (!r.count || isnan(r.p99))
            continue;
        const char *path = label >= 0 ? v->cur->series[f->first_series + k].label_values[label] : "";
        size_t n = 0;
        for (; path[n] && n < sizeof r.path - 1; n++)
            r.path[n] = path[n] >= 0x20 && path[n] < 0x7f ? path[n] : '?';
        r.path[n] = '\0';
        /* insertion into the top list, highest p99 first */
        int at = o->n_routes;
        while (at > 0 && o->routes[at - 1].p99 < r.p99)
            at--;
        if (at >= WATCH_ROUTES)
            continue;
        int last = o->n_routes < WATCH_ROUTES ? o->n_routes : WATCH_ROUTES - 1;
        memmove(&o->routes[at + 1], &o->routes[at], (size_t)(last - at) * sizeof r);
        o->routes[at] = r;
        if (o->n_routes < WATCH_ROUTES)
            o->n_routes++;
    }
    return 0;
}

int watch_derive(const struct brrt_snapshot *prev, const struct brrt_snapshot *cur,
                 struct watch_sample *o)
{
    *o = (struct watch_sample){
        .cpu_seconds = NAN, .cpu_pct = NAN, .cpu_user_pct = NAN, .cpu_system_pct = NAN,
        .cpu_limit_cores = NAN, .rss = NAN, .heap = NAN, .vss = NAN, .peak_rss = NAN,
        .mem_limit = NAN, .stack_bytes = NAN, .stack_used = NAN, .stack_overflows = NAN,
        .req_rate = NAN, .rate_4xx = NAN, .rate_5xx = NAN, .p50 = NAN, .p90 = NAN, .p95 = NAN,
        .p99 = NAN, .latency_mean = NAN, .active = NAN, .open_fds = NAN, .max_fds = NAN};
    o->t = (double)cur->taken_mono_ns / 1e9;
    o->generation = cur->info.generation;
    struct view v = {.cur = cur};
    if (same_writer(prev, cur) && cur->taken_mono_ns > prev->taken_mono_ns) {
        v.prev = prev;
        v.dt = (double)(cur->taken_mono_ns - prev->taken_mono_ns) / 1e9;
    }
    o->dt = v.dt;

    o->cpu_seconds = scalar(cur, BRRT_M_CPU_SECONDS);
    o->cpu_pct = counter_rate(&v, BRRT_M_CPU_SECONDS) * 100;
    o->cpu_user_pct = counter_rate(&v, BRRT_M_CPU_USER_SECONDS) * 100;
    o->cpu_system_pct = counter_rate(&v, BRRT_M_CPU_SYSTEM_SECONDS) * 100;
    o->cpu_limit_cores = scalar(cur, BRRT_M_CPU_LIMIT);
    o->rss = scalar(cur, BRRT_M_MEMORY_RSS);
    o->heap = scalar(cur, BRRT_M_MEMORY_HEAP);
    o->vss = scalar(cur, BRRT_M_MEMORY_VSS);
    o->peak_rss = scalar(cur, BRRT_M_MEMORY_PEAK_RSS);
    o->mem_limit = scalar(cur, BRRT_M_MEMORY_LIMIT);
    o->stack_bytes = scalar(cur, BRRT_M_STACK_BYTES);
    o->stack_used = scalar(cur, BRRT_M_STACK_USED_BYTES);
    o->stack_overflows = scalar(cur, BRRT_M_STACK_OVERFLOWS);
    o->latency_mean = scalar(cur, BRRT_M_REQUEST_LATENCY);
    o->active = scalar(cur, BRRT_M_ACTIVE_REQUESTS);
    o->open_fds = scalar(cur, BRRT_M_OPEN_FDS);
    o->max_fds = scalar(cur, BRRT_M_MAX_FDS);
    requests(&v, o);
    if (latency(&v, o) != 0)
        return -1;
    return slowest_routes(&v, o);
}

/* ---- rings ------------------------------------------------------------------------------ */

int ring_init(struct ring *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->t = calloc(cap, sizeof *r->t);
    r->v = calloc(cap, sizeof *r->v);
    r->w = calloc(cap, sizeof *r->w);
    r->cap = cap;
    if (!r->t || !r->v || !r->w || cap == 0) {
        ring_free(r);
        return -1;
    }
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->t);
    free(r->v);
    free(r->w);
    memset(r, 0, sizeof *r);
}

void ring_clear(struct ring *r)
{
    r->n = r->head = 0;
}

void ring_push(struct ring *r, double t, double v, double w)
{
    if (r->cap == 0 || isnan(v) || !(w > 0))
        return;
    r->t[r->head] = t;
    r->v[r->head] = v;
    r->w[r->head] = w;
    r->head = (r->head + 1) % r->cap;
    if (r->n < r->cap)
        r->n++;
}

/* The i-th newest sample (0 = newest). */
#define RING_AT(r, i) (((r)->head + (r)->cap - 1 - (i)) % (r)->cap)

double ring_mean(const struct ring *r, double now, double window, double *covered)
{
    double sw = 0, swv = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t j = RING_AT(r, i);
        if (r->t[j] > now)
            continue;
        if (r->t[j] <= now - window)
            break; /* newest first: the rest are older */
        sw += r->w[j];
        swv += r->w[j] * r->v[j];
    }
    if (covered)
        *covered = sw;
    return sw > 0 ? swv / sw : NAN;
}

double ring_slope(const struct ring *r, double now, double window)
{
    /* Centred on the newest time so that large monotonic clock values do not lose precision. */
    double n = 0, st = 0, sv = 0, stt = 0, stv = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t j = RING_AT(r, i);
        if (r->t[j] > now)
            continue;
        if (r->t[j] <= now - window)
            break;
        double t = r->t[j] - now;
        n++;
        st += t;
        sv += r->v[j];
        stt += t * t;
        stv += t * r->v[j];
    }
    double den = n * stt - st * st;
    if (n < 2 || !(den > 1e-12))
        return NAN;
    return (n * stv - st * sv) / den;
}

void ring_columns(const struct ring *r, double now, double span, int ncols, enum ring_agg agg,
                  double *out)
{
    if (ncols <= 0)
        return;
    double *sw = calloc((size_t)ncols, sizeof *sw);
    for (int c = 0; c < ncols; c++)
        out[c] = NAN;
    if (!sw)
        return;
    double start = now - span, colw = span / ncols;
    for (size_t i = 0; i < r->n; i++) {
        size_t j = RING_AT(r, i);
        double t = r->t[j];
        if (t > now)
            continue;
        if (t <= start)
            break;
        int c = (int)ceil((t - start) / colw) - 1;
        c = c < 0 ? 0 : c >= ncols ? ncols - 1 : c;
        if (agg == AGG_MAX) {
            if (isnan(out[c]) || r->v[j] > out[c])
                out[c] = r->v[j];
        } else {
            out[c] = (isnan(out[c]) ? 0 : out[c]) + r->w[j] * r->v[j];
            sw[c] += r->w[j];
        }
    }
    if (agg == AGG_MEAN)
        for (int c = 0; c < ncols; c++)
            if (sw[c] > 0)
                out[c] /= sw[c];
    free(sw);
}

void spark_levels(const double *cols, int n, bool from_zero, int *levels)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (isnan(cols[i]))
            continue;
        lo = cols[i] < lo ? cols[i] : lo;
        hi = cols[i] > hi ? cols[i] : hi;
    }
    if (from_zero && lo > 0)
        lo = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(cols[i]))
            levels[i] = -1;
        else if (!(hi > lo))
            levels[i] = hi == 0 ? 0 : 3;
        else {
            int l = (int)floor((cols[i] - lo) / (hi - lo) * 7 + 0.5);
            levels[i] = l < 0 ? 0 : l > 7 ? 7 : l;
        }
    }
}

/* ---- change-point rate ------------------------------------------------------------------ */

void cp_reset(struct cp_rate *c)
{
    memset(c, 0, sizeof *c);
}

void cp_add(struct cp_rate *c, double t, double v)
{
    if (isnan(v))
        return;
    if (c->n == 0 || v < c->v1) { /* first value, or the counter went back: a new baseline */
        c->n = 1;
        c->t1 = t;
        c->v1 = v;
        return;
    }
    if (v == c->v1)
        return;
    c->t0 = c->t1;
    c->v0 = c->v1;
    c->t1 = t;
    c->v1 = v;
    if (c->n < 3)
        c->n++;
}

double cp_rate_at(const struct cp_rate *c, double now)
{
    if (c->n < 3) /* the baseline's time is not a change: it cannot start a gap */
        return NAN;
    double gap = c->t1 - c->t0;
    if (!(gap > 0))
        return NAN;
    if (now - c->t1 > 2.5 * gap)
        return (c->v1 - c->v0) / (now - c->t0);
    return (c->v1 - c->v0) / gap;
}

/* ---- the model ------------------------------------------------------------------------- */

int model_init(struct watch_model *m, size_t cap)
{
    memset(m, 0, sizeof *m);
    m->first_t = NAN;
    if (ring_init(&m->cpu, cap) || ring_init(&m->req, cap) || ring_init(&m->rss, cap) ||
        ring_init(&m->heap, cap) || ring_init(&m->p99, cap)) {
        model_free(m);
        return -1;
    }
    return 0;
}

void model_free(struct watch_model *m)
{
    ring_free(&m->cpu);
    ring_free(&m->req);
    ring_free(&m->rss);
    ring_free(&m->heap);
    ring_free(&m->p99);
}

void model_reset(struct watch_model *m)
{
    ring_clear(&m->cpu);
    ring_clear(&m->req);
    ring_clear(&m->rss);
    ring_clear(&m->heap);
    ring_clear(&m->p99);
    cp_reset(&m->cpu_cp);
    m->first_t = NAN;
}

void model_add(struct watch_model *m, const struct watch_sample *s)
{
    if (s->generation != m->generation) {
        cp_reset(&m->cpu_cp); /* a restarted writer's counters start again */
        m->generation = s->generation;
    }
    if (isnan(m->first_t))
        m->first_t = s->t;
    cp_add(&m->cpu_cp, s->t, s->cpu_seconds);
    /* the gauge's meaning: % of the CPU limit when there is one, else of one core */
    ring_push(&m->cpu, s->t, s->cpu_limit_cores > 0 ? s->cpu_pct / s->cpu_limit_cores : s->cpu_pct, s->dt);
    ring_push(&m->req, s->t, s->req_rate, s->dt);
    ring_push(&m->rss, s->t, s->rss, 1);
    ring_push(&m->heap, s->t, s->heap, 1);
    if (s->window_count)
        ring_push(&m->p99, s->t, s->p99, 1);
}

static double pct(double part, double whole)
{
    return whole > 0 ? part / whole * 100 : NAN;
}

void model_dash(const struct watch_model *m, const struct watch_sample *s, struct watch_dash *d)
{
    double now = s->t;
    d->cpu_core_pct = cp_rate_at(&m->cpu_cp, now) * 100;
    if (isnan(d->cpu_core_pct))
        d->cpu_core_pct = s->cpu_pct;
    double limit = s->cpu_limit_cores > 0 ? s->cpu_limit_cores : 1; /* the dashboard's cpu_pct */
    d->cpu_pct = d->cpu_core_pct / limit;
    d->cpu_band = watch_band(BRRT_TH_CPU, d->cpu_pct);
    static const double windows[WATCH_N_AVG] = {
#define WATCH_AVG_SECONDS(label, seconds) seconds,
        WATCH_AVG_WINDOWS(WATCH_AVG_SECONDS)
#undef WATCH_AVG_SECONDS
    };
    for (int i = 0; i < WATCH_N_AVG; i++) {
        double covered;
        d->cpu_avg[i] = ring_mean(&m->cpu, now, windows[i], &covered);
        d->cpu_avg_partial[i] = covered < 0.95 * windows[i];
    }
    d->cpu_user_share = pct(s->cpu_user_pct, s->cpu_user_pct + s->cpu_system_pct);
    double req1 = ring_mean(&m->req, now, WATCH_EFFICIENCY_WINDOW, NULL);
    double cpu1 = ring_mean(&m->cpu, now, WATCH_EFFICIENCY_WINDOW, NULL);
    d->req_per_cpu_pct = cpu1 > 0 ? req1 / (cpu1 * limit) : NAN; /* per % of one core */
    d->rss_growth = ring_slope(&m->rss, now, WATCH_GROWTH_WINDOW);
    d->heap_growth = ring_slope(&m->heap, now, WATCH_GROWTH_WINDOW);
    d->req_per_mb = s->rss > 0 ? req1 / (s->rss / 1048576.0) : NAN;
    d->stack_active = s->active >= 0 ? s->active * s->stack_bytes : NAN;
    d->stack_pct = pct(s->stack_used, s->stack_bytes);
    /* No responses in the interval: no errors (the dashboard's `or vector(0)`). */
    d->pct_5xx = s->req_rate == 0 ? 0 : pct(s->rate_5xx, s->req_rate);
    d->pct_4xx = s->req_rate == 0 ? 0 : pct(s->rate_4xx, s->req_rate);
    d->mem_limit_pct = pct(s->rss, s->mem_limit);
    d->fds_pct = pct(s->open_fds, s->max_fds);
}

/* ---- the metric browser ---------------------------------------------------------------- */

const char *const watch_sort_names[SORT_COUNT] = {
#define WATCH_SORT_NAME(id, name) [SORT_##id] = name,
    WATCH_SORTS(WATCH_SORT_NAME)
#undef WATCH_SORT_NAME
};

static void shown_value(const struct brrt_snap_family *f, const struct brrt_snap_series *s,
                        char *out, size_t n)
{
    if (f->type == BRRT_SHM_HISTOGRAM)
        snprintf(out, n, "n=%" PRIu64, s->count);
    else if (n < BRRT_FMT_INT_MAX || !brrt_fmt_exact(out, f, s))
        human_value(out, n, s->value, f->unit);
}

int browser_build(struct browser *b, const struct view *v)
{
    const struct brrt_snapshot *cur = v->cur;
    free(b->rows);
    free(b->order);
    b->rows = calloc(cur->n_series ? cur->n_series : 1, sizeof *b->rows);
    b->order = calloc(cur->n_series ? cur->n_series : 1, sizeof *b->order);
    b->n = b->n_shown = 0;
    brrt_buf_reset(&b->keys);
    if (!b->rows || !b->order)
        return -1;
    size_t *key_at = calloc(cur->n_series ? cur->n_series : 1, sizeof *key_at);
    if (!key_at)
        return -1;
    for (uint32_t fi = 0; fi < cur->n_families; fi++) {
        const struct brrt_snap_family *f = &cur->families[fi];
        for (uint32_t k = 0; k < f->n_series && b->n < cur->n_series; k++) {
            const struct brrt_snap_series *s = &cur->series[f->first_series + k];
            struct brow *r = &b->rows[b->n];
            key_at[b->n] = b->keys.len;
            brrt_buf_puts(&b->keys, f->name);
            for (uint32_t i = 0; i < f->nlabels; i++) {
                brrt_buf_printf(&b->keys, "%s%s=\"", i ? "," : "{", f->label_names[i]);
                brrt_buf_escaped(&b->keys, s->label_values[i], true);
                brrt_buf_puts(&b->keys, i + 1 == f->nlabels ? "\"}" : "\"");
            }
            brrt_buf_add(&b->keys, "", 1); /* the NUL */
            r->family = fi;
            r->k = k;
            shown_value(f, s, r->shown, sizeof r->shown);
            r->rate = NAN;
            if (f->type == BRRT_SHM_HISTOGRAM) {
                r->value = (double)s->count;
                const struct brrt_snap_series *p = brrt_snapshot_match(v->prev, cur, fi, k);
                if (p && v->dt > 0 && s->count >= p->count)
                    r->rate = (double)(s->count - p->count) / v->dt;
            } else {
                r->value = s->value;
                if (f->type == BRRT_SHM_COUNTER)
                    r->rate = view_rate(v, fi, k);
            }
            b->n++;
        }
    }
    bool failed = b->keys.failed;
    for (size_t i = 0; i < b->n; i++)
        b->rows[i].key = failed ? "" : b->keys.data + key_at[i];
    free(key_at);
    return failed ? -1 : 0;
}

struct sort_ctx {
    const struct brow *rows;
    enum watch_sort sort;
    bool reverse;
};

static int cmp_num(double a, double b, bool reverse)
{
    if (isnan(a) || isnan(b)) /* NaN last, whichever the direction */
        return isnan(a) - isnan(b);
    int c = a > b ? -1 : a < b ? 1 : 0; /* descending */
    return reverse ? -c : c;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
    const struct sort_ctx *c = arg;
    size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
    const struct brow *a = &c->rows[ia], *b = &c->rows[ib];
    int r = 0;
    if (c->sort == SORT_NAME)
        r = c->reverse ? strcmp(b->key, a->key) : strcmp(a->key, b->key);
    else if (c->sort == SORT_VALUE)
        r = cmp_num(a->value, b->value, c->reverse);
    else
        r = cmp_num(a->rate, b->rate, c->reverse);
    return r ? r : (ia > ib) - (ia < ib);
}

void browser_select(struct browser *b, const char *filter, enum watch_sort sort, bool reverse)
{
    b->n_shown = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!filter || !*filter || strcasestr(b->rows[i].key, filter))
            b->order[b->n_shown++] = i;
    struct sort_ctx c = {b->rows, sort, reverse};
    qsort_r(b->order, b->n_shown, sizeof *b->order, cmp_rows, &c);
}

void browser_free(struct browser *b)
{
    free(b->rows);
    free(b->order);
    brrt_buf_free(&b->keys);
    memset(b, 0, sizeof *b);
}
