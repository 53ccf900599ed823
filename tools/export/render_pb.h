/* The Prometheus protobuf exposition (client_model io.prometheus.client.MetricFamily, each
 * message prefixed by its varint length), built with protobuf-c from proto/metrics.proto.
 * Prometheus asks for it first when native histograms are enabled: it is the only format that
 * carries them. Every family of the segments that has series goes out; each histogram with
 * its classic `le` buckets and as a native histogram (the segment's buckets are native ones). */
#ifndef BRRT_EXPORT_RENDER_PB_H
#define BRRT_EXPORT_RENDER_PB_H

#include "brrtstat/reader.h"
#include "brrtstat/render.h"

#include <stdbool.h>
#include <stdint.h>

#define PB_CONTENT_TYPE \
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

/* Appends the families of `n` snapshots that brrt_expo_plan_build(o) includes (the plan kept in
 * o->cache when there is one: brrt_expo_plan_get), merged by name
 * exactly as brrt_render_prometheus_n with the same `o` renders them (same families, same
 * series, same labels, o->extra_label_name when label_values is given; counted in o->dropped
 * alike). Families without series are not sent. o->flavor is not read. Each family is named
 * by brrt_expo_family_name (a counter NAME_total, so that Prometheus, which names protobuf
 * samples after their family, stores the series the text formats give it). */
void pb_render_snapshots(struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                         const char *const *label_values, uint32_t n, const struct brrt_prom_opts *o);

/* The parts of the protobuf exposition that only change with the snapshots' layouts (each
 * family's name/help/type/unit fields, each series' label pairs), kept as wire bytes between
 * renders (render_pb_fast.c). One render at a time per cache. */
struct pb_cache;
struct pb_cache *pb_cache_new(void);
void pb_cache_free(struct pb_cache *c);
/* How many times `c`'s parts were built (for tests). */
uint64_t pb_cache_builds(const struct pb_cache *c);
/* Appends exactly the bytes pb_render_snapshots(b, snaps, label_values, n, o) appends (the
 * same messages, fields in the same order), written by hand around `c`'s parts, rebuilt when a
 * snapshot's layout, a label value or the plan differs from the last render. Counters and
 * gauges are read from snap->raw when the snapshot has it (BRRT_SNAP_RAW), else from
 * series.value; histograms from the series (HIST_TEXT, and HIST_FINE for the native part).
 * Without `c` or with o->filter: pb_render_snapshots. */
void pb_render_cached(struct pb_cache *c, struct brrt_buf *b, const struct brrt_snapshot *const *snaps,
                      const char *const *label_values, uint32_t n, const struct brrt_prom_opts *o);

/* Appends one family of `n` unlabelled-but-one series: name{label_name="label_values[i]"}
 * values[i] (label_name NULL: one series without labels, n must be 1), named by
 * brrt_expo_family_name. The exporter's own metrics. */
void pb_render_scalars(struct brrt_buf *b, const char *name, bool counter, const char *help,
                       const char *label_name, const char *const *label_values,
                       const double *values, uint32_t n);

#endif
