/* brrt-stat snapshot: one view of a segment, or --count views --interval seconds apart. */
#include "cli.h"
#include "view.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum format { FMT_TEXT, FMT_JSON, FMT_PROM };

struct opts {
    const char *segment;
    enum format format;
    struct filter filter;
    double interval;
    long count;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: brrt-stat snapshot [--segment NAME|PATH] [--format text|json|prometheus]\n"
            "                          [-I GLOB]... [-X GLOB]... [--interval S [--count N]]\n"
            "\n"
            "  --segment, -s   segment name in $BRRT_STAT_DIR (default /dev/shm/brrtstat), or a path;\n"
            "                  may be omitted when the directory holds exactly one segment\n"
            "  --format, -f    text (default), json (docs/snapshot.schema.json), prometheus\n"
            "  -I GLOB         include metrics whose name matches GLOB\n"
            "  -X GLOB         exclude metrics whose name matches GLOB\n"
            "                  (in order, first match wins; with a leading -I the rest is excluded)\n"
            "  --interval, -i  print a view every S seconds: counters as rates per second,\n"
            "                  histograms as what happened within the interval\n"
            "  --count, -c     number of views with --interval (default: until interrupted)\n"
            "                  (sampled values such as process_cpu_seconds_total change once per\n"
            "                  writer sample, 1 s by default: shorter intervals alias their rates)\n"
            "\nexit status:\n");
    cli_print_exit_codes(out);
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"segment", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
        {"interval", required_argument, NULL, 'i'}, {"count", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:f:i:c:I:X:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->segment = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                o->format = FMT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                o->format = FMT_JSON;
            else if (strcmp(optarg, "prometheus") == 0)
                o->format = FMT_PROM;
            else
                return cli_fail(BRRT_EXIT_USAGE, "unknown format \"%s\" (text, json, prometheus)", optarg);
            break;
        case 'i':
            if (cli_parse_seconds(optarg, &o->interval))
                return cli_fail(BRRT_EXIT_USAGE, "--interval wants seconds > 0, not \"%s\"", optarg);
            break;
        case 'c':
            if (cli_parse_count(optarg, &o->count))
                return cli_fail(BRRT_EXIT_USAGE, "--count wants a whole number >= 1, not \"%s\"", optarg);
            break;
        case 'I':
        case 'X':
            if (filter_add(&o->filter, optarg, c == 'I'))
                return cli_fail(BRRT_EXIT_USAGE, "too many -I/-X patterns (at most %d)", FILTER_MAX);
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            cli_version("brrt-stat");
            return -1;
        default:
            return cli_option_error(c, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    if (o->count && !(o->interval > 0))
        return cli_fail(BRRT_EXIT_USAGE, "--count needs --interval");
    return BRRT_EXIT_OK;
}

static bool prom_filter(const struct brrt_snap_family *f, void *arg)
{
    return filter_match(arg, f->name);
}

/* Renders one view completely before writing anything, so stdout never gets half a view. */
static int emit(const struct opts *o, const char *name, const struct brrt_snapshot *cur,
                const struct brrt_snapshot *prev)
{
    struct view v = {name, cur, prev, 0, &o->filter};
    if (prev)
        v.dt = (double)(cur->taken_mono_ns - prev->taken_mono_ns) / 1e9;
    struct brrt_buf b = {0};
    int rc = 0;
    if (o->format == FMT_TEXT) {
        render_text(&b, &v);
    } else if (o->format == FMT_JSON) {
        rc = render_json(&b, &v);
    } else {
        struct brrt_prom_opts po = {.filter = prom_filter, .filter_arg = (void *)&o->filter};
        brrt_render_prometheus(&b, cur, &po);
        /* Exact bytes into a file or a pipe (promtool, Prometheus); on a terminal, help texts
         * and label values from the segment must not reach it as escape sequences. */
        if (isatty(STDOUT_FILENO))
            cli_terminal_safe(&b);
    }
    if (rc || b.failed) {
        brrt_buf_free(&b);
        return cli_fail(BRRT_EXIT_FAILURE, "out of memory while rendering");
    }
    bool ok = b.len == 0 || (fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0);
    brrt_buf_free(&b);
    return ok ? BRRT_EXIT_OK : cli_fail(BRRT_EXIT_FAILURE, "cannot write to stdout");
}

static void sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int take(brrt_reader *r, struct brrt_snapshot **s)
{
    int rc = brrt_reader_snapshot(r, s);
    return rc ? cli_fail(cli_exit_for(rc), "%s", brrt_reader_why(r)) : BRRT_EXIT_OK;
}

int cmd_snapshot(int argc, char **argv)
{
    struct opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? BRRT_EXIT_OK : rc;
    char name[4096];
    if ((rc = cli_pick_segment(o.segment, name, sizeof name)) != 0)
        return rc;
    brrt_reader *r;
    char why[512];
    int err = brrt_reader_open(name, &r, why, sizeof why);
    if (err)
        return cli_fail(cli_exit_for(err), "%s", why);
    struct brrt_snapshot *prev = NULL, *cur = NULL;
    if (!(o.interval > 0)) {
        if ((rc = take(r, &cur)) == 0)
            rc = emit(&o, name, cur, NULL);
    } else {
        rc = take(r, &prev);
        for (long i = 0; rc == 0 && (o.count == 0 || i < o.count); i++) {
            sleep_seconds(o.interval);
            struct brrt_reader_info info;
            if (brrt_reader_info(r, &info) == 0 && info.replaced && brrt_reader_reopen(r) == 0)
                fprintf(stderr, "brrt-stat: the writer restarted; following generation %llu\n",
                        (unsigned long long)info.generation + 1);
            if ((rc = take(r, &cur)) != 0)
                break;
            rc = emit(&o, name, cur, prev);
            brrt_snapshot_free(prev);
            prev = cur;
            cur = NULL;
        }
        cur = prev;
        prev = NULL;
    }
    if (rc == 0 && cur && (cur->info.state == BRRT_WRITER_DEAD || cur->info.state == BRRT_WRITER_EXITED)) {
        cli_warn("writer pid %llu is %s; the values shown are its last",
                 (unsigned long long)cur->info.writer_pid, brrt_writer_state_name(cur->info.state));
        rc = BRRT_EXIT_WRITER_DOWN;
    }
    rc = cli_report_skipped(name, r, cur, rc);
    brrt_snapshot_free(cur);
    brrt_snapshot_free(prev);
    brrt_reader_close(r);
    return rc;
}
