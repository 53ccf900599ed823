/* The screen: colours, items and flows, and the layout (sections, browser, status bar). */
#include "draw.h"

#include "human.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- colours ---------------------------------------------------------------------------- */

void draw_init_colours(struct watch *w)
{
    if (!w->colour)
        return; /* NO_COLOR: not even start_color(), so no colour attribute is ever sent */
    start_color();
    use_default_colors();
    /* Orange needs 256 colours; with 8 it falls back to magenta, still distinct from the rest. */
    short orange = COLORS >= 256 ? 208 : COLOR_MAGENTA;
    init_pair(WC_GREEN, COLOR_GREEN, -1);
    init_pair(WC_YELLOW, COLOR_YELLOW, -1);
    init_pair(WC_ORANGE, orange, -1);
    init_pair(WC_RED, COLOR_RED, -1);
}

attr_t colour_attr(const struct watch *w, enum watch_colour c)
{
    return w->colour && c != WC_NONE ? COLOR_PAIR(c) : 0;
}

/* ---- numbers ---------------------------------------------------------------------------- */

void fmt_pct(char *out, size_t n, double v)
{
    if (isnan(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, fabs(v) >= 999.5 ? "%.0f%%" : "%.1f%%", v);
}

void fmt_bytes(char *out, size_t n, double v)
{
    if (isnan(v))
        snprintf(out, n, "-");
    else
        human_bytes(out, n, v);
}

void fmt_seconds(char *out, size_t n, double v)
{
    human_duration(out, n, v); /* "-" for NaN */
}

void fmt_num(char *out, size_t n, double v)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(out, n, "-");
    else if (a >= 1e6)
        snprintf(out, n, "%.3gM", v / 1e6);
    else
        /* the precision after rounding: 9.996 is "10.0", not "10.00" */
        snprintf(out, n, a >= 99.5 || v == floor(v) ? "%.0f" : a >= 9.95 ? "%.1f" : "%.2f", v);
}

/* ---- items ------------------------------------------------------------------------------ */

void item_clear(struct item *it)
{
    it->n = 0;
    it->width = 0;
}

static struct run *add_run(struct item *it)
{
    if (it->n >= ITEM_RUNS)
        return NULL;
    struct run *r = &it->run[it->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void item_text(struct item *it, enum watch_colour c, attr_t a, const char *fmt, ...)
{
    struct run *r = add_run(it);
    if (!r)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
    r->kind = RUN_TEXT;
    r->colour = c;
    r->attr = a;
    r->width = (int)strlen(r->text);
    it->width += r->width;
}

void item_bar(struct item *it, enum watch_colour c, double frac, int width)
{
    struct run *r = add_run(it);
    if (!r)
        return;
    r->kind = RUN_BAR;
    r->colour = c;
    r->frac = isnan(frac) ? 0 : frac < 0 ? 0 : frac > 1 ? 1 : frac;
    r->width = width;
    it->width += width;
}

void item_spark(struct item *it, enum watch_colour c, const int *levels, int n)
{
    struct run *r = add_run(it);
    if (!r)
        return;
    r->kind = RUN_SPARK;
    r->colour = c;
    r->levels = levels;
    r->width = n;
    it->width += n;
}

/* ---- drawing runs ------------------------------------------------------------------------ */

static const char *const BAR_EIGHTHS[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
static const char *const SPARK_U[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
static const char SPARK_A[] = "_.-:=+*#";

static void draw_bar(const struct watch *w, const struct run *r)
{
    attr_t on = colour_attr(w, r->colour);
    int eighths = (int)floor(r->frac * r->width * 8 + 0.5);
    int full = eighths / 8, part = eighths % 8;
    attron(on);
    for (int i = 0; i < full; i++)
        addstr(w->unicode ? "\u2588" : "#");
    if (part && full < r->width)
        addstr(w->unicode ? BAR_EIGHTHS[part] : (part >= 4 ? "#" : "."));
    attroff(on);
    int rest = r->width - full - (part && full < r->width ? 1 : 0);
    attron(A_DIM);
    for (int i = 0; i < rest; i++)
        addstr(w->unicode ? "\u2591" : ".");
    attroff(A_DIM);
}

static void draw_spark(const struct watch *w, const struct run *r)
{
    attr_t on = colour_attr(w, r->colour);
    attron(on);
    for (int i = 0; i < r->width; i++) {
        int l = r->levels[i];
        if (l < 0)
            addch(' ');
        else if (w->unicode)
            addstr(SPARK_U[l]);
        else
            addch((chtype)(unsigned char)SPARK_A[l]);
    }
    attroff(on);
}

/* Draws the item at (y, x), at most `avail` columns of it. */
static void draw_item(const struct watch *w, const struct item *it, int y, int x, int avail)
{
    move(y, x);
    for (int i = 0; i < it->n && avail > 0; i++) {
        const struct run *r = &it->run[i];
        if (r->kind == RUN_TEXT) {
            attr_t a = r->attr | colour_attr(w, r->colour);
            attron(a);
            addnstr(r->text, avail < r->width ? avail : r->width);
            attroff(a);
        } else if (r->width <= avail) {
            if (r->kind == RUN_BAR)
                draw_bar(w, r);
            else
                draw_spark(w, r);
        }
        avail -= r->width;
    }
}

/* ---- flows ------------------------------------------------------------------------------- */

void flow_begin(struct flow *f, struct watch *w, int y, int bottom, int cols, const char *label)
{
    *f = (struct flow){.w = w, .y = y, .x = LABEL_W, .bottom = bottom, .cols = cols};
    if (y >= bottom) {
        f->full = true;
        return;
    }
    attron(A_BOLD);
    mvaddnstr(y, 0, label, LABEL_W - 1);
    attroff(A_BOLD);
}

void flow_put(struct flow *f, const struct item *it)
{
    if (f->full || it->n == 0)
        return;
    int x = f->x == LABEL_W ? LABEL_W : f->x + ITEM_GAP;
    if (x + it->width > f->cols && x > LABEL_W) { /* wrap */
        if (f->y + 1 >= f->bottom) {
            f->full = true;
            return;
        }
        f->y++;
        x = LABEL_W;
    }
    draw_item(f->w, it, f->y, x, f->cols - x);
    f->x = x + it->width;
}

int flow_end(const struct flow *f)
{
    return f->y >= f->bottom ? f->bottom : f->y + 1;
}

/* ---- the screen ------------------------------------------------------------------------- */

void draw_screen(struct watch *w, double now)
{
    if (w->need_clear) {
        clearok(curscr, TRUE);
        w->need_clear = false;
    }
    erase();
    int rows = LINES, cols = COLS;
    if (w->help) {
        draw_help(w, rows - 1, cols);
    } else if (!w->cur) { /* the first read failed: say why, keep trying */
        mvprintw(0, 0, "no data from %s yet", w->segment);
        mvaddnstr(1, 0, w->error, cols);
    } else if (rows < MIN_ROWS || cols < MIN_COLS) {
        mvprintw(0, 0, "brrt-stat watch needs %dx%d", MIN_COLS, MIN_ROWS);
        mvprintw(1, 0, "(80x24 or more shows everything)");
    } else {
        /* The sections first, leaving the browser at least its header and three rows. */
        int next = draw_sections(w, 0, rows - 1 - 4, cols);
        draw_browser(w, next, rows - 1, cols);
    }
    draw_status(w, rows - 1, cols, now);
    refresh();
}
