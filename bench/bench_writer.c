/* brrt-bench-writer: holds a big segment for bench/export_bench.sh.
 * Usage: brrt-bench-writer --segment NAME (--histograms N | --counters N) [--threads T]
 *                          [--seconds S]   (--help, --version)
 * Creates NAME in $BRRT_STAT_DIR: N labelled histogram series (9 le bounds) or counters, each
 * updated by each of T writer threads (default 1), prints "ready", then keeps the segment
 * (heartbeat running) until SIGTERM/SIGINT or S seconds (default 600). */
#include "bench_segment.h"
#include "cli_opts.h"

#include <getopt.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: brrt-bench-writer --segment NAME (--histograms N | --counters N) [--threads T]\n"
               "                         [--seconds S]\n"
               "       brrt-bench-writer --help | --version\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"segment", required_argument, NULL, 's'}, {"histograms", required_argument, NULL, 'H'},
        {"counters", required_argument, NULL, 'c'}, {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 'S'},  {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0}};
    const char *name = NULL;
    long series = 0, threads = 1, seconds = 600;
    bool hist = false;
    int opt;
    cli_prog = "brrt-bench-writer";
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (opt) {
        case 's': name = optarg; break;
        case 'H': series = strtol(optarg, NULL, 10), hist = true; break;
        case 'c': series = strtol(optarg, NULL, 10); break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'S': seconds = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return BRRT_EXIT_OK;
        case 'V': return cli_version("brrt-bench-writer");
        default: return cli_option_error(opt, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    if (!name || series < 1 || series > 1000000 || threads < 1 || threads > 256 || seconds < 1) {
        usage(stderr);
        return BRRT_EXIT_USAGE;
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
