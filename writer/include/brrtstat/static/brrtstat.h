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
 * stays inline. Then the over-cap pair: the segment in which the thread found no free shard
 * and updates the shared shard 0 (one relaxed RMW, inline). `over_n` counts those updates
 * (docs/segment-format.md §12: the header's shared_shard_updates is exact); brrt__over_note
 * adds them to the header NOTE_BATCH (64) at a time, shards.c the rest when the pair leaves.
 * `over_epoch` is brrt__release_epoch when the thread last tried to get a shard: a shard
 * released since then (in any segment) sends the next update to the slow path, which retries.
 * Written only by the thread itself (shards.c, and over_n inline); a slow-path hit moves the
 * pair to the front, the previous front to `tag2`. UINT32_MAX = none (tags are never 0 or
 * UINT32_MAX, and a closed segment's tag is never used again in the process). */
struct brrt__tls {
    uint32_t tag;   /* tag of the segment whose shard `base` is */
    uint8_t *base;  /* this thread's shard in that segment */
    uint32_t tag2;  /* the pair used before it */
    uint8_t *base2;
    uint32_t over_tag;     /* the over-cap pair's segment */
    uint32_t over_n;       /* its shared updates not yet in the header (< 64) */
    uint8_t *over_shared;  /* that segment's shard 0 */
    uint32_t over_epoch;   /* brrt__release_epoch at the last handout attempt */
};
BRRT_API extern __thread struct brrt__tls brrt__tls_cache
    __attribute__((tls_model("initial-exec")));

/* Where an observation goes, without log(), division or a search: the top bits of the raw
 * value converted to a double (its exponent and the top max(schema, 0) + 1 mantissa bits,
 * `bits >> shift`) pick one cell of a per-family table spanning the family's range. A cell is
 * 1/2^(s+1) octave of raw values wide, narrower than a native bucket, so it holds at most one
 * slot boundary: raws whose double's bits are above `bound` count in word `fine + 1`, the
 * others in word `fine`. The classic bucket is word `le`, plus one above `le_raw[le]` (a cell
 * holding two or more classic bounds, as bounds 1 % apart would, is marked
 * BRRT__HIST_LE_MULTI and steps through le_raw[]). Word indices are into the series' value
 * area (docs/segment-format.md §9). Built from the exact definitions at registration
 * (family.c; docs/segment-format.md §10.1, §10.3). The inline path takes the raws of
 * entries 0 .. last - 1 (one unsigned compare of the cell number; all of them are below
 * sum_cap), so it clamps neither the entry nor the sum; the raws below entry 0's cell (part of
 * the zero bucket) and those of the last entry (the top of the range and the overflow) call
 * brrt__observe_plain, which clamps. */
#define BRRT__HIST_LE_WORDS 66        /* 1 + BRRT_SHM_MAX_LE + the UINT64_MAX sentinel */
#define BRRT__HIST_LE_MULTI 0x8000u   /* in brrt__hist_cell.le: step through le_raw[] */
struct __attribute__((aligned(16))) brrt__hist_cell { /* 16 bytes, never across a line */
    uint64_t bound;                   /* bits of the last raw in `fine`; UINT64_MAX: no boundary */
    uint16_t fine;                    /* word of the cell's raws up to bound; fine + 1 above it */
    uint16_t le;                      /* word of the cell's first raw's classic bucket (| MULTI) */
    uint32_t pad;
};
struct __attribute__((aligned(64))) brrt__hist_fast {
    /* Line 0: everything the fast path reads besides one cell and one le_raw word. */
    uint32_t shift;                   /* 52 - max(schema, 0) - 1 */
    uint32_t n_le;
    int64_t base;                     /* cell number (bits >> shift) of entry 0 */
    int64_t last;                     /* last entry: past the range (overflow) */
    uint64_t sum_cap;                 /* largest raw below the overflow bucket */
    double inv_scale;                 /* raw steps per unit (brrt_histogram_observe) */
    double scale;
    uint32_t last_slot;               /* n_buckets + 1: the overflow slot */
    uint32_t n_cells;                 /* last + 1 */
    uint64_t le_raw[BRRT__HIST_LE_WORDS]; /* [1 + j] = bound j (raw), [1 + n_le] = UINT64_MAX */
    /* The n_cells cells follow the struct, at brrt__hist_cells(): not a flexible array
     * member, which this header would then not compile as C++. */
};

static inline const struct brrt__hist_cell *brrt__hist_cells(const struct brrt__hist_fast *f)
{
    return (const struct brrt__hist_cell *)(f + 1);
}

/* Incremented (relaxed) whenever a thread gives a shard back, in any segment. */
BRRT_API extern uint32_t brrt__release_epoch;

BRRT_API void brrt__add_slow(brrt_seg *seg, uint32_t tag, uint32_t off, uint64_t n);
/* By value, not by handle address: taking the handle's address made the compiler spill the
 * 24-byte handle to the stack on every observe, fast path included. */
BRRT_API void brrt__over_note(void);
BRRT_API void brrt__observe_slow(brrt_seg *seg, uint32_t tag, uint32_t off,
                                 const struct brrt__hist_fast *fast, uint64_t raw);
/* One observation of any raw into the series at `w` of the thread's own shard (plain bumps):
 * the inline path's call for raws outside its range. */
BRRT_API void brrt__observe_plain(uint64_t *w, const struct brrt__hist_fast *fast, uint64_t raw);

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
    else if (__builtin_expect(brrt__tls_cache.over_tag == c.tag &&
                                  brrt__tls_cache.over_epoch ==
                                      __atomic_load_n(&brrt__release_epoch, __ATOMIC_RELAXED), 1)) {
        /* Over the cap: one RMW, then the count (a store after the RMW, not before it). */
        __atomic_fetch_add((uint64_t *)(brrt__tls_cache.over_shared + c.off), n, __ATOMIC_RELAXED);
        if (__builtin_expect(++brrt__tls_cache.over_n == 64, 0))
            brrt__over_note();
    } else {
        brrt__add_slow(c.seg, c.tag, c.off, n);
    }
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

/* The bits of raw's double. Signed conversion (one instruction): a raw >= 2^63 becomes
 * negative, and its sign bit makes the cell number huge (past the range, where registration
 * guarantees such raws belong). */
static inline uint64_t brrt__hist_bits(uint64_t raw)
{
    double d = (double)(int64_t)raw;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* Word indices of `raw` (whose double's bits are `bits`) from its table entry: its classic
 * bucket (1 + j) and its slot (2 + n_le + slot), in a series' value area. */
static inline void brrt__hist_cell_words(const struct brrt__hist_fast *f,
                                         const struct brrt__hist_cell *c, uint64_t raw,
                                         uint64_t bits, size_t *le_word, size_t *fine_word)
{
    /* An add of the compare (adc), not a branch: half of the cells hold a boundary, and a
     * branch on which side of it a value falls would mispredict on real data. */
    *fine_word = c->fine + (size_t)(c->bound < bits);
    size_t le = c->le;
    if (__builtin_expect(!(le & BRRT__HIST_LE_MULTI), 1)) {
        le += raw > f->le_raw[le];
    } else {
        le &= ~(size_t)BRRT__HIST_LE_MULTI;
        while (raw > f->le_raw[le])
            le++;
    }
    *le_word = le;
}

/* Word indices of any raw: the entry number clamped to the table (below entry 0: entry 0;
 * above the last: the last). Shared by the slow paths and tests; the inline path takes the
 * same entry unclamped for the raws of entries 0 .. last - 1. */
static inline void brrt__hist_words(const struct brrt__hist_fast *f, uint64_t raw,
                                    uint32_t *le_word, uint32_t *fine_word)
{
    uint64_t bits = brrt__hist_bits(raw);
    int64_t i = (int64_t)(bits >> f->shift) - f->base;
    i = i < 0 ? 0 : i;
    i = i > f->last ? f->last : i;
    size_t le, fine;
    brrt__hist_cell_words(f, &brrt__hist_cells(f)[i], raw, bits, &le, &fine);
    *le_word = (uint32_t)le;
    *fine_word = (uint32_t)fine;
}

/* Slot of `raw` among zero (0), native buckets (1..n_buckets) and overflow (last_slot). */
static inline uint32_t brrt__hist_slot(const struct brrt__hist_fast *f, uint64_t raw)
{
    uint32_t le_word, fine_word;
    brrt__hist_words(f, raw, &le_word, &fine_word);
    return fine_word - 2u - f->n_le;
}

static inline void brrt_histogram_observe_raw(brrt_histogram h, uint64_t raw)
{
    if (__builtin_expect(brrt__tls_cache.tag == h.tag, 1)) {
        uint64_t *w = (uint64_t *)(brrt__tls_cache.base + h.off);
        const struct brrt__hist_fast *f = h.fast;
        uint64_t bits = brrt__hist_bits(raw);
        /* Below entry 0's cell the difference wraps: one compare for both ends. */
        uint64_t i = (bits >> f->shift) - (uint64_t)f->base;
        if (__builtin_expect(i < (uint64_t)f->last, 1)) {
            size_t le_word, fine_word;
            brrt__hist_cell_words(f, &brrt__hist_cells(f)[i], raw, bits, &le_word, &fine_word);
            brrt__bump(&w[0], raw); /* below sum_cap: no cap */
            brrt__bump(&w[le_word], 1);
            brrt__bump(&w[fine_word], 1);
        } else {
            brrt__observe_plain(w, f, raw);
        }
    } else {
        brrt__observe_slow(h.seg, h.tag, h.off, h.fast, raw);
    }
}

static inline void brrt_histogram_observe(brrt_histogram h, double v)
{
    if (!h.fast || v != v)
        return;
    /* 1 - 2^-49, written without a hex float literal (the header must compile as C++11) */
    double r = v * h.fast->inv_scale * (1.0 - 1.0 / 562949953421312.0);
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
