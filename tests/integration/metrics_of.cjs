// Reads `brrt-stat snapshot -f json` output on stdin and prints what the shell tests compare:
//   total=<sum of requests_total> <status>=<n>... hist=<count> active=<n> <name>=<value>...
// Only node's standard library: the tests need no npm packages for this.
const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
const m = Object.fromEntries(s.metrics.map((x) => [x.name, x]));
const out = [];
let total = 0n;
const by = {};
for (const x of (m.brrtrouter_requests_total || { series: [] }).series) {
  total += BigInt(x.value);
  by[x.labels.status] = (by[x.labels.status] || 0n) + BigInt(x.value);
}
out.push(`total=${total}`);
for (const k of Object.keys(by).sort()) out.push(`${k}=${by[k]}`);
const h = m.brrtrouter_request_duration_seconds;
out.push(`hist=${h ? h.series.reduce((a, x) => a + x.count, 0) : "none"}`); // every route
for (const name of process.argv.slice(2)) {
  const f = m[name];
  out.push(`${name}=${f && f.series.length ? f.series[0].value : "none"}`);
}
console.log(out.join(" "));
