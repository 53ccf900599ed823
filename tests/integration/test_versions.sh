#!/usr/bin/env bash
# Every program's command line in one style: `--version` prints "NAME VERSION" (the project
# version) and exits 0; an unknown option, a missing value and a stray argument each print one
# line "PREFIX: ... (see --help)" to stderr, nothing to stdout, and exit 2. The exporter reports
# brrtstat_exporter_build_info{version="VERSION"} 1.
# Usage: test_versions.sh BIN_DIR SOURCE_DIR VERSION
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
BIN=$(cd "$1" && pwd)
VERSION=$3
brrt_workdir versions-test

# run CMD...: sets OUT, ERR, RC
run() {
  RC=0
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || RC=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}
# usage_error NAME EXPECTED_STDERR CMD...: exit 2, empty stdout, exactly that stderr line
usage_error() {
  local name=$1 want=$2
  shift 2
  run "$@"
  check "$name: exit 2" eq "$RC" 2
  check "$name: nothing on stdout" eq "$OUT" ""
  check "$name: $want" eq "$ERR" "$want"
}

# program (as typed)            --version says   message prefix  an option that takes a value
CASES=(
  "brrt-stat|brrt-stat|brrt-stat|"
  "brrt-stat list|brrt-stat|brrt-stat|"
  "brrt-stat snapshot|brrt-stat|brrt-stat|--segment"
  "brrt-stat watch|brrt-stat-watch|brrt-stat|--interval"
  "brrt-stat export|brrt-stat-export|brrt-stat|--listen"
  "brrt-stat dashboard|brrt-stat-dashboard|brrt-stat|--dir"
  "brrt-stat-watch|brrt-stat-watch|brrt-stat|--segment"
  "brrt-stat-export|brrt-stat-export|brrt-stat|--threads"
  "brrt-stat-dashboard|brrt-stat-dashboard|brrt-stat|--namespace"
  "brrt-demo|brrt-demo|brrt-demo|--listen"
  "brrt-demo load|brrt-demo|brrt-demo|--target"
  "brrt-bench|brrt-bench|brrt-bench|--reps"
  "brrt-example|brrt-example|brrt-example|--segment"
)
for c in "${CASES[@]}"; do
  IFS='|' read -r prog name prefix valopt <<<"$c"
  read -r -a cmd <<<"$prog"
  cmd[0]=$BIN/${cmd[0]}
  run "${cmd[@]}" --version
  check "$prog --version: \"$name $VERSION\", exit 0" eq "$RC:$OUT:$ERR" "0:$name $VERSION:"
  usage_error "$prog --frobnicate" "$prefix: unknown option \"--frobnicate\" (see --help)" \
    "${cmd[@]}" --frobnicate
  if [[ $prog != "brrt-stat" ]]; then # the dispatcher takes a command, not options
    usage_error "$prog -Z" "$prefix: unknown option \"-Z\" (see --help)" "${cmd[@]}" -Z
    if [[ $prog != "brrt-stat list" ]]; then
      usage_error "$prog $valopt (no value)" "$prefix: $valopt needs a value (see --help)" "${cmd[@]}" "$valopt"
    fi
  fi
  run "${cmd[@]}" --help
  check "$prog --help: exit 0 and text on stdout" test "$RC" -eq 0 -a -n "$OUT"
done
usage_error "brrt-stat frobnicate" 'brrt-stat: unknown command "frobnicate" (see --help)' "$BIN/brrt-stat" frobnicate
usage_error "brrt-stat list stray" 'brrt-stat: unexpected argument "stray" (see --help)' "$BIN/brrt-stat" list stray
usage_error "brrt-demo stray" 'brrt-demo: unexpected argument "stray" (see --help)' "$BIN/brrt-demo" stray

# The exporter's build_info, checked by promtool too.
"$BIN/brrt-fixture" --segment ver --mode hold --seconds 60 >"$WORK/fixture.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [[ -e $BRRT_STAT_DIR/ver ]] && break; sleep 0.1; done
brrt_log "$WORK/fixture.log" "$WORK/export.log"
port=$(free_port) # lib.sh: bind-tested, below the ephemeral range
"$BIN/brrt-stat" export --listen "127.0.0.1:$port" --segment ver >"$WORK/export.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$port/healthz" 5 || true
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt" || true
check "exporter: brrtstat_exporter_build_info{version=\"$VERSION\"} 1" \
  grep -qx "brrtstat_exporter_build_info{version=\"$VERSION\"} 1" "$WORK/metrics.txt"
check "exporter: build_info is a gauge with help" \
  grep -qx '# TYPE brrtstat_exporter_build_info gauge' "$WORK/metrics.txt"
if command -v promtool >/dev/null; then
  check "promtool accepts the exposition" promtool check metrics <"$WORK/metrics.txt"
fi
if ((FAIL)); then
  for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
fi
brrt_summary
