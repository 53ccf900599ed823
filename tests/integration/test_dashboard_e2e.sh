#!/usr/bin/env bash
# The dashboard end to end: a real Prometheus scrapes `brrt-stat export` while brrt-demo serves
# bounded load with errors (and fake cgroup limits, so the limit series exist). Then:
#   - every query of every panel of the generated dashboard, with the variables substituted as
#     Grafana does (All, and one picked instance), returns a non-empty, finite result;
#   - the variables' own queries find the job and the instance;
#   - request rate, error ratio and p99 agree with the segment's own snapshot (brrt-stat
#     snapshot --interval over the same seconds): rate and ratio within tolerances, p99 inside
#     the histogram bucket that holds the snapshot's p99 (the histogram's resolution);
#   - memory in % of the limit agrees with RSS / memory.max, stack utilisation with the gauges;
#   - the generated alert rules, loaded into this Prometheus, evaluate without errors.
#
# usage: test_dashboard_e2e.sh BIN_DIR SOURCE_DIR
# Needs: brrt-demo, brrt-stat, brrt-stat-export, brrt-stat-dashboard in BIN_DIR; prometheus,
# curl and node on PATH. Anything missing is a FAILURE with a message, never a skip.
# Listens on 127.0.0.1 only; the load is bounded (rate and duration); about 70 s.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 BIN_DIR SOURCE_DIR" >&2
    exit 2
fi
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
RATE=${E2E_RATE:-200}         # requests per second of the load
LOAD_S=${E2E_LOAD_SECONDS:-50}
WINDOW=10                     # seconds: $__rate_interval and the snapshot's --interval

die() { echo "test_dashboard_e2e: $*" >&2; exit 1; }
for b in brrt-demo brrt-stat brrt-stat-dashboard; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing (build first)"
done
[[ -x $BIN/brrt-stat-export ]] ||
    die "FAIL: $BIN/brrt-stat-export is missing: the exporter (issue 4, \`brrt-stat export\`) must be built for this test"
for t in prometheus curl node; do
    command -v "$t" >/dev/null || die "FAIL: $t is not installed (scripts/setup.sh installs it)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/brrt-dash-e2e.XXXXXX")
export BRRT_STAT_DIR=$WORK/shm
mkdir -m 0750 "$BRRT_STAT_DIR"
PIDS=()
cleanup() {
    local rc=$? p
    ((rc == 0)) || brrt_show_logs # the tail of every server log, before the work dir goes
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
# Ports: free_port and start_server (lib.sh): bind-tested, below the ephemeral range, and a
# server whose port was taken meanwhile is restarted on another. (A random port in
# 20000..50000 that nothing listened on could still be some test's client socket: Prometheus
# then exited 0.2 s after start.)

# ---- the dashboard under test ---------------------------------------------------------------
"$BIN/brrt-stat-dashboard" --json "$WORK/dashboard.json" --rules "$WORK/rules.yml"

# ---- a fake cgroup v2 tree: 512 MiB and 2 cores (writer/cgroup.c reads it) ------------------
mkdir -p "$WORK/cg/root/brrt.slice/e2e"
echo "0::/brrt.slice/e2e" >"$WORK/cg/self"
echo 536870912 >"$WORK/cg/root/brrt.slice/e2e/memory.max"
echo "200000 100000" >"$WORK/cg/root/brrt.slice/e2e/cpu.max"
MEM_LIMIT=536870912

# ---- brrt-demo, the exporter, Prometheus ------------------------------------------------------
start_server brrt-demo "$WORK/demo.log" health env BRRT_CGROUP_ROOT="$WORK/cg/root" \
    BRRT_PROC_CGROUP="$WORK/cg/self" "$BIN/brrt-demo" --listen "127.0.0.1:{PORT}" --segment e2e \
    --error-rate 0.05 --slow-rate 0.03 --slow-ms 70 --duration 300 || die "brrt-demo did not start"
PIDS+=("$SERVER_PID")
DEMO_PORT=$SERVER_PORT

start_server "brrt-stat export" "$WORK/export.log" metrics \
    "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --segment e2e || die "the exporter did not start"
PIDS+=("$SERVER_PID")
EXP_PORT=$SERVER_PORT

TARGET=127.0.0.1:$EXP_PORT
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $WORK/rules.yml
scrape_configs:
  - job_name: brrtrouter
    static_configs:
      - targets: ['$TARGET']
EOF
start_server prometheus "$WORK/prometheus.log" -/ready prometheus --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:{PORT}" --log.level=warn ||
    die "prometheus did not start"
PIDS+=("$SERVER_PID")
PROM_PORT=$SERVER_PORT
PROM=http://127.0.0.1:$PROM_PORT

# ---- load, then the windows fill ------------------------------------------------------------
"$BIN/brrt-demo" load --target "127.0.0.1:$DEMO_PORT" --duration "$LOAD_S" --rate "$RATE" \
    --connections 4 --json >"$WORK/load.json" 2>"$WORK/load.log" &
brrt_log "$WORK/load.log"
LOAD_PID=$!
PIDS+=($LOAD_PID)
sleep 20

# The segment's own view of a WINDOW-second interval; Prometheus is asked right after, with
# WINDOW-second windows, so both measure (almost) the same seconds of steady load.
"$BIN/brrt-stat" snapshot -s e2e -f json --interval "$WINDOW" --count 1 >"$WORK/snapshot.json"
sleep 1.5 # the last scrape of the window

# Runs every query through Prometheus's HTTP API and writes the results as JSON lines.
# query.mjs: reads the dashboard, substitutes variables, queries, prints one JSON per query.
cat >"$WORK/query.mjs" <<'EOF'
import { readFileSync } from 'node:fs';
const [prom, dashPath, varsJson] = process.argv.slice(2);
const vars = JSON.parse(varsJson);
const d = JSON.parse(readFileSync(dashPath, 'utf8'));
const subst = (e) => e.replace(/\$\{?(\w+)\}?/g, (m, n) => {
    if (!(n in vars)) throw new Error(`no value for $${n}`);
    return vars[n];
});
const out = [];
for (const p of d.panels.filter((x) => x.type !== 'row'))
    for (const t of p.targets) {
        const expr = subst(t.expr);
        const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = await r.json();
        out.push({ panel: p.title, ref: t.refId, expr, status: body.status, error: body.error,
            result: (body.data?.result ?? []).map((s) => ({ metric: s.metric, value: Number(s.value[1]) })) });
    }
console.log(JSON.stringify(out));
EOF
ALL_VARS="{\"job\":\"(brrtrouter)\",\"namespace\":\".*\",\"pod\":\".*\",\"instance\":\".*\",\"__rate_interval\":\"${WINDOW}s\",\"__range\":\"30s\"}"
ONE_VARS="{\"job\":\"brrtrouter\",\"namespace\":\".*\",\"pod\":\".*\",\"instance\":\"$TARGET\",\"__rate_interval\":\"${WINDOW}s\",\"__range\":\"30s\"}"
node "$WORK/query.mjs" "$PROM" "$WORK/dashboard.json" "$ALL_VARS" >"$WORK/all.json"
node "$WORK/query.mjs" "$PROM" "$WORK/dashboard.json" "$ONE_VARS" >"$WORK/one.json"

# ---- every query returns data --------------------------------------------------------------
check_results() { # file, description
    node -e '
        const rows = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        let bad = 0;
        for (const r of rows) {
            const finite = r.result.every((s) => Number.isFinite(s.value));
            if (r.status !== "success" || r.result.length === 0 || !finite) {
                bad++;
                console.error(`  ${r.panel}/${r.ref}: ${r.status} ${r.error ?? ""} ` +
                    `${r.result.length} series ${finite ? "" : "(NaN/Inf)"}\n    ${r.expr}`);
            }
        }
        console.log(`${rows.length - bad}/${rows.length}`);
        process.exit(bad ? 1 : 0);
    ' "$1"
}
if n=$(check_results "$WORK/all.json"); then
    pass "every panel query returns data with All selected ($n queries)"
else
    fail "queries without data with All selected ($n ok)"
fi
if n=$(check_results "$WORK/one.json"); then
    pass "every panel query returns data with instance=$TARGET ($n queries)"
else
    fail "queries without data with one instance picked ($n ok)"
fi

# ---- the variables' own queries ---------------------------------------------------------------
label_values() { # label, match
    curl -fsG "$PROM/api/v1/label/$1/values" --data-urlencode "match[]=$2" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data.join(",")))'
}
[[ $(label_values job brrtrouter_active_requests) == brrtrouter ]] &&
    pass "\$job lists the job" || fail "\$job: $(label_values job brrtrouter_active_requests)"
[[ $(label_values instance 'brrtrouter_active_requests{job=~"brrtrouter"}') == "$TARGET" ]] &&
    pass "\$instance lists the target" || fail "\$instance"
[[ -z $(label_values namespace brrtrouter_active_requests) ]] &&
    pass "no namespace label outside Kubernetes, and the queries above still matched (.* matches a missing label)" ||
    fail "unexpected namespace label"

# ---- values agree with the segment's snapshot ------------------------------------------------
node -e '
    const fs = require("fs");
    const [snapPath, allPath, memLimit, rate] = process.argv.slice(1);
    const snap = JSON.parse(fs.readFileSync(snapPath, "utf8"));
    const rows = JSON.parse(fs.readFileSync(allPath, "utf8"));
    const q = (panel, ref) => rows.find((r) => r.panel === panel && r.ref === ref).result;
    const fam = (name) => snap.metrics.find((m) => m.name === name);
    let bad = 0;
    const ok = (cond, what) => { console.log(`${cond ? "ok" : "FAIL"}: ${what}`); if (!cond) bad++; };

    const req = fam("brrtrouter_requests_total").series;
    const snapRate = req.reduce((a, s) => a + (s.rate ?? 0), 0);
    const snapErr = req.filter((s) => /^5\d\d$/.test(s.labels.status)).reduce((a, s) => a + (s.rate ?? 0), 0) / snapRate;
    const promRate = q("Health Indicators", "D")[0].value;
    const promErr = q("Health Indicators", "B")[0].value / 100; // the panel shows %
    ok(Math.abs(promRate - snapRate) <= 0.15 * snapRate,
        `request rate: Prometheus ${promRate.toFixed(1)}/s, snapshot ${snapRate.toFixed(1)}/s (within 15 %)`);
    ok(Math.abs(promRate - Number(rate)) <= 0.15 * Number(rate),
        `request rate: Prometheus ${promRate.toFixed(1)}/s, load generator ${rate}/s (within 15 %)`);
    ok(Math.abs(promErr - snapErr) <= 0.02 && promErr > 0,
        `error ratio: Prometheus ${(100 * promErr).toFixed(2)} %, snapshot ${(100 * snapErr).toFixed(2)} % (within 2 points)`);

    const h = fam("brrtrouter_request_duration_seconds").all_series; // every route, as the panel sums
    const les = h.buckets.map((b) => b.le).filter((le) => le !== "+Inf");
    const snapP99 = h.quantiles.p99;
    const err = h.quantile_relative_error;
    const promP99 = q("Health Indicators", "C")[0].value;
    // the bucket (lo, hi] that holds the snapshot p99 (widened by the snapshot quantile error)
    const lo = Math.max(0, ...les.filter((le) => le < snapP99 * (1 - err)));
    const hi = Math.min(...les.filter((le) => le >= snapP99 * (1 + err)));
    ok(promP99 > lo && promP99 <= hi,
        `p99: Prometheus ${(1000 * promP99).toFixed(1)} ms, snapshot ${(1000 * snapP99).toFixed(1)} ms: same bucket (${lo}, ${hi}] s`);
    // the same query (asked at another instant, so compared as text, not as a value)
    const expr = (panel, ref) => rows.find((r) => r.panel === panel && r.ref === ref).expr;
    ok(expr("Request Latency Percentiles", "D") === expr("Health Indicators", "C"),
        "the percentile panel and the health p99 are one query");

    const rss = fam("process_memory_rss_bytes").series[0].value;
    const memPct = q("Resource Usage vs Limits", "A")[0].value;
    const want = 100 * rss / Number(memLimit);
    ok(Math.abs(memPct - want) <= 0.2 * want,
        `memory: ${memPct.toFixed(2)} % of the limit, snapshot RSS / memory.max ${want.toFixed(2)} % (within 20 %)`);
    const cpuPct = q("Resource Usage vs Limits", "B")[0].value;
    ok(cpuPct >= 0 && cpuPct < 100, `CPU: ${cpuPct.toFixed(2)} % of the 2-core limit (a real limit, not "no limit")`);
    const used = fam("brrtrouter_coroutine_stack_used_bytes").series[0].value;
    const size = fam("brrtrouter_coroutine_stack_bytes").series[0].value;
    const stackPct = q("Stack Utilization", "A")[0].value;
    // a high-water mark: Prometheus, asked after the snapshot, sees at least as much
    ok(stackPct >= 100 * used / size - 1e-9 && stackPct <= 100,
        `stack utilisation ${stackPct.toFixed(2)} % >= used / configured in the snapshot (${used} / ${size})`);
    const cpuUsage = q("CPU Usage", "A")[0].value;
    ok(cpuUsage > 0, `CPU usage gauge ${cpuUsage.toFixed(2)} %`);
    process.exit(bad ? 1 : 0);
' "$WORK/snapshot.json" "$WORK/all.json" "$MEM_LIMIT" "$RATE" >"$WORK/compare.out" 2>&1 && cmp_rc=0 || cmp_rc=$?
while IFS= read -r line; do
    case $line in
    ok:*) pass "${line#ok: }" ;;
    FAIL:*) fail "${line#FAIL: }" ;;
    *) echo "$line" >&2 ;;
    esac
done <"$WORK/compare.out"
((cmp_rc == 0)) || [[ $(grep -c '^FAIL' "$WORK/compare.out") -gt 0 ]] || fail "comparison script failed"

# ---- the alert rules evaluate against the real series -------------------------------------
if curl -fs "$PROM/api/v1/rules" | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
        const groups = JSON.parse(s).data.groups;
        const rules = groups.flatMap((g) => g.rules);
        const bad = rules.filter((r) => r.health !== "ok" || r.lastError);
        for (const r of bad) console.error(`  ${r.name}: ${r.health} ${r.lastError ?? ""}`);
        console.log(`${rules.length} rules`);
        process.exit(rules.length >= 20 && bad.length === 0 ? 0 : 1);
    });' >"$WORK/rules.out" 2>&1; then
    pass "the generated alert rules evaluate without errors in Prometheus ($(cat "$WORK/rules.out"))"
else
    cat "$WORK/rules.out" >&2
    fail "alert rules: evaluation errors in Prometheus"
fi

wait "$LOAD_PID" 2>/dev/null || true
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(r.sent > 0 && r.responses === r.sent && r.errors === 0 ? 0 : 1)' "$WORK/load.json" &&
    pass "the load generator got every response" || fail "load generator: $(cat "$WORK/load.json" "$WORK/load.log")"

brrt_summary
