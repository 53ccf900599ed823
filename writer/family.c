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
    free(f->fast);
    free(f->expo_names);
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

/* The raw integer equal to `le` (a whole number of raw steps, to a relative 2^-50: the
 * rounding of le * (1 / scale), so that 0.005 with scale 1e-9 gives 5000000), or false when
 * `le` is not one. Observations are quantised up with a relative 2^-49 taken off first
 * (brrt_histogram_observe), so observing `le` itself gives at most this raw: "v <= le" and
 * "raw <= le_raw" agree. A looser tolerance let a bound 1e-10 relative above its raw (or a
 * positive bound below half a step, raw 0) count an observation of the bound itself above it. */
static bool raw_bound(double le, double inv_scale, uint64_t *out)
{
    double x = le * inv_scale;
    double r = nearbyint(x);
    if (!(x >= 0) || x >= 9e18 || fabs(x - r) > 0x1p-50 * x)
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
    return f->fast->n_le == d->n_le && f->schema == hr.schema && f->index_min == hr.index_min &&
           f->index_max == hr.index_max &&
           (d->n_le == 0 || memcmp(f->le, d->le, d->n_le * sizeof(double)) == 0);
}

/* The slot of a raw value by the definition (docs/segment-format.md §10.1): the key of
 * v = (double)raw * scale through the cells of hist_math.h; raws from 2^63 are past the range
 * (hist_range_of made sure of it). */
struct slot_def {
    struct brrt_hist_cell cells[512];
    int32_t schema;
    int32_t index_min;
    uint32_t last_slot;
    double scale;
};

static uint32_t def_slot(const struct slot_def *d, uint64_t raw)
{
    if (raw >= (1ull << 63))
        return d->last_slot;
    double v = (double)raw * d->scale;
    int32_t key = brrt_hist_key(v, d->cells, brrt_hist_cell_schema(d->schema),
                                d->schema < 0 ? (uint32_t)-d->schema : 0);
    int64_t k = (int64_t)key - d->index_min + 1;
    return k < 0 ? 0 : k > (int64_t)d->last_slot ? d->last_slot : (uint32_t)k;
}

/* The smallest raw value whose slot is >= k (slots are monotonic in raw). */
static uint64_t def_first_raw(const struct slot_def *d, uint32_t k)
{
    uint64_t lo = 0, hi = UINT64_MAX; /* def_slot(UINT64_MAX) is the overflow */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (def_slot(d, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* What the fast path computes from a raw: the bits of its double, the signed conversion. */
static uint64_t raw_bits(uint64_t raw)
{
    double v = (double)(int64_t)raw;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* The smallest raw (below 2^63) in cell `c` or above: cells are monotonic in raw there. */
static uint64_t cell_first_raw(uint32_t shift, int64_t c)
{
    uint64_t lo = 0, hi = 1ull << 63;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((int64_t)(raw_bits(mid) >> shift) >= c)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The fast path's table (static/brrtstat.h): one entry per cell of raw values, 2^(s+1) cells
 * per octave, from the cell of the zero bucket's last raw to the cell of the first raw past
 * the range. Entry 0 also holds every raw below its cell, the last one every raw above. When
 * raw 0 is the zero bucket's only raw, entry 0 is the (raw-free) cell below raw 1's, so that
 * no cell holds raws 0 and 1. Slots and classic buckets come from the definitions (def_slot,
 * le_raw); the table has to hold at most one slot boundary per cell, between neighbouring
 * slots (consecutive raws in one cell differ by less than a native bucket's ratio; checked),
 * and one classic bound, or the entry steps (MULTI). */
static int build_cell_table(struct brrt_family *f, const struct slot_def *d, uint32_t shift,
                            const uint64_t *le_raw, uint32_t n_le)
{
    uint64_t zero_last = def_first_raw(d, 1) - 1u; /* slot(0) is 0: never underflows */
    uint64_t top = def_first_raw(d, d->last_slot); /* the first raw in the overflow */
    if (top >= (1ull << 63))
        return BRRT_E_INVAL; /* hist_range_of guarantees it */
    int64_t base = (int64_t)(raw_bits(zero_last ? zero_last : 1u) >> shift) - (zero_last ? 0 : 1);
    int64_t last = (int64_t)(raw_bits(top) >> shift) - base;
    size_t n = (size_t)last + 1;
    size_t bytes = sizeof(struct brrt__hist_fast) + n * sizeof(struct brrt__hist_cell);
    struct brrt__hist_fast *h = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!h)
        return BRRT_E_NOMEM;
    memset(h, 0, bytes);
    f->fast = h;
    h->shift = shift;
    h->n_le = n_le;
    h->base = base;
    h->last = last;
    h->sum_cap = top - 1u;
    h->scale = f->scale;
    h->inv_scale = 1.0 / f->scale;
    h->last_slot = d->last_slot;
    h->n_cells = (uint32_t)n;
    for (uint32_t w = 1; w < BRRT__HIST_LE_WORDS; w++)
        h->le_raw[w] = w <= n_le ? le_raw[w - 1] : UINT64_MAX;
    uint32_t fine0 = 2u + n_le;
    uint64_t lo = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t hi = i == n - 1 ? UINT64_MAX : cell_first_raw(shift, base + (int64_t)i + 1) - 1u;
        struct brrt__hist_cell *c = (struct brrt__hist_cell *)brrt__hist_cells(h) + i;
        bool empty = hi < lo; /* e.g. between raws 1 and 2: never looked up */
        uint32_t s_lo = def_slot(d, lo), s_hi = empty ? s_lo : def_slot(d, hi);
        c->bound = UINT64_MAX;
        if (s_hi != s_lo) { /* the last raw still in s_lo, then everything above must be s_hi */
            uint64_t a = lo, b = hi;
            while (a < b) {
                uint64_t mid = a + (b - a) / 2 + 1;
                if (def_slot(d, mid) == s_lo)
                    a = mid;
                else
                    b = mid - 1;
            }
            if (s_hi != s_lo + 1u || def_slot(d, a + 1) != s_hi)
                return BRRT_E_INVAL; /* a jump or two boundaries in one cell: impossible */
            c->bound = raw_bits(a);
        }
        c->fine = (uint16_t)(fine0 + s_lo);
        uint32_t j = 0; /* the classic bucket of `lo`, and how many bounds split the cell */
        while (lo > h->le_raw[1 + j])
            j++;
        uint32_t inside = 0;
        for (uint32_t k = j; !empty && k < n_le && le_raw[k] < hi; k++)
            inside++;
        c->le = (uint16_t)((1u + j) | (inside > 1 ? BRRT__HIST_LE_MULTI : 0u));
        lo = hi + 1u;
    }
    return 0;
}

/* Histogram tables that the observe fast path reads (static/brrtstat.h), from the family's
 * native range and classic bounds; fills f's histogram fields and value size. */
static int build_hist_tables(struct brrt_family *f, const struct brrt_metric_def *d)
{
    struct hist_range hr;
    hist_range_of(d, &hr); /* checked in def_valid */
    uint32_t nb = (uint32_t)(hr.index_max - hr.index_min + 1);
    f->schema = hr.schema;
    f->index_min = hr.index_min;
    f->index_max = hr.index_max;
    f->zero_threshold = brrt_hist_bound(hr.schema, hr.index_min - 1);
    f->le = calloc(d->n_le + 1, sizeof(double));
    uint64_t le_raw[BRRT_SHM_MAX_LE];
    struct slot_def *sd = calloc(1, sizeof *sd);
    int rc = f->le && sd ? 0 : BRRT_E_NOMEM;
    for (uint32_t i = 0; rc == 0 && i < d->n_le; i++) {
        f->le[i] = d->le[i];
        raw_bound(d->le[i], 1.0 / f->scale, &le_raw[i]); /* checked in def_valid */
    }
    if (rc == 0) {
        brrt_hist_cells_fill(hr.schema, sd->cells);
        sd->schema = hr.schema;
        sd->index_min = hr.index_min;
        sd->last_slot = nb + 1;
        sd->scale = f->scale;
        rc = build_cell_table(f, sd, 51u - brrt_hist_cell_schema(hr.schema), le_raw, d->n_le);
    }
    free(sd);
    f->value_size = brrt_hist_value_words(d->n_le, nb) * 8u;
    return rc;
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
        size_t n = f->fast->n_le;
        void *p;
        rc = brrt__arena_alloc(seg, sizeof(struct brrt_shm_hist_schema) + n * 16, 8, &hist, &p);
        if (!rc) {
            struct brrt_shm_hist_schema s = {f->schema, f->index_min, f->index_max,
                                             (uint32_t)n, f->zero_threshold, f->fast->sum_cap};
            memcpy(p, &s, sizeof s);
            memcpy((char *)p + sizeof s, f->le, n * sizeof(double));
            memcpy((char *)p + sizeof s + n * 8, &f->fast->le_raw[1], n * sizeof(uint64_t));
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

static bool counter_like(enum brrt_type t)
{
    return t == BRRT_COUNTER || t == BRRT_COUNTER_SAMPLED;
}

/* f->expo_names: the names the family takes in an exposition (brrt_shm_expo_names). */
static bool set_expo_names(struct brrt_family *f, char names[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX], int k)
{
    size_t len = 0;
    for (int i = 0; i < k; i++)
        len += strlen(names[i]) + 1;
    if (!(f->expo_names = malloc(len)))
        return false;
    char *p = f->expo_names;
    for (int i = 0; i < k; i++)
        p = stpcpy(p, names[i]) + 1;
    f->n_expo_names = (uint32_t)k;
    return true;
}

static struct brrt_family *family_new(brrt_seg *seg, const struct brrt_metric_def *d,
                                      char names[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX], int k)
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
    int ok = f->name && f->help && f->unit && f->label_names && set_expo_names(f, names, k);
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

/* The family of the same name, else NULL; *clash: another family takes one of the names the
 * new one would take (x next to x_count of histogram x, jobs next to jobs_total, reqs next to
 * reqs_created: either would make every scrape of the segment invalid). Exposition names of
 * registered families never overlap, so each name has one owner. Under seg->lock. */
static struct brrt_family *find_family(brrt_seg *seg, const char *name,
                                       char names[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX], int k,
                                       bool *clash)
{
    *clash = false;
    struct brrt_family *f = brrt__name_index_find(&seg->family_names, name);
    if (f && strcmp(f->name, name) == 0)
        return f;
    for (int i = 0; i < k && !*clash; i++)
        *clash = brrt__name_index_find(&seg->family_names, names[i]) != NULL;
    return NULL;
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
    char names[BRRT_EXPO_NAMES][BRRT_EXPO_NAME_MAX];
    int k = brrt_shm_expo_names(def->name, counter_like(def->type), def->type == BRRT_HISTOGRAM, names);
    pthread_mutex_lock(&seg->lock);
    bool clash;
    int rc = 0;
    struct brrt_family *f = find_family(seg, def->name, names, k, &clash);
    if (f) {
        rc = same_def(f, def) ? 0 : BRRT_E_EXISTS;
    } else if (clash) {
        rc = BRRT_E_CLASH;
    } else if (brrt__name_index_reserve(&seg->family_names, (uint32_t)k) != 0 ||
               !(f = family_new(seg, def, names, k))) {
        rc = BRRT_E_NOMEM;
    } else if ((rc = write_family_entry(seg, f)) != 0) {
        brrt__family_free(f);
        f = NULL;
    } else {
        f->next = seg->families;
        seg->families = f;
        const char *p = f->expo_names;
        for (uint32_t i = 0; i < f->n_expo_names; p += strlen(p) + 1, i++)
            brrt__name_index_add(&seg->family_names, p, f);
    }
    pthread_mutex_unlock(&seg->lock);
    if (rc == 0)
        *out = f;
    return rc;
}
