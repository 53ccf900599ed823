/* brrt-bench's process-collector case (process_bench.c): the cost of one brrt_process_collect
 * (the process_* metrics' refresh), median over reps of n collections each. */
#include "process_bench.h"

#include "bench_time.h"

#include "brrtstat/process.h"

#include <stdio.h>
#include <stdlib.h>

void process_bench_run(brrt_seg *seg, unsigned n, unsigned long long reps)
{
    brrt_process_collector *pc;
    if (brrt_process_collector_start(seg, 0, &pc) != 0) {
        fprintf(stderr, "brrt-bench: process collector failed to start\n");
        return;
    }
    double *v = calloc(reps, sizeof *v);
    for (unsigned long long r = 0; v && r < reps; r++) {
        uint64_t t0 = now_ns();
        for (unsigned i = 0; i < n; i++)
            brrt_process_collect(pc);
        v[r] = (double)(now_ns() - t0) / n;
    }
    if (v) {
        double m = median_of(v, reps);
        printf("%-28s %8.0f   (%.4f %% of one core at the default 1 s interval)\n",
               "process_collect", m, m / 1e9 * 100);
    }
    free(v);
    brrt_process_collector_stop(pc);
}
