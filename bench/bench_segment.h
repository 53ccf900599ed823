/* The benchmarks' segments: one labelled family of `series` series, every series updated by
 * each of `threads` threads alive together (so each holds its own shard), then quiescent. */
#ifndef BRRT_BENCH_SEGMENT_H
#define BRRT_BENCH_SEGMENT_H

#include "brrtstat/brrtstat.h"

#include <stdbool.h>
#include <stdint.h>

#define BENCH_N_LE 9 /* histogram: 0.005 .. 2.5 s, as Prometheus' default buckets */

/* Creates segment `name` in `dir` (NULL: $BRRT_STAT_DIR) with room for it: a histogram family
 * bench_read_seconds{route} or a counter family bench_read_total{route}. Exits on failure.
 * heartbeat_ms as in brrt_seg_opts (0: no heartbeat thread). */
brrt_seg *bench_segment(const char *dir, const char *name, bool hist, uint32_t series,
                        uint32_t threads, uint32_t heartbeat_ms);

#endif
