/* Internal to the reader library: the pieces of the Prometheus/OpenMetrics text renderer that
 * render_prom.c (the general path) and render_cache.c (the text a brrt_prom_cache keeps, the
 * exporter's path) share. rp_ = render_prom. */
#ifndef BRRTSTAT_RENDER_TEXT_H
#define BRRTSTAT_RENDER_TEXT_H

#include "expo_plan.h"

#include "brrtstat/render.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SUFFIX(s) s, sizeof s - 1

/* Each bucket's `BOUND"} ` of a histogram family, built once per family and render. */
struct le_pieces {
    char piece[BRRT_SHM_MAX_LE + 1][BRRT_FMT_DOUBLE_MAX + 4];
    uint8_t len[BRRT_SHM_MAX_LE + 1];
    size_t max;
};

/* What every line of one family of one snapshot starts with. */
struct line_ctx {
    const char *name; /* the exposed family name */
    size_t name_len;
    const char *extra; /* `extra_label_name="value"`, or "" */
    size_t extra_len;
    const char *clash; /* the family's label that extra_label_name renames, or NULL */
};

static inline char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* name suffix{extra,labels} and a space, the braces only when there is a label; with `le`,
 * stops after `,le="` instead (the caller goes on with the bound and `"} `). The caller
 * writes the value and the newline. */
static inline char *line_head(char *p, const struct line_ctx *c, const char *suffix, size_t suffix_len,
                       const char *labels, size_t labels_len, bool le)
{
    p = put(p, c->name, c->name_len);
    if (suffix_len)
        p = put(p, suffix, suffix_len);
    if (c->extra_len || labels_len || le) {
        char *open = p + 1;
        *p++ = '{';
        if (c->extra_len)
            p = put(p, c->extra, c->extra_len);
        if (labels_len) {
            if (p != open)
                *p++ = ',';
            p = put(p, labels, labels_len);
        }
        if (le) {
            if (p != open)
                *p++ = ',';
            return put(p, "le=\"", 4);
        }
        *p++ = '}';
    }
    *p++ = ' ';
    return p;
}

/* HELP, TYPE (and UNIT in OpenMetrics) of family `f` exposed as `fam`. */
void rp_header(struct brrt_buf *b, const struct brrt_snap_family *f, const char *fam, bool om);
/* Series `i`'s value of a counter or gauge family (from snap->raw when there) into `out`
 * (BRRT_FMT_DOUBLE_MAX bytes); *ok: whether it can go out (brrt_expo_series_ok). */
size_t rp_scalar_at(char *out, const struct brrt_snapshot *snap, const struct brrt_snap_family *f, uint32_t i,
                    bool *ok);
/* Whether the snapshot read this family's values (never print values it does not have). */
bool rp_has_values(const struct brrt_snapshot *snap, const struct brrt_snap_family *f);
/* A counter's or histogram's _created value in OpenMetrics into out[BRRT_FMT_DOUBLE_MAX], or "". */
size_t rp_created_text(char *out, const struct brrt_snapshot *snap, const struct brrt_snap_family *f, bool om);
void rp_le_pieces(const struct brrt_snap_family *f, struct le_pieces *lp);
/* `name="escaped value"` for each of n snapshots into `e`: offsets (n + 1, malloc'd), or NULL. */
size_t *rp_extra_pieces(struct brrt_buf *e, const char *name, const char *const *values, uint32_t n);
/* The family's label that the extra label renames, or NULL. */
const char *rp_clashing_label(const struct brrt_snap_family *f, const char *extra_name);

/* render_cache.c: renders the plan's families with the text kept in *slot (built or rebuilt
 * there when missing or stale). False when it cannot have the text (out of memory): nothing
 * was written, render the general way. */
/* Counts the histogram families of kept text `t` (may be NULL) by how their bucket heads are
 * kept: whole (le included) or one per series (reader_tests.h). */
void rp_text_hist_heads(const struct prom_text *t, uint32_t *whole, uint32_t *le);
bool rp_render_cached(struct brrt_buf *b, struct prom_text **slot, const struct brrt_expo_plan *plan,
                      const struct brrt_snapshot *const *snaps, const char *const *values, uint32_t n,
                      const char *extra_name, const struct brrt_prom_opts *o);

#endif
