/* brrt-hostile-seg: writes hostile segments for test_hostile.sh, REAL segments made by the
 * writer library and then damaged in the file, as a misbehaving app or a local user could.
 *
 *   brrt-hostile-seg DIR NAME escapes   label values and help text with ESC, BEL, CR, C1
 *   brrt-hostile-seg DIR NAME badentry  one good counter (42), then a family whose name holds
 *                                       terminal escapes (invalid: skipped), then a good gauge
 *   brrt-hostile-seg DIR NAME init      a segment whose state says INITIALIZING forever (a
 *                                       reader retries attaching ~50 ms, then gives up)
 *   brrt-hostile-seg DIR NAME clash SECONDS
 *                                       families the writer refuses, made by renaming valid
 *                                       ones in the file (same length): histogram hx next to
 *                                       gauge hx_count, counter jobs_total next to counter
 *                                       jobs, counter reqs next to gauge reqs_created, a gauge
 *                                       brrtstat_segment_up, a gauge
 *                                       brrtstat_exporter_build_info; sampled counters at -5 and NaN;
 *                                       an 80-byte unit; ok_total 1. Stays open SECONDS.
 *   brrt-hostile-seg DIR NAME counters SECONDS
 *                                       nothing hostile: counters named with and without
 *                                       _total (plain_events{kind} 3 and 4, plain_jobs_total 5,
 *                                       sampled plain_busy_seconds 1.5 and
 *                                       plain_cpu_seconds_total 2.5) and a histogram
 *                                       plain_seconds (one 0.5), for the exposition names of
 *                                       each format. Stays open SECONDS.
 * Closes the segment (state EXITED) and exits 0; prints nothing. */
#include "brrtstat/brrtstat.h"
#include "brrtstat/shm_format.h"

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MUST(call)                                                                         \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ != 0) {                                                                    \
            fprintf(stderr, "brrt-hostile-seg: %s: %s (line %d)\n", #call, brrt_err_name(rc_), \
                    __LINE__);                                                             \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static brrt_family *reg(brrt_seg *seg, const char *name, const char *help, enum brrt_type t,
                        const char *const *labels, uint32_t nlabels)
{
    struct brrt_metric_def d = {.name = name, .help = help, .type = t, .label_names = labels,
                                .nlabels = nlabels};
    brrt_family *f;
    MUST(brrt_family_register(seg, &d, &f));
    return f;
}

/* Overwrites the bytes of family entry `index`'s name string with `bytes` (same length). */
static void poke_name(const char *path, uint32_t index, const char *bytes)
{
    int fd = open(path, O_RDWR);
    struct brrt_shm_header h;
    struct brrt_shm_entry e;
    uint32_t len;
    if (fd < 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        pread(fd, &e, sizeof e, (off_t)(h.dir_offset + (uint64_t)index * sizeof e)) != (ssize_t)sizeof e ||
        pread(fd, &len, 4, (off_t)(h.arena_offset + e.name)) != 4 || len != strlen(bytes) ||
        pwrite(fd, bytes, len, (off_t)(h.arena_offset + e.name + 4)) != (ssize_t)len) {
        fprintf(stderr, "brrt-hostile-seg: cannot patch %s\n", path);
        exit(1);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: brrt-hostile-seg DIR NAME escapes|badentry|init|clash SECONDS|counters SECONDS\n");
        return 2;
    }
    struct brrt_seg_opts o;
    brrt_seg_opts_init(&o);
    o.dir = argv[1];
    o.max_shards = 4;
    o.shard_bytes = 4096;
    o.max_entries = 64;
    o.arena_bytes = 16384;
    o.heartbeat_ms = 0;
    brrt_seg *seg;
    MUST(brrt_seg_create(argv[2], &o, &seg));
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", argv[1], argv[2]);
    static const char *const lbl[] = {"who"};
    if (strcmp(argv[3], "escapes") == 0) {
        brrt_family *f = reg(seg, "hostile_events_total", "Help with \x1b]0;title\x07 and \x1b[2J.",
                             BRRT_COUNTER, lbl, 1);
        brrt_counter c;
        MUST(brrt_counter_get(f, BRRT_LABELS("red\x1b[31m bell\x07 cr\r c1\xc2\x9b end"), &c));
        brrt_counter_add(c, 5);
    } else if (strcmp(argv[3], "badentry") == 0) {
        brrt_counter c;
        MUST(brrt_counter_get(reg(seg, "good_total", "Good.", BRRT_COUNTER, NULL, 0), NULL, &c));
        brrt_counter_add(c, 42);
        reg(seg, "evil_names_total", "Evil.", BRRT_COUNTER, NULL, 0);
        brrt_gauge g;
        MUST(brrt_gauge_get(reg(seg, "after_bad", "Published after the bad entry.", BRRT_GAUGE, NULL, 0),
                            NULL, &g));
        brrt_gauge_set(g, 7);
        poke_name(path, 2, "evil\x1b[2J\x07names_t"); /* entry 0 good, 1 its series, 2 evil */
    } else if (strcmp(argv[3], "clash") == 0) {
        static const double le[] = {1, 2};
        struct brrt_metric_def hd = {.name = "hx", .help = "H.", .type = BRRT_HISTOGRAM, .le = le, .n_le = 2};
        brrt_family *hf;
        brrt_histogram h;
        MUST(brrt_family_register(seg, &hd, &hf));
        MUST(brrt_histogram_get(hf, NULL, &h));
        brrt_histogram_observe(h, 1.5);
        brrt_gauge g;
        brrt_counter c;
        MUST(brrt_gauge_get(reg(seg, "hx_coun1", "Clashes with hx.", BRRT_GAUGE, NULL, 0), NULL, &g));
        MUST(brrt_counter_get(reg(seg, "jobs_total", "Jobs.", BRRT_COUNTER, NULL, 0), NULL, &c));
        MUST(brrt_counter_get(reg(seg, "jobz", "Clashes with jobs_total.", BRRT_COUNTER, NULL, 0), NULL, &c));
        MUST(brrt_counter_get(reg(seg, "reqs", "Requests.", BRRT_COUNTER, NULL, 0), NULL, &c));
        MUST(brrt_gauge_get(reg(seg, "reqs_createx", "Clashes with reqs.", BRRT_GAUGE, NULL, 0), NULL, &g));
        MUST(brrt_gauge_get(reg(seg, "xrrtstat_segment_up", "The exporter's.", BRRT_GAUGE, NULL, 0), NULL, &g));
        MUST(brrt_gauge_get(reg(seg, "xrrtstat_exporter_build_info", "The exporter's.", BRRT_GAUGE, NULL, 0),
                            NULL, &g));
        MUST(brrt_gauge_get(reg(seg, "neg_seconds_total", "Sampled, negative.", BRRT_COUNTER_SAMPLED, NULL, 0),
                            NULL, &g));
        brrt_gauge_set(g, -5);
        MUST(brrt_gauge_get(reg(seg, "nan_seconds_total", "Sampled, NaN.", BRRT_COUNTER_SAMPLED, NULL, 0),
                            NULL, &g));
        brrt_gauge_set(g, NAN);
        char unit[81], name[90];
        memset(unit, 'a', 80);
        unit[80] = '\0';
        snprintf(name, sizeof name, "m_%.78s", unit); /* ends with all but 2 bytes of "_" unit */
        struct brrt_metric_def ud = {.name = name, .help = "Long unit.", .unit = unit, .type = BRRT_GAUGE};
        brrt_family *uf;
        MUST(brrt_family_register(seg, &ud, &uf));
        MUST(brrt_gauge_get(uf, NULL, &g));
        brrt_gauge_set(g, 1);
        MUST(brrt_counter_get(reg(seg, "ok_total", "Fine.", BRRT_COUNTER, NULL, 0), NULL, &c));
        brrt_counter_inc(c);
        /* Entries: hx 0, its series 1, hx_coun1 2, 3, jobs_total 4, 5, jobz 6, 7, reqs 8, 9,
         * reqs_createx 10, 11, xrrtstat_segment_up 12, 13, xrrtstat_exporter_build_info 14, 15. */
        poke_name(path, 2, "hx_count");
        poke_name(path, 6, "jobs");
        poke_name(path, 10, "reqs_created");
        poke_name(path, 12, "brrtstat_segment_up");
        poke_name(path, 14, "brrtstat_exporter_build_info");
        sleep(argc == 5 ? (unsigned)atoi(argv[4]) : 0);
    } else if (strcmp(argv[3], "counters") == 0) {
        static const char *const kind[] = {"kind"};
        brrt_family *ev = reg(seg, "plain_events", "Events, a counter named without _total.", BRRT_COUNTER, kind, 1);
        brrt_counter c;
        MUST(brrt_counter_get(ev, BRRT_LABELS("a"), &c));
        brrt_counter_add(c, 3);
        MUST(brrt_counter_get(ev, BRRT_LABELS("b"), &c));
        brrt_counter_add(c, 4);
        MUST(brrt_counter_get(reg(seg, "plain_jobs_total", "Jobs.", BRRT_COUNTER, NULL, 0), NULL, &c));
        brrt_counter_add(c, 5);
        brrt_gauge g;
        MUST(brrt_gauge_get(reg(seg, "plain_busy_seconds", "Sampled, without _total.", BRRT_COUNTER_SAMPLED, NULL, 0),
                            NULL, &g));
        brrt_gauge_set(g, 1.5);
        MUST(brrt_gauge_get(reg(seg, "plain_cpu_seconds_total", "Sampled.", BRRT_COUNTER_SAMPLED, NULL, 0), NULL, &g));
        brrt_gauge_set(g, 2.5);
        static const double le[] = {1};
        struct brrt_metric_def hd = {.name = "plain_seconds", .help = "A histogram.", .type = BRRT_HISTOGRAM,
                                     .le = le, .n_le = 1};
        brrt_family *hf;
        brrt_histogram h;
        MUST(brrt_family_register(seg, &hd, &hf));
        MUST(brrt_histogram_get(hf, NULL, &h));
        brrt_histogram_observe(h, 0.5);
        sleep(argc == 5 ? (unsigned)atoi(argv[4]) : 0);
    } else if (strcmp(argv[3], "init") == 0) {
        MUST(brrt_seg_close(seg, 0));
        uint32_t state = BRRT_SHM_INITIALIZING;
        int fd = open(path, O_RDWR);
        if (fd < 0 || pwrite(fd, &state, sizeof state, offsetof(struct brrt_shm_header, state)) != sizeof state) {
            fprintf(stderr, "brrt-hostile-seg: cannot patch %s\n", path);
            return 1;
        }
        close(fd);
        return 0;
    } else {
        fprintf(stderr, "brrt-hostile-seg: unknown kind %s\n", argv[3]);
        return 2;
    }
    MUST(brrt_seg_close(seg, 0));
    return 0;
}
