/* brrt-bench's process-collector case (process_bench.c), and the two helpers of brrt_bench.c
 * it times with. */
#ifndef BRRT_BENCH_PROCESS_H
#define BRRT_BENCH_PROCESS_H

#include "brrtstat/brrtstat.h"

#include <stddef.h>
#include <stdint.h>

/* Prints `process_collect <median ns per collection> (<% of one core at 1 s>)` on stdout: the
 * median over `reps` of `n` brrt_process_collect calls on a collector of `seg`. */
void process_bench_run(brrt_seg *seg, unsigned n, unsigned long long reps);

/* brrt_bench.c: CLOCK_MONOTONIC in ns; the median of v[0..n) (sorts v). */
uint64_t now_ns(void);
double median_of(double *v, size_t n);

#endif
