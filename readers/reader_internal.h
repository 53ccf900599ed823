/* Reader internals shared by attach.c, directory.c and snapshot.c. */
#ifndef BRRTSTAT_READER_INTERNAL_H
#define BRRTSTAT_READER_INTERNAL_H

#include "brrtstat/reader.h"
#include "brrtstat/render.h"
#include "brrtstat/shm_layout.h"
#include "brrtstat/shm_path.h"

#include <sys/stat.h>
#include <sys/types.h>

/* Stable storage: blocks never move, so pointers into them outlive array growth. */
struct rd_block {
    struct rd_block *next;
    size_t used;
    size_t cap;
    char data[];
};

/* The parsed, validated directory of one file: private copies only, append-only, shared by
 * the reader and its snapshots through a reference count. */
struct rd_series_meta {
    uint32_t family; /* index into fams (not a directory index) */
    const char *const *label_values;
    uint64_t value_offset;
    uint32_t value_size;
    bool overflow;
    uint64_t labels_hash; /* of the label values, to find a repeated label set quickly */
    const char *labels_text; /* see brrt_snap_series */
    uint32_t labels_text_len;
};

/* Where series i's raw word (BRRT_SNAP_RAW) is read from and where it goes in a snapshot. */
enum rd_raw_kind { RD_RAW_SUM, RD_RAW_ONE, RD_RAW_NONE }; /* summed over shards; shard 0; none */
struct rd_raw_ref {
    uint64_t off;  /* value_offset */
    uint32_t slot; /* = slot[i] */
    uint32_t kind; /* enum rd_raw_kind */
};

struct rd_dir {
    unsigned refs;
    struct rd_block *blocks;
    uint32_t parsed;        /* directory entries validated so far */
    struct brrt_snap_family *fams;
    uint32_t n_fams, cap_fams;
    uint32_t *entry_to_fam; /* directory index -> family index, or UINT32_MAX */
    uint32_t cap_entries;
    struct rd_series_meta *series;
    uint32_t n_series, cap_series;
    uint64_t value_end;      /* series' value areas follow each other without overlap */
    uint32_t *label_index;   /* open addressing: series index + 1, 0 = empty */
    uint32_t label_index_cap; /* a power of two, kept over twice n_series */
    uint32_t *name_index;    /* open addressing on family names: family index + 1, 0 = empty */
    uint32_t name_index_cap; /* a power of two, kept over twice n_fams */
    /* Entries that failed validation are skipped once, counted and never parsed again
     * (published entries never change); the segment's other entries are still served. */
    uint32_t skipped;
    char first_skipped[256]; /* why the first skipped entry was refused */
    /* Work done, for tests (reader_tests.h): entries parsed, name-index probes, bytes held. */
    uint64_t work_entries;
    uint64_t work_name_probes;
    uint64_t bytes;
    struct brrt_buf scratch;  /* for building the exposition pieces */
    /* Snapshot layout, recomputed only when series were added (snapshot.c): fams[].first_series
     * and n_series; slot[i] = position of series i in a snapshot; histogram words per part. */
    uint32_t grouped;         /* n_series when last computed */
    uint32_t grouped_fams;    /* n_fams when last computed */
    uint64_t layout;          /* brrt_snapshot.layout: new whenever a family or series is added */
    uint32_t *slot;
    struct rd_raw_ref *raw_refs; /* per series, like slot */
    uint32_t *hist_series;       /* the histogram series' indices, in directory order */
    uint32_t n_hist;
    uint32_t cap_slot;
    size_t hist_text_words, hist_fine_words;
    uint32_t value_parts; /* the BRRT_SNAP_* parts its series have (SCALARS, HIST_TEXT|FINE) */
};

struct brrt_reader {
    char path[BRRT_SHM_PATH_MAX];
    int fd;
    dev_t dev;
    ino_t ino;
    const uint8_t *map;
    struct brrt_shm_layout layout;
    struct rd_dir *dir;
    uint32_t attach_retries;
    struct brrt_shm_published checked; /* ranges verified to hold data (guard.c) */
    /* Liveness looks kept for a snapshot's liveness_ttl_ms (rd_info): when the writer's lock
     * was last found held (CLOCK_MONOTONIC ns), and the path's last check and its result. */
    uint64_t probe_ns, path_check_ns;
    bool probe_held, replaced;
    char why[512];
};

void *rd_alloc(struct rd_dir *d, size_t len, size_t align);
void rd_dir_put(struct rd_dir *d);
/* Validates and caches directory entries [d->parsed, pub->dir_count): each entry is parsed
 * once; an invalid one is skipped and counted in d->skipped (with a series of a skipped
 * family). Returns an error only for out of memory or a bad dir_count. */
int rd_dir_update(struct brrt_reader *r, const struct brrt_shm_published *pub);
/* guard.c: runs fn(r, arg) with SIGBUS faults inside r's mapping turned into
 * BRRT_E_TRUNCATED (r->why says so). Every read of the mapping goes through it. */
int rd_guarded(struct brrt_reader *r, int (*fn)(struct brrt_reader *r, void *arg), void *arg);
/* guard.c: refuse (CORRUPT, r->why) a file with holes in its header, or in the ranges `pub`
 * publishes that were not checked yet. */
int rd_check_header_data(struct brrt_reader *r);
int rd_check_published(struct brrt_reader *r, const struct brrt_shm_published *pub);
/* Guarded: loads the publication counters into *pub, checks their ranges hold data, parses
 * the new directory entries. 0 or an error with r->why (without the path). */
int rd_refresh(struct brrt_reader *r, struct brrt_shm_published *pub);
/* Exposition pieces (expo_text.c): f->le_text, s->labels_text. */
int rd_text_family(struct rd_dir *d, struct brrt_snap_family *f);
int rd_text_series(struct rd_dir *d, const struct brrt_snap_family *f, struct rd_series_meta *s);
/* Appends name="escaped value",... of the family's labels; label `rename` (or none: NULL) is
 * named exported_NAME, as Prometheus does when a target label wins a clash. */
void rd_labels_text(struct brrt_buf *b, const struct brrt_snap_family *f,
                    const char *const *values, const char *rename);
/* brrt_reader_info with the snapshot's fstat of the file (or NULL) and liveness TTL (0: probe
 * the lock and stat the path every time; see brrt_snapshot_opts.liveness_ttl_ms), as of
 * `now` (CLOCK_MONOTONIC ns; 0: read the clock here). */
int rd_info(struct brrt_reader *r, struct brrt_reader_info *out, const struct stat *fst, uint32_t ttl_ms,
            uint64_t now);
/* Fills the header-derived part of info (no lock or path check); `now` is CLOCK_MONOTONIC ns. */
void rd_info_from_header(const struct brrt_reader *r, struct brrt_reader_info *out, uint64_t now);

#endif
