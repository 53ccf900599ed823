/* The exporter's own metrics (brrt-stat export), declared once: tools/export/segset.c renders
 * every row (it supplies each row's value), the exporter refuses segment families that would
 * take one of these names, and the dashboard and alert rules query them by these names
 * (through brrtstat/catalog.h). They never live in a segment.
 *
 * X(id, name, type, help); type is BRRT_GAUGE or BRRT_COUNTER (brrtstat/types.h). */
#ifndef BRRTSTAT_EXPORTER_METRICS_H
#define BRRTSTAT_EXPORTER_METRICS_H

#include "brrtstat/types.h"

/* One series per segment served, labelled `segment`. */
#define BRRT_EXPORTER_SEGMENT_METRICS(X)                                                           \
    X(SEGMENT_UP, "brrtstat_segment_up", BRRT_GAUGE, "1 when the segment's writer is running, 0 otherwise") \
    X(SEGMENT_GENERATION, "brrtstat_segment_generation", BRRT_GAUGE,                               \
      "Generation of the segment (a writer restart adds 1)")                                      \
    X(SEGMENT_HEARTBEAT_AGE, "brrtstat_segment_heartbeat_age_seconds", BRRT_GAUGE,                 \
      "Seconds since the writer's last heartbeat (NaN while unknown: no segment attached)")       \
    X(SEGMENT_REATTACHES, "brrtstat_segment_reattaches_total", BRRT_COUNTER,                       \
      "Writer restarts the exporter followed")                                                     \
    X(SEGMENT_ATTACH_FAILURES, "brrtstat_segment_attach_failures_total", BRRT_COUNTER,             \
      "Failed attempts to attach to the segment")                                                  \
    X(SEGMENT_SNAPSHOT_RETRIES, "brrtstat_segment_snapshot_retries_total", BRRT_COUNTER,           \
      "Retries spent attaching while the segment initialised")                                    \
    X(SEGMENT_FULL_ERRORS, "brrtstat_segment_full_errors_total", BRRT_COUNTER,                     \
      "Registrations the writer could not fit in the segment")                                    \
    X(SEGMENT_OVERFLOWS, "brrtstat_segment_cardinality_overflows_total", BRRT_COUNTER,             \
      "Series lookups folded into __other")                                                        \
    X(SEGMENT_SKIPPED_ENTRIES, "brrtstat_segment_skipped_entries", BRRT_GAUGE,                     \
      "Directory entries of the segment skipped as invalid (the rest is served)")                 \
    X(SEGMENT_EXPOSITION_DROPPED, "brrtstat_segment_exposition_dropped", BRRT_GAUGE,               \
      "Families and counter series of the segment left out of the last scrape: their names "      \
      "clash with another family's or the exporter's own, or a counter is negative or NaN")

/* One series per exporter. */
#define BRRT_EXPORTER_SELF_METRICS(X)                                                              \
    X(EXPORTER_SCRAPE_DURATION, "brrtstat_exporter_scrape_duration_seconds", BRRT_GAUGE,           \
      "Seconds this scrape spent reading and rendering the segments")                             \
    X(EXPORTER_SCRAPES, "brrtstat_exporter_scrapes_total", BRRT_COUNTER, "Scrapes served")         \
    X(EXPORTER_BUILD_INFO, "brrtstat_exporter_build_info", BRRT_GAUGE,                             \
      "Always 1; the exporter's version is the label")

#define BRRT_EXPORTER_CATALOG(X) BRRT_EXPORTER_SEGMENT_METRICS(X) BRRT_EXPORTER_SELF_METRICS(X)

enum brrt_exporter_metric_id {
#define BRRT_XM_ENUM(id, name, type, help) BRRT_XM_##id,
    BRRT_EXPORTER_CATALOG(BRRT_XM_ENUM)
#undef BRRT_XM_ENUM
        BRRT_XM_COUNT
};

#endif
