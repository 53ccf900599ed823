/* brrt-bench-scrape: the exporter's scrape without HTTP. segset_scrape (tools/export/segset.c,
 * compiled in: snapshot, text render, self-metrics) of one segment into a reused buffer, in a
 * loop; prints the CPU time per scrape (this thread's, CLOCK_THREAD_CPUTIME_ID: other
 * processes' time slices are not charged), the median of 11 reps of at least 50 ms each.
 * bench/export_bench.sh runs it next to its HTTP rounds (export_<scenario>_scrape_loop_us).
 * Usage: brrt-bench-scrape --segment NAME   (in $BRRT_STAT_DIR) */
#include "segset.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPS 11
#define REP_NS 50000000ull /* at least this much CPU per rep */

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"segment", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    const char *segment = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "s:", lo, NULL)) != -1)
        if (c == 's')
            segment = optarg;
    if (!segment || optind != argc) {
        fprintf(stderr, "usage: brrt-bench-scrape --segment NAME\n");
        return 2;
    }
    struct segset set;
    if (segset_init(&set, segment, false) != 0)
        return 1;
    struct brrt_buf b = {0};
    for (int i = 0; i < 100; i++) { /* attach, build the caches, warm up */
        brrt_buf_reset(&b);
        segset_scrape(&set, &b, SEGSET_TEXT);
    }
    if (b.failed || !set.e[0].up) {
        fprintf(stderr, "brrt-bench-scrape: segment %s is not up\n", segment);
        return 1;
    }
    double us[REPS];
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = cpu_ns(), t = t0, n = 0;
        while (t - t0 < REP_NS) {
            for (int i = 0; i < 100; i++) {
                brrt_buf_reset(&b);
                segset_scrape(&set, &b, SEGSET_TEXT);
            }
            n += 100;
            t = cpu_ns();
        }
        us[r] = (double)(t - t0) / 1e3 / (double)n;
    }
    qsort(us, REPS, sizeof us[0], cmp_double);
    printf("scrape_loop_us %.2f (min %.2f, max %.2f; %zu-byte body)\n", us[REPS / 2], us[0], us[REPS - 1], b.len);
    brrt_buf_free(&b);
    segset_free(&set);
    return 0;
}
