/* The exposition plan as public API (render.h): what expo_plan_build decides, for renderers
 * outside the library (the exporter's protobuf), so every format leaves out the same. */
#include "expo_plan.h"

#include <stdlib.h>
#include <string.h>

const char *brrt_expo_family_name(const char *name, bool counter, bool openmetrics, char buf[BRRT_EXPO_FAMILY_MAX],
                                  size_t *len)
{
    size_t n = strlen(name);
    n = n < BRRT_EXPO_FAMILY_MAX - 1 ? n : BRRT_EXPO_FAMILY_MAX - 1;
    memcpy(buf, name, n);
    const char *suffix = "";
    if (counter) {
        if (n >= 6 && memcmp(buf + n - 6, "_total", 6) == 0)
            n -= 6;
        if (!openmetrics && n + 6 < BRRT_EXPO_FAMILY_MAX) {
            memcpy(buf + n, "_total", 6);
            n += 6;
        }
        suffix = openmetrics ? "_total" : "";
    }
    buf[n] = '\0';
    *len = n;
    return suffix;
}

int brrt_expo_plan_build(struct brrt_expo_plan *p, const struct brrt_snapshot *const *snaps, uint32_t n,
                         const struct brrt_prom_opts *o)
{
    struct brrt_prom_opts none = {0};
    return expo_plan_build(p, snaps, n, o ? o : &none);
}

int brrt_expo_plan_get(struct brrt_expo_plan *own, const struct brrt_snapshot *const *snaps, uint32_t n,
                       const struct brrt_prom_opts *o, const struct brrt_expo_plan **out)
{
    struct brrt_prom_opts none = {0};
    own->items = NULL;
    own->n = 0;
    return expo_plan_get(own, snaps, n, o ? o : &none, out);
}

void brrt_expo_plan_free(struct brrt_expo_plan *p)
{
    free(p->items);
    p->items = NULL;
    p->n = 0;
}

bool brrt_expo_series_ok(const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    return expo_series_ok(f, s);
}
