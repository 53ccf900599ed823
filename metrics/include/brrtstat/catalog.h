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

#include "brrtstat/exporter_metrics.h" /* BRRT_EXPORTER_CATALOG: brrt-stat export's own */
#include "brrtstat/process_metrics.h"  /* the process_* rows: the process collector's own */
#include "brrtstat/types.h"

#include <stdint.h>

#define BRRT_CATALOG(X)                                                                            \
    BRRT_PROCESS_METRICS(X)                                                                        \
    X(STACK_BYTES, "brrtrouter_coroutine_stack_bytes", BRRT_GAUGE, "bytes", "", STACKS,            \
      "Configured coroutine stack size, in bytes")                                                 \
    X(STACK_USED_BYTES, "brrtrouter_coroutine_stack_used_bytes", BRRT_GAUGE, "bytes", "", STACKS,  \
      "Highest measured coroutine stack use, in bytes")                                            \
    X(STACK_OVERFLOWS, "brrtrouter_coroutine_stack_overflows_total", BRRT_COUNTER, "", "", STACKS, \
      "Handlers stopped by the stack guard page (answered 500)")                                   \
    X(REQUESTS_TOTAL, "brrtrouter_requests_total", BRRT_COUNTER, "", "path,status", REQUESTS,      \
      "Responses sent, by route template and status code")                                         \
    X(REQUEST_DURATION, "brrtrouter_request_duration_seconds", BRRT_HISTOGRAM, "seconds", "path",  \
      REQUESTS, "Time from request parsed to response written, by route template, in seconds")     \
    X(REQUEST_LATENCY, "brrtrouter_request_latency_seconds", BRRT_GAUGE, "seconds", "", REQUESTS,  \
      "Mean request duration over the last 10 s window, in seconds")                               \
    X(ACTIVE_REQUESTS, "brrtrouter_active_requests", BRRT_UPDOWN, "", "", HEALTH,                  \
      "Requests accepted and not yet answered")                                                    \
    X(CONNECTION_CLOSES, "brrtrouter_connection_closes_total", BRRT_COUNTER, "", "", HEALTH,       \
      "Connections closed by the client")                                                          \
    X(CONNECTION_ERRORS, "brrtrouter_connection_errors_total", BRRT_COUNTER, "", "", HEALTH,       \
      "Connections that ended with a read or write error")

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

/* The static library brrtstat_catalog carries the table, the lookups and
 * brrt_catalog_register (which calls libbrrtstat: link a writer library too to use it). */

/* The table, indexed by enum brrt_metric_id. */
extern const struct brrt_catalog_entry brrt_catalog[BRRT_M_COUNT];
extern const char *const brrt_section_titles[BRRT_SECTION_COUNT];

/* The catalog entry called `name`, or NULL for a metric the catalog does not know. */
const struct brrt_catalog_entry *brrt_catalog_find(const char *name);
/* Its section, BRRT_SECTION_OTHER for unknown names. */
enum brrt_section brrt_catalog_section(const char *name);

struct brrt_seg;
struct brrt_family;
/* Registers the catalog metric `name` in `seg` (brrt_family_register with the row's name,
 * help, unit, type and labels; histograms at scale 1e-9, `le`/`n_le` their buckets).
 * Returns BRRT_E_INVAL for a name the catalog does not have. */
int brrt_catalog_register(struct brrt_seg *seg, const char *name, const double *le, uint32_t n_le,
                          struct brrt_family **out);

#ifdef __cplusplus
}
#endif

#endif
