/* The BRRTRouter metric catalog: every metric this project knows by name, declared once.
 * The demo service registers from it, the CLI and TUI group by its sections, and the dashboard
 * generator builds its queries from its names, so a renamed metric cannot silently break a
 * panel. Readers never need it to read a segment (segments describe themselves); it only adds
 * presentation (section, order) to metrics they recognise.
 *
 * X(id, name, type, unit, labels, section, help)
 *   type:    BRRT_COUNTER | BRRT_GAUGE | BRRT_UPDOWN | BRRT_HISTOGRAM | BRRT_COUNTER_SAMPLED
 *   labels:  comma-separated label names ("" for none)
 *   section: CPU | MEMORY | STACKS | REQUESTS | HEALTH | LIMITS */
#ifndef BRRTSTAT_CATALOG_H
#define BRRTSTAT_CATALOG_H

#define BRRT_CATALOG(X)                                                                            \
    X(CPU_SECONDS, "process_cpu_seconds_total", BRRT_COUNTER_SAMPLED, "seconds", "", CPU,           \
      "Total user and system CPU time spent by the process, in seconds")                             \
    X(CPU_USER_SECONDS, "process_cpu_user_seconds_total", BRRT_COUNTER_SAMPLED, "seconds", "", CPU, \
      "User-mode CPU time spent by the process, in seconds")                                        \
    X(CPU_SYSTEM_SECONDS, "process_cpu_system_seconds_total", BRRT_COUNTER_SAMPLED, "seconds", "",  \
      CPU, "Kernel-mode CPU time spent by the process, in seconds")                                 \
    X(MEMORY_RSS, "process_memory_rss_bytes", BRRT_GAUGE, "bytes", "", MEMORY,                      \
      "Resident set size, in bytes")                                                                \
    X(MEMORY_VSS, "process_memory_vss_bytes", BRRT_GAUGE, "bytes", "", MEMORY,                      \
      "Virtual memory size, in bytes")                                                              \
    X(MEMORY_HEAP, "process_memory_heap_bytes", BRRT_GAUGE, "bytes", "", MEMORY,                    \
      "Bytes in use by the allocator (glibc mallinfo2 uordblks + hblkhd)")                          \
    X(MEMORY_PEAK_RSS, "process_memory_peak_rss_bytes", BRRT_GAUGE, "bytes", "", MEMORY,            \
      "Peak resident set size, in bytes")                                                           \
    X(STACK_BYTES, "brrtrouter_coroutine_stack_bytes", BRRT_GAUGE, "bytes", "", STACKS,             \
      "Configured coroutine stack size, in bytes")                                                  \
    X(STACK_USED_BYTES, "brrtrouter_coroutine_stack_used_bytes", BRRT_GAUGE, "bytes", "", STACKS,   \
      "Highest measured coroutine stack use, in bytes")                                             \
    X(STACK_OVERFLOWS, "brrtrouter_coroutine_stack_overflows_total", BRRT_COUNTER, "", "", STACKS, \
      "Handlers stopped by the stack guard page (answered 500)")                                    \
    X(REQUESTS_TOTAL, "brrtrouter_requests_total", BRRT_COUNTER, "", "path,status", REQUESTS,       \
      "Responses sent, by route template and status code")                                          \
    X(REQUEST_DURATION, "brrtrouter_request_duration_seconds", BRRT_HISTOGRAM, "seconds", "path",   \
      REQUESTS, "Time from request parsed to response written, by route template, in seconds")      \
    X(REQUEST_LATENCY, "brrtrouter_request_latency_seconds", BRRT_GAUGE, "seconds", "", REQUESTS,   \
      "Mean request duration over the last 10 s window, in seconds")                               \
    X(ACTIVE_REQUESTS, "brrtrouter_active_requests", BRRT_UPDOWN, "", "", HEALTH,                   \
      "Requests accepted and not yet answered")                                                     \
    X(CONNECTION_CLOSES, "brrtrouter_connection_closes_total", BRRT_COUNTER, "", "", HEALTH,        \
      "Connections closed by the client")                                                           \
    X(CONNECTION_ERRORS, "brrtrouter_connection_errors_total", BRRT_COUNTER, "", "", HEALTH,        \
      "Connections that ended with a read or write error")                                          \
    X(OPEN_FDS, "process_open_fds", BRRT_GAUGE, "", "", LIMITS, "Open file descriptors")           \
    X(MAX_FDS, "process_max_fds", BRRT_GAUGE, "", "", LIMITS, "Limit on open file descriptors")    \
    X(START_TIME, "process_start_time_seconds", BRRT_GAUGE, "seconds", "", LIMITS,                  \
      "Start time of the process since the Unix epoch, in seconds")                                 \
    X(MEMORY_LIMIT, "process_memory_limit_bytes", BRRT_GAUGE, "bytes", "", LIMITS,                  \
      "cgroup v2 memory.max of the process, in bytes (absent when unlimited)")                     \
    X(CPU_LIMIT, "process_cpu_limit_cores", BRRT_GAUGE, "", "", LIMITS,                             \
      "cgroup v2 cpu.max quota / period, in cores (absent when unlimited)")

/* Sections, in the dashboard's order. X(id, title) */
#define BRRT_SECTIONS(X)                                                                           \
    X(CPU, "CPU")                                                                                  \
    X(MEMORY, "Memory")                                                                            \
    X(STACKS, "Coroutine stacks")                                                                  \
    X(REQUESTS, "Requests and latency")                                                            \
    X(HEALTH, "Health")                                                                            \
    X(LIMITS, "Process and limits")                                                                \
    X(OTHER, "Other metrics")

enum brrt_section {
#define BRRT_SECTION_ENUM(id, title) BRRT_SECTION_##id,
    BRRT_SECTIONS(BRRT_SECTION_ENUM)
#undef BRRT_SECTION_ENUM
        BRRT_SECTION_COUNT
};

enum brrt_metric_id {
#define BRRT_METRIC_ENUM(id, name, type, unit, labels, section, help) BRRT_M_##id,
    BRRT_CATALOG(BRRT_METRIC_ENUM)
#undef BRRT_METRIC_ENUM
        BRRT_M_COUNT
};

struct brrt_catalog_entry {
    const char *name;
    int type; /* enum brrt_type (brrtstat/types.h) */
    const char *unit;
    const char *labels;
    enum brrt_section section;
    const char *help;
};

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* exported by libbrrtstat, which carries the table */

/* The table, indexed by enum brrt_metric_id. */
extern const struct brrt_catalog_entry brrt_catalog[BRRT_M_COUNT];
extern const char *const brrt_section_titles[BRRT_SECTION_COUNT];

/* The catalog entry called `name`, or NULL for a metric the catalog does not know. */
const struct brrt_catalog_entry *brrt_catalog_find(const char *name);
/* Its section, BRRT_SECTION_OTHER for unknown names. */
enum brrt_section brrt_catalog_section(const char *name);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
