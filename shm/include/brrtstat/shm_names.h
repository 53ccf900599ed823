/* Naming rules shared by the writer (refuses bad names) and readers (refuse bad segments). */
#ifndef BRRTSTAT_SHM_NAMES_H
#define BRRTSTAT_SHM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, 1..200 bytes. */
bool brrt_shm_metric_name_valid(const char *s);
/* Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", 1..100 bytes. */
bool brrt_shm_label_name_valid(const char *s);
/* Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) of `len` bytes. */
bool brrt_shm_utf8_valid(const char *s, size_t len);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
