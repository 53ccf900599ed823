/* A bad directory entry costs a reader once, not on every snapshot:
 * it is skipped and counted, the rest of the segment is served, and it is never parsed (or its
 * strings copied) again. Family-name uniqueness is checked through a hash index, so a segment
 * with very many families costs linear work. Work is asserted through the reader's work
 * counts (reader_tests.h), never by timing. Segments are REAL ones made by the writer, damaged
 * in place through the file (the reader sees the shared mapping change). */
#include "fixture.h"

#include "brrtstat/shm_format.h"
#include "reader_tests.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct brrt_shm_header header_of(const char *path)
{
    struct brrt_shm_header h;
    ck_assert_int_eq(fx_pread(path, &h, sizeof h, 0), 0);
    return h;
}

static struct brrt_shm_entry entry_of(const char *path, const struct brrt_shm_header *h, uint32_t i)
{
    struct brrt_shm_entry e;
    ck_assert_int_eq(fx_pread(path, &e, sizeof e, (long)(h->dir_offset + (uint64_t)i * sizeof e)), 0);
    return e;
}

static void poke_name(const char *path, const struct brrt_shm_header *h, uint32_t i, brrt_shm_ref ref)
{
    long at = (long)(h->dir_offset + (uint64_t)i * sizeof(struct brrt_shm_entry) +
                     offsetof(struct brrt_shm_entry, name));
    ck_assert_int_eq(fx_pwrite(path, &ref, sizeof ref, at), 0);
}

static brrt_family *reg(brrt_seg *seg, const char *name, const char *help)
{
    struct brrt_metric_def d = {.name = name, .help = help, .type = BRRT_COUNTER};
    brrt_family *f = NULL;
    ck_assert_int_eq(brrt_family_register(seg, &d, &f), 0);
    return f;
}

/* A running writer publishes a family after the reader attached; the file is damaged so that
 * the family repeats an earlier name (its long help is copied before that is found out). The
 * segment stays readable, the entries published after the bad one too, and 1000 snapshots
 * neither parse it again nor grow the reader's memory. */
START_TEST(test_bad_entry_after_attach)
{
    struct brrt_seg_opts o = fx_opts();
    brrt_seg *seg = NULL;
    ck_assert_int_eq(brrt_seg_create("late", &o, &seg), 0);
    brrt_counter c;
    ck_assert_int_eq(brrt_counter_get(reg(seg, "first_total", "First."), NULL, &c), 0);
    brrt_counter_add(c, 7);
    brrt_reader *r = NULL;
    char why[512];
    ck_assert_int_eq(brrt_reader_open("late", &r, why, sizeof why), 0);

    char help[2048];
    memset(help, 'h', sizeof help - 1);
    help[sizeof help - 1] = '\0';
    reg(seg, "second_total", help);
    const char *path = fx_path("late");
    struct brrt_shm_header h = header_of(path);
    uint32_t bad = h.dir_count - 1;
    ck_assert_int_eq(entry_of(path, &h, bad).kind, BRRT_SHM_FAMILY);
    poke_name(path, &h, bad, entry_of(path, &h, 0).name); /* "first_total" again */
    brrt_counter after; /* published after the bad entry: still served */
    ck_assert_int_eq(brrt_counter_get(reg(seg, "third_total", "Third."), NULL, &after), 0);
    brrt_counter_add(after, 3);

    struct brrt_snapshot *s = NULL;
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->info.skipped_entries, 1);
    ck_assert_ptr_nonnull(strstr(brrt_reader_skipped_why(r), "already used by another family"));
    ck_assert_uint_eq(s->n_families, 2);
    ck_assert_uint_eq(fx_series(s, "first_total", NULL)->u64, 7);
    ck_assert_uint_eq(fx_series(s, "third_total", NULL)->u64, 3);
    ck_assert_ptr_null(brrt_snapshot_family(s, "second_total"));
    brrt_snapshot_free(s);

    struct rd_work w0, w1;
    rd_work_of(r, &w0);
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
        ck_assert_uint_eq(s->info.skipped_entries, 1);
        brrt_snapshot_free(s);
    }
    rd_work_of(r, &w1);
    ck_assert_uint_eq(w1.entries_parsed, w0.entries_parsed);
    ck_assert_uint_eq(w1.dir_bytes, w0.dir_bytes);
    brrt_reader_close(r);
    ck_assert_int_eq(brrt_seg_close(seg, BRRT_SEG_UNLINK), 0);
}
END_TEST

/* 100 000 families whose last one repeats the first's name: a cheap hostile segment (a linear
 * uniqueness scan cost seconds per snapshot). The uniqueness checks take O(1) probes per
 * family, every entry is parsed exactly once over several snapshots, the bad one is skipped.
 * The writer made one family; the others are copies of its entry with names of their own,
 * appended to the directory and the arena of the closed segment (as a foreign writer could). */
#define MANY 100000u
START_TEST(test_many_families_linear_work)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = MANY + 8;
    o.arena_bytes = (uint64_t)MANY * 24 + 4096;
    brrt_seg *seg = NULL;
    ck_assert_int_eq(brrt_seg_create("many", &o, &seg), 0);
    reg(seg, "fam_000000", "");
    ck_assert_int_eq(brrt_seg_close(seg, 0), 0);
    const char *path = fx_path("many");
    struct brrt_shm_header h = header_of(path);
    ck_assert_uint_eq(h.dir_count, 1);
    struct brrt_shm_entry e0 = entry_of(path, &h, 0);
    uint64_t used = (h.arena_used + 3) & ~(uint64_t)3;
    struct brrt_shm_entry *dir = calloc(MANY, sizeof *dir);
    char *arena = calloc(MANY, 16);
    ck_assert(dir && arena);
    for (uint32_t i = 1; i < MANY; i++) {
        char *str = arena + (size_t)(i - 1) * 16; /* u32 length, 10 bytes, NUL, padding */
        uint32_t len = 10;
        memcpy(str, &len, 4);
        snprintf(str + 4, 12, "fam_%06u", i == MANY - 1 ? 0 : i);
        dir[i] = e0;
        dir[i].family = i;
        dir[i].name = (brrt_shm_ref)(used + (uint64_t)(i - 1) * 16);
    }
    ck_assert_int_eq(fx_pwrite(path, arena, (size_t)(MANY - 1) * 16, (long)(h.arena_offset + used)), 0);
    ck_assert_int_eq(fx_pwrite(path, dir + 1, (size_t)(MANY - 1) * sizeof *dir,
                               (long)(h.dir_offset + sizeof *dir)), 0);
    free(dir);
    free(arena);
    uint64_t arena_used = used + (uint64_t)(MANY - 1) * 16;
    uint32_t count = MANY;
    ck_assert_int_eq(fx_pwrite(path, &arena_used, sizeof arena_used,
                               (long)offsetof(struct brrt_shm_header, arena_used)), 0);
    ck_assert_int_eq(fx_pwrite(path, &count, sizeof count,
                               (long)offsetof(struct brrt_shm_header, dir_count)), 0);

    brrt_reader *r = NULL;
    char why[512];
    ck_assert_int_eq(brrt_reader_open("many", &r, why, sizeof why), 0);
    for (int i = 0; i < 5; i++) {
        struct brrt_snapshot *s = NULL;
        ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
        ck_assert_uint_eq(s->n_families, MANY - 1);
        ck_assert_uint_eq(s->info.skipped_entries, 1);
        brrt_snapshot_free(s);
    }
    ck_assert_ptr_nonnull(strstr(brrt_reader_skipped_why(r), "\"fam_000000\" is already used"));
    struct rd_work w;
    rd_work_of(r, &w);
    ck_assert_uint_eq(w.entries_parsed, MANY);
    ck_assert_msg(w.name_probes < 4ull * MANY, "%llu name probes for %u families",
                  (unsigned long long)w.name_probes, MANY);
    brrt_reader_close(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("skip");
    TCase *tc = tcase_create("skip");
    tcase_add_test(tc, test_bad_entry_after_attach);
    tcase_add_test(tc, test_many_families_linear_work);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
