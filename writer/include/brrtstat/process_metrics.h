/* The metrics the process collector (brrtstat/process.h) publishes, declared once: the
 * collector registers them from this table and the metric catalog (brrtstat/catalog.h) lists
 * them with its own rows. The type column holds brrtstat/types.h's constants.
 *
 * X(id, name, type, unit, labels, section, help), as in BRRT_CATALOG. MEMORY_LIMIT and
 * CPU_LIMIT are registered only when the cgroup sets a limit. */
#ifndef BRRTSTAT_PROCESS_METRICS_H
#define BRRTSTAT_PROCESS_METRICS_H

#include "brrtstat/types.h"

#define BRRT_PROCESS_METRICS(X)                                                                    \
    X(CPU_SECONDS, "process_cpu_seconds_total", BRRT_COUNTER_SAMPLED, "seconds", "", CPU,          \
      "Total user and system CPU time spent by the process, in seconds")                           \
    X(CPU_USER_SECONDS, "process_cpu_user_seconds_total", BRRT_COUNTER_SAMPLED, "seconds", "", CPU, \
      "User-mode CPU time spent by the process, in seconds")                                       \
    X(CPU_SYSTEM_SECONDS, "process_cpu_system_seconds_total", BRRT_COUNTER_SAMPLED, "seconds", "", \
      CPU, "Kernel-mode CPU time spent by the process, in seconds")                                \
    X(MEMORY_RSS, "process_memory_rss_bytes", BRRT_GAUGE, "bytes", "", MEMORY,                     \
      "Resident set size, in bytes")                                                               \
    X(MEMORY_VSS, "process_memory_vss_bytes", BRRT_GAUGE, "bytes", "", MEMORY,                     \
      "Virtual memory size, in bytes")                                                             \
    X(MEMORY_HEAP, "process_memory_heap_bytes", BRRT_GAUGE, "bytes", "", MEMORY,                   \
      "Bytes in use by the allocator (glibc mallinfo2 uordblks + hblkhd)")                         \
    X(MEMORY_PEAK_RSS, "process_memory_peak_rss_bytes", BRRT_GAUGE, "bytes", "", MEMORY,           \
      "Peak resident set size, in bytes")                                                          \
    X(OPEN_FDS, "process_open_fds", BRRT_GAUGE, "", "", LIMITS, "Open file descriptors")           \
    X(MAX_FDS, "process_max_fds", BRRT_GAUGE, "", "", LIMITS, "Limit on open file descriptors")    \
    X(START_TIME, "process_start_time_seconds", BRRT_GAUGE, "seconds", "", LIMITS,                 \
      "Start time of the process since the Unix epoch, in seconds")                                \
    X(MEMORY_LIMIT, "process_memory_limit_bytes", BRRT_GAUGE, "bytes", "", LIMITS,                 \
      "cgroup v2 memory.max of the process, in bytes (absent when unlimited)")                     \
    X(CPU_LIMIT, "process_cpu_limit_cores", BRRT_GAUGE, "", "", LIMITS,                            \
      "cgroup v2 cpu.max quota / period, in cores (absent when unlimited)")

#endif
