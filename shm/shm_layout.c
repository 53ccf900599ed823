#include "brrtstat/shm_layout.h"

#include "brrtstat/errors.h"

#include <stdio.h>
#include <string.h>

#define FAIL(code, ...)                                                                    \
    do {                                                                                   \
        if (why)                                                                           \
            snprintf(why, whylen, __VA_ARGS__);                                            \
        return (code);                                                                     \
    } while (0)

int brrt_shm_layout_plan(uint32_t dir_entries, uint64_t arena_bytes, uint32_t shards,
                         uint64_t shard_stride, struct brrt_shm_layout *out)
{
    if (!out || dir_entries == 0 || arena_bytes == 0 || shards < 2 || shard_stride == 0 ||
        arena_bytes > UINT32_MAX || shard_stride > BRRT_SHM_MAX_SEGMENT_BYTES ||
        shards > BRRT_SHM_MAX_SHARDS)
        return BRRT_E_INVAL;
    memset(out, 0, sizeof *out);
    out->abi_minor = BRRT_SHM_ABI_MINOR;
    out->dir_capacity = dir_entries;
    out->shard_capacity = shards;
    out->dir_offset = BRRT_SHM_HEADER_SIZE;
    out->arena_offset =
        brrt_shm_align(out->dir_offset + (uint64_t)dir_entries * BRRT_SHM_ENTRY_SIZE, BRRT_SHM_LINE);
    out->arena_capacity = brrt_shm_align(arena_bytes, BRRT_SHM_LINE);
    out->shard_stride = brrt_shm_align(shard_stride, BRRT_SHM_LINE);
    out->shard_offset = brrt_shm_align(out->arena_offset + out->arena_capacity, 4096);
    uint64_t total = out->shard_offset + (uint64_t)shards * out->shard_stride;
    if (total > BRRT_SHM_MAX_SEGMENT_BYTES || out->arena_capacity > UINT32_MAX)
        return BRRT_E_INVAL;
    out->segment_size = brrt_shm_align(total, 4096);
    return 0;
}

static int range_ok(uint64_t off, uint64_t len, uint64_t limit)
{
    return off <= limit && len <= limit - off;
}

void brrt_shm_header_from_layout(struct brrt_shm_header *h, const struct brrt_shm_layout *l)
{
    memcpy(h->magic, BRRT_SHM_MAGIC, BRRT_SHM_MAGIC_LEN);
    h->abi_major = BRRT_SHM_ABI_MAJOR;
    h->abi_minor = BRRT_SHM_ABI_MINOR;
    h->byte_order = BRRT_SHM_BYTE_ORDER;
    h->header_size = BRRT_SHM_HEADER_SIZE;
    h->segment_size = l->segment_size;
    h->entry_size = BRRT_SHM_ENTRY_SIZE;
    h->dir_capacity = l->dir_capacity;
    h->dir_offset = l->dir_offset;
    h->arena_offset = l->arena_offset;
    h->arena_capacity = l->arena_capacity;
    h->shard_offset = l->shard_offset;
    h->shard_stride = l->shard_stride;
    h->shard_capacity = l->shard_capacity;
}

int brrt_shm_validate_header(const void *map, uint64_t file_size, struct brrt_shm_layout *out,
                             char *why, size_t whylen)
{
    if (file_size < BRRT_SHM_HEADER_SIZE)
        FAIL(BRRT_E_TRUNCATED, "file is %llu bytes, smaller than the %u-byte header",
             (unsigned long long)file_size, BRRT_SHM_HEADER_SIZE);
    /* state first (acquire): a READY state orders the initialised header before our copy */
    uint32_t state = __atomic_load_n(&((const struct brrt_shm_header *)map)->state, __ATOMIC_ACQUIRE);
    struct brrt_shm_header h;
    memcpy(&h, map, sizeof h); /* one private copy; the live header may change under us */
    if (memcmp(h.magic, BRRT_SHM_MAGIC, BRRT_SHM_MAGIC_LEN) != 0)
        FAIL(BRRT_E_CORRUPT, "bad magic (not a brrtstat segment)");
    if (h.byte_order != BRRT_SHM_BYTE_ORDER)
        FAIL(BRRT_E_ENDIAN, "byte-order mark 0x%08x, expected 0x%08x", h.byte_order,
             BRRT_SHM_BYTE_ORDER);
    if (h.abi_major != BRRT_SHM_ABI_MAJOR)
        FAIL(BRRT_E_VERSION, "ABI version %u.%u, this reader supports %u.x", h.abi_major,
             h.abi_minor, BRRT_SHM_ABI_MAJOR);
    if (h.header_size != BRRT_SHM_HEADER_SIZE || h.entry_size != BRRT_SHM_ENTRY_SIZE)
        FAIL(BRRT_E_CORRUPT, "header_size %u / entry_size %u, expected %u / %u", h.header_size,
             h.entry_size, BRRT_SHM_HEADER_SIZE, BRRT_SHM_ENTRY_SIZE);
    if (h.segment_size > file_size)
        FAIL(BRRT_E_TRUNCATED, "header says %llu bytes but the file has %llu",
             (unsigned long long)h.segment_size, (unsigned long long)file_size);
    if (h.segment_size != file_size || h.segment_size > BRRT_SHM_MAX_SEGMENT_BYTES)
        FAIL(BRRT_E_CORRUPT, "segment_size %llu does not match file size %llu",
             (unsigned long long)h.segment_size, (unsigned long long)file_size);
    if (state == BRRT_SHM_INITIALIZING)
        FAIL(BRRT_E_NOT_READY, "writer has not finished initialising the segment");
    if (state > BRRT_SHM_CLOSED)
        FAIL(BRRT_E_CORRUPT, "unknown state %u", state);

    uint64_t size = h.segment_size;
    uint64_t line = BRRT_SHM_LINE;
    if (h.dir_offset < BRRT_SHM_HEADER_SIZE || h.dir_offset % line ||
        !range_ok(h.dir_offset, (uint64_t)h.dir_capacity * BRRT_SHM_ENTRY_SIZE, size))
        FAIL(BRRT_E_CORRUPT, "directory [offset %llu, %u entries] lies outside the file",
             (unsigned long long)h.dir_offset, h.dir_capacity);
    uint64_t dir_end = h.dir_offset + (uint64_t)h.dir_capacity * BRRT_SHM_ENTRY_SIZE;
    if (h.arena_offset < dir_end || h.arena_offset % line || h.arena_capacity > UINT32_MAX ||
        !range_ok(h.arena_offset, h.arena_capacity, size))
        FAIL(BRRT_E_CORRUPT, "arena [offset %llu, %llu bytes] overlaps or lies outside the file",
             (unsigned long long)h.arena_offset, (unsigned long long)h.arena_capacity);
    if (h.shard_stride == 0 || h.shard_stride % line || h.shard_capacity < 2 ||
        h.shard_capacity > BRRT_SHM_MAX_SHARDS ||
        h.shard_offset < h.arena_offset + h.arena_capacity || h.shard_offset % line ||
        h.shard_capacity > size / h.shard_stride ||
        !range_ok(h.shard_offset, (uint64_t)h.shard_capacity * h.shard_stride, size))
        FAIL(BRRT_E_CORRUPT, "shards [offset %llu, %u x %llu bytes] overlap or lie outside the file",
             (unsigned long long)h.shard_offset, h.shard_capacity,
             (unsigned long long)h.shard_stride);

    if (out) {
        memset(out, 0, sizeof *out);
        out->abi_minor = h.abi_minor;
        out->dir_capacity = h.dir_capacity;
        out->shard_capacity = h.shard_capacity;
        out->segment_size = h.segment_size;
        out->generation = h.generation;
        out->writer_pid = h.writer_pid;
        out->start_realtime_ns = h.start_realtime_ns;
        out->dir_offset = h.dir_offset;
        out->arena_offset = h.arena_offset;
        out->arena_capacity = h.arena_capacity;
        out->shard_offset = h.shard_offset;
        out->shard_stride = h.shard_stride;
    }
    return 0;
}

int brrt_shm_load_published(const void *map, const struct brrt_shm_layout *l,
                            struct brrt_shm_published *out, char *why, size_t whylen)
{
    const struct brrt_shm_header *h = map;
    /* dir_count first: everything it covers was published before it (contract 2). */
    out->dir_count = __atomic_load_n(&h->dir_count, __ATOMIC_ACQUIRE);
    out->shards_used = __atomic_load_n(&h->shards_used, __ATOMIC_ACQUIRE);
    out->arena_used = __atomic_load_n(&h->arena_used, __ATOMIC_ACQUIRE);
    out->shard_bytes_used = __atomic_load_n(&h->shard_bytes_used, __ATOMIC_ACQUIRE);
    out->state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
    if (out->dir_count > l->dir_capacity)
        FAIL(BRRT_E_CORRUPT, "dir_count %u exceeds capacity %u", out->dir_count, l->dir_capacity);
    if (out->shards_used > l->shard_capacity)
        FAIL(BRRT_E_CORRUPT, "shards_used %u exceeds capacity %u", out->shards_used,
             l->shard_capacity);
    if (out->arena_used > l->arena_capacity)
        FAIL(BRRT_E_CORRUPT, "arena_used %llu exceeds capacity %llu",
             (unsigned long long)out->arena_used, (unsigned long long)l->arena_capacity);
    if (out->shard_bytes_used > l->shard_stride)
        FAIL(BRRT_E_CORRUPT, "shard_bytes_used %llu exceeds stride %llu",
             (unsigned long long)out->shard_bytes_used, (unsigned long long)l->shard_stride);
    if (out->state > BRRT_SHM_CLOSED)
        FAIL(BRRT_E_CORRUPT, "unknown state %u", out->state);
    return 0;
}

int brrt_shm_copy_arena(const void *map, const struct brrt_shm_layout *l, uint64_t arena_used,
                        brrt_shm_ref ref, size_t len, size_t align, void *out)
{
    if (ref == 0 || ref % align || !range_ok(ref, len, arena_used))
        return BRRT_E_CORRUPT;
    memcpy(out, (const char *)map + l->arena_offset + ref, len);
    return 0;
}

int brrt_shm_copy_refs(const void *map, const struct brrt_shm_layout *l, uint64_t arena_used,
                       brrt_shm_ref ref, uint32_t n, uint32_t *out)
{
    if (n == 0)
        return 0;
    return brrt_shm_copy_arena(map, l, arena_used, ref, (size_t)n * sizeof(uint32_t), 4, out);
}

int brrt_shm_copy_string(const void *map, const struct brrt_shm_layout *l, uint64_t arena_used,
                         brrt_shm_ref ref, char *buf, size_t buflen)
{
    uint32_t len;
    int rc = brrt_shm_copy_arena(map, l, arena_used, ref, sizeof len, 4, &len);
    if (rc)
        return rc;
    if (len > BRRT_SHM_MAX_STRING || (size_t)len + 1 > buflen ||
        !range_ok((uint64_t)ref + 4, (uint64_t)len + 1, arena_used))
        return BRRT_E_CORRUPT;
    memcpy(buf, (const char *)map + l->arena_offset + ref + 4, (size_t)len + 1);
    /* Check the private copy, not the live bytes: exactly `len` non-NUL bytes, then NUL. */
    if (buf[len] != '\0' || memchr(buf, '\0', len) != NULL)
        return BRRT_E_CORRUPT;
    return 0;
}
