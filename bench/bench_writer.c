/* brrt-bench-writer: holds a big segment for bench/export_bench.sh.
 * Usage: brrt-bench-writer --segment NAME (--histograms N | --counters N) [--threads T]
 *                          [--seconds S]
 * Creates NAME in $BRRT_STAT_DIR: N labelled histogram series (9 le bounds) or counters, each
 * updated by each of T writer threads (default 1), prints "ready", then keeps the segment
 * (heartbeat running) until SIGTERM/SIGINT or S seconds (default 600). */
#include "bench_segment.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *name = NULL;
    long series = 0, threads = 1, seconds = 600;
    bool hist = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--segment") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--histograms") == 0)
            series = strtol(argv[i + 1], NULL, 10), hist = true;
        else if (strcmp(argv[i], "--counters") == 0)
            series = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtol(argv[i + 1], NULL, 10);
    }
    if (!name || series < 1 || series > 1000000 || threads < 1 || threads > 256 || seconds < 1) {
        fprintf(stderr, "usage: brrt-bench-writer --segment NAME (--histograms N | --counters N) "
                        "[--threads T] [--seconds S]\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    brrt_seg *seg = bench_segment(NULL, name, hist, (uint32_t)series, (uint32_t)threads, 1000);
    printf("ready\n");
    fflush(stdout);
    for (long t = 0; t < seconds * 10 && !stop; t++)
        usleep(100000);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    return 0;
}
