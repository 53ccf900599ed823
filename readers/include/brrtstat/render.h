/* Renderers shared by every front end: one Prometheus/OpenMetrics text renderer for
 * `brrt-stat snapshot --format prometheus` and for the exporter. The buffer and the number
 * formatting they write with are in brrtstat/buf.h. */
#ifndef BRRTSTAT_RENDER_H
#define BRRTSTAT_RENDER_H

#include "brrtstat/buf.h"
#include "brrtstat/reader.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exact value of a scalar series whose raw integer is its value (a counter or up-down
 * gauge at scale 1; also above 2^53), in decimal into `out` (BRRT_FMT_INT_MAX bytes):
 * returns its length, or 0 for a series whose value is the double s->value. Every output
 * (Prometheus, text, JSON, the TUI) shows values through this one choice. */
BRRT_READER_API size_t brrt_fmt_exact(char *out, const struct brrt_snap_family *f,
                                      const struct brrt_snap_series *s);

/* Which metric families to render: NULL or returns true to include. */
typedef bool (*brrt_family_filter)(const struct brrt_snap_family *f, void *arg);

enum brrt_prom_flavor {
    BRRT_PROM_TEXT_004 = 0, /* text/plain; version=0.0.4 */
    BRRT_PROM_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 (no # EOF) */
};

struct brrt_prom_opts {
    enum brrt_prom_flavor flavor;
    const char *extra_label_name; /* e.g. "segment": added to every series, valued per snapshot */
    brrt_family_filter filter;
    void *filter_arg;
    /* Names the caller renders itself (NULL-terminated; e.g. the exporter's own metrics): a
     * family whose exposition would take one of them is left out. */
    const char *const *reserved_names;
    /* NULL, or one counter per snapshot, incremented for every family left out (its names
     * clash with an earlier family's or a reserved one, or its type differs from the
     * same-named family of an earlier snapshot) and every counter series left out (a
     * negative or NaN value): what is left is always a valid exposition. */
    uint32_t *dropped;
    /* NULL, or a cache (brrt_prom_cache_new) that keeps the exposition plan (grouping by name,
     * clash checks) between renders of snapshots with the same families and reserved names:
     * a periodic caller (the exporter) then does not rebuild it every time. Checked against
     * the families' names and types on every use; not used when `filter` is set. One render
     * at a time per cache. */
    struct brrt_prom_cache *cache;
};

struct brrt_prom_cache;
BRRT_READER_API struct brrt_prom_cache *brrt_prom_cache_new(void);
BRRT_READER_API void brrt_prom_cache_free(struct brrt_prom_cache *c);

/* The exposition plan, the one decision of which families an exposition of `n` snapshots
 * carries (every renderer, text or protobuf, applies it, so they always agree): families
 * merged by name in order of first appearance, each group's head (HELP/TYPE come from it)
 * followed by its same-named families of later snapshots; left out (counted in
 * o->dropped[snap] when given) are families that o->filter rejects (not counted), whose
 * names clash with an earlier family's or one of o->reserved_names, or whose type differs
 * from the group head's. Only o->filter, filter_arg, reserved_names and dropped are read. */
struct brrt_expo_item {
    uint32_t snap, fam; /* snaps[snap]->families[fam] */
    bool head;          /* the first of its name */
};
struct brrt_expo_plan {
    struct brrt_expo_item *items; /* in exposition order */
    uint32_t n;
};
/* Builds `p` (free with brrt_expo_plan_free); 0, or -1 when out of memory. */
BRRT_READER_API int brrt_expo_plan_build(struct brrt_expo_plan *p, const struct brrt_snapshot *const *snaps,
                                         uint32_t n, const struct brrt_prom_opts *o);
/* The same plan, kept in o->cache between calls as the text renderer keeps it: reused while the
 * snapshots list the same families (names, types, order) and o->reserved_names are the same,
 * rebuilt when a family was added or the writer restarted with others (o->dropped is counted
 * as a build would). *out is the plan to render: the cache's (valid until its next use), or,
 * without o->cache or with o->filter, `own`, built here (free it with brrt_expo_plan_free; it
 * stays empty when the cache's plan is used). 0, or -1 when out of memory. */
BRRT_READER_API int brrt_expo_plan_get(struct brrt_expo_plan *own, const struct brrt_snapshot *const *snaps,
                                       uint32_t n, const struct brrt_prom_opts *o,
                                       const struct brrt_expo_plan **out);
BRRT_READER_API void brrt_expo_plan_free(struct brrt_expo_plan *p);
/* Whether series `s` of family `f` can go out at all: a counter's value must be >= 0 (not
 * negative, not NaN). A renderer leaves out the others and counts them in o->dropped. */
BRRT_READER_API bool brrt_expo_series_ok(const struct brrt_snap_family *f, const struct brrt_snap_series *s);

/* The one naming rule of every exposition (text 0.0.4, OpenMetrics, protobuf), so that a metric
 * has one series name in Prometheus whatever format it was scraped in. A counter's samples are
 * NAME_total, NAME being its name without a trailing "_total" (what OpenMetrics requires and
 * Prometheus' own client libraries write in every format): its family is named NAME_total in
 * text 0.0.4 and in protobuf (whose samples Prometheus names after their family), NAME in
 * OpenMetrics (whose samples add the suffix). Other types keep their name, samples without a
 * suffix. Writes the family's name into `buf` (cut to BRRT_EXPO_FAMILY_MAX - 1 bytes,
 * NUL-terminated) and its length into *len; returns the suffix of the family's plain samples:
 * "_total" for an OpenMetrics counter, else "". Protobuf callers pass openmetrics = false. */
#define BRRT_EXPO_FAMILY_MAX 256
BRRT_READER_API const char *brrt_expo_family_name(const char *name, bool counter, bool openmetrics,
                                                  char buf[BRRT_EXPO_FAMILY_MAX], size_t *len);

#define BRRT_PROM_CONTENT_TYPE_004 "text/plain; version=0.0.4; charset=utf-8"
#define BRRT_PROM_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Appends the (filtered) families of `n` snapshots, merged by metric name so each family has
 * one HELP and TYPE and all its series together (series of a snapshot whose family has another
 * type than the first are left out). With extra_label_name, series of snapshot i carry
 * extra_label_name="label_values[i]". HELP/TYPE (and UNIT for OpenMetrics) come from the
 * segments' own descriptors; histograms as cumulative _bucket{le}, _sum, _count. The caller
 * appends "# EOF\n" for OpenMetrics once everything is rendered. */
BRRT_READER_API void brrt_render_prometheus_n(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                                              const char *const *label_values, uint32_t n,
                                              const struct brrt_prom_opts *opts);
/* One snapshot: brrt_render_prometheus_n with n = 1. */
BRRT_READER_API void brrt_render_prometheus(struct brrt_buf *b, const struct brrt_snapshot *s,
                                            const struct brrt_prom_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
