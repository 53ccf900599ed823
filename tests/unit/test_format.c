/* shm/: layout planning, header validation, names, UTF-8, the error table, the version. */
#include "fixture.h"

#include "brrtstat/shm_layout.h"
#include "brrtstat/shm_names.h"
#include "brrtstat/shm_path.h"
#include "brrtstat/version.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

static struct brrt_shm_header *planned_header(struct brrt_shm_layout *l, void **mem)
{
    ck_assert_int_eq(brrt_shm_layout_plan(64, 4096, 4, 4096, l), 0);
    *mem = calloc(1, l->segment_size);
    struct brrt_shm_header *h = *mem;
    brrt_shm_header_from_layout(h, l);
    h->state = BRRT_SHM_READY;
    return h;
}

START_TEST(layout_plan_is_aligned_and_disjoint)
{
    struct brrt_shm_layout l;
    ck_assert_int_eq(brrt_shm_layout_plan(100, 1000, 8, 5000, &l), 0);
    ck_assert_uint_eq(l.dir_offset % 64, 0);
    ck_assert_uint_eq(l.arena_offset % 64, 0);
    ck_assert_uint_eq(l.shard_offset % 4096, 0);
    ck_assert_uint_eq(l.shard_stride % 64, 0);
    ck_assert_uint_ge(l.arena_offset, l.dir_offset + 100 * 64);
    ck_assert_uint_ge(l.shard_offset, l.arena_offset + l.arena_capacity);
    ck_assert_uint_ge(l.segment_size, l.shard_offset + 8 * l.shard_stride);
    ck_assert_uint_eq(l.segment_size % 4096, 0);
    ck_assert_int_eq(brrt_shm_layout_plan(0, 1000, 8, 5000, &l), BRRT_E_INVAL);
    ck_assert_int_eq(brrt_shm_layout_plan(10, 1000, 1, 5000, &l), BRRT_E_INVAL);
    ck_assert_int_eq(brrt_shm_layout_plan(10, 1000, 4096, 1ull << 31, &l), BRRT_E_INVAL);
}
END_TEST

START_TEST(validate_accepts_planned_header)
{
    struct brrt_shm_layout l, got;
    void *mem;
    planned_header(&l, &mem);
    char why[256] = "";
    ck_assert_int_eq(brrt_shm_validate_header(mem, l.segment_size, &got, why, sizeof why), 0);
    ck_assert_uint_eq(got.shard_offset, l.shard_offset);
    ck_assert_uint_eq(got.dir_capacity, 64);
    free(mem);
}
END_TEST

struct damage {
    const char *name;
    size_t off;
    uint64_t value;
    size_t width;
    int expect;
    const char *why_has;
};

static const struct damage damages[] = {
    {"magic", offsetof(struct brrt_shm_header, magic), 0x58585858, 4, BRRT_E_CORRUPT, "magic"},
    {"abi", offsetof(struct brrt_shm_header, abi_major), 1, 4, BRRT_E_VERSION, "ABI"},
    {"endian", offsetof(struct brrt_shm_header, byte_order), 0x04030201, 4, BRRT_E_ENDIAN, "byte-order"},
    {"hdrsize", offsetof(struct brrt_shm_header, header_size), 128, 4, BRRT_E_CORRUPT, "header_size"},
    {"bigger", offsetof(struct brrt_shm_header, segment_size), 1ull << 40, 8, BRRT_E_TRUNCATED, "file has"},
    {"dir", offsetof(struct brrt_shm_header, dir_offset), 1ull << 40, 8, BRRT_E_CORRUPT, "directory"},
    {"dircap", offsetof(struct brrt_shm_header, dir_capacity), 0xffffffff, 4, BRRT_E_CORRUPT, "directory"},
    {"arena", offsetof(struct brrt_shm_header, arena_offset), 64, 8, BRRT_E_CORRUPT, "arena"},
    {"stride", offsetof(struct brrt_shm_header, shard_stride), 0, 8, BRRT_E_CORRUPT, "shards"},
    {"shards", offsetof(struct brrt_shm_header, shard_capacity), 1u << 30, 4, BRRT_E_CORRUPT, "shards"},
    {"state", offsetof(struct brrt_shm_header, state), BRRT_SHM_INITIALIZING, 4, BRRT_E_NOT_READY, "initialising"},
    {"state9", offsetof(struct brrt_shm_header, state), 9, 4, BRRT_E_CORRUPT, "state"},
};

START_TEST(validate_rejects_each_bad_field)
{
    const struct damage *d = &damages[_i];
    struct brrt_shm_layout l;
    void *mem;
    planned_header(&l, &mem);
    memcpy((char *)mem + d->off, &d->value, d->width);
    char why[256] = "";
    int rc = brrt_shm_validate_header(mem, l.segment_size, NULL, why, sizeof why);
    ck_assert_msg(rc == d->expect, "%s: got %s, want %s (%s)", d->name, brrt_err_name(rc),
                  brrt_err_name(d->expect), why);
    ck_assert_msg(strstr(why, d->why_has) != NULL, "%s: why \"%s\" lacks \"%s\"", d->name, why, d->why_has);
    free(mem);
}
END_TEST

START_TEST(validate_rejects_short_file)
{
    struct brrt_shm_layout l;
    void *mem;
    planned_header(&l, &mem);
    char why[256];
    ck_assert_int_eq(brrt_shm_validate_header(mem, 100, NULL, why, sizeof why), BRRT_E_TRUNCATED);
    ck_assert_int_eq(brrt_shm_validate_header(mem, l.segment_size - 4096, NULL, why, sizeof why),
                     BRRT_E_TRUNCATED);
    free(mem);
}
END_TEST

START_TEST(published_counts_are_bounded)
{
    struct brrt_shm_layout l;
    void *mem;
    struct brrt_shm_header *h = planned_header(&l, &mem);
    struct brrt_shm_published p;
    char why[256];
    ck_assert_int_eq(brrt_shm_load_published(mem, &l, &p, why, sizeof why), 0);
    h->dir_count = 65;
    ck_assert_int_eq(brrt_shm_load_published(mem, &l, &p, why, sizeof why), BRRT_E_CORRUPT);
    h->dir_count = 1;
    h->arena_used = l.arena_capacity + 1;
    ck_assert_int_eq(brrt_shm_load_published(mem, &l, &p, why, sizeof why), BRRT_E_CORRUPT);
    h->arena_used = 8;
    h->shards_used = 5;
    ck_assert_int_eq(brrt_shm_load_published(mem, &l, &p, why, sizeof why), BRRT_E_CORRUPT);
    free(mem);
}
END_TEST

START_TEST(strings_are_bounds_checked_copies)
{
    struct brrt_shm_layout l;
    void *mem;
    planned_header(&l, &mem);
    char *arena = (char *)mem + l.arena_offset;
    uint32_t len = 5;
    memcpy(arena + 8, &len, 4);
    memcpy(arena + 12, "hello", 6);
    char buf[64];
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 18, 8, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "hello");
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 17, 8, buf, sizeof buf), BRRT_E_CORRUPT); /* past used */
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 18, 0, buf, sizeof buf), BRRT_E_CORRUPT); /* ref 0 */
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 18, 9, buf, sizeof buf), BRRT_E_CORRUPT); /* unaligned */
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 18, 8, buf, 4), BRRT_E_CORRUPT);          /* no room */
    arena[14] = '\0'; /* embedded NUL */
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 18, 8, buf, sizeof buf), BRRT_E_CORRUPT);
    len = 0xffffffff;
    memcpy(arena + 8, &len, 4);
    ck_assert_int_eq(brrt_shm_copy_string(mem, &l, 18, 8, buf, sizeof buf), BRRT_E_CORRUPT);
    free(mem);
}
END_TEST

START_TEST(names_follow_prometheus_rules)
{
    ck_assert(brrt_shm_metric_name_valid("brrtrouter_requests_total"));
    ck_assert(brrt_shm_metric_name_valid("ns:rule_metric"));
    ck_assert(!brrt_shm_metric_name_valid("1abc"));
    ck_assert(!brrt_shm_metric_name_valid("a-b"));
    ck_assert(!brrt_shm_metric_name_valid(""));
    ck_assert(brrt_shm_label_name_valid("path"));
    ck_assert(!brrt_shm_label_name_valid("__name__"));
    ck_assert(!brrt_shm_label_name_valid("a:b"));
    ck_assert(brrt_shm_name_valid("demo-1.x"));
    ck_assert(!brrt_shm_name_valid(".hidden"));
    ck_assert(!brrt_shm_name_valid("a/b"));
    ck_assert(!brrt_shm_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
END_TEST

START_TEST(utf8_validation)
{
    ck_assert(brrt_shm_utf8_valid("plain", 5));
    ck_assert(brrt_shm_utf8_valid("caf\xc3\xa9", 5));
    ck_assert(brrt_shm_utf8_valid("\xf0\x9f\x98\x80", 4));
    ck_assert(!brrt_shm_utf8_valid("\xc3", 1));             /* truncated */
    ck_assert(!brrt_shm_utf8_valid("\xc0\xaf", 2));         /* overlong */
    ck_assert(!brrt_shm_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    ck_assert(!brrt_shm_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    ck_assert(!brrt_shm_utf8_valid("\xff", 1));
}
END_TEST

START_TEST(error_table_round_trips)
{
    ck_assert_str_eq(brrt_err_name(BRRT_E_FULL), "BRRT_E_FULL");
    ck_assert_str_eq(brrt_strerror(BRRT_E_FULL), "segment is full");
    ck_assert_str_eq(brrt_strerror(0), "success");
    ck_assert_str_eq(brrt_err_name(-999), "BRRT_E_UNKNOWN");
}
END_TEST

START_TEST(dir_env_overrides_default)
{
    setenv("BRRT_STAT_DIR", "/tmp/x", 1);
    ck_assert_str_eq(brrt_shm_dir(), "/tmp/x");
    char p[64];
    ck_assert_int_eq(brrt_shm_resolve("demo", p, sizeof p), 0);
    ck_assert_str_eq(p, "/tmp/x/demo");
    ck_assert_int_eq(brrt_shm_resolve("./rel/path", p, sizeof p), 0);
    ck_assert_str_eq(p, "./rel/path");
    ck_assert_int_eq(brrt_shm_resolve("bad name", p, sizeof p), BRRT_E_INVAL);
    unsetenv("BRRT_STAT_DIR");
    ck_assert_str_eq(brrt_shm_dir(), BRRT_SHM_DEFAULT_DIR);
}
END_TEST

/* The loaded library, the header and CMake's project() agree (CMake reads version.h). */
START_TEST(version_agrees_everywhere)
{
    ck_assert_str_eq(brrt_version(), BRRT_VERSION);
    ck_assert_str_eq(BRRT_VERSION, BRRT_PROJECT_VERSION);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", BRRT_VERSION_NUMBER / 10000, BRRT_VERSION_NUMBER / 100 % 100,
             BRRT_VERSION_NUMBER % 100);
    ck_assert_str_eq(v, BRRT_VERSION);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, layout_plan_is_aligned_and_disjoint);
    tcase_add_test(tc, validate_accepts_planned_header);
    tcase_add_loop_test(tc, validate_rejects_each_bad_field, 0, (int)(sizeof damages / sizeof damages[0]));
    tcase_add_test(tc, validate_rejects_short_file);
    tcase_add_test(tc, published_counts_are_bounded);
    tcase_add_test(tc, strings_are_bounds_checked_copies);
    tcase_add_test(tc, names_follow_prometheus_rules);
    tcase_add_test(tc, utf8_validation);
    tcase_add_test(tc, error_table_round_trips);
    tcase_add_test(tc, dir_env_overrides_default);
    tcase_add_test(tc, version_agrees_everywhere);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
