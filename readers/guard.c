/* Reading a mapping that someone else may shrink, and a file that may be sparse on purpose.
 *
 * Holes: a read fault on a tmpfs hole allocates a page (and raises SIGBUS
 * when the tmpfs is full), so a file that is mostly holes could make a reader fault in
 * gigabytes. An honest writer reserves every byte before it publishes it (docs/segment-format.md
 * §4.1); readers check with lseek(SEEK_HOLE) that the ranges they are about to read — the
 * header, directory entries [0, dir_count), arena [0, arena_used) and [0, shard_bytes_used) of
 * shards [0, shards_used) — hold data, and refuse the file (CORRUPT) otherwise. The check is
 * incremental: only what the counters added since the last check.
 *
 * Truncation: a file truncated under a reader raises SIGBUS on the next read
 * of a vanished page. Every read of the mapping runs inside rd_guarded(): a thread-local guard
 * armed around it, and a process-wide SIGBUS handler that siglongjmps back only for a fault
 * inside the armed thread's own mapping and chains to the previous handler otherwise. Chosen
 * over pread because value words must be read with single-copy-atomic 8-byte loads (a
 * kernel copy may tear them); the guard costs a sigsetjmp without the signal mask per guarded
 * call: the handler restores the interrupted mask (ucontext's uc_sigmask) itself before it
 * jumps, so only a fault pays that syscall. A thread that blocks SIGBUS cannot be guarded (the
 * kernel kills on a fault while it is blocked). A program that installs its own SIGBUS
 * handler after the reader's first use replaces this one: chain to it, or the guard is lost. */
#include "reader_internal.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

struct guard {
    volatile sig_atomic_t armed;
    const char *volatile lo; /* the armed mapping: faults in [lo, hi) are ours */
    const char *volatile hi;
    sigjmp_buf env;
};

static __thread struct guard tls_guard;
static struct sigaction prev_bus;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    struct guard *g = &tls_guard;
    const char *a = si ? (const char *)si->si_addr : NULL;
    if (g->armed && si && si->si_code > 0 && a >= g->lo && a < g->hi) {
        g->armed = 0;
        /* Leave with the mask the thread had when it faulted (what sigreturn would restore):
         * the env holds no mask, and the mask in force here may be wider than sa_mask asked
         * for (TSan runs every handler with all signals blocked). Left blocked, the next fault
         * kills: the kernel forces the default action of a blocked SIGBUS. */
        if (uc)
            pthread_sigmask(SIG_SETMASK, &((const ucontext_t *)uc)->uc_sigmask, NULL);
        siglongjmp(g->env, 1);
    }
    if (prev_bus.sa_flags & SA_SIGINFO) {
        if (prev_bus.sa_sigaction) {
            prev_bus.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (prev_bus.sa_handler != SIG_DFL && prev_bus.sa_handler != SIG_IGN) {
        prev_bus.sa_handler(sig);
        return;
    }
    /* The default action: a fault re-executes and kills; a sent signal is sent again. */
    signal(SIGBUS, SIG_DFL);
    if (!si || si->si_code <= 0)
        raise(SIGBUS);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &prev_bus);
}

int rd_guarded(struct brrt_reader *r, int (*fn)(struct brrt_reader *r, void *arg), void *arg)
{
    pthread_once(&once, install);
    struct guard *g = &tls_guard;
    if (g->armed) /* nested: the outer guard covers it */
        return fn(r, arg);
    g->lo = (const char *)r->map;
    g->hi = (const char *)r->map + r->layout.segment_size;
    if (sigsetjmp(g->env, 0) != 0) {
        snprintf(r->why, sizeof r->why,
                 "the segment file shrank while it was read (SIGBUS caught): truncated by someone "
                 "other than its writer");
        return BRRT_E_TRUNCATED;
    }
    g->armed = 1;
    int rc = fn(r, arg);
    g->armed = 0;
    return rc;
}

/* 0 when file bytes [off, off + len) hold data (no hole). */
static int data_at(struct brrt_reader *r, uint64_t off, uint64_t len, const char *what)
{
    if (len == 0)
        return 0;
    off_t h = lseek(r->fd, (off_t)off, SEEK_HOLE);
    if (h < 0 && errno == EINVAL)
        return 0; /* no SEEK_HOLE here: the file system reports no holes */
    if (h >= 0 && (uint64_t)h >= off + len)
        return 0;
    snprintf(r->why, sizeof r->why,
             "%s [%llu, +%llu) is a hole in a sparse file: published bytes a writer must have "
             "reserved (hostile or damaged file)",
             what, (unsigned long long)off, (unsigned long long)len);
    return h < 0 && errno == ENXIO ? BRRT_E_TRUNCATED : BRRT_E_CORRUPT;
}

int rd_check_header_data(struct brrt_reader *r)
{
    return data_at(r, 0, BRRT_SHM_HEADER_SIZE, "header");
}

int rd_check_published(struct brrt_reader *r, const struct brrt_shm_published *pub)
{
    struct brrt_shm_published *c = &r->checked;
    const struct brrt_shm_layout *l = &r->layout;
    int rc = 0;
    if (pub->dir_count > c->dir_count)
        rc = data_at(r, l->dir_offset + (uint64_t)c->dir_count * BRRT_SHM_ENTRY_SIZE,
                     (uint64_t)(pub->dir_count - c->dir_count) * BRRT_SHM_ENTRY_SIZE, "directory");
    if (!rc && pub->arena_used > c->arena_used)
        rc = data_at(r, l->arena_offset + c->arena_used, pub->arena_used - c->arena_used, "arena");
    uint64_t old = pub->shard_bytes_used > c->shard_bytes_used ? c->shard_bytes_used : pub->shard_bytes_used;
    for (uint32_t k = 0; !rc && k < pub->shards_used; k++) {
        uint64_t from = k < c->shards_used ? old : 0;
        rc = data_at(r, l->shard_offset + (uint64_t)k * l->shard_stride + from,
                     pub->shard_bytes_used - from, "shard values");
    }
    if (rc)
        return rc;
    if (pub->dir_count > c->dir_count)
        c->dir_count = pub->dir_count;
    if (pub->arena_used > c->arena_used)
        c->arena_used = pub->arena_used;
    if (pub->shards_used > c->shards_used)
        c->shards_used = pub->shards_used;
    c->shard_bytes_used = pub->shard_bytes_used > c->shard_bytes_used ? pub->shard_bytes_used
                                                                        : c->shard_bytes_used;
    return 0;
}

static int refresh(struct brrt_reader *r, void *arg)
{
    struct brrt_shm_published *pub = arg;
    int rc = brrt_shm_load_published(r->map, &r->layout, pub, r->why, sizeof r->why);
    if (rc == 0)
        rc = rd_check_published(r, pub);
    if (rc == 0)
        rc = rd_dir_update(r, pub);
    return rc;
}

int rd_refresh(struct brrt_reader *r, struct brrt_shm_published *pub)
{
    return rd_guarded(r, refresh, pub);
}
