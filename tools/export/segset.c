#include "segset.h"

#include "render_pb.h"

#include "brrtstat/exporter_metrics.h"
#include "brrtstat/shm_path.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `name` fits: a name, or a --segment path main checked. */
static void entry_init(struct seg_entry *e, const char *name)
{
    memset(e, 0, sizeof *e);
    memcpy(e->name, name, strlen(name) + 1);
    e->info.heartbeat_age_s = -1; /* unknown until attached: never "fresh" */
}

static struct seg_entry *add(struct segset *s, const char *name)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        struct seg_entry *e = realloc(s->e, cap * sizeof *e);
        if (!e)
            return NULL;
        s->e = e;
        s->cap = cap;
    }
    if (strlen(name) >= sizeof s->e->name)
        return NULL; /* main refuses a longer --segment; directory names are <= 64 */
    struct seg_entry *e = &s->e[s->n++];
    entry_init(e, name);
    return e;
}

/* Appends a string literal (its length known at compile time). */
#define ADD_LIT(b, lit) brrt_buf_add((b), (lit), sizeof(lit) - 1)

/* Renders /healthz's text from the entries ("segment NAME up|down generation N" lines; call
 * with s->lock held, or before any scrape) and publishes it when it changed: on most scrapes
 * it did not, and /healthz's readers are not disturbed. */
static void publish_health(struct segset *s)
{
    bool same = s->health && s->health_gen == s->entries_gen;
    for (uint32_t i = 0; same && i < s->n; i++)
        same = s->e[i].up == s->e[i].health_up && s->e[i].generation == s->e[i].health_generation;
    if (same) /* what the text says has not changed: most scrapes */
        return;
    struct brrt_buf *b = &s->health_next;
    brrt_buf_reset(b);
    ADD_LIT(b, "ok\n");
    for (uint32_t i = 0; i < s->n; i++) {
        char num[BRRT_FMT_INT_MAX];
        ADD_LIT(b, "segment ");
        brrt_buf_puts(b, s->e[i].name);
        if (s->e[i].up)
            ADD_LIT(b, " up generation ");
        else
            ADD_LIT(b, " down generation ");
        brrt_buf_add(b, num, brrt_fmt_u64(num, s->e[i].generation));
        ADD_LIT(b, "\n");
    }
    /* s->health is only written here, under s->lock: reading it needs no health_lock. */
    if (b->failed)
        return; /* keep the previous text */
    if (!s->health || strcmp(s->health, b->data) != 0) {
        char *text = strdup(b->data);
        if (!text)
            return;
        pthread_mutex_lock(&s->health_lock);
        free(s->health);
        s->health = text;
        pthread_mutex_unlock(&s->health_lock);
    }
    for (uint32_t i = 0; i < s->n; i++) {
        s->e[i].health_up = s->e[i].up;
        s->e[i].health_generation = s->e[i].generation;
    }
    s->health_gen = s->entries_gen;
}

int segset_init(struct segset *s, const char *segment, bool all)
{
    memset(s, 0, sizeof *s);
    /* The server threads take turns at `lock` on every scrape, which is held for a few us:
     * a waiter spins briefly (glibc's adaptive mutex) before it sleeps. A futex sleep and
     * wake-up (two syscalls and two context switches) cost more CPU than the scrape it waits
     * for; with a plain mutex wrk -c16 cost ~0.4-0.7 futex calls per demo scrape. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
#ifdef __GLIBC__
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(&s->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_mutex_init(&s->health_lock, NULL);
    s->all = all;
    s->entries_gen = 1;
    if (!all && !add(s, segment))
        return BRRT_E_NOMEM;
    publish_health(s);
    return 0;
}

void segset_free(struct segset *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        brrt_reader_close(s->e[i].r);
        brrt_snapshot_free(s->e[i].snap);
    }
    free(s->e);
    free(s->health);
    brrt_buf_free(&s->health_next);
    for (int f = 0; f < 2; f++) {
        brrt_buf_free(&s->self_text[f].text);
        free(s->self_text[f].off);
    }
    free(s->scratch.snaps);
    free(s->scratch.names);
    free(s->scratch.dropped);
    free(s->scratch.entry_of);
    for (int f = 0; f < SEGSET_N_FORMATS; f++)
        brrt_prom_cache_free(s->plan[f]);
    pb_cache_free(s->pb);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->health_lock);
}

/* --all's directory listing: the valid segment names, sorted. */
struct dir_names {
    struct brrt_buf text; /* the names, each NUL-terminated */
    size_t *off;          /* name i at text.data + off[i], until sorted */
    const char **name;    /* sorted */
    uint32_t n, cap;
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists the directory into `l`; 0, or -1 when it cannot be read or memory ran out. */
static int list_dir(struct dir_names *l)
{
    DIR *d = opendir(brrt_shm_dir());
    if (!d)
        return 0; /* no directory (yet): no segments */
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!brrt_shm_name_valid(de->d_name))
            continue;
        if (l->n == l->cap) {
            uint32_t cap = l->cap ? l->cap * 2 : 64;
            size_t *off = realloc(l->off, cap * sizeof *off);
            if (!off) {
                rc = -1;
                break;
            }
            l->off = off;
            l->cap = cap;
        }
        l->off[l->n++] = l->text.len;
        brrt_buf_add(&l->text, de->d_name, strlen(de->d_name) + 1);
    }
    closedir(d);
    if (rc || l->text.failed || !(l->name = malloc((l->n + 1) * sizeof *l->name)))
        return -1;
    for (uint32_t i = 0; i < l->n; i++)
        l->name[i] = l->text.data + l->off[i];
    qsort(l->name, l->n, sizeof *l->name, cmp_name);
    /* One listing may return a name twice (POSIX allows it for a file renamed during the
     * listing, as a restarting writer does): one entry per name. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (k == 0 || strcmp(l->name[i], l->name[k - 1]) != 0)
            l->name[k++] = l->name[i];
    l->n = k;
    return 0;
}

static void drop_entry(struct seg_entry *e)
{
    brrt_reader_close(e->r);
    brrt_snapshot_free(e->snap);
}

/* --all: pick up new segments, forget the ones whose files are gone. The entries are kept
 * sorted by name, so the sorted listing is merged with them: O(n log n) per scrape for n files
 * (it was a strcmp of every file's name against every entry). Out of memory: the previous set
 * is served again. */
static void rescan(struct segset *s)
{
    struct dir_names l = {0};
    if (list_dir(&l) != 0)
        goto out;
    bool same = l.n == s->n;
    for (uint32_t i = 0; same && i < l.n; i++)
        same = strcmp(l.name[i], s->e[i].name) == 0;
    if (same) /* the usual scrape: nothing came or went */
        goto out;
    struct seg_entry *e = malloc((l.n ? l.n : 1) * sizeof *e);
    if (!e)
        goto out;
    uint32_t i = 0, j = 0, k = 0;
    while (i < l.n || j < s->n) {
        int c = i == l.n ? 1 : j == s->n ? -1 : strcmp(l.name[i], s->e[j].name);
        if (c < 0) /* a new file */
            entry_init(&e[k++], l.name[i++]);
        else if (c > 0) /* gone */
            drop_entry(&s->e[j++]);
        else {
            e[k++] = s->e[j++];
            i++;
        }
    }
    free(s->e);
    s->e = e;
    s->n = k;
    s->cap = l.n ? l.n : 1;
    s->entries_gen++;
out:
    brrt_buf_free(&l.text);
    free(l.off);
    free(l.name);
}

/* Is the file the same, unchanged? (identity, size, contents and metadata times) */
static bool same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* What each exposition reads: counter and gauge values as raw words (the renderers write them
 * from there, no series struct is filled) and the histograms' sum and `le` counts; only the
 * protobuf one reads their fine buckets too (the native histogram; a hundred times more words). */
static uint32_t needs(enum segset_format format)
{
    if (format == SEGSET_PROTOBUF)
        return BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT | BRRT_SNAP_HIST_FINE;
    return BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT;
}

/* A snapshot of `what`, recycling the entry's last one. */
static int take(struct seg_entry *e, uint32_t what, struct brrt_snapshot **out)
{
    struct brrt_snapshot_opts o = {.what = what, .reuse = e->snap, .liveness_ttl_ms = SEGSET_LIVENESS_TTL_MS};
    e->snap = NULL; /* consumed */
    return brrt_reader_snapshot_opts(e->r, &o, out);
}

/* Brings one entry up to date: attach, follow a restart. Returns its snapshot (owned by the
 * entry, valid until the next refresh) or NULL.
 * One snapshot per scrape carries the liveness checks (lock probe, path stat) as well. */
static struct brrt_snapshot *refresh(struct seg_entry *e, uint32_t what)
{
    if (!e->r) {
        char path[BRRT_SHM_PATH_MAX];
        struct stat st;
        bool have_st = brrt_shm_resolve(e->name, path, sizeof path) == 0 && lstat(path, &st) == 0;
        if (e->failed_cached && have_st && same_file_state(&st, &e->failed_st)) {
            e->up = false; /* as it was: nothing changed since the last failure */
            return NULL;
        }
        e->failed_cached = false;
        e->last_err = brrt_reader_open(e->name, &e->r, NULL, 0);
        if (e->last_err) {
            if (e->last_err != BRRT_E_NOENT && have_st) {
                e->failed_st = st;
                e->failed_cached = true;
            }
            e->attach_failures++;
            e->up = false;
            e->info.heartbeat_age_s = -1;
            e->info.skipped_entries = 0;
            return NULL;
        }
    }
    struct brrt_snapshot *snap = NULL;
    e->last_err = take(e, what, &snap);
    if (snap && snap->info.replaced && brrt_reader_reopen(e->r) == 0) {
        e->reattaches++;
        e->snap = snap;
        snap = NULL;
        e->last_err = take(e, what, &snap);
    }
    if (!snap) {
        /* Unreadable now (damaged, truncated...): attach afresh next scrape, which also
         * picks up a writer that restarted meanwhile. */
        brrt_reader_close(e->r);
        e->r = NULL;
        e->up = false;
        e->info.heartbeat_age_s = -1;
        return NULL;
    }
    e->info = snap->info;
    e->info.path = NULL; /* points into the reader; not needed here */
    e->generation = snap->info.generation;
    e->up = snap->info.state == BRRT_WRITER_RUNNING;
    e->snap = snap;
    /* A dead or exited writer's values are history: report it down, export none of them. */
    if (snap->info.state == BRRT_WRITER_DEAD || snap->info.state == BRRT_WRITER_EXITED)
        return NULL;
    return snap;
}

/* The value of each BRRT_EXPORTER_SEGMENT_METRICS row (brrtstat/exporter_metrics.h, where the
 * names, types and help live): an expression of `e` (the entry) and `in` (its reader info as of
 * this scrape). A row without a value here does not compile. */
#define SELF_VALUE_SEGMENT_UP e->up
#define SELF_VALUE_SEGMENT_GENERATION (double)e->generation
#define SELF_VALUE_SEGMENT_HEARTBEAT_AGE (in->heartbeat_age_s >= 0 ? in->heartbeat_age_s : NAN)
#define SELF_VALUE_SEGMENT_REATTACHES (double)e->reattaches
#define SELF_VALUE_SEGMENT_ATTACH_FAILURES (double)e->attach_failures
#define SELF_VALUE_SEGMENT_SNAPSHOT_RETRIES (double)in->attach_retries
#define SELF_VALUE_SEGMENT_FULL_ERRORS (double)in->full_errors
#define SELF_VALUE_SEGMENT_OVERFLOWS (double)in->cardinality_overflows
#define SELF_VALUE_SEGMENT_SKIPPED_ENTRIES (double)in->skipped_entries
#define SELF_VALUE_SEGMENT_EXPOSITION_DROPPED (double)e->exposition_dropped

/* The table's rows with their lengths, by enum brrt_exporter_metric_id. */
static const struct self_row {
    const char *name, *help;
    size_t len, help_len;
    bool counter;
} self_rows[BRRT_XM_COUNT] = {
#define SELF_TABLE_ROW(id, name, type, help) {name, help, sizeof name - 1, sizeof help - 1, type == BRRT_COUNTER},
    BRRT_EXPORTER_CATALOG(SELF_TABLE_ROW)
#undef SELF_TABLE_ROW
};

/* "# HELP name help\n# TYPE name type\n" of self_rows[id], the family named as
 * brrt_expo_family_name says (the counters' samples keep the table's names: all end in _total). */
static void self_header_build(struct brrt_buf *b, enum brrt_exporter_metric_id id, enum brrt_prom_flavor flavor)
{
    const struct self_row *r = &self_rows[id];
    char fam[BRRT_EXPO_FAMILY_MAX];
    size_t n;
    brrt_expo_family_name(r->name, r->counter, flavor == BRRT_PROM_OPENMETRICS, fam, &n);
    ADD_LIT(b, "# HELP ");
    brrt_buf_add(b, fam, n);
    ADD_LIT(b, " ");
    brrt_buf_add(b, r->help, r->help_len);
    ADD_LIT(b, "\n# TYPE ");
    brrt_buf_add(b, fam, n);
    if (r->counter)
        ADD_LIT(b, " counter\n");
    else
        ADD_LIT(b, " gauge\n");
}

/* The exporter's own metrics in protobuf: one family per row, a series per segment. */
static void self_pb(struct segset *s, struct brrt_buf *out)
{
    const char **names = calloc(s->n + 1, sizeof *names);
    double *v = calloc(s->n + 1, sizeof *v);
    if (!names || !v) {
        out->failed = true;
        free(names);
        free(v);
        return;
    }
    for (uint32_t i = 0; i < s->n; i++)
        names[i] = s->e[i].name;
#define SELF_PB(id, name, type, help)                                                          \
    if (s->n) {                                                                                \
        for (uint32_t i = 0; i < s->n; i++) {                                                  \
            const struct seg_entry *e = &s->e[i];                                              \
            const struct brrt_reader_info *in = &e->info;                                     \
            (void)in;                                                                          \
            v[i] = (SELF_VALUE_##id);                                                          \
        }                                                                                      \
        pb_render_scalars(out, name, type == BRRT_COUNTER, help, "segment", names, v, s->n);   \
    }
    BRRT_EXPORTER_SEGMENT_METRICS(SELF_PB)
#undef SELF_PB
    free(names);
    free(v);
}

/* The exporter's own metric names: no segment's family may take them (or their suffixes). */
#define SELF_NAME(id, name, type, help) name,
static const char *const self_names[] = {BRRT_EXPORTER_CATALOG(SELF_NAME) NULL};
#undef SELF_NAME

/* The pieces of s->self_text[flavor] (struct segset_self_text) for the current entries;
 * false when out of memory. */
static bool self_text_fit(struct segset *s, enum brrt_prom_flavor flavor)
{
    struct segset_self_text *st = &s->self_text[flavor == BRRT_PROM_OPENMETRICS];
    if (st->entries_gen == s->entries_gen)
        return true;
    const uint32_t rows = BRRT_XM_EXPORTER_SCRAPE_DURATION, n = s->n; /* the segment rows first */
    size_t *off = realloc(st->off, ((size_t)rows * n + 4) * sizeof *off);
    if (!off)
        return false;
    st->off = off;
    struct brrt_buf *b = &st->text;
    brrt_buf_reset(b);
    size_t k = 0;
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t i = 0; i < n; i++) {
            off[k++] = b->len;
            if (i == 0)
                self_header_build(b, (enum brrt_exporter_metric_id)r, flavor);
            brrt_buf_add(b, self_rows[r].name, self_rows[r].len);
            ADD_LIT(b, "{segment=\"");
            brrt_buf_escaped(b, s->e[i].name, true);
            ADD_LIT(b, "\"} ");
        }
    off[k++] = b->len;
    self_header_build(b, BRRT_XM_EXPORTER_SCRAPE_DURATION, flavor);
    brrt_buf_add(b, self_rows[BRRT_XM_EXPORTER_SCRAPE_DURATION].name, self_rows[BRRT_XM_EXPORTER_SCRAPE_DURATION].len);
    ADD_LIT(b, " ");
    off[k++] = b->len;
    self_header_build(b, BRRT_XM_EXPORTER_SCRAPES, flavor);
    brrt_buf_add(b, self_rows[BRRT_XM_EXPORTER_SCRAPES].name, self_rows[BRRT_XM_EXPORTER_SCRAPES].len);
    ADD_LIT(b, " ");
    off[k++] = b->len;
    self_header_build(b, BRRT_XM_EXPORTER_BUILD_INFO, flavor);
    brrt_buf_add(b, self_rows[BRRT_XM_EXPORTER_BUILD_INFO].name, self_rows[BRRT_XM_EXPORTER_BUILD_INFO].len);
    ADD_LIT(b, "{version=\"" BRRT_VERSION "\"} 1\n");
    if (flavor == BRRT_PROM_OPENMETRICS)
        ADD_LIT(b, "# EOF\n");
    off[k] = b->len;
    if (b->failed)
        return false;
    st->entries_gen = s->entries_gen;
    return true;
}

/* Copies piece k of `st` to p. */
static char *self_piece(char *p, const struct segset_self_text *st, size_t k)
{
    size_t n = st->off[k + 1] - st->off[k];
    memcpy(p, st->text.data + st->off[k], n);
    return p + n;
}

/* The exporter's own metrics in a text flavor, from the pieces of self_text_fit: the segment
 * rows, then the scrape's duration since t0, the scrape count and the build info. */
static void self_text_render(struct segset *s, struct brrt_buf *out, const struct segset_self_text *st, double t0)
{
    const uint32_t rows = BRRT_XM_EXPORTER_SCRAPE_DURATION;
    size_t pieces = (size_t)rows * s->n + 3;
    if (!brrt_buf_reserve(out, st->text.len + pieces * (BRRT_FMT_DOUBLE_MAX + 1)))
        return;
    char *p = out->data + out->len;
    size_t k = 0;
#define SELF_ROW(id, name, type, help)                                                         \
    for (uint32_t i = 0; i < s->n; i++) {                                                      \
        const struct seg_entry *e = &s->e[i];                                                  \
        const struct brrt_reader_info *in = &e->info;                                         \
        (void)in;                                                                              \
        p = self_piece(p, st, k++);                                                            \
        p += brrt_fmt_double(p, BRRT_FMT_DOUBLE_MAX, (SELF_VALUE_##id));                       \
        *p++ = '\n';                                                                           \
    }
    BRRT_EXPORTER_SEGMENT_METRICS(SELF_ROW)
#undef SELF_ROW
    s->scrapes++;
    s->last_scrape_seconds = now_s() - t0;
    p = self_piece(p, st, k++);
    p += brrt_fmt_double(p, BRRT_FMT_DOUBLE_MAX, s->last_scrape_seconds);
    *p++ = '\n';
    p = self_piece(p, st, k++);
    p += brrt_fmt_u64(p, s->scrapes);
    *p++ = '\n';
    p = self_piece(p, st, k++);
    *p = '\0';
    out->len = (size_t)(p - out->data);
}

/* Makes the per-scrape arrays hold s->n + 1 entries (kept between scrapes: a steady scrape
 * allocates none). False when out of memory. */
static bool scratch_fit(struct segset *s)
{
    struct segset_scratch *c = &s->scratch;
    if (c->cap >= s->n + 1)
        return true;
    uint32_t cap = s->n + 1;
    struct brrt_snapshot **snaps = realloc(c->snaps, cap * sizeof *snaps);
    if (snaps)
        c->snaps = snaps;
    const char **names = realloc(c->names, cap * sizeof *names);
    if (names)
        c->names = names;
    uint32_t *dropped = realloc(c->dropped, cap * sizeof *dropped);
    if (dropped)
        c->dropped = dropped;
    uint32_t *entry_of = realloc(c->entry_of, cap * sizeof *entry_of);
    if (entry_of)
        c->entry_of = entry_of;
    if (!snaps || !names || !dropped || !entry_of)
        return false;
    c->cap = cap;
    return true;
}

void segset_scrape(struct segset *s, struct brrt_buf *out, enum segset_format format)
{
    pthread_mutex_lock(&s->lock);
    double t0 = now_s();
    if (s->all)
        rescan(s);
    bool fit = scratch_fit(s);
    struct brrt_snapshot **snaps = s->scratch.snaps;
    const char **names = s->scratch.names;
    uint32_t *dropped = s->scratch.dropped, *entry_of = s->scratch.entry_of;
    uint32_t k = 0;
    for (uint32_t i = 0; fit && i < s->n; i++) {
        s->e[i].exposition_dropped = 0;
        struct brrt_snapshot *snap = refresh(&s->e[i], needs(format));
        if (snap) {
            snaps[k] = snap;
            entry_of[k] = i;
            dropped[k] = 0;
            names[k++] = s->e[i].name;
        }
    }
    if (!fit) /* nothing rendered but the self-metrics; a failed buffer says out of memory */
        out->failed = true;
    enum brrt_prom_flavor flavor = format == SEGSET_OPENMETRICS ? BRRT_PROM_OPENMETRICS : BRRT_PROM_TEXT_004;
    /* Every format leaves out the same families (one plan, brrt_expo_plan_build), kept between
     * scrapes in the format's own cache. */
    if (!s->plan[format])
        s->plan[format] = brrt_prom_cache_new(); /* NULL: rendered without a cache */
    struct brrt_prom_opts opts = {.flavor = flavor, .extra_label_name = s->all ? "segment" : NULL,
                                  .reserved_names = self_names, .dropped = fit ? dropped : NULL,
                                  .cache = s->plan[format]};
    if (format == SEGSET_PROTOBUF) {
        if (!s->pb)
            s->pb = pb_cache_new(); /* NULL: rendered by the general path */
        pb_render_cached(s->pb, out, (const struct brrt_snapshot *const *)snaps, names, k, &opts);
    } else {
        brrt_buf_reserve(out, s->last_body_len + s->last_body_len / 16);
        brrt_render_prometheus_n(out, (const struct brrt_snapshot *const *)snaps, names, k, &opts);
    }
    for (uint32_t i = 0; fit && i < k; i++)
        s->e[entry_of[i]].exposition_dropped = dropped[i];
    if (format == SEGSET_PROTOBUF) {
        self_pb(s, out);
        s->scrapes++;
        s->last_scrape_seconds = now_s() - t0;
        double d = s->last_scrape_seconds, n = (double)s->scrapes;
        const struct self_row *r = &self_rows[BRRT_XM_EXPORTER_SCRAPE_DURATION];
        pb_render_scalars(out, r->name, r->counter, r->help, NULL, NULL, &d, 1);
        r = &self_rows[BRRT_XM_EXPORTER_SCRAPES];
        pb_render_scalars(out, r->name, r->counter, r->help, NULL, NULL, &n, 1);
        const char *version = BRRT_VERSION;
        double one = 1;
        r = &self_rows[BRRT_XM_EXPORTER_BUILD_INFO];
        pb_render_scalars(out, r->name, r->counter, r->help, "version", &version, &one, 1);
    } else if (!fit || !self_text_fit(s, flavor)) {
        out->failed = true;
        s->scrapes++;
        s->last_scrape_seconds = now_s() - t0;
    } else {
        self_text_render(s, out, &s->self_text[flavor == BRRT_PROM_OPENMETRICS], t0);
        s->last_body_len = out->len;
    }
    publish_health(s); /* /healthz follows every scrape */
    pthread_mutex_unlock(&s->lock);
}

void segset_health(struct segset *s, struct brrt_buf *out)
{
    pthread_mutex_lock(&s->health_lock);
    brrt_buf_puts(out, s->health ? s->health : "ok\n");
    pthread_mutex_unlock(&s->health_lock);
}
