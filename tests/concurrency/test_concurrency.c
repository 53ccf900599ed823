/* Writers vs. readers. Several writer threads (some of which exit mid-run, on a segment with
 * fewer shards than threads, so shards are reused and the shared shard is used) increment and
 * observe while a registrar thread keeps adding series (so tmpfs pages are reserved while
 * readers read: a reader must never find a hole in what is published), and a reader snapshots
 * continuously, either in a separate process or in a thread (the thread variant is what
 * ThreadSanitizer checks). Every snapshot must have counters, classic and native buckets that
 * never go backwards and _count equal to the sum of its buckets; the final totals, every
 * native bucket and the sum must equal exactly what was written. */
#include "fixture.h"

#include "brrtstat/hist_math.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STEADY = 3, EPHEMERAL_ROUNDS = 6, EPHEMERAL = 2, OPS = 400000, EPHEMERAL_OPS = 50000,
       PATHS = 4, REGISTERED = 300 };
static const double LE[] = {100, 1000, 10000};

struct fixture {
    brrt_seg *seg;
    brrt_counter req[PATHS];
    brrt_updown active;
    brrt_histogram lat;
    brrt_gauge done;
};

static void setup(struct fixture *fx)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_shards = 3; /* 2 thread shards for 3+ threads: forces reuse and the shared shard */
    ck_assert_int_eq(brrt_seg_create("conc", &o, &fx->seg), 0);
    brrt_family *fr, *fa, *fl, *fd;
    struct brrt_metric_def dr = {.name = "req_total", .type = BRRT_COUNTER,
                                 .label_names = (const char *const[]){"path"}, .nlabels = 1};
    struct brrt_metric_def da = {.name = "active", .type = BRRT_UPDOWN};
    struct brrt_metric_def dl = {.name = "lat", .type = BRRT_HISTOGRAM, .le = LE, .n_le = 3};
    struct brrt_metric_def dd = {.name = "done", .type = BRRT_GAUGE};
    ck_assert_int_eq(brrt_family_register(fx->seg, &dr, &fr), 0);
    ck_assert_int_eq(brrt_family_register(fx->seg, &da, &fa), 0);
    ck_assert_int_eq(brrt_family_register(fx->seg, &dl, &fl), 0);
    ck_assert_int_eq(brrt_family_register(fx->seg, &dd, &fd), 0);
    const char *paths[PATHS] = {"/a", "/b", "/c", "/d"};
    for (int i = 0; i < PATHS; i++)
        ck_assert_int_eq(brrt_counter_get(fr, BRRT_LABELS(paths[i]), &fx->req[i]), 0);
    ck_assert_int_eq(brrt_updown_get(fa, NULL, &fx->active), 0);
    ck_assert_int_eq(brrt_histogram_get(fl, NULL, &fx->lat), 0);
    ck_assert_int_eq(brrt_gauge_get(fd, NULL, &fx->done), 0);
}

struct job {
    struct fixture *fx;
    int ops;
    int seed;
    pthread_barrier_t *started; /* steady threads: all hold a shard (or not) before going on */
};

static void *writer(void *arg)
{
    struct job *j = arg;
    uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)(j->seed + 1);
    for (int i = 0; i < j->ops; i++) {
        if (i == 1 && j->started)
            pthread_barrier_wait(j->started);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        brrt_updown_add(j->fx->active, 1);
        brrt_counter_inc(j->fx->req[i % PATHS]);
        brrt_histogram_observe_raw(j->fx->lat, x % 20000);
        brrt_updown_add(j->fx->active, -1);
    }
    return NULL;
}

/* ---- the reader's checks, shared by the process and the thread variant --------------- */

struct watch {
    uint64_t prev_req[PATHS];
    uint64_t prev_le[4];
    uint64_t prev_count;
    uint64_t prev_fine[8192];
    uint64_t snapshots;
    char failure[600];
};

static int check_snapshot(struct watch *w, const struct brrt_snapshot *s)
{
    const struct brrt_snap_family *fr = brrt_snapshot_family(s, "req_total");
    const struct brrt_snap_series *lat = fx_series(s, "lat", NULL);
    if (!fr || !lat || fr->n_series != PATHS) {
        snprintf(w->failure, sizeof w->failure, "metrics missing");
        return -1;
    }
    for (int i = 0; i < PATHS; i++) {
        uint64_t v = s->series[fr->first_series + i].u64;
        if (v < w->prev_req[i]) {
            snprintf(w->failure, sizeof w->failure, "req_total[%d] went back %llu -> %llu", i,
                     (unsigned long long)w->prev_req[i], (unsigned long long)v);
            return -1;
        }
        w->prev_req[i] = v;
    }
    uint64_t sum = 0;
    for (int b = 0; b < 4; b++) {
        if (lat->le_counts[b] < w->prev_le[b]) {
            snprintf(w->failure, sizeof w->failure, "bucket %d went back", b);
            return -1;
        }
        w->prev_le[b] = lat->le_counts[b];
        sum += lat->le_counts[b];
    }
    if (sum != lat->count || lat->count < w->prev_count) {
        snprintf(w->failure, sizeof w->failure, "count %llu vs buckets %llu (prev %llu)",
                 (unsigned long long)lat->count, (unsigned long long)sum,
                 (unsigned long long)w->prev_count);
        return -1;
    }
    w->prev_count = lat->count;
    const struct brrt_snap_family *fl = brrt_snapshot_family(s, "lat");
    for (uint32_t k = 0; k < fl->n_fine && k < 8192; k++) {
        if (lat->fine[k] < w->prev_fine[k]) {
            snprintf(w->failure, sizeof w->failure, "native slot %u went back", k);
            return -1;
        }
        w->prev_fine[k] = lat->fine[k];
    }
    w->snapshots++;
    return 0;
}

/* Snapshots until the writer sets `done` (or 60 s pass). 0 when every snapshot passed. */
static int watch_until_done(struct watch *w)
{
    brrt_reader *r;
    char why[256];
    if (brrt_reader_open("conc", &r, why, sizeof why) != 0) {
        snprintf(w->failure, sizeof w->failure, "open: %s", why);
        return -1;
    }
    int rc = 0;
    time_t deadline = time(NULL) + 60;
    for (;;) {
        struct brrt_snapshot *s;
        if (brrt_reader_snapshot(r, &s) != 0) {
            snprintf(w->failure, sizeof w->failure, "snapshot: %s", brrt_reader_why(r));
            rc = -1;
            break;
        }
        rc = check_snapshot(w, s);
        int done = fx_series(s, "done", NULL)->value > 0;
        brrt_snapshot_free(s);
        if (rc || (done && w->snapshots > 1) || time(NULL) > deadline)
            break;
    }
    brrt_reader_close(r);
    return rc;
}

/* New series while everything else runs: reservations race with the readers. */
static void *registrar(void *arg)
{
    struct fixture *fx = arg;
    brrt_family *f;
    struct brrt_metric_def d = {.name = "reg_total", .type = BRRT_COUNTER,
                                .label_names = (const char *const[]){"k"}, .nlabels = 1};
    if (brrt_family_register(fx->seg, &d, &f) != 0)
        return (void *)1;
    for (int i = 0; i < REGISTERED; i++) {
        char v[16];
        snprintf(v, sizeof v, "k%d", i);
        brrt_counter c;
        if (brrt_counter_get(f, BRRT_LABELS(v), &c) != 0)
            return (void *)1;
        brrt_counter_add(c, (uint64_t)i);
    }
    return NULL;
}

static void run_writers(struct fixture *fx)
{
    pthread_t reg;
    pthread_create(&reg, NULL, registrar, fx);
    pthread_t steady[STEADY];
    struct job sj[STEADY];
    pthread_barrier_t started;
    pthread_barrier_init(&started, NULL, STEADY);
    for (int i = 0; i < STEADY; i++) {
        sj[i] = (struct job){fx, OPS, i, &started};
        pthread_create(&steady[i], NULL, writer, &sj[i]);
    }
    for (int round = 0; round < EPHEMERAL_ROUNDS; round++) {
        pthread_t t[EPHEMERAL];
        struct job ej[EPHEMERAL];
        for (int i = 0; i < EPHEMERAL; i++) {
            ej[i] = (struct job){fx, EPHEMERAL_OPS, 100 + round * EPHEMERAL + i, NULL};
            pthread_create(&t[i], NULL, writer, &ej[i]);
        }
        for (int i = 0; i < EPHEMERAL; i++)
            pthread_join(t[i], NULL);
    }
    for (int i = 0; i < STEADY; i++)
        pthread_join(steady[i], NULL);
    pthread_barrier_destroy(&started);
    void *ret;
    pthread_join(reg, &ret);
    ck_assert_ptr_null(ret);
}

/* Replays every writer's values: the exact native slot counts and raw sum. */
static void expected_hist(const struct brrt_snap_family *f, uint64_t *slots, uint64_t *sum)
{
    int seeds[STEADY + EPHEMERAL_ROUNDS * EPHEMERAL], ops[STEADY + EPHEMERAL_ROUNDS * EPHEMERAL], n = 0;
    for (int i = 0; i < STEADY; i++)
        seeds[n] = i, ops[n++] = OPS;
    for (int i = 0; i < EPHEMERAL_ROUNDS * EPHEMERAL; i++)
        seeds[n] = 100 + i, ops[n++] = EPHEMERAL_OPS;
    memset(slots, 0, f->n_fine * sizeof *slots);
    *sum = 0;
    static uint32_t slot_of[20000];
    for (uint32_t v = 0; v < 20000; v++) {
        int32_t key = brrt_hist_key_ref((double)v * f->scale, f->schema);
        int64_t k = key == INT32_MIN ? 0 : (int64_t)key - f->index_min + 1;
        slot_of[v] = k < 0 ? 0 : k > (int64_t)f->n_fine - 1 ? f->n_fine - 1 : (uint32_t)k;
    }
    for (int j = 0; j < n; j++) {
        uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)(seeds[j] + 1);
        for (int i = 0; i < ops[j]; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            slots[slot_of[x % 20000]]++;
            *sum += x % 20000;
        }
    }
}

static void check_totals(void)
{
    const uint64_t total = (uint64_t)STEADY * OPS + (uint64_t)EPHEMERAL_ROUNDS * EPHEMERAL * EPHEMERAL_OPS;
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("conc", &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    const struct brrt_snap_family *fr = brrt_snapshot_family(s, "req_total");
    uint64_t req = 0;
    for (uint32_t i = 0; i < fr->n_series; i++)
        req += s->series[fr->first_series + i].u64;
    ck_assert_uint_eq(req, total);
    const struct brrt_snap_series *lat = fx_series(s, "lat", NULL);
    ck_assert_uint_eq(lat->count, total);
    uint64_t fine = 0;
    const struct brrt_snap_family *fl = brrt_snapshot_family(s, "lat");
    for (uint32_t i = 0; i < fl->n_fine; i++)
        fine += lat->fine[i];
    ck_assert_uint_eq(fine, total);
    static uint64_t want[8192];
    uint64_t want_sum;
    ck_assert_uint_le(fl->n_fine, 8192);
    expected_hist(fl, want, &want_sum);
    for (uint32_t k = 0; k < fl->n_fine; k++)
        ck_assert_msg(lat->fine[k] == want[k], "native slot %u: %llu, wrote %llu", k,
                      (unsigned long long)lat->fine[k], (unsigned long long)want[k]);
    ck_assert_uint_eq(lat->sum_raw, want_sum);
    ck_assert_uint_eq(brrt_snapshot_family(s, "reg_total")->n_series, REGISTERED);
    ck_assert_uint_eq(fx_series(s, "reg_total", BRRT_LABELS("k299"))->u64, 299);
    ck_assert_int_eq(fx_series(s, "active", NULL)->i64, 0);
    ck_assert_uint_le(s->info.shards_used, 3);
    ck_assert_uint_gt(s->info.shared_shard_updates, 0); /* the fallback really ran */
    brrt_snapshot_free(s);
    brrt_reader_close(r);
}

/* The reader process is this program again (fork + exec, never fork alone: the writer side
 * has threads, and a child of a threaded process may only call async-signal-safe code). */
static int reader_process_main(int fd)
{
    struct watch w = {0};
    int rc = watch_until_done(&w);
    dprintf(fd, "%llu %s", (unsigned long long)w.snapshots, w.failure);
    return rc ? 1 : 0;
}

START_TEST(reader_process_sees_monotonic_consistent_snapshots)
{
    struct fixture fx;
    setup(&fx);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", p[1]);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "test_concurrency", "--reader-process", fdarg, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    run_writers(&fx);
    brrt_gauge_set(fx.done, 1);
    int status;
    waitpid(pid, &status, 0);
    char report[700] = "";
    ssize_t n = read(p[0], report, sizeof report - 1);
    report[n > 0 ? n : 0] = '\0';
    close(p[0]);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader process (status %d): %s",
                  status, report);
    unsigned long long snaps = 0;
    sscanf(report, "%llu", &snaps);
    ck_assert_msg(snaps >= 2, "reader took only %llu snapshots", snaps);
    fprintf(stderr, "reader process: %llu snapshots, all consistent\n", snaps);
    check_totals();
    brrt_seg_close(fx.seg, BRRT_SEG_UNLINK);
}
END_TEST

static void *reader_thread(void *arg)
{
    struct watch *w = arg;
    return (void *)(intptr_t)watch_until_done(w);
}

START_TEST(reader_thread_sees_monotonic_consistent_snapshots)
{
    struct fixture fx;
    setup(&fx);
    struct watch w = {0};
    pthread_t rt;
    pthread_create(&rt, NULL, reader_thread, &w);
    run_writers(&fx);
    brrt_gauge_set(fx.done, 1);
    void *rc;
    pthread_join(rt, &rc);
    ck_assert_msg(rc == NULL, "reader thread: %s", w.failure);
    ck_assert_uint_ge(w.snapshots, 2);
    check_totals();
    brrt_seg_close(fx.seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--reader-process") == 0)
        return reader_process_main(atoi(argv[2]));
    Suite *s = suite_create("concurrency");
    TCase *tc = tcase_create("writers_vs_reader");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, reader_process_sees_monotonic_consistent_snapshots);
    tcase_add_test(tc, reader_thread_sees_monotonic_consistent_snapshots);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
