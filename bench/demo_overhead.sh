#!/usr/bin/env bash
# Instrumentation overhead of the demo service (a benchmark, not a test): the same binary
# with metrics on and with --no-metrics, the same wrk load, alternating ROUNDS times in one
# run so both see the same machine; prints the median requests/s of each and the overhead.
# Usage: bench/demo_overhead.sh [BIN_DIR] [ROUNDS] [SECONDS]   (default build/bin, 5, 5)
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
ROUNDS=${2:-5}
SECS=${3:-5}
WORK=$(mktemp -d /tmp/brrt-overhead-XXXXXX)
export BRRT_STAT_DIR=$WORK/seg
mkdir -m 0750 "$BRRT_STAT_DIR"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$WORK"' EXIT
cat >"$WORK/mix.lua" <<'LUA'
local paths = {"/health", "/pets", "/pets/7", "/users/3/orders", "/pets/5000", "/no/such"}
local i = 0
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
LUA
one() { # mode -> requests/s
  local port=$((20000 + RANDOM % 20000)) flag=""
  [[ $1 == off ]] && flag=--no-metrics
  "$BIN/brrt-demo" --listen 127.0.0.1:$port --segment ovh --workers 1 --duration 120 $flag 2>/dev/null &
  local pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$port/health && break; sleep 0.1; done
  wrk -t1 -c8 -d"${SECS}s" -s "$WORK/mix.lua" http://127.0.0.1:$port/ | awk '/^Requests\/sec/ { print $2 }'
  kill $pid
  wait $pid 2>/dev/null || true
}
on=() off=()
for r in $(seq "$ROUNDS"); do
  off+=("$(one off)")
  on+=("$(one on)")
  echo "round $r: off ${off[-1]} on ${on[-1]}" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m_off=$(median "${off[@]}") m_on=$(median "${on[@]}")
echo "demo_rps_metrics_off $m_off"
echo "demo_rps_metrics_on $m_on"
echo "demo_overhead_percent $(awk -v a="$m_off" -v b="$m_on" 'BEGIN { printf "%.2f", (a - b) / a * 100 }')"
