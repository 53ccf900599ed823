/* `brrt-stat snapshot --format json` (schema: docs/snapshot.schema.json). Integers that can
 * exceed 2^53 (counter values, bucket counts, histogram counts) are written as exact JSON
 * integer literals with cJSON_CreateRaw, never through a double. */
#include "view.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SNAPSHOT_SCHEMA_VERSION 1

static cJSON *exact_u64(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, v);
    return cJSON_CreateRaw(s);
}

/* JSON has no NaN/Inf: those become null. */
static cJSON *number(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void iso8601(char *out, size_t n, uint64_t ns)
{
    time_t t = (time_t)(ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03uZ", base, (unsigned)(ns % 1000000000ull / 1000000u));
}

static cJSON *segment_info(const struct view *v)
{
    const struct brrt_reader_info *in = &v->cur->info;
    char start[40];
    iso8601(start, sizeof start, in->start_realtime_ns);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", v->segment);
    cJSON_AddStringToObject(o, "path", in->path);
    cJSON_AddStringToObject(o, "state", brrt_writer_state_name(in->state));
    cJSON_AddItemToObject(o, "generation", exact_u64(in->generation));
    cJSON_AddItemToObject(o, "writer_pid", exact_u64(in->writer_pid));
    cJSON_AddStringToObject(o, "start_time", start);
    cJSON_AddItemToObject(o, "heartbeat_age_seconds", number(in->heartbeat_age_s));
    cJSON_AddItemToObject(o, "full_errors", exact_u64(in->full_errors));
    cJSON_AddItemToObject(o, "cardinality_overflows", exact_u64(in->cardinality_overflows));
    return o;
}

static cJSON *label_object(const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    cJSON *o = cJSON_CreateObject();
    for (uint32_t i = 0; i < f->nlabels; i++)
        cJSON_AddStringToObject(o, f->label_names[i], s->label_values[i]);
    return o;
}

/* The histogram fields of window `w` of family `f` into `o` (and frees w's arrays). */
static void histogram_window(cJSON *o, const struct view *v, const struct brrt_snap_family *f,
                             struct hist_window w)
{
    cJSON_AddItemToObject(o, "count", exact_u64(w.count));
    cJSON_AddItemToObject(o, "sum", number(w.sum));
    cJSON_AddItemToObject(o, "mean", number(w.count ? w.sum / (double)w.count : NAN));
    cJSON *buckets = cJSON_AddArrayToObject(o, "buckets");
    uint64_t cum = 0;
    for (uint32_t i = 0; i <= f->n_le; i++) {
        cum += w.le_counts[i];
        cJSON *b = cJSON_CreateObject();
        if (i < f->n_le)
            cJSON_AddNumberToObject(b, "le", f->le[i]);
        else
            cJSON_AddStringToObject(b, "le", "+Inf");
        cJSON_AddItemToObject(b, "count", exact_u64(cum));
        cJSON_AddItemToArray(buckets, b);
    }
    cJSON *q = cJSON_AddObjectToObject(o, "quantiles");
#define JSON_Q(label, qv) cJSON_AddItemToObject(q, label, number(brrt_hist_quantile(f, w.fine, qv)));
    VIEW_QUANTILES(JSON_Q)
#undef JSON_Q
    cJSON_AddNumberToObject(o, "quantile_relative_error", brrt_hist_relative_error(f));
    if (v->prev && v->dt > 0)
        cJSON_AddItemToObject(o, "rate", number((double)w.count / v->dt));
    view_window_free(&w);
}

static int histogram(cJSON *o, const struct view *v, uint32_t fi, uint32_t k)
{
    struct hist_window w;
    if (view_window(v, fi, k, &w) != 0)
        return -1;
    histogram_window(o, v, &v->cur->families[fi], w);
    return 0;
}

/* A labelled histogram family's series merged: "all_series", labels {}. */
static int histogram_all(cJSON *m, const struct view *v, uint32_t fi)
{
    struct hist_window w;
    if (view_window_all(v, fi, &w) != 0)
        return -1;
    cJSON *o = cJSON_AddObjectToObject(m, "all_series");
    cJSON_AddItemToObject(o, "labels", cJSON_CreateObject());
    histogram_window(o, v, &v->cur->families[fi], w);
    return 0;
}

static int series(cJSON *arr, const struct view *v, uint32_t fi, uint32_t k)
{
    const struct brrt_snap_family *f = &v->cur->families[fi];
    const struct brrt_snap_series *s = &v->cur->series[f->first_series + k];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddItemToObject(o, "labels", label_object(f, s));
    if (s->overflow)
        cJSON_AddBoolToObject(o, "overflow", true);
    if (f->type == BRRT_SHM_HISTOGRAM)
        return histogram(o, v, fi, k);
    char exact[BRRT_FMT_INT_MAX];
    cJSON_AddItemToObject(o, "value", brrt_fmt_exact(exact, f, s) ? cJSON_CreateRaw(exact) : number(s->value));
    if (f->type == BRRT_SHM_COUNTER && v->prev)
        cJSON_AddItemToObject(o, "rate", number(view_rate(v, fi, k)));
    return 0;
}

int render_json(struct brrt_buf *b, const struct view *v)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return -1;
    char taken[40];
    iso8601(taken, sizeof taken, v->cur->taken_realtime_ns);
    cJSON_AddNumberToObject(root, "schema_version", SNAPSHOT_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "taken_at", taken);
    cJSON_AddItemToObject(root, "window_seconds", v->prev ? number(v->dt) : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "segment", segment_info(v));
    cJSON *metrics = cJSON_AddArrayToObject(root, "metrics");
    int rc = 0;
    for (uint32_t fi = 0; rc == 0 && fi < v->cur->n_families; fi++) {
        const struct brrt_snap_family *f = &v->cur->families[fi];
        if (!view_includes(v, f))
            continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddItemToArray(metrics, m);
        cJSON_AddStringToObject(m, "name", f->name);
        cJSON_AddStringToObject(m, "type", brrt_snap_type_name(f->type));
        cJSON_AddStringToObject(m, "help", f->help);
        cJSON_AddStringToObject(m, "unit", f->unit);
        cJSON *ln = cJSON_AddArrayToObject(m, "label_names");
        for (uint32_t i = 0; i < f->nlabels; i++)
            cJSON_AddItemToArray(ln, cJSON_CreateString(f->label_names[i]));
        cJSON *arr = cJSON_AddArrayToObject(m, "series");
        for (uint32_t k = 0; rc == 0 && k < f->n_series; k++)
            rc = series(arr, v, fi, k);
        if (rc == 0 && f->type == BRRT_SHM_HISTOGRAM && f->nlabels)
            rc = histogram_all(m, v, fi);
    }
    char *text = rc == 0 ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return -1;
    brrt_buf_puts(b, text);
    brrt_buf_puts(b, "\n");
    free(text);
    return b->failed ? -1 : 0;
}
