#include "brrtstat/catalog.h"

#include "brrtstat/types.h"

#include <string.h>

const struct brrt_catalog_entry brrt_catalog[BRRT_M_COUNT] = {
#define BRRT_METRIC_ROW(id, name, type, unit, labels, section, help)                              \
    [BRRT_M_##id] = {name, type, unit, labels, BRRT_SECTION_##section, help},
    BRRT_CATALOG(BRRT_METRIC_ROW)
#undef BRRT_METRIC_ROW
};

const char *const brrt_section_titles[BRRT_SECTION_COUNT] = {
#define BRRT_SECTION_ROW(id, title) [BRRT_SECTION_##id] = title,
    BRRT_SECTIONS(BRRT_SECTION_ROW)
#undef BRRT_SECTION_ROW
};

const struct brrt_catalog_entry *brrt_catalog_find(const char *name)
{
    for (int i = 0; name && i < BRRT_M_COUNT; i++)
        if (strcmp(brrt_catalog[i].name, name) == 0)
            return &brrt_catalog[i];
    return NULL;
}

enum brrt_section brrt_catalog_section(const char *name)
{
    const struct brrt_catalog_entry *e = brrt_catalog_find(name);
    return e ? e->section : BRRT_SECTION_OTHER;
}
