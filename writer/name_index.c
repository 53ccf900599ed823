/* The families' exposition names (brrt_shm_expo_names: NAME, and NAME_total, NAME_bucket, ...)
 * -> the family that takes each: one open-addressing table per segment, under seg->lock, so
 * that registration finds an earlier family of the same name, or a clash, in O(1) expected
 * instead of a scan of every family (issue 12). Keys point into the families' expo_names. */
#include "writer_internal.h"

#include "brrtstat/shm_names.h"

#include <stdlib.h>
#include <string.h>

struct brrt__name_slot {
    const char *key; /* NULL: empty */
    struct brrt_family *fam;
    uint64_t hash;
};

static uint64_t name_hash(const char *s)
{
    uint64_t h = brrt_shm_labels_hash(BRRT_SHM_FNV_OFFSET, &s, 1);
    return h ^ (h >> 29);
}

static struct brrt__name_slot *slot_of(const struct brrt__name_index *ix, const char *key, uint64_t h)
{
    uint32_t mask = ix->cap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        struct brrt__name_slot *s = &ix->slots[i];
        if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
            return s;
    }
}

struct brrt_family *brrt__name_index_find(const struct brrt__name_index *ix, const char *key)
{
    if (ix->n == 0)
        return NULL;
    return slot_of(ix, key, name_hash(key))->fam;
}

int brrt__name_index_reserve(struct brrt__name_index *ix, uint32_t more)
{
    uint64_t need = ((uint64_t)ix->n + more) * 2; /* load factor at most 1/2 */
    if (need <= ix->cap)
        return 0;
    uint64_t cap = ix->cap ? ix->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > (1u << 31))
        return BRRT_E_NOMEM;
    struct brrt__name_index grown = {calloc(cap, sizeof *grown.slots), (uint32_t)cap, ix->n};
    if (!grown.slots)
        return BRRT_E_NOMEM;
    for (uint32_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].key)
            *slot_of(&grown, ix->slots[i].key, ix->slots[i].hash) = ix->slots[i];
    free(ix->slots);
    *ix = grown;
    return 0;
}

void brrt__name_index_add(struct brrt__name_index *ix, const char *key, struct brrt_family *f)
{
    uint64_t h = name_hash(key);
    struct brrt__name_slot *s = slot_of(ix, key, h);
    if (s->key) /* already there (a counter's NAME and NAME without _total can be one name) */
        return;
    *s = (struct brrt__name_slot){key, f, h};
    ix->n++;
}

void brrt__name_index_free(struct brrt__name_index *ix)
{
    free(ix->slots);
    *ix = (struct brrt__name_index){0};
}
