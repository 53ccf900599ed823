/* Writer internals that tests may look at, so a test can assert how the writer's structures
 * grow instead of timing it. Not installed; tests link libbrrtstat statically. */
#ifndef BRRTSTAT_WRITER_TESTS_H
#define BRRTSTAT_WRITER_TESTS_H

#include "brrtstat/brrtstat.h"

/* The bucket count of the segment's series hash table (registry.c; it doubles when the
 * series outnumber the buckets). */
unsigned long brrt__registry_buckets(const brrt_seg *seg);

#endif
