/* brrt-bench's registration case (register_bench.c): the cost of one brrt_family_register
 * when a segment already holds few families and when it holds many. Registration is the slow
 * path, but it must not grow with the number of families (issue 12: a name check that scans
 * every family made 10,000 registrations cost O(N^2)). */
#include "register_bench.h"

#include "bench_time.h"

#include "brrtstat/brrtstat.h"

#include <stdio.h>
#include <stdlib.h>

#define BLOCK 500 /* registrations timed per block: the first and the last of each rep */

/* Registers n families named reg_<rep>_<i>_total into a fresh segment; writes the CPU ns per
 * registration of the first and the last BLOCK into first/last. Returns 0 or a BRRT_E_*. */
static int one_rep(const char *dir, unsigned n, unsigned rep, double *first, double *last)
{
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = dir;
    o.mode = 0600;
    o.heartbeat_ms = 0;
    o.max_entries = n + 16;
    o.arena_bytes = (uint64_t)n * 96 + 65536;
    brrt_seg *seg;
    int rc = brrt_seg_create("brrt-bench-register", &o, &seg);
    if (rc)
        return rc;
    char name[64];
    uint64_t t0 = 0;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        if (i == 0 || i == n - BLOCK)
            t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        snprintf(name, sizeof name, "reg_%u_%u_total", rep, i);
        struct brrt_metric_def d = {.name = name, .help = "registration bench", .type = BRRT_COUNTER};
        brrt_family *f;
        rc = brrt_family_register(seg, &d, &f);
        if (i == BLOCK - 1)
            *first = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / BLOCK;
        if (i == n - 1)
            *last = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / BLOCK;
    }
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    return rc;
}

int register_bench_run(const char *dir, unsigned n, unsigned long long reps)
{
    if (n < 2 * BLOCK)
        n = 2 * BLOCK;
    double *first = calloc(reps, sizeof *first), *last = calloc(reps, sizeof *last);
    int rc = first && last ? 0 : 1;
    for (unsigned long long r = 0; rc == 0 && r < reps; r++)
        rc = one_rep(dir, n, (unsigned)r, &first[r], &last[r]);
    if (rc) {
        fprintf(stderr, "brrt-bench: family registration: %s\n", rc == 1 ? "out of memory" : brrt_strerror(rc));
    } else {
        char a[64], b[64];
        snprintf(a, sizeof a, "register_family_first%u", BLOCK);
        snprintf(b, sizeof b, "register_family_last%u_of_%u", BLOCK, n);
        double mf = median_of(first, reps), ml = median_of(last, reps);
        printf("%-28s %8.0f\n%-28s %8.0f   (%.2fx the first)\n", a, mf, b, ml, ml / mf);
    }
    free(first);
    free(last);
    return rc != 0;
}
