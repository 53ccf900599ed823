/* The plan of one Prometheus/OpenMetrics exposition of several snapshots: families merged by
 * name across snapshots (in order of first appearance), and the ones left out because the
 * exposition would be invalid with them. Linear in the number of families (hash indexes):
 * --all over many segments must not be quadratic. Internal to the reader library. */
#ifndef BRRTSTAT_EXPO_PLAN_H
#define BRRTSTAT_EXPO_PLAN_H

#include "brrtstat/render.h"

#include <stdbool.h>
#include <stdint.h>

/* The plan is render.h's struct brrt_expo_plan: items (struct brrt_expo_item: snapshot, family,
 * head of its name group) in exposition order, each group's head then its members. */

/* Builds the plan. A family is left out (and counted in o->dropped[snap] when given):
 *  - when one of the names its samples or headers take in either format (NAME; a counter's
 *    NAME_total, NAME_created and NAME without _total; a histogram's NAME_bucket, NAME_sum,
 *    NAME_count, NAME_created) is taken by an earlier family of another name, or by one of
 *    o->reserved_names (e.g. the exporter's own metrics);
 *  - a same-named family of a later snapshot whose type differs from the first's.
 * Returns 0 or -1 (out of memory). */
int expo_plan_build(struct brrt_expo_plan *p, const struct brrt_snapshot *const *snaps, uint32_t n,
                    const struct brrt_prom_opts *o);
void expo_plan_free(struct brrt_expo_plan *p);
/* brrt_expo_series_ok, inline for the renderers. */
static inline bool expo_series_ok(const struct brrt_snap_family *f, const struct brrt_snap_series *s)
{
    return f->type != BRRT_SHM_COUNTER || s->value >= 0;
}

/* render_prom.c: the exposition text a cache keeps with its plan (opaque here). */
struct prom_text;
void prom_text_free(struct prom_text *t);
/* The text slot of cache `c` (NULL or a prom_text). expo_plan_get empties it whenever it
 * rebuilds the cache's plan; the text's own checks cover the rest. */
struct prom_text **expo_plan_text(struct brrt_prom_cache *c);
/* The plan for these snapshots: o->cache's when it was built from the same families and
 * reserved names (o->dropped counted as a build would), else built (into o->cache when there
 * is one and no filter, else into `own`, which the caller frees when *out == own). 0 or -1. */
int expo_plan_get(struct brrt_expo_plan *own, const struct brrt_snapshot *const *snaps, uint32_t n,
                  const struct brrt_prom_opts *o, const struct brrt_expo_plan **out);

#endif
