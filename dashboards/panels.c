/* The dashboard: one table of panels (panel_table.c), one of sections, one of variables, turned into
 * Grafana dashboard JSON (schemaVersion of @grafana/schema, see tests/dashboard). Every query
 * is a PromQL template (promql.h) expanded with the variables' selector, so every metric
 * reference is filtered by $job, $namespace, $pod and $instance by construction. */
#include "dash.h"
#include "panels.h"
#include "promql.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 42 /* @grafana/schema 13.2.3 defaultDashboard.schemaVersion */
#define DS_UID "${datasource}"

/* The selector of every panel query: the dashboard's variables. "All" is ".*" for namespace,
 * pod and instance, which also matches series without the label (outside Kubernetes). */
#define VAR_SELECTOR "job=~\"$job\",namespace=~\"$namespace\",pod=~\"$pod\",instance=~\"$instance\""

/* Template variables. X(name, label, depends-on selector, all value) */
#define DASH_VARIABLES(X)                                                                          \
    X("job", "Job", "", NULL)                                                                      \
    X("namespace", "Namespace", "job=~\"$job\"", ".*")                                             \
    X("pod", "Pod", "job=~\"$job\",namespace=~\"$namespace\"", ".*")                               \
    X("instance", "Instance", "job=~\"$job\",namespace=~\"$namespace\",pod=~\"$pod\"", ".*")

/* The dashboard's refresh presets: dashboard links (time range and refresh) and quick ranges
 * of the time picker. X(title, from, refresh) */
#define DASH_PRESETS(X)                                                                            \
    X("Real-time debugging", "now-5m", "5s")                                                       \
    X("Performance testing", "now-1h", "10s")                                                      \
    X("Capacity planning", "now-24h", "1m")

static const struct pq_ctx PANEL_CTX = {.sel = VAR_SELECTOR, .by = PQ_BY_PROCESS, .svc = PQ_BY_SERVICE};

/* ---- JSON helpers ------------------------------------------------------------------------- */

static cJSON *datasource(void)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "type", "prometheus");
    cJSON_AddStringToObject(d, "uid", DS_UID);
    return d;
}

/* The steps of row `th` (TH(row)) of the thresholds table, as adapted by the config. */
static cJSON *table_thresholds(const struct dash_config *c, int th)
{
    const struct brrt_threshold_def *d = &brrt_thresholds[th - 1];
    cJSON *t = cJSON_CreateObject(), *steps = cJSON_CreateArray();
    cJSON_AddStringToObject(t, "mode", "absolute");
    for (int b = 0; b < BRRT_N_BANDS; b++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "color", brrt_colour_names[d->colour[b]]);
        if (b == 0)
            cJSON_AddNullToObject(st, "value");
        else
            cJSON_AddNumberToObject(st, "value", dash_threshold(c, (enum brrt_threshold)(th - 1), b));
        cJSON_AddItemToArray(steps, st);
    }
    cJSON_AddItemToObject(t, "steps", steps);
    return t;
}

static cJSON *thresholds(const struct step *s)
{
    cJSON *t = cJSON_CreateObject(), *steps = cJSON_CreateArray();
    cJSON_AddStringToObject(t, "mode", "absolute");
    for (; s && s->color; s++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "color", s->color);
        if (s->base)
            cJSON_AddNullToObject(st, "value");
        else
            cJSON_AddNumberToObject(st, "value", s->value);
        cJSON_AddItemToArray(steps, st);
    }
    cJSON_AddItemToObject(t, "steps", steps);
    return t;
}

static cJSON *string_list(const char *csv)
{
    cJSON *a = cJSON_CreateArray();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", csv ? csv : "");
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(a, cJSON_CreateString(t));
    return a;
}

static cJSON *reduce_last(void)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "calcs", string_list("lastNotNull"));
    cJSON_AddStringToObject(r, "fields", "");
    cJSON_AddFalseToObject(r, "values");
    return r;
}

static bool is_type(const struct panel *p, const char *t) { return strcmp(p->type, t) == 0; }

static cJSON *property(const char *id, cJSON *value)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "id", id);
    cJSON_AddItemToObject(p, "value", value);
    return p;
}

static cJSON *fixed_color(const char *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fixedColor", c);
    cJSON_AddStringToObject(o, "mode", "fixed");
    return o;
}

static cJSON *dash_style(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *dash = cJSON_CreateArray();
    cJSON_AddItemToArray(dash, cJSON_CreateNumber(10));
    cJSON_AddItemToArray(dash, cJSON_CreateNumber(10));
    cJSON_AddItemToObject(o, "dash", dash);
    cJSON_AddStringToObject(o, "fill", "dash");
    return o;
}

static cJSON *overrides(const struct panel *p, const struct dash_config *c)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof p->ov / sizeof p->ov[0] && p->ov[i].ref; i++) {
        const struct override *o = &p->ov[i];
        cJSON *ov = cJSON_CreateObject(), *m = cJSON_CreateObject(), *props = cJSON_CreateArray();
        cJSON_AddStringToObject(m, "id", "byFrameRefID");
        cJSON_AddStringToObject(m, "options", o->ref);
        cJSON_AddItemToObject(ov, "matcher", m);
        if (o->unit)
            cJSON_AddItemToArray(props, property("unit", cJSON_CreateString(o->unit)));
        if (o->th)
            cJSON_AddItemToArray(props, property("thresholds", table_thresholds(c, o->th)));
        else if (o->steps)
            cJSON_AddItemToArray(props, property("thresholds", thresholds(o->steps)));
        if (o->color)
            cJSON_AddItemToArray(props, property("color", fixed_color(o->color)));
        if (o->axis)
            cJSON_AddItemToArray(props, property("custom.axisPlacement", cJSON_CreateString(o->axis)));
        if (o->draw)
            cJSON_AddItemToArray(props, property("custom.drawStyle", cJSON_CreateString(o->draw)));
        if (o->draw && strcmp(o->draw, "points") == 0)
            cJSON_AddItemToArray(props, property("custom.pointSize", cJSON_CreateNumber(4)));
        if (o->fill)
            cJSON_AddItemToArray(props, property("custom.fillOpacity", cJSON_CreateNumber(o->fill - 1)));
        if (o->dashed)
            cJSON_AddItemToArray(props, property("custom.lineStyle", dash_style()));
        cJSON_AddItemToObject(ov, "properties", props);
        cJSON_AddItemToArray(list, ov);
    }
    return list;
}

static cJSON *timeseries_custom(const struct panel *p)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "axisPlacement", "auto");
    cJSON_AddStringToObject(c, "drawStyle", "line");
    cJSON_AddNumberToObject(c, "fillOpacity", 10);
    cJSON_AddStringToObject(c, "gradientMode", "none");
    cJSON_AddStringToObject(c, "lineInterpolation", "linear");
    cJSON_AddNumberToObject(c, "lineWidth", 1);
    cJSON_AddNumberToObject(c, "pointSize", 4);
    cJSON_AddStringToObject(c, "showPoints", "never");
    cJSON_AddFalseToObject(c, "spanNulls");
    cJSON *stacking = cJSON_CreateObject();
    cJSON_AddStringToObject(stacking, "group", "A");
    cJSON_AddStringToObject(stacking, "mode", "none");
    cJSON_AddItemToObject(c, "stacking", stacking);
    cJSON *ts = cJSON_CreateObject();
    cJSON_AddStringToObject(ts, "mode", p->threshold_lines ? "dashed" : "off");
    cJSON_AddItemToObject(c, "thresholdsStyle", ts);
    return c;
}

static cJSON *field_defaults(const struct panel *p, const struct dash_config *c)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *color = cJSON_CreateObject();
    bool by_threshold = is_type(p, "gauge") || is_type(p, "stat") || is_type(p, "bargauge");
    cJSON_AddStringToObject(color, "mode", by_threshold ? "thresholds" : "palette-classic");
    cJSON_AddItemToObject(d, "color", color);
    if (is_type(p, "timeseries"))
        cJSON_AddItemToObject(d, "custom", timeseries_custom(p));
    cJSON *mappings = cJSON_CreateArray();
    if (p->no_limit) {
        cJSON *m = cJSON_CreateObject(), *opts = cJSON_CreateObject(), *res = cJSON_CreateObject();
        cJSON_AddStringToObject(res, "color", "text");
        cJSON_AddNumberToObject(res, "index", 0);
        cJSON_AddStringToObject(res, "text", p->no_limit);
        cJSON_AddItemToObject(opts, "-1", res);
        cJSON_AddItemToObject(m, "options", opts);
        cJSON_AddStringToObject(m, "type", "value");
        cJSON_AddItemToArray(mappings, m);
    }
    cJSON_AddItemToObject(d, "mappings", mappings);
    if (p->range) {
        cJSON_AddNumberToObject(d, "max", p->max);
        cJSON_AddNumberToObject(d, "min", p->min);
    }
    cJSON_AddItemToObject(d, "thresholds", p->th ? table_thresholds(c, p->th)
                                                 : thresholds(p->steps ? p->steps : STEPS(BASE("green"))));
    if (p->unit)
        cJSON_AddStringToObject(d, "unit", p->unit);
    return d;
}

static cJSON *legend(const struct panel *p, const char *placement)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddItemToObject(l, "calcs", string_list(p->calcs));
    cJSON_AddStringToObject(l, "displayMode", p->calcs ? "table" : "list");
    cJSON_AddStringToObject(l, "placement", placement);
    cJSON_AddTrueToObject(l, "showLegend");
    return l;
}

static cJSON *tooltip(const char *mode, const char *sort)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "mode", mode);
    cJSON_AddStringToObject(t, "sort", sort);
    return t;
}

static cJSON *panel_options(const struct panel *p)
{
    cJSON *o = cJSON_CreateObject();
    if (is_type(p, "timeseries")) {
        cJSON_AddItemToObject(o, "legend", legend(p, "bottom"));
        cJSON_AddItemToObject(o, "tooltip", tooltip("multi", "desc"));
    } else if (is_type(p, "gauge")) {
        cJSON_AddNumberToObject(o, "minVizHeight", 75);
        cJSON_AddNumberToObject(o, "minVizWidth", 75);
        cJSON_AddStringToObject(o, "orientation", "auto");
        cJSON_AddItemToObject(o, "reduceOptions", reduce_last());
        cJSON_AddFalseToObject(o, "showThresholdLabels");
        cJSON_AddTrueToObject(o, "showThresholdMarkers");
        cJSON_AddStringToObject(o, "sizing", "auto");
    } else if (is_type(p, "stat")) {
        cJSON_AddStringToObject(o, "colorMode", p->ov[0].steps || p->ov[0].th ? "background" : "value");
        cJSON_AddStringToObject(o, "graphMode", "area");
        cJSON_AddStringToObject(o, "justifyMode", "auto");
        cJSON_AddStringToObject(o, "orientation", "auto");
        cJSON_AddStringToObject(o, "percentChangeColorMode", "standard");
        cJSON_AddItemToObject(o, "reduceOptions", reduce_last());
        cJSON_AddFalseToObject(o, "showPercentChange");
        cJSON_AddStringToObject(o, "textMode", "value_and_name");
        cJSON_AddTrueToObject(o, "wideLayout");
    } else if (is_type(p, "piechart")) {
        cJSON_AddItemToObject(o, "displayLabels", string_list("percent"));
        cJSON *l = legend(p, "bottom");
        cJSON_ReplaceItemInObject(l, "displayMode", cJSON_CreateString("table"));
        cJSON_AddItemToObject(l, "values", string_list("value,percent"));
        cJSON_AddItemToObject(o, "legend", l);
        cJSON_AddStringToObject(o, "pieType", "donut");
        cJSON_AddItemToObject(o, "reduceOptions", reduce_last());
        cJSON_AddStringToObject(o, "sort", "desc");
        cJSON_AddItemToObject(o, "tooltip", tooltip("single", "none"));
    } else if (is_type(p, "bargauge")) {
        cJSON_AddStringToObject(o, "displayMode", "lcd");
        cJSON_AddNumberToObject(o, "maxVizHeight", 300);
        cJSON_AddNumberToObject(o, "minVizHeight", 16);
        cJSON_AddNumberToObject(o, "minVizWidth", 8);
        cJSON_AddStringToObject(o, "namePlacement", "auto");
        cJSON_AddStringToObject(o, "orientation", "horizontal");
        cJSON_AddItemToObject(o, "reduceOptions", reduce_last());
        cJSON_AddTrueToObject(o, "showUnfilled");
        cJSON_AddStringToObject(o, "sizing", "auto");
        cJSON_AddStringToObject(o, "valueMode", "color");
    }
    return o;
}

/* A panel query: settings substituted, then the template expanded (malloc'd; NULL + why). */
static char *panel_expr(const struct dash_config *c, const char *t, char *why, size_t whylen)
{
    char *s = dash_config_subst(c, t, why, whylen);
    char *e = s ? pq_expand(s, &PANEL_CTX, why, whylen) : NULL;
    free(s);
    return e;
}

static cJSON *targets(const struct panel *p, const struct dash_config *c, char *err, size_t errlen)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof p->q / sizeof p->q[0] && p->q[i].ref; i++) {
        const struct query *q = &p->q[i];
        char why[200];
        char *expr = panel_expr(c, q->expr, why, sizeof why);
        if (!expr) {
            snprintf(err, errlen, "panel \"%s\", query %s: %s", p->title, q->ref, why);
            cJSON_Delete(list);
            return NULL;
        }
        cJSON *t = cJSON_CreateObject();
        cJSON_AddItemToObject(t, "datasource", datasource());
        cJSON_AddStringToObject(t, "editorMode", "code");
        cJSON_AddStringToObject(t, "expr", expr);
        cJSON_AddBoolToObject(t, "instant", q->instant);
        cJSON_AddStringToObject(t, "legendFormat", q->legend);
        cJSON_AddBoolToObject(t, "range", !q->instant);
        cJSON_AddStringToObject(t, "refId", q->ref);
        cJSON_AddItemToArray(list, t);
        free(expr);
    }
    return list;
}

static cJSON *grid(int x, int y, int w, int h)
{
    cJSON *g = cJSON_CreateObject();
    cJSON_AddNumberToObject(g, "h", h);
    cJSON_AddNumberToObject(g, "w", w);
    cJSON_AddNumberToObject(g, "x", x);
    cJSON_AddNumberToObject(g, "y", y);
    return g;
}

static cJSON *row_panel(int id, const char *title, int y)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddFalseToObject(r, "collapsed");
    cJSON_AddItemToObject(r, "gridPos", grid(0, y, 24, 1));
    cJSON_AddNumberToObject(r, "id", id);
    cJSON_AddItemToObject(r, "panels", cJSON_CreateArray());
    cJSON_AddStringToObject(r, "title", title);
    cJSON_AddStringToObject(r, "type", "row");
    return r;
}

static cJSON *panels(const struct dash_config *c, char *err, size_t errlen)
{
    cJSON *list = cJSON_CreateArray();
    int id = 1, y = 0;
    for (int s = 0; s < SEC_COUNT; s++) {
        cJSON_AddItemToArray(list, row_panel(id++, dash_section_titles[s], y++));
        int x = 0, line_h = 0;
        for (size_t i = 0; i < dash_n_panels; i++) {
            const struct panel *p = &dash_panels[i];
            if ((int)p->section != s)
                continue;
            if (x + p->w > 24) {
                x = 0;
                y += line_h;
                line_h = 0;
            }
            cJSON *t = targets(p, c, err, errlen);
            char *desc = t ? dash_config_subst(c, p->desc, err, errlen) : NULL;
            if (t && !desc) {
                cJSON_Delete(t);
                t = NULL;
            }
            if (!t) {
                cJSON_Delete(list);
                return NULL;
            }
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "datasource", datasource());
            cJSON_AddStringToObject(o, "description", desc);
            free(desc);
            cJSON *fc = cJSON_CreateObject();
            cJSON_AddItemToObject(fc, "defaults", field_defaults(p, c));
            cJSON_AddItemToObject(fc, "overrides", overrides(p, c));
            cJSON_AddItemToObject(o, "fieldConfig", fc);
            cJSON_AddItemToObject(o, "gridPos", grid(x, y, p->w, p->h));
            cJSON_AddNumberToObject(o, "id", id++);
            cJSON_AddItemToObject(o, "options", panel_options(p));
            cJSON_AddItemToObject(o, "targets", t);
            cJSON_AddStringToObject(o, "title", p->title);
            cJSON_AddStringToObject(o, "type", p->type);
            cJSON_AddItemToArray(list, o);
            x += p->w;
            line_h = p->h > line_h ? p->h : line_h;
        }
        y += line_h;
    }
    return list;
}

static cJSON *variable(const char *name, const char *label, const char *sel, const char *all,
                       char *err, size_t errlen)
{
    char tmpl[160];
    snprintf(tmpl, sizeof tmpl, "label_values(@ACTIVE_REQUESTS, %s)", name);
    struct pq_ctx ctx = {.sel = sel, .by = PQ_BY_PROCESS, .svc = PQ_BY_SERVICE};
    char why[200];
    char *q = pq_expand(tmpl, &ctx, why, sizeof why);
    if (!q) {
        snprintf(err, errlen, "variable %s: %s", name, why);
        return NULL;
    }
    cJSON *v = cJSON_CreateObject();
    if (all)
        cJSON_AddStringToObject(v, "allValue", all);
    cJSON *cur = cJSON_CreateObject();
    cJSON_AddItemToObject(cur, "text", string_list("All"));
    cJSON_AddItemToObject(cur, "value", string_list("$__all"));
    cJSON_AddItemToObject(v, "current", cur);
    cJSON_AddItemToObject(v, "datasource", datasource());
    cJSON_AddNumberToObject(v, "hide", 0);
    cJSON_AddTrueToObject(v, "includeAll");
    cJSON_AddStringToObject(v, "label", label);
    cJSON_AddTrueToObject(v, "multi");
    cJSON_AddStringToObject(v, "name", name);
    cJSON_AddItemToObject(v, "options", cJSON_CreateArray());
    cJSON_AddStringToObject(v, "query", q);
    cJSON_AddNumberToObject(v, "refresh", 2); /* on time range change: pods come and go */
    cJSON_AddStringToObject(v, "regex", "");
    cJSON_AddNumberToObject(v, "sort", 1);
    cJSON_AddStringToObject(v, "type", "query");
    free(q);
    return v;
}

static cJSON *templating(char *err, size_t errlen)
{
    cJSON *list = cJSON_CreateArray();
    cJSON *ds = cJSON_CreateObject();
    cJSON_AddNumberToObject(ds, "hide", 0);
    cJSON_AddFalseToObject(ds, "includeAll");
    cJSON_AddStringToObject(ds, "label", "Data source");
    cJSON_AddFalseToObject(ds, "multi");
    cJSON_AddStringToObject(ds, "name", "datasource");
    cJSON_AddItemToObject(ds, "options", cJSON_CreateArray());
    cJSON_AddStringToObject(ds, "query", "prometheus");
    cJSON_AddNumberToObject(ds, "refresh", 1);
    cJSON_AddStringToObject(ds, "regex", "");
    cJSON_AddStringToObject(ds, "type", "datasource");
    cJSON_AddItemToArray(list, ds);
#define VAR_ITEM(name, label, sel, all)                                                            \
    do {                                                                                           \
        cJSON *v_ = variable(name, label, sel, all, err, errlen);                                  \
        if (!v_) {                                                                                 \
            cJSON_Delete(list);                                                                    \
            return NULL;                                                                           \
        }                                                                                          \
        cJSON_AddItemToArray(list, v_);                                                            \
    } while (0);
    DASH_VARIABLES(VAR_ITEM)
#undef VAR_ITEM
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToObject(t, "list", list);
    return t;
}

static cJSON *annotations(void)
{
    cJSON *a = cJSON_CreateObject(), *list = cJSON_CreateArray(), *b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "builtIn", 1);
    cJSON *ds = cJSON_CreateObject();
    cJSON_AddStringToObject(ds, "type", "grafana");
    cJSON_AddStringToObject(ds, "uid", "-- Grafana --");
    cJSON_AddItemToObject(b, "datasource", ds);
    cJSON_AddTrueToObject(b, "enable");
    cJSON_AddTrueToObject(b, "hide");
    cJSON_AddStringToObject(b, "iconColor", "rgba(0, 211, 255, 1)");
    cJSON_AddStringToObject(b, "name", "Annotations & Alerts");
    cJSON_AddStringToObject(b, "type", "dashboard");
    cJSON_AddItemToArray(list, b);
    cJSON_AddItemToObject(a, "list", list);
    return a;
}

static cJSON *links(void)
{
    cJSON *list = cJSON_CreateArray();
#define PRESET_LINK(title, from, refresh)                                                          \
    do {                                                                                           \
        cJSON *l_ = cJSON_CreateObject();                                                          \
        cJSON_AddFalseToObject(l_, "asDropdown");                                                  \
        cJSON_AddStringToObject(l_, "icon", "dashboard");                                          \
        cJSON_AddTrueToObject(l_, "includeVars");                                                  \
        cJSON_AddFalseToObject(l_, "keepTime");                                                    \
        cJSON_AddItemToObject(l_, "tags", cJSON_CreateArray());                                    \
        cJSON_AddFalseToObject(l_, "targetBlank");                                                 \
        cJSON_AddStringToObject(l_, "title", title " (" refresh ", " from ")");                    \
        cJSON_AddStringToObject(l_, "tooltip", title ": refresh every " refresh ", from " from);   \
        cJSON_AddStringToObject(l_, "type", "link");                                               \
        cJSON_AddStringToObject(l_, "url", "/d/" DASH_UID "?from=" from "&to=now&refresh=" refresh); \
        cJSON_AddItemToArray(list, l_);                                                            \
    } while (0);
    DASH_PRESETS(PRESET_LINK)
#undef PRESET_LINK
    return list;
}

static cJSON *timepicker(void)
{
    cJSON *t = cJSON_CreateObject(), *ranges = cJSON_CreateArray();
#define QUICK_RANGE(title, from, refresh)                                                          \
    do {                                                                                           \
        cJSON *r_ = cJSON_CreateObject();                                                          \
        cJSON_AddStringToObject(r_, "display", title " (" from ")");                               \
        cJSON_AddStringToObject(r_, "from", from);                                                 \
        cJSON_AddStringToObject(r_, "to", "now");                                                  \
        cJSON_AddItemToArray(ranges, r_);                                                          \
    } while (0);
    DASH_PRESETS(QUICK_RANGE)
#undef QUICK_RANGE
    cJSON_AddItemToObject(t, "quick_ranges", ranges);
    cJSON_AddItemToObject(t, "refresh_intervals", string_list("5s,10s,30s,1m,5m,15m,30m,1h"));
    return t;
}

cJSON *dash_build(const struct dash_config *c, char *err, size_t errlen)
{
    cJSON *p = panels(c, err, errlen);
    cJSON *tm = p ? templating(err, errlen) : NULL;
    if (!tm) {
        cJSON_Delete(p);
        return NULL;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "annotations", annotations());
    cJSON_AddStringToObject(d, "description",
                            "CPU, memory, coroutine stacks, latency and limits of BRRTRouter services "
                            "(generated by brrt-stat dashboard from the metric catalog)");
    cJSON_AddTrueToObject(d, "editable");
    cJSON_AddNumberToObject(d, "fiscalYearStartMonth", 0);
    cJSON_AddNumberToObject(d, "graphTooltip", 1); /* shared crosshair: correlate panels */
    cJSON_AddNullToObject(d, "id");
    cJSON_AddItemToObject(d, "links", links());
    cJSON_AddItemToObject(d, "panels", p);
    cJSON_AddStringToObject(d, "refresh", "5s");
    cJSON_AddNumberToObject(d, "schemaVersion", SCHEMA_VERSION);
    cJSON_AddItemToObject(d, "tags", string_list("performance,cpu,memory,profiling"));
    cJSON_AddItemToObject(d, "templating", tm);
    cJSON *time = cJSON_CreateObject();
    cJSON_AddStringToObject(time, "from", "now-30m");
    cJSON_AddStringToObject(time, "to", "now");
    cJSON_AddItemToObject(d, "time", time);
    cJSON_AddItemToObject(d, "timepicker", timepicker());
    cJSON_AddStringToObject(d, "timezone", "browser");
    cJSON_AddStringToObject(d, "title", DASH_TITLE);
    cJSON_AddStringToObject(d, "uid", DASH_UID);
    cJSON_AddNumberToObject(d, "version", 1);
    cJSON_AddStringToObject(d, "weekStart", "");
    return d;
}

/* ---- Markdown reference ------------------------------------------------------------------- */

int dash_markdown(FILE *f, const struct dash_config *c, char *err, size_t errlen)
{
    int n = 0;
    for (int s = 0; s < SEC_COUNT; s++) {
        fprintf(f, "### %s\n\n", dash_section_titles[s]);
        for (size_t i = 0; i < dash_n_panels; i++) {
            const struct panel *p = &dash_panels[i];
            if ((int)p->section != s)
                continue;
            char *desc = dash_config_subst(c, p->desc, err, errlen);
            if (!desc)
                return -1;
            fprintf(f, "#### %d. %s (%s%s%s)\n\n%s", ++n, p->title, p->type, p->unit ? ", " : "",
                    p->unit ? p->unit : "", desc);
            free(desc);
            if (p->th)
                fprintf(f, " Colours: row `%s` of the thresholds table.", brrt_thresholds[p->th - 1].key);
            fprintf(f, "\n\n");
            for (size_t k = 0; k < sizeof p->q / sizeof p->q[0] && p->q[k].ref; k++) {
                char why[200];
                char *e = panel_expr(c, p->q[k].expr, why, sizeof why);
                if (!e) {
                    snprintf(err, errlen, "panel \"%s\": %s", p->title, why);
                    return -1;
                }
                fprintf(f, "- %s `%s`%s:\n\n  ```promql\n  %s\n  ```\n\n", p->q[k].ref, p->q[k].legend,
                        p->q[k].instant ? " (instant)" : "", e);
                free(e);
            }
        }
    }
    return 0;
}
