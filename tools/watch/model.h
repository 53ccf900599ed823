/* brrt-stat-watch without a terminal: the numbers the dashboard shows, derived from two
 * snapshots (through tools/view.c); the history it keeps of its own samples (rings of
 * per-interval values with timestamps: 1m/5m/15m averages, growth slopes, chart columns); the
 * colour thresholds; and the metric browser's rows, filter and sort. Everything here is pure
 * (no curses, no clock, no I/O) and unit-tested by test_model.c; draw_*.c only formats it.
 *
 * Conventions: times are CLOCK_MONOTONIC seconds (a snapshot's taken_mono_ns / 1e9); NaN means
 * "not known" (metric absent, no previous snapshot, empty window) and is shown as "-". */
#ifndef BRRT_WATCH_MODEL_H
#define BRRT_WATCH_MODEL_H

#include "view.h"

#include "brrtstat/thresholds.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- thresholds ------------------------------------------------------------------------
 * The colours come from the project's one thresholds table (metrics/include/brrtstat/
 * thresholds.h), which also gives the dashboard its steps and the alerts their thresholds. */
enum watch_colour {
    WC_NONE = BRRT_COLOUR_NONE,
    WC_GREEN = BRRT_COLOUR_GREEN,
    WC_YELLOW = BRRT_COLOUR_YELLOW,
    WC_ORANGE = BRRT_COLOUR_ORANGE,
    WC_RED = BRRT_COLOUR_RED,
    WC_COUNT = BRRT_COLOUR_COUNT
};

/* The band (0..3) of `v`; -1 for NaN. */
int watch_band(enum brrt_threshold th, double v);
/* The colour of `v`'s band; WC_NONE for NaN. */
enum watch_colour watch_colour_of(enum brrt_threshold th, double v);
/* A word for the band, for terminals without colour: "ok", "warn", "high", "crit"; "" for -1. */
const char *watch_band_word(int band);

/* ---- one sample: the dashboard's inputs from two snapshots ------------------------------ */

#define WATCH_ROUTES 5        /* slowest routes kept per sample */
#define WATCH_ROUTE_LABEL "path" /* the duration histogram's route label (see the catalog) */

struct watch_sample {
    double t;  /* monotonic seconds of the current snapshot */
    double dt; /* seconds since the previous one; 0 without it (or across a restart) */
    uint64_t generation;
    /* CPU */
    double cpu_seconds;   /* process_cpu_seconds_total */
    double cpu_pct;       /* its rate over the interval * 100 (% of one core) */
    double cpu_user_pct, cpu_system_pct;
    double cpu_limit_cores;
    /* memory */
    double rss, heap, vss, peak_rss, mem_limit;
    /* coroutine stacks */
    double stack_bytes, stack_used, stack_overflows;
    /* requests, over the interval */
    double req_rate;     /* responses per second */
    double rate_5xx;     /* status 500..599 per second: the errors (one definition, as the
                            dashboard's and the alerts' error rate) */
    double rate_4xx;     /* status 400..499 per second: client errors, shown apart */
    uint64_t window_count; /* observations of the duration histogram in the interval */
    double p50, p90, p95, p99;
    double latency_mean; /* brrtrouter_request_latency_seconds (the writer's recent mean) */
    /* the slowest routes over the interval: the dashboard's "Slowest Routes (p99 by path)",
     * p99 of each series (route) of the duration histogram, highest first */
    struct watch_route {
        char path[48]; /* the series' path label, printable ASCII ('?' for anything else) */
        double p99;
        uint64_t count; /* observations in the interval */
    } routes[WATCH_ROUTES];
    int n_routes;
    /* health */
    double active;
    double open_fds, max_fds;
};

/* The label of brrtrouter_requests_total that carries the status code (see the catalog). */
#define WATCH_STATUS_LABEL "status"

/* Fills `out` from `cur` and, for rates and the latency window, `prev` (may be NULL, or of
 * another generation: then every rate is NaN). Returns 0, or -1 when out of memory. */
int watch_derive(const struct brrt_snapshot *prev, const struct brrt_snapshot *cur,
                 struct watch_sample *out);

/* ---- history: rings of timestamped samples ------------------------------------------------ */

/* A fixed-capacity ring of (t, value, weight); the oldest sample is overwritten when full. */
struct ring {
    size_t cap, n, head; /* head: where the next sample goes */
    double *t, *v, *w;
};

int ring_init(struct ring *r, size_t cap); /* 0, or -1 when out of memory */
void ring_free(struct ring *r);
void ring_clear(struct ring *r);
/* Adds a sample; NaN values and non-positive weights are not added. */
void ring_push(struct ring *r, double t, double v, double w);
/* Weighted mean of the samples with t in (now - window, now]; NaN when none. `covered` (may
 * be NULL) receives the sum of their weights: less than `window` while history is short. */
double ring_mean(const struct ring *r, double now, double window, double *covered);
/* Least-squares slope (value per second) of the samples with t in (now - window, now]: what
 * PromQL's deriv() computes. NaN with fewer than two distinct times. */
double ring_slope(const struct ring *r, double now, double window);

enum ring_agg { AGG_MEAN, AGG_MAX };
/* `ncols` chart columns over (now - span, now]: column i aggregates the samples with t in
 * (now - span + i * span / ncols, now - span + (i + 1) * span / ncols]; NaN when empty. */
void ring_columns(const struct ring *r, double now, double span, int ncols, enum ring_agg agg,
                  double *out);
/* Maps columns to sparkline levels 0..7 (-1 for NaN), scaled from 0 (from_zero) or from the
 * smallest column to the largest. A flat non-zero line is level 3; all zero is level 0. */
void spark_levels(const double *cols, int n, bool from_zero, int *levels);

/* The rate of a sampled counter (process_cpu_seconds_total is set by the writer's collector
 * about once a second): measured between the moments it was seen to change, so a reader whose
 * interval differs from (or drifts against) the writer's sampling does not alternate between 0
 * and twice the real rate. */
struct cp_rate {
    int n;          /* 0: nothing; 1: a baseline; 2: one change seen; 3: two changes seen */
    double t0, v0;  /* the change before the last */
    double t1, v1;  /* the last change (or the baseline) */
};
void cp_reset(struct cp_rate *c);
void cp_add(struct cp_rate *c, double t, double v);
/* Per second; NaN until two changes were seen. When no change came for 2.5 times the last
 * gap, the rate decays as (v1 - v0) / (now - t0): a process that stopped using CPU reads 0. */
double cp_rate_at(const struct cp_rate *c, double now);

/* ---- the model: history and what is drawn --------------------------------------------- */

#define WATCH_AVG_WINDOWS(X) X("1m", 60) X("5m", 300) X("15m", 900)
enum { WATCH_N_AVG = 3 };
#define WATCH_GROWTH_WINDOW 60.0  /* seconds of samples behind a growth slope */
#define WATCH_EFFICIENCY_WINDOW 60.0 /* like the dashboard's rate(...[1m]) */
#define WATCH_CHART_SPAN 300.0     /* seconds the charts show at least */

struct watch_model {
    struct ring cpu;  /* per-interval CPU %, weight = the interval */
    struct ring req;  /* per-interval request rate, weight = the interval */
    struct ring rss;  /* RSS, weight 1 */
    struct ring heap; /* heap, weight 1 */
    struct ring p99;  /* p99 of each interval with requests, weight 1 */
    struct cp_rate cpu_cp;
    uint64_t generation;
    double first_t; /* first sample since the last reset; NaN before */
};

int model_init(struct watch_model *m, size_t cap);
void model_free(struct watch_model *m);
/* 'reset averages': forgets the history (averages, growth, charts start again). */
void model_reset(struct watch_model *m);
void model_add(struct watch_model *m, const struct watch_sample *s);

/* What the sections show, computed at the time of sample `s`. */
struct watch_dash {
    double cpu_core_pct;   /* change-point rate of CPU seconds * 100: % of one core */
    double cpu_pct;        /* the gauge, the dashboard's CPU %: of the CPU limit when there is
                              one, else of one core (cpu_core_pct); averages likewise */
    int cpu_band;
    double cpu_avg[WATCH_N_AVG];
    bool cpu_avg_partial[WATCH_N_AVG]; /* less history than the window */
    double cpu_user_share; /* user CPU, % of the interval's CPU; NaN when unknown */
    double req_per_cpu_pct; /* requests per CPU % over the last minute */
    double rss_growth, heap_growth; /* bytes per second over the last minute */
    double req_per_mb;     /* requests per second per MiB of RSS (the dashboard's) */
    double stack_active;   /* active requests * configured stack: stack memory in use */
    double stack_pct;
    double pct_5xx;        /* the error rate: 5xx, % of the interval's responses */
    double pct_4xx;        /* client errors (4xx), % of the interval's responses */
    double mem_limit_pct, fds_pct;
};
void model_dash(const struct watch_model *m, const struct watch_sample *s, struct watch_dash *d);

/* ---- the metric browser ---------------------------------------------------------------- */

#define WATCH_SORTS(X) X(NAME, "name") X(VALUE, "value") X(RATE, "rate")
enum watch_sort {
#define WATCH_SORT_ENUM(id, name) SORT_##id,
    WATCH_SORTS(WATCH_SORT_ENUM)
#undef WATCH_SORT_ENUM
        SORT_COUNT
};
extern const char *const watch_sort_names[SORT_COUNT];

struct brow {
    uint32_t family, k; /* in the snapshot the rows were built from */
    const char *key;    /* name{label="value",...}, values escaped: one line per series */
    double value;       /* counter/gauge value in its unit; histogram: observation count */
    double rate;        /* per second for counters and histogram counts; NaN otherwise */
    char shown[40];     /* the value, readable (exact integers stay exact) */
};

struct browser {
    struct brow *rows;
    size_t n;
    struct brrt_buf keys; /* the rows' keys, NUL-separated */
    size_t *order;        /* indices of the rows that pass the filter, sorted */
    size_t n_shown;
};

/* Rebuilds the rows from every series of `v->cur` (rates against `v->prev`). -1: no memory. */
int browser_build(struct browser *b, const struct view *v);
/* Keeps the rows whose key contains `filter` (case-insensitive; "" keeps all), sorted by
 * `sort` (name ascending, value and rate descending, NaN last; `reverse` flips), ties in
 * segment order. */
void browser_select(struct browser *b, const char *filter, enum watch_sort sort, bool reverse);
void browser_free(struct browser *b);

#endif
