/* Corrupt segments: every test builds a REAL segment with the writer, copies it, damages the
 * copy in one specific way and checks that the reader refuses it with the specific error code
 * and a `why` that names the problem. The undamaged copy is opened first in every test (and
 * checked value by value in test_control_ok), so each failure is caused by the damage alone.
 *
 * Fields are located with offsetof() on the format structs and by reading the header and the
 * directory back from the file, never by hard-coded file offsets. */
#include "fixture.h"

#include "brrtstat/shm_format.h"
#include "brrtstat/shm_layout.h"
#include "reader_tests.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COUNTER "brrt_test_requests_total"
#define GAUGE "brrt_test_temperature_celsius"
#define HISTOGRAM "brrt_test_request_duration_seconds"

static const double PROM_LE[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_PROM_LE (sizeof PROM_LE / sizeof PROM_LE[0])

/* One test's files: the writer's segment, its copy (the one we damage) and the copy's header
 * as it was before any damage. */
struct segfiles {
    char good[512];
    char bad[512];
    struct brrt_shm_header h;
};

/* ---- building and inspecting a real segment -------------------------------------------- */

static void make_segment(const char *name)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg = NULL;
    ck_assert_int_eq(brrt_seg_create(name, &o, &seg), 0);

    static const char *const counter_labels[] = {"path", "code"};
    struct brrt_metric_def cdef = {.name = COUNTER, .help = "Requests served.", .type = BRRT_COUNTER,
                                   .label_names = counter_labels, .nlabels = 2};
    struct brrt_metric_def gdef = {.name = GAUGE, .help = "Temperature.", .unit = "celsius",
                                   .type = BRRT_GAUGE};
    static const char *const hist_labels[] = {"method"};
    struct brrt_metric_def hdef = {.name = HISTOGRAM, .help = "Request duration.", .unit = "seconds",
                                   .type = BRRT_HISTOGRAM, .label_names = hist_labels, .nlabels = 1,
                                   .scale = 1e-9, .le = PROM_LE, .n_le = N_PROM_LE};
    brrt_family *cf, *gf, *hf;
    ck_assert_int_eq(brrt_family_register(seg, &cdef, &cf), 0);
    ck_assert_int_eq(brrt_family_register(seg, &gdef, &gf), 0);
    ck_assert_int_eq(brrt_family_register(seg, &hdef, &hf), 0);

    brrt_counter ok, err;
    brrt_gauge temp;
    brrt_histogram get;
    ck_assert_int_eq(brrt_counter_get(cf, BRRT_LABELS("/pets", "200"), &ok), 0);
    ck_assert_int_eq(brrt_counter_get(cf, BRRT_LABELS("/pets", "500"), &err), 0);
    ck_assert_int_eq(brrt_gauge_get(gf, NULL, &temp), 0);
    ck_assert_int_eq(brrt_histogram_get(hf, BRRT_LABELS("GET"), &get), 0);

    brrt_counter_add(ok, 5);
    brrt_counter_add(err, 2);
    brrt_counter_inc(err);
    brrt_gauge_set(temp, 21.5);
    brrt_histogram_observe(get, 0.003); /* le 0.005 */
    brrt_histogram_observe(get, 0.02);  /* le 0.025 */
    brrt_histogram_observe(get, 0.7);   /* le 1 */
    brrt_histogram_observe(get, 20.0);  /* +Inf */
    ck_assert_int_eq(brrt_seg_close(seg, 0), 0);
}

static void read_header(const char *path, struct brrt_shm_header *h)
{
    ck_assert_int_eq(fx_pread(path, h, sizeof *h, 0), 0);
}

static void read_entry(const struct segfiles *sf, uint32_t i, struct brrt_shm_entry *e)
{
    ck_assert_uint_lt(i, sf->h.dir_count);
    ck_assert_int_eq(fx_pread(sf->bad, e, sizeof *e, (long)(sf->h.dir_offset + (uint64_t)i * sizeof *e)),
                     0);
}

/* The string at arena reference `ref`: u32 length, the bytes, a NUL (shm_format.h). */
static void read_string(const struct segfiles *sf, brrt_shm_ref ref, char *buf, size_t buflen)
{
    uint32_t len;
    ck_assert_int_eq(fx_pread(sf->bad, &len, sizeof len, (long)(sf->h.arena_offset + ref)), 0);
    ck_assert_uint_lt(len, buflen);
    ck_assert_int_eq(fx_pread(sf->bad, buf, len, (long)(sf->h.arena_offset + ref + 4)), 0);
    buf[len] = '\0';
}

static uint32_t find_family(const struct segfiles *sf, const char *name)
{
    for (uint32_t i = 0; i < sf->h.dir_count; i++) {
        struct brrt_shm_entry e;
        char buf[256];
        read_entry(sf, i, &e);
        if (e.kind != BRRT_SHM_FAMILY)
            continue;
        read_string(sf, e.name, buf, sizeof buf);
        if (strcmp(buf, name) == 0)
            return i;
    }
    ck_abort_msg("family %s not found in %s", name, sf->bad);
    return UINT32_MAX;
}

/* Directory index of the nth (0-based, directory order) series of family `name`. */
static uint32_t find_series(const struct segfiles *sf, const char *name, uint32_t nth)
{
    uint32_t fam = find_family(sf, name);
    for (uint32_t i = 0; i < sf->h.dir_count; i++) {
        struct brrt_shm_entry e;
        read_entry(sf, i, &e);
        if (e.kind == BRRT_SHM_SERIES && e.family == fam && nth-- == 0)
            return i;
    }
    ck_abort_msg("series %u of %s not found", nth, name);
    return UINT32_MAX;
}

static long entry_field_off(const struct segfiles *sf, uint32_t i, size_t field_off)
{
    return (long)(sf->h.dir_offset + (uint64_t)i * sizeof(struct brrt_shm_entry) + field_off);
}

/* Overwrite one field of the damaged copy's header / of one of its directory entries, with a
 * value of exactly the field's type. */
#define HDR_POKE(sf, field, val)                                                           \
    do {                                                                                   \
        __typeof__(((struct brrt_shm_header *)0)->field) v_ = (val);                       \
        ck_assert_int_eq(fx_pwrite((sf)->bad, &v_, sizeof v_,                              \
                                   (long)offsetof(struct brrt_shm_header, field)),         \
                         0);                                                               \
    } while (0)

#define ENTRY_POKE(sf, i, field, val)                                                      \
    do {                                                                                   \
        __typeof__(((struct brrt_shm_entry *)0)->field) v_ = (val);                        \
        ck_assert_int_eq(fx_pwrite((sf)->bad, &v_, sizeof v_,                              \
                                   entry_field_off((sf), (i),                              \
                                                   offsetof(struct brrt_shm_entry, field))), \
                         0);                                                               \
    } while (0)

/* ---- expectations ------------------------------------------------------------------------ */

static void expect_open_ok(const char *path)
{
    char why[512] = "";
    brrt_reader *r = NULL;
    int rc = brrt_reader_open(path, &r, why, sizeof why);
    ck_assert_msg(rc == 0, "control: open(%s) = %s: %s", path, brrt_err_name(rc), why);
    struct brrt_snapshot *s = NULL;
    rc = brrt_reader_snapshot(r, &s);
    ck_assert_msg(rc == 0, "control: snapshot(%s) = %s: %s", path, brrt_err_name(rc),
                  brrt_reader_why(r));
    ck_assert_uint_eq(s->n_families, 3);
    ck_assert_uint_eq(s->n_series, 4);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
}

static void expect_open_fails_(int line, const char *path, int code, const char *needle)
{
    char why[512];
    memset(why, 0, sizeof why);
    brrt_reader *r = (brrt_reader *)&why; /* must be reset to NULL on failure */
    int rc = brrt_reader_open(path, &r, why, sizeof why);
    if (rc == 0)
        brrt_reader_close(r);
    ck_assert_msg(rc == code, "line %d: open(%s) = %s, expected %s (why: \"%s\")", line, path,
                  brrt_err_name(rc), brrt_err_name(code), why);
    ck_assert_msg(r == NULL, "line %d: *out not NULL after a failed open", line);
    ck_assert_msg(why[0] != '\0', "line %d: empty why for %s", line, brrt_err_name(code));
    ck_assert_msg(memchr(why, '\0', sizeof why) != NULL, "line %d: why not terminated", line);
    ck_assert_msg(strcasestr(why, needle) != NULL, "line %d: why \"%s\" does not mention \"%s\"",
                  line, why, needle);
}

#define expect_open_fails(path, code, needle) expect_open_fails_(__LINE__, path, code, needle)

/* A bad directory entry does not make the segment unreadable: the entry is skipped (with the
 * series of a skipped family) and counted, the reason names it, and every published entry is
 * either served or counted as skipped. */
static void expect_skipped_(int line, const struct segfiles *sf, const char *needle)
{
    char why[512] = "";
    brrt_reader *r = NULL;
    int rc = brrt_reader_open(sf->bad, &r, why, sizeof why);
    ck_assert_msg(rc == 0, "line %d: open(%s) = %s: %s", line, sf->bad, brrt_err_name(rc), why);
    struct brrt_snapshot *s = NULL;
    rc = brrt_reader_snapshot(r, &s);
    ck_assert_msg(rc == 0, "line %d: snapshot = %s: %s", line, brrt_err_name(rc), brrt_reader_why(r));
    const char *skipped = brrt_reader_skipped_why(r);
    ck_assert_msg(s->info.skipped_entries >= 1 && skipped, "line %d: nothing skipped", line);
    ck_assert_msg(strcasestr(skipped, needle) != NULL, "line %d: skipped why \"%s\" does not mention \"%s\"",
                  line, skipped, needle);
    ck_assert_msg(strncmp(skipped, "directory entry ", 16) == 0, "line %d: \"%s\" names no entry", line,
                  skipped);
    struct brrt_shm_header now;
    read_header(sf->bad, &now);
    uint32_t count = now.dir_count;
    ck_assert_msg(s->n_families + s->n_series + s->info.skipped_entries == count,
                  "line %d: %u families + %u series + %u skipped != %u entries", line, s->n_families,
                  s->n_series, s->info.skipped_entries, count);
    /* Parsed once: more snapshots neither count it again nor parse anything. */
    struct rd_work w0, w1;
    rd_work_of(r, &w0);
    for (int i = 0; i < 3; i++) {
        struct brrt_snapshot *t = NULL;
        ck_assert_int_eq(brrt_reader_snapshot(r, &t), 0);
        ck_assert_uint_eq(t->info.skipped_entries, s->info.skipped_entries);
        brrt_snapshot_free(t);
    }
    rd_work_of(r, &w1);
    ck_assert_uint_eq(w1.entries_parsed, w0.entries_parsed);
    ck_assert_uint_eq(w1.dir_bytes, w0.dir_bytes);
    brrt_snapshot_free(s);
    brrt_reader_close(r);
}

#define expect_skipped(sf, needle) expect_skipped_(__LINE__, sf, needle)

/* Writer segment `name`, copied to `name`-bad; the copy is opened once undamaged. */
static void prepare(const char *name, struct segfiles *sf)
{
    make_segment(name);
    snprintf(sf->good, sizeof sf->good, "%s", fx_path(name));
    snprintf(sf->bad, sizeof sf->bad, "%s-bad", fx_path(name));
    ck_assert_int_eq(fx_copy(sf->good, sf->bad), 0);
    expect_open_ok(sf->bad);
    read_header(sf->bad, &sf->h);
    ck_assert_uint_eq(sf->h.state, BRRT_SHM_CLOSED);
    ck_assert_uint_eq(sf->h.dir_count, 7); /* 3 families + 4 series */
}

/* Undo all damage: a fresh copy of the good file. */
static void recopy(struct segfiles *sf)
{
    ck_assert_int_eq(fx_copy(sf->good, sf->bad), 0);
}

/* ---- positive control ---------------------------------------------------------------------- */

START_TEST(test_control_ok)
{
    struct segfiles sf;
    prepare("control", &sf);
    char why[512] = "";
    brrt_reader *r = NULL;
    /* By path, and by name through BRRT_STAT_DIR. */
    ck_assert_int_eq(brrt_reader_open("control", &r, why, sizeof why), 0);
    brrt_reader_close(r);
    ck_assert_int_eq(brrt_reader_open(sf.bad, &r, why, sizeof why), 0);

    struct brrt_reader_info info;
    ck_assert_int_eq(brrt_reader_info(r, &info), 0);
    ck_assert_int_eq(info.state, BRRT_WRITER_EXITED);
    ck_assert_uint_eq(info.generation, 1);
    ck_assert_uint_eq(info.families, 3);
    ck_assert_uint_eq(info.series, 4);

    struct brrt_snapshot *s = NULL;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    const struct brrt_snap_series *x = fx_series(s, COUNTER, BRRT_LABELS("/pets", "200"));
    ck_assert_ptr_nonnull(x);
    ck_assert_uint_eq(x->u64, 5);
    ck_assert_double_eq(x->value, 5.0);
    x = fx_series(s, COUNTER, BRRT_LABELS("/pets", "500"));
    ck_assert_ptr_nonnull(x);
    ck_assert_uint_eq(x->u64, 3);
    x = fx_series(s, GAUGE, NULL);
    ck_assert_ptr_nonnull(x);
    ck_assert_double_eq(x->value, 21.5);

    const struct brrt_snap_family *f = brrt_snapshot_family(s, HISTOGRAM);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->type, BRRT_SHM_HISTOGRAM);
    ck_assert_uint_eq(f->n_le, N_PROM_LE);
    for (uint32_t i = 0; i < N_PROM_LE; i++)
        ck_assert_double_eq(f->le[i], PROM_LE[i]);
    x = fx_series(s, HISTOGRAM, BRRT_LABELS("GET"));
    ck_assert_ptr_nonnull(x);
    ck_assert_uint_eq(x->count, 4);
    ck_assert_uint_eq(x->le_counts[0], 1);          /* 0.003 <= 0.005 */
    ck_assert_uint_eq(x->le_counts[2], 1);          /* 0.02 in (0.01, 0.025] */
    ck_assert_uint_eq(x->le_counts[7], 1);          /* 0.7 in (0.5, 1] */
    ck_assert_uint_eq(x->le_counts[N_PROM_LE], 1);  /* 20 in (10, +Inf) */
    ck_assert_double_eq_tol(x->sum, 20.723, 1e-6);
    double q = brrt_hist_quantile(f, x->fine, 0.5); /* the 2nd of 4: 0.02 */
    ck_assert_double_eq_tol(q, 0.02, 0.02 * brrt_hist_relative_error(f));
    brrt_snapshot_free(s);
    brrt_reader_close(r);
}
END_TEST

/* ---- file size ----------------------------------------------------------------------------- */

START_TEST(test_empty_file)
{
    struct segfiles sf;
    prepare("empty", &sf);
    ck_assert_int_eq(truncate(sf.bad, 0), 0);
    expect_open_fails(sf.bad, BRRT_E_TRUNCATED, "smaller");
}
END_TEST

START_TEST(test_truncated_below_header)
{
    struct segfiles sf;
    prepare("short", &sf);
    ck_assert_int_eq(truncate(sf.bad, (off_t)offsetof(struct brrt_shm_header, dir_offset)), 0);
    expect_open_fails(sf.bad, BRRT_E_TRUNCATED, "smaller");
    recopy(&sf);
    ck_assert_int_eq(truncate(sf.bad, (off_t)sizeof(struct brrt_shm_header) - 1), 0);
    expect_open_fails(sf.bad, BRRT_E_TRUNCATED, "smaller");
}
END_TEST

START_TEST(test_truncated_mid_file)
{
    struct segfiles sf;
    prepare("midfile", &sf);
    ck_assert_uint_lt(sf.h.shard_offset, sf.h.segment_size);
    ck_assert_int_eq(truncate(sf.bad, (off_t)sf.h.shard_offset), 0);
    /* The reason names both sizes: "header says N bytes but the file has M". */
    expect_open_fails(sf.bad, BRRT_E_TRUNCATED, "but the file has");
    recopy(&sf);
    ck_assert_int_eq(truncate(sf.bad, (off_t)sf.h.segment_size - 1), 0);
    expect_open_fails(sf.bad, BRRT_E_TRUNCATED, "but the file has");
}
END_TEST

START_TEST(test_file_longer_than_segment)
{
    struct segfiles sf;
    prepare("longer", &sf);
    ck_assert_int_eq(truncate(sf.bad, (off_t)sf.h.segment_size + 4096), 0);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "does not match file size");
}
END_TEST

/* ---- identity --------------------------------------------------------------------------- */

START_TEST(test_bad_magic)
{
    struct segfiles sf;
    prepare("magic", &sf);
    ck_assert_int_eq(fx_pwrite(sf.bad, "BRRTSTAX", BRRT_SHM_MAGIC_LEN,
                               (long)offsetof(struct brrt_shm_header, magic)),
                     0);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "magic");
}
END_TEST

START_TEST(test_wrong_abi_major)
{
    struct segfiles sf;
    prepare("abi", &sf);
    HDR_POKE(&sf, abi_major, BRRT_SHM_ABI_MAJOR + 1);
    expect_open_fails(sf.bad, BRRT_E_VERSION, "ABI");
    /* Another minor is fine (additive changes only). */
    recopy(&sf);
    HDR_POKE(&sf, abi_minor, BRRT_SHM_ABI_MINOR + 7);
    expect_open_ok(sf.bad);
}
END_TEST

START_TEST(test_byte_swapped)
{
    struct segfiles sf;
    prepare("endian", &sf);
    ck_assert_uint_eq(sf.h.byte_order, BRRT_SHM_BYTE_ORDER);
    HDR_POKE(&sf, byte_order, __builtin_bswap32(BRRT_SHM_BYTE_ORDER));
    expect_open_fails(sf.bad, BRRT_E_ENDIAN, "byte-order");
}
END_TEST

START_TEST(test_bad_header_and_entry_size)
{
    struct segfiles sf;
    prepare("hdrsize", &sf);
    HDR_POKE(&sf, header_size, BRRT_SHM_HEADER_SIZE + 64);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "header_size");
    recopy(&sf);
    HDR_POKE(&sf, entry_size, BRRT_SHM_ENTRY_SIZE / 2);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "entry_size");
}
END_TEST

START_TEST(test_unknown_state)
{
    struct segfiles sf;
    prepare("state", &sf);
    HDR_POKE(&sf, state, BRRT_SHM_CLOSED + 1);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "unknown state");
}
END_TEST

START_TEST(test_initializing_state)
{
    struct segfiles sf;
    prepare("initializing", &sf);
    HDR_POKE(&sf, state, BRRT_SHM_INITIALIZING);
    expect_open_fails(sf.bad, BRRT_E_NOT_READY, "initialising");
}
END_TEST

/* ---- geometry -------------------------------------------------------------------------- */

START_TEST(test_dir_offset_outside)
{
    struct segfiles sf;
    prepare("diroff", &sf);
    HDR_POKE(&sf, dir_offset, sf.h.segment_size); /* aligned, but the directory is past the end */
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
    recopy(&sf);
    HDR_POKE(&sf, dir_offset, UINT64_MAX & ~(uint64_t)(BRRT_SHM_LINE - 1)); /* offset + size wraps */
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
    recopy(&sf);
    HDR_POKE(&sf, dir_capacity, UINT32_MAX); /* directory larger than the file */
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
}
END_TEST

START_TEST(test_arena_offset_outside)
{
    struct segfiles sf;
    prepare("arenaoff", &sf);
    HDR_POKE(&sf, arena_offset, sf.h.segment_size);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
    recopy(&sf);
    HDR_POKE(&sf, arena_capacity, sf.h.segment_size);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
}
END_TEST

START_TEST(test_shard_offset_outside)
{
    struct segfiles sf;
    prepare("shardoff", &sf);
    HDR_POKE(&sf, shard_offset, sf.h.segment_size);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
    recopy(&sf);
    HDR_POKE(&sf, shard_capacity, sf.h.shard_capacity + 1);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
    recopy(&sf);
    HDR_POKE(&sf, shard_stride, (uint64_t)1 << 62); /* capacity * stride overflows */
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "outside");
}
END_TEST

/* ---- publication counters ----------------------------------------------------------------- */

START_TEST(test_dir_count_over_capacity)
{
    struct segfiles sf;
    prepare("dircount", &sf);
    HDR_POKE(&sf, dir_count, sf.h.dir_capacity + 1);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "dir_count");
}
END_TEST

START_TEST(test_arena_used_over_capacity)
{
    struct segfiles sf;
    prepare("arenaused", &sf);
    HDR_POKE(&sf, arena_used, sf.h.arena_capacity + 8);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "arena_used");
}
END_TEST

START_TEST(test_shards_and_shard_bytes_over_capacity)
{
    struct segfiles sf;
    prepare("shardused", &sf);
    HDR_POKE(&sf, shards_used, sf.h.shard_capacity + 1);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "shards_used");
    recopy(&sf);
    HDR_POKE(&sf, shard_bytes_used, sf.h.shard_stride + 8);
    expect_open_fails(sf.bad, BRRT_E_CORRUPT, "shard_bytes_used");
}
END_TEST

/* ---- directory entries ------------------------------------------------------------------- */

START_TEST(test_string_ref_outside_arena_used)
{
    struct segfiles sf;
    prepare("strref", &sf);
    uint32_t fam = find_family(&sf, COUNTER);
    /* Past what is published, but still inside the arena's capacity. */
    brrt_shm_ref past = (brrt_shm_ref)brrt_shm_align(sf.h.arena_used + 64, 4);
    ck_assert_uint_lt(past, sf.h.arena_capacity);
    ENTRY_POKE(&sf, fam, name, past);
    expect_skipped(&sf, "out of bounds");
    /* The length word is inside, the bytes are not. */
    recopy(&sf);
    ENTRY_POKE(&sf, fam, help, (brrt_shm_ref)(brrt_shm_align(sf.h.arena_used, 4) - 4));
    expect_skipped(&sf, "out of bounds");
    /* Way outside: offset + length must not wrap. */
    recopy(&sf);
    ENTRY_POKE(&sf, fam, unit, (brrt_shm_ref)(UINT32_MAX & ~3u));
    expect_skipped(&sf, "out of bounds");
    /* A series' label value array. */
    recopy(&sf);
    ENTRY_POKE(&sf, find_series(&sf, COUNTER, 1), labels, past);
    expect_skipped(&sf, "out of bounds");
}
END_TEST

START_TEST(test_series_family_self_loop)
{
    struct segfiles sf;
    prepare("loopself", &sf);
    uint32_t s = find_series(&sf, COUNTER, 0);
    ENTRY_POKE(&sf, s, family, s);
    expect_skipped(&sf, "loop");
}
END_TEST

START_TEST(test_series_family_later_entry)
{
    struct segfiles sf;
    prepare("looplater", &sf);
    uint32_t s = find_series(&sf, COUNTER, 0);
    ck_assert_uint_lt(s + 1, sf.h.dir_count);
    ENTRY_POKE(&sf, s, family, s + 1); /* a published, later entry */
    expect_skipped(&sf, "loop");
    recopy(&sf);
    ENTRY_POKE(&sf, s, family, sf.h.dir_capacity + 5); /* beyond the directory altogether */
    expect_skipped(&sf, "loop");
}
END_TEST

START_TEST(test_series_family_is_series)
{
    struct segfiles sf;
    prepare("loopseries", &sf);
    uint32_t first = find_series(&sf, COUNTER, 0);
    uint32_t second = find_series(&sf, COUNTER, 1);
    ck_assert_uint_lt(first, second);
    ENTRY_POKE(&sf, second, family, first); /* earlier, but a series, not a family */
    expect_skipped(&sf, "loop");
}
END_TEST

START_TEST(test_family_entry_not_itself)
{
    struct segfiles sf;
    prepare("famself", &sf);
    uint32_t fam = find_family(&sf, GAUGE);
    ck_assert_uint_gt(fam, 0);
    ENTRY_POKE(&sf, fam, family, fam - 1);
    expect_skipped(&sf, "itself");
}
END_TEST

START_TEST(test_unknown_entry_kind)
{
    struct segfiles sf;
    prepare("kind", &sf);
    ENTRY_POKE(&sf, find_series(&sf, GAUGE, 0), kind, 7);
    expect_skipped(&sf, "unknown kind");
}
END_TEST

START_TEST(test_value_offset_outside)
{
    struct segfiles sf;
    prepare("valueoff", &sf);
    uint32_t s = find_series(&sf, COUNTER, 1);
    ENTRY_POKE(&sf, s, value_offset, brrt_shm_align(sf.h.shard_bytes_used, 8));
    expect_skipped(&sf, "outside");
    recopy(&sf);
    ENTRY_POKE(&sf, s, value_offset, UINT64_MAX & ~(uint64_t)7); /* offset + size wraps */
    expect_skipped(&sf, "outside");
    /* A histogram whose area would end past shard_bytes_used. */
    recopy(&sf);
    uint32_t h = find_series(&sf, HISTOGRAM, 0);
    ENTRY_POKE(&sf, h, value_size, 2 * sf.h.shard_bytes_used);
    expect_skipped(&sf, "value_size"); /* the real cause, not "outside the shard area" */
}
END_TEST

START_TEST(test_label_value_bad_utf8)
{
    struct segfiles sf;
    prepare("utf8", &sf);
    uint32_t s = find_series(&sf, COUNTER, 0);
    struct brrt_shm_entry e;
    read_entry(&sf, s, &e);
    ck_assert_uint_eq(e.nlabels, 2);
    brrt_shm_ref refs[2];
    ck_assert_int_eq(fx_pread(sf.bad, refs, sizeof refs, (long)(sf.h.arena_offset + e.labels)), 0);
    char buf[64];
    read_string(&sf, refs[0], buf, sizeof buf);
    ck_assert_str_eq(buf, "/pets");
    /* Same length, but an overlong encoding of '/' (C0 AF) in place of "/p". */
    static const unsigned char overlong[2] = {0xC0, 0xAF};
    ck_assert_int_eq(fx_pwrite(sf.bad, overlong, sizeof overlong, (long)(sf.h.arena_offset + refs[0] + 4)),
                     0);
    expect_skipped(&sf, "UTF-8");
    /* A lone continuation byte. */
    recopy(&sf);
    ck_assert_int_eq(fx_pwrite(sf.bad, "\x80", 1, (long)(sf.h.arena_offset + refs[1] + 4)), 0);
    expect_skipped(&sf, "UTF-8");
}
END_TEST

/* Two series of one family with the same label set: one time series twice. */
START_TEST(test_duplicate_label_set)
{
    struct segfiles sf;
    prepare("dup", &sf);
    struct brrt_shm_entry first;
    read_entry(&sf, find_series(&sf, COUNTER, 0), &first);
    ENTRY_POKE(&sf, find_series(&sf, COUNTER, 1), labels, first.labels);
    expect_skipped(&sf, "repeats a label set");
}
END_TEST

/* Two series sharing a value area: the writer never does it; a reader must not multiply
 * its snapshot memory by it. */
START_TEST(test_value_areas_overlap)
{
    struct segfiles sf;
    prepare("overlap", &sf);
    struct brrt_shm_entry first;
    read_entry(&sf, find_series(&sf, COUNTER, 0), &first);
    ENTRY_POKE(&sf, find_series(&sf, COUNTER, 1), value_offset, first.value_offset);
    expect_skipped(&sf, "overlaps");
}
END_TEST

/* Truncated by someone after a reader attached: an error, not SIGBUS on the next snapshot. */
START_TEST(test_truncated_after_attach)
{
    struct segfiles sf;
    prepare("trunc_late", &sf);
    brrt_reader *r;
    char why[512];
    ck_assert_int_eq(brrt_reader_open(sf.bad, &r, why, sizeof why), 0);
    ck_assert_int_eq(truncate(sf.bad, 4096), 0);
    struct brrt_snapshot *s = NULL;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), BRRT_E_TRUNCATED);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(brrt_reader_why(r), "truncated"));
    brrt_reader_close(r);
}
END_TEST

START_TEST(test_hist_n_le_too_large)
{
    struct segfiles sf;
    prepare("nle", &sf);
    struct brrt_shm_entry e;
    read_entry(&sf, find_family(&sf, HISTOGRAM), &e);
    ck_assert_uint_ne(e.hist, 0);
    long at = (long)(sf.h.arena_offset + e.hist + offsetof(struct brrt_shm_hist_schema, n_le));
    struct brrt_shm_hist_schema schema;
    ck_assert_int_eq(fx_pread(sf.bad, &schema, sizeof schema, (long)(sf.h.arena_offset + e.hist)), 0);
    ck_assert_uint_eq(schema.n_le, N_PROM_LE);
    uint32_t n = BRRT_SHM_MAX_LE + 1;
    ck_assert_int_eq(fx_pwrite(sf.bad, &n, sizeof n, at), 0);
    expect_skipped(&sf, "n_le");
    recopy(&sf);
    n = UINT32_MAX;
    ck_assert_int_eq(fx_pwrite(sf.bad, &n, sizeof n, at), 0);
    expect_skipped(&sf, "n_le");
}
END_TEST

/* ABI 2 native-histogram schema: each bad field skips the family, naming the field. */
START_TEST(test_hist_native_schema_damage)
{
    struct segfiles sf;
    prepare("native", &sf);
    struct brrt_shm_entry e;
    read_entry(&sf, find_family(&sf, HISTOGRAM), &e);
    long at = (long)(sf.h.arena_offset + e.hist);
    struct brrt_shm_hist_schema good, bad;
    ck_assert_int_eq(fx_pread(sf.bad, &good, sizeof good, at), 0);
    ck_assert_int_eq(good.schema, 4);
    ck_assert(good.zero_threshold == 0x1p-20);
    static const struct {
        int field; /* 0 schema, 1 index_min, 2 index_max, 3 zero_threshold */
        int64_t value;
        const char *needle;
    } cases[] = {
        {0, 9, "schema"},          {0, -5, "schema"},         {2, -400, "native range"},
        {2, 9000, "native range"}, {1, INT32_MIN, "native range"}, {3, 1, "zero_threshold"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bad = good;
        if (cases[i].field == 0)
            bad.schema = (int32_t)cases[i].value;
        else if (cases[i].field == 1)
            bad.index_min = (int32_t)cases[i].value;
        else if (cases[i].field == 2)
            bad.index_max = (int32_t)cases[i].value;
        else
            bad.zero_threshold = nextafter(good.zero_threshold, 1.0); /* one ulp off */
        ck_assert_int_eq(fx_pwrite(sf.bad, &bad, sizeof bad, at), 0);
        expect_skipped(&sf, cases[i].needle);
        recopy(&sf);
    }
}
END_TEST

/* Issue 12 item 1: holes where published bytes should be (a sparse file): refused, naming
 * the range, never faulted in. */
START_TEST(test_hole_in_published_range)
{
    struct segfiles sf;
    prepare("holes", &sf);
    const struct {
        uint64_t off;
        const char *needle;
    } holes[] = {
        {sf.h.shard_offset, "shard values"}, /* shard 0's first page */
        {0, "header"},
    };
    for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++) {
        int fd = open(sf.bad, O_RDWR);
        ck_assert_int_ge(fd, 0);
        int rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)holes[i].off, 4096);
        close(fd);
        if (rc != 0) {
            printf("SKIP test_hole_in_published_range: cannot punch holes here (%s)\n", strerror(errno));
            return;
        }
        expect_open_fails(sf.bad, BRRT_E_CORRUPT, holes[i].needle);
        expect_open_fails(sf.bad, BRRT_E_CORRUPT, "hole");
        recopy(&sf);
    }
}
END_TEST

/* ---- the file itself ------------------------------------------------------------------ */

START_TEST(test_world_writable)
{
    struct segfiles sf;
    prepare("worldw", &sf);
    ck_assert_int_eq(chmod(sf.bad, 0666), 0);
    expect_open_fails(sf.bad, BRRT_E_INSECURE, "world-writable");
}
END_TEST

START_TEST(test_symlink)
{
    struct segfiles sf;
    prepare("symlink", &sf);
    char link[600];
    snprintf(link, sizeof link, "%s", fx_path("symlink-link"));
    ck_assert_int_eq(symlink(sf.bad, link), 0);
    expect_open_fails(link, BRRT_E_INSECURE, "symbolic link");
    expect_open_fails("symlink-link", BRRT_E_INSECURE, "symbolic link"); /* by name too */
    unlink(link);
}
END_TEST

START_TEST(test_nonexistent)
{
    fx_dir();
    expect_open_fails("no-such-segment", BRRT_E_NOENT, "no such file");
    expect_open_fails(fx_path("no-such-segment"), BRRT_E_NOENT, "no such file");
}
END_TEST

START_TEST(test_directory_not_file)
{
    const char *p = fx_path("a-directory");
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    ck_assert_int_eq(mkdir(path, 0750), 0);
    expect_open_fails(path, BRRT_E_INSECURE, "not a regular file");
    rmdir(path);
}
END_TEST

/* A FIFO planted at a segment name (anyone can in /dev/shm): refused at once, never waited
 * on, by the reader and by a writer replacing the name (which holds the directory's creation
 * lock meanwhile). The alarm turns a hang into a failure well before ctest's timeout. */
START_TEST(test_fifo_never_blocks)
{
    const char *dir = fx_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0640), 0);
    alarm(10);
    expect_open_fails(path, BRRT_E_INSECURE, "not a regular file");
    expect_open_fails("fifo", BRRT_E_INSECURE, "not a regular file");
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg = NULL;
    ck_assert_int_eq(brrt_seg_create("fifo", &o, &seg), BRRT_E_INSECURE);
    ck_assert_ptr_null(seg);
    /* Writers of other names are not held up by it. */
    ck_assert_int_eq(brrt_seg_create("beside-fifo", &o, &seg), 0);
    ck_assert_int_eq(brrt_seg_close(seg, BRRT_SEG_UNLINK), 0);
    alarm(0);
    unlink(path);
}
END_TEST

/* ---- damage after a successful open: the snapshot path ------------------------------------ */

START_TEST(test_snapshot_sees_damage)
{
    struct segfiles sf;
    prepare("snapdamage", &sf);
    char why[512] = "";
    brrt_reader *r = NULL;
    ck_assert_int_eq(brrt_reader_open(sf.bad, &r, why, sizeof why), 0);
    struct brrt_snapshot *s = NULL;

    /* The mapping is shared: a damaged counter is seen at the next snapshot. */
    HDR_POKE(&sf, dir_count, sf.h.dir_capacity + 1);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), BRRT_E_CORRUPT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(brrt_reader_why(r), "dir_count"));

    HDR_POKE(&sf, dir_count, sf.h.dir_count);
    HDR_POKE(&sf, arena_used, sf.h.arena_capacity + 8);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), BRRT_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(brrt_reader_why(r), "arena_used"));

    /* The reader is not poisoned: repaired, it snapshots again. */
    HDR_POKE(&sf, arena_used, sf.h.arena_used);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_series, 4);
    brrt_snapshot_free(s);

    /* dir_count going backwards is corruption (nothing is ever removed). */
    HDR_POKE(&sf, dir_count, sf.h.dir_count - 1);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), BRRT_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(brrt_reader_why(r), "backwards"));

    /* A newly "published" entry that was never written (all zero): skipped, the rest served. */
    HDR_POKE(&sf, dir_count, sf.h.dir_count + 1);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_series, 4);
    ck_assert_uint_eq(s->info.skipped_entries, 1);
    ck_assert_ptr_nonnull(strstr(brrt_reader_skipped_why(r), "unknown kind 0"));
    brrt_snapshot_free(s);
    brrt_reader_close(r);
}
END_TEST

static Suite *corrupt_suite(void)
{
    Suite *s = suite_create("corrupt");
    TCase *tc = tcase_create("file");
    tcase_add_test(tc, test_control_ok);
    tcase_add_test(tc, test_empty_file);
    tcase_add_test(tc, test_truncated_below_header);
    tcase_add_test(tc, test_truncated_mid_file);
    tcase_add_test(tc, test_file_longer_than_segment);
    tcase_add_test(tc, test_world_writable);
    tcase_add_test(tc, test_symlink);
    tcase_add_test(tc, test_nonexistent);
    tcase_add_test(tc, test_directory_not_file);
    tcase_add_test(tc, test_fifo_never_blocks);
    suite_add_tcase(s, tc);

    tc = tcase_create("header");
    tcase_add_test(tc, test_bad_magic);
    tcase_add_test(tc, test_wrong_abi_major);
    tcase_add_test(tc, test_byte_swapped);
    tcase_add_test(tc, test_bad_header_and_entry_size);
    tcase_add_test(tc, test_unknown_state);
    tcase_add_test(tc, test_initializing_state);
    tcase_add_test(tc, test_dir_offset_outside);
    tcase_add_test(tc, test_arena_offset_outside);
    tcase_add_test(tc, test_shard_offset_outside);
    tcase_add_test(tc, test_dir_count_over_capacity);
    tcase_add_test(tc, test_arena_used_over_capacity);
    tcase_add_test(tc, test_shards_and_shard_bytes_over_capacity);
    suite_add_tcase(s, tc);

    tc = tcase_create("directory");
    tcase_add_test(tc, test_string_ref_outside_arena_used);
    tcase_add_test(tc, test_series_family_self_loop);
    tcase_add_test(tc, test_series_family_later_entry);
    tcase_add_test(tc, test_series_family_is_series);
    tcase_add_test(tc, test_family_entry_not_itself);
    tcase_add_test(tc, test_unknown_entry_kind);
    tcase_add_test(tc, test_value_offset_outside);
    tcase_add_test(tc, test_label_value_bad_utf8);
    tcase_add_test(tc, test_duplicate_label_set);
    tcase_add_test(tc, test_truncated_after_attach);
    tcase_add_test(tc, test_value_areas_overlap);
    tcase_add_test(tc, test_hist_n_le_too_large);
    tcase_add_test(tc, test_hist_native_schema_damage);
    tcase_add_test(tc, test_hole_in_published_range);
    tcase_add_test(tc, test_snapshot_sees_damage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fx_run(corrupt_suite());
}
