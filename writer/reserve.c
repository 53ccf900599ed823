/* Memory that follows use: the segment file is sparse, and tmpfs pages are reserved
 * (fallocate) only for what is about to be published — the header page at creation, then
 * directory entries, arena bytes and value bytes as they are registered, and a shard's value
 * bytes when it is first handed out. Every reservation runs under seg->lock, before the
 * release store that publishes the bytes, and never on an update path: a full tmpfs fails a
 * registration with BRRT_E_FULL (counted in full_errors), never a later write with SIGBUS.
 * Readers rely on it: they refuse a file whose published ranges contain holes
 * (docs/segment-format.md §4.1). Reservations grow in RESERVE_CHUNK steps to keep syscalls
 * rare; the pages a chunk adds cost memory only once they are reserved. */
#include "writer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define RESERVE_CHUNK (16u * 1024u)

/* Reserves file bytes [off, off + len), which nobody uses yet, and makes them data.
 * 0, BRRT_E_FULL (no room) or BRRT_E_SYSTEM. */
static int reserve_range(const brrt_seg *seg, uint64_t off, uint64_t len)
{
    if (len == 0 || seg->fd < 0) /* fd < 0: a forked child's private copy, memory not tmpfs */
        return 0;
    int rc;
    do
        rc = fallocate(seg->fd, 0, (off_t)off, (off_t)len);
    while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EOPNOTSUPP) /* EOPNOTSUPP: not tmpfs, nothing to reserve ahead */
        return (errno == ENOSPC || errno == EDQUOT || errno == EFBIG) ? BRRT_E_FULL : BRRT_E_SYSTEM;
    /* fallocate'd pages still read as holes (SEEK_HOLE) until written, and readers refuse
     * holes in published ranges: write the zeros. No byte here is in use yet (only bytes above
     * the reserved marks are), and the pages are allocated, so this cannot run out of room. */
    static const char zeros[16384];
    while (len > 0) {
        size_t n = len < sizeof zeros ? (size_t)len : sizeof zeros;
        ssize_t w = pwrite(seg->fd, zeros, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return errno == ENOSPC ? BRRT_E_FULL : BRRT_E_SYSTEM;
        off += (uint64_t)w;
        len -= (uint64_t)w;
    }
    return 0;
}

/* The new high-water mark for `need` bytes of a region of `cap` bytes, in chunks. */
static uint64_t grow_to(uint64_t need, uint64_t cap)
{
    uint64_t to = brrt_shm_align(need, RESERVE_CHUNK);
    return to < cap ? to : cap;
}

int brrt__reserve_header(brrt_seg *seg)
{
    uint64_t n = seg->layout.dir_offset < 4096 ? 4096 : BRRT_SHM_HEADER_SIZE;
    return reserve_range(seg, 0, n < seg->layout.segment_size ? n : seg->layout.segment_size);
}

int brrt__reserve_dir(brrt_seg *seg, uint32_t entries)
{
    uint64_t need = (uint64_t)entries * BRRT_SHM_ENTRY_SIZE;
    if (need <= seg->dir_reserved)
        return 0;
    uint64_t to = grow_to(need, (uint64_t)seg->layout.dir_capacity * BRRT_SHM_ENTRY_SIZE);
    int rc = reserve_range(seg, seg->layout.dir_offset + seg->dir_reserved, to - seg->dir_reserved);
    if (rc == 0)
        seg->dir_reserved = to;
    return rc;
}

int brrt__reserve_arena(brrt_seg *seg, uint64_t bytes)
{
    if (bytes <= seg->arena_reserved)
        return 0;
    uint64_t to = grow_to(bytes, seg->layout.arena_capacity);
    int rc = reserve_range(seg, seg->layout.arena_offset + seg->arena_reserved, to - seg->arena_reserved);
    if (rc == 0)
        seg->arena_reserved = to;
    return rc;
}

int brrt__reserve_values(brrt_seg *seg, uint64_t bytes)
{
    if (bytes <= seg->values_reserved)
        return 0;
    uint64_t to = grow_to(bytes, seg->layout.shard_stride);
    for (uint32_t k = 0; k < seg->shards_used; k++) {
        uint64_t base = seg->layout.shard_offset + (uint64_t)k * seg->layout.shard_stride;
        int rc = reserve_range(seg, base + seg->values_reserved, to - seg->values_reserved);
        if (rc)
            return rc; /* the mark stays: shards reserved above it are merely early */
    }
    seg->values_reserved = to;
    return 0;
}

int brrt__reserve_shard(brrt_seg *seg, uint32_t shard)
{
    uint64_t base = seg->layout.shard_offset + (uint64_t)shard * seg->layout.shard_stride;
    return reserve_range(seg, base, seg->values_reserved);
}
