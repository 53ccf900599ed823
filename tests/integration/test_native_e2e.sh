#!/usr/bin/env bash
# Native histograms end to end. brrt-demo serves the mixed load (5 % errors, 0.2 % slow
# requests of 70 ms, the mix's 1 % of /sleep/20) and a second, slow client: GET /sleep/300 once
# a second, so the /sleep/{ms} route's p99 (300 ms) is far above anything a busy machine makes
# of the others (at 1 rps, 0.5 %, it stays out of the global p99, which sits in the 20 ms
# cluster, away from any edge). One `brrt-stat export` is scraped by two
# real Prometheus 2.42 servers at once: NATIVE (--enable-feature=native-histograms: asks for the
# protobuf exposition and ingests native histograms) and CLASSIC (no feature: text, le buckets).
# Checks (tests/integration/native_e2e.mjs):
#   - the native server has up == 1 and native duration histograms (no _bucket series); the
#     classic one only _bucket series;
#   - every panel query of the generated dashboard returns finite data on BOTH servers (the
#     classic fallback of every latency panel);
#   - the dashboard's own p50, p90, p99 queries (variables substituted as Grafana would) on the
#     native server agree with the segment's windowed quantiles (brrt-stat snapshot --interval
#     over the same seconds) within 15 %;
#   - the "Slowest Routes (p99 by path)" panel puts /sleep/{ms} first, on both servers;
#   - the generated alert rules (latency ones included) evaluate without error on both;
#   - with the load stopped, histogram_quantile over each route's native series equals
#     brrt-stat snapshot's quantile of that series (one quantile method, the same buckets).
#
# usage: test_native_e2e.sh BIN_DIR SOURCE_DIR
# Needs prometheus, curl, node, python3. Listens on 127.0.0.1 only; load bounded in rate and
# time; about 60 s. On failure, prints the tail of every log.
set -euo pipefail
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
RATE=200     # requests per second
LOAD_S=45    # seconds of load (bounded)
WINDOW=15    # seconds: the snapshot's --interval and the dashboard's $__rate_interval
SLOW_PATH='/sleep/{ms}'

# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
for t in prometheus curl node python3; do
    command -v "$t" >/dev/null || { echo "FAIL: $t is not installed (scripts/setup.sh)" >&2; exit 1; }
done
brrt_workdir native-e2e
die() { echo "test_native_e2e: $*" >&2; exit 1; }

"$BIN/brrt-stat-dashboard" --json "$WORK/dashboard.json" --rules "$WORK/rules.yml" >"$WORK/dashboard.log" 2>&1 ||
    die "brrt-stat-dashboard failed"

# Ports: start_server (lib.sh) picks a bind-tested free_port below the ephemeral range, where
# any client socket of a parallel test (wrk, 1000 idle connections) could take a port between
# its release and the server's bind, and starts the server again elsewhere if that happened.
start_server brrt-demo "$WORK/demo.log" health "$BIN/brrt-demo" --listen "127.0.0.1:{PORT}" --segment native \
    --error-rate 0.05 --slow-rate 0.002 --slow-ms 70 --duration 300 || die "brrt-demo did not start"
DEMO_PORT=$SERVER_PORT
start_server "brrt-stat export" "$WORK/export.log" metrics \
    "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --segment native || die "brrt-stat export did not start"
EXP_PORT=$SERVER_PORT

start_prometheus native brrtrouter "127.0.0.1:$EXP_PORT" "$WORK/rules.yml" --enable-feature=native-histograms ||
    die "prometheus (native) did not start"
NATIVE=$PROM
start_prometheus classic brrtrouter "127.0.0.1:$EXP_PORT" "$WORK/rules.yml" || die "prometheus (classic) did not start"
CLASSIC=$PROM

"$BIN/brrt-demo" load --target "127.0.0.1:$DEMO_PORT" --duration "$LOAD_S" --rate "$RATE" \
    --connections 4 --json >"$WORK/load.json" 2>"$WORK/load.log" &
LOAD_PID=$!
PIDS+=($LOAD_PID)
"$BIN/brrt-demo" load --target "127.0.0.1:$DEMO_PORT" --duration "$LOAD_S" --rate 1 --connections 1 \
    --path /sleep/300 >"$WORK/load-slow.log" 2>&1 &
PIDS+=($!)
sleep 20 # the servers fill a first window of steady load

# The segment's own view of WINDOW seconds; the servers are asked right after, over the same
# WINDOW (after the scrape that closes it), so both measure (almost) the same seconds.
"$BIN/brrt-stat" snapshot -s native -f json --interval "$WINDOW" --count 1 >"$WORK/snapshot.json" 2>"$WORK/snapshot.log"
sleep 1.5
VARS="{\"job\":\"(brrtrouter)\",\"namespace\":\".*\",\"pod\":\".*\",\"instance\":\".*\",\"segment\":\".*\",\"__rate_interval\":\"${WINDOW}s\",\"__range\":\"30s\"}"
node "$SRC/tests/integration/native_e2e.mjs" "$WORK/dashboard.json" "$WORK/snapshot.json" \
    "$NATIVE" "$CLASSIC" "$VARS" "$SLOW_PATH" >"$WORK/checks.out" 2>"$WORK/checks.log" && rc=0 || rc=$?
while IFS= read -r line; do
    case $line in
    ok:*) pass "${line#ok: }" ;;
    FAIL:*) fail "${line#FAIL: }" ;;
    *) echo "$line" ;;
    esac
done <"$WORK/checks.out"
((rc == 0)) || grep -q '^FAIL' "$WORK/checks.out" || fail "native_e2e.mjs failed" "$(tail -5 "$WORK/checks.log")"

# ---- the generated alert rules (latency ones: native `or` classic) evaluate on both servers
for srv in "native $NATIVE" "classic $CLASSIC"; do
    set -- $srv
    if curl -fs "$2/api/v1/rules" | node -e '
        let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
            const rules = JSON.parse(s).data.groups.flatMap((g) => g.rules);
            const bad = rules.filter((r) => r.health !== "ok" || r.lastError);
            for (const r of bad) console.error(`  ${r.name}: ${r.health} ${r.lastError ?? ""}`);
            const lat = rules.filter((r) => /histogram_quantile/.test(r.query));
            console.log(`${rules.length} rules, ${lat.length} on latency`);
            process.exit(rules.length > 0 && lat.length > 0 && bad.length === 0 ? 0 : 1);
        });' >"$WORK/rules-$1.out" 2>&1; then
        pass "$1 server: every generated alert rule evaluates without error ($(head -1 "$WORK/rules-$1.out"))"
    else
        fail "$1 server: alert rules" "$(cat "$WORK/rules-$1.out")"
    fi
done

# ---- one quantile method: with the load stopped, Prometheus' histogram_quantile over a native
# series and brrt-stat snapshot over the same series (since start: the very same buckets) agree
# to rounding, for every route and p50/p90/p99.
for p in "${PIDS[@]:4}"; do kill "$p" 2>/dev/null || true; done # the two load generators
sleep 3 # two scrapes of the quiet segment
"$BIN/brrt-stat" snapshot -s native -f json >"$WORK/still.json" 2>>"$WORK/snapshot.log"
sleep 1.5
node -e '
    const [snapPath, url] = process.argv.slice(1);
    const snap = JSON.parse(require("fs").readFileSync(snapPath, "utf8"));
    const fam = snap.metrics.find((m) => m.name === "brrtrouter_request_duration_seconds");
    (async () => {
        let n = 0, worst = 0, bad = [];
        for (const s of fam.series)
            for (const [label, q] of [["p50", 0.5], ["p90", 0.9], ["p99", 0.99]]) {
                const sel = `brrtrouter_request_duration_seconds{path=${JSON.stringify(s.labels.path)}}`;
                const r = await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`histogram_quantile(${q}, ${sel})`)}`)).json();
                const prom = Number(r.data?.result?.[0]?.value?.[1]);
                const seg = s.quantiles[label];
                const err = Math.abs(prom - seg) / seg;
                n++;
                worst = Math.max(worst, err);
                if (!(err <= 1e-9)) bad.push(`${s.labels.path} ${label}: Prometheus ${prom}, snapshot ${seg}`);
            }
        console.log(`${n} quantiles, worst relative difference ${worst.toExponential(2)}`);
        if (bad.length) console.log(bad.join("\n"));
        process.exit(bad.length || n === 0 ? 1 : 0);
    })();' "$WORK/still.json" "$NATIVE" >"$WORK/method.out" 2>&1 && mrc=0 || mrc=$?
if ((mrc == 0)); then
    pass "one quantile method: Prometheus on the native series = brrt-stat snapshot, every route ($(head -1 "$WORK/method.out"))"
else
    fail "one quantile method: Prometheus on the native series vs brrt-stat snapshot" "$(head -12 "$WORK/method.out")"
fi
brrt_summary
