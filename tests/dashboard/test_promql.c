/* The PromQL template expander (dashboards/promql.c), and the promise it exists for: a renamed
 * metric cannot silently break a panel or a rule. This program links the generator's parts
 * against its OWN copy of the catalog table in which one metric is renamed, and checks that the
 * dashboard and the rules follow the new name everywhere and never mention the old one. */
#include "dash.h"
#include "promql.h"

#include "brrtstat/types.h"
#include "brrtstat/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RENAMED "brrt_renamed_cpu_total"

/* The catalog as metrics/catalog.c builds it, except one name (the generator only reads the
 * table, so this is all it sees). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const struct brrt_catalog_entry brrt_catalog[BRRT_M_COUNT] = {
#define ROW(id, name, type, unit, labels, section, help)                                          \
    [BRRT_M_##id] = {name, type, unit, labels, BRRT_SECTION_##section, help},
    BRRT_CATALOG(ROW)
#undef ROW
    [BRRT_M_CPU_SECONDS] = {RENAMED, BRRT_COUNTER_SAMPLED, "seconds", "", BRRT_SECTION_CPU, "renamed"},
};
#pragma GCC diagnostic pop

static int failures;

static void expect_eq(const char *what, const char *got, const char *want)
{
    if (!got || strcmp(got, want) != 0) {
        failures++;
        fprintf(stderr, "FAIL: %s\n  got:  %s\n  want: %s\n", what, got ? got : "(error)", want);
    } else {
        printf("ok: %s\n", what);
    }
}

static void expect_error(const char *what, const char *tmpl, const char *fragment)
{
    struct pq_ctx ctx = {.sel = "", .by = PQ_BY_PROCESS, .svc = PQ_BY_SERVICE};
    char err[200] = "";
    char *e = pq_expand(tmpl, &ctx, err, sizeof err);
    if (e || !strstr(err, fragment)) {
        failures++;
        fprintf(stderr, "FAIL: %s: \"%s\" gave %s (error \"%s\", wanted one containing \"%s\")\n", what,
                tmpl, e ? e : "an error", err, fragment);
    } else {
        printf("ok: %s (%s)\n", what, err);
    }
    free(e);
}

static char *expand(const char *tmpl, const char *sel)
{
    struct pq_ctx ctx = {.sel = sel, .by = "job", .svc = "job"};
    char err[200];
    char *e = pq_expand(tmpl, &ctx, err, sizeof err);
    if (!e)
        fprintf(stderr, "  %s: %s\n", tmpl, err);
    return e;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

int main(void)
{
    const char *req = brrt_catalog[BRRT_M_REQUESTS_TOTAL].name;
    char want[512];
    char *e;

    /* ---- expansion ---- */
    e = expand("rate(@REQUESTS_TOTAL[5m])", "job=~\"$job\"");
    snprintf(want, sizeof want, "rate(%s{job=~\"$job\"}[5m])", req);
    expect_eq("a metric reference gets the context's selector", e, want);
    free(e);
    e = expand("rate(@REQUESTS_TOTAL{status=~\"5..\"}[5m])", "job=~\"$job\"");
    snprintf(want, sizeof want, "rate(%s{job=~\"$job\",status=~\"5..\"}[5m])", req);
    expect_eq("extra matchers are merged after the selector", e, want);
    free(e);
    e = expand("@REQUESTS_TOTAL{status=\"200\"} + @ACTIVE_REQUESTS", "");
    snprintf(want, sizeof want, "%s{status=\"200\"} + %s", req, brrt_catalog[BRRT_M_ACTIVE_REQUESTS].name);
    expect_eq("no selector: bare names, extra matchers alone", e, want);
    free(e);
    e = expand("rate(@REQUEST_DURATION:sum[1m]) / rate(@REQUEST_DURATION:count[1m])", "");
    snprintf(want, sizeof want, "rate(%s_sum[1m]) / rate(%s_count[1m])",
             brrt_catalog[BRRT_M_REQUEST_DURATION].name, brrt_catalog[BRRT_M_REQUEST_DURATION].name);
    expect_eq("histogram series suffixes", e, want);
    free(e);
    e = expand("@cores(1m) > 1", "");
    snprintf(want, sizeof want, "sum by (job) (rate(%s[1m])) > 1", RENAMED);
    expect_eq("a single-term fragment is not wrapped", e, want);
    free(e);
    e = expand("@cpu_pct(2m) > 90", "");
    if (!e || strncmp(e, "(100 * (", 8) != 0 || !strstr(e, ")) > 90")) {
        failures++;
        fprintf(stderr, "FAIL: a fragment with operators is wrapped: %s\n", e ? e : "(error)");
    } else {
        printf("ok: a fragment with operators is wrapped in parentheses\n");
    }
    free(e);
    e = expand("@cpu_pct(2m)", "");
    if (!e || e[0] != '1') {
        failures++;
        fprintf(stderr, "FAIL: a template that is one fragment call is not wrapped: %s\n", e ? e : "(error)");
    } else {
        printf("ok: a template that is one fragment call is not wrapped\n");
    }
    free(e);
    e = expand("@quantile(0.99, $__rate_interval)", "");
    snprintf(want, sizeof want,
             "histogram_quantile(0.99, sum by (job) (rate(%s[$__rate_interval])))"
             " or histogram_quantile(0.99, sum by (job, le) (rate(%s_bucket[$__rate_interval])))",
             brrt_catalog[BRRT_M_REQUEST_DURATION].name, brrt_catalog[BRRT_M_REQUEST_DURATION].name);
    expect_eq("fragment arguments; latency: native or classic", e, want);
    free(e);
    e = expand("@REQUEST_DURATION:native", "job=\"a\"");
    snprintf(want, sizeof want, "%s{job=\"a\"}", brrt_catalog[BRRT_M_REQUEST_DURATION].name);
    expect_eq("a histogram's native series: the bare name", e, want);
    free(e);

    /* ---- mistakes fail the generator ---- */
    expect_error("unknown metric", "rate(@NO_SUCH_METRIC[1m])", "unknown metric @NO_SUCH_METRIC");
    expect_error("bare histogram", "@REQUEST_DURATION", "is a histogram");
    expect_error("suffix on a counter", "rate(@REQUESTS_TOTAL:bucket[1m])", "is not a histogram");
    expect_error("native on a counter", "rate(@REQUESTS_TOTAL:native[1m])", "is not a histogram");
    expect_error("unknown suffix", "@REQUEST_DURATION:buckets", "unknown suffix");
    expect_error("unknown fragment", "@no_such(1m)", "unknown fragment");
    expect_error("argument outside a fragment", "rate(x[@1])", "no such argument");
    expect_error("unbalanced matchers", "@REQUESTS_TOTAL{status=\"5\"", "unbalanced");
    expect_error("stray @", "x @ 5", "stray @");

    /* ---- a renamed metric: every panel and rule follows, none keeps the old name ---- */
    char err[256];
    struct dash_config cfg;
    dash_config_defaults(&cfg);
    cJSON *dash = dash_build(&cfg, err, sizeof err);
    char *json = dash ? cJSON_PrintUnformatted(dash) : NULL;
    char *rules = NULL;
    size_t rules_len = 0;
    FILE *f = open_memstream(&rules, &rules_len);
    int rc = f ? rules_groups(f, 0, &cfg, err, sizeof err) : -1;
    if (f)
        fclose(f);
    if (!json || rc != 0) {
        failures++;
        fprintf(stderr, "FAIL: generating with the renamed catalog: %s\n", err);
    } else {
        size_t in_dash = count(json, RENAMED), in_rules = count(rules, RENAMED);
        if (in_dash < 10 || in_rules < 3 || strstr(json, "process_cpu_seconds_total") ||
            strstr(rules, "process_cpu_seconds_total")) {
            failures++;
            fprintf(stderr, "FAIL: renamed metric: %zu uses in the dashboard, %zu in the rules, old name %s\n",
                    in_dash, in_rules,
                    strstr(json, "process_cpu_seconds_total") || strstr(rules, "process_cpu_seconds_total")
                        ? "still there" : "gone");
        } else {
            printf("ok: renamed metric: the dashboard uses the new name %zu times, the rules %zu times, "
                   "the old name nowhere\n", in_dash, in_rules);
        }
    }
    free(json);
    free(rules);
    cJSON_Delete(dash);

    if (failures) {
        fprintf(stderr, "test_promql: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_promql: all passed\n");
    return 0;
}
