/* Prometheus text exposition 0.0.4 and OpenMetrics 1.0 from a snapshot. */
#include "brrtstat/render.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void label(struct brrt_buf *b, bool *first, const char *name, const char *value)
{
    brrt_buf_puts(b, *first ? "{" : ",");
    *first = false;
    brrt_buf_puts(b, name);
    brrt_buf_puts(b, "=\"");
    brrt_buf_escaped(b, value, true);
    brrt_buf_puts(b, "\"");
}

/* name{labels[,le="x"]} value */
static void sample(struct brrt_buf *b, const char *name, const char *suffix,
                   const struct brrt_snap_family *f, const struct brrt_snap_series *s,
                   const struct brrt_prom_opts *o, const char *extra, const char *le,
                   const char *value)
{
    bool first = true;
    brrt_buf_puts(b, name);
    brrt_buf_puts(b, suffix);
    if (o->extra_label_name && extra)
        label(b, &first, o->extra_label_name, extra);
    for (uint32_t i = 0; i < f->nlabels; i++) {
        const char *lname = f->label_names[i];
        char renamed[128];
        /* The extra label wins a clash; the series' own keeps its value under exported_NAME,
         * as Prometheus itself does with honor_labels: false. */
        if (o->extra_label_name && extra && strcmp(lname, o->extra_label_name) == 0) {
            snprintf(renamed, sizeof renamed, "exported_%s", lname);
            lname = renamed;
        }
        label(b, &first, lname, s->label_values[i]);
    }
    if (le)
        label(b, &first, "le", le);
    brrt_buf_puts(b, first ? " " : "} ");
    brrt_buf_puts(b, value);
    brrt_buf_puts(b, "\n");
}

static void scalar_value(char *out, size_t n, const struct brrt_snap_family *f,
                         const struct brrt_snap_series *s)
{
    if (f->storage == BRRT_SHM_SHARDED_U64 && f->scale == 1.0)
        snprintf(out, n, "%" PRIu64, s->u64); /* exact, also above 2^53 */
    else if (f->storage == BRRT_SHM_SHARDED_I64 && f->scale == 1.0)
        snprintf(out, n, "%" PRId64, s->i64);
    else
        brrt_fmt_double(out, n, s->value);
}

static const char *type_name(const struct brrt_snap_family *f)
{
    return f->type == BRRT_SHM_COUNTER ? "counter" : f->type == BRRT_SHM_HISTOGRAM ? "histogram" : "gauge";
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The exposed family name and the suffix its plain samples carry (OpenMetrics names a
 * counter family without _total; its samples have it). */
static const char *family_name(const struct brrt_snap_family *f, bool om, char *buf, size_t n)
{
    snprintf(buf, n, "%s", f->name);
    if (om && f->type == BRRT_SHM_COUNTER) {
        if (ends_with(buf, "_total"))
            buf[strlen(buf) - 6] = '\0';
        return "_total";
    }
    return "";
}

static void header(struct brrt_buf *b, const struct brrt_snap_family *f, const char *fam, bool om)
{
    brrt_buf_printf(b, "# HELP %s ", fam);
    brrt_buf_escaped(b, f->help, om);
    brrt_buf_printf(b, "\n# TYPE %s %s\n", fam, type_name(f));
    if (om && f->unit[0]) {
        char unit_suffix[80];
        snprintf(unit_suffix, sizeof unit_suffix, "_%s", f->unit);
        if (ends_with(fam, unit_suffix))
            brrt_buf_printf(b, "# UNIT %s %s\n", fam, f->unit);
    }
}

static void series_of(struct brrt_buf *b, const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                      const char *fam, const char *total_suffix, const char *extra,
                      const struct brrt_prom_opts *o)
{
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    char created[40] = "";
    if (om && f->type != BRRT_SHM_GAUGE) /* counters reset when the writer starts */
        brrt_fmt_double(created, sizeof created, (double)snap->info.start_realtime_ns / 1e9);
    char v[64], le[64];
    for (uint32_t i = 0; i < f->n_series; i++) {
        const struct brrt_snap_series *s = &snap->series[f->first_series + i];
        if (f->type != BRRT_SHM_HISTOGRAM) {
            scalar_value(v, sizeof v, f, s);
            sample(b, fam, total_suffix, f, s, o, extra, NULL, v);
        } else {
            uint64_t cum = 0;
            for (uint32_t k = 0; k <= f->n_le; k++) {
                cum += s->le_counts[k];
                if (k < f->n_le)
                    brrt_fmt_double(le, sizeof le, f->le[k]);
                else
                    snprintf(le, sizeof le, "+Inf");
                snprintf(v, sizeof v, "%" PRIu64, cum);
                sample(b, fam, "_bucket", f, s, o, extra, le, v);
            }
            brrt_fmt_double(v, sizeof v, s->sum);
            sample(b, fam, "_sum", f, s, o, extra, NULL, v);
            snprintf(v, sizeof v, "%" PRIu64, s->count);
            sample(b, fam, "_count", f, s, o, extra, NULL, v);
        }
        if (created[0])
            sample(b, fam, "_created", f, s, o, extra, NULL, created);
    }
}

static bool wanted(const struct brrt_snap_family *f, const struct brrt_prom_opts *o)
{
    return !o->filter || o->filter(f, o->filter_arg);
}

void brrt_render_prometheus_n(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                              const char *const *label_values, uint32_t n,
                              const struct brrt_prom_opts *opts)
{
    struct brrt_prom_opts none = {0};
    const struct brrt_prom_opts *o = opts ? opts : &none;
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    char fam[256];
    /* Each family is rendered where it first appears (snapshot i, family j), together with the
     * same-named families of the later snapshots. */
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < snaps[i]->n_families; j++) {
            const struct brrt_snap_family *f = &snaps[i]->families[j];
            if (!wanted(f, o))
                continue;
            bool seen = false;
            for (uint32_t k = 0; k < i && !seen; k++)
                seen = brrt_snapshot_family(snaps[k], f->name) != NULL;
            if (seen)
                continue;
            const char *suffix = family_name(f, om, fam, sizeof fam);
            header(b, f, fam, om);
            for (uint32_t k = i; k < n; k++) {
                const struct brrt_snap_family *g = k == i ? f : brrt_snapshot_family(snaps[k], f->name);
                if (g && g->type == f->type)
                    series_of(b, snaps[k], g, fam, suffix, label_values ? label_values[k] : NULL, o);
            }
        }
    }
}

void brrt_render_prometheus(struct brrt_buf *b, const struct brrt_snapshot *s,
                            const struct brrt_prom_opts *opts)
{
    brrt_render_prometheus_n(b, &s, NULL, 1, opts);
}
