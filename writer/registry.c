/* Series: the RCU hash table that maps (family, label values) to a series' value offset, and
 * the registry's setup, fork hooks and teardown (families: family.c; allocation: arena.c).
 *
 * Lookups of existing series take no lock (rcu_read_lock of liburcu's bulletproof flavour,
 * which needs no thread registration, fits a library). Creating a series takes seg->lock,
 * writes its strings, directory entry and value area into the segment, publishes them
 * (contract 2 of shm_format.h) and only then adds the node to the hash table. Nodes are never
 * removed while the segment is open, so no grace period is ever waited for on the hot path.
 *
 * The table is resized here, by the thread that creates a series, under seg->lock: not by
 * CDS_LFHT_AUTO_RESIZE, whose resizes run in liburcu's worker thread. A forked child has no
 * such thread (it would need call_rcu_after_fork_child, which starts one in every child, even
 * one about to exec, and which TSan refuses), so its tables never grew (lookups 29x slower at
 * 20,000 series) and closing a segment it had created waited forever for the worker
 * (cds_lfht_destroy flushes its queue). Resizing under seg->lock also means that the fork
 * handlers, which hold every seg->lock, never catch a resize half done.
 *
 * _LGPL_SOURCE is deliberately not defined: liburcu-bp 0.13's inline read lock accesses its
 * 128-byte-aligned reader struct through a pointer its registry arena under-aligns, which
 * UBSan rejects. The out-of-line call costs ~1-2 ns next to ~20 ns of hashing. */
#include "writer_internal.h"
#include "writer_tests.h"

#include "brrtstat/shm_names.h"

#include <urcu-bp.h>
#include <urcu/rculfhash.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OTHER_VALUE "__other"

struct series_node {
    struct cds_lfht_node node;
    struct brrt_family *fam;
    uint32_t off;
    uint32_t overflow;
    char key[]; /* label values, each followed by NUL */
};

struct series_key {
    const struct brrt_family *fam;
    const char *const *values;
};

#define INITIAL_BUCKETS 64
#define MAX_BUCKETS (1ul << 22)
/* liburcu grows a table by more than 8192 buckets at once with helper threads; a forked child
 * stops below that (threads in a child of a multi-threaded process: TSan dies of them). At
 * that size chains stay short up to tens of thousands of series. */
#define MAX_BUCKETS_FORKED (1ul << 13)

static bool forked_child; /* set in the child by brrt__registry_fork_child */

int brrt__registry_init(brrt_seg *seg)
{
    seg->series = cds_lfht_new(INITIAL_BUCKETS, INITIAL_BUCKETS, 0, 0, NULL);
    seg->series_buckets = INITIAL_BUCKETS;
    seg->series_nodes = 0;
    return seg->series ? 0 : BRRT_E_NOMEM;
}

/* One more node: doubles the buckets when the nodes outnumber them (chains of ~1). Under
 * seg->lock, outside any read-side section; lookups go on meanwhile. */
static void grow_for_one_more(brrt_seg *seg)
{
    unsigned long cap = forked_child ? MAX_BUCKETS_FORKED : MAX_BUCKETS;
    if (++seg->series_nodes <= seg->series_buckets || seg->series_buckets >= cap)
        return;
    seg->series_buckets *= 2;
    cds_lfht_resize(seg->series, seg->series_buckets);
}

unsigned long brrt__registry_buckets(const brrt_seg *seg)
{
    return seg->series_buckets;
}

/* liburcu-bp's own fork hooks (its README asks for them around a fork without exec): the
 * reader registry and grace-period lock are whole in the child, and the child's registry keeps
 * only its own thread, so a grace period there never waits for a parent thread that was inside
 * a read-side section. An application that uses liburcu-bp must not call them a second time.
 * The call_rcu hooks are deliberately not called: in the child they start a thread (the hash
 * tables' resize worker), which every fork-then-exec would pay and TSan refuses. The series
 * tables do not need it: they are resized by the registering thread (see the top). */
void brrt__registry_fork_prepare(void)
{
    urcu_bp_before_fork();
}

void brrt__registry_fork_parent(void)
{
    urcu_bp_after_fork_parent();
}

void brrt__registry_fork_child(void)
{
    urcu_bp_after_fork_child();
    forked_child = true;
}

void brrt__registry_destroy(brrt_seg *seg)
{
    if (seg->series) {
        /* Unlink every node under the read lock, free them once the table is gone. (With
         * CDS_LFHT_AUTO_RESIZE, freeing right after each cds_lfht_del let liburcu's resize
         * worker walk freed nodes: an rculfhash assertion at close, seen in brrt-bench.) */
        struct cds_lfht_iter it;
        struct cds_lfht_node *n;
        struct series_node **dead = NULL;
        size_t n_dead = 0, cap = 0;
        urcu_bp_read_lock();
        cds_lfht_first(seg->series, &it);
        while ((n = cds_lfht_iter_get_node(&it)) != NULL) {
            cds_lfht_next(seg->series, &it);
            if (n_dead == cap) {
                size_t c = cap ? 2 * cap : 64;
                struct series_node **p = realloc(dead, c * sizeof *p);
                if (!p)
                    continue; /* out of memory: the node stays (and is leaked) */
                dead = p;
                cap = c;
            }
            cds_lfht_del(seg->series, n);
            dead[n_dead++] = caa_container_of(n, struct series_node, node);
        }
        urcu_bp_read_unlock();
        if (cds_lfht_destroy(seg->series, NULL) == 0)
            for (size_t i = 0; i < n_dead; i++)
                free(dead[i]);
        free(dead);
        seg->series = NULL;
    }
    brrt__name_index_free(&seg->family_names);
    while (seg->families) {
        struct brrt_family *f = seg->families;
        seg->families = f->next;
        brrt__family_free(f);
    }
}


/* ---- series --------------------------------------------------------------------------- */

static unsigned long hash_key(const struct brrt_family *fam, const char *const *values)
{
    uint64_t h = brrt_shm_labels_hash(BRRT_SHM_FNV_OFFSET ^ (uint64_t)(uintptr_t)fam, values, fam->nlabels);
    return (unsigned long)(h ^ (h >> 29));
}

static int match_key(struct cds_lfht_node *node, const void *keyp)
{
    const struct series_node *s = caa_container_of(node, struct series_node, node);
    const struct series_key *k = keyp;
    if (s->fam != k->fam)
        return 0;
    const char *p = s->key;
    for (uint32_t i = 0; i < k->fam->nlabels; i++) {
        size_t n = strlen(p);
        if (strcmp(p, k->values[i]) != 0)
            return 0;
        p += n + 1;
    }
    return 1;
}

static struct series_node *lookup(brrt_seg *seg, const struct series_key *k, unsigned long hash)
{
    struct cds_lfht_iter it;
    urcu_bp_read_lock();
    cds_lfht_lookup(seg->series, hash, match_key, k, &it);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
    urcu_bp_read_unlock();
    /* Safe after unlock: nodes are never freed while the segment is open. */
    return n ? caa_container_of(n, struct series_node, node) : NULL;
}

static int write_series(brrt_seg *seg, struct brrt_family *f, const char *const *values,
                        uint32_t overflow, uint32_t *off)
{
    struct brrt__cursor c = brrt__mark(seg);
    struct brrt_shm_entry *e;
    uint32_t index;
    brrt_shm_ref labels = 0;
    uint64_t align = f->type == BRRT_HISTOGRAM ? BRRT_SHM_LINE : 8;
    uint64_t voff = brrt_shm_align(seg->shard_bytes_used, align);
    int rc = brrt__entry_alloc(seg, &e, &index);
    if (!rc && voff + f->value_size > seg->layout.shard_stride)
        rc = brrt__full(seg);
    if (!rc)
        rc = brrt__reserved(seg, brrt__reserve_values(seg, voff + f->value_size));
    if (!rc)
        rc = brrt__arena_strings(seg, values, f->nlabels, &labels);
    if (rc) {
        brrt__rewind_to(seg, c);
        return rc;
    }
    seg->shard_bytes_used = voff + f->value_size;
    memset(e, 0, sizeof *e);
    e->kind = BRRT_SHM_SERIES;
    e->type = brrt__shm_type_of(f->type);
    e->storage = brrt__storage_of(f->type);
    e->nlabels = (uint16_t)f->nlabels;
    e->family = f->entry_index;
    e->labels = labels;
    e->value_offset = voff;
    e->value_size = f->value_size;
    e->flags = overflow ? BRRT_SHM_SERIES_OVERFLOW : 0;
    brrt__publish(seg);
    *off = (uint32_t)voff;
    return 0;
}

static int values_valid(const struct brrt_family *f, const char *const *values)
{
    if (f->nlabels && !values)
        return 0;
    for (uint32_t i = 0; i < f->nlabels; i++) {
        size_t n = values[i] ? strlen(values[i]) : 0;
        if (!values[i] || n > BRRT_SHM_MAX_STRING || !brrt_shm_utf8_valid(values[i], n))
            return 0;
    }
    return 1;
}

/* Creates the series under seg->lock (re-checking: another thread may have won). */
static int create_series(struct brrt_family *f, const char *const *values, unsigned long hash,
                         struct series_node **out)
{
    brrt_seg *seg = f->seg;
    const char *other[BRRT_SHM_MAX_LABELS];
    struct series_key k = {f, values};
    int rc = 0;
    pthread_mutex_lock(&seg->lock);
    struct series_node *s = lookup(seg, &k, hash);
    uint32_t overflow = 0;
    if (!s && f->n_series >= f->max_series) {
        for (uint32_t i = 0; i < f->nlabels; i++)
            other[i] = OTHER_VALUE;
        k.values = other;
        hash = hash_key(f, other);
        overflow = 1;
        __atomic_fetch_add(&seg->hdr->cardinality_overflows, 1, __ATOMIC_RELAXED);
        s = lookup(seg, &k, hash);
    }
    if (!s) {
        size_t keylen = 0;
        for (uint32_t i = 0; i < f->nlabels; i++)
            keylen += strlen(k.values[i]) + 1;
        s = calloc(1, sizeof *s + keylen);
        if (!s) {
            rc = BRRT_E_NOMEM;
        } else if ((rc = write_series(seg, f, k.values, overflow, &s->off)) != 0) {
            free(s);
            s = NULL;
        } else {
            char *p = s->key;
            for (uint32_t i = 0; i < f->nlabels; i++)
                p = stpcpy(p, k.values[i]) + 1;
            s->fam = f;
            s->overflow = overflow;
            f->n_series++;
            cds_lfht_node_init(&s->node);
            urcu_bp_read_lock();
            cds_lfht_add(seg->series, hash, &s->node);
            urcu_bp_read_unlock();
            grow_for_one_more(seg);
        }
    }
    pthread_mutex_unlock(&seg->lock);
    *out = s;
    return rc;
}

/* Finds or creates the series of `values`; on success *off is its value offset. */
static int series_get(brrt_family *f, enum brrt_type want, const char *const *values, uint32_t *off)
{
    int type_ok = f && (f->type == want ||
                        (want == BRRT_GAUGE && f->type == BRRT_COUNTER_SAMPLED));
    if (!type_ok || (f->nlabels && !values))
        return BRRT_E_INVAL;
    for (uint32_t i = 0; i < f->nlabels; i++)
        if (!values[i])
            return BRRT_E_INVAL;
    struct series_key k = {f, values};
    unsigned long hash = hash_key(f, values);
    struct series_node *s = lookup(f->seg, &k, hash);
    int rc = 0;
    /* Only a new label set is checked (length, UTF-8): a found one was checked when made. */
    if (!s && !values_valid(f, values))
        return BRRT_E_INVAL;
    if (!s)
        rc = create_series(f, values, hash, &s);
    if (!s)
        return rc;
    *off = s->off;
    return (rc == 0 && s->overflow && f->nlabels) ? BRRT_E_CARDINALITY : rc;
}

int brrt_counter_get(brrt_family *f, const char *const *values, brrt_counter *out)
{
    memset(out, 0, sizeof *out);
    uint32_t off;
    int rc = series_get(f, BRRT_COUNTER, values, &off);
    if (rc == 0 || rc == BRRT_E_CARDINALITY)
        *out = (brrt_counter){f->seg->tag, off, f->seg};
    return rc;
}

int brrt_updown_get(brrt_family *f, const char *const *values, brrt_updown *out)
{
    memset(out, 0, sizeof *out);
    uint32_t off;
    int rc = series_get(f, BRRT_UPDOWN, values, &off);
    if (rc == 0 || rc == BRRT_E_CARDINALITY)
        *out = (brrt_updown){f->seg->tag, off, f->seg};
    return rc;
}

int brrt_gauge_get(brrt_family *f, const char *const *values, brrt_gauge *out)
{
    memset(out, 0, sizeof *out);
    uint32_t off;
    int rc = series_get(f, BRRT_GAUGE, values, &off);
    if (rc == 0 || rc == BRRT_E_CARDINALITY)
        out->slot = (uint64_t *)(brrt__shard_base(f->seg, 0) + off);
    return rc;
}

int brrt_histogram_get(brrt_family *f, const char *const *values, brrt_histogram *out)
{
    memset(out, 0, sizeof *out);
    uint32_t off;
    int rc = series_get(f, BRRT_HISTOGRAM, values, &off);
    if (rc == 0 || rc == BRRT_E_CARDINALITY)
        *out = (brrt_histogram){f->seg->tag, off, f->seg, f->fast};
    return rc;
}
