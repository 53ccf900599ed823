/* The protobuf exposition's per-scrape path: the bytes of pb_render_snapshots, written by hand
 * around per-layout parts encoded once. A family's name/help/type/unit fields and every
 * series' label pairs only change with the snapshots' layouts, so they are kept here as wire
 * bytes; a scrape writes the values (a counter or gauge Metric is its cached bytes and an
 * 8-byte double) and each histogram's count, sum, buckets and spans. No message tree, no
 * protobuf-c: 10,000 counters cost one pass of memcpy + double, not 40,000 small structs
 * packed twice (sized, then written).
 * Wire format (proto2, client_model metrics.proto): field tag = number << 3 | wire type
 * (0 varint, 1 fixed64, 2 length-delimited); fields in field-number order, as protobuf-c
 * packs them, so the bytes are equal to the general path's (tests/unit/test_pb_fast.c). */
#include "pb_wire.h"
#include "render_pb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A series' cached bytes up to this long are copied as one fixed-size block (inline moves, not
 * a call per series); bytes[] and the output keep this much room past their ends for it. */
#define PBF_COPY 64

/* Gaps of at most this many empty buckets stay inside a span (as render_pb.c's PB_SPAN_GAP). */
#define PBF_SPAN_GAP 2

/* ---- the per-layout parts ------------------------------------------------------------------- */

struct pbf_family {         /* one MetricFamily message (a plan group) */
    uint32_t item0, item_end; /* its plan items */
    uint32_t ser0, n_ser;   /* its series in pb_cache.ser */
    size_t head, head_len;  /* name, help, type fields, in bytes */
    size_t tail, tail_len;  /* the unit field (or nothing) */
    size_t last_vlen;       /* the length varint's size last time (the gap left for it) */
};

struct pbf_series {
    uint32_t snap, idx, fam; /* snaps[snap]->series[idx] of snaps[snap]->families[fam] */
    size_t off;             /* in bytes: counters/gauges: the Metric up to its value (tag,
                             * length, labels, counter/gauge tag, length 9, value tag);
                             * histograms: the label fields only */
    uint32_t len;
};

struct pb_cache {
    /* the key: what the parts were built from */
    bool valid;
    uint32_t n;
    uint64_t *layouts;
    char **names;           /* label_values copied (NULL entries kept) */
    bool extra;             /* extra label in use */
    char *extra_name;
    struct brrt_expo_item *items;
    uint32_t n_items;
    /* the parts */
    uint8_t *bytes;
    size_t len, cap;
    bool failed;
    struct pbf_family *fam;
    uint32_t n_fam, cap_fam;
    struct pbf_series *ser;
    uint32_t n_ser, cap_ser;
    /* per scrape */
    double *val;            /* a scalar family's values */
    uint32_t cap_val;
    uint8_t *scratch;       /* one histogram's body, then its deltas */
    size_t cap_scratch;
    uint64_t builds;
};

uint64_t pb_cache_builds(const struct pb_cache *c)
{
    return c->builds;
}

struct pb_cache *pb_cache_new(void)
{
    return calloc(1, sizeof(struct pb_cache));
}

static void forget_key(struct pb_cache *c)
{
    for (uint32_t i = 0; c->names && i < c->n; i++)
        free(c->names[i]);
    free(c->names);
    free(c->layouts);
    free(c->items);
    free(c->extra_name);
    c->names = NULL;
    c->layouts = NULL;
    c->items = NULL;
    c->extra_name = NULL;
    c->valid = false;
}

void pb_cache_free(struct pb_cache *c)
{
    if (!c)
        return;
    forget_key(c);
    free(c->bytes);
    free(c->fam);
    free(c->ser);
    free(c->val);
    free(c->scratch);
    free(c);
}

static uint8_t *bytes_room(struct pb_cache *c, size_t n)
{
    if (c->cap - c->len < n) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap - c->len < n)
            cap *= 2;
        uint8_t *p = realloc(c->bytes, cap);
        if (!p) {
            c->failed = true;
            return NULL;
        }
        c->bytes = p;
        c->cap = cap;
    }
    return c->bytes + c->len;
}

/* Appends a length-delimited field (tag, length, the bytes). */
static void put_str_field(struct pb_cache *c, uint8_t tag, const char *s, size_t n)
{
    uint8_t *p = bytes_room(c, 1 + 10 + n);
    if (!p)
        return;
    uint8_t *q = p;
    *q++ = tag;
    q = pbw_varint(q, n);
    memcpy(q, s, n);
    c->len += (size_t)(q - p) + n;
}

/* One LabelPair as Metric field 1. */
static void put_label(struct pb_cache *c, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    size_t pair = 1 + pbw_vlen(nl) + nl + 1 + pbw_vlen(vl) + vl;
    uint8_t *p = bytes_room(c, 1 + 10 + pair);
    if (!p)
        return;
    uint8_t *q = p;
    *q++ = 0x0a;
    q = pbw_varint(q, pair);
    c->len += (size_t)(q - p);
    put_str_field(c, 0x0a, name, nl);
    put_str_field(c, 0x12, value, vl);
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (*cap >= need)
        return true;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* The series' label fields into bytes: the extra label first, a clashing own label renamed
 * exported_NAME (as render_pb.c's labels_of). */
static void put_labels(struct pb_cache *c, const struct brrt_snap_family *f, const struct brrt_snap_series *s,
                       const char *extra_name, const char *extra)
{
    if (extra_name && extra)
        put_label(c, extra_name, extra);
    for (uint32_t i = 0; i < f->nlabels; i++) {
        const char *name = f->label_names[i];
        char renamed[128];
        if (extra_name && extra && strcmp(name, extra_name) == 0) {
            snprintf(renamed, sizeof renamed, "exported_%s", name);
            name = renamed;
        }
        put_label(c, name, s->label_values[i]);
    }
}

static int build(struct pb_cache *c, const struct brrt_snapshot *const *snaps, const char *const *label_values,
                 const struct brrt_expo_plan *plan, const char *extra_name)
{
    c->len = c->n_fam = c->n_ser = 0;
    c->failed = false;
    size_t need_scratch = 0;
    for (uint32_t k = 0, end; k < plan->n; k = end) {
        uint32_t n_ser = 0;
        for (end = k; end < plan->n && (end == k || !plan->items[end].head); end++)
            n_ser += snaps[plan->items[end].snap]->families[plan->items[end].fam].n_series;
        if (!n_ser) /* never sent while the layout holds */
            continue;
        if (!grow((void **)&c->fam, &c->cap_fam, c->n_fam + 1, sizeof *c->fam))
            return -1;
        struct pbf_family *pf = &c->fam[c->n_fam++];
        const struct brrt_snap_family *f = &snaps[plan->items[k].snap]->families[plan->items[k].fam];
        pf->item0 = k;
        pf->item_end = end;
        pf->ser0 = c->n_ser;
        pf->n_ser = n_ser;
        pf->last_vlen = 3;
        char fam[BRRT_EXPO_FAMILY_MAX];
        size_t fam_len;
        brrt_expo_family_name(f->name, f->type == BRRT_SHM_COUNTER, false, fam, &fam_len);
        pf->head = c->len;
        put_str_field(c, 0x0a, fam, fam_len);
        if (f->help)
            put_str_field(c, 0x12, f->help, strlen(f->help));
        uint8_t *p = bytes_room(c, 2);
        if (!p)
            return -1;
        p[0] = 0x18; /* type: COUNTER 0, GAUGE 1, HISTOGRAM 4 */
        p[1] = f->type == BRRT_SHM_COUNTER ? 0 : f->type == BRRT_SHM_HISTOGRAM ? 4 : 1;
        c->len += 2;
        pf->head_len = c->len - pf->head;
        pf->tail = c->len;
        if (f->unit && f->unit[0])
            put_str_field(c, 0x2a, f->unit, strlen(f->unit));
        pf->tail_len = c->len - pf->tail;
        if (!grow((void **)&c->ser, &c->cap_ser, c->n_ser + n_ser, sizeof *c->ser))
            return -1;
        for (uint32_t x = k; x < end; x++) {
            const struct brrt_expo_item *it = &plan->items[x];
            const struct brrt_snap_family *g = &snaps[it->snap]->families[it->fam];
            const char *extra = extra_name ? label_values[it->snap] : NULL;
            if (g->type == BRRT_SHM_HISTOGRAM) {
                size_t h = 64 + (size_t)g->n_le * 21 + (size_t)g->n_fine * 36; /* see hist_family */
                need_scratch = h > need_scratch ? h : need_scratch;
            }
            for (uint32_t t = 0; t < g->n_series; t++) {
                const struct brrt_snap_series *s = &snaps[it->snap]->series[g->first_series + t];
                struct pbf_series *ps = &c->ser[c->n_ser++];
                ps->snap = it->snap;
                ps->idx = g->first_series + t;
                ps->fam = it->fam;
                size_t start = c->len;
                if (g->type == BRRT_SHM_HISTOGRAM) {
                    put_labels(c, g, s, extra_name, extra);
                    ps->off = start;
                    ps->len = (uint32_t)(c->len - start);
                    continue;
                }
                /* the labels first, then the Metric's tag and length moved in front */
                put_labels(c, g, s, extra_name, extra);
                size_t labels = c->len - start;
                size_t mlen = labels + 11; /* + counter/gauge field: tag, 9, value tag, 8 bytes */
                size_t pre = 1 + pbw_vlen(mlen);
                p = bytes_room(c, pre + 3);
                if (!p)
                    return -1;
                memmove(c->bytes + start + pre, c->bytes + start, labels);
                uint8_t *q = pbw_varint(c->bytes + start + 1, mlen);
                c->bytes[start] = 0x22;
                q += labels;
                *q++ = g->type == BRRT_SHM_COUNTER ? 0x1a : 0x12;
                *q++ = 9;
                *q++ = 0x09;
                c->len = (size_t)(q - c->bytes);
                ps->off = start;
                ps->len = (uint32_t)(c->len - start);
            }
        }
    }
    uint8_t *pad = bytes_room(c, PBF_COPY); /* read by the fixed-size copies, never sent */
    if (!pad)
        return -1;
    memset(pad, 0, PBF_COPY);
    if (need_scratch > c->cap_scratch) {
        free(c->scratch);
        c->scratch = malloc(need_scratch);
        c->cap_scratch = c->scratch ? need_scratch : 0;
        if (!c->scratch)
            return -1;
    }
    return c->failed ? -1 : 0;
}

/* Whether the parts were built from these snapshots' layouts, labels and plan. */
static bool same_key(const struct pb_cache *c, const struct brrt_snapshot *const *snaps,
                     const char *const *label_values, uint32_t n, const struct brrt_expo_plan *plan,
                     const char *extra_name)
{
    if (!c->valid || c->n != n || c->n_items != plan->n || c->extra != (extra_name != NULL))
        return false;
    if (extra_name && strcmp(extra_name, c->extra_name) != 0)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (c->layouts[i] != snaps[i]->layout)
            return false;
        const char *v = extra_name ? label_values[i] : NULL;
        if ((v == NULL) != (c->names[i] == NULL) || (v && strcmp(v, c->names[i]) != 0))
            return false;
    }
    return memcmp(c->items, plan->items, plan->n * sizeof *plan->items) == 0;
}

static int remember_key(struct pb_cache *c, const struct brrt_snapshot *const *snaps,
                        const char *const *label_values, uint32_t n, const struct brrt_expo_plan *plan,
                        const char *extra_name)
{
    forget_key(c);
    c->n = n;
    c->n_items = plan->n;
    c->extra = extra_name != NULL;
    c->layouts = malloc((n ? n : 1) * sizeof *c->layouts);
    c->names = calloc(n ? n : 1, sizeof *c->names);
    c->items = malloc((plan->n ? plan->n : 1) * sizeof *c->items);
    c->extra_name = extra_name ? strdup(extra_name) : NULL;
    if (!c->layouts || !c->names || !c->items || (extra_name && !c->extra_name))
        return -1;
    memcpy(c->items, plan->items, plan->n * sizeof *plan->items);
    for (uint32_t i = 0; i < n; i++) {
        c->layouts[i] = snaps[i]->layout;
        if (extra_name && label_values[i] && !(c->names[i] = strdup(label_values[i])))
            return -1;
    }
    return 0;
}

/* ---- per scrape ----------------------------------------------------------------------------- */

/* A counter's or gauge's value: from the raw word when the snapshot has it (what SCALARS
 * would compute; for an exact integer the nearest double, as render_pb.c's strtod gives). */
static inline double value_of(const struct brrt_snapshot *snap, const struct brrt_snap_family *f, uint32_t i)
{
    return snap->raw ? brrt_snap_raw_value(f, snap->raw[i]) : snap->series[i].value;
}

/* One BucketSpan as Histogram field 12 (its length < 128: two varints of <= 5 bytes). */
static inline uint8_t *put_span(uint8_t *q, int32_t offset, uint32_t length)
{
    uint8_t *len = q + 1;
    q[0] = 0x62;
    q += 2;
    *q++ = 0x08;
    q = pbw_varint(q, pbw_zigzag32(offset));
    *q++ = 0x10;
    q = pbw_varint(q, length);
    *len = (uint8_t)(q - len - 1);
    return q;
}

/* Writes one histogram's body (Histogram message fields) into `q`; returns its end. `d` is
 * room for its deltas (n_fine * 11 bytes). */
static uint8_t *hist_body(uint8_t *q, uint8_t *d, const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    *q++ = 0x08;
    q = pbw_varint(q, s->count);
    *q++ = 0x11;
    q = pbw_double(q, s->sum);
    uint64_t cum = 0;
    for (uint32_t k = 0; k < f->n_le; k++) {
        cum += s->le_counts[k];
        *q++ = 0x1a;
        *q++ = (uint8_t)(1 + pbw_vlen(cum) + 9);
        *q++ = 0x08;
        q = pbw_varint(q, cum);
        *q++ = 0x11;
        q = pbw_double(q, f->le[k]);
    }
    if (!s->fine || f->n_fine < 3)
        return q;
    *q++ = 0x28;
    q = pbw_varint(q, pbw_zigzag32(f->schema));
    *q++ = 0x31;
    q = pbw_double(q, f->zero_threshold);
    *q++ = 0x38;
    q = pbw_varint(q, s->fine[0]);
    /* spans written as found, deltas into `d` (they follow every span on the wire) */
    uint32_t n = f->n_fine - 2;
    uint8_t *d0 = d;
    uint64_t prev = 0; /* deltas wrap modulo 2^64, as render_pb.c's */
    int32_t end = 0, span_off = 0;
    uint32_t span_len = 0;
    bool any = false;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t cnt = s->fine[1 + k];
        if (!cnt)
            continue;
        int32_t idx = f->index_min + (int32_t)k;
        if (any && idx - end <= PBF_SPAN_GAP) {
            for (; end < idx; end++) { /* the empty buckets in between */
                *d++ = 0x68;
                d = pbw_varint(d, pbw_zigzag64((int64_t)(0 - prev)));
                prev = 0;
                span_len++;
            }
        } else {
            if (any)
                q = put_span(q, span_off, span_len);
            span_off = any ? idx - end : idx; /* the first: absolute */
            span_len = 0;
            any = true;
        }
        *d++ = 0x68;
        d = pbw_varint(d, pbw_zigzag64((int64_t)(cnt - prev)));
        prev = cnt;
        span_len++;
        end = idx + 1;
    }
    if (!any)
        return q;
    q = put_span(q, span_off, span_len);
    memcpy(q, d0, (size_t)(d - d0));
    return q + (d - d0);
}

/* A counter or gauge family: the values first (which series go out, the message's length),
 * then each Metric as its cached bytes and its value. */
static void scalar_family(struct pb_cache *c, struct brrt_buf *b, const struct pbf_family *pf,
                          const struct brrt_snapshot *const *snaps, const struct brrt_prom_opts *o)
{
    if (!grow((void **)&c->val, &c->cap_val, pf->n_ser, sizeof *c->val)) {
        b->failed = true;
        return;
    }
    const struct pbf_series *ser = c->ser + pf->ser0;
    size_t body = pf->head_len + pf->tail_len;
    uint32_t n_ok = 0;
    for (uint32_t j = 0; j < pf->n_ser; j++) {
        const struct brrt_snapshot *snap = snaps[ser[j].snap];
        const struct brrt_snap_family *g = &snap->families[ser[j].fam];
        double v = value_of(snap, g, ser[j].idx);
        c->val[j] = v;
        if (g->type != BRRT_SHM_COUNTER || v >= 0) { /* brrt_expo_series_ok */
            body += ser[j].len + 8;
            n_ok++;
        } else {
            if (o->dropped)
                o->dropped[ser[j].snap]++;
        }
    }
    if (!n_ok || !brrt_buf_reserve(b, 10 + body + PBF_COPY))
        return;
    uint8_t *q = (uint8_t *)b->data + b->len;
    q = pbw_varint(q, body);
    memcpy(q, c->bytes + pf->head, pf->head_len);
    q += pf->head_len;
    for (uint32_t j = 0; j < pf->n_ser; j++) {
        if (n_ok != pf->n_ser) {
            const struct brrt_snap_family *g = &snaps[ser[j].snap]->families[ser[j].fam];
            if (g->type == BRRT_SHM_COUNTER && !(c->val[j] >= 0))
                continue;
        }
        if (ser[j].len <= PBF_COPY)
            memcpy(q, c->bytes + ser[j].off, PBF_COPY);
        else
            memcpy(q, c->bytes + ser[j].off, ser[j].len);
        q = pbw_double(q + ser[j].len, c->val[j]);
    }
    memcpy(q, c->bytes + pf->tail, pf->tail_len);
    q += pf->tail_len;
    b->len = (size_t)((char *)q - b->data);
    b->data[b->len] = '\0';
}

/* A histogram family: each Metric's body written into scratch (its length leads it), the
 * family's own length into a gap left before it, sized as last time (moved when it differs). */
static void hist_family(struct pb_cache *c, struct brrt_buf *b, struct pbf_family *pf,
                        const struct brrt_snapshot *const *snaps)
{
    const struct pbf_series *ser = c->ser + pf->ser0;
    size_t gap = pf->last_vlen, pos = b->len;
    if (!brrt_buf_reserve(b, gap + pf->head_len))
        return;
    b->len += gap;
    memcpy(b->data + b->len, c->bytes + pf->head, pf->head_len);
    b->len += pf->head_len;
    for (uint32_t j = 0; j < pf->n_ser; j++) {
        const struct brrt_snapshot *snap = snaps[ser[j].snap];
        const struct brrt_snap_family *g = &snap->families[ser[j].fam];
        const struct brrt_snap_series *s = &snap->series[ser[j].idx];
        /* scratch: the body (<= 56 + 21 n_le + 25 n_fine bytes), then the deltas (11 n_fine) */
        uint8_t *d = c->scratch + 64 + (size_t)g->n_le * 21 + (size_t)g->n_fine * 25;
        size_t hlen = (size_t)(hist_body(c->scratch, d, g, s) - c->scratch);
        size_t mlen = ser[j].len + 1 + pbw_vlen(hlen) + hlen;
        if (!brrt_buf_reserve(b, 1 + 10 + mlen))
            return;
        uint8_t *q = (uint8_t *)b->data + b->len;
        *q++ = 0x22;
        q = pbw_varint(q, mlen);
        memcpy(q, c->bytes + ser[j].off, ser[j].len);
        q += ser[j].len;
        *q++ = 0x3a;
        q = pbw_varint(q, hlen);
        memcpy(q, c->scratch, hlen);
        b->len = (size_t)((char *)q - b->data) + hlen;
    }
    brrt_buf_add(b, (const char *)c->bytes + pf->tail, pf->tail_len);
    if (b->failed)
        return;
    size_t body = b->len - pos - gap, vl = pbw_vlen(body);
    if (vl != gap) {
        if (vl > gap && !brrt_buf_reserve(b, vl - gap))
            return;
        memmove(b->data + pos + vl, b->data + pos + gap, body);
        pf->last_vlen = vl;
    }
    pbw_varint((uint8_t *)b->data + pos, body);
    b->len = pos + vl + body;
    b->data[b->len] = '\0';
}

void pb_render_cached(struct pb_cache *c, struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                      const char *const *label_values, uint32_t n, const struct brrt_prom_opts *o)
{
    struct brrt_prom_opts none = {0};
    o = o ? o : &none;
    if (!c || o->filter) {
        pb_render_snapshots(b, snaps, label_values, n, o);
        return;
    }
    struct brrt_expo_plan own;
    const struct brrt_expo_plan *plan;
    if (brrt_expo_plan_get(&own, snaps, n, o, &plan) != 0) {
        b->failed = true;
        return;
    }
    const char *extra_name = label_values ? o->extra_label_name : NULL;
    if (!same_key(c, snaps, label_values, n, plan, extra_name)) {
        if (remember_key(c, snaps, label_values, n, plan, extra_name) ||
            build(c, snaps, label_values, plan, extra_name)) {
            forget_key(c); /* out of memory: nothing rendered, the buffer says so */
            b->failed = true;
            if (plan == &own)
                brrt_expo_plan_free(&own);
            return;
        }
        c->valid = true;
        c->builds++;
    }
    for (uint32_t i = 0; i < c->n_fam && !b->failed; i++) {
        struct pbf_family *pf = &c->fam[i];
        const struct brrt_expo_item *it = &plan->items[pf->item0];
        if (snaps[it->snap]->families[it->fam].type == BRRT_SHM_HISTOGRAM)
            hist_family(c, b, pf, snaps);
        else
            scalar_family(c, b, pf, snaps, o);
    }
    if (plan == &own)
        brrt_expo_plan_free(&own);
}
