// A second, independent parser of the Prometheus text format (parse-prometheus-text-format,
// from npm): reads an exposition on stdin, prints "families=<n> samples=<n>" and, for each
// name given as an argument, "<name>=<sum of its samples>". Exits 1 if it cannot parse.
const { createRequire } = require("module");
const path = require("path");
const req = createRequire(path.join(process.env.BRRT_NODE_DIR || __dirname, "package.json"));
const parse = req("parse-prometheus-text-format");
const text = require("fs").readFileSync(0, "utf8");
let fams;
try { fams = parse(text); } catch (e) { console.error("parse error: " + e.message); process.exit(1); }
let samples = 0;
for (const f of fams) samples += f.metrics.length;
const out = [`families=${fams.length}`, `samples=${samples}`];
for (const name of process.argv.slice(2)) {
  const f = fams.find((x) => x.name === name);
  out.push(`${name}=${f ? f.metrics.reduce((s, m) => s + Number(m.value || 0), 0) : "none"}`);
}
console.log(out.join(" "));
