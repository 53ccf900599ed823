/* The status bar (segment, writer pid and generation, uptime, state, data age, interval) and
 * the help screen, which is generated from the key table (keys.h) and the thresholds. */
#include "draw.h"

#include "human.h"
#include "keys.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static enum watch_colour state_colour(const char *state)
{
    if (strcmp(state, "running") == 0)
        return WC_GREEN;
    if (strcmp(state, "dead") == 0)
        return WC_RED;
    return WC_YELLOW; /* stale, exited, restarted */
}

void draw_status(struct watch *w, int row, int cols, double now)
{
    if (row < 0)
        return;
    attron(A_REVERSE);
    mvhline(row, 0, ' ', cols);
    move(row, 0);
    addch(' ');
    /* A long path: its tail is the part that tells segments apart. */
    const char *seg = w->segment;
    size_t sl = strlen(seg);
    if (sl > 24)
        seg += sl - 24;
    draw_clean(w, seg, 24);
    if (!w->cur) {
        attroff(A_REVERSE);
        return;
    }
    const struct brrt_reader_info *in = &w->cur->info;
    const char *state = brrt_writer_state_name(in->state);
    if (!isnan(w->restarted_at) && now - w->restarted_at < WATCH_RESTARTED_SHOWN &&
        in->state == BRRT_WRITER_RUNNING)
        state = "restarted";
    addstr("  ");
    attr_t sa = A_BOLD | colour_attr(w, state_colour(state));
    attron(sa);
    addstr(state);
    attroff(sa);
    attron(A_REVERSE);

    char up[32] = "-", age[32] = "?", iv[32];
    bool alive = in->state == BRRT_WRITER_RUNNING || in->state == BRRT_WRITER_STALE;
    if (alive && w->cur->taken_realtime_ns > in->start_realtime_ns)
        human_duration(up, sizeof up, (double)(w->cur->taken_realtime_ns - in->start_realtime_ns) / 1e9);
    /* How old the values on the screen are: the writer's heartbeat age when they were read,
     * plus the time since. */
    double taken = (double)w->cur->taken_mono_ns / 1e9;
    if (in->heartbeat_age_s >= 0)
        human_duration(age, sizeof age, in->heartbeat_age_s + (now > taken ? now - taken : 0));
    human_duration(iv, sizeof iv, w->interval);
    char text[512];
    int n = snprintf(text, sizeof text, "  pid %" PRIu64 "  gen %" PRIu64 "  up %s  age %s  every %s%s",
                     in->writer_pid, in->generation, up, age, iv, w->paused ? "  PAUSED" : "");
    if (w->error[0] && n > 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, "  %s", w->error);
    int x = getcurx(stdscr);
    if (x < cols)
        addnstr(text, cols - x);
    const char *hint = " h help ";
    x = getcurx(stdscr);
    if (cols - (int)strlen(hint) > x + 1)
        mvaddstr(row, cols - (int)strlen(hint), hint);
    attroff(A_REVERSE);
}

/* One help line per group of consecutive keys with the same action: "q Q      quit". */
static int help_table(const struct watch_key_def *keys, int n, int y, int x, int bottom, int width)
{
    for (int i = 0; i < n && y < bottom;) {
        char labels[48] = "";
        int j = i;
        for (; j < n && strcmp(keys[j].action, keys[i].action) == 0; j++) {
            char space_label[24];
            snprintf(space_label, sizeof space_label, " %s ", keys[j].label);
            char padded[52];
            snprintf(padded, sizeof padded, " %s ", labels);
            if (!strstr(padded, space_label)) { /* Enter/Return: one label once */
                size_t l = strlen(labels);
                snprintf(labels + l, sizeof labels - l, "%s%s", l ? " " : "", keys[j].label);
            }
        }
        attron(A_BOLD);
        mvaddnstr(y, x, labels, width);
        attroff(A_BOLD);
        if (width > 14)
            mvaddnstr(y, x + 14, keys[i].help, width - 14);
        y++;
        i = j;
    }
    return y;
}


void draw_help(struct watch *w, int rows, int cols)
{
    (void)w;
    int y = 0, x = 1, width = cols - 2;
    attron(A_BOLD);
    mvaddnstr(y++, x, "brrt-stat watch: keys", width);
    attroff(A_BOLD);
    y = help_table(watch_keys, watch_n_keys, y, x, rows, width);
    if (y < rows) {
        attron(A_BOLD);
        mvaddnstr(y++, x, "In the filter prompt (after /):", width);
        attroff(A_BOLD);
    }
    y = help_table(watch_edit_keys, watch_n_edit_keys, y, x, rows, width);
    if (y < rows) {
        attron(A_BOLD);
        mvaddnstr(y++, x, "Colours (the thresholds table, brrtstat/thresholds.h):", width);
        attroff(A_BOLD);
    }
    for (int t = 0; t < BRRT_TH_COUNT && y < rows; t++, y++) {
        const struct brrt_threshold_def *d = &brrt_thresholds[t];
        char line[200];
        snprintf(line, sizeof line, "%-8s %s <%g  %s %g+  %s %g+  %s %g+  %s", d->key,
                 brrt_colour_names[d->colour[0]], d->t[0], brrt_colour_names[d->colour[1]], d->t[0],
                 brrt_colour_names[d->colour[2]], d->t[1], brrt_colour_names[d->colour[3]], d->t[2],
                 d->what);
        mvaddnstr(y, x, line, width);
    }
}
