/* libbrrtstat's inline fast paths and the internals they reach: the thread's shard cache,
 * the histogram bucket tables and the out-of-line slow paths.
 *
 * PRIVATE, though installed: include brrtstat/brrtstat.h, never this file. Nothing here is
 * API; the layout of these structs and the brrt__ functions may change in any release, and a
 * program compiled against one release's inline code must be recompiled for the next (the
 * library's soname carries the major version). Public declarations and their contracts are
 * in brrtstat/brrtstat.h. */
#ifndef BRRTSTAT_STATIC_BRRTSTAT_H
#define BRRTSTAT_STATIC_BRRTSTAT_H

#ifndef BRRTSTAT_BRRTSTAT_H
#error "include brrtstat/brrtstat.h, not brrtstat/static/brrtstat.h"
#endif

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The thread's two most recently used (segment, own shard) pairs: the inline paths look at
 * `tag` first, the counter paths at `tag2` next, so a thread alternating between two segments
 * stays inline. Written only by the thread itself (shards.c); a slow-path hit moves the pair
 * to the front, the previous front to `tag2`. UINT32_MAX = none (tags are never 0 or
 * UINT32_MAX, and a closed segment's tag is never used again in the process). */
struct brrt__tls {
    uint32_t tag;   /* tag of the segment whose shard `base` is */
    uint8_t *base;  /* this thread's shard in that segment */
    uint32_t tag2;  /* the pair used before it */
    uint8_t *base2;
};
BRRT_API extern __thread struct brrt__tls brrt__tls_cache
    __attribute__((tls_model("initial-exec")));

/* Native slot of a raw value, without log() and without a search: the top bits of the
 * double v = raw * scale (exponent and schema+1 mantissa bits, `bits >> shift`) pick one
 * entry of a per-family table spanning the family's range; each entry's cell holds at most one
 * bucket bound, so the slot is the entry's slot, plus one above its bound (upper-inclusive).
 * Built from the exact definition at registration (registry.c; docs/segment-format.md §10.1). */
struct brrt__hist_fast {
    double scale;                      /* v = raw * scale, the value the native index is of */
    double inv_scale;                  /* raw steps per unit */
    uint32_t shift;                    /* 51 - max(schema, 0) */
    uint32_t n_le;
    int64_t base;                      /* (bits of zero_threshold) >> shift: entry 0 */
    int64_t last;                      /* last table entry (above the range: overflow) */
    const uint16_t *slot_of;           /* per entry: slot of its smallest value */
    const uint64_t *bound_of;          /* per entry: bits of its bound, UINT64_MAX if none */
    uint32_t last_slot;                /* n_buckets + 1: the overflow slot */
    uint64_t sum_cap;                  /* largest raw below the overflow bucket */
    const uint64_t *le_raw;            /* n_le + 1 bounds, the last UINT64_MAX */
    const uint8_t *slot_to_le;         /* per slot, the first le bucket its raws can fall in */
};

BRRT_API void brrt__add_slow(brrt_seg *seg, uint32_t tag, uint32_t off, uint64_t n);
/* By value, not by handle address: taking the handle's address made the compiler spill the
 * 24-byte handle to the stack on every observe, fast path included. */
BRRT_API void brrt__observe_slow(brrt_seg *seg, uint32_t tag, uint32_t off,
                                 const struct brrt__hist_fast *fast, uint64_t raw);

static inline void brrt__bump(uint64_t *p, uint64_t n)
{
    /* One writer per shard: a plain load+add+store, atomic only so readers never tear. */
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void brrt_counter_add(brrt_counter c, uint64_t n)
{
    if (__builtin_expect(brrt__tls_cache.tag == c.tag, 1))
        brrt__bump((uint64_t *)(brrt__tls_cache.base + c.off), n);
    else if (__builtin_expect(brrt__tls_cache.tag2 == c.tag, 1))
        brrt__bump((uint64_t *)(brrt__tls_cache.base2 + c.off), n);
    else
        brrt__add_slow(c.seg, c.tag, c.off, n);
}

static inline void brrt_counter_inc(brrt_counter c)
{
    brrt_counter_add(c, 1);
}

static inline void brrt_updown_add(brrt_updown g, int64_t delta)
{
    brrt_counter_add(g, (uint64_t)delta); /* two's complement: summing u64 sums the i64 */
}

static inline void brrt_gauge_set(brrt_gauge g, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (g.slot)
        __atomic_store_n(g.slot, bits, __ATOMIC_RELAXED);
}

/* Slot of `raw` among zero (0), native buckets (1..n_buckets) and overflow (last_slot). */
static inline uint32_t brrt__hist_slot(const struct brrt__hist_fast *f, uint64_t raw)
{
    /* Signed conversion (one instruction): a raw >= 2^63 becomes negative, its sign bit makes
     * the index huge, and it lands in the overflow, where registration guarantees it belongs. */
    double v = (double)(int64_t)raw * f->scale;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int64_t i = (int64_t)(bits >> f->shift) - f->base;
    i = i < 0 ? 0 : i;
    i = i > f->last ? f->last : i;
    return f->slot_of[i] + (bits > f->bound_of[i]);
}

/* Shared by the fast path (plain bumps) and the shared-shard slow path (atomic adds). */
static inline void brrt__hist_slots(const struct brrt__hist_fast *f, uint64_t raw,
                                    uint32_t *le_slot, uint32_t *fine_slot)
{
    uint32_t k = brrt__hist_slot(f, raw);
    uint32_t j = f->slot_to_le[k];
    while (raw > f->le_raw[j])
        j++;
    *le_slot = 1u + j;
    *fine_slot = 2u + f->n_le + k;
}

static inline void brrt_histogram_observe_raw(brrt_histogram h, uint64_t raw)
{
    if (__builtin_expect(brrt__tls_cache.tag == h.tag, 1)) {
        uint64_t *w = (uint64_t *)(brrt__tls_cache.base + h.off);
        uint32_t le_slot, fine_slot;
        brrt__hist_slots(h.fast, raw, &le_slot, &fine_slot);
        brrt__bump(&w[0], raw < h.fast->sum_cap ? raw : h.fast->sum_cap);
        brrt__bump(&w[le_slot], 1);
        brrt__bump(&w[fine_slot], 1);
    } else {
        brrt__observe_slow(h.seg, h.tag, h.off, h.fast, raw);
    }
}

static inline void brrt_histogram_observe(brrt_histogram h, double v)
{
    if (!h.fast || v != v)
        return;
    double r = v * h.fast->inv_scale * (1.0 - 1e-12);
    uint64_t raw;
    if (!(r > 0.0))
        raw = 0;
    else if (r >= 18446744073709549568.0)
        raw = UINT64_MAX;
    else {
        raw = (uint64_t)r;
        raw += (double)raw < r; /* ceiling without libm */
    }
    brrt_histogram_observe_raw(h, raw);
}

#ifdef __cplusplus
}
#endif

#endif
