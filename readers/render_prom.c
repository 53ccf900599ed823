/* Prometheus text exposition 0.0.4 and OpenMetrics 1.0 from a snapshot. */
#include "brrtstat/render.h"
#include "expo_plan.h"

#include <inttypes.h>
#include <math.h>
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
    brrt_buf_printf(b, "# HELP %s ", fam);
    brrt_buf_escaped(b, f->help, om);
    brrt_buf_printf(b, "\n# TYPE %s %s\n", fam, type_name(f));
    /* OpenMetrics: a UNIT only where the family name ends in _UNIT (the whole unit, however
     * long: a cut one could match and make an invalid UNIT line). */
    size_t fl = strlen(fam), ul = strlen(f->unit);
    if (om && ul && fl > ul + 1 && fam[fl - ul - 1] == '_' && strcmp(fam + fl - ul, f->unit) == 0)
        brrt_buf_printf(b, "# UNIT %s %s\n", fam, f->unit);
}

static void series_of(struct brrt_buf *b, const struct brrt_snapshot *snap, const struct brrt_snap_family *f,
                      const char *fam, const char *total_suffix, const char *extra,
                      const struct brrt_prom_opts *o, uint32_t *dropped)
{
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    char created[40] = "";
    if (om && f->type != BRRT_SHM_GAUGE) /* counters reset when the writer starts */
        brrt_fmt_double(created, sizeof created, (double)snap->info.start_realtime_ns / 1e9);
    char v[64], le[64];
    for (uint32_t i = 0; i < f->n_series; i++) {
        const struct brrt_snap_series *s = &snap->series[f->first_series + i];
        if (f->type == BRRT_SHM_COUNTER && !(s->value >= 0)) {
            if (dropped) /* a sampled counter gone negative or NaN: no valid counter sample */
                (*dropped)++;
            continue;
        }
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

void brrt_render_prometheus_n(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                              const char *const *label_values, uint32_t n,
                              const struct brrt_prom_opts *opts)
{
    struct brrt_prom_opts none = {0};
    const struct brrt_prom_opts *o = opts ? opts : &none;
    bool om = o->flavor == BRRT_PROM_OPENMETRICS;
    char fam[256];
    const char *suffix = "";
    /* Each family is rendered where it first appears, together with the same-named families
     * of the later snapshots; families that would make the exposition invalid are left out. */
    struct expo_plan plan;
    if (expo_plan_build(&plan, snaps, n, o) != 0) {
        b->failed = true;
        return;
    }
    for (uint32_t k = 0; k < plan.n; k++) {
        const struct expo_item *it = &plan.items[k];
        const struct brrt_snap_family *f = &snaps[it->snap]->families[it->fam];
        if (it->head) {
            suffix = family_name(f, om, fam, sizeof fam);
            header(b, f, fam, om);
        }
        series_of(b, snaps[it->snap], f, fam, suffix, label_values ? label_values[it->snap] : NULL, o,
                  o->dropped ? &o->dropped[it->snap] : NULL);
    }
    expo_plan_free(&plan);
}

void brrt_render_prometheus(struct brrt_buf *b, const struct brrt_snapshot *s,
                            const struct brrt_prom_opts *opts)
{
    brrt_render_prometheus_n(b, &s, NULL, 1, opts);
}
