/* Prometheus text exposition 0.0.4 and OpenMetrics 1.0 from a snapshot. */
#include "expo_plan.h"
#include "reader_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The exposed family name and the suffix its plain samples carry. A counter's samples are
 * always NAME_total (NAME without _total, then _total: what OpenMetrics requires and what
 * Prometheus' own clients write in both formats, so one metric has one name whatever the
 * format). OpenMetrics names the family without _total; the text format with it. */
static const char *family_name(const struct brrt_snap_family *f, bool om, char *buf, size_t n)
{
    snprintf(buf, n, "%s", f->name);
    if (f->type == BRRT_SHM_COUNTER) {
        if (ends_with(buf, "_total"))
            buf[strlen(buf) - 6] = '\0';
        if (!om)
            snprintf(buf + strlen(buf), n - strlen(buf), "_total");
        return om ? "_total" : "";
    }
    return "";
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

#define SUFFIX(s) s, sizeof s - 1

static void series_of(struct brrt_buf *b, struct brrt_buf *scratch, const struct brrt_snapshot *snap,
                      const struct brrt_snap_family *f, const struct line_ctx *c,
                      const char *total_suffix, bool om, uint32_t *dropped)
{
    bool hist = f->type == BRRT_SHM_HISTOGRAM;
    if (!(snap->what & (hist ? BRRT_SNAP_HIST_TEXT : BRRT_SNAP_SCALARS)))
        return; /* not read: never print values the snapshot does not have */
    char created[BRRT_FMT_DOUBLE_MAX] = "";
    size_t created_len = 0;
    if (om && f->type != BRRT_SHM_GAUGE) /* counters reset when the writer starts */
        created_len = brrt_fmt_double(created, sizeof created, (double)snap->info.start_realtime_ns / 1e9);
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
        if (!brrt_expo_series_ok(f, s)) {
            if (dropped) /* a sampled counter gone negative or NaN: no valid counter sample */
                (*dropped)++;
            continue;
        }
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
            p = line_head(p, c, total_suffix, total_len, labels, labels_len, false);
            p += scalar_value(p, f, s);
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

void brrt_render_prometheus_n(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                              const char *const *label_values, uint32_t n,
                              const struct brrt_prom_opts *opts)
{
    struct brrt_prom_opts none = {0};
    const struct brrt_prom_opts *o = opts ? opts : &none;
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    const char *extra_name = label_values ? o->extra_label_name : NULL;
    struct brrt_buf extras = {0}, scratch = {0};
    size_t *extra_off = extra_pieces(&extras, extra_name, label_values, n);
    if (!extra_off) {
        b->failed = true;
        brrt_buf_free(&extras);
        return;
    }
    char fam[256];
    const char *suffix = "";
    /* Each family is rendered where it first appears, together with the same-named families
     * of the later snapshots; families that would make the exposition invalid are left out. */
    struct expo_plan own = {0};
    const struct expo_plan *plan;
    if (expo_plan_get(&own, snaps, n, o, &plan) != 0) {
        expo_plan_free(&own);
        b->failed = true;
        free(extra_off);
        brrt_buf_free(&extras);
        return;
    }
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct expo_item *it = &plan->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        if (it->head) {
            suffix = family_name(f, om, fam, sizeof fam);
            header(b, f, fam, om);
        }
        uint32_t i = it->snap;
        struct line_ctx c = {fam, strlen(fam), extras.data ? extras.data + extra_off[i] : "",
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
