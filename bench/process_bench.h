/* brrt-bench's process-collector case (process_bench.c). */
#ifndef BRRT_BENCH_PROCESS_H
#define BRRT_BENCH_PROCESS_H

#include "brrtstat/brrtstat.h"

/* Prints `process_collect <median ns per collection> (<% of one core at 1 s>)` on stdout: the
 * median over `reps` of `n` brrt_process_collect calls on a collector of `seg`. */
void process_bench_run(brrt_seg *seg, unsigned n, unsigned long long reps);

#endif
