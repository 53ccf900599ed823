/* The process collector; see brrtstat/process.h. Sources: getrusage (CPU, peak RSS),
 * /proc/self/statm (RSS, VSS), mallinfo2 (heap), /proc/self/fd (open fds), RLIMIT_NOFILE,
 * /proc/self/stat + /proc/stat btime (start time), /sys/fs/cgroup (limits). */
#include "brrtstat/process.h"

#include "brrtstat/process_metrics.h"
#include "writer_internal.h"

#include <dirent.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BRRT_HAS_SANITIZER 1
#endif
#endif
#ifndef BRRT_HAS_SANITIZER
#define BRRT_HAS_SANITIZER 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || BRRT_HAS_SANITIZER
/* From the sanitizer runtime (sanitizer/allocator_interface.h, not shipped with every gcc). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum {
#define PM_ENUM(id, name, type, unit, labels, section, help) PM_##id,
    BRRT_PROCESS_METRICS(PM_ENUM)
#undef PM_ENUM
        PM_COUNT,
    PM_GAUGES = PM_MEMORY_LIMIT /* sampled every interval; the two limits are published once */
};

static const struct brrt_metric_def pm_def[PM_COUNT] = {
#define PM_DEF(id, name_, type_, unit_, labels, section, help_)                                   \
    [PM_##id] = {.name = name_, .help = help_, .unit = unit_, .type = type_},
    BRRT_PROCESS_METRICS(PM_DEF)
#undef PM_DEF
};
_Static_assert(PM_CPU_LIMIT == PM_MEMORY_LIMIT + 1 && PM_COUNT == PM_CPU_LIMIT + 1,
               "the limits are the table's last two rows");

struct brrt_process_collector {
    brrt_seg *seg;
    brrt_gauge g[PM_GAUGES];
    brrt_family *mem_limit;
    brrt_family *cpu_limit;
    uint32_t interval_ms;
    pthread_t thread;
    bool running;
    bool stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static int pm_register(brrt_seg *seg, int id, brrt_family **out)
{
    return brrt_family_register(seg, &pm_def[id], out);
}

static double start_time_seconds(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    char buf[1024];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* comm may contain spaces */
    unsigned long long start = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                     &start) != 1)
        return 0;
    unsigned long long btime = 0;
    f = fopen("/proc/stat", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "btime %llu", &btime) == 1)
            break;
    if (f)
        fclose(f);
    return (double)btime + (double)start / (double)sysconf(_SC_CLK_TCK);
}

/* Bytes the allocator has handed out and not had back. */
static double heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || BRRT_HAS_SANITIZER
    /* A sanitizer's allocator replaces glibc's: mallinfo2 would report zeros. */
    return (double)__sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return (double)(mi.uordblks + mi.hblkhd);
#endif
}

static double open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own fd */
}

void brrt_process_collect(brrt_process_collector *c)
{
    double rss = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size, resident;
    if (f && fscanf(f, "%llu %llu", &size, &resident) == 2) {
        double ps = (double)sysconf(_SC_PAGESIZE);
        rss = (double)resident * ps;
        brrt_gauge_set(c->g[PM_MEMORY_VSS], (double)size * ps);
        brrt_gauge_set(c->g[PM_MEMORY_RSS], rss);
    }
    if (f)
        fclose(f);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        brrt_gauge_set(c->g[PM_CPU_USER_SECONDS], user);
        brrt_gauge_set(c->g[PM_CPU_SYSTEM_SECONDS], sys);
        brrt_gauge_set(c->g[PM_CPU_SECONDS], user + sys);
        /* Two reads, two moments: a peak below the RSS of the same sample is not a peak. */
        double peak = (double)ru.ru_maxrss * 1024.0;
        brrt_gauge_set(c->g[PM_MEMORY_PEAK_RSS], peak > rss ? peak : rss);
    }
    brrt_gauge_set(c->g[PM_MEMORY_HEAP], heap_in_use());
    brrt_gauge_set(c->g[PM_OPEN_FDS], open_fds());
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        brrt_gauge_set(c->g[PM_MAX_FDS], rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur);
}

static void *collector_main(void *arg)
{
    brrt_process_collector *c = arg;
    pthread_mutex_lock(&c->lock);
    while (brrt__wait_period(&c->cond, &c->lock, (uint64_t)c->interval_ms * 1000000ull, &c->stop)) {
        pthread_mutex_unlock(&c->lock);
        brrt_process_collect(c);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static int limits(brrt_process_collector *c)
{
    /* Limits are fixed for a container's life: published once, and only when they exist. */
    const char *root = getenv("BRRT_CGROUP_ROOT"); /* tests point this at a fake tree */
    const char *self = getenv("BRRT_PROC_CGROUP");
    double mem, cpu;
    brrt__cgroup_limits(self ? self : "/proc/self/cgroup", root ? root : "/sys/fs/cgroup", &mem, &cpu);
    brrt_gauge g;
    int rc = 0;
    if (mem > 0 && (rc = pm_register(c->seg, PM_MEMORY_LIMIT, &c->mem_limit)) == 0 &&
        (rc = brrt_gauge_get(c->mem_limit, NULL, &g)) == 0)
        brrt_gauge_set(g, mem);
    if (rc == 0 && cpu > 0 && (rc = pm_register(c->seg, PM_CPU_LIMIT, &c->cpu_limit)) == 0 &&
        (rc = brrt_gauge_get(c->cpu_limit, NULL, &g)) == 0)
        brrt_gauge_set(g, cpu);
    return rc;
}

int brrt_process_collector_start(brrt_seg *seg, uint32_t interval_ms, brrt_process_collector **out)
{
    if (!seg || !out)
        return BRRT_E_INVAL;
    brrt_process_collector *c = calloc(1, sizeof *c);
    if (!c)
        return BRRT_E_NOMEM;
    c->seg = seg;
    c->interval_ms = interval_ms;
    pthread_mutex_init(&c->lock, NULL);
    brrt__cond_init_monotonic(&c->cond);
    int rc = 0;
    for (int i = 0; rc == 0 && i < PM_GAUGES; i++) {
        brrt_family *f;
        rc = pm_register(seg, i, &f);
        if (rc == 0)
            rc = brrt_gauge_get(f, NULL, &c->g[i]);
    }
    if (rc == 0)
        rc = limits(c);
    if (rc == 0) {
        brrt_gauge_set(c->g[PM_START_TIME], start_time_seconds());
        brrt_process_collect(c);
    }
    if (rc == 0 && interval_ms > 0) {
        if (pthread_create(&c->thread, NULL, collector_main, c) != 0)
            rc = BRRT_E_SYSTEM;
        else
            c->running = true;
    }
    if (rc) {
        brrt_process_collector_stop(c);
        return rc;
    }
    *out = c;
    return 0;
}

void brrt_process_collector_stop(brrt_process_collector *c)
{
    if (!c)
        return;
    if (c->running) {
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
