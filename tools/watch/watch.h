/* brrt-stat-watch: what its files share. watch_main.c owns the loop (arguments, the reader,
 * sampling, the terminal); keys.c the key actions (keys.h: the key table); draw_*.c the
 * screen; model.c the numbers (pure, no curses). */
#ifndef BRRT_WATCH_H
#define BRRT_WATCH_H

#include "model.h"

#include <stdbool.h>
#include <stdint.h>

#define WATCH_FILTER_MAX 96
#define WATCH_MIN_INTERVAL 0.25 /* seconds; the rings keep 15 minutes at this rate */
#define WATCH_MAX_INTERVAL 3600.0
#define WATCH_RING_CAP 4096
#define WATCH_RESTARTED_SHOWN 10.0 /* seconds the status bar says "restarted" */

struct watch {
    /* set up by watch_main.c */
    char segment[4096]; /* as given (name or path) */
    double interval;
    bool colour;  /* false with NO_COLOR or a terminal without colours */
    bool unicode; /* UTF-8 locale: block characters for bars and charts */
    brrt_reader *reader;

    /* the data: the two newest snapshots and what was derived from them */
    struct brrt_snapshot *cur, *prev;
    struct watch_sample sample;
    struct watch_model model;
    struct watch_dash dash;
    struct browser browser;
    double next_sample; /* monotonic seconds */
    double restarted_at; /* when a restarted writer was last followed; NaN: never */
    char error[256];     /* the last reader error, shown in the status bar ("" when none) */

    /* the screen's state, changed by keys */
    bool quit, paused, help, editing;
    char filter[WATCH_FILTER_MAX];
    enum watch_sort sort;
    bool reverse;
    long scroll;       /* first browser row shown */
    int page;          /* browser rows that fit, from the last draw */
    bool need_select;  /* the filter or sort changed: browser_select before drawing */
    bool need_clear;   /* repaint everything (resize, ^L) */
};

/* keys.c: handles one key; returns false when the key is not bound. */
bool watch_key(struct watch *w, int ch);
/* The interval after `dir` (+1 longer, -1 shorter) steps. */
double watch_step_interval(double cur, int dir);

/* draw_*.c */
void draw_init_colours(struct watch *w);
void draw_screen(struct watch *w, double now);
/* Draws the sections from row `top`, not below `bottom`; returns the next free row (the
 * browser gets the rest). */
int draw_sections(struct watch *w, int top, int bottom, int cols);
void draw_browser(struct watch *w, int top, int bottom, int cols);
void draw_status(struct watch *w, int row, int cols, double now);
void draw_help(struct watch *w, int rows, int cols);

#endif
