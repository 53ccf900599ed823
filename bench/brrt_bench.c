/* brrt-bench: cost of the libbrrtstat writer hot path, against the cheapest possible baselines.
 *
 * Links the SHARED libbrrtstat, as an instrumented application would, so the inline fast paths
 * of brrtstat.h are compiled into this program and reach brrt__tls_cache across the DSO
 * boundary (initial-exec TLS), exactly like in an application.
 *
 * Output (stdout), one line per case:   <case> <median ns/op> <min> <max> <x baseline>
 *   ns/op is per thread: wall time of the timed region (first thread start to last thread end,
 *   threads released together by a spin barrier) divided by the ops each thread did. With
 *   --cpu-time: the CPU time of the slowest thread's timed region (CLOCK_THREAD_CPUTIME_ID)
 *   divided by its ops. When more threads are runnable than there are CPUs, wall time also
 *   counts the time slices other processes took in the middle of a rep (with 5 ms reps on a
 *   loaded 2-CPU machine, most reps); CPU time does not, though caches other processes
 *   polluted and a busy host sibling hyperthread still show. Two threads' contention shows in
 *   CPU time only while both actually run.
 *   <x baseline> is the median divided by the median of baseline_tls_inc with the same number
 *   of threads. Then summary lines `<name> <ratio of medians> <median of per-rep ratios>`:
 *   ratio_counter_vs_tls, ratio_observe_vs_tls (and _2t), ratio_overcap_vs_atomic (and _2t:
 *   threads without a private shard vs the same threads doing a relaxed atomic add on one
 *   shared word) and the 2-thread vs 1-thread per-op ratios (scaling_*; 1.00 = no loss per
 *   thread). alternate_segments_inc_1t is one thread updating two segments in turn (both stay
 *   in the thread's two-pair TLS cache: inline); rotate3_segments_inc_1t three in turn (every
 *   update misses that cache and takes the slow path: a scan of the thread's shard list). The
 *   per-rep ratio pairs two numbers measured back to back, so it survives the machine drifting
 *   between fast and slow phases better.
 * Repetitions of all cases are interleaved (rep 1 of every case, then rep 2, ...) so that the
 * machine's slow phases hit every case alike; each case reports the median over its reps.
 * stderr gets the configuration and how much CPU other processes took during the run.
 * The segment runs without its heartbeat thread (heartbeat_ms = 0): on a 2-CPU machine it
 * would only add noise, and it never touches the update path. */
#include "brrtstat/brrtstat.h"
#include "cli_opts.h"

#include "bench_time.h"
#include "process_bench.h"
#include "register_bench.h"
#include "read_bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_REPS 11
#define DEFAULT_OPS 20000000ull /* cheap cases; the lookup cases do ops / LOOKUP_DIVISOR */
#define LOOKUP_DIVISOR 10
#define QUICK_OPS 200000ull
#define QUICK_REPS 3
#define MAX_THREADS 2
#define N_LABEL_SETS 16
#define N_VALUES 4096 /* precomputed histogram values: 32 KiB, stays in L1/L2 */

/* ---- the things being measured --------------------------------------------------------- */

static __thread uint64_t tls_x;
static uint64_t shared_x __attribute__((aligned(64)));

static brrt_counter g_counter;
static brrt_counter g_other;   /* in a second segment: alternating updates */
static brrt_counter g_third;   /* in a third one: rotating updates */
static brrt_counter g_overcap; /* in a segment whose only private shard main holds */
static brrt_family *g_labelled;
static brrt_histogram g_hist;
static const char *g_sets[N_LABEL_SETS][2];
static uint64_t g_values[N_VALUES];

/* Each kernel is noinline so that its loop is easy to find in `objdump -d`. */
__attribute__((noinline)) static void kern_tls_inc(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) /* same load+add+store as brrt__bump, minus the lookup */
        __atomic_store_n(&tls_x, __atomic_load_n(&tls_x, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static void kern_atomic_shared(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        __atomic_fetch_add(&shared_x, 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static void kern_counter_inc(brrt_counter c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        brrt_counter_inc(c);
}

__attribute__((noinline)) static int kern_lookup_inc(brrt_family *f, uint64_t n)
{
    int bad = 0;
    for (uint64_t i = 0; i < n; i++) {
        const char *const *s = g_sets[i % N_LABEL_SETS];
        brrt_counter c;
        bad |= brrt_counter_get(f, BRRT_LABELS(s[0], s[1]), &c);
        brrt_counter_inc(c);
    }
    return bad;
}

/* kern_counter_inc's twin for the over-cap case, so that objdump and callgrind
 * (--toggle-collect=kern_overcap_inc) see it apart from the fast path. The empty asm (no
 * instruction) keeps gcc's identical-code folding from merging the two. */
__attribute__((noinline)) static void kern_overcap_inc(brrt_counter c, uint64_t n)
{
    __asm__ volatile("# kern_overcap_inc");
    for (uint64_t i = 0; i < n; i++)
        brrt_counter_inc(c);
}

/* One update per op, every op to the other segment than the last. */
__attribute__((noinline)) static void kern_alternate(brrt_counter a, brrt_counter b, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += 2) {
        brrt_counter_inc(a);
        brrt_counter_inc(b);
    }
}

/* One update per op, three segments in turn: each op's segment is not among the last two. */
__attribute__((noinline)) static void kern_rotate3(brrt_counter a, brrt_counter b, brrt_counter c,
                                                   uint64_t n)
{
    for (uint64_t i = 0; i < n; i += 3) {
        brrt_counter_inc(a);
        brrt_counter_inc(b);
        brrt_counter_inc(c);
    }
}

__attribute__((noinline)) static void kern_observe(brrt_histogram h, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        brrt_histogram_observe_raw(h, g_values[i % N_VALUES]);
}

enum kind { K_TLS, K_ATOMIC, K_COUNTER, K_LOOKUP, K_OBSERVE, K_ALTERNATE, K_ROTATE3, K_OVERCAP };

struct bench_case {
    const char *name;
    enum kind kind;
    int threads;
    double *ns;     /* one result per rep, in rep order */
    double *sorted; /* the same, sorted */
    double median, min, max;
};

#define CASE(nm, k, t) {nm, k, t, NULL, NULL, 0, 0, 0}
static struct bench_case cases[] = {
    CASE("baseline_tls_inc_1t", K_TLS, 1),
    CASE("baseline_tls_inc_2t", K_TLS, 2),
    CASE("baseline_atomic_shared_1t", K_ATOMIC, 1),
    CASE("baseline_atomic_shared_2t", K_ATOMIC, 2),
    CASE("counter_inc_1t", K_COUNTER, 1),
    CASE("counter_inc_2t", K_COUNTER, 2),
    CASE("labelled_lookup_inc_1t", K_LOOKUP, 1),
    CASE("labelled_lookup_inc_2t", K_LOOKUP, 2),
    CASE("histogram_observe_1t", K_OBSERVE, 1),
    CASE("histogram_observe_2t", K_OBSERVE, 2),
    CASE("alternate_segments_inc_1t", K_ALTERNATE, 1),
    CASE("rotate3_segments_inc_1t", K_ROTATE3, 1),
    CASE("overcap_inc_1t", K_OVERCAP, 1),
    CASE("overcap_inc_2t", K_OVERCAP, 2),
};
#define N_CASES (sizeof cases / sizeof cases[0])

static struct bench_case *find(const char *name);

/* Execution order within a rep: each brrtstat case right after the baseline it is compared
 * with, so that a ratio's two numbers come from the same few tens of milliseconds. */
static const char *const run_order[N_CASES] = {
    "baseline_tls_inc_1t", "counter_inc_1t", "histogram_observe_1t",
    "baseline_tls_inc_2t", "counter_inc_2t", "histogram_observe_2t",
    "labelled_lookup_inc_1t", "labelled_lookup_inc_2t",
    "alternate_segments_inc_1t", "rotate3_segments_inc_1t",
    "baseline_atomic_shared_1t", "overcap_inc_1t", "baseline_atomic_shared_2t", "overcap_inc_2t",
};

/* ---- threads ------------------------------------------------------------------------- */

uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

struct run {
    enum kind kind;
    uint64_t ops;
    int threads;
    unsigned arrived; /* spin barrier */
    int failed;       /* a lookup failed or an update missed its thread's shard */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct worker {
    struct run *run;
    uint64_t t0, t1; /* wall */
    uint64_t c0, c1; /* the thread's CPU time */
};

static int g_cpu_time; /* --cpu-time */

/* Untimed warm-up: the thread's first update takes a shard (under the segment lock). */
static void warm_up(enum kind k)
{
    switch (k) {
    case K_TLS:
        kern_tls_inc(1);
        break;
    case K_ATOMIC:
        kern_atomic_shared(1);
        break;
    case K_COUNTER:
    case K_LOOKUP:
        kern_counter_inc(g_counter, 1);
        break;
    case K_OBSERVE:
        kern_observe(g_hist, 1);
        break;
    case K_ALTERNATE:
        kern_alternate(g_counter, g_other, 2);
        break;
    case K_ROTATE3:
        kern_rotate3(g_counter, g_other, g_third, 3);
        break;
    case K_OVERCAP:
        kern_overcap_inc(g_overcap, 1);
        break;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    int bad = 0;
    warm_up(r->kind);
    __atomic_fetch_add(&r->arrived, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&r->arrived, __ATOMIC_ACQUIRE) < (unsigned)r->threads)
        cpu_relax();
    w->t0 = now_ns();
    w->c0 = g_cpu_time ? clock_ns(CLOCK_THREAD_CPUTIME_ID) : 0;
    switch (r->kind) {
    case K_TLS:
        kern_tls_inc(r->ops);
        break;
    case K_ATOMIC:
        kern_atomic_shared(r->ops);
        break;
    case K_COUNTER:
        kern_counter_inc(g_counter, r->ops);
        break;
    case K_LOOKUP:
        bad = kern_lookup_inc(g_labelled, r->ops) != 0;
        break;
    case K_OBSERVE:
        kern_observe(g_hist, r->ops);
        break;
    case K_ALTERNATE:
        kern_alternate(g_counter, g_other, r->ops);
        break;
    case K_ROTATE3:
        kern_rotate3(g_counter, g_other, g_third, r->ops);
        break;
    case K_OVERCAP:
        kern_overcap_inc(g_overcap, r->ops);
        break;
    }
    w->c1 = g_cpu_time ? clock_ns(CLOCK_THREAD_CPUTIME_ID) : 0;
    w->t1 = now_ns();
    /* The path meant was taken: this thread owns a shard of the segment (of the last one
     * updated and the one before it, when alternating or rotating), or none at all (over cap). */
    if (r->kind >= K_COUNTER && r->kind <= K_OBSERVE && brrt__tls_cache.tag != g_counter.tag)
        bad = 1;
    if ((r->kind == K_ALTERNATE &&
         (brrt__tls_cache.tag != g_other.tag || brrt__tls_cache.tag2 != g_counter.tag)) ||
        (r->kind == K_ROTATE3 &&
         (brrt__tls_cache.tag != g_third.tag || brrt__tls_cache.tag2 != g_other.tag)) ||
        (r->kind == K_OVERCAP && brrt__tls_cache.tag == g_overcap.tag))
        bad = 1;
    if (bad)
        __atomic_store_n(&r->failed, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Multi-thread cases put each thread on its own CPU of the allowed set (when there are enough):
 * otherwise a short rep can end before the scheduler spreads the threads, and the two threads
 * then take turns on one CPU, which looks like a 2x loss per thread. 1-thread cases float. */
static int g_pin = 1;
static int pin_cpu[MAX_THREADS];

static void plan_pinning(void)
{
    cpu_set_t allowed;
    int n = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        for (int cpu = 0; cpu < CPU_SETSIZE && n < MAX_THREADS; cpu++)
            if (CPU_ISSET(cpu, &allowed))
                pin_cpu[n++] = cpu;
    if (n < MAX_THREADS)
        g_pin = 0;
}

/* Returns ns per op per thread for one repetition, or a negative value on failure. */
static double run_once(const struct bench_case *c, uint64_t ops)
{
    struct run r = {c->kind, ops, c->threads, 0, 0};
    struct worker w[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < c->threads; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (g_pin && c->threads > 1) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(pin_cpu[i], &one);
            pthread_attr_setaffinity_np(&attr, sizeof one, &one);
        }
        w[i].run = &r;
        int e = pthread_create(&t[i], &attr, worker_main, &w[i]);
        pthread_attr_destroy(&attr);
        if (e) {
            fprintf(stderr, "brrt-bench: pthread_create: %s\n", strerror(e));
            exit(1);
        }
    }
    for (int i = 0; i < c->threads; i++)
        pthread_join(t[i], NULL);
    if (r.failed)
        return -1.0;
    if (g_cpu_time) {
        uint64_t cpu = 0;
        for (int i = 0; i < c->threads; i++)
            cpu = w[i].c1 - w[i].c0 > cpu ? w[i].c1 - w[i].c0 : cpu;
        return (double)cpu / (double)ops;
    }
    uint64_t start = w[0].t0, end = w[0].t1;
    for (int i = 1; i < c->threads; i++) {
        start = w[i].t0 < start ? w[i].t0 : start;
        end = w[i].t1 > end ? w[i].t1 : end;
    }
    return (double)(end - start) / (double)ops;
}

/* ---- setup ----------------------------------------------------------------------------- */

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Log-uniform in [1e3, 1e9] ns (1 us .. 1 s): spans the fine buckets and all le buckets up to
 * 1 s, as request latencies would; kept in a table so the RNG is not measured. */
static void make_values(void)
{
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < N_VALUES; i++) {
        double u = (double)(xorshift64(&s) >> 11) / 9007199254740992.0; /* [0, 1) */
        g_values[i] = (uint64_t)(1e3 * pow(10.0, 6.0 * u));
    }
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "brrt-bench: %s: %s\n", what, brrt_strerror(rc));
    exit(1);
}

/* A segment with one counter family: bench_ops_total. */
static brrt_seg *counter_segment(const char *dir, const char *name, uint32_t max_shards,
                                 brrt_counter *c)
{
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = dir;
    o.mode = 0600;
    o.heartbeat_ms = 0; /* no background thread competing for the 2 cores */
    if (max_shards)
        o.max_shards = max_shards;
    brrt_seg *seg;
    brrt_family *f;
    int rc = brrt_seg_create(name, &o, &seg);
    if (rc)
        die("brrt_seg_create", rc);
    struct brrt_metric_def d = {.name = "bench_ops_total", .help = "bench ops", .type = BRRT_COUNTER};
    if ((rc = brrt_family_register(seg, &d, &f)) || (rc = brrt_counter_get(f, NULL, c)))
        die("counter", rc);
    return seg;
}

/* The second and third segments of the alternating and rotating cases, and the over-cap one:
 * 2 shards (the shared one and a private one, which the main thread takes and keeps, so every
 * bench thread is over). */
static brrt_seg *g_seg_other, *g_seg_third, *g_seg_overcap;

static brrt_seg *setup(const char *dir)
{
    brrt_seg *seg = counter_segment(dir, "brrt-bench", 0, &g_counter);
    g_seg_other = counter_segment(dir, "brrt-bench-other", 0, &g_other);
    g_seg_third = counter_segment(dir, "brrt-bench-third", 0, &g_third);
    g_seg_overcap = counter_segment(dir, "brrt-bench-overcap", 2, &g_overcap);
    brrt_counter_inc(g_overcap);

    int rc;
    brrt_family *f;
    struct brrt_metric_def d;

    static const char *const lnames[] = {"path", "status"};
    d = (struct brrt_metric_def){.name = "bench_requests_total", .help = "bench requests",
                                 .type = BRRT_COUNTER, .label_names = lnames, .nlabels = 2};
    if ((rc = brrt_family_register(seg, &d, &g_labelled)))
        die("labelled counter", rc);
    static const char *const paths[] = {"/", "/pets", "/pets/{id}", "/users/{id}/orders"};
    static const char *const status[] = {"200", "304", "404", "500"};
    for (int i = 0; i < N_LABEL_SETS; i++) {
        brrt_counter c;
        g_sets[i][0] = paths[i % 4];
        g_sets[i][1] = status[i / 4];
        if ((rc = brrt_counter_get(g_labelled, g_sets[i], &c)))
            die("labelled series", rc);
    }

    static const double le[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
    d = (struct brrt_metric_def){.name = "bench_latency_seconds", .help = "bench latency",
                                 .unit = "seconds", .type = BRRT_HISTOGRAM, .scale = 1e-9,
                                 .le = le, .n_le = sizeof le / sizeof le[0]};
    if ((rc = brrt_family_register(seg, &d, &f)) || (rc = brrt_histogram_get(f, NULL, &g_hist)))
        die("histogram", rc);
    make_values();
    return seg;
}

/* ---- background load -------------------------------------------------------------------- */

/* CPU time (ns) all CPUs spent busy, from /proc/stat; 0 if unreadable. */
static uint64_t machine_busy_ns(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return 0;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* not idle, iowait */
    return (uint64_t)(busy * (1000000000.0 / (double)sysconf(_SC_CLK_TCK)));
}

static uint64_t self_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* ---- main -------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct bench_case *find(const char *name)
{
    for (size_t i = 0; i < N_CASES; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    abort();
}

double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* <name> <median(num) / median(den)> <median over reps of num[r] / den[r]> */
static void print_ratio(const char *name, const char *num, const char *den, size_t reps)
{
    const struct bench_case *a = find(num), *b = find(den);
    double paired[reps];
    for (size_t r = 0; r < reps; r++)
        paired[r] = a->ns[r] / b->ns[r];
    printf("%-30s %7.3f %7.3f\n", name, a->median / b->median, median_of(paired, reps));
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: brrt-bench [--reps R] [--ops N] [--quick] [--segment-dir DIR] [--no-pin]\n"
            "                  [--cpu-time] [--read-only | --no-read]\n"
            "       brrt-bench --help | --version\n"
            "  --reps R           repetitions per case, median reported (default %d)\n"
            "  --ops N            ops per thread per rep for the cheap cases (default %llu);\n"
            "                     the labelled_lookup cases do N/%d\n"
            "  --quick            smoke run: N=%llu, R=%d (a fraction of a second)\n"
            "  --segment-dir DIR  directory for the segment (default: a fresh mkdtemp directory\n"
            "                     under /dev/shm, removed at exit)\n"
            "  --no-pin           do not put the threads of 2-thread cases on distinct CPUs\n"
            "  --cpu-time         writer cases: the slowest thread's CPU time per op, not wall\n"
            "                     time (other processes' time slices not counted)\n"
            "  --read-only        only the read-side cases (snapshot + render, see read_bench.c)\n"
            "  --no-read          only the writer cases\n"
            "output: <case> <median ns/op per thread> <min> <max> <median / baseline_tls_inc\n"
            "        median, same thread count>; then ratio_* and scaling_* lines:\n"
            "        <name> <ratio of the two medians> <median of the per-rep ratios>\n",
            DEFAULT_REPS, DEFAULT_OPS, LOOKUP_DIVISOR, QUICK_OPS, QUICK_REPS);
}

static unsigned long long parse_count(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (!s || errno || *end || v == 0 || s[0] == '-')
        exit(cli_fail(BRRT_EXIT_USAGE, "%s wants a positive integer, not \"%s\"", opt, s ? s : ""));
    return v;
}

/* The process collector's cost per sample (what its thread spends once a second). */
/* The writer cases' lines, the ratios and the process collector's cost. */
static void report(brrt_seg *seg, unsigned long long reps, int quick, uint64_t wall0, uint64_t busy0,
                   uint64_t self0)
{
    uint64_t wall = now_ns() - wall0, busy = machine_busy_ns() - busy0, self = self_cpu_ns() - self0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (busy0 && ncpu > 0) /* how much of the machine other processes took: noise indicator */
        fprintf(stderr, "# %.1f s; other processes used %.0f%% of the %ld CPUs meanwhile\n",
                (double)wall / 1e9,
                busy > self ? 100.0 * (double)(busy - self) / ((double)wall * (double)ncpu) : 0.0,
                ncpu);
    for (size_t i = 0; i < N_CASES; i++) {
        struct bench_case *c = &cases[i];
        memcpy(c->sorted, c->ns, reps * sizeof(double));
        c->median = median_of(c->sorted, reps);
        c->min = c->sorted[0];
        c->max = c->sorted[reps - 1];
    }
    for (size_t i = 0; i < N_CASES; i++) {
        const struct bench_case *c = &cases[i];
        const struct bench_case *base = find(c->threads == 1 ? "baseline_tls_inc_1t" : "baseline_tls_inc_2t");
        printf("%-28s %8.3f %8.3f %8.3f %7.2f\n", c->name, c->median, c->min, c->max,
               c->median / base->median);
    }
    print_ratio("ratio_counter_vs_tls", "counter_inc_1t", "baseline_tls_inc_1t", reps);
    print_ratio("ratio_observe_vs_tls", "histogram_observe_1t", "baseline_tls_inc_1t", reps);
    print_ratio("ratio_counter_vs_tls_2t", "counter_inc_2t", "baseline_tls_inc_2t", reps);
    print_ratio("ratio_observe_vs_tls_2t", "histogram_observe_2t", "baseline_tls_inc_2t", reps);
    print_ratio("ratio_overcap_vs_atomic", "overcap_inc_1t", "baseline_atomic_shared_1t", reps);
    print_ratio("ratio_overcap_vs_atomic_2t", "overcap_inc_2t", "baseline_atomic_shared_2t", reps);
    print_ratio("scaling_counter_inc", "counter_inc_2t", "counter_inc_1t", reps);
    print_ratio("scaling_histogram_observe", "histogram_observe_2t", "histogram_observe_1t", reps);
    print_ratio("scaling_labelled_lookup_inc", "labelled_lookup_inc_2t", "labelled_lookup_inc_1t",
                reps);
    print_ratio("scaling_baseline_tls_inc", "baseline_tls_inc_2t", "baseline_tls_inc_1t", reps);
    print_ratio("scaling_baseline_atomic_shared", "baseline_atomic_shared_2t",
                "baseline_atomic_shared_1t", reps);
    process_bench_run(seg, quick ? 20 : 200, reps);
}

int main(int argc, char **argv)
{
    unsigned long long reps = DEFAULT_REPS, ops = DEFAULT_OPS;
    const char *dir = NULL;
    int quick = 0, have_reps = 0, have_ops = 0, do_read = 1, do_write = 1;
    static const struct option lo[] = {
        {"reps", required_argument, NULL, 'r'},        {"ops", required_argument, NULL, 'o'},
        {"quick", no_argument, NULL, 'q'},             {"segment-dir", required_argument, NULL, 'd'},
        {"no-pin", no_argument, NULL, 'p'},            {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},           {"read-only", no_argument, NULL, 'R'},
        {"no-read", no_argument, NULL, 'W'},           {"cpu-time", no_argument, NULL, 'C'},
        {NULL, 0, NULL, 0}};
    int opt;
    cli_prog = "brrt-bench";
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (opt) {
        case 'h': usage(stdout); return 0;
        case 'V': return cli_version("brrt-bench");
        case 'q': quick = 1; break;
        case 'r': reps = parse_count("--reps", optarg); have_reps = 1; break;
        case 'o': ops = parse_count("--ops", optarg); have_ops = 1; break;
        case 'p': g_pin = 0; break;
        case 'C': g_cpu_time = 1; break;
        case 'd': dir = optarg; break;
        case 'R': do_write = 0; break;
        case 'W': do_read = 0; break;
        default: return cli_option_error(opt, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    if (quick) {
        if (!have_reps)
            reps = QUICK_REPS;
        if (!have_ops)
            ops = QUICK_OPS;
    }
    if (reps > 1000) {
        fprintf(stderr, "brrt-bench: --reps at most 1000\n");
        return 2;
    }

    char tmpdir[] = "/dev/shm/brrt-bench.XXXXXX";
    if (!dir) {
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "brrt-bench: mkdtemp %s: %s\n", tmpdir, strerror(errno));
            return 1;
        }
        dir = tmpdir;
    }
    brrt_seg *seg = setup(dir);
    if (g_pin)
        plan_pinning();
    fprintf(stderr, "# brrt-bench: reps=%llu ops=%llu (lookup %llu) pin=%s clock=%s segment=%s\n",
            reps, ops, ops / LOOKUP_DIVISOR ? ops / LOOKUP_DIVISOR : 1, g_pin ? "yes" : "no",
            g_cpu_time ? "thread-cpu" : "wall", brrt_seg_path(seg));

    for (size_t i = 0; i < N_CASES; i++)
        if (!(cases[i].ns = calloc(reps, sizeof(double))) ||
            !(cases[i].sorted = calloc(reps, sizeof(double))))
            return 1;
    int failed = 0;
    uint64_t wall0 = now_ns(), busy0 = machine_busy_ns(), self0 = self_cpu_ns();
    for (unsigned long long r = 0; do_write && r < reps; r++) {
        for (size_t i = 0; i < N_CASES; i++) {
            struct bench_case *c = find(run_order[i]);
            uint64_t n = c->kind == K_LOOKUP ? ops / LOOKUP_DIVISOR : ops;
            c->ns[r] = run_once(c, n ? n : 1);
            if (c->ns[r] < 0) {
                fprintf(stderr, "brrt-bench: %s: update missed the thread's shard or lookup failed\n",
                        c->name);
                failed = 1;
            }
        }
    }

    if (do_write) {
        report(seg, reps, quick, wall0, busy0, self0);
        failed |= register_bench_run(dir, quick ? 2000 : 10000, reps < 5 ? reps : 5);
    }
    fflush(stdout);
    if (do_read)
        failed |= read_bench_run(dir, (unsigned)reps, quick);

    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    brrt_seg_close(g_seg_other, BRRT_SEG_UNLINK);
    brrt_seg_close(g_seg_third, BRRT_SEG_UNLINK);
    brrt_seg_close(g_seg_overcap, BRRT_SEG_UNLINK);
    if (dir == tmpdir && rmdir(tmpdir) != 0)
        fprintf(stderr, "brrt-bench: rmdir %s: %s\n", tmpdir, strerror(errno));
    for (size_t i = 0; i < N_CASES; i++) {
        free(cases[i].ns);
        free(cases[i].sorted);
    }
    return failed;
}
