/* Prometheus text exposition 0.0.4 and OpenMetrics 1.0 from a snapshot. */
#include "reader_internal.h"
#include "render_text.h"

#include <stdlib.h>
#include <string.h>

void rp_header(struct brrt_buf *b, const struct brrt_snap_family *f, const char *fam, bool om)
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
size_t rp_scalar_at(char *out, const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
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
bool rp_has_values(const struct brrt_snapshot *snap, const struct brrt_snap_family *f)
{
    uint32_t need = f->type == BRRT_SHM_HISTOGRAM ? BRRT_SNAP_HIST_TEXT : BRRT_SNAP_SCALARS | BRRT_SNAP_RAW;
    return (snap->what & need) != 0;
}

/* A counter's _created value in OpenMetrics (counters reset when the writer starts), or "". */
size_t rp_created_text(char *out, const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                           bool om)
{
    out[0] = '\0';
    if (!om || f->type == BRRT_SHM_GAUGE)
        return 0;
    return brrt_fmt_double(out, BRRT_FMT_DOUBLE_MAX, (double)snap->info.start_realtime_ns / 1e9);
}



void rp_le_pieces(const struct brrt_snap_family *f, struct le_pieces *lp)
{
    lp->max = 0;
    for (uint32_t k = 0; k <= f->n_le && k <= BRRT_SHM_MAX_LE; k++) {
        size_t n = strlen(f->le_text[k]); /* < BRRT_FMT_DOUBLE_MAX */
        memcpy(put(lp->piece[k], f->le_text[k], n), "\"} ", 3);
        lp->len[k] = (uint8_t)(n + 3);
        lp->max = lp->len[k] > lp->max ? lp->len[k] : lp->max;
    }
}


static void series_of(struct brrt_buf *b, struct brrt_buf *scratch, const struct brrt_snapshot *snap,
                      const struct brrt_snap_family *f, const struct line_ctx *c,
                      const char *total_suffix, bool om, uint32_t *dropped)
{
    bool hist = f->type == BRRT_SHM_HISTOGRAM;
    if (!rp_has_values(snap, f))
        return;
    char created[BRRT_FMT_DOUBLE_MAX];
    size_t created_len = rp_created_text(created, snap, f, om);
    size_t total_len = strlen(total_suffix);
    uint32_t lines = 1 + (created_len > 0);
    struct le_pieces lp;
    lp.max = 0;
    if (hist) {
        lines += f->n_le + 2;
        rp_le_pieces(f, &lp);
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
        size_t max_line = c->name_len + 8 + c->extra_len + labels_len + lp.max + 12 + BRRT_FMT_DOUBLE_MAX +
                          sizeof lp.piece[0]; /* the last: the fixed-size copy of a le piece */
        if (!brrt_buf_reserve(b, lines * max_line))
            return;
        char *p = b->data + b->len;
        if (!hist) {
            char *line = p;
            p = line_head(p, c, total_suffix, total_len, labels, labels_len, false);
            bool ok;
            p += rp_scalar_at(p, snap, f, f->first_series + i, &ok);
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
                memcpy(p, lp.piece[k], sizeof lp.piece[k]);
                p += lp.len[k];
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
size_t *rp_extra_pieces(struct brrt_buf *e, const char *name, const char *const *values, uint32_t n)
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

const char *rp_clashing_label(const struct brrt_snap_family *f, const char *extra_name)
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
    /* Each family is rendered where it first appears, together with the same-named families
     * of the later snapshots; families that would make the exposition invalid are left out. */
    struct brrt_expo_plan own = {0};
    const struct brrt_expo_plan *plan;
    if (expo_plan_get(&own, snaps, n, o, &plan) != 0) {
        expo_plan_free(&own);
        b->failed = true;
        return;
    }
    struct prom_text **slot = plan != &own ? expo_plan_text(o->cache) : NULL;
    if (slot && rp_render_cached(b, slot, plan, snaps, label_values, n, extra_name, o))
        return;
    struct brrt_buf extras = {0}, scratch = {0};
    size_t *extra_off = rp_extra_pieces(&extras, extra_name, label_values, n);
    if (!extra_off) {
        b->failed = true;
        brrt_buf_free(&extras);
        expo_plan_free(&own);
        return;
    }
    char fam[BRRT_EXPO_FAMILY_MAX];
    size_t fam_len = 0;
    const char *suffix = "";
    for (uint32_t k = 0; k < plan->n; k++) {
        const struct brrt_expo_item *it = &plan->items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        if (it->head) {
            suffix = brrt_expo_family_name(f->name, f->type == BRRT_SHM_COUNTER, om, fam, &fam_len);
            rp_header(b, f, fam, om);
        }
        uint32_t i = it->snap;
        struct line_ctx c = {fam, fam_len, extras.data ? extras.data + extra_off[i] : "",
                             extra_off[i + 1] - extra_off[i], rp_clashing_label(f, extra_name)};
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
