/* What draw_*.c share: colours, and items (short runs of text, bars and sparklines) that a
 * flow lays out in lines after a section label, wrapping to the terminal's width. */
#ifndef BRRT_WATCH_DRAW_H
#define BRRT_WATCH_DRAW_H

#include "watch.h"

#include <curses.h>

#define LABEL_W 9  /* the section label column */
#define ITEM_GAP 2 /* spaces between items */
#define MIN_COLS 40
#define MIN_ROWS 12

enum run_kind { RUN_TEXT, RUN_BAR, RUN_SPARK };

struct run {
    enum run_kind kind;
    enum watch_colour colour;
    attr_t attr;
    int width;       /* terminal columns */
    char text[64];   /* RUN_TEXT: ASCII */
    double frac;     /* RUN_BAR: 0..1 */
    const int *levels; /* RUN_SPARK: `width` levels 0..7, -1 for none */
};

#define ITEM_RUNS 6
struct item {
    struct run run[ITEM_RUNS];
    int n;
    int width;
};

void item_clear(struct item *it);
void item_text(struct item *it, enum watch_colour c, attr_t a, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void item_bar(struct item *it, enum watch_colour c, double frac, int width);
void item_spark(struct item *it, enum watch_colour c, const int *levels, int n);

struct flow {
    struct watch *w;
    int y, x, bottom, cols;
    bool full; /* ran out of rows: the rest of the section was not drawn */
};

/* Starts a section at row y with `label` in bold; items go on rows y .. bottom - 1. */
void flow_begin(struct flow *f, struct watch *w, int y, int bottom, int cols, const char *label);
/* Puts an item after the previous one, or on the next row when it does not fit. */
void flow_put(struct flow *f, const struct item *it);
/* The row after the section. */
int flow_end(const struct flow *f);

/* The curses attribute of a colour (0 without colour). */
attr_t colour_attr(const struct watch *w, enum watch_colour c);

/* Writes at most `maxw` columns of untrusted text (label values, the segment name) with
 * every control or unprintable character shown as '?'. Returns the columns used. */
int draw_clean(const struct watch *w, const char *s, int maxw);

/* Readable numbers; "-" for NaN. */
void fmt_pct(char *out, size_t n, double v);
void fmt_bytes(char *out, size_t n, double v);
void fmt_seconds(char *out, size_t n, double v);
void fmt_num(char *out, size_t n, double v);

#endif
