/* The dashboard's panels: the seed's 13 in its sections, types and units, and what an SRE needs
 * beside them (requests by route and status, the 5xx and 4xx ratios, memory growth over a leak
 * window, connections, the exporter's segments). Colours come from the thresholds table
 * (TH(row)); per-process queries group by @by (one series per process, segment included) and
 * use LEGEND_PROC; service-level ones group by @svc on purpose. */
#include "panels.h"

const char *const dash_section_titles[SEC_COUNT] = {
#define SEC_TITLE(id, title) [SEC_##id] = title,
    DASH_SECTIONS(SEC_TITLE)
#undef SEC_TITLE
};

#define P LEGEND_PROC
/* the dashboard's own selector, for `up` (not a catalog metric) */
#define UP_SELECTED "up{job=~\"$job\",namespace=~\"$namespace\",pod=~\"$pod\",instance=~\"$instance\"}"

const struct panel dash_panels[] = {
    /* ---- CPU --------------------------------------------------------------------------------- */
    {.section = SEC_CPU, .type = "gauge", .title = "CPU Usage",
     .desc = "CPU used by each process, in % of its CPU limit (cgroup cpu.max) when the container "
             "has one, else in % of one core (100 % = one core busy). brrt-stat watch shows the "
             "same figure with the same colours; the CPU alerts look at the limit only.",
     .unit = "percent", .w = 6, .h = 8, .range = true, .min = 0, .max = 100, .th = TH(CPU),
     .q = {{"A", "@cpu_pct($__rate_interval)", P}}},
    {.section = SEC_CPU, .type = "timeseries", .title = "CPU Usage Over Time",
     .desc = "CPU in % (of the limit, else of one core) over $__rate_interval (at least four "
             "scrapes, so never an empty window), and its 5 and 15 minute averages: spikes, "
             "trends and the baseline.",
     .unit = "percent", .w = 10, .h = 8, .calcs = "mean,max,min", .th = TH(CPU),
     .threshold_lines = true,
     .q = {{"A", "@cpu_pct($__rate_interval)", P},
           {"B", "@cpu_pct(5m)", "5m avg " P},
           {"C", "@cpu_pct(15m)", "15m avg " P}}},
    {.section = SEC_CPU, .type = "piechart", .title = "CPU Time Distribution",
     .desc = "CPU time spent in user mode (the service's code) and in the kernel (system calls, "
             "network I/O) over the dashboard's time range, all selected processes together.",
     .unit = "s", .w = 4, .h = 8,
     .q = {{"A", "sum(increase(@CPU_USER_SECONDS[$__range]))", "user", true},
           {"B", "sum(increase(@CPU_SYSTEM_SECONDS[$__range]))", "system", true}},
     .ov = {{.ref = "A", .color = "blue"}, {.ref = "B", .color = "orange"}}},
    {.section = SEC_CPU, .type = "stat", .title = "CPU Efficiency",
     .desc = "Requests per second per CPU percentage point (of one core). Falling efficiency at "
             "the same load means each request got more expensive. No colour: there is no "
             "universal good value, compare a process with its own past.",
     .unit = "suffix: req/s per CPU%", .w = 4, .h = 8, .steps = STEPS(BASE("blue")),
     .q = {{"A", "@cpu_eff($__rate_interval)", P}}},
    /* ---- Memory ------------------------------------------------------------------------------ */
    {.section = SEC_MEMORY, .type = "timeseries", .title = "Memory Breakdown",
     .desc = "Resident memory (RSS) with what it contains: the allocator's heap and the coroutine "
             "stacks of in-flight requests (active requests x configured stack size). Not "
             "stacked: heap and stacks are parts of RSS, and VSS (right axis) is address space, "
             "not memory.",
     .unit = "bytes", .w = 12, .h = 8, .calcs = "lastNotNull,mean,max",
     .q = {{"A", "sum by (@by) (@MEMORY_RSS)", "RSS " P},
           {"B", "sum by (@by) (@MEMORY_HEAP)", "heap " P},
           {"C", "sum by (@by) (@ACTIVE_REQUESTS) * sum by (@by) (@STACK_BYTES)", "in-flight stacks " P},
           {"D", "sum by (@by) (@MEMORY_VSS)", "VSS " P}},
     .ov = {{.ref = "A", .color = "blue", .fill = 1 + 25},
            {.ref = "B", .color = "green"},
            {.ref = "C", .color = "yellow"},
            {.ref = "D", .axis = "right", .dashed = true}}},
    {.section = SEC_MEMORY, .type = "timeseries", .title = "Memory Allocation Rate",
     .desc = "Net growth of the heap (allocations minus frees) and of RSS, in bytes per second, "
             "over $__rate_interval (deriv of the gauges): allocation patterns and spikes. Too "
             "short a window to tell a leak: see Memory Growth.",
     .unit = "Bps", .w = 6, .h = 8, .calcs = "mean,max,min",
     .q = {{"A", "@heap_growth($__rate_interval)", "heap " P},
           {"B", "@rss_growth($__rate_interval)", "RSS " P}},
     .ov = {{.ref = "A", .color = "green"}, {.ref = "B", .color = "blue"}}},
    {.section = SEC_MEMORY, .type = "timeseries", .title = "Memory Growth",
     .desc = "Leak detection: the linear trend of RSS and heap over %{leak_window} (deriv), in "
             "bytes per hour. A leak is a trend that stays above zero for hours, whatever the "
             "load does; the memory-growth alert fires from %{memory_growth} bytes per hour.",
     .unit = "bytes", .w = 6, .h = 8, .calcs = "lastNotNull,mean,max",
     .q = {{"A", "@rss_growth(%{leak_window}) * 3600", "RSS per hour " P},
           {"B", "@heap_growth(%{leak_window}) * 3600", "heap per hour " P}},
     .ov = {{.ref = "A", .color = "blue"}, {.ref = "B", .color = "green"}}},
    {.section = SEC_MEMORY, .type = "stat", .title = "Memory Efficiency",
     .desc = "Requests per second per MiB of RSS. It measures traffic as much as memory (an idle "
             "service scores 0), so it has no colour and no alert: compare a process with its "
             "own past at the same load. Memory problems are caught by Memory Growth and by RSS "
             "against the memory limit.",
     .unit = "suffix: req/s per MiB", .w = 4, .h = 8, .steps = STEPS(BASE("blue")),
     .q = {{"A", "@mem_eff($__rate_interval)", P}}},
    /* ---- Coroutine performance --------------------------------------------------------------- */
    {.section = SEC_COROUTINES, .type = "timeseries", .title = "Coroutine Stack Usage",
     .desc = "Configured coroutine stack size (BRRTR_STACK_SIZE) and the measured high-water mark "
             "of stack use, in bytes; stack overflows caught by the guard page (each one a 500) "
             "on the right axis.",
     .unit = "bytes", .w = 16, .h = 8, .calcs = "lastNotNull,max",
     .q = {{"A", "max by (@by) (@STACK_BYTES)", "configured " P},
           {"B", "max by (@by) (@STACK_USED_BYTES)", "used (high-water) " P},
           {"C", "sum by (@by) (increase(@STACK_OVERFLOWS[$__rate_interval]))", "overflows " P}},
     .ov = {{.ref = "A", .color = "blue", .dashed = true},
            {.ref = "B", .color = "green", .fill = 1 + 20},
            {.ref = "C", .color = "red", .axis = "right", .unit = "short", .draw = "bars"}}},
    {.section = SEC_COROUTINES, .type = "gauge", .title = "Stack Utilization",
     .desc = "Stack high-water mark in % of the configured stack size. Half used is fine (the "
             "stack could shrink); from the orange step the stack-utilisation alert fires: raise "
             "BRRTR_STACK_SIZE before a handler overflows.",
     .unit = "percent", .w = 8, .h = 8, .range = true, .min = 0, .max = 100, .th = TH(STACK),
     .q = {{"A", "@stack_pct", P}}},
    /* ---- Requests and errors ----------------------------------------------------------------- */
    {.section = SEC_REQUESTS, .type = "timeseries", .title = "Requests by Route and Status",
     .desc = "Responses per second by route template and status code, per service (all its "
             "processes): which route fails, and how.",
     .unit = "reqps", .w = 12, .h = 8, .calcs = "mean,max",
     .q = {{"A", "sum by (@svc, path, status) (rate(@REQUESTS_TOTAL[$__rate_interval]))",
            "{{path}} {{status}}"}}},
    {.section = SEC_REQUESTS, .type = "timeseries", .title = "5xx Ratio",
     .desc = "The error rate: 5xx responses in % of all responses, per service (the one "
             "definition, as brrt-stat watch's \"errors\" and the error-rate alert). Client "
             "errors (4xx) apart, not coloured: they are the clients' mistakes.",
     .unit = "percent", .w = 12, .h = 8, .calcs = "mean,max", .th = TH(ERRORS_5XX),
     .threshold_lines = true,
     .q = {{"A", "@err_pct($__rate_interval)", "5xx {{job}}"},
           {"B", "@client_err_pct($__rate_interval)", "4xx {{job}}"}},
     .ov = {{.ref = "A", .color = "red"}, {.ref = "B", .color = "blue", .dashed = true}}},
    /* ---- Request performance correlation ----------------------------------------------------- */
    {.section = SEC_CORRELATION, .type = "timeseries", .title = "CPU vs Latency",
     .desc = "CPU in % (left axis) against the mean request latency, rate(_sum) / rate(_count) of "
             "the duration histogram (right axis, points): latency that rises with CPU means the "
             "process is CPU-bound.",
     .unit = "percent", .w = 12, .h = 9, .calcs = "mean,max",
     .q = {{"A", "@cpu_pct($__rate_interval)", "CPU " P},
           {"B", "@mean_latency($__rate_interval)", "mean latency " P}},
     .ov = {{.ref = "A", .axis = "left", .color = "orange"},
            {.ref = "B", .axis = "right", .unit = "s", .draw = "points", .color = "purple"}}},
    {.section = SEC_CORRELATION, .type = "timeseries", .title = "Request Latency Percentiles",
     .desc = "p50, p90, p95 and p99 request latency per service: histogram_quantile over the "
             "native histogram (exponential buckets, within a few % everywhere) when Prometheus "
             "ingests native histograms, else over the classic le buckets (5 us .. 10 s: accurate "
             "to the bucket that holds the quantile). Dashed lines: the latency row of the "
             "thresholds table (p95 info alert from its orange step, p99 critical alert from its "
             "red step).",
     .unit = "s", .w = 12, .h = 9, .calcs = "mean,max", .th = TH(LATENCY), .threshold_lines = true,
     .q = {{"A", "@quantile(0.5, $__rate_interval)", "p50 {{job}}"},
           {"B", "@quantile(0.9, $__rate_interval)", "p90 {{job}}"},
           {"C", "@quantile(0.95, $__rate_interval)", "p95 {{job}}"},
           {"D", "@quantile(0.99, $__rate_interval)", "p99 {{job}}"}}},
    {.section = SEC_CORRELATION, .type = "bargauge", .title = "Slowest Routes (p99 by path)",
     .desc = "The ten routes (path = route template) with the highest p99 latency over the "
             "window, per service, from the duration histogram (native, else classic buckets).",
     .unit = "s", .w = 12, .h = 8, .th = TH(LATENCY),
     .q = {{"A", "topk(10, @route_quantile(0.99, $__rate_interval))", "{{path}} {{job}}", true}}},
    {.section = SEC_CORRELATION, .type = "timeseries", .title = "Request Rate by Route",
     .desc = "Responses per second per route template, counted by the duration histogram "
             "(histogram_count of the native histogram, else its _count).",
     .unit = "reqps", .w = 12, .h = 8, .calcs = "mean,max",
     .q = {{"A", "@route_rate($__rate_interval)", "{{path}} {{job}}"}}},
    /* ---- Resource limits & health ------------------------------------------------------------ */
    {.section = SEC_LIMITS, .type = "bargauge", .title = "Resource Usage vs Limits",
     .desc = "RSS in % of the cgroup memory limit (memory.max), CPU in % of the cgroup CPU limit "
             "(cpu.max) and open files in % of RLIMIT_NOFILE, as each process reads them. "
             "\"no limit\": the container has none.",
     .unit = "percent", .w = 12, .h = 8, .range = true, .min = 0, .max = 100, .th = TH(LIMIT),
     .no_limit = "no limit",
     .q = {{"A", "@mem_of_limit or sum by (@by) (@MEMORY_RSS) * 0 - 1", "memory " P},
           {"B", "@cpu_of_limit($__rate_interval) or @cores($__rate_interval) * 0 - 1", "CPU " P},
           {"C", "@fds_of_limit or sum by (@by) (@OPEN_FDS) * 0 - 1", "open files " P}},
     .ov = {{.ref = "B", .th = TH(CPU)}}},
    {.section = SEC_LIMITS, .type = "stat", .title = "Health Indicators",
     .desc = "In-flight requests of the busiest process, the error rate (5xx in % of all "
             "responses; 0 when there are none), p99 latency and request rate, per service.",
     .w = 12, .h = 8,
     .q = {{"A", "max by (@svc) (sum by (@by) (@ACTIVE_REQUESTS))", "active requests {{job}}"},
           {"B", "@err_pct($__rate_interval)", "error rate (5xx) {{job}}"},
           {"C", "@quantile(0.99, $__rate_interval)", "p99 latency {{job}}"},
           {"D", "@svc_req_rate($__rate_interval)", "requests/s {{job}}"}},
     .ov = {{.ref = "A", .unit = "short", .th = TH(ACTIVE)},
            {.ref = "B", .unit = "percent", .th = TH(ERRORS_5XX)},
            {.ref = "C", .unit = "s", .th = TH(LATENCY)},
            {.ref = "D", .unit = "reqps", .steps = STEPS(BASE("blue"))}}},
    {.section = SEC_LIMITS, .type = "timeseries", .title = "Connections",
     .desc = "Connections closed by the client and connections that ended with a read or write "
             "error, per second: client disconnect patterns.",
     .unit = "cps", .w = 24, .h = 7, .calcs = "mean,max",
     .q = {{"A", "sum by (@by) (rate(@CONNECTION_CLOSES[$__rate_interval]))", "closed by client " P},
           {"B", "sum by (@by) (rate(@CONNECTION_ERRORS[$__rate_interval]))", "connection errors " P}},
     .ov = {{.ref = "B", .color = "red"}}},
    /* ---- Exporter and segments --------------------------------------------------------------- */
    {.section = SEC_EXPORTER, .type = "stat", .title = "Segment Health",
     .desc = "Per process: is its writer running (brrtstat_segment_up), the segment's generation "
             "(a writer restart adds 1); per target: can Prometheus scrape the exporter (up).",
     .w = 12, .h = 7,
     .q = {{"A", "max by (@by) (@SEGMENT_UP)", "running " P},
           {"B", "max by (@by) (@SEGMENT_GENERATION)", "generation " P},
           {"C", "min by (job, namespace, pod, instance) (" UP_SELECTED ")", "scraped {{pod}} {{instance}}"}},
     .ov = {{.ref = "A", .unit = "bool_yes_no", .steps = STEPS(BASE("red"), AT(1, "green"))},
            {.ref = "B", .unit = "none", .steps = STEPS(BASE("blue"))},
            {.ref = "C", .unit = "bool_yes_no", .steps = STEPS(BASE("red"), AT(1, "green"))}}},
    {.section = SEC_EXPORTER, .type = "timeseries", .title = "Segment Errors",
     .desc = "Per process, over $__rate_interval: writer restarts (generation changes), "
             "registrations that did not fit in the segment (those metrics are missing), series "
             "folded into __other (a label with too many values), restarts the exporter followed.",
     .unit = "short", .w = 12, .h = 7, .calcs = "max",
     .q = {{"A", "sum by (@by) (changes(@SEGMENT_GENERATION[$__rate_interval]))", "restarts " P},
           {"B", "sum by (@by) (increase(@SEGMENT_FULL_ERRORS[$__rate_interval]))", "segment full " P},
           {"C", "sum by (@by) (increase(@SEGMENT_OVERFLOWS[$__rate_interval]))", "into __other " P},
           {"D", "sum by (@by) (increase(@SEGMENT_REATTACHES[$__rate_interval]))", "re-attached " P}},
     .ov = {{.ref = "B", .color = "red", .draw = "bars"}, {.ref = "C", .color = "orange", .draw = "bars"}}},
};
const size_t dash_n_panels = sizeof dash_panels / sizeof dash_panels[0];
