/* Reader internals that tests may look at (work counts), so a test can assert that a hostile
 * segment costs O(n) work and bounded memory instead of timing it. Not installed. */
#ifndef BRRTSTAT_READER_TESTS_H
#define BRRTSTAT_READER_TESTS_H

#include "brrtstat/reader.h"

#include <stdint.h>

struct rd_work {
    uint64_t entries_parsed; /* directory entries validated, over the reader's life */
    uint64_t name_probes;    /* family-name index probes (uniqueness checks) */
    uint64_t dir_bytes;      /* bytes of the parsed-directory cache (strings, arrays) */
};

/* The work counts of the reader's current attachment. */
void rd_work_of(const brrt_reader *r, struct rd_work *out);

struct brrt_prom_cache;
/* How many exposition plans cache `c` has built (a reused plan builds none). */
uint64_t rd_prom_cache_builds(const struct brrt_prom_cache *c);
/* Of the histogram families in cache `c`'s kept text, how many keep whole bucket heads
 * (*whole) and how many one head per series plus the `le` pieces (*le); 0 and 0 without text. */
void rd_prom_cache_hist_heads(struct brrt_prom_cache *c, uint32_t *whole, uint32_t *le);

#endif
