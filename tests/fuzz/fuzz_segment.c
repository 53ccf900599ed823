/* Fuzz target: the reader library against arbitrary segment files.
 *
 * Each input is written to a file (mode 0640) in a private directory, then attached, described,
 * snapshotted twice (the second one exercises the incremental directory path), reopened, and
 * every family and series of the snapshot is walked, with quantiles for histograms. Besides
 * "never crash" (ASan/UBSan), the harness checks a few properties and traps when one fails:
 *  - a failed open returns one of the documented codes, with a non-empty `why`, and *out NULL;
 *  - a snapshot's families and series are consistent (indices in range, strings readable,
 *    _count equal to the sum of the Prometheus buckets);
 *  - the exporter's path (BRRT_SNAP_RAW snapshots rendered with a brrt_prom_cache, from the
 *    cache on the later rounds) writes exactly the text of the general path, in both flavors;
 *  - with BRRT_FUZZ_PB (fuzz_segment and fuzz_replay when the exporter is built): the
 *    exporter's protobuf path (pb_render_cached over RAW snapshots, from its per-layout cache
 *    on the second round) writes exactly the bytes of the general protobuf-c path, and they
 *    unpack with protobuf-c.
 *
 * Inputs with FUZZ_SPARSE_HINT in header.flags are extended with a hole to their segment_size
 * (see below): readers must refuse holes in published ranges without faulting them in.
 *
 * Inputs whose header says INITIALIZING would make every attach wait ~50 ms for a writer that
 * never comes (the documented NOT_READY retry); they are validated with
 * brrt_shm_validate_header() directly instead, which covers the same checks without the wait.
 *
 * Built with -fsanitize=fuzzer as fuzz_segment (clang, BRRT_FUZZ=ON), and without libFuzzer
 * into fuzz_replay, which calls LLVMFuzzerTestOneInput on files given on the command line. */
#include "brrtstat/reader.h"
#include "brrtstat/render.h"
#include "brrtstat/shm_layout.h"
#ifdef BRRT_FUZZ_PB
#include "../common/pb_frames.h"
#include "metrics.pb-c.h"
#include "render_pb.h"
#endif

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SPARSE_HINT 0x80000000u /* header.flags bit (reserved, ignored by readers) */

static char fuzz_dir[256];
static char fuzz_file[320];

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_segment: property failed: %s (%s:%d)\n", #cond, __FILE__, \
                    __LINE__);                                                             \
            __builtin_trap();                                                              \
        }                                                                                  \
    } while (0)

static void cleanup(void)
{
    if (fuzz_file[0])
        unlink(fuzz_file);
    if (fuzz_dir[0])
        rmdir(fuzz_dir);
}

/* A private directory: $BRRT_FUZZ_TMPDIR, else /dev/shm (tmpfs, fast), else $TMPDIR or /tmp. */
static void setup(void)
{
    const char *bases[3] = {getenv("BRRT_FUZZ_TMPDIR"), "/dev/shm", getenv("TMPDIR")};
    for (int i = 0; i <= 3 && !fuzz_dir[0]; i++) {
        const char *base = i < 3 ? bases[i] : "/tmp";
        if (!base || !*base)
            continue;
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/brrt-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir))
            fuzz_dir[0] = '\0';
    }
    if (!fuzz_dir[0]) {
        perror("fuzz_segment: mkdtemp");
        abort();
    }
    chmod(fuzz_dir, 0700);
    snprintf(fuzz_file, sizeof fuzz_file, "%s/seg", fuzz_dir);
    atexit(cleanup);
}

static int write_file(const uint8_t *data, size_t size)
{
    int fd = open(fuzz_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0 || fchmod(fd, 0640) != 0) {
        perror("fuzz_segment: open");
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            perror("fuzz_segment: write");
            abort();
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
}

static int is_open_error(int rc)
{
    return rc == BRRT_E_CORRUPT || rc == BRRT_E_TRUNCATED || rc == BRRT_E_VERSION ||
           rc == BRRT_E_ENDIAN || rc == BRRT_E_NOT_READY || rc == BRRT_E_NOMEM;
}

/* Reads every byte a caller may read; volatile sink so nothing is optimised away. */
static volatile size_t sink;

static void touch_string(const char *s)
{
    CHECK(s != NULL);
    sink += strlen(s);
}

static void walk(const struct brrt_snapshot *s)
{
    touch_string(s->info.path);
    CHECK(s->n_families == 0 || s->families != NULL);
    CHECK(s->n_series == 0 || s->series != NULL);
    uint64_t covered = 0;
    for (uint32_t i = 0; i < s->n_families; i++) {
        const struct brrt_snap_family *f = &s->families[i];
        touch_string(f->name);
        touch_string(f->help);
        touch_string(f->unit);
        for (uint32_t k = 0; k < f->nlabels; k++)
            touch_string(f->label_names[k]);
        CHECK(f->nlabels == 0 || f->label_names[f->nlabels] == NULL);
        CHECK((uint64_t)f->first_series + f->n_series <= s->n_series);
        covered += f->n_series;
        CHECK(brrt_snapshot_family(s, f->name) == f);
        bool hist = f->type == BRRT_SHM_HISTOGRAM;
        for (uint32_t k = 0; hist && k < f->n_le; k++)
            sink += isfinite(f->le[k]) ? 1 : 0;
        double err = brrt_hist_relative_error(f);
        sink += isnan(err) ? 0 : 1;
        for (uint32_t j = 0; j < f->n_series; j++) {
            const struct brrt_snap_series *x = &s->series[f->first_series + j];
            CHECK(x->family == i);
            for (uint32_t k = 0; k < f->nlabels; k++)
                touch_string(x->label_values[k]);
            sink += (size_t)x->u64 + (size_t)x->i64 + (x->overflow ? 1 : 0);
            sink += isnan(x->value) ? 1 : 0;
            if (!hist)
                continue;
            uint64_t count = 0;
            for (uint32_t k = 0; k <= f->n_le; k++)
                count += x->le_counts[k];
            CHECK(count == x->count);
            uint64_t fine = 0;
            for (uint32_t k = 0; k < f->n_fine; k++)
                fine += x->fine[k];
            sink += (size_t)fine;
            static const double qs[] = {0.0, 0.5, 0.9, 0.99, 1.0};
            for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
                double q = brrt_hist_quantile(f, x->fine, qs[k]);
                sink += isnan(q) ? 0 : 1;
            }
        }
    }
    CHECK(covered == s->n_series);
}

/* The exporter's path against the general one on the same (unchanging) file. */
static void same_text(brrt_reader *r, const struct brrt_snapshot *full)
{
    struct brrt_prom_cache *cache = brrt_prom_cache_new();
    struct brrt_snapshot *raw = NULL;
    struct brrt_buf want = {0}, got = {0};
    for (int round = 0; cache && round < 4; round++) {
        struct brrt_prom_opts o = {.flavor = round / 2 ? BRRT_PROM_OPENMETRICS : BRRT_PROM_TEXT_004};
        struct brrt_snapshot_opts so = {.what = BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT, .reuse = raw};
        if (brrt_reader_snapshot_opts(r, &so, &raw) != 0)
            break; /* out of memory: raw was consumed and is NULL */
        brrt_buf_reset(&want);
        brrt_buf_reset(&got);
        brrt_render_prometheus(&want, full, &o);
        o.cache = cache;
        brrt_render_prometheus(&got, raw, &o);
        if (!want.failed && !got.failed)
            CHECK(want.len == got.len && (!want.len || memcmp(want.data, got.data, want.len) == 0));
    }
    brrt_buf_free(&want);
    brrt_buf_free(&got);
    brrt_snapshot_free(raw);
    brrt_prom_cache_free(cache);
}

#ifdef BRRT_FUZZ_PB
/* A delimited protobuf body: every message a MetricFamily that protobuf-c unpacks, with at
 * least one metric (families without series are not sent), and nothing after the last. */
static void pb_unpacks(const struct brrt_buf *b)
{
    size_t at = 0, len;
    const uint8_t *msg;
    int rc;
    while ((rc = pb_frame_next(b->data, b->len, &at, &msg, &len)) == 1) {
        Io__Prometheus__Client__MetricFamily *m =
            io__prometheus__client__metric_family__unpack(NULL, len, msg);
        CHECK(m != NULL);
        CHECK(m->n_metric > 0);
        io__prometheus__client__metric_family__free_unpacked(m, NULL);
    }
    CHECK(rc == 0);
}

/* The same for the protobuf exposition: the exporter's path (pb_render_cached over snapshots
 * of what segset.c needs() for protobuf, with a plan cache) writes exactly the bytes of the
 * general protobuf-c path over the full snapshot (the contract of render_pb.h), drops the
 * same series, and its bytes unpack. Round 1 comes from the per-layout parts built in round 0
 * (no rebuild); round 2 adds the segment label, which rebuilds them. */
static void same_pb(brrt_reader *r, const struct brrt_snapshot *full)
{
    struct pb_cache *c = pb_cache_new();
    struct brrt_prom_cache *plan = brrt_prom_cache_new();
    struct brrt_snapshot *raw = NULL;
    struct brrt_buf want = {0}, got = {0};
    const char *names[] = {"seg"};
    uint64_t builds = 0;
    for (int round = 0; c && plan && round < 3; round++) {
        uint32_t d_want = 0, d_got = 0;
        struct brrt_prom_opts o = {.extra_label_name = round == 2 ? "segment" : NULL, .dropped = &d_want};
        struct brrt_snapshot_opts so = {.what = BRRT_SNAP_RAW | BRRT_SNAP_HIST_TEXT | BRRT_SNAP_HIST_FINE, .reuse = raw};
        if (brrt_reader_snapshot_opts(r, &so, &raw) != 0)
            break; /* out of memory: raw was consumed and is NULL */
        brrt_buf_reset(&want);
        brrt_buf_reset(&got);
        pb_render_snapshots(&want, &full, round == 2 ? names : NULL, 1, &o);
        o.cache = plan;
        o.dropped = &d_got;
        pb_render_cached(c, &got, (const struct brrt_snapshot *const *)&raw, round == 2 ? names : NULL, 1, &o);
        if (want.failed || got.failed)
            continue; /* out of memory */
        CHECK(want.len == got.len && (!want.len || memcmp(want.data, got.data, want.len) == 0));
        CHECK(d_want == d_got);
        if (round == 0)
            builds = pb_cache_builds(c);
        else if (round == 1)
            CHECK(pb_cache_builds(c) == builds);
        if (round != 1)
            pb_unpacks(&got);
    }
    brrt_buf_free(&want);
    brrt_buf_free(&got);
    brrt_snapshot_free(raw);
    brrt_prom_cache_free(plan);
    pb_cache_free(c);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_dir[0])
        setup();

    if (size >= sizeof(struct brrt_shm_header)) {
        struct brrt_shm_header h; /* aligned private copy */
        memcpy(&h, data, sizeof h);
        if (h.state == BRRT_SHM_INITIALIZING) {
            struct brrt_shm_layout l;
            char why[256] = "";
            int rc = brrt_shm_validate_header(&h, size, &l, why, sizeof why);
            CHECK(rc == BRRT_E_NOT_READY || (is_open_error(rc) && why[0]));
            return 0;
        }
    }

    write_file(data, size);
    /* Sparse inputs: a header whose reserved flags carry FUZZ_SPARSE_HINT is extended to its
     * segment_size with a hole (ftruncate), so that truncated seeds become files that pass the
     * size checks but have holes where published bytes should be. Bounded to 64 MiB. */
    uint64_t file_size = size;
    if (size >= sizeof(struct brrt_shm_header)) {
        struct brrt_shm_header h;
        memcpy(&h, data, sizeof h);
        if ((h.flags & FUZZ_SPARSE_HINT) && h.segment_size > size && h.segment_size <= (64u << 20) &&
            truncate(fuzz_file, (off_t)h.segment_size) == 0)
            file_size = h.segment_size;
    }
    char why[512];
    memset(why, 0, sizeof why);
    static char not_null;
    brrt_reader *r = (brrt_reader *)&not_null; /* must come back NULL on failure */
    int rc = brrt_reader_open(fuzz_file, &r, why, sizeof why);
    if (rc != 0) {
        if (!is_open_error(rc))
            fprintf(stderr, "fuzz_segment: unexpected open error %s: %s\n", brrt_err_name(rc), why);
        CHECK(is_open_error(rc));
        CHECK(r == NULL);
        CHECK(rc == BRRT_E_NOMEM || why[0] != '\0');
        CHECK(memchr(why, '\0', sizeof why) != NULL);
        return 0;
    }

    struct brrt_reader_info info;
    CHECK(brrt_reader_info(r, &info) == 0);
    touch_string(brrt_writer_state_name(info.state));
    CHECK(info.segment_size == file_size);

    /* The file does not change after a successful open, so neither may the verdict. */
    struct brrt_snapshot *s = NULL;
    rc = brrt_reader_snapshot(r, &s);
    if (rc != 0 && rc != BRRT_E_NOMEM)
        fprintf(stderr, "fuzz_segment: snapshot after a good open: %s: %s\n", brrt_err_name(rc),
                brrt_reader_why(r));
    CHECK(rc == 0 || rc == BRRT_E_NOMEM);
    if (rc == 0) {
        walk(s);
        same_text(r, s);
#ifdef BRRT_FUZZ_PB
        same_pb(r, s);
#endif
        struct brrt_snapshot *s2 = NULL;
        if (brrt_reader_snapshot(r, &s2) == 0) { /* nothing new: the cached directory */
            CHECK(s2->n_series == s->n_series && s2->n_families == s->n_families);
            walk(s2);
            brrt_snapshot_free(s2);
        }
    }

    /* Re-attach to the same file; the old snapshot must stay valid afterwards. */
    rc = brrt_reader_reopen(r);
    if (rc != 0 && rc != BRRT_E_NOMEM)
        fprintf(stderr, "fuzz_segment: reopen after a good open: %s: %s\n", brrt_err_name(rc),
                brrt_reader_why(r));
    CHECK(rc == 0 || rc == BRRT_E_NOMEM);
    if (s) {
        walk(s);
        brrt_snapshot_free(s);
    }
    brrt_reader_close(r);
    return 0;
}
