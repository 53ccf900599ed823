/* readers/: liveness states, restarts, snapshot lifetime, attach errors. */
#include "fixture.h"

#include "brrtstat/shm_format.h"

#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A writer in a child process: creates `name`, counts to `n`, then waits to be killed. */
static pid_t child_writer(const char *name, uint64_t n, uint32_t heartbeat_ms)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        struct brrt_seg_opts o = fx_opts();
        o.heartbeat_ms = heartbeat_ms;
        brrt_seg *seg;
        brrt_family *f;
        brrt_counter c;
        struct brrt_metric_def d = {.name = "n_total", .type = BRRT_COUNTER};
        if (brrt_seg_create(name, &o, &seg) || brrt_family_register(seg, &d, &f) ||
            brrt_counter_get(f, NULL, &c))
            _exit(1);
        brrt_counter_add(c, n);
        if (write(p[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    char x;
    ck_assert_int_eq(read(p[0], &x, 1), 1);
    close(p[0]);
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static uint64_t count_of(brrt_reader *r)
{
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    uint64_t v = fx_series(s, "n_total", NULL)->u64;
    brrt_snapshot_free(s);
    return v;
}

START_TEST(killed_writer_is_dead_and_values_survive)
{
    pid_t pid = child_writer("dead", 42, 100);
    brrt_reader *r;
    char why[256];
    ck_assert_int_eq(brrt_reader_open("dead", &r, why, sizeof why), 0);
    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_RUNNING);
    ck_assert_uint_eq(info.writer_pid, (uint64_t)pid);
    ck_assert_uint_eq(info.generation, 1);
    reap(pid);
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_DEAD);
    ck_assert_str_eq(brrt_writer_state_name(info.state), "dead");
    ck_assert_uint_eq(count_of(r), 42);
    brrt_reader_close(r);
    /* a fresh reader of the dead segment works too */
    ck_assert_int_eq(brrt_reader_open("dead", &r, why, sizeof why), 0);
    ck_assert_uint_eq(count_of(r), 42);
    brrt_reader_close(r);
}
END_TEST

/* The state a snapshot with liveness_ttl_ms = ttl reports. */
static enum brrt_writer_state state_ttl(brrt_reader *r, uint32_t ttl, bool *replaced)
{
    struct brrt_snapshot_opts o = {.what = BRRT_SNAP_RAW, .liveness_ttl_ms = ttl};
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot_opts(r, &o, &s), 0);
    enum brrt_writer_state st = s->info.state;
    if (replaced)
        *replaced = s->info.replaced;
    brrt_snapshot_free(s);
    return st;
}

/* liveness_ttl_ms: a crash is seen once the last lock probe is older than the TTL (never
 * later), a restart and a clean exit at once whatever the TTL. */
START_TEST(liveness_ttl_bounds_staleness)
{
    pid_t pid = child_writer("ttl", 3, 100);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("ttl", &r, NULL, 0), 0);
    ck_assert_int_eq(state_ttl(r, 60000, NULL), BRRT_WRITER_RUNNING); /* probes: held */
    reap(pid);
    /* within a long TTL the last probe is reused: the crash is not seen yet */
    ck_assert_int_eq(state_ttl(r, 60000, NULL), BRRT_WRITER_RUNNING);
    /* a TTL the last probe is older than probes again */
    usleep(30 * 1000);
    ck_assert_int_eq(state_ttl(r, 20, NULL), BRRT_WRITER_DEAD);
    /* a found-dead writer is probed every time: it stays dead under any TTL */
    ck_assert_int_eq(state_ttl(r, 60000, NULL), BRRT_WRITER_DEAD);
    ck_assert_int_eq(state_ttl(r, 0, NULL), BRRT_WRITER_DEAD);
    /* a restart renames a new file over the path: seen at once under a long TTL */
    bool replaced = false;
    ck_assert_int_eq(state_ttl(r, 60000, &replaced), BRRT_WRITER_DEAD);
    ck_assert(!replaced);
    pid_t b = child_writer("ttl", 4, 100);
    ck_assert_int_eq(state_ttl(r, 60000, &replaced), BRRT_WRITER_DEAD);
    ck_assert(replaced);
    ck_assert_int_eq(brrt_reader_reopen(r), 0);
    ck_assert_int_eq(state_ttl(r, 60000, &replaced), BRRT_WRITER_RUNNING);
    ck_assert(!replaced);
    reap(b);
    brrt_reader_close(r);
    /* a clean exit: seen at once under a long TTL */
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("ttl2", &o, &seg), 0);
    ck_assert_int_eq(brrt_reader_open("ttl2", &r, NULL, 0), 0);
    ck_assert_int_eq(state_ttl(r, 60000, NULL), BRRT_WRITER_RUNNING);
    brrt_seg_close(seg, 0);
    ck_assert_int_eq(state_ttl(r, 60000, NULL), BRRT_WRITER_EXITED);
    brrt_reader_close(r);
}
END_TEST

START_TEST(hung_writer_goes_stale)
{
    pid_t pid = child_writer("stale", 1, 100);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("stale", &r, NULL, 0), 0);
    kill(pid, SIGSTOP);
    usleep(2300 * 1000); /* stale after max(3 intervals, 2 s) */
    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_STALE);
    ck_assert(info.heartbeat_age_s > 2.0);
    kill(pid, SIGCONT);
    usleep(300 * 1000);
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_RUNNING);
    reap(pid);
    brrt_reader_close(r);
}
END_TEST

START_TEST(clean_close_is_exited)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("bye", &o, &seg), 0);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("bye", &r, NULL, 0), 0);
    brrt_seg_close(seg, 0);
    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_EXITED);
    brrt_reader_close(r);
}
END_TEST

START_TEST(restarted_writer_is_followed)
{
    pid_t a = child_writer("again", 10, 100);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("again", &r, NULL, 0), 0);
    struct brrt_snapshot *old;
    ck_assert_int_eq(brrt_reader_snapshot(r, &old), 0);
    reap(a);
    pid_t b = child_writer("again", 7, 100);
    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert(info.replaced);
    ck_assert_int_eq(info.state, BRRT_WRITER_DEAD); /* the file we still map */
    ck_assert_int_eq(brrt_reader_reopen(r), 0);
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert(!info.replaced);
    ck_assert_int_eq(info.state, BRRT_WRITER_RUNNING);
    ck_assert_uint_eq(info.generation, 2);
    ck_assert_uint_eq(info.writer_pid, (uint64_t)b);
    ck_assert_uint_eq(count_of(r), 7);
    /* the old snapshot is still whole after the reopen */
    ck_assert_uint_eq(fx_series(old, "n_total", NULL)->u64, 10);
    ck_assert_str_eq(old->families[0].name, "n_total");
    brrt_snapshot_free(old);
    reap(b);
    brrt_reader_close(r);
}
END_TEST

START_TEST(reopen_failure_keeps_old_attachment)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("keep", &o, &seg), 0);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("keep", &r, NULL, 0), 0);
    ck_assert_int_eq(unlink(fx_path("keep")), 0);
    ck_assert_int_eq(brrt_reader_reopen(r), BRRT_E_NOENT);
    ck_assert_ptr_nonnull(strstr(brrt_reader_why(r), "No such file"));
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, 0);
}
END_TEST

START_TEST(open_errors_are_specific)
{
    brrt_reader *r;
    char why[256];
    ck_assert_int_eq(brrt_reader_open("nosuch", &r, why, sizeof why), BRRT_E_NOENT);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(brrt_reader_open("bad name!", &r, why, sizeof why), BRRT_E_INVAL);
    ck_assert_ptr_nonnull(strstr(why, "not a valid segment name"));
    ck_assert_int_eq(brrt_reader_open(NULL, &r, why, sizeof why), BRRT_E_INVAL);
    ck_assert_int_eq(mkdir(fx_path("adir"), 0750), 0);
    ck_assert_int_eq(brrt_reader_open("adir", &r, why, sizeof why), BRRT_E_INSECURE);
    ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
}
END_TEST

START_TEST(new_metrics_appear_in_later_snapshots)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("grow", &o, &seg), 0);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("grow", &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_families, 0);
    brrt_snapshot_free(s);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "late_total", .type = BRRT_COUNTER,
                                .label_names = (const char *const[]){"k"}, .nlabels = 1};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_counter a, b;
    brrt_counter_get(f, BRRT_LABELS("a"), &a);
    brrt_counter_get(f, BRRT_LABELS("b"), &b);
    brrt_counter_add(b, 2);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_families, 1);
    ck_assert_uint_eq(s->n_series, 2);
    ck_assert_str_eq(s->series[1].label_values[0], "b");
    ck_assert_uint_eq(s->series[1].u64, 2);
    ck_assert_uint_eq(s->info.families, 1);
    ck_assert_uint_eq(s->info.series, 2);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* A heartbeat the writer moved after the reader read its clock (the writer's clock read was
 * the later one) is a fresh heartbeat: age 0, not "unknown" (the exporter's heartbeat age would
 * be NaN for a live writer; with a 1 ms heartbeat about 2 snapshots in 10^5 saw one). One much
 * further ahead is from another clock (a writer in another time namespace): unknown. */
/* 0, or a little more if this process stalled past the heartbeat (a loaded machine); -1 exactly. */
static bool age_is(double age, double want)
{
    return want < 0 ? age == want : age >= want && age < want + 0.5;
}

START_TEST(heartbeat_after_the_readers_clock_is_fresh)
{
    struct brrt_seg_opts o = fx_opts();
    o.heartbeat_ms = 0; /* nothing moves it but this test */
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("ahead", &o, &seg), 0);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("ahead", &r, NULL, 0), 0);
    static const struct {
        uint64_t ahead_ns;
        double age;
    } cases[] = {{50 * 1000000ull, 0.0}, {500 * 1000000ull, 0.0}, {3600 * 1000000000ull, -1.0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t hb = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + cases[i].ahead_ns;
        ck_assert_int_eq(fx_pwrite(fx_path("ahead"), &hb, sizeof hb, (long)offsetof(struct brrt_shm_header, heartbeat_mono_ns)), 0);
        struct brrt_reader_info info;
        ck_assert_int_eq(brrt_reader_info(r, &info), 0);
        ck_assert_msg(age_is(info.heartbeat_age_s, cases[i].age), "%" PRIu64 " ns ahead: age %g, want %g",
                      cases[i].ahead_ns, info.heartbeat_age_s, cases[i].age);
        ck_assert_int_eq(info.state, BRRT_WRITER_RUNNING);
        struct brrt_snapshot *s;
        ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
        ck_assert(age_is(s->info.heartbeat_age_s, cases[i].age));
        brrt_snapshot_free(s);
    }
    brrt_reader_close(r);
    ck_assert_int_eq(brrt_seg_close(seg, BRRT_SEG_UNLINK), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, killed_writer_is_dead_and_values_survive);
    tcase_add_test(tc, hung_writer_goes_stale);
    tcase_add_test(tc, liveness_ttl_bounds_staleness);
    tcase_add_test(tc, clean_close_is_exited);
    tcase_add_test(tc, restarted_writer_is_followed);
    tcase_add_test(tc, reopen_failure_keeps_old_attachment);
    tcase_add_test(tc, open_errors_are_specific);
    tcase_add_test(tc, new_metrics_appear_in_later_snapshots);
    tcase_add_test(tc, heartbeat_after_the_readers_clock_is_fresh);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
