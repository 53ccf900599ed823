/* The alert rules: one table of alerts (ALERTS) and one of recording rules (RECORDS), written
 * as Prometheus rule groups (a rules file, and the spec of a PrometheusRule).
 *
 * Severities are kept for what users feel: critical = the service is down or failing its
 * users, warning = it will fail soon (or we are blind), info = worth a look. Every alert has a
 * `for:`, a summary, a description with the value, the dashboard panel that shows it and a
 * runbook_url into docs/runbook.md (one section per alert, anchor = the alert name in lower
 * case). Thresholds come from the thresholds table (brrtstat/thresholds.h) through the config
 * (%{ROW.BAND}, inclusive: "red from 90" fires at >= 90), as do the selector, the traffic guard
 * and the leak window (%{key}, config.c), so none is edited in a generated file.
 *
 * Expressions use the same PromQL templates as the panels (promql.c), without the dashboard's
 * variables: a rule sees every target its selector lets through. process_* names are also
 * exported by other programs, so rules on them keep only processes that also export
 * brrtrouter_active_requests (ONLY_BRRTROUTER). */
#include "dash.h"
#include "promql.h"

#include <stdlib.h>
#include <string.h>

/* Severities, in the rules file's order. X(id, group name) */
#define SEVERITIES(X)                                                                              \
    X(critical, "brrtrouter.critical")                                                             \
    X(warning, "brrtrouter.warning")                                                               \
    X(info, "brrtrouter.info")

enum severity {
#define SEV_ENUM(id, group) SEV_##id,
    SEVERITIES(SEV_ENUM)
#undef SEV_ENUM
        SEV_COUNT
};

static const struct {
    const char *name, *group;
} severities[SEV_COUNT] = {
#define SEV_ROW(id, group) [SEV_##id] = {#id, group},
    SEVERITIES(SEV_ROW)
#undef SEV_ROW
};

#define RECORD_GROUP "brrtrouter.rules"

/* Recording rules: what an alert would otherwise compute in a subquery. */
static const struct {
    const char *record;
    const char *expr;
} RECORDS[] = {
    {"brrtrouter:cpu_efficiency:rate10m", "@cpu_eff(10m)"},
    {"brrtrouter:memory_heap_growth:deriv5m", "@heap_growth(5m)"},
};
#define N_RECORDS (sizeof RECORDS / sizeof RECORDS[0])

struct alert {
    const char *name;
    enum severity sev;
    const char *expr; /* PromQL template (promql.h) with %{settings} (config.c) */
    const char *for_;
    const char *summary;
    const char *description;
    const char *panel; /* the dashboard panel that shows the signal */
};

#define ONLY_BRRTROUTER " and on (@by) @ACTIVE_REQUESTS"
/* error-rate and latency alerts: only with enough traffic to mean something */
#define TRAFFIC_GUARD " and on (@svc) @svc_req_rate(5m) >= %{min_rps}"
/* one process: its pod (the instance outside Kubernetes) and, behind --all, its segment */
#define PROC "{{ with $labels.pod }}{{ . }}{{ else }}{{ $labels.instance }}{{ end }}"             \
             "{{ with $labels.segment }} segment {{ . }}{{ end }}"
#define WHO "{{ $labels.job }} " PROC
#define SVC "{{ $labels.job }}{{ with $labels.namespace }} in {{ . }}{{ end }}"

static const struct alert ALERTS[] = {
    /* ---- critical: down, or failing its users ---- */
    {"BrrtrouterSegmentDown", SEV_critical, "@SEGMENT_UP == 0", "1m",
     "The process behind segment {{ $labels.segment }} is not running",
     "The exporter of {{ $labels.job }} ({{ $labels.instance }}) reports brrtstat_segment_up "
     "{{ $value }} for " PROC ": its writer is dead, exited or never started, so that process "
     "serves no requests.",
     "Segment Health"},
    {"BrrtrouterErrorRateHigh", SEV_critical, "@err_pct(5m) >= %{errors.crit}" TRAFFIC_GUARD, "5m",
     "%{errors.crit} % or more of the responses of " SVC " are 5xx",
     "{{ $value | humanize }} % of the responses of " SVC " over 5 minutes were server errors "
     "(status 5xx), with at least %{min_rps} responses per second.",
     "5xx Ratio"},
    {"BrrtrouterLatencyP99High", SEV_critical, "@quantile(0.99, 5m) >= %{latency.crit}" TRAFFIC_GUARD,
     "5m", "p99 latency at %{latency.crit} s or more for " SVC,
     "The 99th percentile of request duration of " SVC " is {{ $value | humanizeDuration }} "
     "(5 minutes, at least %{min_rps} responses per second).",
     "Request Latency Percentiles"},
    /* ---- warning: will fail soon, or we are blind ---- */
    {"BrrtrouterTargetDown", SEV_warning,
     "up{%{selector}} == 0 and on (job, instance) present_over_time(@EXPORTER_SCRAPES[1d])", "5m",
     "Prometheus cannot scrape the brrt-stat exporter {{ $labels.instance }}",
     "up is {{ $value }} for {{ $labels.job }} {{ $labels.instance }}: the exporter sidecar served "
     "metrics within the last day and does not answer now. Its processes are unobserved.",
     "Segment Health"},
    {"BrrtrouterCpuSaturated", SEV_warning, "@cpu_of_limit(5m) >= %{cpu.crit}" ONLY_BRRTROUTER, "15m",
     "CPU at %{cpu.crit} % of the limit or more for 15 minutes on " PROC,
     WHO " uses {{ $value | humanize }} % of its CPU limit (cgroup cpu.max): it is being "
     "throttled or about to be. A process without a CPU limit is not checked.",
     "CPU Usage"},
    {"BrrtrouterMemoryNearLimit", SEV_warning, "@mem_of_limit >= %{limit.crit}" ONLY_BRRTROUTER, "5m",
     "RSS at %{limit.crit} % of the memory limit or more on " PROC,
     "RSS of " WHO " is {{ $value | humanize }} % of its cgroup memory limit (memory.max): the "
     "OOM killer is next.",
     "Resource Usage vs Limits"},
    {"BrrtrouterFdsNearLimit", SEV_warning, "@fds_of_limit >= %{limit.crit}" ONLY_BRRTROUTER, "5m",
     "Open files at %{limit.crit} % of the limit or more on " PROC,
     WHO " has {{ $value | humanize }} % of its file descriptors (RLIMIT_NOFILE) open: new "
     "connections will fail with EMFILE.",
     "Resource Usage vs Limits"},
    {"BrrtrouterMemoryGrowth", SEV_warning,
     "@rss_growth(%{leak_window}) * 3600 >= %{memory_growth}"
     " and on (@by) (time() - @START_TIME) >= %{leak_window:s}" ONLY_BRRTROUTER,
     "30m", "RSS grows steadily on " PROC,
     "RSS of " WHO " grows by {{ $value | humanize1024 }}B per hour (linear fit over "
     "%{leak_window}, once the process is older than that), for 30 minutes.",
     "Memory Growth"},
    {"BrrtrouterStackUtilizationHigh", SEV_warning, "@stack_pct >= %{stack.high}", "5m",
     "Coroutine stacks %{stack.high} % used or more on " PROC,
     "The deepest handler of " WHO " used {{ $value | humanize }} % of the configured coroutine "
     "stack (BRRTR_STACK_SIZE): the next deeper call overflows it (a 500).",
     "Stack Utilization"},
    {"BrrtrouterStackOverflows", SEV_warning,
     "sum by (@by) (increase(@STACK_OVERFLOWS[10m])) > 0", "0m",
     "Coroutine stack overflows on " PROC,
     WHO " stopped {{ $value | humanize }} handlers at the stack guard page in 10 minutes; each "
     "one answered 500.",
     "Coroutine Stack Usage"},
    {"BrrtrouterActiveRequestsHigh", SEV_warning,
     "sum by (@by) (@ACTIVE_REQUESTS) >= %{active.crit}", "5m",
     "%{active.crit} or more requests in flight on " PROC,
     WHO " has {{ $value | humanize }} requests accepted and not yet answered: requests queue.",
     "Health Indicators"},
    {"BrrtrouterSegmentFull", SEV_warning, "increase(@SEGMENT_FULL_ERRORS[10m]) > 0", "0m",
     "Segment {{ $labels.segment }} is full: metrics are missing",
     "The writer of " PROC " could not register "
     "{{ $value | humanize }} metrics in 10 minutes: they are not exported at all.",
     "Segment Errors"},
    /* ---- info: worth a look ---- */
    {"BrrtrouterCpuHigh", SEV_info, "@cpu_of_limit(5m) >= %{cpu.high}" ONLY_BRRTROUTER, "30m",
     "CPU at %{cpu.high} % of the limit or more for 30 minutes on " PROC,
     WHO " uses {{ $value | humanize }} % of its CPU limit: little headroom for a peak.",
     "CPU Usage Over Time"},
    {"BrrtrouterWriterRestarted", SEV_info, "changes(@SEGMENT_GENERATION[15m]) > 0", "0m",
     "The process behind segment {{ $labels.segment }} restarted",
     PROC " changed generation {{ $value }} times in "
     "15 minutes: its writer restarted (a crash, an OOM kill or a deployment).",
     "Segment Errors"},
    {"BrrtrouterSeriesOverflow", SEV_info, "increase(@SEGMENT_OVERFLOWS[10m]) > 0", "0m",
     "Series folded into __other in segment {{ $labels.segment }}",
     "{{ $value | humanize }} series lookups of " PROC " "
     "went to the __other series in 10 minutes: a label has more values than the segment allows.",
     "Segment Errors"},
    {"BrrtrouterCpuEfficiencyDropping", SEV_info,
     "brrtrouter:cpu_efficiency:rate10m{%{selector}}"
     " < 0.75 * avg_over_time(brrtrouter:cpu_efficiency:rate10m{%{selector}}[15m] offset 1h)"
     " and on (@by) @req_rate(10m) >= %{min_rps}",
     "30m", "CPU efficiency 25 % lower than an hour ago on " PROC,
     WHO " now serves {{ $value | humanize }} req/s per CPU % (of one core), less than 75 % of what "
     "it served an hour earlier: each request costs more CPU.",
     "CPU Efficiency"},
    {"BrrtrouterMemoryAllocationSpike", SEV_info,
     "brrtrouter:memory_heap_growth:deriv5m{%{selector}} > 1048576 / 60"
     " and brrtrouter:memory_heap_growth:deriv5m{%{selector}}"
     " > 3 * clamp_min(avg_over_time(brrtrouter:memory_heap_growth:deriv5m{%{selector}}[1h] offset 5m), 0)",
     "5m", "Heap allocation spike on " PROC,
     "The heap of " WHO " grows by {{ $value | humanize1024 }}B/s: more than 1 MiB per minute and "
     "more than 3 times its average growth (if positive) over the hour before.",
     "Memory Allocation Rate"},
    {"BrrtrouterLatencyP95High", SEV_info, "@quantile(0.95, 5m) >= %{latency.high}" TRAFFIC_GUARD,
     "10m", "p95 latency at %{latency.high} s or more for " SVC,
     "The 95th percentile of request duration of " SVC " is {{ $value | humanizeDuration }}.",
     "Request Latency Percentiles"},
};
#define N_ALERTS (sizeof ALERTS / sizeof ALERTS[0])

/* The runbook section of an alert: its name in lower case (GitHub's anchor of "## Name"). */
static void anchor_of(const char *name, char *out, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++)
        out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    out[i] = '\0';
}

/* `t` with the settings substituted, then expanded (malloc'd; NULL + err). */
static char *rule_expr(const struct dash_config *c, const char *what, const char *t, char *err, size_t errlen)
{
    char why[200];
    char *s = dash_config_subst(c, t, why, sizeof why);
    if (!s) {
        snprintf(err, errlen, "%s: %s", what, why);
        return NULL;
    }
    /* an empty selector leaves `up{}`: drop the braces */
    for (char *b; (b = strstr(s, "{}")) != NULL;)
        memmove(b, b + 2, strlen(b + 2) + 1);
    struct pq_ctx ctx = {.sel = dash_param(c, DP_SELECTOR), .by = PQ_BY_PROCESS, .svc = PQ_BY_SERVICE};
    char *e = pq_expand(s, &ctx, why, sizeof why);
    free(s);
    if (!e)
        snprintf(err, errlen, "%s: %s", what, why);
    return e;
}

/* A text annotation with the settings substituted, quoted. */
static int annotation(FILE *f, int in, const char *key, const struct dash_config *c, const char *t,
                      char *err, size_t errlen)
{
    char *s = dash_config_subst(c, t, err, errlen);
    if (!s)
        return -1;
    fprintf(f, "%*s%s: ", in, "", key);
    yaml_quoted(f, s);
    fputc('\n', f);
    free(s);
    return 0;
}

int rules_groups(FILE *f, int in, const struct dash_config *c, char *err, size_t errlen)
{
    fprintf(f, "%*sgroups:\n", in, "");
    fprintf(f, "%*s  - name: " RECORD_GROUP "\n%*s    rules:\n", in, "", in, "");
    for (size_t i = 0; i < N_RECORDS; i++) {
        char *e = rule_expr(c, RECORDS[i].record, RECORDS[i].expr, err, errlen);
        if (!e)
            return -1;
        fprintf(f, "%*s  - record: %s\n%*sexpr: ", in + 4, "", RECORDS[i].record, in + 8, "");
        yaml_quoted(f, e);
        fputc('\n', f);
        free(e);
    }
    for (int s = 0; s < SEV_COUNT; s++) {
        fprintf(f, "%*s  - name: %s\n%*s    rules:\n", in, "", severities[s].group, in, "");
        for (size_t i = 0; i < N_ALERTS; i++) {
            const struct alert *a = &ALERTS[i];
            if ((int)a->sev != s)
                continue;
            char *e = rule_expr(c, a->name, a->expr, err, errlen);
            if (!e)
                return -1;
            int r = in + 8; /* a rule's keys */
            fprintf(f, "%*s  - alert: %s\n", in + 4, "", a->name);
            fprintf(f, "%*sexpr: ", r, "");
            yaml_quoted(f, e);
            free(e);
            fprintf(f, "\n%*sfor: %s\n", r, "", a->for_);
            fprintf(f, "%*slabels:\n%*sseverity: %s\n", r, "", r + 2, "", severities[s].name);
            fprintf(f, "%*sannotations:\n", r, "");
            if (annotation(f, r + 2, "summary", c, a->summary, err, errlen) ||
                annotation(f, r + 2, "description", c, a->description, err, errlen))
                return -1;
            char where[200], anchor[64];
            snprintf(where, sizeof where, "%s / %s", DASH_TITLE, a->panel);
            fprintf(f, "%*sdashboard: ", r + 2, "");
            yaml_quoted(f, where);
            anchor_of(a->name, anchor, sizeof anchor);
            fprintf(f, "\n%*srunbook_url: ", r + 2, "");
            snprintf(where, sizeof where, "%s#%s", dash_param(c, DP_RUNBOOK_URL), anchor);
            yaml_quoted(f, where);
            fputc('\n', f);
        }
    }
    return 0;
}

int rules_markdown(FILE *f, const struct dash_config *c, char *err, size_t errlen)
{
    fprintf(f, "### Recording rules (group `" RECORD_GROUP "`)\n\n");
    for (size_t i = 0; i < N_RECORDS; i++) {
        char *e = rule_expr(c, RECORDS[i].record, RECORDS[i].expr, err, errlen);
        if (!e)
            return -1;
        fprintf(f, "- `%s`:\n\n  ```promql\n  %s\n  ```\n\n", RECORDS[i].record, e);
        free(e);
    }
    for (int s = 0; s < SEV_COUNT; s++) {
        fprintf(f, "### %s\n\n", severities[s].name);
        for (size_t i = 0; i < N_ALERTS; i++) {
            const struct alert *a = &ALERTS[i];
            if ((int)a->sev != s)
                continue;
            char *e = rule_expr(c, a->name, a->expr, err, errlen);
            char *sum = e ? dash_config_subst(c, a->summary, err, errlen) : NULL;
            char anchor[64];
            anchor_of(a->name, anchor, sizeof anchor);
            if (sum)
                fprintf(f, "- **%s** (for %s; panel *%s*; [runbook](runbook.md#%s)): %s\n\n"
                           "  ```promql\n  %s\n  ```\n\n", a->name, a->for_, a->panel, anchor, sum, e);
            free(sum);
            free(e);
            if (!sum)
                return -1;
        }
    }
    return 0;
}
