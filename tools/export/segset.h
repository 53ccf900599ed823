/* The exporter's segments: one named segment, or every segment in the directory (--all).
 * Attaching, following restarts and reporting a missing or dead writer as up 0 happen here;
 * a scrape never fails because of a segment, it reports it. */
#ifndef BRRT_EXPORT_SEGSET_H
#define BRRT_EXPORT_SEGSET_H

#include "brrtstat/reader.h"
#include "brrtstat/render.h"
#include "brrtstat/shm_path.h"

struct pb_cache; /* render_pb.h */

#include <pthread.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdint.h>

/* How late a crashed writer may show as brrtstat_segment_up 0 (ms): a scrape reuses the last
 * writer-lock probe for this long (brrt_snapshot_opts.liveness_ttl_ms), sparing a syscall per
 * scrape. A clean exit, a restart (a new file renamed over the path) and a truncated file show
 * at the next scrape. */
#define SEGSET_LIVENESS_TTL_MS 100

struct seg_entry {
    char name[BRRT_SHM_PATH_MAX]; /* a name, or with --segment a path (never cut short) */
    brrt_reader *r;          /* NULL while not attached */
    uint64_t generation;
    uint64_t reattaches;     /* restarts followed */
    uint64_t attach_failures;
    uint32_t exposition_dropped; /* families/series left out of the last scrape (invalid) */
    int last_err;            /* of the last attach attempt, 0 when attached */
    bool up;
    struct brrt_reader_info info; /* as of the last scrape (zero when never attached) */
    /* The file a failed attach saw (not for a missing file): until the path holds another
     * file or this one changes, attaching again would fail again, so it is not tried (a
     * hostile or INITIALIZING file must not cost every scrape the attach and its retries). */
    struct stat failed_st;
    bool failed_cached;
    struct brrt_snapshot *snap;   /* the last scrape's, recycled by the next (or NULL) */
    bool health_up;               /* up and generation as /healthz's text last said */
    uint64_t health_generation;
};

/* A scrape's arrays, one element per entry (+1), kept between scrapes. */
struct segset_scratch {
    struct brrt_snapshot **snaps;
    const char **names;
    uint32_t *dropped, *entry_of;
    uint32_t cap;
};

/* The text of the exporter's own metrics but their values, for one text flavor: per segment
 * row and entry `name{segment="NAME"} ` (the row's HELP/TYPE before its first entry's), then
 * the exporter rows' heads; built again when the entries change (segset.entries_gen). A scrape
 * copies each piece and formats the value after it. */
struct segset_self_text {
    struct brrt_buf text;
    size_t *off;          /* piece k at text.data + off[k] .. off[k + 1] */
    uint64_t entries_gen; /* of the entries it was built for; 0: none */
};

/* What a scrape renders: Prometheus text 0.0.4, OpenMetrics 1.0, or the protobuf exposition. */
enum segset_format { SEGSET_TEXT, SEGSET_OPENMETRICS, SEGSET_PROTOBUF, SEGSET_N_FORMATS };

struct segset {
    pthread_mutex_t lock; /* one scrape at a time reads the readers */
    /* /healthz never takes `lock` (it must answer while a scrape is slow): it reads `health`,
     * the segments' states as of the last scrape, under this lock of its own. */
    pthread_mutex_t health_lock;
    char *health;
    struct brrt_buf health_next; /* the next /healthz text, compared with `health` */
    bool all;
    struct seg_entry *e;     /* with --all sorted by name (rescan merges the listing in) */
    uint32_t n, cap;
    uint64_t scrapes;
    double last_scrape_seconds;
    size_t last_body_len; /* the next body's buffer starts this big: no growing copies */
    /* Each exposition's plan (and the text formats' text), kept between scrapes; by
     * enum segset_format. */
    struct brrt_prom_cache *plan[SEGSET_N_FORMATS];
    struct pb_cache *pb; /* the protobuf exposition's per-layout bytes (render_pb.h) */
    struct segset_scratch scratch;
    uint64_t entries_gen;  /* changes whenever entries come or go (never 0) */
    uint64_t health_gen;   /* entries_gen when /healthz's text was last built */
    struct segset_self_text self_text[2]; /* by enum brrt_prom_flavor */
};

int segset_init(struct segset *s, const char *segment, bool all);
void segset_free(struct segset *s);
/* Renders every segment and the exporter's own metrics into `out`. */
void segset_scrape(struct segset *s, struct brrt_buf *out, enum segset_format format);
/* "ok" and one line per segment as of the last scrape, for /healthz. Never waits for a scrape. */
void segset_health(struct segset *s, struct brrt_buf *out);

#endif
