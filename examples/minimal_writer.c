/* brrt-example: the smallest useful instrumented program. Worker threads "serve requests"
 * (a bounded busy loop of random cost) and publish brrtrouter-style metrics; once a second the
 * main thread reads the segment back through the reader library, as another process would,
 * and prints a line. Stand-in for brrt-demo until that lands.
 * Usage: brrt-example [--segment NAME] [--duration SECONDS] [--threads N] | --help | --version */
#include "brrtstat/brrtstat.h"
#include "brrtstat/reader.h"
#include "cli_opts.h"

#include <getopt.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Classic bounds for a Prometheus without native histograms: from microseconds, where a fast
 * service lives (docs/dashboard.md, "Native histograms and the classic fallback"). */
static const double LE[] = {5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
                            0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const char *const ROUTES[] = {"/pets", "/pets/{id}", "/users/{id}/orders", "/health"};
static volatile sig_atomic_t stop;

struct app {
    brrt_family *requests;
    brrt_histogram duration;
    brrt_updown active;
};

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
    struct app *app = arg;
    uint64_t x = now_ns() | 1;
    while (!stop) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *route = ROUTES[x % 4];
        const char *status = (x >> 8) % 50 == 0 ? "500" : ((x >> 8) % 20 == 0 ? "404" : "200");
        brrt_updown_add(app->active, 1);
        uint64_t t0 = now_ns();
        volatile double work = 0;
        for (uint64_t i = 0, n = 2000 + (x >> 20) % 200000; i < n; i++)
            work += sqrt((double)i);
        (void)work;
        brrt_histogram_observe_raw(app->duration, now_ns() - t0);
        brrt_counter c;
        brrt_counter_get(app->requests, BRRT_LABELS(route, status), &c);
        brrt_counter_inc(c);
        brrt_updown_add(app->active, -1);
        usleep(200);
    }
    return NULL;
}

static void report(brrt_reader *r)
{
    struct brrt_snapshot *s;
    if (brrt_reader_snapshot(r, &s) != 0) {
        fprintf(stderr, "snapshot: %s\n", brrt_reader_why(r));
        return;
    }
    const struct brrt_snap_family *req = brrt_snapshot_family(s, "brrtrouter_requests_total");
    const struct brrt_snap_family *dur = brrt_snapshot_family(s, "brrtrouter_request_duration_seconds");
    uint64_t total = 0, errors = 0;
    for (uint32_t i = 0; req && i < req->n_series; i++) {
        const struct brrt_snap_series *x = &s->series[req->first_series + i];
        total += x->u64;
        errors += x->label_values[1][0] == '5' ? x->u64 : 0;
    }
    const struct brrt_snap_series *d = dur ? &s->series[dur->first_series] : NULL;
    printf("requests %8llu  5xx %6llu  p50 %7.3f ms  p99 %7.3f ms  series %u  writer %s\n",
           (unsigned long long)total, (unsigned long long)errors,
           d ? brrt_hist_quantile(dur, d->fine, 0.5) * 1e3 : NAN,
           d ? brrt_hist_quantile(dur, d->fine, 0.99) * 1e3 : NAN, s->n_series,
           brrt_writer_state_name(s->info.state));
    fflush(stdout);
    brrt_snapshot_free(s);
}

int main(int argc, char **argv)
{
    const char *name = "example";
    int duration = 10, threads = 2;
    static const struct option lo[] = {
        {"segment", required_argument, NULL, 's'}, {"duration", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0}};
    int c;
    cli_prog = "brrt-example";
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case 's': name = optarg; break;
        case 'd': duration = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'h':
            printf("usage: brrt-example [--segment NAME] [--duration S] [--threads N]\n"
                   "       brrt-example --help | --version\n");
            return 0;
        case 'V': return cli_version("brrt-example");
        default: return cli_option_error(c, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    if (threads < 1 || threads > 64 || duration < 1) {
        fprintf(stderr, "brrt-example: --threads must be 1..64 and --duration >= 1\n");
        return 2;
    }
    brrt_seg *seg;
    int rc = brrt_seg_create(name, NULL, &seg);
    if (rc) {
        fprintf(stderr, "brrt-example: cannot create segment %s: %s\n", name, brrt_strerror(rc));
        return 1;
    }
    struct app app;
    brrt_family *fd, *fa;
    struct brrt_metric_def dr = {.name = "brrtrouter_requests_total", .help = "Responses sent",
                                 .type = BRRT_COUNTER,
                                 .label_names = (const char *const[]){"path", "status"}, .nlabels = 2};
    struct brrt_metric_def dd = {.name = "brrtrouter_request_duration_seconds",
                                 .help = "Request duration", .unit = "seconds",
                                 .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = LE,
                                 .n_le = sizeof LE / sizeof LE[0]};
    struct brrt_metric_def da = {.name = "brrtrouter_active_requests", .help = "In-flight requests",
                                 .type = BRRT_UPDOWN};
    if (brrt_family_register(seg, &dr, &app.requests) || brrt_family_register(seg, &dd, &fd) ||
        brrt_family_register(seg, &da, &fa) || brrt_histogram_get(fd, NULL, &app.duration) ||
        brrt_updown_get(fa, NULL, &app.active)) {
        fprintf(stderr, "brrt-example: registration failed\n");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("segment %s (generation %llu); %d worker threads for %d s\n", brrt_seg_path(seg),
           (unsigned long long)brrt_seg_generation(seg), threads, duration);
    pthread_t t[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, &app);
    brrt_reader *r;
    char why[256];
    if (brrt_reader_open(brrt_seg_path(seg), &r, why, sizeof why) != 0) {
        fprintf(stderr, "brrt-example: %s\n", why);
        stop = 1;
    }
    for (int s = 0; s < duration && !stop; s++) {
        sleep(1);
        report(r);
    }
    stop = 1;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    return 0;
}
