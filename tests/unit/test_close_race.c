/* writer/registry.c teardown against liburcu's hash-table resize worker: processes that
 * register many series and then close the segment must all exit cleanly. Freeing each series
 * node right after cds_lfht_del, while the table's shrink (CDS_LFHT_ACCOUNTING) ran in
 * liburcu's worker thread, made 2-4 of these 30 runs die of SIGSEGV (or an rculfhash
 * assertion) in liburcu-cds. A child is a fresh exec of this binary (a real process start and
 * exit, as in brrt-bench); children run CLR_PAR at a time so the worker competes for the CPUs.
 * The tables no longer have that worker (registry.c resizes them under seg->lock); the test
 * stays as the regression test of teardown with big tables. */
#include "fixture.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLR_RUNS 30
#define CLR_PAR 8
#define CLR_SERIES 30000
#define CLR_DEADLINE_S 240 /* all runs; a child still running then is killed and fails */

/* The child: CLR_SERIES labelled counters in one family, then close. Exit 0 = all went well. */
static int child_main(const char *name)
{
    brrt_seg *seg;
    brrt_family *f;
    static const char *const ln[] = {"id"};
    struct brrt_metric_def d = {.name = "close_race_total", .type = BRRT_COUNTER,
                                .label_names = ln, .nlabels = 1, .max_series = CLR_SERIES};
    if (brrt_seg_create(name, NULL, &seg) || brrt_family_register(seg, &d, &f))
        return 2;
    for (int i = 0; i < CLR_SERIES; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        brrt_counter c;
        if (brrt_counter_get(f, BRRT_LABELS(v), &c))
            return 3;
        brrt_counter_inc(c);
    }
    return brrt_seg_close(seg, BRRT_SEG_UNLINK) ? 4 : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn(int run)
{
    char name[32];
    snprintf(name, sizeof name, "closerace%d", run);
    pid_t p = fork();
    if (p == 0) {
        execl("/proc/self/exe", "test_close_race", "--child", name, (char *)NULL);
        _exit(127);
    }
    return p;
}

START_TEST(register_many_then_close_never_crashes)
{
    pid_t pids[CLR_PAR] = {0};
    int started = 0, done = 0, failed = 0;
    char why[512] = "";
    double deadline = now_s() + CLR_DEADLINE_S;
    while (done < CLR_RUNS) {
        for (int k = 0; k < CLR_PAR && started < CLR_RUNS; k++)
            if (pids[k] == 0) {
                pids[k] = spawn(started++);
                ck_assert_int_gt(pids[k], 0);
            }
        for (int k = 0; k < CLR_PAR; k++) {
            int st;
            if (pids[k] == 0)
                continue;
            pid_t r = waitpid(pids[k], &st, WNOHANG);
            ck_assert_int_ge(r, 0);
            if (r == 0 && now_s() > deadline) { /* hung: kill, count as a failure */
                kill(pids[k], SIGKILL);
                r = waitpid(pids[k], &st, 0);
            }
            if (r == 0)
                continue;
            pids[k] = 0;
            done++;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                failed++;
                size_t l = strlen(why);
                snprintf(why + l, sizeof why - l, " [%s %d]",
                         WIFSIGNALED(st) ? "signal" : "exit",
                         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            }
        }
        usleep(5 * 1000);
    }
    ck_assert_msg(failed == 0, "%d of %d register-then-close runs failed:%s", failed, CLR_RUNS,
                  why);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[2]);
    Suite *s = suite_create("close_race");
    TCase *tc = tcase_create("close");
    tcase_set_timeout(tc, CLR_DEADLINE_S + 60);
    tcase_add_test(tc, register_many_then_close_never_crashes);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
