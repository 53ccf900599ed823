/* writer/ and fork() without exec: a child must not keep its parent's segment alive (the
 * writer's flock), and must get a usable library (liburcu-bp's fork hooks). */
#include "fixture.h"
#include "writer_tests.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-bp.h>

static const char *const PATH_ONLY[] = {"path"};

static enum brrt_writer_state state_of(const char *name)
{
    brrt_reader *r;
    char why[256];
    int rc = brrt_reader_open(name, &r, why, sizeof why);
    ck_assert_msg(rc == 0, "%s", why);
    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    brrt_reader_close(r);
    return info.state;
}

/* A writer forks a child that lives on (no exec), then is SIGKILLed: the segment must read as
 * DEAD and a new writer must take the name, while the child is still alive. */
START_TEST(killed_writer_is_dead_while_its_forked_child_lives)
{
    int to_test[2];
    ck_assert_int_eq(pipe(to_test), 0);
    pid_t writer = fork();
    ck_assert_int_ge(writer, 0);
    if (writer == 0) {
        struct brrt_seg_opts o = fx_opts();
        brrt_seg *seg;
        brrt_family *f;
        brrt_counter c;
        struct brrt_metric_def d = {.name = "n_total", .type = BRRT_COUNTER};
        if (brrt_seg_create("forkdead", &o, &seg) || brrt_family_register(seg, &d, &f) ||
            brrt_counter_get(f, NULL, &c))
            _exit(1);
        brrt_counter_inc(c);
        pid_t child = fork();
        if (child == 0) {
            /* The child announces itself: by the time fork() returns here, its atfork handlers
             * have dropped the writer's lock, so the test cannot look while it is still held. */
            pid_t me = getpid();
            if (write(to_test[1], &me, sizeof me) != (ssize_t)sizeof me)
                _exit(1);
            close(to_test[1]);
            for (int i = 0; i < 600; i++) /* bounded: the test kills it long before */
                usleep(100 * 1000);
            _exit(0);
        }
        if (child < 0)
            _exit(1);
        for (;;)
            pause(); /* until SIGKILLed */
    }
    close(to_test[1]);
    pid_t child = 0;
    ck_assert_int_eq(read(to_test[0], &child, sizeof child), (ssize_t)sizeof child);
    close(to_test[0]);
    ck_assert_int_eq(state_of("forkdead"), BRRT_WRITER_RUNNING);
    kill(writer, SIGKILL);
    int st;
    ck_assert_int_eq(waitpid(writer, &st, 0), writer);
    ck_assert_int_eq(kill(child, 0), 0); /* the grandchild still lives */

    enum brrt_writer_state s = state_of("forkdead");
    brrt_seg *seg = NULL;
    struct brrt_seg_opts o = fx_opts();
    int rc = brrt_seg_create("forkdead", &o, &seg);
    ck_assert_int_eq(kill(child, 0), 0);
    kill(child, SIGKILL); /* reparented: not ours to reap */
    ck_assert_msg(s == BRRT_WRITER_DEAD, "state %d, want DEAD", (int)s);
    ck_assert_msg(rc == 0, "restart: %s", brrt_strerror(rc));
    ck_assert_int_eq(state_of("forkdead"), BRRT_WRITER_RUNNING);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* The child of a writer keeps a working library: new series (past the hash table's first
 * resize), lookups and updates work, nothing reaches the parent. */
START_TEST(forked_child_gets_a_working_library)
{
    enum { N = 3000 };
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = 4 * N;
    o.shard_bytes = 256 * 1024;
    o.arena_bytes = 512 * 1024;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("forkuse", &o, &seg), 0);
    brrt_family *f;
    struct brrt_metric_def d = {.name = "req_total", .type = BRRT_COUNTER, .label_names = PATH_ONLY,
                                .nlabels = 1, .max_series = 2 * N};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(f, BRRT_LABELS("/parent"), &c), 0);
    brrt_counter_inc(c);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int code = 0;
        char v[32];
        for (int i = 0; i < N && !code; i++) {
            snprintf(v, sizeof v, "/c%d", i);
            brrt_counter ci, again;
            if (brrt_counter_get(f, BRRT_LABELS(v), &ci) != 0)
                code = 2;
            else if (brrt_counter_get(f, BRRT_LABELS(v), &again) != 0 || again.off != ci.off)
                code = 3;
            brrt_counter_inc(ci);
        }
        brrt_seg_close(seg, 0);
        _exit(code);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("forkuse", &r, NULL, 0), 0);
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_series, 1); /* the child's series stayed in the child */
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static int in_section; /* 1: the reader thread is inside its read-side section */
static int leave_section;

static void *reader_thread(void *arg)
{
    (void)arg;
    urcu_bp_read_lock();
    __atomic_store_n(&in_section, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&leave_section, __ATOMIC_ACQUIRE))
        usleep(1000);
    urcu_bp_read_unlock();
    return NULL;
}

/* The library calls liburcu-bp's fork hooks: the child's reader registry holds only its own
 * thread, so a grace period in the child does not wait for a parent thread that was inside a
 * read-side section at fork time (without the hooks it waits forever). */
START_TEST(forked_child_does_not_wait_for_parent_readers)
{
    brrt_seg *seg;
    struct brrt_seg_opts o = fx_opts();
    ck_assert_int_eq(brrt_seg_create("forkrcu", &o, &seg), 0); /* installs the fork handlers */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, reader_thread, NULL), 0);
    while (!__atomic_load_n(&in_section, __ATOMIC_ACQUIRE))
        usleep(1000);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        urcu_bp_synchronize_rcu();
        _exit(0);
    }
    int st = 0, waited = 0;
    for (; waited < 2000 && waitpid(pid, &st, WNOHANG) == 0; waited++) /* 20 s at most */
        usleep(10 * 1000);
    if (waited == 2000) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    __atomic_store_n(&leave_section, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x (killed after 20 s: hung)", st);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* N labelled counters in `f` (values p<i>), each found again at its own offset; 0 or a
 * failure code for the child's exit status. */
static int fill(brrt_family *f, int n, int code)
{
    char v[32];
    for (int i = 0; i < n; i++) {
        snprintf(v, sizeof v, "p%d", i);
        brrt_counter c, again;
        if (brrt_counter_get(f, BRRT_LABELS(v), &c) != 0)
            return code;
        if (brrt_counter_get(f, BRRT_LABELS(v), &again) != 0 || again.off != c.off)
            return code + 1;
    }
    return 0;
}

/* The series tables of a forked child grow (liburcu's resize worker does not live in the
 * child: before, the tables stayed at 64 buckets, lookups 29x slower at 20,000 series), and a
 * child that creates, fills and closes a segment of its own, then exit()s, finishes (before,
 * brrt_seg_close waited forever for that worker inside cds_lfht_destroy). The child exits
 * with exit(), not _exit: liburcu's destructors run, and under ASan LeakSanitizer checks that
 * closing freed everything. */
START_TEST(forked_child_tables_grow_and_close)
{
    enum { N = 3000 }; /* 4096 buckets: liburcu resizes this far without helper threads */
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = 2 * N;
    o.shard_bytes = 64 * 1024;
    o.arena_bytes = 256 * 1024;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("forkgrow", &o, &seg), 0); /* heartbeat thread: multi-threaded */
    brrt_family *f;
    struct brrt_metric_def d = {.name = "req_total", .type = BRRT_COUNTER, .label_names = PATH_ONLY,
                                .nlabels = 1, .max_series = 2 * N};
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    ck_assert_int_eq(fill(f, 100, 2), 0); /* the parent's table has grown once: 64 -> 128 */
    ck_assert_uint_eq(brrt__registry_buckets(seg), 128);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int code = fill(f, N, 10);
        if (!code && brrt__registry_buckets(seg) < N)
            code = 12;
        struct brrt_seg_opts co = o;
        co.heartbeat_ms = 0; /* no thread of its own in the child */
        brrt_seg *own;
        brrt_family *of;
        if (!code && (brrt_seg_create("forkgrowchild", &co, &own) || brrt_family_register(own, &d, &of)))
            code = 13;
        if (!code)
            code = fill(of, N, 14);
        if (!code && brrt__registry_buckets(own) < N)
            code = 16;
        if (!code && brrt_seg_close(own, BRRT_SEG_UNLINK) != 0)
            code = 17;
        if (!code && brrt_seg_close(seg, 0) != 0)
            code = 18;
        exit(code);
    }
    int st = 0, waited = 0;
    for (; waited < 6000 && waitpid(pid, &st, WNOHANG) == 0; waited++) /* 60 s at most */
        usleep(10 * 1000);
    if (waited == 6000) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "child status %#x (exit code: see fill's codes; killed after 60 s: hung)", st);
    ck_assert_uint_eq(brrt__registry_buckets(seg), 128); /* the child's growth stayed there */
    ck_assert_int_eq(access(fx_path("forkgrowchild"), F_OK), -1);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static brrt_family *race_fam;
static int race_done; /* series r0..r<race_done - 1> are registered (atomic) */
static int race_stop;

enum { RACE_SERIES = 20000 };

static void *registrar(void *arg)
{
    (void)arg;
    char v[32];
    for (int i = 0; i < RACE_SERIES && !__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE); i++) {
        snprintf(v, sizeof v, "r%d", i);
        brrt_counter c;
        if (brrt_counter_get(race_fam, BRRT_LABELS(v), &c) != 0)
            break;
        __atomic_store_n(&race_done, i + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* fork() while another thread registers series (and the table doubles, up to 32768 buckets,
 * with liburcu's helper threads past 8192): the fork handlers hold seg->lock, under which alone
 * the table changes, so every child finds each series registered before its fork, adds its
 * own, and exits. A child that caught a resize half done would miss series or hang. */
START_TEST(fork_during_registration_and_resizes)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = RACE_SERIES + 4096;
    o.shard_bytes = 512 * 1024;
    o.arena_bytes = 2u << 20;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("forkrace", &o, &seg), 0);
    struct brrt_metric_def d = {.name = "race_total", .type = BRRT_COUNTER, .label_names = PATH_ONLY,
                                .nlabels = 1, .max_series = RACE_SERIES + 4096};
    ck_assert_int_eq(brrt_family_register(seg, &d, &race_fam), 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, registrar, NULL), 0);
    int forks = 0, during = 0;
    /* Forks go on while the thread registers (60 at most), and at least 4 happen. */
    for (; forks < 60 && (forks < 4 || __atomic_load_n(&race_done, __ATOMIC_ACQUIRE) < RACE_SERIES); forks++) {
        int known = __atomic_load_n(&race_done, __ATOMIC_ACQUIRE);
        fflush(NULL);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            char v[32];
            int code = 0;
            for (int i = 0; i < known && !code; i++) {
                snprintf(v, sizeof v, "r%d", i);
                brrt_counter c;
                if (brrt_counter_get(race_fam, BRRT_LABELS(v), &c) != 0)
                    code = 2;
            }
            if (!code)
                code = fill(race_fam, 1000, 3);
            _exit(code);
        }
        during += known < RACE_SERIES;
        int st = 0, waited = 0;
        for (; waited < 3000 && waitpid(pid, &st, WNOHANG) == 0; waited++) /* 30 s at most */
            usleep(10 * 1000);
        if (waited == 3000) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            __atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
            pthread_join(t, NULL);
            ck_abort_msg("fork %d (after %d series): child status %#x (killed after 30 s: hung)", forks,
                         known, st);
        }
    }
    pthread_join(t, NULL);
    printf("fork_during_registration: %d of %d forks while series were being registered\n", during, forks);
    ck_assert_int_eq(__atomic_load_n(&race_done, __ATOMIC_ACQUIRE), RACE_SERIES);
    ck_assert_uint_eq(brrt__registry_buckets(seg), 32768);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* fork() while another thread closes segments: whenever the fork falls, the child holds no
 * descriptor of a segment file (a descriptor there is the writer's flock: a restarted writer
 * would get BUSY while the child lives). brrt_seg_close leaves the live list and closes the
 * descriptor under one lock, so no fork falls between the two. */
static volatile int close_loop_stop;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int close_loop_rc; /* the first error of the loop (no ck_assert off the main thread:
                           * Check's lock, held at a fork, would hang the child) */

static void *create_close_loop(void *arg)
{
    (void)arg;
    struct brrt_seg_opts o = fx_opts();
    o.heartbeat_ms = 0;
    while (!close_loop_rc && !__atomic_load_n(&close_loop_stop, __ATOMIC_ACQUIRE)) {
        brrt_seg *seg;
        int rc = brrt_seg_create("forkclose", &o, &seg);
        close_loop_rc = rc ? rc : brrt_seg_close(seg, BRRT_SEG_UNLINK);
    }
    return NULL;
}

/* In the child, without malloc: 1 if a descriptor points into the segment directory. */
static int child_has_segment_fd(const char *dir)
{
    size_t n = strlen(dir);
    for (int fd = 0; fd < 1024; fd++) {
        char link[64], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len > (ssize_t)n && strncmp(target, dir, n) == 0 && target[n] == '/')
            return 1;
    }
    return 0;
}

START_TEST(fork_while_closing_leaves_the_child_no_segment_lock)
{
    const char *dir = fx_dir();
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, create_close_loop, NULL), 0);
    int forks = 0, leaked = 0;
    for (double t0 = now_s(); forks < 300 && now_s() - t0 < 2.5; forks++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(child_has_segment_fd(dir));
        ck_assert_int_gt(pid, 0);
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFEXITED(st));
        leaked += WEXITSTATUS(st) != 0;
    }
    __atomic_store_n(&close_loop_stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    printf("fork_while_closing: %d forks, %d children with a segment descriptor\n", forks, leaked);
    ck_assert_msg(close_loop_rc == 0, "create/close: %s", brrt_strerror(close_loop_rc));
    ck_assert_int_eq(leaked, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");
    tcase_add_test(tc, killed_writer_is_dead_while_its_forked_child_lives);
    tcase_add_test(tc, forked_child_gets_a_working_library);
    tcase_add_test(tc, forked_child_does_not_wait_for_parent_readers);
    tcase_add_test(tc, forked_child_tables_grow_and_close);
    tcase_add_test(tc, fork_during_registration_and_resizes);
    tcase_add_test(tc, fork_while_closing_leaves_the_child_no_segment_lock);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
