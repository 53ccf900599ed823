#!/usr/bin/env bash
# brrt-demo against clients that misbehave: a client that pipelines
# and never reads must not grow the server; idle connections are closed; when descriptors run
# out (a low RLIMIT_NOFILE via prlimit) the workers must not spin on the listener, and a new
# client is answered once descriptors come free. Usage: test_demo_limits.sh BIN_DIR SOURCE_DIR.
# Everything listens on 127.0.0.1; every client ends by a timer.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
CLIENTS=$SRC/tests/integration/demo_clients.cjs
brrt_workdir demo-limits

# Starts the demo on a free port (extra args go to brrt-demo; NOFILE=N in the environment
# starts it under prlimit --nofile=N); sets PORT and DEMO_PID.
start_demo() {
  local segment=$1; shift
  local -a pre=()
  [[ -n ${NOFILE:-} ]] && pre=(prlimit "--nofile=$NOFILE:$NOFILE" --)
  start_server "brrt-demo $segment" "$WORK/$segment.log" health \
    "${pre[@]}" "$BIN/brrt-demo" --listen "127.0.0.1:{PORT}" --segment "$segment" --duration 120 "$@"
  DEMO_PID=$SERVER_PID
  PORT=$SERVER_PORT
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# ---- 14. pipelining without reading: the server stops reading, memory stays put -----------
start_demo flood --workers 1
rss0=$(status_kb "$DEMO_PID" VmRSS)
out=$(node "$CLIENTS" flood "$PORT" 8 4)
hwm=$(status_kb "$DEMO_PID" VmHWM)
echo "        flood: $out, server RSS ${rss0} kB before, peak ${hwm} kB"
check "8 MB of pipelined GETs never read: peak RSS grew by < 32 MB" test $((hwm - rss0)) -lt 32768
check "the server stopped taking the flood (the kernel holds < 8 MB)" test "${out#sent=}" -lt $((8 * 1024 * 1024))
check "a pipelining client that reads late gets every answer (reading resumes once flushed)" \
  eq "$(node "$CLIENTS" stall "$PORT" 20000)" "responses=20000"
check "the server still answers" eq "$(curl -s --max-time 5 "http://127.0.0.1:$PORT/health")" "ok"

# ---- 15a. idle timeout --------------------------------------------------------------------
start_demo idle --workers 1 --idle-timeout-ms 500
out=$(node "$CLIENTS" idle "$PORT")
check "a silent connection is closed after the idle timeout ($out)" within "${out#closed_after_ms=}" 400 3000
out=$(node "$CLIENTS" idle "$PORT" partial)
check "so is one that stopped mid request line ($out)" within "${out#closed_after_ms=}" 400 3000
check "a request sleeping longer than the idle timeout is still answered" \
  eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/sleep/1200")" "200"

# ---- 15b. out of descriptors: no spinning, and new clients are answered later -------------
NOFILE=48 start_demo nofile --workers 2 --idle-timeout-ms 4000
node "$CLIENTS" hold "$PORT" 80 14 >"$WORK/hold.out" &
HOLD=$!
PIDS+=("$HOLD")
for _ in $(seq 50); do grep -q open= "$WORK/hold.out" && break; sleep 0.1; done
sleep 0.5
check "the demo ran out of descriptors (it says so once per episode)" \
  grep -q 'accept: Too many open files' "$WORK/nofile.log"
check "the CPU below is brrt-demo's own (prlimit exec'd it)" eq "$(basename "$(readlink "/proc/$DEMO_PID/exe")")" "brrt-demo"
t0=$(cpu_ticks "$DEMO_PID")
sleep 3
t1=$(cpu_ticks "$DEMO_PID")
hz=$(getconf CLK_TCK)
check "no spinning while out of descriptors: $((t1 - t0)) ticks of CPU in 3 s (< 0.3 s)" \
  test $(((t1 - t0) * 1000 / hz)) -lt 300
# The held connections are idle: the server closes them after 4 s, then answers this one.
check "a new client is answered once the idle ones are closed" \
  eq "$(curl -s --max-time 15 "http://127.0.0.1:$PORT/health")" "ok"
kill "$HOLD" 2>/dev/null || true
wait "$HOLD" 2>/dev/null || true
check "and after the holders left" eq "$(curl -s --max-time 5 "http://127.0.0.1:$PORT/health")" "ok"

brrt_summary
