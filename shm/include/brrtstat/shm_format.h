/* brrtstat segment format, ABI 2.
 *
 * One segment is one regular file on tmpfs, written by exactly one process (the writer) and
 * mapped read-only by any number of reader processes. docs/segment-format.md is the prose
 * version of this header; the two must agree.
 *
 * Contract (numbered so that code and docs can cite it):
 *  1. Offsets only, never pointers. Every offset is relative to the start of the file, except
 *     string/array references (relative to the arena) and value offsets (relative to a shard).
 *  2. Everything a reader may see is published before it is referenced: the writer writes a
 *     new entry's strings, then the entry, and reserves its value area (zero: the file is
 *     zero-filled and never reused), then release-stores the new counts (arena_used,
 *     shard_bytes_used, then dir_count). Readers acquire-load dir_count first and may then use
 *     every entry below it. Published entries and strings never change.
 *  3. Values are 8-byte aligned 64-bit words, read and written with single-copy-atomic relaxed
 *     loads/stores. A sharded value is written only by the thread that owns the shard (plain
 *     load+add+store, no lock prefix), except shard 0, the shared shard, which is updated
 *     with atomic read-modify-write. Readers sum shards [0, shards_used).
 *  4. Nothing is removed or reused within a file. A writer restart creates a new file (atomic
 *     rename over the old name) with a higher generation; readers notice by re-stat'ing.
 *  5. The writer holds flock(LOCK_EX) on the file for its lifetime: a reader whose
 *     flock(LOCK_SH|LOCK_NB) succeeds knows the writer is gone.
 *  6. This guarantees per-value atomicity and per-value monotonicity of sharded counters. It
 *     does NOT guarantee that two different values were read at the same instant.
 *
 * All integers are in the writer's native byte order; byte_order tells readers which. */
#ifndef BRRTSTAT_SHM_FORMAT_H
#define BRRTSTAT_SHM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define BRRT_SHM_MAGIC "BRRTSTAT" /* 8 bytes, no NUL stored */
#define BRRT_SHM_MAGIC_LEN 8
#define BRRT_SHM_ABI_MAJOR 2u /* readers refuse another major */
#define BRRT_SHM_ABI_MINOR 0u /* additive changes only; readers accept any minor */
#define BRRT_SHM_BYTE_ORDER 0x01020304u
#define BRRT_SHM_LINE 64u
#define BRRT_SHM_MAX_SEGMENT_BYTES (1ull << 32) /* readers refuse larger files */
#define BRRT_SHM_MAX_LABELS 16u
#define BRRT_SHM_MAX_STRING 4096u
#define BRRT_SHM_MAX_LE 64u /* Prometheus buckets per histogram, +Inf excluded */
#define BRRT_SHM_MAX_SHARDS 4096u /* shard_capacity, shard 0 included (readers enforce it) */

/* Segment states (header.state). */
enum brrt_shm_state {
    BRRT_SHM_INITIALIZING = 0, /* file exists but is not published yet */
    BRRT_SHM_READY = 1,        /* writer is (or was, if unlocked) running */
    BRRT_SHM_CLOSED = 2,       /* writer closed the segment cleanly; values are final */
};

/* Directory entry kinds. */
enum brrt_shm_kind {
    BRRT_SHM_FAMILY = 1, /* a metric: name, type, help, unit, label names */
    BRRT_SHM_SERIES = 2, /* one set of label values of a family, with its value area */
};

/* Prometheus-visible metric types. */
enum brrt_shm_type {
    BRRT_SHM_COUNTER = 1,
    BRRT_SHM_GAUGE = 2,
    BRRT_SHM_HISTOGRAM = 3,
};

/* How a series' value is stored, and therefore how readers combine it. */
enum brrt_shm_storage {
    BRRT_SHM_SHARDED_U64 = 1,  /* u64 per shard, summed; value = sum * scale */
    BRRT_SHM_SHARDED_I64 = 2,  /* i64 delta per shard, summed (up/down gauges) */
    BRRT_SHM_GLOBAL_F64 = 3,   /* one IEEE-754 double in shard 0, last store wins */
    BRRT_SHM_SHARDED_HIST = 4, /* struct brrt_shm_hist_values per shard, summed */
};

/* The header, at file offset 0. 256 bytes, four cache lines, grouped by who writes when. */
struct brrt_shm_header {
    /* Line 0: identity and geometry. Written by the writer before the file is published
     * (rename), never changed after; readers read plainly after validating. */
    char magic[BRRT_SHM_MAGIC_LEN];
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t byte_order;   /* BRRT_SHM_BYTE_ORDER as the writer stored it */
    uint32_t header_size;  /* sizeof(struct brrt_shm_header) */
    uint64_t segment_size; /* total file size in bytes; equals st_size */
    uint64_t generation;   /* 1 for the first writer of a name, +1 on every restart */
    uint64_t writer_pid;
    uint64_t start_realtime_ns; /* CLOCK_REALTIME when the writer created the file */
    uint32_t entry_size;        /* sizeof(struct brrt_shm_entry) */
    uint32_t dir_capacity;      /* directory entries that fit */

    /* Line 1: geometry (offsets from file start; all 64-byte aligned). Same rules as line 0. */
    uint64_t dir_offset;
    uint64_t arena_offset;
    uint64_t arena_capacity;
    uint64_t shard_offset;
    uint64_t shard_stride;   /* bytes between two shards; each shard's value area */
    uint32_t shard_capacity; /* shards that fit; shard 0 is the shared shard */
    uint32_t flags;          /* reserved, 0 */
    uint64_t reserved1[2];

    /* Line 2: publication. Writer: release stores (counts under its registration lock; state
     * at creation and at close). Readers: acquire loads, dir_count first (contract 2). */
    uint32_t state;            /* enum brrt_shm_state */
    uint32_t dir_count;        /* entries [0, dir_count) are published */
    uint64_t arena_used;       /* arena bytes [0, arena_used) are published */
    uint64_t shard_bytes_used; /* value bytes [0, shard_bytes_used) of every shard are in use */
    uint32_t shards_used;      /* shards [0, shards_used) have been handed out at least once */
    uint32_t reserved2;
    uint64_t reserved3[4];

    /* Line 3: liveness and writer-side problems. Writer: heartbeat_interval_ns before
     * publication; heartbeat_mono_ns by relaxed stores (heartbeat thread, brrt_seg_heartbeat,
     * close); the counters by relaxed atomic adds from any thread. Readers: relaxed loads. */
    uint64_t heartbeat_mono_ns;     /* CLOCK_MONOTONIC of the writer's last heartbeat */
    uint64_t heartbeat_interval_ns; /* how often the heartbeat is meant to move; 0 = never */
    uint64_t full_errors;           /* registrations refused because the segment was full */
    uint64_t cardinality_overflows; /* series lookups folded into __other (over the cap) */
    uint64_t shared_shard_updates;  /* updates that fell back to the shared shard */
    uint64_t reserved4[3];
};

/* A string or array reference: an offset into the arena. A string at `off` is stored as
 * u32 length, the bytes, a NUL; an array of n references is n u32 offsets. Both 4-aligned. */
typedef uint32_t brrt_shm_ref;

/* One directory entry. 64 bytes. Written once by the writer before dir_count covers it. */
struct brrt_shm_entry {
    uint16_t kind;    /* enum brrt_shm_kind */
    uint16_t type;    /* enum brrt_shm_type (series: same as its family) */
    uint16_t storage; /* enum brrt_shm_storage (series: same as its family) */
    uint16_t nlabels; /* label count (series: same as its family) */
    uint32_t family;  /* FAMILY: own index. SERIES: index of its family, < own index */
    brrt_shm_ref name;   /* FAMILY: metric name. SERIES: 0 */
    brrt_shm_ref help;   /* FAMILY: help text. SERIES: 0 */
    brrt_shm_ref unit;   /* FAMILY: unit ("seconds", "bytes", "" ...). SERIES: 0 */
    brrt_shm_ref labels; /* FAMILY: array of nlabels name refs. SERIES: array of value refs */
    brrt_shm_ref hist;   /* FAMILY of a histogram: struct brrt_shm_hist_schema. else 0 */
    uint64_t value_offset; /* SERIES: offset of its value area inside every shard */
    uint32_t value_size;   /* SERIES: bytes of that area */
    uint32_t flags;        /* SERIES: BRRT_SHM_SERIES_OVERFLOW for the __other series */
    double scale;          /* FAMILY: unit value of one raw integer step (1.0, 1e-9 ...) */
    uint64_t reserved;
};

#define BRRT_SHM_SERIES_OVERFLOW 1u

/* Histogram schema, in the arena (8-aligned), referenced by a FAMILY entry. 32 bytes.
 * The fine buckets are Prometheus native-histogram buckets: bucket i covers the values
 * (base^(i-1), base^i] of the family's unit, base = 2^(2^-schema), for index_min <= i <=
 * index_max; a zero bucket holds 0 <= v <= zero_threshold = base^(index_min-1); an overflow
 * bucket holds v > base^index_max (+Inf included). v = (double)raw * scale. See hist_math.h.
 * le[] are the classic Prometheus upper bounds in the unit; le_raw[] the same bounds as raw
 * integers (an observation raw counts in le bucket i when le_raw[i-1] < raw <= le_raw[i]). */
struct brrt_shm_hist_schema {
    int32_t schema;        /* BRRT_HIST_SCHEMA_MIN..MAX (-4..8) */
    int32_t index_min;     /* first regular native bucket */
    int32_t index_max;     /* last; index_max - index_min + 1 <= BRRT_HIST_MAX_BUCKETS */
    uint32_t n_le;         /* finite Prometheus bounds, <= BRRT_SHM_MAX_LE */
    double zero_threshold; /* brrt_hist_bound(schema, index_min - 1), in the unit */
    uint64_t sum_cap_raw;  /* largest raw below the overflow bucket: what a past-range
                            * observation adds to sum_raw (so +Inf never wraps the sum) */
    /* followed by: double le[n_le]; uint64_t le_raw[n_le]; */
};

/* Per-shard value area of a histogram series (value_size bytes), n_buckets = index_max -
 * index_min + 1:
 *   uint64_t sum_raw;                 sum of min(raw, sum_cap_raw) (wrapping)
 *   uint64_t le_count[n_le + 1];      non-cumulative; last is (le_raw[n_le-1], +Inf)
 *   uint64_t zero;                    native zero bucket
 *   uint64_t bucket[n_buckets];       native bucket index_min + k
 *   uint64_t overflow;                above base^index_max
 * _count is the sum of le_count[], which equals zero + sum(bucket) + overflow at rest. */

#define BRRT_SHM_HEADER_SIZE 256u
#define BRRT_SHM_ENTRY_SIZE 64u

#ifdef __cplusplus /* C++ (the header is public): static_assert is the keyword there */
#define BRRT_SHM_STATIC_ASSERT static_assert
#else
#define BRRT_SHM_STATIC_ASSERT _Static_assert
#endif
BRRT_SHM_STATIC_ASSERT(sizeof(struct brrt_shm_header) == BRRT_SHM_HEADER_SIZE, "header is 256 bytes");
BRRT_SHM_STATIC_ASSERT(sizeof(struct brrt_shm_entry) == BRRT_SHM_ENTRY_SIZE, "entry is 64 bytes");
BRRT_SHM_STATIC_ASSERT(sizeof(struct brrt_shm_hist_schema) == 32, "hist schema is 32 bytes");

/* Every field at the offset and of the size docs/segment-format.md gives (§5, §6, §8); the
 * test format_doc_offsets checks that these lines and the document's tables agree. */
#define BRRT_SHM_FIELD(st, field, off, size)                                                      \
    BRRT_SHM_STATIC_ASSERT(offsetof(struct st, field) == (off) && sizeof(((struct st *)0)->field) == (size), \
                           #st "." #field " is at offset " #off ", " #size " bytes")
BRRT_SHM_FIELD(brrt_shm_header, magic, 0, 8);
BRRT_SHM_FIELD(brrt_shm_header, abi_major, 8, 4);
BRRT_SHM_FIELD(brrt_shm_header, abi_minor, 12, 4);
BRRT_SHM_FIELD(brrt_shm_header, byte_order, 16, 4);
BRRT_SHM_FIELD(brrt_shm_header, header_size, 20, 4);
BRRT_SHM_FIELD(brrt_shm_header, segment_size, 24, 8);
BRRT_SHM_FIELD(brrt_shm_header, generation, 32, 8);
BRRT_SHM_FIELD(brrt_shm_header, writer_pid, 40, 8);
BRRT_SHM_FIELD(brrt_shm_header, start_realtime_ns, 48, 8);
BRRT_SHM_FIELD(brrt_shm_header, entry_size, 56, 4);
BRRT_SHM_FIELD(brrt_shm_header, dir_capacity, 60, 4);
BRRT_SHM_FIELD(brrt_shm_header, dir_offset, 64, 8);
BRRT_SHM_FIELD(brrt_shm_header, arena_offset, 72, 8);
BRRT_SHM_FIELD(brrt_shm_header, arena_capacity, 80, 8);
BRRT_SHM_FIELD(brrt_shm_header, shard_offset, 88, 8);
BRRT_SHM_FIELD(brrt_shm_header, shard_stride, 96, 8);
BRRT_SHM_FIELD(brrt_shm_header, shard_capacity, 104, 4);
BRRT_SHM_FIELD(brrt_shm_header, flags, 108, 4);
BRRT_SHM_FIELD(brrt_shm_header, reserved1, 112, 16);
BRRT_SHM_FIELD(brrt_shm_header, state, 128, 4);
BRRT_SHM_FIELD(brrt_shm_header, dir_count, 132, 4);
BRRT_SHM_FIELD(brrt_shm_header, arena_used, 136, 8);
BRRT_SHM_FIELD(brrt_shm_header, shard_bytes_used, 144, 8);
BRRT_SHM_FIELD(brrt_shm_header, shards_used, 152, 4);
BRRT_SHM_FIELD(brrt_shm_header, reserved2, 156, 4);
BRRT_SHM_FIELD(brrt_shm_header, reserved3, 160, 32);
BRRT_SHM_FIELD(brrt_shm_header, heartbeat_mono_ns, 192, 8);
BRRT_SHM_FIELD(brrt_shm_header, heartbeat_interval_ns, 200, 8);
BRRT_SHM_FIELD(brrt_shm_header, full_errors, 208, 8);
BRRT_SHM_FIELD(brrt_shm_header, cardinality_overflows, 216, 8);
BRRT_SHM_FIELD(brrt_shm_header, shared_shard_updates, 224, 8);
BRRT_SHM_FIELD(brrt_shm_header, reserved4, 232, 24);
BRRT_SHM_FIELD(brrt_shm_entry, kind, 0, 2);
BRRT_SHM_FIELD(brrt_shm_entry, type, 2, 2);
BRRT_SHM_FIELD(brrt_shm_entry, storage, 4, 2);
BRRT_SHM_FIELD(brrt_shm_entry, nlabels, 6, 2);
BRRT_SHM_FIELD(brrt_shm_entry, family, 8, 4);
BRRT_SHM_FIELD(brrt_shm_entry, name, 12, 4);
BRRT_SHM_FIELD(brrt_shm_entry, help, 16, 4);
BRRT_SHM_FIELD(brrt_shm_entry, unit, 20, 4);
BRRT_SHM_FIELD(brrt_shm_entry, labels, 24, 4);
BRRT_SHM_FIELD(brrt_shm_entry, hist, 28, 4);
BRRT_SHM_FIELD(brrt_shm_entry, value_offset, 32, 8);
BRRT_SHM_FIELD(brrt_shm_entry, value_size, 40, 4);
BRRT_SHM_FIELD(brrt_shm_entry, flags, 44, 4);
BRRT_SHM_FIELD(brrt_shm_entry, scale, 48, 8);
BRRT_SHM_FIELD(brrt_shm_entry, reserved, 56, 8);
BRRT_SHM_FIELD(brrt_shm_hist_schema, schema, 0, 4);
BRRT_SHM_FIELD(brrt_shm_hist_schema, index_min, 4, 4);
BRRT_SHM_FIELD(brrt_shm_hist_schema, index_max, 8, 4);
BRRT_SHM_FIELD(brrt_shm_hist_schema, n_le, 12, 4);
BRRT_SHM_FIELD(brrt_shm_hist_schema, zero_threshold, 16, 8);
BRRT_SHM_FIELD(brrt_shm_hist_schema, sum_cap_raw, 24, 8);
#undef BRRT_SHM_FIELD
#undef BRRT_SHM_STATIC_ASSERT

#endif
