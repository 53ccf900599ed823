/* -I / -X metric-name globs, varnishstat style: the first pattern that matches decides; a name
 * no pattern matches is included unless the first pattern given was an -I. */
#ifndef BRRT_STAT_FILTER_H
#define BRRT_STAT_FILTER_H

#include <stdbool.h>

#define FILTER_MAX 64

struct filter {
    int n;
    struct {
        const char *glob;
        bool include;
    } rule[FILTER_MAX];
};

/* Returns 0, or -1 when there are too many patterns. */
int filter_add(struct filter *f, const char *glob, bool include);
bool filter_match(const struct filter *f, const char *name);

#endif
