#!/usr/bin/env bash
# The exporter sidecar's memory limit (k8s/sidecar/deployment.yaml) holds under 1000
# concurrent scrapers: the demo writes a segment, the exporter serves it to wrk -c1000 for
# 5 s, and its peak resident set (VmHWM, /proc) plus 25 % headroom stays within the limit.
# Also: a scrape with 4 KiB of headers (a large bearer token) is served, 16 KiB get 431.
# Skipped (77) under sanitizers (their shadow memory is not the exporter's) or when 1000
# sockets cannot be opened. Usage: test_exporter_memory.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$2/tests/integration/lib.sh"
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
# grep without -q: an early exit would SIGPIPE ldd, and pipefail would read that as no match
if ldd "$BIN/brrt-stat-export" | grep -E 'lib(a|t|ub)san' >/dev/null; then
  echo "SKIP: sanitizer build"; exit 77
fi
ulimit -n 4096 2>/dev/null || true
if (($(ulimit -n) < 2200)); then echo "SKIP: open-file limit $(ulimit -n) < 2200"; exit 77; fi
brrt_workdir expmem-test

# The exporter container's memory limit, in KiB (Mi or M in the manifest).
limit=$(awk '/- name: exporter/ { e = 1 } e && /limits:/ { print; exit }' "$SRC/k8s/sidecar/deployment.yaml" |
  sed -n 's/.*memory: *\([0-9]*\)\(Mi\|M\)\b.*/\1 \2/p')
read -r n unit <<<"$limit"
[[ $unit == Mi ]] && limit_kb=$((n * 1024)) || limit_kb=$((n * 1000000 / 1024))
check "the exporter's memory limit is read from the manifest ($limit)" test "${limit_kb:-0}" -gt 0

start_server brrt-demo "$WORK/demo.log" health \
  "$BIN/brrt-demo" --listen "127.0.0.1:{PORT}" --segment demo --duration 120 || exit 1
port=$SERVER_PORT
"$BIN/brrt-demo" load --target "127.0.0.1:$port" --duration 1 --rate 2000 >/dev/null 2>>"$WORK/demo.log"
start_server "brrt-stat export" "$WORK/export.log" healthz \
  "$BIN/brrt-stat" export --listen "127.0.0.1:{PORT}" --segment demo || exit 1
EXP=$SERVER_PID
eport=$SERVER_PORT
anon() { awk '/RssAnon/ { print $2 }' "/proc/$EXP/status"; }
(while kill -0 "$EXP" 2>/dev/null; do anon; sleep 0.1; done) >"$WORK/anon.txt" 2>/dev/null &
PIDS+=($!)
wrk -t2 -c1000 -d5s --timeout 10s "http://127.0.0.1:$eport/metrics" >"$WORK/wrk.log" 2>&1 || true
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$EXP/status")
peak_anon=$(sort -n "$WORK/anon.txt" | tail -1)
reqs=$(awk '/requests in/ { print $1 }' "$WORK/wrk.log")
echo "exporter under wrk -c1000 5 s: ${reqs:-0} responses, peak VmHWM ${hwm} KiB, peak RssAnon ${peak_anon} KiB; limit ${limit_kb} KiB"
check "wrk -c1000 got responses" test "${reqs:-0}" -gt 1000
check "peak VmHWM ${hwm} KiB + 25 % headroom fits the ${limit_kb} KiB limit" test $((hwm * 5 / 4)) -le "$limit_kb"
check "the exporter still answers" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$eport/metrics")" 200
tok=$(head -c 4096 /dev/zero | tr '\0' a)
check "a scrape with a 4 KiB bearer token is served (200)" eq \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$eport/metrics")" 200
big=$(head -c 16000 /dev/zero | tr '\0' a)
check "16 KiB of headers are refused (431)" eq \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$eport/metrics")" 431
if ((FAIL)); then
  for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
fi
brrt_summary
