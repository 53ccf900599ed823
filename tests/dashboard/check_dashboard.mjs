// What the types cannot check: the dashboard docs/dashboard.md describes. Its 13 base panels
// and the ones an SRE needs beside them, in 7 sections, with their types,
// units, legends, and thresholds that are the thresholds table's (read from
// metrics/include/brrtstat/thresholds.h, not copied here); every per-process query grouped by
// segment with a legend by pod and segment; one error definition (5xx); variables (datasource,
// job, namespace, pod, instance) and every metric reference filtered by them; no hard-coded
// data source; the refresh presets; uid, tags, refresh, time range, a current schemaVersion; a
// layout without overlaps.
//
// usage: node check_dashboard.mjs DASHBOARD.json NODE_DIR THRESHOLDS.h   (NODE_DIR: where npm ci ran)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [dashPath, nodeDir, thPath] = process.argv.slice(2);
// The thresholds table: { CPU: [60, 80, 90], ... } and the colours of each row.
const TH = {}, TH_COLOURS = {};
for (const m of readFileSync(thPath, 'utf8').replace(/\\\n/g, ' ').replace(/\s+/g, ' ')
    .matchAll(/X\((\w+), "[^"]*", "[^"]*", "[^"]*", (\w+), ([\d.]+), (\w+), ([\d.]+), (\w+), ([\d.]+), (\w+)\)/g)) {
    TH[m[1]] = [Number(m[3]), Number(m[5]), Number(m[7])];
    TH_COLOURS[m[1]] = [m[2], m[4], m[6], m[8]].map((c) => c.toLowerCase());
}
const d = JSON.parse(readFileSync(dashPath, 'utf8'));
const schema = createRequire(join(resolve(nodeDir), 'package.json'))('@grafana/schema');

let failures = 0;
const check = (ok, what) => {
    if (!ok) {
        failures++;
        console.error(`FAIL: ${what}`);
    }
};
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- dashboard settings ------------------------------------------------------------------
check(d.title === 'BRRTRouter Performance Profiling', 'title');
check(d.uid === 'brrtrouter-performance', 'stable uid');
check(eq(d.tags, ['performance', 'cpu', 'memory', 'profiling']), 'tags performance, cpu, memory, profiling');
check(d.refresh === '5s', 'auto-refresh 5s');
check(eq(d.time, { from: 'now-30m', to: 'now' }), 'last 30 minutes');
check(d.schemaVersion === schema.defaultDashboard.schemaVersion,
    `schemaVersion ${d.schemaVersion} is the current one of @grafana/schema (${schema.defaultDashboard.schemaVersion})`);
check(d.id === null, 'id null (provisioned dashboards get theirs from Grafana)');

// ---- refresh presets: time picker quick ranges and links -----------------------------------
const presets = [['5s', 'now-5m'], ['10s', 'now-1h'], ['1m', 'now-24h']];
for (const [refresh, from] of presets) {
    check(d.timepicker.refresh_intervals.includes(refresh), `refresh interval ${refresh} offered`);
    check(d.timepicker.quick_ranges.some((r) => r.from === from && r.to === 'now'), `quick range ${from}`);
    check(d.links.some((l) => l.url.includes(`from=${from}`) && l.url.includes(`refresh=${refresh}`) &&
        l.url.startsWith(`/d/${d.uid}?`)), `link for ${refresh} / ${from}`);
}

// ---- variables -----------------------------------------------------------------------------
const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
check(eq(Object.keys(vars), ['datasource', 'job', 'namespace', 'pod', 'instance']), 'variables datasource, job, namespace, pod, instance');
check(vars.datasource?.type === 'datasource' && vars.datasource.query === 'prometheus', 'datasource variable of type prometheus');
for (const name of ['job', 'namespace', 'pod', 'instance']) {
    const v = vars[name];
    check(v?.type === 'query' && v.includeAll && v.multi, `${name}: query variable, multi, with All`);
    check(v?.datasource?.uid === '${datasource}', `${name}: queried through \${datasource}`);
    check(/^label_values\(brrtrouter_[a-z_]+(\{.*\})?, [a-z]+\)$/.test(v?.query ?? ''), `${name}: label_values of a BRRTRouter metric`);
}
// All of namespace/pod/instance is ".*", which also matches series without the label (outside
// Kubernetes); All of job is the list of jobs found, so other programs' process_* never show.
for (const name of ['namespace', 'pod', 'instance'])
    check(vars[name]?.allValue === '.*', `${name}: All is .*`);
check(vars.job && !('allValue' in vars.job), 'job: All is the jobs that export BRRTRouter metrics');

// ---- no hard-coded data source -----------------------------------------------------------
const uids = [];
(function walk(o, path) {
    if (Array.isArray(o)) o.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (o && typeof o === 'object')
        for (const [k, v] of Object.entries(o)) {
            if (k === 'uid' && path !== '') uids.push([path, v]);
            walk(v, `${path}.${k}`);
        }
})(d, '');
for (const [path, uid] of uids)
    check(uid === '${datasource}' || (uid === '-- Grafana --' && path.startsWith('.annotations')),
        `data source uid at ${path} is \${datasource}, not ${uid}`);

// ---- sections and panels -------------------------------------------------------------------
const rows = d.panels.filter((p) => p.type === 'row').map((p) => p.title);
check(eq(rows, ['CPU', 'Memory', 'Coroutine performance', 'Requests and errors', 'Request performance correlation',
    'Resource limits & health', 'Exporter and segments']), `7 sections in order, got ${JSON.stringify(rows)}`);
check(Object.keys(TH).length >= 6, `the thresholds table read from ${thPath} (${Object.keys(TH).join()})`);
// title: [section, type, unit, thresholds (steps after the base: a row of the table, or []
// for a neutral colour), legend calcs, queries]
const R = 'Requests and errors', C = 'Request performance correlation', L = 'Resource limits & health';
const spec = {
    'CPU Usage': ['CPU', 'gauge', 'percent', TH.CPU, null, 1],
    'CPU Usage Over Time': ['CPU', 'timeseries', 'percent', TH.CPU, ['mean', 'max', 'min'], 3],
    'CPU Time Distribution': ['CPU', 'piechart', 's', null, null, 2],
    'CPU Efficiency': ['CPU', 'stat', 'suffix: req/s per CPU%', [], null, 1],
    'Memory Breakdown': ['Memory', 'timeseries', 'bytes', null, ['lastNotNull', 'mean', 'max'], 4],
    'Memory Allocation Rate': ['Memory', 'timeseries', 'Bps', null, null, 2],
    'Memory Growth': ['Memory', 'timeseries', 'bytes', null, null, 2],
    'Memory Efficiency': ['Memory', 'stat', 'suffix: req/s per MiB', [], null, 1],
    'Coroutine Stack Usage': ['Coroutine performance', 'timeseries', 'bytes', null, null, 3],
    'Stack Utilization': ['Coroutine performance', 'gauge', 'percent', TH.STACK, null, 1],
    'Requests by Route and Status': [R, 'timeseries', 'reqps', null, null, 1],
    '5xx Ratio': [R, 'timeseries', 'percent', TH.ERRORS_5XX, null, 2],
    'CPU vs Latency': [C, 'timeseries', 'percent', null, null, 2],
    'Request Latency Percentiles': [C, 'timeseries', 's', TH.LATENCY, null, 4],
    'Slowest Routes (p99 by path)': [C, 'bargauge', 's', TH.LATENCY, null, 1],
    'Request Rate by Route': [C, 'timeseries', 'reqps', null, ['mean', 'max'], 1],
    'Resource Usage vs Limits': [L, 'bargauge', 'percent', TH.LIMIT, null, 3],
    'Health Indicators': [L, 'stat', undefined, null, null, 4],
    'Connections': [L, 'timeseries', 'cps', null, null, 2],
    'Segment Health': ['Exporter and segments', 'stat', undefined, null, null, 3],
    'Segment Errors': ['Exporter and segments', 'timeseries', 'short', null, null, 4],
};
let section = null;
const seen = [];
const ids = new Set();
for (const p of d.panels) {
    check(!ids.has(p.id), `panel id ${p.id} unique`);
    ids.add(p.id);
    if (p.type === 'row') {
        section = p.title;
        continue;
    }
    seen.push(p.title);
    const s = spec[p.title];
    if (!s) {
        check(false, `unexpected panel "${p.title}"`);
        continue;
    }
    const [sec, type, unit, steps, calcs, nq] = s;
    check(section === sec, `${p.title}: in section ${sec} (is in ${section})`);
    check(p.type === type, `${p.title}: type ${type} (is ${p.type})`);
    check(p.fieldConfig.defaults.unit === unit, `${p.title}: unit ${unit} (is ${p.fieldConfig.defaults.unit})`);
    if (steps)
        check(eq(p.fieldConfig.defaults.thresholds.steps.slice(1).map((x) => x.value), steps),
            `${p.title}: thresholds ${steps}`);
    if (calcs)
        check(eq(p.options.legend.calcs, calcs), `${p.title}: legend ${calcs}`);
    check(p.targets.length === nq, `${p.title}: ${nq} queries (has ${p.targets.length})`);
    check(p.datasource?.uid === '${datasource}', `${p.title}: panel data source \${datasource}`);
    check(typeof p.description === 'string' && p.description.length > 20, `${p.title}: described`);
}
check(seen.length === Object.keys(spec).length, `${Object.keys(spec).length} panels (has ${seen.length})`);
check(eq(seen, Object.keys(spec)), `panels in order: ${JSON.stringify(seen)}`);

const byTitle = Object.fromEntries(d.panels.map((p) => [p.title, p]));
const exprs = (t) => byTitle[t]?.targets.map((q) => q.expr) ?? [];
check(byTitle['CPU Usage'].fieldConfig.defaults.thresholds.steps.map((s) => s.color).join() === TH_COLOURS.CPU.join(),
    `CPU gauge: ${TH_COLOURS.CPU} (the table's colours)`);
// overrides coloured by a row of the table: its values
const ovSteps = (t, ref) => byTitle[t].fieldConfig.overrides.find((o) => o.matcher.options === ref)
    ?.properties.find((p) => p.id === 'thresholds')?.value.steps.slice(1).map((x) => x.value);
check(eq(ovSteps('Health Indicators', 'A'), TH.ACTIVE), 'health: active requests coloured by the ACTIVE row');
check(eq(ovSteps('Health Indicators', 'B'), TH.ERRORS_5XX), 'health: error rate coloured by the ERRORS_5XX row (in %)');
check(eq(ovSteps('Health Indicators', 'C'), TH.LATENCY), 'health: p99 coloured by the LATENCY row');
check(eq(ovSteps('Resource Usage vs Limits', 'B'), TH.CPU), 'limits: CPU of the limit coloured by the CPU row, as the gauge');
// one error definition: 5xx; 4xx only apart
for (const p of d.panels.filter((x) => x.type !== 'row'))
    for (const q of p.targets)
        if (/error/i.test(q.legendFormat) && !/connection/.test(q.legendFormat)) // HTTP errors, not socket ones
            check(q.expr.includes('status=~"5.."') && !q.expr.includes('status=~"4'), `${p.title}/${q.refId}: an error is a 5xx`);
check(exprs('5xx Ratio').some((e) => e.includes('status=~"4.."')), '5xx ratio: 4xx shown apart');
check(exprs('Requests by Route and Status').every((e) => /sum by \(job, namespace, path, status\)/.test(e)), 'requests by route and status');
// per process: one series per process (segment kept), legend by pod and segment, never an IP
const PROC = 'job, namespace, pod, instance, segment';
let perProcess = 0;
for (const p of d.panels.filter((x) => x.type !== 'row'))
    for (const q of p.targets) {
        check(!q.legendFormat.includes('{{instance}}') || q.legendFormat.includes('{{pod}}'),
            `${p.title}/${q.refId}: legend by pod, not by instance (an IP:port) alone`);
        if (!q.legendFormat.includes('{{segment}}'))
            continue;
        perProcess++;
        check(q.expr.includes(`by (${PROC})`), `${p.title}/${q.refId}: per-process query grouped by ${PROC}`);
        check(!/by \(job, namespace, pod, instance\)/.test(q.expr), `${p.title}/${q.refId}: no grouping that drops segment`);
    }
check(perProcess >= 25, `per-process queries with a {{pod}} {{segment}} legend (${perProcess})`);
check(!exprs('CPU Usage Over Time').some((e) => e.includes('[1m]')) && exprs('CPU Usage Over Time')[0].includes('[$__rate_interval]'),
    'CPU over time: $__rate_interval, no fixed [1m]');
check(exprs('Memory Growth').every((e) => /deriv\([a-z_]+\{[^}]*\}\[1h\]\)/.test(e)), 'memory growth: deriv over 1h (a leak window)');
check(byTitle['CPU Time Distribution'].options.pieType === 'donut', 'CPU time distribution is a donut');
check(exprs('CPU Time Distribution').some((e) => e.includes('process_cpu_user_seconds_total')) &&
    exprs('CPU Time Distribution').some((e) => e.includes('process_cpu_system_seconds_total')), 'donut: user vs system CPU');
check(eq(byTitle['CPU Time Distribution'].options.legend.values, ['value', 'percent']), 'donut: absolute time and percentages');
check(exprs('CPU Usage Over Time').map((e) => e.match(/\[([$\w]+)\]/)[1]).join() === '$__rate_interval,5m,15m',
    'CPU over time: $__rate_interval, 5m, 15m');
check(exprs('Segment Health').some((e) => e.includes('brrtstat_segment_up')) && exprs('Segment Health').some((e) => /\bup\{/.test(e)),
    'segment health: segment up and scrape up');
check(['full_errors', 'cardinality_overflows', 'generation'].every((m) => exprs('Segment Errors').some((e) => e.includes(m))),
    'segment errors: restarts, full segment, __other');
check(exprs('Connections').some((e) => e.includes('connection_closes')) && exprs('Connections').some((e) => e.includes('connection_errors')),
    'connections: closes and errors');
check(byTitle['Resource Usage vs Limits'].options.displayMode === 'lcd', 'limits: LCD bar gauge');
check(exprs('Resource Usage vs Limits').some((e) => e.includes('process_memory_limit_bytes')) &&
    exprs('Resource Usage vs Limits').some((e) => e.includes('process_cpu_limit_cores')), 'limits: the real cgroup limits');
check(!exprs('Resource Usage vs Limits').some((e) => /1073741824|1024 \* 1024 \* 1024/.test(e)), 'limits: no hard-coded 1 GiB');
check(exprs('Request Latency Percentiles').map((e) => e.match(/histogram_quantile\(([\d.]+)/)[1]).join() === '0.5,0.9,0.95,0.99',
    'percentiles p50, p90, p95, p99');
// latency: the native histogram first, the classic buckets as the fallback
const NATIVE = /histogram_quantile\([\d.]+, sum by \([^)]*\) \(rate\(brrtrouter_request_duration_seconds\{/;
for (const t of ['Request Latency Percentiles', 'Slowest Routes (p99 by path)'])
    check(exprs(t).every((e) => NATIVE.test(e) && / or histogram_quantile\(.*_bucket\{/.test(e)),
        `${t}: native histogram or classic buckets`);
check(exprs('Slowest Routes (p99 by path)').every((e) => /^topk\(10, /.test(e) && /by \([^)]*path/.test(e)),
    'slowest routes: top 10 by path');
check(exprs('CPU vs Latency').some((e) => /histogram_sum\(rate\(brrtrouter_request_duration_seconds\{/.test(e)),
    'CPU vs latency: native histogram_sum / histogram_count first');
const cvl = byTitle['CPU vs Latency'];
check(cvl.fieldConfig.overrides.some((o) => o.properties.some((p) => p.id === 'custom.axisPlacement' && p.value === 'right')),
    'CPU vs latency: dual axis');
check(exprs('CPU vs Latency').some((e) => /rate\(brrtrouter_request_duration_seconds_sum.*\/.*rate\(brrtrouter_request_duration_seconds_count/.test(e)),
    'CPU vs latency: rate(_sum) / rate(_count)');
check(exprs('Memory Allocation Rate').every((e) => e.includes('deriv(') && !e.includes('rate(')), 'allocation rate: deriv() of gauges, no rate()');
check(byTitle['Memory Breakdown'].fieldConfig.defaults.custom.stacking.mode === 'none', 'memory breakdown: not stacked');
const health = exprs('Health Indicators');
check(health.some((e) => e.includes('brrtrouter_active_requests')), 'health: active requests');
check(health.some((e) => e.includes('status=~"5.."') && / or /.test(e)), 'health: error rate, 0 when there are no errors');
check(health.some((e) => e.includes('histogram_quantile(0.99')), 'health: p99');

// ---- every query: every metric reference carries the variables' selector -------------------
const SEL = 'job=~"$job",namespace=~"$namespace",pod=~"$pod",instance=~"$instance"';
const known = new Set(['$job', '$namespace', '$pod', '$instance', '$__rate_interval', '$__range']);
for (const p of d.panels.filter((x) => x.type !== 'row'))
    for (const q of p.targets) {
        check(q.datasource?.uid === '${datasource}', `${p.title}/${q.refId}: data source \${datasource}`);
        const refs = [...q.expr.matchAll(/\b((?:brrtrouter|brrtstat|process)_[a-z_]+|up(?=\{))(\{[^}]*\})?/g)];
        check(refs.length > 0, `${p.title}/${q.refId}: queries a catalog metric`);
        for (const [, name, sel] of refs)
            check(sel && sel.startsWith(`{${SEL}`), `${p.title}/${q.refId}: ${name} filtered by the variables`);
        for (const [v] of q.expr.matchAll(/\$[a-z_]+/g))
            check(known.has(v), `${p.title}/${q.refId}: unknown variable ${v}`);
        let depth = 0;
        for (const c of q.expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
            depth += '([{'.includes(c) ? 1 : ')]}'.includes(c) ? -1 : 0;
            if (depth < 0) break;
        }
        check(depth === 0, `${p.title}/${q.refId}: balanced brackets`);
    }

// ---- layout --------------------------------------------------------------------------------
const boxes = d.panels.map((p) => ({ id: p.id, ...p.gridPos }));
for (const b of boxes)
    check(b.x >= 0 && b.w > 0 && b.x + b.w <= 24 && b.h > 0, `panel ${b.id} within 24 columns`);
for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        check(!overlap, `panels ${a.id} and ${b.id} do not overlap`);
    }

if (failures) {
    console.error(`check_dashboard: ${failures} failure(s)`);
    process.exit(1);
}
console.log(`check_dashboard: ok (${seen.length} panels, ${rows.length} sections, ` +
    `${d.panels.reduce((n, p) => n + (p.targets?.length ?? 0), 0)} queries)`);
