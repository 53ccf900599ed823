/* brrt-bench's registration case (register_bench.c). */
#ifndef BRRT_BENCH_REGISTER_H
#define BRRT_BENCH_REGISTER_H

/* Prints `register_family_first500 <median CPU ns per registration>` and
 * `register_family_last500_of_N <ns> (<ratio>x the first)` on stdout: the median over `reps`
 * fresh segments in `dir` of registering `n` counter families. Returns 0, 1 on failure. */
int register_bench_run(const char *dir, unsigned n, unsigned long long reps);

#endif
