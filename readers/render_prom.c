/* Prometheus text exposition 0.0.4 and OpenMetrics 1.0 from a snapshot. */
#include "expo_plan.h"
#include "reader_internal.h"

#include <stdlib.h>
#include <string.h>

/* The exposed family name (into buf[FAM_NAME_MAX], NUL-terminated; *len its length) and the
 * suffix its plain samples carry. A counter's samples are always NAME_total (NAME without
 * _total, then _total: what OpenMetrics requires and what Prometheus' own clients write in
 * both formats, so one metric has one name whatever the format). OpenMetrics names the family
 * without _total; the text format with it. Names longer than the buffer are cut (the segment
 * format keeps them far shorter). */
#define FAM_NAME_MAX 256
static const char *family_name(const struct brrt_snap_family *f, bool om, char *buf, size_t *len)
{
    size_t n = strlen(f->name);
    n = n < FAM_NAME_MAX - 1 ? n : FAM_NAME_MAX - 1;
    memcpy(buf, f->name, n);
    const char *suffix = "";
    if (f->type == BRRT_SHM_COUNTER) {
        if (n >= 6 && memcmp(buf + n - 6, "_total", 6) == 0)
            n -= 6;
        if (!om && n + 6 < FAM_NAME_MAX) {
            memcpy(buf + n, "_total", 6);
            n += 6;
        }
        suffix = om ? "_total" : "";
    }
    buf[n] = '\0';
    *len = n;
    return suffix;
}

static void header(struct brrt_buf *b, const struct brrt_snap_family *f, const char *fam, bool om)
{
    size_t fam_len = strlen(fam);
    brrt_buf_add(b, "# HELP ", 7);
    brrt_buf_add(b, fam, fam_len);
    brrt_buf_add(b, " ", 1);
    brrt_buf_escaped(b, f->help, om);
    brrt_buf_add(b, "\n# TYPE ", 8);
    brrt_buf_add(b, fam, fam_len);
    brrt_buf_add(b, " ", 1);
    brrt_buf_puts(b, brrt_snap_type_name(f->type));
    brrt_buf_add(b, "\n", 1);
    size_t unit_len = strlen(f->unit);
    /* OpenMetrics: a UNIT only where the family name ends in _UNIT (the whole unit, however
     * long: a cut one could match and make an invalid UNIT line). */
    if (om && unit_len && fam_len > unit_len + 1 && fam[fam_len - unit_len - 1] == '_' &&
        strcmp(fam + fam_len - unit_len, f->unit) == 0) {
        brrt_buf_add(b, "# UNIT ", 7);
        brrt_buf_add(b, fam, fam_len);
        brrt_buf_add(b, " ", 1);
        brrt_buf_add(b, f->unit, unit_len);
        brrt_buf_add(b, "\n", 1);
    }
}

/* What every line of one family of one snapshot starts with. */
struct line_ctx {
    const char *name; /* the exposed family name */
    size_t name_len;
    const char *extra; /* `extra_label_name="value"`, or "" */
    size_t extra_len;
    const char *clash; /* the family's label that extra_label_name renames, or NULL */
};

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* name suffix{extra,labels} and a space, the braces only when there is a label; with `le`,
 * stops after `,le="` instead (the caller goes on with the bound and `"} `). The caller
 * writes the value and the newline. */
static char *line_head(char *p, const struct line_ctx *c, const char *suffix, size_t suffix_len,
                       const char *labels, size_t labels_len, bool le)
{
    p = put(p, c->name, c->name_len);
    if (suffix_len)
        p = put(p, suffix, suffix_len);
    if (c->extra_len || labels_len || le) {
        char *open = p + 1;
        *p++ = '{';
        if (c->extra_len)
            p = put(p, c->extra, c->extra_len);
        if (labels_len) {
            if (p != open)
                *p++ = ',';
            p = put(p, labels, labels_len);
        }
        if (le) {
            if (p != open)
                *p++ = ',';
            return put(p, "le=\"", 4);
        }
        *p++ = '}';
    }
    *p++ = ' ';
    return p;
}

size_t brrt_fmt_exact(char *out, const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    if (f->storage == BRRT_SHM_SHARDED_U64 && f->scale == 1.0)
        return brrt_fmt_u64(out, s->u64); /* exact, also above 2^53 */
    if (f->storage == BRRT_SHM_SHARDED_I64 && f->scale == 1.0)
        return brrt_fmt_i64(out, s->i64);
    return 0;
}

static size_t scalar_value(char *out, const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    size_t n = brrt_fmt_exact(out, f, s);
    return n ? n : brrt_fmt_double(out, BRRT_FMT_DOUBLE_MAX, s->value);
}

/* The value of series `i` of a counter or gauge family into `out` (BRRT_FMT_DOUBLE_MAX bytes),
 * from snap->raw when the snapshot has it, else from the series; *ok: whether it can go out
 * (brrt_expo_series_ok). Returns its length. */
static size_t scalar_at(char *out, const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                        uint32_t i, bool *ok)
{
    const struct brrt_snap_series *s = &snap->series[i];
    struct brrt_snap_series raw_series;
    if (snap->raw) { /* the fields the value is formatted and checked from, as SCALARS fills them */
        uint64_t raw = snap->raw[i];
        raw_series.u64 = raw;
        raw_series.i64 = (int64_t)raw;
        raw_series.value = brrt_snap_raw_value(f, raw);
        s = &raw_series;
    }
    *ok = expo_series_ok(f, s);
    return scalar_value(out, f, s);
}

/* Whether the snapshot read this family's values (never print values it does not have). */
static bool has_values(const struct brrt_snapshot *snap, const struct brrt_snap_family *f)
{
    uint32_t need = f->type == BRRT_SHM_HISTOGRAM ? BRRT_SNAP_HIST_TEXT : BRRT_SNAP_SCALARS | BRRT_SNAP_RAW;
    return (snap->what & need) != 0;
}

/* A counter's _created value in OpenMetrics (counters reset when the writer starts), or "". */
static size_t created_text(char *out, const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                           bool om)
{
    out[0] = '\0';
    if (!om || f->type == BRRT_SHM_GAUGE)
        return 0;
    return brrt_fmt_double(out, BRRT_FMT_DOUBLE_MAX, (double)snap->info.start_realtime_ns / 1e9);
}

#define SUFFIX(s) s, sizeof s - 1

static void series_of(struct brrt_buf *b, struct brrt_buf *scratch, const struct brrt_snapshot *snap,
                      const struct brrt_snap_family *f, const struct line_ctx *c,
                      const char *total_suffix, bool om, uint32_t *dropped)
{
    bool hist = f->type == BRRT_SHM_HISTOGRAM;
    if (!has_values(snap, f))
        return;
    char created[BRRT_FMT_DOUBLE_MAX];
    size_t created_len = created_text(created, snap, f, om);
    size_t total_len = strlen(total_suffix), le_max = 0;
    uint32_t lines = 1 + (created_len > 0);
    /* Each bucket's `BOUND"} `, once per family and scrape. */
    char le_piece[BRRT_SHM_MAX_LE + 1][BRRT_FMT_DOUBLE_MAX + 4];
    uint8_t le_len[BRRT_SHM_MAX_LE + 1];
    if (hist) {
        lines += f->n_le + 2;
        for (uint32_t k = 0; k <= f->n_le && k <= BRRT_SHM_MAX_LE; k++) {
            size_t n = strlen(f->le_text[k]); /* < BRRT_FMT_DOUBLE_MAX */
            memcpy(put(le_piece[k], f->le_text[k], n), "\"} ", 3);
            le_len[k] = (uint8_t)(n + 3);
            le_max = le_len[k] > le_max ? le_len[k] : le_max;
        }
    }
    for (uint32_t i = 0; i < f->n_series; i++) {
        const struct brrt_snap_series *s = &snap->series[f->first_series + i];
        const char *labels = s->labels_text;
        size_t labels_len = s->labels_text_len;
        if (c->clash) { /* rare: the series' own label keeps its value under exported_NAME */
            brrt_buf_reset(scratch);
            rd_labels_text(scratch, f, s->label_values, c->clash);
            labels = scratch->failed ? "" : scratch->data;
            labels_len = scratch->failed ? 0 : scratch->len;
        }
        size_t max_line = c->name_len + 8 + c->extra_len + labels_len + le_max + 12 + BRRT_FMT_DOUBLE_MAX +
                          sizeof le_piece[0]; /* the last: the fixed-size copy of a le piece */
        if (!brrt_buf_reserve(b, lines * max_line))
            return;
        char *p = b->data + b->len;
        if (!hist) {
            char *line = p;
            p = line_head(p, c, total_suffix, total_len, labels, labels_len, false);
            bool ok;
            p += scalar_at(p, snap, f, f->first_series + i, &ok);
            if (!ok) { /* a sampled counter gone negative or NaN: no valid counter sample */
                if (dropped)
                    (*dropped)++;
                *line = '\0';
                continue;
            }
            *p++ = '\n';
        } else {
            /* The buckets' common start is written once, then copied from the first line. */
            char *first = p;
            p = line_head(p, c, SUFFIX("_bucket"), labels, labels_len, true);
            size_t head_len = (size_t)(p - first);
            uint64_t cum = 0;
            for (uint32_t k = 0; k <= f->n_le; k++) {
                if (k)
                    p = put(p, first, head_len);
                /* A fixed-size copy (a few vector moves; a variable one was inlined as a slow
                 * `rep movs`): the bytes past le_len are scratch, overwritten by the value. */
                memcpy(p, le_piece[k], sizeof le_piece[k]);
                p += le_len[k];
                cum += s->le_counts[k];
                p += brrt_fmt_u64(p, cum);
                *p++ = '\n';
            }
            p = line_head(p, c, SUFFIX("_sum"), labels, labels_len, false);
            p += brrt_fmt_double(p, BRRT_FMT_DOUBLE_MAX, s->sum);
            *p++ = '\n';
            p = line_head(p, c, SUFFIX("_count"), labels, labels_len, false);
            p += brrt_fmt_u64(p, s->count);
            *p++ = '\n';
        }
        if (created_len) {
            p = line_head(p, c, SUFFIX("_created"), labels, labels_len, false);
            p = put(p, created, created_len);
            *p++ = '\n';
        }
        *p = '\0';
        b->len = (size_t)(p - b->data);
    }
}

/* The label of an extra label: `name="escaped value"` for each snapshot, in one buffer. */
static size_t *extra_pieces(struct brrt_buf *e, const char *name, const char *const *values, uint32_t n)
{
    size_t *off = malloc((n + 1) * sizeof *off);
    for (uint32_t k = 0; off && k < n; k++) {
        off[k] = e->len;
        if (name && values) {
            brrt_buf_puts(e, name);
            brrt_buf_add(e, "=\"", 2);
            brrt_buf_escaped(e, values[k], true);
            brrt_buf_add(e, "\"", 1);
        }
    }
    if (off)
        off[n] = e->len;
    if (!off || e->failed) {
        free(off);
        return NULL;
    }
    return off;
}

static const char *clashing_label(const struct brrt_snap_family *f, const char *extra_name)
{
    for (uint32_t i = 0; extra_name && i < f->nlabels; i++)
        if (strcmp(f->label_names[i], extra_name) == 0)
            return f->label_names[i];
    return NULL;
}

/* ---- the text a cache keeps between renders ---------------------------------------------
 * With a brrt_prom_cache, everything of an exposition that only depends on the families and
 * series listed (snapshot layouts), the flavor and the extra label is built once: each group's
 * HELP/TYPE lines and exposed name, each snapshot's extra label, and for counters and gauges
 * every series' line head (`name{extra,labels} `). A scrape then copies a head and formats one
 * value per counter line. Valid while the plan is (expo_plan_get empties it with the plan) and
 * the layouts, flavor and extra label are the same; else rebuilt. */

#define NONE UINT32_MAX
#define HEAD_CHUNK 16 /* heads are copied in chunks of this size (overrunning into slack) */

struct prom_item_text {
    uint32_t name, name_len;     /* the group's exposed name: text offsets */
    uint32_t header, header_len; /* a group head's HELP/TYPE(/UNIT) lines, else empty */
    uint32_t extra, extra_len;   /* its snapshot's extra label piece */
    const char *suffix;          /* its samples' suffix (a counter's _total in OpenMetrics), a literal */
    uint32_t heads;   /* counters, gauges: hoff[heads + j] .. hoff[heads + j + 1] = series j's head */
    uint32_t created; /* OpenMetrics counters: the same for the _created lines, else NONE */
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

static bool text_fits(const struct prom_text *t, const struct expo_plan *plan, const struct brrt_snapshot *const *snaps,
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

/* Every series' line head of a counter or gauge family into t->lines, their offsets into
 * t->hoff (one more than series): returns the index of the first, or NONE when out of memory. */
static uint32_t text_heads(struct prom_text *t, struct brrt_buf *scratch, const struct brrt_snapshot *snap,
                           const struct brrt_snap_family *f, const struct line_ctx *c, const char *suffix)
{
    uint32_t first = t->n_hoff;
    size_t suffix_len = strlen(suffix);
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
        if (!hoff_push(t, t->lines.len) ||
            !brrt_buf_reserve(&t->lines, c->name_len + suffix_len + c->extra_len + labels_len + 8))
            return NONE;
        char *p = line_head(t->lines.data + t->lines.len, c, suffix, suffix_len, labels, labels_len, false);
        t->lines.len = (size_t)(p - t->lines.data);
    }
    return hoff_push(t, t->lines.len) ? first : NONE;
}

static struct prom_text *text_build(const struct expo_plan *plan, const struct brrt_snapshot *const *snaps,
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
    extra_off = extra_pieces(&t->text, extra_name, values, n);
    if (!extra_off)
        goto fail;
    struct prom_item_text cur = {0};
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct expo_item *it = &plan->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        if (it->head) {
            char fam[FAM_NAME_MAX];
            size_t fam_len;
            cur.suffix = family_name(f, om, fam, &fam_len);
            cur.name = (uint32_t)t->text.len;
            cur.name_len = (uint32_t)fam_len;
            brrt_buf_add(&t->text, fam, fam_len);
            cur.header = (uint32_t)t->text.len;
            header(&t->text, f, fam, om);
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
        if (f->type == BRRT_SHM_HISTOGRAM)
            continue;
        struct line_ctx c = {t->text.data + ti->name, ti->name_len, t->text.data + ti->extra, ti->extra_len,
                             clashing_label(f, extra_name)};
        if ((ti->heads = text_heads(t, &scratch, snaps[it->snap], f, &c, ti->suffix)) == NONE)
            goto fail;
        if (om && f->type == BRRT_SHM_COUNTER &&
            (ti->created = text_heads(t, &scratch, snaps[it->snap], f, &c, "_created")) == NONE)
            goto fail;
    }
    if (!brrt_buf_reserve(&t->lines, HEAD_CHUNK) || t->text.failed || t->ident.failed || scratch.failed)
        goto fail; /* the reserve: heads are copied in chunks, reading past the last one */
    free(extra_off);
    brrt_buf_free(&scratch);
    return t;
fail:
    free(extra_off);
    brrt_buf_free(&scratch);
    prom_text_free(t);
    return NULL;
}

/* Copies a cached head in whole chunks: the bytes past `len` are overwritten by the value. */
static char *copy_head(char *p, const char *src, uint32_t len)
{
    for (uint32_t k = 0; k < len; k += HEAD_CHUNK)
        memcpy(p + k, src + k, HEAD_CHUNK);
    return p + len;
}

/* The lines of a counter or gauge family of `snap` from cached heads. */
static void scalars_cached(struct brrt_buf *b, const struct prom_text *t, const struct prom_item_text *ti,
                           const struct brrt_snapshot *snap, const struct brrt_snap_family *f, uint32_t *dropped)
{
    if (!has_values(snap, f))
        return;
    const uint32_t *h = t->hoff + ti->heads, *ch = ti->created != NONE ? t->hoff + ti->created : NULL;
    char created[BRRT_FMT_DOUBLE_MAX];
    size_t created_len = created_text(created, snap, f, t->om);
    size_t line_max = HEAD_CHUNK + BRRT_FMT_DOUBLE_MAX + 1;
    size_t need = (size_t)(h[f->n_series] - h[0]) + f->n_series * line_max;
    if (ch)
        need += (size_t)(ch[f->n_series] - ch[0]) + f->n_series * (HEAD_CHUNK + created_len + 1);
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
        p += scalar_at(p, snap, f, f->first_series + j, &ok);
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

/* Renders with the cached text (built now when missing or stale): false when it cannot be had. */
static bool render_cached(struct brrt_buf *b, struct prom_text **slot, const struct expo_plan *plan,
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
    struct brrt_buf scratch = {0};
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct expo_item *it = &plan->items[k];
        const struct prom_item_text *ti = &t->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        uint32_t *dropped = o->dropped ? &o->dropped[it->snap] : NULL;
        brrt_buf_add(b, t->text.data + ti->header, ti->header_len);
        if (ti->heads != NONE) {
            scalars_cached(b, t, ti, snaps[it->snap], f, dropped);
            continue;
        }
        struct line_ctx c = {t->text.data + ti->name, ti->name_len, t->text.data + ti->extra, ti->extra_len,
                             clashing_label(f, extra_name)};
        series_of(b, &scratch, snaps[it->snap], f, &c, ti->suffix, om, dropped);
    }
    brrt_buf_free(&scratch);
    return true;
}

void brrt_render_prometheus_n(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                              const char *const *label_values, uint32_t n,
                              const struct brrt_prom_opts *opts)
{
    struct brrt_prom_opts none = {0};
    const struct brrt_prom_opts *o = opts ? opts : &none;
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    const char *extra_name = label_values ? o->extra_label_name : NULL;
    /* Each family is rendered where it first appears, together with the same-named families
     * of the later snapshots; families that would make the exposition invalid are left out. */
    struct expo_plan own = {0};
    const struct expo_plan *plan;
    if (expo_plan_get(&own, snaps, n, o, &plan) != 0) {
        expo_plan_free(&own);
        b->failed = true;
        return;
    }
    struct prom_text **slot = plan != &own ? expo_plan_text(o->cache) : NULL;
    if (slot && render_cached(b, slot, plan, snaps, label_values, n, extra_name, o))
        return;
    struct brrt_buf extras = {0}, scratch = {0};
    size_t *extra_off = extra_pieces(&extras, extra_name, label_values, n);
    if (!extra_off) {
        b->failed = true;
        brrt_buf_free(&extras);
        expo_plan_free(&own);
        return;
    }
    char fam[FAM_NAME_MAX];
    size_t fam_len = 0;
    const char *suffix = "";
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct expo_item *it = &plan->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        if (it->head) {
            suffix = family_name(f, om, fam, &fam_len);
            header(b, f, fam, om);
        }
        uint32_t i = it->snap;
        struct line_ctx c = {fam, fam_len, extras.data ? extras.data + extra_off[i] : "",
                             extra_off[i + 1] - extra_off[i], clashing_label(f, extra_name)};
        series_of(b, &scratch, snaps[i], f, &c, suffix, om, o->dropped ? &o->dropped[i] : NULL);
    }
    expo_plan_free(&own);
    free(extra_off);
    brrt_buf_free(&extras);
    brrt_buf_free(&scratch);
}

void brrt_render_prometheus(struct brrt_buf *b, const struct brrt_snapshot *s,
                            const struct brrt_prom_opts *opts)
{
    brrt_render_prometheus_n(b, &s, NULL, 1, opts);
}
