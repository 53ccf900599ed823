#include "segset.h"

#include "render_pb.h"

#include "brrtstat/shm_path.h"

#include <dirent.h>
#include <inttypes.h>
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
    memset(e, 0, sizeof *e);
    memcpy(e->name, name, strlen(name) + 1);
    e->seen = true;
    e->info.heartbeat_age_s = -1; /* unknown until attached: never "fresh" */
    return e;
}

/* Renders /healthz's text from the entries (call with s->lock held) and publishes it. */
static void publish_health(struct segset *s)
{
    struct brrt_buf b = {0};
    brrt_buf_puts(&b, "ok\n");
    for (uint32_t i = 0; i < s->n; i++)
        brrt_buf_printf(&b, "segment %s %s generation %" PRIu64 "\n", s->e[i].name,
                        s->e[i].up ? "up" : "down", s->e[i].generation);
    if (b.failed) {
        brrt_buf_free(&b);
        return; /* keep the previous text */
    }
    pthread_mutex_lock(&s->health_lock);
    free(s->health);
    s->health = b.data;
    pthread_mutex_unlock(&s->health_lock);
}

int segset_init(struct segset *s, const char *segment, bool all)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->health_lock, NULL);
    s->all = all;
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
    brrt_buf_free(&s->self_labels);
    brrt_prom_cache_free(s->plan);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->health_lock);
}

/* --all: pick up new segments, forget the ones whose files are gone. */
static void rescan(struct segset *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        s->e[i].seen = false;
    DIR *d = opendir(brrt_shm_dir());
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (!brrt_shm_name_valid(de->d_name))
            continue;
        uint32_t i = 0;
        while (i < s->n && strcmp(s->e[i].name, de->d_name) != 0)
            i++;
        if (i < s->n)
            s->e[i].seen = true;
        else
            add(s, de->d_name);
    }
    if (d)
        closedir(d);
    for (uint32_t i = 0; i < s->n;) {
        if (s->e[i].seen) {
            i++;
            continue;
        }
        brrt_reader_close(s->e[i].r);
        brrt_snapshot_free(s->e[i].snap);
        s->e[i] = s->e[--s->n];
    }
}

/* Is the file the same, unchanged? (identity, size, contents and metadata times) */
static bool same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* What each exposition reads: the text ones need counter and gauge values and the histograms'
 * sum and `le` counts, never their fine buckets (a hundred times more words); the protobuf
 * one has the native buckets as well. */
static uint32_t needs(enum segset_format format)
{
    uint32_t text = BRRT_SNAP_SCALARS | BRRT_SNAP_HIST_TEXT;
    return format == SEGSET_PROTOBUF ? text | BRRT_SNAP_HIST_FINE : text;
}

/* A snapshot of `what`, recycling the entry's last one. */
static int take(struct seg_entry *e, uint32_t what, struct brrt_snapshot **out)
{
    struct brrt_snapshot_opts o = {.what = what, .reuse = e->snap};
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

/* The exporter's own metrics, one row each: X(name, type, help, value), where `value` is an
 * expression of `e` (the entry) and `in` (its reader info as of this scrape). */
#define SELF_METRICS(X)                                                                        \
    X(brrtstat_segment_up, "gauge", "1 when the segment's writer is running, 0 otherwise", e->up) \
    X(brrtstat_segment_generation, "gauge", "Generation of the segment (a writer restart adds 1)", \
      (double)e->generation)                                                                   \
    X(brrtstat_segment_heartbeat_age_seconds, "gauge",                                         \
      "Seconds since the writer's last heartbeat (NaN while unknown: no segment attached)",    \
      in->heartbeat_age_s >= 0 ? in->heartbeat_age_s : NAN)                                    \
    X(brrtstat_segment_reattaches_total, "counter", "Writer restarts the exporter followed",   \
      (double)e->reattaches)                                                                   \
    X(brrtstat_segment_attach_failures_total, "counter", "Failed attempts to attach to the segment", \
      (double)e->attach_failures)                                                              \
    X(brrtstat_segment_snapshot_retries_total, "counter",                                      \
      "Retries spent attaching while the segment initialised", (double)in->attach_retries)     \
    X(brrtstat_segment_full_errors_total, "counter",                                           \
      "Registrations the writer could not fit in the segment", (double)in->full_errors)        \
    X(brrtstat_segment_cardinality_overflows_total, "counter", "Series lookups folded into __other", \
      (double)in->cardinality_overflows)                                                       \
    X(brrtstat_segment_skipped_entries, "gauge",                                               \
      "Directory entries of the segment skipped as invalid (the rest is served)",              \
      (double)in->skipped_entries)                                                             \
    X(brrtstat_segment_exposition_dropped, "gauge",                                            \
      "Families and counter series of the segment left out of the last scrape: their names "   \
      "clash with another family's or the exporter's own, or a counter is negative or NaN",    \
      (double)e->exposition_dropped)

/* Appends a string literal (its length known at compile time). */
#define ADD_LIT(b, lit) brrt_buf_add((b), (lit), sizeof(lit) - 1)

/* "# HELP name help\n# TYPE name type\n" from literals, without printf (OpenMetrics names a
 * counter's family without _total). */
static void self_header(struct brrt_buf *b, const char *name, size_t len, const char *type, size_t type_len,
                        const char *help, size_t help_len, enum brrt_prom_flavor flavor)
{
    bool om_counter = flavor == BRRT_PROM_OPENMETRICS && type_len == 7 && memcmp(type, "counter", 7) == 0;
    size_t n = om_counter ? len - 6 : len;
    ADD_LIT(b, "# HELP ");
    brrt_buf_add(b, name, n);
    ADD_LIT(b, " ");
    brrt_buf_add(b, help, help_len);
    ADD_LIT(b, "\n# TYPE ");
    brrt_buf_add(b, name, n);
    ADD_LIT(b, " ");
    brrt_buf_add(b, type, type_len);
    ADD_LIT(b, "\n");
}

/* name{segment="..."} value: `label` is the entry's `{segment="..."} `, escaped once per scrape. */
static void self_value(struct brrt_buf *b, const char *name, size_t len, const char *label, size_t label_len,
                       double v)
{
    if (!brrt_buf_reserve(b, len + label_len + BRRT_FMT_DOUBLE_MAX + 1))
        return;
    char *p = b->data + b->len;
    memcpy(p, name, len);
    memcpy(p + len, label, label_len);
    p += len + label_len;
    p += brrt_fmt_double(p, BRRT_FMT_DOUBLE_MAX, v);
    *p++ = '\n';
    b->len = (size_t)(p - b->data);
    b->data[b->len] = '\0';
}

/* brrtstat_exporter_build_info{version="0.1.0"} 1 */
#define BUILD_INFO_HELP "Always 1; the exporter's version is the label"

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
#define SELF_PB(name, type, help, value)                                                       \
    if (s->n) {                                                                                \
        for (uint32_t i = 0; i < s->n; i++) {                                                  \
            const struct seg_entry *e = &s->e[i];                                              \
            const struct brrt_reader_info *in = &e->info;                                     \
            (void)in;                                                                          \
            v[i] = (value);                                                                    \
        }                                                                                      \
        pb_render_scalars(out, #name, strcmp(type, "counter") == 0, help, "segment", names, v, s->n); \
    }
    SELF_METRICS(SELF_PB)
#undef SELF_PB
    free(names);
    free(v);
}

/* The exporter's own metric names: no segment's family may take them (or their suffixes). */
#define SELF_NAME(name, type, help, value) #name,
static const char *const self_names[] = {SELF_METRICS(SELF_NAME) "brrtstat_exporter_scrape_duration_seconds",
                                         "brrtstat_exporter_scrapes_total",
                                         "brrtstat_exporter_build_info", NULL};
#undef SELF_NAME

/* Each entry's `{segment="NAME"} ` (NAME escaped) into s->self_labels, entry i's at
 * (*off)[i]..(*off)[i + 1]: escaped once per scrape, not once per self-metric row. */
static int self_labels(struct segset *s, size_t **off)
{
    struct brrt_buf *b = &s->self_labels;
    brrt_buf_reset(b);
    *off = malloc((s->n + 1) * sizeof **off);
    if (!*off)
        return -1;
    for (uint32_t i = 0; i < s->n; i++) {
        (*off)[i] = b->len;
        ADD_LIT(b, "{segment=\"");
        brrt_buf_escaped(b, s->e[i].name, true);
        ADD_LIT(b, "\"} ");
    }
    (*off)[s->n] = b->len;
    return b->failed ? -1 : 0;
}

void segset_scrape(struct segset *s, struct brrt_buf *out, enum segset_format format)
{
    pthread_mutex_lock(&s->lock);
    double t0 = now_s();
    size_t *label_off = NULL;
    if (s->all)
        rescan(s);
    struct brrt_snapshot **snaps = calloc(s->n + 1, sizeof *snaps);
    const char **names = calloc(s->n + 1, sizeof *names);
    uint32_t *dropped = calloc(s->n + 1, sizeof *dropped), *entry_of = calloc(s->n + 1, sizeof *entry_of);
    uint32_t k = 0;
    for (uint32_t i = 0; snaps && names && dropped && entry_of && i < s->n; i++) {
        s->e[i].exposition_dropped = 0;
        struct brrt_snapshot *snap = refresh(&s->e[i], needs(format));
        if (snap) {
            snaps[k] = snap;
            entry_of[k] = i;
            names[k++] = s->e[i].name;
        }
    }
    enum brrt_prom_flavor flavor = format == SEGSET_OPENMETRICS ? BRRT_PROM_OPENMETRICS : BRRT_PROM_TEXT_004;
    /* Both formats leave out the same families (one plan, brrt_expo_plan_build). */
    struct brrt_prom_opts opts = {.flavor = flavor, .extra_label_name = s->all ? "segment" : NULL,
                                  .reserved_names = self_names, .dropped = dropped};
    if (format == SEGSET_PROTOBUF) {
        pb_render_snapshots(out, (const struct brrt_snapshot *const *)snaps, names, k, &opts);
    } else {
        if (!s->plan)
            s->plan = brrt_prom_cache_new(); /* NULL: rendered without a cache */
        opts.cache = s->plan;
        brrt_buf_reserve(out, s->last_body_len + s->last_body_len / 16);
        brrt_render_prometheus_n(out, (const struct brrt_snapshot *const *)snaps, names, k, &opts);
    }
    for (uint32_t i = 0; dropped && i < k; i++)
        s->e[entry_of[i]].exposition_dropped = dropped[i];
    free(dropped);
    free(entry_of);
    free(snaps);
    free(names);
#define SELF_ROW(name, type, help, value)                                                      \
    if (s->n) {                                                                                \
        self_header(out, #name, sizeof #name - 1, type, sizeof type - 1, help, sizeof help - 1, flavor); \
        for (uint32_t i = 0; i < s->n; i++) {                                                  \
            const struct seg_entry *e = &s->e[i];                                              \
            const struct brrt_reader_info *in = &e->info;                                     \
            (void)in;                                                                          \
            self_value(out, #name, sizeof #name - 1, labels->data + label_off[i],              \
                       label_off[i + 1] - label_off[i], (value));                              \
        }                                                                                      \
    }
    if (format == SEGSET_PROTOBUF)
        self_pb(s, out);
    else if (self_labels(s, &label_off))
        out->failed = true;
    else {
        const struct brrt_buf *labels = &s->self_labels;
        SELF_METRICS(SELF_ROW)
    }
    free(label_off);
#undef SELF_ROW
    s->scrapes++;
    s->last_scrape_seconds = now_s() - t0;
    if (format == SEGSET_PROTOBUF) {
        double d = s->last_scrape_seconds, n = (double)s->scrapes;
        pb_render_scalars(out, "brrtstat_exporter_scrape_duration_seconds", false,
                          "Seconds this scrape spent reading and rendering the segments", NULL, NULL, &d, 1);
        pb_render_scalars(out, "brrtstat_exporter_scrapes_total", true, "Scrapes served", NULL, NULL, &n, 1);
        const char *version = BRRT_VERSION;
        double one = 1;
        pb_render_scalars(out, "brrtstat_exporter_build_info", false, BUILD_INFO_HELP, "version", &version, &one, 1);
        pthread_mutex_unlock(&s->lock);
        return;
    }
#define SELF_HEADER(b, name, type, help)                                                       \
    self_header(b, name, sizeof name - 1, type, sizeof type - 1, help, sizeof help - 1, flavor)
    SELF_HEADER(out, "brrtstat_exporter_scrape_duration_seconds", "gauge",
                "Seconds this scrape spent reading and rendering the segments");
    self_value(out, "brrtstat_exporter_scrape_duration_seconds", sizeof "brrtstat_exporter_scrape_duration_seconds" - 1,
               " ", 1, s->last_scrape_seconds);
    SELF_HEADER(out, "brrtstat_exporter_scrapes_total", "counter", "Scrapes served");
    char num[BRRT_FMT_INT_MAX];
    size_t num_len = brrt_fmt_u64(num, s->scrapes);
    ADD_LIT(out, "brrtstat_exporter_scrapes_total ");
    brrt_buf_add(out, num, num_len);
    ADD_LIT(out, "\n");
    SELF_HEADER(out, "brrtstat_exporter_build_info", "gauge", BUILD_INFO_HELP);
#undef SELF_HEADER
    ADD_LIT(out, "brrtstat_exporter_build_info{version=\"" BRRT_VERSION "\"} 1\n");
    if (flavor == BRRT_PROM_OPENMETRICS)
        brrt_buf_puts(out, "# EOF\n");
    publish_health(s);
    s->last_body_len = out->len;
    pthread_mutex_unlock(&s->lock);
}

void segset_health(struct segset *s, struct brrt_buf *out)
{
    pthread_mutex_lock(&s->health_lock);
    brrt_buf_puts(out, s->health ? s->health : "ok\n");
    pthread_mutex_unlock(&s->health_lock);
}
