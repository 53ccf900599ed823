/* brrt-watch-writer: a writer with chosen levels, for tests/integration/test_watch.sh (the
 * brrt-stat-watch TUI in tmux). Every metric comes from the catalog (brrtstat/catalog.h).
 *
 * Usage: brrt-watch-writer --segment NAME [--cpu P[,P...]] [--stack P[,P...]] [--rps N]
 *                          [--seconds S]
 *
 * Prints "ready" once the segment is filled, then until SIGTERM/SIGINT or --seconds (default
 * 120), every 5 ms:
 *   process_cpu_seconds_total   grows at the current --cpu level, in % of one core: the TUI's
 *                               CPU gauge reads that level (default 10)
 *   brrtrouter_coroutine_stack_used_bytes  the current --stack level, in % of the configured
 *                               brrtrouter_coroutine_stack_bytes = 65536 (default 10)
 *   brrtrouter_requests_total   --rps responses per second (default 200): of every 25, one is
 *                               path="/pets" status="500" (4 % errors, 5xx), two are
 *                               path="/pets/{id}" status="404" (8 % client errors), the others
 *                               status="200"
 *   brrtrouter_request_duration_seconds  one observation per response: 4 of 5 are 1 ms, 1 of
 *                               5 is 20 ms, so p50 = 1 ms and p90 = p95 = p99 = 20 ms
 * SIGUSR1 moves --cpu and --stack to their next level (the last one stays) and prints
 * "level N". Constant: RSS 100 MiB, heap 40 MiB, VSS 1 GiB, memory limit 200 MiB (50 %),
 * CPU limit 2 cores, 10 of 1024 fds, 2 active requests. */
#include "brrtstat/brrtstat.h"
#include "brrtstat/catalog.h"
#include "brrtstat/process.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LEVELS 16

static volatile sig_atomic_t stop, next_level;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    next_level++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_levels(const char *s, double *out)
{
    int n = 0;
    char *end;
    while (n < MAX_LEVELS) {
        out[n++] = strtod(s, &end);
        if (end == s || (*end && *end != ','))
            return -1;
        if (!*end)
            return n;
        s = end + 1;
    }
    return -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: brrt-watch-writer --segment NAME [--cpu P[,P...]] [--stack P[,P...]] [--rps N] [--seconds S]\n");
    return 2;
}

static brrt_family *reg(brrt_seg *seg, enum brrt_metric_id id, const double *le, uint32_t n_le)
{
    brrt_family *f = NULL;
    int rc = brrt_catalog_register(seg, brrt_catalog[id].name, le, n_le, &f);
    if (rc) {
        fprintf(stderr, "brrt-watch-writer: %s: %s\n", brrt_catalog[id].name, brrt_strerror(rc));
        exit(1);
    }
    return f;
}

static brrt_gauge gauge(brrt_seg *seg, enum brrt_metric_id id, double v)
{
    brrt_gauge g = {0};
    brrt_gauge_get(reg(seg, id, NULL, 0), NULL, &g);
    brrt_gauge_set(g, v);
    return g;
}

int main(int argc, char **argv)
{
    const char *name = NULL;
    double cpu[MAX_LEVELS] = {10}, stack[MAX_LEVELS] = {10}, rps = 200, seconds = 120;
    int n_cpu = 1, n_stack = 1;
    for (int i = 1; i < argc; i += 2) { /* --flag value pairs */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (strcmp(argv[i], "--segment") == 0)
            name = v;
        else if (strcmp(argv[i], "--cpu") == 0)
            n_cpu = parse_levels(v, cpu);
        else if (strcmp(argv[i], "--stack") == 0)
            n_stack = parse_levels(v, stack);
        else if (strcmp(argv[i], "--rps") == 0)
            rps = atof(v);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(v);
        else
            return usage();
    }
    if (!name || n_cpu < 1 || n_stack < 1 || !(rps >= 0) || !(seconds > 0))
        return usage();

    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.heartbeat_ms = 250;
    brrt_seg *seg;
    int rc = brrt_seg_create(name, &o, &seg);
    if (rc) {
        fprintf(stderr, "brrt-watch-writer: %s: %s\n", name, brrt_strerror(rc));
        return 1;
    }
    static const double le[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
    brrt_gauge g_cpu = gauge(seg, BRRT_M_CPU_SECONDS, 0);
    brrt_gauge g_used = gauge(seg, BRRT_M_STACK_USED_BYTES, 65536 * stack[0] / 100);
    gauge(seg, BRRT_M_STACK_BYTES, 65536);
    gauge(seg, BRRT_M_MEMORY_RSS, 100 << 20);
    gauge(seg, BRRT_M_MEMORY_HEAP, 40 << 20);
    gauge(seg, BRRT_M_MEMORY_VSS, 1 << 30);
    gauge(seg, BRRT_M_MEMORY_LIMIT, 200 << 20);
    gauge(seg, BRRT_M_CPU_LIMIT, 2);
    gauge(seg, BRRT_M_OPEN_FDS, 10);
    gauge(seg, BRRT_M_MAX_FDS, 1024);
    brrt_family *freq = reg(seg, BRRT_M_REQUESTS_TOTAL, NULL, 0);
    brrt_counter ok = {0}, err = {0}, missing = {0};
    brrt_counter_get(freq, BRRT_LABELS("/pets", "200"), &ok);
    brrt_counter_get(freq, BRRT_LABELS("/pets", "500"), &err);
    brrt_counter_get(freq, BRRT_LABELS("/pets/{id}", "404"), &missing);
    brrt_histogram h = {0};
    brrt_histogram_get(reg(seg, BRRT_M_REQUEST_DURATION, le, 9), BRRT_LABELS("/pets"), &h);
    brrt_updown active = {0};
    brrt_updown_get(reg(seg, BRRT_M_ACTIVE_REQUESTS, NULL, 0), NULL, &active);
    brrt_updown_add(active, 2);

    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("ready\n");
    fflush(stdout);

    double t0 = now_s(), last = t0, cpu_s = 0;
    uint64_t sent = 0;
    int level = 0, seen_level = 0;
    while (!stop) {
        double t = now_s();
        if (t - t0 >= seconds)
            break;
        if (next_level != seen_level) {
            seen_level = next_level;
            level++;
            brrt_gauge_set(g_used, 65536 * stack[level < n_stack ? level : n_stack - 1] / 100);
            printf("level %d\n", level);
            fflush(stdout);
        }
        cpu_s += (t - last) * cpu[level < n_cpu ? level : n_cpu - 1] / 100;
        last = t;
        brrt_gauge_set(g_cpu, cpu_s);
        for (uint64_t target = (uint64_t)(rps * (t - t0)); sent < target; sent++) {
            brrt_counter_inc(sent % 25 == 24 ? err : sent % 25 >= 22 ? missing : ok);
            brrt_histogram_observe(h, sent % 5 == 4 ? 0.020 : 0.001);
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    brrt_seg_close(seg, 0);
    return 0;
}
