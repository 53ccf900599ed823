/* Attaching to a segment file: safe open, validation, liveness, restart detection. */
#include "reader_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOT_READY_RETRIES 50
#define NOT_READY_SLEEP_NS 1000000L

const char *brrt_writer_state_name(enum brrt_writer_state s)
{
    switch (s) {
    case BRRT_WRITER_RUNNING:
        return "running";
    case BRRT_WRITER_STALE:
        return "stale";
    case BRRT_WRITER_EXITED:
        return "exited";
    case BRRT_WRITER_DEAD:
        return "dead";
    }
    return "unknown";
}

const char *brrt_reader_why(const brrt_reader *r)
{
    return r ? r->why : "no reader";
}

const char *brrt_reader_skipped_why(const brrt_reader *r)
{
    return r && r->dir && r->dir->skipped ? r->dir->first_skipped : NULL;
}

/* Records "<path>: <reason>" as the reader's why and returns `code`. */
__attribute__((format(printf, 3, 4))) static int fail(struct brrt_reader *r, int code,
                                                      const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    size_t n = strlen(r->path);
    if (n > 120)
        n = 120; /* keep the reason readable when the path is long */
    snprintf(r->why, sizeof r->why, "%.*s: %s", (int)n, r->path, reason);
    return code;
}

struct validate_args {
    uint64_t size;
    char *detail;
    size_t len;
};

static int validate(struct brrt_reader *r, void *arg)
{
    const struct validate_args *a = arg;
    return brrt_shm_validate_header(r->map, a->size, &r->layout, a->detail, a->len);
}

/* One attachment: a validated mapping of the file at r->path, in the `fresh` struct. */
static int attach(struct brrt_reader *fresh)
{
    struct stat st;
    char detail[200];
    int rc = brrt_shm_open_file(fresh->path, false, &st, detail, sizeof detail);
    if (rc < 0)
        return fail(fresh, rc, "%s", detail);
    fresh->fd = rc;
    fresh->dev = st.st_dev;
    fresh->ino = st.st_ino;
    uint64_t size = (uint64_t)st.st_size;
    if (size < BRRT_SHM_HEADER_SIZE) {
        return fail(fresh, BRRT_E_TRUNCATED, "file is %llu bytes, smaller than a header",
                    (unsigned long long)size);
    }
    if (size > BRRT_SHM_MAX_SEGMENT_BYTES) {
        return fail(fresh, BRRT_E_CORRUPT, "file is too large (%llu bytes)", (unsigned long long)size);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fresh->fd, 0);
    if (map == MAP_FAILED) {
        return fail(fresh, BRRT_E_SYSTEM, "mmap: %s", strerror(errno));
    }
    fresh->map = map;
    fresh->layout.segment_size = size; /* for munmap (and the SIGBUS guard) until validated */
    if ((rc = rd_check_header_data(fresh)) != 0) {
        memcpy(detail, fresh->why, sizeof detail - 1);
        detail[sizeof detail - 1] = '\0';
        return fail(fresh, rc, "%s", detail);
    }
    struct validate_args va = {size, detail, sizeof detail};
    detail[0] = '\0';
    for (;;) {
        rc = rd_guarded(fresh, validate, &va);
        fresh->layout.segment_size = size;
        if (rc != BRRT_E_NOT_READY || fresh->attach_retries >= NOT_READY_RETRIES)
            break;
        fresh->attach_retries++;
        nanosleep(&(struct timespec){0, NOT_READY_SLEEP_NS}, NULL);
    }
    fresh->layout.segment_size = size;
    if (rc && !detail[0]) /* a SIGBUS caught by the guard: its reason is in why */
        snprintf(detail, sizeof detail, "%.199s", fresh->why);
    if (rc)
        return fail(fresh, rc, "%s", detail);
    fresh->dir = calloc(1, sizeof *fresh->dir);
    if (!fresh->dir)
        return BRRT_E_NOMEM;
    fresh->dir->refs = 1;
    struct brrt_shm_published pub;
    rc = rd_refresh(fresh, &pub);
    if (rc && rc != BRRT_E_NOMEM) {
        memcpy(detail, fresh->why, sizeof detail - 1);
        detail[sizeof detail - 1] = '\0';
        return fail(fresh, rc, "%s", detail);
    }
    return rc;
}

static void detach(struct brrt_reader *r)
{
    if (r->map)
        munmap((void *)r->map, r->layout.segment_size);
    if (r->fd >= 0)
        close(r->fd);
    rd_dir_put(r->dir);
    r->map = NULL;
    r->fd = -1;
    r->dir = NULL;
}

int brrt_reader_open(const char *name_or_path, brrt_reader **out, char *why, size_t whylen)
{
    if (!out)
        return BRRT_E_INVAL;
    *out = NULL;
    struct brrt_reader *r = calloc(1, sizeof *r);
    if (!r)
        return BRRT_E_NOMEM;
    r->fd = -1;
    int rc = brrt_shm_resolve(name_or_path, r->path, sizeof r->path);
    if (rc)
        snprintf(r->why, sizeof r->why, "\"%s\" is not a valid segment name or path",
                 name_or_path ? name_or_path : "(null)");
    else
        rc = attach(r);
    if (rc) {
        if (why)
            snprintf(why, whylen, "%s", r->why);
        brrt_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void brrt_reader_close(brrt_reader *r)
{
    if (!r)
        return;
    detach(r);
    free(r);
}

int brrt_reader_reopen(brrt_reader *r)
{
    if (!r)
        return BRRT_E_INVAL;
    struct brrt_reader *fresh = calloc(1, sizeof *fresh);
    if (!fresh)
        return BRRT_E_NOMEM;
    fresh->fd = -1;
    memcpy(fresh->path, r->path, sizeof r->path);
    int rc = attach(fresh);
    if (rc) {
        memcpy(r->why, fresh->why, sizeof r->why);
        detach(fresh);
    } else {
        detach(r);
        *r = *fresh;
    }
    free(fresh);
    return rc;
}

static uint64_t now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rd_info_from_header(const struct brrt_reader *r, struct brrt_reader_info *out, uint64_t now)
{
    const struct brrt_shm_header *h = (const void *)r->map;
    memset(out, 0, sizeof *out);
    out->path = r->path;
    out->generation = r->layout.generation;
    out->writer_pid = r->layout.writer_pid;
    out->start_realtime_ns = r->layout.start_realtime_ns;
    out->segment_size = r->layout.segment_size;
    out->shard_capacity = r->layout.shard_capacity;
    out->families = r->dir ? r->dir->n_fams : 0;
    out->series = r->dir ? r->dir->n_series : 0;
    out->skipped_entries = r->dir ? r->dir->skipped : 0;
    out->shards_used = __atomic_load_n(&h->shards_used, __ATOMIC_RELAXED);
    if (out->shards_used > r->layout.shard_capacity)
        out->shards_used = r->layout.shard_capacity;
    out->full_errors = __atomic_load_n(&h->full_errors, __ATOMIC_RELAXED);
    out->cardinality_overflows = __atomic_load_n(&h->cardinality_overflows, __ATOMIC_RELAXED);
    out->shared_shard_updates = __atomic_load_n(&h->shared_shard_updates, __ATOMIC_RELAXED);
    out->attach_retries = r->attach_retries;
    uint64_t hb = __atomic_load_n(&h->heartbeat_mono_ns, __ATOMIC_RELAXED);
    uint64_t interval = __atomic_load_n(&h->heartbeat_interval_ns, __ATOMIC_RELAXED);
    /* A heartbeat ahead of `now` was moved after this reader read its clock: fresh, not
     * unknown. One more than a second ahead is on another clock (a writer in another time
     * namespace): unknown. */
    out->heartbeat_age_s = !hb ? -1.0 : hb <= now ? (double)(now - hb) / 1e9 : hb - now < 1000000000u ? 0.0 : -1.0;
    out->heartbeat_interval_s = (double)interval / 1e9;
}

struct info_args {
    struct brrt_reader_info *out;
    uint64_t ttl_ns; /* reuse the last lock probe when it is younger than this (0: probe) */
    uint64_t now;    /* CLOCK_MONOTONIC ns */
};

/* The header part of info and the writer state (reads the mapping: run under rd_guarded). */
static int info_guarded(struct brrt_reader *r, void *arg)
{
    struct info_args *a = arg;
    struct brrt_reader_info *out = a->out;
    uint64_t now = a->now;
    rd_info_from_header(r, out, now);
    const struct brrt_shm_header *h = (const void *)r->map;
    uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
    /* The last probe found the lock held, within the TTL: the writer is taken to hold it still
     * (a crash is seen at most ttl late; a clean exit is seen at once, by `state`). */
    bool held = a->ttl_ns && r->probe_held && now - r->probe_ns < a->ttl_ns;
    if (state == BRRT_SHM_CLOSED) {
        out->state = BRRT_WRITER_EXITED;
    } else if (!held && flock(r->fd, LOCK_SH | LOCK_NB) == 0) {
        flock(r->fd, LOCK_UN); /* we got the lock: nobody holds the writer's */
        r->probe_held = false;
        /* A writer that closed between our two looks set CLOSED before unlocking. */
        state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
        out->state = state == BRRT_SHM_CLOSED ? BRRT_WRITER_EXITED : BRRT_WRITER_DEAD;
    } else {
        if (!held) {
            r->probe_held = true;
            r->probe_ns = now;
        }
        double limit = out->heartbeat_interval_s * 3;
        bool stale = out->heartbeat_interval_s > 0 && out->heartbeat_age_s > (limit > 2 ? limit : 2);
        out->state = stale ? BRRT_WRITER_STALE : BRRT_WRITER_RUNNING;
    }
    return 0;
}

int rd_info(struct brrt_reader *r, struct brrt_reader_info *out, const struct stat *fst, uint32_t ttl_ms,
            uint64_t now)
{
    struct info_args a = {out, (uint64_t)ttl_ms * 1000000u, now ? now : now_mono_ns()};
    int rc = rd_guarded(r, info_guarded, &a); /* SIGBUS-safe header reads */
    if (rc)
        return rc;
    /* Does the path still hold our file? A writer's restart renames a new file over it, which
     * leaves ours with no link (fst->st_nlink == 0): then, or without fst, or when the TTL has
     * passed since the last look (the file moved away with its link kept), stat the path. */
    if (!fst || fst->st_nlink == 0 || !ttl_ms || a.now - r->path_check_ns >= a.ttl_ns) {
        struct stat st;
        r->replaced = stat(r->path, &st) == 0 && (st.st_ino != r->ino || st.st_dev != r->dev);
        r->path_check_ns = a.now;
    }
    out->replaced = r->replaced;
    return 0;
}

int brrt_reader_info(brrt_reader *r, struct brrt_reader_info *out)
{
    if (!r || !out || !r->map)
        return BRRT_E_INVAL;
    return rd_info(r, out, NULL, 0, 0);
}
