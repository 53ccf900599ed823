/* brrt-stat list: every segment in the directory with its writer's state. */
#include "cli.h"
#include "human.h"

#include "brrtstat/render.h"
#include "brrtstat/shm_path.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_list(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: brrt-stat list\n\nLists the segments in $BRRT_STAT_DIR (default %s):\n"
                   "name, writer pid, state (running, stale, exited, dead, or why it is invalid),\n"
                   "uptime, generation, metric and series counts.\n\nexit status:\n",
                   BRRT_SHM_DEFAULT_DIR);
            cli_print_exit_codes(stdout);
            return BRRT_EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0)
            return cli_version("brrt-stat");
        if (argv[1][0] == '-')
            return cli_unknown_option(argv[1]);
        return cli_unexpected_argument(argv[1]);
    }
    const char *dir = brrt_shm_dir();
    DIR *d = opendir(dir);
    if (!d)
        return cli_fail(BRRT_EXIT_NO_SEGMENT, "cannot read segment directory %s: %s", dir, strerror(errno));
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024)
        if (brrt_shm_name_valid(e->d_name))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    struct brrt_buf b = {0};
    bool partial = false;
    brrt_buf_printf(&b, "%-24s %8s %-8s %10s %5s %7s %7s\n", "SEGMENT", "PID", "STATE", "UPTIME",
                    "GEN", "METRICS", "SERIES");
    for (size_t i = 0; i < n; i++) {
        brrt_reader *r;
        struct brrt_snapshot *s = NULL;
        char why[512];
        int rc = brrt_reader_open(names[i], &r, why, sizeof why);
        if (rc == 0 && brrt_reader_snapshot(r, &s) != 0) {
            snprintf(why, sizeof why, "%s", brrt_reader_why(r));
            rc = BRRT_E_CORRUPT;
        }
        if (rc) {
            const char *reason = strstr(why, ": ") ? strstr(why, ": ") + 2 : why;
            brrt_buf_printf(&b, "%-24s %8s %-8s ", names[i], "-", "invalid");
            brrt_buf_printable(&b, reason, false); /* it may quote the file's strings */
            brrt_buf_puts(&b, "\n");
        } else {
            char up[32] = "-";
            if (s->info.state == BRRT_WRITER_RUNNING || s->info.state == BRRT_WRITER_STALE)
                human_duration(up, sizeof up, (double)(s->taken_realtime_ns - s->info.start_realtime_ns) / 1e9);
            brrt_buf_printf(&b, "%-24s %8" PRIu64 " %-8s %10s %5" PRIu64 " %7u %7u\n", names[i],
                            s->info.writer_pid, brrt_writer_state_name(s->info.state), up,
                            s->info.generation, s->n_families, s->n_series);
            if (s->info.skipped_entries) {
                const char *first = brrt_reader_skipped_why(r);
                brrt_buf_printf(&b, "%-24s %8s %-8s %u invalid entries skipped; the first: ", "", "", "",
                                s->info.skipped_entries);
                brrt_buf_printable(&b, first ? first : "?", false);
                brrt_buf_puts(&b, "\n");
                partial = true;
            }
        }
        brrt_snapshot_free(s);
        if (rc == 0)
            brrt_reader_close(r);
        free(names[i]);
    }
    int out = partial ? BRRT_EXIT_PARTIAL : BRRT_EXIT_OK;
    if (b.failed)
        out = cli_fail(BRRT_EXIT_FAILURE, "out of memory");
    else if (fwrite(b.data, 1, b.len, stdout) != b.len)
        out = cli_fail(BRRT_EXIT_FAILURE, "cannot write to stdout");
    brrt_buf_free(&b);
    return out;
}
