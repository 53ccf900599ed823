#!/usr/bin/env bash
# The sidecar's memory under load, the numbers behind the limits in k8s/sidecar (docs/deploy.md):
#  1. the exporter serving a demo segment to wrk -c1000 (/metrics, text);
#  2. the demo (2 workers, 64 KiB coroutine stacks) under wrk -c1000 on a route mix.
# Each runs SECONDS (default 10); the peaks come from /proc/PID/status (VmHWM, RssAnon sampled
# every 0.1 s). Servers listen on 127.0.0.1. Usage: scripts/measure-memory.sh [BIN_DIR] [SECONDS]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SECS=${2:-10}
ulimit -n 4096 2>/dev/null || true
WORK=$(mktemp -d /tmp/brrt-measure-XXXXXX)
export BRRT_STAT_DIR=$WORK/segments
mkdir -m 0750 "$BRRT_STAT_DIR"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
sample() { # pid, file: RssAnon every 0.1 s while the process lives
  while kill -0 "$1" 2>/dev/null; do awk '/RssAnon/ { print $2 }' "/proc/$1/status" 2>/dev/null; sleep 0.1; done >"$2"
}
report() { # name, pid, samples
  printf '%-9s peak RssAnon %6d KiB  VmHWM %6d KiB\n' "$1" "$(sort -n "$3" | tail -1)" \
    "$(awk '/VmHWM/ { print $2 }' "/proc/$2/status")"
}
port=$((20000 + RANDOM % 20000))
BRRTR_STACK_SIZE=0x10000 "$BIN/brrt-demo" --listen "127.0.0.1:$port" --segment demo --workers 2 \
  --duration 600 --error-rate 0.01 --slow-rate 0.01 2>"$WORK/demo.log" &
DEMO=$!
PIDS+=("$DEMO")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
"$BIN/brrt-demo" load --target "127.0.0.1:$port" --duration 2 --rate 2000 >/dev/null 2>&1
"$BIN/brrt-stat" export --listen "127.0.0.1:$((port + 1))" --segment demo 2>"$WORK/export.log" &
EXP=$!
PIDS+=("$EXP")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$((port + 1))/healthz" && break; sleep 0.1; done
sample "$EXP" "$WORK/exp.txt" &
echo "== exporter: wrk -t2 -c1000 -d${SECS}s /metrics"
wrk -t2 -c1000 -d"${SECS}s" --timeout 10s "http://127.0.0.1:$((port + 1))/metrics" | grep -E 'requests in|Socket'
report exporter "$EXP" "$WORK/exp.txt"
cat >"$WORK/mix.lua" <<'LUA'
local paths = {"/health", "/pets", "/pets/7", "/users/3/orders", "/stack/16", "/sleep/5", "/pets/5000"}
local i = 0
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
LUA
sample "$DEMO" "$WORK/demo.txt" &
echo "== demo: wrk -t2 -c1000 -d${SECS}s, route mix"
wrk -t2 -c1000 -d"${SECS}s" --timeout 10s -s "$WORK/mix.lua" "http://127.0.0.1:$port/" | grep -E 'requests in|Socket'
report demo "$DEMO" "$WORK/demo.txt"
echo "segment file: $(du -k "$BRRT_STAT_DIR/demo" | cut -f1) KiB (tmpfs in the pod: counted in the app's memory)"
