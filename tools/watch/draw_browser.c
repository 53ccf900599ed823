/* The metric browser: every series in the segment (known to the catalog or not), one row each
 * with its labels, filtered and sorted by the model (browser_select), scrolled here. */
#include "draw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define VALUE_MAX_W 21 /* 2^64 has 20 digits */

/* Label values come from the segment: no byte of them may move the cursor or change the
 * terminal's state, so control characters and invalid or unprintable characters become '?'
 * (brrt_printable_char decides, as for every text output). */
int draw_clean(const struct watch *w, const char *s, int maxw)
{
    int used = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    while (*s && used < maxw) {
        size_t p = brrt_printable_char(s); /* the rule every text front end shares */
        if (p <= 1) {
            addch(p ? (unsigned char)*s : '?');
            s++;
            used++;
            continue;
        }
        wchar_t wc;
        size_t n = w->unicode ? mbrtowc(&wc, s, p, &st) : (size_t)-1;
        int cw = n == p ? wcwidth(wc) : -1;
        if (cw < 0) {
            memset(&st, 0, sizeof st);
            addch('?');
            s++;
            used++;
        } else if (used + cw <= maxw) {
            addnwstr(&wc, 1);
            s += n;
            used += cw;
        } else {
            break;
        }
    }
    return used;
}

void draw_browser(struct watch *w, int top, int bottom, int cols)
{
    struct browser *b = &w->browser;
    if (top >= bottom)
        return;
    int page = bottom - top - 1;
    w->page = page;
    long max_scroll = (long)b->n_shown - page;
    if (w->scroll > max_scroll)
        w->scroll = max_scroll;
    if (w->scroll < 0)
        w->scroll = 0;
    /* The value and rate columns are as wide as their widest row, the names get the rest. */
    int value_w = 5, rate_w = 10; /* "value", "per second" */
    char rate[32];
    for (size_t i = 0; i < b->n_shown; i++) {
        const struct brow *row = &b->rows[b->order[i]];
        int l = (int)strlen(row->shown);
        value_w = l > value_w ? (l < VALUE_MAX_W ? l : VALUE_MAX_W) : value_w;
        if (!isnan(row->rate)) {
            fmt_num(rate, sizeof rate, row->rate);
            l = (int)strlen(rate) + 2;
            rate_w = l > rate_w ? l : rate_w;
        }
    }
    int name_w = cols - value_w - rate_w - 2;

    /* header: what is shown, how it is sorted and filtered, then the column titles */
    char head[160];
    int n = snprintf(head, sizeof head, "Metrics %zu of %zu  sort %s%s", b->n_shown, b->n,
                     watch_sort_names[w->sort],
                     w->reverse ? (w->sort == SORT_NAME ? " (z-a)" : " (low first)") : "");
    if (b->n_shown > (size_t)page && page > 0)
        snprintf(head + n, sizeof head - (size_t)n, "  rows %ld-%ld", w->scroll + 1,
                 w->scroll + (page < (long)b->n_shown ? page : (long)b->n_shown));
    attron(A_BOLD | A_UNDERLINE);
    mvhline(top, 0, ' ', cols);
    mvaddnstr(top, 0, head, cols);
    int x = (int)strlen(head) + 2;
    if (w->editing || w->filter[0]) {
        if (x < name_w) {
            mvaddnstr(top, x, w->editing ? "filter /" : "filter ", name_w - x);
            x += w->editing ? 8 : 7;
            if (x < name_w)
                x += draw_clean(w, w->filter, name_w - x);
        }
    }
    if (name_w > 0 && x < name_w) {
        mvprintw(top, name_w, " %*s %*s", value_w, "value", rate_w, "per second");
    }
    attroff(A_BOLD | A_UNDERLINE);
    int cursor_x = x;

    for (int i = 0; i < page; i++) {
        long r = w->scroll + i;
        if (r >= (long)b->n_shown)
            break;
        const struct brow *row = &b->rows[b->order[r]];
        move(top + 1 + i, 0);
        int kw = (int)strlen(row->key) > name_w ? name_w - 1 : name_w;
        draw_clean(w, row->key, kw > 0 ? kw : 0);
        if (kw < name_w && name_w > 0)
            addch('~'); /* cut */
        rate[0] = '\0';
        if (!isnan(row->rate)) {
            fmt_num(rate, sizeof rate, row->rate);
            strcat(rate, "/s");
        }
        if (name_w > 0)
            mvprintw(top + 1 + i, name_w, " %*.*s %*s", value_w, value_w, row->shown, rate_w, rate);
    }
    if (b->n_shown == 0 && page > 0)
        mvaddnstr(top + 1, 0, b->n ? "(no series matches the filter; Esc in / clears it)" : "(no series yet)", cols);
    if (w->editing) { /* a visible cursor at the end of the filter text */
        curs_set(1);
        move(top, cursor_x < cols ? cursor_x : cols - 1);
    } else {
        curs_set(0);
    }
}
