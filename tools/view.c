#include "view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool view_includes(const struct view *v, const struct brrt_snap_family *f)
{
    return !v->filter || filter_match(v->filter, f->name);
}

int view_window(const struct view *v, uint32_t family, uint32_t k, struct hist_window *w)
{
    const struct brrt_snap_family *f = &v->cur->families[family];
    const struct brrt_snap_series *s = &v->cur->series[f->first_series + k];
    const struct brrt_snap_series *p = brrt_snapshot_match(v->prev, v->cur, family, k);
    w->le_counts = calloc(f->n_le + 1, sizeof *w->le_counts);
    w->fine = calloc(f->n_fine, sizeof *w->fine);
    if (!w->le_counts || !w->fine) {
        view_window_free(w);
        return -1;
    }
    /* A counter read later is never smaller; clamp anyway so a reset cannot wrap. */
#define DELTA(a, b) ((a) > (b) ? (a) - (b) : 0)
    w->count = 0;
    for (uint32_t i = 0; i <= f->n_le; i++) {
        w->le_counts[i] = p ? DELTA(s->le_counts[i], p->le_counts[i]) : s->le_counts[i];
        w->count += w->le_counts[i];
    }
    for (uint32_t i = 0; i < f->n_fine; i++)
        w->fine[i] = p ? DELTA(s->fine[i], p->fine[i]) : s->fine[i];
    w->sum = p ? (double)DELTA(s->sum_raw, p->sum_raw) * f->scale : s->sum;
#undef DELTA
    return 0;
}

int view_window_all(const struct view *v, uint32_t family, struct hist_window *w)
{
    const struct brrt_snap_family *f = &v->cur->families[family];
    *w = (struct hist_window){.le_counts = calloc(f->n_le + 1, sizeof *w->le_counts),
                              .fine = calloc(f->n_fine, sizeof *w->fine)};
    if (!w->le_counts || !w->fine) {
        view_window_free(w);
        return -1;
    }
    for (uint32_t k = 0; k < f->n_series; k++) {
        struct hist_window one;
        if (view_window(v, family, k, &one) != 0) {
            view_window_free(w);
            return -1;
        }
        w->count += one.count;
        w->sum += one.sum;
        for (uint32_t i = 0; i <= f->n_le; i++)
            w->le_counts[i] += one.le_counts[i];
        for (uint32_t i = 0; i < f->n_fine; i++)
            w->fine[i] += one.fine[i];
        view_window_free(&one);
    }
    return 0;
}

void view_window_free(struct hist_window *w)
{
    free(w->le_counts);
    free(w->fine);
    w->le_counts = NULL;
    w->fine = NULL;
}

double view_rate(const struct view *v, uint32_t family, uint32_t k)
{
    const struct brrt_snap_family *f = &v->cur->families[family];
    const struct brrt_snap_series *s = &v->cur->series[f->first_series + k];
    const struct brrt_snap_series *p = brrt_snapshot_match(v->prev, v->cur, family, k);
    if (!v->prev || !(v->dt > 0))
        return NAN;
    /* No previous value: the series (or the writer's generation) began within the window,
     * so everything it counted happened in it. */
    if (f->storage == BRRT_SHM_SHARDED_U64) {
        uint64_t before = p ? p->u64 : 0;
        return s->u64 >= before ? (double)(s->u64 - before) * f->scale / v->dt : NAN;
    }
    return (s->value - (p ? p->value : 0.0)) / v->dt;
}
