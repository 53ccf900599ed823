/* libbrrtstat: publish counters, gauges and histograms into a shared-memory segment.
 *
 * Usage constraints:
 *  1. One writer process per segment name; brrt_seg_create() refuses a name whose writer runs.
 *  2. Register metrics (brrt_family_register) and look up series (brrt_*_get) from any thread.
 *     Lookups are lock-free (RCU hash table); only the first lookup of a new label set locks.
 *  3. Update through handles from any thread. Each thread gets its own shard on its first
 *     update: updates are a relaxed load+add+store on a cache line no other thread writes.
 *     When no shard is free, updates fall back to atomic adds on the shared shard (counted).
 *  4. A handle that failed to register is all-zero; updating it does nothing. A zeroed handle is
 *     always safe.
 *  5. Stop updating a segment's handles before brrt_seg_close(); after it they are invalid.
 *  6. A forked child cannot update the parent's segment: its updates are dropped or land in
 *     a private copy; brrt_seg_close() in the child only releases the child's resources. The
 *     child holds no descriptor of the segment (a killed parent reads as dead and can restart
 *     while the child lives). The library's pthread_atfork handlers call liburcu-bp's fork
 *     hooks (urcu_bp_before_fork & co.): an application that uses liburcu-bp must not call
 *     them a second time.
 *  7. Thread exit gives the thread's shard back for reuse. The values stay in the shard, so
 *     nothing is lost and nothing is counted twice.
 * What it does NOT guarantee: that a reader sees several values as of one instant. Each value
 * is read atomically and sharded counters never go backwards; see shm_format.h. */
#ifndef BRRTSTAT_BRRTSTAT_H
#define BRRTSTAT_BRRTSTAT_H

#include "brrtstat/errors.h"
#include "brrtstat/hist_math.h"
#include "brrtstat/types.h"
#include "brrtstat/version.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BRRT_API __attribute__((visibility("default")))

#define BRRT_HIST_SCHEMA_ZERO (-128) /* brrt_metric_def.schema: ask for schema 0 */

typedef struct brrt_seg brrt_seg;
typedef struct brrt_family brrt_family;

/* ---- segments ------------------------------------------------------------------------ */

struct brrt_seg_opts {
    const char *dir;       /* NULL: $BRRT_STAT_DIR or /dev/shm/brrtstat */
    unsigned mode;         /* 0640 (default) or 0600; anything world-accessible is refused */
    /* Ceilings: the file is sparse, tmpfs pages are reserved only for what is registered and
     * for the shards threads use (a one-counter segment is ~70 KiB; 300 labelled histogram
     * series on 8 threads ~10 MiB). Reaching one: BRRT_E_FULL and header full_errors + 1. */
    uint32_t max_shards;   /* shards incl. the shared one; default 128 */
    uint64_t shard_bytes;  /* value bytes per shard; default 4 MiB (~1100 histogram series) */
    uint32_t max_entries;  /* directory entries (metrics + series); default 65536 */
    uint64_t arena_bytes;  /* strings and schemas; default 8 MiB */
    uint32_t heartbeat_ms; /* heartbeat thread period; default 1000; 0 = no thread */
};

#define BRRT_SEG_UNLINK 1u /* brrt_seg_close: remove the file too */

BRRT_API void brrt_seg_opts_init(struct brrt_seg_opts *opts);
/* Creates segment `name` (see brrt_shm_name_valid). A previous file of that name whose writer
 * is gone is replaced by a new generation. Returns 0, BRRT_E_INVAL, BRRT_E_BUSY (its writer
 * still runs), BRRT_E_INSECURE, BRRT_E_FULL (tmpfs has no room) or BRRT_E_SYSTEM. */
BRRT_API int brrt_seg_create(const char *name, const struct brrt_seg_opts *opts, brrt_seg **out);
/* Marks the segment CLOSED, releases the writer lock and unmaps it. */
BRRT_API int brrt_seg_close(brrt_seg *seg, unsigned flags);
BRRT_API const char *brrt_seg_path(const brrt_seg *seg);
BRRT_API uint64_t brrt_seg_generation(const brrt_seg *seg);
/* Moves the heartbeat now (the heartbeat thread does this every heartbeat_ms). */
BRRT_API void brrt_seg_heartbeat(brrt_seg *seg);
/* Registers fn(arg) to run on the heartbeat thread before every heartbeat (collectors).
 * Returns 0, BRRT_E_INVAL (no heartbeat thread) or BRRT_E_FULL (8 hooks at most). */
BRRT_API int brrt_seg_add_tick(brrt_seg *seg, void (*fn)(void *arg), void *arg);

/* ---- metric families ----------------------------------------------------------------- */


struct brrt_metric_def {
    const char *name; /* Prometheus metric name */
    const char *help;
    const char *unit; /* "seconds", "bytes", "" */
    enum brrt_type type;
    const char *const *label_names;
    uint32_t nlabels;     /* <= 16 */
    double scale;         /* unit value of one raw step (counter, histogram); 0 means 1 */
    const double *le;     /* histogram: ascending Prometheus bounds in the unit, each >= 0 and
                           * a whole number of `scale` steps (0.005 s at scale 1e-9: yes) */
    uint32_t n_le;        /* <= 64 */
    /* histogram native buckets (Prometheus native-histogram schema; docs/segment-format.md
     * §10): bucket i covers (base^(i-1), base^i] of the unit, base = 2^(2^-schema). */
    int32_t schema;       /* -4..8; 0 means 4 (buckets 4.4 % wide); BRRT_HIST_SCHEMA_ZERO = 0 */
    double hist_min;      /* values <= this count in the zero bucket (rounded up to a bucket
                           * bound); 0 means 2^-20 for unit "seconds", else 0.5 */
    double hist_max;      /* values above this count in the overflow bucket (rounded up to a
                           * bound); 0 means 128 for unit "seconds", else 2^26 */
    uint32_t max_series;  /* label sets before folding into __other; 0 means 1000 */
};

/* Registers (or finds the identical earlier registration of) a metric family. Returns 0,
 * BRRT_E_INVAL (bad name/labels/buckets), BRRT_E_EXISTS (same name, other definition) or
 * BRRT_E_FULL (segment full: counted in the header, nothing is corrupted). */
BRRT_API int brrt_family_register(brrt_seg *seg, const struct brrt_metric_def *def,
                                  brrt_family **out);

/* ---- handles ------------------------------------------------------------------------- */

struct brrt__hist_fast; /* private: per-family histogram tables */

typedef struct {
    uint32_t tag; /* segment tag; 0 = null handle */
    uint32_t off; /* value offset inside a shard */
    brrt_seg *seg;
} brrt_counter, brrt_updown;

typedef struct {
    uint64_t *slot; /* the double's bits in the shared shard; NULL = null handle */
} brrt_gauge;

typedef struct {
    uint32_t tag;
    uint32_t off;
    brrt_seg *seg;
    const struct brrt__hist_fast *fast;
} brrt_histogram;

/* Label values array literal: brrt_counter_get(f, BRRT_LABELS("/pets", "200"), &c). */
#define BRRT_LABELS(...) ((const char *const[]){__VA_ARGS__})

/* Series lookup: `values` holds the family's nlabels values (NULL when it has none).
 * Returns 0; BRRT_E_CARDINALITY with a valid handle to the family's __other series; or
 * BRRT_E_INVAL / BRRT_E_FULL with a null handle. The family must be of the handle's type
 * (BRRT_COUNTER for brrt_counter_get, BRRT_GAUGE or BRRT_COUNTER_SAMPLED for gauge_get). */
BRRT_API int brrt_counter_get(brrt_family *f, const char *const *values, brrt_counter *out);
BRRT_API int brrt_updown_get(brrt_family *f, const char *const *values, brrt_updown *out);
BRRT_API int brrt_gauge_get(brrt_family *f, const char *const *values, brrt_gauge *out);
BRRT_API int brrt_histogram_get(brrt_family *f, const char *const *values, brrt_histogram *out);

/* ---- fast paths ----------------------------------------------------------------------
 * Inline: the bodies are in brrtstat/static/brrtstat.h, included at the end of this header.
 * All of them are safe on a null handle (they then do nothing). */

/* Adds n to the counter (brrt_counter_inc: 1). */
static inline void brrt_counter_add(brrt_counter c, uint64_t n);
static inline void brrt_counter_inc(brrt_counter c);
/* Adds delta (negative allowed) to the up-down gauge. */
static inline void brrt_updown_add(brrt_updown g, int64_t delta);
/* Sets the gauge. */
static inline void brrt_gauge_set(brrt_gauge g, double v);
/* Observes `v` in the family's unit (seconds for a duration histogram), quantised up to a
 * whole raw step (so v <= le exactly when the raw value <= the raw bound, for raw values
 * below 2^48; a relative 2^-49 absorbs the rounding of v / scale). Negative values count as 0, values beyond the range
 * (+Inf too) in the overflow bucket, adding the range's top to the sum (so the sum never
 * wraps backwards); NaN is not an observation: dropped. */
static inline void brrt_histogram_observe(brrt_histogram h, double v);
/* Observes a raw value: a whole number of the family's `scale` steps. */
static inline void brrt_histogram_observe_raw(brrt_histogram h, uint64_t raw);

#ifdef __cplusplus
}
#endif

#include "brrtstat/static/brrtstat.h"

#endif
