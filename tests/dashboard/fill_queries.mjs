// Puts the dashboard's real queries into a promtool test template, with the dashboard variables
// substituted as Grafana would: a placeholder `@@Panel title/refId@@` (the whole YAML value)
// becomes that query's expression. So queries.test.yml.in tests what the generator wrote, not
// a copy of it.
//
// A placeholder may set variables for its query alone: `@@Panel title/refId|job=x,pod=y@@`;
// `digits=N` rounds the result to N decimals (round(x * 1eN) / 1eN gives the double nearest the
// decimal), for values that floating-point rate() arithmetic misses by an ulp.
//
// usage: node fill_queries.mjs DASHBOARD.json TEMPLATE.yml.in OUT.yml [name=value]...
//   defaults: job=brrtrouter namespace=.* pod=.* instance=.* __rate_interval=5m __range=10m
import { readFileSync, writeFileSync } from 'node:fs';

const [dashPath, inPath, outPath, ...assignments] = process.argv.slice(2);
const vars = { digits: '', job: 'brrtrouter', namespace: '.*', pod: '.*', instance: '.*', __rate_interval: '5m', __range: '10m' };
for (const a of assignments) {
    const i = a.indexOf('=');
    vars[a.slice(0, i)] = a.slice(i + 1);
}
const d = JSON.parse(readFileSync(dashPath, 'utf8'));
const queries = new Map();
for (const p of d.panels)
    for (const t of p.targets ?? [])
        queries.set(`${p.title}/${t.refId}`, t.expr);

function substitute(expr, v = vars) {
    return expr.replace(/\$\{?(\w+)\}?/g, (m, name) => {
        if (!(name in v))
            throw new Error(`no value for variable $${name} in ${expr}`);
        return v[name];
    });
}

let used = 0;
const out = readFileSync(inPath, 'utf8').replace(/@@([^@|]+)(?:\|([^@]*))?@@/g, (m, key, local) => {
    const e = queries.get(key);
    if (e === undefined)
        throw new Error(`no query "${key}" in the dashboard`);
    const v = { ...vars };
    for (const a of (local ?? '').split(',').filter(Boolean))
        v[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    used++;
    let expr = substitute(e, v);
    if (v.digits)
        expr = `round((${expr}) * 1e${v.digits}) / 1e${v.digits}`;
    return JSON.stringify(expr); // a JSON string is a YAML double-quoted scalar
});
writeFileSync(outPath, out);
console.log(`fill_queries: ${used} placeholders filled from ${queries.size} dashboard queries`);
