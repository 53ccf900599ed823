/* Metric types: the values of struct brrt_metric_def.type (writer API) and of the catalog's
 * type column. Shared by the writer, the catalog and the tools; the segment stores its own
 * kinds (BRRT_SHM_COUNTER, ... in shm_format.h), which the writer derives from these. */
#ifndef BRRTSTAT_TYPES_H
#define BRRTSTAT_TYPES_H

enum brrt_type {
    BRRT_COUNTER = 1,         /* sharded u64 add; Prometheus counter */
    BRRT_GAUGE = 2,           /* one double, set from any thread; Prometheus gauge */
    BRRT_UPDOWN = 3,          /* sharded signed add (in-flight requests); Prometheus gauge */
    BRRT_HISTOGRAM = 4,       /* sharded native-histogram + Prometheus buckets */
    BRRT_COUNTER_SAMPLED = 5, /* one double, set from a sampled source (CPU seconds) */
};

#endif
