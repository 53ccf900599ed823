/* writer/ family registration with many families (writer/name_index.c): the same-name and
 * clash checks stay exact while the name index grows, and the directory's ceiling is a clean
 * error that leaves no trace in the index. (Its cost: brrt-bench register_family_*.) */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

#define NFAM 3000 /* x4 families each: the index grows from 64 to 64 Ki slots */

static const double LE[] = {1, 2};

static int reg(brrt_seg *seg, const char *name, enum brrt_type t, const char *help, brrt_family **out)
{
    struct brrt_metric_def d = {.name = name, .help = help, .type = t,
                                .le = t == BRRT_HISTOGRAM ? LE : NULL, .n_le = t == BRRT_HISTOGRAM ? 2 : 0};
    brrt_family *f = NULL;
    int rc = brrt_family_register(seg, &d, &f);
    if (out)
        *out = f;
    return rc;
}

static brrt_family *fams[3][NFAM];

/* Family i of kind k: counter c<i>_total, histogram h<i>, gauge g<i>. */
static const char *name_of(int k, int i, const char *suffix)
{
    static char buf[64];
    static const char *const fmt[] = {"c%d%s_total", "h%d%s", "g%d%s"};
    snprintf(buf, sizeof buf, fmt[k], i, suffix);
    return buf;
}

static const enum brrt_type TYPE[3] = {BRRT_COUNTER, BRRT_HISTOGRAM, BRRT_GAUGE};

START_TEST(many_families_same_name_and_clashes_stay_exact)
{
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = 4 * NFAM + 16;
    o.arena_bytes = 2u << 20;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("manyfam", &o, &seg), 0);
    for (int i = 0; i < NFAM; i++)
        for (int k = 0; k < 3; k++)
            ck_assert_int_eq(reg(seg, name_of(k, i, ""), TYPE[k], "h", &fams[k][i]), 0);
    for (int i = 0; i < NFAM; i++) {
        for (int k = 0; k < 3; k++) {
            brrt_family *again;
            /* The same definition: the earlier family; another definition: EXISTS. */
            ck_assert_int_eq(reg(seg, name_of(k, i, ""), TYPE[k], "h", &again), 0);
            ck_assert_ptr_eq(again, fams[k][i]);
            ck_assert_int_eq(reg(seg, name_of(k, i, ""), TYPE[k], "other help", &again), BRRT_E_EXISTS);
            ck_assert_ptr_null(again);
        }
        char n[64];
        /* Names another family takes in the exposition: CLASH, whichever was first. */
        snprintf(n, sizeof n, "c%d", i); /* c<i>_total's NAME without _total */
        ck_assert_int_eq(reg(seg, n, BRRT_GAUGE, "h", NULL), BRRT_E_CLASH);
        ck_assert_int_eq(reg(seg, n, BRRT_COUNTER, "h", NULL), BRRT_E_CLASH);
        snprintf(n, sizeof n, "c%d_created", i);
        ck_assert_int_eq(reg(seg, n, BRRT_GAUGE, "h", NULL), BRRT_E_CLASH);
        ck_assert_int_eq(reg(seg, name_of(1, i, "_count"), BRRT_GAUGE, "h", NULL), BRRT_E_CLASH);
        ck_assert_int_eq(reg(seg, name_of(1, i, "_bucket"), BRRT_COUNTER, "h", NULL), BRRT_E_CLASH);
        /* A histogram c<i> would take c<i>_total's c<i>; a counter g<i>_total the gauge's g<i>. */
        snprintf(n, sizeof n, "c%d", i);
        ck_assert_int_eq(reg(seg, n, BRRT_HISTOGRAM, "h", NULL), BRRT_E_CLASH);
        snprintf(n, sizeof n, "g%d_total", i);
        ck_assert_int_eq(reg(seg, n, BRRT_COUNTER, "h", NULL), BRRT_E_CLASH);
        /* Neighbours that take none of those names are fine (and kept). */
        ck_assert_int_eq(reg(seg, name_of(1, i, "_counts"), BRRT_GAUGE, "h", NULL), 0);
    }
    struct brrt_snapshot *s;
    brrt_reader *r;
    ck_assert_int_eq(brrt_reader_open("manyfam", &r, NULL, 0), 0);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_families, 4 * NFAM);
    ck_assert_uint_eq(s->info.full_errors, 0);
    ck_assert_ptr_nonnull(brrt_snapshot_family(s, "c0_total"));
    ck_assert_ptr_nonnull(brrt_snapshot_family(s, name_of(1, NFAM - 1, "_counts")));
    ck_assert_ptr_null(brrt_snapshot_family(s, "c0"));
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

/* The directory's ceiling: the family that does not fit is BRRT_E_FULL and leaves nothing
 * behind (its names are free: a later clash check must not see it); earlier ones still
 * resolve to themselves. */
START_TEST(full_directory_leaves_no_trace_in_the_index)
{
    enum { CAP = 700 };
    struct brrt_seg_opts o = fx_opts();
    o.max_entries = CAP;
    brrt_seg *seg;
    ck_assert_int_eq(brrt_seg_create("famfull", &o, &seg), 0);
    int made = 0;
    for (int i = 0; i < CAP; i++)
        if (reg(seg, name_of(0, i, ""), BRRT_COUNTER, "h", &fams[0][i]) == 0)
            made++;
    ck_assert_int_eq(made, CAP);
    ck_assert_int_eq(reg(seg, "late", BRRT_HISTOGRAM, "h", NULL), BRRT_E_FULL);
    ck_assert_int_eq(reg(seg, "late_count", BRRT_GAUGE, "h", NULL), BRRT_E_FULL); /* not CLASH */
    ck_assert_int_eq(reg(seg, "late", BRRT_HISTOGRAM, "h", NULL), BRRT_E_FULL);   /* not found */
    for (int i = 0; i < CAP; i++) {
        brrt_family *again;
        ck_assert_int_eq(reg(seg, name_of(0, i, ""), BRRT_COUNTER, "h", &again), 0);
        ck_assert_ptr_eq(again, fams[0][i]);
    }
    ck_assert_int_eq(reg(seg, "c5", BRRT_GAUGE, "h", NULL), BRRT_E_CLASH);
    brrt_reader *r;
    struct brrt_snapshot *s;
    ck_assert_int_eq(brrt_reader_open("famfull", &r, NULL, 0), 0);
    ck_assert_int_eq(brrt_reader_snapshot(r, &s), 0);
    ck_assert_uint_eq(s->n_families, CAP);
    ck_assert_uint_eq(s->info.full_errors, 3);
    ck_assert_ptr_null(brrt_snapshot_family(s, "late"));
    brrt_snapshot_free(s);
    brrt_reader_close(r);
    brrt_seg_close(seg, BRRT_SEG_UNLINK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("register");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, many_families_same_name_and_clashes_stay_exact);
    tcase_add_test(tc, full_directory_leaves_no_trace_in_the_index);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
