/* Snapshots: sum every series over the shards in use, with relaxed atomic loads only. */
#include "reader_internal.h"

#include "brrtstat/hist_math.h"

#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct snapshot_impl {
    struct brrt_snapshot pub;
    struct rd_dir *dir;           /* keeps the strings alive */
    struct brrt_snap_family *fams;
    struct brrt_snap_series *series;
    uint64_t *words;              /* histogram bucket storage */
    uint64_t *raw;                /* BRRT_SNAP_RAW: a word per series */
    size_t cap_fams, cap_series, cap_words, cap_raw; /* kept when the snapshot is reused */
    /* What series[] holds: the non-value fields of layout `filled` (0: nothing), and the value
     * fields of the parts in `vals` (the others are 0). A reuse for the same layout rewrites
     * only what changes: a RAW-only scrape of counters leaves series[] untouched. */
    uint64_t filled;
    uint32_t vals;
};

#define PREFETCH_AHEAD 2 /* series */

static uint64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t load(const uint8_t *p)
{
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

/* Sums `words` 64-bit words at `off` over shards [0, shards) into `out`. Four shards per pass
 * over `out`: each word's four loads are summed in a register and `out` is read and written
 * once per four shards, not once per shard (a histogram's 434 words x shards are most of a
 * protobuf scrape's snapshot). Fewer than four shards (a few writer threads, the usual
 * service): one pass. */
static void sum_words(const struct brrt_reader *r, uint32_t shards, uint64_t off, uint32_t words,
                      uint64_t *out)
{
    const uint8_t *base = r->map + r->layout.shard_offset + off;
    const uint64_t stride = r->layout.shard_stride;
    switch (shards) { /* the loop per count: no test per word */
    case 0:
        memset(out, 0, words * sizeof *out);
        return;
    case 1:
        for (uint32_t w = 0; w < words; w++)
            out[w] = load(base + 8u * w);
        return;
    case 2:
        for (uint32_t w = 0; w < words; w++)
            out[w] = load(base + 8u * w) + load(base + stride + 8u * w);
        return;
    case 3:
        for (uint32_t w = 0; w < words; w++)
            out[w] = load(base + 8u * w) + load(base + stride + 8u * w) + load(base + 2 * stride + 8u * w);
        return;
    default:
        break;
    }
    for (uint32_t w = 0; w < words; w++) {
        const uint8_t *p = base + 8u * w;
        out[w] = load(p) + load(p + stride) + load(p + 2 * stride) + load(p + 3 * stride);
    }
    uint32_t s = 4;
    base += 4 * stride;
    for (; s + 4 <= shards; s += 4, base += 4 * stride)
        for (uint32_t w = 0; w < words; w++) {
            const uint8_t *p = base + 8u * w;
            out[w] += load(p) + load(p + stride) + load(p + 2 * stride) + load(p + 3 * stride);
        }
    for (; s < shards; s++, base += stride)
        for (uint32_t w = 0; w < words; w++)
            out[w] += load(base + 8u * w);
}

static uint64_t sum_one(const struct brrt_reader *r, uint32_t shards, uint64_t off)
{
    uint64_t sum = 0;
    const uint8_t *base = r->map + r->layout.shard_offset + off;
    for (uint32_t s = 0; s < shards; s++, base += r->layout.shard_stride)
        sum += load(base);
    return sum;
}

/* Words of a histogram's value area (see shm_format.h): sum_raw, le_count[n_le + 1], then
 * the fine buckets. What `what` asks for of one series: [first, first + n). */
static void hist_span(const struct brrt_snap_family *f, uint32_t what, uint32_t *first, uint32_t *n)
{
    uint32_t text = 2 + f->n_le;
    bool t = what & BRRT_SNAP_HIST_TEXT, fine = what & BRRT_SNAP_HIST_FINE;
    *first = t ? 0 : text;
    *n = (t ? text : 0) + (fine ? f->n_fine : 0);
}

static void read_value(const struct brrt_reader *r, uint32_t shards, uint32_t what,
                       const struct rd_series_meta *m, const struct brrt_snap_family *f,
                       struct brrt_snap_series *s, uint64_t **words)
{
    if (f->storage != BRRT_SHM_SHARDED_HIST && !(what & BRRT_SNAP_SCALARS))
        return;
    switch (f->storage) {
    case BRRT_SHM_SHARDED_U64:
        s->u64 = sum_one(r, shards, m->value_offset);
        s->value = (double)s->u64 * f->scale;
        break;
    case BRRT_SHM_SHARDED_I64:
        s->i64 = (int64_t)sum_one(r, shards, m->value_offset);
        s->value = (double)s->i64 * f->scale;
        break;
    case BRRT_SHM_GLOBAL_F64: {
        uint64_t bits = load(r->map + r->layout.shard_offset + m->value_offset);
        memcpy(&s->value, &bits, sizeof bits);
        break;
    }
    case BRRT_SHM_SHARDED_HIST: {
        uint32_t first, n;
        hist_span(f, what, &first, &n);
        if (!n)
            break;
        uint64_t *w = *words - first; /* w[i] is word i of the value area */
        *words += n;
        sum_words(r, shards, m->value_offset + 8u * first, n, w + first);
        if (what & BRRT_SNAP_HIST_TEXT) {
            s->sum_raw = w[0];
            s->sum = (double)w[0] * f->scale;
            s->le_counts = w + 1;
            uint64_t count = 0; /* in a register: s->count could alias the words */
            for (uint32_t i = 0; i <= f->n_le; i++)
                count += w[1 + i];
            s->count = count;
        }
        if (what & BRRT_SNAP_HIST_FINE)
            s->fine = w + 2 + f->n_le;
        break;
    }
    }
}

/* Makes *arr hold `need` elements of `elem` bytes (contents not kept). */
static bool fit(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap && *arr)
        return true;
    free(*arr);
    *arr = malloc(need * elem);
    *cap = *arr ? need : 0;
    return *arr != NULL;
}

struct read_args {
    struct snapshot_impl *si;
    uint32_t what, shards;
    bool refill; /* series[] holds another layout: write every struct */
};

/* The value parts a series of this storage has in series[]. */
static uint32_t value_parts(enum brrt_shm_storage st)
{
    return st == BRRT_SHM_SHARDED_HIST ? BRRT_SNAP_HIST_TEXT | BRRT_SNAP_HIST_FINE : BRRT_SNAP_SCALARS;
}

/* BRRT_SNAP_RAW: a compact loop over where each word is and where it goes (locals: stores to
 * out[] could otherwise alias the reader's fields and force reloads). */
static void read_raw(const struct brrt_reader *r, const struct rd_dir *d, uint32_t shards, uint64_t *out)
{
    const uint8_t *shard0 = r->map + r->layout.shard_offset;
    const uint64_t stride = r->layout.shard_stride;
    const struct rd_raw_ref *ref = d->raw_refs;
    const uint32_t n = d->n_series;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = shard0 + ref[i].off;
        uint64_t v = 0;
        if (ref[i].kind == RD_RAW_SUM)
            for (uint32_t k = 0; k < shards; k++, p += stride)
                v += load(p);
        else if (ref[i].kind == RD_RAW_ONE)
            v = load(p);
        out[ref[i].slot] = v;
    }
}

/* Series i's struct in the snapshot: its fields and the values `a` asks for. */
static inline void read_series(const struct brrt_reader *r, const struct read_args *a, uint32_t i, uint64_t **words)
{
    struct snapshot_impl *si = a->si;
    const struct rd_dir *d = si->dir;
    const struct rd_series_meta *m = &d->series[i];
    const struct brrt_snap_family *f = &si->fams[m->family];
    struct brrt_snap_series *s = &si->series[d->slot[i]];
    /* Series areas of a histogram are pages apart: start the next ones' first words (the
     * TLB walk and the miss) while this one is summed. A prefetch never faults. */
    if (i + PREFETCH_AHEAD < d->n_series && f->storage == BRRT_SHM_SHARDED_HIST) {
        const uint8_t *p = r->map + r->layout.shard_offset + d->series[i + PREFETCH_AHEAD].value_offset;
        for (uint32_t k = 0; k < a->shards; k++, p += r->layout.shard_stride)
            __builtin_prefetch(p);
    }
    /* Field by field: a compound literal becomes `rep stos`, slow on 10^4 small structs. */
    s->family = m->family;
    s->label_values = m->label_values;
    s->overflow = m->overflow;
    s->value = 0;
    s->u64 = 0;
    s->i64 = 0;
    s->count = 0;
    s->sum_raw = 0;
    s->sum = 0;
    s->le_counts = NULL;
    s->fine = NULL;
    s->labels_text = m->labels_text;
    s->labels_text_len = m->labels_text_len;
    read_value(r, a->shards, a->what, m, f, s, words);
}

/* The values of every series (under rd_guarded: a truncated file faults here). */
static int read_values(struct brrt_reader *r, void *arg)
{
    const struct read_args *a = arg;
    struct snapshot_impl *si = a->si;
    const struct rd_dir *d = si->dir;
    uint64_t *words = si->words;
    /* The parts whose value fields are written (read, or zeroed after an earlier snapshot). */
    uint32_t touch = a->what | si->vals;
    if (a->what & BRRT_SNAP_RAW)
        read_raw(r, d, a->shards, si->raw);
    if (!a->refill && !(touch & d->value_parts))
        return 0; /* series[] is right as it is */
    if (!a->refill && !(touch & BRRT_SNAP_SCALARS)) {
        /* Only the histograms' structs change (the exporter's RAW | HIST_TEXT): visit those,
         * in the same order, so that they take the same words. */
        for (uint32_t h = 0; h < d->n_hist; h++)
            read_series(r, a, d->hist_series[h], &words);
        return 0;
    }
    for (uint32_t i = 0; i < d->n_series; i++) {
        const struct brrt_snap_family *f = &si->fams[d->series[i].family];
        if (!a->refill && !(touch & value_parts(f->storage)))
            continue; /* its struct is as the last snapshot left it, and that is right */
        read_series(r, a, i, &words);
    }
    return 0;
}

/* Groups series by family (a counting sort keeps directory order within a family) into
 * d->fams[].first_series / n_series and d->slot, and totals the histogram words: once per
 * directory growth, not per snapshot. */
static int group(struct rd_dir *d)
{
    static uint64_t next_layout; /* process-wide: a layout id is never given twice */
    if (d->grouped == d->n_series && d->grouped_fams == d->n_fams && d->slot)
        return 0;
    if (d->cap_slot < d->n_series + 1) {
        uint32_t *p = realloc(d->slot, (d->n_series + 1) * sizeof *p);
        if (!p)
            return BRRT_E_NOMEM;
        d->slot = p;
        struct rd_raw_ref *q = realloc(d->raw_refs, (d->n_series + 1) * sizeof *q);
        if (!q)
            return BRRT_E_NOMEM;
        d->raw_refs = q;
        uint32_t *h = realloc(d->hist_series, (d->n_series + 1) * sizeof *h);
        if (!h)
            return BRRT_E_NOMEM;
        d->hist_series = h;
        d->cap_slot = d->n_series + 1;
    }
    d->hist_text_words = d->hist_fine_words = 0;
    d->value_parts = 0;
    d->n_hist = 0;
    for (uint32_t i = 0; i < d->n_fams; i++)
        d->fams[i].n_series = 0;
    for (uint32_t i = 0; i < d->n_series; i++) {
        struct brrt_snap_family *f = &d->fams[d->series[i].family];
        f->n_series++;
        d->value_parts |= value_parts(f->storage);
        if (f->storage == BRRT_SHM_SHARDED_HIST) {
            d->hist_series[d->n_hist++] = i;
            d->hist_text_words += 2 + f->n_le;
            d->hist_fine_words += f->n_fine;
        }
    }
    uint32_t next = 0;
    for (uint32_t i = 0; i < d->n_fams; i++) {
        d->fams[i].first_series = next;
        next += d->fams[i].n_series;
        d->fams[i].n_series = 0;
    }
    for (uint32_t i = 0; i < d->n_series; i++) {
        struct brrt_snap_family *f = &d->fams[d->series[i].family];
        d->slot[i] = f->first_series + f->n_series++;
        d->raw_refs[i].off = d->series[i].value_offset;
        d->raw_refs[i].slot = d->slot[i];
        d->raw_refs[i].kind = f->storage == BRRT_SHM_SHARDED_U64 || f->storage == BRRT_SHM_SHARDED_I64 ? RD_RAW_SUM
                              : f->storage == BRRT_SHM_GLOBAL_F64                                        ? RD_RAW_ONE
                                                                                                          : RD_RAW_NONE;
    }
    d->grouped = d->n_series;
    d->grouped_fams = d->n_fams;
    d->layout = __atomic_add_fetch(&next_layout, 1, __ATOMIC_RELAXED);
    return 0;
}

int brrt_reader_snapshot(brrt_reader *r, struct brrt_snapshot **out)
{
    return brrt_reader_snapshot_opts(r, NULL, out);
}

int brrt_reader_snapshot_opts(brrt_reader *r, const struct brrt_snapshot_opts *opts,
                              struct brrt_snapshot **out)
{
    struct snapshot_impl *si = opts && opts->reuse ? (struct snapshot_impl *)opts->reuse : NULL;
    if (!r || !out || !r->map) {
        brrt_snapshot_free((struct brrt_snapshot *)si);
        return BRRT_E_INVAL;
    }
    *out = NULL;
    uint32_t what = opts ? opts->what & (BRRT_SNAP_ALL | BRRT_SNAP_RAW) : 0;
    if (!what)
        what = BRRT_SNAP_ALL;
    /* The mapping covers the size seen at attach; a file truncated since would fault (SIGBUS)
     * on access. Writers never truncate: someone else did, so refuse instead. */
    struct stat st;
    int rc = 0;
    if (fstat(r->fd, &st) != 0 || (uint64_t)st.st_size < r->layout.segment_size) {
        snprintf(r->why, sizeof r->why, "%.300s: the segment file was truncated after it was attached", r->path);
        rc = BRRT_E_TRUNCATED;
    }
    struct brrt_shm_published pub;
    if (rc == 0)
        rc = rd_refresh(r, &pub); /* guarded against SIGBUS, holes refused */
    if (rc == 0)
        rc = group(r->dir);
    if (rc) {
        brrt_snapshot_free((struct brrt_snapshot *)si);
        return rc;
    }
    struct rd_dir *d = r->dir;
    bool refill = !si || si->dir != d || si->filled != d->layout;
    size_t hist_words = (what & BRRT_SNAP_HIST_TEXT ? d->hist_text_words : 0) +
                        (what & BRRT_SNAP_HIST_FINE ? d->hist_fine_words : 0);
    if (si) {
        rd_dir_put(si->dir);
        si->dir = NULL;
    } else {
        si = calloc(1, sizeof *si);
    }
    if (!si || !fit((void **)&si->fams, &si->cap_fams, d->n_fams + 1, sizeof *si->fams) ||
        !fit((void **)&si->series, &si->cap_series, d->n_series + 1, sizeof *si->series) ||
        !fit((void **)&si->words, &si->cap_words, hist_words + 1, sizeof *si->words) ||
        ((what & BRRT_SNAP_RAW) && !fit((void **)&si->raw, &si->cap_raw, d->n_series + 1, sizeof *si->raw))) {
        brrt_snapshot_free((struct brrt_snapshot *)si);
        return BRRT_E_NOMEM;
    }
    memset(&si->pub, 0, sizeof si->pub);
    /* One CLOCK_MONOTONIC read for the liveness look (heartbeat age, TTLs) and taken_mono_ns. */
    si->pub.taken_mono_ns = now_ns(CLOCK_MONOTONIC);
    rd_info(r, &si->pub.info, &st, opts ? opts->liveness_ttl_ms : 0, si->pub.taken_mono_ns);
    si->pub.taken_realtime_ns = now_ns(CLOCK_REALTIME);
    si->pub.what = what;
    si->dir = d;
    d->refs++;
    if (d->n_fams) /* d->fams is NULL until the first family: memcpy from NULL is UB */
        memcpy(si->fams, d->fams, d->n_fams * sizeof *si->fams);

    struct read_args ra = {si, what, pub.shards_used, refill};
    si->filled = 0; /* until read_values is done */
    rc = rd_guarded(r, read_values, &ra); /* only reads into memory allocated above */
    if (rc) {
        brrt_snapshot_free(&si->pub);
        return rc;
    }
    si->filled = d->layout;
    si->vals = what & BRRT_SNAP_ALL;
    si->pub.raw = what & BRRT_SNAP_RAW ? si->raw : NULL;
    si->pub.layout = d->layout;
    si->pub.n_families = d->n_fams;
    si->pub.families = si->fams;
    si->pub.n_series = d->n_series;
    si->pub.series = si->series;
    *out = &si->pub;
    return 0;
}

void brrt_snapshot_free(struct brrt_snapshot *s)
{
    if (!s)
        return;
    struct snapshot_impl *si = (struct snapshot_impl *)s;
    rd_dir_put(si->dir);
    free(si->fams);
    free(si->series);
    free(si->words);
    free(si->raw);
    free(si);
}

const struct brrt_snap_family *brrt_snapshot_family(const struct brrt_snapshot *s, const char *name)
{
    for (uint32_t i = 0; s && name && i < s->n_families; i++)
        if (strcmp(s->families[i].name, name) == 0)
            return &s->families[i];
    return NULL;
}

const struct brrt_snap_series *brrt_snapshot_match(const struct brrt_snapshot *prev,
                                                   const struct brrt_snapshot *cur,
                                                   uint32_t family, uint32_t k)
{
    if (!prev || !cur || prev->info.generation != cur->info.generation ||
        prev->info.start_realtime_ns != cur->info.start_realtime_ns || family >= prev->n_families ||
        family >= cur->n_families || k >= prev->families[family].n_series ||
        strcmp(prev->families[family].name, cur->families[family].name) != 0)
        return NULL;
    return &prev->series[prev->families[family].first_series + k];
}

double brrt_hist_native_bound(int32_t schema, int32_t index)
{
    if (schema < BRRT_HIST_SCHEMA_MIN || schema > BRRT_HIST_SCHEMA_MAX)
        return NAN;
    return brrt_hist_bound(schema, index);
}

uint64_t brrt_hist_native_count(const struct brrt_snap_family *f, const uint64_t *fine, int32_t index)
{
    if (!f || !fine || f->n_fine < 3 || index < f->index_min || index > f->index_max)
        return 0;
    return fine[1 + (uint32_t)(index - f->index_min)];
}

double brrt_hist_relative_error(const struct brrt_snap_family *f)
{
    return f && f->n_fine ? brrt_hist_bound(f->schema, 1) - 1.0 : NAN;
}

/* Prometheus' histogram_quantile over (zero bucket, native buckets ascending), overflow last:
 * the first bucket whose cumulative count reaches rank = q * total, linear inside it. */
double brrt_hist_quantile(const struct brrt_snap_family *f, const uint64_t *fine, double q)
{
    if (!f || !fine || f->n_fine < 3 || !(q >= 0.0 && q <= 1.0))
        return NAN;
    uint64_t total = 0;
    for (uint32_t i = 0; i < f->n_fine; i++)
        total += fine[i];
    if (total == 0)
        return NAN;
    double rank = q * (double)total;
    uint64_t cum = 0;
    uint32_t overflow = f->n_fine - 1;
    for (uint32_t i = 0; i < overflow; i++) {
        if (fine[i] == 0 || (double)(cum + fine[i]) < rank) {
            cum += fine[i];
            continue;
        }
        double lo = i == 0 ? 0.0 : brrt_hist_bound(f->schema, f->index_min + (int32_t)i - 2);
        double hi = i == 0 ? f->zero_threshold : brrt_hist_bound(f->schema, f->index_min + (int32_t)i - 1);
        double frac = (rank - (double)cum) / (double)fine[i];
        return lo + (hi - lo) * (frac < 0 ? 0 : frac);
    }
    return brrt_hist_bound(f->schema, f->index_max); /* all we know: above the range */
}
