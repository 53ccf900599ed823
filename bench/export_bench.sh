#!/usr/bin/env bash
# Exporter throughput (a benchmark, not a test): wrk against GET /metrics for the demo's
# series set, reporting scrapes/s, p99 latency, exporter CPU per scrape (from /proc) and RSS,
# for the text format, text with gzip and the protobuf exposition (native histograms).
# Usage: bench/export_bench.sh [BIN_DIR] [SECONDS]   (default build/bin, 10)
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SECS=${2:-10}
WORK=$(mktemp -d /tmp/brrt-export-bench-XXXXXX)
export BRRT_STAT_DIR=$WORK/seg
mkdir -m 0750 "$BRRT_STAT_DIR"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
DP=$((20000 + RANDOM % 20000)) EP=$((20000 + RANDOM % 20000))
"$BIN/brrt-demo" --listen 127.0.0.1:$DP --segment bench --error-rate 0.05 --duration 600 2>/dev/null &
pids+=($!)
sleep 0.5
"$BIN/brrt-demo" load --target 127.0.0.1:$DP --requests 20000 --duration 20 >/dev/null # all series exist
"$BIN/brrt-stat" export --listen 127.0.0.1:$EP --segment bench 2>/dev/null &
EXP=$!
pids+=($EXP)
sleep 0.5
series=$(curl -s http://127.0.0.1:$EP/metrics | grep -vc '^#')
bytes=$(curl -s http://127.0.0.1:$EP/metrics | wc -c)
cpu() { awk '{ print $14 + $15 }' "/proc/$EXP/stat"; }
run() { # label, extra wrk args...
  local label=$1; shift
  local c0 out n c1
  c0=$(cpu)
  out=$(wrk -t2 -c16 -d"${SECS}s" --latency "$@" "http://127.0.0.1:$EP/metrics")
  c1=$(cpu)
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  local rps p99
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  echo "export_${label}_scrapes_per_s $rps"
  echo "export_${label}_p99 $p99"
  echo "export_${label}_cpu_us_per_scrape $(awk -v c=$((c1 - c0)) -v n="$n" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", c / t / n * 1e6 }')"
}
echo "export_series $series"
echo "export_body_bytes $bytes"
PB='Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
echo "export_protobuf_body_bytes $(curl -s -H "$PB" http://127.0.0.1:$EP/metrics | wc -c)"
# same run: text, gzip and protobuf (native histograms: what a Prometheus with native
# histograms enabled asks for) one after the other against the same exporter and segment
run plain
run gzip -H 'Accept-Encoding: gzip'
run protobuf -H "$PB"
echo "export_rss_kib $(awk '/^VmRSS/ { print $2 }' "/proc/$EXP/status")"
echo "nproc $(nproc) (wrk and the exporter share these cores)"
