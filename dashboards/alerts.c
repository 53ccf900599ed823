/* The alert rules: the description's "Alert Recommendations" as one table (ALERTS), written as
 * Prometheus rule groups (a rules file, and the spec of a PrometheusRule). Expressions use the
 * same PromQL templates as the panels that show the signal (promql.c), without the dashboard's
 * variables: a rule sees every target. process_* names are also exported by other programs
 * (process_cpu_seconds_total by every Prometheus client library), so rules on them keep only
 * targets that also export brrtrouter_active_requests. */
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

/* The runbooks: the description's usage patterns. */
#define RUNBOOK_MEMORY_LEAK                                                                        \
    "Identifying memory leaks (dashboard " DASH_TITLE "):\n"                                       \
    "1. Memory Allocation Rate: a leak is an RSS growth rate that stays above zero, not a spike.\n" \
    "2. Look for a consistent positive slope in RSS (Memory Breakdown) across hours.\n"           \
    "3. Correlate with the request rate (Health Indicators): growth that follows traffic is a\n"   \
    "   per-request leak; growth at idle is a background task.\n"                                 \
    "4. Compare heap and RSS growth: both growing points at allocations never freed; RSS\n"        \
    "   growing with a flat heap points at fragmentation, stacks or mmap'd memory.\n"             \
    "5. Mitigate by restarting the pod (it buys time, it is not a fix); capture a heap profile\n" \
    "   before that."
#define RUNBOOK_CPU                                                                                \
    "CPU bottleneck detection (dashboard " DASH_TITLE "):\n"                                       \
    "1. CPU Usage gauge approaching the red zone (100 % = the container's CPU limit, or one core\n" \
    "   without a limit).\n"                                                                       \
    "2. CPU Efficiency dropping: each request costs more CPU than before (a new code path, a\n"    \
    "   regression, or more expensive requests).\n"                                                \
    "3. Latency percentiles rising together with CPU: the service is CPU-bound.\n"               \
    "4. CPU vs Latency: confirm the correlation; Resource Usage vs Limits shows how close the\n"   \
    "   limit is (throttling starts at 100 %).\n"                                                 \
    "5. Mitigate: scale out or raise the CPU limit; then profile the expensive handler."
#define RUNBOOK_STACK                                                                              \
    "Stack optimisation (dashboard " DASH_TITLE "):\n"                                             \
    "1. Stack Utilization: the high-water mark of coroutine stack use in % of BRRTR_STACK_SIZE.\n" \
    "2. Consistently below 50 %: reduce BRRTR_STACK_SIZE (memory per in-flight request).\n"       \
    "3. Above 90 %: increase BRRTR_STACK_SIZE, or BRRTR_STACK_SIZE__<HANDLER> for the handler\n"  \
    "   with the deep call chain, before a request overflows.\n"                                 \
    "4. Coroutine Stack Usage: each stack overflow (guard page) is a 500 for that request."
#define RUNBOOK_DEGRADATION                                                                        \
    "Performance degradation (dashboard " DASH_TITLE "):\n"                                        \
    "1. Request Latency Percentiles: the p99 (and p95) trend; when did it start?\n"                \
    "2. Health Indicators: error rate increases; brrtrouter_requests_total by path and status\n"  \
    "   shows which route and which status.\n"                                                     \
    "3. Active requests building up: requests queue (slow dependency, too few workers, or\n"      \
    "   clients faster than the service).\n"                                                      \
    "4. Correlate with resource usage: CPU vs Latency, Resource Usage vs Limits, memory."

struct alert {
    const char *name;
    enum severity sev;
    const char *expr; /* PromQL template (promql.h) */
    const char *for_;
    const char *summary;
    const char *description;
    const char *runbook;
    const char *panel; /* the dashboard panel that shows the signal */
};

#define ONLY_BRRTROUTER "and on (job, instance) @ACTIVE_REQUESTS"

static const struct alert ALERTS[] = {
    /* ---- critical ---- */
    {"BrrtrouterCpuSaturated", SEV_critical, "@cpu_pct(2m) > 90 " ONLY_BRRTROUTER, "5m",
     "CPU above 90 % for 5 minutes on {{ $labels.instance }}",
     "{{ $labels.job }} {{ $labels.instance }} uses {{ $value | humanize }} % of its CPU limit "
     "(of one core when it has none).",
     RUNBOOK_CPU, "CPU Usage"},
    {"BrrtrouterMemoryGrowth", SEV_critical,
     "@rss_growth(30m) * 3600 > 100 * 1048576 and on (job, instance) (time() - @START_TIME) > 1800 "
     ONLY_BRRTROUTER,
     "30m", "Memory grows faster than 100 MiB/hour on {{ $labels.instance }}",
     "RSS of {{ $labels.job }} {{ $labels.instance }} grows by {{ $value | humanize1024 }}B per "
     "hour (linear fit over 30 minutes, after the first 30 minutes of the process).",
     RUNBOOK_MEMORY_LEAK, "Memory Allocation Rate"},
    {"BrrtrouterLatencyP99High", SEV_critical, "@quantile(0.99, 5m) > 1", "5m",
     "p99 latency above 1 s for {{ $labels.job }}",
     "The 99th percentile of request duration of {{ $labels.job }} is {{ $value | humanizeDuration }}.",
     RUNBOOK_DEGRADATION, "Request Latency Percentiles"},
    {"BrrtrouterErrorRateHigh", SEV_critical, "@err_ratio(5m) > 0.05", "5m",
     "More than 5 % of responses are 5xx for {{ $labels.job }}",
     "{{ $value | humanizePercentage }} of the responses of {{ $labels.job }} are server errors "
     "(status 5xx).",
     RUNBOOK_DEGRADATION, "Health Indicators"},
    /* ---- warning ---- */
    {"BrrtrouterCpuHigh", SEV_warning, "@cpu_pct(2m) > 70 " ONLY_BRRTROUTER, "10m",
     "CPU above 70 % for 10 minutes on {{ $labels.instance }}",
     "{{ $labels.job }} {{ $labels.instance }} uses {{ $value | humanize }} % of its CPU limit "
     "(of one core when it has none).",
     RUNBOOK_CPU, "CPU Usage Over Time"},
    {"BrrtrouterStackUtilizationHigh", SEV_warning, "@stack_pct > 85", "5m",
     "Coroutine stacks more than 85 % used on {{ $labels.instance }}",
     "The deepest handler of {{ $labels.job }} {{ $labels.instance }} used {{ $value | humanize }} % "
     "of the configured coroutine stack (BRRTR_STACK_SIZE).",
     RUNBOOK_STACK, "Stack Utilization"},
    {"BrrtrouterActiveRequestsHigh", SEV_warning, "sum by (@by) (@ACTIVE_REQUESTS) > 500", "5m",
     "More than 500 requests in flight on {{ $labels.instance }}",
     "{{ $labels.job }} {{ $labels.instance }} has {{ $value | humanize }} requests accepted and not "
     "yet answered.",
     RUNBOOK_DEGRADATION, "Health Indicators"},
    {"BrrtrouterMemoryEfficiencyLow", SEV_warning,
     "@mem_eff(5m) < 100 and on (job, instance) @cpu_pct(5m) > 50", "15m",
     "Under load, less than 100 req/s per MiB of memory on {{ $labels.instance }}",
     "{{ $labels.job }} {{ $labels.instance }} serves {{ $value | humanize }} requests per second per "
     "MiB of RSS while its CPU is above 50 %: it is busy and memory-heavy per request. (An idle or "
     "lightly loaded service is not checked: low traffic is not inefficiency.)",
     RUNBOOK_MEMORY_LEAK, "Memory Efficiency"},
    /* ---- info ---- */
    {"BrrtrouterCpuEfficiencyDropping", SEV_info,
     "@cpu_eff(10m) < 0.75 * avg_over_time(@cpu_eff(10m)[15m:1m] offset 1h)"
     " and on (job, instance) @req_rate(10m) > 1",
     "30m", "CPU efficiency 25 % lower than an hour ago on {{ $labels.instance }}",
     "{{ $labels.job }} {{ $labels.instance }} now serves {{ $value | humanize }} req/s per CPU %, "
     "less than 75 % of what it served an hour earlier.",
     RUNBOOK_CPU, "CPU Efficiency"},
    {"BrrtrouterMemoryAllocationSpike", SEV_info,
     "@heap_growth(5m) > 1048576 / 60"
     " and @heap_growth(5m) > 3 * avg_over_time(clamp_min(@heap_growth(5m), 0)[1h:1m] offset 5m)",
     "5m", "Heap allocation spike on {{ $labels.instance }}",
     "The heap of {{ $labels.job }} {{ $labels.instance }} grows by {{ $value | humanize1024 }}B/s: "
     "more than 1 MiB per minute and more than 3 times its average growth over the hour before.",
     RUNBOOK_MEMORY_LEAK, "Memory Allocation Rate"},
    {"BrrtrouterLatencyP95High", SEV_info, "@quantile(0.95, 5m) > 0.5", "10m",
     "p95 latency above 500 ms for {{ $labels.job }}",
     "The 95th percentile of request duration of {{ $labels.job }} is {{ $value | humanizeDuration }}.",
     RUNBOOK_DEGRADATION, "Request Latency Percentiles"},
};
#define N_ALERTS (sizeof ALERTS / sizeof ALERTS[0])

static const struct pq_ctx RULE_CTX = {.sel = "", .by = PQ_BY_PROCESS, .svc = PQ_BY_SERVICE};

int rules_groups(FILE *f, int in, char *err, size_t errlen)
{
    fprintf(f, "%*sgroups:\n", in, "");
    for (int s = 0; s < SEV_COUNT; s++) {
        fprintf(f, "%*s  - name: %s\n%*s    rules:\n", in, "", severities[s].group, in, "");
        for (size_t i = 0; i < N_ALERTS; i++) {
            const struct alert *a = &ALERTS[i];
            if ((int)a->sev != s)
                continue;
            char why[200];
            char *e = pq_expand(a->expr, &RULE_CTX, why, sizeof why);
            if (!e) {
                snprintf(err, errlen, "alert %s: %s", a->name, why);
                return -1;
            }
            int r = in + 8; /* a rule's keys */
            fprintf(f, "%*s  - alert: %s\n", in + 4, "", a->name);
            fprintf(f, "%*sexpr: ", r, "");
            yaml_quoted(f, e);
            fprintf(f, "\n%*sfor: %s\n", r, "", a->for_);
            fprintf(f, "%*slabels:\n%*sseverity: %s\n", r, "", r + 2, "", severities[s].name);
            fprintf(f, "%*sannotations:\n", r, "");
            fprintf(f, "%*ssummary: ", r + 2, "");
            yaml_quoted(f, a->summary);
            fprintf(f, "\n%*sdescription: ", r + 2, "");
            yaml_quoted(f, a->description);
            fprintf(f, "\n%*sdashboard: ", r + 2, "");
            char where[200];
            snprintf(where, sizeof where, "%s / %s", DASH_TITLE, a->panel);
            yaml_quoted(f, where);
            fprintf(f, "\n%*srunbook: ", r + 2, "");
            yaml_block(f, r + 4, a->runbook);
            free(e);
        }
    }
    return 0;
}

int rules_markdown(FILE *f, char *err, size_t errlen)
{
    for (int s = 0; s < SEV_COUNT; s++) {
        fprintf(f, "### %s\n\n", severities[s].name);
        for (size_t i = 0; i < N_ALERTS; i++) {
            const struct alert *a = &ALERTS[i];
            if ((int)a->sev != s)
                continue;
            char why[200];
            char *e = pq_expand(a->expr, &RULE_CTX, why, sizeof why);
            if (!e) {
                snprintf(err, errlen, "alert %s: %s", a->name, why);
                return -1;
            }
            fprintf(f, "- **%s** (for %s; panel *%s*): %s\n\n  ```promql\n  %s\n  ```\n\n", a->name,
                    a->for_, a->panel, a->summary, e);
            free(e);
        }
    }
    return 0;
}
