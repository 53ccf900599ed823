/* What a snapshot renderer is given: the snapshot, optionally the previous one (interval mode:
 * rates and windowed percentiles), and the metric filter. */
#ifndef BRRT_STAT_VIEW_H
#define BRRT_STAT_VIEW_H

#include "brrtstat/reader.h"
#include "brrtstat/render.h"
#include "filter.h"

#include <stdint.h>

struct view {
    const char *segment;
    const struct brrt_snapshot *cur;
    const struct brrt_snapshot *prev; /* NULL: values since start */
    double dt;                        /* seconds from prev to cur */
    const struct filter *filter;
};

/* The quantiles every front end reports, X(label, q) */
#define VIEW_QUANTILES(X) X("p50", 0.50) X("p90", 0.90) X("p95", 0.95) X("p99", 0.99) X("p999", 0.999)

/* A histogram series over the view's window (everything since start without prev). */
struct hist_window {
    uint64_t count;
    double sum;
    uint64_t *le_counts; /* n_le + 1, non-cumulative */
    uint64_t *fine;      /* n_fine */
};

/* Fills `w` (allocating its arrays; free with view_window_free). -1 on allocation failure. */
int view_window(const struct view *v, uint32_t family, uint32_t k, struct hist_window *w);
void view_window_free(struct hist_window *w);
/* The window of every series of histogram `family` merged (what a dashboard's sum without the
 * series' labels sees): same buckets, counts added. -1 on allocation failure. */
int view_window_all(const struct view *v, uint32_t family, struct hist_window *w);
/* Per-second rate of a counter series over the window; NaN without prev. */
double view_rate(const struct view *v, uint32_t family, uint32_t k);
bool view_includes(const struct view *v, const struct brrt_snap_family *f);

void render_text(struct brrt_buf *b, const struct view *v);
/* Returns 0, or -1 when out of memory. */
int render_json(struct brrt_buf *b, const struct view *v);

#endif
