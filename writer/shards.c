/* Per-thread shards: handout on a thread's first update, the slow paths, release at exit.
 *
 * A thread keeps up to THREAD_SEGS (segment tag, shard) pairs; brrt__tls_cache holds the two
 * most recently used ones that have a shard, for the inline paths (a thread alternating
 * between two segments stays inline). Shards are handed out under seg->lock and given back
 * under it, so the next owner sees every value the previous owner stored (the mutex orders
 * them). Values are never moved: a released shard keeps its counts.
 *
 * The slow path makes no system call: a thread using a third segment pays a scan of its pairs.
 * A thread without a shard (all taken) updates the shared shard inline through the over-cap
 * pair of brrt__tls_cache (one RMW and a thread-local count) while brrt__release_epoch stays
 * what it was at its last handout attempt; once any shard was released, its next update comes
 * here and retries the handout if that segment's seg->releases moved. Shared-shard updates go
 * to the header's count in batches of NOTE_BATCH (and when the pair leaves or the thread exits).
 * Pairs are matched by tag, never by pointer: a closed segment's tag never comes back, so a
 * pair or cache entry left by a closed segment never matches a segment opened later (even one
 * of the same name at the same address). */
#include "writer_internal.h"

#include <stdlib.h>

#define THREAD_SEGS 8
#define NO_SHARD UINT32_MAX
#define NOTE_BATCH 64

__thread struct brrt__tls brrt__tls_cache
    __attribute__((tls_model("initial-exec"))) = {UINT32_MAX, NULL, UINT32_MAX, NULL,
                                                 UINT32_MAX, 0, NULL, 0};

uint32_t brrt__release_epoch;

struct thread_shard {
    uint32_t tag;
    uint32_t shard; /* NO_SHARD: none was free; use the shared shard */
    uint8_t *base;
    uint32_t releases_seen; /* seg->releases before the last handout attempt */
    uint32_t unnoted;       /* shared-shard updates not yet in hdr->shared_shard_updates */
};

/* initial-exec like brrt__tls_cache: the slow path then reads it without a __tls_get_addr
 * call (~1/3 of a segment switch). */
static __thread struct {
    struct thread_shard e[THREAD_SEGS];
    uint32_t n;
    uint32_t next_evict;
    int key_set;
    /* The pair behind brrt__tls_cache.over_tag (valid while that is not UINT32_MAX). */
    struct thread_shard *over;
    brrt_seg *over_seg;
} thread_shards __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void forget_all(void)
{
    thread_shards.n = 0;
    brrt__tls_cache = (struct brrt__tls){UINT32_MAX, NULL, UINT32_MAX, NULL, UINT32_MAX, 0, NULL, 0};
}

/* The over-cap pair leaves brrt__tls_cache; its pending count goes back to its pair. */
static void over_drop(void)
{
    if (brrt__tls_cache.over_tag == UINT32_MAX)
        return;
    thread_shards.over->unnoted += brrt__tls_cache.over_n;
    brrt__tls_cache.over_n = 0;
    brrt__tls_cache.over_tag = UINT32_MAX;
}

/* Drops the caches' references to the pair of segment `tag` (its slot is being reused). */
static void forget_pair(uint32_t tag)
{
    if (brrt__tls_cache.tag == tag) {
        brrt__tls_cache.tag = brrt__tls_cache.tag2;
        brrt__tls_cache.base = brrt__tls_cache.base2;
        brrt__tls_cache.tag2 = UINT32_MAX;
    } else if (brrt__tls_cache.tag2 == tag) {
        brrt__tls_cache.tag2 = UINT32_MAX;
    }
    if (brrt__tls_cache.over_tag == tag)
        over_drop();
}

static void note_shared(brrt_seg *seg, uint32_t n)
{
    __atomic_fetch_add(&seg->hdr->shared_shard_updates, n, __ATOMIC_RELAXED);
}

/* Gives one shard back (and notes the pending shared updates) if its segment is still open. */
static void release_entry(const struct thread_shard *t)
{
    if (t->shard == NO_SHARD && t->unnoted == 0)
        return;
    brrt__live_lock();
    brrt_seg *seg = brrt__live_find(t->tag);
    if (seg && t->unnoted)
        note_shared(seg, t->unnoted);
    if (seg && t->shard != NO_SHARD)
        brrt__shard_release(seg, t->shard);
    brrt__live_unlock();
}

static void thread_exit(void *unused)
{
    (void)unused;
    over_drop();
    for (uint32_t i = 0; i < thread_shards.n; i++)
        release_entry(&thread_shards.e[i]);
    forget_all();
    /* Another key's destructor may update after this one: it then takes a shard again and
     * sets the key again, and glibc runs this destructor once more. */
    thread_shards.key_set = 0;
}

/* Lock order: the segment locks, then liburcu's (a registration holds seg->lock while it
 * enters liburcu). Both are released in reverse. */
static void atfork_prepare(void)
{
    brrt__live_fork_prepare();
    brrt__registry_fork_prepare();
}

static void atfork_parent(void)
{
    brrt__registry_fork_parent();
    brrt__live_fork_parent();
}

static void atfork_child(void)
{
    /* The child must not write the parent's segments: its fast paths find no shard (the
     * TLS cache is emptied, slow paths drop updates to inherited segments, no syscall), and
     * its mappings become private copies, so even a gauge set through a kept pointer stays in
     * the child. */
    forget_all();
    brrt__registry_fork_child();
    brrt__live_fork_child();
}

static void init(void)
{
    pthread_key_create(&exit_key, thread_exit);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void brrt__shards_init_once(void)
{
    pthread_once(&once, init);
}

void brrt__shard_release(brrt_seg *seg, uint32_t shard)
{
    pthread_mutex_lock(&seg->lock);
    seg->free_shards[seg->n_free++] = shard;
    __atomic_store_n(&seg->releases, seg->releases + 1, __ATOMIC_RELAXED);
    /* Release: a thread that reads the new epoch (enter_cold) then sees the new releases. */
    __atomic_fetch_add(&brrt__release_epoch, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&seg->lock);
}

static uint32_t shard_acquire(brrt_seg *seg)
{
    uint32_t shard = NO_SHARD;
    pthread_mutex_lock(&seg->lock);
    if (seg->n_free > 0) {
        shard = seg->free_shards[--seg->n_free];
    } else if (seg->shards_used < seg->layout.shard_capacity) {
        /* Its value pages first: readers sum [0, shard_bytes_used) of every used shard. */
        if (brrt__reserve_shard(seg, seg->shards_used) == 0) {
            shard = seg->shards_used++;
            __atomic_store_n(&seg->hdr->shards_used, seg->shards_used, __ATOMIC_RELEASE);
        } else {
            __atomic_fetch_add(&seg->hdr->full_errors, 1, __ATOMIC_RELAXED); /* tmpfs full */
        }
    }
    pthread_mutex_unlock(&seg->lock);
    return shard;
}

static void take_shard(brrt_seg *seg, struct thread_shard *t)
{
    /* Read before trying: a release after this read makes the next update try again. */
    t->releases_seen = __atomic_load_n(&seg->releases, __ATOMIC_RELAXED);
    t->shard = shard_acquire(seg);
    t->base = t->shard == NO_SHARD ? NULL : brrt__shard_base(seg, t->shard);
}

/* A new pair for `seg` (the thread's first update to it, or after an eviction). */
__attribute__((noinline)) static struct thread_shard *new_entry(brrt_seg *seg)
{
    struct thread_shard *t;
    if (!thread_shards.key_set) {
        pthread_setspecific(exit_key, (void *)1);
        thread_shards.key_set = 1;
    }
    if (thread_shards.n < THREAD_SEGS) {
        t = &thread_shards.e[thread_shards.n++];
    } else {
        t = &thread_shards.e[thread_shards.next_evict++ % THREAD_SEGS];
        forget_pair(t->tag);
        release_entry(t);
    }
    t->tag = seg->tag;
    t->unnoted = 0;
    take_shard(seg, t);
    return t;
}

/* This thread's pair for segment `tag`, or NULL. */
static inline struct thread_shard *find(uint32_t tag)
{
    for (uint32_t i = 0; i < thread_shards.n; i++)
        if (thread_shards.e[i].tag == tag)
            return &thread_shards.e[i];
    return NULL;
}

/* Puts a pair that has a shard at the front of brrt__tls_cache, the front one behind it. */
static inline void make_current(const struct thread_shard *t)
{
    if (brrt__tls_cache.tag != t->tag) {
        brrt__tls_cache.tag2 = brrt__tls_cache.tag;
        brrt__tls_cache.base2 = brrt__tls_cache.base;
        brrt__tls_cache.tag = t->tag;
    }
    brrt__tls_cache.base = t->base;
}

/* The pair `find` gave (or NULL), once it has no shard: a new pair, or a retry of the handout
 * when a shard was released since the last one (bounded: once per release). A pair that got a
 * shard goes to the front of brrt__tls_cache; one that has none becomes thread_shards.over. */
static struct thread_shard *enter_cold(brrt_seg *seg, struct thread_shard *t)
{
    /* Before seg->releases: a release after this read moves the epoch past it. */
    uint32_t epoch = __atomic_load_n(&brrt__release_epoch, __ATOMIC_ACQUIRE);
    if (!t)
        t = new_entry(seg);
    else if (__atomic_load_n(&seg->releases, __ATOMIC_RELAXED) != t->releases_seen)
        take_shard(seg, t);
    if (t->base) {
        if (brrt__tls_cache.over_tag == t->tag)
            over_drop();
        make_current(t);
    } else {
        if (brrt__tls_cache.over_tag != t->tag) {
            over_drop();
            brrt__tls_cache.over_tag = t->tag;
            brrt__tls_cache.over_shared = brrt__shard_base(seg, 0);
            thread_shards.over = t;
            thread_shards.over_seg = seg;
            brrt__tls_cache.over_n = t->unnoted; /* one count per pair at a time */
            t->unnoted = 0;
            if (brrt__tls_cache.over_n >= NOTE_BATCH) /* the inline path tests == NOTE_BATCH */
                brrt__over_note();
        }
        brrt__tls_cache.over_epoch = epoch;
    }
    return t;
}

static int usable(const brrt_seg *seg, uint32_t tag)
{
    return seg && seg->tag == tag && tag != 0 && !seg->inherited;
}

__attribute__((noinline)) static void note_batch(brrt_seg *seg, struct thread_shard *t)
{
    note_shared(seg, t->unnoted);
    t->unnoted = 0;
}

/* The over-cap pair's batch (inline path and here): its segment is open (the caller just
 * updated it). */
void brrt__over_note(void)
{
    note_shared(thread_shards.over_seg, brrt__tls_cache.over_n);
    brrt__tls_cache.over_n = 0;
}

/* A pair without a shard counts in brrt__tls_cache.over_n while it is the over-cap pair (as
 * the inline path does), in its own `unnoted` otherwise (its updates since over_drop). */
static inline void shared_update_done(brrt_seg *seg, struct thread_shard *t)
{
    if (brrt__tls_cache.over_tag == t->tag) {
        if (__builtin_expect(++brrt__tls_cache.over_n >= NOTE_BATCH, 0))
            brrt__over_note();
    } else if (__builtin_expect(++t->unnoted >= NOTE_BATCH, 0)) {
        note_batch(seg, t);
    }
}

/* No shard in seg yet, or none at all: a new pair, a retry, or the shared shard. */
__attribute__((noinline)) static void add_cold(brrt_seg *seg, struct thread_shard *t, uint32_t off,
                                               uint64_t n)
{
    t = enter_cold(seg, t);
    if (t->base) {
        brrt__bump((uint64_t *)(t->base + off), n);
    } else {
        __atomic_fetch_add((uint64_t *)(brrt__shard_base(seg, 0) + off), n, __ATOMIC_RELAXED);
        shared_update_done(seg, t);
    }
}

/* Reached when no pair of brrt__tls_cache is seg's, or its over-cap pair is, but a shard was
 * released (brrt__release_epoch moved) since its last handout attempt. */
void brrt__add_slow(brrt_seg *seg, uint32_t tag, uint32_t off, uint64_t n)
{
    if (!usable(seg, tag))
        return;
    struct thread_shard *t = find(tag);
    if (__builtin_expect(t && t->base, 1)) {
        make_current(t);
        brrt__bump((uint64_t *)(t->base + off), n);
    } else {
        add_cold(seg, t, off, n);
    }
}

void brrt__observe_plain(uint64_t *w, const struct brrt__hist_fast *fast, uint64_t raw)
{
    uint32_t le_slot, fine_slot;
    brrt__hist_words(fast, raw, &le_slot, &fine_slot);
    brrt__bump(&w[0], raw < fast->sum_cap ? raw : fast->sum_cap);
    brrt__bump(&w[le_slot], 1);
    brrt__bump(&w[fine_slot], 1);
}

void brrt__observe_slow(brrt_seg *seg, uint32_t tag, uint32_t off, const struct brrt__hist_fast *fast,
                        uint64_t raw)
{
    if (!usable(seg, tag) || !fast)
        return;
    struct thread_shard *t = find(tag);
    if (!t || !t->base)
        t = enter_cold(seg, t);
    else
        make_current(t);
    if (t->base) {
        brrt__observe_plain((uint64_t *)(t->base + off), fast, raw);
    } else {
        uint32_t le_slot, fine_slot;
        brrt__hist_words(fast, raw, &le_slot, &fine_slot);
        uint64_t *w = (uint64_t *)(brrt__shard_base(seg, 0) + off);
        __atomic_fetch_add(&w[0], raw < fast->sum_cap ? raw : fast->sum_cap, __ATOMIC_RELAXED);
        __atomic_fetch_add(&w[le_slot], 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&w[fine_slot], 1, __ATOMIC_RELAXED);
        shared_update_done(seg, t);
    }
}
