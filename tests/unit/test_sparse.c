/* Memory that follows use (a segment's pages are allocated as it grows), a tight tmpfs,
 * hostile sparse files and truncation under a reader. Tests that need a tmpfs mount their own
 * small one (CI runs as root), so "du" and ENOSPC are tmpfs's own; without root they print
 * SKIP and why, and pass without checking (the same code runs in CI as root). */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static char mnt[64];

/* A fresh tmpfs of `size` (mount option) at a new directory; NULL (and a printed reason) when
 * this process may not mount. */
static const char *tmpfs(const char *size)
{
    snprintf(mnt, sizeof mnt, "/tmp/brrt-tmpfs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(mnt));
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0750", size);
    if (mount("tmpfs", mnt, "tmpfs", 0, opts) != 0) {
        printf("SKIP %s: cannot mount a tmpfs (%s); needs root (CI runs as root)\n",
               tcase_name(), strerror(errno));
        rmdir(mnt);
        return NULL;
    }
    return mnt;
}

static void tmpfs_done(void)
{
    ck_assert_int_eq(umount2(mnt, MNT_DETACH), 0);
    rmdir(mnt);
}

static uint64_t du(const char *dir, const char *name)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    return (uint64_t)st.st_blocks * 512u;
}

static struct brrt_seg_opts defaults_in(const char *dir)
{
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = dir;
    o.heartbeat_ms = 0;
    return o;
}

static struct brrt_snapshot *snap_in(const char *dir, const char *name, brrt_reader **r)
{
    char p[128], why[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int rc = brrt_reader_open(p, r, why, sizeof why);
    ck_assert_msg(rc == 0, "%s", why);
    struct brrt_snapshot *s;
    rc = brrt_reader_snapshot(*r, &s);
    ck_assert_msg(rc == 0, "%s", brrt_reader_why(*r));
    return s;
}

START_TEST(one_counter_segment_is_small)
{
    const char *dir = tmpfs("64m");
    if (!dir)
        return;
    struct brrt_seg_opts o = defaults_in(dir);
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("one", &o, &seg), 0);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "reqs_total", .type = BRRT_COUNTER};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(f, NULL, &c), 0);
    brrt_counter_add(c, 42);
    uint64_t bytes = du(dir, "one");
    printf("one counter, default options: du %llu KiB\n", (unsigned long long)bytes / 1024);
    ck_assert_uint_le(bytes, 1024 * 1024);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    tmpfs_done();
}
END_TEST

enum { SERIES = 300, THREADS = 8, OBS = 50 };
static brrt_family *g_lat;
static pthread_barrier_t g_all_wrote; /* threads live on (own their shards) until all wrote */

static void *observe_all(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    void *ret = NULL;
    for (int i = 0; i < SERIES && !ret; i++) {
        char route[32];
        snprintf(route, sizeof route, "/route/%d", i);
        brrt_histogram h;
        if (brrt_histogram_get(g_lat, BRRT_LABELS(route), &h) != 0)
            ret = (void *)1;
        for (int k = 0; k < OBS; k++)
            brrt_histogram_observe(h, 1e-4 * (double)(1 + k + (int)t));
    }
    pthread_barrier_wait(&g_all_wrote);
    return ret;
}

/* Issue 10: 300 labelled histogram series written from 8 threads fit a default segment with
 * no error, in at most 16 MiB of tmpfs. */
START_TEST(histograms_300_series_8_threads_fit_16_mib)
{
    const char *dir = tmpfs("64m");
    if (!dir)
        return;
    struct brrt_seg_opts o = defaults_in(dir);
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("lat", &o, &seg), 0);
    static const double le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static const char *const names[] = {"route"};
    struct brrt_metric_def d = {.name = "latency_seconds", .unit = "seconds", .type = BRRT_HISTOGRAM,
                                .label_names = names, .nlabels = 1, .scale = 1e-9, .le = le,
                                .n_le = 11};
    ck_assert_int_eq(brrt_family_register(seg, &d, &g_lat), 0);
    /* The series are created here first: lookups from the threads then find them. (Creating
     * one label set from several threads at once is correct, but publishes the hash node
     * through liburcu, whose barriers ThreadSanitizer cannot see.) */
    for (int i = 0; i < SERIES; i++) {
        char route[32];
        snprintf(route, sizeof route, "/route/%d", i);
        brrt_histogram h;
        ck_assert_int_eq(brrt_histogram_get(g_lat, BRRT_LABELS(route), &h), 0);
    }
    pthread_t th[THREADS];
    pthread_barrier_init(&g_all_wrote, NULL, THREADS);
    for (uintptr_t t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, observe_all, (void *)t), 0);
    for (int t = 0; t < THREADS; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        ck_assert_ptr_null(ret);
    }
    pthread_barrier_destroy(&g_all_wrote);
    uint64_t bytes = du(dir, "lat");
    printf("300 histogram series x 8 threads, default options: du %.2f MiB\n", (double)bytes / 1048576.0);
    ck_assert_uint_le(bytes, 16u << 20);
    brrt_reader *r;
    struct brrt_snapshot *s = snap_in(dir, "lat", &r);
    ck_assert_uint_eq(s->info.full_errors, 0);
    ck_assert_uint_eq(brrt_snapshot_family(s, "latency_seconds")->n_series, SERIES);
    ck_assert_uint_eq(fx_series(s, "latency_seconds", BRRT_LABELS("/route/299"))->count, THREADS * OBS);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    tmpfs_done();
}
END_TEST

/* A tmpfs that runs out under a default segment: the registration that cannot reserve its
 * pages gets BRRT_E_FULL and is counted; nothing faults; every earlier value is intact. */
START_TEST(tmpfs_full_is_an_error_counted_values_intact)
{
    const char *dir = tmpfs("1m");
    if (!dir)
        return;
    struct brrt_seg_opts o = defaults_in(dir);
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("full", &o, &seg), 0);
    brrt_family *fc, *fh;
    struct brrt_metric_def c = {.name = "reqs_total", .type = BRRT_COUNTER};
    static const char *const names[] = {"route"};
    struct brrt_metric_def h = {.name = "lat_seconds", .unit = "seconds", .type = BRRT_HISTOGRAM,
                                .label_names = names, .nlabels = 1, .scale = 1e-9};
    ck_assert_int_eq(brrt_family_register(seg, &c, &fc), 0);
    ck_assert_int_eq(brrt_family_register(seg, &h, &fh), 0);
    brrt_counter ctr;
    ck_assert_int_eq(brrt_counter_get(fc, NULL, &ctr), 0);
    brrt_counter_add(ctr, 7);
    int made = 0, rc = 0;
    for (int i = 0; i < 10000 && rc == 0; i++) {
        char route[32];
        snprintf(route, sizeof route, "/r%d", i);
        brrt_histogram x;
        rc = brrt_histogram_get(fh, BRRT_LABELS(route), &x);
        if (rc == 0) {
            brrt_histogram_observe(x, 0.25);
            made++;
        } else {
            brrt_histogram_observe(x, 0.25); /* a null handle: nothing, no crash */
        }
    }
    ck_assert_int_eq(rc, BRRT_E_FULL);
    ck_assert_int_gt(made, 10);
    brrt_counter_add(ctr, 1);
    brrt_reader *r;
    struct brrt_snapshot *s = snap_in(dir, "full", &r);
    ck_assert_uint_ge(s->info.full_errors, 1);
    ck_assert_uint_eq(fx_series(s, "reqs_total", NULL)->u64, 8);
    ck_assert_uint_eq(brrt_snapshot_family(s, "lat_seconds")->n_series, (uint32_t)made);
    ck_assert_uint_eq(fx_series(s, "lat_seconds", BRRT_LABELS("/r0"))->count, 1);
    const struct brrt_snap_family *fam = brrt_snapshot_family(s, "lat_seconds");
    ck_assert_uint_eq(brrt_hist_native_count(fam, fx_series(s, "lat_seconds", BRRT_LABELS("/r0"))->fine, -32), 1);
    printf("1 MiB tmpfs: %d histogram series, then BRRT_E_FULL; full_errors %llu\n", made,
           (unsigned long long)s->info.full_errors);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    tmpfs_done();
}
END_TEST

/* Issue 12 item 11: a writer killed during start-up leaves .NAME.PID.tmp; a writer killed
 * later leaves its segment. On a tmpfs too small for two full copies, the restart works and
 * the stale temporary is gone. */
START_TEST(restart_on_tight_tmpfs_removes_stale_temporaries)
{
    const char *dir = tmpfs("2m");
    if (!dir)
        return;
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
    char stale[128];
    snprintf(stale, sizeof stale, "%s/.svc.%ld.tmp", dir, (long)dead);
    FILE *fp = fopen(stale, "w");
    ck_assert_ptr_nonnull(fp);
    static char block[64 * 1024];
    memset(block, 0xab, sizeof block);
    for (int i = 0; i < 16; i++) /* 1 MiB of a dead creator's temporary */
        ck_assert_uint_eq(fwrite(block, 1, sizeof block, fp), sizeof block);
    fclose(fp);
    pid_t writer = fork();
    if (writer == 0) { /* a writer that dies without closing (as if SIGKILLed) */
        struct brrt_seg_opts o = defaults_in(dir);
        brrt_seg *seg;
        brrt_family *f;
        struct brrt_metric_def d = {.name = "reqs_total", .type = BRRT_COUNTER};
        brrt_counter c;
        if (brrt_seg_create("svc", &o, &seg) || brrt_family_register(seg, &d, &f) ||
            brrt_counter_get(f, NULL, &c))
            _exit(1);
        brrt_counter_add(c, 5);
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(writer, &st, 0), writer);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "first writer status %#x", st);
    ck_assert_int_ne(access(stale, F_OK), 0); /* removed by the first create already */
    struct brrt_seg_opts o = defaults_in(dir);
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("svc", &o, &seg), 0); /* the restart */
    ck_assert_uint_eq(brrt_seg_generation(seg), 2);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    tmpfs_done();
}
END_TEST

/* tmpfs bytes in use (what a reader could have made the tmpfs allocate) */
static uint64_t tmpfs_used(const char *dir)
{
    struct statvfs v;
    ck_assert_int_eq(statvfs(dir, &v), 0);
    return (uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize;
}

/* Issue 12 item 1: a file whose header publishes 4096 shards, of which the writer reserved
 * one: a reader must refuse it (holes where published values should be) without faulting
 * the holes in, which on this 4 MiB tmpfs would be SIGBUS and on a big one 16 MiB kept. */
START_TEST(hostile_sparse_file_is_refused_without_faulting)
{
    const char *dir = tmpfs("4m");
    if (!dir)
        return;
    struct brrt_seg_opts o = defaults_in(dir);
    o.max_shards = 4096;
    o.shard_bytes = 64 * 1024; /* 256 MiB of file, sparse */
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("hostile", &o, &seg), 0);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "reqs_total", .type = BRRT_COUNTER};
    brrt_counter c;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    ck_assert_int_eq(brrt_counter_get(f, NULL, &c), 0);
    brrt_counter_add(c, 3);
    brrt_seg_close(seg, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/hostile", dir);
    uint32_t shards = 4096;
    ck_assert_int_eq(fx_pwrite(path, &shards, 4, offsetof(struct brrt_shm_header, shards_used)), 0);
    uint64_t before = tmpfs_used(dir);
    brrt_reader *r;
    char why[512] = "";
    int rc = brrt_reader_open(path, &r, why, sizeof why);
    ck_assert_msg(rc == BRRT_E_CORRUPT, "open: %s (%s)", brrt_err_name(rc), why);
    ck_assert_msg(strstr(why, "hole") != NULL, "%s", why);
    uint64_t after = tmpfs_used(dir);
    printf("hostile sparse file: %s; tmpfs used %llu -> %llu KiB\n", why,
           (unsigned long long)before / 1024, (unsigned long long)after / 1024);
    ck_assert_uint_le(after, before + 64 * 1024);
    /* 1.5 M shards of 64 bytes: refused by the header rule (at most 4096 shards) */
    uint32_t cap = 1500000;
    uint64_t stride = 64;
    ck_assert_int_eq(fx_pwrite(path, &cap, 4, offsetof(struct brrt_shm_header, shard_capacity)), 0);
    ck_assert_int_eq(fx_pwrite(path, &stride, 8, offsetof(struct brrt_shm_header, shard_stride)), 0);
    ck_assert_int_eq(brrt_reader_open(path, &r, why, sizeof why), BRRT_E_CORRUPT);
    unlink(path);
    tmpfs_done();
}
END_TEST

struct race {
    const char *path;
    uint64_t size;
    int stop; /* atomic */
};

static void *truncator(void *arg)
{
    struct race *x = arg;
    int fd = open(x->path, O_RDWR);
    for (int i = 0; i < 20000 && !__atomic_load_n(&x->stop, __ATOMIC_RELAXED); i++) {
        if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)x->size) != 0)
            break;
    }
    close(fd);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Registers family `d` and 200 labelled series of it, each with a value. */
static void fill_counters(brrt_seg *seg, const struct brrt_metric_def *d)
{
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, d, &f), 0);
    for (int i = 0; i < 200; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        brrt_counter c;
        ck_assert_int_eq(brrt_counter_get(f, BRRT_LABELS(v), &c), 0);
        brrt_counter_add(c, (uint64_t)i);
    }
}

/* 1 when the calling thread's signal mask is `m`. */
static int same_mask(const sigset_t *m)
{
    sigset_t now;
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &now), 0);
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&now, sig) != sigismember(m, sig))
            return 0;
    return 1;
}

/* Issue 12 item 2: a file truncated (and re-extended) under a reader gives errors, never a
 * SIGBUS that kills the reader. Deterministic part first, then a race bounded in count and
 * time. */
START_TEST(truncation_never_kills_a_reader)
{
    struct brrt_seg_opts o = fx_opts();
    o.heartbeat_ms = 0; /* the writer's own mapping is truncated too: it must not write */
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("trunc", &o, &seg), 0);
    static const char *const names[] = {"k"};
    struct brrt_metric_def d = {.name = "reqs_total", .type = BRRT_COUNTER, .label_names = names,
                                .nlabels = 1};
    fill_counters(seg, &d);
    const char *path = fx_path("trunc");
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open(path, &r, NULL, 0), 0);
    ck_assert_int_eq(truncate(path, 0), 0);
    struct brrt_reader_info info;
    sigset_t before;
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &before), 0);
    for (int k = 0; k < 2; k++) { /* a second fault too: the first left the thread as it was */
        ck_assert_int_eq(brrt_reader_info(r, &info), BRRT_E_TRUNCATED); /* a caught SIGBUS */
        ck_assert_msg(strstr(brrt_reader_why(r), "SIGBUS") != NULL, "%s", brrt_reader_why(r));
        ck_assert_msg(same_mask(&before), "fault %d: the signal mask changed", k + 1);
    }
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), BRRT_E_TRUNCATED);
    ck_assert_int_eq(truncate(path, st.st_size), 0);
    brrt_reader_close(r);

    char why[512];
    ck_assert_int_eq(brrt_reader_open(path, &r, why, sizeof why), BRRT_E_CORRUPT); /* all holes now */
    ck_assert_msg(strstr(why, "hole") != NULL, "%s", why);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);

    /* The race: a fresh segment, a reader snapshotting while another thread truncates and
     * re-extends the file as fast as it can. */
    ck_assert_int_eq(brrt_seg_create("trunc", &o, &seg), 0);
    fill_counters(seg, &d);
    ck_assert_int_eq(brrt_reader_open(path, &r, NULL, 0), 0);
    struct race x = {path, (uint64_t)st.st_size, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, truncator, &x), 0);
    int ok = 0, errs = 0, sigbus = 0;
    double t0 = now_s();
    for (int i = 0; i < 3000 && now_s() - t0 < 3.0; i++) {
        int rc = brrt_reader_snapshot(r, &s);
        if (rc == 0) {
            ok++;
            brrt_snapshot_free(s);
            continue;
        }
        ck_assert_msg(rc == BRRT_E_TRUNCATED || rc == BRRT_E_CORRUPT, "%s: %s", brrt_err_name(rc),
                      brrt_reader_why(r));
        errs++;
        sigbus += strstr(brrt_reader_why(r), "SIGBUS") != NULL;
        if (rc == BRRT_E_CORRUPT) /* zeros read back: attach afresh */
            brrt_reader_reopen(r);
    }
    __atomic_store_n(&x.stop, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    printf("truncation race: %d snapshots ok, %d refused (%d by a caught SIGBUS) in %.2f s\n", ok,
           errs, sigbus, now_s() - t0);
    ck_assert_int_gt(ok + errs, 0);
    brrt_reader_close(r);
    ck_assert_int_eq(truncate(path, st.st_size), 0);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sparse");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_counter_segment_is_small);
    tcase_add_test(tc, histograms_300_series_8_threads_fit_16_mib);
    tcase_add_test(tc, tmpfs_full_is_an_error_counted_values_intact);
    tcase_add_test(tc, restart_on_tight_tmpfs_removes_stale_temporaries);
    tcase_add_test(tc, hostile_sparse_file_is_refused_without_faulting);
    tcase_add_test(tc, truncation_never_kills_a_reader);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
