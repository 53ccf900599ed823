/* brrt-hostile-seg: writes hostile segments for test_hostile.sh, REAL segments made by the
 * writer library and then damaged in the file, as a misbehaving app or a local user could.
 *
 *   brrt-hostile-seg DIR NAME escapes   label values and help text with ESC, BEL, CR, C1
 *   brrt-hostile-seg DIR NAME badentry  one good counter (42), then a family whose name holds
 *                                       terminal escapes (invalid: skipped), then a good gauge
 *   brrt-hostile-seg DIR NAME init      a segment whose state says INITIALIZING forever (a
 *                                       reader retries attaching ~50 ms, then gives up)
 * Closes the segment (state EXITED) and exits 0; prints nothing. */
#include "brrtstat/brrtstat.h"
#include "brrtstat/shm_format.h"

#include <fcntl.h>
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
    if (argc != 4) {
        fprintf(stderr, "usage: brrt-hostile-seg DIR NAME escapes|badentry\n");
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
