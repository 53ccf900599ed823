/* brrt_catalog_register: a catalog row as a brrt_metric_def. Its own file, so programs that
 * only look names up (the reader-side tools) never pull in a reference to libbrrtstat. */
#include "brrtstat/brrtstat.h"
#include "brrtstat/catalog.h"

#include <stdio.h>
#include <string.h>

int brrt_catalog_register(brrt_seg *seg, const char *name, const double *le, uint32_t n_le,
                          brrt_family **out)
{
    const struct brrt_catalog_entry *e = brrt_catalog_find(name);
    if (!e)
        return BRRT_E_INVAL;
    char labels[128];
    snprintf(labels, sizeof labels, "%s", e->labels);
    const char *names[16];
    uint32_t n = 0;
    for (char *save = NULL, *t = strtok_r(labels, ",", &save); t && n < 16;
         t = strtok_r(NULL, ",", &save))
        names[n++] = t;
    struct brrt_metric_def d = {.name = e->name, .help = e->help, .unit = e->unit,
                                .type = (enum brrt_type)e->type, .label_names = names, .nlabels = n,
                                .le = le, .n_le = n_le,
                                .scale = e->type == BRRT_HISTOGRAM ? 1e-9 : 0};
    return brrt_family_register(seg, &d, out);
}
