#include "instrument.h"

#include "brrtstat/catalog.h"
#include "routes.h"
#include "brrtstat/shm_path.h"

#include <stdio.h>
#include <string.h>

/* Classic buckets where a fast service lives: 1-2.5-5 steps from 5 us to 10 s (20 bounds), so
 * that a Prometheus without native histograms still interpolates p50/p90 inside a bucket that
 * means something (the upstream 1 ms .. 10 s put a 7 us p50 at 0.53 ms). docs/dashboard.md. */
static const double DURATION_LE[] = {5e-6,  1e-5,  2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
                                     1e-3,  2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,   1,     2.5,  5,    10};
#define N_DURATION_LE (sizeof DURATION_LE / sizeof DURATION_LE[0])
static const int STATUSES[N_STATUS] = {200, 201, 400, 404, 405, 413, 429, 431, 500, 503, 504, 0};

static int status_slot(int status)
{
    for (int i = 0; i < N_STATUS - 1; i++)
        if (STATUSES[i] == status)
            return i;
    return N_STATUS - 1;
}

/* Registers catalog metric `id` and gets its unlabelled series into *out. */
#define GET(kind, id, le, nle, out)                                                             \
    do {                                                                                        \
        brrt_family *f_;                                                                        \
        int rc_ = brrt_catalog_register(m->seg, brrt_catalog[id].name, le, nle, &f_);           \
        if (rc_ == 0)                                                                           \
            rc_ = kind(f_, NULL, out);                                                          \
        if (rc_) {                                                                              \
            fprintf(stderr, "brrt-demo: %s: %s\n", brrt_catalog[id].name, brrt_strerror(rc_));  \
            return rc_;                                                                         \
        }                                                                                       \
    } while (0)

/* Once a second, on the heartbeat thread: the recent-window mean latency and the stacks. */
static void tick(void *arg)
{
    struct demo_metrics *m = arg;
    struct brrt_snapshot *s;
    if (m->self && brrt_reader_snapshot(m->self, &s) == 0) {
        const struct brrt_snap_family *f = brrt_snapshot_family(s, brrt_catalog[BRRT_M_REQUEST_DURATION].name);
        if (f && f->n_series) {
            uint64_t count = 0;
            double sum = 0;
            for (uint32_t k = 0; k < f->n_series; k++) { /* every route */
                count += s->series[f->first_series + k].count;
                sum += s->series[f->first_series + k].sum;
            }
            memmove(m->ring_count + 1, m->ring_count, LATENCY_WINDOW_S * sizeof *m->ring_count);
            memmove(m->ring_sum + 1, m->ring_sum, LATENCY_WINDOW_S * sizeof *m->ring_sum);
            m->ring_count[0] = count;
            m->ring_sum[0] = sum;
            if (m->ring_n < LATENCY_WINDOW_S + 1)
                m->ring_n++;
            int old = m->ring_n - 1;
            uint64_t dc = m->ring_count[0] - m->ring_count[old];
            /* no requests in the window: the mean is undefined, not 0 */
            brrt_gauge_set(m->latency_window, dc ? (m->ring_sum[0] - m->ring_sum[old]) / (double)dc : 0.0 / 0.0);
        }
        brrt_snapshot_free(s);
    }
    size_t used = 0;
    pthread_mutex_lock(&m->pools_lock);
    for (int i = 0; i < m->n_pools; i++) {
        size_t u = co_pool_high_water(m->pools[i]);
        used = u > used ? u : used;
    }
    pthread_mutex_unlock(&m->pools_lock);
    brrt_gauge_set(m->stack_used, (double)used);
}

int instrument_init(struct demo_metrics *m, const char *segment, bool on, size_t max_stack_bytes)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->pools_lock, NULL);
    m->on = on;
    if (!on)
        return 0;
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    int rc = brrt_seg_create(segment, &o, &m->seg);
    if (rc) {
        fprintf(stderr, "brrt-demo: cannot create segment \"%s\" in %s: %s\n", segment,
                brrt_shm_dir(), brrt_strerror(rc));
        return rc;
    }
    rc = brrt_catalog_register(m->seg, brrt_catalog[BRRT_M_REQUESTS_TOTAL].name, NULL, 0, &m->requests);
    if (rc)
        return rc;
    rc = brrt_catalog_register(m->seg, brrt_catalog[BRRT_M_REQUEST_DURATION].name, DURATION_LE,
                               N_DURATION_LE, &m->duration);
    if (rc) {
        fprintf(stderr, "brrt-demo: %s: %s\n", brrt_catalog[BRRT_M_REQUEST_DURATION].name, brrt_strerror(rc));
        return rc;
    }
    GET(brrt_gauge_get, BRRT_M_REQUEST_LATENCY, NULL, 0, &m->latency_window);
    GET(brrt_updown_get, BRRT_M_ACTIVE_REQUESTS, NULL, 0, &m->active);
    GET(brrt_counter_get, BRRT_M_CONNECTION_CLOSES, NULL, 0, &m->closes);
    GET(brrt_counter_get, BRRT_M_CONNECTION_ERRORS, NULL, 0, &m->conn_errors);
    GET(brrt_counter_get, BRRT_M_STACK_OVERFLOWS, NULL, 0, &m->overflows);
    GET(brrt_gauge_get, BRRT_M_STACK_BYTES, NULL, 0, &m->stack_bytes);
    GET(brrt_gauge_get, BRRT_M_STACK_USED_BYTES, NULL, 0, &m->stack_used);
    brrt_gauge_set(m->stack_bytes, (double)max_stack_bytes);
    brrt_gauge_set(m->stack_used, 0);
    brrt_gauge_set(m->latency_window, 0.0 / 0.0);
    if ((rc = brrt_process_collector_start(m->seg, 1000, &m->process)) != 0)
        return rc;
    char why[256];
    if (brrt_reader_open(brrt_seg_path(m->seg), &m->self, why, sizeof why) != 0) {
        fprintf(stderr, "brrt-demo: cannot read back own segment: %s\n", why);
        return BRRT_E_SYSTEM;
    }
    return brrt_seg_add_tick(m->seg, tick, m);
}

void instrument_close(struct demo_metrics *m)
{
    brrt_process_collector_stop(m->process);
    if (m->seg)
        brrt_seg_close(m->seg, 0);
    brrt_reader_close(m->self);
    m->seg = NULL;
}

void instrument_add_pool(struct demo_metrics *m, struct coro_pool *p)
{
    pthread_mutex_lock(&m->pools_lock);
    if (m->n_pools < MAX_POOLS)
        m->pools[m->n_pools++] = p;
    pthread_mutex_unlock(&m->pools_lock);
}

void instrument_forget_pools(struct demo_metrics *m)
{
    pthread_mutex_lock(&m->pools_lock);
    m->n_pools = 0;
    pthread_mutex_unlock(&m->pools_lock);
}

void instrument_response(struct demo_metrics *m, struct request_counters *rc, int route,
                         const char *path_label, int status, uint64_t start_ns, uint64_t end_ns)
{
    if (!m->on)
        return;
    int r = route < 0 ? 63 : route, s = status_slot(status);
    if (!rc->have[r][s]) {
        char code[8];
        snprintf(code, sizeof code, "%d", status);
        brrt_counter_get(m->requests, BRRT_LABELS(path_label, code), &rc->c[r][s]);
        rc->have[r][s] = N_STATUS - 1 != s; /* an unusual status is looked up every time */
    }
    brrt_counter_inc(rc->c[r][s]);
    if (!rc->have_d[r]) {
        brrt_histogram_get(m->duration, BRRT_LABELS(path_label), &rc->d[r]);
        rc->have_d[r] = true; /* route 63 (no route) is always PATH_UNMATCHED */
    }
    brrt_histogram_observe_raw(rc->d[r], end_ns - start_ns);
    brrt_updown_add(m->active, -1);
}
