/* Arena and directory allocation in the segment (all under seg->lock), for the registry
 * (registry.c: series) and family.c: strings, directory entries, their publication, and the
 * undo of a half-built registration. */
#include "writer_internal.h"

#include <string.h>

int brrt__full(brrt_seg *seg)
{
    __atomic_fetch_add(&seg->hdr->full_errors, 1, __ATOMIC_RELAXED);
    return BRRT_E_FULL;
}

/* A reservation's result (reserve.c): a failure is a full segment, counted alike. */
int brrt__reserved(brrt_seg *seg, int rc)
{
    if (rc)
        __atomic_fetch_add(&seg->hdr->full_errors, 1, __ATOMIC_RELAXED);
    return rc;
}

int brrt__arena_alloc(brrt_seg *seg, size_t len, size_t align, brrt_shm_ref *ref, void **p)
{
    uint64_t off = brrt_shm_align(seg->arena_used, align);
    if (off + len > seg->layout.arena_capacity)
        return brrt__full(seg);
    int rc = brrt__reserved(seg, brrt__reserve_arena(seg, off + len));
    if (rc)
        return rc;
    seg->arena_used = off + len;
    *ref = (brrt_shm_ref)off;
    *p = seg->map + seg->layout.arena_offset + off;
    return 0;
}

int brrt__arena_string(brrt_seg *seg, const char *s, brrt_shm_ref *ref)
{
    size_t len = strlen(s);
    void *p;
    int rc = brrt__arena_alloc(seg, 4 + len + 1, 4, ref, &p);
    if (rc)
        return rc;
    uint32_t l32 = (uint32_t)len;
    memcpy(p, &l32, 4);
    memcpy((char *)p + 4, s, len + 1);
    return 0;
}

int brrt__arena_strings(brrt_seg *seg, const char *const *v, uint32_t n, brrt_shm_ref *ref)
{
    *ref = 0;
    if (n == 0)
        return 0;
    uint32_t refs[BRRT_SHM_MAX_LABELS];
    for (uint32_t i = 0; i < n; i++) {
        int rc = brrt__arena_string(seg, v[i], &refs[i]);
        if (rc)
            return rc;
    }
    void *p;
    int rc = brrt__arena_alloc(seg, n * sizeof(uint32_t), 4, ref, &p);
    if (rc == 0)
        memcpy(p, refs, n * sizeof(uint32_t));
    return rc;
}

int brrt__entry_alloc(brrt_seg *seg, struct brrt_shm_entry **e, uint32_t *index)
{
    if (seg->dir_count >= seg->layout.dir_capacity)
        return brrt__full(seg);
    int rc = brrt__reserved(seg, brrt__reserve_dir(seg, seg->dir_count + 1));
    if (rc)
        return rc;
    *index = seg->dir_count;
    *e = (struct brrt_shm_entry *)(seg->map + seg->layout.dir_offset) + *index;
    return 0;
}

/* Makes the entry at seg->dir_count, and everything it references, visible to readers. */
void brrt__publish(brrt_seg *seg)
{
    struct brrt_shm_header *h = seg->hdr;
    seg->dir_count++;
    __atomic_store_n(&h->arena_used, seg->arena_used, __ATOMIC_RELEASE);
    __atomic_store_n(&h->shard_bytes_used, seg->shard_bytes_used, __ATOMIC_RELEASE);
    __atomic_store_n(&h->dir_count, seg->dir_count, __ATOMIC_RELEASE);
}

struct brrt__cursor brrt__mark(const brrt_seg *seg)
{
    return (struct brrt__cursor){seg->arena_used, seg->shard_bytes_used};
}

void brrt__rewind_to(brrt_seg *seg, struct brrt__cursor c)
{
    seg->arena_used = c.arena_used;
    seg->shard_bytes_used = c.shard_bytes_used;
}

