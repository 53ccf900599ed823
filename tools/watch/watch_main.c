/* brrt-stat-watch (`brrt-stat watch`): the dashboard in a terminal. This file: arguments, the
 * reader (restarts followed, a dead writer shown, never a reason to exit), the sampling
 * schedule and the curses loop. It sleeps in getch() until the next sample or key, so an idle
 * watch costs almost nothing. */
#include "cli.h"
#include "keys.h"
#include "watch.h"

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: brrt-stat watch [--segment NAME|PATH] [--interval S]\n"
            "\n"
            "The dashboard of a segment in the terminal: CPU, memory, coroutine stacks, requests,\n"
            "health, charts of the last minutes, and a browser of every metric.\n"
            "\n"
            "  --segment, -s   segment name in $BRRT_STAT_DIR (default /dev/shm/brrtstat), or a path;\n"
            "                  may be omitted when the directory holds exactly one segment\n"
            "  --interval, -i  seconds between samples, %g to %g (default 1); + and - change it\n"
            "\n"
            "Keys: h or ? in the dashboard (q quits). NO_COLOR set: no colours.\n"
            "Needs a terminal; for scripts use `brrt-stat snapshot`.\n"
            "\nexit status:\n",
            WATCH_MIN_INTERVAL, WATCH_MAX_INTERVAL);
    cli_print_exit_codes(out);
}

/* Returns an exit code, or -1 after --help. */
static int parse(int argc, char **argv, struct watch *w, const char **segment)
{
    static const struct option longopts[] = {{"segment", required_argument, NULL, 's'},
                                             {"interval", required_argument, NULL, 'i'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:i:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            *segment = optarg;
            break;
        case 'i':
            if (cli_parse_seconds(optarg, &w->interval) || w->interval < WATCH_MIN_INTERVAL ||
                w->interval > WATCH_MAX_INTERVAL)
                return cli_fail(BRRT_EXIT_USAGE, "--interval wants seconds from %g to %g, not \"%s\"",
                                WATCH_MIN_INTERVAL, WATCH_MAX_INTERVAL, optarg);
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            cli_version("brrt-stat-watch");
            return -1;
        default:
            return cli_option_error(c, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    return BRRT_EXIT_OK;
}

/* Reads the segment once: follows a restarted writer, derives the sample, feeds the model and
 * rebuilds the browser's rows. A failed read keeps the previous data and shows why. */
static void take_sample(struct watch *w, double now)
{
    struct brrt_snapshot *s;
    if (brrt_reader_snapshot(w->reader, &s) != 0) {
        snprintf(w->error, sizeof w->error, "read failed: %s", brrt_reader_why(w->reader));
        return;
    }
    w->error[0] = '\0';
    if (s->info.replaced) {
        if (brrt_reader_reopen(w->reader) == 0) {
            brrt_snapshot_free(s);
            if (brrt_reader_snapshot(w->reader, &s) != 0) {
                snprintf(w->error, sizeof w->error, "read failed: %s", brrt_reader_why(w->reader));
                return;
            }
            w->restarted_at = now;
        } else { /* e.g. still initialising: keep showing the old writer, try again next time */
            snprintf(w->error, sizeof w->error, "new writer not readable yet: %s", brrt_reader_why(w->reader));
        }
    }
    brrt_snapshot_free(w->prev);
    w->prev = w->cur;
    w->cur = s;
    if (watch_derive(w->prev, w->cur, &w->sample) != 0)
        snprintf(w->error, sizeof w->error, "out of memory");
    model_add(&w->model, &w->sample);
    model_dash(&w->model, &w->sample, &w->dash);
    struct view v = {.segment = w->segment, .cur = w->cur, .prev = w->prev, .dt = w->sample.dt};
    if (browser_build(&w->browser, &v) != 0)
        snprintf(w->error, sizeof w->error, "out of memory");
    w->need_select = true;
}

static void run(struct watch *w)
{
    double now = mono_now();
    take_sample(w, now);
    w->next_sample = now + w->interval;
    while (!w->quit && !stop_signal) {
        now = mono_now();
        if (!w->paused && now >= w->next_sample) {
            take_sample(w, now);
            w->next_sample += w->interval;
            if (w->next_sample <= now) /* fell behind (suspended, slow terminal): no catching up */
                w->next_sample = now + w->interval;
        } else if (w->paused) {
            w->next_sample = now; /* resuming reads at once */
        }
        if (w->need_select) {
            browser_select(&w->browser, w->filter, w->sort, w->reverse);
            w->need_select = false;
        }
        draw_screen(w, now);
        /* Sleep in getch until the next sample, a key or a resize; at most a second, so the
         * status bar's data age moves even with long intervals or while paused. */
        double wait = w->paused ? 1.0 : w->next_sample - mono_now();
        wait = wait > 1.0 ? 1.0 : wait < 0 ? 0 : wait;
        timeout((int)ceil(wait * 1000));
        int ch = getch();
        if (ch == ERR)
            continue;
        if (ch == KEY_RESIZE) {
            w->need_clear = true;
            continue;
        }
        watch_key(w, ch);
    }
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    static struct watch w;
    w.interval = 1;
    w.restarted_at = NAN;
    const char *segment = NULL;
    int rc = parse(argc, argv, &w, &segment);
    if (rc)
        return rc < 0 ? BRRT_EXIT_OK : rc;
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
        return cli_fail(BRRT_EXIT_USAGE,
                        "watch needs a terminal (stdin and stdout); without one use "
                        "`brrt-stat snapshot%s%s` (add --interval S --count N for rates)",
                        segment ? " --segment " : "", segment ? segment : "");
    if ((rc = cli_pick_segment(segment, w.segment, sizeof w.segment)) != 0)
        return rc;
    char why[512];
    int err = brrt_reader_open(w.segment, &w.reader, why, sizeof why);
    if (err)
        return cli_fail(cli_exit_for(err), "%s", why);
    if (model_init(&w.model, WATCH_RING_CAP) != 0) {
        brrt_reader_close(w.reader);
        return cli_fail(BRRT_EXIT_FAILURE, "out of memory");
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_stop; /* no SA_RESTART: getch returns, the loop ends, endwin runs */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    const char *no_colour = getenv("NO_COLOR");
    const char *codeset = nl_langinfo(CODESET);
    w.unicode = codeset && strcmp(codeset, "UTF-8") == 0;
    set_escdelay(25); /* Esc leaves the filter prompt without a noticeable wait */
    SCREEN *scr = newterm(NULL, stdout, stdin); /* unlike initscr, returns on failure */
    if (!scr) {
        model_free(&w.model);
        brrt_reader_close(w.reader);
        return cli_fail(BRRT_EXIT_USAGE, "cannot use the terminal (TERM=%s); use `brrt-stat snapshot`",
                        getenv("TERM") ? getenv("TERM") : "");
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    w.colour = !(no_colour && *no_colour) && has_colors();
    draw_init_colours(&w);

    run(&w);

    endwin();
    delscreen(scr);
    browser_free(&w.browser);
    model_free(&w.model);
    brrt_snapshot_free(w.cur);
    brrt_snapshot_free(w.prev);
    brrt_reader_close(w.reader);
    return BRRT_EXIT_OK;
}
