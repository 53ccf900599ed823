/* make_corpus: writes the fuzz seed corpus, REAL segments made by the writer library.
 *
 *   make_corpus OUTDIR
 *
 * Every seed is built in a private work directory inside OUTDIR and copied out as
 * OUTDIR/seed-<name>. Seeds are kept small (few shards, small arena and directory) so that the
 * fuzzer's mutations land on structure rather than on megabytes of zero value area. All but
 * seed-closed are copied while their writer is still open (state READY). */
#include "brrtstat/brrtstat.h"
#include "brrtstat/shm_format.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *out_dir;
static char work_dir[4096];

#define MUST(call)                                                                         \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ != 0 && rc_ != BRRT_E_CARDINALITY) {                                       \
            fprintf(stderr, "make_corpus: %s failed: %s (%s:%d)\n", #call,                 \
                    brrt_err_name(rc_), __FILE__, __LINE__);                               \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static struct brrt_seg_opts small_opts(uint32_t shards)
{
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = work_dir;
    o.max_shards = shards;
    o.shard_bytes = 4096;
    o.max_entries = 48;
    o.arena_bytes = 2048;
    o.heartbeat_ms = 0;
    return o;
}

static void copy_out(const char *from, const char *seed)
{
    char to[4200];
    snprintf(to, sizeof to, "%s/seed-%s", out_dir, seed);
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b) {
        fprintf(stderr, "make_corpus: %s -> %s: %s\n", from, to, strerror(errno));
        exit(1);
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) {
            fprintf(stderr, "make_corpus: write %s: %s\n", to, strerror(errno));
            exit(1);
        }
    fclose(a);
    if (fclose(b) != 0) {
        fprintf(stderr, "make_corpus: close %s: %s\n", to, strerror(errno));
        exit(1);
    }
    chmod(to, 0640);
    printf("make_corpus: %s\n", to);
}

/* Copies the live segment out (state READY) and removes it. */
static void finish_open(brrt_seg *seg, const char *seed)
{
    copy_out(brrt_seg_path(seg), seed);
    MUST(brrt_seg_close(seg, BRRT_SEG_UNLINK));
}

static brrt_family *reg(brrt_seg *seg, const struct brrt_metric_def *d)
{
    brrt_family *f = NULL;
    MUST(brrt_family_register(seg, d, &f));
    return f;
}

static void seed_empty(void)
{
    struct brrt_seg_opts o = small_opts(2);
    brrt_seg *seg;
    MUST(brrt_seg_create("empty", &o, &seg));
    finish_open(seg, "empty");
}

static void seed_counters(void)
{
    struct brrt_seg_opts o = small_opts(2);
    brrt_seg *seg;
    MUST(brrt_seg_create("counters", &o, &seg));
    brrt_family *c = reg(seg, &(struct brrt_metric_def){.name = "jobs_total", .help = "Jobs done.",
                                                        .type = BRRT_COUNTER});
    brrt_family *b = reg(seg, &(struct brrt_metric_def){.name = "sent_bytes_total", .unit = "bytes",
                                                        .type = BRRT_COUNTER, .scale = 512});
    brrt_family *u = reg(seg, &(struct brrt_metric_def){.name = "in_flight", .help = "In flight.",
                                                        .type = BRRT_UPDOWN});
    brrt_family *g = reg(seg, &(struct brrt_metric_def){.name = "load_ratio", .type = BRRT_GAUGE});
    brrt_family *s = reg(seg, &(struct brrt_metric_def){.name = "cpu_seconds_total", .unit = "seconds",
                                                        .type = BRRT_COUNTER_SAMPLED});
    brrt_counter jobs, bytes;
    brrt_updown inflight;
    brrt_gauge load, cpu;
    MUST(brrt_counter_get(c, NULL, &jobs));
    MUST(brrt_counter_get(b, NULL, &bytes));
    MUST(brrt_updown_get(u, NULL, &inflight));
    MUST(brrt_gauge_get(g, NULL, &load));
    MUST(brrt_gauge_get(s, NULL, &cpu));
    brrt_counter_add(jobs, 42);
    brrt_counter_add(bytes, 3);
    brrt_updown_add(inflight, 5);
    brrt_updown_add(inflight, -7);
    brrt_gauge_set(load, 0.75);
    brrt_gauge_set(cpu, 12.5);
    finish_open(seg, "counters");
}

static void seed_labelled(void)
{
    struct brrt_seg_opts o = small_opts(2);
    brrt_seg *seg;
    MUST(brrt_seg_create("labelled", &o, &seg));
    static const char *const names[] = {"method", "path", "code"};
    brrt_family *f = reg(seg, &(struct brrt_metric_def){.name = "http_requests_total",
                                                        .help = "HTTP requests, by route.",
                                                        .type = BRRT_COUNTER, .label_names = names,
                                                        .nlabels = 3});
    static const char *const sets[][3] = {
        {"GET", "/pets", "200"}, {"GET", "/pets", "404"}, {"POST", "/pets", "201"},
        {"GET", "/caf\xc3\xa9", "200"}, {"GET", "", "500"}, {"DELETE", "/\xe2\x82\xac/\xf0\x9f\x90\x88", "204"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        brrt_counter c;
        MUST(brrt_counter_get(f, sets[i], &c));
        brrt_counter_add(c, i * 10 + 1);
    }
    static const char *const gnames[] = {"pool"};
    brrt_family *g = reg(seg, &(struct brrt_metric_def){.name = "pool_connections", .type = BRRT_UPDOWN,
                                                        .label_names = gnames, .nlabels = 1});
    brrt_updown a;
    MUST(brrt_updown_get(g, BRRT_LABELS("primary"), &a));
    brrt_updown_add(a, 3);
    finish_open(seg, "labelled");
}

static void seed_histogram(void)
{
    struct brrt_seg_opts o = small_opts(2);
    brrt_seg *seg;
    MUST(brrt_seg_create("histogram", &o, &seg));
    static const double le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static const char *const names[] = {"route"};
    brrt_family *f = reg(seg, &(struct brrt_metric_def){
        .name = "request_duration_seconds", .help = "Request latency.", .unit = "seconds",
        .type = BRRT_HISTOGRAM, .label_names = names, .nlabels = 1, .scale = 1e-6, .le = le,
        .n_le = sizeof le / sizeof le[0], .schema = 2, .hist_max = 16});
    brrt_family *n = reg(seg, &(struct brrt_metric_def){.name = "batch_size", .type = BRRT_HISTOGRAM,
                                                        .schema = 1, .hist_max = 4096});
    brrt_histogram a, b, c;
    MUST(brrt_histogram_get(f, BRRT_LABELS("/a"), &a));
    MUST(brrt_histogram_get(f, BRRT_LABELS("/b"), &b));
    MUST(brrt_histogram_get(n, NULL, &c));
    for (int i = 0; i < 100; i++) {
        brrt_histogram_observe(a, 0.0001 * i * i);
        brrt_histogram_observe(c, i * 37.0);
    }
    brrt_histogram_observe(b, 100.0); /* overflow bucket: above 16 s */
    finish_open(seg, "histogram");
}

static void seed_many(void)
{
    struct brrt_seg_opts o = small_opts(2);
    brrt_seg *seg;
    MUST(brrt_seg_create("many", &o, &seg));
    static const char *const names[] = {"shard"};
    brrt_family *f = reg(seg, &(struct brrt_metric_def){.name = "items_total", .type = BRRT_COUNTER,
                                                        .label_names = names, .nlabels = 1,
                                                        .max_series = 24});
    for (int i = 0; i < 32; i++) { /* the last 8 fold into the __other series */
        char v[16];
        snprintf(v, sizeof v, "s%02d", i);
        brrt_counter c;
        MUST(brrt_counter_get(f, BRRT_LABELS(v), &c));
        brrt_counter_add(c, (uint64_t)i + 1);
    }
    finish_open(seg, "many");
}

static pthread_barrier_t bump_barrier;

/* Each thread bumps (taking its own shard), then waits until all have: no shard is given
 * back and reused before every thread has one, so the seed has several shards in use. */
static void *bump_thread(void *arg)
{
    brrt_counter c = *(const brrt_counter *)arg;
    for (int i = 0; i < 1000; i++)
        brrt_counter_inc(c);
    pthread_barrier_wait(&bump_barrier);
    return NULL;
}

/* A bit of everything, updated from several threads (several shards), then closed. */
static void seed_closed(void)
{
    struct brrt_seg_opts o = small_opts(4);
    brrt_seg *seg;
    MUST(brrt_seg_create("closed", &o, &seg));
    static const char *const names[] = {"kind"};
    brrt_family *c = reg(seg, &(struct brrt_metric_def){.name = "events_total", .help = "Events.",
                                                        .type = BRRT_COUNTER, .label_names = names,
                                                        .nlabels = 1});
    brrt_family *g = reg(seg, &(struct brrt_metric_def){.name = "temperature", .unit = "celsius",
                                                        .type = BRRT_GAUGE});
    static const double le[] = {1, 10, 100};
    brrt_family *h = reg(seg, &(struct brrt_metric_def){.name = "size_bytes", .unit = "bytes",
                                                        .type = BRRT_HISTOGRAM, .le = le, .n_le = 3,
                                                        .schema = BRRT_HIST_SCHEMA_ZERO, .hist_max = 65536});
    brrt_counter ev;
    brrt_gauge t;
    brrt_histogram sz;
    MUST(brrt_counter_get(c, BRRT_LABELS("click"), &ev));
    MUST(brrt_gauge_get(g, NULL, &t));
    MUST(brrt_histogram_get(h, NULL, &sz));
    pthread_t th[3];
    pthread_barrier_init(&bump_barrier, NULL, 3);
    for (int i = 0; i < 3; i++)
        if (pthread_create(&th[i], NULL, bump_thread, &ev) != 0)
            exit(1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bump_barrier);
    brrt_gauge_set(t, -3.25);
    for (int i = 0; i < 50; i++)
        brrt_histogram_observe(sz, i * 3.0);
    char path[4200];
    snprintf(path, sizeof path, "%s", brrt_seg_path(seg));
    MUST(brrt_seg_close(seg, 0));
    copy_out(path, "closed");
    unlink(path);
}

#define FUZZ_SPARSE_HINT 0x80000000u /* fuzz_segment.c: extend to segment_size with a hole */

/* Writes the first `keep` bytes of segment file `from` as seed `seed`; with `sparse`, the
 * header carries FUZZ_SPARSE_HINT (the harness re-extends the file with a hole), and
 * `shards_used`, if non-zero, replaces the published shard count (a hostile header). */
static void copy_prefix(const char *from, const char *seed, size_t keep, int sparse, uint32_t shards_used)
{
    FILE *a = fopen(from, "rb");
    char *buf = calloc(1, keep);
    if (!a || !buf || fread(buf, 1, keep, a) != keep) {
        fprintf(stderr, "make_corpus: read %s: %s\n", from, strerror(errno));
        exit(1);
    }
    fclose(a);
    if (keep >= sizeof(struct brrt_shm_header)) {
        struct brrt_shm_header h;
        memcpy(&h, buf, sizeof h);
        if (sparse)
            h.flags |= FUZZ_SPARSE_HINT;
        if (shards_used)
            h.shards_used = shards_used;
        memcpy(buf, &h, sizeof h);
    }
    char to[4200];
    snprintf(to, sizeof to, "%s/seed-%s", out_dir, seed);
    FILE *b = fopen(to, "wb");
    if (!b || fwrite(buf, 1, keep, b) != keep || fclose(b) != 0) {
        fprintf(stderr, "make_corpus: write %s: %s\n", to, strerror(errno));
        exit(1);
    }
    free(buf);
    chmod(to, 0640);
    printf("make_corpus: %s\n", to);
}

/* Truncated and sparse variants of a live two-shard segment. */
static void seed_sparse(void)
{
    struct brrt_seg_opts o = small_opts(8);
    brrt_seg *seg;
    MUST(brrt_seg_create("sparse", &o, &seg));
    brrt_family *f = reg(seg, &(struct brrt_metric_def){.name = "hits_total", .type = BRRT_COUNTER});
    brrt_counter c;
    MUST(brrt_counter_get(f, NULL, &c));
    brrt_counter_add(c, 9); /* this thread's shard 1 */
    struct brrt_shm_header h;
    FILE *a = fopen(brrt_seg_path(seg), "rb");
    if (!a || fread(&h, sizeof h, 1, a) != 1)
        exit(1);
    fclose(a);
    size_t shard1 = (size_t)(h.shard_offset + h.shard_stride);
    copy_prefix(brrt_seg_path(seg), "truncated-half", (size_t)h.segment_size / 2, 0, 0);
    copy_prefix(brrt_seg_path(seg), "truncated-header", 200, 0, 0);
    copy_prefix(brrt_seg_path(seg), "sparse-shard1", shard1, 1, 0);      /* shard 1 a hole */
    copy_prefix(brrt_seg_path(seg), "sparse-hostile", shard1, 1, 8);     /* 8 shards published */
    copy_prefix(brrt_seg_path(seg), "sparse-arena", (size_t)h.arena_offset, 1, 0); /* all holes */
    MUST(brrt_seg_close(seg, BRRT_SEG_UNLINK));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0750) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_corpus: mkdir %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    snprintf(work_dir, sizeof work_dir, "%s/.work-XXXXXX", out_dir);
    if (!mkdtemp(work_dir)) {
        fprintf(stderr, "make_corpus: mkdtemp %s: %s\n", work_dir, strerror(errno));
        return 1;
    }
    seed_empty();
    seed_counters();
    seed_labelled();
    seed_histogram();
    seed_many();
    seed_closed();
    seed_sparse();
    if (rmdir(work_dir) != 0) {
        fprintf(stderr, "make_corpus: rmdir %s: %s\n", work_dir, strerror(errno));
        return 1;
    }
    return 0;
}
