// The rule files, beyond what promtool checks:
//   same     the PrometheusRule's spec.groups equal the plain rules file's groups
//   rules    the first group holds the recording rules, every other one alerts of one severity,
//            each with expr, for, a severity, summary, description (with the value), dashboard
//            and a runbook_url into docs/runbook.md whose section exists; the alerts of
//            docs/dashboard.md are all there; no subquery in an alert (recording rules do that)
//   tests    prepares the promtool unit tests: every alert has a test where it fires and one where
//            it stays silent; the static annotations (dashboard, runbook_url) are copied from the
//            rule into each expected alert, and rule_files points at the rules under test
//
// usage: node check_rules.mjs NODE_DIR RULES.yml PROMETHEUSRULE.yaml TESTS.yml OUT_TESTS.yml RUNBOOK.md
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const [nodeDir, rulesPath, promrulePath, testsPath, outPath, runbookPath] = process.argv.slice(2);
const YAML = createRequire(join(resolve(nodeDir), 'package.json'))('yaml');
const load = (p) => YAML.parse(readFileSync(p, 'utf8'), { strict: true, uniqueKeys: true });

let failures = 0;
const check = (ok, what) => {
    if (!ok) {
        failures++;
        console.error(`FAIL: ${what}`);
    }
};

const rules = load(rulesPath);
const pr = load(promrulePath);
check(pr.apiVersion === 'monitoring.coreos.com/v1' && pr.kind === 'PrometheusRule', 'PrometheusRule kind and apiVersion');
check(typeof pr.metadata?.name === 'string' && typeof pr.metadata?.namespace === 'string', 'PrometheusRule name and namespace');
check(isDeepStrictEqual(pr.spec?.groups, rules.groups), 'PrometheusRule spec.groups equal the rules file groups');

const alerts = new Map();
// GitHub's anchors of the runbook's "## Name" headings
const anchors = new Set([...readFileSync(runbookPath, 'utf8').matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1].toLowerCase()));
check(rules.groups[0]?.name === 'brrtrouter.rules' && rules.groups[0].rules.every((r) => /^brrtrouter:[a-z_]+:[a-z0-9_]+$/.test(r.record ?? '')),
    'first group: the recording rules, named level:metric:operation');
for (const g of rules.groups.slice(1))
    for (const r of g.rules) {
        check(typeof r.alert === 'string', `group ${g.name}: only alerting rules`);
        check(!alerts.has(r.alert), `alert ${r.alert} defined once`);
        alerts.set(r.alert, r);
        check(/^\d+[smh]$/.test(r.for ?? ''), `${r.alert}: has a for: duration`);
        check(['critical', 'warning', 'info'].includes(r.labels?.severity), `${r.alert}: severity label`);
        check(g.name === `brrtrouter.${r.labels?.severity}`, `${r.alert}: in the group of its severity`);
        for (const a of ['summary', 'description', 'runbook_url', 'dashboard'])
            check(typeof r.annotations?.[a] === 'string' && r.annotations[a].length > 10, `${r.alert}: annotation ${a}`);
        check(r.annotations?.description?.includes('$value'), `${r.alert}: the description shows the value`);
        const anchor = r.annotations?.runbook_url?.match(/^docs\/runbook\.md#(.+)$/)?.[1];
        check(anchor === r.alert.toLowerCase() && anchors.has(anchor), `${r.alert}: runbook_url docs/runbook.md#${r.alert.toLowerCase()}, a section of ${runbookPath}`);
        check(!/\[[^\]]*:[^\]]*\]/.test(r.expr), `${r.alert}: no subquery (a recording rule does it)`);
    }
const wanted = ['BrrtrouterSegmentDown', 'BrrtrouterTargetDown', 'BrrtrouterErrorRateHigh', 'BrrtrouterLatencyP99High',
    'BrrtrouterStackOverflows', 'BrrtrouterFdsNearLimit', 'BrrtrouterMemoryNearLimit', 'BrrtrouterWriterRestarted',
    'BrrtrouterSegmentFull', 'BrrtrouterSeriesOverflow', 'BrrtrouterCpuSaturated', 'BrrtrouterMemoryGrowth'];
for (const w of wanted)
    check(alerts.has(w), `alert ${w} exists`);
// severities kept for what users feel: CPU and memory trends are never critical
for (const w of ['BrrtrouterCpuSaturated', 'BrrtrouterCpuHigh', 'BrrtrouterMemoryGrowth'])
    check(alerts.get(w)?.labels.severity !== 'critical', `${w} is not critical`);
for (const w of ['BrrtrouterErrorRateHigh', 'BrrtrouterLatencyP99High', 'BrrtrouterLatencyP95High'])
    check(/ >= \d/.test(alerts.get(w)?.expr ?? '') && /rate\(brrtrouter_requests_total[^)]*\)\) >= [\d.]+$/.test(alerts.get(w)?.expr ?? ''),
        `${w}: has a minimum-traffic guard`);

// ---- the unit tests ---------------------------------------------------------------------------
const tests = load(testsPath);
const fires = new Set(), silent = new Set();
for (const t of tests.tests)
    for (const c of t.alert_rule_test ?? []) {
        const r = alerts.get(c.alertname);
        check(r, `test "${t.name}": alert ${c.alertname} exists`);
        if (!r)
            continue;
        if (c.exp_alerts?.length) {
            fires.add(c.alertname);
            for (const e of c.exp_alerts) {
                check(e.exp_labels?.severity === r.labels.severity, `test "${t.name}": ${c.alertname} severity`);
                e.exp_annotations ??= {};
                check(e.exp_annotations.summary && e.exp_annotations.description,
                    `test "${t.name}": ${c.alertname} checks its summary and description`);
                e.exp_annotations.dashboard ??= r.annotations.dashboard;
                e.exp_annotations.runbook_url ??= r.annotations.runbook_url;
            }
        } else {
            silent.add(c.alertname);
        }
    }
for (const name of alerts.keys()) {
    check(fires.has(name), `${name}: a test where it fires`);
    check(silent.has(name), `${name}: a test where it stays silent`);
}
tests.rule_files = [basename(rulesPath)];
writeFileSync(outPath, YAML.stringify(tests, { lineWidth: 0 }));

if (failures) {
    console.error(`check_rules: ${failures} failure(s)`);
    process.exit(1);
}
console.log(`check_rules: ok (${alerts.size} alerts, each with a firing and a silent test; PrometheusRule groups = rules file groups)`);
