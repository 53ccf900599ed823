/* brrtstat reader library: attach to a segment, validate it as untrusted input, take
 * snapshots without ever blocking or slowing its writer.
 *
 * Usage constraints:
 *  1. A reader is used by one thread at a time. Several readers may attach to one segment.
 *  2. Snapshots are immutable and stay valid after the reader is reopened or closed.
 *  3. Every offset and size in the segment is bounds-checked before use; strings are copied
 *     and checked after copying. A bad segment gives BRRT_E_CORRUPT (or TRUNCATED, VERSION,
 *     ENDIAN, INSECURE) with the reason in brrt_reader_why() / the `why` buffer. A bad
 *     directory entry does not: it is skipped (once: it is never parsed again) and counted in
 *     brrt_reader_info.skipped_entries, and the valid entries are served.
 *  4. Readers never wait for the writer: a snapshot is wait-free. The only bounded retry is at
 *     attach, while a segment is still INITIALIZING (BRRT_E_NOT_READY after ~50 ms).
 * What it does NOT guarantee: that values of different series are from one instant. Counters
 * never go backwards between snapshots of one generation; a histogram's _count always equals
 * the sum of its Prometheus buckets within a snapshot. */
#ifndef BRRTSTAT_READER_H
#define BRRTSTAT_READER_H

#include "brrtstat/errors.h"
#include "brrtstat/shm_format.h"
#include "brrtstat/version.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BRRT_READER_API __attribute__((visibility("default")))

typedef struct brrt_reader brrt_reader;

enum brrt_writer_state {
    BRRT_WRITER_RUNNING = 0, /* holds its lock, heartbeat fresh */
    BRRT_WRITER_STALE = 1,   /* holds its lock, heartbeat older than max(3 intervals, 2 s) */
    BRRT_WRITER_EXITED = 2,  /* closed the segment cleanly; values are final */
    BRRT_WRITER_DEAD = 3,    /* lock released without closing: crashed or killed */
};

struct brrt_reader_info {
    const char *path;
    enum brrt_writer_state state;
    bool replaced; /* the path now holds another file (a restarted writer): reopen */
    uint64_t generation;
    uint64_t writer_pid;
    uint64_t start_realtime_ns;
    double heartbeat_age_s; /* < 0 when unknown */
    double heartbeat_interval_s;
    uint64_t segment_size;
    uint32_t families;
    uint32_t series;
    uint32_t shards_used;
    uint32_t shard_capacity;
    uint64_t full_errors;
    uint64_t cardinality_overflows;
    uint64_t shared_shard_updates;
    uint32_t attach_retries; /* NOT_READY retries spent at the last (re)open */
    /* Directory entries refused as invalid and left out (with the series of a refused
     * family); the rest of the segment is served. brrt_reader_skipped_why() says why. */
    uint32_t skipped_entries;
};

BRRT_READER_API const char *brrt_writer_state_name(enum brrt_writer_state s);

/* The Prometheus type of a family: "counter", "gauge" or "histogram". */
static inline const char *brrt_snap_type_name(enum brrt_shm_type t)
{
    return t == BRRT_SHM_COUNTER ? "counter" : t == BRRT_SHM_HISTOGRAM ? "histogram" : "gauge";
}

/* Attaches to `name_or_path` (a name in $BRRT_STAT_DIR, or a path with a '/').
 * Returns 0 or an error; `why` (may be NULL) receives a one-line reason. */
BRRT_READER_API int brrt_reader_open(const char *name_or_path, brrt_reader **out, char *why,
                                     size_t whylen);
BRRT_READER_API void brrt_reader_close(brrt_reader *r);
/* Re-attaches to whatever file is at the path now (after a writer restart). On failure the
 * reader keeps its old attachment. */
BRRT_READER_API int brrt_reader_reopen(brrt_reader *r);
/* The reason of the last failed call. */
BRRT_READER_API const char *brrt_reader_why(const brrt_reader *r);
/* Why the first skipped directory entry was refused ("directory entry N: ..."), or NULL when
 * none was (see brrt_reader_info.skipped_entries). */
BRRT_READER_API const char *brrt_reader_skipped_why(const brrt_reader *r);
/* Liveness and header counters now (checks the lock, the heartbeat and the path). */
BRRT_READER_API int brrt_reader_info(brrt_reader *r, struct brrt_reader_info *out);

/* ---- snapshots ----------------------------------------------------------------------- */

struct brrt_snap_family {
    const char *name;
    const char *help;
    const char *unit;
    enum brrt_shm_type type;
    enum brrt_shm_storage storage;
    uint32_t nlabels;
    const char *const *label_names;
    double scale;
    /* histograms: native-histogram buckets (docs/segment-format.md §8-§10). Native bucket i
     * covers (base^(i-1), base^i] of the unit, base = 2^(2^-schema), index_min <= i <= index_max */
    int32_t schema;        /* -4..8 */
    int32_t index_min;     /* first regular native bucket index */
    int32_t index_max;     /* last regular native bucket index (>= index_min) */
    double zero_threshold; /* base^(index_min-1) > 0: the zero bucket holds 0 <= v <= this */
    uint32_t n_le;
    const double *le;   /* n_le finite bounds */
    uint32_t n_fine;    /* index_max - index_min + 3: zero bucket, regular buckets, overflow */
    /* its series are series[first_series .. first_series + n_series) */
    uint32_t first_series;
    uint32_t n_series;
    /* histograms: n_le + 1 strings, each bound as brrt_fmt_double writes it, then "+Inf" */
    const char *const *le_text;
};

struct brrt_snap_series {
    uint32_t family;
    const char *const *label_values;
    bool overflow;   /* the __other series of a family that hit its cardinality cap */
    double value;    /* counter/gauge in the unit (integer sum * scale, or the double) */
    uint64_t u64;    /* SHARDED_U64: exact raw sum (no loss above 2^53) */
    int64_t i64;     /* SHARDED_I64: exact sum */
    /* histograms */
    uint64_t count;          /* = sum of le_counts */
    uint64_t sum_raw;
    double sum;              /* sum_raw * scale */
    const uint64_t *le_counts; /* n_le + 1, non-cumulative, last is +Inf */
    const uint64_t *fine;      /* n_fine words: fine[0] the zero bucket (v <= zero_threshold),
                                * fine[1 + (i - index_min)] native bucket i, fine[n_fine - 1] the
                                * overflow (v > base^index_max, +Inf included; not a native bucket) */
    /* The label pairs as exposition text, computed once per series and generation:
     * name="escaped value",... without braces ("" without labels). */
    const char *labels_text;
    uint32_t labels_text_len;
};

struct brrt_snapshot {
    struct brrt_reader_info info;
    uint64_t taken_realtime_ns;
    uint64_t taken_mono_ns;
    uint32_t n_families;
    const struct brrt_snap_family *families;
    uint32_t n_series;
    const struct brrt_snap_series *series; /* grouped by family, directory order within */
    uint32_t what; /* enum brrt_snap_what bits this snapshot read (never 0) */
    /* With BRRT_SNAP_RAW: raw[i] is series i's summed raw word (NULL without RAW; see
     * brrt_snap_raw_value). */
    const uint64_t *raw;
    /* Names the families and series this snapshot lists: two snapshots with the same layout
     * list the same families and series (names, help, labels, positions), e.g. two snapshots
     * of one reader with nothing registered between them. Never 0; never reused for another
     * list within a process. For caches of per-series text (the exporter's). */
    uint64_t layout;
};

/* What a snapshot reads from the shards (a bit set). Families, series, labels and info are
 * always complete; a part not asked for is neither read nor allocated: its numbers are 0 and
 * its pointers NULL. A part asked for is exactly what a full snapshot would give. */
enum brrt_snap_what {
    BRRT_SNAP_SCALARS = 1u << 0,   /* counters and gauges: value, u64, i64 */
    BRRT_SNAP_HIST_TEXT = 1u << 1, /* histograms: count, sum_raw, sum, le_counts */
    BRRT_SNAP_HIST_FINE = 1u << 2, /* histograms: fine buckets (quantiles, native exposition) */
    BRRT_SNAP_ALL = 7u,
    /* Counters and gauges as one word per series in snapshot->raw (not in the series structs,
     * whose value, u64 and i64 stay 0 unless SCALARS is asked too): for a consumer that only
     * writes the values out, it spares a 100-byte struct per series and scrape. Not in ALL. */
    BRRT_SNAP_RAW = 1u << 3,
};

/* The value of a counter or gauge series from its raw word, exactly as SCALARS computes
 * series.value (integer sum * scale, or the stored double). */
static inline double brrt_snap_raw_value(const struct brrt_snap_family *f, uint64_t raw)
{
    if (f->storage == BRRT_SHM_SHARDED_U64)
        return (double)raw * f->scale;
    if (f->storage == BRRT_SHM_SHARDED_I64)
        return (double)(int64_t)raw * f->scale;
    double v;
    __builtin_memcpy(&v, &raw, sizeof v);
    return v;
}

struct brrt_snapshot_opts {
    uint32_t what; /* BRRT_SNAP_* bits; 0 means BRRT_SNAP_ALL (RAW only when asked) */
    /* NULL, or an old snapshot (of any reader) handed back for its memory, so that a periodic
     * consumer allocates nothing in the steady state. Always consumed (reused or freed), also
     * when the call fails: the caller must not use or free it afterwards. */
    struct brrt_snapshot *reuse;
    /* 0, or how long (ms) the snapshot's liveness looks may be reused (a consumer that
     * snapshots often, like the exporter, spares two syscalls per snapshot): the writer-lock
     * probe that tells a crashed writer (DEAD) is repeated only when the last one is older, so
     * a crash shows in info.state at most this late; the path's stat (info.replaced) only then
     * or when the file lost its last link (a restart renames a new file over it: seen at
     * once). A clean exit (EXITED), a stale heartbeat and a truncated file show at once. */
    uint32_t liveness_ttl_ms;
};

/* Takes a snapshot (wait-free). Returns 0 or an error (the reader's why says more).
 * brrt_reader_snapshot(r, out) is brrt_reader_snapshot_opts(r, NULL, out): everything. */
BRRT_READER_API int brrt_reader_snapshot(brrt_reader *r, struct brrt_snapshot **out);
BRRT_READER_API int brrt_reader_snapshot_opts(brrt_reader *r, const struct brrt_snapshot_opts *opts,
                                              struct brrt_snapshot **out);
BRRT_READER_API void brrt_snapshot_free(struct brrt_snapshot *s);
/* The family called `name`, or NULL. */
BRRT_READER_API const struct brrt_snap_family *brrt_snapshot_family(const struct brrt_snapshot *s,
                                                                    const char *name);

/* The series of `prev` that is series `k` of family `family` in `cur` (the directory is
 * append-only, so family indices and positions within a family are stable), or NULL when
 * `prev` is from another generation or did not have it yet. For rates and windows. */
BRRT_READER_API const struct brrt_snap_series *brrt_snapshot_match(const struct brrt_snapshot *prev,
                                                                   const struct brrt_snapshot *cur,
                                                                   uint32_t family, uint32_t k);

/* ---- histogram maths ----------------------------------------------------------------- */

/* Quantile q in [0,1] of fine bucket counts (a snapshot's, or the difference of two), in the
 * family's unit, by Prometheus' histogram_quantile method: rank = q * total; the first bucket
 * (zero bucket [0, zero_threshold], then native buckets ascending) whose cumulative count
 * reaches the rank; linear interpolation inside it; a rank in the overflow reports
 * base^index_max. NaN when there are no observations. */
BRRT_READER_API double brrt_hist_quantile(const struct brrt_snap_family *f, const uint64_t *fine,
                                          double q);
/* The guaranteed relative error bound of brrt_hist_quantile inside the range: base - 1 (the
 * estimate and the true value share a bucket). 4.4 % at the default schema 4. */
BRRT_READER_API double brrt_hist_relative_error(const struct brrt_snap_family *f);
/* Upper bound base^index of native bucket `index`, in the unit: the exact double the writer
 * compared against (docs/segment-format.md §10.1). */
BRRT_READER_API double brrt_hist_native_bound(int32_t schema, int32_t index);
/* The count of native bucket `index` in fine[] (0 outside [index_min, index_max]). */
BRRT_READER_API uint64_t brrt_hist_native_count(const struct brrt_snap_family *f, const uint64_t *fine,
                                                int32_t index);

#ifdef __cplusplus
}
#endif

#endif
