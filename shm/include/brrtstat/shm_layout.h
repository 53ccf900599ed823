/* Segment geometry: planned by the writer, validated (as untrusted input) by readers.
 * One function computes where everything goes, so writer and reader cannot disagree. */
#ifndef BRRTSTAT_SHM_LAYOUT_H
#define BRRTSTAT_SHM_LAYOUT_H

#include "brrtstat/shm_format.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A private, validated copy of the header's immutable part. Readers use this copy after
 * validation, never the live header, so a later scribble cannot move an offset. */
struct brrt_shm_layout {
    uint32_t abi_minor;
    uint32_t dir_capacity;
    uint32_t shard_capacity;
    uint64_t segment_size;
    uint64_t generation;
    uint64_t writer_pid;
    uint64_t start_realtime_ns;
    uint64_t dir_offset;
    uint64_t arena_offset;
    uint64_t arena_capacity;
    uint64_t shard_offset;
    uint64_t shard_stride;
};

/* The acquire-loaded publication counters, checked against the layout's capacities. */
struct brrt_shm_published {
    uint32_t state;
    uint32_t dir_count;
    uint32_t shards_used;
    uint64_t arena_used;
    uint64_t shard_bytes_used;
};

/* Plans a layout: directory, arena, then shards, each 64-byte aligned. Returns 0 or
 * BRRT_E_INVAL when a capacity is zero or the total exceeds BRRT_SHM_MAX_SEGMENT_BYTES. */
int brrt_shm_layout_plan(uint32_t dir_entries, uint64_t arena_bytes, uint32_t shards,
                         uint64_t shard_stride, struct brrt_shm_layout *out);

/* Writes the identity (magic, ABI, byte order, sizes) and the layout `l` into header `h`; the
 * rest (generation, pid, clocks, counters, state) is the writer's. The one header-from-layout
 * code: the writer's segment.c and the format tests use it. Internal (not exported). */
void brrt_shm_header_from_layout(struct brrt_shm_header *h, const struct brrt_shm_layout *l);

/* Validates the header at `map` (`file_size` bytes mapped) and fills `out`.
 * Returns 0, BRRT_E_TRUNCATED, BRRT_E_CORRUPT (bad magic, sizes, offsets), BRRT_E_ENDIAN,
 * BRRT_E_VERSION or BRRT_E_NOT_READY; `why` says which field was wrong. */
int brrt_shm_validate_header(const void *map, uint64_t file_size, struct brrt_shm_layout *out,
                             char *why, size_t whylen);

/* Acquire-loads the publication counters (dir_count first) and bounds-checks them. */
int brrt_shm_load_published(const void *map, const struct brrt_shm_layout *l,
                            struct brrt_shm_published *out, char *why, size_t whylen);

/* Copies the string at arena reference `ref` into `buf` (NUL-terminated) after checking it
 * lies inside [0, arena_used), has a sane length and no embedded NUL. */
int brrt_shm_copy_string(const void *map, const struct brrt_shm_layout *l, uint64_t arena_used,
                         brrt_shm_ref ref, char *buf, size_t buflen);

/* Copies `n` u32 references of the array at `ref` into `out` after bounds-checking. */
int brrt_shm_copy_refs(const void *map, const struct brrt_shm_layout *l, uint64_t arena_used,
                       brrt_shm_ref ref, uint32_t n, uint32_t *out);

/* Copies `len` bytes at arena offset `ref` (alignment `align`) after bounds-checking. */
int brrt_shm_copy_arena(const void *map, const struct brrt_shm_layout *l, uint64_t arena_used,
                        brrt_shm_ref ref, size_t len, size_t align, void *out);

static inline uint64_t brrt_shm_align(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}


#ifdef __cplusplus
}
#endif

#endif
