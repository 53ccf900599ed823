/* brrt-bench read side: what a Prometheus text scrape costs the reader library, next to the
 * floor of the same run.
 *
 * Segments (written in this process by short-lived threads that stay alive together, so each
 * has its own shard; then quiescent):
 *   hist_1000x4     1,000 histogram series (9 `le` bounds) of one family, 4 writer threads
 *   counter_10000x1  10,000 counter series of one family, 1 writer thread
 *   counter_10000x64 the same, 64 writer threads
 * Cases per segment, one op each, reported in microseconds (median over interleaved reps):
 *   snap_render       brrt_reader_snapshot_opts(RAW | HIST_TEXT, reusing the last snapshot)
 *                     + brrt_render_prometheus (text 0.0.4, with a brrt_prom_cache) into a
 *                     reused buffer: what the exporter does per segment and scrape
 *   snap_only         the snapshot part of that
 *   snap_render_nocache  the same with SCALARS | HIST_TEXT and no cache (the general path, as
 *                     `brrt-stat snapshot --format prometheus`; the exporter until the cache)
 *   snap_render_full  a full snapshot (fine buckets too, fresh memory) + render + free: what
 *                     every scrape did before the snapshot options
 *   floor_sum         the floor of reading: from a private mapping of the file, the 64-bit
 *                     words the text needs (a counter's word; a histogram's sum and le counts)
 *                     summed over the shards in use, in directory order, into an array
 *   floor_copy        the floor of writing: memcpy of the rendered body into a reused buffer
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other processes' time
 * slices on a shared machine are not charged; caches they evict still are.
 * x_floor is snap_render / (floor_sum + floor_copy), the median of the per-rep pairs. */
#include "read_bench.h"

#include "bench_segment.h"
#include "bench_time.h"

#include "brrtstat/brrtstat.h"
#include "brrtstat/reader.h"
#include "brrtstat/render.h"
#include "brrtstat/shm_format.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct seg_case {
    const char *name;
    bool hist;
    uint32_t series, threads;
    brrt_seg *seg;
};

static struct seg_case segs[] = {
    {.name = "hist_1000x4", .hist = true, .series = 1000, .threads = 4},
    {.name = "counter_10000x1", .series = 10000, .threads = 1},
    {.name = "counter_10000x64", .series = 10000, .threads = 64},
};
#define N_SEGS (sizeof segs / sizeof segs[0])

enum op { SNAP_RENDER, SNAP_ONLY, SNAP_RENDER_NOCACHE, SNAP_RENDER_FULL, FLOOR_SUM, FLOOR_COPY, N_OPS };
static const char *const op_names[N_OPS] = {"snap_render", "snap_only", "snap_render_nocache",
                                            "snap_render_full", "floor_sum", "floor_copy"};

/* This thread's CPU time: the machine is shared, and a single-threaded op preempted by other
 * processes would otherwise be charged their time slices. */
static uint64_t cpu_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "brrt-bench: %s: %s\n", what, brrt_strerror(rc));
    exit(1);
}

/* The floor: a private read-only mapping of the file, and the words the text needs. */
struct floor_view {
    const uint8_t *map;
    size_t len;
    uint32_t shards;
    uint64_t stride;
    uint32_t n; /* series */
    uint64_t *off; /* file offset of each series' value area in shard 0 */
    uint32_t words; /* per series */
    uint64_t *out;  /* n * words sums */
};

static void floor_open(struct floor_view *v, const char *path, bool hist)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        die(path, BRRT_E_SYSTEM);
    v->len = (size_t)st.st_size;
    v->map = mmap(NULL, v->len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (v->map == MAP_FAILED)
        die("mmap", BRRT_E_SYSTEM);
    const struct brrt_shm_header *h = (const void *)v->map;
    const struct brrt_shm_entry *dir = (const void *)(v->map + h->dir_offset);
    v->shards = h->shards_used;
    v->stride = h->shard_stride;
    v->words = hist ? BENCH_N_LE + 2 : 1;
    v->off = calloc(h->dir_count, sizeof *v->off);
    v->n = 0;
    for (uint32_t i = 0; v->off && i < h->dir_count; i++)
        if (dir[i].kind == BRRT_SHM_SERIES)
            v->off[v->n++] = h->shard_offset + dir[i].value_offset;
    v->out = calloc((size_t)v->n * v->words + 1, sizeof *v->out);
    if (!v->off || !v->out)
        die("floor", BRRT_E_NOMEM);
}

static void floor_sum(const struct floor_view *v)
{
    uint64_t *out = v->out;
    if (v->words == 1) { /* counters: one word, summed in a register */
        for (uint32_t i = 0; i < v->n; i++) {
            uint64_t acc = 0;
            const uint8_t *base = v->map + v->off[i];
            for (uint32_t s = 0; s < v->shards; s++, base += v->stride)
                acc += __atomic_load_n((const uint64_t *)base, __ATOMIC_RELAXED);
            out[i] = acc;
        }
        return;
    }
    for (uint32_t i = 0; i < v->n; i++, out += v->words) {
        uint64_t acc[BENCH_N_LE + 2] = {0}; /* in registers where the compiler can */
        const uint8_t *base = v->map + v->off[i];
        for (uint32_t s = 0; s < v->shards; s++, base += v->stride)
            for (uint32_t w = 0; w < v->words; w++)
                acc[w] += __atomic_load_n((const uint64_t *)base + w, __ATOMIC_RELAXED);
        memcpy(out, acc, v->words * sizeof *out);
    }
}

struct seg_run {
    brrt_reader *r;
    struct brrt_snapshot *snap, *snap_general; /* reused */
    struct brrt_prom_cache *cache;
    struct brrt_buf body, copy;
    struct floor_view fv;
    double *us[N_OPS]; /* per rep */
    size_t full_words, text_words;
};

static double per_op_us(uint64_t t0, unsigned iters)
{
    return (double)(cpu_ns() - t0) / 1e3 / iters;
}

static double time_op(struct seg_run *s, enum op op, unsigned iters)
{
    const uint32_t exporter = BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT, text = BRRT_SNAP_SCALARS | BRRT_SNAP_HIST_TEXT;
    struct brrt_prom_opts cached = {.cache = s->cache};
    uint64_t t0 = cpu_ns();
    for (unsigned i = 0; i < iters; i++) {
        int rc = 0;
        switch (op) {
        case SNAP_RENDER:
        case SNAP_ONLY:
            rc = brrt_reader_snapshot_opts(s->r, &(struct brrt_snapshot_opts){exporter, s->snap}, &s->snap);
            if (!rc && op == SNAP_RENDER) {
                brrt_buf_reset(&s->body);
                brrt_render_prometheus(&s->body, s->snap, &cached);
            }
            break;
        case SNAP_RENDER_NOCACHE:
            rc = brrt_reader_snapshot_opts(s->r, &(struct brrt_snapshot_opts){text, s->snap_general},
                                           &s->snap_general);
            if (!rc) {
                brrt_buf_reset(&s->copy);
                brrt_render_prometheus(&s->copy, s->snap_general, NULL);
            }
            break;
        case SNAP_RENDER_FULL: {
            struct brrt_snapshot *full;
            rc = brrt_reader_snapshot(s->r, &full);
            if (!rc) {
                brrt_buf_reset(&s->copy);
                brrt_render_prometheus(&s->copy, full, NULL);
                brrt_snapshot_free(full);
            }
            break;
        }
        case FLOOR_SUM:
            floor_sum(&s->fv);
            break;
        case FLOOR_COPY:
            memcpy(s->copy.data, s->body.data, s->body.len);
            break;
        case N_OPS:
            break;
        }
        if (rc)
            die("snapshot", rc);
    }
    return per_op_us(t0, iters);
}

int read_bench_run(const char *dir, unsigned reps, bool quick)
{
    struct seg_run run[N_SEGS];
    memset(run, 0, sizeof run);
    for (size_t i = 0; i < N_SEGS; i++) {
        struct seg_case *c = &segs[i];
        struct seg_run *s = &run[i];
        c->seg = bench_segment(dir, c->name, c->hist, c->series, c->threads, 0);
        int rc = brrt_reader_open(brrt_seg_path(c->seg), &s->r, NULL, 0);
        if (rc)
            die("brrt_reader_open", rc);
        floor_open(&s->fv, brrt_seg_path(c->seg), c->hist);
        if (!(s->cache = brrt_prom_cache_new()))
            die("brrt_prom_cache_new", BRRT_E_NOMEM);
        time_op(s, SNAP_RENDER, 1); /* sizes the buffers */
        time_op(s, SNAP_RENDER_NOCACHE, 1);
        if (s->copy.len != s->body.len || memcmp(s->copy.data, s->body.data, s->body.len) != 0)
            die("the cached render differs from the general one", BRRT_E_CORRUPT);
        brrt_buf_reserve(&s->copy, s->body.len);
        for (int op = 0; op < N_OPS; op++)
            if (!(s->us[op] = calloc(reps, sizeof(double))))
                die("calloc", BRRT_E_NOMEM);
        s->text_words = (size_t)s->fv.n * s->fv.words * s->fv.shards;
        s->full_words = c->hist ? (size_t)s->fv.n * (brrt_snapshot_family(s->snap_general, "bench_read_seconds")->n_fine +
                                                     BENCH_N_LE + 2) * s->fv.shards
                                : s->text_words;
    }
    for (unsigned r = 0; r < reps; r++)
        for (size_t i = 0; i < N_SEGS; i++)
            for (int op = 0; op < N_OPS; op++) {
                unsigned iters = quick ? 2 : segs[i].hist || op == FLOOR_COPY ? 20 : 10;
                if (op == SNAP_RENDER_FULL && segs[i].hist)
                    iters = quick ? 1 : 4; /* reads ~100x more */
                run[i].us[op][r] = time_op(&run[i], (enum op)op, iters);
            }
    printf("# read side (us per op; x floor = snap_render / (floor_sum + floor_copy), median of per-rep pairs)\n");
    for (size_t i = 0; i < N_SEGS; i++) {
        struct seg_run *s = &run[i];
        double pair[1000]; /* paired before median_of sorts each op's times */
        for (unsigned r = 0; r < reps && r < 1000; r++)
            pair[r] = s->us[SNAP_RENDER][r] / (s->us[FLOOR_SUM][r] + s->us[FLOOR_COPY][r]);
        printf("read_%-20s shards %u, text reads %zu words (%.0f KiB), a full snapshot %zu; body %zu bytes\n",
               segs[i].name, s->fv.shards, s->text_words, (double)s->text_words * 8 / 1024, s->full_words,
               s->body.len);
        for (int op = 0; op < N_OPS; op++)
            printf("read_%s_%-17s %10.1f\n", segs[i].name, op_names[op], median_of(s->us[op], reps));
        printf("read_%s_x_floor           %10.2f\n", segs[i].name, median_of(pair, reps < 1000 ? reps : 1000));
    }
    for (size_t i = 0; i < N_SEGS; i++) {
        struct seg_run *s = &run[i];
        for (int op = 0; op < N_OPS; op++)
            free(s->us[op]);
        brrt_snapshot_free(s->snap);
        brrt_snapshot_free(s->snap_general);
        brrt_prom_cache_free(s->cache);
        brrt_buf_free(&s->body);
        brrt_buf_free(&s->copy);
        munmap((void *)s->fv.map, s->fv.len);
        free(s->fv.off);
        free(s->fv.out);
        brrt_reader_close(s->r);
        brrt_seg_close(segs[i].seg, BRRT_SEG_UNLINK);
    }
    return 0;
}
