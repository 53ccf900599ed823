/* writer/process.c + cgroup.c: values agree with /proc, move when they should; limits from
 * fake cgroup v1 and v2 trees. */
#include "fixture.h"

#include "brrtstat/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* writer/cgroup.c (internal; the static library exposes it to tests) */
void brrt__cgroup_limits(const char *proc_cgroup, const char *root, double *mem, double *cpu);

/* The value of NAME through reader r (one kept open: its descriptor is part of the counted state) */
static double value_in(brrt_reader *r, const char *name)
{
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    const struct brrt_snap_series *x = fx_series(s, name, NULL);
    double v = x ? x->value : NAN;
    brrt_snapshot_free(s);
    return v;
}

static double value_of(const char *name)
{
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("proc", &r, NULL, 0), 0);
    double v = value_in(r, name);
    brrt_reader_close(r);
    return v;
}

static void statm(unsigned long long *size, unsigned long long *resident)
{
    FILE *f = fopen("/proc/self/statm", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%llu %llu", size, resident), 2);
    fclose(f);
}

/* This process's descriptors now (the directory's own one not counted) */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

/* True once NAME reads WANT through r, polled every 10 ms for up to 10 s */
static bool poll_value(brrt_reader *r, const char *name, double want)
{
    for (int i = 0; i < 1000; i++) {
        if (value_in(r, name) == want)
            return true;
        usleep(10 * 1000);
    }
    return false;
}

static brrt_process_collector *start(brrt_seg **seg)
{
    struct brrt_seg_opts o = fx_opts();
    ck_assert_int_eq(brrt_seg_create("proc", &o, seg), 0);
    brrt_process_collector *c;
    ck_assert_int_eq(brrt_process_collector_start(*seg, 0, &c), 0);
    return c;
}

START_TEST(memory_agrees_with_proc)
{
    brrt_seg *seg;
    brrt_process_collector *c = start(&seg);
    /* Compared with statm read just before and just after a sample of our own: the segment's
     * heartbeat thread (100 ms) can map or touch memory at any time (its first run, on a loaded
     * machine late), and under ASan every allocation moves RSS, so a sample is within 5 % of
     * the range the two reads span, not of one read taken later. */
    unsigned long long size, resident, size2, resident2;
    statm(&size, &resident);
    brrt_process_collect(c);
    statm(&size2, &resident2);
    double ps = (double)sysconf(_SC_PAGESIZE);
    double rss = value_of("process_memory_rss_bytes"), vss = value_of("process_memory_vss_bytes");
    double rlo = (double)(resident < resident2 ? resident : resident2) * ps;
    double rhi = (double)(resident > resident2 ? resident : resident2) * ps;
    double vlo = (double)(size < size2 ? size : size2) * ps, vhi = (double)(size > size2 ? size : size2) * ps;
    ck_assert_msg(rss >= 0.95 * rlo && rss <= 1.05 * rhi, "rss %f vs statm %f .. %f", rss, rlo, rhi);
    ck_assert_msg(vss >= 0.95 * vlo && vss <= 1.05 * vhi, "vss %f vs statm %f .. %f", vss, vlo, vhi);
    ck_assert(value_of("process_memory_peak_rss_bytes") >= rss * 0.95);
    /* heap follows a 64 MiB allocation that is really touched */
    double heap0 = value_of("process_memory_heap_bytes");
    char *big = malloc(64 << 20);
    for (size_t i = 0; i < (64u << 20); i += 4096)
        big[i] = 1;
    brrt_process_collect(c);
    double heap1 = value_of("process_memory_heap_bytes");
    ck_assert_msg(heap1 - heap0 >= 60e6 && heap1 - heap0 <= 70e6, "heap %f -> %f", heap0, heap1);
    ck_assert(value_of("process_memory_rss_bytes") >= rss + 60e6);
    free(big);
    brrt_process_collector_stop(c);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(cpu_grows_under_work_not_at_idle)
{
    brrt_seg *seg;
    brrt_process_collector *c = start(&seg);
    double t0 = value_of("process_cpu_seconds_total");
    usleep(300 * 1000); /* idle */
    brrt_process_collect(c);
    double t1 = value_of("process_cpu_seconds_total");
    ck_assert_msg(t1 - t0 < 0.05, "idle cpu %f", t1 - t0);
    /* Burn 0.3 s of this process's CPU (however long that takes on a busy machine, at most
     * 20 s) and compare with the process CPU clock, read independently of the collector. */
    struct timespec c0, c1, w0, w1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    volatile double x = 0;
    double burnt, waited;
    do {
        for (int i = 0; i < 100000; i++)
            x += sqrt((double)i);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        clock_gettime(CLOCK_MONOTONIC, &w1);
        burnt = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
        waited = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
    } while (burnt < 0.3 && waited < 20);
    (void)x;
    brrt_process_collect(c);
    double t2 = value_of("process_cpu_seconds_total");
    ck_assert_msg(burnt >= 0.3, "could not get 0.3 s of CPU in 20 s");
    ck_assert_msg(t2 - t1 >= burnt - 0.02 && t2 - t1 <= burnt + 0.1, "collector %f vs process clock %f",
                  t2 - t1, burnt);
    double user = value_of("process_cpu_user_seconds_total"), sys = value_of("process_cpu_system_seconds_total");
    ck_assert(fabs(user + sys - t2) < 1e-6);
    brrt_process_collector_stop(c);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(fds_and_start_time)
{
    brrt_seg *seg;
    brrt_process_collector *c = start(&seg);
    double fds0 = value_of("process_open_fds");
    int fds[10];
    for (int i = 0; i < 10; i++)
        fds[i] = open("/dev/null", O_RDONLY);
    brrt_process_collect(c);
    ck_assert_int_eq((int)(value_of("process_open_fds") - fds0), 10);
    for (int i = 0; i < 10; i++)
        close(fds[i]);
    ck_assert(value_of("process_max_fds") >= 64);
    double start = value_of("process_start_time_seconds");
    ck_assert_msg(fabs(start - (double)time(NULL)) < 120, "start %f", start);
    brrt_process_collector_stop(c);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

START_TEST(collector_thread_samples_on_its_own)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("proc", &o, &seg), 0);
    brrt_process_collector *c;
    ck_assert_int_eq(brrt_process_collector_start(seg, 50, &c), 0);
    /* One reader open throughout: a reader opened per read is a descriptor the 50 ms thread can
     * count or not, depending on when it samples (a loaded machine widens that window). */
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("proc", &r, NULL, 0), 0);
    int fds0 = count_fds();
    /* Waits (10 s at most, 50 ms when idle) for the thread's own samples: first the state with
     * the reader open, then one more descriptor. Nobody else calls brrt_process_collect. */
    ck_assert_msg(poll_value(r, "process_open_fds", fds0), "open fds never read %d", fds0);
    int fd = open("/dev/null", O_RDONLY);
    ck_assert_msg(poll_value(r, "process_open_fds", fds0 + 1), "open fds never read %d", fds0 + 1);
    close(fd);
    brrt_reader_close(r);
    brrt_process_collector_stop(c);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

static void put(const char *path, const char *text)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(cgroup_limits_v2_v1_and_unlimited)
{
    char root[256], p[512];
    snprintf(root, sizeof root, "%s/cg", fx_dir());
    /* v2: the tightest limit along the path wins; "max" is unlimited */
    snprintf(p, sizeof p, "%s/v2/self", root);
    put(p, "0::/kubepods/pod1/app\n");
    snprintf(p, sizeof p, "%s/v2/kubepods/memory.max", root);
    put(p, "1073741824\n");
    snprintf(p, sizeof p, "%s/v2/kubepods/pod1/app/memory.max", root);
    put(p, "268435456\n");
    snprintf(p, sizeof p, "%s/v2/kubepods/pod1/app/cpu.max", root);
    put(p, "50000 100000\n");
    snprintf(p, sizeof p, "%s/v2/kubepods/cpu.max", root);
    put(p, "max 100000\n");
    double mem, cpu;
    char self[512], r2[512];
    snprintf(self, sizeof self, "%s/v2/self", root);
    snprintf(r2, sizeof r2, "%s/v2", root);
    brrt__cgroup_limits(self, r2, &mem, &cpu);
    ck_assert(mem == 268435456.0);
    ck_assert(cpu == 0.5);
    /* v1 hybrid: memory and cpu controllers in their own hierarchies */
    snprintf(p, sizeof p, "%s/v1/self", root);
    put(p, "4:memory:/job\n2:cpu,cpuacct:/job\n0::/\n");
    snprintf(p, sizeof p, "%s/v1/memory/job/memory.limit_in_bytes", root);
    put(p, "536870912\n");
    snprintf(p, sizeof p, "%s/v1/memory/memory.limit_in_bytes", root);
    put(p, "9223372036854771712\n");
    snprintf(p, sizeof p, "%s/v1/cpu,cpuacct/job/cpu.cfs_quota_us", root);
    put(p, "150000\n");
    snprintf(p, sizeof p, "%s/v1/cpu,cpuacct/job/cpu.cfs_period_us", root);
    put(p, "100000\n");
    snprintf(self, sizeof self, "%s/v1/self", root);
    snprintf(r2, sizeof r2, "%s/v1", root);
    brrt__cgroup_limits(self, r2, &mem, &cpu);
    ck_assert(mem == 536870912.0);
    ck_assert(cpu == 1.5);
    /* nothing limited: both absent */
    snprintf(p, sizeof p, "%s/none/self", root);
    put(p, "0::/\n");
    snprintf(p, sizeof p, "%s/none/memory.max", root);
    put(p, "max\n");
    snprintf(self, sizeof self, "%s/none/self", root);
    snprintf(r2, sizeof r2, "%s/none", root);
    brrt__cgroup_limits(self, r2, &mem, &cpu);
    ck_assert(mem < 0 && cpu < 0);
    /* the collector publishes limits only when they exist */
    setenv("BRRT_PROC_CGROUP", fx_path("cg/v2/self"), 1);
    snprintf(r2, sizeof r2, "%s/v2", root);
    setenv("BRRT_CGROUP_ROOT", r2, 1);
    brrt_seg *seg;
    brrt_process_collector *c = start(&seg);
    ck_assert(value_of("process_memory_limit_bytes") == 268435456.0);
    ck_assert(value_of("process_cpu_limit_cores") == 0.5);
    brrt_process_collector_stop(c);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
    setenv("BRRT_PROC_CGROUP", fx_path("cg/none/self"), 1);
    snprintf(r2, sizeof r2, "%s/none", root);
    setenv("BRRT_CGROUP_ROOT", r2, 1);
    c = start(&seg);
    ck_assert(isnan(value_of("process_memory_limit_bytes")));
    brrt_process_collector_stop(c);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("process");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, memory_agrees_with_proc);
    tcase_add_test(tc, cpu_grows_under_work_not_at_idle);
    tcase_add_test(tc, fds_and_start_time);
    tcase_add_test(tc, collector_thread_samples_on_its_own);
    tcase_add_test(tc, cgroup_limits_v2_v1_and_unlimited);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
