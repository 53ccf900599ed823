/* Exposition pieces computed once per family and series of a directory (so once per
 * generation, not per scrape): the text of each histogram bound and of each series' labels.
 * The renderers copy them instead of formatting and escaping on every scrape. */
#include "reader_internal.h"

#include "brrtstat/render.h"

#include <string.h>

static const char *keep(struct rd_dir *d, const char *s, size_t len)
{
    char *p = rd_alloc(d, len + 1, 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

int rd_text_family(struct rd_dir *d, struct brrt_snap_family *f)
{
    if (f->type != BRRT_SHM_HISTOGRAM)
        return 0;
    const char **t = rd_alloc(d, (f->n_le + 1) * sizeof *t, sizeof *t);
    if (!t)
        return BRRT_E_NOMEM;
    for (uint32_t i = 0; i < f->n_le; i++) {
        char num[BRRT_FMT_DOUBLE_MAX];
        if (!(t[i] = keep(d, num, brrt_fmt_double(num, sizeof num, f->le[i]))))
            return BRRT_E_NOMEM;
    }
    t[f->n_le] = "+Inf";
    f->le_text = t;
    return 0;
}

void rd_labels_text(struct brrt_buf *b, const struct brrt_snap_family *f,
                    const char *const *values, const char *rename)
{
    for (uint32_t i = 0; i < f->nlabels; i++) {
        if (i)
            brrt_buf_add(b, ",", 1);
        if (rename && strcmp(f->label_names[i], rename) == 0)
            brrt_buf_add(b, "exported_", 9);
        brrt_buf_puts(b, f->label_names[i]);
        brrt_buf_add(b, "=\"", 2);
        brrt_buf_escaped(b, values[i], true);
        brrt_buf_add(b, "\"", 1);
    }
}

int rd_text_series(struct rd_dir *d, const struct brrt_snap_family *f, struct rd_series_meta *s)
{
    struct brrt_buf *b = &d->scratch;
    brrt_buf_reset(b);
    rd_labels_text(b, f, s->label_values, NULL);
    if (b->failed || !(s->labels_text = keep(d, b->data ? b->data : "", b->len)))
        return BRRT_E_NOMEM;
    s->labels_text_len = (uint32_t)b->len;
    return 0;
}
