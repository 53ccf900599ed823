/* Metric families: validation of a definition, the histogram tables of the fast path, and
 * registration into the segment directory (brrt_family_register). Series: registry.c. */
#include "writer_internal.h"

#include "brrtstat/shm_names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCHEMA 4
#define DEFAULT_MAX_SERIES 1000

void brrt__family_free(struct brrt_family *f)
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


uint16_t brrt__storage_of(enum brrt_type t)
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

uint16_t brrt__shm_type_of(enum brrt_type t)
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
    if (!brrt_shm_metric_name_valid(d->name) || brrt__storage_of(d->type) == 0 ||
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
    struct brrt__cursor c = brrt__mark(seg);
    struct brrt_shm_entry *e;
    uint32_t index;
    brrt_shm_ref name, help, unit, labels, hist = 0;
    int rc = brrt__entry_alloc(seg, &e, &index);
    if (!rc)
        rc = brrt__arena_string(seg, f->name, &name);
    if (!rc)
        rc = brrt__arena_string(seg, f->help, &help);
    if (!rc)
        rc = brrt__arena_string(seg, f->unit, &unit);
    if (!rc)
        rc = brrt__arena_strings(seg, (const char *const *)f->label_names, f->nlabels, &labels);
    if (!rc && f->type == BRRT_HISTOGRAM) {
        size_t n = f->fast.n_le;
        void *p;
        rc = brrt__arena_alloc(seg, sizeof(struct brrt_shm_hist_schema) + n * 16, 8, &hist, &p);
        if (!rc) {
            struct brrt_shm_hist_schema s = {f->schema, f->index_min, f->index_max,
                                             (uint32_t)n, f->zero_threshold, f->fast.sum_cap};
            memcpy(p, &s, sizeof s);
            memcpy((char *)p + sizeof s, f->le, n * sizeof(double));
            memcpy((char *)p + sizeof s + n * 8, f->le_raw_store, n * sizeof(uint64_t));
        }
    }
    if (rc) {
        brrt__rewind_to(seg, c);
        return rc;
    }
    memset(e, 0, sizeof *e);
    e->kind = BRRT_SHM_FAMILY;
    e->type = brrt__shm_type_of(f->type);
    e->storage = brrt__storage_of(f->type);
    e->nlabels = (uint16_t)f->nlabels;
    e->family = index;
    e->name = name;
    e->help = help;
    e->unit = unit;
    e->labels = labels;
    e->hist = hist;
    e->scale = f->scale;
    f->entry_index = index;
    brrt__publish(seg);
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
        brrt__family_free(f);
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
        brrt__family_free(f);
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

