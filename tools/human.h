/* Human-readable numbers for the text front ends (snapshot text, watch). */
#ifndef BRRT_STAT_HUMAN_H
#define BRRT_STAT_HUMAN_H

#include <stddef.h>

/* "512 B", "1.5 KiB", "23.4 MiB", "1.02 GiB" */
void human_bytes(char *out, size_t n, double bytes);
/* "850 ns", "12.3 us", "4.56 ms", "1.23 s", "2m03s", "1h02m" */
void human_duration(char *out, size_t n, double seconds);
/* A value in `unit` ("bytes", "seconds" or other) made readable. */
void human_value(char *out, size_t n, double v, const char *unit);

#endif
