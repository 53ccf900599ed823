/* Directory parsing: every entry is copied out of the segment, then checked, then cached.
 * The cache only grows (the format is append-only), so each snapshot parses only new entries. */
#include "reader_internal.h"
#include "reader_tests.h"

#include "brrtstat/hist_math.h"
#include "brrtstat/shm_names.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 65536
#define FAM_NONE UINT32_MAX          /* entry_to_fam: not a family */
#define FAM_SKIPPED (UINT32_MAX - 1) /* entry_to_fam: a family entry that was skipped */

void *rd_alloc(struct rd_dir *d, size_t len, size_t align)
{
    struct rd_block *b = d->blocks;
    size_t off = b ? ((b->used + align - 1) & ~(align - 1)) : 0;
    if (!b || off + len > b->cap) {
        size_t cap = len + align > BLOCK_SIZE ? len + align : BLOCK_SIZE;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        d->bytes += sizeof *b + cap;
        b->next = d->blocks;
        b->used = 0;
        b->cap = cap;
        d->blocks = b;
        off = ((uintptr_t)b->data % align) ? align - ((uintptr_t)b->data % align) : 0;
    }
    b->used = off + len;
    return b->data + off;
}

void rd_dir_put(struct rd_dir *d)
{
    if (!d || --d->refs > 0)
        return;
    while (d->blocks) {
        struct rd_block *b = d->blocks;
        d->blocks = b->next;
        free(b);
    }
    free(d->fams);
    free(d->entry_to_fam);
    free(d->series);
    free(d->label_index);
    free(d->name_index);
    free(d->slot);
    free(d->raw_refs);
    free(d->hist_series);
    brrt_buf_free(&d->scratch);
    free(d);
}

static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, (size_t)n * elem);
    if (!p)
        return BRRT_E_NOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

struct ctx {
    struct brrt_reader *r;
    struct rd_dir *d;
    const struct brrt_shm_published *pub;
    uint32_t index;
};

#define BAD(c, ...)                                                                        \
    do {                                                                                   \
        int n_ = snprintf((c)->r->why, sizeof (c)->r->why, "directory entry %u: ", (c)->index); \
        if (n_ > 0 && (size_t)n_ < sizeof (c)->r->why)                                     \
            snprintf((c)->r->why + n_, sizeof (c)->r->why - (size_t)n_, __VA_ARGS__);      \
        return BRRT_E_CORRUPT;                                                             \
    } while (0)

/* A string out of the arena into the cache; `what` names it in errors. */
static int take_string(struct ctx *c, brrt_shm_ref ref, const char **out, const char *what)
{
    char buf[BRRT_SHM_MAX_STRING + 1];
    if (brrt_shm_copy_string(c->r->map, &c->r->layout, c->pub->arena_used, ref, buf, sizeof buf))
        BAD(c, "%s reference %u is out of bounds or malformed", what, ref);
    size_t len = strlen(buf);
    if (!brrt_shm_utf8_valid(buf, len))
        BAD(c, "%s is not valid UTF-8", what);
    char *s = rd_alloc(c->d, len + 1, 1);
    if (!s)
        return BRRT_E_NOMEM;
    memcpy(s, buf, len + 1);
    *out = s;
    return 0;
}

static int take_strings(struct ctx *c, brrt_shm_ref ref, uint32_t n, const char *const **out,
                        const char *what)
{
    uint32_t refs[BRRT_SHM_MAX_LABELS];
    const char **v = rd_alloc(c->d, (n + 1) * sizeof(char *), sizeof(char *));
    if (!v)
        return BRRT_E_NOMEM;
    v[n] = NULL;
    if (n && brrt_shm_copy_refs(c->r->map, &c->r->layout, c->pub->arena_used, ref, n, refs))
        BAD(c, "%s array reference %u is out of bounds", what, ref);
    for (uint32_t i = 0; i < n; i++) {
        int rc = take_string(c, refs[i], &v[i], what);
        if (rc)
            return rc;
    }
    *out = v;
    return 0;
}

static int storage_fits(uint16_t type, uint16_t storage)
{
    switch (type) {
    case BRRT_SHM_COUNTER:
        return storage == BRRT_SHM_SHARDED_U64 || storage == BRRT_SHM_GLOBAL_F64;
    case BRRT_SHM_GAUGE:
        return storage == BRRT_SHM_SHARDED_I64 || storage == BRRT_SHM_GLOBAL_F64;
    case BRRT_SHM_HISTOGRAM:
        return storage == BRRT_SHM_SHARDED_HIST;
    }
    return 0;
}

static int take_hist_schema(struct ctx *c, const struct brrt_shm_entry *e, struct brrt_snap_family *f)
{
    struct brrt_shm_hist_schema s;
    const void *map = c->r->map;
    if (brrt_shm_copy_arena(map, &c->r->layout, c->pub->arena_used, e->hist, sizeof s, 8, &s))
        BAD(c, "histogram schema reference %u is out of bounds", e->hist);
    if (s.schema < BRRT_HIST_SCHEMA_MIN || s.schema > BRRT_HIST_SCHEMA_MAX || s.n_le > BRRT_SHM_MAX_LE)
        BAD(c, "histogram schema %d or n_le %u out of range", s.schema, s.n_le);
    int64_t octave = s.schema >= 0 ? (int64_t)1 << s.schema : 1; /* buckets per power of two */
    int64_t lim = (int64_t)BRRT_HIST_EXP_LIMIT * octave >> (s.schema < 0 ? -s.schema : 0);
    if (s.index_max < s.index_min || (int64_t)s.index_min - 1 < -lim || s.index_max > lim ||
        (int64_t)s.index_max - s.index_min + 1 > BRRT_HIST_MAX_BUCKETS)
        BAD(c, "histogram native range [%d, %d] out of range", s.index_min, s.index_max);
    if (s.zero_threshold != brrt_hist_bound(s.schema, s.index_min - 1))
        BAD(c, "histogram zero_threshold %g is not base^(index_min-1)", s.zero_threshold);
    double *le = rd_alloc(c->d, (s.n_le + 1) * sizeof(double), 8);
    uint64_t raw[BRRT_SHM_MAX_LE];
    if (!le)
        return BRRT_E_NOMEM;
    size_t n = s.n_le;
    uint32_t hs = (uint32_t)sizeof s;
    if (n && (brrt_shm_copy_arena(map, &c->r->layout, c->pub->arena_used, e->hist + hs, n * 8, 8, le) ||
              brrt_shm_copy_arena(map, &c->r->layout, c->pub->arena_used, e->hist + hs + (uint32_t)n * 8,
                                  n * 8, 8, raw)))
        BAD(c, "histogram bounds lie outside the arena");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(le[i]) || (i && (!(le[i] > le[i - 1]) || !(raw[i] >= raw[i - 1]))))
            BAD(c, "histogram bound %zu is not finite and ascending", i);
    f->schema = s.schema;
    f->index_min = s.index_min;
    f->index_max = s.index_max;
    f->zero_threshold = s.zero_threshold;
    f->n_le = s.n_le;
    f->le = le;
    f->n_fine = (uint32_t)(s.index_max - s.index_min) + 3u;
    return 0;
}

/* The FNV-1a the writer indexes names with (shm_names.h), as one label value. */
static uint32_t name_hash(const char *s)
{
    return (uint32_t)brrt_shm_labels_hash(BRRT_SHM_FNV_OFFSET, &s, 1);
}

/* Looks `name` up among the families; adds it as family d->n_fams if absent. Returns 1 if
 * it was there, 0 if added, -1 out of memory. O(1) expected: a segment with 80 k families
 * must not cost a quadratic scan per snapshot. */
static int name_index_add(struct rd_dir *d, const char *name)
{
    if ((uint64_t)(d->n_fams + 1) * 2 > d->name_index_cap) {
        uint32_t cap = d->name_index_cap ? d->name_index_cap * 2 : 64;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (uint32_t i = 0; i < d->n_fams; i++) {
            uint32_t h = name_hash(d->fams[i].name) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = i + 1;
        }
        free(d->name_index);
        d->name_index = t;
        d->name_index_cap = cap;
    }
    uint32_t mask = d->name_index_cap - 1;
    uint32_t h = name_hash(name) & mask;
    for (; d->name_index[h]; h = (h + 1) & mask, d->work_name_probes++)
        if (strcmp(d->fams[d->name_index[h] - 1].name, name) == 0)
            return 1;
    d->name_index[h] = d->n_fams + 1;
    return 0;
}

static int parse_family(struct ctx *c, const struct brrt_shm_entry *e)
{
    struct rd_dir *d = c->d;
    if (e->family != c->index)
        BAD(c, "family entry names %u as itself", e->family);
    if (!storage_fits(e->type, e->storage))
        BAD(c, "type %u with storage %u is not a valid combination", e->type, e->storage);
    if (e->nlabels > BRRT_SHM_MAX_LABELS)
        BAD(c, "%u labels (at most %u)", e->nlabels, BRRT_SHM_MAX_LABELS);
    if (!isfinite(e->scale) || !(e->scale > 0))
        BAD(c, "scale is not a positive finite number");
    if (grow((void **)&d->fams, &d->cap_fams, d->n_fams + 1, sizeof *d->fams))
        return BRRT_E_NOMEM;
    struct brrt_snap_family f = {0};
    int rc = take_string(c, e->name, &f.name, "metric name");
    if (!rc && !brrt_shm_metric_name_valid(f.name))
        BAD(c, "\"%.64s\" is not a valid metric name", f.name);
    if (!rc)
        rc = take_string(c, e->help, &f.help, "help");
    if (!rc)
        rc = take_string(c, e->unit, &f.unit, "unit");
    if (!rc)
        rc = take_strings(c, e->labels, e->nlabels, &f.label_names, "label name");
    if (rc)
        return rc;
    for (uint32_t i = 0; i < e->nlabels; i++) {
        if (!brrt_shm_label_name_valid(f.label_names[i]))
            BAD(c, "\"%.64s\" is not a valid label name", f.label_names[i]);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(f.label_names[i], f.label_names[j]) == 0)
                BAD(c, "label name \"%.64s\" repeats", f.label_names[i]);
        if (e->type == BRRT_SHM_HISTOGRAM && strcmp(f.label_names[i], "le") == 0)
            BAD(c, "histogram \"%.64s\" has a label named le (its buckets' own)", f.name);
    }
    f.type = e->type;
    f.storage = e->storage;
    f.nlabels = e->nlabels;
    f.scale = e->scale;
    if (e->type == BRRT_SHM_HISTOGRAM && (rc = take_hist_schema(c, e, &f)) != 0)
        return rc;
    if ((rc = rd_text_family(d, &f)) != 0)
        return rc;
    d->fams[d->n_fams] = f; /* the index compares against it; counted only when added */
    int dup = name_index_add(d, f.name);
    if (dup < 0)
        return BRRT_E_NOMEM;
    if (dup)
        BAD(c, "metric name \"%.64s\" is already used by another family", f.name);
    d->entry_to_fam[c->index] = d->n_fams;
    d->n_fams++;
    return 0;
}

static uint32_t expected_value_size(const struct brrt_snap_family *f)
{
    if (f->storage != BRRT_SHM_SHARDED_HIST)
        return 8;
    return brrt_hist_value_words(f->n_le, f->n_fine - 2u) * 8u;
}

static bool same_labels(const struct rd_series_meta *a, const struct rd_series_meta *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(a->label_values[i], b->label_values[i]) != 0)
            return false;
    return true;
}

/* Adds candidate `s` (not yet in d->series; it will be d->n_series) to the label-set index.
 * Returns 1 if its family already has its label set, 0 if added, -1 out of memory. */
static int label_index_add(struct rd_dir *d, uint32_t family, const struct rd_series_meta *s)
{
    if ((uint64_t)(d->n_series + 1) * 2 > d->label_index_cap) {
        uint32_t cap = d->label_index_cap ? d->label_index_cap * 2 : 64;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (uint32_t i = 0; i < d->label_index_cap; i++) {
            uint32_t v = d->label_index[i];
            if (!v)
                continue;
            const struct rd_series_meta *o = &d->series[v - 1];
            uint32_t h = (uint32_t)(o->labels_hash ^ (o->family * 0x9E3779B1u)) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = v;
        }
        free(d->label_index);
        d->label_index = t;
        d->label_index_cap = cap;
    }
    uint32_t mask = d->label_index_cap - 1;
    uint32_t h = (uint32_t)(s->labels_hash ^ (family * 0x9E3779B1u)) & mask;
    for (; d->label_index[h]; h = (h + 1) & mask) {
        const struct rd_series_meta *o = &d->series[d->label_index[h] - 1];
        if (o->family == family && o->labels_hash == s->labels_hash &&
            same_labels(o, s, d->fams[family].nlabels))
            return 1;
    }
    d->label_index[h] = d->n_series + 1;
    return 0;
}

static int parse_series(struct ctx *c, const struct brrt_shm_entry *e)
{
    struct rd_dir *d = c->d;
    /* Families must come before their series: a reference to itself or a later entry
     * would be a loop, and one to a series is not a family. */
    if (e->family < c->index && d->entry_to_fam[e->family] == FAM_SKIPPED)
        BAD(c, "series of family entry %u, which was skipped", e->family);
    if (e->family >= c->index || d->entry_to_fam[e->family] == FAM_NONE)
        BAD(c, "series refers to entry %u, which is not an earlier family (loop or dangling)",
            e->family);
    uint32_t fi = d->entry_to_fam[e->family];
    const struct brrt_snap_family *f = &d->fams[fi];
    if (e->type != f->type || e->storage != f->storage || e->nlabels != f->nlabels)
        BAD(c, "type, storage or label count differs from its family \"%.64s\"", f->name);
    /* Areas follow each other (the writer allocates them in order): overlapping ones could
     * make a small segment cost a reader gigabytes of snapshot. */
    if (e->value_offset < d->value_end)
        BAD(c, "value area at %llu overlaps the previous series' (ends at %llu)",
            (unsigned long long)e->value_offset, (unsigned long long)d->value_end);
    if (e->value_size != expected_value_size(f))
        BAD(c, "value_size %u is not the %u bytes a %s of family \"%.64s\" takes", e->value_size,
            expected_value_size(f), f->type == BRRT_SHM_HISTOGRAM ? "histogram with its schema" : "value",
            f->name);
    if (e->value_offset % 8)
        BAD(c, "value_offset %llu is not 8-byte aligned", (unsigned long long)e->value_offset);
    if (e->value_offset > c->pub->shard_bytes_used ||
        e->value_size > c->pub->shard_bytes_used - e->value_offset)
        BAD(c, "value area [%llu, +%u) lies outside the published shard area (%llu bytes)",
            (unsigned long long)e->value_offset, e->value_size,
            (unsigned long long)c->pub->shard_bytes_used);
    if (grow((void **)&d->series, &d->cap_series, d->n_series + 1, sizeof *d->series))
        return BRRT_E_NOMEM;
    struct rd_series_meta s = {0};
    int rc = take_strings(c, e->labels, e->nlabels, &s.label_values, "label value");
    if (rc)
        return rc;
    s.labels_hash = brrt_shm_labels_hash(BRRT_SHM_FNV_OFFSET, s.label_values, e->nlabels);
    /* Two series with one label set would be one time series twice: Prometheus rejects
     * such an exposition whole. */
    int dup = label_index_add(d, fi, &s);
    if (dup < 0)
        return BRRT_E_NOMEM;
    if (dup)
        BAD(c, "series repeats a label set of family \"%.64s\"", f->name);
    s.family = fi;
    d->value_end = e->value_offset + e->value_size;
    s.value_offset = e->value_offset;
    s.value_size = e->value_size;
    s.overflow = (e->flags & BRRT_SHM_SERIES_OVERFLOW) != 0;
    if ((rc = rd_text_series(d, f, &s)) != 0)
        return rc;
    d->series[d->n_series++] = s;
    return 0;
}

int rd_dir_update(struct brrt_reader *r, const struct brrt_shm_published *pub)
{
    struct rd_dir *d = r->dir;
    if (pub->dir_count < d->parsed) {
        snprintf(r->why, sizeof r->why, "dir_count went backwards (%u < %u)", pub->dir_count, d->parsed);
        return BRRT_E_CORRUPT;
    }
    if (grow((void **)&d->entry_to_fam, &d->cap_entries, pub->dir_count, sizeof(uint32_t)))
        return BRRT_E_NOMEM;
    struct ctx c = {r, d, pub, 0};
    const struct brrt_shm_entry *dir = (const void *)(r->map + r->layout.dir_offset);
    for (c.index = d->parsed; c.index < pub->dir_count; c.index++) {
        struct brrt_shm_entry e;
        memcpy(&e, &dir[c.index], sizeof e);
        d->entry_to_fam[c.index] = FAM_NONE;
        d->work_entries++;
        int rc;
        if (e.kind == BRRT_SHM_FAMILY)
            rc = parse_family(&c, &e);
        else if (e.kind == BRRT_SHM_SERIES)
            rc = parse_series(&c, &e);
        else {
            snprintf(r->why, sizeof r->why, "directory entry %u: unknown kind %u", c.index, e.kind);
            rc = BRRT_E_CORRUPT;
        }
        if (rc == BRRT_E_CORRUPT) {
            /* Skipped for good: the strings it copied stay (bounded: once per entry). */
            if (e.kind == BRRT_SHM_FAMILY)
                d->entry_to_fam[c.index] = FAM_SKIPPED;
            if (d->skipped++ == 0) {
                size_t n = strnlen(r->why, sizeof d->first_skipped - 1);
                memcpy(d->first_skipped, r->why, n);
                d->first_skipped[n] = '\0';
            }
        } else if (rc) {
            return rc; /* out of memory: parse this entry again next time */
        }
        d->parsed = c.index + 1;
    }
    return 0;
}

void rd_work_of(const brrt_reader *r, struct rd_work *out)
{
    const struct rd_dir *d = r->dir;
    out->entries_parsed = d ? d->work_entries : 0;
    out->name_probes = d ? d->work_name_probes : 0;
    out->dir_bytes = d ? d->bytes + (uint64_t)d->cap_fams * sizeof *d->fams +
                             (uint64_t)d->cap_series * sizeof *d->series +
                             (uint64_t)d->cap_entries * sizeof *d->entry_to_fam
                       : 0;
}
