#!/usr/bin/env bash
# brrt-stat export end to end: exposition checked by promtool and by a second parser; a real
# Prometheus scraping it while the demo runs a known load; the writer killed and restarted
# under it; hostile clients; --all. Usage: test_export.sh BIN_DIR SOURCE_DIR.
# Servers listen on 127.0.0.1 only; every load is bounded in count and time.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
HERE=$SRC/tests/integration
brrt_workdir export-test
# shellcheck source=tests/integration/node_env.sh
source "$HERE/node_env.sh"
brrt_node_env "$BIN" "$SRC" "$WORK/npm.log"

# Ports: start_server (lib.sh) picks a bind-tested free_port below the ephemeral range and
# starts the server again on another one if that port was taken meanwhile.
start_demo() { # segment, extra args; sets DEMO_PID and DEMO_PORT
  local seg=$1; shift
  start_server brrt-demo "$WORK/demo.log" health \
    "$BIN/brrt-demo" --listen "127.0.0.1:{PORT}" --segment "$seg" --duration 300 "$@" || exit 1
  DEMO_PID=$SERVER_PID
  DEMO_PORT=$SERVER_PORT
}
scrape() { curl -s --max-time 5 "http://127.0.0.1:$EXP_PORT/metrics"; }
value_of() { # exposition, series (exact text before the value)
  awk -v k="$2" 'index($0, k " ") == 1 { print $NF }' <<<"$1"
}

# ---- the demo and the exporter -------------------------------------------------------------
start_demo shop --error-rate 0.05
start_server "brrt-stat export" "$WORK/export.log" healthz \
  "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --segment shop || exit 1
EXP_PID=$SERVER_PID
EXP_PORT=$SERVER_PORT
"$BIN/brrt-demo" load --target "127.0.0.1:$DEMO_PORT" --requests 3000 --duration 20 --connections 8 >/dev/null

# ---- 1. exposition: promtool and a second parser ---------------------------------------------
body=$(scrape)
check "exposition is not empty" test "$(grep -c '^brrtrouter_requests_total{' <<<"$body")" -ge 5
lint=$(promtool check metrics <<<"$body" 2>&1) && rc=0 || rc=$?
check "promtool check metrics: exit 0" eq "$rc" "0"
check "promtool check metrics: no findings" eq "$lint" ""
parsed=$(node "$HERE/parse_exposition.cjs" brrtrouter_requests_total 2>&1 <<<"$body") || true
types=$(grep -c '^# TYPE ' <<<"$body")
check "second parser reads every family" grep -q "families=$types " <<<"$parsed"
total=$("$BIN/brrt-stat" snapshot -s shop -f json | node "$HERE/metrics_of.cjs" | tr ' ' '\n' | awk -F= '$1=="total"{print $2}')
check "second parser's request total equals the segment's" grep -q "brrtrouter_requests_total=$total" <<<"$parsed"
headers=$(curl -s -D - -o /dev/null "http://127.0.0.1:$EXP_PORT/metrics")
check "Content-Type is text 0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' <<<"$headers"
check "histogram: _bucket{le=\"+Inf\"} equals _count" eq \
  "$(value_of "$body" 'brrtrouter_request_duration_seconds_bucket{le="+Inf"}')" \
  "$(value_of "$body" 'brrtrouter_request_duration_seconds_count')"
check "HELP comes from the segment's descriptor" grep -q '^# HELP brrtrouter_requests_total Responses sent, by route template and status code$' <<<"$body"
om=$(curl -s -D "$WORK/om.h" -H 'Accept: application/openmetrics-text; version=1.0.0' "http://127.0.0.1:$EXP_PORT/metrics")
check "OpenMetrics on request: content type" grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0' "$WORK/om.h"
check "OpenMetrics ends with # EOF" eq "$(tail -n1 <<<"$om")" "# EOF"
check "OpenMetrics counter family without _total, samples with it" \
  grep -q '^# TYPE brrtrouter_requests counter$' <<<"$om"
check "OpenMetrics has _created for counters" grep -q '^brrtrouter_requests_created{' <<<"$om"
gz=$(curl -s -H 'Accept-Encoding: gzip' -D "$WORK/gz.h" "http://127.0.0.1:$EXP_PORT/metrics" -o "$WORK/m.gz"; gunzip -c "$WORK/m.gz" | grep -c '^# TYPE ')
check "gzip when asked, and it decompresses to the exposition" eq "$gz" "$types"
check "Content-Encoding: gzip header" grep -qi '^Content-Encoding: gzip' "$WORK/gz.h"
check "GET /healthz" grep -q '^ok' <<<"$(curl -s "http://127.0.0.1:$EXP_PORT/healthz")"
check "POST /metrics is 405" eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$EXP_PORT/metrics")" "405"
check "405 names the allowed method" grep -qi '^Allow: GET' <<<"$(curl -s -D - -o /dev/null -X DELETE "http://127.0.0.1:$EXP_PORT/metrics")"
check "unknown path is 404" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/admin")" "404"

# ---- 1b. protobuf exposition, negotiated as Prometheus does; decoded by protoc ----------------
PB_ACCEPT='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
ctype() { curl -s -D - -o /dev/null -H "Accept: $1" "http://127.0.0.1:$EXP_PORT/metrics" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-type" { print $2 }'; }
check "Prometheus' native-histogram Accept gets the protobuf exposition" eq "$(ctype "$PB_ACCEPT")" \
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
check "protobuf with a lower q than text: text" eq "$(ctype 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.2,text/plain;version=0.0.4;q=0.5')" \
  "text/plain; version=0.0.4; charset=utf-8"
check "protobuf with spaces around its parameters, q above text: protobuf" eq "$(ctype 'text/plain;q=0.5 , application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily ; encoding=delimited ; q=0.9 ')" \
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
check "protobuf without encoding=delimited is not offered: text" eq "$(ctype 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily')" \
  "text/plain; version=0.0.4; charset=utf-8"
curl -s -H "Accept: $PB_ACCEPT" "http://127.0.0.1:$EXP_PORT/metrics" -o "$WORK/m.pb"
if python3 "$HERE/pb_decode.py" "$SRC/tools/export/proto/metrics.proto" <"$WORK/m.pb" >"$WORK/m.pbtxt" 2>"$WORK/pb.err"; then
  pass "protoc decodes every length-delimited MetricFamily"
else
  fail "protoc decodes every length-delimited MetricFamily" "$(tail -5 "$WORK/pb.err")"
fi
check "protobuf carries every family of the text format" eq "$(grep -c '^name: ' "$WORK/m.pbtxt")" "$(grep -c '^# TYPE ' <<<"$(scrape)")"
# Native histograms: every duration series has a schema, a zero threshold > 0 and spans whose
# deltas rebuild bucket counts that, with the zero bucket, add up to sample_count (nothing here
# is past the range, so the overflow is empty).
native_ok=$(awk '
  function done() { if (inh) { n++; if (!(zt > 0) || schema == "" || nd == 0 || zc + tot != sc) bad++ } }
  /^name: / { done(); inh = 0; fam = $2 }
  fam == "\"brrtrouter_request_duration_seconds\"" && /histogram \{/ { done(); inh = 1; sc = zc = cur = tot = nd = 0; zt = 0; schema = "" }
  inh && /sample_count:/ { sc = $2 } inh && /zero_count:/ { zc = $2 } inh && /zero_threshold:/ { zt = $2 + 0 }
  inh && /schema:/ { schema = $2 } inh && /positive_delta:/ { cur += $2; tot += cur; nd++ }
  END { done(); printf "%d/%d", n - bad, n }' "$WORK/m.pbtxt")
check "protobuf: every duration series is a native histogram whose buckets add up ($native_ok)" \
  test "${native_ok%/*}" = "${native_ok#*/}" -a "${native_ok#*/}" -gt 0
pb_total=$(awk '/^name: "brrtrouter_requests_total"/ { f = 1; next } /^name: / { f = 0 } f && /value: / { t += $2 } END { printf "%d", t }' "$WORK/m.pbtxt")
check "protobuf request total equals the segment's" eq "$pb_total" "$total"

# ---- 2. a real Prometheus -----------------------------------------------------------------------
start_prometheus prom brrtstat "127.0.0.1:$EXP_PORT" "" || exit 1
RATE=400
"$BIN/brrt-demo" load --target "127.0.0.1:$DEMO_PORT" --rate $RATE --duration 14 --connections 8 --json >"$WORK/load.json" &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
sleep 11
q() { # PromQL -> first value, or "none"
  curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1" |
    node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=r.data&&r.data.result[0]; console.log(v?v.value[1]:"none")'
}
check "up == 1 for the exporter" eq "$(q 'up{job="brrtstat"}')" "1"
check "brrtstat_segment_up == 1" eq "$(q 'brrtstat_segment_up{segment="shop"}')" "1"
r=$(q 'sum(rate(brrtrouter_requests_total[5s]))')
check "rate(requests_total[5s]) matches the generated $RATE/s (±10 %)" within "$r" $((RATE * 90 / 100)) $((RATE * 110 / 100))
p99=$(q 'histogram_quantile(0.99, sum by (le) (rate(brrtrouter_request_duration_seconds_bucket[5s])))')
check "histogram_quantile over the buckets gives a latency" within "$p99" 0.000001 10
errs=$(q 'sum(rate(brrtrouter_requests_total{status=~"5.."}[5s])) / sum(rate(brrtrouter_requests_total[5s]))')
check "5xx ratio near the configured 5 % (3-7 %)" within "$errs" 0.03 0.07
wait "$LOAD_PID" || true

# ---- 3. the writer killed and restarted under the exporter ----------------------------------
kill -9 "$DEMO_PID"
wait "$DEMO_PID" 2>/dev/null || true
sleep 0.3
body=$(scrape)
check "exporter still answers after the writer died" test -n "$body"
check "it reports the outage: segment_up 0" eq "$(value_of "$body" 'brrtstat_segment_up{segment="shop"}')" "0"
check "and stops exporting the dead writer's series" eq "$(grep -c '^brrtrouter_' <<<"$body" || true)" "0"
check "promtool is happy with the outage exposition" eq "$(promtool check metrics <<<"$body" 2>&1)" ""
start_demo shop
curl -s -o /dev/null "http://127.0.0.1:$DEMO_PORT/pets/1"
body=$(scrape)
check "after the restart: segment_up 1" eq "$(value_of "$body" 'brrtstat_segment_up{segment="shop"}')" "1"
check "after the restart: generation 2" eq "$(value_of "$body" 'brrtstat_segment_generation{segment="shop"}')" "2"
check "after the restart: the new generation's values (1 readiness probe + 1)" eq \
  "$(value_of "$body" 'brrtrouter_requests_total{path="/pets/{id}",status="200"}')" "1"
check "the reattach is counted" eq "$(value_of "$body" 'brrtstat_segment_reattaches_total{segment="shop"}')" "1"
check "the exporter never restarted" kill -0 "$EXP_PID"

# someone truncates the live segment (its writer dies of SIGBUS): the exporter reports it
# down without dying itself, and attaches afresh to the next writer
truncate -s 4096 "$BRRT_STAT_DIR/shop"
curl -s -o /dev/null "http://127.0.0.1:$DEMO_PORT/health" || true
body=$(scrape)
check "a truncated segment is reported down, not a crash" eq "$(value_of "$body" 'brrtstat_segment_up{segment="shop"}')" "0"
kill -9 "$DEMO_PID" 2>/dev/null || true
wait "$DEMO_PID" 2>/dev/null || true
start_demo shop
body=$(scrape)
check "after the damage, the next writer is followed (generation 3)" eq "$(value_of "$body" 'brrtstat_segment_generation{segment="shop"}')" "3"
check "and it is up" eq "$(value_of "$body" 'brrtstat_segment_up{segment="shop"}')" "1"

# ---- 4. hostile clients -------------------------------------------------------------------------
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$EXP_PID/status"; }
rss0=$(rss)
bad=$( (exec 3<>"/dev/tcp/127.0.0.1/$EXP_PORT"; printf 'GARBAGE\r\n\r\n' >&3; timeout 2 head -c 12 <&3) || true)
# libmicrohttpd drops a connection whose request line is garbage; a 4xx would do as well
check "a malformed request line is refused (closed or 4xx): [$bad]" test -z "$bad" -o "${bad:0:10}" = "HTTP/1.1 4"
v=$( (exec 3<>"/dev/tcp/127.0.0.1/$EXP_PORT"; printf 'GET /metrics HTTP/9.9\r\n\r\n' >&3; timeout 2 head -c 12 <&3) || true)
check "an unknown HTTP version is refused (505)" eq "$v" "HTTP/1.1 505"
printf 'X-Big: %s\n' "$(head -c 200000 /dev/zero | tr '\0' a)" >"$WORK/big.hdr"
code=$(curl -s -o /dev/null -w '%{http_code}' -H @"$WORK/big.hdr" "http://127.0.0.1:$EXP_PORT/metrics" || true)
check "a 200 KB header is refused (431)" eq "$code" "431"
check "the exporter answers after the malformed requests" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/metrics")" "200"
node "$HERE/hostile.cjs" idle "$EXP_PORT" 1000 6 >"$WORK/idle.out" &
IDLE=$!
node "$HERE/hostile.cjs" trickle "$EXP_PORT" 6 >"$WORK/trickle.out" &
TRICKLE=$!
sleep 2
ok=0
for _ in $(seq 20); do
  [[ $(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/metrics") == 200 ]] && ok=$((ok + 1))
done
check "20 of 20 scrapes answered beside 1000 idle connections and a trickling client" eq "$ok" "20"
wait "$IDLE" "$TRICKLE" || true
check "the 1000 hostile connections were really open at once" grep -q 'peak 1000' "$WORK/idle.out"
rss1=$(rss)
check "exporter memory stays bounded (RSS grew < 64 MiB: $rss0 -> $rss1 KiB)" test $((rss1 - rss0)) -lt 65536
check "and it still serves afterwards" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/metrics")" "200"

# ---- 5. --all: several segments, told apart by a label -----------------------------------------
SHOP_PORT=$DEMO_PORT
start_demo cart
DEMO_PORT=$SHOP_PORT
start_server "brrt-stat export --all" "$WORK/export-all.log" healthz \
  "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --all || exit 1
ALL_PORT=$SERVER_PORT
body=$(curl -s "http://127.0.0.1:$ALL_PORT/metrics")
check "--all: both segments present" test "$(grep -c '^brrtstat_segment_up{segment="\(shop\|cart\)"} 1' <<<"$body")" -eq 2
check "--all: series carry segment labels" grep -q '^brrtrouter_requests_total{segment="cart",' <<<"$body"
check "--all: one TYPE line per family" eq "$(grep -c '^# TYPE brrtrouter_requests_total ' <<<"$body")" "1"
check "--all: promtool clean" eq "$(promtool check metrics <<<"$body" 2>&1)" ""

# ---- 6. flags ------------------------------------------------------------------------------------
set +e
"$BIN/brrt-stat" export --segment shop >/dev/null 2>"$WORK/e1"; rc1=$?
"$BIN/brrt-stat" export --listen nowhere --segment shop >/dev/null 2>"$WORK/e2"; rc2=$?
"$BIN/brrt-stat" export --listen 127.0.0.1:1 --all --segment shop >/dev/null 2>"$WORK/e3"; rc3=$?
set -e
check "missing --listen is a usage error (2)" eq "$rc1" "2"
check "bad --listen is a usage error (2)" eq "$rc2" "2"
check "--all with --segment is a usage error (2)" eq "$rc3" "2"
check "usage errors say what is wrong" grep -q 'listen' "$WORK/e1"
check "--help documents the endpoints" grep -q 'GET /healthz' <<<"$("$BIN/brrt-stat" export --help)"

brrt_summary
