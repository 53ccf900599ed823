/* writer/shards.c: the thread's shard caches (brrt__tls_cache's two pairs, its inline over-cap
 * pair) against what can make them point at the wrong shard: rotation over more segments than
 * the cache holds, eviction of a cached pair, a segment closed and re-created under the same
 * name while a thread still caches it, fork, a thread over the cap in two segments at once, a
 * shard released while a thread is over the cap (brrt__release_epoch). Every
 * test checks exact sums through the reader; the inline-path tests also check which pairs
 * brrt__tls_cache holds, since that is what decides the path. */
#include "fixture.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_SEGS 10 /* more than a thread's THREAD_SEGS (8) pairs */

static const char *const NAMES[N_SEGS] = {"s0", "s1", "s2", "s3", "s4",
                                          "s5", "s6", "s7", "s8", "s9"};

/* Segment `name` with counter n_total in *c. max_shards 0: the fixture's. */
static brrt_seg *make(const char *name, uint32_t max_shards, brrt_counter *c)
{
    struct brrt_seg_opts o = fx_opts();
    if (max_shards)
        o.max_shards = max_shards;
    brrt_seg *seg = NULL;
    int rc = brrt_seg_create(name, &o, &seg);
    ck_assert_msg(rc == 0, "create %s: %s", name, brrt_strerror(rc));
    brrt_family *f;
    struct brrt_metric_def d = {.name = "n_total", .type = BRRT_COUNTER};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    ck_assert_int_eq(brrt_counter_get(f, NULL, c), 0);
    return seg;
}


static void assert_count(const char *name, uint64_t want, uint64_t want_shared)
{
    struct brrt_snapshot *s = fx_snapshot(name);
    ck_assert_msg(fx_series(s, "n_total", NULL)->u64 == want, "%s: n_total %llu, want %llu", name,
                  (unsigned long long)fx_series(s, "n_total", NULL)->u64, (unsigned long long)want);
    ck_assert_msg(s->info.shared_shard_updates == want_shared, "%s: shared_shard_updates %llu, want %llu",
                  name, (unsigned long long)s->info.shared_shard_updates,
                  (unsigned long long)want_shared);
    brrt_snapshot_free(s);
}

static void run_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
}

/* ---- two segments in turn stay inline; more segments than pairs still count exactly ---- */

struct rotate {
    brrt_counter c[N_SEGS];
    int n_segs;
    int rounds;
    uint32_t front, second; /* brrt__tls_cache's tags after the last round */
};

static void *rotate(void *arg)
{
    struct rotate *r = arg;
    for (int i = 0; i < r->rounds; i++)
        for (int k = 0; k < r->n_segs; k++)
            brrt_counter_add(r->c[k], (uint64_t)k + 1);
    r->front = brrt__tls_cache.tag;
    r->second = brrt__tls_cache.tag2;
    return NULL;
}

START_TEST(two_segments_in_turn_both_cached_and_exact)
{
    struct rotate r = {.n_segs = 2, .rounds = 1000};
    brrt_seg *a = make("s0", 0, &r.c[0]), *b = make("s1", 0, &r.c[1]);
    run_thread(rotate, &r);
    ck_assert_uint_eq(r.front, r.c[1].tag); /* the last one updated */
    ck_assert_uint_eq(r.second, r.c[0].tag);
    assert_count("s0", 1000, 0);
    assert_count("s1", 2000, 0);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

/* 3 segments miss the two pairs every time; 10 also evict the thread's pairs (8) in turn:
 * each eviction gives a shard back and the next round takes one again. */
START_TEST(more_segments_than_cached_pairs_exact)
{
    static const int n_segs[] = {3, N_SEGS};
    for (int t = 0; t < 2; t++) {
        struct rotate r = {.n_segs = n_segs[t], .rounds = 300};
        brrt_seg *seg[N_SEGS];
        for (int k = 0; k < r.n_segs; k++)
            seg[k] = make(NAMES[k], 0, &r.c[k]);
        run_thread(rotate, &r);
        run_thread(rotate, &r); /* a second thread reuses the shards the first gave back */
        for (int k = 0; k < r.n_segs; k++) {
            assert_count(NAMES[k], 2ull * 300 * (uint64_t)(k + 1), 0);
            brrt_seg_close(seg[k], BRRT_SEG_UNLINK);
        }
    }
}
END_TEST

/* ---- an evicted pair leaves both caches: its released shard is someone else's now ------ */

struct evict {
    brrt_counter c[N_SEGS];
    brrt_counter victim; /* segment s0, max_shards 2: one private shard */
    int phase;
    int holder_has_shard;
    uint32_t cached[2]; /* brrt__tls_cache's tags after the last victim update */
};

static void wait_phase(int *phase, int p)
{
    while (__atomic_load_n(phase, __ATOMIC_ACQUIRE) != p)
        usleep(1000);
}

static void *evicter(void *arg) /* E */
{
    struct evict *e = arg;
    brrt_counter_inc(e->victim);              /* takes s0's only private shard: pair #1 */
    for (int k = 1; k < 8; k++)               /* pairs #2..#8: every pair is in use */
        brrt_counter_inc(e->c[k]);
    brrt_counter_inc(e->victim);              /* s0 to the front of brrt__tls_cache */
    brrt_counter_inc(e->c[8]);                /* pair #9: evicts s0's pair (the oldest) */
    __atomic_store_n(&e->phase, 1, __ATOMIC_RELEASE);
    wait_phase(&e->phase, 2);
    for (int i = 0; i < 100; i++)             /* must not reach the shard s0 gave back */
        brrt_counter_inc(e->victim);
    e->cached[0] = brrt__tls_cache.tag;
    e->cached[1] = brrt__tls_cache.tag2;
    return NULL;
}

static void *holder(void *arg) /* H: takes the released shard, keeps it until E is done */
{
    struct evict *e = arg;
    wait_phase(&e->phase, 1);
    brrt_counter_inc(e->victim);
    e->holder_has_shard = brrt__tls_cache.tag == e->victim.tag;
    __atomic_store_n(&e->phase, 2, __ATOMIC_RELEASE);
    wait_phase(&e->phase, 3);
    return NULL;
}

START_TEST(evicted_pair_is_forgotten_by_the_inline_cache)
{
    struct evict e = {0};
    brrt_seg *seg[N_SEGS];
    seg[0] = make("s0", 2, &e.victim);
    for (int k = 1; k < 9; k++)
        seg[k] = make(NAMES[k], 0, &e.c[k]);
    pthread_t te, th;
    ck_assert_int_eq(pthread_create(&te, NULL, evicter, &e), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, holder, &e), 0);
    ck_assert_int_eq(pthread_join(te, NULL), 0);
    __atomic_store_n(&e.phase, 3, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_msg(e.holder_has_shard, "the evicted pair's shard was not given back");
    ck_assert_msg(e.cached[0] != e.victim.tag && e.cached[1] != e.victim.tag,
                  "the evicting thread still updates s0 through a private shard it gave back");
    assert_count("s0", 2 + 1 + 100, 100); /* E's 100 late updates all on the shared shard */
    for (int k = 0; k < 9; k++)
        brrt_seg_close(seg[k], BRRT_SEG_UNLINK);
}
END_TEST

/* An over-cap pair evicted: its slot in the thread's pairs now belongs to another segment, and
 * the over-cap cache must not count the evicted segment's shared updates against it. */
static void *evict_over(void *arg)
{
    brrt_counter *c = arg; /* c[0]: over the cap; c[1..8]: own shards; c[9].tag: a result */
    for (int i = 0; i < 10; i++)
        brrt_counter_inc(c[0]);
    int inline_pair = brrt__tls_cache.over_tag == c[0].tag;
    for (int k = 1; k <= 8; k++) /* the 8th evicts c[0]'s pair (noting its 10) */
        brrt_counter_inc(c[k]);
    int left = brrt__tls_cache.over_tag == UINT32_MAX;
    for (int i = 0; i < 100; i++)
        brrt_counter_inc(c[0]);
    c[9].tag = inline_pair && left;
    return NULL;
}

START_TEST(evicted_over_cap_pair_leaves_the_over_cache)
{
    brrt_counter c[10];
    brrt_seg *seg[9];
    seg[0] = make("s0", 2, &c[0]);
    brrt_counter_inc(c[0]); /* this thread holds s0's only private shard */
    for (int k = 1; k < 9; k++)
        seg[k] = make(NAMES[k], 0, &c[k]);
    run_thread(evict_over, c);
    ck_assert_msg(c[9].tag == 1, "the over-cap pair was not inline, or outlived its eviction");
    assert_count("s0", 1 + 110, 110);
    for (int k = 1; k < 9; k++)
        assert_count(NAMES[k], 1, 0);
    for (int k = 0; k < 9; k++)
        brrt_seg_close(seg[k], BRRT_SEG_UNLINK);
}
END_TEST

/* ---- a segment closed and re-created while a thread caches it ---------------------------- */

struct reopen {
    brrt_counter a, b; /* a is replaced between the phases */
    int phase;
};

static void *reopen_user(void *arg)
{
    struct reopen *r = arg;
    brrt_counter_inc(r->a);
    brrt_counter_inc(r->b); /* brrt__tls_cache: b, then a */
    __atomic_store_n(&r->phase, 1, __ATOMIC_RELEASE);
    wait_phase(&r->phase, 2);
    for (int i = 0; i < 100; i++) { /* r->a is now the new segment's counter */
        brrt_counter_inc(r->a);
        brrt_counter_inc(r->b);
    }
    return NULL; /* gives back b's shard and the new a's; the old a is gone */
}

START_TEST(segment_recreated_while_cached_gets_its_own_shard)
{
    struct reopen r = {0};
    brrt_seg *a = make("s0", 0, &r.a), *b = make("s1", 0, &r.b);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, reopen_user, &r), 0);
    wait_phase(&r.phase, 1);
    uint32_t old_tag = r.a.tag;
    brrt_seg_close(a, 0);
    a = make("s0", 0, &r.a); /* same name: a new generation, maybe at the same address */
    ck_assert_uint_ne(r.a.tag, old_tag);
    __atomic_store_n(&r.phase, 2, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    assert_count("s0", 100, 0); /* none went to the old mapping through the stale pair */
    assert_count("s1", 101, 0);
    struct brrt_snapshot *s = fx_snapshot("s0");
    ck_assert_uint_eq(s->info.shards_used, 2); /* the shared one and the thread's */
    brrt_snapshot_free(s);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

/* ---- over the cap in two segments at once ------------------------------------------------ */

static void *over_two(void *arg)
{
    brrt_counter *c = arg;
    for (int i = 0; i < 1000; i++) {
        brrt_counter_inc(c[0]);
        brrt_counter_add(c[1], 2);
    }
    return NULL;
}

/* The over-cap pair cache holds one segment: alternating switches it on every update, and the
 * shared-update counts of both pairs (in batches, the rest at exit) must still add up. */
START_TEST(over_cap_in_two_segments_exact)
{
    brrt_counter c[2];
    brrt_seg *a = make("s0", 2, &c[0]), *b = make("s1", 2, &c[1]);
    brrt_counter_inc(c[0]); /* this thread holds the only private shard of each */
    brrt_counter_inc(c[1]);
    run_thread(over_two, c);
    run_thread(over_two, c);
    assert_count("s0", 1 + 2000, 2000);
    assert_count("s1", 1 + 4000, 2000);
    brrt_seg_close(a, BRRT_SEG_UNLINK);
    brrt_seg_close(b, BRRT_SEG_UNLINK);
}
END_TEST

/* ---- over the cap: a released shard is taken; a release elsewhere only re-arms ----------- */

struct retry {
    brrt_counter c;     /* s0, max_shards 2: its private shard held by `holder` */
    brrt_counter other; /* s1: a shard given back there moves the epoch too */
    int phase;
    int inline_over, rearmed, took_shard; /* what the over-cap thread saw */
    uint64_t noted_while_over;            /* s0's shared_shard_updates at phase 1 */
};

static void *retry_holder(void *arg)
{
    struct retry *r = arg;
    brrt_counter_inc(r->c);
    __atomic_store_n(&r->phase, 1, __ATOMIC_RELEASE);
    wait_phase(&r->phase, 4);
    return NULL; /* gives s0's shard back */
}

static void *other_user(void *arg)
{
    brrt_counter_inc(((struct retry *)arg)->other);
    return NULL; /* gives s1's shard back: brrt__release_epoch moves, s0's releases do not */
}

static void *over_retry(void *arg)
{
    struct retry *r = arg;
    wait_phase(&r->phase, 1);
    for (int i = 0; i < 70; i++) /* one batch of 64 noted, 6 pending */
        brrt_counter_inc(r->c);
    r->inline_over = brrt__tls_cache.over_tag == r->c.tag &&
                     brrt__tls_cache.over_epoch == brrt__release_epoch &&
                     brrt__tls_cache.over_n == 6;
    __atomic_store_n(&r->phase, 2, __ATOMIC_RELEASE);
    wait_phase(&r->phase, 3); /* s1's shard was released meanwhile */
    uint32_t epoch = brrt__release_epoch;
    brrt_counter_inc(r->c); /* no shard free in s0: still over the cap, inline again */
    r->rearmed = epoch != 0 && brrt__tls_cache.over_tag == r->c.tag &&
                 brrt__tls_cache.over_epoch == epoch;
    __atomic_store_n(&r->phase, 4, __ATOMIC_RELEASE);
    wait_phase(&r->phase, 5); /* the holder has exited */
    brrt_counter_inc(r->c); /* takes the shard the holder gave back */
    for (int i = 0; i < 9; i++)
        brrt_counter_inc(r->c);
    r->took_shard = brrt__tls_cache.tag == r->c.tag && brrt__tls_cache.over_tag == UINT32_MAX;
    return NULL; /* notes its 7 pending shared updates, gives the shard back */
}

START_TEST(over_cap_thread_takes_a_released_shard)
{
    struct retry r = {0};
    brrt_seg *s0 = make("s0", 2, &r.c), *s1 = make("s1", 0, &r.other);
    pthread_t th, to;
    ck_assert_int_eq(pthread_create(&th, NULL, retry_holder, &r), 0);
    ck_assert_int_eq(pthread_create(&to, NULL, over_retry, &r), 0);
    wait_phase(&r.phase, 2);
    struct brrt_snapshot *s = fx_snapshot("s0");
    r.noted_while_over = s->info.shared_shard_updates;
    brrt_snapshot_free(s);
    run_thread(other_user, &r);
    __atomic_store_n(&r.phase, 3, __ATOMIC_RELEASE);
    wait_phase(&r.phase, 4);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    __atomic_store_n(&r.phase, 5, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(to, NULL), 0);
    ck_assert_msg(r.inline_over, "over the cap, the thread's pair was not the inline over-cap pair");
    ck_assert_uint_eq(r.noted_while_over, 64); /* a batch published while the thread runs */
    ck_assert_msg(r.rearmed, "a release in another segment did not re-arm the inline pair");
    ck_assert_msg(r.took_shard, "the over-cap thread did not take the released shard");
    assert_count("s0", 1 + 70 + 1 + 10, 71);
    assert_count("s1", 1, 0);
    brrt_seg_close(s0, BRRT_SEG_UNLINK);
    brrt_seg_close(s1, BRRT_SEG_UNLINK);
}
END_TEST

/* ---- a segment re-created while a thread is over its cap --------------------------------- */

static void *over_reopen_user(void *arg)
{
    struct reopen *r = arg;
    for (int i = 0; i < 10; i++) /* over the cap in the old s0: 10 pending, never noted there */
        brrt_counter_inc(r->a);
    __atomic_store_n(&r->phase, 1, __ATOMIC_RELEASE);
    wait_phase(&r->phase, 2);
    for (int i = 0; i < 100; i++) /* the new s0, over its cap too */
        brrt_counter_inc(r->a);
    r->b.tag = brrt__tls_cache.over_tag == r->a.tag;
    return NULL;
}

START_TEST(segment_recreated_while_over_cap_counts_in_the_new_one)
{
    struct reopen r = {0};
    brrt_seg *a = make("s0", 2, &r.a);
    brrt_counter_inc(r.a); /* this thread holds the only private shard */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, over_reopen_user, &r), 0);
    wait_phase(&r.phase, 1);
    uint32_t old_tag = r.a.tag;
    brrt_seg_close(a, 0);
    a = make("s0", 2, &r.a); /* same name: a new generation, maybe at the same address */
    ck_assert_uint_ne(r.a.tag, old_tag);
    brrt_counter_inc(r.a); /* the new segment's only private shard: this thread's */
    __atomic_store_n(&r.phase, 2, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(r.b.tag == 1, "the thread was not on the new segment's inline over-cap pair");
    assert_count("s0", 1 + 100, 100); /* none through the old pair, none of the old count */
    brrt_seg_close(a, BRRT_SEG_UNLINK);
}
END_TEST

/* ---- fork: every cache is emptied in the child ------------------------------------------- */

struct hold {
    brrt_counter c;
    int phase;
};

static void *hold_shard(void *arg) /* takes the only private shard, keeps it until phase 2 */
{
    struct hold *h = arg;
    brrt_counter_inc(h->c);
    __atomic_store_n(&h->phase, 1, __ATOMIC_RELEASE);
    wait_phase(&h->phase, 2);
    return NULL;
}

START_TEST(forked_child_drops_updates_from_every_cache)
{
    brrt_counter a, b;
    struct hold h = {0};
    brrt_seg *sa = make("s0", 0, &a), *sb = make("s1", 0, &b), *so = make("s2", 2, &h.c);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, hold_shard, &h), 0);
    wait_phase(&h.phase, 1);
    for (int i = 0; i < 64; i++) /* over the cap: one batch, noted */
        brrt_counter_inc(h.c);
    ck_assert_uint_eq(brrt__tls_cache.over_tag, h.c.tag);
    brrt_counter_inc(a);
    brrt_counter_inc(b);
    ck_assert_uint_eq(brrt__tls_cache.tag, b.tag);
    ck_assert_uint_eq(brrt__tls_cache.tag2, a.tag);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int emptied = brrt__tls_cache.tag == UINT32_MAX && brrt__tls_cache.tag2 == UINT32_MAX &&
                      brrt__tls_cache.over_tag == UINT32_MAX && brrt__tls_cache.over_n == 0;
        for (int i = 0; i < 100; i++) {
            brrt_counter_inc(a);
            brrt_counter_inc(b);
            brrt_counter_inc(h.c);
        }
        _exit(emptied && brrt__tls_cache.tag == UINT32_MAX ? 0 : 3);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    for (int i = 0; i < 64; i++) { /* the parent's caches still work */
        brrt_counter_inc(a);
        brrt_counter_inc(b);
        brrt_counter_inc(h.c);
    }
    __atomic_store_n(&h.phase, 2, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    assert_count("s0", 65, 0);
    assert_count("s1", 65, 0);
    assert_count("s2", 1 + 128, 128);
    brrt_seg_close(sa, BRRT_SEG_UNLINK);
    brrt_seg_close(sb, BRRT_SEG_UNLINK);
    brrt_seg_close(so, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard_cache");
    TCase *tc = tcase_create("shard_cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, two_segments_in_turn_both_cached_and_exact);
    tcase_add_test(tc, more_segments_than_cached_pairs_exact);
    tcase_add_test(tc, evicted_pair_is_forgotten_by_the_inline_cache);
    tcase_add_test(tc, evicted_over_cap_pair_leaves_the_over_cache);
    tcase_add_test(tc, segment_recreated_while_cached_gets_its_own_shard);
    tcase_add_test(tc, over_cap_in_two_segments_exact);
    tcase_add_test(tc, over_cap_thread_takes_a_released_shard);
    tcase_add_test(tc, segment_recreated_while_over_cap_counts_in_the_new_one);
    tcase_add_test(tc, forked_child_drops_updates_from_every_cache);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
