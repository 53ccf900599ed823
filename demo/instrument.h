/* Everything the demo publishes, behind one switch (--no-metrics turns every update into a
 * branch on a constant, for the overhead benchmark). Handles come from the metric catalog. */
#ifndef BRRT_DEMO_INSTRUMENT_H
#define BRRT_DEMO_INSTRUMENT_H

#include "brrtstat/brrtstat.h"
#include "brrtstat/process.h"
#include "brrtstat/reader.h"
#include "coro.h"

#include <stdbool.h>
#include <stdint.h>

#define LATENCY_WINDOW_S 10
#define MAX_POOLS 256
#define N_STATUS 12

struct demo_metrics {
    bool on;
    brrt_seg *seg;
    brrt_family *requests;
    brrt_family *duration; /* by route template: a worker caches its handles */
    brrt_gauge latency_window;
    brrt_updown active;
    brrt_counter closes;
    brrt_counter conn_errors;
    brrt_counter overflows;
    brrt_gauge stack_bytes;
    brrt_gauge stack_used;
    brrt_process_collector *process;
    /* the latency window: the duration histogram's (count, sum) once a second */
    brrt_reader *self;
    uint64_t ring_count[LATENCY_WINDOW_S + 1];
    double ring_sum[LATENCY_WINDOW_S + 1];
    int ring_n;
    /* stacks to measure (workers add their pools at start) */
    pthread_mutex_t pools_lock;
    struct coro_pool *pools[MAX_POOLS];
    int n_pools;
};

/* A worker's cache of handles: requests_total per (route, status), the duration per route. */
struct request_counters {
    brrt_counter c[64][N_STATUS];
    bool have[64][N_STATUS];
    brrt_histogram d[64];
    bool have_d[64];
};

int instrument_init(struct demo_metrics *m, const char *segment, bool on, size_t max_stack_bytes);
void instrument_close(struct demo_metrics *m);
void instrument_add_pool(struct demo_metrics *m, struct coro_pool *p);
void instrument_forget_pools(struct demo_metrics *m);

/* One response: requests_total{path,status} + duration; releases the in-flight request. */
void instrument_response(struct demo_metrics *m, struct request_counters *rc, int route,
                         const char *path_label, int status, uint64_t start_ns, uint64_t end_ns);
static inline void instrument_begin(struct demo_metrics *m)
{
    if (m->on)
        brrt_updown_add(m->active, 1);
}
static inline void instrument_count(struct demo_metrics *m, brrt_counter c)
{
    if (m->on)
        brrt_counter_inc(c);
}

#endif
