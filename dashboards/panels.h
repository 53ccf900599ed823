/* The dashboard's panels as data (panel_table.c), turned into Grafana JSON by panels.c. */
#ifndef BRRT_DASH_PANELS_H
#define BRRT_DASH_PANELS_H

#include "brrtstat/thresholds.h"

#include <stdbool.h>
#include <stddef.h>

/* Sections, in order. X(id, title) */
#define DASH_SECTIONS(X)                                                                           \
    X(CPU, "CPU")                                                                                  \
    X(MEMORY, "Memory")                                                                            \
    X(COROUTINES, "Coroutine performance")                                                         \
    X(REQUESTS, "Requests and errors")                                                             \
    X(CORRELATION, "Request performance correlation")                                              \
    X(LIMITS, "Resource limits & health")                                                          \
    X(EXPORTER, "Exporter and segments")

enum dash_section {
#define SEC_ENUM(id, title) SEC_##id,
    DASH_SECTIONS(SEC_ENUM)
#undef SEC_ENUM
        SEC_COUNT
};
extern const char *const dash_section_titles[SEC_COUNT];

/* Fixed steps, for what the thresholds table has no row for (neutral stats, up/down). */
struct step {
    const char *color;
    double value;
    bool base; /* the first step: from -infinity */
};
#define BASE(c) {c, 0, true}
#define AT(v, c) {c, v, false}
#define STEPS(...) ((const struct step[]){__VA_ARGS__, {NULL, 0, false}})

/* A row of the thresholds table, as a panel's or an override's `th` (0: none). */
#define TH(id) (BRRT_TH_##id + 1)

/* The legend of a per-process series: the pod and, behind `brrt-stat export --all`, the
 * segment (one process each). A query with this legend groups by @by and is checked per
 * process by tests/integration/test_dashboard_e2e.sh. */
#define LEGEND_PROC "{{pod}} {{segment}}"

struct query {
    const char *ref;    /* refId */
    const char *expr;   /* PromQL template (promql.h) with %{settings} (dash.h) */
    const char *legend; /* legendFormat */
    bool instant;
};

/* Field overrides, matched by query (refId). */
struct override {
    const char *ref;
    const char *unit;
    const char *axis;  /* axisPlacement: left | right */
    const char *color; /* fixed colour */
    const char *draw;  /* drawStyle: line | points | bars */
    int fill;          /* fillOpacity + 1 (0: leave the panel's) */
    bool dashed;
    int th;            /* TH(row): steps from the thresholds table */
    const struct step *steps;
};

struct panel {
    enum dash_section section;
    const char *type; /* gauge | timeseries | piechart | stat | bargauge */
    const char *title;
    const char *desc;
    const char *unit;
    int w, h;
    bool range; /* min/max set */
    double min, max;
    int th;                /* TH(row): steps from the thresholds table; else `steps` */
    const struct step *steps;
    const char *calcs;     /* legend calculations, comma-separated (timeseries) */
    const char *no_limit;  /* text shown for the value -1 (bar gauge of limits) */
    bool threshold_lines;  /* draw the thresholds as dashed lines (timeseries) */
    struct query q[5];
    struct override ov[5];
};

extern const struct panel dash_panels[];
extern const size_t dash_n_panels;

#endif
