/* brrt-bench's read-side cases (read_bench.c): snapshot + render against the floor. */
#ifndef BRRT_BENCH_READ_H
#define BRRT_BENCH_READ_H

#include <stdbool.h>

/* Creates its segments in `dir`, prints one block per segment on stdout; returns 0. */
int read_bench_run(const char *dir, unsigned reps, bool quick);

#endif
