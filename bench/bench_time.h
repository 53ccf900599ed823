/* brrt-bench's timing helpers (defined in brrt_bench.c), shared by every case file. */
#ifndef BRRT_BENCH_TIME_H
#define BRRT_BENCH_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* `clock` in ns: CLOCK_MONOTONIC for wall time, CLOCK_THREAD_CPUTIME_ID for this thread's CPU
 * time (other processes' time slices on a shared machine are then not charged). */
uint64_t clock_ns(clockid_t clock);
/* clock_ns(CLOCK_MONOTONIC). */
uint64_t now_ns(void);
/* The median of v[0..n) (sorts v in place). */
double median_of(double *v, size_t n);

#endif
