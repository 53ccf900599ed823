/* brrt-stat-watch's key actions. The bindings are in keys.h (one table for dispatch and help). */
#include "keys.h"

#include "watch.h"

#include <ctype.h>
#include <string.h>

#define WATCH_KEY_DEF(k, l, h, fn) {k, l, h, #fn},
const struct watch_key_def watch_keys[] = {WATCH_KEYS(WATCH_KEY_DEF)};
const int watch_n_keys = sizeof watch_keys / sizeof watch_keys[0];
const struct watch_key_def watch_edit_keys[] = {WATCH_EDIT_KEYS(WATCH_KEY_DEF)};
const int watch_n_edit_keys = sizeof watch_edit_keys / sizeof watch_edit_keys[0];
#undef WATCH_KEY_DEF

static const double intervals[] = {0.25, 0.5, 1, 2, 5, 10, 30, 60};
enum { N_INTERVALS = sizeof intervals / sizeof intervals[0] };

double watch_step_interval(double cur, int dir)
{
    if (dir > 0) {
        for (int i = 0; i < N_INTERVALS; i++)
            if (intervals[i] > cur * 1.0001)
                return intervals[i];
        return cur > intervals[N_INTERVALS - 1] ? cur : intervals[N_INTERVALS - 1];
    }
    for (int i = N_INTERVALS - 1; i >= 0; i--)
        if (intervals[i] < cur * 0.9999)
            return intervals[i];
    return intervals[0];
}

static void key_quit(struct watch *w)
{
    w->quit = true;
}

static void key_pause(struct watch *w)
{
    w->paused = !w->paused;
}

static void key_filter(struct watch *w)
{
    w->editing = true;
}

static void key_sort(struct watch *w)
{
    w->sort = (enum watch_sort)((w->sort + 1) % SORT_COUNT);
    w->reverse = false;
    w->scroll = 0;
    w->need_select = true;
}

static void key_reverse(struct watch *w)
{
    w->reverse = !w->reverse;
    w->need_select = true;
}

static void key_down(struct watch *w)
{
    w->scroll++;
}

static void key_up(struct watch *w)
{
    w->scroll--;
}

static void key_page_down(struct watch *w)
{
    w->scroll += w->page > 1 ? w->page - 1 : 1;
}

static void key_page_up(struct watch *w)
{
    w->scroll -= w->page > 1 ? w->page - 1 : 1;
}

static void key_home(struct watch *w)
{
    w->scroll = 0;
}

static void key_end(struct watch *w)
{
    w->scroll = (long)w->browser.n; /* clamped when drawn */
}

static void set_interval(struct watch *w, double iv)
{
    w->next_sample += iv - w->interval; /* the next sample is `iv` after the last one */
    w->interval = iv;
}

static void key_slower(struct watch *w)
{
    set_interval(w, watch_step_interval(w->interval, +1));
}

static void key_faster(struct watch *w)
{
    set_interval(w, watch_step_interval(w->interval, -1));
}

static void key_reset(struct watch *w)
{
    model_reset(&w->model);
    if (w->cur) /* the averages start again from the newest sample */
        model_add(&w->model, &w->sample);
    model_dash(&w->model, &w->sample, &w->dash);
}

static void key_redraw(struct watch *w)
{
    w->need_clear = true;
}

static void key_help(struct watch *w)
{
    w->help = true;
}

static void edit_accept(struct watch *w)
{
    w->editing = false;
}

static void edit_cancel(struct watch *w)
{
    w->editing = false;
    w->filter[0] = '\0';
    w->scroll = 0;
    w->need_select = true;
}

static void edit_backspace(struct watch *w)
{
    size_t n = strlen(w->filter);
    if (n)
        w->filter[n - 1] = '\0';
    w->need_select = true;
}

static void edit_clear(struct watch *w)
{
    w->filter[0] = '\0';
    w->need_select = true;
}

static bool edit_key(struct watch *w, int ch)
{
    switch (ch) {
#define WATCH_EDIT_CASE(k, l, h, fn)                                                           \
    case k:                                                                                    \
        fn(w);                                                                                 \
        return true;
        WATCH_EDIT_KEYS(WATCH_EDIT_CASE)
#undef WATCH_EDIT_CASE
    default:
        break;
    }
    size_t n = strlen(w->filter);
    if (ch >= 0 && ch < 256 && isprint(ch) && n + 1 < sizeof w->filter) {
        w->filter[n] = (char)ch;
        w->filter[n + 1] = '\0';
        w->scroll = 0;
        w->need_select = true; /* incremental: the browser follows every key */
        return true;
    }
    return false;
}

bool watch_key(struct watch *w, int ch)
{
    if (w->help) { /* any key closes the help screen */
        w->help = false;
        return true;
    }
    if (w->editing)
        return edit_key(w, ch);
    switch (ch) {
#define WATCH_KEY_CASE(k, l, h, fn)                                                            \
    case k:                                                                                    \
        fn(w);                                                                                 \
        return true;
        WATCH_KEYS(WATCH_KEY_CASE)
#undef WATCH_KEY_CASE
    default:
        return false;
    }
}
