#include "filter.h"

#include <fnmatch.h>

int filter_add(struct filter *f, const char *glob, bool include)
{
    if (f->n >= FILTER_MAX)
        return -1;
    f->rule[f->n].glob = glob;
    f->rule[f->n].include = include;
    f->n++;
    return 0;
}

bool filter_match(const struct filter *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (fnmatch(f->rule[i].glob, name, 0) == 0)
            return f->rule[i].include;
    return f->n == 0 || !f->rule[0].include;
}
