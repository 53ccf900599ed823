/* brrt-stat-watch's keys, declared once: X(key, label, help, action). The table drives the
 * dispatch (a switch: a key bound twice does not compile) and the help screen (consecutive
 * rows with the same action share one help line), so the two cannot disagree.
 * docs/watch.md and docs/brrt-stat-watch.1 list the same keys; test_watch.sh checks the help
 * screen against this table. */
#ifndef BRRT_WATCH_KEYS_H
#define BRRT_WATCH_KEYS_H

#include <curses.h>

#define WATCH_CTRL(c) ((c) & 0x1f)

#define WATCH_KEYS(X)                                                                          \
    X('q', "q", "quit", key_quit)                                                              \
    X('Q', "Q", "quit", key_quit)                                                              \
    X('p', "p", "pause / resume (nothing is read while paused)", key_pause)                    \
    X(' ', "Space", "pause / resume (nothing is read while paused)", key_pause)                \
    X('/', "/", "filter the metric browser (incremental, case-insensitive)", key_filter)       \
    X('s', "s", "sort the browser by the next of name, value, rate", key_sort)                 \
    X('S', "S", "reverse the sort order", key_reverse)                                         \
    X(KEY_DOWN, "Down", "scroll the browser down a line", key_down)                            \
    X('j', "j", "scroll the browser down a line", key_down)                                    \
    X(KEY_UP, "Up", "scroll the browser up a line", key_up)                                    \
    X('k', "k", "scroll the browser up a line", key_up)                                        \
    X(KEY_NPAGE, "PgDn", "scroll the browser down a page", key_page_down)                      \
    X(WATCH_CTRL('f'), "^F", "scroll the browser down a page", key_page_down)                  \
    X(KEY_PPAGE, "PgUp", "scroll the browser up a page", key_page_up)                          \
    X(WATCH_CTRL('b'), "^B", "scroll the browser up a page", key_page_up)                      \
    X(KEY_HOME, "Home", "first row of the browser", key_home)                                  \
    X('g', "g", "first row of the browser", key_home)                                          \
    X(KEY_END, "End", "last row of the browser", key_end)                                      \
    X('G', "G", "last row of the browser", key_end)                                            \
    X('+', "+", "longer interval (0.25 0.5 1 2 5 10 30 60 s)", key_slower)                     \
    X('=', "=", "longer interval (0.25 0.5 1 2 5 10 30 60 s)", key_slower)                     \
    X('-', "-", "shorter interval", key_faster)                                                \
    X('r', "r", "reset the averages (1m/5m/15m CPU, growth, charts start again)", key_reset)   \
    X(WATCH_CTRL('l'), "^L", "redraw the screen", key_redraw)                                  \
    X('h', "h", "this help (any key closes it)", key_help)                                     \
    X('?', "?", "this help (any key closes it)", key_help)

/* While the filter is edited (after '/'), keys edit it instead: X(key, label, help, action). */
#define WATCH_EDIT_KEYS(X)                                                                     \
    X('\n', "Enter", "keep the filter and leave the prompt", edit_accept)                     \
    X('\r', "Enter", "keep the filter and leave the prompt", edit_accept)                    \
    X(KEY_ENTER, "Enter", "keep the filter and leave the prompt", edit_accept)               \
    X(27, "Esc", "clear the filter and leave the prompt", edit_cancel)                        \
    X(KEY_BACKSPACE, "Backspace", "delete a character", edit_backspace)                       \
    X(127, "Backspace", "delete a character", edit_backspace)                                       \
    X(WATCH_CTRL('h'), "^H", "delete a character", edit_backspace)                            \
    X(WATCH_CTRL('u'), "^U", "clear the filter text", edit_clear)

struct watch_key_def {
    int key;
    const char *label;
    const char *help;
    const char *action; /* its action's name: equal names share a help line */
};
/* The tables as data, for the help screen (keys.c). */
extern const struct watch_key_def watch_keys[];
extern const int watch_n_keys;
extern const struct watch_key_def watch_edit_keys[];
extern const int watch_n_edit_keys;

#endif
