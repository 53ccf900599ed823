/* Protobuf exposition: one MetricFamily message per family, built in a per-call arena and
 * packed by protobuf-c after its varint length (the general path; the exporter renders with
 * render_pb_fast.c, which writes the same bytes). The exporter's own few families are written
 * by hand (pb_wire.h). */
#include "pb_wire.h"
#include "render_pb.h"

#include "metrics.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Io__Prometheus__Client__MetricFamily PbFamily;
typedef Io__Prometheus__Client__Metric PbMetric;
typedef Io__Prometheus__Client__LabelPair PbLabel;
typedef Io__Prometheus__Client__Counter PbCounter;
typedef Io__Prometheus__Client__Gauge PbGauge;
typedef Io__Prometheus__Client__Histogram PbHistogram;
typedef Io__Prometheus__Client__Bucket PbBucket;

/* ---- a bump arena: everything of one family, rewound for the next ------------------------- */

struct pb_chunk {
    struct pb_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct pb_arena {
    struct pb_chunk *head, *cur; /* chunks in order; allocating from cur */
    bool failed;
};

static void *pb_alloc(struct pb_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct pb_chunk *c = a->cur;
    while (c && c->cap - c->used < n) /* later chunks are empty after a rewind */
        c = c->next;
    if (!c) {
        size_t cap = n > 65536 ? n : 65536;
        c = malloc(sizeof *c + cap);
        if (!c) {
            a->failed = true;
            return NULL;
        }
        c->next = NULL;
        c->used = 0;
        c->cap = cap;
        struct pb_chunk **tail = &a->head;
        while (*tail)
            tail = &(*tail)->next;
        *tail = c;
    }
    a->cur = c;
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

/* Keeps the chunks for the next family: a scrape allocates once, not once per family. */
static void pb_arena_rewind(struct pb_arena *a)
{
    for (struct pb_chunk *c = a->head; c; c = c->next)
        c->used = 0;
    a->cur = a->head;
}

static void pb_arena_free(struct pb_arena *a)
{
    while (a->head) {
        struct pb_chunk *c = a->head;
        a->head = c->next;
        free(c);
    }
    a->cur = NULL;
    a->failed = false;
}

/* ---- packing -------------------------------------------------------------------------------- */

/* Appends the varint length and the packed family. */
static void emit(struct brrt_buf *b, struct pb_arena *a, const PbFamily *mf)
{
    if (a->failed) {
        b->failed = true;
        return;
    }
    size_t len = io__prometheus__client__metric_family__get_packed_size(mf);
    uint8_t head[10];
    size_t h = 0;
    for (size_t v = len; ; v >>= 7) {
        head[h++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    uint8_t *body = pb_alloc(a, len ? len : 1);
    if (!body) {
        b->failed = true;
        return;
    }
    size_t packed = io__prometheus__client__metric_family__pack(mf, body);
    brrt_buf_add(b, (const char *)head, h);
    brrt_buf_add(b, (const char *)body, packed);
}

/* ---- families from snapshots ---------------------------------------------------------------- */

static PbLabel *label(struct pb_arena *a, const char *name, const char *value)
{
    PbLabel *l = pb_alloc(a, sizeof *l);
    if (!l)
        return NULL;
    io__prometheus__client__label_pair__init(l);
    l->name = (char *)name; /* packing only reads */
    l->value = (char *)value;
    return l;
}

static char *dup_str(struct pb_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = pb_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* The labels of series `s`: the extra label first; a clashing own label keeps its value under
 * exported_NAME (as the text renderer does). */
static void labels_of(struct pb_arena *a, PbMetric *m, const struct brrt_snap_family *f,
                      const struct brrt_snap_series *s, const char *extra_name, const char *extra)
{
    uint32_t n = f->nlabels + (extra_name && extra ? 1u : 0u);
    m->label = pb_alloc(a, (n ? n : 1) * sizeof *m->label);
    if (!m->label)
        return;
    if (extra_name && extra)
        m->label[m->n_label++] = label(a, extra_name, extra);
    for (uint32_t i = 0; i < f->nlabels; i++) {
        const char *name = f->label_names[i];
        if (extra_name && extra && strcmp(name, extra_name) == 0) {
            char renamed[128];
            snprintf(renamed, sizeof renamed, "exported_%s", name);
            name = dup_str(a, renamed);
        }
        m->label[m->n_label++] = label(a, name, s->label_values[i]);
    }
}

/* The value as protobuf carries it (a double): the exact integer where brrt_fmt_exact says the
 * series has one (strtod rounds it to nearest, as the integer-to-double conversion did), else
 * s->value. */
static double scalar(const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    char exact[BRRT_FMT_INT_MAX];
    if (!brrt_fmt_exact(exact, f, s))
        return s->value;
    return strtod(exact, NULL);
}

typedef Io__Prometheus__Client__BucketSpan PbSpan;

/* Gaps of at most this many empty buckets stay inside a span as zero deltas (cheaper than a
 * new span: 2 bytes per empty bucket against 4-6 bytes per span). */
#define PB_SPAN_GAP 2

/* The native part of `h`, exactly the segment's buckets: schema, zero bucket, then the
 * non-empty regular buckets as spans (offset, length) and count deltas. The overflow bucket
 * (above base^index_max) is not a native bucket: it is in sample_count only. */
static void native(struct pb_arena *a, PbHistogram *h, const struct brrt_snap_family *f,
                   const struct brrt_snap_series *s)
{
    if (!s->fine || f->n_fine < 3)
        return;
    h->has_schema = h->has_zero_threshold = h->has_zero_count = true;
    h->schema = f->schema;
    h->zero_threshold = f->zero_threshold; /* > 0: what makes Prometheus read it as native */
    h->zero_count = s->fine[0];
    uint32_t n = f->n_fine - 2; /* regular buckets */
    /* first pass: how many spans and deltas (exact sizes: 1,000 series x 432 buckets would
     * otherwise clear megabytes per scrape) */
    size_t n_spans = 0, n_deltas = 0;
    int64_t last = INT64_MIN;
    for (uint32_t k = 0; k < n; k++) {
        if (!s->fine[1 + k])
            continue;
        if (n_spans && (int64_t)k - last - 1 <= PB_SPAN_GAP) {
            n_deltas += (size_t)((int64_t)k - last);
        } else {
            n_spans++;
            n_deltas++;
        }
        last = k;
    }
    if (!n_spans)
        return;
    h->positive_delta = pb_alloc(a, n_deltas * sizeof *h->positive_delta);
    PbSpan *spans = pb_alloc(a, n_spans * sizeof *spans);
    h->positive_span = pb_alloc(a, n_spans * sizeof *h->positive_span);
    if (!h->positive_delta || !spans || !h->positive_span)
        return;
    /* Deltas wrap modulo 2^64 (a hostile file's counts are any words): unsigned arithmetic,
     * never a signed overflow. */
    uint64_t prev_count = 0;
    int32_t end = 0; /* index just past the last bucket of the current span */
    PbSpan *cur = NULL;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t c = s->fine[1 + k];
        if (!c)
            continue;
        int32_t idx = f->index_min + (int32_t)k;
        if (cur && idx - end <= PB_SPAN_GAP) {
            for (; end < idx; end++) { /* the empty buckets in between */
                h->positive_delta[h->n_positive_delta++] = (int64_t)(0 - prev_count);
                prev_count = 0;
                cur->length++;
            }
        } else {
            cur = &spans[h->n_positive_span];
            io__prometheus__client__bucket_span__init(cur);
            cur->has_offset = cur->has_length = true;
            cur->offset = cur == spans ? idx : idx - end; /* the first: absolute */
            cur->length = 0;
            h->positive_span[h->n_positive_span++] = cur;
        }
        h->positive_delta[h->n_positive_delta++] = (int64_t)(c - prev_count);
        prev_count = c;
        cur->length++;
        end = idx + 1;
    }
}

static PbHistogram *histogram(struct pb_arena *a, const struct brrt_snap_family *f,
                              const struct brrt_snap_series *s)
{
    PbHistogram *h = pb_alloc(a, sizeof *h);
    if (!h)
        return NULL;
    io__prometheus__client__histogram__init(h);
    h->has_sample_count = h->has_sample_sum = true;
    h->sample_count = s->count;
    h->sample_sum = s->sum;
    /* classic buckets: cumulative, finite bounds only (+Inf is sample_count) */
    h->bucket = pb_alloc(a, (f->n_le ? f->n_le : 1) * sizeof *h->bucket);
    PbBucket *bk = pb_alloc(a, (f->n_le ? f->n_le : 1) * sizeof *bk);
    if (!h->bucket || !bk)
        return h;
    uint64_t cum = 0;
    for (uint32_t k = 0; k < f->n_le; k++) {
        io__prometheus__client__bucket__init(&bk[k]);
        cum += s->le_counts[k];
        bk[k].has_cumulative_count = bk[k].has_upper_bound = true;
        bk[k].cumulative_count = cum;
        bk[k].upper_bound = f->le[k];
        h->bucket[h->n_bucket++] = &bk[k];
    }
    native(a, h, f, s);
    return h;
}

static void metric_of(struct pb_arena *a, PbMetric *m, const struct brrt_snap_family *f,
                      const struct brrt_snap_series *s, const char *extra_name, const char *extra)
{
    io__prometheus__client__metric__init(m);
    labels_of(a, m, f, s, extra_name, extra);
    if (f->type == BRRT_SHM_HISTOGRAM) {
        m->histogram = histogram(a, f, s);
    } else if (f->type == BRRT_SHM_COUNTER) {
        m->counter = pb_alloc(a, sizeof *m->counter);
        if (m->counter) {
            io__prometheus__client__counter__init(m->counter);
            m->counter->has_value = true;
            m->counter->value = scalar(f, s);
        }
    } else {
        m->gauge = pb_alloc(a, sizeof *m->gauge);
        if (m->gauge) {
            io__prometheus__client__gauge__init(m->gauge);
            m->gauge->has_value = true;
            m->gauge->value = scalar(f, s);
        }
    }
}

/* Series `i` of `snap` with its value fields as SCALARS fills them: from snap->raw when the
 * snapshot read RAW (its series structs then hold no counter/gauge values). */
static const struct brrt_snap_series *series_at(const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                                                uint32_t i, struct brrt_snap_series *tmp)
{
    const struct brrt_snap_series *s = &snap->series[i];
    if (!snap->raw || f->type == BRRT_SHM_HISTOGRAM)
        return s;
    *tmp = *s;
    tmp->u64 = snap->raw[i];
    tmp->i64 = (int64_t)snap->raw[i];
    tmp->value = brrt_snap_raw_value(f, snap->raw[i]);
    return tmp;
}

static Io__Prometheus__Client__MetricType pb_type(enum brrt_shm_type t)
{
    return t == BRRT_SHM_COUNTER     ? IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER
           : t == BRRT_SHM_HISTOGRAM ? IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM
                                     : IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE;
}

void pb_render_snapshots(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                         const char *const *label_values, uint32_t n, const struct brrt_prom_opts *o)
{
    struct brrt_prom_opts none = {0};
    o = o ? o : &none;
    struct brrt_expo_plan own;
    const struct brrt_expo_plan *plan;
    if (brrt_expo_plan_get(&own, snaps, n, o, &plan) != 0) {
        b->failed = true;
        return;
    }
    const char *extra_name = label_values ? o->extra_label_name : NULL;
    struct pb_arena a = {0};
    for (uint32_t k = 0, end; k < plan->n; k = end) {
        /* One group: a head and its same-named families of later snapshots, one message. */
        size_t total = 0;
        for (end = k; end < plan->n && (end == k || !plan->items[end].head); end++) {
            const struct brrt_expo_item *it = &plan->items[end];
            const struct brrt_snap_family *g = &snaps[it->snap]->families[it->fam];
            for (uint32_t t = 0; t < g->n_series; t++) {
                struct brrt_snap_series tmp;
                bool ok = brrt_expo_series_ok(g, series_at(snaps[it->snap], g, g->first_series + t, &tmp));
                total += ok;
                if (!ok && o->dropped)
                    o->dropped[it->snap]++;
            }
        }
        if (!total) /* no series yet: a family without metrics is no use to a scraper */
            continue;
        const struct brrt_snap_family *f = &snaps[plan->items[k].snap]->families[plan->items[k].fam];
        PbFamily mf;
        io__prometheus__client__metric_family__init(&mf);
        char fam[BRRT_EXPO_FAMILY_MAX];
        size_t fam_len;
        brrt_expo_family_name(f->name, f->type == BRRT_SHM_COUNTER, false, fam, &fam_len);
        mf.name = fam;
        mf.help = (char *)f->help;
        mf.has_type = true;
        mf.type = pb_type(f->type);
        if (f->unit && f->unit[0])
            mf.unit = (char *)f->unit;
        mf.metric = pb_alloc(&a, total * sizeof *mf.metric);
        PbMetric *ms = pb_alloc(&a, total * sizeof *ms);
        for (uint32_t x = k; x < end && ms && mf.metric; x++) {
            const struct brrt_expo_item *it = &plan->items[x];
            const struct brrt_snap_family *g = &snaps[it->snap]->families[it->fam];
            const char *extra = extra_name ? label_values[it->snap] : NULL;
            for (uint32_t t = 0; t < g->n_series; t++) {
                struct brrt_snap_series tmp;
                const struct brrt_snap_series *s = series_at(snaps[it->snap], g, g->first_series + t, &tmp);
                if (!brrt_expo_series_ok(g, s))
                    continue;
                metric_of(&a, &ms[mf.n_metric], g, s, extra_name, extra);
                mf.metric[mf.n_metric] = &ms[mf.n_metric];
                mf.n_metric++;
            }
        }
        emit(b, &a, &mf);
        pb_arena_rewind(&a);
    }
    pb_arena_free(&a);
    brrt_expo_plan_free(&own);
}

/* ---- the exporter's own metrics: a few small families, written by hand (pb_wire.h) --------- */

/* The LabelPair field of name="value" (lengths given): its size, or written at `q`. */
static size_t label_field_len(size_t nl, size_t vl)
{
    size_t pair = 1 + pbw_vlen(nl) + nl + 1 + pbw_vlen(vl) + vl;
    return 1 + pbw_vlen(pair) + pair;
}

static uint8_t *put_label_field(uint8_t *q, const char *name, size_t nl, const char *value, size_t vl)
{
    *q++ = 0x0a;
    q = pbw_varint(q, 1 + pbw_vlen(nl) + nl + 1 + pbw_vlen(vl) + vl);
    *q++ = 0x0a;
    q = pbw_varint(q, nl);
    memcpy(q, name, nl);
    q += nl;
    *q++ = 0x12;
    q = pbw_varint(q, vl);
    memcpy(q, value, vl);
    return q + vl;
}

void pb_render_scalars(struct brrt_buf *b, const char *name, bool counter, const char *help,
                       const char *label_name, const char *const *label_values,
                       const double *values, uint32_t n)
{
    char fam[BRRT_EXPO_FAMILY_MAX];
    size_t fam_len;
    brrt_expo_family_name(name, counter, false, fam, &fam_len);
    size_t help_len = help ? strlen(help) : 0, ln = label_name ? strlen(label_name) : 0;
    size_t body = 1 + pbw_vlen(fam_len) + fam_len + (help ? 1 + pbw_vlen(help_len) + help_len : 0) + 2;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = 11 + (label_name ? label_field_len(ln, strlen(label_values[i])) : 0);
        body += 1 + pbw_vlen(m) + m;
    }
    if (!brrt_buf_reserve(b, 10 + body))
        return;
    uint8_t *q = (uint8_t *)b->data + b->len;
    q = pbw_varint(q, body);
    *q++ = 0x0a;
    q = pbw_varint(q, fam_len);
    memcpy(q, fam, fam_len);
    q += fam_len;
    if (help) {
        *q++ = 0x12;
        q = pbw_varint(q, help_len);
        memcpy(q, help, help_len);
        q += help_len;
    }
    *q++ = 0x18;
    *q++ = counter ? 0 : 1; /* COUNTER, GAUGE */
    for (uint32_t i = 0; i < n; i++) {
        size_t vl = label_name ? strlen(label_values[i]) : 0;
        size_t m = 11 + (label_name ? label_field_len(ln, vl) : 0);
        *q++ = 0x22;
        q = pbw_varint(q, m);
        if (label_name)
            q = put_label_field(q, label_name, ln, label_values[i], vl);
        *q++ = counter ? 0x1a : 0x12;
        *q++ = 9;
        *q++ = 0x09;
        q = pbw_double(q, values[i]);
    }
    b->len = (size_t)((char *)q - b->data);
    b->data[b->len] = '\0';
}
