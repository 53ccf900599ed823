/* libbrrtstat internals shared by segment.c, registry.c and shards.c. */
#ifndef BRRTSTAT_WRITER_INTERNAL_H
#define BRRTSTAT_WRITER_INTERNAL_H

#include "brrtstat/brrtstat.h"
#include "brrtstat/shm_format.h"
#include "brrtstat/shm_layout.h"
#include "brrtstat/shm_path.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct cds_lfht;

#define BRRT_MAX_TICKS 8

struct brrt_family {
    brrt_seg *seg;
    char *name;
    char *help;
    char *unit;
    enum brrt_type type;
    uint32_t nlabels;
    char **label_names;
    double scale;
    uint32_t max_series;
    uint32_t n_series;       /* under seg->lock */
    uint32_t entry_index;    /* its FAMILY directory entry */
    uint32_t value_size;     /* bytes of one series' value area */
    double *le;              /* histogram: n_le bounds */
    struct brrt__hist_fast *fast; /* histogram: the observe path's tables (owned, 64-aligned) */
    int32_t schema;          /* histogram: native schema, range index_min..index_max */
    int32_t index_min;
    int32_t index_max;
    double zero_threshold;
    char *expo_names;        /* its exposition names, each NUL-terminated (name_index.c keys) */
    uint32_t n_expo_names;
    struct brrt_family *next; /* seg->families list, under seg->lock */
};

/* name_index.c: exposition name -> family (registration's same-name and clash checks). */
struct brrt__name_index {
    struct brrt__name_slot *slots;
    uint32_t cap; /* power of 2, or 0 */
    uint32_t n;
};
/* The family that takes exposition name `key`, or NULL. */
struct brrt_family *brrt__name_index_find(const struct brrt__name_index *ix, const char *key);
/* Room for `more` keys (so that the adds after it cannot fail): 0 or BRRT_E_NOMEM. */
int brrt__name_index_reserve(struct brrt__name_index *ix, uint32_t more);
/* Adds key -> f unless key is there; `key` must outlive the index (f->expo_names). */
void brrt__name_index_add(struct brrt__name_index *ix, const char *key, struct brrt_family *f);
void brrt__name_index_free(struct brrt__name_index *ix);

struct brrt_seg {
    uint32_t tag;   /* process-unique, never 0 or UINT32_MAX; what handles and TLS match */
    pid_t pid;      /* creator */
    bool inherited; /* set in a forked child: the parent's segment, the child's updates dropped */
    uint32_t releases; /* shards given back so far (atomic; +1 under lock): a thread that found
                        * no free shard tries again when this moves */
    int fd;
    uint8_t *map;
    struct brrt_shm_header *hdr;
    struct brrt_shm_layout layout;
    char path[BRRT_SHM_PATH_MAX];

    pthread_mutex_t lock; /* registration, allocation cursors, shard handout */
    struct brrt_family *families;
    struct brrt__name_index family_names; /* every family's exposition names */
    struct cds_lfht *series; /* (family, label values) -> series node; RCU lookups */
    unsigned long series_buckets; /* the table's size, resized under seg->lock (registry.c) */
    unsigned long series_nodes;
    uint32_t dir_count;      /* writer-private cursors; published copies live in hdr */
    uint64_t arena_used;
    uint64_t shard_bytes_used;
    uint32_t shards_used;
    uint64_t dir_reserved;    /* bytes of the directory, arena, and of each used shard's */
    uint64_t arena_reserved;  /* values whose tmpfs pages are reserved (reserve.c) */
    uint64_t values_reserved;
    uint32_t *free_shards; /* released shards, reused before new ones */
    uint32_t n_free;

    /* heartbeat thread */
    uint64_t heartbeat_ns;
    bool hb_running;
    bool hb_stop;
    pthread_t hb_thread;
    pthread_cond_t hb_cond;
    struct {
        void (*fn)(void *);
        void *arg;
    } ticks[BRRT_MAX_TICKS];
    uint32_t n_ticks;

    brrt_seg *next_live; /* process-wide list of open segments */
};

static inline uint8_t *brrt__shard_base(const brrt_seg *seg, uint32_t shard)
{
    return seg->map + seg->layout.shard_offset + (uint64_t)shard * seg->layout.shard_stride;
}

/* segment.c: process-wide registry of open segments, for thread-exit shard release. */
void brrt__live_lock(void);
void brrt__live_unlock(void);
brrt_seg *brrt__live_find(uint32_t tag); /* call with brrt__live_lock held */
/* fork(): prepare takes the creation, live and every segment lock; parent releases them; the
 * child maps every open segment privately through a new file description, closes the
 * inherited descriptors (so it holds no writer lock), and releases the locks. */
void brrt__live_fork_prepare(void);
void brrt__live_fork_parent(void);
void brrt__live_fork_child(void);

/* shards.c */
void brrt__shard_release(brrt_seg *seg, uint32_t shard); /* takes seg->lock */
void brrt__shards_init_once(void);

/* cgroup.c: container limits (< 0 when unlimited) from a /proc/<pid>/cgroup file */
void brrt__cgroup_limits(const char *proc_cgroup, const char *root, double *mem, double *cpu);

/* The timed background threads (heartbeat, process collector), timer.c. A condition variable
 * on CLOCK_MONOTONIC, and the wait of one period: with `lock` held, waits on `cond` until
 * `period_ns` from now or until *stop; returns with `lock` held, true when the period passed
 * (false: stop). */
void brrt__cond_init_monotonic(pthread_cond_t *cond);
bool brrt__wait_period(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t period_ns, const bool *stop);

/* reserve.c: tmpfs pages for what is about to be published, under seg->lock. Each returns 0,
 * BRRT_E_FULL (tmpfs full) or BRRT_E_SYSTEM. */
int brrt__reserve_header(brrt_seg *seg);
int brrt__reserve_dir(brrt_seg *seg, uint32_t entries);
int brrt__reserve_arena(brrt_seg *seg, uint64_t bytes);
int brrt__reserve_values(brrt_seg *seg, uint64_t bytes);          /* in shards [0, shards_used) */
int brrt__reserve_shard(brrt_seg *seg, uint32_t shard);           /* a shard about to be used */

/* arena.c: arena and directory allocation, all under seg->lock. Each int returns 0 or a
 * BRRT_E_* (a full segment is counted in full_errors). */
int brrt__full(brrt_seg *seg); /* counts a full segment; returns BRRT_E_FULL */
int brrt__reserved(brrt_seg *seg, int rc); /* a reservation's result (reserve.c) */
int brrt__arena_alloc(brrt_seg *seg, size_t len, size_t align, brrt_shm_ref *ref, void **p);
int brrt__arena_string(brrt_seg *seg, const char *s, brrt_shm_ref *ref);
int brrt__arena_strings(brrt_seg *seg, const char *const *v, uint32_t n, brrt_shm_ref *ref);
int brrt__entry_alloc(brrt_seg *seg, struct brrt_shm_entry **e, uint32_t *index);
/* Makes the entry at seg->dir_count, and everything it references, visible to readers. */
void brrt__publish(brrt_seg *seg);
/* Undo of a half-built registration: cursors go back, nothing was published. */
struct brrt__cursor {
    uint64_t arena_used;
    uint64_t shard_bytes_used;
};
struct brrt__cursor brrt__mark(const brrt_seg *seg);
void brrt__rewind_to(brrt_seg *seg, struct brrt__cursor c);

/* family.c: families (registration: brrt_family_register) */
void brrt__family_free(struct brrt_family *f);
uint16_t brrt__storage_of(enum brrt_type t);  /* BRRT_SHM_* storage of a type */
uint16_t brrt__shm_type_of(enum brrt_type t); /* BRRT_SHM_* type of a type */

/* registry.c */
int brrt__registry_init(brrt_seg *seg);
void brrt__registry_destroy(brrt_seg *seg);
/* liburcu-bp's fork hooks (reader registry, grace-period lock), for pthread_atfork. */
void brrt__registry_fork_prepare(void);
void brrt__registry_fork_parent(void);
void brrt__registry_fork_child(void);

#endif
