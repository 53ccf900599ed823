/* writer/: segments, registration, series lookup, shards, full segments, restarts. */
#include "fixture.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const PATH_STATUS[] = {"path", "status"};

static brrt_seg *make(const char *name)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg = NULL;
    int rc = brrt_seg_create(name, &o, &seg);
    ck_assert_msg(rc == 0, "create %s: %s", name, brrt_strerror(rc));
    return seg;
}


START_TEST(create_sets_mode_and_refuses_bad_input)
{
    brrt_seg *seg = make("w1");
    struct stat st;
    ck_assert_int_eq(stat(fx_path("w1"), &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640);
    ck_assert_int_eq(stat(fx_dir(), &st), 0);
    ck_assert_uint_eq(st.st_mode & 0002, 0);
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *x;
    ck_assert_int_eq(brrt_seg_create("w1", &o, &x), BRRT_E_BUSY); /* writer alive */
    ck_assert_int_eq(brrt_seg_create("../etc", &o, &x), BRRT_E_INVAL);
    o.mode = 0666;
    ck_assert_int_eq(brrt_seg_create("w2", &o, &x), BRRT_E_INVAL);
    o = fx_opts();
    o.mode = 0600;
    ck_assert_int_eq(brrt_seg_create("w3", &o, &x), 0);
    ck_assert_int_eq(stat(fx_path("w3"), &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    brrt_seg_close(x, BRRT_SEG_UNLINK);
    ck_assert_int_eq(stat(fx_path("w3"), &st), -1);
    brrt_seg_close(seg, 0);
    ck_assert_int_eq(stat(fx_path("w1"), &st), 0); /* kept for a last read */
}
END_TEST

START_TEST(symlinked_segment_is_refused)
{
    ck_assert_int_eq(symlink("/tmp/elsewhere", fx_path("link")), 0);
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *x;
    ck_assert_int_eq(brrt_seg_create("link", &o, &x), BRRT_E_INSECURE);
}
END_TEST

START_TEST(restart_bumps_generation)
{
    brrt_seg *a = make("gen");
    ck_assert_uint_eq(brrt_seg_generation(a), 1);
    brrt_seg_close(a, 0);
    brrt_seg *b = make("gen");
    ck_assert_uint_eq(brrt_seg_generation(b), 2);
    brrt_seg_close(b, 0);
}
END_TEST

START_TEST(register_is_idempotent_and_checks_definitions)
{
    brrt_seg *seg = make("reg");
    struct brrt_metric_def d = {.name = "reqs_total", .help = "Requests", .type = BRRT_COUNTER,
                                .label_names = PATH_STATUS, .nlabels = 2};
    brrt_family *f1, *f2;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f1), 0);
    ck_assert_int_eq(brrt_family_register(seg, &d, &f2), 0);
    ck_assert_ptr_eq(f1, f2);
    d.help = "Other help";
    ck_assert_int_eq(brrt_family_register(seg, &d, &f2), BRRT_E_EXISTS);
    struct brrt_metric_def bad = d;
    bad.name = "bad-name";
    ck_assert_int_eq(brrt_family_register(seg, &bad, &f2), BRRT_E_INVAL);
    bad = d;
    bad.name = "dup_labels";
    bad.label_names = (const char *const[]){"a", "a"};
    ck_assert_int_eq(brrt_family_register(seg, &bad, &f2), BRRT_E_INVAL);
    const double le[] = {1, 0.5};
    struct brrt_metric_def h = {.name = "h", .type = BRRT_HISTOGRAM, .le = le, .n_le = 2};
    ck_assert_int_eq(brrt_family_register(seg, &h, &f2), BRRT_E_INVAL); /* not ascending */
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(f1, BRRT_LABELS("/x", "\xff"), &c), BRRT_E_INVAL);
    ck_assert_uint_eq(c.tag, 0);
    brrt_counter_inc(c); /* null handle: harmless */
    brrt_gauge g;
    ck_assert_int_eq(brrt_gauge_get(f1, BRRT_LABELS("/x", "200"), &g), BRRT_E_INVAL); /* wrong type */
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(values_of_every_type_reach_the_reader)
{
    brrt_seg *seg = make("types");
    brrt_family *fc, *fu, *fg, *fs;
    struct brrt_metric_def dc = {.name = "reqs_total", .help = "Requests", .type = BRRT_COUNTER,
                                 .label_names = PATH_STATUS, .nlabels = 2};
    struct brrt_metric_def du = {.name = "active", .type = BRRT_UPDOWN};
    struct brrt_metric_def dg = {.name = "rss_bytes", .unit = "bytes", .type = BRRT_GAUGE};
    struct brrt_metric_def ds = {.name = "cpu_seconds_total", .unit = "seconds", .type = BRRT_COUNTER_SAMPLED};
    ck_assert_int_eq(brrt_family_register(seg, &dc, &fc), 0);
    ck_assert_int_eq(brrt_family_register(seg, &du, &fu), 0);
    ck_assert_int_eq(brrt_family_register(seg, &dg, &fg), 0);
    ck_assert_int_eq(brrt_family_register(seg, &ds, &fs), 0);
    brrt_counter ok, nf;
    ck_assert_int_eq(brrt_counter_get(fc, BRRT_LABELS("/pets", "200"), &ok), 0);
    ck_assert_int_eq(brrt_counter_get(fc, BRRT_LABELS("/pets/{id}", "404"), &nf), 0);
    for (int i = 0; i < 1000; i++)
        brrt_counter_inc(ok);
    brrt_counter_add(nf, 1ull << 60); /* far above 2^53: must stay exact */
    brrt_counter_add(nf, 3);
    brrt_updown a;
    ck_assert_int_eq(brrt_updown_get(fu, NULL, &a), 0);
    brrt_updown_add(a, 5);
    brrt_updown_add(a, -7);
    brrt_gauge g, cpu;
    ck_assert_int_eq(brrt_gauge_get(fg, NULL, &g), 0);
    ck_assert_int_eq(brrt_gauge_get(fs, NULL, &cpu), 0);
    brrt_gauge_set(g, 123456789.0);
    brrt_gauge_set(cpu, 1.25);
    struct brrt_snapshot *s = fx_snapshot("types");
    ck_assert_uint_eq(fx_series(s, "reqs_total", BRRT_LABELS("/pets", "200"))->u64, 1000);
    ck_assert_uint_eq(fx_series(s, "reqs_total", BRRT_LABELS("/pets/{id}", "404"))->u64, (1ull << 60) + 3);
    ck_assert_int_eq(fx_series(s, "active", NULL)->i64, -2);
    ck_assert(fx_series(s, "rss_bytes", NULL)->value == 123456789.0);
    ck_assert(fx_series(s, "cpu_seconds_total", NULL)->value == 1.25);
    const struct brrt_snap_family *f = brrt_snapshot_family(s, "reqs_total");
    ck_assert_str_eq(f->help, "Requests");
    ck_assert_uint_eq(f->type, BRRT_SHM_COUNTER);
    ck_assert_str_eq(f->label_names[1], "status");
    ck_assert_uint_eq(f->n_series, 2);
    ck_assert_uint_eq(brrt_snapshot_family(s, "cpu_seconds_total")->type, BRRT_SHM_COUNTER);
    ck_assert_uint_eq(brrt_snapshot_family(s, "active")->type, BRRT_SHM_GAUGE);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(cardinality_cap_folds_into_other)
{
    brrt_seg *seg = make("card");
    struct brrt_metric_def d = {.name = "by_path_total", .type = BRRT_COUNTER,
                                .label_names = PATH_STATUS, .nlabels = 2, .max_series = 3};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    char path[32];
    int over = 0;
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "/p%d", i);
        brrt_counter c;
        int rc = brrt_counter_get(f, BRRT_LABELS(path, "200"), &c);
        ck_assert(rc == 0 || rc == BRRT_E_CARDINALITY);
        over += rc == BRRT_E_CARDINALITY;
        brrt_counter_inc(c);
    }
    ck_assert_int_eq(over, 7);
    struct brrt_snapshot *s = fx_snapshot("card");
    const struct brrt_snap_series *o = fx_series(s, "by_path_total", BRRT_LABELS("__other", "__other"));
    ck_assert_ptr_nonnull(o);
    ck_assert(o->overflow);
    ck_assert_uint_eq(o->u64, 7);
    ck_assert_uint_eq(brrt_snapshot_family(s, "by_path_total")->n_series, 4);
    ck_assert_uint_eq(s->info.cardinality_overflows, 7);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Filling the directory, the arena or the value area gives BRRT_E_FULL, counts it, and leaves
 * a segment that still validates with every earlier value intact. */
START_TEST(full_segment_is_an_error_not_corruption)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = 40;
    o.shard_bytes = 4096;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("full", &o, &seg), 0);
    struct brrt_metric_def d = {.name = "c_total", .type = BRRT_COUNTER,
                                .label_names = PATH_STATUS, .nlabels = 2};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    int made = 0, full = 0;
    char v[32];
    for (int i = 0; i < 100; i++) {
        snprintf(v, sizeof v, "%d", i);
        brrt_counter c;
        int rc = brrt_counter_get(f, BRRT_LABELS("/x", v), &c);
        if (rc == 0) {
            brrt_counter_add(c, (uint64_t)i);
            made++;
        } else {
            ck_assert_int_eq(rc, BRRT_E_FULL);
            ck_assert_uint_eq(c.tag, 0);
            brrt_counter_inc(c); /* dropped, not a crash */
            full++;
        }
    }
    ck_assert_int_eq(made, 39);
    ck_assert_int_eq(full, 61);
    const double le[] = {1};
    struct brrt_metric_def h = {.name = "big", .type = BRRT_HISTOGRAM, .le = le, .n_le = 1, .schema = 8, .hist_max = 0x1p30};
    brrt_family *fh;
    ck_assert_int_eq(brrt_family_register(seg, &h, &fh), BRRT_E_FULL);
    struct brrt_snapshot *s = fx_snapshot("full");
    ck_assert_uint_eq(s->info.full_errors, 62);
    ck_assert_uint_eq(brrt_snapshot_family(s, "c_total")->n_series, 39);
    ck_assert_uint_eq(fx_series(s, "c_total", BRRT_LABELS("/x", "38"))->u64, 38);
    ck_assert_ptr_null(brrt_snapshot_family(s, "big"));
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(value_area_full_is_reported)
{
    struct brrt_seg_opts o = fx_opts();
    o.shard_bytes = 16 * 1024;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("vfull", &o, &seg), 0);
    const double le[] = {1};
    struct brrt_metric_def h = {.name = "big", .type = BRRT_HISTOGRAM, .le = le, .n_le = 1,
                                .label_names = PATH_STATUS, .nlabels = 2, .schema = 6};
    brrt_family *fh;
    ck_assert_int_eq(brrt_family_register(seg, &h, &fh), 0);
    brrt_histogram x;
    ck_assert_int_eq(brrt_histogram_get(fh, BRRT_LABELS("a", "1"), &x), 0);
    brrt_histogram_observe(x, 0.5);
    ck_assert_int_eq(brrt_histogram_get(fh, BRRT_LABELS("a", "2"), &x), BRRT_E_FULL); /* 13.8 KiB each */
    brrt_histogram_observe(x, 0.5);
    struct brrt_snapshot *s = fx_snapshot("vfull");
    ck_assert_uint_eq(fx_series(s, "big", BRRT_LABELS("a", "1"))->count, 1);
    ck_assert_uint_eq(s->info.full_errors, 1);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

struct worker {
    brrt_counter c;
    brrt_histogram h;
    int n;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        brrt_counter_inc(w->c);
        brrt_histogram_observe_raw(w->h, (uint64_t)i);
    }
    return NULL;
}

/* 40 short-lived threads on a 4-shard segment: shards are reused after exit, the rest use the
 * shared shard, and no count is lost or doubled. */
START_TEST(thread_exit_neither_loses_nor_doubles)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_shards = 4;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("threads", &o, &seg), 0);
    brrt_family *fc, *fh;
    struct brrt_metric_def dc = {.name = "n_total", .type = BRRT_COUNTER};
    const double le[] = {100, 1000};
    struct brrt_metric_def dh = {.name = "h", .type = BRRT_HISTOGRAM, .le = le, .n_le = 2};
    ck_assert_int_eq(brrt_family_register(seg, &dc, &fc), 0);
    ck_assert_int_eq(brrt_family_register(seg, &dh, &fh), 0);
    struct worker w = {.n = 5000};
    ck_assert_int_eq(brrt_counter_get(fc, NULL, &w.c), 0);
    ck_assert_int_eq(brrt_histogram_get(fh, NULL, &w.h), 0);
    for (int round = 0; round < 10; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, work, &w);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    struct brrt_snapshot *s = fx_snapshot("threads");
    ck_assert_uint_eq(fx_series(s, "n_total", NULL)->u64, 40 * 5000);
    const struct brrt_snap_series *h = fx_series(s, "h", NULL);
    ck_assert_uint_eq(h->count, 40 * 5000);
    ck_assert_uint_eq(h->sum_raw, 40ull * (4999ull * 5000 / 2));
    ck_assert_uint_eq(h->le_counts[0], 40 * 101);
    ck_assert_uint_le(s->info.shards_used, 4);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Two threads step through phases in turn: each waits for its phase, acts, moves on. */
struct overcap {
    brrt_counter c;
    int phase;
    int on_own_shard; /* after the release, T's updates took the fast path */
};

static void wait_phase(struct overcap *o, int p)
{
    while (__atomic_load_n(&o->phase, __ATOMIC_ACQUIRE) != p)
        usleep(1000);
}

static void *shard_holder(void *arg) /* H: takes the only private shard, exits on phase 2 */
{
    struct overcap *o = arg;
    brrt_counter_inc(o->c);
    __atomic_store_n(&o->phase, 1, __ATOMIC_RELEASE);
    wait_phase(o, 2);
    return NULL; /* gives the shard back */
}

static void *over_cap(void *arg) /* T: 10 updates without a shard, 1000 after H left */
{
    struct overcap *o = arg;
    wait_phase(o, 1);
    for (int i = 0; i < 10; i++)
        brrt_counter_inc(o->c);
    __atomic_store_n(&o->phase, 2, __ATOMIC_RELEASE);
    wait_phase(o, 3);
    for (int i = 0; i < 1000; i++)
        brrt_counter_inc(o->c);
    o->on_own_shard = brrt__tls_cache.tag == o->c.tag;
    return NULL;
}

/* A thread that found no free shard takes one once another thread gave its shard back, and
 * its shared-shard updates are all counted (in batches, the rest when it exits). */
START_TEST(thread_without_shard_retries_after_a_release)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_shards = 2; /* the shared shard and one private one */
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("overcap", &o, &seg), 0);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "n_total", .type = BRRT_COUNTER};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    struct overcap oc = {0};
    ck_assert_int_eq(brrt_counter_get(f, NULL, &oc.c), 0);
    pthread_t h, t;
    ck_assert_int_eq(pthread_create(&h, NULL, shard_holder, &oc), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, over_cap, &oc), 0);
    ck_assert_int_eq(pthread_join(h, NULL), 0);
    __atomic_store_n(&oc.phase, 3, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(oc.on_own_shard, "the thread never took the released shard");
    struct brrt_snapshot *s = fx_snapshot("overcap");
    ck_assert_uint_eq(fx_series(s, "n_total", NULL)->u64, 1 + 10 + 1000);
    ck_assert_uint_eq(s->info.shared_shard_updates, 10);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(forked_child_cannot_write_parent_segment)
{
    brrt_seg *seg = make("fork");
    brrt_family *f, *fg;
    struct brrt_metric_def d = {.name = "n_total", .type = BRRT_COUNTER};
    struct brrt_metric_def dg = {.name = "g", .type = BRRT_GAUGE};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    ck_assert_int_eq(brrt_family_register(seg, &dg, &fg), 0);
    brrt_counter c;
    brrt_gauge g;
    ck_assert_int_eq(brrt_counter_get(f, NULL, &c), 0);
    ck_assert_int_eq(brrt_gauge_get(fg, NULL, &g), 0);
    brrt_counter_inc(c);
    brrt_gauge_set(g, 1.0);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 100; i++)
            brrt_counter_inc(c);
        brrt_gauge_set(g, 666.0); /* through a pointer into the mapping: must stay private */
        brrt_seg_close(seg, BRRT_SEG_UNLINK); /* must return, and must not unlink */
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct brrt_snapshot *s = fx_snapshot("fork");
    ck_assert_uint_eq(fx_series(s, "n_total", NULL)->u64, 1);
    ck_assert(fx_series(s, "g", NULL)->value == 1.0);
    ck_assert_int_eq(s->info.state, BRRT_WRITER_RUNNING); /* the child's close is not ours */
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static int ticks;
static void tick(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED);
}

START_TEST(heartbeat_thread_moves_and_runs_ticks)
{
    brrt_seg *seg = make("hb");
    ck_assert_int_eq(brrt_seg_add_tick(seg, tick, NULL), 0);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("hb", &r, NULL, 0), 0);
    usleep(350 * 1000);
    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_RUNNING);
    ck_assert(info.heartbeat_age_s >= 0 && info.heartbeat_age_s < 0.3);
    ck_assert_int_ge(__atomic_load_n(&ticks, __ATOMIC_RELAXED), 2);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Many processes race to create one name: exactly one wins, the others get BRRT_E_BUSY. */
START_TEST(concurrent_creators_one_winner)
{
    enum { N = 8 };
    pid_t pids[N];
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char c;
            close(go[1]);
            if (read(go[0], &c, 1) != 0) /* released together when the parent closes it */
                _exit(13);
            struct brrt_seg_opts o = fx_opts();
            brrt_seg *seg;
            int rc = brrt_seg_create("race", &o, &seg);
            if (rc == 0) {
                usleep(300 * 1000); /* stay alive while the others try */
                _exit(10);
            }
            _exit(rc == BRRT_E_BUSY ? 11 : 12);
        }
    }
    close(go[0]);
    usleep(50 * 1000);
    close(go[1]);
    int won = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        ck_assert(WIFEXITED(st));
        won += WEXITSTATUS(st) == 10;
        busy += WEXITSTATUS(st) == 11;
    }
    ck_assert_int_eq(won, 1);
    ck_assert_int_eq(busy, N - 1);
}
END_TEST

START_TEST(nan_observation_is_dropped)
{
    brrt_seg *seg = make("nan");
    const double le[] = {1};
    struct brrt_metric_def d = {.name = "h", .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = le, .n_le = 1};
    brrt_family *f;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_histogram h;
    ck_assert_int_eq(brrt_histogram_get(f, NULL, &h), 0);
    brrt_histogram_observe(h, 0.0 / 0.0);
    brrt_histogram_observe(h, 1.0 / 0.0);
    brrt_histogram_observe(h, -1.0 / 0.0);
    struct brrt_snapshot *s = fx_snapshot("nan");
    const struct brrt_snap_series *x = fx_series(s, "h", NULL);
    ck_assert_uint_eq(x->count, 2);
    ck_assert_uint_eq(x->le_counts[0], 1); /* -inf counts as 0 */
    ck_assert_uint_eq(x->le_counts[1], 1); /* +inf overflows */
    /* +Inf adds the top of the range (2^26 by default), never 2^64-1 */
    ck_assert(fabs(x->sum - 0x1p26) <= 1e-9 * 0x1p26);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* Bounds must be whole raw steps and increasing; observations land where v <= le says. */
START_TEST(histogram_bounds_are_exact_or_refused)
{
    brrt_seg *seg = make("bounds");
    brrt_family *f;
    const double coarse[] = {0.1, 0.25};
    struct brrt_metric_def d = {.name = "h1", .type = BRRT_HISTOGRAM, .le = coarse, .n_le = 2};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), BRRT_E_INVAL); /* scale 1: 0.1 is no step */
    const double negative[] = {-1, 0.5};
    d = (struct brrt_metric_def){.name = "h2", .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = negative, .n_le = 2};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), BRRT_E_INVAL);
    const double finer[] = {0.001, 0.0015};
    d = (struct brrt_metric_def){.name = "h3", .type = BRRT_HISTOGRAM, .scale = 1e-3, .le = finer, .n_le = 2};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), BRRT_E_INVAL);
    const double le[] = {0.1, 0.25, 0.5, 1, 2.5};
    d = (struct brrt_metric_def){.name = "h4", .type = BRRT_HISTOGRAM, .scale = 1e-9, .le = le, .n_le = 5};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_histogram h;
    ck_assert_int_eq(brrt_histogram_get(f, NULL, &h), 0);
    brrt_histogram_observe(h, 0.3);          /* (0.25, 0.5] */
    brrt_histogram_observe(h, 2.5);          /* (1, 2.5]: at the bound, in it */
    brrt_histogram_observe(h, 0.1);          /* [0, 0.1] */
    brrt_histogram_observe(h, 0.1000000001); /* one raw step above: (0.1, 0.25] */
    brrt_histogram_observe(h, 3e-9);         /* 3 raw steps exactly, despite 3e-9/1e-9 rounding */
    struct brrt_snapshot *s = fx_snapshot("bounds");
    const struct brrt_snap_series *x = fx_series(s, "h4", NULL);
    ck_assert_uint_eq(x->le_counts[0], 2);
    ck_assert_uint_eq(x->le_counts[1], 1);
    ck_assert_uint_eq(x->le_counts[2], 1);
    ck_assert_uint_eq(x->le_counts[3], 0);
    ck_assert_uint_eq(x->le_counts[4], 1);
    ck_assert_uint_eq(x->le_counts[5], 0);
    ck_assert_uint_eq(x->sum_raw, 300000000ull + 2500000000ull + 100000000ull + 100000001ull + 3ull);
    brrt_snapshot_free(s);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("writer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, create_sets_mode_and_refuses_bad_input);
    tcase_add_test(tc, symlinked_segment_is_refused);
    tcase_add_test(tc, restart_bumps_generation);
    tcase_add_test(tc, register_is_idempotent_and_checks_definitions);
    tcase_add_test(tc, values_of_every_type_reach_the_reader);
    tcase_add_test(tc, cardinality_cap_folds_into_other);
    tcase_add_test(tc, full_segment_is_an_error_not_corruption);
    tcase_add_test(tc, value_area_full_is_reported);
    tcase_add_test(tc, thread_exit_neither_loses_nor_doubles);
    tcase_add_test(tc, thread_without_shard_retries_after_a_release);
    tcase_add_test(tc, forked_child_cannot_write_parent_segment);
    tcase_add_test(tc, heartbeat_thread_moves_and_runs_ticks);
    tcase_add_test(tc, concurrent_creators_one_winner);
    tcase_add_test(tc, nan_observation_is_dropped);
    tcase_add_test(tc, histogram_bounds_are_exact_or_refused);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
