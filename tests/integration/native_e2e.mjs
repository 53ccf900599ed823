// The checks of test_native_e2e.sh, against two real Prometheus servers scraping one exporter:
// NATIVE (--enable-feature=native-histograms: protobuf, native histograms) and CLASSIC (text,
// le buckets only). Prints one "ok: ..." or "FAIL: ..." line per check; exit 1 on a failure.
//
// usage: node native_e2e.mjs DASHBOARD.json SNAPSHOT.json NATIVE_URL CLASSIC_URL VARS_JSON SLOW_PATH
//   VARS_JSON: the dashboard variables as Grafana substitutes them ($job, $__rate_interval, ...)
import { readFileSync } from 'node:fs';

const [dashPath, snapPath, nativeUrl, classicUrl, varsJson, slowPath] = process.argv.slice(2);
const vars = JSON.parse(varsJson);
const dash = JSON.parse(readFileSync(dashPath, 'utf8'));
const snap = JSON.parse(readFileSync(snapPath, 'utf8'));
let bad = 0;
const ok = (cond, what) => {
    console.log(`${cond ? 'ok' : 'FAIL'}: ${what}`);
    if (!cond) bad++;
};
const subst = (e) => e.replace(/\$\{?(\w+)\}?/g, (m, n) => {
    if (!(n in vars)) throw new Error(`no value for $${n} in ${e}`);
    return vars[n];
});
async function query(url, expr, time) { // time: evaluation instant (RFC 3339), default now
    const at = time ? `&time=${encodeURIComponent(time)}` : '';
    const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}${at}`);
    const body = await r.json();
    return { status: body.status, error: body.error, type: body.data?.resultType,
        result: (body.data?.result ?? []).map((s) => ({ metric: s.metric,
            value: s.value ? Number(s.value[1]) : undefined, histogram: s.histogram })) };
}
const panels = dash.panels.filter((p) => p.type !== 'row');
const target = (title, ref) => {
    const p = panels.find((x) => x.title === title);
    const t = p?.targets.find((x) => x.refId === ref);
    if (!t) throw new Error(`the dashboard has no ${title}/${ref}`);
    return subst(t.expr);
};

// ---- 1. the native server ingests the protobuf exposition -----------------------------------
const up = await query(nativeUrl, 'up');
ok(up.result.length === 1 && up.result[0].value === 1, `native server: up == 1 (${JSON.stringify(up.result.map((s) => s.value))})`);
const nat = await query(nativeUrl, 'brrtrouter_request_duration_seconds');
ok(nat.result.length > 0 && nat.result.every((s) => s.histogram && s.histogram[1].buckets?.length > 0),
    `native server: the duration histogram is native, with buckets (${nat.result.length} series by path)`);
const natBuckets = await query(nativeUrl, 'count(brrtrouter_request_duration_seconds_bucket)');
ok(natBuckets.result.length === 0, 'native server: no classic _bucket series (Prometheus 2.42 keeps the native one)');
const clsNative = await query(classicUrl, 'count(brrtrouter_request_duration_seconds)');
const clsBuckets = await query(classicUrl, 'count(brrtrouter_request_duration_seconds_bucket)');
ok(clsNative.result.length === 0 && clsBuckets.result[0]?.value > 0,
    `classic server: only _bucket series (${clsBuckets.result[0]?.value ?? 0}), no native histogram`);

// ---- 2. every panel query returns data on both servers --------------------------------------
for (const [name, url] of [['native', nativeUrl], ['classic', classicUrl]]) {
    let n = 0;
    const empty = [];
    for (const p of panels)
        for (const t of p.targets) {
            n++;
            const r = await query(url, subst(t.expr));
            if (r.status !== 'success' || r.result.length === 0 || !r.result.every((s) => Number.isFinite(s.value)))
                empty.push(`${p.title}/${t.refId}: ${r.status} ${r.error ?? ''} ${r.result.length} series`);
        }
    ok(empty.length === 0, `${name} server: every panel query returns finite data (${n - empty.length}/${n})` +
        (empty.length ? `\n    ${empty.join('\n    ')}` : ''));
}

// ---- 3. the dashboard's percentiles on native histograms agree with the segment ------------
// Evaluated at the instant the snapshot's window closed (taken_at), so that Prometheus' window
// (taken_at - WINDOW, taken_at] holds the same seconds as the segment's, up to one scrape at
// each end; evaluated "now" it would lag by however long the queries above took on a busy
// machine, and a p99 that sits where the slow requests begin moves with a few of them.
const h = snap.metrics.find((m) => m.name === 'brrtrouter_request_duration_seconds').all_series;
for (const [label, ref] of [['p50', 'A'], ['p90', 'B'], ['p99', 'D']]) {
    const r = await query(nativeUrl, target('Request Latency Percentiles', ref), snap.taken_at);
    const prom = r.result[0]?.value;
    const seg = h.quantiles[label];
    const err = Math.abs(prom - seg) / seg;
    ok(r.result.length === 1 && err <= 0.15,
        `${label}: dashboard on native histograms ${(prom * 1e3).toFixed(4)} ms, segment ${(seg * 1e3).toFixed(4)} ms ` +
        `(${(100 * err).toFixed(1)} %, within 15 %)`);
}
// what the classic fallback costs (printed, not asserted: it depends on where the bounds sit)
for (const [label, ref] of [['p50', 'A'], ['p90', 'B'], ['p99', 'D']]) {
    const v = (await query(classicUrl, target('Request Latency Percentiles', ref))).result[0]?.value;
    const seg = h.quantiles[label];
    console.log(`        classic fallback ${label}: ${(v * 1e3).toFixed(4)} ms, segment ${(seg * 1e3).toFixed(4)} ms ` +
        `(${(100 * Math.abs(v - seg) / seg).toFixed(1)} % off; le buckets 5 us .. 10 s)`);
}

// ---- 4. the slowest-routes panel finds the slow route, on both servers --------------------
for (const [name, url] of [['native', nativeUrl], ['classic', classicUrl]]) {
    const r = await query(url, target('Slowest Routes (p99 by path)', 'A'));
    const top = [...r.result].sort((a, b) => b.value - a.value);
    ok(top.length > 1 && top[0].metric.path === slowPath,
        `${name} server: slowest route by p99 is ${top[0]?.metric.path} (${(top[0]?.value * 1e3).toFixed(1)} ms; ` +
        `next ${top[1]?.metric.path} ${(top[1]?.value * 1e3).toFixed(2)} ms), want ${slowPath}`);
}
process.exit(bad ? 1 : 0);
