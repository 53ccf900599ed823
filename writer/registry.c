/* Metric families and series: registration into the segment directory, and the RCU hash
 * table that maps (family, label values) to a series' value offset.
 *
 * Lookups of existing series take no lock (rcu_read_lock of liburcu's bulletproof flavour,
 * which needs no thread registration, fits a library). Creating a series takes seg->lock,
 * writes its strings, directory entry and value area into the segment, publishes them
 * (contract 2 of shm_format.h) and only then adds the node to the hash table. Nodes are never
 * removed while the segment is open, so no grace period is ever waited for on the hot path.
 *
 * _LGPL_SOURCE is deliberately not defined: liburcu-bp 0.13's inline read lock accesses its
 * 128-byte-aligned reader struct through a pointer its registry arena under-aligns, which
 * UBSan rejects. The out-of-line call costs ~1-2 ns next to ~20 ns of hashing. */
#include "writer_internal.h"

#include "brrtstat/shm_names.h"

#include <urcu-bp.h>
#include <urcu/rculfhash.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCHEMA 4
#define DEFAULT_MAX_SERIES 1000
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

int brrt__registry_init(brrt_seg *seg)
{
    seg->series = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
    return seg->series ? 0 : BRRT_E_NOMEM;
}

/* liburcu-bp's own fork hooks (its README asks for them around a fork without exec): the
 * reader registry and grace-period lock are whole in the child, and the child's registry keeps
 * only its own thread, so a grace period there never waits for a parent thread that was inside
 * a read-side section. An application that uses liburcu-bp must not call them a second time.
 * The call_rcu hooks are deliberately not called: in the child they start a thread (the hash
 * tables' resize worker), which every fork-then-exec would pay and TSan refuses. A child's
 * tables therefore stop auto-resizing: its lookups stay correct, chains just grow. */
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
}

static void family_free(struct brrt_family *f)
{
    free(f->name);
    free(f->help);
    free(f->unit);
    for (uint32_t i = 0; f->label_names && i < f->nlabels; i++)
        free(f->label_names[i]);
    free(f->label_names);
    free(f->le);
    free(f->le_raw_store);
    free(f->slot_to_le_store);
    free(f->slot_of_store);
    free(f->bound_of_store);
    free(f);
}

void brrt__registry_destroy(brrt_seg *seg)
{
    if (seg->series) {
        /* The table's resize worker may still walk its chains (the deletions below start a
         * shrink): unlink under the read lock, free the nodes only once cds_lfht_destroy has
         * waited for that worker. Freeing right after each cds_lfht_del let the worker walk
         * freed nodes (an rculfhash assertion at close, seen in brrt-bench). */
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
    while (seg->families) {
        struct brrt_family *f = seg->families;
        seg->families = f->next;
        family_free(f);
    }
}

/* ---- arena and directory allocation (all under seg->lock) ------------------------------ */

static int full(brrt_seg *seg)
{
    __atomic_fetch_add(&seg->hdr->full_errors, 1, __ATOMIC_RELAXED);
    return BRRT_E_FULL;
}

/* A reservation's result (reserve.c): a failure is a full segment, counted alike. */
static int reserved(brrt_seg *seg, int rc)
{
    if (rc)
        __atomic_fetch_add(&seg->hdr->full_errors, 1, __ATOMIC_RELAXED);
    return rc;
}

static int arena_alloc(brrt_seg *seg, size_t len, size_t align, brrt_shm_ref *ref, void **p)
{
    uint64_t off = brrt_shm_align(seg->arena_used, align);
    if (off + len > seg->layout.arena_capacity)
        return full(seg);
    int rc = reserved(seg, brrt__reserve_arena(seg, off + len));
    if (rc)
        return rc;
    seg->arena_used = off + len;
    *ref = (brrt_shm_ref)off;
    *p = seg->map + seg->layout.arena_offset + off;
    return 0;
}

static int arena_string(brrt_seg *seg, const char *s, brrt_shm_ref *ref)
{
    size_t len = strlen(s);
    void *p;
    int rc = arena_alloc(seg, 4 + len + 1, 4, ref, &p);
    if (rc)
        return rc;
    uint32_t l32 = (uint32_t)len;
    memcpy(p, &l32, 4);
    memcpy((char *)p + 4, s, len + 1);
    return 0;
}

static int arena_strings(brrt_seg *seg, const char *const *v, uint32_t n, brrt_shm_ref *ref)
{
    *ref = 0;
    if (n == 0)
        return 0;
    uint32_t refs[BRRT_SHM_MAX_LABELS];
    for (uint32_t i = 0; i < n; i++) {
        int rc = arena_string(seg, v[i], &refs[i]);
        if (rc)
            return rc;
    }
    void *p;
    int rc = arena_alloc(seg, n * sizeof(uint32_t), 4, ref, &p);
    if (rc == 0)
        memcpy(p, refs, n * sizeof(uint32_t));
    return rc;
}

static int entry_alloc(brrt_seg *seg, struct brrt_shm_entry **e, uint32_t *index)
{
    if (seg->dir_count >= seg->layout.dir_capacity)
        return full(seg);
    int rc = reserved(seg, brrt__reserve_dir(seg, seg->dir_count + 1));
    if (rc)
        return rc;
    *index = seg->dir_count;
    *e = (struct brrt_shm_entry *)(seg->map + seg->layout.dir_offset) + *index;
    return 0;
}

/* Makes the entry at seg->dir_count, and everything it references, visible to readers. */
static void publish(brrt_seg *seg)
{
    struct brrt_shm_header *h = seg->hdr;
    seg->dir_count++;
    __atomic_store_n(&h->arena_used, seg->arena_used, __ATOMIC_RELEASE);
    __atomic_store_n(&h->shard_bytes_used, seg->shard_bytes_used, __ATOMIC_RELEASE);
    __atomic_store_n(&h->dir_count, seg->dir_count, __ATOMIC_RELEASE);
}

/* Undo of a half-built registration: cursors go back, nothing was published. */
struct cursor {
    uint64_t arena_used;
    uint64_t shard_bytes_used;
};

static struct cursor mark(const brrt_seg *seg)
{
    return (struct cursor){seg->arena_used, seg->shard_bytes_used};
}

static void rewind_to(brrt_seg *seg, struct cursor c)
{
    seg->arena_used = c.arena_used;
    seg->shard_bytes_used = c.shard_bytes_used;
}

/* ---- families ------------------------------------------------------------------------- */

static uint16_t storage_of(enum brrt_type t)
{
    switch (t) {
    case BRRT_COUNTER:
        return BRRT_SHM_SHARDED_U64;
    case BRRT_UPDOWN:
        return BRRT_SHM_SHARDED_I64;
    case BRRT_GAUGE:
    case BRRT_COUNTER_SAMPLED:
        return BRRT_SHM_GLOBAL_F64;
    case BRRT_HISTOGRAM:
        return BRRT_SHM_SHARDED_HIST;
    }
    return 0;
}

static uint16_t shm_type_of(enum brrt_type t)
{
    if (t == BRRT_HISTOGRAM)
        return BRRT_SHM_HISTOGRAM;
    return (t == BRRT_COUNTER || t == BRRT_COUNTER_SAMPLED) ? BRRT_SHM_COUNTER : BRRT_SHM_GAUGE;
}

/* The raw integer equal to `le` (a whole number of raw steps, to a relative 1e-9, so that
 * 0.005 / 1e-9 gives 5000000), or false when `le` is not one. Observations are quantised up
 * (brrt_histogram_observe), so with exact bounds "v <= le" and "raw <= le_raw" agree. */
static bool raw_bound(double le, double inv_scale, uint64_t *out)
{
    double x = le * inv_scale;
    double r = nearbyint(x);
    if (!(x >= 0) || x >= 9e18 || fabs(x - r) > 1e-9 * fmax(1.0, fabs(x)))
        return false;
    *out = (uint64_t)r;
    return true;
}

/* A histogram family's native-bucket geometry, from its definition and the defaults. */
struct hist_range {
    int32_t schema;
    int32_t index_min;
    int32_t index_max;
    double scale;
};

static int hist_range_of(const struct brrt_metric_def *d, struct hist_range *out)
{
    bool seconds = d->unit && strcmp(d->unit, "seconds") == 0;
    int32_t schema = d->schema == 0 ? DEFAULT_SCHEMA : d->schema == BRRT_HIST_SCHEMA_ZERO ? 0 : d->schema;
    double lo = d->hist_min != 0 ? d->hist_min : seconds ? 0x1p-20 : 0.5;
    double hi = d->hist_max != 0 ? d->hist_max : seconds ? 128.0 : 0x1p26;
    if (schema < BRRT_HIST_SCHEMA_MIN || schema > BRRT_HIST_SCHEMA_MAX || !(lo > 0) || !(hi > lo) ||
        !isfinite(hi) || lo < 0x1p-990 || hi > 0x1p990)
        return -1;
    out->schema = schema;
    out->index_min = brrt_hist_key_ref(lo, schema) + 1; /* zero bucket: v <= bound(key(lo)) */
    out->index_max = brrt_hist_key_ref(hi, schema);
    out->scale = d->scale > 0 ? d->scale : 1.0;
    if (out->index_max < out->index_min ||
        (uint64_t)((int64_t)out->index_max - out->index_min + 1) > BRRT_HIST_MAX_BUCKETS)
        return -1;
    /* Raw values from 2^63 (+Inf observed: 2^64 - 1) must land past the range, in the
     * overflow: the observe path relies on it (static/brrtstat.h). */
    if (!(0x1p63 * out->scale > brrt_hist_bound(schema, out->index_max)))
        return -1;
    return 0;
}

static int def_valid(const struct brrt_metric_def *d)
{
    if (!brrt_shm_metric_name_valid(d->name) || storage_of(d->type) == 0 ||
        d->nlabels > BRRT_SHM_MAX_LABELS || (d->nlabels && !d->label_names) ||
        !(d->scale >= 0.0) || !isfinite(d->scale))
        return 0;
    const char *texts[2] = {d->help ? d->help : "", d->unit ? d->unit : ""};
    for (int i = 0; i < 2; i++)
        if (strlen(texts[i]) > BRRT_SHM_MAX_STRING || !brrt_shm_utf8_valid(texts[i], strlen(texts[i])))
            return 0;
    /* A unit is a name suffix in OpenMetrics (# UNIT): [a-zA-Z0-9_], at most 80 bytes. */
    if (strlen(texts[1]) > 80 || strspn(texts[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                                     strlen(texts[1]))
        return 0;
    for (uint32_t i = 0; i < d->nlabels; i++) {
        if (!brrt_shm_label_name_valid(d->label_names[i]) ||
            (d->type == BRRT_HISTOGRAM && strcmp(d->label_names[i], "le") == 0))
            return 0;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(d->label_names[i], d->label_names[j]) == 0)
                return 0;
    }
    if (d->type != BRRT_HISTOGRAM)
        return d->n_le == 0;
    if (d->n_le > BRRT_SHM_MAX_LE || (d->n_le && !d->le))
        return 0;
    struct hist_range hr;
    if (hist_range_of(d, &hr) != 0)
        return 0;
    /* Bounds are non-negative whole numbers of raw steps, strictly increasing as raw values
     * too (a bound finer than the scale would collapse onto its neighbour). */
    double inv = 1.0 / (d->scale > 0 ? d->scale : 1.0);
    uint64_t prev = 0;
    for (uint32_t i = 0; i < d->n_le; i++) {
        uint64_t raw;
        if (!isfinite(d->le[i]) || !raw_bound(d->le[i], inv, &raw) || (i && raw <= prev))
            return 0;
        prev = raw;
    }
    return 1;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int same_def(const struct brrt_family *f, const struct brrt_metric_def *d)
{
    double scale = d->scale > 0 ? d->scale : 1.0;
    if (f->type != d->type || f->nlabels != d->nlabels || f->scale != scale ||
        strcmp(f->help, d->help ? d->help : "") != 0 || strcmp(f->unit, d->unit ? d->unit : "") != 0)
        return 0;
    for (uint32_t i = 0; i < f->nlabels; i++)
        if (strcmp(f->label_names[i], d->label_names[i]) != 0)
            return 0;
    if (d->type != BRRT_HISTOGRAM)
        return 1;
    struct hist_range hr;
    hist_range_of(d, &hr); /* checked in def_valid */
    return f->fast.n_le == d->n_le && f->schema == hr.schema && f->index_min == hr.index_min &&
           f->index_max == hr.index_max &&
           (d->n_le == 0 || memcmp(f->le, d->le, d->n_le * sizeof(double)) == 0);
}

/* The smallest raw value whose slot is >= k (slots are monotonic in raw). */
static uint64_t slot_first_raw(const struct brrt__hist_fast *h, uint32_t k)
{
    uint64_t lo = 0, hi = UINT64_MAX; /* brrt__hist_slot(h, UINT64_MAX) is the overflow */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (brrt__hist_slot(h, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The slot of value bits `b` by the definition (the key through the cells of hist_math.h). */
struct slot_def {
    struct brrt_hist_cell cells[512];
    int32_t schema;
    int32_t index_min;
    uint32_t last_slot;
};

static uint32_t def_slot(const struct slot_def *d, uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    int32_t key = brrt_hist_key(v, d->cells, brrt_hist_cell_schema(d->schema),
                                d->schema < 0 ? (uint32_t)-d->schema : 0);
    int64_t k = (int64_t)key - d->index_min + 1;
    return k < 0 ? 0 : k > (int64_t)d->last_slot ? d->last_slot : (uint32_t)k;
}

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* The fast path's table (static/brrtstat.h): one entry per cell of 2^(s+1) per octave, from
 * the zero threshold's cell to one cell past the top bound's; each entry's slot and bound
 * come from the definition, the bound by binary search inside the cell. */
static int build_slot_table(struct brrt_family *f, struct hist_range *hr)
{
    struct brrt__hist_fast *h = &f->fast;
    struct slot_def *d = calloc(1, sizeof *d);
    if (!d)
        return BRRT_E_NOMEM;
    brrt_hist_cells_fill(hr->schema, d->cells);
    d->schema = hr->schema;
    d->index_min = hr->index_min;
    d->last_slot = h->last_slot;
    h->shift = 51u - brrt_hist_cell_schema(hr->schema);
    h->base = (int64_t)(bits_of(f->zero_threshold) >> h->shift);
    h->last = (int64_t)(bits_of(brrt_hist_bound(hr->schema, hr->index_max)) >> h->shift) + 1 - h->base;
    size_t n = (size_t)h->last + 1;
    f->slot_of_store = calloc(n, sizeof *f->slot_of_store);
    f->bound_of_store = calloc(n, sizeof *f->bound_of_store);
    int rc = (f->slot_of_store && f->bound_of_store) ? 0 : BRRT_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t lo = (uint64_t)(h->base + (int64_t)i) << h->shift, hi = lo + ((1ull << h->shift) - 1u);
        uint32_t s_lo = def_slot(d, lo), s_hi = def_slot(d, hi);
        uint64_t bound = UINT64_MAX;
        if (s_hi != s_lo) {
            if (s_hi != s_lo + 1u) { /* two bounds in one cell: impossible (hist_math.h) */
                rc = BRRT_E_INVAL;
                break;
            }
            uint64_t a = lo, b = hi; /* the largest bits still in s_lo */
            while (a < b) {
                uint64_t mid = a + (b - a + 1) / 2;
                if (def_slot(d, mid) == s_lo)
                    a = mid;
                else
                    b = mid - 1;
            }
            bound = a;
        }
        f->slot_of_store[i] = (uint16_t)s_lo;
        f->bound_of_store[i] = bound;
    }
    free(d);
    h->slot_of = f->slot_of_store;
    h->bound_of = f->bound_of_store;
    return rc;
}

/* Histogram tables that the observe fast path reads: the slot table, raw bounds with a
 * UINT64_MAX sentinel, and for each slot the first Prometheus bucket its smallest raw value
 * falls in. */
static int build_hist_tables(struct brrt_family *f, const struct brrt_metric_def *d)
{
    struct brrt__hist_fast *h = &f->fast;
    struct hist_range hr;
    hist_range_of(d, &hr); /* checked in def_valid */
    uint32_t nb = (uint32_t)(hr.index_max - hr.index_min + 1);
    f->schema = hr.schema;
    f->index_min = hr.index_min;
    f->index_max = hr.index_max;
    f->zero_threshold = brrt_hist_bound(hr.schema, hr.index_min - 1);
    h->scale = f->scale;
    h->inv_scale = 1.0 / f->scale;
    h->last_slot = nb + 1;
    h->n_le = d->n_le;
    f->le = calloc(d->n_le + 1, sizeof(double));
    f->le_raw_store = calloc(d->n_le + 1, sizeof(uint64_t));
    f->slot_to_le_store = calloc(nb + 2, 1);
    if (!f->le || !f->le_raw_store || !f->slot_to_le_store)
        return BRRT_E_NOMEM;
    int rc = build_slot_table(f, &hr);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < d->n_le; i++) {
        f->le[i] = d->le[i];
        raw_bound(d->le[i], h->inv_scale, &f->le_raw_store[i]); /* checked in def_valid */
    }
    f->le_raw_store[d->n_le] = UINT64_MAX;
    h->le_raw = f->le_raw_store;
    h->sum_cap = slot_first_raw(h, h->last_slot) - 1u; /* slot(0) is 0: never underflows */
    uint32_t j = 0;
    for (uint32_t k = 0; k <= h->last_slot; k++) {
        uint64_t lo = slot_first_raw(h, k);
        while (lo > f->le_raw_store[j])
            j++;
        f->slot_to_le_store[k] = (uint8_t)j;
    }
    h->slot_to_le = f->slot_to_le_store;
    f->value_size = brrt_hist_value_words(h->n_le, nb) * 8u;
    return 0;
}

static int write_family_entry(brrt_seg *seg, struct brrt_family *f)
{
    struct cursor c = mark(seg);
    struct brrt_shm_entry *e;
    uint32_t index;
    brrt_shm_ref name, help, unit, labels, hist = 0;
    int rc = entry_alloc(seg, &e, &index);
    if (!rc)
        rc = arena_string(seg, f->name, &name);
    if (!rc)
        rc = arena_string(seg, f->help, &help);
    if (!rc)
        rc = arena_string(seg, f->unit, &unit);
    if (!rc)
        rc = arena_strings(seg, (const char *const *)f->label_names, f->nlabels, &labels);
    if (!rc && f->type == BRRT_HISTOGRAM) {
        size_t n = f->fast.n_le;
        void *p;
        rc = arena_alloc(seg, sizeof(struct brrt_shm_hist_schema) + n * 16, 8, &hist, &p);
        if (!rc) {
            struct brrt_shm_hist_schema s = {f->schema, f->index_min, f->index_max,
                                             (uint32_t)n, f->zero_threshold, f->fast.sum_cap};
            memcpy(p, &s, sizeof s);
            memcpy((char *)p + sizeof s, f->le, n * sizeof(double));
            memcpy((char *)p + sizeof s + n * 8, f->le_raw_store, n * sizeof(uint64_t));
        }
    }
    if (rc) {
        rewind_to(seg, c);
        return rc;
    }
    memset(e, 0, sizeof *e);
    e->kind = BRRT_SHM_FAMILY;
    e->type = shm_type_of(f->type);
    e->storage = storage_of(f->type);
    e->nlabels = (uint16_t)f->nlabels;
    e->family = index;
    e->name = name;
    e->help = help;
    e->unit = unit;
    e->labels = labels;
    e->hist = hist;
    e->scale = f->scale;
    f->entry_index = index;
    publish(seg);
    return 0;
}

static struct brrt_family *family_new(brrt_seg *seg, const struct brrt_metric_def *d)
{
    struct brrt_family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->seg = seg;
    f->type = d->type;
    f->nlabels = d->nlabels;
    f->scale = d->scale > 0 ? d->scale : 1.0;
    f->max_series = d->max_series ? d->max_series : DEFAULT_MAX_SERIES;
    f->value_size = 8;
    f->name = strdup(d->name);
    f->help = dup_or_empty(d->help);
    f->unit = dup_or_empty(d->unit);
    f->label_names = calloc(d->nlabels + 1, sizeof(char *));
    int ok = f->name && f->help && f->unit && f->label_names;
    for (uint32_t i = 0; ok && i < d->nlabels; i++)
        ok = (f->label_names[i] = strdup(d->label_names[i])) != NULL;
    if (ok && d->type == BRRT_HISTOGRAM)
        ok = build_hist_tables(f, d) == 0;
    if (!ok) {
        family_free(f);
        return NULL;
    }
    return f;
}

int brrt_family_register(brrt_seg *seg, const struct brrt_metric_def *def, brrt_family **out)
{
    if (!seg || !def || !out || !def_valid(def))
        return BRRT_E_INVAL;
    *out = NULL;
    static const char *const reserved[] = BRRT_EXPO_RESERVED_PREFIXES;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strncmp(def->name, reserved[i], strlen(reserved[i])) == 0)
            return BRRT_E_CLASH;
    pthread_mutex_lock(&seg->lock);
    int rc = 0;
    struct brrt_family *f, *clash = NULL;
    for (f = seg->families; f; f = f->next) {
        if (strcmp(f->name, def->name) == 0)
            break;
        /* x next to x_count (histogram x), jobs next to jobs_total, reqs next to reqs_created:
         * either would make every scrape of the segment invalid. */
        if (!clash && brrt_shm_expo_clash(f->name, f->type == BRRT_COUNTER || f->type == BRRT_COUNTER_SAMPLED,
                                          f->type == BRRT_HISTOGRAM, def->name,
                                          def->type == BRRT_COUNTER || def->type == BRRT_COUNTER_SAMPLED,
                                          def->type == BRRT_HISTOGRAM))
            clash = f;
    }
    if (f) {
        rc = same_def(f, def) ? 0 : BRRT_E_EXISTS;
    } else if (clash) {
        rc = BRRT_E_CLASH;
    } else if (!(f = family_new(seg, def))) {
        rc = BRRT_E_NOMEM;
    } else if ((rc = write_family_entry(seg, f)) != 0) {
        family_free(f);
        f = NULL;
    } else {
        f->next = seg->families;
        seg->families = f;
    }
    pthread_mutex_unlock(&seg->lock);
    if (rc == 0)
        *out = f;
    return rc;
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
    struct cursor c = mark(seg);
    struct brrt_shm_entry *e;
    uint32_t index;
    brrt_shm_ref labels = 0;
    uint64_t align = f->type == BRRT_HISTOGRAM ? BRRT_SHM_LINE : 8;
    uint64_t voff = brrt_shm_align(seg->shard_bytes_used, align);
    int rc = entry_alloc(seg, &e, &index);
    if (!rc && voff + f->value_size > seg->layout.shard_stride)
        rc = full(seg);
    if (!rc)
        rc = reserved(seg, brrt__reserve_values(seg, voff + f->value_size));
    if (!rc)
        rc = arena_strings(seg, values, f->nlabels, &labels);
    if (rc) {
        rewind_to(seg, c);
        return rc;
    }
    seg->shard_bytes_used = voff + f->value_size;
    memset(e, 0, sizeof *e);
    e->kind = BRRT_SHM_SERIES;
    e->type = shm_type_of(f->type);
    e->storage = storage_of(f->type);
    e->nlabels = (uint16_t)f->nlabels;
    e->family = f->entry_index;
    e->labels = labels;
    e->value_offset = voff;
    e->value_size = f->value_size;
    e->flags = overflow ? BRRT_SHM_SERIES_OVERFLOW : 0;
    publish(seg);
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
        *out = (brrt_histogram){f->seg->tag, off, f->seg, &f->fast};
    return rc;
}
