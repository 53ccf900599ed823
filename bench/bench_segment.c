#include "bench_segment.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_barrier_t together;

struct writer_arg {
    brrt_family *fam;
    bool hist;
    uint32_t series, t;
    int rc;
};

static void die(const char *what, int rc)
{
    fprintf(stderr, "brrt-bench: %s: %s\n", what, brrt_strerror(rc));
    exit(1);
}

/* Every thread updates every series, then waits for the others: threads alive together hold
 * distinct shards. */
static void *writer(void *p)
{
    struct writer_arg *a = p;
    char v[24];
    for (uint32_t i = 0; i < a->series && !a->rc; i++) {
        snprintf(v, sizeof v, "/route/%u", i);
        const char *vals[] = {v};
        if (a->hist) {
            brrt_histogram h;
            if (!(a->rc = brrt_histogram_get(a->fam, vals, &h)))
                for (uint32_t k = 1; k <= 8; k++) /* microseconds to seconds: every le bucket */
                    brrt_histogram_observe_raw(h, (uint64_t)(1000u * k * (i % 97 + 1)) << (k * 2));
        } else {
            brrt_counter c;
            if (!(a->rc = brrt_counter_get(a->fam, vals, &c)))
                brrt_counter_add(c, i + a->t);
        }
    }
    pthread_barrier_wait(&together);
    return NULL;
}

brrt_seg *bench_segment(const char *dir, const char *name, bool hist, uint32_t series,
                        uint32_t threads, uint32_t heartbeat_ms)
{
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = dir;
    o.mode = 0600;
    o.heartbeat_ms = heartbeat_ms;
    o.max_shards = threads + 2;
    o.max_entries = series + 16;
    o.arena_bytes = (uint64_t)series * 64 + 65536;
    o.shard_bytes = hist ? (uint64_t)series * 8448 + 65536 : (uint64_t)series * 8 + 65536;
    brrt_seg *seg;
    int rc = brrt_seg_create(name, &o, &seg);
    if (rc)
        die("brrt_seg_create", rc);
    static const double le[BENCH_N_LE] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    const char *const lnames[] = {"route"};
    struct brrt_metric_def d = {.name = hist ? "bench_read_seconds" : "bench_read_total",
                                .help = "read-side bench", .type = hist ? BRRT_HISTOGRAM : BRRT_COUNTER,
                                .label_names = lnames, .nlabels = 1, .max_series = series};
    if (hist) {
        d.unit = "seconds";
        d.scale = 1e-9;
        d.le = le;
        d.n_le = BENCH_N_LE;
    }
    brrt_family *fam;
    if ((rc = brrt_family_register(seg, &d, &fam)))
        die("brrt_family_register", rc);
    pthread_t *t = calloc(threads, sizeof *t);
    struct writer_arg *a = calloc(threads, sizeof *a);
    if (!t || !a)
        die("calloc", BRRT_E_NOMEM);
    pthread_barrier_init(&together, NULL, threads);
    for (uint32_t i = 0; i < threads; i++) {
        a[i] = (struct writer_arg){fam, hist, series, i, 0};
        if (pthread_create(&t[i], NULL, writer, &a[i]))
            die("pthread_create", BRRT_E_SYSTEM);
    }
    for (uint32_t i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (a[i].rc)
            die("series", a[i].rc);
    }
    pthread_barrier_destroy(&together);
    free(t);
    free(a);
    return seg;
}
