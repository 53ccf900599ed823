// tests/integration/test_dashboard_e2e.sh's Prometheus side. Subcommands:
//   query PROM DASHBOARD.json VARS_JSON
//       every query of every panel, variables substituted as Grafana does, as JSON rows
//       {panel, ref, legend, expr, status, error, result: [{metric, value}]}
//   per-process ROWS.json SNAP_A.json SNAP_B.json
//       every per-process query (legend with {{segment}}): one series per process, and its value
//       is that process's own snapshot's (brrt-stat snapshot --interval over the same seconds).
//       A query without a rule below fails: a new per-process panel must say what it equals.
//   service ROWS.json SNAP_A.json SNAP_B.json
//       service-level queries aggregate both processes on purpose: the request rate is the sum
//       of both snapshots' rates, p99 falls in the classic bucket that holds the p99 of both
//       processes' buckets merged, the percentile panel and the health p99 are one query
//   errors PROM DASHBOARD.json T0_MS LOAD_A.json LOAD_B.json
//       the service's error rate (Health Indicators B, and the 5xx Ratio panel) over a window
//       from T0 (unix ms, after the warm-up, before the load) to now, which holds the whole
//       load, equals the 5xx share the load generators received
// Prints "ok: ..." / "FAIL: ..." lines; exits 1 on any failure.
import { readFileSync } from 'node:fs';

const [cmd, ...args] = process.argv.slice(2);
const json = (p) => JSON.parse(readFileSync(p, 'utf8'));
let bad = 0;
const ok = (cond, what) => {
    console.log(`${cond ? 'ok' : 'FAIL'}: ${what}`);
    if (!cond) bad++;
};

async function queryAll(prom, dashPath, vars, at) {
    const d = json(dashPath);
    const subst = (e) => e.replace(/\$\{?(\w+)\}?/g, (m, n) => {
        if (!(n in vars)) throw new Error(`no value for $${n}`);
        return vars[n];
    });
    const out = [];
    for (const p of d.panels.filter((x) => x.type !== 'row'))
        for (const t of p.targets) {
            const expr = subst(t.expr);
            const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}${at ? `&time=${at}` : ''}`);
            const body = await r.json();
            out.push({ panel: p.title, ref: t.refId, legend: t.legendFormat, expr, status: body.status, error: body.error,
                result: (body.data?.result ?? []).map((s) => ({ metric: s.metric, value: Number(s.value[1]) })) });
        }
    return out;
}

// ---- a process's snapshot ------------------------------------------------------------------
function snapshotOf(path) {
    const s = json(path);
    const fam = (n) => s.metrics.find((m) => m.name === n);
    const gauge = (n) => fam(n)?.series[0]?.value;
    const rate = (n) => (fam(n)?.series ?? []).reduce((a, x) => a + (x.rate ?? 0), 0);
    const h = fam('brrtrouter_request_duration_seconds')?.all_series;
    return {
        segment: s.segment.name, generation: s.segment.generation, running: s.segment.state === 'running' ? 1 : 0,
        full: s.segment.full_errors, other: s.segment.cardinality_overflows, window: s.window_seconds,
        gauge, rate, limitCores: gauge('process_cpu_limit_cores'), memLimit: gauge('process_memory_limit_bytes'),
        meanLatency: h && h.count ? h.sum / h.count : NaN,
    };
}

// What each per-process query equals, from that process's snapshot: [value, tolerance] where
// tolerance is {abs} or {rel} (rates: Prometheus and the snapshot measure windows a scrape
// apart), or a function (value, snap) => bool for high-water marks and products.
const near = (v, want, tol) => Math.abs(v - want) <= (tol.abs ?? 0) + (tol.rel ?? 0) * Math.abs(want);
const cpuPct = (s) => 100 * s.rate('process_cpu_seconds_total') / (s.limitCores || 1);
const RATE = { rel: 0.35, abs: 0.5 }; // CPU is sampled about once a second: 10 s windows move
const RULES = {
    'CPU Usage/A': (s) => [cpuPct(s), RATE],
    'CPU Usage Over Time/A': (s) => [cpuPct(s), RATE],
    'CPU Usage Over Time/B': null, // 5m and 15m averages: the process is younger than that
    'CPU Usage Over Time/C': null,
    'CPU Efficiency/A': (s) => [s.rate('brrtrouter_requests_total') / (100 * s.rate('process_cpu_seconds_total')), RATE],
    'Memory Breakdown/A': (s) => [s.gauge('process_memory_rss_bytes'), { rel: 0.1 }],
    'Memory Breakdown/B': (s) => [s.gauge('process_memory_heap_bytes'), { rel: 0.25 }],
    // in-flight stacks: (requests in flight) x (this process's stack size); in flight moves
    'Memory Breakdown/C': (s) => [(v) => v % s.gauge('brrtrouter_coroutine_stack_bytes') === 0 &&
        v <= 64 * s.gauge('brrtrouter_coroutine_stack_bytes'), 'a multiple of its stack size'],
    'Memory Breakdown/D': (s) => [s.gauge('process_memory_vss_bytes'), { rel: 0.1 }],
    'Memory Allocation Rate/A': null, // deriv of a gauge: no snapshot counterpart
    'Memory Allocation Rate/B': null,
    'Memory Growth/A': null,
    'Memory Growth/B': null,
    'Memory Efficiency/A': (s) => [s.rate('brrtrouter_requests_total') / (s.gauge('process_memory_rss_bytes') / 1048576), RATE],
    'Coroutine Stack Usage/A': (s) => [s.gauge('brrtrouter_coroutine_stack_bytes'), { abs: 0 }],
    'Coroutine Stack Usage/B': (s) => [(v) => v >= s.gauge('brrtrouter_coroutine_stack_used_bytes') &&
        v <= s.gauge('brrtrouter_coroutine_stack_bytes'), 'the high-water mark, at least the snapshot\'s'],
    'Coroutine Stack Usage/C': (s) => [s.gauge('brrtrouter_coroutine_stack_overflows_total') * 0, { abs: 0 }],
    'Stack Utilization/A': (s) => [(v) => v >= 100 * s.gauge('brrtrouter_coroutine_stack_used_bytes') /
        s.gauge('brrtrouter_coroutine_stack_bytes') - 1e-9 && v <= 100, 'used / its own configured size'],
    'CPU vs Latency/A': (s) => [cpuPct(s), RATE],
    'CPU vs Latency/B': (s) => [s.meanLatency, { rel: 0.5 }], // A: 3 % of requests sleep 70 ms; B none
    'Resource Usage vs Limits/A': (s) => [s.memLimit ? 100 * s.gauge('process_memory_rss_bytes') / s.memLimit : -1, { rel: 0.1 }],
    'Resource Usage vs Limits/B': (s) => [s.limitCores ? cpuPct(s) : -1, RATE],
    'Resource Usage vs Limits/C': (s) => [100 * s.gauge('process_open_fds') / s.gauge('process_max_fds'), { abs: 0.5 }],
    'Connections/A': (s) => [s.rate('brrtrouter_connection_closes_total'), { abs: 2 }],
    'Connections/B': (s) => [s.rate('brrtrouter_connection_errors_total'), { abs: 2 }],
    'Segment Health/A': (s) => [s.running, { abs: 0 }],
    'Segment Health/B': (s) => [s.generation, { abs: 0 }],
    'Segment Errors/A': () => [0, { abs: 0 }], // no restart in the window
    'Segment Errors/B': (s) => [s.full, { abs: 0 }], // 0 full errors, in the snapshot too
    'Segment Errors/C': (s) => [s.other, { abs: 0 }],
    'Segment Errors/D': () => [0, { abs: 0 }],
};

function perProcess(rowsPath, ...snapPaths) {
    const rows = json(rowsPath);
    const snaps = Object.fromEntries(snapPaths.map((p) => snapshotOf(p)).map((s) => [s.segment, s]));
    const segs = Object.keys(snaps).sort();
    let n = 0;
    for (const r of rows.filter((x) => x.legend.includes('{{segment}}'))) {
        n++;
        const key = `${r.panel}/${r.ref}`;
        const got = r.result.map((x) => x.metric.segment).sort();
        ok(r.status === 'success' && JSON.stringify(got) === JSON.stringify(segs),
            `${key}: one series per process (${got.join(', ')})`);
        if (!(key in RULES)) {
            ok(false, `${key}: a per-process query the test does not know what it should equal`);
            continue;
        }
        if (!RULES[key])
            continue;
        for (const x of r.result) {
            const s = snaps[x.metric.segment];
            if (!s)
                continue;
            const [want, tol] = RULES[key](s);
            if (typeof want === 'function')
                ok(want(x.value), `${key} ${s.segment}: ${x.value} is ${tol}`);
            else
                ok(Number.isFinite(x.value) && near(x.value, want, tol),
                    `${key} ${s.segment}: ${+x.value.toPrecision(6)}, its snapshot ${+want.toPrecision(6)}`);
        }
    }
    ok(n >= 25, `${n} per-process queries checked`);
    // the numbers that were merged before: each process's own
    const a = snaps[segs[0]], b = snaps[segs[1]];
    ok(a.gauge('brrtrouter_coroutine_stack_bytes') !== b.gauge('brrtrouter_coroutine_stack_bytes'),
        `the processes differ: stacks of ${a.gauge('brrtrouter_coroutine_stack_bytes')} and ${b.gauge('brrtrouter_coroutine_stack_bytes')} bytes`);
}

function service(rowsPath, ...snapPaths) {
    const rows = json(rowsPath);
    const q = (p, r) => rows.find((x) => x.panel === p && x.ref === r);
    const snaps = snapPaths.map(json);
    const fams = snaps.map((s) => (n) => s.metrics.find((m) => m.name === n));
    const snapRate = fams.reduce((a, f) => a + f('brrtrouter_requests_total').series.reduce((b, x) => b + (x.rate ?? 0), 0), 0);
    const promRate = q('Health Indicators', 'D').result[0]?.value;
    ok(q('Health Indicators', 'D').result.length === 1 && Math.abs(promRate - snapRate) <= 0.15 * snapRate,
        `service request rate: Prometheus ${promRate?.toFixed(1)}/s, both snapshots ${snapRate.toFixed(1)}/s (within 15 %)`);
    // the two processes' classic buckets (cumulative, same bounds), merged
    const hs = fams.map((f) => f('brrtrouter_request_duration_seconds').all_series);
    const les = hs[0].buckets.map((b) => b.le);
    const cum = les.map((le, i) => hs.reduce((a, h) => a + h.buckets[i].count, 0));
    const count = hs.reduce((a, h) => a + h.count, 0);
    const i99 = cum.findIndex((c) => c >= 0.99 * count);
    const lo = i99 > 0 ? les[i99 - 1] : 0, hi = les[i99] ?? Infinity;
    const p99 = q('Health Indicators', 'C').result[0]?.value;
    // a rank within a few observations of a bound may land in the bucket next to it
    const lo2 = i99 > 1 ? les[i99 - 2] : 0, hi2 = les[i99 + 1] ?? Infinity;
    ok(p99 > lo2 && p99 <= hi2,
        `service p99 ${(1000 * p99).toFixed(3)} ms: in the bucket (${lo}, ${hi}] s of both processes' merged buckets (or a neighbour)`);
    ok(q('Request Latency Percentiles', 'D').expr === q('Health Indicators', 'C').expr,
        'the percentile panel and the health p99 are one query');
}

async function instant(prom, expr, at) {
    const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}&time=${at}`);
    const body = await r.json();
    if (body.status !== 'success') console.error(`${expr}: ${body.error}`);
    return Number(body.data?.result?.[0]?.value?.[1] ?? NaN);
}

async function errors(prom, dashPath, t0ms, ...loads) {
    // every query of this check at one instant, over one window: from T0 (after the warm-up,
    // before the load) to now
    const tEnd = Date.now();
    const at = (tEnd / 1000).toFixed(3), window = `${tEnd - Number(t0ms)}ms`;
    const by = {};
    for (const l of loads.map(json))
        for (const [code, n] of Object.entries(l.by_status)) by[code] = (by[code] ?? 0) + n;
    const total = Object.values(by).reduce((a, n) => a + n, 0);
    const e5 = Object.entries(by).filter(([c]) => c >= 500 && c <= 599).reduce((a, [, n]) => a + n, 0);
    const e4 = Object.entries(by).filter(([c]) => c >= 400 && c <= 499).reduce((a, [, n]) => a + n, 0);
    // A series is born at its first increment: what it counted before its first scrape is
    // invisible to Prometheus. For a route/status first seen during the load that is its first
    // scrape's value (min_over_time of a counter) minus its value at the window's start (absent: 0); the series
    // born in the warm-up were scraped before T0 and hide nothing.
    const hidden = async (m) => {
        const first = await instant(prom, `sum(min_over_time(brrtrouter_requests_total{job="brrtrouter"${m}}[${window}]))`, at);
        const before = await instant(prom, `sum(brrtrouter_requests_total{job="brrtrouter"${m}} offset ${window}) or vector(0)`, at);
        return first - before;
    };
    const h5 = await hidden(',status=~"5.."'), hAll = await hidden('');
    ok(h5 >= 0 && hAll >= h5 && hAll < 0.01 * total, `counts Prometheus cannot see: ${h5} 5xx, ${hAll} in all (series born during the load)`);
    const want = 100 * (e5 - h5) / (total - hAll);
    const vars = { job: 'brrtrouter', namespace: '.*', pod: '.*', instance: '.*', __rate_interval: window, __range: window };
    const rows = await queryAll(prom, dashPath, vars, at);
    const val = (p, r) => rows.find((x) => x.panel === p && x.ref === r)?.result[0]?.value;
    // Every series is scraped at the same instants and the window's first and last scrapes
    // bracket the load, so rate()'s extrapolation stretches all of them by one factor: the
    // ratio is exact but for floating point, and for durationToZero, which can shorten the
    // extrapolation of a series whose first value is tiny next to its increase (a few
    // hundredths of a point at most)
    for (const [p, r] of [['Health Indicators', 'B'], ['5xx Ratio', 'A']])
        ok(Math.abs(val(p, r) - want) <= 0.02,
            `${p}/${r} over the whole load: ${val(p, r)?.toFixed(3)} %, the load generators saw ${e5} 5xx of ${total} (${(100 * e5 / total).toFixed(3)} %; ${want.toFixed(3)} % of what Prometheus could see)`);
    // 4xx come in many route/status pairs, some first seen during the load: 0.3 points
    ok(Math.abs(val('5xx Ratio', 'B') - 100 * e4 / total) <= 0.3 && e4 > e5,
        `4xx apart: ${val('5xx Ratio', 'B')?.toFixed(3)} %, the load generators saw ${(100 * e4 / total).toFixed(3)} % (not errors)`);
}

if (cmd === 'query') {
    console.log(JSON.stringify(await queryAll(args[0], args[1], JSON.parse(args[2]))));
    process.exit(0);
} else if (cmd === 'per-process') {
    perProcess(...args);
} else if (cmd === 'service') {
    service(...args);
} else if (cmd === 'errors') {
    await errors(...args);
} else {
    console.error(`dashboard_e2e.mjs: unknown command ${cmd}`);
    process.exit(2);
}
process.exit(bad ? 1 : 0);
