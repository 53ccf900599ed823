#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts the instrumented demo service under
# load from its built-in load generator, and shows its metrics live from shared memory: the
# terminal dashboard when there is a terminal (and brrt-stat watch is built), periodic
# snapshots otherwise. Stops by itself after --duration, or on Ctrl-C.
# Usage: scripts/demo.sh [--duration SECONDS] [--port PORT] [--rate RPS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=60 port=8080 rate=2000
while (($#)); do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--port PORT] [--rate RPS]" >&2; exit 2 ;;
  esac
done
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
bin=build/bin
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin/brrt-demo" --listen "127.0.0.1:$port" --segment demo --error-rate 0.02 --slow-rate 0.01 \
  --duration $((duration + 3)) &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
"$bin/brrt-demo" load --target "127.0.0.1:$port" --duration "$duration" --rate "$rate" \
  --connections 16 >"${TMPDIR:-/tmp}/brrt-demo-load.txt" &
pids+=($!)

if [[ -t 1 && -x $bin/brrt-stat-watch ]]; then
  # the TUI runs until q; the demo's --duration ends it too (it restores the terminal on TERM)
  timeout --foreground -s TERM $((duration + 2)) "$bin/brrt-stat" watch --segment demo || true
else
  "$bin/brrt-stat" snapshot --segment demo --interval 2 --count $((duration / 2)) \
    -I 'brrtrouter_*' -I 'process_cpu_seconds_total' -I 'process_memory_*' -X '*' || true
fi
wait "${pids[1]}" 2>/dev/null || true
echo
echo "load generator summary:"
cat "${TMPDIR:-/tmp}/brrt-demo-load.txt"
"$bin/brrt-stat" snapshot --segment demo -I 'brrtrouter_requests_total' -X '*' || true
