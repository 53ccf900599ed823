/* The text a brrt_prom_cache keeps between renders (render_text.h).
 * With a brrt_prom_cache, everything of an exposition that only depends on the families and
 * series listed (snapshot layouts), the flavor and the extra label is built once: each group's
 * HELP/TYPE lines and exposed name, each snapshot's extra label, and every series' line heads
 * (`name{extra,labels} `; a histogram's `name_bucket{extra,labels,le="`, _sum, _count). A
 * scrape then copies a head and formats one value per line. Valid while the plan is
 * (expo_plan_get empties it with the plan) and the layouts, flavor and extra label are the same;
 * else rebuilt. */
#include "reader_internal.h"
#include "render_text.h"

#include "brrtstat/fmt_words.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
/* A head copy reads and writes up to this many bytes past the head (into slack the buffers
 * keep): whole 16-byte moves, no copy of a variable length. */
#define HEAD_SLACK 64
#define COUNT_WORDS_MAX 1000000000000000ull /* brrt_fmt_words' limit, 10^15 */
/* Whole bucket heads (le included) are kept for histogram families while the cache holds at
 * most this many of them; later families keep one bucket head per series and add the `le`
 * piece per line. Whole heads save that copy per line but cost about the exposition's size:
 * 1,000 series of 30 buckets would keep ~3 MB per text flavor (the exporter's 32Mi sidecar). */
#define WHOLE_BUCKET_HEADS_MAX 8192u

struct prom_item_text {
    uint32_t name, name_len;     /* the group's exposed name: text offsets */
    uint32_t header, header_len; /* a group head's HELP/TYPE(/UNIT) lines, else empty */
    uint32_t extra, extra_len;   /* its snapshot's extra label piece */
    const char *suffix;          /* its samples' suffix (a counter's _total in OpenMetrics), a literal */
    /* The series' line heads (text_heads): counters and gauges hoff[heads + j] ..
     * hoff[heads + j + 1]; histograms hist_stride() per series from hoff[heads + stride * j]:
     * with `whole`, each bucket's whole head (up to the value), else one bucket head up to
     * `le="`; then _sum, _count (and OpenMetrics' _created). */
    uint32_t heads;
    bool hist, whole;
    uint32_t created; /* OpenMetrics counters: their _created heads the same way, else NONE */
};

struct prom_text {
    bool om;
    uint32_t n_snaps, n_items;
    uint64_t *layout;      /* per snapshot */
    struct brrt_buf ident; /* the extra label name, then each snapshot's value, NUL-separated */
    struct brrt_buf text;  /* names, headers, extra labels */
    struct brrt_buf lines; /* the line heads */
    uint32_t *hoff;
    uint32_t n_hoff, cap_hoff;
    struct prom_item_text *items;
};

void prom_text_free(struct prom_text *t)
{
    if (!t)
        return;
    free(t->layout);
    brrt_buf_free(&t->ident);
    brrt_buf_free(&t->text);
    brrt_buf_free(&t->lines);
    free(t->hoff);
    free(t->items);
    free(t);
}

/* Compares the next NUL-terminated piece of the ident at *pos with `s`. */
static bool ident_next(const struct brrt_buf *id, size_t *pos, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*pos + n > id->len || memcmp(id->data + *pos, s, n) != 0)
        return false;
    *pos += n;
    return true;
}

static bool text_fits(const struct prom_text *t, const struct brrt_expo_plan *plan, const struct brrt_snapshot *const *snaps,
                      uint32_t n, const char *extra_name, const char *const *values, bool om)
{
    if (t->om != om || t->n_snaps != n || t->n_items != plan->n)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (snaps[i]->layout != t->layout[i] || !snaps[i]->layout)
            return false;
    size_t pos = 0;
    if (!ident_next(&t->ident, &pos, extra_name ? extra_name : ""))
        return false;
    for (uint32_t i = 0; extra_name && i < n; i++)
        if (!ident_next(&t->ident, &pos, values[i]))
            return false;
    return pos == t->ident.len;
}

static bool hoff_push(struct prom_text *t, size_t off)
{
    if (off > UINT32_MAX)
        return false;
    if (t->n_hoff == t->cap_hoff) {
        uint32_t cap = t->cap_hoff ? t->cap_hoff * 2 : 256;
        uint32_t *p = realloc(t->hoff, cap * sizeof *p);
        if (!p)
            return false;
        t->hoff = p;
        t->cap_hoff = cap;
    }
    t->hoff[t->n_hoff++] = (uint32_t)off;
    return true;
}

/* Appends one line head to t->lines and its offset to t->hoff. */
static bool push_head(struct prom_text *t, const struct line_ctx *c, const char *suffix, size_t suffix_len,
                      const char *labels, size_t labels_len, bool le)
{
    if (!hoff_push(t, t->lines.len) ||
        !brrt_buf_reserve(&t->lines, c->name_len + suffix_len + c->extra_len + labels_len + 16))
        return false;
    char *p = line_head(t->lines.data + t->lines.len, c, suffix, suffix_len, labels, labels_len, le);
    t->lines.len = (size_t)(p - t->lines.data);
    return true;
}

/* Gives back a kept buffer's unused capacity beyond `slack` (it grew by doubling). */
static void fit_buf(struct brrt_buf *b, size_t slack)
{
    size_t cap = b->len + slack + 1;
    if (b->failed || cap >= b->cap)
        return;
    char *p = realloc(b->data, cap);
    if (p) { /* else keep the larger block */
        b->data = p;
        b->cap = cap;
    }
}

/* A histogram's line heads per series: one per bucket (n_le + 1) or, without whole heads, one
 * for all buckets; then _sum, _count and, in OpenMetrics, _created. */
static uint32_t hist_stride(const struct brrt_snap_family *f, bool whole, bool om)
{
    return (whole ? f->n_le + 1 : 1) + 2 + om;
}

/* Appends a bucket's whole line head, `name_bucket{extra,labels,le="BOUND"} `. */
static bool push_bucket_head(struct prom_text *t, const struct line_ctx *c, const char *labels, size_t labels_len,
                             const char *le)
{
    size_t le_len = strlen(le);
    if (!push_head(t, c, SUFFIX("_bucket"), labels, labels_len, true) ||
        !brrt_buf_reserve(&t->lines, le_len + 3))
        return false;
    char *p = put(t->lines.data + t->lines.len, le, le_len);
    p = put(p, "\"} ", 3);
    t->lines.len = (size_t)(p - t->lines.data);
    return true;
}

/* Every series' line heads of a family into t->lines, their offsets into t->hoff (`stride`
 * per series, then the end): a counter's or gauge's value line, or its _created line (with
 * suffix "_created"); a histogram's bucket lines (each up to its value), _sum, _count and, in
 * OpenMetrics, _created. Returns the index of the first, or NONE when out of memory. */
static uint32_t text_heads(struct prom_text *t, struct brrt_buf *scratch, const struct brrt_snapshot *snap,
                           const struct brrt_snap_family *f, const struct line_ctx *c, const char *suffix,
                           bool whole)
{
    uint32_t first = t->n_hoff;
    size_t suffix_len = strlen(suffix);
    bool hist = f->type == BRRT_SHM_HISTOGRAM;
    for (uint32_t j = 0; j < f->n_series; j++) {
        const struct brrt_snap_series *s = &snap->series[f->first_series + j];
        const char *labels = s->labels_text;
        size_t labels_len = s->labels_text_len;
        if (c->clash) {
            brrt_buf_reset(scratch);
            rd_labels_text(scratch, f, s->label_values, c->clash);
            labels = scratch->failed ? "" : scratch->data;
            labels_len = scratch->failed ? 0 : scratch->len;
        }
        bool ok = true;
        for (uint32_t k = 0; hist && whole && ok && k <= f->n_le; k++)
            ok = push_bucket_head(t, c, labels, labels_len, f->le_text[k]);
        if (hist && !whole)
            ok = push_head(t, c, SUFFIX("_bucket"), labels, labels_len, true);
        if (hist)
            ok = ok && push_head(t, c, SUFFIX("_sum"), labels, labels_len, false) &&
                 push_head(t, c, SUFFIX("_count"), labels, labels_len, false) &&
                 (!t->om || push_head(t, c, SUFFIX("_created"), labels, labels_len, false));
        else
            ok = push_head(t, c, suffix, suffix_len, labels, labels_len, false);
        if (!ok)
            return NONE;
    }
    return hoff_push(t, t->lines.len) ? first : NONE;
}

static struct prom_text *text_build(const struct brrt_expo_plan *plan, const struct brrt_snapshot *const *snaps,
                                    uint32_t n, const char *extra_name, const char *const *values, bool om)
{
    struct prom_text *t = calloc(1, sizeof *t);
    size_t *extra_off = malloc((n + 1) * sizeof *extra_off);
    struct brrt_buf scratch = {0};
    bool ok = t && extra_off && (t->layout = malloc((n + 1) * sizeof *t->layout)) &&
              (t->items = calloc(plan->n + 1, sizeof *t->items));
    if (!ok)
        goto fail;
    t->om = om;
    t->n_snaps = n;
    t->n_items = plan->n;
    brrt_buf_add(&t->ident, extra_name ? extra_name : "", extra_name ? strlen(extra_name) + 1 : 1);
    for (uint32_t i = 0; i < n; i++) {
        t->layout[i] = snaps[i]->layout;
        if (extra_name)
            brrt_buf_add(&t->ident, values[i], strlen(values[i]) + 1);
    }
    free(extra_off);
    extra_off = rp_extra_pieces(&t->text, extra_name, values, n);
    if (!extra_off)
        goto fail;
    struct prom_item_text cur = {0};
    uint64_t whole_left = WHOLE_BUCKET_HEADS_MAX;
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct brrt_expo_item *it = &plan->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        if (it->head) {
            char fam[BRRT_EXPO_FAMILY_MAX];
            size_t fam_len;
            cur.suffix = brrt_expo_family_name(f->name, f->type == BRRT_SHM_COUNTER, om, fam, &fam_len);
            cur.name = (uint32_t)t->text.len;
            cur.name_len = (uint32_t)fam_len;
            brrt_buf_add(&t->text, fam, fam_len);
            cur.header = (uint32_t)t->text.len;
            rp_header(&t->text, f, fam, om);
            cur.header_len = (uint32_t)(t->text.len - cur.header);
        }
        struct prom_item_text *ti = &t->items[k];
        *ti = cur;
        if (!it->head)
            ti->header_len = 0;
        ti->extra = (uint32_t)extra_off[it->snap];
        ti->extra_len = (uint32_t)(extra_off[it->snap + 1] - extra_off[it->snap]);
        ti->heads = ti->created = NONE;
        if (t->text.failed || t->text.len > UINT32_MAX)
            goto fail;
        struct line_ctx c = {t->text.data + ti->name, ti->name_len, t->text.data + ti->extra, ti->extra_len,
                             rp_clashing_label(f, extra_name)};
        uint64_t bucket_heads = (uint64_t)f->n_series * (f->n_le + 1u);
        ti->hist = f->type == BRRT_SHM_HISTOGRAM;
        ti->whole = ti->hist && whole_left >= bucket_heads;
        if (ti->whole)
            whole_left -= bucket_heads;
        if ((ti->heads = text_heads(t, &scratch, snaps[it->snap], f, &c, ti->suffix, ti->whole)) == NONE)
            goto fail;
        if (om && f->type == BRRT_SHM_COUNTER && /* its _created lines */
            (ti->created = text_heads(t, &scratch, snaps[it->snap], f, &c, "_created", false)) == NONE)
            goto fail;
    }
    if (!brrt_buf_reserve(&t->lines, HEAD_SLACK) || t->text.failed || t->ident.failed || scratch.failed)
        goto fail; /* the reserve: heads are copied in chunks, reading past the last one */
    fit_buf(&t->lines, HEAD_SLACK); /* kept for the layout's life: no room to grow */
    free(extra_off);
    brrt_buf_free(&scratch);
    return t;
fail:
    free(extra_off);
    brrt_buf_free(&scratch);
    prom_text_free(t);
    return NULL;
}

/* Copies a cached head: 64 bytes in four moves (most heads are shorter), then 32 per step; the
 * bytes past `len` are overwritten by the value. */
static inline char *copy_head(char *p, const char *src, uint32_t len)
{
    memcpy(p, src, 16);
    memcpy(p + 16, src + 16, 16);
    memcpy(p + 32, src + 32, 16);
    memcpy(p + 48, src + 48, 16);
    for (uint32_t k = 64; k < len; k += 32) {
        memcpy(p + k, src + k, 16);
        memcpy(p + k + 16, src + k + 16, 16);
    }
    return p + len;
}

/* The lines of a counter or gauge family of `snap` from cached heads. */
static void scalars_cached(struct brrt_buf *b, const struct prom_text *t, const struct prom_item_text *ti,
                           const struct brrt_snapshot *snap, const struct brrt_snap_family *f, uint32_t *dropped)
{
    if (!rp_has_values(snap, f))
        return;
    const uint32_t *h = t->hoff + ti->heads, *ch = ti->created != NONE ? t->hoff + ti->created : NULL;
    char created[BRRT_FMT_DOUBLE_MAX];
    size_t created_len = rp_created_text(created, snap, f, t->om);
    size_t line_max = HEAD_SLACK + BRRT_FMT_DOUBLE_MAX + 1;
    size_t need = (size_t)(h[f->n_series] - h[0]) + f->n_series * line_max;
    if (ch)
        need += (size_t)(ch[f->n_series] - ch[0]) + f->n_series * (HEAD_SLACK + created_len + 1);
    if (!brrt_buf_reserve(b, need))
        return;
    const char *text = t->lines.data;
    char *p = b->data + b->len;
    /* The common counter: the raw sum is the exact value, never negative (what scalar_at gives
     * for it, without the double and the check). */
    if (snap->raw && f->storage == BRRT_SHM_SHARDED_U64 && f->scale == 1.0 && !ch) {
        const uint64_t *raw = snap->raw + f->first_series;
        for (uint32_t j = 0; j < f->n_series; j++) {
            p = copy_head(p, text + h[j], h[j + 1] - h[j]);
            p += brrt_fmt_u64(p, raw[j]);
            *p++ = '\n';
        }
        *p = '\0';
        b->len = (size_t)(p - b->data);
        return;
    }
    for (uint32_t j = 0; j < f->n_series; j++) {
        char *line = p;
        p = copy_head(p, text + h[j], h[j + 1] - h[j]);
        bool ok;
        p += rp_scalar_at(p, snap, f, f->first_series + j, &ok);
        if (!ok) { /* a sampled counter gone negative or NaN: no valid counter sample */
            if (dropped)
                (*dropped)++;
            p = line;
            continue;
        }
        *p++ = '\n';
        if (ch) {
            p = copy_head(p, text + ch[j], ch[j + 1] - ch[j]);
            p = put(p, created, created_len);
            *p++ = '\n';
        }
    }
    *p = '\0';
    b->len = (size_t)(p - b->data);
}

void rp_text_hist_heads(const struct prom_text *t, uint32_t *whole, uint32_t *le)
{
    *whole = *le = 0;
    for (uint32_t k = 0; t && k < t->n_items; k++)
        if (t->items[k].hist)
            ++*(t->items[k].whole ? whole : le);
}

/* A series' _sum, _count (and OpenMetrics' _created) lines from its heads h[0..om + 2]. */
static char *hist_tail(char *p, const char *text, const uint32_t *h, const struct brrt_snap_series *s,
                       const char *created, size_t created_len, bool om)
{
    p = copy_head(p, text + h[0], h[1] - h[0]);
    p += brrt_fmt_double(p, BRRT_FMT_DOUBLE_MAX, s->sum);
    *p++ = '\n';
    p = copy_head(p, text + h[1], h[2] - h[1]);
    p += brrt_fmt_u64(p, s->count);
    *p++ = '\n';
    if (om) {
        p = copy_head(p, text + h[2], h[3] - h[2]);
        p = put(p, created, created_len);
        *p++ = '\n';
    }
    return p;
}

/* The lines of a histogram family of `snap` from one cached bucket head per series, the `le`
 * piece added per line (families past WHOLE_BUCKET_HEADS_MAX). */
static void hist_cached_le(struct brrt_buf *b, const struct prom_text *t, const struct prom_item_text *ti,
                           const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                           const char *created, size_t created_len)
{
    struct le_pieces lp;
    rp_le_pieces(f, &lp);
    const uint32_t stride = hist_stride(f, false, t->om);
    const char *text = t->lines.data;
    for (uint32_t j = 0; j < f->n_series; j++) {
        const struct brrt_snap_series *s = &snap->series[f->first_series + j];
        const uint32_t *h = t->hoff + ti->heads + j * stride;
        /* Per line: a head, its copy's overrun, the le piece's fixed copy, a value, '\n'. */
        size_t max_line = (h[stride] - h[0]) + HEAD_SLACK + sizeof lp.piece[0] + BRRT_FMT_DOUBLE_MAX + 2;
        if (!brrt_buf_reserve(b, (f->n_le + 4) * max_line))
            return;
        char *p = b->data + b->len;
        uint32_t head_len = h[1] - h[0];
        uint64_t cum = 0;
        char num[24]; /* the cumulative count's digits, formatted only when it grows */
        size_t num_len = 0;
        _Static_assert(sizeof num <= BRRT_FMT_DOUBLE_MAX, "the fixed copy stays inside max_line");
        for (uint32_t k = 0; k <= f->n_le; k++) {
            p = copy_head(p, text + h[0], head_len);
            memcpy(p, lp.piece[k], sizeof lp.piece[k]); /* fixed size: see series_of */
            p += lp.len[k];
            if (k == 0 || s->le_counts[k]) {
                cum += s->le_counts[k];
                num_len = brrt_fmt_u64(num, cum);
            }
            memcpy(p, num, sizeof num); /* fixed size: max_line leaves BRRT_FMT_DOUBLE_MAX */
            p += num_len;
            *p++ = '\n';
        }
        p = hist_tail(p, text, h + 1, s, created, created_len, t->om);
        *p = '\0';
        b->len = (size_t)(p - b->data);
    }
}

/* The lines of a histogram family of `snap` from cached heads (as series_of writes them):
 * per bucket a head copy and the cumulative count, formatted only when it grew (most buckets
 * of a sparse histogram add nothing). */
static void hist_cached(struct brrt_buf *b, const struct prom_text *t, const struct prom_item_text *ti,
                        const struct brrt_snapshot *snap, const struct brrt_snap_family *f)
{
    if (!rp_has_values(snap, f))
        return;
    char created[BRRT_FMT_DOUBLE_MAX];
    size_t created_len = rp_created_text(created, snap, f, t->om);
    if (!ti->whole) {
        hist_cached_le(b, t, ti, snap, f, created, created_len);
        return;
    }
    const uint32_t stride = hist_stride(f, true, t->om), n_le = f->n_le;
    const uint32_t *h = t->hoff + ti->heads;
    const char *text = t->lines.data;
    char *p = b->data + b->len;
    for (uint32_t j = 0; j < f->n_series; j++, h += stride) {
        /* A series' lines: their heads, each line's value (a count's 16 bytes or 20 digits, the
         * sum and _created BRRT_FMT_DOUBLE_MAX) and newline, and one head copy's overrun past
         * the end. Reserved per series, not per family: a family of 1,000 series of 30
         * buckets would otherwise keep megabytes of slack in every kept body buffer. */
        size_t need = (size_t)(h[stride] - h[0]) + (size_t)stride * (BRRT_FMT_DOUBLE_MAX + 1) + HEAD_SLACK;
        b->len = (size_t)(p - b->data);
        if (!brrt_buf_reserve(b, need))
            return;
        p = b->data + b->len;
        const struct brrt_snap_series *s = &snap->series[f->first_series + j];
        const uint64_t *le = s->le_counts;
        uint64_t cum = le[0];
        /* The count and its newline, kept in two words (0: too long, formatted in place). */
        uint64_t w[2];
        unsigned wl = cum < COUNT_WORDS_MAX ? brrt_fmt_words(cum, '\n', w) : 0;
        _Static_assert(16 <= BRRT_FMT_DOUBLE_MAX, "the two words stay inside `need`");
        for (uint32_t k = 0; k <= n_le; k++) {
            p = copy_head(p, text + h[k], h[k + 1] - h[k]);
            if (k && le[k]) {
                cum += le[k];
                wl = cum < COUNT_WORDS_MAX ? brrt_fmt_words(cum, '\n', w) : 0;
            }
            if (wl) {
                memcpy(p, w, 16); /* fixed size: the bytes past wl are overwritten */
                p += wl;
            } else {
                p += brrt_fmt_u64(p, cum);
                *p++ = '\n';
            }
        }
        p = hist_tail(p, text, h + n_le + 1, s, created, created_len, t->om);
    }
    *p = '\0';
    b->len = (size_t)(p - b->data);
}

/* Renders with the cached text (built now when missing or stale): false when it cannot be had. */
bool rp_render_cached(struct brrt_buf *b, struct prom_text **slot, const struct brrt_expo_plan *plan,
                          const struct brrt_snapshot *const *snaps, const char *const *values, uint32_t n,
                          const char *extra_name, const struct brrt_prom_opts *o)
{
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    if (!*slot || !text_fits(*slot, plan, snaps, n, extra_name, values, om)) {
        prom_text_free(*slot);
        *slot = text_build(plan, snaps, n, extra_name, values, om);
        if (!*slot)
            return false;
    }
    const struct prom_text *t = *slot;
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct brrt_expo_item *it = &plan->items[k];
        const struct prom_item_text *ti = &t->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        uint32_t *dropped = o->dropped ? &o->dropped[it->snap] : NULL;
        brrt_buf_add(b, t->text.data + ti->header, ti->header_len);
        if (f->type == BRRT_SHM_HISTOGRAM)
            hist_cached(b, t, ti, snaps[it->snap], f);
        else
            scalars_cached(b, t, ti, snaps[it->snap], f, dropped);
    }
    return true;
}
