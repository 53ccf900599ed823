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
};

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

/* Sums `words` 64-bit words at `off` over shards [0, shards) into `out`. */
static void sum_words(const struct brrt_reader *r, uint32_t shards, uint64_t off, uint32_t words,
                      uint64_t *out)
{
    memset(out, 0, words * sizeof *out);
    const uint8_t *base = r->map + r->layout.shard_offset + off;
    for (uint32_t s = 0; s < shards; s++, base += r->layout.shard_stride)
        for (uint32_t w = 0; w < words; w++)
            out[w] += load(base + 8u * w);
}

static void read_value(const struct brrt_reader *r, uint32_t shards, const struct rd_series_meta *m,
                       const struct brrt_snap_family *f, struct brrt_snap_series *s, uint64_t **words)
{
    switch (f->storage) {
    case BRRT_SHM_SHARDED_U64:
        sum_words(r, shards, m->value_offset, 1, &s->u64);
        s->value = (double)s->u64 * f->scale;
        break;
    case BRRT_SHM_SHARDED_I64: {
        uint64_t u;
        sum_words(r, shards, m->value_offset, 1, &u);
        s->i64 = (int64_t)u;
        s->value = (double)s->i64 * f->scale;
        break;
    }
    case BRRT_SHM_GLOBAL_F64: {
        uint64_t bits = load(r->map + r->layout.shard_offset + m->value_offset);
        memcpy(&s->value, &bits, sizeof bits);
        break;
    }
    case BRRT_SHM_SHARDED_HIST: {
        uint32_t n = m->value_size / 8u;
        uint64_t *w = *words;
        *words += n;
        sum_words(r, shards, m->value_offset, n, w);
        s->sum_raw = w[0];
        s->sum = (double)w[0] * f->scale;
        s->le_counts = w + 1;
        s->fine = w + 2 + f->n_le;
        s->count = 0;
        for (uint32_t i = 0; i <= f->n_le; i++)
            s->count += s->le_counts[i];
        break;
    }
    }
}

struct read_args {
    struct snapshot_impl *si;
    uint32_t shards;
};

/* The values of every series (under rd_guarded: a truncated file faults here). */
static int read_values(struct brrt_reader *r, void *arg)
{
    struct read_args *a = arg;
    struct snapshot_impl *si = a->si;
    const struct rd_dir *d = si->dir;
    uint64_t *words = si->words;
    for (uint32_t i = 0; i < d->n_series; i++) {
        const struct rd_series_meta *m = &d->series[i];
        struct brrt_snap_family *f = &si->fams[m->family];
        struct brrt_snap_series *s = &si->series[f->first_series + f->n_series++];
        s->family = m->family;
        s->label_values = m->label_values;
        s->overflow = m->overflow;
        read_value(r, a->shards, m, f, s, &words);
    }
    return 0;
}

int brrt_reader_snapshot(brrt_reader *r, struct brrt_snapshot **out)
{
    if (!r || !out || !r->map)
        return BRRT_E_INVAL;
    *out = NULL;
    /* The mapping covers the size seen at attach; a file truncated since would fault (SIGBUS)
     * on access. Writers never truncate: someone else did, so refuse instead. */
    struct stat st;
    if (fstat(r->fd, &st) != 0 || (uint64_t)st.st_size < r->layout.segment_size) {
        snprintf(r->why, sizeof r->why, "%.300s: the segment file was truncated after it was attached", r->path);
        return BRRT_E_TRUNCATED;
    }
    struct brrt_shm_published pub;
    int rc = rd_refresh(r, &pub); /* guarded against SIGBUS, holes refused */
    if (rc)
        return rc;
    struct rd_dir *d = r->dir;
    struct snapshot_impl *si = calloc(1, sizeof *si);
    size_t hist_words = 0;
    for (uint32_t i = 0; i < d->n_series; i++)
        if (d->fams[d->series[i].family].storage == BRRT_SHM_SHARDED_HIST)
            hist_words += d->series[i].value_size / 8u;
    if (si) {
        si->fams = calloc(d->n_fams + 1, sizeof *si->fams);
        si->series = calloc(d->n_series + 1, sizeof *si->series);
        si->words = calloc(hist_words + 1, sizeof *si->words);
    }
    if (!si || !si->fams || !si->series || !si->words) {
        if (si) {
            free(si->fams);
            free(si->series);
            free(si->words);
        }
        free(si);
        return BRRT_E_NOMEM;
    }
    brrt_reader_info(r, &si->pub.info);
    si->pub.taken_realtime_ns = now_ns(CLOCK_REALTIME);
    si->pub.taken_mono_ns = now_ns(CLOCK_MONOTONIC);
    si->dir = d;
    d->refs++;
    if (d->n_fams) /* d->fams is NULL until the first family: memcpy from NULL is UB */
        memcpy(si->fams, d->fams, d->n_fams * sizeof *si->fams);

    /* Group series by family (a counting sort keeps directory order within a family). */
    for (uint32_t i = 0; i < d->n_fams; i++)
        si->fams[i].n_series = 0;
    for (uint32_t i = 0; i < d->n_series; i++)
        si->fams[d->series[i].family].n_series++;
    uint32_t next = 0;
    for (uint32_t i = 0; i < d->n_fams; i++) {
        si->fams[i].first_series = next;
        next += si->fams[i].n_series;
        si->fams[i].n_series = 0;
    }
    struct read_args ra = {si, pub.shards_used};
    rc = rd_guarded(r, read_values, &ra); /* only reads into memory allocated above */
    if (rc) {
        brrt_snapshot_free(&si->pub);
        return rc;
    }
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
