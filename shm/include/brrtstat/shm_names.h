/* Naming rules shared by the writer (refuses bad names) and readers (refuse bad segments). */
#ifndef BRRTSTAT_SHM_NAMES_H
#define BRRTSTAT_SHM_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, 1..200 bytes. */
bool brrt_shm_metric_name_valid(const char *s);
/* Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", 1..100 bytes. */
bool brrt_shm_label_name_valid(const char *s);
/* The names a family takes in a Prometheus text or OpenMetrics exposition (either format):
 * NAME; a counter also NAME without _total, and that with _total and _created; a histogram
 * NAME_bucket, NAME_sum, NAME_count and NAME_created. Two families of different names that
 * share one make an invalid exposition. Writes up to BRRT_EXPO_NAMES names of up to
 * BRRT_EXPO_NAME_MAX bytes into `out` and returns how many. */
#define BRRT_EXPO_NAMES 5
#define BRRT_EXPO_NAME_MAX 216 /* 200-byte metric name + "_created" + NUL, rounded up */
int brrt_shm_expo_names(const char *name, bool counter, bool histogram,
                        char out[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX]);
/* Names the exporter uses for its own metrics: an application's may not start with them. */
#define BRRT_EXPO_RESERVED_PREFIXES {"brrtstat_segment_", "brrtstat_exporter_"}

/* Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) of `len` bytes. */
bool brrt_shm_utf8_valid(const char *s, size_t len);

#define BRRT_SHM_FNV_OFFSET 1469598103934665603ull

/* FNV-1a over a label set's `n` values, each followed by a 0xff separator (so ("ab", "c") and
 * ("a", "bc") differ), starting from `h` (BRRT_SHM_FNV_OFFSET, or that mixed with a seed).
 * The writer finds a series by it, readers spot a repeated label set by it. */
static inline uint64_t brrt_shm_labels_hash(uint64_t h, const char *const *values, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}


#ifdef __cplusplus
}
#endif

#endif
