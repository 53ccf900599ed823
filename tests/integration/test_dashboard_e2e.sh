#!/usr/bin/env bash
# The dashboard end to end, as an SRE would meet it: two brrt-demo processes with different
# coroutine stack sizes (BRRTR_STACK_SIZE 64 KiB and 128 KiB), error rates and loads, one with
# fake cgroup limits and one without, behind ONE `brrt-stat export --all` (one target, the
# processes told apart by `segment`), a real Prometheus scraping it with the generated rules
# loaded. Then (tests/integration/dashboard_e2e.mjs does the Prometheus side):
#   - every query of every panel, variables substituted as Grafana does (All, and one picked
#     instance), returns a non-empty, finite result; the variables' own queries work;
#   - every per-process query returns one series per process, and its value is that process's
#     own snapshot's (brrt-stat snapshot --interval over the same seconds): not a merge;
#   - service-level queries aggregate both: request rate = the sum of both snapshots, p99 in the
#     bucket of both processes' merged buckets;
#   - the service's error rate over the whole load equals the 5xx share the load generators
#     received (4xx apart);
#   - the rules evaluate without errors, and a SIGKILLed writer makes BrrtrouterSegmentDown go
#     pending for its segment only (ALERTS and /api/v1/alerts).
#
# usage: test_dashboard_e2e.sh BIN_DIR SOURCE_DIR
# Needs: brrt-demo, brrt-stat, brrt-stat-export, brrt-stat-dashboard in BIN_DIR; prometheus,
# curl and node on PATH. Anything missing is a FAILURE with a message, never a skip.
# Listens on 127.0.0.1 only; the load is bounded (rate and duration); about 60 s. On failure
# the tail of every server's log is printed.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 BIN_DIR SOURCE_DIR" >&2
    exit 2
fi
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
MJS=$SRC/tests/integration/dashboard_e2e.mjs
RATE_A=${E2E_RATE_A:-200} # requests per second of the two loads
RATE_B=${E2E_RATE_B:-60}
LOAD_S=${E2E_LOAD_SECONDS:-30}
WINDOW=10                 # seconds: $__rate_interval and the snapshots' --interval

die() { echo "test_dashboard_e2e: $*" >&2; exit 1; }
for b in brrt-demo brrt-stat brrt-stat-dashboard; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing (build first)"
done
[[ -x $BIN/brrt-stat-export ]] ||
    die "FAIL: $BIN/brrt-stat-export is missing: the exporter (\`brrt-stat export\`) must be built for this test"
for t in prometheus curl node; do
    command -v "$t" >/dev/null || die "FAIL: $t is not installed (scripts/setup.sh installs it)"
done

# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
brrt_workdir dash-e2e
# Turns dashboard_e2e.mjs's "ok: / FAIL:" lines into checks.
report() { # file
    local line
    while IFS= read -r line; do
        case $line in
        ok:*) pass "${line#ok: }" ;;
        FAIL:*) fail "${line#FAIL: }" ;;
        *) echo "$line" >&2 ;;
        esac
    done <"$1"
}

# ---- the dashboard under test ---------------------------------------------------------------
"$BIN/brrt-stat-dashboard" --json "$WORK/dashboard.json" --rules "$WORK/rules.yml"

# ---- a fake cgroup v2 tree for process A: 512 MiB and 2 cores (writer/cgroup.c reads it) -----
mkdir -p "$WORK/cg/root/brrt.slice/e2e"
echo "0::/brrt.slice/e2e" >"$WORK/cg/self"
echo 536870912 >"$WORK/cg/root/brrt.slice/e2e/memory.max"
echo "200000 100000" >"$WORK/cg/root/brrt.slice/e2e/cpu.max"
# ... and an empty one for B: no limits at all
mkdir -p "$WORK/cg0/root/none"
echo "0::/none" >"$WORK/cg0/self"

# ---- two brrt-demo processes, one exporter (--all), Prometheus -------------------------------
# Ports: start_server (lib.sh): bind-tested, below the ephemeral range, a server whose port was
# taken meanwhile restarted on another.
start_server "brrt-demo A" "$WORK/demo-a.log" health env BRRTR_STACK_SIZE=65536 \
    BRRT_CGROUP_ROOT="$WORK/cg/root" BRRT_PROC_CGROUP="$WORK/cg/self" "$BIN/brrt-demo" \
    --listen "127.0.0.1:{PORT}" --segment e2e-a --error-rate 0.05 --slow-rate 0.03 --slow-ms 70 \
    --duration 200 || die "brrt-demo A did not start"
PORT_A=$SERVER_PORT
start_server "brrt-demo B" "$WORK/demo-b.log" health env BRRTR_STACK_SIZE=131072 \
    BRRT_CGROUP_ROOT="$WORK/cg0/root" BRRT_PROC_CGROUP="$WORK/cg0/self" "$BIN/brrt-demo" \
    --listen "127.0.0.1:{PORT}" --segment e2e-b --error-rate 0.01 --slow-rate 0 \
    --duration 200 || die "brrt-demo B did not start"
DEMO_B=$SERVER_PID
PORT_B=$SERVER_PORT
start_server "brrt-stat export --all" "$WORK/export.log" metrics \
    "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --all || die "the exporter did not start"
EXP_PORT=$SERVER_PORT

TARGET=127.0.0.1:$EXP_PORT
start_prometheus prometheus brrtrouter "$TARGET" "$WORK/rules.yml" || die "prometheus did not start"
# Ready is not scraping: Prometheus applies its targets up to 5 s after the start. Wait for the
# first scrape (bounded), so that the warm-up below is seen.
for _ in $(seq 150); do
    [[ $(curl -fsG "$PROM/api/v1/query" --data-urlencode 'query=up{job="brrtrouter"}' | grep -o '"value"' | head -n 1) ]] && break
    sleep 0.1
done

# ---- a short warm-up, so that every route and status series exists before the load ----------
# (a counter series is born at its first increment; Prometheus cannot know what it counted
# before its first scrape). The error-rate check below measures from after the warm-up.
brrt_log "$WORK/warm-a.log" "$WORK/warm-b.log" "$WORK/load-a.log" "$WORK/load-b.log"
"$BIN/brrt-demo" load --target "127.0.0.1:$PORT_A" --duration 2 --rate 400 --connections 4 >"$WORK/warm-a.log" 2>&1 &
WARM_A=$!
"$BIN/brrt-demo" load --target "127.0.0.1:$PORT_B" --duration 2 --rate 400 --connections 4 >"$WORK/warm-b.log" 2>&1
wait "$WARM_A" || true
sleep 2.5                    # two scrapes of the warmed-up series
T0_MS=$(date +%s%3N)         # the error-rate window starts here, before the load,
sleep 1.5                    # and its first scrape too: the window's samples bracket the load

# ---- bounded load on both, then the windows fill --------------------------------------------
"$BIN/brrt-demo" load --target "127.0.0.1:$PORT_A" --duration "$LOAD_S" --rate "$RATE_A" \
    --connections 4 --json >"$WORK/load-a.json" 2>"$WORK/load-a.log" &
LOAD_A=$!
"$BIN/brrt-demo" load --target "127.0.0.1:$PORT_B" --duration "$LOAD_S" --rate "$RATE_B" \
    --connections 2 --json >"$WORK/load-b.json" 2>"$WORK/load-b.log" &
LOAD_B=$!
PIDS+=($LOAD_A $LOAD_B)
T_LOAD=$SECONDS
sleep 12

# Each segment's own view of the same WINDOW seconds (both snapshots run at once); Prometheus
# is asked right after, with WINDOW-second windows, so both measure (almost) the same seconds.
"$BIN/brrt-stat" snapshot -s e2e-a -f json --interval "$WINDOW" --count 1 >"$WORK/snap-a.json" &
SNAP_A=$!
"$BIN/brrt-stat" snapshot -s e2e-b -f json --interval "$WINDOW" --count 1 >"$WORK/snap-b.json"
wait "$SNAP_A"
sleep 1.5 # the last scrape of the window
ALL_VARS="{\"job\":\"(brrtrouter)\",\"namespace\":\".*\",\"pod\":\".*\",\"instance\":\".*\",\"__rate_interval\":\"${WINDOW}s\",\"__range\":\"30s\"}"
ONE_VARS="{\"job\":\"brrtrouter\",\"namespace\":\".*\",\"pod\":\".*\",\"instance\":\"$TARGET\",\"__rate_interval\":\"${WINDOW}s\",\"__range\":\"30s\"}"
node "$MJS" query "$PROM" "$WORK/dashboard.json" "$ALL_VARS" >"$WORK/all.json"
node "$MJS" query "$PROM" "$WORK/dashboard.json" "$ONE_VARS" >"$WORK/one.json"

# ---- every query returns data --------------------------------------------------------------
check_results() { # file
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
    pass "\$instance lists the one target of both processes" || fail "\$instance"
[[ $(label_values segment 'brrtrouter_active_requests{job=~"brrtrouter"}') == "e2e-a,e2e-b" ]] &&
    pass "the --all exporter tells the processes apart by segment (e2e-a, e2e-b)" || fail "segment labels"
[[ -z $(label_values namespace brrtrouter_active_requests) ]] &&
    pass "no namespace label outside Kubernetes, and the queries above still matched (.* matches a missing label)" ||
    fail "unexpected namespace label"

# The exporter's own metric table (exporter_metrics.h; the panels and rules name its rows, brrt-stat
# export renders from it): every row is in Prometheus.
missing=""
names=$(grep -o '"brrtstat_[a-z_]*"' "$SRC/metrics/include/brrtstat/exporter_metrics.h" | tr -d '"')
[[ $(wc -w <<<"$names") -ge 13 ]] || fail "exporter_metrics.h: expected at least 13 names, read: $names"
for m in $names; do
    curl -fsG "$PROM/api/v1/query" --data-urlencode "query=count($m)" | grep -q '"value"' || missing+=" $m"
done
[[ -z $missing ]] && pass "every exporter metric the dashboard and rules name is served by brrt-stat export" ||
    fail "exporter metrics named in catalog.h but not served:$missing"

# ---- per process: one series each, each its own snapshot's value; service level: both -------
node "$MJS" per-process "$WORK/all.json" "$WORK/snap-a.json" "$WORK/snap-b.json" >"$WORK/per-process.out" 2>&1 || true
report "$WORK/per-process.out"
node "$MJS" service "$WORK/all.json" "$WORK/snap-a.json" "$WORK/snap-b.json" >"$WORK/service.out" 2>&1 || true
report "$WORK/service.out"
grep -qE '^(ok|FAIL):' "$WORK/per-process.out" "$WORK/service.out" || fail "dashboard_e2e.mjs produced no checks"

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
    pass "the generated rules evaluate without errors in Prometheus ($(cat "$WORK/rules.out"))"
else
    cat "$WORK/rules.out" >&2
    fail "alert rules: evaluation errors in Prometheus"
fi

# ---- the error rate over the whole load = what the clients received ---------------------------
wait "$LOAD_A" "$LOAD_B" 2>/dev/null || true
for l in a b; do
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.exit(r.sent > 0 && r.responses === r.sent && r.errors === 0 ? 0 : 1)' "$WORK/load-$l.json" &&
        pass "load generator $l got every response" || fail "load generator $l: $(cat "$WORK/load-$l.json" "$WORK/load-$l.log")"
done
sleep 2.5 # the last responses scraped
node "$MJS" errors "$PROM" "$WORK/dashboard.json" "$T0_MS" "$WORK/load-a.json" "$WORK/load-b.json" >"$WORK/errors.out" 2>&1 || true
report "$WORK/errors.out"

# ---- a SIGKILLed writer: BrrtrouterSegmentDown goes pending, for that segment only ----------
kill -9 "$DEMO_B"
wait "$DEMO_B" 2>/dev/null || true
alerts_of() { # PromQL over ALERTS: "alertname segment alertstate" per line
    curl -fsG "$PROM/api/v1/query" --data-urlencode "query=$1" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
            for (const r of JSON.parse(s).data.result) console.log(`${r.metric.alertname} ${r.metric.segment} ${r.metric.alertstate}`)})'
}
pending=""
for _ in $(seq 150); do # bounded: 15 s (scrape 1 s, evaluation 1 s)
    pending=$(alerts_of 'ALERTS{alertname="BrrtrouterSegmentDown"}')
    [[ -n $pending ]] && break
    sleep 0.1
done
[[ $pending == "BrrtrouterSegmentDown e2e-b pending" ]] &&
    pass "writer B SIGKILLed: ALERTS has BrrtrouterSegmentDown pending for segment e2e-b only ($pending)" ||
    fail "BrrtrouterSegmentDown after SIGKILL: ALERTS says [$pending]"
curl -fs "$PROM/api/v1/alerts" | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
        const a = JSON.parse(s).data.alerts.filter((x) => x.labels.alertname === "BrrtrouterSegmentDown");
        const ok = a.length === 1 && a[0].state === "pending" && a[0].labels.segment === "e2e-b" &&
            a[0].labels.severity === "critical" && /#brrtroutersegmentdown$/.test(a[0].annotations.runbook_url) &&
            a[0].annotations.description.includes("segment e2e-b");
        console.log(JSON.stringify(a.map((x) => [x.state, x.labels.segment, x.annotations.summary])));
        process.exit(ok ? 0 : 1);
    });' >"$WORK/api-alerts.out" 2>&1 &&
    pass "/api/v1/alerts: pending, critical, runbook_url and description of e2e-b ($(cat "$WORK/api-alerts.out"))" ||
    fail "/api/v1/alerts: $(cat "$WORK/api-alerts.out")"

brrt_summary "$((SECONDS - T_LOAD + 5)) s after the start of the load"
