/* The process collector: one call gives any instrumented program the process_* metrics
 * (brrtstat/process_metrics.h: CPU user/system/total seconds, RSS, VSS, peak RSS, allocator heap, open and max
 * fds, start time) and its cgroup v2 limits (memory.max, cpu.max; no series when unlimited),
 * sampled on a background thread. */
#ifndef BRRTSTAT_PROCESS_H
#define BRRTSTAT_PROCESS_H

#include "brrtstat/brrtstat.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct brrt_process_collector brrt_process_collector;

/* Registers the metrics and samples once now. interval_ms 0 means: no thread, call
 * brrt_process_collect() yourself. Returns 0 or a BRRT_E_* code. */
BRRT_API int brrt_process_collector_start(brrt_seg *seg, uint32_t interval_ms,
                                          brrt_process_collector **out);
/* One sample now (what the thread does every interval). */
BRRT_API void brrt_process_collect(brrt_process_collector *c);
/* Stops the thread (if any) and frees the collector; the metrics keep their last values. */
BRRT_API void brrt_process_collector_stop(brrt_process_collector *c);

#ifdef __cplusplus
}
#endif

#endif
