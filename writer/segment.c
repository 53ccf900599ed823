/* Segment lifecycle: create (new generation, atomic publish), heartbeat, close. */
#include "writer_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* create_lock: held from the directory lock to the live-list insert of a new segment, and
 * across fork(), so that no child inherits a descriptor that holds a creation or segment lock.
 * Lock order: create_lock, live_lock, seg->lock. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static brrt_seg *live_head;
static uint32_t next_tag = 1;

void brrt__live_lock(void)
{
    pthread_mutex_lock(&live_lock);
}

void brrt__live_unlock(void)
{
    pthread_mutex_unlock(&live_lock);
}

brrt_seg *brrt__live_find(uint32_t tag)
{
    for (brrt_seg *s = live_head; s; s = s->next_live)
        if (s->tag == tag)
            return s;
    return NULL;
}

void brrt__live_fork_prepare(void)
{
    pthread_mutex_lock(&create_lock);
    pthread_mutex_lock(&live_lock);
    for (brrt_seg *s = live_head; s; s = s->next_live)
        pthread_mutex_lock(&s->lock); /* registrations are whole in the child */
}

void brrt__live_fork_parent(void)
{
    for (brrt_seg *s = live_head; s; s = s->next_live)
        pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&live_lock);
    pthread_mutex_unlock(&create_lock);
}

/* "/proc/self/fd/N" without stdio: only async-signal-safe calls in a fork child. */
static int reopen_private(int fd)
{
    char path[32] = "/proc/self/fd/", digits[12];
    int n = 0;
    do
        digits[n++] = (char)('0' + fd % 10);
    while ((fd /= 10) > 0);
    size_t len = strlen(path);
    while (n > 0)
        path[len++] = digits[--n];
    path[len] = '\0';
    return open(path, O_RDONLY | O_CLOEXEC);
}

void brrt__live_fork_child(void)
{
    for (brrt_seg *s = live_head; s; s = s->next_live) {
        pthread_mutex_unlock(&s->lock);
        s->inherited = true; /* the slow paths drop the child's updates */
        if (s->fd < 0)
            continue; /* a grandchild: the mapping is private already */
        /* The writer's flock belongs to the open file description, which the inherited
         * descriptor AND every mapping made through it keep alive: a child holding either
         * would keep a killed writer's lock (readers see it running, a restart gets BUSY).
         * So the child maps a new description of the same file (no lock on it), privately,
         * and closes the inherited descriptor. The parent's own references keep its lock. */
        int priv = reopen_private(s->fd);
        if (priv < 0 || mmap(s->map, s->layout.segment_size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_FIXED, priv, 0) == MAP_FAILED)
            /* No /proc: the child keeps a blank private mapping (it reads zeros). */
            mmap(s->map, s->layout.segment_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
        if (priv >= 0)
            close(priv);
        close(s->fd);
        s->fd = -1;
    }
    pthread_mutex_unlock(&live_lock);
    pthread_mutex_unlock(&create_lock);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void brrt_seg_opts_init(struct brrt_seg_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = 0640;
    /* Ceilings, not a bill: the file is sparse and costs what it holds (reserve.c). */
    o->max_shards = 128;
    o->shard_bytes = 4u << 20;
    o->max_entries = 65536;
    o->arena_bytes = 8u << 20;
    o->heartbeat_ms = 1000;
}

/* The generation of the previous segment at `path`, or BRRT_E_BUSY if its writer still holds
 * the lock, or BRRT_E_INSECURE for a symlink or a file that is not ours. 0 if none. */
static int previous_generation(const char *path, uint64_t *gen)
{
    *gen = 0;
    struct stat st;
    char why[128];
    int fd = brrt_shm_open_file(path, true, &st, why, sizeof why);
    if (fd < 0)
        return fd == BRRT_E_NOENT ? 0 : fd;
    int rc = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        rc = errno == EWOULDBLOCK ? BRRT_E_BUSY : BRRT_E_SYSTEM;
    if (rc == 0 && (size_t)st.st_size >= sizeof(struct brrt_shm_header)) {
        struct brrt_shm_header h;
        if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
            memcmp(h.magic, BRRT_SHM_MAGIC, BRRT_SHM_MAGIC_LEN) == 0 &&
            h.byte_order == BRRT_SHM_BYTE_ORDER)
            *gen = h.generation;
    }
    close(fd);
    return rc;
}

static void init_header(brrt_seg *seg, uint64_t generation)
{
    struct brrt_shm_header *h = seg->hdr;
    const struct brrt_shm_layout *l = &seg->layout;
    brrt_shm_header_from_layout(h, l);
    h->generation = generation;
    h->writer_pid = (uint64_t)getpid();
    h->start_realtime_ns = clock_ns(CLOCK_REALTIME);
    h->heartbeat_interval_ns = seg->heartbeat_ns;
    h->heartbeat_mono_ns = clock_ns(CLOCK_MONOTONIC);
    /* Arena offset 0 means "no reference"; shard 0 (shared) is always in use. */
    seg->arena_used = 8;
    seg->shards_used = 1;
    h->arena_used = seg->arena_used;
    h->shards_used = seg->shards_used;
    __atomic_store_n(&h->state, BRRT_SHM_READY, __ATOMIC_RELEASE);
}

/* Removes DIR/.NAME.PID.tmp files left by creators that died before their rename: on a tight
 * tmpfs they would hold pages forever. Runs under the directory's creation
 * lock, which every creator holds from its temporary's open to its rename, so a temporary
 * present now is stale; the LOCK_EX probe (a creator takes it right after open) double-checks.
 * Only regular files we own are removed. */
static void remove_stale_temporaries(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t n = strlen(name);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *p = e->d_name;
        if (p[0] != '.' || strncmp(p + 1, name, n) != 0 || p[1 + n] != '.')
            continue;
        p += 2 + n;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || strcmp(p + digits, ".tmp") != 0)
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
            flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
        close(fd);
    }
    closedir(d);
}

/* Creates the file under a private name, sizes, locks, maps and initialises it. */
static int build_file(brrt_seg *seg, const char *dir, const char *name, unsigned mode,
                      uint64_t generation, char *tmp, size_t tmplen)
{
    remove_stale_temporaries(dir, name); /* this pid's own leftover too */
    snprintf(tmp, tmplen, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    unlink(tmp);
    seg->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (seg->fd < 0)
        return BRRT_E_SYSTEM;
    if (fchmod(seg->fd, mode) != 0 || flock(seg->fd, LOCK_EX | LOCK_NB) != 0)
        return BRRT_E_SYSTEM;
    /* A sparse file: pages are reserved as they are published (reserve.c), the header's now. */
    if (ftruncate(seg->fd, (off_t)seg->layout.segment_size) != 0)
        return errno == EFBIG ? BRRT_E_FULL : BRRT_E_SYSTEM;
    int rc = brrt__reserve_header(seg);
    if (rc == 0)
        rc = brrt__reserve_arena(seg, 8); /* arena_used starts at 8 (offset 0 = no ref) */
    if (rc)
        return rc;
    void *map = mmap(NULL, seg->layout.segment_size, PROT_READ | PROT_WRITE, MAP_SHARED, seg->fd, 0);
    if (map == MAP_FAILED)
        return BRRT_E_SYSTEM;
    seg->map = map;
    seg->hdr = map;
    init_header(seg, generation);
    return 0;
}

static void *heartbeat_main(void *arg)
{
    brrt_seg *seg = arg;
    pthread_mutex_lock(&seg->lock);
    while (brrt__wait_period(&seg->hb_cond, &seg->lock, seg->heartbeat_ns, &seg->hb_stop)) {
        uint32_t n = seg->n_ticks;
        pthread_mutex_unlock(&seg->lock);
        for (uint32_t i = 0; i < n; i++)
            seg->ticks[i].fn(seg->ticks[i].arg);
        brrt_seg_heartbeat(seg);
        pthread_mutex_lock(&seg->lock);
    }
    pthread_mutex_unlock(&seg->lock);
    return NULL;
}

static int start_heartbeat(brrt_seg *seg)
{
    brrt__cond_init_monotonic(&seg->hb_cond);
    if (seg->heartbeat_ns == 0)
        return 0;
    if (pthread_create(&seg->hb_thread, NULL, heartbeat_main, seg) != 0)
        return BRRT_E_SYSTEM;
    seg->hb_running = true;
    return 0;
}

static void seg_free(brrt_seg *seg)
{
    if (seg->map)
        munmap(seg->map, seg->layout.segment_size);
    if (seg->fd >= 0)
        close(seg->fd);
    brrt__registry_destroy(seg);
    free(seg->free_shards);
    pthread_mutex_destroy(&seg->lock);
    free(seg);
}

int brrt_seg_create(const char *name, const struct brrt_seg_opts *opts, brrt_seg **out)
{
    struct brrt_seg_opts def;
    if (!opts) {
        brrt_seg_opts_init(&def);
        opts = &def;
    }
    if (!out || !brrt_shm_name_valid(name) || (opts->mode != 0600 && opts->mode != 0640))
        return BRRT_E_INVAL;
    *out = NULL;
    brrt__shards_init_once();

    brrt_seg *seg = calloc(1, sizeof *seg);
    if (!seg)
        return BRRT_E_NOMEM;
    seg->fd = -1;
    pthread_mutex_init(&seg->lock, NULL);
    seg->pid = getpid();
    seg->heartbeat_ns = (uint64_t)opts->heartbeat_ms * 1000000ull;
    int rc = brrt_shm_layout_plan(opts->max_entries, opts->arena_bytes, opts->max_shards,
                                  opts->shard_bytes, &seg->layout);
    seg->free_shards = calloc(opts->max_shards ? opts->max_shards : 1, sizeof(uint32_t));
    if (rc == 0 && !seg->free_shards)
        rc = BRRT_E_NOMEM;
    if (rc == 0)
        rc = brrt__registry_init(seg);

    const char *dir = opts->dir ? opts->dir : brrt_shm_dir();
    char why[256], tmp[BRRT_SHM_PATH_MAX];
    uint64_t prev_gen = 0;
    if (rc == 0)
        rc = brrt_shm_prepare_dir(dir, why, sizeof why);
    if (rc == 0 && (size_t)snprintf(seg->path, sizeof seg->path, "%s/%s", dir, name) >= sizeof seg->path)
        rc = BRRT_E_INVAL;
    /* Check-then-replace must be one step: two creators of one name would otherwise both
     * win. An flock on the directory serialises creations in it (not updates). */
    pthread_mutex_lock(&create_lock);
    int dirfd = rc == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (rc == 0 && (dirfd < 0 || flock(dirfd, LOCK_EX) != 0))
        rc = BRRT_E_SYSTEM;
    if (rc == 0)
        rc = previous_generation(seg->path, &prev_gen);
    tmp[0] = '\0';
    if (rc == 0)
        rc = build_file(seg, dir, name, opts->mode, prev_gen + 1, tmp, sizeof tmp);
    if (rc == 0 && rename(tmp, seg->path) != 0)
        rc = BRRT_E_SYSTEM;
    if (dirfd >= 0)
        close(dirfd); /* releases the creation lock */
    if (rc != 0) {
        int e = errno;
        if (tmp[0])
            unlink(tmp);
        pthread_mutex_unlock(&create_lock);
        seg_free(seg);
        errno = e;
        return rc;
    }
    brrt__live_lock();
    seg->tag = next_tag++;
    if (next_tag == UINT32_MAX)
        next_tag = 1;
    seg->next_live = live_head;
    live_head = seg;
    brrt__live_unlock();
    pthread_mutex_unlock(&create_lock); /* a fork from now on finds it on the live list */
    rc = start_heartbeat(seg);
    if (rc != 0) {
        brrt_seg_close(seg, BRRT_SEG_UNLINK);
        return rc;
    }
    *out = seg;
    return 0;
}

void brrt_seg_heartbeat(brrt_seg *seg)
{
    if (seg && seg->hdr)
        __atomic_store_n(&seg->hdr->heartbeat_mono_ns, clock_ns(CLOCK_MONOTONIC), __ATOMIC_RELAXED);
}

int brrt_seg_add_tick(brrt_seg *seg, void (*fn)(void *), void *arg)
{
    if (!seg || !fn || !seg->hb_running)
        return BRRT_E_INVAL;
    pthread_mutex_lock(&seg->lock);
    int rc = BRRT_E_FULL;
    if (seg->n_ticks < BRRT_MAX_TICKS) {
        seg->ticks[seg->n_ticks].fn = fn;
        seg->ticks[seg->n_ticks].arg = arg;
        seg->n_ticks++;
        rc = 0;
    }
    pthread_mutex_unlock(&seg->lock);
    return rc;
}

const char *brrt_seg_path(const brrt_seg *seg)
{
    return seg ? seg->path : NULL;
}

uint64_t brrt_seg_generation(const brrt_seg *seg)
{
    return seg ? seg->hdr->generation : 0;
}

int brrt_seg_close(brrt_seg *seg, unsigned flags)
{
    if (!seg)
        return BRRT_E_INVAL;
    bool child = seg->pid != getpid();
    if (child) {
        /* A forked child: the heartbeat thread is the parent's; drop the private mapping
         * (the fork handler closed the inherited descriptor already). */
        brrt__live_lock();
        for (brrt_seg **p = &live_head; *p; p = &(*p)->next_live)
            if (*p == seg) {
                *p = seg->next_live;
                break;
            }
        brrt__live_unlock();
        munmap(seg->map, seg->layout.segment_size);
        if (seg->fd >= 0)
            close(seg->fd);
        /* The families and the series table are the child's copies, whole: the fork handlers
         * held seg->lock, under which alone they change (and the table is resized). */
        brrt__registry_destroy(seg);
        free(seg->free_shards);
        free(seg);
        return 0;
    }
    if (seg->hb_running) {
        pthread_mutex_lock(&seg->lock);
        seg->hb_stop = true;
        pthread_cond_signal(&seg->hb_cond);
        pthread_mutex_unlock(&seg->lock);
        pthread_join(seg->hb_thread, NULL);
    }
    pthread_cond_destroy(&seg->hb_cond);
    /* Off the live list, closed, unmapped and its locked descriptor closed, all under the
     * live lock: a fork() between leaving the list (where the fork handlers would have
     * dropped it in the child) and the close would hand the child the writer's lock and the
     * shared mapping of a segment no handler sees. */
    brrt__live_lock();
    for (brrt_seg **p = &live_head; *p; p = &(*p)->next_live) {
        if (*p == seg) {
            *p = seg->next_live;
            break;
        }
    }
    brrt_seg_heartbeat(seg);
    __atomic_store_n(&seg->hdr->state, BRRT_SHM_CLOSED, __ATOMIC_RELEASE);
    if (flags & BRRT_SEG_UNLINK) {
        /* Only our own file: a newer writer may have replaced it already. */
        struct stat mine, cur;
        if (fstat(seg->fd, &mine) == 0 && stat(seg->path, &cur) == 0 &&
            mine.st_ino == cur.st_ino && mine.st_dev == cur.st_dev)
            unlink(seg->path);
    }
    munmap(seg->map, seg->layout.segment_size);
    seg->map = NULL;
    seg->hdr = NULL;
    close(seg->fd);
    seg->fd = -1;
    brrt__live_unlock();
    seg_free(seg);
    return 0;
}
